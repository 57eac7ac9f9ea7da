//! Messages rendered into caller buffers: the fixed message of a result code, and the
//! helper every function that writes a message uses.

use std::ffi::c_char;

use super::boundary::{guard, out_ptr, write_out};
use super::result::frontproxy_result;

/// Copies `message` and a NUL into `buf` (`buf_len` bytes) and its length (without the NUL)
/// into `*out_len`. Nothing but `*out_len` is written when it does not fit.
///
/// # Safety
/// `buf` is NULL or points to `buf_len` writable bytes; `out_len` is NULL or writable.
pub(crate) unsafe fn render(
    message: &str,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> Result<(), frontproxy_result> {
    let out_len = out_ptr(out_len)?;
    if buf.is_null() && buf_len != 0 {
        return Err(frontproxy_result::NullPointer);
    }
    if message.len() >= buf_len {
        // SAFETY: `out_len` is non-NULL and the caller provides a writable size_t.
        unsafe { write_out(out_len, message.len()) };
        return Err(frontproxy_result::BufferTooSmall);
    }
    // SAFETY: `buf` is non-NULL (buf_len > message.len() >= 0) and holds buf_len >=
    // message.len() + 1 writable bytes; `message` is a distinct Rust allocation.
    unsafe {
        std::ptr::copy_nonoverlapping(message.as_ptr(), buf.cast::<u8>(), message.len());
        buf.add(message.len()).write(0);
        write_out(out_len, message.len());
    }
    Ok(())
}

/// Writes the fixed message of result code `code` into `buf` as a NUL-terminated string and
/// its length (without the NUL) into `*out_len`.
///
/// Returns `FRONTPROXY_RESULT_INVALID_ARGUMENT` for a number that is not a result code,
/// `FRONTPROXY_RESULT_BUFFER_TOO_SMALL` when `buf_len` is not greater than the message length.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_result_message(
    code: u32,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> frontproxy_result {
    guard(|| {
        let code =
            frontproxy_result::from_number(code).ok_or(frontproxy_result::InvalidArgument)?;
        // SAFETY: the caller passes a buffer of buf_len bytes (or NULL) and a size_t pointer.
        unsafe { render(code.message(), buf, buf_len, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_writes_nothing_but_the_length_when_the_buffer_is_short() {
        let mut buf = [b'x' as c_char; 4];
        let mut len = 99usize;
        // SAFETY: buf has 4 writable bytes, len is writable.
        let r = unsafe { render("four", buf.as_mut_ptr(), 4, &mut len) };
        assert_eq!(r, Err(frontproxy_result::BufferTooSmall));
        assert_eq!(len, 4);
        assert!(buf.iter().all(|&b| b == b'x' as c_char));
        let mut buf = [0 as c_char; 5];
        // SAFETY: as above, 5 bytes.
        let r = unsafe { render("four", buf.as_mut_ptr(), 5, &mut len) };
        assert_eq!(r, Ok(()));
        assert_eq!(&buf.map(|b| b as u8), b"four\0");
    }
}
