//! Metrics: what an operator watches — decisions by outcome, rejection reason and
//! authenticator, the verdict cache, reloads, the configuration generation in force, and how
//! long until the configured CAs and the front-proxy certificates seen expire.
//!
//! [`Recorder`] counts on the request path: one relaxed increment on a per-thread stripe
//! (cache-line aligned, indexed by the same thread-local stripe index as the verdict cache's
//! counters), so two cores counting never write the same cache line. The earliest `notAfter`
//! of the front-proxy chains seen is a generation-tagged minimum behind a mutex, taken only
//! when a verdict lowers it (a relaxed read of the current minimum decides that), and reset by
//! each reload.
//!
//! [`crate::Authenticator::metrics`] sums the stripes into a [`Metrics`] snapshot, which
//! renders itself in the Prometheus text exposition format ([`Metrics::write_prometheus`]).

use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;

use crate::config::AuthConfig;
use crate::decision::{AuthenticatorKind, DecisionRef};
use crate::error::Reason;
use crate::verdict::{PeerVerification, ProxyVerdict};
use crate::verdict_cache::{stripe_index, CacheStats, STRIPES};

/// Counter slots for rejections, indexed by reason number (0 unused).
const REASON_SLOTS: usize = Reason::ALL.len() + 1;

// Reason numbers are 1..=ALL.len(), in order: each has its slot.
const _: () = {
    let mut i = 0;
    while i < Reason::ALL.len() {
        assert!(Reason::ALL[i] as usize == i + 1);
        i += 1;
    }
};

/// The authenticators, in the order of their counter slots.
const KINDS: [AuthenticatorKind; 2] = [AuthenticatorKind::RequestHeader, AuthenticatorKind::X509];

fn kind_slot(kind: AuthenticatorKind) -> usize {
    match kind {
        AuthenticatorKind::RequestHeader => 0,
        AuthenticatorKind::X509 => 1,
    }
}

/// One thread's counters: a cache line (or a few) of its own.
#[repr(align(128))]
#[derive(Default)]
struct Stripe {
    authenticated: [AtomicU64; KINDS.len()],
    anonymous: AtomicU64,
    rejected: [AtomicU64; REASON_SLOTS],
}

/// The earliest `notAfter` among the front-proxy chains trusted under one generation.
struct Earliest {
    /// (generation, earliest notAfter; `i64::MAX` = none seen yet).
    state: Mutex<(u64, i64)>,
    /// A copy of the minimum, read without the lock: a verdict that does not lower it is done.
    hint: AtomicI64,
}

/// The counters an [`crate::Authenticator`] keeps.
pub(crate) struct Recorder {
    stripes: [Stripe; STRIPES],
    front_proxy: Earliest,
}

impl Recorder {
    pub(crate) fn new(generation: u64) -> Recorder {
        Recorder {
            stripes: Default::default(),
            front_proxy: Earliest {
                state: Mutex::new((generation, i64::MAX)),
                hint: AtomicI64::new(i64::MAX),
            },
        }
    }

    /// Counts one decision that leaves the authenticator.
    #[inline]
    pub(crate) fn count(&self, decision: &DecisionRef<'_>) {
        let stripe = &self.stripes[stripe_index()];
        let counter = match decision {
            DecisionRef::Authenticated { authenticator, .. } => {
                &stripe.authenticated[kind_slot(*authenticator)]
            }
            DecisionRef::Anonymous { .. } => &stripe.anonymous,
            DecisionRef::Rejected(e) => {
                let slot = (e.reason as usize).min(REASON_SLOTS - 1);
                &stripe.rejected[slot]
            }
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Notes the front-proxy chain of `verdicts` (when the request-header authenticator
    /// trusts it): its path's earliest `notAfter` is kept when it is the earliest seen under
    /// the generation in force.
    #[inline]
    pub(crate) fn see(&self, verdicts: &PeerVerification) {
        if let ProxyVerdict::Trusted(chain) = &verdicts.proxy {
            if chain.not_after < self.front_proxy.hint.load(Ordering::Relaxed) {
                self.lower_front_proxy(verdicts.generation, chain.not_after);
            }
        }
    }

    #[cold]
    fn lower_front_proxy(&self, generation: u64, not_after: i64) {
        let mut state = self.front_proxy.state.lock();
        // A verdict of another generation (a request in flight across a reload) is ignored.
        if state.0 == generation && not_after < state.1 {
            state.1 = not_after;
            self.front_proxy.hint.store(not_after, Ordering::Relaxed);
        }
    }

    /// Swaps in a configuration of `generation` with `store`, and starts the front-proxy
    /// minimum over for it. Both happen under the minimum's lock, so concurrent reloads leave
    /// it tagged with the generation that ends up in force, and a request that sees the new
    /// configuration finds the minimum already reset.
    pub(crate) fn reload(&self, generation: u64, store: impl FnOnce()) {
        let mut state = self.front_proxy.state.lock();
        *state = (generation, i64::MAX);
        self.front_proxy.hint.store(i64::MAX, Ordering::Relaxed);
        store();
    }

    /// The counters summed over the stripes, for the configuration in force `config` at `now`.
    pub(crate) fn snapshot(
        &self,
        config: &AuthConfig,
        now: i64,
        cache: CacheStats,
        reloads: u64,
        reload_failures: u64,
    ) -> Metrics {
        let mut authenticated = [0u64; KINDS.len()];
        let mut anonymous = 0;
        let mut rejected = [0u64; REASON_SLOTS];
        for s in self.stripes.iter() {
            for (sum, c) in authenticated.iter_mut().zip(&s.authenticated) {
                *sum += c.load(Ordering::Relaxed);
            }
            anonymous += s.anonymous.load(Ordering::Relaxed);
            for (sum, c) in rejected.iter_mut().zip(&s.rejected) {
                *sum += c.load(Ordering::Relaxed);
            }
        }
        let ca_expiry = |ca: Option<&crate::CaBundle>| {
            ca.and_then(|ca| ca.certificates().iter().map(|c| c.facts.not_after).min())
                .map(|not_after| not_after.saturating_sub(now))
        };
        let front_proxy = {
            let state = self.front_proxy.state.lock();
            (state.0 == config.generation && state.1 != i64::MAX)
                .then(|| state.1.saturating_sub(now))
        };
        Metrics {
            authenticated: authenticated.iter().sum(),
            anonymous,
            rejected: rejected.iter().sum(),
            by_authenticator: KINDS
                .iter()
                .map(|&k| (k, authenticated[kind_slot(k)]))
                .collect(),
            by_reason: Reason::ALL
                .iter()
                .map(|&r| (r, rejected[r as usize]))
                .collect(),
            cache,
            reloads,
            reload_failures,
            generation: config.generation,
            requestheader_ca_expiry_seconds: ca_expiry(config.request_header_ca()),
            client_ca_expiry_seconds: ca_expiry(config.client_ca()),
            front_proxy_expiry_seconds: front_proxy,
        }
    }
}

/// A snapshot of an [`crate::Authenticator`]'s metrics ([`crate::Authenticator::metrics`]).
/// Counters count since the authenticator was created; each is read without stopping the
/// others, so counts of requests in flight may be split between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metrics {
    /// Decisions that authenticated a user (all authenticators).
    pub authenticated: u64,
    /// Decisions that gave `system:anonymous`.
    pub anonymous: u64,
    /// Decisions that rejected the request (HTTP 401), all reasons.
    pub rejected: u64,
    /// Authenticated decisions by the authenticator that vouched for the user: every
    /// [`AuthenticatorKind`], request-header first.
    pub by_authenticator: Vec<(AuthenticatorKind, u64)>,
    /// Rejections by reason: every code of [`Reason::ALL`], in that order (zeros included).
    pub by_reason: Vec<(Reason, u64)>,
    /// The verdict cache's counters (all zero without a cache).
    pub cache: CacheStats,
    /// Configurations swapped in after the first (see [`crate::ReloadStatus`]).
    pub reloads: u64,
    /// Configurations that failed to load (the previous one stayed in force).
    pub reload_failures: u64,
    /// The generation of the configuration in force ([`AuthConfig::generation`]).
    pub generation: u64,
    /// Seconds from the snapshot until the earliest `notAfter` among the request-header CA
    /// bundle's certificates (negative when one has expired); `None` without that CA.
    pub requestheader_ca_expiry_seconds: Option<i64>,
    /// The same for the client CA bundle (`--client-ca-file`).
    pub client_ca_expiry_seconds: Option<i64>,
    /// Seconds until the earliest `notAfter` on the paths of the front-proxy chains trusted
    /// under the configuration in force (the anchor included; negative once passed); `None`
    /// until one has been seen since the last reload.
    pub front_proxy_expiry_seconds: Option<i64>,
}

impl Metrics {
    /// Authenticated decisions credited to `kind`.
    pub fn authenticated_by(&self, kind: AuthenticatorKind) -> u64 {
        self.by_authenticator
            .iter()
            .find(|(k, _)| *k == kind)
            .map_or(0, |(_, n)| *n)
    }

    /// Rejections for `reason`.
    pub fn rejections(&self, reason: Reason) -> u64 {
        self.by_reason
            .iter()
            .find(|(r, _)| *r == reason)
            .map_or(0, |(_, n)| *n)
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    pub fn to_prometheus(&self) -> String {
        let mut out = String::with_capacity(4096);
        // Writing into a String cannot fail.
        let _ = self.write_prometheus(&mut out);
        out
    }

    /// Writes the metrics in the Prometheus text exposition format (version 0.0.4): for each
    /// metric a `# HELP` and a `# TYPE` line, then its samples; counters end in `_total`.
    pub fn write_prometheus(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let mut family = |name: &str,
                          kind: &str,
                          help: &str,
                          samples: &[(Option<(&str, &str)>, i128)]|
         -> fmt::Result {
            writeln!(out, "# HELP {name} {help}")?;
            writeln!(out, "# TYPE {name} {kind}")?;
            for (label, value) in samples {
                match label {
                    Some((key, v)) => writeln!(out, "{name}{{{key}=\"{v}\"}} {value}")?,
                    None => writeln!(out, "{name} {value}")?,
                }
            }
            Ok(())
        };
        let n = |v: u64| i128::from(v);
        family(
            "frontproxy_authentication_attempts_total",
            "counter",
            "Authentication decisions by result: success (a user), anonymous (system:anonymous), failure (HTTP 401).",
            &[
                (Some(("result", "success")), n(self.authenticated)),
                (Some(("result", "anonymous")), n(self.anonymous)),
                (Some(("result", "failure")), n(self.rejected)),
            ],
        )?;
        let by_authenticator: Vec<_> = self
            .by_authenticator
            .iter()
            .map(|(k, v)| (Some(("authenticator", k.as_str())), n(*v)))
            .collect();
        family(
            "frontproxy_authenticated_requests_total",
            "counter",
            "Authenticated decisions by the authenticator that vouched for the user.",
            &by_authenticator,
        )?;
        let by_reason: Vec<_> = self
            .by_reason
            .iter()
            .map(|(r, v)| (Some(("reason", r.code())), n(*v)))
            .collect();
        family(
            "frontproxy_authentication_rejections_total",
            "counter",
            "Rejected decisions (HTTP 401) by reason code.",
            &by_reason,
        )?;
        family(
            "frontproxy_verdict_cache_requests_total",
            "counter",
            "Verdict-cache lookups by result.",
            &[
                (Some(("result", "hit")), n(self.cache.hits)),
                (Some(("result", "miss")), n(self.cache.misses)),
            ],
        )?;
        family(
            "frontproxy_verdict_cache_insertions_total",
            "counter",
            "Verdicts filed in the verdict cache.",
            &[(None, n(self.cache.insertions))],
        )?;
        family(
            "frontproxy_verdict_cache_evictions_total",
            "counter",
            "Verdict-cache entries evicted to stay within the bounds.",
            &[(None, n(self.cache.evictions))],
        )?;
        family(
            "frontproxy_verdict_cache_entries",
            "gauge",
            "Entries held in the verdict cache.",
            &[(None, n(self.cache.entries))],
        )?;
        family(
            "frontproxy_verdict_cache_bytes",
            "gauge",
            "Approximate bytes held by the verdict cache, stored chains included.",
            &[(None, n(self.cache.bytes))],
        )?;
        family(
            "frontproxy_config_reloads_total",
            "counter",
            "Configuration reloads by result: success (swapped in) or failure (the previous configuration stayed).",
            &[
                (Some(("result", "success")), n(self.reloads)),
                (Some(("result", "failure")), n(self.reload_failures)),
            ],
        )?;
        family(
            "frontproxy_config_generation",
            "gauge",
            "The generation number of the configuration in force.",
            &[(None, n(self.generation))],
        )?;
        let expiry: Vec<_> = [
            ("requestheader_ca", self.requestheader_ca_expiry_seconds),
            ("client_ca", self.client_ca_expiry_seconds),
            ("front_proxy", self.front_proxy_expiry_seconds),
        ]
        .into_iter()
        .filter_map(|(kind, v)| v.map(|v| (Some(("kind", kind)), i128::from(v))))
        .collect();
        family(
            "frontproxy_certificate_expiry_seconds",
            "gauge",
            "Seconds until the earliest notAfter among the configured CA certificates (requestheader_ca, client_ca) and on the paths of the front-proxy chains trusted since the last reload (front_proxy); negative once passed.",
            &expiry,
        )
    }
}
