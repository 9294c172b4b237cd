"""Tests of gysim.engine.source_lines: generated code shows in tracebacks."""

from __future__ import annotations

import linecache
import traceback

import pytest

from gysim.engine.source_lines import register_source, unique_filename

SOURCE = "def rhs(x):\n    growth = 2 * x\n    return growth / (x - 1)\n"


def compiled_function(name):
    filename = unique_filename(name)
    register_source(filename, SOURCE)
    namespace = {}
    exec(compile(SOURCE, filename, "exec"), namespace)  # noqa: S102 - the test's own source
    return filename, namespace["rhs"]


def test_traceback_shows_the_generated_line():
    filename, rhs = compiled_function("growth")
    with pytest.raises(ZeroDivisionError) as info:
        rhs(1)
    text = "".join(traceback.format_exception(info.value))
    assert f'File "{filename}", line 3, in rhs' in text
    assert "return growth / (x - 1)" in text


def test_entry_survives_checkcache_and_names_are_unique():
    filename, _ = compiled_function("m")
    other, _ = compiled_function("m")
    assert filename != other
    linecache.checkcache()  # what traceback and pdb run: must not drop a file-less entry
    linecache.checkcache(filename)
    assert linecache.getline(filename, 2) == "    growth = 2 * x\n"
    register_source(filename, "a = 1")  # re-registering replaces the text
    assert linecache.getlines(filename) == ["a = 1\n"]


def test_rejects_non_strings():
    with pytest.raises(TypeError, match="must be strings"):
        register_source("<x>", b"a = 1")
