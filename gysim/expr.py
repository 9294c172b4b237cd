"""Equations as data: a whitelisted parser and a small expression tree.

Equations are written in Python expression syntax. :func:`parse` turns the
text into a tree of the node classes below, accepting only numbers, names,
arithmetic, comparisons, boolean operators, conditional expressions, calls
of plain function names and selections of elements of subscripted variables
(``capital[secondary]``: a name subscripted by element labels). Everything
else (attribute access, other subscripts, slices, strings, lambdas,
comprehensions, keyword arguments, names starting with an underscore, ...) is
refused with a :class:`~gysim.errors.ModelDefinitionError`.
The text is never evaluated; later stages (code generation, dependency
analysis, printing, export) walk the tree.

Examples
--------
>>> from gysim.expr import parse, names, to_text
>>> tree = parse("population * (birth_rate - death_rate)")
>>> sorted(names(tree))
['birth_rate', 'death_rate', 'population']
>>> to_text(tree)
'population * (birth_rate - death_rate)'
"""

from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence, Union

from ._text import format_number
from .errors import ModelDefinitionError

__all__ = [
    "Node", "Const", "Name", "Call", "BinOp", "UnaryOp", "Compare", "BoolOp",
    "IfExp", "Subscript", "parse", "names", "calls", "walk", "children", "map_children",
    "constant_value", "ARITHMETIC",
    "to_text", "chain", "depth", "MAX_LENGTH",
    "MAX_DEPTH", "MAX_TREE_DEPTH", "CHAIN_SPLIT",
]

#: Longest equation text accepted, in characters: room for a sum over a
#: dimension of 10 000 elements written out element by element (as readers of
#: other tools' files do), while bounding the parser's memory (tens of MB).
MAX_LENGTH = 200_000
#: Deepest nesting accepted in what the user wrote: brackets, calls, selections,
#: unary operators, ``**``, ``%``, comparisons and conditionals each add a level; a chain
#: of ``+``/``-`` (or of ``*``/``/``) of any length is one level, as is ``and``/``or``.
#: A guard against abuse only: no sensible equation comes near it.
MAX_DEPTH = 64
#: Deepest expression tree accepted after long chains are grouped (see
#: :data:`CHAIN_SPLIT`). It keeps every recursive walk over trees (printing,
#: code generation, units) and Python's compiler of the generated code far from
#: their limits; only an equation nesting long chains tens of levels deep reaches it.
MAX_TREE_DEPTH = 160
#: Chains of ``+``/``-`` (or ``*``/``/``) longer than this many operands are
#: evaluated as a balanced tree of groups (much like numpy's pairwise sums), so a
#: sum of 10 000 terms is about 25 levels deep, not 10 000; shorter chains are
#: evaluated left to right exactly as written.
CHAIN_SPLIT = 16


@dataclass(frozen=True)
class Const:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Name:
    """A reference to a model element, or to ``time``."""

    id: str


@dataclass(frozen=True)
class Call:
    """A call of a builtin function or a lookup by name."""

    func: str
    args: tuple


@dataclass(frozen=True)
class BinOp:
    """Binary arithmetic: ``op`` is one of ``+ - * / ** %``."""

    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class UnaryOp:
    """Unary ``-``, ``+`` or ``not``."""

    op: str
    operand: "Node"


@dataclass(frozen=True)
class Compare:
    """A single comparison ``left op right`` (chains are split into ``and``)."""

    op: str
    left: "Node"
    right: "Node"


@dataclass(frozen=True)
class BoolOp:
    """``and`` / ``or`` over two or more operands."""

    op: str
    values: tuple


@dataclass(frozen=True)
class IfExp:
    """``body if test else orelse``."""

    test: "Node"
    body: "Node"
    orelse: "Node"


@dataclass(frozen=True)
class Subscript:
    """Selection of elements of a subscripted variable: ``value[label, ...]``.

    ``value`` is a :class:`Name`; ``labels`` are element labels of the model's
    dimensions (plain identifiers, kept as text, not as names).
    """

    value: "Name"
    labels: tuple


Node = Union[Const, Name, Call, BinOp, UnaryOp, Compare, BoolOp, IfExp, Subscript]

_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/",
           ast.Pow: "**", ast.Mod: "%"}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
_CMP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=",
        ast.Eq: "==", ast.NotEq: "!="}
_BOOL = {ast.And: "and", ast.Or: "or"}


def _nesting_depth(text: str) -> int:
    level = deepest = 0
    for char in text:
        if char in "([{":
            level += 1
            deepest = max(deepest, level)
        elif char in ")]}":
            level -= 1
    return deepest


def parse(text: str | float | int, *, where: str = "equation") -> Node:
    """Parse an equation into an expression tree, refusing anything unsafe.

    Parameters
    ----------
    text : str or number
        The equation, in Python expression syntax. A number is accepted as is.
    where : str, optional
        What the equation belongs to (e.g. ``"aux 'gdp'"``), used in messages.

    Returns
    -------
    Node
        The root of the parsed tree.

    Raises
    ------
    ModelDefinitionError
        If the text is not a valid, whitelisted expression.

    Examples
    --------
    >>> parse("2 * x + 1")
    BinOp(op='+', left=BinOp(op='*', left=Const(value=2.0), right=Name(id='x')), right=Const(value=1.0))
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: equation of equation: `__import__` is not allowed: names must not start with an underscore
    """
    if isinstance(text, bool):
        raise ModelDefinitionError(f"equation of {where}: must be a number or text, got a bool")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise ModelDefinitionError(f"equation of {where}: must be finite, got {text!r}")
        return Const(float(text))
    if not isinstance(text, str):
        raise ModelDefinitionError(
            f"equation of {where}: must be text or a number, got {type(text).__name__}")
    if not text.strip():
        raise ModelDefinitionError(f"equation of {where} is empty")
    if len(text) > MAX_LENGTH:
        raise ModelDefinitionError(
            f"equation of {where} is {len(text)} characters long; the limit is {MAX_LENGTH}")
    if _nesting_depth(text) > MAX_DEPTH:
        raise ModelDefinitionError(_too_deep(where))
    result = _read(text.strip(), _Context(where), 0)
    levels = depth(result)
    if levels > MAX_TREE_DEPTH:
        raise ModelDefinitionError(
            f"equation of {where} is too deeply nested: its expression tree is {levels} "
            f"levels deep, beyond the limit of {MAX_TREE_DEPTH} (gysim.expr.MAX_TREE_DEPTH); "
            f"split it into auxiliaries")
    return result


def _too_deep(where: str) -> str:
    return (f"equation of {where} nests deeper than {MAX_DEPTH} levels of brackets, calls "
            f"and operators (gysim.expr.MAX_DEPTH; a chain such as a + b + c counts as one "
            f"level); split it into auxiliaries")


#: The chain an arithmetic operator belongs to (operators of one chain associate).
_GROUP = {"+": "+", "-": "+", "*": "*", "/": "*"}
#: ``a - (b + c) == a - b - c``: the operator that undoes each one.
_INVERSE = {"+": "-", "-": "+", "*": "/", "/": "*"}


@dataclass
class _Context:
    """What the conversion of one equation carries: where it is, and the long
    chains cut out of its text (placeholder name -> operator and operand texts)."""

    where: str
    cut: dict = field(default_factory=dict)


def _read(text: str, ctx: _Context, level: int) -> Node:
    """Text to a tree: Python's parser, then the whitelisted conversion."""
    where = ctx.where
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise ModelDefinitionError(
            f"equation of {where} is not a valid expression: {err.msg} in {text!r}"
            f"{_syntax_hints(text)}") from None
    except (RecursionError, MemoryError):
        # Python's parser builds a chain a + b + ... one level per operator and stops
        # near 3 000: cut long chains out of the text and read them operand by operand
        return _read_long(text, ctx, level)
    except ValueError as err:  # e.g. a null byte
        raise ModelDefinitionError(f"equation of {where} cannot be parsed: {err}") from None
    try:
        return _convert(tree.body, ctx, level)
    except RecursionError:
        raise ModelDefinitionError(_too_deep(where)) from None


#: Chains with at least this many operators at one level of brackets are cut out of
#: an equation's text when Python's parser cannot build them (see :func:`_read`).
_LONG_CHAIN = 200
#: Tokens that end an operand of ``+``/``*`` chains, and tokens that end a chain.
_OPERAND_END = {tokenize.NAME, tokenize.NUMBER, tokenize.STRING}
_CHAIN_END = {",", ":", ";", "=", ":=", "<", ">", "==", "!=", "<=", ">=", "<>", "|", "&", "^",
              "<<", ">>", "->", "and", "or", "not", "if", "else", "in", "is", "lambda", "for",
              "async", "await", "yield", "from"}


def _read_long(text: str, ctx: _Context, level: int) -> Node:
    chains = _long_chains(text, ctx.where)
    if not chains:
        raise ModelDefinitionError(_too_deep(ctx.where))
    parts, end = [], 0
    for start, stop, pieces in chains:
        key = f"_chain{len(ctx.cut)}"  # user names never start with '_' (checked below)
        ctx.cut[key] = pieces
        parts += [text[end:start], f" {key} "]
        end = stop
    return _read("".join(parts + [text[end:]]).strip(), ctx, level)


def _read_operands(texts: list[str], ctx: _Context, level: int) -> list[Node]:
    """Operands of a long chain: read at once as the items of a tuple, else one by one."""
    try:
        tree = ast.parse("(" + ", ".join(texts) + ",)", mode="eval").body
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        tree = None
    if not isinstance(tree, ast.Tuple) or len(tree.elts) != len(texts):
        return [_read(t, ctx, level) for t in texts]
    return [_convert(item, ctx, level) for item in tree.elts]


def _long_chains(text: str, where: str) -> list[tuple[int, int, list]]:
    """The outermost long chains of ``text``: (start, end, [(operator, operand text)])."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    skip = {tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER, tokenize.COMMENT,
            tokenize.INDENT, tokenize.DEDENT}
    try:
        tokens = [(t.type, t.string, starts[t.start[0] - 1] + t.start[1],
                   starts[t.end[0] - 1] + t.end[1])
                  for t in tokenize.generate_tokens(io.StringIO(text).readline)
                  if t.type not in skip]
    except (tokenize.TokenError, SyntaxError):
        return []
    found: list[tuple[int, int, list]] = []

    def close(first: int, end: int, ops: list[int], other: bool) -> None:
        plus = [i for i in ops if tokens[i][1] in "+-"]
        split = plus or ([] if other else ops)
        if len(ops) >= _LONG_CHAIN and split and end > first:
            bounds = [first - 1] + split + [end]
            pieces = [("" if j == 0 else tokens[bounds[j]][1],
                       text[tokens[bounds[j] + 1][2]:tokens[bounds[j + 1] - 1][3]].strip())
                      for j in range(len(bounds) - 1)]
            found.append((tokens[first][2], tokens[end - 1][3], pieces))

    frames = [[0, [], False]]  # per open bracket: segment start, chain operators, other ops
    previous = None
    for i, (kind, string, _, _) in enumerate(tokens):
        if kind == tokenize.NAME and string.startswith("_"):
            raise ModelDefinitionError(
                f"equation of {where}: `{string}` is not allowed: names must not start with "
                f"an underscore")
        if string in ("(", "[", "{"):
            frames.append([i + 1, [], False])
        elif string in (")", "]", "}") or string in _CHAIN_END:
            if len(frames) == 1 and string in (")", "]", "}"):
                return []
            close(frames[-1][0], i, frames[-1][1], frames[-1][2])
            if string in (")", "]", "}"):
                frames.pop()
            else:
                frames[-1] = [i + 1, [], False]
        elif string in ("+", "-", "*", "/", "%", "//", "@") and previous is not None and (
                previous[0] in _OPERAND_END and previous[1] not in _CHAIN_END
                or previous[1] in (")", "]", "}", "...")):
            if string in ("%", "//", "@"):
                frames[-1][2] = True
            else:
                frames[-1][1].append(i)
        previous = (kind, string)
    for frame in frames:
        close(frame[0], len(tokens), frame[1], frame[2])
    found.sort(key=lambda f: (f[0], -f[1]))
    outermost: list[tuple[int, int, list]] = []
    for f in found:
        if not outermost or f[0] >= outermost[-1][1]:
            outermost.append(f)
    return outermost


def _convert(node: ast.AST, ctx: _Context, level: int) -> Node:
    where = ctx.where
    if level > MAX_DEPTH:
        raise ModelDefinitionError(_too_deep(where))
    d = level + 1
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ModelDefinitionError(
                f"equation of {where}: only numbers are allowed as literals, got {node.value!r}")
        try:
            value = float(node.value)
        except OverflowError:
            value = math.inf
        if not math.isfinite(value):
            raise ModelDefinitionError(f"equation of {where}: the number {node.value!r} is not finite")
        return Const(value)
    if isinstance(node, ast.Name):
        if node.id in ctx.cut:  # a long chain cut out of the text: one level, as above
            pieces = ctx.cut.pop(node.id)
            operands = _read_operands([t for _, t in pieces], ctx, d)
            return chain(operands[0], [(op, t) for (op, _), t in zip(pieces[1:], operands[1:])])
        _check_name(node.id, where)
        return Name(node.id)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        group = _GROUP.get(_BINOPS[type(node.op)])
        if group is None:  # ** and %: each one a level
            return BinOp(_BINOPS[type(node.op)], _convert(node.left, ctx, d),
                         _convert(node.right, ctx, d))
        # a chain a + b - c + ... (left-leaning in Python's tree): one level, read in a loop
        spine = []
        while isinstance(node, ast.BinOp) and _GROUP.get(_BINOPS.get(type(node.op))) == group:
            spine.append(node)
            node = node.left
        first = _convert(node, ctx, d)
        return chain(first, [(_BINOPS[type(n.op)], _convert(n.right, ctx, d))
                             for n in reversed(spine)])
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        operand = _convert(node.operand, ctx, d)
        op = _UNARY[type(node.op)]
        if op == "-" and isinstance(operand, Const):
            return Const(-operand.value)
        return UnaryOp(op, operand)
    if isinstance(node, ast.BoolOp) and type(node.op) in _BOOL:
        return BoolOp(_BOOL[type(node.op)], tuple(_convert(v, ctx, d) for v in node.values))
    if isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
        operands = [_convert(node.left, ctx, d)] + [_convert(c, ctx, d) for c in node.comparators]
        parts = tuple(Compare(_CMP[type(op)], operands[i], operands[i + 1])
                      for i, op in enumerate(node.ops))
        return parts[0] if len(parts) == 1 else BoolOp("and", parts)
    if isinstance(node, ast.IfExp):
        return IfExp(_convert(node.test, ctx, d), _convert(node.body, ctx, d),
                     _convert(node.orelse, ctx, d))
    if isinstance(node, ast.Subscript):
        if not isinstance(node.value, ast.Name):
            raise ModelDefinitionError(
                f"equation of {where}: only a plain name may be subscripted, "
                f"not `{ast.unparse(node.value)[:60]}`")
        _check_name(node.value.id, where)
        index = node.slice
        items = index.elts if isinstance(index, ast.Tuple) else [index]
        labels = []
        for item in items:
            if not isinstance(item, ast.Name):
                raise ModelDefinitionError(
                    f"equation of {where}: the subscript of `{node.value.id}` must be element "
                    f"labels (plain names), not {_describe(item)}")
            _check_name(item.id, where)
            labels.append(item.id)
        return Subscript(Name(node.value.id), tuple(labels))
    if isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name):
            raise ModelDefinitionError(
                f"equation of {where}: only plain function names may be called, "
                f"not `{ast.unparse(node.func)[:60]}`")
        _check_name(node.func.id, where)
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ModelDefinitionError(
                f"equation of {where}: `{node.func.id}` must be called with positional "
                f"arguments only")
        return Call(node.func.id, tuple(_convert(a, ctx, d) for a in node.args))
    hint = _OPERATOR_HINTS.get(type(getattr(node, "op", None)))
    raise ModelDefinitionError(
        f"equation of {where}: {_describe(node)} is not allowed in equations "
        + (f"({hint})" if hint else
           "(only numbers, names, arithmetic, comparisons, and/or/not, "
           "`a if c else b` and function calls)"))


#: What to write instead of Python operators that parse but are refused.
_OPERATOR_HINTS = {
    ast.BitXor: "`^` is not a power here: use ** for powers, e.g. `x ** 2`",
    ast.BitAnd: "use `and` for a logical and",
    ast.BitOr: "use `or` for a logical or",
    ast.Invert: "use `not` for a logical not",
    ast.LShift: "shifts are not allowed; multiply or divide by a power of 2",
    ast.RShift: "shifts are not allowed; multiply or divide by a power of 2",
}

#: Spellings from other tools (Vensim, Stella, spreadsheets, C) that are not Python
#: expression syntax, with what to write instead; searched in an equation that fails to parse.
_SPELLING_HINTS = (
    (re.compile(r"\bIF\s+THEN\s+ELSE\s*\(", re.IGNORECASE),
     "Vensim's `IF THEN ELSE(c, a, b)` is written `if_then_else(c, a, b)` or `a if c else b`"),
    (re.compile(r"\bIF\b.*\bTHEN\b", re.IGNORECASE | re.DOTALL),
     "`IF c THEN a ELSE b` is written `a if c else b` or `if_then_else(c, a, b)`"),
    (re.compile(r":AND:", re.IGNORECASE), "use `and` for Vensim's `:AND:`"),
    (re.compile(r":OR:", re.IGNORECASE), "use `or` for Vensim's `:OR:`"),
    (re.compile(r":NOT:", re.IGNORECASE), "use `not` for Vensim's `:NOT:`"),
    (re.compile(r"<>"), "use != for 'not equal' (not `<>`)"),
    (re.compile(r"&&"), "use `and` (not `&&`)"),
    (re.compile(r"\|\|"), "use `or` (not `||`)"),
    (re.compile(r"!(?!=)"), "use `not` (not `!`)"),
    (re.compile(r"(?<![=<>!:])=(?!=)"), "use == to compare (a single `=` is not allowed)"),
    (re.compile(r"\^"), "use ** for powers (not `^`)"),
    (re.compile(r"(?<![\w.])\d+(?:\.\d*)?(?![eE][+-]?\d)[A-Za-z_]"), "write products with `*`, e.g. `2 * x` (not `2x`)"),
)


def _syntax_hints(text: str) -> str:
    """``"; <hint>; <hint>"`` for spellings of other tools found in ``text`` ('' if none).

    Examples
    --------
    >>> _syntax_hints("IF THEN ELSE(a <> 0, b ^ 2, 0)")
    "; Vensim's `IF THEN ELSE(c, a, b)` is written `if_then_else(c, a, b)` or `a if c else b`; use != for 'not equal' (not `<>`); use ** for powers (not `^`)"
    """
    hints: list[str] = []
    for pattern, hint in _SPELLING_HINTS:
        if pattern.search(text) and not (hints and hint.startswith("`IF c THEN")):
            hints.append(hint)
    return "".join(f"; {h}" for h in hints)


def _describe(node: ast.AST) -> str:
    try:
        snippet = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every parsed node
        snippet = type(node).__name__
    if len(snippet) > 60:
        snippet = snippet[:57] + "..."
    return f"`{snippet}` ({type(node).__name__})"


def _check_name(name: str, where: str) -> None:
    if name.startswith("_"):
        raise ModelDefinitionError(
            f"equation of {where}: `{name}` is not allowed: names must not start with an underscore")


#: The children of each node class, in reading order.
_CHILDREN: dict[type, Callable[..., tuple]] = {
    Const: lambda n: (),
    Name: lambda n: (),
    Subscript: lambda n: (n.value,),
    Call: lambda n: n.args,
    BinOp: lambda n: (n.left, n.right),
    UnaryOp: lambda n: (n.operand,),
    Compare: lambda n: (n.left, n.right),
    BoolOp: lambda n: n.values,
    IfExp: lambda n: (n.test, n.body, n.orelse),
}

#: How each node class is rebuilt from transformed children (leaves stay as they are;
#: a selection ``x[label]`` is a leaf too: its base is a name, not an expression).
_REBUILD: dict[type, Callable[..., Node]] = {
    Call: lambda n, f: Call(n.func, tuple(f(a) for a in n.args)),
    BinOp: lambda n, f: BinOp(n.op, f(n.left), f(n.right)),
    UnaryOp: lambda n, f: UnaryOp(n.op, f(n.operand)),
    Compare: lambda n, f: Compare(n.op, f(n.left), f(n.right)),
    BoolOp: lambda n, f: BoolOp(n.op, tuple(f(v) for v in n.values)),
    IfExp: lambda n, f: IfExp(f(n.test), f(n.body), f(n.orelse)),
}


def children(node: Node) -> tuple:
    """The direct children of a node, in reading order.

    Examples
    --------
    >>> children(parse("a + f(b)"))
    (Name(id='a'), Call(func='f', args=(Name(id='b'),)))
    """
    return _CHILDREN[type(node)](node)


def map_children(node: Node, func: Callable[[Node], Node]) -> Node:
    """The node rebuilt with ``func`` applied to each of its expression children.

    The one generic tree transform: a rewrite that treats most node classes
    alike handles its special cases and calls ``map_children(node, itself)``
    for the rest. Leaves (numbers, names, selections ``x[label]``) are
    returned unchanged.

    Examples
    --------
    >>> def double(node):
    ...     if isinstance(node, Const):
    ...         return Const(2 * node.value)
    ...     return map_children(node, double)
    >>> to_text(double(parse("x * 3 + max(1, y)")))
    'x * 6 + max(2, y)'
    """
    rebuild = _REBUILD.get(type(node))
    return node if rebuild is None else rebuild(node, func)


def walk(node: Node) -> Iterator[Node]:
    """Yield every node of a tree, parents before children.

    Examples
    --------
    >>> [type(n).__name__ for n in walk(parse("-x + 1"))]
    ['BinOp', 'UnaryOp', 'Name', 'Const']
    """
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_CHILDREN[type(current)](current)))


def depth(node: Node) -> int:
    """The number of levels of a tree (a leaf is 1), counted without recursion.

    Examples
    --------
    >>> depth(parse("x")), depth(parse("-(a + b) * c"))
    (1, 4)
    >>> depth(parse(" + ".join(f"a{i}" for i in range(10_000))))
    25
    """
    deepest = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((c, level + 1) for c in _CHILDREN[type(current)](current))
    return deepest


def chain(first: Node, rest: Sequence[tuple[str, Node]]) -> Node:
    """The tree of ``first op1 term1 op2 term2 ...``, shallow however long the chain.

    The operators must all be ``+``/``-`` or all ``*``/``/``. Up to
    :data:`CHAIN_SPLIT` operands the tree is Python's (left to right); a
    longer chain is split into three groups, recursively (as ``a - b - c - d
    - e`` would be ``a - (b + c) - (d + e)``), so its depth grows with the logarithm of its
    length, and :func:`to_text` prints it back as text that parses to the
    same tree. Programs that build long sums (readers of other tools' files)
    should use it rather than folding ``BinOp`` by hand.

    Parameters
    ----------
    first : Node
        The first operand.
    rest : sequence of (str, Node)
        Each further operand with the operator before it.

    Examples
    --------
    >>> to_text(chain(Name("a"), [("-", Name("b")), ("+", Name("c"))]))
    'a - b + c'
    >>> tree = chain(Const(0.0), [("+", Const(1.0))] * 999)
    >>> depth(tree) < 30, constant_value(tree)
    (True, 999.0)
    """
    items = [("", first)] + list(rest)
    groups = {_GROUP.get(op) for op, _ in items[1:]}
    if len(groups) > 1 or None in groups:
        raise ValueError(f"a chain takes + and - or * and /, got {sorted(op for op, _ in items[1:])}")
    return _balanced(items, 0, len(items), False, CHAIN_SPLIT)


def _balanced(items: list, lo: int, hi: int, flip: bool, limit: int) -> Node:
    # items[lo:hi] as one chain: items[lo] enters as it is (its operator ignored), the
    # others' operators inverted when `flip`. A long chain is `first op (group) op (group)
    # op (group)`, each group built the same way; printed, every level has at most
    # CHAIN_SPLIT operands, so the text parses back to this very tree.
    def op_of(i: int) -> str:
        return _INVERSE[items[i][0]] if flip else items[i][0]
    tree = items[lo][1]
    if hi - lo <= limit:
        for i in range(lo + 1, hi):
            tree = BinOp(op_of(i), tree, items[i][1])
        return tree
    size = -(-(hi - lo - 1) // _FAN_OUT)
    for j in range(lo + 1, hi, size):
        op = op_of(j)  # x - b - c is x - (b + c): the group's operators are inverted
        group = _balanced(items, j, min(j + size, hi), flip != (op in ("-", "/")), _FAN_OUT + 1)
        tree = BinOp(op, tree, group)
    return tree


#: Groups per level of a long chain (three gives the shallowest trees).
_FAN_OUT = 3


#: Python's arithmetic on two numbers, by operator.
ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b,
}


def constant_value(node: Node, resolve: Callable[[str], float | None] | None = None
                   ) -> float | None:
    """The value of a tree of numbers and arithmetic, or None when it is not constant.

    Parameters
    ----------
    node : Node
        The tree.
    resolve : callable, optional
        ``resolve(name)``: the value of a name, or None when it is not a
        constant. Without it, any name makes the tree non-constant.

    Returns
    -------
    float or None
        None also where the arithmetic fails (division by zero, overflow) or
        the result is not finite.

    Examples
    --------
    >>> constant_value(parse("2 * (3 + 1) ** 2"))
    32.0
    >>> constant_value(parse("k / 2"), {"k": 5.0}.get)
    2.5
    >>> constant_value(parse("k / 0"), {"k": 5.0}.get) is None
    True
    """
    # post-order without recursion: trees built by readers may be long chains
    values: list = []
    stack: list = [(node, False)]
    while stack:
        current, ready = stack.pop()
        kind = type(current)
        if kind is BinOp or (kind is UnaryOp and current.op in ("+", "-")):
            if not ready:
                stack.append((current, True))
                stack.extend((c, False) for c in reversed(_CHILDREN[kind](current)))
            elif kind is UnaryOp:
                inner = values.pop()
                values.append(None if inner is None else (-inner if current.op == "-" else inner))
            else:
                b, a = values.pop(), values.pop()
                values.append(None if a is None or b is None else _arithmetic(current.op, a, b))
        elif kind is Const:
            values.append(current.value)
        elif kind is Name:
            values.append(None if resolve is None else resolve(current.id))
        else:
            values.append(None)
    return values[0]


def _arithmetic(op: str, a: float, b: float) -> float | None:
    try:
        value = ARITHMETIC[op](a, b)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if isinstance(value, (int, float)) and math.isfinite(value):
        return float(value)
    return None


def names(node: Node) -> set[str]:
    """Names referenced by a tree (function names of calls excluded).

    Examples
    --------
    >>> sorted(names(parse("smooth(x, tau) + y")))
    ['tau', 'x', 'y']
    """
    return {n.id for n in walk(node) if isinstance(n, Name)}


def calls(node: Node) -> set[str]:
    """Function names called in a tree.

    Examples
    --------
    >>> sorted(calls(parse("max(a, exp(b))")))
    ['exp', 'max']
    """
    return {n.func for n in walk(node) if isinstance(n, Call)}


_PRECEDENCE = {"or": 1, "and": 2, "not": 3, "cmp": 4, "+": 5, "-": 5, "*": 6,
               "/": 6, "%": 6, "unary": 7, "**": 8}


#: How tightly each node class binds when printed (higher binds tighter).
_PREC_OF: dict[type, Callable[[Node], int]] = {
    BinOp: lambda n: _PRECEDENCE[n.op],
    UnaryOp: lambda n: _PRECEDENCE["not"] if n.op == "not" else _PRECEDENCE["unary"],
    Compare: lambda n: _PRECEDENCE["cmp"],
    BoolOp: lambda n: _PRECEDENCE[n.op],
    IfExp: lambda n: 0,
}


def _prec(node: Node) -> int:
    rule = _PREC_OF.get(type(node))
    return 10 if rule is None else rule(node)


class _Printer:
    """Equation text of trees, with minimal brackets."""

    def __init__(self, rename: Callable[[str], str] | None) -> None:
        self.rename = rename

    def text(self, node: Node) -> str:
        return _PRINT[type(node)](self, node)

    def wrap(self, child: Node, parent_prec: int, right: bool = False) -> str:
        text = self.text(child)
        p = _prec(child)
        if p < parent_prec or (right and p == parent_prec):
            return f"({text})"
        return text

    def const(self, node: Const) -> str:
        text = format_number(node.value)
        return f"({text})" if node.value < 0 else text

    def name(self, node: Name) -> str:
        return self.rename(node.id) if self.rename else node.id

    def call(self, node: Call) -> str:
        return f"{node.func}({', '.join(self.text(a) for a in node.args)})"

    def subscript(self, node: Subscript) -> str:
        return f"{self.text(node.value)}[{', '.join(node.labels)}]"

    def binop(self, node: BinOp) -> str:
        p = _PRECEDENCE[node.op]
        if node.op == "**":  # right-associative
            return f"{self.wrap(node.left, p, right=True)} ** {self.wrap(node.right, p)}"
        # a left-leaning chain a + b - c ... printed in a loop (it may be long)
        spine = []
        while isinstance(node, BinOp) and node.op != "**" and _PRECEDENCE[node.op] == p:
            spine.append(node)
            node = node.left
        parts = [self.wrap(node, p)]
        parts += [f"{n.op} {self.wrap(n.right, p, right=True)}" for n in reversed(spine)]
        return " ".join(parts)

    def unary(self, node: UnaryOp) -> str:
        if node.op == "not":
            return f"not {self.wrap(node.operand, _PRECEDENCE['not'])}"
        return f"{node.op}{self.wrap(node.operand, _PRECEDENCE['unary'])}"

    def compare(self, node: Compare) -> str:
        p = _PRECEDENCE["cmp"]
        return (f"{self.wrap(node.left, p, right=True)} {node.op} "
                f"{self.wrap(node.right, p, right=True)}")

    def boolop(self, node: BoolOp) -> str:
        p = _PRECEDENCE[node.op]
        return f" {node.op} ".join(self.wrap(v, p, right=True) for v in node.values)

    def ifexp(self, node: IfExp) -> str:
        return (f"{self.wrap(node.body, 1)} if {self.wrap(node.test, 1)} "
                f"else {self.text(node.orelse)}")


_PRINT: dict[type, Callable[[_Printer, Node], str]] = {
    Const: _Printer.const, Name: _Printer.name, Call: _Printer.call,
    Subscript: _Printer.subscript, BinOp: _Printer.binop, UnaryOp: _Printer.unary,
    Compare: _Printer.compare, BoolOp: _Printer.boolop, IfExp: _Printer.ifexp,
}


def to_text(node: Node, rename: Callable[[str], str] | None = None) -> str:
    """Print a tree back as equation text, with minimal brackets.

    Parameters
    ----------
    node : Node
        The tree.
    rename : callable, optional
        Maps each referenced name to the text to print for it.

    Examples
    --------
    >>> to_text(parse("(a + b) * c ** 2"))
    '(a + b) * c ** 2'
    >>> to_text(parse("-x ** 2 if not a and b else y"), rename=str.upper)
    '-X ** 2 if not A and B else Y'
    """
    return _Printer(rename).text(node)
