//! The upstream login: TLS (verify-full against the signed host), the client's StartupMessage
//! with every parameter as sent, the token on AuthenticationCleartextPassword, and the
//! server's answers up to ReadyForQuery relayed to the client — with the proxy's own secret in
//! the server's BackendKeyData (the pid stays the server's), so cancel requests come to the proxy.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::cancel::{BackendKey, State};
use super::refuse;
use super::wire::{self, Message};
use crate::proxy::instance::{Instance, Refusal};
use crate::proxy::session::{ClientIo, Session};

const AUTH_OK: u32 = 0;
const AUTH_CLEARTEXT: u32 = 3;
const AUTH_MD5: u32 = 5;
const AUTH_SASL: u32 = 10;

/// Why the login stopped short of ReadyForQuery.
enum Failed {
    /// Our words, sent as our ErrorResponse.
    Refused(Refusal),
    /// The server's own ErrorResponse for anything but authentication (no such database, too
    /// many connections upstream …): relayed as it came.
    Server { sqlstate: String, message: Message },
}

impl From<Refusal> for Failed {
    fn from(r: Refusal) -> Self {
        Failed::Refused(r)
    }
}

/// A logged-in upstream connection.
struct LoggedIn {
    stream: TlsStream<TcpStream>,
    peer: SocketAddr,
    /// What the client is sent: the server's messages from AuthenticationOk to ReadyForQuery,
    /// with the BackendKeyData left out (`key_at` says where ours goes).
    to_client: Vec<u8>,
    key_at: Option<usize>,
    key: Option<BackendKey>,
}

/// Logs the client in upstream and splices, or sends it the reason it cannot be; the server's
/// key goes into the instance's `cancels` for the session's life.
pub(crate) async fn login(
    cancels: &State,
    session: &Session,
    mut client: ClientIo,
    version: u32,
    params: Vec<u8>,
) {
    if let Some(limit) = session.over_limit {
        return refuse(session, &mut client, Refusal::TooManyConnections(limit)).await;
    }
    let user = wire::param(&params, "user").unwrap_or_default().to_owned();
    let started = Instant::now();
    let within = session.upstream_timeout();
    let attempt = upstream_login(&session.instance, &user, version, &params, within);
    let up = match tokio::time::timeout(within, attempt).await {
        Ok(Ok(up)) => up,
        Ok(Err(Failed::Refused(r))) => return refuse(session, &mut client, r).await,
        Ok(Err(Failed::Server { sqlstate, message })) => {
            let text = wire::error_field(&message.body, b'M').unwrap_or_default();
            session.instance.metrics.login_failed(&sqlstate);
            session.log(
                crate::proxy::log::Level::Warn,
                &format!("the database answered {sqlstate}: {text}"),
            );
            let _ = wire::send(&mut client, &message.encode()).await;
            return;
        }
        Err(_) => {
            let why = format!("no login within {} s", within.as_secs());
            return refuse(session, &mut client, Refusal::Unreachable(why)).await;
        }
    };
    let LoggedIn {
        stream,
        peer,
        mut to_client,
        key_at,
        key,
    } = up;
    let registered = key.map(|key| cancels.register(session.conn, peer, key));
    if let (Some(at), Some(r)) = (key_at, &registered) {
        let ours = r.backend_key_data();
        to_client.splice(at..at, ours);
    }
    if client.write_all(&to_client).await.is_err() || client.flush().await.is_err() {
        return session.log(
            crate::proxy::log::Level::Info,
            "the client left before its login finished",
        );
    }
    session.logged_in(&user, started.elapsed());
    session.splice(client, stream).await;
    drop(registered);
}

/// TLS to the database; `None` when it will not speak TLS (IAM logins need it).
pub(super) async fn upstream_tls(
    instance: &Instance,
    mut tcp: TcpStream,
) -> Result<TlsStream<TcpStream>, Refusal> {
    let io = |e: std::io::Error| Refusal::Unreachable(e.to_string());
    wire::send(&mut tcp, &wire::ssl_request())
        .await
        .map_err(io)?;
    let mut answer = [0u8; 1];
    tcp.read_exact(&mut answer).await.map_err(io)?;
    match answer[0] {
        b'S' => instance.upstream_tls(tcp).await,
        b'N' => Err(Refusal::UpstreamTls(
            "the server does not offer TLS, and an IAM token is never sent in the clear".into(),
        )),
        other => Err(Refusal::Protocol(format!(
            "the server answered the SSLRequest with '{}'; is it PostgreSQL?",
            other.escape_ascii()
        ))),
    }
}

async fn upstream_login(
    instance: &Instance,
    user: &str,
    version: u32,
    params: &[u8],
    within: Duration,
) -> Result<LoggedIn, Failed> {
    // The token first: a credential failure never costs a database connection, and the
    // cached token is the common case (microseconds).
    let token = instance.token_for(user).await?;
    let tcp = instance.dial(within).await?;
    let peer = tcp
        .peer_addr()
        .map_err(|e| Refusal::Unreachable(e.to_string()))?;
    let mut up = upstream_tls(instance, tcp).await?;
    let io = |e: std::io::Error| {
        Refusal::Unreachable(format!("the connection broke during the login: {e}"))
    };
    wire::send(&mut up, &wire::startup_packet(version, params))
        .await
        .map_err(io)?;
    let mut to_client = Vec::new();
    let (mut key_at, mut key, mut sent_token) = (None, None, false);
    loop {
        let message = match wire::read_message(&mut up, wire::MAX_LOGIN_MESSAGE)
            .await
            .map_err(io)?
        {
            Ok(m) => m,
            Err(wire::Malformed(why)) => return Err(Refusal::Protocol(why).into()),
        };
        match message.tag {
            b'R' => match auth_code(&message)? {
                AUTH_OK => to_client.extend(message.encode()),
                AUTH_CLEARTEXT if !sent_token => {
                    let mut body = token.as_bytes().to_vec();
                    body.push(0);
                    wire::send(&mut up, &wire::encode(b'p', &body)).await.map_err(io)?;
                    sent_token = true;
                }
                AUTH_CLEARTEXT => return Err(Refusal::Protocol("the server asked for the password twice".into()).into()),
                AUTH_MD5 | AUTH_SASL => {
                    return Err(Refusal::UpstreamRefused(format!(
                        "it asked for a {} password, not an IAM token: user \"{user}\" is not set up for IAM (GRANT rds_iam TO \"{user}\")",
                        if auth_code(&message)? == AUTH_MD5 { "MD5" } else { "SCRAM" },
                        user = crate::proxy::log::shown(user),
                    ))
                    .into())
                }
                other => return Err(Refusal::Protocol(format!("unsupported authentication request {other}")).into()),
            },
            b'K' => {
                key_at = Some(to_client.len());
                key = Some(BackendKey::parse(&message.body).ok_or_else(|| Refusal::Protocol("a malformed BackendKeyData".into()))?);
            }
            // ParameterStatus, NoticeResponse, NegotiateProtocolVersion (3.2 asked of a 3.0
            // server, or `_pq_.` options it does not know): the client's to see.
            b'S' | b'N' | b'v' => to_client.extend(message.encode()),
            b'Z' => {
                to_client.extend(message.encode());
                return Ok(LoggedIn { stream: up, peer, to_client, key_at, key });
            }
            b'E' => {
                let code = wire::error_field(&message.body, b'C').unwrap_or_default();
                if code.starts_with("28") {
                    let text = wire::error_field(&message.body, b'M').unwrap_or_default();
                    return Err(Refusal::UpstreamRefused(text).into());
                }
                return Err(Failed::Server { sqlstate: code, message });
            }
            other => return Err(Refusal::Protocol(format!("unexpected message '{}' during the login", other.escape_ascii())).into()),
        }
    }
}

fn auth_code(m: &Message) -> Result<u32, Refusal> {
    m.body
        .get(..4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| Refusal::Protocol("a malformed authentication request".into()))
}

/// `--run-connection-test`: a login as `user` that stops at AuthenticationOk.
pub(crate) async fn login_test(
    instance: &Instance,
    user: &str,
    within: Duration,
) -> Result<(), Refusal> {
    let mut params = Vec::new();
    for field in [
        "user",
        user,
        "application_name",
        "rds-iam proxy connection test",
        "",
    ] {
        params.extend_from_slice(field.as_bytes());
        params.push(0);
    }
    let attempt = upstream_login(instance, user, 3 << 16, &params, within);
    match tokio::time::timeout(within, attempt).await {
        Ok(Ok(mut up)) => {
            let _ = up.stream.write_all(&wire::encode(b'X', &[])).await;
            Ok(())
        }
        // Authentication passed; the server then refused something else (e.g. no database
        // named after the user): the token works, which is what is tested.
        Ok(Err(Failed::Server { sqlstate, .. })) if sqlstate == "3D000" => Ok(()),
        Ok(Err(Failed::Server { sqlstate, message })) => Err(Refusal::UpstreamRefused(format!(
            "{sqlstate}: {}",
            wire::error_field(&message.body, b'M').unwrap_or_default()
        ))),
        Ok(Err(Failed::Refused(r))) => Err(r),
        Err(_) => Err(Refusal::Unreachable(format!(
            "no login within {} s",
            within.as_secs()
        ))),
    }
}
