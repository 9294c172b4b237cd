"""The 11th plan's targets and the 2000-2005 observations, in the model's terms.

``targets()`` turns the rows of ``calibration/data/targets_11th_fyp.csv`` that
the Guiyang model covers into :class:`gysim.Target` objects: which variable
measures each, in which form (value in 2010, growth or change 2005-2010, sum
2006-2010) and with which scale factor. ``observations()`` reads the
2000-2005 statistics with the model's variable names, for calibration and
plots. ``stored_levers()`` reads the plan levers that
``python -m gysim_models.plan_levers`` found (``plan_levers.json``), which
the coupled model's ``plan`` scenario uses.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import gysim

DATA_DIR = Path(__file__).resolve().parent.parent / "calibration" / "data"
TARGETS_FILE = DATA_DIR / "targets_11th_fyp.csv"
OUTCOMES_FILE = DATA_DIR / "outcomes_10th_fyp.csv"
ANNUAL_FILE = DATA_DIR / "guiyang_annual_2000_2005.csv"
#: The plan levers found by ``python -m gysim_models.plan_levers`` (written by it).
LEVERS_FILE = Path(__file__).resolve().parent / "plan_levers.json"

#: Column of the annual statistics -> model variable.
OBSERVED = {
    "gdp_nominal": "gdp",
    "va_primary": "va_primary",
    "va_secondary": "va_secondary",
    "va_tertiary": "va_tertiary",
    "registered_population": "population",
}


def _max_natural_growth_per_mille(ds):
    """Highest natural growth rate of 2006-2010, in per mille."""
    rate = ds["natural_growth_rate"].sel(time=slice(2006, 2010))
    return rate.max("time") * 1000


def _share(variable):
    def share(ds):
        return 100 * ds[variable].sel(time=2010) / ds["gdp"].sel(time=2010)
    share.__doc__ = f"{variable} as a percent of GDP in 2010"
    return share


#: Plan indicator -> how the model measures it (see gysim.load_targets).
MAPPING = {
    "gdp_2010": ("value", "gdp", (2010,)),
    "gdp_per_capita_2010": ("value", "gdp_per_capita_usd", (2010,)),
    "gdp_real_growth_2006_2010": ("growth", "gdp_real", (2005, 2010)),
    "industrial_value_added_2010": ("value", "va_industry", (2010,)),
    "industrial_value_added_growth_2006_2010": ("growth", "va_industry_real", (2005, 2010)),
    "primary_value_added_growth_2006_2010": {"form": "growth", "variable": "va_primary_real",
                                             "years": (2005, 2010), "kind": "about"},
    "fixed_asset_investment_growth_2006_2010": ("growth", "fixed_asset_investment", (2005, 2010)),
    "fixed_asset_investment_cumulative_2006_2010": ("cumulative", "fixed_asset_investment",
                                                    (2006, 2010)),
    "natural_growth_rate_2006_2010": {"func": _max_natural_growth_per_mille},
    "total_population_2010": ("value", "population", (2010,)),
    "urbanization_rate_2010": ("value", "urbanization_rate", (2010,), 100),
    "urban_jobs_created_cumulative_2006_2010": ("value", "urban_jobs_created", (2010,)),
    "urban_registered_unemployment_2006_2010": {"form": "value", "variable":
                                                "registered_unemployment_rate",
                                                "years": (2010,), "scale": 100},
    "rural_surplus_labor_transferred_cumulative_2006_2010": ("value", "rural_labor_transferred",
                                                             (2010,)),
    "rural_non_farm_labor_share_2010": {"form": "value", "variable": "rural_nonfarm_share",
                                        "years": (2010,), "scale": 100, "kind": "about"},
    "energy_per_gdp_2010_vs_2005": ("percent_change", "energy_intensity", (2005, 2010)),
    "industrial_water_per_value_added_2010": ("value", "industrial_water_intensity", (2010,)),
    "urban_sewage_treatment_rate_2010": ("value", "sewage_treatment_rate", (2010,), 100),
}

#: The 2010 sector structure (4.4 : 51.7 : 43.9) as three "about" targets.
STRUCTURE = {"primary": 4.4, "secondary": 51.7, "tertiary": 43.9}


def targets(model: gysim.Model | None = None) -> list[gysim.Target]:
    """The plan's targets the model covers (only those whose variables it has).

    Examples
    --------
    >>> len(targets()) > 10  # doctest: +SKIP
    True
    """
    found = gysim.load_targets(TARGETS_FILE, MAPPING)
    for sector, value in STRUCTURE.items():
        found.append(gysim.Target(f"sector_structure_2010_{sector}", value, "about",
                                  func=_share(f"va_{sector}"), tolerance=0.05,
                                  units="percent of GDP",
                                  source="三次产业结构调整为4.4：51.7：43.9"))
    if model is None:
        return found
    known = set(model.elements)
    return [t for t in found if t.variable is None or t.variable in known]


def observations() -> pd.DataFrame:
    """2000-2005 statistics indexed by year, columns named as model variables.

    Besides the published columns, ``gdp_real`` (GDP at 2000 prices) is
    derived from them: nominal GDP of 2000, chained forward with each year's
    published real growth rate (column ``gdp_real_growth``).

    Examples
    --------
    >>> observations().loc[2005, "gdp"]  # doctest: +SKIP
    525.6159
    """
    raw = pd.read_csv(ANNUAL_FILE, index_col="year")
    frame = raw[list(OBSERVED)].rename(columns=OBSERVED).astype(float)
    frame.index = frame.index.astype(float)
    growth = 1 + raw["gdp_real_growth"].to_numpy(dtype=float) / 100
    growth[0] = 1.0
    frame["gdp_real"] = raw["gdp_nominal"].iloc[0] * np.cumprod(growth)
    return frame.replace([np.inf, -np.inf], np.nan)


def plan_investment_path() -> pd.Series:
    """Yearly fixed-asset investment 2001-2005 implied by the plan's review.

    The plan reports investment of "over 1220亿元" in total over 2001-2005,
    growing 24.8 % a year (outcomes_10th_fyp.csv). A path growing at that rate
    and summing to that total is ``I_2001 * 1.248 ** (t - 2001)`` with
    ``I_2001 = 1220 / sum(1.248 ** k, k = 0..4)``.

    Examples
    --------
    >>> round(float(plan_investment_path().sum()), 6)  # doctest: +SKIP
    1220.0
    """
    rows = pd.read_csv(OUTCOMES_FILE, index_col="indicator")
    row = rows.loc["fixed_asset_investment_cumulative_2001_2005"]
    total, growth = float(row["value_2005"]), 1 + float(row["avg_annual_growth_2001_2005_pct"]) / 100
    years = np.arange(2001, 2006)
    first = total / np.sum(growth ** np.arange(5))
    return pd.Series(first * growth ** (years - 2001), index=years.astype(float),
                     name="fixed_asset_investment")


def stored_levers(path: Path | str | None = None) -> dict[str, float]:
    """The plan levers ``python -m gysim_models.plan_levers`` wrote: ``{"<lever>_plan": value}``.

    Reads the ``"levers"`` object of `path` (default :data:`LEVERS_FILE`).
    A missing file gives ``{}`` with a warning (the plan scenario then keeps
    the hand-solved levers of the sector modules).

    Raises
    ------
    gysim.DataError
        If the file holds no ``"levers"`` object of numbers, or a name that
        is not a plan lever (``..._plan``).

    Examples
    --------
    >>> sorted(stored_levers())[:2]  # doctest: +SKIP
    ['birth_rate_plan', 'employment_elasticity_plan']
    """
    path = LEVERS_FILE if path is None else Path(path)
    if not path.is_file():
        warnings.warn(f"{path} is missing: the plan scenario keeps the hand-solved levers; "
                      f"run python -m gysim_models.plan_levers to find the optimised ones",
                      UserWarning, stacklevel=2)
        return {}
    with open(path, encoding="utf-8") as fh:
        try:
            raw = json.load(fh)
        except json.JSONDecodeError as err:
            raise gysim.DataError(f"{path} is not valid JSON: {err}") from None
    levers = raw.get("levers") if isinstance(raw, dict) else None
    if not isinstance(levers, dict) or not levers:
        raise gysim.DataError(f"{path} must hold an object \"levers\" of lever names and values")
    out = {}
    for name, value in levers.items():
        if not str(name).endswith("_plan"):
            raise gysim.DataError(f"{path}: '{name}' is not a plan lever (a '<lever>_plan' "
                                  f"parameter)")
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not np.isfinite(value):
            raise gysim.DataError(f"{path}: the value of '{name}' must be a finite number, "
                                  f"got {value!r}")
        out[str(name)] = float(value)
    return out
