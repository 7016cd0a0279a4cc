//! PostgreSQL as the frame sees it ([`Protocol`]): its names, port, ALPN and socket name, and
//! the instance's cancel map, which every session of the instance shares.

use std::time::Duration;

use super::{cancel, login, ALPN};
use crate::proxy::instance::Instance;
use crate::proxy::protocol::{Protocol, Serving, Testing};
use crate::proxy::session::{ClientIo, Session};

/// PostgreSQL (RDS, Aurora PostgreSQL, RDS Proxy, Aurora DSQL) for one instance.
#[derive(Default)]
pub(crate) struct Postgres {
    /// The keys handed to this instance's clients, for their cancel requests.
    cancels: cancel::State,
}

impl Protocol for Postgres {
    fn names(&self) -> &'static [&'static str] {
        &["postgres", "postgresql", "pg"]
    }

    fn default_port(&self) -> u16 {
        5432
    }

    fn alpn(&self) -> &'static [&'static [u8]] {
        ALPN
    }

    fn socket_name(&self, port: u16) -> String {
        // Where libpq looks: `psql -h DIR -p PORT`.
        format!(".s.PGSQL.{port}")
    }

    fn local_url(&self, user: &str, host: &str, database: &str) -> String {
        // The hop is loopback: no TLS asked for.
        format!("postgresql://{user}@{host}/{database}?sslmode=disable")
    }

    fn serve<'a>(&'a self, session: Session, client: ClientIo) -> Serving<'a> {
        Box::pin(super::serve(&self.cancels, session, client))
    }

    fn login_test<'a>(
        &'a self,
        instance: &'a Instance,
        user: &'a str,
        within: Duration,
    ) -> Testing<'a> {
        Box::pin(login::login_test(instance, user, within))
    }
}
