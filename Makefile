# mediebild: the two commands of the README, and a few more.
#   make demo   create .venv, install, run the bundled incident end to end (offline)
#   make test   create .venv, install with test extras, run the test suite
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
OUT ?= demo-out

.PHONY: demo test bench clean help
.DEFAULT_GOAL := help

help:
	@echo "make demo   - install and run the bundled incident scenario (offline) into $(OUT)/"
	@echo "make test   - install with test extras and run the test suite"
	@echo "make bench  - print throughput figures (ingest, enrich, stories, digest)"
	@echo "make look   - render the demo digest and brief to PNG (pdftoppm, headless chromium) in look-out/look/"
	@echo "make clean  - remove the virtual environment and demo output"

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/mediebild demo --out $(OUT)

test: $(VENV)/.installed-test
	$(BIN)/mypy -p mediebild
	$(BIN)/python -m pytest

bench: $(VENV)/.installed
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(OUT) .prefect

-include mk/*.mk
