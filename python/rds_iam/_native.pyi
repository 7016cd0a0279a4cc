"""Type stubs of the compiled module ``rds_iam._native`` (checked by mypy.stubtest)."""

import asyncio
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Literal, Optional, Union, final

from rds_iam._typing import Credentials, Kind, ProxyEngine, Seconds, Stats, UrlDriver

__all__ = [
    "CA_BUNDLE_PEM",
    "ERROR_CODES",
    "PUBLIC_ROOTS_PEM",
    "SIGNER_OPTIONS",
    "Proxy",
    "Signer",
    "TokenInfo",
    "__version__",
    "clear_caches",
    "cli_main",
    "sign",
    "stats",
    "trust_file",
]

__version__: str
ERROR_CODES: tuple[str, ...]
CA_BUNDLE_PEM: str
PUBLIC_ROOTS_PEM: str
SIGNER_OPTIONS: tuple[str, ...]

@final
class Signer:
    def __new__(
        cls,
        host: Optional[str] = None,
        port: Optional[int] = None,
        user: Optional[str] = None,
        region: Optional[str] = None,
        *,
        cluster_id: Optional[str] = None,
        sign_host: Optional[str] = None,
        profile: Optional[str] = None,
        credentials: Optional[Union[Credentials, Mapping[str, object]]] = None,
        role_arn: Optional[str] = None,
        role_session_name: Optional[str] = None,
        external_id: Optional[str] = None,
        kind: Optional[Kind] = None,
        expires_in: Optional[Seconds] = None,
        reuse_for: Optional[Seconds] = None,
        refresh_margin: Optional[Seconds] = None,
        fetch_timeout: Optional[Seconds] = None,
        imds_timeout: Optional[Seconds] = None,
        web_identity_attempts: Optional[int] = None,
    ) -> Signer: ...
    def token(self) -> str: ...
    def token_info(self) -> TokenInfo: ...
    def token_async(self) -> asyncio.Future[str]: ...
    def dsn(
        self,
        database: Optional[str] = None,
        driver: UrlDriver = "postgresql",
        *,
        ca: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> str: ...
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def user(self) -> Optional[str]: ...
    @property
    def region(self) -> str: ...
    @property
    def sign_host(self) -> str: ...
    @property
    def sign_port(self) -> int: ...
    @property
    def kind(self) -> Kind: ...

@final
class TokenInfo:
    @property
    def token(self) -> str: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def signed_at(self) -> datetime: ...
    @property
    def from_cache(self) -> bool: ...
    @property
    def access_key_id(self) -> str: ...

@final
class Proxy:
    """A local proxy for ``signer``'s database, in this process (PostgreSQL, or MySQL / MariaDB).

    Clients connect to ``url`` with no password; the proxy logs in upstream as the user the
    client names with an IAM token (TLS verified against the signer's ``sign_host``), then
    relays the session. It listens on ``127.0.0.1`` on a free port unless ``listen`` says
    otherwise, and lets in the signer's user unless ``users`` lists others.

    - ``database``: the database named in ``url``.
    - ``users``: the user names that may log in (default: ``[signer.user]``); any other is
      refused (PostgreSQL SQLSTATE 28000, MySQL error 1045); the list is in the log only.
    - ``listen``: ``"127.0.0.1:5433"`` (a loopback IP address and a port; 0 picks a free one).
    - ``ca``: a PEM file of roots for the database's certificate instead of the system roots
      plus the RDS bundle.
    - ``client_tls``: TLS towards clients: ``"auto"`` (a self-signed certificate made at start,
      for ``sslmode=require``) or a ``(cert_path, key_path)`` tuple.
    - ``client_tls_required``: refuse clients that do not turn TLS on (PostgreSQL SQLSTATE
      28000 with a hint, MySQL error 1045); needs ``client_tls``.
    - ``max_connections``: client sessions open at once (0: no limit); past it a client gets
      "too many connections" (SQLSTATE 53300, MySQL error 1040).
    - ``engine``: ``"postgresql"`` or ``"mysql"`` (default: ``"mysql"`` for port 3306, else
      ``"postgresql"``).

    Raises ``InvalidArgument`` when the address cannot be bound or a TLS file cannot be read.
    Use it as a context manager, or call ``close()``.
    """

    def __new__(
        cls,
        signer: Signer,
        *,
        database: Optional[str] = None,
        users: Optional[Sequence[str]] = None,
        listen: Optional[str] = None,
        ca: Optional[Union[str, os.PathLike[str]]] = None,
        client_tls: Optional[
            Union[
                Literal["auto"], tuple[Union[str, os.PathLike[str]], Union[str, os.PathLike[str]]]
            ]
        ] = None,
        client_tls_required: bool = False,
        max_connections: int = 0,
        engine: Optional[ProxyEngine] = None,
    ) -> Proxy: ...
    @property
    def url(self) -> str:
        """``postgresql://<user>@127.0.0.1:<port>/<database>?sslmode=disable`` (or
        ``mysql://<user>@127.0.0.1:<port>/<database>``): no password."""
    @property
    def host(self) -> str:
        """The address the proxy listens on."""
    @property
    def port(self) -> int:
        """The port the proxy listens on."""
    @property
    def open_sessions(self) -> int:
        """Client sessions open now (0 once ``close()`` has begun)."""
    @property
    def closed(self) -> bool:
        """True once ``close()`` has begun."""
    def close(self) -> None:
        """Stops accepting, lets open sessions finish for up to 5 s, then closes the rest.

        Returns once the port is closed, with the GIL released meanwhile; idempotent.
        """
    def __enter__(self) -> Proxy: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None: ...

def sign(
    host: str,
    port: Optional[int] = None,
    user: Optional[str] = None,
    region: Optional[str] = None,
    *,
    credentials: Union[Credentials, Mapping[str, object]],
    at: Optional[datetime] = None,
    kind: Optional[Kind] = None,
    expires_in: Optional[Seconds] = None,
) -> str: ...
def clear_caches() -> None: ...
def stats() -> Stats: ...
def cli_main(args: list[str]) -> int: ...
def trust_file() -> str: ...
