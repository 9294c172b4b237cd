"""Scenario discovery: the box of inputs in which an outcome of interest happens.

:func:`discover` takes the inputs of an ensemble (a DataFrame, or the
parameter coordinates of a :func:`gysim.simulate` Dataset) and a boolean
outcome per run ("the energy target is missed") and finds a box -- lower
and upper limits on a few inputs -- that holds many of the cases (high
*coverage*: share of all cases inside the box) and mostly cases (high
*density*: share of the runs inside the box that are cases) (Bryant &
Lempert 2010, "Thinking inside the box", Technol. Forecast. Soc. Change 77).

Methods
-------
``"prim"``: the Patient Rule Induction Method of Friedman & Fisher (1999,
"Bump hunting in high-dimensional data", Statistics and Computing 9,
123-143), written here from the paper: *peeling* starts from the box of all
runs and, at each step, removes the fraction ``alpha`` of the runs in the
box at the low or the high end of one input -- the cut that leaves the
highest density -- until the box holds less than ``mass_min`` of the runs.
Each step's box is a row of the peeling trajectory. The box chosen is the
one of best balance among those of density >= ``threshold`` (see
:func:`choose`), then *pasted*: a limit is widened by ``alpha`` of the box's runs
while that raises the density. (EMA workbench's PRIM, the reference
implementation in this field, pulls in GPL-licensed and heavy dependencies
for this one algorithm; see the README.)

``"cart"``: a classification tree (scikit-learn's
:class:`~sklearn.tree.DecisionTreeClassifier`, Breiman et al. 1984); each
leaf is a box, the trajectory lists the leaves, and the box chosen is
picked among them in the same way.

Examples
--------
>>> import numpy as np, pandas as pd
>>> from gysim.discover import discover
>>> rng = np.random.default_rng(0)
>>> X = pd.DataFrame(rng.uniform(size=(1000, 3)), columns=["a", "b", "c"])
>>> y = (X.a > 0.7).to_numpy()
>>> box = discover(X, y)
>>> box.limits.round(1)
       lower  upper
input              
a        0.7    1.0
>>> round(box.density, 2), round(box.coverage, 2)
(1.0, 1.0)
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from .errors import DataError, GysimError, ParameterError

__all__ = ["discover", "ScenarioBox", "METHODS", "prim_peel", "choose"]

#: The methods of :func:`discover`.
METHODS = ("prim", "cart")


@dataclass(frozen=True)
class ScenarioBox:
    """A box of inputs and how well it captures the cases.

    Attributes
    ----------
    limits : pandas.DataFrame
        ``lower`` and ``upper`` of each restricted input (index: the input).
    box : pandas.DataFrame
        ``lower`` and ``upper`` of every input (the data's range where unrestricted).
    coverage : float
        Share of all cases inside the box.
    density : float
        Share of the runs inside the box that are cases.
    mass : float
        Share of all runs inside the box.
    trajectory : pandas.DataFrame
        PRIM: one row per peeling step (``coverage``, ``density``, ``mass``,
        ``n_restricted`` and each input's ``<name>_lower``/``<name>_upper``);
        CART: one row per region of the tree (a leaf, or a subtree whose
        leaves all predict the same class).
    method : str
    chosen : int
        Row of `trajectory` the box was taken from (before pasting, for PRIM).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gysim.discover import discover
    >>> X = pd.DataFrame({"x": np.linspace(0, 1, 101)})
    >>> box = discover(X, X.x.to_numpy() < 0.3)
    >>> box
    ScenarioBox(prim: x in [0, 0.3]; coverage 1, density 0.968, mass 0.307)
    """

    limits: pd.DataFrame
    box: pd.DataFrame
    coverage: float
    density: float
    mass: float
    trajectory: pd.DataFrame
    method: str
    chosen: int

    def __repr__(self) -> str:
        lims = "; ".join(f"{k} in [{r.lower:.3g}, {r.upper:.3g}]" for k, r in self.limits.iterrows())
        return (f"ScenarioBox({self.method}: {lims or 'no restriction'}; coverage "
                f"{self.coverage:.3g}, density {self.density:.3g}, mass {self.mass:.3g})")

    def _repr_html_(self) -> str:
        head = html.escape(f"{self.method}: coverage {self.coverage:.3g}, density "
                           f"{self.density:.3g}, mass {self.mass:.3g}")
        return f"<p>{head}</p>{self.limits.to_html()}"

    def inside(self, X: pd.DataFrame) -> np.ndarray:
        """Which rows of X lie in the box (its restricted limits).

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from gysim.discover import discover
        >>> X = pd.DataFrame({"x": np.linspace(0, 1, 101)})
        >>> box = discover(X, X.x.to_numpy() < 0.3)
        >>> box.inside(pd.DataFrame({"x": [0.1, 0.5]})).tolist()
        [True, False]
        """
        inside = np.ones(len(X), dtype=bool)
        for name, row in self.limits.iterrows():
            x = np.asarray(X[name], dtype=float)
            inside &= (x >= row.lower) & (x <= row.upper)
        return inside

    def plot(self, ax: Any = None) -> Any:
        """Coverage against density along the trajectory, the chosen box marked.

        Returns the matplotlib Axes.

        Examples
        --------
        >>> import numpy as np, pandas as pd
        >>> from gysim.discover import discover
        >>> X = pd.DataFrame({"x": np.linspace(0, 1, 101)})
        >>> discover(X, X.x.to_numpy() < 0.3).plot().get_xlabel()
        'coverage'
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(5, 4))
        t = self.trajectory
        points = ax.scatter(t["coverage"], t["density"], c=t["n_restricted"], cmap="viridis", s=18)
        ax.plot([self.coverage], [self.density], "o", mfc="none", mec="red", ms=12,
                label="chosen box")
        ax.figure.colorbar(points, ax=ax, label="inputs restricted")
        ax.set_xlabel("coverage")
        ax.set_ylabel("density")
        ax.set_title(f"scenario discovery ({self.method})")
        ax.legend(loc="lower left")
        return ax


def _inputs(X: Any) -> pd.DataFrame:
    if isinstance(X, xr.Dataset):
        cols = {str(k): np.asarray(c.values, dtype=float) for k, c in X.coords.items()
                if c.dims == ("run",) and k != "run" and np.issubdtype(c.dtype, np.number)
                and c.dtype != bool}
        if not cols:
            raise DataError("`X`: the Dataset has no numeric parameter coordinates over `run` "
                            "(an ensemble from gysim.simulate whose parameters vary)")
        return pd.DataFrame(cols)
    if not isinstance(X, pd.DataFrame):
        raise DataError(f"`X` must be a pandas DataFrame of inputs (one column per input, one row "
                        f"per run) or an ensemble Dataset, got {type(X).__name__}")
    bad = [str(c) for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])
           or pd.api.types.is_bool_dtype(X[c])]
    if bad:
        raise DataError(f"`X`: the inputs must be numbers; not numeric: {', '.join(bad)}")
    if X.shape[1] == 0:
        raise DataError("`X` has no columns")
    X = X.astype(float)
    if not np.isfinite(X.to_numpy()).all():
        raise DataError("`X` must hold finite numbers (drop or fill the runs with NaN)")
    return X


def _outcome(y: Any, n: int) -> np.ndarray:
    values = np.asarray(y.values if isinstance(y, (xr.DataArray, pd.Series)) else y)
    if values.ndim != 1 or values.size != n:
        raise DataError(f"`y` must be one boolean per run ({n}), got shape {values.shape}")
    if values.dtype != bool:
        if not np.isin(values, (0, 1)).all():
            raise DataError("`y` must be booleans (or 0/1): True where the outcome of interest "
                            "happens")
        values = values.astype(bool)
    if not values.any():
        raise DataError("`y` has no True value: there is no case to find a box for")
    return values


def _fraction(value: Any, argument: str, *, upper: float = 1.0) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"`{argument}` must be a number in (0, {upper:g}), got {value!r}") from None
    if not 0 < value < upper:
        raise ParameterError(f"`{argument}` must be in (0, {upper:g}), got {value!r}")
    return value


def discover(X: Any, y: Any, method: str = "prim", *, threshold: float = 0.8,
             alpha: float = 0.05, mass_min: float = 0.05, paste: bool = True,
             max_depth: int = 4, min_leaf: float = 0.05, seed: int | None = 0) -> ScenarioBox:
    """Find a box of inputs in which the outcome `y` is concentrated.

    Parameters
    ----------
    X : pandas.DataFrame or xarray.Dataset
        Inputs, one column per input and one row per run; or an ensemble
        from :func:`gysim.simulate` (its numeric coordinates over ``run``:
        the parameters that vary).
    y : array-like of bool
        One value per run: True where the outcome of interest happens.
    method : {"prim", "cart"}
    threshold : float
        Least density of the box chosen (when one reaches it); among those,
        the box of the highest harmonic mean of coverage and density
        (:func:`choose`).
    alpha : float
        PRIM: share of the box's runs peeled (and pasted) at each step.
    mass_min : float
        PRIM: peeling stops before the box holds less than this share of the runs.
    paste : bool
        PRIM: paste the chosen box.
    max_depth : int
        CART: depth of the tree.
    min_leaf : float
        CART: least share of the runs in a leaf.
    seed : int, optional
        CART: the tree's random state (ties between equally good splits).

    Returns
    -------
    ScenarioBox

    Raises
    ------
    DataError
        For inputs that are not numbers, or an outcome of the wrong length or with no case.
    ParameterError
        For an unknown method or options out of range.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gysim.discover import discover
    >>> rng = np.random.default_rng(1)
    >>> X = pd.DataFrame(rng.uniform(size=(2000, 2)), columns=["a", "b"])
    >>> y = ((X.a < 0.5) & (X.b > 0.5)).to_numpy()
    >>> discover(X, y, "cart").limits.round(2)
           lower  upper
    input              
    a        0.0    0.5
    b        0.5    1.0
    """
    if method not in METHODS:
        raise ParameterError(f"`method` must be one of {', '.join(METHODS)}, got {method!r}")
    X = _inputs(X)
    y = _outcome(y, len(X))
    threshold = _fraction(threshold, "threshold", upper=1.0 + 1e-12)
    if method == "prim":
        alpha = _fraction(alpha, "alpha", upper=0.5)
        mass_min = _fraction(mass_min, "mass_min")
        trajectory, boxes = prim_peel(X, y, alpha=alpha, mass_min=mass_min)
    else:
        if isinstance(max_depth, bool) or not isinstance(max_depth, (int, np.integer)) \
                or max_depth < 1:
            raise ParameterError(f"`max_depth` must be a positive integer, got {max_depth!r}")
        min_leaf = _fraction(min_leaf, "min_leaf", upper=0.5 + 1e-12)
        trajectory, boxes = _cart_leaves(X, y, max_depth, min_leaf, seed)
    chosen = choose(trajectory, threshold)
    lower, upper = boxes[chosen]
    if method == "prim" and paste:
        lower, upper = _paste(X.to_numpy(), y, lower, upper, alpha)
    return _box(X, y, lower, upper, trajectory, method, chosen)


def choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The row of the trajectory with the best balance of coverage and density.

    Among the boxes of density >= `threshold`, the one with the highest
    harmonic mean of coverage and density, ``2 c d / (c + d)`` (the F1
    score, with density as precision and coverage as recall); when no box is
    that dense, the densest.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"coverage": [1.0, 0.9, 0.5], "density": [0.5, 0.85, 1.0]})
    >>> choose(t, 0.8), choose(t, 0.99)
    (1, 2)
    """
    c, d = trajectory["coverage"].to_numpy(), trajectory["density"].to_numpy()
    ok = np.flatnonzero(d >= threshold - 1e-12)
    if not ok.size:
        return int(np.argmax(d))
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(c + d > 0, 2 * c * d / (c + d), 0.0)
    return int(ok[np.argmax(f1[ok])])


def _box(X, y, lower, upper, trajectory, method, chosen) -> ScenarioBox:
    data = X.to_numpy()
    inside = ((data >= lower) & (data <= upper)).all(axis=1)
    lo_all, hi_all = data.min(axis=0), data.max(axis=0)
    box = pd.DataFrame({"lower": lower, "upper": upper}, index=list(X.columns))
    box.index.name = "input"
    restricted = (lower > lo_all) | (upper < hi_all)
    n_in = int(inside.sum())
    return ScenarioBox(box[restricted], box, float(y[inside].sum() / y.sum()),
                       float(y[inside].mean()) if n_in else float("nan"), n_in / len(y),
                       trajectory, method, chosen)


def prim_peel(X: pd.DataFrame, y: np.ndarray, *, alpha: float = 0.05, mass_min: float = 0.05
              ) -> tuple[pd.DataFrame, list[tuple[np.ndarray, np.ndarray]]]:
    """PRIM's peeling trajectory (Friedman & Fisher 1999, section 2.1).

    At each step every input offers two cuts: its lowest or its highest
    ``alpha`` share of the runs in the box (at least one run; all runs tied
    at the cut go together). The cut leaving the highest density is taken
    (on a tie, the one leaving more runs). Peeling stops when every cut
    would leave less than ``mass_min`` of all runs, or none leaves a run.

    Returns
    -------
    trajectory : pandas.DataFrame
        One row per box, the first the box of all runs.
    boxes : list of (lower, upper) arrays

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from gysim.discover import prim_peel
    >>> X = pd.DataFrame({"x": np.arange(10.0)})
    >>> t, boxes = prim_peel(X, np.arange(10) >= 8, alpha=0.1, mass_min=0.2)
    >>> t[["mass", "density"]].round(3).values.tolist()[-1], boxes[-1][0].tolist()
    ([0.2, 1.0], [8.0])
    """
    data = X.to_numpy(dtype=float)
    n, d = data.shape
    total = y.sum()
    lower, upper = data.min(axis=0).copy(), data.max(axis=0).copy()
    inside = np.ones(n, dtype=bool)
    boxes, rows = [], []

    def record():
        n_in = inside.sum()
        rows.append({"coverage": y[inside].sum() / total, "density": y[inside].mean(),
                     "mass": n_in / n, "n_restricted": int(((lower > data.min(axis=0)) |
                                                            (upper < data.max(axis=0))).sum())})
        boxes.append((lower.copy(), upper.copy()))

    record()
    while True:
        best = None
        x_in, y_in = data[inside], y[inside]
        for j in range(d):
            col = x_in[:, j]
            for side in ("lower", "upper"):
                if side == "lower":
                    cut = np.quantile(col, alpha, method="lower")
                    keep = col > cut
                else:
                    cut = np.quantile(col, 1 - alpha, method="higher")
                    keep = col < cut
                k = int(keep.sum())
                if k == 0 or k / n < mass_min:
                    continue
                score = (y_in[keep].mean(), k)
                if best is None or score > best[0]:
                    best = (score, j, side, col[keep])
        if best is None:
            break
        _, j, side, kept = best
        if side == "lower":
            lower[j] = kept.min()
        else:
            upper[j] = kept.max()
        inside = ((data >= lower) & (data <= upper)).all(axis=1)
        record()
    trajectory = pd.DataFrame(rows)
    for j, name in enumerate(X.columns):
        trajectory[f"{name}_lower"] = [b[0][j] for b in boxes]
        trajectory[f"{name}_upper"] = [b[1][j] for b in boxes]
    trajectory.index.name = "step"
    return trajectory, boxes


def _paste(data: np.ndarray, y: np.ndarray, lower: np.ndarray, upper: np.ndarray,
           alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen one limit at a time by ``alpha`` of the box's runs while the density rises."""
    lower, upper = lower.copy(), upper.copy()
    while True:
        inside = ((data >= lower) & (data <= upper)).all(axis=1)
        density, n_in = y[inside].mean(), inside.sum()
        step = max(1, int(np.ceil(alpha * n_in)))
        best = None
        for j in range(data.shape[1]):
            others = np.ones(len(data), dtype=bool)
            for i in range(data.shape[1]):
                if i != j:
                    others &= (data[:, i] >= lower[i]) & (data[:, i] <= upper[i])
            col = data[:, j]
            for side in ("lower", "upper"):
                beyond = others & ((col < lower[j]) if side == "lower" else (col > upper[j]))
                if not beyond.any():
                    continue
                values = np.sort(col[beyond])
                new = values[-min(step, len(values))] if side == "lower" else \
                    values[min(step, len(values)) - 1]
                lo_j, hi_j = (new, upper[j]) if side == "lower" else (lower[j], new)
                grown = others & (col >= lo_j) & (col <= hi_j)
                score = y[grown].mean()
                if score > density and (best is None or score > best[0]):
                    best = (score, j, lo_j, hi_j)
        if best is None:
            return lower, upper
        _, j, lower[j], upper[j] = best


def _cart_leaves(X: pd.DataFrame, y: np.ndarray, max_depth: int, min_leaf: float,
                 seed: int | None) -> tuple[pd.DataFrame, list]:
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError:  # pragma: no cover - depends on the installation
        raise GysimError("method='cart' needs scikit-learn: pip install 'gysim[optimize]'") from None
    data = X.to_numpy(dtype=float)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf,
                                  random_state=seed).fit(data, y)
    t = tree.tree_
    lo_all, hi_all = data.min(axis=0), data.max(axis=0)
    paths = tree.decision_path(data).tocsc()
    # a subtree whose leaves all predict the same class is one region: collapse it, so that
    # splits the tree made inside a region of one class (noise) do not cut the box
    predicted = np.argmax(t.value[:, 0, :], axis=1)
    uniform = np.zeros(t.node_count, dtype=bool)
    for node in range(t.node_count - 1, -1, -1):   # children have higher ids than parents
        left, right = t.children_left[node], t.children_right[node]
        uniform[node] = left == -1 or (uniform[left] and uniform[right]
                                       and predicted[left] == predicted[right])
    rows, boxes = [], []
    stack = [(0, lo_all.copy(), hi_all.copy())]
    while stack:
        node, lower, upper = stack.pop()
        if uniform[node]:
            inside = paths[:, node].toarray().ravel().astype(bool)
            # the region's box, shrunk to its runs' range where a split bounds it
            rows.append({"node": int(node), "coverage": y[inside].sum() / y.sum(),
                         "density": y[inside].mean(), "mass": inside.mean(),
                         "n_restricted": int(((lower > lo_all) | (upper < hi_all)).sum())})
            lo = np.where(lower > lo_all, data[inside].min(axis=0), lo_all)
            hi = np.where(upper < hi_all, data[inside].max(axis=0), hi_all)
            boxes.append((lo, hi))
            continue
        left, right = t.children_left[node], t.children_right[node]
        j, cut = t.feature[node], t.threshold[node]
        up_left = upper.copy()
        up_left[j] = min(up_left[j], cut)
        lo_right = lower.copy()
        lo_right[j] = max(lo_right[j], cut)
        stack.append((right, lo_right, upper.copy()))
        stack.append((left, lower.copy(), up_left))
    trajectory = pd.DataFrame(rows)
    for j, name in enumerate(X.columns):
        trajectory[f"{name}_lower"] = [b[0][j] for b in boxes]
        trajectory[f"{name}_upper"] = [b[1][j] for b in boxes]
    return trajectory, boxes
