"""The Python API: construction, properties, caching, errors, secrets, CLI."""

from __future__ import annotations

import asyncio
import contextlib
import pickle
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

import pytest
from conftest import signatures

import rds_iam
from rds_iam import errors

HOST = "mydb.abc123.us-east-1.rds.amazonaws.com"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SESSION = "IQoJb3JpZ2luX2VjSessionTokenThatIsSecret+/=="
CREDS = {"access_key_id": "AKIDEXAMPLE", "secret_access_key": SECRET}
TEMP_CREDS = {**CREDS, "access_key_id": "ASIAEXAMPLE", "session_token": SESSION}


def static(**kw: Any) -> rds_iam.Signer:
    return rds_iam.Signer(HOST, 5432, "app", credentials=CREDS, **kw)


# ---- construction and properties -----------------------------------------------------------


def test_version_and_exports() -> None:
    assert rds_iam.__version__ == rds_iam._native.__version__
    assert rds_iam.__version__.count(".") == 2
    for name in rds_iam.__all__:
        assert hasattr(rds_iam, name), name


def test_properties_and_region_inference() -> None:
    s = rds_iam.Signer(HOST, 5432, "app")
    assert (s.host, s.port, s.user, s.region, s.sign_host, s.sign_port, s.kind) == (
        HOST,
        5432,
        "app",
        "us-east-1",
        HOST,
        5432,
        "rds",
    )


def test_port_defaults_to_5432_or_the_one_in_the_host() -> None:
    assert rds_iam.Signer(HOST, user="u").port == 5432
    assert rds_iam.Signer(f"{HOST}:3306", user="u").port == 3306
    assert rds_iam.Signer(f"https://{HOST}:3306/", user="u").port == 3306


def test_sign_host_for_tunnels() -> None:
    s = rds_iam.Signer("127.0.0.1", 15432, "app", sign_host=f"{HOST}:5432", credentials=CREDS)
    assert (s.host, s.port, s.sign_host, s.sign_port, s.region) == (
        "127.0.0.1",
        15432,
        f"{HOST}:5432",
        5432,
        "us-east-1",
    )
    # sign_host reads back as the option takes it: given back, it signs the same endpoint
    again = rds_iam.Signer("127.0.0.1", 15432, "app", sign_host=s.sign_host, credentials=CREDS)
    assert again.token() == s.token()
    no_port = rds_iam.Signer("127.0.0.1", 15432, "app", sign_host=HOST, credentials=CREDS)
    assert (no_port.sign_host, no_port.sign_port) == (HOST, 15432)
    assert rds_iam.Signer(HOST, 3306, "app").sign_host == HOST
    assert s.token().startswith(f"{HOST}:5432/?Action=connect&DBUser=app&")
    assert "sign_host='" + HOST + ":5432'" in repr(s)


def test_dsql_kinds() -> None:
    host = "abc123.dsql.us-east-1.on.aws"
    admin = rds_iam.Signer(host, user="admin", kind="dsql_admin", credentials=CREDS)
    assert admin.kind == "dsql_admin" and admin.user == "admin"
    assert admin.token().startswith(f"{host}/?Action=DbConnectAdmin&X-Amz-Algorithm=")
    custom = rds_iam.Signer(host, kind="dsql_connect", credentials=CREDS, expires_in=3600)
    assert "Action=DbConnect&" in custom.token() and "X-Amz-Expires=3600" in custom.token()


def test_cache_kinds_sign_the_cache_name_behind_any_endpoint() -> None:
    endpoint = "master.My-RG.abc123.use1.cache.amazonaws.com"
    s = rds_iam.Signer(endpoint, user="app-user", kind="elasticache", credentials=CREDS)
    assert (s.kind, s.host, s.port, s.sign_host, s.region) == (
        "elasticache",
        endpoint,
        6379,
        "my-rg",
        "us-east-1",
    )
    assert s.token().startswith("my-rg/?Action=connect&User=app-user&X-Amz-Algorithm=")
    serverless = rds_iam.Signer(
        "127.0.0.1",
        6380,
        "app-user",
        "eu-west-1",
        sign_host="my-cache",
        kind="elasticache_serverless",
        credentials=CREDS,
    )
    assert serverless.kind == "elasticache-serverless"
    assert "&User=app-user&ResourceType=ServerlessCache&" in serverless.token()
    mdb = rds_iam.Signer(
        "clustercfg.c1.abc.memorydb.eu-west-1.amazonaws.com",
        user="u",
        kind="memorydb",
        credentials=CREDS,
    )
    assert (mdb.sign_host, mdb.region) == ("c1", "eu-west-1")
    with pytest.raises(rds_iam.NoRegion, match="region"):
        rds_iam.Signer("my-cache", user="u", kind="elasticache", credentials=CREDS)
    with pytest.raises(rds_iam.InvalidEndpoint, match="use kind `elasticache-serverless`"):
        rds_iam.Signer("c-abc123.serverless.use1.cache.amazonaws.com", user="u", kind="elasticache")


def test_repr_has_no_secrets() -> None:
    s = rds_iam.Signer(HOST, 5432, "app", credentials=TEMP_CREDS)
    text = repr(s) + str(s)
    assert text.startswith(f"Signer(host='{HOST}', port=5432, user='app', region='us-east-1'")
    assert "ASIAEXAMPLE" in text
    assert SECRET not in text and SESSION not in text


def test_durations_accept_seconds_and_timedelta() -> None:
    for value in (600, 600.0, timedelta(minutes=10), 0, timedelta(0)):
        static(reuse_for=value, refresh_margin=value, fetch_timeout=3, imds_timeout=0.5)


# ---- tokens and caching --------------------------------------------------------------------


def test_token_is_cached_and_token_info_says_so() -> None:
    s = static()
    before = signatures()
    first = s.token_info()
    second = s.token_info()
    assert signatures() - before == 1
    assert not first.from_cache and second.from_cache
    assert first.token == second.token == s.token()
    assert first.access_key_id == "AKIDEXAMPLE"
    assert first.expires_at.tzinfo is not None and first.expires_at.utcoffset() == timedelta(0)
    assert first.expires_at - first.signed_at == timedelta(seconds=900)
    assert abs(datetime.now(timezone.utc) - first.signed_at) < timedelta(seconds=5)


def test_token_info_repr_leaves_the_token_out() -> None:
    info = rds_iam.Signer(HOST, 5432, "app", credentials=TEMP_CREDS).token_info()
    text = repr(info) + str(info)
    assert text.startswith("TokenInfo(expires_at=") and "access_key_id='ASIAEXAMPLE'" in text
    assert info.token not in text and "X-Amz-Signature" not in text
    assert SESSION not in text and SECRET not in text
    with pytest.raises(AttributeError):
        info.token = "x"  # type: ignore[misc]


def test_signers_share_the_process_wide_cache() -> None:
    before = signatures()
    tokens = {static().token() for _ in range(50)}
    assert len(tokens) == 1 and signatures() - before == 1


def test_reuse_for_zero_signs_every_time() -> None:
    s = static(reuse_for=0)
    before = signatures()
    for _ in range(3):
        assert not s.token_info().from_cache
    assert signatures() - before == 3


def test_default_reuse_is_until_the_refresh_margin() -> None:
    s = static(refresh_margin=899.5)
    first = s.token_info()
    assert s.token_info().from_cache  # 900 s of life, > 899.5 s left just after signing
    assert first.expires_at - first.signed_at == timedelta(seconds=900)


def test_token_capped_by_credential_expiry() -> None:
    expires = datetime.now(timezone.utc) + timedelta(minutes=30)
    s = rds_iam.Signer(HOST, 5432, "app", credentials={**TEMP_CREDS, "expires_at": expires})
    info = s.token_info()
    assert "X-Amz-Security-Token=" in info.token
    assert info.expires_at <= expires and info.expires_at - info.signed_at == timedelta(seconds=900)


def test_clear_caches_forces_a_new_signature() -> None:
    s = static()
    s.token()
    rds_iam.clear_caches()
    assert not s.token_info().from_cache


def test_token_async_completes_at_once_when_cached() -> None:
    s = static()
    s.token()

    async def main() -> str:
        fut = s.token_async()
        assert isinstance(fut, asyncio.Future) and fut.done()
        return await fut

    assert asyncio.run(main()) == s.token()


def test_token_async_needs_a_running_loop() -> None:
    with pytest.raises(RuntimeError):
        static().token_async()


def test_module_sign_defaults_to_now() -> None:
    token = rds_iam.sign(HOST, 5432, "app", credentials=CREDS)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d")
    assert f"X-Amz-Date={stamp}T" in token


# ---- errors --------------------------------------------------------------------------------


def core_error_codes() -> list[str]:
    """The core's codes as core/src/error.rs spells them, in `ErrorCode::ALL`'s order."""
    import re
    from pathlib import Path

    src = (Path(__file__).resolve().parents[2] / "core" / "src" / "error.rs").read_text()
    found = re.search(r"pub const ALL: \[ErrorCode; \d+\] = \[([^\]]*)\]", src)
    assert found, "ErrorCode::ALL in core/src/error.rs"
    spelled = dict(re.findall(r'ErrorCode::(\w+) => "(\w+)"', src))
    return [spelled[v] for v in re.findall(r"ErrorCode::(\w+)", found.group(1))]


def test_error_codes_are_the_cores_list() -> None:
    assert list(rds_iam.ERROR_CODES) == core_error_codes()


def test_refresh_every_raises_invalid_argument() -> None:
    from rds_iam import glide, redis

    s = rds_iam.Signer("my-cache", user="u", region="us-east-1", kind="elasticache")
    for bad in (0, -1, float("nan"), float("inf"), "soon", True):
        with pytest.raises(rds_iam.InvalidArgument, match="`refresh_every`") as e:
            redis.credential_provider(s, refresh_every=bad)  # type: ignore[arg-type]
        assert e.value.code == "InvalidArgument" and isinstance(e.value, ValueError)

    async def keep() -> None:
        with pytest.raises(rds_iam.InvalidArgument, match="`refresh_every`"):
            glide.keep_fresh(object(), s, refresh_every=-5)

    asyncio.run(keep())


def test_async_twins_of_token_info_and_dsn() -> None:
    s = static()

    async def both() -> tuple[Any, str]:
        return await s.token_info_async(), await s.dsn_async("app")

    info, dsn = asyncio.run(both())
    assert isinstance(info, rds_iam.TokenInfo) and info.token == s.token()
    assert dsn == s.dsn("app")
    with pytest.raises(rds_iam.InvalidArgument):
        asyncio.run(_dsn_async_bad_driver(s))
    assert isinstance(rds_iam.stats()["credential_fetches"], int)


async def _dsn_async_bad_driver(s: rds_iam.Signer) -> str:
    return await s.dsn_async(driver="oracle")  # type: ignore[arg-type]


def test_every_core_error_code_has_its_class() -> None:
    assert set(rds_iam.ERROR_CODES) == {
        "NoCredentials",
        "CredentialsExpired",
        "NoRegion",
        "InvalidEndpoint",
        "InvalidArgument",
        "ProviderError",
        "Timeout",
    }
    for code in rds_iam.ERROR_CODES:
        cls = getattr(rds_iam, code)
        assert issubclass(cls, rds_iam.RdsIamError) and cls.code == code
    assert issubclass(rds_iam.InvalidArgument, ValueError)
    assert issubclass(rds_iam.Timeout, TimeoutError)


BAD: list[tuple[str, dict[str, Any], type[Exception], str]] = [
    ("empty host", {"host": ""}, rds_iam.InvalidEndpoint, "host is empty"),
    ("port 0", {"port": 0}, rds_iam.InvalidEndpoint, "port 0"),
    ("port 70000", {"port": 70000}, rds_iam.InvalidEndpoint, "port 70000"),
    ("port -1", {"port": -1}, rds_iam.InvalidEndpoint, "port -1"),
    ("huge port", {"port": 2**80}, rds_iam.InvalidEndpoint, "1 to 65535"),
    ("two ports", {"host": f"{HOST}:3306", "port": 5432}, rds_iam.InvalidEndpoint, "3306"),
    ("query in host", {"host": "db?Action=x"}, rds_iam.InvalidEndpoint, "invalid"),
    ("None user", {"user": None}, rds_iam.InvalidArgument, "user"),
    ("empty user", {"user": ""}, rds_iam.InvalidArgument, "user"),
    ("CRLF user", {"user": "a\r\nb"}, rds_iam.InvalidArgument, "control"),
    ("no region", {"host": "db.example.com"}, rds_iam.NoRegion, "sign_host"),
    ("bad region", {"region": "mars"}, rds_iam.InvalidArgument, "region"),
    ("bad kind", {"kind": "oracle"}, rds_iam.InvalidArgument, "kind"),
    ("rds lifetime", {"expires_in": 60}, rds_iam.InvalidArgument, "expires_in"),
    ("negative reuse", {"reuse_for": -1}, rds_iam.InvalidArgument, "reuse_for"),
    ("nan margin", {"refresh_margin": float("nan")}, rds_iam.InvalidArgument, "refresh_margin"),
    ("inf timeout", {"fetch_timeout": float("inf")}, rds_iam.InvalidArgument, "fetch_timeout"),
    ("zero timeout", {"fetch_timeout": 0}, rds_iam.InvalidArgument, "fetch_timeout"),
    ("huge reuse", {"reuse_for": 1e18}, rds_iam.InvalidArgument, "reuse_for"),
    ("bad role", {"role_arn": "not-an-arn"}, rds_iam.InvalidArgument, "role_arn"),
    ("session w/o role", {"role_session_name": "s"}, rds_iam.InvalidArgument, "role_arn"),
    ("profile+creds", {"profile": "p", "credentials": CREDS}, rds_iam.InvalidArgument, "profile"),
    (
        "unknown cred key",
        {"credentials": {**CREDS, "token": "x"}},
        rds_iam.InvalidArgument,
        "`token`",
    ),
    ("missing secret", {"credentials": {"access_key_id": "A"}}, rds_iam.InvalidArgument, "secret"),
    (
        "naive expiry",
        {"credentials": {**CREDS, "expires_at": datetime(2030, 1, 1)}},
        rds_iam.InvalidArgument,
        "naive",
    ),
]


@pytest.mark.parametrize("kw,cls,words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input(kw: dict[str, Any], cls: type[rds_iam.RdsIamError], words: str) -> None:
    args = {"host": HOST, "port": 5432, "user": "app", "credentials": CREDS, **kw}
    host = args.pop("host")
    with pytest.raises(cls) as caught:
        rds_iam.Signer(host, **args)
    e = caught.value
    assert type(e) is cls and e.code == cls.__name__
    assert words in str(e)
    assert SECRET not in str(e) and SECRET not in repr(e)


WRONG_TYPES: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
    ((123,), {}),
    ((None,), {"cluster_id": 5}),
    ((HOST, "5432"), {}),
    ((HOST, 5432.0), {}),
    ((HOST, True), {}),
    ((HOST, 5432, 7), {}),
    ((HOST, 5432, "u", 1), {}),
    ((HOST, 5432, "u"), {"credentials": "AKID:SECRET"}),
    ((HOST, 5432, "u"), {"credentials": {"access_key_id": 1, "secret_access_key": "s"}}),
    ((HOST, 5432, "u"), {"credentials": {**CREDS, "expires_at": "2030-01-01"}}),
    ((HOST, 5432, "u"), {"reuse_for": "600"}),
    ((HOST, 5432, "u"), {"reuse_for": True}),
    ((HOST, 5432, "u"), {"kind": 1}),
    ((HOST, 5432, "u"), {"nonsense": 1}),
]


@pytest.mark.parametrize("args,kw", WRONG_TYPES)
def test_wrong_types_raise_type_error(args: tuple[Any, ...], kw: dict[str, Any]) -> None:
    with pytest.raises(TypeError) as caught:
        rds_iam.Signer(*args, **kw)
    assert SECRET not in str(caught.value)


def test_credentials_may_be_any_mapping() -> None:
    """A read-only Mapping that is not a dict signs the same token; a non-str key is refused."""
    at = datetime(2026, 11, 23, tzinfo=timezone.utc)
    as_dict = rds_iam.sign(HOST, 5432, "app", credentials=TEMP_CREDS, at=at)
    as_proxy = rds_iam.sign(HOST, 5432, "app", credentials=MappingProxyType(TEMP_CREDS), at=at)
    assert as_proxy == as_dict and "X-Amz-Security-Token=" in as_dict
    odd_key: dict[Any, str] = {**CREDS, 1: "x"}
    for creds in (odd_key, MappingProxyType(odd_key)):
        with pytest.raises(rds_iam.InvalidArgument, match="unknown key `1`"):
            rds_iam.sign(HOST, 5432, "app", credentials=creds, at=at)


def test_sign_bad_input() -> None:
    with pytest.raises(TypeError):
        rds_iam.sign(HOST, 5432, "app")  # type: ignore[call-arg]
    with pytest.raises(rds_iam.InvalidArgument, match="naive"):
        rds_iam.sign(HOST, 5432, "app", credentials=CREDS, at=datetime(2024, 1, 1))
    with pytest.raises(TypeError):
        rds_iam.sign(HOST, 5432, "app", credentials=CREDS, at="2024-01-01T00:00:00Z")  # type: ignore[arg-type]
    with pytest.raises(rds_iam.InvalidArgument, match="1970"):
        rds_iam.sign(
            HOST, 5432, "app", credentials=CREDS, at=datetime(1960, 1, 1, tzinfo=timezone.utc)
        )
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    with pytest.raises(rds_iam.CredentialsExpired) as caught:
        rds_iam.sign(HOST, 5432, "app", credentials={**TEMP_CREDS, "expires_at": past})
    assert SESSION not in str(caught.value) and SECRET not in str(caught.value)


def test_fuzzed_inputs_never_panic() -> None:
    """No PanicException (a BaseException) for odd input: only TypeError or RdsIamError."""
    hosts = ["", " ", "[", "[::1", "[::1]:x", "h:", ":5432", "a" * 300, "ü.example", "h\x00", "😀"]
    values: list[Any] = [None, 0, -1, 2**64, 1.5, "", "x", b"x", [], {}, float("nan"), object()]
    for host in hosts:
        for v in values:
            for kw in ({"port": v}, {"user": v}, {"region": v}, {"sign_host": v}, {"reuse_for": v}):
                with contextlib.suppress(TypeError, rds_iam.RdsIamError):
                    rds_iam.Signer(host, **{"user": "u", "region": "us-east-1", **kw}).token()


def test_no_credentials(aws_env: pytest.MonkeyPatch) -> None:
    s = rds_iam.Signer(HOST, 5432, "app", imds_timeout=0.2)
    with pytest.raises(rds_iam.NoCredentials) as caught:
        s.token()
    assert caught.value.code == "NoCredentials"
    assert "AWS_ACCESS_KEY_ID" in str(caught.value)  # says what to do next


def test_missing_profile(aws_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(rds_iam.RdsIamError) as caught:
        rds_iam.Signer(HOST, 5432, "app", profile="nope").token()
    assert caught.value.code in ("NoCredentials", "ProviderError")
    assert "nope" in str(caught.value)


def test_exceptions_pickle() -> None:
    e = rds_iam.ProviderError("failed", code="ProviderError", provider="assume-role x")
    back = pickle.loads(pickle.dumps(e))
    assert type(back) is rds_iam.ProviderError
    assert (str(back), back.code, back.provider) == ("failed", "ProviderError", "assume-role x")
    assert errors.RdsIamError("x").code == "RdsIamError"


# ---- CLI -----------------------------------------------------------------------------------


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rds_iam", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_cli_token(db: Any) -> None:
    import os

    res = run_cli(
        "token",
        "--host",
        "127.0.0.1",
        "--port",
        "5432",
        "--user",
        "u",
        "--region",
        "us-east-1",
        env=dict(os.environ),
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("127.0.0.1:5432/?Action=connect&DBUser=u&")
    assert res.stderr == ""


def test_cli_usage_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    from rds_iam.__main__ import main

    assert main(["--version"]) == 0
    assert rds_iam.__version__ in capsys.readouterr().out
    assert main(["token", "--host", "db.example.com", "--user", "u"]) == 1
    assert "error[NoRegion]" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2
    assert run_cli("--help").returncode == 0


def test_console_script_is_installed() -> None:
    from pathlib import Path

    script = Path(sys.executable).parent / "rds-iam"
    assert script.exists()
    res = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and rds_iam.__version__ in res.stdout


def test_extreme_times_never_panic() -> None:
    utc = timezone.utc
    for at in (datetime.max.replace(tzinfo=utc), datetime(1970, 1, 1, tzinfo=utc)):
        assert rds_iam.sign(HOST, 5432, "app", credentials=CREDS, at=at).startswith(HOST)
    far = {**TEMP_CREDS, "expires_at": datetime.max.replace(tzinfo=utc)}
    assert rds_iam.Signer(HOST, 5432, "app", credentials=far).token_info().token
    with pytest.raises(rds_iam.InvalidArgument):
        rds_iam.sign(HOST, 5432, "app", credentials=CREDS, at=datetime.min.replace(tzinfo=utc))
