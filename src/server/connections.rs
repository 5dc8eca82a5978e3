//! The edge of the API port: accepting connections and naming the client of each request.
//!
//! Connections: HTTP/1.1 and HTTP/2 (h2c by prior knowledge, as gRPC clients speak it) are
//! told apart on each connection; TCP_NODELAY is set; every request carries the peer's
//! address (`ConnectInfo`). A slow or silent client cannot hold a connection for long: the
//! first bytes must decide the protocol within the header-read timeout, and hyper's HTTP/1
//! header-read timeout bounds every request head after that (and idle keep-alive time). One
//! client IP (an IPv6 /64) holds at most `MAX_CONNECTIONS_PER_IP` open connections; beyond
//! that a connection is closed at once, unless the peer is a trusted proxy. Shutdown is
//! graceful: no new connections, and open ones finish what they are serving.
//!
//! Requests: [`attach_client_address`] decides once who the client is (the peer, or what
//! trusted proxies forwarded) and attaches a `ClientAddress` that every reader uses.
//!
//! It must never read a request body or decide anything about a request beyond its transport.

use std::{
    collections::HashMap,
    future::Future,
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex, PoisonError},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
    serve::Listener,
};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::{conn::auto, graceful::GracefulShutdown},
};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;

use crate::client_address::{ClientAddress, TrustedProxies, limit_network};

/// The HTTP/2 connection preface a prior-knowledge client starts with.
const H2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// How connections are held to account.
#[derive(Debug, Clone)]
pub struct ConnectionSettings {
    pub header_read_timeout: Duration,
    pub max_per_ip: usize,
    /// Exempt from the per-IP cap: every client behind them shares their address.
    pub trusted_proxies: TrustedProxies,
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections
/// finish.
pub async fn serve_connections(
    mut listener: TcpListener,
    router: Router,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let open = OpenConnections::new(settings.max_per_ip, settings.trusted_proxies.clone());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let Some(slot) = open.claim(peer.ip()) else {
            tracing::debug!(client.ip = %peer.ip(), "closed a connection: too many open from this address");
            continue;
        };
        if let Err(err) = stream.set_nodelay(true) {
            // Without it an HTTP/2 response's small frames wait for the client's delayed ACK:
            // every gRPC call took ≥ 40 ms (BENCHMARKS.md).
            tracing::warn!(error = %err, "could not set TCP_NODELAY on a connection");
        }
        let connection = Connection {
            stream,
            peer,
            router: router.clone(),
            builder: builder.clone(),
            header_read_timeout: settings.header_read_timeout,
            watcher: graceful.watcher(),
            _slot: slot,
        };
        tokio::spawn(connection.serve());
    }
    drop(listener);
    graceful.shutdown().await;
}

/// One accepted connection and what serving it needs.
struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    builder: auto::Builder<TokioExecutor>,
    header_read_timeout: Duration,
    watcher: hyper_util::server::graceful::Watcher,
    /// Released when the connection ends.
    _slot: Slot,
}

impl Connection {
    async fn serve(self) {
        if !protocol_decidable(&self.stream, self.header_read_timeout).await {
            tracing::debug!(client.ip = %self.peer.ip(), "closed a connection that sent no request in time");
            return;
        }
        let (router, peer) = (self.router, self.peer);
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        let connection = self
            .builder
            .serve_connection(TokioIo::new(self.stream), service);
        if let Err(err) = self.watcher.watch(connection.into_owned()).await {
            tracing::debug!(error = %err, "a connection ended with an error");
        }
    }
}

/// Waits, at most `within`, until the bytes received tell HTTP/2's preface from HTTP/1 (the
/// whole preface, or one byte that departs from it). False when the client sent too little
/// in time or closed. The bytes stay in the socket for the protocol to read.
async fn protocol_decidable(stream: &TcpStream, within: Duration) -> bool {
    let decided = async {
        let mut buffer = [0_u8; H2_PREFACE.len()];
        loop {
            let read = stream.peek(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            if read == H2_PREFACE.len() || buffer[..read] != H2_PREFACE[..read] {
                return Some(());
            }
            // Part of the preface: peeking again would return at once, so wait a moment.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    tokio::time::timeout(within, decided)
        .await
        .ok()
        .flatten()
        .is_some()
}

/// Open connections per client network, shared by the accept loop and the connections.
#[derive(Clone)]
struct OpenConnections {
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
    max_per_ip: usize,
    exempt: Arc<TrustedProxies>,
}

/// One counted connection; uncounted when dropped.
struct Slot {
    owner: Option<(OpenConnections, IpAddr)>,
}

impl OpenConnections {
    fn new(max_per_ip: usize, exempt: TrustedProxies) -> Self {
        Self {
            counts: Arc::default(),
            max_per_ip,
            exempt: Arc::new(exempt),
        }
    }

    /// Counts a connection from `ip`, or None when its network already holds the maximum.
    fn claim(&self, ip: IpAddr) -> Option<Slot> {
        if self.exempt.contains(ip) {
            return Some(Slot { owner: None });
        }
        let network = limit_network(ip);
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        let count = counts.entry(network).or_default();
        if *count >= self.max_per_ip {
            return None;
        }
        *count += 1;
        Some(Slot {
            owner: Some((self.clone(), network)),
        })
    }

    fn release(&self, network: IpAddr) {
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&network) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&network);
            }
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some((owner, network)) = self.owner.take() {
            owner.release(network);
        }
    }
}

/// Attaches the request's [`ClientAddress`]: the peer, or the client trusted proxies name.
pub async fn attach_client_address(
    State(trusted): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    if let Some(peer) = peer {
        let client = trusted.client_of(peer, request.headers());
        request.extensions_mut().insert(ClientAddress(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn each_network_holds_at_most_the_maximum_and_slots_come_back() {
        let open = OpenConnections::new(2, TrustedProxies::parse("10.0.0.1").unwrap());
        let first = open.claim(ip("192.0.2.1")).unwrap();
        let _second = open.claim(ip("192.0.2.1")).unwrap();
        assert!(open.claim(ip("192.0.2.1")).is_none());
        assert!(open.claim(ip("192.0.2.2")).is_some(), "another address");
        drop(first);
        assert!(open.claim(ip("192.0.2.1")).is_some(), "a slot came back");
        let _a = open.claim(ip("2001:db8::1")).unwrap();
        let _b = open.claim(ip("2001:db8::2")).unwrap();
        assert!(open.claim(ip("2001:db8::ffff")).is_none(), "one /64");
        let proxies: Vec<_> = (0..5).map(|_| open.claim(ip("10.0.0.1"))).collect();
        assert!(
            proxies.iter().all(Option::is_some),
            "trusted proxies are exempt"
        );
    }
}
