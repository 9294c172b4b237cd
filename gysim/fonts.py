"""A font for Chinese text in figures, from the project's own install.

matplotlib's default font, DejaVu Sans, has no Chinese characters: a title
like "全市生产总值" comes out as empty boxes with a "Glyph ... missing from
font(s) DejaVu Sans" warning. gysim depends on the package
``pylopdf-fonts-zh-cn`` (Noto Sans SC, SIL Open Font License 1.1), whose
OpenType file :func:`register_cjk_font` adds to matplotlib's font manager,
then appends the family to ``rcParams["font.family"]`` (``["sans-serif"]``
becomes ``["sans-serif", "Noto Sans SC"]``): matplotlib (3.6 and later)
takes each character from the first family of that list whose font has it,
so Latin text keeps the look of the first family (DejaVu Sans unless the
user chose otherwise) and Chinese characters come from Noto Sans SC.
:mod:`gysim.plot` calls it on import.

Noto Sans SC's OpenType outlines are CFF: PNG and SVG output embed or draw
them; for PDF, matplotlib's default (Type 3 fonts, ``pdf.fonttype = 3``)
works, Type 42 does not take CFF outlines.

Examples
--------
>>> family = register_cjk_font()
>>> family
'Noto Sans SC'
>>> import matplotlib
>>> matplotlib.rcParams["font.family"][-1] == family
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["register_cjk_font", "cjk_font_path", "CJK_FAMILY"]

#: The family name of the Chinese font.
CJK_FAMILY = "Noto Sans SC"


def cjk_font_path() -> Path | None:
    """The Noto Sans SC file of the installed font package, or None when it is not installed.

    Examples
    --------
    >>> cjk_font_path().suffix
    '.otf'
    """
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return path if path.is_file() else None


def register_cjk_font() -> str | None:
    """Make matplotlib draw Chinese characters: register Noto Sans SC as a fallback font.

    Idempotent: a second call changes nothing.

    Returns
    -------
    str or None
        The family name (:data:`CJK_FAMILY`), or None when the font package
        is missing (Chinese text then shows as boxes, with matplotlib's
        "Glyph missing" warning; ``pip install pylopdf-fonts-zh-cn``).
    """
    import matplotlib
    from matplotlib import font_manager

    path = cjk_font_path()
    if path is None:
        return None
    if not any(Path(f.fname) == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    families = list(matplotlib.rcParams["font.family"])
    if CJK_FAMILY not in families:
        matplotlib.rcParams["font.family"] = families + [CJK_FAMILY]
    return CJK_FAMILY
