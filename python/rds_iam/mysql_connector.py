"""mysql-connector-python (Oracle's ``mysql.connector``) with IAM auth tokens.

>>> conn = rds_iam.mysql_connector.connect(signer, database="app")             # doctest: +SKIP

The helper names the ``mysql_clear_password`` plugin (``auth_plugin=``), which both the pure
Python and the C-extension connections then use, and turns on verified TLS: ``ssl_ca`` = the
system roots plus the shipped RDS CA bundle, ``ssl_verify_cert`` and ``ssl_verify_identity``.
``ca=`` replaces the trust, ``ssl_verify=False`` only encrypts; your own ``ssl_*`` options win.
The connector checks the name it dialled: through a tunnel (``sign_host``) pass your own TLS
options. Its own pool (``pool_name=``) reconnects with the first token: open new connections
with this helper instead. ``mysql.connector.aio`` (9.7, 26.10) refuses ``ssl_ca`` without a
client certificate ("ssl_key and ssl_cert need to be both specified"), so it cannot verify an
RDS server with a CA file: for asyncio use :mod:`rds_iam.aiomysql` or :mod:`rds_iam.asyncmy`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, Union

from rds_iam import _defaults, _native, _tls
from rds_iam._native import Signer

if TYPE_CHECKING:
    from mysql.connector.abstracts import MySQLConnectionAbstract
    from mysql.connector.pooling import PooledMySQLConnection

    #: What ``mysql.connector.connect`` returns (pooled only when given ``pool_name``).
    Connection = Union[PooledMySQLConnection, MySQLConnectionAbstract]

__all__ = ["connect", "connect_kwargs"]

#: The connector's TLS options: the caller who passes any of them has decided on TLS.
TLS_OPTIONS = (
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "ssl_disabled",
    "ssl_verify_cert",
    "ssl_verify_identity",
)


def tls(params: dict[str, Any], verify: bool = True, ca: Optional[str] = None) -> None:
    """Verified TLS unless the caller passed a TLS option of its own."""
    if any(k in params for k in TLS_OPTIONS):
        return
    if verify:
        params["ssl_ca"] = ca if ca is not None else _native.trust_file()
        params["ssl_verify_cert"] = True
        params["ssl_verify_identity"] = True
    else:
        _tls.warn_unverified()
        params["ssl_disabled"] = False


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``mysql.connector.connect``: host, port, user, a token, the
    cleartext plugin, verified TLS."""
    params = dict(kwargs)
    verify, ca = _defaults.tls_choice(params)
    _defaults.endpoint(signer, params)
    params["password"] = signer.token()
    params.setdefault("auth_plugin", "mysql_clear_password")
    tls(params, verify, ca)
    return params


def connect(signer: Signer, **kwargs: Any) -> Connection:
    """``mysql.connector.connect`` logging in with a token from ``signer``."""
    import mysql.connector

    conn: Connection = mysql.connector.connect(**connect_kwargs(signer, **kwargs))
    return conn
