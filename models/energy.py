"""Energy sector: energy intensity from economic structure, technology and energy-saving capital.

Each sector has a technical energy intensity (tce per 1e4 yuan of value
added, 2000 prices; ``energy_intensity_tech`` over the ``sector``
dimension), secondary output ``secondary_intensity_ratio`` times as intensive
as primary and tertiary output, falling by an autonomous efficiency gain.
Energy-saving investment (a share of fixed-asset investment, the plan's
lever) builds ``energy_saving_capital``; that investment is diverted from
productive capital (economy sector reads ``energy_saving_investment``).
Energy saving retrofits the productive capital stock, so the fraction of
energy it saves depends on energy-saving capital per unit of productive
capital, with diminishing returns: ``1 - exp(-K_saving / (scale * K))``,
the first savings costing ``energy_saving_cost`` per tce of yearly savings.
Energy use is the sum over sectors of intensity times real value added
times one less that fraction, and ``energy_intensity`` is energy use per
unit of real GDP, so a rising secondary share raises it.
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
    m.param("capital_output_ratio_standin", 2.5, units="year", bounds=(1.5, 4.0),
            doc="Stand-in: productive capital per unit of real GDP",
            source="assumption: as the economy sector's capital_output_ratio_2000")
    m.param("inflation_rate_standin", 0.015, units="1/year", bounds=(-0.02, 0.08),
            doc="Stand-in: growth of the GDP deflator",
            source="assumption: as the economy sector's fitted inflation_rate")
    m.aux("productive_capital", "capital_output_ratio_standin * gdp_real", units="1e8 yuan",
          doc="Stand-in for the economy sector: productive capital, 2000 prices")
    m.aux("price_level", "exp(inflation_rate_standin * (time - 2000))", units="dimensionless",
          doc="Stand-in for the economy sector: GDP deflator, 2000 = 1")
    m.aux("fixed_asset_investment", "fixed_asset_investment_2000_standin * exp(fai_growth_standin * (time - 2000))",
          units="1e8 yuan/year", doc="Stand-in for the economy sector: fixed-asset investment")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the energy sector to `m` (with stand-ins for its inputs if `standalone`).

    Reads ``gdp_real``, ``value_added_real`` (over ``sector``),
    ``fixed_asset_investment``, ``productive_capital`` and ``price_level``
    (economy sector); supplies ``energy_saving_investment`` (to economy).
    """
    if standalone:
        add_stand_ins(m)
    _common.add_sector_indicators(m)
    m.param("energy_intensity_2000", 3.0, units=EI, bounds=(2.0, 4.5),
            doc="Energy use per 10 000 yuan of GDP in 2000",
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
    m.param("energy_saving_depreciation_rate", 0.06, units="1/year", bounds=(0.03, 0.12),
            doc="Energy-saving capital worn out per unit per year",
            source="assumption: as productive capital (boilers, motors, kilns: 10-30 years)")
    saving = _common.lever(
        m, "energy_saving_investment_share", 0.0, 0.07341, units="fraction", bounds=(0.0, 0.15),
        doc="Share of fixed-asset investment spent on energy saving",
        source="assumption: no dedicated energy-saving programme before the 11th plan; the "
               "range allows up to 15 % of all investment, about twice what the plan needs",
        plan_source="plan: 万元生产总值综合能耗比“十五”期末下降20% (the share that, with the "
                    "cost below and the plan's other levers, brings intensity 20 % under its "
                    "2005 level in 2010; calibration/solve_plan_levers.py)")
    m.param("energy_saving_cost", 0.25, units="1e8 yuan/(1e4 tce/year)", bounds=(0.1, 0.6),
            doc="Investment per unit of yearly energy savings for the first (cheapest) "
                "savings at 2000 intensity and capital (2 500 yuan per tce a year)",
            source="assumption: Chinese energy-saving projects of the 11th plan cost 1 500-4 000 "
                   "yuan per tce of yearly savings")

    m.aux("relative_energy_intensity", "1 + (secondary_intensity_ratio - 1) * is_secondary",
          units="dimensionless", dims=("sector",),
          doc="Technical energy intensity of each sector relative to primary and tertiary output")
    m.stock("energy_intensity_tech",
            "energy_intensity_2000 * relative_energy_intensity * gdp_real"
            " / sum(relative_energy_intensity * value_added_real, sector)",
            units=EI, dims=("sector",),
            doc="Technical energy intensity of each sector (per 10 000 yuan of its value added, "
                "2000 prices)",
            source="initial: reproduces energy_intensity_2000 with the 2000 structure")
    m.stock("energy_saving_capital", 0.0, units="1e8 yuan",
            doc="Energy-saving capital (retrofits of the productive capital), 2000 prices")
    m.aux("energy_saving_investment", f"{saving} * fixed_asset_investment", units="1e8 yuan/year",
          doc="Investment in energy saving, diverted from productive investment")
    m.flow("energy_saving_capital_formation", "energy_saving_investment / price_level",
           into="energy_saving_capital", units="1e8 yuan/year",
           doc="Energy-saving investment, 2000 prices")
    m.flow("energy_saving_capital_depreciation",
           "energy_saving_depreciation_rate * energy_saving_capital",
           out_of="energy_saving_capital", units="1e8 yuan/year",
           doc="Energy-saving capital worn out")
    m.aux("energy_use_potential", "sum(energy_intensity_tech * value_added_real, sector)",
          units="1e4 tce/year", doc="Energy use without the savings of energy-saving capital")
    m.aux("energy_saving_capital_scale",
          "energy_saving_cost * initial(energy_use_potential) / initial(productive_capital)",
          units="dimensionless",
          doc="Energy-saving capital per unit of productive capital that saves 1 - 1/e of its "
              "energy (so the first savings cost energy_saving_cost at 2000 intensity and "
              "capital)")
    m.aux("energy_saving_fraction",
          "1 - exp(-energy_saving_capital / (energy_saving_capital_scale * productive_capital))",
          units="fraction",
          doc="Fraction of energy use saved by energy-saving capital (diminishing returns in "
              "its coverage of the productive capital)")
    m.aux("energy_use_by_sector",
          "energy_intensity_tech * (1 - energy_saving_fraction) * value_added_real",
          units="1e4 tce/year", dims=("sector",), doc="Energy use by sector")
    m.aux("energy_use", "sum(energy_use_by_sector, sector)", units="1e4 tce/year",
          doc="Total energy use")
    m.aux("energy_intensity", "energy_use / gdp_real", units=EI,
          doc="Energy use per 10 000 yuan of GDP (2000 prices)")
    m.flow("efficiency_gain", "efficiency_gain_rate * energy_intensity_tech",
           out_of="energy_intensity_tech", units=f"{EI}/year", dims=("sector",),
           doc="Autonomous fall of the technical intensities")


def build(calibrated: bool = True) -> gysim.Model:
    """The energy sector alone, with output and investment following fixed trends."""
    m = _common.new_model("energy", "Guiyang energy intensity and use, 2000-2010 (standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
