# rds-iam — the README's commands. Every tool a target needs is installed by the target itself.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV      := .venv
VENV_PY   := $(CURDIR)/$(VENV)/bin/python
PYTHON    ?= python3
CARGO     ?= cargo
export CARGO_TERM_COLOR := never

PY_REQS := tests/requirements.txt

.PHONY: help test demo bench packages bench-smoke rust-test rust-lint venv clean

help: ## Show the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

test: rust-lint rust-test py-tools-test iamdb-test python-test node-test memory-test valgrind-core secrets-scan ## Run every test suite (installs what it needs)
	@echo "make test: all suites passed"

rust-lint: ## cargo fmt --check and clippy -D warnings
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

rust-test: ## Rust unit, integration and doc tests
	$(CARGO) test --workspace

venv: $(VENV)/.installed ## The project's Python venv with the test requirements
$(VENV)/.installed: $(PY_REQS) tests/iamdb/requirements.txt tests/vectors/requirements.txt
	test -x $(VENV_PY) || $(PYTHON) -m venv $(VENV)
	$(VENV_PY) -m pip install --quiet --disable-pip-version-check -r $(PY_REQS)
	touch $@

py-tools-test: venv ## The test servers' own tests and the vectors' independent check
	$(VENV_PY) tests/vectors/check_sigv4.py
	$(VENV_PY) tests/vectors/generate.py --check
	$(VENV_PY) -m pytest -q -W error -p no:cacheprovider tests/fakeaws

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
include scripts/dist/dist.mk
