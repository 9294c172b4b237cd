"""Pictures of a calibration: Theil's decomposition of the fit errors, the parameters' correlations.

Both take what :func:`gysim.calibrate` returns (a
:class:`gysim.calibrate.CalibrationResult`) and label its series and
parameters with their short names in English or Chinese
(:func:`gysim.display.short_name`: the short name in the language, in
Chinese else the English one, else the raw name). They are reached as
``gysim.plot.fit_decomposition`` and ``gysim.plot.parameter_correlations``.

Examples
--------
>>> import matplotlib; matplotlib.use("Agg")
>>> import pandas as pd
>>> from gysim.fit_report import fit_report
>>> obs = pd.DataFrame({"x": [1.0, 2.0, 4.0]}, index=[2000, 2001, 2002])
>>> sim = pd.DataFrame({"x": [1.5, 2.0, 3.5]}, index=[2000, 2001, 2002])
>>> fig = fit_decomposition(fit_report(obs, sim))
>>> [t.get_text() for t in fig.axes[0].get_yticklabels()]  # MAPE = (50 + 0 + 12.5) / 3 %
['x\\nMAPE 20.8%']
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .display import LANGS, short_name
from .errors import DataError
from .fonts import register_cjk_font

register_cjk_font()  # Chinese names need a font that has them (gysim.fonts)

__all__ = ["fit_decomposition", "parameter_correlations", "THEIL_PARTS"]

#: Theil's shares of the mean squared error: column -> (colour, English, Chinese) label.
#: (Plain text: mathtext would draw the Chinese in a font without it.)
THEIL_PARTS = {"UM": ("#c0392b", "bias (UM)", "偏差（UM）"),
               "US": ("#e69f00", "unequal variation (US)", "方差不等（US）"),
               "UC": ("#3a7dbf", "unequal covariation (UC)", "协方差不完全（UC）")}

_TEXT = {"en": {"theil": "Theil decomposition of the fit errors",
                "share": "share of the mean squared error (%)",
                "corr": "Correlations of the fitted parameters", "r": "correlation"},
         "zh": {"theil": "拟合误差的泰尔分解", "share": "占均方误差的比例（%）",
                "corr": "拟合参数的相关系数", "r": "相关系数"}}


def _check_lang(lang: Any) -> str:
    if lang not in LANGS:
        raise DataError(f"`lang` must be one of {', '.join(map(repr, LANGS))}, got {lang!r}")
    return lang


def _parts(fit: Any, attribute: str, model: Any) -> tuple[pd.DataFrame, Any]:
    """(table, model) from a calibration result, or from a table and `model`."""
    if isinstance(fit, pd.DataFrame):
        return fit, model
    table = getattr(fit, attribute, None)
    if not isinstance(table, pd.DataFrame):
        raise DataError(f"`fit` must be a calibration result (gysim.calibrate) or its "
                        f"`{attribute}` table, got {type(fit).__name__}")
    own = getattr(fit, "base_model", None)
    return table, model if model is not None else own


def _names(model: Any, keys, lang: str, names: Mapping[str, str] | None) -> list[str]:
    """Short names of `keys`: `names` first, else the model's rule, else the raw names."""
    elements = getattr(model, "elements", {}) if model is not None else {}
    out = []
    for key in map(str, keys):
        if names and key in names:
            out.append(str(names[key]))
        else:
            out.append(short_name(elements.get(key.partition("[")[0]), key, lang))
    return out


def _new_axes(ax, figsize: tuple[float, float]):
    if ax is not None:
        return ax.figure, ax, True
    import matplotlib.pyplot as plt
    fig, new = plt.subplots(figsize=figsize, layout="constrained")
    return fig, new, False


def fit_decomposition(fit: Any, *, model: Any = None, lang: str = "en", ax=None,
                      names: Mapping[str, str] | None = None, title: str | None = None):
    """Theil's decomposition of each series' fit error, as stacked bars in percent.

    One bar per series: the shares of its mean squared error due to bias
    (``UM``), unequal variation (``US``) and unequal covariation (``UC``),
    which sum to 100 % (:func:`gysim.fit_report.fit_statistics`). Each row
    is labelled with the series' short name and its MAPE.

    Parameters
    ----------
    fit : CalibrationResult or pandas.DataFrame
        A calibration result (its ``report`` and its model's short names),
        or a table from :func:`gysim.fit_report.fit_report` (columns ``UM``,
        ``US``, ``UC``, optionally ``MAPE``).
    model : Model, optional
        Whose short names label the rows (default: the calibration's model).
    lang : {"en", "zh"}
        Language of names, title and legend.
    ax : matplotlib Axes, optional
        Draw into these axes (and return them) instead of a new figure.
    names : mapping of str to str, optional
        Names to show for series, overriding the short names.
    title : str, optional
        Title (default: "Theil decomposition of the fit errors" or its Chinese).

    Returns
    -------
    matplotlib.figure.Figure, or the Axes when ``ax`` is given
        Three BarContainers (``ax.containers``: UM, US, UC), values in percent.

    Raises
    ------
    DataError
        If `fit` is neither, the table lacks a column ``UM``, ``US`` or
        ``UC``, or `lang` is unknown.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd, gysim
    >>> m = gysim.Model("m")
    >>> m.aux("gdp", "1", units="1e8 yuan")
    >>> m.set_short_names({"gdp": "GDP"}); m.set_short_names({"gdp": "生产总值"}, lang="zh")
    >>> report = pd.DataFrame({"MAPE": [1.04], "UM": [0.25], "US": [0.25], "UC": [0.5]},
    ...                       index=["gdp"])
    >>> ax = fit_decomposition(report, model=m, lang="zh").axes[0]
    >>> ax.get_yticklabels()[0].get_text(), [float(b.get_width()) for b in ax.containers[2]]
    ('生产总值\\nMAPE 1.0%', [50.0])
    """
    _check_lang(lang)
    report, model = _parts(fit, "report", model)
    missing = [c for c in THEIL_PARTS if c not in report.columns]
    if missing:
        raise DataError(f"`fit`: the fit report has no column(s) {', '.join(missing)} "
                        f"(from gysim.fit_report.fit_report)")
    rows = _names(model, report.index, lang, names)
    if "MAPE" in report.columns:
        rows = [f"{r}\nMAPE {m:.1f}%" if np.isfinite(m) else r
                for r, m in zip(rows, report["MAPE"].to_numpy(dtype=float))]
    fig, ax, given = _new_axes(ax, (7.5, 1.1 + 0.55 * len(rows)))
    y = np.arange(len(rows))
    left = np.zeros(len(rows))
    for column, (color, en, zh) in THEIL_PARTS.items():
        share = 100 * np.nan_to_num(report[column].to_numpy(dtype=float))
        ax.barh(y, share, left=left, color=color, label=zh if lang == "zh" else en, height=0.7)
        left += share
    ax.set_yticks(y, rows, fontsize="small")
    ax.invert_yaxis()  # first series on top
    ax.set_xlim(0, 100)
    ax.set_xlabel(_TEXT[lang]["share"])
    ax.set_title(title if title is not None else _TEXT[lang]["theil"], fontsize="medium")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14 - 0.4 / max(1, len(rows))),
              ncols=3, fontsize="small", frameon=False)
    return ax if given else fig


def parameter_correlations(fit: Any, *, model: Any = None, lang: str = "en", ax=None,
                           names: Mapping[str, str] | None = None, title: str | None = None):
    """The correlation matrix of fitted parameters, coloured and annotated.

    Parameters
    ----------
    fit : CalibrationResult or pandas.DataFrame
        A calibration result (its ``correlation``), or a square correlation
        table indexed and columned by parameter names.
    model : Model, optional
        Whose short names label the parameters (default: the calibration's).
    lang : {"en", "zh"}
        Language of names, title and colour bar.
    ax : matplotlib Axes, optional
        Draw into these axes (and return them) instead of a new figure.
    names : mapping of str to str, optional
        Names to show, overriding the short names.
    title : str, optional
        Title (default: "Correlations of the fitted parameters" or its Chinese).

    Returns
    -------
    matplotlib.figure.Figure, or the Axes when ``ax`` is given
        The image is ``ax.images[0]``.

    Raises
    ------
    DataError
        If the table is not square with the same labels on both sides.

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> import pandas as pd
    >>> corr = pd.DataFrame([[1.0, -0.8], [-0.8, 1.0]], index=["a", "b"], columns=["a", "b"])
    >>> ax = parameter_correlations(corr).axes[0]
    >>> [t.get_text() for t in ax.get_xticklabels()], ax.images[0].get_array().shape
    (['a', 'b'], (2, 2))
    """
    _check_lang(lang)
    corr, model = _parts(fit, "correlation", model)
    if corr.shape[0] != corr.shape[1] or list(corr.index) != list(corr.columns):
        raise DataError("`fit`: the correlation table must be square, with the same parameters "
                        "as rows and columns")
    shown = _names(model, corr.index, lang, names)
    n = len(shown)
    fig, ax, given = _new_axes(ax, (2.6 + 0.85 * n, 1.8 + 0.7 * n))
    values = corr.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(n), shown, rotation=35, ha="right", rotation_mode="anchor",
                  fontsize="small")
    ax.set_yticks(range(n), shown, fontsize="small")
    for i in range(n):
        for j in range(n):
            if np.isfinite(values[i, j]):
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if abs(values[i, j]) > 0.6 else "black")
    ax.figure.colorbar(image, ax=ax, label=_TEXT[lang]["r"], shrink=0.85)
    ax.set_title(title if title is not None else _TEXT[lang]["corr"], fontsize="medium")
    return ax if given else fig
