"""Sampling a model's uncertain parameters through SALib.

:func:`problem` builds SALib's problem dictionary from the model's own
parameter bounds, by name; :func:`sample` draws a reproducible sample matrix
for a sensitivity method (Sobol'/Saltelli, Morris, eFAST) or for a plain Monte
Carlo or Latin hypercube ensemble. The sample is a :class:`pandas.DataFrame`
with one column per parameter and one row per run, which
:func:`gysim.simulate` and :func:`gysim.batch.run_batch` take as ``params``.

Examples
--------
>>> import gysim
>>> from gysim.sampling import problem, sample
>>> m = gysim.Model("growth", start=0, stop=5)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0.05, 0.15))
>>> m.flow("growth", "r * x", into="x")
>>> problem(m, ["r"])
{'num_vars': 1, 'names': ['r'], 'bounds': [[0.05, 0.15]]}
>>> s = sample(m, ["r"], method="latin", n=8, seed=1)
>>> s.shape, bool(s.r.between(0.05, 0.15).all())
((8, 1), True)

One element of a subscripted parameter is named ``param[label]``:

>>> m.dimension("sector", ["primary", "secondary"])
>>> m.param("k", 0.1, dims=("sector",), bounds=(0, 1))
>>> sample(m, ["k[primary]", "k[secondary]"], method="latin", n=4, seed=1).columns.tolist()
['k[primary]', 'k[secondary]']
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .batch import element_bounds, param_element
from ._text import suggest
from .engine.limits import check_memory, format_bytes
from .errors import ModelDefinitionError, ParameterError
from .model import Model

__all__ = ["problem", "sample", "SAMPLING_METHODS", "DISTRIBUTIONS", "n_runs"]

#: Sampling methods :func:`sample` knows.
SAMPLING_METHODS = ("sobol", "morris", "fast", "latin", "mc")
#: Distributions :func:`problem` accepts in ``dists`` and the values each needs.
DISTRIBUTIONS = {
    "unif": "('unif',): uniform over the parameter's bounds (the default)",
    "logunif": "('logunif',): log-uniform over the parameter's (positive) bounds",
    "triang": "('triang', peak): triangular over the bounds with its mode at `peak`",
    "norm": "('norm', mean, sd): normal, truncated at the bounds if the parameter has any",
    "truncnorm": "('truncnorm', mean, sd): normal truncated at the parameter's bounds",
    "lognorm": "('lognorm', mu, sigma): log-normal with ln-space mean `mu` and sd `sigma`",
}
_NEEDS_BOUNDS = ("unif", "logunif", "triang", "truncnorm")
#: Copies of the sample matrix (runs x parameters x 8 bytes) that drawing it holds at
#: once: SALib's base sequence and matrix, its scaled copy, the DataFrame. The memory
#: check of :func:`sample` counts this many (limit: :mod:`gysim.engine.limits`).
SAMPLE_COPIES = 3


def _check_names(model: Model, params: Any) -> list[str]:
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    if isinstance(params, str):
        params = [params]
    try:
        names = [str(p) for p in params]
    except TypeError:
        raise ParameterError(f"`params` must be a list of parameter names, "
                             f"got {type(params).__name__}") from None
    if not names:
        raise ParameterError("`params` must name at least one parameter")
    for name in names:
        base = name.split("[")[0].strip()
        if base not in model.params:
            what = (f"is a {model.elements[base].kind}, not a parameter" if base in model.elements
                    else f"is not a parameter of model '{model.name}'"
                         f"{suggest(base, model.params)}")
            raise ParameterError(f"`params`: '{name}' {what}")
        param_element(model, name, argument="params")
        bounds = element_bounds(model, name)
        if bounds is not None and not bounds[0] < bounds[1]:
            raise ParameterError(f"`params`: '{name}' has bounds {bounds}, an empty range; "
                                 f"a parameter to sample needs lower < upper")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ParameterError(f"`params` names {', '.join(repr(d) for d in dup)} more than once")
    return names


def _dist_spec(name: str, spec: Any, bounds: tuple[float, float] | None) -> tuple[str, list]:
    """SALib's (dist, bounds row) for one parameter."""
    if isinstance(spec, str):
        spec = (spec,)
    try:
        kind, *args = spec
        args = [float(a) for a in args]
    except (TypeError, ValueError):
        raise ParameterError(f"`dists['{name}']` must be a tuple such as ('norm', mean, sd), "
                             f"got {spec!r}") from None
    if kind not in DISTRIBUTIONS:
        raise ParameterError(f"`dists['{name}']`: unknown distribution {kind!r}"
                             f"{suggest(str(kind), DISTRIBUTIONS)}; known: "
                             f"{', '.join(DISTRIBUTIONS)}")
    wanted = {"unif": 0, "logunif": 0, "triang": 1, "norm": 2, "truncnorm": 2, "lognorm": 2}[kind]
    if len(args) != wanted:
        raise ParameterError(f"`dists['{name}']` must be {DISTRIBUTIONS[kind]}; got {spec!r}")
    if bounds is None and kind in _NEEDS_BOUNDS:
        raise ParameterError(
            f"parameter '{name}' has no bounds, which a {kind!r} distribution needs: give it "
            f"bounds=(low, high) in the model, or a 'norm'/'lognorm' distribution in `dists`")
    if kind in ("norm", "truncnorm", "lognorm") and args[1] <= 0:
        raise ParameterError(f"`dists['{name}']`: the standard deviation must be positive, "
                             f"got {args[1]!r}")
    if kind == "unif":
        return "unif", list(bounds)
    if kind == "logunif":
        if bounds[0] <= 0:
            raise ParameterError(f"`dists['{name}']`: 'logunif' needs positive bounds, "
                                 f"got {bounds!r}")
        return "logunif", list(bounds)
    if kind == "triang":
        lo, hi = bounds
        if not lo <= args[0] <= hi:
            raise ParameterError(f"`dists['{name}']`: the peak {args[0]!r} must lie within the "
                                 f"bounds {bounds!r}")
        return "triang", [lo, hi, min((args[0] - lo) / (hi - lo), 1 - 1e-12)]
    if kind in ("norm", "truncnorm") and bounds is not None:
        return "truncnorm", [bounds[0], bounds[1], args[0], args[1]]
    return kind, args


def problem(model: Model, params: Sequence[str], *,
            dists: Mapping[str, Any] | None = None) -> dict:
    """SALib's problem dictionary for some of a model's parameters.

    Parameters
    ----------
    model : Model
        The model whose parameters are sampled.
    params : sequence of str
        Names of the uncertain parameters. Each must have bounds in the model
        unless ``dists`` gives it a distribution that needs none. For a
        subscripted parameter, ``param[label]`` samples one element (within
        the parameter's bounds; name each element to vary them
        independently); the plain name samples one value for every element.
    dists : mapping, optional
        Distributions by parameter name (the others are uniform over their
        bounds): ``('unif',)``, ``('logunif',)``, ``('triang', peak)``,
        ``('norm', mean, sd)`` (truncated at the parameter's bounds when it
        has bounds, so no sample is refused by :func:`gysim.simulate`),
        ``('truncnorm', mean, sd)`` or ``('lognorm', mu, sigma)`` (ln-space).

    Returns
    -------
    dict
        ``{"num_vars", "names", "bounds"}`` and, with ``dists``, ``"dists"``.

    Raises
    ------
    ParameterError
        If a name is not a parameter of the model, a parameter has no bounds
        its distribution needs, or a distribution is malformed.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("a", 1.0, bounds=(0, 2))
    >>> m.param("b", 0.5)
    >>> problem(m, ["a"], dists={"a": ("triang", 1.5)})
    {'num_vars': 1, 'names': ['a'], 'bounds': [[0.0, 2.0, 0.75]], 'dists': ['triang']}
    >>> problem(m, ["b"])
    Traceback (most recent call last):
    ...
    gysim.errors.ParameterError: parameter 'b' has no bounds, ...
    """
    names = _check_names(model, params)
    dists = dict(dists or {})
    unknown = [k for k in dists if k not in names]
    if unknown:
        raise ParameterError(f"`dists` names '{unknown[0]}', which is not in `params`"
                             f"{suggest(str(unknown[0]), names)}")
    rows, kinds = [], []
    for name in names:
        bounds = element_bounds(model, name)
        kind, row = _dist_spec(name, dists.get(name, ("unif",)), bounds)
        rows.append([float(v) for v in row])
        kinds.append(kind)
    out: dict[str, Any] = {"num_vars": len(names), "names": names, "bounds": rows}
    if dists:
        out["dists"] = kinds
    return out


def _check_n(method: str, n: Any, *, fast_m: int = 4) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ParameterError(f"`n` must be a positive integer, got {n!r}")
    n = int(n)
    if method == "sobol" and n & (n - 1):
        lower = 1 << (n.bit_length() - 1)
        raise ParameterError(f"`n` must be a power of 2 for method='sobol' (Sobol' sequences "
                             f"lose their balance otherwise), got {n}; use {lower} or "
                             f"{2 * lower}")
    if method == "fast" and n <= 4 * fast_m ** 2:
        raise ParameterError(f"`n` must exceed 4*M**2 = {4 * fast_m ** 2} for method='fast', "
                             f"got {n}")
    return n


def n_runs(method: str, n: int, num_vars: int, *, second_order: bool = False) -> int:
    """Number of runs a study of ``num_vars`` parameters with base size ``n`` makes.

    Examples
    --------
    >>> n_runs("sobol", 4096, 10)
    49152
    >>> n_runs("sobol", 4096, 10, second_order=True)
    90112
    >>> n_runs("morris", 100, 10), n_runs("fast", 1000, 10), n_runs("latin", 500, 10)
    (1100, 10000, 500)
    """
    if method == "sobol":
        return n * (2 * num_vars + 2 if second_order else num_vars + 2)
    if method == "morris":
        return n * (num_vars + 1)
    if method == "fast":
        return n * num_vars
    return n


def sample(model: Model, params: Sequence[str], method: str = "sobol", n: int = 1024,
           seed: int | None = 1, *, dists: Mapping[str, Any] | None = None,
           second_order: bool = False, num_levels: int = 4, fast_m: int = 4,
           max_bytes: float | None = None) -> pd.DataFrame:
    """Draw a reproducible sample of a model's parameters.

    Parameters
    ----------
    model : Model
        The model whose parameters are sampled.
    params : sequence of str
        Names of the uncertain parameters (see :func:`problem`).
    method : {"sobol", "morris", "fast", "latin", "mc"}
        ``"sobol"``: Saltelli's scheme on a scrambled Sobol' sequence
        (``n`` a power of 2; ``n*(D+2)`` runs, ``n*(2D+2)`` with
        ``second_order``); ``"morris"``: ``n`` trajectories of ``D+1`` runs on
        a ``num_levels`` grid; ``"fast"``: eFAST, ``n`` runs per parameter;
        ``"latin"``: a Latin hypercube of ``n`` runs; ``"mc"``: ``n``
        independent random runs.
    n : int
        Base sample size.
    seed : int, optional
        Seed of the random generator: the same seed gives the same sample.
    dists : mapping, optional
        Distributions by parameter name (see :func:`problem`).
    second_order : bool
        Sample for second-order Sobol' indices as well.
    num_levels : int
        Grid levels of the Morris method.
    fast_m : int
        Interference parameter M of eFAST.
    max_bytes : float, optional
        Memory drawing the sample may use (default: from the available
        memory, see :mod:`gysim.engine.limits`); a sample that needs more is
        refused before SALib allocates it.

    Returns
    -------
    pandas.DataFrame
        One column per parameter, one row per run; ``attrs`` holds the
        SALib problem, the method and its options.

    Raises
    ------
    ParameterError
        For unknown parameters, missing bounds or an invalid ``n``.
    SimulationError
        If the sample matrix would need more memory than the limit.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.param("a", 1.0, bounds=(0, 2))
    >>> m.param("b", 1.0, bounds=(0, 4))
    >>> s = sample(m, ["a", "b"], "sobol", n=16, seed=3)
    >>> s.shape
    (64, 2)
    >>> s.equals(sample(m, ["a", "b"], "sobol", n=16, seed=3))
    True
    """
    if method not in SAMPLING_METHODS:
        raise ParameterError(f"`method` must be one of {', '.join(SAMPLING_METHODS)}, got "
                             f"{method!r}{suggest(str(method), SAMPLING_METHODS)}")
    prob = problem(model, params, dists=dists)
    n = _check_n(method, n, fast_m=fast_m)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or seed < 0):
        raise ParameterError(f"`seed` must be a non-negative integer or None, got {seed!r}")
    D = prob["num_vars"]
    rows = n_runs(method, n, D, second_order=bool(second_order))
    check_memory(SAMPLE_COPIES * 8.0 * rows * D,
                 f"a {method!r} sample of n={n} for {D} parameters ({rows} runs; the matrix is "
                 f"{format_bytes(8.0 * rows * D)}, drawn with {SAMPLE_COPIES} copies at once)",
                 [f"a smaller `n`{' (a lower power of 2)' if method == 'sobol' else ''}",
                  "fewer parameters"], max_bytes=max_bytes)
    if method == "sobol":
        from SALib.sample import sobol
        X = sobol.sample(prob, n, calc_second_order=bool(second_order), seed=seed)
    elif method == "morris":
        from SALib.sample import morris
        X = morris.sample(prob, n, num_levels=num_levels, seed=seed)
    elif method == "fast":
        from SALib.sample import fast_sampler
        X = fast_sampler.sample(prob, n, M=fast_m, seed=seed)
    elif method == "latin":
        from SALib.sample import latin
        X = latin.sample(prob, n, seed=seed)
    else:
        from SALib.util import scale_samples
        X = scale_samples(np.random.default_rng(seed).random((n, prob["num_vars"])), prob)
    X = np.asarray(X, dtype=float)
    for j, name in enumerate(prob["names"]):
        bounds = element_bounds(model, name)
        if bounds is not None:
            # rounding of the scaled grid (e.g. -0.1 + 1 * 0.3 = 0.20000000000000004) is
            # not a sample outside the bounds
            slack = 1e-12 * max(1.0, abs(bounds[0]), abs(bounds[1]))
            near = (X[:, j] >= bounds[0] - slack) & (X[:, j] <= bounds[1] + slack)
            X[near, j] = np.clip(X[near, j], bounds[0], bounds[1])
            out = (X[:, j] < bounds[0]) | (X[:, j] > bounds[1])
            if out.any():
                raise ParameterError(
                    f"{int(out.sum())} of {len(X)} samples of '{name}' fall outside its bounds "
                    f"{bounds!r} (its distribution is "
                    f"{prob.get('dists', ['unif'] * len(X[0]))[j]!r}); use a distribution "
                    f"truncated at the bounds such as ('truncnorm', mean, sd), or widen them")
    frame = pd.DataFrame(X, columns=prob["names"])
    frame.attrs.update(problem=prob, method=method, n=n, seed=seed,
                       second_order=bool(second_order), num_levels=num_levels, fast_m=fast_m)
    return frame
