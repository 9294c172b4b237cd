"""What the Guiyang sector modules share: time frame, plan levers, scenarios, fitted values.

Time convention: the model time ``t`` stands for the calendar year ``t``:
stocks are year-end values and flows are annual rates, so the value at
``t = 2005`` is compared with the statistics for 2005. The plan's first year,
2006, happens between ``t = 2005`` and ``t = 2006``; its levers therefore switch
on at ``plan_start = 2005`` and the plan-period accounting stocks (cumulative
transfers, jobs, investment) start collecting at ``t = 2005``, so that their
value at ``t = 2010`` is the 2006-2010 total.
"""

from __future__ import annotations

import json
from pathlib import Path

import gysim

from .names_zh import NAMES as NAMES_ZH
from .names_zh import short_names

START = 2000.0
STOP = 2010.0
PLAN_ACCOUNTING_START = 2005  # the 2006-2010 totals collect from t = 2005 on

FITTED_FILE = Path(__file__).resolve().parent.parent / "calibration" / "fitted_parameters.json"

DATA_FILE = "guiyang_annual_2000_2005.csv"

#: The three sectors of the statistics, the labels of the ``sector`` dimension.
SECTORS = ("primary", "secondary", "tertiary")

#: Scenario switches: bounded assumptions, but not uncertain quantities.
SWITCHES = {"plan_implementation", "plan_start"}


def uncertain_parameters(model: gysim.Model) -> list[str]:
    """Parameters whose value is an assumption (their source says so) and that have a range.

    The provider hook of every Guiyang model (see ``gysim.registry``): what
    ``make demo``'s ensemble and ``gysim sensitivity`` vary by default. The
    scenario switches are left out, and so are parameters whose source is
    data or the plan.
    """
    return [name for name, p in model.params.items()
            if name not in SWITCHES and p.bounds is not None
            and p.source.lower().startswith("assumption") and p.bounds[0] < p.bounds[1]]


def new_model(name: str, doc: str) -> gysim.Model:
    """A model on the Guiyang time frame (2000-2010, years) with the ``sector`` dimension and
    the plan switch."""
    m = gysim.Model(name, start=START, stop=STOP, time_units="year", doc=doc)
    add_sectors(m)
    add_plan_switch(m)
    return m


def add_sectors(m: gysim.Model) -> None:
    """Declare the ``sector`` dimension: primary, secondary, tertiary."""
    m.dimension("sector", list(SECTORS))


def add_sector_indicators(m: gysim.Model) -> None:
    """Add ``is_primary``, ``is_secondary`` and ``is_tertiary`` (once; later calls do nothing).

    Each is 1 for its own sector and 0 for the others. They combine
    sector-specific scalars (a fitted growth rate, an assumed intensity
    ratio), which stay scalar so that calibration and sensitivity studies
    can vary them, into one value per sector, e.g.
    ``1 + (secondary_intensity_ratio - 1) * is_secondary``.
    """
    for sector in SECTORS:
        if f"is_{sector}" in m.params:
            continue
        m.param(f"is_{sector}", {label: float(label == sector) for label in SECTORS},
                dims=("sector",), units="dimensionless", bounds=(0.0, 1.0),
                doc=f"1 for the {sector} sector, 0 for the others",
                source=f"data: the three-sector classification of {DATA_FILE} "
                       "(columns va_primary, va_secondary, va_tertiary)")


def add_plan_switch(m: gysim.Model) -> None:
    """Add `plan_implementation` and `plan_start`, the two parameters every lever reads."""
    m.param("plan_implementation", 0.0, units="fraction", bounds=(0.0, 1.0),
            doc="How far the plan's levers replace 2001-2005 behaviour from plan_start on "
                "(0 = baseline, 1 = the plan's values; between = partial implementation)",
            source="assumption: scenario switch, 0 in baseline and 1 in the plan scenario")
    m.param("plan_start", 2005.0, units="year", bounds=(2005.0, 2010.0),
            doc="Model time at which the plan's levers switch on (t = 2005 is the end of 2005, "
                "so the 2006 flows already follow the plan)",
            source="assumption: the 11th plan covers 2006-2010; see the time convention in models/README.md")


def lever(m: gysim.Model, name: str, value: float, plan_value: float, *, units: str,
          bounds: tuple[float, float], doc: str, source: str, plan_source: str) -> str:
    """Add a time-aware lever: `name` (2001-2005) and `name_plan` (2006 on).

    Adds the aux ``<name>_in_effect`` = ``name`` before ``plan_start`` and
    ``name + plan_implementation * (name_plan - name)`` from then on, and
    returns that aux's name for use in equations.
    """
    m.param(name, value, units=units, bounds=bounds, doc=f"{doc} (2001-2005 and baseline)",
            source=source)
    m.param(f"{name}_plan", plan_value, units=units, bounds=bounds,
            doc=f"{doc} (the plan's value, from plan_start on)", source=plan_source)
    effective = f"{name}_in_effect"
    m.aux(effective, f"{name} + step(plan_implementation * ({name}_plan - {name}), plan_start)",
          units=units, doc=f"{doc}: the value in force (switches at plan_start)",
          source="lever: 2001-2005 value, then the plan's value weighted by plan_implementation")
    return effective


def add_scenarios(m: gysim.Model) -> None:
    """Register the "baseline" and "plan" scenarios."""
    m.scenario("baseline", {"plan_implementation": 0.0},
               doc="2001-2005 behaviour continued: every lever keeps its calibrated 2001-2005 value")
    m.scenario("plan", {"plan_implementation": 1.0},
               doc="the 11th Five-Year Plan's levers from 2006 on (each `<lever>_plan` parameter)")


def fitted_values(path: Path | None = None) -> dict[str, float]:
    """Parameter values stored by the calibration, or {} when there is no file.

    Accepts a flat ``{name: value}`` object, ``{name: {"value": v, ...}}``, or
    either of those under a top-level ``"parameters"`` key.
    """
    path = FITTED_FILE if path is None else Path(path)
    if not path.is_file():
        return {}
    with open(path, encoding="utf-8") as fh:
        raw = json.load(fh)
    if isinstance(raw, dict) and isinstance(raw.get("parameters"), dict):
        raw = raw["parameters"]
    out = {}
    for key, value in raw.items() if isinstance(raw, dict) else ():
        if isinstance(value, dict):
            value = value.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def finish(m: gysim.Model, *, calibrated: bool = True) -> gysim.Model:
    """Register the scenarios and apply the fitted parameter values the model has.

    With ``calibrated=False`` the hand-set defaults stay (the calibration
    script starts from them, so a refit does not depend on an earlier fit).
    """
    add_scenarios(m)
    m.set_names_zh(NAMES_ZH, strict=False)  # the Chinese names, from names_zh.py
    for lang in ("en", "zh"):  # the short names of figures, from names_zh.py
        m.set_short_names(short_names(lang), lang=lang, strict=False)
    fitted = {k: v for k, v in fitted_values().items() if k in m.params} if calibrated else {}
    return m.with_params(fitted) if fitted else m


def add_population_stand_ins(m: gysim.Model) -> None:
    """Town and rural population as exponential trends, for sectors run without population."""
    m.param("urban_population_2000_standin", 182.5, units="1e4 person", bounds=(150.0, 220.0),
            doc="Stand-in: town population at the end of 2000",
            source="assumption: registered population 331.8 x urbanisation 0.55")
    m.param("rural_population_2000_standin", 149.3, units="1e4 person", bounds=(110.0, 180.0),
            doc="Stand-in: rural population at the end of 2000",
            source="assumption: registered population 331.8 x (1 - 0.55)")
    m.param("urban_population_growth_standin", 0.03, units="1/year", bounds=(0.0, 0.06),
            doc="Stand-in: growth of the town population",
            source="assumption: 1.1 %/yr total growth plus 1 point/yr of urbanisation")
    m.param("rural_population_growth_standin", -0.012, units="1/year", bounds=(-0.05, 0.02),
            doc="Stand-in: growth of the rural population",
            source="assumption: consistent with urban_population_growth_standin and 1.1 %/yr "
                   "in total")
    m.aux("urban_population", "urban_population_2000_standin * exp(urban_population_growth_standin"
          " * (time - 2000))", units="1e4 person",
          doc="Stand-in for the population sector: town population")
    m.aux("rural_population", "rural_population_2000_standin * exp(rural_population_growth_standin"
          " * (time - 2000))", units="1e4 person",
          doc="Stand-in for the population sector: rural population")


def add_primary_output_stand_in(m: gysim.Model) -> None:
    """Primary value added (2000 prices) as an exponential trend, for sectors run without economy."""
    m.param("va_primary_real_2000_standin", 24.1762, units="1e8 yuan/year", bounds=(20.0, 30.0),
            doc="Stand-in: primary value added in 2000",
            source=f"data: {DATA_FILE} column va_primary (2000)")
    m.param("primary_growth_standin", 0.053, units="1/year", bounds=(0.0, 0.12),
            doc="Stand-in: real growth of primary value added",
            source="assumption: the economy sector's fitted primary_growth")
    m.aux("va_primary_real", "va_primary_real_2000_standin * exp(primary_growth_standin"
          " * (time - 2000))", units="1e8 yuan/year",
          doc="Stand-in for the economy sector: primary value added, 2000 prices")
