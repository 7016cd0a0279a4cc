//! Cancel requests. Each client is given the proxy's own BackendKeyData (its connection id and
//! a random secret as long as the server's: 4 bytes under protocol 3.0, longer under 3.2),
//! mapped to the server's key and the address of the backend it came from. A CancelRequest
//! arrives on a new connection; the proxy forwards it to that backend over TLS.

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
    ours: Vec<u8>,
    backend: SocketAddr,
    theirs: BackendKey,
}

/// The instance's cancel map: the proxy's process id → the backend's key and address.
#[derive(Default)]
pub(crate) struct State {
    keys: Mutex<HashMap<u32, Entry>>,
}

/// A session's entry, removed when the session ends.
pub(crate) struct Registered<'a> {
    state: &'a State,
    process_id: u32,
    secret: Vec<u8>,
}

impl Registered<'_> {
    /// The BackendKeyData message the client is given.
    pub(crate) fn backend_key_data(&self) -> Vec<u8> {
        let mut body = self.process_id.to_be_bytes().to_vec();
        body.extend_from_slice(&self.secret);
        wire::encode(b'K', &body)
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        lock(&self.state.keys).remove(&self.process_id);
    }
}

impl State {
    /// Registers session `conn`'s backend; the proxy's process id is the connection id.
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
        // Process ids are 32 bits: after 4 billion connections ids wrap, and an id still in use
        // is passed over.
        let mut keys = lock(&self.keys);
        let mut process_id = conn as u32;
        while keys.contains_key(&process_id) || process_id == 0 {
            process_id = process_id.wrapping_add(1);
        }
        keys.insert(
            process_id,
            Entry {
                ours: secret.clone(),
                backend,
                theirs,
            },
        );
        Registered {
            state: self,
            process_id,
            secret,
        }
    }

    fn look_up(&self, process_id: u32, secret: &[u8]) -> Option<(SocketAddr, BackendKey)> {
        let keys = lock(&self.keys);
        let e = keys.get(&process_id)?;
        constant_time_eq(&e.ours, secret).then(|| (e.backend, e.theirs.clone()))
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Forwards a client's CancelRequest to its backend, over TLS. As with PostgreSQL, the client
/// gets no answer either way.
pub(crate) async fn forward(session: &Session, process_id: u32, secret: &[u8]) {
    let instance = &session.instance;
    let Some((backend, theirs)) = instance.pg.look_up(process_id, secret) else {
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
    match tokio::time::timeout(session.upstream_timeout(), sent).await {
        Ok(Ok(())) => session.log(
            Level::Info,
            &format!("forwarded a cancel request for conn {process_id}"),
        ),
        Ok(Err(e)) => session.log(
            Level::Warn,
            &format!("could not forward a cancel request for conn {process_id}: {e}"),
        ),
        Err(_) => session.log(
            Level::Warn,
            &format!("could not forward a cancel request for conn {process_id}: timed out"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_both_ways_and_leave_with_the_session() {
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
            assert_eq!(ours.process_id, 9);
            assert_eq!(state.look_up(9, &ours.secret), Some((backend, theirs)));
            assert_eq!(
                state.look_up(9, &vec![0; secret_len]),
                None,
                "a wrong secret finds nothing"
            );
            drop(r);
            assert_eq!(
                state.look_up(9, &ours.secret),
                None,
                "gone with the session"
            );
        }
    }
}
