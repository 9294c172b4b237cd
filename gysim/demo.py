"""The main job behind ``make demo``: run a model and an ensemble, write the results.

Run it as ``python -m gysim.demo --out results``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from .examples import population_model
from .simulate import simulate


def main(argv: list[str] | None = None) -> int:
    """Run the demo and write NetCDF files under ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m gysim.demo", description=__doc__)
    parser.add_argument("--out", default="results", help="folder for the results")
    parser.add_argument("--runs", type=int, default=10_000, help="ensemble size")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    model = population_model()
    ds = simulate(model)
    ds.to_netcdf(out / "population_single.nc")
    print(f"single run of '{model.name}': population 2010 = {float(ds.population[-1]):.1f} "
          f"{ds.population.attrs['units']}")

    rng = np.random.default_rng(1)
    samples = {"birth_rate": rng.uniform(0.008, 0.02, args.runs),
               "death_rate": rng.uniform(0.004, 0.01, args.runs)}
    tic = time.perf_counter()
    ens = simulate(model, params=samples)
    elapsed = time.perf_counter() - tic
    ens.to_netcdf(out / "population_ensemble.nc")
    q = ens.population.sel(time=2010).quantile([0.05, 0.5, 0.95]).values
    print(f"ensemble of {args.runs} runs in {elapsed:.2f} s: population 2010 "
          f"5%/50%/95% = {q[0]:.1f} / {q[1]:.1f} / {q[2]:.1f}")
    print(f"results written to {out}/")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
