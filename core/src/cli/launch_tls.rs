//! The TLS settings `rds-iam psql` / `rds-iam mysql` give the client they launch: verify the
//! server with the system roots + the RDS bundle (one root file, see [`crate::tls::trust_file`])
//! and, through a tunnel, against the name the token is signed for. The user's own settings
//! (PGSSLMODE / PGSSLROOTCERT / `sslmode=` / `--ssl*` flags) are left exactly as given.

use std::net::{IpAddr, ToSocketAddrs};

use crate::error::{Error, Result};

/// What to change for psql: new arguments and environment variables to set.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PsqlTls {
    pub(crate) args: Vec<String>,
    pub(crate) env: Vec<(&'static str, String)>,
}

fn env_set(k: &str) -> bool {
    std::env::var_os(k).is_some_and(|v| !v.is_empty())
}

/// psql: `PGSSLMODE=verify-full` + `PGSSLROOTCERT=<trust file>` unless chosen; with a tunnel
/// (`signed` differs from the dialled `host`), `-h <signed>` and `PGHOSTADDR=<addresses>`.
pub(crate) fn psql(
    args: &[String],
    host: &str,
    port: u16,
    signed: Option<&str>,
    trust: impl FnOnce() -> Result<String>,
) -> Result<PsqlTls> {
    let mut out = PsqlTls {
        args: args.to_vec(),
        env: Vec::new(),
    };
    let in_args = |k: &str| args.iter().any(|a| a.contains(&format!("{k}=")));
    if !env_set("PGSSLMODE") && !in_args("sslmode") {
        out.env.push(("PGSSLMODE", "verify-full".into()));
        if !env_set("PGSSLROOTCERT") && !in_args("sslrootcert") {
            out.env.push(("PGSSLROOTCERT", trust()?));
        }
    }
    if let Some(name) = signed {
        if !env_set("PGHOSTADDR") && !in_args("hostaddr") {
            let addrs = addresses(host, port)?;
            let hosts = vec![name; addrs.len()].join(",");
            out.args = replace_host(args, &hosts);
            if out.args == args {
                out.env.push(("PGHOST", hosts)); // the host came from PGHOST
            }
            out.env.push(("PGHOSTADDR", addrs.join(",")));
        }
    }
    Ok(out)
}

/// mysql / mariadb flags to add: the root file unless `--ssl-ca`/`--ssl-capath` is given, and
/// verification unless the user chose a mode. The clients check the name against the dialled
/// host only, so a tunnel gets the chain checked (MySQL `VERIFY_CA`) and a note on stderr.
pub(crate) fn mysql(
    args: &[String],
    mariadb: bool,
    tunnel: bool,
    trust: impl FnOnce() -> Result<String>,
) -> Result<Vec<String>> {
    let has = |p: &str| args.iter().any(|a| a.starts_with(p));
    let chose_mode = has("--ssl-mode")
        || has("--ssl-verify-server-cert")
        || has("--skip-ssl")
        || has("--disable-ssl")
        || has("--ssl=")
        || args.iter().any(|a| a == "--ssl");
    let mut flags = Vec::new();
    if chose_mode && (has("--skip-ssl") || has("--disable-ssl") || has("--ssl=0")) {
        return Ok(flags);
    }
    if !has("--ssl-ca") && !has("--ssl-capath") {
        flags.push(format!("--ssl-ca={}", trust()?));
    }
    if !chose_mode {
        if tunnel {
            eprintln!(
                "rds-iam: the mysql client checks the certificate's name against the address it \
                 dials, not --sign-host: only the chain is verified through this tunnel"
            );
        }
        match (mariadb, tunnel) {
            (true, false) => flags.extend(["--ssl".into(), "--ssl-verify-server-cert".into()]),
            (true, true) => flags.push("--ssl".into()),
            (false, false) => flags.push("--ssl-mode=VERIFY_IDENTITY".into()),
            (false, true) => flags.push("--ssl-mode=VERIFY_CA".into()),
        }
    }
    Ok(flags)
}

/// Every address `host` resolves to (an IP literal is itself), in order, without repeats.
fn addresses(host: &str, port: u16) -> Result<Vec<String>> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![ip.to_string()]);
    }
    let mut out: Vec<String> = Vec::new();
    let resolved = (bare, port).to_socket_addrs().map_err(|e| {
        Error::argument(
            "host",
            format!("cannot resolve `{host}`: {e}; pass the tunnel's IP address"),
        )
    })?;
    for a in resolved {
        let ip = a.ip().to_string();
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    Ok(out)
}

/// `args` with psql's host flag (`-h H`, `-hH`, `--host=H`, `--host H`) set to `new`.
fn replace_host(args: &[String], new: &str) -> Vec<String> {
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if (a == "-h" || a == "--host") && i + 1 < args.len() {
            out.extend([a.clone(), new.to_owned()]);
            i += 2;
            continue;
        }
        if a.starts_with("--host=") {
            out.push(format!("--host={new}"));
        } else if a.starts_with("-h") && a.len() > 2 && !a.starts_with("--") {
            out.push(format!("-h{new}"));
        } else {
            out.push(a.clone());
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn psql_tunnel_names_the_signed_host_and_dials_the_address() {
        let t = psql(
            &v(&["-h", "127.0.0.1", "-c", "select 1"]),
            "127.0.0.1",
            5432,
            Some("db.abc.us-east-1.rds.amazonaws.com"),
            || Ok("/trust.pem".into()),
        )
        .unwrap();
        assert_eq!(
            t.args,
            v(&["-h", "db.abc.us-east-1.rds.amazonaws.com", "-c", "select 1"])
        );
        assert!(t.env.contains(&("PGHOSTADDR", "127.0.0.1".into())));
        let forms = replace_host(&v(&["-hx", "--host=y", "--host", "z", "-U", "u"]), "n");
        assert_eq!(forms, v(&["-hn", "--host=n", "--host", "n", "-U", "u"]));
    }

    #[test]
    fn psql_keeps_the_users_choice() {
        let t = psql(&v(&["sslmode=require"]), "h", 5432, None, || {
            panic!("no root file when the user chose sslmode")
        })
        .unwrap();
        assert!(t.env.is_empty());
    }

    #[test]
    fn mysql_flags_by_client_and_tunnel() {
        let trust = || Ok("/t.pem".to_string());
        assert_eq!(
            mysql(&[], true, false, trust).unwrap(),
            v(&["--ssl-ca=/t.pem", "--ssl", "--ssl-verify-server-cert"])
        );
        assert_eq!(
            mysql(&[], false, true, trust).unwrap(),
            v(&["--ssl-ca=/t.pem", "--ssl-mode=VERIFY_CA"])
        );
        assert_eq!(
            mysql(&v(&["--ssl-ca=/mine.pem"]), false, false, trust).unwrap(),
            v(&["--ssl-mode=VERIFY_IDENTITY"])
        );
        assert!(mysql(&v(&["--skip-ssl"]), true, false, trust)
            .unwrap()
            .is_empty());
    }
}
