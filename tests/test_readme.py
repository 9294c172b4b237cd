"""The README's examples run as written.

Every fenced ```python block of README.md is executed, in order, in one
namespace, in a temporary working folder: the README's quickstart can never
rot. Every ``gysim ...`` command line of its shell blocks must parse with the
command's own parser, so the documented options stay real.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
FENCE = re.compile(r"^```[ \t]*(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
SHELL = {"sh", "bash", "shell", "console"}


def blocks(language: set[str]) -> list[tuple[int, str]]:
    """(first line number, text) of each fenced block of README.md in `language`."""
    text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        if match.group(1).lower() in language:
            line = text.count("\n", 0, match.start(2)) + 1
            found.append((line, match.group(2)))
    return found


def gysim_commands() -> list[tuple[int, list[str]]]:
    """(line, argv) of every ``gysim ...`` command in the README's shell blocks."""
    commands = []
    for first, body in blocks(SHELL):
        for offset, line in enumerate(body.splitlines()):
            line = line.strip()
            if line.startswith("$ "):
                line = line[2:]
            try:
                tokens = shlex.split(line, comments=True)
            except ValueError:
                continue
            segment: list[str] = []
            for token in tokens + ["&&"]:
                if token in ("&&", "||", ";", "|"):
                    if segment and segment[0] == "gysim":
                        commands.append((first + offset, segment[1:]))
                    segment = []
                else:
                    segment.append(token)
    return commands


def test_readme_python_blocks_run_in_order(tmp_path, monkeypatch, capsys):
    import matplotlib
    matplotlib.use("Agg")
    found = blocks({"python", "py"})
    assert found, "README.md has no ```python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__readme__"}
    for line, source in found:
        # padded so that a traceback points at the README's own line numbers
        code = compile("\n" * (line - 1) + source, str(README), "exec")
        exec(code, namespace)  # the project's own README: running it is this test's purpose
    import matplotlib.pyplot as plt
    plt.close("all")


NO_COMMANDS = pytest.param(0, [], marks=pytest.mark.skip(reason="README.md shows no gysim command"))


@pytest.mark.parametrize("line, argv", gysim_commands() or [NO_COMMANDS])
def test_readme_command_lines_parse(line, argv, capsys):
    from gysim.cli import build_parser
    try:
        build_parser().parse_args(argv)
    except SystemExit as exc:  # --help exits 0; a wrong option exits 2
        assert exc.code == 0, f"README.md line {line}: `gysim {' '.join(argv)}` does not parse"
