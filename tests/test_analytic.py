"""Simulations checked against closed-form solutions.

Adaptive methods are judged like scipy's own ``solve_ivp`` tests: the error
scaled by the requested tolerances, ``max |(y - y*) / (atol + rtol |y*|)|``,
must stay below a small bound. Fixed-step methods are judged two ways: against
the exact discrete solution of the linear problems (``(1 + r dt)**n`` for
Euler, the degree-4 Taylor polynomial of ``exp(r dt)`` for RK4), and by the
order of convergence observed when ``dt`` is halved.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import expm

import gysim

ADAPTIVE = ["RK45", "DOP853", "LSODA", "BDF", "Radau", "RK23"]
# Bounds on the tolerance-scaled global error. RK23 is a low-order pair whose
# error estimate is loose, so it gets a looser bound (as in scipy's tests).
BOUND = {"RK45": 5, "DOP853": 5, "LSODA": 5, "BDF": 5, "Radau": 5, "RK23": 20}
RTOL, ATOL = 1e-4, 1e-7
SAVEPER = 0.5


def scaled_error(y, y_true, rtol, atol):
    """Largest error in units of the requested tolerance."""
    y, y_true = np.asarray(y, dtype=float), np.asarray(y_true, dtype=float)
    return np.max(np.abs((y - y_true) / (atol + rtol * np.abs(y_true))))


def times(ds):
    return np.asarray(ds["time"].values, dtype=float)


# --- models with known solutions -------------------------------------------


def exponential(rate, x0=100.0, start=0.0, stop=10.0):
    """x' = rate * x: growth for rate > 0, decay for rate < 0."""
    m = gysim.Model("exponential", start=start, stop=stop)
    m.param("rate", rate)
    m.param("x0", x0)
    m.stock("x", "x0")
    m.flow("change", "rate * x", into="x")
    return m


def exponential_solution(t, rate, x0, start=0.0):
    return x0 * np.exp(rate * (t - start))


def logistic(r=0.8, capacity=100.0, x0=2.0, start=0.0, stop=10.0):
    """x' = r x (1 - x / K): growth with separate inflow and crowding outflow."""
    m = gysim.Model("logistic", start=start, stop=stop)
    m.param("r", r)
    m.param("K", capacity)
    m.param("x0", x0)
    m.stock("x", "x0")
    m.flow("growth", "r * x", into="x")
    m.flow("crowding", "r * x * x / K", out_of="x")
    m.aux("fraction_of_capacity", "x / K")
    return m


def logistic_solution(t, r, capacity, x0, start=0.0):
    t = np.asarray(t, dtype=float)
    r, capacity, x0 = (np.asarray(v, dtype=float)[..., None] for v in (r, capacity, x0))
    out = capacity / (1 + (capacity / x0 - 1) * np.exp(-r * (t - start)))
    return out if out.shape[0] > 1 else out[0]


# Two stocks exchanging material: x' = -a x + b y, y' = a x - b y.
A_TRANSFER = np.array([[-0.3, 0.2], [0.3, -0.2]])


def transfer(a=0.3, b=0.2):
    m = gysim.Model("transfer", start=0.0, stop=10.0)
    m.param("a", a)
    m.param("b", b)
    m.stock("x", 80.0)
    m.stock("y", 20.0)
    m.flow("x_to_y", "a * x", out_of="x", into="y")
    m.flow("y_to_x", "b * y", out_of="y", into="x")
    m.aux("total", "x + y")
    return m


# Damped oscillator: position' = velocity, velocity' = -w^2 position - c velocity.
OMEGA, DAMPING = 2 * np.pi / 5, 0.2
A_OSCILLATOR = np.array([[0.0, 1.0], [-OMEGA**2, -DAMPING]])


def oscillator():
    m = gysim.Model("oscillator", start=0.0, stop=10.0)
    m.param("omega", OMEGA)
    m.param("damping", DAMPING)
    m.stock("position", 10.0)
    m.stock("velocity", 0.0)
    m.flow("motion", "velocity", into="position")
    m.flow("acceleration", "-omega**2 * position - damping * velocity", into="velocity")
    return m


def linear_solution(matrix, y0, t, start=0.0):
    """Rows: time; columns: stocks."""
    return np.array([expm(matrix * (ti - start)) @ np.asarray(y0) for ti in t])


# --- adaptive methods --------------------------------------------------------


@pytest.mark.parametrize("method", ADAPTIVE)
@pytest.mark.parametrize("rate", [0.1, -0.5], ids=["growth", "decay"])
def test_exponential(method, rate):
    ds = gysim.simulate(exponential(rate), method=method, rtol=RTOL, atol=ATOL,
                        saveper=SAVEPER)
    t = times(ds)
    np.testing.assert_allclose(t, np.arange(0.0, 10.0 + 1e-9, SAVEPER))
    exact = exponential_solution(t, rate, 100.0)
    assert scaled_error(ds["x"], exact, RTOL, ATOL) < BOUND[method]
    assert scaled_error(ds["change"], rate * exact, RTOL, ATOL) < BOUND[method]


@pytest.mark.parametrize("method", ADAPTIVE)
def test_logistic(method):
    ds = gysim.simulate(logistic(), method=method, rtol=RTOL, atol=ATOL, saveper=SAVEPER)
    t = times(ds)
    exact = logistic_solution(t, 0.8, 100.0, 2.0)
    assert scaled_error(ds["x"], exact, RTOL, ATOL) < BOUND[method]
    assert scaled_error(ds["fraction_of_capacity"], exact / 100.0, RTOL, ATOL / 100.0) \
        < BOUND[method]
    # flows are evaluated from the saved states: consistent with the stock
    np.testing.assert_allclose(ds["growth"], 0.8 * ds["x"], rtol=1e-12)
    np.testing.assert_allclose(ds["crowding"], 0.8 * ds["x"] ** 2 / 100.0, rtol=1e-12)


@pytest.mark.parametrize("method", ADAPTIVE)
def test_linear_transfer(method):
    ds = gysim.simulate(transfer(), method=method, rtol=RTOL, atol=ATOL, saveper=SAVEPER)
    t = times(ds)
    exact = linear_solution(A_TRANSFER, [80.0, 20.0], t)
    assert scaled_error(ds["x"], exact[:, 0], RTOL, ATOL) < BOUND[method]
    assert scaled_error(ds["y"], exact[:, 1], RTOL, ATOL) < BOUND[method]
    # material is conserved
    np.testing.assert_allclose(ds["total"], 100.0, rtol=1e-9)


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau"])
def test_oscillator(method):
    # The solution crosses zero, so the absolute tolerance is set to the
    # amplitude's scale; otherwise the relative error near the crossings is
    # not something any solver controls.
    rtol, atol = 1e-4, 1e-3
    ds = gysim.simulate(oscillator(), method=method, rtol=rtol, atol=atol, saveper=SAVEPER)
    exact = linear_solution(A_OSCILLATOR, [10.0, 0.0], times(ds))
    assert scaled_error(ds["position"], exact[:, 0], rtol, atol) < BOUND[method]
    assert scaled_error(ds["velocity"], exact[:, 1], rtol, atol) < BOUND[method]


@pytest.mark.parametrize("method", ["RK45", "DOP853"])
def test_tolerances_reach_the_solver(method):
    # 10 000 times tighter tolerances must give a much smaller error; a
    # simulate() that ignored rtol/atol would give the same error twice.
    model = logistic()
    exact = logistic_solution(np.arange(0.0, 10.0 + 1e-9, SAVEPER), 0.8, 100.0, 2.0)
    loose = gysim.simulate(model, method=method, rtol=1e-4, atol=1e-7, saveper=SAVEPER)
    tight = gysim.simulate(model, method=method, rtol=1e-8, atol=1e-11, saveper=SAVEPER)
    err_loose = np.max(np.abs(loose["x"].values - exact))
    err_tight = np.max(np.abs(tight["x"].values - exact))
    assert err_tight < err_loose / 100
    assert scaled_error(tight["x"], exact, 1e-8, 1e-11) < BOUND[method]
    assert loose.attrs["rtol"] == 1e-4 and tight.attrs["rtol"] == 1e-8


def test_nonzero_start_time():
    # Calendar years: the solution depends on t - start, never on t alone.
    model = exponential(0.1, x0=331.8, start=2000.0, stop=2010.0)
    ds = gysim.simulate(model, method="RK45", rtol=RTOL, atol=ATOL, saveper=1.0)
    t = times(ds)
    np.testing.assert_allclose(t, np.arange(2000.0, 2010.0 + 1e-9, 1.0))
    exact = exponential_solution(t, 0.1, 331.8, start=2000.0)
    assert scaled_error(ds["x"], exact, RTOL, ATOL) < BOUND["RK45"]


# --- fixed-step methods ----------------------------------------------------------


def rk4_factor(h):
    """Growth factor of one classical RK4 step on x' = r x, with h = r dt."""
    return 1 + h + h**2 / 2 + h**3 / 6 + h**4 / 24


@pytest.mark.parametrize("rate", [0.1, -0.5])
@pytest.mark.parametrize("dt", [0.25, 0.1])
def test_fixed_step_exact_discrete_solution_exponential(rate, dt):
    model = exponential(rate, x0=331.8, start=2000.0, stop=2010.0)
    n = np.arange(11) * round(1.0 / dt)          # steps taken at each saved year
    euler = gysim.simulate(model, method="euler", dt=dt, saveper=1.0)
    rk4 = gysim.simulate(model, method="rk4", dt=dt, saveper=1.0)
    np.testing.assert_allclose(times(euler), 2000.0 + np.arange(11.0))
    np.testing.assert_allclose(euler["x"], 331.8 * (1 + rate * dt) ** n, rtol=1e-12)
    np.testing.assert_allclose(rk4["x"], 331.8 * rk4_factor(rate * dt) ** n, rtol=1e-12)


def test_fixed_step_exact_discrete_solution_linear_system():
    dt = 0.125
    steps = round(SAVEPER / dt)
    y0 = np.array([80.0, 20.0])
    one_euler = np.eye(2) + dt * A_TRANSFER
    hA = dt * A_TRANSFER
    one_rk4 = np.eye(2) + hA + hA @ hA / 2 + hA @ hA @ hA / 6 + hA @ hA @ hA @ hA / 24
    for method, one_step in [("euler", one_euler), ("rk4", one_rk4)]:
        ds = gysim.simulate(transfer(), method=method, dt=dt, saveper=SAVEPER)
        per_save = np.linalg.matrix_power(one_step, steps)
        expected = [y0]
        for _ in range(len(ds["time"]) - 1):
            expected.append(per_save @ expected[-1])
        expected = np.array(expected)
        np.testing.assert_allclose(ds["x"], expected[:, 0], rtol=1e-12, err_msg=method)
        np.testing.assert_allclose(ds["y"], expected[:, 1], rtol=1e-12, err_msg=method)


def test_rk4_integrates_a_cubic_in_time_exactly():
    # The RK4 stages sample the flow at t, t + dt/2 and t + dt: Simpson's rule,
    # exact for a cubic. Euler is the left Riemann sum of the same integral.
    m = gysim.Model("cubic", start=2000.0, stop=2010.0)
    m.stock("x", 0.0)
    m.flow("inflow", "4 * (time - 2000) ** 3", into="x")
    dt = 0.25
    rk4 = gysim.simulate(m, method="rk4", dt=dt, saveper=1.0)
    s = times(rk4) - 2000.0
    np.testing.assert_allclose(rk4["x"], s**4, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(rk4["inflow"], 4 * s**3, rtol=1e-12, atol=1e-12)

    euler = gysim.simulate(m, method="euler", dt=dt, saveper=1.0)
    grid = np.arange(0.0, 10.0, dt)
    left_sums = np.concatenate([[0.0], np.cumsum(4 * grid**3 * dt)])[:: round(1 / dt)]
    np.testing.assert_allclose(euler["x"], left_sums, rtol=1e-12, atol=1e-12)


def observed_orders(errors):
    errors = np.asarray(errors)
    return np.log2(errors[:-1] / errors[1:])


def _max_error_logistic(method, dt):
    ds = gysim.simulate(logistic(), method=method, dt=dt, saveper=SAVEPER)
    return np.max(np.abs(ds["x"].values - logistic_solution(times(ds), 0.8, 100.0, 2.0)))


def _max_error_oscillator(method, dt):
    ds = gysim.simulate(oscillator(), method=method, dt=dt, saveper=SAVEPER)
    exact = linear_solution(A_OSCILLATOR, [10.0, 0.0], times(ds))
    return max(np.max(np.abs(ds["position"].values - exact[:, 0])),
               np.max(np.abs(ds["velocity"].values - exact[:, 1])))


@pytest.mark.parametrize("error_of", [_max_error_logistic, _max_error_oscillator],
                         ids=["logistic", "oscillator"])
def test_rk4_fourth_order(error_of):
    dts = [0.125, 0.0625, 0.03125]
    errors = [error_of("rk4", dt) for dt in dts]
    orders = observed_orders(errors)
    assert np.all((orders > 3.5) & (orders < 4.5)), (errors, orders)
    # and close to the truth at the smallest step
    assert errors[-1] < 1e-5


@pytest.mark.parametrize("error_of", [_max_error_logistic, _max_error_oscillator],
                         ids=["logistic", "oscillator"])
def test_euler_first_order(error_of):
    dts = [1 / 64, 1 / 128, 1 / 256]
    errors = [error_of("euler", dt) for dt in dts]
    orders = observed_orders(errors)
    assert np.all((orders > 0.9) & (orders < 1.1)), (errors, orders)


# --- ensembles -------------------------------------------------------------------

N_RUNS = 7


def _samples(n=N_RUNS, seed=12345):
    rng = np.random.default_rng(seed)
    return {
        "r": rng.uniform(0.4, 1.2, n),
        "K": rng.uniform(80.0, 120.0, n),
        "x0": rng.uniform(1.0, 5.0, n),
    }


def _single_runs(model, samples, **options):
    n = len(next(iter(samples.values())))
    return [
        gysim.simulate(model, params={k: float(v[i]) for k, v in samples.items()}, **options)
        for i in range(n)
    ]


def _check_ensemble_shape(ds, n):
    assert ds["x"].dims == ("time", "run")
    assert ds.sizes["run"] == n


@pytest.mark.parametrize("method", ["euler", "rk4"])
def test_ensemble_equals_loop_of_single_runs_fixed_step(method):
    model = logistic()
    samples = _samples()
    options = dict(method=method, dt=0.125, saveper=SAVEPER)
    ens = gysim.simulate(model, params=samples, **options)
    _check_ensemble_shape(ens, N_RUNS)
    singles = _single_runs(model, samples, **options)
    for i, single in enumerate(singles):
        assert single["x"].dims == ("time",)
        for name in ("x", "growth", "crowding", "fraction_of_capacity"):
            np.testing.assert_allclose(ens[name].isel(run=i), single[name],
                                       rtol=1e-14, atol=0, err_msg=f"{name}, run {i}")
    # the varied parameters are coordinates on the run axis
    for name, values in samples.items():
        np.testing.assert_array_equal(ens[name].values, values)
        assert ens[name].dims == ("run",)


def test_ensemble_equals_loop_of_single_runs_rk45():
    model = logistic()
    samples = _samples()
    options = dict(method="RK45", rtol=RTOL, atol=ATOL, saveper=SAVEPER)
    ens = gysim.simulate(model, params=samples, **options)
    _check_ensemble_shape(ens, N_RUNS)
    singles = _single_runs(model, samples, **options)
    t = times(ens)
    exact = logistic_solution(t, samples["r"], samples["K"], samples["x0"])
    for i, single in enumerate(singles):
        # each within tolerance of the truth, hence within twice of each other
        assert scaled_error(ens["x"].isel(run=i), exact[i], RTOL, ATOL) < BOUND["RK45"]
        assert scaled_error(single["x"], exact[i], RTOL, ATOL) < BOUND["RK45"]
        assert scaled_error(ens["x"].isel(run=i), single["x"], RTOL, ATOL) \
            < 2 * BOUND["RK45"]


def test_ensemble_outlier_run_keeps_its_accuracy():
    # One fast run among many slow ones. An error norm averaged over the runs
    # (the RMS norm solve_ivp applies to one stacked state vector) lets the
    # outlier's error grow like sqrt(n_runs) times the tolerance; every run of
    # an ensemble must be as accurate as the tolerance promises.
    n = 100
    r = np.full(n, 0.2)
    r[0] = 2.0
    samples = {"r": r, "K": np.full(n, 100.0), "x0": np.full(n, 2.0)}
    ens = gysim.simulate(logistic(), params=samples, method="RK45", rtol=RTOL, atol=ATOL,
                         saveper=SAVEPER)
    exact = logistic_solution(times(ens), r, samples["K"], samples["x0"])
    errors = [scaled_error(ens["x"].isel(run=i), exact[i], RTOL, ATOL) for i in range(n)]
    assert max(errors) < BOUND["RK45"], f"worst run {int(np.argmax(errors))}: {max(errors):.1f}"


def test_ensemble_from_dataframe():
    model = logistic()
    samples = _samples()
    frame = pd.DataFrame(samples)
    options = dict(method="rk4", dt=0.125, saveper=SAVEPER)
    from_frame = gysim.simulate(model, params=frame, **options)
    from_dict = gysim.simulate(model, params=samples, **options)
    _check_ensemble_shape(from_frame, N_RUNS)
    for name in ("x", "growth", "crowding"):
        np.testing.assert_array_equal(from_frame[name].values, from_dict[name].values)
    exact = logistic_solution(times(from_frame), samples["r"], samples["K"], samples["x0"])
    np.testing.assert_allclose(from_frame["x"].values, exact.T, rtol=1e-5)
    np.testing.assert_array_equal(from_frame["r"].values, frame["r"].to_numpy())


def test_ensemble_overrides_stock_initial_value():
    # A stock name as a parameter key overrides its initial value.
    model = exponential(-0.5)
    x0 = np.array([10.0, 50.0, 250.0])
    ens = gysim.simulate(model, params={"x": x0}, method="euler", dt=0.25, saveper=1.0)
    n = np.arange(11) * 4
    expected = x0[None, :] * (1 - 0.5 * 0.25) ** n[:, None]
    np.testing.assert_allclose(ens["x"].values, expected, rtol=1e-12)


def test_ensemble_mixes_scalars_and_arrays():
    model = logistic()
    r = np.array([0.5, 0.8, 1.1])
    ens = gysim.simulate(model, params={"r": r, "K": 150.0}, method="rk4", dt=0.0625,
                         saveper=1.0)
    _check_ensemble_shape(ens, 3)
    exact = logistic_solution(times(ens), r, np.full(3, 150.0), np.full(3, 2.0))
    np.testing.assert_allclose(ens["x"].values, exact.T, rtol=1e-6)


@pytest.mark.parametrize("method", ["RK45", "RK23", "DOP853", "LSODA", "BDF", "Radau"])
def test_ensemble_members_are_as_accurate_as_alone_in_any_chunking(method):
    """What engine/solvers.py states: a member's error against the exact solution is within
    twice the larger of rtol and the same run's error alone, whichever runs share its chunk."""
    m = gysim.Model("m", start=0, stop=10)
    m.stock("x", 1.0)
    m.param("r", 0.1, bounds=(-10, 10))
    m.flow("g", "r * x * sin(r * time)", into="x")
    rtol = 1e-6
    r = np.r_[np.random.default_rng(0).uniform(0.01, 3.0, 15), 3.0]
    t = np.arange(11.0)
    exact = np.exp(1 - np.cos(np.outer(t, r)))

    def error(x):
        return np.max(np.abs(x - exact) / exact, axis=0)
    alone = error(np.stack([gysim.simulate(m, params={"r": v}, method=method).x.values
                            for v in r], axis=1))
    bound = 2 * np.maximum(alone, rtol)
    together = gysim.simulate(m, params={"r": r}, method=method).x.values
    perm = np.random.default_rng(1).permutation(len(r))
    shuffled = gysim.simulate(m, params={"r": r[perm]}, method=method, chunk_size=4).x.values
    regrouped = np.empty_like(shuffled)
    regrouped[:, perm] = shuffled
    for x in (together, regrouped):
        assert (error(x) <= bound).all(), (error(x) / bound).max()
    assert not np.array_equal(together, regrouped)  # the chunking does change the numbers
