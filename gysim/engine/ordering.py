"""Ordering: the order in which computed values are evaluated, and algebraic loops.

Examples
--------
>>> toposort({"a": {"b"}, "b": set(), "c": {"a"}}, "the example")
['b', 'a', 'c']
>>> try:
...     toposort({"a": {"b"}, "b": {"a"}}, "the example")
... except Exception as err:
...     print(err)
algebraic loop in the example: a -> b -> a; break it with a stock (or a smooth/delay) on the loop
"""

from __future__ import annotations

from ..errors import ModelDefinitionError
from ..expr import names
from .program import Program

__all__ = ["toposort", "order_program"]


def toposort(graph: dict[str, set[str]], what: str) -> list[str]:
    """Names in dependency order (each after what it needs); refuses cycles.

    Parameters
    ----------
    graph : dict
        Each name -> the names it needs.
    what : str
        What the graph is, for the error message.

    Raises
    ------
    ModelDefinitionError
        On a cycle, naming it (hidden names left out where possible).
    """
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    for root in graph:
        if state.get(root):
            continue
        stack = [(root, iter(sorted(graph[root])))]
        state[root] = 1
        path = [root]
        while stack:
            node, children = stack[-1]
            for child in children:
                if state.get(child) == 1:
                    cycle = path[path.index(child):] + [child]
                    shown = [c for c in cycle if not c.startswith("_")] or cycle
                    raise ModelDefinitionError(
                        f"algebraic loop in {what}: " + " -> ".join(shown) +
                        "; break it with a stock (or a smooth/delay) on the loop")
                if not state.get(child):
                    state[child] = 1
                    path.append(child)
                    stack.append((child, iter(sorted(graph[child]))))
                    break
            else:
                stack.pop()
                path.pop()
                state[node] = 2
                order.append(node)
    return order


def order_program(program: Program) -> None:
    """Set the program's dynamic order and the order of its initial values."""
    computed = set(program.equations)
    graph = {n: names(tree) & computed for n, tree in program.equations.items()}
    program.order = toposort(graph, "the model's equations")

    trees = dict(program.equations)
    for d in program.delays_fixed:
        trees[d.output] = d.initial
    trees.update(program.initials)
    known = set(trees)  # once: a set per equation made this quadratic in the model's size
    graph = {n: names(tree) & known for n, tree in trees.items()}
    # Only what the initial values (and the fixed delays' set-up) need.
    needed: set[str] = set()
    stack = list(program.initials) + [d.output for d in program.delays_fixed]
    for d in program.delays_fixed:
        stack.extend(names(d.delay_time) & known)
    while stack:
        n = stack.pop()
        if n not in needed:
            needed.add(n)
            stack.extend(graph[n])
    program.init_trees = trees
    program.init_order = toposort({n: graph[n] for n in trees if n in needed},
                                  "the initial values")
