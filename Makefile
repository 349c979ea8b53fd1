# Smooth LMS. `make run` serves the embedded install; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench lint check-python clean mariadb-driver scorm-runtime

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null || { \
	  echo "error: Smooth LMS needs Python >= 3.11; '$(PYTHON)' is $$($(PYTHON) --version 2>&1 || echo missing). Use PYTHON=/path/to/python3.11 make ..." >&2; exit 1; }

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(VENV)/.installed $@

# The SCORM runtime (scorm-again, pinned in package-lock.json): installed with `npm ci` when missing.
scorm-runtime: | check-python
	@$(PYTHON) scripts/scorm_runtime.py $(SCORM_RUNTIME_FLAGS)

run: check-python $(VENV)/.installed scorm-runtime
	@$(BIN)/python scripts/run_embedded.py --port $(PORT)

# The MariaDB driver is an extra: installed when the client headers are there, else MariaDB is skipped.
mariadb-driver: $(VENV)/.dev-installed
	@if ! $(BIN)/python -c 'import MySQLdb' 2>/dev/null && { pkg-config --exists libmariadb || pkg-config --exists mariadb; } 2>/dev/null; then \
	  $(BIN)/python -m pip install --quiet -e '.[dev,mariadb]'; fi

test: SCORM_RUNTIME_FLAGS = --required
test: check-python $(VENV)/.dev-installed mariadb-driver scorm-runtime
	@$(BIN)/python scripts/run_tests.py $(ARGS)

bench: check-python $(VENV)/.dev-installed mariadb-driver
	@$(BIN)/python bench/run.py

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) var/test_* var/test-* node_modules smoothlms/portal/static/vendor
