//! The errors of the library, in one place: [`Reason`] (the stable code of a rejected
//! request), [`AuthError`] (a rejection: reason plus message) and [`ConfigError`] (a
//! configuration that does not load: which flag, key or file, and why).
//!
//! Reason codes appear in the CLI's JSON (`reason`), in the C ABI (as numbers) and in every
//! binding. They are only ever appended: a released code's string and number never change
//! and are never reused.

use std::fmt;

/// Why a request was rejected (HTTP 401). Numbers are stable; new codes are only appended,
/// so match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
#[non_exhaustive]
pub enum Reason {
    /// The presented chain has more certificates than the configured bound.
    ChainTooLong = 1,
    /// A presented certificate is not parsable DER, or is of a version/shape we do not accept.
    MalformedCertificate = 2,
    /// No path from the leaf to a certificate of the CA bundle.
    UnknownAuthority = 3,
    /// A certificate on the path (leaf, intermediate or the CA itself) has expired.
    CertificateExpired = 4,
    /// A certificate on the path (leaf, intermediate or the CA itself) is not valid yet.
    CertificateNotYetValid = 5,
    /// A signature on the path does not verify.
    BadSignature = 6,
    /// A signature algorithm or key on the path is not supported (e.g. SHA-1, RSA < 2048).
    UnsupportedAlgorithm = 7,
    /// A certificate on the path (the CA included) has an EKU without clientAuth.
    UsageNotAllowed = 8,
    /// An issuer on the path is not a CA (basicConstraints) or lacks keyCertSign (KeyUsage).
    IssuerNotCa = 9,
    /// A pathLen constraint on the path (the CA included) is exceeded.
    PathLengthExceeded = 10,
    /// A certificate on the path carries a critical extension we do not handle.
    UnhandledCriticalExtension = 11,
    /// A name constraint on the path is violated.
    NameConstraintViolation = 12,
    /// Path building exceeded its budget of signature checks or steps.
    VerificationBudgetExceeded = 13,
    /// The leaf CN of the front-proxy certificate is not in requestheader-allowed-names.
    CommonNameNotAllowed = 14,
    /// The leaf subject has a CN attribute whose string type we cannot decode.
    CommonNameUnreadable = 15,
    /// A header name or value is not valid HTTP, or a value used for identity is not UTF-8.
    InvalidHeader = 16,
    /// More headers, or larger ones, than the configured bounds.
    HeadersTooLarge = 17,
    /// The client certificate's UID attribute (OID 1.3.6.1.4.1.57683.2) is invalid.
    InvalidCertificateUid = 18,
    /// Any other verification failure reported by the verifier.
    CertificateInvalid = 19,
    /// A bug: a panic or an impossible state, turned into a rejection.
    InternalError = 20,
}

impl Reason {
    /// Every code, in numeric order.
    pub const ALL: [Reason; 20] = [
        Reason::ChainTooLong,
        Reason::MalformedCertificate,
        Reason::UnknownAuthority,
        Reason::CertificateExpired,
        Reason::CertificateNotYetValid,
        Reason::BadSignature,
        Reason::UnsupportedAlgorithm,
        Reason::UsageNotAllowed,
        Reason::IssuerNotCa,
        Reason::PathLengthExceeded,
        Reason::UnhandledCriticalExtension,
        Reason::NameConstraintViolation,
        Reason::VerificationBudgetExceeded,
        Reason::CommonNameNotAllowed,
        Reason::CommonNameUnreadable,
        Reason::InvalidHeader,
        Reason::HeadersTooLarge,
        Reason::InvalidCertificateUid,
        Reason::CertificateInvalid,
        Reason::InternalError,
    ];

    /// The stable machine-readable code, as printed in the CLI's JSON.
    pub fn code(self) -> &'static str {
        let with_nul = self.code_with_nul();
        &with_nul[..with_nul.len() - 1]
    }

    /// [`Reason::code`] followed by a NUL byte: a static C string for the C ABI.
    pub(crate) fn code_with_nul(self) -> &'static str {
        match self {
            Reason::ChainTooLong => "chain_too_long\0",
            Reason::MalformedCertificate => "malformed_certificate\0",
            Reason::UnknownAuthority => "unknown_authority\0",
            Reason::CertificateExpired => "certificate_expired\0",
            Reason::CertificateNotYetValid => "certificate_not_yet_valid\0",
            Reason::BadSignature => "bad_signature\0",
            Reason::UnsupportedAlgorithm => "unsupported_algorithm\0",
            Reason::UsageNotAllowed => "usage_not_allowed\0",
            Reason::IssuerNotCa => "issuer_not_ca\0",
            Reason::PathLengthExceeded => "path_length_exceeded\0",
            Reason::UnhandledCriticalExtension => "unhandled_critical_extension\0",
            Reason::NameConstraintViolation => "name_constraint_violation\0",
            Reason::VerificationBudgetExceeded => "verification_budget_exceeded\0",
            Reason::CommonNameNotAllowed => "common_name_not_allowed\0",
            Reason::CommonNameUnreadable => "common_name_unreadable\0",
            Reason::InvalidHeader => "invalid_header\0",
            Reason::HeadersTooLarge => "headers_too_large\0",
            Reason::InvalidCertificateUid => "invalid_certificate_uid\0",
            Reason::CertificateInvalid => "certificate_invalid\0",
            Reason::InternalError => "internal_error\0",
        }
    }

    /// The stable number of this code (used by the C ABI).
    pub fn number(self) -> u32 {
        self as u32
    }

    /// Whether the reason depends on the clock (expiry, not-yet-valid): a cache must not keep
    /// such a negative verdict past the instant that made it true.
    pub fn is_time_dependent(self) -> bool {
        matches!(
            self,
            Reason::CertificateExpired | Reason::CertificateNotYetValid
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A rejection: a stable reason plus a message that says exactly what failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthError {
    /// The stable code.
    pub reason: Reason,
    /// What exactly failed (at most [`MAX_MESSAGE_BYTES`]).
    pub message: String,
}

/// Longest message kept: messages may quote attacker-controlled names, and every copy (cache
/// entries, C buffers) must stay bounded.
pub const MAX_MESSAGE_BYTES: usize = 1024;

impl AuthError {
    /// A rejection; the message is cut at [`MAX_MESSAGE_BYTES`].
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        let mut message = message.into();
        if message.len() > MAX_MESSAGE_BYTES {
            let mut end = MAX_MESSAGE_BYTES - 3;
            while !message.is_char_boundary(end) {
                end -= 1;
            }
            message.truncate(end);
            message.push_str("...");
        }
        AuthError { reason, message }
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.reason.code(), self.message)
    }
}

impl std::error::Error for AuthError {}

/// A configuration error: which flag, ConfigMap key or builder field is at fault, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The flag (`--requestheader-client-ca-file`), ConfigMap key or field at fault.
    pub source: String,
    /// What is wrong and, where it helps, what to do.
    pub message: String,
}

impl ConfigError {
    /// An error about `source` (a flag, key or field).
    pub fn new(source: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            source: source.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.message)
    }
}

impl std::error::Error for ConfigError {}
