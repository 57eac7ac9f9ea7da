//! `check --explain`: a human-readable account of every step, on stderr.

use std::fmt::Write;

use frontproxy::certinfo::{rfc3339, CertFacts, Validity};
use frontproxy::identity::describe_header_use;
use frontproxy::{
    AuthConfig, Authentication, CaBundle, CertificateDer, ClientCertVerdict, Decision,
    PeerVerification, ProxyVerdict, RequestHeaders, UnixTime, VerifiedChain,
};

pub fn account(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    peer: &PeerVerification,
    headers: &RequestHeaders<'_>,
    result: &Authentication,
    now: UnixTime,
) -> String {
    let now = now.as_secs() as i64;
    let mut out = String::new();
    let o = &mut out;
    let _ = writeln!(o, "verification time: {}", rfc3339(now));

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

    match config.request_header() {
        None => {
            let _ = writeln!(o, "\n2. request-header authenticator: not configured");
        }
        Some(rh) => {
            let _ = writeln!(
                o,
                "\n2. request-header authenticator ({}):",
                rh.ca().source()
            );
            describe_bundle(o, rh.ca(), now);
            match peer.proxy() {
                ProxyVerdict::NotApplicable => {
                    let _ = writeln!(o, "   no opinion: no client certificate");
                }
                ProxyVerdict::Trusted(v) => {
                    describe_path(o, rh.ca(), v);
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
            let _ = writeln!(o, "   rejected (401) [{}]: {}", e.reason, e.message);
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
