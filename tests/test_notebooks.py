"""The notebooks in notebooks/: committed without outputs, and each runs top to bottom.

Each notebook is executed with nbclient in a kernel of the interpreter running the tests
(a kernelspec written to a temporary folder, so no other installed "python3" kernel can be
picked up). A cell that raises fails the test, and so does a warning from gysim or a
missing glyph in a figure. Deselect with ``-m "not notebook"``.
"""

import json
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = ["01_quickstart.ipynb", "02_calibration.ipynb", "03_plan_scenarios.ipynb",
             "04_sensitivity.ipynb", "05_plan_analysis.ipynb", "06_loops_and_diagrams.ipynb"]
#: stderr text that means a notebook is broken even though no cell raised
BAD_STDERR = re.compile(r"Warning: .*(gysim|Glyph \d+)|gysim[\w.]*:\d+: \w*Warning")


def read(name):
    return nbformat.read(NOTEBOOK_DIR / name, as_version=4)


def test_every_notebook_is_listed():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == NOTEBOOKS


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{name} has no code cells"
    for i, cell in enumerate(code):
        assert cell.outputs == [], f"{name}: code cell {i} is committed with outputs"
        assert cell.execution_count is None, f"{name}: code cell {i} has an execution count"
    # text explains, not only code; the study sizes are set at the top
    assert sum(c.cell_type == "markdown" for c in nb.cells) >= len(code) / 2
    assert re.match(r"[A-Z][A-Z_0-9]* = \d", code[0].source), \
        f"{name}: the first code cell must set the study size (e.g. N_RUNS = 1000)"


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory):
    """A kernelspec 'python3' that runs this interpreter (the venv's), and only that one."""
    root = tmp_path_factory.mktemp("kernels")
    spec = root / "python3"
    spec.mkdir()
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (gysim tests)", "language": "python"}))
    return root


@pytest.fixture(scope="module")
def timings():
    seconds = {}
    yield seconds
    if seconds:
        print("\nnotebook execution: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
              + f"; total {sum(seconds.values()):.1f} s")


@pytest.mark.notebook
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs(name, kernel_dir, timings):
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = read(name)
    specs = KernelSpecManager(kernel_dirs=[str(kernel_dir)], ensure_native_kernel=False)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=specs)
    client = nbclient.NotebookClient(nb, km=km, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOK_DIR)}})
    start = time.perf_counter()
    try:
        client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    finally:
        if km.has_kernel:  # a kernel manager given to nbclient is not shut down by it
            km.shutdown_kernel(now=True)
    timings[name] = time.perf_counter() - start
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    figures = 0
    for i, cell in enumerate(code):
        for out in cell.outputs:
            assert out.output_type != "error", f"{name}: code cell {i}: {out.get('evalue')}"
            if out.output_type == "stream" and out.name == "stderr":
                bad = BAD_STDERR.search(out.text)
                assert not bad, f"{name}: code cell {i} warns: {bad.group(0)}"
            figures += bool({"image/png", "image/svg+xml"} & set(out.get("data", {})))
    assert figures >= 3, f"{name} drew {figures} figures"
