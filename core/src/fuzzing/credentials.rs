//! What credential sources hand the core: a `credential_process` command's output, and the
//! shared config and credentials files (aws-config's INI parser, then the core's reading of
//! the profile chain).

use aws_config::profile::ProfileSet;
use aws_credential_types::Credentials;
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_types::os_shim_internal::{Env, Fs};

use super::ready;
use crate::credentials::process_output::parse_output;
use crate::credentials::profile::process_chain;

/// A `credential_process` command's stdout. Errors name a field and never carry a value (they
/// are short, fixed texts); the credentials' `Debug` does not depend on the secrets.
pub fn credential_process(data: &[u8]) {
    match parse_output(data, Some("123456789012")) {
        Err(why) => {
            assert!(
                why.len() <= 64 && why.is_ascii(),
                "an error echoes input: {why}"
            );
        }
        Ok(creds) => {
            let mut twin = Credentials::builder()
                .access_key_id(creds.access_key_id())
                .secret_access_key("another secret")
                .provider_name("CredentialProcess");
            twin.set_session_token(creds.session_token().map(|_| "another token".to_owned()));
            twin.set_expiry(creds.expiry());
            twin.set_account_id(creds.account_id().cloned());
            assert_eq!(format!("{creds:?}"), format!("{:?}", twin.build()));
        }
    }
}

/// The shared config and credentials files, and the profile that selects from them (the
/// input's parts, NUL-separated): parsed as aws-config parses them, then walked for the chain
/// the core serves itself (`credential_process` bases, `source_profile` hops; cycles end).
pub fn profile_files(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let config = parts.next().unwrap_or_default();
    let credentials = parts.next().unwrap_or_default();
    let profile = parts.next().filter(|p| !p.is_empty());
    let fs = Fs::from_slice(&[
        ("/home/.aws/config", config),
        ("/home/.aws/credentials", credentials),
    ]);
    let mut vars = vec![("HOME", "/home")];
    vars.extend(profile.map(|p| ("AWS_PROFILE", p)));
    let env = Env::from_slice(&vars);
    let files = EnvConfigFiles::default();
    let loaded: Result<ProfileSet, _> = ready(aws_config::profile::load(&fs, &env, &files, None));
    if let Ok(set) = loaded {
        let _ = process_chain(&set);
    }
}
