//! The extension endpoint: TLS that asks for a client certificate without verifying it, the peer
//! chain verified once per connection, the header step on every request of the keep-alive
//! connection, 200 with the user or 401 with Kubernetes' `Status` body, and a server log that
//! keeps the reason of every 401.

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use frontproxy::tls::RequestClientCertVerifier;
use frontproxy::{AuthConfig, Authenticator, CertificateDer, Decision, Handshake, RequestHeaders};
use rustls::crypto::CryptoProvider;
use rustls::{ServerConfig, ServerConnection};
use serde_json::{json, Value};

use super::http::{parse_request, read_head, write_response, IO_TIMEOUT};
use super::pki::Pki;
use crate::UsageError;

/// Most requests served on one connection before it is closed.
const MAX_REQUESTS_PER_CONNECTION: usize = 16;
/// Most connections served at the same time.
const MAX_CONNECTIONS: u64 = 32;

/// The body Kubernetes answers a failed authentication with (spec §1.9 rule 31).
pub(super) fn unauthorized_status() -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401
    })
}

/// One line of the server log, keyed by the client's `X-Request-Id`.
#[derive(Clone)]
pub(super) struct LogEntry {
    request_id: String,
    connection: u64,
    request: usize,
    pub(super) status: u16,
    /// The stable reason code of a 401 (never sent to the client).
    pub(super) reason: Option<&'static str>,
    /// Which authenticator said what behind a 401, e.g. "no username header -> request-header
    /// no opinion -> x509 rejected the proxy certificate [unknown_authority]".
    pub(super) cause: Option<String>,
    text: String,
}

pub(super) struct ServerState {
    auth: Authenticator,
    tls: Arc<ServerConfig>,
    log: Mutex<Vec<LogEntry>>,
    /// Lines that belong to no request (handshake failures, malformed requests).
    events: Mutex<Vec<String>>,
    connections: AtomicU64,
    open_connections: AtomicU64,
    requests: AtomicU64,
    peer_verifications: AtomicU64,
}

impl ServerState {
    fn event(&self, line: String) {
        self.events
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(line);
    }
    pub(super) fn event_count(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    /// Waits (bounded) for an event containing `text` after the first `skip` events: the
    /// connection thread records its failure right after the client saw the alert.
    pub(super) fn wait_for_event(&self, text: &str, skip: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let found = self
                .events
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .skip(skip)
                .any(|e| e.contains(text));
            if found || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    pub(super) fn find_log(&self, request_id: &str) -> Option<LogEntry> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().find(|e| e.request_id == request_id).cloned()
    }
}

pub(super) struct DemoServer {
    pub(super) addr: SocketAddr,
    pub(super) state: Arc<ServerState>,
    stop: Arc<AtomicBool>,
    accept_thread: JoinHandle<Vec<JoinHandle<()>>>,
}

pub(super) struct ServerStats {
    pub(super) connections: u64,
    pub(super) requests: u64,
    pub(super) peer_verifications: u64,
    pub(super) log: Vec<String>,
}

impl DemoServer {
    pub(super) fn start(
        pki: &Pki,
        config: AuthConfig,
        provider: Arc<CryptoProvider>,
    ) -> Result<DemoServer, UsageError> {
        let verifier = RequestClientCertVerifier::with_provider(&config, &provider);
        let tls = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![pki.server.der()], pki.server.private_key())?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ServerState {
            auth: Authenticator::new(config),
            tls: Arc::new(tls),
            log: Mutex::new(Vec::new()),
            events: Mutex::new(Vec::new()),
            connections: AtomicU64::new(0),
            open_connections: AtomicU64::new(0),
            requests: AtomicU64::new(0),
            peer_verifications: AtomicU64::new(0),
        });
        let stop = Arc::new(AtomicBool::new(false));
        let accept_thread = {
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || accept_loop(listener, state, stop))
        };
        Ok(DemoServer {
            addr,
            state,
            stop,
            accept_thread,
        })
    }

    /// Stops accepting, waits for the connections to end (they are bounded by timeouts).
    pub(super) fn stop(self) -> ServerStats {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(handles) = self.accept_thread.join() {
            for h in handles {
                let _ = h.join();
            }
        }
        let s = &self.state;
        let mut log: Vec<String> = s
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|e| {
                format!(
                    "conn #{} req {} [{}] {} {}",
                    e.connection, e.request, e.request_id, e.status, e.text
                )
            })
            .collect();
        log.extend(
            s.events
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .cloned(),
        );
        ServerStats {
            connections: s.connections.load(Ordering::SeqCst),
            requests: s.requests.load(Ordering::SeqCst),
            peer_verifications: s.peer_verifications.load(Ordering::SeqCst),
            log,
        }
    }
}

fn accept_loop(
    listener: TcpListener,
    state: Arc<ServerState>,
    stop: Arc<AtomicBool>,
) -> Vec<JoinHandle<()>> {
    let mut handles = Vec::new();
    // A non-blocking listener polled every few milliseconds: stopping never depends on one
    // more connection arriving.
    while !stop.load(Ordering::SeqCst) {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
                continue;
            }
            Err(_) => continue,
        };
        if stream.set_nonblocking(false).is_err() {
            continue;
        }
        if state.open_connections.load(Ordering::SeqCst) >= MAX_CONNECTIONS {
            continue; // dropped: closes the socket
        }
        let id = state.connections.fetch_add(1, Ordering::SeqCst) + 1;
        state.open_connections.fetch_add(1, Ordering::SeqCst);
        let state = state.clone();
        handles.push(std::thread::spawn(move || {
            if let Err(e) = serve_connection(&state, id, stream) {
                state.event(format!("conn #{id}: {e}"));
            }
            state.open_connections.fetch_sub(1, Ordering::SeqCst);
        }));
        handles.retain(|h| !h.is_finished());
    }
    handles
}

fn serve_connection(state: &ServerState, id: u64, tcp: TcpStream) -> Result<(), String> {
    tcp.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    tcp.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let mut conn = ServerConnection::new(state.tls.clone()).map_err(|e| e.to_string())?;
    let mut tcp = tcp;
    while conn.is_handshaking() {
        conn.complete_io(&mut tcp)
            .map_err(|e| format!("TLS handshake refused: {e}"))?;
    }
    let chain: Vec<CertificateDer<'static>> = conn
        .peer_certificates()
        .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
        .unwrap_or_default();
    // Once per connection: the verdicts on the chain; requests reuse this handle.
    let mut peer = state.auth.verify_peer(&chain, Handshake::Full);
    state.peer_verifications.fetch_add(1, Ordering::SeqCst);
    let mut verifications = 1u32;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let mut buffer = Vec::new();

    for n in 1..=MAX_REQUESTS_PER_CONNECTION {
        let head = match read_head(&mut stream, &mut buffer) {
            Ok(Some(head)) => head,
            Ok(None) => return Ok(()),
            Err(e) => {
                let _ = write_response(&mut stream, e.status, &json!({"error": e.message}), true);
                return Err(format!("request {n}: {} {}", e.status, e.message));
            }
        };
        let request = match parse_request(&head) {
            Ok(r) => r,
            Err(e) => {
                let _ = write_response(&mut stream, e.status, &json!({"error": e.message}), true);
                return Err(format!("request {n}: {} {}", e.status, e.message));
            }
        };
        state.requests.fetch_add(1, Ordering::SeqCst);
        let pairs: Vec<(&[u8], &[u8])> = request
            .headers
            .iter()
            .map(|(n, v)| (n.as_slice(), v.as_slice()))
            .collect();
        let before = (peer.generation(), peer.verified_at());
        let result = state
            .auth
            .authenticate(&mut peer, &RequestHeaders::from_pairs(&pairs))
            .into_owned();
        if before != (peer.generation(), peer.verified_at()) {
            // The configuration changed or a certificate of the path expired: re-verified.
            verifications += 1;
            state.peer_verifications.fetch_add(1, Ordering::SeqCst);
        }
        let request_id = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"x-request-id"))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
            .unwrap_or_default();
        let connection = json!({
            "id": id,
            "request": n,
            "peerVerifications": verifications,
            "handleValidUntil": crate::args::rfc3339(peer.valid_until()),
        });
        let mut cause = None;
        let (status, body, reason, text) = match &result.decision {
            Decision::Rejected(e) => {
                let config = state.auth.config();
                let why = crate::opinions::opinions(
                    &config,
                    peer.chain().first().map(|c| c.as_ref()),
                    peer.verdicts(),
                    &RequestHeaders::from_pairs(&pairs),
                    &result,
                )
                .short_cause();
                let text = format!("Unauthorized [{}] ({why}): {}", e.reason.code(), e.message);
                cause = Some(why);
                (401, unauthorized_status(), Some(e.reason.code()), text)
            }
            decision => {
                let (authenticator, user) = match decision {
                    Decision::Authenticated {
                        authenticator,
                        user,
                    } => (authenticator.as_str(), user),
                    Decision::Anonymous { user } => ("anonymous", user),
                    _ => unreachable!("rejections are handled above"),
                };
                // What the handler behind the filter would see (spec §1.9 rule 32).
                let forwarded: Vec<String> = request
                    .headers
                    .iter()
                    .filter(|(name, _)| {
                        !result
                            .clear_headers
                            .iter()
                            .any(|c| c.as_bytes().eq_ignore_ascii_case(name))
                    })
                    .map(|(name, _)| String::from_utf8_lossy(name).into_owned())
                    .collect();
                let text = format!(
                    "{} as {:?} groups {:?}; stripped {:?}",
                    authenticator, user.name, user.groups, result.clear_headers
                );
                (
                    200,
                    json!({
                        "path": request.target,
                        "authenticator": authenticator,
                        "user": user,
                        "strippedHeaders": result.clear_headers,
                        "forwardedHeaders": forwarded,
                        "connection": connection,
                    }),
                    None,
                    text,
                )
            }
        };
        state
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(LogEntry {
                request_id,
                connection: id,
                request: n,
                status,
                reason,
                cause,
                text,
            });
        let close = request.close || n == MAX_REQUESTS_PER_CONNECTION;
        write_response(&mut stream, status, &body, close)
            .map_err(|e| format!("writing a response: {e}"))?;
        if close {
            break;
        }
    }
    stream.conn.send_close_notify();
    let _ = stream.flush();
    Ok(())
}
