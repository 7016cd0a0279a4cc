//! `rds-iam proxy`: the command's flags → [`crate::proxy::ProxyConfig`], the start-up checks
//! (`--run-connection-test`, `--doctor`) and the run until SIGTERM.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::Common;
use crate::proxy::{
    self, ClientTls, Engine, InstanceConfig, Listen, LogSink, ProxyConfig, ProxyHandle,
};
use crate::{Error, Surface};

/// The user a signer is built for when `--users` names none: never signed for (each session
/// signs for the user its client names).
const ANY_USER: &str = "rds_iam_proxy";

#[derive(Args)]
pub(super) struct ProxyArgs {
    /// Database endpoint (host or host:port); repeat for several databases, each on its own
    /// listener.
    #[arg(long, required = true)]
    host: Vec<String>,
    /// Database port [default: 5432, or 3306 with --engine mysql]; once for all hosts, or once
    /// per --host.
    #[arg(long)]
    port: Vec<u16>,
    /// The wire protocol: postgres or mysql (MySQL, MariaDB, Aurora MySQL) [default: mysql for
    /// port 3306, else postgres].
    #[arg(long, value_name = "postgres|mysql")]
    engine: Option<String>,
    /// Address to listen on [default: 127.0.0.1:<the database port>, the next ports for more
    /// hosts]; once per --host.
    #[arg(long)]
    listen: Vec<SocketAddr>,
    /// Listen on a unix socket in this directory instead (created 0700; `psql -h DIR`).
    #[arg(long, value_name = "DIR", conflicts_with = "listen")]
    unix_socket: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
    /// PEM roots for the database's certificate instead of the system roots + the RDS bundle.
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// The users that may log in, comma-separated [default: any].
    #[arg(long, value_delimiter = ',')]
    users: Vec<String>,
    /// TLS towards clients: `auto` (a self-signed certificate made at start) or CERT:KEY.
    #[arg(long, value_name = "auto|CERT:KEY")]
    client_tls: Option<String>,
    /// Refuse clients that do not turn TLS on (psql sslmode=require, mysql --ssl); needs
    /// --client-tls.
    #[arg(long)]
    client_tls_required: bool,
    /// Client sessions open at once [default: 0, no limit].
    #[arg(long, default_value_t = 0)]
    max_connections: usize,
    /// How long open sessions may go on after SIGTERM (30s, 2m, 500ms).
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    max_sigterm_delay: Duration,
    /// A client must finish its startup within this.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    client_timeout: Duration,
    /// Health and metrics on this address: /startup, /liveness, /readiness, /metrics; loopback
    /// unless --allow-non-loopback.
    #[arg(long)]
    http_address: Option<SocketAddr>,
    /// One JSON object per log line.
    #[arg(long)]
    structured_logs: bool,
    /// Log in once per database (as the first of --users) before serving; exit 1 with the cause
    /// if that fails.
    #[arg(long)]
    run_connection_test: bool,
    /// Allow --listen and --http-address on an address other than loopback: anyone who reaches
    /// the listener logs in as this machine's IAM identity, and /metrics names the databases.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Check, from these settings, what stands between this machine and a login; then exit.
    #[arg(long)]
    doctor: bool,
}

/// `30s`, `2m`, `500ms`, `1h` or plain seconds.
fn parse_duration(s: &str) -> Result<Duration, String> {
    let (number, unit) = s
        .find(|c: char| !c.is_ascii_digit())
        .map_or((s, "s"), |i| s.split_at(i));
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (30s, 2m, 500ms)"))?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("`{s}`: use ms, s, m or h")),
    })
}

/// The value for instance `i` of a flag given once for all or once per host.
fn per_host<T: Clone>(
    values: &[T],
    i: usize,
    hosts: usize,
    flag: &str,
) -> Result<Option<T>, Error> {
    match values.len() {
        0 => Ok(None),
        1 => Ok(Some(values[0].clone())),
        n if n == hosts => Ok(Some(values[i].clone())),
        n => Err(Error::invalid_argument(
            "proxy",
            format!(
                "{flag} was given {n} times for {hosts} --host: give it once, or once per --host"
            ),
        )),
    }
}

fn client_tls(spec: &str) -> Result<ClientTls, Error> {
    if spec == "auto" {
        return Ok(ClientTls::Auto);
    }
    match spec.split_once(':') {
        Some((cert, key)) if !cert.is_empty() && !key.is_empty() => Ok(ClientTls::Files {
            cert: cert.into(),
            key: key.into(),
        }),
        _ => Err(Error::invalid_argument(
            "client_tls",
            format!("`{spec}` is neither `auto` nor CERT:KEY (two PEM files)"),
        )),
    }
}

fn config(a: &ProxyArgs) -> Result<ProxyConfig, Error> {
    let hosts = a.host.len();
    if a.listen.len() > 1 && a.listen.len() != hosts {
        return Err(Error::invalid_argument(
            "listen",
            "give --listen once per --host",
        ));
    }
    let users = (!a.users.is_empty()).then(|| a.users.clone());
    let tls = a.client_tls.as_deref().map(client_tls).transpose()?;
    if a.client_tls_required && tls.is_none() {
        return Err(Error::invalid_argument(
            "client_tls_required",
            "--client-tls-required needs --client-tls (auto, or CERT:KEY) to offer the TLS it requires",
        ));
    }
    let engine = match a.engine.as_deref() {
        Some(name) => Some(Engine::from_name(name).ok_or_else(|| {
            Error::invalid_argument(
                "engine",
                format!("`{name}` is not an engine; use postgres or mysql"),
            )
        })?),
        None => None,
    };
    let mut instances = Vec::new();
    for (i, host) in a.host.iter().enumerate() {
        let mut o = a.common.options(host.clone());
        o.port = per_host(&a.port, i, hosts, "--port")?
            .or((engine == Some(Engine::Mysql)).then_some(Engine::Mysql.default_port()));
        o.user = Some(users.as_ref().map_or(ANY_USER.to_owned(), |u| u[0].clone()));
        let signer = o.build()?;
        let engine = engine.unwrap_or(if signer.port() == 3306 {
            Engine::Mysql
        } else {
            Engine::Postgres
        });
        let listen = match (&a.unix_socket, a.listen.get(i)) {
            (Some(dir), _) if hosts == 1 => Listen::UnixDir(dir.clone()),
            (Some(dir), _) => Listen::UnixDir(dir.join(signer.host())),
            (None, Some(addr)) => Listen::Tcp(*addr),
            (None, None) => {
                let port = signer.port().checked_add(i as u16).unwrap_or(signer.port());
                Listen::Tcp(SocketAddr::from(([127, 0, 0, 1], port)))
            }
        };
        instances.push(InstanceConfig {
            signer,
            engine,
            listen,
            users: users.clone(),
            ca: a.ca.clone(),
            client_tls: tls.clone(),
            client_tls_required: a.client_tls_required,
            allow_non_loopback: a.allow_non_loopback,
        });
    }
    let mut c = ProxyConfig::new(instances);
    c.max_connections = a.max_connections;
    c.max_sigterm_delay = a.max_sigterm_delay;
    c.client_timeout = a.client_timeout;
    c.http_address = a.http_address;
    c.allow_non_loopback_http = a.allow_non_loopback;
    c.log = if a.structured_logs {
        LogSink::Json
    } else {
        LogSink::Text
    };
    Ok(c)
}

/// Runs the command; returns the exit status. The log lines it queued are written first.
pub(super) fn run(a: ProxyArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let status = serve(a, out, err);
    proxy::flush_logs();
    status
}

fn serve(a: ProxyArgs, out: &mut dyn Write, err: &mut dyn Write) -> Result<i32, Error> {
    let c = config(&a)?;
    let log = c.log;
    for i in &c.instances {
        if let Some(note) = i.signer.signed_port_note(Surface::Cli) {
            proxy::log_line(log, proxy::Level::Warn, &label(i), &note);
        }
        if matches!(&i.listen, Listen::Tcp(addr) if !addr.ip().is_loopback())
            && i.allow_non_loopback
        {
            proxy::log_line(log, proxy::Level::Warn, &label(i), "listening beyond loopback: anyone who reaches this port logs in as this machine's IAM identity");
        }
    }
    if a.doctor {
        return Ok(doctor(&a, &c, out));
    }
    if a.run_connection_test {
        for i in &c.instances {
            let Some(user) = i.users.as_ref().and_then(|u| u.first()) else {
                return Err(Error::invalid_argument(
                    "run_connection_test",
                    "--run-connection-test logs in as the first of --users; pass --users",
                ));
            };
            if let Err(why) = proxy::connection_test(i, user, c.upstream_timeout) {
                let _ = writeln!(err, "error: the connection test as {user} failed: {why}");
                return Ok(1);
            }
            proxy::log_line(
                log,
                proxy::Level::Info,
                &label(i),
                &format!("connection test passed: logged in as {user}"),
            );
        }
    }
    let handle = ProxyHandle::start(c)?;
    if let Some(addr) = handle.http_address() {
        proxy::log_line(
            log,
            proxy::Level::Info,
            "",
            &format!("health and metrics on http://{addr}/"),
        );
    }
    Ok(handle.run_until_signalled())
}

fn label(i: &InstanceConfig) -> String {
    format!("{}:{}", i.signer.host(), i.signer.port())
}

/// `--doctor`: `rds-iam doctor` for each database, as the first of `--users`, with the
/// proxy's own settings (region, profile, role, sign host).
fn doctor(a: &ProxyArgs, c: &ProxyConfig, out: &mut dyn Write) -> i32 {
    let mut passed = true;
    for i in &c.instances {
        let user = i.users.as_ref().and_then(|u| u.first()).cloned();
        let _ = writeln!(out, "== {} ==", label(i));
        let Some(user) = user else {
            let missing = super::check::Check {
                name: "users",
                status: super::check::Status::Fail,
                detail: "pass --users: the doctor checks a login as the first of them".into(),
            };
            let _ = out.write_all(super::doctor::render(&[missing]).as_bytes());
            passed = false;
            continue;
        };
        let builder = a
            .common
            .builder(i.signer.host().to_owned())
            .port(i.signer.port())
            .user(user.clone());
        let checks = super::doctor::examine(super::doctor::Question {
            mysql: i.engine == Engine::Mysql,
            host: i.signer.host().to_owned(),
            port: Some(i.signer.port()),
            user,
            region: a.common.region.clone(),
            sign_host: a.common.sign_host.clone(),
            profile: a.common.profile.clone(),
            builder,
            kind: crate::TokenKind::Rds,
        });
        passed &= super::doctor::passed(&checks);
        let _ = out.write_all(super::doctor::render(&checks).as_bytes());
    }
    if passed {
        0
    } else {
        1
    }
}
