"""Limits of model definition: equation nesting, long chains, large dimensions, selections.

Each limit is a constant of :mod:`gysim.expr` and is tested at and just past
it; valid models far larger than any real one (a sum of 10 000 terms, a
dimension of 100 000 labels) compile and give the right numbers.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import gysim
from gysim.errors import GysimError, ModelDefinitionError
from gysim.expr import (CHAIN_SPLIT, MAX_DEPTH, MAX_LENGTH, MAX_TREE_DEPTH, BinOp, Name,
                        Subscript, chain, constant_value, depth, parse, to_text)


def summed_params(n: int) -> gysim.Model:
    m = gysim.Model("m", start=0, stop=1)
    for i in range(n):
        m.param(f"a{i}", float(i))
    m.stock("x", 0.0)
    return m


# ------------------------------------------------------------------ depth on the user's structure
def test_a_flat_sum_of_66_terms_is_one_level():
    # issue 12: refused as "nests deeper than 64 levels"
    m = summed_params(66)
    m.aux("total", " + ".join(f"a{i}" for i in range(66)))
    m.flow("f", "total - a1 - a2 - a3", into="x")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.total[0]) == sum(range(66))
    assert float(ds.x[-1]) == sum(range(66)) - 6


def _subscripted_sum(n: int) -> gysim.Model:
    m = gysim.Model("m", start=0, stop=1)
    m.dimension("e", [f"e{i}" for i in range(n)])
    m.param("p", np.arange(n, dtype=float), dims="e")
    return m


@pytest.mark.parametrize("n", [100, 10_000])
def test_element_by_element_sums_of_any_length(n):
    # a Vensim SUM(p[e!]) read element by element: a left-leaning chain of n - 1 BinOps
    # built by a program, printed, and read back as an equation
    tree = Subscript(Name("p"), ("e0",))
    for i in range(1, n):
        tree = BinOp("+", tree, Subscript(Name("p"), (f"e{i}",)))
    text = to_text(tree)  # no recursion along the chain
    m = _subscripted_sum(n)
    m.aux("total", text)
    m.aux("total_minus", " - ".join(f"p[e{i}]" for i in range(n)))
    m.aux("check", "sum(p, e)")
    ds = gysim.simulate(m, method="euler", dt=1)
    expected = n * (n - 1) / 2
    assert float(ds.total[-1]) == float(ds.check[-1]) == expected
    assert float(ds.total_minus[-1]) == -expected  # p[e0] = 0
    assert depth(m.auxes["total"].tree) < 40


def test_long_chains_are_balanced_and_print_back_exactly():
    text = " - ".join(f"x{i}" for i in range(1000))
    tree = parse(text)
    assert depth(tree) < 30
    assert parse(to_text(tree)) == tree
    values = {f"x{i}": float(i) for i in range(1000)}
    assert constant_value(tree, values.get) == 0.0 - sum(range(1, 1000))
    # short chains stay as Python reads them, left to right
    assert parse("a - b + c") == BinOp("+", BinOp("-", Name("a"), Name("b")), Name("c"))
    assert depth(parse(" + ".join(["a"] * CHAIN_SPLIT))) == CHAIN_SPLIT


def test_chain_of_products_and_quotients():
    values = [2.0, 3.0, 0.5, 4.0] * 50
    ops = ["*", "/", "*", "/"] * 50
    tree = chain(parse(values[0]), [(op, parse(v)) for op, v in zip(ops[1:], values[1:])])
    expected = values[0]
    for op, v in zip(ops[1:], values[1:]):
        expected = expected * v if op == "*" else expected / v
    assert constant_value(tree) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError):
        chain(Name("a"), [("+", Name("b")), ("*", Name("c"))])


def test_a_programmatic_left_chain_folds_without_recursion():
    tree = parse(1.0)
    for _ in range(5 * sys.getrecursionlimit()):
        tree = BinOp("+", tree, parse(1.0))
    assert constant_value(tree) == 5 * sys.getrecursionlimit() + 1
    assert to_text(tree).count("+") == 5 * sys.getrecursionlimit()
    assert depth(tree) == 5 * sys.getrecursionlimit() + 1


def test_a_stock_with_thousands_of_flows():
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 0.0)
    m.param("k", 1.0)
    for i in range(2000):
        m.flow(f"f{i}", "k", **({"into": "x"} if i % 4 else {"out_of": "x"}))
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.x[-1]) == 1500 - 500


# ------------------------------------------------------------------ the nesting limits
def test_real_nesting_at_and_past_the_limit():
    ok = "(" * MAX_DEPTH + "x" + ")" * MAX_DEPTH
    assert parse(ok) == Name("x")
    for text in ["(" * 200 + "x" + ")" * 200, "-" * (MAX_DEPTH + 1) + "x",
                 "exp(" * (MAX_DEPTH + 1) + "x" + ")" * (MAX_DEPTH + 1),
                 "x" + " ** x" * (MAX_DEPTH + 1)]:
        with pytest.raises(ModelDefinitionError,
                           match=f"aux 'y' nests deeper than {MAX_DEPTH} levels.*MAX_DEPTH"):
            parse(text, where="aux 'y'")


def test_the_tree_depth_guard():
    # sums and products nested in each other's first operand: few levels for the
    # user, but each level is a chain of CHAIN_SPLIT operands read left to right
    def nested(levels):
        text = "x"
        for i in range(levels):
            op = " + " if i % 2 else " * "
            text = f"({text}){op}" + op.join(["x"] * (CHAIN_SPLIT - 1))
        return text
    with pytest.raises(ModelDefinitionError, match=f"limit of {MAX_TREE_DEPTH}.*MAX_TREE_DEPTH"):
        parse(nested(MAX_DEPTH // 2), where="aux 'y'")
    assert MAX_TREE_DEPTH - CHAIN_SPLIT < depth(parse(nested(MAX_TREE_DEPTH // (CHAIN_SPLIT - 1)))) \
        <= MAX_TREE_DEPTH


def test_the_deepest_accepted_equation_compiles_and_runs():
    # every recursive walk (printing, dims, lowering, hoisting, code generation,
    # units, Python's compiler) copes with the deepest trees parse accepts
    forms = ["max({} * 1 + 0, -1)", "(-(-{}))", "({} if x > 0 else 0)", "abs({}) ** 1",
             "smooth({}, 1)", "({} / 2 * 2 - 1 + 1)"]
    text, levels = "x", 0
    while True:
        candidate = forms[levels % len(forms)].format(text)
        try:
            parse(candidate)
        except ModelDefinitionError:
            break
        text, levels = candidate, levels + 1
    assert levels > MAX_DEPTH // 4
    tree = parse(text)
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0, units="kg")
    m.aux("y", text, units="kg")
    m.flow("f", "smooth(y, 1) * 0", into="x")
    m.check_units()
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.y[-1]) == 1.0
    assert to_text(tree) == m.auxes["y"].equation


def test_equation_length_at_and_past_the_limit():
    assert parse("x" + " " * (MAX_LENGTH - 1)) == Name("x")
    with pytest.raises(ModelDefinitionError, match=f"characters long; the limit is {MAX_LENGTH}"):
        parse("x" + " " * MAX_LENGTH)


# ------------------------------------------------------------------ dimensions
def test_a_dimension_of_100_000_labels():
    # issue 12: 40 000 labels took 23.6 s (labels.count per label); linear now
    n = 100_000
    labels = [f"e{i}" for i in range(n)]
    m = gysim.Model("m", start=0, stop=1)
    m.dimension("e", labels)
    m.dimension("g", ["g1", "g2"])
    m.param("p", {label: float(i) for i, label in enumerate(labels)}, dims="e")
    m.param("w", np.ones(n), dims=("e",))
    m.stock("s", 0.0, dims="e")
    m.flow("f", "p * w", into="s", dims="e")
    m.aux("total", "sum(s, e)")
    m.aux("last", f"s[e{n - 1}]")
    assert m.dimensions["e"][-1] == f"e{n - 1}" and len(m.copy().dimensions["e"]) == n
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.total[-1]) == n * (n - 1) / 2
    assert float(ds["last"][-1]) == n - 1
    with pytest.raises(ModelDefinitionError, match="'x2' appears twice"):
        m.dimension("h", ["x1", "e7", "e7"][:1] + ["x2", "x2"])
    with pytest.raises(ModelDefinitionError, match="already .*element label of dimension 'e'"):
        m.dimension("h", ["x1", "e99999"])


# ------------------------------------------------------------------ selections and other bad input
def _no_dims() -> gysim.Model:
    m = gysim.Model("m")
    m.stock("x", 1.0)
    m.param("k", 1.0)
    m.lookup("tab", [0, 1], [0, 1])
    return m


def _with_dims() -> gysim.Model:
    m = _no_dims()
    m.dimension("d", ["a", "b"])
    m.param("p", 1.0, dims="d")
    return m


@pytest.mark.parametrize("build, equation, fragment", [
    # issue 12: a raw KeyError: 'a' from the code generator
    (_no_dims, "x[a]", r"`x\[a\]` selects an element of 'x', but model 'm' declares no dimensions"),
    (_no_dims, "x[a, b]", "declares no dimensions"),
    (_no_dims, "time[a]", "declares no dimensions"),
    (_no_dims, "q[a]", "uses 'q', which is not defined"),
    (_no_dims, "tab[a]", "uses lookup 'tab' as a value"),
    (_no_dims, "sum(x, x)", "second argument of `sum` must be a dimension name"),
    (_no_dims, "sum(x, d)", "second argument of `sum` must be a dimension name"),
    (_no_dims, "mean(x, k) + prod(x, k)", "must be a dimension name"),
    (_with_dims, "p[zz]", "'zz' in `p\\[zz\\]` is not an element label of any dimension"),
    (_with_dims, "p[d]", "'d' in `p\\[d\\]` is not an element label"),
    (_with_dims, "k[a]", "'k' has no dimensions"),
    (_with_dims, "tab[a]", "uses lookup 'tab' as a value"),
    (_with_dims, "d[a]", "'d' has no dimensions"),
    (_with_dims, "sum(p, p)", "must be a dimension name"),
    (_with_dims, "sum(p, a)", "must be a dimension name"),
    (_with_dims, "sum(p[a], d)", "aggregates over dimension 'd'"),
    (_with_dims, "p[a, b]", "selects two elements of dimension 'd'"),
    (_with_dims, "x[a]", "'x' has no dimensions"),
])
def test_bad_selections_and_aggregations_are_named(build, equation, fragment):
    m = build()
    m.aux("y", equation)
    with pytest.raises(ModelDefinitionError, match=fragment):
        m.compile()


def test_hostile_selections_never_raise_anything_but_gysim_errors():
    labels = ["a", "b", "zz", "d", "x", "time", "k", "tab"]
    bases = ["x", "k", "p", "tab", "time", "d", "a", "q"]
    for build in (_no_dims, _with_dims):
        for base in bases:
            for label in labels:
                for text in (f"{base}[{label}]", f"sum({base}[{label}], d)",
                             f"tab({base}[{label}])", f"smooth({base}[{label}], 1)"):
                    m = build()
                    try:
                        m.aux("y", text)
                        m.compile()
                    except GysimError:
                        pass


def test_delay_order_at_and_past_the_limit():
    from gysim.engine.checks import MAX_ORDER
    m = gysim.Model("m", start=0, stop=1)
    m.stock("x", 1.0)
    m.aux("y", f"smooth_n(x, 1, x, {MAX_ORDER})")
    assert len(m.compile().state_names) == 1 + MAX_ORDER
    m.aux("z", f"delay_n(x, 1, x, {MAX_ORDER + 1})")
    with pytest.raises(ModelDefinitionError, match=f"aux 'z'.*limit is {MAX_ORDER} stages"):
        m.compile()


@pytest.mark.parametrize("n", [100, 5000])
def test_vensim_sum_read_element_by_element(tmp_path, n):
    # issue 12: SUM(p[d!]) over 100 elements, read element by element (a left-leaning
    # chain of BinOps built by the reader), was refused as "nests deeper than 64 levels"
    path = tmp_path / "sum.mdl"
    path.write_text("{UTF-8}\n"
                    f"d: (e1-e{n}) ~~|\n"
                    "p[d] :EXCEPT: [e1] = 1 ~~|\n"
                    "p[e1] = 2 ~~|\n"
                    "total = SUM(p[d!]) ~~|\n"
                    "x = INTEG(total, 0) ~~|\n"
                    "INITIAL TIME = 0 ~~|\nFINAL TIME = 1 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n",
                    encoding="utf-8")
    m = gysim.read_vensim(path)
    # since issue 15, :EXCEPT: is read natively (one subscripted p, no element-by-element
    # fallback); the sum over 100 and 5000 elements stays right
    assert m.vensim_fallback == "" and m.params["p"].dims == ("d",)
    ds = gysim.simulate(m, method="euler")
    assert float(ds.total[-1]) == n + 1
    assert float(ds.x[-1]) == n + 1


def test_lookup_points_at_and_past_the_limit(monkeypatch):
    # found by the probe: a 1e7-point lookup took 52 s; the limit is tested at a lowered value
    from gysim import elements

    monkeypatch.setattr(elements, "MAX_TABLE_POINTS", 100)
    m = gysim.Model("m")
    m.lookup("ok", np.arange(100.0), np.zeros(100))
    with pytest.raises(gysim.DataError, match="at most 100"):
        m.lookup("too_long", np.arange(101.0), np.zeros(101))
    with pytest.raises(gysim.DataError, match="at most 100"):
        m.data("series", dict(zip(np.arange(101.0), np.zeros(101))))
