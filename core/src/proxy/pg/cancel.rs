//! Cancel requests. Each client is given the server's own process id with a secret of the
//! proxy's (random, as long as the server's: 4 bytes under protocol 3.0, longer under 3.2), so
//! that everything using the protocol's pid (PQbackendPID, pg_terminate_backend, a
//! NotificationResponse's pid) agrees with pg_backend_pid(), while only the proxy can cancel.
//! The pair maps to the server's key and the address of the backend it came from. A
//! CancelRequest arrives on a new connection; the proxy forwards it to that backend over TLS.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use tokio::io::AsyncWriteExt;

use super::wire;
use crate::proxy::log::Level;
use crate::proxy::session::Session;
use crate::sync::lock;

/// A backend's key: process id and secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BackendKey {
    pub process_id: u32,
    pub secret: Vec<u8>,
}

impl BackendKey {
    /// Reads a BackendKeyData body: a process id and a secret of 4 to 256 bytes.
    pub(crate) fn parse(body: &[u8]) -> Option<BackendKey> {
        if !(8..=260).contains(&body.len()) {
            return None;
        }
        Some(BackendKey {
            process_id: u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
            secret: body[4..].to_vec(),
        })
    }
}

struct Entry {
    /// The session (its connection id): the entry's identity, and its log lines' `conn`.
    conn: u64,
    ours: Vec<u8>,
    backend: SocketAddr,
    theirs: BackendKey,
}

/// The instance's cancel map: the server's process id → the sessions holding it (more than one
/// when the endpoint's name leads to several servers), each with its secret, the server's key
/// and the backend's address.
#[derive(Default)]
pub(crate) struct State {
    keys: Mutex<HashMap<u32, Vec<Entry>>>,
}

/// A session's entry, removed when the session ends.
pub(crate) struct Registered<'a> {
    state: &'a State,
    conn: u64,
    process_id: u32,
    secret: Vec<u8>,
}

impl Registered<'_> {
    /// The BackendKeyData message the client is given: the server's pid, the proxy's secret.
    pub(crate) fn backend_key_data(&self) -> Vec<u8> {
        let mut body = self.process_id.to_be_bytes().to_vec();
        body.extend_from_slice(&self.secret);
        wire::encode(b'K', &body)
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        let mut keys = lock(&self.state.keys);
        if let Some(entries) = keys.get_mut(&self.process_id) {
            entries.retain(|e| e.conn != self.conn);
            if entries.is_empty() {
                keys.remove(&self.process_id);
            }
        }
    }
}

/// Where a matching cancel request goes, and which session it is for.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    conn: u64,
    backend: SocketAddr,
    theirs: BackendKey,
}

impl State {
    /// Registers session `conn`'s backend under the server's process id and a new secret.
    pub(crate) fn register(
        &self,
        conn: u64,
        backend: SocketAddr,
        theirs: BackendKey,
    ) -> Registered<'_> {
        let mut secret = vec![0u8; theirs.secret.len().max(4)];
        // A predictable secret would let anyone on this machine cancel others' queries; without
        // randomness the key is the server's own, which is as secret.
        if getrandom::fill(&mut secret).is_err() {
            secret.clone_from(&theirs.secret);
        }
        let process_id = theirs.process_id;
        lock(&self.keys).entry(process_id).or_default().push(Entry {
            conn,
            ours: secret.clone(),
            backend,
            theirs,
        });
        Registered {
            state: self,
            conn,
            process_id,
            secret,
        }
    }

    fn look_up(&self, process_id: u32, secret: &[u8]) -> Option<Target> {
        let keys = lock(&self.keys);
        // Every entry is compared, so the time says nothing about which secret came close.
        let mut found = None;
        for e in keys.get(&process_id)? {
            if constant_time_eq(&e.ours, secret) {
                found = Some(Target {
                    conn: e.conn,
                    backend: e.backend,
                    theirs: e.theirs.clone(),
                });
            }
        }
        found
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Forwards a client's CancelRequest to its backend, over TLS. As with PostgreSQL, the client
/// gets no answer either way. `cancels` is the instance's map.
pub(crate) async fn forward(cancels: &State, session: &Session, process_id: u32, secret: &[u8]) {
    let instance = &session.instance;
    let Some(Target {
        conn,
        backend,
        theirs,
    }) = cancels.look_up(process_id, secret)
    else {
        session.log(
            Level::Warn,
            "a cancel request matched no open session; ignored",
        );
        return;
    };
    let sent = async {
        let tcp = tokio::net::TcpStream::connect(backend)
            .await
            .map_err(|e| e.to_string())?;
        let mut tls = super::login::upstream_tls(instance, tcp)
            .await
            .map_err(|r| r.message(&instance.name))?;
        tls.write_all(&wire::cancel_request(theirs.process_id, &theirs.secret))
            .await
            .map_err(|e| e.to_string())?;
        tls.flush().await.map_err(|e| e.to_string())?;
        let _ = tls.shutdown().await;
        Ok::<(), String>(())
    };
    let what = format!("a cancel request for backend pid {process_id} (conn {conn})");
    match tokio::time::timeout(session.upstream_timeout(), sent).await {
        Ok(Ok(())) => session.log(Level::Info, &format!("forwarded {what}")),
        Ok(Err(e)) => session.log(Level::Warn, &format!("could not forward {what}: {e}")),
        Err(_) => session.log(Level::Warn, &format!("could not forward {what}: timed out")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pid_is_the_servers_and_the_secret_ours_and_both_leave_with_the_session() {
        let state = State::default();
        let backend: SocketAddr = "127.0.0.1:5432".parse().unwrap();
        for secret_len in [4usize, 32] {
            let theirs = BackendKey {
                process_id: 4242,
                secret: vec![7; secret_len],
            };
            let r = state.register(9, backend, theirs.clone());
            let k = r.backend_key_data();
            assert_eq!(k.len(), 5 + 4 + secret_len, "ours is as long as theirs");
            let ours = BackendKey::parse(&k[5..]).unwrap();
            assert_eq!(ours.process_id, 4242, "the server's pid");
            assert_ne!(ours.secret, theirs.secret, "the proxy's secret");
            let target = Target {
                conn: 9,
                backend,
                theirs: theirs.clone(),
            };
            assert_eq!(state.look_up(4242, &ours.secret), Some(target));
            assert_eq!(
                state.look_up(4242, &theirs.secret),
                None,
                "the server's secret"
            );
            assert_eq!(state.look_up(9, &ours.secret), None, "the connection id");
            drop(r);
            assert_eq!(
                state.look_up(4242, &ours.secret),
                None,
                "gone with the session"
            );
            assert!(lock(&state.keys).is_empty());
        }
    }

    #[test]
    fn two_servers_behind_one_name_may_hand_out_the_same_pid() {
        let state = State::default();
        let key = |secret| BackendKey {
            process_id: 77,
            secret: vec![secret; 4],
        };
        let (one, two): (SocketAddr, SocketAddr) = (
            "10.0.0.1:5432".parse().unwrap(),
            "10.0.0.2:5432".parse().unwrap(),
        );
        let first = state.register(1, one, key(1));
        let second = state.register(2, two, key(2));
        let secret = |r: &Registered<'_>| r.backend_key_data()[9..].to_vec();
        let (s1, s2) = (secret(&first), secret(&second));
        assert_eq!(state.look_up(77, &s1).map(|t| t.backend), Some(one));
        assert_eq!(state.look_up(77, &s2).map(|t| t.backend), Some(two));
        drop(first);
        assert_eq!(state.look_up(77, &s1), None);
        assert_eq!(state.look_up(77, &s2).map(|t| t.conn), Some(2));
    }
}
