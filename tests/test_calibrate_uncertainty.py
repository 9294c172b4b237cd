"""gysim.calibrate.uncertainty: standard errors against ordinary least squares, identifiability."""

from __future__ import annotations

import numpy as np
import pytest

from gysim.calibrate.uncertainty import IDENTIFIABILITY_RTOL, parameter_uncertainty


def test_linear_model_gives_the_ols_standard_errors_and_correlation():
    t = np.arange(8.0)
    X = np.column_stack([np.ones_like(t), t])  # residual Jacobian of y = a + b t
    cost = 3.5
    cov = cost / (8 - 2) * np.linalg.inv(X.T @ X)
    stderr, corr, unidentified = parameter_uncertainty(X, cost, ["a", "b"], np.array([-10.0, -1.0]),
                                                       np.array([10.0, 1.0]))
    np.testing.assert_allclose(stderr, np.sqrt(np.diag(cov)), rtol=1e-12)
    assert corr[0, 1] == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), rel=1e-12)
    assert corr[0, 0] == corr[1, 1] == 1.0 and unidentified == []


def test_a_combination_the_data_cannot_separate_is_unidentified():
    jac = np.array([[1.0, 2.0, 0.0], [2.0, 4.0, 0.0], [3.0, 6.0, 1.0]])  # a and b only as a + 2 b
    stderr, corr, unidentified = parameter_uncertainty(jac, 1.0, ["a", "b", "c"], np.zeros(3),
                                                       np.ones(3))
    assert unidentified == ["a", "b"]
    assert np.isinf(stderr[:2]).all() and np.isnan(stderr[2])  # 3 observations, 3 parameters
    assert np.isnan(corr[0, 1]) and np.isnan(corr[2, 0]) and corr[2, 2] == 1.0
    # a relative singular value below IDENTIFIABILITY_RTOL is not identified, one well above it is
    for step, expected in ((1e-3 * IDENTIFIABILITY_RTOL, ["a", "b"]), (1e-2, [])):
        bent = jac.copy()
        bent[0, 1] += step
        ratio = np.linalg.svd(bent, compute_uv=False)
        assert (ratio[-1] / ratio[0] < IDENTIFIABILITY_RTOL) == bool(expected)
        assert parameter_uncertainty(bent, 1.0, ["a", "b", "c"], np.zeros(3), np.ones(3))[2] == expected
