"""iamdb validator: checks one AWS IAM database auth token the way RDS does.

Run by pam_iamdb.so as `/usr/bin/python3 -IS validator.py <config> <server>`:
the token arrives on stdin, the login user in $PAM_USER. Exit 0 accepts.
Python 3 stdlib only. Logs one JSON line per attempt, never the token,
the signature or a secret.
"""
import datetime
import hashlib
import hmac
import json
import os
import sys
import urllib.parse

MAX_EXPIRES = 900
FUTURE_SKEW = 300
REQUIRED = ("Action", "DBUser", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
            "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")


class Reject(Exception):
    def __init__(self, reason, detail=None):
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def enc(s):
    return urllib.parse.quote(s, safe="-_.~")


def parse_query(query):
    """The query's parameters, decoded; raise Reject('malformed') on a bad or repeated one."""
    params = {}
    for pair in query.split("&"):
        key, eq, value = pair.partition("=")
        key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
        if not eq or key in params:
            raise Reject("malformed", "bad or repeated query parameter")
        params[key] = value
    return params


def connect_params(query, required):
    """The parameters of an `Action=connect` token's query (RDS, ElastiCache, MemoryDB): all of
    `required` present, SigV4 with only `host` signed; raise Reject('malformed')."""
    params = parse_query(query)
    missing = [k for k in required if k not in params]
    if missing:
        raise Reject("malformed", "missing " + ",".join(missing))
    if params["Action"] != "connect" or params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
        raise Reject("malformed", "wrong Action or X-Amz-Algorithm")
    if params["X-Amz-SignedHeaders"] != "host":
        raise Reject("malformed", "signed headers must be 'host'")
    return params


def parse(token):
    """Split a token into (host, port, params); raise Reject('malformed')."""
    if "://" in token:
        raise Reject("malformed", "token must not carry a scheme")
    endpoint, sep, query = token.partition("/?")
    host, _, port = endpoint.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise Reject("malformed", "expected <host>:<port>/?<query>")
    params = connect_params(query, REQUIRED)
    return host, int(port), params


def sigv4(secret, host_header, params, date, region, service):
    """The SigV4 query signature of GET / with only `host` signed and an empty payload."""
    query = "&".join(sorted(f"{enc(k)}={enc(v)}" for k, v in params.items()
                            if k != "X-Amz-Signature"))
    canonical = "\n".join(["GET", "/", query, f"host:{host_header}", "", "host",
                           hashlib.sha256(b"").hexdigest()])
    scope = f"{date[:8]}/{region}/{service}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in (date[:8], region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def check_signed(p, config, entry, services, host_header):
    """What every token kind shares, in RDS's order: the credential scope names one of
    `services`, a known key (and its session token), an allowed region, a well-formed date, and
    the signature over `host_header`. Returns (service, signed_at, expires)."""
    cred = p["X-Amz-Credential"].split("/")
    if len(cred) != 5 or cred[3] not in services or cred[4] != "aws4_request":
        raise Reject("malformed", "bad credential scope")
    akid, cdate, region, service = cred[0], cred[1], cred[2], cred[3]
    entry["access_key_id"] = akid
    key = next((k for k in config.get("keys", []) if k["access_key_id"] == akid), None)
    if key is None:
        raise Reject("unknown_key")
    want_st, got_st = key.get("session_token"), p.get("X-Amz-Security-Token")
    if want_st and got_st is None:
        raise Reject("session_token_missing")
    if (want_st or None) != got_st:
        raise Reject("session_token_mismatch")
    if region not in config.get("regions", ["us-east-1"]):
        raise Reject("region_not_allowed", region)
    try:
        signed_at = datetime.datetime.strptime(p["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
        expires = int(p["X-Amz-Expires"])
    except ValueError:
        raise Reject("malformed", "bad X-Amz-Date or X-Amz-Expires") from None
    if cdate != p["X-Amz-Date"][:8]:
        raise Reject("malformed", "credential date differs from X-Amz-Date")
    good = sigv4(key["secret_access_key"], host_header, p, p["X-Amz-Date"], region, service)
    if not hmac.compare_digest(good, p["X-Amz-Signature"].lower()):
        raise Reject("bad_signature")
    return service, signed_at, expires


def check_age(now, signed_at, expires, max_expires, config, entry):
    """The token's lifetime is at most `max_expires`, it is not from the future, and it is no
    older than its lifetime or iamdb's max-age knob."""
    age = (now - signed_at).total_seconds()
    entry["token_age_s"] = round(age, 1)
    if expires < 1 or expires > max_expires:
        raise Reject("bad_expires", str(expires))
    if age < -FUTURE_SKEW:
        raise Reject("future_dated")
    if age > min(expires, int(config.get("max_age", MAX_EXPIRES))):
        raise Reject("expired")


def check(token, user, config, server, now, entry):
    if is_dsql(token):
        return check_dsql(token, user, config, server, now, entry)
    host, port, p = parse(token)
    entry["endpoint"] = f"{host}:{port}"
    host_header = host.lower() if port == 443 else f"{host.lower()}:{port}"
    _, signed_at, expires = check_signed(p, config, entry, ("rds-db",), host_header)
    endpoints = [e.lower() for e in config["servers"][server]["endpoints"]]
    if f"{host}:{port}".lower() not in endpoints:
        raise Reject("unknown_endpoint", f"{host}:{port}")
    if p["DBUser"] != user:
        raise Reject("user_mismatch", "token DBUser differs from the login user")
    check_age(now, signed_at, expires, MAX_EXPIRES, config, entry)


# --- Aurora DSQL tokens -------------------------------------------------------------------
# `<host>/?Action=DbConnect|DbConnectAdmin&X-Amz-…`: service `dsql`, no DBUser, no port; the
# role `admin` logs in with DbConnectAdmin only, every other role with DbConnect only; a
# lifetime of up to a week (iamdb's max-age knob still applies).

DSQL_MAX_EXPIRES = 604800
DSQL_ACTIONS = ("DbConnect", "DbConnectAdmin")
DSQL_REQUIRED = ("Action", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                 "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")


def is_dsql(token):
    query = token.partition("/?")[2]
    return any(query.startswith(f"Action={a}&") for a in DSQL_ACTIONS)


def parse_dsql(token):
    """Split a DSQL token into (host, params); raise Reject('malformed')."""
    host, sep, query = token.partition("/?")
    if "://" in token or not sep or not host or ":" in host:
        raise Reject("malformed", "expected <host>/?<query> (a DSQL token names no port)")
    params = parse_query(query)
    missing = [k for k in DSQL_REQUIRED if k not in params]
    if missing or "DBUser" in params:
        raise Reject("malformed", "missing " + ",".join(missing) if missing else "DBUser in a DSQL token")
    if params["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256" or params["X-Amz-SignedHeaders"] != "host":
        raise Reject("malformed", "wrong X-Amz-Algorithm or signed headers")
    return host, params


def check_dsql(token, user, config, server, now, entry):
    host, p = parse_dsql(token)
    entry["endpoint"] = host
    entry["action"] = p["Action"]
    _, signed_at, expires = check_signed(p, config, entry, ("dsql",), host.lower())
    hosts = [h.lower() for h in config["servers"][server].get("dsql_hosts", [])]
    if host.lower() not in hosts:
        raise Reject("unknown_endpoint", host)
    if (p["Action"] == "DbConnectAdmin") != (user == "admin"):
        raise Reject("action_mismatch", f"{p['Action']} for role {user!r}")
    check_age(now, signed_at, expires, DSQL_MAX_EXPIRES, config, entry)


# --- ElastiCache / MemoryDB tokens (checked by cache_front.py, not by PAM) ---------------------
# A cache token is `<cache name>/?Action=connect&User=<user>[&ResourceType=ServerlessCache]&X-Amz-…`:
# no port, the name lower-case, service `elasticache` or `memorydb`. `config["cache"]["names"]`
# maps each cache name to its flavour, which decides the service and whether `ResourceType` is due.
CACHE_REQUIRED = ("Action", "User", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",
                  "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature")
CACHE_FLAVOURS = {"elasticache": "elasticache", "elasticache-serverless": "elasticache",
                  "memorydb": "memorydb"}  # flavour -> signing service


def parse_cache(token):
    """Split a cache token into (name, params); raise Reject('malformed')."""
    if "://" in token:
        raise Reject("malformed", "token must not carry a scheme")
    name, sep, query = token.partition("/?")
    if not sep or not name or ":" in name:
        raise Reject("malformed", "expected <cache name>/?<query> (no port)")
    params = connect_params(query, CACHE_REQUIRED)
    return name, params


def check_cache(token, user, config, now, entry):
    """Check an `AUTH <user> <token>` the way ElastiCache / MemoryDB do; return the flavour.
    Reasons beyond the database ones: `wrong_service` (signed for the other service),
    `resource_type_missing` (a serverless cache without ResourceType=ServerlessCache),
    `resource_type_unexpected` (ResourceType on a node-based cache or MemoryDB)."""
    name, p = parse_cache(token)
    entry["endpoint"] = name
    services = ("elasticache", "memorydb")
    service, signed_at, expires = check_signed(p, config, entry, services, name.lower())
    flavour = config.get("cache", {}).get("names", {}).get(name)  # exact: names are lower-case
    if flavour is None:
        raise Reject("unknown_endpoint", name)
    entry["kind"] = flavour
    if CACHE_FLAVOURS[flavour] != service:
        raise Reject("wrong_service", f"{service} token for a {flavour} cache")
    resource_type = p.get("ResourceType")
    if flavour == "elasticache-serverless" and resource_type != "ServerlessCache":
        raise Reject("resource_type_missing")
    if flavour != "elasticache-serverless" and resource_type is not None:
        raise Reject("resource_type_unexpected", resource_type)
    if p["User"] != user:
        raise Reject("user_mismatch", "token User differs from the AUTH user")
    check_age(now, signed_at, expires, MAX_EXPIRES, config, entry)
    return flavour


def main(argv):
    config_path, server = argv[1], argv[2]
    token = sys.stdin.buffer.read().decode("utf-8", "replace").strip("\r\n\0")
    user = os.environ.get("PAM_USER", "")
    now = datetime.datetime.now(datetime.timezone.utc)
    entry = {"time": now.isoformat(timespec="milliseconds"), "server": server, "user": user,
             "access_key_id": None, "outcome": "reject", "reason": None,
             "token_len": len(token)}
    with open(config_path, encoding="utf-8") as f:
        config = json.load(f)
    try:
        check(token, user, config, server, now, entry)
        entry["outcome"] = "accept"
    except Reject as r:
        entry["reason"] = r.reason
        if r.detail:
            entry["detail"] = r.detail
    except Exception as e:  # noqa: BLE001 - any surprise is a logged rejection
        entry["reason"], entry["detail"] = "error", type(e).__name__
    line = json.dumps(entry, sort_keys=True) + "\n"
    fd = os.open(config["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return 0 if entry["outcome"] == "accept" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
