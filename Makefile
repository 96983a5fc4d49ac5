# Two commands on a fresh machine: `make run` (the app with demo data) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000
PG_PROBE_URL ?= postgresql://postgres@127.0.0.1:5432/test
AXE_JS := .cache/axe/node_modules/axe-core/axe.min.js

.PHONY: run test lint install install-dev browser-deps serve bench clean mutation

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Coplan needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	$(BIN)/flask search rebuild
	@echo "Coplan is running at http://$(HOST):$(PORT)/ (Ctrl+C to stop)"
	$(BIN)/flask run --host $(HOST) --port $(PORT) --no-debugger --no-reload

# Several workers, as in production (PostgreSQL via DATABASE_URL recommended).
serve: install
	$(BIN)/flask db upgrade
	$(BIN)/gunicorn --workers 3 --bind $(HOST):$(PORT) wsgi:app

# Debian's Chromium and its driver for the browser tests; skipped tests say why if this fails.
browser-deps:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "Installing chromium and chromium-driver for the browser tests"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	    || echo "Could not install chromium: browser tests will be skipped"; \
	else echo "chromium/chromedriver not found and cannot install them: browser tests will be skipped"; fi
	@# axe-core (npm) for the accessibility checks in tests/browser/test_accessibility_browser.py.
	@if [ -f $(AXE_JS) ]; then :; elif command -v npm >/dev/null; then \
	  echo "Installing axe-core for the accessibility tests"; \
	  npm install --silent --no-audit --no-fund --prefix .cache/axe axe-core@4.14 >/dev/null \
	    || echo "Could not install axe-core: accessibility tests will be skipped"; \
	else echo "npm not found: accessibility tests will be skipped"; fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The suite runs in parallel, one pytest-xdist worker per core; each worker has its own SQLite
# files and PostgreSQL schema. loadgroup keeps tests marked xdist_group(name) on one worker.
# PYTEST_WORKERS=0 runs it in one process; PYTEST_ARGS adds options (PYTEST_ARGS="-x tests/x.py").
PYTEST_WORKERS ?= auto
PYTEST_ARGS ?=
PYTEST := $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)
test: install-dev browser-deps
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	@if [ -z "$$TEST_DATABASE_URL" ] && $(BIN)/python scripts/pg_ready.py "$(PG_PROBE_URL)"; then \
	  echo "PostgreSQL answers on 127.0.0.1:5432: the suite runs on SQLite and PostgreSQL"; \
	  TEST_DATABASE_URL="$(PG_PROBE_URL)" $(PYTEST); \
	else $(PYTEST); fi

bench: install-dev
	$(BIN)/python bench/bench_diff.py

# Mutation testing of the permission rules, form helpers and core (see [tool.mutmut] in
# pyproject.toml). Slow, so not part of `make test` or CI; mutmut is installed only here.
# MUTATE=app/policy.py limits a run to one file's mutants; MUTMUT_CHILDREN sets parallelism.
MUTATE ?=
MUTMUT_CHILDREN ?= 2
mutation: install-dev
	@$(BIN)/python -c 'import mutmut' 2>/dev/null || $(BIN)/pip install --quiet 'mutmut>=3.3,<4'
	TEST_DATABASE_URL= $(BIN)/mutmut run --max-children $(MUTMUT_CHILDREN) \
	  $(if $(MUTATE),"$(subst /,.,$(basename $(MUTATE))).*")
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
