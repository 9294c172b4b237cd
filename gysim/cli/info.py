"""``gysim info``: a model's elements, equations, units, bounds and scenarios; or the registered models.

Examples
--------
>>> from gysim.cli import main
>>> main(["info"])  # doctest: +ELLIPSIS
registered models (entry point group gysim.models):
...
  population  build, uncertain_parameters, targets, observations
...
0
"""

from __future__ import annotations

import argparse

from ..errors import GysimError
from ._common import MODEL_HELP, load_any_model, one_line, value_text

__all__ = ["SUMMARY", "EXAMPLE", "add_arguments", "run"]

SUMMARY = ("Show a model's elements with equations, units and docs, its parameters' bounds "
           "and its scenarios; without MODEL, list the registered models.")
EXAMPLE = "gysim info population"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim info`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args([]).model is None
    True
    """
    parser.add_argument("model", metavar="MODEL", nargs="?",
                        help=MODEL_HELP + " (default: list the registered models)")


def _list_models() -> int:
    from ..registry import ENTRY_POINT_GROUP, HOOKS, available_models, find_provider
    known = available_models()
    print(f"registered models (entry point group {ENTRY_POINT_GROUP}):")
    width = max((len(n) for n in known), default=0)
    for name in known:
        try:
            provider = find_provider(name)
        except GysimError as err:  # a broken plug-in does not hide the others
            print(f"  {name.ljust(width)}  cannot be loaded: {one_line(err)}")
            continue
        offered = [h for h in HOOKS if provider.offers(h)]
        print(f"  {name.ljust(width)}  {', '.join(offered)}")
    if not known:
        print("  none (install a project that registers models, e.g. `pip install -e .`)")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run ``gysim info`` with parsed `args`; returns the exit status.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["info", "population"]))  # doctest: +ELLIPSIS
    model 'population': 2000 to 2010 year, method RK45
    ...
    0
    """
    if args.model is None:
        return _list_models()
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
            sets = ", ".join(f"{k}={value_text(v)}" for k, v in s.overrides.items())
            print(f"  {name}: {sets or '(no overrides)'}" + (f"  -- {s.doc}" if s.doc else ""))
    return 0
