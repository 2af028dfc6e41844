# The two commands of README.md: `make run` and `make test`. Each installs what it needs.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PORT ?= 8000

.PHONY: run test bench lint seed

$(VENV)/bin/python:
	$(PY) -m venv $(VENV)

$(VENV)/.run-deps: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.run-deps

## make run: the product on its embedded default (SQLite, tasks in-process, demo data).
run: $(VENV)/.run-deps
	$(VENV)/bin/python manage.py migrate --noinput -v0
	$(VENV)/bin/python manage.py createcachetable
	$(VENV)/bin/python -m demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(VENV)/bin/python manage.py runserver 127.0.0.1:$(PORT)

## make test: lint, checks, the suite on SQLite, on PostgreSQL + Redis + a Celery worker, browsers.
test: $(VENV)/.dev-deps
	bash scripts/test.sh

## make bench: the benchmark at full scale on PostgreSQL (see README).
bench: $(VENV)/.dev-deps
	bash scripts/bench.sh $(ARGS)

lint: $(VENV)/.dev-deps
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .
