# robodojo's two commands: `make demo` (the main job) and `make test`.
# Each creates .venv on first use and reinstalls when the package metadata changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.robodojo-installed
REPORT_DIR ?= reports/demo

.PHONY: demo test test-slow bench install clean

$(INSTALLED): pyproject.toml setup.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,train]"
	@touch $@

install: $(INSTALLED)

demo: $(INSTALLED)
	$(PY) -m robodojo.training.demo --out $(REPORT_DIR)

test: $(INSTALLED)
	$(PY) -m pytest -m "not slow" -q

test-slow: $(INSTALLED)
	$(PY) -m pytest -m slow -q

bench: $(INSTALLED)
	$(PY) benchmarks/bench_fall_recovery.py

clean:
	rm -rf $(VENV) build dist *.egg-info reports
