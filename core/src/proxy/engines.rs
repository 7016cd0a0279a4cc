//! The one place the engines are listed: [`Engine`] (the public enum of `--engine`) hands out
//! each engine's [`Protocol`]. A new engine is a folder implementing [`Protocol`], its `mod`
//! line in `proxy/mod.rs`, a variant of [`Engine`], and its line here in [`ALL`] and in
//! [`Engine::protocol`] (the compiler asks for the latter).

use super::config::Engine;
use super::protocol::Protocol;
use super::{mysql, pg};

/// Every engine, in the order `--engine`'s help names them.
const ALL: &[Engine] = &[Engine::Postgres, Engine::Mysql];

impl Engine {
    /// The engine's implementation, with fresh per-instance state.
    pub(crate) fn protocol(self) -> Box<dyn Protocol> {
        match self {
            Engine::Postgres => Box::new(pg::Postgres::default()),
            Engine::Mysql => Box::new(mysql::Mysql::default()),
        }
    }

    /// The engine's default port.
    pub fn default_port(self) -> u16 {
        self.protocol().default_port()
    }

    /// The engine for `--engine` (`postgres`, `postgresql`, `pg`, `mysql`, `mariadb`; any case).
    pub fn from_name(name: &str) -> Option<Engine> {
        let name = name.to_ascii_lowercase();
        ALL.iter()
            .copied()
            .find(|e| e.protocol().names().contains(&name.as_str()))
    }

    /// The engine whose default port `port` is, else PostgreSQL (the in-process proxy's
    /// default when no engine is given).
    pub(crate) fn for_port(port: u16) -> Engine {
        ALL.iter()
            .copied()
            .find(|e| e.default_port() == port)
            .unwrap_or(Engine::Postgres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_and_port_leads_back_to_its_engine() {
        for &engine in ALL {
            let protocol = engine.protocol();
            for name in protocol.names() {
                assert_eq!(Engine::from_name(name), Some(engine), "{name}");
                assert_eq!(Engine::from_name(&name.to_uppercase()), Some(engine));
            }
            assert_eq!(Engine::for_port(protocol.default_port()), engine);
        }
        assert_eq!(Engine::from_name("postgresql"), Some(Engine::Postgres));
        assert_eq!(Engine::from_name("MariaDB"), Some(Engine::Mysql));
        assert_eq!(Engine::from_name("oracle"), None);
        assert_eq!(Engine::Postgres.default_port(), 5432);
        assert_eq!(Engine::Mysql.default_port(), 3306);
        assert_eq!(Engine::for_port(6543), Engine::Postgres);
    }

    #[test]
    fn each_engine_names_its_socket_and_alpn() {
        let pg = Engine::Postgres.protocol();
        assert_eq!(pg.socket_name(5432), ".s.PGSQL.5432");
        assert_eq!(pg.alpn(), &[b"postgresql".as_slice()]);
        let mysql = Engine::Mysql.protocol();
        assert_eq!(mysql.socket_name(3306), "mysqld-3306.sock");
        assert!(mysql.alpn().is_empty());
    }

    #[test]
    fn each_engine_spells_the_in_process_proxys_url() {
        let pg = Engine::Postgres.protocol();
        assert_eq!(
            pg.local_url("app", "127.0.0.1:6543", "db"),
            "postgresql://app@127.0.0.1:6543/db?sslmode=disable"
        );
        let mysql = Engine::Mysql.protocol();
        assert_eq!(
            mysql.local_url("app", "127.0.0.1:3307", ""),
            "mysql://app@127.0.0.1:3307/"
        );
    }
}
