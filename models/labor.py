"""Labour sector: rural surplus labour transfer and the urban labour market.

Rural labour is split into ``farm_labor`` and ``rural_nonfarm_labor``
(rural labourers in local non-farm work or migrant work). Surplus farm
labour, what farming does not need given its output and productivity, is
transferred to non-farm work (``labor_transfer``); some rural non-farm
workers settle in towns (``labor_settlement``) and join the urban job
seekers. In towns, ``urban_employed`` move toward the employment that
non-primary output demands (``desired_urban_employment``, growing with
output growth times an employment elasticity, a plan lever), hiring from
``urban_unemployed``; the registered unemployed also leave the register for
informal work. New labour comes from the population's natural increase and
in-migration (times the participation rate).
"""

from __future__ import annotations

import gysim

from . import _common
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, targets  # noqa: F401

L = "1e4 person"
LY = "1e4 person/year"


def add_stand_ins(m: gysim.Model) -> None:
    """What the population and economy sectors supply when coupled, as simple trends."""
    _common.add_population_stand_ins(m)
    _common.add_primary_output_stand_in(m)
    m.param("natural_growth_rate_standin", 0.0065, units="1/year", bounds=(0.0, 0.015),
            doc="Stand-in: natural growth rate of both populations",
            source="assumption: as the population sector's birth_rate - death_rate")
    m.param("net_migration_rate_standin", 0.0045, units="1/year", bounds=(-0.005, 0.02),
            doc="Stand-in: registered net in-migration per person per year",
            source="assumption: as the population sector's net_migration_rate")
    m.param("nonprimary_growth_standin", 0.126, units="1/year", bounds=(0.05, 0.25),
            doc="Stand-in: real growth of non-primary value added",
            source="assumption: as in the coupled model's 2000-2005 run (GDP grew 12.8 %/yr)")
    m.aux("urban_natural_increase", "natural_growth_rate_standin * urban_population", units=LY,
          doc="Stand-in for the population sector: births less deaths in towns")
    m.aux("rural_natural_increase", "natural_growth_rate_standin * rural_population", units=LY,
          doc="Stand-in for the population sector: births less deaths in the countryside")
    m.aux("net_in_migration", "net_migration_rate_standin * (urban_population + rural_population)",
          units=LY, doc="Stand-in for the population sector: registered net in-migration")
    m.aux("va_nonprimary_growth_rate", "nonprimary_growth_standin", units="1/year",
          doc="Stand-in for the economy sector: relative growth of non-primary value added")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the labour sector to `m` (with stand-ins for its inputs if `standalone`).

    Reads ``urban_population``, ``rural_population``, ``urban_natural_increase``,
    ``rural_natural_increase``, ``net_in_migration`` (population sector) and
    ``va_primary_real``, ``va_nonprimary_growth_rate`` (economy sector); supplies
    ``labor_settlement`` (to population) and ``nonfarm_labor``,
    ``nonfarm_labor_growth`` (to economy).
    """
    if standalone:
        add_stand_ins(m)
    m.param("labor_participation_rate", 0.6, units="fraction", bounds=(0.5, 0.72),
            doc="Labour force per resident",
            source="assumption: working-age share about 0.7 times participation about 0.85")
    m.param("rural_nonfarm_share_2000", 0.28, units="fraction", bounds=(0.15, 0.4),
            doc="Share of rural labour in non-farm work at the end of 2000",
            source="assumption: no city series; a little over a quarter, rising to a third by "
                   "2005 (see transfer_rate), below the plan's 40 % for 2010")
    m.param("farm_surplus_share_2000", 0.3, units="fraction", bounds=(0.1, 0.5),
            doc="Share of farm labour that farming did not need in 2000",
            source="assumption: estimates of rural surplus labour in western China around 2000 "
                   "run from a fifth to a half")
    m.param("farm_productivity_growth", 0.08, units="1/year", bounds=(0.02, 0.12),
            doc="Growth of value added per needed farm worker",
            source="assumption: Chinese agricultural labour productivity grew 5-10 %/yr in the 2000s")
    transfer = _common.lever(
        m, "transfer_rate", 0.121, 0.2871, units="1/year", bounds=(0.0, 1.0),
        doc="Share of surplus farm labour moving to non-farm work per year",
        source="assumption: no city series; set so non-farm work reaches a third of rural "
               "labour in 2005 (about 22 000 transfers a year)",
        plan_source="plan: 到2010年，从事非农产业劳动力人数占农村劳动力总数的40% (training and "
                    "organised migrant work; the value that reaches 40 % in 2010, transferring "
                    "well over the 转移农村富余劳动力10万人以上)")
    settle = _common.lever(
        m, "settlement_rate", 0.062, 0.1081, units="1/year", bounds=(0.0, 0.5),
        doc="Share of rural non-farm workers settling in towns per year",
        source="assumption: no city series; set so urbanisation reaches 0.60 in 2005 (about "
               "1 point a year) with persons_per_settling_worker",
        plan_source="plan: 城镇化水平提高到68%左右 (household registration reform; the value "
                    "that reaches about 68 % urbanisation in 2010)")
    m.param("urban_employment_2000", 100.0, units=L, bounds=(70.0, 130.0),
            doc="Urban employment at the end of 2000 (formal units, private and self-employed)",
            source="assumption: above formal-unit employment (data column unit_employment, "
                   "54.9 in 2000), about 0.55 of the town population")
    m.param("unemployment_rate_2000", 0.04, units="fraction", bounds=(0.025, 0.06),
            doc="Registered urban unemployment rate at the end of 2000",
            source="assumption: provincial capitals reported 3-5 % around 2000")
    elasticity = _common.lever(
        m, "employment_elasticity", 0.18, 0.2481, units="dimensionless", bounds=(0.05, 0.6),
        doc="Relative growth of the urban employment demanded per relative growth of "
            "non-primary output",
        source="assumption: Chinese urban employment elasticities of the 2000s, 0.1-0.4",
        plan_source="plan: 鼓励发展就业容量大的劳动密集型产业、服务业和中小企业 (labour-intensive "
                    "industries, services and small firms; the value that adds about 200 000 "
                    "urban jobs in 2006-2010)")
    m.param("hiring_time", 0.5, units="year", bounds=(0.1, 2.0),
            doc="Time to close the gap between demanded and actual urban employment",
            source="assumption: hiring takes months, not years")
    m.param("separation_rate", 0.05, units="1/year", bounds=(0.01, 0.15),
            doc="Urban jobs lost per job per year",
            source="assumption: lay-offs and quits of the early 2000s restructuring")
    m.param("job_search_time", 0.25, units="year", bounds=(0.05, 1.0),
            doc="Shortest time to hire the registered unemployed (caps hiring)",
            source="assumption: a few months")
    m.param("register_exit_rate", 0.27, units="1/year", bounds=(0.1, 1.0),
            doc="Registered unemployed leaving the register (informal work, leaving the labour "
                "force) per person per year",
            source="assumption: set so the registered unemployment rate stays near its 2000 level "
                   "in 2001-2005")

    m.stock("farm_labor", "labor_participation_rate * rural_population * (1 - rural_nonfarm_share_2000)",
            units=L, doc="Rural labour working on farms",
            source="initial: participation x rural population x farm share")
    m.stock("rural_nonfarm_labor", "labor_participation_rate * rural_population * rural_nonfarm_share_2000",
            units=L, doc="Rural labour in non-farm work (local enterprises or migrant work)",
            source="initial: participation x rural population x non-farm share")
    m.stock("urban_employed", "urban_employment_2000", units=L, doc="Urban employment")
    m.stock("urban_unemployed", "urban_employment_2000 * unemployment_rate_2000"
            " / (1 - unemployment_rate_2000)", units=L, doc="Registered urban unemployed")
    m.stock("rural_labor_transferred", 0.0, units=L,
            doc="Surplus rural labour transferred to non-farm work since the end of 2005")
    m.stock("urban_jobs_created", 0.0, units=L,
            doc="Net increase of urban employment since the end of 2005")

    m.aux("farm_labor_required",
          "initial(farm_labor) * (1 - farm_surplus_share_2000) * va_primary_real"
          " / initial(va_primary_real) * exp(-farm_productivity_growth * (time - 2000))",
          units=L, doc="Farm labour that farming needs for its output")
    m.aux("surplus_farm_labor", "max(0, farm_labor - farm_labor_required)", units=L,
          doc="Farm labour farming does not need")
    m.stock("desired_urban_employment", "urban_employment_2000", units=L,
            doc="Urban employment that non-primary output demands",
            source="initial: urban employment in 2000 (no excess demand)")
    m.flow("employment_demand_growth",
           f"{elasticity} * va_nonprimary_growth_rate * desired_urban_employment",
           into="desired_urban_employment", units=LY,
           doc="Growth of the employment demanded, elasticity times output growth")

    m.flow("rural_labor_entry", "labor_participation_rate * rural_natural_increase",
           into="farm_labor", units=LY, doc="Net new rural labour from natural increase")
    m.flow("labor_transfer", f"{transfer} * surplus_farm_labor", out_of="farm_labor",
           into="rural_nonfarm_labor", units=LY, doc="Surplus farm labour moving to non-farm work")
    m.flow("labor_settlement", f"{settle} * rural_nonfarm_labor", out_of="rural_nonfarm_labor",
           into="urban_unemployed", units=LY,
           doc="Rural non-farm workers settling in towns and seeking urban jobs")
    m.flow("urban_labor_entry", "labor_participation_rate * (urban_natural_increase + net_in_migration)",
           into="urban_unemployed", units=LY,
           doc="Net new urban labour from natural increase and registered in-migration")
    m.flow("separations", "separation_rate * urban_employed", out_of="urban_employed",
           into="urban_unemployed", units=LY, doc="Urban jobs lost")
    m.flow("hires", "min(max(0, (desired_urban_employment - urban_employed) / hiring_time"
           " + separations), urban_unemployed / job_search_time)", out_of="urban_unemployed",
           into="urban_employed", units=LY, doc="Registered unemployed taking urban jobs")
    m.flow("register_exit", "register_exit_rate * urban_unemployed", out_of="urban_unemployed",
           units=LY, doc="Registered unemployed leaving the register")
    m.flow("transfer_accounting", f"labor_transfer * step(1, {_common.PLAN_ACCOUNTING_START})",
           into="rural_labor_transferred", units=LY,
           doc="Transfers counted toward the 2006-2010 total")
    m.flow("job_creation_accounting",
           f"(hires - separations) * step(1, {_common.PLAN_ACCOUNTING_START})",
           into="urban_jobs_created", units=LY,
           doc="Net urban job creation counted toward the 2006-2010 total")

    m.aux("rural_labor_force", "farm_labor + rural_nonfarm_labor", units=L, doc="Rural labour force")
    m.aux("rural_nonfarm_share", "rural_nonfarm_labor / rural_labor_force", units="fraction",
          doc="Share of rural labour in non-farm work")
    m.aux("urban_labor_force", "urban_employed + urban_unemployed", units=L,
          doc="Urban labour force on the register (employed plus registered unemployed)")
    m.aux("registered_unemployment_rate", "urban_unemployed / urban_labor_force", units="fraction",
          doc="Registered urban unemployment rate")
    m.aux("nonfarm_labor", "urban_employed + rural_nonfarm_labor", units=L,
          doc="Labour in secondary and tertiary work (urban employed and rural non-farm)")
    m.aux("nonfarm_labor_growth", "(hires - separations + labor_transfer - labor_settlement)"
          " / nonfarm_labor", units="1/year", doc="Relative growth rate of nonfarm_labor")


def build(calibrated: bool = True) -> gysim.Model:
    """The labour sector alone, with population and output following fixed trends."""
    m = _common.new_model("labor", "Guiyang rural labour transfer and urban labour market, "
                                   "2000-2010 (standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
