# The workshop's commands. `make` (or `make help`) lists them.
#
# Every target that needs MongoDB depends on `db`, which uses the server at
# $MONGODB_URI if one answers and starts the development server otherwise.

SHELL := bash
.DEFAULT_GOAL := help
export MONGODB_URI ?= mongodb://127.0.0.1:27017
export MONGODB_DB ?= reddit
export RUST_LOG ?= info
# Which development server `make db` starts when nothing answers: empty (the
# Rust one, or the Python one when it cannot be built), rust or python.
export DB_SERVER ?=

DATASET ?= datasets/reddit-1000.jsonl
export CARGO ?= cargo
# The build `make step08`, `make step09` and `make step10` run: dev (debug) or release.
export CARGO_PROFILE ?= dev
# How many instances of search and of web `make step09` and `make step10` run.
SCALE ?= 1

.PHONY: help run test check api-fuzz fmt fmt-check clippy docs-check db db-stop db-status data stats step06 step08 step09 step10 diff bench docs clean

help: ## List the targets
	@if [ -t 1 ]; then bold=$$(printf '\033[1m'); plain=$$(printf '\033[0m'); fi; \
	awk -v b="$$bold" -v p="$$plain" 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %s%-10s%s %s\n", b, $$1, p, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "  Variables: MONGODB_URI=$(MONGODB_URI) MONGODB_DB=$(MONGODB_DB) RUST_LOG=$(RUST_LOG) DB_SERVER=$(DB_SERVER)"

run: step10 ## Run the newest complete step (step10) with its database and dataset

# step08's /browse tests drive a real headless Chromium through chromedriver;
# without either they are skipped, loudly (`.ci/run` installs both, so CI
# always runs them). The tests look for the browser under the same names.
HAVE_BROWSER := $(and $(shell command -v chromedriver 2>/dev/null),$(shell command -v chromium chromium-browser google-chrome 2>/dev/null))
BROWSER_TESTS := $(if $(HAVE_BROWSER),,STEP08_BROWSER_TESTS=skip)
# step10's load smoke test drives wrk; without it, the test is skipped,
# loudly (`.ci/run` installs it).
LOAD_TEST := $(if $(shell command -v wrk 2>/dev/null),,STEP10_LOAD_TEST=skip)

test: db ## Run every test (with step10's load smoke test; starts the development database if needed) and validate the Compose files and Kubernetes manifests
	@$(if $(BROWSER_TESTS),echo "make test: chromedriver or Chromium not found: step08's browser tests are SKIPPED (apt-get install chromium chromium-driver)")
	@$(if $(LOAD_TEST),echo "make test: wrk not found: step10's load smoke test is SKIPPED (apt-get install wrk)")
	$(BROWSER_TESTS) $(LOAD_TEST) $(CARGO) test --workspace
	@scripts/check-compose.sh
	@scripts/check-k8s.sh

check: fmt-check clippy test api-fuzz docs-check ## What CI runs: fmt check, clippy -D warnings, every test, the OpenAPI fuzz, the guide's links

api-fuzz: db ## The REST engine, every step 9 service and step 10's new and changed ones against their OpenAPI documents: schemathesis (pinned), no 5xx, no contradiction
	@scripts/api-fuzz.sh

fmt: ## Format the code
	$(CARGO) fmt --all

fmt-check: ## Check the formatting without changing a file
	$(CARGO) fmt --all -- --check

clippy: ## Lint the code
	$(CARGO) clippy --workspace --all-targets -- -D warnings

db: ## Make MongoDB reachable at MONGODB_URI (builds once, then starts SecantusDB's Rust server if nothing answers)
	@scripts/db.sh start

db-stop: ## Stop the database that `make db` started
	@scripts/db.sh stop

db-status: ## Say what answers at MONGODB_URI, and which server it is
	@scripts/db.sh status

data: db ## Load the shipped dataset into MONGODB_DB (idempotent)
	$(CARGO) run -q -p datasets -- import $(DATASET)

stats: db ## Summarise what is loaded
	$(CARGO) run -q -p datasets -- stats

step06: data ## Serve step06-monolith at http://127.0.0.1:5000
	$(CARGO) run -p step06-monolith

step08: data ## Serve step08-rest: the API at :5002 and the pages at :5000 (Ctrl-C stops both)
	$(CARGO) build --profile $(CARGO_PROFILE) -p step08-rest --bins
	@echo "step08: the API at http://127.0.0.1:$${API_PORT:-5002}, the pages at http://127.0.0.1:$${WEB_PORT:-5000} (Ctrl-C stops both)"
	@scripts/run-procfile.sh step08-rest/Procfile

STEP09_BINS := $(foreach s,posts search recommend tags sync web,--bin step09-$(s))
# Every search instance, for the web front and sync (instance k on 5003 + 100·k).
STEP09_SEARCH_URL := $(shell for k in $$(seq 0 $$(( $(SCALE) - 1 ))); do printf 'http://127.0.0.1:%d,' $$((5003 + 100 * k)); done | sed 's/,$$//')

step09: data ## Serve step09-services: six programs, the pages at :5000 (SCALE=2: two search and two web instances)
	@test "$(SCALE)" -ge 1 -a "$(SCALE)" -le 9 2>/dev/null || { echo "SCALE must be a number from 1 to 9"; exit 2; }
	$(CARGO) build --profile $(CARGO_PROFILE) $(STEP09_BINS)
	@echo "step09: the pages at http://127.0.0.1:5000$(if $(filter-out 1,$(SCALE)), (and :5100 … for the other web instances)); search at $(STEP09_SEARCH_URL) (Ctrl-C stops all)"
	@SEARCH_URL=$(STEP09_SEARCH_URL) scripts/run-procfile.sh step09-services/Procfile -c search=$(SCALE),web=$(SCALE)

STEP10_BINS := $(foreach s,posts search recommend tags sync likes shares hide jobs web,--bin step10-$(s))

step10: data ## Serve step10-async: ten programs, the pages at :5000 (SCALE as for step09)
	@test "$(SCALE)" -ge 1 -a "$(SCALE)" -le 9 2>/dev/null || { echo "SCALE must be a number from 1 to 9"; exit 2; }
	$(CARGO) build --profile $(CARGO_PROFILE) $(STEP10_BINS)
	@echo "step10: the pages at http://127.0.0.1:5000$(if $(filter-out 1,$(SCALE)), (and :5100 … for the other web instances)); search at $(STEP09_SEARCH_URL) (Ctrl-C stops all)"
	@SEARCH_URL=$(STEP09_SEARCH_URL) scripts/run-procfile.sh step10-async/Procfile -c search=$(SCALE),web=$(SCALE)

diff: ## Show what a step changed: make diff FROM=step08-rest TO=step09-services
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make diff FROM=<step folder> TO=<step folder>"; exit 2; }
	@from=$$(ls -d $(FROM)* 2>/dev/null | head -1); to=$$(ls -d $(TO)* 2>/dev/null | head -1); \
	test -d "$$from" -a -d "$$to" || { echo "no such step folder: $(FROM) or $(TO)"; exit 2; }; \
	git diff --no-index -M --stat "$$from" "$$to"; git diff --no-index -M "$$from" "$$to"; \
	test $$? -le 1 # git diff exits 1 when the folders differ

bench: db ## Measure every step against a reference server, side by side (QUICK=1: a short run; docs/src/bench.md); writes bench-report.md and its charts
	BENCH_QUICK=$(QUICK) scripts/bench.sh

docs: ## Build the workshop guide into target/book/ (mdBook, pinned, built once into the tool cache)
	@scripts/docs.sh build

docs-check: ## Build the guide, then check its includes, links and anchors offline (lychee)
	@scripts/docs.sh check

clean: ## Remove build output (the database in .dev/ stays)
	$(CARGO) clean
