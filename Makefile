# rds-iam — the README's commands. Every tool a target needs is installed by the target itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_PY   := $(CURDIR)/$(VENV)/bin/python
PYTHON    ?= python3
CARGO     ?= cargo
export CARGO_TERM_COLOR := never

PY_REQS := tests/requirements.txt

# `make -j2 test` runs suites side by side. Each suite that logs in to iamdb gets its own instance
# ($(IAMDB_BASE)-<suite>: its own servers, holds, max-age knob and validator log), so no suite sees
# another's `set-max-age` or brings the servers down under it. `make iamdb-up` and the demo use
# IAMDB_DIR itself.
IAMDB_BASE := $(or $(IAMDB_DIR),/tmp/rds-iam-iamdb)
iamdb_dir   = IAMDB_DIR=$(IAMDB_BASE)-$(1)

.PHONY: help test demo bench packages bench-smoke rust-test rust-lint lint system-packages venv clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Every target names what it needs, so `make -j2 test` (CI) runs them side by side safely; the
# longest chains (the release builds behind python-test and node-test) come first.
test: python-test node-test rust-test iamdb-test rust-lint lint workflow-lint wheel-audit py-tools-test parity-test memory-test valgrind-core secrets-scan ## Run every test suite (installs what it needs); -j2 works
	@echo "make test: all suites passed"

rust-lint: ## cargo fmt --check and clippy -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

lint: node-deps ## JS/TS lint and format check (biome: node/, tests/, bench/, demo/, scripts/); fix with npx biome check --write
	npx --no-install biome ci

# The suite's one run is also the secrets scan's input: its output, the probe's records and
# every `log` record at TRACE go to target/secrets/ (tests/secrets/README.md).
rust-test: | system-packages ## Rust unit, integration and doc tests (output in target/secrets/rust-suite.txt)
	rm -f $(SECRETS_DIR)/rust-*
	$(call iamdb_dir,rust) RUST_LOG=trace RUST_BACKTRACE=1 SECRETS_OUT=$(SECRETS_DIR)/rust-probe.txt \
	  SECRETS_DIR=$(SECRETS_DIR) tests/secrets/run_captured.sh rust \
	  $(CARGO) test --workspace -- --nocapture

# Installed once, before any suite can start them side by side (two apt-gets would collide).
system-packages: ## The Debian packages the suites use: iamdb's servers and PAM headers, valgrind
	@$(PYTHON) -c 'import sys; sys.path.insert(0, "tests/iamdb"); import _iamdb_common as c; c.ensure_packages()'
	@command -v valgrind > /dev/null || { apt-get update -qq && apt-get install -y -qq valgrind; }

# One venv, one pip run: the test tools and python-build's tools (maturin, ruff, mypy) together,
# so no pip install runs while another target's pytest imports from the venv.
venv: $(VENV)/.installed ## The project's Python venv with the test requirements and the build tools
$(VENV)/.installed: $(PY_REQS) tests/iamdb/requirements.txt tests/vectors/requirements.txt \
		python/requirements-dev.txt python/requirements-test.txt scripts/dist/requirements.txt
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQS) \
		-r python/requirements-dev.txt
	touch $@

py-tools-test: venv ## The test servers' own tests, the vectors' independent check, the scan's self-test
	$(VENV_PY) tests/vectors/check_sigv4.py
	$(VENV_PY) tests/vectors/generate.py --check
	$(VENV_PY) -m pytest -q -W error -p no:cacheprovider tests/fakeaws tests/secrets/test_scan.py

demo: packages ## Bring up iamdb and log in with IAM tokens from every binding
	$(CARGO) build --release -q -p rds-iam --bin rds-iam
	@DEMO_PY=$(PY_TEST_PY) demo/demo.sh

packages: python-build node-pack ## Build the wheel and the npm package and install them for the demo and benchmarks
	test -x $(PY_TEST_PY) || { $(PYTHON) -m venv $(PY_TEST_VENV) && $(PY_TEST_PY) -m pip install $(PY_PIP) -r $(PY_TEST_REQS); }
	$(PY_TEST_PY) -m pip install $(PY_PIP) --force-reinstall --no-deps $(PY_WHEEL_GLOB)

bench: packages ## Benchmarks side by side with boto3 and @aws-sdk/rds-signer (table + bench/results.json)
	$(PYTHON) bench/run.py --python $(PY_TEST_PY)

bench-smoke: packages ## The benchmarks with a few iterations, no thresholds (CI)
	$(PYTHON) bench/run.py --python $(PY_TEST_PY) --quick

clean: ## Remove build outputs and the venv
	rm -rf target $(VENV)

include tests/iamdb/iamdb.mk
include python/python.mk
include node/node.mk
include tests/checks.mk
include tests/parity/parity.mk
include scripts/dist/dist.mk
