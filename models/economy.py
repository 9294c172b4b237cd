"""Economy sector: investment, capital by sector and output by sector.

Non-primary real output is Cobb-Douglas in productive capital, ``tfp`` and
non-farm labour. Fixed-asset investment is a share of nominal GDP
(``investment_rate``, drifting logistically toward a ceiling; the drift is
the investment lever), so output drives investment and investment drives
output through capital (a reinforcing loop, limited by depreciation,
diminishing returns to capital and the ceiling). The share of investment
diverted to energy saving (energy sector) adds no productive capital.

Productive capital is a stock over ``sector`` (``capital``; primary capital
is not modelled and stays 0). With one technology in secondary and tertiary
production and labour moving to equal wages, each sector's share of
non-primary output equals its share of capital, so the structure follows
where investment goes. Investment is allocated by relative returns: the
return on services capital relative to industry capital is the relative
price at which the services share of non-primary spending demanded at the
current income per head (``services_demand_share``, rising with the log of
real GDP per head: the Chenery-Syrquin (1975) "patterns of development"
semi-log form of Kuznets' services rise) meets the services share supplied.
Primary real output grows at its own rate. The result is
``value_added_real`` over ``sector``; a single GDP deflator
(``price_level``) turns it into ``value_added`` at current prices.
``va_primary``, ``va_secondary``, ``va_tertiary`` (and their ``*_real``
counterparts) are its elements.
"""

from __future__ import annotations

import gysim

from . import _common
from ._common import uncertain_parameters  # noqa: F401  (provider hooks: gysim.registry)
from ._plan import observations, targets  # noqa: F401

Y = "1e8 yuan/year"
DATA = f"data: {_common.DATA_FILE} column"


def add_stand_ins(m: gysim.Model) -> None:
    """What the labour and population sectors supply when coupled, as simple trends."""
    m.param("nonfarm_labor_2000_standin", 125.0, units="1e4 person", bounds=(80.0, 180.0),
            doc="Stand-in: labour in non-farm work at the end of 2000",
            source="assumption: urban employment about 100 plus rural non-farm labour about 25")
    m.param("nonfarm_labor_growth_standin", 0.02, units="1/year", bounds=(0.0, 0.08),
            doc="Stand-in: growth of non-farm labour",
            source="assumption: as in the coupled model's 2000-2005 run, about 2 %/yr")
    m.param("population_growth_standin", 0.011, units="1/year", bounds=(0.0, 0.03),
            doc="Stand-in: growth of the registered population",
            source=f"{DATA} registered_population: 331.80 (2000) to 350.66 (2005), 1.1 %/yr")
    m.param("registered_population_2000_standin", 331.80, units="1e4 person",
            bounds=(320.0, 345.0), doc="Stand-in: registered population at the end of 2000",
            source=f"{DATA} registered_population (2000)")
    m.aux("nonfarm_labor", "nonfarm_labor_2000_standin * exp(nonfarm_labor_growth_standin"
          " * (time - 2000))", units="1e4 person",
          doc="Stand-in for the labour sector: labour in non-farm work")
    m.aux("nonfarm_labor_growth", "nonfarm_labor_growth_standin", units="1/year",
          doc="Stand-in for the labour sector: relative growth of non-farm labour")
    m.aux("population", "registered_population_2000_standin * exp(population_growth_standin"
          " * (time - 2000))", units="1e4 person",
          doc="Stand-in for the population sector: registered population")
    m.param("energy_saving_investment_share_standin", 0.0, units="fraction", bounds=(0.0, 0.06),
            doc="Stand-in: share of fixed-asset investment spent on energy saving",
            source="assumption: as the energy sector's energy_saving_investment_share (0 in "
                   "2001-2005)")
    m.aux("energy_saving_investment", "energy_saving_investment_share_standin"
          " * fixed_asset_investment", units=Y,
          doc="Stand-in for the energy sector: investment in energy saving")


def add_to(m: gysim.Model, *, standalone: bool) -> None:
    """Add the economy sector to `m` (with stand-ins for its inputs if `standalone`).

    Reads ``nonfarm_labor``, ``nonfarm_labor_growth`` (labour sector),
    ``population`` (population sector) and ``energy_saving_investment``
    (energy sector); supplies ``productive_capital`` (to energy), ``gdp``, ``gdp_real``,
    ``gdp_real_growth``, ``value_added_real`` and ``value_added`` (over
    ``sector``) and the ``va_*`` series, ``va_nonprimary_growth_rate``,
    ``secondary_share``, ``fixed_asset_investment`` and ``price_level``.
    """
    if standalone:
        add_stand_ins(m)
    _common.add_sector_indicators(m)
    m.param("gdp_2000", 264.8113, units=Y, bounds=(250.0, 280.0),
            doc="GDP in 2000 (current prices = 2000 prices)", source=f"{DATA} gdp_nominal (2000)")
    m.param("va_primary_2000", 24.1762, units=Y, bounds=(20.0, 30.0),
            doc="Primary value added in 2000", source=f"{DATA} va_primary (2000)")
    m.param("services_share_2000", 0.4403, units="fraction", bounds=(0.38, 0.5),
            doc="Tertiary share of non-primary value added in 2000",
            source=f"{DATA} va_tertiary / (va_secondary + va_tertiary) (2000)")
    m.param("capital_output_ratio_2000", 2.5, units="year", bounds=(1.5, 4.0),
            doc="Productive capital per unit of GDP at the end of 2000",
            source="assumption: Chinese provincial capital-output ratios of 2-3.5 around 2000; "
                   "not identifiable from 2000-2005 output alone")
    m.param("capital_share", 0.5, units="fraction", bounds=(0.3, 0.7),
            doc="Output elasticity of capital (Cobb-Douglas)",
            source="assumption: growth-accounting studies of China use 0.4-0.6")
    m.param("depreciation_rate", 0.06, units="1/year", bounds=(0.03, 0.12),
            doc="Capital lost per unit of capital per year",
            source="assumption: 5-10 %/yr in Chinese capital-stock estimates")
    m.param("investment_efficiency", 0.8, units="fraction", bounds=(0.5, 1.0),
            doc="Share of fixed-asset investment that becomes productive capital",
            source="assumption: fixed-asset investment includes land purchase and housing")
    m.param("fixed_asset_investment_2000", 120.0, units=Y, bounds=(90.0, 150.0),
            doc="Fixed-asset investment in 2000",
            source="plan: 全社会固定资产投资预计“十五”期间累计超过1220亿元，年均增长24.8% "
                   "(1220 over 2001-2005 at 24.8 %/yr implies about 120 in 2000)")
    m.param("tfp_growth", 0.0534, units="1/year", bounds=(-0.02, 0.08),
            doc="Growth of total factor productivity (non-primary output)",
            source="data: fitted to gdp_real_growth and gdp_nominal of the calibration data 2000-2005")
    m.param("inflation_rate", 0.0140, units="1/year", bounds=(-0.02, 0.08),
            doc="Growth of the GDP deflator",
            source="data: fitted to gdp_nominal and gdp_real_growth 2000-2005 (about 1.4 %/yr)")
    m.param("primary_growth", 0.0533, units="1/year", bounds=(0.0, 0.12),
            doc="Real growth of primary value added",
            source=f"{DATA} va_primary: fitted, nominal growth 7.7 %/yr less inflation")
    m.param("services_income_slope", 0.2, units="fraction", bounds=(0.0, 0.4),
            doc="Rise of the services share of non-primary final spending other than "
                "investment per unit rise of the log of real GDP per head (semi-log Engel "
                "pattern)",
            source=f"{DATA} va_tertiary and va_secondary: fitted 2000-2005; Chenery and Syrquin "
                   "(1975, Patterns of Development) estimate the services share of GDP rising "
                   "about 0.05-0.10 per log unit of income at middle incomes")
    m.param("investment_secondary_content", 0.2, units="fraction", bounds=(0.1, 0.4),
            doc="Secondary value added demanded per yuan of fixed-asset investment "
                "(construction and domestically made equipment and materials)",
            source="assumption: in China in 2005 construction value added was 0.12 of "
                   "fixed-asset investment (1.04 of 8.9 trillion yuan); equipment and building "
                   "materials add about as much again, land purchases none")
    m.param("investment_return_elasticity", 1.0, units="dimensionless", bounds=(0.5, 3.0),
            doc="Elasticity of the tertiary/secondary split of new capital to the relative "
                "return on services capital (logit allocation; 1 puts new capital in "
                "proportion to the services share demanded)",
            source="assumption: investors follow returns with some inertia (specific skills, "
                   "land, permits); not identifiable from 2000-2005 output")
    priority = _common.lever(
        m, "secondary_investment_priority", 1.0, 2.168, units="dimensionless", bounds=(0.5, 3.0),
        doc="Weight of secondary against tertiary sectors in the allocation of new capital, "
            "beyond relative returns (1: returns alone)",
        source="assumption: the 2001-2005 split is what returns gave, the 工业强市 strategy of "
               "2001-2005 included; no separate series on its weight",
        plan_source="plan: 坚持“工业强市”战略 ... 三次产业结构调整为4.4：51.7：43.9 (the "
                    "weight with which the secondary share of GDP is 51.7 % in 2010)")
    invest = _common.lever(
        m, "investment_rate_trend", 0.168, 0.002598, units="1/year", bounds=(-0.1, 0.4),
        doc="Relative drift of fixed-asset investment per unit of GDP, far below its ceiling",
        source="plan: 全社会固定资产投资预计“十五”期间累计超过1220亿元，年均增长24.8% "
               "(24.8 %/yr investment with 14.7 %/yr nominal GDP growth)",
        plan_source="plan: 全社会固定资产投资年均增长16%左右 (16 %/yr investment growth "
                    "with about 14 %/yr nominal GDP growth)")
    m.param("investment_rate_max", 1.2, units="fraction", bounds=(0.8, 2.0),
            doc="Ceiling that fixed-asset investment per unit of GDP approaches (logistic drift)",
            source="assumption: Chinese prefecture capitals reached investment of about one GDP "
                   "in the 2010s; 2000-2005 data (0.45 to 0.7) cannot tell the ceiling")
    m.param("industry_share_of_secondary", 0.85, units="fraction", bounds=(0.75, 0.92),
            doc="Industry's share of secondary value added (the rest is construction)",
            source="assumption: typical of Chinese cities in the 2000s; no city series")
    m.param("exchange_rate", 8.0, units="yuan/USD", bounds=(6.5, 8.3),
            doc="Yuan per US dollar for GDP per capita in dollars",
            source="assumption: the 2005 rate (8.19) to the 2006 rate (7.97) the plan's authors "
                   "knew; the 2010 rate was 6.77")

    m.aux("capital_split_2000",
          "is_secondary * (1 - services_share_2000) + is_tertiary * services_share_2000",
          units="fraction", dims=("sector",),
          doc="Each sector's share of non-primary value added in 2000 (0 for primary)")
    m.stock("capital", "capital_output_ratio_2000 * gdp_2000 * capital_split_2000",
            units="1e8 yuan", dims=("sector",),
            doc="Productive capital by sector, 2000 prices (primary capital not modelled: 0)",
            source="initial: the 2000 capital-output ratio, split as non-primary value added")
    m.define_unit("composite_input")  # the Cobb-Douglas bundle K ** a * L ** (1 - a)
    m.stock("tfp", "(gdp_2000 - va_primary_2000) / ((capital_output_ratio_2000 * gdp_2000)"
            " ** capital_share * nonfarm_labor ** (1 - capital_share))",
            units=f"{Y}/composite_input",
            doc="Total factor productivity of non-primary output",
            source="initial: reproduces non-primary value added in 2000")
    m.stock("price_level", 1.0, units="dimensionless", doc="GDP deflator, 2000 = 1")
    m.stock("investment_rate", "fixed_asset_investment_2000 / gdp_2000", units="fraction",
            doc="Fixed-asset investment per unit of nominal GDP")
    m.stock("va_primary_real", "va_primary_2000", units=Y, doc="Primary value added, 2000 prices")
    m.stock("fixed_asset_investment_cumulative", 0.0, units="1e8 yuan",
            doc="Fixed-asset investment since the end of 2005 (current prices)")

    m.aux("productive_capital", "sum(capital, sector)", units="1e8 yuan",
          doc="Productive capital of the secondary and tertiary sectors, 2000 prices")
    m.aux("services_share", "capital[tertiary] / productive_capital", units="fraction",
          doc="Tertiary share of non-primary value added (= its share of capital, one "
              "technology and equal wages)")
    m.aux("investment_demand_share",
          "investment_secondary_content * fixed_asset_investment / (gdp - va_primary)",
          units="fraction",
          doc="Share of non-primary output demanded by fixed-asset investment (all of it "
              "secondary output)")
    m.aux("services_spending_share",
          "services_share_2000 / (1 - initial(investment_demand_share)) + services_income_slope"
          " * ln(gdp_per_capita_real / initial(gdp_per_capita_real))", units="fraction",
          doc="Services share of the non-primary spending other than investment, rising with "
              "the log of real income per head (Chenery-Syrquin semi-log pattern; 2000 demand "
              "meets 2000 supply)")
    m.aux("services_demand_share",
          "min(0.95, max(0.05, services_spending_share * (1 - investment_demand_share)))",
          units="fraction",
          doc="Services share of all non-primary output demanded: the services share of "
              "spending other than investment, less the part of demand that investment takes")
    m.aux("services_relative_return",
          "(services_demand_share / (1 - services_demand_share))"
          " / (services_share / (1 - services_share))", units="dimensionless",
          doc="Return on services capital relative to industry capital: the relative price "
              "at which the services share demanded meets the share supplied")
    m.aux("tertiary_investment_share",
          f"services_share * services_relative_return ** investment_return_elasticity"
          f" / (services_share * services_relative_return ** investment_return_elasticity"
          f" + (1 - services_share) * {priority})", units="fraction",
          doc="Tertiary share of new productive capital (logit allocation by relative return)")
    m.aux("investment_allocation",
          "is_secondary * (1 - tertiary_investment_share) + is_tertiary * tertiary_investment_share",
          units="fraction", dims=("sector",), doc="Share of new productive capital by sector")
    m.aux("productive_investment", "fixed_asset_investment - energy_saving_investment", units=Y,
          doc="Fixed-asset investment not diverted to energy saving, current prices")
    m.aux("va_nonprimary_real", "tfp * productive_capital ** capital_share * nonfarm_labor"
          " ** (1 - capital_share)", units=Y, doc="Secondary plus tertiary value added, 2000 prices")
    m.aux("gdp_real", "va_primary_real + va_nonprimary_real", units=Y, doc="GDP, 2000 prices")
    m.aux("gdp", "gdp_real * price_level", units=Y, doc="GDP, current prices")
    m.aux("fixed_asset_investment", "investment_rate * gdp", units=Y,
          doc="Fixed-asset investment, current prices")

    m.flow("capital_formation",
           "investment_efficiency * productive_investment / price_level * investment_allocation",
           into="capital", units=Y, dims=("sector",),
           doc="Investment becoming productive capital, by sector, 2000 prices")
    m.flow("depreciation", "depreciation_rate * capital", out_of="capital", units=Y,
           dims=("sector",), doc="Capital worn out")
    m.flow("tfp_increase", "tfp_growth * tfp", into="tfp", units=f"{Y}/composite_input/year",
           doc="Productivity gains")
    m.flow("price_increase", "inflation_rate * price_level", into="price_level", units="1/year",
           doc="Inflation")
    m.flow("investment_rate_change",
           f"{invest} * investment_rate * (1 - investment_rate / investment_rate_max)",
           into="investment_rate", units="fraction/year",
           doc="Drift of investment per unit of GDP, slowing toward its ceiling")
    m.flow("primary_output_growth", "primary_growth * va_primary_real", into="va_primary_real",
           units="1e8 yuan/year/year", doc="Growth of primary value added")
    m.flow("investment_accounting",
           f"fixed_asset_investment * step(1, {_common.PLAN_ACCOUNTING_START})",
           into="fixed_asset_investment_cumulative", units=Y,
           doc="Investment counted toward the 2006-2010 total")

    m.aux("value_added_real", "is_primary * va_primary_real"
          " + va_nonprimary_real * capital / productive_capital",
          units=Y, dims=("sector",),
          doc="Value added by sector, 2000 prices (non-primary output split as capital)")
    m.aux("value_added", "value_added_real * price_level", units=Y, dims=("sector",),
          doc="Value added by sector, current prices")
    for sector in _common.SECTORS:
        m.aux(f"va_{sector}", f"value_added[{sector}]", units=Y,
              doc=f"{sector.capitalize()} value added, current prices")
    for sector in _common.SECTORS[1:]:  # va_primary_real is the stock above
        m.aux(f"va_{sector}_real", f"value_added_real[{sector}]", units=Y,
              doc=f"{sector.capitalize()} value added, 2000 prices")
    m.aux("secondary_share", "va_secondary / gdp", units="fraction", doc="Secondary share of GDP")
    m.aux("va_industry", "industry_share_of_secondary * va_secondary", units=Y,
          doc="Industrial value added, current prices")
    m.aux("va_industry_real", "va_industry / price_level", units=Y,
          doc="Industrial value added, 2000 prices")
    m.aux("capital_growth", "sum(capital_formation - depreciation, sector) / productive_capital", units="1/year",
          doc="Relative growth rate of capital")
    m.aux("va_nonprimary_growth_rate", "capital_share * capital_growth + (1 - capital_share)"
          " * nonfarm_labor_growth + tfp_growth", units="1/year",
          doc="Instantaneous relative growth rate of non-primary real output")
    m.aux("gdp_real_growth_rate",
          "(va_nonprimary_real * va_nonprimary_growth_rate + primary_output_growth) / gdp_real",
          units="1/year", doc="Instantaneous relative growth rate of real GDP")
    m.param("one_year", 1.0, units="year", bounds=(1.0, 1.0),
            doc="One year: turns a rate per year into the growth over a year",
            source="assumption: a constant of the calendar, not a model assumption to vary")
    m.aux("gdp_real_growth", "(exp(gdp_real_growth_rate * one_year) - 1) / one_year", units="fraction/year",
          doc="Real GDP growth as an annual rate (instantaneous rate compounded over a year)")
    m.aux("gdp_per_capita", "gdp / population * 10000", units="yuan/person/year",
          doc="GDP per registered resident, current prices")
    m.aux("gdp_per_capita_real", "gdp_real / population * 10000", units="yuan/person/year",
          doc="GDP per registered resident, 2000 prices")
    m.aux("gdp_per_capita_usd", "gdp_per_capita / exchange_rate", units="USD/person/year",
          doc="GDP per registered resident in US dollars")


def build(calibrated: bool = True) -> gysim.Model:
    """The economy sector alone, with labour and population following fixed trends."""
    m = _common.new_model("economy", "Guiyang investment, capital and output by sector, "
                                     "2000-2010 (standalone sector)")
    add_to(m, standalone=True)
    return _common.finish(m, calibrated=calibrated)
