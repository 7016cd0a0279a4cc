"""mysqlclient (``MySQLdb``) with IAM auth tokens (RDS / Aurora MySQL and MariaDB).

>>> conn = rds_iam.mysqlclient.connect(signer, database="app")                 # doctest: +SKIP

The server asks for ``mysql_clear_password``; what the C client library needs to answer it:

- MariaDB Connector/C (``libmariadb``: Debian/Ubuntu's ``default-libmysqlclient-dev``, most
  Linux builds of mysqlclient) answers it without being told.
- Oracle's ``libmysqlclient`` (Homebrew ``mysql-client``, ``mysql-devel``) refuses unless the
  cleartext plugin is enabled: the helper passes a ``read_default_file`` whose ``[client]``
  group says ``enable-cleartext-plugin`` (per connection, whatever was imported first; MariaDB's
  library accepts and ignores it). Your own ``read_default_file`` wins: add that line to it.

TLS defaults to ``ssl_mode="VERIFY_IDENTITY"`` with ``ssl={"ca": <system roots + the RDS
bundle>}``; ``ca=`` replaces the trust, ``ssl_verify=False`` only encrypts, your own ``ssl`` /
``ssl_mode`` win. The C library checks the certificate against the name it dialled: through a
tunnel (``sign_host``) pass ``ssl_mode`` / ``ssl`` of your own.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from rds_iam import _defaults, _native, _tls
from rds_iam._native import Signer

if TYPE_CHECKING:
    from MySQLdb.connections import Connection

__all__ = ["connect", "connect_kwargs"]

#: The ``[client]`` option that lets Oracle's libmysqlclient send the token in cleartext.
_OPTION_FILE_TEXT = "[client]\nenable-cleartext-plugin\n"
_option_file: Optional[str] = None


def cleartext_option_file() -> str:
    """An option file enabling the cleartext plugin, written once per process next to the trust
    file (a private 0700 directory), atomically."""
    global _option_file
    if _option_file is None:
        path = os.path.join(os.path.dirname(_native.trust_file()), "mysql-cleartext.cnf")
        if not os.path.exists(path):
            tmp = f"{path}.{os.getpid()}.tmp"
            with open(tmp, "w", encoding="ascii") as f:
                f.write(_OPTION_FILE_TEXT)
            os.replace(tmp, path)
        _option_file = path
    return _option_file


def tls(params: dict[str, Any], verify: bool = True, ca: Optional[str] = None) -> None:
    """mysqlclient's TLS keywords: verified unless the caller passed ``ssl`` or ``ssl_mode``."""
    if "ssl" in params or "ssl_mode" in params:
        return
    if verify:
        params["ssl_mode"] = "VERIFY_IDENTITY"
        params["ssl"] = {"ca": ca if ca is not None else _native.trust_file()}
    else:
        _tls.warn_unverified()
        params["ssl_mode"] = "REQUIRED"


def finish(signer: Signer, params: dict[str, Any]) -> dict[str, Any]:
    """The token, TLS and the cleartext option added to mysqlclient keyword arguments (``ca`` /
    ``ssl_verify`` taken out); shared with ``rds_iam.django.mysql``."""
    verify, ca = _defaults.tls_choice(params)
    params["password"] = signer.token()
    params.pop("passwd", None)  # mysqlclient's old spelling would win over `password`
    tls(params, verify, ca)
    params.setdefault("read_default_file", cleartext_option_file())
    return params


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``MySQLdb.connect``: host, port, user, a token, verified TLS."""
    params = dict(kwargs)
    _defaults.endpoint(signer, params)
    return finish(signer, params)


def connect(signer: Signer, **kwargs: Any) -> Connection:
    """``MySQLdb.connect`` logging in with a token from ``signer``."""
    import MySQLdb

    conn: Connection = MySQLdb.connect(**connect_kwargs(signer, **kwargs))
    return conn
