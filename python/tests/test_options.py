"""The options model: errors name options as Python spells them, and the login user is kept."""

from __future__ import annotations

import re
from typing import Any

import pytest

import rds_iam

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
DSQL = "abc123.dsql.us-east-1.on.aws"
CREDS = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": "secret"}
NODE_OR_CLI = re.compile(
    r"roleArn|roleSessionName|externalId|reuseFor|refreshMargin|fetchTimeout|expiresIn|signHost"
    r"|--[a-z]|`session_name`"
)

SPELLINGS: list[tuple[dict[str, Any], type[Exception], str]] = [
    ({"role_arn": "nope"}, rds_iam.InvalidArgument, "invalid argument `role_arn`: `nope` is not"),
    (
        {"role_arn": "arn:aws:iam::123456789012:role/r", "role_session_name": "x"},
        rds_iam.InvalidArgument,
        "invalid argument `role_session_name`: ",
    ),
    (
        {"external_id": "x"},
        rds_iam.InvalidArgument,
        "invalid argument `role_arn`: `role_session_name` and `external_id` apply to an assumed "
        "role; pass `role_arn` too",
    ),
    ({"reuse_for": -1}, rds_iam.InvalidArgument, "invalid argument `reuse_for`: "),
    ({"refresh_margin": 1e9}, rds_iam.InvalidArgument, "invalid argument `refresh_margin`: use"),
    ({"imds_timeout": 0}, rds_iam.InvalidArgument, "invalid argument `imds_timeout`: a timeout"),
    ({"host": "db.example.com"}, rds_iam.NoRegion, "also pass `sign_host` with the real RDS"),
    ({"host": "db.example.com"}, rds_iam.NoRegion, "so pass `region` explicitly"),
]


@pytest.mark.parametrize("kw,cls,words", SPELLINGS)
def test_errors_name_options_as_python_spells_them(
    kw: dict[str, Any], cls: type[Exception], words: str
) -> None:
    args: dict[str, Any] = {"host": HOST, "user": "app", "credentials": CREDS, **kw}
    with pytest.raises(cls) as caught:
        rds_iam.Signer(**args)
    assert words in str(caught.value)
    assert not NODE_OR_CLI.search(str(caught.value)), str(caught.value)


def test_sign_errors_name_python_options() -> None:
    with pytest.raises(rds_iam.InvalidArgument, match=r"^invalid argument `expires_in`: "):
        rds_iam.sign(DSQL, kind="dsql_connect", credentials=CREDS, expires_in=0)
    with pytest.raises(rds_iam.NoRegion, match=r"`sign_host`"):
        rds_iam.sign("db.example.com", user="app", credentials=CREDS)


def test_cli_errors_name_flags(capsys: pytest.CaptureFixture[str]) -> None:
    from rds_iam.__main__ import main

    assert main(["token", "--host", HOST, "--user", "u", "--role-arn", "nope"]) == 1
    assert "invalid argument `--role-arn`: `nope` is not a role ARN" in capsys.readouterr().err
    assert main(["token", "--host", "db.example.com", "--user", "u"]) == 1
    err = capsys.readouterr().err
    assert "pass `--region` explicitly" in err and "pass `--sign-host` with" in err


def test_dsql_signer_keeps_the_login_user() -> None:
    custom = rds_iam.Signer(DSQL, user="app", kind="dsql_connect", credentials=CREDS)
    assert custom.user == "app" and "user='app'" in repr(custom)
    assert "DBUser" not in custom.token()
    admin = rds_iam.Signer(DSQL, kind="dsql_admin", credentials=CREDS)
    assert admin.user == "admin"
    assert rds_iam.Signer(DSQL, kind="dsql_connect", credentials=CREDS).user is None
