"""Figures for a report: Chinese text renders (a font that has it), names and plan units,
every form of target drawn where it belongs, legends that name what is drawn."""

import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402

import gysim  # noqa: E402
from gysim import plot  # noqa: E402
from gysim.fonts import CJK_FAMILY, cjk_font_path  # noqa: E402
from gysim.targets import Target  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def report_model() -> gysim.Model:
    """GDP growing 10 % a year from 500, a share falling 1 point a year from 0.60."""
    m = gysim.Model("report", start=2005, stop=2010, time_units="year")
    m.param("g", 0.1, units="1/year", doc="growth rate")
    m.stock("gdp", 500.0, units="1e8 yuan", doc="GDP, current prices")
    m.flow("growth", "g * gdp", into="gdp", units="1e8 yuan/year", doc="GDP growth")
    m.param("share0", 0.60, units="fraction")
    m.param("drift", 0.01, units="fraction/year")
    m.aux("share", "share0 - drift * (time - 2005)", units="fraction", doc="secondary share")
    m.set_names_zh({"gdp": "全市生产总值", "share": "第二产业比重", "growth": "生产总值增加",
                    "g": "增长率", "share0": "初始比重", "drift": "比重变化"})
    return m


@pytest.fixture(scope="module")
def run():
    return gysim.simulate(report_model(), method="euler", dt=1)


def test_the_chinese_font_is_installed_and_registered():
    path = cjk_font_path()
    assert path is not None and path.suffix == ".otf"
    assert matplotlib.rcParams["font.family"][-1] == CJK_FAMILY
    found = font_manager.findfont(font_manager.FontProperties(family=CJK_FAMILY),
                                  fallback_to_default=False)
    assert found == str(path)
    # the font holds the characters of the plan's names
    from matplotlib.ft2font import FT2Font
    font = FT2Font(str(path))
    for char in "全市生产总值万元综合能耗城镇化水平污水集中处理率亿人‰":
        assert font.get_char_index(ord(char)) != 0, char


def test_chinese_text_renders_without_a_missing_glyph(tmp_path):
    fig, ax = plt.subplots()
    ax.plot([2005, 2010], [500, 1000], label="全市生产总值")
    ax.set_title("贵阳 十一五 规划情景")
    ax.set_xlabel("年份")
    ax.set_ylabel("亿元")
    ax.legend()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig.savefig(tmp_path / "zh.png", dpi=50)
    assert (tmp_path / "zh.png").read_bytes()[:8] == PNG_MAGIC


def test_without_the_fallback_chinese_glyphs_are_missing(tmp_path):
    """The check above can fail: DejaVu Sans alone has no Chinese characters."""
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("贵阳")
        with pytest.warns(UserWarning, match="Glyph .* missing"):
            fig.savefig(tmp_path / "boxes.png", dpi=50)


def test_trajectories_in_chinese_name_panels_and_units(run, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = plot.trajectories(run, ["gdp", "share"], lang="zh", title="贵阳 十一五 规划情景")
        fig.savefig(tmp_path / "zh.png", dpi=50)
    ax_gdp, ax_share = fig.axes[:2]
    assert ax_gdp.get_title() == "全市生产总值"
    assert (ax_gdp.get_ylabel(), ax_share.get_ylabel()) == ("亿元", "%")
    assert ax_gdp.get_xlabel() == "年份"
    # shares in percent: 0.60 - 0.01 * 5 = 0.55 -> 55 %
    (share_line,) = ax_share.lines
    assert share_line.get_ydata()[-1] == pytest.approx(55.0)
    en = plot.trajectories(run, ["gdp", "share"])
    assert [ax.get_title() for ax in en.axes[:2]] == ["GDP, current prices", "secondary share"]
    assert en.axes[0].get_ylabel() == "100 million yuan"


def test_every_target_form_is_drawn_on_its_panel(run):
    targets = [
        Target("level", 1000, "at_least", variable="gdp", years=(2010,)),
        Target("growth", 13, "at_least", variable="gdp", form="growth", years=(2005, 2010)),
        Target("sum", 3000, "at_least", variable="gdp", form="cumulative", years=(2006, 2010)),
        Target("fall", -20, "at_most", variable="share", form="percent_change", years=(2005, 2010)),
        Target("about", 50, "about", variable="share", years=(2010,), scale=100, tolerance=0.1),
        Target("func", 1, "about", func=lambda ds: ds.gdp.sel(time=2010)),  # no panel: left out
    ]
    data = pd.DataFrame({"gdp": [500.0]}, index=[2005.0])
    fig = plot.trajectories(run, ["gdp", "share"], targets=targets, data=data)
    ax_gdp, ax_share = fig.axes[:2]
    labels = ax_gdp.get_legend_handles_labels()[1]
    assert labels == ["model", "data",  # lines, then error bars: matplotlib's legend order
                      "target: sum 2006–2010 ≥ 3000 (mean 600 a year)",
                      "target: ≥ 1000 in 2010", "target: growth ≥ 13 % a year, 2005–2010"]
    # growth: from the model's 500 in 2005 at 13 % a year, dashed, to 500 * 1.13 ** 5 in 2010
    path = [ln for ln in ax_gdp.lines if ln.get_linestyle() == "--"][0]
    np.testing.assert_allclose(path.get_ydata(), 500 * 1.13 ** np.arange(6))
    # the sum as its yearly mean over 2006-2010 (bar from 2005.5 to 2010.5)
    bar = [ln for ln in ax_gdp.lines if ln.get_label().startswith("target: sum")][0]
    np.testing.assert_allclose(bar.get_xdata(), [2005.5, 2010.5])
    np.testing.assert_allclose(bar.get_ydata(), [600.0, 600.0])
    # -20 % on the share of 2005 (60 %) is 48 %; the "about" 50 % +- 10 % is 45 to 55
    labels = ax_share.get_legend_handles_labels()[1]
    assert labels == ["model", "target: −20 % in 2010 vs 2005", "target: ≈ 50 % in 2010"]
    change, about = ax_share.containers
    assert change.lines[0].get_ydata()[-1] == pytest.approx(48.0)
    np.testing.assert_allclose(about.lines[2][0].get_segments()[0][:, 1], [45.0, 55.0])
    zh = plot.trajectories(run, ["share"], targets=targets, lang="zh")
    assert zh.axes[0].get_legend_handles_labels()[1][1:] == ["目标：2010年比2005年 −20%",
                                                            "目标：2010年 ≈ 50%"]


def test_ensembles_name_their_band_and_scales_apply(run):
    ens = gysim.simulate(report_model(), method="euler", dt=1, params={"g": [0.05, 0.1, 0.15]})
    fig = plot.trajectories({"plan": ens}, ["gdp"], lang="zh")
    assert fig.axes[0].get_legend_handles_labels()[1] == ["plan", "plan: 5–95%区间"]
    fig = plot.fan_chart(ens, "share", lang="zh", scales={"share": "per_mille"})
    ax = fig.axes[0]
    assert (ax.get_title(), ax.get_ylabel()) == ("第二产业比重", "‰")
    assert ax.lines[0].get_ydata()[-1] == pytest.approx(550.0)
    assert ax.get_legend_handles_labels()[1][-1] == "中位数"


def test_lang_must_be_known(run):
    with pytest.raises(gysim.DataError, match="`lang` must be one of 'en', 'zh'"):
        plot.trajectories(run, ["gdp"], lang="fr")
    with pytest.raises(gysim.DataError, match="`scale` must be one of"):
        plot.trajectories(run, ["gdp"], scales={"gdp": "per_cent"})


def test_cli_plot_in_chinese_with_a_chinese_title(tmp_path, capsys):
    from gysim.cli import main

    nc = tmp_path / "plan.nc"
    gysim.simulate(report_model(), method="euler", dt=1).to_netcdf(nc)
    fig = tmp_path / "zh.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no "Glyph ... missing"
        assert main(["plot", str(nc), "-o", str(fig), "--vars", "gdp,share", "--lang", "zh",
                     "--title", "贵阳 十一五 规划情景"]) == 0
    assert fig.read_bytes()[:8] == PNG_MAGIC
    assert "wrote" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["plot", str(nc), "-o", str(fig), "--lang", "fr"])


def test_sensitivity_figures_take_chinese_names():
    from gysim.display import names_of

    m = gysim.Model("linear", start=0, stop=2)
    m.param("a", 1.0, bounds=(0, 1), doc="first")
    m.param("b", 1.0, bounds=(0, 1), doc="second")
    m.aux("y", "a + 3 * b", doc="output")
    m.set_names_zh({"a": "参数甲", "b": "参数乙", "y": "产出"})
    si = gysim.sensitivity(m, ["a", "b"], ["y"], n=32, progress=False, method="euler", dt=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fig = plot.sensitivity_bars(si, "y", lang="zh", names=names_of(m, "zh"))
        fig.canvas.draw()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["参数甲", "参数乙"]
    assert ax.get_title() == "产出（2年）：ST"
    heat = plot.sensitivity_heatmap(si, "y", names=names_of(m), lang="en").axes[0]
    assert [t.get_text() for t in heat.get_yticklabels()] == ["first", "second"]
    assert heat.get_title() == "output: ST over time"


def test_without_the_font_package_registration_says_so(monkeypatch):
    import sys

    from gysim.fonts import register_cjk_font

    monkeypatch.setitem(sys.modules, "pylopdf_fonts_zh_cn", None)  # import fails
    assert cjk_font_path() is None
    assert register_cjk_font() is None


# --- short names on the figures of indices and fits ---------------------------------------

def short_named_model() -> gysim.Model:
    """y = a + 3 b (a share): Morris' mu* of a and b are 1 and 3 (their slopes times a
    range of 1), i.e. 100 and 300 percentage points."""
    m = gysim.Model("linear", start=0, stop=2)
    m.param("a", 1.0, bounds=(0, 1), doc="a long sentence that would not fit on a tick")
    m.param("b", 1.0, bounds=(0, 1))
    m.aux("y", "a + 3 * b", units="fraction", doc="the output")
    m.set_short_names({"a": "Share a", "y": "Output"})
    m.set_short_names({"a": "份额甲", "y": "产出"}, lang="zh")
    return m


@pytest.fixture(scope="module")
def morris():
    return gysim.sensitivity(short_named_model(), ["a", "b"], ["y"], analysis="morris", n=10,
                             seed=3, progress=False, method="euler", dt=1)


def test_indices_carry_short_names_and_units_that_survive_selection_and_netcdf(morris, tmp_path):
    assert morris.param_short_name.values.tolist() == ["Share a", "b"]  # b: none, raw name
    assert morris.param_short_name_zh.values.tolist() == ["份额甲", "b"]
    assert morris.output_short_name_zh.values.tolist() == ["产出"]
    assert morris.output_units.values.tolist() == ["fraction"]
    assert morris.sel(param=["a"]).param_short_name_zh.values.tolist() == ["份额甲"]
    path = tmp_path / "si.nc"
    morris.to_netcdf(path)
    import xarray as xr
    with xr.open_dataset(path) as back:
        assert back.param_short_name_zh.values.tolist() == ["份额甲", "b"]


def test_bars_label_with_the_short_names_and_show_effects_in_plan_units(morris):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no missing glyph
        fig = plot.sensitivity_bars(morris, "y", index="mu_star", lang="zh")
        fig.canvas.draw()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["份额甲", "b"]
    assert ax.get_title() == "产出（2年）：μ*"
    # mu* of a share is in percentage points: 1 and 3 -> 100 and 300
    assert [round(p.get_width(), 6) for p in ax.patches] == [100.0, 300.0]
    assert ax.get_xlabel() == "平均绝对效应 μ*（%）；误差线：95%置信区间"
    en = plot.sensitivity_bars(morris, "y", index="mu_star").axes[0]
    assert [t.get_text() for t in en.get_yticklabels()] == ["Share a", "b"]
    assert en.get_xlabel() == "mean absolute effect μ* (%); error bars: 95 % CI"
    # names= wins over the carried names
    ax = plot.sensitivity_bars(morris, "y", index="mu_star", names={"b": "B"}, lang="zh").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["份额甲", "B"]


def test_indices_without_short_names_show_raw_names():
    from gysim.sampling import sample
    from gysim.sensitivity import analyze

    m = short_named_model()
    s = sample(m, ["a", "b"], "morris", n=10, seed=3)
    si = analyze(s, gysim.run_batch(m, s, progress=False, method="euler", dt=1), ["y"])
    assert "param_short_name" not in si.coords
    ax = plot.sensitivity_bars(si, "y", index="mu_star", lang="zh").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert [round(p.get_width(), 6) for p in ax.patches] == [1.0, 3.0]  # no units: unscaled
    from gysim.display import label_indices
    labelled = label_indices(si, m, names={"y": ("Output y", "产出乙")})
    heat = plot.sensitivity_heatmap(labelled, "y", index="mu_star", lang="zh").axes[0]
    assert [t.get_text() for t in heat.get_yticklabels()] == ["份额甲", "b"]
    assert heat.get_title() == "产出乙：μ*随时间变化"


def test_label_indices_refuses_bad_input(morris):
    from gysim.display import label_indices
    from gysim.errors import DataError

    with pytest.raises(DataError, match="`names`: the names of 'y' must be a pair"):
        label_indices(morris, short_named_model(), names={"y": "Output"})
    with pytest.raises(DataError, match="must have a `output` dimension"):
        label_indices(morris.isel(output=0), short_named_model())


def fit_result_like(model):
    """What fit_decomposition reads of a calibration: report, correlation, base_model."""
    from types import SimpleNamespace

    from gysim.fit_report import fit_report

    obs = pd.DataFrame({"y": [1.0, 2.0, 3.0], "a": [2.0, 2.0, 4.0]}, index=[0, 1, 2])
    sim = pd.DataFrame({"y": [2.0, 3.0, 4.0], "a": [2.0, 2.0, 4.0 * 1.0001]}, index=[0, 1, 2])
    corr = pd.DataFrame([[1.0, -0.8], [-0.8, 1.0]], index=["a", "b"], columns=["a", "b"])
    return SimpleNamespace(report=fit_report(obs, sim), correlation=corr, base_model=model)


def test_fit_decomposition_draws_shares_in_percent_labelled_by_short_names(caplog):
    fit = fit_result_like(short_named_model())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fig = plot.fit_decomposition(fit, lang="zh")
        fig.canvas.draw()
    # mathtext draws in its own font and logs (not warns) a missing glyph
    assert "does not have a glyph" not in caplog.text
    ax = fig.axes[0]
    # y is off by +1 at every point: all bias, MAPE = mean(1/1, 1/2, 1/3) = 61.1 %
    assert [t.get_text() for t in ax.get_yticklabels()] == ["产出\nMAPE 61.1%", "份额甲\nMAPE 0.0%"]
    um, us, uc = ax.containers
    assert um[0].get_width() == pytest.approx(100.0) and us[0].get_width() == pytest.approx(0.0)
    # a: only its last point is off, so the error has bias, variation and covariation
    total = um[1].get_width() + us[1].get_width() + uc[1].get_width()
    assert total == pytest.approx(100.0)
    assert ax.get_title() == "拟合误差的泰尔分解"
    assert ax.get_legend_handles_labels()[1] == ["偏差（UM）", "方差不等（US）",
                                                   "协方差不完全（UC）"]
    en = plot.fit_decomposition(fit.report).axes[0]  # a table alone: raw names
    assert en.get_yticklabels()[0].get_text() == "y\nMAPE 61.1%"


def test_parameter_correlations_label_with_short_names():
    fit = fit_result_like(short_named_model())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        fig = plot.parameter_correlations(fit, lang="zh")
        fig.canvas.draw()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["份额甲", "b"]
    assert ax.images[0].get_array()[0, 1] == -0.8
    assert [t.get_text() for t in ax.texts] == ["1.00", "-0.80", "-0.80", "1.00"]
    from gysim.errors import DataError
    with pytest.raises(DataError, match="must be square"):
        plot.parameter_correlations(fit.correlation.iloc[:1])
    with pytest.raises(DataError, match="`fit` must be a calibration result"):
        plot.fit_decomposition(object())
