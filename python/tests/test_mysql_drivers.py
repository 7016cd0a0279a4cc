"""The MySQL-family helpers (aiomysql, asyncmy, mysql-connector-python, mysqlclient) log in to
iamdb's MariaDB with tokens over verified TLS; their pools and reconnects keep working past the
server-side maximum token age; N connections inside the reuse window cost one signature."""

from __future__ import annotations

import asyncio
import gc
from typing import Any, Iterator

import pytest
from conftest import signatures

import rds_iam
import rds_iam.aiomysql
import rds_iam.asyncmy
import rds_iam.mysql_connector
import rds_iam.mysqlclient

# aiomysql's and asyncmy's close() drop a TLS transport without waiting: asyncio then waits for
# the server's close_notify, which MariaDB does not send, and the socket is only closed when
# garbage-collected ("unclosed transport", raised as an unraisable-exception warning in whatever
# test runs the collection). Collected here after each test and ignored in this module only.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_dropped_transports() -> Iterator[None]:
    yield
    gc.collect()


WHO = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"
CIPHER = "SHOW STATUS LIKE 'Ssl_cipher'"


def accepted(db: Any, mark: int) -> list[Any]:
    entries = [e for e in db.log_since(mark) if e["server"] == "mysql"]
    assert all(e["outcome"] == "accept" for e in entries), entries
    return entries


async def settle() -> None:
    """Pools close their TLS connections without waiting for the transports to finish closing;
    give the loop a moment so none is left open (a ResourceWarning) when asyncio.run returns."""
    await asyncio.sleep(0.1)


async def quit_and_release(pool: Any, conn: Any) -> None:
    """QUIT, then hand back: the server closes its end, so the TLS transport really closes
    (a pool's close() drops transports without waiting, and the server never answers)."""
    await conn.ensure_closed()
    pool.release(conn)


async def who_and_cipher(conn: Any) -> tuple[Any, Any]:
    async with conn.cursor() as cur:
        await cur.execute(WHO)
        (user,) = await cur.fetchone()
        await cur.execute(CIPHER)
        (_, cipher) = await cur.fetchone()
    return user, cipher


# ---- aiomysql ------------------------------------------------------------------------------


def test_aiomysql_connect(db: Any, mysql_signer: rds_iam.Signer) -> None:
    async def main() -> tuple[Any, Any]:
        conn = await rds_iam.aiomysql.connect(mysql_signer, db=db.database, ca=db.ca_file)
        try:
            return await who_and_cipher(conn)
        finally:
            await conn.ensure_closed()

    mark = db.mark()
    user, cipher = asyncio.run(main())
    assert user == db.user and cipher  # TLS is on
    assert len(accepted(db, mark)) == 1


def test_aiomysql_pool_one_signature_for_many_connections(
    db: Any, mysql_signer: rds_iam.Signer
) -> None:
    async def main() -> set[Any]:
        async with rds_iam.aiomysql.create_pool(
            mysql_signer, minsize=3, maxsize=3, db=db.database, ca=db.ca_file
        ) as pool:
            conns = [await pool.acquire() for _ in range(3)]
            users = {(await who_and_cipher(c))[0] for c in conns}
            for c in conns:
                await quit_and_release(pool, c)
        return users

    before, mark = signatures(), db.mark()
    assert asyncio.run(main()) == {db.user}
    assert len(accepted(db, mark)) == 3
    assert signatures() - before == 1


def test_aiomysql_checks_the_certificate(db: Any, mysql_signer: rds_iam.Signer) -> None:
    import ssl

    async def main() -> None:
        # the default trust (system roots + RDS bundle) does not know iamdb's test CA
        await rds_iam.aiomysql.connect(mysql_signer, db=db.database, connect_timeout=10)

    with pytest.raises(Exception) as err:  # aiomysql wraps the TLS error in OperationalError
        asyncio.run(main())
    assert isinstance(err.value.__cause__, ssl.SSLCertVerificationError), repr(err.value)


# ---- asyncmy -------------------------------------------------------------------------------


def test_asyncmy_connect_and_pool(db: Any, mysql_signer: rds_iam.Signer) -> None:
    async def main() -> tuple[Any, set[Any]]:
        conn = await rds_iam.asyncmy.connect(mysql_signer, database=db.database, ca=db.ca_file)
        try:
            one = await who_and_cipher(conn)
        finally:
            await conn.ensure_closed()
        async with rds_iam.asyncmy.create_pool(
            mysql_signer, minsize=2, maxsize=2, database=db.database, ca=db.ca_file
        ) as pool:
            conns = [await pool.acquire() for _ in range(2)]
            many = {await who_and_cipher(c) for c in conns}
            for c in conns:
                await quit_and_release(pool, c)
        return one, many

    before, mark = signatures(), db.mark()
    one, many = asyncio.run(main())
    assert one[0] == db.user and one[1]
    assert {user for user, _ in many} == {db.user}
    assert len(accepted(db, mark)) == 3
    assert signatures() - before == 1


# ---- mysql-connector-python ----------------------------------------------------------------


@pytest.mark.parametrize("use_pure", [True, False], ids=["pure", "c-extension"])
def test_mysql_connector_connect(db: Any, mysql_signer: rds_iam.Signer, use_pure: bool) -> None:
    mark = db.mark()
    conn = rds_iam.mysql_connector.connect(
        mysql_signer, database=db.database, ca=db.ca_file, use_pure=use_pure
    )
    try:
        cur = conn.cursor()
        cur.execute(WHO)
        assert cur.fetchone() == (db.user,)
        cur.execute(CIPHER)
        assert cur.fetchone()[1]
        cur.close()
    finally:
        conn.close()
    assert len(accepted(db, mark)) == 1


# ---- mysqlclient ---------------------------------------------------------------------------


def test_mysqlclient_connect(db: Any, mysql_signer: rds_iam.Signer) -> None:
    mark = db.mark()
    conn = rds_iam.mysqlclient.connect(mysql_signer, database=db.database, ca=db.ca_file)
    try:
        cur = conn.cursor()
        cur.execute(WHO)
        assert cur.fetchone() == (db.user,)
        cur.execute(CIPHER)
        assert cur.fetchone()[1]
    finally:
        conn.close()
    assert len(accepted(db, mark)) == 1


def test_mysqlclient_checks_the_certificate(db: Any, mysql_signer: rds_iam.Signer) -> None:
    import MySQLdb

    with pytest.raises(MySQLdb.OperationalError, match="certificate"):
        rds_iam.mysqlclient.connect(mysql_signer, database=db.database)  # iamdb's CA: unknown


def test_mysqlclient_kwargs(db: Any) -> None:
    signer = rds_iam.Signer("db.example.com", 3306, "app", region="us-east-1")
    params = rds_iam.mysqlclient.connect_kwargs(signer, database="app", passwd="old")
    assert params["ssl_mode"] == "VERIFY_IDENTITY"
    assert "passwd" not in params
    with open(params["read_default_file"]) as f:
        assert f.read().split() == ["[client]", "enable-cleartext-plugin"]
    own = rds_iam.mysqlclient.connect_kwargs(signer, ssl_mode="DISABLED", read_default_file="x")
    assert (own["ssl_mode"], own["read_default_file"], "ssl" in own) == ("DISABLED", "x", False)


# ---- all of them past iamdb's max age --------------------------------------------------------


def test_every_mysql_helper_keeps_connecting_past_max_age(db: Any, short_max_age: int) -> None:
    """Pools (aiomysql, asyncmy: recycled) and fresh connections (mysql-connector-python,
    mysqlclient) opened after the first tokens are too old log in with new ones."""
    signer = rds_iam.Signer(db.host, db.mysql_port, db.user, region=db.region, reuse_for=0.5)
    kw = {"ca": db.ca_file}

    async def pools() -> list[Any]:
        aio = await rds_iam.aiomysql.create_pool(
            signer, minsize=1, maxsize=1, pool_recycle=1, db=db.database, **kw
        )
        amy = await rds_iam.asyncmy.create_pool(
            signer, minsize=1, maxsize=1, pool_recycle=1, database=db.database, **kw
        )
        return [aio, amy]

    async def use(pool_list: list[Any]) -> list[Any]:
        users = []
        for pool in pool_list:
            conn = await pool.acquire()
            users.append((await who_and_cipher(conn))[0])
            pool.release(conn)
        return users

    async def quit_all(pool_list: list[Any]) -> None:
        for pool in pool_list:
            await quit_and_release(pool, await pool.acquire())

    async def close(pool_list: list[Any]) -> None:
        for pool in pool_list:
            pool.close()
            await pool.wait_closed()
        await settle()

    async def scenario() -> tuple[list[Any], list[Any], list[Any]]:
        pool_list = await pools()
        first = await use(pool_list)
        await asyncio.sleep(short_max_age + 1.5)
        mark = db.mark()
        later = await use(pool_list)  # recycled: new connections, new tokens
        fresh = accepted(db, mark)
        await quit_all(pool_list)
        await close(pool_list)
        return first, later, fresh

    first, later, fresh = asyncio.run(scenario())
    assert first == later == [db.user, db.user]
    assert len(fresh) == 2
    mark = db.mark()
    c1 = rds_iam.mysql_connector.connect(signer, database=db.database, **kw)
    c2 = rds_iam.mysqlclient.connect(signer, database=db.database, **kw)
    c1.close()
    c2.close()
    assert len(accepted(db, mark)) == 2


# ---- SQLAlchemy's MySQL dialects -------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["mysql+aiomysql", "mysql+asyncmy"])
def test_sqlalchemy_async_mysql_engines(
    db: Any, mysql_signer: rds_iam.Signer, dialect: str
) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    import rds_iam.sqlalchemy

    async def main() -> set[Any]:
        url = f"{dialect}://{db.user}@{db.host}:{db.mysql_port}/{db.database}"
        engine = create_async_engine(url, pool_size=2)
        rds_iam.sqlalchemy.attach(engine, mysql_signer, ca=db.ca_file)
        try:
            conns = [await engine.connect() for _ in range(2)]
            users = {(await c.execute(text(WHO))).scalar() for c in conns}
            for c in conns:
                await c.close()
            return users
        finally:
            await engine.dispose()
            await settle()

    before, mark = signatures(), db.mark()
    assert asyncio.run(main()) == {db.user}
    assert len(accepted(db, mark)) == 2
    assert signatures() - before == 1
