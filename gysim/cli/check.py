"""``gysim check``: every construct of a Vensim/XMILE file that gysim's reader cannot take.

Prints one line per finding (line, construct in the file's spelling, element,
message) and exits with status 2 when there are findings, 0 when the file reads.

Examples
--------
>>> import tempfile
>>> from pathlib import Path
>>> from gysim.cli import main
>>> f = Path(tempfile.mkdtemp()) / "m.mdl"
>>> _ = f.write_text("{UTF-8}\\nx = GET TIME VALUE(2, 0, 0) ~ ~|\\nINITIAL TIME = 0 ~ ~|\\n"
...                  "FINAL TIME = 2 ~ ~|\\nTIME STEP = 1 ~ ~|\\n")
>>> main(["check", str(f)])  # doctest: +NORMALIZE_WHITESPACE
m.mdl: 1 construct(s) gysim's Vensim reader cannot take
  line 2: GET TIME VALUE of the computer's clock (gysim reads relativeto 0, the simulation
  time) in 'x': GET TIME VALUE of the computer's clock (gysim reads relativeto 0, the
  simulation time) in element 'x' is not supported by gysim's Vensim reader
2
"""

from __future__ import annotations

import argparse

__all__ = ["SUMMARY", "EXAMPLE", "add_arguments", "run", "EXIT_FINDINGS"]

SUMMARY = ("List every construct of a Vensim .mdl or XMILE file that gysim's reader cannot "
           "take, with line numbers, in one pass.")
EXAMPLE = "gysim check model.mdl"

#: Exit status when the file holds constructs gysim cannot read.
EXIT_FINDINGS = 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the arguments of ``gysim check`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser()
    >>> add_arguments(p)
    >>> p.parse_args(["m.mdl"]).file
    'm.mdl'
    """
    parser.add_argument("file", metavar="FILE", help="a Vensim .mdl or XMILE .xmile/.xml file")


def run(args: argparse.Namespace) -> int:
    """Run ``gysim check`` with parsed `args`; returns the exit status (2 with findings)."""
    from ..io.check import check_model

    report = check_model(args.file)
    print(report)
    return 0 if report.ok else EXIT_FINDINGS
