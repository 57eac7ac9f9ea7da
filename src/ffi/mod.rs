//! The C ABI (`include/frontproxy.h`, generated from this module by cbindgen). All of the
//! crate's `unsafe` lives under this module.
//!
//! One file per C object: [`result`] (`frontproxy_result` and its messages), [`error`]
//! (`frontproxy_error`, the owned error object of a failed constructor or reload),
//! [`options`] (`frontproxy_options`), [`authenticator`] (`frontproxy_authenticator`),
//! [`peer`] (`frontproxy_peer`, one per TLS connection), [`decision`]
//! (`frontproxy_decision`), [`reason`] (the rejection reasons); [`input`] holds the
//! `frontproxy_bytes` / `frontproxy_header` arrays a host passes in and the bounds applied to
//! them before anything is read.
//!
//! Conventions (README, "C API conventions"): every fallible function returns a
//! `frontproxy_result`; outputs come after inputs and are written only on success; every
//! pointer is checked; every exported body runs inside [`guard`], so a panic becomes
//! `FRONTPROXY_RESULT_PANIC` instead of unwinding into C.

#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_camel_case_types)]
// The safety contract of every exported function is the one the README's "C API conventions"
// and the header state for all of them (pointers valid for their lengths, handles live and
// freed once), not a per-function `# Safety` section.
#![allow(clippy::missing_safety_doc)]

use std::panic::{catch_unwind, AssertUnwindSafe};

pub mod authenticator;
pub mod decision;
pub mod error;
pub mod input;
pub mod options;
pub mod peer;
pub mod reason;
pub mod result;

use result::frontproxy_result;

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

/// Runs an exported function's body behind the panic boundary: `Err(code)` and a caught panic
/// both become the function's result code.
pub(crate) fn guard(body: impl FnOnce() -> Result<(), frontproxy_result>) -> frontproxy_result {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => frontproxy_result::Ok,
        Ok(Err(code)) => code,
        Err(_) => frontproxy_result::Panic,
    }
}

/// The panic boundary for functions that cannot report a code (counts, getters): a panic
/// gives `fallback`.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// A shared reference from a C pointer, or `NULL_POINTER`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nobody mutates for `'a`.
pub(crate) unsafe fn from_ref<'a, T>(ptr: *const T) -> Result<&'a T, frontproxy_result> {
    // SAFETY: the caller guarantees a non-NULL `ptr` points to a live, unaliased-for-writes T.
    unsafe { ptr.as_ref() }.ok_or(frontproxy_result::NullPointer)
}

/// An exclusive reference from a C pointer, or `NULL_POINTER`.
///
/// # Safety
/// `ptr` is NULL or points to a live `T` that nothing else uses for `'a`.
pub(crate) unsafe fn from_mut<'a, T>(ptr: *mut T) -> Result<&'a mut T, frontproxy_result> {
    // SAFETY: the caller guarantees a non-NULL `ptr` points to a live T used only by us.
    unsafe { ptr.as_mut() }.ok_or(frontproxy_result::NullPointer)
}

/// Checks an out-pointer before any work is done (it is written only at the end, on success).
pub(crate) fn out_ptr<T>(ptr: *mut T) -> Result<*mut T, frontproxy_result> {
    if ptr.is_null() {
        Err(frontproxy_result::NullPointer)
    } else {
        Ok(ptr)
    }
}

/// Writes a result through a checked out-pointer.
///
/// # Safety
/// `ptr` came from [`out_ptr`] and points to writable storage for a `T`.
pub(crate) unsafe fn write_out<T>(ptr: *mut T, value: T) {
    // SAFETY: checked non-NULL by `out_ptr`; the caller provides writable, aligned storage.
    unsafe { ptr.write(value) }
}

/// Moves a Rust value into a handle the C side owns (freed by the matching `*_free`).
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back a handle made by [`into_handle`] and drops it. NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from `into_handle::<T>` and has not been freed.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: the caller guarantees `ptr` came from `Box::into_raw` and is freed only once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}

/// The library version, e.g. `"0.1.0"`: a static NUL-terminated string (never free it).
#[no_mangle]
pub extern "C" fn frontproxy_version() -> *const std::ffi::c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

#[cfg(test)]
mod tests {
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
