"""asyncmy with IAM auth tokens (RDS / Aurora MySQL and MariaDB; SQLAlchemy's
``mysql+asyncmy`` dialect uses it).

>>> conn = await rds_iam.asyncmy.connect(signer, database="app")               # doctest: +SKIP
>>> pool = await rds_iam.asyncmy.create_pool(signer, database="app")           # doctest: +SKIP

asyncmy (≥ 0.2.16) calls ``password_creator`` before every connection attempt, its pool's
included, and awaits what it returns: ``password_creator=signer.token_async`` is the whole hook.
The helpers add host, port, user and TLS: a verifying ``SSLContext`` (system roots plus the
shipped RDS CA bundle, checked against ``sign_host`` for tunnels), since asyncmy sends the
cleartext token over whatever it has. ``ca=`` replaces the trust, ``ssl_verify=False`` only
encrypts, your own ``ssl=`` wins.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rds_iam import _defaults
from rds_iam._native import Signer

if TYPE_CHECKING:
    from asyncmy.connection import Connection

__all__ = ["connect", "connect_kwargs", "create_pool"]


def connect_kwargs(signer: Signer, **kwargs: Any) -> dict[str, Any]:
    """Keyword arguments for ``asyncmy.connect`` / ``asyncmy.create_pool``: host, port and user
    from the signer, ``password_creator=signer.token_async``, a verifying ``ssl`` context."""
    params = dict(kwargs)
    verify, ca = _defaults.tls_choice(params)
    _defaults.endpoint(signer, params)
    params["password_creator"] = signer.token_async
    _defaults.mysql_tls(signer, params, verify, ca)
    return params


async def connect(signer: Signer, **kwargs: Any) -> Connection:
    """``asyncmy.connect`` logging in with a token from ``signer``."""
    import asyncmy

    conn: Connection = await asyncmy.connect(**connect_kwargs(signer, **kwargs))
    return conn


def create_pool(signer: Signer, **kwargs: Any) -> Any:
    """``asyncmy.create_pool``: every new connection of the pool asks ``signer`` for a (cached)
    token. ``await`` it or use it as ``async with create_pool(...) as pool``."""
    import asyncmy

    return asyncmy.create_pool(**connect_kwargs(signer, **kwargs))
