//! [`Authenticator`]: the object a host shares across threads. It holds the current
//! [`AuthConfig`] behind an atomic pointer swap (requests in flight finish on the
//! configuration they started with), the verdict cache, the clock, and the configuration
//! source it reloads from.
//!
//! Every call takes **one** snapshot of the configuration and uses it throughout, so a reload
//! can never mix two generations within one request.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::{ArcSwap, Guard};
use rustls_pki_types::{CertificateDer, UnixTime};

use crate::clock::{Clock, SystemClock};
use crate::config::AuthConfig;
use crate::decision::{decide, refused, AuthenticationRef};
use crate::error::{AuthError, ConfigError};
use crate::headers::RequestHeaders;
use crate::limits::Limits;
use crate::metrics::{Metrics, Recorder};
use crate::peer::{verdicts_for, Handshake, Peer};
use crate::source::{ConfigSource, ReloadStatus, SourceWatch};
use crate::verdict_cache::{CacheOptions, CacheStats, VerdictCache};

/// Options of an [`Authenticator`].
#[derive(Clone)]
pub struct AuthenticatorOptions {
    /// `None` disables the verdict cache.
    pub cache: Option<CacheOptions>,
    /// The time source (the system clock by default; a `ManualClock` in tests).
    pub clock: Arc<dyn Clock>,
    /// How often, at most, a file-backed source is checked for changes.
    pub reload_interval: Duration,
    /// The bounds of configurations loaded from a source (a configuration built by hand
    /// carries its own).
    pub limits: Limits,
}

impl Default for AuthenticatorOptions {
    fn default() -> Self {
        AuthenticatorOptions {
            cache: Some(CacheOptions::default()),
            clock: Arc::new(SystemClock),
            reload_interval: Duration::from_secs(10),
            limits: Limits::DEFAULT,
        }
    }
}

/// Shared by all threads of a host: authenticate requests, reload atomically.
pub struct Authenticator {
    current: ArcSwap<AuthConfig>,
    cache: Option<VerdictCache>,
    clock: Arc<dyn Clock>,
    source: SourceWatch,
    metrics: Recorder,
}

impl Authenticator {
    /// An authenticator with the default cache and the system clock.
    pub fn new(config: AuthConfig) -> Authenticator {
        Self::with_options(config, AuthenticatorOptions::default())
    }

    /// An authenticator with these options.
    pub fn with_options(config: AuthConfig, options: AuthenticatorOptions) -> Authenticator {
        let watch = Self::source_watch(&options);
        Self::assemble(config, options, watch)
    }

    fn source_watch(options: &AuthenticatorOptions) -> SourceWatch {
        SourceWatch::new(
            options.limits,
            i64::try_from(options.reload_interval.as_secs()).unwrap_or(i64::MAX),
        )
    }

    fn assemble(
        config: AuthConfig,
        options: AuthenticatorOptions,
        source: SourceWatch,
    ) -> Authenticator {
        Authenticator {
            metrics: Recorder::new(config.generation),
            current: ArcSwap::from_pointee(config),
            cache: options.cache.map(VerdictCache::new),
            clock: options.clock,
            source,
        }
    }

    /// Loads `source` now (an error here is fatal: there is no last good configuration yet)
    /// and, when it has files, re-checks them at most every `options.reload_interval` on the
    /// request path.
    pub fn from_source(
        source: ConfigSource,
        options: AuthenticatorOptions,
    ) -> Result<Authenticator, ConfigError> {
        let watch = Self::source_watch(&options);
        let config = watch.load(source, options.clock.now().as_secs() as i64)?;
        Ok(Self::assemble(config, options, watch))
    }

    /// Loads `source`, swaps it in, and from now on watches its files instead of the previous
    /// source's (a document has none: nothing is watched then). On error nothing changes
    /// except the [`ReloadStatus`], which records it.
    pub fn replace_source(&self, source: ConfigSource) -> Result<(), ConfigError> {
        let config = self.source.load(source, self.now_secs())?;
        self.swap(config);
        Ok(())
    }

    /// Records a configuration that a host failed to even describe as a source (e.g. flag
    /// arguments that do not parse), so that [`Authenticator::reload_status`] reports it.
    pub fn record_failed_reload(&self, error: &ConfigError) {
        self.source.record_failure(error);
    }

    /// Stops watching files (the configuration in force stays).
    pub fn stop_watching(&self) {
        self.source.stop();
    }

    /// The configuration in force now.
    pub fn config(&self) -> Arc<AuthConfig> {
        self.current.load_full()
    }

    /// Swaps in a new configuration atomically. Requests in flight finish on the old one;
    /// cached verdicts and connection handles of the old generation are verified again.
    pub fn reload(&self, config: AuthConfig) {
        self.swap(config);
    }

    fn swap(&self, config: AuthConfig) {
        // The front-proxy expiry starts over for the new generation, in step with the swap.
        self.metrics.reload(config.generation, || {
            self.current.store(Arc::new(config));
        });
        self.source.record_reload();
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }

    /// Checks the file-backed source now. `Ok(true)` when a new configuration was swapped in;
    /// `Err` when the files changed but do not load (the last good configuration stays).
    pub fn check_source(&self) -> Result<bool, ConfigError> {
        match self.source.check()? {
            Some(config) => {
                self.swap(config);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Reload counters and the last reload error (cleared by the next successful reload).
    pub fn reload_status(&self) -> ReloadStatus {
        self.source.status()
    }

    fn now_secs(&self) -> i64 {
        self.clock.now().as_secs() as i64
    }

    /// The configuration and the time for one call, after the request-path check of the
    /// source. Everything the call does uses this one snapshot, so a reload cannot mix two
    /// generations within one request.
    pub fn snapshot(&self) -> Snapshot<'_> {
        let now = self.clock.now();
        if self.source.due(now.as_secs() as i64) {
            let _ = self.check_source();
        }
        Snapshot {
            config: self.current.load(),
            now,
            cache: self.cache.as_ref(),
            metrics: &self.metrics,
        }
    }

    /// Per-connection path, step 1: the verdicts on a connection's chain (leaf first; empty =
    /// no client certificate), made once (at the handshake or on the first request) and kept
    /// with the connection. `handshake` says whether the TLS session was resumed.
    pub fn verify_peer(&self, chain: &[CertificateDer<'_>], handshake: Handshake) -> Peer {
        self.snapshot().verify_peer(chain, handshake)
    }

    /// Per-connection path, step 2: the header step for one request. When the configuration
    /// changed since the handle was verified, or a certificate of its path expired, the handle
    /// is renewed before anything is trusted.
    #[inline]
    pub fn authenticate<'r>(
        &self,
        peer: &mut Peer,
        headers: &RequestHeaders<'r>,
    ) -> AuthenticationRef<'r> {
        self.snapshot().authenticate(peer, headers)
    }

    /// Verdict-cache path, for hosts without per-connection state: the chain's verdicts are
    /// looked up by the presented bytes; a miss verifies them and files the result.
    /// `handshake` says whether the TLS session was resumed.
    #[inline]
    pub fn authenticate_chain<'r>(
        &self,
        chain: &[CertificateDer<'_>],
        handshake: Handshake,
        headers: &RequestHeaders<'r>,
    ) -> AuthenticationRef<'r> {
        self.snapshot()
            .authenticate_chain(chain, handshake, headers)
    }

    /// Cache counters (all zero without a cache).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
            .as_ref()
            .map(VerdictCache::stats)
            .unwrap_or_default()
    }

    /// The cache options, `None` without a cache.
    pub fn cache_options(&self) -> Option<&CacheOptions> {
        self.cache.as_ref().map(VerdictCache::options)
    }

    /// A snapshot of the metrics: decisions by outcome, reason and authenticator, the verdict
    /// cache, reloads, the generation in force, and the seconds until the configured CAs and
    /// the front-proxy certificates seen expire. Render it with [`Metrics::to_prometheus`].
    /// Reads counters only: it does not check the configuration source.
    pub fn metrics(&self) -> Metrics {
        let reloads = self.source.status();
        self.metrics.snapshot(
            &self.current.load(),
            self.now_secs(),
            self.cache_stats(),
            reloads.reloads,
            reloads.failures,
        )
    }
}

/// One call's view of an [`Authenticator`]: the configuration in force when the call began,
/// and the time. A host that checks its inputs' shape itself (the C ABI) takes the bounds from
/// the same snapshot it then authenticates with.
pub struct Snapshot<'a> {
    config: Guard<Arc<AuthConfig>>,
    now: UnixTime,
    cache: Option<&'a VerdictCache>,
    metrics: &'a Recorder,
}

impl Snapshot<'_> {
    /// The configuration this call uses.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The bounds of this snapshot's configuration.
    pub fn limits(&self) -> &Limits {
        &self.config.limits
    }

    /// See [`Authenticator::verify_peer`].
    pub fn verify_peer(&self, chain: &[CertificateDer<'_>], handshake: Handshake) -> Peer {
        let peer = Peer::new(&self.config, chain, handshake, self.now, self.cache);
        self.metrics.see(peer.verdicts());
        peer
    }

    /// A handle for a connection whose chain a host refused by its shape before reading it
    /// (too many certificates, or one too large: see [`Limits::check_chain`]). Every request
    /// on it is rejected with `error`, after the header checks.
    pub fn refused_peer(&self, error: AuthError) -> Peer {
        Peer::refused(&self.config, error, self.now)
    }

    /// See [`Authenticator::authenticate`].
    pub fn authenticate<'r>(
        &self,
        peer: &mut Peer,
        headers: &RequestHeaders<'r>,
    ) -> AuthenticationRef<'r> {
        let (verdicts, from_cache) = peer.current(&self.config, self.now, self.cache);
        self.metrics.see(verdicts);
        let result = decide(&self.config, verdicts, headers, from_cache);
        self.metrics.count(&result.decision);
        result
    }

    /// See [`Authenticator::authenticate_chain`].
    pub fn authenticate_chain<'r>(
        &self,
        chain: &[CertificateDer<'_>],
        handshake: Handshake,
        headers: &RequestHeaders<'r>,
    ) -> AuthenticationRef<'r> {
        let verdicts = verdicts_for(&self.config, chain, handshake, self.now, self.cache);
        self.metrics.see(&verdicts);
        let result = decide(&self.config, &verdicts, headers, verdicts.came_from_cache());
        self.count_chain_path(&result);
        result
    }

    /// For a host that refused a request's chain by its shape before reading it: the
    /// rejection the verdict-cache path gives such a chain (header checks first).
    pub fn reject_refused_chain<'r>(
        &self,
        error: AuthError,
        headers: &RequestHeaders<'r>,
    ) -> AuthenticationRef<'r> {
        let peer = Peer::refused(&self.config, error, self.now);
        let result = decide(&self.config, peer.verdicts(), headers, false);
        self.count_chain_path(&result);
        result
    }

    /// For a host that refused a request's headers by their shape before reading them (see
    /// [`Limits::check_headers`]).
    pub fn reject_refused_headers<'r>(&self, error: AuthError) -> AuthenticationRef<'r> {
        let result = refused(&self.config, error);
        self.metrics.count(&result.decision);
        result
    }

    /// Counts a decision of the verdict-cache path (or of a chain refused on it) as it leaves:
    /// in the metrics, and as a cache-path rejection.
    fn count_chain_path(&self, result: &AuthenticationRef<'_>) {
        self.metrics.count(&result.decision);
        if let (Some(cache), true) = (self.cache, result.is_rejected()) {
            cache.count_rejection();
        }
    }
}
