# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench docs clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install when the package metadata changes.
$(STAMP): $(PY) setup.cfg pyproject.toml
	$(PY) -m pip install --quiet -e ".[test,netcdf,parallel,notebooks,fonts,docs,optimize,bayes,compiled]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m gysim_models.demo --out results

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/bench_ensemble.py
	$(PY) benchmarks/bench_dimensions.py
	$(PY) benchmarks/bench_sensitivity.py
	$(PY) benchmarks/bench_posterior.py
	$(PY) benchmarks/bench_compiled.py
	GYSIM_PARITY_ALL=1 $(PY) -m pytest -q tests/test_backend_parity.py

# The documentation site: API pages from the docstrings, every notebook executed.
docs: $(STAMP)
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

clean:
	rm -rf $(VENV) results benchmarks/results docs/_build docs/generated
