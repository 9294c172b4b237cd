"""Population sector: registered population by place of residence (urban, rural).

Stocks ``urban_population`` and ``rural_population`` (1e4 person, year end).
Births and deaths act on each; registered net in-migration from outside the
city joins the urban stock and rises with the city's real growth; rural people
move to towns (``rural_urban_migration``), standalone at a given rate, coupled
as the households of rural workers who settle in towns (labour sector).
"""

from __future__ import annotations

import gysim

from . import _common
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, targets  # noqa: F401

P = "1e4 person"
PY = "1e4 person/year"
DATA = f"data: {_common.DATA_FILE} column"


def add_stand_ins(m: gysim.Model) -> None:
    """What the economy sector supplies when coupled: real GDP growth."""
    m.aux("gdp_real_growth", "reference_gdp_growth", units="fraction/year",
          doc="Stand-in for the economy sector: real GDP growth held at its 2001-2005 average",
          source="stand-in: equals reference_gdp_growth, so migration follows its base rate")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the population sector to `m`.

    With ``standalone=True`` it also adds stand-ins for the other sectors'
    inputs and moves rural people to towns at ``urbanization_migration_rate``;
    coupled, that move is ``persons_per_settling_worker * labor_settlement``
    (labour sector) and net in-migration responds to ``gdp_real_growth``
    (economy sector).
    """
    if standalone:
        add_stand_ins(m)
    m.param("registered_population_2000", 331.80, units=P, bounds=(320.0, 345.0),
            doc="Registered (hukou) population at the end of 2000",
            source=f"{DATA} registered_population (2000)")
    m.param("urbanization_rate_2000", 0.55, units="fraction", bounds=(0.45, 0.65),
            doc="Share of the population living in towns at the end of 2000 (resident basis)",
            source="assumption: no city series for 2000; above the registered non-agricultural "
                   "share (about 0.48 in 2003, data column non_agricultural_population) and "
                   "consistent with the plan's 68 % for 2010 after a decade of about 1 point a year")
    birth = _common.lever(
        m, "birth_rate", 0.0125, 0.01179, units="1/year", bounds=(0.008, 0.018),
        doc="Births per person per year",
        source="assumption: no city series; with death_rate 0.006 gives a natural growth of "
               "6.5 per mille, a little above the plan's ceiling for 2006-2010; range covers "
               "Guizhou city birth rates of the period",
        plan_source="plan: 人口自然增长率控制在6‰以内 (natural growth within 6 per mille: "
                    "birth_rate_plan - death_rate = 5.8 per mille)")
    m.param("death_rate", 0.006, units="1/year", bounds=(0.004, 0.009),
            doc="Deaths per person per year",
            source="assumption: typical urban-rural Chinese crude death rate of the early 2000s")
    m.param("net_migration_rate", 0.0054, units="1/year", bounds=(-0.005, 0.02),
            doc="Registered net in-migration from outside the city per person per year, at the "
                "reference growth",
            source=f"{DATA} registered_population: the 2000-2005 growth (1.1 %/yr) less natural growth")
    m.param("reference_gdp_growth", 0.128, units="fraction/year", bounds=(0.05, 0.2),
            doc="Real GDP growth at which net in-migration runs at net_migration_rate",
            source="plan: 全市生产总值预计突破500亿元，年均增长12.8% (2001-2005 average)")
    m.param("migration_growth_elasticity", 1.0, units="dimensionless", bounds=(0.0, 3.0),
            doc="Relative change of net in-migration per relative change of real GDP growth",
            source="assumption: no data; 0 (migration ignores the economy) to 3 (strong pull)")

    m.stock("urban_population", "registered_population_2000 * urbanization_rate_2000", units=P,
            doc="Registered population living in towns", source="initial: population x urban share")
    m.stock("rural_population", "registered_population_2000 * (1 - urbanization_rate_2000)",
            units=P, doc="Registered population living in the countryside",
            source="initial: population x (1 - urban share)")

    m.flow("births_urban", f"{birth} * urban_population", into="urban_population", units=PY,
           doc="Births to town residents")
    m.flow("births_rural", f"{birth} * rural_population", into="rural_population", units=PY,
           doc="Births to rural residents")
    m.flow("deaths_urban", "death_rate * urban_population", out_of="urban_population", units=PY,
           doc="Deaths of town residents")
    m.flow("deaths_rural", "death_rate * rural_population", out_of="rural_population", units=PY,
           doc="Deaths of rural residents")
    m.aux("migration_attraction",
          "max(0, 1 + migration_growth_elasticity * (gdp_real_growth - reference_gdp_growth)"
          " / reference_gdp_growth)",
          units="dimensionless", doc="Multiplier of net in-migration from the city's real growth")
    m.flow("net_in_migration", "net_migration_rate * migration_attraction * population",
           into="urban_population", units=PY,
           doc="Registered net in-migration from outside the city (settles in towns)")
    if standalone:
        rate = _common.lever(
            m, "urbanization_migration_rate", 0.02, 0.036, units="1/year", bounds=(0.0, 0.1),
            doc="Rural residents moving to towns per rural resident per year",
            source="assumption: gives about 1 point of urbanisation a year in 2001-2005 "
                   "(no city series; the non-agricultural share rose 0.55 points a year 2003-2005)",
            plan_source="plan: 城镇化水平提高到68%左右 (the rate that reaches about 68 % in 2010)")
        m.flow("rural_urban_migration", f"{rate} * rural_population", out_of="rural_population",
               into="urban_population", units=PY, doc="Rural residents moving to towns")
    else:
        m.param("persons_per_settling_worker", 1.6, units="person/person", bounds=(1.0, 2.5),
                doc="Residents moving to town with each rural worker who settles there "
                    "(the worker and dependants)",
                source="assumption: inverse of a labour participation of about 0.6; "
                       "1 (workers move alone) to 2.5 (whole families)")
        m.flow("rural_urban_migration", "persons_per_settling_worker * labor_settlement",
               out_of="rural_population", into="urban_population", units=PY,
               doc="Rural residents moving to towns with the rural workers who settle there")

    m.aux("population", "urban_population + rural_population", units=P,
          doc="Registered population, year end")
    m.aux("urbanization_rate", "urban_population / population", units="fraction",
          doc="Share of the population living in towns (resident basis)")
    m.aux("natural_growth_rate", f"{birth} - death_rate", units="1/year",
          doc="Births less deaths per person per year")
    m.aux("urban_natural_increase", "births_urban - deaths_urban", units=PY,
          doc="Births less deaths in towns")
    m.aux("rural_natural_increase", "births_rural - deaths_rural", units=PY,
          doc="Births less deaths in the countryside")
    m.aux("population_net_inflow", "births_urban + births_rural - deaths_urban - deaths_rural"
          " + net_in_migration", units=PY,
          doc="Net change of the total population (rural-urban moves cancel)")


def build(calibrated: bool = True) -> gysim.Model:
    """The population sector alone, real GDP growth held at its 2001-2005 average."""
    m = _common.new_model("population", "Guiyang registered population by place of residence, "
                                        "2000-2010 (standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
