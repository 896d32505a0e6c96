# LLMscope: `make run` sets everything up and serves the product; `make test` sets up and
# runs the tests. Without DATABASE_URL/REDIS_URL both use the embedded mode (SQLite, tasks
# in-process); with them, PostgreSQL, Redis, and (for `run`) a Celery worker and beat.

PYTHON ?= python3
PORT ?= 8000
HOST ?= 127.0.0.1
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
# Where the server is reached: the demo probe calls the built-in demo LLM through it.
export LLMSCOPE_PUBLIC_URL ?= http://$(HOST):$(PORT)

.PHONY: run test setup lint format migrate clean sdk

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.installed: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/uplot/dist/uPlot.iife.min.js static/vendor/uPlot.iife.min.js
	cp node_modules/uplot/dist/uPlot.min.css static/vendor/uPlot.min.css
	touch $@

setup: $(VENV)/.installed static/vendor/.installed
	mkdir -p var

migrate: setup
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --noinput

# Ctrl-C stops the web server and, in Redis mode, the worker and beat started beside it.
run: migrate
	@DEBUG=$${DEBUG:-1} $(PY) manage.py demo
	@echo "A fresh API key for the demo project (ingest, read):"
	@DEBUG=$${DEBUG:-1} $(PY) manage.py create_api_key demo demo --name "make run" --scopes ingest,read
	@if [ -n "$$REDIS_URL" ]; then \
	  trap 'kill 0' INT TERM EXIT; \
	  DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A llmscope_site worker --loglevel=info --concurrency=4 & \
	  DEBUG=$${DEBUG:-1} $(VENV)/bin/celery -A llmscope_site beat --loglevel=info --schedule=var/celerybeat-schedule & \
	  DEBUG=$${DEBUG:-1} $(PY) manage.py serve --host $(HOST) --port $(PORT); \
	else \
	  DEBUG=$${DEBUG:-1} $(PY) manage.py serve --host $(HOST) --port $(PORT); \
	fi

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

# The Python client package (SDK and host agent) as a wheel and sdist in dist/.
sdk: setup
	$(PY) -m build --outdir dist sdk/python

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) node_modules static/vendor var .pytest_cache dist
