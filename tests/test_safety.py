"""Equations and model files are data: property tests that parsing never runs anything.

Hypothesis generates equation strings (random text, and text assembled from
Python constructs the parser must refuse: attribute access, dunder names,
lambdas, comprehensions, imports, f-strings, walrus, starred calls, very deep
nesting, huge numbers) and checks that :func:`gysim.expr.parse` either
returns a tree made only of the whitelisted node classes or raises
:class:`~gysim.errors.ModelDefinitionError`, that nothing it was given is
executed, and that compiling a model built from accepted trees raises only
gysim's own errors.
"""

from __future__ import annotations

import builtins
import math
import sys
import time
import types

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import gysim
import gysim.units
from gysim.builtins import BUILTINS
from gysim.errors import GysimError, ModelDefinitionError
from gysim.expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, MAX_DEPTH, Name, UnaryOp,
                        parse, to_text, walk)

ALLOWED = (Const, Name, Call, BinOp, UnaryOp, Compare, BoolOp, IfExp)
SETTINGS = settings(max_examples=300, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

# ------------------------------------------------------------------ the sentinel
# If any equation text were evaluated, these would record it: a module that
# `__import__('gysim_sentinel')` would find, and a builtin `gysim_fire()`.
FIRED: list[str] = []


def _fire(*args, **kwargs):
    FIRED.append(repr(args))
    return 1


@pytest.fixture(autouse=True, scope="module")
def sentinel():
    module = types.ModuleType("gysim_sentinel")
    module.fire = module.system = module.read = _fire
    sys.modules["gysim_sentinel"] = module
    builtins.gysim_fire = _fire
    yield
    del sys.modules["gysim_sentinel"]
    del builtins.gysim_fire


# ------------------------------------------------------------------ strategies
IDENT = st.sampled_from(["x", "k", "gdp", "a", "time", "gysim_fire", "exp", "max", "smooth",
                         "step", "tab", "os", "sys", "eval", "exec", "open", "print", "np"])
DUNDER = st.sampled_from(["__import__", "__class__", "__builtins__", "__subclasses__",
                          "__globals__", "__dict__", "_private", "__init__", "__mro__"])
ATOM = st.one_of(
    IDENT, DUNDER,
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e999", "-1e999", "9" * 400, "0x1F", "1_000", "1j", "True", "None",
                     "...", "'s'", "b'b'", "nan", "inf", "0.0"]),
)

UNSAFE = [
    "__import__('gysim_sentinel').fire()",
    "gysim_sentinel.fire()",
    "(lambda: gysim_fire())()",
    "[gysim_fire() for _ in range(3)]",
    "{gysim_fire(): 1}",
    "f'{gysim_fire()}'",
    "(y := gysim_fire())",
    "gysim_fire(*[1])",
    "gysim_fire(**{})",
    "gysim_fire(x=1)",
    "x.__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "import os",
    "exec('gysim_fire()')",
    "eval('1')",
    "yield x",
    "await x",
    "x[0]",
    "x[1:2]",
    "{1, 2}",
    "(1, 2)",
    "not_a_number @ x",
    "x if y",
    "a = 1",
    "x; gysim_fire()",
    "gysim_fire()\ngysim_fire()",
    "# comment",
    "x.real",
    "open('/etc/passwd').read()",
]


def combine(children):
    """Build bigger expression text from smaller pieces, safe and unsafe."""
    two = st.tuples(children, children)
    return st.one_of(
        two.map(lambda ab: f"{ab[0]} + {ab[1]}"),
        two.map(lambda ab: f"({ab[0]}) * {ab[1]}"),
        two.map(lambda ab: f"{ab[0]} ** -{ab[1]}"),
        two.map(lambda ab: f"{ab[0]} if {ab[1]} > 0 else {ab[0]}"),
        two.map(lambda ab: f"max({ab[0]}, {ab[1]})"),
        two.map(lambda ab: f"{ab[0]} and not {ab[1]}"),
        children.map(lambda a: f"-({a})"),
        children.map(lambda a: f"{a}.attr"),
        children.map(lambda a: f"{a}.__class__"),
        children.map(lambda a: f"(lambda q: {a})(1)"),
        children.map(lambda a: f"[{a} for q in r]"),
        children.map(lambda a: f"f'{{{a}}}'"),
        children.map(lambda a: f"(w := {a})"),
        children.map(lambda a: f"gysim_fire(*{a})"),
        children.map(lambda a: f"{a}[0]"),
        children.map(lambda a: f"__import__({a})"),
        children.map(lambda a: f"exp({a}, key={a})"),
        st.sampled_from(UNSAFE),
    )


EXPRESSION = st.recursive(ATOM, combine, max_leaves=12)

NESTING = st.integers(1, 5000).flatmap(lambda n: st.sampled_from([
    "(" * n + "x" + ")" * n,
    "-" * n + "x",
    "not " * min(n, 2000) + "x",
    "+".join(["x"] * n),
    "x" + " ** x" * n,
    "exp(" * n + "x" + ")" * n,
    "[" * n + "]" * n,
    "1 if x else " * min(n, 1500) + "0",
    "x" + " < x" * min(n, 3000),
]))


def check_outcome(text):
    """parse(text) must give a whitelisted tree or a ModelDefinitionError, quickly."""
    FIRED.clear()
    started = time.process_time()
    try:
        tree = parse(text, where="aux 'y'")
    except ModelDefinitionError as err:
        assert "aux 'y'" in str(err)
        tree = None
    assert time.process_time() - started < 2.0, text[:80]
    assert FIRED == [], f"{text[:80]!r} executed something"
    if tree is not None:
        nodes = list(walk(tree))
        assert all(isinstance(n, ALLOWED) for n in nodes)
        for n in nodes:
            if isinstance(n, Name):
                assert not n.id.startswith("_") and n.id.isidentifier()
            elif isinstance(n, Call):
                assert not n.func.startswith("_") and n.func.isidentifier()
                assert all(isinstance(a, ALLOWED) for a in n.args)
            elif isinstance(n, Const):
                assert isinstance(n.value, float) and math.isfinite(n.value)
    return tree


@SETTINGS
@given(st.text(max_size=200))
def test_random_text(text):
    check_outcome(text)


@SETTINGS
@given(st.text(alphabet="()[]{}+-*/%<>=!.,:;'\"@&|^~ \n\t_xkae0123456789", max_size=300))
def test_random_punctuation(text):
    check_outcome(text)


@SETTINGS
@given(EXPRESSION)
def test_constructed_expressions(text):
    check_outcome(text)


@pytest.mark.parametrize("text", UNSAFE)
def test_unsafe_constructs_are_refused(text):
    FIRED.clear()
    with pytest.raises(ModelDefinitionError):
        parse(text)
    assert FIRED == []


@settings(max_examples=60, deadline=None, derandomize=True)
@given(NESTING)
def test_deep_nesting_is_bounded(text):
    tree = check_outcome(text)
    if tree is not None:  # shallow enough to accept: the tree respects the depth limit
        assert _depth(tree) <= MAX_DEPTH + 2


def _depth(node, level=0):
    stack, deepest = [(node, 1)], 0
    while stack:
        current, d = stack.pop()
        deepest = max(deepest, d)
        children = []
        if isinstance(current, (BinOp, Compare)):
            children = [current.left, current.right]
        elif isinstance(current, UnaryOp):
            children = [current.operand]
        elif isinstance(current, BoolOp):
            children = list(current.values)
        elif isinstance(current, Call):
            children = list(current.args)
        elif isinstance(current, IfExp):
            children = [current.test, current.body, current.orelse]
        stack.extend((c, d + 1) for c in children)
    return deepest


@pytest.mark.parametrize("text", [
    "9" * 5000,                 # beyond Python's int-to-float range and digit limit
    "1" + "0" * 400,
    "1e308 * 10",               # accepted: a finite constant times another
    "x" * 20_001,               # too long
    "(" * 100_000,              # unbalanced and deep
    "\x00",
    "\ud800",                   # a lone surrogate
])
def test_pathological_inputs(text):
    check_outcome(text)


# ------------------------------------------------------------------ compiling accepted trees
ELEMENTS = ["x", "k", "a0", "tab", "series", "time"]
FUNCS = sorted(BUILTINS) + ["tab", "undefined_fn", "x"]


def tree_text():
    leaves = st.one_of(st.sampled_from(ELEMENTS),
                       st.floats(-1e6, 1e6, allow_nan=False).map(lambda v: repr(round(v, 3))))

    def extend(children):
        args = st.lists(children, min_size=0, max_size=4)
        return st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*", "/", "**", "%", "<", "<=", "==", "!=",
                                       "and", "or"]), children, children)
            .map(lambda t: f"({t[1]}) {t[0]} ({t[2]})"),
            children.map(lambda c: f"-({c})"),
            children.map(lambda c: f"not ({c})"),
            st.tuples(children, children, children).map(lambda t: f"({t[0]}) if ({t[1]}) else ({t[2]})"),
            st.tuples(st.sampled_from(FUNCS), args).map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )
    return st.recursive(leaves, extend, max_leaves=10)


def build(equation: str, units: tuple[str, ...] = ("",) * 5) -> gysim.Model:
    m = gysim.Model("random", start=0, stop=2, dt=0.5, method="euler")
    m.stock("x", 1.0, units=units[0])
    m.param("k", 0.5, units=units[1])
    m.aux("a0", "k * 2", units=units[2])
    m.lookup("tab", [0, 1, 2], [0.0, 1.0, 0.5], units=units[3])
    m.data("series", {0: 1.0, 2: 3.0})
    m.aux("y", equation, units=units[4])
    m.flow("f", "k * x", into="x")
    return m


gysim.units.define("widget")  # a counted unit of the model's own
UNITS = st.sampled_from(["", "1e8 yuan", "1/year", "fraction", "万人", "degC", "tce/1e4 yuan",
                         "year", "m3/person/day", "widget", "percent"])


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(tree_text(), st.tuples(UNITS, UNITS, UNITS, UNITS, UNITS))
def test_compiling_accepted_trees_raises_only_gysim_errors(text, units):
    try:
        tree = parse(text)
    except ModelDefinitionError:
        assume(False)
        return
    # printing is faithful: the printed text parses back to the same tree
    assert parse(to_text(tree)) == tree
    FIRED.clear()
    model = build(text, units)
    try:
        model.compile()
    except GysimError:
        pass
    # the units check also walks any accepted tree without failing
    problems = gysim.units.unit_problems(model)
    assert all(isinstance(p, str) and p for p in problems)
    assert FIRED == []


def test_a_model_file_cannot_reach_the_sentinel():
    """The generated code is built from the tree, so even a name the sentinel defines is refused."""
    m = build("1")
    m.aux("z", "gysim_fire()")
    with pytest.raises(ModelDefinitionError, match="unknown function 'gysim_fire'"):
        gysim.simulate(m)
    assert FIRED == []


# ------------------------------------------------------------------ selections, with and without dims
SELECTION_LEAVES = ["x", "k", "p", "tab", "time", "d", "a", "zz", "x[a]", "p[a]", "p[b]",
                    "p[zz]", "k[a]", "tab[a]", "d[a]", "time[a]", "q[a]", "p[a, b]", "p[d]",
                    "sum(p, d)", "sum(p, p)", "sum(x, x)", "mean(p[a], d)", "max(p, d)"]


def selection_text():
    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(["+", "*", "/", "<"]), children, children)
            .map(lambda t: f"({t[1]}) {t[0]} ({t[2]})"),
            st.tuples(st.sampled_from(["sum", "mean", "max", "min", "smooth", "tab", "abs",
                                       "delay_fixed", "delay_n", "prod"]),
                      st.lists(children, min_size=1, max_size=3))
            .map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        )
    return st.recursive(st.sampled_from(SELECTION_LEAVES), extend, max_leaves=6)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(selection_text(), st.booleans(), st.booleans())
def test_selections_and_aggregations_raise_only_gysim_errors(text, with_dims, aux_has_dims):
    m = gysim.Model("m", start=0, stop=1, dt=1, method="euler")
    m.stock("x", 1.0)
    m.param("k", 0.5)
    m.lookup("tab", [0, 1], [0.0, 1.0])
    if with_dims:
        m.dimension("d", ["a", "b"])
        m.param("p", {"a": 1.0, "b": 2.0}, dims="d")
    m.aux("y", text, dims=("d",) if with_dims and aux_has_dims else None)
    m.flow("f", "k", into="x")
    try:
        gysim.simulate(m)
    except GysimError:
        pass
