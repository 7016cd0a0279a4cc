//! MySQL / MariaDB / Aurora MySQL. The server speaks first, but the proxy greets the client
//! itself and dials the database only once the client's HandshakeResponse has passed the
//! `--users` check, so that port probes and refused users never leave aborted handshakes at
//! the server ([`state`]: the greeting repeats the server's last one, with the proxy's own
//! connection id; `KILL` with that id is rewritten to the server's thread, [`kill`]). The
//! client logs in with
//! `caching_sha2_password` and any password (none is checked, none is kept); upstream the proxy
//! plays the client: SSLRequest, TLS verify-full, a HandshakeResponse41 with the client's user,
//! database, collation and connect attributes, and the token when the server switches to
//! `mysql_clear_password` (or MariaDB PAM's `dialog`). Then the splice: packets, the 16 MB split
//! ones included, pass unparsed.

use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::instance::{Instance, Refusal};
use super::log::{shown, Level};
use super::session::{ClientIo, Session};
use wire::{Greeting, Packet, Response};

mod kill;
mod protocol;
mod state;
pub(crate) mod wire;

pub(crate) use protocol::Mysql;
use state::State;

/// The plugin the proxy offers clients: every client listed in DESIGN.md takes it, MySQL 9's
/// included (which dropped `mysql_native_password`), and with it the proxy can answer "fast auth
/// success" without knowing a password.
const CLIENT_PLUGIN: &str = "caching_sha2_password";
const CLEAR_PASSWORD: &[u8] = b"mysql_clear_password";
const DIALOG: &[u8] = b"dialog";

/// Capabilities never passed on: compression (refused: a compressed session could not be
/// spliced as plain packets, so neither leg offers it) and the per-leg TLS flags.
const NEVER: u32 = wire::CLIENT_COMPRESS
    | wire::CLIENT_ZSTD_COMPRESSION_ALGORITHM
    | wire::CLIENT_SSL
    | wire::CLIENT_SSL_VERIFY_SERVER_CERT;

/// The error a refusal is sent with: (error number, SQLSTATE). Server error numbers only:
/// libmariadb (the mysql CLI, mysqldump, mysqlclient) takes an ERR packet carrying a client
/// error number (CR_CONN_HOST_ERROR 2003, CR_SSL_CONNECTION_ERROR 2026, …) for a corrupt one
/// and says only "Received malformed packet" (2027), dropping the text.
pub(crate) fn error_code(r: &Refusal) -> (u16, &'static str) {
    match r {
        Refusal::NoUser
        | Refusal::UserNotAllowed { .. }
        | Refusal::Token(_)
        | Refusal::UpstreamRefused(_)
        | Refusal::TlsRequired => (1045, "28000"), // ER_ACCESS_DENIED_ERROR, as for REQUIRE SSL
        // ER_CONNECT_TO_FOREIGN_DATA_SOURCE, with the connection-exception SQLSTATE
        Refusal::Unreachable(_) | Refusal::UpstreamTls(_) => (1429, "08001"),
        Refusal::TooManyConnections(_) => (1040, "08004"), // ER_CON_COUNT_ERROR
        Refusal::Protocol(_) => (1043, "08S01"),           // ER_HANDSHAKE_ERROR
    }
}

/// Sends `refusal` as an ERR packet with sequence id `seq`, counts and logs it.
async fn refuse(session: &Session, client: &mut ClientIo, seq: u8, refusal: Refusal) {
    let (code, state) = error_code(&refusal);
    session.refused(&code.to_string(), &refusal);
    let message = refusal.message(&session.instance.name);
    let _ = wire::send(
        client,
        &wire::packet(seq, &wire::err(code, state, &message)),
    )
    .await;
}

/// Why the upstream login stopped.
enum Failed {
    Refused(Refusal),
    /// The server's own ERR (not about authentication): relayed as it came.
    Server {
        code: u16,
        payload: Vec<u8>,
    },
}

impl From<Refusal> for Failed {
    fn from(r: Refusal) -> Self {
        Failed::Refused(r)
    }
}

/// Serves one client connection to the end; `state` is the instance's.
async fn serve(state: &State, session: Session, mut client: ClientIo) {
    if let Some(limit) = session.over_limit {
        return refuse(&session, &mut client, 0, Refusal::TooManyConnections(limit)).await;
    }
    let within = session.upstream_timeout();
    let started = std::time::Instant::now();
    let say = |msg: &str| session.log(Level::Warn, msg);
    // The server's last greeting; only before the first one does the proxy dial first.
    let (mut dialled, greeting) = match state.greeting() {
        Some(g) => (None, g),
        None => {
            match tokio::time::timeout(within, connect(&session.instance, state, within, &say))
                .await
            {
                Ok(Ok((tcp, g))) => (Some(tcp), g),
                Ok(Err(r)) => return refuse(&session, &mut client, 0, r).await,
                Err(_) => {
                    let why = format!("no greeting within {} s", within.as_secs());
                    return refuse(&session, &mut client, 0, Refusal::Unreachable(why)).await;
                }
            }
        }
    };
    let ours = state.next_id();
    let offered = offered_capabilities(greeting.capabilities, session.instance.acceptor.is_some());
    let mut scramble = [0u8; 20];
    let _ = getrandom::fill(&mut scramble);
    // Scramble bytes are printable and never NUL, as servers make them.
    scramble.iter_mut().for_each(|b| *b = 0x21 + *b % 0x5e);
    let hello = wire::packet(0, &greeting.encode(ours, offered, &scramble, CLIENT_PLUGIN));
    if wire::send(&mut client, &hello).await.is_err() {
        return;
    }
    let answered = tokio::time::timeout(session.client_timeout(), response(&session, client)).await;
    let (mut client, response, seq) = match answered {
        Err(_) => {
            session.instance.metrics.login_failed("timeout");
            let secs = session.client_timeout().as_secs();
            return session.log(
                Level::Warn,
                &format!("the client sent no complete handshake response within {secs} s; dropped"),
            );
        }
        Ok(Err(e)) => {
            return session.log(
                Level::Info,
                &format!("the client left during its handshake: {e}"),
            )
        }
        Ok(Ok(None)) => return,
        Ok(Ok(Some(answer))) => answer,
    };
    let user = response.user.clone();
    // The client's sequence id is its own choice: 255 wraps to 0.
    let next = seq.wrapping_add(1);
    let attempt = async {
        // The --users check and the token before any dial: a refused user costs the server
        // nothing.
        let token = session.instance.token_for(&response.user).await?;
        let (tcp, greeting) = match dialled.take() {
            Some(tcp) => (tcp, greeting.clone()),
            None => connect(&session.instance, state, within, &say).await?,
        };
        let (up, ok) = login(&session.instance, tcp, &greeting, &response, &token).await?;
        Ok::<_, Failed>((up, ok, greeting.connection_id))
    };
    let (upstream, ok, thread) = match tokio::time::timeout(within, attempt).await {
        Ok(Ok(up)) => up,
        Ok(Err(Failed::Refused(r))) => return refuse(&session, &mut client, next, r).await,
        Ok(Err(Failed::Server { code, payload })) => {
            session.instance.metrics.login_failed(&code.to_string());
            let text = String::from_utf8_lossy(payload.get(9..).unwrap_or_default()).into_owned();
            session.log(
                Level::Warn,
                &format!("the database answered {code}: {text}"),
            );
            let _ = wire::send(&mut client, &wire::packet(next, &payload)).await;
            return;
        }
        Err(_) => {
            let why = format!("no login within {} s", within.as_secs());
            return refuse(&session, &mut client, next, Refusal::Unreachable(why)).await;
        }
    };
    let mut answer = Vec::new();
    let mut next = next;
    if fast_auth_success(&response) {
        answer.extend(wire::packet(next, &[0x01, 0x03]));
        next = next.wrapping_add(1);
    }
    answer.extend(wire::packet(next, &ok));
    if wire::send(&mut client, &answer).await.is_err() {
        return session.log(Level::Info, "the client left before its login finished");
    }
    session.logged_in(&user, started.elapsed());
    let threads = state.threads();
    let _mapped = threads.register(ours, thread);
    let client = kill::KillRewrite::new(client, threads.clone());
    session.splice(client, upstream).await;
}

/// Whether the client's login gets "fast auth success" before the OK: caching_sha2_password
/// with a scramble, as a server that had the password cached answers. An empty password gets
/// the OK at once — and libmysqlclient (MySQL 8/9; mysql-connector-python's C extension) sends
/// an empty password as one NUL byte, then expects the OK: anything else is its "Malformed
/// packet" (2027).
fn fast_auth_success(response: &Response) -> bool {
    response.plugin.as_deref() == Some(CLIENT_PLUGIN.as_bytes())
        && !matches!(response.auth.as_slice(), [] | [0])
}

/// What the client is offered: the server's capabilities less compression and the TLS flags;
/// TLS when the proxy has client TLS.
fn offered_capabilities(server: u32, client_tls: bool) -> u32 {
    let mut caps = (server & !NEVER) | wire::CLIENT_LONG_PASSWORD;
    if client_tls {
        caps |= wire::CLIENT_SSL;
    }
    caps
}

/// Dials the database and reads its greeting, which the instance then remembers. An ERR in
/// its place came before TLS: anyone on the path can forge it (the CVE-2024-10977 pattern), so
/// its text goes to the log (`say`), escaped, and never to the client.
async fn connect(
    instance: &Instance,
    state: &State,
    within: std::time::Duration,
    say: &(dyn Fn(&str) + Sync),
) -> Result<(TcpStream, Greeting), Refusal> {
    let mut tcp = instance.dial(within).await?;
    let greeting = read(&mut tcp).await?;
    if greeting.payload.first() == Some(&0xff) {
        let text = String::from_utf8_lossy(greeting.payload.get(3..).unwrap_or_default());
        say(&format!(
            "the database answered the connection with an error before TLS (unverified, not passed on): {}",
            shown(&text)
        ));
        return Err(Refusal::Unreachable(
            "the server answered with an error before TLS, which cannot be verified and is not passed on (the proxy's log has its text)".into(),
        ));
    }
    let greeting = Greeting::parse(&greeting.payload).map_err(|m| Refusal::Protocol(m.0))?;
    state.remember(&greeting);
    Ok((tcp, greeting))
}

async fn read<S: tokio::io::AsyncRead + Unpin>(s: &mut S) -> Result<Packet, Refusal> {
    match wire::read_packet(s, wire::MAX_HANDSHAKE_PACKET).await {
        Ok(Ok(p)) => Ok(p),
        Ok(Err(m)) => Err(Refusal::Protocol(m.0)),
        Err(e) => Err(Refusal::Unreachable(format!(
            "the connection broke during the login: {e}"
        ))),
    }
}

/// The client's HandshakeResponse (after TLS, if it asked for it); its sequence id.
async fn response(
    session: &Session,
    mut client: ClientIo,
) -> std::io::Result<Option<(ClientIo, Response, u8)>> {
    let mut packet = match wire::read_packet(&mut client, wire::MAX_HANDSHAKE_PACKET).await? {
        Ok(p) => p,
        Err(m) => {
            refuse(session, &mut client, 2, Refusal::Protocol(m.0)).await;
            return Ok(None);
        }
    };
    if Response::is_ssl_request(&packet.payload) {
        let Some(acceptor) = session.instance.acceptor.clone() else {
            refuse(session, &mut client, packet.seq.wrapping_add(1), Refusal::Protocol("the client asked for TLS, which the proxy did not offer (start it with --client-tls)".into())).await;
            return Ok(None);
        };
        client = Box::new(acceptor.accept(client).await?);
        packet = match wire::read_packet(&mut client, wire::MAX_HANDSHAKE_PACKET).await? {
            Ok(p) => p,
            Err(m) => {
                refuse(
                    session,
                    &mut client,
                    packet.seq.wrapping_add(1),
                    Refusal::Protocol(m.0),
                )
                .await;
                return Ok(None);
            }
        };
    } else if session.instance.tls_required {
        refuse(
            session,
            &mut client,
            packet.seq.wrapping_add(1),
            Refusal::TlsRequired,
        )
        .await;
        return Ok(None);
    }
    match Response::parse(&packet.payload) {
        Ok(r) if r.capabilities & wire::CLIENT_COMPRESS != 0 => {
            refuse(session, &mut client, packet.seq.wrapping_add(1), Refusal::Protocol("compression was not offered and is not supported through the proxy; turn it off".into())).await;
            Ok(None)
        }
        Ok(r) => Ok(Some((client, r, packet.seq))),
        Err(m) => {
            refuse(
                session,
                &mut client,
                packet.seq.wrapping_add(1),
                Refusal::Protocol(m.0),
            )
            .await;
            Ok(None)
        }
    }
}

/// Logs in upstream as the client's user with `token`; the upstream stream and the server's
/// OK payload.
async fn login(
    instance: &Instance,
    mut tcp: TcpStream,
    greeting: &Greeting,
    client: &Response,
    token: &str,
) -> Result<(TlsStream<TcpStream>, Vec<u8>), Failed> {
    if greeting.capabilities & wire::CLIENT_SSL == 0 {
        return Err(Refusal::UpstreamTls(
            "the server does not offer TLS, and an IAM token is never sent in the clear".into(),
        )
        .into());
    }
    // The client's capabilities (a subset of what the server offered it), and what a login
    // needs; the auth data's encoding is the proxy's own business.
    let needed =
        wire::CLIENT_PROTOCOL_41 | wire::CLIENT_SECURE_CONNECTION | wire::CLIENT_PLUGIN_AUTH;
    let lenenc = greeting.capabilities & wire::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
    let mut caps = ((client.capabilities & !NEVER & !wire::CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)
        | needed
        | lenenc)
        & (greeting.capabilities | wire::CLIENT_LONG_PASSWORD);
    if client.database.is_none() {
        caps &= !wire::CLIENT_CONNECT_WITH_DB;
    }
    let cleartext_first = greeting.auth_plugin == CLEAR_PASSWORD;
    let mut auth = Vec::new();
    if cleartext_first {
        auth.extend_from_slice(token.as_bytes());
        auth.push(0);
        if auth.len() > 250 && lenenc == 0 {
            return Err(Refusal::Protocol("the token is longer than 250 bytes and the server lacks CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA".into()).into());
        }
    }
    let ours = Response {
        capabilities: caps,
        max_packet: client.max_packet,
        charset: client.charset,
        user: client.user.clone(),
        auth,
        database: client.database.clone(),
        plugin: Some(greeting.auth_plugin.clone()),
        attributes: client.attributes.clone(),
    };
    let io = |e: std::io::Error| {
        Refusal::Unreachable(format!("the connection broke during the login: {e}"))
    };
    wire::send(&mut tcp, &wire::packet(1, &ours.ssl_request()))
        .await
        .map_err(io)?;
    let mut up = instance.upstream_tls(tcp).await?;
    wire::send(&mut up, &wire::packet(2, &ours.encode()))
        .await
        .map_err(io)?;
    let mut sent_token = cleartext_first;
    loop {
        let p = read(&mut up).await?;
        match p.payload.first() {
            Some(0x00) => return Ok((up, p.payload)),
            Some(0xff) => {
                let mut r = wire::Reader::new(&p.payload[1..]);
                let code = r.u16().unwrap_or(0);
                let rest = r.rest();
                let (state, text) = match rest.split_first() {
                    Some((b'#', tail)) if tail.len() >= 5 => (
                        String::from_utf8_lossy(&tail[..5]).into_owned(),
                        String::from_utf8_lossy(&tail[5..]).into_owned(),
                    ),
                    _ => (String::new(), String::from_utf8_lossy(rest).into_owned()),
                };
                if state.starts_with("28") || matches!(code, 1045 | 1698) {
                    if !sent_token {
                        // Refused on the first answer, the token never asked for: the user's
                        // plugin took the handshake as is (a password user: mysql_native_password
                        // with an empty password), or there is no such user.
                        let user = shown(&client.user);
                        return Err(Refusal::UpstreamRefused(format!(
                            "it refused the login before asking for a password ({text}): user \"{user}\" is not set up for IAM (IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'), or does not exist"
                        ))
                        .into());
                    }
                    return Err(Refusal::UpstreamRefused(text).into());
                }
                return Err(Failed::Server {
                    code,
                    payload: p.payload,
                });
            }
            // AuthSwitchRequest: to mysql_clear_password (RDS's AWSAuthenticationPlugin, MariaDB
            // PAM with pam_use_cleartext_plugin) or MariaDB PAM's dialog.
            Some(0xfe) => {
                let mut r = wire::Reader::new(&p.payload[1..]);
                let plugin = r.nul_terminated().unwrap_or_default();
                if plugin != CLEAR_PASSWORD && plugin != DIALOG {
                    let user = shown(&client.user);
                    return Err(Refusal::UpstreamRefused(format!(
                        "it asked for `{}`, not a cleartext password: user \"{user}\" is not set up for IAM (IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS')",
                        String::from_utf8_lossy(plugin)
                    ))
                    .into());
                }
                send_token(&mut up, p.seq, token, &mut sent_token).await?;
            }
            // More data: dialog's next question, or caching_sha2's "perform full auth".
            Some(0x01) if p.payload.get(1) == Some(&0x04) => {
                return Err(Refusal::UpstreamRefused(format!("it asked for a caching_sha2_password password: user \"{}\" is not set up for IAM", shown(&client.user))).into());
            }
            Some(0x02 | 0x04) if !sent_token => {
                send_token(&mut up, p.seq, token, &mut sent_token).await?
            }
            _ => {
                return Err(
                    Refusal::Protocol("an unexpected packet during the login".into()).into(),
                )
            }
        }
    }
}

async fn send_token(
    up: &mut TlsStream<TcpStream>,
    seq: u8,
    token: &str,
    sent: &mut bool,
) -> Result<(), Refusal> {
    if *sent {
        return Err(Refusal::Protocol(
            "the server asked for the password twice".into(),
        ));
    }
    let mut payload = token.as_bytes().to_vec();
    payload.push(0);
    wire::send(up, &wire::packet(seq.wrapping_add(1), &payload))
        .await
        .map_err(|e| Refusal::Unreachable(format!("the connection broke during the login: {e}")))?;
    *sent = true;
    Ok(())
}

/// `--run-connection-test`: a login as `user`.
async fn login_test(
    instance: &Instance,
    state: &State,
    user: &str,
    within: std::time::Duration,
) -> Result<(), Refusal> {
    let attempt = async {
        let token = instance.token_for(user).await?;
        let (tcp, greeting) = connect(instance, state, within, &|_| ()).await?;
        let response = Response {
            capabilities: wire::CLIENT_PROTOCOL_41
                | wire::CLIENT_SECURE_CONNECTION
                | wire::CLIENT_PLUGIN_AUTH
                | wire::CLIENT_LONG_PASSWORD,
            max_packet: 16 << 20,
            charset: greeting.charset,
            user: user.to_owned(),
            ..Response::default()
        };
        match login(instance, tcp, &greeting, &response, &token).await {
            Ok(_) => Ok(()),
            Err(Failed::Refused(r)) => Err(r),
            Err(Failed::Server { code, payload }) => Err(Refusal::UpstreamRefused(format!(
                "{code}: {}",
                String::from_utf8_lossy(payload.get(9..).unwrap_or_default())
            ))),
        }
    };
    tokio::time::timeout(within, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(Refusal::Unreachable(format!(
                "no login within {} s",
                within.as_secs()
            )))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_auth_success_only_follows_a_caching_sha2_scramble() {
        let with = |plugin: &str, auth: &[u8]| Response {
            plugin: Some(plugin.as_bytes().to_vec()),
            auth: auth.to_vec(),
            ..Response::default()
        };
        assert!(fast_auth_success(&with(CLIENT_PLUGIN, &[7; 32])));
        assert!(
            !fast_auth_success(&with(CLIENT_PLUGIN, b"")),
            "PyMySQL, mysql2: no password"
        );
        assert!(
            !fast_auth_success(&with(CLIENT_PLUGIN, b"\0")),
            "libmysqlclient: no password"
        );
        assert!(!fast_auth_success(&with("mysql_native_password", &[7; 20])));
    }
}
