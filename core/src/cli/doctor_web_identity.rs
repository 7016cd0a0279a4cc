//! `rds-iam doctor`'s web identity section (EKS IRSA, GitHub OIDC, …): what STS will check when
//! it is handed the token file, and whether it can fetch the issuer's keys.
//!
//! The JWT is decoded, never verified and never printed: only its `iss`, `aud`, `sub` and
//! `exp` claims are shown. The issuer's documents are checked by `oidc_issuer`.

use std::borrow::Cow;
use std::time::{SystemTime, UNIX_EPOCH};

use super::check::{Check, Status};
use super::json_fields::{top_level, Json};
use super::oidc_issuer::issuer_notes;

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
        let notes = c.notes(UNIX_EPOCH + std::time::Duration::from_secs(1_000 + 600));
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
}
