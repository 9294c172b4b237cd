"""Model builders and known answers shared by the test modules.

Import with ``from tests.helpers import ...`` (the suite runs with
``--import-mode=importlib``, which does not put ``tests/`` itself on ``sys.path``).

- :func:`logistic_model` and :func:`logistic_solution`: ``x' = r x (1 - x / k)``,
  bounded ``r`` and ``k`` to sample or calibrate, and its closed form.
- :func:`sector_model` (and :data:`SECTOR_MODEL_SOURCE`, the same model as a
  model file) and :func:`euler_capital`: capital of three sectors growing at
  their own rates, a subscripted stock, parameter and flow, and an aggregate.
"""

from __future__ import annotations

import numpy as np

import gysim

__all__ = ["logistic_model", "logistic_solution", "SECTORS", "SECTOR_RATES", "CAPITAL0",
           "SECTOR_MODEL_SOURCE", "sector_model", "euler_capital"]


# ---------------------------------------------------------------- logistic growth
def logistic_model(r: float = 0.3, k: float = 100.0, x0: float = 1.0, *, stock: str = "x",
                   capacity: str = "k", r_bounds: tuple[float, float] = (0.05, 1.0),
                   k_bounds: tuple[float, float] = (50.0, 200.0), units: str | None = None,
                   share: bool = False, name: str = "logistic", start: float = 0, stop: float = 40,
                   **model_options) -> gysim.Model:
    """Logistic growth ``stock' = r stock (1 - stock / capacity)`` from ``x0``, one flow ``growth``.

    ``r`` and the capacity have bounds (to sample or calibrate). With `units`
    (the stock's), ``r`` is in 1/year, the capacity in `units` and the flow
    in `units`/year; with `share`, an aux ``share = stock / capacity``.
    `model_options` go to :class:`gysim.Model` (e.g. ``dt``, ``method``).
    """
    m = gysim.Model(name, start=start, stop=stop, **model_options)
    per_year = {} if units is None else {"units": "1/year"}
    same = {} if units is None else {"units": units}
    flow_units = {} if units is None else {"units": f"{units}/year"}
    m.stock(stock, x0, **same)
    m.param("r", r, bounds=r_bounds, **per_year)
    m.param(capacity, k, bounds=k_bounds, **same)
    m.flow("growth", f"r * {stock} * (1 - {stock} / {capacity})", into=stock, **flow_units)
    if share:
        m.aux("share", f"{stock} / {capacity}")
    return m


def logistic_solution(t, r, k, x0=1.0):
    """The closed form of :func:`logistic_model` (from time 0): ``k / (1 + (k / x0 - 1) e^(-r t))``."""
    return k / (1 + (k / x0 - 1) * np.exp(-r * t))


# ---------------------------------------------------------------- capital by sector
SECTORS = ["primary", "secondary", "tertiary"]
SECTOR_RATES = {"primary": 0.02, "secondary": 0.05, "tertiary": -0.03}
CAPITAL0 = {"primary": 40.0, "secondary": 380.0, "tertiary": 300.0}

#: :func:`sector_model` as a model file (a module with ``build()``), e.g. for the CLI.
SECTOR_MODEL_SOURCE = '''
import gysim

def build():
    m = gysim.Model("sectors", start=0, stop=5)
    m.dimension("sector", ["primary", "secondary", "tertiary"])
    m.param("growth_rate", {"primary": 0.02, "secondary": 0.05, "tertiary": -0.03},
            dims=("sector",), bounds=(-0.1, 0.2), units="1/year")
    m.stock("capital", {"primary": 40.0, "secondary": 380.0, "tertiary": 300.0},
            dims=("sector",), units="1e8 yuan")
    m.flow("investment", "growth_rate * capital", into="capital", dims=("sector",),
           units="1e8 yuan/year")
    m.aux("total_capital", "sum(capital, sector)", units="1e8 yuan")
    return m
'''


def sector_model() -> gysim.Model:
    """Capital of three sectors, each growing at its own rate (built from :data:`SECTOR_MODEL_SOURCE`)."""
    namespace: dict = {}
    exec(SECTOR_MODEL_SOURCE, namespace)
    return namespace["build"]()


def euler_capital(rate: float, label: str, t: np.ndarray) -> np.ndarray:
    """Capital of one sector of :func:`sector_model` with euler, dt=1: ``c0 * (1 + r) ** t``."""
    return CAPITAL0[label] * (1.0 + rate) ** t
