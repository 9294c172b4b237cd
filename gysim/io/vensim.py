"""Reading Vensim (``.mdl``) models into gysim.

Examples
--------
>>> import gysim
>>> m = gysim.read_vensim("tests/data/teacup.mdl")  # doctest: +SKIP
>>> m.source.names["teacup_temperature"]              # doctest: +SKIP
'Teacup Temperature'
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..errors import ModelDefinitionError
from ..model import Model
from .mdl_scan import read_text, scan
from .reading import run_translator

__all__ = ["read_vensim"]


def read_vensim(path: str | Path, *, encoding: str | None = None,
                max_bytes: int | None = None) -> Model:
    """Read a Vensim ``.mdl`` model into a :class:`gysim.Model`.

    The file is parsed with PySD's Vensim translator into PySD's abstract
    model, and the gysim model is built from that structure; no code is
    generated or executed.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.mdl`` file.
    encoding : str, optional
        The file's encoding when its first line does not declare it (Vensim
        writes ``{UTF-8}`` there; older files are often ``cp1252`` or
        ``GBK``). Default: the declared encoding, else UTF-8; a file that is
        not valid in it is refused, naming the byte and the line.
    max_bytes : int, optional
        Largest file read; default :data:`gysim.io.mdl_scan.MAX_MDL_BYTES`
        (4 MiB).

    Returns
    -------
    Model
        With ``start``, ``stop`` and ``dt`` from INITIAL TIME, FINAL TIME and
        TIME STEP (numbers, or computed from other constants with arithmetic,
        IF THEN ELSE, MIN, MAX and other pure functions: :mod:`gysim.io.fold`), ``method="euler"`` (as Vensim runs), ``saveper`` the file's
        SAVEPER (runs use it), ``check_units_on_run=False`` (the file's units
        are free text: check them with :meth:`gysim.Model.check_units`), and
        ``source``, a :class:`gysim.io.SourceInfo`: ``source.names`` maps each
        gysim identifier to the file's original name (also each element's
        ``doc``, hence the ``long_name`` of its result variable). Stocks get a
        flow ``<stock>_net_flow`` holding the INTEG rate. Vensim's missing
        value ``:NA:`` is read as the number Vensim gives it, -2**109
        (:data:`gysim.io.VENSIM_NA`), so tests like ``x = :NA:`` work
        as in Vensim. DELAY N with a delay time that changes during the run
        follows Vensim's step-by-step semantics and needs a fixed-step method.
        Macros are expanded (:mod:`gysim.io.macros`): each call is a copy of
        the macro's variables named after the calling element, with one stock
        per call for a macro holding INTEG.

        Subscripts become native gysim dimensions (:mod:`gysim.io.native`):
        each family of ranges (a range and its subranges) is one dimension,
        and a variable stays ONE element over its dimensions even when it is
        defined over a subrange, with :EXCEPT:, with one equation per element
        or per subrange, or through a mapping (``->``, by position or with
        map-to lists), and when one family is used twice (``m[dim, dim1]``: the
        second use is an alias dimension, :mod:`gysim.io.native_refs`);
        subscripted lookups are one lookup per definition:
        ``Stock A[Entry]`` becomes the element ``stock_a`` with
        ``dims=("entry",)`` (elements no equation defines are 0);
        ALLOCATE AVAILABLE and ALLOCATE BY PRIORITY are one call of the
        engine's allocation along the requesters' dimension
        (:mod:`gysim.io.native_allocation`); ``source.dims`` (range ->
        dimension) and ``source.labels`` (original label -> gysim label) keep
        the naming. Files beyond that (ranges that overlap without one range
        holding both, INVERT MATRIX of a matrix that is not constant, a DELAY
        FIXED whose delay time differs between elements;
        ``source.fallback`` says why) are expanded element by element: ``Stock A[Entry 1]``
        becomes the scalar element ``stock_a_entry_1`` (``source.names`` maps
        it back to ``'Stock A[Entry 1]'``), with ranges, subranges, mappings
        (``->``), equal-size ranges by position, :EXCEPT:, element-by-element
        definitions, tabbed arrays, SUM/PROD/VMIN/VMAX over ``dim!``, ELMCOUNT,
        VECTOR SELECT, ALLOCATE, subscripted lookups, delays and smooths.
        ``source.subscripts`` (original name -> (ranges, labels -> element))
        and ``source.ranges`` keep the layout; :func:`gysim.io.stack_subscripts`
        turns the results back into variables with one dimension per range
        (and leaves natively dimensioned results unchanged). The older
        attributes ``model.vensim_names``, ``vensim_dims``, ``vensim_labels``,
        ``vensim_ranges``, ``vensim_subscripts`` and ``vensim_fallback`` still
        read these fields.

        Before PySD's translator sees the file, gysim reads it (size, strict
        decoding) and scans the definitions it holds
        (:mod:`gysim.io.mdl_scan`); afterwards each of them must be in what
        the translator made of the file, or the file is refused naming the
        lost elements. Documented limits: :data:`~gysim.io.mdl_scan.MAX_MDL_BYTES`,
        :data:`~gysim.io.mdl_scan.MAX_NESTING` (parentheses in one equation),
        :data:`~gysim.io.mdl_scan.MAX_LOOKUP_POINTS`,
        :data:`~gysim.io.mdl_scan.MAX_SUBSCRIPT_LABELS`.

    Raises
    ------
    ModelDefinitionError
        For every file gysim cannot read completely, naming the file: beyond
        a limit, not in its encoding, not parsed by PySD, or with constructs
        outside the supported core (calls naming a macro's additional outputs,
        recursive macros, GET DATA AT TIME, VECTOR LOOKUP mode 5, ALLOCATE
        AVAILABLE profile 5, DELAY CONVEYOR, ...; ``gysim check`` lists them
        all),
        naming the construct and the element (``'x[a,b]'`` for one element of
        a subscripted variable).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.read_vensim("teacup.mdl")  # doctest: +SKIP
    >>> ds = gysim.simulate(m, saveper=m.saveper)  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelDefinitionError(f"`path` must be an existing .mdl file, got '{path}'")
    if path.suffix.lower() != ".mdl":
        raise ModelDefinitionError(f"`path` must be a Vensim .mdl file, got '{path.name}' "
                                   f"(XMILE files: gysim.read_xmile)")
    text = read_text(path, max_bytes=max_bytes, encoding=encoding)
    declared = scan(text, path.name)
    deepest = max(declared, key=lambda d: d.depth, default=None)
    nesting = (f"the deepest is the equation of '{deepest.name}', {deepest.depth} levels of "
               f"parentheses" if deepest is not None and deepest.depth else "")
    from pysd.translators.vensim.vensim_file import VensimFile
    with tempfile.TemporaryDirectory(prefix="gysim-mdl-") as tmp:
        copy = Path(tmp) / (path.stem + ".mdl")
        copy.write_text(text, encoding="utf-8")  # exactly the text scanned, as UTF-8

        def translate():
            vfile = VensimFile(copy, encoding="UTF-8")
            vfile.parse()
            return vfile.get_abstract_model()

        return run_translator(translate, path, "Vensim", declared, nesting=nesting)
