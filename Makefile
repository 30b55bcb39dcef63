# therapy-db: `make migrate` and `make test` set up everything on a fresh machine.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: migrate test soak bench golden lint psql db-start db-stop clean

migrate: $(INSTALLED)  ## create .venv if missing, install, upgrade the database to head
	$(BIN)/alembic upgrade head

test: $(INSTALLED)  ## the whole suite on its own throwaway server; then its calendar tests, clock moved
	$(BIN)/pytest
	$(BIN)/python -m tests.clock

soak: $(INSTALLED)  ## fault, traffic, hostile-data tests bigger: more rows, kill points, examples
	THERAPY_DB_SOAK=1 LIVE_TRAFFIC_ROWS=$(or $(SOAK_ROWS),200000) $(BIN)/pytest \
		tests/migrations/test_live_traffic.py tests/migrations/test_crash_safety.py \
		tests/migrations/test_hostile_*.py

bench: $(INSTALLED)  ## the benchmark suite: one table of figures against baselines (docs/PERFORMANCE.md)
	$(BIN)/python -m scripts.bench

golden: $(INSTALLED)  ## write each revision's SQL to alembic/golden/ (commit them with the revision)
	$(BIN)/python -m app.operations.checksums

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

psql: $(INSTALLED)  ## a psql shell on the embedded database (stops the server on exit)
	$(BIN)/python -m app.runtime.embedded psql

db-start: $(INSTALLED)  ## the embedded server in the foreground for other terminals (PORT= for TCP)
	$(BIN)/therapy-db db serve $(if $(PORT),--port $(PORT))

db-stop: $(INSTALLED)  ## stop the embedded server, whoever started it
	$(BIN)/python -m app.runtime.embedded stop

clean: db-stop
	rm -rf $(VENV) .pgdata .pytest_cache .ruff_cache .hypothesis *.egg-info

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "therapy-db needs Python 3.11 or newer; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when the package's metadata changes; the install is editable.
$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@
