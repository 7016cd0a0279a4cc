//! PostgreSQL's side of the proxy: the client's startup (SSL and GSS negotiation, direct SSL,
//! cancel requests), then the upstream login ([`login`]) and the splice. After the login no
//! message is parsed.

use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use super::instance::Refusal;
use super::log::Level;
use super::session::{ClientIo, Session};

pub(crate) mod cancel;
mod login;
mod protocol;
pub(crate) mod wire;

pub(crate) use protocol::Postgres;

/// The ALPN protocol PostgreSQL 17's direct SSL requires.
const ALPN: &[&[u8]] = &[b"postgresql"];

/// The SQLSTATE a refusal is sent with.
pub(crate) fn sqlstate(r: &Refusal) -> &'static str {
    match r {
        Refusal::NoUser
        | Refusal::UserNotAllowed { .. }
        | Refusal::Token(_)
        | Refusal::UpstreamRefused(_)
        | Refusal::TlsRequired => "28000", // invalid_authorization_specification
        Refusal::Unreachable(_) | Refusal::UpstreamTls(_) => "08001", // sqlclient_unable_to_establish_sqlconnection
        Refusal::TooManyConnections(_) => "53300",                    // too_many_connections
        Refusal::Protocol(_) => "08P01",                              // protocol_violation
    }
}

/// Sends `refusal` to the client as an ErrorResponse, counts and logs it.
pub(crate) async fn refuse(session: &Session, client: &mut ClientIo, refusal: Refusal) {
    let code = sqlstate(&refusal);
    session.refused(code, &refusal);
    let message = refusal.message(&session.instance.name);
    let hint = refusal.hint();
    let _ = wire::send(
        client,
        &wire::error_response(code, &message, hint.as_deref()),
    )
    .await;
}

/// What the client's startup ended with.
enum Opened {
    Startup {
        client: ClientIo,
        version: u32,
        params: Vec<u8>,
    },
    Cancel {
        client: ClientIo,
        process_id: u32,
        secret: Vec<u8>,
    },
    /// Refused or gone; already logged.
    Done,
}

/// Serves one client connection to the end; `cancels` is the instance's cancel map.
async fn serve(cancels: &cancel::State, session: Session, stream: ClientIo) {
    let within = session.client_timeout();
    match tokio::time::timeout(within, startup(&session, stream)).await {
        Err(_) => {
            session.instance.metrics.login_failed("timeout");
            session.log(
                Level::Warn,
                &format!(
                    "the client sent no complete startup within {} s; dropped",
                    within.as_secs()
                ),
            );
        }
        Ok(Err(e)) => session.log(
            Level::Info,
            &format!("the client left during its startup: {e}"),
        ),
        Ok(Ok(Opened::Done)) => {}
        Ok(Ok(Opened::Cancel {
            mut client,
            process_id,
            secret,
        })) => {
            cancel::forward(cancels, &session, process_id, &secret).await;
            // The client learns that its request was handled from the close; inside TLS that
            // close must be a close_notify: libpq 17's encrypted cancel (OpenSSL 3) takes a bare
            // EOF as "SSL error: unexpected eof while reading" and reports the cancel failed.
            let _ = tokio::time::timeout(within, client.shutdown()).await;
        }
        Ok(Ok(Opened::Startup {
            client,
            version,
            params,
        })) => login::login(cancels, &session, client, version, params).await,
    }
}

/// Reads the client's opening packets until a StartupMessage or a CancelRequest.
async fn startup(session: &Session, mut client: ClientIo) -> std::io::Result<Opened> {
    let acceptor = session.instance.acceptor.clone();
    let mut encrypted = false;
    loop {
        let mut len = [0u8; 4];
        client.read_exact(&mut len[..1]).await?;
        if len[0] == wire::TLS_HANDSHAKE_RECORD && !encrypted {
            // PostgreSQL 17's direct SSL: a TLS ClientHello with ALPN `postgresql`.
            let Some(acceptor) = &acceptor else {
                session.instance.metrics.login_failed("08P01");
                session.log(Level::Warn, "the client opened TLS directly (sslnegotiation=direct), but client TLS is off: refused; start the proxy with --client-tls, or use sslnegotiation=postgres");
                return Ok(Opened::Done);
            };
            let replay = Prefixed {
                prefix: Some(wire::TLS_HANDSHAKE_RECORD),
                inner: client,
            };
            let tls = acceptor.accept(replay).await?;
            if tls.get_ref().1.alpn_protocol() != Some(ALPN[0]) {
                session.instance.metrics.login_failed("08P01");
                session.log(
                    Level::Warn,
                    "direct SSL without ALPN `postgresql`: refused, as PostgreSQL does",
                );
                return Ok(Opened::Done);
            }
            client = Box::new(tls);
            encrypted = true;
            continue;
        }
        client.read_exact(&mut len[1..]).await?;
        let opening = match wire::read_opening(&mut client, len).await? {
            Ok(o) => o,
            Err(wire::Malformed(why)) => {
                refuse(session, &mut client, Refusal::Protocol(why)).await;
                return Ok(Opened::Done);
            }
        };
        match opening {
            wire::Opening::SslRequest if encrypted => {
                refuse(
                    session,
                    &mut client,
                    Refusal::Protocol("SSLRequest inside TLS".into()),
                )
                .await;
                return Ok(Opened::Done);
            }
            wire::Opening::SslRequest => match &acceptor {
                Some(acceptor) => {
                    wire::send(&mut client, b"S").await?;
                    client = Box::new(acceptor.accept(client).await?);
                    encrypted = true;
                }
                None => wire::send(&mut client, b"N").await?,
            },
            wire::Opening::GssEncRequest => wire::send(&mut client, b"N").await?,
            wire::Opening::Cancel { process_id, secret } => {
                return Ok(Opened::Cancel {
                    client,
                    process_id,
                    secret,
                })
            }
            wire::Opening::Startup { .. } if !encrypted && session.instance.tls_required => {
                // As PostgreSQL's `hostssl`-only pg_hba.conf answers a plaintext startup.
                refuse(session, &mut client, Refusal::TlsRequired).await;
                return Ok(Opened::Done);
            }
            wire::Opening::Startup { version, params } => {
                return Ok(Opened::Startup {
                    client,
                    version,
                    params,
                })
            }
        }
    }
}

/// A stream whose first byte was already read: it is read again first.
struct Prefixed {
    prefix: Option<u8>,
    inner: ClientIo,
}

impl AsyncRead for Prefixed {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Some(b) = self.prefix.take() {
            buf.put_slice(&[b]);
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Prefixed {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
