"""The parity table: credential scenarios, each with botocore's recorded answer.

Every scenario is a fresh HOME with real `~/.aws/config` / `~/.aws/credentials` files (and any
other file it lists), an environment, and fakeaws (STS / SSO / IMDS / ECS) over http, or over
TLS with a private CA. `botocore` is what botocore (the oracle, pinned in tests/requirements.txt)
resolves: an access key id, or `!` + the class of the exception it raises (`!None`: no
credentials at all). `check_table()` re-runs botocore and fails when a recorded answer is stale.

rds-iam (Rust CLI, Python, Node) must give the same access key id, or fail with the code that
matches botocore's exception (FAILURE_CODES). Where we differ on purpose, `rdsiam` holds our
answer and `why` says why.

Placeholders in files and env: {home} the scenario's HOME, {url} fakeaws over http, {tls_url}
fakeaws over TLS, {ca} the private CA's PEM, {proxy} a forwarding proxy, {dead} a closed port,
{py} the Python running the harness.
"""

# `headline`: what the first line of rds-iam's error message must contain (every entry point).
# `proxied`: the forwarding proxy must carry the scenario's calls (checked for botocore and the
# CLI, which run one scenario at a time).

# botocore's exception class -> the rds-iam error code that matches it.
FAILURE_CODES = {
    "None": "NoCredentials",  # botocore: get_credentials() is None (NoCredentialsError on use)
    "ProfileNotFound": "NoCredentials",
    "PartialCredentialsError": "NoCredentials",
    "InfiniteLoopConfigError": "ProviderError",
    "InvalidConfigError": "ProviderError",
    "CredentialRetrievalError": "ProviderError",
    "ClientError": "ProviderError",
    "SSLError": "ProviderError",
    "UnauthorizedSSOTokenError": "ProviderError",
    "SSOTokenLoadError": "ProviderError",
    "TokenRetrievalError": "ProviderError",
    "EndpointConnectionError": "ProviderError",
}

K = {  # access key ids in the files and env (20 characters, like AWS's)
    "env": "AKIAENV0000000000001",
    "default": "AKIADEFAULT000000001",
    "dev": "AKIADEV0000000000001",
    "other": "AKIAOTHER00000000001",
    "base": "AKIABASE000000000001",
    "cfg": "AKIACONFIG0000000001",
    "alt": "AKIAALTFILE000000001",
    "proc": "AKIAPROCESS000000001",
}
ASSUMED, WEBID, SSO = "ASIAASSUMED000000001", "ASIAWEBID00000000001", "ASIASSO0000000000001"
IMDS, ECS = "ASIAIMDS000000000001", "ASIAECS0000000000001"
ROLE = "arn:aws:iam::123456789012:role/parity"
ROLE2 = "arn:aws:iam::123456789012:role/parity-outer"


def keys(name, key=None):
    return f"aws_access_key_id = {key or K[name]}\naws_secret_access_key = parity-{name}-secret\n"


def env_keys(name="env"):
    return {"AWS_ACCESS_KEY_ID": K[name], "AWS_SECRET_ACCESS_KEY": f"parity-{name}-secret"}


def process_script(key, expiration=True):
    body = {"Version": 1, "AccessKeyId": key, "SecretAccessKey": "parity-process-secret"}
    if expiration:
        body["SessionToken"] = "parity-process-session"
        body["Expiration"] = "2099-01-01T00:00:00Z"
    import json

    return "#!/bin/sh\necho '" + json.dumps(body) + "'\n"


def sso_cache(start_url, expires="2099-01-01T00:00:00Z", session=None):
    """An SSO token cache file name and body (sha1 of the session name, else of the start URL)."""
    import hashlib
    import json

    name = hashlib.sha1((session or start_url).encode()).hexdigest()
    body = {"startUrl": start_url, "region": "us-east-1", "accessToken": "parity-sso-access-token",
            "expiresAt": expires}
    return f".aws/sso/cache/{name}.json", json.dumps(body)


SSO_SESSION = ("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
               "sso_region = us-east-1\nsso_registration_scopes = sso:account:access\n")
SSO_PROFILE = "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Parity\n"
ROLE_ON_BASE = f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n"
BASE_KEYS = "[base]\n" + keys("base")
WEBID_TOKEN = {"token.jwt": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJwYXJpdHkifQ."}


def S(name, botocore, config=None, credentials=None, env=None, files=None, fake=None, imds=False,
      rdsiam=None, why=None, ecs=False, profile=None, proxied=False, headline=None):
    return {"name": name, "profile": profile, "proxied": proxied, "headline": headline, "config": config, "credentials": credentials, "env": env or {},
            "files": files or {}, "fake": fake or {}, "imds": imds, "ecs": ecs,
            "botocore": botocore, "rdsiam": rdsiam, "why": why}


SCENARIOS = [
    # --- precedence: env, AWS_PROFILE, AWS_DEFAULT_PROFILE, [default] ---------------------------
    S("env keys", K["env"], env=env_keys()),
    S("env keys win over AWS_PROFILE", K["env"], credentials="[dev]\n" + keys("dev"),
      env={**env_keys(), "AWS_PROFILE": "dev"}),
    S("env keys win over [default]", K["env"], credentials="[default]\n" + keys("default"),
      env=env_keys()),
    S("env keys with a session token", K["env"],
      env={**env_keys(), "AWS_SESSION_TOKEN": "parity-env-session"}),
    S("[default] in credentials", K["default"], credentials="[default]\n" + keys("default")),
    S("[default] in config", K["cfg"], config="[default]\n" + keys("cfg")),
    S("AWS_PROFILE selects", K["dev"],
      credentials="[default]\n" + keys("default") + "[dev]\n" + keys("dev"), env={"AWS_PROFILE": "dev"}),
    S("AWS_DEFAULT_PROFILE selects", K["dev"],
      credentials="[default]\n" + keys("default") + "[dev]\n" + keys("dev"),
      env={"AWS_DEFAULT_PROFILE": "dev"}),
    S("AWS_DEFAULT_PROFILE against AWS_PROFILE", K["other"],
      credentials="[default]\n" + keys("default") + "[dev]\n" + keys("dev") + "[other]\n" + keys("other"),
      env={"AWS_PROFILE": "dev", "AWS_DEFAULT_PROFILE": "other"},
      rdsiam=K["dev"],
      why="botocore reads AWS_DEFAULT_PROFILE first; aws-config (like the other non-Python SDKs) "
          "knows only AWS_PROFILE, so it wins and AWS_DEFAULT_PROFILE fills in when it is unset "
          "(issue #18); doctor warns when both are set and differ"),
    S("AWS_DEFAULT_PROFILE with a role", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_DEFAULT_PROFILE": "app"}),
    # --- AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE -------------------------------------------
    S("AWS_SHARED_CREDENTIALS_FILE", K["alt"], credentials="[default]\n" + keys("default"),
      files={"alt/creds": "[default]\n" + keys("alt")},
      env={"AWS_SHARED_CREDENTIALS_FILE": "{home}/alt/creds"}),
    S("AWS_CONFIG_FILE", K["alt"], config="[default]\n" + keys("cfg"),
      files={"alt/config": "[default]\n" + keys("alt")}, env={"AWS_CONFIG_FILE": "{home}/alt/config"}),
    S("AWS_CONFIG_FILE with AWS_PROFILE", K["alt"],
      files={"alt/config": "[profile dev]\n" + keys("alt")},
      env={"AWS_CONFIG_FILE": "{home}/alt/config", "AWS_PROFILE": "dev"}),
    S("AWS_SHARED_CREDENTIALS_FILE missing", "!None",
      credentials="[default]\n" + keys("default"),
      env={"AWS_SHARED_CREDENTIALS_FILE": "{home}/nowhere"}),
    # --- [profile x] vs [x], keys in both files ---------------------------------------------------
    S("[profile dev] in config", K["dev"], config="[profile dev]\n" + keys("dev"),
      env={"AWS_PROFILE": "dev"}),
    S("[dev] in config is not a profile", "!ProfileNotFound", config="[dev]\n" + keys("dev"),
      env={"AWS_PROFILE": "dev"}),
    S("[profile dev] in credentials is not dev", "!ProfileNotFound",
      credentials="[profile dev]\n" + keys("dev"), env={"AWS_PROFILE": "dev"}),
    S("credentials file wins over config", K["dev"], config="[profile dev]\n" + keys("cfg"),
      credentials="[dev]\n" + keys("dev"), env={"AWS_PROFILE": "dev"}),
    S("key id and secret split over both files", "!PartialCredentialsError",
      config="[profile dev]\naws_secret_access_key = parity-dev-secret\n",
      credentials=f"[dev]\naws_access_key_id = {K['dev']}\n", env={"AWS_PROFILE": "dev"},
      rdsiam=K["dev"],
      why="aws-config merges a profile's sections from both files into one profile (as the JS v3 "
          "SDK does); botocore reads each file on its own. Kept: the merged profile is complete"),
    S("profile with a key id only", "!PartialCredentialsError",
      credentials=f"[dev]\naws_access_key_id = {K['dev']}\n", env={"AWS_PROFILE": "dev"},
      headline="profile `dev` has aws_access_key_id but no aws_secret_access_key"),
    # --- source_profile chains --------------------------------------------------------------------
    S("role on a source profile", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app"}),
    S("two role hops", "ASIAASSUMED000000002",
      config=f"[profile app]\nrole_arn = {ROLE2}\nsource_profile = mid\n"
             f"[profile mid]\nrole_arn = {ROLE}\nsource_profile = base\n",
      credentials=BASE_KEYS, env={"AWS_PROFILE": "app"}),
    S("source_profile cycle", "!InfiniteLoopConfigError",
      config=f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
             f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n",
      env={"AWS_PROFILE": "a"}),
    S("a profile that is its own source", ASSUMED,
      config=f"[profile app]\nrole_arn = {ROLE}\nsource_profile = app\n",
      credentials="[app]\n" + keys("base"), env={"AWS_PROFILE": "app"}),
    S("source_profile missing", "!InvalidConfigError",
      config=f"[profile app]\nrole_arn = {ROLE}\nsource_profile = nowhere\n", env={"AWS_PROFILE": "app"}),
    S("role_session_name", ASSUMED,
      config=ROLE_ON_BASE + "role_session_name = parity-session\n", credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app"}),
    S("external_id", ASSUMED, config=ROLE_ON_BASE + "external_id = parity-external\n",
      credentials=BASE_KEYS, env={"AWS_PROFILE": "app"}),
    S("duration_seconds", ASSUMED, config=ROLE_ON_BASE + "duration_seconds = 1800\n",
      credentials=BASE_KEYS, env={"AWS_PROFILE": "app"}),
    S("STS refuses the role", "!ClientError", config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app"}, fake={"sts": {"error_code": "AccessDenied", "status": 403}}),
    # --- credential_source ------------------------------------------------------------------------
    S("env keys come before a credential_source profile", K["env"],
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
      env={"AWS_PROFILE": "app", **env_keys()}),
    S("credential_source Environment (named profile)", ASSUMED,
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n",
      env=env_keys(), profile="app"),
    S("a named profile ignores env keys", K["dev"], credentials="[dev]\n" + keys("dev"),
      env=env_keys(), profile="dev"),
    S("a named profile that does not exist", "!ProfileNotFound",
      credentials="[default]\n" + keys("default"), profile="nope"),
    S("credential_source Environment without env keys", "!CredentialRetrievalError",
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Environment\n", profile="app"),
    S("credential_source Ec2InstanceMetadata", ASSUMED,
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Ec2InstanceMetadata\n",
      env={"AWS_PROFILE": "app"}, imds=True),
    S("credential_source EcsContainer", ASSUMED,
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n",
      env={"AWS_PROFILE": "app"}, ecs=True),
    S("credential_source and source_profile both", "!InvalidConfigError",
      config=ROLE_ON_BASE + "credential_source = Environment\n", credentials=BASE_KEYS,
      env=env_keys(), profile="app"),
    S("credential_source unknown", "!InvalidConfigError",
      config=f"[profile app]\nrole_arn = {ROLE}\ncredential_source = Elsewhere\n",
      env={"AWS_PROFILE": "app"}),
    # --- web identity -----------------------------------------------------------------------------
    S("web_identity_token_file in a profile", WEBID,
      config=f"[profile app]\nrole_arn = {ROLE}\nweb_identity_token_file = {{home}}/token.jwt\n",
      files=WEBID_TOKEN, env={"AWS_PROFILE": "app"}),
    S("web identity from the environment", WEBID, files=WEBID_TOKEN,
      env={"AWS_WEB_IDENTITY_TOKEN_FILE": "{home}/token.jwt", "AWS_ROLE_ARN": ROLE}),
    S("web identity token file missing", "!FileNotFoundError",
      config=f"[profile app]\nrole_arn = {ROLE}\nweb_identity_token_file = {{home}}/missing.jwt\n",
      env={"AWS_PROFILE": "app"}, rdsiam="!ProviderError",
      why="botocore lets the token load's FileNotFoundError escape (no credential error); "
          "we report it as the provider's failure, naming the file"),
    # --- credential_process -----------------------------------------------------------------------
    S("credential_process with Expiration", K["proc"],
      config="[default]\ncredential_process = sh {home}/proc.sh\n",
      files={"proc.sh": process_script(K["proc"])}),
    S("credential_process without Expiration", K["proc"],
      config="[default]\ncredential_process = sh {home}/proc.sh\n",
      files={"proc.sh": process_script(K["proc"], expiration=False)}),
    S("credential_process fails", "!CredentialRetrievalError",
      config="[default]\ncredential_process = sh {home}/proc.sh\n",
      files={"proc.sh": "#!/bin/sh\necho 'no session' >&2\nexit 3\n"}),
    S("role on a credential_process", ASSUMED,
      config=f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n"
             "[profile base]\ncredential_process = sh {home}/proc.sh\n",
      files={"proc.sh": process_script(K["proc"])}, env={"AWS_PROFILE": "app"}),
    # --- SSO --------------------------------------------------------------------------------------
    S("sso_session with a valid token", SSO, config="[default]\n" + SSO_PROFILE + SSO_SESSION,
      files=dict([sso_cache("https://corp.awsapps.com/start", session="corp")])),
    S("sso_session with an expired token", "!TokenRetrievalError",
      config="[default]\n" + SSO_PROFILE + SSO_SESSION,
      files=dict([sso_cache("https://corp.awsapps.com/start", "2020-01-01T00:00:00Z", "corp")]),
      headline="the SSO session `corp` has expired: run `aws sso login --sso-session corp`"),
    S("sso_session without a cached token", "!SSOTokenLoadError",
      config="[default]\n" + SSO_PROFILE + SSO_SESSION,
      headline="the SSO session `corp` has no cached login: run `aws sso login --sso-session corp`"),
    S("legacy SSO profile", SSO,
      config="[default]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
             "sso_account_id = 123456789012\nsso_role_name = Parity\n",
      files=dict([sso_cache("https://corp.awsapps.com/start")])),
    # --- partial environment credentials ----------------------------------------------------------
    S("AWS_ACCESS_KEY_ID without a secret", "!PartialCredentialsError",
      credentials="[default]\n" + keys("default"), env={"AWS_ACCESS_KEY_ID": K["env"]},
      headline="AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"),
    S("AWS_SECRET_ACCESS_KEY without a key id", K["default"],
      credentials="[default]\n" + keys("default"), env={"AWS_SECRET_ACCESS_KEY": "parity-env-secret"}),
    S("AWS_SESSION_TOKEN without keys", K["default"], credentials="[default]\n" + keys("default"),
      env={"AWS_SESSION_TOKEN": "parity-env-session"}),
    # --- missing profile, nothing at all ------------------------------------------------------
    S("AWS_PROFILE names no profile", "!ProfileNotFound",
      credentials="[default]\n" + keys("default"), env={"AWS_PROFILE": "nope"},
      headline="profile `nope` not found in {home}/.aws/config or {home}/.aws/credentials"),
    S("AWS_DEFAULT_PROFILE names no profile", "!ProfileNotFound",
      credentials="[default]\n" + keys("default"), env={"AWS_DEFAULT_PROFILE": "nope"}),
    S("nothing configured", "!None"),
    S("nothing configured, on EC2", IMDS, imds=True),
    S("container credentials", ECS, ecs=True, imds=True),
    # --- trust: AWS_CA_BUNDLE, ca_bundle ----------------------------------------------------------
    S("STS over TLS, private CA, no bundle", "!SSLError", config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "AWS_ENDPOINT_URL_STS": "{tls_url}"}),
    S("STS over TLS with AWS_CA_BUNDLE", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "AWS_ENDPOINT_URL_STS": "{tls_url}", "AWS_CA_BUNDLE": "{ca}"}),
    S("STS over TLS with ca_bundle in the profile", ASSUMED,
      config=ROLE_ON_BASE + "ca_bundle = {ca}\n", credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "AWS_ENDPOINT_URL_STS": "{tls_url}"}),
    S("SSO over TLS with AWS_CA_BUNDLE", SSO, config="[default]\n" + SSO_PROFILE + SSO_SESSION,
      files=dict([sso_cache("https://corp.awsapps.com/start", session="corp")]),
      env={"AWS_ENDPOINT_URL_SSO": "{tls_url}", "AWS_CA_BUNDLE": "{ca}"}),
    S("web identity over TLS with AWS_CA_BUNDLE", WEBID, files=WEBID_TOKEN,
      env={"AWS_WEB_IDENTITY_TOKEN_FILE": "{home}/token.jwt", "AWS_ROLE_ARN": ROLE,
           "AWS_ENDPOINT_URL_STS": "{tls_url}", "AWS_CA_BUNDLE": "{ca}"}),
    S("AWS_CA_BUNDLE names a missing file", "!SSLError", config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "AWS_ENDPOINT_URL_STS": "{tls_url}",
           "AWS_CA_BUNDLE": "{home}/missing.pem"},
      rdsiam="!InvalidArgument", headline="the CA bundle `{home}/missing.pem` named by AWS_CA_BUNDLE does not exist",
      why="a bundle that is not there is a setting to fix, named with its path, not a TLS failure"),
    # --- proxies ----------------------------------------------------------------------------------
    S("HTTP_PROXY carries STS", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "HTTP_PROXY": "{proxy}"}, proxied=True),
    S("HTTPS_PROXY tunnels STS over TLS", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "AWS_ENDPOINT_URL_STS": "{tls_url}", "AWS_CA_BUNDLE": "{ca}",
           "HTTPS_PROXY": "{proxy}"}, proxied=True),
    S("HTTPS_PROXY does not carry STS over http", ASSUMED, config=ROLE_ON_BASE,
      credentials=BASE_KEYS, env={"AWS_PROFILE": "app", "HTTPS_PROXY": "{dead}"}),
    S("NO_PROXY skips a dead proxy", ASSUMED, config=ROLE_ON_BASE, credentials=BASE_KEYS,
      env={"AWS_PROFILE": "app", "HTTP_PROXY": "{dead}", "HTTPS_PROXY": "{dead}",
           "NO_PROXY": "127.0.0.1"}),
]
