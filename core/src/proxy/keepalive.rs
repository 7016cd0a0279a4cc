//! TCP keepalive on both legs of a session.

use std::time::Duration;

/// Keepalive on a session's TCP socket, either leg: probes after 60 s idle, then every 10 s.
/// Idle sessions live for hours, and AWS NAT gateways and load balancers forget a flow after
/// 350 s idle (the system default waits 2 hours); on the client leg, a client that died
/// without a FIN frees its slot within about two minutes instead of never.
pub(crate) fn keepalive(tcp: &tokio::net::TcpStream) {
    let probes = socket2::TcpKeepalive::new().with_time(Duration::from_secs(60));
    #[cfg(any(
        target_os = "linux",
        target_os = "android",
        target_os = "macos",
        target_os = "ios",
        target_os = "windows",
        target_os = "freebsd",
        target_os = "netbsd",
        target_os = "illumos"
    ))]
    let probes = probes.with_interval(Duration::from_secs(10));
    let _ = socket2::SockRef::from(tcp).set_tcp_keepalive(&probes);
}
