"""The io package's building blocks: names, subscripts, the function tables, conversion
dispatch, SourceInfo and the writers' spellings (gysim.io.names, .subscripts,
.functions, .convert, .source, .spellings)."""

from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from types import SimpleNamespace as NS

import pytest

import gysim
from gysim.expr import Const, Name, parse, to_text
from gysim.io import SourceInfo, VENSIM_NA
from gysim.io.convert import Converter
from gysim.expr import constant_value, depth
from gysim.io.functions import SIMPLE_CALLS, builtin_call, join_all
from gysim.io.names import reference_key, safe_identifier, shown_name
from gysim.io.spellings import vensim_call, xmile_call
from gysim.io.subscripts import Subscripts
from gysim.io.vensim_writer import VensimPrinter
from gysim.io.xmile_writer import XmilePrinter


def test_names():
    assert reference_key(" Birth_ Rate ") == "birth_rate"
    taken: set[str] = set()
    assert [safe_identifier(n, taken) for n in ("Time", "9 lives", "a b", "A-B", "lambda")] \
        == ["time_", "v_9_lives", "a_b", "a_b_2", "lambda_"]
    assert shown_name("x", ("a", "b")) == "x[a,b]"
    assert VENSIM_NA == -2.0 ** 109


def test_subscripts_ranges_mappings_and_resolution():
    subs = Subscripts([NS(name="d", subscripts=["a", "b", "c"], mapping=[]),
                       NS(name="sub", subscripts=["b", "c"], mapping=[]),
                       NS(name="e", subscripts=["p", "q", "r"], mapping=["d"]),
                       NS(name="copy", subscripts="d", mapping=[])], Path("m.mdl"), "Vensim")
    assert subs.ranges["copy"] == ["a", "b", "c"] and subs.family_pos["c"] == 3
    assert subs.mappings["e"] == {"d"} and "copy" in subs.mappings["d"]
    assert subs.disjoint_reason() == "subscript mappings (->) or equivalent ranges"
    # a mapping -> : element by position
    assert subs.resolve_one("e", 0, "x[e]", "y[d]", binding={"d": "b"}, lhs=["d"]) == "q"
    assert subs.resolve_one("d!", 0, "x[d!]", "y", binding={"d!": "c"}, lhs=[]) == "c"
    with pytest.raises(gysim.ModelDefinitionError, match=r"'d!' outside SUM.*element 'y'"):
        subs.resolve_one("d!", 0, "x[d!]", "y", binding={}, lhs=[])
    comp = NS(subscripts=(["d"], [["a"]]))
    assert [labels for labels, _, _ in subs.expand(comp, "x")] == [("b",), ("c",)]
    with pytest.raises(gysim.ModelDefinitionError, match="mapping"):
        Subscripts([NS(name="d", subscripts=["a"], mapping=[("d", ["a"])])],
                   Path("m.mdl"), "Vensim")


def test_every_pysd_construct_has_a_converter_or_a_refusal():
    from pysd.translators.structures import abstract_expressions as ae
    classes = [c for _, c in inspect.getmembers(ae, inspect.isclass)
               if c.__module__ == ae.__name__ and c is not ae.AbstractSyntax]
    assert len(classes) > 20
    missing = [c.__name__ for c in classes if c.__name__ not in Converter.CONSTRUCTS]
    # a lookup's points are read by Converter.table; inside an expression they are refused
    assert missing == ["LookupsStructure"]
    conv = Converter(NS(subscripts=[]), Path("m.mdl"), "Vensim")
    with pytest.raises(gysim.ModelDefinitionError, match="the construct LookupsStructure"):
        conv.conv(ae.LookupsStructure(x=(0, 1), y=(0, 1), x_limits=(0, 1), y_limits=(0, 1),
                                      type="interpolate"), "x")


def test_conversion_dispatch_numbers_and_refusals():
    import numpy as np
    conv = Converter(NS(subscripts=[]), Path("m.mdl"), "XMILE")
    assert conv.conv(True, "x") == Const(1.0) and conv.conv(np.int64(3), "x") == Const(3.0)
    assert conv.conv(np.float32(0.5), "x") == Const(0.5)
    with pytest.raises(gysim.ModelDefinitionError, match="non-finite number inf"):
        conv.conv(float("inf"), "x")
    with pytest.raises(gysim.ModelDefinitionError,
                       match="m.mdl: a constant array inside an expression in element 'x' "
                             "is not supported by gysim's XMILE reader"):
        conv.conv(np.zeros(2), "x")
    with pytest.raises(gysim.ModelDefinitionError, match="the construct str 'oops'"):
        conv.conv("oops", "x")


def test_function_table():
    a, b, c, d = (Name(n) for n in "abcd")
    # PySD's PULSE TRAIN order (start, interval, width, end) -> gysim's (start, width, ...)
    assert to_text(builtin_call("pulse_train", [a, b, c, d])) == "pulse_train(a, c, b, d)"
    assert to_text(builtin_call("Xramp", [a, b])) == "ramp(a, b)"
    assert builtin_call("power", [a]) is None  # POWER takes two arguments
    assert to_text(join_all("prod", [a, b])) == "a * b"
    assert to_text(join_all("vmin", [a, b, c])) == "min(a, b, c)"


def test_long_joins_stay_shallow_and_exact():
    from gysim.expr import Const
    terms = [Const(float(i)) for i in range(10_000)]
    for fname, expected in (("sum", sum(range(10_000))), ("vmax", 9999.0)):
        tree = join_all(fname, terms)
        assert depth(tree) < 40
        if fname == "sum":
            assert constant_value(tree) == expected
    assert all(isinstance(v, str) for v in SIMPLE_CALLS.values())


def test_source_info_is_frozen_and_checked():
    info = SourceInfo("m.xmile", "XMILE", names={"a": "A"})
    assert info.path == Path("m.xmile") and info.names == {"a": "A"}
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.names = {}
    with pytest.raises(gysim.ModelDefinitionError, match="`language`"):
        SourceInfo("m.x", "Stella")
    m = gysim.Model("m", source=info)
    assert m.vensim_names == {"a": "A"} and m.vensim_fallback == ""


def test_writers_spellings():
    m = gysim.Model("m")
    m.param("a", 1.0)
    tree = parse("delay_n(a, 2, a, 3) + log(a, 10) + ramp(1, 2, 5)")
    assert VensimPrinter(m, 1.0).expr(tree, "b") == \
        "DELAY N(a, 2, a, 3) + LOG(a, 10) + RAMP(1, 2, 5)"
    assert XmilePrinter(m, 1.0).expr(tree, "b") == \
        "DELAYN(a, 2, 3, a) + (LN(a) / LN(10)) + (RAMP(1, 2) - RAMP(1, 5))"
    assert vensim_call("nonnegative_rate", ["f", "s + 1"], lambda i: "(s + 1)") == \
        "MAX(f, -(s + 1) / TIME STEP)"
    assert xmile_call("nonnegative_rate", ["f", "s"], str) is None
    with pytest.raises(gysim.ModelDefinitionError, match=r"`pulse` \(write a Vensim file"):
        XmilePrinter(m, 1.0).expr(parse("pulse(1, 2)"), "b")
    with pytest.raises(gysim.ModelDefinitionError, match="the function `cumsum`"):
        VensimPrinter(m, 1.0).call(gysim.expr.Call("cumsum", (Name("a"),)), "b")
