//! The plain data types of the C ABI: byte strings and header lines a host passes in, and the
//! strings it reads out of a decision or an error.

use std::ffi::c_char;

/// A byte string: `len` bytes at `data` (not NUL-terminated). `data` may be NULL when `len`
/// is 0. Used for DER certificates and for flag arguments.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_bytes {
    /// The first byte (may be NULL when `len` is 0).
    pub data: *const u8,
    /// How many bytes.
    pub len: usize,
}

/// One request header line, name and value as bytes (not NUL-terminated, any bytes; they
/// are validated as HTTP). A pointer may be NULL when its length is 0.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_header {
    /// The name's bytes (may be NULL when `name_len` is 0).
    pub name: *const u8,
    /// How many bytes of name.
    pub name_len: usize,
    /// The value's bytes (may be NULL when `value_len` is 0).
    pub value: *const u8,
    /// How many bytes of value.
    pub value_len: usize,
}

/// A UTF-8 string owned by the library (not NUL-terminated): `len` bytes at `data`. Print it
/// with `printf("%.*s", (int)s.len, s.data)`. Valid as long as the object it came from.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_str {
    /// The first byte.
    pub data: *const c_char,
    /// How many bytes (no NUL is counted or present).
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
