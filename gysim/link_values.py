"""Values of a compiled model's equations at chosen points, one equation at a time.

Feedback analysis needs what the integrators never compute: one equation
evaluated with one of its inputs changed and the others held. This module
evaluates the compiled program's equations (and the stocks' net flows) from
an environment of named values whose last axis holds the points (runs, or
times x runs flattened), with the code the numpy backend writes for them.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m", stop=2)
>>> m.stock("x", 2.0)
>>> m.param("k", 0.5)
>>> m.flow("growth", "k * x", into="x")
>>> values = ProgramValues(m.compile())
>>> env = values.at_start()
>>> float(values.evaluate("growth", env)[0]), float(values.net_flow("x", env)[0])
(1.0, 1.0)
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from .builtins import RUNTIME
from .elements import Stock
from .engine import CompiledModel
from .engine.codegen import _Emitter, derivative_trees
from .engine.program import local_name
from .errors import DataError, ModelDefinitionError
from .expr import Const, Node

__all__ = ["ProgramValues", "net_flow_trees"]


def net_flow_trees(compiled: CompiledModel) -> dict[str, Node]:
    """Every state's derivative as a tree: inflows minus outflows, or a hidden stock's own.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.stock("x", 1.0)
    >>> m.flow("a", 1.0, into="x")
    >>> m.flow("b", 0.5, out_of="x")
    >>> from gysim.expr import to_text
    >>> to_text(net_flow_trees(m.compile())["x"])
    'a - b'
    """
    return derivative_trees(compiled.program)


class ProgramValues:
    """Evaluate a compiled model's equations from named values.

    Parameters
    ----------
    compiled : CompiledModel
        The model, compiled (``model.compile()``).

    Notes
    -----
    An environment maps the generated code's local names (``local_name(n)``)
    to arrays whose last axis holds the points; ``t`` and ``dt`` are in it
    too. :meth:`at_start` builds one at the model's initial time with its own
    values; :meth:`from_run` builds one from a run's saved stocks.
    """

    def __init__(self, compiled: CompiledModel) -> None:
        self.compiled = compiled
        self.program = compiled.program
        self.net_flows = net_flow_trees(compiled)
        self._emitter = _Emitter(self.program, compiled._dims, trailing=1)
        self._namespace: dict[str, Any] = dict(RUNTIME)
        self._namespace.update(self.program.constants)
        for i, (xs, ys) in enumerate(self.program.tables.values()):
            self._namespace[f"_TX{i}"], self._namespace[f"_TY{i}"] = xs, ys
        self._code: dict[tuple[str, str], Any] = {}

    # -- environments -------------------------------------------------------------
    def _param_values(self, overrides: Mapping[str, Any]) -> tuple:
        model, compiled = self.program.model, self.compiled
        values = []
        for name in compiled.param_names:
            value = overrides[name] if name in overrides else model.elements[name].value
            dims = compiled.dims_of(name)
            arr = np.asarray(value, dtype=float)
            if dims:
                full = compiled.full_shape(dims)
                arr = arr.reshape(full + (-1,))  # a trailing point axis
            values.append(arr if arr.ndim else np.float64(arr))
        return tuple(values)

    def _statics(self, env: dict, P: tuple) -> None:
        for name, value in zip(self.compiled.param_names, P):
            env[local_name(name)] = value
        for name, value in zip(self.program.static_names, self.compiled.prepare(P)):
            env[local_name(name)] = value

    def at_start(self, params: Mapping[str, Any] | None = None) -> dict:
        """The values at the model's start time (one point), all equations computed.

        Parameters
        ----------
        params : mapping, optional
            Parameter values replacing the model's.
        """
        model = self.program.model
        P = self._param_values(params or {})
        t = np.float64(model.start)
        states, _discrete, _times = self.compiled.init(t, np.float64(model.dt or 0.0), P, {})
        if self.program.delays_fixed:
            raise ModelDefinitionError(
                f"model '{model.name}': feedback analysis does not handle fixed delays "
                f"({', '.join(d.owner for d in self.program.delays_fixed)}) yet")
        env: dict[str, Any] = {"t": t, "dt": np.float64(model.dt or 0.0)}
        self._statics(env, P)
        for name, value in zip(self.compiled.state_names, states):
            env[local_name(name)] = np.asarray(value, dtype=float).reshape(
                np.shape(value) if np.ndim(value) else (1,))
        self.complete(env)
        return env

    def from_run(self, ds, *, params: Mapping[str, Any] | None = None) -> tuple[dict, tuple]:
        """Environments at every saved time of a run (or ensemble), times x runs flattened.

        Parameters
        ----------
        ds : xarray.Dataset
            Results holding every stock of the model.
        params : mapping, optional
            Parameter values where ``ds`` does not record them.

        Returns
        -------
        env : dict
            Values with one point per (time, run), time-major.
        shape : tuple
            ``(n_times, n_runs)``: reshape a point axis with it.
        """
        model, compiled = self.program.model, self.compiled
        frozen = [h for h in self.program.hidden_states if self._is_frozen(h)]
        moving = [h for h in self.program.hidden_states if h not in frozen]
        if moving or self.program.delays_fixed:
            hidden = moving + [d.owner for d in self.program.delays_fixed]
            raise ModelDefinitionError(
                f"model '{model.name}': its stateful functions keep states the results do not "
                f"hold ({', '.join(hidden[:3])}...): values from a run need every state")
        missing = [s for s in compiled.stock_names if s not in ds.data_vars]
        if missing:
            raise DataError(f"`ds` lacks the stock(s) {', '.join(missing)}: simulate with "
                            f"variables=None")
        n_t = ds.sizes["time"]
        n_r = ds.sizes.get("run", 1)

        def points(name: str, value: Any) -> np.ndarray:
            """A value in the engine's full form with one point per (time, run) last."""
            dims = compiled.dims_of(name)
            if hasattr(value, "dims"):  # a DataArray over time, run and the model's dims
                lead = [d for d in ("time", "run") if d in value.dims]
                arr = value.transpose(*lead, *dims).values
                arr = arr.reshape((-1,) + arr.shape[len(lead):])
                if lead == ["run"]:  # the same for every time
                    arr = np.tile(arr, (n_t,) + (1,) * (arr.ndim - 1))
                elif lead == ["time"] and n_r > 1:  # the same for every run
                    arr = np.repeat(arr, n_r, axis=0)
                arr = np.moveaxis(arr, 0, -1)
            else:
                arr = np.asarray(value, dtype=float)[..., None]
            return arr.reshape(compiled.full_shape(dims) + (arr.shape[-1],)) if dims else \
                arr.reshape(arr.shape[-1:])

        given = dict(params or {})
        P = tuple(points(name, ds.coords[name] if name in ds.coords
                         else given.get(name, model.elements[name].value))
                  for name in compiled.param_names)
        env: dict[str, Any] = {"t": np.repeat(ds["time"].values.astype(float), n_r),
                               "dt": np.float64(model.dt or 0.0)}
        self._statics(env, P)
        for name in compiled.stock_names:
            env[local_name(name)] = points(name, ds[name])
        if frozen:  # INITIAL values: the states at the start, for every run
            first = [np.asarray(p)[..., :n_r] if np.ndim(p) and np.shape(p)[-1] > 1 else p
                     for p in P]
            overrides = {i: np.asarray(env[local_name(s)])[..., :n_r]
                         for i, s in enumerate(compiled.stock_names)}
            states, _d, _t = compiled.init(np.float64(ds["time"].values[0]),
                                           np.float64(model.dt or 0.0), tuple(first), overrides)
            for name, value in zip(compiled.state_names, states):
                if name in frozen:
                    value = np.asarray(value, dtype=float)
                    reps = (1,) * (value.ndim - 1) + (n_t if value.shape[-1] == n_r else 1,)
                    env[local_name(name)] = np.tile(value, reps)
        self.complete(env)
        return env, (n_t, n_r)

    def _is_frozen(self, state: str) -> bool:
        """A hidden state that never changes (``initial``): recomputed from the start."""
        tree = self.program.hidden_derivs.get(state)
        return isinstance(tree, Const) and tree.value == 0

    # -- evaluation ---------------------------------------------------------------
    def _compiled_code(self, name: str, tree: Node, kind: str):
        key = (kind, name)
        if key not in self._code:
            self._code[key] = compile(self._emitter.code(tree), f"<{kind} {name}>", "eval")
        return self._code[key]

    def evaluate(self, name: str, env: Mapping[str, Any]) -> np.ndarray:
        """The value of equation ``name`` from the values in ``env``."""
        code = self._compiled_code(name, self.program.equations[name], "equation")
        return np.asarray(eval(code, self._namespace, dict(env)))  # noqa: S307 - generated

    def net_flow(self, state: str, env: Mapping[str, Any]) -> np.ndarray:
        """The derivative of ``state`` from the values in ``env``."""
        code = self._compiled_code(state, self.net_flows[state], "net flow")
        return np.asarray(eval(code, self._namespace, dict(env)))  # noqa: S307 - generated

    def complete(self, env: dict) -> dict:
        """Compute every equation of the program, in order, into ``env`` (returned)."""
        statics = set(self.program.static_names)
        with np.errstate(all="ignore"):
            for name in self.program.order:
                if name in self.program.equations and name not in statics:
                    env[local_name(name)] = self.evaluate(name, env)
        return env

    def is_state(self, name: str) -> bool:
        """Whether ``name`` is a stock (the model's or a hidden one)."""
        return name in self.net_flows

    def is_user_stock(self, name: str) -> bool:
        """Whether ``name`` is one of the model's own stocks."""
        return isinstance(self.program.model.elements.get(name), Stock)
