//! Connection URLs for tools that take only a URL (a migration runner, `psql`, an `.env`):
//! `postgresql://user:<token>@host:port/db?sslmode=verify-full&sslrootcert=<trust file>` and
//! the MySQL form `mysql://user:<token>@host:port/db?ssl-mode=VERIFY_IDENTITY&ssl-ca=<file>`.
//!
//! **A URL freezes the token**: it stops working when the token expires (15 minutes for RDS),
//! so it is for one-off connections only; pools and long-lived programs use the driver helpers,
//! which ask for a token per connection.

use std::net::ToSocketAddrs;
use std::path::{Path, PathBuf};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::endpoint::{host_kind, HostKind};
use crate::error::{Error, Result};
use crate::options::{Message, Param};
use crate::signer::Signer;

/// Everything but RFC 3986's unreserved characters is encoded in the user, the token and the
/// database name, so no `:`, `@`, `/`, `?`, `&`, `=` or `%` of theirs is read as URL syntax.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// A file path in a query value keeps its slashes readable.
const PATH_VALUE: &AsciiSet = &COMPONENT.remove(b'/');

/// The database protocol a URL is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlDriver {
    /// `postgresql://…` with libpq's TLS parameters (`sslmode`, `sslrootcert`, `hostaddr`).
    Postgresql,
    /// `mysql://…` with the MySQL client's TLS options (`ssl-mode`, `ssl-ca`).
    Mysql,
}

impl std::str::FromStr for UrlDriver {
    type Err = Error;

    /// `"postgresql"` (or `"postgres"`) and `"mysql"` (or `"mariadb"`).
    fn from_str(name: &str) -> Result<Self> {
        match name {
            "postgresql" | "postgres" => Ok(UrlDriver::Postgresql),
            "mysql" | "mariadb" => Ok(UrlDriver::Mysql),
            other => Err(Error::argument(
                "driver",
                format!(
                    "`{}` is not a URL driver; use \"postgresql\" or \"mysql\"",
                    other.escape_debug()
                ),
            )),
        }
    }
}

/// What a connection URL holds besides the signer's endpoint, user and token.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct UrlOptions {
    /// The protocol (default PostgreSQL).
    pub driver: UrlDriver,
    /// The database name (default: none for RDS, the driver picks; `postgres` for Aurora
    /// DSQL, its only database).
    pub database: Option<String>,
    /// The CA file the client trusts (default: [`crate::tls::trust_file`], the system
    /// roots with the RDS bundle and Amazon's public roots).
    pub ca_file: Option<PathBuf>,
}

impl Default for UrlOptions {
    fn default() -> Self {
        UrlOptions {
            driver: UrlDriver::Postgresql,
            database: None,
            ca_file: None,
        }
    }
}

/// A connection URL waiting for its token: built (and checked) before a token is fetched, so
/// a bad option fails without a credential fetch.
#[derive(Clone)]
pub struct ConnectionUrl {
    /// Everything up to the password: `postgresql://user:`.
    head: String,
    /// Everything after it: `@host:port/db?…`.
    tail: String,
}

impl std::fmt::Debug for ConnectionUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ConnectionUrl({}<token>{})", self.head, self.tail)
    }
}

impl ConnectionUrl {
    /// The URL for `signer`'s endpoint and login user. Fails without a user, with an unusable
    /// database name, or when the default trust file cannot be written.
    pub fn new(signer: &Signer, options: &UrlOptions) -> Result<Self> {
        let user = signer.user().filter(|u| !u.is_empty()).ok_or_else(|| {
            Error::argument(
                Param::User,
                Message::text("a URL names the user to log in as; pass ")
                    .then_name(Param::User)
                    .then(" to the Signer"),
            )
        })?;
        let database = match &options.database {
            Some(d) if d.is_empty() || d.chars().any(char::is_control) => {
                return Err(Error::argument(
                    "database",
                    "the database name is empty or holds control characters",
                ))
            }
            Some(d) => Some(d.as_str()),
            None if signer.spec().kind().is_dsql() => Some("postgres"),
            None => None,
        };
        let ca = match &options.ca_file {
            Some(p) => p.clone(),
            None => crate::tls::trust_file()?,
        };
        let ca = path_text(&ca)?;
        let (scheme, hosts, query) = match options.driver {
            UrlDriver::Postgresql => {
                let (hosts, hostaddr) = libpq_hosts(signer)?;
                let mut query = format!("sslmode=verify-full&sslrootcert={}", encode_path(&ca));
                if let Some(addrs) = hostaddr {
                    query = format!("hostaddr={addrs}&{query}");
                }
                ("postgresql", hosts, query)
            }
            UrlDriver::Mysql => {
                // The MySQL clients check the certificate against the host they dial only: through
                // a tunnel (a signed name other than the dialled one) they can check the chain.
                let mode = if tunnelled(signer) {
                    "VERIFY_CA"
                } else {
                    "VERIFY_IDENTITY"
                };
                let hosts = format!("{}:{}", signer.host(), signer.port());
                let query = format!("ssl-mode={mode}&ssl-ca={}", encode_path(&ca));
                ("mysql", hosts, query)
            }
        };
        let path = database.map(encode).unwrap_or_default();
        Ok(ConnectionUrl {
            head: format!("{scheme}://{}:", encode(user)),
            tail: format!("@{hosts}/{path}?{query}"),
        })
    }

    /// The URL with `token` as its password, percent-encoded.
    pub fn with_token(&self, token: &str) -> String {
        format!("{}{}{}", self.head, encode(token), self.tail)
    }
}

impl Signer {
    /// A connection URL with a token from [`Self::token`] (see [`ConnectionUrl`]): the options
    /// are checked before any credential fetch, which then runs without blocking the caller's
    /// runtime. **The URL freezes the token: for one-off connections only.**
    pub async fn connection_url(&self, options: &UrlOptions) -> Result<String> {
        let url = ConnectionUrl::new(self, options)?;
        Ok(url.with_token(&self.token().await?))
    }

    /// A connection URL with a token from [`Self::token_blocking`] (see [`ConnectionUrl`]).
    /// **The URL freezes the token: for one-off connections only.**
    pub fn connection_url_blocking(&self, options: &UrlOptions) -> Result<String> {
        let url = ConnectionUrl::new(self, options)?;
        Ok(url.with_token(&self.token_blocking()?))
    }
}

fn encode(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

fn encode_path(s: &str) -> String {
    utf8_percent_encode(s, PATH_VALUE).to_string()
}

fn path_text(p: &Path) -> Result<String> {
    p.to_str().map(str::to_owned).ok_or_else(|| {
        Error::argument(
            "ca",
            "the CA file's path is not UTF-8, so a URL cannot carry it; use another path",
        )
    })
}

/// True when the signer signs for another name than the host it dials (`sign_host`, or a
/// `cluster_id` with a tunnel `host`).
fn tunnelled(signer: &Signer) -> bool {
    !signer
        .host()
        .eq_ignore_ascii_case(signer.spec().endpoint().host())
}

/// The URL's host list and libpq `hostaddr`. Through a tunnel libpq must check the certificate
/// against the signed name: `host=<signed name>` with `hostaddr=<dialled address>`, one pair per
/// address a dialled DNS name has (libpq keeps its fail-over).
fn libpq_hosts(signer: &Signer) -> Result<(String, Option<String>)> {
    let port = signer.port();
    if !tunnelled(signer) {
        return Ok((format!("{}:{port}", signer.host()), None));
    }
    let dialled = signer.host();
    let addrs: Vec<String> = if host_kind(dialled) == HostKind::IpAddress {
        vec![dialled.trim_matches(['[', ']']).to_owned()]
    } else {
        let found = (dialled, port).to_socket_addrs().map_err(|e| {
            Error::endpoint(format!(
                "cannot resolve `{dialled}` for the URL's hostaddr ({e}); pass its address as `host`"
            ))
        })?;
        let mut addrs: Vec<String> = found.map(|a| a.ip().to_string()).collect();
        addrs.dedup();
        addrs
    };
    let name = signer.spec().endpoint().host();
    let hosts = vec![format!("{name}:{port}"); addrs.len()].join(",");
    Ok((hosts, Some(addrs.join(","))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, SignerOptions};

    fn signer(host: &str, user: Option<&str>, sign_host: Option<&str>) -> Signer {
        let mut o = SignerOptions::new(host);
        o.user = user.map(str::to_owned);
        o.sign_host = sign_host.map(str::to_owned);
        o.region = Some("us-east-1".into());
        o.credentials = Some(Credentials::new("AKID", "secret", None, None, "test"));
        o.build().unwrap()
    }

    fn options(driver: UrlDriver, database: Option<&str>) -> UrlOptions {
        UrlOptions {
            driver,
            database: database.map(str::to_owned),
            ca_file: Some("/etc/ca dir/ca.pem".into()),
        }
    }

    #[test]
    fn postgres_urls_encode_every_part_and_verify_the_server() {
        let s = signer("db.abc.us-east-1.rds.amazonaws.com", Some("a:b@c"), None);
        let url = ConnectionUrl::new(&s, &options(UrlDriver::Postgresql, Some("my/db")))
            .unwrap()
            .with_token("h:5432/?Action=connect&X-Amz-Credential=AKID%2F20260101");
        assert_eq!(
            url,
            "postgresql://a%3Ab%40c:h%3A5432%2F%3FAction%3Dconnect%26X-Amz-Credential%3DAKID%252F20260101\
             @db.abc.us-east-1.rds.amazonaws.com:5432/my%2Fdb\
             ?sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.pem"
        );
    }

    #[test]
    fn a_tunnel_checks_the_signed_name_libpq_with_hostaddr_mysql_the_chain_only() {
        let name = "db.abc.us-east-1.rds.amazonaws.com";
        let s = signer("127.0.0.1:6000", Some("app"), Some(name));
        let pg = ConnectionUrl::new(&s, &options(UrlDriver::Postgresql, None)).unwrap();
        assert_eq!(
            pg.with_token("t"),
            format!("postgresql://app:t@{name}:6000/?hostaddr=127.0.0.1&sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.pem")
        );
        let my = ConnectionUrl::new(&s, &options(UrlDriver::Mysql, Some("app"))).unwrap();
        assert_eq!(
            my.with_token("t"),
            "mysql://app:t@127.0.0.1:6000/app?ssl-mode=VERIFY_CA&ssl-ca=/etc/ca%20dir/ca.pem"
        );
        let direct = signer(name, Some("app"), None);
        let my = ConnectionUrl::new(&direct, &options(UrlDriver::Mysql, None)).unwrap();
        assert!(my.with_token("t").contains("ssl-mode=VERIFY_IDENTITY"));
    }

    #[test]
    fn dsql_defaults_to_its_postgres_database() {
        let mut o = SignerOptions::new("");
        o.cluster_id = Some("abcdefghijklmnopqrstuvwxyz".into());
        o.region = Some("us-east-1".into());
        o.user = Some("admin".into());
        let s = o.build().unwrap();
        let url = ConnectionUrl::new(&s, &options(UrlDriver::Postgresql, None)).unwrap();
        assert!(url.with_token("t").starts_with(
            "postgresql://admin:t@abcdefghijklmnopqrstuvwxyz.dsql.us-east-1.on.aws:5432/postgres?"
        ));
    }

    #[test]
    fn bad_options_fail_before_any_token_and_debug_hides_the_token() {
        let mut o = SignerOptions::new("abc.dsql.us-east-1.on.aws");
        o.kind = Some(crate::TokenKind::DsqlConnect);
        let s = o.build().unwrap();
        let e = ConnectionUrl::new(&s, &options(UrlDriver::Postgresql, None)).unwrap_err();
        assert!(e
            .render(crate::Surface::Node)
            .contains("pass `user` to the Signer"));
        let s = signer("db.local", Some("app"), None);
        assert!(ConnectionUrl::new(&s, &options(UrlDriver::Mysql, Some(""))).is_err());
        assert!("sqlite".parse::<UrlDriver>().is_err());
        let url = ConnectionUrl::new(&s, &options(UrlDriver::Postgresql, None)).unwrap();
        assert!(format!("{url:?}").contains("<token>"));
    }
}
