"""Checked by ``mypy --strict`` (make python-test): the public API is fully typed.
Never executed; it only has to type-check against the installed wheel's stubs."""

from __future__ import annotations

import asyncio
import ssl
from datetime import datetime, timedelta, timezone

import rds_iam
import rds_iam.aiomysql
import rds_iam.asyncmy
import rds_iam.asyncpg
import rds_iam.django.mysql.base
import rds_iam.django.postgresql.base
import rds_iam.mysql_connector
import rds_iam.mysqlclient
import rds_iam.psycopg
import rds_iam.psycopg2
import rds_iam.pymysql
import rds_iam.sqlalchemy
from rds_iam._typing import Kind


def typed() -> None:
    creds: rds_iam.Credentials = {"access_key_id": "AKID", "secret_access_key": "s"}
    signer = rds_iam.Signer(
        "db.abc.us-east-1.rds.amazonaws.com",
        5432,
        "app",
        reuse_for=timedelta(minutes=5),
        refresh_margin=120.0,
        credentials=creds,
    )
    token: str = signer.token()
    dsql = rds_iam.Signer(cluster_id="abcdefghijklmnopqrstuvwxyz", region="us-east-1", user="admin")
    url: str = dsql.dsn()
    mysql_url: str = signer.dsn("app", driver="mysql", ca="/etc/ca.pem")
    info: rds_iam.TokenInfo = signer.token_info()
    expires: datetime = info.expires_at
    cached: bool = info.from_cache
    fut: asyncio.Future[str] = signer.token_async()
    host: str = signer.host
    port: int = signer.port
    user: str | None = signer.user
    signed: str = rds_iam.sign(
        "db.abc.us-east-1.rds.amazonaws.com",
        5432,
        "app",
        credentials=creds,
        at=datetime.now(timezone.utc),
        kind="rds",
    )
    cache = rds_iam.Signer(
        "my-cache", None, "app", "us-east-1", kind="elasticache-serverless", credentials=creds
    )
    kind: Kind = "memorydb"
    print(cache.kind, kind)
    count: int = rds_iam.stats()["signatures"]
    rds_iam.clear_caches()
    status: int = rds_iam._native.cli_main(["--version"])
    try:
        rds_iam.Signer("", user="u")
    except rds_iam.RdsIamError as e:
        code: str = e.code
        provider: str | None = e.provider
        print(code, provider)
    print(token, expires, cached, fut, host, port, user, signed, count, status, url, mysql_url)

    conn = rds_iam.psycopg.connect(signer, dbname="app")
    conn.close()
    kwargs = rds_iam.psycopg.pool_kwargs(signer, dbname="app")
    print(kwargs()["password"], rds_iam.psycopg.connection_class(signer))
    pg2 = rds_iam.psycopg2.connect(signer, dbname="app")
    pg2.close()
    pool = rds_iam.psycopg2.threaded_pool(signer, 1, 2, dbname="app")
    pool.closeall()
    my = rds_iam.pymysql.connect(signer, database="app")
    my.close()
    mc = rds_iam.mysql_connector.connect(signer, database="app")
    mc.close()
    mysqldb = rds_iam.mysqlclient.connect(signer, database="app")
    mysqldb.close()
    options: tuple[str, ...] = rds_iam._native.SIGNER_OPTIONS
    backends = (
        rds_iam.django.postgresql.base.DatabaseWrapper,
        rds_iam.django.mysql.base.DatabaseWrapper,
    )
    print(options, backends, rds_iam.aiomysql.connect_kwargs(signer)["password"])
    bundle: str = rds_iam.ca_bundle_path()
    ctx: ssl.SSLContext = rds_iam.ssl_context(verify=True, ca=bundle, server_hostname="db")
    loose: ssl.SSLContext = rds_iam.ssl_context(False)
    print(ctx, loose, rds_iam._native.trust_file(), len(rds_iam._native.CA_BUNDLE_PEM))


async def typed_async(signer: rds_iam.Signer) -> None:
    token: str = await signer.token_async()
    conn = await rds_iam.asyncpg.connect(signer, database="app")
    await conn.close()
    async with rds_iam.asyncpg.create_pool(signer, database="app") as pool:
        print(pool, token)
    aconn = await rds_iam.psycopg.connect_async(signer, dbname="app")
    await aconn.close()
    amy = await rds_iam.aiomysql.connect(signer, db="app")
    amy.close()
    async with rds_iam.aiomysql.create_pool(signer, db="app") as apool:
        print(apool)
    asm = await rds_iam.asyncmy.connect(signer, database="app")
    asm.close()


def typed_cache(signer: rds_iam.Signer) -> None:
    import redis

    import rds_iam.redis

    provider: rds_iam.redis.IamCredentialProvider = rds_iam.redis.credential_provider(
        signer, refresh_every=3600.0
    )
    r = redis.Redis(host=signer.host, port=signer.port, ssl=True, credential_provider=provider)
    every: float = provider.refresh_every
    print(r, every)
    provider.close()


def typed_proxy(signer: rds_iam.Signer) -> None:
    import psycopg

    with rds_iam.Proxy(signer, database="app", users=["app", "reader"], ca="/ca.pem") as p:
        url: str = p.url
        host: str = p.host
        port: int = p.port
        open_sessions: int = p.open_sessions
        with psycopg.connect(url) as conn:
            print(conn, host, port, open_sessions)
    closed: bool = p.closed
    tls = rds_iam.Proxy(signer, client_tls=("/c.pem", "/k.pem"), listen="127.0.0.1:0")
    auto = rds_iam.Proxy(signer, client_tls="auto", max_connections=10, engine="mysql")
    tls.close()
    auto.close()
    print(closed)
