"""The exceptions gysim raises.

Every error gysim raises on purpose derives from :class:`GysimError`, so a
notebook or a batch driver can catch all of them with one ``except`` clause.
The subclasses also derive from the matching built-in exception
(``ValueError``, ``RuntimeError``) so code written against the standard
library keeps working.

Examples
--------
>>> import gysim
>>> m = gysim.Model("demo", start=0, stop=1)
>>> try:
...     m.aux("x", "y + 1")
...     gysim.simulate(m)
... except gysim.GysimError as err:
...     print(type(err).__name__)
ModelDefinitionError
"""

from __future__ import annotations

__all__ = [
    "GysimError",
    "ModelDefinitionError",
    "ParameterError",
    "UnitsError",
    "SimulationError",
    "CalibrationError",
    "DataError",
]


class GysimError(Exception):
    """Root of every error gysim raises on purpose."""


class ModelDefinitionError(GysimError, ValueError):
    """A model is malformed: bad equation, unknown or duplicate name, loop."""


class ParameterError(ModelDefinitionError):
    """A parameter value, override or sample is unusable (NaN, out of bounds)."""


class UnitsError(GysimError, ValueError):
    """An equation or a data series is dimensionally inconsistent."""


class SimulationError(GysimError, RuntimeError):
    """An integration failed or produced non-finite values."""


class CalibrationError(GysimError, RuntimeError):
    """A calibration could not be carried out or did not converge."""


class DataError(GysimError, ValueError):
    """Input data (time series, calibration data, files) are unusable."""
