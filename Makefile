# The two commands of README.md: `make run` and `make test`. Each installs what it needs.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PORT ?= 8000

.PHONY: run production test bench lint seed docs messages

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

# The translations: locale/<language>/LC_MESSAGES/django.po, compiled (.mo, not kept in git) by
# Babel's pybabel before a run and by the tests. `make messages` gathers the marked strings
# again (Django's makemessages, which needs GNU gettext: apt-get install gettext).
LOCALE_MO := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
locale/%.mo: locale/%.po $(VENV)/.run-deps
	$(VENV)/bin/pybabel compile -i $< -o $@ >/dev/null

messages: $(VENV)/.run-deps
	$(VENV)/bin/python manage.py makemessages --all --no-location --no-obsolete \
	  --ignore ".venv/*" --ignore "node_modules/*" --ignore "tests/*" --ignore "var/*" \
	  --ignore "docs/*" --ignore "demo/*" --ignore "tools/*"

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

## make run: the product on its embedded default (SQLite, demo data), with a Celery worker and
## beat on a broker of files (scripts/run.sh, Procfile.embedded).
run: $(VENV)/.run-deps $(LOCALE_MO)
	PORT=$(PORT) bash scripts/run.sh

## make production: the Procfile (gunicorn, worker, beat) on PostgreSQL and Redis on this machine.
production: $(VENV)/.run-deps $(LOCALE_MO)
	PORT=$(PORT) bash scripts/production.sh

## make test: lint, checks, the suite on SQLite, on PostgreSQL + Redis + a Celery worker, browsers.
test: $(VENV)/.dev-deps
	bash scripts/test.sh

## make bench: the benchmark at full scale on PostgreSQL (docs/benchmarks/index.md);
## ARGS="--write-docs" puts its table in that page and moves the one it replaces to history.md.
bench: $(VENV)/.dev-deps
	bash scripts/bench.sh $(ARGS)

## make docs: the manual (docs/, mkdocs.yml) served while you edit, rebuilt strictly on change.
DOCS_PORT ?= 8001
docs: $(VENV)/.dev-deps
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
