"""The real AWS SDK for Python (botocore/boto3) against the fake: proves our responses parse
exactly as an SDK parses AWS's, and that injected failures surface as the SDK's own errors.
(boto3 comes from tests/requirements.txt, installed by `make venv`)."""
import datetime as dt
import email.utils
import hashlib
import json
import os
import time

import pytest

import boto3  # noqa: E402,F401  (installed by make venv)
from botocore import UNSIGNED  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.credentials import SSOProvider  # noqa: E402
from botocore.exceptions import ClientError, CredentialRetrievalError  # noqa: E402
from botocore.parsers import ResponseParserError  # noqa: E402
from botocore.utils import InstanceMetadataFetcher  # noqa: E402


# botocore's IMDS fetcher leaves its pooled socket for the garbage collector; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:unclosed <socket:ResourceWarning")

STATIC = {"aws_access_key_id": "AKIAFAKEAWSSTATIC001", "aws_secret_access_key": "fakeaws-static-secret"}
NO_RETRY = Config(retries={"mode": "standard", "max_attempts": 1})


@pytest.fixture
def fake(server, monkeypatch, tmp_path):
    """A clean fake and an environment where only what a test sets can supply credentials."""
    server.reset()
    for k in list(os.environ):
        if k.startswith("AWS_"):
            monkeypatch.delenv(k)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url)
    return server


def sts(fake, creds=STATIC, config=NO_RETRY):
    return boto3.client("sts", endpoint_url=fake.url, region_name="us-east-1", config=config, **creds)


def as_client_creds(c):
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


def test_imds_fetcher_parses_credentials(fake):
    creds = InstanceMetadataFetcher(base_url=fake.url, timeout=2, num_attempts=1).retrieve_iam_role_credentials()
    assert creds["role_name"] == "fakeaws-instance-role"
    assert creds["access_key"] == "ASIAIMDS000000000001" and len(creds["token"]) == 640
    assert fake.counts() == {"imds": 3, "imds_token": 1, "imds_role": 1, "imds_credentials": 1}
    assert fake.calls("imds", "credentials")[0]["token"] == "FAKEAWS-IMDS-TOKEN-000001"  # botocore used IMDSv2


def test_session_default_chain_reaches_imds(fake):
    frozen = boto3.Session().get_credentials()
    assert frozen.method == "iam-role" and frozen.get_frozen_credentials().access_key == "ASIAIMDS000000000001"


def test_imds_token_403_falls_back_to_v1_unless_token_required(fake):
    fake.configure(imds={"imds_token_status": 403})
    fetcher = InstanceMetadataFetcher(base_url=fake.url, timeout=2, num_attempts=1)
    assert fetcher.retrieve_iam_role_credentials()["access_key"] == "ASIAIMDS000000000001"
    assert fake.calls("imds", "credentials")[0]["token"] is None  # IMDSv1 fallback
    fake.configure(imds={"require_token": True})
    assert fetcher.retrieve_iam_role_credentials() == {}


def test_imds_delay_beyond_sdk_timeout(fake):
    fake.configure(imds={"delay_ms": 1500})
    t0 = time.monotonic()
    assert InstanceMetadataFetcher(base_url=fake.url, timeout=0.3, num_attempts=1).retrieve_iam_role_credentials() == {}
    assert time.monotonic() - t0 < 1.4  # botocore gave up, it did not wait for us


def test_imds_garbage_is_rejected_by_sdk(fake):
    fake.configure(imds={"garbage": True})
    assert InstanceMetadataFetcher(base_url=fake.url, timeout=2, num_attempts=1).retrieve_iam_role_credentials() == {}
    assert fake.calls("imds", "credentials")[0]["status"] == 200


def test_container_provider_full_uri_and_token(fake, monkeypatch):
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake.url + "/ecs/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "pod-identity-token")
    creds = boto3.Session().get_credentials()
    assert creds.method == "container-role" and creds.get_frozen_credentials().access_key == "ASIAECS0000000000001"
    assert fake.calls("ecs")[0]["authorization"] == "pod-identity-token"
    assert fake.counts().get("imds", 0) == 0  # the container source outranks IMDS


def test_container_provider_surfaces_auth_failure(fake, monkeypatch):
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fake.url + "/ecs/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong")
    fake.configure(ecs={"require_auth": "right"})
    with pytest.raises(CredentialRetrievalError):
        boto3.Session().get_credentials().get_frozen_credentials()
    assert {c["status"] for c in fake.calls("ecs")} == {401}


def test_sts_assume_role_chain_and_caller_identity(fake):
    first = sts(fake).assume_role(RoleArn="arn:aws:iam::123456789012:role/base", RoleSessionName="one",
                                  ExternalId="ext-1", DurationSeconds=900)["Credentials"]
    assert first["AccessKeyId"] == "ASIAASSUMED000000001"
    left = (first["Expiration"] - dt.datetime.now(dt.timezone.utc)).total_seconds()
    assert 890 < left <= 900  # DurationSeconds honoured
    second = sts(fake, as_client_creds(first)).assume_role(
        RoleArn="arn:aws:iam::123456789012:role/db", RoleSessionName="two")["Credentials"]
    assert second["AccessKeyId"] == "ASIAASSUMED000000002"
    calls = fake.calls("sts", "AssumeRole")
    assert [c["caller_access_key_id"] for c in calls] == ["AKIAFAKEAWSSTATIC001", "ASIAASSUMED000000001"]
    assert calls[0]["external_id"] == "ext-1" and calls[1]["role_arn"].endswith("role/db")
    who = sts(fake, as_client_creds(second)).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/db/two" and who["Account"] == "123456789012"
    assert sts(fake).get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/fakeaws-user"


def test_sts_web_identity_unsigned(fake):
    out = sts(fake, {}, Config(signature_version=UNSIGNED)).assume_role_with_web_identity(
        RoleArn="arn:aws:iam::123456789012:role/web", RoleSessionName="ww", WebIdentityToken="eyJ.fake.jwt")
    assert out["Credentials"]["AccessKeyId"] == "ASIAWEBID00000000001"
    assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/web/ww"
    call = fake.calls("sts", "AssumeRoleWithWebIdentity")[0]
    assert call["web_identity_token"] == "eyJ.fake.jwt" and call["caller_access_key_id"] is None


@pytest.mark.parametrize("code,op", [("Throttling", "assume_role"), ("ExpiredTokenException", "assume_role"),
                                     ("InvalidIdentityToken", "assume_role_with_web_identity")])
def test_sts_error_codes_surface_in_botocore(fake, code, op):
    fake.configure(sts={"error_code": code})
    with pytest.raises(ClientError) as e:
        getattr(sts(fake), op)(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="ss",
                               **({"WebIdentityToken": "tttt"} if "web" in op else {}))
    assert e.value.response["Error"]["Code"] == code
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_sts_fail_times_then_sdk_retry_succeeds(fake):
    fake.configure(sts={"error_code": "Throttling", "fail_times": 1})
    client = sts(fake, config=Config(retries={"mode": "standard", "max_attempts": 3}))
    assert client.assume_role(RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="ss")["Credentials"]["AccessKeyId"] \
        == "ASIAASSUMED000000001"
    assert [c["status"] for c in fake.calls("sts")] == [400, 200]


def test_sts_garbage_is_a_parse_error(fake):
    fake.configure(sts={"garbage": True})
    with pytest.raises(ResponseParserError):
        sts(fake).get_caller_identity()


def test_sts_date_skew_visible_to_sdk(fake):
    fake.configure(sts={"date_skew_s": 900})
    headers = sts(fake).get_caller_identity()["ResponseMetadata"]["HTTPHeaders"]
    skew = email.utils.parsedate_to_datetime(headers["date"]).timestamp() - time.time()
    assert 890 < skew < 910


def test_sso_client_get_role_credentials(fake):
    sso = boto3.client("sso", endpoint_url=fake.url, region_name="us-east-1", config=Config(signature_version=UNSIGNED))
    rc = sso.get_role_credentials(roleName="Admin", accountId="111122223333", accessToken="bearer-x")["roleCredentials"]
    assert rc["accessKeyId"] == "ASIASSO0000000000001" and abs(rc["expiration"] / 1000 - time.time() - 3600) < 5
    fake.configure(sso={"error_code": "UnauthorizedException"})
    with pytest.raises(ClientError) as e:
        sso.get_role_credentials(roleName="Admin", accountId="111122223333", accessToken="bearer-x")
    assert e.value.response["Error"]["Code"] == "UnauthorizedException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_sso_profile_through_default_chain(fake, monkeypatch, tmp_path):
    """Legacy SSO profile + token cache file, resolved via AWS_ENDPOINT_URL_SSO like aws-config would."""
    start_url = "https://fakeaws.awsapps.com/start"
    (tmp_path / "config").write_text(f"[profile sso]\nsso_start_url = {start_url}\nsso_region = us-east-1\n"
                                     "sso_account_id = 111122223333\nsso_role_name = Admin\n")
    cache = tmp_path / "sso-cache"
    cache.mkdir()
    (cache / (hashlib.sha1(start_url.encode()).hexdigest() + ".json")).write_text(json.dumps(
        {"startUrl": start_url, "region": "us-east-1", "accessToken": "cached-bearer",
         "expiresAt": "2099-01-01T00:00:00Z"}))
    monkeypatch.setattr(SSOProvider, "_SSO_TOKEN_CACHE_DIR", str(cache))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", fake.url)
    creds = boto3.Session(profile_name="sso").get_credentials()
    assert creds.method == "sso" and creds.get_frozen_credentials().access_key == "ASIASSO0000000000001"
    call = fake.calls("sso")[0]
    assert (call["bearer_token"], call["role_name"], call["account_id"]) == ("cached-bearer", "Admin", "111122223333")
