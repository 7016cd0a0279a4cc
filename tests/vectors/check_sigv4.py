#!/usr/bin/env python3
"""Independent, stdlib-only re-derivation of every token in rds.json / dsql.json / cache.json.

    python3 tests/vectors/check_sigv4.py [file.json ...]

For each case it rebuilds the SigV4 query presign from the case's *inputs*
(not from the token text) and checks that

  1. the recomputed signature equals the X-Amz-Signature in ``token``;
  2. the whole token equals the string rebuilt in botocore's output order.

The rules this encodes (they are what every implementation must match):

* The token is the presigned URL ``https://<host>[:<port>]/?<query>`` with
  ``https://`` stripped. The token text keeps the host exactly as given
  (case preserved) and, for RDS, always carries ``:<port>`` -- even 443.
  DSQL tokens have no port.
* Canonical request (method GET, path ``/``, signed headers ``host`` only,
  payload hash = SHA-256 of the empty string)::

      GET
      /
      <canonical query>
      host:<canonical host>

      host
      e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

* Canonical host = the host LOWER-CASED, followed by ``:<port>`` unless the
  port is 443 (the https default). DSQL: lower-cased host, no port.
* Canonical query = every parameter except X-Amz-Signature (Action,
  DBUser for RDS, X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
  X-Amz-Expires, X-Amz-SignedHeaders, and X-Amz-Security-Token when a
  session token is present), keys and values RFC 3986-encoded (UTF-8; only
  ``A-Z a-z 0-9 - _ . ~`` left bare; space -> %20), sorted by encoded key,
  joined with ``&``.
* Credential scope ``<yyyymmdd>/<region>/<service>/aws4_request`` with
  service ``rds-db`` (Action=connect) or ``dsql`` (Action=DbConnect /
  DbConnectAdmin); X-Amz-Date ``yyyymmddThhmmssZ``.
* String to sign ``AWS4-HMAC-SHA256\\n<date>\\n<scope>\\n<hex sha256(canonical request)>``;
  key = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
* Output order (botocore): Action, DBUser, X-Amz-Algorithm,
  X-Amz-Credential, X-Amz-Date, X-Amz-Expires, X-Amz-SignedHeaders,
  X-Amz-Security-Token (if any), X-Amz-Signature -- i.e. the security token
  is NOT in sorted position in the text (it sorts before SignedHeaders when
  signing).
"""

import datetime
import hashlib
import hmac
import json
import os
import re
import sys
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()

SERVICE = {"rds": "rds-db", "dsql_connect": "dsql", "dsql_admin": "dsql",
           "elasticache": "elasticache",
           "elasticache-serverless": "elasticache", "memorydb": "memorydb"}
ACTION = {"rds": "connect", "dsql_connect": "DbConnect",
          "dsql_admin": "DbConnectAdmin", "elasticache": "connect",
          "elasticache-serverless": "connect", "memorydb": "connect"}

# Cache tokens name the cache, not the host: the name inside each endpoint form.
CACHE_FORMS = {
    "elasticache": r"[^.]+\.([^.]+)\.[^.]+\.[^.]+\.cache\.amazonaws\.com(?:\.cn)?",
    "elasticache-serverless":
        r"(.+)-[^-.]+\.serverless\.[^.]+\.cache\.amazonaws\.com(?:\.cn)?",
    "memorydb": r"[^.]+\.([^.]+)\.[^.]+\.memorydb\.[^.]+\.amazonaws\.com(?:\.cn)?",
}


def cache_name(kind, host):
    """The name a cache token signs: ElastiCache lower-cases it, MemoryDB keeps it."""
    m = re.fullmatch(CACHE_FORMS[kind], host, re.IGNORECASE)
    name = m.group(1) if m else host
    assert "." not in name, (kind, host)
    return name if kind == "memorydb" else name.lower()


def enc(s):
    return quote(str(s).encode("utf-8"), safe="-_.~")


def hmac256(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def derive(c):
    """Return (expected_signature, expected_token) from the case inputs."""
    kind = c["kind"]
    service = SERVICE[kind]
    t = datetime.datetime.strptime(c["time"], "%Y-%m-%dT%H:%M:%SZ")
    amz_date = t.strftime("%Y%m%dT%H%M%SZ")
    day = t.strftime("%Y%m%d")
    scope = f"{day}/{c['region']}/{service}/aws4_request"

    host = c["host"]
    if kind == "rds":
        port = c["port"]
        canonical_host = host.lower() if port == 443 else f"{host.lower()}:{port}"
        text_host = f"{host}:{port}"
    elif kind in CACHE_FORMS:
        assert c.get("port") is None and c.get("user"), c["name"]
        text_host = cache_name(kind, host)
        canonical_host = text_host.lower()
    else:
        assert c.get("port") is None and c.get("user") is None, c["name"]
        canonical_host = host.lower()
        text_host = host

    params = [("Action", ACTION[kind])]
    if kind == "rds":
        params.append(("DBUser", c["user"]))
    elif kind in CACHE_FORMS:
        # The AWS sample's order; SigV4 sorts ResourceType before User itself.
        params.append(("User", c["user"]))
        if kind == "elasticache-serverless":
            params.append(("ResourceType", "ServerlessCache"))
    params += [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        ("X-Amz-Credential", f"{c['access_key_id']}/{scope}"),
        ("X-Amz-Date", amz_date),
        ("X-Amz-Expires", str(c["expires_in"])),
        ("X-Amz-SignedHeaders", "host"),
    ]
    if c["session_token"] is not None:
        params.append(("X-Amz-Security-Token", c["session_token"]))
    encoded = [(enc(k), enc(v)) for k, v in params]

    canonical_query = "&".join(f"{k}={v}" for k, v in sorted(encoded))
    canonical_request = "\n".join([
        "GET", "/", canonical_query,
        f"host:{canonical_host}", "",   # canonical headers block ends with \n
        "host", EMPTY_SHA256,
    ])
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope,
        hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
    ])
    key = ("AWS4" + c["secret_access_key"]).encode("utf-8")
    for part in (day, c["region"], service, "aws4_request"):
        key = hmac256(key, part)
    signature = hmac.new(key, string_to_sign.encode("utf-8"),
                         hashlib.sha256).hexdigest()

    query_text = "&".join(f"{k}={v}" for k, v in encoded)  # botocore order
    token = f"{text_host}/?{query_text}&X-Amz-Signature={signature}"
    return signature, token


def signature_in(token):
    sigs = [p.split("=", 1)[1] for p in token.split("?", 1)[1].split("&")
            if p.startswith("X-Amz-Signature=")]
    return sigs[0] if len(sigs) == 1 else None


REQUIRED = ["name", "source", "kind", "host", "port", "user", "region",
            "access_key_id", "secret_access_key", "session_token", "time",
            "expires_in", "token"]


def check_file(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    assert set(doc) == {"description", "cases"}, path
    failures = 0
    names = set()
    for c in doc["cases"]:
        problems = []
        if set(c) != set(REQUIRED):
            problems.append(f"keys {sorted(c)}")
        if c["name"] in names:
            problems.append("duplicate name")
        names.add(c["name"])
        sig, token = derive(c)
        if signature_in(c["token"]) != sig:
            problems.append(f"signature: token has {signature_in(c['token'])},"
                            f" recomputed {sig}")
        if c["token"] != token:
            problems.append(f"token text differs:\n    file:    {c['token']}\n"
                            f"    rebuilt: {token}")
        if problems:
            failures += 1
            print(f"FAIL {os.path.basename(path)}:{c['name']}: "
                  + "; ".join(problems))
    print(f"{os.path.relpath(path)}: {len(doc['cases']) - failures}/"
          f"{len(doc['cases'])} cases OK")
    return failures


def main(argv):
    paths = argv or [os.path.join(HERE, name)
                     for name in ("rds.json", "dsql.json", "cache.json")]
    failures = sum(check_file(p) for p in paths)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
