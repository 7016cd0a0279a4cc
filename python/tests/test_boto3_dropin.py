"""``rds_iam.boto3``: boto3's token calls with boto3's keyword names (issue 33, item 7). The same
credentials give boto3's token byte for byte (signed in the same second), and it logs in."""

from __future__ import annotations

from typing import Any, Callable

import psycopg
import pytest

import rds_iam
from rds_iam.boto3 import (
    generate_db_auth_token,
    generate_db_connect_admin_auth_token,
    generate_db_connect_auth_token,
)

boto3 = pytest.importorskip("boto3")


pytestmark = pytest.mark.usefixtures("quiet_botocore")


HOST = "mydb.abc123.eu-west-1.rds.amazonaws.com"
DSQL = "abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws"
SESSION = "IQoJb3JpZ2luX2Vj++++////boto3/dropin/session=="


@pytest.fixture
def keys(aws_env: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    aws_env.setenv("AWS_ACCESS_KEY_ID", "ASIABOTO3DROPIN00001")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "boto3/dropin/secret")
    aws_env.setenv("AWS_SESSION_TOKEN", SESSION)
    return aws_env


def same_second(ours: Callable[[], str], theirs: Callable[[], str]) -> tuple[str, str]:
    """Both tokens, signed in the same second (a few tries across a second's edge)."""
    for _ in range(5):
        rds_iam.clear_caches()
        a, b = ours(), theirs()
        if a == b:
            break
    return a, b


def test_rds_token_is_boto3s_byte_for_byte(keys: pytest.MonkeyPatch) -> None:
    client = boto3.client("rds", region_name="eu-west-1")
    ours, theirs = same_second(
        lambda: generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="app_user"),
        lambda: client.generate_db_auth_token(DBHostname=HOST, Port=5432, DBUsername="app_user"),
    )
    assert ours == theirs
    assert "X-Amz-Security-Token=" in ours
    # Region given, and a host that names none: the same as boto3 with that region.
    other = boto3.client("rds", region_name="us-west-2")
    ours, theirs = same_second(
        lambda: generate_db_auth_token("db.internal", 3306, "app", Region="us-west-2"),
        lambda: other.generate_db_auth_token("db.internal", 3306, "app", Region="us-west-2"),
    )
    assert ours == theirs


def test_dsql_pair_is_boto3s_byte_for_byte(keys: pytest.MonkeyPatch) -> None:
    client = boto3.client("dsql", region_name="us-east-1")
    for ours_f, theirs_f in (
        (generate_db_connect_auth_token, client.generate_db_connect_auth_token),
        (generate_db_connect_admin_auth_token, client.generate_db_connect_admin_auth_token),
    ):
        ours, theirs = same_second(
            lambda f=ours_f: f(Hostname=DSQL, Region="us-east-1"),  # type: ignore[misc]
            lambda f=theirs_f: f(Hostname=DSQL, Region="us-east-1"),  # type: ignore[misc]
        )
        assert ours == theirs
    ours, theirs = same_second(
        lambda: generate_db_connect_auth_token(DSQL, ExpiresIn=3600),
        lambda: client.generate_db_connect_auth_token(DSQL, ExpiresIn=3600),
    )
    assert ours == theirs and "X-Amz-Expires=3600" in ours


def test_the_token_logs_in_and_is_reused(db: Any) -> None:
    token = generate_db_auth_token(
        DBHostname=db.host, Port=db.pg_port, DBUsername=db.user, Region=db.region
    )
    with psycopg.connect(
        host=db.host,
        port=db.pg_port,
        user=db.user,
        password=token,
        dbname=db.database,
        sslmode="verify-full",
        sslrootcert=db.ca_file,
        connect_timeout=10,
    ) as conn:
        row = conn.execute("SELECT current_user").fetchone()
        assert row is not None and row[0] == db.user
    again = generate_db_auth_token(
        DBHostname=db.host, Port=db.pg_port, DBUsername=db.user, Region=db.region
    )
    assert again == token, "the second call is served from the cache"


def test_no_region_is_ours(aws_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(rds_iam.NoRegion):
        generate_db_auth_token(DBHostname="db.internal", Port=5432, DBUsername="app")
    aws_env.setenv("AWS_REGION", "ap-south-1")
    aws_env.setenv("AWS_ACCESS_KEY_ID", "AKIAREGIONFROMENV001")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "s")
    assert "%2Fap-south-1%2Frds-db%2F" in generate_db_auth_token("db.internal", 5432, "app")
