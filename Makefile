# rds-iam: the commands of CONTRIBUTING.md. Every tool a target needs is installed by the target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_PY   := $(CURDIR)/$(VENV)/bin/python
PYTHON    ?= python3
CARGO     ?= cargo
export CARGO_TERM_COLOR := never

PY_REQS := tests/requirements.txt

# Two jobs unless the command line says otherwise (`make -j1` for one): every target names what it
# needs, so the commands overlap the apt, pip and npm steps with the release builds and
# the builds' single-threaded LTO tails with each other (what CI runs, too).
MAKEFLAGS += -j2

# `make test` runs suites side by side (-j2). Each suite that logs in to iamdb gets its own instance
# ($(IAMDB_BASE)-<suite>: its own servers, holds, max-age knob and validator log), so no suite sees
# another's `set-max-age` or brings the servers down under it. `make iamdb-up` and the demo use
# IAMDB_DIR itself.
IAMDB_BASE := $(or $(IAMDB_DIR),/tmp/rds-iam-iamdb)
iamdb_dir   = IAMDB_DIR=$(IAMDB_BASE)-$(1)

.PHONY: help test demo bench packages bench-smoke rust-test rust-lint lint system-packages venv clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

# Every target names what it needs, so `make test` (-j2, as CI runs it) runs them side by side
# safely; the longest chains (the release builds behind python-test and node-test) come first.
test: python-test node-test rust-test iamdb-test proxy-test rust-lint lint workflow-lint wheel-audit py-tools-test parity-test memory-test valgrind-core secrets-scan docs-test node-types-check ## Run every test suite, two at a time (installs what it needs)
	@echo "make test: all suites passed"

rust-lint: ## cargo fmt --check, clippy -D warnings, and the bindings' shared crates built alike
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(PYTHON) scripts/dist/shared-features.py

lint: node-deps ## JS/TS lint and format check (biome: node/, tests/, bench/, demo/, scripts/); fix with npx biome check --write
	npx --no-install biome ci

# The suite's one run is also the secrets scan's input: its output, the probe's records and
# every `log` record at TRACE go to target/secrets/ (tests/secrets/README.md).
rust-test: | system-packages ## Rust unit, integration and doc tests (output in target/secrets/rust-suite.txt)
	rm -f $(SECRETS_DIR)/rust-*
	$(call iamdb_dir,rust) RUST_LOG=trace RUST_BACKTRACE=1 SECRETS_OUT=$(SECRETS_DIR)/rust-probe.txt \
	  SECRETS_DIR=$(SECRETS_DIR) tests/secrets/run_captured.sh rust \
	  $(CARGO) test --workspace -- --nocapture

# The one install step for Debian packages (tests/system-packages.txt, which .ci/run purges first):
# every target that needs one depends on it, the venv too (pip builds mysqlclient against
# libmariadb-dev). Installed once, before any suite can start side by side (two apt-gets collide).
system-packages: ## The Debian packages the suites use (tests/system-packages.txt), each only when missing
	@$(PYTHON) -c 'import sys; sys.path.insert(0, "tests/iamdb"); import _iamdb_common as c; c.ensure_packages()'

# One venv, one pip run: the test tools and python-build's tools (maturin, ruff, mypy) together,
# so no pip install runs while another target's pytest imports from the venv.
venv: $(VENV)/.installed ## The project's Python venv with the test requirements and the build tools
$(VENV)/.installed: $(PY_REQS) tests/iamdb/requirements.txt tests/vectors/requirements.txt \
		python/requirements-dev.txt python/requirements-test.txt scripts/dist/requirements.txt \
		| system-packages
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQS) \
		-r python/requirements-dev.txt
	touch $@

py-tools-test: venv ## The test servers' own tests, the vectors' independent check, the scan's self-test
	$(VENV_PY) tests/vectors/check_sigv4.py
	$(VENV_PY) tests/vectors/generate.py --check
	$(VENV_PY) -m pytest -q -W error -p no:cacheprovider tests/fakeaws tests/secrets/test_scan.py

demo: packages ## Bring up iamdb and log in with IAM tokens from every binding
	@DEMO_PY=$(PY_TEST_PY) demo/demo.sh

packages: python-install node-pack ## Build the wheel and the npm package and install them for the demo and benchmarks

bench: packages ## Benchmarks side by side with boto3, @aws-sdk/rds-signer and a direct connection for the proxy (tables + bench/results.json, docs/proxy-bench.svg)
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
include scripts/matrix/matrix.mk
include tests/proxy/proxy.mk
include tests/docs/docs.mk
include scripts/windows/windows.mk
include fuzz/fuzz.mk
