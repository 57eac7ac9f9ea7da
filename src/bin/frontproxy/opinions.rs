//! Which authenticator had which opinion on one request: the breakdown behind a decision, for
//! `check`'s JSON (`"authenticators"`), `check --explain` and the demo's server log.
//!
//! Derived from the public verdicts on the chain ([`PeerVerification`]) and the decision the
//! library reached, following the union of docs/semantics.md §4: request-header first, then
//! x509; the first success wins; an undecodable identity header ends the request; no opinion
//! moves on.

use frontproxy::{
    AuthConfig, Authentication, ClientCertVerdict, Decision, Opinion as Said, PeerVerification,
    ProxyVerdict, Reason, RequestHeaderConfig, RequestHeaders,
};
use serde::Serialize;
use x509_parser::prelude::{FromDer, X509Certificate};

/// One authenticator's opinion on the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // `NoOpinion` is Kubernetes' own term
pub enum Opinion {
    /// It produced the user.
    Authenticated,
    /// It refused the request (its error is the rejection, or part of it).
    Rejected,
    /// It had nothing to say (no certificate, no username header, an empty CN): the union
    /// moved on.
    NoOpinion,
    /// Its CA is not configured.
    NotConfigured,
    /// The union never asked it: an earlier authenticator decided, or the headers were
    /// refused before any authenticator ran.
    NotConsulted,
}

impl Opinion {
    pub fn label(self) -> &'static str {
        match self {
            Opinion::Authenticated => "authenticated",
            Opinion::Rejected => "rejected",
            Opinion::NoOpinion => "NO OPINION",
            Opinion::NotConfigured => "not configured",
            Opinion::NotConsulted => "not consulted",
        }
    }
}

/// One authenticator's part in the decision.
#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub opinion: Opinion,
    /// The stable reason code when `opinion` is `rejected`, else null.
    pub reason: Option<&'static str>,
    /// Why, in one sentence.
    pub detail: String,
}

impl Part {
    fn new(opinion: Opinion, detail: impl Into<String>) -> Part {
        Part {
            opinion,
            reason: None,
            detail: detail.into(),
        }
    }
    fn rejected(reason: Reason, detail: impl Into<String>) -> Part {
        Part {
            opinion: Opinion::Rejected,
            reason: Some(reason.code()),
            detail: detail.into(),
        }
    }
}

/// Both authenticators' parts, in union order.
#[derive(Clone, Debug, Serialize)]
pub struct Opinions {
    pub requestheader: Part,
    pub x509: Part,
    /// The front-proxy chain verified and its CN is allowed, but no username header had a
    /// value: the most common cause of a 401 on an aggregated API.
    #[serde(skip)]
    pub proxy_trusted_without_username: bool,
}

impl Opinions {
    /// The chain of causes behind a rejection, in one short line for a log: which
    /// authenticator said what, in union order.
    pub fn short_cause(&self) -> String {
        let (rh, x) = (&self.requestheader, &self.x509);
        if self.proxy_trusted_without_username {
            return match x.opinion {
                Opinion::Rejected => format!(
                    "no username header -> request-header no opinion -> x509 rejected the \
                     proxy certificate [{}]",
                    x.reason.unwrap_or("-")
                ),
                Opinion::Authenticated => "no username header -> request-header no opinion -> \
                    x509 authenticated the proxy certificate itself"
                    .into(),
                _ => "no username header -> request-header no opinion -> anonymous".into(),
            };
        }
        let part = |name: &str, p: &Part| match p.reason {
            Some(reason) => format!("{name} rejected [{reason}]"),
            None => format!("{name} {}", p.opinion.label().to_ascii_lowercase()),
        };
        format!("{} -> {}", part("request-header", rh), part("x509", x))
    }
}

/// What the username walk (docs/semantics.md §2.2) found among the headers.
pub enum Username {
    /// This configured header's first value is the username.
    From(String),
    /// No configured name yielded a value; the text lists each name and what it had.
    Missing(String),
}

/// The username walk of §2.2 as the operator needs to see it: which header gave the name, or
/// why none did.
pub fn username(rh: &RequestHeaderConfig, headers: &RequestHeaders<'_>) -> Username {
    let names: Vec<&str> = rh.username_headers().collect();
    if names.is_empty() {
        return Username::Missing(
            "no username header is configured (requestheader-username-headers is empty)".into(),
        );
    }
    let mut seen = Vec::new();
    for name in &names {
        let first = headers
            .pairs()
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()));
        match first {
            None => seen.push(format!("{name} (absent)")),
            Some((_, v)) if trim(v).is_empty() => seen.push(format!("{name} (empty first value)")),
            Some(_) => return Username::From(name.to_string()),
        }
    }
    Username::Missing(format!(
        "no username header had a non-empty value: {}",
        seen.join(", ")
    ))
}

/// Strips the optional whitespace (SP, HTAB) around a header value, as the library does.
pub fn trim(v: &[u8]) -> &[u8] {
    let start = v
        .iter()
        .position(|&b| b != b' ' && b != b'\t')
        .unwrap_or(v.len());
    let end = v
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(start, |e| e + 1);
    &v[start..end]
}

/// The leaf's last CN (Go's `Subject.CommonName`), for messages.
pub fn leaf_cn(leaf: &[u8]) -> Option<String> {
    let (_, c) = X509Certificate::from_der(leaf).ok()?;
    let cn = c.subject().iter_common_name().last()?;
    cn.as_str().ok().map(str::to_string)
}

/// The breakdown of `result` (which carries the library's own account of each
/// authenticator's opinion), with a sentence for each from the verdicts on the chain.
pub fn opinions(
    config: &AuthConfig,
    leaf: Option<&[u8]>,
    peer: &PeerVerification,
    headers: &RequestHeaders<'_>,
    result: &Authentication,
) -> Opinions {
    let refusal = match &result.decision {
        Decision::Rejected(e) => e.message.as_str(),
        _ => "",
    };
    let refused_headers =
        || format!("the request's headers were refused before any authenticator ran: {refusal}");
    let cn = leaf.and_then(leaf_cn).unwrap_or_default();
    let mut proxy_trusted_without_username = false;

    let requestheader = match result.opinions.request_header {
        Said::NotConfigured => Part::new(
            Opinion::NotConfigured,
            "no request-header CA is configured (--requestheader-client-ca-file), so identity headers are never trusted",
        ),
        Said::NotConsulted => Part::new(Opinion::NotConsulted, refused_headers()),
        Said::Authenticated => {
            let from = match config.request_header().map(|rh| username(rh, headers)) {
                Some(Username::From(h)) => h,
                _ => "a username header".into(),
            };
            let name = result.user().map(|u| u.name.clone()).unwrap_or_default();
            Part::new(
                Opinion::Authenticated,
                format!("front-proxy chain verified, CN {cn:?} allowed; user {name:?} from {from}"),
            )
        }
        Said::Rejected(reason) => match peer.proxy() {
            ProxyVerdict::Failed(e) => Part::rejected(reason, e.message.clone()),
            // A trusted chain, yet refused: an identity header that cannot be decoded.
            _ => Part::rejected(reason, refusal),
        },
        _ => match (peer.proxy(), config.request_header()) {
            (ProxyVerdict::Trusted(_), Some(rh)) => {
                proxy_trusted_without_username = true;
                Part::new(
                    Opinion::NoOpinion,
                    match username(rh, headers) {
                        Username::Missing(why) => why,
                        Username::From(h) => format!("no username from {h}"),
                    },
                )
            }
            _ => Part::new(Opinion::NoOpinion, "no client certificate was presented"),
        },
    };

    let x509 = match result.opinions.x509 {
        Said::NotConfigured => Part::new(
            Opinion::NotConfigured,
            "no client CA is configured (--client-ca-file)",
        ),
        Said::NotConsulted => Part::new(
            Opinion::NotConsulted,
            match requestheader.opinion {
                Opinion::Authenticated => "the request-header authenticator already authenticated the request (the union stops at the first success)".to_string(),
                Opinion::Rejected => "an identity header the request-header authenticator could not decode ends the request".to_string(),
                _ => refused_headers(),
            },
        ),
        Said::Authenticated => Part::new(
            Opinion::Authenticated,
            format!(
                "chain verified against the client CA; user {:?} from the certificate's CN",
                result.user().map(|u| u.name.as_str()).unwrap_or_default()
            ),
        ),
        Said::Rejected(reason) => match peer.client_cert() {
            ClientCertVerdict::Failed(e) => Part::rejected(reason, e.message.clone()),
            _ => Part::rejected(reason, refusal),
        },
        _ => match peer.client_cert() {
            ClientCertVerdict::Verified(..) => Part::new(
                Opinion::NoOpinion,
                "chain verified against the client CA, but the leaf CN is empty",
            ),
            _ => Part::new(Opinion::NoOpinion, "no client certificate was presented"),
        },
    };
    Opinions {
        requestheader,
        x509,
        proxy_trusted_without_username,
    }
}
