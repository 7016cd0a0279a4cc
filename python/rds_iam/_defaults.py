"""Shared defaults of the driver helpers (connection parameters and TLS).

Every helper verifies the server by default: libpq drivers get ``sslmode=verify-full`` with a
root file holding the system roots and the RDS bundle, the others a verifying ``SSLContext``.
The caller's own TLS settings always win; ``ssl_verify=False`` is the one way down to
encrypt-only, and ``ca=`` replaces the trust (a private CA, or a region the bundle lacks).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Any, Optional

from rds_iam import _native, _tls
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

#: libpq's TLS settings: the caller who passes one has chosen (never weakened or widened).
LIBPQ_TLS_OPTIONS = ("sslmode", "sslrootcert")


def tls_choice(params: dict[str, Any]) -> tuple[bool, Optional[str]]:
    """Takes the helpers' own ``ssl_verify`` and ``ca`` out of the driver's keyword arguments."""
    verify = bool(params.pop("ssl_verify", True))
    ca = params.pop("ca", None)
    return verify, None if ca is None else os.fspath(ca)


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
    ``given``), the token as password, and verify-full TLS unless chosen (:func:`libpq_tls`)."""
    params = dict(kwargs)
    verify, ca = tls_choice(params)
    for key, value in (("host", signer.host), ("port", signer.port), ("user", signer.user)):
        if key not in given and value is not None:
            params.setdefault(key, value)
    params["password"] = password
    libpq_tls(signer, params, given, verify, ca)
    return params


def libpq_tls(
    signer: Signer,
    params: dict[str, Any],
    given: Optional[dict[str, Any]] = None,
    verify: bool = True,
    ca: Optional[str] = None,
) -> None:
    """``sslmode=verify-full`` with ``sslrootcert`` = ``ca`` or the system roots + RDS bundle,
    unless the caller chose (keywords, ``given`` conninfo, PGSSLMODE / PGSSLROOTCERT); with a
    tunnel, the certificate is checked against ``sign_host`` (``host=<name> hostaddr=<ip>``)."""
    given = given or {}

    def chosen(key: str) -> bool:
        return key in params or key in given or f"PG{key.upper()}" in os.environ

    if not chosen("sslmode"):
        if verify:
            params["sslmode"] = "verify-full"
            if not chosen("sslrootcert"):
                params["sslrootcert"] = ca if ca is not None else _native.trust_file()
        else:
            _tls.warn_unverified()
            params["sslmode"] = "require"
    elif ca is not None and not chosen("sslrootcert"):
        params["sslrootcert"] = ca
    libpq_tunnel(signer, params, given)


def libpq_tunnel(signer: Signer, params: dict[str, Any], given: dict[str, Any]) -> None:
    """When the signer dials one host and signs for another (``sign_host``), make libpq check
    the certificate against the signed name: ``host=<sign_host>`` (the name TLS checks and SNI
    sends) with ``hostaddr=<the dialled address>`` (every address a dialled DNS name has, so
    libpq keeps its fail-over). A caller's own ``hostaddr`` or other host is left alone."""
    name = _tls.tunnel_name(signer)
    host = given.get("host", params.get("host"))
    if name is None or "hostaddr" in params or "hostaddr" in given:
        return
    if not isinstance(host, str) or host.lower() != signer.host.lower():
        return
    addrs = _addresses(host, signer.port)
    params["host"] = ",".join([name] * len(addrs))
    params["hostaddr"] = ",".join(addrs)


def _addresses(host: str, port: int) -> list[str]:
    try:
        return [str(ipaddress.ip_address(host.strip("[]")))]
    except ValueError:
        pass
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def mysql_tls(
    signer: Signer, params: dict[str, Any], verify: bool = True, ca: Optional[str] = None
) -> None:
    """A verifying ``SSLContext`` (system roots + RDS bundle, or ``ca``; checked against
    ``sign_host`` for tunnels) unless the caller passed PyMySQL TLS options of its own."""
    if not any(k in params for k in MYSQL_TLS_OPTIONS):
        params["ssl"] = _tls.shared_context(verify, ca, _tls.tunnel_name(signer))


def asyncpg_tls(
    signer: Signer, params: dict[str, Any], verify: bool = True, ca: Optional[str] = None
) -> None:
    """asyncpg's ``ssl``: a verifying ``SSLContext`` unless given (or PGSSLMODE set)."""
    if "ssl" not in params and "PGSSLMODE" not in os.environ:
        params["ssl"] = _tls.shared_context(verify, ca, _tls.tunnel_name(signer))
