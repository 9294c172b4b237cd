"""Names are kept in NFKC normal form, as Python reads identifiers.

Python reads ``ｘ`` (fullwidth), ``𝐱`` (mathematical bold) and ``x`` as one
identifier, in equations and in the code gysim generates. A model therefore
stores every name (elements, dimensions, labels, keys of values and
overrides) in that form: two spellings of one name are one name, and
defining both is refused with a message naming both spellings.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gysim
from gysim.engine.program import local_name
from gysim.errors import ModelDefinitionError, ParameterError

FULLWIDTH_X = "\uff58"       # ｘ
BOLD_X = "\U0001d431"        # 𝐱


def fullwidth(name: str) -> str:
    """The same name in fullwidth letters and digits (NFKC maps them back)."""
    return "".join(chr(ord(c) + 0xFEE0) if c.isalnum() and c.isascii() else c for c in name)


def bold(name: str) -> str:
    """The same name in mathematical bold letters where they exist."""
    out = []
    for c in name:
        if "a" <= c <= "z":
            out.append(chr(0x1D41A + ord(c) - ord("a")))
        elif "A" <= c <= "Z":
            out.append(chr(0x1D400 + ord(c) - ord("A")))
        else:
            out.append(c)
    return "".join(out)


# ------------------------------------------------------------------ the reproductions
def test_fullwidth_aux_cannot_shadow_a_stock():
    # issue 12: x = 3 but y = 101, because 'ｘ' and 'x' shared one generated local
    m = gysim.Model("m", start=0, stop=2)
    m.stock("x", 1.0)
    m.param("k", 1.0)
    m.flow("f", "k", into="x")
    with pytest.raises(ModelDefinitionError) as err:
        m.aux(FULLWIDTH_X, "100 + k")
    assert f"'{FULLWIDTH_X}'" in str(err.value) and "'x'" in str(err.value)
    assert "NFKC" in str(err.value)
    m.aux("y", "x + 0")
    ds = gysim.simulate(m, method="euler", dt=1)
    assert ds.y.values.tolist() == ds.x.values.tolist() == [1.0, 2.0, 3.0]


def test_per_element_initial_values_of_two_spellings():
    m = gysim.Model("m", start=0, stop=1)
    m.dimension("d", ["a", "b"])
    m.stock("s", {"a": 1.0, "b": 2.0}, dims="d")
    with pytest.raises(ModelDefinitionError, match="'ｓ'.*'s'"):
        m.stock("\uff53", {"a": 10.0, "b": 20.0}, dims="d")


def test_a_name_written_once_in_another_spelling_is_stored_normalised():
    m = gysim.Model("m", start=0, stop=1)
    m.stock(FULLWIDTH_X, 2.0)                  # stored as 'x'
    m.param("\ufb01ne", 0.5)                    # 'ﬁne' (ligature) stored as 'fine'
    m.flow("f", "fine * x", out_of=FULLWIDTH_X)  # into/out_of are names too
    m.aux("y", f"{BOLD_X} * 2")                 # Python reads the equation's '𝐱' as 'x'
    assert list(m.elements) == ["x", "fine", "f", "y"]
    assert m.flows["f"].out_of == "x"
    ds = gysim.simulate(m, method="euler", dt=1)
    assert float(ds.x[-1]) == 1.0 and float(ds.y[-1]) == 2.0
    # a second definition in a third spelling names the first one as written
    with pytest.raises(ModelDefinitionError, match=f"'{BOLD_X}'.*'{FULLWIDTH_X}'"):
        m.aux(BOLD_X, "1")


@pytest.mark.parametrize("name, fragment", [
    ("\uff49\uff46", "Python identifier"),     # 'ｉｆ' reads as the keyword 'if'
    ("\uff3fx", "underscore"),                 # '＿x' reads as '_x'
    ("\uff54\uff49\uff4d\uff45", "reserved"),  # 'ｔｉｍｅ' reads as 'time'
    ("x\u00b2", "Python identifier"),          # 'x²': not an identifier, although NFKC gives 'x2'
])
def test_names_are_checked_in_normal_form(name, fragment):
    m = gysim.Model("m")
    with pytest.raises(ModelDefinitionError, match=fragment):
        m.aux(name, "1")


def test_dimension_names_and_labels():
    m = gysim.Model("m", start=0, stop=1)
    with pytest.raises(ModelDefinitionError, match="appears twice.*'ａ' and 'a'"):
        m.dimension("d", ["a", "\uff41"])
    m.dimension("\uff44", ["\uff41", "b"])       # stored as d: (a, b)
    assert dict(m.dimensions) == {"d": ("a", "b")}
    with pytest.raises(ModelDefinitionError, match="element label of dimension 'd'"):
        m.param("a", 1.0)
    with pytest.raises(ModelDefinitionError, match="already declared as a dimension"):
        m.dimension("d", ["c"])
    m.param("p", {"\uff41": 1.0, "b": 2.0}, dims=("\uff44",))
    with pytest.raises(ModelDefinitionError, match="name the same element"):
        m.param("q", {"a": 1.0, "\uff41": 3.0, "b": 2.0}, dims="d")
    assert m.params["p"].value == (1.0, 2.0)
    m.aux("y", "p[\uff42] * 10")               # labels in equations: Python normalises them
    assert float(gysim.simulate(m, method="euler", dt=1).y[-1]) == 20.0


def test_overrides_keys():
    m = gysim.Model("m", start=0, stop=1)
    m.param("k", 1.0)
    m.stock("x", 1.0)
    m.flow("f", "k", into="x")
    assert m.with_params({"\uff4b": 3.0}).params["k"].value == 3.0
    with pytest.raises(ParameterError, match="sets 'k' twice.*'k' and 'ｋ'"):
        m.with_params({"k": 2.0, "\uff4b": 3.0})
    m.scenario("s", {"\uff4b": 2.0})
    assert dict(m.scenarios["s"].overrides) == {"k": 2.0}
    assert float(gysim.simulate(m, scenario="s", method="euler", dt=1).x[-1]) == 3.0
    # run-time params are looked up as written: another spelling is refused, not ignored
    with pytest.raises(ParameterError, match="stores it as 'k'"):
        gysim.simulate(m, params={"\uff4b": 5.0})


def test_generated_locals_are_distinct_identifiers():
    m = gysim.Model("m", start=0, stop=1)
    names = ["x", "v_x", "h_x", "\u00e9t\u00e9", "\u4eba\u53e3", "\u1100\u1161"]  # é (composed), 人口, 가 (jamo)
    for i, name in enumerate(names):
        m.param(f"p{i}", float(i))
        m.aux(name, f"p{i} + smooth(p{i}, 1)")
    program = m.compile().program
    locals_ = [local_name(n) for n in list(program.equations) + program.state_names]
    assert len(set(locals_)) == len(locals_)
    # Python reads each local as written: NFKC already
    assert all(unicodedata.normalize("NFKC", n) == n for n in locals_)
    ds = gysim.simulate(m)
    assert [float(ds[n][-1]) for n in m.auxes] == [2.0 * i for i in range(len(names))]


# ------------------------------------------------------------------ property: spellings never mix
SPELLINGS = [lambda s: s, fullwidth, bold]
BASE_NAMES = ["x", "y", "k", "a1", "b", "rate", "s2"]


@st.composite
def models(draw):
    """A small random model: names, and equations as templates over those names."""
    names = draw(st.lists(st.sampled_from(BASE_NAMES), min_size=3, max_size=6, unique=True))
    n_stocks = draw(st.integers(1, 2))
    stocks, rest = names[:n_stocks], names[n_stocks:]
    n_params = draw(st.integers(1, len(rest) - 1)) if len(rest) > 1 else len(rest)
    params, auxes = rest[:n_params], rest[n_params:]
    values = {n: draw(st.floats(0.1, 2.0)) for n in stocks + params}
    ops = ["+", "-", "*"]
    aux_eqs = {}
    known = stocks + params
    for a in auxes:  # each aux uses earlier names only: no algebraic loops
        terms = draw(st.lists(st.sampled_from(known), min_size=1, max_size=4))
        signs = draw(st.lists(st.sampled_from(ops), min_size=len(terms) - 1,
                              max_size=len(terms) - 1))
        aux_eqs[a] = (terms, signs)
        known = known + [a]
    flows = [(s, draw(st.sampled_from(params))) for s in stocks if params]
    # which spelling each definition and each reference uses
    spelling = {n: draw(st.sampled_from(SPELLINGS)) for n in names}
    refs = draw(st.lists(st.sampled_from(SPELLINGS), min_size=40, max_size=40))
    return stocks, params, aux_eqs, flows, values, spelling, refs


def build(spec, respell: bool) -> gysim.Model:
    stocks, params, aux_eqs, flows, values, spelling, refs = spec
    ref_iter = iter(refs * 4)

    def name(n, definition=False):
        if not respell:
            return n
        return spelling[n](n) if definition else next(ref_iter)(n)

    m = gysim.Model("m", start=0, stop=2)
    for s in stocks:
        m.stock(name(s, True), values[s])
    for p in params:
        m.param(name(p, True), values[p])
    for a, (terms, signs) in aux_eqs.items():
        text = name(terms[0]) + "".join(f" {op} 0.5 * {name(t)}" for op, t in zip(signs, terms[1:]))
        m.aux(name(a, True), text)
    for i, (s, p) in enumerate(flows):
        m.flow(f"f{i}", f"0.1 * {name(p)} * {name(s)}", into=name(s))
    return m


@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(models())
def test_respelled_models_give_identical_numbers(spec):
    plain = gysim.simulate(build(spec, respell=False), method="euler", dt=0.5)
    respelled = build(spec, respell=True)  # distinct names: no collision can arise
    ds = gysim.simulate(respelled, method="euler", dt=0.5)
    assert set(ds.data_vars) == set(plain.data_vars)
    for v in plain.data_vars:
        np.testing.assert_array_equal(ds[v].values, plain[v].values)


@settings(max_examples=50, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(models(), st.data())
def test_a_second_spelling_of_a_name_is_refused_at_definition(spec, data):
    stocks, params, aux_eqs, flows, values, spelling, refs = spec
    m = build(spec, respell=True)
    target = data.draw(st.sampled_from(list(m.elements)))
    other = data.draw(st.sampled_from([fullwidth, bold]))(target)
    kind = data.draw(st.sampled_from(["param", "aux", "stock"]))
    before = dict(m.elements)
    with pytest.raises(ModelDefinitionError) as err:
        getattr(m, kind)(other, 1.0)
    assert repr(other) in str(err.value)
    first = spelling[target](target) if target in spelling else target  # flows: plain
    if first != other:  # two spellings: both named, and why they are one name
        assert repr(first) in str(err.value) and "NFKC" in str(err.value)
    assert dict(m.elements) == before
