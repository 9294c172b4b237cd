"""A compiled model: the pipeline of the compiler's stages, and what the integrators use.

:class:`CompiledModel` runs the stages in order, each handing the
:class:`~gysim.engine.program.Program` on:

1. :mod:`~gysim.engine.checks`: references, calls and flows;
2. :mod:`~gysim.engine.dims`: dimensions of every equation (models with dims);
3. :mod:`~gysim.engine.lowering`: stateful builtins into hidden stocks; the
   state layout; the breakpoints of step, ramp and pulse;
4. :mod:`~gysim.engine.ordering`: evaluation orders, algebraic loops;
5. :mod:`~gysim.engine.hoisting`: values computed once per run;
6. a backend (:mod:`~gysim.engine.codegen`: numpy) generating the functions.

A compiled model also has, on demand, a numba kernel of the same program
(:meth:`CompiledModel.kernel`, :mod:`~gysim.engine.numba_backend`): the
integrators use it when :func:`gysim.simulate` chooses ``backend="numba"``.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.param("k", 0.1)
>>> m.flow("growth", "k * x", into="x")
>>> cm = m.compile()
>>> cm.state_names, cm.param_names, cm.output_names
(['x'], ['k'], ['growth'])
"""

from __future__ import annotations

from ..elements import ModelLike
from ..random_draws import random_owners
from .checks import check_model
from .codegen import Backend, NumpyBackend
from .dims import Dimensions
from .hoisting import Hoisting
from .lowering import Lowering, breakpoints
from .ordering import order_program
from .program import DelayFixedSpec, Program

__all__ = ["CompiledModel", "DelayFixedSpec"]


class CompiledModel:
    """A checked model with generated vectorized functions.

    Parameters
    ----------
    model : ModelLike
        The model to compile (a :class:`gysim.Model`). It is not changed.
    backend : Backend, optional
        What generates the functions; the numpy backend by default.

    Attributes
    ----------
    program : Program
        Everything the stages worked out (equations, hidden stocks, orders).
    state_names : list of str
        User stocks, then hidden stocks of stateful builtins.
    param_names : list of str
        Parameters in the order of the ``P`` tuple.
    output_names : list of str
        Flows, auxiliaries and data inputs, in model order.
    delays_fixed : list of DelayFixedSpec
        Fixed delays, which need a fixed-step method.
    init, prepare, rhs, outputs, rhs_outputs : callable
        The generated functions (see :mod:`gysim.engine.codegen`).
    dims_of : callable
        ``dims_of(name)``: the dimensions of a named value, declared or inferred.
    full_shape : callable
        ``full_shape(dims)``: the shape of a value over ``dims`` in full form
        (size 1 for the model's other dimensions), e.g. ``(1, 2)`` for the
        second of two dimensions of sizes 3 and 2.
    source : str
        Their source.
    compile_seconds : float
        Time the numba kernel took to compile (or load from the cache) and
        warm up; 0.0 while it has not been made.
    """

    def __init__(self, model: ModelLike, backend: Backend | None = None) -> None:
        self.model = model
        self._units_checked = False
        self._random_owners: list[str] | None = None
        program = Program.of(model)
        lowering = Lowering(program)
        dims = Dimensions(program, lowering.varies)
        check_model(model, dims.label_dim)
        if dims.dimensions:
            dims.check()
        lowering.run(dims)
        order_program(program)
        program.breakpoints = breakpoints(program, dims)
        Hoisting(program).run()
        backend = backend or NumpyBackend()
        functions = backend.generate(program, dims)
        self._kernel: tuple | None = None
        if hasattr(backend, "kernel"):  # the numba backend: the kernel now, not on first use
            self._kernel = backend.kernel(program, dims)
        self.program = program
        self._dims = dims
        # bound directly: the integrators call these for every saved value
        self.dims_of = dims.dims_of
        self.full_shape = dims.full_shape
        self.init = functions.init
        self.prepare = functions.prepare
        self.rhs = functions.rhs
        self.outputs = functions.outputs
        self.rhs_outputs = functions.rhs_outputs
        self.source = functions.source

    def __getstate__(self) -> dict:
        # the numba kernel holds a loaded module: a copy (a Dask worker) makes its own
        state = self.__dict__.copy()
        state["_kernel"] = None
        return state

    def kernel(self):
        """The numba kernel of this model (made once), or None and why it cannot be made.

        Returns
        -------
        kernel : Kernel or None
            See :class:`gysim.engine.numba_backend.Kernel`.
        reason : str
            Why there is no kernel (numba missing, something it cannot
            compile); empty when there is one.

        Examples
        --------
        >>> import gysim
        >>> m = gysim.Model("m")
        >>> m.stock("x", 1.0)
        >>> cm = m.compile()
        >>> cm.kernel_ready(), cm.compile_seconds
        (False, 0.0)
        >>> kernel, reason = cm.kernel()  # doctest: +SKIP
        >>> cm.compile_seconds > 0  # doctest: +SKIP
        True
        """
        if self._kernel is None:
            from .numba_backend import make_kernel  # numba is imported only when asked for
            self._kernel = make_kernel(self.program, self._dims)
        return self._kernel

    def kernel_ready(self) -> bool:
        """Whether the numba kernel has been made in this process (then it costs nothing)."""
        return self._kernel is not None and self._kernel[0] is not None

    @property
    def compile_seconds(self) -> float:
        """Compile (or cache-load) time of the numba kernel, apart from any run."""
        if self._kernel is None or self._kernel[0] is None:
            return 0.0
        return self._kernel[0].compile_seconds

    @property
    def random_owners(self) -> list[str]:
        """Elements whose equations draw random numbers (looked for once per compiled model).

        Examples
        --------
        >>> import gysim
        >>> m = gysim.Model("m")
        >>> m.aux("noise", "random_uniform(0, 1, 7)")
        >>> m.aux("calm", "2")
        >>> m.compile().random_owners
        ['noise']
        """
        if self._random_owners is None:  # (not a cached_property: its lock does not pickle)
            self._random_owners = random_owners(self.program)
        return self._random_owners

    def check_units(self) -> None:
        """Check the model's units (:func:`gysim.units.check_units`), once per compiled model."""
        if not self._units_checked:
            from ..units import check_units
            check_units(self.model)
            self._units_checked = True

    # ---- what the integrators and results read
    @property
    def dimensions(self) -> dict[str, tuple[str, ...]]:
        """Dimensions by name (their labels), in declaration order."""
        return self._dims.dimensions

    @property
    def state_names(self) -> list[str]:
        return self.program.state_names

    @property
    def stock_names(self) -> list[str]:
        return self.program.stock_names

    @property
    def param_names(self) -> list[str]:
        return self.program.param_names

    @property
    def output_names(self) -> list[str]:
        return self.program.output_names

    @property
    def static_names(self) -> list[str]:
        return self.program.static_names

    @property
    def delays_fixed(self) -> list[DelayFixedSpec]:
        return self.program.delays_fixed

    @property
    def discrete_names(self) -> list[str]:
        return self.program.discrete_names

    @property
    def state_rows(self) -> dict[str, tuple[int, int]]:
        return self.program.state_rows

    @property
    def row_names(self) -> list[str]:
        return self.program.row_names

    @property
    def n_state_rows(self) -> int:
        return self.program.n_state_rows

    @property
    def order(self) -> list[str]:
        return self.program.order

    @property
    def breakpoints(self) -> list:
        return self.program.breakpoints
