"""SQLAlchemy 2 with IAM auth tokens: ``attach(engine, signer)``.

The engine's pool keeps working past token expiry: every new DBAPI connection gets a token from
the signer (reused while good) through the ``do_connect`` event. Works for an ``Engine`` and an
``AsyncEngine`` (asyncpg gets ``signer.token_async``, asyncmy ``password_creator``, other
drivers a token string), with the psycopg, psycopg2, asyncpg, PyMySQL, aiomysql, asyncmy,
mysqlclient (``mysqldb``) and mysql-connector-python dialects. TLS verifies the server
(``sslmode=verify-full``, a verifying ``SSLContext`` or ``ssl_ca``: system roots plus the
shipped RDS CA bundle, ``sign_host`` for tunnels) unless the URL or ``connect_args`` choose;
``ca=`` replaces the trust, ``ssl_verify=False`` only encrypts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from rds_iam import _defaults, mysql_connector, mysqlclient
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
        elif driver == "asyncmy":
            cparams["password_creator"] = signer.token_async
        else:
            cparams["password"] = signer.token()
        if driver in ("psycopg", "psycopg2", "psycopg2cffi"):
            _defaults.libpq_tls(signer, cparams, None, ssl_verify, ca)
        elif driver in ("pymysql", "aiomysql", "asyncmy"):
            _defaults.mysql_tls(signer, cparams, ssl_verify, ca)
        elif driver == "mysqldb":
            cparams.pop("passwd", None)
            mysqlclient.tls(cparams, ssl_verify, ca)
            cparams.setdefault("read_default_file", mysqlclient.cleartext_option_file())
        elif driver == "mysqlconnector":
            cparams.setdefault("auth_plugin", "mysql_clear_password")
            mysql_connector.tls(cparams, ssl_verify, ca)

    event.listen(target, "do_connect", provide_token)
