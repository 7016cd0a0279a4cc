//! `rds-iam doctor`: the IAM-auth troubleshooting checklist, answered for this machine.

use std::time::{Duration, SystemTime};

use super::check::{Check, Status};
use super::doctor_cache;
use crate::endpoint::{Endpoint, HostKind};
use crate::identity::caller_identity_blocking;
use crate::json_text::json_str;
use crate::{Signer, SignerBuilder, TokenKind};

/// What the doctor is asked about.
pub(crate) struct Question {
    pub(crate) host: String,
    pub(crate) port: Option<u16>,
    pub(crate) user: String,
    pub(crate) region: Option<String>,
    pub(crate) sign_host: Option<String>,
    pub(crate) profile: Option<String>,
    pub(crate) builder: SignerBuilder,
    pub(crate) mysql: bool,
    pub(crate) kind: TokenKind,
}

/// Runs every check; later checks are skipped once an earlier one makes them meaningless.
pub(crate) fn examine(q: Question) -> Vec<Check> {
    let mut out = Vec::new();
    let mut add = |name, status, detail: String| {
        out.push(Check {
            name,
            status,
            detail,
        })
    };

    let endpoint = match Endpoint::parse_or(&q.host, q.port, q.kind.default_port()) {
        Ok(e) => e,
        Err(e) => {
            add("endpoint", Status::Fail, e.to_string());
            return out;
        }
    };
    let signed_input = q.sign_host.as_deref().unwrap_or(&q.host);
    let signed_endpoint = Endpoint::parse_with_default(signed_input, endpoint.port());
    let signed = signed_endpoint.as_ref().map_or(signed_input, |e| e.host());
    let kind = crate::host_kind(signed);
    let endpoint_note = match kind {
        _ if q.kind.is_cache() => doctor_cache::endpoint_note(q.kind, signed_input),
        HostKind::Rds => (Status::Pass, format!("{signed} is an RDS/Aurora endpoint")),
        HostKind::RdsProxy => (Status::Pass, format!("{signed} is an RDS Proxy endpoint")),
        HostKind::Dsql => (Status::Pass, format!("{signed} is an Aurora DSQL endpoint")),
        HostKind::IpAddress | HostKind::Custom => (
            Status::Warn,
            format!(
                "{signed} is not an AWS endpoint name (custom DNS name, CNAME, tunnel or IP): RDS only \
                 accepts tokens signed for its own endpoint; pass --sign-host <instance>.<id>.<region>.rds.amazonaws.com"
            ),
        ),
    };
    add("endpoint", endpoint_note.0, endpoint_note.1);

    let spelled_region = if q.kind.is_cache() {
        doctor_cache::region_from_host(q.kind, signed_input)
    } else {
        crate::infer_region(signed)
    };
    let region_note = match (&q.region, spelled_region) {
        (Some(r), _) => (Status::Pass, format!("{r} (from --region / AWS settings)")),
        (None, Some(r)) => (Status::Pass, format!("{r} (inferred from the hostname)")),
        (None, None) => (
            Status::Fail,
            "none: pass --region (the region of the database)".to_owned(),
        ),
    };
    let region_failed = region_note.0 == Status::Fail;
    add("region", region_note.0, region_note.1);
    if region_failed {
        return out;
    }

    for (status, detail) in chain_notes(q.profile.as_deref()) {
        add("credential chain", status, detail);
    }
    let region = q.region.clone().or_else(|| crate::infer_region(signed));
    for (status, detail) in super::doctor_trust::sts_notes(
        q.profile.as_deref(),
        region.as_deref().unwrap_or("us-east-1"),
    ) {
        add("sts", status, detail);
    }
    // Before the credentials: when web identity fails, these say why.
    for c in super::doctor_web_identity::checks(q.profile.as_deref()) {
        add(c.name, c.status, c.detail);
    }

    let signer = match q.builder.build() {
        Ok(s) => s,
        Err(e) => {
            add("signer", Status::Fail, e.render(crate::Surface::Cli));
            return out;
        }
    };
    if let Some(note) = signer.signed_port_note(crate::Surface::Cli) {
        add("sign_host", Status::Warn, note);
    }
    let creds = match signer.credentials_blocking() {
        Ok(c) => c,
        Err(e) => {
            add(
                "credentials",
                Status::Fail,
                format!("[{}] {}", e.code(), e.render(crate::Surface::Cli)),
            );
            return out;
        }
    };
    let now = SystemTime::now();
    let source = provider_name(&creds);
    match creds.expiry() {
        None => add(
            "credentials",
            Status::Pass,
            format!("{} from {source} (long-term keys)", creds.access_key_id()),
        ),
        Some(exp) => {
            let left = exp.duration_since(now).unwrap_or_default().as_secs() / 60;
            let status = if left < 15 {
                Status::Warn
            } else {
                Status::Pass
            };
            let mut d = format!(
                "{} from {source} (temporary, {left} min left)",
                creds.access_key_id()
            );
            if left < 15 {
                d.push_str("; tokens signed now stop working when these credentials expire, before their 15 minutes");
            }
            add("credentials", status, d);
        }
    }

    let region = signer.spec().region().to_owned();
    match caller_identity_blocking(&creds, &region, Duration::from_secs(10)) {
        Ok(id) => {
            add(
                "identity",
                Status::Pass,
                format!("account {} as {}", id.account, id.arn),
            );
            match id.clock_skew_secs(now) {
                Some(s) if s.abs() > 300 => add("clock", Status::Fail, format!("local clock is {s:+} s off AWS time; SigV4 rejects more than 5 min: sync it (chrony/NTP)")),
                Some(s) if s.abs() > 60 => add("clock", Status::Warn, format!("local clock is {s:+} s off AWS time; sync it (chrony/NTP)")),
                Some(s) => add("clock", Status::Pass, format!("{s:+} s from AWS time")),
                None => add("clock", Status::Info, "STS sent no Date header; clock not checked".into()),
            }
            add(
                "iam policy",
                Status::Info,
                policy_hint(&signer, &id.account),
            );
        }
        Err(e) => add(
            "identity",
            Status::Fail,
            format!("{e}; see `rds-iam explain` for the error code"),
        ),
    }

    match signer.token_info_blocking() {
        Ok(t) => {
            let life = t
                .expires_at
                .duration_since(now)
                .unwrap_or_default()
                .as_secs();
            add(
                "token",
                Status::Pass,
                format!(
                    "{} characters, usable for {life} s; never truncate it",
                    t.token.len()
                ),
            );
        }
        Err(e) => add("token", Status::Fail, e.to_string()),
    }
    if q.kind.is_cache() {
        let (status, detail) = doctor_cache::tls_note(q.kind);
        add("tls", status, detail);
        add(
            "user",
            Status::Info,
            doctor_cache::user_note(q.kind, &q.user),
        );
        return out;
    }
    let (status, detail) = tls_note(&endpoint, signed);
    add("tls", status, detail);
    add(
        "database",
        Status::Info,
        database_sql(&signer, q.mysql, &q.user),
    );
    out
}

/// Which trust the helpers and `rds-iam psql|mysql` will verify the server with, and whether
/// it covers the endpoint's certificate family.
fn tls_note(dialled: &Endpoint, signed: &str) -> (Status, String) {
    let trust = match crate::tls::system_roots_file() {
        Some(p) => format!("system roots ({}) + the shipped RDS CA bundle", p.display()),
        None => {
            "the shipped RDS CA bundle + Amazon's public roots (no system CA file found)".into()
        }
    };
    let name = if dialled.host().eq_ignore_ascii_case(signed) {
        String::new()
    } else {
        format!(
            ", certificate name checked: {signed} (not {})",
            dialled.host()
        )
    };
    let cov = crate::tls::coverage(signed);
    let status = match cov.covered {
        Some(true) => Status::Pass,
        Some(false) => Status::Warn,
        None => Status::Info,
    };
    let detail = format!(
        "verify-full against {trust}{name}; {} certificate: {}",
        cov.family.as_str(),
        cov.note
    );
    (status, detail)
}

/// What the default chain will see, in its order, and the classic traps.
fn chain_notes(profile: Option<&str>) -> Vec<(Status, String)> {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut notes = Vec::new();
    if let Some(p) = profile {
        notes.push((
            Status::Info,
            format!("using profile \"{p}\" (--profile); environment keys are ignored"),
        ));
        return notes;
    }
    if let Some(key) = var("AWS_ACCESS_KEY_ID") {
        notes.push((
            Status::Info,
            format!("environment variables come first: AWS_ACCESS_KEY_ID={key}"),
        ));
        if let Some(p) = var("AWS_PROFILE") {
            notes.push((Status::Warn, format!("AWS_PROFILE={p} is ignored because AWS_ACCESS_KEY_ID is set; unset the keys or pass --profile {p}")));
        }
        if key.starts_with("ASIA") && var("AWS_SESSION_TOKEN").is_none() {
            notes.push((
                Status::Warn,
                "a temporary key (ASIA…) without AWS_SESSION_TOKEN will be rejected".into(),
            ));
        }
    } else if let Some(p) = var("AWS_PROFILE") {
        notes.push((Status::Info, format!("AWS_PROFILE={p} selects the profile")));
        if let Some(d) = var("AWS_DEFAULT_PROFILE").filter(|d| *d != p) {
            notes.push((Status::Warn, format!("AWS_PROFILE={p} wins over AWS_DEFAULT_PROFILE={d} (boto3 picks {d}); unset one of them")));
        }
    } else if let Some(p) = var("AWS_DEFAULT_PROFILE") {
        notes.push((
            Status::Info,
            format!("AWS_DEFAULT_PROFILE={p} selects the profile (AWS_PROFILE is unset)"),
        ));
    }
    if var("AWS_WEB_IDENTITY_TOKEN_FILE").is_some() {
        notes.push((
            Status::Info,
            "web identity (EKS IRSA) is configured: AWS_WEB_IDENTITY_TOKEN_FILE".into(),
        ));
    }
    if var("AWS_CONTAINER_CREDENTIALS_FULL_URI").is_some()
        || var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI").is_some()
    {
        notes.push((
            Status::Info,
            "a container credential endpoint (ECS / EKS Pod Identity) is configured".into(),
        ));
    }
    if var("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        notes.push((
            Status::Info,
            "EC2 instance metadata is disabled (AWS_EC2_METADATA_DISABLED)".into(),
        ));
    }
    notes
}

/// The provider that produced the credentials (aws-config records it only in `Debug`).
fn provider_name(creds: &crate::Credentials) -> String {
    let dbg = format!("{creds:?}");
    dbg.split("provider_name: \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map_or_else(|| "an unknown provider".into(), str::to_owned)
}

fn policy_hint(signer: &Signer, account: &str) -> String {
    let spec = signer.spec();
    if spec.kind().is_cache() {
        return doctor_cache::policy_hint(
            spec.kind(),
            spec.region(),
            account,
            spec.endpoint().host(),
            spec.user(),
        );
    }
    if spec.kind().is_dsql() {
        let cluster = spec
            .endpoint()
            .host()
            .split('.')
            .next()
            .unwrap_or("<cluster-id>");
        let action = if spec.kind() == crate::TokenKind::DsqlAdmin {
            "dsql:DbConnectAdmin"
        } else {
            "dsql:DbConnect"
        };
        return format!(
            "allow {action} on arn:aws:dsql:{}:{account}:cluster/{cluster}",
            spec.region()
        );
    }
    format!(
        "allow rds-db:connect on arn:aws:rds-db:{}:{account}:dbuser:<DbiResourceId, or cluster-<ResourceId> for Aurora clusters and prx-<id> for proxies>/{}",
        spec.region(),
        spec.user()
    )
}

fn database_sql(signer: &Signer, mysql: bool, user: &str) -> String {
    if signer.spec().kind().is_dsql() {
        return "DSQL: AWS IAM GRANT <role> TO '<IAM role ARN>'; (admin needs no grant)".into();
    }
    if mysql {
        format!("the user needs: CREATE USER '{user}' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'; and a client with the cleartext plugin enabled")
    } else {
        format!("the user needs: GRANT rds_iam TO \"{user}\"; and IAM authentication enabled on the instance/cluster")
    }
}

/// The report as readable lines.
pub(crate) fn render(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| format!("[{:>4}] {:<16} {}\n", c.status.label(), c.name, c.detail))
        .collect()
}

/// The report as one JSON object.
pub(crate) fn render_json(checks: &[Check]) -> String {
    let items: Vec<String> = checks
        .iter()
        .map(|c| {
            format!(
                "{{\"check\":{},\"status\":{},\"detail\":{}}}",
                json_str(c.name),
                json_str(c.status.label()),
                json_str(&c.detail)
            )
        })
        .collect();
    format!(
        "{{\"ok\":{},\"checks\":[{}]}}\n",
        passed(checks),
        items.join(",")
    )
}

/// True when no check failed.
pub(crate) fn passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != Status::Fail)
}
