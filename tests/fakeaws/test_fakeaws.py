"""Tests of the fake itself, with plain urllib requests shaped exactly like the SDKs send them
(aws-config 1.13 / botocore), plus the control API and the CLI. botocore: test_fakeaws_botocore.py."""
import base64
import datetime as dt
import email.utils
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakeaws import FakeAws  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
ROLES = "/latest/meta-data/iam/security-credentials/"
SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKIAFAKEAWSSTATIC001/20260101/us-west-2/sts/aws4_request, "
                           "SignedHeaders=host;x-amz-date, Signature=00"}


@pytest.fixture
def fake(server):
    server.reset()
    return server


def req(fake, path, method="GET", headers=None, data=None, timeout=10):
    """(status, headers, body) without raising on HTTP errors."""
    r = urllib.request.Request(fake.url + path, data=data, method=method, headers=headers or {})
    try:
        with OPENER.open(r, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def imds_token(fake):
    status, headers, body = req(fake, "/latest/api/token", "PUT", {"x-aws-ec2-metadata-token-ttl-seconds": "21600"})
    assert status == 200 and headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600"
    return body


def imds_creds(fake, token):
    h = {"x-aws-ec2-metadata-token": token} if token else {}
    status, _, role = req(fake, ROLES, headers=h)
    assert status == 200
    return req(fake, ROLES + role, headers=h)


def sts(fake, headers=SIGNED, **params):
    data = urllib.parse.urlencode({"Version": "2011-06-15", **params}).encode()
    return req(fake, "/", "POST", {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8", **headers}, data)


def test_imdsv2_flow_like_aws_config(fake):
    status, _, body = imds_creds(fake, imds_token(fake))
    creds = json.loads(body)
    assert status == 200 and creds["Code"] == "Success" and creds["Type"] == "AWS-HMAC"
    assert creds["AccessKeyId"] == "ASIAIMDS000000000001"
    assert 300 <= len(creds["Token"]) <= 1000 and all(ch in creds["Token"] for ch in "+/=")
    exp = dt.datetime.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((exp - dt.datetime.now(dt.timezone.utc)).total_seconds() - 3600) < 5
    assert json.loads(imds_creds(fake, imds_token(fake))[2])["AccessKeyId"] == "ASIAIMDS000000000002"
    assert fake.counts() == {"imds": 6, "imds_token": 2, "imds_role": 2, "imds_credentials": 2}


def test_imds_token_rules(fake):
    assert req(fake, "/latest/api/token", "PUT")[0] == 400  # TTL header is mandatory
    assert req(fake, ROLES, headers={"x-aws-ec2-metadata-token": "forged"})[0] == 401
    assert req(fake, ROLES)[0] == 200  # IMDSv1 allowed by default ...
    fake.configure(imds={"require_token": True})
    assert req(fake, ROLES)[0] == 401  # ... until require_token
    fake.configure(imds={"imds_token_status": 403})
    assert req(fake, "/latest/api/token", "PUT", {"x-aws-ec2-metadata-token-ttl-seconds": "60"})[0] == 403
    assert req(fake, ROLES + "not-the-role")[0] == 401  # require_token still on
    fake.configure(imds=None)
    assert req(fake, ROLES + "not-the-role")[0] == 404
    fake.configure(imds={"role_name": "other-role"})
    assert req(fake, ROLES)[2] == "other-role" and req(fake, ROLES + "other-role")[0] == 200
    assert req(fake, "/latest/meta-data/iam/security-credentials-extended/")[0] == 404


def test_ecs_container_credentials_and_auth(fake):
    status, _, body = req(fake, "/ecs/creds", headers={"Authorization": "tok-123"})
    assert status == 200 and json.loads(body)["AccessKeyId"] == "ASIAECS0000000000001"
    assert fake.calls("ecs")[0]["authorization"] == "tok-123"
    fake.configure(ecs={"require_auth": "right"})
    assert req(fake, "/ecs/creds", headers={"Authorization": "wrong"})[0] == 401
    assert req(fake, "/ecs/creds", headers={"Authorization": "right"})[0] == 200


def test_sts_assume_role_records_caller_and_params(fake):
    status, _, body = sts(fake, Action="AssumeRole", RoleArn="arn:aws:iam::123456789012:role/path/db-role",
                          RoleSessionName="sess-1", ExternalId="ext-9", DurationSeconds="900")
    assert status == 200 and "<AccessKeyId>ASIAASSUMED000000001</AccessKeyId>" in body
    assert 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in body
    assert "<Arn>arn:aws:sts::123456789012:assumed-role/db-role/sess-1</Arn>" in body
    call = fake.calls("sts", "AssumeRole")[0]
    assert (call["caller_access_key_id"], call["region"], call["external_id"], call["duration_seconds"]) == (
        "AKIAFAKEAWSSTATIC001", "us-west-2", "ext-9", "900")
    assert call["role_session_name"] == "sess-1" and call["issued_access_key_id"] == "ASIAASSUMED000000001"


def test_sts_validation_and_unsigned(fake):
    status, _, body = sts(fake, Action="AssumeRole", RoleArn="arn:aws:iam::1:role/r")
    assert status == 400 and "<Code>ValidationError</Code>" in body and "<Type>Sender</Type>" in body
    status, _, body = sts(fake, headers={}, Action="GetCallerIdentity")
    assert status == 403 and "MissingAuthenticationToken" in body
    status, _, body = sts(fake, headers={}, Action="AssumeRoleWithWebIdentity", RoleArn="arn:aws:iam::1:role/w",
                          RoleSessionName="w", WebIdentityToken="jwt")
    assert status == 200 and "ASIAWEBID00000000001" in body  # web identity is unsigned by design


def test_sts_injected_errors_fail_times_and_garbage(fake):
    fake.configure(sts={"error_code": "Throttling", "fail_times": 2})
    codes = [sts(fake, Action="GetCallerIdentity")[0] for _ in range(3)]
    assert codes == [400, 400, 200]
    fake.configure(sts={"fail_times": None, "error_code": None, "status": 503})
    status, _, body = sts(fake, Action="GetCallerIdentity")
    assert status == 503 and "<Code>InternalFailure</Code>" in body and "<Type>Receiver</Type>" in body
    fake.configure(sts={"status": None, "garbage": True})
    status, _, body = sts(fake, Action="GetCallerIdentity")
    assert status == 200 and not body.rstrip().endswith(">")


def test_sts_error_message_and_the_oidc_issuer(fake):
    fake.configure(sts={"error_code": "InvalidIdentityToken", "error_message": "Couldn't retrieve verification key"})
    status, _, body = sts(fake, Action="GetCallerIdentity")
    assert status == 400 and "<Message>Couldn't retrieve verification key</Message>" in body
    token = json.loads(req(fake, "/_fake/oidc/token", "POST", data=b'{"exp": -60}')[2])["token"]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["iss"] == fake.url + "/oidc" and claims["exp"] < time.time()
    status, _, body = req(fake, "/oidc/.well-known/openid-configuration")
    assert status == 200 and json.loads(body)["jwks_uri"] == fake.url + "/oidc/keys"
    fake.configure(oidc={"no_cache": True, "discovery_status": 404})
    status, headers, _ = req(fake, "/oidc/keys")
    assert status == 200 and headers["Cache-Control"] == "no-cache" and headers["Pragma"] == "no-cache"
    assert req(fake, "/oidc/.well-known/openid-configuration")[0] == 404
    assert fake.counts()["oidc_jwks"] == 1 and fake.counts()["oidc_discovery"] == 2


def test_sso_get_role_credentials(fake):
    status, headers, body = req(fake, "/federation/credentials?role_name=Admin&account_id=111122223333",
                                headers={"x-amz-sso_bearer_token": "bearer-1"})
    rc = json.loads(body)["roleCredentials"]
    assert status == 200 and rc["accessKeyId"] == "ASIASSO0000000000001"
    assert abs(rc["expiration"] / 1000 - time.time() - 3600) < 5  # epoch millis
    assert fake.calls("sso")[0]["bearer_token"] == "bearer-1"
    status, headers, _ = req(fake, "/federation/credentials?role_name=Admin&account_id=1")
    assert status == 401 and headers["x-amzn-ErrorType"] == "UnauthorizedException"


@pytest.mark.parametrize("spec,offset", [("+600", 600), ("-60", -60), (900, 900)])
def test_expiration_relative(fake, spec, offset):
    fake.configure(ecs={"expiration": spec})
    exp = json.loads(req(fake, "/ecs/creds")[2])["Expiration"]
    exp = dt.datetime.strptime(exp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((exp - dt.datetime.now(dt.timezone.utc)).total_seconds() - offset) < 5


def test_expiration_absolute_and_sso_millis(fake):
    fake.configure(sso={"expiration": "2031-02-03T04:05:06Z"})
    body = req(fake, "/federation/credentials?role_name=r&account_id=1", headers={"x-amz-sso_bearer_token": "t"})[2]
    assert json.loads(body)["roleCredentials"]["expiration"] == 1927857906000


def test_delay_and_date_skew(fake):
    fake.configure(imds={"delay_ms": 400, "date_skew_s": -3600})
    t0 = time.monotonic()
    status, headers, _ = req(fake, ROLES)
    assert status == 200 and time.monotonic() - t0 >= 0.4
    skew = email.utils.parsedate_to_datetime(headers["Date"]).timestamp() - time.time()
    assert -3610 < skew < -3590
    ctl_date = email.utils.parsedate_to_datetime(req(fake, "/_fake/counts")[1]["Date"]).timestamp()
    assert abs(ctl_date - time.time()) < 5  # only the configured service is skewed
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)  # same keep-alive socket
    for path in (ROLES, "/_fake/counts"):
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
    assert abs(email.utils.parsedate_to_datetime(resp.headers["Date"]).timestamp() - time.time()) < 5
    conn.close()


def test_hang_is_released_by_stop():
    fake = FakeAws().start()
    fake.configure(ecs={"hang": True})
    with pytest.raises(OSError):  # socket timeout while the fake sits on the request
        req(fake, "/ecs/creds", timeout=0.5)
    result = {}
    t = threading.Thread(target=lambda: result.setdefault("r", _catch(lambda: req(fake, "/ecs/creds", timeout=30))))
    t.start()
    time.sleep(0.3)
    assert fake.counts()["ecs"] == 2 and fake.calls("ecs")[1]["status"] == "hang"
    t0 = time.monotonic()
    fake.stop()
    t.join(10)
    assert not t.is_alive() and time.monotonic() - t0 < 5 and isinstance(result["r"], Exception)


def _catch(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the test inspects it
        return e


def test_control_api(fake):
    with pytest.raises(urllib.error.HTTPError) as e:
        fake.configure(sts={"eror_code": "Throttling"})  # typo is refused, not silently ignored
    assert e.value.code == 400
    assert fake.configure(sts={"error_code": "Throttling"})["sts"] == {"error_code": "Throttling"}
    req(fake, ROLES)
    assert fake.counts() == {"imds": 1, "imds_role": 1}
    fake.reset()
    assert fake.counts() == {} and fake.config()["sts"] == {}


def test_unrecognised_requests_are_logged(fake, capfd):
    status, _, body = req(fake, "/", "POST", {"Content-Type": "application/x-amz-json-1.0",
                                              "X-Amz-Target": "AWSSecurityTokenServiceV20110615.AssumeRole"},
                          b'{"RoleArn": "arn:aws:iam::1:role/j"}')
    assert status == 400 and "InvalidAction" in body
    assert req(fake, "/service/sts/operation/AssumeRole", "POST", data=b"\xa0")[0] == 404
    err = capfd.readouterr().err
    assert "UNRECOGNISED POST /" in err and "AWSSecurityTokenServiceV20110615.AssumeRole" in err
    assert "UNRECOGNISED POST /service/sts/operation/AssumeRole" in err
    assert [c["service"] for c in fake.calls()] == ["sts", "unknown"]


def _spawn(stdin):
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "fakeaws.py"), "--port", "0"],
                         stdin=stdin, stdout=subprocess.PIPE, text=True)
    info = json.loads(p.stdout.readline())
    assert info["url"] == f"http://127.0.0.1:{info['port']}"
    return p, info


def test_cli_exits_on_stdin_eof():
    p, info = _spawn(subprocess.PIPE)
    with OPENER.open(info["url"] + "/_fake/counts", timeout=5) as r:
        assert json.loads(r.read()) == {}
    p.stdin.close()
    assert p.wait(timeout=5) == 0
    p.stdout.close()


def test_cli_with_devnull_stdin_runs_until_sigterm():
    p, _ = _spawn(subprocess.DEVNULL)
    time.sleep(1)
    assert p.poll() is None  # /dev/null's instant EOF must not stop it
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=5) == 0
    p.stdout.close()


def test_node_helper():
    r = subprocess.run(["node", "--test", os.path.join(HERE, "test_fakeaws_node.js")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
