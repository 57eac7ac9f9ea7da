//! The demo client: one TLS configuration per certificate a scenario presents (including a
//! stolen certificate without its key), and a keep-alive session that sends requests and reads
//! JSON responses.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ClientConnection, RootCertStore};
use serde_json::Value;

use super::http::{read_head, IO_TIMEOUT};
use super::pki::{Credential, Pki};
use crate::UsageError;

/// Most bytes of a response body the demo client reads.
const MAX_RESPONSE_BODY_BYTES: usize = 64 * 1024;

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
pub(super) enum Presented {
    None,
    FrontProxy,
    RogueProxy,
    Jane,
    Attacker,
    StolenFrontProxy,
}

impl Presented {
    pub(super) fn describe(self) -> Vec<String> {
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

pub(super) struct DemoClient {
    addr: SocketAddr,
    configs: Vec<(Presented, Arc<ClientConfig>)>,
}

pub(super) struct HttpResponse {
    pub(super) status: u16,
    pub(super) body: Value,
}

/// One open TLS connection of the client.
pub(super) struct ClientSession {
    stream: rustls::StreamOwned<ClientConnection, TcpStream>,
    buffer: Vec<u8>,
}

impl DemoClient {
    pub(super) fn new(
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

    pub(super) fn connect(&self, presented: Presented) -> Result<ClientSession, String> {
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
    pub(super) fn send(
        &mut self,
        request_id: &str,
        headers: &[(&str, &str)],
    ) -> Result<HttpResponse, String> {
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

    pub(super) fn close(mut self) {
        self.stream.conn.send_close_notify();
        let _ = self.stream.flush();
    }
}
