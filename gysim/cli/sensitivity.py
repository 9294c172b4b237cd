"""``gysim sensitivity``: a global sensitivity study through SALib (:func:`gysim.sensitivity`).

Without ``--params`` the study varies the parameters the model's provider
names (its ``uncertain_parameters`` hook, see :mod:`gysim.registry`), else
every parameter with bounds, and says which.

Examples
--------
>>> from gysim.registry import get_provider
>>> provider = get_provider("population")
>>> default_parameters(provider.build(), provider)
(['urbanization_rate_2000', 'birth_rate', 'death_rate', 'migration_growth_elasticity', 'urbanization_migration_rate'], "those its provider's uncertain_parameters names: parameters whose value is an assumption (their source says so) and that have a range")
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ._common import MODEL_HELP, UsageError, check_writable, names, table, write_netcdf

__all__ = ["SUMMARY", "EXAMPLE", "add_arguments", "run", "default_parameters"]

SUMMARY = ("Global sensitivity study (Sobol', Morris or eFAST) over the parameters' bounds.")
EXAMPLE = ("gysim sensitivity population --params birth_rate,death_rate "
           "--outputs population -n 256 -o indices.nc\n"
           "  gysim sensitivity population --targets total_population_2010 -n 64")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim sensitivity`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["population", "-o", "a.nc", "-o", "b.zarr"]).output
    ['a.nc', 'b.zarr']
    """
    parser.add_argument("model", metavar="MODEL", help=MODEL_HELP)
    parser.add_argument("--params", metavar="A,B,C",
                        help="parameters to vary within their bounds (default: those the "
                             "model's provider names as uncertain, else every parameter with "
                             "bounds; the command prints which)")
    parser.add_argument("--outputs", metavar="X,Y",
                        help="variables to analyse (default: the stocks); VAR[label] for one "
                             "element of a subscripted variable, which as a whole gives one "
                             "output per element")
    parser.add_argument("--targets", metavar="T1,T2", nargs="?", const="all",
                        help="also analyse the quantities the model's targets measure (one "
                             "number per run, e.g. a growth rate 2005-2010): the targets "
                             "named, or all of the provider's targets when none are named")
    parser.add_argument("--analysis", choices=["sobol", "morris", "fast"],
                        help="sobol (S1, ST; n a power of 2), morris or fast (default: sobol)")
    parser.add_argument("-n", type=int, default=256,
                        help="base sample size (sobol: n*(D+2) runs for D parameters; "
                             "default: 256)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the sample (default: 1)")
    parser.add_argument("--scenario", metavar="S", help="named scenario of the model")
    parser.add_argument("--stop", metavar="YEAR", type=float,
                        help="final time (default: the model's)")
    parser.add_argument("--method", metavar="M",
                        help="integration method, as in gysim run: euler, rk4 or a solve_ivp "
                             "method such as RK45 (default: the model's)")
    parser.add_argument("--solver", metavar="M", help=argparse.SUPPRESS)  # old name of --method
    parser.add_argument("--dt", type=float, help="time step of euler and rk4")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="run the chunks on a Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("-o", "--output", metavar="FILE", action="append",
                        help="FILE.nc: write the indices (param x output x time) as netCDF; "
                             "STORE.zarr: stream the runs to a zarr store that resumes an "
                             "interrupted study; may be given once of each")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def default_parameters(model, provider) -> tuple[list[str], str]:
    """The parameters to vary when not told, and where they come from.

    Parameters
    ----------
    model : gysim.Model
    provider : gysim.registry.Provider or None
        The model's provider; its ``uncertain_parameters(model)`` wins when offered.

    Returns
    -------
    names : list of str
    origin : str
        Words for the message that lists them: where they come from and why
        (the first sentence of the provider's ``uncertain_parameters`` doc).

    Raises
    ------
    UsageError
        If there are none.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("growth", start=0, stop=1)
    >>> m.param("rate", 0.1, bounds=(0.05, 0.2))
    >>> m.param("fixed", 1.0)
    >>> default_parameters(m, None)
    (['rate'], 'every parameter with bounds')
    """
    if provider is not None and provider.offers("uncertain_parameters"):
        hook = provider.get("uncertain_parameters", purpose="")
        found = list(hook(model))
        origin = "those its provider's uncertain_parameters names"
        why = (getattr(hook, "__doc__", None) or "").strip().split("\n\n")[0]
        why = " ".join(why.split()).rstrip(".")
        if why:
            origin += f": {why[:1].lower()}{why[1:]}"
    else:
        found = [n for n, p in model.params.items()
                 if p.bounds is not None and p.bounds[0] < p.bounds[1]]
        origin = "every parameter with bounds"
    if not found:
        raise UsageError(f"model {model.name!r} has no parameters with bounds; name the "
                         f"parameters with --params and give them bounds in the model")
    return found, origin


def _targets(provider, model, wanted: str) -> list:
    """The provider's targets named in ``--targets`` ("all": every one)."""
    from .._text import suggest
    found = list(provider.get("targets", purpose="--targets")(model))
    if wanted == "all":
        return found
    by_name = {t.name: t for t in found}
    chosen = []
    for name in names(wanted) or []:
        if name not in by_name:
            raise UsageError(f"--targets: {name!r} is not a target of model {model.name!r}"
                             f"{suggest(name, list(by_name))}; its targets: "
                             f"{', '.join(by_name)}")
        chosen.append(by_name[name])
    return chosen


def _why_fixed(model, fixed: list[str]) -> str:
    """Why the parameters `fixed` are not varied: their sources, grouped by kind.

    Examples
    --------
    >>> import gysim
    >>> m = gysim.Model("m", start=0, stop=1)
    >>> m.param("a", 1.0, bounds=(0, 2), source="data: yearbook 2005")
    >>> m.param("b", 1.0, bounds=(0, 2), source="plan: target")
    >>> m.param("c", 1.0, bounds=(0, 2), source="data: census")
    >>> m.param("s", 0.0, bounds=(0, 1), source="assumption: scenario switch")
    >>> _why_fixed(m, ["a", "b", "c", "s"])
    "their values come from data (2) or plan (1), not assumptions; left out by the provider although an assumption: s (source: 'assumption: scenario switch')"
    """
    kinds: dict[str, list[str]] = {}
    for name in fixed:
        source = (model.params[name].source or "").strip()
        kind = source.split(":", 1)[0].strip().lower() if ":" in source else ""
        kinds.setdefault(kind or "no stated source", []).append(name)
    assumed = kinds.pop("assumption", [])
    parts = []
    if kinds:
        listed = [f"{k} ({len(v)})" for k, v in kinds.items()]
        joined = listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]
        parts.append(f"their values come from {joined}, not assumptions")
    if assumed:
        parts.append("left out by the provider although an assumption: " + ", ".join(
            f"{n} (source: {model.params[n].source!r})" for n in assumed))
    return "; ".join(parts)


def _outputs(args: argparse.Namespace) -> tuple[Path | None, Path | None]:
    indices_path = store = None
    for item in args.output or ():
        suffix = Path(item).suffix.lower()
        if suffix == ".nc" and indices_path is None:
            indices_path = check_writable(item)
        elif suffix == ".zarr" and store is None:
            store = check_writable(item)
        else:
            raise UsageError(f"-o {item!r}: give at most one FILE.nc (the indices) and one "
                             f"STORE.zarr (the runs)")
    return indices_path, store


def _analysis_and_method(args: argparse.Namespace) -> tuple[str, str | None]:
    """The analysis and the integrator, from ``--analysis``/``--method`` and the old spellings.

    Before issue 13 ``--method`` chose the analysis and ``--solver`` the integrator;
    both still work, with a note on stderr.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> p = build_parser()
    >>> _analysis_and_method(p.parse_args(["sensitivity", "m", "--analysis", "morris",
    ...                                    "--method", "rk4"]))
    ('morris', 'rk4')
    >>> _analysis_and_method(p.parse_args(["sensitivity", "m", "--method", "morris"]))
    ('morris', None)
    """
    from ..sensitivity import SENSITIVITY_METHODS

    analysis, method = args.analysis, args.method
    if method in SENSITIVITY_METHODS:  # the old spelling of the analysis
        if analysis is not None:
            raise UsageError(f"--method is the integration method (euler, rk4, RK45, ...), got "
                             f"{method!r}, an analysis, with --analysis {analysis}")
        print(f"note: the analysis is now chosen with --analysis (--method is the integration "
              f"method, as in gysim run); ran with --analysis {method}", file=sys.stderr)
        analysis, method = method, None
    if args.solver is not None:
        if method is not None:
            raise UsageError(f"give the integration method once, as --method (--solver is its "
                             f"old name), got --method {method} and --solver {args.solver}")
        print(f"note: --solver is now --method (the integration method, as in gysim run); "
              f"ran with --method {args.solver}", file=sys.stderr)
        method = args.solver
    if method is not None:
        from ..simulate import METHODS
        if method not in METHODS:
            from .._text import suggest
            raise UsageError(f"--method must be an integration method ({', '.join(METHODS)}) or, "
                             f"for the analysis, use --analysis "
                             f"({', '.join(SENSITIVITY_METHODS)}); got {method!r}"
                             f"{suggest(method, list(METHODS) + list(SENSITIVITY_METHODS))}")
    return analysis or "sobol", method


def run(args: argparse.Namespace) -> int:
    """Run ``gysim sensitivity`` with parsed `args`; returns the exit status.

    Examples
    --------
    >>> from gysim.cli import build_parser
    >>> run(build_parser().parse_args(["sensitivity", "population", "-n", "0"]))
    Traceback (most recent call last):
    ...
    gysim.cli._common.UsageError: -n must be positive, got 0
    """
    from ..labels import check_variables
    from ..registry import get_provider
    from ..sensitivity import SENSITIVITY_METHODS, sensitivity

    indices_path, store = _outputs(args)
    if args.n < 1:
        raise UsageError(f"-n must be positive, got {args.n}")
    analysis, method = _analysis_and_method(args)
    provider = get_provider(args.model)
    model = provider.build()
    params = names(args.params)
    if params is None:
        params, origin = default_parameters(model, provider)
        print(f"varying {len(params)} parameter{'s' * (len(params) != 1)} ({origin}; choose "
              f"with --params): {', '.join(params)}")
        fixed = [n for n, p in model.params.items() if n not in params
                 and p.bounds is not None and p.bounds[0] < p.bounds[1]]
        if fixed:
            print(f"not varied, at their values: {len(fixed)} other parameter"
                  f"{'s' * (len(fixed) != 1)} with bounds: {', '.join(fixed)}")
            print(f"  why: {_why_fixed(model, fixed)}")
    outputs = names(args.outputs) or ([] if args.targets else list(model.stocks))
    compiled = model.compile()
    check_variables(outputs, compiled.stock_names + compiled.output_names, argument="--outputs",
                    what=f"model {model.name!r}",
                    kinds={k: e.kind for k, e in model.elements.items()})
    if args.targets:
        outputs = outputs + _targets(provider, model, args.targets)
    options: dict[str, Any] = {}
    for key in ("scenario", "dt", "stop"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    if method is not None:
        options["method"] = method
    client = None
    if args.scheduler:
        try:
            from dask.distributed import Client
        except ImportError:
            raise UsageError("--scheduler needs dask.distributed: pip install 'gysim[parallel]'") \
                from None
        client = Client(args.scheduler)
    try:
        indices = sensitivity(model, params, outputs, analysis, n=args.n,
                              seed=args.seed, client=client,
                              store=str(store) if store is not None else None,
                              progress=not args.no_progress, **options)
    finally:
        if client is not None:
            client.close()
    t_end = float(indices["time"].values[-1])
    keys = SENSITIVITY_METHODS[analysis]
    print(f"{analysis} indices of model {model.name!r} at time {t_end:g} "
          f"({indices.attrs.get('n_runs')} runs, n={args.n}, seed={args.seed}):")
    for out in (str(o) for o in indices["output"].values):  # var[label] per element
        at = indices.sel(output=out, time=t_end)
        # 3 decimals (+ 0.0 turns a rounded -0.0 into 0.0)
        rows = [(p, *(round(float(at[k].sel(param=p)), 3) + 0.0 for k in keys))
                for p in params]
        print(f"\n{out}")
        print(table(rows, ["parameter", *keys]))
    if indices_path is not None:
        write_netcdf(indices, indices_path)
        print(f"\nwrote {indices_path} (indices over param, output, time)")
    if store is not None:
        print(f"runs stored in {store} (give the same -o to resume an interrupted study)")
    return 0
