//! `frontproxy doctor`: one case per finding, each with the configuration that provokes it.
//! A case asserts the finding lines (`SEVERITY [check] message`) and the exit status
//! (0 clean, 1 warnings only, 3 any CRITICAL, 2 usage/configuration error).

mod common;

use std::process::Command;
use std::sync::Arc;

use common::pki::*;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The findings as (severity, check, message).
    fn findings(&self) -> Vec<(&str, &str, &str)> {
        self.stdout
            .lines()
            .filter_map(|l| {
                let (severity, rest) = l.split_once(' ')?;
                if !["CRITICAL", "WARNING", "OK", "INFO"].contains(&severity) {
                    return None;
                }
                let rest = rest.trim_start().strip_prefix('[')?;
                let (check, message) = rest.split_once("] ")?;
                Some((severity, check, message))
            })
            .collect()
    }
    fn has(&self, severity: &str, check: &str, contains: &str) -> bool {
        self.findings()
            .iter()
            .any(|(s, c, m)| *s == severity && *c == check && m.contains(contains))
    }
    fn count(&self, severity: &str) -> usize {
        self.findings()
            .iter()
            .filter(|(s, _, _)| *s == severity)
            .count()
    }
}

fn doctor(args: &[String]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .arg("doctor")
        .args(args)
        .output()
        .expect("run frontproxy");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn at_offset(days: i64) -> String {
    (OffsetDateTime::now_utc() + Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Separate CAs for the front proxy and for clients, both valid for a year.
struct Cas {
    proxy: Issued,
    client: Issued,
}

fn separate_cas() -> Cas {
    Cas {
        proxy: self_signed(ca_spec("front-proxy-ca"), KeyKind::EcdsaP256.fresh()),
        client: self_signed(ca_spec("kubernetes-client-ca"), KeyKind::EcdsaP256.fresh()),
    }
}

fn flags(dir: &PkiDir, rh: &[&Issued], client: Option<&[&Issued]>, extra: &[&str]) -> Vec<String> {
    let mut args = vec![
        "--requestheader-client-ca-file".to_string(),
        dir.write_bundle("rh.pem", rh).display().to_string(),
    ];
    if let Some(client) = client {
        args.push("--client-ca-file".into());
        args.push(dir.write_bundle("client.pem", client).display().to_string());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

const ALLOWED: &str = "--requestheader-allowed-names=front-proxy-client";

type Expect = (&'static str, &'static str, &'static str);
type BuildArgs = Box<dyn Fn(&PkiDir) -> Vec<String>>;

struct Case {
    name: &'static str,
    /// Builds the arguments (files go into the directory).
    args: BuildArgs,
    code: i32,
    expect: Vec<Expect>,
    /// Severities that must not appear at all.
    absent: Vec<&'static str>,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "healthy: separate CAs, allowed names, standard headers",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.proxy], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 0,
            expect: vec![
                ("OK", "ca-overlap", "share no certificate"),
                ("OK", "allowed-names", "front-proxy-client"),
                ("OK", "header-names", "standard"),
                ("OK", "ca-validity", "request-header CA: 1 of 1"),
                ("OK", "ca-validity", "client CA: 1 of 1"),
                ("INFO", "requestheader", "allowed names [\"front-proxy-client\"]"),
            ],
            absent: vec!["CRITICAL", "WARNING"],
        },
        Case {
            name: "s1_8_r28 CA reuse: the same CA in both bundles, allowed names empty",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.client], Some(&[&c.client]), &[])
            }),
            code: 3,
            expect: vec![
                ("CRITICAL", "ca-overlap", "the same certificate is in both bundles"),
                ("WARNING", "allowed-names", "empty"),
            ],
            absent: vec![],
        },
        Case {
            name: "s1_7_r22 CA reuse with allowed names: a warning",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.client], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-overlap", "the same certificate is in both bundles")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r12 CA reuse: same subject and key, re-issued certificate",
            args: Box::new(|d| {
                let key = KeyKind::EcdsaP256.fresh();
                let a = self_signed(ca_spec("shared-ca"), Arc::clone(&key));
                let b = self_signed(
                    ca_spec("shared-ca").validity(
                        OffsetDateTime::now_utc() - Duration::days(2),
                        OffsetDateTime::now_utc() + Duration::days(400),
                    ),
                    key,
                );
                assert_ne!(a.cert_der, b.cert_der);
                flags(d, &[&a], Some(&[&b]), &[])
            }),
            code: 3,
            expect: vec![("CRITICAL", "ca-overlap", "same CA (subject and public key)")],
            absent: vec![],
        },
        Case {
            name: "s1_7_r20 CA reuse: the client CA is an intermediate of the request-header CA",
            args: Box::new(|d| {
                let root = self_signed(ca_spec("front-proxy-ca"), KeyKind::EcdsaP256.fresh());
                let client = root.issue(intermediate_spec("kubernetes-client-ca"), KeyKind::EcdsaP256.fresh());
                flags(d, &[&root], Some(&[&client]), &[])
            }),
            code: 3,
            expect: vec![("CRITICAL", "ca-overlap", "issued by the request-header CA")],
            absent: vec![],
        },
        Case {
            name: "s3_3_r9 every request-header CA certificate expired",
            args: Box::new(|d| {
                let c = separate_cas();
                let expired = self_signed(ca_spec("front-proxy-ca").expired(), KeyKind::EcdsaP256.fresh());
                flags(d, &[&expired], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 3,
            expect: vec![
                ("CRITICAL", "ca-validity", "every certificate has expired"),
                ("WARNING", "ca-validity", "expired at"),
                ("OK", "ca-validity", "client CA: 1 of 1"),
            ],
            absent: vec![],
        },
        Case {
            name: "s3_3_r9 one expired certificate next to a valid one",
            args: Box::new(|d| {
                let c = separate_cas();
                let expired = self_signed(ca_spec("old-front-proxy-ca").expired(), KeyKind::EcdsaP256.fresh());
                flags(d, &[&expired, &c.proxy], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![
                ("WARNING", "ca-validity", "request-header CA #1 \"CN=old-front-proxy-ca\" expired at"),
                ("OK", "ca-validity", "request-header CA: 1 of 2"),
            ],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r9 a client CA certificate not yet valid",
            args: Box::new(|d| {
                let c = separate_cas();
                let future = self_signed(ca_spec("next-client-ca").not_yet_valid(), KeyKind::EcdsaP256.fresh());
                flags(d, &[&c.proxy], Some(&[&c.client, &future]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-validity", "client CA #2 \"CN=next-client-ca\" is not valid before")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r9 the only client CA certificate not yet valid",
            args: Box::new(|d| {
                let c = separate_cas();
                let future = self_signed(ca_spec("next-client-ca").not_yet_valid(), KeyKind::EcdsaP256.fresh());
                flags(d, &[&c.proxy], Some(&[&future]), &[ALLOWED])
            }),
            code: 3,
            expect: vec![("CRITICAL", "ca-validity", "client CA --client-ca-file: no certificate is both valid")],
            absent: vec![],
        },
        Case {
            name: "s3_3_r9 a CA certificate expiring within 30 days",
            args: Box::new(|d| {
                let c = separate_cas();
                let soon = self_signed(
                    ca_spec("front-proxy-ca").validity(
                        OffsetDateTime::now_utc() - Duration::days(300),
                        OffsetDateTime::now_utc() + Duration::days(10),
                    ),
                    KeyKind::EcdsaP256.fresh(),
                );
                flags(d, &[&soon], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-validity", "less than 30")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "--at: a healthy configuration checked 340 days ahead is expiring",
            args: Box::new(|d| {
                let c = separate_cas();
                let mut a = flags(d, &[&c.proxy], Some(&[&c.client]), &[ALLOWED]);
                a.push(format!("--at={}", at_offset(340)));
                a
            }),
            code: 1,
            expect: vec![
                ("WARNING", "ca-validity", "request-header CA #1 \"CN=front-proxy-ca\" expires at"),
                ("WARNING", "ca-validity", "client CA #1 \"CN=kubernetes-client-ca\" expires at"),
            ],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "--at: a healthy configuration checked two years ahead has expired",
            args: Box::new(|d| {
                let c = separate_cas();
                let mut a = flags(d, &[&c.proxy], Some(&[&c.client]), &[ALLOWED]);
                a.push("--at".into());
                a.push(at_offset(730));
                a
            }),
            code: 3,
            expect: vec![
                ("CRITICAL", "ca-validity", "request-header CA --requestheader-client-ca-file: every certificate has expired"),
                ("CRITICAL", "ca-validity", "client CA --client-ca-file: every certificate has expired"),
            ],
            absent: vec![],
        },
        Case {
            name: "s1_7_r22 empty allowed names with separate CAs",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.proxy], Some(&[&c.client]), &[])
            }),
            code: 1,
            expect: vec![
                ("WARNING", "allowed-names", "requestheader-allowed-names is empty"),
                ("OK", "ca-overlap", "share no certificate"),
            ],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s4_1_r3 username headers without X-Remote-User",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.proxy], Some(&[&c.client]), &[ALLOWED, "--requestheader-username-headers=X-Custom-User"])
            }),
            code: 1,
            expect: vec![("WARNING", "header-names", "does not contain X-Remote-User: API aggregation will not work")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s1_1_r2 a header name with a leading space never matches",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(
                    d,
                    &[&c.proxy],
                    Some(&[&c.client]),
                    &[ALLOWED, "--requestheader-group-headers=X-Remote-Group, X-Custom-Group"],
                )
            }),
            code: 1,
            expect: vec![("WARNING", "header-names", "\" X-Custom-Group\" is not a valid HTTP header name")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s1_7_r22 an allowed name with surrounding whitespace",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(
                    d,
                    &[&c.proxy],
                    Some(&[&c.client]),
                    &["--requestheader-allowed-names=front-proxy-client, aggregator"],
                )
            }),
            code: 1,
            expect: vec![("WARNING", "allowed-names", "\" aggregator\" has surrounding whitespace")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r11 a bundle certificate with CA=false",
            args: Box::new(|d| {
                let c = separate_cas();
                let not_ca = self_signed(ca_spec("not-a-ca").ca(IsCa::ExplicitNoCa), KeyKind::EcdsaP256.fresh());
                flags(d, &[&c.proxy, &not_ca], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-unusable", "#2 \"CN=not-a-ca\" can never anchor a chain: it may not sign certificates")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r11 a bundle certificate whose KeyUsage lacks keyCertSign",
            args: Box::new(|d| {
                let c = separate_cas();
                let no_sign = self_signed(
                    ca_spec("no-cert-sign").key_usages(&[KeyUsagePurpose::DigitalSignature]),
                    KeyKind::EcdsaP256.fresh(),
                );
                flags(d, &[&c.proxy], Some(&[&c.client, &no_sign]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-unusable", "keyCertSign")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r10 a bundle certificate whose EKU lacks clientAuth",
            args: Box::new(|d| {
                let c = separate_cas();
                let server_only = self_signed(
                    ca_spec("serving-ca").ekus(&[ExtendedKeyUsagePurpose::ServerAuth]),
                    KeyKind::EcdsaP256.fresh(),
                );
                flags(d, &[&c.proxy, &server_only], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-unusable", "lacks clientAuth")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s3_3_r14 a bundle certificate with an unhandled critical extension",
            args: Box::new(|d| {
                let c = separate_cas();
                let odd = self_signed(ca_spec("odd-ca").unknown_critical_extension(), KeyKind::EcdsaP256.fresh());
                flags(d, &[&c.proxy, &odd], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 1,
            expect: vec![("WARNING", "ca-unusable", "unhandled critical extension 1.3.6.1.4.1.32473.1.1")],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s2_r5 the only request-header CA certificate can never anchor a chain",
            args: Box::new(|d| {
                let c = separate_cas();
                let not_ca = self_signed(ca_spec("not-a-ca").ca(IsCa::ExplicitNoCa), KeyKind::EcdsaP256.fresh());
                flags(d, &[&not_ca], Some(&[&c.client]), &[ALLOWED])
            }),
            code: 3,
            expect: vec![
                ("WARNING", "ca-unusable", "can never anchor a chain"),
                ("CRITICAL", "ca-validity", "no certificate is both valid at that instant and usable"),
            ],
            absent: vec![],
        },
        Case {
            // Issue 8: a WARNING (exit 1), not INFO: every aggregated request would be
            // anonymous.
            name: "s1_8_r24 no request-header CA: x509 client certificates only",
            args: Box::new(|d| {
                let c = separate_cas();
                vec!["--client-ca-file".into(), d.write_cert("client.pem", &c.client).display().to_string()]
            }),
            code: 1,
            expect: vec![
                ("WARNING", "requestheader", "no request-header CA"),
                ("WARNING", "requestheader", "every aggregated request would be anonymous"),
                ("OK", "ca-validity", "client CA: 1 of 1"),
            ],
            absent: vec!["CRITICAL"],
        },
        Case {
            name: "s1_8_r28 no client CA: a note about anonymous",
            args: Box::new(|d| {
                let c = separate_cas();
                flags(d, &[&c.proxy], None, &[ALLOWED])
            }),
            code: 0,
            expect: vec![("INFO", "client-ca", "system:anonymous")],
            absent: vec!["CRITICAL", "WARNING"],
        },
        Case {
            name: "s2_r3 ConfigMap: CA reuse and a header name with a space",
            args: Box::new(|d| {
                let c = separate_cas();
                let doc = serde_json::json!({
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
                    "data": {
                        "client-ca-file": c.client.pem,
                        "requestheader-client-ca-file": c.client.pem,
                        "requestheader-username-headers": "[\" X-Remote-User\"]",
                        "requestheader-group-headers": "[\"X-Remote-Group\"]",
                        "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]",
                        "requestheader-allowed-names": "[]",
                    }
                });
                let path = d.write("cm.json", doc.to_string());
                vec!["--configmap".into(), path.display().to_string()]
            }),
            code: 3,
            expect: vec![
                ("CRITICAL", "ca-overlap", "the same certificate is in both bundles"),
                ("WARNING", "header-names", "\" X-Remote-User\" is not a valid HTTP header name"),
                ("WARNING", "header-names", "does not contain X-Remote-User"),
            ],
            absent: vec![],
        },
    ]
}

#[test]
fn doctor_findings_and_exit_status() {
    let mut failures = Vec::new();
    for case in cases() {
        let dir = PkiDir::new();
        let run = doctor(&(case.args)(&dir));
        let mut problems = Vec::new();
        if run.code != case.code {
            problems.push(format!("exit status {} (expected {})", run.code, case.code));
        }
        for (severity, check, contains) in &case.expect {
            if !run.has(severity, check, contains) {
                problems.push(format!("missing {severity} [{check}] ...{contains}..."));
            }
        }
        for severity in &case.absent {
            if run.count(severity) > 0 {
                problems.push(format!("unexpected {severity} finding"));
            }
        }
        let summary = run.stdout.lines().last().unwrap_or("");
        let expected_summary = format!("exit status {}", case.code);
        if !summary.starts_with("summary: ") || !summary.ends_with(&expected_summary) {
            problems.push(format!("summary line {summary:?}"));
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{}:\n  {}\n--- stdout\n{}--- stderr\n{}",
                case.name,
                problems.join("\n  "),
                run.stdout,
                run.stderr
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Findings are sorted worst first, and the summary counts them.
#[test]
fn doctor_orders_findings_worst_first() {
    let dir = PkiDir::new();
    let c = separate_cas();
    let expired = self_signed(ca_spec("old").expired(), KeyKind::EcdsaP256.fresh());
    let run = doctor(&flags(
        &dir,
        &[&c.client, &expired],
        Some(&[&c.client]),
        &[],
    ));
    let rank = |s: &str| {
        ["CRITICAL", "WARNING", "OK", "INFO"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    let ranks: Vec<usize> = run.findings().iter().map(|(s, _, _)| rank(s)).collect();
    assert!(ranks.len() >= 4, "{}", run.stdout);
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{}", run.stdout);
    let summary = run.stdout.lines().last().unwrap();
    assert_eq!(
        summary,
        format!(
            "summary: {} critical, {} warning(s), {} ok, {} info; exit status 3",
            run.count("CRITICAL"),
            run.count("WARNING"),
            run.count("OK"),
            run.count("INFO")
        )
    );
}

/// The hazard the ca-overlap finding describes is real: with the client CA issued by the
/// request-header CA and no allowed names, a user's certificate presented with the client CA
/// as intermediate is trusted as the front proxy (spec §1.7 rule 20: intermediates come from
/// the presented chain).
#[test]
fn s1_7_r20_client_ca_under_the_request_header_ca_can_impersonate() {
    let dir = PkiDir::new();
    let root = self_signed(ca_spec("front-proxy-ca"), KeyKind::EcdsaP256.fresh());
    let client_ca = root.issue(
        intermediate_spec("kubernetes-client-ca"),
        KeyKind::EcdsaP256.fresh(),
    );
    let user = client_ca.issue(client_leaf_spec("jane"), KeyKind::EcdsaP256.fresh());
    let args = flags(&dir, &[&root], Some(&[&client_ca]), &[]);
    let run = doctor(&args);
    assert!(
        run.has("CRITICAL", "ca-overlap", "issued by the request-header CA"),
        "{}",
        run.stdout
    );

    let chain = dir.write_bundle("chain.pem", &[&user, &client_ca]);
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .arg("check")
        .args(&args)
        .arg("--chain")
        .arg(&chain)
        .args([
            "--header",
            "X-Remote-User: system:admin",
            "--header",
            "X-Remote-Group: system:masters",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON verdict");
    assert_eq!(v["decision"], "authenticated", "{v}");
    assert_eq!(v["authenticator"], "requestheader", "{v}");
    assert_eq!(v["user"]["name"], "system:admin", "{v}");
}

#[test]
fn doctor_usage_and_configuration_errors_exit_2() {
    let dir = PkiDir::new();
    let c = separate_cas();
    let good = dir.write_cert("ca.pem", &c.proxy).display().to_string();
    let empty = dir
        .write("empty.pem", "not a certificate\n")
        .display()
        .to_string();
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("no configuration", vec![]),
        (
            "unknown argument",
            vec![
                "--requestheader-client-ca-file".into(),
                good.clone(),
                "--bogus".into(),
            ],
        ),
        (
            "--at not RFC 3339",
            vec![
                "--requestheader-client-ca-file".into(),
                good.clone(),
                "--at".into(),
                "tomorrow".into(),
            ],
        ),
        (
            "--at without a value",
            vec![
                "--requestheader-client-ca-file".into(),
                good.clone(),
                "--at".into(),
            ],
        ),
        (
            "unreadable CA file",
            vec![
                "--client-ca-file".into(),
                dir.path().join("missing.pem").display().to_string(),
            ],
        ),
        (
            "a CA file without certificates",
            vec!["--client-ca-file".into(), empty],
        ),
        (
            "unreadable ConfigMap",
            vec![
                "--configmap".into(),
                dir.path().join("missing.json").display().to_string(),
            ],
        ),
    ];
    for (name, args) in cases {
        let run = doctor(&args);
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.starts_with("frontproxy: "),
            "{name}: {}",
            run.stderr
        );
        assert!(
            run.findings().is_empty(),
            "{name}: no findings on a usage error"
        );
    }
}
