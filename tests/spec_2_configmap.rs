//! Spec §2 (`spec/kubernetes-semantics.md`): the `kube-system/extension-apiserver-authentication`
//! ConfigMap, read from the documents `kubectl get configmap -o json|yaml` prints.
//!
//! Every table row is named after the rule it pins (`rule_NN_...` = §2 rule NN). Documents are
//! built in the test from certificates generated at test time.

mod common;

use std::sync::OnceLock;

use common::pki::*;
use frontproxy::{config_from_configmap, ConfigMapData};
use frontproxy::{
    AuthConfig, Authentication, AuthenticatorKind, CertificateDer, ConfigError, Decision,
    RequestHeaders, UnixTime,
};

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

struct Pki {
    /// Request-header CA and the front proxy's certificate (CN front-proxy-client).
    front_proxy: Chain,
    /// A second request-header CA (a bundle with two roots) and its front-proxy certificate.
    front_proxy_2: Chain,
    /// Client CA and a user certificate (CN alice-cert, O team-a).
    client: Chain,
    /// An unrelated CA.
    other: Chain,
    /// An expired CA with a currently valid leaf.
    expired: Chain,
}

fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let key = |slot| KeyKind::EcdsaP256.pooled(slot);
        let single = |ca: CertSpec, ca_slot, leaf: CertSpec, leaf_slot| {
            Chain::from_specs((ca, key(ca_slot)), vec![], (leaf, key(leaf_slot)))
        };
        Pki {
            front_proxy: single(
                ca_spec("front-proxy-ca"),
                40,
                client_leaf_spec("front-proxy-client"),
                41,
            ),
            front_proxy_2: single(
                ca_spec("front-proxy-ca-2"),
                42,
                client_leaf_spec("front-proxy-client"),
                43,
            ),
            client: single(
                ca_spec("client-ca"),
                44,
                client_leaf_spec("alice-cert").org("team-a"),
                45,
            ),
            other: single(
                ca_spec("other-ca"),
                46,
                client_leaf_spec("front-proxy-client"),
                47,
            ),
            expired: single(
                ca_spec("expired-ca").expired(),
                48,
                client_leaf_spec("front-proxy-client"),
                49,
            ),
        }
    })
}

fn presented(chain: &Chain) -> Vec<CertificateDer<'static>> {
    chain.presented().iter().map(|c| c.der()).collect()
}

fn authenticate(config: &AuthConfig, chain: &Chain, headers: &[(&str, &str)]) -> Authentication {
    let pairs: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect();
    config.authenticate_request(
        &presented(chain),
        &RequestHeaders::from_pairs(&pairs),
        UnixTime::now(),
    )
}

fn requestheader_name(a: &Authentication) -> Option<&str> {
    match &a.decision {
        Decision::Authenticated {
            authenticator: AuthenticatorKind::RequestHeader,
            user,
        } => Some(&user.name),
        _ => None,
    }
}

fn is_anonymous(a: &Authentication) -> bool {
    matches!(a.decision, Decision::Anonymous { .. })
}

fn rejected_reason(a: &Authentication) -> Option<&'static str> {
    match &a.decision {
        Decision::Rejected(e) => Some(e.reason.code()),
        _ => None,
    }
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn assert_no_failures(table: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{table}: {} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

// ---------------------------------------------------------------------------------------------
// Documents as kubectl prints them
// ---------------------------------------------------------------------------------------------

/// A `.data` value: a string (what a real ConfigMap holds) or raw JSON/YAML (e.g. `null`).
#[derive(Clone)]
enum V {
    S(String),
    Raw(&'static str),
}

fn s(v: impl Into<String>) -> V {
    V::S(v.into())
}

const KEYS_LISTS: [&str; 5] = [
    "requestheader-allowed-names",
    "requestheader-extra-headers-prefix",
    "requestheader-group-headers",
    "requestheader-uid-headers",
    "requestheader-username-headers",
];

/// `kubectl get configmap -n kube-system extension-apiserver-authentication -o json`: 4-space
/// indentation, keys sorted, PEM as one JSON string with `\n`.
fn kubectl_json(data: &[(&str, V)]) -> String {
    let mut data = data.to_vec();
    data.sort_by(|a, b| a.0.cmp(b.0));
    let entries: Vec<String> = data
        .iter()
        .map(|(k, v)| {
            let value = match v {
                V::S(text) => serde_json::to_string(text).unwrap(),
                V::Raw(raw) => raw.to_string(),
            };
            format!("        {}: {value}", serde_json::to_string(k).unwrap())
        })
        .collect();
    format!(
        r#"{{
    "apiVersion": "v1",
    "data": {{
{}
    }},
    "kind": "ConfigMap",
    "metadata": {{
        "creationTimestamp": "2024-05-01T10:00:00Z",
        "name": "extension-apiserver-authentication",
        "namespace": "kube-system",
        "resourceVersion": "31",
        "uid": "0d7c5a55-1c2f-4a8e-9c55-3a7f1f0c2b7e"
    }}
}}
"#,
        entries.join(",\n")
    )
}

/// `kubectl ... -o yaml`: PEM as a `|` block scalar (`|-` without a final newline), JSON arrays
/// as single-quoted strings, empty strings as `""`.
fn kubectl_yaml(data: &[(&str, V)]) -> String {
    let mut data = data.to_vec();
    data.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = String::from("apiVersion: v1\ndata:\n");
    for (k, v) in &data {
        match v {
            V::Raw(raw) => out.push_str(&format!("  {k}: {raw}\n")),
            // Empty or whitespace-only strings are printed double-quoted.
            V::S(text) if text.trim().is_empty() => out.push_str(&format!(
                "  {k}: {}\n",
                serde_json::to_string(text).unwrap()
            )),
            V::S(text) if text.contains('\n') => {
                let (body, chomp) = match text.strip_suffix('\n') {
                    Some(body) => (body, "|"),
                    None => (text.as_str(), "|-"),
                };
                out.push_str(&format!("  {k}: {chomp}\n"));
                for line in body.split('\n') {
                    out.push_str(&format!("    {line}\n"));
                }
            }
            V::S(text) if text.starts_with(['[', '{', '"', ' ']) || text == "null" => {
                out.push_str(&format!("  {k}: '{}'\n", text.replace('\'', "''")))
            }
            V::S(text) => out.push_str(&format!("  {k}: {text}\n")),
        }
    }
    out.push_str(
        "kind: ConfigMap\n\
         metadata:\n  \
           creationTimestamp: \"2024-05-01T10:00:00Z\"\n  \
           name: extension-apiserver-authentication\n  \
           namespace: kube-system\n  \
           resourceVersion: \"31\"\n  \
           uid: 0d7c5a55-1c2f-4a8e-9c55-3a7f1f0c2b7e\n",
    );
    out
}

/// What kube-apiserver writes with the usual kubeadm flags: both CAs and all five lists.
fn producer_data() -> Vec<(&'static str, V)> {
    let p = pki();
    vec![
        ("client-ca-file", s(&p.client.root.pem)),
        ("requestheader-client-ca-file", s(&p.front_proxy.root.pem)),
        (
            "requestheader-allowed-names",
            s(r#"["front-proxy-client"]"#),
        ),
        (
            "requestheader-extra-headers-prefix",
            s(r#"["X-Remote-Extra-"]"#),
        ),
        ("requestheader-group-headers", s(r#"["X-Remote-Group"]"#)),
        ("requestheader-uid-headers", s(r#"["X-Remote-Uid"]"#)),
        ("requestheader-username-headers", s(r#"["X-Remote-User"]"#)),
    ]
}

/// `data` with `key` replaced (or added); `None` removes it.
fn with(data: &[(&'static str, V)], key: &'static str, value: Option<V>) -> Vec<(&'static str, V)> {
    let mut out: Vec<_> = data.iter().filter(|(k, _)| *k != key).cloned().collect();
    if let Some(v) = value {
        out.push((key, v));
    }
    out
}

fn load_json(data: &[(&str, V)]) -> Result<AuthConfig, ConfigError> {
    config_from_configmap(kubectl_json(data).as_bytes())
}

fn load_yaml(data: &[(&str, V)]) -> Result<AuthConfig, ConfigError> {
    config_from_configmap(kubectl_yaml(data).as_bytes())
}

fn lists(config: &AuthConfig) -> [Vec<String>; 5] {
    let rh = config
        .request_header()
        .expect("request-header authenticator configured");
    [
        rh.allowed_names().to_vec(),
        rh.extra_prefixes().map(String::from).collect(),
        rh.group_headers().map(String::from).collect(),
        rh.uid_headers().map(String::from).collect(),
        rh.username_headers().map(String::from).collect(),
    ]
}

/// A set of requests whose decisions characterise a configuration.
fn probe(config: &AuthConfig) -> Vec<String> {
    let p = pki();
    let full: &[(&str, &str)] = &[
        ("X-Remote-User", "alice"),
        ("X-Remote-Uid", "u-1"),
        ("X-Remote-Group", "g"),
        ("X-Remote-Extra-Scopes", "read"),
        ("X-Custom-User", "custom"),
    ];
    let requests: [(&Chain, &[(&str, &str)]); 6] = [
        (&p.front_proxy, full),
        (&p.front_proxy, &[("X-Remote-Group", "g")]),
        (&p.front_proxy_2, full),
        (&p.client, full),
        (&p.other, full),
        (&p.expired, full),
    ];
    let mut out: Vec<String> = requests
        .iter()
        .map(|(chain, headers)| {
            let a = authenticate(config, chain, headers);
            format!("{:?} clear={:?}", a.decision, a.clear_headers)
        })
        .collect();
    let none = config.authenticate_request(&[], &RequestHeaders::from_pairs(&[]), UnixTime::now());
    out.push(format!("{:?}", none.decision));
    out
}

// ---------------------------------------------------------------------------------------------
// Rule 2: the documents and their keys
// ---------------------------------------------------------------------------------------------

/// §2 rule 2: a kubectl JSON document with every key configures both authenticators with the
/// lists exactly as written.
#[test]
fn rule_02_kubectl_json_document_configures_both_authenticators() {
    let config = load_json(&producer_data()).expect("kubectl JSON loads");
    assert_eq!(
        lists(&config),
        [
            strings(&["front-proxy-client"]),
            strings(&["X-Remote-Extra-"]),
            strings(&["X-Remote-Group"]),
            strings(&["X-Remote-Uid"]),
            strings(&["X-Remote-User"]),
        ]
    );
    assert!(config.client_ca().is_some());

    let p = pki();
    let proxied = authenticate(
        &config,
        &p.front_proxy,
        &[("X-Remote-User", "alice"), ("X-Remote-Uid", "u-1")],
    );
    assert_eq!(requestheader_name(&proxied), Some("alice"), "{proxied:?}");
    let Decision::Authenticated { user, .. } = &proxied.decision else {
        unreachable!()
    };
    assert_eq!(user.uid, "u-1");

    let direct = authenticate(&config, &p.client, &[]);
    assert!(
        matches!(&direct.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user } if user.name == "alice-cert"),
        "{direct:?}"
    );
}

/// §2 rule 2: the YAML rendering (block scalars for PEM, quoted JSON-array strings) gives the
/// same lists and the same decision for every probe request as the JSON rendering.
#[test]
fn rule_02_kubectl_yaml_document_equals_json_document() {
    let data = producer_data();
    let yaml = kubectl_yaml(&data);
    assert!(
        yaml.contains("requestheader-client-ca-file: |\n    -----BEGIN CERTIFICATE-----\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains("requestheader-username-headers: '[\"X-Remote-User\"]'\n"),
        "{yaml}"
    );
    let from_json = load_json(&data).expect("JSON loads");
    let from_yaml = load_yaml(&data).expect("YAML loads");
    assert_eq!(lists(&from_json), lists(&from_yaml));
    assert_eq!(probe(&from_json), probe(&from_yaml));
}

/// §2 rule 2 and rule 5: a block scalar with several certificates (`|-`, no final newline, as
/// kubectl prints a bundle re-encoded without one) trusts every root in it.
#[test]
fn rule_02_yaml_block_scalar_bundle_with_two_roots() {
    let p = pki();
    let bundle = pem_bundle(&[&p.front_proxy.root, &p.front_proxy_2.root]);
    let data = with(
        &producer_data(),
        "requestheader-client-ca-file",
        Some(s(bundle.trim_end_matches('\n'))),
    );
    let yaml = kubectl_yaml(&data);
    assert!(
        yaml.contains("requestheader-client-ca-file: |-\n"),
        "{yaml}"
    );
    let config = config_from_configmap(yaml.as_bytes()).expect("YAML with a two-root bundle loads");
    for chain in [&p.front_proxy, &p.front_proxy_2] {
        let got = authenticate(&config, chain, &[("X-Remote-User", "alice")]);
        assert_eq!(requestheader_name(&got), Some("alice"), "{got:?}");
    }
}

/// §2 rule 2 / rule 9: both CA keys, only `client-ca-file`, only the request-header CA, neither.
#[test]
fn rule_02_ca_keys_table() {
    let p = pki();
    let client = ("client-ca-file", s(&p.client.root.pem));
    let rh = ("requestheader-client-ca-file", s(&p.front_proxy.root.pem));
    let users = ("requestheader-username-headers", s(r#"["X-Remote-User"]"#));

    // Both: both authenticators.
    let both = load_json(&[client.clone(), rh.clone(), users.clone()]).unwrap();
    assert!(both.request_header().is_some() && both.client_ca().is_some());

    // Only client-ca-file: no request-header authenticator; spoofed headers from the client
    // CA's certificate give the certificate's user, a front-proxy chain is an x509 error.
    let only_client = load_json(&[client.clone(), users.clone()]).unwrap();
    assert!(only_client.request_header_ca().is_none());
    assert!(
        only_client
            .request_header()
            .is_some_and(|rh| rh.ca().is_none() && rh.username_headers().eq(["X-Remote-User"])),
        "the lists are kept (for clearing) without a CA"
    );
    let got = authenticate(
        &only_client,
        &p.client,
        &[("X-Remote-User", "system:admin")],
    );
    assert!(
        matches!(&got.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user } if user.name == "alice-cert"),
        "{got:?}"
    );
    let got = authenticate(
        &only_client,
        &p.front_proxy,
        &[("X-Remote-User", "system:admin")],
    );
    assert_eq!(rejected_reason(&got), Some("unknown_authority"), "{got:?}");

    // Only the request-header CA: no x509 authenticator.
    let only_rh = load_json(&[rh.clone(), users.clone()]).unwrap();
    assert!(only_rh.client_ca().is_none());
    assert_eq!(
        requestheader_name(&authenticate(
            &only_rh,
            &p.front_proxy,
            &[("X-Remote-User", "alice")]
        )),
        Some("alice")
    );

    // Neither: an error (a deliberate difference: Kubernetes would serve system:anonymous),
    // and the message says why.
    let err = load_json(&[users.clone()]).expect_err("no CA key at all");
    assert!(err.to_string().contains("system:anonymous"), "{err}");
    assert!(err.to_string().contains("client-ca-file"), "{err}");
    let err = load_yaml(&[users]).expect_err("no CA key at all (YAML)");
    assert!(
        err.to_string().contains("requestheader-client-ca-file"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------------------------
// Rule 3: the list keys
// ---------------------------------------------------------------------------------------------

/// §2 rule 3: a missing key, `""`, the string `null`, a JSON `null` value and `[]` all give an
/// empty list — for each of the five list keys, in JSON and in YAML.
#[test]
fn rule_03_missing_empty_or_null_list_keys_are_empty() {
    let forms: [(&str, Option<V>); 5] = [
        ("rule_03_missing_key_is_empty", None),
        ("rule_03_empty_string_is_empty", Some(s(""))),
        ("rule_03_json_null_string_is_empty", Some(s("null"))),
        ("rule_03_null_value_is_empty", Some(V::Raw("null"))),
        ("rule_03_empty_array_is_empty", Some(s("[]"))),
    ];
    let mut failures = Vec::new();
    for (i, key) in KEYS_LISTS.iter().enumerate() {
        for (name, value) in &forms {
            let data = with(&producer_data(), key, value.clone());
            for (format, loaded) in [("json", load_json(&data)), ("yaml", load_yaml(&data))] {
                match loaded {
                    Ok(config) if lists(&config)[i].is_empty() => {}
                    Ok(config) => failures.push(format!(
                        "{name} {key} ({format}): got {:?}",
                        lists(&config)[i]
                    )),
                    Err(e) => failures.push(format!("{name} {key} ({format}): error {e}")),
                }
            }
        }
    }
    assert_no_failures("§2 rule 3 empty lists", failures);
}

/// §2 rule 3 with §4.1 rule 1: a ConfigMap with only the request-header CA gets *no* flag
/// defaults — no username header, so a valid proxy request is NO-OPINION (anonymous), and no
/// allowed names, so any CN passes the gate.
#[test]
fn rule_03_missing_list_keys_do_not_get_flag_defaults() {
    let p = pki();
    let config =
        load_json(&[("requestheader-client-ca-file", s(&p.front_proxy.root.pem))]).unwrap();
    assert!(
        lists(&config).iter().all(Vec::is_empty),
        "{:?}",
        lists(&config)
    );
    let got = authenticate(
        &config,
        &p.front_proxy,
        &[("X-Remote-User", "alice"), ("X-Remote-Group", "g")],
    );
    assert!(is_anonymous(&got), "{got:?}");
}

/// §2 rule 3: a `null` element decodes like Go's json.Unmarshal into `[]string`, as `""`; the
/// empty name matches nothing and the other entries still work.
#[test]
fn rule_03_null_elements_become_empty_strings() {
    let data = with(
        &producer_data(),
        "requestheader-username-headers",
        Some(s(r#"[null, "X-Remote-User"]"#)),
    );
    for loaded in [load_json(&data), load_yaml(&data)] {
        let config = loaded.expect("null elements are not an error");
        assert_eq!(lists(&config)[4], strings(&["", "X-Remote-User"]));
        let got = authenticate(&config, &pki().front_proxy, &[("X-Remote-User", "alice")]);
        assert_eq!(requestheader_name(&got), Some("alice"), "{got:?}");
    }
}

/// §2 rule 3: anything that is not a JSON array of strings fails the whole ConfigMap, and the
/// error names the key.
#[test]
fn rule_03_invalid_json_array_is_an_error_naming_the_key() {
    let bad = [
        ("rule_03_not_json", "incorrect-json-array"),
        ("rule_03_object_not_array", r#"{"a":1}"#),
        ("rule_03_number_element", "[1]"),
        ("rule_03_bool_element", "[true]"),
        ("rule_03_nested_array", r#"[["X-Remote-User"]]"#),
        ("rule_03_bare_json_string", r#""X-Remote-User""#),
        ("rule_03_trailing_comma", r#"["X-Remote-User",]"#),
        ("rule_03_unterminated", r#"["X-Remote-User""#),
        ("rule_03_trailing_garbage", r#"["X-Remote-User"] x"#),
    ];
    let mut failures = Vec::new();
    for key in KEYS_LISTS {
        for (name, value) in bad {
            let data = with(&producer_data(), key, Some(s(value)));
            for (format, loaded) in [("json", load_json(&data)), ("yaml", load_yaml(&data))] {
                match loaded {
                    Err(e) if e.source == key => {}
                    Err(e) => failures.push(format!(
                        "{name} {key} ({format}): error names {:?}: {e}",
                        e.source
                    )),
                    Ok(_) => {
                        failures.push(format!("{name} {key} ({format}): {value:?} was accepted"))
                    }
                }
            }
        }
    }
    assert_no_failures("§2 rule 3 invalid arrays", failures);
}

/// §2 rule 3: entries are used exactly as written — not trimmed, not validated like flags.
#[test]
fn rule_03_entries_used_exactly_as_written() {
    enum Want {
        User(&'static str),
        Anonymous,
        Rejected(&'static str),
        Groups(&'static [&'static str]),
        Uid(&'static str),
    }
    let rows: [(&str, &str, &str, Want); 8] = [
        (
            "rule_03_leading_space_in_username_header_never_matches",
            "requestheader-username-headers",
            r#"[" X-Remote-User"]"#,
            Want::Anonymous,
        ),
        (
            "rule_03_trailing_space_in_username_header_never_matches",
            "requestheader-username-headers",
            r#"["X-Remote-User "]"#,
            Want::Anonymous,
        ),
        (
            "rule_03_empty_entry_accepted_and_matches_nothing",
            "requestheader-username-headers",
            r#"[""]"#,
            Want::Anonymous,
        ),
        (
            "rule_03_header_names_still_case_insensitive",
            "requestheader-username-headers",
            r#"["x-remote-user"]"#,
            Want::User("alice"),
        ),
        (
            "rule_03_leading_space_in_allowed_name_never_matches",
            "requestheader-allowed-names",
            r#"[" front-proxy-client"]"#,
            Want::Rejected("common_name_not_allowed"),
        ),
        (
            "rule_03_allowed_names_case_sensitive",
            "requestheader-allowed-names",
            r#"["FRONT-PROXY-CLIENT"]"#,
            Want::Rejected("common_name_not_allowed"),
        ),
        (
            "rule_03_duplicate_group_header_read_twice",
            "requestheader-group-headers",
            r#"["X-Remote-Group", "X-Remote-Group"]"#,
            Want::Groups(&["g", "g", "system:authenticated"]),
        ),
        (
            "rule_03_uid_list_without_x_remote_uid_not_validated",
            "requestheader-uid-headers",
            r#"["X-Custom-Uid"]"#,
            Want::Uid("custom-uid"),
        ),
    ];
    let mut failures = Vec::new();
    for (name, key, value, want) in rows {
        // Without a client CA, so that NO-OPINION shows as anonymous (§1.8 rule 28).
        let data = with(
            &with(&producer_data(), "client-ca-file", None),
            key,
            Some(s(value)),
        );
        let config = match load_json(&data) {
            Ok(c) => c,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
        };
        let got = authenticate(
            &config,
            &pki().front_proxy,
            &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "g"),
                ("X-Custom-Uid", "custom-uid"),
            ],
        );
        let user = match &got.decision {
            Decision::Authenticated { user, .. } => Some(user),
            _ => None,
        };
        let ok = match want {
            Want::User(n) => requestheader_name(&got) == Some(n),
            Want::Anonymous => is_anonymous(&got),
            Want::Rejected(r) => rejected_reason(&got) == Some(r),
            Want::Groups(g) => user.is_some_and(|u| u.groups == strings(g)),
            Want::Uid(uid) => user.is_some_and(|u| u.uid == uid),
        };
        if !ok {
            failures.push(format!("{name}: got {:?}", got.decision));
        }
    }
    assert_no_failures("§2 rule 3 as written", failures);
}

// ---------------------------------------------------------------------------------------------
// Rule 5: PEM bundles; rule 8: empty CA values
// ---------------------------------------------------------------------------------------------

/// A CERTIFICATE block carrying RFC 1421 headers (which client-go skips).
fn pem_with_headers(cert: &Issued) -> String {
    let body: Vec<&str> = cert
        .pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n{}\n-----END CERTIFICATE-----\n",
        body.join("\n")
    )
}

fn pem_block(tag: &str, der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new(tag, der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// §2 rule 5 (client-go `ParseCertsPEM`) for both CA keys. `trusted`/`untrusted`: chains that
/// must / must not verify against the loaded request-header bundle.
#[test]
fn rule_05_pem_bundle_table() {
    struct Row {
        name: &'static str,
        bundle: String,
        want: Result<(Vec<&'static Chain>, Vec<(&'static Chain, &'static str)>), ()>,
    }
    let p = pki();
    let fp = &p.front_proxy;
    let not_a_ca = self_signed(client_leaf_spec("not-a-ca"), KeyKind::EcdsaP256.pooled(50));
    let critical = self_signed(
        ca_spec("critical-ext-ca").unknown_critical_extension(),
        KeyKind::EcdsaP256.pooled(51),
    );
    let truncated = &fp.root.cert_der[..fp.root.cert_der.len() / 2];
    let rows = vec![
        Row {
            name: "rule_05_non_certificate_blocks_skipped",
            bundle: format!(
                "{}{}{}",
                fp.root.key_pem(),
                fp.root.pem,
                pem_block("X509 CRL", b"\x30\x00")
            ),
            want: Ok((vec![fp], vec![(&p.other, "unknown_authority")])),
        },
        Row {
            name: "rule_05_text_around_blocks_ignored",
            bundle: format!(
                "# front-proxy CA\nsubject=CN = front-proxy-ca\n{}trailing words\n",
                fp.root.pem
            ),
            want: Ok((vec![fp], vec![])),
        },
        Row {
            name: "rule_05_certificate_block_with_pem_headers_skipped",
            bundle: format!("{}{}", pem_with_headers(&fp.root), p.other.root.pem),
            want: Ok((vec![&p.other], vec![(fp, "unknown_authority")])),
        },
        Row {
            name: "rule_05_only_certificate_blocks_with_headers_is_zero_certificates",
            bundle: pem_with_headers(&fp.root),
            want: Err(()),
        },
        Row {
            name: "rule_05_unparsable_certificate_block_fails_the_bundle",
            bundle: format!("{}{}", fp.root.pem, der_to_pem(b"not a certificate")),
            want: Err(()),
        },
        Row {
            name: "rule_05_truncated_certificate_block_fails_the_bundle",
            bundle: format!("{}{}", der_to_pem(truncated), fp.root.pem),
            want: Err(()),
        },
        Row {
            name: "rule_05_zero_certificates_only_a_key_is_an_error",
            bundle: fp.root.key_pem(),
            want: Err(()),
        },
        Row {
            name: "rule_05_zero_certificates_no_pem_at_all_is_an_error",
            bundle: "this is not PEM\n".into(),
            want: Err(()),
        },
        Row {
            name: "rule_05_expired_ca_loads_and_does_not_disable_other_roots",
            bundle: pem_bundle(&[&p.expired.root, &fp.root]),
            want: Ok((vec![fp], vec![(&p.expired, "certificate_expired")])),
        },
        Row {
            name: "rule_05_expired_ca_after_a_good_root",
            bundle: pem_bundle(&[&fp.root, &p.expired.root]),
            want: Ok((vec![fp], vec![(&p.expired, "certificate_expired")])),
        },
        Row {
            name: "rule_05_ca_false_certificate_loads_and_does_not_disable_other_roots",
            bundle: pem_bundle(&[&not_a_ca, &fp.root]),
            want: Ok((vec![fp], vec![(&p.other, "unknown_authority")])),
        },
        Row {
            name: "rule_05_unknown_critical_extension_ca_loads_and_does_not_disable_other_roots",
            bundle: pem_bundle(&[&critical, &fp.root, &not_a_ca]),
            want: Ok((vec![fp], vec![(&p.other, "unknown_authority")])),
        },
    ];
    let mut failures = Vec::new();
    for row in rows {
        for ca_key in ["requestheader-client-ca-file", "client-ca-file"] {
            let data = with(&producer_data(), ca_key, Some(s(row.bundle.clone())));
            let loaded = load_json(&data);
            match (&row.want, loaded) {
                (Err(()), Err(e)) if e.source == ca_key => {}
                (Err(()), Err(e)) => failures.push(format!(
                    "{} [{ca_key}]: error names {:?}: {e}",
                    row.name, e.source
                )),
                (Err(()), Ok(_)) => {
                    failures.push(format!("{} [{ca_key}]: bundle accepted", row.name))
                }
                (Ok(_), Err(e)) => failures.push(format!("{} [{ca_key}]: {e}", row.name)),
                (Ok((trusted, untrusted)), Ok(config)) => {
                    if ca_key != "requestheader-client-ca-file" {
                        continue;
                    }
                    for chain in trusted {
                        let got = authenticate(&config, chain, &[("X-Remote-User", "alice")]);
                        if requestheader_name(&got) != Some("alice") {
                            failures.push(format!(
                                "{}: {:?} should be trusted: {:?}",
                                row.name, chain.root.spec.common_names, got.decision
                            ));
                        }
                    }
                    for (chain, reason) in untrusted {
                        let got = authenticate(&config, chain, &[("X-Remote-User", "alice")]);
                        if rejected_reason(&got) != Some(reason) {
                            failures.push(format!(
                                "{}: {:?} should be rejected {reason}: {:?}",
                                row.name, chain.root.spec.common_names, got.decision
                            ));
                        }
                    }
                }
            }
        }
    }
    assert_no_failures("§2 rule 5 PEM bundles", failures);
}

/// Loads `bundle` as the request-header CA and checks whether it is accepted (and then trusts
/// the front-proxy root) or refused naming the key, as `accepted` says.
fn pem_framing_failures(rows: Vec<(&str, String, bool)>) -> Vec<String> {
    let fp = &pki().front_proxy;
    let mut failures = Vec::new();
    for (name, bundle, accepted) in rows {
        let data = with(
            &producer_data(),
            "requestheader-client-ca-file",
            Some(s(bundle)),
        );
        match (accepted, load_json(&data)) {
            (true, Ok(config)) => {
                let got = authenticate(&config, fp, &[("X-Remote-User", "alice")]);
                if requestheader_name(&got) != Some("alice") {
                    failures.push(format!(
                        "{name}: loaded but the root is not trusted: {:?}",
                        got.decision
                    ));
                }
            }
            (false, Err(e)) if e.source == "requestheader-client-ca-file" => {}
            (true, Err(e)) => failures.push(format!("{name}: refused: {e}")),
            (false, Err(e)) => failures.push(format!("{name}: error names {:?}: {e}", e.source)),
            (false, Ok(_)) => failures.push(format!("{name}: accepted")),
        }
    }
    failures
}

/// §2 rule 5: PEM framing that client-go's `ParseCertsPEM` (Go's `encoding/pem`) tolerates:
/// CRLF, trailing blanks, blanks inside the base64, no final newline. (Checked against Go.)
#[test]
fn rule_05_pem_framing_tolerated_like_go() {
    let good = pki().front_proxy.root.pem.clone();
    let lines: Vec<&str> = good.trim_end_matches('\n').split('\n').collect();
    let rows = vec![
        (
            "rule_05_crlf_line_endings_accepted",
            good.replace('\n', "\r\n"),
            true,
        ),
        (
            "rule_05_trailing_blanks_accepted",
            lines.join("  \n") + "\n",
            true,
        ),
        (
            "rule_05_blanks_inside_base64_accepted",
            good.replacen('\n', "\n ", 2),
            true,
        ),
        (
            "rule_05_no_final_newline_accepted",
            good.trim_end_matches('\n').to_string(),
            true,
        ),
        (
            "rule_05_mismatched_end_line_is_no_certificate",
            good.replace("END CERTIFICATE", "END FOO"),
            false,
        ),
    ];
    assert_no_failures("§2 rule 5 PEM framing", pem_framing_failures(rows));
}

/// §2 rule 5: Go's `pem.Decode` skips a block it cannot decode (bad base64, no END line) and
/// goes on with the next one, so such a bundle still loads in Kubernetes; and it only sees a
/// BEGIN line at the start of a line, so an indented bundle has zero certificates there and is
/// refused. (Checked against Go's encoding/pem.)
#[test]
fn rule_05_pem_framing_divergences_from_go() {
    // Go's encoding/pem skips a block it cannot decode and goes on; frontproxy refuses the
    // whole bundle instead (deliberate divergence, stricter than Go: an operator learns that
    // the file is damaged instead of silently trusting part of it). An indented boundary is
    // invisible to Go, so such a bundle has no certificate for Go: refused here too.
    let good = pki().front_proxy.root.pem.clone();
    let lines: Vec<&str> = good.trim_end_matches('\n').split('\n').collect();
    let rows = vec![
        (
            "rule_05_undecodable_block_refuses_the_bundle_stricter_than_go",
            format!(
                "-----BEGIN CERTIFICATE-----\n!!!notbase64!!!\n-----END CERTIFICATE-----\n{good}"
            ),
            false,
        ),
        (
            "rule_05_unterminated_block_refuses_the_bundle_stricter_than_go",
            format!("-----BEGIN CERTIFICATE-----\nMIIB\n{good}"),
            false,
        ),
        (
            "rule_05_indented_begin_line_is_no_certificate",
            format!("  {}\n", lines.join("\n  ")),
            false,
        ),
    ];
    assert_no_failures(
        "§2 rule 5 PEM framing (Go divergences)",
        pem_framing_failures(rows),
    );
}

/// §2 rule 3 with §1.7 rule 22: allowed names are not validated, so `[""]` (or `[null]`) is a
/// non-empty list that allows exactly the leaf whose CN is empty.
#[test]
fn rule_03_empty_allowed_name_entry_allows_only_an_empty_cn() {
    let fp = &pki().front_proxy;
    let no_cn = fp.root.issue(
        client_leaf_spec("x").cns(&[]).org("proxies"),
        KeyKind::EcdsaP256.pooled(52),
    );
    let no_cn_chain = Chain {
        root: fp.root.clone(),
        intermediates: vec![],
        leaf: no_cn,
    };
    for value in [r#"[""]"#, "[null]"] {
        let data = with(
            &producer_data(),
            "requestheader-allowed-names",
            Some(s(value)),
        );
        let config = load_json(&data).expect("not validated");
        let got = authenticate(&config, &no_cn_chain, &[("X-Remote-User", "alice")]);
        assert_eq!(
            requestheader_name(&got),
            Some("alice"),
            "{value}: {:?}",
            got.decision
        );
        let got = authenticate(&config, fp, &[("X-Remote-User", "alice")]);
        assert_eq!(
            rejected_reason(&got),
            Some("common_name_not_allowed"),
            "{value}: {:?}",
            got.decision
        );
    }
}

/// §2 rule 3 with §1.5 rule 12 and §1.6 rule 15: an extra prefix `""` (or `null`) is used as
/// written; every header name starts with it, so every header becomes an extra (key = the
/// lowercased name) and every header is removed after success — as Go's prefix matching does.
#[test]
fn rule_03_empty_extra_prefix_entry_matches_every_header() {
    for value in [r#"[""]"#, "[null]"] {
        let data = with(
            &with(&producer_data(), "client-ca-file", None),
            "requestheader-extra-headers-prefix",
            Some(s(value)),
        );
        let config = load_json(&data).expect("not validated");
        let got = authenticate(
            &config,
            &pki().front_proxy,
            &[("X-Remote-User", "alice"), ("Accept", "text/plain")],
        );
        let Decision::Authenticated { user, .. } = &got.decision else {
            panic!("{value}: {:?}", got.decision);
        };
        let want: std::collections::BTreeMap<String, Vec<String>> = [
            ("x-remote-user".to_string(), strings(&["alice"])),
            ("accept".to_string(), strings(&["text/plain"])),
        ]
        .into_iter()
        .collect();
        assert_eq!(user.extra, want, "{value}");
        assert_eq!(
            got.clear_headers,
            strings(&["X-Remote-User", "Accept"]),
            "{value}"
        );
    }
}

/// §2 rule 8: a CA key that is present but empty (or whitespace) is an error naming the key,
/// in JSON and in YAML.
#[test]
fn rule_08_empty_ca_value_is_an_error_naming_the_key() {
    let mut failures = Vec::new();
    for key in ["requestheader-client-ca-file", "client-ca-file"] {
        for value in ["", "\n", "  \n\t"] {
            let data = with(&producer_data(), key, Some(s(value)));
            for (format, loaded) in [("json", load_json(&data)), ("yaml", load_yaml(&data))] {
                match loaded {
                    Err(e) if e.source == key => {}
                    Err(e) => failures.push(format!(
                        "{key}={value:?} ({format}): error names {:?}: {e}",
                        e.source
                    )),
                    Ok(_) => failures.push(format!("{key}={value:?} ({format}): accepted")),
                }
            }
        }
    }
    assert_no_failures("§2 rule 8 empty CA", failures);
}

/// `ConfigMapData::parse` exposes the keys as read: the lists decoded, the PEM untouched.
#[test]
fn rule_02_configmap_data_exposes_keys_as_read() {
    let data = producer_data();
    let parsed = ConfigMapData::parse(kubectl_yaml(&data).as_bytes()).expect("parses");
    assert_eq!(
        parsed.requestheader_ca.as_deref(),
        Some(pki().front_proxy.root.pem.as_str())
    );
    assert_eq!(
        parsed.client_ca.as_deref(),
        Some(pki().client.root.pem.as_str())
    );
    assert_eq!(parsed.username_headers, strings(&["X-Remote-User"]));
    assert_eq!(parsed.uid_headers, strings(&["X-Remote-Uid"]));
    assert_eq!(parsed.group_headers, strings(&["X-Remote-Group"]));
    assert_eq!(parsed.extra_headers_prefix, strings(&["X-Remote-Extra-"]));
    assert_eq!(parsed.allowed_names, strings(&["front-proxy-client"]));
}

/// §1.9 rule 32 with §2: a ConfigMap with `client-ca-file` and custom request-header lists
/// but no `requestheader-client-ca-file`. Kubernetes still builds the request-header
/// configuration from the lists (only its CA is missing), so `WithAuthentication` clears the
/// configured names and prefixes on every success — an x509 success included, and on
/// anonymous requests. A client-sent `X-Custom-User` must never reach the backend.
#[test]
fn rule_32_custom_lists_without_a_requestheader_ca_are_still_cleared() {
    let p = pki();
    let doc = [
        ("client-ca-file", s(&p.client.root.pem)),
        ("requestheader-username-headers", s(r#"["X-Custom-User"]"#)),
        (
            "requestheader-uid-headers",
            s(r#"["X-Remote-Uid","X-Custom-Uid"]"#),
        ),
        ("requestheader-group-headers", s(r#"["X-Custom-Group"]"#)),
        (
            "requestheader-extra-headers-prefix",
            s(r#"["X-Custom-Extra-"]"#),
        ),
    ];
    for config in [load_json(&doc).unwrap(), load_yaml(&doc).unwrap()] {
        let spoofed = [
            ("X-Custom-User", "system:admin"),
            ("X-Custom-Uid", "0"),
            ("X-Custom-Group", "system:masters"),
            ("X-Custom-Extra-Scopes", "all"),
            ("X-Unrelated", "kept"),
        ];
        let expected = [
            "X-Custom-User",
            "X-Custom-Uid",
            "X-Custom-Group",
            "X-Custom-Extra-Scopes",
        ];
        // An x509 success clears them ...
        let got = authenticate(&config, &p.client, &spoofed);
        assert!(
            matches!(&got.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user } if user.name == "alice-cert"),
            "{got:?}"
        );
        assert_eq!(got.clear_headers, expected, "{got:?}");
        // ... and so does an anonymous request (no certificate).
        let pairs: Vec<(&[u8], &[u8])> = spoofed
            .iter()
            .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
            .collect();
        let anonymous =
            config.authenticate_request(&[], &RequestHeaders::from_pairs(&pairs), UnixTime::now());
        assert!(
            matches!(anonymous.decision, Decision::Anonymous { .. }),
            "{anonymous:?}"
        );
        assert_eq!(anonymous.clear_headers, expected, "{anonymous:?}");
        for name in expected {
            assert!(config.clear_spec().matches(name.as_bytes()), "{name}");
        }
        assert!(!config.clear_spec().matches(b"X-Unrelated"));
    }
}

/// Bounds (docs/semantics.md §8): a YAML document that expands exponentially through aliases
/// (10^12 nodes from under 1 KiB) is refused by the parser's budget with a message that says
/// YAML, instead of exhausting memory.
#[test]
fn bounds_yaml_alias_expansion_is_refused() {
    let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let refs = vec![format!("*a{}", i - 1); 10].join(", ");
        doc.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
    }
    doc.push_str("kind: ConfigMap\ndata: {client-ca-file: x}\nbomb: *a11\n");
    let err = config_from_configmap(doc.as_bytes()).expect_err("an alias bomb must not load");
    assert!(err.message.contains("invalid YAML"), "{err}");
}
