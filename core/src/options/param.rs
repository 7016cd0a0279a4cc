//! [`Param`]: every option by name, and how each surface spells it.
//!
//! Errors about an option carry its `Param`, never a spelled-out name: each binding renders the
//! error in its own spelling ([`crate::Error::render`]), so a Node user reads `roleArn`, a
//! Python user `role_arn` and a CLI user `--role-arn`.

/// Where an option is spelled: the surface a user calls the library from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Surface {
    /// The Rust API (`SignerOptions` fields and `SignerBuilder` methods): `role_arn`.
    Rust,
    /// The Python binding's keyword arguments: `role_arn`.
    Python,
    /// The Node binding's options objects: `roleArn`.
    Node,
    /// The `rds-iam` command line's flags: `--role-arn`.
    Cli,
}

/// Declares [`Param`] with its spellings: Rust and Python, Node, and the CLI (a test checks the
/// three follow one rule, so a new option cannot be spelt inconsistently).
macro_rules! params {
    ($($(#[$doc:meta])* $variant:ident => $snake:literal, $camel:literal, $flag:literal;)*) => {
        /// One option of [`crate::SignerOptions`] or [`crate::SignOptions`].
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Param {
            $($(#[$doc])* $variant,)*
        }

        impl Param {
            /// Every option, in declaration order.
            pub const ALL: &'static [Param] = &[$(Param::$variant,)*];

            /// The option's name as `surface` spells it.
            pub const fn spelling(self, surface: Surface) -> &'static str {
                match (self, surface) {
                    $(
                        (Param::$variant, Surface::Rust | Surface::Python) => $snake,
                        (Param::$variant, Surface::Node) => $camel,
                        (Param::$variant, Surface::Cli) => $flag,
                    )*
                }
            }
        }
    };
}

params! {
    /// The endpoint the client connects to.
    Host => "host", "host", "--host";
    /// An Aurora DSQL cluster id: the endpoint `<id>.dsql.<region>.on.aws`.
    ClusterId => "cluster_id", "clusterId", "--cluster-id";
    /// The database port.
    Port => "port", "port", "--port";
    /// The database user to log in as.
    User => "user", "user", "--user";
    /// The signing region.
    Region => "region", "region", "--region";
    /// The endpoint the token is signed for, when it differs from `host`.
    SignHost => "sign_host", "signHost", "--sign-host";
    /// The token kind.
    Kind => "kind", "kind", "--kind";
    /// The token lifetime.
    ExpiresIn => "expires_in", "expiresIn", "--expires-in";
    /// A named profile from the shared AWS config files.
    Profile => "profile", "profile", "--profile";
    /// Explicit credentials.
    Credentials => "credentials", "credentials", "--credentials";
    /// The role to assume on top of the credentials.
    RoleArn => "role_arn", "roleArn", "--role-arn";
    /// The session name of the assumed role.
    RoleSessionName => "role_session_name", "roleSessionName", "--role-session-name";
    /// The external id of the assumed role.
    ExternalId => "external_id", "externalId", "--external-id";
    /// How long a token is reused at most.
    ReuseFor => "reuse_for", "reuseFor", "--reuse-for";
    /// How much of a cached token's life must be left for it to be served.
    RefreshMargin => "refresh_margin", "refreshMargin", "--refresh-margin";
    /// How long before they expire credentials are refreshed.
    CredentialRefreshAhead => "credential_refresh_ahead", "credentialRefreshAhead", "--credential-refresh-ahead";
    /// The upper bound of one credential fetch.
    FetchTimeout => "fetch_timeout", "fetchTimeout", "--fetch-timeout";
    /// The EC2 instance metadata (IMDS) timeout.
    ImdsTimeout => "imds_timeout", "imdsTimeout", "--imds-timeout";
    /// Attempts at a web identity call when STS cannot reach the identity provider.
    WebIdentityAttempts => "web_identity_attempts", "webIdentityAttempts", "--web-identity-attempts";
    /// The signing time of the pure `sign()`.
    At => "at", "at", "--at";
}

impl Param {
    /// The option `surface` spells `name`, if any.
    pub fn from_spelling(surface: Surface, name: &str) -> Option<Param> {
        Param::ALL
            .iter()
            .copied()
            .find(|p| p.spelling(surface) == name)
    }
}

/// What an [`crate::Error::InvalidArgument`] is about: an option, or another argument (a key
/// inside `credentials`, the options object itself, a CLI client) named the same everywhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Argument {
    /// An option, rendered in each surface's spelling.
    Param(Param),
    /// Any other argument, named as given on every surface.
    Named(&'static str),
}

impl Argument {
    /// The argument's name as `surface` spells it.
    pub fn spelling(self, surface: Surface) -> &'static str {
        match self {
            Argument::Param(p) => p.spelling(surface),
            Argument::Named(name) => name,
        }
    }
}

impl From<Param> for Argument {
    fn from(p: Param) -> Self {
        Argument::Param(p)
    }
}

impl From<&'static str> for Argument {
    /// An option's Rust spelling is that option (`"role_arn"` is [`Param::RoleArn`]); any other
    /// name is [`Argument::Named`].
    fn from(name: &'static str) -> Self {
        Param::from_spelling(Surface::Rust, name).map_or(Argument::Named(name), Argument::Param)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn camel(snake: &str) -> String {
        let mut out = String::new();
        for (i, word) in snake.split('_').enumerate() {
            let mut chars = word.chars();
            if let (true, Some(first)) = (i > 0, chars.next()) {
                out.extend(first.to_uppercase());
                out.push_str(chars.as_str());
            } else {
                out.push_str(word);
            }
        }
        out
    }

    #[test]
    fn every_param_is_spelt_by_the_rule_of_each_surface() {
        for &p in Param::ALL {
            let snake = p.spelling(Surface::Rust);
            assert!(
                !snake.is_empty()
                    && snake
                        .split('_')
                        .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase())),
                "{p:?}: `{snake}` is not snake_case"
            );
            assert_eq!(p.spelling(Surface::Python), snake, "{p:?}");
            assert_eq!(p.spelling(Surface::Node), camel(snake), "{p:?}");
            assert_eq!(
                p.spelling(Surface::Cli),
                format!("--{}", snake.replace('_', "-")),
                "{p:?}"
            );
            if snake.contains('_') {
                let spellings: HashSet<_> = [Surface::Python, Surface::Node, Surface::Cli]
                    .map(|s| p.spelling(s))
                    .into();
                assert_eq!(spellings.len(), 3, "{p:?} needs three distinct spellings");
            }
        }
    }

    #[test]
    fn no_two_params_share_a_spelling() {
        for surface in [Surface::Rust, Surface::Python, Surface::Node, Surface::Cli] {
            let names: HashSet<_> = Param::ALL.iter().map(|p| p.spelling(surface)).collect();
            assert_eq!(names.len(), Param::ALL.len(), "{surface:?}");
            for &p in Param::ALL {
                assert_eq!(Param::from_spelling(surface, p.spelling(surface)), Some(p));
            }
        }
    }

    #[test]
    fn rust_names_become_params_and_other_names_stay_names() {
        assert_eq!(Argument::from("role_arn"), Argument::Param(Param::RoleArn));
        assert_eq!(Argument::from("client"), Argument::Named("client"));
        assert_eq!(Argument::from("roleArn"), Argument::Named("roleArn"));
    }
}
