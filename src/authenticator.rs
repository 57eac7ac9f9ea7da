//! The union of authenticators, the group adder and anonymous (spec §1.7–§1.9).
//!
//! Two steps, kept apart so that a host can verify a peer once per TLS connection:
//! 1. [`AuthConfig::verify_peer`] verifies the presented chain against the request-header CA
//!    (plus the allowed-names check) and against the client CA, giving a [`PeerVerification`];
//! 2. [`AuthConfig::authenticate`] runs the header step for one request against it.
//!
//! Union order: request-header first, then x509; the first success wins, errors are
//! collected, and no opinion from both falls through to `system:anonymous`.

use std::sync::Arc;

use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Serialize;

use crate::config::AuthConfig;
use crate::headers::{HeaderNames, RequestHeaders};
use crate::identity::extract_identity;
use crate::reason::{AuthError, Reason};
use crate::user::UserInfo;
use crate::verify::{verify_chain, verify_chain_and_leaf, LeafFacts, VerifiedChain};
use crate::x509_user::{user_from_certificate, verification_error_prefix};

/// Which authenticator produced a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum AuthenticatorKind {
    #[serde(rename = "requestheader")]
    RequestHeader,
    #[serde(rename = "x509")]
    X509,
}

impl AuthenticatorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::RequestHeader => "requestheader",
            AuthenticatorKind::X509 => "x509",
        }
    }
}

/// The verdict for one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// A user, after the group adder, and which authenticator vouched for it.
    Authenticated {
        authenticator: AuthenticatorKind,
        user: UserInfo,
    },
    /// No authenticator had an opinion: `system:anonymous`.
    Anonymous { user: UserInfo },
    /// HTTP 401.
    Rejected(AuthError),
}

/// A decision plus the headers of this request the host must remove before passing it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    pub decision: Decision,
    /// Names of this request's headers to remove (each once, spelled as received). Filled for
    /// authenticated and anonymous decisions; a rejected request goes no further.
    pub clear_headers: HeaderNames,
    /// Whether the verdict on the chain came from the decision cache.
    pub from_cache: bool,
    /// The generation of the configuration that decided (see [`AuthConfig::generation`]).
    pub generation: u64,
}

impl Authentication {
    pub fn user(&self) -> Option<&UserInfo> {
        match &self.decision {
            Decision::Authenticated { user, .. } | Decision::Anonymous { user } => Some(user),
            Decision::Rejected(_) => None,
        }
    }
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

/// Everything about a peer chain that does not depend on the request: what a host keeps per
/// TLS connection. Valid for one configuration generation and a window of time.
#[derive(Clone, Debug)]
pub struct PeerVerification {
    pub(crate) generation: u64,
    /// The presented chain, kept so the verdicts can be renewed (per-connection handles).
    /// `None` in cache entries: the request brings its chain again.
    pub(crate) chain: Option<Arc<[CertificateDer<'static>]>>,
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
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        self.chain.as_deref().unwrap_or(&[])
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
}

impl AuthConfig {
    /// Verifies a presented chain (leaf first; empty = no client certificate) at `now`. The
    /// result keeps a copy of the chain so that it can renew itself (a per-connection handle).
    pub fn verify_peer(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> PeerVerification {
        let mut peer = self.verify_verdicts(chain, now);
        peer.chain = Some(chain.iter().map(|c| c.clone().into_owned()).collect());
        peer
    }

    /// The verdicts alone, without a copy of the chain (what a cache keeps).
    pub(crate) fn verify_verdicts(
        &self,
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

        let proxy = match (&self.request_header, chain.is_empty()) {
            (Some(rh), false) => match verify_chain_and_leaf(&rh.ca, chain, now, &self.limits) {
                Ok((v, leaf)) => {
                    narrow(&v);
                    match check_allowed_name(&rh.allowed_names, &leaf) {
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
        let client_cert = match (&self.client_ca, chain.is_empty()) {
            (Some(ca), false) => match verify_chain(ca, chain, now, &self.limits) {
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
            generation: self.generation,
            chain: None,
            proxy,
            client_cert,
            verified_at: now_secs,
            valid_from: window.0,
            valid_until: window.1,
        }
    }

    /// Runs the header step for one request against a peer verified under this configuration.
    /// A `peer` from another configuration generation, or outside its validity window at
    /// `now`, is verified again first: a verdict is never trusted past what made it true.
    pub fn authenticate(
        &self,
        peer: &PeerVerification,
        headers: &RequestHeaders<'_>,
        now: UnixTime,
    ) -> Authentication {
        if !peer.holds_for(self, now) {
            let Some(chain) = &peer.chain else {
                // Verdicts without their chain cannot be renewed: fail closed.
                return self.rejected(AuthError::new(
                    Reason::InternalError,
                    "the peer verification is stale and carries no chain to verify again",
                ));
            };
            let fresh = self.verify_verdicts(chain, now);
            return self.decide(&fresh, headers);
        }
        self.decide(peer, headers)
    }

    /// Verifies the chain and authenticates the request in one call.
    pub fn authenticate_request(
        &self,
        chain: &[CertificateDer<'_>],
        headers: &RequestHeaders<'_>,
        now: UnixTime,
    ) -> Authentication {
        let peer = self.verify_verdicts(chain, now);
        self.decide(&peer, headers)
    }

    /// The union (spec §1.8 rules 24–27) over already-verified peer verdicts.
    pub(crate) fn decide(
        &self,
        peer: &PeerVerification,
        headers: &RequestHeaders<'_>,
    ) -> Authentication {
        if let Err(e) = headers.validate(&self.limits) {
            return self.rejected(e);
        }
        let mut errors: Vec<&AuthError> = Vec::new();
        if let Some(rh) = &self.request_header {
            match &peer.proxy {
                ProxyVerdict::Trusted(_) => match extract_identity(rh, headers) {
                    Ok(Some(user)) => {
                        return self.success(AuthenticatorKind::RequestHeader, user, headers)
                    }
                    Ok(None) => {}
                    // Undecodable identity headers end the request: never fall through to
                    // another authenticator with headers Go would have read differently.
                    Err(e) => return self.rejected(e),
                },
                ProxyVerdict::Failed(e) => errors.push(e),
                ProxyVerdict::NotApplicable => {}
            }
        }
        match &peer.client_cert {
            ClientCertVerdict::Verified(_, Some(user)) => {
                return self.success(AuthenticatorKind::X509, (**user).clone(), headers)
            }
            ClientCertVerdict::Failed(e) => errors.push(e),
            _ => {}
        }
        match errors.as_slice() {
            [] => Authentication {
                decision: Decision::Anonymous {
                    user: UserInfo::anonymous(),
                },
                clear_headers: self.clear.present_in(headers),
                from_cache: false,
                generation: self.generation,
            },
            [one] => self.rejected((*one).clone()),
            many => self.rejected(AuthError::new(
                many[0].reason,
                many.iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            )),
        }
    }

    fn success(
        &self,
        authenticator: AuthenticatorKind,
        user: UserInfo,
        headers: &RequestHeaders<'_>,
    ) -> Authentication {
        Authentication {
            decision: Decision::Authenticated {
                authenticator,
                user: user.with_authenticated_group(),
            },
            clear_headers: self.clear.present_in(headers),
            from_cache: false,
            generation: self.generation,
        }
    }

    fn rejected(&self, e: AuthError) -> Authentication {
        Authentication {
            decision: Decision::Rejected(e),
            clear_headers: HeaderNames::default(),
            from_cache: false,
            generation: self.generation,
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
