"""``gysim targets``: a saved run against its model's targets (:func:`gysim.check_targets`).

The targets come from the provider of the run's model (its ``targets`` hook,
see :mod:`gysim.registry`), or of the model named with ``--model``.

Examples
--------
>>> from gysim.cli import main
>>> main(["targets", "no_such_results.nc"])  # "results file ... does not exist" on stderr
2
"""

from __future__ import annotations

import argparse

from ._common import UsageError, atomic, check_writable, open_dataset, run_provider, table

__all__ = ["SUMMARY", "EXAMPLE", "add_arguments", "run"]

SUMMARY = "Check a saved run against its model's targets (e.g. the 11th plan's)."
EXAMPLE = "gysim run population --scenario plan -o plan.nc && gysim targets plan.nc"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim targets`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["plan.nc", "--model", "population"]).model
    'population'
    """
    parser.add_argument("results", metavar="RESULTS.nc", help="a run saved by `gysim run -o`")
    parser.add_argument("--model", metavar="MODEL",
                        help="registered model whose targets to check (default: the run's)")
    parser.add_argument("-o", "--output", metavar="TABLE.csv", help="also save the table as CSV")


def run(args: argparse.Namespace) -> int:
    """Run ``gysim targets`` with parsed `args`; returns the exit status.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["targets", "no_such_results.nc"]))
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: results file 'no_such_results.nc' does not exist
    """
    import pandas as pd

    from ..targets import check_targets

    out = check_writable(args.output) if args.output else None
    ds = open_dataset(args.results)
    if "time" not in ds.coords:
        raise UsageError(f"{args.results!r} has no `time` coordinate: is it a run saved by "
                         f"`gysim run -o`?")
    provider = run_provider(ds, args.model)
    targets = list(provider.get("targets", purpose="`gysim targets`")())
    if not targets:
        raise UsageError(f"model {provider.name!r} has no targets to check")
    last = max((max(t.years) for t in targets if t.years), default=None)
    end = float(ds["time"].values[-1])
    if last is not None and end < last:
        raise UsageError(f"the run in {args.results!r} ends at {end:g}; the targets of model "
                         f"{provider.name!r} need it to reach {last:g} (run with --stop "
                         f"{last:g} or later)")
    frames, skipped = [], []
    for target in targets:
        if target.variable is not None and target.variable.split("[")[0] not in ds.data_vars:
            skipped.append(target.name)
            continue
        try:
            frames.append(check_targets(ds, [target]))
        except KeyError:  # a func target whose variables the file lacks
            skipped.append(target.name)
    if not frames:
        raise UsageError(f"{args.results!r} has none of the variables the targets of model "
                         f"{provider.name!r} measure; run `gysim run {provider.name} -o "
                         f"FILE.nc` for a file that does")
    result = pd.concat(frames)
    column = "share_met" if "share_met" in result else "met"
    rows = [(name, r.kind.replace("_", " "), float(r.target_value), float(r.model_value),
             r[column] if column == "met" else float(r[column]), float(r.gap), r.units)
            for name, r in result.iterrows()]
    from .run import scenario_note
    model = provider.build() if ds.attrs.get("model") == provider.name else None
    note = scenario_note(ds, model, "the run's values", option=None)
    print(f"The targets of model {provider.name!r} against {args.results} (model "
          f"{ds.attrs.get('model', '?')!r}, {note}"
          f"{', ' + str(ds.sizes['run']) + ' runs: median values' if 'run' in ds.dims else ''}):")
    print(table(rows, ["target", "kind", "target", "model", column.replace("_", " "), "gap",
                       "units"]))
    if column == "met":
        print(f"\n{int(result['met'].sum())} of {len(result)} targets met")
    else:
        print(f"\nmean share of runs meeting a target: {result['share_met'].mean():.2f}")
    if skipped:
        print(f"not in the file, so not checked: {', '.join(skipped)}")
    if out is not None:
        with atomic(out) as tmp:
            result.to_csv(tmp)
        print(f"wrote {out}")
    return 0
