"""aiomysql with IAM auth tokens (RDS / Aurora MySQL and MariaDB; SQLAlchemy's
``mysql+aiomysql`` dialect uses it).

>>> conn = await rds_iam.aiomysql.connect(signer, db="app")                    # doctest: +SKIP
>>> pool = await rds_iam.aiomysql.create_pool(signer, db="app", maxsize=10)    # doctest: +SKIP
>>> async with rds_iam.aiomysql.create_pool(signer, db="app") as pool: ...     # doctest: +SKIP

aiomysql answers the server's ``mysql_clear_password`` request with the token but, like PyMySQL,
does not insist on TLS: the helpers pass a verifying ``SSLContext`` (system roots plus the
shipped RDS CA bundle, checked against ``sign_host`` for tunnels). ``ca=`` replaces the trust,
``ssl_verify=False`` only encrypts, your own ``ssl=`` wins.

aiomysql has no password callback and its pool connects with the keyword arguments it was
created with, so ``aiomysql.create_pool(password=token)`` fails 15 minutes later; this pool
puts a fresh (cached) token in before it opens new connections.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Optional

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    import aiomysql

__all__ = ["connect", "connect_kwargs", "create_pool"]


def _params(signer: Signer, password: Optional[str], kwargs: dict[str, Any]) -> dict[str, Any]:
    params = dict(kwargs)
    verify, ca = _defaults.tls_choice(params)
    _defaults.endpoint(signer, params)
    if password is not None:
        params["password"] = password
    _defaults.mysql_tls(signer, params, verify, ca)
    return params


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``aiomysql.connect``: host, port, user, a token, verified TLS."""
    return _params(signer, signer.token(), kwargs)


async def connect(signer: Signer, **kwargs: Any) -> aiomysql.Connection:
    """``aiomysql.connect`` logging in with a token from ``signer`` (awaited, not blocking)."""
    import aiomysql

    conn: aiomysql.Connection = await aiomysql.connect(
        **_params(signer, await signer.token_async(), kwargs)
    )
    return conn


def _pool_class(signer: Signer) -> type[aiomysql.Pool]:
    import aiomysql

    class IamPool(aiomysql.Pool):  # type: ignore[misc]
        """An aiomysql pool whose new connections log in with a fresh (cached) token."""

        async def _fill_free_pool(self, override_min: bool) -> None:
            # Every new connection of the pool is opened here, with `_conn_kwargs`.
            self._conn_kwargs["password"] = await signer.token_async()
            await super()._fill_free_pool(override_min)

    return IamPool


def create_pool(
    signer: Signer,
    minsize: int = 1,
    maxsize: int = 10,
    echo: bool = False,
    pool_recycle: int = -1,
    **kwargs: Any,
) -> Any:
    """``aiomysql.create_pool`` whose connections get a token each: ``await`` it or use it as
    ``async with create_pool(...) as pool``."""
    from aiomysql.utils import _PoolContextManager

    params = _params(signer, None, kwargs)
    cls = _pool_class(signer)

    async def make() -> aiomysql.Pool:  # aiomysql's own create_pool, with the class above
        pool = cls(
            minsize=minsize,
            maxsize=maxsize,
            echo=echo,
            pool_recycle=pool_recycle,
            loop=asyncio.get_running_loop(),
            **params,
        )
        if minsize > 0:
            async with pool._cond:
                await pool._fill_free_pool(False)
        return pool

    return _PoolContextManager(make())
