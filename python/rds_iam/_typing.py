"""Types for annotating code that uses rds_iam (shared by the stubs and the driver helpers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal, Optional, TypedDict, Union

__all__ = ["Credentials", "Kind", "ProxyEngine", "Seconds", "Stats", "UrlDriver"]

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
