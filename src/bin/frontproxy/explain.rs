//! `check --explain`: a human-readable account of every step, on stderr.

use std::fmt::Write;

use frontproxy::{
    decode_extra_key, AuthConfig, Authentication, CaBundle, CertFacts, CertificateDer,
    ClientCertVerdict, Decision, PeerVerification, ProxyVerdict, RequestHeaderConfig,
    RequestHeaders, UnixTime, Validity, VerifiedChain,
};

use crate::args::rfc3339;
use crate::opinions::{Opinion, Opinions};

pub fn account(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    peer: &PeerVerification,
    headers: &RequestHeaders<'_>,
    result: &Authentication,
    opinions: &Opinions,
    now: UnixTime,
) -> String {
    let now = now.as_secs() as i64;
    let mut out = String::new();
    let o = &mut out;
    // What to fix first, before the step-by-step account.
    for line in cause(result, opinions) {
        let _ = writeln!(o, "{line}");
    }
    if let Some(hazard) = overlap_hazard(config) {
        let _ = writeln!(o, "{hazard}");
    }
    let _ = writeln!(
        o,
        "authenticators: request-header {}, x509 {}",
        opinions.requestheader.opinion.label(),
        opinions.x509.opinion.label()
    );
    let _ = writeln!(o, "\nverification time: {}", rfc3339(now));

    let _ = writeln!(
        o,
        "\n1. presented chain ({} certificate(s), leaf first):",
        chain.len()
    );
    if chain.is_empty() {
        let _ = writeln!(
            o,
            "   none: no client certificate, so no authenticator can vouch for any header"
        );
    }
    for (i, der) in chain.iter().enumerate() {
        let role = if i == 0 {
            "leaf".to_string()
        } else {
            format!("intermediate #{i}")
        };
        match CertFacts::from_der(der) {
            Ok(f) => describe_cert(o, &role, &f, now),
            Err(e) => {
                let _ = writeln!(o, "   [{role}] cannot be parsed: {e}");
            }
        }
    }

    match config
        .request_header()
        .and_then(|rh| rh.ca().map(|ca| (rh, ca)))
    {
        None => {
            let _ = writeln!(
                o,
                "\n2. request-header authenticator: not configured (no request-header CA; \
                 configured header names are still cleared)"
            );
        }
        Some((rh, rh_ca)) => {
            let _ = writeln!(o, "\n2. request-header authenticator ({}):", rh_ca.source());
            describe_bundle(o, rh_ca, now);
            match peer.proxy() {
                ProxyVerdict::NotApplicable => {
                    let _ = writeln!(o, "   no opinion: no client certificate");
                }
                ProxyVerdict::Trusted(v) => {
                    describe_path(o, rh_ca, v);
                    let _ =
                        writeln!(
                        o,
                        "   leaf CN checked against requestheader-allowed-names {:?}: allowed{}",
                        rh.allowed_names(),
                        if rh.allowed_names().is_empty() { " (empty list: any CN)" } else { "" }
                    );
                    let _ = writeln!(o, "   identity headers may be trusted");
                }
                ProxyVerdict::Failed(e) => {
                    let _ = writeln!(o, "   ERROR [{}]: {}", e.reason, e.message);
                }
            }
            let _ = writeln!(
                o,
                "   header lists: username {:?}, uid {:?}, group {:?}, extra prefixes {:?}",
                rh.username_headers().collect::<Vec<_>>(),
                rh.uid_headers().collect::<Vec<_>>(),
                rh.group_headers().collect::<Vec<_>>(),
                rh.extra_prefixes().collect::<Vec<_>>()
            );
            let trusted = matches!(peer.proxy(), ProxyVerdict::Trusted(_));
            let _ = writeln!(
                o,
                "   headers{}:",
                if trusted {
                    ""
                } else {
                    " (NOT read: the chain did not vouch for them)"
                }
            );
            for line in describe_header_use(rh, headers) {
                let _ = writeln!(o, "     {line}");
            }
            if opinions.proxy_trusted_without_username {
                let _ = writeln!(
                    o,
                    "   NO OPINION: {}; the union moves on to the x509 authenticator",
                    opinions.requestheader.detail
                );
            }
        }
    }

    match config.client_ca() {
        None => {
            let _ = writeln!(
                o,
                "\n3. x509 client-certificate authenticator: not configured"
            );
        }
        Some(ca) => {
            let _ = writeln!(
                o,
                "\n3. x509 client-certificate authenticator ({}):",
                ca.source()
            );
            describe_bundle(o, ca, now);
            match peer.client_cert() {
                _ if opinions.x509.opinion == Opinion::NotConsulted => {
                    let _ = writeln!(o, "   not consulted: {}", opinions.x509.detail);
                }
                ClientCertVerdict::NotApplicable => {
                    let _ = writeln!(o, "   no opinion: no client certificate");
                }
                ClientCertVerdict::Verified(v, user) => {
                    describe_path(o, ca, v);
                    match user {
                        Some(u) => {
                            let _ = writeln!(o, "   user from the certificate: name {:?}, groups (O) {:?}, uid {:?}", u.name, u.groups, u.uid);
                        }
                        None => {
                            let _ = writeln!(o, "   no opinion: the leaf CN is empty");
                        }
                    }
                }
                ClientCertVerdict::Failed(e) => {
                    let _ = writeln!(o, "   ERROR [{}]: {}", e.reason, e.message);
                    if opinions.proxy_trusted_without_username {
                        let _ = writeln!(
                            o,
                            "   (consulted only because the request-header authenticator had no opinion)"
                        );
                    }
                }
            }
        }
    }

    let _ = writeln!(o, "\n4. decision:");
    match &result.decision {
        Decision::Authenticated {
            authenticator,
            user,
        } => {
            let _ = writeln!(
                o,
                "   authenticated by {} as {:?}, groups {:?} (after the group adder)",
                authenticator.as_str(),
                user.name,
                user.groups
            );
        }
        Decision::Anonymous { .. } => {
            let _ = writeln!(
                o,
                "   anonymous: no authenticator had an opinion and none failed"
            );
        }
        Decision::Rejected(e) => {
            let by = match (opinions.requestheader.reason, opinions.x509.reason) {
                (Some(_), Some(_)) => {
                    " by both authenticators (the reason is the request-header authenticator's)"
                }
                (Some(_), None) => " by the request-header authenticator",
                (None, Some(_)) if opinions.proxy_trusted_without_username => {
                    " by the x509 authenticator, consulted only because the request-header \
                     authenticator had no opinion"
                }
                (None, Some(_)) => " by the x509 authenticator",
                (None, None) => " before any authenticator ran",
            };
            let _ = writeln!(o, "   rejected (401) [{}]{by}: {}", e.reason, e.message);
        }
        other => {
            let _ = writeln!(o, "   {other:?}");
        }
    }
    if !result.clear_headers.is_empty() {
        let _ = writeln!(
            o,
            "   headers to remove before the request goes on: {:?}",
            result.clear_headers
        );
    }
    out
}

fn describe_cert(o: &mut String, role: &str, f: &CertFacts, now: i64) {
    let validity = match f.validity_at(now) {
        Validity::Valid => "valid",
        Validity::Expired => "EXPIRED",
        Validity::NotYetValid => "NOT YET VALID",
    };
    let _ = writeln!(
        o,
        "   [{role}] subject {:?}, issuer {:?}",
        f.display_name(),
        f.issuer
    );
    let _ = writeln!(
        o,
        "          validity {} .. {}: {validity}; EKU {}: {}; as issuer: {}",
        rfc3339(f.not_before),
        rfc3339(f.not_after),
        f.eku_description
            .as_deref()
            .unwrap_or("absent (unrestricted)"),
        if f.eku_allows_client_auth {
            "clientAuth allowed"
        } else {
            "clientAuth NOT allowed"
        },
        match &f.issuer_check {
            Ok(()) => "may sign".to_string(),
            Err(e) => format!("may not sign ({e})"),
        }
    );
}

fn describe_bundle(o: &mut String, ca: &CaBundle, now: i64) {
    for (i, c) in ca.certificates().iter().enumerate() {
        describe_cert(o, &format!("CA #{}", i + 1), &c.facts, now);
        if let Err(e) = &c.anchor {
            let _ = writeln!(o, "          {e}");
        }
    }
}

fn describe_path(o: &mut String, ca: &CaBundle, v: &VerifiedChain) {
    let anchor = &ca.certificates()[v.anchor].facts;
    let _ = writeln!(
        o,
        "   chain verified: anchored at CA #{} {:?} through {} intermediate(s); every certificate on the path is valid until {}",
        v.anchor + 1,
        anchor.display_name(),
        v.intermediates,
        rfc3339(v.not_after)
    );
}

/// What the request-header authenticator does with each header line.
fn describe_header_use(config: &RequestHeaderConfig, headers: &RequestHeaders<'_>) -> Vec<String> {
    fn position<'a>(mut list: impl Iterator<Item = &'a str>, name: &[u8]) -> Option<usize> {
        list.position(|h| h.as_bytes().eq_ignore_ascii_case(name))
    }
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut lines = Vec::new();
    for (i, (name, value)) in headers.pairs().iter().enumerate() {
        let lower = name.to_ascii_lowercase();
        let first_line = !seen.contains(&lower);
        if first_line {
            seen.push(lower);
        }
        let value = crate::opinions::trim(value);
        let shown = format!(
            "#{} {}: {:?}",
            i + 1,
            String::from_utf8_lossy(name),
            String::from_utf8_lossy(value)
        );
        let mut uses = Vec::new();
        for (pos, what) in [
            (position(config.username_headers(), name), "username"),
            (position(config.uid_headers(), name), "uid"),
        ] {
            if let Some(pos) = pos {
                uses.push(if !first_line {
                    format!("{what} header #{}: ignored, only the first value counts", pos + 1)
                } else if value.is_empty() {
                    format!("{what} header #{}: empty first value, skipped", pos + 1)
                } else {
                    format!("{what} header #{}: candidate (the first configured name with a non-empty first value wins)", pos + 1)
                });
            }
        }
        if position(config.group_headers(), name).is_some() {
            uses.push(if value.is_empty() {
                "group: empty value dropped".into()
            } else {
                "group".to_string()
            });
        }
        for prefix in config.extra_prefixes() {
            let p = prefix.as_bytes();
            if name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p) {
                uses.push(format!(
                    "extra (prefix {prefix:?}) key {:?}",
                    String::from_utf8_lossy(&decode_extra_key(&name[p.len()..]))
                ));
            }
        }
        if uses.is_empty() {
            uses.push("not an identity header".into());
        }
        lines.push(format!("{shown} -> {}", uses.join("; ")));
    }
    if lines.is_empty() {
        lines.push("(no headers)".into());
    }
    lines
}

/// The lines that lead the account: the cause an operator should fix.
fn cause(result: &Authentication, opinions: &Opinions) -> Vec<String> {
    let mut lines = Vec::new();
    if opinions.proxy_trusted_without_username {
        lines.push(format!(
            "cause: the front-proxy chain verified and its CN is allowed, but {}, so the \
             request-header authenticator had NO OPINION. Send the username header (the \
             aggregation layer sets X-Remote-User) or fix --requestheader-username-headers.",
            opinions.requestheader.detail
        ));
        match &result.decision {
            Decision::Rejected(e) => lines.push(format!(
                "       The rejection [{}] comes from the x509 authenticator, consulted only \
                 because the request-header authenticator had no opinion: {}",
                e.reason, opinions.x509.detail
            )),
            Decision::Authenticated { user, .. } => lines.push(format!(
                "       The x509 authenticator, consulted only because of that, authenticated \
                 the proxy's own certificate as {:?}: the client CA covers the front-proxy \
                 certificate (run frontproxy doctor).",
                user.name
            )),
            _ => lines.push(
                "       With no client CA to judge the certificate, the request is anonymous."
                    .into(),
            ),
        }
        return lines;
    }
    let (rh, x) = (&opinions.requestheader, &opinions.x509);
    let summary = match &result.decision {
        Decision::Authenticated { authenticator, .. } => format!(
            "cause: authenticated by the {} authenticator: {}",
            authenticator.as_str(),
            if authenticator.as_str() == "x509" {
                &x.detail
            } else {
                &rh.detail
            }
        ),
        Decision::Anonymous { .. } => format!(
            "cause: anonymous: no authenticator had an opinion (request-header: {}; x509: {})",
            rh.detail, x.detail
        ),
        Decision::Rejected(e) => match (rh.reason, x.reason) {
            (Some(_), _) => format!(
                "cause: the request-header authenticator rejected the request [{}]: {}",
                e.reason, rh.detail
            ),
            (None, Some(_)) => format!(
                "cause: the x509 authenticator rejected the certificate [{}]: {}",
                e.reason, x.detail
            ),
            (None, None) => format!("cause: rejected [{}]: {}", e.reason, e.message),
        },
        _ => return lines,
    };
    lines.push(summary);
    lines
}

/// The overlap of the two CAs when requestheader-allowed-names is empty: any client
/// certificate of that CA can assert any identity through headers.
fn overlap_hazard(config: &AuthConfig) -> Option<String> {
    let rh = config.request_header()?;
    let shared = crate::overlap::shared(rh.ca()?, config.client_ca()?);
    if shared.is_empty() || !rh.allowed_names().is_empty() {
        return None;
    }
    Some(format!(
        "HAZARD: the request-header CA and the client CA overlap ({}) and \
         requestheader-allowed-names is empty: ANY client certificate from that CA can act as \
         the front proxy and assert any identity through X-Remote-* headers. Run frontproxy \
         doctor; use a separate front-proxy CA and set requestheader-allowed-names.",
        shared.join("; ")
    ))
}
