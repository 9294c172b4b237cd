"""gysim.registry: models found through entry points, the provider protocol, model files."""

from __future__ import annotations

import configparser
import importlib.metadata
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import gysim
from gysim.errors import ModelDefinitionError
from gysim.io import write_xmile
from gysim.registry import (ENTRY_POINT_GROUP, available_models, find_provider, get_provider,
                            load_model, models_dir, models_module, write_registered)

ROOT = Path(__file__).resolve().parents[1]
POPULATION_MDL = ROOT / "tests" / "data" / "population.mdl"

TOY = '''
import gysim

KEY_VARIABLES = ["x"]


def build(rate=0.5):
    m = gysim.Model("toy", start=0, stop=2, dt=1)
    m.stock("x", 1.0)
    m.param("rate", rate, bounds=(0.1, 1.0))
    m.flow("inflow", "rate * x", into="x")
    return m


class _Object:
    """A provider that is an object, not a module."""
    @staticmethod
    def build():
        return build(rate=1.0)


PROVIDER = _Object()
'''


@pytest.fixture
def toy_distribution(tmp_path, monkeypatch):
    """An installed distribution `toy-models` registering three names, one of them broken."""
    (tmp_path / "toy_provider.py").write_text(TOY, encoding="utf-8")
    info = tmp_path / "toy_models-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-models\nVersion: 0.1\n",
                                   encoding="utf-8")
    (info / "entry_points.txt").write_text(textwrap.dedent(f"""\
        [{ENTRY_POINT_GROUP}]
        toy = toy_provider
        toy_object = toy_provider:PROVIDER
        toy_broken = toy_no_such_module
        """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    sys.modules.pop("toy_provider", None)


# ---------------------------------------------------------------------- entry points
def test_the_project_registers_its_models_through_entry_points():
    registered = {ep.name: ep.value for ep in
                  importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    for name in ["guiyang", "population", "labor", "economy", "energy", "water"]:
        assert registered[name] == f"gysim_models.{name}"
        assert name in available_models()
    assert load_model("economy").name == "economy"


def test_a_distribution_on_the_path_registers_models(toy_distribution):
    assert {"toy", "toy_object", "toy_broken"} <= set(available_models())
    ds = gysim.simulate(load_model("toy"), method="euler")
    np.testing.assert_allclose(ds.x.values, [1.0, 1.5, 2.25])  # x * 1.5 a step
    assert load_model("toy", rate=0.25).params["rate"].value == 0.25
    ds = gysim.simulate(load_model("toy_object"), method="euler")  # an object: rate 1
    np.testing.assert_allclose(ds.x.values, [1.0, 2.0, 4.0])
    provider = get_provider("toy")
    assert provider.offers("KEY_VARIABLES") and not provider.offers("targets")
    assert provider.origin == "entry point gysim.models: toy = toy_provider"


def test_a_broken_entry_point_is_named(toy_distribution):
    with pytest.raises(ModelDefinitionError, match="model 'toy_broken': cannot load its entry "
                                                   "point 'toy_no_such_module'"):
        load_model("toy_broken")


def test_the_cli_lists_registered_models_and_survives_a_broken_one(toy_distribution, capsys):
    from gysim.cli import main
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert "  toy         build, KEY_VARIABLES\n" in out
    assert "toy_broken  cannot be loaded: model 'toy_broken'" in out
    assert "  guiyang     build, KEY_VARIABLES, uncertain_parameters, targets, observations, " \
           "calibration\n" in out


def test_unknown_names_are_suggested_and_listed():
    with pytest.raises(ModelDefinitionError) as info:
        load_model("populaton")
    message = str(info.value)
    assert "no model named 'populaton'; did you mean 'population'?" in message
    assert "available: economy, energy, guiyang, labor, population, water" in message
    assert find_provider("populaton") is None


# ---------------------------------------------------------------------- the protocol
def test_missing_hooks_get_a_message_naming_the_model_the_user_and_the_fix():
    with pytest.raises(ModelDefinitionError) as info:
        get_provider("population").get("calibration", purpose="`gysim calibrate`")
    assert str(info.value) == (
        "model 'population' does not offer `calibration()`, which `gysim calibrate` needs; its "
        "provider (entry point gysim.models: population = gysim_models.population) offers: "
        "build, uncertain_parameters, targets, observations; add `calibration() -> an object "
        "with fit(starts, seed)` to it (see gysim.registry)")
    with pytest.raises(ModelDefinitionError, match="`hook` must be one of build, KEY_VARIABLES"):
        get_provider("population").offers("plot")


def test_the_guiyang_provider_offers_every_hook():
    provider = get_provider("guiyang")
    model = provider.build()
    key = provider.get("KEY_VARIABLES", purpose="test")
    assert key[:3] == ["gdp", "gdp_real_growth", "population"] and set(key) <= set(model.elements)
    uncertain = provider.get("uncertain_parameters", purpose="test")(model)
    assert "capital_share" in uncertain and "plan_implementation" not in uncertain
    assert all(model.params[n].source.startswith("assumption") for n in uncertain)
    targets = provider.get("targets", purpose="test")()
    assert "gdp_2010" in [t.name for t in targets]
    assert provider.get("observations", purpose="test")().loc[2000.0, "population"] > 300
    fit = provider.get("calibration", purpose="test")()
    assert fit.FITTED_FILE == ROOT / "calibration" / "fitted_parameters.json"
    assert "tfp_growth" in fit.FITTED and callable(fit.fit)


def test_build_must_return_a_model_and_take_the_options(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def build():\n    return 42\n", encoding="utf-8")
    with pytest.raises(ModelDefinitionError, match="must return a gysim.Model, got int"):
        load_model(path)
    with pytest.raises(ModelDefinitionError, match="does not take the option.s. rate; it "
                                                   "accepts: none"):
        load_model(path, rate=1)
    path.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(ModelDefinitionError, match="must define a function `build\\(\\)`"):
        load_model(path)


# ---------------------------------------------------------------------- model files
def test_load_model_reads_a_python_file(tmp_path):
    path = tmp_path / "toy.py"
    path.write_text(TOY, encoding="utf-8")
    ds = gysim.simulate(load_model(str(path), rate=1.0), method="euler")
    np.testing.assert_allclose(ds.x.values, [1.0, 2.0, 4.0])
    assert get_provider(path).offers("KEY_VARIABLES")


def test_load_model_reads_a_vensim_file():
    model = load_model(POPULATION_MDL)
    assert model.stocks["population"].units == "million people"
    ds = gysim.simulate(model, method="euler", dt=0.25)
    # dP/dt = (0.013 - 0.006) P: 40 Euler steps of 0.25 years
    assert float(ds.population[-1]) == pytest.approx(331.8 * (1 + 0.007 * 0.25) ** 40, rel=1e-9)
    assert not get_provider(POPULATION_MDL).offers("targets")


@pytest.mark.parametrize("suffix", [".xmile", ".xml", ".stmx", ".XMILE"])
def test_load_model_reads_xmile_files(tmp_path, suffix):
    from gysim.examples import population_model
    source = population_model()
    path = write_xmile(source, tmp_path / f"population{suffix}", dt=0.25)
    model = load_model(path)
    expected = gysim.simulate(source, method="euler", dt=0.25)
    got = gysim.simulate(model, method="euler", dt=0.25)
    np.testing.assert_allclose(got.population.sel(time=expected.time).values,
                               expected.population.values, rtol=1e-12)


@pytest.mark.parametrize("name", ["missing.mdl", "missing.xmile", "missing.py"])
def test_a_missing_model_file_is_named(tmp_path, name):
    with pytest.raises(ModelDefinitionError, match=f"model file '.*{name}' does not exist"):
        load_model(tmp_path / name)


def test_model_files_take_no_build_options():
    with pytest.raises(ModelDefinitionError, match="does not take the option.s. calibrated"):
        load_model(POPULATION_MDL, calibrated=False)


# ---------------------------------------------------------------------- the models' package
def test_models_module_and_models_dir_find_the_projects_package():
    assert models_dir() == ROOT / "models"
    plan = models_module("_plan")
    assert plan.__name__ == "gysim_models._plan"
    assert plan.TARGETS_FILE.is_file()
    with pytest.raises(ModelDefinitionError, match="no package of registered models has a "
                                                   "module 'nope'"):
        models_module("nope")


def test_setup_cfg_installs_every_package_and_maps_models():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    listed = set(config["options"]["packages"].split())
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "gysim").rglob(
        "__init__.py")}
    assert on_disk - listed == set(), "add these packages to [options] packages in setup.cfg"
    assert "gysim_models" in listed
    assert config["options"]["package_dir"].split() == ["gysim_models", "=", "models"]


def test_write_registered_writes_a_file_that_reads_back(tmp_path):
    path = write_registered("population", tmp_path / "out", scenario="plan", dt=0.25)
    assert path == tmp_path / "out" / "population.mdl"
    expected = gysim.simulate(load_model("population"), scenario="plan", method="euler", dt=0.25)
    got = gysim.simulate(gysim.read_vensim(path), method="euler", dt=0.25)
    np.testing.assert_allclose(got.population.values, expected.population.values, rtol=1e-6)
    with pytest.raises(ModelDefinitionError, match="`scenario` must be one of"):
        write_registered("population", tmp_path, scenario="nope")
    with pytest.raises(ModelDefinitionError, match="`fmt` must be 'mdl' or 'xmile'"):
        write_registered("population", tmp_path, fmt="csv")


# ---------------------------------------------------------------------- old paths
def test_python_m_gysim_demo_says_where_the_demo_went(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gysim.demo"], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert proc.returncode == 2
    assert "python -m gysim_models.demo" in proc.stderr and "make demo" in proc.stderr
    assert list(tmp_path.iterdir()) == []


def test_no_guiyang_in_the_library():
    """The library knows no particular model. Left: the provenance of the example model's data
    (gysim/examples.py) and io/export.py's write_registered, which moved to the registry (its
    engineer deletes it there)."""
    hits = []
    for path in (ROOT / "gysim").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if "guiyang" in line.lower():
                hits.append(f"{path.relative_to(ROOT)}:{number}")
    allowed = {"gysim/examples.py", "gysim/io/export.py"}
    assert [h for h in hits if h.split(":")[0] not in allowed] == []
