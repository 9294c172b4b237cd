"""Conformance of the Vensim/XMILE readers with the SD model test suite.

Run as ``python -m gysim.conformance DIR [--no-pysd]`` where ``DIR`` holds case
folders (or a ``tests/`` folder of them), each with model files (``*.mdl``,
``*.xmile``; ``--stmx`` adds Stella's ``*.stmx``) and a canonical output
(``output.csv`` or ``output.tab``). Each model file is read, run with gysim and
compared with the canonical output as PySD's test suite does: the canonical
file's columns only, matched to gysim variables through their original names,
``|expected - actual| <= 1e-5 + 1e-5 |actual|``, constant columns filled
forward; a value equal to Vensim's ``:NA:`` number counts as the blank Vensim
writes for it. Unless ``--no-pysd`` is given, the same file is also run by
PySD (in a temporary copy) to time both: the times shown are the best of five
runs of an already read model (``gysim.simulate`` of the compiled model vs
PySD's ``model.run()``), so reading/translating the file is not counted for
either.

Subscripted columns such as ``var[a,b]`` are compared element by element: with
``.sel`` on the variable's dimensions when the reader made the file's
subscripts native gysim dimensions, else the element's own scalar variable. XMILE files whose
equations hold ``???`` placeholders (unfinished exports) are reported as
``invalid`` input: neither passes nor failures.

Examples
--------
>>> from gysim.conformance import run_case  # doctest: +SKIP
>>> run_case(Path("tests/abs/test_abs.mdl")).passed  # doctest: +SKIP
True
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CaseResult", "find_cases", "run_case", "run_suite", "main", "Agreement",
           "load_vensim_table", "compare_with_vensim"]

RTOL = 1e-5
ATOL = 1e-5
MODEL_SUFFIXES = (".mdl", ".xmile")
#: Timed runs per model and tool (the best counts), after one warm-up run.
REPEAT = 5


@dataclass
class CaseResult:
    """Outcome of one model file."""

    case: str
    file: str
    passed: bool
    reason: str = ""
    invalid: bool = False
    #: why the reader expanded the file's subscripts element by element ('' if it did not)
    fallback: str = ""
    gysim_seconds: float = float("nan")
    pysd_seconds: float = float("nan")

    @property
    def speedup(self) -> float:
        """PySD time / gysim time (> 1: gysim is faster)."""
        return self.pysd_seconds / self.gysim_seconds


def find_cases(directory: str | Path, *, stmx: bool = False) -> list[Path]:
    """Model files of every case folder under ``directory`` that has a canonical output.

    ``.mdl`` and ``.xmile`` files; with ``stmx=True`` also Stella's ``.stmx``
    (XMILE too, read with :func:`gysim.read_xmile`). ``directory`` may also
    be one case folder.
    """
    suffixes = MODEL_SUFFIXES + ((".stmx",) if stmx else ())
    directory = Path(directory)
    if (directory / "tests").is_dir():
        directory = directory / "tests"
    files = []
    cases = [directory] if _canonical_file(directory) else directory.iterdir()
    for case in sorted(p for p in cases if p.is_dir()):
        if _canonical_file(case) is None:
            continue
        files += sorted(f for f in case.iterdir() if f.suffix.lower() in suffixes)
    return files


def _canonical_file(case: Path) -> Path | None:
    for name in ("output.csv", "output.tab"):
        if (case / name).is_file():
            return case / name
    return None


def _load_canonical(path: Path):
    from pysd.py_backend.utils import detect_encoding, load_outputs
    return load_outputs(path, encoding=detect_encoding(path))


def _norm(name: str) -> str:
    from .io.names import reference_key
    name = str(name).strip()
    if len(name) > 1 and name[0] == name[-1] == '"':
        name = name[1:-1]
    name = re.sub(r"\s*([\[\],])\s*", r"\1", name)  # 'x[a, b]' and 'x[a,b]' alike
    return reference_key(name.replace('\\"', '"').replace("\\\\", "\\"))


def invalid_input(path: Path) -> str:
    """Why a model file is not a valid model ('' if it is): XMILE ``???`` placeholders.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "m.xmile"
    >>> _ = f.write_text("<aux name='x'><eqn>???</eqn></aux>")
    >>> invalid_input(f)
    "equation of 'x' is a ??? placeholder"
    """
    if path.suffix.lower() not in (".xmile", ".xml", ".stmx"):
        return ""
    text = path.read_text(encoding="utf-8", errors="replace")
    for match in re.finditer(r"<eqn>([^<]*)</eqn>", text):
        if "???" in match.group(1):
            before = text[:match.start()]
            names = re.findall(r"""<\w+\s+name=["']([^"']*)["']""", before)
            where = f" of '{names[-1]}'" if names else ""
            return f"equation{where} is a ??? placeholder"
    return ""


def _read(path: Path):
    from .io import read_vensim, read_xmile
    return read_vensim(path) if path.suffix.lower() == ".mdl" else read_xmile(path)


def _compare(ds, model, canon) -> str:
    """'' if the run matches the canonical output, else why not."""
    from .io.names import VENSIM_NA
    by_original = {}
    for ident, original in model.source.names.items():
        by_original.setdefault(_norm(original), ident)
    times = canon.index.to_numpy(dtype=float)
    sim_t = ds.time.to_numpy()
    idx = np.searchsorted(sim_t, times - 1e-9)
    if (idx >= len(sim_t)).any() or not np.allclose(sim_t[np.minimum(idx, len(sim_t) - 1)],
                                                    times, atol=1e-9):
        return (f"canonical times {times[0]:g}..{times[-1]:g} ({len(times)}) do not match "
                f"the run's {sim_t[0]:g}..{sim_t[-1]:g} ({len(sim_t)})")
    labels = {_norm(k): v for k, v in model.source.labels.items()}
    bad = []
    for col in canon.columns:
        if str(col).strip().lower() == "time":
            continue
        name, select = _norm(col), ()
        ident = by_original.get(name)
        if ident is None and labels and name.endswith("]") and "[" in name:
            base, _, inner = name[:-1].partition("[")
            ident = by_original.get(base)
            select = tuple(labels.get(x) for x in inner.split(","))
        if ident is None or None in select:
            return f"canonical column '{col}' has no gysim variable"
        expected = canon[col].to_numpy(dtype=float)
        try:
            actual = _values(ds, model, ident, select, len(times))
        except KeyError:
            return f"canonical column '{col}' ({ident}) is not in the results"
        if actual.ndim != 1:
            return f"canonical column '{col}' ({ident}) selects {actual.shape[1:]} values"
        actual = actual[idx] if ident in ds.data_vars else actual
        # Vensim's :NA: is a number (VENSIM_NA) that its output files leave blank.
        actual = np.where(actual == VENSIM_NA, np.nan, actual)
        if np.isnan(expected[1:]).all() and len(expected) > 1:  # constants: first row only
            expected = np.full_like(expected, expected[0])
        with np.errstate(invalid="ignore"):
            ok = (np.abs(expected - actual) <= ATOL + RTOL * np.abs(actual)) | (
                np.isnan(expected) & np.isnan(actual))
        if not ok.all():
            i = int(np.argmin(ok))
            bad.append(f"'{col}' at t={times[i]:g}: expected {expected[i]:.6g}, "
                       f"got {actual[i]:.6g}")
    return "; ".join(bad[:3]) + (f" (+{len(bad) - 3} more)" if len(bad) > 3 else "")


def _values(ds, model, ident: str, select: tuple, n_times: int) -> np.ndarray:
    """Values of variable ``ident`` over time, at the gysim labels ``select`` (one per dim).

    Natively dimensioned results are selected with ``.sel``; a parameter
    (not in the results) repeats its value ``n_times`` times.
    """
    dims = model.dimensions
    own = (ds[ident].dims if ident in ds.data_vars
           else model.params[ident].dims if ident in model.params else ())
    where = {}
    for label in select:
        dim = next((d for d, labs in dims.items() if label in labs), None)
        if dim is None:
            raise KeyError(label)
        if dim in where:  # a family used twice: the later use is an alias dimension
            alias = [d for d in own if d in dims and d not in where and d != dim
                     and len(dims[d]) == len(dims[dim])]
            if not alias:
                raise KeyError(label)
            label, dim = dims[alias[0]][dims[dim].index(label)], alias[0]
        where[dim] = label
    if ident in ds.data_vars:
        out = ds[ident].sel(where) if where else ds[ident]
        out = out.squeeze([d for d in out.dims if d not in ("time",) and out.sizes[d] == 1])
        return out.to_numpy()
    if ident not in model.params:
        raise KeyError(ident)
    param = model.params[ident]
    value = np.asarray(param.value, dtype=float)
    if param.dims and value.ndim == len(param.dims):  # else one number for every element
        value = value[tuple(dims[d].index(where[d]) if d in where else slice(None)
                            for d in param.dims)]
    if value.ndim:
        return np.empty((n_times,) + value.shape)  # a shape the caller reports
    return np.full(n_times, float(value))


@dataclass
class Agreement:
    """How one variable of a Vensim output table compares with a gysim run."""

    name: str
    ident: str | None
    max_relative_error: float

    def within(self, rtol: float) -> bool:
        return self.ident is not None and bool(self.max_relative_error <= rtol)


def load_vensim_table(paths) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times and series of Vensim's tab-separated output (``.txt`` or ``.txt.gz``).

    Each file holds one row per variable (``"name" : run`` then its values)
    after a ``Time`` row; a variable in several files is taken once (its first row).

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "out.txt"
    >>> _ = f.write_text('Time (Year)\\t0\\t1\\n"x y" : run\\t1\\t2\\nz : run\\t3\\t3\\n')
    >>> times, table = load_vensim_table([f])
    >>> times.tolist(), sorted(table), table["x y"].tolist()
    ([0.0, 1.0], ['x y', 'z'], [1.0, 2.0])
    """
    import gzip
    times, table = None, {}
    for path in paths:
        path = Path(path)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
            for row in handle:
                cells = row.rstrip("\r\n").split("\t")
                head = cells[0]
                values = np.array([float(c) if c.strip() else np.nan for c in cells[1:]])
                name = re.sub(r"\s:\s[^:]*$", "", head).strip()
                if len(name) > 1 and name[0] == name[-1] == '"':
                    name = name[1:-1]
                if re.fullmatch(r"(?i)time(\s*\(.*\))?", name):  # the times (every file)
                    times = values if times is None else times
                    continue
                table.setdefault(name, values)
    if times is None:
        raise ValueError("the Vensim output holds no Time row")
    return times, table


def compare_with_vensim(ds, model, times, table) -> list[Agreement]:
    """Each variable of Vensim's output against the run ``ds`` of ``model``.

    The relative error of a variable is the largest over the saved times of
    ``|gysim - Vensim| / max(|Vensim|, 1e-9)``; a variable gysim does not
    have gets ``ident=None`` and an infinite error. The run must save at
    Vensim's times (same count; Vensim rounds the times it prints).
    """
    by_original = {}
    for ident, original in model.source.names.items():
        by_original.setdefault(_norm(original), ident)
    n = len(times)
    out = []
    for name, expected in table.items():
        ident = by_original.get(_norm(name))
        if ident is None:
            out.append(Agreement(name, None, float("inf")))
            continue
        try:
            actual = _values(ds, model, ident, (), n)
        except KeyError:
            out.append(Agreement(name, None, float("inf")))
            continue
        if actual.shape != expected.shape:
            out.append(Agreement(name, ident, float("inf")))
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            error = np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-9)
        error = np.where(np.isnan(expected) & np.isnan(actual), 0.0, error)
        worst = float(np.nanmax(error)) if not np.isnan(error).all() else float("inf")
        out.append(Agreement(name, ident, worst if not np.isnan(error).any() else float("inf")))
    return out


def _time_pysd(path: Path) -> float:
    import pysd
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copy(path, copy)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = (pysd.read_vensim(str(copy)) if path.suffix.lower() == ".mdl"
                     else pysd.read_xmile(str(copy)))
            return _best_of(model.run)


def _best_of(func, repeat: int = REPEAT) -> float:
    """Shortest wall time of ``repeat`` calls (after one warm-up call)."""
    func()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - t0)
    return best


def run_case(path: str | Path, *, pysd: bool = True) -> CaseResult:
    """Read, run and check one model file against its case's canonical output."""
    from .simulate import simulate
    path = Path(path)
    result = CaseResult(path.parent.name, path.name, False)
    why = invalid_input(path)
    if why:
        result.invalid, result.reason = True, f"invalid input: {why}"
        return result
    try:
        canon = _load_canonical(_canonical_file(path.parent))
        model = _read(path)
        result.fallback = getattr(getattr(model, "source", None), "fallback", "") or ""
        ds = simulate(model, saveper=model.saveper)
        if pysd:
            result.gysim_seconds = _best_of(lambda: simulate(model, saveper=model.saveper))
        result.reason = _compare(ds, model, canon)
        result.passed = not result.reason
    except Exception as exc:  # one bad case must not stop the suite
        result.reason = f"{type(exc).__name__}: {exc}"
    if pysd:
        try:
            result.pysd_seconds = _time_pysd(path)
        except Exception as exc:
            result.pysd_seconds = float("nan")
            if result.passed:
                result.reason = f"(PySD failed: {type(exc).__name__})"
    return result


def run_suite(directory: str | Path, *, pysd: bool = True,
              stmx: bool = False) -> list[CaseResult]:
    """Run every model file of the suite in ``directory`` (``stmx``: also ``.stmx`` files)."""
    return [run_case(p, pysd=pysd) for p in find_cases(directory, stmx=stmx)]


def format_table(results: list[CaseResult]) -> str:
    """The pass/fail table with reasons and speed ratios."""
    rows = [f"{'case':<28} {'file':<42} {'result':<6} {'gysim s':>8} {'PySD s':>8} "
            f"{'PySD/gysim':>10}  reason"]
    for r in results:
        status = "pass" if r.passed else ("inval" if r.invalid else "FAIL")
        rows.append(f"{r.case[:28]:<28} {r.file[:42]:<42} {status:<6} "
                    f"{r.gysim_seconds:8.4f} {r.pysd_seconds:8.4f} {r.speedup:10.1f}  "
                    f"{r.reason[:160]}")
    n_pass = sum(r.passed for r in results)
    n_invalid = sum(r.invalid for r in results)
    valid = len(results) - n_invalid
    ratios = [r.speedup for r in results if r.passed and np.isfinite(r.speedup)]
    rows.append(f"\n{n_pass} / {valid} model files pass "
                f"({100 * n_pass / max(valid, 1):.1f}%)"
                + (f"; {n_invalid} invalid inputs (??? placeholders) not counted"
                   if n_invalid else ""))
    by_suffix = {}
    for r in results:
        if not r.invalid:
            total, ok = by_suffix.get(Path(r.file).suffix.lower(), (0, 0))
            by_suffix[Path(r.file).suffix.lower()] = (total + 1, ok + r.passed)
    if len(by_suffix) > 1:
        rows.append("by format: " + ", ".join(f"{sfx} {ok}/{total}"
                                               for sfx, (total, ok) in sorted(by_suffix.items())))
    fallbacks = [r for r in results if r.fallback]
    rows.append(f"{len(fallbacks)} model files read element by element (scalar fallback)"
                + "".join(f"\n  {r.case}/{r.file}: {r.fallback}" for r in fallbacks))
    if ratios:
        rows.append(f"run time PySD/gysim on passing cases: median {np.median(ratios):.1f}x, "
                    f"min {min(ratios):.1f}x, max {max(ratios):.1f}x; "
                    f"gysim faster in {sum(x > 1 for x in ratios)} of {len(ratios)}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: ``python -m gysim.conformance DIR [--no-pysd]``."""
    parser = argparse.ArgumentParser(prog="python -m gysim.conformance",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("directory", help="folder of test-model cases")
    parser.add_argument("--no-pysd", action="store_true", help="do not time PySD")
    parser.add_argument("--stmx", action="store_true", help="also run Stella .stmx files")
    args = parser.parse_args(argv)
    results = run_suite(args.directory, pysd=not args.no_pysd, stmx=args.stmx)
    print(format_table(results))
    return 0 if all(r.passed or r.invalid for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
