"""Former home of :mod:`gysim.engine.solvers` (per-run error control), kept as an alias.

Examples
--------
>>> from gysim.solvers import scaled_tolerances
>>> scaled_tolerances("BDF", 1e-6, 1e-9, 100)
(1e-07, 1e-10)
"""

from __future__ import annotations

from .engine.solvers import scaled_tolerances, solver_for

__all__ = ["solver_for", "scaled_tolerances"]
