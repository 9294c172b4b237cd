"""Writing gysim models out as Vensim ``.mdl`` files.

:func:`write_vensim` walks the parsed equation trees of a
:class:`~gysim.Model` and prints them in Vensim's equation language, so that
a colleague with Vensim, Stella (through Vensim import) or PySD can open the
model. Each stock becomes ``INTEG(inflows - outflows, initial)``, parameters
become constants, flows and auxiliaries become auxiliaries, lookups become
named lookups and data inputs become lookups of ``Time``. Units go in the
units field (with a parameter's bounds as Vensim's ``[min,max]`` range), docs
in the comment field. Builtins map onto their Vensim counterparts
(``smooth`` -> ``SMOOTH``/``SMOOTHI``, ``delay_fixed`` -> ``DELAY FIXED``,
``a if c else b`` -> ``IF THEN ELSE(c, a, b)``, ...). Anything without a
Vensim counterpart raises :class:`~gysim.errors.ModelDefinitionError` naming
the element and the construct.

Dimensions become subscript ranges (``sector:\n\tprimary, secondary,
tertiary``). An element with dims is written ``name[sector] = ...`` and every
reference to it carries its subscripts (``value_added_real[sector]``); a
selection ``x[primary]`` stays one; a parameter with one value per element is
a constant list (``is_primary[sector] = 1, 0, 0``; 2-D tables row by row,
``1, 2; 3, 4;``; more dims one table per leading element). Aggregations mark
the dimension they reduce with ``!`` on every name inside:
``sum(x, sector)`` -> ``SUM(x[sector!])``, ``mean`` -> ``SUM(...) /
ELMCOUNT(sector)``, ``prod`` -> ``PROD``, ``min``/``max`` over a dimension
-> ``VMIN``/``VMAX``; directly nested aggregations of one kind collapse
(``SUM(x[a!, b!])``); other nested aggregations are refused.
A stock with one initial value per element gets a constant
``<stock>_initial[dims]`` for its INTEG.

What is not written: scenarios (named sets of overrides) are no part of a
Vensim model file; run them in gysim, or apply one first with
``model.with_params(**model.scenarios[name].overrides)`` and write that model.
The file's sketch (diagram) is drawn from the layout of ``model.diagram()``
(:mod:`gysim.io.vensim_sketch`).

The XMILE writer is :mod:`gysim.io.xmile_writer`; the builtins' spellings
are in :mod:`gysim.io.spellings`.

Examples
--------
>>> import gysim, tempfile, pathlib
>>> from gysim.io.vensim_writer import write_vensim, vensim_text
>>> m = gysim.Model("decay", start=0, stop=5, dt=0.5)
>>> m.stock("x", 1.0, units="kg")
>>> m.param("k", 0.5)
>>> m.flow("outflow", "k * x", out_of="x", units="kg/year")
>>> print(vensim_text(m).split("\\n")[2])
	INTEG(-outflow, 1)
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = write_vensim(m, pathlib.Path(tmp) / "decay.mdl")
...     back = gysim.read_vensim(path)
>>> sorted(back.stocks), back.dt
(['x'], 0.5)
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np

from .._text import format_number
from ..atomic import write_text_atomic
from ..errors import ModelDefinitionError
from ..expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, Node, Subscript,
                    UnaryOp)
from ..elements import Aux, DataInput, Flow, Lookup, ModelLike, Param, Stock
from .spellings import AGGREGATE, VENSIM_FUNCTIONS, vensim_call
from .vensim_sketch import SKETCH_HEADER, sketch_lines
from .writing import DEFAULT_DT, clean, time_step, unique_name, units_text

__all__ = ["write_vensim", "vensim_text", "DEFAULT_DT", "VensimPrinter"]

#: Element names that would collide with Vensim's control variables and ``Time``.
_CONTROL_NAMES = {"initial_time", "final_time", "time_step", "saveper", "time"}

_COMPARE = {"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class VensimPrinter:
    """Prints gysim equation trees in Vensim syntax, for one model.

    :meth:`expr` dispatches on the node's class through :attr:`NODES` (one
    method per kind of node); builtin calls are spelled by
    :func:`gysim.io.spellings.vensim_call`. :class:`gysim.io.xmile_writer.XmilePrinter`
    overrides the methods where XMILE differs.

    Examples
    --------
    >>> import gysim
    >>> from gysim.expr import parse
    >>> m = gysim.Model("m")
    >>> m.param("a", 1.0)
    >>> VensimPrinter(m, 1.0).expr(parse("smooth(a, 2) if a >= 1 else -a"), "b")
    'IF THEN ELSE(a >= 1, SMOOTH(a, 2), -a)'
    """

    def __init__(self, model: ModelLike, dt: float) -> None:
        self.model = model
        self.dt = dt
        self.dimensions = dict(model.dimensions)
        self.label_dim = {label: dim for dim, labels in self.dimensions.items()
                          for label in labels}
        #: Dimensions aggregated over by the enclosing SUM/PROD/VMIN/VMAX (written ``dim!``).
        self.banged: tuple[str, ...] = ()
        self.check_names()

    def check_names(self) -> None:
        """Refuse element names the file's language reserves."""
        for name in self.model.elements:
            if name.lower() in _CONTROL_NAMES:
                raise ModelDefinitionError(
                    f"element '{name}' of model '{self.model.name}' has the name of a Vensim "
                    f"control variable; rename it before writing a Vensim file")

    def name(self, ident: str) -> str:
        if ident == "time":
            return "Time"
        if ident.lower() in VENSIM_FUNCTIONS:
            return f'"{ident}"'
        return ident

    def fail(self, owner: str, construct: str) -> ModelDefinitionError:
        return ModelDefinitionError(
            f"element '{owner}' of model '{self.model.name}' uses {construct}, which has no "
            f"Vensim equivalent; rewrite it before writing a Vensim file")

    def dims_of(self, ident: str) -> tuple[str, ...]:
        element = self.model.elements.get(ident)
        return tuple(getattr(element, "dims", ()) or ())

    def subscripts(self, dims: tuple[str, ...], chosen: dict[str, str] | None = None) -> str:
        """``[d1, d2!]``: a label where ``chosen`` selects one, ``dim!`` where aggregated."""
        chosen = chosen or {}
        parts = []
        for d in dims:
            if d in chosen:
                parts.append(self.name(chosen[d]))
            else:
                parts.append(self.name(d) + ("!" if d in self.banged else ""))
        return f"[{', '.join(parts)}]" if parts else ""

    def reference(self, ident: str) -> str:
        """A reference to an element, with its subscripts if it has dimensions."""
        return self.name(ident) + self.subscripts(self.dims_of(ident))

    def selection(self, tree: Subscript, owner: str) -> str:
        base = tree.value.id
        chosen = {}
        for label in tree.labels:
            if label not in self.label_dim:
                raise self.fail(owner, f"the unknown element label '{label}'")
            chosen[self.label_dim[label]] = label
        return self.name(base) + self.subscripts(self.dims_of(base), chosen)

    def aggregated_dim(self, tree: Call) -> str | None:
        if tree.func not in AGGREGATE or len(tree.args) != 2:
            return None
        dim = tree.args[1]
        if isinstance(dim, Name) and dim.id in self.dimensions \
                and tree.func not in self.model.elements:
            return dim.id
        return None

    def aggregate(self, tree: Call, owner: str) -> str:
        """``sum(x, d)`` -> ``SUM(x[d!])``; directly nested sums over several dims collapse."""
        func, dims, inner = tree.func, [], tree
        while isinstance(inner, Call) and inner.func == func \
                and self.aggregated_dim(inner) is not None:
            dims.append(self.aggregated_dim(inner))
            inner = inner.args[0]
        if self.banged:
            raise self.fail(owner, f"`{func}` over '{dims[0]}' inside an aggregation over "
                                   f"'{self.banged[0]}' (only directly nested aggregations "
                                   f"of one kind, e.g. sum(sum(x, a), b), can be written)")
        self.banged = tuple(dims)
        try:
            text = self.expr(inner, owner)
        finally:
            self.banged = ()
        text = f"{AGGREGATE[func]}({text})"
        if func == "mean":
            count = " * ".join(f"ELMCOUNT({self.name(d)})" for d in dims)
            text = f"{text} / ({count})" if len(dims) > 1 else f"{text} / {count}"
        return text

    def atom(self, tree: Node, owner: str) -> str:
        """An operand: bracketed unless it is a name, a call or a non-negative number."""
        text = self.expr(tree, owner)
        if isinstance(tree, Call) and tree.func == "mean" and self.aggregated_dim(tree):
            return f"({text})"
        if isinstance(tree, (Name, Call, Subscript)) or (
                isinstance(tree, Const) and tree.value >= 0):
            return text
        return f"({text})"

    # -------------------------------------------------------------- nodes
    def expr(self, tree: Node, owner: str) -> str:
        """The text of a tree."""
        method = self.NODES.get(type(tree))
        if method is None:  # pragma: no cover - every node kind is in the table
            raise self.fail(owner, f"the expression {tree!r}")
        return getattr(self, method)(tree, owner)

    def _const(self, tree: Const, owner: str) -> str:
        if not math.isfinite(tree.value):
            raise self.fail(owner, f"the non-finite number {tree.value}")
        return format_number(tree.value)

    def _name(self, tree: Name, owner: str) -> str:
        if tree.id in self.dimensions:
            raise self.fail(owner, f"the dimension '{tree.id}' outside an aggregation")
        return self.reference(tree.id)

    def _binop(self, tree: BinOp, owner: str) -> str:
        left, right = self.atom(tree.left, owner), self.atom(tree.right, owner)
        if tree.op == "**":
            return f"{left} ^ {right}"
        if tree.op == "%":
            return f"MODULO({self.expr(tree.left, owner)}, {self.expr(tree.right, owner)})"
        if tree.op in "+-*/":
            # Sums and products keep their left operand unbracketed (left-associative).
            if tree.op in "+-" and isinstance(tree.left, BinOp) and tree.left.op in "+-*/":
                left = self.expr(tree.left, owner)
            elif tree.op in "*/" and isinstance(tree.left, BinOp) and tree.left.op in "*/":
                left = self.expr(tree.left, owner)
            if tree.op == "+" and isinstance(tree.right, BinOp) and tree.right.op in "*/":
                right = self.expr(tree.right, owner)
            elif tree.op == "-" and isinstance(tree.right, BinOp) and tree.right.op in "*/":
                right = self.expr(tree.right, owner)
            return f"{left} {tree.op} {right}"
        raise self.fail(owner, f"the operator '{tree.op}'")

    def _unary(self, tree: UnaryOp, owner: str) -> str:
        if tree.op == "not":
            return f":NOT: {self.atom(tree.operand, owner)}"
        return f"{tree.op}{self.atom(tree.operand, owner)}"

    def _compare(self, tree: Compare, owner: str) -> str:
        return (f"{self.atom(tree.left, owner)} {_COMPARE[tree.op]} "
                f"{self.atom(tree.right, owner)}")

    def _boolop(self, tree: BoolOp, owner: str) -> str:
        joiner = " :AND: " if tree.op == "and" else " :OR: "
        return joiner.join(self.atom(v, owner) for v in tree.values)

    def _ifexp(self, tree: IfExp, owner: str) -> str:
        return (f"IF THEN ELSE({self.expr(tree.test, owner)}, "
                f"{self.expr(tree.body, owner)}, {self.expr(tree.orelse, owner)})")

    def call(self, tree: Call, owner: str) -> str:
        """A call: an aggregation over a dimension, a lookup, or a builtin."""
        func = tree.func
        if self.aggregated_dim(tree) is not None:
            return self.aggregate(tree, owner)
        args = [self.expr(a, owner) for a in tree.args]
        element = self.model.elements.get(func)
        if isinstance(element, Lookup):
            return f"{self.name(func)}({args[0]})"
        text = self.spell(func, args, lambda i: self.atom(tree.args[i], owner))
        if text is None:
            raise self.fail(owner, self.missing_function(func))
        return text

    def missing_function(self, func: str) -> str:
        """How an error names a builtin the language has no counterpart for."""
        return f"the function `{func}`"

    #: How a builtin call is written (see :mod:`gysim.io.spellings`).
    spell: Callable[[str, list[str], Callable[[int], str]], str | None] = \
        staticmethod(vensim_call)

    #: One method per kind of node.
    NODES = {Const: "_const", Name: "_name", Subscript: "selection", BinOp: "_binop",
             UnaryOp: "_unary", Compare: "_compare", BoolOp: "_boolop", IfExp: "_ifexp",
             Call: "call"}


def _table(xs, ys) -> str:
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    points = ",".join(f"({format_number(float(x))},{format_number(float(y))})" for x, y in zip(xs, ys))
    return (f"[({format_number(lo_x)},{format_number(lo_y)})-({format_number(hi_x)},{format_number(hi_y)})],"
            f"{points}")


def _units(element) -> str:
    units = units_text(element.units)
    bounds = getattr(element, "bounds", None)
    if bounds is not None:
        lo, hi = (format_number(float(b)) if math.isfinite(b) else "?" for b in bounds)
        units = f"{units} [{lo},{hi}]".strip()
    return units


def _constant_list(values, owner: str, printer: VensimPrinter) -> str:
    """Vensim's constant list of a 1-D (``1, 0, 0``) or 2-D (``1, 2; 3, 4;``) array."""
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        raise printer.fail(owner, "a non-finite value")
    if array.ndim == 1:
        return ", ".join(format_number(float(v)) for v in array)
    return " ".join(", ".join(format_number(float(v)) for v in row) + ";" for row in array)


def _field(text: str) -> str:
    """A units or comment field: a final backslash would join the next line (Vensim's
    line continuation), so it gets a space after it."""
    return text + " " if text.endswith("\\") else text


def _entry(lhs: str, equation: str, units: str, doc: str, *, sign: str = " =") -> str:
    return f"{lhs}{sign}\n\t{equation}\n\t~\t{_field(units)}\n\t~\t{_field(doc)}\n\t|\n"


def _saveper(model: ModelLike, step: float, saveper: float | None) -> str:
    value = model.saveper if saveper is None else saveper
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ModelDefinitionError(f"`saveper` must be a positive number, got {value!r}")
    ratio = value / step
    if abs(ratio - round(ratio)) <= 1e-9 * max(1.0, ratio) and round(ratio) >= 1:
        return format_number(float(value))
    if saveper is not None:
        raise ModelDefinitionError(
            f"`saveper` ({saveper:g}) must be a whole multiple of the time step ({step:g})")
    return "TIME STEP"  # the model's own saveper does not fit this time step


def vensim_text(model: ModelLike, *, dt: float | None = None,
                saveper: float | None = None) -> str:
    """The Vensim ``.mdl`` text of a model (what :func:`write_vensim` writes).

    Parameters
    ----------
    model : Model
        The model.
    dt : float, optional
        TIME STEP of the file; default the model's ``dt``, or
        :data:`DEFAULT_DT` (0.125) for a model without one.
    saveper : float, optional
        SAVEPER of the file, a whole multiple of the time step; default the
        model's ``saveper`` if it is one, else the time step.

    Returns
    -------
    str

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=4)
    >>> m.param("a", 2.0, bounds=(0, None))
    >>> m.aux("b", "a ** 2 if time > 1 else -a")
    >>> text = vensim_text(m)
    >>> "IF THEN ELSE(Time > 1, a ^ 2, -a)" in text, "TIME STEP =\\n\\t0.125" in text
    (True, True)

    With a dimension:

    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.param("w", {"primary": 1, "secondary": 3}, dims=("sector",))
    >>> m.aux("share", "w / sum(w, sector)", dims=("sector",))
    >>> text = vensim_text(m)
    >>> "sector:\\n\\tprimary, secondary\\n" in text, "w[sector] =\\n\\t1, 3\\n" in text
    (True, True)
    >>> "share[sector] =\\n\\tw[sector] / SUM(w[sector!])\\n" in text
    True
    """
    if not isinstance(model, ModelLike):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    step = time_step(model, dt)
    printer = VensimPrinter(model, step)
    flows_in: dict[str, list[str]] = {s: [] for s in model.stocks}
    flows_out: dict[str, list[str]] = {s: [] for s in model.stocks}
    for name, flow in model.flows.items():
        if flow.into:
            flows_in[flow.into].append(name)
        if flow.out_of:
            flows_out[flow.out_of].append(name)
    parts = ["{UTF-8}\n"]
    for dim, labels in model.dimensions.items():
        parts.append(f"{printer.name(dim)}:\n\t{', '.join(printer.name(x) for x in labels)}"
                     f"\n\t~\t\n\t~\t\n\t|\n")
    for name, e in model.elements.items():
        dims = printer.dims_of(name)
        lhs, doc, units = printer.reference(name), clean(e.doc), _units(e)
        if isinstance(e, Stock):
            rate = " + ".join(printer.reference(f) for f in flows_in[name])
            for f in flows_out[name]:
                rate += f" - {printer.reference(f)}" if rate else f"-{printer.reference(f)}"
            if e.values is not None:  # one initial value per element: a constant list
                initial = unique_name(f"{name}_initial", model)
                init_text = printer.name(initial) + printer.subscripts(dims)
                parts.append(_entry(init_text, _constant_list(e.values, name, printer), units,
                                    clean(f"initial value of {name}")))
            else:
                init_text = printer.expr(e.initial, name)
            equation = f"INTEG({rate or '0'}, {init_text})"
        elif isinstance(e, Param):
            if dims and len(dims) > 2:  # Vensim's tables are 2-D: one per leading element
                values = np.asarray(e.value, dtype=float)
                for index in np.ndindex(*values.shape[:-2]):
                    chosen = {d: model.dimensions[d][i] for d, i in zip(dims, index)}
                    parts.append(_entry(printer.name(name) + printer.subscripts(dims, chosen),
                                        _constant_list(values[index], name, printer),
                                        units, doc))
                continue
            equation = (_constant_list(e.value, name, printer) if dims
                        else format_number(float(e.value)))
        elif isinstance(e, (Flow, Aux)):
            equation = printer.expr(e.tree, name)
        elif isinstance(e, Lookup):
            parts.append(_entry(f"{lhs}(", f"{_table(e.x, e.y)})", units, doc, sign=""))
            continue
        elif isinstance(e, DataInput):
            equation = f"WITH LOOKUP(Time, ({_table(e.times, e.values)}))"
            doc = clean(f"{e.doc} (time series input)")
        else:  # pragma: no cover - every element kind is handled above
            raise ModelDefinitionError(f"element '{name}' of kind {e.kind} cannot be written")
        parts.append(_entry(lhs, equation, units, doc))
    time_units = units_text(model.time_units) or "Year"
    parts.append("********************************************************\n\t.Control\n"
                 "********************************************************~\n"
                 "\t\tSimulation Control Parameters\n\t|\n")
    parts.append(_entry("INITIAL TIME", format_number(model.start), time_units,
                        "The initial time for the simulation."))
    ends_at = getattr(model, "final_time_variable", None)  # a FINAL TIME of the run
    parts.append(_entry("FINAL TIME", printer.name(ends_at) if ends_at else
                        format_number(model.stop), time_units, "The final time for the simulation."))
    parts.append(_entry("TIME STEP", format_number(step), f"{time_units} [0,?]",
                        "The time step for the simulation."))
    parts.append(_entry("SAVEPER", _saveper(model, step, saveper), f"{time_units} [0,?]",
                        "The frequency with which output is stored."))
    sketch = "\n".join([SKETCH_HEADER] + sketch_lines(model, printer.name))
    return "".join(parts[:1]) + "\n".join(parts[1:]) + (
        "\n\\\\\\---/// Sketch information - do not modify anything except names\n"
        "V300  Do not put anything below this section - it will be ignored\n"
        f"*View 1\n{sketch}\n///---\\\\\\\n")


def write_vensim(model: ModelLike, path: str | Path, *, dt: float | None = None,
                 saveper: float | None = None) -> Path:
    """Write a model as a Vensim ``.mdl`` file.

    Stocks become ``INTEG(inflows - outflows, initial)``, parameters constants
    (with their bounds as the units field's ``[min,max]`` range), flows and
    auxiliaries auxiliaries, lookups named lookups, data inputs lookups of
    ``Time``; units and docs go in the units and comment fields; the control
    section holds INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER. Element names
    are written as they are (Vensim reads ``_`` as a space), so
    :func:`gysim.read_vensim` gives the same names back.

    Dimensions become subscript ranges, subscripted elements
    ``name[dim] = ...`` with subscripted references, per-element parameter
    values constant lists, aggregations ``SUM``/``PROD``/``VMIN``/``VMAX``
    over ``dim!`` (see the module's description).

    Scenarios are not written (a Vensim file has no place for them): write
    ``model.with_params(**model.scenarios[name].overrides)`` to get a file of
    one scenario. No diagram (sketch) is written.

    Parameters
    ----------
    model : Model
        The model to write.
    path : str or pathlib.Path
        The ``.mdl`` file to write (overwritten if it exists).
    dt : float, optional
        TIME STEP of the file; default the model's ``dt``, or 0.125
        (:data:`DEFAULT_DT`) for a model without one. Vensim and PySD run the
        file with Euler's method at this step.
    saveper : float, optional
        SAVEPER of the file (a whole multiple of the time step); default the
        model's ``saveper`` if it is one, else the time step.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ModelDefinitionError
        If an equation uses something with no Vensim equivalent, or an
        element is named like a Vensim control variable, naming the element.

    Examples
    --------
    >>> import gysim, tempfile, pathlib
    >>> m = gysim.Model("growth", start=0, stop=3, dt=1)
    >>> m.stock("x", 1.0)
    >>> m.flow("inflow", "0.5 * x", into="x")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_vensim(m, pathlib.Path(tmp) / "growth.mdl")
    ...     ds = gysim.simulate(gysim.read_vensim(path))
    >>> ds.x.values.tolist()
    [1.0, 1.5, 2.25, 3.375]
    """
    path = Path(path)
    text = vensim_text(model, dt=dt, saveper=saveper)
    write_text_atomic(path, text)
    return path
