"""The ``gysim`` command: run, calibrate, study and inspect models from a shell.

One module per command, each owning its arguments (``add_arguments(parser)``)
and its work (``run(args) -> int``): :mod:`~gysim.cli.run` calls
:func:`gysim.simulate`, :mod:`~gysim.cli.calibrate` the calibration the
model's provider offers, :mod:`~gysim.cli.sensitivity` calls
:func:`gysim.sensitivity`, :mod:`~gysim.cli.targets` calls
:func:`gysim.check_targets` with the model's targets, :mod:`~gysim.cli.plot`
calls :func:`gysim.plot.trajectories`, :mod:`~gysim.cli.info` describes a
model. ``MODEL`` is anything :func:`gysim.load_model` takes: a registered
name (``gysim info`` lists them), a ``.py`` file defining ``build()``, or a
Vensim ``.mdl`` / XMILE (``.xmile``, ``.xml``, ``.stmx``) file. What a
command needs beyond the model (default plots, parameters, targets, the
calibration) comes from the model's provider (:mod:`gysim.registry`).

Errors from bad input -- every :class:`gysim.GysimError`, every ``OSError``
(a missing file, a full disk, a read-only folder) and running out of memory
-- print one line, ``gysim: error: <message>``, and exit with status 2
(``--debug`` shows the traceback instead). Anything else is a bug in gysim:
it prints ``gysim: internal error ...`` asking for a report, then the
traceback, and exits with status 3. Warnings of other libraries (PySD's
about encodings, ...) are not shown; gysim's own are. Files are written
under a temporary name and renamed into place, so an interrupted command
never leaves a half-written result.

Examples
--------
>>> from gysim.cli import main
>>> main(["run", "no_such_model"])  # one line on stderr, naming the known models
2

``gysim.cli.run`` shows a whole run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import traceback
import warnings
from typing import Sequence

from ..errors import GysimError
from . import calibrate, info, plot, run, sensitivity, targets
from . import check
from ._common import PROG, UsageError, load_any_model, parse_assignments

__all__ = ["main", "build_parser", "COMMANDS", "UsageError", "load_any_model",
           "parse_assignments", "EXIT_ERROR", "EXIT_INTERNAL"]

#: Command name -> its module (``SUMMARY``, ``EXAMPLE``, ``add_arguments``, ``run``).
COMMANDS = {"run": run, "calibrate": calibrate, "sensitivity": sensitivity,
            "targets": targets, "plot": plot, "info": info}
COMMANDS["check"] = check


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``gysim`` command.

    Examples
    --------
    >>> build_parser().parse_args(["run", "population", "--stop", "2020"]).stop
    2020.0
    """
    from .._version import __version__

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show the full traceback of an error")
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=_Formatter,
        description="System-dynamics models: run, calibrate, study and inspect them.",
        epilog="MODEL is a registered model name (`gysim info` lists them), a .py file "
               "defining build(),\nor a Vensim .mdl / XMILE .xmile file.\n\n"
               "example:\n  gysim run population --scenario plan -o plan.nc\n\n"
               "`gysim COMMAND --help` describes each command.")
    parser.add_argument("--version", action="version", version=f"gysim {__version__}")
    parser.add_argument("--debug", action="store_true", default=False,
                        help="show the full traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        p = sub.add_parser(name, help=module.SUMMARY, description=module.SUMMARY,
                           parents=[debug], formatter_class=_Formatter,
                           epilog=f"example:\n  {module.EXAMPLE}")
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


#: Exit status for bad input (one line on stderr), as argparse uses.
EXIT_ERROR = 2
#: Exit status for an internal error (a bug in gysim: message and traceback).
EXIT_INTERNAL = 3
#: Where to report an internal error.
REPORT = "please report it with the command line and the traceback below"


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
        2 for bad input, a failed write or too little memory (one line on
        stderr), 3 for an internal error (a bug: the traceback is printed),
        130 when interrupted.

    Examples
    --------
    >>> main(["run", "population", "--set", "birth_rate=0.011", "--vars", "population",
    ...       "--method", "rk4", "--dt", "0.25"])
    model 'population', rk4, time 2000 to 2010
    no --scenario: the model's values with --set, the same as scenario 'baseline' (scenarios: baseline, plan; choose with --scenario)
    variable     2000     2010  units
    ----------  -----  -------  ----------
    population  331.8  368.027  1e4 person
    0
    >>> main(["run", "no_such_model"])  # prints "gysim: error: no model named ..." on stderr
    2
    """
    from ._common import one_line

    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        with warnings.catch_warnings():
            _only_gysim_warnings()
            return int(args.func(args) or 0)
    except BrokenPipeError:  # `gysim info population | head`: the reader left; stop quietly
        with contextlib.suppress(Exception):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (GysimError, OSError, ValueError) as err:
        if args.debug:
            raise
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return EXIT_ERROR
    except MemoryError as err:
        if args.debug:
            raise
        detail = f" ({one_line(err)})" if str(err) else ""
        print(f"{PROG}: error: out of memory{detail}; run fewer runs at once (smaller chunks, "
              f"a smaller -n), save fewer variables (--vars, --outputs) or times, or stream "
              f"a study to a STORE.zarr", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        if args.debug:
            raise
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if args.debug:
            raise
        print(f"{PROG}: internal error ({type(err).__name__}: {one_line(err)}); {REPORT}",
              file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


def _only_gysim_warnings() -> None:
    """Inside ``warnings.catch_warnings()``: hide other libraries' warnings, show gysim's.

    gysim's warnings print as one line, ``gysim: warning: <message>``.
    """
    warnings.simplefilter("ignore")
    warnings.filterwarnings("default", module=r"gysim(_models)?(\.|$)")

    def show(message, category, filename, lineno, file=None, line=None):
        print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)
    warnings.showwarning = show


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
