# Every target sets itself up from a fresh clone: it creates .venv and installs
# skot (with the extras the target needs) before running.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: demo test bench doc lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip setuptools wheel

# One stamp per set of extras; re-installs when the metadata changes.
$(VENV)/.stamp-base: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e ".[demo]"
	touch $@
$(VENV)/.stamp-test: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e ".[test,dask]"
	touch $@
$(VENV)/.stamp-bench: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e ".[bench]"
	touch $@
$(VENV)/.stamp-doc: setup.cfg pyproject.toml | $(BIN)/python
	$(PIP) -e ".[doc]"
	touch $@

demo: $(VENV)/.stamp-base
	MPLBACKEND=Agg $(BIN)/python -m skot demo

test: $(VENV)/.stamp-test
	MPLBACKEND=Agg $(BIN)/python -m pytest -n 2 --dist loadfile --durations=20 $(PYTEST_ARGS)

bench: $(VENV)/.stamp-bench
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

lint: $(VENV)/.stamp-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.stamp-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

doc: $(VENV)/.stamp-doc
	MPLBACKEND=Agg $(BIN)/python -m sphinx -W --keep-going -b html doc doc/_build/html

clean:
	rm -rf $(VENV) doc/_build doc/auto_examples doc/generated skot-demo
