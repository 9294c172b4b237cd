"""What both readers do around PySD's translator: one error for every failure.

:func:`run_translator` runs a translator, turns whatever it raises into a
:class:`~gysim.errors.ModelDefinitionError` naming the file (a
``RecursionError`` into a message about nesting, an exception without a
message into one naming its type), checks that every element the file defines
reached PySD's abstract model (:func:`gysim.io.mdl_scan.check_parsed`) and
builds the gysim model, again naming the file in every error.

Examples
--------
>>> from pathlib import Path
>>> def broken():
...     raise ValueError()
>>> run_translator(broken, Path("m.mdl"), "Vensim", [])
Traceback (most recent call last):
...
gysim.errors.ModelDefinitionError: m.mdl: PySD's Vensim translator could not parse the file: ValueError (without a message)
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

from ..errors import GysimError, ModelDefinitionError
from ..model import Model
from .build import build_model
from .mdl_scan import Definition, check_parsed

__all__ = ["run_translator", "TRANSLATOR_RECURSION_LIMIT"]

#: Python's recursion limit while a translator parses (restored afterwards). PySD's
#: parser recurses some 20-30 frames per level of parentheses, so that the default
#: limit of 1000 fails near 40 nested function calls; this lets it reach
#: :data:`gysim.io.mdl_scan.MAX_NESTING` with room to spare (Python 3.11+ does not use
#: the C stack for these calls).
TRANSLATOR_RECURSION_LIMIT = 20_000


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or f"{type(exc).__name__} (without a message)"


def run_translator(translate: Callable[[], Any], path: Path, language: str,
                   declared: list[Definition], *, nesting: str = "") -> Model:
    """Run ``translate()`` (PySD's parse of ``path``) and build the gysim model from it.

    Parameters
    ----------
    translate : callable
        Returns PySD's abstract model of the file.
    path : pathlib.Path
        The file (its name goes into every message, its stem names the model).
    language : {"Vensim", "XMILE"}
    declared : list of Definition
        The elements the file defines, by gysim's own scan: each must be in
        the abstract model.
    nesting : str
        Where the file nests deepest, for the message if PySD's parser runs
        out of recursion.

    Raises
    ------
    ModelDefinitionError
        Whatever goes wrong, naming the file.
    """
    label = path.name
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(max(limit, TRANSLATOR_RECURSION_LIMIT))
        abstract = translate()
    except ModelDefinitionError:
        raise
    except RecursionError:
        raise ModelDefinitionError(
            f"{label}: PySD's {language} translator ran out of recursion depth: an equation "
            f"nests too deeply{' (' + nesting + ')' if nesting else ''}; split it into "
            f"intermediate elements") from None
    except Exception as exc:  # the translator's own parse errors, of any type
        raise ModelDefinitionError(f"{label}: PySD's {language} translator could not parse "
                                   f"the file: {_reason(exc)}") from exc
    finally:
        sys.setrecursionlimit(limit)
    check_parsed(declared, abstract, label, language)
    try:
        return build_model(abstract, path, language)
    except GysimError as err:
        if label in str(err):
            raise
        raise type(err)(f"{label}: {err}") from err
    except RecursionError:
        raise ModelDefinitionError(
            f"{label}: an equation nests too deeply for gysim's {language} reader"
            f"{' (' + nesting + ')' if nesting else ''}; split it into intermediate "
            f"elements") from None
    except Exception as exc:  # a bug of the reader: still one clear error
        raise ModelDefinitionError(
            f"{label}: gysim's {language} reader failed on this file ({type(exc).__name__}: "
            f"{_reason(exc)}); this is a bug in gysim, please report it with the file") from exc
