//! The TLS layer of an extension apiserver, as a rustls [`ClientCertVerifier`]
//! (spec §0.1, "TLS layer").
//!
//! Kubernetes serves with Go's `ClientAuth = RequestClientCert` whenever a client CA is
//! configured. That asks the client for a certificate but verifies no chain during the
//! handshake; a client without a certificate is accepted. Chain verification happens per
//! request, inside the authenticators (here: [`crate::Authenticator::verify_peer`] and
//! [`crate::AuthConfig::verify_peer`]), because the same certificate is judged twice against two
//! different CA bundles (request-header CA and client CA, spec §1.8) and the outcome of one
//! request (401, anonymous, a user) must not be decided by the handshake.
//!
//! What the handshake still does — and this verifier does too — is check the client's
//! CertificateVerify signature with the public key of the presented leaf: proof that the
//! client holds the private key of the certificate it presents. Without it any client could
//! replay the front proxy's (public) certificate. The hint list in CertificateRequest is the
//! union of the subjects of the two bundles, like Go's `ClientCAs` pool; it is only a hint.
//!
//! The hints are a snapshot of the [`AuthConfig`] the verifier was built from; after a reload
//! build a new verifier (and `ServerConfig`) for new connections if the hints should follow.
//! The size of what a client can present is bounded by rustls (a handshake message is at most
//! 64 KiB); the per-request verification applies [`crate::Limits`].

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use rustls_pki_types::{CertificateDer, UnixTime};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::config::AuthConfig;

/// The crypto provider chain verification uses (see [`crate::crypto_provider`]), by value.
pub fn crypto_provider() -> CryptoProvider {
    (**crate::verify::crypto_provider()).clone()
}

/// Go's `RequestClientCert` as a rustls verifier: request a client certificate, accept any
/// chain (or none), verify the handshake signature (proof of possession).
#[derive(Debug)]
pub struct RequestClientCertVerifier {
    hints: Vec<DistinguishedName>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl RequestClientCertVerifier {
    /// A verifier for `config`, with the feature-selected crypto provider.
    pub fn new(config: &AuthConfig) -> Arc<Self> {
        Self::with_provider(config, &crypto_provider())
    }

    /// A verifier for `config` that verifies handshake signatures with `provider`'s algorithms.
    pub fn with_provider(config: &AuthConfig, provider: &CryptoProvider) -> Arc<Self> {
        Arc::new(RequestClientCertVerifier {
            hints: hint_subjects(config),
            algorithms: provider.signature_verification_algorithms,
        })
    }
}

/// The subjects (full DER `Name`, outer SEQUENCE included) of every certificate of the
/// request-header CA and the client CA, each distinct subject once. A bundle certificate that
/// x509-parser cannot read is skipped: a bundle only contains certificates that parsed when it
/// was loaded, so this does not happen in practice, and a hint is never required.
fn hint_subjects(config: &AuthConfig) -> Vec<DistinguishedName> {
    let bundles = config
        .request_header_ca()
        .into_iter()
        .chain(config.client_ca());
    let mut subjects: Vec<Vec<u8>> = Vec::new();
    for bundle in bundles {
        for cert in bundle.certificates() {
            if let Ok((_, parsed)) = X509Certificate::from_der(cert.der.as_ref()) {
                let subject = parsed.subject().as_raw().to_vec();
                if !subject.is_empty() && !subjects.contains(&subject) {
                    subjects.push(subject);
                }
            }
        }
    }
    subjects.into_iter().map(DistinguishedName::from).collect()
}

impl ClientCertVerifier for RequestClientCertVerifier {
    fn offer_client_auth(&self) -> bool {
        true
    }

    /// A client without a certificate is accepted (spec §0.1).
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    /// Any chain is accepted here: it is verified per request by the authenticators.
    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}
