//! `sign()` against aws-sigv4's general signer (`http_request::sign`) on generated inputs.
//!
//! The core presigns with its own canonical request for the one shape a token has (see
//! `core/src/sigv4.rs`); this test keeps the general implementation as the reference: the same
//! token kinds, hosts (mixed case, port 443, IPv6, DSQL, cache names and endpoints), users and
//! session tokens full of
//! characters that need encoding, access key ids, regions, times and DSQL lifetimes must give
//! the same signature and the same parameters. The botocore vectors (`tests/vectors.rs`) pin
//! the byte order on top of this.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sigv4::http_request::{
    self, SignableBody, SignableRequest, SignatureLocation, SigningSettings,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use percent_encoding::percent_decode_str;
use proptest::prelude::*;
use proptest::test_runner::Config;
use rds_iam::{sign, Credentials, Endpoint, TokenKind, TokenSpec};

/// aws-sigv4's presigned parameters (name, decoded value) for the request a token stands for.
fn reference(spec: &TokenSpec, creds: &Credentials, at: SystemTime) -> Vec<(String, String)> {
    let ep = spec.endpoint();
    let lower = ep.host().to_ascii_lowercase();
    let (authority, host_header) = match (spec.kind(), ep.port()) {
        (TokenKind::Rds, 443) => (ep.to_string(), lower),
        (TokenKind::Rds, port) => (ep.to_string(), format!("{lower}:{port}")),
        _ => (ep.host().to_owned(), lower),
    };
    let action = spec.kind().action();
    let encoded_user: String =
        percent_encoding::utf8_percent_encode(spec.user(), percent_encoding::NON_ALPHANUMERIC)
            .collect();
    // The operation's parameters as the AWS samples build the URL.
    let mut operation = vec![("Action", action.to_owned())];
    match spec.kind() {
        TokenKind::Rds => operation.push(("DBUser", encoded_user)),
        TokenKind::ElastiCacheServerless => {
            operation.push(("User", encoded_user));
            operation.push(("ResourceType", "ServerlessCache".to_owned()));
        }
        k if k.is_cache() => operation.push(("User", encoded_user)),
        _ => {}
    }
    let query: Vec<String> = operation.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let url = format!("https://{authority}/?{}", query.join("&"));
    let identity: Identity = creds.clone().into();
    let mut settings = SigningSettings::default();
    settings.signature_location = SignatureLocation::QueryParams;
    settings.expires_in = Some(spec.expires_in());
    let service = spec.kind().service();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(spec.region())
        .name(service)
        .time(at)
        .settings(settings)
        .build()
        .unwrap();
    let headers = [("host", host_header.as_str())];
    let request =
        SignableRequest::new("GET", url, headers.into_iter(), SignableBody::Bytes(&[])).unwrap();
    let (instructions, _) = http_request::sign(request, &params.into())
        .unwrap()
        .into_parts();
    let (_, signed) = instructions.into_parts();
    let mut out: Vec<(String, String)> = operation
        .iter()
        .map(|(k, v)| {
            let v = percent_decode_str(v).decode_utf8().unwrap().into_owned();
            (k.to_string(), v)
        })
        .collect();
    out.extend(signed.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    out.sort();
    out
}

/// The token's query parameters, decoded and sorted.
fn params(token: &str) -> Vec<(String, String)> {
    let (_, query) = token.split_once("/?").unwrap();
    let mut out: Vec<(String, String)> = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            let v = percent_decode_str(v).decode_utf8().unwrap().into_owned();
            (k.to_owned(), v)
        })
        .collect();
    out.sort();
    out
}

fn rds_host() -> impl Strategy<Value = (String, u16)> {
    prop_oneof![
        ("[a-zA-Z0-9-]{1,20}", "[a-z0-9]{6,12}", any::<u16>()).prop_map(|(name, id, port)| (
            format!("{name}.{id}.us-west-2.rds.amazonaws.com"),
            port.max(1)
        )),
        Just((
            "DB.Cluster-X.EU-central-1.RDS.amazonaws.com".to_owned(),
            443
        )),
        Just(("[2001:db8::1]".to_owned(), 5432)),
        Just(("127.0.0.1".to_owned(), 3306)),
    ]
}

fn dsql_host() -> impl Strategy<Value = (String, u16)> {
    "[a-z0-9]{26}".prop_map(|id| (format!("{id}.dsql.us-east-1.on.aws"), 5432))
}

/// A cache name, or the endpoint of the given shape around it (mixed case included).
fn cache_host(kind: TokenKind) -> impl Strategy<Value = (String, u16)> {
    let name = "[a-zA-Z][a-zA-Z0-9-]{0,38}";
    let shaped = (name, "[a-z0-9]{6}", 0..3usize).prop_map(move |(name, id, form)| {
        let host = match (kind, form) {
            (_, 0) => name,
            (TokenKind::ElastiCacheServerless, _) => {
                format!("{name}-{id}.serverless.use1.cache.amazonaws.com")
            }
            (TokenKind::MemoryDb, _) => {
                format!("clustercfg.{name}.{id}.memorydb.eu-west-1.amazonaws.com")
            }
            (_, 1) => format!("master.{name}.{id}.apse2.cache.amazonaws.com"),
            _ => format!("CLUSTERCFG.{name}.{id}.USW2.cache.amazonaws.com"),
        };
        (host, 6379)
    });
    shaped
}

/// A kind and a host it accepts.
fn target() -> impl Strategy<Value = (TokenKind, (String, u16))> {
    prop_oneof![
        rds_host().prop_map(|h| (TokenKind::Rds, h)),
        prop_oneof![Just(TokenKind::DsqlConnect), Just(TokenKind::DsqlAdmin)]
            .prop_flat_map(|k| dsql_host().prop_map(move |h| (k, h))),
        prop_oneof![
            Just(TokenKind::ElastiCache),
            Just(TokenKind::ElastiCacheServerless),
            Just(TokenKind::MemoryDb),
        ]
        .prop_flat_map(|k| cache_host(k).prop_map(move |h| (k, h))),
    ]
}

proptest! {
    #![proptest_config(Config { cases: 512, failure_persistence: None, ..Config::default() })]

    #[test]
    fn sign_matches_aws_sigv4(
        (kind, (h, port)) in target(),
        user in "[^\\p{Cc}]{1,24}",
        region in prop::sample::select(vec!["us-east-1", "eu-central-1", "cn-north-1", "us-gov-west-1"]),
        key_id in "[A-Z0-9]{16,24}",
        secret in "[ -~]{1,48}",
        session in prop::option::of("[A-Za-z0-9+/=]{1,400}"),
        secs in 0u64..253_402_300_799,
        dsql_lifetime in 1u64..=604_800,
    ) {
        let endpoint = Endpoint::new(&h, port).unwrap();
        let mut spec = TokenSpec::new(kind, endpoint, Some(&user), Some(region)).unwrap();
        if kind.is_dsql() {
            spec = spec.with_expires_in(Duration::from_secs(dsql_lifetime)).unwrap();
        }
        let creds = Credentials::new(key_id, secret, session, None, "reference");
        let at = UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(secs % 1000);
        let token = sign(&spec, &creds, at).unwrap();
        prop_assert_eq!(params(&token), reference(&spec, &creds, at), "{}", token);
    }
}
