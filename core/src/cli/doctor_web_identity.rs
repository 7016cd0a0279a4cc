//! `rds-iam doctor`'s web identity section (EKS IRSA, GitHub OIDC, …): what STS will check when
//! it is handed the token file, and whether it can fetch the issuer's keys.
//!
//! The JWT is decoded, never verified and never printed: only its `iss`, `aud`, `sub` and
//! `exp` claims are shown. The issuer's discovery document and JWKS are fetched the way STS
//! fetches them, through the same HTTP/TLS stack (aws-smithy-http-client, rustls) the
//! credential providers use, so `http://` test issuers and `https://` real ones both work.

use std::borrow::Cow;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_smithy_json::deserialize::{json_token_iter, token::skip_value, Token};
use aws_smithy_types::Number;

use super::doctor::{Check, Status};

/// STS gives up on an identity provider that takes longer than this (its troubleshooting guide).
const STS_IDP_LIMIT: Duration = Duration::from_secs(5);
/// How long the doctor itself waits for each issuer document.
const FETCH_LIMIT: Duration = Duration::from_secs(10);
const NAME: &str = "web identity";

/// Where the chain finds a web identity token: the environment or a profile.
struct Config {
    token_file: String,
    role_arn: Option<String>,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, or `profile "p"`.
    origin: String,
}

/// The web identity checks, when the chain's source is web identity (nothing otherwise).
pub(crate) fn checks(profile: Option<&str>) -> Vec<Check> {
    let Some(config) = config(profile) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut add = |status, detail: String| {
        out.push(Check {
            name: NAME,
            status,
            detail,
        })
    };
    let role = match &config.role_arn {
        Some(r) => (Status::Info, format!("role {r}")),
        None => (
            Status::Fail,
            "no role: set AWS_ROLE_ARN (or `role_arn` in the profile)".into(),
        ),
    };
    add(
        role.0,
        format!(
            "token file {} (from {}); {}",
            config.token_file, config.origin, role.1
        ),
    );
    let text = match std::fs::read_to_string(&config.token_file) {
        Ok(t) => t,
        Err(e) => {
            add(Status::Fail, format!("cannot read the token file: {e}; on EKS check the pod's service account and its projected token volume"));
            return out;
        }
    };
    let claims = match Claims::decode(text.trim()) {
        Ok(c) => c,
        Err(why) => {
            add(
                Status::Fail,
                format!("the token file does not hold a JWT ({why})"),
            );
            return out;
        }
    };
    for (status, detail) in claims.notes(SystemTime::now()) {
        add(status, detail);
    }
    if let Some(iss) = &claims.iss {
        for (status, detail) in issuer_notes(iss) {
            add(status, detail);
        }
    }
    out
}

/// The web identity configuration the chain will use, if any.
fn config(profile: Option<&str>) -> Option<Config> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    if profile.is_none() && var("AWS_ACCESS_KEY_ID").is_some() {
        return None; // Environment keys come first.
    }
    if let Some(found) = profile_config(profile) {
        return Some(found);
    }
    if profile.is_some() {
        return None;
    }
    Some(Config {
        token_file: var("AWS_WEB_IDENTITY_TOKEN_FILE")?,
        role_arn: var("AWS_ROLE_ARN"),
        origin: "AWS_WEB_IDENTITY_TOKEN_FILE".into(),
    })
}

/// The selected profile's `web_identity_token_file` (following `source_profile`), if it has one.
fn profile_config(profile: Option<&str>) -> Option<Config> {
    use aws_runtime::env_config::file::EnvConfigFiles;
    use aws_types::os_shim_internal::{Env, Fs};
    let (fs, env, files) = (Fs::real(), Env::real(), EnvConfigFiles::default());
    let load =
        aws_config::profile::load(&fs, &env, &files, profile.map(|p| Cow::Owned(p.to_owned())));
    let set = crate::runtime::runtime().ok()?.block_on(load).ok()?;
    let mut name = set.selected_profile();
    for _ in 0..8 {
        let p = set.get_profile(name)?;
        if let Some(file) = p.get("web_identity_token_file") {
            return Some(Config {
                token_file: file.to_owned(),
                role_arn: p.get("role_arn").map(str::to_owned),
                origin: format!("profile \"{name}\""),
            });
        }
        name = p.get("source_profile").filter(|s| *s != name)?;
    }
    None
}

/// The claims STS checks, from the token's payload.
#[derive(Debug, Default, PartialEq)]
struct Claims {
    iss: Option<String>,
    aud: Vec<String>,
    sub: Option<String>,
    exp: Option<i64>,
}

impl Claims {
    /// Decodes (never verifies) a compact JWT's payload.
    fn decode(jwt: &str) -> Result<Claims, &'static str> {
        let mut parts = jwt.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("expected three dot-separated parts");
        };
        let json = base64url(payload).ok_or("its payload is not base64url")?;
        let text = std::str::from_utf8(&json).map_err(|_| "its payload is not UTF-8")?;
        let fields = top_level(text).ok_or("its payload is not a JSON object")?;
        let mut claims = Claims::default();
        for (key, value) in fields {
            match (key.as_str(), value) {
                ("iss", Json::Str(s)) => claims.iss = Some(s),
                ("sub", Json::Str(s)) => claims.sub = Some(s),
                ("aud", Json::Str(s)) => claims.aud = vec![s],
                ("aud", Json::Strs(v)) => claims.aud = v,
                ("exp", Json::Int(n)) => claims.exp = Some(n),
                _ => {}
            }
        }
        Ok(claims)
    }

    /// What the claims mean for STS at `now`.
    fn notes(&self, now: SystemTime) -> Vec<(Status, String)> {
        let mut notes = Vec::new();
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(missing)".into());
        let aud = if self.aud.is_empty() {
            "(missing)".into()
        } else {
            self.aud.join(", ")
        };
        let now_s = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let (status, exp) = match self.exp {
            None => (Status::Warn, "exp (missing)".to_owned()),
            Some(exp) if exp <= now_s => (
                Status::Fail,
                format!(
                    "exp {} — EXPIRED {} min ago: STS answers \"Token expired\"; on EKS the kubelet rewrites the projected token (refreshes at 80% of its life), so an expired file means the rotation stopped or a copy of the token is being read",
                    rfc3339(exp),
                    (now_s - exp) / 60
                ),
            ),
            Some(exp) => (
                Status::Pass,
                format!("exp {} ({} min left)", rfc3339(exp), (exp - now_s) / 60),
            ),
        };
        notes.push((
            status,
            format!(
                "token claims (decoded, not verified): iss {}, aud {aud}, sub {}, {exp}",
                show(&self.iss),
                show(&self.sub)
            ),
        ));
        let provider = self.iss.as_deref().map_or_else(
            || "<issuer>".to_owned(),
            |i| {
                i.trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .to_owned()
            },
        );
        let mut trust = format!(
            "the role's trust policy must allow sts:AssumeRoleWithWebIdentity for the IAM OIDC provider {provider} (registered in IAM, else \"No OpenIDConnect provider found\") with {provider}:sub = \"{}\" and {provider}:aud = \"{}\"",
            show(&self.sub),
            self.aud.first().map_or("sts.amazonaws.com", String::as_str)
        );
        if !self.aud.iter().any(|a| a == "sts.amazonaws.com") {
            trust.push_str("; EKS and most issuers use aud sts.amazonaws.com: an audience the provider does not list gets \"Incorrect token audience\"");
        }
        notes.push((Status::Info, trust));
        notes
    }
}

/// The discovery document and JWKS, fetched as STS fetches them.
fn issuer_notes(iss: &str) -> Vec<(Status, String)> {
    let mut notes = vec![(Status::Info, format!("STS fetches {iss}/.well-known/openid-configuration and its jwks_uri from the public internet: an issuer that is private, firewalled or slower than 5 s fails with \"Couldn't retrieve verification key\""))];
    if !iss.starts_with("https://") || is_private_host(iss) {
        notes.push((
            Status::Warn,
            format!("{iss} is not a public https issuer: STS cannot reach it"),
        ));
    }
    let discovery_url = format!(
        "{}/.well-known/openid-configuration",
        iss.trim_end_matches('/')
    );
    let discovery = fetch(&discovery_url);
    let (status, detail) = describe("discovery document", &discovery_url, &discovery, false);
    notes.push((status, detail));
    let Ok(doc) = discovery else {
        return notes;
    };
    if doc.status != 200 {
        return notes;
    }
    let jwks_uri = std::str::from_utf8(&doc.body)
        .ok()
        .and_then(top_level)
        .and_then(|fields| {
            fields.into_iter().find_map(|(k, v)| match (k.as_str(), v) {
                ("jwks_uri", Json::Str(s)) => Some(s),
                _ => None,
            })
        });
    let Some(jwks_uri) = jwks_uri else {
        notes.push((
            Status::Fail,
            "the discovery document has no jwks_uri: STS cannot find the signing keys".into(),
        ));
        return notes;
    };
    let jwks = fetch(&jwks_uri);
    notes.push(describe("JWKS", &jwks_uri, &jwks, true));
    notes
}

/// One fetched document.
struct Fetched {
    status: u16,
    took: Duration,
    no_cache: Vec<String>,
    body: Vec<u8>,
}

/// A line for one fetch: status and time, and the warnings STS's guide names.
fn describe(
    what: &str,
    url: &str,
    fetched: &Result<Fetched, String>,
    is_jwks: bool,
) -> (Status, String) {
    let f = match fetched {
        Ok(f) => f,
        Err(e) => return (Status::Fail, format!("{what} {url}: {e}")),
    };
    let ms = f.took.as_millis();
    let mut status = Status::Pass;
    let mut detail = format!("{what} {url}: HTTP {} in {ms} ms", f.status);
    if f.status != 200 {
        status = Status::Fail;
        detail.push_str("; STS needs a 200 here");
    }
    if f.took > STS_IDP_LIMIT {
        status = status.max_with(Status::Warn);
        detail.push_str("; slower than the 5 s STS waits");
    }
    if is_jwks && !f.no_cache.is_empty() {
        status = status.max_with(Status::Warn);
        detail.push_str(&format!(
            "; it sends {}: STS cannot cache the keys and fetches them on every call, so throttling or a slow answer fails some calls",
            f.no_cache.join(" and ")
        ));
    }
    (status, detail)
}

impl Status {
    /// The worse of two statuses.
    fn max_with(self, other: Status) -> Status {
        let rank = |s| match s {
            Status::Pass => 0,
            Status::Info => 1,
            Status::Warn => 2,
            Status::Fail => 3,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// GETs `url` on the library's runtime, within [`FETCH_LIMIT`].
fn fetch(url: &str) -> Result<Fetched, String> {
    let rt = crate::runtime::runtime().map_err(|e| e.to_string())?;
    let url = url.to_owned();
    rt.block_on(async move {
        let started = Instant::now();
        match tokio::time::timeout(FETCH_LIMIT, get(&url)).await {
            Ok(Ok((status, no_cache, body))) => Ok(Fetched {
                status,
                took: started.elapsed(),
                no_cache,
                body,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("no answer within {} s", FETCH_LIMIT.as_secs())),
        }
    })
}

/// One GET through aws-smithy-http-client (rustls, proxies from the environment as aws-config).
async fn get(url: &str) -> Result<(u16, Vec<String>, Vec<u8>), String> {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
    use aws_smithy_http_client::Connector;
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::byte_stream::ByteStream;

    let connector = Connector::builder()
        .proxy_config(ProxyConfig::from_env())
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .build();
    let request = http::Request::get(url)
        .header("user-agent", "rds-iam-doctor")
        .header("accept", "application/json")
        .body(SdkBody::empty())
        .map_err(|e| format!("not a URL: {e}"))?;
    let request = aws_smithy_runtime_api::http::Request::try_from(request)
        .map_err(|e| format!("not a URL: {e}"))?;
    let response = connector.call(request).await.map_err(|e| error_chain(&e))?;
    let status = response.status().as_u16();
    let no_cache = ["cache-control", "pragma"]
        .into_iter()
        .filter_map(|h| {
            let v = response.headers().get(h)?;
            v.to_ascii_lowercase().contains("no-cache").then(|| {
                format!(
                    "{}: {v}",
                    if h == "pragma" {
                        "Pragma"
                    } else {
                        "Cache-Control"
                    }
                )
            })
        })
        .collect();
    let body = ByteStream::new(response.into_body())
        .collect()
        .await
        .map_err(|e| error_chain(&e))?
        .into_bytes()
        .to_vec();
    Ok((status, no_cache, body))
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut next = err.source();
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// Loopback, private or link-local addresses and `localhost` (STS cannot reach them).
fn is_private_host(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(authority, |(h, _)| h)
        .trim_start_matches('[')
        .trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => ip.is_loopback() || ip.is_private() || ip.is_link_local(),
        Ok(std::net::IpAddr::V6(ip)) => ip.is_loopback() || (ip.segments()[0] & 0xfe00) == 0xfc00,
        Err(_) => false,
    }
}

/// A JSON value the checks read.
enum Json {
    Str(String),
    Strs(Vec<String>),
    Int(i64),
    Other,
}

/// The top-level fields of a JSON object (strings, arrays of strings, integers).
fn top_level(text: &str) -> Option<Vec<(String, Json)>> {
    let mut tokens = json_token_iter(text.as_bytes()).peekable();
    let Some(Ok(Token::StartObject { .. })) = tokens.next() else {
        return None;
    };
    let mut out = Vec::new();
    loop {
        let key = match tokens.next()?.ok()? {
            Token::EndObject { .. } => return Some(out),
            Token::ObjectKey { key, .. } => key.to_unescaped().ok()?.into_owned(),
            _ => return None,
        };
        let value = match tokens.peek()?.as_ref().ok()? {
            Token::ValueString { value, .. } => {
                let s = value.to_unescaped().ok()?.into_owned();
                tokens.next();
                Json::Str(s)
            }
            Token::ValueNumber { value, .. } => {
                let n = match value {
                    Number::PosInt(n) => i64::try_from(*n).ok(),
                    Number::NegInt(n) => Some(*n),
                    Number::Float(f) => Some(*f as i64),
                };
                tokens.next();
                n.map_or(Json::Other, Json::Int)
            }
            Token::StartArray { .. } => {
                tokens.next();
                let mut items = Vec::new();
                loop {
                    match tokens.next()?.ok()? {
                        Token::EndArray { .. } => break,
                        Token::ValueString { value, .. } => {
                            items.push(value.to_unescaped().ok()?.into_owned())
                        }
                        _ => return None,
                    }
                }
                Json::Strs(items)
            }
            _ => {
                skip_value(&mut tokens).ok()?;
                Json::Other
            }
        };
        out.push((key, value));
    }
}

/// Decodes base64url without padding (as JWTs carry it).
fn base64url(part: &str) -> Option<Vec<u8>> {
    let mut std: String = part
        .chars()
        .map(|c| match c {
            '-' => '+',
            '_' => '/',
            c => c,
        })
        .collect();
    while std.len() % 4 != 0 {
        std.push('=');
    }
    aws_smithy_types::base64::decode(std).ok()
}

/// A Unix time as RFC 3339 (UTC).
fn rfc3339(secs: i64) -> String {
    aws_smithy_types::DateTime::from_secs(secs)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = aws_smithy_types::base64::encode(payload)
            .trim_end_matches('=')
            .replace('+', "-")
            .replace('/', "_");
        format!("eyJhbGciOiJSUzI1NiJ9.{b64}.c2ln")
    }

    #[test]
    fn decodes_the_claims_sts_checks() {
        let c = Claims::decode(&jwt(
            r#"{"iss":"https://oidc.eks.eu-west-1.amazonaws.com/id/ABC","aud":["sts.amazonaws.com"],"sub":"system:serviceaccount:ns:app","exp":1900000000,"kubernetes.io":{"pod":{"name":"x"}},"iat":1}"#,
        ))
        .unwrap();
        assert_eq!(
            c,
            Claims {
                iss: Some("https://oidc.eks.eu-west-1.amazonaws.com/id/ABC".into()),
                aud: vec!["sts.amazonaws.com".into()],
                sub: Some("system:serviceaccount:ns:app".into()),
                exp: Some(1_900_000_000),
            }
        );
        let single = Claims::decode(&jwt(r#"{"aud":"my-app","exp":5}"#)).unwrap();
        assert_eq!(single.aud, ["my-app"]);
        assert!(Claims::decode("not-a-jwt").is_err());
        assert!(Claims::decode("a.!!!.c").is_err());
    }

    #[test]
    fn an_expired_token_and_a_foreign_audience_are_called_out() {
        let c = Claims {
            iss: Some("https://issuer.example".into()),
            aud: vec!["my-app".into()],
            sub: Some("repo:org/app:ref:refs/heads/main".into()),
            exp: Some(1_000),
        };
        let notes = c.notes(UNIX_EPOCH + Duration::from_secs(1_000 + 600));
        assert_eq!(notes[0].0, Status::Fail);
        assert!(notes[0].1.contains("EXPIRED 10 min ago"), "{}", notes[0].1);
        assert!(notes[1]
            .1
            .contains("issuer.example:sub = \"repo:org/app:ref:refs/heads/main\""));
        assert!(
            notes[1].1.contains("Incorrect token audience"),
            "{}",
            notes[1].1
        );
    }

    #[test]
    fn private_issuers_are_recognised() {
        for url in [
            "http://127.0.0.1:8080/oidc",
            "https://10.0.0.5/x",
            "https://localhost",
            "https://[::1]:9/",
        ] {
            assert!(is_private_host(url), "{url}");
        }
        assert!(!is_private_host(
            "https://oidc.eks.us-east-1.amazonaws.com/id/ABC"
        ));
    }
}
