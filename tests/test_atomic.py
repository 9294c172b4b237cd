"""Tests of gysim.atomic: an interrupted write never leaves a corrupt or half-written file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import gysim
from gysim.atomic import (atomic_path, atomic_write, remove_stale, savefig_atomic,
                          to_netcdf_atomic, to_zarr_atomic, write_text_atomic)

ROOT = Path(__file__).resolve().parents[1]


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_exception_in_writer_keeps_old_file_and_no_temp(tmp_path):
    target = tmp_path / "fit.json"
    target.write_text('{"g": 0.1}')

    def writer(tmp: Path) -> None:
        with open(tmp, "w") as fh:
            fh.write('{"g": 0.2, "trunc')
        raise KeyError("interrupted")

    with pytest.raises(KeyError, match="interrupted"):
        atomic_write(target, writer)
    assert target.read_text() == '{"g": 0.1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fit.json"]


def test_keyboard_interrupt_in_context_manager(tmp_path):
    target = tmp_path / "run.nc"
    target.write_bytes(b"old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"new but incomplete")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"old"
    assert hidden(tmp_path) == []


WRITER = textwrap.dedent("""
    import sys, time
    from gysim.atomic import atomic_write

    def writer(tmp):
        with open(tmp, "wb") as fh:
            chunk = b"x" * (1 << 20)
            for i in range(10_000):
                fh.write(chunk)
                fh.flush()
                if i == 2:
                    print("writing", flush=True)
                time.sleep(0.01)

    atomic_write(sys.argv[1], writer)
""")


def test_sigkilled_writer_leaves_old_file_intact(tmp_path):
    target = tmp_path / "results.nc"
    target.write_bytes(b"the old complete file")
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line.strip() == b"writing", proc.stderr.read()
        leftovers = hidden(tmp_path)
        assert len(leftovers) == 1 and os.path.getsize(tmp_path / leftovers[0]) >= 3 << 20
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL
    # the target was never touched: the half-written data is in a hidden temporary file
    assert target.read_bytes() == b"the old complete file"
    stale = hidden(tmp_path)
    assert len(stale) == 1 and stale[0].startswith(f".results.nc.{proc.pid}.")
    assert stale[0].endswith(".tmp.nc")
    # the next write to the same target removes what the killed writer left
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert hidden(tmp_path) == []


def test_remove_stale_keeps_files_of_live_writers(tmp_path):
    target = tmp_path / "a.png"
    mine = tmp_path / f".a.png.{os.getpid()}.abc.tmp.png"
    dead = tmp_path / ".a.png.999999999.abc.tmp.png"
    other = tmp_path / ".b.png.999999999.abc.tmp.png"
    for p in (mine, dead, other):
        p.write_bytes(b"partial")
    assert remove_stale(target) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, other.name])


@pytest.mark.parametrize("make_path, fragment", [
    (lambda d: d / "missing" / "out.nc", "the folder '{d}/missing' does not exist"),
    (lambda d: d / "file.txt" / "out.nc", "the folder '{d}/file.txt' is not a folder"),
    (lambda d: d / "folder", "'{d}/folder': it is an existing folder"),
])
def test_unwritable_targets_name_the_path(tmp_path, make_path, fragment):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "folder").mkdir()
    with pytest.raises(gysim.DataError) as info:
        write_text_atomic(make_path(tmp_path), "x")
    assert fragment.format(d=tmp_path) in str(info.value)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into read-only folders")
def test_read_only_folder(tmp_path):  # pragma: no cover - CI runs as a user
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(gysim.DataError, match="is not writable"):
            write_text_atomic(folder / "x.txt", "x")
    finally:
        folder.chmod(0o755)


def test_os_error_of_the_writer_becomes_data_error(tmp_path):
    def writer(tmp):
        raise OSError(28, "No space left on device")
    with pytest.raises(gysim.DataError, match="cannot write '.*out.bin': no space left"):
        atomic_write(tmp_path / "out.bin", writer)
    assert list(tmp_path.iterdir()) == []


def test_writer_that_writes_nothing(tmp_path):
    target = tmp_path / "store.zarr"
    with pytest.raises(gysim.DataError, match="produced no output"):
        with atomic_path(target, directory=True):
            pass
    assert list(tmp_path.iterdir()) == []


def test_mode_of_an_existing_file_is_kept(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    target.chmod(0o640)
    write_text_atomic(target, "new")
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = write_text_atomic(tmp_path / "fresh.md", "x")
    assert fresh.stat().st_mode & 0o777 != 0o600  # not mkstemp's private mode


def test_netcdf_zarr_and_png_round_trip(tmp_path):
    ds = gysim.simulate(gysim.load_model("population"))
    nc = to_netcdf_atomic(ds, tmp_path / "run.nc")
    with xr.open_dataset(nc) as back:
        np.testing.assert_array_equal(back["urban_population"].values,
                                      ds["urban_population"].values)
    store = tmp_path / "runs.zarr"
    to_zarr_atomic(xr.Dataset({"x": ("run", [1.0, 2.0])}), store, consolidated=False)
    to_zarr_atomic(xr.Dataset({"x": ("run", [3.0])}), store, consolidated=False)  # replaces
    assert xr.open_zarr(store, consolidated=False).x.values.tolist() == [3.0]

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    png = savefig_atomic(fig, tmp_path / "fig.png")
    pdf = savefig_atomic(fig, tmp_path / "fig.pdf")
    plt.close(fig)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert hidden(tmp_path) == []
