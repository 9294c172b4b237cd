"""The readers' table of Vensim/XMILE functions: which gysim builtin each one becomes.

Everything the readers know about the file's function *names* is here (PySD's
translators give a call's function as a reference key such as ``if_then_else``
or ``smooth``): one-to-one renames (:data:`SIMPLE_CALLS`), calls rewritten into
other gysim expressions (:func:`builtin_call`), the builtin chosen by the order of a
SMOOTH/DELAY structure (:data:`SMOOTH_BY_ORDER`, :data:`DELAY_BY_ORDER`),
array reductions over ``dim!`` (:data:`AGGREGATES`) and TREND (:func:`trend`).
How a call's *arguments* are converted (subscripts, lookups, VECTOR SELECT)
is :mod:`gysim.io.convert`'s job.

Examples
--------
>>> from gysim.expr import Const, to_text
>>> to_text(builtin_call("if_then_else", [Const(1.0), Const(2.0), Const(3.0)]))
'if_then_else(1, 2, 3)'
>>> to_text(builtin_call("power", [Const(2.0), Const(3.0)]))
'2 ** 3'
"""

from __future__ import annotations

import math

from ..builtins import BUILTINS
from ..expr import BinOp, Call, Compare, Const, Node, UnaryOp, chain

__all__ = ["SIMPLE_CALLS", "ALIASES", "AGGREGATES", "INITIAL_ARG", "SMOOTH_BY_ORDER",
           "DELAY_BY_ORDER", "NEEDS_TIME_STEP", "builtin_call", "xmile_int", "known",
           "forecast", "join_all", "trend"]

# ----------------------------------------------------------------------------------------
# THE READERS' FUNCTION TABLE (Vensim/XMILE name, as PySD keys it -> gysim builtin),
# derived from the builtins' rows (gysim.builtins), plus the file functions gysim
# writes with operators (PI, POWER, SINH/COSH/TANH)
# ----------------------------------------------------------------------------------------

#: Functions of the file read as a gysim builtin of the same arguments (from the
#: builtins' rows: ``Builtin.vensim``).
SIMPLE_CALLS = {key: b.name for b in BUILTINS.values() for key in b.vensim}
#: Other spellings of a function: XMILE's one-argument MIN/MAX over an array.
ALIASES = {"vmin_xmile": "vmin", "vmax_xmile": "vmax"}
#: Array reductions over ``dim!``: the gysim reduction of a native dimension
#: (``Builtin.array_function``).
AGGREGATES = {b.array_function.lower(): b.name for b in BUILTINS.values() if b.array_function}
#: Stateful builtins whose third argument is only used at initialisation
#: (``Builtin.initial_only``).
INITIAL_ARG = {b.name for b in BUILTINS.values() if 2 in b.initial_only}
#: SMOOTH/SMOOTHI (order 1) and SMOOTH3/SMOOTH3I (order 3), by order.
SMOOTH_BY_ORDER = {b.order: b.name for b in BUILTINS.values() if b.family == "smooth"}
#: DELAY1/DELAY1I and DELAY3/DELAY3I, by order.
DELAY_BY_ORDER = {b.order: b.name for b in BUILTINS.values() if b.family == "delay"}


def _hyperbolic(fname: str, x: Node) -> Node:
    up, down = Call("exp", (x,)), Call("exp", (UnaryOp("-", x),))
    if fname == "tanh":
        return BinOp("/", BinOp("-", up, down), BinOp("+", up, down))
    return BinOp("/", BinOp("-" if fname == "sinh" else "+", up, down), Const(2.0))


#: Bound of the XMILE distributions, which are not truncated.
_UNBOUNDED = 1e300


def _seed(args: list[Node], n: int) -> Node:
    return args[n] if len(args) > n else Const(0.0)


#: XMILE 1.0's statistical functions (section 3.5.5) as gysim's RANDOM builtins:
#: name -> (accepted arities, rewrite(args)); the seed argument is optional.
_XMILE_RANDOM = {
    "normal": ((2, 3), lambda a: Call("random_normal", (
        Const(-_UNBOUNDED), Const(_UNBOUNDED), a[0], a[1], _seed(a, 2)))),
    "random": ((2, 3), lambda a: Call("random_uniform", (a[0], a[1], _seed(a, 2)))),
    "exprnd": ((1, 2), lambda a: Call("random_exponential", (
        Const(0.0), Const(_UNBOUNDED), Const(0.0), a[0], _seed(a, 1)))),
    "poisson": ((1, 2), lambda a: Call("random_poisson", (
        Const(0.0), Const(_UNBOUNDED), a[0], Const(0.0), Const(1.0), _seed(a, 1)))),
    "lognormal": ((2, 3), lambda a: Call("random_lognormal", (
        Const(0.0), Const(_UNBOUNDED), a[0], a[1], _seed(a, 2)))),
    "triangular": ((3, 4), lambda a: Call("random_triangular", (
        a[0], a[2], a[0], a[1], a[2], _seed(a, 3)))),
}

#: A pulse train that never ends (gysim's pulse_train has an end time).
_NEVER = 1e300

#: Functions whose conversion needs the time step: the reader appends it (the
#: file's DT) as the last argument.
NEEDS_TIME_STEP = {"Xpulse", "Xpulse_train"}


def _xmile_pulse(start: Node, magnitude: Node, dt: Node, interval: Node | None = None) -> Node:
    """XMILE 1.0's PULSE(magnitude, first time[, interval]) (PySD keys it ``Xpulse`` with
    (first, magnitude), ``Xpulse_train`` with (first, interval, magnitude)): a pulse one
    DT wide and ``magnitude / DT`` high, so that a stock it flows into gains
    ``magnitude``; repeated every ``interval`` (none if omitted or not positive)."""
    height = BinOp("/", magnitude, dt)
    if interval is None:
        return BinOp("*", height, Call("pulse", (start, dt)))
    return BinOp("*", height, Call("pulse_train", (start, dt, interval, Const(_NEVER))))


#: Calls rewritten into other gysim expressions: name -> (accepts(args), rewrite(args)).
_REWRITTEN = {
    "Xpulse": (lambda args: len(args) == 3, lambda a: _xmile_pulse(a[0], a[1], a[2])),
    "Xpulse_train": (lambda args: len(args) == 4,
                     lambda a: _xmile_pulse(a[0], a[2], a[3], interval=a[1])),
    **{name: (lambda args, n=arities: len(args) in n, rewrite)
       for name, (arities, rewrite) in _XMILE_RANDOM.items()},
    "pi": (lambda args: not args, lambda args: Const(math.pi)),
    "power": (lambda args: len(args) == 2, lambda args: BinOp("**", args[0], args[1])),
    **{name: (lambda args: len(args) == 1,
              lambda args, name=name: _hyperbolic(name, args[0]))
       for name in ("sinh", "cosh", "tanh")},
}


def xmile_int(x: Node) -> Node:
    """XMILE's INT(x): the largest integer not above x (INT(-2.5) = -3), where Vensim's
    INTEGER truncates toward zero (PySD keys both ``integer``).

    Examples
    --------
    >>> from gysim.expr import Name, to_text
    >>> to_text(xmile_int(Name("x")))
    'if_then_else(x < integer(x), integer(x) - 1, integer(x))'
    """
    whole = Call("integer", (x,))
    return Call("if_then_else", (Compare("<", x, whole), BinOp("-", whole, Const(1.0)), whole))


def builtin_call(fname: str, args: list[Node]) -> Node | None:
    """The gysim expression of a call of the file's function ``fname``, or None if unknown.

    Parameters
    ----------
    fname : str
        PySD's key of the function (``"if_then_else"``, ``"pulse_train"``, ...).
    args : list of Node
        The converted arguments.

    Examples
    --------
    >>> from gysim.expr import Name, to_text
    >>> to_text(builtin_call("tanh", [Name("x")]))
    '(exp(x) - exp(-x)) / (exp(x) + exp(-x))'
    >>> builtin_call("get_data_at_time", [Name("x")]) is None
    True
    """
    if fname in _REWRITTEN:
        accepts, rewrite = _REWRITTEN[fname]
        if accepts(args):
            return rewrite(args)
    if fname in SIMPLE_CALLS:
        spec = BUILTINS[SIMPLE_CALLS[fname]]
        return Call(spec.name, tuple(spec.from_file(args) if spec.from_file else args))
    return None


def known(fname: str) -> bool:
    """Whether the reader has a gysim expression for calls of the file's function ``fname``
    (some only for certain numbers of arguments).

    Examples
    --------
    >>> known("if_then_else"), known("tanh"), known("get_data_max")
    (True, True, False)
    """
    return fname in _REWRITTEN or fname in SIMPLE_CALLS


def join_all(fname: str, terms: list[Node]) -> Node:
    """The terms of SUM/PROD/VMIN/VMAX read element by element, joined into one tree.

    However many terms there are, the tree stays shallow: sums and products
    through :func:`gysim.expr.chain`, minima and maxima as ``min``/``max`` calls of
    up to eight arguments nested in a balanced way.

    Examples
    --------
    >>> from gysim.expr import Name, depth, to_text
    >>> to_text(join_all("sum", [Name("a"), Name("b")])), to_text(join_all("vmax", [Name("a"), Name("b")]))
    ('a + b', 'max(a, b)')
    >>> depth(join_all("vmin", [Name(f"x{i}") for i in range(5000)])) < 10
    True
    """
    if fname in ("sum", "prod"):
        op = "+" if fname == "sum" else "*"
        return chain(terms[0], [(op, t) for t in terms[1:]])
    func = fname[1:] if fname.startswith("v") else fname
    width = BUILTINS[func].max_args
    while len(terms) > 1:
        terms = [terms[i] if len(terms[i:i + width]) == 1 else Call(func, tuple(terms[i:i + width]))
                 for i in range(0, len(terms), width)]
    return terms[0]


def trend(x: Node, average_time: Node, initial_trend: Node) -> Node:
    """Vensim's TREND(input, average time, initial trend) in gysim builtins.

    A first-order smooth ``s`` of the input, starting at input / (1 + initial
    trend * average time); TREND = (input - s) / (average time * |s|).

    Examples
    --------
    >>> from gysim.expr import Const, Name, to_text
    >>> to_text(trend(Name("x"), Name("t"), Const(0.0)))
    'zidz(x - smooth(x, t, x / (1 + 0 * t)), t * abs(smooth(x, t, x / (1 + 0 * t))))'
    """
    smooth = Call("smooth", (x, average_time,
                             BinOp("/", x, BinOp("+", Const(1.0),
                                                 BinOp("*", initial_trend, average_time)))))
    return Call("zidz", (BinOp("-", x, smooth), BinOp("*", average_time, Call("abs", (smooth,)))))


def forecast(x: Node, average_time: Node, horizon: Node, initial_trend: Node) -> Node:
    """Vensim's FORECAST(input, average time, horizon): the input extrapolated along
    its TREND (with that average time) over the horizon: input * (1 + trend * horizon).

    Examples
    --------
    >>> from gysim.expr import Const, Name, to_text
    >>> to_text(forecast(Name("x"), Name("t"), Name("h"), Const(0.0)))[:25]
    'x * (1 + zidz(x - smooth('
    """
    return BinOp("*", x, BinOp("+", Const(1.0),
                               BinOp("*", trend(x, average_time, initial_trend), horizon)))
