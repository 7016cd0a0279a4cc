"""SQLAlchemy 2 with IAM auth tokens: ``attach(engine, signer)``.

The engine's pool keeps working past token expiry: every new DBAPI connection gets a token from
the signer (reused while good) through the ``do_connect`` event. Works for an ``Engine`` and an
``AsyncEngine`` (asyncpg gets ``signer.token_async``, other drivers a token string), with the
psycopg, psycopg2, asyncpg and PyMySQL dialects. TLS verifies the server (``sslmode=verify-full``
or a verifying ``SSLContext``: system roots plus the shipped RDS CA bundle, ``sign_host`` for
tunnels) unless the URL or ``connect_args`` choose; ``ca=`` replaces the trust,
``ssl_verify=False`` only encrypts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["attach"]


def attach(
    engine: Union[Engine, AsyncEngine],
    signer: Signer,
    *,
    ssl_verify: bool = True,
    ca: Optional[str] = None,
) -> None:
    """Log every new connection of ``engine`` in with a token from ``signer``."""
    from sqlalchemy import event

    target = getattr(engine, "sync_engine", engine)
    driver = target.dialect.driver

    def provide_token(dialect: Any, conn_rec: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        for key, value in (("host", signer.host), ("port", signer.port), ("user", signer.user)):
            if value is not None:
                cparams.setdefault(key, value)
        if driver == "asyncpg":
            cparams["password"] = signer.token_async
            _defaults.asyncpg_tls(signer, cparams, ssl_verify, ca)
        else:
            cparams["password"] = signer.token()
        if driver in ("psycopg", "psycopg2", "psycopg2cffi"):
            _defaults.libpq_tls(signer, cparams, None, ssl_verify, ca)
        elif driver == "pymysql":
            _defaults.mysql_tls(signer, cparams, ssl_verify, ca)

    event.listen(target, "do_connect", provide_token)
