"""Evaluating a sample matrix on a model: vectorized chunks, in-process or on Dask, streamed.

:func:`run_batch` splits a sample (one row per run) into chunks; each chunk
is one vectorized :func:`gysim.simulate` call. Chunks run in this process or,
with ``client=``, on a :class:`dask.distributed.Client`. With ``store=`` every
finished chunk is written to a zarr store as soon as it arrives, so memory
stays bounded whatever the number of runs; the store records which chunks are
finished (its ``_done`` variable, written after the chunk's data), so a study
interrupted part-way resumes without recomputing them, and the finished store
is identical to an uninterrupted run's.

Examples
--------
>>> import numpy as np, gysim
>>> from gysim.batch import run_batch
>>> m = gysim.Model("growth", start=0, stop=2)
>>> m.stock("x", 1.0)
>>> m.param("r", 0.1, bounds=(0, 1))
>>> m.flow("growth", "r * x", into="x")
>>> ens = run_batch(m, {"r": np.linspace(0, 1, 10)}, chunk_size=4, progress=False,
...                 method="euler", dt=1)
>>> ens.x.dims, ens.sizes["run"]
(('time', 'run'), 10)
>>> float(ens.x.sel(time=2)[-1])
4.0
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import re
from typing import Any, Iterator, Mapping

import numpy as np
import xarray as xr

from ._text import suggest
from .atomic import create_directory_atomic, os_error_reason, pid_lock, remove_stale
from .engine.limits import check_memory, n_values, saved_times
from .errors import DataError, GysimError, ModelDefinitionError, ParameterError
from .labels import resolve_labels, split_element
from .model import Model
from .outputs import Derived, needed_variables, output_names, resolve_outputs, with_outputs
from .simulate import FIXED_STEP_METHODS, simulate

__all__ = ["run_batch", "envelope", "default_chunk_size", "as_params",
           "param_element", "element_bounds", "NUMERICS_VERSION"]

#: Values (saved times x variables x runs) a default chunk holds.
VALUE_BUDGET = 4_000_000
#: Runs a fixed-step chunk integrates at once: a chunk's runs are integrated in pieces
#: of this many, whose numpy temporaries stay in the processor's cache (a 190-equation
#: model's chunks of 16 384 runs simulate in half the time). Fixed-step runs are
#: independent of each other, so the numbers do not depend on it; adaptive methods,
#: whose step control sees every run of a chunk, integrate the whole chunk.
INTEGRATE_RUNS = 4096
#: Compiled models a process keeps by hash (:func:`_resident`), for Dask workers.
RESIDENT_MODELS = 4
#: Times a chunk whose Dask future comes back as an error is submitted again.
RETRIES = 3
#: Attributes of a chunk's Dataset that describe one chunk, not the study.
_PER_CHUNK_ATTRS = ("solver_nfev", "solver_chunks", "solver_steps", "solver_njev", "solver_nlu",
                    "failed_runs", "n_failed", "first_failure")
_DONE = "_done"
#: Version of the numbers a run produces: bump it with any change to gysim that changes
#: results (solvers, builtins, code generation), so that a store written before is not
#: resumed with chunks computed differently. Unlike the package version, a release that
#: leaves the numbers alone keeps existing stores resumable.
NUMERICS_VERSION = 1
#: Version of the store layout (variables, attributes, the ``_done`` record).
_STORE_FORMAT = 1
#: zarr's temporary files (``<name>.<32 hex digits>.partial``), renamed into place when whole.
_PARTIAL = re.compile(r"\.[0-9a-f]{32}\.partial$")


def _one_line(err: BaseException) -> str:
    """An exception's text on one line (its type when it has none)."""
    return " ".join(str(err).split()) or type(err).__name__


def param_element(model: Model, name: str, *, argument: str = "samples"
                  ) -> tuple[str, tuple[int, ...] | None]:
    """Resolve ``param`` or ``param[label]`` to (parameter, index into its values or None).

    A plain name is a parameter or stock as a whole (for one over dimensions,
    one value for every element). ``param[label]`` (``param[l1,l2]`` for
    several dims, one label of each in any order) is one element of a
    subscripted parameter.

    Raises
    ------
    ParameterError
        If the name is not a parameter (or stock) of the model, names an
        element of a stock or of a parameter without dims, or a label is not
        one of the parameter's elements.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.param("rate", 0.1, dims=("sector",), bounds=(0, 1))
    >>> param_element(m, "rate[secondary]"), param_element(m, "rate")
    (('rate', (1,)), ('rate', None))
    """
    try:
        base, labels = split_element(name)
    except GysimError as err:
        raise ParameterError(f"`{argument}`: {err}") from None
    known = [*model.params, *model.stocks]
    if base not in model.params and base not in model.stocks:
        raise ParameterError(f"`{argument}`: '{base}' is not a parameter or stock of model "
                             f"'{model.name}'{suggest(str(base), known)}")
    if not labels:
        return base, None
    if base in model.stocks:
        raise ParameterError(f"`{argument}`: '{name}' names one element of stock '{base}'; "
                             f"give the stock's initial values as a whole ('{base}', an array "
                             f"of shape (runs, *sizes)) or make them a parameter over its dims")
    dims = tuple(model.elements[base].dims)
    index = resolve_labels(name, dims, model.dimensions, argument=argument, kind="parameter",
                           error=ParameterError)
    return base, tuple(index[d] for d in dims)


def element_bounds(model: Model, name: str) -> tuple[float, float] | None:
    """Bounds of a parameter, or of the parameter an element ``param[label]`` belongs to.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.param("rate", 0.1, dims=("sector",), bounds=(0, 1))
    >>> element_bounds(m, "rate[primary]")
    (0.0, 1.0)
    """
    base, _ = split_element(name)
    return model.params[base].bounds if base in model.params else None


def as_params(model: Model, values: Mapping[str, Any], *, argument: str = "params"
              ) -> dict[str, Any]:
    """Values named ``param`` or ``param[label]`` as :func:`gysim.simulate` ``params``.

    :func:`gysim.simulate` and ``Model.with_params`` take a subscripted
    parameter as a whole. This gathers element values ``param[label]`` (a
    number, or a 1-D array of runs) into one array per parameter over its
    dims -- a mapping of labels (tuples of labels over several dims) for
    numbers, an array ``(runs, *sizes)`` for runs -- with the model's own
    value in the elements not given. Plain names pass through.

    Raises
    ------
    ParameterError
        For unknown names or labels, a parameter given both as a whole and
        by element, or element values of different lengths.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.dimension("sector", ["primary", "secondary"])
    >>> m.param("rate", {"primary": 0.1, "secondary": 0.2}, dims=("sector",), bounds=(0, 1))
    >>> as_params(m, {"rate[secondary]": 0.5})["rate"]
    {'primary': 0.1, 'secondary': 0.5}
    >>> as_params(m, {"rate[primary]": [0.3, 0.4]})["rate"].tolist()
    [[0.3, 0.2], [0.4, 0.2]]
    """
    out: dict[str, Any] = {}
    grouped: dict[str, list[tuple[tuple[int, ...], Any, str]]] = {}
    for key, value in values.items():
        if not split_element(str(key))[1]:  # a plain name: simulate checks it
            base, index = str(key), None
        else:
            base, index = param_element(model, str(key), argument=argument)
        if index is None:
            if base in grouped:
                raise ParameterError(f"`{argument}` gives '{base}' both as a whole and by "
                                     f"element ('{grouped[base][0][2]}'); give one or the other")
            out[base] = value
            continue
        if base in out:
            raise ParameterError(f"`{argument}` gives '{base}' both as a whole and by element "
                                 f"('{key}'); give one or the other")
        grouped.setdefault(base, []).append((index, value, str(key)))
    for base, items in grouped.items():
        own = np.asarray(model.params[base].value, dtype=float)
        sizes = tuple(len(model.dimensions[d]) for d in model.params[base].dims)
        own = np.broadcast_to(own, sizes)
        n = None
        for _, value, key in items:
            arr = np.asarray(value, dtype=float)
            if arr.ndim > 1:
                raise ParameterError(f"`{argument}['{key}']` must be a number or a 1-D array of "
                                     f"runs, got shape {arr.shape}")
            if arr.ndim == 1:
                if n is not None and arr.size != n[0]:
                    raise ParameterError(f"`{argument}`: '{key}' has {arr.size} values but "
                                         f"'{n[1]}' has {n[0]}; every element needs one per run")
                n = (arr.size, key)
        full = np.array(own, dtype=float) if n is None else \
            np.repeat(own[None, ...], n[0], axis=0)
        for index, value, _ in items:
            if n is None:
                full[index] = float(value)
            else:
                full[(slice(None),) + index] = np.asarray(value, dtype=float)
        if n is None:  # one value per element: a mapping of labels (a 1-D array means runs)
            dims = model.params[base].dims
            labels = [model.dimensions[d] for d in dims]
            full = {(key if len(dims) > 1 else key[0]): float(full[index])
                    for index, key in zip(np.ndindex(*sizes), itertools.product(*labels))}
        out[base] = full
    return out


def _as_columns(model: Model, samples: Any) -> dict[str, np.ndarray]:
    """Sample columns by name, from a DataFrame or a mapping of 1-D arrays, checked up front
    (so a bad value in the last chunk does not surface after hours of work)."""
    if hasattr(samples, "columns") and hasattr(samples, "to_numpy"):
        samples = {str(c): samples[c].to_numpy(dtype=float) for c in samples.columns}
    if not isinstance(samples, Mapping):
        raise ParameterError(f"`samples` must be a pandas DataFrame or a mapping of names to "
                             f"1-D arrays, got {type(samples).__name__}")
    cols: dict[str, np.ndarray] = {}
    n = None
    for name, values in samples.items():
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise ParameterError(f"`samples['{name}']` must be a non-empty 1-D array, "
                                 f"got shape {arr.shape}")
        if n is not None and arr.size != n:
            raise ParameterError(f"every column of `samples` must have the same length; "
                                 f"'{name}' has {arr.size}, not {n}")
        n = arr.size
        name = str(name)
        param_element(model, name)
        bad = ~np.isfinite(arr)
        if bad.any():
            i = int(np.argmax(bad))
            raise ParameterError(f"`samples['{name}']` must be finite; run {i} has {arr[i]}")
        bounds = element_bounds(model, name)
        if bounds is not None:
            out = (arr < bounds[0]) | (arr > bounds[1])
            if out.any():
                i = int(np.argmax(out))
                raise ParameterError(f"`samples['{name}']`: {int(out.sum())} of {n} values are "
                                     f"outside the bounds ({bounds[0]:g}, {bounds[1]:g}) of "
                                     f"parameter '{name}', e.g. run {i}: {arr[i]:g}")
        cols[name] = arr
    if not cols:
        raise ParameterError("`samples` must have at least one column")
    as_params(model, {k: v[:1] for k, v in cols.items()}, argument="samples")  # conflicts
    return cols


def default_chunk_size(model: Model, n_runs: int, *, n_times: int | None = None,
                       n_variables: int | None = None) -> int:
    """Runs per chunk that keep about :data:`VALUE_BUDGET` saved values in one chunk.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=9)
    >>> m.param("a", 1.0)
    >>> m.aux("y", "a")
    >>> default_chunk_size(m, 10**7)
    400000
    """
    compiled = model.compile()
    if n_variables is None:
        n_variables = n_values(compiled, compiled.stock_names + compiled.output_names)
    if n_times is None:
        n_times = saved_times(model.start, model.stop, model.saveper) or 1
    per_run = max(1, n_variables) * max(1, n_times)
    return int(max(1, min(n_runs, VALUE_BUDGET // per_run)))


def _failure_attrs(ds: xr.Dataset) -> xr.Dataset:
    """The failed runs of a whole batch (simulate's ``on_error="mask"``), from ``failed``."""
    if "failed" in ds.coords:
        failed = ds["run"].values[np.asarray(ds["failed"].values, dtype=bool)]
        ds.attrs.update(failed_runs=json.dumps([int(r) for r in failed]), n_failed=len(failed))
    return ds


_RESIDENT: dict[str, Model] = {}


def _resident(model: Model) -> Model:
    """The model this process already holds (and compiled) with the same hash, else `model`.

    A Dask worker receives a fresh copy of the model with every batch (a
    compiled model does not pickle); equal models (:meth:`gysim.Model.hash`:
    every number, the method, dt, saveper) compile once per worker process,
    not once per batch. The last :data:`RESIDENT_MODELS` models are kept.

    Examples
    --------
    >>> import gysim
    >>> a, b = gysim.Model("m"), gysim.Model("m")
    >>> _resident(a) is a, _resident(b) is a
    (True, True)
    """
    key = model.hash()
    held = _RESIDENT.pop(key, model)
    _RESIDENT[key] = held  # most recent last
    while len(_RESIDENT) > RESIDENT_MODELS:
        _RESIDENT.pop(next(iter(_RESIDENT)))
    return held


def _run_chunk(model: Model, params: dict[str, np.ndarray], lo: int,
               options: dict) -> xr.Dataset:
    """Simulate one chunk of runs; the run coordinate starts at ``lo``.

    This module-level function is the unit of work shipped to Dask workers
    (which keep the compiled model: :func:`_resident`), and the hook tests
    replace to simulate an interruption.
    """
    options = dict(options)
    integrate = options.pop("integrate_runs", None)
    if integrate is not None:
        options["chunk_size"] = min(options["chunk_size"], integrate)
    ds = simulate(_resident(model), params=params, **options)
    ds = ds.assign_coords(run=np.arange(lo, lo + ds.sizes["run"]))
    for key in _PER_CHUNK_ATTRS:
        ds.attrs.pop(key, None)
    return ds


def _canonical(value: Any) -> Any:
    """`value` as JSON-ready data that keeps every bit of every number (arrays by digest)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return {"float": float(value).hex()}
    if hasattr(value, "__array__") and not isinstance(value, Mapping):
        arr = np.ascontiguousarray(np.asarray(value))
        if arr.dtype.kind == "O":
            return {"object_array": [_canonical(v) for v in arr.ravel().tolist()],
                    "shape": list(arr.shape)}
        return {"array": arr.dtype.str, "shape": list(arr.shape),
                "sha256": hashlib.sha256(arr.tobytes()).hexdigest()}
    if isinstance(value, Mapping):
        return {"mapping": sorted(([json.dumps(_canonical(k), sort_keys=True), _canonical(v)]
                                   for k, v in value.items()), key=lambda kv: kv[0])}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_canonical(v) for v in value]
        return {"set": sorted(json.dumps(v, sort_keys=True) for v in items)} \
            if isinstance(value, (set, frozenset)) else items
    return {"repr": type(value).__qualname__ + ":" + repr(value)}


def _fingerprint(model: Model, cols: dict[str, np.ndarray], chunk_size: int,
                 options: dict) -> str:
    """What a store's runs depend on, as one digest: a store resumes only the same study.

    It covers the numerics version (:data:`NUMERICS_VERSION`), the model
    (:meth:`gysim.Model.hash`: every value to the last bit, its method,
    dt, saveper, start and stop), every simulate option given (floats by
    their hex form, arrays by a digest of their bytes), the chunk size and
    the samples (names, dtypes and bytes).
    """
    h = hashlib.sha256()
    head = {"store_format": _STORE_FORMAT, "numerics": NUMERICS_VERSION, "model": model.hash(),
            "options": _canonical(dict(options)), "chunk_size": int(chunk_size),
            "columns": [[name, str(arr.dtype), list(arr.shape)] for name, arr in cols.items()]}
    h.update(json.dumps(head, sort_keys=True).encode())
    for arr in cols.values():
        h.update(np.ascontiguousarray(arr, dtype=float).tobytes())
    return h.hexdigest()


class _Store:
    """The zarr store of one study: created whole from the first chunk, filled chunk by chunk.

    The store is created in a hidden folder beside its path and renamed into
    place once its metadata are written, so a crash during creation leaves no
    half-made store. While a study writes to it, a lock file beside it
    (``.<name>.lock``, holding the process id) keeps other processes out;
    zarr's temporary files (``*.partial``) that a killed writer left inside
    are removed when the store is opened again for writing.
    """

    def __init__(self, path: str, fingerprint: str, n_runs: int, chunk_size: int) -> None:
        self.path = os.fspath(path)
        self.fingerprint = fingerprint
        self.n_runs = n_runs
        self.chunk_size = chunk_size
        self.n_chunks = -(-n_runs // chunk_size)
        self._group = None

    def _write_error(self, err: OSError) -> DataError:
        return DataError(f"cannot write to `store` {self.path!r}: {os_error_reason(err)}; the "
                         f"chunks already written are kept: make room (or make it writable) and "
                         f"run the same study again to resume")

    def done(self) -> np.ndarray:
        """Which chunks the store already holds (all False for a new store)."""
        if not os.path.exists(self.path):
            return np.zeros(self.n_chunks, bool)
        if not os.path.isdir(self.path):
            raise DataError(f"`store` {self.path!r} is a file, not a zarr store; remove it or "
                            f"choose another path")
        try:
            ds = xr.open_zarr(self.path, consolidated=False)
        except Exception as err:
            raise DataError(f"`store` {self.path!r} exists but is not a readable zarr store "
                            f"({_one_line(err)}); remove it or choose another path") from None
        found = ds.attrs.get("batch_fingerprint")
        if found is None:
            raise DataError(f"`store` {self.path!r} is not a gysim study store, or its creation "
                            f"was interrupted (it records no study); remove it or choose another "
                            f"path")
        if found != self.fingerprint:
            raise DataError(f"`store` {self.path!r} holds a different study (other model, "
                            f"samples, chunk size or simulation options); remove it or choose "
                            f"another path to start a new one")
        if _DONE not in ds:
            raise DataError(f"`store` {self.path!r} is damaged: its record of finished chunks "
                            f"is missing; remove the store to start again")
        try:
            done = ds[_DONE].values.astype(bool)
        except Exception as err:
            raise DataError(f"`store` {self.path!r}: its record of finished chunks cannot be "
                            f"read ({_one_line(err)}); remove the store to start again") \
                from None
        if done.shape != (self.n_chunks,):
            raise DataError(f"`store` {self.path!r} records {done.size} chunks, not "
                            f"{self.n_chunks}; remove it or choose another path")
        return done

    def lock(self):
        """Hold the store's lock file for the ``with`` block (see :func:`gysim.atomic.pid_lock`)."""
        folder, name = os.path.split(os.path.abspath(self.path))
        if not os.path.isdir(folder):
            raise DataError(f"cannot write `store` {self.path!r}: the folder {folder!r} does "
                            f"not exist")
        return pid_lock(os.path.join(folder, f".{name}.lock"), what=f"`store` {self.path!r}")

    def clean(self) -> list[str]:
        """Remove the temporary files a killed writer left inside the store (hold the lock)."""
        removed = []
        for folder, _, files in os.walk(self.path):
            for f in files:
                if _PARTIAL.search(f):
                    with contextlib.suppress(OSError):
                        os.remove(os.path.join(folder, f))
                        removed.append(os.path.join(folder, f))
        return removed

    def _lazy(self, var: xr.DataArray) -> tuple:
        """An unwritten (dask zeros) variable of the whole study: the chunk's shape, all runs."""
        import dask.array as da
        axis = var.dims.index("run")
        shape = var.shape[:axis] + (self.n_runs,) + var.shape[axis + 1:]
        chunks = var.shape[:axis] + (self.chunk_size,) + var.shape[axis + 1:]
        return var.dims, da.zeros(shape, dtype=var.dtype, chunks=chunks), var.attrs

    def create(self, first: xr.Dataset) -> None:
        """Create the store (metadata, all chunks undone) whole, or find it made by another."""
        # (time, *dims, run) per variable; run coordinates (the sampled values, over the
        # parameter's dims for a subscripted one) are written chunk by chunk like the data
        data_vars = {name: self._lazy(var) for name, var in first.data_vars.items()}
        coords: dict[str, Any] = {"run": np.arange(self.n_runs)}
        for name, coord in first.coords.items():
            if name == "run":
                continue
            coords[name] = self._lazy(coord) if "run" in coord.dims else coord
        attrs = dict(first.attrs, n_runs=self.n_runs, batch_fingerprint=self.fingerprint,
                     batch_chunk_size=self.chunk_size, batch_n_chunks=self.n_chunks)
        template = xr.Dataset(data_vars, coords=coords, attrs=attrs)
        template[_DONE] = ("chunk", np.zeros(self.n_chunks, bool),
                           {"long_name": "chunks of runs already written"})
        created = create_directory_atomic(
            self.path, lambda tmp: template.to_zarr(tmp, mode="w-", compute=False,
                                                    consolidated=False))
        if not created:
            self.done()  # made meanwhile: it must be this study's

    def write(self, index: int, ds: xr.Dataset) -> None:
        """Write one chunk's data, then mark the chunk done (so a crash leaves it undone)."""
        import zarr
        try:
            if self._group is None:
                self._group = zarr.open_group(self.path, mode="r+")
            lo = index * self.chunk_size
            hi = lo + ds.sizes["run"]
            for name, var in ds.variables.items():
                if "run" not in var.dims or name == "run":
                    continue
                where = tuple(slice(lo, hi) if d == "run" else slice(None) for d in var.dims)
                self._group[name][where] = var.values
            self._group[_DONE][index] = True
        except OSError as err:
            raise self._write_error(err) from err
        except KeyError as err:
            raise DataError(f"`store` {self.path!r} lacks the variable {err}; it was made "
                            f"for another study or damaged: remove it to start again") from None

    def open(self) -> xr.Dataset:
        ds = xr.open_zarr(self.path, consolidated=False).drop_vars(_DONE)
        # element labels come back as zarr strings; give them the in-memory run's object dtype
        labels = {d: ds[d].values.astype(object) for d in ds.dims
                  if d in ds.coords and ds[d].dtype.kind in "UT"}
        ds = ds.assign_coords({d: (d, v, ds[d].attrs) for d, v in labels.items()})
        return _failure_attrs(ds)


def _progress(total: int, initial: int, enabled: bool, desc: str):
    from tqdm.auto import tqdm
    return tqdm(total=total, initial=initial, disable=not enabled, desc=desc, unit="chunk",
                delay=2.0)


def _chunks_in_process(model, todo, bounds, chunk_params, options) -> Iterator[tuple]:
    for i in todo:
        lo, _ = bounds[i]
        yield i, _run_chunk(model, chunk_params(i), lo, options)


def _chunks_on_dask(client, model, todo, bounds, chunk_params, options) -> Iterator[tuple]:
    from distributed import as_completed
    # the model goes with every task (a few kB; a compiled model does not pickle): a model
    # scattered once is lost with the worker holding it, and each worker compiles an equal
    # model only once anyway (_resident)
    shipped = model.copy()
    try:
        n_workers = max(1, sum(client.nthreads().values()))
    except Exception:  # pragma: no cover - e.g. a scheduler still starting its workers
        n_workers = 1
    window = 2 * n_workers  # futures in flight: bounds the results held at once
    pending = iter(todo)
    index = {}

    def submit(i):
        lo, _ = bounds[i]
        fut = client.submit(_run_chunk, shipped, chunk_params(i), lo, options, pure=False)
        index[fut.key] = i
        return fut

    first = [submit(i) for _, i in zip(range(window), pending)]
    queue = as_completed(first, with_results=True)
    retries: dict[int, int] = {}
    try:
        for fut, ds in queue:
            i = index.pop(fut.key)
            if isinstance(ds, BaseException):  # e.g. cancelled when the cluster lost it
                retries[i] = retries.get(i, 0) + 1
                if retries[i] > RETRIES:
                    raise ds
                queue.add(submit(i))
                continue
            yield i, ds
            nxt = next(pending, None)
            if nxt is not None:
                queue.add(submit(nxt))
    finally:
        for fut in list(queue.futures):
            fut.cancel()


def _run_chunks(model, client, todo, bounds, chunk_params, options, st, done, progress,
                n) -> dict[int, xr.Dataset]:
    """Run the chunks `todo`: into the store `st` as each finishes, or held and returned."""
    if client is None:
        results = _chunks_in_process(model, todo, bounds, chunk_params, options)
    else:
        results = _chunks_on_dask(client, model, todo, bounds, chunk_params, options)
    held: dict[int, xr.Dataset] = {}
    with _progress(len(bounds), int(done.sum()), progress, f"{model.name}: {n} runs") as bar:
        for i, ds in results:
            if st is not None:
                if not os.path.exists(st.path):
                    st.create(ds)
                st.write(i, ds)
            else:
                held[i] = ds
            bar.update(1)
    return held


def run_batch(model: Model, samples: Any, *, chunk_size: int | None = None, client: Any = None,
              store: str | os.PathLike | None = None, progress: bool = True,
              **simulate_options: Any) -> xr.Dataset:
    """Simulate every run of a sample, chunk by chunk.

    Parameters
    ----------
    model : Model
        The model to run. It is not changed.
    samples : pandas.DataFrame or mapping of 1-D arrays
        One column per parameter (or stock initial value), one row per run,
        e.g. from :func:`gysim.sampling.sample`. A column ``param[label]``
        varies one element of a subscripted parameter (the others keep the
        model's values); a plain name of a subscripted parameter gives every
        element the same value (see :func:`as_params`).
    chunk_size : int, optional
        Runs per chunk; each chunk is one vectorized :func:`gysim.simulate`
        call (and one Dask task). By default as many as keep about four
        million saved values in a chunk.
    client : dask.distributed.Client, optional
        Run the chunks on this Dask client's workers (a LocalCluster or any
        cluster's scheduler). Without one they run in this process.
    store : str or path, optional
        Path of a zarr store the chunks stream to as they finish. If it
        already holds part of the same study (same model, samples, chunk size
        and options), only the missing chunks are computed.
    progress : bool
        Show a tqdm progress bar over chunks (it appears after two seconds).
    **simulate_options
        Passed to :func:`gysim.simulate`: ``method``, ``dt``, ``saveper``,
        ``rtol``, ``atol``, ``variables``, ``stop``, ``max_step``,
        ``scenario``. ``variables`` may also hold :class:`gysim.Target`
        objects and functions of the run ``f(ds) -> DataArray`` (a mapping
        names them; see :mod:`gysim.outputs`): they are added to the
        ensemble as variables (with ``long_name`` and ``units``), and the
        runs save the variables they read (all of them for a function).

    Returns
    -------
    xarray.Dataset
        The ensemble, dims ``(time, run)`` (``(time, *dims, run)`` for a
        subscripted variable, the same in memory and in a store), with the
        sampled values as run coordinates. With ``store`` it is opened lazily from the store
        (dask-backed); otherwise it is in memory.

    Raises
    ------
    ParameterError
        If the samples are malformed or out of the parameters' bounds.
    DataError
        If ``store`` holds a different study or is not a zarr store.

    Examples
    --------
    >>> import numpy as np, pandas as pd, gysim, tempfile, os
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 10))
    >>> m.aux("y", "2 * a")
    >>> path = os.path.join(tempfile.mkdtemp(), "study.zarr")
    >>> s = pd.DataFrame({"a": np.arange(10.0)})
    >>> ens = run_batch(m, s, chunk_size=3, store=path, progress=False)
    >>> ens.y.sel(time=1).values.tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0]
    >>> run_batch(m, s, chunk_size=3, store=path, progress=False).identical(ens)  # resumed: no work
    True
    """
    if not isinstance(model, Model):
        raise ModelDefinitionError(f"`model` must be a gysim.Model, got {type(model).__name__}")
    if "params" in simulate_options or "chunk_size" in simulate_options:
        raise ParameterError("pass the runs as `samples`, not `params`")
    cols = _as_columns(model, samples)
    n = len(next(iter(cols.values())))
    simulate_options, derived = _derived_variables(model, simulate_options)
    variables = simulate_options.get("variables")
    n_times = saved_times(model.start, simulate_options.get("stop", model.stop),
                          simulate_options.get("saveper") or model.saveper) or 1
    compiled = model.compile()
    n_vars = n_values(compiled, compiled.stock_names + compiled.output_names
                       if variables is None else variables)
    if store is None:  # every run is held in memory until the end
        check_memory(8.0 * n * n_times * n_vars,
                     f"the batch's {n} runs held in memory ({n_times:.4g} saved times x {n_vars} "
                     f"values x 8 bytes per run)",
                     ["stream them to a study store on disk (`store=`)",
                      "fewer saved times (`saveper=`)", "fewer `variables=`"],
                     max_bytes=simulate_options.get("max_bytes"))
    if chunk_size is None:
        chunk_size = default_chunk_size(
            model, n, n_times=n_times, n_variables=None if variables is None else n_vars)
    elif isinstance(chunk_size, bool) or not isinstance(chunk_size, (int, np.integer)) \
            or chunk_size < 1:
        raise ParameterError(f"`chunk_size` must be a positive integer, got {chunk_size!r}")
    chunk_size = int(min(chunk_size, n))
    bounds = [(lo, min(n, lo + chunk_size)) for lo in range(0, n, chunk_size)]
    options = dict(simulate_options, chunk_size=chunk_size)
    if (simulate_options.get("method") or model.method) in FIXED_STEP_METHODS:
        options["integrate_runs"] = INTEGRATE_RUNS

    run_params = as_params(model, cols, argument="samples")

    def chunk_params(i: int) -> dict[str, np.ndarray]:
        lo, hi = bounds[i]
        return {k: v[lo:hi] for k, v in run_params.items()}

    if store is None:
        held = _run_chunks(model, client, range(len(bounds)), bounds, chunk_params, options,
                           None, np.zeros(len(bounds), bool), progress, n)
    else:
        st = _Store(store, _fingerprint(model, cols, chunk_size, simulate_options), n, chunk_size)
        done = st.done()
        if not done.all():
            with st.lock():
                remove_stale(os.path.abspath(st.path))  # a creation killed part-way
                done = st.done()  # another process may have worked on it meanwhile
                st.clean()
                todo = [i for i in range(len(bounds)) if not done[i]]
                _run_chunks(model, client, todo, bounds, chunk_params, options, st, done,
                            progress, n)
        ens = st.open()
        expected = (compiled.stock_names + compiled.output_names if variables is None
                    else [variables] if isinstance(variables, str) else list(variables))
        lost = [v for v in expected if split_element(v)[0] not in ens.data_vars]
        if lost:  # removed from the store by hand: never hand back a study without them
            raise DataError(f"`store` {str(store)!r} is damaged: it lacks the variable(s) "
                            f"{', '.join(lost)} of this study; delete it to run the study again")
        return with_outputs(ens, derived, argument="variables") if derived else ens
    parts = [held[i] for i in range(len(bounds))]
    ens = xr.concat(parts, dim="run", combine_attrs="override") if len(parts) > 1 else parts[0]
    ens.attrs.update(parts[0].attrs, n_runs=n, batch_chunk_size=chunk_size,
                     batch_n_chunks=len(bounds))
    ens = _failure_attrs(ens)
    return with_outputs(ens, derived, argument="variables") if derived else ens


def _derived_variables(model: Model, options: dict) -> tuple[dict, list[Derived]]:
    """Split `variables` into what simulate saves and the derived outputs added after.

    Targets and functions of the run among ``variables`` (see
    :mod:`gysim.outputs`) are computed on the ensemble; the run saves the
    variables they read (every variable for a function).
    """
    variables = options.get("variables")
    if variables is None or isinstance(variables, str) or (
            isinstance(variables, (list, tuple)) and all(isinstance(v, str) for v in variables)):
        return options, []
    compiled = model.compile()
    resolved = resolve_outputs(variables, argument="variables",
                               variables=compiled.stock_names + compiled.output_names,
                               what=f"model '{model.name}'",
                               kinds={k: e.kind for k, e in model.elements.items()})
    needed = needed_variables(resolved)
    saved = None if needed is None else list(dict.fromkeys(
        [o for o in resolved if isinstance(o, str)] + needed))
    return dict(options, variables=saved), [o for o in resolved if isinstance(o, Derived)]


def envelope(ds: xr.Dataset, variables: str | list[str] | None = None,
             quantiles: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)) -> xr.Dataset:
    """Quantiles over runs of an ensemble, for fan charts.

    Parameters
    ----------
    ds : xarray.Dataset
        An ensemble with a ``run`` dimension (e.g. from :func:`run_batch`).
    variables : str or list, optional
        The variables to summarise (default: every variable with a ``run``
        dimension); :class:`gysim.Target` objects and functions of the run
        (see :mod:`gysim.outputs`) are computed and summarised too.
    quantiles : tuple of float
        Quantiles in [0, 1].

    Returns
    -------
    xarray.Dataset
        Each variable with the ``run`` dimension replaced by ``quantile``.

    Raises
    ------
    DataError
        If the Dataset has no ``run`` dimension, a variable is unknown or a
        quantile is outside [0, 1].

    Examples
    --------
    >>> import numpy as np, gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 100))
    >>> m.aux("y", "a")
    >>> ens = gysim.simulate(m, params={"a": np.arange(101.0)})
    >>> envelope(ens, "y", quantiles=(0.05, 0.5)).y.sel(time=1).values.tolist()
    [5.0, 50.0]
    """
    if not isinstance(ds, xr.Dataset) or "run" not in ds.dims:
        raise DataError("`ds` must be an ensemble Dataset with a `run` dimension")
    if variables is None:
        variables = [v for v in ds.data_vars if "run" in ds[v].dims and not v.startswith("_")]
    elif isinstance(variables, str):
        variables = [variables]
    elif not (isinstance(variables, (list, tuple)) and all(isinstance(v, str) for v in variables)):
        resolved = resolve_outputs(variables, argument="variables")  # targets, functions
        ds = with_outputs(ds, [o for o in resolved if isinstance(o, Derived)],
                          argument="variables")
        variables = output_names(resolved)
    for v in variables:
        if v not in ds.data_vars:
            raise DataError(f"`variables`: '{v}' is not a variable of the ensemble"
                            f"{suggest(str(v), list(ds.data_vars))}")
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or not ((q >= 0) & (q <= 1)).all():
        raise DataError(f"`quantiles` must be numbers in [0, 1], got {quantiles!r}")
    out = {}
    for v in variables:
        da_ = ds[v]
        if da_.chunks is not None:
            da_ = da_.chunk({"run": -1})
        out[v] = da_.quantile(q, dim="run", keep_attrs=True).compute()
    return xr.Dataset(out, attrs={k: ds.attrs[k] for k in ("model", "model_hash") if k in ds.attrs})
