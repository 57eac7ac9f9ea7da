//! The arrays a host passes in (`frontproxy_bytes`, `frontproxy_header`) and the strings it
//! reads out (`frontproxy_str`), and the checks applied at the boundary.
//!
//! Certificates and headers come from the network, so they are hostile: before a single
//! element is read, the counts and lengths are held against the configuration's [`Limits`]
//! (the same bounds, reasons and messages as the core's checks), so an absurd count or length
//! becomes a rejected decision instead of a huge allocation or an out-of-range slice. A NULL
//! pointer with a non-zero length is the caller's bug and a result code.

use std::ffi::c_char;
use std::mem::size_of;

use super::error::frontproxy_error;
use super::result::frontproxy_result;
use crate::{AuthError, CertificateDer, HeaderPair, Limits, Reason};

/// A byte string: `len` bytes at `data` (not NUL-terminated). `data` may be NULL when `len`
/// is 0. Used for DER certificates and for flag arguments.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_bytes {
    pub data: *const u8,
    pub len: usize,
}

/// One request header line, name and value as bytes (not NUL-terminated, any bytes; they
/// are validated as HTTP). A pointer may be NULL when its length is 0.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_header {
    pub name: *const u8,
    pub name_len: usize,
    pub value: *const u8,
    pub value_len: usize,
}

/// A UTF-8 string owned by the library (not NUL-terminated): `len` bytes at `data`. Print it
/// with `printf("%.*s", (int)s.len, s.data)`. Valid as long as the object it came from.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_str {
    pub data: *const c_char,
    pub len: usize,
}

impl frontproxy_str {
    pub(crate) fn of(s: &str) -> frontproxy_str {
        frontproxy_str {
            data: s.as_ptr().cast(),
            len: s.len(),
        }
    }
}

impl frontproxy_bytes {
    pub(crate) fn of(b: &[u8]) -> frontproxy_bytes {
        frontproxy_bytes {
            data: b.as_ptr(),
            len: b.len(),
        }
    }
}

/// Most flag arguments accepted by the constructors, and most bytes of one.
pub(crate) const MAX_FLAG_ARGS: usize = 1024;
pub(crate) const MAX_FLAG_ARG_BYTES: usize = 64 * 1024;

/// A slice from a C array. `len == 0` is the empty slice whatever `ptr` is.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` points to `len` initialised `T`s that stay
/// alive and unmodified for `'a`.
pub(crate) unsafe fn slice<'a, T>(ptr: *const T, len: usize) -> Result<&'a [T], frontproxy_result> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(frontproxy_result::NullPointer);
    }
    // No real buffer is larger than isize::MAX bytes, and from_raw_parts requires both.
    let too_large = match len.checked_mul(size_of::<T>()) {
        Some(bytes) => bytes > isize::MAX as usize,
        None => true,
    };
    if too_large || !ptr.is_aligned() {
        return Err(frontproxy_result::InvalidArgument);
    }
    // SAFETY: non-NULL, aligned, at most isize::MAX bytes, and the caller guarantees `len`
    // live elements for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Either the inputs, or the rejection the core would give them (already decided here
/// because the inputs are out of bounds).
pub(crate) type Bounded<T> = Result<T, AuthError>;

/// Reads a presented chain (leaf first), bounded by `limits`.
///
/// # Safety
/// `certs` points to `n` elements as for [`slice`], and each element's `data` to `len` bytes.
pub(crate) unsafe fn read_chain<'a>(
    certs: *const frontproxy_bytes,
    n: usize,
    limits: &Limits,
) -> Result<Bounded<Vec<CertificateDer<'a>>>, frontproxy_result> {
    if n > limits.max_chain_certificates {
        return Ok(Err(AuthError::new(
            Reason::ChainTooLong,
            format!(
                "the client presented {n} certificates; at most {} are accepted",
                limits.max_chain_certificates
            ),
        )));
    }
    // SAFETY: the caller guarantees `n` elements at `certs`.
    let entries = unsafe { slice(certs, n) }?;
    for (i, c) in entries.iter().enumerate() {
        if c.data.is_null() && c.len != 0 {
            return Err(frontproxy_result::NullPointer);
        }
        if c.len > limits.max_certificate_bytes {
            return Ok(Err(AuthError::new(
                Reason::MalformedCertificate,
                format!(
                    "presented certificate #{} has {} bytes; at most {} are accepted",
                    i + 1,
                    c.len,
                    limits.max_certificate_bytes
                ),
            )));
        }
    }
    let mut chain = Vec::with_capacity(entries.len());
    for c in entries {
        // SAFETY: the caller guarantees `len` bytes at `data`; the length is bounded above.
        chain.push(CertificateDer::from(unsafe { slice(c.data, c.len) }?));
    }
    Ok(Ok(chain))
}

/// Reads the request headers, bounded by `limits`.
///
/// # Safety
/// `headers` points to `n` elements as for [`slice`], and each element's pointers to their
/// lengths in bytes.
pub(crate) unsafe fn read_headers<'a>(
    headers: *const frontproxy_header,
    n: usize,
    limits: &Limits,
) -> Result<Bounded<Vec<HeaderPair<'a>>>, frontproxy_result> {
    if n > limits.max_header_count {
        return Ok(Err(AuthError::new(
            Reason::HeadersTooLarge,
            format!(
                "the request has {n} header lines; at most {} are accepted",
                limits.max_header_count
            ),
        )));
    }
    // SAFETY: the caller guarantees `n` elements at `headers`.
    let entries = unsafe { slice(headers, n) }?;
    let mut total = 0usize;
    for h in entries {
        if (h.name.is_null() && h.name_len != 0) || (h.value.is_null() && h.value_len != 0) {
            return Err(frontproxy_result::NullPointer);
        }
        total = total.saturating_add(h.name_len).saturating_add(h.value_len);
        if total > limits.max_header_bytes {
            return Ok(Err(AuthError::new(
                Reason::HeadersTooLarge,
                format!(
                    "the request headers exceed {} bytes",
                    limits.max_header_bytes
                ),
            )));
        }
    }
    let mut pairs = Vec::with_capacity(entries.len());
    for h in entries {
        // SAFETY: the caller guarantees the lengths; together they are bounded above.
        let name = unsafe { slice(h.name, h.name_len) }?;
        // SAFETY: as above.
        let value = unsafe { slice(h.value, h.value_len) }?;
        pairs.push((name, value));
    }
    Ok(Ok(pairs))
}

/// Reads flag arguments (`--flag=value` or `--flag`, `value`): UTF-8, bounded.
///
/// # Safety
/// As [`read_chain`].
pub(crate) unsafe fn read_flag_args(
    args: *const frontproxy_bytes,
    n: usize,
) -> Result<Vec<String>, frontproxy_error> {
    if n > MAX_FLAG_ARGS {
        return Err(frontproxy_error::new(
            frontproxy_result::InvalidArgument,
            "flags",
            format!("{n} flag arguments given; at most {MAX_FLAG_ARGS} are accepted"),
        ));
    }
    // SAFETY: the caller guarantees `n` elements at `args`.
    let entries = unsafe { slice(args, n) }.map_err(frontproxy_error::plain)?;
    let mut out = Vec::with_capacity(n);
    for (i, a) in entries.iter().enumerate() {
        let which = format!("flag argument #{}", i + 1);
        if a.len > MAX_FLAG_ARG_BYTES {
            return Err(frontproxy_error::new(
                frontproxy_result::InvalidArgument,
                which,
                format!(
                    "has {} bytes; at most {MAX_FLAG_ARG_BYTES} are accepted",
                    a.len
                ),
            ));
        }
        // SAFETY: the caller guarantees `len` bytes at `data`; bounded above.
        let bytes = unsafe { slice(a.data, a.len) }
            .map_err(|c| frontproxy_error::new(c, which.clone(), c.message()))?;
        let s = std::str::from_utf8(bytes).map_err(|_| {
            frontproxy_error::new(
                frontproxy_result::ConfigInvalid,
                which.clone(),
                "is not valid UTF-8",
            )
        })?;
        out.push(s.to_string());
    }
    Ok(out)
}
