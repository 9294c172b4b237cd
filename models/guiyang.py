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
"""

from __future__ import annotations

import gysim

from . import _common, economy, energy, labor, population, water

SECTORS = (population, labor, economy, energy, water)


def build(calibrated: bool = True) -> gysim.Model:
    """The coupled Guiyang model (2000-2010; scenarios run on with ``stop=2020``)."""
    m = _common.new_model(
        "guiyang",
        "Guiyang 11th Five-Year Plan model: population, labour, economy, energy and water, "
        "coupled; calibrated on 2000-2005, scenarios 'baseline' and 'plan' from 2006")
    for sector in SECTORS:
        sector.add_to(m, standalone=False)
    return _common.finish(m, calibrated=calibrated)
