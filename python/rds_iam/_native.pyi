"""Type stubs of the compiled module ``rds_iam._native`` (checked by mypy.stubtest)."""

import asyncio
import os
from collections.abc import Coroutine, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Optional, Union, final

from rds_iam._typing import (
    Credentials,
    CredentialSource,
    Kind,
    ProxyEngine,
    Seconds,
    Stats,
    UrlDriver,
)

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
    """Produces IAM auth tokens for one database endpoint and user, reusing them while they are
    good.
    """
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
        credentials: Optional[Union[Credentials, Mapping[str, object], CredentialSource]] = None,
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
    ) -> Signer:
        """An IAM auth token signer for one endpoint and user.

        ``host`` is the endpoint the client dials (``"host:port"`` works too); ``port`` defaults
        to 5432, or 6379 for the cache kinds; ``region`` is read from an RDS, DSQL, ElastiCache
        or MemoryDB hostname when not given. ``cluster_id`` (with ``region``) names an Aurora
        DSQL endpoint; ``sign_host`` is the endpoint to sign for behind a tunnel or custom DNS
        name. Credentials come from the default AWS chain unless ``profile`` or ``credentials``
        say otherwise; ``role_arn`` (with ``role_session_name``, ``external_id``) assumes a role
        on top. ``kind`` is ``"rds"``, ``"dsql_connect"``, ``"dsql_admin"``, ``"elasticache"``,
        ``"elasticache-serverless"`` or ``"memorydb"``. Durations are seconds or ``timedelta``:
        ``expires_in`` (DSQL), ``reuse_for``, ``refresh_margin``, ``fetch_timeout``,
        ``imds_timeout``; ``web_identity_attempts`` retries STS when it cannot reach the OIDC
        issuer.
        """
    def token(self) -> str:
        """A token (the database password), from the cache while one is good."""
    def token_info(self) -> TokenInfo:
        """The token with its expiry and whether it came from the cache."""
    def token_async(self) -> asyncio.Future[str]:
        """An awaitable token: done at once when no credential fetch is needed; otherwise the fetch
        runs on the library's thread and the event loop keeps running.
        """
    def token_info_async(self) -> asyncio.Future[TokenInfo]:
        """An awaitable `token_info()`: as `token_async()`, with the expiry and cache hit."""
    def dsn(
        self,
        database: Optional[str] = None,
        driver: UrlDriver = "postgresql",
        *,
        ca: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> str:
        """A connection URL with a token as its password (percent-encoded) and verifying TLS:
        `postgresql://…?sslmode=verify-full&sslrootcert=…` or
        `mysql://…?ssl-mode=VERIFY_IDENTITY&ssl-ca=…`. The URL freezes the token: for one-off
        connections only.
        """
    def dsn_async(
        self,
        database: Optional[str] = None,
        driver: UrlDriver = "postgresql",
        *,
        ca: Optional[Union[str, os.PathLike[str]]] = None,
    ) -> asyncio.Future[str]:
        """An awaitable `dsn()`: the options are checked at once (a bad one raises before any
        credential fetch); the fetch, if one is needed, runs off the event loop.
        """
    @property
    def host(self) -> str:
        """The host the client connects to."""
    @property
    def port(self) -> int:
        """The port the client connects to."""
    @property
    def user(self) -> Optional[str]:
        """The user to log in as (as given, `"admin"` for a DSQL admin signer without one; DSQL
        tokens carry none).
        """
    @property
    def region(self) -> str:
        """The signing region."""
    @property
    def sign_host(self) -> str:
        """What the tokens are signed for, as the `sign_host` option takes it: `host:port` when
        `sign_host` named a port or the signed port differs from `port`, else the host alone
        (differs from `host` behind a tunnel). Passing it back as `sign_host` signs the same.
        """
    @property
    def sign_port(self) -> int:
        """The port the tokens are signed for."""
    @property
    def kind(self) -> Kind:
        """The token kind: `"rds"`, `"dsql_connect"`, `"dsql_admin"`, `"elasticache"`,
        `"elasticache-serverless"` or `"memorydb"`.
        """

@final
class TokenInfo:
    """A token with its expiry; its repr leaves the token out."""
    @property
    def token(self) -> str:
        """The token: pass it as the database password."""
    @property
    def expires_at(self) -> datetime:
        """When the token stops working (aware UTC datetime)."""
    @property
    def signed_at(self) -> datetime:
        """When it was signed (aware UTC datetime)."""
    @property
    def from_cache(self) -> bool:
        """True if an earlier call signed it and this one reused it."""
    @property
    def access_key_id(self) -> str:
        """The access key id that signed it (not secret)."""

@final
class Proxy:
    """A local proxy for the signer's database (PostgreSQL, or MySQL / MariaDB): clients connect
    to ``url`` with no password and the proxy logs in upstream with an IAM token (verify-full
    TLS against the signer's ``sign_host``), then relays the session.
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
    ) -> Proxy:
        """A local proxy for ``signer``'s database, in this process.

        It listens on ``127.0.0.1`` on a free port unless ``listen`` says otherwise, and lets in
        the signer's user unless ``users`` lists others.

        - ``database``: the database named in ``url``.
        - ``users``: the user names that may log in (default: ``[signer.user]``); any other
          is refused (PostgreSQL SQLSTATE 28000, MySQL error 1045); the list is in the log only.
        - ``listen``: ``"127.0.0.1:5433"`` (a loopback IP address and a port; 0 picks a free
          one).
        - ``ca``: a PEM file of roots for the database's certificate instead of the system
          roots plus the RDS bundle.
        - ``client_tls``: TLS towards clients: ``"auto"`` (a self-signed certificate made at
          start, for ``sslmode=require``) or a ``(cert_path, key_path)`` tuple.
        - ``client_tls_required``: refuse clients that do not turn TLS on (PostgreSQL SQLSTATE
          28000 with a hint, MySQL error 1045); needs ``client_tls``.
        - ``max_connections``: client sessions open at once (0: no limit); past it a client
          gets "too many connections" (SQLSTATE 53300, MySQL error 1040).
        - ``engine``: ``"postgresql"`` or ``"mysql"`` (default: ``"mysql"`` for port 3306,
          else ``"postgresql"``).

        Raises ``InvalidArgument`` when the address cannot be bound or a TLS file cannot be read.
        Use it as a context manager (``with`` or ``async with``), or call ``close()`` (``await
        aclose()`` in asyncio code).
        """
    @property
    def url(self) -> str:
        """``postgresql://<user>@127.0.0.1:<port>/<database>?sslmode=disable`` (``mysql://…`` for
        MySQL): connect here with no password.
        """
    @property
    def host(self) -> str:
        """The address the proxy listens on (``"127.0.0.1"`` unless ``listen`` said otherwise)."""
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
        """Stops accepting clients, lets open sessions finish for up to 5 s, then closes the rest.
        Returns when the port is closed; the GIL is released meanwhile. Closing again does
        nothing.
        """
    def __enter__(self) -> Proxy: ...
    def __exit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        """Closes the proxy (exceptions go on)."""
    def aclose(self) -> Coroutine[Any, Any, None]:
        """An awaitable `close()`: the drain (up to 5 s) runs on a worker thread
        (`asyncio.to_thread`), so the event loop keeps running meanwhile.
        """
    def __aenter__(self) -> asyncio.Future[Proxy]:
        """`async with rds_iam.Proxy(signer) as p:` (the proxy is already listening)."""
    def __aexit__(
        self,
        exc_type: Optional[type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> Coroutine[Any, Any, None]:
        """Closes the proxy without blocking the event loop (see `aclose()`); exceptions go on."""

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
) -> str:
    """Signs one token with explicit credentials, at `at` (default: now). No cache, no I/O."""

def clear_caches() -> None:
    """Empties the process-wide token and credential caches.

    Every Signer, including those made before the call, builds its credential provider again on
    its next call (a rewritten `~/.aws/credentials` is read again) and shares the new caches.
    """

def stats() -> Stats:
    """Process-wide counters: `{"signatures": tokens signed so far, "credential_fetches":
    credential fetches that returned credentials}`."""

def cli_main(args: list[str]) -> int:
    """Runs the `rds-iam` command line with `args` (without the program name); returns the exit
    status. Output goes to `sys.stdout` / `sys.stderr`.
    """

def trust_file() -> str:
    """The path of a file holding the system roots, the RDS CA bundle and the public roots RDS
    Proxy / Aurora DSQL chain to (for libpq's ``sslrootcert``); written once per process into
    a private cache directory.
    """
