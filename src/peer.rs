//! Peer verdicts: everything about a presented chain that does not depend on the request —
//! what the request-header authenticator and the x509 authenticator think of it — and the
//! per-connection handle ([`Peer`]) that keeps them.
//!
//! [`verdicts_for`] is the one routine that obtains verdicts, for the digest-cache path and
//! for per-connection handles alike: it applies the bounds, consults the verdict cache (the
//! leaf-only entry only for a session the host says was resumed), and otherwise verifies.

use std::ops::Deref;
use std::sync::Arc;

use rustls_pki_types::{CertificateDer, UnixTime};

use crate::config::AuthConfig;
use crate::error::{AuthError, Reason};
use crate::verdict_cache::VerdictCache;
use crate::verify::{verify_chain, verify_chain_and_leaf, LeafFacts, VerifiedChain};
use crate::x509_user::{user_from_certificate, verification_error_prefix};
use crate::UserInfo;

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

/// The request-header authenticator's view of a peer chain.
#[derive(Clone, Debug)]
pub enum ProxyVerdict {
    /// No certificate presented, or no request-header CA configured: no opinion.
    NotApplicable,
    /// The chain verified and the leaf CN is allowed: headers may be trusted.
    Trusted(VerifiedChain),
    /// The chain failed, or the CN is not allowed.
    Failed(AuthError),
}

/// The x509 authenticator's view of a peer chain.
#[derive(Clone, Debug)]
pub enum ClientCertVerdict {
    /// No certificate, or no client CA configured.
    NotApplicable,
    /// The chain verified; the user, or `None` when the CN is empty (no opinion).
    Verified(VerifiedChain, Option<Box<UserInfo>>),
    Failed(AuthError),
}

/// Both authenticators' verdicts on one presented chain. Valid for one configuration
/// generation and a window of time.
#[derive(Clone, Debug)]
pub struct PeerVerification {
    pub(crate) generation: u64,
    pub(crate) proxy: ProxyVerdict,
    pub(crate) client_cert: ClientCertVerdict,
    /// Instant (Unix seconds) of the verification.
    pub(crate) verified_at: i64,
    /// The window in which the verdicts hold: `[not_before, not_after]` of the verified paths
    /// for positive verdicts; a negative verdict that depends on time holds only at `verified_at`.
    pub(crate) valid_from: i64,
    pub(crate) valid_until: i64,
}

impl PeerVerification {
    pub fn proxy(&self) -> &ProxyVerdict {
        &self.proxy
    }
    pub fn client_cert(&self) -> &ClientCertVerdict {
        &self.client_cert
    }
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// Whether these verdicts may be reused for `config` at `now` (same configuration
    /// generation, inside the validity window).
    pub fn holds_for(&self, config: &AuthConfig, now: UnixTime) -> bool {
        let now = now.as_secs() as i64;
        self.generation == config.generation && self.valid_from <= now && now <= self.valid_until
    }
    /// The instant (Unix seconds) of the verification.
    pub fn verified_at(&self) -> i64 {
        self.verified_at
    }
    /// The latest instant (Unix seconds) at which the verdicts still hold.
    pub fn valid_until(&self) -> i64 {
        self.valid_until
    }
    /// Whether one authenticator accepted the chain.
    pub(crate) fn is_positive(&self) -> bool {
        matches!(self.proxy, ProxyVerdict::Trusted(_))
            || matches!(self.client_cert, ClientCertVerdict::Verified(..))
    }
    /// Whether one authenticator refused the chain.
    pub(crate) fn has_failure(&self) -> bool {
        matches!(self.proxy, ProxyVerdict::Failed(_))
            || matches!(self.client_cert, ClientCertVerdict::Failed(_))
    }

    /// The verdict on a chain refused for its shape (too many or too large certificates)
    /// before any certificate was read: the one authenticator that would have looked at it
    /// first fails with `error`. Holds for the whole generation (bounds do not depend on time).
    pub(crate) fn refused(config: &AuthConfig, error: AuthError, now: UnixTime) -> Self {
        let proxy_judges = config.request_header_ca().is_some();
        PeerVerification {
            generation: config.generation,
            proxy: if proxy_judges {
                ProxyVerdict::Failed(error.clone())
            } else {
                ProxyVerdict::NotApplicable
            },
            client_cert: if !proxy_judges && config.client_ca.is_some() {
                ClientCertVerdict::Failed(error)
            } else {
                ClientCertVerdict::NotApplicable
            },
            verified_at: now.as_secs() as i64,
            valid_from: i64::MIN,
            valid_until: i64::MAX,
        }
    }

    /// Verifies a presented chain (leaf first; empty = no client certificate) at `now`
    /// against both authenticators of `config`. The chain must be within the bounds.
    pub(crate) fn verify(
        config: &AuthConfig,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> PeerVerification {
        let now_secs = now.as_secs() as i64;
        // The window in which the verdicts hold: narrowed by every chain that verified; a
        // failure that depends on time (expired, not yet valid) holds only now.
        let mut window = (i64::MIN, i64::MAX);
        let mut time_dependent_failure = false;
        let mut narrow = |v: &VerifiedChain| {
            window.0 = window.0.max(v.not_before);
            window.1 = window.1.min(v.not_after);
        };
        let proxy = match (config.request_header_ca(), chain.is_empty()) {
            (Some(ca), false) => match verify_chain_and_leaf(ca, chain, now, &config.limits) {
                Ok((v, leaf)) => {
                    narrow(&v);
                    let allowed = config
                        .request_header
                        .as_ref()
                        .map_or(&[][..], |rh| rh.allowed_names());
                    match check_allowed_name(allowed, &leaf) {
                        Ok(()) => ProxyVerdict::Trusted(v),
                        Err(e) => ProxyVerdict::Failed(e),
                    }
                }
                Err(e) => {
                    time_dependent_failure |= e.reason.is_time_dependent();
                    ProxyVerdict::Failed(e)
                }
            },
            _ => ProxyVerdict::NotApplicable,
        };
        let client_cert = match (&config.client_ca, chain.is_empty()) {
            (Some(ca), false) => match verify_chain(ca, chain, now, &config.limits) {
                Ok(v) => {
                    narrow(&v);
                    match user_from_certificate(&chain[0]) {
                        Ok(user) => ClientCertVerdict::Verified(v, user.map(Box::new)),
                        Err(e) => ClientCertVerdict::Failed(e),
                    }
                }
                Err(e) => {
                    time_dependent_failure |= e.reason.is_time_dependent();
                    ClientCertVerdict::Failed(AuthError::new(
                        e.reason,
                        format!("{}: {}", verification_error_prefix(&chain[0]), e.message),
                    ))
                }
            },
            _ => ClientCertVerdict::NotApplicable,
        };
        if time_dependent_failure {
            window = (now_secs, now_secs);
        }
        PeerVerification {
            generation: config.generation,
            proxy,
            client_cert,
            verified_at: now_secs,
            valid_from: window.0,
            valid_until: window.1,
        }
    }
}

/// Spec §1.7 rule 22: the leaf's last CN must equal (bytes, case-sensitive) one allowed name;
/// an empty list allows any CN.
fn check_allowed_name(allowed: &[String], leaf: &LeafFacts) -> Result<(), AuthError> {
    if allowed.is_empty() {
        return Ok(());
    }
    let cn = match &leaf.common_name {
        Ok(cn) => cn.as_deref().unwrap_or_default(),
        Err(e) => return Err(AuthError::new(Reason::CommonNameUnreadable, e.clone())),
    };
    if allowed.iter().any(|a| a == cn) {
        Ok(())
    } else {
        Err(AuthError::new(
            Reason::CommonNameNotAllowed,
            format!("x509: subject with cn={cn} is not in the allowed list {allowed:?}"),
        ))
    }
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

    pub fn handshake(&self) -> Handshake {
        self.handshake
    }
}
