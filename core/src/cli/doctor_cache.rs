//! What `rds-iam doctor` knows about ElastiCache and MemoryDB tokens: which name the token
//! signs, where the region comes from, which user it names, the policy to allow, and TLS.

use super::check::Status;
use crate::cache_name;
use crate::TokenKind;

/// The endpoint check: which cache name a token for `input` signs.
pub(crate) fn endpoint_note(kind: TokenKind, input: &str) -> (Status, String) {
    let host = crate::Endpoint::parse(input, None).map(|e| e.host().to_owned());
    match host.and_then(|h| cache_name::parse(kind, &h)) {
        Ok(c) => (
            Status::Pass,
            format!(
                "{input} → tokens sign {} `{}` (the token is for https://{}/, no port)",
                service_noun(kind),
                c.name,
                c.name
            ),
        ),
        Err(e) => (Status::Fail, e.to_string()),
    }
}

/// The region the cache endpoint spells out, if it does.
pub(crate) fn region_from_host(kind: TokenKind, input: &str) -> Option<String> {
    let host = crate::Endpoint::parse(input, None).ok()?;
    cache_name::parse(kind, host.host()).ok()?.region
}

/// The user rule: which value `User` carries, and how the client logs in with it.
pub(crate) fn user_note(kind: TokenKind, user: &str) -> String {
    match kind {
        TokenKind::MemoryDb => format!(
            "the token names the MemoryDB user name `{user}`: an IAM user (authentication mode \
             iam) in an ACL attached to the cluster; log in with AUTH {user} <token> over TLS"
        ),
        _ => format!(
            "the token names the ElastiCache user id `{user}`: an IAM-enabled user's id and \
             user name must be the same (create it with --user-id {user} --user-name {user} \
             --authentication-mode Type=iam) and be in a user group attached to the cache; \
             log in with AUTH {user} <token> over TLS"
        ),
    }
}

/// The policy statement the identity needs: `elasticache:Connect` / `memorydb:Connect` on the
/// cache and on the user.
pub(crate) fn policy_hint(
    kind: TokenKind,
    region: &str,
    account: &str,
    name: &str,
    user: &str,
) -> String {
    let partition = partition(region);
    match kind {
        TokenKind::MemoryDb => format!(
            "allow memorydb:Connect on arn:{partition}:memorydb:{region}:{account}:cluster/{name} \
             and arn:{partition}:memorydb:{region}:{account}:user/{user}"
        ),
        TokenKind::ElastiCacheServerless => format!(
            "allow elasticache:Connect on arn:{partition}:elasticache:{region}:{account}:serverlesscache:{name} \
             and arn:{partition}:elasticache:{region}:{account}:user:{user}"
        ),
        _ => format!(
            "allow elasticache:Connect on arn:{partition}:elasticache:{region}:{account}:replicationgroup:{name} \
             and arn:{partition}:elasticache:{region}:{account}:user:{user}"
        ),
    }
}

/// TLS is not optional: both services take IAM tokens only over TLS.
pub(crate) fn tls_note(kind: TokenKind) -> (Status, String) {
    let service = if kind == TokenKind::MemoryDb {
        "MemoryDB"
    } else {
        "ElastiCache"
    };
    (
        Status::Info,
        format!(
            "TLS required: {service} accepts IAM tokens only with in-transit encryption on; \
             connect with rediss:// (redis-py ssl=True, node-redis socket.tls, ioredis tls: {{}}); \
             the server certificate chains to Amazon's public roots (the system trust store)"
        ),
    )
}

fn service_noun(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::ElastiCacheServerless => "the ElastiCache Serverless cache",
        TokenKind::MemoryDb => "the MemoryDB cluster",
        _ => "the ElastiCache replication group",
    }
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_arns_follow_each_services_format() {
        let ec = policy_hint(
            TokenKind::ElastiCache,
            "us-east-1",
            "123456789012",
            "my-rg",
            "app",
        );
        assert!(ec.contains("elasticache:Connect on arn:aws:elasticache:us-east-1:123456789012:replicationgroup:my-rg"), "{ec}");
        assert!(
            ec.contains("arn:aws:elasticache:us-east-1:123456789012:user:app"),
            "{ec}"
        );
        let sl = policy_hint(
            TokenKind::ElastiCacheServerless,
            "cn-north-1",
            "1",
            "c",
            "u",
        );
        assert!(
            sl.contains("arn:aws-cn:elasticache:cn-north-1:1:serverlesscache:c"),
            "{sl}"
        );
        let mdb = policy_hint(TokenKind::MemoryDb, "us-gov-west-1", "1", "c", "u");
        assert!(
            mdb.contains("memorydb:Connect on arn:aws-us-gov:memorydb:us-gov-west-1:1:cluster/c"),
            "{mdb}"
        );
        assert!(
            mdb.contains("arn:aws-us-gov:memorydb:us-gov-west-1:1:user/u"),
            "{mdb}"
        );
    }

    #[test]
    fn the_endpoint_note_names_the_signed_cache_or_says_what_to_pass() {
        let (s, d) = endpoint_note(
            TokenKind::ElastiCache,
            "master.My-RG.abc123.use1.cache.amazonaws.com:6379",
        );
        assert_eq!(s, Status::Pass);
        assert!(d.contains("`my-rg`"), "{d}");
        let (s, d) = endpoint_note(TokenKind::ElastiCache, "10.0.0.5:6379");
        assert_eq!(s, Status::Fail);
        assert!(d.contains("pass the name"), "{d}");
        assert_eq!(
            region_from_host(
                TokenKind::MemoryDb,
                "clustercfg.c.abc.memorydb.eu-west-1.amazonaws.com"
            ),
            Some("eu-west-1".to_owned())
        );
        assert_eq!(region_from_host(TokenKind::ElastiCache, "my-rg"), None);
    }
}
