"""``gysim run``: one run of a model; a summary table, or the run saved as netCDF.

Examples
--------
>>> from gysim.cli import main
>>> main(["run", "population", "--vars", "population,urbanization_rate"])
model 'population', RK45, time 2000 to 2010
no --scenario: the model's own values, the same as scenario 'baseline' (scenarios: baseline, plan; choose with --scenario)
variable            2000      2010  units
-----------------  -----  --------  ----------
population         331.8   373.589  1e4 person
urbanization_rate   0.55  0.650807  fraction
0
"""

from __future__ import annotations

import argparse

from ._common import (MODEL_HELP, UsageError, check_writable, load_any_model, names,
                      parse_assignments, status, table, write_netcdf)

__all__ = ["SUMMARY", "EXAMPLE", "SUMMARY_ROWS", "add_arguments", "run", "scenario_note"]

SUMMARY = "Run a model once; print its final values or save the run as netCDF."
EXAMPLE = ("gysim run population --scenario plan --stop 2020 -o plan.nc\n"
           "  gysim run population --set birth_rate=0.012\n"
           "  gysim run population --set-outside birth_rate=0.03")
#: Rows of the summary table before it abbreviates.
SUMMARY_ROWS = 25


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim run`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["population", "--set", "birth_rate=0.01"]).set
    ['birth_rate=0.01']
    """
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("--scenario", metavar="S",
                        help="named scenario of the model (see gysim info)")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append",
                        help="override a parameter or stock initial value (repeatable); "
                             "NAME[label]=VALUE sets one element of a subscripted parameter")
    parser.add_argument("--set-outside", metavar="NAME=VALUE", action="append",
                        help="like --set, for a deliberate what-if outside the parameter's "
                             "bounds; recorded in the run's attrs (outside_bounds)")
    parser.add_argument("--stop", metavar="YEAR", type=float,
                        help="final time (default: the model's)")
    parser.add_argument("--method", metavar="M",
                        help="euler, rk4 or a solve_ivp method such as RK45 (default: the "
                             "model's)")
    parser.add_argument("--dt", type=float, help="time step of euler and rk4")
    parser.add_argument("--vars", metavar="A,B",
                        help="variables to show (or to save with -o); a subscripted variable "
                             "shows one row per element, VAR[label] one element")
    parser.add_argument("-o", "--output", metavar="FILE.nc", help="save the run as netCDF")


def scenario_note(ds, model, values: str = "the model's own values",
                  option: str | None = "--scenario") -> str:
    """Which scenario a run is, in words, and the model's other scenarios.

    A run without a scenario uses the model's own values; when those are what a
    scenario sets (e.g. a ``baseline`` scenario), the note says so.

    Parameters
    ----------
    ds : xarray.Dataset
        The run (its ``scenario`` and ``parameters`` attributes).
    model : gysim.Model or None
        The model, for its scenarios (none: the run's scenario only).
    values : str
        What a run without a scenario used, in words.
    option : str or None
        The option that chooses a scenario, named in the note (None: not named).

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("policy", 0.0)
    >>> m.scenario("baseline", {"policy": 0.0})
    >>> m.scenario("reform", {"policy": 1.0})
    >>> scenario_note(gysim.simulate(m), m)
    "no --scenario: the model's own values, the same as scenario 'baseline' (scenarios: baseline, reform; choose with --scenario)"
    >>> scenario_note(gysim.simulate(m, scenario="reform"), m)
    "scenario 'reform' (scenarios: baseline, reform)"
    """
    import json

    import numpy as np

    scenario = ds.attrs.get("scenario") or None
    scenarios = dict(getattr(model, "scenarios", {}) or {})
    listed = ", ".join(scenarios)
    if scenario:
        return f"scenario {scenario!r}" + (f" (scenarios: {listed})" if listed else "")
    if not scenarios:
        return f"no scenario: {values}"
    try:
        used = json.loads(ds.attrs.get("parameters") or "{}")
    except (TypeError, ValueError):
        used = {}

    def holds(overrides) -> bool:
        return all(key in used and np.shape(used[key]) == np.shape(value)
                   and np.allclose(used[key], value, rtol=1e-12, atol=0)
                   for key, value in overrides.items())

    same = [name for name, s in scenarios.items() if s.overrides and holds(s.overrides)]
    which = f", the same as scenario {same[0]!r}" if len(same) == 1 else (
        f", the same as scenarios {' and '.join(repr(n) for n in same)}" if same else "")
    choose = f"; choose with {option}" if option else ""
    return f"no {option or 'scenario'}: {values}{which} (scenarios: {listed}{choose})"


def run(args: argparse.Namespace) -> int:
    """Run ``gysim run`` with parsed `args`; returns the exit status.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["run", "population", "--vars", "population",
    ...                                "--stop", "2001"]))
    model 'population', RK45, time 2000 to 2001
    no --scenario: the model's own values, the same as scenario 'baseline' (scenarios: baseline, plan; choose with --scenario)
    variable     2000     2001  units
    ----------  -----  -------  ----------
    population  331.8  335.759  1e4 person
    0
    """
    from ..batch import as_params
    from ..labels import expand_elements, select_element, split_element
    from ..simulate import simulate

    overrides = parse_assignments(args.set)
    out = check_writable(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".nc", ".nc4"):
        raise UsageError(f"-o {args.output!r}: a run is saved as netCDF; give a name ending "
                         f"in .nc")
    model = load_any_model(args.model)
    if overrides:  # `--set rate[secondary]=0.1` sets one element of a subscripted parameter
        _within_bounds(model, overrides)
        overrides = as_params(model, overrides, argument="--set")
    outside = parse_assignments(args.set_outside, "--set-outside")
    if outside:
        model = _what_if(model, outside, overrides, args.scenario)
    ds = simulate(model, scenario=args.scenario, params=overrides or None, method=args.method,
                  dt=args.dt, stop=args.stop)
    variables = names(args.vars)
    values = "the model's values with --set" if overrides else "the model's own values"
    if variables:
        missing = [v for v in variables if split_element(v)[0] not in ds.data_vars]
        if missing:
            from .._text import suggest
            raise UsageError(f"--vars: {missing[0]!r} is not a variable of model "
                             f"{model.name!r}{suggest(missing[0], list(ds.data_vars))}")
        for v in variables:
            select_element(ds, v, argument="--vars", what=f"model {model.name!r}")
    if out is not None:
        if variables:
            ds = ds[list(dict.fromkeys(split_element(v)[0] for v in variables))]
        write_netcdf(ds, out)
        times = ds["time"].values
        if model.scenarios and not args.scenario:
            print(scenario_note(ds, model, values))
        print(f"wrote {out} ({len(ds.data_vars)} variables, time {times[0]:g} to {times[-1]:g})")
        return 0
    if not variables:
        variables = [n for n, e in model.elements.items()
                     if e.kind in ("stock", "aux") and n in ds]
    t0, t1 = (float(t) for t in ds["time"].values[[0, -1]])
    # a subscripted variable gives one row per element, named var[label]
    elements: list[str] = []
    for v in variables:
        elements += [n for n in expand_elements(ds, v, argument="--vars") if n not in elements]
    shown = elements[:SUMMARY_ROWS] if not args.vars else elements
    rows = []
    for v in shown:
        da = select_element(ds, v, argument="--vars")
        rows.append((v, float(da.values[0]), float(da.values[-1]), da.attrs.get("units", "")))
    scenario = f", scenario {args.scenario!r}" if args.scenario else ""
    print(f"model {model.name!r}{scenario}, {ds.attrs.get('method', '')}, "
          f"time {t0:g} to {t1:g}")
    if model.scenarios and not args.scenario:
        print(scenario_note(ds, model, values))
    print(table(rows, ["variable", f"{t0:g}", f"{t1:g}", "units"]))
    if len(elements) > len(shown):
        print(f"... {len(elements) - len(shown)} more; choose with --vars or save all with "
              f"-o FILE.nc")
    return 0


def _within_bounds(model, overrides: dict) -> None:
    """Refuse a ``--set`` value outside its bounds, pointing to ``--set-outside``."""
    from ..batch import element_bounds

    for name, value in overrides.items():
        bounds = element_bounds(model, name) if name.partition("[")[0] in model.params else None
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise UsageError(f"--set: parameter '{name}' = {value!r} is outside its bounds "
                             f"({bounds[0]:g}, {bounds[1]:g}); for a deliberate what-if use "
                             f"--set-outside {name}={value:g}")


def _what_if(model, values: dict, overrides: dict, scenario: str | None):
    """`model` with the ``--set-outside`` values, which may lie outside their bounds."""
    from ..batch import as_params

    for name in values:
        model.settable_element(name.partition("[")[0], where="--set-outside")
    values = as_params(model, values, argument="--set-outside")
    scenario_sets = model.scenarios[scenario].overrides if scenario in model.scenarios else {}
    for name in values:
        if name in overrides or name in scenario_sets:
            by = "--set" if name in overrides else f"scenario {scenario!r}"
            raise UsageError(f"--set-outside {name}: {by} also sets it; set it once")
    model = model.with_params(values, allow_outside_bounds=True)
    for name, info in model.outside_bounds.items():
        status(f"note: {name} = {info['value']} is outside its bounds "
               f"({info['bounds'][0]:g}, {info['bounds'][1]:g}), as asked (--set-outside)")
    return model
