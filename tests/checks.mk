# Issue 8 checks: secrets never leak, memory stays flat, valgrind on the core's tests.
# Included by the root Makefile (which defines CARGO, PY_TEST_PY, NODE_TEST_DIR, IAMDB_BASE...).
# See tests/secrets/README.md and tests/memory/README.md.
SECRETS_DIR    := $(CURDIR)/target/secrets
# The suites whose one run secrets-scan scans: any of rust python node proxy. Each suite's target
# runs it with everything it prints and logs captured into $(SECRETS_DIR) (rust-test, python-test,
# node-test, proxy-test: its proxies' own output in proxy-logs/); the validator logs of every
# suite's own iamdb are scanned too.
SECRETS_SUITES ?= rust python node proxy
IAMDB_SUITES   := rust python node iamdb proxy

.PHONY: secrets-scan memory-test valgrind-core

secrets-scan: $(addsuffix -test,$(SECRETS_SUITES)) ## Scan all that the suites printed/logged/raised/repr'd in their one run for secrets
	@for s in $(SECRETS_SUITES); do test -s $(SECRETS_DIR)/$$s-suite.txt \
	  || { echo "secrets-scan: no capture of the $$s suite in $(SECRETS_DIR)"; exit 1; }; done
	@# Every proxy the proxy suite ran wrote its output there (the suite checks none is empty).
	@if [[ " $(SECRETS_SUITES) " == *" proxy "* ]] && ! compgen -G '$(SECRETS_DIR)/proxy-logs/*.txt' > /dev/null; \
	  then echo "secrets-scan: no proxy logs in $(SECRETS_DIR)/proxy-logs"; exit 1; fi
	rm -f $(SECRETS_DIR)/iamdb-validator-log-*.txt
	for s in $(IAMDB_SUITES); do log=$(IAMDB_BASE)-$$s/validator.log; \
	  if [ -f $$log ]; then cp $$log $(SECRETS_DIR)/iamdb-validator-log-$$s.txt; fi; done
	@# The scan must be able to fail: a planted secret in a throwaway capture is found first.
	planted=$$(mktemp -d) && echo 'debug: secret_access_key=scripted-secret' > $$planted/planted.txt \
	  && ! python3 tests/secrets/scan.py $$planted > /dev/null; ok=$$?; rm -rf $$planted; \
	  [ $$ok = 0 ] || { echo "secrets-scan: the scan missed a planted secret"; exit 1; }
	python3 tests/secrets/scan.py $(SECRETS_DIR)

# Uses the INSTALLED packages: target/py-test-venv (python-install) and target/node-test (node-pack).
memory-test: python-install node-pack ## RSS flat over 1M cached token() calls, 100k Signer()+token and 100k sign(), Python and Node
	$(PY_TEST_PY) tests/memory/memory_py.py
	# V8's young generation pinned at 16 MB: it bounds how many dropped Signers wait for their
	# finalizers, so native RSS reaches its high-water mark in the warm-up (tests/memory/README.md).
	RDS_IAM_TEST_PROJECT=$(NODE_TEST_DIR) node --expose-gc --min-semi-space-size=16 --max-semi-space-size=16 \
	  tests/memory/memory_node.js

valgrind-core: | system-packages ## The core's unit, cache and vectors test binaries under valgrind memcheck
	CARGO=$(CARGO) tests/memory/valgrind_core.sh
