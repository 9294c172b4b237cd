"""gysim: system-dynamics models as vectorized numpy, run with scipy, returned as xarray.

Build a model element by element, then simulate it once or as an ensemble
whose runs are one array axis.

The package is in layers, each importing only from those below it (README,
"How gysim is built"): text helpers and errors; expressions and the builtin
table (:mod:`gysim.builtins`); element records and ``var[label]`` helpers;
units and the compiler (:mod:`gysim.engine`); the builder (:class:`Model`);
:func:`simulate`, its integrators and results, and the Vensim/XMILE readers
and writers (:mod:`gysim.io`); calibration, batches, sampling, sensitivity and
targets; plots and the model registry; the command line (:mod:`gysim.cli`).

``gysim.simulate``, ``gysim.calibrate``, ``gysim.fit_report`` and
``gysim.sensitivity`` are each a module holding a function of the same name:
the attribute is the module, and calling it calls the function, so
``gysim.sensitivity(model, ...)`` runs a study while
``gysim.sensitivity.analyze`` and ``import gysim.sensitivity as mod`` reach
the rest of the module.

Examples
--------
>>> import numpy as np, gysim
>>> m = gysim.Model("population", start=2000, stop=2010, time_units="year")
>>> m.stock("population", initial=331.8, units="1e4 person")
>>> m.param("birth_rate", 0.013, units="1/year", bounds=(0.008, 0.02))
>>> m.flow("births", "population * birth_rate", into="population", units="1e4 person/year")
>>> ds = gysim.simulate(m)
>>> round(float(ds.population[-1]), 1)
377.9
>>> ens = gysim.simulate(m, params={"birth_rate": np.linspace(0.008, 0.02, 100)})
>>> ens.population.shape
(11, 100)
"""

import importlib
import inspect
import types

from ._version import __version__
from .errors import (CalibrationError, DataError, GysimError, ModelDefinitionError,
                     ParameterError, SimulationError, UnitsError)
from .calibrate import CalibrationResult, load_calibration
from .fit_report import fit_statistics
from .model import Model
from .registry import available_models, load_model
from .simulate import METHODS
from .targets import Target, check_targets, load_targets, parse_kind
from .tables import to_table, write_table
from .units import check_units

__all__ = [
    "__version__",
    "Model",
    "simulate",
    "METHODS",
    "load_model",
    "calibrate",
    "CalibrationResult",
    "load_calibration",
    "fit_report",
    "fit_statistics",
    "Target",
    "check_targets",
    "load_targets",
    "parse_kind",
    "to_table",
    "write_table",
    "check_units",
    "available_models",
    "GysimError",
    "ModelDefinitionError",
    "ParameterError",
    "UnitsError",
    "SimulationError",
    "CalibrationError",
    "DataError",
]

# Model files from other tools (issue 5): Vensim .mdl and XMILE via PySD's translators.
from .io import read_vensim, read_xmile, write_vensim, write_xmile  # noqa: E402

__all__ += ["read_vensim", "read_xmile", "write_vensim", "write_xmile"]

from .batch import envelope, run_batch  # noqa: E402


class _CallableModule(types.ModuleType):
    """A module that calls its function of the same name when called (see the package doc).

    ``gysim.sensitivity`` is both the module :mod:`gysim.sensitivity` and, called,
    its function :func:`gysim.sensitivity.sensitivity`; pickled, it is imported
    by name again.
    """

    def __call__(self, *args, **kwargs):
        # looked up at each call, so that patching the module's function takes effect
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)

    def __reduce__(self):
        return importlib.import_module, (self.__name__,)


def _callable_module(name: str) -> types.ModuleType:
    module = importlib.import_module(f"{__name__}.{name}")
    function = getattr(module, name)
    if not isinstance(module, _CallableModule):
        module.__class__ = _CallableModule
        # help(), IDEs and inspect.signature see the function's signature
        module.__signature__ = inspect.signature(function)
    return module


simulate = _callable_module("simulate")
calibrate = _callable_module("calibrate")
fit_report = _callable_module("fit_report")
sensitivity = _callable_module("sensitivity")

__all__ += ["sensitivity", "run_batch", "envelope"]

from .goal_seek import GoalSeekResult, solve_for  # noqa: E402

__all__ += ["solve_for", "GoalSeekResult"]

# Derived outputs and calibrating with your own data (issue 13).
from .calibrate import read_mapping, read_observations  # noqa: E402
from .outputs import Derived, with_outputs  # noqa: E402

__all__ += ["read_observations", "read_mapping", "Derived", "with_outputs"]

from .loop_dominance import loop_dominance, plot_loop_dominance  # noqa: E402

__all__ += ["loop_dominance", "plot_loop_dominance"]


def explore(model, params, outputs, **options):
    """Sliders for parameters driving plots of outputs in Jupyter (see :mod:`gysim.sliders`).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", stop=5)
    >>> m.stock("x", 1.0)
    >>> m.param("k", 0.1, bounds=(0, 1))
    >>> m.flow("growth", "k * x", into="x")
    >>> gysim.explore(m, ["k"], ["x"]).sliders["k"].max
    1.0
    """
    from .sliders import explore as _explore

    return _explore(model, params, outputs, **options)


__all__ += ["explore"]

# Checking model files from other tools before reading them (issue 15).
from .io.check import check_model  # noqa: E402
__all__ += ["check_model"]

# Robust lever optimisation (issue 14): chance-constrained, one ensemble per generation.
# ``gysim.optimize`` is the module, callable as its function (like gysim.simulate).
from .optimize import OptimizeResult  # noqa: E402

optimize = _callable_module("optimize")

__all__ += ["optimize", "OptimizeResult"]

# Scenario discovery (issue 14): PRIM and CART boxes; ``gysim.discover`` is callable.
from .discover import ScenarioBox  # noqa: E402

discover = _callable_module("discover")

__all__ += ["discover", "ScenarioBox"]

# Bayesian calibration (issue 14): emcee and arviz come with the `bayes` extra, imported on use.
from .posterior import Posterior, sample_posterior  # noqa: E402

__all__ += ["sample_posterior", "Posterior"]
hindcast = _callable_module("hindcast")
from .hindcast import HindcastResult  # noqa: E402

__all__ += ["hindcast", "HindcastResult"]
