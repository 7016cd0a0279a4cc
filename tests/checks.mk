# Issue 8 checks: secrets never leak, memory stays flat, valgrind on the core's tests.
# Included by the root Makefile (which defines CARGO, PY_TEST_PY, NODE_TEST_DIR, VENV_PY...).
# secrets-scan and memory-test use the INSTALLED packages: target/py-test-venv (make python-test)
# and target/node-test (make node-pack / node-test); run them after those. See
# tests/secrets/README.md and tests/memory/README.md.
SECRETS_DIR    := $(CURDIR)/target/secrets
# Which suites secrets-scan runs and captures: any of rust python node (the iamdb validator log,
# which every suite's logins write to, is always scanned)
SECRETS_SUITES ?= rust python node
SECRETS_PY     ?= $(CURDIR)/target/py-test-venv/bin/python
SECRETS_NODE_PROJECT ?= $(CURDIR)/target/node-test

.PHONY: secrets-scan memory-test valgrind-core

secrets-scan: ## Run the suites capturing ALL they print/log/raise/repr, then scan it for secrets
	rm -rf $(SECRETS_DIR) && mkdir -p $(SECRETS_DIR)
	@test -x $(SECRETS_PY) || { echo "secrets-scan: run make python-test first ($(SECRETS_PY))"; exit 1; }
	@test -d $(SECRETS_NODE_PROJECT)/node_modules/rds-iam || { echo "secrets-scan: run make node-pack first"; exit 1; }
	tests/iamdb/iamdb up > /dev/null  # held by this target until the `down` after the scan
	set -o pipefail; status=0; \
	if [[ " $(SECRETS_SUITES) " == *" rust "* ]]; then \
	  echo "secrets-scan: rust (workspace tests --nocapture, RUST_LOG=trace, RUST_BACKTRACE=1; the probe)"; \
	  RUST_LOG=trace RUST_BACKTRACE=1 SECRETS_OUT=$(SECRETS_DIR)/rust-probe.txt \
	    $(CARGO) test --workspace -- --nocapture > $(SECRETS_DIR)/rust-suite.txt 2>&1 || status=1; \
	fi; \
	if [[ " $(SECRETS_SUITES) " == *" python "* ]]; then \
	  echo "secrets-scan: python (pytest -s --log-level=DEBUG -o log_cli=true -p pytest_secrets)"; \
	  PYTHONPATH=$(CURDIR)/tests/secrets SECRETS_PY_OUT=$(SECRETS_DIR)/python-shown.txt $(SECRETS_PY) -m pytest -q \
	    -p no:cacheprovider -p pytest_secrets -s --log-level=DEBUG -o log_cli=true python/tests \
	    > $(SECRETS_DIR)/python-suite.txt 2>&1 || status=1; \
	fi; \
	if [[ " $(SECRETS_SUITES) " == *" node "* ]]; then \
	  echo "secrets-scan: node (node --test with tests/secrets/node_hook.js, NODE_DEBUG, and the probe)"; \
	  RDS_IAM_TEST_PROJECT=$(SECRETS_NODE_PROJECT) SECRETS_NODE_OUT=$(SECRETS_DIR)/node-shown.txt \
	    NODE_DEBUG=rds-iam,rds_iam,http,tls node --require ./tests/secrets/node_hook.js \
	    --test node/test/*.test.js tests/secrets/probe.test.js > $(SECRETS_DIR)/node-suite.txt 2>&1 || status=1; \
	fi; \
	cp "$$(tests/iamdb/iamdb log)" $(SECRETS_DIR)/iamdb-validator-log.txt; \
	[ $$status = 0 ] || { echo "secrets-scan: a suite failed (see $(SECRETS_DIR)/*-suite.txt); scanning anyway"; }; \
	scan=0; python3 tests/secrets/scan.py $(SECRETS_DIR) || scan=1; \
	tests/iamdb/iamdb down > /dev/null; \
	[ $$scan = 0 ] && exit $$status

memory-test: ## RSS flat over 1M cached token() calls, 100k Signer()+token and 100k sign(), Python and Node
	@test -x $(PY_TEST_PY) || { echo "memory-test: run make python-test first"; exit 1; }
	@test -d $(NODE_TEST_DIR)/node_modules/rds-iam || { echo "memory-test: run make node-pack first"; exit 1; }
	$(PY_TEST_PY) tests/memory/memory_py.py
	RDS_IAM_TEST_PROJECT=$(NODE_TEST_DIR) node --expose-gc tests/memory/memory_node.js

valgrind-core: ## The core's unit, cache and vectors test binaries under valgrind memcheck
	CARGO=$(CARGO) tests/memory/valgrind_core.sh
