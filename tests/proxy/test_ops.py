"""Running the proxy: the health and metrics endpoint, --run-connection-test and --doctor."""

from __future__ import annotations

import re
from typing import Any, Iterator

import pgwire
import psycopg
import pytest
from conftest import StartProxy
from proxyrun import dead_port, upstream, wait_for


def test_health_and_metrics(start_proxy: StartProxy, iamdb: Any) -> None:
    p = start_proxy("--http-address", "127.0.0.1:0")
    assert p.get("/startup") == (200, "ok\n")
    assert p.get("/liveness") == (200, "ok\n")
    wait_for("readiness", lambda: p.get("/readiness") == (200, "ok\n"))
    for _ in range(2):
        with psycopg.connect(p.url(sslmode="disable")) as conn:
            assert conn.execute("select repeat('x', 1000)").fetchone() == ("x" * 1000,)
    assert pgwire.refused(p.port, user="postgres")["C"] == "28000"
    with pgwire.Conn(p.port) as c:
        c.send(pgwire.startup_packet({"user": "iam_user"}, version=2 << 16))
        assert pgwire.fields(c.read()[1])["C"] == "08P01"
    inst = f'instance="127.0.0.1:{iamdb.pg_port}"'
    m = wait_for(
        "the sessions to close",
        lambda: (m := p.metrics())[f"rds_iam_proxy_connections_open{{{inst}}}"] == 0 and m,
    )
    assert m[f"rds_iam_proxy_connections_total{{{inst}}}"] == 4
    assert m[f"rds_iam_proxy_logins_ok_total{{{inst}}}"] == 2
    assert m[f'rds_iam_proxy_logins_failed_total{{{inst},code="28000"}}'] == 1
    assert m[f'rds_iam_proxy_logins_failed_total{{{inst},code="08P01"}}'] == 1
    # Bytes after the login, each way: two queries out, two 1000-character rows back.
    sent, received = (
        m[f"rds_iam_proxy_client_bytes_total{{{inst}}}"],
        m[f"rds_iam_proxy_upstream_bytes_total{{{inst}}}"],
    )
    assert 0 < sent < 1000 < 2000 < received, (sent, received)
    hist = "rds_iam_proxy_upstream_login_seconds"
    buckets = [v for k, v in m.items() if k.startswith(f"{hist}_bucket{{{inst},")]
    assert len(buckets) == 13 and buckets == sorted(buckets), buckets
    assert m[f'{hist}_bucket{{{inst},le="+Inf"}}'] == m[f"{hist}_count{{{inst}}}"] == 2
    assert m[f"{hist}_sum{{{inst}}}"] > 0
    assert m["rds_iam_token_signatures_total"] == 1
    assert m["rds_iam_credential_fetches_total"] == 1
    _, body = p.get("/metrics")
    assert f"# TYPE {hist} histogram" in body
    assert "# TYPE rds_iam_proxy_logins_failed_total counter" in body
    assert p.get("/nothing-here")[0] == 404


def test_connection_test_passes_then_the_proxy_serves(start_proxy: StartProxy, iamdb: Any) -> None:
    mark = iamdb.mark()
    p = start_proxy("--run-connection-test")
    text = p.text()
    passed = text.index("connection test passed: logged in as iam_user")
    assert passed < text.index("listening on")
    assert [(e["user"], e["outcome"]) for e in iamdb.log_since(mark)] == [("iam_user", "accept")]
    assert p.running()
    with psycopg.connect(p.url(sslmode="disable")) as conn:
        assert conn.execute("select current_user").fetchone() == ("iam_user",)


@pytest.fixture
def not_iam_user(iamdb: Any) -> Iterator[str]:
    """A role that can log in but is not an IAM user (no rds_iam): iamdb's pg_hba has no line
    for it over TCP, so the server refuses it before asking for a password."""
    with psycopg.connect(iamdb.pg_superuser_dsn, autocommit=True) as su:
        su.execute("drop role if exists proxy_not_iam")
        su.execute("create role proxy_not_iam login")
        try:
            yield "proxy_not_iam"
        finally:
            su.execute("drop role proxy_not_iam")


def test_connection_test_fails_for_a_user_that_is_not_an_iam_user(
    start_proxy: StartProxy, not_iam_user: str
) -> None:
    p = start_proxy("--run-connection-test", users=not_iam_user, wait=False)
    assert p.wait(30) == 1
    text = p.text()
    assert "refused the IAM token" in text
    assert f'user "{not_iam_user}"' in text
    assert "listening on" not in text


def test_connection_test_fails_when_the_database_is_down(
    start_proxy: StartProxy, iamdb: Any
) -> None:
    port = dead_port()
    p = start_proxy("--run-connection-test", target=upstream(iamdb, port=port), wait=False)
    assert p.wait(30) == 1
    text = p.text()
    assert f"cannot reach the database 127.0.0.1:{port}" in text
    assert "listening on" not in text


@pytest.fixture
def fake() -> Iterator[Any]:
    import fakeaws

    server = fakeaws.start()
    try:
        yield server
    finally:
        server.stop()


def test_doctor_reports_on_the_proxys_settings(
    start_proxy: StartProxy, iamdb: Any, proxy_env: dict[str, str], fake: Any
) -> None:
    """--doctor with a local STS (fakeaws) for GetCallerIdentity: nothing leaves the machine."""
    p = start_proxy("--doctor", env={**proxy_env, **fake.env()}, wait=False)
    assert p.wait(60) == 0, p.text()
    out = p.text()
    assert f"== 127.0.0.1:{iamdb.pg_port} ==" in out
    checks = dict(re.findall(r"^\[\s*(ok|info|warn|FAIL)\] (\S+)", out, re.M)[::-1])
    assert "FAIL" not in checks.values(), out
    for line in (
        f"[  ok] endpoint         {iamdb.rds_host} is an RDS/Aurora endpoint",
        "[  ok] region           us-east-1 (from --region / AWS settings)",
        f"[  ok] credentials      {iamdb.access_key_id} from EnvironmentVariable",
        "[  ok] identity         account 123456789012",
        f"certificate name checked: {iamdb.rds_host} (not 127.0.0.1)",
        'GRANT rds_iam TO "iam_user"',
    ):
        assert line in out, line
    assert fake.calls("sts", "GetCallerIdentity"), "STS was asked (the local one)"
    assert "listening on" not in out
    no_users = start_proxy("--doctor", users=None, wait=False)
    assert no_users.wait(30) == 1
    assert "pass --users: the doctor checks a login as the first of them" in no_users.text()
