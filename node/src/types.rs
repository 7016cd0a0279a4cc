//! The option and result shapes as TypeScript sees them. The option structs are never
//! converted from JavaScript (`object_to_js = false` and they are read by
//! [`crate::options::Options`], which checks every value and refuses unknown keys); they exist
//! for the generated `index.d.ts`.

use napi_derive::napi;

use crate::options::Timestamp;

/// Everything `new Signer(...)` accepts. Durations are in seconds.
#[napi(object, object_to_js = false)]
pub struct SignerOptions {
    /// The database endpoint the client connects to: `host`, `host:port` or `https://host[:port]`
    /// (optional with `clusterId`).
    pub host: Option<String>,
    /// An Aurora DSQL cluster id: with `region` it names the endpoint
    /// `<id>.dsql.<region>.on.aws`, which is also `host` unless one is given (a tunnel).
    pub cluster_id: Option<String>,
    /// The database port (default 5432, 6379 for the cache kinds, or the port given in `host`).
    pub port: Option<u16>,
    /// The database user to log in as: required for RDS tokens, which name it. DSQL tokens name
    /// none; it stays `signer.user` for the drivers (`'admin'` for `dsql_admin` when not given).
    /// Without `kind`, a DSQL endpoint signs `dsql_admin` for `admin`, `dsql_connect` otherwise.
    pub user: Option<String>,
    /// The signing region (default: inferred from an RDS / Aurora / RDS Proxy / DSQL hostname).
    pub region: Option<String>,
    /// Sign for this endpoint (`host[:port]`) instead of `host`: when you connect through a
    /// tunnel, a proxy or a custom DNS name, the token must name the real RDS endpoint.
    pub sign_host: Option<String>,
    /// A named profile from the shared AWS config files (instead of the default chain).
    pub profile: Option<String>,
    /// Fixed credentials, or an AWS SDK v3 identity provider: an async function resolving to
    /// them (`fromNodeProviderChain()`, `fromTemporaryCredentials()`, `fromSSO()`, your own),
    /// called only when the cached credentials are missing or near expiry (instead of the
    /// default chain).
    #[napi(ts_type = "CredentialsInput | (() => Promise<CredentialsInput>)")]
    pub credentials: Option<CredentialsInput>,
    /// Assume this role (`arn:aws:iam::<account>:role/<name>`) on top of the credentials.
    pub role_arn: Option<String>,
    /// The role session name when assuming `roleArn` (default `rds-iam-<unix time>`).
    pub role_session_name: Option<String>,
    /// The external id the role's trust policy requires, if any.
    pub external_id: Option<String>,
    /// The token kind (default: `'dsql_admin'` / `'dsql_connect'` for a DSQL endpoint, by
    /// `user`; `'rds'` otherwise).
    #[napi(
        ts_type = "'rds' | 'dsql_connect' | 'dsql_admin' | 'elasticache' | 'elasticache-serverless' | 'memorydb'"
    )]
    pub kind: Option<String>,
    /// Token lifetime in seconds: 900 for RDS and the cache kinds (fixed), 1 to 604800 for DSQL
    /// (default 900).
    pub expires_in: Option<f64>,
    /// Reuse a token for at most this many seconds (0: sign for every call; default: while it
    /// has more than `refreshMargin` of life left).
    pub reuse_for: Option<f64>,
    /// Serve a cached token only while more than this many seconds of its life are left
    /// (default 300).
    pub refresh_margin: Option<f64>,
    /// Upper bound in seconds for one credential fetch (default 10).
    pub fetch_timeout: Option<f64>,
    /// EC2 instance metadata (IMDS) timeout in seconds (default 1).
    pub imds_timeout: Option<f64>,
    /// Attempts at a web identity call (EKS IRSA) when STS cannot reach the identity provider
    /// (`InvalidIdentityToken` "Couldn't retrieve verification key…", `IDPCommunicationError`),
    /// with jittered exponential back-off inside `fetchTimeout` (default 4, 1 to 20; 1 = no retry).
    pub web_identity_attempts: Option<u32>,
}

/// What `signer.url()` accepts.
#[napi(object, object_to_js = false)]
pub struct UrlOptions {
    /// The database name (default: none, the driver's default; `postgres` for Aurora DSQL).
    pub database: Option<String>,
    /// The URL's protocol (default `'postgresql'`).
    #[napi(ts_type = "'postgresql' | 'postgres' | 'mysql' | 'mariadb'")]
    pub driver: Option<String>,
    /// The path of the CA file the client trusts (default: a file with the system roots, the
    /// RDS bundle and Amazon's public roots, written once per process).
    pub ca: Option<String>,
    /// @deprecated The old name of `ca` (a path); warns once, goes in the next minor release.
    pub ca_file: Option<String>,
}

/// What `rdsIam.proxy(signer, options)` accepts (the core's `LocalProxyOptions`).
#[napi(object, object_to_js = false)]
pub struct ProxyOptions {
    /// The database named in the proxy's `url`.
    pub database: Option<String>,
    /// The user names that may log in (default: `[signer.user]`); any other is refused
    /// (PostgreSQL SQLSTATE 28000, MySQL error 1045); the list is in the log only.
    pub users: Option<Vec<String>>,
    /// The address to listen on: a loopback IP address and a port, `'127.0.0.1:5433'`
    /// (default `'127.0.0.1:0'`: a free port).
    pub listen: Option<String>,
    /// The path of a PEM file of roots for the database's certificate, instead of the system
    /// roots plus the RDS bundle.
    pub ca: Option<String>,
    /// TLS towards clients: `'auto'` (a self-signed certificate made at start, for
    /// `sslmode=require`) or PEM files (default: none; the hop is loopback).
    #[napi(ts_type = "'auto' | ClientTlsFiles")]
    pub client_tls: Option<String>,
    /// Refuse clients that do not turn TLS on (PostgreSQL SQLSTATE 28000 with a hint, MySQL
    /// error 1045); needs `clientTls` (default false).
    pub client_tls_required: Option<bool>,
    /// Client sessions open at once (default 0: no limit); past it a client gets SQLSTATE 53300
    /// (MySQL: error 1040).
    pub max_connections: Option<u32>,
    /// The wire protocol (default: `'mysql'` for port 3306, else `'postgresql'`).
    #[napi(ts_type = "'postgresql' | 'postgres' | 'mysql' | 'mariadb'")]
    pub engine: Option<String>,
}

/// TLS towards the proxy's clients with a certificate of one's own.
#[napi(object, object_to_js = false)]
pub struct ClientTlsFiles {
    /// The certificate chain's PEM file (leaf first).
    pub cert: String,
    /// The private key's PEM file.
    pub key: String,
}

/// AWS credentials given explicitly.
#[napi(object, object_to_js = false)]
pub struct CredentialsInput {
    /// The access key id (`AKIA…` long-term, `ASIA…` temporary).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
    /// When temporary credentials expire: tokens signed with them stop working then.
    #[napi(ts_type = "Date")]
    pub expiration: Option<f64>,
}

/// What `sign(...)` takes: everything a token depends on, credentials and time included.
#[napi(object, object_to_js = false)]
pub struct SignOptions {
    /// The database endpoint: `host`, `host:port` or `https://host[:port]`.
    pub host: String,
    /// The database port (default 5432, 6379 for the cache kinds, or the port given in `host`).
    pub port: Option<u16>,
    /// The database user (required for RDS tokens, ignored for DSQL).
    pub user: Option<String>,
    /// The signing region (default: inferred from the hostname).
    pub region: Option<String>,
    /// The credentials to sign with.
    pub credentials: CredentialsInput,
    /// The signing time (default: now).
    #[napi(ts_type = "Date")]
    pub at: Option<f64>,
    /// The token kind (default: `'dsql_admin'` / `'dsql_connect'` for a DSQL endpoint, by
    /// `user`; `'rds'` otherwise).
    #[napi(
        ts_type = "'rds' | 'dsql_connect' | 'dsql_admin' | 'elasticache' | 'elasticache-serverless' | 'memorydb'"
    )]
    pub kind: Option<String>,
    /// Token lifetime in seconds: 900 for RDS and the cache kinds, 1 to 604800 for DSQL
    /// (default 900).
    pub expires_in: Option<f64>,
}

/// A token and what a caller may want to know about it.
#[napi(object, object_from_js = false)]
pub struct TokenInfo {
    /// The token: pass it as the database password.
    pub token: String,
    /// When the token stops working: its own expiry or the signing credentials', if sooner.
    #[napi(ts_type = "Date")]
    pub expires_at: Timestamp,
    /// When it was signed.
    #[napi(ts_type = "Date")]
    pub signed_at: Timestamp,
    /// True if an earlier call signed it and this one reused it.
    pub from_cache: bool,
    /// The access key id that signed it (not secret: tells which identity is in use).
    pub access_key_id: String,
}

impl From<rds_iam::TokenInfo> for TokenInfo {
    fn from(t: rds_iam::TokenInfo) -> Self {
        TokenInfo {
            token: t.token,
            expires_at: Timestamp(t.expires_at),
            signed_at: Timestamp(t.signed_at),
            from_cache: t.from_cache,
            access_key_id: t.access_key_id,
        }
    }
}

/// Process-wide counters.
#[napi(object, object_from_js = false)]
pub struct Stats {
    /// Tokens signed (cache misses) in this process since it started, all threads and workers.
    pub signatures: f64,
    /// Credential fetches and refreshes that returned credentials, in this process since it
    /// started (with credentials cached, token calls make none).
    pub credential_fetches: f64,
}
