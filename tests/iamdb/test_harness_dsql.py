"""iamdb checks Aurora DSQL tokens like DSQL: botocore's `dsql` tokens for iamdb's DSQL cluster
endpoint, DbConnectAdmin for the role `admin` only, DbConnect for other roles only."""

import datetime

import boto3
import freezegun
import psycopg
import pytest


def dsql_token(db, *, admin, host=None, age=None, expires_in=900):
    """botocore's DSQL token for iamdb's cluster; `age` signs it that long ago."""
    client = boto3.client(
        "dsql",
        region_name=db.region,
        aws_access_key_id=db.access_key_id,
        aws_secret_access_key=db.secret_access_key,
    )
    make = (
        client.generate_db_connect_admin_auth_token
        if admin
        else client.generate_db_connect_auth_token
    )
    kw = dict(Hostname=host or db.dsql_host, Region=db.region, ExpiresIn=expires_in)
    if age is None:
        return make(**kw)
    with freezegun.freeze_time(datetime.datetime.now(datetime.timezone.utc) - age):
        return make(**kw)


def attempt(db, password, user):
    """Log in to PostgreSQL's `postgres` database (DSQL's only one) verifying the certificate
    against the DSQL name while dialling 127.0.0.1; return (current_user or the error, log)."""
    mark = db.mark()
    try:
        with psycopg.connect(
            host=db.dsql_host,
            hostaddr=db.host,
            port=db.pg_port,
            user=user,
            dbname="postgres",
            password=password,
            sslmode="verify-full",
            sslrootcert=db.ca_file,
            connect_timeout=10,
        ) as conn:
            result = conn.execute("SELECT current_user").fetchone()[0]
    except psycopg.OperationalError as e:
        result = e
    return result, [(e["outcome"], e["reason"]) for e in db.log_since(mark) if e["server"] == "pg"]


@pytest.mark.parametrize("admin", [True, False])
def test_botocore_dsql_tokens_log_in(iamdb, admin):
    user = iamdb.dsql_admin if admin else iamdb.user
    tok = dsql_token(iamdb, admin=admin)
    assert tok.startswith(f"{iamdb.dsql_host}/?Action=DbConnect")
    assert attempt(iamdb, tok, user) == (user, [("accept", None)])


@pytest.mark.parametrize("admin", [True, False])
def test_the_action_must_match_the_role(iamdb, admin):
    user = iamdb.user if admin else iamdb.dsql_admin
    result, logged = attempt(iamdb, dsql_token(iamdb, admin=admin), user)
    assert isinstance(result, Exception) and logged == [("reject", "action_mismatch")]


def test_another_cluster_a_bad_signature_and_an_old_token_are_rejected(iamdb):
    other = iamdb.dsql_host.replace(iamdb.dsql_cluster_id, "othercluster00000000000000")
    good = dsql_token(iamdb, admin=True)
    cases = [
        (dsql_token(iamdb, admin=True, host=other), "unknown_endpoint"),
        (good[:-1] + ("1" if good.endswith("0") else "0"), "bad_signature"),
        (dsql_token(iamdb, admin=True, age=datetime.timedelta(minutes=16)), "expired"),
    ]
    for tok, reason in cases:
        result, logged = attempt(iamdb, tok, iamdb.dsql_admin)
        assert isinstance(result, Exception) and logged == [("reject", reason)], reason


def test_a_week_long_dsql_token_is_accepted_within_max_age(iamdb):
    tok = dsql_token(iamdb, admin=True, expires_in=604800, age=datetime.timedelta(minutes=5))
    assert attempt(iamdb, tok, iamdb.dsql_admin)[0] == iamdb.dsql_admin
