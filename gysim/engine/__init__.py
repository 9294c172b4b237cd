"""The engine: compiling a model into vectorized functions, and running them.

It owns the compiler pipeline, each stage one module handing a
:class:`~gysim.engine.program.Program` on (``checks -> dims -> lowering ->
ordering -> hoisting -> backend``; :class:`~gysim.engine.compiled.CompiledModel`
runs them), and the integrators and results that use the generated
functions. The compiler imports only the layers below it (expressions,
builtins, elements), never :class:`gysim.Model` itself, which calls down into
it (:meth:`gysim.Model.compile`).

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
