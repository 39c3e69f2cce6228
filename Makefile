# Two entry points for a newcomer: `make build` (the main job) and `make test` (the whole suite).
# Each creates or updates the virtual environment it needs; nothing is installed by hand.
SHELL := /bin/bash
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PYTEST_WORKERS ?= 2

.PHONY: build test lint typecheck unit env env-test sysdeps clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Base environment: the package, its CLI, dev tools and the emulator driver.
$(VENV)/.stamp-base: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,emu]"
	touch $@

# Test environment adds the training extra (torch, transformers, trl, peft).
$(VENV)/.stamp-train: pyproject.toml $(VENV)/.stamp-base
	$(BIN)/python -m pip install -q -e ".[dev,emu,train]"
	touch $@

env: $(VENV)/.stamp-base
env-test: $(VENV)/.stamp-train

# Debian packages the tests use (bsnes core, …): one idempotent script each in tools/sysdeps/.
sysdeps:
	@for script in tools/sysdeps/*.sh; do bash "$$script" || exit 1; done

build: env
	$(BIN)/triforce build

lint: env
	$(BIN)/ruff check src tests benchmarks scripts tools
	$(BIN)/ruff format --check src tests benchmarks scripts tools
	$(BIN)/lint-imports

typecheck: env
	$(BIN)/mypy

unit: env-test sysdeps
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) tests

test: env-test sysdeps lint typecheck unit

clean:
	rm -rf $(VENV) .cache triforce-out
