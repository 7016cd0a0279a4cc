"""TLS trust for database connections: the shipped RDS CA bundle and verifying SSL contexts.

RDS and Aurora server certificates chain to Amazon RDS's own roots, which no system trust store
holds; RDS Proxy and Aurora DSQL use public CAs. The default trust is therefore the system roots
plus the RDS bundle (and the public roots Proxy / DSQL chain to, for hosts without a CA package).
"""

from __future__ import annotations

import logging
import os
import ssl
import warnings
from typing import Any, Optional, Union

from rds_iam import _native
from rds_iam.errors import InvalidArgument

_log = logging.getLogger("rds_iam")
_BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rds-ca-bundle.pem")
_warned = False


def ca_bundle_path() -> str:
    """The Amazon RDS root CA bundle (PEM) shipped inside the package, for ``sslrootcert=``,
    ``ssl_ca=`` and the like. Same certificates as ``rds_iam.tls`` in the other languages."""
    return _BUNDLE


class _NamedContext(ssl.SSLContext):
    """An ``SSLContext`` that sends SNI for and checks the certificate against one fixed name,
    whatever address the driver dialled: a tunnel to 127.0.0.1 is checked against ``sign_host``.
    Drivers pass the dialled host as ``server_hostname``; this replaces it."""

    rds_iam_server_hostname: Optional[str] = None

    def wrap_socket(self, sock: Any, *args: Any, **kwargs: Any) -> Any:
        if self.rds_iam_server_hostname:
            kwargs["server_hostname"] = self.rds_iam_server_hostname
        return super().wrap_socket(sock, *args, **kwargs)

    def wrap_bio(self, incoming: Any, outgoing: Any, *args: Any, **kwargs: Any) -> Any:
        if self.rds_iam_server_hostname:
            kwargs["server_hostname"] = self.rds_iam_server_hostname
        return super().wrap_bio(incoming, outgoing, *args, **kwargs)


def warn_unverified() -> None:
    """Logs, once per process, that a helper was told not to verify the server."""
    global _warned
    if not _warned:
        _warned = True
        _log.warning(
            "rds_iam: ssl_verify=False: TLS without checking the server certificate; an IAM "
            "token is a password anyone on the path can replay for 15 minutes"
        )


def ssl_context(
    verify: bool = True,
    ca: Optional[Union[str, os.PathLike[str]]] = None,
    *,
    ca_pem: Optional[str] = None,
    server_hostname: Optional[str] = None,
) -> ssl.SSLContext:
    """A client ``SSLContext`` for a database connection.

    ``verify=True`` (the default) checks the certificate chain and the host name against the
    system roots plus the shipped RDS CA bundle; ``ca`` (a PEM file's path, as everywhere in
    rds_iam) or ``ca_pem`` (PEM text) replaces that trust, e.g. for a private CA or a partition
    the bundle does not cover. PEM text in ``ca`` still works until the next minor release, with
    a ``DeprecationWarning``. ``server_hostname`` checks the certificate against that name
    instead of the dialled address (the helpers pass the signer's ``sign_host`` for tunnels).
    ``verify=False`` encrypts without checking anything and logs a warning once.
    """
    if ca is not None and ca_pem is not None:
        raise InvalidArgument(
            "invalid argument `ca`: pass `ca` (a CA file's path) or `ca_pem` (PEM text), not both",
            code="InvalidArgument",
        )
    if ca is not None:
        ca = os.fspath(ca)
        if "-----BEGIN" in ca:
            warnings.warn(
                "rds_iam: PEM text in `ca` is deprecated and goes in the next minor release; "
                "pass it as `ca_pem`, or a file path as `ca`",
                DeprecationWarning,
                stacklevel=2,
            )
            ca, ca_pem = None, ca
    ctx = _NamedContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.rds_iam_server_hostname = server_hostname
    if not verify:
        warn_unverified()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    if ca_pem is not None:
        ctx.load_verify_locations(cadata=ca_pem)
    elif ca is not None:
        ctx.load_verify_locations(cafile=ca)
    else:
        ctx.load_default_certs()
        ctx.load_verify_locations(cadata=_native.CA_BUNDLE_PEM + _native.PUBLIC_ROOTS_PEM)
    return ctx


_shared: dict[tuple[bool, Optional[str], Optional[str]], ssl.SSLContext] = {}


def shared_context(
    verify: bool, ca: Optional[str], server_hostname: Optional[str]
) -> ssl.SSLContext:
    """The helpers' context, built once per settings and reused: loading the system roots and
    the bundle costs ~0.1 s, too much for every new connection of a pool."""
    key = (verify, ca, server_hostname)
    ctx = _shared.get(key)
    if ctx is None:
        ctx = _shared[key] = ssl_context(verify, ca, server_hostname=server_hostname)
    elif not verify:
        warn_unverified()
    return ctx


def tunnel_name(signer: _native.Signer) -> Optional[str]:
    """The name to check the certificate against when it is not the dialled host: the
    signer's ``sign_host`` (without its port) when one was set (a tunnel, a CNAME, an IP
    address)."""
    name = hostname(signer.sign_host)
    return name if name.lower() != signer.host.lower() else None


def hostname(sign_host: str) -> str:
    """``sign_host`` without its ``:port`` (``[v6]:port`` keeps its brackets)."""
    head, sep, port = sign_host.rpartition(":")
    if sep and port.isdigit() and (":" not in head or head.endswith("]")):
        return head
    return sign_host
