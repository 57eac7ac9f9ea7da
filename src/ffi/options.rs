//! `frontproxy_options`: how an authenticator is run (verdict cache, file re-check interval).
//! What it authenticates comes from the flags or the ConfigMap, not from here.

use std::time::Duration;

use super::boundary::{free_handle, from_mut, guard, guard_value, into_handle, out_ptr, write_out};
use super::result::frontproxy_result;
use crate::{AuthenticatorOptions, CacheOptions};

/// Options for creating an authenticator; copied by the constructor, so they may be freed
/// (or reused) right after. Not thread-safe: set them up on one thread.
pub struct frontproxy_options {
    pub(crate) cache: Option<CacheOptions>,
    /// `None`: never re-check the files on the request path.
    pub(crate) reload_interval: Option<Duration>,
}

impl Default for frontproxy_options {
    fn default() -> Self {
        let defaults = AuthenticatorOptions::default();
        frontproxy_options {
            cache: defaults.cache,
            reload_interval: Some(defaults.reload_interval),
        }
    }
}

impl frontproxy_options {
    pub(crate) fn to_authenticator_options(&self) -> AuthenticatorOptions {
        AuthenticatorOptions {
            cache: self.cache,
            // "Never" is an interval no clock reaches (the core saturates it).
            reload_interval: self
                .reload_interval
                .unwrap_or(Duration::from_secs(u64::MAX)),
            ..AuthenticatorOptions::default()
        }
    }
}

/// Creates options with the defaults: a verdict cache of 65536 entries / 64 MiB, positive
/// entries kept at most 300 s and negative ones 10 s; file-backed configurations re-checked
/// at most every 10 s on the request path.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_options_new(
    options_out: *mut *mut frontproxy_options,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(options_out)?;
        // SAFETY: checked non-NULL; the caller provides writable storage for a pointer.
        unsafe { write_out(out, into_handle(frontproxy_options::default())) };
        Ok(())
    })
}

/// Sizes the verdict cache (used by `frontproxy_authenticator_authenticate_chain`):
/// `max_entries` 0 disables it; otherwise `max_bytes` must be at least 1.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_options_set_cache(
    options: *mut frontproxy_options,
    max_entries: usize,
    max_bytes: usize,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `options` is NULL or a live options object used by this thread only.
        let options = unsafe { from_mut(options) }?;
        if max_entries == 0 {
            options.cache = None;
            return Ok(());
        }
        if max_bytes == 0 {
            return Err(frontproxy_result::InvalidArgument);
        }
        let cache = options.cache.get_or_insert_with(CacheOptions::default);
        cache.max_entries = max_entries;
        cache.max_bytes = max_bytes;
        Ok(())
    })
}

/// Sets the longest life of positive and negative cache entries, in seconds (each at least 1;
/// an entry never outlives the certificates that made it true, whatever these say).
/// `FRONTPROXY_RESULT_INVALID_ARGUMENT` when the cache is disabled or a value is 0.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_options_set_cache_ttl(
    options: *mut frontproxy_options,
    positive_secs: u64,
    negative_secs: u64,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `options` is NULL or a live options object used by this thread only.
        let options = unsafe { from_mut(options) }?;
        let cache = options
            .cache
            .as_mut()
            .ok_or(frontproxy_result::InvalidArgument)?;
        if positive_secs == 0 || negative_secs == 0 {
            return Err(frontproxy_result::InvalidArgument);
        }
        cache.positive_ttl = Duration::from_secs(positive_secs);
        cache.negative_ttl = Duration::from_secs(negative_secs);
        Ok(())
    })
}

/// For authenticators backed by files (the CA files named by flags, or a ConfigMap file):
/// re-check them at most every `seconds` on the request path (no background thread).
/// 0 means never automatically; `frontproxy_authenticator_check_source` still checks on demand.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_options_set_reload_interval(
    options: *mut frontproxy_options,
    seconds: u64,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `options` is NULL or a live options object used by this thread only.
        let options = unsafe { from_mut(options) }?;
        options.reload_interval = (seconds != 0).then(|| Duration::from_secs(seconds));
        Ok(())
    })
}

/// Frees options. NULL is a no-op.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_options_free(options: *mut frontproxy_options) {
    // SAFETY: `options` is NULL or came from frontproxy_options_new and is freed once.
    guard_value((), || unsafe { free_handle(options) })
}
