"""The Guiyang model: the five sectors coupled.

Links (each sector's docstring lists what it reads and supplies):

- economy -> population: real GDP growth raises registered net in-migration;
- economy -> labour: non-primary output sets the urban employment demanded,
  primary output sets the farm labour needed (so the surplus to transfer);
- economy -> economy: output drives investment (a share of GDP), investment
  builds capital, capital raises output;
- population -> labour: natural increase and in-migration bring new labour,
  the rural population sets the initial rural labour force;
- labour -> population: rural workers settling in towns bring their
  households (urbanisation);
- labour -> economy: non-farm labour is an input of non-primary output;
- economy -> energy, water: the secondary share and real output set energy
  intensity and use; industrial output sets industrial water use;
  fixed-asset investment funds energy saving;
- population -> water: town and rural residents set domestic water use and
  urban sewage.

Registered as ``guiyang`` (entry point group ``gysim.models``), this module is
the model's provider: besides ``build()`` it offers ``KEY_VARIABLES``,
``uncertain_parameters``, ``targets``, ``observations`` and ``calibration``
(see ``gysim.registry``), which ``gysim plot``, ``gysim sensitivity``,
``gysim targets`` and ``gysim calibrate`` use.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import gysim

from . import _common, _plan, economy, energy, labor, population, water
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, plan_investment_path, targets  # noqa: F401
from .names_zh import DISPLAY_SCALES  # noqa: F401  (the per-mille rates, for `gysim plot`)

SECTORS = (population, labor, economy, energy, water)

#: The variables drawn by default (``gysim plot``, ``make demo``), in this order.
KEY_VARIABLES = ["gdp", "gdp_real_growth", "population", "urbanization_rate",
                 "fixed_asset_investment", "energy_intensity", "industrial_water_intensity",
                 "sewage_treatment_rate", "rural_labor_transferred"]

#: The fit script (it stays with the data it fits, see DESIGN.md).
FIT_SCRIPT = Path(__file__).resolve().parent.parent / "calibration" / "fit.py"


def build(calibrated: bool = True) -> gysim.Model:
    """The coupled Guiyang model (2000-2010; scenarios run on with ``stop=2020``).

    With ``calibrated=True`` the fitted values apply, and the plan levers
    (``<lever>_plan``) are those ``python -m gysim_models.plan_levers`` found
    under the posterior (``models/plan_levers.json``, see
    ``_plan.stored_levers``). With ``calibrated=False`` every value is the
    sector modules' default, the plan levers the hand-solved ones
    (:func:`hand_set_levers`).
    """
    m = _hand_set_model()
    if not calibrated:
        return m
    fitted = {k: v for k, v in _common.fitted_values().items() if k in m.params}
    levers = _plan.stored_levers()
    unknown = sorted(set(levers) - set(m.params))
    if unknown:
        raise gysim.DataError(f"{_plan.LEVERS_FILE}: {', '.join(unknown)} not levers of the "
                              f"Guiyang model; re-run python -m gysim_models.plan_levers")
    return m.with_params({**fitted, **levers})


def _hand_set_model() -> gysim.Model:
    m = _common.new_model(
        "guiyang",
        "Guiyang 11th Five-Year Plan model: population, labour, economy, energy and water, "
        "coupled; calibrated on 2000-2005, scenarios 'baseline' and 'plan' from 2006")
    for sector in SECTORS:
        sector.add_to(m, standalone=False)
    return _common.finish(m, calibrated=False)


def hand_set_levers() -> dict[str, float]:
    """The plan levers solved by hand: each so that the calibrated run meets its own target.

    ``calibration/solve_plan_levers.py`` solved them; they are the sector
    modules' defaults of the ``<lever>_plan`` parameters. The ``plan``
    scenario uses the optimised levers instead; for the hand-solved plan run
    ``gysim.simulate(model.with_params(hand_set_levers()), scenario="plan")``.

    Examples
    --------
    >>> hand_set_levers()["birth_rate_plan"]  # doctest: +SKIP
    0.01179
    """
    m = _hand_set_model()
    return {name: float(p.value) for name, p in m.params.items()
            if name.endswith("_plan") and p.bounds is not None}


def calibration() -> ModuleType:
    """The calibration script ``calibration/fit.py``, imported as a module (once).

    It offers ``fit(starts, seed)``, ``FITTED``, ``SEED``, ``STARTS`` and
    ``FITTED_FILE``: the ``calibration`` hook of the provider protocol (see
    ``gysim.registry``), which ``gysim calibrate`` runs.
    """
    name = "gysim_models_calibration_fit"
    if name in sys.modules:
        return sys.modules[name]
    if not FIT_SCRIPT.is_file():
        raise gysim.ModelDefinitionError(
            f"the calibration script {str(FIT_SCRIPT)!r} is missing; calibrating the Guiyang "
            f"model needs the project's repository (calibration/ beside models/)")
    spec = importlib.util.spec_from_file_location(name, FIT_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def sectors() -> dict[str, str]:
    """The sector of each element: ``population``, ``labor``, ``economy``, ``energy``,
    ``water``, or ``common`` for the plan's switches and shared dimension.

    For diagrams and loop listings by sector
    (``model.diagram(group_by=sectors())``, ``model.loops(sectors=sectors())``).
    """
    m = _common.new_model("guiyang", "")
    found = {name: "common" for name in m.elements}
    for sector in SECTORS:
        before = set(m.elements)
        sector.add_to(m, standalone=False)
        found.update({name: sector.__name__.rpartition(".")[2]
                      for name in m.elements if name not in before})
    full = build(calibrated=False)
    found.update({name: "common" for name in full.elements if name not in found})
    return found
