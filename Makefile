# Kartoteka: developer and CI entry points. A fresh machine needs only python3 and make:
# the venv, PostgreSQL and Redis (embedded, under .local/) and Chromium come on demand.
#
#   make run          the whole stack on http://localhost:8000 (Ctrl-C stops it; data kept)
#   make test         lint, types, migrations check and the test suite (what CI runs)
#   make bench        benchmarks (tests/benchmarks/run_all.py)
#   make help         everything else

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.install-stamp
APPS := saas_platform tenants crm billing onboarding stripe_double
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=
BENCH_ARGS ?=
CHROMIUM ?= /usr/bin/chromium
# Runs a command with DATABASE_URL/REDIS_URL set, starting embedded servers for the unset ones.
SERVICES := $(PY) scripts/services.py run --
# Settings need both URLs at import; commands that never connect (lint, types, messages)
# get placeholders instead of servers when the developer has set nothing.
NO_DB_ENV := DATABASE_URL="$${DATABASE_URL:-postgres://unused@127.0.0.1:9/unused}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:9/0}"
APT_INSTALL := DEBIAN_FRONTEND=noninteractive apt-get install -y -qq
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv install chromium gettext messages run test lint fmt bench manage \
	services-start services-stop services-status clean-local clean constraints \
	_test-inner _lint-inner

help:
	@echo "make run             start everything on http://localhost:8000 (Ctrl-C stops; data kept in .local/)"
	@echo "make test            ruff, mypy, makemigrations --check, pytest -n $(PYTEST_WORKERS) (CI: .ci/run)"
	@echo "make bench           benchmarks against embedded PostgreSQL and Redis (BENCH_ARGS=\"--workspaces 100\")"
	@echo "make lint / fmt      check / fix style and types"
	@echo "make messages        compile translations (.po -> .mo)"
	@echo "make manage ARGS=..  any manage.py command with the services up, e.g. ARGS=shell"
	@echo "make install         create $(VENV) and install the project (reinstalls when pyproject.toml or constraints.txt change)"
	@echo "make chromium        install Debian's Chromium for the browser tests (root)"
	@echo "make services-start  keep embedded PostgreSQL + Redis running; prints export lines"
	@echo "make services-stop / services-status"
	@echo "make clean-local     stop the services and DELETE local data (.local/)"
	@echo "make clean           remove $(VENV) and caches"
	@echo "make constraints     re-pin constraints.txt after changing dependencies"

# ---------------------------------------------------------------- install

$(PY):
	@if ! $(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "==> $(PYTHON) cannot create venvs; installing Debian's python3-venv"; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && $(APT_INSTALL) python3-venv; \
	  else \
	    echo "$(PYTHON) cannot create virtual environments: install python3-venv (sudo apt-get install python3-venv)"; \
	    exit 1; \
	  fi; \
	fi
	@echo "==> creating $(VENV)"
	$(PYTHON) -m venv $(VENV)

# The stamp takes the time the install *started*: a pyproject.toml edited meanwhile is newer.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	@$(PY) -m pip --version >/dev/null 2>&1 || $(PYTHON) -m venv --clear $(VENV)
	@touch $@.new
	@echo "==> installing the project and its dev tools into $(VENV) (pinned by constraints.txt)"
	$(PY) -m pip install --quiet --upgrade -c constraints.txt pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@mv $@.new $@

venv install: $(STAMP)

chromium:
	@if [ -x "$(CHROMIUM)" ]; then \
	  :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "==> $(CHROMIUM) is missing and this is not a root Debian shell: skipping."; \
	  echo "    Browser tests need it: sudo apt-get install -y chromium"; \
	else \
	  echo "==> installing Chromium (Debian package) for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && $(APT_INSTALL) chromium; \
	fi

gettext:
	@if command -v msgfmt >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	  echo "==> msgfmt (GNU gettext) is missing and this is not a root Debian shell: skipping."; \
	  echo "    Translations need it: sudo apt-get install -y gettext"; \
	else \
	  echo "==> installing GNU gettext (msgfmt) to compile translations"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && $(APT_INSTALL) gettext; \
	fi

# compilemessages walks the tree for locale/ folders: keep it out of the venv and local data.
messages: install gettext
	@if [ -z "$$(find . \( -path ./.venv -o -path ./$(VENV) -o -path ./.local -o -path ./.git -o -path ./node_modules \) -prune -o -type d -name locale -print -quit)" ]; then \
	  echo "==> no locale/ folders yet: no translations to compile"; \
	elif ! command -v msgfmt >/dev/null; then \
	  echo "==> msgfmt missing: translations not compiled"; \
	else \
	  $(NO_DB_ENV) $(PY) manage.py compilemessages --ignore=.venv --ignore='$(VENV)' --ignore=.local --ignore=node_modules -v 0; \
	fi

# ---------------------------------------------------------------- run

run: install messages
	$(PY) scripts/run.py

manage: install
	$(SERVICES) $(PY) manage.py $(ARGS)

# ---------------------------------------------------------------- checks

test: install chromium messages
	$(SERVICES) $(MAKE) _test-inner

_test-inner: _lint-inner
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(MAKE) _lint-inner

_lint-inner:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(NO_DB_ENV) $(VENV)/bin/mypy $(APPS)

fmt: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	$(SERVICES) $(PY) tests/benchmarks/run_all.py $(BENCH_ARGS)

# ---------------------------------------------------------------- services and housekeeping

services-start: install
	@$(PY) scripts/services.py start

services-stop:
	@$$( [ -x $(PY) ] && echo $(PY) || echo $(PYTHON) ) scripts/services.py stop

services-status: install
	@$(PY) scripts/services.py status

clean-local: services-stop
	rm -rf .local

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
	find . \( -path ./.local -o -path ./.git \) -prune -o -name __pycache__ -type d -exec rm -rf {} +

# Re-pin every dependency (run after editing pyproject.toml's dependencies).
constraints:
	rm -rf .constraints-venv
	$(PYTHON) -m venv .constraints-venv
	.constraints-venv/bin/pip install --quiet --upgrade pip
	.constraints-venv/bin/pip install --quiet -e '.[dev]'
	{ grep '^#' constraints.txt || true; \
	  .constraints-venv/bin/pip freeze --all --exclude-editable | grep -v -E '^(setuptools|wheel|distribute)=='; \
	} > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf .constraints-venv
	@echo "==> constraints.txt updated; review the diff"
