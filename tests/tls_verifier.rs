//! The TLS layer (spec §0.1, "TLS layer"): `frontproxy::tls::RequestClientCertVerifier` asks
//! for a client certificate without verifying its chain, accepts a client without one, still
//! verifies the CertificateVerify signature (proof of possession), and hints the subjects of the
//! request-header CA and client CA bundles. Real rustls handshakes, in memory.

mod common;

use std::sync::{Arc, Mutex};

use common::pki::*;
use frontproxy::tls::{crypto_provider, RequestClientCertVerifier};
use frontproxy::{AuthConfig, CaBundle, Decision, RequestHeaderOptions, RequestHeaders, UnixTime};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::ResolvesClientCert;
use rustls::internal::msgs::codec::Codec;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::server::danger::ClientCertVerifier;
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, ClientConnection, ConnectionCommon, DigitallySignedStruct,
    Error, ServerConfig, ServerConnection, SignatureScheme, SupportedProtocolVersion,
};

const TLS12: &SupportedProtocolVersion = &rustls::version::TLS12;
const TLS13: &SupportedProtocolVersion = &rustls::version::TLS13;

/// The PKI of one test: two distinct CA bundles and a server certificate.
struct Fixture {
    proxy: Chain,
    client_ca: Issued,
    server: Issued,
    config: AuthConfig,
}

fn fixture() -> Fixture {
    let proxy = Chain::new(
        KeyKind::EcdsaP256,
        &[KeyKind::EcdsaP256],
        KeyKind::EcdsaP256,
    );
    let client_ca = self_signed(ca_spec("kubernetes-client-ca"), KeyKind::EcdsaP256.fresh());
    let server = proxy.root.issue(
        server_leaf_spec("extension", "extension.test"),
        KeyKind::EcdsaP256.fresh(),
    );
    let config = AuthConfig::builder()
        .request_header(
            CaBundle::from_pem(proxy.root.pem.as_bytes(), "--requestheader-client-ca-file")
                .unwrap(),
            RequestHeaderOptions {
                allowed_names: vec!["front-proxy-client".into()],
                ..Default::default()
            },
        )
        .client_ca(CaBundle::from_pem(client_ca.pem.as_bytes(), "--client-ca-file").unwrap())
        .build()
        .unwrap();
    Fixture {
        proxy,
        client_ca,
        server,
        config,
    }
}

/// The client trusts any server: only the client side of authentication is under test.
#[derive(Debug)]
struct AnyServer;

impl ServerCertVerifier for AnyServer {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        crypto_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Presents a fixed certificate chain with a fixed signing key (which may not belong to it),
/// and records the CA hints the server sent.
#[derive(Debug)]
struct FixedClientCert {
    key: Arc<CertifiedKey>,
    hints_seen: Mutex<Option<Vec<Vec<u8>>>>,
}

impl ResolvesClientCert for FixedClientCert {
    fn resolve(
        &self,
        root_hint_subjects: &[&[u8]],
        _: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        *self.hints_seen.lock().unwrap() =
            Some(root_hint_subjects.iter().map(|h| h.to_vec()).collect());
        Some(self.key.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

fn client_cert(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Arc<FixedClientCert> {
    let signing_key = crypto_provider()
        .key_provider
        .load_private_key(key)
        .unwrap();
    Arc::new(FixedClientCert {
        key: Arc::new(CertifiedKey::new(chain, signing_key)),
        hints_seen: Mutex::new(None),
    })
}

fn server_config(f: &Fixture, version: &'static SupportedProtocolVersion) -> Arc<ServerConfig> {
    Arc::new(
        ServerConfig::builder_with_provider(Arc::new(crypto_provider()))
            .with_protocol_versions(&[version])
            .unwrap()
            .with_client_cert_verifier(RequestClientCertVerifier::new(&f.config))
            .with_single_cert(vec![f.server.der()], f.server.private_key_der())
            .unwrap(),
    )
}

fn client_config(
    version: &'static SupportedProtocolVersion,
    cert: Option<Arc<FixedClientCert>>,
) -> Arc<ClientConfig> {
    let builder = ClientConfig::builder_with_provider(Arc::new(crypto_provider()))
        .with_protocol_versions(&[version])
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyServer));
    Arc::new(match cert {
        Some(c) => builder.with_client_cert_resolver(c),
        None => builder.with_no_client_auth(),
    })
}

#[derive(Debug)]
#[allow(dead_code)] // the errors are read through Debug, in assertion messages
enum Failure {
    Client(Error),
    Server(Error),
}

/// Moves TLS records from one side to the other and processes them.
fn transfer<A, B>(
    from: &mut ConnectionCommon<A>,
    to: &mut ConnectionCommon<B>,
) -> Result<bool, Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    if buf.is_empty() {
        return Ok(false);
    }
    let mut rest = &buf[..];
    while !rest.is_empty() {
        to.read_tls(&mut rest).unwrap();
        to.process_new_packets()?;
    }
    Ok(true)
}

/// Runs a full handshake, then one application-data round trip so that a server-side failure
/// on the client's last flight (TLS 1.3) is seen.
fn handshake(client: &mut ClientConnection, server: &mut ServerConnection) -> Result<(), Failure> {
    for _ in 0..16 {
        let a = transfer(client, server).map_err(Failure::Server)?;
        let b = transfer(server, client).map_err(Failure::Client)?;
        if !a && !b && !client.is_handshaking() && !server.is_handshaking() {
            use std::io::Write;
            client.writer().write_all(b"ping").unwrap();
            transfer(client, server).map_err(Failure::Server)?;
            let mut got = [0u8; 4];
            std::io::Read::read_exact(&mut server.reader(), &mut got)
                .expect("server reads the data");
            assert_eq!(&got, b"ping");
            return Ok(());
        }
    }
    panic!("the handshake did not finish");
}

fn connect(
    f: &Fixture,
    version: &'static SupportedProtocolVersion,
    cert: Option<Arc<FixedClientCert>>,
) -> (ServerConnection, Result<(), Failure>) {
    let mut server = ServerConnection::new(server_config(f, version)).unwrap();
    let mut client = ClientConnection::new(
        client_config(version, cert),
        ServerName::try_from("extension.test").unwrap(),
    )
    .unwrap();
    let result = handshake(&mut client, &mut server);
    if result.is_ok() {
        assert_eq!(server.protocol_version(), Some(version.version));
    }
    (server, result)
}

fn versions() -> [(&'static str, &'static SupportedProtocolVersion); 2] {
    [("TLS1.2", TLS12), ("TLS1.3", TLS13)]
}

#[test]
fn s0_1_client_auth_is_requested_but_optional() {
    let f = fixture();
    let verifier = RequestClientCertVerifier::new(&f.config);
    assert!(
        verifier.offer_client_auth(),
        "a certificate is requested (RequestClientCert)"
    );
    assert!(
        !verifier.client_auth_mandatory(),
        "a connection without one is accepted"
    );
}

#[test]
fn s0_1_no_client_certificate_is_accepted() {
    let f = fixture();
    for (name, version) in versions() {
        let (server, result) = connect(&f, version, None);
        assert!(result.is_ok(), "{name}: {result:?}");
        assert!(
            server.peer_certificates().is_none(),
            "{name}: no chain without a certificate"
        );
    }
}

/// Chain verification is per request: the handshake accepts any chain, even one from a CA in
/// neither bundle, and hands the whole presented chain to the host.
#[test]
fn s0_1_untrusted_chain_is_accepted_and_handed_over() {
    let f = fixture();
    // Fresh keys: nothing here may share a key with the configured CAs.
    let root = self_signed(ca_spec("stranger-root"), KeyKind::EcdsaP256.fresh());
    let intermediate = root.issue(
        intermediate_spec("stranger-intermediate"),
        KeyKind::EcdsaP384.fresh(),
    );
    let leaf = intermediate.issue(
        client_leaf_spec("front-proxy-client"),
        KeyKind::Ed25519.fresh(),
    );
    let presented = vec![leaf.der(), intermediate.der()];
    for (name, version) in versions() {
        let cert = client_cert(presented.clone(), leaf.private_key_der());
        let (server, result) = connect(&f, version, Some(cert));
        assert!(result.is_ok(), "{name}: {result:?}");
        let seen = server.peer_certificates().expect("a chain");
        assert_eq!(
            seen,
            presented.as_slice(),
            "{name}: the server sees the presented chain"
        );
        // ...and the per-request verification is what rejects it.
        let auth = f.config.authenticate_request(
            seen,
            &RequestHeaders::from_pairs(&[(b"X-Remote-User", b"mallory")]),
            UnixTime::now(),
        );
        assert!(
            matches!(auth.decision, Decision::Rejected(_)),
            "{name}: {:?}",
            auth.decision
        );
    }
}

#[test]
fn s0_1_front_proxy_chain_from_the_handshake_authenticates() {
    let f = fixture();
    let presented: Vec<CertificateDer<'static>> = f
        .proxy
        .presented_der()
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    for (name, version) in versions() {
        let cert = client_cert(presented.clone(), f.proxy.leaf.private_key_der());
        let (server, result) = connect(&f, version, Some(cert));
        assert!(result.is_ok(), "{name}: {result:?}");
        let chain = server.peer_certificates().expect("a chain");
        let auth = f.config.authenticate_request(
            chain,
            &RequestHeaders::from_pairs(&[(b"X-Remote-User", b"alice")]),
            UnixTime::now(),
        );
        match auth.decision {
            Decision::Authenticated { user, .. } => assert_eq!(user.name, "alice", "{name}"),
            other => panic!("{name}: {other:?}"),
        }
    }
}

/// Proof of possession: a client that presents the front proxy's certificate but signs the
/// handshake with another key is refused by the server, in both protocol versions.
#[test]
fn s0_1_certificate_without_its_private_key_is_refused() {
    let f = fixture();
    let presented: Vec<CertificateDer<'static>> = f
        .proxy
        .presented_der()
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let other_key = self_signed(CertSpec::with_cn("unrelated"), KeyKind::EcdsaP256.fresh());
    for (name, version) in versions() {
        let cert = client_cert(presented.clone(), other_key.private_key_der());
        let (_, result) = connect(&f, version, Some(cert));
        match result {
            Err(Failure::Server(Error::InvalidCertificate(CertificateError::BadSignature))) => {}
            other => panic!("{name}: expected the server to refuse the signature, got {other:?}"),
        }
    }
}

/// The CertificateRequest hints are the subjects of the union of both bundles, each once.
#[test]
fn s0_1_hints_are_the_subjects_of_both_bundles() {
    let f = fixture();
    let verifier = RequestClientCertVerifier::new(&f.config);
    let hints: Vec<Vec<u8>> = verifier
        .root_hint_subjects()
        .iter()
        .map(|d| d.as_ref().to_vec())
        .collect();
    assert_eq!(
        hints,
        vec![
            f.proxy.root.subject_der.clone(),
            f.client_ca.subject_der.clone()
        ]
    );

    // The client receives them.
    for (name, version) in versions() {
        let cert = client_cert(vec![f.proxy.leaf.der()], f.proxy.leaf.private_key_der());
        let (_, result) = connect(&f, version, Some(cert.clone()));
        assert!(result.is_ok(), "{name}: {result:?}");
        let seen = cert
            .hints_seen
            .lock()
            .unwrap()
            .clone()
            .expect("the resolver was asked");
        assert_eq!(seen, hints, "{name}");
    }

    // The same CA in both bundles (and twice in one) is hinted once.
    let pem = format!("{}{}", f.client_ca.pem, f.client_ca.pem);
    let same = AuthConfig::builder()
        .request_header(
            CaBundle::from_pem(pem.as_bytes(), "rh").unwrap(),
            RequestHeaderOptions::default(),
        )
        .client_ca(CaBundle::from_pem(f.client_ca.pem.as_bytes(), "client").unwrap())
        .build()
        .unwrap();
    let verifier = RequestClientCertVerifier::new(&same);
    let hints: Vec<&[u8]> = verifier
        .root_hint_subjects()
        .iter()
        .map(|d| d.as_ref())
        .collect();
    assert_eq!(hints, vec![f.client_ca.subject_der.as_slice()]);

    // Only a client CA: its subjects alone.
    let client_only = AuthConfig::builder()
        .client_ca(CaBundle::from_pem(f.client_ca.pem.as_bytes(), "client").unwrap())
        .build()
        .unwrap();
    let verifier = RequestClientCertVerifier::new(&client_only);
    assert_eq!(verifier.root_hint_subjects().len(), 1);
}

/// A DigitallySignedStruct as it travels in a handshake: scheme, length, signature.
fn dss(scheme: SignatureScheme, signature: &[u8]) -> DigitallySignedStruct {
    let mut bytes = u16::from(scheme).to_be_bytes().to_vec();
    bytes.extend_from_slice(&(signature.len() as u16).to_be_bytes());
    bytes.extend_from_slice(signature);
    DigitallySignedStruct::read_bytes(&bytes).expect("a well-formed DigitallySignedStruct")
}

fn sign(key: &Issued, scheme: SignatureScheme, message: &[u8]) -> Vec<u8> {
    let signing_key = crypto_provider()
        .key_provider
        .load_private_key(key.private_key_der())
        .unwrap();
    let signer = signing_key
        .choose_scheme(&[scheme])
        .expect("the key supports the scheme");
    signer.sign(message).unwrap()
}

/// Proof of possession, called directly: the signature must be by the presented certificate's
/// key, over this exact message, with a scheme valid for the protocol version and the key.
#[test]
fn s0_1_handshake_signature_is_verified() {
    let f = fixture();
    let verifier = RequestClientCertVerifier::new(&f.config);
    let message = b"the TLS transcript hash the client signs";
    let mut tampered = message.to_vec();
    tampered[0] ^= 1;
    // (key kind, TLS 1.3 scheme, TLS 1.2 scheme)
    let cases = [
        (
            KeyKind::EcdsaP256,
            SignatureScheme::ECDSA_NISTP256_SHA256,
            SignatureScheme::ECDSA_NISTP256_SHA256,
        ),
        (
            KeyKind::EcdsaP384,
            SignatureScheme::ECDSA_NISTP384_SHA384,
            SignatureScheme::ECDSA_NISTP384_SHA384,
        ),
        (
            KeyKind::Ed25519,
            SignatureScheme::ED25519,
            SignatureScheme::ED25519,
        ),
        (
            KeyKind::Rsa2048,
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ),
    ];
    for (kind, tls13, tls12) in cases {
        let holder = self_signed(client_leaf_spec("holder"), kind.fresh());
        let impostor = self_signed(client_leaf_spec("holder"), kind.fresh());
        let cert = holder.der();
        for (version, scheme) in [("TLS1.3", tls13), ("TLS1.2", tls12)] {
            let verify = |msg: &[u8], cert: &CertificateDer<'_>, d: &DigitallySignedStruct| {
                if version == "TLS1.3" {
                    verifier.verify_tls13_signature(msg, cert, d)
                } else {
                    verifier.verify_tls12_signature(msg, cert, d)
                }
            };
            let good = dss(scheme, &sign(&holder, scheme, message));
            assert!(
                verify(message, &cert, &good).is_ok(),
                "{kind:?} {version}: a valid signature"
            );
            assert!(
                verify(&tampered, &cert, &good).is_err(),
                "{kind:?} {version}: another message"
            );
            let by_impostor = dss(scheme, &sign(&impostor, scheme, message));
            assert!(
                verify(message, &cert, &by_impostor).is_err(),
                "{kind:?} {version}: signed by a key that is not the certificate's"
            );
            let mut garbled = sign(&holder, scheme, message);
            let last = garbled.len() - 1;
            garbled[last] ^= 0x55;
            assert!(
                verify(message, &cert, &dss(scheme, &garbled)).is_err(),
                "{kind:?} {version}: garbled"
            );
        }
    }

    // TLS 1.3 binds ECDSA schemes to the curve: a P-256 signature claimed as P-384 fails.
    let p256 = self_signed(client_leaf_spec("holder"), KeyKind::EcdsaP256.fresh());
    let sig = sign(&p256, SignatureScheme::ECDSA_NISTP256_SHA256, message);
    assert!(verifier
        .verify_tls13_signature(
            message,
            &p256.der(),
            &dss(SignatureScheme::ECDSA_NISTP384_SHA384, &sig)
        )
        .is_err());
    // TLS 1.3 forbids PKCS#1 v1.5 signatures.
    let rsa = self_signed(client_leaf_spec("holder"), KeyKind::Rsa2048.fresh());
    let sig = sign(&rsa, SignatureScheme::RSA_PKCS1_SHA256, message);
    let pkcs1 = dss(SignatureScheme::RSA_PKCS1_SHA256, &sig);
    assert!(verifier
        .verify_tls12_signature(message, &rsa.der(), &pkcs1)
        .is_ok());
    assert!(verifier
        .verify_tls13_signature(message, &rsa.der(), &pkcs1)
        .is_err());
}

#[test]
fn s0_1_supported_schemes_are_the_providers() {
    let f = fixture();
    let verifier = RequestClientCertVerifier::new(&f.config);
    let schemes = verifier.supported_verify_schemes();
    assert_eq!(
        schemes,
        crypto_provider()
            .signature_verification_algorithms
            .supported_schemes()
    );
    for s in [
        SignatureScheme::ECDSA_NISTP256_SHA256,
        SignatureScheme::ED25519,
        SignatureScheme::RSA_PSS_SHA256,
    ] {
        assert!(schemes.contains(&s), "{s:?}");
    }
}
