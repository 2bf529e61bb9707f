# The README's two commands: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT

.PHONY: run test install setup lint bench clean-db

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[embedded,dev]'
	touch $@

# Database (embedded unless DATABASE_URL is set), migrations, seed data, admin account.
setup: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seed
	$(PY) manage.py ensure_admin

run: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# Our app, the floor (same SQL, no Django) and Datasette under wrk: see bench/README.md.
# CASES=10000 for a quick run, REGENERATE=1 to rebuild the demo database, DURATION=10s per request.
bench:
	$(PY) bench/run.py

# Stop and delete the embedded database (it is made anew on the next run).
clean-db:
	rm -rf .pgdata
