//! A connection's peer: the per-connection handle ([`Peer`]) that keeps the verdicts on its
//! chain and renews them, and how verdicts are obtained.
//!
//! [`verdicts_for`] is the one routine that obtains verdicts, for the digest-cache path and
//! for per-connection handles alike: it applies the bounds, consults the verdict cache (the
//! leaf-only entry only for a session the host says was resumed), and otherwise verifies.

use std::ops::Deref;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, UnixTime};

use crate::config::AuthConfig;
use crate::error::AuthError;
use crate::verdict::PeerVerification;
use crate::verdict_cache::VerdictCache;

/// How the TLS connection that presented a chain was established. Only the host knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Handshake {
    /// A full handshake: the chain is exactly what the client presented now.
    #[default]
    Full,
    /// A resumed TLS session. OpenSSL-based hosts (nginx: `SSL_session_reused`) keep only the
    /// leaf across resumption; a positive verdict reached earlier for that exact leaf *with*
    /// its intermediates may then be reused (Go keeps the chain across resumption:
    /// `ConnectionState.DidResume`, and a chain presented in full is verified as usual).
    Resumed,
}

/// Verdicts made now, or shared from the verdict cache.
#[derive(Clone, Debug)]
pub(crate) enum Verdicts {
    Fresh(PeerVerification),
    Cached(Arc<PeerVerification>),
}

impl Deref for Verdicts {
    type Target = PeerVerification;
    fn deref(&self) -> &PeerVerification {
        match self {
            Verdicts::Fresh(v) => v,
            Verdicts::Cached(v) => v,
        }
    }
}

impl Verdicts {
    pub(crate) fn came_from_cache(&self) -> bool {
        matches!(self, Verdicts::Cached(_))
    }
}

/// The verdicts on `chain` under `config` at `now`: refused by the bounds, found in `cache`,
/// or verified (and filed in `cache`).
pub(crate) fn verdicts_for(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    handshake: Handshake,
    now: UnixTime,
    cache: Option<&VerdictCache>,
) -> Verdicts {
    // Nothing to remember without a certificate; and a chain over the bounds is never hashed
    // or stored (verification refuses it before reading it, for each authenticator).
    let within_bounds = config
        .limits
        .check_chain(chain.len(), |i| chain[i].len())
        .is_ok();
    let Some(cache) = cache.filter(|_| !chain.is_empty() && within_bounds) else {
        return Verdicts::Fresh(PeerVerification::verify(config, chain, now));
    };
    let (generation, now_secs) = (config.generation, now.as_secs() as i64);
    let resumed_leaf = match (handshake, chain) {
        (Handshake::Resumed, [leaf]) => cache.lookup_resumed_leaf(leaf, generation, now_secs),
        _ => None,
    };
    if let Some(found) = resumed_leaf.or_else(|| cache.lookup(chain, generation, now_secs)) {
        cache.count_hit();
        return Verdicts::Cached(found);
    }
    cache.count_miss();
    let verdicts = PeerVerification::verify(config, chain, now);
    cache.insert(chain, &verdicts, now_secs);
    Verdicts::Fresh(verdicts)
}

/// What a connection presented: a chain within the bounds (kept, so the verdicts can be
/// renewed), or the reason its shape was refused before it was read.
#[derive(Clone, Debug)]
enum Presented {
    Chain(Arc<[CertificateDer<'static>]>),
    Refused(AuthError),
}

/// One TLS connection's verdicts: made once (at the handshake or on the first request) and
/// kept with the connection. Renewed — by verifying the kept chain again — when the
/// configuration changed or the validity window closed: a verdict is never trusted past what
/// made it true.
#[derive(Clone, Debug)]
pub struct Peer {
    presented: Presented,
    handshake: Handshake,
    verdicts: Verdicts,
}

impl Peer {
    /// Verdicts for a chain (leaf first; empty = no client certificate), keeping a copy of it.
    pub(crate) fn new(
        config: &AuthConfig,
        chain: &[CertificateDer<'_>],
        handshake: Handshake,
        now: UnixTime,
        cache: Option<&VerdictCache>,
    ) -> Peer {
        // A chain over the bounds is not copied: the handle keeps why it was refused.
        if let Err(e) = config.limits.check_chain(chain.len(), |i| chain[i].len()) {
            return Peer::refused(config, e, now);
        }
        Peer {
            presented: Presented::Chain(chain.iter().map(|c| c.clone().into_owned()).collect()),
            handshake,
            verdicts: verdicts_for(config, chain, handshake, now, cache),
        }
    }

    /// A connection whose chain was refused for its shape before it was read (a C host's
    /// out-of-bounds count or length).
    pub(crate) fn refused(config: &AuthConfig, error: AuthError, now: UnixTime) -> Peer {
        Peer {
            verdicts: Verdicts::Fresh(PeerVerification::refused(config, error.clone(), now)),
            presented: Presented::Refused(error),
            handshake: Handshake::Full,
        }
    }

    /// The verdicts, renewed first when they do not hold for `config` at `now`. The second
    /// value says whether they came from the cache in this call.
    pub(crate) fn current(
        &mut self,
        config: &AuthConfig,
        now: UnixTime,
        cache: Option<&VerdictCache>,
    ) -> (&PeerVerification, bool) {
        if self.verdicts.holds_for(config, now) {
            return (&self.verdicts, false);
        }
        self.verdicts = match &self.presented {
            Presented::Chain(chain) => verdicts_for(config, chain, self.handshake, now, cache),
            Presented::Refused(e) => {
                Verdicts::Fresh(PeerVerification::refused(config, e.clone(), now))
            }
        };
        (&self.verdicts, self.verdicts.came_from_cache())
    }

    /// The verdicts as last made (possibly stale: [`crate::Authenticator::authenticate`]
    /// renews them before use).
    pub fn verdicts(&self) -> &PeerVerification {
        &self.verdicts
    }

    /// The configuration generation of the verdicts as last made.
    pub fn generation(&self) -> u64 {
        self.verdicts.generation
    }
    /// The instant (Unix seconds) the verdicts were last made.
    pub fn verified_at(&self) -> i64 {
        self.verdicts.verified_at
    }
    /// The latest instant (Unix seconds) at which the verdicts as last made still hold.
    pub fn valid_until(&self) -> i64 {
        self.verdicts.valid_until
    }
    /// Whether the verdicts as last made hold for `config` at `now` (no renewal needed).
    pub fn holds_for(&self, config: &AuthConfig, now: UnixTime) -> bool {
        self.verdicts.holds_for(config, now)
    }

    /// The chain the connection presented (empty when none, or when it was refused unread).
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        match &self.presented {
            Presented::Chain(c) => c,
            Presented::Refused(_) => &[],
        }
    }

    /// How the connection's TLS session was established.
    pub fn handshake(&self) -> Handshake {
        self.handshake
    }
}
