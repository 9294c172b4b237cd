"""Reading XMILE (Stella/iThink ``.xmile``) models into gysim.

Examples
--------
>>> import gysim
>>> m = gysim.read_xmile("teacup.xmile")  # doctest: +SKIP
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import ModelDefinitionError
from ..model import Model
from .mdl_scan import Definition
from .reading import run_translator
from .safe_xml import screen_xml
from .xmile_operators import call_lookups_directly, lower_mod_operator
from .xmile_specs import normalise_sim_specs

__all__ = ["read_xmile"]

#: PySD leaves these out of the variables it reads (they are the control variables).
_CONTROL = {"initial_time", "final_time", "time_step", "saveper"}


def read_xmile(path: str | Path) -> Model:
    """Read an XMILE (``.xmile``/``.xml``) model into a :class:`gysim.Model`.

    Works like :func:`gysim.read_vensim`: ``model.source`` is a
    :class:`gysim.io.SourceInfo` with ``language="XMILE"``; the name mapping
    ``model.source.names`` is also available as ``model.xmile_names`` (and
    ``model.vensim_names``).

    Before PySD's translator sees the file, :func:`gysim.io.safe_xml.screen_xml`
    refuses document types and entities (billion laughs, XXE), files larger than
    64 MiB (:data:`~gysim.io.safe_xml.MAX_BYTES`) and elements nested deeper than
    256 levels (:data:`~gysim.io.safe_xml.MAX_DEPTH`, where the translator's XML
    parser silently stops). The file is decoded in the encoding it declares
    (UTF-16, ISO-8859-1, ...) and PySD reads a UTF-8 copy. Afterwards every
    variable the file declares under ``model/variables`` must have reached the
    model; XMILE modules are refused. ``start``/``stop``/``dt`` given as
    attributes of ``<sim_specs>`` are read as well as child elements, and
    Stella's ``isee:save_interval`` becomes SAVEPER (``model.saveper``), see
    :mod:`gysim.io.xmile_specs`.

    Raises
    ------
    ModelDefinitionError
        For every file gysim cannot read completely, naming the file (and the
        element, where one is to blame).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.read_xmile("teacup.xmile")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelDefinitionError(f"`path` must be an existing XMILE file, got '{path}'")
    scan = screen_xml(path, name=path.name)  # no DOCTYPE/entities (issue 7), depth (issue 12)
    modules = [name for tag, name in scan.variables if tag == "module"]
    if modules:
        raise ModelDefinitionError(f"{path.name}: XMILE modules are not supported (found module "
                                   f"'{modules[0]}'); flatten the model into one")
    declared = [Definition(" ".join(name.replace("\\n", " ").split()), tag)
                for tag, name in scan.variables]
    declared = [d for d in declared if d.key not in _CONTROL]
    from pysd.translators.xmile.xmile_file import XmileFile
    with tempfile.TemporaryDirectory(prefix="gysim-xmile-") as tmp:
        copy = Path(tmp) / (path.stem + path.suffix.lower())
        data, save_interval = normalise_sim_specs(scan.utf8())  # XMILE 1.0 spec forms
        copy.write_bytes(call_lookups_directly(lower_mod_operator(data)))  # MOD, LOOKUP

        def translate():
            xfile = XmileFile(copy)
            xfile.parse()
            return xfile.get_abstract_model()

        model = run_translator(translate, path, "XMILE", declared)
    if save_interval is not None:
        model = _with_saveper(model, save_interval, path)
    return model


def _with_saveper(model: Model, save: float, path: Path) -> Model:
    """SAVEPER from Stella's ``isee:save_interval``: a positive multiple of dt."""
    steps = save / model.dt
    if not (save > 0 and abs(steps - round(steps)) <= 1e-9 * max(1.0, steps)):
        raise ModelDefinitionError(
            f"{path.name}: the save interval (isee:save_interval) must be a positive multiple "
            f"of dt ({model.dt:g}), got {save:g}")
    if "saveper" in model.params:  # the control variable SAVEPER, as PySD names it
        model = model.with_params(saveper=save, allow_outside_bounds=True)
    model.saveper = save
    return model
