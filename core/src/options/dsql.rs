//! Aurora DSQL the way its users address it: a cluster id plus a region names the endpoint
//! `<id>.dsql.<region>.on.aws`, and a DSQL endpoint without a `kind` gets its kind from the
//! user (`admin` → `DbConnectAdmin`, any other role → `DbConnect`).

use super::message::Message;
use super::param::Param;
use crate::endpoint::{is_region, Endpoint, HostKind};
use crate::error::{Error, Result};
use crate::sign::TokenKind;

/// The database role Aurora DSQL's `DbConnectAdmin` tokens log in as.
pub(crate) const DSQL_ADMIN_USER: &str = "admin";

/// The endpoint host of DSQL cluster `cluster_id` in `region`: `<id>.dsql.<region>.on.aws`
/// (`.on.amazonwebservices.com.cn` in the China regions).
///
/// A cluster id names the signed endpoint, so it cannot go with `sign_host`; `host` may still
/// be given (the address a tunnel listens on).
pub(crate) fn cluster_host(
    cluster_id: &str,
    region: Option<&str>,
    sign_host_given: bool,
) -> Result<String> {
    if sign_host_given {
        return Err(Error::argument(
            Param::ClusterId,
            Message::name(Param::ClusterId)
                .then(" already names the endpoint tokens are signed for; pass it or ")
                .then_name(Param::SignHost)
                .then(", not both"),
        ));
    }
    check_cluster_id(cluster_id)?;
    let Some(region) = region else {
        return Err(Error::argument(
            Param::Region,
            Message::name(Param::ClusterId)
                .then(" names the endpoint `<id>.dsql.<region>.on.aws`; pass ")
                .then_name(Param::Region)
                .then(" too (e.g. us-east-1), or the whole endpoint as ")
                .then_name(Param::Host),
        ));
    };
    if !is_region(region) {
        return Err(Error::argument(
            Param::Region,
            format!(
                "`{}` is not an AWS region name; use the form `us-east-1`",
                region.escape_debug()
            ),
        ));
    }
    let suffix = if region.starts_with("cn-") {
        "on.amazonwebservices.com.cn"
    } else {
        "on.aws"
    };
    Ok(format!("{cluster_id}.dsql.{region}.{suffix}"))
}

/// A cluster id is one DNS label: lower-case letters, digits and `-` (DSQL's own are 26
/// lower-case letters and digits).
fn check_cluster_id(id: &str) -> Result<()> {
    let label = !id.is_empty()
        && id.len() <= 63
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if label {
        return Ok(());
    }
    let hint = if id.contains('.') {
        Message::text("pass the cluster id alone (the first label of `<id>.dsql.<region>.on.aws`), or the whole endpoint as ")
            .then_name(Param::Host)
    } else {
        Message::text(
            "a cluster id has only lower-case letters, digits and `-`, as the DSQL console \
             shows it (e.g. `abcdefghijklmnopqrstuvwxyz`)",
        )
    };
    Err(Error::argument(
        Param::ClusterId,
        Message::text(format!("`{}` is not a cluster id; ", id.escape_debug())).then_message(hint),
    ))
}

/// The token kind: `explicit` when given; for a DSQL endpoint, `admin` signs `DbConnectAdmin`
/// and any other user `DbConnect`; otherwise RDS.
pub(crate) fn token_kind(
    explicit: Option<TokenKind>,
    signed: &Endpoint,
    user: Option<&str>,
) -> Result<TokenKind> {
    if let Some(kind) = explicit {
        return Ok(kind);
    }
    if signed.kind() != HostKind::Dsql {
        return Ok(TokenKind::Rds);
    }
    match user {
        Some(DSQL_ADMIN_USER) => Ok(TokenKind::DsqlAdmin),
        Some(u) if !u.is_empty() => Ok(TokenKind::DsqlConnect),
        _ => Err(Error::argument(
            Param::User,
            Message::text("an Aurora DSQL endpoint needs the database role to log in as: ")
                .then_name(Param::User)
                .then(" `admin` (a DbConnectAdmin token) or your own role (DbConnect); or pass ")
                .then_name(Param::Kind),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::options::Surface;

    const ID: &str = "abcdefghijklmnopqrstuvwxyz";

    #[test]
    fn a_cluster_id_and_region_name_the_endpoint() {
        assert_eq!(
            cluster_host(ID, Some("eu-west-1"), false).unwrap(),
            format!("{ID}.dsql.eu-west-1.on.aws")
        );
        assert_eq!(
            cluster_host(ID, Some("cn-north-1"), false).unwrap(),
            format!("{ID}.dsql.cn-north-1.on.amazonwebservices.com.cn")
        );
    }

    #[test]
    fn a_cluster_id_needs_a_region_and_no_sign_host() {
        let e = cluster_host(ID, None, false).unwrap_err();
        assert!(e
            .render(Surface::Node)
            .contains("`clusterId` names the endpoint"));
        assert!(e.render(Surface::Node).contains("pass `region` too"));
        let e = cluster_host(ID, Some("us-east-1"), true).unwrap_err();
        assert!(e
            .render(Surface::Python)
            .contains("pass it or `sign_host`, not both"));
        assert_eq!(
            cluster_host(ID, Some("US-EAST-1"), false)
                .unwrap_err()
                .code(),
            ErrorCode::InvalidArgument
        );
    }

    #[test]
    fn a_full_endpoint_or_a_bad_label_is_not_a_cluster_id() {
        let e = cluster_host(
            &format!("{ID}.dsql.us-east-1.on.aws"),
            Some("us-east-1"),
            false,
        )
        .unwrap_err();
        assert!(e
            .render(Surface::Cli)
            .contains("or the whole endpoint as `--host`"));
        for bad in ["", "ABC", "a/b", "a b", &"a".repeat(64)] {
            let e = cluster_host(bad, Some("us-east-1"), false).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidArgument, "{bad:?}");
        }
    }

    #[test]
    fn a_dsql_endpoint_takes_its_kind_from_the_user() {
        let dsql = Endpoint::new(&format!("{ID}.dsql.us-east-1.on.aws"), 5432).unwrap();
        let rds = Endpoint::new("db.abc.us-east-1.rds.amazonaws.com", 5432).unwrap();
        assert_eq!(
            token_kind(None, &dsql, Some("admin")).unwrap(),
            TokenKind::DsqlAdmin
        );
        assert_eq!(
            token_kind(None, &dsql, Some("app")).unwrap(),
            TokenKind::DsqlConnect
        );
        // The caller's kind wins, and `Admin` is another role than `admin`.
        assert_eq!(
            token_kind(Some(TokenKind::DsqlConnect), &dsql, Some("admin")).unwrap(),
            TokenKind::DsqlConnect
        );
        assert_eq!(
            token_kind(None, &dsql, Some("Admin")).unwrap(),
            TokenKind::DsqlConnect
        );
        assert_eq!(
            token_kind(None, &rds, Some("admin")).unwrap(),
            TokenKind::Rds
        );
        let e = token_kind(None, &dsql, None).unwrap_err();
        assert!(e.render(Surface::Python).contains("`user` `admin`"));
    }
}
