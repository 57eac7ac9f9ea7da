//! webpki's errors as frontproxy's stable reasons, and messages that name the certificate at
//! fault.

#![allow(deprecated)] // webpki's unit error variants are matched by name

use rustls_pki_types::CertificateDer;
use webpki::Error as WebpkiError;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::anchor::{check_eku, check_time};
use crate::bundle::CaBundle;
use crate::certinfo::CertFacts;
use crate::error::Reason;

/// Maps a webpki error to a stable reason.
pub(crate) fn map_webpki_error(e: &WebpkiError) -> Reason {
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

pub(super) fn describe(e: &WebpkiError) -> String {
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
pub(super) fn small_rsa_key(presented: &[CertificateDer<'_>], bundle: &CaBundle) -> Option<String> {
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
pub(super) fn explain_failure(
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
