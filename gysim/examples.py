"""Small example models, used by the quickstart, the demo and the tests.

Examples
--------
>>> from gysim.examples import population_model
>>> population_model().stocks["population"].units
'1e4 person'
"""

from __future__ import annotations

from .model import Model

__all__ = ["population_model"]


def population_model() -> Model:
    """Guiyang's registered population as one stock with births and deaths.

    The initial value is the registered population at the end of 2000
    (331.8万, Guiyang statistics); the rates are round values of the order
    the 11th plan discusses (natural growth within 6‰).

    Examples
    --------
    >>> import gysim
    >>> ds = gysim.simulate(population_model())
    >>> float(ds.natural_growth_rate[0])
    0.007
    """
    m = Model("population", start=2000, stop=2010, time_units="year",
              doc="Registered population with constant crude birth and death rates")
    m.stock("population", initial=331.8, units="1e4 person", doc="registered population",
            source="data: Guiyang registered population, end of 2000")
    m.param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02), doc="crude birth rate",
            source="assumption: round value; range covers Chinese cities of the 2000s")
    m.param("death_rate", 0.006, units="1/year", bounds=(0.004, 0.01), doc="crude death rate",
            source="assumption: round value; range covers Chinese cities of the 2000s")
    m.flow("births", "population * birth_rate", into="population", units="1e4 person/year",
           doc="births per year")
    m.flow("deaths", "population * death_rate", out_of="population", units="1e4 person/year",
           doc="deaths per year")
    m.aux("natural_growth_rate", "birth_rate - death_rate", units="1/year",
          doc="births minus deaths per person")
    return m
