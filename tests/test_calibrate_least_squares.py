"""gysim.calibrate.least_squares: residuals, Jacobians and costs against a model with a closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd

import gysim
from gysim.calibrate.least_squares import LeastSquaresProblem, start_points


def line_problem(observed, weights=(1.0,), diff_step=1e-6):
    """x(t) = x0 + b t with euler (exact for a constant flow), fitted in (x0, b)."""
    m = gysim.Model("line", start=0, stop=3)
    m.stock("x", 1.0)
    m.param("b", 1.0, bounds=(-5, 5))
    m.flow("inc", "b", into="x")
    frame = pd.DataFrame({"x": observed}, index=np.arange(4.0))
    return LeastSquaresProblem(m, ["x", "b"], np.array([-10.0, -5.0]), np.array([10.0, 5.0]),
                               frame, np.asarray(weights), {"method": "euler", "dt": 1.0}, diff_step)


def test_residuals_and_jacobian_of_a_linear_model():
    problem = line_problem([2.0, 2.5, np.nan, 3.5], weights=(2.0,))
    assert problem.n_obs == 3
    sim, resid, jac = problem.jacobian(np.array([1.0, 1.0]))
    np.testing.assert_allclose(sim[:, 0], [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(resid, 2.0 * np.array([-1.0, -0.5, 0.5]))  # the NaN left out
    np.testing.assert_allclose(jac, 2.0 * np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 3.0]]), rtol=1e-6)
    # the costs of several parameter sets come from one ensemble run
    X = np.array([[2.0, 0.5], [1.0, 1.0]])
    np.testing.assert_allclose(problem.costs(X), [0.0, 4.0 * 1.5])


def test_a_fit_reaches_the_least_squares_solution():
    problem = line_problem([2.0, 2.5, 3.0, 3.5])
    table, best = problem.fit_starts(start_points(np.array([0.0, 0.0]), problem.lower,
                                                  problem.upper, 2, seed=1), {})
    np.testing.assert_allclose(problem.to_x(best.x), [2.0, 0.5], rtol=1e-6)
    assert list(table["origin"]) == ["model", "lhs"] and table["cost"].max() < 1e-12


def test_start_points_are_the_model_then_a_seeded_hypercube():
    lower, upper = np.array([0.0, 10.0]), np.array([1.0, 20.0])
    a = start_points(np.array([0.5, 15.0]), lower, upper, 5, seed=3)
    b = start_points(np.array([0.5, 15.0]), lower, upper, 5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert a[0].tolist() == [0.5, 15.0] and a.shape == (5, 2)
    assert ((a >= lower) & (a <= upper)).all()
    # one point in each of the 4 strata of each coordinate
    assert sorted(np.floor((a[1:, 0] - lower[0]) / (upper[0] - lower[0]) * 4)) == [0, 1, 2, 3]
    assert start_points(np.array([0.5, 15.0]), lower, upper, 1, seed=3).shape == (1, 2)
