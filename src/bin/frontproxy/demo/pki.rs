//! Every certificate of the demo, generated with rcgen when it starts (ECDSA P-256, valid from
//! an hour ago until a day from now): the CAs, the client certificates, the serving certificate,
//! and the extension apiserver's [`AuthConfig`] built from them.

use std::net::{IpAddr, Ipv4Addr};

use frontproxy::{AuthConfig, CaBundle, CertificateDer, RequestHeaderOptions};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::UsageError;

/// A certificate with its key, in the forms rustls and frontproxy need.
pub(super) struct Credential {
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Credential {
    pub(super) fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }
    pub(super) fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.serialize_der()))
    }
}

/// Every certificate of the demo, ECDSA P-256.
pub(super) struct Pki {
    front_proxy_ca: Credential,
    /// What kube-aggregator presents: CN=front-proxy-client, EKU clientAuth.
    pub(super) front_proxy_client: Credential,
    /// Issued by the front-proxy CA, but for a CN that is not in the allowed names.
    pub(super) rogue_proxy_client: Credential,
    client_ca: Credential,
    /// A user certificate: CN=jane, O=dev.
    pub(super) jane: Credential,
    /// A front-proxy look-alike issued by an attacker's own CA.
    pub(super) attacker_client: Credential,
    pub(super) serving_ca: Credential,
    pub(super) server: Credential,
    /// A key that belongs to none of the certificates (a stolen certificate without its key).
    pub(super) unrelated_key: KeyPair,
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
    pub(super) fn generate() -> Result<Pki, rcgen::Error> {
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
    pub(super) fn auth_config(&self) -> Result<AuthConfig, UsageError> {
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
