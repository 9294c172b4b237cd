"""Energy sector: energy intensity from economic structure and technology.

Each sector has a technical energy intensity (tce per 1e4 yuan of value
added, 2000 prices; ``energy_intensity_tech`` over the ``sector``
dimension), secondary output ``secondary_intensity_ratio`` times as intensive
as primary and tertiary output. Energy use is the sum over sectors of
intensity times real value added, and ``energy_intensity`` is energy use per
unit of real GDP, so a rising secondary share raises it. The technical
intensities fall by an autonomous efficiency gain plus the savings that
energy-saving investment (a share of fixed-asset investment, the plan's
lever) buys at a cost per tce of yearly savings.
"""

from __future__ import annotations

import gysim

from . import _common
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, targets  # noqa: F401

EI = "tce/1e4 yuan"


def add_stand_ins(m: gysim.Model) -> None:
    """What the economy sector supplies when coupled, as simple trends."""
    m.param("gdp_real_growth_standin", 0.12, units="1/year", bounds=(0.05, 0.2),
            doc="Stand-in: real GDP growth (continuous rate)",
            source="plan: 全市生产总值预计突破500亿元，年均增长12.8% (ln 1.128 = 0.12)")
    m.param("sector_share_standin", {"primary": 0.078, "secondary": 0.504, "tertiary": 0.418},
            dims=("sector",), units="fraction", bounds=(0.0, 1.0),
            doc="Stand-in: each sector's share of GDP, held constant",
            source=f"data: {_common.DATA_FILE} columns va_primary, va_secondary and va_tertiary "
                   "over gdp_nominal, 2000-2005 means")
    m.param("fai_growth_standin", 0.2215, units="1/year", bounds=(0.0, 0.3),
            doc="Stand-in: growth of fixed-asset investment",
            source="plan: 全社会固定资产投资预计“十五”期间累计超过1220亿元，年均增长24.8% (ln 1.248)")
    m.param("gdp_2000_standin", 264.8113, units="1e8 yuan/year", bounds=(250.0, 280.0),
            doc="Stand-in: GDP in 2000", source=f"data: {_common.DATA_FILE} column gdp_nominal (2000)")
    m.param("fixed_asset_investment_2000_standin", 120.0, units="1e8 yuan/year",
            bounds=(90.0, 150.0), doc="Stand-in: fixed-asset investment in 2000",
            source="plan: 全社会固定资产投资预计“十五”期间累计超过1220亿元，年均增长24.8% "
                   "(implies about 120 in 2000)")
    m.aux("gdp_real", "gdp_2000_standin * exp(gdp_real_growth_standin * (time - 2000))",
          units="1e8 yuan/year", doc="Stand-in for the economy sector: GDP, 2000 prices")
    m.aux("value_added_real", "sector_share_standin * gdp_real", units="1e8 yuan/year",
          dims=("sector",), doc="Stand-in for the economy sector: value added by sector, "
                                "2000 prices")
    m.aux("fixed_asset_investment", "fixed_asset_investment_2000_standin * exp(fai_growth_standin * (time - 2000))",
          units="1e8 yuan/year", doc="Stand-in for the economy sector: fixed-asset investment")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the energy sector to `m` (with stand-ins for its inputs if `standalone`).

    Reads ``gdp_real``, ``value_added_real`` (over ``sector``) and
    ``fixed_asset_investment`` (economy sector).
    """
    if standalone:
        add_stand_ins(m)
    _common.add_sector_indicators(m)
    m.param("energy_intensity_2000", 3.0, units=EI, bounds=(2.0, 4.5),
            doc="Energy use per 1e4 yuan of GDP in 2000",
            source="assumption: no city series; Guizhou province reported 3.25 for 2005 (2005 "
                   "prices), the national mean was 1.22; Guiyang, the capital with aluminium, "
                   "phosphorus and power, is put a little below the province")
    m.param("secondary_intensity_ratio", 4.0, units="dimensionless", bounds=(2.0, 8.0),
            doc="Technical energy intensity of secondary output relative to other output",
            source="assumption: industry uses 3-6 times more energy per yuan than services and "
                   "farming in Chinese input-output tables")
    m.param("efficiency_gain_rate", 0.01, units="1/year", bounds=(0.0, 0.05),
            doc="Autonomous yearly fall of technical energy intensities",
            source="assumption: Chinese energy intensity was roughly flat in 2001-2005; this "
                   "offsets the rise of the secondary share")
    saving = _common.lever(
        m, "energy_saving_investment_share", 0.0, 0.039, units="fraction", bounds=(0.0, 0.06),
        doc="Share of fixed-asset investment spent on energy saving",
        source="assumption: no dedicated energy-saving programme before the 11th plan",
        plan_source="plan: 万元生产总值综合能耗比“十五”期末下降20% (the share that, with the "
                    "cost below, brings intensity 20 % under its 2005 level in 2010)")
    m.param("energy_saving_cost", 0.25, units="1e8 yuan/(1e4 tce/year)", bounds=(0.1, 0.6),
            doc="Investment per unit of yearly energy savings at the 2000 intensity "
                "(2 500 yuan per tce a year)",
            source="assumption: Chinese energy-saving projects of the 11th plan cost 1 500-4 000 "
                   "yuan per tce of yearly savings")

    m.aux("relative_energy_intensity", "1 + (secondary_intensity_ratio - 1) * is_secondary",
          units="dimensionless", dims=("sector",),
          doc="Technical energy intensity of each sector relative to primary and tertiary output")
    m.stock("energy_intensity_tech",
            "energy_intensity_2000 * relative_energy_intensity * gdp_real"
            " / sum(relative_energy_intensity * value_added_real, sector)",
            units=EI, dims=("sector",),
            doc="Technical energy intensity of each sector (per 1e4 yuan of its value added, "
                "2000 prices)",
            source="initial: reproduces energy_intensity_2000 with the 2000 structure")
    m.aux("energy_use_by_sector", "energy_intensity_tech * value_added_real",
          units="1e4 tce/year", dims=("sector",), doc="Energy use by sector")
    m.aux("energy_use", "sum(energy_use_by_sector, sector)", units="1e4 tce/year",
          doc="Total energy use")
    m.aux("energy_intensity", "energy_use / gdp_real", units=EI,
          doc="Energy use per 1e4 yuan of GDP (2000 prices)")
    m.aux("energy_saving_investment", f"{saving} * fixed_asset_investment", units="1e8 yuan/year",
          doc="Investment in energy saving")
    m.aux("energy_saving_cost_effective",
          "energy_saving_cost * energy_intensity_2000 / energy_intensity",
          units="1e8 yuan/(1e4 tce/year)",
          doc="Investment per unit of yearly savings, rising as intensity falls (the cheapest "
              "savings are made first), so intensity approaches zero only asymptotically")
    m.aux("energy_saving_rate",
          "energy_saving_investment / energy_saving_cost_effective / energy_use",
          units="1/year", doc="Yearly fall of intensity bought by energy-saving investment")
    m.aux("energy_efficiency_rate", "efficiency_gain_rate + energy_saving_rate", units="1/year",
          doc="Yearly relative fall of the technical intensities")
    m.flow("efficiency_gain", "energy_efficiency_rate * energy_intensity_tech",
           out_of="energy_intensity_tech", units=f"{EI}/year", dims=("sector",),
           doc="Fall of the technical intensities")


def build(calibrated: bool = True) -> gysim.Model:
    """The energy sector alone, with output and investment following fixed trends."""
    m = _common.new_model("energy", "Guiyang energy intensity and use, 2000-2010 (standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
