"""``gysim calibrate``: refit a model through its provider's ``calibration`` hook.

The model's provider (see :mod:`gysim.registry`) offers ``calibration()``,
an object with ``fit(starts=..., seed=...)`` and optionally ``FITTED``,
``SEED``, ``STARTS`` and ``FITTED_FILE``. Without a MODEL, the one registered
model that offers a calibration is refitted.

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
EXAMPLE = "gysim calibrate --check\n  gysim calibrate MODEL --starts 16 -o fitted.json"
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
    parser.add_argument("-o", "--output", metavar="FITTED.json",
                        help="save the fit (values, standard errors, report) as JSON")


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
    import pandas as pd

    out = check_writable(args.output) if args.output else None
    if args.starts is not None and args.starts < 1:
        raise UsageError(f"--starts must be at least 1, got {args.starts}")
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
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.4g}".format):
        print(result.report.to_string())
        print()
        print(result.table.to_string())
    for warning in result.warnings:
        print(f"note: {warning}")
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
