"""Web identity (EKS IRSA) through the binding: STS failing to fetch the identity provider's
keys is retried, and `web_identity_attempts` is the binding's spelling of the core option."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rds_iam

HOST = "db.abc123.us-east-1.rds.amazonaws.com"
VERIFICATION_KEY = (
    "Couldn't retrieve verification key from your identity provider,  please reference "
    "AssumeRoleWithWebIdentity documentation for requirements"
)


@pytest.fixture
def web_identity(fake: Any, aws_env: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    token = tmp_path / "token"
    token.write_text("eyJhbGciOiJSUzI1NiJ9.e30.sig")
    aws_env.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    aws_env.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa-role")
    aws_env.setenv("AWS_ENDPOINT_URL_STS", fake.url)
    rds_iam.clear_caches()
    fake.configure(sts={"error_code": "InvalidIdentityToken", "error_message": VERIFICATION_KEY})
    return fake


def test_the_third_attempt_gets_the_token(web_identity: Any) -> None:
    web_identity.configure(sts={"fail_times": 2})
    info = rds_iam.Signer(HOST, 5432, "app").token_info()
    assert info.access_key_id == "ASIAWEBID00000000001"
    assert web_identity.counts()["sts_AssumeRoleWithWebIdentity"] == 3


def test_one_attempt_means_no_retry(web_identity: Any) -> None:
    with pytest.raises(rds_iam.RdsIamError) as caught:
        rds_iam.Signer(HOST, 5432, "app", web_identity_attempts=1).token()
    assert caught.value.code == "ProviderError"
    assert "verification key" in str(caught.value)
    assert web_identity.counts()["sts_AssumeRoleWithWebIdentity"] == 1


@pytest.mark.parametrize("bad", [0, 21])
def test_attempts_out_of_range_are_invalid(bad: int) -> None:
    with pytest.raises(rds_iam.InvalidArgument, match="web_identity_attempts"):
        rds_iam.Signer(HOST, 5432, "app", web_identity_attempts=bad)
