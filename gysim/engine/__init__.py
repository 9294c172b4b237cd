"""The engine: compiling a model into vectorized functions, and running them.

It owns two layers of the package:

* the compiler (layer 3): a pipeline of stages, each one module completing a
  :class:`~gysim.engine.program.Program` and handing it on --
  :mod:`~gysim.engine.checks` -> :mod:`~gysim.engine.dims` ->
  :mod:`~gysim.engine.lowering` -> :mod:`~gysim.engine.ordering` ->
  :mod:`~gysim.engine.hoisting` -> a backend (:mod:`~gysim.engine.codegen`,
  numpy) -- run by :class:`~gysim.engine.compiled.CompiledModel`; generated
  code is registered by :mod:`~gysim.engine.source_lines`. It imports only
  the layers below (expressions, builtins, elements), never
  :class:`gysim.Model`, which calls down into it (:meth:`gysim.Model.compile`);
* the integrators and results (layer 5), which :func:`gysim.simulate` drives:
  :mod:`~gysim.engine.integrate` (what they share),
  :mod:`~gysim.engine.integrate_fixed_step` (Euler, RK4),
  :mod:`~gysim.engine.integrate_adaptive` (:func:`scipy.integrate.solve_ivp`),
  :mod:`~gysim.engine.solvers` (per-run error control) and
  :mod:`~gysim.engine.results` (the xarray Dataset).

Examples
--------
>>> import gysim
>>> from gysim.engine import CompiledModel
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.flow("f", "-x", into="x")
>>> isinstance(m.compile(), CompiledModel)
True
"""

from .compiled import CompiledModel
from .program import DelayFixedSpec, Program

__all__ = ["CompiledModel", "DelayFixedSpec", "Program"]
