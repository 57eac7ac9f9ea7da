//! Where a configuration comes from, and the record of reloading it.
//!
//! A [`ConfigSource`] is kube-apiserver-style flags (whose CA files are watched), a ConfigMap
//! file (watched), or a ConfigMap document held in memory (not watched: the host reloads it).
//! Reading is bounded by [`Limits`]. A watched source is re-checked at most every N seconds
//! **without a background thread** — the check is folded into the request path, because hosts
//! such as nginx fork worker processes that do not inherit threads. A content change
//! (SHA-256 of the files), not an mtime change, triggers a reload; files are read through
//! their path, so a symlink swap (how Kubernetes updates mounted ConfigMaps and Secrets) is
//! seen. A configuration that fails to load is recorded here ([`ReloadStatus`]) and the last
//! good one stays in force.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use parking_lot::Mutex;
use sha2::{Digest, Sha256};

use crate::config::AuthConfig;
use crate::configmap::config_from_configmap_bounded;
use crate::error::ConfigError;
use crate::flags::{KubeAuthFlags, CLIENT_CA_FILE, REQUESTHEADER_CLIENT_CA_FILE};
use crate::limits::Limits;

/// Where a configuration comes from.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum ConfigSource {
    /// kube-apiserver-style flags; the CA files they name are watched.
    Flags(KubeAuthFlags),
    /// A ConfigMap document (JSON or YAML) in a file, watched.
    ConfigMapFile(PathBuf),
    /// A ConfigMap document (JSON or YAML) held in memory: nothing to watch.
    ConfigMapDocument(Vec<u8>),
}

/// What a source read: each file as (flag or key, path, contents), and a digest of them all.
struct Read {
    files: Vec<(&'static str, String, Vec<u8>)>,
    digest: [u8; 32],
}

impl ConfigSource {
    /// Whether the source has files to watch.
    fn has_files(&self) -> bool {
        !matches!(self, ConfigSource::ConfigMapDocument(_))
    }

    /// Reads every file once, bounded by `limits`.
    fn read(&self, limits: &Limits) -> Result<Read, ConfigError> {
        let paths: Vec<(&'static str, String)> = match self {
            ConfigSource::Flags(f) => [
                (
                    REQUESTHEADER_CLIENT_CA_FILE,
                    &f.requestheader_client_ca_file,
                ),
                (CLIENT_CA_FILE, &f.client_ca_file),
            ]
            .into_iter()
            .filter_map(|(flag, path)| path.clone().map(|p| (flag, p)))
            .collect(),
            ConfigSource::ConfigMapFile(p) => vec![("configmap", p.to_string_lossy().into_owned())],
            ConfigSource::ConfigMapDocument(doc) => {
                limits.check_document(doc.len(), "configmap")?;
                return Ok(Read {
                    files: Vec::new(),
                    digest: Sha256::digest(doc).into(),
                });
            }
        };
        let mut h = Sha256::new();
        let mut files = Vec::new();
        for (label, path) in paths {
            let bytes = limits.read_document(&path, label)?;
            h.update((path.len() as u64).to_be_bytes());
            h.update(path.as_bytes());
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(&bytes);
            files.push((label, path, bytes));
        }
        Ok(Read {
            files,
            digest: h.finalize().into(),
        })
    }

    fn build(&self, read: &Read, limits: &Limits) -> Result<AuthConfig, ConfigError> {
        match self {
            ConfigSource::Flags(flags) => flags.to_config_with(limits, |flag, path| {
                read.files
                    .iter()
                    .find(|(label, p, _)| *label == flag && p == path)
                    .map(|(_, _, bytes)| bytes.clone())
                    .ok_or_else(|| ConfigError::new(flag, format!("{path:?} was not read")))
            }),
            ConfigSource::ConfigMapFile(_) => {
                config_from_configmap_bounded(&read.files[0].2, limits)
            }
            ConfigSource::ConfigMapDocument(doc) => config_from_configmap_bounded(doc, limits),
        }
    }

    /// Loads the configuration once, bounded by the default [`Limits`].
    pub fn load(&self) -> Result<AuthConfig, ConfigError> {
        self.load_bounded(&Limits::DEFAULT)
    }

    /// Loads the configuration once, bounded by `limits` (which the configuration keeps).
    pub fn load_bounded(&self, limits: &Limits) -> Result<AuthConfig, ConfigError> {
        self.build(&self.read(limits)?, limits)
    }
}

/// Reload counters and the last error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadStatus {
    /// Configurations swapped in after the first.
    pub reloads: u64,
    /// Configurations that failed to load (the previous one stayed in force).
    pub failures: u64,
    /// Why the last load failed; `None` after a successful reload.
    pub last_error: Option<ConfigError>,
}

struct Watched {
    source: ConfigSource,
    /// Digest of the files last tried (good or bad), so the same bad content is not parsed
    /// again and again.
    last_digest: [u8; 32],
}

/// The source an authenticator loads from, when it is re-checked, and what happened to the
/// loads so far.
pub(crate) struct SourceWatch {
    limits: Limits,
    watched: Mutex<Option<Watched>>,
    interval_secs: i64,
    next_check: AtomicI64,
    reloads: AtomicU64,
    failures: AtomicU64,
    last_error: Mutex<Option<ConfigError>>,
}

impl SourceWatch {
    pub(crate) fn new(limits: Limits, interval_secs: i64) -> SourceWatch {
        SourceWatch {
            limits,
            watched: Mutex::new(None),
            interval_secs: interval_secs.max(1),
            next_check: AtomicI64::new(i64::MAX),
            reloads: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            last_error: Mutex::new(None),
        }
    }

    /// Loads `source`; on success it becomes the watched source (a document stops the
    /// watching) and `now` starts its interval. A failure is recorded and nothing changes.
    pub(crate) fn load(&self, source: ConfigSource, now: i64) -> Result<AuthConfig, ConfigError> {
        let loaded = source
            .read(&self.limits)
            .and_then(|read| Ok((source.build(&read, &self.limits)?, read.digest)));
        let (config, digest) = loaded.inspect_err(|e| self.record_failure(e))?;
        let watch = source.has_files();
        *self.watched.lock() = watch.then_some(Watched {
            source,
            last_digest: digest,
        });
        let next = if watch {
            now.saturating_add(self.interval_secs)
        } else {
            i64::MAX
        };
        self.next_check.store(next, Ordering::Relaxed);
        Ok(config)
    }

    /// Re-reads the watched files now. `Ok(Some)` when their content changed and loads;
    /// `Err` (recorded) when it changed and does not load.
    pub(crate) fn check(&self) -> Result<Option<AuthConfig>, ConfigError> {
        let mut guard = self.watched.lock();
        let Some(watched) = guard.as_mut() else {
            return Ok(None);
        };
        let result = watched.source.read(&self.limits).and_then(|read| {
            if read.digest == watched.last_digest {
                return Ok(None);
            }
            watched.last_digest = read.digest;
            watched.source.build(&read, &self.limits).map(Some)
        });
        drop(guard);
        result.inspect_err(|e| self.record_failure(e))
    }

    /// Whether the request path should check the source now: true for at most one caller
    /// per interval.
    pub(crate) fn due(&self, now: i64) -> bool {
        let due = self.next_check.load(Ordering::Relaxed);
        now >= due
            && self
                .next_check
                .compare_exchange(
                    due,
                    now.saturating_add(self.interval_secs),
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                )
                .is_ok()
    }

    /// Stops watching files.
    pub(crate) fn stop(&self) {
        *self.watched.lock() = None;
        self.next_check.store(i64::MAX, Ordering::Relaxed);
    }

    pub(crate) fn record_reload(&self) {
        self.reloads.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = None;
    }

    pub(crate) fn record_failure(&self, e: &ConfigError) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = Some(e.clone());
    }

    pub(crate) fn status(&self) -> ReloadStatus {
        ReloadStatus {
            reloads: self.reloads.load(Ordering::Relaxed),
            failures: self.failures.load(Ordering::Relaxed),
            last_error: self.last_error.lock().clone(),
        }
    }
}
