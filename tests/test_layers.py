"""The package's layers (README, "How gysim is built"): imports go down, never in a cycle.

Every import counts, including those inside functions; only type-only
imports under ``if TYPE_CHECKING:`` are exempt. A new module must be given a
layer here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gysim"

#: Layer of each module, by the longest matching name prefix.
LAYERS = {
    "gysim._version": 0, "gysim.errors": 0, "gysim.atomic": 0, "gysim._text": 0,
    "gysim.expr": 1, "gysim.builtins": 1, "gysim.builtin_units": 1,
    "gysim.random_draws": 1,
    "gysim.distributions": 1, "gysim.allocation": 1, "gysim.vector_functions": 1,
    "gysim.vector_sort": 1,
    "gysim.elements": 2, "gysim.labels": 2,
    "gysim.display": 2, "gysim.fonts": 2,
    "gysim.units": 3, "gysim.unit_registry": 3, "gysim.engine": 3,
    "gysim.model": 4, "gysim.model_views": 3, "gysim.compile": 4, "gysim.examples": 4,
    # the writers take any ModelLike, so Model.to_vensim/to_xmile call them as peers
    "gysim.io.writing": 4, "gysim.io.spellings": 4, "gysim.io.vensim_writer": 4,
    "gysim.io.xmile_writer": 4, "gysim.io.vensim_sketch": 4,
    "gysim.simulate": 5, "gysim.solvers": 5, "gysim.io": 5,
    "gysim.engine.integrate_fixed_step": 5, "gysim.engine.integrate_adaptive": 5,
    "gysim.engine.results": 5,
    "gysim.engine.integrate": 5, "gysim.engine.solvers": 5,
    "gysim.calibrate": 6, "gysim.fit_report": 6, "gysim.batch": 6, "gysim.sampling": 6,
    "gysim.sensitivity": 6, "gysim.targets": 6, "gysim.conformance": 6,
    "gysim.goal_seek": 6,
    "gysim.outputs": 6,
    "gysim.link_values": 4, "gysim.loops": 4, "gysim.loop_dominance": 6,
    "gysim.diagram_layout": 3, "gysim.diagram": 4, "gysim.sliders": 7,
    "gysim.lever_problem": 6, "gysim.optimize": 6, "gysim.pareto": 6, "gysim.discover": 6,
    "gysim.posterior": 6, "gysim.indices": 6, "gysim.hindcast": 7,
    "gysim.plot": 7, "gysim.plot_targets": 7, "gysim.registry": 7, "gysim.demo": 7,
    "gysim.tables": 7,
    "gysim.plot_fit": 7,
    "gysim.cli": 8, "gysim.__main__": 8, "gysim": 8,
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def layer(module: str) -> int:
    name = module
    while name not in LAYERS:
        name = name.rpartition(".")[0]
        if not name:
            raise KeyError(module)
    return LAYERS[name]


def _type_checking_imports(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(sub) for sub in ast.walk(node))
    return skip


def imports_of(module: str) -> set[str]:
    """gysim modules that ``module`` imports (anywhere in it, type-only imports excepted)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _type_checking_imports(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip or not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            names = [f"{base}.{a.name}" for a in node.names] + [base]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("gysim") and name != module:
                # a package re-exporting its own modules is not an upward import
                if not (path.name == "__init__.py" and name.startswith(module + ".")):
                    found.add(name)
                break
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_has_a_layer_and_imports_only_downward(module):
    own = layer(module)
    upward = sorted(f"{target} (L{layer(target)})" for target in imports_of(module)
                    if layer(target) > own)
    assert not upward, f"{module} (L{own}) imports upward: {', '.join(upward)}"


def test_no_import_cycles():
    graph = {m: imports_of(m) for m in MODULES}
    graph = {m: {t for t in targets if not (MODULES[m].name == "__init__.py"
                                             and t.startswith(m + "."))}
             for m, targets in graph.items()}
    state: dict[str, int] = {}
    cycles = []

    def visit(node, path):
        state[node] = 1
        for child in sorted(graph[node]):
            if state.get(child) == 1:
                cycles.append(path[path.index(child):] + [child])
            elif not state.get(child):
                visit(child, path + [child])
        state[node] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m, [m])
    # the top-level package imports everything it re-exports: its edges are not cycles
    cycles = [c for c in cycles if "gysim" not in c]
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
