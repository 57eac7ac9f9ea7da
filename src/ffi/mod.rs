//! The C ABI (`include/frontproxy.h`, generated from this module by cbindgen). All of the
//! crate's `unsafe` lives under this module.
//!
//! One file per C object: [`result`] (`frontproxy_result` and its messages), [`error`]
//! (`frontproxy_error`, the owned error object of a failed constructor or reload),
//! [`options`] (`frontproxy_options`), [`authenticator`] (`frontproxy_authenticator`),
//! [`peer`] (`frontproxy_peer`, one per TLS connection), [`decision`]
//! (`frontproxy_decision`), [`reason`] (the rejection reasons); [`types`] holds the plain data
//! types (`frontproxy_bytes`, `frontproxy_header`, `frontproxy_str`) and `input` reads the
//! arrays a host passes in, after the core's bounds accepted their shape.
//!
//! Conventions (README, "C API conventions"): every fallible function returns a
//! `frontproxy_result`; outputs come after inputs and are written only on success; every
//! pointer is checked; every exported body runs inside `boundary::guard`, so a panic becomes
//! `FRONTPROXY_RESULT_PANIC` instead of unwinding into C.

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]
// The safety contract of every exported function is the one the README's "C API conventions"
// and the header state for all of them (pointers valid for their lengths, handles live and
// freed once), not a per-function `# Safety` section.
#![allow(clippy::missing_safety_doc)]

pub mod authenticator;
mod boundary;
pub mod chain;
pub mod decision;
pub mod error;
mod input;
pub mod message;
pub mod metrics;
pub mod options;
pub mod peer;
pub mod reason;
pub mod result;
pub mod types;

// The thread-safety the header documents, checked by the compiler: an authenticator is shared
// by all threads; a peer moves between threads with its connection; decisions, errors and
// options are plain data.
const _: () = {
    const fn shared_by_threads<T: Send + Sync>() {}
    const fn movable_between_threads<T: Send>() {}
    shared_by_threads::<authenticator::frontproxy_authenticator>();
    shared_by_threads::<decision::frontproxy_decision>();
    shared_by_threads::<error::frontproxy_error>();
    movable_between_threads::<peer::frontproxy_peer>();
    movable_between_threads::<options::frontproxy_options>();
};

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string (never free it).
#[no_mangle]
pub extern "C" fn frontproxy_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
    use super::boundary::{guard, guard_value};
    use super::result::frontproxy_result;
    use super::*;

    #[test]
    fn a_panic_in_an_exported_body_becomes_the_panic_result_code() {
        // (The default hook prints the two panic messages; the point is that they are caught.)
        let code = guard(|| panic!("boom"));
        let value = guard_value(7usize, || panic!("boom"));
        assert_eq!(code, frontproxy_result::Panic);
        assert_eq!(value, 7);
        assert_eq!(
            guard(|| Err(frontproxy_result::NullPointer)),
            frontproxy_result::NullPointer
        );
        assert_eq!(guard(|| Ok(())), frontproxy_result::Ok);
    }

    #[test]
    fn the_version_is_the_crate_version_nul_terminated() {
        // SAFETY: frontproxy_version returns a static NUL-terminated string.
        let v = unsafe { std::ffi::CStr::from_ptr(frontproxy_version()) };
        assert_eq!(v.to_str().unwrap(), crate::VERSION);
    }
}
