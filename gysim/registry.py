"""Finding models by name: the project's Guiyang models, or a model file.

:func:`load_model` returns a fresh :class:`~gysim.Model`. A name such as
``"guiyang"`` or ``"population"`` refers to a module of the project's
``models/`` folder, which is imported as the package ``gysim_models``; each
such module defines ``build() -> gysim.Model``. A path to a ``.py`` file
loads that file the same way.

Examples
--------
>>> import gysim
>>> sorted(gysim.available_models())[:2]  # doctest: +SKIP
['economy', 'energy']
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

from ._text import suggest
from .errors import ModelDefinitionError
from .model import Model

__all__ = ["load_model", "available_models", "models_dir", "models_module"]

PACKAGE = "gysim_models"


def models_dir() -> Path:
    """The folder holding the project's models.

    ``$GYSIM_MODELS`` if set, else ``models/`` beside the ``gysim`` package
    (the repository layout, used by ``pip install -e .``).
    """
    env = os.environ.get("GYSIM_MODELS")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "models"


def available_models() -> list[str]:
    """Names :func:`load_model` accepts.

    Examples
    --------
    >>> "guiyang" in available_models()  # doctest: +SKIP
    True
    """
    folder = models_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))


def _import_package() -> None:
    if PACKAGE in sys.modules:
        return
    folder = models_dir()
    init = folder / "__init__.py"
    if not init.is_file():
        raise ModelDefinitionError(
            f"the models folder {folder} is missing (or has no __init__.py); set GYSIM_MODELS "
            f"to the project's models/ folder")
    spec = importlib.util.spec_from_file_location(PACKAGE, init,
                                                  submodule_search_locations=[str(folder)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)


def models_module(name: str):
    """Import and return a module of the models folder (e.g. ``"_plan"``).

    Examples
    --------
    >>> models_module("guiyang").build  # doctest: +SKIP
    <function build at ...>
    """
    _import_package()
    try:
        return importlib.import_module(f"{PACKAGE}.{name}")
    except ModuleNotFoundError:
        raise ModelDefinitionError(f"the models folder {models_dir()} has no module {name!r}") from None


def load_model(name: str, **build_options) -> Model:
    """Build a model by name (``models/<name>.py``) or from a ``.py`` file path.

    Parameters
    ----------
    name : str
        ``"guiyang"``, one of its sectors (``"population"``, ``"labor"``,
        ``"economy"``, ``"energy"``, ``"water"``), or a path to a Python file
        defining ``build()``.
    **build_options
        Passed to the module's ``build()``, e.g. ``calibrated=False`` for the
        Guiyang models' hand-set defaults instead of the fitted values.

    Returns
    -------
    Model
        A new model, with calibrated parameters where the model has them.

    Raises
    ------
    ModelDefinitionError
        If there is no such model or its module does not define ``build()``.

    Examples
    --------
    >>> m = load_model("population")  # doctest: +SKIP
    >>> m.name  # doctest: +SKIP
    'population'
    """
    if not isinstance(name, (str, os.PathLike)):
        raise ModelDefinitionError(f"model name must be a string, got {type(name).__name__}")
    text = str(name)
    if text.endswith(".py"):
        path = Path(text)
        if not path.is_file():
            raise ModelDefinitionError(f"model file {text!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"gysim_user_model_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        known = available_models()
        if text not in known:
            raise ModelDefinitionError(
                f"no model named {text!r}{suggest(text, known)}; available: "
                f"{', '.join(known) or 'none'} (or give a .py, .mdl or .xmile file)")
        _import_package()
        module = importlib.import_module(f"{PACKAGE}.{text}")
    build = getattr(module, "build", None)
    if not callable(build):
        raise ModelDefinitionError(f"model module {text!r} must define a function `build()`")
    import inspect
    try:
        inspect.signature(build).bind(**build_options)
    except TypeError:
        accepted = [p for p in inspect.signature(build).parameters]
        raise ModelDefinitionError(
            f"build() of model {text!r} does not take the option(s) "
            f"{', '.join(sorted(build_options))}; it accepts: {', '.join(accepted) or 'none'}"
        ) from None
    model = build(**build_options)
    if not isinstance(model, Model):
        raise ModelDefinitionError(
            f"build() of {text!r} must return a gysim.Model, got {type(model).__name__}")
    return model
