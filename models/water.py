"""Water sector: water use by user and urban sewage treatment.

Industrial water use is a technical coefficient (m3 per 1e4 yuan of
industrial value added at 2000 prices, a stock falling with water-saving
effort, the plan's lever) times real industrial output, so industrial
structure drives industrial water use. Domestic use follows the urban and
rural populations, agricultural use follows primary output. Sewage from
towns is treated up to the capacity of the treatment plants, a stock built
up by construction (the plan's lever).
"""

from __future__ import annotations

import gysim

from . import _common
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, targets  # noqa: F401

W = "1e8 m3/year"
CAP = "1e4 m3/day"


def add_stand_ins(m: gysim.Model) -> None:
    """What the economy and population sectors supply when coupled, as simple trends."""
    _common.add_population_stand_ins(m)
    _common.add_primary_output_stand_in(m)
    m.param("va_industry_2000_standin", 114.5, units="1e8 yuan/year", bounds=(90.0, 130.0),
            doc="Stand-in: industrial value added in 2000",
            source=f"data: {_common.DATA_FILE} column va_secondary (2000) x 0.85")
    m.param("industry_growth_standin", 0.116, units="1/year", bounds=(0.0, 0.25),
            doc="Stand-in: real growth of industrial value added",
            source="assumption: as in the coupled model's 2000-2005 run")
    m.param("inflation_standin", 0.014, units="1/year", bounds=(-0.02, 0.08),
            doc="Stand-in: growth of the GDP deflator",
            source="assumption: as the economy sector's fitted inflation_rate")
    m.aux("va_industry_real", "va_industry_2000_standin * exp(industry_growth_standin"
          " * (time - 2000))", units="1e8 yuan/year",
          doc="Stand-in for the economy sector: industrial value added, 2000 prices")
    m.aux("price_level", "exp(inflation_standin * (time - 2000))", units="dimensionless",
          doc="Stand-in for the economy sector: GDP deflator, 2000 = 1")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the water sector to `m` (with stand-ins for its inputs if `standalone`).

    Reads ``va_industry_real``, ``price_level``, ``va_primary_real`` (economy
    sector), ``urban_population`` and ``rural_population`` (population sector).
    """
    if standalone:
        add_stand_ins(m)
    m.param("industrial_water_coefficient_2000", 120.0, units="m3/1e4 yuan", bounds=(60.0, 200.0),
            doc="Industrial water use per 10 000 yuan of industrial value added in 2000",
            source="assumption: no city series; Chinese cities reported 100-250 m3 per 1e4 yuan "
                   "around 2000 (higher with thermal power); the plan's 40 for 2010 implies a "
                   "steep fall")
    efficiency = _common.lever(
        m, "water_efficiency_rate", 0.05, 0.1402, units="1/year", bounds=(0.0, 0.25),
        doc="Yearly relative fall of the industrial water coefficient (recycling, new plant)",
        source="assumption: Chinese industrial water intensity fell about 5-8 %/yr in real terms "
               "in 2001-2005",
        plan_source="plan: 万元工业增加值用水量降至40立方米/万元 (the rate that brings the "
                    "current-price intensity to about 40 in 2010)")
    m.param("urban_water_per_capita", 0.2, units="m3/person/day", bounds=(0.12, 0.3),
            doc="Domestic and public water use per town resident",
            source="assumption: Chinese cities used 150-250 litres per person a day around 2005")
    m.param("rural_water_per_capita", 0.06, units="m3/person/day", bounds=(0.03, 0.1),
            doc="Domestic water use per rural resident",
            source="assumption: 40-100 litres per person a day in rural southwest China")
    m.param("agricultural_water_2000", 3.0, units=W, bounds=(1.5, 5.0),
            doc="Agricultural water use in 2000",
            source="assumption: irrigation is modest in karst Guiyang; a third of total use")
    m.param("irrigation_efficiency_rate", 0.03, units="1/year", bounds=(0.0, 0.08),
            doc="Yearly relative fall of water use per unit of primary output",
            source="assumption: water-saving irrigation spread slowly")
    m.param("sewage_return_factor", 0.8, units="fraction", bounds=(0.6, 0.9),
            doc="Share of urban domestic water returned as sewage",
            source="assumption: the usual design value 0.7-0.9")
    m.param("sewage_capacity_2000", 10.0, units=CAP, bounds=(3.0, 25.0),
            doc="Urban sewage treatment capacity at the end of 2000",
            source="assumption: about a third of urban sewage treated in 2000; no city series")
    m.param("sewage_capacity_utilization", 0.9, units="fraction", bounds=(0.6, 1.0),
            doc="Share of treatment capacity actually used (network coverage, load)",
            source="assumption: new Chinese plants often ran below capacity for want of sewers")
    construction = _common.lever(
        m, "sewage_capacity_construction", 1.5, 2.819, units=f"{CAP}/year", bounds=(0.0, 10.0),
        doc="Sewage treatment capacity built per year",
        source="assumption: treatment rate near 45 % in 2005",
        plan_source="plan: 城市生活污水集中处理率提高到70%以上 and 到2010年，每个县城都要建设"
                    "污水处理厂 (the build-out that reaches 70 % in 2010)")

    m.stock("industrial_water_coefficient", "industrial_water_coefficient_2000", units="m3/1e4 yuan",
            doc="Industrial water use per 1e4 yuan of industrial value added, 2000 prices")
    m.flow("water_efficiency_gain", f"{efficiency} * industrial_water_coefficient",
           out_of="industrial_water_coefficient", units="m3/1e4 yuan/year",
           doc="Fall of the industrial water coefficient")
    m.stock("sewage_capacity", "sewage_capacity_2000", units=CAP,
            doc="Urban sewage treatment capacity")
    m.flow("sewage_capacity_added", construction, into="sewage_capacity", units=f"{CAP}/year",
           doc="Treatment capacity built")

    m.aux("industrial_water_use", "industrial_water_coefficient * va_industry_real / 10000",
          units=W, doc="Industrial water use")
    m.aux("industrial_water_intensity", "industrial_water_coefficient / price_level",
          units="m3/1e4 yuan", doc="Industrial water use per 1e4 yuan of industrial value added, "
                                   "current prices (the plan's indicator)")
    m.aux("urban_domestic_water_use", "urban_water_per_capita * 365 * urban_population / 10000",
          units=W, doc="Domestic and public water use in towns")
    m.aux("rural_domestic_water_use", "rural_water_per_capita * 365 * rural_population / 10000",
          units=W, doc="Domestic water use in the countryside")
    m.aux("agricultural_water_use", "agricultural_water_2000 * va_primary_real / initial(va_primary_real)"
          " * exp(-irrigation_efficiency_rate * (time - 2000))", units=W,
          doc="Agricultural water use")
    m.aux("water_use", "industrial_water_use + urban_domestic_water_use + rural_domestic_water_use"
          " + agricultural_water_use", units=W, doc="Total water use")
    m.aux("sewage_generation", "sewage_return_factor * urban_water_per_capita * urban_population",
          units=CAP, doc="Urban domestic sewage")
    m.aux("sewage_treated", "min(sewage_generation, sewage_capacity_utilization * sewage_capacity)",
          units=CAP, doc="Urban sewage treated in plants")
    m.aux("sewage_treatment_rate", "sewage_treated / sewage_generation", units="fraction",
          doc="Share of urban domestic sewage treated in plants")


def build(calibrated: bool = True) -> gysim.Model:
    """The water sector alone, with output and population following fixed trends."""
    m = _common.new_model("water", "Guiyang water use and urban sewage treatment, 2000-2010 "
                                   "(standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
