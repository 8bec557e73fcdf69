# robodojo's two commands: `make demo` (the main job) and `make test`.
# Each creates .venv on first use and reinstalls when the package metadata changes.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.robodojo-installed
REPORT_DIR ?= reports/demo

.PHONY: demo test test-slow lint bench install clean ros-peer-deps browser-deps

$(INSTALLED): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev,train]"
	@touch $@

install: $(INSTALLED)

demo: $(INSTALLED)
	$(PY) -m robodojo.evaluation.demo --out $(REPORT_DIR)

# One pytest worker per core (pytest-xdist): 5 min instead of 10 on 2 cores. Tests share no files
# or ports; each makes its own tmp_path and DDS domain.
# OPENBLAS_CORETYPE: the bit-exact fingerprints were recorded with OpenBLAS's AVX2 kernels; its
# AVX-512 ones round differently (see tests/conftest.py).
test: $(INSTALLED) ros-peer-deps browser-deps lint
	OPENBLAS_CORETYPE=Haswell $(PY) -m pytest -m "not slow" -q -n auto --dist worksteal

# The layers (import-linter: an upward import or a cycle fails), lint and format (ruff), types (mypy).
lint: $(INSTALLED)
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# tests/test_ros_peer.py builds a C peer against Debian's CycloneDDS 0.10 (the C library ROS 2
# Humble/Jazzy ship). Installed here when missing, if we are root with apt; otherwise that test
# skips and says why.
ros-peer-deps:
	@if { [ ! -e /usr/include/dds/dds.h ] || ! command -v gcc >/dev/null 2>&1; } \
	    && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's cyclonedds-dev and gcc for the ROS 2 peer test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      cyclonedds-dev gcc libc6-dev pkg-config; } >/dev/null 2>&1 \
	    || echo "could not install cyclonedds-dev; tests/test_ros_peer.py will skip"; \
	fi

# tests/test_html_report.py loads the demo's index.html in headless Chromium. Debian's chromium is
# installed here when no Chromium is found, if we are root with apt; otherwise that test skips and
# says why.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
	    && ! command -v google-chrome >/dev/null 2>&1 \
	    && command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium for the HTML report test"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium; } >/dev/null 2>&1 \
	    || echo "could not install chromium; tests/test_html_report.py's browser test will skip"; \
	fi

test-slow: $(INSTALLED)
	OPENBLAS_CORETYPE=Haswell $(PY) -m pytest -m slow -q

bench: $(INSTALLED)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[bench]"
	$(PY) benchmarks/bench_fall_recovery.py
	$(PY) benchmarks/bench_weld.py
	$(PY) benchmarks/bench_transport.py
	$(PY) benchmarks/bench_legged.py

clean:
	rm -rf $(VENV) build dist *.egg-info reports .import_linter_cache .mypy_cache .ruff_cache
