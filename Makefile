# The workshop's commands. `make` (or `make help`) lists them.
#
# Every target that needs MongoDB depends on `db`, which uses the server at
# $MONGODB_URI if one answers and starts the development server otherwise.

SHELL := bash
.DEFAULT_GOAL := help
export MONGODB_URI ?= mongodb://127.0.0.1:27017
export MONGODB_DB ?= reddit
export RUST_LOG ?= info

DATASET ?= datasets/reddit-1000.jsonl
CARGO ?= cargo

.PHONY: help run test check fmt clippy db db-stop db-status data stats step06 step08 diff bench docs clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  \033[1m%-10s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)
	@echo
	@echo "  Variables: MONGODB_URI=$(MONGODB_URI) MONGODB_DB=$(MONGODB_DB) RUST_LOG=$(RUST_LOG)"

run: step08 ## Run the newest complete step (step08) with its database and dataset

# step08's /browse test drives a real headless Chromium; without chromedriver
# it is skipped, loudly (`.ci/run` installs Chromium, so CI always runs it).
BROWSER_TESTS := $(if $(shell command -v chromedriver 2>/dev/null),,STEP08_BROWSER_TESTS=skip)

test: db ## Run every test (starts the development database if needed) and validate the compose files
	@$(if $(BROWSER_TESTS),echo "make test: chromedriver not found: step08's browser test is SKIPPED (apt-get install chromium chromium-driver)")
	$(BROWSER_TESTS) $(CARGO) test --workspace
	@scripts/check-compose.sh

check: db ## fmt check, clippy with -D warnings, then every test
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(BROWSER_TESTS) $(CARGO) test --workspace
	@scripts/check-compose.sh

fmt: ## Format the code
	$(CARGO) fmt --all

clippy: ## Lint the code
	$(CARGO) clippy --workspace --all-targets -- -D warnings

db: ## Make MongoDB reachable at MONGODB_URI (starts SecantusDB if nothing answers)
	@scripts/db.sh start

db-stop: ## Stop the database that `make db` started
	@scripts/db.sh stop

db-status: ## Say what answers at MONGODB_URI
	@scripts/db.sh status

data: db ## Load the shipped dataset into MONGODB_DB (idempotent)
	$(CARGO) run -q -p datasets -- import $(DATASET)

stats: db ## Summarise what is loaded
	$(CARGO) run -q -p datasets -- stats

step06: data ## Serve step06-monolith at http://127.0.0.1:5000
	$(CARGO) run -p step06-monolith

step08: data ## Serve step08-rest: the API at :5002 and the pages at :5000 (Ctrl-C stops both)
	@scripts/run-step08.sh

diff: ## Show what a step changed: make diff FROM=step06-monolith TO=step08-rest
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make diff FROM=<step folder> TO=<step folder>"; exit 2; }
	@from=$$(ls -d $(FROM)* 2>/dev/null | head -1); to=$$(ls -d $(TO)* 2>/dev/null | head -1); \
	test -d "$$from" -a -d "$$to" || { echo "no such step folder: $(FROM) or $(TO)"; exit 2; }; \
	git diff --no-index --stat "$$from" "$$to"; git diff --no-index "$$from" "$$to"; \
	test $$? -le 1 # git diff exits 1 when the folders differ

bench: db ## Measure throughput and latency (see docs/src/bench.md); writes bench-report.md
	scripts/bench.sh

docs: ## Build the workshop guide (needs mdbook: cargo install mdbook)
	@command -v mdbook >/dev/null || { echo "mdbook is not installed: cargo install mdbook (or read docs/src/ as Markdown)"; exit 1; }
	mdbook build docs

clean: ## Remove build output (the database in .dev/ stays)
	$(CARGO) clean
