"""``gysim calibrate``: fit a model to your own data, or refit it through its provider.

With ``--data`` the model is fitted to a CSV or Excel file of observations
(one row per year, one column per series; see
:mod:`gysim.calibrate.observations` for the format), its columns mapped to
model variables, with units, by ``--map`` (JSON or ``column: variable
(units)`` lines), the parameters named by ``--params``::

    gysim calibrate MODEL --data yearbook.csv --map map.yaml --params a,b --out calibration.json

``gysim.load_model(MODEL, calibration="calibration.json")`` then returns the
model with the fitted values.

Without ``--data`` the model's provider (see :mod:`gysim.registry`) offers
``calibration()``, an object with ``fit(starts=..., seed=...)`` and
optionally ``FITTED``, ``SEED``, ``STARTS`` and ``FITTED_FILE``. Without a
MODEL, the one registered model that offers a calibration is refitted.

Examples
--------
>>> from gysim.cli import main
>>> main(["calibrate", "population"])  # prints "... does not offer `calibration()` ..."
2
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..errors import GysimError
from ._common import UsageError, check_writable, status, table

__all__ = ["SUMMARY", "EXAMPLE", "add_arguments", "run", "calibrated_provider"]

SUMMARY = "Refit a model to its data through its provider's calibration (e.g. calibration/fit.py)."
EXAMPLE = ("gysim calibrate --check\n  gysim calibrate MODEL --starts 16 -o fitted.json\n"
           "  gysim calibrate MODEL --data yearbook.csv --map map.yaml --params a,b "
           "--out calibration.json")
PURPOSE = "`gysim calibrate`"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim calibrate`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["--check"]).model is None
    True
    """
    parser.add_argument("model", metavar="MODEL", nargs="?",
                        help="registered model whose provider offers a calibration (default: "
                             "the only one that does)")
    parser.add_argument("--check", action="store_true",
                        help="compare the refit with the stored fit (e.g. "
                             "calibration/fitted_parameters.json); exit 1 if they differ")
    parser.add_argument("--rtol", type=float, default=1e-3,
                        help="relative tolerance of --check (default: 1e-3)")
    parser.add_argument("--starts", type=int, default=None,
                        help="multi-start points of the fit (default: the calibration's)")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed of the starts (default: the calibration's)")
    parser.add_argument("-o", "--output", "--out", metavar="FITTED.json", dest="output",
                        help="save the fit (values, standard errors, report) as JSON; "
                             "gysim.load_model(MODEL, calibration=FILE) applies it")
    parser.add_argument("--data", metavar="FILE",
                        help="fit to your own data: a CSV or Excel file, one row per year "
                             "(a year column) and one column per observed series")
    parser.add_argument("--map", metavar="MAP", dest="mapping",
                        help="with --data: the columns' model variables and units, a .json "
                             "object or lines 'column: variable (units)' (.yaml/.txt)")
    parser.add_argument("--sheet", metavar="SHEET",
                        help="with --data: the Excel sheet (default: the first)")
    parser.add_argument("--params", metavar="A,B",
                        help="with --data: the parameters to fit (within their bounds)")


def calibrated_provider(name: str | None):
    """The provider to calibrate: `name`'s, or the only registered one offering a calibration.

    Raises
    ------
    UsageError
        If no `name` is given and not exactly one registered model offers one.
    ModelDefinitionError
        If `name`'s provider offers no calibration.

    Examples
    --------
    >>> calibrated_provider(None).offers("calibration")
    True
    """
    from ..registry import available_models, find_provider, get_provider
    if name is not None:
        provider = get_provider(name)
        provider.get("calibration", purpose=PURPOSE)
        return provider
    offering = []
    for known in available_models():
        try:
            provider = find_provider(known)
        except GysimError:  # a broken plug-in: `gysim info` shows why
            continue
        if provider.offers("calibration"):
            offering.append(provider)
    if len(offering) != 1:
        which = ", ".join(p.name for p in offering) or "none"
        raise UsageError(f"name the model to calibrate: MODEL must be a registered model whose "
                         f"provider offers `calibration()` (these do: {which})")
    return offering[0]


def run(args: argparse.Namespace) -> int:
    """Run ``gysim calibrate`` with parsed `args`; returns the exit status.

    0 on success, 1 when ``--check`` finds a fit different from the stored one.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["calibrate", "--starts", "0"]))
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: --starts must be at least 1, got 0
    """
    out = check_writable(args.output) if args.output else None
    if args.starts is not None and args.starts < 1:
        raise UsageError(f"--starts must be at least 1, got {args.starts}")
    if args.data is not None:
        return _fit_own_data(args, out)
    for option in ("mapping", "sheet", "params"):
        if getattr(args, option) is not None:
            flag = "--map" if option == "mapping" else f"--{option}"
            raise UsageError(f"{flag} applies with --data (fitting your own data)")
    provider = calibrated_provider(args.model)
    fit = provider.get("calibration", purpose=PURPOSE)()
    fitted_file = getattr(fit, "FITTED_FILE", None)
    if args.check and fitted_file is None:
        raise UsageError(f"--check: the calibration of model {provider.name!r} names no stored "
                         f"fit (FITTED_FILE) to compare with")
    starts = getattr(fit, "STARTS", None) if args.starts is None else args.starts
    seed = getattr(fit, "SEED", None) if args.seed is None else args.seed
    options = {k: v for k, v in (("starts", starts), ("seed", seed)) if v is not None}
    names = list(getattr(fit, "FITTED", ()) or ())
    what = f": {', '.join(names)}" if names else ""
    details = ", ".join(f"{v} {k}" if k == "starts" else f"{k} {v}" for k, v in options.items())
    status(f"calibrating model {provider.name!r}{what}"
           f"{f' ({details})' if details else ''} ...")
    result = fit.fit(**options)
    _print_fit(result)
    code = 0
    if args.check:
        stored = json.loads(Path(fitted_file).read_text(encoding="utf-8"))["parameters"]
        rows = []
        worst = 0.0
        for name in names or list(result.params):
            old, new = stored[name]["value"], result.params[name]
            rel = abs(new - old) / max(abs(old), 1e-12)
            worst = max(worst, rel)
            rows.append((name, float(old), float(new), rel))
        print()
        print(table(rows, ["parameter", "stored", "refit", "relative difference"]))
        ok = worst < args.rtol
        print(f"{'OK' if ok else 'DIFFERENT'}: largest relative difference from "
              f"{Path(fitted_file).name} is {worst:.2e} (tolerance {args.rtol:g})")
        code = 0 if ok else 1
    if out is not None:
        result.to_json(out)  # atomic: temporary file, then rename
        print(f"wrote {out}")
    return code


def _fit_own_data(args: argparse.Namespace, out: Path | None) -> int:
    """``gysim calibrate MODEL --data FILE [--map MAP] --params A,B [--out FILE]``."""
    from ..calibrate import calibrate, read_observations
    from ._common import load_any_model, names

    if args.model is None:
        raise UsageError("--data: name the MODEL to fit (a registered name or a model file)")
    if args.check:
        raise UsageError("--check compares a provider's refit with its stored fit; it does not "
                         "apply with --data")
    params = names(args.params)
    if not params:
        raise UsageError("--data: name the parameters to fit with --params A,B")
    sheet = args.sheet
    if sheet is not None and sheet.isdigit():
        sheet = int(sheet)
    data = read_observations(args.data, args.mapping, sheet=sheet)
    model = load_any_model(args.model)
    options = {"n_starts": args.starts} if args.starts is not None else {}
    if args.seed is not None:
        options["seed"] = args.seed
    units = data.attrs.get("units") or {}
    shown = ", ".join(f"{c} ({units[c]})" if c in units else c for c in data.columns)
    status(f"calibrating model {model.name!r}: {', '.join(params)} to {len(data)} times of "
           f"{shown} from {args.data} ...")
    result = calibrate(model, data, params, **options)
    _print_fit(result)
    if out is not None:
        result.to_json(out)
        print(f"wrote {out} (gysim.load_model({args.model!r}, calibration={str(out)!r}) "
              f"applies it)")
    return 0


def _print_fit(result) -> None:
    """The fit report, the parameter table and any notes, on stdout."""
    import pandas as pd  # imported when used: the CLI starts fast

    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(result.report.to_string())
        print()
        print(result.table.to_string())
    for warning in result.warnings:
        print(f"note: {warning}")
