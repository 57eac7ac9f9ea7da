//! The panic boundary and the pointer discipline every exported function follows: each body
//! runs inside [`guard`], every pointer is checked before use, outputs are written only at the
//! end, and handles are boxed Rust values freed exactly once.

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::result::frontproxy_result;

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
