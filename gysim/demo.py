"""Moved: the demo is now part of the project's models (``models/demo.py``).

``make demo`` runs ``python -m gysim_models.demo --out results``. The library
knows no particular model, so ``python -m gysim.demo`` only says where the
demo went and exits with status 2.

Examples
--------
>>> from gysim.demo import main
>>> main([])  # prints where the demo moved, on stderr
2
"""

from __future__ import annotations

import sys

__all__ = ["main"]

MESSAGE = ("python -m gysim.demo: the demo moved to the project's models; run "
           "`make demo` or `python -m gysim_models.demo --out results`")


def main(argv: list[str] | None = None) -> int:
    """Say where the demo moved; returns the exit status 2.

    Examples
    --------
    >>> main(["--out", "results"])
    2
    """
    print(MESSAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
