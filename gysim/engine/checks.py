"""The compiler's first stage: a model's equations refer to what exists, as it can be used.

Unknown names (with a did-you-mean hint), element labels used as values,
lookups used as values, calls of unknown functions or with the wrong number
of arguments, arguments that must be constants or dimension names, flows
attached to missing stocks, and equations that refer to themselves.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.param("birth_rate", 0.01)
>>> m.aux("y", "birth_rat * 2")
>>> try:
...     m.compile()
... except gysim.ModelDefinitionError as err:
...     print(err)
aux 'y' uses 'birth_rat', which is not defined in model 'm'; did you mean 'birth_rate'?
"""

from __future__ import annotations

from typing import Mapping

from .._text import suggest
from ..builtins import BUILTINS, folded
from ..elements import Aux, Flow, Lookup, ModelLike, Stock
from ..errors import ModelDefinitionError
from ..expr import Call, Name, Subscript, names, to_text, walk

__all__ = ["check_model", "MAX_ORDER"]

#: Highest order accepted for ``smooth_n`` and ``delay_n``: each stage is a hidden
#: stock, so an order of 10**9 would build a billion states before failing.
MAX_ORDER = 1000


def check_model(model: ModelLike, label_dim: Mapping[str, tuple[str, int]]) -> None:
    """Check every equation's references and calls, and every flow's stocks.

    Parameters
    ----------
    model : ModelLike
        The model.
    label_dim : mapping
        Each element label of the model's dimensions -> (dimension, index).

    Raises
    ------
    ModelDefinitionError
        Naming the element, what it uses and what to do.
    """
    _check_references(model, label_dim)
    _check_flows(model)


def _check_references(model: ModelLike, label_dim) -> None:
    elements = model.elements
    dimensions = model.dimensions
    known = set(elements) | {"time"} | set(dimensions)
    for owner, element in elements.items():
        trees = []
        if isinstance(element, Stock):
            trees.append(("initial value of stock", element.initial))
        elif isinstance(element, (Flow, Aux)):
            trees.append((element.kind, element.tree))
        for what, tree in trees:
            where = f"{what} '{owner}'"
            for node in walk(tree):
                if isinstance(node, Name):
                    _check_name(node, where, model, known, label_dim)
                elif isinstance(node, Subscript):
                    _check_name(node.value, where, model, known, label_dim)
                    _check_selection(node, where, model, label_dim)
                elif isinstance(node, Call):
                    _check_call(node, where, elements, dimensions)
            if owner in names(tree) and isinstance(element, (Flow, Aux)):
                raise ModelDefinitionError(
                    f"{where} refers to itself: '{owner}' = {to_text(tree)} is an algebraic "
                    f"loop; make one of the variables in it a stock")
        if isinstance(element, Stock):
            for call in (c for c in walk(element.initial) if isinstance(c, Call)):
                spec = BUILTINS.get(call.func)
                if spec is not None and spec.kind == "stateful":
                    raise ModelDefinitionError(
                        f"initial value of stock '{owner}': `{call.func}` keeps state and "
                        f"cannot be used in an initial value; use the value it starts from")


def _check_name(node: Name, where: str, model: ModelLike, known: set,
                label_dim: Mapping[str, tuple[str, int]]) -> None:
    if node.id in label_dim:
        raise ModelDefinitionError(
            f"{where} uses '{node.id}', an element label of dimension "
            f"'{label_dim[node.id][0]}'; select an element with a subscript, e.g. x[{node.id}]")
    if node.id not in known:
        raise ModelDefinitionError(
            f"{where} uses '{node.id}', which is not defined in model "
            f"'{model.name}'{suggest(node.id, known)}")
    if isinstance(model.elements.get(node.id), Lookup):
        raise ModelDefinitionError(
            f"{where} uses lookup '{node.id}' as a value; call it with an argument, "
            f"e.g. {node.id}(x)")


def _check_selection(node: Subscript, where: str, model: ModelLike,
                     label_dim: Mapping[str, tuple[str, int]]) -> None:
    """Labels of a selection exist (the dims stage checks the rest, in models with dims)."""
    shown = to_text(node)
    if not model.dimensions:
        raise ModelDefinitionError(
            f"{where}: `{shown}` selects an element of '{node.value.id}', but model "
            f"'{model.name}' declares no dimensions; declare them with "
            f"m.dimension(name, labels) and give '{node.value.id}' `dims`")
    for label in node.labels:
        if label not in label_dim:
            raise ModelDefinitionError(
                f"{where}: '{label}' in `{shown}` is not an element label of any "
                f"dimension{suggest(label, label_dim)}")


def _check_call(node: Call, where: str, elements: Mapping, dimensions: Mapping) -> None:
    spec = BUILTINS.get(node.func)
    n = len(node.args)
    if spec is not None:
        if not spec.min_args <= n <= spec.max_args:
            expected = (str(spec.min_args) if spec.min_args == spec.max_args
                        else f"{spec.min_args} to {spec.max_args}")
            raise ModelDefinitionError(
                f"{where}: `{node.func}` takes {expected} arguments, got {n} "
                f"(usage: {spec.signature})")
        for i in spec.constant_args:
            value = folded(node.args[i])  # an expression of constants is a constant
            if value is None:
                raise ModelDefinitionError(
                    f"{where}: the order of `{node.func}` must be a constant number, got "
                    f"`{to_text(node.args[i])}`")
            if value > MAX_ORDER:
                raise ModelDefinitionError(
                    f"{where}: the order of `{node.func}` is {value:g}; the limit "
                    f"is {MAX_ORDER} stages (gysim.engine.checks.MAX_ORDER)")
        if spec.reduction is not None and spec.numpy is None and not (
                isinstance(node.args[1], Name) and node.args[1].id in dimensions):
            raise ModelDefinitionError(
                f"{where}: the second argument of `{node.func}` must be a dimension name "
                f"({', '.join(dimensions) or 'the model declares none'}), got "
                f"`{to_text(node.args[1])}`")
        if spec.along and not (isinstance(node.args[-1], Name)
                               and node.args[-1].id in dimensions):
            raise ModelDefinitionError(
                f"{where}: the last argument of `{node.func}` must be the dimension it "
                f"allocates along ({', '.join(dimensions) or 'the model declares none'}), "
                f"got `{to_text(node.args[-1])}` (usage: {spec.signature})")
        return
    target = elements.get(node.func)
    if isinstance(target, Lookup):
        if n != 1:
            raise ModelDefinitionError(
                f"{where}: lookup '{node.func}' takes one argument, got {n}")
        return
    if target is not None:
        raise ModelDefinitionError(
            f"{where} calls '{node.func}', which is a {target.kind}, not a function or lookup")
    candidates = list(BUILTINS) + [k for k, v in elements.items() if isinstance(v, Lookup)]
    raise ModelDefinitionError(
        f"{where} calls unknown function '{node.func}'{suggest(node.func, candidates)}")


def _check_flows(model: ModelLike) -> None:
    elements = model.elements
    stock_names = [n for n, e in elements.items() if isinstance(e, Stock)]
    for name, e in elements.items():
        if not isinstance(e, Flow):
            continue
        for role, target in (("into", e.into), ("out_of", e.out_of)):
            if target is None:
                continue
            if target not in elements:
                raise ModelDefinitionError(
                    f"flow '{name}' has {role}='{target}', which is not a stock of model "
                    f"'{model.name}'{suggest(target, stock_names)}")
            if not isinstance(elements[target], Stock):
                raise ModelDefinitionError(
                    f"flow '{name}' has {role}='{target}', which is a "
                    f"{elements[target].kind}, not a stock")
