//! MySQL and MariaDB as the frame sees them ([`Protocol`]): names, port and socket name, and
//! the instance's [`State`] (the server's last greeting, the connection ids given out).

use std::time::Duration;

use super::state::State;
use crate::proxy::instance::Instance;
use crate::proxy::protocol::{Protocol, Serving, Testing};
use crate::proxy::session::{ClientIo, Session};

/// MySQL and MariaDB (RDS, Aurora MySQL, RDS Proxy) for one instance.
#[derive(Default)]
pub(crate) struct Mysql {
    state: State,
}

impl Protocol for Mysql {
    fn names(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }

    fn default_port(&self) -> u16 {
        3306
    }

    fn alpn(&self) -> &'static [&'static [u8]] {
        // MySQL's TLS starts inside its own handshake: no ALPN is defined for it.
        &[]
    }

    fn socket_name(&self, port: u16) -> String {
        format!("mysqld-{port}.sock")
    }

    fn local_url(&self, user: &str, host: &str, database: &str) -> String {
        format!("mysql://{user}@{host}/{database}")
    }

    fn serve<'a>(&'a self, session: Session, client: ClientIo) -> Serving<'a> {
        Box::pin(super::serve(&self.state, session, client))
    }

    fn login_test<'a>(
        &'a self,
        instance: &'a Instance,
        user: &'a str,
        within: Duration,
    ) -> Testing<'a> {
        Box::pin(super::login_test(instance, &self.state, user, within))
    }
}
