//! The OIDC issuer as STS sees it, for `rds-iam doctor`: its discovery document and JWKS,
//! fetched the way STS fetches them, through the HTTP/TLS stack (aws-smithy-http-client,
//! rustls) the credential providers use, so `http://` test issuers and `https://` real ones
//! both work. Each fetch is timed and its status and cache headers are checked against the
//! causes STS's troubleshooting guide names for "Couldn't retrieve verification key".

use std::time::{Duration, Instant};

use super::check::Status;
use super::json_fields::{top_level, Json};

/// STS gives up on an identity provider that takes longer than this (its troubleshooting guide).
const STS_IDP_LIMIT: Duration = Duration::from_secs(5);
/// How long the doctor itself waits for each issuer document.
const FETCH_LIMIT: Duration = Duration::from_secs(10);

/// The discovery document and JWKS, fetched as STS fetches them.
pub(super) fn issuer_notes(iss: &str) -> Vec<(Status, String)> {
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
        status = status.max(Status::Warn);
        detail.push_str("; slower than the 5 s STS waits");
    }
    if is_jwks && !f.no_cache.is_empty() {
        status = status.max(Status::Warn);
        detail.push_str(&format!(
            "; it sends {}: STS cannot cache the keys and fetches them on every call, so throttling or a slow answer fails some calls",
            f.no_cache.join(" and ")
        ));
    }
    (status, detail)
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

/// One GET with the trust and proxies of the core's other HTTPS clients (`AWS_CA_BUNDLE` too:
/// this machine may sit behind a TLS-inspecting proxy).
async fn get(url: &str) -> Result<(u16, Vec<String>, Vec<u8>), String> {
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_types::body::SdkBody;
    use aws_smithy_types::byte_stream::ByteStream;

    let connector = crate::credentials::environment_connector().map_err(|c| c.headline)?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
