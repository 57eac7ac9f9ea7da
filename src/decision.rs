//! The decision on one request: the union of the authenticators (spec §1.8 rules 24–27), the
//! authenticated-group adder (§1.9 rule 30) and the headers to clear (§1.9 rule 32).
//!
//! Union order: request-header first, then x509; the first success wins, errors are
//! collected, and no opinion from both falls through to `system:anonymous`.
//!
//! The header step produces an [`AuthenticationRef`], which borrows names and values from the
//! request and allocates nothing for a typical request; [`AuthenticationRef::into_owned`]
//! gives the owned [`Authentication`].

use std::fmt;

use rustls_pki_types::{CertificateDer, UnixTime};
use serde::Serialize;
use smallvec::SmallVec;

use crate::config::AuthConfig;
use crate::error::{AuthError, Reason};
use crate::header_step::scan;
use crate::headers::RequestHeaders;
use crate::peer::{Handshake, Peer};
use crate::user::{UserInfo, UserRef};
use crate::verdict::{ClientCertVerdict, PeerVerification, ProxyVerdict};

/// Which authenticator produced a user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum AuthenticatorKind {
    #[serde(rename = "requestheader")]
    /// The request-header authenticator: the front proxy's headers, after its chain verified.
    RequestHeader,
    #[serde(rename = "x509")]
    /// The x509 client-certificate authenticator (`--client-ca-file`).
    X509,
}

impl AuthenticatorKind {
    /// The name used in the CLI's JSON (`requestheader`, `x509`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuthenticatorKind::RequestHeader => "requestheader",
            AuthenticatorKind::X509 => "x509",
        }
    }
}

/// One authenticator's part in a decision. Kubernetes' union asks the request-header
/// authenticator, then the x509 one; the first success wins, an error is kept and the next
/// one asked, and no opinion moves on (docs/semantics.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Opinion {
    /// It produced the user.
    Authenticated,
    /// It refused the chain or the request, for this reason (the rejection, or part of it;
    /// an x509 success can still follow a request-header refusal).
    Rejected(Reason),
    /// It had nothing to say: no client certificate; for the request-header authenticator a
    /// verified, allowed front-proxy chain but no username header with a non-empty value; for
    /// the x509 authenticator a verified chain whose leaf CN is empty.
    NoOpinion,
    /// Its CA is not configured.
    NotConfigured,
    /// It was not asked: an earlier authenticator decided, or the request's headers were
    /// refused before any authenticator ran.
    NotConsulted,
}

/// What each authenticator said about one request, in union order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opinions {
    /// The request-header authenticator (the front proxy's chain and `X-Remote-*` headers).
    pub request_header: Opinion,
    /// The x509 client-certificate authenticator (`--client-ca-file`).
    pub x509: Opinion,
}

impl Opinions {
    /// Before the union asks anyone: each configured authenticator not consulted (yet).
    fn before_asking(config: &AuthConfig) -> Opinions {
        let opinion = |configured: bool| {
            if configured {
                Opinion::NotConsulted
            } else {
                Opinion::NotConfigured
            }
        };
        Opinions {
            request_header: opinion(config.request_header_ca().is_some()),
            x509: opinion(config.client_ca.is_some()),
        }
    }
}

/// The verdict for one request, borrowing from it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecisionRef<'r> {
    /// A user, after the group adder, and which authenticator vouched for it.
    Authenticated {
        /// Which authenticator vouched for the user.
        authenticator: AuthenticatorKind,
        /// The user, `system:authenticated` added.
        user: UserRef<'r>,
    },
    /// No authenticator had an opinion: `system:anonymous`.
    Anonymous {
        /// `system:anonymous` in `system:unauthenticated`.
        user: UserRef<'r>,
    },
    /// HTTP 401.
    Rejected(AuthError),
}

/// The verdict for one request (owned).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// A user, after the group adder, and which authenticator vouched for it.
    Authenticated {
        /// Which authenticator vouched for the user.
        authenticator: AuthenticatorKind,
        /// The user, `system:authenticated` added.
        user: UserInfo,
    },
    /// No authenticator had an opinion: `system:anonymous`.
    Anonymous {
        /// `system:anonymous` in `system:unauthenticated`.
        user: UserInfo,
    },
    /// HTTP 401.
    Rejected(AuthError),
}

/// The names of this request's headers to remove, each once, spelled as received (borrowed
/// from the request). Names are HTTP tokens, so they are ASCII.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClearHeaders<'r>(SmallVec<[&'r [u8]; 8]>);

impl<'r> ClearHeaders<'r> {
    /// How many names.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The names as bytes.
    pub fn iter_bytes(&self) -> impl ExactSizeIterator<Item = &'r [u8]> + '_ {
        self.0.iter().copied()
    }
    /// The names as text.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'r str> + '_ {
        // Validated tokens (or an `http::HeaderMap`'s names) are ASCII.
        self.0
            .iter()
            .map(|n| std::str::from_utf8(n).unwrap_or_default())
    }
}

/// A decision plus the headers of this request the host must remove before passing it on,
/// borrowing from the request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthenticationRef<'r> {
    /// The verdict.
    pub decision: DecisionRef<'r>,
    /// Filled for authenticated and anonymous decisions; a rejected request goes no further.
    pub clear_headers: ClearHeaders<'r>,
    /// What each authenticator said (the first to name when explaining a 401).
    pub opinions: Opinions,
    /// Whether the verdict on the chain came from the verdict cache in this call.
    pub from_cache: bool,
    /// The generation of the configuration that decided (see [`AuthConfig::generation`]).
    pub generation: u64,
}

impl<'r> AuthenticationRef<'r> {
    /// The user of an authenticated or anonymous decision.
    pub fn user(&self) -> Option<&UserRef<'r>> {
        match &self.decision {
            DecisionRef::Authenticated { user, .. } | DecisionRef::Anonymous { user } => Some(user),
            DecisionRef::Rejected(_) => None,
        }
    }

    /// Whether the request is rejected (HTTP 401).
    pub fn is_rejected(&self) -> bool {
        matches!(self.decision, DecisionRef::Rejected(_))
    }

    /// The owned form.
    pub fn into_owned(self) -> Authentication {
        let decision = match self.decision {
            DecisionRef::Authenticated {
                authenticator,
                user,
            } => Decision::Authenticated {
                authenticator,
                user: user.to_user_info(),
            },
            DecisionRef::Anonymous { user } => Decision::Anonymous {
                user: user.to_user_info(),
            },
            DecisionRef::Rejected(e) => Decision::Rejected(e),
        };
        let mut clear_headers = HeaderNames::default();
        for name in self.clear_headers.iter() {
            clear_headers.push(name);
        }
        Authentication {
            decision,
            clear_headers,
            opinions: self.opinions,
            from_cache: self.from_cache,
            generation: self.generation,
        }
    }
}

/// A decision plus the headers of this request the host must remove before passing it on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authentication {
    /// The verdict.
    pub decision: Decision,
    /// Names of this request's headers to remove (each once, spelled as received). Filled for
    /// authenticated and anonymous decisions; a rejected request goes no further.
    pub clear_headers: HeaderNames,
    /// What each authenticator said.
    pub opinions: Opinions,
    /// Whether the verdict on the chain came from the verdict cache.
    pub from_cache: bool,
    /// The generation of the configuration that decided (see [`AuthConfig::generation`]).
    pub generation: u64,
}

impl Authentication {
    /// The user of an authenticated or anonymous decision.
    pub fn user(&self) -> Option<&UserInfo> {
        match &self.decision {
            Decision::Authenticated { user, .. } | Decision::Anonymous { user } => Some(user),
            Decision::Rejected(_) => None,
        }
    }
}

/// The union over verified peer verdicts, for one request's headers.
#[inline]
pub(crate) fn decide<'r>(
    config: &AuthConfig,
    peer: &PeerVerification,
    headers: &RequestHeaders<'r>,
    from_cache: bool,
) -> AuthenticationRef<'r> {
    let mut result = decide_union(config, peer, headers);
    result.from_cache = from_cache;
    result
}

#[inline]
fn decide_union<'r>(
    config: &AuthConfig,
    peer: &PeerVerification,
    headers: &RequestHeaders<'r>,
) -> AuthenticationRef<'r> {
    let mut opinions = Opinions::before_asking(config);
    let scan = match scan(&config.clear.roles, headers, &config.limits) {
        Ok(scan) => scan,
        // Refused before any authenticator ran.
        Err(e) => return rejected(config, e, opinions),
    };
    let mut errors: SmallVec<[&AuthError; 2]> = SmallVec::new();
    if let Some(rh) = config.request_header.as_ref().filter(|rh| rh.ca.is_some()) {
        match &peer.proxy {
            ProxyVerdict::Trusted(_) => match scan.identity(&rh.lists) {
                Ok(Some(user)) => {
                    opinions.request_header = Opinion::Authenticated;
                    return success(
                        config,
                        AuthenticatorKind::RequestHeader,
                        user,
                        scan.clear,
                        opinions,
                    );
                }
                Ok(None) => opinions.request_header = Opinion::NoOpinion,
                // Undecodable identity headers end the request: never fall through to
                // another authenticator with headers Go would have read differently.
                Err(e) => {
                    opinions.request_header = Opinion::Rejected(e.reason);
                    return rejected(config, e, opinions);
                }
            },
            ProxyVerdict::Failed(e) => {
                opinions.request_header = Opinion::Rejected(e.reason);
                errors.push(e);
            }
            ProxyVerdict::NotApplicable => opinions.request_header = Opinion::NoOpinion,
        }
    }
    if config.client_ca.is_some() {
        match &peer.client_cert {
            ClientCertVerdict::Verified(_, Some(user)) => {
                opinions.x509 = Opinion::Authenticated;
                // A certificate's user, copied out of the verdict (which may be a cache entry).
                let user = user.to_user_ref();
                return success(config, AuthenticatorKind::X509, user, scan.clear, opinions);
            }
            ClientCertVerdict::Failed(e) => {
                opinions.x509 = Opinion::Rejected(e.reason);
                errors.push(e);
            }
            ClientCertVerdict::Verified(_, None) | ClientCertVerdict::NotApplicable => {
                opinions.x509 = Opinion::NoOpinion
            }
        }
    }
    match errors.as_slice() {
        [] => AuthenticationRef {
            decision: DecisionRef::Anonymous {
                user: UserRef::anonymous(),
            },
            clear_headers: ClearHeaders(scan.clear),
            opinions,
            from_cache: false,
            generation: config.generation,
        },
        [one] => rejected(config, (*one).clone(), opinions),
        many => rejected(
            config,
            AuthError::new(
                many[0].reason,
                many.iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            opinions,
        ),
    }
}

#[inline]
fn success<'r>(
    config: &AuthConfig,
    authenticator: AuthenticatorKind,
    mut user: UserRef<'r>,
    clear: SmallVec<[&'r [u8]; 8]>,
    opinions: Opinions,
) -> AuthenticationRef<'r> {
    user.add_authenticated_group();
    AuthenticationRef {
        decision: DecisionRef::Authenticated {
            authenticator,
            user,
        },
        clear_headers: ClearHeaders(clear),
        opinions,
        from_cache: false,
        generation: config.generation,
    }
}

/// A rejection under `config`, with what each authenticator said.
pub(crate) fn rejected<'r>(
    config: &AuthConfig,
    e: AuthError,
    opinions: Opinions,
) -> AuthenticationRef<'r> {
    AuthenticationRef {
        decision: DecisionRef::Rejected(e),
        clear_headers: ClearHeaders::default(),
        opinions,
        from_cache: false,
        generation: config.generation,
    }
}

/// A rejection decided before any authenticator ran (inputs refused by their shape).
pub(crate) fn refused<'r>(config: &AuthConfig, e: AuthError) -> AuthenticationRef<'r> {
    rejected(config, e, Opinions::before_asking(config))
}

/// One-shot authentication against a configuration, without a cache or reloads (the
/// [`crate::Authenticator`] adds both).
impl AuthConfig {
    /// Verifies a presented chain (leaf first; empty = no client certificate) at `now`, for a
    /// per-connection handle.
    pub fn verify_peer(&self, chain: &[CertificateDer<'_>], now: UnixTime) -> Peer {
        Peer::new(self, chain, Handshake::Full, now, None)
    }

    /// Runs the header step for one request against a peer. A `peer` from another
    /// configuration generation, or outside its validity window at `now`, is verified again
    /// first (a copy; the handle is not changed): a verdict is never trusted past what made it
    /// true.
    pub fn authenticate(
        &self,
        peer: &Peer,
        headers: &RequestHeaders<'_>,
        now: UnixTime,
    ) -> Authentication {
        let mut peer = peer.clone();
        let (verdicts, from_cache) = peer.current(self, now, None);
        decide(self, verdicts, headers, from_cache).into_owned()
    }

    /// Verifies the chain and authenticates the request in one call.
    pub fn authenticate_request(
        &self,
        chain: &[CertificateDer<'_>],
        headers: &RequestHeaders<'_>,
        now: UnixTime,
    ) -> Authentication {
        let verdicts = crate::peer::verdicts_for(self, chain, Handshake::Full, now, None);
        decide(self, &verdicts, headers, false).into_owned()
    }
}

/// Header names as received, kept in one buffer (one allocation for the text, one for the
/// boundaries): the owned form of [`ClearHeaders`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HeaderNames {
    text: String,
    ends: Vec<u32>,
}

impl HeaderNames {
    fn push(&mut self, name: &str) {
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
    }

    /// How many names.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The `i`-th name.
    pub fn get(&self, i: usize) -> Option<&str> {
        let end = *self.ends.get(i)? as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..end)
    }

    /// The names in order.
    pub fn iter(&self) -> HeaderNamesIter<'_> {
        HeaderNamesIter {
            names: self,
            next: 0,
        }
    }

    /// Whether `name` is in the list (exact comparison).
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|n| n == name)
    }

    /// The names as owned strings.
    pub fn to_vec(&self) -> Vec<String> {
        self.iter().map(str::to_owned).collect()
    }
}

impl<'a> IntoIterator for &'a HeaderNames {
    type Item = &'a str;
    type IntoIter = HeaderNamesIter<'a>;
    fn into_iter(self) -> HeaderNamesIter<'a> {
        self.iter()
    }
}

/// Iterator over [`HeaderNames`].
pub struct HeaderNamesIter<'a> {
    names: &'a HeaderNames,
    next: usize,
}

impl<'a> Iterator for HeaderNamesIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let name = self.names.get(self.next)?;
        self.next += 1;
        Some(name)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.names.len() - self.next;
        (n, Some(n))
    }
}

impl ExactSizeIterator for HeaderNamesIter<'_> {}

impl fmt::Debug for HeaderNames {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for HeaderNames {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

impl<S: AsRef<str>> PartialEq<[S]> for HeaderNames {
    fn eq(&self, other: &[S]) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|(a, b)| a == b.as_ref())
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for HeaderNames {
    fn eq(&self, other: &[S; N]) -> bool {
        *self == other[..]
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for HeaderNames {
    fn eq(&self, other: &Vec<S>) -> bool {
        *self == other[..]
    }
}
