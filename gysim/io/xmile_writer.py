"""Writing gysim models out as XMILE 1.0 files (Stella, iThink, PySD).

:func:`write_xmile` writes the same model as an XMILE 1.0 file: dimensions as
``<dimensions>`` (model level and per variable), arrays of numbers as one
``<element subscript="...">`` per element, references and aggregations as in
the Vensim file (``SUM(x[sector!])``, the form PySD's XMILE translator reads;
``mean`` divides by the number of elements, ``min``/``max`` over a dimension
are XMILE's one-argument ``MIN``/``MAX``).

The builtins' spellings are in :mod:`gysim.io.spellings`; the expression
printer is the Vensim writer's (:class:`gysim.io.vensim_writer.VensimPrinter`)
with XMILE's syntax where it differs.

Examples
--------
>>> import gysim
>>> from gysim.io.xmile_writer import xmile_text
>>> m = gysim.Model("m", start=0, stop=2, dt=1)
>>> m.stock("x", 1.0)
>>> '<stock name="x"><eqn>1</eqn>' in xmile_text(m)
True
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from .._text import format_number
from ..atomic import write_text_atomic
from ..errors import ModelDefinitionError
from ..expr import BinOp, BoolOp, Call, IfExp, UnaryOp
from ..elements import Aux, DataInput, Flow, Lookup, ModelLike, Param, Stock
from .spellings import XMILE_REFUSED, xmile_call
from .vensim_writer import VensimPrinter
from .writing import clean, time_step, unique_name

__all__ = ["write_xmile", "xmile_text", "XmilePrinter"]


class XmilePrinter(VensimPrinter):
    """Prints gysim trees in XMILE syntax (names with spaces as ``_``).

    Examples
    --------
    >>> import gysim
    >>> from gysim.expr import parse
    >>> m = gysim.Model("m")
    >>> m.param("a", 1.0)
    >>> XmilePrinter(m, 1.0).expr(parse("smooth(a, 2) if a >= 1 else a % 2"), "b")
    'IF a >= 1 THEN SMTH1(a, 2) ELSE a MOD 2'
    """

    def name(self, ident: str) -> str:
        return "TIME" if ident == "time" else ident

    def _unary(self, tree: UnaryOp, owner: str) -> str:
        if tree.op == "not":
            return f"NOT {self.atom(tree.operand, owner)}"
        return super()._unary(tree, owner)

    def _boolop(self, tree: BoolOp, owner: str) -> str:
        joiner = " AND " if tree.op == "and" else " OR "
        return joiner.join(self.atom(v, owner) for v in tree.values)

    def _ifexp(self, tree: IfExp, owner: str) -> str:
        return (f"IF {self.expr(tree.test, owner)} THEN {self.expr(tree.body, owner)} "
                f"ELSE {self.expr(tree.orelse, owner)}")

    def _binop(self, tree: BinOp, owner: str) -> str:
        if tree.op == "%":
            return f"{self.atom(tree.left, owner)} MOD {self.atom(tree.right, owner)}"
        return super()._binop(tree, owner)

    def aggregate(self, tree: Call, owner: str) -> str:
        """``sum(x, d)`` -> ``SUM(x[d!])``; ``mean`` divides by the number of elements."""
        if tree.func != "mean":
            text = super().aggregate(tree, owner)
            return text.replace("VMIN(", "MIN(", 1).replace("VMAX(", "MAX(", 1) \
                if tree.func in ("min", "max") else text
        count, inner = 1, tree
        while isinstance(inner, Call) and inner.func == "mean" \
                and self.aggregated_dim(inner) is not None:
            count *= len(self.dimensions[self.aggregated_dim(inner)])
            inner = inner.args[0]
        text = super().aggregate(tree, owner)
        return f"{text.rsplit(' / ', 1)[0]} / {count}"

    def missing_function(self, func: str) -> str:
        if func in XMILE_REFUSED:
            return f"the function `{func}` (write a Vensim file instead)"
        return super().missing_function(func)

    #: How a builtin call is written (see :mod:`gysim.io.spellings`).
    spell = staticmethod(xmile_call)


def _xml_elements(model: ModelLike, dims: tuple[str, ...], values) -> str:
    """One ``<element subscript="a,b">`` per element of an array of numbers over ``dims``."""
    array = np.asarray(values, dtype=float)
    out = []
    for index in np.ndindex(*array.shape):
        labels = ",".join(model.dimensions[d][i] for d, i in zip(dims, index))
        out.append(f"<element subscript={quoteattr(labels)}><eqn>{format_number(float(array[index]))}"
                   f"</eqn></element>")
    return "".join(out)


def _xml_units(element) -> str:
    units = clean(element.units)
    return f"<units>{escape(units)}</units>" if units else ""


def xmile_text(model: ModelLike, *, dt: float | None = None) -> str:
    """The XMILE 1.0 text of a model (what :func:`write_xmile` writes).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=4, dt=1)
    >>> m.stock("x", 1.0)
    >>> m.flow("f", "x / 2 if time > 1 else 0", into="x")
    >>> "<eqn>IF TIME &gt; 1 THEN x / 2 ELSE 0</eqn>" in xmile_text(m)
    True
    """
    if not isinstance(model, ModelLike):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    if getattr(model, "final_time_variable", None):  # XMILE's stop is a number
        raise ModelDefinitionError(
            f"model '{model.name}' ends its runs at the variable '{model.final_time_variable}' "
            f"(a FINAL TIME that changes during the run), which XMILE's <stop> cannot say; "
            f"write a Vensim file, or give the model a constant stop")
    step = time_step(model, dt)
    printer = XmilePrinter(model, step)
    rows = []
    for name, e in model.elements.items():
        doc = f"<doc>{escape(clean(e.doc))}</doc>" if e.doc else ""
        attr = quoteattr(name)
        dims = printer.dims_of(name)
        shape = "".join(f'<dim name={quoteattr(d)}/>' for d in dims)
        shape = f"<dimensions>{shape}</dimensions>" if dims else ""
        if isinstance(e, Stock):
            links = "".join(f"<inflow>{f}</inflow>" for f, fl in model.flows.items()
                            if fl.into == name)
            links += "".join(f"<outflow>{f}</outflow>" for f, fl in model.flows.items()
                             if fl.out_of == name)
            if e.values is not None:  # one initial value per element: an array constant
                initial = unique_name(f"{name}_initial", model)
                rows.append(f"<aux name={quoteattr(initial)}>{shape}"
                            f"{_xml_elements(model, dims, e.values)}{_xml_units(e)}</aux>")
                init = f"<eqn>{escape(printer.name(initial) + printer.subscripts(dims))}</eqn>"
            else:
                init = f"<eqn>{escape(printer.expr(e.initial, name))}</eqn>"
            rows.append(f'<stock name={attr}>{shape}{init}{links}{_xml_units(e)}{doc}</stock>')
        elif isinstance(e, Param):
            value = (_xml_elements(model, dims, e.value) if dims
                     else f"<eqn>{format_number(float(e.value))}</eqn>")
            rows.append(f"<aux name={attr}>{shape}{value}{_xml_units(e)}{doc}</aux>")
        elif isinstance(e, Flow):
            rows.append(f"<flow name={attr}>{shape}<eqn>{escape(printer.expr(e.tree, name))}"
                        f"</eqn>{_xml_units(e)}{doc}</flow>")
        elif isinstance(e, Aux):
            rows.append(f"<aux name={attr}>{shape}<eqn>{escape(printer.expr(e.tree, name))}"
                        f"</eqn>{_xml_units(e)}{doc}</aux>")
        elif isinstance(e, (Lookup, DataInput)):
            xs, ys = (e.x, e.y) if isinstance(e, Lookup) else (e.times, e.values)
            arg = "" if isinstance(e, Lookup) else "TIME"
            xpts = ",".join(format_number(float(v)) for v in xs)
            ypts = ",".join(format_number(float(v)) for v in ys)
            if isinstance(e, Lookup):  # a graphical function of its own, called by name
                rows.append(f"<gf name={attr}><xpts>{xpts}</xpts><ypts>{ypts}</ypts>"
                            f"{_xml_units(e)}{doc}</gf>")
            else:
                rows.append(f"<aux name={attr}><eqn>{arg}</eqn><gf><xpts>{xpts}</xpts>"
                            f"<ypts>{ypts}</ypts></gf>{_xml_units(e)}{doc}</aux>")
    ranges = "".join(
        f"<dim name={quoteattr(d)}>" + "".join(f"<elem name={quoteattr(x)}/>" for x in labels)
        + "</dim>" for d, labels in model.dimensions.items())
    ranges = f"<dimensions>{ranges}</dimensions>\n" if ranges else ""
    time_units = quoteattr(clean(model.time_units) or "Year")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<xmile version="1.0" xmlns="http://docs.oasis-open.org/xmile/ns/XMILE/v1.0">\n'
        f"<header><name>{escape(clean(model.name))}</name><vendor>gysim</vendor>"
        '<product version="1.0">gysim</product></header>\n'
        f'<sim_specs method="Euler" time_units={time_units}><start>{format_number(model.start)}'
        f"</start><stop>{format_number(model.stop)}</stop><dt>{format_number(step)}</dt>"
        f"</sim_specs>\n{ranges}<model><variables>\n" + "\n".join(rows)
        + "\n</variables></model>\n</xmile>\n")


def write_xmile(model: ModelLike, path: str | Path, *, dt: float | None = None) -> Path:
    """Write a model as an XMILE 1.0 file (Stella, iThink, PySD).

    Like :func:`write_vensim`; builtins map onto XMILE's (``smooth`` ->
    ``SMTH1``, ``xidz`` -> ``SAFEDIV``, ``delay_fixed`` -> ``DELAY``,
    ``initial`` -> ``INIT``, ``a if c else b`` -> ``IF c THEN a ELSE b``).
    ``pulse``, ``pulse_train``, ``quantum`` and ``:NA:`` (``spellings.XMILE_REFUSED``) have
    no exact XMILE counterpart and
    raise. Dimensions are written as XMILE arrays (see the module's
    description). Scenarios are not written; parameter bounds are not written.

    Examples
    --------
    >>> import gysim, tempfile, pathlib
    >>> m = gysim.Model("growth", start=0, stop=3, dt=1)
    >>> m.stock("x", 1.0)
    >>> m.flow("inflow", "0.5 * x", into="x")
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_xmile(m, pathlib.Path(tmp) / "growth.xmile")
    ...     ds = gysim.simulate(gysim.read_xmile(path))
    >>> ds.x.values.tolist()
    [1.0, 1.5, 2.25, 3.375]
    """
    path = Path(path)
    write_text_atomic(path, xmile_text(model, dt=dt))
    return path
