"""Goal-seek: the value of one lever that makes a run meet a goal exactly.

:func:`solve_for` answers "which value of this parameter gives 20 %/yr
investment growth in 2006-2010?" by root finding on runs batched as an
ensemble: runs of the vectorized engine cost little more in a batch than
alone (a model of 175 elements and 19 stocks over 10 years: one run about
22 ms, 65 runs together about 31 ms), so each step evaluates several lever
values in one :func:`gysim.simulate` call.

How it searches
---------------
1. **Bracket**: ``points`` lever values spread evenly over ``bounds`` (both
   ends included), in one ensemble run. Between two neighbouring values the
   indicator minus the goal must change sign; none is an error that gives
   the indicator's range over the bounds, several an error that lists the
   crossings (the indicator is not monotone in the lever).
2. **Refine**: each iteration is one ensemble run of ``points`` values
   inside the bracket: an estimate of the root (inverse quadratic
   interpolation through the three values closest to the goal, as in
   Brent's method, or the secant of the bracket's ends), pairs around it at
   1e-2, 1e-4, 1e-6... of the bracket's width, and evenly spread values.
   The tightest sign change among them is the next bracket: it shrinks at
   least twofold, and a millionfold once the estimate is good. It stops when the indicator is within
   ``tol`` of the goal.
3. **Check**: the value found is run once alone; that run's indicator is
   :attr:`GoalSeekResult.achieved`, what ``gysim.simulate`` gives for it.
   (With an adaptive method the runs of an ensemble share their time steps,
   so a run in a batch can differ from the same run alone by about the
   solver's ``rtol``.)

On such a model (an investment lever for 20 %/yr investment growth over
five years) this takes 3 ensemble calls and one single run, about 0.1 s;
:func:`scipy.optimize.brentq` on single runs needs 8-9 runs at 22 ms each
for the same tolerance, about twice the time.

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("growth", start=0, stop=10)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.05, bounds=(0, 0.2))
>>> m.flow("gain", "r * x", into="x")
>>> doubling = gysim.Target("doubling", 2.0, "about", variable="x", form="value", years=(10,))
>>> res = gysim.solve_for(m, "r", doubling, rtol=1e-10, atol=1e-12)
>>> round(res.value, 6), round(float(np.log(2)) / 10, 6)
(0.069315, 0.069315)
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from ._text import suggest
from .batch import as_params, element_bounds, param_element
from .errors import CalibrationError, DataError, ModelDefinitionError, ParameterError, SimulationError
from .labels import split_element
from .model import Model
from .simulate import simulate
from .targets import Target

__all__ = ["solve_for", "GoalSeekResult"]


@dataclass(frozen=True)
class GoalSeekResult:
    """What :func:`solve_for` found.

    Attributes
    ----------
    lever : str
        The parameter (or ``param[label]``) solved for.
    value : float
        The lever's value that meets the goal.
    achieved : float
        The indicator in a single run at `value` (what :func:`gysim.simulate`
        gives for it).
    goal : float
        The value the indicator was to reach.
    target : str
        The target's name (``"target"`` for a callable).
    scenario : str or None
        The scenario the runs used.
    bounds : (float, float)
        The interval searched.
    outside_bounds : bool
        Whether `value` lies outside the parameter's own bounds (found with
        ``allow_outside_bounds=True``).
    params : dict
        The lever's value as :func:`gysim.simulate` ``params`` (for
        ``param[label]``, the whole parameter with that element changed).
    n_runs, n_calls, iterations : int
        Runs simulated in all, :func:`gysim.simulate` calls, refining
        iterations after the bracket was found.

    Examples
    --------
    >>> from gysim.goal_seek import GoalSeekResult
    >>> GoalSeekResult("r", 0.0693, 2.0, 2.0, "doubling", None, (0.0, 0.2), False, {"r": 0.0693},
    ...                n_runs=27, n_calls=3, iterations=1)
    GoalSeekResult(r = 0.0693: doubling = 2 (goal 2); 27 runs in 3 calls)
    """

    lever: str
    value: float
    achieved: float
    goal: float
    target: str
    scenario: str | None
    bounds: tuple[float, float]
    outside_bounds: bool
    params: dict = field(repr=False)
    n_runs: int = 0
    n_calls: int = 0
    iterations: int = 0

    def __float__(self) -> float:
        return float(self.value)

    def _summary(self) -> tuple[str, str, str]:
        where = f" under scenario '{self.scenario}'" if self.scenario else ""
        outside = " (outside its bounds)" if self.outside_bounds else ""
        return (f"{self.lever} = {self.value:.6g}{outside}",
                f"{self.target} = {self.achieved:.6g} (goal {self.goal:g}){where}",
                f"{self.n_runs} runs in {self.n_calls} calls")

    def __repr__(self) -> str:
        lever, target, work = self._summary()
        return f"GoalSeekResult({lever}: {target}; {work})"

    def _repr_html_(self) -> str:
        rows = [("lever", self.lever), ("value", f"{self.value:.8g}"),
                ("target", self.target), ("goal", f"{self.goal:g}"),
                ("achieved", f"{self.achieved:.8g}"), ("scenario", self.scenario or "-"),
                ("searched", f"[{self.bounds[0]:g}, {self.bounds[1]:g}]"),
                ("outside the parameter's bounds", "yes" if self.outside_bounds else "no"),
                ("work", f"{self.n_runs} runs in {self.n_calls} calls, {self.iterations} iterations")]
        body = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>" for k, v in rows)
        return f"<table><caption>goal seek</caption>{body}</table>"


def solve_for(model: Model, lever: str, target: Target | Callable[[xr.Dataset], Any], *,
              goal: float | None = None, bounds: tuple[float, float] | None = None,
              scenario: str | None = None, tol: float | None = None, points: int = 9,
              max_iterations: int = 30, allow_outside_bounds: bool = False,
              **simulate_options: Any) -> GoalSeekResult:
    """Find the value of one lever for which a run meets a goal exactly.

    Parameters
    ----------
    model : Model
    lever : str
        A parameter, or ``param[label]`` for one element of a subscripted
        parameter.
    target : Target or callable
        What to reach: a :class:`gysim.Target` (a level, a change, a growth
        rate...; its :meth:`~gysim.Target.model_value` is the indicator and
        its ``value`` the goal), or a function of the Dataset. The function
        gets an ensemble (a ``run`` dimension) and must return one value per
        run, e.g. ``lambda ds: ds.gdp.sel(time=2010)``.
    goal : float, optional
        The indicator's value to reach. Default: the target's ``value``;
        required with a callable.
    bounds : (float, float), optional
        Where to search. Default: the parameter's bounds. Beyond them only
        with `allow_outside_bounds`.
    scenario : str, optional
        A scenario of the model; its overrides apply to every run (the lever
        on top of them).
    tol : float, optional
        How close the indicator must come to the goal, in its units.
        Default ``1e-6 * max(1, |goal|)``.
    points : int
        Runs per ensemble call (at least 3).
    max_iterations : int
        Most refining iterations.
    allow_outside_bounds : bool
        Let `bounds` reach beyond the parameter's bounds: a deliberate
        what-if (run the answer with ``model.with_params(...,
        allow_outside_bounds=True)``).
    **simulate_options
        Passed to :func:`gysim.simulate` (``method``, ``rtol``, ``dt``,
        ``params`` with fixed values of other parameters...). ``on_error``
        is solve_for's own: runs that fail are left out of the search.

    Returns
    -------
    GoalSeekResult
        ``.value`` the lever's value, ``.achieved`` the indicator in a single
        run at it, ``.n_runs`` and ``.iterations`` the work.

    Raises
    ------
    ParameterError
        If `lever` is not a parameter (with close names), has no bounds and
        none are given, or `bounds` reach beyond its own without
        `allow_outside_bounds`.
    DataError
        If `target` is neither a Target nor a callable, a callable comes
        without `goal`, or it does not return one number per run.
    CalibrationError
        If the indicator does not reach the goal within `bounds` (the message
        gives its range there and which way to widen them), reaches it more
        than once (not monotone: narrow `bounds`), jumps across it, or the
        search does not converge.
    SimulationError
        If every run fails, or the runs fail where the goal is crossed.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("savings", start=0, stop=5)
    >>> m.stock("wealth", 100.0)
    >>> m.param("rate", 0.03, bounds=(0, 0.2))
    >>> m.flow("interest", "rate * wealth", into="wealth")
    >>> res = gysim.solve_for(m, "rate", lambda ds: ds.wealth.sel(time=5), goal=150, method="rk4", dt=0.25)
    >>> round(res.value, 4), round(res.achieved, 4)
    (0.0811, 150.0)
    """
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    base, index = _check_lever(model, lever)
    indicator, goal, name = _indicator(target, goal)
    lo, hi = _search_bounds(model, lever, bounds, allow_outside_bounds)
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 3:
        raise ParameterError(f"`points` must be an integer of at least 3, got {points!r}")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, (int, np.integer)) \
            or max_iterations < 1:
        raise ParameterError(f"`max_iterations` must be a positive integer, got {max_iterations!r}")
    tol = 1e-6 * max(1.0, abs(goal)) if tol is None else float(tol)
    if not (np.isfinite(tol) and tol > 0):
        raise ParameterError(f"`tol` must be a positive number, got {tol!r}")
    if "on_error" in simulate_options:
        raise ParameterError("`on_error` is solve_for's own (failed runs are left out of the "
                             "search); leave it out")
    fixed = dict(simulate_options.pop("params", None) or {})
    if base in fixed or lever in fixed:
        raise ParameterError(f"`params` sets the lever '{base}'; solve_for sets it, leave it out")
    if isinstance(target, Target) and target.func is None and "variables" not in simulate_options:
        simulate_options["variables"] = [split_element(target.variable)[0]]
    runner = _Runner(model, lever, base, index, scenario, fixed, simulate_options, indicator,
                     lo, hi)

    xs = np.linspace(lo, hi, points)
    gs = runner(xs) - goal
    seen = (xs[np.isfinite(gs)], gs[np.isfinite(gs)])
    a, b, ga, gb = _bracket(xs, gs, goal, name, lever, (lo, hi), runner, bounds is None)
    best = (a, ga) if abs(ga) <= abs(gb) else (b, gb)
    iterations = 0
    xtol = 1e-13 * max(1.0, abs(lo), abs(hi))
    while abs(best[1]) > tol:
        if iterations >= max_iterations:
            raise CalibrationError(
                f"solve_for: no value of '{lever}' within `tol`={tol:g} of the goal after "
                f"`max_iterations`={max_iterations}; closest: {lever} = {best[0]:.10g} gives "
                f"{best[1] + goal:.10g}; raise `max_iterations` or loosen `tol`")
        if b - a <= xtol:
            raise CalibrationError(
                f"solve_for: '{name}' jumps across the goal {goal:g} at {lever} = {a:.10g} "
                f"(from {ga + goal:.10g} to {gb + goal:.10g}) and never comes within `tol`={tol:g} "
                f"of it; the indicator is discontinuous there or numerically noisy: loosen `tol` "
                f"or tighten the solver (`rtol=`, `atol=`)")
        iterations += 1
        cand = _candidates(a, b, ga, gb, points, seen)
        gc = runner(cand) - goal
        ok = np.isfinite(gc)
        seen = (np.concatenate([seen[0], cand[ok]]), np.concatenate([seen[1], gc[ok]]))
        a, b, ga, gb, best = _narrow(a, b, ga, gb, best, cand, gc, runner, lever)

    value = float(best[0])
    achieved = float(runner(np.array([value]), alone=True)[0])
    if not abs(achieved - goal) <= tol:
        raise CalibrationError(
            f"solve_for: {lever} = {value:.10g} meets the goal {goal:g} within `tol`={tol:g} in an "
            f"ensemble but gives {achieved:.10g} in a run alone (the runs of an ensemble share "
            f"adaptive time steps); tighten the solver (`rtol=`) or loosen `tol`")
    own = element_bounds(model, lever)
    outside = own is not None and not own[0] <= value <= own[1]
    return GoalSeekResult(str(lever), value, achieved, goal, name, scenario, (lo, hi), outside,
                          runner.params_for(value), n_runs=runner.n_runs,
                          n_calls=runner.n_calls, iterations=iterations)


def _check_lever(model: Model, lever: Any) -> tuple[str, tuple[int, ...] | None]:
    if not isinstance(lever, str):
        raise ParameterError(f"`lever` must be a parameter name (or 'param[label]'), got {lever!r}")
    base = lever.partition("[")[0].strip()
    if base not in model.params:
        kind = f" is a {model.elements[base].kind}, not a parameter" if base in model.elements \
            else f" is not a parameter of model '{model.name}'"
        raise ParameterError(f"`lever`: '{base}'{kind}{suggest(base, model.params)}")
    return param_element(model, lever, argument="lever")


def _indicator(target: Any, goal: Any) -> tuple[Callable, float, str]:
    if isinstance(target, Target):
        indicator, name = target.model_value, target.name
        goal = target.value if goal is None else goal
    elif callable(target):
        if goal is None:
            raise DataError("`goal` must be given when `target` is a function of the Dataset")
        indicator, name = target, getattr(target, "__name__", "target")
        name = "target" if name == "<lambda>" else name
    else:
        raise DataError(f"`target` must be a gysim.Target or a function of the Dataset, got "
                        f"{type(target).__name__}")
    try:
        goal = float(goal)
    except (TypeError, ValueError):
        raise DataError(f"`goal` must be a number, got {goal!r}") from None
    if not np.isfinite(goal):
        raise DataError(f"`goal` must be finite, got {goal!r}")
    return indicator, goal, name


def _search_bounds(model: Model, lever: str, bounds: Any, allow: bool) -> tuple[float, float]:
    own = element_bounds(model, lever)
    if bounds is None:
        if own is None:
            raise ParameterError(f"`lever` '{lever}' has no bounds; give the interval to search "
                                 f"as `bounds=(lo, hi)`")
        return float(own[0]), float(own[1])
    try:
        lo, hi = (float(v) for v in bounds)
    except (TypeError, ValueError):
        raise ParameterError(f"`bounds` must be two numbers (lo, hi), got {bounds!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ParameterError(f"`bounds` must be finite with lo < hi, got {bounds!r}")
    if own is not None and not allow and (lo < own[0] or hi > own[1]):
        raise ParameterError(
            f"`bounds` ({lo:g}, {hi:g}) reach beyond the bounds ({own[0]:g}, {own[1]:g}) of "
            f"parameter '{lever.partition('[')[0]}'; pass allow_outside_bounds=True to search "
            f"there deliberately")
    return lo, hi


class _Runner:
    """Runs lever values as one ensemble and returns the indicator per run."""

    def __init__(self, model, lever, base, index, scenario, fixed, options, indicator, lo, hi):
        self.lever, self.base, self.index, self.scenario = lever, base, index, scenario
        self.fixed, self.options, self.indicator = fixed, options, indicator
        self.n_runs = self.n_calls = 0
        self.failures: list[str] = []
        # a subscripted lever's other elements keep the scenario's values, not the model's
        self.own = model
        if index is not None and scenario in model.scenarios \
                and base in model.scenarios[scenario].overrides:
            self.own = model.with_params({base: model.scenarios[scenario].overrides[base]})
        self.model = model
        element = model.params[base]
        if element.bounds is not None and (lo < element.bounds[0] or hi > element.bounds[1]):
            # allow_outside_bounds: the search runs a copy whose lever has the wider bounds
            self.model = model.with_bounds(
                {base: (min(lo, element.bounds[0]), max(hi, element.bounds[1]))})

    def params_for(self, values: Any) -> dict:
        if self.index is None:
            return {self.base: values}
        return as_params(self.own, {self.lever: values}, argument="lever")

    def __call__(self, xs: np.ndarray, *, alone: bool = False) -> np.ndarray:
        values = self.params_for(float(xs[0]) if alone else xs)
        ds = simulate(self.model, params={**self.fixed, **values}, scenario=self.scenario,
                      on_error="raise" if alone else "mask", **self.options)
        self.n_calls += 1
        self.n_runs += len(xs)
        if ds.attrs.get("first_failure"):
            self.failures.append(str(ds.attrs["first_failure"]))
        out = self.indicator(ds)
        out = np.asarray(out.values if isinstance(out, xr.DataArray) else out, dtype=float)
        if out.size != len(xs) or (not alone and out.ndim != 1):
            raise DataError(f"`target` must give one number per run: for an ensemble of {len(xs)} "
                            f"runs it gave shape {out.shape} (return e.g. ds.gdp.sel(time=2010), "
                            f"not a float of it)")
        return out.reshape(-1)


def _bracket(xs, gs, goal, name, lever, bounds, runner, own_bounds):
    """Neighbouring grid values whose indicators straddle the goal, or an error."""
    ok = np.isfinite(gs)
    if not ok.any():
        reason = runner.failures[0] if runner.failures else "the indicator is NaN"
        raise SimulationError(f"solve_for: every run over `bounds` ({bounds[0]:g}, {bounds[1]:g}) "
                              f"of '{lever}' failed: {reason}")
    x, g = xs[ok], gs[ok]
    zero = np.flatnonzero(g == 0)
    if zero.size:
        return x[zero[0]], x[zero[0]], 0.0, 0.0
    cross = np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:]))
    y = g + goal
    if cross.size == 0:
        i_min, i_max = int(np.argmin(y)), int(np.argmax(y))
        near = int(np.argmin(np.abs(g)))
        toward = ("below the lower" if near == 0 else "above the upper" if near == len(x) - 1
                  else "on either")
        hint = (f"; widen `bounds=` {toward} end" if near in (0, len(x) - 1) else
                f"; the indicator is not monotone in '{lever}' (closest to the goal at "
                f"{x[near]:.6g}, inside the bounds): a crossing between the {len(xs)} values "
                f"tried would be missed, so try more `points=` or narrower `bounds=`")
        if own_bounds and near in (0, len(x) - 1):
            hint += " (these are the parameter's bounds: searching beyond them needs " \
                    "allow_outside_bounds=True)"
        raise CalibrationError(
            f"solve_for: '{name}' never reaches the goal {goal:g} for '{lever}' in "
            f"({bounds[0]:g}, {bounds[1]:g}): it ranges from {y[i_min]:.6g} (at {x[i_min]:.6g}) "
            f"to {y[i_max]:.6g} (at {x[i_max]:.6g}){hint}")
    if cross.size > 1:
        where = ", ".join(f"between {x[i]:.6g} and {x[i + 1]:.6g}" for i in cross)
        raise CalibrationError(
            f"solve_for: '{name}' reaches the goal {goal:g} {cross.size} times for '{lever}' in "
            f"({bounds[0]:g}, {bounds[1]:g}) ({where}): it is not monotone in the lever; narrow "
            f"`bounds=` to the crossing you mean")
    i = int(cross[0])
    return x[i], x[i + 1], g[i], g[i + 1]


def _candidates(a: float, b: float, ga: float, gb: float, points: int,
                seen: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Lever values to try inside (a, b): an estimate of the root, pairs around it, an even spread.

    The estimate is inverse quadratic interpolation through the three values
    tried closest to the goal (when it falls inside the bracket), else the
    secant of the bracket's ends.
    """
    width = b - a
    estimate = a - ga * width / (gb - ga)
    x, g = seen
    if x.size >= 3:
        i = np.argsort(np.abs(g))[:3]
        xi, gi = x[i], g[i]
        if np.unique(gi).size == 3:
            iqi = sum(xi[k] * np.prod([-gi[j] / (gi[k] - gi[j]) for j in range(3) if j != k])
                      for k in range(3))
            if a < iqi < b:
                estimate = float(iqi)
    n_even = max(1, points // 4)
    n_pairs = (points - 1 - n_even) // 2
    offsets = width * 100.0 ** -np.arange(1, n_pairs + 1)
    cand = np.concatenate([[estimate], estimate - offsets, estimate + offsets,
                           a + width * np.arange(1, n_even + 1) / (n_even + 1)])
    cand = np.unique(cand[(cand > a) & (cand < b)])
    if cand.size < points:  # pairs clipped at an end: spread the rest evenly
        extra = a + width * np.arange(1, points - cand.size + 1) / (points - cand.size + 1)
        cand = np.unique(np.concatenate([cand, extra]))
    return cand


def _narrow(a, b, ga, gb, best, cand, gc, runner, lever):
    """The tightest straddling pair among the bracket's ends and the candidates."""
    x = np.concatenate([[a], cand, [b]])
    g = np.concatenate([[ga], gc, [gb]])
    ok = np.isfinite(g)
    x, g = x[ok], g[ok]
    i = int(np.argmin(np.abs(g)))
    if abs(g[i]) < abs(best[1]):
        best = (float(x[i]), float(g[i]))
    if g[i] == 0:
        return x[i], x[i], 0.0, 0.0, best
    cross = np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:]))
    if cross.size == 0 or (not ok[1:-1].any()):
        reason = runner.failures[-1] if runner.failures else "the indicator is NaN"
        raise SimulationError(f"solve_for: the runs of '{lever}' between {a:.10g} and {b:.10g}, "
                              f"where the goal is crossed, failed: {reason}")
    j = int(cross[np.argmin(x[cross + 1] - x[cross])])
    return x[j], x[j + 1], g[j], g[j + 1], best
