//! `frontproxy doctor`: checks a configuration for what an operator needs to know before
//! aggregated requests fail (or, worse, succeed for the wrong client).
//!
//! Each finding is one line, `SEVERITY [check] message`, worst first, then a summary line.
//! Exit status: 0 nothing to fix (OK/INFO only), 1 warnings, 3 at least one CRITICAL finding,
//! 2 usage or configuration error (as every subcommand).

use std::process::ExitCode;

use frontproxy::Validity;

use crate::args::rfc3339;
use frontproxy::{AuthConfig, CaBundle, UnixTime};

use crate::args::{parse_at, split_flag, value_of, ConfigArgs};
use crate::UsageError;

/// A CA certificate that expires within this many days gets a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Severity {
    Info,
    Ok,
    Warning,
    Critical,
}

impl Severity {
    fn label(self) -> &'static str {
        match self {
            Severity::Critical => "CRITICAL",
            Severity::Warning => "WARNING",
            Severity::Ok => "OK",
            Severity::Info => "INFO",
        }
    }
}

struct Finding {
    severity: Severity,
    check: &'static str,
    message: String,
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, severity: Severity, check: &'static str, message: impl Into<String>) {
        self.0.push(Finding {
            severity,
            check,
            message: message.into(),
        });
    }
    fn count(&self, severity: Severity) -> usize {
        self.0.iter().filter(|f| f.severity == severity).count()
    }
}

pub fn run(args: &[String]) -> Result<ExitCode, UsageError> {
    let mut config_args = ConfigArgs::default();
    let mut at = None;
    let mut json = false;
    let mut i = 0;
    while i < args.len() {
        if config_args.take(args, &mut i)? {
            i += 1;
            continue;
        }
        let (name, inline) = split_flag(&args[i]);
        match name.as_str() {
            "--at" => at = Some(parse_at(&value_of(&name, inline, args, &mut i)?)?),
            "--output" => {
                json = match value_of(&name, inline, args, &mut i)?.as_str() {
                    "text" => false,
                    "json" => true,
                    other => {
                        return Err(UsageError(format!(
                            "--output {other:?}: give --output text or --output json"
                        )))
                    }
                }
            }
            other => return Err(UsageError(format!("unknown argument {other:?}"))),
        }
        i += 1;
    }
    let config = config_args.load()?;
    let now = at.unwrap_or_else(UnixTime::now).as_secs() as i64;

    let findings = diagnose(&config, now);
    let source = match &config_args.configmap {
        Some(path) => format!("ConfigMap {path}"),
        None => "kube-apiserver-style flags".to_string(),
    };
    let mut sorted: Vec<&Finding> = findings.0.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity)); // stable: check order within a severity
    let (critical, warning) = (
        findings.count(Severity::Critical),
        findings.count(Severity::Warning),
    );
    let code = if critical > 0 {
        3
    } else if warning > 0 {
        1
    } else {
        0
    };
    if json {
        let report = serde_json::json!({
            "source": source,
            "checked_at": rfc3339(now),
            "findings": sorted.iter().map(|f| serde_json::json!({
                "severity": f.severity.label().to_ascii_lowercase(),
                "check": f.check,
                "message": f.message,
            })).collect::<Vec<_>>(),
            "summary": {
                "critical": critical,
                "warning": warning,
                "ok": findings.count(Severity::Ok),
                "info": findings.count(Severity::Info),
            },
            "exit_status": code,
        });
        println!("{report}");
        return Ok(ExitCode::from(code));
    }
    println!(
        "frontproxy doctor: configuration from {source}, checked as of {}",
        rfc3339(now)
    );
    for f in &sorted {
        println!("{:<8} [{}] {}", f.severity.label(), f.check, f.message);
    }
    println!(
        "summary: {critical} critical, {warning} warning(s), {} ok, {} info; exit status {code}",
        findings.count(Severity::Ok),
        findings.count(Severity::Info)
    );
    Ok(ExitCode::from(code))
}

/// Every check, in the order they are reported within a severity.
fn diagnose(config: &AuthConfig, now: i64) -> Findings {
    let mut out = Findings::default();
    let rh = config.request_header();
    let client = config.client_ca();

    // Without a request-header CA the aggregation layer's X-Remote-* identity is never
    // trusted: every aggregated request is anonymous (or judged by the proxy certificate
    // alone), which is almost never what an extension apiserver wants.
    const NO_RH_CA: &str = "no request-header CA: the request-header authenticator is off, so \
        every aggregated request would be anonymous (or judged by the front proxy's own \
        certificate), never its user; only x509 client certificates from the client CA \
        authenticate, and X-Remote-* headers are never trusted (they are still stripped after \
        a success); set --requestheader-client-ca-file (requestheader-client-ca-file)";
    match rh {
        None => out.add(Severity::Warning, "requestheader", NO_RH_CA),
        Some(rh) => {
            if rh.ca().is_none() {
                out.add(Severity::Warning, "requestheader", NO_RH_CA);
            }
            out.add(
                Severity::Info,
                "requestheader",
                format!(
                    "request-header CA {}: {} certificate(s); allowed names {:?}; username headers {:?}, \
                     uid headers {:?}, group headers {:?}, extra prefixes {:?}",
                    rh.ca().map_or("none (the lists only clear headers)", |ca| ca.source()),
                    rh.ca().map_or(0, |ca| ca.certificates().len()),
                    rh.allowed_names(),
                    rh.username_headers().collect::<Vec<_>>(),
                    rh.uid_headers().collect::<Vec<_>>(),
                    rh.group_headers().collect::<Vec<_>>(),
                    rh.extra_prefixes().collect::<Vec<_>>(),
                ),
            )
        }
    }
    match client {
        None if rh.is_some() => out.add(
            Severity::Info,
            "client-ca",
            "no client CA: only the front proxy authenticates; its certificate without an \
             X-Remote-User header gets system:anonymous (spec §1.8 rule 28)",
        ),
        None => {}
        Some(ca) => out.add(
            Severity::Info,
            "client-ca",
            format!(
                "client CA {}: {} certificate(s)",
                ca.source(),
                ca.certificates().len()
            ),
        ),
    }

    if let (Some((rh, ca)), Some(client)) = (rh.zip(rh.and_then(|r| r.ca())), client) {
        check_overlap(&mut out, ca, client, rh.allowed_names());
    }
    if let Some(ca) = rh.and_then(|r| r.ca()) {
        check_bundle(
            &mut out,
            ca,
            "request-header CA",
            "the front proxy cannot authenticate: every aggregated request gets 401",
            now,
        );
    }
    if let Some(client) = client {
        check_bundle(
            &mut out,
            client,
            "client CA",
            "no x509 client certificate can authenticate",
            now,
        );
    }
    if let Some(rh) = rh {
        if rh.allowed_names().is_empty() {
            out.add(
                Severity::Warning,
                "allowed-names",
                "requestheader-allowed-names is empty: any certificate the request-header CA \
                 issues, not only the front proxy's, may assert any identity in X-Remote-* \
                 headers; set it to the front proxy's CN (usually front-proxy-client)",
            );
        } else {
            out.add(
                Severity::Ok,
                "allowed-names",
                format!(
                    "requestheader-allowed-names {:?}: only certificates with these CNs act as the front proxy",
                    rh.allowed_names()
                ),
            );
        }
        for name in rh.allowed_names() {
            if name.trim() != name {
                out.add(
                    Severity::Warning,
                    "allowed-names",
                    format!(
                        "allowed name {name:?} has surrounding whitespace: the CN comparison is \
                         byte-exact, so it matches only a CN with the same whitespace"
                    ),
                );
            }
        }
        if config.warnings().is_empty() {
            out.add(
                Severity::Ok,
                "header-names",
                "the header lists contain the standard X-Remote-User, X-Remote-Group and X-Remote-Extra- names",
            );
        }
        for w in config.warnings() {
            out.add(Severity::Warning, "header-names", w.clone());
        }
        for (list, name) in rh.never_matching() {
            out.add(
                Severity::Warning,
                "header-names",
                format!(
                    "{list} entry {name:?} is not a valid HTTP header name (a space or other \
                     separator in it), so it never matches a request header (spec §1.1 rule 2)"
                ),
            );
        }
    }
    out
}

/// The "CA Reusage and Conflicts" hazard (see [`crate::overlap`]).
fn check_overlap(out: &mut Findings, rh: &CaBundle, client: &CaBundle, allowed: &[String]) {
    let shared = crate::overlap::shared(rh, client);
    if shared.is_empty() {
        out.add(
            Severity::Ok,
            "ca-overlap",
            "the request-header CA and the client CA share no certificate or key",
        );
        return;
    }
    for s in shared {
        if allowed.is_empty() {
            out.add(
                Severity::Critical,
                "ca-overlap",
                format!(
                    "{s}; requestheader-allowed-names is empty, so ANY client certificate of the \
                     client CA (a kubectl user's, a node's) is trusted as the front proxy and can \
                     claim any user and group in X-Remote-* headers (\"CA Reusage and Conflicts\"); \
                     use a separate CA for the front proxy"
                ),
            );
        } else {
            out.add(
                Severity::Warning,
                "ca-overlap",
                format!(
                    "{s}; a client certificate the client CA issues for an allowed CN {allowed:?} \
                     can act as the front proxy and claim any identity; use a separate CA for the \
                     front proxy (\"CA Reusage and Conflicts\")"
                ),
            );
        }
    }
}

/// Validity and usability of every certificate of a bundle at `now`.
fn check_bundle(out: &mut Findings, bundle: &CaBundle, label: &str, consequence: &str, now: i64) {
    let certs = bundle.certificates();
    let mut usable = 0;
    let mut all_expired = true;
    let mut first_expiry: Option<i64> = None;
    for (i, cert) in certs.iter().enumerate() {
        let f = &cert.facts;
        let name = format!("{label} #{} {:?}", i + 1, f.display_name());
        let validity = f.validity_at(now);
        all_expired &= validity == Validity::Expired;
        match validity {
            Validity::Expired => out.add(
                Severity::Warning,
                "ca-validity",
                format!("{name} expired at {}", rfc3339(f.not_after)),
            ),
            Validity::NotYetValid => out.add(
                Severity::Warning,
                "ca-validity",
                format!("{name} is not valid before {}", rfc3339(f.not_before)),
            ),
            Validity::Valid => {
                let days = (f.not_after - now) / 86_400;
                if f.not_after - now < EXPIRY_WARNING_DAYS * 86_400 {
                    out.add(
                        Severity::Warning,
                        "ca-validity",
                        format!(
                            "{name} expires at {} (in {days} day(s), less than {EXPIRY_WARNING_DAYS})",
                            rfc3339(f.not_after)
                        ),
                    );
                }
            }
        }
        let mut problems = Vec::new();
        if let Err(e) = &f.issuer_check {
            problems.push(format!("it may not sign certificates: it {e}"));
        }
        if !f.eku_allows_client_auth {
            problems.push(format!(
                "its extended key usage {} lacks clientAuth",
                f.eku_description.as_deref().unwrap_or("[]")
            ));
        }
        if let Some(oid) = &f.unhandled_critical {
            problems.push(format!("it has an unhandled critical extension {oid}"));
        }
        if let Err(e) = &cert.anchor {
            problems.push(format!("it {e}"));
        }
        if !problems.is_empty() {
            out.add(
                Severity::Warning,
                "ca-unusable",
                format!("{name} can never anchor a chain: {}", problems.join("; ")),
            );
        } else if validity == Validity::Valid {
            usable += 1;
            first_expiry = Some(first_expiry.map_or(f.not_after, |e| e.min(f.not_after)));
        }
    }
    if usable == 0 {
        let why = if all_expired {
            "every certificate has expired"
        } else {
            "no certificate is both valid at that instant and usable as a trust anchor"
        };
        out.add(
            Severity::Critical,
            "ca-validity",
            format!("{label} {}: {why}; {consequence}", bundle.source()),
        );
    } else if let Some(expiry) = first_expiry {
        out.add(
            Severity::Ok,
            "ca-validity",
            format!(
                "{label}: {usable} of {} certificate(s) valid and usable as trust anchors; the first expires at {}",
                certs.len(),
                rfc3339(expiry)
            ),
        );
    }
}
