# SciPlan — the commands. `make` alone lists them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
HOST ?= 127.0.0.1
PORT ?= 8000
# make bench: city (2,000 applications) or province (2,000, then 20,000 over 220 recommending units)
SCALE ?= city

.DEFAULT_GOAL := help
.PHONY: help setup run test test-fast test-e2e test-prod check audit bench schema clean

help: ## List the commands
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed node_modules/.installed ## Install everything (Debian packages, Python, static assets)
	./scripts/install-system-deps.sh

run: setup ## Set up and serve SciPlan at http://127.0.0.1:8000 with demo data (SQLite, local files)
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py seed_demo --if-empty
	@echo "SciPlan: http://$(HOST):$(PORT)/  (demo accounts: see README.md)"
	$(PY) manage.py runserver $(HOST):$(PORT)

test: setup ## Set up and run the whole test suite (PostgreSQL when DATABASE_URL says so), browser tests included
	./scripts/install-system-deps.sh --browser
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PYTEST) -q
	$(MAKE) --no-print-directory test-prod

# Production settings for the test run: DEBUG off (so demo mode, the technical error page and DEBUG's
# argument checks are off), manifest static files, a throw-away secret. Only the TLS redirect is left to
# the proxy, since the test client speaks plain HTTP.
PROD_ENV := SCIPLAN_DEBUG=0 SCIPLAN_SSL_REDIRECT=0 SCIPLAN_VAR_DIR=var/prod-test SCIPLAN_FUZZ_EXAMPLES=1,2 \
	SCIPLAN_SECRET_KEY=test-only-$$(date +%s)-secret-key-long-enough-for-production-settings-xx \
	SCIPLAN_ALLOWED_HOSTS=testserver,127.0.0.1,localhost

test-prod: setup ## The security and core suites under production settings (DEBUG off, production middleware)
	$(PROD_ENV) $(PY) manage.py collectstatic --no-input -v 0
	$(PROD_ENV) $(PYTEST) -q -p no:cacheprovider -m "not e2e" tests/security tests/core

test-fast: setup ## The suite without browser tests
	$(PYTEST) -q -m "not e2e"

test-e2e: setup ## Only the browser tests
	./scripts/install-system-deps.sh --browser
	$(PYTEST) -q -m e2e

check: setup audit ## Lint, types, Django checks (also against production settings), the committed API schema
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy src
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run -v 0
	$(PY) manage.py openapi_schema --check
	SCIPLAN_DEBUG=0 SCIPLAN_SECRET_KEY=check-only-$$(date +%s)-secret-key-long-enough-for-deploy-check-xx \
		SCIPLAN_ALLOWED_HOSTS=sciplan.example.cn $(PY) manage.py check --deploy --fail-level WARNING

audit: setup ## Security scan: known-vulnerable dependencies (pip-audit) and ruff's bandit rules (S)
	@# A known vulnerability fails the target; an unreachable advisory service (offline CI) only warns.
	@out=$$($(VENV)/bin/pip-audit --skip-editable --progress-spinner off 2>&1); rc=$$?; echo "$$out"; \
	if [ $$rc -ne 0 ] && echo "$$out" | grep -q "known vulnerabilit"; then exit 1; fi; \
	if [ $$rc -ne 0 ]; then echo "pip-audit: the advisory service could not be reached; dependencies were not checked." >&2; fi
	$(VENV)/bin/ruff check --select S src

bench: setup ## The deadline-surge benchmark, production shape (nginx, PgBouncer, Celery, S3); SCALE=province adds 20,000
	./scripts/install-system-deps.sh --bench
	$(PY) bench/run.py --scale $(SCALE)

schema: setup ## Write docs/openapi.json from the served API schema (commit the diff with the API change)
	$(PY) manage.py openapi_schema

clean: ## Remove the virtual environment, local database and files
	rm -rf $(VENV) node_modules var .pytest_cache
