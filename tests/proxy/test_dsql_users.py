"""Issue 32, defect 6: against Aurora DSQL (iamdb's DSQL mode: the token's action must match the
role, DbConnectAdmin for `admin` only, DbConnect for any other) the token kind follows each
session's user, whatever the order of --users, and without --users. The proxy has no --kind; a
kind given to the library's Signer is kept by for_user (core/src/options/signer.rs's tests)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from conftest import StartProxy
from proxyrun import Proxy


def dsql_target(iamdb: Any) -> list[str]:
    """iamdb's PostgreSQL through 127.0.0.1, signed and verified as its DSQL cluster endpoint."""
    return [
        *("--host", "127.0.0.1", "--port", str(iamdb.pg_port)),
        *("--sign-host", iamdb.dsql_host, "--region", iamdb.region),
        *("--ca", iamdb.ca_file),
    ]


def log_in(p: Proxy, user: str) -> str | psycopg.OperationalError:
    """current_user through the proxy (DSQL's one database is `postgres`), or the error."""
    try:
        with psycopg.connect(p.url(user=user, database="postgres", sslmode="disable")) as conn:
            return str(conn.execute("select current_user").fetchone()[0])
    except psycopg.OperationalError as e:
        return e


@pytest.mark.parametrize("users", ["iam_user,admin", "admin,iam_user", None])
def test_each_user_gets_its_own_token_kind(
    start_proxy: StartProxy, iamdb: Any, users: str | None
) -> None:
    assert iamdb.dsql_admin == "admin"
    p = start_proxy(target=dsql_target(iamdb), users=users)
    mark = iamdb.mark()
    got = {user: log_in(p, user) for user in ("iam_user", "admin")}
    verdicts = [(e["outcome"], e["reason"]) for e in iamdb.log_since(mark) if e["server"] == "pg"]
    assert got == {"iam_user": "iam_user", "admin": "admin"}, (got, verdicts)
    assert verdicts == [("accept", None), ("accept", None)]
