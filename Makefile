# fashion-tui: `make run` and `make test` set up everything they need in .venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run test lint screenshots bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: reinstall only when pyproject.toml changes.
$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed-app

run: $(VENV)/.installed-app
	$(BIN)/fashion-tui $(ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check tui widgets tests benchmarks
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -p no:cacheprovider

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-app

# Figures, not pass/fail: the app in a pseudo-terminal on the real data, and the look-alikes.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m benchmarks.bench_app $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.bench_neighbors

screenshots: $(VENV)/.installed-test
	$(BIN)/python -m tui.screenshots screenshots

clean:
	rm -rf $(VENV) build *.egg-info
