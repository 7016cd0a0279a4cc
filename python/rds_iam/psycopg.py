"""psycopg 3 (and psycopg_pool) with IAM auth tokens.

>>> conn = rds_iam.psycopg.connect(signer, dbname="app")                       # doctest: +SKIP
>>> pool = ConnectionPool(kwargs=rds_iam.psycopg.pool_kwargs(signer, dbname="app"))  # +SKIP
>>> pool = ConnectionPool(connection_class=rds_iam.psycopg.connection_class(signer),
...                       kwargs={"dbname": "app"})                            # doctest: +SKIP

Every new physical connection gets a token from ``signer`` (cached and reused while good), so a
pool keeps connecting after the first token has expired. TLS defaults to ``sslmode=verify-full``
with ``sslrootcert`` = the system roots plus the shipped RDS CA bundle (for a tunnel, checked
against the signer's ``sign_host``); ``ca=`` names another root file, ``ssl_verify=False`` only
encrypts, and your own ``sslmode`` / ``sslrootcert`` / PGSSLMODE win.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "async_connection_class",
    "async_pool_kwargs",
    "connect",
    "connect_async",
    "connect_kwargs",
    "connection_class",
    "pool_kwargs",
]


def _params(signer: Signer, password: Any, conninfo: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """The caller's keyword arguments plus what the signer knows, never overriding the caller
    (neither its keywords nor its conninfo string)."""
    given: dict[str, Any] = {}
    if conninfo:
        from psycopg.conninfo import conninfo_to_dict

        given = conninfo_to_dict(conninfo)
    return _defaults.libpq_params(signer, password, given, kwargs)


def connect_kwargs(signer: Signer, conninfo: str = "", **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``psycopg.connect(conninfo, **...)`` with a token as password."""
    return _params(signer, signer.token(), conninfo, kwargs)


def connect(signer: Signer, conninfo: str = "", **kwargs: Any) -> psycopg.Connection[Any]:
    """``psycopg.connect`` with host, port, user and a token from ``signer``."""
    import psycopg

    return psycopg.Connection.connect(conninfo, **connect_kwargs(signer, conninfo, **kwargs))


async def connect_async(
    signer: Signer, conninfo: str = "", **kwargs: Any
) -> psycopg.AsyncConnection[Any]:
    """``psycopg.AsyncConnection.connect`` with a token from ``signer`` (awaited, not blocking)."""
    import psycopg

    params = _params(signer, await signer.token_async(), conninfo, kwargs)
    return await psycopg.AsyncConnection.connect(conninfo, **params)


def pool_kwargs(signer: Signer, **kwargs: Any) -> Callable[[], dict[str, Any]]:
    """For ``psycopg_pool.ConnectionPool(kwargs=...)`` (psycopg_pool >= 3.3 calls it for every
    new connection). Pass ``sslmode`` here rather than in the pool's conninfo."""

    def make() -> dict[str, Any]:
        return _params(signer, signer.token(), "", kwargs)

    return make


def async_pool_kwargs(signer: Signer, **kwargs: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    """For ``psycopg_pool.AsyncConnectionPool(kwargs=...)`` (psycopg_pool >= 3.3)."""

    async def make() -> dict[str, Any]:
        return _params(signer, await signer.token_async(), "", kwargs)

    return make


def connection_class(signer: Signer) -> type[psycopg.Connection[Any]]:
    """A ``psycopg.Connection`` subclass whose ``connect`` logs in with a token from ``signer``:
    pass it as ``connection_class=`` to ``psycopg_pool.ConnectionPool`` (any version)."""
    import psycopg

    class IamConnection(psycopg.Connection[Any]):
        @classmethod
        def connect(cls, conninfo: str = "", **kwargs: Any) -> Any:
            params = _params(signer, signer.token(), conninfo, kwargs)
            return super().connect(conninfo, **params)

    IamConnection.__qualname__ = IamConnection.__name__ = "IamConnection"
    return IamConnection


def async_connection_class(signer: Signer) -> type[psycopg.AsyncConnection[Any]]:
    """The ``psycopg.AsyncConnection`` counterpart, for ``psycopg_pool.AsyncConnectionPool``."""
    import psycopg

    class IamAsyncConnection(psycopg.AsyncConnection[Any]):
        @classmethod
        async def connect(cls, conninfo: str = "", **kwargs: Any) -> Any:
            params = _params(signer, await signer.token_async(), conninfo, kwargs)
            return await super().connect(conninfo, **params)

    return IamAsyncConnection
