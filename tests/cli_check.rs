//! Black-box tests of `frontproxy check`: the JSON contract on stdout, exit codes (0
//! authenticated, 1 anonymous or rejected, 2 usage or configuration error), the configuration
//! sources, `--header`, `--at` and `--explain`. Certificates are generated at test time.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use common::pki::*;
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

struct Files {
    dir: PkiDir,
    front_proxy_ca: PathBuf,
    client_ca: PathBuf,
    /// Front-proxy leaf (CN front-proxy-client), signed by the front-proxy CA.
    front_proxy_chain: PathBuf,
    /// Leaf + intermediate, anchored at the front-proxy CA.
    front_proxy_chain_with_intermediate: PathBuf,
    /// A user certificate (CN alice-cert, O team-a) from the client CA.
    client_chain: PathBuf,
    /// A leaf with the front proxy's CN from an unrelated CA.
    other_chain: PathBuf,
    /// A front-proxy leaf that expired a day ago (valid from 30 days ago until yesterday).
    expired_leaf_chain: PathBuf,
    /// The instant (RFC 3339) two days ago, inside the expired leaf's validity.
    two_days_ago: String,
    /// The instant (RFC 3339) 400 days from now, after every default validity.
    in_400_days: String,
    /// The instant (RFC 3339) 30 days before the CAs' validity began.
    before_everything: String,
    configmap_json: PathBuf,
    configmap_yaml: PathBuf,
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// The certificates, generated once per test binary.
struct Certs {
    front_proxy_ca: Issued,
    client_ca: Issued,
    intermediate: Issued,
    fp_leaf: Issued,
    fp_leaf_2: Issued,
    client_leaf: Issued,
    other_leaf: Issued,
    expired_leaf: Issued,
    now: OffsetDateTime,
}

fn certs() -> &'static Certs {
    static CERTS: OnceLock<Certs> = OnceLock::new();
    CERTS.get_or_init(|| {
        let key = |slot| KeyKind::EcdsaP256.pooled(slot);
        let now = OffsetDateTime::now_utc();
        // CAs valid from 60 days ago, so that an instant inside an expired leaf's validity is
        // inside theirs too.
        let long_ca =
            |cn: &str| ca_spec(cn).validity(now - Duration::days(60), now + Duration::days(365));
        let front_proxy_ca = self_signed(long_ca("front-proxy-ca"), key(70));
        let client_ca = self_signed(long_ca("client-ca"), key(71));
        let other_ca = self_signed(long_ca("other-ca"), key(72));
        let intermediate =
            front_proxy_ca.issue(intermediate_spec("front-proxy-intermediate"), key(73));
        Certs {
            fp_leaf: front_proxy_ca.issue(client_leaf_spec("front-proxy-client"), key(74)),
            fp_leaf_2: intermediate.issue(client_leaf_spec("front-proxy-client"), key(75)),
            client_leaf: client_ca.issue(client_leaf_spec("alice-cert").org("team-a"), key(76)),
            other_leaf: other_ca.issue(client_leaf_spec("front-proxy-client"), key(77)),
            expired_leaf: front_proxy_ca
                .issue(client_leaf_spec("front-proxy-client").expired(), key(78)),
            front_proxy_ca,
            client_ca,
            intermediate,
            now,
        }
    })
}

/// The files one test needs, in a directory deleted with it.
fn files() -> Files {
    let c = certs();
    let now = c.now;
    let dir = PkiDir::new();
    Files {
        front_proxy_ca: dir.write_cert("front-proxy-ca.crt", &c.front_proxy_ca),
        client_ca: dir.write_cert("client-ca.crt", &c.client_ca),
        front_proxy_chain: dir.write_bundle("front-proxy.pem", &[&c.fp_leaf]),
        front_proxy_chain_with_intermediate: dir
            .write_bundle("front-proxy-2.pem", &[&c.fp_leaf_2, &c.intermediate]),
        client_chain: dir.write_bundle("alice.pem", &[&c.client_leaf]),
        other_chain: dir.write_bundle("other.pem", &[&c.other_leaf]),
        expired_leaf_chain: dir.write_bundle("expired.pem", &[&c.expired_leaf]),
        two_days_ago: rfc3339(now - Duration::days(2)),
        in_400_days: rfc3339(now + Duration::days(400)),
        before_everything: rfc3339(now - Duration::days(90)),
        configmap_json: dir.write(
            "configmap.json",
            kubectl_json(&c.front_proxy_ca.pem, &c.client_ca.pem),
        ),
        configmap_yaml: dir.write(
            "configmap.yaml",
            kubectl_yaml(&c.front_proxy_ca.pem, &c.client_ca.pem),
        ),
        dir,
    }
}

/// The ConfigMap as `kubectl get -o json` prints it (lists matching `standard_flags`).
fn kubectl_json(rh_ca: &str, client_ca: &str) -> String {
    let data = json!({
        "client-ca-file": client_ca,
        "requestheader-allowed-names": "[\"front-proxy-client\"]",
        "requestheader-client-ca-file": rh_ca,
        "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]",
        "requestheader-group-headers": "[\"X-Remote-Group\"]",
        "requestheader-uid-headers": "[\"X-Remote-Uid\"]",
        "requestheader-username-headers": "[\"X-Remote-User\"]",
    });
    let doc = json!({
        "apiVersion": "v1",
        "data": data,
        "kind": "ConfigMap",
        "metadata": {
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "name": "extension-apiserver-authentication",
            "namespace": "kube-system",
            "resourceVersion": "31",
            "uid": "0d7c5a55-1c2f-4a8e-9c55-3a7f1f0c2b7e"
        }
    });
    serde_json::to_string_pretty(&doc).unwrap()
}

/// The ConfigMap as `kubectl get -o yaml` prints it: block scalars for PEM, single-quoted
/// JSON-array strings for the lists.
fn kubectl_yaml(rh_ca: &str, client_ca: &str) -> String {
    let block = |pem: &str| {
        pem.lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    };
    format!(
        "apiVersion: v1\n\
         data:\n  \
           client-ca-file: |\n{}  \
           requestheader-allowed-names: '[\"front-proxy-client\"]'\n  \
           requestheader-client-ca-file: |\n{}  \
           requestheader-extra-headers-prefix: '[\"X-Remote-Extra-\"]'\n  \
           requestheader-group-headers: '[\"X-Remote-Group\"]'\n  \
           requestheader-uid-headers: '[\"X-Remote-Uid\"]'\n  \
           requestheader-username-headers: '[\"X-Remote-User\"]'\n\
         kind: ConfigMap\n\
         metadata:\n  \
           creationTimestamp: \"2024-05-01T10:00:00Z\"\n  \
           name: extension-apiserver-authentication\n  \
           namespace: kube-system\n  \
           resourceVersion: \"31\"\n  \
           uid: 0d7c5a55-1c2f-4a8e-9c55-3a7f1f0c2b7e\n",
        block(client_ca),
        block(rh_ca)
    )
}

fn path(p: &PathBuf) -> String {
    p.display().to_string()
}

/// The flags equivalent of the ConfigMap fixtures.
fn standard_flags(f: &Files) -> Vec<String> {
    vec![
        format!("--requestheader-client-ca-file={}", path(&f.front_proxy_ca)),
        "--requestheader-allowed-names=front-proxy-client".into(),
        "--requestheader-uid-headers=X-Remote-Uid".into(),
        format!("--client-ca-file={}", path(&f.client_ca)),
    ]
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// stdout must be exactly one JSON object on one line.
    fn json(&self) -> Value {
        let lines: Vec<&str> = self.stdout.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "stdout must be one line:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        let v: Value = serde_json::from_str(lines[0])
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout));
        assert!(v.is_object(), "stdout is not a JSON object: {v}");
        v
    }
}

fn check<S: AsRef<str>>(args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .arg("check")
        .args(args.iter().map(|a| a.as_ref()))
        .output()
        .expect("run frontproxy");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

fn args(base: Vec<String>, more: &[&str]) -> Vec<String> {
    let mut all = base;
    all.extend(more.iter().map(|s| s.to_string()));
    all
}

/// The output without a rejection's message, which names the configuration source (a flag or a
/// ConfigMap key) and so legitimately differs between sources.
/// The same holds for the detail of an authenticator that rejected.
fn comparable(mut v: Value) -> Value {
    if v["decision"] == "rejected" {
        let message = v.as_object_mut().unwrap().remove("message");
        assert!(
            message.is_some_and(|m| m.as_str().is_some_and(|m| !m.is_empty())),
            "{v}"
        );
    }
    for part in ["requestheader", "x509"] {
        let p = &mut v["authenticators"][part];
        if p["opinion"] == "rejected" {
            let detail = p.as_object_mut().unwrap().remove("detail");
            assert!(detail.is_some_and(|d| d.as_str().is_some_and(|d| !d.is_empty())));
        }
    }
    v
}

/// The `authenticators` breakdown with its details removed: `(opinion, reason)` per
/// authenticator, after checking that every part has exactly the keys of the contract.
fn opinions(v: &Value) -> [(String, Value); 2] {
    let a = &v["authenticators"];
    assert_eq!(keys(a), ["requestheader", "x509"], "{v}");
    ["requestheader", "x509"].map(|part| {
        let p = &a[part];
        assert_eq!(keys(p), ["detail", "opinion", "reason"], "{v}");
        assert!(p["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
        (
            p["opinion"].as_str().unwrap().to_string(),
            p["reason"].clone(),
        )
    })
}

fn op(opinion: &str, reason: Value) -> (String, Value) {
    (opinion.to_string(), reason)
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    k.sort();
    k
}

// ---------------------------------------------------------------------------------------------
// The JSON contract and exit codes
// ---------------------------------------------------------------------------------------------

/// Authenticated by the request-header authenticator: exit 0, the user after the group adder
/// (§1.9 rule 30), the headers to remove (§1.9 rule 32).
#[test]
fn authenticated_json_shape_and_exit_0() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
            "--header",
            "X-Remote-Uid: u-1",
            "--header",
            "X-Remote-Group: g",
            "--header",
            "X-Remote-Extra-Scopes: read",
            "--header",
            "Accept: */*",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut v = run.json();
    // The contract's keys, plus the per-authenticator breakdown (added for issue 8).
    assert_eq!(
        keys(&v),
        [
            "authenticator",
            "authenticators",
            "clear_headers",
            "decision",
            "user"
        ]
    );
    assert_eq!(
        opinions(&v),
        [
            op("authenticated", Value::Null),
            op("not_consulted", Value::Null)
        ]
    );
    v.as_object_mut().unwrap().remove("authenticators");
    assert_eq!(
        v,
        json!({
            "decision": "authenticated",
            "authenticator": "requestheader",
            "user": {
                "name": "alice",
                "uid": "u-1",
                "groups": ["g", "system:authenticated"],
                "extra": {"scopes": ["read"]}
            },
            "clear_headers": ["X-Remote-User", "X-Remote-Uid", "X-Remote-Group", "X-Remote-Extra-Scopes"]
        })
    );
}

/// §1.4 rule 10, §1.5 rule 11: with no group or extra header, groups and extra are an array
/// and an object, never null.
#[test]
fn authenticated_empty_groups_and_extra_are_array_and_object() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["user"]["groups"], json!(["system:authenticated"]));
    assert_eq!(v["user"]["extra"], json!({}));
    assert_eq!(v["user"]["uid"], json!(""));
}

/// §1.7 rule 18 + §1.8 rule 27: no certificate → anonymous, exit 1, spoofed headers listed.
#[test]
fn anonymous_json_shape_and_exit_1() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--header",
            "X-Remote-User: system:admin",
            "--header",
            "X-Remote-Group: system:masters",
        ],
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mut v = run.json();
    assert_eq!(
        keys(&v),
        ["authenticators", "clear_headers", "decision", "user"]
    );
    assert_eq!(
        opinions(&v),
        [op("no_opinion", Value::Null), op("no_opinion", Value::Null)]
    );
    v.as_object_mut().unwrap().remove("authenticators");
    assert_eq!(
        v,
        json!({
            "decision": "anonymous",
            "user": {"name": "system:anonymous", "uid": "", "groups": ["system:unauthenticated"], "extra": {}},
            "clear_headers": ["X-Remote-User", "X-Remote-Group"]
        })
    );
}

/// §1.8 rules 25/28: a chain neither CA verifies → rejected, exit 1, a stable reason code.
#[test]
fn rejected_json_shape_and_exit_1() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.other_chain),
            "--header",
            "X-Remote-User: alice",
        ],
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.json();
    assert_eq!(
        keys(&v),
        ["authenticators", "decision", "message", "reason"]
    );
    assert_eq!(v["decision"], "rejected");
    assert_eq!(v["reason"], "unknown_authority");
    assert_eq!(
        opinions(&v),
        [
            op("rejected", json!("unknown_authority")),
            op("rejected", json!("unknown_authority"))
        ]
    );
    assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
}

/// §1.7 rule 22 through the CLI: a CN outside requestheader-allowed-names is rejected.
#[test]
fn rejected_cn_not_allowed() {
    let f = &files();
    let run = check(&[
        format!("--requestheader-client-ca-file={}", path(&f.front_proxy_ca)),
        "--requestheader-allowed-names=aggregator".into(),
        "--chain".into(),
        path(&f.front_proxy_chain),
        "--header".into(),
        "X-Remote-User: alice".into(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["reason"], "common_name_not_allowed");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("front-proxy-client"),
        "{v}"
    );
}

/// §1.8 rule 28: the x509 authenticator shows up as `"authenticator": "x509"`.
#[test]
fn x509_authenticator_in_json() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.client_chain),
            "--header",
            "X-Remote-User: system:admin",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["decision"], "authenticated");
    assert_eq!(v["authenticator"], "x509");
    assert_eq!(v["user"]["name"], "alice-cert");
    assert_eq!(
        v["user"]["groups"],
        json!(["team-a", "system:authenticated"])
    );
    assert_eq!(v["clear_headers"], json!(["X-Remote-User"]));
}

/// Invalid header bytes are the library's `invalid_header` rejection, not a usage error.
#[test]
fn invalid_header_name_is_rejected_exit_1() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
            "--header",
            "Bad Name: x",
        ],
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["reason"], "invalid_header");
    // Refused before the union: neither authenticator was asked.
    assert_eq!(
        opinions(&v),
        [
            op("not_consulted", Value::Null),
            op("not_consulted", Value::Null)
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration sources
// ---------------------------------------------------------------------------------------------

/// `--configmap` (JSON and YAML as kubectl prints them) and the equivalent flags (both
/// `--flag=value` and `--flag value`) give identical output for every probe request.
#[test]
fn configmap_json_yaml_and_flags_agree() {
    let f = &files();
    let spaced: Vec<String> = standard_flags(f)
        .iter()
        .flat_map(|a| {
            let (n, v) = a.split_once('=').unwrap();
            [n.to_string(), v.to_string()]
        })
        .collect();
    let sources: Vec<(&str, Vec<String>)> = vec![
        (
            "configmap json",
            vec!["--configmap".into(), path(&f.configmap_json)],
        ),
        (
            "configmap yaml",
            vec![format!("--configmap={}", path(&f.configmap_yaml))],
        ),
        ("flags --flag=value", standard_flags(f)),
        ("flags --flag value", spaced),
    ];
    let requests: Vec<Vec<String>> = vec![
        vec![
            "--chain".into(),
            path(&f.front_proxy_chain),
            "--header".into(),
            "X-Remote-User: alice".into(),
            "--header".into(),
            "X-Remote-Uid: u-1".into(),
        ],
        vec![
            "--chain".into(),
            path(&f.front_proxy_chain_with_intermediate),
            "--header".into(),
            "X-Remote-User: bob".into(),
        ],
        vec![
            "--chain".into(),
            path(&f.front_proxy_chain),
            "--header".into(),
            "X-Remote-Group: g".into(),
        ],
        vec!["--chain".into(), path(&f.client_chain)],
        vec!["--chain".into(), path(&f.other_chain)],
        vec!["--header".into(), "X-Remote-User: mallory".into()],
    ];
    for request in &requests {
        let runs: Vec<(&str, Run)> = sources
            .iter()
            .map(|(name, source)| {
                let mut a = source.clone();
                a.extend(request.iter().cloned());
                (*name, check(&a))
            })
            .collect();
        let (first_name, first) = &runs[0];
        assert_ne!(first.code, 2, "{first_name} {request:?}: {}", first.stderr);
        let want = comparable(first.json());
        for (name, run) in &runs[1..] {
            assert_eq!(
                (run.code, comparable(run.json())),
                (first.code, want.clone()),
                "{name} vs {first_name} for {request:?}"
            );
        }
    }
    // The probe tells decisions apart: authenticated (twice), x509, 401 and anonymous.
    let first = check(
        &[
            vec!["--configmap".into(), path(&f.configmap_json)],
            requests[0].clone(),
        ]
        .concat(),
    );
    assert_eq!(first.json()["user"]["uid"], "u-1");
}

// ---------------------------------------------------------------------------------------------
// --header
// ---------------------------------------------------------------------------------------------

/// `--header` keeps the order of the command line; the same name twice is two values
/// (§1.2 rule 4: only the first username value counts; §1.4 rule 9: all groups, in order).
#[test]
fn header_order_preserved_and_repeated_names_are_several_values() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-Group: b",
            "--header=X-Remote-User: first",
            "--header",
            "X-Remote-Group: a",
            "--header",
            "x-remote-user: second",
            "--header",
            "X-Remote-Extra-Scopes: 2",
            "--header",
            "X-Remote-Extra-Scopes: 1",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["user"]["name"], "first");
    assert_eq!(
        v["user"]["groups"],
        json!(["b", "a", "system:authenticated"])
    );
    assert_eq!(v["user"]["extra"], json!({"scopes": ["2", "1"]}));
    assert_eq!(
        v["clear_headers"],
        json!(["X-Remote-Group", "X-Remote-User", "X-Remote-Extra-Scopes"])
    );
}

/// §1.2 rule 5: the value is trimmed of SP/HTAB whatever the spacing after the colon; a colon
/// inside the value stays.
#[test]
fn header_value_spacing_and_colons() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User:alice",
            "--header",
            "X-Remote-Group:   g1  ",
            "--header",
            "X-Remote-Extra-Url: https://example.org:8443/a",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["user"]["name"], "alice");
    assert_eq!(v["user"]["groups"], json!(["g1", "system:authenticated"]));
    assert_eq!(
        v["user"]["extra"],
        json!({"url": ["https://example.org:8443/a"]})
    );
}

// ---------------------------------------------------------------------------------------------
// --at
// ---------------------------------------------------------------------------------------------

/// `--at` verifies as of another instant (§3.3 rule 9: every certificate's window, no skew).
#[test]
fn at_moves_the_verification_instant() {
    let f = &files();
    let with = |chain: &PathBuf, at: Option<&str>| {
        let mut a = args(
            standard_flags(f),
            &["--chain", &path(chain), "--header", "X-Remote-User: alice"],
        );
        if let Some(at) = at {
            a.push(format!("--at={at}"));
        }
        check(&a)
    };

    // Expired now, valid two days ago.
    let now = with(&f.expired_leaf_chain, None);
    assert_eq!(
        (now.code, now.json()["reason"].clone()),
        (1, json!("certificate_expired")),
        "{}",
        now.stdout
    );
    let then = with(&f.expired_leaf_chain, Some(&f.two_days_ago));
    assert_eq!(then.code, 0, "{}{}", then.stdout, then.stderr);
    assert_eq!(then.json()["user"]["name"], "alice");

    // Valid now, expired in 400 days, not yet valid before the CAs existed.
    assert_eq!(with(&f.front_proxy_chain, None).code, 0);
    let later = with(&f.front_proxy_chain, Some(&f.in_400_days));
    assert_eq!(
        (later.code, later.json()["reason"].clone()),
        (1, json!("certificate_expired"))
    );
    let earlier = with(&f.front_proxy_chain, Some(&f.before_everything));
    assert_eq!(
        (earlier.code, earlier.json()["reason"].clone()),
        (1, json!("certificate_not_yet_valid"))
    );
}

// ---------------------------------------------------------------------------------------------
// --explain
// ---------------------------------------------------------------------------------------------

/// `--explain` writes an account to stderr — the CA, the CN check, which headers were used or
/// ignored — while stdout stays the one JSON object.
#[test]
fn explain_writes_an_account_to_stderr_and_keeps_stdout_json() {
    let f = &files();
    let base = args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
            "--header",
            "X-Remote-User: bob",
            "--header",
            "Accept: */*",
        ],
    );
    let plain = check(&base);
    let explained = check(&args(base, &["--explain"]));
    assert_eq!(explained.code, 0, "{}", explained.stderr);
    assert_eq!(
        explained.json(),
        plain.json(),
        "--explain must not change stdout"
    );
    assert!(
        plain.stderr.is_empty(),
        "no account without --explain: {}",
        plain.stderr
    );
    let account = &explained.stderr;
    for needle in [
        "--requestheader-client-ca-file",
        "front-proxy-ca",
        "requestheader-allowed-names",
        "front-proxy-client",
        "X-Remote-User",
        "alice",
        "ignored",
        "Accept",
        "not an identity header",
    ] {
        assert!(
            account.contains(needle),
            "--explain account lacks {needle:?}:\n{account}"
        );
    }
}

/// `--explain` on a rejection names the failing step.
#[test]
fn explain_names_the_cn_check_failure() {
    let f = &files();
    let run = check(&[
        format!("--requestheader-client-ca-file={}", path(&f.front_proxy_ca)),
        "--requestheader-allowed-names=aggregator".into(),
        "--chain".into(),
        path(&f.front_proxy_chain),
        "--header".into(),
        "X-Remote-User: alice".into(),
        "--explain".into(),
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(run.json()["reason"], "common_name_not_allowed");
    assert!(
        run.stderr.contains("not in the allowed list"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("aggregator"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Issue 8: --explain names the cause to fix; the JSON says which authenticator thought what
// ---------------------------------------------------------------------------------------------

/// The most common aggregated-API 401: a valid front-proxy certificate with an allowed CN but
/// no username header. The reason code stays the x509 authenticator's `unknown_authority`
/// (compatibility), but the breakdown and the account lead with the request-header
/// authenticator's NO OPINION — for an absent header and for a list naming another header.
#[test]
fn no_username_header_is_named_as_the_cause() {
    let f = &files();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            args(standard_flags(f), &["--header", "X-Remote-Group: g"]),
            "X-Remote-User (absent)",
        ),
        (
            args(
                standard_flags(f),
                &[
                    "--requestheader-username-headers=X-Proxy-User",
                    "--header",
                    "X-Remote-User: alice",
                ],
            ),
            "X-Proxy-User (absent)",
        ),
        (
            args(standard_flags(f), &["--header", "X-Remote-User:  "]),
            "X-Remote-User (empty first value)",
        ),
    ];
    for (base, missing) in cases {
        let run = check(&args(
            base,
            &["--chain", &path(&f.front_proxy_chain), "--explain"],
        ));
        assert_eq!(run.code, 1, "{}", run.stderr);
        let v = run.json();
        assert_eq!(v["reason"], "unknown_authority", "{v}");
        assert_eq!(
            opinions(&v),
            [
                op("no_opinion", Value::Null),
                op("rejected", json!("unknown_authority"))
            ],
            "{v}"
        );
        let detail = v["authenticators"]["requestheader"]["detail"]
            .as_str()
            .unwrap();
        assert!(
            detail.contains("no username header had a non-empty value") && detail.contains(missing),
            "{detail}"
        );
        let account = &run.stderr;
        let first = account.lines().next().unwrap_or_default();
        for needle in [
            "cause:",
            "chain verified",
            "CN is allowed",
            "NO OPINION",
            missing,
        ] {
            assert!(
                first.contains(needle),
                "first line lacks {needle:?}:\n{account}"
            );
        }
        assert!(
            account.contains(
                "[unknown_authority] comes from the x509 authenticator, consulted only because the request-header authenticator had no opinion"
            ),
            "{account}"
        );
    }
}

/// On a request-header success the x509 authenticator was never asked: no `ERROR [...]` line
/// for it, and the breakdown says `not_consulted`.
#[test]
fn explain_does_not_report_an_x509_error_after_a_request_header_success() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
            "--explain",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("ERROR ["), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("not consulted: the request-header authenticator already authenticated"),
        "{}",
        run.stderr
    );
}

/// Without a client certificate there is nothing to verify or cache.
#[test]
fn explain_without_a_certificate_does_not_claim_a_cache_miss() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &["--header", "X-Remote-User: alice", "--explain"],
    ));
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        !run.stderr.contains("the chain was verified now"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("no chain to verify or cache"),
        "{}",
        run.stderr
    );
}

/// One CA for both bundles and no allowed names: any client certificate can act as the front
/// proxy. `--explain` flags it and points to `frontproxy doctor`; with allowed names it does
/// not.
#[test]
fn explain_flags_overlapping_cas_without_allowed_names() {
    let f = &files();
    let same_ca = |allowed: &[&str]| {
        let mut a = vec![
            format!("--requestheader-client-ca-file={}", path(&f.client_ca)),
            format!("--client-ca-file={}", path(&f.client_ca)),
        ];
        a.extend(allowed.iter().map(|s| s.to_string()));
        a
    };
    let request = [
        "--chain",
        &path(&f.client_chain),
        "--header",
        "X-Remote-User: system:admin",
        "--explain",
    ];
    let run = check(&args(same_ca(&[]), &request));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["user"]["name"], "system:admin");
    assert!(run.stderr.contains("HAZARD"), "{}", run.stderr);
    assert!(run.stderr.contains("frontproxy doctor"), "{}", run.stderr);
    let run = check(&args(
        same_ca(&["--requestheader-allowed-names=front-proxy-client"]),
        &request,
    ));
    assert!(!run.stderr.contains("HAZARD"), "{}", run.stderr);
}

// ---------------------------------------------------------------------------------------------
// Usage and configuration errors: exit 2, message on stderr, nothing on stdout
// ---------------------------------------------------------------------------------------------

#[test]
fn usage_errors_exit_2_with_a_message_on_stderr() {
    let f = &files();
    let missing = f.dir.path().join("missing.pem");
    let not_pem = f.dir.write("not-pem.txt", "no certificates here\n");
    let bad_configmap = f.dir.write(
        "bad-configmap.json",
        serde_json::to_string(&json!({
            "kind": "ConfigMap",
            "data": {
                "requestheader-client-ca-file": std::fs::read_to_string(&f.front_proxy_ca).unwrap(),
                "requestheader-username-headers": "incorrect-json-array"
            }
        }))
        .unwrap(),
    );
    let rows: Vec<(&str, Vec<String>, &str)> = vec![
        (
            "unknown flag",
            args(standard_flags(f), &["--bogus"]),
            "--bogus",
        ),
        (
            "unknown positional argument",
            args(standard_flags(f), &["extra"]),
            "extra",
        ),
        (
            "malformed --header",
            args(standard_flags(f), &["--header", "X-Remote-User alice"]),
            "X-Remote-User alice",
        ),
        (
            "--header without a value",
            args(standard_flags(f), &["--header"]),
            "--header",
        ),
        (
            "both --configmap and flags",
            args(
                standard_flags(f),
                &["--configmap", &path(&f.configmap_json)],
            ),
            "--configmap",
        ),
        (
            "no configuration",
            vec!["--header".into(), "X-Remote-User: alice".into()],
            "configuration",
        ),
        (
            "malformed --at",
            args(standard_flags(f), &["--at", "yesterday"]),
            "yesterday",
        ),
        (
            "missing --chain file",
            args(standard_flags(f), &["--chain", &path(&missing)]),
            "missing.pem",
        ),
        (
            "--chain without certificates",
            args(standard_flags(f), &["--chain", &path(&not_pem)]),
            "--chain",
        ),
        (
            "missing --configmap file",
            vec!["--configmap".into(), path(&missing)],
            "missing.pem",
        ),
        (
            "invalid ConfigMap list",
            vec!["--configmap".into(), path(&bad_configmap)],
            "requestheader-username-headers",
        ),
        (
            "missing CA file",
            vec![format!("--requestheader-client-ca-file={}", path(&missing))],
            "--requestheader-client-ca-file",
        ),
        (
            "invalid flag list",
            args(
                standard_flags(f),
                &["--requestheader-group-headers=X-Remote-Group,"],
            ),
            "--requestheader-group-headers",
        ),
        (
            "UID list without X-Remote-Uid",
            vec![
                format!("--requestheader-client-ca-file={}", path(&f.front_proxy_ca)),
                "--requestheader-uid-headers=X-Custom-Uid".into(),
            ],
            "--requestheader-uid-headers",
        ),
    ];
    let mut failures = Vec::new();
    for (name, a, needle) in rows {
        let run = check(&a);
        if run.code != 2 || !run.stdout.is_empty() || !run.stderr.contains(needle) {
            failures.push(format!(
                "{name}: exit {} stdout {:?} stderr {:?} (want exit 2, empty stdout, stderr mentioning {needle:?})",
                run.code, run.stdout, run.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// No subcommand at all is a usage error too.
#[test]
fn no_command_exits_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_frontproxy"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(!out.stderr.is_empty());
}

/// §1.9 rule 32 with §2: a ConfigMap that carries custom request-header lists and
/// `client-ca-file` but no `requestheader-client-ca-file`. Kubernetes still builds the
/// request-header configuration from the lists and clears the configured names after every
/// success, so the x509 success below must list the spoofed custom headers for removal.
#[test]
fn configmap_lists_without_a_requestheader_ca_are_still_cleared() {
    let f = &files();
    let c = certs();
    let doc = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "data": {
            "client-ca-file": c.client_ca.pem,
            "requestheader-username-headers": "[\"X-Custom-User\"]",
            "requestheader-group-headers": "[\"X-Custom-Group\"]",
            "requestheader-extra-headers-prefix": "[\"X-Custom-Extra-\"]",
        }
    });
    let cm = f.dir.write("configmap-lists-only.json", doc.to_string());
    let run = check(&[
        "--configmap",
        &path(&cm),
        "--chain",
        &path(&f.client_chain),
        "--header",
        "X-Custom-User: system:admin",
        "--header",
        "X-Custom-Group: system:masters",
        "--header",
        "X-Custom-Extra-Scopes: all",
        "--header",
        "X-Unrelated: kept",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v = run.json();
    assert_eq!(v["authenticator"], "x509", "{v}");
    assert_eq!(
        v["clear_headers"],
        json!(["X-Custom-User", "X-Custom-Group", "X-Custom-Extra-Scopes"]),
        "{v}"
    );
}

/// A chain of the leaf alone is verified as presented on a full handshake (rejected: the
/// intermediate is needed), and `--resumed` alone cannot change that: the verdict reached with
/// the intermediate exists only in a cache that saw the full chain, which a fresh `check` run
/// has not. The flag is accepted and documented.
#[test]
fn a_lone_leaf_without_its_intermediate_is_rejected_resumed_or_not() {
    let f = &files();
    let c = certs();
    let leaf_only = f.dir.write_bundle("fp-leaf-2-only.pem", &[&c.fp_leaf_2]);
    let chain = path(&leaf_only);
    for extra in [&[][..], &["--resumed"][..]] {
        let mut more = vec![
            "--chain",
            chain.as_str(),
            "--header",
            "X-Remote-User: alice",
        ];
        more.extend_from_slice(extra);
        let run = check(&args(standard_flags(f), &more));
        assert_eq!(run.code, 1, "{extra:?}: {}", run.stderr);
        let v = run.json();
        assert_eq!(v["decision"], "rejected", "{extra:?}: {v}");
        assert_eq!(v["reason"], "unknown_authority", "{extra:?}: {v}");
    }
}

/// `--metrics` prints the run's metrics on stderr in the Prometheus text format: three requests
/// through the verdict cache are three successes, one miss and two hits; stdout stays the JSON.
#[test]
fn metrics_after_repeat_are_prometheus_text_on_stderr() {
    let f = &files();
    let run = check(&args(
        standard_flags(f),
        &[
            "--chain",
            &path(&f.front_proxy_chain),
            "--header",
            "X-Remote-User: alice",
            "--repeat",
            "3",
            "--metrics",
        ],
    ));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["decision"], "authenticated");
    let value = |series: &str| -> Option<f64> {
        run.stderr
            .lines()
            .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    };
    assert_eq!(
        value("frontproxy_authentication_attempts_total{result=\"success\"}"),
        Some(3.0),
        "{}",
        run.stderr
    );
    assert_eq!(
        value("frontproxy_verdict_cache_requests_total{result=\"hit\"}"),
        Some(2.0)
    );
    assert_eq!(
        value("frontproxy_verdict_cache_requests_total{result=\"miss\"}"),
        Some(1.0)
    );
    assert!(run
        .stderr
        .contains("# TYPE frontproxy_authentication_attempts_total counter"));
}
