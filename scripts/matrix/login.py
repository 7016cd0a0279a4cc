"""One login to iamdb's PostgreSQL through rds_iam.psycopg, the way the driver tests make it
(python/tests/test_tls.py): dial IAMDB_HOST, sign for and verify IAMDB_RDS_HOST (sign_host),
trust iamdb's CA (ca=), a token from environment credentials.

    python scripts/matrix/login.py

Reads the IAMDB_* settings and AWS_* credentials from the environment; PSYCOPG_IMPL picks
psycopg's binary or pure-Python (libpq from the system) implementation. Prints one line; exits 1
when the login fails or is not what was asked for. Python 3.9+.
"""

from __future__ import annotations

import os
import sys

import psycopg

import rds_iam
import rds_iam.psycopg


def main() -> int:
    env = os.environ
    port = int(env["IAMDB_PG_PORT"])
    signer = rds_iam.Signer(
        env["IAMDB_HOST"],
        port,
        env["IAMDB_USER"],
        region=env["IAMDB_REGION"],
        sign_host=f"{env['IAMDB_RDS_HOST']}:{port}",
    )
    conn = rds_iam.psycopg.connect(
        signer, dbname=env["IAMDB_DATABASE"], ca=env["IAMDB_CA_FILE"], connect_timeout=10
    )
    with conn:
        row = conn.execute("SELECT current_user").fetchone()
        who = row[0] if row else None
        sslmode = conn.info.get_parameters().get("sslmode")
        verified_name = conn.info.host
        ssl_in_use = conn.pgconn.ssl_in_use
    libpq = psycopg.pq.version()
    ok = (
        who == env["IAMDB_USER"]
        and sslmode == "verify-full"
        and ssl_in_use
        and verified_name == env["IAMDB_RDS_HOST"]
    )
    print(
        f"login.py: psycopg {psycopg.__version__} ({psycopg.pq.__impl__}, libpq "
        f"{libpq // 10000}.{libpq % 100}): current_user={who}, sslmode={sslmode}, "
        f"TLS {'on' if ssl_in_use else 'OFF'}, verified as {verified_name}"
        + ("" if ok else " - NOT WHAT WAS ASKED")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
