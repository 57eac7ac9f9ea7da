//! `frontproxy_authenticator`: the object a host creates once and shares with every thread
//! (wraps [`crate::Authenticator`]). Created from kube-apiserver-style flags, a ConfigMap
//! document or a ConfigMap file; reloaded atomically (requests in flight finish on the
//! configuration they started with); authenticates requests per connection (with a
//! `frontproxy_peer`) or per request (chain + verdict cache).

use std::ffi::c_char;

use super::boundary::{
    free_handle, from_mut, from_ref, guard, guard_value, into_handle, out_ptr, write_out,
};
use super::decision::frontproxy_decision;
use super::error::{frontproxy_error, guard_with_error};
use super::input::{read_chain, read_flag_args, read_headers, slice};
use super::message::render;
use super::options::frontproxy_options;
use super::peer::frontproxy_peer;
use super::result::frontproxy_result;
use super::types::{frontproxy_bytes, frontproxy_header};
use crate::{Authenticator, ConfigError, ConfigSource, Handshake, KubeAuthFlags, RequestHeaders};

/// Longest ConfigMap file path accepted (Linux's PATH_MAX).
const MAX_PATH_BYTES: usize = 4096;

/// The authenticator. Thread-safe: every function taking a `const frontproxy_authenticator *`
/// may be called from any number of threads at once, reloads included. Free it once, after
/// every other call on it has returned.
pub struct frontproxy_authenticator {
    pub(super) inner: Authenticator,
}

fn config_error(e: ConfigError) -> frontproxy_error {
    frontproxy_error::config(&e)
}

fn handshake(resumed: bool) -> Handshake {
    if resumed {
        Handshake::Resumed
    } else {
        Handshake::Full
    }
}

/// The options, or the defaults for NULL.
///
/// # Safety
/// `options` is NULL or a live options object.
unsafe fn options_or_default(options: *const frontproxy_options) -> crate::AuthenticatorOptions {
    // SAFETY: forwarded from the caller.
    match unsafe { options.as_ref() } {
        Some(o) => o.to_authenticator_options(),
        None => frontproxy_options::default().to_authenticator_options(),
    }
}

/// Parses flag arguments, bounded by the default limits.
///
/// # Safety
/// As `read_flag_args`.
unsafe fn parse_flags(
    args: *const frontproxy_bytes,
    args_len: usize,
) -> Result<KubeAuthFlags, frontproxy_error> {
    // SAFETY: forwarded from the caller.
    let args = unsafe { read_flag_args(args, args_len, &crate::Limits::DEFAULT) }?;
    KubeAuthFlags::parse(&args).map_err(config_error)
}

/// A ConfigMap document as a source, bounded by the default limits before it is copied.
///
/// # Safety
/// `doc` points to `doc_len` bytes (or is NULL with length 0).
unsafe fn configmap_document(
    doc: *const u8,
    doc_len: usize,
) -> Result<ConfigSource, frontproxy_error> {
    crate::Limits::DEFAULT
        .check_document(doc_len, "configmap")
        .map_err(config_error)?;
    // SAFETY: the caller guarantees doc_len bytes at doc; bounded above.
    let doc = unsafe { slice(doc, doc_len) }.map_err(frontproxy_error::plain)?;
    Ok(ConfigSource::ConfigMapDocument(doc.to_vec()))
}

/// Stores a new authenticator through a checked out-pointer.
///
/// # Safety
/// `out` came from `out_ptr` and is writable.
unsafe fn give_authenticator(inner: Authenticator, out: *mut *mut frontproxy_authenticator) {
    // SAFETY: forwarded from the caller.
    unsafe { write_out(out, into_handle(frontproxy_authenticator { inner })) }
}

/// Creates an authenticator from kube-apiserver-style flags, given like argv: each element
/// one argument, `--flag=value` or `--flag` followed by `value` (UTF-8, at most 1024
/// arguments of at most 64 KiB). The flags are `--requestheader-client-ca-file`,
/// `--requestheader-allowed-names`, `--requestheader-username-headers`,
/// `--requestheader-uid-headers`, `--requestheader-group-headers`,
/// `--requestheader-extra-headers-prefix` and `--client-ca-file`, with kube-apiserver's
/// defaults. The CA files are read now and re-checked on the request path at most every
/// reload interval of `options` (NULL: the defaults); a content change reloads them.
///
/// On failure nothing is stored in `*authenticator_out`, and, when `error_out` is not NULL,
/// `*error_out` receives an error object (free it with `frontproxy_error_free`).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_new_from_flags(
    args: *const frontproxy_bytes,
    args_len: usize,
    options: *const frontproxy_options,
    authenticator_out: *mut *mut frontproxy_authenticator,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        let out = out_ptr(authenticator_out).map_err(frontproxy_error::plain)?;
        // SAFETY: the caller guarantees args_len elements at args.
        let flags = unsafe { parse_flags(args, args_len) }?;
        // SAFETY: options is NULL or a live options object.
        let options = unsafe { options_or_default(options) };
        let inner = Authenticator::from_source(ConfigSource::Flags(flags), options)
            .map_err(config_error)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_authenticator(inner, out) };
        Ok(())
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// Creates an authenticator from the `kube-system/extension-apiserver-authentication`
/// ConfigMap document (`doc_len` bytes of JSON or YAML, as kubectl prints it; at most
/// 4 MiB). Not file-backed: reload it with `frontproxy_authenticator_reload_configmap`.
/// Failure as for `frontproxy_authenticator_new_from_flags`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_new_from_configmap(
    doc: *const u8,
    doc_len: usize,
    options: *const frontproxy_options,
    authenticator_out: *mut *mut frontproxy_authenticator,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        let out = out_ptr(authenticator_out).map_err(frontproxy_error::plain)?;
        // SAFETY: the caller guarantees doc_len bytes at doc.
        let source = unsafe { configmap_document(doc, doc_len) }?;
        // SAFETY: options is NULL or a live options object.
        let options = unsafe { options_or_default(options) };
        let inner = Authenticator::from_source(source, options).map_err(config_error)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_authenticator(inner, out) };
        Ok(())
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// Creates an authenticator from a file holding the ConfigMap document (`path_len` bytes of
/// path, not NUL-terminated, at most 4096). The file is read now and re-checked like the CA
/// files of `frontproxy_authenticator_new_from_flags` (a mounted ConfigMap's symlink swap is
/// seen). Failure as for `frontproxy_authenticator_new_from_flags`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_new_from_configmap_file(
    path: *const u8,
    path_len: usize,
    options: *const frontproxy_options,
    authenticator_out: *mut *mut frontproxy_authenticator,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        let out = out_ptr(authenticator_out).map_err(frontproxy_error::plain)?;
        if path_len > MAX_PATH_BYTES {
            return Err(frontproxy_error::new(
                frontproxy_result::InvalidArgument,
                "path",
                format!("has {path_len} bytes; at most {MAX_PATH_BYTES} are accepted"),
            ));
        }
        // SAFETY: the caller guarantees path_len bytes at path; bounded above.
        let bytes = unsafe { slice(path, path_len) }.map_err(frontproxy_error::plain)?;
        let path = path_from_bytes(bytes)?;
        // SAFETY: options is NULL or a live options object.
        let options = unsafe { options_or_default(options) };
        let inner = Authenticator::from_source(ConfigSource::ConfigMapFile(path), options)
            .map_err(config_error)?;
        // SAFETY: `out` is checked and writable.
        unsafe { give_authenticator(inner, out) };
        Ok(())
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> Result<std::path::PathBuf, frontproxy_error> {
    use std::os::unix::ffi::OsStrExt;
    Ok(std::ffi::OsStr::from_bytes(bytes).into())
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> Result<std::path::PathBuf, frontproxy_error> {
    std::str::from_utf8(bytes).map(Into::into).map_err(|_| {
        frontproxy_error::new(
            frontproxy_result::InvalidArgument,
            "path",
            "is not valid UTF-8",
        )
    })
}

/// Replaces the configuration with one built from flags (as for
/// `frontproxy_authenticator_new_from_flags`), atomically: requests in flight finish on the
/// old one, peers and cached verdicts of the old one are verified again. On failure the old
/// configuration stays, `*error_out` (if not NULL) receives an error object, and
/// `frontproxy_authenticator_last_error` reports it. From then on the CA files these flags
/// name are the ones watched (instead of whatever the authenticator watched before).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_reload_flags(
    authenticator: *const frontproxy_authenticator,
    args: *const frontproxy_bytes,
    args_len: usize,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }.map_err(frontproxy_error::plain)?;
        // SAFETY: the caller guarantees args_len elements at args.
        let flags = unsafe { parse_flags(args, args_len) }.inspect_err(|e| {
            auth.inner
                .record_failed_reload(&ConfigError::new(e.source.clone(), e.message.clone()))
        })?;
        auth.inner
            .replace_source(ConfigSource::Flags(flags))
            .map_err(config_error)
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// Replaces the configuration with one built from a ConfigMap document, like
/// `frontproxy_authenticator_reload_flags`. After a successful reload no file is watched any
/// more: the document given here stays in force until the next reload.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_reload_configmap(
    authenticator: *const frontproxy_authenticator,
    doc: *const u8,
    doc_len: usize,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }.map_err(frontproxy_error::plain)?;
        // SAFETY: the caller guarantees doc_len bytes at doc.
        let source = unsafe { configmap_document(doc, doc_len) }.inspect_err(|e| {
            auth.inner
                .record_failed_reload(&ConfigError::new(e.source.clone(), e.message.clone()))
        })?;
        auth.inner.replace_source(source).map_err(config_error)
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// Checks the files of a file-backed authenticator now (whatever the reload interval) and
/// swaps in the new configuration when their content changed: `*reloaded_out` is true then.
/// Always false for an authenticator not backed by files. When the files changed but do not
/// load: `FRONTPROXY_RESULT_CONFIG_INVALID`, the old configuration stays, and the error goes
/// to `*error_out` (if not NULL) and to `frontproxy_authenticator_last_error`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_check_source(
    authenticator: *const frontproxy_authenticator,
    reloaded_out: *mut bool,
    error_out: *mut *mut frontproxy_error,
) -> frontproxy_result {
    let body = || {
        let out = out_ptr(reloaded_out).map_err(frontproxy_error::plain)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }.map_err(frontproxy_error::plain)?;
        // The core records a failure in its reload status, which last_error reads.
        let reloaded = auth.inner.check_source().map_err(config_error)?;
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, reloaded) };
        Ok(())
    };
    // SAFETY: error_out is NULL or writable (caller's contract).
    unsafe { guard_with_error(error_out, body) }
}

/// Writes the message of the last configuration failure on this authenticator (a failed
/// reload, or a failed check of its files, including the automatic ones on the request
/// path) into `buf` as a NUL-terminated string, and its length (without the NUL) into
/// `*out_len`. The message is empty (length 0) when the last reload succeeded or none
/// failed. `FRONTPROXY_RESULT_BUFFER_TOO_SMALL` when `buf_len` is not greater than the length.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_last_error(
    authenticator: *const frontproxy_authenticator,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        // SAFETY: the caller passes a buffer of buf_len bytes (or NULL) and a size_t pointer.
        let message = auth
            .inner
            .reload_status()
            .last_error
            .map(|e| e.to_string())
            .unwrap_or_default();
        // SAFETY: the caller passes a buffer of buf_len bytes (or NULL) and a size_t pointer.
        unsafe { render(&message, buf, buf_len, out_len) }
    })
}

/// Decision-cache counters since the authenticator was created (all zero without a cache).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct frontproxy_cache_stats {
    /// Lookups that found verdicts.
    pub hits: u64,
    /// Lookups that did not (the chain was verified).
    pub misses: u64,
    /// Verdicts filed.
    pub insertions: u64,
    /// Entries removed to stay within the bounds.
    pub evictions: u64,
    /// Requests rejected on the cache path (`frontproxy_authenticator_authenticate_chain`).
    pub rejections: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes (approximate) held now.
    pub bytes: u64,
}

/// Copies the verdict-cache counters into `*stats_out`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_cache_stats(
    authenticator: *const frontproxy_authenticator,
    stats_out: *mut frontproxy_cache_stats,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(stats_out)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        let s = auth.inner.cache_stats();
        let stats = frontproxy_cache_stats {
            hits: s.hits,
            misses: s.misses,
            insertions: s.insertions,
            evictions: s.evictions,
            rejections: s.rejections,
            entries: s.entries,
            bytes: s.bytes,
        };
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, stats) };
        Ok(())
    })
}

/// Verifies a connection's client chain (`certs_len` DER certificates, leaf first, as the TLS
/// layer presents them; 0 for no client certificate) and stores a new peer handle in
/// `*peer_out`: keep it with the connection and pass it to
/// `frontproxy_authenticator_authenticate` for each request. `resumed` says whether the TLS
/// session was resumed (nginx: `SSL_session_reused`): only then may a lone leaf reuse a
/// verdict reached earlier with its intermediates; a full handshake's chain is verified as
/// presented. A chain that fails is not an error: its requests get rejected decisions. The
/// certificates are copied.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_verify_peer(
    authenticator: *const frontproxy_authenticator,
    certs: *const frontproxy_bytes,
    certs_len: usize,
    resumed: bool,
    peer_out: *mut *mut frontproxy_peer,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(peer_out)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        let call = auth.inner.snapshot();
        // SAFETY: the caller guarantees certs_len elements at certs, each with its bytes.
        let inner = match unsafe { read_chain(certs, certs_len, call.limits()) }? {
            Ok(chain) => call.verify_peer(&chain, handshake(resumed)),
            Err(e) => call.refused_peer(e),
        };
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, into_handle(frontproxy_peer { inner })) };
        Ok(())
    })
}

/// Authenticates one request on a connection verified with
/// `frontproxy_authenticator_verify_peer`: `headers_len` header lines in arrival order.
/// Stores a new decision in `*decision_out` (free it with `frontproxy_decision_free`).
/// A rejected request is a success with a `FRONTPROXY_OUTCOME_REJECTED` decision. The peer
/// is renewed when the configuration changed or a certificate expired since it was verified,
/// so it must not be used by two threads at once.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_authenticate(
    authenticator: *const frontproxy_authenticator,
    peer: *mut frontproxy_peer,
    headers: *const frontproxy_header,
    headers_len: usize,
    decision_out: *mut *mut frontproxy_decision,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(decision_out)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        // SAFETY: `peer` is NULL or a live peer used by this thread only.
        let peer = unsafe { from_mut(peer) }?;
        let call = auth.inner.snapshot();
        // SAFETY: the caller guarantees headers_len elements at headers, each with its bytes.
        let decision = match unsafe { read_headers(headers, headers_len, call.limits()) }? {
            Err(e) => frontproxy_decision::from(&call.reject_refused_headers(e)),
            Ok(pairs) => {
                let request = RequestHeaders::from_pairs(&pairs);
                frontproxy_decision::from(&call.authenticate(&mut peer.inner, &request))
            }
        };
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, into_handle(decision)) };
        Ok(())
    })
}

/// Authenticates one request given its connection's chain (as for
/// `frontproxy_authenticator_verify_peer`, `resumed` included) and headers, for hosts that
/// keep no state per connection: the chain's verdicts are looked up in the verdict cache by
/// the presented bytes, and verified and filed on a miss. Otherwise as
/// `frontproxy_authenticator_authenticate`.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_authenticate_chain(
    authenticator: *const frontproxy_authenticator,
    certs: *const frontproxy_bytes,
    certs_len: usize,
    resumed: bool,
    headers: *const frontproxy_header,
    headers_len: usize,
    decision_out: *mut *mut frontproxy_decision,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(decision_out)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        let call = auth.inner.snapshot();
        // SAFETY: the caller guarantees headers_len elements at headers, each with its bytes.
        let headers = unsafe { read_headers(headers, headers_len, call.limits()) }?;
        // SAFETY: the caller guarantees certs_len elements at certs, each with its bytes.
        let chain = unsafe { read_chain(certs, certs_len, call.limits()) }?;
        let decision = match (headers, chain) {
            (Err(e), _) => frontproxy_decision::from(&call.reject_refused_headers(e)),
            (Ok(pairs), Err(e)) => frontproxy_decision::from(
                &call.reject_refused_chain(e, &RequestHeaders::from_pairs(&pairs)),
            ),
            (Ok(pairs), Ok(chain)) => frontproxy_decision::from(&call.authenticate_chain(
                &chain,
                handshake(resumed),
                &RequestHeaders::from_pairs(&pairs),
            )),
        };
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, into_handle(decision)) };
        Ok(())
    })
}

/// Frees an authenticator. Peers and decisions made by it stay valid. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_free(
    authenticator: *mut frontproxy_authenticator,
) {
    // SAFETY: `authenticator` is NULL or came from a constructor and is freed once, after
    // every other call on it returned.
    guard_value((), || unsafe { free_handle(authenticator) })
}
