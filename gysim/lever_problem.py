"""A lever-setting problem: candidates of lever values, run as one ensemble, scored.

:class:`LeverProblem` is what :func:`gysim.optimize` searches. It holds the
levers (parameters and their search bounds), the objectives, the targets and
the samples of the uncertain parameters, and evaluates a whole population of
candidates in ONE :func:`gysim.simulate` call: S candidates times K samples
are S*K runs, candidate-major (run ``i * K + k`` is candidate ``i`` under
sample ``k``). Every candidate meets the same K samples (common random
numbers), so two candidates differ only by their levers.

Chance constraints as order statistics
--------------------------------------
A target's *margin* in a run is how far it is met, in the target's units:
``value - goal`` for ``at_least``, ``goal - value`` for ``at_most`` and
``tolerance * |goal| - |value - goal|`` for ``about`` (each with the slack of
:meth:`gysim.Target.met`, so ``margin >= 0`` exactly when the run meets the
target; a failed run has margin ``-inf``). "At least a share ``p`` of the K
runs meet the target" is a step function of the levers: flat almost
everywhere, so as a penalty it cannot tell the optimiser how far an
infeasible candidate is from feasibility, and smoothing it (a sigmoid of the
margin) would shift the answer by the width of the smoothing. The same
condition, exactly, is that the ``r``-th largest margin is ``>= 0`` with
``r = ceil(p * K)`` (the empirical ``1 - p`` quantile of the margin). That
order statistic moves continuously with the levers when the model's outputs
do, and measures the distance to feasibility. :meth:`LeverProblem.evaluate`
returns it divided by ``|goal|`` (by 1 for a goal of 0): the constraint is
``-margin_r / |goal| <= 0``. Without uncertainty K is 1 and this is the plain
constraint on the run's value.

Objectives
----------
An objective is an expression over parameters (parsed by :mod:`gysim.expr`,
evaluated on the levers' values, the samples and the other parameters'
values, never ``eval``-ed), or a function of the ensemble Dataset returning
one value per run. Either is averaged over the K samples: the expected cost
under the uncertainty.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.lever_problem import LeverProblem
>>> m = gysim.Model("m", start=0, stop=1)
>>> m.param("L", 1.0, bounds=(0, 10))
>>> m.param("k", 1.0, bounds=(0, 2))
>>> m.aux("y", "10 * L * k")
>>> t = gysim.Target("y", 50, "at_least", variable="y", years=(0,))
>>> pb = LeverProblem(m, {"L": (1, 10)}, [t], ["L"], samples={"k": np.array([0.9, 1.0, 1.1])},
...                   probability=2 / 3, simulate_options={"method": "euler", "dt": 1})
>>> ev = pb.evaluate(np.array([[5.0], [6.0]]))
>>> ev.objectives[:, 0].tolist(), ev.shares[:, 0].round(3).tolist()
([5.0, 6.0], [0.667, 1.0])
>>> ev.margins[:, 0].tolist()   # 2nd largest margin / 50: (50 - 50) / 50 and (60 - 50) / 50
[0.0, 0.2]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from ._text import suggest
from .batch import as_params, element_bounds, param_element
from .errors import DataError, ModelDefinitionError, ParameterError
from .expr import ARITHMETIC, BinOp, Call, Const, Name, Subscript, UnaryOp, names, parse
from .labels import split_element
from .model import Model
from .simulate import simulate
from .targets import Target

__all__ = ["LeverProblem", "Evaluation", "as_samples", "FAILED_VIOLATION"]

#: Constraint value given to a target whose ``r``-th largest margin is from a failed run.
FAILED_VIOLATION = 1e6

#: Functions a cost expression may call: name -> (numpy function, number of arguments or None).
_FUNCTIONS: dict[str, tuple[Callable, int | None]] = {
    "abs": (np.abs, 1), "exp": (np.exp, 1), "log": (np.log, 1), "ln": (np.log, 1),
    "log10": (np.log10, 1), "sqrt": (np.sqrt, 1),
    "min": (lambda *a: np.minimum.reduce(np.broadcast_arrays(*a)), None),
    "max": (lambda *a: np.maximum.reduce(np.broadcast_arrays(*a)), None),
}


def _eval_const(node, env):
    return node.value


def _eval_name(node, env):
    return env(node.id)


def _eval_subscript(node, env):
    return env(f"{node.value.id}[{','.join(node.labels)}]")


def _eval_binop(node, env):
    return ARITHMETIC[node.op](_evaluate(node.left, env), _evaluate(node.right, env))


def _eval_unary(node, env):
    if node.op == "not":
        raise DataError("`minimize`: a cost expression cannot use `not`")
    value = _evaluate(node.operand, env)
    return -value if node.op == "-" else value


def _eval_call(node, env):
    if node.func not in _FUNCTIONS:
        raise DataError(f"`minimize`: a cost expression can call {', '.join(_FUNCTIONS)}; got "
                        f"{node.func}(){suggest(node.func, _FUNCTIONS)}")
    func, arity = _FUNCTIONS[node.func]
    if (arity is not None and len(node.args) != arity) or not node.args:
        raise DataError(f"`minimize`: {node.func}() takes {arity or 'one or more'} argument(s), "
                        f"got {len(node.args)}")
    return func(*(_evaluate(a, env) for a in node.args))


#: How each node class of a cost expression is evaluated (other classes are refused).
_EVALUATORS = {Const: _eval_const, Name: _eval_name, Subscript: _eval_subscript,
               BinOp: _eval_binop, UnaryOp: _eval_unary, Call: _eval_call}


def _evaluate(node, env):
    try:
        rule = _EVALUATORS[type(node)]
    except KeyError:
        raise DataError(f"`minimize`: a cost expression is arithmetic over parameters and the "
                        f"functions {', '.join(_FUNCTIONS)}; comparisons and conditionals are "
                        f"not allowed") from None
    return rule(node, env)


def as_samples(uncertain: Any, n_samples: int | None = None, seed: Any = None
               ) -> dict[str, np.ndarray]:
    """The samples of the uncertain parameters as equal-length 1-D arrays.

    Parameters
    ----------
    uncertain : mapping, DataFrame, or an object offering samples
        - a mapping of parameter names (or ``param[label]``) to 1-D arrays of
          K values each, or a DataFrame with one column per name;
        - an object with a method ``samples(n, seed)`` returning such a
          mapping (a :class:`gysim.Posterior`: its parameters' draws; every
          draw when `n_samples` is None);
        - an object with a method ``draws(n)`` returning such a mapping or
          DataFrame of ``n`` samples (``n`` is `n_samples`, default 200);
        - an object with an attribute ``posterior`` holding a mapping, a
          DataFrame or an xarray Dataset (every dimension of its variables,
          e.g. ``chain`` and ``draw``, is flattened into samples).
    n_samples : int, optional
        Use this many of the samples (a random subset without replacement,
        from `seed`, when there are more).
    seed : int or numpy Generator, optional

    Returns
    -------
    dict of str to numpy.ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from gysim.lever_problem import as_samples
    >>> class Posterior:
    ...     def draws(self, n):
    ...         return {"k": np.linspace(0.8, 1.2, n)}
    >>> as_samples(Posterior(), 5)["k"].tolist()
    [0.8, 0.9, 1.0, 1.1, 1.2]
    >>> len(as_samples({"k": np.arange(10.0)}, 4, seed=1)["k"])
    4
    """
    source = uncertain
    if callable(getattr(uncertain, "samples", None)) and not isinstance(uncertain, Mapping):
        source = uncertain.samples(n_samples, seed)
    elif callable(getattr(uncertain, "draws", None)):
        n = 200 if n_samples is None else _positive_int(n_samples, "n_samples")
        source = uncertain.draws(n)
    elif hasattr(uncertain, "posterior") and not isinstance(uncertain, (Mapping, pd.DataFrame)):
        source = uncertain.posterior
    if isinstance(source, xr.Dataset):
        source = {str(k): np.asarray(v.values, dtype=float).reshape(-1)
                  for k, v in source.data_vars.items()}
    elif isinstance(source, pd.DataFrame):
        source = {str(c): source[c].to_numpy(dtype=float) for c in source.columns}
    if not isinstance(source, Mapping):
        raise DataError(
            "`uncertain` must be a mapping of parameter names to arrays of samples, a DataFrame, "
            "or an object with a method draws(n) or an attribute posterior giving one; got "
            f"{type(uncertain).__name__}")
    out = {}
    for name, values in source.items():
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError):
            raise DataError(f"`uncertain['{name}']` must be numbers") from None
        if arr.ndim != 1 or arr.size == 0 or not np.isfinite(arr).all():
            raise DataError(f"`uncertain['{name}']` must be a non-empty 1-D array of finite "
                            f"samples, got shape {arr.shape}")
        out[str(name)] = arr
    if not out:
        raise DataError("`uncertain` holds no parameters")
    sizes = {len(v) for v in out.values()}
    if len(sizes) > 1:
        raise DataError("`uncertain`: every parameter needs the same number of samples, got "
                        + ", ".join(f"{k}: {len(v)}" for k, v in out.items()))
    k = sizes.pop()
    if n_samples is not None and _positive_int(n_samples, "n_samples") < k:
        keep = np.sort(np.random.default_rng(seed).choice(k, size=n_samples, replace=False))
        out = {name: v[keep] for name, v in out.items()}
    return out


def _positive_int(value: Any, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"`{argument}` must be a positive integer, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class Evaluation:
    """Scores of S candidates (rows) from one ensemble.

    Attributes
    ----------
    objectives : ndarray (S, n_objectives)
        Each objective averaged over the samples (``inf`` where it is NaN).
    margins : ndarray (S, n_targets)
        The ``ceil(p * K)``-th largest margin over the samples, divided by
        ``|goal|``: ``>= 0`` exactly when the target holds in a share ``>= p``.
    shares : ndarray (S, n_targets)
        Share of the K runs meeting each target.
    medians, quantiles : ndarray (S, n_targets)
        Each target's indicator: median over the runs, and the value at the
        level ``p`` (the one at the ``r``-th largest margin).

    Examples
    --------
    >>> import numpy as np
    >>> from gysim.lever_problem import Evaluation
    >>> ev = Evaluation(np.zeros((2, 1)), np.array([[0.1], [-np.inf]]), np.ones((2, 1)),
    ...                 np.ones((2, 1)), np.ones((2, 1)))
    >>> ev.violations.ravel().tolist()
    [-0.1, 1000000.0]
    """

    objectives: np.ndarray
    margins: np.ndarray
    shares: np.ndarray
    medians: np.ndarray
    quantiles: np.ndarray

    @property
    def violations(self) -> np.ndarray:
        """``-margins`` with failed runs as :data:`FAILED_VIOLATION`: ``<= 0`` is feasible."""
        return np.where(np.isfinite(self.margins), -self.margins, FAILED_VIOLATION)


class LeverProblem:
    """Levers, targets, objectives and samples; :meth:`evaluate` scores candidates.

    Parameters
    ----------
    model : Model
    levers : mapping of str to (lo, hi) or None
        Parameters (or ``param[label]``) to set and where to search; None
        takes the parameter's bounds.
    targets : sequence of Target
    objectives : sequence of str or callable
        Cost expressions or functions of the ensemble Dataset (one value per run).
    samples : mapping of str to 1-D array, optional
        K samples of uncertain parameters (see :func:`as_samples`).
    probability : float, optional
        Share of the samples in which every target must hold (default 1).
    scenario : str, optional
    simulate_options : mapping, optional
        Passed to :func:`gysim.simulate`; ``params`` fixes other parameters.

    Examples
    --------
    >>> import gysim
    >>> from gysim.lever_problem import LeverProblem
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 10))
    >>> pb = LeverProblem(m, {"a": None}, [], ["2 * a + 1"])
    >>> pb.names, pb.bounds.tolist(), pb.n_samples
    (['a'], [[0.0, 10.0]], 1)
    """

    def __init__(self, model: Model, levers: Mapping[str, Any], targets: Sequence[Target],
                 objectives: Sequence[Any], *, samples: Mapping[str, np.ndarray] | None = None,
                 probability: float | None = None, scenario: str | None = None,
                 simulate_options: Mapping[str, Any] | None = None) -> None:
        if not isinstance(model, Model):
            raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
        self.model, self.scenario = model, scenario
        if scenario is not None and scenario not in model.scenarios:
            raise ParameterError(f"`scenario`: model '{model.name}' has no scenario {scenario!r}"
                                 f"{suggest(str(scenario), model.scenarios)}")
        self.names, self.bounds = self._levers(model, levers)
        self.targets = list(targets)
        for t in self.targets:
            if not isinstance(t, Target):
                raise DataError(f"`targets` must hold gysim.Target objects, got {type(t).__name__}")
        if len({t.name for t in self.targets}) != len(self.targets):
            raise DataError("`targets`: target names must be unique")
        self.samples = dict(samples or {})
        for name in self.samples:
            param_element(model, name, argument="uncertain")
            if name in self.names or split_element(name)[0] in {split_element(n)[0] for n in self.names}:
                raise ParameterError(f"`uncertain`: '{name}' is also a lever; a parameter is "
                                     f"either set or uncertain")
        self.n_samples = len(next(iter(self.samples.values()))) if self.samples else 1
        self.probability = 1.0 if probability is None else float(probability)
        self.rank = max(1, math.ceil(self.probability * self.n_samples - 1e-9))
        options = dict(simulate_options or {})
        if "on_error" in options:
            raise ParameterError("`on_error` is optimize's own (a failed run misses every "
                                 "target); leave it out")
        self.fixed = dict(options.pop("params", None) or {})
        clash = sorted({split_element(str(n))[0] for n in self.fixed}
                       & {split_element(n)[0] for n in [*self.names, *self.samples]})
        if clash:
            raise ParameterError(f"`params` sets {', '.join(clash)}, which optimize sets (a lever "
                                 f"or an uncertain parameter); leave it out")
        needed = {split_element(t.variable)[0] for t in self.targets if t.func is None}
        if "variables" not in options and needed and not any(t.func for t in self.targets) \
                and not any(callable(o) for o in objectives):
            options["variables"] = sorted(needed)
        self.options = options
        self.objectives = [self._objective(o) for o in objectives]
        self.n_runs = self.n_calls = 0
        self.best_shares = np.zeros(len(self.targets))

    # -- set-up -------------------------------------------------------------
    @staticmethod
    def _levers(model: Model, levers: Any) -> tuple[list[str], np.ndarray]:
        if not isinstance(levers, Mapping) or not levers:
            raise ParameterError("`levers` must be a non-empty mapping of parameter names to "
                                 "(lo, hi) bounds (or None for the parameter's own)")
        names, bounds = [], []
        for name, span in levers.items():
            if not isinstance(name, str):
                raise ParameterError(f"`levers`: names must be strings, got {name!r}")
            base, _ = param_element(model, name, argument="levers")
            if base not in model.params:
                raise ParameterError(f"`levers`: '{base}' is a stock; a lever is a parameter")
            if model.params[base].dims and "[" not in name:
                raise ParameterError(f"`levers`: '{base}' has dimensions "
                                     f"{model.params[base].dims}; name one element as a lever, "
                                     f"e.g. '{base}[label]'")
            own = element_bounds(model, name)
            if span is None:
                if own is None:
                    raise ParameterError(f"`levers['{name}']`: the parameter has no bounds; "
                                         f"give (lo, hi)")
                span = own
            try:
                lo, hi = (float(v) for v in span)
            except (TypeError, ValueError):
                raise ParameterError(f"`levers['{name}']` must be (lo, hi), got {span!r}") from None
            if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
                raise ParameterError(f"`levers['{name}']` must be finite with lo < hi, got {span!r}")
            if own is not None and (lo < own[0] or hi > own[1]):
                raise ParameterError(
                    f"`levers['{name}']` ({lo:g}, {hi:g}) reach beyond the parameter's bounds "
                    f"({own[0]:g}, {own[1]:g}); widen them first with model.with_bounds(...) "
                    f"if the what-if is deliberate")
            names.append(name)
            bounds.append((lo, hi))
        return names, np.array(bounds, dtype=float)

    def _objective(self, objective: Any) -> Callable[[np.ndarray, xr.Dataset], np.ndarray]:
        if callable(objective):
            return lambda X, ds: objective(ds)
        if not isinstance(objective, str):
            raise DataError(f"`minimize` must be a cost expression (str) or a function of the "
                            f"Dataset, got {type(objective).__name__}")
        try:
            tree = parse(objective, where="`minimize`")
        except ModelDefinitionError as err:
            raise DataError(str(err)) from None
        for name in names(tree):
            if name not in self.model.params:
                raise DataError(f"`minimize`: '{name}' is not a parameter of model "
                                f"'{self.model.name}'{suggest(name, self.model.params)}")
        return lambda X, ds: _evaluate(tree, self._values(X))

    def _values(self, X: np.ndarray) -> Callable[[str], Any]:
        """Look-up of parameter values as arrays broadcasting to (S, K)."""
        overrides = dict(self.model.scenarios[self.scenario].overrides) if self.scenario else {}
        overrides.update(self.fixed)

        def value(name: str) -> Any:
            if name in self.names:
                return X[:, self.names.index(name)][:, None]
            if name in self.samples:
                return self.samples[name][None, :]
            base, labels = split_element(name)
            raw = overrides.get(base, self.model.params[base].value)
            if labels or self.model.params[base].dims:
                raise DataError(f"`minimize`: '{name}' is over dimensions; a cost expression can "
                                f"use an element 'param[label]' only when it is a lever or "
                                f"uncertain")
            arr = np.asarray(raw, dtype=float)
            return float(arr)
        return value

    # -- evaluation ---------------------------------------------------------
    def params_for(self, X: np.ndarray) -> dict[str, Any]:
        """``simulate`` params for candidates X (S, n_levers), each under the K samples."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        K = self.n_samples
        values = {name: np.repeat(X[:, j], K) for j, name in enumerate(self.names)}
        values.update({name: np.tile(s, len(X)) for name, s in self.samples.items()})
        return {**self.fixed, **as_params(self.model, values, argument="levers")}

    def simulate(self, X: np.ndarray) -> xr.Dataset:
        """The ensemble of candidates X under the samples (run ``i * K + k``)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        ds = simulate(self.model, params=self.params_for(X), scenario=self.scenario,
                      on_error="mask", **self.options)
        self.n_calls += 1
        self.n_runs += len(X) * self.n_samples
        return ds

    def evaluate(self, X: np.ndarray) -> Evaluation:
        """Score candidates X (S, n_levers) in one ensemble of S * K runs."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        S, K = len(X), self.n_samples
        ds = self.simulate(X)
        objectives = np.empty((S, len(self.objectives)))
        for j, objective in enumerate(self.objectives):
            out = objective(X, ds)
            out = np.asarray(out.values if isinstance(out, xr.DataArray) else out, dtype=float)
            if out.size not in (1, S, S * K):
                raise DataError(f"`minimize`: an objective must give one value per run "
                                f"({S * K}), got shape {out.shape}")
            out = np.broadcast_to(out.reshape(S, K) if out.size == S * K else
                                  out.reshape(-1, 1), (S, K))
            mean = out.mean(axis=1)
            objectives[:, j] = np.where(np.isnan(mean), np.inf, mean)
        n_t = len(self.targets)
        margins, shares = np.empty((S, n_t)), np.empty((S, n_t))
        medians, quantiles = np.empty((S, n_t)), np.empty((S, n_t))
        for j, t in enumerate(self.targets):
            v = np.broadcast_to(np.asarray(t.model_value(ds), dtype=float).reshape(-1), (S * K,))
            v = v.reshape(S, K)
            m = _margin(t, v)
            shares[:, j] = t.met(v).mean(axis=1)
            order = np.argsort(-m, axis=1, kind="stable")[:, self.rank - 1]
            rth = np.take_along_axis(m, order[:, None], axis=1)[:, 0]
            margins[:, j] = rth / (abs(t.value) or 1.0)
            quantiles[:, j] = np.take_along_axis(v, order[:, None], axis=1)[:, 0]
            with np.errstate(all="ignore"):
                medians[:, j] = np.where(np.isnan(v).all(axis=1), np.nan,
                                         np.nanmedian(np.where(np.isnan(v).all(axis=1)[:, None],
                                                               0.0, v), axis=1))
        if n_t:
            self.best_shares = np.maximum(self.best_shares, shares.max(axis=0))
        return Evaluation(objectives, margins, shares, medians, quantiles)


def _margin(target: Target, v: np.ndarray) -> np.ndarray:
    """How far each run meets `target` (>= 0 exactly when it does; NaN runs -inf)."""
    slack = 1e-9 * max(1.0, abs(target.value))
    if target.kind == "at_least":
        m = v - target.value + slack
    elif target.kind == "at_most":
        m = target.value - v + slack
    else:
        m = target.tolerance * abs(target.value) + slack - np.abs(v - target.value)
    return np.where(np.isnan(m), -np.inf, m)
