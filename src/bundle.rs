//! A CA bundle (request-header CA or client CA): the PEM text as configured, its certificates,
//! and the trust anchors built from them.
//!
//! Parsing follows client-go `ParseCertsPEM` (spec §2 rule 5): only `CERTIFICATE` blocks without
//! PEM headers count, a block that is not parsable DER fails the whole bundle, and zero
//! certificates is an error. A certificate that parses but can never anchor a path (expired,
//! CA=false, an unsupported key) is kept: it only fails the chains that need it.

use std::fmt;

use rustls_pki_types::{CertificateDer, TrustAnchor};

use crate::certinfo::CertFacts;
use crate::error::ConfigError;

/// Upper bound on certificates in one bundle, so a hostile or broken file cannot make every
/// verification scan an unbounded list.
pub const MAX_BUNDLE_CERTIFICATES: usize = 1024;

/// One certificate of a bundle.
#[derive(Clone, Debug)]
pub struct BundleCert {
    /// The certificate as configured (DER).
    pub der: CertificateDer<'static>,
    /// What Go would check about it as an anchor or issuer.
    pub facts: CertFacts,
    /// Its index among the bundle's trust anchors, or why webpki cannot use it as an anchor.
    pub anchor: Result<usize, String>,
}

/// A parsed CA bundle. Immutable once built.
#[derive(Clone)]
pub struct CaBundle {
    source: String,
    certs: Vec<BundleCert>,
    anchors: Vec<TrustAnchor<'static>>,
    /// For each anchor: the bundle certificates with the same subject, key and name
    /// constraints (a CA re-issued with the same key may sit next to its expired copy).
    anchor_group: Vec<Vec<usize>>,
}

impl fmt::Debug for CaBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaBundle")
            .field("source", &self.source)
            .field("certificates", &self.certs.len())
            .field("anchors", &self.anchors.len())
            .finish()
    }
}

impl CaBundle {
    /// Parses a PEM bundle. `source` names the flag or key, for error messages.
    pub fn from_pem(pem_text: &[u8], source: &str) -> Result<CaBundle, ConfigError> {
        if pem_text.iter().all(u8::is_ascii_whitespace) {
            return Err(ConfigError::new(source, "the CA bundle is empty"));
        }
        // Go's encoding/pem only sees boundaries at the start of a line; an indented one makes
        // Go skip the block (and trust nothing from it). Refuse rather than trust more than Go.
        if let Some(line) = pem_text.split(|&b| b == b'\n').position(|l| {
            let trimmed = l.trim_ascii_start();
            trimmed.len() != l.len()
                && (trimmed.starts_with(b"-----BEGIN") || trimmed.starts_with(b"-----END"))
        }) {
            return Err(ConfigError::new(
                source,
                format!(
                    "line {} has an indented PEM boundary, which Go's PEM decoder does not read",
                    line + 1
                ),
            ));
        }
        let blocks = pem::parse_many(pem_text).map_err(|e| {
            ConfigError::new(source, format!("the CA bundle is not valid PEM: {e}"))
        })?;
        let mut ders = Vec::new();
        let mut skipped = Vec::new();
        for block in &blocks {
            if block.tag() == "CERTIFICATE" && block.headers().iter().next().is_none() {
                ders.push(block.contents().to_vec());
            } else {
                skipped.push(block.tag().to_string());
            }
        }
        if ders.is_empty() {
            let found = if skipped.is_empty() {
                "no PEM blocks at all".to_string()
            } else {
                format!("only other PEM blocks: {}", skipped.join(", "))
            };
            return Err(ConfigError::new(
                source,
                format!("the CA bundle has no CERTIFICATE block ({found})"),
            ));
        }
        Self::from_der_list(ders, source)
    }

    /// Builds a bundle from DER certificates.
    pub fn from_der_list(ders: Vec<Vec<u8>>, source: &str) -> Result<CaBundle, ConfigError> {
        if ders.is_empty() {
            return Err(ConfigError::new(
                source,
                "the CA bundle has no certificates",
            ));
        }
        if ders.len() > MAX_BUNDLE_CERTIFICATES {
            return Err(ConfigError::new(
                source,
                format!(
                    "the CA bundle has {} certificates; at most {MAX_BUNDLE_CERTIFICATES} are accepted",
                    ders.len()
                ),
            ));
        }
        let mut certs = Vec::with_capacity(ders.len());
        let mut anchors = Vec::new();
        for (i, der) in ders.into_iter().enumerate() {
            let facts = CertFacts::from_der(&der).map_err(|e| {
                ConfigError::new(
                    source,
                    format!(
                        "certificate #{} of the CA bundle cannot be parsed: {e}",
                        i + 1
                    ),
                )
            })?;
            let der = CertificateDer::from(der);
            let anchor = match webpki::anchor_from_trusted_cert(&der) {
                Ok(ta) => {
                    anchors.push(ta.to_owned());
                    Ok(anchors.len() - 1)
                }
                Err(e) => Err(format!("cannot be used as a trust anchor: {e}")),
            };
            certs.push(BundleCert { der, facts, anchor });
        }
        let anchor_group = anchors
            .iter()
            .map(|ta| {
                certs
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| match c.anchor {
                        Ok(j) => same_anchor(&anchors[j], ta),
                        Err(_) => false,
                    })
                    .map(|(i, _)| i)
                    .collect()
            })
            .collect();
        Ok(CaBundle {
            source: source.to_string(),
            certs,
            anchors,
            anchor_group,
        })
    }

    /// The flag or key this bundle came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The certificates of the bundle, in file order.
    pub fn certificates(&self) -> &[BundleCert] {
        &self.certs
    }

    pub(crate) fn anchors(&self) -> &[TrustAnchor<'static>] {
        &self.anchors
    }

    /// The bundle certificates that match an anchor webpki chose.
    pub(crate) fn anchor_candidates(&self, anchor: &TrustAnchor<'_>) -> &[usize] {
        self.anchors
            .iter()
            .position(|a| std::ptr::eq(a, anchor) || same_anchor(a, anchor))
            .map(|i| self.anchor_group[i].as_slice())
            .unwrap_or(&[])
    }

    /// The bundle certificate byte-identical to `der`, if any (spec §3.3 rule 13).
    pub(crate) fn find_identical(&self, der: &[u8]) -> Option<usize> {
        self.certs.iter().position(|c| c.der.as_ref() == der)
    }
}

fn same_anchor(a: &TrustAnchor<'_>, b: &TrustAnchor<'_>) -> bool {
    a.subject.as_ref() == b.subject.as_ref()
        && a.subject_public_key_info.as_ref() == b.subject_public_key_info.as_ref()
        && a.name_constraints.as_ref().map(|n| n.as_ref())
            == b.name_constraints.as_ref().map(|n| n.as_ref())
}
