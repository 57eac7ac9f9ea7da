//! `frontproxy_reason`: why a request was rejected, as a number for C. The numbers and code
//! strings are those of [`crate::Reason`] (the CLI's `reason`), so a host can log the same
//! code the CLI prints. A decision reports the reason as a `uint32_t` (new reasons may be
//! added; 0 means "not rejected").

use std::ffi::c_char;

use super::boundary::guard_value;
use crate::Reason;

/// The reasons of a `FRONTPROXY_OUTCOME_REJECTED` decision (the same numbers as the CLI's
/// codes; see `frontproxy_reason_code`). Values are stable; new ones are only appended.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum frontproxy_reason {
    /// Not rejected (authenticated or anonymous).
    None = 0,
    /// `chain_too_long`: more certificates than the bound.
    ChainTooLong = 1,
    /// `malformed_certificate`: not parsable DER, or larger than the bound.
    MalformedCertificate = 2,
    /// `unknown_authority`: no path to the configured CA.
    UnknownAuthority = 3,
    /// `certificate_expired`: a certificate on the path (the CA included) has expired.
    CertificateExpired = 4,
    /// `certificate_not_yet_valid`
    CertificateNotYetValid = 5,
    /// `bad_signature`
    BadSignature = 6,
    /// `unsupported_algorithm`
    UnsupportedAlgorithm = 7,
    /// `usage_not_allowed`: an EKU on the path lacks clientAuth.
    UsageNotAllowed = 8,
    /// `issuer_not_ca`
    IssuerNotCa = 9,
    /// `path_length_exceeded`
    PathLengthExceeded = 10,
    /// `unhandled_critical_extension`
    UnhandledCriticalExtension = 11,
    /// `name_constraint_violation`
    NameConstraintViolation = 12,
    /// `verification_budget_exceeded`
    VerificationBudgetExceeded = 13,
    /// `common_name_not_allowed`: the proxy's CN is not in requestheader-allowed-names.
    CommonNameNotAllowed = 14,
    /// `common_name_unreadable`
    CommonNameUnreadable = 15,
    /// `invalid_header`: a header is not valid HTTP, or an identity value is not UTF-8.
    InvalidHeader = 16,
    /// `headers_too_large`: more or larger headers than the bounds.
    HeadersTooLarge = 17,
    /// `invalid_certificate_uid`
    InvalidCertificateUid = 18,
    /// `certificate_invalid`: another verification failure.
    CertificateInvalid = 19,
    /// `internal_error`: a bug, turned into a rejection.
    InternalError = 20,
}

/// The stable code string of reason number `reason` (e.g. `"certificate_expired"` for 4), as
/// the CLI prints it: a static NUL-terminated string, never to be freed. NULL when `reason`
/// is 0 or not a reason number.
#[no_mangle]
pub extern "C" fn frontproxy_reason_code(reason: u32) -> *const c_char {
    guard_value(std::ptr::null(), || match code_cstr(reason) {
        Some(s) => s.as_ptr().cast(),
        None => std::ptr::null(),
    })
}

/// The NUL-terminated code of a reason number.
fn code_cstr(reason: u32) -> Option<&'static str> {
    Reason::ALL
        .into_iter()
        .find(|r| r.number() == reason)
        .map(Reason::code_with_nul)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every C reason, in numeric order (kept next to the enum so a new reason is added to both).
    const C_REASONS: [frontproxy_reason; 20] = [
        frontproxy_reason::ChainTooLong,
        frontproxy_reason::MalformedCertificate,
        frontproxy_reason::UnknownAuthority,
        frontproxy_reason::CertificateExpired,
        frontproxy_reason::CertificateNotYetValid,
        frontproxy_reason::BadSignature,
        frontproxy_reason::UnsupportedAlgorithm,
        frontproxy_reason::UsageNotAllowed,
        frontproxy_reason::IssuerNotCa,
        frontproxy_reason::PathLengthExceeded,
        frontproxy_reason::UnhandledCriticalExtension,
        frontproxy_reason::NameConstraintViolation,
        frontproxy_reason::VerificationBudgetExceeded,
        frontproxy_reason::CommonNameNotAllowed,
        frontproxy_reason::CommonNameUnreadable,
        frontproxy_reason::InvalidHeader,
        frontproxy_reason::HeadersTooLarge,
        frontproxy_reason::InvalidCertificateUid,
        frontproxy_reason::CertificateInvalid,
        frontproxy_reason::InternalError,
    ];

    #[test]
    fn c_reasons_have_the_numbers_and_codes_of_the_rust_reasons() {
        assert_eq!(
            C_REASONS.len(),
            Reason::ALL.len(),
            "a Reason was added without its frontproxy_reason"
        );
        for (c, r) in C_REASONS.iter().zip(Reason::ALL) {
            assert_eq!(*c as u32, r.number(), "{r:?}");
            assert_eq!(code_cstr(r.number()).unwrap(), format!("{}\0", r.code()));
            let ptr = frontproxy_reason_code(r.number());
            // SAFETY: a non-NULL result is a static NUL-terminated string.
            assert_eq!(
                unsafe { std::ffi::CStr::from_ptr(ptr) }.to_str().unwrap(),
                r.code()
            );
        }
        // frontproxy_reason::None is not a reason: no code.
        assert!(frontproxy_reason_code(frontproxy_reason::None as u32).is_null());
        assert!(frontproxy_reason_code(Reason::ALL.len() as u32 + 1).is_null());
    }
}
