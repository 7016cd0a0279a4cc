"""Types for annotating code that uses rds_iam (shared by the stubs and the driver helpers)."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from datetime import datetime, timedelta
from typing import Any, Callable, Literal, Optional, Protocol, TypedDict, Union

__all__ = [
    "CredentialSource",
    "Credentials",
    "Kind",
    "ProxyEngine",
    "Seconds",
    "Stats",
    "UrlDriver",
]

Seconds = Union[float, timedelta]
"""A duration: seconds as int/float, or a ``datetime.timedelta``."""

Kind = Literal[
    "rds",
    "dsql_connect",
    "dsql_admin",
    "elasticache",
    "elasticache-serverless",
    "memorydb",
]
"""A token kind: ``"rds"``, ``"dsql_connect"``, ``"dsql_admin"``, ``"elasticache"``,
``"elasticache-serverless"`` or ``"memorydb"`` (``-`` and ``_`` are interchangeable)."""

#: The protocols ``Signer.dsn()`` builds a URL for.
UrlDriver = Literal["postgresql", "postgres", "mysql", "mariadb"]

#: The wire protocols ``Proxy(engine=...)`` speaks.
ProxyEngine = Literal["postgresql", "postgres", "mysql", "mariadb"]


class _RequiredCredentials(TypedDict):
    access_key_id: str
    secret_access_key: str


class Credentials(_RequiredCredentials, total=False):
    """Explicit AWS credentials, as ``Signer(credentials=...)`` and ``sign(...)`` take them."""

    session_token: Optional[str]
    expires_at: Optional[datetime]


class Stats(TypedDict):
    """``rds_iam.stats()``: process-wide counters."""

    signatures: int
    """Tokens signed (cache misses) since the process started."""
    credential_fetches: int
    """Credential fetches and refreshes that returned credentials since the process started."""


class _SessionLike(Protocol):
    """A boto3 / botocore Session: ``get_credentials()`` returns botocore credentials."""

    def get_credentials(self) -> Any: ...


class _BotocoreCredentialsLike(Protocol):
    """botocore ``Credentials`` / ``RefreshableCredentials``."""

    def get_frozen_credentials(self) -> Any: ...


CredentialSource = Union[
    _SessionLike,
    _BotocoreCredentialsLike,
    Callable[[], Union[Mapping[str, object], Awaitable[Mapping[str, object]]]],
]
"""A credential source of the application's own for ``Signer(credentials=...)``: a boto3
``Session``, botocore credentials, or a callable (sync or async) returning a credentials
mapping. It is asked only when the cached credentials are missing or near expiry."""
