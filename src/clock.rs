//! Time source. Verification, cache expiry and reload checks all ask a [`Clock`], so tests can
//! move time instead of sleeping.

use std::sync::atomic::{AtomicU64, Ordering};

use rustls_pki_types::UnixTime;

/// Where verification, cache expiry and reload checks read the time.
pub trait Clock: Send + Sync {
    /// The current instant.
    fn now(&self) -> UnixTime;
}

/// The system wall clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
}

/// A clock that only moves when told to (tests, `check --at`).
#[derive(Debug, Default)]
pub struct ManualClock {
    secs: AtomicU64,
}

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: UnixTime) -> Self {
        ManualClock {
            secs: AtomicU64::new(at.as_secs()),
        }
    }
    /// Moves the clock to `at`.
    pub fn set(&self, at: UnixTime) {
        self.secs.store(at.as_secs(), Ordering::SeqCst);
    }
    /// Moves the clock forward by `secs` seconds.
    pub fn advance(&self, secs: u64) {
        self.secs.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            self.secs.load(Ordering::SeqCst),
        ))
    }
}
