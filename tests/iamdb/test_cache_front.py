"""iamdb's cache front checks ElastiCache / MemoryDB tokens: botocore tokens, redis-py, the log."""
import datetime
import socket
import ssl
import time

import freezegun
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import validator

FLAVOURS = [("cache_name", "elasticache", False), ("cache_serverless_name", "elasticache", True),
            ("memorydb_name", "memorydb", False)]


def cache_token(db, name, *, service="elasticache", serverless=False, user=None, key=None,
                secret=None, age=None):
    """The AWS Python sample's construction: SigV4QueryAuth over GET https://<name>/?..."""
    query = f"Action=connect&User={user or db.cache_user}"
    if serverless:
        query += "&ResourceType=ServerlessCache"
    creds = Credentials(key or db.access_key_id, secret or db.secret_access_key)

    def make():
        req = AWSRequest("GET", f"https://{name}/?{query}")
        SigV4QueryAuth(creds, service, db.region, expires=900).add_auth(req)
        return req.url.removeprefix("https://")

    if age is None:
        return make()
    with freezegun.freeze_time(datetime.datetime.now(datetime.timezone.utc) - age):
        return make()


def client(db, password, user=None, protocol=3):
    return redis.Redis(host=db.host, port=db.cache_port, username=user or db.cache_user,
                       password=password, ssl=True, ssl_ca_certs=db.ca_file, protocol=protocol,
                       retry=Retry(NoBackoff(), 0), socket_timeout=10)


def attempt(db, password, **kw):
    """Log in and SET/GET; return (value or exception, [(outcome, reason)] logged)."""
    mark = db.mark()
    try:
        with client(db, password, **kw) as c:
            c.set("front-test", "ok")
            result = c.get("front-test")
    except redis.exceptions.RedisError as e:
        result = e
    return result, [(e["outcome"], e["reason"]) for e in db.log_since(mark)
                    if e["server"] == "cache"]


def test_published_serverless_vector():
    """An independent Java signer's published check: our validator's SigV4 agrees with it."""
    params = {"Action": "connect", "User": "user123", "ResourceType": "ServerlessCache",
              "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
              "X-Amz-Credential": "accessKey/20240802/eu-west-1/elasticache/aws4_request",
              "X-Amz-Date": "20240802T121150Z", "X-Amz-Expires": "900",
              "X-Amz-SignedHeaders": "host"}
    got = validator.sigv4("secretKey", "my-cache", params, "20240802T121150Z",
                          "eu-west-1", "elasticache")
    assert got == "5dda5db919b1337db6596b2a608924bc10197fb39289b933b60bdb114d5a70dc"


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("attr,service,serverless", FLAVOURS)
def test_each_flavour_logs_in(iamdb, attr, service, serverless, protocol):
    name = getattr(iamdb, attr)
    token = cache_token(iamdb, name, service=service, serverless=serverless)
    result, log = attempt(iamdb, token, protocol=protocol)
    assert result == b"ok"
    assert log == [("accept", None)]


@pytest.mark.parametrize("make,reason", [
    (lambda db: cache_token(db, db.cache_serverless_name), "resource_type_missing"),
    (lambda db: cache_token(db, db.cache_name, serverless=True), "resource_type_unexpected"),
    (lambda db: cache_token(db, db.cache_name, service="memorydb"), "wrong_service"),
    (lambda db: cache_token(db, db.memorydb_name), "wrong_service"),
    (lambda db: cache_token(db, db.cache_name.upper()), "unknown_endpoint"),
    (lambda db: cache_token(db, "some-other-cache"), "unknown_endpoint"),
    (lambda db: cache_token(db, db.cache_name, user="someone_else"), "user_mismatch"),
    (lambda db: cache_token(db, db.cache_name, secret="wrong-secret"), "bad_signature"),
    (lambda db: cache_token(db, db.cache_name, key="AKIAUNKNOWN000000001"), "unknown_key"),
    (lambda db: cache_token(db, db.cache_name, age=datetime.timedelta(minutes=16)), "expired"),
    (lambda db: "iamdb-cache:6379/?Action=connect&User=iam_user", "malformed"),
    (lambda db: "not-a-token", "malformed"),
])
def test_bad_tokens_refused_with_reason(iamdb, make, reason):
    result, log = attempt(iamdb, make(iamdb))
    assert isinstance(result, redis.exceptions.AuthenticationError), result
    assert log == [("reject", reason)]


def test_auth_without_user_is_refused(iamdb):
    token = cache_token(iamdb, iamdb.cache_name)
    mark = iamdb.mark()
    with pytest.raises(redis.exceptions.AuthenticationError):
        with redis.Redis(host=iamdb.host, port=iamdb.cache_port, password=token, ssl=True,
                         ssl_ca_certs=iamdb.ca_file, protocol=2, retry=Retry(NoBackoff(), 0)) as c:
            c.ping()
    assert [(e["outcome"], e["reason"]) for e in iamdb.log_since(mark)] == [("reject", "no_user")]


def test_no_auth_no_commands(iamdb):
    with redis.Redis(host=iamdb.host, port=iamdb.cache_port, ssl=True, ssl_ca_certs=iamdb.ca_file,
                     protocol=2, retry=Retry(NoBackoff(), 0)) as c:
        with pytest.raises(redis.exceptions.AuthenticationError):
            c.ping()


def test_pipelined_bad_auth_keeps_replies_in_order(iamdb):
    """A refused AUTH is answered in its place among pipelined commands."""
    good = cache_token(iamdb, iamdb.cache_name).encode()
    ctx = ssl.create_default_context(cafile=iamdb.ca_file)

    def cmd(*args):
        return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)

    with socket.create_connection((iamdb.host, iamdb.cache_port), timeout=10) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
        s.sendall(cmd(b"AUTH", b"iam_user", b"bad") + cmd(b"AUTH", b"iam_user", good)
                  + cmd(b"PING"))
        want = (b"-WRONGPASS", b"+OK\r\n", b"+PONG\r\n")
        got = b""
        while got.count(b"\r\n") < 3:
            got += s.recv(4096)
    lines = got.split(b"\r\n")
    assert lines[0].startswith(want[0]) and lines[1] == b"+OK" and lines[2] == b"+PONG"


def test_connections_are_cut_after_max_connection_age_unless_reauthed(iamdb):
    """The 12-hour cut, scaled down: a connection that re-AUTHs with fresh tokens lives on; one
    logged in with a plain string is cut, and its reconnect fails once that token is too old."""
    iamdb.set_max_connection_age(0.6)
    try:
        mark = iamdb.mark()
        token = cache_token(iamdb, iamdb.cache_name)
        with client(iamdb, token) as plain, client(iamdb, token) as fresh:
            plain_id, fresh_id = plain.client_id(), fresh.client_id()
            iamdb.set_max_age(1)
            for _ in range(8):  # ~3 periods of max_connection_age
                time.sleep(0.25)
                fresh.execute_command("AUTH", iamdb.cache_user,
                                      cache_token(iamdb, iamdb.cache_name))
            assert fresh.client_id() == fresh_id  # the same connection all along
            with pytest.raises(redis.exceptions.AuthenticationError):
                plain.ping()  # cut; redis-py reconnects with the old token, now refused
            assert plain_id != fresh_id
        log = iamdb.log_since(mark)
        assert [e["reason"] for e in log if e["outcome"] == "closed"] == ["max_connection_age"]
        assert ("reject", "expired") in [(e["outcome"], e["reason"]) for e in log]
    finally:
        iamdb.set_max_connection_age(43200)
        iamdb.set_max_age(900)
