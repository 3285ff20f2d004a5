# Two commands do all set-up on a fresh machine:
#   make demo   — virtual environment, install, migrate the embedded SQLite database, load demo data,
#                 serve API and web on http://127.0.0.1:8000 and print the demo logins
#   make test   — install what the tests need (test extras, Debian's Chromium, PostgreSQL when missing)
#                 and run every test: on SQLite, then again on a throwaway PostgreSQL server
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
CONSTRAINTS := -c constraints.txt
export TELCOCRM_DATA_DIR ?= var

.PHONY: demo test test-sqlite test-postgres lint bench bench-batch bench-floor bench-loyalty bench-churn install install-test chromium java wrk clean

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade "pip>=24"

install: $(VENV)/bin/activate
	$(PIP) install $(CONSTRAINTS) -e .

install-test: $(VENV)/bin/activate
	$(PIP) install $(CONSTRAINTS) -e ".[postgres,spark,test]"

demo: install
	$(VENV)/bin/telcocrm demo

# Debian's Chromium drives the browser tests; Playwright cannot download its own browser here.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# Spark (the batch's second engine) needs Java; Debian's headless JRE when the machine has none.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing Debian's Java runtime for Spark"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

lint: install-test
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

test-sqlite: install-test chromium java
	$(PY) -m pytest -q

# On PostgreSQL: everything that touches the operational database (engine-only analytics tests ran above).
test-postgres: install-test java
	scripts/with-postgres.sh $(PY) -m pytest -q -m "not e2e" --ignore=tests/analytics

test: lint test-sqlite test-postgres

# The HTTP benchmarks drive the server with Debian's wrk.
wrk:
	@command -v wrk >/dev/null 2>&1 || { if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq wrk >/dev/null; }

# Figures for docs/benchmarks.md. Full size (1M customers) takes a while; BENCH_CUSTOMERS=20000 for a quick run.
BENCH_CUSTOMERS ?= 1000000
bench: install-test wrk
	$(PY) benchmarks/bench_customer_import.py --customers $(BENCH_CUSTOMERS)
	scripts/with-postgres.sh sh -c '$(PY) benchmarks/bench_customer_import.py --customers $(BENCH_CUSTOMERS) --database-url "$$TELCOCRM_TEST_DATABASE_URL"'
	scripts/with-postgres.sh $(PY) benchmarks/bench_http.py --customers $(BENCH_CUSTOMERS)

# The monthly batch (issue 3): synth, import, ingest 12 months, run the last on DuckDB and on Spark.
BENCH_SUBSCRIBERS ?= 1000000
bench-batch: install-test java
	$(PY) benchmarks/bench_batch.py --subscribers $(BENCH_SUBSCRIBERS) --spark

# The run against the least work any run must do (benchmarks/bench_batch_floor.py), on PostgreSQL.
bench-floor: install-test
	scripts/with-postgres.sh sh -c '$(PY) benchmarks/bench_batch.py --subscribers $(BENCH_SUBSCRIBERS) --database-url "$$TELCOCRM_TEST_DATABASE_URL" --floor'

# Redemption over HTTP (issue 4): customers with points, 50 clients redeeming on PostgreSQL, then the ledger
# checked. BENCH_LOYALTY_CUSTOMERS=2000 for a smoke run (about 30 s).
BENCH_LOYALTY_CUSTOMERS ?= 100000
# The churn model at 1M subscribers × 12 months: every month run, the model trained and the last month scored.
bench-churn: install-test
	$(PY) benchmarks/bench_churn.py --subscribers $(BENCH_SUBSCRIBERS)

bench-loyalty: install-test wrk
	TELCOCRM_PG_OPTIONS="-c shared_buffers=1GB" scripts/with-postgres.sh \
	  $(PY) benchmarks/bench_redemption.py --customers $(BENCH_LOYALTY_CUSTOMERS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
