"""What our objects show (issue 33, item 1): every public object rds_iam returns — Signer,
TokenInfo, the proxy handle, the cache hooks' providers, stats, errors — printed every way a log
or a crash reporter would (``repr``, ``str``, ``format``, ``vars``/public attributes, an
exception's ``args``) holds no token, no secret key and no session token."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

import pytest

import rds_iam

HOST = "db.abc123.us-east-1.rds.amazonaws.com"
SECRET = "shown/python/secret/key-0000000000000000001"
SESSION = "IQoJb3JpZ2luX2Vj++++////shown/python/session/0001=="
CREDS = {
    "access_key_id": "ASIASHOWNPY000000001",
    "secret_access_key": SECRET,
    "session_token": SESSION,
}


def printed(x: Any) -> list[str]:
    out = [repr(x), str(x), f"{x}", f"{x!r}"]
    if isinstance(x, BaseException):
        out.append(repr(x.args))
    for name in dir(x):
        if name.startswith("_"):
            continue
        try:
            value = getattr(x, name)
        except Exception as e:  # a property that raises shows its error
            value = e
        if not callable(value) and name != "token":
            out.append(f"{name}={value!r}")
    return out


def assert_hidden(label: str, x: Any, token: str | None = None) -> None:
    for text in printed(x):
        for s in (SECRET, SESSION, quote(SESSION, safe=""), token, "X-Amz-Signature="):
            assert not s or s not in text, f"{label} shows {s[:24]}…: {text}"


def test_every_public_object_prints_no_token_and_no_secret() -> None:
    signer = rds_iam.Signer(HOST, 5432, "app", credentials=CREDS)
    info = signer.token_info()
    assert info.token.startswith(f"{HOST}:5432/?Action=connect")
    objects: dict[str, Any] = {
        "signer": signer,
        "token info": info,
        "tunnel signer": rds_iam.Signer(
            "127.0.0.1", 15432, "app", sign_host=f"{HOST}:5432", credentials=CREDS
        ),
        "stats": rds_iam.stats(),
    }
    async_info = asyncio.run(_async_info(signer))
    objects["token info (async)"] = async_info
    with rds_iam.Proxy(signer, database="app") as proxy:
        objects["proxy"] = proxy
        for label, x in objects.items():
            assert_hidden(label, x, info.token)
    assert "token=<" in repr(info) and info.token not in repr(info)
    assert repr(signer).startswith(f"Signer(host='{HOST}', port=5432, user='app'")


async def _async_info(signer: rds_iam.Signer) -> rds_iam.TokenInfo:
    return await signer.token_info_async()


def test_cache_hooks_print_no_token() -> None:
    redis = pytest.importorskip("rds_iam.redis")
    cache = rds_iam.Signer(
        "c-abc.serverless.use1.cache.amazonaws.com",
        user="app",
        kind="elasticache-serverless",
        credentials=CREDS,
    )
    token = cache.token()
    provider = redis.credential_provider(cache)
    assert provider.get_credentials() == ("app", token)
    assert_hidden("redis provider", provider, token)


def test_errors_print_no_secret() -> None:
    expired = {**CREDS, "expires_at": datetime(2020, 1, 1, tzinfo=timezone.utc)}
    raised: list[rds_iam.RdsIamError] = []
    for f in (
        lambda: rds_iam.Signer(HOST, 5432, "a\nb", credentials=CREDS),
        lambda: rds_iam.Signer("db.example.com", 5432, "app", credentials=CREDS),
        lambda: rds_iam.Signer(HOST, 5432, "app", credentials=expired).token(),
        lambda: rds_iam.sign(HOST, 5432, "app", credentials=expired),
    ):
        with pytest.raises(rds_iam.RdsIamError) as info:
            f()
        raised.append(info.value)
    for err in raised:
        assert_hidden(f"error {err.code}", err)
    assert len(raised) == 4
