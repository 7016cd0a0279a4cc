//! A doctor report's line and how it came out: shared by `doctor` and the modules that add
//! their checks to it (trust, web identity, OIDC issuer, caches), which therefore depend on this
//! file and not on `doctor` itself.

/// How a check came out, from best to worst (`max` is the worse of two).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Status {
    Pass,
    Info,
    Warn,
    Fail,
}

impl Status {
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Pass => "ok",
            Status::Info => "info",
            Status::Warn => "warn",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the report.
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) status: Status,
    pub(crate) detail: String,
}
