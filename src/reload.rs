//! [`Authenticator`]: the object a host shares across threads. It holds the current
//! [`AuthConfig`] behind an atomic pointer swap (requests in flight finish on the
//! configuration they started with), the decision cache, the clock, and an optional
//! file-backed source that is re-checked at most every N seconds **without a background
//! thread** — the check is folded into the request path, because hosts such as nginx fork
//! worker processes that do not inherit threads.
//!
//! A content change (SHA-256 of the files), not an mtime change, triggers a reload; files are
//! read through their path, so a symlink swap (how Kubernetes updates mounted ConfigMaps and
//! Secrets) is seen. A configuration that fails to load is reported and the last good one
//! stays in force.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use parking_lot::Mutex;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::authenticator::{Authentication, Decision, PeerVerification};
use crate::bundle::ConfigError;
use crate::cache::{CacheOptions, CacheStats, ChainDigest, DecisionCache, Lookup};
use crate::clock::{Clock, SystemClock};
use crate::config::AuthConfig;
use crate::configmap::config_from_configmap;
use crate::flags::KubeAuthFlags;
use crate::headers::RequestHeaders;

/// The files of a source, as (path, contents).
type SourceFiles = Vec<(String, Vec<u8>)>;

/// Where a reloadable configuration comes from.
#[derive(Clone, Debug)]
pub enum ConfigSource {
    /// kube-apiserver-style flags; the CA files they name are watched.
    Flags(KubeAuthFlags),
    /// A ConfigMap document (JSON or YAML) in a file.
    ConfigMapFile(PathBuf),
}

impl ConfigSource {
    /// The files to read, each with the flag or key that names it in errors.
    fn paths(&self) -> Vec<(&'static str, String)> {
        match self {
            ConfigSource::Flags(f) => f
                .requestheader_client_ca_file
                .iter()
                .map(|p| (crate::flags::REQUESTHEADER_CLIENT_CA_FILE, p.clone()))
                .chain(
                    f.client_ca_file
                        .iter()
                        .map(|p| (crate::flags::CLIENT_CA_FILE, p.clone())),
                )
                .collect(),
            ConfigSource::ConfigMapFile(p) => vec![("configmap", p.to_string_lossy().into_owned())],
        }
    }

    /// Reads every file once; returns their contents and a digest over all of them.
    fn read(&self) -> Result<(SourceFiles, [u8; 32]), ConfigError> {
        let mut h = Sha256::new();
        let mut files = Vec::new();
        for (label, path) in self.paths() {
            let bytes = crate::config::read_config_file(&path)
                .map_err(|e| ConfigError::new(label, format!("cannot read {path:?}: {e}")))?;
            h.update((path.len() as u64).to_be_bytes());
            h.update(path.as_bytes());
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(&bytes);
            files.push((path, bytes));
        }
        Ok((files, h.finalize().into()))
    }

    fn build(&self, files: &[(String, Vec<u8>)]) -> Result<AuthConfig, ConfigError> {
        match self {
            ConfigSource::Flags(flags) => flags.to_config_with(|p| {
                files
                    .iter()
                    .find(|(path, _)| path == p)
                    .map(|(_, b)| b.clone())
                    .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "not read"))
            }),
            ConfigSource::ConfigMapFile(_) => config_from_configmap(&files[0].1),
        }
    }

    /// Loads the configuration once.
    pub fn load(&self) -> Result<AuthConfig, ConfigError> {
        let (files, _) = self.read()?;
        self.build(&files)
    }
}

/// Options of an [`Authenticator`].
#[derive(Clone)]
pub struct AuthenticatorOptions {
    /// `None` disables the decision cache.
    pub cache: Option<CacheOptions>,
    pub clock: Arc<dyn Clock>,
    /// How often, at most, a file-backed source is checked for changes.
    pub reload_interval: Duration,
}

impl Default for AuthenticatorOptions {
    fn default() -> Self {
        AuthenticatorOptions {
            cache: Some(CacheOptions::default()),
            clock: Arc::new(SystemClock),
            reload_interval: Duration::from_secs(10),
        }
    }
}

struct WatchedSource {
    source: ConfigSource,
    /// Digest of the files last tried (good or bad), so the same bad content is not parsed
    /// again and again.
    last_digest: [u8; 32],
}

/// Reload counters and the last error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    pub reloads: u64,
    pub failures: u64,
    pub last_error: Option<ConfigError>,
}

/// Shared by all threads of a host: authenticate requests, reload atomically.
pub struct Authenticator {
    current: ArcSwap<AuthConfig>,
    cache: Option<DecisionCache>,
    clock: Arc<dyn Clock>,
    watched: Mutex<Option<WatchedSource>>,
    interval_secs: i64,
    next_check: AtomicI64,
    reloads: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<ConfigError>>,
}

impl Authenticator {
    /// An authenticator with the default cache and the system clock.
    pub fn new(config: AuthConfig) -> Authenticator {
        Self::with_options(config, AuthenticatorOptions::default())
    }

    pub fn with_options(config: AuthConfig, options: AuthenticatorOptions) -> Authenticator {
        Authenticator {
            current: ArcSwap::from_pointee(config),
            cache: options.cache.map(DecisionCache::new),
            clock: options.clock,
            watched: Mutex::new(None),
            interval_secs: i64::try_from(options.reload_interval.as_secs()).unwrap_or(i64::MAX),
            next_check: AtomicI64::new(i64::MAX),
            reloads: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    /// Loads `source` now (an error here is fatal: there is no last good configuration yet)
    /// and re-checks it at most every `options.reload_interval` on the request path.
    pub fn from_source(
        source: ConfigSource,
        options: AuthenticatorOptions,
    ) -> Result<Authenticator, ConfigError> {
        let (files, digest) = source.read()?;
        let config = source.build(&files)?;
        let auth = Self::with_options(config, options);
        auth.watch(source, digest);
        Ok(auth)
    }

    /// Loads `source`, swaps it in, and from now on watches its files instead of the previous
    /// source's. On error nothing changes (the previous source stays watched).
    pub fn replace_source(&self, source: ConfigSource) -> Result<(), ConfigError> {
        let (files, digest) = source.read()?;
        let config = source.build(&files)?;
        self.reload(config);
        self.watch(source, digest);
        Ok(())
    }

    /// Stops watching files (after a reload from a document that has no file behind it).
    pub fn stop_watching(&self) {
        *self.watched.lock() = None;
        self.next_check.store(i64::MAX, Ordering::Relaxed);
    }

    fn watch(&self, source: ConfigSource, digest: [u8; 32]) {
        *self.watched.lock() = Some(WatchedSource {
            source,
            last_digest: digest,
        });
        let now = self.clock.now().as_secs() as i64;
        self.next_check.store(
            now.saturating_add(self.interval_secs.max(1)),
            Ordering::Relaxed,
        );
    }

    /// The configuration in force now.
    pub fn config(&self) -> Arc<AuthConfig> {
        self.current.load_full()
    }

    /// Swaps in a new configuration atomically. Requests in flight finish on the old one;
    /// cached verdicts and connection handles of the old generation are verified again.
    pub fn reload(&self, config: AuthConfig) {
        self.current.store(Arc::new(config));
        self.reloads.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = None;
        if let Some(cache) = &self.cache {
            cache.clear();
        }
    }

    /// Checks the file-backed source now. `Ok(true)` when a new configuration was swapped in;
    /// `Err` when the files changed but do not load (the last good configuration stays).
    pub fn check_source(&self) -> Result<bool, ConfigError> {
        let mut guard = self.watched.lock();
        let Some(watched) = guard.as_mut() else {
            return Ok(false);
        };
        let result = watched.source.read().and_then(|(files, digest)| {
            if digest == watched.last_digest {
                return Ok(None);
            }
            watched.last_digest = digest;
            watched.source.build(&files).map(Some)
        });
        drop(guard);
        match result {
            Ok(None) => Ok(false),
            Ok(Some(config)) => {
                self.reload(config);
                Ok(true)
            }
            Err(e) => {
                self.failures.fetch_add(1, Ordering::Relaxed);
                *self.last_error.lock() = Some(e.clone());
                Err(e)
            }
        }
    }

    /// The request-path check: at most one thread per interval reads the files.
    fn maybe_check_source(&self, now: i64) {
        let due = self.next_check.load(Ordering::Relaxed);
        if now < due {
            return;
        }
        let next = now.saturating_add(self.interval_secs.max(1));
        if self
            .next_check
            .compare_exchange(due, next, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            let _ = self.check_source();
        }
    }

    /// Reload counters and the last reload error (cleared by the next successful reload).
    pub fn reload_status(&self) -> ReloadStatus {
        ReloadStatus {
            reloads: self.reloads.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
        }
    }

    /// Per-connection path, step 1: verify the peer chain once (at the handshake or on the
    /// first request) and keep the handle with the connection.
    pub fn verify_peer(&self, chain: &[CertificateDer<'_>]) -> PeerVerification {
        let now = self.clock.now();
        self.maybe_check_source(now.as_secs() as i64);
        self.current.load().verify_peer(chain, now)
    }

    /// Per-connection path, step 2: the header step for one request. When the configuration
    /// changed since the handle was verified, or a certificate of its path expired, the handle
    /// is verified again (and updated) before anything is trusted.
    pub fn authenticate(
        &self,
        peer: &mut PeerVerification,
        headers: &RequestHeaders<'_>,
    ) -> Authentication {
        let now = self.clock.now();
        self.maybe_check_source(now.as_secs() as i64);
        let config = self.current.load();
        if !peer.holds_for(&config, now) {
            let chain = peer.chain.clone();
            match chain {
                Some(chain) => {
                    let mut fresh = config.verify_verdicts(&chain, now);
                    fresh.chain = Some(chain);
                    *peer = fresh;
                }
                None => return config.authenticate(peer, headers, now),
            }
        }
        config.decide(peer, headers)
    }

    /// Digest-cache path, for hosts without per-connection state: the chain is looked up by
    /// its digest; a miss verifies it and files the verdict.
    pub fn authenticate_chain(
        &self,
        chain: &[CertificateDer<'_>],
        headers: &RequestHeaders<'_>,
    ) -> Authentication {
        let now = self.clock.now();
        let now_secs = now.as_secs() as i64;
        self.maybe_check_source(now_secs);
        let config = self.current.load();
        let Some(cache) = &self.cache else {
            return config.authenticate_request(chain, headers, now);
        };
        let limits = config.limits();
        if chain.is_empty()
            || chain.len() > limits.max_chain_certificates
            || chain.iter().any(|c| c.len() > limits.max_certificate_bytes)
        {
            // Nothing to remember, or rejected before any hashing: never digest unbounded input.
            return config.authenticate_request(chain, headers, now);
        }
        let digest = ChainDigest::of_chain(chain);
        let generation = config.generation;
        let mut hit = cache.with_entry(&digest, generation, now_secs, false, |v| {
            (crate::cache::is_positive(v), config.decide(v, headers))
        });
        // A resumed TLS session may present only the leaf: a positive verdict reached earlier
        // with its intermediates outranks a negative one for the leaf alone.
        if chain.len() == 1 && !matches!(hit, Lookup::Hit((true, _))) {
            let leaf_key = ChainDigest::of_leaf(&chain[0]);
            if let Lookup::Hit(result) =
                cache.with_entry(&leaf_key, generation, now_secs, true, |v| {
                    (true, config.decide(v, headers))
                })
            {
                hit = Lookup::Hit(result);
            }
        }
        let result = match hit {
            Lookup::Hit((_, mut result)) => {
                cache.count_hit();
                result.from_cache = true;
                result
            }
            Lookup::Miss => {
                cache.count_miss();
                let verdict = config.verify_verdicts(chain, now);
                cache.insert(chain, digest, &verdict, now_secs);
                config.decide(&verdict, headers)
            }
        };
        if matches!(result.decision, Decision::Rejected(_)) {
            cache.count_rejection();
        }
        result
    }

    /// Cache counters (all zero without a cache).
    pub fn cache_stats(&self) -> CacheStats {
        self.cache
            .as_ref()
            .map(DecisionCache::stats)
            .unwrap_or_default()
    }

    pub fn cache(&self) -> Option<&DecisionCache> {
        self.cache.as_ref()
    }
}
