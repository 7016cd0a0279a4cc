"""PyMySQL with IAM auth tokens (RDS / Aurora MySQL and MariaDB).

>>> conn = rds_iam.pymysql.connect(signer, database="app")                     # doctest: +SKIP

PyMySQL answers the server's ``mysql_clear_password`` request with the token; TLS is required
(without a CA check, like libpq's ``sslmode=require``) unless you pass TLS options yourself,
e.g. ``ssl_ca="global-bundle.pem", ssl_verify_identity=True`` to verify the server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    from pymysql.connections import Connection

__all__ = ["connect", "connect_kwargs"]


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``pymysql.connect``: host, port, user, a token, TLS on."""
    params = dict(kwargs)
    _defaults.endpoint(signer, params)
    params["password"] = signer.token()
    _defaults.mysql_tls(params)
    return params


def connect(signer: Signer, **kwargs: Any) -> Connection[Any]:
    """``pymysql.connect`` logging in with a token from ``signer``."""
    import pymysql

    return pymysql.connect(**connect_kwargs(signer, **kwargs))
