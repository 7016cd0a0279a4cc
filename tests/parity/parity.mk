# Issue 18: credential resolution against botocore (tests/parity/README.md). Included by the root
# Makefile. Every scenario runs through botocore (the oracle, in the project venv), the rds-iam
# CLI (one short process per scenario), the installed wheel and the packed npm package (one
# process each for all the scenarios).
.PHONY: parity-test

parity-test: venv python-install node-pack | system-packages ## Credential scenarios: rds-iam (CLI, Python, Node) resolves what botocore resolves; the table's botocore answers are current
	$(CARGO) build -q -p rds-iam --bin rds-iam
	RDS_IAM_TEST_PROJECT=$(NODE_TEST_DIR) $(VENV_PY) tests/parity/harness.py \
	  --cli target/debug/rds-iam --python $(PY_TEST_PY) --node
