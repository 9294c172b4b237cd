"""sensitivity(), sampling: SALib's analytic test functions built as SD models, Morris ranking,
seeds, zero-variance outputs, the Dask path, errors."""

import math
import warnings

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.sampling import n_runs, problem, sample
from gysim.sensitivity import analyze, sensitivity

ISHIGAMI_S1 = [0.3139, 0.4424, 0.0]
ISHIGAMI_ST = [0.5576, 0.4424, 0.2437]
G_A = np.array([0.0, 1.0, 4.5, 9.0, 99.0, 99.0])


def ishigami_model():
    """The Ishigami function as an aux `y`, and as a stock `z` that integrates it over
    one time unit from 0, so z(1) = y and z(0) = 0 for every run."""
    m = gysim.Model("ishigami", start=0, stop=1, dt=1)
    for x in ("x1", "x2", "x3"):
        m.param(x, 0.0, bounds=(-math.pi, math.pi))
    m.param("unbounded", 1.0)
    m.aux("y", "sin(x1) + 7 * sin(x2)**2 + 0.1 * x3**4 * sin(x1)")
    m.stock("z", 0.0)
    m.flow("dz", "y", into="z")
    return m


def g_model(a=G_A):
    m = gysim.Model("sobol_g", start=0, stop=1, dt=1)
    for i in range(len(a)):
        m.param(f"x{i}", 0.5, bounds=(0, 1))
    m.stock("g", 0.0)
    m.flow("dg", " * ".join(f"(abs(4 * x{i} - 2) + {a[i]}) / (1 + {a[i]})"
                            for i in range(len(a))), into="g")
    return m


def g_analytic(a):
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    total = np.prod(1 + v) - 1
    return v / total, v * np.prod(1 + v) / (1 + v) / total


X3 = ["x1", "x2", "x3"]


@pytest.fixture(scope="module")
def ishigami_study():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning spam, also from SALib at t=0
        return sensitivity(ishigami_model(), X3, ["y", "z"], n=2048, seed=1, progress=False,
                           return_ensemble=True, method="euler")


def test_ishigami_sobol_matches_analytic(ishigami_study):
    si, _ = ishigami_study
    assert si.S1.dims == ("param", "output", "time")
    assert list(si.param.values) == X3 and list(si.output.values) == ["y", "z"]
    for out in ("y", "z"):
        np.testing.assert_allclose(si.S1.sel(output=out, time=1), ISHIGAMI_S1, atol=0.03)
        np.testing.assert_allclose(si.ST.sel(output=out, time=1), ISHIGAMI_ST, atol=0.03)
    assert (si.S1_conf.sel(output="y", time=1) < 0.1).all()
    assert (si.ST_conf.sel(output="y", time=1) > 0).all()


def test_time_resolved_and_zero_variance_gives_nan(ishigami_study):
    si, _ = ishigami_study
    assert list(si.time.values) == [0.0, 1.0]
    # the aux is the Ishigami function at every time; the stock is 0 for every run at t=0
    np.testing.assert_allclose(si.ST.sel(output="y", time=0), ISHIGAMI_ST, atol=0.03)
    for key in ("S1", "S1_conf", "ST", "ST_conf"):
        assert np.isnan(si[key].sel(output="z", time=0)).all()
        assert np.isfinite(si[key].sel(output="z", time=1)).all()


def test_raw_ensemble_has_runs_and_sampled_params(ishigami_study):
    _, ens = ishigami_study
    assert ens.sizes["run"] == n_runs("sobol", 2048, 3) == 2048 * 5
    assert set(ens.data_vars) == {"y", "z"}
    x1, x2, x3 = (ens[x].values for x in X3)
    expected = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3 ** 4 * np.sin(x1)
    np.testing.assert_allclose(ens.z.sel(time=1), expected, rtol=1e-12, atol=1e-12)
    s = sample(ishigami_model(), X3, "sobol", 2048, seed=1)
    np.testing.assert_array_equal(np.column_stack([x1, x2, x3]), s.to_numpy())


def test_sobol_g_function_matches_analytic():
    s1, st = g_analytic(G_A)
    names = [f"x{i}" for i in range(len(G_A))]
    si = sensitivity(g_model(), names, ["g"], n=2048, seed=3, progress=False, times=[1],
                     method="euler")
    assert list(si.time.values) == [1.0]
    np.testing.assert_allclose(si.S1.sel(output="g", time=1), s1, atol=0.03)
    np.testing.assert_allclose(si.ST.sel(output="g", time=1), st, atol=0.03)


def test_second_order_indices():
    si = sensitivity(ishigami_model(), X3, ["y"], n=1024, seed=2, progress=False, times=[1],
                     second_order=True, method="euler")
    assert si.S2.dims == ("param", "param2", "output", "time")
    s2 = si.S2.sel(output="y", time=1)
    # analytic: only x1-x3 interact, S13 = 0.2437
    assert abs(float(s2.sel(param="x1", param2="x3")) - 0.2437) < 0.05
    assert abs(float(s2.sel(param="x1", param2="x2"))) < 0.05
    np.testing.assert_allclose(si.ST.sel(output="y", time=1), ISHIGAMI_ST, atol=0.03)


def test_morris_ranks_influential_params_first():
    names = [f"x{i}" for i in range(len(G_A))]
    si = sensitivity(g_model(), names, ["g"], analysis="morris", n=200, seed=4, progress=False,
                     method="euler")
    assert set(si.data_vars) == {"mu", "mu_star", "mu_star_conf", "sigma"}
    mu_star = si.mu_star.sel(output="g", time=1).values
    # smaller a means more influence: x0 > x1 > x2 > x3 > x4, x5
    assert list(np.argsort(-mu_star)[:4]) == [0, 1, 2, 3]
    assert mu_star[0] > 10 * mu_star[4]
    assert np.isnan(si.mu_star.sel(output="g", time=0)).all()


def test_fast_ishigami():
    si = sensitivity(ishigami_model(), X3, ["y"], analysis="fast", n=1024, seed=5, progress=False,
                     times=[1], method="euler")
    np.testing.assert_allclose(si.S1.sel(output="y", time=1), ISHIGAMI_S1, atol=0.05)
    np.testing.assert_allclose(si.ST.sel(output="y", time=1), ISHIGAMI_ST, atol=0.08)


@pytest.mark.parametrize("method,n", [("sobol", 64), ("morris", 10), ("fast", 100),
                                      ("latin", 50), ("mc", 50)])
def test_same_seed_same_samples(method, n):
    m = ishigami_model()
    a = sample(m, X3, method, n, seed=7)
    b = sample(m, X3, method, n, seed=7)
    c = sample(m, X3, method, n, seed=8)
    assert a.equals(b)
    assert not a.equals(c)
    assert len(a) == n_runs(method, n, 3)
    assert ((a >= -math.pi) & (a <= math.pi)).all().all()


def test_distributions():
    m = ishigami_model()
    s = sample(m, ["x1", "x2", "unbounded"], "latin", 4000, seed=1,
               dists={"x1": ("norm", 0.0, 1.0), "x2": ("triang", 2.0),
                      "unbounded": ("lognorm", 0.0, 0.5)})
    assert s.x1.between(-math.pi, math.pi).all() and abs(s.x1.std() - 0.98) < 0.05
    assert abs(s.x2.median() - 0.96) < 0.1 and s.x2.max() <= math.pi
    assert (s.unbounded > 0).all() and abs(np.log(s.unbounded).std() - 0.5) < 0.02
    assert problem(m, ["x1"], dists={"x1": ("norm", 0.0, 1.0)})["dists"] == ["truncnorm"]


def test_parameter_errors_name_the_item():
    m = ishigami_model()
    with pytest.raises(gysim.ParameterError, match=r"'x11' .*did you mean 'x1'"):
        problem(m, ["x1", "x11"])
    with pytest.raises(gysim.ParameterError, match=r"'y' is a aux, not a parameter"):
        problem(m, ["y"])
    with pytest.raises(gysim.ParameterError, match="'unbounded' has no bounds"):
        sensitivity(m, ["x1", "unbounded"], ["y"], progress=False)
    with pytest.raises(gysim.ParameterError, match="power of 2.*got 1000; use 512 or 1024"):
        sample(m, X3, "sobol", 1000)
    with pytest.raises(gysim.ParameterError, match="did you mean 'morris'"):
        sensitivity(m, X3, ["y"], analysis="moris")
    with pytest.raises(gysim.ParameterError, match="Monte Carlo"):
        sensitivity(m, X3, ["y"], analysis="latin")
    with pytest.raises(gysim.ParameterError, match=r"dists\['x1'\].*unknown distribution 'nrom'"):
        problem(m, ["x1"], dists={"x1": ("nrom", 0, 1)})
    with pytest.raises(gysim.ParameterError, match="outside its bounds"):
        sample(m, ["x1"], "mc", 100, dists={"x1": ("lognorm", 1.0, 1.0)})


def test_output_and_time_errors():
    m = ishigami_model()
    s = sample(m, X3, "sobol", 8, seed=1)
    ens = gysim.batch.run_batch(m, s, progress=False, method="euler")
    with pytest.raises(gysim.DataError, match="'yy' is not a variable.*did you mean 'y'"):
        analyze(s, ens, ["yy"])
    with pytest.raises(gysim.DataError, match="0.5 is not a saved time"):
        analyze(s, ens, ["y"], times=[0.5])
    with pytest.raises(gysim.DataError, match=r"`outputs`: 'yy' is not a variable.*'y'"):
        sensitivity(m, X3, ["yy"], n=8, progress=False)


def test_dask_gives_the_same_numbers(dask_client):
    m = ishigami_model()
    kw = dict(n=512, seed=11, progress=False, chunk_size=300, method="euler")
    local, ens_local = sensitivity(m, X3, ["y", "z"], return_ensemble=True, **kw)
    remote, ens_remote = sensitivity(m, X3, ["y", "z"], return_ensemble=True,
                                     client=dask_client, **kw)
    xr.testing.assert_identical(local, remote)
    xr.testing.assert_identical(ens_local, ens_remote)


def test_sampling_refuses_a_parameter_with_an_empty_range():
    import gysim
    from gysim.sampling import sample
    m = gysim.Model("m", start=0, stop=1)
    m.param("fixed", 1.0, bounds=(1.0, 1.0))
    m.param("free", 1.0, bounds=(0.0, 2.0))
    with pytest.raises(gysim.ParameterError, match="'fixed' has bounds \\(1.0, 1.0\\), an empty range"):
        sample(m, ["fixed", "free"], "sobol", 8, seed=1)


def test_parallel_analysis_gives_the_serial_indices():
    import gysim
    from gysim.batch import run_batch
    from gysim.sampling import sample
    from gysim.sensitivity import analyze
    m = gysim.Model("additive", start=0, stop=2)
    m.param("a", 0.5, bounds=(0, 1))
    m.param("b", 0.5, bounds=(0, 1))
    m.stock("x", 0.0)
    m.flow("fx", "a + 2 * b", into="x")
    m.aux("y", "a * b * time")
    s = sample(m, ["a", "b"], "sobol", 64, seed=3)
    ens = run_batch(m, s, progress=False, method="euler", dt=1)
    serial = analyze(s, ens, ["x", "y"], seed=3)
    pooled = analyze(s, ens, ["x", "y"], seed=3, workers=2)
    xr.testing.assert_allclose(serial, pooled, rtol=1e-12, atol=1e-14)
    with pytest.raises(gysim.DataError, match="`workers` must be a positive integer"):
        analyze(s, ens, ["x"], workers=0)


def _linear():
    m = gysim.Model("linear", start=0, stop=1)
    m.param("a", 1.0, bounds=(0, 1))
    m.param("b", 1.0, bounds=(0, 1))
    m.aux("y", "a + 3 * b")
    return m


def test_method_is_the_integrator_and_analysis_the_analysis():
    """Issue 13: one name for the integrator everywhere, `method`, as in simulate."""
    si = sensitivity(_linear(), ["a", "b"], ["y"], analysis="morris", n=8, progress=False,
                     method="rk4", dt=0.5)
    assert set(si.data_vars) == {"mu", "mu_star", "mu_star_conf", "sigma"}
    _, ens = sensitivity(_linear(), ["a", "b"], ["y"], n=8, progress=False, method="euler",
                         dt=0.5, return_ensemble=True)
    assert ens.attrs["method"] == "euler" and ens.attrs["dt"] == 0.5
    assert sensitivity(_linear(), ["a", "b"], ["y"], "fast", n=100, progress=False).attrs[
        "method"] == "fast"  # the analysis is still the fourth argument


def test_old_names_are_deprecated_but_give_the_same_study():
    kw = dict(n=8, seed=3, progress=False, dt=0.5)
    new = sensitivity(_linear(), ["a", "b"], ["y"], analysis="morris", method="rk4", **kw)
    with pytest.warns(DeprecationWarning) as caught:
        old = sensitivity(_linear(), ["a", "b"], ["y"], method="morris", solver="rk4", **kw)
    messages = [str(w.message) for w in caught]
    assert any("give `analysis='morris'`" in m for m in messages)
    assert any("give the integrator as `method='rk4'`" in m for m in messages)
    xr.testing.assert_identical(new, old)


def test_the_integrator_and_the_analysis_given_twice_are_refused():
    with pytest.raises(gysim.ParameterError, match="give the integrator once"):
        sensitivity(_linear(), ["a", "b"], ["y"], method="rk4", solver="euler")
    with pytest.raises(gysim.ParameterError, match="`method` is the integrator.*'morris', an "
                                                   "analysis, with `analysis='sobol'`"):
        sensitivity(_linear(), ["a", "b"], ["y"], analysis="sobol", method="morris")
    with pytest.raises(gysim.ParameterError, match="looks like the analysis 'morris': give it "
                                                   "as `analysis='morris'`"):
        sensitivity(_linear(), ["a", "b"], ["y"], method="moris")


def test_no_module_of_gysim_passes_the_old_names():
    """The suite, the notebooks and gysim itself use `analysis=` and `method=` only."""
    import re
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    old = re.compile(r"sensitivity\((?:[^()]|\([^()]*\))*?(?:solver=|method=\\?\"(?:sobol|morris|"
                     r"fast)\\?\")", re.DOTALL)
    files = [*root.glob("gysim/**/*.py"), *root.glob("tests/*.py"), *root.glob("notebooks/*.ipynb"),
             *root.glob("models/*.py")]
    offenders = [str(p.relative_to(root)) for p in files if p.name not in ("test_sensitivity.py", "sensitivity.py")
                 and old.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_gysim_sensitivity_is_the_module_and_calls_the_function():
    """Issue 13: `gysim.sensitivity.analyze` was an AttributeError (the function hid the module)."""
    import importlib
    import inspect
    import pickle
    import gysim.sensitivity as module
    assert module is importlib.import_module("gysim.sensitivity")
    assert gysim.sensitivity is module and gysim.sensitivity.analyze is analyze
    assert gysim.sensitivity.sensitivity is sensitivity
    si = gysim.sensitivity(_linear(), ["a", "b"], ["y"], analysis="morris", n=8, progress=False)
    assert si.mu_star.sel(output="y", time=1).round(6).values.tolist() == [1.0, 3.0]
    assert list(inspect.signature(gysim.sensitivity).parameters)[:4] == [
        "model", "params", "outputs", "analysis"]
    assert pickle.loads(pickle.dumps(gysim.sensitivity)) is module
    from gysim import sensitivity as imported
    assert imported is module


@pytest.mark.parametrize("name, member", [("calibrate", "least_squares"),
                                          ("simulate", "METHODS"),
                                          ("fit_report", "fit_statistics")])
def test_the_other_function_modules_are_reachable_too(name, member):
    import importlib
    module = importlib.import_module(f"gysim.{name}")
    assert getattr(gysim, name) is module
    assert getattr(module, name) is not module and callable(getattr(module, name))
    assert hasattr(getattr(gysim, name), member)


def test_calling_a_function_module_calls_its_function(monkeypatch):
    m = _linear()
    assert float(gysim.simulate(m, method="euler", dt=1).y[-1]) == 4.0
    seen = []
    monkeypatch.setattr(gysim.simulate, "simulate", lambda *a, **k: seen.append(a) or "patched")
    assert gysim.simulate(m) == "patched" and seen == [(m,)]
