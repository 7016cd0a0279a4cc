# iamdb: local PostgreSQL + MariaDB that check IAM tokens like RDS (included by the root Makefile;
# VENV_PY is the project venv's python with tests/iamdb/requirements.txt installed).
IAMDB := tests/iamdb/iamdb

.PHONY: iamdb-up iamdb-down iamdb-test

iamdb-up: ## Start iamdb (idempotent); prints its export IAMDB_... lines
	@$(IAMDB) up

iamdb-down: ## Stop iamdb
	@$(IAMDB) down

iamdb-test: venv | system-packages ## iamdb's own tests: real drivers, botocore and CLI tokens, the validator log
	$(call iamdb_dir,iamdb) $(VENV_PY) -m pytest -q -W error -p no:cacheprovider tests/iamdb
	$(call iamdb_dir,iamdb) node --test tests/iamdb/
