"""PyMySQL with IAM auth tokens (RDS / Aurora MySQL and MariaDB).

>>> conn = rds_iam.pymysql.connect(signer, database="app")                     # doctest: +SKIP

PyMySQL answers the server's ``mysql_clear_password`` request with the token over TLS that
checks the server (system roots plus the shipped RDS CA bundle, host name included; for a tunnel
against the signer's ``sign_host``). ``ca=`` replaces the trust (a private CA),
``ssl_verify=False`` only encrypts; PyMySQL TLS options of your own (``ssl``, ``ssl_ca``, …) win.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    from pymysql.connections import Connection

__all__ = ["connect", "connect_kwargs"]


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``pymysql.connect``: host, port, user, a token, verified TLS."""
    params = dict(kwargs)
    verify, ca = _defaults.tls_choice(params)
    _defaults.endpoint(signer, params)
    params["password"] = signer.token()
    _defaults.mysql_tls(signer, params, verify, ca)
    return params


def connect(signer: Signer, **kwargs: Any) -> Connection[Any]:
    """``pymysql.connect`` logging in with a token from ``signer``."""
    import pymysql

    return pymysql.connect(**connect_kwargs(signer, **kwargs))
