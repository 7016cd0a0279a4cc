"""``Signer(credentials=...)`` given the application's own credential source (issue 33, item 6):
a boto3 Session (botocore's assume-role provider against the fake STS), botocore credentials, a
callable, sync or async. The core treats each as one more source: asked only when its cached
credentials are missing or near expiry, once for concurrent callers, a token's life capped by
the expiry it returned, and its errors named."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from test_credentials import ROLE, assumed_credentials, pg_login

import rds_iam

HOST = "db.abc123.us-east-1.rds.amazonaws.com"


pytestmark = pytest.mark.usefixtures("quiet_botocore")


class Counting:
    """A credentials callable that counts its calls (and can be slow)."""

    def __init__(self, expires_in: float | None = None, delay: float = 0.0) -> None:
        self.calls = 0
        self.expires_in = expires_in
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self) -> dict[str, Any]:
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        creds: dict[str, Any] = {
            "access_key_id": "ASIAAPPCREDS00000001",
            "secret_access_key": "app-creds-secret",
            "session_token": "app-creds-session",
        }
        if self.expires_in is not None:
            creds["expires_at"] = datetime.now(timezone.utc) + timedelta(seconds=self.expires_in)
        return creds


def test_boto3_session_with_botocores_assume_role_logs_in(
    db: Any, fake: Any, aws_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    boto3 = pytest.importorskip("boto3")
    config = tmp_path / "config"
    config.write_text(
        f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n"
        "role_session_name = py-app-session\n"
    )
    aws_env.setenv("AWS_CONFIG_FILE", str(config))
    aws_env.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    session = boto3.Session(profile_name="app", region_name=db.region)
    signer = rds_iam.Signer(db.host, db.pg_port, db.user, region=db.region, credentials=session)
    issued = assumed_credentials("py-app-session")
    assert signer.token_info().access_key_id == issued["AccessKeyId"]
    db.add_key(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    assert pg_login(db, signer) == db.user
    # botocore made the one AssumeRole call; our cache asked the Session once.
    assert len(fake.calls(service="sts", action="AssumeRole")) == 1
    for _ in range(5):
        signer.token()
    assert len(fake.calls(service="sts", action="AssumeRole")) == 1
    creds = session.get_credentials()
    by_creds = rds_iam.Signer(db.host, db.pg_port, db.user, region=db.region, credentials=creds)
    assert by_creds.token_info().access_key_id == issued["AccessKeyId"]


def test_a_hundred_concurrent_calls_ask_the_provider_once() -> None:
    provider = Counting(delay=0.3)
    signer = rds_iam.Signer(HOST, 5432, "app", credentials=provider)
    assert provider.calls == 0, "building a Signer asks nothing"
    with ThreadPoolExecutor(100) as pool:
        tokens = set(pool.map(lambda _: signer.token(), range(100)))
    assert provider.calls == 1
    assert len(tokens) == 1


def test_the_token_life_is_capped_by_the_returned_expiry() -> None:
    provider = Counting(expires_in=360)
    signer = rds_iam.Signer(HOST, 5432, "app", credentials=provider, refresh_margin=300)
    info = signer.token_info()
    left = (info.expires_at - datetime.now(timezone.utc)).total_seconds()
    assert 340 < left <= 360, left
    # Credentials that expire inside the refresh-ahead window (5 min) are asked for again.
    short = Counting(expires_in=240)
    s = rds_iam.Signer(HOST, 5432, "app", credentials=short, refresh_margin=60)
    s.token()
    deadline = time.monotonic() + 5
    while short.calls < 2 and time.monotonic() < deadline:
        s.token()
        time.sleep(0.05)
    assert short.calls >= 2


def test_an_async_callable() -> None:
    calls = []

    async def fetch() -> dict[str, str]:
        calls.append(1)
        return {"access_key_id": "AKIAASYNCCREDS000001", "secret_access_key": "s"}

    signer = rds_iam.Signer(HOST, 5432, "app", credentials=fetch)
    assert signer.token_info().access_key_id == "AKIAASYNCCREDS000001"
    assert calls == [1]


def test_provider_errors_are_ours_and_name_the_provider() -> None:
    def broken() -> dict[str, str]:
        raise RuntimeError("vault is sealed")

    with pytest.raises(
        rds_iam.ProviderError, match=r"credentials callable .*broken.*vault is sealed"
    ):
        rds_iam.Signer(HOST, 5432, "app", credentials=broken).token()

    def bad_shape() -> dict[str, str]:
        return {"access_key_id": "AKIA"}

    with pytest.raises(rds_iam.ProviderError, match="secret_access_key"):
        rds_iam.Signer(HOST, 5432, "app", credentials=bad_shape).token()
