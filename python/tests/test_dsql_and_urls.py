"""Aurora DSQL the way its users address it (a cluster id, `admin` → DbConnectAdmin) and
`Signer.dsn()`: every driver parses the URL back to the same token, and logs in to iamdb with
it (iamdb's PostgreSQL also answers as a DSQL cluster)."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import psycopg
import psycopg.conninfo
import pymysql
import pytest
import sqlalchemy
from sqlalchemy.engine import make_url

import rds_iam
import rds_iam.asyncpg
import rds_iam.psycopg

CLUSTER = "abcdefghijklmnopqrstuvwxyz"
#: Credentials whose tokens hold every character a URL must encode (`%`, `/`, `+`, `=`).
HARD_CREDENTIALS = {
    "access_key_id": "ASIAEXAMPLE000000001",
    "secret_access_key": "secret/with+chars=",
    "session_token": "IQoJb3JpZ2luX2Vj/+=%40:@?&#x",
}


# ---- DSQL by cluster id --------------------------------------------------------------------


def test_a_cluster_id_and_region_name_the_dsql_endpoint() -> None:
    s = rds_iam.Signer(cluster_id=CLUSTER, region="eu-west-1", user="admin")
    host = f"{CLUSTER}.dsql.eu-west-1.on.aws"
    assert (s.host, s.sign_host, s.port, s.kind) == (host, host, 5432, "dsql_admin")
    assert rds_iam.Signer(cluster_id=CLUSTER, region="eu-west-1", user="app").kind == "dsql_connect"
    # The caller's kind wins over the user's name.
    explicit = rds_iam.Signer(host, user="admin", kind="dsql_connect")
    assert explicit.kind == "dsql_connect"
    assert rds_iam.Signer(host, user="admin").kind == "dsql_admin"


def test_dsql_mistakes_say_what_to_pass() -> None:
    with pytest.raises(rds_iam.InvalidArgument, match="pass `region` too"):
        rds_iam.Signer(cluster_id=CLUSTER, user="admin")
    with pytest.raises(rds_iam.InvalidArgument, match="the whole endpoint as `host`"):
        rds_iam.Signer(cluster_id=f"{CLUSTER}.dsql.us-east-1.on.aws", region="us-east-1")
    with pytest.raises(rds_iam.InvalidArgument, match="`user` `admin`"):
        rds_iam.Signer(f"{CLUSTER}.dsql.us-east-1.on.aws")
    with pytest.raises(rds_iam.InvalidArgument, match="not both"):
        rds_iam.Signer(cluster_id=CLUSTER, region="us-east-1", user="admin", sign_host="x.y")


def test_pure_sign_infers_the_dsql_kind_too() -> None:
    creds = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret"}
    host = f"{CLUSTER}.dsql.us-east-1.on.aws"
    assert "Action=DbConnectAdmin&" in rds_iam.sign(host, user="admin", credentials=creds)
    assert "Action=DbConnect&" in rds_iam.sign(host, user="app", credentials=creds)


# ---- URLs parse back to the same token ------------------------------------------------------


def hard_signer(**kw: Any) -> rds_iam.Signer:
    kw.setdefault("user", "app:user@x")
    return rds_iam.Signer("db.abc.us-east-1.rds.amazonaws.com", credentials=HARD_CREDENTIALS, **kw)


def test_each_postgres_parser_reads_back_the_token_user_and_tls() -> None:
    s = hard_signer()
    token = s.token()
    url = s.dsn("my db", ca="/tmp/ca dir/ca.pem")
    assert url.count("@") == 1 and "%" in token
    libpq = psycopg.conninfo.conninfo_to_dict(url)
    assert (libpq["password"], libpq["user"], libpq["dbname"]) == (token, "app:user@x", "my db")
    assert (libpq["sslmode"], libpq["sslrootcert"]) == ("verify-full", "/tmp/ca dir/ca.pem")
    sa = make_url(url)
    assert (sa.password, sa.username, sa.database) == (token, "app:user@x", "my db")
    assert dict(sa.query) == {"sslmode": "verify-full", "sslrootcert": "/tmp/ca dir/ca.pem"}


def test_the_mysql_url_reads_back_and_names_the_mysql_tls_options() -> None:
    s = hard_signer(port=3306)
    token = s.token()
    url = s.dsn("app", driver="mysql", ca="/tmp/ca.pem")
    sa = make_url(url)
    assert (sa.drivername, sa.password, sa.username, sa.port) == (
        "mysql",
        token,
        "app:user@x",
        3306,
    )
    assert dict(sa.query) == {"ssl-mode": "VERIFY_IDENTITY", "ssl-ca": "/tmp/ca.pem"}


def test_dsn_checks_its_arguments_before_any_token() -> None:
    s = hard_signer()
    with pytest.raises(rds_iam.InvalidArgument, match="not a URL driver"):
        s.dsn(driver="sqlite")
    with pytest.raises(rds_iam.InvalidArgument, match="database"):
        s.dsn("")


def test_the_default_trust_file_is_in_the_url() -> None:
    query = parse_qs(urlsplit(hard_signer().dsn()).query)
    assert query["sslrootcert"] == [rds_iam._native.trust_file()]


# ---- URLs log in to iamdb ---------------------------------------------------------------------


@pytest.fixture
def hard_db(db: Any) -> Any:
    """iamdb, knowing HARD_CREDENTIALS: its validator checks the token each driver decoded."""
    db.add_key(*HARD_CREDENTIALS.values())
    return db


def test_postgres_dsn_logs_in_with_psycopg_asyncpg_and_sqlalchemy(hard_db: Any) -> None:
    db = hard_db
    s = rds_iam.Signer(db.host, db.pg_port, db.user, region=db.region, credentials=HARD_CREDENTIALS)
    url = s.dsn(db.database, ca=db.ca_file)
    assert "%25" in url  # the token's own %XX, encoded once more
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (db.user,)

    async def via_asyncpg() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval("SELECT current_user")
        finally:
            await conn.close()

    assert asyncio.run(via_asyncpg()) == db.user
    engine = sqlalchemy.create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT current_user")).scalar() == db.user
    finally:
        engine.dispose()


def test_mysql_dsn_logs_in_with_pymysql(hard_db: Any) -> None:
    db = hard_db
    s = rds_iam.Signer(
        db.host, db.mysql_port, db.user, region=db.region, credentials=HARD_CREDENTIALS
    )
    u = make_url(s.dsn(db.database, driver="mysql", ca=db.ca_file))
    conn = pymysql.connect(
        host=u.host,
        port=u.port,
        user=u.username,
        password=u.password,
        database=u.database,
        ssl_ca=u.query["ssl-ca"],
        ssl_verify_identity=u.query["ssl-mode"] == "VERIFY_IDENTITY",
    )
    with conn, conn.cursor() as cur:
        cur.execute("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
        assert cur.fetchone() == (db.user,)


# ---- DSQL one-liners against iamdb's DSQL cluster ---------------------------------------------


def dsql_signer(db: Any, user: str) -> rds_iam.Signer:
    """iamdb's cluster by id, dialled at 127.0.0.1 (in production `host` is left out)."""
    return rds_iam.Signer(
        cluster_id=db.dsql_cluster_id, region=db.region, user=user, host=db.host, port=db.pg_port
    )


@pytest.mark.parametrize("admin", [True, False])
def test_dsql_psycopg_one_liner(db: Any, admin: bool) -> None:
    user = db.dsql_admin if admin else db.user
    mark = db.mark()
    with rds_iam.psycopg.connect(dsql_signer(db, user), dbname="postgres", ca=db.ca_file) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (user,)
    (entry,) = db.log_since(mark)
    assert (entry["outcome"], entry["endpoint"]) == ("accept", db.dsql_host)
    assert entry["action"] == ("DbConnectAdmin" if admin else "DbConnect")


def test_dsql_asyncpg_one_liner(db: Any) -> None:
    async def who() -> Any:
        signer = dsql_signer(db, db.dsql_admin)
        conn = await rds_iam.asyncpg.connect(signer, database="postgres", ca=db.ca_file)
        try:
            return await conn.fetchval("SELECT current_user")
        finally:
            await conn.close()

    assert asyncio.run(who()) == db.dsql_admin


def test_dsql_dsn_through_a_tunnel_verifies_the_cluster_name(db: Any) -> None:
    url = dsql_signer(db, db.dsql_admin).dsn(ca=db.ca_file)
    assert url.startswith(f"postgresql://admin:{db.dsql_host}%2F%3FAction%3DDbConnectAdmin")
    assert f"@{db.dsql_host}:{db.pg_port}/postgres?hostaddr={db.host}&" in url
    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (db.dsql_admin,)
