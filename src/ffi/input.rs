//! Reading the arrays a host passes in (`frontproxy_bytes`, `frontproxy_header`), and the
//! checks applied at the boundary.
//!
//! Certificates and headers come from the network, so they are hostile: before a single
//! element is read, the counts and lengths are held against the configuration's [`Limits`]
//! by the core's own checks, so an absurd count or length becomes a rejected decision instead
//! of a huge allocation or an out-of-range slice. A NULL pointer with a non-zero length is the
//! caller's bug and a result code.

use std::mem::size_of;

use super::error::frontproxy_error;
use super::result::frontproxy_result;
use super::types::{frontproxy_bytes, frontproxy_header};
use crate::{AuthError, CertificateDer, ConfigError, HeaderPair, Limits};

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

/// Reads a presented chain (leaf first) after the core's bounds accepted its shape.
/// `Ok(Err(e))`: the shape is out of bounds (nothing was read); the core decides with `e`.
///
/// # Safety
/// `certs` points to `n` elements as for [`slice`], and each element's `data` to `len` bytes.
pub(crate) unsafe fn read_chain<'a>(
    certs: *const frontproxy_bytes,
    n: usize,
    limits: &Limits,
) -> Result<Result<Vec<CertificateDer<'a>>, AuthError>, frontproxy_result> {
    // The count first: only then is the array itself read.
    if let Err(e) = limits.check_chain(n, |_| 0) {
        return Ok(Err(e));
    }
    // SAFETY: the caller guarantees `n` elements at `certs`; `n` is bounded above.
    let entries = unsafe { slice(certs, n) }?;
    if entries.iter().any(|c| c.data.is_null() && c.len != 0) {
        return Err(frontproxy_result::NullPointer);
    }
    if let Err(e) = limits.check_chain(n, |i| entries[i].len) {
        return Ok(Err(e));
    }
    let mut chain = Vec::with_capacity(entries.len());
    for c in entries {
        // SAFETY: the caller guarantees `len` bytes at `data`; the length is bounded above.
        chain.push(CertificateDer::from(unsafe { slice(c.data, c.len) }?));
    }
    Ok(Ok(chain))
}

/// Reads the request headers after the core's bounds accepted their shape. `Ok(Err(e))`:
/// out of bounds (nothing was read).
///
/// # Safety
/// `headers` points to `n` elements as for [`slice`], and each element's pointers to their
/// lengths in bytes.
pub(crate) unsafe fn read_headers<'a>(
    headers: *const frontproxy_header,
    n: usize,
    limits: &Limits,
) -> Result<Result<Vec<HeaderPair<'a>>, AuthError>, frontproxy_result> {
    if let Err(e) = limits.check_headers(n, |_| (0, 0)) {
        return Ok(Err(e));
    }
    // SAFETY: the caller guarantees `n` elements at `headers`; `n` is bounded above.
    let entries = unsafe { slice(headers, n) }?;
    if entries
        .iter()
        .any(|h| (h.name.is_null() && h.name_len != 0) || (h.value.is_null() && h.value_len != 0))
    {
        return Err(frontproxy_result::NullPointer);
    }
    if let Err(e) = limits.check_headers(n, |i| (entries[i].name_len, entries[i].value_len)) {
        return Ok(Err(e));
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

/// Reads flag arguments (`--flag=value` or `--flag`, `value`): bounded by the core's limits,
/// UTF-8.
///
/// # Safety
/// As [`read_chain`].
pub(crate) unsafe fn read_flag_args(
    args: *const frontproxy_bytes,
    n: usize,
    limits: &Limits,
) -> Result<Vec<String>, frontproxy_error> {
    let invalid = |e: ConfigError| {
        frontproxy_error::new(frontproxy_result::InvalidArgument, e.source, e.message)
    };
    limits.check_flag_arguments(n, |_| 0).map_err(invalid)?;
    // SAFETY: the caller guarantees `n` elements at `args`; `n` is bounded above.
    let entries = unsafe { slice(args, n) }.map_err(frontproxy_error::plain)?;
    limits
        .check_flag_arguments(n, |i| entries[i].len)
        .map_err(invalid)?;
    let mut out = Vec::with_capacity(n);
    for (i, a) in entries.iter().enumerate() {
        let which = format!("flag argument #{}", i + 1);
        // SAFETY: the caller guarantees `len` bytes at `data`; bounded above.
        let bytes = unsafe { slice(a.data, a.len) }
            .map_err(|c| frontproxy_error::new(c, which.clone(), c.message()))?;
        let s = std::str::from_utf8(bytes).map_err(|_| {
            frontproxy_error::new(
                frontproxy_result::ConfigInvalid,
                which,
                "is not valid UTF-8",
            )
        })?;
        out.push(s.to_string());
    }
    Ok(out)
}
