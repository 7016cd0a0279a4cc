"""asyncpg with IAM auth tokens.

asyncpg calls a callable ``password`` for every new connection and awaits what it returns, so
``password=signer.token_async`` is all it takes::

    pool = await asyncpg.create_pool(host=..., user=..., password=signer.token_async,
                                     ssl=rds_iam.ssl_context())

or, with host, port, user and a verifying ``ssl`` context filled in from the signer::

    pool = await rds_iam.asyncpg.create_pool(signer, database="app")

The server certificate is checked against the system roots plus the shipped RDS CA bundle
(``ca=`` replaces them; ``ssl_verify=False`` only encrypts) and, for a tunnel, against the
signer's ``sign_host``. Your own ``ssl=`` (or PGSSLMODE) wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    import asyncpg

__all__ = ["connect", "connect_kwargs", "create_pool"]


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``asyncpg.connect`` / ``create_pool``: host, port and user from the
    signer, ``password=signer.token_async``, a verifying ``ssl`` context unless given (or
    PGSSLMODE set); ``ca=`` / ``ssl_verify=False`` change the default context."""
    params = dict(kwargs)
    verify, ca = _defaults.tls_choice(params)
    if "dsn" not in params:
        _defaults.endpoint(signer, params)
    params["password"] = signer.token_async
    _defaults.asyncpg_tls(signer, params, verify, ca)
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
