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

mod anchor;
mod der;
mod errors;

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use rustls_pki_types::{CertificateDer, SignatureVerificationAlgorithm, UnixTime};
use webpki::{EndEntityCert, Error as WebpkiError, VerifiedPath};

use crate::bundle::CaBundle;
use crate::error::{AuthError, Reason};
use crate::limits::Limits;
use anchor::{check_eku, check_path_extras, check_time, GoClientAuthEku};
use der::intermediate_facts;
pub(crate) use der::{leaf_facts, LeafFacts};
pub(crate) use errors::map_webpki_error;
use errors::{describe, explain_failure, small_rsa_key};

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

/// The signature algorithms of the crypto provider (ring, or aws-lc-rs with that feature).
pub fn signature_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    crypto_provider().signature_verification_algorithms.all
}

/// The rustls crypto provider: aws-lc-rs with the `aws-lc-rs` feature, ring otherwise. Built
/// once; the TLS verifier ([`crate::tls`]) uses the same one.
pub fn crypto_provider() -> &'static Arc<rustls::crypto::CryptoProvider> {
    static PROVIDER: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    PROVIDER.get_or_init(|| {
        #[cfg(feature = "aws-lc-rs")]
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(not(feature = "aws-lc-rs"))]
        let provider = rustls::crypto::ring::default_provider();
        Arc::new(provider)
    })
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
    limits.check_chain(presented.len(), |i| presented[i].len())?;
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

    let ee = EndEntityCert::try_from(leaf_der)
        .map_err(|e| not_acceptable(&e, "the client certificate".into()))?;
    let intermediates = &presented[1..];
    let facts = intermediates
        .iter()
        .enumerate()
        .map(|(i, der)| {
            // Go's TLS server parses every presented certificate and fails the handshake on
            // one it cannot parse; webpki would merely skip it during path building.
            EndEntityCert::try_from(der)
                .map_err(|e| not_acceptable(&e, format!("presented certificate #{}", i + 2)))?;
            intermediate_facts(i + 2, der)
        })
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

/// A presented certificate webpki's parser refuses: malformed, unless webpki named a more
/// precise reason.
fn not_acceptable(e: &WebpkiError, what: String) -> AuthError {
    let reason = match map_webpki_error(e) {
        Reason::UnknownAuthority => Reason::MalformedCertificate,
        other => other,
    };
    AuthError::new(reason, format!("{what} is not acceptable: {}", describe(e)))
}
