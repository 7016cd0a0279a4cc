//! The `rds-iam` command line, shared by the Rust binary, `python -m rds_iam` and `npx rds-iam`.
//!
//! Bindings call [`run`] with the process arguments and exit with the status it returns:
//! 0 success, 1 a library error (its code is printed as `error[Code]: …`) or a failed doctor
//! check or an unknown `explain` text, 2 a usage error; `psql`/`mysql` return the client's status.

use std::ffi::OsString;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

use crate::{Error, SignerBuilder, SignerOptions, Surface, TokenKind};

mod check;
mod doctor;
mod doctor_cache;
mod doctor_trust;
mod doctor_web_identity;
pub mod explain;
mod json_fields;
mod launch;
mod oidc_issuer;
mod proxy;

#[derive(Parser)]
#[command(name = "rds-iam", version = crate::VERSION, about = "AWS IAM auth tokens for RDS, Aurora, RDS Proxy, Aurora DSQL, ElastiCache and MemoryDB")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print one IAM auth token (like `aws rds generate-db-auth-token`).
    Token(TokenArgs),
    /// Run psql with a fresh token in PGPASSWORD (host/port/user from psql's flags or PG* env).
    Psql(LaunchArgs),
    /// Run mysql with a fresh token in a private option file, cleartext plugin and TLS on.
    Mysql(LaunchArgs),
    /// Check credentials, identity, region, clock, endpoint and token; explain what is wrong.
    Doctor(DoctorArgs),
    /// Map an error message from a driver, a database or AWS to its causes and fixes.
    Explain(ExplainArgs),
    /// A local IAM auth proxy: clients log in with no password, the proxy signs in upstream.
    Proxy(proxy::ProxyArgs),
}

/// Credential and signing options shared by the subcommands.
#[derive(Args)]
struct Common {
    /// Signing region [default: inferred from the hostname].
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the shared AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// Assume this role on top of the credentials.
    #[arg(long)]
    role_arn: Option<String>,
    /// Sign for this endpoint instead of the host (tunnels, custom DNS names).
    #[arg(long)]
    sign_host: Option<String>,
}

impl Common {
    /// The signer options these flags give, for `host`.
    fn options(&self, host: String) -> SignerOptions {
        let mut o = SignerOptions::new(host);
        o.region.clone_from(&self.region);
        o.profile.clone_from(&self.profile);
        o.role_arn.clone_from(&self.role_arn);
        o.sign_host.clone_from(&self.sign_host);
        o
    }

    /// [`Self::options`] for the subcommands that add the port and user as they find them.
    fn builder(&self, host: String) -> SignerBuilder {
        SignerBuilder::from(self.options(host))
    }
}

#[derive(Args)]
struct LaunchArgs {
    #[command(flatten)]
    common: Common,
    /// The client program [default: psql / mysql on PATH].
    #[arg(long)]
    client: Option<String>,
    /// Arguments for the client, passed through unchanged.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Args)]
struct DoctorArgs {
    /// Database endpoint (host or host:port); for a cache kind, the cache's name or endpoint.
    #[arg(long)]
    host: String,
    /// Database port [default: 5432; 6379 for a cache kind].
    #[arg(long)]
    port: Option<u16>,
    /// Database user (for ElastiCache the user id, for MemoryDB the user name).
    #[arg(long)]
    user: String,
    /// Token kind: rds, dsql_connect, dsql_admin, elasticache, elasticache-serverless or
    /// memorydb [default: rds].
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,
    #[command(flatten)]
    common: Common,
    /// The database speaks MySQL/MariaDB [default: guessed from port 3306].
    #[arg(long)]
    mysql: bool,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ExplainArgs {
    /// The error text (quote it).
    #[arg(required_unless_present = "markdown")]
    text: Option<String>,
    /// Print the whole table as Markdown (docs/troubleshooting.md's table).
    #[arg(long)]
    markdown: bool,
}

#[derive(Args)]
struct TokenArgs {
    /// Database endpoint (host or host:port); for a cache kind, the cache's name or endpoint.
    #[arg(long, required_unless_present = "cluster_id")]
    host: Option<String>,
    /// Aurora DSQL cluster id (with --region): the endpoint <id>.dsql.<region>.on.aws.
    #[arg(long)]
    cluster_id: Option<String>,
    /// Database port [default: 5432; 6379 for a cache kind].
    #[arg(long)]
    port: Option<u16>,
    /// User to log in as (required for RDS tokens; for DSQL, `admin` signs DbConnectAdmin and
    /// any other role DbConnect; the user id for ElastiCache, the user name for MemoryDB).
    #[arg(long, required_unless_present_any = ["dsql", "dsql_admin", "kind"])]
    user: Option<String>,
    #[command(flatten)]
    common: Common,
    /// Aurora DSQL token for a custom database role (DbConnect).
    #[arg(long, conflicts_with_all = ["dsql_admin", "kind"])]
    dsql: bool,
    /// Aurora DSQL token for the admin role (DbConnectAdmin).
    #[arg(long, conflicts_with = "kind")]
    dsql_admin: bool,
    /// Token kind: rds, dsql_connect, dsql_admin, elasticache, elasticache-serverless or
    /// memorydb [default: rds].
    #[arg(long, value_name = "KIND")]
    kind: Option<String>,
    /// DSQL token lifetime in seconds (1-604800) [default: 900].
    #[arg(long)]
    expires_in: Option<u64>,
    /// Print JSON with the token, its expiry and the signing identity.
    #[arg(long)]
    json: bool,
}

/// Runs the CLI with `args` (program name first); returns the process exit status.
pub fn run<I, T>(args: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" to clap that belong on stdout with status 0.
            if e.use_stderr() {
                let _ = write!(err, "{}", e.render());
                return 2;
            }
            let _ = write!(out, "{}", e.render());
            return 0;
        }
    };
    let result = match cli.command {
        Command::Token(a) => token(a, out),
        Command::Psql(a) => launch::launch(launch::Client::Psql, a.client, a.args, |h| {
            a.common.builder(h)
        }),
        Command::Mysql(a) => launch::launch(launch::Client::Mysql, a.client, a.args, |h| {
            a.common.builder(h)
        }),
        Command::Doctor(a) => doctor(a, out),
        Command::Explain(a) => Ok(explain_cmd(a, out)),
        Command::Proxy(a) => proxy::run(a, out, err),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error[{}]: {}", e.code(), e.render(Surface::Cli));
            1
        }
    }
}

fn token(a: TokenArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let mut o = a.common.options(a.host.unwrap_or_default());
    o.cluster_id = a.cluster_id;
    // Without a flag the endpoint decides (a DSQL endpoint: by the user).
    o.kind = match (a.dsql, a.dsql_admin, a.kind) {
        (_, _, Some(kind)) => Some(kind.parse()?),
        (_, true, None) => Some(TokenKind::DsqlAdmin),
        (true, _, None) => Some(TokenKind::DsqlConnect),
        _ => None,
    };
    o.port = a.port;
    o.user = a.user;
    o.expires_in = a.expires_in.map(Duration::from_secs);
    let signer = o.build()?;
    if let Some(note) = signer.signed_port_note(Surface::Cli) {
        let _ = writeln!(std::io::stderr(), "warning: {note}");
    }
    let info = signer.token_info_blocking()?;
    let written = if a.json {
        writeln!(
            out,
            "{{\"token\":\"{}\",\"expires_at\":{},\"access_key_id\":{}}}",
            info.token, // only RFC 3986 characters and %XX: nothing to escape in JSON
            unix(info.expires_at),
            crate::json_text::json_str(&info.access_key_id)
        )
    } else {
        writeln!(out, "{}", info.token)
    };
    written
        .map(|()| 0)
        .map_err(|e| Error::argument("output", format!("cannot write the token: {e}")))
}

fn doctor(a: DoctorArgs, out: &mut dyn Write) -> Result<i32, Error> {
    let kind = match &a.kind {
        Some(k) => k.parse()?,
        None => TokenKind::Rds,
    };
    let mut builder = a
        .common
        .builder(a.host.clone())
        .user(a.user.clone())
        .kind(kind);
    if let Some(p) = a.port {
        builder = builder.port(p)
    }
    let checks = doctor::examine(doctor::Question {
        mysql: a.mysql || a.port == Some(3306),
        host: a.host,
        port: a.port,
        user: a.user,
        region: a.common.region.clone(),
        sign_host: a.common.sign_host.clone(),
        profile: a.common.profile.clone(),
        builder,
        kind,
    });
    let text = if a.json {
        doctor::render_json(&checks)
    } else {
        doctor::render(&checks)
    };
    let _ = out.write_all(text.as_bytes());
    Ok(if doctor::passed(&checks) { 0 } else { 1 })
}

fn explain_cmd(a: ExplainArgs, out: &mut dyn Write) -> i32 {
    if a.markdown {
        let _ = out.write_all(explain::markdown().as_bytes());
        return 0;
    }
    let found = explain::matches(a.text.as_deref().unwrap_or_default());
    if found.is_empty() {
        let _ = writeln!(
            out,
            "no known IAM-auth error in that text; run `rds-iam doctor --host H --user U`"
        );
        return 1;
    }
    for e in found {
        let _ = writeln!(out, "{}", explain::render(e));
    }
    0
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
