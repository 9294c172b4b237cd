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


# Issue 13: spellings from Vensim, spreadsheets and C get a suggestion of what to write.
@pytest.mark.parametrize("text, hint", [
    ("x ^ 2", "use ** for powers"),
    ("IF THEN ELSE(x > 1, x, 0)", "is written `if_then_else(c, a, b)` or `a if c else b`"),
    ("if then else(x > 1, x, 0)", "is written `if_then_else(c, a, b)`"),
    ("IF x > 1 THEN x ELSE 0", "is written `a if c else b`"),
    ("x > 1 :AND: y < 3", "use `and` for Vensim's `:AND:`"),
    ("x > 1 :OR: y < 3", "use `or` for Vensim's `:OR:`"),
    ("x = 1", "use == to compare"),
    ("x <> 1", "use != for 'not equal'"),
    ("x && y", "use `and` (not `&&`)"),
    ("x || y", "use `or` (not `||`)"),
    ("!x", "use `not` (not `!`)"),
    ("x & y", "use `and` for a logical and"),
    ("x | y", "use `or` for a logical or"),
    ("2x + 1", "write products with `*`"),
])
def test_other_tools_spellings_get_a_suggestion(text, hint):
    with pytest.raises(ModelDefinitionError) as err:
        parse(text, where="aux 'y'")
    assert hint in str(err.value)
    assert str(err.value).startswith("equation of aux 'y'")


def test_vensim_if_then_else_with_equals_gets_both_hints():
    with pytest.raises(ModelDefinitionError) as err:
        parse("IF THEN ELSE(x = 1, y ^ 2, 0)")
    message = str(err.value)
    assert "`if_then_else(c, a, b)`" in message and "use == to compare" in message
    assert "use ** for powers" in message
    assert "IF c THEN" not in message  # one hint for IF THEN ELSE, not two


@pytest.mark.parametrize("text", ["x2y + 1e5 +", "a != b ==", "x <= y >="])
def test_no_suggestion_where_nothing_is_misspelt(text):
    """Names with digits, exponents and the comparisons ==, !=, <= do not trigger hints."""
    with pytest.raises(ModelDefinitionError) as err:
        parse(text)
    message = str(err.value)
    for wrong in ("products", "use ==", "use `not`", "powers"):
        assert wrong not in message


@pytest.mark.parametrize("name, builtin", [("MIN", "min"), ("MAX", "max"), ("SMOOTH", "smooth"),
                                           ("IF_THEN_ELSE", "if_then_else"), ("XIDZ", "xidz"),
                                           ("Smooth3", "smooth3")])
def test_upper_case_builtin_names_suggest_the_builtin(name, builtin):
    import gysim
    m = gysim.Model("m", start=0, stop=1)
    m.param("a", 1.0)
    args = {"IF_THEN_ELSE": "a > 0, a, 0", "XIDZ": "a, a, 0"}.get(name, "a, 1")
    m.aux("y", f"{name}({args})")
    with pytest.raises(ModelDefinitionError,
                       match=rf"aux 'y' calls unknown function '{name}'; did you mean "
                             rf"'{builtin}'\?"):
        m.compile()
