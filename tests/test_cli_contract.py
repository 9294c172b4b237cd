"""The command line's contract (issue 12): every bad input, failed write or lack of memory
prints one line ``gysim: error: ...`` and exits with status 2, never a traceback; only a bug
in gysim prints a traceback, after a line asking for a report (status 3).
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import xarray as xr

import gysim
from gysim.cli import EXIT_ERROR, EXIT_INTERNAL, main

ROOT = Path(__file__).resolve().parents[1]

#: A Vensim file without an encoding line: PySD warns "No encoding specified" when reading it.
NO_ENCODING_MDL = """x = INTEG(k * x, 1)
~ ~|
k = 0.1
~ ~|
INITIAL TIME = 0
~ ~|
FINAL TIME = 2
~ ~|
TIME STEP = 0.5
~ ~|
SAVEPER = 1
~ ~|
"""


def one_line_error(capsys, code: int, words: str) -> str:
    captured = capsys.readouterr()
    assert code == EXIT_ERROR, captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("gysim: error: "), lines[0]
    assert "Traceback" not in captured.err + captured.out
    assert words in lines[0], lines[0]
    return lines[0]


CASES = [
    (["run", "no_such_model"], "no model named 'no_such_model'"),
    (["run", "population", "--set", "no_such_param=1"], "no_such_param"),
    (["run", "population", "--vars", "nosuch"], "'nosuch' is not a variable"),
    (["run", "population", "-o", "out.txt"], "give a name ending in .nc"),
    (["run", "population", "-o", "missing_folder/out.nc"], "does not exist"),
    (["sensitivity", "population", "--outputs", "nosuch", "-n", "8", "--no-progress"],
     "--outputs: 'nosuch' is not a variable of model 'population'"),
    (["sensitivity", "population", "--outputs", "birth_rate", "-n", "8", "--no-progress"],
     "--outputs: 'birth_rate' is a param"),
    (["sensitivity", "population", "-n", "0"], "-n must be positive"),
    (["targets", "no_such_results.nc"], "does not exist"),
    (["info", "no_such_file.mdl"], "no_such_file.mdl"),
]


@pytest.mark.parametrize("argv, words", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_bad_input_is_one_line_and_exit_2(argv, words, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    one_line_error(capsys, main(argv), words)


def test_outputs_is_named_outputs_in_the_api():
    m = gysim.Model("m", start=0, stop=1)
    m.param("a", 1.0, bounds=(0, 2))
    m.aux("y", "2 * a")
    with pytest.raises(gysim.DataError, match=r"`outputs`: 'nosuch' is not a variable of model"):
        gysim.sensitivity(m, ["a"], ["nosuch"], n=8, progress=False)


def test_a_file_that_is_not_netcdf_gets_the_whole_reason(tmp_path, capsys):
    bad = tmp_path / "notes.nc"
    bad.write_text("not a netCDF file", encoding="utf-8")
    line = one_line_error(capsys, main(["targets", str(bad)]), "is not a netCDF file")
    assert line.endswith("`gysim run -o FILE.nc` writes one")


def test_a_full_disk_while_saving_a_run_keeps_the_old_file(tmp_path, monkeypatch, capsys):
    out = tmp_path / "run.nc"
    assert main(["run", "population", "--vars", "population", "-o", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()

    def hdf_error(self, *args, **kwargs):  # what netCDF4 raises when the disk fills up
        Path(args[0]).write_bytes(b"\x89HDF half")
        raise RuntimeError("NetCDF: HDF error")
    monkeypatch.setattr(xr.Dataset, "to_netcdf", hdf_error)
    line = one_line_error(capsys, main(["run", "population", "-o", str(out)]),
                          f"cannot write '{out}'")
    assert "NetCDF: HDF error" in line and "free on its disk" in line
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.nc"]


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left on the device (ENOSPC)"),
                                         (errno.EROFS, "Read-only file system (EROFS)")])
def test_an_os_error_while_saving_is_one_line(tmp_path, monkeypatch, capsys, code, words):
    def failing(self, *args, **kwargs):
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(xr.Dataset, "to_netcdf", failing)
    one_line_error(capsys, main(["run", "population", "-o", str(tmp_path / "run.nc")]), words)
    assert list(tmp_path.iterdir()) == []


def test_out_of_memory_is_one_line_suggesting_smaller_runs(monkeypatch, capsys):
    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 14.9 GiB for an array")
    monkeypatch.setattr(sys.modules["gysim.simulate"], "simulate", too_big)
    line = one_line_error(capsys, main(["run", "population"]), "out of memory")
    assert "14.9 GiB" in line and "fewer" in line


def test_an_internal_error_asks_for_a_report_and_shows_the_traceback(monkeypatch, capsys):
    def bug(*args, **kwargs):
        return {}["no such key"]
    monkeypatch.setattr(sys.modules["gysim.simulate"], "simulate", bug)
    assert main(["run", "population"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.startswith("gysim: internal error (KeyError: 'no such key'); please report")
    assert "Traceback (most recent call last)" in err


def test_other_libraries_warnings_are_not_printed(tmp_path, capsys):
    mdl = tmp_path / "growth.mdl"
    mdl.write_text(NO_ENCODING_MDL, encoding="utf-8")
    one_line_error(capsys, main(["run", str(mdl), "--vars", "nosuch"]), "'nosuch'")
    assert main(["run", str(mdl)]) == 0
    captured = capsys.readouterr()
    assert "encoding" not in captured.err and "Warning" not in captured.err


def test_gysim_warnings_are_still_printed(monkeypatch, capsys):
    import warnings

    import gysim.cli.run as run_command
    real = run_command.table

    def warning_table(*args, **kwargs):
        warnings.warn_explicit("gysim's own advice", UserWarning, "gysim/cli/run.py", 1,
                               module="gysim.cli.run")
        warnings.warn_explicit("a library's chatter", UserWarning, "pysd/x.py", 1,
                               module="pysd.translators")
        return real(*args, **kwargs)
    monkeypatch.setattr(run_command, "table", warning_table)
    assert main(["run", "population", "--vars", "population"]) == 0
    err = capsys.readouterr().err
    assert "gysim's own advice" in err and "a library's chatter" not in err


@pytest.mark.parametrize("argv, words", [
    (["run", "no_such_model"], "no model named 'no_such_model'"),
    (["sensitivity", "population", "--outputs", "nosuch", "-n", "8", "--no-progress"],
     "--outputs: 'nosuch'"),
])
def test_python_m_gysim_keeps_the_contract(argv, words, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "gysim", *argv], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("gysim: error: ") and words in lines[0], \
        proc.stderr
