# The two commands a newcomer needs: `make demo` and `make test`. Each installs what is
# missing (venv, Python packages, node packages, compiler, brownie networks) first.
SHELL := /bin/bash
# The newest supported interpreter on PATH (3.13, 3.12, 3.11, then python3 if it fits:
# tools/pythons.sh); `make PYTHON=/path/to/python3.x` chooses another.
PYTHON ?= $(shell bash tools/pythons.sh pick)
NO_PYTHON := no supported Python found: this project needs Python 3.11, 3.12 or 3.13 (python3.13, python3.12 or python3.11 on PATH, or a python3 of one of those versions). Install one (Debian/Ubuntu: apt-get install python3.12-venv or python3.11-venv; macOS: brew install python@3.13; or pyenv) or run make PYTHON=/path/to/python3.x
VENV := .venv
PY := $(VENV)/bin/python
BROWNIE := $(VENV)/bin/brownie
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
BUILD_STAMP := build/.compiled
CONTRACTS := $(shell find contracts -name '*.sol' 2>/dev/null)
PYTEST_ARGS ?=

.PHONY: test-pythons lint-strict migration install matching-native toolchain compile chain deploy serve demo test test-contracts test-backend browser test-postgres test-anvil lint bench bench-matching bench-orders bench-settlement gas soak chaos slither clean fuzz-env fuzz fuzz-compliance

install: $(PY_STAMP) $(NODE_STAMP) toolchain matching-native

$(PY_STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || { test -n "$(PYTHON)" || { echo "$(NO_PYTHON)" >&2; exit 1; }; $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The compiler (solcjs fallback) and brownie's ganache networks live outside the repo.
toolchain: $(PY_STAMP) $(NODE_STAMP)
	@$(PY) tools/setup_toolchain.py

# The matching core compiled with mypyc (tools/matching_native.py): about twice as fast, same
# behaviour. Rebuilt when a source changes; never fails the run: if the compile fails it says
# so and backend.matching runs as pure Python (as it also does, with a warning, on a build
# older than its sources). backend.matching.COMPILED tells which one runs.
MATCHING_STAMP := .mypyc/.built

matching-native: $(MATCHING_STAMP)

$(MATCHING_STAMP): $(wildcard backend/matching/*.py) tools/matching_native.py $(PY_STAMP)
	-@$(PY) tools/matching_native.py build
	@mkdir -p $(@D) && touch $@

compile: $(BUILD_STAMP)

$(BUILD_STAMP): $(CONTRACTS) brownie-config.yaml | toolchain
	$(BROWNIE) compile
	@touch $@

# make passes no SIGKILL, and not always a SIGTERM, on to its recipe: the recipe execs the command
# (make is its parent) with RWA_STOP_WITH_PARENT=1, so the chain, the service and the demo stop,
# with their nodes, when make is killed.
chain: install
	RWA_STOP_WITH_PARENT=1 exec $(PY) -m backend.cli chain

deploy: compile
	$(PY) -m backend.cli deploy

serve: compile matching-native
	RWA_STOP_WITH_PARENT=1 exec $(PY) -m backend.cli serve

# DEMO_EXIT=1 runs the scenario and exits (CI does); otherwise it serves until Ctrl-C.
demo: compile matching-native
	DEMO_EXIT=$(DEMO_EXIT) RWA_STOP_WITH_PARENT=1 exec $(PY) -m backend.cli demo

test: compile
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-contracts
	$(MAKE) --no-print-directory test-backend
	$(MAKE) --no-print-directory test-postgres
	$(MAKE) --no-print-directory test-anvil
	@if [ -n "$$(bash tools/pythons.sh others $$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'))" ]; then \
		$(MAKE) --no-print-directory test-pythons; fi

# The unit tests and the demo again on every other supported Python this machine has (3.11-3.13,
# tools/pythons.sh; each in its own .venv-py3.X); `make test` runs it when there is one. The
# full run stays on .venv's interpreter. PYTHONS="/path/python3.12 ..." names them instead (e.g.
# pyenv's installed but unselected versions, whose shims on PATH do not run).
PYTHONS ?=
TEST_PYTHONS_PORT ?= 8096
TEST_PYTHONS_CHAIN_PORT ?= 8596

test-pythons: compile
	@others="$(PYTHONS)"; test -n "$$others" || others=$$(bash tools/pythons.sh others $$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')); \
	if [ -z "$$others" ]; then echo "test-pythons: no other supported Python (3.11-3.13) on PATH"; exit 0; fi; \
	for python in $$others; do \
		v=$$($$python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); venv=.venv-py$$v; \
		echo "== Python $$v ($$python): unit tests and the demo in $$venv"; \
		{ test -x $$venv/bin/python || $$python -m venv $$venv; } && \
		$$venv/bin/python -m pip install --quiet --upgrade pip && \
		$$venv/bin/python -m pip install --quiet -c requirements.lock -e '.[dev]' && \
		$$venv/bin/python -m pytest tests/backend -q -x -p no:pytest-brownie $(PYTEST_ARGS) && \
		RWA_STATE_DIR=.rwa/py$$v $$venv/bin/python -m backend.cli demo --exit \
			--port $(TEST_PYTHONS_PORT) --chain-port $(TEST_PYTHONS_CHAIN_PORT) || exit 1; \
	done

# brownie launches its own ganache on the network's port (8560); a second run on the same
# machine picks another: make test-contracts CONTRACTS_NETWORK=rwa-ganache-8561 (8561-8579).
CONTRACTS_NETWORK ?= rwa-ganache-test

test-contracts: compile
	$(BROWNIE) test tests/contracts --network $(CONTRACTS_NETWORK)

# The peer engines of requirements-bench.lock (the bench stamp) are required here: their
# agreement test (tests/backend/test_bench_peers.py) fails, not skips, when one is missing.
test-backend: compile browser fuzz-env matching-native $(VENV)/.bench-installed
	RWA_REQUIRE_PEERS=1 $(PY) -m pytest $(PYTEST_ARGS)
	@if $(PY) -c 'import sys, backend.matching as m; sys.exit(not m.COMPILED)'; then \
		echo "matching suite again on the pure-Python core (RWA_MATCHING_PURE=1)"; \
		RWA_REQUIRE_PEERS=1 RWA_MATCHING_PURE=1 $(PY) -m pytest tests/backend/matching tests/backend/test_bench_peers.py -q $(PYTEST_ARGS); fi

# Debian's chromium for the browser tests (Playwright's own browser download needs the
# internet); installed with apt-get, through sudo when not root.
browser:
	@command -v chromium >/dev/null || test -x "$$RWA_CHROMIUM" || (sudo=$$(test "$$(id -u)" = 0 || command -v sudo); \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium)

# The service's integration tests again, on a real PostgreSQL (installed and started by
# tools/postgres.sh) instead of SQLite.
test-postgres: compile
	url=$$(bash tools/postgres.sh) && RWA_TEST_DATABASE_URL=$$url RWA_TEST_CHAIN_PORT=8564 \
		$(PY) -m pytest tests/backend/test_migrations.py tests/integration --deselect tests/integration/test_demo.py \
		--deselect tests/integration/test_readme_examples.py --deselect tests/integration/test_process_cleanup.py $(PYTEST_ARGS)

# The trading and settlement tests again on anvil instead of ganache (RWA_TEST_NODE=anvil:
# tests/support/live_stack.py starts the node it names; docs/toolchain.md). About 3 minutes.
ANVIL_TESTS := tests/integration/test_node_kind.py tests/integration/test_trade_flow.py tests/integration/test_order_entry.py \
	tests/integration/test_settlement_batches.py tests/integration/test_settlement_recovery.py \
	tests/integration/test_settlement_backlog.py tests/integration/test_chain_cancels.py \
	tests/integration/test_reconcile_ledger.py tests/integration/test_distributions.py
TEST_ANVIL_PORT ?= 8590

test-anvil: compile
	RWA_TEST_NODE=anvil RWA_TEST_CHAIN_PORT=$(TEST_ANVIL_PORT) $(PY) -m pytest $(ANVIL_TESTS) $(PYTEST_ARGS)

# A new Alembic revision from the difference between the models and the migrations:
# make migration MESSAGE="add x"
migration: install
	$(PY) -m backend.db_migration "$(MESSAGE)"

# ruff's rules and formatting, and mypy on backend/ and bench/ (.pre-commit-config.yaml runs the same);
# solhint on contracts/ (.solhint.json: why some rules are off is in docs/toolchain.md).
lint: install
	$(VENV)/bin/ruff check backend bench tests scripts tools
	$(VENV)/bin/ruff format --check backend bench tests scripts tools
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache  # the layer contracts in pyproject.toml
	node_modules/.bin/solhint --max-warnings 0 --disc 'contracts/**/*.sol'

lint-strict: lint  # the old name of the same checks

# Figures printed and written to docs/benchmarks.md (never asserted in tests). Each part
# owns its section of that file; run one alone with its own target.
bench: bench-matching bench-orders bench-settlement

# Matching core beside pip-installable peer engines on identical seeded streams (peers from
# requirements-bench.lock; one that fails to install is reported and left out, not fatal).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): requirements-bench.lock $(PY_STAMP)
	@grep -v '^#' requirements-bench.lock | grep . | while read -r req; do \
		$(PY) -m pip install --quiet -c requirements.lock "$$req" \
			|| echo "bench-matching: could not install $$req: reported as not benchmarked"; done
	@touch $@

bench-matching: $(BENCH_STAMP) matching-native
	$(PY) -m bench.matching_peers
	$(PY) -m bench.auction_uncross

# REST order entry: signed limit orders/s and latency, beside a bare FastAPI endpoint; then the batch
# endpoint (50 orders a request), DELETE and cancel-batch.
bench-orders: compile
	$(PY) -m bench.order_entry

# Settlement trades/s and gas per trade, batch sizes 1/10/50, on ganache and anvil (each
# started on ports 8580-8581; RWA_BENCH_NODES=anvil for one node, see bench/settlement/).
bench-settlement: compile
	$(PY) -m bench.settlement

# Gas of a compliant transfer, settle() of 1/10/50/100 trades (bench population) and a revenue claim (docs/gas.md).
gas: compile
	$(BROWNIE) test tests/contracts/test_gas_report.py tests/contracts/test_settlement_gas.py -s --network $(CONTRACTS_NETWORK)

# Slither static analysis (own virtualenv; findings triaged in docs/security.md). Fails on any
# high-impact finding; SLITHER_ARGS adds slither options (e.g. --exclude-low).
SLITHER_VENV := .venv-slither
SLITHER_STAMP := $(SLITHER_VENV)/.installed
SLITHER_ARGS ?=

$(SLITHER_STAMP):
	@test -x $(SLITHER_VENV)/bin/python || $(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/python -m pip install --quiet slither-analyzer==0.11.6
	@touch $@

slither: $(SLITHER_STAMP) toolchain
	bash tools/slither.sh --fail-high $(SLITHER_ARGS)

# Order entry's pre-trade compliance check against the chain's detectTransferRestriction, both
# sides of FUZZ_COMPLIANCE_CASES random trades (make test runs 1,000 with a fixed seed); a fresh
# seed each run unless FUZZ_COMPLIANCE_SEED is given; RWA_TEST_CHAIN_PORT picks the chain's port.
# docs/reliability.md, "Compliance differential".
FUZZ_COMPLIANCE_CASES ?= 10000
FUZZ_COMPLIANCE_SEED ?= $(shell date +%s)
fuzz-compliance: compile
	RWA_FUZZ_CASES=$(FUZZ_COMPLIANCE_CASES) RWA_FUZZ_SEED=$(FUZZ_COMPLIANCE_SEED) $(PY) -m pytest \
		tests/integration/test_order_compliance_differential.py -k both_sides -q -s -p no:pytest-brownie

# Faults and load with figures (docs/reliability.md), each on its own ganache and service.
# chaos: CHAOS_KILLS=20 SIGKILLs under a steady order flow through POST /v1/orders/batch (CHAOS_BATCH=20
# orders a request; 0: one by one), then a CHAOS_OUTAGE_SECONDS=20 chain outage.
# soak: SOAK_RATE=1000 orders/s for SOAK_MINUTES=10, open loop; CI runs the bounded versions
# (tests/integration/test_chaos.py, test_soak_smoke.py).
chaos: compile
	$(PY) -m bench.chaos

soak: compile
	$(PY) -m bench.soak

clean:
	rm -rf build .rwa reports .mypyc backend/matching/*.so

# schemathesis needs a far newer hypothesis than eth-brownie pins, so it gets a virtualenv of
# its own; tests/integration/test_schemathesis.py drives its CLI against a live server.
FUZZ_VENV := .venv-fuzz
# Python 3.11.7's ast trips hypothesis inside schemathesis's coverage phase ("AST constructor
# recursion depth mismatch"); a newer interpreter does not.
FUZZ_PYTHON ?= $(shell bash tools/fuzz_python.sh)
FUZZ_STAMP := $(FUZZ_VENV)/.installed

fuzz-env: $(FUZZ_STAMP)

$(FUZZ_STAMP): requirements-fuzz.lock
	@test -x $(FUZZ_VENV)/bin/python || $(FUZZ_PYTHON) -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(FUZZ_VENV)/bin/python -m pip install --quiet -r requirements-fuzz.lock
	@touch $@

# The schemathesis run alone, with its figures (RWA_FUZZ_MAX_EXAMPLES, RWA_FUZZ_SEED).
fuzz: compile fuzz-env
	$(PY) -m pytest tests/integration/test_schemathesis.py -s -q $(PYTEST_ARGS)
