"""rds_iam.redis logs redis-py in to iamdb's cache front (a Redis that checks ElastiCache /
MemoryDB IAM tokens), sync and asyncio, for each token kind; its streaming side keeps one
connection alive across several max_connection_age periods while a plain string password is cut;
its timer thread is a daemon and ends with its clients."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from typing import Any, Iterator

import pytest
import redis
import redis.asyncio
import redis.cluster
from redis.backoff import NoBackoff
from redis.retry import Retry

import rds_iam
import rds_iam.redis

KINDS = [
    ("cache_name", "elasticache"),
    ("cache_serverless_name", "elasticache-serverless"),
    ("memorydb_name", "memorydb"),
]
THREAD = "rds_iam.redis re-auth"


def cache_signer(
    db: Any, kind: str = "elasticache", name: str | None = None, **kw: Any
) -> rds_iam.Signer:
    return rds_iam.Signer(
        name or db.cache_name, user=db.cache_user, region=db.region, kind=kind, **kw
    )


def connect_kwargs(db: Any) -> dict[str, Any]:
    return dict(
        host=db.host,
        port=db.cache_port,
        ssl=True,
        ssl_ca_certs=db.ca_file,
        retry=Retry(NoBackoff(), 0),
        socket_timeout=10,
    )


def cache_log(db: Any, mark: int) -> list[tuple[str, Any]]:
    return [(e["outcome"], e["reason"]) for e in db.log_since(mark) if e["server"] == "cache"]


@pytest.fixture
def short_cut(db: Any) -> Iterator[Any]:
    """Cache connections cut 0.6 s after their last AUTH (ElastiCache's 12 hours, scaled)."""
    db.set_max_connection_age(0.6)
    yield db
    db.set_max_connection_age(43200)
    db.set_max_age(900)


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("attr,kind", KINDS)
def test_each_kind_logs_in_and_runs_commands(db: Any, attr: str, kind: str, protocol: int) -> None:
    signer = cache_signer(db, kind, getattr(db, attr))
    mark = db.mark()
    provider = rds_iam.redis.credential_provider(signer)
    with redis.Redis(credential_provider=provider, protocol=protocol, **connect_kwargs(db)) as r:
        assert r.set("py-hook", kind) is True
        assert r.get("py-hook") == kind.encode()
        assert r.acl_whoami() in (db.cache_user, db.cache_user.encode())  # RESP3: bytes
    assert cache_log(db, mark) == [("accept", None)]
    assert [e["kind"] for e in db.log_since(mark)] == [kind]
    provider.close()


def test_signer_given_the_dial_address_and_the_cache_name_as_sign_host(db: Any) -> None:
    signer = rds_iam.Signer(
        db.host, db.cache_port, db.cache_user, db.region, sign_host=db.cache_name, kind="memorydb"
    )
    kw = {**connect_kwargs(db), "host": signer.host, "port": signer.port}
    mark = db.mark()
    provider = rds_iam.redis.credential_provider(signer)
    # iamdb-cache is not MemoryDB
    with (
        pytest.raises(redis.exceptions.AuthenticationError),
        redis.Redis(credential_provider=provider, **kw) as r,
    ):
        r.ping()
    assert cache_log(db, mark) == [("reject", "wrong_service")]
    signer = rds_iam.Signer(
        db.host,
        db.cache_port,
        db.cache_user,
        db.region,
        sign_host=db.memorydb_name,
        kind="memorydb",
    )
    with redis.Redis(credential_provider=rds_iam.redis.credential_provider(signer), **kw) as r:
        assert r.ping() is True


def test_asyncio_client_logs_in(db: Any) -> None:
    signer = cache_signer(db)
    provider = rds_iam.redis.credential_provider(signer)

    async def main() -> Any:
        async with redis.asyncio.Redis(credential_provider=provider, **connect_kwargs(db)) as r:
            await r.set("py-async", "yes")
            return await r.get("py-async")

    mark = db.mark()
    assert asyncio.run(main()) == b"yes"
    assert cache_log(db, mark) == [("accept", None)]
    provider.close()


def test_wrong_kind_is_refused_with_its_reason(db: Any) -> None:
    """A node-based token for a serverless cache lacks ResourceType: the front says so."""
    signer = cache_signer(db, "elasticache", db.cache_serverless_name)
    mark = db.mark()
    with (
        pytest.raises(redis.exceptions.AuthenticationError),
        redis.Redis(
            credential_provider=rds_iam.redis.credential_provider(signer), **connect_kwargs(db)
        ) as r,
    ):
        r.ping()
    assert cache_log(db, mark) == [("reject", "resource_type_missing")]


def test_streaming_keeps_one_connection_while_a_plain_password_is_cut(short_cut: Any) -> None:
    db = short_cut
    # reuse_for: the signer signs a new token at most every 0.1 s, so every push is young
    signer = cache_signer(db, reuse_for=0.1)
    provider = rds_iam.redis.credential_provider(signer, refresh_every=0.2)
    mark = db.mark()
    with (
        redis.Redis(credential_provider=provider, **connect_kwargs(db)) as streamed,
        redis.Redis(username=db.cache_user, password=signer.token(), **connect_kwargs(db)) as plain,
    ):
        streamed_id, plain_id = streamed.client_id(), plain.client_id()
        db.set_max_age(1)  # the plain password, once cut, is too old to log in again
        time.sleep(2.0)  # > 3 periods of max_connection_age
        assert streamed.client_id() == streamed_id  # the same connection all along
        assert streamed.get("nothing") is None
        with pytest.raises(redis.exceptions.AuthenticationError):
            plain.ping()
        assert plain_id != streamed_id
    log = db.log_since(mark)
    assert [e["reason"] for e in log if e["outcome"] == "closed"] == ["max_connection_age"]
    pushes = [e for e in log if e["outcome"] == "accept" and e["command"] == "AUTH"]
    assert len(pushes) >= 3  # the provider re-AUTHed the live connection again and again
    provider.close()


def test_async_streaming_keeps_one_connection(short_cut: Any) -> None:
    db = short_cut
    provider = rds_iam.redis.credential_provider(cache_signer(db, reuse_for=0.1), refresh_every=0.2)

    async def main() -> bool:
        async with redis.asyncio.Redis(credential_provider=provider, **connect_kwargs(db)) as r:
            first = await r.client_id()
            await asyncio.sleep(2.0)
            return bool(await r.client_id() == first)

    mark = db.mark()
    assert asyncio.run(main()) is True
    assert not [e for e in db.log_since(mark) if e["outcome"] == "closed"]
    provider.close()


def new_timer_threads(before: set[threading.Thread]) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD and t not in before]


def test_timer_is_a_daemon_and_ends_with_its_clients(db: Any) -> None:
    before = set(threading.enumerate())
    provider = rds_iam.redis.credential_provider(cache_signer(db), refresh_every=0.05)
    r = redis.Redis(credential_provider=provider, **connect_kwargs(db))
    r.ping()
    threads = new_timer_threads(before)
    assert threads and all(t.daemon for t in threads)
    r.close()
    del r
    gc.collect()
    for t in threads:
        t.join(timeout=10)
    assert not any(t.is_alive() for t in threads)


def test_close_stops_pushing(db: Any) -> None:
    before = set(threading.enumerate())
    provider = rds_iam.redis.credential_provider(cache_signer(db), refresh_every=0.05)
    with redis.Redis(credential_provider=provider, **connect_kwargs(db)) as r:
        r.ping()
        [thread] = new_timer_threads(before)
        provider.close()
        thread.join(timeout=10)
        assert not thread.is_alive()
        assert r.ping() is True


def test_refresh_every_must_be_positive(db: Any) -> None:
    with pytest.raises(ValueError, match="refresh_every"):
        rds_iam.redis.credential_provider(cache_signer(db), refresh_every=0)


def test_repr_names_the_user_never_the_token(db: Any) -> None:
    signer = cache_signer(db)
    provider = rds_iam.redis.credential_provider(signer)
    assert db.cache_user in repr(provider)
    assert signer.token() not in repr(provider)
    assert "X-Amz" not in repr(provider)


def test_cluster_client_logs_in_and_keeps_its_connections(short_cut: Any) -> None:
    """iamdb's Redis is a one-node cluster announcing the front: RedisCluster comes back through
    the front for every node, and the provider re-AUTHs each node's connections."""
    db = short_cut
    provider = rds_iam.redis.credential_provider(cache_signer(db, reuse_for=0.1), refresh_every=0.2)
    rc = redis.cluster.RedisCluster(credential_provider=provider, **connect_kwargs(db))
    try:
        for key in ("a", "b", "c", "d"):
            rc.set(f"cluster-{key}", key)
        assert rc.get("cluster-c") == b"c"
        first = rc.execute_command("CLIENT ID", target_nodes=rc.get_primaries())
        time.sleep(2.0)
        assert rc.execute_command("CLIENT ID", target_nodes=rc.get_primaries()) == first
    finally:
        rc.close()
        provider.close()
