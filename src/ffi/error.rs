//! `frontproxy_error`: the owned error object a failed constructor or reload hands back
//! through its optional `frontproxy_error **error_out` (wasmtime's idea: a detailed message
//! that belongs to the caller, with no shared "last error" state to race on).

use std::ffi::c_char;

use super::boundary::{free_handle, from_ref, guard, guard_value, into_handle, out_ptr, write_out};
use super::message::render;
use super::result::frontproxy_result;
use super::types::frontproxy_str;
use crate::ConfigError;

/// A failure's code and detailed message. Owned by the caller; free it with
/// `frontproxy_error_free`. Immutable, so it may be read from any thread.
pub struct frontproxy_error {
    pub(crate) code: frontproxy_result,
    /// The flag, ConfigMap key or file at fault; empty when not a configuration error.
    pub(crate) source: String,
    pub(crate) message: String,
}

impl frontproxy_error {
    pub(crate) fn new(
        code: frontproxy_result,
        source: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        frontproxy_error {
            code,
            source: source.into(),
            message: message.into(),
        }
    }

    pub(crate) fn config(e: &ConfigError) -> Self {
        Self::new(
            frontproxy_result::ConfigInvalid,
            e.source.clone(),
            e.message.clone(),
        )
    }

    /// The code's fixed message for errors without details.
    pub(crate) fn plain(code: frontproxy_result) -> Self {
        Self::new(code, "", code.message())
    }

    /// `source: message`, or the message alone.
    pub(crate) fn detailed_message(&self) -> String {
        if self.source.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.source, self.message)
        }
    }
}

/// Hands `error` to the caller through `error_out` (when the caller asked for it) and returns
/// its code: the tail of every function with an error out-parameter.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for a pointer.
pub(crate) unsafe fn give_error(
    error: frontproxy_error,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let code = error.code;
    if !error_out.is_null() {
        // SAFETY: non-NULL and, by the caller's contract, writable.
        unsafe { write_out(error_out, into_handle(error)) };
    }
    code
}

/// The result code of the failure `error` describes. NULL gives
/// `FRONTPROXY_RESULT_NULL_POINTER`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_error_code(
    error: *const frontproxy_error,
) -> frontproxy_result {
    guard_value(frontproxy_result::Panic, || {
        // SAFETY: `error` is NULL or a live error object from this library.
        match unsafe { from_ref(error) } {
            Ok(e) => e.code,
            Err(code) => code,
        }
    })
}

/// Writes the detailed message (`"<flag, key or file>: <what is wrong>"`) into `buf` as a
/// NUL-terminated string and its length (without the NUL) into `*out_len`.
/// `FRONTPROXY_RESULT_BUFFER_TOO_SMALL` when `buf_len` is not greater than that length.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_error_message(
    error: *const frontproxy_error,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `error` is NULL or a live error object from this library.
        let error = unsafe { from_ref(error) }?;
        // SAFETY: the caller passes a buffer of buf_len bytes (or NULL) and a size_t pointer.
        unsafe { render(&error.detailed_message(), buf, buf_len, out_len) }
    })
}

/// The flag (`"--requestheader-client-ca-file"`), ConfigMap key or file at fault, as a UTF-8
/// string that is not NUL-terminated and stays valid until the error is freed; empty when
/// the failure is not about one.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_error_source(
    error: *const frontproxy_error,
    source_out: *mut frontproxy_str,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `error` is NULL or a live error object from this library.
        let error = unsafe { from_ref(error) }?;
        let out = out_ptr(source_out)?;
        // SAFETY: checked non-NULL; the caller provides a writable frontproxy_str.
        unsafe { write_out(out, frontproxy_str::of(&error.source)) };
        Ok(())
    })
}

/// Frees an error object. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_error_free(error: *mut frontproxy_error) {
    // SAFETY: `error` is NULL or came from this library and is freed once.
    guard_value((), || unsafe { free_handle(error) })
}

/// The panic boundary of functions with an error out-parameter: a failure (or a caught panic)
/// becomes its code and, when the caller asked, an error object.
///
/// # Safety
/// `error_out` is NULL or points to writable storage for a pointer.
pub(crate) unsafe fn guard_with_error(
    error_out: *mut *mut frontproxy_error,
    body: impl FnOnce() -> Result<(), frontproxy_error>,
) -> frontproxy_result {
    let error = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => return frontproxy_result::Ok,
        Ok(Err(e)) => e,
        Err(_) => frontproxy_error::plain(frontproxy_result::Panic),
    };
    // SAFETY: forwarded from the caller.
    guard_value(frontproxy_result::Panic, || unsafe {
        give_error(error, error_out)
    })
}
