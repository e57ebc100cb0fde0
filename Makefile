# OpenSBC appliance. Two entry points: `make iso` and `make test`.
# Both install what they need (Debian packages when root, a virtual environment).
SHELL := /bin/bash
PYTHON ?= /usr/bin/python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PHASE := tools/phase
export PHASE_LOG := build/phases.log

.PHONY: all iso test lint unit boot bench clean distclean venv deps cockpit

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

# The web console page (appliance/cockpit): npm ci when package-lock.json is newer than
# node_modules, then esbuild (build.js) writes appliance/cockpit/dist/opensbc.
COCKPIT := appliance/cockpit
COCKPIT_MODULES := $(COCKPIT)/node_modules/.package-lock.json

$(COCKPIT_MODULES): $(COCKPIT)/package-lock.json $(COCKPIT)/package.json
	tools/host-deps build
	cd $(COCKPIT) && npm ci --no-audit --no-fund
	touch $@

cockpit: $(COCKPIT_MODULES)
	cd $(COCKPIT) && NODE_ENV=production node build.js

iso: $(STAMP) cockpit
	@mkdir -p build
	tools/host-deps build
	$(PY) build.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy appliance/sbc installer firstboot imagebuild benchmarks build.py

unit: $(STAMP) cockpit
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
	$(PY) -m pip install -q -e '.[build,test,bench]'
	$(PY) -m benchmarks

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis $(COCKPIT)/dist

distclean: clean
	rm -rf $(VENV) $(COCKPIT)/node_modules
