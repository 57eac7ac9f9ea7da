//! Proxy-chain verification: rustls-webpki plus the checks Go applies and webpki does not.
//!
//! roots = the CA bundle; required usage = clientAuth; intermediates = the presented
//! certificates after the leaf; time = the given instant (spec §1.7 rule 20, §3.3). webpki
//! checks the path's signatures, the validity and EKU of the leaf and intermediates, and the
//! basicConstraints/pathLen of intermediates. frontproxy adds, inside webpki's path callback so
//! that another path is tried when one fails:
//! - the KeyUsage rule for every intermediate (keyCertSign when KeyUsage is present);
//! - for the trust anchor: validity, EKU, basicConstraints/KeyUsage as issuer, pathLen and
//!   unhandled critical extensions, considering every bundle certificate that matches the
//!   anchor (rules 9–12).
//!
//! It also implements rule 13 (a leaf byte-identical to a bundle certificate is the whole chain).

#![allow(deprecated)] // webpki's unit error variants are what a path callback can return

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, Error as WebpkiError, KeyPurposeIdIter, VerifiedPath};
use x509_parser::extensions::KeyUsage;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::bundle::CaBundle;
use crate::certinfo::{rfc3339, CertFacts, Validity};
use crate::config::Limits;
use crate::reason::{AuthError, Reason};

/// A chain that verified against a bundle.
#[derive(Clone, Debug)]
pub struct VerifiedChain {
    /// Index of the bundle certificate that anchored the path.
    pub anchor: usize,
    /// Number of intermediates on the path (0 when the leaf was itself a bundle certificate).
    pub intermediates: usize,
    /// The earliest `notAfter` on the path, the anchor included (Unix seconds).
    pub not_after: i64,
    /// The latest `notBefore` on the path, the anchor included (Unix seconds).
    pub not_before: i64,
}

/// The signature algorithms of the rustls crypto provider selected by cargo features
/// (`ring` by default, `aws-lc-rs` as the alternative).
pub fn signature_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    crypto_provider().signature_verification_algorithms.all
}

/// The rustls crypto provider selected by cargo features, built once.
pub fn crypto_provider() -> &'static Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        #[cfg(feature = "aws-lc-rs")]
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(all(feature = "ring", not(feature = "aws-lc-rs")))]
        let provider = rustls::crypto::ring::default_provider();
        Arc::new(provider)
    })
}

#[cfg(not(any(feature = "ring", feature = "aws-lc-rs")))]
compile_error!("frontproxy needs a crypto provider: enable the `ring` or `aws-lc-rs` feature");

const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// Go's EKU rule for required usage clientAuth: a certificate without EKU is unrestricted;
/// otherwise it must list clientAuth or anyExtendedKeyUsage.
struct GoClientAuthEku;

impl webpki::ExtendedKeyUsageValidator for GoClientAuthEku {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), WebpkiError> {
        let mut any = false;
        for id in iter {
            let id = id?;
            any = true;
            if id == webpki::KeyPurposeId::new(EKU_CLIENT_AUTH)
                || id == webpki::KeyPurposeId::new(EKU_ANY)
            {
                return Ok(());
            }
        }
        if any {
            Err(WebpkiError::RequiredEkuNotFound)
        } else {
            Ok(())
        }
    }
}

/// Verifies `presented` (leaf first) against `bundle` at `now`.
pub fn verify_chain(
    bundle: &CaBundle,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
    limits: &Limits,
) -> Result<VerifiedChain, AuthError> {
    verify_chain_and_leaf(bundle, presented, now, limits).map(|(v, _)| v)
}

/// What the path callback and the allowed-names check need from the leaf, read in one cheap
/// parse (extensions are not decoded).
pub(crate) struct LeafFacts {
    pub not_before: i64,
    pub not_after: i64,
    /// Go's `Subject.CommonName` (the last CN), or why it cannot be read.
    pub common_name: Result<Option<String>, String>,
}

/// The fields of a TBSCertificate that frontproxy reads itself, located by walking the DER
/// (webpki parses and verifies the certificate; this only finds what webpki does not expose).
struct TbsView<'a> {
    validity: &'a [u8],
    subject: &'a [u8],
    /// The content of the `[3]` extensions wrapper, if present.
    extensions: Option<&'a [u8]>,
}

fn walk_tbs(der: &[u8]) -> Option<TbsView<'_>> {
    use x509_parser::der_parser::asn1_rs::{Any, Class, FromDer as _};
    fn next<'a>(rest: &mut &'a [u8]) -> Option<(Any<'a>, &'a [u8])> {
        let before = *rest;
        let (r, any) = Any::from_der(before).ok()?;
        *rest = r;
        Some((any, &before[..before.len() - r.len()]))
    }
    let (_, certificate) = Any::from_der(der).ok()?;
    let (_, tbs) = Any::from_der(certificate.data).ok()?;
    let mut rest = tbs.data;
    let (first, _) = next(&mut rest)?;
    if first.class() == Class::ContextSpecific {
        next(&mut rest)?; // serialNumber, after the explicit [0] version
    }
    next(&mut rest)?; // signature AlgorithmIdentifier
    next(&mut rest)?; // issuer
    let (_, validity) = next(&mut rest)?;
    let (_, subject) = next(&mut rest)?;
    next(&mut rest)?; // subjectPublicKeyInfo
    let mut extensions = None;
    while !rest.is_empty() {
        let (field, _) = next(&mut rest)?;
        if field.class() == Class::ContextSpecific && field.tag().0 == 3 {
            let (_, seq) = Any::from_der(field.data).ok()?;
            extensions = Some(seq.data);
        }
    }
    Some(TbsView {
        validity,
        subject,
        extensions,
    })
}

fn validity_of(view: &TbsView<'_>) -> Option<(i64, i64)> {
    use x509_parser::prelude::{FromDer as _, Validity as X509Validity};
    let (_, v) = X509Validity::from_der(view.validity).ok()?;
    Some((v.not_before.timestamp(), v.not_after.timestamp()))
}

/// Go's issuer rule for KeyUsage: when present (and not empty), keyCertSign is required.
/// `None` when the extension cannot be read.
fn key_usage_allows_cert_sign(view: &TbsView<'_>) -> Option<bool> {
    use x509_parser::der_parser::asn1_rs::{Any, FromDer as _};
    const KEY_USAGE_OID: &[u8] = &[0x55, 0x1d, 0x0f];
    let mut rest = view.extensions.unwrap_or(&[]);
    while !rest.is_empty() {
        let (r, extension) = Any::from_der(rest).ok()?;
        rest = r;
        let (mut fields, oid) = Any::from_der(extension.data).ok()?;
        if oid.data != KEY_USAGE_OID {
            continue;
        }
        // critical BOOLEAN (optional), then the OCTET STRING holding the KeyUsage BIT STRING.
        let mut value = None;
        while !fields.is_empty() {
            let (r, field) = Any::from_der(fields).ok()?;
            fields = r;
            value = Some(field.data);
        }
        let (_, ku) = KeyUsage::from_der(value?).ok()?;
        return Some(ku.flags == 0 || ku.key_cert_sign());
    }
    Some(true)
}

/// Reads validity and subject of the leaf.
pub(crate) fn leaf_facts(der: &[u8]) -> Result<LeafFacts, AuthError> {
    use x509_parser::prelude::{FromDer as _, X509Name};
    let malformed = |what: &str| {
        AuthError::new(
            Reason::MalformedCertificate,
            format!("the client certificate cannot be parsed: {what}"),
        )
    };
    let view = walk_tbs(der).ok_or_else(|| malformed("invalid DER structure"))?;
    let (not_before, not_after) = validity_of(&view).ok_or_else(|| malformed("bad validity"))?;
    let (_, subject) = X509Name::from_der(view.subject).map_err(|_| malformed("bad subject"))?;
    Ok(LeafFacts {
        not_before,
        not_after,
        common_name: crate::certinfo::last_common_name_of(&subject),
    })
}

/// What the path check needs from a presented intermediate, read once before path building.
struct IntermediateFacts {
    not_before: i64,
    not_after: i64,
    key_cert_sign: bool,
}

fn intermediate_facts(position: usize, der: &[u8]) -> Result<IntermediateFacts, AuthError> {
    let malformed = |what: String| {
        AuthError::new(
            Reason::MalformedCertificate,
            format!("presented certificate #{position} cannot be parsed: {what}"),
        )
    };
    // Go's TLS server parses every presented certificate and fails the handshake on one it
    // cannot parse; webpki would merely skip it during path building. Refuse such a chain.
    EndEntityCert::try_from(&CertificateDer::from(der)).map_err(|e| {
        AuthError::new(
            match map_webpki_error(&e) {
                Reason::UnknownAuthority => Reason::MalformedCertificate,
                other => other,
            },
            format!(
                "presented certificate #{position} is not acceptable: {}",
                describe(&e)
            ),
        )
    })?;
    let view = walk_tbs(der).ok_or_else(|| malformed("invalid DER structure".into()))?;
    let (not_before, not_after) =
        validity_of(&view).ok_or_else(|| malformed("bad validity".into()))?;
    let key_cert_sign =
        key_usage_allows_cert_sign(&view).ok_or_else(|| malformed("bad KeyUsage".into()))?;
    Ok(IntermediateFacts {
        not_before,
        not_after,
        key_cert_sign,
    })
}

/// [`verify_chain`], also returning the leaf facts read on the way.
pub(crate) fn verify_chain_and_leaf(
    bundle: &CaBundle,
    presented: &[CertificateDer<'_>],
    now: UnixTime,
    limits: &Limits,
) -> Result<(VerifiedChain, LeafFacts), AuthError> {
    let Some(leaf_der) = presented.first() else {
        return Err(AuthError::new(
            Reason::MalformedCertificate,
            "no certificate was presented",
        ));
    };
    if presented.len() > limits.max_chain_certificates {
        return Err(AuthError::new(
            Reason::ChainTooLong,
            format!(
                "the client presented {} certificates; at most {} are accepted",
                presented.len(),
                limits.max_chain_certificates
            ),
        ));
    }
    if let Some((i, c)) = presented
        .iter()
        .enumerate()
        .find(|(_, c)| c.len() > limits.max_certificate_bytes)
    {
        return Err(AuthError::new(
            Reason::MalformedCertificate,
            format!(
                "presented certificate #{} has {} bytes; at most {} are accepted",
                i + 1,
                c.len(),
                limits.max_certificate_bytes
            ),
        ));
    }
    let now_secs = now.as_secs() as i64;

    // Rule 13: a leaf that is itself in the bundle is the whole chain; Go checks its validity,
    // EKU and critical extensions, and no signature.
    let leaf = leaf_facts(leaf_der)?;
    if let Some(i) = bundle.find_identical(leaf_der) {
        let facts = &bundle.certificates()[i].facts;
        check_time(
            facts,
            now_secs,
            "the client certificate (itself a CA bundle certificate)",
        )?;
        check_eku(
            facts,
            "the client certificate (itself a CA bundle certificate)",
        )?;
        if let Some(oid) = &facts.unhandled_critical {
            return Err(AuthError::new(
                Reason::UnhandledCriticalExtension,
                format!("the client certificate has an unhandled critical extension {oid}"),
            ));
        }
        return Ok((
            VerifiedChain {
                anchor: i,
                intermediates: 0,
                not_after: facts.not_after,
                not_before: facts.not_before,
            },
            leaf,
        ));
    }

    let ee = EndEntityCert::try_from(leaf_der).map_err(|e| {
        let reason = match map_webpki_error(&e) {
            Reason::UnknownAuthority => Reason::MalformedCertificate,
            other => other,
        };
        AuthError::new(
            reason,
            format!("the client certificate is not acceptable: {}", describe(&e)),
        )
    })?;
    let intermediates = &presented[1..];
    let facts = intermediates
        .iter()
        .enumerate()
        .map(|(i, der)| intermediate_facts(i + 2, der))
        .collect::<Result<Vec<_>, _>>()?;

    // Details of why the callback refused an anchor, and what the accepted path looked like.
    let refusal: RefCell<Option<AuthError>> = RefCell::new(None);
    let accepted: RefCell<Option<VerifiedChain>> = RefCell::new(None);
    let check_path = |path: &VerifiedPath<'_>| -> Result<(), WebpkiError> {
        match check_path_extras(bundle, path, &leaf, intermediates, &facts, now_secs) {
            Ok(chain) => {
                *accepted.borrow_mut() = Some(chain);
                Ok(())
            }
            Err((err, webpki_err)) => {
                *refusal.borrow_mut() = Some(err);
                Err(webpki_err)
            }
        }
    };

    match ee.verify_for_usage(
        signature_algorithms(),
        bundle.anchors(),
        intermediates,
        now,
        GoClientAuthEku,
        None,
        Some(&check_path),
    ) {
        Ok(_) => match accepted.into_inner() {
            Some(v) => Ok((v, leaf)),
            None => Err(AuthError::new(
                Reason::InternalError,
                "verified path was not recorded",
            )),
        },
        Err(e) => {
            let reason = map_webpki_error(&e);
            if let Some(detail) = refusal.into_inner().filter(|d| d.reason == reason) {
                return Err(detail);
            }
            if reason == Reason::BadSignature {
                if let Some(message) = small_rsa_key(presented, bundle) {
                    return Err(AuthError::new(Reason::UnsupportedAlgorithm, message));
                }
            }
            Err(AuthError::new(
                reason,
                explain_failure(&e, reason, presented, bundle, now_secs),
            ))
        }
    }
}

/// The checks webpki leaves out, on one candidate path.
fn check_path_extras(
    bundle: &CaBundle,
    path: &VerifiedPath<'_>,
    leaf: &LeafFacts,
    presented: &[CertificateDer<'_>],
    facts: &[IntermediateFacts],
    now: i64,
) -> Result<VerifiedChain, (AuthError, WebpkiError)> {
    let mut not_after = leaf.not_after;
    let mut not_before = leaf.not_before;
    let mut count = 0usize;
    for (i, cert) in path.intermediate_certificates().enumerate() {
        count += 1;
        // webpki borrows path certificates from `presented`, so this finds the facts read
        // before path building.
        let der = cert.der();
        let Some(f) = presented
            .iter()
            .position(|p| p.as_ref() == der.as_ref())
            .map(|j| &facts[j])
        else {
            return Err((
                AuthError::new(
                    Reason::InternalError,
                    "a path certificate was not presented",
                ),
                WebpkiError::UnknownIssuer,
            ));
        };
        // webpki has checked basicConstraints (CA=true, pathLen) of intermediates; Go also
        // requires keyCertSign when a KeyUsage extension is present.
        if !f.key_cert_sign {
            return Err((
                AuthError::new(
                    Reason::IssuerNotCa,
                    format!(
                        "intermediate #{} on the path has a KeyUsage extension without keyCertSign",
                        i + 1
                    ),
                ),
                WebpkiError::EndEntityUsedAsCa,
            ));
        }
        not_after = not_after.min(f.not_after);
        not_before = not_before.max(f.not_before);
    }

    let candidates = bundle.anchor_candidates(path.anchor());
    let mut first_refusal = None;
    for &idx in candidates {
        let facts = &bundle.certificates()[idx].facts;
        match check_anchor(facts, count, now) {
            Ok(()) => {
                return Ok(VerifiedChain {
                    anchor: idx,
                    intermediates: count,
                    not_after: not_after.min(facts.not_after),
                    not_before: not_before.max(facts.not_before),
                })
            }
            Err(e) => {
                first_refusal.get_or_insert(e);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| {
        (
            AuthError::new(
                Reason::InternalError,
                "webpki chose an anchor that is not in the bundle",
            ),
            WebpkiError::UnknownIssuer,
        )
    }))
}

/// Go's rules for the root (spec §3.3 rules 9–12).
fn check_anchor(
    facts: &CertFacts,
    intermediates: usize,
    now: i64,
) -> Result<(), (AuthError, WebpkiError)> {
    let what = format!("the CA certificate {:?}", facts.display_name());
    check_time(facts, now, &what).map_err(|e| {
        let w = if e.reason == Reason::CertificateExpired {
            WebpkiError::CertExpired {
                time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64)),
                not_after: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    facts.not_after.max(0) as u64,
                )),
            }
        } else {
            WebpkiError::CertNotValidYet {
                time: UnixTime::since_unix_epoch(std::time::Duration::from_secs(now.max(0) as u64)),
                not_before: UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    facts.not_before.max(0) as u64,
                )),
            }
        };
        (e, w)
    })?;
    check_eku(facts, &what).map_err(|e| (e, WebpkiError::RequiredEkuNotFound))?;
    if let Err(why) = &facts.issuer_check {
        return Err((
            AuthError::new(Reason::IssuerNotCa, format!("{what} {why}")),
            WebpkiError::EndEntityUsedAsCa,
        ));
    }
    if let Some(max) = facts.path_len {
        if intermediates > max as usize {
            return Err((
                AuthError::new(
                    Reason::PathLengthExceeded,
                    format!("{what} allows {max} intermediate(s) (pathLen) but the path has {intermediates}"),
                ),
                WebpkiError::PathLenConstraintViolated,
            ));
        }
    }
    if let Some(oid) = &facts.unhandled_critical {
        return Err((
            AuthError::new(
                Reason::UnhandledCriticalExtension,
                format!("{what} has an unhandled critical extension {oid}"),
            ),
            WebpkiError::UnsupportedCriticalExtension,
        ));
    }
    Ok(())
}

fn check_time(facts: &CertFacts, now: i64, what: &str) -> Result<(), AuthError> {
    match facts.validity_at(now) {
        Validity::Valid => Ok(()),
        Validity::Expired => Err(AuthError::new(
            Reason::CertificateExpired,
            format!(
                "{what} expired at {} (verification time {})",
                rfc3339(facts.not_after),
                rfc3339(now)
            ),
        )),
        Validity::NotYetValid => Err(AuthError::new(
            Reason::CertificateNotYetValid,
            format!(
                "{what} is not valid before {} (verification time {})",
                rfc3339(facts.not_before),
                rfc3339(now)
            ),
        )),
    }
}

fn check_eku(facts: &CertFacts, what: &str) -> Result<(), AuthError> {
    if facts.eku_allows_client_auth {
        Ok(())
    } else {
        Err(AuthError::new(
            Reason::UsageNotAllowed,
            format!(
                "{what} has extended key usage {} without clientAuth",
                facts.eku_description.as_deref().unwrap_or("[]")
            ),
        ))
    }
}

/// Maps a webpki error to a stable reason.
pub fn map_webpki_error(e: &WebpkiError) -> Reason {
    use WebpkiError as E;
    match e {
        E::BadDer
        | E::BadDerTime
        | E::TrailingData(_)
        | E::UnsupportedCertVersion
        | E::MalformedExtensions
        | E::ExtensionValueInvalid
        | E::InvalidSerialNumber
        | E::InvalidCertValidity => Reason::MalformedCertificate,
        E::UnknownIssuer | E::CertDistrusted => Reason::UnknownAuthority,
        E::CertExpired { .. } => Reason::CertificateExpired,
        E::CertNotValidYet { .. } => Reason::CertificateNotYetValid,
        E::InvalidSignatureForPublicKey => Reason::BadSignature,
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_)
        | E::SignatureAlgorithmMismatch => Reason::UnsupportedAlgorithm,
        E::RequiredEkuNotFound | E::RequiredEkuNotFoundContext(_) | E::EmptyEkuExtension => {
            Reason::UsageNotAllowed
        }
        E::EndEntityUsedAsCa => Reason::IssuerNotCa,
        E::PathLenConstraintViolated => Reason::PathLengthExceeded,
        E::UnsupportedCriticalExtension => Reason::UnhandledCriticalExtension,
        E::NameConstraintViolation
        | E::MalformedNameConstraint
        | E::InvalidNetworkMaskConstraint
        | E::UnsupportedNameType => Reason::NameConstraintViolation,
        E::MaximumSignatureChecksExceeded
        | E::MaximumPathBuildCallsExceeded
        | E::MaximumNameConstraintComparisonsExceeded
        | E::MaximumPathDepthExceeded => Reason::VerificationBudgetExceeded,
        _ => Reason::CertificateInvalid,
    }
}

fn describe(e: &WebpkiError) -> String {
    use WebpkiError as E;
    match e {
        E::CaUsedAsEndEntity => "the client certificate is a CA certificate (basicConstraints \
             CA=true); frontproxy accepts a CA certificate as client certificate only when it is \
             itself in the bundle"
            .into(),
        E::UnknownIssuer => "no path to a certificate of the CA bundle".into(),
        E::BadDer | E::BadDerTime | E::TrailingData(_) => "the DER encoding is invalid".into(),
        E::UnsupportedCertVersion => "only X.509 v3 certificates are accepted".into(),
        E::InvalidSignatureForPublicKey => {
            "a signature on the path does not verify with its issuer's key".into()
        }
        E::UnsupportedSignatureAlgorithm
        | E::UnsupportedSignatureAlgorithmContext(_)
        | E::UnsupportedSignatureAlgorithmForPublicKey
        | E::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            "a signature on the path uses an \
             algorithm or key that is not accepted (SHA-1 and RSA keys under 2048 bits are refused)"
                .into()
        }
        E::UnsupportedCriticalExtension => {
            "a certificate on the path has a critical extension that is not understood".into()
        }
        E::EndEntityUsedAsCa => "a certificate that is not a CA (basicConstraints) issued \
             another certificate on the path"
            .into(),
        E::PathLenConstraintViolated => "a pathLen constraint on the path is exceeded".into(),
        E::EmptyEkuExtension => "a certificate on the path has an empty extended key usage \
             extension (refused; stricter than Go)"
            .into(),
        E::NameConstraintViolation => "a name constraint on the path is violated".into(),
        E::MaximumPathDepthExceeded => {
            "the path is longer than 6 intermediates (stricter than Go)".into()
        }
        E::MaximumSignatureChecksExceeded | E::MaximumPathBuildCallsExceeded => {
            "path building exceeded its budget".into()
        }
        other => format!("{other:?}"),
    }
}

/// ring reports an RSA key under 2048 bits as a signature that does not verify; name the real
/// cause (Go accepts 1024 bits and more; frontproxy does not).
fn small_rsa_key(presented: &[CertificateDer<'_>], bundle: &CaBundle) -> Option<String> {
    use x509_parser::public_key::PublicKey;
    let ders = presented
        .iter()
        .map(|c| c.as_ref())
        .chain(bundle.certificates().iter().map(|c| c.der.as_ref()));
    for der in ders {
        let Ok((_, cert)) = X509Certificate::from_der(der) else {
            continue;
        };
        if let Ok(PublicKey::RSA(key)) = cert.public_key().parsed() {
            let bits = key.key_size();
            if bits < 2048 {
                return Some(format!(
                    "certificate {:?} has a {bits}-bit RSA key; frontproxy accepts RSA keys of 2048 bits \
                     and more (deliberately stricter than Go, which accepts 1024)",
                    cert.subject().to_string()
                ));
            }
        }
    }
    None
}

/// A message that names the certificate at fault where the error allows it.
fn explain_failure(
    e: &WebpkiError,
    reason: Reason,
    presented: &[CertificateDer<'_>],
    bundle: &CaBundle,
    now: i64,
) -> String {
    let position = |i: usize| {
        if i == 0 {
            "the client certificate".to_string()
        } else {
            format!("presented intermediate #{i}")
        }
    };
    match reason {
        Reason::CertificateExpired | Reason::CertificateNotYetValid => {
            for (i, der) in presented.iter().enumerate() {
                if let Ok(f) = CertFacts::from_der(der) {
                    if let Err(err) =
                        check_time(&f, now, &format!("{} {:?}", position(i), f.display_name()))
                    {
                        if err.reason == reason {
                            return err.message;
                        }
                    }
                }
            }
            describe(e)
        }
        Reason::UsageNotAllowed => {
            for (i, der) in presented.iter().enumerate() {
                if let Ok(f) = CertFacts::from_der(der) {
                    if let Err(err) =
                        check_eku(&f, &format!("{} {:?}", position(i), f.display_name()))
                    {
                        return err.message;
                    }
                }
            }
            describe(e)
        }
        Reason::UnknownAuthority => {
            let issuer = presented
                .first()
                .and_then(|d| X509Certificate::from_der(d).ok())
                .map(|(_, c)| c.issuer().to_string())
                .unwrap_or_default();
            format!(
                "no path from the client certificate (issuer {issuer:?}) to any of the {} certificate(s) of {}",
                bundle.certificates().len(),
                bundle.source()
            )
        }
        _ => describe(e),
    }
}
