# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PAYEROPT_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test
# The demo's audit key lives with the demo (out/), so that `make test`, which reads and
# writes the demo store, signs with the key the demo was built with (docs/audit.md).
export PAYEROPT_AUDIT_KEY_FILE ?= $(CURDIR)/out/config/payeropt/audit.key
# What the demo practice and its packet are made from: change one, and `make test` builds
# the demo again before the notebooks and the packet tests read it.
DEMO_SOURCES := $(shell find payeropt_lib notebooks templates data -type f -not -path '*/__pycache__/*') pyproject.toml

.PHONY: demo test lint venv clean bench chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One install for running and testing: exact pins in constraints.txt, ranges in
# pyproject.toml. uv installs them (pinned below, itself installed by the venv's pip): the
# same packages as pip in 4 s instead of 33 s, downloads and wheels in parallel. The packages
# are then byte-compiled on every core, as these machines set PYTHONDONTWRITEBYTECODE
# (nothing would be cached at import, and every test process would compile again).
UV_VERSION := 0.13.9
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --no-compile uv==$(UV_VERSION)
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]'
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib >/dev/null
	$(BIN)/python -m ipykernel install --sys-prefix --name payeropt --display-name "payeropt (Python 3.11)" >/dev/null
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/payeropt demo --out out/demo

# Debian's chromium for the packet browser test (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The notebooks' defaults point at the demo practice, and the packet tests read its packet:
# built afresh whenever what it is made from changed.
out/demo/index.html: $(STAMP) $(DEMO_SOURCES)
	rm -rf out/demo
	$(BIN)/payeropt demo --out out/demo

# lint-imports: the architecture contracts in pyproject.toml. One pytest run for the tests
# and the page notebooks (nbval), two workers, a file (or notebook) per worker at a time;
# the explore_* notebooks run in tests/packet/test_dashboards.py, as committed and then with
# a widget changed. --no-loadscope-reorder: files go out in collection order, which puts
# the files holding a test marked slow first (tests/conftest.py), so that no worker is left
# alone with a long file at the end. --durations=15: the slowest tests, printed at the end
# of every run.
test: $(STAMP) chromium out/demo/index.html
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	@# PYTHONDONTWRITEBYTECODE: without this, each of the ~70 processes (workers, notebook
	@# kernels, CLI runs) would compile payeropt_lib again.
	$(BIN)/python -m compileall -q -j 0 payeropt_lib tests >/dev/null
	$(BIN)/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=15 \
		--nbval-lax --nbval-current-env tests notebooks/[0-9]*.ipynb

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check payeropt_lib tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/import_charges.py

clean:
	rm -rf out .pytest_cache .ruff_cache
