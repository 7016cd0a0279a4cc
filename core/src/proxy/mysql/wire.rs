//! MySQL's client/server framing, as far as the proxy reads it during the handshake: packets
//! (3-byte length, sequence id), the server's HandshakeV10, the client's SSLRequest and
//! HandshakeResponse41, OK / ERR, and length-encoded values. Every read is framed by the
//! length the packet announces.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

pub(crate) const CLIENT_LONG_PASSWORD: u32 = 1; // MariaDB: CLIENT_MYSQL
pub(crate) const CLIENT_CONNECT_WITH_DB: u32 = 1 << 3;
pub(crate) const CLIENT_COMPRESS: u32 = 1 << 5;
pub(crate) const CLIENT_PROTOCOL_41: u32 = 1 << 9;
pub(crate) const CLIENT_SSL: u32 = 1 << 11;
pub(crate) const CLIENT_SECURE_CONNECTION: u32 = 1 << 15;
pub(crate) const CLIENT_PLUGIN_AUTH: u32 = 1 << 19;
pub(crate) const CLIENT_CONNECT_ATTRS: u32 = 1 << 20;
pub(crate) const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA: u32 = 1 << 21;
pub(crate) const CLIENT_ZSTD_COMPRESSION_ALGORITHM: u32 = 1 << 26;
pub(crate) const CLIENT_SSL_VERIFY_SERVER_CERT: u32 = 1 << 30;

/// Handshake packets stay far below this; a longer one is not MySQL.
pub(crate) const MAX_HANDSHAKE_PACKET: usize = 64 * 1024;

/// A packet: its sequence id and payload.
pub(crate) struct Packet {
    pub seq: u8,
    pub payload: Vec<u8>,
}

/// A malformed packet: said, then the connection is closed.
#[derive(Debug)]
pub(crate) struct Malformed(pub String);

/// Reads one packet of at most `limit` bytes.
pub(crate) async fn read_packet<R: AsyncRead + Unpin>(
    r: &mut R,
    limit: usize,
) -> std::io::Result<Result<Packet, Malformed>> {
    let mut head = [0u8; 4];
    r.read_exact(&mut head).await?;
    let len = u32::from_le_bytes([head[0], head[1], head[2], 0]) as usize;
    if len > limit {
        return Ok(Err(Malformed(format!(
            "a handshake packet of {len} bytes (at most {limit} expected)"
        ))));
    }
    let mut payload = vec![0; len];
    r.read_exact(&mut payload).await?;
    Ok(Ok(Packet {
        seq: head[3],
        payload,
    }))
}

/// A packet as it goes on the wire (payloads here are far below 16 MB).
pub(crate) fn packet(seq: u8, payload: &[u8]) -> Vec<u8> {
    let len = payload.len() as u32;
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.extend_from_slice(&len.to_le_bytes()[..3]);
    out.push(seq);
    out.extend_from_slice(payload);
    out
}

/// Writes and flushes.
pub(crate) async fn send<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// An ERR packet's payload (protocol 4.1: with the SQLSTATE marker).
pub(crate) fn err(code: u16, sqlstate: &str, message: &str) -> Vec<u8> {
    let mut out = vec![0xff];
    out.extend_from_slice(&code.to_le_bytes());
    out.push(b'#');
    out.extend_from_slice(sqlstate.as_bytes());
    out.extend_from_slice(message.as_bytes());
    out
}

/// A cursor over a payload.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub(crate) fn bytes(&mut self, n: usize) -> Option<&'a [u8]> {
        let out = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(out)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.bytes(1).map(|b| b[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.bytes(2).map(|b| u16::from_le_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.bytes(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    /// Bytes up to a NUL (consumed, not returned); `None` without one.
    pub(crate) fn nul_terminated(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        let end = rest.iter().position(|b| *b == 0)?;
        self.pos += end + 1;
        Some(&rest[..end])
    }
    /// A length-encoded integer.
    pub(crate) fn lenenc(&mut self) -> Option<u64> {
        match self.u8()? {
            n @ 0..=0xfa => Some(u64::from(n)),
            0xfc => self.u16().map(u64::from),
            0xfd => self
                .bytes(3)
                .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], 0]))),
            0xfe => self
                .bytes(8)
                .map(|b| u64::from_le_bytes(b.try_into().unwrap_or_default())),
            _ => None,
        }
    }
    pub(crate) fn lenenc_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.lenenc()?).ok()?;
        self.bytes(n)
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        out
    }
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// Appends a length-encoded integer.
pub(crate) fn put_lenenc(out: &mut Vec<u8>, n: u64) {
    match n {
        0..=0xfa => out.push(n as u8),
        0xfb..=0xffff => {
            out.push(0xfc);
            out.extend_from_slice(&(n as u16).to_le_bytes());
        }
        0x1_0000..=0xff_ffff => {
            out.push(0xfd);
            out.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
        }
        _ => {
            out.push(0xfe);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
}

/// The server's HandshakeV10, as far as the proxy uses it.
#[derive(Clone, Debug)]
pub(crate) struct Greeting {
    pub server_version: Vec<u8>,
    pub connection_id: u32,
    pub capabilities: u32,
    pub charset: u8,
    pub status: u16,
    /// The first auth plugin and its data (the scramble).
    pub auth_plugin: Vec<u8>,
}

impl Greeting {
    pub(crate) fn parse(p: &[u8]) -> Result<Greeting, Malformed> {
        let bad = || Malformed("a malformed server greeting (HandshakeV10)".into());
        let mut r = Reader::new(p);
        if r.u8() != Some(10) {
            return Err(Malformed(format!(
                "the server greeted with protocol {} (MySQL speaks 10)",
                p.first().copied().unwrap_or(0)
            )));
        }
        let server_version = r.nul_terminated().ok_or_else(bad)?.to_vec();
        let connection_id = r.u32().ok_or_else(bad)?;
        r.bytes(9).ok_or_else(bad)?; // scramble part 1 + filler
        let low = r.u16().ok_or_else(bad)?;
        let charset = r.u8().unwrap_or(0);
        let status = r.u16().unwrap_or(0);
        let high = r.u16().unwrap_or(0);
        let capabilities = u32::from(low) | (u32::from(high) << 16);
        let auth_len = r.u8().unwrap_or(0);
        r.bytes(10); // reserved (MariaDB: extended capabilities in the last 4)
        if capabilities & CLIENT_SECURE_CONNECTION != 0 {
            let n = 13.max(usize::from(auth_len).saturating_sub(8));
            r.bytes(n);
        }
        let auth_plugin = if capabilities & CLIENT_PLUGIN_AUTH != 0 {
            r.nul_terminated().unwrap_or_else(|| r.rest()).to_vec()
        } else {
            b"mysql_native_password".to_vec()
        };
        Ok(Greeting {
            server_version,
            connection_id,
            capabilities,
            charset,
            status,
            auth_plugin,
        })
    }

    /// The greeting the proxy sends its client: the server's version, charset and status; the
    /// proxy's `connection_id`; `capabilities`; a fresh scramble; `caching_sha2_password` (see
    /// DESIGN.md).
    pub(crate) fn encode(
        &self,
        connection_id: u32,
        capabilities: u32,
        scramble: &[u8; 20],
        plugin: &str,
    ) -> Vec<u8> {
        let mut out = vec![10];
        out.extend_from_slice(&self.server_version);
        out.push(0);
        out.extend_from_slice(&connection_id.to_le_bytes());
        out.extend_from_slice(&scramble[..8]);
        out.push(0);
        out.extend_from_slice(&(capabilities as u16).to_le_bytes());
        out.push(self.charset);
        out.extend_from_slice(&self.status.to_le_bytes());
        out.extend_from_slice(&((capabilities >> 16) as u16).to_le_bytes());
        out.push(21); // scramble length + 1
        out.extend_from_slice(&[0; 10]); // reserved; MariaDB's extended capabilities: none
        out.extend_from_slice(&scramble[8..]);
        out.push(0);
        out.extend_from_slice(plugin.as_bytes());
        out.push(0);
        out
    }
}

/// The client's HandshakeResponse41 (or, when only 32 bytes long with CLIENT_SSL, its
/// SSLRequest).
#[derive(Clone, Debug, Default)]
pub(crate) struct Response {
    pub capabilities: u32,
    pub max_packet: u32,
    pub charset: u8,
    pub user: String,
    pub auth: Vec<u8>,
    pub database: Option<Vec<u8>>,
    pub plugin: Option<Vec<u8>>,
    /// The connect attributes block as sent (its length prefix excluded).
    pub attributes: Option<Vec<u8>>,
}

impl Response {
    /// True for the 32-byte SSLRequest.
    pub(crate) fn is_ssl_request(p: &[u8]) -> bool {
        p.len() == 32 && u32::from_le_bytes([p[0], p[1], p[2], p[3]]) & CLIENT_SSL != 0
    }

    pub(crate) fn parse(p: &[u8]) -> Result<Response, Malformed> {
        let bad = || Malformed("a malformed HandshakeResponse".into());
        let mut r = Reader::new(p);
        let capabilities = r.u32().ok_or_else(bad)?;
        if capabilities & CLIENT_PROTOCOL_41 == 0 {
            return Err(Malformed(
                "the client speaks the pre-4.1 protocol; the proxy needs 4.1".into(),
            ));
        }
        let max_packet = r.u32().ok_or_else(bad)?;
        let charset = r.u8().ok_or_else(bad)?;
        r.bytes(23).ok_or_else(bad)?;
        let user = String::from_utf8_lossy(r.nul_terminated().ok_or_else(bad)?).into_owned();
        let auth = if capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            r.lenenc_bytes().ok_or_else(bad)?.to_vec()
        } else if capabilities & CLIENT_SECURE_CONNECTION != 0 {
            let n = usize::from(r.u8().ok_or_else(bad)?);
            r.bytes(n).ok_or_else(bad)?.to_vec()
        } else {
            r.nul_terminated().ok_or_else(bad)?.to_vec()
        };
        let database = (capabilities & CLIENT_CONNECT_WITH_DB != 0 && !r.is_empty())
            .then(|| r.nul_terminated().map(<[u8]>::to_vec))
            .flatten();
        let plugin = (capabilities & CLIENT_PLUGIN_AUTH != 0 && !r.is_empty())
            .then(|| r.nul_terminated().map(<[u8]>::to_vec))
            .flatten();
        let attributes = (capabilities & CLIENT_CONNECT_ATTRS != 0 && !r.is_empty())
            .then(|| r.lenenc_bytes().map(<[u8]>::to_vec))
            .flatten();
        Ok(Response {
            capabilities,
            max_packet,
            charset,
            user,
            auth,
            database,
            plugin,
            attributes,
        })
    }

    /// The SSLRequest for these capabilities.
    pub(crate) fn ssl_request(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        out.extend_from_slice(&(self.capabilities | CLIENT_SSL).to_le_bytes());
        out.extend_from_slice(&self.max_packet.to_le_bytes());
        out.push(self.charset);
        out.extend_from_slice(&[0; 23]);
        out
    }

    /// The HandshakeResponse41 payload.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = self.ssl_request();
        out[..4].copy_from_slice(&self.capabilities.to_le_bytes());
        out.extend_from_slice(self.user.as_bytes());
        out.push(0);
        if self.capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA != 0 {
            put_lenenc(&mut out, self.auth.len() as u64);
        } else {
            out.push(self.auth.len().min(255) as u8);
        }
        out.extend_from_slice(&self.auth);
        if let Some(db) = self
            .database
            .as_ref()
            .filter(|_| self.capabilities & CLIENT_CONNECT_WITH_DB != 0)
        {
            out.extend_from_slice(db);
            out.push(0);
        }
        if let Some(plugin) = self
            .plugin
            .as_ref()
            .filter(|_| self.capabilities & CLIENT_PLUGIN_AUTH != 0)
        {
            out.extend_from_slice(plugin);
            out.push(0);
        }
        if let Some(attrs) = self
            .attributes
            .as_ref()
            .filter(|_| self.capabilities & CLIENT_CONNECT_ATTRS != 0)
        {
            put_lenenc(&mut out, attrs.len() as u64);
            out.extend_from_slice(attrs);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenenc_round_trips_at_every_width() {
        for n in [
            0u64,
            250,
            251,
            0xffff,
            0x1_0000,
            0xff_ffff,
            0x100_0000,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            put_lenenc(&mut out, n);
            assert_eq!(Reader::new(&out).lenenc(), Some(n), "{n}");
        }
    }

    #[test]
    fn a_response_with_a_long_token_attributes_and_a_database_round_trips() {
        let caps = CLIENT_PROTOCOL_41
            | CLIENT_SECURE_CONNECTION
            | CLIENT_PLUGIN_AUTH
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA
            | CLIENT_CONNECT_WITH_DB
            | CLIENT_CONNECT_ATTRS;
        let r = Response {
            capabilities: caps,
            max_packet: 16 << 20,
            charset: 45,
            user: "iam_user".into(),
            auth: vec![b'x'; 1500], // a token with a session token: past 250 bytes
            database: Some(b"app".to_vec()),
            plugin: Some(b"mysql_clear_password".to_vec()),
            attributes: Some(b"\x0c_client_name\x07libmysql".to_vec()),
        };
        let back = Response::parse(&r.encode()).unwrap();
        assert_eq!(back.user, "iam_user");
        assert_eq!(back.auth.len(), 1500);
        assert_eq!(back.database.as_deref(), Some(&b"app"[..]));
        assert_eq!(back.plugin.as_deref(), Some(&b"mysql_clear_password"[..]));
        assert_eq!(back.attributes, r.attributes);
        assert!(Response::is_ssl_request(&r.ssl_request()));
    }

    #[test]
    fn a_greeting_round_trips_through_the_proxys_encoding() {
        let g = Greeting {
            server_version: b"5.5.5-10.11.6-MariaDB".to_vec(),
            connection_id: 77,
            capabilities: 0xf7fe | (0x81bf << 16),
            charset: 45,
            status: 2,
            auth_plugin: b"mysql_native_password".to_vec(),
        };
        let caps = g.capabilities & !CLIENT_COMPRESS;
        let ours =
            Greeting::parse(&g.encode(1 << 30, caps, &[7; 20], "caching_sha2_password")).unwrap();
        assert_eq!(ours.server_version, g.server_version);
        assert_eq!(ours.connection_id, 1 << 30);
        assert_eq!(ours.capabilities, caps);
        assert_eq!(ours.auth_plugin, b"caching_sha2_password");
    }
}
