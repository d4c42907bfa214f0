# The two commands of the README:
#   make run    create the environment, install, migrate, start the server (SQLite, sandbox Okta)
#   make test   install what the tests need (Chromium included) and run every check
.DEFAULT_GOAL := help
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --disable-pip-version-check -q -c constraints.txt
# The Postgres the suite must also pass on (mandatory: unreachable means failure, not a skip).
export ONBOARD_TEST_POSTGRES_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# Parallel workers (pytest-xdist), one per core: each has its own databases and ports. A worker
# that runs out of tests takes some of another's queue (worksteal), so neither waits for the other.
PYTEST_WORKERS ?= -n auto --dist worksteal

.PHONY: help run install install-test browser test test-live lint typecheck pytest constraints bench-smoke clean

help:
	@echo "make run    start the wizard on http://127.0.0.1:8000 (first run prints a setup link)"
	@echo "make test   install test dependencies and Chromium, then run lint, types and the whole suite"
	@echo "make test-live  run each vendor's onboarding against a real Okta org (see README)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) -e .
	@touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/onboard db upgrade
	$(BIN)/onboard serve

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) -e '.[test]'
	@touch $@

install-test: $(VENV)/.installed-test browser

# Debian's Chromium, driven by Playwright (Playwright's own browser download does not work here).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "Installing Chromium from Debian's packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; \
	fi

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app okta_sandbox tests bench migrations scripts
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

pytest: install-test
	$(BIN)/pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

test: install-test lint typecheck pytest

# Each vendor's onboarding against a real Okta org (ONBOARD_LIVE_OKTA_URL, ONBOARD_LIVE_OKTA_TOKEN);
# the person's steps are prompted on the terminal (-s). Skipped, saying why, without the variables.
test-live: $(VENV)/.installed-test
	$(BIN)/pytest tests/live_okta/test_live_okta.py -m live_okta -s -rs -p no:cacheprovider $(PYTEST_ARGS)

constraints:
	rm -rf /tmp/onboard-constraints && $(PYTHON) -m venv /tmp/onboard-constraints
	/tmp/onboard-constraints/bin/pip install -q -e '.[test]'
	/tmp/onboard-constraints/bin/pip freeze --exclude-editable | grep -v '^-e ' > constraints.body
	head -3 constraints.txt | cat - constraints.body > constraints.txt.new && mv constraints.txt.new constraints.txt && rm constraints.body

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
