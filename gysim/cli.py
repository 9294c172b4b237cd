"""The ``gysim`` command: run, calibrate, study and inspect models from a shell.

Every subcommand is a thin layer over the library: ``run`` calls
:func:`gysim.simulate`, ``sensitivity`` calls :func:`gysim.sensitivity`,
``targets`` calls :func:`gysim.check_targets` with the plan's targets,
``plot`` calls :func:`gysim.plot.trajectories`, ``calibrate`` runs the
project's ``calibration/fit.py``. ``MODEL`` is a model name for
:func:`gysim.load_model` (``guiyang`` or a sector), a ``.py`` file defining
``build()``, or a Vensim ``.mdl`` / XMILE (``.xmile``, ``.xml``, ``.stmx``)
file.

Errors from bad input print one line, ``gysim: error: <message>``, and exit
with status 2 (``--debug`` shows the traceback instead). Files are written
under a temporary name and renamed into place, so an interrupted command
never leaves a half-written result.

Examples
--------
>>> from gysim.cli import main
>>> main(["run", "population", "--vars", "population,urbanization_rate"])
model 'population', RK45, time 2000 to 2010
variable            2000      2010  units
-----------------  -----  --------  ----------
population         331.8    373.59  1e4 person
urbanization_rate   0.55  0.650808  fraction
0
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import GysimError

__all__ = ["main", "build_parser", "load_any_model", "parse_assignments"]

PROG = "gysim"
#: Suffixes read as XMILE files.
XMILE_SUFFIXES = (".xmile", ".xml", ".stmx")
#: Rows of the summary table ``gysim run`` prints before it abbreviates.
SUMMARY_ROWS = 25
#: Variables ``gysim plot`` draws when not told which.
PLOT_DEFAULT_VARS = 6
#: Parameters ``gysim sensitivity`` varies when not told which.
SENSITIVITY_DEFAULT_PARAMS = 10


class UsageError(GysimError, ValueError):
    """A command-line value the parser accepted but the command cannot use."""


# ---------------------------------------------------------------------- helpers
def load_any_model(spec: str):
    """A model from a name, a ``.py`` file, a Vensim ``.mdl`` or an XMILE file.

    Parameters
    ----------
    spec : str
        ``"guiyang"``, a sector name, or a path ending in ``.py``, ``.mdl``,
        ``.xmile``, ``.xml`` or ``.stmx``.

    Returns
    -------
    gysim.Model

    Raises
    ------
    ModelDefinitionError
        If there is no such model or the file cannot be read.

    Examples
    --------
    >>> load_any_model("population").name
    'population'
    """
    suffix = Path(spec).suffix.lower()
    if suffix == ".mdl":
        from .io import read_vensim
        return read_vensim(spec)
    if suffix in XMILE_SUFFIXES:
        from .io import read_xmile
        return read_xmile(spec)
    from .registry import load_model
    return load_model(spec)


def parse_assignments(items: Sequence[str] | None, option: str = "--set") -> dict[str, float]:
    """``["a=1", "b=2.5"]`` -> ``{"a": 1.0, "b": 2.5}``, with one-line errors.

    Examples
    --------
    >>> parse_assignments(["birth_rate=0.012", "death_rate = 6e-3"])
    {'birth_rate': 0.012, 'death_rate': 0.006}
    >>> parse_assignments(["birth_rate"])
    Traceback (most recent call last):
    ...
    gysim.cli.UsageError: --set expects NAME=VALUE, got 'birth_rate'
    """
    out: dict[str, float] = {}
    for item in items or ():
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name or not text:
            raise UsageError(f"{option} expects NAME=VALUE, got {item!r}")
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{option} {name}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise UsageError(f"{option} {name}: the value must be finite, got {text!r}")
        out[name] = value
    return out


def _names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    # split at commas outside brackets: "gdp,x[secondary,north]" is two names
    names, depth, current = [], 0, ""
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            names.append(current)
            current = ""
        else:
            current += char
    names = [n.strip() for n in names + [current] if n.strip()]
    return names or None


def _check_writable(path: str | os.PathLike) -> Path:
    """Fail before any work when an output could not be written."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"cannot write {str(path)!r}: folder {str(folder)!r} does not exist")
    if not os.access(folder, os.W_OK):
        raise UsageError(f"cannot write {str(path)!r}: folder {str(folder)!r} is not writable")
    if path.is_dir() and path.suffix.lower() != ".zarr":
        raise UsageError(f"cannot write {str(path)!r}: it is a folder")
    return path


def _atomic(path: Path):
    """A temporary name beside `path`, renamed to `path` on success (gysim.atomic)."""
    from .atomic import atomic_path
    return atomic_path(path)


def _write_netcdf(ds, path: Path) -> None:
    with _atomic(path) as tmp:
        ds.to_netcdf(tmp)


def _open_dataset(path: str):
    import xarray as xr
    if not Path(path).is_file():
        raise UsageError(f"results file {path!r} does not exist")
    try:
        with xr.open_dataset(path) as ds:
            return ds.load()
    except (ValueError, OSError) as err:
        detail = _one_line(err).split(". ")[0][:160]
        raise UsageError(f"cannot read {path!r} as netCDF results ({detail})") from None


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.6g}"
    return str(value)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A plain text table with right-aligned numbers."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(header)]
    numeric = [all(isinstance(row[i], (int, float)) and not isinstance(row[i], bool)
                   for row in rows) and rows for i in range(len(header))]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in cells])


def _value_text(value: Any) -> str:
    """A number, or the nested tuple of a subscripted value, in short form."""
    if isinstance(value, tuple):
        return "[" + ", ".join(_value_text(v) for v in value) + "]"
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


def _one_line(err: BaseException) -> str:
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    text = " ".join(str(err).split())
    return text or type(err).__name__


def _status(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    """``gysim run``: one run, summary table or netCDF file."""
    from .simulate import simulate

    overrides = parse_assignments(args.set)
    out = _check_writable(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".nc", ".nc4"):
        raise UsageError(f"-o {args.output!r}: a run is saved as netCDF; give a name ending "
                         f"in .nc")
    from .batch import as_params
    from .fit_report import expand_elements, select_element, split_element

    model = load_any_model(args.model)
    if overrides:  # `--set rate[secondary]=0.1` sets one element of a subscripted parameter
        overrides = as_params(model, overrides, argument="--set")
    ds = simulate(model, scenario=args.scenario, params=overrides or None, method=args.method,
                  dt=args.dt, stop=args.stop)
    variables = _names(args.vars)
    if variables:
        missing = [v for v in variables if split_element(v)[0] not in ds]
        if missing:
            from ._text import suggest
            raise UsageError(f"--vars: {missing[0]!r} is not a variable of model "
                             f"{model.name!r}{suggest(missing[0], list(ds.data_vars))}")
        for v in variables:
            select_element(ds, v, argument="--vars", what=f"model {model.name!r}")
    if out is not None:
        if variables:
            ds = ds[list(dict.fromkeys(split_element(v)[0] for v in variables))]
        _write_netcdf(ds, out)
        times = ds["time"].values
        print(f"wrote {out} ({len(ds.data_vars)} variables, time {times[0]:g} to {times[-1]:g})")
        return 0
    if not variables:
        variables = [n for n, e in model.elements.items()
                     if e.kind in ("stock", "aux") and n in ds]
    t0, t1 = (float(t) for t in ds["time"].values[[0, -1]])
    # a subscripted variable gives one row per element, named var[label]
    elements = []
    for v in variables:
        elements += [n for n in expand_elements(ds, v, argument="--vars") if n not in elements]
    shown = elements[:SUMMARY_ROWS] if not args.vars else elements
    rows = []
    for v in shown:
        da = select_element(ds, v, argument="--vars")
        rows.append((v, float(da.values[0]), float(da.values[-1]), da.attrs.get("units", "")))
    variables = elements
    scenario = f", scenario {args.scenario!r}" if args.scenario else ""
    print(f"model {model.name!r}{scenario}, {ds.attrs.get('method', '')}, "
          f"time {t0:g} to {t1:g}")
    print(_table(rows, ["variable", f"{t0:g}", f"{t1:g}", "units"]))
    if len(variables) > len(shown):
        print(f"... {len(variables) - len(shown)} more; choose with --vars or save all with "
              f"-o FILE.nc")
    return 0


def _fit_module():
    from .registry import models_dir
    path = models_dir().parent / "calibration" / "fit.py"
    if not path.is_file():
        raise UsageError(f"the calibration script {str(path)!r} is missing; `gysim calibrate` "
                         f"needs the project's repository layout")
    spec = importlib.util.spec_from_file_location("gysim_calibration_fit", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``gysim calibrate``: refit the Guiyang model (calibration/fit.py)."""
    import pandas as pd

    out = _check_writable(args.output) if args.output else None
    if args.starts < 1:
        raise UsageError(f"--starts must be at least 1, got {args.starts}")
    fit = _fit_module()
    seed = fit.SEED if args.seed is None else args.seed
    _status(f"calibrating the Guiyang model to 2000-2005: {', '.join(fit.FITTED)} "
            f"({args.starts} starts, seed {seed}) ...")
    result = fit.fit(starts=args.starts, seed=seed)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(result.report.to_string())
        print()
        print(result.table.to_string())
    for warning in result.warnings:
        print(f"note: {warning}")
    status = 0
    if args.check:
        stored = json.loads(Path(fit.FITTED_FILE).read_text(encoding="utf-8"))["parameters"]
        rows = []
        worst = 0.0
        for name in fit.FITTED:
            old, new = stored[name]["value"], result.params[name]
            rel = abs(new - old) / max(abs(old), 1e-12)
            worst = max(worst, rel)
            rows.append((name, float(old), float(new), rel))
        print()
        print(_table(rows, ["parameter", "stored", "refit", "relative difference"]))
        ok = worst < args.rtol
        print(f"{'OK' if ok else 'DIFFERENT'}: largest relative difference from "
              f"{Path(fit.FITTED_FILE).name} is {worst:.2e} (tolerance {args.rtol:g})")
        status = 0 if ok else 1
    if out is not None:
        result.to_json(out)  # atomic: temporary file, then rename
        print(f"wrote {out}")
    return status


def _default_study_params(model) -> list[str]:
    from .demo import uncertain_parameters
    names = uncertain_parameters(model)
    if not names:  # no sources saying "assumption": every parameter with a real range
        names = [n for n, p in model.params.items()
                 if p.bounds is not None and p.bounds[0] < p.bounds[1]]
    if not names:
        raise UsageError(f"model {model.name!r} has no parameters with bounds; name the "
                         f"parameters with --params and give them bounds in the model")
    return names[:SENSITIVITY_DEFAULT_PARAMS]


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``gysim sensitivity``: a global sensitivity study through SALib."""
    from .sensitivity import SENSITIVITY_METHODS, sensitivity

    indices_path = store = None
    for item in args.output or ():
        suffix = Path(item).suffix.lower()
        if suffix == ".nc" and indices_path is None:
            indices_path = _check_writable(item)
        elif suffix == ".zarr" and store is None:
            store = _check_writable(item)
        else:
            raise UsageError(f"-o {item!r}: give at most one FILE.nc (the indices) and one "
                             f"STORE.zarr (the runs)")
    if args.n < 1:
        raise UsageError(f"-n must be positive, got {args.n}")
    model = load_any_model(args.model)
    params = _names(args.params) or _default_study_params(model)
    outputs = _names(args.outputs) or list(model.stocks)
    options: dict[str, Any] = {}
    for key in ("scenario", "dt", "stop"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if args.solver is not None:
        options["solver"] = args.solver
    client = None
    if args.scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'gysim[parallel]'") \
                from None
        client = Client(args.scheduler)
    try:
        indices = sensitivity(model, params, outputs, method=args.method, n=args.n,
                              seed=args.seed, client=client,
                              store=str(store) if store is not None else None,
                              progress=not args.no_progress, **options)
    finally:
        if client is not None:
            client.close()
    t_end = float(indices["time"].values[-1])
    keys = SENSITIVITY_METHODS[args.method]
    print(f"{args.method} indices of model {model.name!r} at time {t_end:g} "
          f"({indices.attrs.get('n_runs')} runs, n={args.n}, seed={args.seed}):")
    for out in (str(o) for o in indices["output"].values):  # var[label] per element
        at = indices.sel(output=out, time=t_end)
        # 3 decimals (+ 0.0 turns a rounded -0.0 into 0.0)
        rows = [(p, *(round(float(at[k].sel(param=p)), 3) + 0.0 for k in keys))
                for p in params]
        print(f"\n{out}")
        print(_table(rows, ["parameter", *keys]))
    if indices_path is not None:
        _write_netcdf(indices, indices_path)
        print(f"\nwrote {indices_path} (indices over param, output, time)")
    if store is not None:
        print(f"runs stored in {store} (give the same -o to resume an interrupted study)")
    return 0


def _plan_targets():
    from .registry import models_module
    return models_module("_plan").targets()


def cmd_targets(args: argparse.Namespace) -> int:
    """``gysim targets``: the Guiyang plan's targets against a saved run."""
    import pandas as pd

    from .targets import check_targets

    out = _check_writable(args.output) if args.output else None
    ds = _open_dataset(args.results)
    if "time" not in ds.coords:
        raise UsageError(f"{args.results!r} has no `time` coordinate: is it a run saved by "
                         f"`gysim run -o`?")
    targets = _plan_targets()
    last = max(max(t.years) for t in targets if t.years)
    end = float(ds["time"].values[-1])
    if end < last:
        raise UsageError(f"the run in {args.results!r} ends at {end:g}; the plan's targets need "
                         f"it to reach {last:g} (run with --stop {last:g} or later)")
    frames, skipped = [], []
    for target in targets:
        if target.variable is not None and target.variable.split("[")[0] not in ds:
            skipped.append(target.name)
            continue
        try:
            frames.append(check_targets(ds, [target]))
        except KeyError:  # a func target whose variables the file lacks
            skipped.append(target.name)
    if not frames:
        raise UsageError(f"{args.results!r} has none of the variables the plan's targets "
                         f"measure; run `gysim run guiyang -o FILE.nc` for a file that does")
    table = pd.concat(frames)
    column = "share_met" if "share_met" in table else "met"
    rows = [(name, r.kind.replace("_", " "), float(r.target_value), float(r.model_value),
             r[column] if column == "met" else float(r[column]), float(r.gap), r.units)
            for name, r in table.iterrows()]
    scenario = ds.attrs.get("scenario")
    print(f"The 11th plan's targets against {args.results} (model "
          f"{ds.attrs.get('model', '?')!r}{', scenario ' + repr(scenario) if scenario else ''}"
          f"{', ' + str(ds.sizes['run']) + ' runs: median values' if 'run' in ds.dims else ''}):")
    print(_table(rows, ["target", "kind", "target", "model", column.replace("_", " "), "gap",
                        "units"]))
    if column == "met":
        print(f"\n{int(table['met'].sum())} of {len(table)} targets met")
    else:
        print(f"\nmean share of runs meeting a target: {table['share_met'].mean():.2f}")
    if skipped:
        print(f"not in the file, so not checked: {', '.join(skipped)}")
    if out is not None:
        with _atomic(out) as tmp:
            table.to_csv(tmp)
        print(f"wrote {out}")
    return 0


def _default_plot_vars(ds) -> list[str]:
    if ds.attrs.get("model") == "guiyang":
        from .demo import KEY_VARIABLES
        key = [v for v in KEY_VARIABLES if v in ds.data_vars]
        if key:
            return key[:PLOT_DEFAULT_VARS]
    order = {"stock": 0, "aux": 1, "flow": 2}
    names = [n for n in ds.data_vars if "time" in ds[n].dims]
    names.sort(key=lambda n: order.get(ds[n].attrs.get("kind"), 3))  # stable: Dataset order
    return names[:PLOT_DEFAULT_VARS]


def cmd_plot(args: argparse.Namespace) -> int:
    """``gysim plot``: trajectories of a saved run to an image file."""
    out = _check_writable(args.output)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("png", "pdf", "svg", "jpg", "jpeg"):
        raise UsageError(f"-o {args.output!r}: the figure must end in .png, .pdf, .svg or .jpg")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plot import trajectories

    ds = _open_dataset(args.results)
    variables = _names(args.vars) or _default_plot_vars(ds)
    if not variables:
        raise UsageError(f"{args.results!r} holds no variables over time to plot")
    data, targets = None, ()
    if args.plan:
        from .registry import models_module
        data, targets = models_module("_plan").observations(), _plan_targets()
    fig = trajectories(ds, variables, data=data, targets=targets, title=args.title)
    try:
        with _atomic(out) as tmp:
            fig.savefig(tmp, format=fmt, dpi=args.dpi)
    finally:
        plt.close(fig)
    print(f"wrote {out} ({', '.join(variables)})")
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    """``gysim info``: the model's elements, equations, units, bounds and scenarios."""
    model = load_any_model(args.model)
    print(f"model {model.name!r}: {model.start:g} to {model.stop:g} {model.time_units}, "
          f"method {model.method}" + (f", dt {model.dt:g}" if model.dt else ""))
    if model.doc:
        print(model.doc)
    groups = [("stocks", model.stocks), ("flows", model.flows), ("auxiliaries", model.auxes),
              ("parameters", model.params), ("lookups", model.lookups),
              ("data inputs", model.data_inputs)]
    for title, elements in groups:
        if not elements:
            continue
        print(f"\n{title} ({len(elements)})")
        for name, e in elements.items():
            units = f"  [{e.units}]" if e.units else ""
            extra = ""
            if e.kind == "flow":
                extra = f"  ({e.out_of or '-'} -> {e.into or '-'})"
            elif e.kind == "param" and e.bounds is not None:
                extra = f"  bounds ({e.bounds[0]:g}, {e.bounds[1]:g})"
            if getattr(e, "dims", ()):
                extra += f"  over ({', '.join(e.dims)})"
            sign = "initial =" if e.kind == "stock" else "="
            print(f"  {name} {sign} {e.equation}{units}{extra}")
            if e.doc:
                print(f"      {e.doc}")
    if model.scenarios:
        print(f"\nscenarios ({len(model.scenarios)})")
        for name, s in model.scenarios.items():
            sets = ", ".join(f"{k}={_value_text(v)}" for k, v in s.overrides.items())
            print(f"  {name}: {sets or '(no overrides)'}" + (f"  -- {s.doc}" if s.doc else ""))
    return 0


# ---------------------------------------------------------------------- parser
class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str, str]] = {
    "run": (cmd_run, "Run a model once; print its final values or save the run as netCDF.",
            "gysim run guiyang --scenario plan --stop 2020 -o plan.nc\n"
            "  gysim run population --set birth_rate=0.012"),
    "calibrate": (cmd_calibrate, "Refit the Guiyang model to the 2000-2005 statistics "
                                 "(calibration/fit.py).",
                  "gysim calibrate --check\n  gysim calibrate -o fitted.json"),
    "sensitivity": (cmd_sensitivity, "Global sensitivity study (Sobol', Morris or eFAST) over "
                                     "the parameters' bounds.",
                    "gysim sensitivity guiyang --params birth_rate,transfer_rate "
                    "--outputs gdp,population -n 256 -o indices.nc"),
    "targets": (cmd_targets, "Check a saved Guiyang run against the 11th plan's targets.",
                "gysim run guiyang --scenario plan -o plan.nc && gysim targets plan.nc"),
    "plot": (cmd_plot, "Plot variables of a saved run over time to an image file.",
             "gysim plot plan.nc -o plan.png --vars gdp,population --plan"),
    "info": (cmd_info, "Show a model's elements with equations, units and docs, its "
                       "parameters' bounds and its scenarios.",
             "gysim info population"),
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gysim`` command.

    Examples
    --------
    >>> build_parser().parse_args(["run", "guiyang", "--stop", "2020"]).stop
    2020.0
    """
    from ._version import __version__

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback of an error")
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_Formatter,
        description="System-dynamics models of Guiyang's 11th Five-Year Plan: run, calibrate, "
                    "study and inspect them.",
        epilog="MODEL is 'guiyang', a sector (population, labor, economy, energy, water), a .py "
               "file defining build(),\nor a Vensim .mdl / XMILE .xmile file.\n\n"
               "example:\n  gysim run guiyang --scenario plan -o plan.nc\n\n"
               "`gysim COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"gysim {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    parsers = {}
    for name, (func, summary, example) in COMMANDS.items():
        p = sub.add_parser(name, help=summary, description=summary, parents=[debug],
                           formatter_class=_Formatter, epilog=f"example:\n  {example}")
        p.set_defaults(func=func)
        parsers[name] = p
    model_help = "model name (guiyang or a sector), .py file, .mdl or .xmile file"

    p = parsers["run"]
    p.add_argument("model", metavar="MODEL", help=model_help)
    p.add_argument("--scenario", metavar="S", help="named scenario of the model (see gysim info)")
    p.add_argument("--set", metavar="NAME=VALUE", action="append",
                   help="override a parameter or stock initial value (repeatable); "
                        "NAME[label]=VALUE sets one element of a subscripted parameter")
    p.add_argument("--stop", metavar="YEAR", type=float, help="final time (default: the model's)")
    p.add_argument("--method", metavar="M",
                   help="euler, rk4 or a solve_ivp method such as RK45 (default: the model's)")
    p.add_argument("--dt", type=float, help="time step of euler and rk4")
    p.add_argument("--vars", metavar="A,B",
                   help="variables to show (or to save with -o); a subscripted variable shows "
                        "one row per element, VAR[label] one element")
    p.add_argument("-o", "--output", metavar="FILE.nc", help="save the run as netCDF")

    p = parsers["calibrate"]
    p.add_argument("--check", action="store_true",
                   help="compare the refit with calibration/fitted_parameters.json; exit 1 if "
                        "they differ")
    p.add_argument("--rtol", type=float, default=1e-3,
                   help="relative tolerance of --check (default: 1e-3)")
    p.add_argument("--starts", type=int, default=8,
                   help="multi-start points of the fit (default: 8, as calibration/fit.py)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the starts (default: calibration/fit.py's)")
    p.add_argument("-o", "--output", metavar="FITTED.json",
                   help="save the fit (values, standard errors, report) as JSON")

    p = parsers["sensitivity"]
    p.add_argument("model", metavar="MODEL", help=model_help)
    p.add_argument("--params", metavar="A,B,C",
                   help="parameters to vary within their bounds (default: up to 10 parameters "
                        "whose source is an assumption, else any with bounds)")
    p.add_argument("--outputs", metavar="X,Y",
                   help="variables to analyse (default: the stocks); VAR[label] for one element "
                        "of a subscripted variable, which as a whole gives one output per element")
    p.add_argument("--method", default="sobol", choices=["sobol", "morris", "fast"],
                   help="sobol (S1, ST; n a power of 2), morris or fast (default: sobol)")
    p.add_argument("-n", type=int, default=256,
                   help="base sample size (sobol: n*(D+2) runs for D parameters; default: 256)")
    p.add_argument("--seed", type=int, default=1, help="seed of the sample (default: 1)")
    p.add_argument("--scenario", metavar="S", help="named scenario of the model")
    p.add_argument("--stop", metavar="YEAR", type=float, help="final time (default: the model's)")
    p.add_argument("--solver", metavar="M", help="integration method (default: the model's)")
    p.add_argument("--dt", type=float, help="time step of euler and rk4")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the chunks on a Dask scheduler, e.g. tcp://host:8786")
    p.add_argument("-o", "--output", metavar="FILE", action="append",
                   help="FILE.nc: write the indices (param x output x time) as netCDF; "
                        "STORE.zarr: stream the runs to a zarr store that resumes an "
                        "interrupted study; may be given once of each")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")

    p = parsers["targets"]
    p.add_argument("results", metavar="RESULTS.nc", help="a run saved by `gysim run guiyang -o`")
    p.add_argument("-o", "--output", metavar="TABLE.csv", help="also save the table as CSV")

    p = parsers["plot"]
    p.add_argument("results", metavar="RESULTS.nc", help="a run saved by `gysim run -o`")
    p.add_argument("-o", "--output", metavar="FIG.png", required=True,
                   help="image file (.png, .pdf, .svg)")
    p.add_argument("--vars", metavar="A,B",
                   help=f"variables to draw (default: up to {PLOT_DEFAULT_VARS}: for a Guiyang run "
                        f"GDP, growth, population, urbanization, investment, energy intensity; "
                        f"else the stocks first)")
    p.add_argument("--plan", action="store_true",
                   help="also draw the 2000-2005 data and the plan's 2010 targets (Guiyang)")
    p.add_argument("--title", help="title of the figure")
    p.add_argument("--dpi", type=int, default=110, help="resolution of raster images")

    p = parsers["info"]
    p.add_argument("model", metavar="MODEL", help=model_help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``gysim`` command; returns the exit status.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 on success, 1 when ``calibrate --check`` finds a different fit,
        2 for bad input (one line on stderr), 130 when interrupted.

    Examples
    --------
    >>> main(["run", "population", "--set", "birth_rate=0.011", "--vars", "population",
    ...       "--method", "rk4", "--dt", "0.25"])
    model 'population', rk4, time 2000 to 2010
    variable     2000     2010  units
    ----------  -----  -------  ----------
    population  331.8  368.028  1e4 person
    0
    >>> main(["run", "no_such_model"])  # prints "gysim: error: no model named ..." on stderr
    2
    """
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:  # `gysim info guiyang | head`: the reader left; stop quietly
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (GysimError, OSError, ValueError) as err:
        if args.debug:
            raise
        print(f"{PROG}: error: {_one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
