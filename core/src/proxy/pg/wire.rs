//! PostgreSQL's frontend/backend framing, as far as the proxy reads it: the untyped packets a
//! client opens with (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage) and the typed
//! messages of the login. Every read is framed by the length the packet announces, never by
//! what one `read` returned.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// PostgreSQL's own limit on a startup packet (`MAX_STARTUP_PACKET_LENGTH`).
pub(crate) const MAX_STARTUP_PACKET: usize = 10_000;
/// Backend messages read during the login (errors, notices, parameters) stay well under this;
/// a longer one means the peer is not a PostgreSQL server.
pub(crate) const MAX_LOGIN_MESSAGE: usize = 1 << 20;

/// Protocol 3.0 and 3.2 (PostgreSQL 18's longer cancel keys); the minor version is the
/// client's to choose and passes through unchanged.
pub(crate) const PROTOCOL_MAJOR_3: u32 = 3;
pub(crate) const SSL_REQUEST: u32 = 80_877_103;
pub(crate) const GSSENC_REQUEST: u32 = 80_877_104;
pub(crate) const CANCEL_REQUEST: u32 = 80_877_102;
/// The first byte of a TLS handshake record: a client that negotiates TLS directly (libpq 17's
/// `sslnegotiation=direct`) sends it instead of a length.
pub(crate) const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// One packet a client may open a connection with.
#[derive(Debug)]
pub(crate) enum Opening {
    SslRequest,
    GssEncRequest,
    Cancel {
        process_id: u32,
        secret: Vec<u8>,
    },
    /// The protocol version and the raw `name\0value\0…\0` parameter block, kept as sent so
    /// that every parameter goes upstream unchanged.
    Startup {
        version: u32,
        params: Vec<u8>,
    },
}

/// A malformed or oversized packet: the connection is closed after saying so.
#[derive(Debug)]
pub(crate) struct Malformed(pub String);

/// Reads one opening packet whose 4-byte length `len_bytes` was already read.
pub(crate) async fn read_opening<R: AsyncRead + Unpin>(
    r: &mut R,
    len_bytes: [u8; 4],
) -> std::io::Result<Result<Opening, Malformed>> {
    let len = u32::from_be_bytes(len_bytes) as usize;
    if !(8..=MAX_STARTUP_PACKET).contains(&len) {
        return Ok(Err(Malformed(format!(
            "invalid startup packet length {len} (PostgreSQL allows 8 to {MAX_STARTUP_PACKET} bytes)"
        ))));
    }
    let mut body = vec![0; len - 4];
    r.read_exact(&mut body).await?;
    let code = u32::from_be_bytes([body[0], body[1], body[2], body[3]]);
    let rest = body.split_off(4);
    Ok(match code {
        SSL_REQUEST if rest.is_empty() => Ok(Opening::SslRequest),
        GSSENC_REQUEST if rest.is_empty() => Ok(Opening::GssEncRequest),
        CANCEL_REQUEST if rest.len() >= 8 => Ok(Opening::Cancel {
            process_id: u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]),
            secret: rest[4..].to_vec(),
        }),
        v if v >> 16 == PROTOCOL_MAJOR_3 => {
            if rest.last() != Some(&0) {
                Err(Malformed(
                    "the startup parameters are not terminated".into(),
                ))
            } else if let Some(why) = repeated_param(&rest) {
                Err(why)
            } else {
                Ok(Opening::Startup {
                    version: v,
                    params: rest,
                })
            }
        }
        v => Err(Malformed(format!(
            "unsupported frontend protocol {}.{}: the proxy speaks protocol 3",
            v >> 16,
            v & 0xffff
        ))),
    })
}

/// A parameter named twice: the proxy reads the first (`user` against `--users`) and PostgreSQL
/// keeps the last, so a repeated key is refused like any malformed packet.
fn repeated_param(params: &[u8]) -> Option<Malformed> {
    let mut seen: Vec<&[u8]> = Vec::new();
    let mut fields = params.split(|b| *b == 0);
    while let Some(key) = fields.next() {
        if key.is_empty() {
            break; // the terminator
        }
        if seen.contains(&key) {
            return Some(Malformed(format!(
                "the startup packet names \"{}\" more than once",
                key.escape_ascii()
            )));
        }
        seen.push(key);
        fields.next();
    }
    None
}

/// The value of parameter `name` in a raw startup parameter block.
pub(crate) fn param<'a>(params: &'a [u8], name: &str) -> Option<&'a str> {
    let mut fields = params.split(|b| *b == 0);
    while let Some(key) = fields.next() {
        let value = fields.next()?;
        if key == name.as_bytes() {
            return std::str::from_utf8(value).ok();
        }
    }
    None
}

/// A startup packet: length, version, parameters.
pub(crate) fn startup_packet(version: u32, params: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(params.len() + 8);
    out.extend_from_slice(&((params.len() + 8) as u32).to_be_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(params);
    out
}

/// The 8-byte SSLRequest.
pub(crate) fn ssl_request() -> [u8; 8] {
    let mut out = [0; 8];
    out[..4].copy_from_slice(&8u32.to_be_bytes());
    out[4..].copy_from_slice(&SSL_REQUEST.to_be_bytes());
    out
}

/// A CancelRequest for a backend's process id and secret key.
pub(crate) fn cancel_request(process_id: u32, secret: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + secret.len());
    out.extend_from_slice(&((12 + secret.len()) as u32).to_be_bytes());
    out.extend_from_slice(&CANCEL_REQUEST.to_be_bytes());
    out.extend_from_slice(&process_id.to_be_bytes());
    out.extend_from_slice(secret);
    out
}

/// One typed backend message: its tag and body (the length is not kept).
pub(crate) struct Message {
    pub tag: u8,
    pub body: Vec<u8>,
}

impl Message {
    /// The message as it goes on the wire.
    pub(crate) fn encode(&self) -> Vec<u8> {
        encode(self.tag, &self.body)
    }
}

/// A typed message: tag, length (including itself), body.
pub(crate) fn encode(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 5);
    out.push(tag);
    out.extend_from_slice(&((body.len() + 4) as u32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

/// Reads one typed message of at most `limit` bytes.
pub(crate) async fn read_message<R: AsyncRead + Unpin>(
    r: &mut R,
    limit: usize,
) -> std::io::Result<Result<Message, Malformed>> {
    let mut head = [0; 5];
    r.read_exact(&mut head).await?;
    let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
    if !(4..=limit).contains(&len) {
        return Ok(Err(Malformed(format!(
            "message '{}' announces {len} bytes (at most {limit} expected during login)",
            head[0].escape_ascii()
        ))));
    }
    let mut body = vec![0; len - 4];
    r.read_exact(&mut body).await?;
    Ok(Ok(Message { tag: head[0], body }))
}

/// The fields of an ErrorResponse or NoticeResponse, by their one-byte codes.
pub(crate) fn error_field(body: &[u8], code: u8) -> Option<String> {
    body.split(|b| *b == 0)
        .find(|f| f.first() == Some(&code))
        .map(|f| String::from_utf8_lossy(&f[1..]).into_owned())
}

/// An ErrorResponse the proxy itself sends: severity FATAL, a SQLSTATE, a message and a hint.
pub(crate) fn error_response(sqlstate: &str, message: &str, hint: Option<&str>) -> Vec<u8> {
    let mut body = Vec::new();
    for (code, value) in [
        (b'S', "FATAL"),
        (b'V', "FATAL"),
        (b'C', sqlstate),
        (b'M', message),
    ]
    .into_iter()
    .chain(hint.map(|h| (b'H', h)))
    {
        body.push(code);
        body.extend_from_slice(value.as_bytes());
        body.push(0);
    }
    body.push(0);
    encode(b'E', &body)
}

/// Writes `bytes` and flushes.
pub(crate) async fn send<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_startup_packet_arriving_a_byte_at_a_time_is_read_whole() {
        let params = b"user\0alice\0database\0app\0application_name\0psql\0\0";
        let packet = startup_packet(196_608, params);
        let (mut client, mut server) = tokio::io::duplex(1);
        let writer = tokio::spawn(async move {
            for b in packet {
                client.write_all(&[b]).await.unwrap();
            }
        });
        let mut len = [0; 4];
        server.read_exact(&mut len).await.unwrap();
        let opening = read_opening(&mut server, len).await.unwrap().unwrap();
        writer.await.unwrap();
        let Opening::Startup {
            version,
            params: got,
        } = opening
        else {
            panic!("not a startup packet: {opening:?}")
        };
        assert_eq!(version, 196_608);
        assert_eq!(got, params);
        assert_eq!(param(&got, "user"), Some("alice"));
        assert_eq!(param(&got, "application_name"), Some("psql"));
        assert_eq!(param(&got, "options"), None);
    }

    #[tokio::test]
    async fn a_repeated_startup_parameter_is_malformed() {
        for (params, repeated) in [
            (
                &b"user\0a\0database\0d\0user\0postgres\0\0"[..],
                Some("user"),
            ),
            (b"user\0a\0options\0\0options\0x\0\0", Some("options")),
            (b"user\0a\0database\0a\0\0", None), // a value may equal another key's
        ] {
            let packet = startup_packet(196_608, params);
            let mut r = &packet[4..];
            let got = read_opening(&mut r, packet[..4].try_into().unwrap())
                .await
                .unwrap();
            match (got, repeated) {
                (Err(Malformed(why)), Some(key)) => {
                    assert!(why.contains(&format!("\"{key}\" more than once")), "{why}")
                }
                (Ok(Opening::Startup { .. }), None) => {}
                (got, _) => panic!("{params:?}: {got:?}"),
            }
        }
    }

    #[tokio::test]
    async fn an_oversized_startup_packet_is_refused_before_it_is_read() {
        let (_, mut server) = tokio::io::duplex(16);
        let len = ((MAX_STARTUP_PACKET + 1) as u32).to_be_bytes();
        let refused = read_opening(&mut server, len).await.unwrap().unwrap_err();
        assert!(refused.0.contains("10000"), "{}", refused.0);
    }

    #[tokio::test]
    async fn cancel_requests_carry_keys_of_any_length() {
        for secret in [vec![1, 2, 3, 4], (0..32).collect::<Vec<u8>>()] {
            let packet = cancel_request(77, &secret);
            let mut r = &packet[4..];
            let got = read_opening(&mut r, packet[..4].try_into().unwrap())
                .await
                .unwrap();
            let Ok(Opening::Cancel {
                process_id,
                secret: s,
            }) = got
            else {
                panic!("not a cancel request")
            };
            assert_eq!((process_id, s), (77, secret));
        }
    }

    #[test]
    fn an_error_response_carries_its_fields() {
        let e = error_response("53300", "too many", Some("wait"));
        assert_eq!(e[0], b'E');
        let body = &e[5..];
        assert_eq!(error_field(body, b'C').as_deref(), Some("53300"));
        assert_eq!(error_field(body, b'M').as_deref(), Some("too many"));
        assert_eq!(error_field(body, b'H').as_deref(), Some("wait"));
    }
}
