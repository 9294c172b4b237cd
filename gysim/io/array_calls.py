"""Reading Vensim's whole-vector functions element by element: ALLOCATE BY PRIORITY,
ALLOCATE AVAILABLE, INVERT MATRIX and VECTOR SELECT.

Each element of such a function's result depends on every element of its
vector (or matrix) arguments. When the file is read element by element (one
scalar variable per subscript element), the call defining element ``k`` is
read as a call of a gysim builtin (:mod:`gysim.vector_functions`) given all
the elements of the arguments and the position ``k``:

* ``ship[b] = ALLOCATE BY PRIORITY(request[b], priority[b], size, width,
  supply)`` becomes ``allocate_by_priority_element(k, n, width, supply, request
  elements..., priority elements...)``; the allocation runs over the last
  subscript of ``request`` and ``priority`` (Vensim's rule; ``size`` must
  equal that range's size);
* ``ALLOCATE AVAILABLE(request[b], pp[b, ptype], avail)``: as above, the
  profile's ``ptype``, ``ppriority`` and ``pwidth`` read from the label named
  in ``pp`` and the two labels after it in its range (Vensim's ``pprofile``);
* ``inv[i, j] = INVERT MATRIX(a[i, j], n)``: ``invert_matrix_element(i, j, n,
  a's elements row by row)``;
* VECTOR SELECT over ``d!``: gysim expressions of every element's terms
  (:func:`vector_select`).

The converter calls these in the element-by-element reading only. The
native reading has its own: the allocations along a dimension
(:mod:`gysim.io.native_allocation`), VECTOR SELECT and INVERT MATRIX of a
constant (:mod:`gysim.io.native_refs`); INVERT MATRIX of variables needs
this reading. A constant ``ptype`` that gysim does not compute is refused here
too, so that ``gysim check`` lists it.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import TYPE_CHECKING, Any, Callable

from ..allocation import profile_refusal
from ..errors import ModelDefinitionError
from ..expr import BinOp, Call, Compare, Const, Node
from . import functions
from .names import reference_key

if TYPE_CHECKING:
    from .convert import Converter

__all__ = ["CALLS", "CONSTRUCTS"]


def _refused(conv: Converter, what: str, detail: str, owner: str) -> ModelDefinitionError:
    """The reader's refusal of the function ``what`` in ``owner``, saying why."""
    return ModelDefinitionError(f"{conv.fail(f'the function {what}', owner)}: {detail}")


def _ranges_of(conv: Converter, ref: Any, what: str, owner: str) -> list[str | None]:
    """The range of each subscript of a reference (None for a label)."""
    if type(ref).__name__ != "ReferenceStructure" or ref.subscripts is None:
        raise _refused(conv, what, "its vector arguments must be subscripted variables", owner)
    return [conv.subs.range_canon.get(reference_key(str(s).strip()))
            for s in ref.subscripts.subscripts]


def _current(conv: Converter, ref: Any, pos: int, owner: str) -> str:
    """The label a reference's subscript ``pos`` means for the element being defined."""
    return conv.resolve_one(ref.subscripts.subscripts[pos], pos, ref.reference, owner)


def _each(conv: Converter, ranges: list[str], func: Callable[[], Node]) -> list[Node]:
    """``func()`` with the ``ranges`` bound to each combination of their labels in turn."""
    saved = conv.binding
    out = []
    try:
        for combo in itertools.product(*(conv.subs.ranges[r] for r in ranges)):
            conv.binding = {**saved, **dict(zip(ranges, combo))}
            out.append(func())
    finally:
        conv.binding = saved
    return out


def _vector(conv: Converter, refs: list[Any], what: str, owner: str) -> tuple[str, int]:
    """The range the vectors ``refs`` run over (their common last subscript) and the
    position in it of the element being defined."""
    last = {(_ranges_of(conv, ref, what, owner) or [None])[-1] for ref in refs}
    rng = last.pop() if len(last) == 1 else None
    if rng is None:
        raise _refused(conv, what, "its vectors must end with the same subscript range",
                       owner)
    label = _current(conv, refs[0], len(refs[0].subscripts.subscripts) - 1, owner)
    if label not in conv.subs.ranges[rng]:
        raise _refused(conv, what, f"the element defined, '{label}', is not in its vectors' "
                       f"range '{rng}'", owner)
    return rng, conv.subs.ranges[rng].index(label)


def _size_matches(conv: Converter, size: Any, n: int, what: str, owner: str) -> None:
    try:
        value = conv.evaluate(conv.conv(size, owner), {})
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        return  # a size that is not constant: Vensim takes the range's size
    if value != n:
        raise _refused(conv, what, f"its size is {value:g}, its range has {n} elements", owner)


def allocate_by_priority(conv: Converter, ast: Any, owner: str) -> Node:
    """ALLOCATE BY PRIORITY(request, priority, size, width, supply), element by element."""
    what = "ALLOCATE BY PRIORITY"
    rng, k = _vector(conv, [ast.request, ast.priority], what, owner)
    n = len(conv.subs.ranges[rng])
    _size_matches(conv, ast.size, n, what, owner)
    requests = _each(conv, [rng], lambda: conv.conv(ast.request, owner))
    priorities = _each(conv, [rng], lambda: conv.conv(ast.priority, owner))
    return Call("allocate_by_priority_element", (Const(float(k)), Const(float(n)),
                                          conv.conv(ast.width, owner),
                                          conv.conv(ast.supply, owner), *requests, *priorities))


def _profile_field(conv: Converter, pp: Any, offset: int, owner: str) -> Any:
    """``pp`` with its last subscript (a label of the profile range) moved ``offset``
    labels on: ``pp[b, ptype]`` -> ``pp[b, ppriority]``."""
    text = str(pp.subscripts.subscripts[-1]).strip()
    label = conv.subs.label_canon.get(reference_key(text))
    family = [r for r, labels in conv.subs.ranges.items() if label in labels]
    if label is None or not family:
        raise _refused(conv, "ALLOCATE AVAILABLE", f"its profile subscript '{text}' must be "
                       f"an element of a range", owner)
    labels = max((conv.subs.ranges[r] for r in family), key=len)
    at = labels.index(label) + offset
    if at >= len(labels):
        raise _refused(conv, "ALLOCATE AVAILABLE", f"its profile range needs ppriority and "
                       f"pwidth after '{text}'", owner)
    subs = tuple(pp.subscripts.subscripts[:-1]) + (labels[at],)
    return dataclasses.replace(pp, subscripts=dataclasses.replace(pp.subscripts,
                                                                  subscripts=subs))


def _profile_supported(conv: Converter, ptype: Node, owner: str) -> None:
    """Refuse a constant ptype that is not a profile gysim computes (1-4)."""
    try:
        code = conv.evaluate(ptype, {})
    except (KeyError, TypeError, ValueError, ZeroDivisionError, ModelDefinitionError):
        return  # not constant: checked when the allocation is computed
    why = profile_refusal(code)
    if why is not None:
        raise _refused(conv, "ALLOCATE AVAILABLE", f"{why}; gysim computes ptype 1 "
                       f"(rectangular), 2 (triangular), 3 (normal) and 4 (exponential)", owner)


def allocate_available(conv: Converter, ast: Any, owner: str) -> Node:
    """ALLOCATE AVAILABLE(request, pp, avail), element by element."""
    what = "ALLOCATE AVAILABLE"
    ranges = _ranges_of(conv, ast.pp, what, owner)
    if len(ranges) < 2 or ranges[-1] is not None:
        raise _refused(conv, what, "its priority profile must end with a profile element "
                       "such as ptype", owner)
    rng, k = _vector(conv, [ast.request], what, owner)
    if ranges[-2] != rng:
        raise _refused(conv, what, f"its priority profile's second last subscript must be "
                       f"the request's last ('{rng}')", owner)
    n = len(conv.subs.ranges[rng])
    args: list[Node] = _each(conv, [rng], lambda: conv.conv(ast.request, owner))
    for offset in range(3):  # ptype, ppriority, pwidth
        field = _profile_field(conv, ast.pp, offset, owner)
        values = _each(conv, [rng], lambda: conv.conv(field, owner))
        for ptype in values if offset == 0 else ():
            _profile_supported(conv, ptype, owner)
        args += values
    return Call("allocate_available_element", (Const(float(k)), Const(float(n)),
                                        conv.conv(ast.avail, owner), *args))


def invert_matrix(conv: Converter, args: list, owner: str) -> Node:
    """INVERT MATRIX(a[d1, d2], size), element by element."""
    what = "INVERT MATRIX"
    if len(args) != 2:
        raise _refused(conv, what, f"it takes 2 arguments, got {len(args)}", owner)
    ranges = _ranges_of(conv, args[0], what, owner)
    if len(ranges) < 2 or None in ranges[-2:]:
        raise _refused(conv, what, "the last two subscripts of its matrix must be ranges", owner)
    rows, cols = ranges[-2:]
    if rows == cols:
        raise _refused(conv, what, f"its matrix is subscripted by the range '{rows}' twice "
                       f"(use a copy of the range for the columns, e.g. {rows}2 <-> {rows})",
                       owner)
    n = len(conv.subs.ranges[rows])
    if len(conv.subs.ranges[cols]) != n:
        raise _refused(conv, what, f"its matrix is {n} by {len(conv.subs.ranges[cols])} "
                       f"(it must be square)", owner)
    _size_matches(conv, args[1], n, what, owner)
    last = len(ranges) - 1
    i = conv.subs.ranges[rows].index(_current(conv, args[0], last - 1, owner))
    j = conv.subs.ranges[cols].index(_current(conv, args[0], last, owner))
    entries = _each(conv, [rows, cols], lambda: conv.conv(args[0], owner))
    return Call("invert_matrix_element",
                (Const(float(i)), Const(float(j)), Const(float(n)), *entries))


#: VECTOR SELECT's numerical actions: (reduction, weighted, neutral value): the
#: selected terms are ``selection * expression`` (weighted; action 5: ``expression ^
#: selection``) or the expression alone, reduced by sum/prod/min/max or averaged.
ACTIONS = {0: ("sum", "*", 0.0), 1: ("prod", "*", 1.0), 2: ("vmin", "*", 1e300),
            3: ("vmax", "*", -1e300), 4: ("mean", "*", 0.0), 5: ("prod", "**", 1.0),
            6: ("sum", None, 0.0), 7: ("prod", None, 1.0), 8: ("vmin", None, 1e300),
            9: ("vmax", None, -1e300), 10: ("mean", None, 0.0)}


def vector_select(conv: Converter, args: list, owner: str) -> Node:
    """VECTOR SELECT(selection[d!], expression[d!], missing, action, error action).

    Over the elements whose selection is not 0 (Vensim's reference): actions 0-3
    the sum, product, minimum and maximum of ``selection * expression``, 4 their
    average, 5 the product of ``expression ^ selection``, 6-9 the sum, product,
    minimum and maximum of the expression, 10 its average; ``missing`` when
    nothing is selected. Error actions 1 (nothing selected), 2 (more than one
    selected) and 3 (either) make the result :NA: (NaN) where they apply, which
    stops the run with an error naming the element.
    """
    what = "VECTOR SELECT"
    if len(args) != 5:
        raise _refused(conv, what, f"it takes 5 arguments, got {len(args)}", owner)
    try:
        action = conv.evaluate(conv.conv(args[3], owner), {})
        error_action = conv.evaluate(conv.conv(args[4], owner), {})
    except (KeyError, TypeError, ValueError, ZeroDivisionError):
        raise _refused(conv, what, "its actions must be constants", owner) from None
    if action not in ACTIONS or error_action not in (0, 1, 2, 3):
        raise _refused(conv, what, f"action {action:g} with error action {error_action:g}: "
                       f"Vensim's are actions 0-10 and error actions 0-3", owner)
    reduce, weight, neutral = ACTIONS[int(action)]
    over = conv.subs.bang_ranges(args[:2], [])
    if not over:
        raise _refused(conv, what, "its arguments must run over a 'dim!' range", owner)

    def pick() -> tuple[Node, Node]:
        selection, expression = conv.conv(args[0], owner), conv.conv(args[1], owner)
        chosen = Compare("!=", selection, Const(0.0))
        term = BinOp(weight, expression if weight == "**" else selection,
                     selection if weight == "**" else expression) if weight else expression
        return (Call("if_then_else", (chosen, term, Const(neutral))),
                Call("if_then_else", (chosen, Const(1.0), Const(0.0))))

    pairs = conv._each_element(over, pick)  # each element bound as 'range!'
    count = functions.join_all("sum", [one for _, one in pairs])
    values = [value for value, _ in pairs]
    if reduce == "mean":
        tree: Node = Call("zidz", (functions.join_all("sum", values), count))
    else:
        tree = functions.join_all(reduce, values)
    tree = Call("if_then_else", (Compare(">", count, Const(0.0)), tree,
                                 conv.conv(args[2], owner)))
    return with_error_action(tree, count, int(error_action))


def with_error_action(tree: Node, count: Node, error_action: int) -> Node:
    """VECTOR SELECT's result with its error action applied to the number selected.

    Error actions 1 (nothing selected), 2 (more than one) and 3 (either) make the
    result :NA: (NaN) where they apply; 0 leaves it as it is.
    """
    bad = {1: Compare("==", count, Const(0.0)), 2: Compare(">", count, Const(1.0)),
           3: Compare("!=", count, Const(1.0))}.get(error_action)
    if bad is None:
        return tree
    return Call("if_then_else", (bad, Call("not_available", ()), tree))


#: PySD's structures read here, by class name (the converter's dispatch table).
CONSTRUCTS = {"AllocateByPriorityStructure": allocate_by_priority,
              "AllocateAvailableStructure": allocate_available}
#: Calls read here, by PySD's key of the function.
CALLS = {"invert_matrix": invert_matrix, "vector_select": vector_select}
