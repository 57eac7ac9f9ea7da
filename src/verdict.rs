//! The verdicts on one presented chain: what the request-header authenticator and the x509
//! authenticator think of it, for one configuration generation and a window of time — all that
//! does not depend on the request. Made by verifying the chain ([`PeerVerification::verify`]);
//! kept by a connection's [`crate::Peer`] or by the verdict cache.

use rustls_pki_types::{CertificateDer, UnixTime};

use crate::config::AuthConfig;
use crate::error::{AuthError, Reason};
use crate::verify::{verify_chain, verify_chain_and_leaf, LeafFacts, VerifiedChain};
use crate::x509_user::{user_from_certificate, verification_error_prefix};
use crate::UserInfo;

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
    /// The chain failed, or the CN is not allowed.
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
    /// The request-header authenticator's verdict.
    pub fn proxy(&self) -> &ProxyVerdict {
        &self.proxy
    }
    /// The x509 authenticator's verdict.
    pub fn client_cert(&self) -> &ClientCertVerdict {
        &self.client_cert
    }
    /// The configuration generation the verdicts were made under.
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
