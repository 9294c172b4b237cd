"""Standard errors, correlations and identifiability of fitted parameters, from the Jacobian.

The covariance of the fitted parameters is ``s**2 * inv(J.T @ J)`` with ``J``
the Jacobian of the *weighted* residuals at the optimum and
``s**2 = cost / (n_obs - n_params)``: the weights are read as inverse
measurement errors known up to a common factor, which the fit estimates. (An
unweighted version would have to add squared errors in different units.) The
errors are the usual local, linearised ones: they ignore the bounds and
assume the model is right.

Parameters the data do not pin down (a singular or nearly singular
``J.T @ J``: relative singular value of the bound-scaled Jacobian below
:data:`IDENTIFIABILITY_RTOL`) get an infinite standard error and NaN
correlations.

Examples
--------
>>> import numpy as np
>>> from gysim.calibrate.uncertainty import parameter_uncertainty
>>> jac = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 1.0]])     # only a + b matters
>>> parameter_uncertainty(jac, 1.0, ["a", "b"], np.zeros(2), np.ones(2))[2]
['a', 'b']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["IDENTIFIABILITY_RTOL", "parameter_uncertainty"]

#: Relative singular value of the bound-scaled Jacobian below which the data
#: do not identify a direction in parameter space.
IDENTIFIABILITY_RTOL = 1e-6


def parameter_uncertainty(jac: np.ndarray, cost: float, names: Sequence[str], lower: np.ndarray,
                          upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Standard errors, correlations and unidentified parameters from the Jacobian.

    Parameters
    ----------
    jac : numpy.ndarray
        Jacobian of the weighted residuals in the parameters, shape
        ``(n_obs, n_params)``.
    cost : float
        Weighted sum of squared residuals at the optimum.
    names : sequence of str
        The parameters, in the order of the columns of `jac`.
    lower, upper : numpy.ndarray
        Their search bounds (the Jacobian is judged on the bounds' scale).

    Returns
    -------
    stderr : numpy.ndarray
        Standard error of each parameter (inf for an unidentified one, NaN
        when there are no more observations than parameters).
    correlation : numpy.ndarray
        Correlation matrix (NaN in the rows and columns of unidentified ones).
    unidentified : list of str
        Parameters the data do not determine.

    Examples
    --------
    Fitting ``y = a + b t`` by least squares: the standard errors are those
    of ordinary linear regression, ``s**2 (X.T X)^-1``.

    >>> import numpy as np
    >>> from gysim.calibrate.uncertainty import parameter_uncertainty
    >>> X = np.column_stack([np.ones(4), np.arange(4.0)])
    >>> stderr, corr, unidentified = parameter_uncertainty(X, 2.0, ["a", "b"],
    ...                                                    np.full(2, -10.0), np.full(2, 10.0))
    >>> np.allclose(stderr, np.sqrt(np.diag(2.0 / 2 * np.linalg.inv(X.T @ X)))), unidentified
    (True, [])
    """
    n_obs, n_par = jac.shape
    width = upper - lower
    scaled = jac * width  # columns on the scale of the bounds
    _, sv, vt = np.linalg.svd(scaled, full_matrices=True)
    sv = np.concatenate([sv, np.zeros(n_par - sv.size)])  # fewer observations than parameters
    small = sv <= IDENTIFIABILITY_RTOL * (sv[0] if sv[0] > 0 else 1.0)
    flagged = np.zeros(n_par, dtype=bool)
    for k in np.flatnonzero(small):
        flagged |= np.abs(vt[k]) > 0.1
    inv = np.where(small, 0.0, 1.0 / np.where(small, 1.0, sv) ** 2)
    cov = (vt.T * inv) @ vt * np.outer(width, width)  # pseudo-inverse of J.T @ J
    sd = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, 1.0)
    corr[flagged, :] = np.nan
    corr[:, flagged] = np.nan
    s2 = cost / (n_obs - n_par) if n_obs > n_par else np.nan
    stderr = np.where(flagged, np.inf, np.sqrt(s2) * sd)
    return stderr, corr, [n for n, f in zip(names, flagged) if f]
