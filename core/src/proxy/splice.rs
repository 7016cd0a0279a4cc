//! After the login, bytes are copied both ways unparsed. One side's EOF shuts down the other
//! side's write (half-close), and the copy goes on the other way until that side ends too.
//!
//! A TLS leg may accept a write while its records still sit in rustls's buffer (the socket was
//! full): each direction flushes whenever its reader has nothing to give, as
//! `tokio::io::copy_bidirectional` does, so the tail of a large COPY is never held back while
//! the peer waits for it.

use std::future::poll_fn;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};

/// PostgreSQL's own socket buffer size; two per session, so 1000 idle sessions hold 16 MB.
const BUFFER: usize = 8 * 1024;

/// Copies `from` into `to` until EOF, then shuts `to`'s write side down.
async fn one_way<R, W>(mut from: R, mut to: W, counter: &AtomicU64) -> std::io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; BUFFER];
    // Written since the last flush.
    let mut unflushed = false;
    loop {
        let n = poll_fn(|cx| {
            let mut read = ReadBuf::new(&mut buf);
            match Pin::new(&mut from).poll_read(cx, &mut read) {
                Poll::Ready(done) => Poll::Ready(done.map(|()| read.filled().len())),
                Poll::Pending => {
                    // Nothing to copy for now: push out what `to` still holds. A pending
                    // flush registers the waker too, so the task comes back to finish it.
                    if unflushed {
                        match Pin::new(&mut to).poll_flush(cx) {
                            Poll::Ready(Ok(())) => unflushed = false,
                            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                            Poll::Pending => {}
                        }
                    }
                    Poll::Pending
                }
            }
        })
        .await?;
        if n == 0 {
            break;
        }
        to.write_all(&buf[..n]).await?;
        unflushed = true;
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }
    // shutdown() flushes first.
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
    use tokio::io::AsyncReadExt;

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

    /// A TLS client leg and the server end it talks to, over a `capacity`-byte pipe.
    async fn tls_pair(
        capacity: usize,
    ) -> (
        tokio_rustls::client::TlsStream<tokio::io::DuplexStream>,
        tokio_rustls::server::TlsStream<tokio::io::DuplexStream>,
    ) {
        use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
        let made = rcgen::generate_simple_self_signed(["localhost".to_owned()]).unwrap();
        let cert: CertificateDer<'static> = made.cert.der().clone();
        let key = PrivateKeyDer::try_from(made.signing_key.serialize_der()).unwrap();
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .unwrap();
        let mut roots = rustls::RootCertStore::empty();
        roots.add(cert).unwrap();
        let client = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        let (near, far) = tokio::io::duplex(capacity);
        let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(client));
        let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(server));
        let name = ServerName::try_from("localhost").unwrap();
        let (c, s) = tokio::join!(connector.connect(name, near), acceptor.accept(far));
        (c.unwrap(), s.unwrap())
    }

    /// Issue 32, defect 1: the last bytes written into a TLS leg whose socket is full stay in
    /// rustls's buffer until something flushes them. The client then waits for the server's
    /// answer and sends nothing more, so the splice must flush while its reader is pending.
    /// The server starts reading only once the splice has written the client's last byte into
    /// the TLS leg (the pipe is full by then, so the tail is in rustls, not in the pipe).
    #[tokio::test]
    async fn the_tail_written_into_a_full_tls_leg_reaches_a_slow_reader() {
        let (upstream_tls, mut server) = tls_pair(1024).await;
        let (mut client, client_end) = tokio::io::duplex(1 << 20);
        let mut sent: Vec<u8> = (0..40_000u32).map(|i| (i % 251) as u8).collect();
        sent.extend_from_slice(b"THE END");
        client.write_all(&sent).await.unwrap(); // and then waits, with its write side open
        let (a, b) = (AtomicU64::new(0), AtomicU64::new(0));
        let proxy = splice(client_end, upstream_tls, &a, &b);
        let slow_reader = async {
            while a.load(Ordering::Relaxed) < sent.len() as u64 {
                tokio::task::yield_now().await;
            }
            let mut got = Vec::new();
            let mut chunk = [0u8; 512];
            while !got.ends_with(b"THE END") {
                let n = server.read(&mut chunk).await.unwrap();
                assert_ne!(n, 0, "the upstream leg closed early");
                got.extend_from_slice(&chunk[..n]);
                tokio::task::yield_now().await;
            }
            got
        };
        let got = tokio::select! {
            _ = proxy => panic!("the splice ended while both peers were open"),
            got = tokio::time::timeout(std::time::Duration::from_secs(5), slow_reader) => got,
        };
        let got = got.unwrap_or_else(|_| {
            panic!(
                "the final marker never arrived: {} of {} bytes were read from the client",
                a.load(Ordering::Relaxed),
                sent.len()
            )
        });
        assert_eq!(got, sent);
    }
}
