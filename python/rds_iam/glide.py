"""valkey-glide (async client) with ElastiCache / MemoryDB IAM auth tokens from a Signer.

GLIDE ≥ 2.2 has IAM auth of its own (``ServerCredentials(username=..., iam_config=
IamAuthConfig(cluster_name, ServiceType.ELASTICACHE, region))``), with two gaps (checked against
valkey-glide 2.5.3 and iamdb's cache front):

- it never signs ``ResourceType=ServerlessCache``, so it cannot log in to an ElastiCache
  Serverless cache (the front refuses it: ``resource_type_missing``);
- refreshing its token does not re-AUTH live connections: a connection is cut when the server's
  connection age runs out (12 hours on ElastiCache) and GLIDE reconnects.

With a Signer instead (any kind, serverless included, and the same credential chain and caches
as the rest of rds_iam)::

    client = await GlideClient.create(GlideClientConfiguration(
        [NodeAddress(endpoint, 6379)], use_tls=True,
        credentials=await rds_iam.glide.server_credentials(signer)))
    task = rds_iam.glide.keep_fresh(client, signer)

``keep_fresh`` calls GLIDE's ``update_connection_password(token, immediate_auth=True)`` every
``refresh_every`` seconds (default 10 hours): live connections are re-AUTHed and reconnects use
the new token. It is an asyncio task on the running loop (it never keeps the interpreter alive);
it ends when the client is closed, or cancel it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rds_iam.errors import refresh_seconds

if TYPE_CHECKING:
    from rds_iam._native import Signer

__all__ = ["DEFAULT_REFRESH_EVERY", "keep_fresh", "server_credentials"]

#: Seconds between re-AUTHs: 10 hours, inside ElastiCache / MemoryDB's 12-hour cut.
DEFAULT_REFRESH_EVERY = 36000.0


async def server_credentials(signer: Signer) -> Any:
    """``glide.ServerCredentials(username=signer.user, password=<the signer's token>)``."""
    from glide import ServerCredentials

    return ServerCredentials(username=signer.user, password=await signer.token_async())


def keep_fresh(
    client: Any, signer: Signer, *, refresh_every: float = DEFAULT_REFRESH_EVERY
) -> asyncio.Task[None]:
    """Re-AUTH ``client`` (a GLIDE async client) with a fresh token every ``refresh_every``
    seconds, on the running event loop; returns the task (cancel it to stop early)."""
    every = refresh_seconds(refresh_every)
    return asyncio.get_running_loop().create_task(
        _refresh(client, signer, every), name="rds_iam.glide keep_fresh"
    )


async def _refresh(client: Any, signer: Signer, every: float) -> None:
    from glide import ClosingError

    while True:
        await asyncio.sleep(every)
        token = await signer.token_async()
        try:
            await client.update_connection_password(token, immediate_auth=True)
        except ClosingError:
            return  # the client was closed
        except Exception as e:
            import logging

            logging.getLogger("rds_iam.glide").warning(
                "re-AUTH of live connections failed: %s", type(e).__name__
            )
