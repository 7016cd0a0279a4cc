//! After the login, bytes are copied both ways unparsed. One side's EOF shuts down the other
//! side's write (half-close), and the copy goes on the other way until that side ends too.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// PostgreSQL's own socket buffer size; two per session, so 1000 idle sessions hold 16 MB.
const BUFFER: usize = 8 * 1024;

/// Copies `from` into `to` until EOF, then shuts `to`'s write side down.
async fn one_way<R, W>(mut from: R, mut to: W, counter: &AtomicU64) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = from.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n]).await?;
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
    to.shutdown().await
}

/// Splices `client` and `upstream` until both directions have ended (or one fails).
pub(crate) async fn splice<C, U>(
    client: C,
    upstream: U,
    from_client: &AtomicU64,
    from_upstream: &AtomicU64,
) -> std::io::Result<()>
where
    C: AsyncRead + AsyncWrite + Unpin,
    U: AsyncRead + AsyncWrite + Unpin,
{
    let (client_read, client_write) = tokio::io::split(client);
    let (upstream_read, upstream_write) = tokio::io::split(upstream);
    let up = one_way(client_read, upstream_write, from_client);
    let down = one_way(upstream_read, client_write, from_upstream);
    // An error on one direction ends the session: the other side is dropped with it.
    tokio::try_join!(up, down).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_half_close_reaches_the_other_side_and_the_reply_still_comes_back() {
        let (mut client, client_end) = tokio::io::duplex(64);
        let (upstream_end, mut server) = tokio::io::duplex(64);
        let (a, b) = (AtomicU64::new(0), AtomicU64::new(0));
        let proxy = splice(client_end, upstream_end, &a, &b);
        let peers = async {
            client.write_all(b"question").await.unwrap();
            client.shutdown().await.unwrap();
            let mut asked = Vec::new();
            server.read_to_end(&mut asked).await.unwrap(); // EOF arrived: the half-close
            server.write_all(b"answer after EOF").await.unwrap();
            server.shutdown().await.unwrap();
            let mut answer = Vec::new();
            client.read_to_end(&mut answer).await.unwrap();
            (asked, answer)
        };
        let (spliced, (asked, answer)) = tokio::join!(proxy, peers);
        spliced.unwrap();
        assert_eq!(asked, b"question");
        assert_eq!(answer, b"answer after EOF");
        assert_eq!(
            (a.load(Ordering::Relaxed), b.load(Ordering::Relaxed)),
            (8, 16)
        );
    }
}
