# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.test-installed
export PAYEROPT_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: demo test lint venv clean bench chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Exact pins in constraints.txt; ranges in pyproject.toml.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name payeropt --display-name "payeropt (Python 3.11)" >/dev/null
	touch $@

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/payeropt demo --out out/demo

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Debian's chromium for the packet browser test (Playwright cannot download browsers here).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The notebooks' defaults point at the demo practice: build it if this clone has none.
out/demo/payeropt.sqlite: | $(STAMP)
	$(BIN)/payeropt demo --out out/demo

# lint-imports: the architecture contracts in pyproject.toml. --durations=15: the slowest
# tests, printed at the end of every run.
test: $(TEST_STAMP) chromium out/demo/payeropt.sqlite
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --dist loadfile --durations=15 tests
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:randomly notebooks

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check payeropt_lib tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/import_charges.py

clean:
	rm -rf out .pytest_cache .ruff_cache
