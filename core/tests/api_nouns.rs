//! The API nouns the three languages share (issue 33): `Signer::sign_host` reads back as the
//! option takes it, the async `connection_url` equals the blocking one, and `Error::provider`
//! names the provider for exactly the kinds that carry one.

use std::time::Duration;

use aws_credential_types::Credentials;
use rds_iam::{CredentialSource, Error, ErrorCode, Signer, UrlOptions};

const HOST: &str = "db.abc.us-east-1.rds.amazonaws.com";

fn builder(host: &str) -> rds_iam::SignerBuilder {
    let creds = Credentials::new("AKIDNAME", "topsecret", None, None, "test");
    Signer::builder(host)
        .user("u")
        .credentials(CredentialSource::Static(creds))
}

#[test]
fn sign_host_reads_back_as_the_option_takes_it() {
    let cases: [(&str, Option<&str>, &str); 5] = [
        (HOST, None, HOST),
        ("127.0.0.1:15432", Some(HOST), HOST),
        (
            "127.0.0.1:15432",
            Some("db.abc.us-east-1.rds.amazonaws.com:5432"),
            "db.abc.us-east-1.rds.amazonaws.com:5432",
        ),
        (
            "127.0.0.1:5432",
            Some("db.abc.us-east-1.rds.amazonaws.com:5432"),
            "db.abc.us-east-1.rds.amazonaws.com:5432",
        ),
        (&format!("{HOST}:3306"), None, HOST),
    ];
    for (host, sign_host, expected) in cases {
        let mut b = builder(host);
        if let Some(h) = sign_host {
            b = b.sign_host(h);
        }
        let s = b.build().unwrap();
        assert_eq!(s.sign_host(), expected, "{host} {sign_host:?}");
        let again = builder(host).sign_host(s.sign_host()).build().unwrap();
        assert_eq!(
            again.spec().endpoint(),
            s.spec().endpoint(),
            "round trip of {expected}"
        );
        assert_eq!(again.sign_host(), s.sign_host());
    }
}

#[test]
fn a_cache_kinds_sign_host_is_the_cache_name() {
    let s = builder("master.my-rg.abc123.use1.cache.amazonaws.com")
        .kind(rds_iam::TokenKind::ElastiCache)
        .build()
        .unwrap();
    assert_eq!(s.sign_host(), "my-rg");
    let again = builder("127.0.0.1:6380")
        .kind(rds_iam::TokenKind::ElastiCache)
        .region("us-east-1")
        .sign_host(s.sign_host())
        .build()
        .unwrap();
    assert_eq!(again.spec().endpoint(), s.spec().endpoint());
}

#[test]
fn async_connection_url_is_the_blocking_one() {
    let s = builder(HOST).build().unwrap();
    let options = UrlOptions::default();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = rt.block_on(s.connection_url(&options)).unwrap();
    assert_eq!(url, s.connection_url_blocking(&options).unwrap());
    assert!(url.starts_with("postgresql://u:"), "{url}");
    let expired = builder(HOST)
        .credentials(CredentialSource::Static(Credentials::new(
            "ASIANAME",
            "topsecret",
            Some("session".into()),
            Some(std::time::SystemTime::now() - Duration::from_secs(60)),
            "test",
        )))
        .build()
        .unwrap();
    let e = rt.block_on(expired.connection_url(&options)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::CredentialsExpired);
}

#[test]
fn provider_is_named_for_the_provider_kinds_only() {
    let named = [
        Error::ProviderError {
            provider: "profile \"dev\"".into(),
            detail: "d".into(),
        },
        Error::CredentialsExpired {
            provider: "static credentials AKID".into(),
            detail: "d".into(),
        },
        Error::Timeout {
            provider: "IMDS".into(),
            after: Duration::from_secs(1),
        },
    ];
    for e in &named {
        assert!(e.provider().is_some_and(|p| !p.is_empty()), "{e:?}");
    }
    let unnamed = [
        Error::NoCredentials { detail: "d".into() },
        Error::NoRegion { host: "h".into() },
        Error::InvalidEndpoint { reason: "r".into() },
        Error::invalid_argument("user", "bad"),
    ];
    for e in &unnamed {
        assert_eq!(e.provider(), None, "{e:?}");
    }
}
