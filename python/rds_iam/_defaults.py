"""Shared defaults of the driver helpers (connection parameters and TLS)."""

from __future__ import annotations

import os
import ssl
from typing import Any

from rds_iam._native import Signer

#: PyMySQL's TLS options: the caller who passes any of them has decided on TLS.
MYSQL_TLS_OPTIONS = (
    "ssl",
    "ssl_ca",
    "ssl_cert",
    "ssl_key",
    "ssl_disabled",
    "ssl_verify_cert",
    "ssl_verify_identity",
)


def endpoint(signer: Signer, params: dict[str, Any]) -> None:
    """Fill in host, port and user from the signer where the caller gave none."""
    params.setdefault("host", signer.host)
    params.setdefault("port", signer.port)
    if signer.user is not None:
        params.setdefault("user", signer.user)


def libpq_params(
    signer: Signer, password: Any, given: dict[str, Any], kwargs: dict[str, Any]
) -> dict[str, Any]:
    """A libpq driver's keyword arguments: the caller's, plus host, port and user from the
    signer unless the caller set them (as keywords or in its conninfo/DSN, parsed into
    ``given``), the token as password, and ``sslmode=require`` unless chosen."""
    params = dict(kwargs)
    for key, value in (("host", signer.host), ("port", signer.port), ("user", signer.user)):
        if key not in given and value is not None:
            params.setdefault(key, value)
    params["password"] = password
    libpq_sslmode(params, "sslmode" in given)
    return params


def libpq_sslmode(params: dict[str, Any], conninfo_has_sslmode: bool = False) -> None:
    """IAM auth needs TLS: ``sslmode=require`` unless the caller chose (also via PGSSLMODE)."""
    if not conninfo_has_sslmode and "PGSSLMODE" not in os.environ:
        params.setdefault("sslmode", "require")


def mysql_tls(params: dict[str, Any]) -> None:
    """IAM auth needs TLS: insist on it (like ``sslmode=require``) unless the caller chose."""
    if not any(k in params for k in MYSQL_TLS_OPTIONS):
        params["ssl"] = require_tls_context()


def require_tls_context() -> ssl.SSLContext:
    """TLS without certificate checks, as libpq's ``sslmode=require``. Pass the RDS CA bundle
    (``ssl_ca=``/``sslrootcert=``) to verify the server as well."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx
