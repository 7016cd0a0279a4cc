//! MySQL's handshake (proxy/mysql/wire.rs) in both directions: the server's greeting and
//! login answers, and the client's SSLRequest and HandshakeResponse41.

use super::ready;
use crate::proxy::mysql::wire::{self, Greeting, Packet, Reader, Response};

/// Reads one packet as the proxy does; `None` at the end of the input or on a refused length.
fn packet(r: &mut &[u8]) -> Option<Packet> {
    let start = *r;
    let p = ready(wire::read_packet(r, wire::MAX_HANDSHAKE_PACKET))
        .ok()?
        .ok()?;
    let used = start.len() - r.len();
    assert_eq!(
        wire::packet(p.seq, &p.payload),
        start[..used],
        "a packet re-encoded differently"
    );
    Some(p)
}

/// The server side: the greeting (HandshakeV10, or an ERR before it), then the answers to
/// the login (OK, ERR, AuthSwitchRequest, more data). The greeting the proxy derives from the
/// server's must read back with the proxy's capabilities, scramble and plugin.
pub fn mysql_server_greeting(data: &[u8]) {
    let mut r = data;
    let Some(first) = packet(&mut r) else { return };
    if first.payload.first() == Some(&0xff) {
        let _ = String::from_utf8_lossy(first.payload.get(3..).unwrap_or_default());
        return;
    }
    let Ok(server) = Greeting::parse(&first.payload) else {
        return;
    };
    // What the proxy's own greeting always carries: a 20-byte scramble and a plugin name.
    let caps = server.capabilities & !wire::CLIENT_COMPRESS & !wire::CLIENT_SSL_VERIFY_SERVER_CERT
        | wire::CLIENT_SECURE_CONNECTION
        | wire::CLIENT_PLUGIN_AUTH;
    let scramble = [0x5a; 20];
    // The proxy greets with a connection id of its own (from 2^30), not the server's.
    let proxy_id = (1 << 30) + (server.connection_id & 0xffff);
    let ours = server.encode(proxy_id, caps, &scramble, "caching_sha2_password");
    let back = Greeting::parse(&ours).expect("the proxy's own greeting parses");
    assert_eq!(back.server_version, server.server_version);
    assert_eq!(back.connection_id, proxy_id);
    assert_eq!(back.capabilities, caps);
    assert_eq!((back.charset, back.status), (server.charset, server.status));
    assert_eq!(back.auth_plugin, b"caching_sha2_password");
    // The login's answers, as the proxy's login loop reads them.
    for _ in 0..8 {
        let Some(p) = packet(&mut r) else { return };
        match p.payload.split_first() {
            Some((0x00, _)) => return,
            Some((0xff, rest)) => {
                let mut e = Reader::new(rest);
                let _code = e.u16();
                if let Some((b'#', tail)) = e.rest().split_first() {
                    let _state = tail.get(..5);
                }
                return;
            }
            Some((0xfe, rest)) => {
                let _plugin = Reader::new(rest).nul_terminated();
            }
            _ => {}
        }
    }
}

/// The client side: an optional SSLRequest, then the HandshakeResponse41. The response the
/// proxy sends upstream for it (its user, database, plugin and attributes, with the token as
/// auth data) must read back field for field.
pub fn mysql_client_response(data: &[u8]) {
    let mut r = data;
    let Some(mut p) = packet(&mut r) else { return };
    if Response::is_ssl_request(&p.payload) {
        let Some(next) = packet(&mut r) else { return };
        p = next;
    }
    let Ok(client) = Response::parse(&p.payload) else {
        return;
    };
    // The server's side of the choice (login.rs): whether it reads length-encoded auth data.
    let lenenc = client.max_packet & 1 != 0;
    let needed =
        wire::CLIENT_PROTOCOL_41 | wire::CLIENT_SECURE_CONNECTION | wire::CLIENT_PLUGIN_AUTH;
    let mut caps = (client.capabilities
        & !wire::CLIENT_COMPRESS
        & !wire::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
        | needed;
    if lenenc {
        caps |= wire::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
    }
    if client.database.is_none() {
        caps &= !wire::CLIENT_CONNECT_WITH_DB;
    }
    // A token with a session token runs past 250 bytes; the proxy sends one that long only
    // with length-encoded auth data.
    let token_len = if lenenc { 1500 } else { 250 };
    let ours = Response {
        capabilities: caps,
        auth: vec![b'x'; token_len],
        plugin: Some(b"mysql_clear_password".to_vec()),
        ..client.clone()
    };
    let encoded = ours.encode();
    let back = Response::parse(&encoded).expect("the proxy's own response parses");
    assert_eq!(back.capabilities, ours.capabilities);
    assert_eq!(
        (back.max_packet, back.charset),
        (ours.max_packet, ours.charset)
    );
    assert_eq!(back.user, ours.user);
    assert_eq!(back.auth, ours.auth);
    assert_eq!(back.database, ours.database);
    assert_eq!(back.plugin, ours.plugin);
    let attributes = ours
        .attributes
        .clone()
        .filter(|_| caps & wire::CLIENT_CONNECT_ATTRS != 0);
    assert_eq!(back.attributes, attributes);
    assert!(Response::is_ssl_request(&ours.ssl_request()));
    // Connect attributes are length-encoded pairs; a reader over them stays in bounds.
    if let Some(attrs) = &back.attributes {
        let mut a = Reader::new(attrs);
        while !a.is_empty() && a.lenenc_bytes().is_some() {}
    }
}
