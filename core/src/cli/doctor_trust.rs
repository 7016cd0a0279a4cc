//! `doctor`'s lines about the way to STS: the endpoint, the trust its TLS handshake uses
//! (`AWS_CA_BUNDLE`, a profile's `ca_bundle`) and the proxy that carries it (`HTTPS_PROXY`,
//! `NO_PROXY`). A TLS-inspecting proxy without its CA in the bundle fails every STS call.

use super::check::Status;
use crate::credentials::{describe_trust, TrustReport};

/// The STS lines of the report, for `profile` (else the environment's choice) in `region`.
pub(crate) fn sts_notes(profile: Option<&str>, region: &str) -> Vec<(Status, String)> {
    let endpoint = env("AWS_ENDPOINT_URL_STS")
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://sts.{region}.amazonaws.com"));
    let mut notes = vec![(Status::Info, format!("STS endpoint {endpoint}"))];
    let report = tokio::runtime::Builder::new_current_thread()
        .build()
        .map(|rt| rt.block_on(describe_trust(profile)));
    match report {
        Ok(TrustReport::Ok(trust)) => notes.push((Status::Info, format!("STS trusts {trust}"))),
        Ok(TrustReport::Bad(cause)) => notes.push((Status::Fail, cause)),
        Err(e) => notes.push((Status::Warn, format!("trust not checked: {e}"))),
    }
    notes.push((Status::Info, proxy_note(&endpoint)));
    notes
}

/// A non-empty environment variable, upper- or lower-case (proxies use both).
fn env(key: &str) -> Option<String> {
    [key.to_owned(), key.to_lowercase()]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
}

/// Which proxy carries a request to `url`, and why.
fn proxy_note(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest
        .split(['/', '?'])
        .next()
        .unwrap_or_default()
        .rsplit_once(':')
        .map_or(rest.split('/').next().unwrap_or_default(), |(h, _)| h)
        .trim_matches(['[', ']']);
    let var = if scheme.eq_ignore_ascii_case("http") {
        "HTTP_PROXY"
    } else {
        "HTTPS_PROXY"
    };
    let Some(proxy) = env(var).or_else(|| env("ALL_PROXY")) else {
        return format!("STS is reached directly (no {var})");
    };
    if let Some(entry) = no_proxy_match(host) {
        return format!("STS is reached directly: NO_PROXY entry `{entry}` matches {host}");
    }
    format!("STS goes through the proxy {} ({var})", redact(&proxy))
}

/// The `NO_PROXY` entry that matches `host`, if any (`*`, a domain suffix, or the host).
fn no_proxy_match(host: &str) -> Option<String> {
    let list = env("NO_PROXY")?;
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .find(|e| {
            let e = e.trim_start_matches("*.").trim_start_matches('.');
            e == "*"
                || host.eq_ignore_ascii_case(e)
                || host
                    .to_lowercase()
                    .ends_with(&format!(".{}", e.to_lowercase()))
        })
        .map(str::to_owned)
}

/// A proxy URL without its user and password.
fn redact(proxy: &str) -> String {
    match proxy.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((_, host)) => format!("{scheme}://…@{host}"),
            None => proxy.to_owned(),
        },
        None => match proxy.split_once('@') {
            Some((_, host)) => format!("…@{host}"),
            None => proxy.to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_lose_their_password() {
        assert_eq!(redact("http://user:pa55@proxy:3128"), "http://…@proxy:3128");
        assert_eq!(redact("proxy:3128"), "proxy:3128");
    }
}
