"""Earth4All as published: gysim and PySD against Vensim's own output, one run each.

Reads ``E4A-global-TLTL.mdl`` (the Earth4All global model, TLTL scenario,
from ``../shared/real-models/earth4all``, or the folder given with
``--folder``) with :func:`gysim.read_vensim` and with PySD, runs each once
(Euler, TIME STEP 1/64, 1980-2100, saving every step as Vensim did), and
compares every variable of Vensim's output (``vensim-output-tltl/*.txt.gz``)
with both: a variable agrees when its largest relative error over time is at
most ``--rtol`` (default 1e-3). Prints read and run times side by side, the
agreement counts, and the worst variables of gysim.

The published file calls RANDOM PINK NOISE with a standard deviation of 0
(``"STD in fluctuation around normal (1)" = 0``), so the noise equals its
mean. A gysim without RANDOM PINK NOISE cannot read the file as published;
``--substitute-noise`` then reads a temporary copy where that one call is
replaced by its mean argument (exact for this scenario) and says so.

Usage::

    python benchmarks/bench_earth4all.py
    python benchmarks/bench_earth4all.py --substitute-noise --worst 30
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

import gysim
from gysim.conformance import compare_with_vensim, load_vensim_table

HERE = Path(__file__).resolve().parent
DEFAULT_FOLDER = HERE.parents[1] / "shared" / "real-models" / "earth4all"
MODEL = "E4A-global-TLTL.mdl"
_NOISE = "RANDOM PINK NOISE("


def noise_substituted(text: str) -> str:
    """The model text with each RANDOM PINK NOISE(mean, ...) replaced by its mean."""
    text = re.sub(r"\\\r?\n\s*", "", text)  # Vensim's line continuations
    while _NOISE in text:
        start = text.index(_NOISE)
        pos, depth, quoted, args, arg_start = start + len(_NOISE), 1, False, [], None
        arg_start = pos
        while depth:
            char = text[pos]
            if char == '"':
                quoted = not quoted
            elif not quoted and char == "(":
                depth += 1
            elif not quoted and char == ")":
                depth -= 1
            if not quoted and depth == 1 and char == "," or depth == 0:
                args.append(text[arg_start:pos].strip())
                arg_start = pos + 1
            pos += 1
        text = text[:start] + args[0] + text[pos:]
    return text


def model_file(folder: Path, substitute: bool, tmp: Path) -> Path:
    path = folder / MODEL
    if not substitute:
        return path
    copy = tmp / MODEL
    copy.write_text(noise_substituted(path.read_text(encoding="utf-8")), encoding="utf-8")
    return copy


def run_gysim(path: Path):
    t0 = time.perf_counter()
    model = gysim.read_vensim(path)
    t1 = time.perf_counter()
    ds = gysim.simulate(model, saveper=model.saveper)
    t2 = time.perf_counter()
    return model, ds, t1 - t0, t2 - t1


def run_pysd(path: Path, tmp: Path, times: np.ndarray, table: dict, rtol: float):
    """PySD's read and run times and its agreement count (None if PySD fails)."""
    import pysd
    copy = tmp / ("pysd_" + path.name)
    copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            model = pysd.read_vensim(str(copy))
            t1 = time.perf_counter()
            out = model.run(return_timestamps=None)
            t2 = time.perf_counter()
    except Exception as exc:  # PySD's own failure is a result here
        print(f"PySD failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}")
        return None
    ok = 0
    columns = {re.sub(r"\s+", " ", str(c)).strip().lower(): c for c in out.columns}
    for name, expected in table.items():
        col = columns.get(re.sub(r"\s+", " ", name).strip().lower())
        if col is None or len(out[col]) != len(expected):
            continue
        actual = out[col].to_numpy(dtype=float)
        error = np.abs(actual - expected) / np.maximum(np.abs(expected), 1e-9)
        ok += bool(np.nanmax(error) <= rtol) and not np.isnan(error).any()
    return t1 - t0, t2 - t1, ok


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--rtol", type=float, default=1e-3)
    parser.add_argument("--worst", type=int, default=15, help="worst variables shown")
    parser.add_argument("--substitute-noise", action="store_true",
                        help="replace RANDOM PINK NOISE by its mean (STD is 0 in the file)")
    parser.add_argument("--no-pysd", action="store_true")
    args = parser.parse_args(argv)
    if not (args.folder / MODEL).is_file():
        print(f"no {MODEL} in {args.folder}")
        return 1
    times, table = load_vensim_table(sorted((args.folder / "vensim-output-tltl").glob("*.txt*")))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = model_file(args.folder, args.substitute_noise, tmp)
        if args.substitute_noise:
            print("RANDOM PINK NOISE replaced by its mean (exact: its STD is 0 in this file)")
        model, ds, read_s, run_s = run_gysim(path)
        rows = compare_with_vensim(ds, model, times, table)
        agree = [r for r in rows if r.within(args.rtol)]
        pysd_result = None if args.no_pysd else run_pysd(path, tmp, times, table, args.rtol)
    n = len(rows)
    print(f"{n} variables in Vensim's output; agreement within {args.rtol:g} relative "
          f"(max over {len(times)} times)")
    print(f"{'tool':<6} {'read s':>8} {'run s':>8} {'agree':>7}")
    print(f"{'gysim':<6} {read_s:8.2f} {run_s:8.2f} {len(agree):4d}/{n}")
    if pysd_result is not None:
        p_read, p_run, p_ok = pysd_result
        print(f"{'PySD':<6} {p_read:8.2f} {p_run:8.2f} {p_ok:4d}/{n}")
        print(f"run time PySD/gysim: {p_run / run_s:.1f}x")
    missing = [r.name for r in rows if r.ident is None]
    if missing:
        print(f"not in gysim's run: {missing}")
    print(f"worst {args.worst} of gysim:")
    for r in sorted(rows, key=lambda r: -r.max_relative_error)[:args.worst]:
        print(f"  {r.max_relative_error:10.3g}  {r.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
