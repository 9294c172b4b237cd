"""``gysim plot``: trajectories of a saved run to an image file (:func:`gysim.plot.trajectories`).

Without ``--vars`` it draws the ``KEY_VARIABLES`` of the run's model when its
provider offers them (see :mod:`gysim.registry`), else the stocks first.
``--plan`` adds the provider's ``observations()`` and ``targets()``; ``--lang zh``
draws the variables' Chinese names and the plan's units in Chinese.

Examples
--------
>>> import xarray as xr
>>> ds = xr.Dataset({"x": ("time", [1.0, 2.0]), "y": ("time", [0.0, 1.0])},
...                 coords={"time": [0.0, 1.0]})
>>> ds.y.attrs["kind"] = "stock"
>>> default_variables(ds)
['y', 'x']
"""

from __future__ import annotations

import argparse

from ._common import UsageError, atomic, check_writable, names, open_dataset, run_provider

__all__ = ["SUMMARY", "EXAMPLE", "DEFAULT_VARS", "add_arguments", "run", "default_variables"]

SUMMARY = "Plot variables of a saved run over time to an image file."
EXAMPLE = "gysim plot plan.nc -o plan.png --vars gdp,population --plan"
#: Variables drawn when not told which.
DEFAULT_VARS = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim plot`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["plan.nc", "-o", "plan.png"]).dpi
    110
    """
    parser.add_argument("results", metavar="RESULTS.nc", help="a run saved by `gysim run -o`")
    parser.add_argument("-o", "--output", metavar="FIG.png", required=True,
                        help="image file (.png, .pdf, .svg)")
    parser.add_argument("--vars", metavar="A,B",
                        help=f"variables to draw (default: up to {DEFAULT_VARS}: the key "
                             f"variables the model's provider names, else the stocks first)")
    parser.add_argument("--plan", action="store_true",
                        help="also draw the model's data and targets (from its provider, e.g. "
                             "the 2000-2005 data and the plan's 2010 targets)")
    parser.add_argument("--model", metavar="MODEL",
                        help="registered model whose key variables, data and targets to use "
                             "(default: the run's)")
    parser.add_argument("--title", help="title of the figure (Chinese renders: gysim.fonts)")
    parser.add_argument("--lang", choices=("en", "zh"), default="en",
                        help="language of the panel titles (the variables' long names), units "
                             "and legends (default: en)")
    parser.add_argument("--dpi", type=int, default=110, help="resolution of raster images")


def default_variables(ds, provider=None) -> list[str]:
    """What to draw when not told: the provider's ``KEY_VARIABLES``, else stocks first.

    Examples
    --------
    >>> import types, xarray as xr
    >>> from gysim.registry import Provider
    >>> provider = Provider("toy", types.SimpleNamespace(KEY_VARIABLES=["gdp", "jobs"]), "example")
    >>> ds = xr.Dataset({"population": ("time", [2.0]), "gdp": ("time", [1.0])})
    >>> default_variables(ds, provider)
    ['gdp']
    """
    if provider is not None and provider.offers("KEY_VARIABLES"):
        key = [v for v in provider.get("KEY_VARIABLES", purpose="") if v in ds.data_vars]
        if key:
            return key[:DEFAULT_VARS]
    order = {"stock": 0, "aux": 1, "flow": 2}
    found = [n for n in ds.data_vars if "time" in ds[n].dims]
    found.sort(key=lambda n: order.get(ds[n].attrs.get("kind"), 3))  # stable: Dataset order
    return found[:DEFAULT_VARS]


def run(args: argparse.Namespace) -> int:
    """Run ``gysim plot`` with parsed `args`; returns the exit status.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["plot", "plan.nc", "-o", "plan.txt"]))
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: -o 'plan.txt': the figure must end in .png, .pdf, .svg or .jpg
    """
    out = check_writable(args.output)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise UsageError(f"-o {args.output!r}: the figure must end in .png, .pdf, .svg or .jpg")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plot import trajectories

    ds = open_dataset(args.results)
    provider = None
    if args.plan or args.model is not None:
        provider = run_provider(ds, args.model)
    elif args.vars is None:
        from ..registry import find_provider
        model = ds.attrs.get("model")
        provider = find_provider(model) if isinstance(model, str) else None
    variables = names(args.vars) or default_variables(ds, provider)
    if not variables:
        raise UsageError(f"{args.results!r} holds no variables over time to plot")
    data, targets = None, ()
    if args.plan:
        purpose = "`gysim plot --plan`"
        if not provider.offers("observations"):  # targets alone will do; neither will not
            targets = provider.get("targets", purpose=purpose)()
        else:
            data = provider.get("observations", purpose=purpose)()
            if provider.offers("targets"):
                targets = provider.get("targets", purpose=purpose)()
    model = ds.attrs.get("model")
    if provider is None and isinstance(model, str):
        from ..registry import find_provider
        provider = find_provider(model)
    # a provider may name rates it states per mille (not a hook of gysim.registry: optional)
    scales = getattr(getattr(provider, "source", None), "DISPLAY_SCALES", None)
    fig = trajectories(ds, variables, data=data, targets=targets, title=args.title, lang=args.lang,
                       scales=scales if isinstance(scales, dict) else None)
    try:
        with atomic(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=args.dpi)
    finally:
        plt.close(fig)
    from .run import scenario_note
    built = provider.build() if provider is not None and provider.name == model else None
    if ds.attrs.get("scenario") or (built is not None and built.scenarios):
        note = scenario_note(ds, built, "the run's values", option=None)
        print(f"the run: {note}")
    print(f"wrote {out} ({', '.join(variables)})")
    return 0
