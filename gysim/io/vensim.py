"""Reading Vensim (``.mdl``) models into gysim.

Examples
--------
>>> import gysim
>>> m = gysim.read_vensim("tests/data/teacup.mdl")  # doctest: +SKIP
>>> m.source.names["teacup_temperature"]              # doctest: +SKIP
'Teacup Temperature'
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ModelDefinitionError
from ..model import Model
from .build import build_model

__all__ = ["read_vensim"]


def read_vensim(path: str | Path) -> Model:
    """Read a Vensim ``.mdl`` model into a :class:`gysim.Model`.

    The file is parsed with PySD's Vensim translator into PySD's abstract
    model, and the gysim model is built from that structure; no code is
    generated or executed.

    Parameters
    ----------
    path : str or pathlib.Path
        The ``.mdl`` file.

    Returns
    -------
    Model
        With ``start``, ``stop`` and ``dt`` from INITIAL TIME, FINAL TIME and
        TIME STEP, ``method="euler"`` (as Vensim runs), ``saveper`` the file's
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

        Subscripts become native gysim dimensions when every subscripted
        element is defined over whole ranges (one definition each, full range
        names, no subranges, mappings, :EXCEPT:, subscripted lookups or VECTOR
        SELECT): ``Stock A[Entry]`` becomes the element ``stock_a`` with
        ``dims=("entry",)``; ``source.dims`` (range -> dimension) and
        ``source.labels`` (original label -> gysim label) keep the naming.
        Otherwise (``source.fallback`` says why) subscripts are expanded
        element by element: ``Stock A[Entry 1]``
        becomes the scalar element ``stock_a_entry_1`` (``source.names`` maps
        it back to ``'Stock A[Entry 1]'``), with ranges, subranges, mappings
        (``->``), equal-size ranges by position, :EXCEPT:, element-by-element
        definitions, tabbed arrays, SUM/PROD/VMIN/VMAX over ``dim!``, ELMCOUNT,
        VECTOR SELECT (actions 0-3), subscripted lookups, delays and smooths.
        ``source.subscripts`` (original name -> (ranges, labels -> element))
        and ``source.ranges`` keep the layout; :func:`gysim.io.stack_subscripts`
        turns the results back into variables with one dimension per range
        (and leaves natively dimensioned results unchanged). The older
        attributes ``model.vensim_names``, ``vensim_dims``, ``vensim_labels``,
        ``vensim_ranges``, ``vensim_subscripts`` and ``vensim_fallback`` still
        read these fields.

    Raises
    ------
    ModelDefinitionError
        For constructs outside the supported core (macros, data, SAMPLE IF
        TRUE, ALLOCATE AVAILABLE, INVERT MATRIX, explicit element-list mappings,
        ...), naming the construct and the element (``'x[a,b]'`` for one
        element of a subscripted variable).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.read_vensim("teacup.mdl")  # doctest: +SKIP
    >>> ds = gysim.simulate(m, saveper=m.saveper)  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise ModelDefinitionError(f"`path` must be an existing .mdl file, got '{path}'")
    from pysd.translators.vensim.vensim_file import VensimFile
    try:
        vfile = VensimFile(path)
        vfile.parse()
        abstract = vfile.get_abstract_model()
    except ModelDefinitionError:
        raise
    except Exception as exc:  # the translator's own parse errors
        raise ModelDefinitionError(f"{path.name}: PySD's Vensim translator could not parse "
                                   f"the file: {exc}") from exc
    return build_model(abstract, path, "Vensim")

