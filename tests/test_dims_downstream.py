"""Subscripted variables downstream of the engine: batch, sampling, sensitivity,
calibration, targets, plots and the CLI."""

from __future__ import annotations

import textwrap

import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import gysim
from gysim.batch import as_params, default_chunk_size, envelope, run_batch
from gysim.cli import main
from gysim.errors import DataError, ParameterError
from gysim.fit_report import element_names, select_element, split_element
from gysim.sampling import problem, sample
from gysim.sensitivity import analyze, sensitivity
from gysim.targets import Target, check_targets
from tests.helpers import (CAPITAL0, SECTOR_MODEL_SOURCE, SECTOR_RATES, SECTORS, euler_capital,
                           sector_model)

matplotlib.use("Agg")

def additive_model() -> gysim.Model:
    """y[primary] = a, y[secondary] = b, y[tertiary] = a + 2 b (a, b uniform on (0, 1))."""
    m = gysim.Model("additive", start=0, stop=1)
    m.dimension("sector", SECTORS)
    m.param("a", 0.5, bounds=(0, 1))
    m.param("b", 0.5, bounds=(0, 1))
    m.param("wa", {"primary": 1.0, "secondary": 0.0, "tertiary": 1.0}, dims=("sector",))
    m.param("wb", {"primary": 0.0, "secondary": 1.0, "tertiary": 2.0}, dims=("sector",),
            bounds=(0, 4))
    m.aux("y", "wa * a + wb * b", dims=("sector",))
    return m


# ---------------------------------------------------------------- naming elements
def test_split_and_select_elements():
    assert split_element("x[ a , b ]") == ("x", ("a", "b"))
    with pytest.raises(DataError, match="neither a variable name"):
        split_element("x[a")
    ds = gysim.simulate(sector_model(), method="euler", dt=1)
    assert element_names(ds.capital) == [f"capital[{s}]" for s in SECTORS]
    np.testing.assert_allclose(select_element(ds, "capital[tertiary]").values,
                               euler_capital(-0.03, "tertiary", ds.time.values))
    with pytest.raises(DataError, match="'second' is not an element .*did you mean 'secondary'"):
        select_element(ds, "capital[second]")
    with pytest.raises(DataError, match="'total_capital' has no dimensions"):
        select_element(ds, "total_capital[primary]")


def test_two_dims_partial_selection_expands_in_dim_order():
    m = gysim.Model("two", start=0, stop=1)
    m.dimension("sector", ["farm", "mill"])
    m.dimension("district", ["n", "s"])
    m.param("a", 0.5, bounds=(0, 1))
    m.param("b", 0.5, bounds=(0, 1))
    m.param("w", [[1.0, 0.0], [2.0, 3.0]], dims=("sector", "district"))
    m.aux("x", "w * a + b", dims=("sector", "district"))
    ds = gysim.simulate(m)
    assert float(select_element(ds, "x[s,mill]").isel(time=0)) == 2.0  # 3 * 0.5 + 0.5
    si = sensitivity(m, ["a", "b"], ["x[s]"], analysis="morris", n=10, seed=1, progress=False,
                     method="euler", dt=1)
    assert list(si.output.values) == ["x[farm,s]", "x[mill,s]"]
    np.testing.assert_allclose(si.mu_star.sel(time=1).values, [[0.0, 3.0], [1.0, 1.0]])


# ---------------------------------------------------------------- batch and sampling
def test_run_batch_zarr_store_equals_in_memory_and_the_analytic_runs(tmp_path):
    m = sector_model()
    samples = {"growth_rate[secondary]": np.linspace(0.0, 0.1, 7),
               "growth_rate[primary]": np.linspace(0.1, 0.0, 7)}
    mem = run_batch(m, samples, chunk_size=3, progress=False, method="euler", dt=1)
    path = tmp_path / "study.zarr"
    stored = run_batch(m, samples, chunk_size=3, progress=False, method="euler", dt=1,
                       store=path)
    assert stored.capital.dims == mem.capital.dims == ("time", "sector", "run")
    assert stored.growth_rate.dims == ("sector", "run")
    xr.testing.assert_equal(mem, stored.load())
    assert list(stored.sector.values) == SECTORS
    t = mem.time.values
    for i in range(7):
        for label in SECTORS:
            rate = samples[f"growth_rate[{label}]"][i] if label != "tertiary" else -0.03
            np.testing.assert_allclose(mem.capital.sel(sector=label, run=i).values,
                                       euler_capital(rate, label, t), rtol=1e-12)
    # resuming a finished study reads the store back unchanged
    again = run_batch(m, samples, chunk_size=3, progress=False, method="euler", dt=1, store=path)
    xr.testing.assert_identical(again.load(), stored.load())
    q = envelope(stored, "capital", quantiles=(0.0, 1.0))
    assert q.capital.dims == ("quantile", "time", "sector")
    assert float(q.capital.sel(quantile=1.0, time=5, sector="secondary")) == \
        pytest.approx(380 * 1.1 ** 5)


def test_run_batch_whole_subscripted_param_broadcasts(tmp_path):
    m = sector_model()
    ens = run_batch(m, {"growth_rate": [0.0, 0.1]}, progress=False, method="euler", dt=1,
                    store=tmp_path / "s.zarr").load()
    for label in SECTORS:
        np.testing.assert_allclose(ens.capital.sel(sector=label, run=1, time=5),
                                   CAPITAL0[label] * 1.1 ** 5)


def test_default_chunk_size_counts_elements():
    m = sector_model()
    # capital, investment (3 each) and total_capital: 7 values per time, 6 times
    assert default_chunk_size(m, 10**9) == 4_000_000 // (7 * 6)


@pytest.mark.parametrize("samples, fragment", [
    ({"growth_rate[fourth]": [0.1]}, "'fourth' is not an element"),
    ({"capital[primary]": [1.0]}, "names one element of stock 'capital'"),
    ({"growth_rate[primary]": [0.5]}, "outside the bounds"),
    ({"growth_rate": [0.1], "growth_rate[primary]": [0.1]}, "both as a whole and by element"),
])
def test_run_batch_rejects_bad_element_columns(samples, fragment):
    with pytest.raises(ParameterError, match=fragment):
        run_batch(sector_model(), samples, progress=False)


def test_sample_per_element_within_the_parameter_bounds():
    m = sector_model()
    s = sample(m, ["growth_rate[primary]", "growth_rate[tertiary]"], "latin", n=50, seed=3)
    assert list(s.columns) == ["growth_rate[primary]", "growth_rate[tertiary]"]
    assert s.min().min() >= -0.1 and s.max().max() <= 0.2
    assert problem(m, ["growth_rate[primary]"])["bounds"] == [[-0.1, 0.2]]
    with pytest.raises(ParameterError, match="'growth_rate\\[quaternary\\]'.*not an element"):
        sample(m, ["growth_rate[quaternary]"], "latin", n=4)
    with pytest.raises(ParameterError, match="'capital\\[primary\\]' is a stock"):
        sample(m, ["capital[primary]"], "latin", n=4)


def test_as_params_fills_the_other_elements():
    m = sector_model()
    params = as_params(m, {"growth_rate[secondary]": [0.0, 0.1]})
    np.testing.assert_array_equal(params["growth_rate"], [[0.02, 0.0, -0.03], [0.02, 0.1, -0.03]])
    assert as_params(m, {"growth_rate[tertiary]": 0.0})["growth_rate"] == \
        {"primary": 0.02, "secondary": 0.05, "tertiary": 0.0}


# ---------------------------------------------------------------- sensitivity
def test_sensitivity_whole_subscripted_output_gives_one_output_per_element():
    si = sensitivity(additive_model(), ["a", "b"], ["y"], n=1024, seed=2, progress=False,
                     method="euler", dt=1)
    assert si.S1.dims == ("param", "output", "time")
    assert list(si.output.values) == ["y[primary]", "y[secondary]", "y[tertiary]"]
    s1 = si.S1.sel(time=1)
    # additive: Var(a + 2b) = (1 + 4) / 12, so S1 = 1/5 and 4/5
    expected = {"y[primary]": [1.0, 0.0], "y[secondary]": [0.0, 1.0],
                "y[tertiary]": [0.2, 0.8]}
    for out, values in expected.items():
        np.testing.assert_allclose(s1.sel(output=out).values, values, atol=0.03)
        np.testing.assert_allclose(si.ST.sel(output=out, time=1).values, values, atol=0.03)


def test_sensitivity_per_element_output_and_per_element_params_morris():
    m = additive_model()
    si = sensitivity(m, ["a", "b"], ["y[tertiary]"], analysis="morris", n=20, seed=1,
                     progress=False, method="euler", dt=1)
    assert list(si.output.values) == ["y[tertiary]"]
    # elementary effects of a linear function are its coefficients
    np.testing.assert_allclose(si.mu_star.sel(output="y[tertiary]", time=1).values, [1.0, 2.0])
    # one element of a subscripted parameter sampled by name
    si = sensitivity(m, ["wb[tertiary]", "a"], ["y"], analysis="morris", n=20, seed=1,
                     progress=False, method="euler", dt=1)
    assert list(si.param.values) == ["wb[tertiary]", "a"]
    # Morris effects are per unit of the scaled range: d y[tertiary] / d wb[tertiary] = b = 0.5
    # over a range of 4, d y / d a = wa = 1 over a range of 1; y[secondary] ignores both
    np.testing.assert_allclose(si.mu_star.sel(output="y[tertiary]", time=1).values, [2.0, 1.0])
    assert np.isnan(si.mu_star.sel(output="y[secondary]", time=1).values).all()


def test_analyze_names_a_bad_element():
    m = additive_model()
    s = sample(m, ["a", "b"], "morris", n=4, seed=1)
    ens = run_batch(m, s, progress=False)
    with pytest.raises(DataError, match="'y\\[fourth\\]'"):
        analyze(s, ens, ["y[fourth]"])


# ---------------------------------------------------------------- calibration
def truth_run(rate: float = 0.08) -> xr.Dataset:
    truth = sector_model().with_params(growth_rate=dict(SECTOR_RATES, secondary=rate))
    return gysim.simulate(truth, method="euler", dt=1)


def test_calibrate_recovers_one_element_from_element_data(tmp_path):
    ds = truth_run()
    data = pd.DataFrame({"capital[secondary]": ds.capital.sel(sector="secondary").values},
                        index=ds.time.values)
    result = gysim.calibrate(sector_model(), data, ["growth_rate[secondary]"], n_starts=2,
                             method="euler", dt=1)
    assert result.params["growth_rate[secondary]"] == pytest.approx(0.08, rel=1e-8)
    assert list(result.report.index) == ["capital[secondary]"]
    assert result.model.params["growth_rate"].value == pytest.approx((0.02, 0.08, -0.03))
    path = tmp_path / "fit.json"
    result.to_json(path)
    values = gysim.load_calibration(path)
    refit = sector_model().with_params(as_params(sector_model(), values))
    assert refit.params["growth_rate"].value == pytest.approx((0.02, 0.08, -0.03))


def test_calibrate_from_a_dataset_over_sectors_with_units():
    ds = truth_run(0.07)
    data = ds[["capital"]].copy()
    data["capital"] = data.capital * 1e4  # in 1e4 yuan
    data.capital.attrs["units"] = "1e4 yuan"
    result = gysim.calibrate(sector_model(), data,
                             ["growth_rate[secondary]", "growth_rate[primary]"],
                             n_starts=1, method="euler", dt=1)
    assert list(result.observed.columns) == [f"capital[{s}]" for s in SECTORS]
    assert result.params["growth_rate[secondary]"] == pytest.approx(0.07, rel=1e-7)
    assert result.params["growth_rate[primary]"] == pytest.approx(0.02, rel=1e-7)
    frame = pd.DataFrame({"capital[secondary]": ds.capital.sel(sector="secondary").values * 1e4},
                         index=ds.time.values)
    again = gysim.calibrate(sector_model(), frame, ["growth_rate[secondary]"], n_starts=1,
                            method="euler", dt=1, data_units={"capital[secondary]": "1e4 yuan"})
    assert again.params["growth_rate[secondary]"] == pytest.approx(0.07, rel=1e-7)


def test_calibrate_errors_name_the_subscripted_item():
    ds = truth_run()
    whole = pd.DataFrame({"capital": ds.capital.sel(sector="secondary").values},
                         index=ds.time.values)
    with pytest.raises(DataError, match="'capital' is a variable over dimension.*"
                                        "'capital\\[primary\\]'"):
        gysim.calibrate(sector_model(), whole, ["growth_rate[secondary]"], n_starts=1)
    bad = whole.rename(columns={"capital": "capital[second]"})
    with pytest.raises(DataError, match="'second' is not an element"):
        gysim.calibrate(sector_model(), bad, ["growth_rate[secondary]"], n_starts=1)
    good = whole.rename(columns={"capital": "capital[secondary]"})
    with pytest.raises(ParameterError, match="parameter 'growth_rate' is over dimension"):
        gysim.calibrate(sector_model(), good, ["growth_rate"], n_starts=1)
    with pytest.raises(ParameterError, match="stock 'capital' is over dimension"):
        gysim.calibrate(sector_model(), good, ["capital"], n_starts=1)


# ---------------------------------------------------------------- targets
def test_targets_on_an_element():
    ds = truth_run()
    targets = [Target("va2", 380 * 1.08 ** 5, "about", variable="capital[secondary]",
                      years=(5,)),
               Target("growth", 8.0, "at_least", variable="capital[secondary]",
                      form="growth", years=(0, 5)),
               Target("shrink", -3.0, "at_most", variable="capital[tertiary]",
                      form="growth", years=(0, 5))]
    table = check_targets(ds, targets)
    assert table.model_value.tolist() == pytest.approx([380 * 1.08 ** 5, 8.0, -3.0])
    assert table.met.all()
    ens = run_batch(sector_model(), {"growth_rate[secondary]": [0.0, 0.08, 0.1]},
                    progress=False, method="euler", dt=1)
    table = check_targets(ens, targets[1:2])
    assert table.loc["growth", "share_met"] == pytest.approx(2 / 3)
    with pytest.raises(DataError, match="target 'whole': `variable`: 'capital' is over "
                                        "dimension"):
        check_targets(ds, [Target("whole", 1, "at_least", variable="capital", years=(5,))])


# ---------------------------------------------------------------- plots
def test_trajectories_draw_one_line_per_element_to_png(tmp_path):
    from gysim.plot import fan_chart, scenario_comparison, trajectories
    ds = truth_run()
    data = pd.DataFrame({"capital[secondary]": [380.0, 500.0]}, index=[0.0, 4.0])
    fig = trajectories(ds, ["capital", "capital[tertiary]", "total_capital"], data=data,
                       targets=[Target("t", 550, "at_least", variable="capital[secondary]",
                                       years=(5,))])
    ax = fig.axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels[:3] == SECTORS
    # the panel is capital's: its elements are named by label (issue 13's report-ready legends)
    assert "data: secondary" in labels
    assert any(lab.startswith("secondary: target") and "550" in lab for lab in labels)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), euler_capital(0.08, "secondary",
                                                                      ds.time.values))
    assert len(fig.axes[1].lines) == 1
    np.testing.assert_allclose(fig.axes[1].lines[0].get_ydata(),
                               euler_capital(-0.03, "tertiary", ds.time.values))
    path = tmp_path / "capital.png"
    fig.savefig(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ens = run_batch(sector_model(), {"growth_rate[secondary]": np.linspace(0, 0.1, 11)},
                    progress=False, method="euler", dt=1)
    fig = trajectories({"ens": ens}, ["capital"])
    labels = fig.axes[0].get_legend_handles_labels()[1]
    # a median line and its 5-95 % band per element (complete legends, issue 13)
    assert [lab for lab in labels if "%" not in lab] == [f"ens: {s}" for s in SECTORS]
    assert [lab for lab in labels if "%" in lab] == [f"ens: {s}: 5–95 % of runs" for s in SECTORS]
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata()[-1], 380 * 1.05 ** 5)
    fig = fan_chart(ens, "capital[secondary]")
    assert fig.axes[0].get_title() == "capital [secondary]"
    with pytest.raises(DataError, match="'capital' is over dimension"):
        fan_chart(ens, "capital")
    fig = scenario_comparison({"baseline": truth_run(0.05), "fast": ds}, "capital[secondary]")
    diff = fig.axes[1].lines[0].get_ydata()
    np.testing.assert_allclose(diff, euler_capital(0.08, "secondary", ds.time.values)
                               - euler_capital(0.05, "secondary", ds.time.values))
    with pytest.raises(DataError, match="'capital' is over dimension"):
        scenario_comparison({"baseline": truth_run(0.05), "fast": ds}, "capital")


# ---------------------------------------------------------------- CLI
@pytest.fixture()
def model_file(tmp_path):
    path = tmp_path / "sectors.py"
    path.write_text(textwrap.dedent(SECTOR_MODEL_SOURCE), encoding="utf-8")
    return str(path)


def rows(out: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in out.splitlines()[3:] if line.strip()}


def test_cli_run_summary_has_a_row_per_element(model_file, capsys):
    assert main(["run", model_file, "--method", "euler", "--dt", "1"]) == 0
    table = rows(capsys.readouterr().out)
    assert list(table) == [f"capital[{s}]" for s in SECTORS] + ["total_capital"]
    assert float(table["capital[tertiary]"][1]) == pytest.approx(300 * 0.97 ** 5, rel=1e-5)
    assert main(["run", model_file, "--method", "euler", "--dt", "1", "--set",
                 "growth_rate[secondary]=0.1", "--vars", "capital[secondary],total_capital"]) == 0
    table = rows(capsys.readouterr().out)
    assert list(table) == ["capital[secondary]", "total_capital"]
    assert float(table["capital[secondary]"][1]) == pytest.approx(380 * 1.1 ** 5, rel=1e-5)
    assert main(["run", model_file, "--vars", "capital[second]"]) == 2
    assert "'second' is not an element" in capsys.readouterr().err


def test_cli_saves_plots_and_studies_subscripted_variables(model_file, tmp_path, capsys):
    nc, png = tmp_path / "run.nc", tmp_path / "run.png"
    assert main(["run", model_file, "--vars", "capital[primary]", "-o", str(nc)]) == 0
    with xr.open_dataset(nc) as saved:
        assert saved.capital.dims == ("time", "sector")
    capsys.readouterr()
    assert main(["plot", str(nc), "-o", str(png), "--vars", "capital"]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["sensitivity", model_file, "--params",
                 "growth_rate[primary],growth_rate[secondary]", "--outputs", "capital",
                 "--analysis", "morris", "-n", "10", "--no-progress", "--method", "euler",
                 "--dt", "1"]) == 0
    out = capsys.readouterr().out
    for label in SECTORS:
        assert f"\ncapital[{label}]\n" in out
