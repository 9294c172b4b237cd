"""A FINAL TIME that changes during the run: each run ends at its own time.

Vensim evaluates FINAL TIME at every time step like any auxiliary and ends
the run at the first step where ``Time >= FINAL TIME``. A model says which
of its auxiliaries holds such a FINAL TIME in ``model.final_time_variable``
(the Vensim and XMILE readers set it when FINAL TIME uses ``Time`` or a
stock); ``model.stop`` is then the *horizon*: the last time of the time
axis (the readers take FINAL TIME's value at the initial time).

What a run of such a model does (fixed-step methods, numpy backend):

- at every step ``k`` (time ``t``), before the state moves on, the variable
  is evaluated; a run whose value is ``<= t`` (NaN never is) ends at ``t``:
  its values at ``t`` are its last, the saved times after ``t`` are NaN (a
  run ending between saved times keeps the saved times up to its end);
- runs of an ensemble end apart, on the one time axis of the results (from
  the start to the horizon); the integration stops when all of a chunk's
  runs have ended;
- a run that reaches the horizon without ending is an error
  (:class:`~gysim.errors.SimulationError`: it would have gone on, and its
  numbers after the horizon are missing) unless the caller of
  :func:`gysim.simulate` passed ``stop=`` itself: then the horizon ends the
  run, as ``stop=`` ends any run.

Adaptive methods have no time step to check at and are refused; the numba
backend is refused by name (``backend="auto"`` takes numpy). INITIAL TIME,
TIME STEP and SAVEPER must stay constants: a run starts once, and a
fixed-step run keeps one step and one save period (the readers refuse them
with a message naming the control variable).

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("m", start=0, stop=10, dt=1, method="euler")
>>> m.stock("x", 0.0)
>>> m.flow("inflow", "1", into="x")
>>> m.aux("end", "if_then_else(x >= 3, time, 10)")
>>> m.final_time_variable = "end"
>>> gysim.simulate(m).x.values[:6].tolist()
[0.0, 1.0, 2.0, 3.0, nan, nan]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import ModelDefinitionError, SimulationError

if TYPE_CHECKING:
    from .compiled import CompiledModel

__all__ = ["FinalTime", "final_time_of"]


class FinalTime:
    """How one simulation watches a model's FINAL TIME variable.

    Parameters
    ----------
    name : str
        The auxiliary holding FINAL TIME.
    index : int
        Its position in ``compiled.output_names`` (the values the compiled
        ``rhs_outputs`` returns).
    strict : bool
        Whether a run still going at the horizon is an error (the horizon
        is the model's ``stop``, not one the caller chose).

    Examples
    --------
    >>> ft = FinalTime("end", 0, strict=True)
    >>> ends = ft.start(3, n_steps=10)
    >>> ft.note(ends, 4, 4.0, np.array([9.0, 4.0, 3.5]))  # runs 1 and 2 end at step 4
    False
    >>> ends.tolist()
    [11, 4, 4]
    >>> ft.saved_ends(ends, save_every=2, n_times=6).tolist()
    [6, 3, 3]
    """

    def __init__(self, name: str, index: int, strict: bool) -> None:
        self.name, self.index, self.strict = name, index, strict

    @staticmethod
    def start(n: int, n_steps: int) -> np.ndarray:
        """The step at which each of ``n`` runs ends: ``n_steps + 1`` while it goes on."""
        return np.full(n, n_steps + 1)

    @staticmethod
    def note(ends: np.ndarray, k: int, t: float, value: Any) -> bool:
        """Record the runs that end at step ``k`` (time ``t``); whether all have ended."""
        going = ends > k
        ends[going & np.broadcast_to(t >= np.asarray(value), ends.shape)] = k
        return bool((ends <= k).all())

    @staticmethod
    def saved_ends(ends: np.ndarray, save_every: int, n_times: int) -> np.ndarray:
        """Per run, how many saved times it has values at (the later ones are NaN)."""
        return np.minimum(ends // save_every + 1, n_times)

    def check_horizon(self, ends: np.ndarray, n_steps: int, horizon: float, lo: int) -> None:
        """Raise if a run reached the horizon without ending (``strict`` only)."""
        going = np.flatnonzero(ends > n_steps)
        if self.strict and going.size:
            raise SimulationError(
                f"run {lo + int(going[0])} has not ended at the horizon {horizon:g}: its FINAL "
                f"TIME ('{self.name}') is still later than the time there, and the run would go "
                f"on; pass a later `stop=` to simulate (the horizon, which ends runs still "
                f"going) or end the run earlier in the model")


def final_time_of(model: Any, compiled: CompiledModel, fixed: bool, backend: str,
                  strict: bool) -> FinalTime | None:
    """The :class:`FinalTime` a simulation of ``model`` watches (None: a constant FINAL TIME).

    Raises
    ------
    ModelDefinitionError
        If the variable is not a scalar auxiliary of the model, the method
        is adaptive or the backend is "numba".

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m")
    >>> m.aux("end", "5")
    >>> m.final_time_variable = "end"
    >>> final_time_of(m, m.compile(), True, "auto", True).index
    0
    >>> final_time_of(m, m.compile(), False, "auto", True)
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: the FINAL TIME of model 'm' ('end') changes during the run: ...
    """
    name = getattr(model, "final_time_variable", None)
    if not name:
        return None
    where = f"the FINAL TIME of model '{model.name}' ('{name}')"
    if name not in compiled.output_names:
        raise ModelDefinitionError(f"{where} must be an auxiliary of the model, got "
                                   f"{'a ' + model[name].kind if name in model else 'no element'}")
    if compiled.dims_of(name):
        raise ModelDefinitionError(f"{where} must be one number per run, got dimensions "
                                   f"{compiled.dims_of(name)}")
    if not fixed:
        raise ModelDefinitionError(
            f"{where} changes during the run: runs end at the first time step where time >= "
            f"it, which needs a fixed-step method: use method='euler' or 'rk4' with a `dt`")
    if backend == "numba":
        raise ModelDefinitionError(
            f"backend='numba' cannot run {where}, which changes during the run (the compiled "
            f"kernel does not end runs apart): use backend='numpy' or 'auto'")
    return FinalTime(name, compiled.output_names.index(name), strict)
