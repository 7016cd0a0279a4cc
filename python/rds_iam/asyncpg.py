"""asyncpg with IAM auth tokens.

asyncpg calls a callable ``password`` for every new connection and awaits what it returns, so
``password=signer.token_async`` is all it takes::

    pool = await asyncpg.create_pool(host=..., user=..., password=signer.token_async, ssl="require")

or, with host, port, user and ``ssl="require"`` filled in from the signer::

    pool = await rds_iam.asyncpg.create_pool(signer, database="app")
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    import asyncpg

__all__ = ["connect", "connect_kwargs", "create_pool"]


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``asyncpg.connect`` / ``create_pool``: host, port and user from the
    signer, ``password=signer.token_async``, ``ssl="require"`` unless given (or PGSSLMODE set)."""
    params = dict(kwargs)
    if "dsn" not in params:
        _defaults.endpoint(signer, params)
    params["password"] = signer.token_async
    if "ssl" not in params and "PGSSLMODE" not in os.environ:
        params["ssl"] = "require"
    return params


async def connect(signer: Signer, **kwargs: Any) -> asyncpg.Connection:
    """``asyncpg.connect`` logging in with a token from ``signer``."""
    import asyncpg

    return await asyncpg.connect(**connect_kwargs(signer, **kwargs))


def create_pool(signer: Signer, **kwargs: Any) -> asyncpg.Pool:
    """``asyncpg.create_pool``: every new connection of the pool gets a (cached) token.
    Use it as ``await create_pool(...)`` or ``async with create_pool(...) as pool``."""
    import asyncpg

    return asyncpg.create_pool(**connect_kwargs(signer, **kwargs))
