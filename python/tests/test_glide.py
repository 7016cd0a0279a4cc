"""valkey-glide with a Signer: logs in to iamdb's cache front for each kind (serverless too, which
GLIDE's own IAM cannot do), and keep_fresh re-AUTHs one live connection across several
max_connection_age periods, then ends when the client closes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from glide import (
    GlideClient,
    GlideClientConfiguration,
    IamAuthConfig,
    NodeAddress,
    ServerCredentials,
    ServiceType,
)
from glide_shared.config import AdvancedGlideClientConfiguration, TlsAdvancedConfiguration

import rds_iam
import rds_iam.glide

KINDS = [
    ("cache_name", "elasticache"),
    ("cache_serverless_name", "elasticache-serverless"),
    ("memorydb_name", "memorydb"),
]


def config(db: Any, credentials: Any) -> GlideClientConfiguration:
    with open(db.ca_file, "rb") as f:
        ca = f.read()
    return GlideClientConfiguration(
        [NodeAddress(db.host, db.cache_port)],
        use_tls=True,
        credentials=credentials,
        advanced_config=AdvancedGlideClientConfiguration(
            tls_config=TlsAdvancedConfiguration(root_pem_cacerts=ca)
        ),
        request_timeout=5000,
    )


def signer(
    db: Any, kind: str = "elasticache", name: str | None = None, **kw: Any
) -> rds_iam.Signer:
    return rds_iam.Signer(
        name or db.cache_name, user=db.cache_user, region=db.region, kind=kind, **kw
    )


@pytest.mark.parametrize("attr,kind", KINDS)
def test_each_kind_logs_in(db: Any, attr: str, kind: str) -> None:
    s = signer(db, kind, getattr(db, attr))

    async def main() -> Any:
        client = await GlideClient.create(config(db, await rds_iam.glide.server_credentials(s)))
        try:
            await client.set("glide-hook", kind)
            return await client.get("glide-hook")
        finally:
            await client.close()

    mark = db.mark()
    assert asyncio.run(main()) == kind.encode()
    assert [(e["outcome"], e["kind"]) for e in db.log_since(mark)] == [("accept", kind)]


def test_glide_builtin_iam_cannot_reach_a_serverless_cache(db: Any, monkeypatch: Any) -> None:
    """The gap the module doc names: GLIDE signs no ResourceType=ServerlessCache."""
    monkeypatch.setenv("AWS_REGION", db.region)
    creds = ServerCredentials(
        username=db.cache_user,
        iam_config=IamAuthConfig(db.cache_serverless_name, ServiceType.ELASTICACHE, db.region),
    )

    async def main() -> None:
        client = await GlideClient.create(config(db, creds))
        await client.close()

    mark = db.mark()
    with pytest.raises(Exception, match="WRONGPASS"):
        asyncio.run(main())
    assert ("reject", "resource_type_missing") in [
        (e["outcome"], e["reason"]) for e in db.log_since(mark)
    ]


def test_keep_fresh_keeps_one_connection_and_ends_with_the_client(db: Any) -> None:
    db.set_max_connection_age(0.6)
    s = signer(db, reuse_for=0.1)

    async def main() -> tuple[bool, bool]:
        client = await GlideClient.create(config(db, await rds_iam.glide.server_credentials(s)))
        task = rds_iam.glide.keep_fresh(client, s, refresh_every=0.2)
        first = await client.custom_command(["CLIENT", "ID"])
        await asyncio.sleep(2.0)  # > 3 periods of max_connection_age
        same = await client.custom_command(["CLIENT", "ID"]) == first
        await client.close()
        await asyncio.wait_for(task, timeout=10)
        return same, task.done()

    try:
        mark = db.mark()
        assert asyncio.run(main()) == (True, True)
        log = db.log_since(mark)
        assert not [e for e in log if e["outcome"] == "closed"]
        assert len([e for e in log if e["command"] == "AUTH" and e["outcome"] == "accept"]) >= 3
    finally:
        db.set_max_connection_age(43200)


def test_keep_fresh_checks_refresh_every(db: Any) -> None:
    async def main() -> None:
        rds_iam.glide.keep_fresh(object(), signer(db), refresh_every=0)

    with pytest.raises(ValueError, match="refresh_every"):
        asyncio.run(main())
