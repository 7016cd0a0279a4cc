"""TLS of every driver helper against iamdb, whose certificate (names: IAMDB_RDS_HOST, 127.0.0.1,
localhost) is issued by its own test CA:

- with the defaults the login fails on certificate verification, before any token is sent
  (iamdb's CA is not in the default trust: system roots + the RDS bundle), so verification is on;
- with iamdb's CA passed the documented way (``ca=``) it logs in, via 127.0.0.1 and via a tunnel
  (dial 127.0.0.1, ``sign_host`` = the RDS-style name the certificate carries);
- a certificate for another name (``sign_host`` the certificate lacks) is refused;
- ``ssl_verify=False`` logs in without checks and logs one warning; the caller's own TLS wins.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from pathlib import Path
from typing import Any, Callable

import pytest

import rds_iam
import rds_iam._native
import rds_iam.asyncpg
import rds_iam.psycopg
import rds_iam.psycopg2
import rds_iam.pymysql
import rds_iam.sqlalchemy

PG_WHO = "SELECT current_user"
MY_WHO = "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"
OTHER_HOST = "db.cluster-other.us-east-1.rds.amazonaws.com"
CERT_ERROR = re.compile(
    r"certificate verify failed|CERTIFICATE_VERIFY_FAILED|does not match|Hostname mismatch", re.I
)


def _psycopg(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    with rds_iam.psycopg.connect(signer, dbname=db.database, connect_timeout=10, **kw) as conn:
        return conn.execute(PG_WHO).fetchone()[0]  # type: ignore[index]


def _psycopg_pool(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    from psycopg_pool import NullConnectionPool

    kwargs = rds_iam.psycopg.pool_kwargs(signer, dbname=db.database, connect_timeout=10, **kw)
    with (
        NullConnectionPool(kwargs=kwargs, max_size=1, open=True) as pool,
        pool.connection(timeout=20) as conn,
    ):
        return conn.execute(PG_WHO).fetchone()[0]  # type: ignore[index]


def _psycopg2(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    conn = rds_iam.psycopg2.connect(signer, dbname=db.database, connect_timeout=10, **kw)
    try:
        with conn.cursor() as cur:
            cur.execute(PG_WHO)
            return cur.fetchone()[0]  # type: ignore[index]
    finally:
        conn.close()


def _asyncpg(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    async def main() -> Any:
        conn = await rds_iam.asyncpg.connect(signer, database=db.database, timeout=10, **kw)
        try:
            return await conn.fetchval(PG_WHO)
        finally:
            await conn.close()

    return asyncio.run(main())


def _pymysql(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    conn = rds_iam.pymysql.connect(signer, database=db.database, connect_timeout=10, **kw)
    with conn, conn.cursor() as cur:
        cur.execute(MY_WHO)
        return cur.fetchone()[0]  # type: ignore[index]


def _sqlalchemy(dialect: str, who: str) -> Callable[..., Any]:
    def login(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
        from sqlalchemy import create_engine, text

        url = f"{dialect}://{db.user}@{signer.host}:{signer.port}/{db.database}"
        engine = create_engine(url)
        rds_iam.sqlalchemy.attach(engine, signer, **kw)
        try:
            with engine.connect() as conn:
                return conn.execute(text(who)).scalar()
        finally:
            engine.dispose()

    return login


def _sqlalchemy_async(signer: rds_iam.Signer, db: Any, **kw: Any) -> Any:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    async def main() -> Any:
        url = f"postgresql+asyncpg://{db.user}@{signer.host}:{signer.port}/{db.database}"
        engine = create_async_engine(url)
        rds_iam.sqlalchemy.attach(engine, signer, **kw)
        try:
            async with engine.connect() as conn:
                return (await conn.execute(text(PG_WHO))).scalar()
        finally:
            await engine.dispose()

    return asyncio.run(main())


#: helper name -> (server, login(signer, db, **tls_keywords) -> current user)
HELPERS: dict[str, tuple[str, Callable[..., Any]]] = {
    "psycopg": ("pg", _psycopg),
    "psycopg_pool": ("pg", _psycopg_pool),
    "psycopg2": ("pg", _psycopg2),
    "asyncpg": ("pg", _asyncpg),
    "pymysql": ("mysql", _pymysql),
    "sqlalchemy+psycopg": ("pg", _sqlalchemy("postgresql+psycopg", PG_WHO)),
    "sqlalchemy+psycopg2": ("pg", _sqlalchemy("postgresql+psycopg2", PG_WHO)),
    "sqlalchemy+pymysql": ("mysql", _sqlalchemy("mysql+pymysql", MY_WHO)),
    "sqlalchemy+asyncpg": ("pg", _sqlalchemy_async),
}


def signer_for(db: Any, server: str, sign_host: str | None = None) -> rds_iam.Signer:
    port = db.port(server)
    signed = None if sign_host is None else f"{sign_host}:{port}"
    return rds_iam.Signer(db.host, port, db.user, region=db.region, sign_host=signed)


@pytest.mark.parametrize("name", HELPERS)
def test_defaults_refuse_a_server_outside_the_default_trust(db: Any, name: str) -> None:
    server, login = HELPERS[name]
    mark = db.mark()
    with pytest.raises(Exception) as caught:
        login(signer_for(db, server), db)
    assert CERT_ERROR.search(repr(caught.value) + str(caught.value.__cause__)), caught.value
    assert db.log_since(mark) == [], "the token never reached the server"


@pytest.mark.parametrize("name", HELPERS)
@pytest.mark.parametrize("via", ["127.0.0.1", "sign_host"])
def test_the_ca_passed_logs_in_with_full_verification(db: Any, name: str, via: str) -> None:
    server, login = HELPERS[name]
    signer = signer_for(db, server, db.rds_host if via == "sign_host" else None)
    mark = db.mark()
    assert login(signer, db, ca=db.ca_file) == db.user
    endpoint = f"{db.rds_host if via == 'sign_host' else db.host}:{db.port(server)}"
    assert [(e["outcome"], e["endpoint"]) for e in db.log_since(mark)] == [("accept", endpoint)]


@pytest.mark.parametrize("name", HELPERS)
def test_a_certificate_for_another_name_is_refused(db: Any, name: str) -> None:
    server, login = HELPERS[name]
    mark = db.mark()
    with pytest.raises(Exception) as caught:
        login(signer_for(db, server, OTHER_HOST), db, ca=db.ca_file)
    assert CERT_ERROR.search(repr(caught.value) + str(caught.value.__cause__)), caught.value
    assert db.log_since(mark) == []


@pytest.mark.parametrize("name", ["psycopg", "asyncpg", "pymysql", "sqlalchemy+psycopg2"])
def test_ssl_verify_false_encrypts_only_and_warns_once(
    db: Any, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    import rds_iam._tls

    server, login = HELPERS[name]
    rds_iam._tls._warned = False
    with caplog.at_level(logging.WARNING, logger="rds_iam"):
        assert login(signer_for(db, server), db, ssl_verify=False) == db.user
        assert login(signer_for(db, server), db, ssl_verify=False) == db.user
    warnings = [r.getMessage() for r in caplog.records if "ssl_verify=False" in r.getMessage()]
    assert len(warnings) == 1, warnings


def test_the_callers_tls_choice_wins(db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    signer = signer_for(db, "pg")
    params = rds_iam.psycopg.connect_kwargs(signer, sslmode="require")
    assert params["sslmode"] == "require" and "sslrootcert" not in params
    params = rds_iam.psycopg.connect_kwargs(signer, "sslmode=verify-ca sslrootcert=/x.pem")
    assert "sslmode" not in params and "sslrootcert" not in params
    assert rds_iam.psycopg2.connect_kwargs(signer, sslrootcert=db.ca_file)["sslrootcert"] == (
        db.ca_file
    )
    assert rds_iam.asyncpg.connect_kwargs(signer, ssl="require")["ssl"] == "require"
    my = signer_for(db, "mysql")
    assert rds_iam.pymysql.connect_kwargs(my, ssl_ca=db.ca_file)["ssl_ca"] == db.ca_file
    assert "ssl" not in rds_iam.pymysql.connect_kwargs(my, ssl_disabled=True)
    monkeypatch.setenv("PGSSLMODE", "require")
    params = rds_iam.psycopg.connect_kwargs(signer)
    assert "sslmode" not in params and "sslrootcert" not in params
    assert "ssl" not in rds_iam.asyncpg.connect_kwargs(signer)
    with _psycopg_conn(signer, db) as conn:  # PGSSLMODE=require is obeyed: no check, logs in
        assert conn.info.get_parameters()["sslmode"] == "require"


def _psycopg_conn(signer: rds_iam.Signer, db: Any) -> Any:
    return rds_iam.psycopg.connect(signer, dbname=db.database)


def test_defaults_are_verify_full_with_the_trust_file(db: Any) -> None:
    params = rds_iam.psycopg.connect_kwargs(signer_for(db, "pg"))
    assert params["sslmode"] == "verify-full"
    trust = Path(params["sslrootcert"]).read_text()
    assert rds_iam._native.CA_BUNDLE_PEM in trust and rds_iam._native.PUBLIC_ROOTS_PEM in trust
    assert Path(params["sslrootcert"]).parent.stat().st_mode & 0o077 == 0
    tunnel = rds_iam.psycopg.connect_kwargs(signer_for(db, "pg", db.rds_host))
    assert (tunnel["host"], tunnel["hostaddr"]) == (db.rds_host, "127.0.0.1")
    named = rds_iam.Signer("localhost", db.pg_port, db.user, sign_host=db.rds_host)
    tunnel = rds_iam.psycopg.connect_kwargs(named, sslmode="verify-full", sslrootcert="x")
    assert tunnel["host"].split(",")[0] == db.rds_host  # a dialled name: its addresses
    assert "127.0.0.1" in tunnel["hostaddr"].split(",")


def test_bundle_path_and_context() -> None:
    path = Path(rds_iam.ca_bundle_path())
    assert path.parent == Path(rds_iam.__file__).parent
    assert path.read_text() == rds_iam._native.CA_BUNDLE_PEM
    ctx = rds_iam.ssl_context()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    subjects = {dict(x[0] for x in c["subject"]).get("commonName") for c in ctx.get_ca_certs()}
    assert "Amazon RDS us-east-1 Root CA RSA2048 G1" in subjects
    assert "Amazon Root CA 1" in subjects
    own = rds_iam.ssl_context(ca=str(path))
    assert len(own.get_ca_certs()) == rds_iam._native.CA_BUNDLE_PEM.count("BEGIN CERTIFICATE")
