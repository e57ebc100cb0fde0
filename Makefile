# OpenSBC appliance. Two entry points: `make iso` and `make test`.
# Both install what they need (Debian packages when root, a virtual environment).
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PHASE := tools/phase
export PHASE_LOG := build/phases.log

.PHONY: all iso test lint unit boot bench clean distclean venv deps

all: iso

$(STAMP): pyproject.toml
	tools/host-deps venv
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[build,test]'
	touch $@

venv: $(STAMP)

deps:
	tools/host-deps build test

iso: $(STAMP)
	@mkdir -p build
	tools/host-deps build
	$(PY) build.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy appliance/sbc installer firstboot imagebuild benchmarks build.py

unit: $(STAMP)
	$(VENV)/bin/pytest -m "not boot" -q

boot: $(STAMP)
	$(VENV)/bin/pytest -m boot -v

test:
	@mkdir -p build && rm -f $(PHASE_LOG)
	$(PHASE) setup $(MAKE) --no-print-directory venv deps
	$(PHASE) lint $(MAKE) --no-print-directory lint
	$(PHASE) unit $(MAKE) --no-print-directory unit
	$(PHASE) iso $(MAKE) --no-print-directory iso
	$(PHASE) boot $(MAKE) --no-print-directory boot
	@echo "Phase durations:"; cat $(PHASE_LOG)

bench: $(STAMP)
	tools/host-deps test bench
	$(PY) -m benchmarks

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis

distclean: clean
	rm -rf $(VENV)
