"""Finding models by name or path, and what their providers offer besides the model.

:func:`load_model` returns a fresh :class:`~gysim.Model` from

- a **registered name**: an entry point of the group ``gysim.models``
  (:data:`ENTRY_POINT_GROUP`) declared by an installed distribution, e.g. in
  its ``setup.cfg``::

      [options.entry_points]
      gysim.models =
          mymodel = mypackage.mymodel

- a **Python file** (``.py``) defining ``build()``;
- a **Vensim** ``.mdl`` or **XMILE** (``.xmile``, ``.xml``, ``.stmx``) file,
  read with :func:`gysim.read_vensim` / :func:`gysim.read_xmile`.

The provider protocol
---------------------
An entry point names a module or any object (``name = package.module`` or
``name = package.module:object``); a ``.py`` file is its own provider. The
provider must offer ``build`` and may offer the other hooks, which the
``gysim`` command and scripts use through :class:`Provider`:

``build(**options) -> gysim.Model``
    Required. A new model; ``options`` come from ``load_model(name, **options)``.
``KEY_VARIABLES``
    Sequence of variable names, drawn by default (``gysim plot``).
``uncertain_parameters(model) -> list[str]``
    Parameters to vary by default (``gysim sensitivity``); without it, every
    parameter with bounds is varied.
``targets(model=None) -> list[gysim.Target]``
    Targets to check a run against (``gysim targets``, ``gysim plot --plan``).
``observations() -> pandas.DataFrame``
    Data indexed by time, columns named as model variables (``gysim plot --plan``).
``calibration() -> object``
    The calibration, an object (typically a module) with
    ``fit(starts=..., seed=...) -> gysim.CalibrationResult`` and optionally
    ``FITTED`` (names of the fitted parameters), ``SEED`` and ``STARTS``
    (defaults) and ``FITTED_FILE`` (the stored fit, written by
    :meth:`gysim.CalibrationResult.to_json`) (``gysim calibrate``).

Examples
--------
>>> import gysim
>>> from gysim.registry import get_provider
>>> "population" in gysim.available_models()  # a name registered by the project
True
>>> get_provider("population").offers("uncertain_parameters")
True
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import inspect
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from ._text import suggest
from .errors import GysimError, ModelDefinitionError
from .model import Model

__all__ = ["ENTRY_POINT_GROUP", "HOOKS", "FILE_SUFFIXES", "Provider", "available_models",
           "get_provider", "find_provider", "load_model", "models_module", "models_dir",
           "write_registered"]

#: The entry-point group in which installed distributions register models.
ENTRY_POINT_GROUP = "gysim.models"
#: What a provider may offer (``build`` is required); see the module's description.
HOOKS = {
    "build": "build(**options) -> gysim.Model",
    "KEY_VARIABLES": "KEY_VARIABLES = [variable names]",
    "uncertain_parameters": "uncertain_parameters(model) -> [parameter names]",
    "targets": "targets(model=None) -> [gysim.Target]",
    "observations": "observations() -> pandas.DataFrame",
    "calibration": "calibration() -> an object with fit(starts, seed)",
}
#: Suffixes of the model files :func:`load_model` reads, and their readers.
VENSIM_SUFFIXES = (".mdl",)
XMILE_SUFFIXES = (".xmile", ".xml", ".stmx")
FILE_SUFFIXES = (".py",) + VENSIM_SUFFIXES + XMILE_SUFFIXES


@dataclass(frozen=True)
class Provider:
    """A registered model or a model file, with the hooks it offers.

    Attributes
    ----------
    name : str
        The registered name, or the file's path.
    source : object
        The module or object the entry point names, the module of a ``.py``
        file, or for ``.mdl``/``.xmile`` files a reader offering only ``build``.
    origin : str
        Where it comes from, for messages (``"entry point gysim.models: x =
        pkg.x"`` or ``"file x.py"``).

    Examples
    --------
    >>> p = get_provider("population")
    >>> p.build().name
    'population'
    >>> p.get("calibration", purpose="gysim calibrate")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: model 'population' does not offer `calibration()`...
    """

    name: str
    source: Any
    origin: str

    def offers(self, hook: str) -> bool:
        """Whether the provider offers `hook` (one of :data:`HOOKS`).

        Examples
        --------
        >>> get_provider("population").offers("targets")
        True
        """
        if hook not in HOOKS:
            raise ModelDefinitionError(f"`hook` must be one of {', '.join(HOOKS)}, got {hook!r}")
        return getattr(self.source, hook, None) is not None

    def get(self, hook: str, *, purpose: str) -> Any:
        """The hook `hook` of the provider, or an error saying who needs it.

        Parameters
        ----------
        hook : str
            One of :data:`HOOKS`.
        purpose : str
            What needs it, for the message (e.g. ``"gysim targets"``).

        Raises
        ------
        ModelDefinitionError
            If the provider does not offer `hook`.

        Examples
        --------
        >>> targets = get_provider("population").get("targets", purpose="checking")()
        >>> "total_population_2010" in [t.name for t in targets]
        True
        """
        if not self.offers(hook):
            offered = [h for h in HOOKS if getattr(self.source, h, None) is not None]
            call = "()" if hook[:1].islower() else ""
            raise ModelDefinitionError(
                f"model {self.name!r} does not offer `{hook}{call}`, which {purpose} needs; "
                f"its provider ({self.origin}) offers: {', '.join(offered) or 'nothing'}; "
                f"add `{HOOKS[hook]}` to it (see gysim.registry)")
        return getattr(self.source, hook)

    def build(self, **build_options) -> Model:
        """Call the provider's ``build(**build_options)`` and check what it returns.

        Raises
        ------
        ModelDefinitionError
            If ``build`` is missing, does not take the options, or does not
            return a :class:`gysim.Model`.

        Examples
        --------
        >>> get_provider("population").build(calibrated=False).name
        'population'
        """
        build = getattr(self.source, "build", None)
        if not callable(build):
            raise ModelDefinitionError(
                f"model {self.name!r} ({self.origin}) must define a function `build()`")
        try:
            inspect.signature(build).bind(**build_options)
        except TypeError:
            accepted = list(inspect.signature(build).parameters)
            raise ModelDefinitionError(
                f"build() of model {self.name!r} does not take the option(s) "
                f"{', '.join(sorted(build_options))}; it accepts: {', '.join(accepted) or 'none'}"
            ) from None
        except ValueError:  # no signature (a builtin): let the call decide
            pass
        try:
            model = build(**build_options)
        except GysimError:
            raise
        except Exception as exc:  # the model's own code failed: the user's input, not gysim's
            raise ModelDefinitionError(
                f"build() of model {self.name!r} ({self.origin}) raised "
                f"{type(exc).__name__}: {exc}") from exc
        if not isinstance(model, Model):
            raise ModelDefinitionError(
                f"build() of {self.name!r} must return a gysim.Model, got {type(model).__name__}")
        return model


# ---------------------------------------------------------------------- registered names
def _entry_points() -> dict[str, importlib.metadata.EntryPoint]:
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, ep)  # the first distribution on the path wins
    return found


def available_models() -> list[str]:
    """The registered names :func:`load_model` accepts (entry points of ``gysim.models``).

    Examples
    --------
    >>> names = available_models()
    >>> names == sorted(names) and "population" in names
    True
    """
    return sorted(_entry_points())


def find_provider(name: str) -> Provider | None:
    """The provider registered as `name`, or None when no distribution registers it.

    Examples
    --------
    >>> find_provider("population").origin
    'entry point gysim.models: population = gysim_models.population'
    >>> find_provider("no_such_model") is None
    True
    """
    ep = _entry_points().get(name)
    if ep is None:
        return None
    try:
        source = ep.load()
    except Exception as err:  # a broken plug-in: say which one
        raise ModelDefinitionError(
            f"model {name!r}: cannot load its entry point {ep.value!r} "
            f"({type(err).__name__}: {err})") from err
    return Provider(name, source, f"entry point {ENTRY_POINT_GROUP}: {name} = {ep.value}")


def _file_provider(path: Path) -> Provider:
    if not path.is_file():
        raise ModelDefinitionError(f"model file {str(path)!r} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".py":
        spec = importlib.util.spec_from_file_location(f"gysim_user_model_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # a syntax error or a failure in the user's file
            raise ModelDefinitionError(
                f"model file {str(path)!r} could not be loaded: {type(exc).__name__}: "
                f"{exc}") from exc
        return Provider(str(path), module, f"file {path}")
    from .io import read_vensim, read_xmile
    reader = read_vensim if suffix in VENSIM_SUFFIXES else read_xmile

    class _Reader:
        @staticmethod
        def build() -> Model:
            return reader(path)
    return Provider(str(path), _Reader, f"file {path}, read by gysim.{reader.__name__}")


def get_provider(name: str | os.PathLike) -> Provider:
    """The provider of a registered name or of a model file.

    Parameters
    ----------
    name : str or path-like
        A registered name (see :func:`available_models`), or a path ending in
        ``.py``, ``.mdl``, ``.xmile``, ``.xml`` or ``.stmx``.

    Raises
    ------
    ModelDefinitionError
        If there is no such model or file.

    Examples
    --------
    >>> get_provider("population").name
    'population'
    >>> get_provider("populaton")
    Traceback (most recent call last):
    ...
    gysim.errors.ModelDefinitionError: no model named 'populaton'; did you mean 'population'?...
    """
    if not isinstance(name, (str, os.PathLike)):
        raise ModelDefinitionError(f"model name must be a string, got {type(name).__name__}")
    text = str(name)
    if Path(text).suffix.lower() in FILE_SUFFIXES:
        return _file_provider(Path(text))
    provider = find_provider(text)
    if provider is None:
        known = available_models()
        hint = "" if known else (f" (no installed distribution registers models in the entry "
                                 f"point group {ENTRY_POINT_GROUP!r}; install the project "
                                 f"with `pip install -e .`)")
        raise ModelDefinitionError(
            f"no model named {text!r}{suggest(text, known)}; available: "
            f"{', '.join(known) or 'none'}{hint} (or give a .py, .mdl or .xmile file)")
    return provider


def load_model(name: str | os.PathLike, calibration: str | os.PathLike | None = None,
               **build_options) -> Model:
    """Build a model by registered name, or from a ``.py``, ``.mdl`` or XMILE file.

    Parameters
    ----------
    name : str or path-like
        A registered name (see :func:`available_models`), a path to a Python
        file defining ``build()``, a Vensim ``.mdl`` file or an XMILE file
        (``.xmile``, ``.xml``, ``.stmx``).
    calibration : str or path-like, optional
        A calibration file (written by ``gysim calibrate --out`` or
        :meth:`gysim.CalibrationResult.to_json`) whose fitted values are
        applied to the model built (see
        :func:`gysim.calibrate.apply_calibration`).
    **build_options
        Passed to the provider's ``build()``, e.g. ``calibrated=False`` where
        the model offers it. Model files read from ``.mdl``/XMILE take none.

    Returns
    -------
    Model
        A new model.

    Raises
    ------
    ModelDefinitionError
        If there is no such model or file, its ``build()`` does not take the
        options, or it does not return a :class:`gysim.Model`.
    DataError
        If the calibration file cannot be read, was fitted to another model,
        names a parameter the model does not have, or holds a value outside
        its parameter's bounds.

    Examples
    --------
    >>> m = load_model("population")
    >>> m.name
    'population'
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "growth.py"
    >>> _ = path.write_text("import gysim\\n"
    ...                     "def build(rate=0.1):\\n"
    ...                     "    m = gysim.Model('growth', start=0, stop=1, dt=1)\\n"
    ...                     "    m.stock('x', 1.0)\\n"
    ...                     "    m.param('rate', rate)\\n"
    ...                     "    m.flow('inflow', 'rate * x', into='x')\\n"
    ...                     "    return m\\n")
    >>> load_model(path, rate=0.5).params["rate"].value
    0.5
    """
    model = get_provider(name).build(**build_options)
    if calibration is None:
        return model
    from .calibrate import apply_calibration
    return apply_calibration(model, calibration)


# ---------------------------------------------------------------------- the models' package
def _packages() -> list[str]:
    """Top-level packages of the registered models, in order of first appearance."""
    out: list[str] = []
    for ep in _entry_points().values():
        package = ep.value.split(":")[0].split(".")[0]
        if package not in out:
            out.append(package)
    return out


def models_module(name: str) -> ModuleType:
    """Import a module of the package that registers the models (e.g. ``"_plan"``).

    The package is the top-level package named by the entry points of
    ``gysim.models``; when several packages register models, the first that
    has a module `name` is used.

    Raises
    ------
    ModelDefinitionError
        If no package of registered models has a module `name`.

    Examples
    --------
    >>> models_module("population").build().name
    'population'
    """
    packages = _packages()
    for package in packages:
        if importlib.util.find_spec(package) is None:
            continue
        try:
            return importlib.import_module(f"{package}.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"{package}.{name}":
                raise
    raise ModelDefinitionError(
        f"no package of registered models has a module {name!r} (packages: "
        f"{', '.join(packages) or 'none; install the project with `pip install -e .`'})")


def models_dir() -> Path:
    """The folder of the package that registers the models.

    Examples
    --------
    >>> (models_dir() / "__init__.py").is_file()
    True
    """
    for package in _packages():
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            return Path(list(spec.submodule_search_locations)[0])
    raise ModelDefinitionError(
        f"no installed distribution registers models in the entry point group "
        f"{ENTRY_POINT_GROUP!r}; install the project with `pip install -e .`")


# ---------------------------------------------------------------------- export
def write_registered(name: str, directory: str | Path, *, fmt: str = "mdl",
                     dt: float | None = None, scenario: str | None = None,
                     **build_options) -> Path:
    """Write a registered model (see :func:`gysim.load_model`) to ``directory/<name>.<fmt>``.

    For benchmarks and colleagues: the file is generated on demand, never kept
    in the repository.

    Parameters
    ----------
    name : str
        A registered model, e.g. ``"population"``.
    directory : str or pathlib.Path
        Where to write (created if missing).
    fmt : {"mdl", "xmile"}
        Vensim or XMILE.
    dt : float, optional
        TIME STEP of the file (default: the model's, or 0.125).
    scenario : str, optional
        Apply this scenario's overrides before writing (scenarios are not
        part of the file otherwise).
    **build_options
        Passed to :func:`gysim.load_model`.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_registered("population", tmp)
    ...     print(path.name, path.stat().st_size > 1_000)
    population.mdl True
    """
    from .io import write_vensim, write_xmile
    if fmt not in ("mdl", "xmile"):
        raise ModelDefinitionError(f"`fmt` must be 'mdl' or 'xmile', got {fmt!r}")
    model = load_model(name, **build_options)
    if scenario is not None:
        if scenario not in model.scenarios:
            raise ModelDefinitionError(
                f"`scenario` must be one of {sorted(model.scenarios)}, got {scenario!r}")
        model = model.with_params(dict(model.scenarios[scenario].overrides))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writer = write_vensim if fmt == "mdl" else write_xmile
    return writer(model, directory / f"{name}.{fmt}", dt=dt)

