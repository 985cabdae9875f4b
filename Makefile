# fangkong — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

PYTHON ?= $(shell for p in python3.13 python3.12 python3.11; do command -v $$p >/dev/null && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 1
THREADS ?= 32
PG_URL ?= postgres://postgres@127.0.0.1:5432/fangkong
export FANGKONG_DATA_DIR ?= $(CURDIR)/var

.PHONY: run serve install install-test install-bench lock test lint check test-sqlite test-postgres fuzz chromium bench clean messages screenshots

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "fangkong needs Python 3.11 or newer on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The application's dependencies are installed from the lock files in requirements/ (every
# version pinned, every file checked against its hash), then the package itself without its
# dependencies: two installs get the same versions. pyproject.toml keeps the ranges; `make lock`
# turns them into the lock files. A lock that no longer satisfies pyproject.toml is refused
# before anything is installed, and `pip check` proves the result complete.
LOCK_CHECK = $(BIN)/python scripts/check_lock.py
define install_locked
	$(LOCK_CHECK) $(1)
	$(BIN)/pip install -q --require-hashes -r $(1)
	$(BIN)/pip install -q --no-deps -e .
	$(BIN)/pip check >/dev/null || { $(BIN)/pip check; exit 1; }
endef

$(VENV)/.installed: pyproject.toml requirements/app.txt | $(BIN)/python
	$(call install_locked,requirements/app.txt)
	touch $@

$(VENV)/.installed-test: pyproject.toml requirements/test.txt | $(BIN)/python
	$(call install_locked,requirements/test.txt)
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml requirements/bench.txt | $(BIN)/python
	$(call install_locked,requirements/bench.txt)
	touch $(VENV)/.installed $(VENV)/.installed-test $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-bench: $(VENV)/.installed-bench

## make lock: refresh requirements/*.txt from pyproject.toml after a dependency was added or its
## range changed (pins that still fit are kept); `make lock UPGRADE=1` moves every pin to the
## newest release the ranges allow. bench.txt holds every extra and the two smaller files are
## resolved within it, so a package has the same version in all three.
UV_VERSION ?= 0.13.8
LOCK_FLAGS = --universal --python-version 3.11 --generate-hashes --quiet --custom-compile-command "make lock" \
  $(if $(UPGRADE),--upgrade,)
lock: | $(BIN)/python
	$(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip compile pyproject.toml --extra test --extra bench $(LOCK_FLAGS) -o requirements/bench.txt
	$(BIN)/uv pip compile pyproject.toml --extra test -c requirements/bench.txt $(LOCK_FLAGS) -o requirements/test.txt
	$(BIN)/uv pip compile pyproject.toml -c requirements/bench.txt $(LOCK_FLAGS) -o requirements/app.txt
	$(LOCK_CHECK) requirements/app.txt requirements/test.txt requirements/bench.txt
	echo "requirements/ refreshed: commit it with pyproject.toml"

## make run: set up, migrate, load the demo city when empty, serve with granian on http://$(HOST):$(PORT)
run: install
	$(BIN)/fangkong migrate --noinput -v0
	$(BIN)/fangkong collectstatic --noinput -v0
	# Loads the demo city (and prints its logins) only when the database is empty; otherwise reprints the logins.
	if $(BIN)/fangkong demo | tee /dev/stderr | grep -q "nothing loaded"; then $(BIN)/fangkong demo --logins; fi
	echo "Serving http://$(HOST):$(PORT)/  (Ctrl-C stops; data stays in $(FANGKONG_DATA_DIR))"
	# The background worker (large ledger imports, notifications) runs beside the web server and stops with it.
	$(BIN)/fangkong db_worker --no-reload -v0 & worker=$$!
	# The daily-report reminders and escalations: a pass every minute, nothing sent twice.
	$(BIN)/fangkong send_reminders --loop -v0 & reminders=$$!
	trap 'kill $$worker $$reminders 2>/dev/null' EXIT INT TERM
	# One web process with 32 threads: requests waiting on the database overlap, and on PostgreSQL
	# all the pass checks in hand share one statement (bench/passes.py measures this setting). The
	# background worker and the reminders run in their own processes beside it.
	$(BIN)/granian --interface wsgi --host $(HOST) --port $(PORT) --workers $(WORKERS) \
	  --blocking-threads $(THREADS) --respawn-failed-workers --no-access-log fangkong.config.wsgi:application

## make test: lint, type-check, Django checks, migrations and OpenAPI drift, then the suite on SQLite and PostgreSQL
test: install-test chromium lint check test-sqlite test-postgres fuzz
	echo "make test: all checks, both database runs and the API fuzzing passed"

## make screenshots: every demo role's home page (and a few pages each) on a phone and a desktop, and
## the command picture at 1920×1080 (large screen, desk) and 390×844 (phone), into var/screenshots/
screenshots: install-test chromium
	$(BIN)/python scripts/screenshots.py
	FANGKONG_SCREENSHOTS=var/screenshots $(BIN)/pytest -q tests/command/test_browser_command.py -p no:cacheprovider

# Chromium runs the browser tests; poppler-utils (pdftoppm, pdftotext) checks the documents' PDF layout.
chromium:
	if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ]; then
	  if [ "$$(id -u)" = 0 ]; then
	    export DEBIAN_FRONTEND=noninteractive
	    apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk poppler-utils >/dev/null
	  else
	    echo "Debian's chromium is missing and this is not root: browser tests cannot run"
	    if [ "$${CI:-}" = "true" ]; then exit 1; fi
	  fi
	fi

lint: install-test
	$(BIN)/ruff check fangkong tests bench
	$(BIN)/mypy fangkong

check: install-test
	$(BIN)/fangkong check --fail-level WARNING
	DEBUG=0 FANGKONG_SECURE=1 SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  PASSES_KEY_SECRET=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(60))') \
	  FANGKONG_FIELD_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))') \
	  ALLOWED_HOSTS=fangkong.example.org $(BIN)/fangkong check --deploy --fail-level WARNING
	$(BIN)/fangkong makemigrations --check --dry-run
	$(BIN)/fangkong openapi --check
	$(BIN)/python scripts/check_messages.py
	$(LOCK_CHECK) requirements/app.txt requirements/test.txt requirements/bench.txt

test-sqlite: install-test
	$(BIN)/pytest -p no:randomly

test-postgres: install-test
	if ! $(BIN)/python scripts/pg_ready.py "$(PG_URL)"; then
	  if [ "$${CI:-}" = "true" ]; then echo "PostgreSQL at $(PG_URL) is unreachable"; exit 1; fi
	  echo "PostgreSQL unreachable: the PostgreSQL run is skipped (CI=true makes this a failure)"; exit 0
	fi
	DATABASE_URL="$(PG_URL)" $(BIN)/pytest

## make fuzz: schemathesis over the committed openapi.json against the real server (granian, a fresh
## SQLite demo city, an API token of the demo office): fails on any 5xx or answer off its schema.
fuzz: install-test
	$(BIN)/python scripts/fuzz_api.py

## make bench: the benchmarks, with their figures printed
bench: install-bench chromium
	# wrk (Debian's package) loads the verification endpoint from a second process at C speed;
	# without it bench/passes.py falls back to Python load processes (which take CPU from the server).
	if ! command -v wrk >/dev/null && [ "$$(id -u)" = 0 ]; then
	  export DEBIAN_FRONTEND=noninteractive
	  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
	fi
	$(BIN)/python bench/run.py --database-url "$(PG_URL)_bench"
	$(BIN)/python bench/ledger.py --database-url "$(PG_URL)_bench" --million
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/hostile_ledger.py
	$(BIN)/python bench/abuse.py
	$(BIN)/python bench/passes.py --database-url "$(PG_URL)_passes_bench"
	$(BIN)/python bench/deployment.py --database-url "$(PG_URL)_bench"
	$(BIN)/python bench/reports.py --database-url "$(PG_URL)_reports_bench"
	$(BIN)/python bench/reminders.py --database-url "$(PG_URL)_bench"
	$(BIN)/python bench/supervision.py --database-url "$(PG_URL)_bench"
	$(BIN)/python bench/golive.py --database-url "$(PG_URL)_bench"
	$(BIN)/python bench/publicity.py --database-url "$(PG_URL)_publicity_bench"
	$(BIN)/python bench/donations.py --database-url "$(PG_URL)_donations_bench"

## make messages: refresh the zh_Hans catalogues. An app with its own locale/ folder keeps its messages there;
## the project catalogue (fangkong/locale) holds the rest.
messages: install-test
	cd fangkong
	own=$$(for d in */locale; do [ "$$d" != "locale" ] && echo "$${d%/locale}"; done)
	for app in $$own; do (cd $$app && ../../$(BIN)/fangkong makemessages -l zh_Hans --no-obsolete -v0); done
	../$(BIN)/fangkong makemessages -l zh_Hans --no-obsolete -v0 $$(for app in $$own; do echo "--ignore=$$app/*"; done)
	../$(BIN)/fangkong compilemessages -l zh_Hans -v0
	cd .. && $(BIN)/python scripts/check_messages.py

clean:
	rm -rf $(VENV) var
