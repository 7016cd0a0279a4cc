//! `clear_caches()` reaches Signers that already exist (issue 19, item 1): the rotation it is
//! documented for, with a real shared credentials file.
//!
//! One test in its own binary: it sets process environment and empties the process-wide caches,
//! which would disturb tests running beside it.

use rds_iam::{clear_caches, CredentialSource, Signer};

fn write_credentials(path: &std::path::Path, key_id: &str) {
    std::fs::write(
        path,
        format!(
            "[default]\naws_access_key_id = {key_id}\naws_secret_access_key = secret-of-{key_id}\n"
        ),
    )
    .unwrap();
}

fn signer() -> Signer {
    Signer::builder("db.abc.us-east-1.rds.amazonaws.com")
        .user("rotation")
        .credentials(CredentialSource::Profile("default".into()))
        .build()
        .unwrap()
}

#[test]
fn clear_caches_makes_existing_signers_read_the_rotated_key() {
    let dir = std::env::temp_dir().join(format!("rds-iam-clear-caches-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.join("credentials");
    write_credentials(&credentials, "AKIDROTATEDAAAAAAAAA");
    std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
    std::env::set_var("AWS_CONFIG_FILE", dir.join("no-config"));
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");

    let long_lived = signer();
    let before = long_lived.token_info_blocking().unwrap();
    assert_eq!(before.access_key_id, "AKIDROTATEDAAAAAAAAA");

    write_credentials(&credentials, "AKIDROTATEDBBBBBBBBB");
    clear_caches();

    let after = long_lived.token_info_blocking().unwrap();
    assert_eq!(
        after.access_key_id, "AKIDROTATEDBBBBBBBBB",
        "the Signer made before clear_caches() signs with the rotated key"
    );
    assert!(!after.from_cache);
    let fresh = signer().token_info_blocking().unwrap();
    assert_eq!(fresh.access_key_id, "AKIDROTATEDBBBBBBBBB");
    assert!(
        fresh.from_cache,
        "old and new Signers share the caches again after clear_caches()"
    );
    assert_eq!(fresh.token, after.token);
    std::fs::remove_dir_all(&dir).ok();
}
