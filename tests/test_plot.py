"""gysim.plot: every function renders to PNG, and draws what the Dataset holds (bands at the
ensemble's quantiles, one bar per parameter with the confidence interval as error bar, the
heatmap's cells equal to the indices, differences equal to scenario minus baseline)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

from matplotlib.container import BarContainer  # noqa: E402

import gysim  # noqa: E402
from gysim import plot  # noqa: E402
from gysim.examples import population_model  # noqa: E402
from gysim.targets import Target  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def save_png(fig, tmp_path, name):
    path = tmp_path / f"{name}.png"
    fig.savefig(path, dpi=60)
    assert path.stat().st_size > 1000
    assert path.read_bytes()[:8] == PNG_MAGIC
    return path


@pytest.fixture(scope="module")
def ensemble():
    """The population model as an ensemble of 41 birth rates."""
    rates = np.linspace(0.008, 0.020, 41)
    return gysim.simulate(population_model(), params={"birth_rate": rates}), rates


def band_edges(collection):
    """(lower, upper) y of a fill_between band at each x of its outline, in x order."""
    verts = collection.get_paths()[0].vertices
    xs = np.unique(verts[:, 0])
    lower = np.array([verts[verts[:, 0] == x, 1].min() for x in xs])
    upper = np.array([verts[verts[:, 0] == x, 1].max() for x in xs])
    return lower, upper


def line(ax, label):
    (found,) = [ln for ln in ax.lines if ln.get_label() == label]
    return found


def bars_of(ax):
    (found,) = [c for c in ax.containers if isinstance(c, BarContainer)]
    return found


# --- trajectories (kept working) ---------------------------------------------------------

def test_trajectories_with_data_and_targets(tmp_path):
    import pandas as pd
    ds = gysim.simulate(population_model())
    data = pd.DataFrame({"population": [331.8, 340.0]}, index=[2000.0, 2002.0])
    targets = [Target("pop_2010", 380, "about", variable="population", years=(2010,), tolerance=0.02),
               Target("births_2010", 4, "at least", variable="births", years=(2010,))]
    fig = plot.trajectories(ds, ["population", "births"], data=data, targets=targets)
    save_png(fig, tmp_path, "trajectories")
    ax_pop, ax_births = fig.axes[:2]
    _, labels = ax_pop.get_legend_handles_labels()
    assert labels == ["model", "data", "target: ≈ 380 in 2010"]
    _, labels = ax_births.get_legend_handles_labels()
    assert labels == ["model", "target: ≥ 4 in 2010"]
    # the "about" target's error bar spans the tolerance: 380 +- 2 %
    segments = ax_pop.containers[0].lines[2][0].get_segments()
    np.testing.assert_allclose(segments[0][:, 1], [380 * 0.98, 380 * 1.02])


# --- fan charts ------------------------------------------------------------------------------

def test_fan_chart_nested_bands_at_ensemble_quantiles(ensemble, tmp_path):
    ens, _ = ensemble
    fig = plot.fan_chart(ens, "population")
    save_png(fig, tmp_path, "fan")
    ax = fig.axes[0]
    assert len(ax.collections) == 2  # 5-95 and 25-75
    assert [line.get_label() for line in ax.lines] == ["median"]
    pop = ens.population.sel(time=2010).values
    for band, (lo_q, hi_q) in zip(ax.collections, [(0.05, 0.95), (0.25, 0.75)]):
        lo, hi = band_edges(band)
        assert lo[-1] == pytest.approx(np.quantile(pop, lo_q), rel=1e-12)
        assert hi[-1] == pytest.approx(np.quantile(pop, hi_q), rel=1e-12)
    # nested: the inner band inside the outer one, darker
    (lo_o, hi_o), (lo_i, hi_i) = band_edges(ax.collections[0]), band_edges(ax.collections[1])
    assert (lo_o <= lo_i + 1e-9).all() and (hi_i <= hi_o + 1e-9).all() and hi_o[-1] > hi_i[-1]
    assert ax.collections[1].get_alpha() > ax.collections[0].get_alpha()
    np.testing.assert_allclose(ax.lines[0].get_ydata()[-1], np.median(pop), rtol=1e-12)


def test_fan_chart_from_envelope_matches_ensemble(ensemble, tmp_path):
    ens, _ = ensemble
    q = (0.1, 0.3, 0.5, 0.7, 0.9)
    fig, ax = plt.subplots()
    out = plot.fan_chart(gysim.envelope(ens, "population", quantiles=q), "population",
                         quantiles=(0.1, 0.5, 0.9), ax=ax)
    assert out is ax
    save_png(fig, tmp_path, "fan_envelope")
    assert len(ax.collections) == 1
    lo, hi = band_edges(ax.collections[0])
    np.testing.assert_allclose(hi, ens.population.quantile(0.9, "run").values, rtol=1e-12)
    np.testing.assert_allclose(lo, ens.population.quantile(0.1, "run").values, rtol=1e-12)
    # four quantiles: two bands and no median line
    ax2 = plot.fan_chart(ens, "population", quantiles=(0.05, 0.25, 0.75, 0.95), ax=ax,
                         label="births")
    assert len(ax2.collections) == 3 and len(ax2.lines) == 1
    assert ax2.get_legend_handles_labels()[1][-2:] == ["births: 5–95 %", "births: 25–75 %"]


def test_fan_chart_errors(ensemble):
    ens, _ = ensemble
    with pytest.raises(gysim.DataError, match="'populaton'.*did you mean 'population'"):
        plot.fan_chart(ens, "populaton")
    with pytest.raises(gysim.DataError, match="`run` dimension"):
        plot.fan_chart(gysim.simulate(population_model()), "population")
    with pytest.raises(gysim.DataError, match="0.25 is not among"):
        plot.fan_chart(gysim.envelope(ens, "population", quantiles=(0.05, 0.5, 0.95)), "population")
    with pytest.raises(gysim.DataError, match="`quantiles`"):
        plot.fan_chart(ens, "population", quantiles=(0.5, 1.5))


# --- scenario comparison ---------------------------------------------------------------------

def test_scenario_comparison_levels_and_differences(tmp_path):
    m = population_model()
    base = gysim.simulate(m)
    high = gysim.simulate(m, params={"birth_rate": 0.02}, stop=2020)  # longer: common times used
    fig = plot.scenario_comparison({"baseline": base, "high": high}, ["population", "births"])
    save_png(fig, tmp_path, "scenarios")
    assert len(fig.axes) == 4
    top, bottom = fig.axes[0], fig.axes[2]  # population: levels, differences
    assert [line.get_label() for line in top.lines] == ["baseline", "high"]
    diff_line = line(bottom, "high - baseline")
    np.testing.assert_allclose(diff_line.get_xdata(), base.time.values)
    expected = high.population.sel(time=base.time).values - base.population.values
    np.testing.assert_allclose(diff_line.get_ydata(), expected, rtol=1e-12)
    # exponential growth at 1.4 % vs 0.7 %/yr over ten years
    assert expected[-1] == pytest.approx(331.8 * (np.exp(0.14) - np.exp(0.07)), rel=1e-3)
    rel = plot.scenario_comparison({"baseline": base, "high": high}, "population", relative=True)
    np.testing.assert_allclose(line(rel.axes[1], "high - baseline").get_ydata(),
                               100 * expected / base.population.values, rtol=1e-12)
    assert rel.axes[1].get_ylabel() == "% of baseline"


def test_scenario_comparison_paired_ensembles_difference_run_by_run(ensemble, tmp_path):
    ens, rates = ensemble
    m = population_model()
    shifted = gysim.simulate(m, params={"birth_rate": rates, "death_rate": 0.007})
    fig = plot.scenario_comparison({"baseline": ens, "deaths up": shifted}, ["population"],
                                   quantiles=(0.1, 0.9))
    save_png(fig, tmp_path, "scenarios_ensemble")
    bottom = fig.axes[1]
    per_run = (shifted.population - ens.population).sel(time=2010).values
    lo, hi = band_edges(bottom.collections[0])
    assert lo[-1] == pytest.approx(np.quantile(per_run, 0.1), rel=1e-9)
    assert hi[-1] == pytest.approx(np.quantile(per_run, 0.9), rel=1e-9)
    assert line(bottom, "deaths up - baseline").get_ydata()[-1] == pytest.approx(np.median(per_run), rel=1e-9)


def test_scenario_comparison_unpaired_ensembles_compare_medians(ensemble):
    ens, _ = ensemble
    other = gysim.simulate(population_model(), params={"birth_rate": np.linspace(0.01, 0.02, 10)})
    fig = plot.scenario_comparison({"baseline": ens, "other": other}, "population")
    diff = line(fig.axes[1], "other - baseline").get_ydata()
    expected = (other.population.median("run") - ens.population.median("run")).values
    np.testing.assert_allclose(diff, expected, rtol=1e-12)
    assert len(fig.axes[1].collections) == 0  # no band: the runs are not paired
    assert expected[-1] > 1  # median birth rate 0.015 vs 0.014


def test_scenario_comparison_errors():
    ds = gysim.simulate(population_model())
    with pytest.raises(gysim.DataError, match="`baseline`: 'baseline' is not a label"):
        plot.scenario_comparison({"a": ds, "b": ds}, ["population"])
    with pytest.raises(gysim.DataError, match="'gdp' is not in the results 'plan'"):
        plot.scenario_comparison({"baseline": ds.assign(gdp=ds.population), "plan": ds}, ["gdp"])
    with pytest.raises(gysim.DataError, match="non-empty mapping"):
        plot.scenario_comparison({}, ["population"])


# --- sensitivity indices ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def growth_study():
    m = gysim.Model("growth", start=0, stop=4, time_units="year")
    m.param("r", 0.1, bounds=(0.0, 0.3))
    m.param("x0", 1.0, bounds=(0.9, 1.1))
    m.param("dummy", 1.0, bounds=(0.0, 1.0))
    m.stock("x", "x0")
    m.flow("growth", "r * x", into="x")
    m.aux("gain", "x - x0")  # 0 in every run at t = 0: indices undefined there
    sobol = gysim.sensitivity(m, ["r", "x0", "dummy"], ["x", "gain"], n=256, seed=3,
                              progress=False)
    morris = gysim.sensitivity(m, ["r", "x0", "dummy"], ["x"], analysis="morris", n=20, seed=3,
                               progress=False)
    return sobol, morris


def test_sensitivity_bars_sobol_values_and_conf(growth_study, tmp_path):
    si, _ = growth_study
    fig = plot.sensitivity_bars(si, "x", time=4)
    save_png(fig, tmp_path, "bars_sobol")
    ax = fig.axes[0]
    bars = bars_of(ax)
    assert len(bars.patches) == 3 == si.sizes["param"]
    st = si.ST.sel(output="x", time=4).values
    conf = si.ST_conf.sel(output="x", time=4).values
    np.testing.assert_allclose([p.get_width() for p in bars.patches], st, rtol=1e-12)
    segments = bars.errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 0] - s[0, 0] for s in segments], 2 * conf, rtol=1e-9)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["r", "x0", "dummy"]
    assert st[0] > 0.5 and abs(st[2]) < 0.05  # growth rate dominates; the dummy does nothing
    assert ax.get_title() == "x at time 4: ST"
    # default time: the last; sort puts the largest first
    fig2 = plot.sensitivity_bars(si, "x", index="S1", sort=True)
    assert [t.get_text() for t in fig2.axes[0].get_yticklabels()][0] == "r"
    assert "time 4" in fig2.axes[0].get_title()


def test_sensitivity_bars_morris_mu_star(growth_study, tmp_path):
    _, mo = growth_study
    fig, ax = plt.subplots()
    assert plot.sensitivity_bars(mo, "x", index="mu_star", ax=ax) is ax
    save_png(fig, tmp_path, "bars_morris")
    widths = [p.get_width() for p in bars_of(ax).patches]
    np.testing.assert_allclose(widths, mo.mu_star.sel(output="x", time=4).values, rtol=1e-12)
    segments = bars_of(ax).errorbar.lines[2][0].get_segments()
    np.testing.assert_allclose([s[1, 0] - s[0, 0] for s in segments],
                               2 * mo.mu_star_conf.sel(output="x", time=4).values, rtol=1e-9)
    assert widths[2] == pytest.approx(0.0, abs=1e-12) and widths[0] > widths[1]
    # an index without a _conf variable: bars without error bars
    ax2 = plot.sensitivity_bars(mo, "x", index="sigma", ax=plt.subplots()[1])
    assert bars_of(ax2).errorbar is None


def test_sensitivity_heatmap_cells_are_the_indices(growth_study, tmp_path):
    si, _ = growth_study
    fig = plot.sensitivity_heatmap(si, "x", index="S1")
    save_png(fig, tmp_path, "heatmap")
    mesh = fig.axes[0].collections[0]
    cells = mesh.get_array()
    assert cells.shape == (3, 5)
    expected = si.S1.sel(output="x").transpose("param", "time").values
    np.testing.assert_allclose(cells, expected, rtol=1e-12)
    assert cells[1, 0] == pytest.approx(1.0, abs=0.05)  # x(0) = x0: all of it
    assert cells[0, 4] > cells[1, 4]  # by t = 4 the growth rate matters more
    assert mesh.get_clim() == (0.0, 1.0)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["r", "x0", "dummy"]
    assert len(fig.axes) == 2  # with its colour bar
    # an output constant over the runs at t = 0: that column is blank (masked)
    gain = plot.sensitivity_heatmap(si, "gain").axes[0].collections[0].get_array()
    assert gain.mask[:, 0].all() and not gain.mask[:, 1:].any()


def test_sensitivity_errors(growth_study):
    si, mo = growth_study
    with pytest.raises(gysim.DataError, match="variable 'mu_star' is not in the indices"):
        plot.sensitivity_bars(si, "x", index="mu_star")
    with pytest.raises(gysim.DataError, match="`output`: 'y' is not an output"):
        plot.sensitivity_bars(si, "y")
    with pytest.raises(gysim.DataError, match="`time`: 7 is not a time"):
        plot.sensitivity_bars(si, "x", time=7)
    with pytest.raises(gysim.DataError, match="no `time` dimension"):
        plot.sensitivity_heatmap(si.sel(time=4), "x")
    with pytest.raises(gysim.DataError, match="no `param` dimension"):
        plot.sensitivity_bars(xr.Dataset({"ST": (("output", "time"), [[0.1]])},
                                         coords={"output": ["x"], "time": [1.0]}), "x")
    with pytest.raises(gysim.DataError, match="NaN at every time"):
        plot.sensitivity_bars(si.sel(time=[0.0]), "gain")
