"""Where a model read from a Vensim or XMILE file came from: :class:`SourceInfo`.

Examples
--------
>>> from gysim.io.source import SourceInfo
>>> SourceInfo(path="m.mdl", language="Vensim").language
'Vensim'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import ModelDefinitionError

__all__ = ["SourceInfo"]

_LANGUAGES = ("Vensim", "XMILE")


@dataclass(frozen=True)
class SourceInfo:
    """The file a model was read from, and how its names and subscripts map onto gysim's.

    The readers (:func:`gysim.read_vensim`, :func:`gysim.read_xmile`) set it as
    ``model.source``; models built in Python have ``model.source = None``. The
    older attributes ``model.vensim_names``, ``vensim_dims``, ``vensim_labels``,
    ``vensim_ranges``, ``vensim_subscripts`` and ``vensim_fallback`` read these
    fields.

    Parameters
    ----------
    path : pathlib.Path
        The file read.
    language : {"Vensim", "XMILE"}
        Its language.
    names : mapping
        Each gysim identifier -> the file's original name (``'Stock A[Entry 1]'``
        for one element of a subscripted variable read element by element).
    dims : mapping
        Native dimensions: subscript range -> gysim dimension name (empty
        when the file has no subscripts or they were read element by element).
    labels : mapping
        Native dimensions: the file's label -> gysim label.
    ranges : mapping
        Every subscript range -> its labels (tuple).
    subscripts : mapping
        Element by element: original name of each subscripted variable ->
        (its ranges, {labels tuple -> gysim identifier}); what
        :func:`gysim.io.stack_subscripts` stacks.
    fallback : str
        Why the subscripts were read element by element ('' when they are
        native dimensions or the file has none).

    Examples
    --------
    >>> from gysim.io import SourceInfo
    >>> info = SourceInfo(path="teacup.mdl", language="Vensim",
    ...                   names={"teacup_temperature": "Teacup Temperature"})
    >>> info.names["teacup_temperature"], info.path.name, info.fallback
    ('Teacup Temperature', 'teacup.mdl', '')
    >>> info.language = "XMILE"
    Traceback (most recent call last):
        ...
    dataclasses.FrozenInstanceError: cannot assign to field 'language'
    """

    path: Path
    language: str
    names: Mapping[str, str] = field(default_factory=dict)
    dims: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    ranges: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    subscripts: Mapping[str, tuple[tuple, Mapping[tuple, str]]] = field(default_factory=dict)
    fallback: str = ""

    def __post_init__(self) -> None:
        if self.language not in _LANGUAGES:
            raise ModelDefinitionError(f"`language` must be one of {_LANGUAGES}, got {self.language!r}")
        object.__setattr__(self, "path", Path(self.path))
        object.__setattr__(self, "fallback", str(self.fallback))

    def replace(self, **changes: Any) -> SourceInfo:
        """A copy with some fields changed.

        Examples
        --------
        >>> from gysim.io import SourceInfo
        >>> SourceInfo("m.mdl", "Vensim").replace(fallback="native=False").fallback
        'native=False'
        """
        import dataclasses
        return dataclasses.replace(self, **changes)
