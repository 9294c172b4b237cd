"""Several objectives: the Pareto front of a lever problem by NSGA-II (pymoo).

:func:`nsga2` runs pymoo's NSGA-II (Deb, Pratap, Agarwal & Meyarivan 2002,
"A fast and elitist multiobjective genetic algorithm: NSGA-II", IEEE Trans.
Evol. Comput. 6(2)) on a :class:`gysim.lever_problem.LeverProblem`: each
generation's population is one ensemble, the targets are inequality
constraints ``G <= 0`` (pymoo's constraint-domination: feasible first, then
by violation), and the front is returned as an xarray Dataset. Used by
:func:`gysim.optimize` when it gets two or more objectives; pymoo is in the
``optimize`` extra (``pip install gysim[optimize]``).

Examples
--------
>>> import numpy as np
>>> from gysim.pareto import non_dominated
>>> non_dominated(np.array([[1.0, 3.0], [2.0, 2.0], [2.0, 3.0], [3.0, 1.0]])).tolist()
[True, True, False, True]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import GysimError, ParameterError
from .lever_problem import LeverProblem

__all__ = ["nsga2", "non_dominated", "compromise"]


def non_dominated(F: np.ndarray) -> np.ndarray:
    """Which rows of F (points x objectives, minimised) no other row dominates.

    Examples
    --------
    >>> import numpy as np
    >>> non_dominated(np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])).tolist()
    [True, True, False]
    """
    F = np.asarray(F, dtype=float)
    le = (F[:, None, :] <= F[None, :, :]).all(axis=2)
    lt = (F[:, None, :] < F[None, :, :]).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return ~dominated


def compromise(F: np.ndarray) -> int:
    """Index of the point closest to the ideal point, each objective scaled to [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> compromise(np.array([[0.0, 1.0], [0.4, 0.4], [1.0, 0.0]]))
    1
    """
    F = np.asarray(F, dtype=float)
    lo, hi = F.min(axis=0), F.max(axis=0)
    scaled = (F - lo) / np.where(hi > lo, hi - lo, 1.0)
    return int(np.argmin(np.linalg.norm(scaled, axis=1)))


def nsga2(problem: LeverProblem, names: list[str], seed: Any, generations: int,
          pop_size: int, options: dict) -> tuple:
    """Run NSGA-II on `problem`; return (x, history, success, message, front).

    `x` is the front's :func:`compromise` point; `history` the best of each
    objective among the feasible candidates of each generation; `front` a
    Dataset over ``point`` with the objectives (named by `names`) and the
    levers, sorted by the first objective.

    Examples
    --------
    >>> import gysim
    >>> from gysim.lever_problem import LeverProblem
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("x", 0.0, bounds=(0, 2))
    >>> pb = LeverProblem(m, {"x": None}, [], ["x", "2 - x"], simulate_options={"method": "euler", "dt": 1})
    >>> x, history, ok, message, front = nsga2(pb, ["f", "g"], 1, 3, 8, {})
    >>> ok, front.sizes["point"], bool(abs(front.f + front.g - 2).max() < 1e-12)
    (True, 8, True)
    """
    try:
        from pymoo.algorithms.moo.nsga2 import NSGA2
        from pymoo.core.callback import Callback
        from pymoo.core.problem import Problem
        from pymoo.optimize import minimize
    except ImportError:  # pragma: no cover - depends on the installation
        raise GysimError("several objectives need pymoo: pip install 'gysim[optimize]'") from None
    if "pop_size" in options:
        raise ParameterError("`solver_options['pop_size']` is set by optimize's `population`")
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise ParameterError(f"`seed` must be an integer for NSGA-II (pymoo), got {seed!r}")
    n_obj, n_con = len(problem.objectives), len(problem.targets)

    class _Problem(Problem):
        def __init__(self):
            super().__init__(n_var=len(problem.names), n_obj=n_obj, n_ieq_constr=n_con,
                             xl=problem.bounds[:, 0], xu=problem.bounds[:, 1])

        def _evaluate(self, X, out, *args, **kwargs):
            ev = problem.evaluate(X)
            out["F"] = np.where(np.isfinite(ev.objectives), ev.objectives, 1e300)
            if n_con:
                out["G"] = ev.violations

    history: list[dict] = []

    class _History(Callback):
        def notify(self, algorithm):
            pop = algorithm.pop
            F, G = pop.get("F"), pop.get("G") if n_con else None
            ok = (G <= 0).all(axis=1) if n_con else np.ones(len(F), bool)
            row = {f"best_{n}": float(F[ok, j].min()) if ok.any() else np.inf
                   for j, n in enumerate(names)}
            row["violation"] = float(np.clip(G, 0, None).sum(axis=1).min()) if n_con else 0.0
            history.append(row)

    result = minimize(_Problem(), NSGA2(pop_size=pop_size, **options), ("n_gen", generations),
                      seed=None if seed is None else int(seed), callback=_History(),
                      verbose=False)
    frame = pd.DataFrame(history)
    frame.index.name = "generation"
    if result.X is None:   # nothing feasible: the least violating candidate of the last population
        pop = result.pop
        G = pop.get("G")
        best = int(np.argmin(np.clip(G, 0, None).sum(axis=1)))
        return (np.asarray(pop.get("X")[best], dtype=float), frame, False,
                "NSGA-II found no feasible candidate", None)
    X, F = np.atleast_2d(result.X), np.atleast_2d(result.F)
    order = np.lexsort(F.T[::-1])
    X, F = X[order], F[order]
    data = {n: ("point", F[:, j]) for j, n in enumerate(names)}
    data.update({lever: ("point", X[:, j]) for j, lever in enumerate(problem.names)})
    front = xr.Dataset(data, coords={"point": np.arange(len(F))},
                       attrs={"objectives": list(names), "levers": list(problem.names),
                              "algorithm": "NSGA-II (pymoo)", "generations": generations,
                              "population": pop_size})
    return (X[compromise(F)], frame, True,
            f"NSGA-II: {len(F)} non-dominated feasible points after {generations} generations",
            front)
