//! `frontproxy demo`: an HTTPS extension endpoint, attacked the way the aggregation layer and
//! attackers would, with every certificate generated on the fly.
//!
//! The server is what an extension apiserver does (spec §0.1, §1.7–§1.9): TLS that requests a
//! client certificate without verifying it ([`RequestClientCertVerifier`]), the peer chain
//! verified once per connection ([`Authenticator::verify_peer`]), and on every HTTP/1.1 request
//! of the keep-alive connection the header step ([`Authenticator::authenticate`]), the identity
//! headers stripped, 200 with the user or 401 with Kubernetes' `Status` body. The reason of a 401
//! goes only to the server log, as in Kubernetes (rule 31).
//!
//! Plain `std::net` and a thread per connection: no async. Everything read from the network is
//! bounded (head size, header count, requests per connection, no bodies) and every socket has
//! timeouts, so the demo cannot hang.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use frontproxy::tls::{crypto_provider, RequestClientCertVerifier};
use frontproxy::{
    AuthConfig, Authenticator, CaBundle, CertificateDer, Decision, RequestHeaderOptions,
    RequestHeaders,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, RootCertStore, ServerConfig, ServerConnection};
use serde_json::{json, Value};

use crate::UsageError;

/// Most bytes of a request (or response) line plus headers.
const MAX_HEAD_BYTES: usize = 16 * 1024;
/// Most header lines in one request.
const MAX_HEADER_LINES: usize = 64;
/// Most requests served on one connection before it is closed.
const MAX_REQUESTS_PER_CONNECTION: usize = 16;
/// Most connections served at the same time.
const MAX_CONNECTIONS: u64 = 32;
/// Most bytes of a response body the demo client reads.
const MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024;
/// Read/write timeout of every socket.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The body Kubernetes answers a failed authentication with (spec §1.9 rule 31).
fn unauthorized_status() -> Value {
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

pub fn run(args: &[String]) -> Result<ExitCode, UsageError> {
    if let Some(arg) = args.first() {
        return Err(UsageError(format!("demo takes no arguments, got {arg:?}")));
    }
    match run_demo() {
        Ok(code) => Ok(code),
        Err(UsageError(e)) => {
            eprintln!("frontproxy demo: could not run: {e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn run_demo() -> Result<ExitCode, UsageError> {
    let started = Instant::now();
    let pki = Pki::generate().map_err(|e| UsageError(format!("generating certificates: {e}")))?;
    let config = pki.auth_config()?;
    let provider = Arc::new(crypto_provider());
    let server = DemoServer::start(&pki, config, provider.clone())?;
    println!(
        "frontproxy demo: HTTPS extension endpoint on https://{} (certificates generated just now)",
        server.addr
    );
    println!(
        "  requestheader-client-ca-file: CN=front-proxy-ca   requestheader-allowed-names: [front-proxy-client]"
    );
    println!("  client-ca-file:               CN=kubernetes-client-ca   headers: X-Remote-User / X-Remote-Group / X-Remote-Extra-");
    println!();

    let client = DemoClient::new(&pki, server.addr, provider)?;
    let rows = run_scenarios(&client, &server);
    let stats = server.stop();

    print_table(
        &[
            "scenario",
            "client certificate",
            "headers sent",
            "HTTP",
            "outcome",
            "ok",
        ],
        &rows.iter().map(Row::cells).collect::<Vec<_>>(),
    );
    println!();
    println!("server log (what a 401 never tells the client):");
    for line in &stats.log {
        println!("  {line}");
    }
    println!();
    println!(
        "per-connection handles: {} connection(s), {} request(s), {} peer chain verification(s) \
         (one per completed handshake; every further request on a connection reuses its handle)",
        stats.connections, stats.requests, stats.peer_verifications
    );
    let failed: Vec<&str> = rows
        .iter()
        .filter(|r| !r.ok)
        .map(|r| r.scenario.as_str())
        .collect();
    let scenarios = rows
        .iter()
        .map(|r| r.scenario_key)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    if failed.is_empty() {
        println!(
            "demo passed: all {scenarios} scenarios ({} requests) behaved as Kubernetes does ({:.1} s)",
            rows.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        println!("demo FAILED: unexpected outcome in {}", failed.join(", "));
        Ok(ExitCode::from(1))
    }
}

// ---------------------------------------------------------------------------------------------
// Certificates

/// A certificate with its key, in the forms rustls and frontproxy need.
struct Credential {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Credential {
    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
    fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

/// Every certificate of the demo, ECDSA P-256.
struct Pki {
    front_proxy_ca: Credential,
    /// What kube-aggregator presents: CN=front-proxy-client, EKU clientAuth.
    front_proxy_client: Credential,
    /// Issued by the front-proxy CA, but for a CN that is not in the allowed names.
    rogue_proxy_client: Credential,
    client_ca: Credential,
    /// A user certificate: CN=jane, O=dev.
    jane: Credential,
    /// A front-proxy look-alike issued by an attacker's own CA.
    attacker_client: Credential,
    serving_ca: Credential,
    server: Credential,
    /// A key that belongs to none of the certificates (a stolen certificate without its key).
    unrelated_key: KeyPair,
}

fn new_key() -> Result<KeyPair, rcgen::Error> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
}

fn params(cn: &str, orgs: &[&str]) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = rcgen::DistinguishedName::new();
    for o in orgs {
        p.distinguished_name.push(DnType::OrganizationName, *o);
    }
    p.distinguished_name.push(DnType::CommonName, cn);
    let now = time::OffsetDateTime::now_utc();
    p.not_before = now - time::Duration::hours(1);
    p.not_after = now + time::Duration::days(1);
    p
}

fn ca(cn: &str) -> Result<Credential, rcgen::Error> {
    let mut p = params(cn, &[]);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let key = new_key()?;
    let cert = p.self_signed(&key)?;
    Ok(Credential { cert, key })
}

fn client_cert(issuer: &Credential, cn: &str, orgs: &[&str]) -> Result<Credential, rcgen::Error> {
    let mut p = params(cn, orgs);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let key = new_key()?;
    let cert = p.signed_by(&key, &issuer.cert, &issuer.key)?;
    Ok(Credential { cert, key })
}

impl Pki {
    fn generate() -> Result<Pki, rcgen::Error> {
        let front_proxy_ca = ca("front-proxy-ca")?;
        let client_ca = ca("kubernetes-client-ca")?;
        let attacker_ca = ca("attacker-ca")?;
        let serving_ca = ca("extension-serving-ca")?;
        let mut sp = params("demo.extension.local", &[]);
        sp.subject_alt_names = vec![
            SanType::DnsName("localhost".try_into()?),
            SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ];
        sp.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let server_key = new_key()?;
        let server_cert = sp.signed_by(&server_key, &serving_ca.cert, &serving_ca.key)?;
        Ok(Pki {
            front_proxy_client: client_cert(&front_proxy_ca, "front-proxy-client", &[])?,
            rogue_proxy_client: client_cert(&front_proxy_ca, "not-the-aggregator", &[])?,
            jane: client_cert(&client_ca, "jane", &["dev"])?,
            attacker_client: client_cert(&attacker_ca, "front-proxy-client", &[])?,
            front_proxy_ca,
            client_ca,
            server: Credential {
                cert: server_cert,
                key: server_key,
            },
            serving_ca,
            unrelated_key: new_key()?,
        })
    }

    /// The extension apiserver's configuration: as kube-apiserver's flags would give it.
    fn auth_config(&self) -> Result<AuthConfig, UsageError> {
        let rh_ca = CaBundle::from_pem(
            self.front_proxy_ca.cert.pem().as_bytes(),
            "--requestheader-client-ca-file",
        )?;
        let client_ca =
            CaBundle::from_pem(self.client_ca.cert.pem().as_bytes(), "--client-ca-file")?;
        Ok(AuthConfig::builder()
            .request_header(
                rh_ca,
                RequestHeaderOptions {
                    allowed_names: vec!["front-proxy-client".into()],
                    ..Default::default()
                },
            )
            .client_ca(client_ca)
            .build()?)
    }
}

// ---------------------------------------------------------------------------------------------
// Server

/// One line of the server log, keyed by the client's `X-Request-Id`.
#[derive(Clone)]
struct LogEntry {
    request_id: String,
    connection: u64,
    request: usize,
    status: u16,
    /// The stable reason code of a 401 (never sent to the client).
    reason: Option<&'static str>,
    text: String,
}

struct ServerState {
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
    fn event_count(&self) -> usize {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
    /// Waits (bounded) for an event containing `text` after the first `skip` events: the
    /// connection thread records its failure right after the client saw the alert.
    fn wait_for_event(&self, text: &str, skip: usize) -> bool {
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
    fn find_log(&self, request_id: &str) -> Option<LogEntry> {
        let log = self.log.lock().unwrap_or_else(|e| e.into_inner());
        log.iter().find(|e| e.request_id == request_id).cloned()
    }
}

struct DemoServer {
    addr: SocketAddr,
    state: Arc<ServerState>,
    stop: Arc<AtomicBool>,
    accept_thread: JoinHandle<Vec<JoinHandle<()>>>,
}

struct ServerStats {
    connections: u64,
    requests: u64,
    peer_verifications: u64,
    log: Vec<String>,
}

impl DemoServer {
    fn start(
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
    fn stop(self) -> ServerStats {
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

/// A request as the demo endpoint reads it: the request line and the header lines.
struct HttpRequest {
    target: String,
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    close: bool,
}

/// A request the endpoint refuses before authentication (what Go's HTTP server answers).
#[derive(Debug)]
struct HttpError {
    status: u16,
    message: String,
}

fn http_error(status: u16, message: impl Into<String>) -> HttpError {
    HttpError {
        status,
        message: message.into(),
    }
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
    let mut peer = state.auth.verify_peer(&chain);
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
            .authenticate(&mut peer, &RequestHeaders::from_pairs(&pairs));
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
            "handleValidUntil": frontproxy::certinfo::rfc3339(peer.valid_until()),
        });
        let (status, body, reason, text) = match &result.decision {
            Decision::Rejected(e) => (
                401,
                unauthorized_status(),
                Some(e.reason.code()),
                format!("Unauthorized [{}]: {}", e.reason.code(), e.message),
            ),
            decision => {
                let (authenticator, user) = match decision {
                    Decision::Authenticated {
                        authenticator,
                        user,
                    } => (authenticator.as_str(), user),
                    Decision::Anonymous { user } => ("anonymous", user),
                    Decision::Rejected(_) => unreachable!("handled above"),
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

/// Reads up to the end of the next head (`\r\n\r\n`), keeping what follows in `buffer`.
/// `Ok(None)` when the peer closed the connection between requests.
fn read_head<S: Read>(stream: &mut S, buffer: &mut Vec<u8>) -> Result<Option<Vec<u8>>, HttpError> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find_head_end(buffer) {
            let rest = buffer.split_off(end);
            let head = std::mem::replace(buffer, rest);
            return Ok(Some(head));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(http_error(
                431,
                format!("the request head exceeds {MAX_HEAD_BYTES} bytes"),
            ));
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                return if buffer.is_empty() {
                    Ok(None)
                } else {
                    Err(http_error(
                        400,
                        "the connection ended inside a request head",
                    ))
                }
            }
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Between requests, a peer that went away or stayed idle past the timeout just ends
            // the connection (as Go closes idle keep-alive connections).
            Err(e)
                if buffer.is_empty()
                    && matches!(
                        e.kind(),
                        io::ErrorKind::UnexpectedEof
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                    ) =>
            {
                return Ok(None)
            }
            Err(e) => return Err(http_error(408, format!("reading the request: {e}"))),
        }
    }
}

fn find_head_end(buffer: &[u8]) -> Option<usize> {
    buffer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses a request head strictly, refusing what Go's HTTP server refuses (status 400), and
/// refusing request bodies (the endpoint has no use for them).
fn parse_request(head: &[u8]) -> Result<HttpRequest, HttpError> {
    let head = &head[..head.len() - 4];
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let request_line = lines.next().unwrap_or_default();
    if request_line.contains(&b'\r') {
        return Err(http_error(400, "a bare CR in the request line"));
    }
    let parts: Vec<&[u8]> = request_line.split(|&b| b == b' ').collect();
    let [method, target, version] = parts.as_slice() else {
        return Err(http_error(
            400,
            "the request line is not METHOD SP TARGET SP VERSION",
        ));
    };
    if method.is_empty() || !method.iter().all(|&b| is_tchar(b)) {
        return Err(http_error(400, "invalid method"));
    }
    if target.is_empty() || target.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return Err(http_error(400, "invalid request target"));
    }
    let http10 = match *version {
        b"HTTP/1.1" => false,
        b"HTTP/1.0" => true,
        _ => return Err(http_error(505, "only HTTP/1.1 and HTTP/1.0 are served")),
    };
    let mut headers = Vec::new();
    for line in lines {
        if headers.len() == MAX_HEADER_LINES {
            return Err(http_error(
                431,
                format!("more than {MAX_HEADER_LINES} header lines"),
            ));
        }
        if line.first().is_some_and(|&b| b == b' ' || b == b'\t') {
            return Err(http_error(400, "obsolete line folding is not accepted"));
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Err(http_error(400, "a header line without a colon"));
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if name.is_empty() || !name.iter().all(|&b| is_tchar(b)) {
            return Err(http_error(400, "invalid header name"));
        }
        if value.iter().any(|&b| (b < b' ' && b != b'\t') || b == 0x7f) {
            return Err(http_error(400, "a control character in a header value"));
        }
        let start = value
            .iter()
            .position(|&b| b != b' ' && b != b'\t')
            .unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(start, |e| e + 1);
        headers.push((name.to_vec(), value[start..end].to_vec()));
    }
    let has = |n: &[u8]| {
        headers
            .iter()
            .any(|(h, _): &(Vec<u8>, Vec<u8>)| h.eq_ignore_ascii_case(n))
    };
    if !http10 && !has(b"host") {
        return Err(http_error(400, "missing required Host header"));
    }
    let body_length_nonzero = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case(b"content-length") && v.as_slice() != b"0");
    if body_length_nonzero || has(b"transfer-encoding") {
        return Err(http_error(413, "this endpoint takes no request body"));
    }
    let connection_close = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case(b"connection")
            && v.split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
    });
    Ok(HttpRequest {
        target: String::from_utf8_lossy(target).into_owned(),
        headers,
        close: http10 || connection_close,
    })
}

fn write_response<W: Write>(out: &mut W, status: u16, body: &Value, close: bool) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        408 => "Request Timeout",
        413 => "Content Too Large",
        431 => "Request Header Fields Too Large",
        505 => "HTTP Version Not Supported",
        _ => "Error",
    };
    let body = serde_json::to_vec(body).map_err(io::Error::other)?;
    let mut head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    out.write_all(&body)?;
    out.flush()
}

// ---------------------------------------------------------------------------------------------
// Client

/// A client certificate whose private key the client does not hold: the certificate is sent,
/// the CertificateVerify is signed with another key.
#[derive(Debug)]
struct StolenCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for StolenCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[rustls::SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// Which certificate a scenario presents.
#[derive(Clone, Copy)]
enum Presented {
    None,
    FrontProxy,
    RogueProxy,
    Jane,
    Attacker,
    StolenFrontProxy,
}

impl Presented {
    fn describe(self) -> Vec<String> {
        let (a, b) = match self {
            Presented::None => ("none", ""),
            Presented::FrontProxy => ("CN=front-proxy-client", "issued by front-proxy-ca"),
            Presented::RogueProxy => ("CN=not-the-aggregator", "issued by front-proxy-ca"),
            Presented::Jane => ("CN=jane O=dev", "issued by kubernetes-client-ca"),
            Presented::Attacker => ("CN=front-proxy-client", "issued by attacker-ca"),
            Presented::StolenFrontProxy => ("CN=front-proxy-client", "without its private key"),
        };
        [a, b]
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect()
    }
}

struct DemoClient {
    addr: SocketAddr,
    configs: Vec<(Presented, Arc<ClientConfig>)>,
}

struct HttpResponse {
    status: u16,
    body: Value,
}

/// One open TLS connection of the client.
struct ClientSession {
    stream: rustls::StreamOwned<ClientConnection, TcpStream>,
    buffer: Vec<u8>,
}

impl DemoClient {
    fn new(
        pki: &Pki,
        addr: SocketAddr,
        provider: Arc<CryptoProvider>,
    ) -> Result<DemoClient, UsageError> {
        let mut roots = RootCertStore::empty();
        roots.add(pki.serving_ca.der())?;
        let builder = || -> Result<_, UsageError> {
            Ok(ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()?
                .with_root_certificates(roots.clone()))
        };
        let with_cert = |c: &Credential| -> Result<Arc<ClientConfig>, UsageError> {
            Ok(Arc::new(
                builder()?.with_client_auth_cert(vec![c.der()], c.private_key())?,
            ))
        };
        let stolen = {
            let wrong_key = provider
                .key_provider
                .load_private_key(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
                    pki.unrelated_key.serialize_der(),
                )))?;
            let key = CertifiedKey::new(vec![pki.front_proxy_client.der()], wrong_key);
            Arc::new(
                builder()?.with_client_cert_resolver(Arc::new(StolenCertificate(Arc::new(key)))),
            )
        };
        Ok(DemoClient {
            addr,
            configs: vec![
                (Presented::None, Arc::new(builder()?.with_no_client_auth())),
                (Presented::FrontProxy, with_cert(&pki.front_proxy_client)?),
                (Presented::RogueProxy, with_cert(&pki.rogue_proxy_client)?),
                (Presented::Jane, with_cert(&pki.jane)?),
                (Presented::Attacker, with_cert(&pki.attacker_client)?),
                (Presented::StolenFrontProxy, stolen),
            ],
        })
    }

    fn connect(&self, presented: Presented) -> Result<ClientSession, String> {
        let config = self
            .configs
            .iter()
            .find(|(p, _)| std::mem::discriminant(p) == std::mem::discriminant(&presented))
            .map(|(_, c)| c.clone())
            .ok_or("no client configuration")?;
        let tcp = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        tcp.set_write_timeout(Some(IO_TIMEOUT))
            .map_err(|e| e.to_string())?;
        let _ = tcp.set_nodelay(true);
        let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
        let mut conn = ClientConnection::new(config, name).map_err(|e| e.to_string())?;
        let mut tcp = tcp;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| format!("TLS handshake failed: {e}"))?;
        }
        Ok(ClientSession {
            stream: rustls::StreamOwned::new(conn, tcp),
            buffer: Vec::new(),
        })
    }
}

impl ClientSession {
    fn send(&mut self, request_id: &str, headers: &[(&str, &str)]) -> Result<HttpResponse, String> {
        let mut req = format!(
            "GET /apis/wardle.example.com/v1alpha1/whoami HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: {request_id}\r\n"
        );
        for (n, v) in headers {
            let _ = write!(req, "{n}: {v}\r\n");
        }
        req.push_str("\r\n");
        self.stream
            .write_all(req.as_bytes())
            .and_then(|()| self.stream.flush())
            .map_err(|e| format!("sending: {e}"))?;
        let head = match read_head(&mut self.stream, &mut self.buffer) {
            Ok(Some(head)) => head,
            Ok(None) => return Err("the server closed the connection".into()),
            Err(e) => return Err(e.message),
        };
        let text = String::from_utf8_lossy(&head);
        let mut lines = text.split("\r\n");
        let status: u16 = lines
            .next()
            .and_then(|l| l.strip_prefix("HTTP/1.1 "))
            .and_then(|l| l.get(..3))
            .and_then(|s| s.parse().ok())
            .ok_or("malformed status line")?;
        let length: usize = lines
            .filter_map(|l| l.split_once(':'))
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.trim().parse().ok())
            .ok_or("no Content-Length")?;
        if length > MAX_RESPONSE_BODY_BYTES {
            return Err(format!("a {length}-byte response body"));
        }
        let mut chunk = [0u8; 4096];
        while self.buffer.len() < length {
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err("the response body was cut short".into()),
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("reading the body: {e}")),
            }
        }
        let rest = self.buffer.split_off(length);
        let body = std::mem::replace(&mut self.buffer, rest);
        let body =
            serde_json::from_slice(&body).map_err(|e| format!("the body is not JSON: {e}"))?;
        Ok(HttpResponse { status, body })
    }

    fn close(mut self) {
        self.stream.conn.send_close_notify();
        let _ = self.stream.flush();
    }
}

// ---------------------------------------------------------------------------------------------
// Scenarios

enum Expected {
    /// 200 as this user, by this authenticator, with these headers stripped.
    User {
        authenticator: &'static str,
        name: &'static str,
        groups: &'static [&'static str],
        stripped: &'static [&'static str],
    },
    /// 401 with the Kubernetes Status body; the server logged this reason.
    Unauthorized { reason: &'static str },
    /// No HTTP at all: the server ends the TLS handshake (no proof of possession).
    HandshakeRefused,
}

struct Scenario {
    key: char,
    title: &'static str,
    presented: Presented,
    /// One request per entry, all on the same connection.
    requests: Vec<(Vec<(&'static str, &'static str)>, Expected)>,
}

fn scenarios() -> Vec<Scenario> {
    use Expected::*;
    vec![
        Scenario {
            key: 'a',
            title: "aggregation layer",
            presented: Presented::FrontProxy,
            requests: vec![(
                vec![
                    ("X-Remote-User", "alice"),
                    ("X-Remote-Group", "developers"),
                    ("X-Remote-Extra-Scopes", "openid"),
                ],
                User {
                    authenticator: "requestheader",
                    name: "alice",
                    groups: &["developers", "system:authenticated"],
                    stripped: &["X-Remote-User", "X-Remote-Group", "X-Remote-Extra-Scopes"],
                },
            )],
        },
        Scenario {
            key: 'b',
            title: "spoofed headers, no certificate",
            presented: Presented::None,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                User {
                    authenticator: "anonymous",
                    name: "system:anonymous",
                    groups: &["system:unauthenticated"],
                    stripped: &["X-Remote-User", "X-Remote-Group"],
                },
            )],
        },
        Scenario {
            key: 'c',
            title: "proxy CA cert, CN not allowed",
            presented: Presented::RogueProxy,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                Unauthorized {
                    reason: "common_name_not_allowed",
                },
            )],
        },
        Scenario {
            key: 'd',
            title: "user cert + spoofed headers",
            presented: Presented::Jane,
            requests: vec![(
                vec![("X-Remote-User", "system:admin")],
                User {
                    authenticator: "x509",
                    name: "jane",
                    groups: &["dev", "system:authenticated"],
                    stripped: &["X-Remote-User"],
                },
            )],
        },
        Scenario {
            key: 'e',
            title: "front-proxy cert, no X-Remote-User",
            presented: Presented::FrontProxy,
            requests: vec![(
                vec![],
                Unauthorized {
                    reason: "unknown_authority",
                },
            )],
        },
        Scenario {
            key: 'f',
            title: "cert from an unknown CA",
            presented: Presented::Attacker,
            requests: vec![(
                vec![
                    ("X-Remote-User", "system:admin"),
                    ("X-Remote-Group", "system:masters"),
                ],
                Unauthorized {
                    reason: "unknown_authority",
                },
            )],
        },
        Scenario {
            key: 'g',
            title: "keep-alive: 2 requests",
            presented: Presented::FrontProxy,
            requests: vec![
                (
                    vec![("X-Remote-User", "alice"), ("X-Remote-Group", "developers")],
                    User {
                        authenticator: "requestheader",
                        name: "alice",
                        groups: &["developers", "system:authenticated"],
                        stripped: &["X-Remote-User", "X-Remote-Group"],
                    },
                ),
                (
                    vec![("X-Remote-User", "bob")],
                    User {
                        authenticator: "requestheader",
                        name: "bob",
                        groups: &["system:authenticated"],
                        stripped: &["X-Remote-User"],
                    },
                ),
            ],
        },
        Scenario {
            key: 'h',
            title: "stolen proxy cert, no key",
            presented: Presented::StolenFrontProxy,
            requests: vec![(vec![("X-Remote-User", "system:admin")], HandshakeRefused)],
        },
    ]
}

/// One line of the table: one request (or one refused connection).
struct Row {
    scenario_key: char,
    scenario: String,
    certificate: Vec<String>,
    headers: Vec<String>,
    http: String,
    outcome: Vec<String>,
    ok: bool,
    problem: Option<String>,
}

impl Row {
    fn cells(&self) -> Vec<Vec<String>> {
        let mut verdict = vec![if self.ok {
            "yes".to_string()
        } else {
            "NO".to_string()
        }];
        if let Some(p) = &self.problem {
            verdict.push(p.clone());
        }
        vec![
            wrap(&self.scenario, SCENARIO_WIDTH),
            self.certificate.clone(),
            if self.headers.is_empty() {
                vec!["(none)".into()]
            } else {
                self.headers.clone()
            },
            vec![self.http.clone()],
            self.outcome.clone(),
            verdict,
        ]
    }
}

fn run_scenarios(client: &DemoClient, server: &DemoServer) -> Vec<Row> {
    let mut rows = Vec::new();
    for scenario in scenarios() {
        let events_before = server.state.event_count();
        let mut session = client.connect(scenario.presented);
        let mut first_connection: Option<u64> = None;
        let count = scenario.requests.len();
        for (i, (headers, expected)) in scenario.requests.iter().enumerate() {
            let request_id = format!("demo-{}{}", scenario.key, i + 1);
            let scenario_label = if count > 1 {
                format!("({}) {} #{}", scenario.key, scenario.title, i + 1)
            } else {
                format!("({}) {}", scenario.key, scenario.title)
            };
            let response = match &mut session {
                Ok(s) => s.send(&request_id, headers),
                Err(e) => Err(e.clone()),
            };
            let log = server.state.find_log(&request_id);
            let mut row = Row {
                scenario_key: scenario.key,
                scenario: scenario_label,
                certificate: scenario.presented.describe(),
                headers: headers.iter().map(|(n, v)| format!("{n}: {v}")).collect(),
                http: "-".into(),
                outcome: Vec::new(),
                ok: false,
                problem: None,
            };
            match response {
                Err(e) => {
                    row.outcome.push("no HTTP response; client saw:".into());
                    let seen = e.rsplit(": ").take(2).collect::<Vec<_>>();
                    let seen = seen.into_iter().rev().collect::<Vec<_>>().join(": ");
                    row.outcome.push(truncate(&seen, OUTCOME_WIDTH));
                    row.outcome.push("(the server log says why)".into());
                    if !matches!(expected, Expected::HandshakeRefused) {
                        row.problem = Some("expected an HTTP response".into());
                    } else if !server
                        .state
                        .wait_for_event("TLS handshake refused", events_before)
                    {
                        row.problem = Some("the server did not refuse the handshake".into());
                    }
                }
                Ok(r) => {
                    row.http = r.status.to_string();
                    describe_response(&mut row, &r, log.as_ref());
                    let verifications = r
                        .body
                        .pointer("/connection/peerVerifications")
                        .and_then(Value::as_u64);
                    if i > 0 && verifications != Some(1) {
                        row.problem = Some("the connection handle was not reused".into());
                    }
                    if let Some(c) = r.body.pointer("/connection/id").and_then(Value::as_u64) {
                        match first_connection {
                            None => first_connection = Some(c),
                            Some(first) if first != c => {
                                row.problem = Some("not on the same connection".into())
                            }
                            _ => {}
                        }
                    }
                    if let Err(p) = check_expected(expected, &r, log.as_ref()) {
                        row.problem = Some(p);
                    }
                }
            }
            row.ok = row.problem.is_none();
            rows.push(row);
        }
        if let Ok(s) = session {
            s.close();
        }
    }
    rows
}

fn describe_response(row: &mut Row, r: &HttpResponse, log: Option<&LogEntry>) {
    let body = &r.body;
    let mut lines = Vec::new();
    if r.status == 200 {
        let name = body
            .pointer("/user/name")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let by = body
            .get("authenticator")
            .and_then(Value::as_str)
            .unwrap_or("?");
        lines.push(format!("user {name} ({by})"));
        let groups = strings(body.pointer("/user/groups"));
        lines.push(format!("groups {}", groups.join(", ")));
        if let Some(extra) = body.pointer("/user/extra").and_then(Value::as_object) {
            for (k, v) in extra {
                let key = k.rsplit('/').next().unwrap_or(k);
                lines.push(truncate(
                    &format!("extra {key}={}", strings(Some(v)).join(",")),
                    OUTCOME_WIDTH,
                ));
            }
        }
        let stripped = strings(body.get("strippedHeaders"));
        if !stripped.is_empty() {
            lines.push(format!("stripped {}", stripped.join(", ")));
        }
        if let Some(c) = body.get("connection") {
            lines.push(format!(
                "conn #{} request {}, peer verified {}x",
                c.get("id").and_then(Value::as_u64).unwrap_or(0),
                c.get("request").and_then(Value::as_u64).unwrap_or(0),
                c.get("peerVerifications")
                    .and_then(Value::as_u64)
                    .unwrap_or(0),
            ));
        }
    } else {
        let message = body.get("message").and_then(Value::as_str).unwrap_or("?");
        lines.push(format!("Status {message} (the Kubernetes body)"));
        match log {
            Some(l) => lines.push(format!("server log: {}", l.reason.unwrap_or("-"))),
            None => lines.push("server log: (no entry)".into()),
        }
    }
    row.outcome = lines.iter().flat_map(|l| wrap(l, OUTCOME_WIDTH)).collect();
}

fn check_expected(
    expected: &Expected,
    r: &HttpResponse,
    log: Option<&LogEntry>,
) -> Result<(), String> {
    match expected {
        Expected::HandshakeRefused => Err(format!("expected no HTTP, got {}", r.status)),
        Expected::Unauthorized { reason } => {
            if r.status != 401 {
                return Err(format!("expected 401, got {}", r.status));
            }
            if r.body != unauthorized_status() {
                return Err("the 401 body is not the Kubernetes Status".into());
            }
            match log.and_then(|l| l.reason) {
                Some(got) if got == *reason => Ok(()),
                got => Err(format!("expected reason {reason}, logged {got:?}")),
            }
        }
        Expected::User {
            authenticator,
            name,
            groups,
            stripped,
        } => {
            if r.status != 200 {
                return Err(format!("expected 200, got {}", r.status));
            }
            let b = &r.body;
            let got_by = b.get("authenticator").and_then(Value::as_str).unwrap_or("");
            let got_name = b
                .pointer("/user/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let got_groups = strings(b.pointer("/user/groups"));
            let mut got_stripped = strings(b.get("strippedHeaders"));
            let mut want_stripped: Vec<String> = stripped.iter().map(|s| s.to_string()).collect();
            got_stripped.sort_by_key(|s| s.to_ascii_lowercase());
            want_stripped.sort_by_key(|s| s.to_ascii_lowercase());
            let forwarded = strings(b.get("forwardedHeaders"));
            if got_by != *authenticator || got_name != *name {
                Err(format!("expected {name} by {authenticator}"))
            } else if got_groups != *groups {
                Err(format!("expected groups {groups:?}"))
            } else if !got_stripped.eq_ignore_ascii_case_all(&want_stripped) {
                Err(format!("expected stripped {want_stripped:?}"))
            } else if forwarded
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("x-remote-"))
            {
                Err("an X-Remote-* header reached the handler".into())
            } else if log.map(|l| l.status) != Some(200) {
                Err("no matching server log entry".into())
            } else {
                Ok(())
            }
        }
    }
}

trait EqIgnoreCaseAll {
    fn eq_ignore_ascii_case_all(&self, other: &[String]) -> bool;
}

impl EqIgnoreCaseAll for Vec<String> {
    fn eq_ignore_ascii_case_all(&self, other: &[String]) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .zip(other)
                .all(|(a, b)| a.eq_ignore_ascii_case(b))
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// Width of the outcome and scenario columns of the table (longer lines are wrapped).
const OUTCOME_WIDTH: usize = 46;
const SCENARIO_WIDTH: usize = 26;

/// Splits `text` into lines of at most `width` characters at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
            current.push_str("  ");
        } else if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    lines.push(current);
    lines
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 3).collect();
        t.push_str("...");
        t
    }
}

/// Prints an aligned table whose cells may have several lines.
fn print_table(titles: &[&str], rows: &[Vec<Vec<String>>]) {
    let columns = titles.len();
    let mut widths: Vec<usize> = titles.iter().map(|t| t.chars().count()).collect();
    for row in rows {
        for (c, cell) in row.iter().enumerate().take(columns) {
            for line in cell {
                widths[c] = widths[c].max(line.chars().count());
            }
        }
    }
    let rule = widths
        .iter()
        .map(|w| "-".repeat(w + 2))
        .collect::<Vec<_>>()
        .join("+");
    let line = |cells: &[&str]| {
        let text = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect::<Vec<_>>()
            .join("|");
        println!("{}", text.trim_end());
    };
    line(titles);
    println!("{rule}");
    for row in rows {
        let height = row.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            let cells: Vec<&str> = (0..columns)
                .map(|c| {
                    row.get(c)
                        .and_then(|cell| cell.get(i))
                        .map_or("", String::as_str)
                })
                .collect();
            line(&cells);
        }
        println!("{rule}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<HttpRequest, u16> {
        parse_request(text.as_bytes()).map_err(|e| e.status)
    }

    #[test]
    fn request_parsing_refuses_what_go_refuses() {
        let ok = "GET /x HTTP/1.1\r\nHost: a\r\nX-Remote-User:  alice \t\r\n\r\n";
        let r = parse(ok).expect("a valid request");
        assert_eq!(r.target, "/x");
        assert_eq!(r.headers[1], (b"X-Remote-User".to_vec(), b"alice".to_vec()));
        assert!(!r.close);
        let many = format!(
            "GET / HTTP/1.1\r\nHost: a\r\n{}\r\n",
            "A: b\r\n".repeat(MAX_HEADER_LINES)
        );
        let cases: &[(&str, &str, u16)] = &[
            (
                "obsolete line folding",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User: a\r\n b\r\n\r\n",
                400,
            ),
            (
                "space before the colon",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User : a\r\n\r\n",
                400,
            ),
            (
                "no colon",
                "GET / HTTP/1.1\r\nHost: a\r\nX-Remote-User\r\n\r\n",
                400,
            ),
            (
                "control character in a value",
                "GET / HTTP/1.1\r\nHost: a\r\nX: a\x01b\r\n\r\n",
                400,
            ),
            ("missing Host", "GET / HTTP/1.1\r\nX: a\r\n\r\n", 400),
            (
                "malformed request line",
                "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
                400,
            ),
            ("unknown version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
            (
                "a body",
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n",
                413,
            ),
            (
                "chunked body",
                "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
                413,
            ),
            ("too many header lines", many.as_str(), 431),
        ];
        for (name, text, status) in cases {
            assert_eq!(parse(text).err(), Some(*status), "{name}");
        }
        assert!(
            parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, close\r\n\r\n")
                .unwrap()
                .close
        );
        assert!(parse("GET / HTTP/1.0\r\n\r\n").unwrap().close);
    }

    #[test]
    fn heads_are_read_one_at_a_time_and_bounded() {
        let two = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n".to_vec();
        let mut input = io::Cursor::new(two);
        let mut buffer = Vec::new();
        let first = read_head(&mut input, &mut buffer).unwrap().unwrap();
        assert_eq!(parse_request(&first).ok().unwrap().target, "/1");
        let second = read_head(&mut input, &mut buffer).unwrap().unwrap();
        assert_eq!(parse_request(&second).ok().unwrap().target, "/2");
        assert!(
            read_head(&mut input, &mut buffer).unwrap().is_none(),
            "clean end"
        );

        let mut cut = io::Cursor::new(b"GET / HTTP/1.1\r\nHo".to_vec());
        assert_eq!(
            read_head(&mut cut, &mut Vec::new()).err().map(|e| e.status),
            Some(400)
        );
        let huge = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(MAX_HEAD_BYTES + 10));
        let mut huge = io::Cursor::new(huge.into_bytes());
        assert_eq!(
            read_head(&mut huge, &mut Vec::new())
                .err()
                .map(|e| e.status),
            Some(431)
        );
    }
}
