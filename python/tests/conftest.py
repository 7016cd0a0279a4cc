"""Fixtures for the rds_iam tests. They run against the INSTALLED package (the wheel), never the
source tree: see the check below."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "iamdb"))  # pytest_iamdb: the iamdb session fixture
sys.path.insert(0, str(REPO / "tests"))  # fakeaws: the fake credential endpoints

from pytest_iamdb import iamdb  # noqa: E402,F401

import rds_iam  # noqa: E402

if Path(rds_iam.__file__).resolve().is_relative_to(REPO / "python"):
    raise RuntimeError(f"rds_iam imported from the source tree ({rds_iam.__file__}), not the wheel")


@pytest.fixture(autouse=True)
def _fresh_caches() -> Iterator[None]:
    """Caches are process-wide: every test starts and ends without cached tokens/credentials."""
    rds_iam.clear_caches()
    yield
    rds_iam.clear_caches()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """An environment where the default chain finds nothing unless a test puts it there."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("PGSSLMODE", raising=False)
    return monkeypatch


@pytest.fixture
def db(aws_env: pytest.MonkeyPatch, iamdb: Any) -> Any:
    """iamdb, with its static test key as the default chain's environment credentials."""
    aws_env.setenv("AWS_ACCESS_KEY_ID", iamdb.access_key_id)
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", iamdb.secret_access_key)
    return iamdb


@pytest.fixture
def pg_signer(db: Any) -> rds_iam.Signer:
    return rds_iam.Signer(db.host, db.pg_port, db.user, region=db.region)


@pytest.fixture
def mysql_signer(db: Any) -> rds_iam.Signer:
    return rds_iam.Signer(db.host, db.mysql_port, db.user, region=db.region)


@pytest.fixture
def fake() -> Iterator[Any]:
    import fakeaws

    server = fakeaws.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def short_max_age(iamdb: Any) -> Iterator[int]:
    """iamdb rejects tokens older than 3 s for the duration of the test."""
    iamdb.set_max_age(3)
    try:
        yield 3
    finally:
        iamdb.set_max_age(900)


def signatures() -> int:
    return rds_iam.stats()["signatures"]


@pytest.fixture
def quiet_botocore() -> Iterator[None]:
    """For the tests that drive botocore itself: it logs whole STS responses and presigned URLs
    at DEBUG (the peer's logging, not ours), and the secrets scan records every logger at DEBUG.
    Keep it to warnings there."""
    logger = logging.getLogger("botocore")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
