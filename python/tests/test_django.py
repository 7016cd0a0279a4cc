"""The Django backends against iamdb: a real project (settings module, `migrate`, ORM queries)
on PostgreSQL (CONN_MAX_AGE reconnects and Django's psycopg pool) and MariaDB (mysqlclient),
run in a child process, kept going past iamdb's max token age."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

import rds_iam

PROJECT = Path(__file__).resolve().parent / "django_project"
PG_SCHEMA = "django_iam"
MYSQL_DATABASE = "iamdb_django"


def fresh_schemas(db: Any) -> None:
    """An empty PostgreSQL schema and MariaDB database owned by the IAM user, so `migrate` has
    everything to do on every run."""
    import psycopg
    import pymysql

    with psycopg.connect(f"{db.pg_superuser_dsn} dbname={db.database}", autocommit=True) as pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE")
        pg.execute(f"CREATE SCHEMA {PG_SCHEMA} AUTHORIZATION {db.user}")
    admin, password = db.mysql_admin
    my = pymysql.connect(
        host=db.host, port=db.mysql_port, user=admin, password=password, ssl_ca=db.ca_file
    )
    with my, my.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {MYSQL_DATABASE}")
        cur.execute(f"CREATE DATABASE {MYSQL_DATABASE}")
        cur.execute(f"GRANT ALL ON {MYSQL_DATABASE}.* TO '{db.user}'@'%'")


@pytest.fixture(scope="module")
def scenario(iamdb: Any) -> dict[str, Any]:
    """scenario.py's report, with iamdb's max age at 3 s and its log of the run."""
    fresh_schemas(iamdb)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({k: str(v) for k, v in iamdb.env.items()})
    env.update(
        AWS_ACCESS_KEY_ID=iamdb.access_key_id,
        AWS_SECRET_ACCESS_KEY=iamdb.secret_access_key,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
        DJANGO_PG_SCHEMA=PG_SCHEMA,
        DJANGO_MYSQL_DATABASE=MYSQL_DATABASE,
        DJANGO_WAIT_S="4.5",
    )
    env.pop("PGSSLMODE", None)
    mark = iamdb.mark()
    iamdb.set_max_age(3)
    try:
        res = subprocess.run(
            [sys.executable, str(PROJECT / "scenario.py")],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
            cwd=PROJECT,
        )
    finally:
        iamdb.set_max_age(900)
    assert res.returncode == 0, res.stderr
    report: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    report["log"] = iamdb.log_since(mark)
    return report


def test_migrate_and_orm_on_every_backend(scenario: dict[str, Any], iamdb: Any) -> None:
    first = scenario["first"]
    assert {alias: r["user"] for alias, r in first.items()} == dict.fromkeys(first, iamdb.user)
    assert first["default"]["texts"] == ["default-1"]
    assert first["pooled"]["texts"] == ["default-1", "pooled-1"]  # same schema as default
    assert first["mysql"]["texts"] == ["mysql-1"]


def test_new_connections_past_max_age_log_in_with_new_tokens(
    scenario: dict[str, Any], iamdb: Any
) -> None:
    later = scenario["later"]
    assert later["default"]["texts"] == ["default-1", "default-2", "pooled-1"]
    assert later["pooled"]["texts"] == ["default-1", "default-2", "pooled-1", "pooled-2"]
    assert later["mysql"]["texts"] == ["mysql-1", "mysql-2"]
    logins = [e for e in scenario["log"] if e["user"] == iamdb.user]
    rejected = [e for e in logins if e["outcome"] != "accept"]
    assert [e["reason"] for e in rejected] == ["expired"]  # only the frozen kwargs' try
    # after the wait every alias logged in again: PostgreSQL for `default` and the pool's new
    # connection, MariaDB for `mysql`
    woke = datetime.fromisoformat(scenario["woke_at"])
    late = [e for e in logins if datetime.fromisoformat(e["time"]) > woke]
    assert sorted(e["server"] for e in late if e["outcome"] == "accept") == ["mysql", "pg", "pg"]


def test_the_pool_needed_its_connection_class(scenario: dict[str, Any]) -> None:
    assert scenario["pool_connection_class"] == "IamConnection"
    assert scenario["frozen_kwargs"] == "rejected"  # Django's own pool kwargs: the old token


def test_settings_errors_say_what_to_set() -> None:
    pytest.importorskip("django")
    from django.core.exceptions import ImproperlyConfigured

    from rds_iam.django import _settings

    base = {"ENGINE": "rds_iam.django.postgresql", "HOST": "db.example.com", "USER": "app"}
    with pytest.raises(ImproperlyConfigured, match="set HOST"):
        _settings.signer({**base, "HOST": ""}, 5432)
    with pytest.raises(ImproperlyConfigured, match="set USER"):
        _settings.signer({**base, "USER": ""}, 5432)
    with pytest.raises(ImproperlyConfigured, match="remove PASSWORD"):
        _settings.signer({**base, "PASSWORD": "x"}, 5432)
    signer = _settings.signer({**base, "PORT": "6432", "OPTIONS": {"region": "eu-west-1"}}, 5432)
    assert (signer.host, signer.port, signer.user, signer.region) == (
        "db.example.com",
        6432,
        "app",
        "eu-west-1",
    )
    with pytest.raises(rds_iam.InvalidArgument):  # the core checks the options
        _settings.signer({**base, "OPTIONS": {"region": "x", "reuse_for": -1}}, 5432)


def test_signer_keys_follow_the_signer() -> None:
    from rds_iam.django import _settings

    assert {"region", "sign_host", "profile", "role_arn", "reuse_for"} <= _settings.SIGNER_KEYS
    assert not {"host", "port", "user", "ca", "ssl_verify", "pool"} & _settings.SIGNER_KEYS
