"""A study store is resumed only by the same study (issue 12).

The fingerprint a store records must change with everything that changes a
number of a run: the model's values to the last bit (parameters, lookups,
data, per-element values), its method, dt, saveper, start and stop, every
simulate option, the samples and the chunk size. Reproductions from the
issue: models differing only in ``Model(method=...)``, in
``Model(saveper=...)`` or in a lookup value after the sixth digit shared a
store, and the second got the first one's results.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gysim
from gysim.batch import NUMERICS_VERSION, _fingerprint, run_batch

SAMPLES = {"k": np.linspace(0.1, 0.5, 6)}


def small_model(*, method="RK45", saveper=1.0, table_y=0.5, data_value=2.0, k=0.3,
                x0=1.0, stop=4.0, dt=None, labels=None) -> gysim.Model:
    m = gysim.Model("m", start=0, stop=stop, method=method, saveper=saveper, dt=dt)
    m.stock("x", x0)
    m.param("k", k, bounds=(0, 1))
    m.lookup("effect", [0.0, 1.0, 2.0], [0.0, table_y, 1.0])
    m.data("push", {0.0: 1.0, 4.0: data_value})
    m.flow("growth", "k * x * effect(time / 2) + 0.01 * push", into="x")
    if labels is not None:
        m.dimension("d", labels)
        m.param("w", {lab: 1.0 for lab in labels}, dims=("d",))
    return m


@pytest.mark.parametrize("first, second", [
    (dict(method="RK45"), dict(method="rk4", dt=0.25)),
    (dict(saveper=1.0), dict(saveper=2.0)),
    (dict(table_y=0.5), dict(table_y=0.5000001)),
    (dict(data_value=2.0), dict(data_value=2.0000001)),
], ids=["method", "saveper", "lookup", "data"])
def test_a_store_of_another_model_is_refused(tmp_path, first, second):
    store = tmp_path / "study.zarr"
    a = run_batch(small_model(**first), SAMPLES, chunk_size=2, store=store, progress=False)
    assert a.sizes["run"] == 6
    with pytest.raises(gysim.DataError, match="holds a different study"):
        run_batch(small_model(**second), SAMPLES, chunk_size=2, store=store, progress=False)
    # the second model's own results differ from the first's: reusing them was wrong
    b = run_batch(small_model(**second), SAMPLES, chunk_size=2, progress=False)
    assert a.sizes["time"] != b.sizes["time"] or not np.array_equal(a.x.values, b.x.values)


def test_the_same_study_resumes(tmp_path):
    store = tmp_path / "study.zarr"
    a = run_batch(small_model(), SAMPLES, chunk_size=2, store=store, progress=False)
    b = run_batch(small_model(), SAMPLES, chunk_size=2, store=store, progress=False)
    assert a.identical(b)


def test_model_hash_distinguishes_method_saveper_and_full_precision_values():
    base = small_model()
    for other in (small_model(method="rk4"), small_model(saveper=0.5),
                  small_model(table_y=0.5000001), small_model(data_value=np.nextafter(2.0, 3))):
        assert other.hash() != base.hash()
    assert small_model().hash() == base.hash()


def test_options_differing_in_the_last_bit_or_in_a_long_array_differ():
    m = small_model()
    cols = {"k": SAMPLES["k"]}
    f = _fingerprint(m, cols, 2, {"rtol": 1e-6})
    assert f != _fingerprint(m, cols, 2, {"rtol": np.nextafter(1e-6, 1)})
    times = np.linspace(0, 4, 2000)
    other = times.copy()
    other[1000] = np.nextafter(other[1000], 5)  # str(array) would print both alike
    assert _fingerprint(m, cols, 2, {"times": times}) != _fingerprint(m, cols, 2, {"times": other})
    assert f != _fingerprint(m, cols, 3, {"rtol": 1e-6})
    assert f == _fingerprint(small_model(), {"k": SAMPLES["k"].copy()}, 2, {"rtol": 1e-6})
    assert isinstance(NUMERICS_VERSION, int)


def _perturbations():
    """(name, change to small_model's keyword arguments) that must change the results."""
    def bump(x):
        return float(np.nextafter(x, np.inf))
    return st.sampled_from([
        ("k", lambda kw: {**kw, "k": bump(kw["k"])}),
        ("x0", lambda kw: {**kw, "x0": bump(kw["x0"])}),
        ("table_y", lambda kw: {**kw, "table_y": bump(kw["table_y"])}),
        ("data_value", lambda kw: {**kw, "data_value": bump(kw["data_value"])}),
        ("stop", lambda kw: {**kw, "stop": kw["stop"] + 1.0}),
        ("saveper", lambda kw: {**kw, "saveper": kw["saveper"] / 2}),
        ("method", lambda kw: {**kw, "method": "euler" if kw["method"] != "euler" else "rk4"}),
        ("dt", lambda kw: {**kw, "dt": (kw["dt"] or 0.5) / 2}),
        ("labels", lambda kw: {**kw, "labels": ["a", "b", "c"]}),
    ])


models = st.fixed_dictionaries({
    "k": st.floats(0.01, 0.9), "x0": st.floats(0.1, 10.0), "table_y": st.floats(0.0, 1.0),
    "data_value": st.floats(-5.0, 5.0), "stop": st.sampled_from([2.0, 4.0, 6.0]),
    "saveper": st.sampled_from([0.5, 1.0, 2.0]),
    "method": st.sampled_from(["RK45", "rk4", "euler", "LSODA"]),
    "dt": st.sampled_from([None, 0.25, 0.125]),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=models, change=_perturbations(), n=st.integers(1, 5),
       rtol=st.sampled_from([None, 1e-6, 1e-9]))
def test_models_that_differ_in_a_number_method_or_save_period_never_share_a_store(
        kw, change, n, rtol):
    name, perturb = change
    options = {} if rtol is None else {"rtol": rtol}
    cols = {"k": np.linspace(0.1, 0.5, n)}
    a, b = small_model(**kw), small_model(**perturb(kw))
    assert a.hash() != b.hash(), name
    assert _fingerprint(a, cols, 1, options) != _fingerprint(b, cols, 1, options), name
    assert _fingerprint(a, cols, 1, options) == _fingerprint(small_model(**kw), cols, 1, options)
