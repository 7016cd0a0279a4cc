//! The `rds-iam` command line, shared by the Rust binary, `python -m rds_iam` and `npx rds-iam`.
//!
//! Bindings call [`run`] with the process arguments and exit with the status it returns:
//! 0 success, 1 a library error (its code is printed as `error[Code]: …`), 2 a usage error.

use std::ffi::OsString;
use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Parser, Subcommand};

use crate::{AssumeRole, Error, Signer, TokenKind};

#[derive(Parser)]
#[command(name = "rds-iam", version = crate::VERSION, about = "AWS IAM database auth tokens for RDS, Aurora, RDS Proxy and Aurora DSQL")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print one IAM auth token (like `aws rds generate-db-auth-token`).
    Token(TokenArgs),
}

#[derive(Args)]
struct TokenArgs {
    /// Database endpoint (host or host:port).
    #[arg(long)]
    host: String,
    /// Database port [default: 5432].
    #[arg(long)]
    port: Option<u16>,
    /// Database user to log in as (required for RDS tokens).
    #[arg(long, required_unless_present_any = ["dsql", "dsql_admin"])]
    user: Option<String>,
    /// Signing region [default: inferred from the hostname].
    #[arg(long)]
    region: Option<String>,
    /// Named profile from the shared AWS config files.
    #[arg(long)]
    profile: Option<String>,
    /// Assume this role on top of the credentials.
    #[arg(long)]
    role_arn: Option<String>,
    /// Sign for this endpoint instead of --host (tunnels, custom DNS names).
    #[arg(long)]
    sign_host: Option<String>,
    /// Aurora DSQL token for a custom database role (DbConnect).
    #[arg(long, conflicts_with = "dsql_admin")]
    dsql: bool,
    /// Aurora DSQL token for the admin role (DbConnectAdmin).
    #[arg(long)]
    dsql_admin: bool,
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
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "error[{}]: {e}", e.code());
            1
        }
    }
}

fn token(a: TokenArgs, out: &mut dyn Write) -> Result<(), Error> {
    let kind = match (a.dsql, a.dsql_admin) {
        (_, true) => TokenKind::DsqlAdmin,
        (true, _) => TokenKind::DsqlConnect,
        _ => TokenKind::Rds,
    };
    let mut b = Signer::builder(a.host).kind(kind);
    if let Some(p) = a.port {
        b = b.port(p)
    }
    if let Some(u) = a.user {
        b = b.user(u)
    }
    if let Some(r) = a.region {
        b = b.region(r)
    }
    if let Some(p) = a.profile {
        b = b.profile(p)
    }
    if let Some(r) = a.role_arn {
        b = b.assume_role(AssumeRole::new(r))
    }
    if let Some(h) = a.sign_host {
        b = b.sign_host(h)
    }
    if let Some(s) = a.expires_in {
        b = b.expires_in(Duration::from_secs(s))
    }
    let info = b.build()?.token_info_blocking()?;
    let written = if a.json {
        writeln!(
            out,
            "{{\"token\":\"{}\",\"expires_at\":{},\"access_key_id\":\"{}\"}}",
            info.token, // only RFC 3986 characters and %XX: nothing to escape in JSON
            unix(info.expires_at),
            info.access_key_id.escape_default()
        )
    } else {
        writeln!(out, "{}", info.token)
    };
    written.map_err(|e| Error::argument("output", format!("cannot write the token: {e}")))
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}
