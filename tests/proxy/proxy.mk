# tests/proxy (issue 25): `rds-iam proxy` as its users run it — psql, pg_dump, pgbench, pgbouncer,
# psycopg, node-postgres and JDBC against iamdb through the proxy; its faults, limits, shutdown,
# health, metrics and logs. tests/proxy/mysql (issue 26), collected by the same pytest run: the
# same for `--engine mysql` against iamdb's MariaDB (mysql, mysqldump, PyMySQL, mysqlclient,
# mysql-connector-python, mysql2, Connector/J). Included by the root Makefile (CARGO, VENV_PY,
# SECRETS_DIR, iamdb_dir).
#
# The suite's one run is also `make secrets-scan`'s input: pytest's output (every client command
# and its output) in $(SECRETS_DIR)/proxy-suite.txt, and each proxy's whole stdout/stderr (and
# pgbouncer's) in $(SECRETS_DIR)/proxy-logs/.
PROXY_BIN := $(or $(CARGO_TARGET_DIR),$(CURDIR)/target)/debug/rds-iam

.PHONY: proxy-test proxy-bin

proxy-bin:
	$(CARGO) build -q -p rds-iam --bin rds-iam

proxy-test: proxy-bin venv node-deps | system-packages ## rds-iam proxy with real clients against iamdb (output and proxy logs in target/secrets/)
	rm -rf $(SECRETS_DIR)/proxy-*
	$(call iamdb_dir,proxy) RDS_IAM_BIN=$(PROXY_BIN) PROXY_LOG_DIR=$(SECRETS_DIR)/proxy-logs \
	  SECRETS_DIR=$(SECRETS_DIR) tests/secrets/run_captured.sh proxy \
	  $(VENV_PY) -m pytest -q -W error -p no:cacheprovider -s --durations=5 tests/proxy
