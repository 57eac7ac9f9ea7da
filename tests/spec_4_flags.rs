//! Spec §4.1 (`spec/kubernetes-semantics.md`): kube-apiserver-style authentication flags —
//! defaults, pflag `StringSlice` parsing, validation, warnings — and the equivalence of the three
//! configuration sources (builder, flags, ConfigMap).
//!
//! Every table row is named after the rule it pins (`rule_NN_...` = §4.1 rule NN). CA files are
//! generated at test time.

mod common;

use std::path::PathBuf;
use std::sync::OnceLock;

use common::pki::*;
use frontproxy::config_from_configmap;
use frontproxy::KubeAuthFlags;
use frontproxy::{
    AuthConfig, Authentication, AuthenticatorKind, CaBundle, CertificateDer, ConfigError, Decision,
    RequestHeaderOptions, RequestHeaders, UnixTime,
};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

struct Pki {
    front_proxy: Chain,
    client: Chain,
    other: Chain,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let key = |slot| KeyKind::EcdsaP256.pooled(slot);
        let single = |ca: &str, ca_slot, leaf: CertSpec, leaf_slot| {
            Chain::from_specs((ca_spec(ca), key(ca_slot)), vec![], (leaf, key(leaf_slot)))
        };
        Pki {
            front_proxy: single(
                "front-proxy-ca",
                60,
                client_leaf_spec("front-proxy-client"),
                61,
            ),
            client: single(
                "client-ca",
                62,
                client_leaf_spec("alice-cert").org("team-a"),
                63,
            ),
            other: single("other-ca", 64, client_leaf_spec("front-proxy-client"), 65),
        }
    })
}

/// CA files for one test, deleted with it.
struct Files {
    dir: PkiDir,
    front_proxy_ca: PathBuf,
    client_ca: PathBuf,
}

fn files() -> Files {
    let dir = PkiDir::new();
    Files {
        front_proxy_ca: dir.write_cert("front-proxy-ca.crt", &pki().front_proxy.root),
        client_ca: dir.write_cert("client-ca.crt", &pki().client.root),
        dir,
    }
}

fn rh_ca_flag(f: &Files) -> String {
    format!(
        "--requestheader-client-ca-file={}",
        f.front_proxy_ca.display()
    )
}

fn client_ca_flag(f: &Files) -> String {
    format!("--client-ca-file={}", f.client_ca.display())
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// `KubeAuthFlags::parse(args)?.to_config()`.
fn from_flags(args: &[String]) -> Result<AuthConfig, ConfigError> {
    KubeAuthFlags::parse(args)?.to_config()
}

/// The five lists of the request-header authenticator, in flag order: username, uid, group,
/// extra prefix, allowed names.
fn lists(config: &AuthConfig) -> [Vec<String>; 5] {
    let rh = config
        .request_header()
        .expect("request-header authenticator configured");
    [
        rh.username_headers().map(String::from).collect(),
        rh.uid_headers().map(String::from).collect(),
        rh.group_headers().map(String::from).collect(),
        rh.extra_prefixes().map(String::from).collect(),
        rh.allowed_names().to_vec(),
    ]
}

fn presented(chain: &Chain) -> Vec<CertificateDer<'static>> {
    chain.presented().iter().map(|c| c.der()).collect()
}

fn authenticate(
    config: &AuthConfig,
    chain: Option<&Chain>,
    headers: &[(&str, &str)],
) -> Authentication {
    let pairs: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    let chain = chain.map(presented).unwrap_or_default();
    config.authenticate_request(&chain, &RequestHeaders::from_pairs(&pairs), UnixTime::now())
}

fn assert_no_failures(table: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{table}: {} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

const USERNAME: usize = 0;
const UID: usize = 1;
const GROUP: usize = 2;
const EXTRA: usize = 3;
const ALLOWED: usize = 4;

// ---------------------------------------------------------------------------------------------
// Rule 1: defaults only with --requestheader-client-ca-file
// ---------------------------------------------------------------------------------------------

/// §4.1 rule 1: with `--requestheader-client-ca-file` alone, the lists take the flag defaults
/// (X-Remote-User, no UID header, X-Remote-Group, X-Remote-Extra-, any CN), with no warning.
#[test]
fn rule_01_defaults_apply_with_the_requestheader_ca_flag() {
    let f = files();
    let config = from_flags(&[rh_ca_flag(&f)]).expect("valid flags");
    assert_eq!(
        lists(&config),
        [
            strings(&["X-Remote-User"]),
            vec![],
            strings(&["X-Remote-Group"]),
            strings(&["X-Remote-Extra-"]),
            vec![],
        ]
    );
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    assert!(config.client_ca().is_none());

    let got = authenticate(
        &config,
        Some(&pki().front_proxy),
        &[
            ("X-Remote-User", "alice"),
            ("X-Remote-Group", "g"),
            ("X-Remote-Uid", "ignored"),
        ],
    );
    let Decision::Authenticated {
        authenticator: AuthenticatorKind::RequestHeader,
        user,
    } = &got.decision
    else {
        panic!("want a request-header user, got {:?}", got.decision);
    };
    assert_eq!((user.name.as_str(), user.uid.as_str()), ("alice", ""));
    assert_eq!(user.groups, strings(&["g", "system:authenticated"]));
}

/// §4.1 rule 1: without `--requestheader-client-ca-file` there is no request-header
/// authenticator at all (kube-apiserver would read the ConfigMap): headers vouched for by a
/// front-proxy certificate are never read.
#[test]
fn rule_01_without_the_requestheader_ca_flag_no_request_header_authenticator() {
    let f = files();
    let config = from_flags(&[client_ca_flag(&f)]).expect("valid flags");
    assert!(config.request_header().is_none());
    assert!(config.client_ca().is_some());
    let got = authenticate(
        &config,
        Some(&pki().front_proxy),
        &[("X-Remote-User", "alice")],
    );
    assert!(
        matches!(&got.decision, Decision::Rejected(e) if e.reason.code() == "unknown_authority"),
        "{:?}",
        got.decision
    );
    let got = authenticate(
        &config,
        Some(&pki().client),
        &[("X-Remote-User", "system:admin")],
    );
    assert!(
        matches!(&got.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user } if user.name == "alice-cert"),
        "{:?}",
        got.decision
    );
}

/// §4.1 rule 1: a requestheader-* list flag without the CA flag would be silently ignored by
/// kube-apiserver (it reads the ConfigMap); frontproxy refuses it, naming the flag.
#[test]
fn rule_01_requestheader_list_flag_without_the_ca_flag_is_an_error() {
    let f = files();
    let mut failures = Vec::new();
    for flag in [
        "--requestheader-username-headers",
        "--requestheader-uid-headers",
        "--requestheader-group-headers",
        "--requestheader-extra-headers-prefix",
        "--requestheader-allowed-names",
    ] {
        let value = if flag.contains("uid") {
            "X-Remote-Uid"
        } else {
            "X-Something"
        };
        match from_flags(&[client_ca_flag(&f), format!("{flag}={value}")]) {
            Err(e) if e.source == flag => {}
            other => failures.push(format!("{flag}: {other:?}")),
        }
    }
    assert_no_failures("§4.1 rule 1", failures);
}

/// With no flag at all nothing could ever authenticate: a configuration error.
#[test]
fn rule_01_no_flags_is_an_error() {
    let none: [&str; 0] = [];
    assert!(KubeAuthFlags::parse(&none).unwrap().is_empty());
    assert!(from_flags(&[]).is_err());
}

// ---------------------------------------------------------------------------------------------
// Rule 2: pflag StringSlice parsing
// ---------------------------------------------------------------------------------------------

/// §4.1 rule 2. `args` come after `--requestheader-client-ca-file`; `want` is one list.
#[test]
fn rule_02_string_slice_parsing_table() {
    let f = files();
    struct Row {
        name: &'static str,
        args: &'static [&'static str],
        list: usize,
        want: &'static [&'static str],
    }
    let rows = [
        Row {
            name: "rule_02_csv_comma_separates_entries",
            args: &["--requestheader-allowed-names=front-proxy-client,aggregator"],
            list: ALLOWED,
            want: &["front-proxy-client", "aggregator"],
        },
        Row {
            name: "rule_02_csv_quoted_entry_keeps_its_comma",
            args: &[r#"--requestheader-allowed-names="front-proxy, client",aggregator"#],
            list: ALLOWED,
            want: &["front-proxy, client", "aggregator"],
        },
        Row {
            name: "rule_02_csv_doubled_quote_inside_quotes",
            args: &[r#"--requestheader-allowed-names="a""b",c"#],
            list: ALLOWED,
            want: &["a\"b", "c"],
        },
        Row {
            name: "rule_02_csv_entries_not_trimmed",
            args: &["--requestheader-username-headers=X-Remote-User, X-Custom-User"],
            list: USERNAME,
            want: &["X-Remote-User", " X-Custom-User"],
        },
        Row {
            name: "rule_02_first_use_replaces_the_default",
            args: &["--requestheader-username-headers=X-Custom-User"],
            list: USERNAME,
            want: &["X-Custom-User"],
        },
        Row {
            name: "rule_02_repeated_flag_appends",
            args: &[
                "--requestheader-group-headers=X-Remote-Group",
                "--requestheader-group-headers=X-Custom-Group,X-Other-Group",
            ],
            list: GROUP,
            want: &["X-Remote-Group", "X-Custom-Group", "X-Other-Group"],
        },
        Row {
            name: "rule_02_space_and_equals_forms_mix_and_append",
            args: &[
                "--requestheader-extra-headers-prefix",
                "X-Remote-Extra-",
                "--requestheader-extra-headers-prefix=X-Custom-Extra-",
            ],
            list: EXTRA,
            want: &["X-Remote-Extra-", "X-Custom-Extra-"],
        },
        Row {
            name: "rule_02_space_form_value_may_contain_equals",
            args: &["--requestheader-allowed-names", "cn=front-proxy"],
            list: ALLOWED,
            want: &["cn=front-proxy"],
        },
        Row {
            name: "rule_02_equals_form_value_may_contain_equals",
            args: &["--requestheader-allowed-names=cn=front-proxy"],
            list: ALLOWED,
            want: &["cn=front-proxy"],
        },
        Row {
            name: "rule_02_empty_value_is_an_empty_list",
            args: &["--requestheader-allowed-names="],
            list: ALLOWED,
            want: &[],
        },
        Row {
            name: "rule_02_empty_value_replaces_the_default_with_nothing",
            args: &["--requestheader-username-headers="],
            list: USERNAME,
            want: &[],
        },
        Row {
            name: "rule_02_only_the_first_csv_record_is_read",
            args: &["--requestheader-allowed-names=a,b\nc"],
            list: ALLOWED,
            want: &["a", "b"],
        },
        Row {
            name: "rule_02_uid_flag_parsed_like_the_others",
            args: &["--requestheader-uid-headers=X-Remote-Uid,X-Custom-Uid"],
            list: UID,
            want: &["X-Remote-Uid", "X-Custom-Uid"],
        },
    ];
    let mut failures = Vec::new();
    for row in rows {
        let mut args = vec![rh_ca_flag(&f)];
        args.extend(row.args.iter().map(|s| s.to_string()));
        match from_flags(&args) {
            Ok(config) if lists(&config)[row.list] == strings(row.want) => {}
            Ok(config) => {
                failures.push(format!("{}: got {:?}", row.name, lists(&config)[row.list]))
            }
            Err(e) => failures.push(format!("{}: {e}", row.name)),
        }
    }
    assert_no_failures("§4.1 rule 2", failures);
}

/// §4.1 rule 2: pflag reads the value with Go's `encoding/csv` (LazyQuotes off), which refuses
/// a quote inside an unquoted field, an unterminated quote and text after a closing quote;
/// kube-apiserver then refuses to start.
#[test]
fn rule_02_malformed_csv_quoting_is_an_error() {
    let f = files();
    let mut failures = Vec::new();
    for value in [
        r#"front"proxy"#,
        r#" "front-proxy""#,
        r#""front-proxy"#,
        r#""front"proxy"#,
    ] {
        let args = [
            rh_ca_flag(&f),
            format!("--requestheader-allowed-names={value}"),
        ];
        match KubeAuthFlags::parse(&args) {
            Err(e) if e.source == "--requestheader-allowed-names" => {}
            other => failures.push(format!("{value:?}: {other:?}")),
        }
    }
    assert_no_failures("§4.1 rule 2 malformed CSV", failures);
}

/// Arguments that are not flags of §4.1, or a flag without its value, are errors.
#[test]
fn rule_02_unknown_flag_or_missing_value_is_an_error() {
    let unknown = KubeAuthFlags::parse(&["--requestheader-usernames=X-Remote-User"]).unwrap_err();
    assert!(
        unknown.to_string().contains("--requestheader-usernames"),
        "{unknown}"
    );
    let positional = KubeAuthFlags::parse(&["X-Remote-User"]).unwrap_err();
    assert!(
        positional.to_string().contains("X-Remote-User"),
        "{positional}"
    );
    let missing = KubeAuthFlags::parse(&["--requestheader-client-ca-file"]).unwrap_err();
    assert_eq!(missing.source, "--requestheader-client-ca-file");
}

// ---------------------------------------------------------------------------------------------
// Rule 3: validation and warnings
// ---------------------------------------------------------------------------------------------

/// §4.1 rule 3 (with the `RemoteRequestHeaderUID` gate on, its default since 1.33). `want`:
/// `Ok(())` or `Err(flag named by the error)`.
#[test]
fn rule_03_validation_table() {
    let f = files();
    let rows: &[(&str, &str, Result<(), &str>)] = &[
        (
            "rule_03_empty_username_entry",
            "--requestheader-username-headers=X-Remote-User,,X-Custom-User",
            Err("--requestheader-username-headers"),
        ),
        (
            "rule_03_whitespace_username_entry",
            "--requestheader-username-headers=X-Remote-User, ",
            Err("--requestheader-username-headers"),
        ),
        (
            "rule_03_quoted_empty_username_entry",
            r#"--requestheader-username-headers="""#,
            Err("--requestheader-username-headers"),
        ),
        (
            "rule_03_empty_group_entry",
            "--requestheader-group-headers=,X-Remote-Group",
            Err("--requestheader-group-headers"),
        ),
        (
            "rule_03_tab_only_group_entry",
            "--requestheader-group-headers=X-Remote-Group,\t",
            Err("--requestheader-group-headers"),
        ),
        (
            "rule_03_empty_extra_prefix_entry",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-,",
            Err("--requestheader-extra-headers-prefix"),
        ),
        (
            "rule_03_empty_allowed_name_entry",
            "--requestheader-allowed-names=front-proxy-client,",
            Err("--requestheader-allowed-names"),
        ),
        (
            "rule_03_whitespace_allowed_name_entry",
            "--requestheader-allowed-names=  ",
            Err("--requestheader-allowed-names"),
        ),
        (
            "rule_03_empty_uid_entry",
            "--requestheader-uid-headers=X-Remote-Uid,",
            Err("--requestheader-uid-headers"),
        ),
        (
            "rule_03_uid_list_without_x_remote_uid",
            "--requestheader-uid-headers=X-Custom-Uid",
            Err("--requestheader-uid-headers"),
        ),
        (
            "rule_03_uid_list_with_x_remote_uid_lowercase_ok",
            "--requestheader-uid-headers=x-remote-uid,X-Custom-Uid",
            Ok(()),
        ),
        (
            "rule_03_uid_list_with_x_remote_uid_uppercase_ok",
            "--requestheader-uid-headers=X-REMOTE-UID",
            Ok(()),
        ),
        (
            "rule_03_uid_list_with_x_remote_uid_not_first_ok",
            "--requestheader-uid-headers=X-Custom-Uid,X-Remote-Uid",
            Ok(()),
        ),
        (
            "rule_03_empty_uid_value_is_no_uid_header_ok",
            "--requestheader-uid-headers=",
            Ok(()),
        ),
        (
            "rule_03_leading_space_entry_is_not_whitespace_only_ok",
            "--requestheader-allowed-names= front-proxy-client",
            Ok(()),
        ),
    ];
    let mut failures = Vec::new();
    for (name, arg, want) in rows {
        let got = from_flags(&[rh_ca_flag(&f), arg.to_string()]);
        match (want, &got) {
            (Ok(()), Ok(_)) => {}
            (Err(flag), Err(e)) if e.source == *flag => {}
            _ => failures.push(format!(
                "{name}: want {want:?}, got {:?}",
                got.as_ref().map(|_| ())
            )),
        }
    }
    assert_no_failures("§4.1 rule 3 validation", failures);
}

/// §4.1 rule 3: the same validation applies to the Rust builder.
#[test]
fn rule_03_builder_validates_like_the_flags() {
    let ca = || CaBundle::from_pem(pki().front_proxy.root.pem.as_bytes(), "builder").unwrap();
    let build = |o: RequestHeaderOptions| AuthConfig::builder().request_header(ca(), o).build();
    let err = build(RequestHeaderOptions {
        group_headers: strings(&["X-Remote-Group", " "]),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.source, "--requestheader-group-headers");
    let err = build(RequestHeaderOptions {
        uid_headers: strings(&["X-Custom-Uid"]),
        ..Default::default()
    })
    .unwrap_err();
    assert_eq!(err.source, "--requestheader-uid-headers");
    assert!(build(RequestHeaderOptions {
        uid_headers: strings(&["x-remote-uid"]),
        ..Default::default()
    })
    .is_ok());
}

/// §4.1 rule 3: lists without the standard names only warn ("API aggregation will not work"),
/// case-insensitively; one warning per list.
#[test]
fn rule_03_warnings_table() {
    let f = files();
    let rows: &[(&str, &[&str], &[&str])] = &[
        ("rule_03_defaults_no_warning", &[], &[]),
        (
            "rule_03_username_list_without_x_remote_user_warns",
            &["--requestheader-username-headers=X-Custom-User"],
            &["requestheader-username-headers"],
        ),
        (
            "rule_03_group_list_without_x_remote_group_warns",
            &["--requestheader-group-headers=X-Custom-Group"],
            &["requestheader-group-headers"],
        ),
        (
            "rule_03_extra_list_without_x_remote_extra_warns",
            &["--requestheader-extra-headers-prefix=X-Custom-Extra-"],
            &["requestheader-extra-headers-prefix"],
        ),
        (
            "rule_03_empty_username_list_warns",
            &["--requestheader-username-headers="],
            &["requestheader-username-headers"],
        ),
        (
            "rule_03_standard_names_matched_case_insensitively_no_warning",
            &[
                "--requestheader-username-headers=X-Custom-User,x-remote-user",
                "--requestheader-group-headers=X-REMOTE-GROUP",
                "--requestheader-extra-headers-prefix=x-remote-extra-,X-Custom-Extra-",
            ],
            &[],
        ),
        (
            "rule_03_all_three_lists_custom_three_warnings",
            &[
                "--requestheader-username-headers=X-Custom-User",
                "--requestheader-group-headers=X-Custom-Group",
                "--requestheader-extra-headers-prefix=X-Custom-Extra-",
            ],
            &[
                "requestheader-username-headers",
                "requestheader-group-headers",
                "requestheader-extra-headers-prefix",
            ],
        ),
        (
            "rule_03_uid_and_allowed_names_never_warn",
            &[
                "--requestheader-uid-headers=X-Remote-Uid",
                "--requestheader-allowed-names=x",
            ],
            &[],
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, want) in rows {
        let mut all = vec![rh_ca_flag(&f)];
        all.extend(args.iter().map(|s| s.to_string()));
        let config = match from_flags(&all) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let warnings = config.warnings();
        let ok = warnings.len() == want.len()
            && want.iter().all(|flag| {
                warnings
                    .iter()
                    .any(|w| w.contains(flag) && w.contains("API aggregation will not work"))
            });
        if !ok {
            failures.push(format!(
                "{name}: want warnings about {want:?}, got {warnings:?}"
            ));
        }
    }
    assert_no_failures("§4.1 rule 3 warnings", failures);
}

/// Unreadable, empty or certificate-less CA files are errors naming the flag.
#[test]
fn ca_file_errors_name_the_flag() {
    let f = files();
    let missing = f.dir.path().join("does-not-exist.crt");
    let empty_file = f.dir.write("empty.crt", "");
    let key_only_file = f
        .dir
        .write("key-only.pem", pki().front_proxy.root.key_pem());
    let mut failures = Vec::new();
    for flag in ["--requestheader-client-ca-file", "--client-ca-file"] {
        for (what, path) in [
            ("missing file", missing.display().to_string()),
            ("empty file", empty_file.display().to_string()),
            ("key only", key_only_file.display().to_string()),
            ("empty path", String::new()),
            ("a directory", f.dir.path().display().to_string()),
        ] {
            match from_flags(&[format!("{flag}={path}")]) {
                Err(e) if e.source == flag && (path.is_empty() || e.message.contains(&path)) => {}
                other => failures.push(format!("{flag} {what}: {:?}", other.map(|_| ()))),
            }
        }
    }
    assert_no_failures("CA file errors", failures);
}

// ---------------------------------------------------------------------------------------------
// The three sources agree
// ---------------------------------------------------------------------------------------------

struct Settings {
    username: &'static [&'static str],
    uid: &'static [&'static str],
    group: &'static [&'static str],
    extra: &'static [&'static str],
    allowed: &'static [&'static str],
}

fn via_builder(s: &Settings) -> AuthConfig {
    let p = pki();
    AuthConfig::builder()
        .request_header(
            CaBundle::from_pem(p.front_proxy.root.pem.as_bytes(), "builder").unwrap(),
            RequestHeaderOptions {
                username_headers: strings(s.username),
                uid_headers: strings(s.uid),
                group_headers: strings(s.group),
                extra_headers_prefix: strings(s.extra),
                allowed_names: strings(s.allowed),
            },
        )
        .client_ca(CaBundle::from_pem(p.client.root.pem.as_bytes(), "builder").unwrap())
        .build()
        .expect("builder")
}

fn via_flags(f: &Files, s: &Settings) -> AuthConfig {
    let csv = |v: &[&str]| v.join(",");
    let args = [
        rh_ca_flag(f),
        client_ca_flag(f),
        format!("--requestheader-username-headers={}", csv(s.username)),
        format!("--requestheader-uid-headers={}", csv(s.uid)),
        format!("--requestheader-group-headers={}", csv(s.group)),
        format!("--requestheader-extra-headers-prefix={}", csv(s.extra)),
        format!("--requestheader-allowed-names={}", csv(s.allowed)),
    ];
    from_flags(&args).expect("flags")
}

fn via_configmap(s: &Settings) -> AuthConfig {
    let p = pki();
    let json = |v: &[&str]| serde_json::to_string(v).unwrap();
    let doc = serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
        "data": {
            "client-ca-file": p.client.root.pem,
            "requestheader-client-ca-file": p.front_proxy.root.pem,
            "requestheader-username-headers": json(s.username),
            "requestheader-uid-headers": json(s.uid),
            "requestheader-group-headers": json(s.group),
            "requestheader-extra-headers-prefix": json(s.extra),
            "requestheader-allowed-names": json(s.allowed),
        }
    });
    config_from_configmap(serde_json::to_string_pretty(&doc).unwrap().as_bytes())
        .expect("configmap")
}

/// Decisions (and headers to clear) for a set of requests that exercise every list.
fn probe(config: &AuthConfig) -> Vec<String> {
    let p = pki();
    let all: &[(&str, &str)] = &[
        ("X-Remote-User", "alice"),
        ("X-Custom-User", "carol"),
        ("X-Remote-Uid", "u-1"),
        ("X-Custom-Uid", "u-2"),
        ("X-Remote-Group", "g1"),
        ("X-Custom-Group", "g2"),
        ("X-Remote-Extra-Scopes", "s1"),
        ("X-Custom-Extra-Scopes", "s2"),
        ("Authorization", "Bearer t"),
    ];
    let custom_only: &[(&str, &str)] = &[("X-Custom-User", "carol"), ("X-Custom-Group", "g2")];
    let requests: [(Option<&Chain>, &[(&str, &str)]); 7] = [
        (Some(&p.front_proxy), all),
        (Some(&p.front_proxy), custom_only),
        (Some(&p.front_proxy), &[("X-Remote-Group", "g1")]),
        (Some(&p.client), all),
        (Some(&p.other), all),
        (None, all),
        (None, &[]),
    ];
    requests
        .iter()
        .map(|(chain, headers)| {
            let a = authenticate(config, *chain, headers);
            match &a.decision {
                // Messages name the source (flag, key or builder); the reason is what must agree.
                Decision::Rejected(e) => format!("rejected: {}", e.reason.code()),
                d => format!("{d:?} clear={:?}", a.clear_headers),
            }
        })
        .collect()
}

/// Builder, flags and ConfigMap with the same settings make the same decisions.
#[test]
fn builder_flags_and_configmap_make_the_same_decisions() {
    let f = files();
    let settings = [
        Settings {
            username: &["X-Remote-User"],
            uid: &[],
            group: &["X-Remote-Group"],
            extra: &["X-Remote-Extra-"],
            allowed: &[],
        },
        Settings {
            username: &["X-Custom-User", "X-Remote-User"],
            uid: &["X-Remote-Uid", "X-Custom-Uid"],
            group: &["X-Remote-Group", "X-Custom-Group"],
            extra: &["X-Custom-Extra-", "X-Remote-Extra-"],
            allowed: &["front-proxy-client"],
        },
        Settings {
            username: &["X-Remote-User"],
            uid: &["X-Remote-Uid"],
            group: &["X-Remote-Group"],
            extra: &["X-Remote-Extra-"],
            allowed: &["aggregator"],
        },
    ];
    for (i, s) in settings.iter().enumerate() {
        let builder = via_builder(s);
        let flags = via_flags(&f, s);
        let configmap = via_configmap(s);
        assert_eq!(
            lists(&builder),
            lists(&flags),
            "settings #{i}: builder vs flags lists"
        );
        assert_eq!(
            lists(&builder),
            lists(&configmap),
            "settings #{i}: builder vs configmap lists"
        );
        let want = probe(&builder);
        assert_eq!(
            want,
            probe(&flags),
            "settings #{i}: builder vs flags decisions"
        );
        assert_eq!(
            want,
            probe(&configmap),
            "settings #{i}: builder vs configmap decisions"
        );
        assert_eq!(
            builder.warnings(),
            flags.warnings(),
            "settings #{i}: warnings"
        );
    }
    // The settings differ from each other, so the probe can tell configurations apart.
    assert_ne!(
        probe(&via_builder(&settings[0])),
        probe(&via_builder(&settings[1]))
    );
    assert_ne!(
        probe(&via_builder(&settings[0])),
        probe(&via_builder(&settings[2]))
    );
}

/// §4.1 rule 1 against §2 rule 3: the flag defaults equal a ConfigMap that spells the standard
/// names out, not a ConfigMap without list keys.
#[test]
fn rule_01_flag_defaults_equal_explicit_standard_lists_not_missing_keys() {
    let f = files();
    let defaults = from_flags(&[rh_ca_flag(&f), client_ca_flag(&f)]).unwrap();
    let explicit = via_configmap(&Settings {
        username: &["X-Remote-User"],
        uid: &[],
        group: &["X-Remote-Group"],
        extra: &["X-Remote-Extra-"],
        allowed: &[],
    });
    assert_eq!(probe(&defaults), probe(&explicit));
    let p = pki();
    let doc = serde_json::json!({
        "kind": "ConfigMap",
        "data": {
            "client-ca-file": p.client.root.pem,
            "requestheader-client-ca-file": p.front_proxy.root.pem,
        }
    });
    let bare = config_from_configmap(doc.to_string().as_bytes()).unwrap();
    assert_ne!(probe(&defaults), probe(&bare));
}
