"""Each driver helper logs in to iamdb (PostgreSQL / MariaDB that verify IAM tokens like RDS)
with tokens from the default credential chain; pools keep connecting after the server-side
maximum token age has passed; N connections inside the reuse window cost one signature."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Callable

import pytest
from conftest import signatures

import rds_iam
import rds_iam.asyncpg
import rds_iam.psycopg
import rds_iam.psycopg2
import rds_iam.pymysql
import rds_iam.sqlalchemy

PG_WHO = "SELECT current_user"
MY_WHO = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"


def accepted(db: Any, mark: int, server: str) -> list[Any]:
    entries = [e for e in db.log_since(mark) if e["server"] == server]
    assert all(e["outcome"] == "accept" for e in entries), entries
    return entries


def wait_past_max_age(max_age: int) -> None:
    time.sleep(max_age + 1.5)


def short_reuse(db: Any, port: int) -> rds_iam.Signer:
    """A signer whose tokens are reused for 0.5 s only (so they stay younger than max age)."""
    return rds_iam.Signer(db.host, port, db.user, region=db.region, reuse_for=0.5)


# ---- psycopg 3 -----------------------------------------------------------------------------


def test_psycopg_connect(db: Any, pg_signer: rds_iam.Signer) -> None:
    mark = db.mark()
    with rds_iam.psycopg.connect(pg_signer, dbname=db.database, ca=db.ca_file) as conn:
        assert conn.execute(PG_WHO).fetchone() == (db.user,)
        assert conn.info.get_parameters()["sslmode"] == "verify-full"
    assert len(accepted(db, mark, "pg")) == 1


def test_psycopg_connect_with_conninfo_keeps_the_callers_choices(
    db: Any, pg_signer: rds_iam.Signer
) -> None:
    conninfo = f"dbname={db.database} sslmode=verify-full sslrootcert={db.ca_file}"
    with rds_iam.psycopg.connect(pg_signer, conninfo) as conn:
        assert conn.execute(PG_WHO).fetchone() == (db.user,)
        assert conn.info.get_parameters()["sslmode"] == "verify-full"


def test_psycopg_connect_async(db: Any, pg_signer: rds_iam.Signer) -> None:
    async def main() -> Any:
        conn = await rds_iam.psycopg.connect_async(pg_signer, dbname=db.database, ca=db.ca_file)
        async with conn:
            cur = await conn.execute(PG_WHO)
            return await cur.fetchone()

    assert asyncio.run(main()) == (db.user,)


def test_psycopg_pool_kwargs_one_signature_for_many_connections(
    db: Any, pg_signer: rds_iam.Signer
) -> None:
    from psycopg_pool import ConnectionPool

    before, mark = signatures(), db.mark()
    kwargs = rds_iam.psycopg.pool_kwargs(pg_signer, dbname=db.database, ca=db.ca_file)
    with ConnectionPool(kwargs=kwargs, min_size=4, max_size=4, open=True) as pool:
        pool.wait(timeout=30)
        conns = [pool.getconn() for _ in range(4)]
        assert {c.execute(PG_WHO).fetchone() for c in conns} == {(db.user,)}
        for c in conns:
            pool.putconn(c)
    assert len(accepted(db, mark, "pg")) == 4
    assert signatures() - before == 1


def test_psycopg_connection_class_pool(db: Any, pg_signer: rds_iam.Signer) -> None:
    from psycopg_pool import ConnectionPool

    before = signatures()
    cls = rds_iam.psycopg.connection_class(pg_signer)
    with ConnectionPool(
        connection_class=cls,
        kwargs={"dbname": db.database, "ca": db.ca_file},
        min_size=3,
        open=True,
    ) as pool:
        pool.wait(timeout=30)
        with pool.connection() as conn:
            assert conn.execute(PG_WHO).fetchone() == (db.user,)
            assert isinstance(conn, cls)
    assert signatures() - before == 1


def test_psycopg_async_pools(db: Any, pg_signer: rds_iam.Signer) -> None:
    from psycopg_pool import AsyncConnectionPool

    async def main() -> set[Any]:
        seen = set()
        kwargs = rds_iam.psycopg.async_pool_kwargs(pg_signer, dbname=db.database, ca=db.ca_file)
        pool = AsyncConnectionPool(kwargs=kwargs, min_size=2, open=False)
        async with pool, pool.connection() as conn:
            seen.add(await (await conn.execute(PG_WHO)).fetchone())
        cls = rds_iam.psycopg.async_connection_class(pg_signer)
        async with (
            AsyncConnectionPool(
                connection_class=cls,
                kwargs={"dbname": db.database, "ca": db.ca_file},
                min_size=2,
                open=False,
            ) as pool,
            pool.connection() as conn,
        ):
            seen.add(await (await conn.execute(PG_WHO)).fetchone())
        return seen

    before = signatures()
    assert asyncio.run(main()) == {(db.user,)}
    assert signatures() - before == 1


def test_psycopg_pool_keeps_connecting_past_max_age(db: Any, short_max_age: int) -> None:
    import psycopg
    from psycopg_pool import NullConnectionPool

    signer = short_reuse(db, db.pg_port)
    frozen = rds_iam.psycopg.connect_kwargs(
        signer, dbname=db.database, connect_timeout=10, ca=db.ca_file
    )
    kwargs = rds_iam.psycopg.pool_kwargs(signer, dbname=db.database, ca=db.ca_file)
    with NullConnectionPool(kwargs=kwargs, max_size=1, open=True) as pool:
        with pool.connection() as conn:
            conn.execute(PG_WHO)
        wait_past_max_age(short_max_age)
        mark = db.mark()
        with pool.connection() as conn:  # a new physical connection, a new token
            assert conn.execute(PG_WHO).fetchone() == (db.user,)
        assert len(accepted(db, mark, "pg")) == 1
    mark = db.mark()
    with pytest.raises(psycopg.OperationalError):  # the first token, frozen: now too old
        psycopg.connect(**frozen)
    assert [e["reason"] for e in db.log_since(mark)] == ["expired"]


# ---- asyncpg -------------------------------------------------------------------------------


def test_asyncpg_password_is_the_token_async_method(db: Any, pg_signer: rds_iam.Signer) -> None:
    import asyncpg

    async def main() -> Any:
        conn = await asyncpg.connect(
            host=db.host,
            port=db.pg_port,
            user=db.user,
            database=db.database,
            password=pg_signer.token_async,
            ssl="require",
        )
        try:
            return await conn.fetchval(PG_WHO)
        finally:
            await conn.close()

    assert asyncio.run(main()) == db.user


def test_asyncpg_helpers(db: Any, pg_signer: rds_iam.Signer) -> None:
    async def main() -> tuple[Any, Any]:
        conn = await rds_iam.asyncpg.connect(pg_signer, database=db.database, ca=db.ca_file)
        try:
            one = await conn.fetchval(PG_WHO)
        finally:
            await conn.close()
        async with rds_iam.asyncpg.create_pool(
            pg_signer, database=db.database, min_size=4, max_size=4, ca=db.ca_file
        ) as pool:
            conns = [await pool.acquire() for _ in range(4)]
            many = {await c.fetchval(PG_WHO) for c in conns}
            for c in conns:
                await pool.release(c)
        return one, many

    before, mark = signatures(), db.mark()
    assert asyncio.run(main()) == (db.user, {db.user})
    assert len(accepted(db, mark, "pg")) == 5
    assert signatures() - before == 1


def test_asyncpg_pool_keeps_connecting_past_max_age(db: Any, short_max_age: int) -> None:
    signer = short_reuse(db, db.pg_port)

    async def main() -> Any:
        async with rds_iam.asyncpg.create_pool(
            signer, database=db.database, min_size=1, max_size=1, ca=db.ca_file
        ) as pool:
            await pool.fetchval(PG_WHO)
            await asyncio.sleep(short_max_age + 1.5)
            await pool.expire_connections()  # the next acquire opens a new connection
            return await pool.fetchval(PG_WHO)

    mark = db.mark()
    assert asyncio.run(main()) == db.user
    assert len(accepted(db, mark, "pg")) == 2


# ---- SQLAlchemy ----------------------------------------------------------------------------


def engine_url(db: Any, dialect: str, port: int) -> str:
    return f"{dialect}://{db.user}@{db.host}:{port}/{db.database}"


@pytest.mark.parametrize(
    "dialect,server,who",
    [
        ("postgresql+psycopg", "pg", PG_WHO),
        ("postgresql+psycopg2", "pg", PG_WHO),
        ("mysql+pymysql", "mysql", MY_WHO),
        ("mysql+mysqldb", "mysql", MY_WHO),
        ("mysql+mysqlconnector", "mysql", MY_WHO),
    ],
)
def test_sqlalchemy_engine(db: Any, dialect: str, server: str, who: str) -> None:
    from sqlalchemy import create_engine, text

    signer = rds_iam.Signer(db.host, db.port(server), db.user, region=db.region)
    engine = create_engine(engine_url(db, dialect, db.port(server)), pool_size=3)
    rds_iam.sqlalchemy.attach(engine, signer, ca=db.ca_file)
    before, mark = signatures(), db.mark()
    try:
        conns = [engine.connect() for _ in range(3)]
        assert {c.execute(text(who)).scalar() for c in conns} == {db.user}
        for c in conns:
            c.close()
    finally:
        engine.dispose()
    assert len(accepted(db, mark, server)) == 3
    assert signatures() - before == 1


def test_sqlalchemy_async_engine(db: Any, pg_signer: rds_iam.Signer) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> Any:
        engine = create_async_engine(engine_url(db, "postgresql+asyncpg", db.pg_port))
        rds_iam.sqlalchemy.attach(engine, pg_signer, ca=db.ca_file)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(PG_WHO))).scalar()
        finally:
            await engine.dispose()

    assert asyncio.run(main()) == db.user


def test_sqlalchemy_pool_keeps_connecting_past_max_age(db: Any, short_max_age: int) -> None:
    from sqlalchemy import create_engine, text

    signer = short_reuse(db, db.pg_port)
    engine = create_engine(engine_url(db, "postgresql+psycopg", db.pg_port), pool_recycle=1)
    rds_iam.sqlalchemy.attach(engine, signer, ca=db.ca_file)
    try:
        with engine.connect() as conn:
            conn.execute(text(PG_WHO))
        wait_past_max_age(short_max_age)
        mark = db.mark()
        with engine.connect() as conn:  # recycled: a new DBAPI connection
            assert conn.execute(text(PG_WHO)).scalar() == db.user
        assert len(accepted(db, mark, "pg")) == 1
    finally:
        engine.dispose()


# ---- psycopg2 ------------------------------------------------------------------------------


def test_psycopg2_connect(db: Any, pg_signer: rds_iam.Signer) -> None:
    conn = rds_iam.psycopg2.connect(pg_signer, dbname=db.database, ca=db.ca_file)
    try:
        with conn.cursor() as cur:
            cur.execute(PG_WHO)
            assert cur.fetchone() == (db.user,)
        assert conn.get_dsn_parameters()["sslmode"] == "verify-full"
    finally:
        conn.close()


@pytest.mark.parametrize("make", [rds_iam.psycopg2.threaded_pool, rds_iam.psycopg2.simple_pool])
def test_psycopg2_pools(db: Any, pg_signer: rds_iam.Signer, make: Callable[..., Any]) -> None:
    before = signatures()
    pool = make(pg_signer, 3, 3, dbname=db.database, ca=db.ca_file)
    try:
        conns = [pool.getconn() for _ in range(3)]
        for c in conns:
            with c.cursor() as cur:
                cur.execute(PG_WHO)
                assert cur.fetchone() == (db.user,)
            pool.putconn(c)
    finally:
        pool.closeall()
    assert signatures() - before == 1


def test_psycopg2_pool_keeps_connecting_past_max_age(db: Any, short_max_age: int) -> None:
    pool = rds_iam.psycopg2.threaded_pool(
        short_reuse(db, db.pg_port), 0, 1, dbname=db.database, ca=db.ca_file
    )
    try:
        pool.putconn(pool.getconn(), close=True)
        wait_past_max_age(short_max_age)
        conn = pool.getconn()  # a new connection
        with conn.cursor() as cur:
            cur.execute(PG_WHO)
            assert cur.fetchone() == (db.user,)
        pool.putconn(conn)
    finally:
        pool.closeall()


# ---- PyMySQL -------------------------------------------------------------------------------


def test_pymysql_connect(db: Any, mysql_signer: rds_iam.Signer) -> None:
    mark = db.mark()
    conn = rds_iam.pymysql.connect(
        mysql_signer, database=db.database, connect_timeout=10, ca=db.ca_file
    )
    with conn, conn.cursor() as cur:
        cur.execute(MY_WHO)
        assert cur.fetchone() == (db.user,)
        cur.execute("SHOW STATUS LIKE 'Ssl_cipher'")
        assert cur.fetchone()[1]  # TLS is on
    assert len(accepted(db, mark, "mysql")) == 1


def test_pymysql_verified_tls(db: Any, mysql_signer: rds_iam.Signer) -> None:
    conn = rds_iam.pymysql.connect(
        mysql_signer, database=db.database, ssl_ca=db.ca_file, ssl_verify_identity=True
    )
    with conn, conn.cursor() as cur:
        cur.execute(MY_WHO)
        assert cur.fetchone() == (db.user,)


def test_pymysql_past_max_age(db: Any, short_max_age: int) -> None:
    signer = short_reuse(db, db.mysql_port)
    rds_iam.pymysql.connect(signer, database=db.database, ca=db.ca_file).close()
    wait_past_max_age(short_max_age)
    conn = rds_iam.pymysql.connect(signer, database=db.database, ca=db.ca_file)
    with conn, conn.cursor() as cur:
        cur.execute(MY_WHO)
        assert cur.fetchone() == (db.user,)
