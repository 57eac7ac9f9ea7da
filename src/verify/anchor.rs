//! Go's path rules that rustls-webpki does not apply, checked inside webpki's path callback so
//! that another path is tried when one fails (spec §3.3 rules 9–12): the KeyUsage rule for
//! every intermediate, and for the trust anchor its validity, EKU, basicConstraints/KeyUsage
//! as issuer, pathLen and unhandled critical extensions, over every bundle certificate that
//! matches the anchor. Also Go's EKU rule for the leaf and intermediates.

#![allow(deprecated)] // webpki's unit error variants are what a path callback can return

use rustls_pki_types::{CertificateDer, UnixTime};
use webpki::{Error as WebpkiError, KeyPurposeIdIter, VerifiedPath};

use super::der::{IntermediateFacts, LeafFacts};
use super::VerifiedChain;
use crate::bundle::CaBundle;
use crate::certinfo::{rfc3339, CertFacts, Validity};
use crate::error::{AuthError, Reason};

const EKU_CLIENT_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];
const EKU_ANY: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

/// Go's EKU rule for required usage clientAuth: a certificate without EKU is unrestricted;
/// otherwise it must list clientAuth or anyExtendedKeyUsage.
pub(super) struct GoClientAuthEku;

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

/// The checks webpki leaves out, on one candidate path.
pub(super) fn check_path_extras(
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

pub(super) fn check_time(facts: &CertFacts, now: i64, what: &str) -> Result<(), AuthError> {
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

pub(super) fn check_eku(facts: &CertFacts, what: &str) -> Result<(), AuthError> {
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
