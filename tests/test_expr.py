"""The equation parser: what it accepts, what it refuses, and printing back."""

import pytest

from gysim.errors import ModelDefinitionError
from gysim.expr import (BinOp, BoolOp, Call, Compare, Const, IfExp, Name, MAX_DEPTH, MAX_LENGTH,
                        calls, names, parse, to_text)


def test_parse_builds_tree():
    assert parse("a * (b + 2)") == BinOp("*", Name("a"), BinOp("+", Name("b"), Const(2.0)))
    assert parse("-3") == Const(-3.0)
    assert parse(4) == Const(4.0)
    assert parse("x if y > 1 else z") == IfExp(Compare(">", Name("y"), Const(1.0)),
                                               Name("x"), Name("z"))


def test_chained_comparison_becomes_and():
    tree = parse("0 < x <= 1")
    assert tree == BoolOp("and", (Compare("<", Const(0.0), Name("x")),
                                  Compare("<=", Name("x"), Const(1.0))))


def test_names_and_calls():
    tree = parse("smooth(gdp, tau) + max(a, exp(b)) * time")
    assert names(tree) == {"gdp", "tau", "a", "b", "time"}
    assert calls(tree) == {"smooth", "max", "exp"}


@pytest.mark.parametrize("text", [
    "a + b * c", "(a + b) * c", "a - (b - c)", "a / (b * c)", "a ** b ** c", "(a ** b) ** c",
    "-a ** 2", "not a and b", "a or b and c", "x if c else y", "f(a, -1, 2.5)",
    "a < b", "(a < b) + 1", "a % b", "-(a + b)",
])
def test_to_text_round_trips(text):
    tree = parse(text)
    assert parse(to_text(tree)) == tree


@pytest.mark.parametrize("text, fragment", [
    ("__import__('os')", "underscore"),
    ("a.b", "Attribute"),
    ("a[0]", "Subscript"),
    ("'text'", "only numbers"),
    ("lambda: 1", "Lambda"),
    ("[x for x in y]", "ListComp"),
    ("f(x=1)", "positional"),
    ("f(*args)", "positional"),
    ("(lambda: 1)()", "plain function names"),
    ("a.b()", "plain function names"),
    ("x := 1", "not a valid expression"),
    ("import os", "not a valid expression"),
    ("f'{x}'", "JoinedStr"),
    ("True", "only numbers"),
    ("1e999", "not finite"),
    ("a +", "not a valid expression"),
    ("", "empty"),
    ("_hidden + 1", "underscore"),
    ("{1: 2}", "Dict"),
    ("a @ b", "BinOp"),
])
def test_refuses_unsafe_or_invalid(text, fragment):
    with pytest.raises(ModelDefinitionError, match="(?i)" + fragment.replace("(", r"\(")):
        parse(text, where="aux 'q'")


def test_refuses_deep_nesting_and_long_text():
    with pytest.raises(ModelDefinitionError, match="deeper"):
        parse("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ModelDefinitionError, match="nests"):
        parse("-" * 5000 + "1")
    with pytest.raises(ModelDefinitionError, match="characters long"):
        parse("1+" * (MAX_LENGTH // 2) + "1")


def test_message_names_the_element():
    with pytest.raises(ModelDefinitionError, match="aux 'gdp'"):
        parse("a.b", where="aux 'gdp'")


def test_call_node():
    assert parse("lookup_x(2)") == Call("lookup_x", (Const(2.0),))
