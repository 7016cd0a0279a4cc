//! PostgreSQL's wire (proxy/pg/wire.rs) from both sides: what a client opens a connection
//! with, and what a server answers during the login.

use super::ready;
use crate::proxy::pg::cancel::BackendKey;
use crate::proxy::pg::wire::{self, Opening};

/// The client side: opening packets as the proxy's startup loop reads them (SSLRequest and
/// GSSENCRequest answered, then a StartupMessage or a CancelRequest). What was read must
/// re-encode to the same packet, and the parameters the proxy looks up must be found.
pub fn pg_client_opening(data: &[u8]) {
    let mut r = data;
    // A client may ask for SSL and GSS encryption before its startup: a few rounds at most.
    for _ in 0..4 {
        match r.first() {
            None => return,
            // Direct SSL: the rest is a TLS handshake, which rustls reads.
            Some(&wire::TLS_HANDSHAKE_RECORD) => return,
            Some(_) => {}
        }
        let Some((len, rest)) = r.split_first_chunk::<4>() else {
            return;
        };
        r = rest;
        let before = r.len();
        let opening = match ready(wire::read_opening(&mut r, *len)) {
            Err(_) => return, // the client left mid-packet
            Ok(Err(wire::Malformed(why))) => {
                assert!(!why.is_empty());
                return;
            }
            Ok(Ok(opening)) => opening,
        };
        let announced = u32::from_be_bytes(*len) as usize;
        assert_eq!(before - r.len(), announced - 4, "read past its own length");
        match opening {
            Opening::SslRequest | Opening::GssEncRequest => continue,
            Opening::Cancel { process_id, secret } => {
                let packet = wire::cancel_request(process_id, &secret);
                match reread(&packet) {
                    Opening::Cancel {
                        process_id: p,
                        secret: s,
                    } => assert_eq!((p, s), (process_id, secret)),
                    other => panic!("a CancelRequest re-read as {other:?}"),
                }
                return;
            }
            Opening::Startup { version, params } => {
                assert_eq!(params.last(), Some(&0), "unterminated parameters accepted");
                for name in ["user", "database", "options", "replication"] {
                    let _ = wire::param(&params, name);
                }
                let packet = wire::startup_packet(version, &params);
                assert_eq!(packet.len(), announced);
                match reread(&packet) {
                    Opening::Startup {
                        version: v,
                        params: p,
                    } => assert_eq!((v, p), (version, params)),
                    other => panic!("a StartupMessage re-read as {other:?}"),
                }
                return;
            }
        }
    }
}

/// Reads back a packet the proxy encoded itself; it must be well-formed.
fn reread(packet: &[u8]) -> Opening {
    let (len, mut body) = packet.split_first_chunk::<4>().expect("a length");
    match ready(wire::read_opening(&mut body, *len)) {
        Ok(Ok(opening)) => opening,
        Ok(Err(wire::Malformed(why))) => panic!("the proxy's own packet is malformed: {why}"),
        Err(e) => panic!("the proxy's own packet is short: {e}"),
    }
}

/// The server side: the typed messages of a login (authentication requests, BackendKeyData,
/// ParameterStatus, notices, errors, ReadyForQuery), read as the proxy's login loop reads
/// them. Each must re-encode to the bytes it came from; an error's text, sent again in the
/// proxy's own ErrorResponse, must read back unchanged.
pub fn pg_server_login(data: &[u8]) {
    let mut r = data;
    for _ in 0..64 {
        let start = r;
        let message = match ready(wire::read_message(&mut r, wire::MAX_LOGIN_MESSAGE)) {
            Err(_) => return,
            Ok(Err(wire::Malformed(why))) => {
                assert!(!why.is_empty());
                return;
            }
            Ok(Ok(m)) => m,
        };
        let used = start.len() - r.len();
        assert_eq!(
            message.encode(),
            start[..used],
            "a message re-encoded differently"
        );
        match message.tag {
            b'R' => {
                // The authentication code (login.rs: auth_code): a body shorter than 4 bytes
                // is refused as malformed, never indexed.
                let _ = message
                    .body
                    .first_chunk::<4>()
                    .map(|c| u32::from_be_bytes(*c));
            }
            b'K' => {
                if let Some(key) = BackendKey::parse(&message.body) {
                    assert!((4..=256).contains(&key.secret.len()));
                    assert_eq!(key.secret, message.body[4..]);
                }
            }
            b'E' | b'N' => {
                let code = wire::error_field(&message.body, b'C').unwrap_or_default();
                let text = wire::error_field(&message.body, b'M').unwrap_or_default();
                let ours = wire::error_response(&code, &text, None);
                let body = &ours[5..];
                assert_eq!(wire::error_field(body, b'C').unwrap_or_default(), code);
                assert_eq!(wire::error_field(body, b'M').unwrap_or_default(), text);
            }
            b'Z' => return,
            _ => {}
        }
    }
}
