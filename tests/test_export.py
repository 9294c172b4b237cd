"""Writing models as Vensim/XMILE files (gysim.io.vensim_writer, xmile_writer) and reading back.

Each model is written with ``write_vensim`` and read back by gysim's own
reader and by PySD; both runs must give the trajectories of the original,
run with Euler at the same step. Names are mapped back through the reader's
``source.names`` (gysim identifier -> original name).
"""

from __future__ import annotations

import importlib.util
import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.examples import population_model
from gysim.io import stack_subscripts
from gysim.io.names import reference_key
from gysim.io.vensim_writer import DEFAULT_DT, vensim_text, write_vensim
from gysim.io.xmile_writer import write_xmile, xmile_text

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    pysd = pytest.importorskip("pysd")

GUIYANG_REPORTED = [
    "gdp", "gdp_real", "gdp_real_growth", "va_primary", "va_secondary", "va_tertiary",
    "gdp_per_capita", "population", "urbanization_rate", "natural_growth_rate",
    "rural_labor_transferred", "fixed_asset_investment", "energy_intensity", "energy_use",
    "industrial_water_intensity", "water_use", "sewage_treatment_rate",
]


def _supply_model() -> gysim.Model:
    """The lookup/smooth/delay model of test_pysd_parity.py (loaded from that file)."""
    path = Path(__file__).parent / "test_pysd_parity.py"
    spec = importlib.util.spec_from_file_location("_parity_models", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.supply_model()


def _back_names(back: gysim.Model) -> dict[str, str]:
    """Written name (as the original model calls it) -> identifier in the model read back."""
    out = {}
    for ident, original in back.source.names.items():
        out[reference_key(original.strip('"'))] = ident
    return out


def _elements(da):
    """(label tuple, selection) for each element of a result over (time, *dims)."""
    dims = [d for d in da.dims if d not in ("time", "run")]
    for labels in itertools.product(*(da.coords[d].values.tolist() for d in dims)):
        yield tuple(labels), dict(zip(dims, labels))


def _assert_close(expected, actual, rtol, what):
    expected, actual = np.asarray(expected, float), np.asarray(actual, float)
    assert expected.shape == actual.shape, what
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0, err_msg=what)


def _read_back_results(back: gysim.Model, ds):
    """The read-back run with subscripted variables over their dimensions.

    The reader returns them either natively (variables with dimensions) or
    element by element with the layout in ``source.subscripts``; the latter
    are stacked back into dimensions.
    """
    if back.source.subscripts:
        return stack_subscripts(ds, back)
    return ds


def _round_trip_gysim(model, path, dt, saveper, required=()):
    original = gysim.simulate(model, method="euler", dt=dt, saveper=saveper)
    back = gysim.read_vensim(write_vensim(model, path, dt=dt, saveper=saveper))
    assert (back.start, back.stop, back.dt, back.saveper) == (model.start, model.stop, dt,
                                                              saveper)
    names = _back_names(back)
    result = gysim.simulate(back, saveper=back.saveper)  # the file's Euler at TIME STEP
    np.testing.assert_array_equal(result.time.values, original.time.values)
    assert set(required) <= set(original.data_vars)
    stacked = _read_back_results(back, result)
    for name in original.data_vars:
        expected = original[name]
        if expected.ndim == 1:
            _assert_close(expected.values, result[names[name]].values, 1e-9,
                          f"gysim read-back of '{name}'")
            continue
        actual = stacked[names.get(name, name)]
        assert set(actual.dims) == set(expected.dims), name
        for labels, where in _elements(expected):
            _assert_close(expected.sel(where).values, actual.sel(where).values, 1e-9,
                          f"gysim read-back of '{name}[{', '.join(labels)}]'")
    return original


def _round_trip_pysd(original, path, rtol=1e-6):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reader = pysd.read_xmile if Path(path).suffix == ".xmile" else pysd.read_vensim
        df = reader(str(path)).run()
    np.testing.assert_allclose(df.index.to_numpy(float), original.time.values, atol=1e-9)
    columns = {reference_key(str(c).strip('"')).replace(",_", ","): c for c in df.columns}
    for name in original.data_vars:
        expected = original[name]
        for labels, where in _elements(expected):
            key = f"{name}[{','.join(labels)}]" if labels else name
            _assert_close(expected.sel(where).values, df[columns[key]].to_numpy(float), rtol,
                          f"PySD run of '{key}'")


def test_guiyang_round_trip_gysim_and_pysd(tmp_path):
    model = gysim.load_model("guiyang")
    path = tmp_path / "guiyang.mdl"
    original = _round_trip_gysim(model, path, DEFAULT_DT, 1.0, GUIYANG_REPORTED)
    # the comparison is not trivial: the trajectories move
    assert float(original.gdp[-1]) > 2 * float(original.gdp[0])
    _round_trip_pysd(original, path)


def test_guiyang_plan_scenario_round_trip(tmp_path):
    model = gysim.load_model("guiyang")
    plan = model.with_params(dict(model.scenarios["plan"].overrides))
    original = _round_trip_gysim(plan, tmp_path / "plan.mdl", 0.25, 1.0, GUIYANG_REPORTED)
    base = gysim.simulate(model, method="euler", dt=0.25, saveper=1.0)
    assert not np.allclose(base.rural_labor_transferred, original.rural_labor_transferred)


def test_population_round_trip(tmp_path):
    path = tmp_path / "population.mdl"
    original = _round_trip_gysim(population_model(), path, 0.25, 1.0)
    _round_trip_pysd(original, path)
    text = path.read_text(encoding="utf-8")
    assert "population =\n\tINTEG(births - deaths, 331.8)\n\t~\t1e4 person\n" in text
    assert "birth_rate =\n\t0.013\n\t~\t1/year [0.008,0.02]\n\t~\tcrude birth rate" in text


def test_lookup_smooth_delay_round_trip(tmp_path):
    path = tmp_path / "supply.mdl"
    original = _round_trip_gysim(_supply_model(), path, 0.125, 0.5)
    _round_trip_pysd(original, path)


def _builtin_model() -> gysim.Model:
    m = gysim.Model("b", start=0, stop=12, dt=0.25, saveper=0.5)
    m.param("power", 2.0)  # a Vensim function name: written quoted
    m.param("tau", 1.5)
    m.lookup("shape", [0, 5, 10], [1, 3, 2])
    m.data("series", {0: 1.0, 6: 4.0, 12: 0.0})
    m.stock("s", "power * 3")
    m.flow("inflow", "shape(time) + series - s / tau", into="s")
    m.aux("logic", "1 if (time > 2 and not time >= 8) or time == 10 else 0")
    m.aux("ne", "if_then_else(time != 3, 1, -1)")
    m.aux("math", "min(time, 5, 8 - time / 2) + max(abs(-time), 1) + exp(-time)"
                  " + log(time + 1) + log(time + 2, 3) + log10(time + 1) + sqrt(time)"
                  " + integer(time / 3) + modulo(time, 4) + time % 3 + sin(time) + cos(time)"
                  " + tan(time / 10) + arctan(time) + arcsin(time / 20) + arccos(time / 20)")
    m.aux("div", "xidz(time - 2, time - 2, 42) + zidz(1, time - 4)")
    m.aux("tfun", "step(2, 3) + ramp(1, 2, 6) + ramp(0.5, 7) + pulse(4) + pulse(5, 2)"
                  " + pulse_train(1, 0.5, 2, 9)")
    m.aux("sm", "smooth(series, tau) + smooth(series, tau, 0) + smooth3(series, 2)"
                " + smooth3(series, 2, 1) + smooth_n(series, 2, 1, 4)")
    m.aux("dl", "delay1(series, tau) + delay1(series, tau, 0) + delay3(series, 2)"
                " + delay3(series, 2, 1) + delay_n(series, 2, 1, 4) + delay_fixed(series, 2, 0.5)")
    m.aux("ini", "initial(s) - power ** 2 ** 0.5 - (-power) ** 2 + -(power ** 2)")
    return m


def test_every_builtin_round_trips(tmp_path):
    model = _builtin_model()
    text = vensim_text(model)
    for snippet in ["IF THEN ELSE(((Time > 2) :AND: (:NOT: (Time >= 8))) :OR: (Time = 10), 1, 0)",
                    "Time <> 3", "MIN(Time, MIN(5, 8 - Time / 2))", "LOG(Time + 1, 10)",
                    "RAMP(0.5, 7, FINAL TIME)", "PULSE(4, TIME STEP)", "SMOOTH3I(series, 2, 1)",
                    "DELAY N(series, 2, 1, 4)", "DELAY FIXED(series, 2, 0.5)",
                    '"power" ^ (2 ^ 0.5)', "WITH LOOKUP(Time, ([(0,0)-(12,4)],(0,1),(6,4),(12,0)))",
                    "shape(\n\t[(0,1)-(10,3)],(0,1),(5,3),(10,2))", "MODULO(Time, 3)"]:
        assert snippet in text, snippet
    path = tmp_path / "b.mdl"
    original = _round_trip_gysim(model, path, 0.25, 0.5)
    assert original.logic.values.tolist()[4:24:2] == [0, 1, 1, 1, 1, 1, 0, 0, 1, 0]  # t = 2..11
    _round_trip_pysd(original, path, rtol=1e-9)


def _dims_model(extremes: bool = True) -> gysim.Model:
    """Two dimensions: constant lists and tables, stocks over dims, selections, aggregations."""
    m = gysim.Model("d", start=0, stop=4, dt=0.25, saveper=0.5)
    # region first, so that s is (region, sector): PySD 3.14 with numpy 2 cannot stack the
    # states of a (3, 2) and a (3,) stock (it builds an object array of them)
    m.dimension("region", ["north", "south"])
    m.dimension("sector", ["primary", "secondary", "tertiary"])
    m.param("w", np.array([[1.0, 2.0], [0.5, 1.5], [3.0, 0.25]]), dims=("sector", "region"))
    m.param("rate", {"primary": 0.1, "secondary": -0.05, "tertiary": 0.2}, dims=("sector",))
    m.stock("k", {"primary": 1.0, "secondary": 2.0, "tertiary": 3.0}, dims=("sector",))
    m.flow("growth", "rate * k + 0.01 * time", into="k", dims=("sector",))
    m.stock("s", "w", dims=("sector", "region"))
    m.flow("build", "w * k / sum(k, sector)", into="s", dims=("sector", "region"))
    m.aux("total", "sum(k, sector)")
    m.aux("avg", "2 / mean(k, sector)")
    m.aux("prodk", "prod(k, sector)")
    if extremes:
        m.aux("extremes", "min(k, sector) + max(k, sector) * min(time, 2)")
    m.aux("both", "sum(sum(s, sector), region) + mean(mean(w, region), sector)")
    m.aux("south_k", "sum(s[south] * k, sector)")
    m.aux("one", "s[secondary, north] + k[tertiary]")
    m.aux("per_region", "sum(s, sector) / total", dims=("region",))
    return m


def test_dimensions_round_trip(tmp_path):
    model = _dims_model()
    text = vensim_text(model)
    for snippet in ["sector:\n\tprimary, secondary, tertiary\n", "region:\n\tnorth, south\n",
                    "w[region, sector] =\n\t1, 0.5, 3; 2, 1.5, 0.25;\n",
                    "rate[sector] =\n\t0.1, -0.05, 0.2\n", "k_initial[sector] =\n\t1, 2, 3\n",
                    "k[sector] =\n\tINTEG(growth[sector], k_initial[sector])",
                    "w[region, sector] * k[sector] / SUM(k[sector!])",
                    "2 / (SUM(k[sector!]) / ELMCOUNT(sector))", "PROD(k[sector!])",
                    "VMIN(k[sector!]) + VMAX(k[sector!]) * MIN(Time, 2)",
                    "SUM(s[region!, sector!]) + (SUM(w[region!, sector!]) / (ELMCOUNT(sector) "
                    "* ELMCOUNT(region)))", "SUM(s[south, sector!] * k[sector!])",
                    "s[north, secondary] + k[tertiary]",
                    "per_region[region] =\n\tSUM(s[region, sector!]) / total"]:
        assert snippet in text, snippet
    path = tmp_path / "d.mdl"
    original = _round_trip_gysim(model, path, 0.25, 0.5)
    # the comparison is not trivial: the elements differ and move
    assert original.k.sel(sector="tertiary")[-1] > 2 * original.k.sel(sector="tertiary")[0]
    assert float(original.k.sel(sector="secondary")[-1]) < 2.0
    _round_trip_pysd(original, path)


def test_three_dimensional_constants_round_trip(tmp_path):
    m = gysim.Model("t", start=0, stop=2, dt=0.5, saveper=0.5)
    m.dimension("a", ["a1", "a2"])
    m.dimension("b", ["b1", "b2", "b3"])
    m.dimension("c", ["c1", "c2"])
    m.param("p", np.arange(12.0).reshape(2, 3, 2), dims=("a", "b", "c"))
    m.aux("q", "p * time + sum(p, b)", dims=("a", "b", "c"))
    text = vensim_text(m)
    assert "p[a1, b, c] =\n\t0, 1; 2, 3; 4, 5;\n" in text  # one 2-D table per element of a
    assert "p[a2, b, c] =\n\t6, 7; 8, 9; 10, 11;\n" in text
    original = _round_trip_gysim(m, tmp_path / "t.mdl", 0.5, 0.5)
    assert float(original.q.sel(a="a2", b="b3", c="c1")[-1]) == 10 * 2 + 6 + 8 + 10
    _round_trip_pysd(original, tmp_path / "t.mdl")


def test_nested_aggregations_of_different_kinds_are_refused():
    m = _dims_model()
    m.aux("mixed", "sum(s * max(k, sector), region)", dims=("sector",))
    with pytest.raises(gysim.ModelDefinitionError, match="'mixed'.*directly nested aggregations"):
        vensim_text(m)


def _xmile_round_trip(model, path, dt):
    original = gysim.simulate(model, method="euler", dt=dt, saveper=1.0)
    back = gysim.read_xmile(write_xmile(model, path, dt=dt))
    result = _read_back_results(back, gysim.simulate(back, saveper=1.0))
    for name in original.data_vars:
        for labels, where in _elements(original[name]):
            _assert_close(original[name].sel(where).values, result[name].sel(where).values,
                          1e-9, f"{name}{list(labels) if labels else ''}")
    return original


def test_xmile_round_trip(tmp_path):
    for model, dt in [(gysim.load_model("guiyang"), 0.25), (population_model(), 0.5)]:
        _xmile_round_trip(model, tmp_path / f"{model.name}.xmile", dt)
    text = xmile_text(gysim.load_model("guiyang"))
    for snippet in ['<dimensions><dim name="sector"><elem name="primary"/>',
                    '<aux name="is_primary"><dimensions><dim name="sector"/></dimensions>'
                    '<element subscript="primary"><eqn>1</eqn></element>',
                    "<eqn>SUM(energy_use_by_sector[sector!])</eqn>",
                    "<eqn>value_added[primary]</eqn>"]:
        assert snippet in text, snippet
    m = gysim.Model("p", start=0, stop=1)
    m.aux("x", "pulse(0.5)")
    with pytest.raises(gysim.ModelDefinitionError, match=r"'x'.*pulse"):
        xmile_text(m)


def test_xmile_dimensions_round_trip(tmp_path):
    text = xmile_text(_dims_model())
    for snippet in ['<dimensions><dim name="region"><elem name="north"/><elem name="south"/></dim>',
                    '<stock name="s"><dimensions><dim name="region"/><dim name="sector"/>'
                    "</dimensions><eqn>w[region, sector]</eqn><inflow>build</inflow>",
                    '<element subscript="south,tertiary"><eqn>0.25</eqn></element>',
                    "<eqn>MIN(k[sector!]) + MAX(k[sector!]) * MIN(TIME, 2)</eqn>",
                    "<eqn>2 / (SUM(k[sector!]) / 3)</eqn>",
                    "<eqn>s[north, secondary] + k[tertiary]"]:
        assert snippet in text, snippet
    # gysim's XMILE reader does not read MIN/MAX of one array (yet): PySD checks those
    _xmile_round_trip(_dims_model(extremes=False), tmp_path / "d.xmile", 0.25)
    path = write_xmile(_dims_model(), tmp_path / "full.xmile", dt=0.25)
    _round_trip_pysd(gysim.simulate(_dims_model(), method="euler", dt=0.25, saveper=0.25), path)


def test_unwritable_models_are_refused(tmp_path):
    m = gysim.Model("m", start=0, stop=1)
    m.param("final_time", 3.0)
    with pytest.raises(gysim.ModelDefinitionError, match="'final_time'.*control variable"):
        write_vensim(m, tmp_path / "m.mdl")
    assert not (tmp_path / "m.mdl").exists()
    with pytest.raises(gysim.ModelDefinitionError, match="`dt`"):
        vensim_text(population_model(), dt=0)
    with pytest.raises(gysim.ModelDefinitionError, match="`saveper`.*multiple"):
        vensim_text(population_model(), dt=0.25, saveper=0.3)
    with pytest.raises(gysim.ModelDefinitionError, match="`model`"):
        vensim_text("population")


def test_old_export_path_keeps_the_writers_and_says_where_write_registered_went():
    import gysim.io
    import gysim.io.export as export
    assert export.write_vensim is write_vensim and export.xmile_text is xmile_text
    assert export.DEFAULT_DT == DEFAULT_DT == 0.125
    for module in (gysim.io, export):
        with pytest.raises(ImportError, match="gysim.registry.write_registered"):
            module.write_registered
    with pytest.raises(ImportError, match="moved to gysim.registry.write_registered"):
        from gysim.io import write_registered  # noqa: F401
    with pytest.raises(ImportError, match="moved to gysim.registry.write_registered"):
        from gysim.io.export import write_registered  # noqa: F401,F811
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        export.nothing
