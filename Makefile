# The project's commands. `make run` and `make test` set up whatever is missing first.
HOST ?= 127.0.0.1
PORT ?= 5000
PYTHON ?= python3
# make bench SIZE=demo|large DB=sqlite|postgresql|both ROUNDS=n
SIZE ?= large
DB ?= sqlite
ROUNDS ?= 10
# Test processes (pytest-xdist): one per core; a module's tests stay in one process, so its
# module fixtures (the demo practice several modules build) are made once. WORKERS=0: one process.
# Each run ends with its slowest tests, to see where the time goes.
WORKERS ?= auto
PARALLEL := -n $(WORKERS) --dist loadscope --durations=15
# The browser tests drive the pages, which are the same whatever the database: they run in
# the SQLite pass; the PostgreSQL pass runs everything else (every web and service test).
BROWSER := tests/browser
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-sqlite test-postgresql demo bench lint screenshots system-run system-test

# The pages (gunicorn) and one background worker, started and stopped (Ctrl-C) together.
run: system-run $(VENV)/.run-installed
	$(BIN)/practice db upgrade
	@echo "Serving on http://$(HOST):$(PORT)/ with a background worker"
	$(BIN)/practice serve --host $(HOST) --port $(PORT)

test: system-test $(VENV)/.test-installed
	@echo "=== Test suite on SQLite (with the browser tests) ==="
	$(BIN)/python -m pytest --db=sqlite $(PARALLEL)
	@echo "=== Test suite on PostgreSQL (a throwaway cluster; the browser tests ran above) ==="
	$(BIN)/python -m pytest --db=postgresql $(PARALLEL) --ignore=$(BROWSER)

test-sqlite: $(VENV)/.test-installed
	$(BIN)/python -m pytest --db=sqlite $(PARALLEL)

test-postgresql: $(VENV)/.test-installed
	$(BIN)/python -m pytest --db=postgresql $(PARALLEL) --ignore=$(BROWSER)

# Refresh the README tour's pictures from the browser tests, and its letter pages from the demo.
screenshots: system-test $(VENV)/.test-installed
	PRACTICE_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest --db=sqlite tests/browser
	$(BIN)/python tools/letter_pages.py docs/screenshots 2>/dev/null

# Not part of `make test`: builds (or reuses, from bench/.cache/) a large practice, times every
# main page and the long jobs against their baselines, writes bench/results/latest.md and .json.
bench: system-test $(VENV)/.test-installed
	$(BIN)/python -m bench --size $(SIZE) --db $(DB) --rounds $(ROUNDS)

demo: $(VENV)/.run-installed
	$(BIN)/practice db upgrade
	$(BIN)/practice demo

lint: $(VENV)/.test-installed
	$(BIN)/python -m pip install -q ruff
	$(BIN)/ruff check practice referrals tests bench

system-run:
	@tools/system-packages run

system-test:
	@tools/system-packages test

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[postgres]'
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.run-installed
