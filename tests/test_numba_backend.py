"""The numba backend: known answers, the numpy backend's numbers, fallbacks, errors, cache."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import gysim
from gysim.engine import numba_backend
from gysim.errors import ModelDefinitionError

pytest.importorskip("numba")


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    folder = tmp_path_factory.mktemp("numba-cache")
    mp.setenv("GYSIM_CACHE_DIR", str(folder))
    yield folder
    mp.undo()


@contextlib.contextmanager
def numba_threads(k):
    """numba on `k` threads (as many as it has, if fewer) inside the block."""
    import numba
    old = numba.get_num_threads()
    numba.set_num_threads(min(k, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(old)


def decay(k=0.5):
    m = gysim.Model("decay", start=0, stop=4)
    m.stock("x", 1.0)
    m.param("k", k, bounds=(0, 2))
    m.flow("loss", "k * x", out_of="x")
    return m


def rich():
    """Dimensions, selections, aggregations, lookups and the time builtins."""
    m = gysim.Model("rich", start=0, stop=6)
    m.dimension("sector", ["a", "b", "c"])
    m.dimension("zone", ["n", "s"])
    m.param("g", 0.05, bounds=(0, 1))
    m.param("w", (1.0, 2.0, 3.0), dims="sector")
    m.lookup("effect", [0, 1, 10], [1.0, 0.5, 0.1])
    m.stock("cap", 1.0, dims=("sector", "zone"))
    m.flow("inv", "g * cap * w * effect(sum(cap, sector) / 10) + step(0.1, 2) * cap[a, n]",
           into="cap", dims=("sector", "zone"))
    m.flow("dep", "xidz(cap, w + ramp(1, 1, 3), 0) * 0.1 + max(cap, sector) * pulse(3, 1) * 0.01",
           out_of="cap", dims=("sector", "zone"))
    m.aux("share", "if_then_else(cap > mean(cap, sector), 1, 0) + min(cap[b], zone) ** 0.5",
          dims=("sector", "zone"))
    m.aux("total", "sum(sum(cap, sector), zone) + sqrt(abs(g - 0.1)) + modulo(time, 2)")
    return m


def assert_same(a, b):
    for name in a.data_vars:
        np.testing.assert_allclose(b[name].values, a[name].values, rtol=1e-12, atol=1e-300,
                                   err_msg=name)


def test_euler_and_rk4_give_their_known_answers():
    """x' = -k x: Euler multiplies by 1 - hk per step, RK4 by the 4th-order Taylor factor."""
    h, k = 0.25, 0.5
    euler = gysim.simulate(decay(k), method="euler", dt=h, backend="numba")
    rk4 = gysim.simulate(decay(k), method="rk4", dt=h, backend="numba")
    assert euler.attrs["backend"] == rk4.attrs["backend"] == "numba"
    steps = np.arange(5) / h
    z = h * k
    np.testing.assert_allclose(euler.x.values, (1 - z) ** steps, rtol=1e-14)
    factor = 1 - z + z ** 2 / 2 - z ** 3 / 6 + z ** 4 / 24
    np.testing.assert_allclose(rk4.x.values, factor ** steps, rtol=1e-14)
    np.testing.assert_allclose(rk4.loss.values, k * rk4.x.values, rtol=1e-15)


@pytest.mark.parametrize("method", ["euler", "rk4", "RK45"])
def test_same_numbers_as_numpy_over_dims_and_builtins(method):
    m = rich()
    params = {"g": np.linspace(0.0, 0.2, 5)}
    opts = dict(method=method, dt=0.125 if method != "RK45" else None, params=params)
    a = gysim.simulate(m, backend="numpy", **opts)
    b = gysim.simulate(m, backend="numba", **opts)
    assert (a.attrs["backend"], b.attrs["backend"]) == ("numpy", "numba")
    assert_same(a, b)


def test_runs_split_between_threads_keep_their_numbers():
    m = decay()
    ks = np.linspace(0.1, 1.9, 9)
    with numba_threads(2):
        ds = gysim.simulate(m, method="euler", dt=0.5, params={"k": ks}, backend="numba")
    np.testing.assert_allclose(ds.x.sel(time=4).values, (1 - 0.5 * ks) ** 8, rtol=1e-14)


@pytest.mark.parametrize("chunk_size", [None, 2])
def test_saved_values_written_in_place_or_copied_by_chunk_are_the_same(chunk_size):
    """One chunk: the compiled loop writes into the results' own block; several chunks:
    each goes through the kernel's buffer. Both give the numpy numbers, for every variable
    and for a selection of them (stocks and outputs mixed, over dimensions)."""
    m = rich()
    params = {"g": np.linspace(0.0, 0.2, 5)}
    for variables in (None, ["share", "cap", "total"]):
        opts = dict(method="euler", dt=0.125, params=params, chunk_size=chunk_size,
                    variables=variables)
        a = gysim.simulate(m, backend="numpy", **opts)
        b = gysim.simulate(m, backend="numba", **opts)
        assert set(a.data_vars) == set(b.data_vars)
        assert_same(a, b)
        assert b.cap.dims == ("time", "sector", "zone", "run")


def test_a_failing_run_is_masked_as_with_numpy():
    m = gysim.Model("blowup", start=0, stop=3)
    m.stock("x", 1.0)
    m.param("c", 1.0, bounds=(-5, 5))
    m.flow("f", "1 / c + 0 * x", into="x")
    params = {"c": np.array([1.0, 0.0, 2.0])}
    a = gysim.simulate(m, method="euler", dt=1, params=params, on_error="mask", backend="numpy")
    b = gysim.simulate(m, method="euler", dt=1, params=params, on_error="mask", backend="numba")
    assert a.attrs["failed_runs"] == b.attrs["failed_runs"]
    np.testing.assert_array_equal(a.x.values, b.x.values)


@pytest.mark.parametrize("method", ["euler", "rk4"])
@pytest.mark.parametrize("bad, threads", [("1 / c", 1), ("1 / c", 2), ("log(c) * 0", 2),
                                          ("sqrt(c - 1)", 2)])
def test_a_non_finite_saved_value_raises_as_with_numpy(method, bad, threads):
    """The kernel flags each run whose saved values are not all finite (an infinity, a
    NaN; in a stock or only in an output); the error names the same time, variable and
    run as the numpy backend's."""
    m = gysim.Model("blowup", start=0, stop=3)
    m.stock("x", 1.0)
    m.param("c", 1.0, bounds=(-5, 5))
    m.flow("f", f"{bad} + 0 * x", into="x")
    m.aux("g", f"{bad}")
    c = np.ones(11)
    c[7] = 0.0
    opts = dict(method=method, dt=0.5, params={"c": c})
    with pytest.raises(gysim.SimulationError) as want:
        gysim.simulate(m, backend="numpy", **opts)
    with numba_threads(threads):
        with pytest.raises(gysim.SimulationError) as got:
            gysim.simulate(m, backend="numba", **opts)
        ok = gysim.simulate(m, backend="numba", **dict(opts, params={"c": np.ones(11)}))
    assert str(got.value) == str(want.value)
    assert "run: 7" in str(got.value)
    assert np.isfinite(ok.g.values).all()


def test_a_forked_child_runs_threads_of_its_own():
    """The kernel keeps a pool of threads between calls; a child made by fork has none of
    its threads, and must not wait for them."""
    import multiprocessing
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    m = decay()
    ks = np.linspace(0.1, 1.9, 9)
    with numba_threads(2):
        want = gysim.simulate(m, method="euler", dt=0.5, params={"k": ks}, backend="numba")
        with multiprocessing.get_context("fork").Pool(1) as pool:
            got = pool.apply_async(_threaded_run, (ks,)).get(timeout=60)
    np.testing.assert_array_equal(got, want.x.values)


def _threaded_run(ks):
    import numba
    numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
    return gysim.simulate(decay(), method="euler", dt=0.5, params={"k": ks},
                          backend="numba").x.values


def test_fixed_delays_give_the_numpy_numbers():
    """A delay per run (its own delay time) and one shared, with Euler and RK4."""
    m = gysim.Model("fixed", start=0, stop=5)
    m.stock("x", 1.0)
    m.param("T", 1.0, bounds=(0, 100))
    m.flow("f", "delay_fixed(x * 0.5, T, 0.25) + delay_fixed(time, 2, 7)", into="x")
    params = {"T": np.array([0.5, 1.0, 2.5, 9.0])}  # 9: longer than the run
    for method in ("euler", "rk4"):
        a = gysim.simulate(m, method=method, dt=0.5, params=params, backend="numpy")
        b = gysim.simulate(m, method=method, dt=0.5, params=params, backend="numba")
        assert_same(a, b)
    # by hand, T = 1, Euler with dt 0.5: f(0) = 0.25 + 7, x(0.5) = 1 + 0.5 * 7.25
    assert b.x.sel(time=0).values[1] == 1.0


def test_auto_falls_back_to_numpy_and_says_why(monkeypatch):
    def refuse(program, dims):
        raise numba_backend.Unsupported("the function frobnicate()")
    monkeypatch.setattr(numba_backend, "generate_source", refuse)
    m = decay(0.6)
    monkeypatch.setattr(numba_backend, "NUMPY_OVERHEAD", 1.0)  # every run worth compiling
    ds = gysim.simulate(m, method="euler", dt=0.5, backend="auto")
    assert ds.attrs["backend"] == "numpy"
    assert ds.attrs["backend_reason"] == "the numba backend cannot compile the function frobnicate()"
    with pytest.raises(ModelDefinitionError, match="backend='numba': the numba backend cannot "
                                                   "compile the function frobnicate"):
        gysim.simulate(m, method="euler", dt=1, backend="numba")


def test_auto_keeps_numpy_for_a_small_run():
    ds = gysim.simulate(decay(0.3), method="euler", dt=1)
    assert ds.attrs["backend"] == "numpy"
    assert ds.attrs["backend_reason"].startswith("small run")


def test_auto_does_not_write_a_small_runs_source_to_look_in_the_cache(monkeypatch):
    """Whether the disk cache holds a kernel is known from the hash of its source, which
    takes seconds to write for a model of 10^5 elements: a run that neither loading nor
    compiling would repay is numpy without it."""
    def no(*args):
        raise AssertionError("is_cached was called")
    monkeypatch.setattr(numba_backend, "is_cached", no)
    compiled = decay(0.3).compile()  # 2 equations: 0.1 s to compile, 0.5 s to load
    kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=1)
    assert kernel is None
    assert reason == "small run (numba would save about 0.00012 s and take at least 0.1 s " \
                     "to load from its cache or compile)"
    # a run that loading from the cache would repay looks there
    monkeypatch.setattr(numba_backend, "NUMPY_OVERHEAD", 1.0)
    with pytest.raises(AssertionError, match="is_cached was called"):
        numba_backend.choose(compiled, "auto", evaluations=40, runs=1)


def test_auto_takes_numba_for_a_wide_ensemble_by_its_share_of_the_arithmetic(monkeypatch):
    """numba saves all but NUMBA_SHARE of numpy's arithmetic on one thread, and the other
    threads' part of it on more: 2 equations x 40 steps x runs x 1e-3 s x (1 - 0.85 / threads)."""
    compiled = decay(0.3).compile()
    monkeypatch.setattr(numba_backend, "NUMPY_OVERHEAD", 0.0)
    monkeypatch.setattr(numba_backend, "COMPILE_PER_EQUATION", 1.0)  # 2 s if not cached
    monkeypatch.setattr(numba_backend, "LOAD_SECONDS", 1.0)
    monkeypatch.setattr(numba_backend, "NUMPY_PER_VALUE", 1e-3)
    monkeypatch.setattr(numba_backend, "NUMBA_SHARE", 0.85)
    with numba_threads(2):
        if numba_backend._threads() < 2:
            pytest.skip("numba has one thread here")
        # saving 2 * 40 * 10 * 1e-3 * (1 - 0.425) = 0.46 s: less than twice even the cheaper cost
        kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=10)
        assert kernel is None and reason.startswith("small run (numba would save about 0.46 s")
        # saving 2 * 40 * 2000 * 1e-3 * 0.575 = 92 s: numba
        kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=2000)
        assert kernel is not None and reason == ""
        # an adaptive method calls the kernel on one thread, numpy's arithmetic alike
        kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=999,
                                              fixed=False)
        assert kernel is None and reason.startswith("small run (numba would save about 0 s")
    with numba_threads(1):
        # one thread: 2 * 40 * runs * 1e-3 * 0.15: 1.2 s for 100 runs (numpy, as 2 s to
        # compile or 1 s to load is not repaid twice), 12 s for 1000 runs (numba)
        compiled = decay(0.4).compile()
        kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=100)
        assert kernel is None and reason.startswith("small run (numba would save about 1.2 s")
        kernel, reason = numba_backend.choose(compiled, "auto", evaluations=40, runs=1000)
        assert kernel is not None and reason == ""


def test_without_numba(monkeypatch):
    monkeypatch.setattr(numba_backend, "numba_available", lambda: False)
    m = decay(0.7)
    assert m.compile().kernel() == (None, "numba is not installed (pip install 'gysim[compiled]')")
    assert gysim.simulate(m, method="euler", dt=1).attrs["backend"] == "numpy"
    with pytest.raises(ModelDefinitionError, match="numba is not installed"):
        gysim.simulate(m, method="euler", dt=1, backend="numba")


def test_bad_backend_is_refused():
    with pytest.raises(ModelDefinitionError, match="`backend` must be one of 'auto', 'numba', "
                                                   "'numpy', got 'fortran'"):
        gysim.simulate(decay(), backend="fortran")


def test_kernel_is_cached_on_disk_by_its_source(cache):
    m = decay(0.9)
    kernel, reason = m.compile().kernel()
    assert reason == "" and kernel.path.parent == cache
    assert kernel.compile_seconds > 0 and m.compile().compile_seconds == kernel.compile_seconds
    assert list((cache / "__pycache__").glob(f"{kernel.path.stem}.*.nbi"))
    # an equal model (another Model object) finds the same file and numba's cache
    again = decay(0.9).compile().kernel()[0]
    assert again.path == kernel.path and again.cached
    assert numba_backend.is_cached(m.compile().program, m.compile()._dims)
    # parameter values are arguments, not code: another value, the same kernel
    assert decay(0.8).compile().kernel()[0].path == kernel.path
    other = decay(0.9)
    other.aux("y", "2 * x")
    assert other.compile().kernel()[0].path != kernel.path


def test_a_model_run_with_numba_still_travels_to_dask_workers():
    """cloudpickle (Dask's) copies a compiled model; the copy makes its own kernel."""
    cloudpickle = pytest.importorskip("cloudpickle")
    m = decay(0.5)
    gysim.simulate(m, method="euler", dt=0.5, backend="numba")
    copy = cloudpickle.loads(cloudpickle.dumps(m))
    ds = gysim.simulate(copy, method="euler", dt=0.5, backend="numba")
    np.testing.assert_allclose(ds.x.values, 0.75 ** np.arange(0, 9, 2), rtol=1e-14)


@pytest.mark.parametrize("xp, fp", [
    ([0.0, 1.0, 2.0, 3.0, 4.0, 6.0], [1.0, 0.98, 0.93, 0.85, 0.75, 0.6]),
    ([0.0, 1.0, 1.0, 2.0, 2.0, 2.0, 5.0], [3.0, -1.0, 4.0, 1.0, 5.0, 9.0, 2.0]),  # repeated x
    ([3.0], [7.0]),
    ([0.0, 1.0], [np.inf, np.inf]),  # inf - inf: numpy's NaN fallback and equal ends
    ([0.0, 1.0, 2.0], [1e308, -1e308, 1e308]),
    (list(np.arange(40.0) ** 1.5), list(np.sin(np.arange(40.0)))),  # long: bisection
])
def test_scalar_interp_is_numpys_to_the_bit(xp, fp):
    from gysim.engine.numba_runtime import RUNTIME
    xp, fp = np.asarray(xp), np.asarray(fp)
    xs = np.r_[xp, np.nextafter(xp, np.inf), np.nextafter(xp, -np.inf),
               np.linspace(xp[0] - 2, xp[-1] + 2, 301), np.nan, np.inf, -np.inf]
    got = np.array([RUNTIME["_interp"](x, xp, fp) for x in xs])
    want = np.interp(xs, xp, fp)
    np.testing.assert_array_equal(got, want)


def test_scalar_interp_known_values():
    from gysim.engine.numba_runtime import RUNTIME
    xp, fp = np.array([0.0, 2.0, 4.0]), np.array([0.0, 10.0, 0.0])
    # between points, on a point, outside on both sides (the end values)
    assert [RUNTIME["_interp"](x, xp, fp) for x in (1.0, 2.0, 3.5, -1.0, 9.0)] == \
        [5.0, 10.0, 2.5, 0.0, 0.0]


def test_a_delay_of_a_value_only_outputs_need_and_saved_steps_only():
    """The delay's input (``a``) is computed on every step though only outputs read it."""
    m = gysim.Model("delayed_output", start=0, stop=4)
    m.stock("x", 1.0)
    m.aux("a", "2 * x + time")
    m.aux("b", "a * a")
    m.flow("f", "delay_fixed(a, 1, 0) * 0.1", into="x")
    for saveper in (2.0, 0.5):
        a = gysim.simulate(m, method="euler", dt=0.5, saveper=saveper, backend="numpy")
        b = gysim.simulate(m, method="euler", dt=0.5, saveper=saveper, backend="numba")
        assert_same(a, b)
    # by hand: f = 0 until t = 1 (two steps of 0.5), then 0.1 * a(t - 1)
    assert b.x.sel(time=1.0).item() == 1.0
    assert b.x.sel(time=1.5).item() == pytest.approx(1.0 + 0.05 * 2.0)
    assert b.x.sel(time=2.0).item() == pytest.approx(1.0 + 0.05 * 2.0 + 0.05 * (2.0 + 0.5))


def test_simulations_in_threads_do_not_share_a_saved_values_buffer():
    # the kernel keeps its buffer of saved values between calls: two simulations of the
    # same model running at once (threads of a Dask worker, of a notebook) must each
    # get their own, so each gives what it gives alone
    from concurrent.futures import ThreadPoolExecutor
    m = decay()
    ks = [np.linspace(0.1, 0.5, 4000), np.linspace(0.6, 0.9, 4000)]
    alone = [gysim.simulate(m, params={"k": k}, backend="numba", method="euler", dt=0.01)["x"]
             for k in ks]
    with ThreadPoolExecutor(2) as pool:
        for _ in range(5):
            runs = [pool.submit(gysim.simulate, m, params={"k": k}, backend="numba",
                                method="euler", dt=0.01) for k in ks]
            for job, want in zip(runs, alone):
                np.testing.assert_array_equal(job.result()["x"].values, want.values)
