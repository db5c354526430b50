# edubase — the two set-up commands are `make demo` and `make test`; both install everything.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_PY := $(VENV)/.installed
STAMP_JS := node_modules/.installed
VENDOR := src/edubase/core/static/vendor
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install browser test test-postgres lint demo serve bench bench-crypto clean

install: $(STAMP_PY) $(STAMP_JS) $(VENDOR)/.copied

$(STAMP_PY): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade 'pip>=24'
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(STAMP_JS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(VENDOR)/.copied: $(STAMP_JS)
	mkdir -p $(VENDOR)/tabler $(VENDOR)/htmx $(VENDOR)/echarts
	cp node_modules/@tabler/core/dist/css/tabler.min.css $(VENDOR)/tabler/
	cp node_modules/@tabler/core/dist/js/tabler.min.js $(VENDOR)/tabler/
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/echarts/
	mkdir -p $(VENDOR)/bpmn-js/bpmn-font/css $(VENDOR)/bpmn-js/bpmn-font/font
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/bpmn-js/
	cp node_modules/bpmn-js/dist/assets/bpmn-js.css node_modules/bpmn-js/dist/assets/diagram-js.css $(VENDOR)/bpmn-js/
	cp node_modules/bpmn-js/dist/assets/bpmn-font/css/bpmn.css $(VENDOR)/bpmn-js/bpmn-font/css/
	cp node_modules/bpmn-js/dist/assets/bpmn-font/font/bpmn.* $(VENDOR)/bpmn-js/bpmn-font/font/
	touch $@

## browser: Debian's chromium for the browser tests (never a browser download); best effort when not root
## browser: Debian's chromium for the browser tests (never a browser download) and the CJK fonts
## (fonts-wqy-zenhei is embedded into PDF documents); best effort when not root
SYSTEM_PACKAGES := chromium fonts-noto-cjk fonts-wqy-zenhei
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	     (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(SYSTEM_PACKAGES) >/dev/null 2>&1)) \
	     || echo "$(SYSTEM_PACKAGES) could not be installed: browser tests skipped, PDFs fall back to a non-embedded font"; \
	  else echo "$(SYSTEM_PACKAGES) absent and not root: browser tests skipped, PDFs fall back to a non-embedded font"; fi; \
	fi

## make test: install everything, run the whole suite (SQLite unless EDUBASE_DATABASE_URL is set)
test: install browser
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/edubase makemigrations --check --dry-run

## make demo: install, migrate, build the demo province (prints the demo logins), serve the console
## on http://$(HOST):$(PORT)/ ; DEMO_SCALE=N sets the number of schools (default 2000, ~20 persons each)
# certificates issued by the demo carry verification links to this very console
demo: export EDUBASE_PUBLIC_URL ?= http://$(HOST):$(PORT)
demo: install browser
	$(BIN)/edubase migrate --noinput
	$(BIN)/edubase collectstatic --noinput --verbosity 0
	$(BIN)/edubase crypto selftest --quick
	$(BIN)/edubase demo $(if $(DEMO_SCALE),--scale $(DEMO_SCALE)) --no-serve
	$(BIN)/edubase services publish
	$(BIN)/edubase secops publish
	$(BIN)/edubase datagov load-reference
	$(BIN)/edubase datagov_sharing publish
	$(BIN)/edubase cert publish-process
	@# the worker (timers, outbox, overdue sweeps) runs beside the server and stops with it
	$(BIN)/edubase worker & WORKER=$$!; trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/edubase serve --bind $(HOST):$(PORT)

bench: bench-crypto bench-foundation bench-workflow bench-secops bench-ingest bench-datagov bench-credentials

bench-crypto: install
	$(BIN)/python bench/crypto_bench.py

## make bench-foundation: console reads at 50,000 schools / ~1M persons on SQLite (and PostgreSQL when
## EDUBASE_DATABASE_URL names an empty database of its own); BENCH_SCALE=2000 for a quick run
.PHONY: bench-foundation
bench-foundation: install
	command -v wrk >/dev/null || apt-get install -y wrk >/dev/null || echo "未能安装 wrk：跳过 HTTP 压测"
	$(BIN)/python bench/foundation_bench.py

## make bench-workflow: 10,000 open approval cases with timers — inbox p95, timer sweep, state size
## (SQLite; PostgreSQL when EDUBASE_DATABASE_URL names an empty database of its own); BENCH_CASES=2000 for a quick run
.PHONY: bench-workflow
bench-workflow: install
	$(BIN)/python bench/workflow_bench.py

## make bench-secops: demo province with 200,000 assets / 1,000,000 findings — asset search, dashboard (rollup vs
## live) and city ledger p95, 50,000-row findings import (SQLite; PostgreSQL when EDUBASE_DATABASE_URL names an
## empty database of its own); BENCH_SCHOOLS=500 BENCH_ASSETS=20000 BENCH_FINDINGS=100000 for a quick run
.PHONY: bench-secops
bench-secops: install
	$(BIN)/python bench/secops_bench.py

## make bench-ingest: replay 1,000,000 log lines (TCP syslog + _bulk) through `edubase ingest` with the bundled rules,
## side by side with pySigma SQL over SQLite; BENCH_LINES=N for a quick run
.PHONY: bench-ingest
bench-ingest: install
	$(BIN)/python bench/ingest_bench.py

## make detection-quality: precision/recall of the bundled web-attack rules on ../shared/data/web-payloads
.PHONY: detection-quality
detection-quality: install
	$(BIN)/python bench/detection_quality.py --split holdout

## make bench-datagov: value scanning chars/s per core side by side with presidio-analyzer (same Chinese pattern
## recognizers, no NLP model), the classification quality harness (exits 1 below target), the roster quality suite
## over 5M rows and de-duplication of 25M person rows (generated once into bench/.data/); BENCH_POOL_SCALE=0.01 for a
## quick run. presidio-analyzer (and spaCy, without any model) is installed for this benchmark only.
BENCH_POOL_SCALE ?= 1
.PHONY: bench-datagov
bench-datagov: install
	$(BIN)/python -m pip install --quiet 'presidio-analyzer==2.2.366'
	$(BIN)/python bench/bench_datagov_scan.py
	$(BIN)/python bench/datagov_quality.py
	$(BIN)/python bench/bench_datagov_pool.py --scale $(BENCH_POOL_SCALE)

## make datagov-quality: precision/recall/F2 of the sensitive-data classifier on the generated labelled set
.PHONY: datagov-quality
datagov-quality: install
	$(BIN)/python bench/datagov_quality.py

## make bench-credentials: SM2 issue and verify per second per core (vs ES256 and openssl speed), then a cohort of
## 100,000 certificates issued end to end with PDFs; BENCH_CERTS=2000 for a quick run
.PHONY: bench-credentials
bench-credentials: install
	$(BIN)/python bench/bench_credentials_crypto.py
	$(BIN)/python bench/bench_credentials_cohort.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) var
