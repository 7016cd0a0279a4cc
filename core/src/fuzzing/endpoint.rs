//! The endpoint parser (endpoint.rs) and the connection URL (url.rs): user input that
//! becomes a token's host or a URL's parts.

use percent_encoding::percent_decode_str;

use crate::endpoint::{is_tunnel_address, names_port};
use crate::{host_kind, infer_region, is_region, ConnectionUrl, Endpoint, Signer};
use crate::{UrlDriver, UrlOptions};

/// A password no parse may echo (a URL's password may be a token).
const SECRET: &str = "Zq7SecretTokenXw";

/// `host[:port]` as users pass it. A parsed endpoint prints as `host:port` and parses back to
/// itself; user info in front of any input is refused without the password in the error.
pub fn endpoint(data: &[u8]) {
    let Some((&port_byte, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    if input.contains(SECRET) {
        return; // an input may echo itself; only the password put in front may not show
    }
    // The first byte picks the caller's port: none, a common one, or an odd one.
    let port = match port_byte % 4 {
        0 => None,
        1 => Some(5432),
        2 => Some(3306),
        _ => Some(u16::from(port_byte)),
    };
    let _ = (host_kind(input), infer_region(input), is_region(input));
    let _ = (names_port(input), is_tunnel_address(input));
    if let Ok(e) = Endpoint::parse(input, port) {
        let again = Endpoint::parse(&e.to_string(), None).expect("an endpoint's text parses");
        assert_eq!(again, e);
        assert_eq!(
            Endpoint::parse_with_default(e.host(), e.port()).expect("its host parses"),
            e
        );
    }
    for with_password in [
        format!("user:{SECRET}@{input}"),
        format!("postgresql://user:{SECRET}@{input}"),
    ] {
        let error = Endpoint::parse(&with_password, port).expect_err("user info is refused");
        assert!(!error.to_string().contains(SECRET), "{error}");
        assert!(!format!("{error:?}").contains(SECRET), "{error:?}");
    }
}

/// A connection URL from a host, user, database and token (NUL-separated): each part must
/// decode back from the URL exactly, so that no value can add a host, a user or a query.
pub fn connection_url(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(4, '\0');
    let (host, user) = (parts.next().unwrap_or_default(), parts.next());
    let (database, token) = (parts.next(), parts.next().unwrap_or("token"));
    let mut builder = Signer::builder(host).region("us-east-1");
    if let Some(user) = user {
        builder = builder.user(user);
    }
    let Ok(signer) = builder.build() else { return };
    // A host the signer accepted is one it dials: it never needs a name lookup here (no
    // sign_host, so the URL names the host itself).
    for driver in [UrlDriver::Postgresql, UrlDriver::Mysql] {
        let options = UrlOptions {
            driver,
            database: database.map(str::to_owned),
            ca_file: Some("/etc/ssl/a ca?&#.pem".into()),
        };
        let Ok(url) = ConnectionUrl::new(&signer, &options) else {
            continue;
        };
        let full = url.with_token(token);
        let (_, after_scheme) = full.split_once("://").expect("a scheme");
        let (user_info, after_at) = after_scheme.split_once('@').expect("user info");
        let (user_part, token_part) = user_info.split_once(':').expect("user:token");
        assert_eq!(decode(user_part), signer.user().unwrap_or_default());
        assert_eq!(decode(token_part), token);
        assert!(!after_at.contains('@'), "a second @ in {after_at}");
        let (hosts, path_query) = after_at.split_once('/').expect("a path");
        assert!(hosts.ends_with(&format!(":{}", signer.port())), "{hosts}");
        let (path, query) = path_query.split_once('?').expect("a query");
        match options.database.as_deref() {
            Some(db) => assert_eq!(decode(path), db),
            None => assert!(path.is_empty() || path == "postgres"),
        }
        assert!(!query.contains('#'), "an unencoded # in {query}");
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s)
        .decode_utf8()
        .expect("UTF-8")
        .into_owned()
}
