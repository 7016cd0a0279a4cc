//! `KILL` through the proxy. A client knows its connection by the id in its greeting, which is
//! the proxy's ([`super::state`]); the mysql CLI's Ctrl-C, Connector/J's and mysql2's cancel
//! send `KILL QUERY <that id>` on a second connection, and mysql-connector-python sends
//! COM_PROCESS_KILL. The client's side of a logged-in session is read through [`KillRewrite`],
//! which follows the packet framing (a header, then the payload passed unread) and rewrites
//! those commands when the id is one the proxy gave out: to the server thread behind it.
//! Anything else, ids the server shows (`CONNECTION_ID()`, the process list) included, passes
//! as it came.

use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::state::Threads;
use super::wire;

const COM_QUERY: u8 = 0x03;
const COM_PROCESS_KILL: u8 = 0x0c;
/// A `KILL` command's packet is shorter than this; longer ones pass unread.
const SMALL: usize = 96;

/// The command `payload` (a packet with sequence id 0) rewritten for the server, when it kills
/// a connection by an id the proxy gave out.
fn rewritten(payload: &[u8], ids: &Threads) -> Option<Vec<u8>> {
    match payload.split_first()? {
        (&COM_PROCESS_KILL, id) if id.len() == 4 => {
            let ours = u32::from_le_bytes(id.try_into().ok()?);
            let thread = ids.server_thread(ours)?;
            let mut out = vec![COM_PROCESS_KILL];
            out.extend_from_slice(&thread.to_le_bytes());
            Some(out)
        }
        (&COM_QUERY, query) => {
            // With CLIENT_QUERY_ATTRIBUTES the text follows a parameter count (0) and a
            // parameter set count (1); SQL text never starts with a NUL byte.
            let (prefix, text) = match query {
                [0, 1, text @ ..] => (&query[..2], text),
                text => (&query[..0], text),
            };
            let (start, end) = killed_id(text)?;
            let ours: u32 = std::str::from_utf8(&text[start..end]).ok()?.parse().ok()?;
            let thread = ids.server_thread(ours)?;
            let mut out = vec![COM_QUERY];
            out.extend_from_slice(prefix);
            out.extend_from_slice(&text[..start]);
            out.extend_from_slice(thread.to_string().as_bytes());
            out.extend_from_slice(&text[end..]);
            Some(out)
        }
        _ => None,
    }
}

/// Where the id is in `KILL [HARD | SOFT] [CONNECTION | QUERY] <id> [;]` (any case, any
/// spacing): its byte range.
fn killed_id(text: &[u8]) -> Option<(usize, usize)> {
    let mut at = 0;
    let word = |at: &mut usize| -> (usize, usize) {
        while text.get(*at).is_some_and(u8::is_ascii_whitespace) {
            *at += 1;
        }
        let start = *at;
        while text.get(*at).is_some_and(u8::is_ascii_alphanumeric) {
            *at += 1;
        }
        (start, *at)
    };
    let is = |(s, e): (usize, usize), w: &str| text[s..e].eq_ignore_ascii_case(w.as_bytes());
    if !is(word(&mut at), "KILL") {
        return None;
    }
    let mut next = word(&mut at);
    if is(next, "HARD") || is(next, "SOFT") {
        next = word(&mut at);
    }
    if is(next, "QUERY") || is(next, "CONNECTION") {
        next = word(&mut at);
    }
    let (start, end) = next;
    if start == end || !text[start..end].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let rest = &text[end..];
    rest.iter()
        .all(|b| b.is_ascii_whitespace() || *b == b';')
        .then_some((start, end))
}

/// The client's side of a logged-in MySQL session, `KILL` rewritten (see the module's text).
/// Writes pass through.
pub(crate) struct KillRewrite<R> {
    inner: R,
    ids: Threads,
    /// Payload bytes of the current packet still to pass unread.
    skip: usize,
    /// Bytes read and not yet passed: a packet header, or a small command, split across reads.
    held: Vec<u8>,
    /// Bytes ready to hand out, from `ready_at`.
    ready: Vec<u8>,
    ready_at: usize,
}

impl<R> KillRewrite<R> {
    /// Reads `inner` (a client that has just logged in: the next byte starts a packet).
    pub(crate) fn new(inner: R, ids: Threads) -> Self {
        KillRewrite {
            inner,
            ids,
            skip: 0,
            held: Vec::new(),
            ready: Vec::new(),
            ready_at: 0,
        }
    }

    /// Whether a packet with this header is a command that may be a `KILL`.
    fn candidate(len: usize, seq: u8, first: Option<u8>) -> bool {
        seq == 0
            && len > 0
            && len < SMALL
            && matches!(first, None | Some(COM_QUERY | COM_PROCESS_KILL))
    }

    /// Follows the framing over `data`, which passes as it is up to the returned offset: the
    /// rest must be held (a header or a command split across reads, or a `KILL` to rewrite).
    fn scan(&mut self, data: &[u8]) -> Option<usize> {
        let mut pos = 0;
        while pos < data.len() {
            if self.skip > 0 {
                let n = self.skip.min(data.len() - pos);
                self.skip -= n;
                pos += n;
                continue;
            }
            let Some(head) = data.get(pos..pos + 4) else {
                return Some(pos);
            };
            let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
            if Self::candidate(len, head[3], data.get(pos + 4).copied()) {
                let Some(payload) = data.get(pos + 4..pos + 4 + len) else {
                    return Some(pos);
                };
                if rewritten(payload, &self.ids).is_some() {
                    return Some(pos);
                }
                pos += 4 + len;
            } else {
                self.skip = len;
                pos += 4;
            }
        }
        None
    }

    /// Moves what `held` starts with (a packet boundary) into `ready`; false when it needs
    /// more bytes first.
    fn resolve_held(&mut self) -> bool {
        let Some(head) = self.held.get(..4) else {
            return false;
        };
        let len = usize::from(head[0]) | usize::from(head[1]) << 8 | usize::from(head[2]) << 16;
        let seq = head[3];
        if Self::candidate(len, seq, self.held.get(4).copied()) {
            let Some(payload) = self.held.get(4..4 + len) else {
                return false;
            };
            match rewritten(payload, &self.ids) {
                Some(new) => self.ready.extend(wire::packet(seq, &new)),
                None => self.ready.extend_from_slice(&self.held[..4 + len]),
            }
            self.held.drain(..4 + len);
        } else {
            let have = (self.held.len() - 4).min(len);
            self.ready.extend_from_slice(&self.held[..4 + have]);
            self.skip = len - have;
            self.held.drain(..4 + have);
        }
        true
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for KillRewrite<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.ready_at < this.ready.len() {
                let n = buf.remaining().min(this.ready.len() - this.ready_at);
                buf.put_slice(&this.ready[this.ready_at..this.ready_at + n]);
                this.ready_at += n;
                if this.ready_at == this.ready.len() {
                    this.ready.clear();
                    this.ready_at = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if this.held.is_empty() {
                // The common case: read straight into the caller's buffer and pass it as is.
                let before = buf.filled().len();
                ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
                let Some(at) = this.scan(&buf.filled()[before..]) else {
                    return Poll::Ready(Ok(())); // all of it, or EOF
                };
                this.held.extend_from_slice(&buf.filled()[before + at..]);
                buf.set_filled(before + at);
                if at > 0 {
                    return Poll::Ready(Ok(()));
                }
            } else if !this.resolve_held() {
                let mut more = [0u8; 512];
                let mut more = ReadBuf::new(&mut more);
                ready!(Pin::new(&mut this.inner).poll_read(cx, &mut more))?;
                if more.filled().is_empty() {
                    // EOF inside a packet: pass what came; the server sees the same cut.
                    this.ready = std::mem::take(&mut this.held);
                    if this.ready.is_empty() {
                        return Poll::Ready(Ok(()));
                    }
                } else {
                    this.held.extend_from_slice(more.filled());
                }
            }
        }
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for KillRewrite<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    fn ids() -> (Threads, super::super::state::Registered) {
        let threads = Threads::default();
        let held = threads.register(1 << 30, 42);
        (threads, held)
    }

    #[test]
    fn kill_statements_with_the_proxys_id_name_the_server_thread() {
        let (ids, _held) = ids();
        let query = |sql: &str| {
            let mut p = vec![COM_QUERY];
            p.extend_from_slice(sql.as_bytes());
            rewritten(&p, &ids).map(|out| String::from_utf8_lossy(&out[1..]).into_owned())
        };
        assert_eq!(
            query("KILL QUERY 1073741824").as_deref(),
            Some("KILL QUERY 42")
        );
        assert_eq!(query("  kill 1073741824 ;").as_deref(), Some("  kill 42 ;"));
        assert_eq!(
            query("KILL HARD CONNECTION 1073741824").as_deref(),
            Some("KILL HARD CONNECTION 42")
        );
        assert_eq!(query("KILL QUERY 7"), None, "a server id passes");
        assert_eq!(query("KILL QUERY 1073741825"), None, "no such session");
        assert_eq!(query("KILL QUERY 1073741824 OR 1"), None);
        assert_eq!(query("SELECT 1073741824"), None);
        assert_eq!(query("KILL USER bob"), None);
        let mut attrs = vec![COM_QUERY, 0, 1];
        attrs.extend_from_slice(b"KILL 1073741824");
        assert_eq!(
            rewritten(&attrs, &ids),
            Some(b"\x03\x00\x01KILL 42".to_vec())
        );
        let mut process_kill = vec![COM_PROCESS_KILL];
        process_kill.extend_from_slice(&(1u32 << 30).to_le_bytes());
        assert_eq!(
            rewritten(&process_kill, &ids),
            Some(vec![COM_PROCESS_KILL, 42, 0, 0, 0])
        );
    }

    /// The client's bytes through the rewriter, written in pieces of `piece` bytes.
    async fn through(input: &[u8], piece: usize, ids: Threads) -> Vec<u8> {
        let (mut client, proxy_end) = tokio::io::duplex(256);
        let mut reader = KillRewrite::new(proxy_end, ids);
        let input = input.to_vec();
        let writer = tokio::spawn(async move {
            for chunk in input.chunks(piece) {
                client.write_all(chunk).await.unwrap();
            }
        });
        let mut out = Vec::new();
        let mut buf = [0u8; 37]; // an odd size: reads end anywhere in a packet
        loop {
            let n = reader.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        writer.await.unwrap();
        out
    }

    #[tokio::test]
    async fn a_stream_split_anywhere_has_its_kill_rewritten_and_the_rest_unchanged() {
        let (ids, _held) = ids();
        let mut input = Vec::new();
        input.extend(wire::packet(0, b"\x03SELECT 1"));
        let big: Vec<u8> = (0..1000u32).map(|i| i as u8).collect();
        let mut insert = vec![COM_QUERY];
        insert.extend_from_slice(&big); // bytes that look like headers, passed unread
        input.extend(wire::packet(0, &insert));
        input.extend(wire::packet(0, b"\x03KILL QUERY 1073741824"));
        input.extend(wire::packet(3, b"\x03KILL QUERY 1073741824")); // not a command: seq 3
        input.extend(wire::packet(0, b"\x0e")); // COM_PING
        let mut want = Vec::new();
        want.extend(wire::packet(0, b"\x03SELECT 1"));
        want.extend(wire::packet(0, &insert));
        want.extend(wire::packet(0, b"\x03KILL QUERY 42"));
        want.extend(wire::packet(3, b"\x03KILL QUERY 1073741824"));
        want.extend(wire::packet(0, b"\x0e"));
        for piece in [1, 2, 3, 5, 7, 64, 4096] {
            assert_eq!(
                through(&input, piece, ids.clone()).await,
                want,
                "pieces of {piece}"
            );
        }
    }

    #[tokio::test]
    async fn a_packet_cut_by_eof_passes_as_it_came() {
        let (ids, _held) = ids();
        let cut = &wire::packet(0, b"\x03KILL QUERY 1073741824")[..9];
        assert_eq!(through(cut, 3, ids).await, cut);
    }
}
