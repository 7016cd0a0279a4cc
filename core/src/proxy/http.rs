//! The health and metrics endpoint (`--http-address`): `/startup`, `/liveness`, `/readiness`
//! (503 with the reason before the first credential fetch, while draining and at the
//! connection limit) and Prometheus `/metrics`. A few GETs from probes and scrapers: HTTP/1.1,
//! one request per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

/// Requests answered at once: probes and a scraper need a few; past this a connection is
/// closed unread, so a flood of idle connections holds neither tasks nor descriptors.
const MAX_REQUESTS: usize = 64;

use super::metrics;
use super::shared::Shared;
use crate::{Error, Result};

/// Binds `addr` (loopback unless `allow_non_loopback`) and serves until the runtime stops;
/// returns the bound address.
pub(crate) async fn serve(
    addr: SocketAddr,
    allow_non_loopback: bool,
    shared: Arc<Shared>,
) -> Result<SocketAddr> {
    if !addr.ip().is_loopback() && !allow_non_loopback {
        return Err(Error::invalid_argument(
            "http_address",
            format!("{addr} is not a loopback address: /metrics names every database behind this proxy; pass --allow-non-loopback to mean it (a Kubernetes probe reaches the pod's IP, not loopback)"),
        ));
    }
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::invalid_argument("http_address", format!("cannot listen on {addr}: {e}"))
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::invalid_argument("http_address", e.to_string()))?;
    let slots = Arc::new(Semaphore::new(MAX_REQUESTS));
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let Ok(slot) = slots.clone().try_acquire_owned() else {
                drop(stream); // all slots taken: closed at once, unread
                continue;
            };
            let shared = shared.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), answer(stream, &shared)).await;
                drop(slot);
            });
        }
    });
    Ok(bound)
}

async fn answer(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut request = Vec::with_capacity(512);
    let mut buf = [0u8; 512];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        request.extend_from_slice(&buf[..n]);
    }
    let first = request.split(|b| *b == b'\n').next().unwrap_or_default();
    let first = String::from_utf8_lossy(first);
    let mut words = first.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, content_type, body) = if method != "GET" && method != "HEAD" {
        (
            "405 Method Not Allowed",
            "text/plain",
            "use GET\n".to_owned(),
        )
    } else {
        route(path, shared)
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes()).await?;
    }
    stream.shutdown().await
}

fn route(path: &str, shared: &Shared) -> (&'static str, &'static str, String) {
    const OK: &str = "200 OK";
    const UNAVAILABLE: &str = "503 Service Unavailable";
    const TEXT: &str = "text/plain; charset=utf-8";
    match path {
        "/startup" if shared.started() => (OK, TEXT, "ok\n".into()),
        "/startup" => (UNAVAILABLE, TEXT, "starting\n".into()),
        "/liveness" => (OK, TEXT, "ok\n".into()),
        "/readiness" => match shared.ready() {
            Ok(()) => (OK, TEXT, "ok\n".into()),
            Err(why) => (UNAVAILABLE, TEXT, format!("{why}\n")),
        },
        "/metrics" => {
            let instances: Vec<_> = shared
                .instances
                .iter()
                .map(|i| (i.name.clone(), &i.metrics))
                .collect();
            (
                OK,
                "text/plain; version=0.0.4; charset=utf-8",
                metrics::render(&instances),
            )
        }
        _ => (
            "404 Not Found",
            TEXT,
            "try /startup, /liveness, /readiness or /metrics\n".into(),
        ),
    }
}
