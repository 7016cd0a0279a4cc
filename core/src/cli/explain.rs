//! `rds-iam explain "<error text>"`: maps driver, server and AWS errors to causes and fixes.
//!
//! docs/troubleshooting.md's table is generated from [`ENTRIES`] (`rds-iam explain
//! --markdown`), and a test keeps the two identical.

/// One known error: the texts that identify it, its likely causes and the fix.
pub struct Entry {
    /// Short title.
    pub title: &'static str,
    /// Case-insensitive substrings; any one identifies the error.
    pub patterns: &'static [&'static str],
    /// Why it happens, most likely first.
    pub causes: &'static [&'static str],
    /// What to do.
    pub fix: &'static str,
}

/// Every error `explain` knows.
pub const ENTRIES: &[Entry] = &[
    Entry {
        title: "PostgreSQL: PAM authentication failed",
        patterns: &["pam authentication failed"],
        causes: &[
            "the token was rejected: expired (older than 15 min), signed for another host, port, user or region, or with the wrong credentials",
            "the IAM policy lacks rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<user>",
            "the database user is not granted rds_iam, or IAM authentication is off on the instance",
            "through a tunnel, a sign host without a port signs the tunnel's local port (15432), not the database's: name it (--sign-host mydb…:5432)",
        ],
        fix: "run `rds-iam doctor --host H --user U`; GRANT rds_iam TO <user>; sign for the real endpoint (--sign-host) when you connect through a tunnel or custom DNS name",
    },
    Entry {
        title: "MySQL/MariaDB: Access denied",
        patterns: &["access denied for user", "using password: no", "using password: yes"],
        causes: &[
            "the token was rejected (expired, wrong host/port/user/region, wrong credentials), or no token was sent",
            "the user is not IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'",
            "the client did not enable the cleartext plugin, so the token was never sent",
        ],
        fix: "enable the cleartext plugin (mysql --enable-cleartext-plugin; mysql2 authPlugins / rds_iam helpers) over TLS; CREATE USER <user> IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'; run `rds-iam doctor`",
    },
    Entry {
        title: "Cleartext plugin not enabled",
        patterns: &["mysql_clear_password", "cleartext plugin", "client_plugin_auth", "authentication plugin 'mysql_clear_password'"],
        causes: &["IAM tokens travel as cleartext passwords; the client refuses the mysql_clear_password switch by default"],
        fix: "mysql CLI: --enable-cleartext-plugin (or `rds-iam mysql`); mysql2: authPlugins.mysql_clear_password (the rds-iam mysql2 helper); always with TLS",
    },
    Entry {
        title: "Token rejected as invalid (InvalidToken)",
        patterns: &["invalidtoken", "invalid token", "the security token included in the request is invalid"],
        causes: &[
            "the token was truncated or altered on the way (a pool or config layer cut it; tokens with session tokens are 1-3 KB)",
            "the session token belongs to other or revoked credentials",
        ],
        fix: "pass the token unmodified; check its length with `rds-iam doctor`; refresh the credentials",
    },
    Entry {
        title: "Token or credentials expired (ExpiredToken)",
        patterns: &["expiredtoken", "token has expired", "token is expired", "request has expired"],
        causes: &[
            "a pool reused a token older than 15 minutes (a frozen password)",
            "the temporary credentials that signed it expired (the token dies with them)",
            "the local clock is behind or ahead",
        ],
        fix: "get a token per new connection through the driver's password hook (rds-iam helpers); refresh credentials; sync the clock (chrony/NTP)",
    },
    Entry {
        title: "Not authorized for rds-db:connect",
        patterns: &["notauthorized", "not authorized to perform: rds-db:connect", "rds-db:connect", "accessdenied"],
        causes: &["the identity's policy does not allow rds-db:connect on this database user's resource ARN, or an SCP/permission boundary denies it"],
        fix: "allow rds-db:connect on arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId or cluster-ResourceId>/<user> (the DbiResourceId, not the instance name); check the identity with `rds-iam doctor`",
    },
    Entry {
        title: "Too many new tokens (ThrottlingException)",
        patterns: &["throttlingexception", "throttling", "rate exceeded", "too many connections"],
        causes: &["RDS throttles distinct IAM tokens at about 200 new connections per second (20/s per identity for some engines); signing a new token per connection multiplies them"],
        fix: "reuse tokens across connections (rds-iam does by default; raise reuse_for), use a connection pool, or RDS Proxy",
    },
    Entry {
        title: "RDS internal error during IAM auth (InternalError)",
        patterns: &["internalerror", "internal error"],
        causes: &["a transient failure of the IAM authentication service behind RDS"],
        fix: "retry the connection with backoff; if it persists, check the AWS Health Dashboard",
    },
    Entry {
        title: "SigV4 signature mismatch (SignatureDoesNotMatch)",
        patterns: &["signaturedoesnotmatch", "signature we calculated does not match"],
        causes: &["the secret access key does not match the access key id", "the token was signed for another host or port than the one checked", "the local clock is skewed"],
        fix: "re-check the credential source with `rds-iam doctor`; sign for the endpoint the server knows (--sign-host); sync the clock",
    },
    Entry {
        title: "Unknown access key (InvalidClientTokenId)",
        patterns: &["invalidclienttokenid", "security token included in the request is invalid"],
        causes: &["the access key id is deleted, inactive, from another partition (aws-cn / aws-us-gov), or a temporary key is used without its session token"],
        fix: "check which credentials are picked (`rds-iam doctor` shows the source: environment variables override AWS_PROFILE); set AWS_SESSION_TOKEN with temporary keys",
    },
    Entry {
        title: "STS: expired session (ExpiredToken from STS)",
        patterns: &["expiredtokenexception", "the security token included in the request is expired"],
        causes: &["the session token in the environment or profile has expired (an old `aws sso login` or assume-role session)"],
        fix: "log in again (`aws sso login`), re-run your assume-role step, or unset stale AWS_SESSION_TOKEN / AWS_ACCESS_KEY_ID variables",
    },
    Entry {
        title: "Web identity: STS could not fetch the identity provider's keys",
        patterns: &["couldn't retrieve verification key", "could not retrieve verification key", "idpcommunicationerror"],
        causes: &[
            "STS fetches <iss>/.well-known/openid-configuration and then its jwks_uri from the public internet: the issuer is private, or a firewall blocks it",
            "the issuer takes more than 5 s to answer STS",
            "the JWKS answer carries Cache-Control: no-cache or Pragma: no-cache, so STS cannot cache the keys and fetches them on every call (throttled or slow answers fail some calls)",
        ],
        fix: "rds-iam retries this with back-off (web_identity_attempts, default 4, inside fetch_timeout); check both URLs from outside your network (`rds-iam doctor` fetches them and times them); serve the JWKS with a cache lifetime; STS is called on the signer's regional endpoint",
    },
    Entry {
        title: "Web identity: wrong audience",
        patterns: &["incorrect token audience"],
        causes: &["the token's aud claim is not a client id (audience) of the IAM OIDC provider; EKS and most issuers use sts.amazonaws.com"],
        fix: "add the token's aud (`rds-iam doctor` shows it) to the IAM OIDC provider's audiences, or issue the token for sts.amazonaws.com; the trust policy's <issuer>:aud condition must match it too",
    },
    Entry {
        title: "Web identity: the token file has expired",
        patterns: &["token expired: current date/time", "expired web identity token"],
        causes: &[
            "the projected service-account token in AWS_WEB_IDENTITY_TOKEN_FILE is past its exp: the kubelet stopped rotating it (it rewrites the file at 80% of its life), or a copy of the token is read instead of the mounted file",
            "the local clock or the issuer's clock is wrong",
        ],
        fix: "read the mounted projected token file itself (never a copy); check the pod's service-account token volume and the kubelet; `rds-iam doctor` shows the token's exp and time left",
    },
    Entry {
        title: "Web identity: no OIDC provider in IAM",
        patterns: &["no openidconnect provider found"],
        causes: &["the token's issuer (the EKS cluster's OIDC issuer URL) is not registered as an IAM OIDC identity provider in the role's account"],
        fix: "register it: `eksctl utils associate-iam-oidc-provider --cluster <name> --approve`, or create the IAM OIDC provider for the issuer URL (`aws eks describe-cluster --query cluster.identity.oidc.issuer`) in the role's account",
    },
    Entry {
        title: "Web identity rejected (InvalidIdentityToken)",
        patterns: &["invalididentitytoken", "assumerolewithwebidentity"],
        causes: &["the OIDC token file (EKS IRSA) is expired, for the wrong audience, or the cluster's OIDC provider is not registered in IAM", "the role's trust policy does not name this service account (its sub)"],
        fix: "check AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN in the pod, the IAM OIDC provider, and the trust policy's sub/aud conditions (`rds-iam doctor` decodes the token and shows them)",
    },
    Entry {
        title: "No credentials",
        patterns: &["nocredentials", "unable to locate credentials", "could not load credentials", "no aws credentials"],
        causes: &["no environment keys, no profile, no web identity, no container or instance role"],
        fix: "set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY locally; attach a role to the instance, task or service account in AWS",
    },
    Entry {
        title: "Profile not found",
        patterns: &["profilenotfound", "the config profile (", "` not found in"],
        causes: &["AWS_PROFILE, AWS_DEFAULT_PROFILE or --profile names a profile that neither ~/.aws/config (`[profile name]`) nor ~/.aws/credentials (`[name]`) defines: a typo, or another machine's files (AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE)"],
        fix: "fix the name or define the profile; `[dev]` in the config file and `[profile dev]` in the credentials file are not the profile `dev`",
    },
    Entry {
        title: "Half a key pair (PartialCredentialsError)",
        patterns: &["partialcredentialserror", "partial credentials", "is set but aws_secret_access_key is not", "but no aws_secret_access_key"],
        causes: &["AWS_ACCESS_KEY_ID (or a profile's aws_access_key_id) is set without its secret, often a leftover export in the shell or CI settings"],
        fix: "set both keys (and AWS_SESSION_TOKEN for ASIA… keys), or unset the leftover one so the profile or role is used",
    },
    Entry {
        title: "SSO login missing or expired",
        patterns: &["aws sso login", "ssotokenloaderror", "unauthorizedssotoken", "sso session", "the sso login"],
        causes: &["the cached IAM Identity Center (SSO) login for the profile's sso_session expired (8-12 h by default) or was never made on this machine"],
        fix: "run the `aws sso login --sso-session <name>` (or `--profile <name>`) the error names, then retry",
    },
    Entry {
        title: "TLS to AWS failed (certificate not trusted)",
        patterns: &["tls handshake failed", "certificate verify failed", "unknownissuer", "unknown issuer", "invalid peer certificate", "self-signed certificate in certificate chain", "unable to get local issuer certificate"],
        causes: &[
            "a TLS-inspecting (corporate) proxy re-signs HTTPS to STS / SSO with its own CA, which this process does not trust",
            "for the database connection itself: the server's chain (Amazon RDS roots) is not in the trust the client was given",
        ],
        fix: "set AWS_CA_BUNDLE (or ca_bundle in the profile) to a PEM file with the proxy's CA: it is trusted on top of the platform's roots, as by the AWS CLI; `rds-iam doctor` shows the trust and proxy used for STS; for the database, keep the rds-iam helpers' default trust or pass the RDS CA bundle",
    },
    Entry {
        title: "TLS required",
        patterns: &["no pg_hba.conf entry", "ssl off", "requires ssl", "secure transport", "sslmode"],
        causes: &["IAM authentication needs an encrypted connection; the client connected without TLS"],
        fix: "PostgreSQL: sslmode=require (verify-full with the RDS CA bundle); MySQL: --ssl / ssl={ca: …}; the rds-iam helpers turn TLS on by default",
    },
];

/// (more specific entry, the general entry it replaces when both match), by title: STS's
/// web identity messages also carry the general codes (`InvalidIdentityToken`, `ExpiredToken…`).
const SUPERSEDES: &[(&str, &str)] = &[
    (
        "Web identity: STS could not fetch the identity provider's keys",
        "Web identity rejected (InvalidIdentityToken)",
    ),
    (
        "Web identity: wrong audience",
        "Web identity rejected (InvalidIdentityToken)",
    ),
    (
        "Web identity: the token file has expired",
        "Web identity rejected (InvalidIdentityToken)",
    ),
    (
        "Web identity: the token file has expired",
        "Token or credentials expired (ExpiredToken)",
    ),
    (
        "Web identity: the token file has expired",
        "STS: expired session (ExpiredToken from STS)",
    ),
    (
        "Web identity: no OIDC provider in IAM",
        "Web identity rejected (InvalidIdentityToken)",
    ),
];

/// The entries whose patterns occur in `text` (case-insensitive), without a general entry
/// when a more specific one matched too.
pub fn matches(text: &str) -> Vec<&'static Entry> {
    let lower = text.to_lowercase();
    let found: Vec<&'static Entry> = ENTRIES
        .iter()
        .filter(|e| e.patterns.iter().any(|p| lower.contains(p)))
        .collect();
    found
        .iter()
        .copied()
        .filter(|general| {
            !SUPERSEDES.iter().any(|(specific, g)| {
                *g == general.title && found.iter().any(|e| e.title == *specific)
            })
        })
        .collect()
}

/// One entry as readable text.
pub fn render(e: &Entry) -> String {
    let causes: String = e.causes.iter().map(|c| format!("  - {c}\n")).collect();
    format!("{}\n causes:\n{causes} fix: {}\n", e.title, e.fix)
}

/// The whole table as Markdown (docs/troubleshooting.md holds it).
pub fn markdown() -> String {
    let mut out = String::from("| error text contains | likely cause | fix |\n|---|---|---|\n");
    for e in ENTRIES {
        let pats: Vec<String> = e.patterns.iter().map(|p| format!("`{p}`")).collect();
        out.push_str(&format!(
            "| **{}**: {} | {} | {} |\n",
            e.title,
            pats.join(", "),
            e.causes.join("; "),
            e.fix
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(text: &str) -> Vec<&'static str> {
        matches(text).iter().map(|e| e.title).collect()
    }

    #[test]
    fn web_identity_messages_get_their_own_entry() {
        assert_eq!(
            titles("InvalidIdentityToken: Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"),
            ["Web identity: STS could not fetch the identity provider's keys"]
        );
        assert_eq!(
            titles("An error occurred (InvalidIdentityToken) when calling the AssumeRoleWithWebIdentity operation: Incorrect token audience"),
            ["Web identity: wrong audience"]
        );
        assert_eq!(
            titles("ExpiredTokenException: Token expired: current date/time 1700000600 must be before the expiration date/time 1700000000"),
            ["Web identity: the token file has expired"]
        );
        assert_eq!(
            titles("InvalidIdentityToken: No OpenIDConnect provider found in your account for https://oidc.eks.eu-west-1.amazonaws.com/id/ABC"),
            ["Web identity: no OIDC provider in IAM"]
        );
        assert_eq!(
            titles("InvalidIdentityToken: the token is not valid"),
            ["Web identity rejected (InvalidIdentityToken)"]
        );
        // Every pair names real entries.
        for (specific, general) in SUPERSEDES {
            for title in [specific, general] {
                assert!(ENTRIES.iter().any(|e| e.title == *title), "{title}");
            }
        }
    }
}
