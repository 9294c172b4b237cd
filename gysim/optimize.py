"""Robust lever optimisation: the cheapest lever settings that meet targets, under uncertainty.

:func:`optimize` searches lever values (parameters within bounds) that
minimise a cost while the targets hold -- in every run without uncertainty,
or in at least a share ``probability`` of the runs over samples of uncertain
parameters (chance constraints). Each generation of the optimiser is ONE
ensemble: the population's candidates times the K samples, integrated
together by :func:`gysim.simulate`.

How it searches
---------------
- **One objective**: :func:`scipy.optimize.differential_evolution` with
  ``vectorized=True`` (so ``updating="deferred"``: a generation is scored at
  once). Targets are passed through scipy's constraint API
  (:class:`scipy.optimize.NonlinearConstraint`), which DE handles by
  Lampinen's feasibility rules: a feasible candidate beats an infeasible
  one, two feasible ones compare by cost and two infeasible ones by their
  total violation. Unlike a penalty ``cost + M * violation`` this needs no
  weight ``M`` that must be large enough but not so large that it swamps
  the cost. Without ``polish`` (off by default): polishing uses
  ``trust-constr`` on single runs and gradients of the piecewise-smooth
  chance constraints.
- **Several objectives**: pymoo's NSGA-II (Deb et al. 2002) with the same
  constraints (``G <= 0``, constraint-domination); the result is the Pareto
  front of the last population, as a Dataset, with :meth:`OptimizeResult.plot`.
- **Chance constraints** are handled in their order-statistic form, which is
  exact for the samples and continuous in the levers (see
  :mod:`gysim.lever_problem` for why not the share itself, nor a smoothed
  share).

Examples
--------
The smallest L with P(10 L k >= 50) >= 0.9 for k ~ U(0.8, 1.2) is
5 / 0.84 = 5.952; with 1000 evenly spread samples of k it is
5 / 0.8402 = 5.951 (at least 900 of them must be >= 5 / L):

>>> import numpy as np, gysim
>>> from gysim.optimize import optimize
>>> m = gysim.Model("m", start=0, stop=1)
>>> m.param("L", 1.0, bounds=(0, 10))
>>> m.param("k", 1.0, bounds=(0, 2))
>>> m.aux("y", "10 * L * k")
>>> k = 0.8 + 0.4 * (np.arange(1000) + 0.5) / 1000
>>> res = optimize(m, {"L": (1, 10)}, [gysim.Target("y", 50, "at_least", variable="y",
...                years=(0,))], minimize="L", uncertain={"k": k}, probability=0.9,
...                seed=1, method="euler", dt=1)
>>> round(res.levers["L"], 3), res.success, float(res.table.loc["y", "share_met"])
(5.951, True, 0.9)
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .batch import as_params
from .errors import DataError, ParameterError
from .lever_problem import Evaluation, LeverProblem, as_samples
from .model import Model
from .targets import Target

__all__ = ["optimize", "OptimizeResult", "BINDING_TOL"]

#: Default relative tolerance of a binding target (its margin within 1 % of the goal).
BINDING_TOL = 0.01
#: Default tolerance of a binding chance constraint (share met within 0.02 of `probability`).
BINDING_SHARE_TOL = 0.02


@dataclass(frozen=True)
class OptimizeResult:
    """What :func:`optimize` found.

    Attributes
    ----------
    levers : dict
        The lever values found (with several objectives: the point of the
        front closest to the ideal point, each objective scaled to [0, 1]
        over the front).
    objective : float or ndarray
        The objective(s) there, averaged over the samples.
    table : pandas.DataFrame
        One row per target: ``kind``, ``target_value``, ``probability``
        (required share), ``share_met``, ``model_value`` (median over the
        samples), ``value_at_probability`` (the indicator that a share
        `probability` of the runs reach or beat), ``margin`` (that value's
        distance to the goal as a fraction of ``|goal|``; >= 0 when met),
        ``met`` and ``binding``.
    binding : list of str
        Targets that bind: met with a margin within ``binding_tol`` of the
        goal, or (with uncertainty) a share met within ``binding_share_tol``
        of `probability`.
    unreachable : list of str
        Targets that no candidate tried met with the required probability.
    best_shares : dict
        Each target's highest share met among all candidates tried.
    model : Model
        The model with the levers applied (``model.with_params``).
    history : pandas.DataFrame
        Per generation: the best objective (``inf`` while no candidate is
        feasible) and the least total constraint violation.
    front : xarray.Dataset or None
        Several objectives: the Pareto front (dim ``point``; the objectives
        and the levers as variables), sorted by the first objective.
    success : bool
        Whether a feasible point was found (and the optimiser stopped on
        its own criterion).
    message : str
    n_runs, n_calls : int
        Runs simulated and :func:`gysim.simulate` calls.
    samples : dict
        The samples of the uncertain parameters used (common to every candidate).

    Examples
    --------
    >>> from gysim.optimize import OptimizeResult
    >>> import pandas as pd
    >>> r = OptimizeResult({"L": 5.95}, 5.95, pd.DataFrame(), [], [], None, pd.DataFrame(), None,
    ...                    True, "ok", n_runs=100, n_calls=2)
    >>> r
    OptimizeResult(L = 5.95; objective 5.95; feasible; 100 runs in 2 calls)
    """

    levers: dict
    objective: Any
    table: pd.DataFrame
    binding: list
    unreachable: list
    model: Model | None
    history: pd.DataFrame
    front: xr.Dataset | None
    success: bool
    message: str
    n_runs: int = 0
    n_calls: int = 0
    samples: dict = field(default_factory=dict, repr=False)
    best_shares: dict = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        levers = ", ".join(f"{k} = {v:.6g}" for k, v in self.levers.items())
        objective = np.round(np.asarray(self.objective, dtype=float), 6).tolist()
        state = "feasible" if self.success else "NOT feasible"
        front = f"; front of {self.front.sizes['point']} points" if self.front is not None else ""
        return (f"OptimizeResult({levers}; objective {objective:g}" if np.isscalar(objective)
                else f"OptimizeResult({levers}; objectives {objective}") + \
            f"; {state}{front}; {self.n_runs} runs in {self.n_calls} calls)"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td>{v:.6g}</td></tr>" for k, v in self.levers.items())
        head = html.escape(f"{'feasible' if self.success else 'NOT feasible'}: {self.message}")
        return f"<p>{head}</p><table>{rows}</table>{self.table.to_html()}"

    def plot(self, ax: Any = None) -> Any:
        """The Pareto front (several objectives) or the best objective per generation.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import pandas as pd
        >>> from gysim.optimize import OptimizeResult
        >>> h = pd.DataFrame({"best_objective": [3.0, 2.0], "violation": [0.0, 0.0]})
        >>> r = OptimizeResult({"x": 1.0}, 2.0, pd.DataFrame(), [], [], None, h, None, True, "")
        >>> r.plot().get_ylabel()
        'best objective'
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        if self.front is not None:
            names = list(self.front.attrs["objectives"])
            x, y = self.front[names[0]].values, self.front[names[1]].values
            ax.plot(x, y, "o", ms=4, label="Pareto front")
            ax.set_xlabel(names[0])
            ax.set_ylabel(names[1])
            ax.legend()
        else:
            ax.plot(self.history.index, self.history["best_objective"], "-o", ms=3)
            ax.set_xlabel("generation")
            ax.set_ylabel("best objective")
        return ax


def _objectives(minimize: Any) -> tuple[list[str], list[Any]]:
    if minimize is None:
        raise DataError("`minimize` must be given: a cost expression over the levers and "
                        "parameters (e.g. 'investment_share * 10'), a function of the Dataset, "
                        "or a list or dict of them for several objectives")
    if isinstance(minimize, Mapping):
        items = [(str(k), v) for k, v in minimize.items()]
    elif isinstance(minimize, (str,)) or callable(minimize):
        items = [(None, minimize)]
    elif isinstance(minimize, Sequence):
        items = [(None, v) for v in minimize]
    else:
        raise DataError(f"`minimize` must be a string, a callable, or a list or dict of them, "
                        f"got {type(minimize).__name__}")
    if not items:
        raise DataError("`minimize` holds no objective")
    names = []
    for i, (name, obj) in enumerate(items):
        if name is None:
            name = obj if isinstance(obj, str) else getattr(obj, "__name__", "<lambda>")
            name = f"objective_{i}" if name == "<lambda>" else name
        names.append(name)
    if len(set(names)) != len(names):
        raise DataError(f"`minimize`: objective names must differ, got {names}")
    return names, [obj for _, obj in items]


def optimize(model: Model, levers: Mapping[str, Any], targets: Sequence[Target] = (), *,
             minimize: Any = None, uncertain: Any = None, probability: float | None = None,
             scenario: str | None = None, seed: Any = None, n_samples: int | None = None,
             generations: int = 100, population: int | None = None, tol: float = 0.01,
             binding_tol: float = BINDING_TOL, binding_share_tol: float = BINDING_SHARE_TOL,
             solver_options: Mapping[str, Any] | None = None,
             **simulate_options: Any) -> OptimizeResult:
    """Find lever settings that minimise a cost while targets hold (with a probability).

    Parameters
    ----------
    model : Model
    levers : mapping of str to (lo, hi) or None
        The parameters to set (or ``param[label]``) and where to search
        them; None searches the parameter's own bounds. Bounds beyond the
        parameter's are refused (widen them with ``model.with_bounds``).
    targets : sequence of Target
        What must hold (:class:`gysim.Target`). Empty: an unconstrained search.
    minimize : str, callable, or a list or dict of them
        The cost: an expression over levers and parameters (``"L * 10 +
        invest_plan"``; arithmetic and ``abs exp log ln log10 sqrt min
        max``), or a function of the ensemble Dataset giving one value per
        run (e.g. ``lambda ds: ds.cost.sel(time=2010)``). Either is averaged
        over the samples. Two or more (a dict names them): a Pareto front by
        NSGA-II.
    uncertain : mapping, DataFrame or posterior-like, optional
        Samples of uncertain parameters, the same K for every candidate
        (common random numbers): a mapping name -> 1-D array, a DataFrame,
        an object with a method ``draws(n)`` returning one, or with an
        attribute ``posterior`` holding one (or an xarray Dataset, whose
        dims are flattened into samples); see
        :func:`gysim.lever_problem.as_samples`.
    probability : float, optional
        With `uncertain`: the share of the samples in which each target must
        hold, in (0, 1]. Required with `uncertain` and targets; refused
        without `uncertain`.
    scenario : str, optional
        A scenario of the model; the levers apply on top of its overrides.
    seed : int, optional
        Seeds the optimiser (and the choice of `n_samples` samples): the
        same seed gives the same answer.
    n_samples : int, optional
        How many samples to use (``draws(n)``; or a random subset of more).
    generations : int
        Most generations (DE's ``maxiter``, NSGA-II's ``n_gen``).
    population : int, optional
        DE: population per lever (``popsize``, default 15); NSGA-II: the
        population (default 100).
    tol : float
        DE's relative convergence tolerance.
    binding_tol, binding_share_tol : float
        When a target counts as binding (see :class:`OptimizeResult`).
    solver_options : mapping, optional
        More options for :func:`scipy.optimize.differential_evolution`
        (``mutation``, ``recombination``, ``init``, ``polish``...) or for
        pymoo's ``NSGA2``.
    **simulate_options
        Passed to :func:`gysim.simulate` (``method``, ``dt``, ``rtol``,
        ``params`` fixing other parameters...).

    Returns
    -------
    OptimizeResult

    Raises
    ------
    ParameterError
        Bad levers (unknown, unbounded, bounds beyond the parameter's),
        `probability` out of (0, 1] or given without `uncertain`, bad
        optimiser options.
    DataError
        Bad targets, objectives or samples.

    Examples
    --------
    Cheapest ``a`` and ``b`` with ``a + 2 b >= 10`` and ``a + b >= 7``
    (a linear programme: a = 4, b = 3, cost 24):

    >>> import gysim
    >>> from gysim.optimize import optimize
    >>> m = gysim.Model("lp", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 10))
    >>> m.param("b", 1.0, bounds=(0, 10))
    >>> m.aux("y1", "a + 2 * b")
    >>> m.aux("y2", "a + b")
    >>> ts = [gysim.Target("y1", 10, "at_least", variable="y1", years=(0,)),
    ...       gysim.Target("y2", 7, "at_least", variable="y2", years=(0,))]
    >>> res = optimize(m, {"a": None, "b": None}, ts, minimize="3 * a + 4 * b", seed=2,
    ...                method="euler", dt=1, tol=1e-6)
    >>> round(res.objective, 1), sorted(res.binding)
    (24.0, ['y1', 'y2'])
    """
    names, objectives = _objectives(minimize)
    targets = list(targets)
    samples = {}
    if uncertain is not None:
        samples = as_samples(uncertain, n_samples, seed)
    if probability is not None:
        if uncertain is None:
            raise ParameterError("`probability` needs `uncertain` (samples to count the share "
                                 "in); without them targets are plain constraints")
        try:
            probability = float(probability)
        except (TypeError, ValueError):
            raise ParameterError(f"`probability` must be a number in (0, 1], got "
                                 f"{probability!r}") from None
        if not 0 < probability <= 1:
            raise ParameterError(f"`probability` must be in (0, 1], got {probability!r}")
    elif uncertain is not None and targets:
        raise ParameterError("`uncertain` with targets needs `probability=` (the share of the "
                             "samples in which each target must hold, e.g. 0.9)")
    for value, argument in ((generations, "generations"),) + (
            ((population, "population"),) if population is not None else ()):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ParameterError(f"`{argument}` must be a positive integer, got {value!r}")
    if not (np.isfinite(tol) and tol > 0):
        raise ParameterError(f"`tol` must be a positive number, got {tol!r}")
    problem = LeverProblem(model, levers, targets, objectives, samples=samples,
                           probability=probability, scenario=scenario,
                           simulate_options=simulate_options)
    if len(objectives) == 1:
        x, history, success, message = _differential_evolution(
            problem, seed, generations, population or 15, tol, dict(solver_options or {}))
        front = None
    else:
        from .pareto import nsga2

        x, history, success, message, front = nsga2(
            problem, names, seed, generations, population or 100, dict(solver_options or {}))
    ev = problem.evaluate(x[None, :])
    table = _table(problem, ev, binding_tol, binding_share_tol)
    feasible = bool(table["met"].all()) if len(table) else True
    success = bool(success and feasible)
    if not feasible:
        missed = ", ".join(table.index[~table["met"]])
        message = f"no candidate met every target; missed at the best found: {missed}. {message}"
    values = {name: float(v) for name, v in zip(problem.names, x)}
    lever_model = model.with_params(as_params(model, values, argument="levers"))
    objective = float(ev.objectives[0, 0]) if len(objectives) == 1 else ev.objectives[0].copy()
    unreachable = [t.name for t, best in zip(problem.targets, problem.best_shares)
                   if best < problem.probability - 1e-12]
    return OptimizeResult(values, objective, table, list(table.index[table["binding"]]),
                          unreachable, lever_model, history, front, success, message,
                          n_runs=problem.n_runs, n_calls=problem.n_calls, samples=samples,
                          best_shares={t.name: float(b) for t, b in
                                       zip(problem.targets, problem.best_shares)})


def _table(problem: LeverProblem, ev: Evaluation, binding_tol: float,
           binding_share_tol: float) -> pd.DataFrame:
    rows = []
    uncertain = problem.n_samples > 1
    for j, t in enumerate(problem.targets):
        margin = float(ev.margins[0, j])
        share = float(ev.shares[0, j])
        met = margin >= 0
        binding = met and (margin <= binding_tol or
                           (uncertain and share - problem.probability <= binding_share_tol))
        rows.append({"target": t.name, "kind": t.kind, "target_value": t.value,
                     "probability": problem.probability, "share_met": share,
                     "model_value": float(ev.medians[0, j]),
                     "value_at_probability": float(ev.quantiles[0, j]), "margin": margin,
                     "met": bool(met), "binding": bool(binding), "units": t.units})
    columns = ["target", "kind", "target_value", "probability", "share_met", "model_value",
               "value_at_probability", "margin", "met", "binding", "units"]
    return pd.DataFrame(rows, columns=columns).set_index("target")


_SEED_KEYWORD: str | None = None


class _Cache:
    """Scores by candidate: DE asks for constraints, then the objective of the feasible ones."""

    def __init__(self, problem: LeverProblem) -> None:
        self.problem = problem
        self.scores: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        n_con = len(self.problem.targets)
        if X.size == 0:   # DE asks for the objective of no candidate when none is feasible
            return np.empty(0), np.empty((0, n_con))
        keys = [row.tobytes() for row in X]
        todo = [i for i, key in enumerate(keys) if key not in self.scores]
        if todo:
            ev = self.problem.evaluate(X[todo])
            if len(self.scores) > 100_000:
                self.scores.clear()
            for n, i in enumerate(todo):
                self.scores[keys[i]] = (ev.objectives[n, 0], ev.violations[n])
        f = np.array([self.scores[k][0] for k in keys])
        c = np.array([self.scores[k][1] for k in keys]).reshape(len(keys), -1)
        return f, c


def _seed_keyword() -> str:
    """``rng`` since scipy 1.15; ``seed`` before (install_requires allows scipy 1.11)."""
    import inspect

    from scipy.optimize import differential_evolution

    return "rng" if "rng" in inspect.signature(differential_evolution).parameters else "seed"


def _differential_evolution(problem, seed, generations, popsize, tol, options):
    from scipy.optimize import NonlinearConstraint, differential_evolution

    global _SEED_KEYWORD
    if _SEED_KEYWORD is None:
        _SEED_KEYWORD = _seed_keyword()

    for key in ("vectorized", "bounds", "constraints", "callback", "maxiter", "popsize",
                "seed", "rng", "workers", "updating"):
        if key in options:
            raise ParameterError(f"`solver_options['{key}']` is set by optimize; "
                                 f"use its own argument")
    cache = _Cache(problem)
    history: list[dict] = []

    def objective(x: np.ndarray) -> np.ndarray:   # x: (n_levers, S)
        return cache(np.asarray(x).T)[0]

    def violation(x: np.ndarray) -> np.ndarray:   # (n_targets, S)
        return cache(np.atleast_2d(np.asarray(x).T))[1].T

    def callback(intermediate_result):
        history.append({"best_objective": float(intermediate_result.fun),
                        "violation": float(np.sum(getattr(intermediate_result, "constr_violation", 0.0)))})

    constraints = (NonlinearConstraint(violation, -np.inf, 0.0),) if problem.targets else ()
    options.setdefault("polish", False)
    options.setdefault("init", "latinhypercube")
    result = differential_evolution(
        objective, problem.bounds, constraints=constraints, vectorized=True, updating="deferred",
        maxiter=generations, popsize=popsize, tol=tol, callback=callback,
        **{_SEED_KEYWORD: seed}, **options)
    frame = pd.DataFrame(history, columns=["best_objective", "violation"])
    frame.index.name = "generation"
    return np.asarray(result.x, dtype=float), frame, bool(result.success), str(result.message)
