"""The AWS credential protocols fakeaws speaks, as a mixin for its request handler: what each
endpoint expects and answers, per aws-config 1.13 (AWS SDK for Rust) and botocore. The handler
(fakeaws.py) supplies record/reply/injected_failure/unrecognised and self.state."""
import base64, datetime as dt, json, re, time
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

ACCOUNT = "123456789012"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
IMDS_ROLES = "/latest/meta-data/iam/security-credentials/"
# A 200 whose body does not parse: truncated documents, the way a broken proxy would cut them.
GARBAGE = {"imds": b'{"Code": "Success", "AccessKeyId": "ASIAGARB', "ecs": b'{"AccessKeyId": "ASIAGARB',
           "sts": f'<{{action}}Response xmlns="{STS_NS}"><{{action}}Result><Cred'.encode(),
           "sso": b'{"roleCredentials": {"accessKeyId": '}
SSO_ERROR_STATUS = {"UnauthorizedException": 401, "TooManyRequestsException": 429,
                    "ResourceNotFoundException": 404, "InvalidRequestException": 400}


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")  # botocore's IMDS parser wants exactly this form


def now_utc():
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class Protocols:
    """Service endpoints; mixed into fakeaws.Handler."""

    def error(self, call, status, code, message):
        """An error answer in each service's own wire format."""
        if self.svc == "sts":
            status = int(status or (400 if code else 500))
            code = code or ("InternalFailure" if status >= 500 else "AccessDenied")
            kind = "Receiver" if status >= 500 else "Sender"
            body = (f'<ErrorResponse xmlns="{STS_NS}">\n  <Error>\n    <Type>{kind}</Type>\n'
                    f"    <Code>{escape(code)}</Code>\n    <Message>{escape(message)}</Message>\n"
                    f"  </Error>\n  <RequestId>{self.request_id()}</RequestId>\n</ErrorResponse>\n")
            return self.reply(call, status, body, "text/xml", {"x-amzn-RequestId": self.request_id()})
        if self.svc == "sso":
            status = int(status or (SSO_ERROR_STATUS.get(code, 400) if code else 500))
            code = code or ("InternalServerException" if status >= 500 else "InvalidRequestException")
            return self.reply(call, status, json.dumps({"message": message}), "application/json",
                              {"x-amzn-ErrorType": code, "x-amzn-RequestId": self.request_id()})
        status = int(status or 500)
        body = json.dumps({"code": code or "InternalError", "message": message})
        self.reply(call, status, body, "application/json" if self.svc == "ecs" else "text/plain")

    # ---- IMDS (IMDSv2 token, role name, role credentials) ------------------------------------
    def imds(self):
        c, p = self.state.cfg("imds"), self.url_path
        if p == "/latest/api/token":
            ttl = self.headers.get("x-aws-ec2-metadata-token-ttl-seconds")
            call = self.record("token", ttl=ttl)
            if self.command != "PUT":
                return self.reply(call, 405, "", "text/plain")
            if c.get("imds_token_status"):
                return self.reply(call, int(c["imds_token_status"]), "", "text/plain")
            if not (ttl or "").isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(call, 400, "", "text/plain")
            with self.state.lock:
                token = f"FAKEAWS-IMDS-TOKEN-{len(self.state.imds_tokens) + 1:06d}"
                self.state.imds_tokens.add(token)
            # aws-config rejects a token answer without this header (TokenErrorKind::NoTtl).
            return self.reply(call, 200, token, "text/plain", {"x-aws-ec2-metadata-token-ttl-seconds": ttl})
        token, role = self.headers.get("x-aws-ec2-metadata-token"), c.get("role_name", "fakeaws-instance-role")
        if p == IMDS_ROLES:
            action = "role"
        elif p.startswith(IMDS_ROLES):
            action = "credentials"
        elif p.startswith("/latest/meta-data/iam/security-credentials-extended/"):
            action = "extended"  # newer SDKs try this first and fall back on 404
        elif p == "/latest/meta-data/placement/region":
            action = "region"
        else:
            return self.unrecognised("unknown", 404)
        call = self.record(action, token=token)
        with self.state.lock:
            bad_token = token is not None and token not in self.state.imds_tokens
        if self.command != "GET":
            return self.reply(call, 405, "", "text/plain")
        if bad_token or (c.get("require_token") and not token):
            return self.reply(call, 401, "", "text/plain")  # what IMDS says to a bad/missing token
        if action == "extended":
            return self.reply(call, 404, "", "text/plain")
        if action == "region":
            return self.reply(call, 200, "us-east-1", "text/plain")
        if action == "role":
            return self.reply(call, 200, role, "text/plain")
        if p[len(IMDS_ROLES):] != role:
            return self.reply(call, 404, "", "text/plain")
        if self.injected_failure(call):
            return
        creds = self.state.issue("imds", f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/i-0fa4e00000000001")
        call["issued_access_key_id"] = creds["AccessKeyId"]
        body = {"Code": "Success", "LastUpdated": iso(now_utc()), "Type": "AWS-HMAC",
                "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                "Token": creds["SessionToken"], "Expiration": iso(self.state.expiration("imds"))}
        self.reply(call, 200, json.dumps(body, indent=2), "text/plain")  # IMDS really says text/plain

    # ---- ECS / EKS Pod Identity container credentials ---------------------------------------
    def ecs(self):
        c, auth = self.state.cfg("ecs"), self.headers.get("Authorization")
        call = self.record("credentials", authorization=auth)
        if c.get("require_auth") and auth != c["require_auth"]:
            return self.error(call, 401, "AccessDeniedException", "Authorization token mismatch")
        if self.injected_failure(call):
            return
        creds = self.state.issue("ecs", f"arn:aws:sts::{ACCOUNT}:assumed-role/fakeaws-task-role/fa4e0001")
        call["issued_access_key_id"] = creds["AccessKeyId"]
        body = {"RoleArn": f"arn:aws:iam::{ACCOUNT}:role/fakeaws-task-role", "AccountId": ACCOUNT,
                "AccessKeyId": creds["AccessKeyId"], "SecretAccessKey": creds["SecretAccessKey"],
                "Token": creds["SessionToken"], "Expiration": iso(self.state.expiration("ecs"))}
        self.reply(call, 200, json.dumps(body, indent=2))

    # ---- STS (awsQuery: form-encoded POST, XML answer) ---------------------------------------
    def sts(self):
        params = dict(self.query)
        if "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            params.update({k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()})
        action = params.get("Action")
        if action not in ("AssumeRole", "AssumeRoleWithWebIdentity", "GetCallerIdentity"):
            return self.unrecognised(action or "unknown", 400)
        m = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", self.headers.get("Authorization", ""))
        caller = m.group(1) if m else None
        call = self.record(action, role_arn=params.get("RoleArn"), role_session_name=params.get("RoleSessionName"),
                           external_id=params.get("ExternalId"), web_identity_token=params.get("WebIdentityToken"),
                           duration_seconds=params.get("DurationSeconds"), caller_access_key_id=caller,
                           region=m.group(2) if m else None, params=params)
        if action != "AssumeRoleWithWebIdentity" and not caller:  # real STS refuses unsigned calls
            return self.error(call, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
        if self.injected_failure(call):
            return
        if action == "GetCallerIdentity":
            arn = self.state.identities.get(caller) or f"arn:aws:iam::{ACCOUNT}:user/fakeaws-user"
            uid = f"AROAFAKEAWS0000000001:{arn.rsplit('/', 1)[1]}" if ":assumed-role/" in arn else "AIDAFAKEAWS0000000001"
            inner = f"    <Arn>{escape(arn)}</Arn>\n    <UserId>{escape(uid)}</UserId>\n    <Account>{ACCOUNT}</Account>\n"
            return self.reply(call, 200, self.sts_doc(action, inner), "text/xml")
        missing = [k for k in ("RoleArn", "RoleSessionName") + (("WebIdentityToken",) if "Web" in action else ())
                   if not params.get(k)]
        if missing:
            return self.error(call, 400, "ValidationError", f"missing required parameter {missing[0]}")
        role, session = params["RoleArn"].rsplit("/", 1)[-1], params["RoleSessionName"]
        arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}"
        creds = self.state.issue("webid" if "Web" in action else "assumed", arn)
        call["issued_access_key_id"] = creds["AccessKeyId"]
        exp = iso(self.state.expiration("sts", params.get("DurationSeconds")))
        inner = "    <Credentials>\n" + "".join(f"      <{k}>{escape(v)}</{k}>\n" for k, v in creds.items())
        inner += (f"      <Expiration>{exp}</Expiration>\n    </Credentials>\n    <AssumedRoleUser>\n"
                  f"      <AssumedRoleId>AROAFAKEAWS0000000001:{escape(session)}</AssumedRoleId>\n"
                  f"      <Arn>{escape(arn)}</Arn>\n    </AssumedRoleUser>\n")
        if "Web" in action:
            inner += ("    <SubjectFromWebIdentityToken>fakeaws-subject</SubjectFromWebIdentityToken>\n"
                      "    <Audience>sts.amazonaws.com</Audience>\n    <Provider>fakeaws-oidc</Provider>\n")
        self.reply(call, 200, self.sts_doc(action, inner), "text/xml")

    def sts_doc(self, action, inner):
        return (f'<{action}Response xmlns="{STS_NS}">\n  <{action}Result>\n{inner}  </{action}Result>\n'
                f"  <ResponseMetadata>\n    <RequestId>{self.request_id()}</RequestId>\n"
                f"  </ResponseMetadata>\n</{action}Response>\n")

    # ---- OIDC issuer (what STS fetches to verify a web identity token) -----------------------
    def oidc(self):
        """`/oidc` is an issuer: its discovery document and JWKS, with switches for the causes STS
        names for "Couldn't retrieve verification key": slow (delay_ms, or jwks_delay_ms for the JWKS only), not 200 (discovery_status,
        jwks_status), not cacheable (no_cache: Cache-Control and Pragma no-cache on the JWKS)."""
        c, p = self.state.cfg("oidc"), self.url_path
        issuer = f"http://127.0.0.1:{self.server.server_address[1]}/oidc"
        if p == "/oidc/.well-known/openid-configuration":
            call = self.record("discovery")
            if c.get("discovery_status"):
                return self.reply(call, int(c["discovery_status"]), json.dumps({"message": "not found"}))
            body = {"issuer": issuer, "jwks_uri": issuer + "/keys", "response_types_supported": ["id_token"],
                    "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]}
            return self.reply(call, 200, json.dumps(body))
        if p == "/oidc/keys":
            call = self.record("jwks")
            if c.get("jwks_delay_ms"):
                self.state.stop_event.wait(float(c["jwks_delay_ms"]) / 1000)
            if c.get("jwks_status"):
                return self.reply(call, int(c["jwks_status"]), json.dumps({"message": "not found"}))
            headers = {"Cache-Control": "no-cache", "Pragma": "no-cache"} if c.get("no_cache") else \
                {"Cache-Control": "max-age=3600"}
            key = {"kty": "RSA", "kid": "fakeaws-oidc-key", "use": "sig", "alg": "RS256", "e": "AQAB",
                   "n": base64.urlsafe_b64encode(b"\xc3" * 256).rstrip(b"=").decode()}
            return self.reply(call, 200, json.dumps({"keys": [key]}), "application/json", headers)
        self.unrecognised("unknown", 404)

    def jwt(self, claims):
        """A JWT for this issuer (EKS-shaped claims unless given; `exp` relative in seconds)."""
        now = int(time.time())
        base = {"iss": f"http://127.0.0.1:{self.server.server_address[1]}/oidc", "aud": ["sts.amazonaws.com"],
                "sub": "system:serviceaccount:default:app", "iat": now, "nbf": now}
        claims = {**base, **claims, "exp": now + int(claims.get("exp", 3600))}
        part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
        return f'{part({"alg": "RS256", "kid": "fakeaws-oidc-key"})}.{part(claims)}.ZmFrZWF3cy1zaWduYXR1cmU'

    # ---- SSO portal GetRoleCredentials (restJson) --------------------------------------------
    def sso(self):
        role, account = self.query.get("role_name"), self.query.get("account_id")
        bearer = self.headers.get("x-amz-sso_bearer_token")
        call = self.record("GetRoleCredentials", role_name=role, account_id=account, bearer_token=bearer)
        if not bearer:
            return self.error(call, 401, "UnauthorizedException", "Session token not found or invalid")
        if not role or not account:
            return self.error(call, 400, "InvalidRequestException", "role_name and account_id are required")
        if self.injected_failure(call):
            return
        creds = self.state.issue("sso", f"arn:aws:sts::{account}:assumed-role/AWSReservedSSO_{role}_fa4e/fakeaws-sso-user")
        call["issued_access_key_id"] = creds["AccessKeyId"]
        exp_ms = int(self.state.expiration("sso").timestamp() * 1000)  # SSO speaks epoch millis
        body = {"roleCredentials": {"accessKeyId": creds["AccessKeyId"], "secretAccessKey": creds["SecretAccessKey"],
                                    "sessionToken": creds["SessionToken"], "expiration": exp_ms}}
        self.reply(call, 200, json.dumps(body), "application/json", {"x-amzn-RequestId": self.request_id()})
