"""The numba backend: a compiled model as machine code, cached on disk, and the choice of backend.

:mod:`gysim.engine.numba_source` writes the model's step as scalar code for
one run; this module writes that source to a file in a cache directory
named by the hash of the source (numba's ``cache=True`` needs a file, and a
second process finds it there), imports it, and wraps its functions in a
:class:`Kernel` that the integrators call:

* :meth:`Kernel.fixed_step`: a whole Euler/RK4 integration of a chunk of
  runs in compiled code, a contiguous block of the runs per thread, each
  integrated over the whole horizon (the compiled loop releases the GIL; as
  many threads as ``numba.get_num_threads()``), writing the saved values
  straight into the results' own block (:meth:`Kernel.result_arrays`) when the
  runs are one chunk;
* :meth:`Kernel.rhs`: the derivatives of all runs, with the numpy backend's
  ``rhs`` signature, for :func:`scipy.integrate.solve_ivp`.

The cache directory is ``$GYSIM_CACHE_DIR`` when set, else ``gysim/numba``
under ``$XDG_CACHE_HOME`` (default ``~/.cache``). numba is optional (the
``compiled`` extra): :func:`choose` picks the numpy backend without it, and
says why.

Examples
--------
>>> import gysim
>>> from gysim.engine.numba_backend import choose
>>> m = gysim.Model("m", start=0, stop=1)
>>> m.stock("x", 1.0)
>>> kernel, reason = choose(m.compile(), "auto", evaluations=10, runs=1)
>>> kernel is None, reason[:43]  # a tiny run: compiling would take longer than it saves
(True, 'small run (numba would save about 1.5e-05 s')
"""

from __future__ import annotations

import hashlib
import importlib.util
import math
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..errors import ModelDefinitionError
from .codegen import NumpyBackend
from .dims import Dimensions
from .numba_source import Unsupported, generate_source
from .program import Program

if TYPE_CHECKING:
    from .compiled import CompiledModel

__all__ = ["BACKENDS", "NUMBA_SHARE", "Kernel", "NumbaBackend", "cache_dir", "choose",
           "numba_available"]

#: What ``gysim.simulate(..., backend=)`` accepts.
BACKENDS = ("auto", "numba", "numpy")
#: "auto": what one equation costs the numpy backend per evaluation in Python
#: overhead (seconds), whatever the number of runs; what numba saves.
NUMPY_OVERHEAD = 1.5e-6
#: "auto": what numba takes to compile one equation (seconds, measured on a 190-equation
#: model and on Earth4All, 2 cores); nothing when the kernel is cached on disk or made already.
COMPILE_PER_EQUATION = 0.05
#: "auto": what numba's arithmetic costs per value on one thread, as a share of the numpy
#: backend's (measured Dec 3 2026, CPU time, one thread, medians of 5: bench_ensemble.py's
#: model numpy / numba 1.23, 1.09, 1.15, 1.15 at 1 000, 3 000, 10 000, 30 000 runs; a
#: 190-equation model over sectors 1.12, 1.28, 1.21, 1.29): numba writes each run's values
#: once, numpy makes temporaries of every run.
NUMBA_SHARE = 0.85
#: "auto": what the numpy backend's arithmetic costs per equation, evaluation and run
#: (seconds; bench_ensemble.py's model, 10 000 runs: 0.32 s CPU for 22 equations x 240
#: steps, about 6e-9); numba saves all of it but NUMBA_SHARE, divided between its threads.
NUMPY_PER_VALUE = 5e-9
#: "auto": what loading a kernel from the disk cache costs in a new process (seconds:
#: importing numba and reading the compiled code).
LOAD_SECONDS = 0.5
#: Largest buffer of saved values (bytes) a kernel keeps for its next call of that size.
KEEP_BUFFER_BYTES = 2**28
#: Environment variable naming the cache directory.
CACHE_ENV = "GYSIM_CACHE_DIR"


def numba_available() -> bool:
    """Whether numba can be imported (the ``compiled`` extra).

    Examples
    --------
    >>> isinstance(numba_available(), bool)
    True
    """
    return importlib.util.find_spec("numba") is not None


def cache_dir() -> Path:
    """Where generated model files and numba's compiled code are kept.

    Examples
    --------
    >>> import os
    >>> os.environ["GYSIM_CACHE_DIR"] = "/tmp/gysim-cache-example"
    >>> str(cache_dir())
    '/tmp/gysim-cache-example'
    >>> del os.environ["GYSIM_CACHE_DIR"]
    """
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gysim" / "numba"


def _runtime_stamp() -> str:
    """What else the compiled code depends on: gysim's and numba's versions, the helpers."""
    import numba
    helpers = Path(__file__).with_name("numba_runtime.py").read_bytes()
    return f"{__version__} {numba.__version__} {hashlib.sha256(helpers).hexdigest()[:16]}"


def _path(source: str) -> Path:
    """The file of a generated source: named by its hash (and what else the code depends on)."""
    digest = hashlib.sha256((source + _runtime_stamp()).encode()).hexdigest()[:24]
    return cache_dir() / f"gysim_model_{digest}.py"


def is_cached(program: Program, dims: Dimensions) -> bool:
    """Whether numba's on-disk cache holds the compiled code of a program (False if none can be).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> cm = m.compile()
    >>> isinstance(is_cached(cm.program, cm._dims), bool)
    True
    """
    if not numba_available():
        return False
    try:
        path = _path(generate_source(program, dims))
    except (Unsupported, RecursionError):
        return False
    return any((path.parent / "__pycache__").glob(f"{path.stem}.*.nbi"))


_POOL: list[tuple[int, ThreadPoolExecutor]] = []  # (its threads, the pool), at most one
_POOL_LOCK = threading.Lock()
# a child process made by fork has none of the pool's threads: it starts its own
os.register_at_fork(after_in_child=_POOL.clear)


def _pool(workers: int) -> ThreadPoolExecutor:
    """A pool of at least `workers` threads, kept between calls: starting a thread costs
    about a tenth of a millisecond, and a call of a small ensemble takes only a few."""
    with _POOL_LOCK:
        if not _POOL or _POOL[0][0] < workers:
            if _POOL:
                _POOL.pop()[1].shutdown(wait=False)
            _POOL.append((workers, ThreadPoolExecutor(workers, thread_name_prefix="gysim-numba")))
        return _POOL[0][1]


def _threads() -> int:
    """Threads for an ensemble: numba's setting (``NUMBA_NUM_THREADS``, ``numba.set_num_threads``)."""
    import numba
    return int(numba.get_num_threads())


class Kernel:
    """A model's numba functions, loaded from the cache directory.

    Attributes
    ----------
    path : pathlib.Path
        The generated source file.
    compile_seconds : float
        Time spent generating, compiling (or loading from numba's cache) and
        warming up the functions so far, apart from any run.
    cached : bool
        Whether numba's cache held the compiled code when the kernel was made.
    """

    def __init__(self, program: Program, dims: Dimensions, source: str) -> None:
        started = time.perf_counter()
        self.program = program
        self._dims = dims
        self.path = _path(source)
        folder, digest = self.path.parent, self.path.stem[len("gysim_model_"):]
        folder.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            tmp = folder / f".{self.path.name}.{os.getpid()}.tmp"
            tmp.write_text(source, encoding="utf-8")
            os.replace(tmp, self.path)  # atomic: another process never reads half a file
        self.cached = any((folder / "__pycache__").glob(f"{self.path.stem}.*.nbi"))
        name = f"_gysim_numba_{digest}"
        module = sys.modules.get(name)
        if module is None:
            spec = importlib.util.spec_from_file_location(name, self.path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            sys.modules[name] = module
        self._module = module
        self._rhs_ready = False
        self._kept: np.ndarray | None = None
        self._lock = threading.Lock()
        self._warm: set[str] = set()
        self._last: tuple[Any, Any, np.ndarray, np.ndarray] | None = None
        self._param_width = self._width(program.param_names)
        self._static_width = self._width(program.static_names)
        self._fixed_warm()
        self.compile_seconds = time.perf_counter() - started

    # ---- inputs in the kernel's layout
    def _width(self, group: list[str]) -> int:
        dims = self._dims
        return sum(math.prod(dims.full_shape(dims.dims_of(n))) for n in group)

    def columns(self, values: tuple, group: list[str], n: int) -> np.ndarray:
        """Parameters or static values (a tuple, as the numpy backend has them) as ``(n, k)``."""
        packing = self.packing(values, group, n)
        return packing.into(np.empty((n, packing.width)), 0, n)

    def packing(self, values: tuple, group: list[str], n: int) -> "Packing":
        """How `values` go into the kernel's ``(n, k)`` layout, for :meth:`Packing.into`."""
        parts, at = [], 0
        for name, value in zip(group, values):
            full = self._dims.full_shape(self._dims.dims_of(name)) if self._dims.dimensions \
                else ()
            k = math.prod(full)
            if isinstance(value, float) and k == 1:  # most parameters: one number for all runs
                parts.append((at, at + 1, np.full((1, 1), value)))
                at += 1
                continue
            arr = np.broadcast_to(np.asarray(value, dtype=float), full + (n,))
            if arr.strides[-1] == 0:  # the same for every run
                arr = arr[..., :1]
            parts.append((at, at + k, arr.reshape(k, arr.shape[-1])))
            at += k
        return Packing(parts, at)

    def _fixed_warm(self, name: str = "run_euler") -> None:
        """Compile (or load) ``run_euler`` or ``run_rk4`` for the argument types every later
        call has."""
        p = self.program
        with np.errstate(all="ignore"):
            n_d = len(p.delays_fixed)
            getattr(self._module, name)(
                np.zeros((1, self._width(p.param_names))),
                np.zeros((1, self._width(p.static_names))), np.zeros((1, p.n_state_rows)),
                np.zeros((1, n_d)), np.ones((1, n_d), np.int64), 0, 1, 0.0, 1.0, 1, 1,
                np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((2, 0, 1)),
                np.zeros(1, np.bool_))
        self._warm.add(name)

    def _buffer(self, shape: tuple) -> np.ndarray:
        """An array of ``shape`` for the saved values: the one kept from the last call of
        that size (taken, so that a simulation in another thread gets its own), else new.

        Fresh memory costs a page fault per 4 KiB on first write: a third of the
        integration's time for a 10 000-run ensemble of a small model. A call
        gives its buffer back with :meth:`_keep`.
        """
        with self._lock:
            kept, self._kept = self._kept, None
        return kept if kept is not None and kept.shape == shape else np.empty(shape)

    def _keep(self, buffer: np.ndarray) -> None:
        """Keep `buffer` for the next call (at most :data:`KEEP_BUFFER_BYTES`)."""
        if buffer.nbytes <= KEEP_BUFFER_BYTES:
            with self._lock:
                self._kept = buffer

    def layout(self, names) -> tuple[list[int], list[int], list[tuple[str, int, int]]]:
        """Where the kernel puts the saved values of `names`: its rows of stocks and outputs.

        Returns
        -------
        sel_y, sel_o : list of int
            The state rows and the output slots saved, in that order along the value axis.
        spans : list of (name, first, size)
            Each saved variable's place on the value axis (stocks first, in program order).
        """
        program, dims = self.program, self._dims
        wanted = set(names)

        def size(name: str) -> int:
            return math.prod(dims.full_shape(dims.dims_of(name))) if dims.dimensions else 1
        sel_y, sel_o, spans = [], [], []
        output_at, k = {}, 0
        for name in program.output_names:
            output_at[name] = k
            k += size(name)
        for name in program.stock_names:
            if name in wanted:
                a, b = program.state_rows[name]
                spans.append((name, len(sel_y), b - a))
                sel_y.extend(range(a, b))
        for name in program.output_names:
            if name in wanted:
                spans.append((name, len(sel_y) + len(sel_o), size(name)))
                sel_o.extend(range(output_at[name], output_at[name] + size(name)))
        return sel_y, sel_o, spans

    def result_arrays(self, names, n_times: int, n_runs: int
                      ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """One block of saved values ``(time, value, run)`` and each variable's view of it.

        The views have the shape the simulation's results have, ``(time, *dims, run)``;
        :meth:`fixed_step` given the block as ``target`` writes the runs there directly,
        with no copy from a buffer of its own.

        Examples
        --------
        >>> import gysim
        >>> m = gysim.Model("m", start=0, stop=1)
        >>> m.stock("x", 1.0)
        >>> m.flow("r", "0.5 * x", into="x")
        >>> kernel, _ = m.compile().kernel()
        >>> block, views = kernel.result_arrays(["x", "r"], 3, 4)
        >>> block.shape, views["x"].shape, views["r"].base is block
        ((3, 2, 4), (3, 4), True)
        """
        sel_y, sel_o, spans = self.layout(names)
        block = np.empty((n_times, len(sel_y) + len(sel_o), n_runs))
        dims = self._dims
        views = {}
        for name, at, size in spans:
            shape = tuple(len(dims.dimensions[d]) for d in dims.dims_of(name))
            views[name] = block[:, at:at + size, :].reshape((n_times,) + shape + (n_runs,))
        return block, views

    def fixed_step(self, P: tuple, S: tuple, y0: np.ndarray, discrete: list, delay_times: list,
                   method: str, step: float, times: np.ndarray, out: dict,
                   target: np.ndarray | None = None) -> np.ndarray:
        """Euler or RK4 for a chunk of runs, in compiled code; results into ``out``.

        The arguments are those of :func:`gysim.engine.integrate_fixed_step.fixed_step`;
        fixed delays are read ``order`` steps back as there (a ring buffer per run).
        `target`, a C-contiguous block made by :meth:`result_arrays` for these runs (whose
        views are ``out``), is written directly; without it the runs go to a buffer and are
        copied into ``out``.

        Returns
        -------
        numpy.ndarray of bool
            For each run, whether every value it saved is finite (found by the threads as
            they write, so that the caller looks for a bad value only where there is one).
        """
        program = self.program
        n = y0.shape[1]
        save_every = int(round((times[1] - times[0]) / step)) if len(times) > 1 else 1
        n_steps = (len(times) - 1) * save_every
        sel_y, sel_o, spans = self.layout(out)
        direct = target is not None
        if direct and (target.shape != (len(times), len(sel_y) + len(sel_o), n)
                       or not target.flags.c_contiguous):
            raise ValueError(f"`target` must be a C-contiguous block of shape "
                             f"{(len(times), len(sel_y) + len(sel_o), n)}, got {target.shape}")
        buffer = target if direct else self._buffer((len(times), len(sel_y) + len(sel_o), n))
        n_d = len(program.delays_fixed)
        # as integrate_fixed_step: a delay of T is round(T / step) steps, 1 to n_steps + 1
        orders = np.empty((n, n_d), np.int64)
        inits = np.empty((n, n_d))
        for i in range(n_d):
            orders[:, i] = np.broadcast_to(np.clip(np.round(
                np.asarray(delay_times[i], float) / step + 1e-6), 1, n_steps + 1), (n,))
            inits[:, i] = np.broadcast_to(np.asarray(discrete[i], float), (n,))
        # parameters and static values as rows (n, k), each thread packing its own runs:
        # first writes to fresh memory fault its pages, which costs as much as the copy
        packed = [(self.packing(P, program.param_names, n), np.empty((n, self._param_width))),
                  (self.packing(S, program.static_names, n), np.empty((n, self._static_width)))]
        args = (packed[0][1], packed[1][1], np.ascontiguousarray(y0.T), inits, orders)
        finite = np.empty(n, np.bool_)
        rest = (float(times[0]), float(step), n_steps, save_every,
                np.asarray(sel_y, np.int64), np.asarray(sel_o, np.int64), buffer, finite)
        name = "run_rk4" if method == "rk4" else "run_euler"
        if name not in self._warm:  # RK4's loop is compiled on first use, apart from the run
            started = time.perf_counter()
            self._fixed_warm(name)
            self.compile_seconds += time.perf_counter() - started
        run = getattr(self._module, name)

        def block(lo: int, hi: int) -> None:  # pack runs lo:hi, integrate them, copy them out
            for packing, rows in packed:
                packing.into(rows, lo, hi)
            run(*args, lo, hi, *rest)
            if direct:
                return
            for variable, at, size in spans:
                target = out[variable][..., lo:hi]
                target[...] = buffer[:, at:at + size, lo:hi].reshape(target.shape)

        threads = min(n, _threads())
        # compiled code and numpy's copies release the GIL: a block of runs per thread,
        # the last one in this thread
        bounds = [int(b) for b in np.linspace(0, n, threads + 1)]
        jobs = [_pool(threads - 1).submit(block, lo, hi)
                for lo, hi in zip(bounds[:-2], bounds[1:-1])] if threads > 1 else []
        try:
            block(bounds[-2], bounds[-1])
        finally:
            for job in jobs:
                job.result()
        if not direct:
            self._keep(buffer)
        return finite

    def rhs(self, t, dt, Y, P, S, D, dY, DIN):
        """The derivatives of every run, as the numpy backend's ``rhs`` (for solve_ivp)."""
        program = self.program
        n = Y.shape[1]
        last = self._last
        if last is None or last[0] is not P or last[1] is not S or last[2].shape[0] != n:
            last = self._last = (P, S, self.columns(P, program.param_names, n),
                                 self.columns(S, program.static_names, n))
        if not self._rhs_ready:
            started = time.perf_counter()
            self._module.rhs_many(float(t), float(dt), Y, last[2], last[3], dY)
            self._rhs_ready = True
            self.compile_seconds += time.perf_counter() - started
        self._module.rhs_many(float(t), float(dt), Y, last[2], last[3], dY)
        return dY


class Packing:
    """Values over runs, ``(k, n)`` blocks, to be written as rows ``(n, k)`` a block of
    runs at a time: each thread of an ensemble packs the rows of its own runs.

    Examples
    --------
    >>> packing = Packing([(0, 1, np.array([[1.0, 2.0, 3.0]])), (1, 2, np.array([[9.0]]))], 2)
    >>> packing.into(np.zeros((3, 2)), 1, 3).tolist()
    [[0.0, 0.0], [2.0, 9.0], [3.0, 9.0]]
    """

    def __init__(self, parts: list[tuple[int, int, np.ndarray]], width: int) -> None:
        self.parts = parts
        self.width = width

    def into(self, out: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """Write the rows of runs lo:hi of `out` (shape ``(n, width)``); return `out`."""
        for a, b, arr in self.parts:
            out[lo:hi, a:b] = (arr if arr.shape[1] == 1 else arr[:, lo:hi]).T
        return out


def make_kernel(program: Program, dims: Dimensions) -> tuple[Kernel | None, str]:
    """The numba kernel of a program, or None and the reason it cannot be made."""
    if not numba_available():
        return None, "numba is not installed (pip install 'gysim[compiled]')"
    try:
        source = generate_source(program, dims)
    except Unsupported as err:
        return None, f"the numba backend cannot compile {err}"
    except RecursionError:
        return None, "the numba backend cannot compile equations nested this deeply"
    try:
        return Kernel(program, dims, source), ""
    except Exception as err:  # numba's typing and lowering errors have no common base
        return None, f"numba failed to compile the model ({type(err).__name__}: " \
                     f"{str(err).splitlines()[0] if str(err) else ''})"


class NumbaBackend(NumpyBackend):
    """The numpy backend's functions, plus a numba :class:`Kernel` made at once.

    ``CompiledModel(model, backend=NumbaBackend())`` compiles the kernel
    with the model; otherwise :meth:`CompiledModel.kernel` makes it on first
    use. The numpy functions stay: the initial values and the precomputed
    (static) values of a chunk come from them, and the adaptive methods'
    saved outputs.
    """

    def kernel(self, program: Program, dims: Dimensions) -> tuple[Kernel | None, str]:
        """The kernel, or None and why not (see :func:`make_kernel`)."""
        return make_kernel(program, dims)


def choose(compiled: CompiledModel, backend: str, evaluations: float,
           runs: int, *, fixed: bool = True) -> tuple[Kernel | None, str]:
    """The kernel to run with (None: numpy) and, when it is numpy, why.

    ``"auto"`` takes numba when what it saves exceeds twice what it costs.
    It saves the numpy backend's Python overhead (:data:`NUMPY_OVERHEAD` per
    equation and evaluation, whatever the number of runs) and, for a
    fixed-step ensemble, part of the numpy backend's arithmetic
    (:data:`NUMPY_PER_VALUE` per equation, evaluation and run): all of it but
    :data:`NUMBA_SHARE` on one thread, divided between the threads on more.
    It costs the compile time (:data:`COMPILE_PER_EQUATION` per equation),
    :data:`LOAD_SECONDS` when the kernel is in the disk cache (not looked
    for when not even that would be repaid), nothing when it is made already
    in this process.

    Parameters
    ----------
    compiled : CompiledModel
    backend : {"auto", "numba", "numpy"}
    evaluations : float
        About how many times the derivatives are evaluated (steps x stages).
    runs : int
        Runs of the simulation.
    fixed : bool
        Whether the method has a fixed step (the kernel's threads integrate
        blocks of runs); an adaptive method calls the kernel's derivatives
        on one thread.

    Raises
    ------
    ModelDefinitionError
        If ``backend`` is not one of :data:`BACKENDS`, or is "numba" and numba
        is not installed or cannot compile the model.
    """
    if backend not in BACKENDS:
        raise ModelDefinitionError(f"`backend` must be one of {', '.join(map(repr, BACKENDS))}, "
                                   f"got {backend!r}")
    if backend == "numpy":
        return None, "asked for"
    if backend == "auto":
        if not numba_available():
            return None, "numba is not installed"
        threads = min(runs, _threads()) if fixed else 1
        equations = len(compiled.order) + compiled.n_state_rows
        share = NUMBA_SHARE / threads if fixed else 1.0  # solve_ivp: numba's derivatives alike
        saving = NUMPY_OVERHEAD * equations * evaluations \
            + NUMPY_PER_VALUE * equations * evaluations * runs * (1 - share)
        compile_cost = COMPILE_PER_EQUATION * equations
        if compiled.kernel_ready():
            cost, what = 0.0, ""
        elif saving <= 2 * min(LOAD_SECONDS, compile_cost):
            # numpy whether or not the disk cache has the kernel: not worth writing the
            # model's numba source to find out (seconds for a model of 10^5 elements)
            cost = min(LOAD_SECONDS, compile_cost)
            what = f" and take at least {cost:.2g} s to load from its cache or compile"
        elif is_cached(compiled.program, compiled._dims):
            cost, what = LOAD_SECONDS, f" and take {LOAD_SECONDS:.2g} s to load from its cache"
        else:
            cost = compile_cost
            what = f" and take {cost:.2g} s to compile"
        if saving <= 2 * cost:
            return None, f"small run (numba would save about {saving:.2g} s{what})"
    kernel, reason = compiled.kernel()
    if kernel is None and backend == "numba":
        raise ModelDefinitionError(f"backend='numba': {reason}")
    return kernel, reason
