//! `frontproxy_chain`: a presented chain decoded from PEM (wraps [`crate::chain_from_pem`]),
//! for hosts that hold PEM files (kubeadm's `front-proxy-client.crt`, cert-manager's
//! `tls.crt`) rather than the DER a TLS layer hands over. Its array is in the shape
//! `frontproxy_authenticator_verify_peer` and `frontproxy_authenticator_authenticate_chain`
//! take, so it is passed to them as it is.

use super::boundary::{free_handle, from_ref, guard_value, into_handle, out_ptr, write_out};
use super::error::{frontproxy_error, guard_with_error};
use super::input::slice;
use super::result::frontproxy_result;
use super::types::frontproxy_bytes;
use crate::{CertificateDer, ConfigError, Limits};

/// A chain of DER certificates, leaf first, decoded from PEM. Owned by the caller; free it
/// with `frontproxy_chain_free`. Immutable: may be read from any thread.
pub struct frontproxy_chain {
    /// Points into `ders`, which is never changed after construction (its heap storage does
    /// not move when the chain does).
    certs: Vec<frontproxy_bytes>,
    ders: Vec<CertificateDer<'static>>,
}

// SAFETY: the pointers in `certs` point only into the chain's own heap buffers (`ders`),
// which are immutable after construction and freed with it.
unsafe impl Send for frontproxy_chain {}
// SAFETY: as above; nothing is mutated through a shared reference.
unsafe impl Sync for frontproxy_chain {}

// The header says "any thread": checked by the compiler.
const _: () = {
    const fn shared_by_threads<T: Send + Sync>() {}
    shared_by_threads::<frontproxy_chain>();
};

impl frontproxy_chain {
    fn new(ders: Vec<CertificateDer<'static>>) -> Self {
        let certs = ders
            .iter()
            .map(|d| frontproxy_bytes {
                data: d.as_ref().as_ptr(),
                len: d.as_ref().len(),
            })
            .collect();
        frontproxy_chain { certs, ders }
    }
}

/// A PEM problem is a malformed argument; the error object says which block and why.
fn invalid(e: ConfigError) -> frontproxy_error {
    frontproxy_error::new(frontproxy_result::InvalidArgument, e.source, e.message)
}

/// Decodes a presented chain from `pem_len` bytes of PEM text (not NUL-terminated): every
/// `CERTIFICATE` block in order, leaf first, then its intermediates — a chain file, or the
/// leaf file and the intermediate file concatenated. Text outside the blocks is ignored.
///
/// `FRONTPROXY_RESULT_INVALID_ARGUMENT`, with an error object (source `"pem"`) naming the
/// block, for: more than 4 MiB of text (refused before it is read); no `CERTIFICATE` block
/// (empty input, DER, other text); any other block (`PRIVATE KEY`, …); a block that does not
/// decode, is not terminated or carries PEM headers; more than 8 certificates or one over
/// 64 KiB (which verification would reject anyway). The certificates themselves are judged by
/// verification, not here.
///
/// On success `*chain_out` receives the chain: pass `frontproxy_chain_certs(chain)` and
/// `frontproxy_chain_certs_len(chain)` to `frontproxy_authenticator_verify_peer` or
/// `frontproxy_authenticator_authenticate_chain`; free it with `frontproxy_chain_free`. On
/// failure nothing is stored in `*chain_out`, and, when `error_out` is not NULL, `*error_out`
/// receives an error object (free it with `frontproxy_error_free`).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_chain_from_pem(
    pem: *const u8,
    pem_len: usize,
    chain_out: *mut *mut frontproxy_chain,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        let out = out_ptr(chain_out).map_err(frontproxy_error::plain)?;
        // The length first: only then is the text read.
        Limits::DEFAULT
            .check_document(pem_len, "pem")
            .map_err(invalid)?;
        // SAFETY: the caller guarantees pem_len bytes at pem; bounded above.
        let text = unsafe { slice(pem, pem_len) }.map_err(frontproxy_error::plain)?;
        let chain = frontproxy_chain::new(crate::chain_from_pem(text).map_err(invalid)?);
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, into_handle(chain)) };
        Ok(())
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// The certificates (DER, leaf first): an array of `frontproxy_chain_certs_len(chain)`
/// elements inside the chain, valid until `frontproxy_chain_free`. NULL for a NULL chain.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_chain_certs(
    chain: *const frontproxy_chain,
) -> *const frontproxy_bytes {
    guard_value(std::ptr::null(), || {
        // SAFETY: `chain` is NULL or a live chain from this library.
        unsafe { from_ref(chain) }.map_or(std::ptr::null(), |c| c.certs.as_ptr())
    })
}

/// The number of certificates (at least 1, at most 8). 0 for a NULL chain.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_chain_certs_len(chain: *const frontproxy_chain) -> usize {
    guard_value(0, || {
        // SAFETY: `chain` is NULL or a live chain from this library.
        unsafe { from_ref(chain) }.map_or(0, |c| c.ders.len())
    })
}

/// Frees a chain. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_chain_free(chain: *mut frontproxy_chain) {
    // SAFETY: `chain` is NULL or came from frontproxy_chain_from_pem and is freed once.
    guard_value((), || unsafe { free_handle(chain) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem_of(cn: &str) -> String {
        rcgen::generate_simple_self_signed(vec![cn.into()])
            .unwrap()
            .cert
            .pem()
    }

    type Decoded = (
        frontproxy_result,
        *mut frontproxy_chain,
        *mut frontproxy_error,
    );

    /// Calls `frontproxy_chain_from_pem` on `text` and returns (result, chain, error).
    fn decode(text: &[u8]) -> Decoded {
        let mut chain = std::ptr::null_mut();
        let mut error = std::ptr::null_mut();
        // SAFETY: `text` is a live slice; the out-pointers are locals.
        let r =
            unsafe { frontproxy_chain_from_pem(text.as_ptr(), text.len(), &mut chain, &mut error) };
        (r, chain, error)
    }

    #[test]
    fn the_array_points_at_the_certificates_in_order() {
        let text = format!("{}{}", pem_of("a"), pem_of("b"));
        let (r, chain, error) = decode(text.as_bytes());
        assert_eq!(r, frontproxy_result::Ok);
        assert!(error.is_null());
        let expected = crate::chain_from_pem(text.as_bytes()).unwrap();
        // SAFETY: `chain` is live until freed below; the array has certs_len elements.
        unsafe {
            let n = frontproxy_chain_certs_len(chain);
            assert_eq!(n, 2);
            let certs = std::slice::from_raw_parts(frontproxy_chain_certs(chain), n);
            for (c, e) in certs.iter().zip(&expected) {
                assert_eq!(std::slice::from_raw_parts(c.data, c.len), e.as_ref());
            }
            frontproxy_chain_free(chain);
        }
    }

    #[test]
    fn failures_write_no_chain_and_an_error_naming_the_block() {
        let text = format!(
            "{}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            pem_of("a")
        );
        let (r, chain, error) = decode(text.as_bytes());
        assert_eq!(r, frontproxy_result::InvalidArgument);
        assert!(chain.is_null());
        // SAFETY: `error` came from the call above and is freed once.
        let e = unsafe { Box::from_raw(error) };
        assert_eq!(e.source, "pem");
        assert!(e.message.contains("PRIVATE KEY"), "{}", e.message);
        // A length no buffer has is refused before the pointer is read.
        let mut chain = std::ptr::null_mut();
        // SAFETY: the pointer is never read: the length is refused first.
        let r = unsafe {
            frontproxy_chain_from_pem(
                std::ptr::dangling(),
                usize::MAX,
                &mut chain,
                std::ptr::null_mut(),
            )
        };
        assert_eq!(r, frontproxy_result::InvalidArgument);
        assert!(chain.is_null());
        // SAFETY: NULL is accepted everywhere.
        unsafe {
            assert!(frontproxy_chain_certs(std::ptr::null()).is_null());
            assert_eq!(frontproxy_chain_certs_len(std::ptr::null()), 0);
            frontproxy_chain_free(std::ptr::null_mut());
        }
    }
}
