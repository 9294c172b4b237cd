"""``python -m gysim``: the same as the ``gysim`` command (see :mod:`gysim.cli`)."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
