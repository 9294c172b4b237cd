"""The data the compiler's stages hand on: one :class:`Program` per compiled model.

Each stage of the pipeline (:mod:`~gysim.engine.checks`,
:mod:`~gysim.engine.lowering`, :mod:`~gysim.engine.ordering`,
:mod:`~gysim.engine.hoisting`, then a backend such as
:mod:`~gysim.engine.codegen`) reads and completes a :class:`Program`: the
model's elements, the equations of every computed value (user variables and
the hidden ones lowering adds), initial values, hidden stocks, fixed delays,
constants, the state layout and the evaluation orders.

Examples
--------
>>> import gysim
>>> m = gysim.Model("m")
>>> m.stock("x", 1.0)
>>> m.flow("f", "smooth(x, 2)", into="x")
>>> program = m.compile().program
>>> program.state_names
['x', '_smooth_f_1']
>>> local_name("x"), local_name("_smooth_f_1")
('v_x', 'h_smooth_f_1')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..elements import Aux, DataInput, Flow, Lookup, ModelLike, Param, Stock
from ..expr import Node

__all__ = ["DelayFixedSpec", "Program", "local_name"]


def local_name(name: str) -> str:
    """The Python local of generated code for an element (``v_``) or hidden value (``h``).

    Distinct names give distinct locals as Python reads them: models store names
    in NFKC normal form (the form in which Python compares identifiers), and the
    prefixes are ASCII, so no two locals become one after Python's normalisation.
    """
    return "h" + name if name.startswith("_") else "v_" + name


@dataclass(frozen=True)
class DelayFixedSpec:
    """A fixed (pipeline) delay: its output variable, input, delay time and initial value."""

    output: str
    input: Node
    delay_time: Node
    initial: Node
    owner: str


@dataclass
class Program:
    """A model on its way through the compiler.

    Attributes
    ----------
    model : ModelLike
        The model being compiled (never changed).
    param_names, stock_names, output_names : list of str
        Parameters (the order of the ``P`` tuple), user stocks, and the
        flows, auxiliaries and data inputs reported as outputs.
    tables : dict
        Lookup tables and data series: name -> (x, y) arrays.
    equations : dict
        Every computed value (flows, auxes, data inputs, hidden values) -> tree.
    initials : dict
        Every state -> the tree of its initial value.
    hidden_derivs : dict
        Hidden states -> the tree of their derivative.
    hidden_states : list of str
        Hidden stocks added by lowering, in order.
    delays_fixed : list of DelayFixedSpec
        Fixed delays, which need a fixed-step method.
    constants : dict
        Arrays the generated code reads by name (per-element initial values,
        ones for broadcasting).
    """

    model: ModelLike
    param_names: list[str] = field(default_factory=list)
    stock_names: list[str] = field(default_factory=list)
    output_names: list[str] = field(default_factory=list)
    tables: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    equations: dict[str, Node] = field(default_factory=dict)
    initials: dict[str, Node] = field(default_factory=dict)
    hidden_derivs: dict[str, Node] = field(default_factory=dict)
    hidden_states: list[str] = field(default_factory=list)
    delays_fixed: list[DelayFixedSpec] = field(default_factory=list)
    constants: dict[str, Any] = field(default_factory=dict)
    # filled by the later stages
    state_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    n_state_rows: int = 0
    order: list[str] = field(default_factory=list)
    init_order: list[str] = field(default_factory=list)
    init_trees: dict[str, Node] = field(default_factory=dict)
    static_names: list[str] = field(default_factory=list)
    delay_inputs: list[Node] = field(default_factory=list)
    breakpoints: list[Node] = field(default_factory=list)

    @classmethod
    def of(cls, model: ModelLike) -> "Program":
        """The program of a model before any stage: names by kind and tables."""
        elements = model.elements
        program = cls(model)
        program.param_names = [n for n, e in elements.items() if isinstance(e, Param)]
        program.stock_names = [n for n, e in elements.items() if isinstance(e, Stock)]
        program.output_names = [n for n, e in elements.items()
                                if isinstance(e, (Flow, Aux, DataInput))]
        for n, e in elements.items():
            if isinstance(e, Lookup):
                program.tables[n] = (np.array(e.x), np.array(e.y))
            elif isinstance(e, DataInput):
                program.tables[n] = (np.array(e.times), np.array(e.values))
        return program

    @property
    def state_names(self) -> list[str]:
        """User stocks, then hidden stocks."""
        return self.stock_names + self.hidden_states

    @property
    def row_names(self) -> list[str]:
        """The state each row of the state array belongs to (built when asked: error messages)."""
        return [s for s in self.state_names
                for _ in range(self.state_rows[s][1] - self.state_rows[s][0])]

    @property
    def discrete_names(self) -> list[str]:
        """Outputs of the fixed delays, in the order of the ``D`` array."""
        return [d.output for d in self.delays_fixed]
