//! `rds-iam psql …` / `rds-iam mysql …`: run the real client with a fresh token, never on its
//! command line (where `ps` shows it): psql gets it in `PGPASSWORD`, mysql in a private option
//! file that is removed when the client exits. Both verify the server (see `launch_tls`).

#[path = "launch_tls.rs"]
mod tls;

use std::ffi::OsString;
use std::io::Write;
use std::process::Command;

use crate::error::{Error, Result};
use crate::SignerBuilder;

/// Which client to launch.
#[derive(Clone, Copy)]
pub(crate) enum Client {
    Psql,
    Mysql,
}

/// Host, port and user as the client itself would read them from its flags and environment.
#[derive(Default, Debug, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) host: Option<String>,
    pub(crate) port: Option<u16>,
    pub(crate) user: Option<String>,
}

/// Reads the client's own connection flags (`-h H`, `-hH`, `--host=H`, `--host H`, …).
pub(crate) fn target(client: Client, args: &[String]) -> Result<Target> {
    let (host, port, user): (&[&str], &[&str], &[&str]) = match client {
        Client::Psql => (&["-h", "--host"], &["-p", "--port"], &["-U", "--username"]),
        Client::Mysql => (&["-h", "--host"], &["-P", "--port"], &["-u", "--user"]),
    };
    let mut t = Target::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        for (names, slot) in [(host, 0), (port, 1), (user, 2)] {
            let value = names.iter().find_map(|n| {
                if a == n {
                    args.get(i + 1).cloned()
                } else if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                    Some(v.to_owned())
                } else if n.len() == 2 && a.starts_with(n) && a.len() > 2 {
                    Some(a[2..].to_owned())
                } else {
                    None
                }
            });
            if let Some(v) = value {
                match slot {
                    0 => t.host = Some(v),
                    1 => {
                        t.port = Some(v.parse().map_err(|_| {
                            Error::argument("port", format!("`{v}` is not a port number"))
                        })?)
                    }
                    _ => t.user = Some(v),
                }
            }
        }
        i += 1;
    }
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (eh, ep, eu) = match client {
        Client::Psql => ("PGHOST", "PGPORT", "PGUSER"),
        Client::Mysql => ("MYSQL_HOST", "MYSQL_TCP_PORT", "USER"),
    };
    t.host = t.host.or_else(|| env(eh));
    t.port = t.port.or_else(|| env(ep).and_then(|p| p.parse().ok()));
    t.user = t.user.or_else(|| env(eu));
    Ok(t)
}

/// Signs a token for the client's target and runs the client; returns its exit status.
pub(crate) fn launch(
    client: Client,
    program: Option<String>,
    args: Vec<String>,
    builder: impl FnOnce(String) -> SignerBuilder,
) -> Result<i32> {
    let t = target(client, &args)?;
    let host = t
        .host
        .ok_or_else(|| Error::argument("host", "pass -h/--host (or set PGHOST / MYSQL_HOST)"))?;
    let user = t
        .user
        .ok_or_else(|| Error::argument("user", "pass the user (-U for psql, -u for mysql)"))?;
    let default_port = match client {
        Client::Psql => 5432,
        Client::Mysql => 3306,
    };
    let port = t.port.unwrap_or(default_port);
    let signer = builder(host.clone()).port(port).user(user).build()?;
    let token = signer.token_blocking()?;
    let signed = signer.spec().endpoint().host().to_owned();
    let tunnel = (!signed.eq_ignore_ascii_case(&host)).then_some(signed.as_str());
    let trust = || crate::tls::trust_file().map(|p| p.display().to_string());
    let spawn_err = |p: &str, e: std::io::Error| {
        Error::argument(
            "client",
            format!("cannot run `{p}`: {e}; install it or pass --client PATH"),
        )
    };
    match client {
        Client::Psql => {
            let program = program.unwrap_or_else(|| "psql".into());
            let mut cmd = Command::new(&program);
            let tls = tls::psql(&args, &host, port, tunnel, trust)?;
            cmd.args(&tls.args).env("PGPASSWORD", &token).envs(tls.env);
            let status = cmd.status().map_err(|e| spawn_err(&program, e))?;
            Ok(status.code().unwrap_or(1))
        }
        Client::Mysql => {
            let program = program.unwrap_or_else(|| "mysql".into());
            let file = OptionFile::create(&token)?;
            let mut full: Vec<OsString> =
                vec![format!("--defaults-extra-file={}", file.path.display()).into()];
            // MariaDB's client allows the cleartext switch by itself and calls the MySQL flag
            // obsolete; MySQL's client needs the flag and spells TLS as --ssl-mode.
            let mariadb = Command::new(&program)
                .arg("--version")
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("MariaDB"));
            if !mariadb {
                full.push("--enable-cleartext-plugin".into());
            }
            let tls = tls::mysql(&args, mariadb, tunnel.is_some(), trust)?;
            full.extend(tls.into_iter().map(OsString::from));
            full.extend(args.into_iter().map(OsString::from));
            let status = Command::new(&program)
                .args(full)
                .status()
                .map_err(|e| spawn_err(&program, e))?;
            Ok(status.code().unwrap_or(1))
        }
    }
}

/// A `[client] password=…` file readable only by us (mode 0600 on Unix; on Windows `%TEMP%` is
/// the user's own, closed to others by its ACL), deleted on drop.
struct OptionFile {
    path: std::path::PathBuf,
}

impl OptionFile {
    fn create(token: &str) -> Result<Self> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("rds-iam-{}-{nanos}.cnf", std::process::id()));
        let fail = |e: std::io::Error| {
            Error::argument(
                "client",
                format!("cannot write the temporary option file: {e}"),
            )
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut f = options.open(&path).map_err(fail)?;
        writeln!(f, "[client]\npassword=\"{token}\"").map_err(fail)?;
        Ok(OptionFile { path })
    }
}

impl Drop for OptionFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn reads_the_clients_own_flags() {
        let t = target(
            Client::Psql,
            &v(&["-h", "db", "-p5433", "--username=app", "-c", "select 1"]),
        )
        .unwrap();
        assert_eq!(
            t,
            Target {
                host: Some("db".into()),
                port: Some(5433),
                user: Some("app".into())
            }
        );
        let t = target(Client::Mysql, &v(&["--host", "db", "-P", "3307", "-uapp"])).unwrap();
        assert_eq!(
            t,
            Target {
                host: Some("db".into()),
                port: Some(3307),
                user: Some("app".into())
            }
        );
        assert!(target(Client::Psql, &v(&["-p", "nope"])).is_err());
    }
}
