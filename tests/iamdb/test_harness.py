"""iamdb really checks IAM tokens: real drivers, botocore tokens, the validator's log."""
import datetime
import os
import subprocess

import boto3
import freezegun
import psycopg
import pymysql
import pytest

from pytest_iamdb import ENTRY

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVERS = ["pg", "mysql"]
TEMP_KEY = ("ASIAIAMDBTEMP0000001", "iamdb/TemporarySecret000000000000000001")


def token(db, server=None, *, port=None, host="127.0.0.1", user=None, key=None, secret=None,
          session_token=None, region=None, age=None):
    """A botocore token; `age` (a timedelta) signs it that long ago (negative: in the future)."""
    rds = boto3.client("rds", region_name=region or db.region,
                       aws_access_key_id=key or db.access_key_id,
                       aws_secret_access_key=secret or db.secret_access_key,
                       aws_session_token=session_token)
    kw = dict(DBHostname=host, Port=port or db.port(server), DBUsername=user or db.user)
    if age is None:
        return rds.generate_db_auth_token(**kw)
    with freezegun.freeze_time(datetime.datetime.now(datetime.timezone.utc) - age):
        return rds.generate_db_auth_token(**kw)


def login(db, server, password, user=None, tls=True):
    """Log in and return current_user, or the driver's exception."""
    user = user or db.user
    try:
        if server == "pg":
            with psycopg.connect(host=db.host, port=db.pg_port, user=user, dbname=db.database,
                                 password=password, sslmode="require" if tls else "disable",
                                 connect_timeout=10) as conn:
                return conn.execute("SELECT current_user").fetchone()[0]
        conn = pymysql.connect(host=db.host, port=db.mysql_port, user=user, password=password,
                               database=db.database, connect_timeout=10,
                               ssl_ca=db.ca_file if tls else None, ssl_verify_identity=tls,
                               ssl_disabled=not tls)  # PyMySQL >= 1.2 tries TLS by default
        with conn, conn.cursor() as cur:
            cur.execute("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")
            return cur.fetchone()[0]
    except (psycopg.OperationalError, pymysql.err.OperationalError) as e:
        return e


def attempt(db, server, password, **kw):
    """Log in; return (result, [(outcome, reason) logged by the validator for it])."""
    mark = db.mark()
    result = login(db, server, password, **kw)
    return result, [(e["outcome"], e["reason"]) for e in db.log_since(mark)
                    if e["server"] == server]


def rejected(db, server, password, **kw):
    result, logged = attempt(db, server, password, **kw)
    assert isinstance(result, Exception), f"login unexpectedly succeeded as {result!r}"
    return logged


@pytest.mark.parametrize("server", SERVERS)
def test_botocore_token_logs_in(iamdb, server):
    tok = token(iamdb, server)
    assert attempt(iamdb, server, tok) == (iamdb.user, [("accept", None)])


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("host", ["localhost", "LocalHost"])
def test_token_signed_for_localhost_is_accepted(iamdb, server, host):
    tok = token(iamdb, server, host=host)
    assert tok.startswith(f"{host}:{iamdb.port(server)}/?")  # botocore keeps the case...
    assert attempt(iamdb, server, tok)[0] == iamdb.user  # ...but signs the host lower-cased


@pytest.mark.parametrize("server", SERVERS)
def test_flipped_signature_char_is_rejected(iamdb, server):
    tok = token(iamdb, server)
    flipped = tok[:-1] + ("0" if tok[-1] != "0" else "1")
    assert rejected(iamdb, server, flipped) == [("reject", "bad_signature")]


@pytest.mark.parametrize("server", SERVERS)
def test_another_users_token_is_rejected(iamdb, server):
    tok = token(iamdb, server, user="someone_else")
    assert rejected(iamdb, server, tok) == [("reject", "user_mismatch")]


@pytest.mark.parametrize("server", SERVERS)
def test_token_older_than_15_minutes_is_rejected(iamdb, server):
    old = token(iamdb, server, age=datetime.timedelta(minutes=16))
    assert rejected(iamdb, server, old) == [("reject", "expired")]
    recent = token(iamdb, server, age=datetime.timedelta(minutes=14))
    assert attempt(iamdb, server, recent) == (iamdb.user, [("accept", None)])


@pytest.mark.parametrize("server", SERVERS)
def test_future_dated_token_is_rejected(iamdb, server):
    tok = token(iamdb, server, age=datetime.timedelta(minutes=-10))
    assert rejected(iamdb, server, tok) == [("reject", "future_dated")]


@pytest.mark.parametrize("server", SERVERS)
def test_token_for_wrong_port_or_host_is_rejected(iamdb, server):
    other = "mysql" if server == "pg" else "pg"
    assert rejected(iamdb, server, token(iamdb, port=iamdb.port(other))) == \
        [("reject", "unknown_endpoint")]
    tok = token(iamdb, server, host="db.example.com")
    assert rejected(iamdb, server, tok) == [("reject", "unknown_endpoint")]


@pytest.mark.parametrize("server", SERVERS)
def test_unknown_key_is_rejected(iamdb, server):
    tok = token(iamdb, server, key="AKIAUNKNOWN000000000", secret="whatever")
    assert rejected(iamdb, server, tok) == [("reject", "unknown_key")]


@pytest.mark.parametrize("server", SERVERS)
def test_region_not_allowed_and_garbage_are_rejected(iamdb, server):
    assert rejected(iamdb, server, token(iamdb, server, region="eu-west-1")) == \
        [("reject", "region_not_allowed")]
    assert rejected(iamdb, server, "not-a-token") == [("reject", "malformed")]


@pytest.fixture(scope="module")
def session_token(iamdb):
    """A ~2 KB session token (tokens that carry it are ~3 KB), registered with a temp key."""
    st = ("IQoJb3JpZ2luX2VjE" + "A1b2C3d4E5f6G7h8/+=" * 110)[:2100]
    iamdb.add_key(*TEMP_KEY, session_token=st)
    return st


@pytest.mark.parametrize("server", SERVERS)
def test_long_session_token_token_is_accepted_in_full(iamdb, server, session_token):
    tok = token(iamdb, server, key=TEMP_KEY[0], secret=TEMP_KEY[1], session_token=session_token)
    assert len(tok) > 2900
    mark = iamdb.mark()
    assert login(iamdb, server, tok) == iamdb.user
    (entry,) = iamdb.log_since(mark)
    assert (entry["outcome"], entry["token_len"]) == ("accept", len(tok))


@pytest.mark.parametrize("server", SERVERS)
def test_wrong_or_missing_session_token_is_rejected(iamdb, server, session_token):
    wrong = session_token[:-1] + ("x" if session_token[-1] != "x" else "y")
    tok = token(iamdb, server, key=TEMP_KEY[0], secret=TEMP_KEY[1], session_token=wrong)
    assert len(tok) > 2900
    assert rejected(iamdb, server, tok) == [("reject", "session_token_mismatch")]
    tok = token(iamdb, server, key=TEMP_KEY[0], secret=TEMP_KEY[1])
    assert rejected(iamdb, server, tok) == [("reject", "session_token_missing")]


@pytest.mark.parametrize("server", SERVERS)
def test_login_without_tls_is_refused(iamdb, server):
    result, _ = attempt(iamdb, server, token(iamdb, server), tls=False)
    assert isinstance(result, Exception)
    if server == "pg":  # pg_hba refuses before any password is asked for
        assert "no encryption" in str(result)
    else:  # REQUIRE SSL, as RDS demands TLS for IAM logins
        assert result.args[0] == 1045


@pytest.mark.parametrize("server", SERVERS)
def test_login_over_unix_socket_without_tls_is_refused(iamdb, server):
    tok = token(iamdb, server)
    mark = iamdb.mark()
    if server == "pg":
        sock = iamdb["IAMDB_PG_SOCKET_DIR"]
        with pytest.raises(psycopg.OperationalError, match="rejects connection"):
            psycopg.connect(host=sock, port=iamdb.pg_port, user=iamdb.user,
                            dbname=iamdb.database, password=tok)
    else:
        with pytest.raises(pymysql.err.OperationalError) as err:
            pymysql.connect(unix_socket=iamdb.mysql_socket, user=iamdb.user, password=tok,
                            ssl_disabled=True)
        assert err.value.args[0] == 1045
    if server == "pg":  # refused before PAM: the validator never saw it
        assert iamdb.log_since(mark) == []


def test_max_age_knob_rejects_stale_tokens_live(iamdb):
    two_min_old = token(iamdb, "pg", age=datetime.timedelta(minutes=2))
    try:
        iamdb.set_max_age(60)
        assert rejected(iamdb, "pg", two_min_old) == [("reject", "expired")]
        assert attempt(iamdb, "pg", token(iamdb, "pg"))[0] == iamdb.user
    finally:
        iamdb.set_max_age(900)
    assert attempt(iamdb, "pg", two_min_old) == (iamdb.user, [("accept", None)])


def test_log_never_holds_token_signature_or_secret(iamdb, session_token):
    tok = token(iamdb, "pg", key=TEMP_KEY[0], secret=TEMP_KEY[1], session_token=session_token)
    mark = iamdb.mark()
    assert login(iamdb, "pg", tok) == iamdb.user
    with open(iamdb.log, encoding="utf-8") as f:
        f.seek(mark)
        text = f.read()
    assert '"accept"' in text
    for secret in (tok.rsplit("=", 1)[1], session_token[:40], TEMP_KEY[1],
                   iamdb.secret_access_key, "X-Amz"):
        assert secret not in text


def test_second_up_keeps_the_running_servers(iamdb):
    res = subprocess.run([ENTRY, "up", "--hold", str(os.getpid())], capture_output=True,
                         text=True, check=True, stdin=subprocess.DEVNULL)
    assert f"export IAMDB_PG_PORT={iamdb.pg_port}\n" in res.stdout
    assert f"export IAMDB_MYSQL_PORT={iamdb.mysql_port}\n" in res.stdout
    assert "up in" not in res.stderr  # nothing was (re)started


def test_rust_cli_token_logs_in(iamdb):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID=iamdb.access_key_id, AWS_SECRET_ACCESS_KEY=iamdb.secret_access_key,
               AWS_EC2_METADATA_DISABLED="true", AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    res = subprocess.run(
        ["cargo", "run", "-q", "-p", "rds-iam", "--bin", "rds-iam", "--", "token",
         "--host", "127.0.0.1", "--port", str(iamdb.pg_port), "--user", iamdb.user,
         "--region", iamdb.region],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"127.0.0.1:{iamdb.pg_port}/?Action=connect&DBUser={iamdb.user}&")
    assert attempt(iamdb, "pg", lines[0]) == (iamdb.user, [("accept", None)])


def test_certificate_names_the_rds_host_and_tunnels_verify_against_it(iamdb):
    """Dial 127.0.0.1 and check the certificate against IAMDB_RDS_HOST (libpq's host= for the
    name, hostaddr= for the address), with a token signed for that name."""
    tok = token(iamdb, "pg", host=iamdb.rds_host)
    mark = iamdb.mark()
    with psycopg.connect(host=iamdb.rds_host, hostaddr=iamdb.host, port=iamdb.pg_port,
                         user=iamdb.user, dbname=iamdb.database, password=tok,
                         sslmode="verify-full", sslrootcert=iamdb.ca_file,
                         connect_timeout=10) as conn:
        assert conn.execute("SELECT current_user").fetchone()[0] == iamdb.user
    assert [(e["outcome"], e["endpoint"]) for e in iamdb.log_since(mark)] == \
        [("accept", f"{iamdb.rds_host}:{iamdb.pg_port}")]
    with pytest.raises(psycopg.OperationalError, match="does not match"):
        psycopg.connect(host="db.cluster-other.us-east-1.rds.amazonaws.com",
                        hostaddr=iamdb.host, port=iamdb.pg_port, user=iamdb.user,
                        dbname=iamdb.database, password=tok, sslmode="verify-full",
                        sslrootcert=iamdb.ca_file, connect_timeout=10)
