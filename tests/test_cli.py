"""The ``gysim`` command line: every subcommand on small inputs, and its error paths."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.cli import build_parser, main
from gysim.registry import models_module

ROOT = Path(__file__).resolve().parents[1]
POPULATION_MDL = ROOT / "tests" / "data" / "population.mdl"
SUBCOMMANDS = ["run", "calibrate", "sensitivity", "targets", "plot", "info"]


def final_value(stdout: str, variable: str) -> float:
    """The last number of the summary-table row of `variable` printed by `gysim run`."""
    for line in stdout.splitlines():
        cells = line.split()
        if cells and cells[0] == variable:
            return float(cells[2])
    raise AssertionError(f"no row {variable!r} in:\n{stdout}")


@pytest.fixture(scope="module")
def guiyang_plan_nc(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "plan.nc"
    assert main(["run", "guiyang", "--scenario", "plan", "--stop", "2010", "-o", str(path)]) == 0
    return path


# ---------------------------------------------------------------------- run
def test_run_writes_the_same_numbers_as_the_library(tmp_path, capsys):
    out = tmp_path / "pop.nc"
    assert main(["run", "population", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    expected = gysim.simulate(gysim.load_model("population"))
    with xr.open_dataset(out) as ds:
        assert set(ds.data_vars) == set(expected.data_vars)
        np.testing.assert_allclose(ds.population.values, expected.population.values, rtol=1e-12)
        assert ds.population.attrs["units"] == "1e4 person"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pop.nc"]  # no temporary left behind


def test_run_set_overrides_a_parameter(capsys):
    assert main(["run", "population", "--set", "birth_rate=0.012", "--vars",
                 "population,urban_population"]) == 0
    low = final_value(capsys.readouterr().out, "population")
    assert main(["run", "population", "--vars", "population"]) == 0
    default = final_value(capsys.readouterr().out, "population")
    model = gysim.load_model("population")
    expected = float(gysim.simulate(model, params={"birth_rate": 0.012}).population[-1])
    assert low == pytest.approx(expected, rel=1e-5)  # the table prints 6 significant digits
    # 0.0125 -> 0.012 births per person-year over ten years: about 0.5 % fewer people
    assert default * 0.993 < low < default * 0.997


def test_run_summary_abbreviates_long_tables(capsys):
    assert main(["run", "guiyang", "--stop", "2006"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "model 'guiyang', RK45, time 2000 to 2006"
    assert "more; choose with --vars or save all with -o FILE.nc" in out


def test_run_guiyang_plan_to_2010(guiyang_plan_nc):
    with xr.open_dataset(guiyang_plan_nc) as ds:
        assert ds.attrs["scenario"] == "plan"
        assert float(ds.time[-1]) == 2010
        expected = gysim.simulate(gysim.load_model("guiyang"), scenario="plan", stop=2010)
        np.testing.assert_allclose(ds.gdp.values, expected.gdp.values, rtol=1e-12)


def test_run_vensim_file_matches_the_analytic_euler_solution(capsys):
    assert main(["run", str(POPULATION_MDL), "--method", "euler", "--dt", "0.25",
                 "--vars", "population"]) == 0
    got = final_value(capsys.readouterr().out, "population")
    # dP/dt = (0.013 - 0.006) P, Euler with dt = 0.25 over 10 years: 40 steps
    assert got == pytest.approx(331.8 * (1 + 0.007 * 0.25) ** 40, rel=1e-5)


def test_run_xmile_file_matches_its_reference_output(tmp_path):
    folder = ROOT.parent / "shared" / "sd-test-models" / "tests" / "limits"
    if not (folder / "test_limits.xmile").is_file():
        pytest.skip("the SDXorg test-model suite is not beside the repository")
    out = tmp_path / "limits.nc"
    assert main(["run", str(folder / "test_limits.xmile"), "-o", str(out)]) == 0
    rows = [line.split("\t") for line in
            (folder / "output.tab").read_text(encoding="utf-8").splitlines()]
    column = rows[0].index("Limited Stock")
    with xr.open_dataset(out) as ds:
        assert float(ds.time[-1]) == float(rows[-1][0])
        assert float(ds.limited_stock[-1]) == pytest.approx(float(rows[-1][column]))


# ---------------------------------------------------------------------- info
def test_info_lists_elements_bounds_and_scenarios(capsys):
    assert main(["info", "population"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("model 'population': 2000 to 2010 year")
    assert "  birth_rate = 0.0125  [1/year]  bounds (0.008, 0.018)" in out
    assert "  population = urban_population + rural_population  [1e4 person]" in out
    assert "Births less deaths per person per year" in out  # a doc line
    assert "(rural_population -> urban_population)" in out  # a flow's direction
    assert "\nscenarios (2)\n" in out and "  plan: " in out


def test_info_reads_a_vensim_file(capsys):
    assert main(["info", str(POPULATION_MDL)]) == 0
    out = capsys.readouterr().out
    assert "population initial = 331.8  [million people]" in out
    assert "birth_rate = 0.013  [1/year]" in out


# ---------------------------------------------------------------------- targets
def test_targets_of_a_guiyang_run(guiyang_plan_nc, capsys):
    assert main(["targets", str(guiyang_plan_nc)]) == 0
    out = capsys.readouterr().out
    with xr.open_dataset(guiyang_plan_nc) as ds:
        table = gysim.check_targets(ds.load(), models_module("_plan").targets())
    assert f"\n{int(table.met.sum())} of {len(table)} targets met" in out
    row = next(line for line in out.splitlines() if line.startswith("gdp_2010 "))
    assert float(row.split()[4]) == pytest.approx(table.loc["gdp_2010", "model_value"], rel=1e-5)


def test_targets_of_a_sector_run_checks_what_it_can(tmp_path, capsys):
    path = tmp_path / "pop.nc"
    main(["run", "population", "-o", str(path)])
    assert main(["targets", str(path), "-o", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr().out
    assert "3 targets met" in out and "total_population_2010" in out
    assert "not in the file, so not checked: gdp_2010" in out
    csv = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert csv.splitlines()[0].startswith("target,kind,target_value,model_value,met")


def test_targets_need_a_run_that_reaches_2010(tmp_path, capsys):
    path = tmp_path / "short.nc"
    main(["run", "population", "--stop", "2008", "-o", str(path)])
    capsys.readouterr()
    assert main(["targets", str(path)]) == 2
    assert "ends at 2008" in capsys.readouterr().err


# ---------------------------------------------------------------------- plot
def test_plot_writes_a_png(guiyang_plan_nc, tmp_path, capsys):
    fig = tmp_path / "fig.png"
    assert main(["plot", str(guiyang_plan_nc), "-o", str(fig), "--plan"]) == 0
    out = capsys.readouterr().out
    assert "(gdp, gdp_real_growth, population, urbanization_rate, fixed_asset_investment, " \
           "energy_intensity)" in out
    data = fig.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


def test_plot_chosen_variables(guiyang_plan_nc, tmp_path, capsys):
    fig = tmp_path / "fig.png"
    assert main(["plot", str(guiyang_plan_nc), "-o", str(fig), "--vars", "gdp,population"]) == 0
    assert "(gdp, population)" in capsys.readouterr().out
    assert fig.stat().st_size > 5_000


# ---------------------------------------------------------------------- sensitivity
def test_sensitivity_writes_indices_and_a_store(tmp_path, capsys):
    nc, store = tmp_path / "si.nc", tmp_path / "runs.zarr"
    argv = ["sensitivity", "population", "--outputs", "urban_population,population",
            "-n", "8", "--no-progress", "-o", str(nc), "-o", str(store)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "sobol indices of model 'population' at time 2010 (56 runs, n=8, seed=1)" in out
    with xr.open_dataset(nc) as si:
        # default parameters: the assumption-based ones with bounds
        assert list(si.param.values) == ["urbanization_rate_2000", "birth_rate", "death_rate",
                                         "migration_growth_elasticity",
                                         "urbanization_migration_rate"]
        st = si.ST.sel(output="urban_population", time=2010)
        # standalone, real growth equals its reference: the elasticity has no effect at all
        assert float(st.sel(param="migration_growth_elasticity")) == 0.0
        # the move from the countryside dominates the urban population
        assert str(st.idxmax("param").values) == "urbanization_migration_rate"
        first = si.ST.values.copy()
    with xr.open_zarr(store, consolidated=False) as runs:
        assert runs.sizes["run"] == 56  # n * (D + 2)
    assert main(argv) == 0  # the finished store is reused: same numbers
    with xr.open_dataset(nc) as again:
        np.testing.assert_array_equal(again.ST.values, first)


def test_sensitivity_on_a_dask_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("distributed")
    argv = ["sensitivity", "population", "--params", "birth_rate,death_rate", "--outputs",
            "population", "-n", "8", "--no-progress", "--method", "euler", "--dt", "0.5"]
    assert main(argv + ["-o", str(tmp_path / "local.nc")]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                      dashboard_address=":0") as cluster:
            assert main(argv + ["--scheduler", cluster.scheduler_address,
                                "-o", str(tmp_path / "dask.nc")]) == 0
    with xr.open_dataset(tmp_path / "local.nc") as a, xr.open_dataset(tmp_path / "dask.nc") as b:
        xr.testing.assert_identical(a, b)
        # births and deaths act symmetrically on the population: equal first-order effects
        # in magnitude need equal ranges; birth_rate's range (0.01) beats death_rate's (0.005)
        s1 = a.S1.sel(output="population", time=2010)
        assert float(s1.sel(param="birth_rate")) > float(s1.sel(param="death_rate"))


# ---------------------------------------------------------------------- calibrate
def test_calibrate_check_and_save(tmp_path, capsys):
    out = tmp_path / "fitted.json"
    assert main(["calibrate", "--check", "--starts", "1", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "OK: largest relative difference from fitted_parameters.json" in text
    stored = json.loads((ROOT / "calibration" / "fitted_parameters.json").read_text("utf-8"))
    fitted = json.loads(out.read_text("utf-8"))
    for name, entry in stored["parameters"].items():
        assert fitted["parameters"][name]["value"] == pytest.approx(entry["value"], rel=1e-3)


# ---------------------------------------------------------------------- errors
@pytest.mark.parametrize("argv, words", [
    (["run", "no_such_model"], "no model named 'no_such_model'"),
    (["info", "no_such_model"], "no model named 'no_such_model'"),
    (["run", "population", "--set", "birth_rate"], "--set expects NAME=VALUE, got 'birth_rate'"),
    (["run", "population", "--set", "birth_rate=high"], "'high' is not a number"),
    (["run", "population", "--set", "brth_rate=0.01"], "'brth_rate' is not an element"),
    (["run", "population", "--set", "birth_rate=0.5"], "outside its bounds"),
    (["run", "population", "--scenario", "boom"], "no scenario 'boom'"),
    (["run", "population", "-o", "no_such_folder/out.nc"],
     "folder 'no_such_folder' does not exist"),
    (["info", "no_such_file.mdl"], "no_such_file.mdl"),
    (["run", "no_such_file.xmile"], "no_such_file.xmile"),
    (["targets", "no_such_results.nc"], "results file 'no_such_results.nc' does not exist"),
    (["plot", "no_such_results.nc", "-o", "fig.png"], "'no_such_results.nc' does not exist"),
    (["sensitivity", "population", "-n", "8", "--params", "nope", "--no-progress"], "'nope'"),
    (["sensitivity", "population", "-o", "indices.csv"], "give at most one FILE.nc"),
    (["sensitivity", "population", "-n", "10"], "`n` must be a power of 2"),
    (["run", "population", "-o", "run.zarr"], "give a name ending in .nc"),
    (["plot", "results.nc", "-o", "fig.txt"], "must end in .png, .pdf, .svg or .jpg"),
])
def test_bad_input_prints_one_line_and_exits_2(argv, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("gysim: error: ")
    assert words in lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_results_file_that_is_not_netcdf(tmp_path, capsys):
    bad = tmp_path / "notes.nc"
    bad.write_text("not a netCDF file", encoding="utf-8")
    assert main(["targets", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"gysim: error: cannot read '{bad}' as netCDF results")
    assert len(err.splitlines()) == 1


def test_debug_shows_the_exception():
    with pytest.raises(gysim.ModelDefinitionError, match="no_such_model"):
        main(["--debug", "run", "no_such_model"])
    with pytest.raises(gysim.ModelDefinitionError, match="no_such_model"):
        main(["run", "no_such_model", "--debug"])


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["run"])
    assert exc.value.code == 2
    assert "the following arguments are required: MODEL" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["sensitivity", "population", "--analysis", "sobolev"])
    assert exc.value.code == 2
    capsys.readouterr()
    # --method is the integrator, as in `gysim run`; a misspelt analysis is pointed at --analysis
    assert main(["sensitivity", "population", "--method", "sobolev"]) == 2
    err = capsys.readouterr().err
    assert "--method must be an integration method" in err and "use --analysis" in err
    assert "did you mean 'sobol'?" in err


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_every_command_has_help_with_an_example(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: gysim {command}")
    assert f"example:\n  gysim {command}" in out or "example:\n  gysim run" in out


def test_readme_style_command_lines_parse():
    parser = build_parser()
    args = parser.parse_args(["sensitivity", "guiyang", "--params", "a,b", "-n", "64",
                              "--scheduler", "tcp://127.0.0.1:8786", "-o", "s.zarr", "-o", "i.nc"])
    assert (args.n, args.scheduler, args.output) == (64, "tcp://127.0.0.1:8786", ["s.zarr", "i.nc"])


# ---------------------------------------------------------------------- real processes
def test_console_script_help():
    script = shutil.which("gysim", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the gysim console script is not installed (pip install -e .)")
    proc = subprocess.run([script, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: gysim ")
    for command in SUBCOMMANDS:
        assert f"\n    {command}" in proc.stdout


def test_python_m_gysim_error_exit_code(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-m", "gysim", "run", "no_such_model"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.startswith("gysim: error: no model named 'no_such_model'")
    assert len(proc.stderr.splitlines()) == 1


# ---------------------------------------------------------------------- providers
TOY = '''
from pathlib import Path

import pandas as pd

import gysim

HERE = Path(__file__).resolve().parent


def build(rate=0.5):
    m = gysim.Model("toy", start=0, stop=4, dt=0.25, method="euler")
    m.stock("x", 1.0)
    m.param("rate", rate, bounds=(0.1, 1.0), source="assumption: toy")
    m.param("loss", 0.1, bounds=(0.0, 0.2), source="data: toy")
    m.flow("inflow", "rate * x", into="x")
    m.flow("outflow", "loss * x", out_of="x")
    return m
'''
TOY_HOOKS = '''

def uncertain_parameters(model):
    return ["loss"]


def targets(model=None):
    return [gysim.Target("x_4", 4.0, "at least", variable="x", years=(4,))]


class _Calibration:
    FITTED = ["rate"]
    SEED = 3
    FITTED_FILE = HERE / "stored.json"

    @staticmethod
    def fit(starts=1, seed=3):
        truth = gysim.simulate(build(rate=0.3))
        data = pd.DataFrame({"x": truth.x.values}, index=truth.time.values)
        return gysim.calibrate(build(), data, ["rate"], n_starts=starts, seed=seed)


def calibration():
    return _Calibration
'''


def test_sensitivity_without_params_prints_the_providers_parameters(capsys):
    argv = ["sensitivity", "population", "--outputs", "population", "-n", "8", "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == (
        "varying 5 parameters (those its provider's uncertain_parameters names: parameters "
        "whose value is an assumption (their source says so) and that have a range; choose with "
        "--params): urbanization_rate_2000, birth_rate, death_rate, migration_growth_elasticity, "
        "urbanization_migration_rate")
    # the parameters with bounds left out are named too, so nothing is left out silently
    assert lines[1].startswith("not varied, at their values: ")
    assert "plan_implementation" in lines[1] and "birth_rate," not in lines[1]


def test_sensitivity_without_a_hook_varies_every_parameter_with_bounds(tmp_path, capsys):
    path = tmp_path / "toy.py"
    path.write_text(TOY, encoding="utf-8")
    nc = tmp_path / "si.nc"
    assert main(["sensitivity", str(path), "-n", "8", "--no-progress", "-o", str(nc)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("varying 2 parameters (every parameter with bounds; choose "
                                   "with --params): rate, loss")
    with xr.open_dataset(nc) as si:
        assert list(si.param.values) == ["rate", "loss"]
        # x(4) = exp(4 (rate - loss)): rate's range (0.9) is 4.5 times loss's (0.2)
        st = si.ST.sel(output="x", time=4)
        assert float(st.sel(param="rate")) > 5 * float(st.sel(param="loss"))


def test_sensitivity_uses_a_files_uncertain_parameters_hook(tmp_path, capsys):
    path = tmp_path / "toy.py"
    path.write_text(TOY + TOY_HOOKS, encoding="utf-8")
    assert main(["sensitivity", str(path), "-n", "8", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "varying 1 parameter (those its provider's uncertain_parameters names" in out
    assert "not varied, at their values: 1 other parameter with bounds: rate" in out
    assert "\nloss " in out and "\nrate " not in out


def test_calibrate_through_a_providers_calibration_hook(tmp_path, capsys):
    path = tmp_path / "toy.py"
    path.write_text(TOY + TOY_HOOKS, encoding="utf-8")
    out = tmp_path / "fitted.json"
    assert main(["calibrate", str(path), "--starts", "1", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"calibrating model '{path}': rate (1 starts, seed 3) ..." in captured.err
    fitted = json.loads(out.read_text("utf-8"))["parameters"]["rate"]["value"]
    assert fitted == pytest.approx(0.3, rel=1e-4)  # the rate the data were made with
    shutil.copy(out, tmp_path / "stored.json")
    assert main(["calibrate", str(path), "--starts", "1", "--check"]) == 0
    assert "OK: largest relative difference from stored.json" in capsys.readouterr().out
    stored = json.loads(out.read_text("utf-8"))
    stored["parameters"]["rate"]["value"] = 0.35
    (tmp_path / "stored.json").write_text(json.dumps(stored), encoding="utf-8")
    assert main(["calibrate", str(path), "--starts", "1", "--check"]) == 1
    assert "DIFFERENT: largest relative difference from stored.json" in capsys.readouterr().out


def test_targets_of_a_run_of_an_unregistered_model(tmp_path, capsys):
    path = tmp_path / "toy.py"
    path.write_text(TOY, encoding="utf-8")
    run = tmp_path / "run.nc"
    assert main(["run", str(path), "-o", str(run)]) == 0
    capsys.readouterr()
    assert main(["targets", str(run)]) == 2
    assert "the run is of model 'toy', which is not a registered model; name one with --model" \
        in capsys.readouterr().err
    assert main(["targets", str(run), "--model", str(path)]) == 2
    assert "does not offer `targets()`, which `gysim targets` needs" in capsys.readouterr().err
    hooked = tmp_path / "hooked.py"
    hooked.write_text(TOY + TOY_HOOKS, encoding="utf-8")
    assert main(["targets", str(run), "--model", str(hooked)]) == 0
    out = capsys.readouterr().out
    x4 = float(np.exp(4 * 0.4))  # about: euler with dt 0.25 is a little lower
    assert "1 of 1 targets met" in out and f"model '{hooked}'" in out
    row = next(line for line in out.splitlines() if line.startswith("x_4 "))
    model_value = float(row.split()[4])
    assert model_value == pytest.approx((1 + 0.25 * 0.4) ** 16, rel=1e-5)
    assert 4.0 < model_value < x4


@pytest.mark.parametrize("argv, words", [
    (["calibrate", "population"], "model 'population' does not offer `calibration()`, which "
                                  "`gysim calibrate` needs"),
    (["targets", "RUN", "--model", "no_such_model"], "no model named 'no_such_model'"),
    (["plot", "RUN", "-o", "fig.png", "--plan"], "not a registered model; name one with --model"),
])
def test_provider_errors_are_one_line(argv, words, tmp_path, monkeypatch, capsys):
    toy = tmp_path / "toy.py"
    toy.write_text(TOY, encoding="utf-8")
    run = tmp_path / "run.nc"
    assert main(["run", str(toy), "-o", str(run)]) == 0
    capsys.readouterr()
    assert main([str(run) if a == "RUN" else a for a in argv]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err, err


def test_plot_of_an_unregistered_model_draws_stocks_first(tmp_path, capsys):
    toy = tmp_path / "toy.py"
    toy.write_text(TOY, encoding="utf-8")
    run, fig = tmp_path / "run.nc", tmp_path / "fig.png"
    main(["run", str(toy), "-o", str(run)])
    assert main(["plot", str(run), "-o", str(fig)]) == 0
    assert capsys.readouterr().out.strip().endswith("(x, inflow, outflow)")
    assert fig.read_bytes()[:4] == b"\x89PNG"


def test_info_without_a_model_lists_the_registered_models(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("registered models (entry point group gysim.models):\n")
    assert "\n  population  build, uncertain_parameters, targets, observations\n" in out


def test_sensitivity_of_guiyang_varies_every_assumption_parameter(capsys):
    """Issue 13: the default study varied the first 10 of 33 assumption parameters, silently."""
    from gysim_models._common import uncertain_parameters
    model = gysim.load_model("guiyang")
    assumptions = uncertain_parameters(model)
    argv = ["sensitivity", "guiyang", "--analysis", "morris", "-n", "2", "--outputs", "gdp",
            "--no-progress"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    first = out.splitlines()[0]
    assert first.startswith(f"varying {len(assumptions)} parameters (")
    assert first.endswith(": " + ", ".join(assumptions))
    assert "capital_share" in assumptions and len(assumptions) > 30
    table_rows = {line.split()[0] for line in out.split("\ngdp\n")[1].splitlines()[2:] if line}
    assert table_rows == set(assumptions)


def test_sensitivity_old_option_names_still_work(capsys):
    argv = ["sensitivity", "population", "--params", "birth_rate,death_rate", "--outputs",
            "population", "-n", "4", "--no-progress", "--dt", "1"]
    assert main(argv + ["--method", "morris", "--solver", "euler"]) == 0
    captured = capsys.readouterr()
    assert "ran with --analysis morris" in captured.err
    assert "ran with --method euler" in captured.err
    assert captured.out.splitlines()[0].startswith("morris indices of model 'population'")
    assert main(argv + ["--method", "rk4", "--solver", "euler"]) == 2
    assert "give the integration method once" in capsys.readouterr().err


def test_run_without_a_scenario_says_which_values_ran(tmp_path, capsys):
    """Issue 13: `gysim run guiyang` ran the baseline without saying so."""
    assert main(["run", "guiyang", "--vars", "gdp"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ("no --scenario: the model's own values, the same as scenario 'baseline' "
                        "(scenarios: baseline, plan; choose with --scenario)")
    assert main(["run", "guiyang", "--vars", "gdp", "--scenario", "plan"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("model 'guiyang', scenario 'plan', ") and "no --scenario" not in out
    nc = tmp_path / "run.nc"
    assert main(["run", "guiyang", "--set", "plan_implementation=1", "-o", str(nc)]) == 0
    assert ("no --scenario: the model's values with --set, the same as scenario 'plan'"
            in capsys.readouterr().out)
    assert main(["targets", str(nc)]) == 0
    assert ("(model 'guiyang', no scenario: the run's values, the same as scenario 'plan' "
            "(scenarios: baseline, plan)):" in capsys.readouterr().out.splitlines()[0])
    assert main(["plot", str(nc), "--vars", "gdp", "-o", str(tmp_path / "gdp.png")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "the run: no scenario: the run's values, the same as scenario 'plan' "
        "(scenarios: baseline, plan)")
