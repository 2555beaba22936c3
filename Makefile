# Kantoor — the few commands a developer needs. Every target creates .venv when missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PYTEST_ARGS ?=

.PHONY: venv demo test test-pg lint types check bench messages openapi clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-* && touch $@

# Create .venv and install Kantoor with its dev dependencies (every target does this when needed).
venv: $(STAMP)

# Install, migrate the embedded SQLite database, load the demo company and serve it on :8000.
demo: $(STAMP)
	$(BIN)/kantoor demo
	$(BIN)/kantoor serve

# Install the dev dependencies and run the whole suite on SQLite.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The suite on PostgreSQL (KANTOOR_DATABASE_URL, default: role kantoor on 127.0.0.1).
test-pg: $(STAMP)
	KANTOOR_DATABASE_URL=$${KANTOOR_DATABASE_URL:-postgres://kantoor:kantoor@127.0.0.1:5432/kantoor} \
		$(BIN)/python -m pytest $(PYTEST_ARGS)

# ruff lint and format check, then the architecture's import contracts.
lint: $(STAMP)
	$(BIN)/ruff check kantoor tests conftest.py
	$(BIN)/ruff format --check kantoor tests conftest.py
	$(BIN)/lint-imports

# mypy with django-stubs.
types: $(STAMP)
	$(BIN)/mypy kantoor conftest.py

# Everything CI checks: lint, types, migrations up to date, OpenAPI current, tests.
check: lint types
	$(BIN)/kantoor makemigrations --check --dry-run
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Benchmark scenarios on a fresh database (e.g. make bench ARGS="parties --count 100000").
bench: $(STAMP)
	$(BIN)/kantoor bench $(ARGS)

# Refresh the Dutch translations after adding strings.
messages: $(STAMP)
	cd kantoor && ../$(BIN)/kantoor makemessages -l nl --no-obsolete && ../$(BIN)/kantoor compilemessages

# Rewrite the committed OpenAPI document after an API change.
openapi: $(STAMP)
	$(BIN)/kantoor export_openapi_schema --api kantoor.api.api --indent 2 --sorted > kantoor/openapi.json

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
