//! Metrics of a `frontproxy_authenticator` (wraps [`crate::Authenticator::metrics`]): the
//! numbers as a plain struct, or the whole set rendered in the Prometheus text exposition
//! format into a caller's buffer.

use std::ffi::c_char;

use super::authenticator::frontproxy_authenticator;
use super::boundary::{from_ref, guard, out_ptr, write_out};
use super::message::render;
use super::result::frontproxy_result;
use crate::{AuthenticatorKind, Metrics};

/// Slots of `frontproxy_metrics.rejections_by_reason`.
const REASON_SLOTS: usize = 32;

// Every reason number has its slot (numbers are only appended; a 33rd reason needs a new
// struct, and this fails to compile first).
const _: () = assert!(crate::Reason::ALL.len() < REASON_SLOTS);

/// A snapshot of an authenticator's metrics (`frontproxy_authenticator_metrics`). Counters
/// count since the authenticator was created.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct frontproxy_metrics {
    /// Decisions by outcome: `FRONTPROXY_OUTCOME_AUTHENTICATED`, `_ANONYMOUS`, `_REJECTED`.
    pub authenticated: u64,
    /// Requests served as `system:anonymous`.
    pub anonymous: u64,
    /// Requests rejected (HTTP 401).
    pub rejected: u64,
    /// Authenticated decisions by authenticator (`FRONTPROXY_AUTHENTICATOR_KIND_REQUEST_HEADER`,
    /// `_X509`); they sum to `authenticated`.
    pub authenticated_requestheader: u64,
    /// Requests authenticated by the x509 authenticator.
    pub authenticated_x509: u64,
    /// Rejected decisions by reason number: `rejections_by_reason[n]` counts reason `n`
    /// (`frontproxy_reason`, 1 to 20 today). Index 0 and the indexes of numbers not assigned
    /// yet (21 to 31, for reasons appended later) are 0. The elements sum to `rejected`.
    pub rejections_by_reason: [u64; 32],
    /// The verdict cache (all zero without a cache): lookups that hit and missed, entries
    /// filed and evicted, and the entries and approximate bytes held now.
    pub cache_hits: u64,
    /// Verdict-cache lookups that did not (the chain was verified).
    pub cache_misses: u64,
    /// Verdicts filed in the cache.
    pub cache_insertions: u64,
    /// Cache entries removed to stay within the bounds.
    pub cache_evictions: u64,
    /// Cache entries held now.
    pub cache_entries: u64,
    /// Bytes (approximate) the cache holds now.
    pub cache_bytes: u64,
    /// Configurations swapped in after the first, and configurations that failed to load
    /// (the previous one stayed in force).
    pub reloads: u64,
    /// Configurations that failed to load (the previous one stayed in force).
    pub reload_failures: u64,
    /// The generation of the configuration in force (as in `frontproxy_decision_view.generation`).
    pub generation: u64,
    /// Seconds until the earliest notAfter among the request-header CA bundle's certificates
    /// (negative once one has expired); meaningful only when `has_requestheader_ca_expiry`.
    pub requestheader_ca_expiry_seconds: i64,
    /// The same for the client CA bundle; meaningful only when `has_client_ca_expiry`.
    pub client_ca_expiry_seconds: i64,
    /// Seconds until the earliest notAfter on the paths of the front-proxy chains trusted
    /// since the last reload (negative once passed); meaningful only when
    /// `has_front_proxy_expiry` (false until one is seen).
    pub front_proxy_expiry_seconds: i64,
    /// Whether `requestheader_ca_expiry_seconds` holds a value.
    pub has_requestheader_ca_expiry: bool,
    /// Whether `client_ca_expiry_seconds` holds a value.
    pub has_client_ca_expiry: bool,
    /// Whether `front_proxy_expiry_seconds` holds a value.
    pub has_front_proxy_expiry: bool,
}

impl From<&Metrics> for frontproxy_metrics {
    fn from(m: &Metrics) -> Self {
        let mut rejections_by_reason = [0u64; REASON_SLOTS];
        for &(reason, n) in &m.by_reason {
            if let Some(slot) = rejections_by_reason.get_mut(reason.number() as usize) {
                *slot = n;
            }
        }
        let expiry = |v: Option<i64>| (v.unwrap_or(0), v.is_some());
        let (requestheader_ca, has_requestheader_ca) = expiry(m.requestheader_ca_expiry_seconds);
        let (client_ca, has_client_ca) = expiry(m.client_ca_expiry_seconds);
        let (front_proxy, has_front_proxy) = expiry(m.front_proxy_expiry_seconds);
        frontproxy_metrics {
            authenticated: m.authenticated,
            anonymous: m.anonymous,
            rejected: m.rejected,
            authenticated_requestheader: m.authenticated_by(AuthenticatorKind::RequestHeader),
            authenticated_x509: m.authenticated_by(AuthenticatorKind::X509),
            rejections_by_reason,
            cache_hits: m.cache.hits,
            cache_misses: m.cache.misses,
            cache_insertions: m.cache.insertions,
            cache_evictions: m.cache.evictions,
            cache_entries: m.cache.entries,
            cache_bytes: m.cache.bytes,
            reloads: m.reloads,
            reload_failures: m.reload_failures,
            generation: m.generation,
            requestheader_ca_expiry_seconds: requestheader_ca,
            client_ca_expiry_seconds: client_ca,
            front_proxy_expiry_seconds: front_proxy,
            has_requestheader_ca_expiry: has_requestheader_ca,
            has_client_ca_expiry: has_client_ca,
            has_front_proxy_expiry: has_front_proxy,
        }
    }
}

/// Copies a snapshot of the authenticator's metrics into `*metrics_out` (see
/// `frontproxy_metrics`). Reads counters only; safe to call from any thread at any time.
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_metrics(
    authenticator: *const frontproxy_authenticator,
    metrics_out: *mut frontproxy_metrics,
) -> frontproxy_result {
    guard(|| {
        let out = out_ptr(metrics_out)?;
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        let metrics = frontproxy_metrics::from(&auth.inner.metrics());
        // SAFETY: `out` is checked and writable.
        unsafe { write_out(out, metrics) };
        Ok(())
    })
}

/// Writes the authenticator's metrics in the Prometheus text exposition format (version
/// 0.0.4: `# HELP` and `# TYPE` lines, then `name{label="value"} number` lines; the README's
/// "Metrics" section lists them) into `buf` as a NUL-terminated string, and its length
/// (without the NUL) into `*out_len`. `FRONTPROXY_RESULT_BUFFER_TOO_SMALL` when `buf_len` is
/// not greater than the length: only `*out_len` is written then (the text is about 4.5 KiB;
/// its length can change between two calls as the counters grow, so leave some room).
#[no_mangle]
pub unsafe extern "C" fn frontproxy_authenticator_metrics_prometheus(
    authenticator: *const frontproxy_authenticator,
    buf: *mut c_char,
    buf_len: usize,
    out_len: *mut usize,
) -> frontproxy_result {
    guard(|| {
        // SAFETY: `authenticator` is NULL or a live authenticator.
        let auth = unsafe { from_ref(authenticator) }?;
        let text = auth.inner.metrics().to_prometheus();
        // SAFETY: the caller passes a buffer of buf_len bytes (or NULL) and a size_t pointer.
        unsafe { render(&text, buf, buf_len, out_len) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reason_lands_in_the_slot_of_its_number() {
        let metrics = Metrics {
            authenticated: 0,
            anonymous: 0,
            rejected: 0,
            by_authenticator: Vec::new(),
            by_reason: crate::Reason::ALL
                .iter()
                .map(|&r| (r, u64::from(r.number()) * 10))
                .collect(),
            cache: crate::CacheStats::default(),
            reloads: 0,
            reload_failures: 0,
            generation: 0,
            requestheader_ca_expiry_seconds: Some(-5),
            client_ca_expiry_seconds: None,
            front_proxy_expiry_seconds: None,
        };
        let c = frontproxy_metrics::from(&metrics);
        assert_eq!(c.rejections_by_reason[0], 0);
        for r in crate::Reason::ALL {
            let n = r.number() as usize;
            assert_eq!(c.rejections_by_reason[n], n as u64 * 10);
        }
        assert!(c.rejections_by_reason[crate::Reason::ALL.len() + 1..]
            .iter()
            .all(|&n| n == 0));
        assert!(c.has_requestheader_ca_expiry && c.requestheader_ca_expiry_seconds == -5);
        assert!(!c.has_client_ca_expiry && !c.has_front_proxy_expiry);
    }
}
