#!/usr/bin/env bash
# `make demo`: a local PostgreSQL + MariaDB that verify IAM tokens (tests/iamdb), and a login
# through every binding that exists, with credentials from the default chain (env variables
# holding the iamdb test key). Prints a few readable lines; brings iamdb down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
IAMDB=tests/iamdb/iamdb
DEMO_PY=${DEMO_PY:-target/py-test-venv/bin/python}
# The CLI as the wheel ships it (`python -m rds_iam`, the same Rust code as the binary): the demo
# needs no third release build for it.
CLI=("$DEMO_PY" -m rds_iam)

say() { printf '  %-28s %s\n' "$1" "$2"; }

eval "$($IAMDB up --hold $$)"
trap '$IAMDB down --release $$ >/dev/null' EXIT
export AWS_ACCESS_KEY_ID=$IAMDB_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$IAMDB_SECRET_ACCESS_KEY
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=$IAMDB_REGION
echo "iamdb: PostgreSQL on $IAMDB_HOST:$IAMDB_PG_PORT, MariaDB on $IAMDB_HOST:$IAMDB_MYSQL_PORT, a Redis cache behind $IAMDB_HOST:$IAMDB_CACHE_PORT (all verify SigV4 tokens)"

# The CLI + psql: the token travels in PGPASSWORD, never on the command line.
token=$("${CLI[@]}" token --host "$IAMDB_HOST" --port "$IAMDB_PG_PORT" --user "$IAMDB_USER" --region "$IAMDB_REGION")
who=$(PGPASSWORD=$token PGSSLMODE=require psql -h "$IAMDB_HOST" -p "$IAMDB_PG_PORT" -U "$IAMDB_USER" -d "$IAMDB_DATABASE" -Atc 'select current_user')
say "cli + psql:" "select current_user → $who (token ${#token} chars)"

"$DEMO_PY" demo/demo_python.py
node demo/demo_node.js
echo "validator log: $($IAMDB log -n 100 | grep -c '"outcome": "accept"') accepted logins, last at $IAMDB_LOG"
