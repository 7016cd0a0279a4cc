"""psycopg2 with IAM auth tokens: ``connect(signer, ...)`` and pools that sign per connection.

>>> conn = rds_iam.psycopg2.connect(signer, dbname="app")                       # doctest: +SKIP
>>> pool = rds_iam.psycopg2.threaded_pool(signer, 1, 10, dbname="app")          # doctest: +SKIP

psycopg2's own pools call ``psycopg2.connect`` with the arguments they were created with, so a
password given to them is frozen; these pools put a fresh (cached) token in each time.
TLS defaults to ``sslmode=verify-full`` with the system roots plus the shipped RDS CA bundle, as
in :mod:`rds_iam.psycopg` (``ca=``, ``ssl_verify=False``; your own ``sslmode`` wins).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    from psycopg2.extensions import connection
    from psycopg2.pool import SimpleConnectionPool, ThreadedConnectionPool

__all__ = ["connect", "connect_kwargs", "simple_pool", "threaded_pool"]


def connect_kwargs(signer: Signer, dsn: Optional[str] = None, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``psycopg2.connect(dsn, **...)`` with a token as password."""
    given: dict[str, Any] = {}
    if dsn:
        from psycopg2.extensions import parse_dsn

        given = parse_dsn(dsn)
    return _defaults.libpq_params(signer, signer.token(), given, kwargs)


def connect(signer: Signer, dsn: Optional[str] = None, **kwargs: Any) -> connection:
    """``psycopg2.connect`` with host, port, user and a token from ``signer``."""
    import psycopg2

    conn: connection = psycopg2.connect(dsn, **connect_kwargs(signer, dsn, **kwargs))
    return conn


def _pool(base: Any) -> Any:
    class IamPool(base):  # type: ignore[misc]
        """A psycopg2 pool that logs every new connection in with a fresh (cached) token."""

        def __init__(
            self, signer: Signer, minconn: int, maxconn: int, dsn: Optional[str], kw: Any
        ) -> None:
            self._rds_iam = (signer, dsn, kw)
            super().__init__(minconn, maxconn, dsn, **connect_kwargs(signer, dsn, **kw))

        def _connect(self, key: Any = None) -> Any:
            signer, dsn, kw = self._rds_iam
            self._kwargs = connect_kwargs(signer, dsn, **kw)
            return super()._connect(key)

    IamPool.__name__ = IamPool.__qualname__ = f"Iam{base.__name__}"
    return IamPool


def threaded_pool(
    signer: Signer, minconn: int, maxconn: int, dsn: Optional[str] = None, **kwargs: Any
) -> ThreadedConnectionPool:
    """A ``psycopg2.pool.ThreadedConnectionPool`` whose new connections use fresh tokens."""
    import psycopg2.pool

    cls = _pool(psycopg2.pool.ThreadedConnectionPool)
    pool: ThreadedConnectionPool = cls(signer, minconn, maxconn, dsn, kwargs)
    return pool


def simple_pool(
    signer: Signer, minconn: int, maxconn: int, dsn: Optional[str] = None, **kwargs: Any
) -> SimpleConnectionPool:
    """A ``psycopg2.pool.SimpleConnectionPool`` (one thread) whose new connections use fresh
    tokens."""
    import psycopg2.pool

    cls = _pool(psycopg2.pool.SimpleConnectionPool)
    pool: SimpleConnectionPool = cls(signer, minconn, maxconn, dsn, kwargs)
    return pool
