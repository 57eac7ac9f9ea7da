//! Spec §1.2–§1.9 (`spec/kubernetes-semantics.md`): the request-header authenticator, its x509
//! gate, the union with the client-CA authenticator, the group adder and header clearing —
//! driven only through the public API.
//!
//! Every table row is named after the rule it pins (`rule_NN_...` = §1 rule NN). Tables collect
//! all failing rows and report them together. Certificates are generated at test time.

mod common;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use common::pki::*;
use frontproxy::decode_extra_key;
use frontproxy::{
    AuthConfig, Authentication, AuthenticatorKind, CaBundle, CertificateDer, Decision, Limits,
    Peer, RequestHeaderOptions, RequestHeaders, UnixTime, UserInfo,
};
use http::{HeaderMap, HeaderName, HeaderValue};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

struct Pki {
    /// The request-header CA and the front proxy's client certificate (CN front-proxy-client).
    front_proxy: Chain,
    /// The `--client-ca-file` CA and a user certificate (CN alice-cert, O team-a).
    client: Chain,
    /// An unrelated CA, whose leaf has the front proxy's CN.
    other: Chain,
    /// A look-alike of `front_proxy`: same subject names, different keys.
    rogue: Chain,
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
                20,
                client_leaf_spec("front-proxy-client"),
                21,
            ),
            client: single(
                "client-ca",
                22,
                client_leaf_spec("alice-cert").org("team-a"),
                23,
            ),
            other: single("other-ca", 24, client_leaf_spec("front-proxy-client"), 25),
            rogue: single(
                "front-proxy-ca",
                26,
                client_leaf_spec("front-proxy-client"),
                27,
            ),
        }
    })
}

fn presented(chain: &Chain) -> Vec<CertificateDer<'static>> {
    chain.presented().iter().map(|c| c.der()).collect()
}

fn bundle(cert: &Issued, source: &str) -> CaBundle {
    CaBundle::from_pem(cert.pem.as_bytes(), source).expect("generated CA parses")
}

fn front_proxy_ca() -> CaBundle {
    bundle(&pki().front_proxy.root, "--requestheader-client-ca-file")
}

fn client_ca(cert: &Issued) -> CaBundle {
    bundle(cert, "--client-ca-file")
}

/// Request-header authenticator only, front-proxy CA, these options.
fn rh_config(options: RequestHeaderOptions) -> AuthConfig {
    AuthConfig::builder()
        .request_header(front_proxy_ca(), options)
        .build()
        .expect("valid configuration")
}

fn options_with(setup: fn(&mut RequestHeaderOptions)) -> RequestHeaderOptions {
    let mut o = RequestHeaderOptions::default();
    setup(&mut o);
    o
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn str_pairs<'a>(headers: &[(&'a str, &'a str)]) -> Vec<(&'a [u8], &'a [u8])> {
    headers
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes()))
        .collect()
}

fn authenticate(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    headers: &[(&str, &str)],
) -> Authentication {
    let pairs = str_pairs(headers);
    config.authenticate_request(chain, &RequestHeaders::from_pairs(&pairs), UnixTime::now())
}

fn authenticate_bytes(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    headers: &[(Vec<u8>, Vec<u8>)],
) -> Authentication {
    let pairs: Vec<(&[u8], &[u8])> = headers
        .iter()
        .map(|(n, v)| (n.as_slice(), v.as_slice()))
        .collect();
    config.authenticate_request(chain, &RequestHeaders::from_pairs(&pairs), UnixTime::now())
}

/// The same request through `RequestHeaders::from_header_map`.
fn authenticate_header_map(
    config: &AuthConfig,
    chain: &[CertificateDer<'_>],
    headers: &[(&str, &str)],
) -> Authentication {
    let map = header_map(headers.iter().map(|(n, v)| (n.as_bytes(), v.as_bytes())));
    config.authenticate_request(
        chain,
        &RequestHeaders::from_header_map(&map),
        UnixTime::now(),
    )
}

fn header_map<'a>(pairs: impl IntoIterator<Item = (&'a [u8], &'a [u8])>) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (n, v) in pairs {
        map.append(
            HeaderName::from_bytes(n).expect("valid header name"),
            HeaderValue::from_bytes(v).expect("valid header value"),
        );
    }
    map
}

fn requestheader_user(a: &Authentication) -> Option<&UserInfo> {
    match &a.decision {
        Decision::Authenticated {
            authenticator: AuthenticatorKind::RequestHeader,
            user,
        } => Some(user),
        _ => None,
    }
}

fn is_anonymous(a: &Authentication) -> bool {
    matches!(&a.decision, Decision::Anonymous { user } if *user == UserInfo::anonymous())
}

fn rejected_reason(a: &Authentication) -> Option<&'static str> {
    match &a.decision {
        Decision::Rejected(e) => Some(e.reason.code()),
        _ => None,
    }
}

fn assert_no_failures(table: &str, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{table}: {} case(s) failed:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

fn with_authenticated(groups: &[&str]) -> Vec<String> {
    let mut g = strings(groups);
    g.push("system:authenticated".into());
    g
}

// ---------------------------------------------------------------------------------------------
// Header extraction tables (§1.2–§1.5)
// ---------------------------------------------------------------------------------------------

type Headers = &'static [(&'static str, &'static str)];

struct Case<W> {
    name: &'static str,
    options: fn(&mut RequestHeaderOptions),
    headers: Headers,
    want: W,
}

fn defaults(_: &mut RequestHeaderOptions) {}

fn two_username_headers(o: &mut RequestHeaderOptions) {
    o.username_headers = strings(&["X-Remote-User", "X-Proxy-User"]);
}

fn uid_configured(o: &mut RequestHeaderOptions) {
    o.uid_headers = strings(&["X-Remote-Uid"]);
}

fn two_uid_headers(o: &mut RequestHeaderOptions) {
    o.uid_headers = strings(&["X-Remote-Uid", "X-Proxy-Uid"]);
}

/// §1.2 rules 4–6 (and §1.1 rules 2–3 for name matching). `want`: the username, or `None`
/// for NO-OPINION (which, with no client CA, ends as anonymous).
fn username_cases() -> Vec<Case<Option<&'static str>>> {
    vec![
        Case {
            name: "rule_04_username_from_the_configured_header",
            options: defaults,
            headers: &[("X-Remote-User", "alice")],
            want: Some("alice"),
        },
        Case {
            name: "rule_04_username_first_value_only",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-User", "bob")],
            want: Some("alice"),
        },
        Case {
            name: "rule_04_username_first_value_only_empty_first_skips_to_next_name",
            options: two_username_headers,
            headers: &[
                ("X-Remote-User", ""),
                ("X-Remote-User", "bob"),
                ("X-Proxy-User", "carol"),
            ],
            want: Some("carol"),
        },
        Case {
            name: "rule_04_username_empty_first_value_later_non_empty_ignored_no_opinion",
            options: defaults,
            headers: &[("X-Remote-User", ""), ("X-Remote-User", "bob")],
            want: None,
        },
        Case {
            name: "rule_04_username_configured_order_wins_over_arrival_order",
            options: two_username_headers,
            headers: &[("X-Proxy-User", "carol"), ("X-Remote-User", "alice")],
            want: Some("alice"),
        },
        Case {
            name: "rule_04_username_later_configured_name_used_when_earlier_absent",
            options: two_username_headers,
            headers: &[("X-Proxy-User", "carol")],
            want: Some("carol"),
        },
        Case {
            name: "rule_04_username_case_variant_lines_are_one_header_first_line_wins",
            options: defaults,
            headers: &[("x-remote-user", "alice"), ("X-REMOTE-USER", "bob")],
            want: Some("alice"),
        },
        Case {
            name: "rule_04_username_longer_or_shorter_header_names_do_not_match",
            options: defaults,
            headers: &[("X-Remote-Username", "alice"), ("X-Remote-Use", "bob")],
            want: None,
        },
        Case {
            name: "rule_03_username_request_header_name_case_insensitive",
            options: defaults,
            headers: &[("x-ReMoTe-uSeR", "alice")],
            want: Some("alice"),
        },
        Case {
            name: "rule_03_username_configured_name_case_insensitive",
            options: |o| o.username_headers = strings(&["x-remote-user"]),
            headers: &[("X-Remote-User", "alice")],
            want: Some("alice"),
        },
        Case {
            name: "rule_05_username_ows_trimmed",
            options: defaults,
            headers: &[("X-Remote-User", " \talice\t ")],
            want: Some("alice"),
        },
        Case {
            name: "rule_05_username_not_comma_split",
            options: defaults,
            headers: &[("X-Remote-User", "alice,bob")],
            want: Some("alice,bob"),
        },
        Case {
            name: "rule_05_username_inner_whitespace_kept",
            options: defaults,
            headers: &[("X-Remote-User", "alice \t smith")],
            want: Some("alice \t smith"),
        },
        Case {
            name: "rule_05_username_non_ascii_utf8_kept",
            options: defaults,
            headers: &[("X-Remote-User", "ålice-今日は")],
            want: Some("ålice-今日は"),
        },
        Case {
            name: "rule_06_whitespace_only_username_is_empty_no_opinion",
            options: defaults,
            headers: &[("X-Remote-User", " \t ")],
            want: None,
        },
        Case {
            name: "rule_06_no_username_header_no_opinion_even_with_other_identity_headers",
            options: uid_configured,
            headers: &[
                ("X-Remote-Group", "system:masters"),
                ("X-Remote-Uid", "1"),
                ("X-Remote-Extra-Scopes", "all"),
            ],
            want: None,
        },
        Case {
            name: "rule_02_configured_name_with_leading_space_never_matches",
            options: |o| o.username_headers = strings(&[" X-Remote-User"]),
            headers: &[("X-Remote-User", "alice")],
            want: None,
        },
    ]
}

#[test]
fn username_table() {
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for case in username_cases() {
        let config = rh_config(options_with(case.options));
        let got = authenticate(&config, &chain, case.headers);
        let ok = match case.want {
            Some(name) => requestheader_user(&got).is_some_and(|u| u.name == name),
            None => is_anonymous(&got),
        };
        if !ok {
            failures.push(format!(
                "{}: want {:?}, got {:?}",
                case.name, case.want, got.decision
            ));
        }
    }
    assert_no_failures("§1.2 username", failures);
}

/// §1.3 rules 7–8. Every request carries `X-Remote-User: alice`; `want` is the UID.
fn uid_cases() -> Vec<Case<&'static str>> {
    vec![
        Case {
            name: "rule_07_uid_from_the_configured_header",
            options: uid_configured,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Uid", "1234")],
            want: "1234",
        },
        Case {
            name: "rule_07_uid_first_value_only",
            options: uid_configured,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Uid", "1"),
                ("X-Remote-Uid", "2"),
            ],
            want: "1",
        },
        Case {
            name: "rule_07_uid_empty_first_value_skips_to_next_name",
            options: two_uid_headers,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Uid", ""),
                ("X-Remote-Uid", "2"),
                ("X-Proxy-Uid", "3"),
            ],
            want: "3",
        },
        Case {
            name: "rule_07_uid_empty_first_value_and_no_other_name_gives_empty",
            options: uid_configured,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Uid", ""),
                ("X-Remote-Uid", "2"),
            ],
            want: "",
        },
        Case {
            name: "rule_07_uid_configured_order_wins_over_arrival_order",
            options: two_uid_headers,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Proxy-Uid", "3"),
                ("X-Remote-Uid", "1"),
            ],
            want: "1",
        },
        Case {
            name: "rule_07_uid_absent_is_empty_string_and_never_required",
            options: uid_configured,
            headers: &[("X-Remote-User", "alice")],
            want: "",
        },
        Case {
            name: "rule_07_uid_ows_trimmed_not_comma_split",
            options: uid_configured,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Uid", " \tu-1,u-2 ")],
            want: "u-1,u-2",
        },
        Case {
            name: "rule_03_uid_header_name_case_insensitive",
            options: uid_configured,
            headers: &[("X-Remote-User", "alice"), ("x-REMOTE-uid", "7")],
            want: "7",
        },
        Case {
            name: "rule_08_uid_header_ignored_when_no_uid_header_is_configured",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Uid", "1234")],
            want: "",
        },
    ]
}

#[test]
fn uid_table() {
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for case in uid_cases() {
        let config = rh_config(options_with(case.options));
        let got = authenticate(&config, &chain, case.headers);
        match requestheader_user(&got) {
            Some(u) if u.name == "alice" && u.uid == case.want => {}
            _ => failures.push(format!(
                "{}: want uid {:?}, got {:?}",
                case.name, case.want, got.decision
            )),
        }
    }
    assert_no_failures("§1.3 uid", failures);
}

/// §1.4 rules 9–10. Every request carries `X-Remote-User: alice`; `want` is the group list as
/// the header authenticator builds it (the group adder's `system:authenticated`, rule 30, is
/// expected after it).
fn group_cases() -> Vec<Case<&'static [&'static str]>> {
    vec![
        Case {
            name: "rule_09_groups_all_values_in_arrival_order",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "b"),
                ("X-Remote-Group", "a"),
                ("X-Remote-Group", "c"),
            ],
            want: &["b", "a", "c"],
        },
        Case {
            name: "rule_09_groups_empty_values_dropped",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", ""),
                ("X-Remote-Group", "a"),
                ("X-Remote-Group", " \t "),
                ("X-Remote-Group", "b"),
            ],
            want: &["a", "b"],
        },
        Case {
            name: "rule_09_groups_configured_name_order_then_arrival_order",
            options: |o| o.group_headers = strings(&["X-Remote-Group", "X-Proxy-Group"]),
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Proxy-Group", "p1"),
                ("X-Remote-Group", "g1"),
                ("X-Proxy-Group", "p2"),
                ("X-Remote-Group", "g2"),
            ],
            want: &["g1", "g2", "p1", "p2"],
        },
        Case {
            name: "rule_09_group_name_configured_twice_is_read_twice",
            options: |o| o.group_headers = strings(&["X-Remote-Group", "x-remote-group"]),
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Group", "a")],
            want: &["a", "a"],
        },
        Case {
            name: "rule_10_groups_empty_list_when_no_group_header",
            options: defaults,
            headers: &[("X-Remote-User", "alice")],
            want: &[],
        },
        Case {
            name: "rule_10_groups_duplicates_kept",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "a"),
                ("X-Remote-Group", "a"),
            ],
            want: &["a", "a"],
        },
        Case {
            name: "rule_10_groups_comma_is_part_of_one_group",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Group", "a,b")],
            want: &["a,b"],
        },
        Case {
            name: "rule_03_group_header_name_case_insensitive",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("x-remote-GROUP", "a")],
            want: &["a"],
        },
        Case {
            name: "rule_05_group_values_ows_trimmed",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Group", "\t a b ")],
            want: &["a b"],
        },
    ]
}

#[test]
fn group_table() {
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for case in group_cases() {
        let config = rh_config(options_with(case.options));
        let got = authenticate(&config, &chain, case.headers);
        let want = with_authenticated(case.want);
        match requestheader_user(&got) {
            Some(u) if u.name == "alice" && u.groups == want => {}
            _ => failures.push(format!(
                "{}: want groups {want:?}, got {:?}",
                case.name, got.decision
            )),
        }
    }
    assert_no_failures("§1.4 groups", failures);
}

type Extra = &'static [(&'static str, &'static [&'static str])];

fn extra_map(extra: Extra) -> BTreeMap<String, Vec<String>> {
    extra
        .iter()
        .map(|(k, v)| (k.to_string(), strings(v)))
        .collect()
}

/// §1.5 rules 11–14. Every request carries `X-Remote-User: alice`; `want` is the whole extra map.
fn extra_cases() -> Vec<Case<Extra>> {
    vec![
        Case {
            name: "rule_11_extra_empty_map_when_no_extra_header",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Group", "g")],
            want: &[],
        },
        Case {
            name: "rule_12_extra_prefix_match_case_insensitive_key_lowercased",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("x-REMOTE-extra-Scopes", "read"),
            ],
            want: &[("scopes", &["read"])],
        },
        Case {
            name: "rule_12_extra_configured_prefix_case_insensitive",
            options: |o| o.extra_headers_prefix = strings(&["x-remote-extra-"]),
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Scopes", "read"),
            ],
            want: &[("scopes", &["read"])],
        },
        Case {
            name: "rule_12_extra_percent_2F_decodes_to_slash",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                (
                    "X-Remote-Extra-Authentication.kubernetes.io%2FCredential-Id",
                    "x",
                ),
            ],
            want: &[("authentication.kubernetes.io/credential-id", &["x"])],
        },
        Case {
            name: "rule_12_extra_percent_2f_lowercase_hex_decodes_to_slash",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Example.org%2fteam", "t"),
            ],
            want: &[("example.org/team", &["t"])],
        },
        Case {
            name: "rule_12_extra_decoded_once_percent_2520_becomes_percent_20",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-A%2520b", "v")],
            want: &[("a%20b", &["v"])],
        },
        Case {
            name: "rule_12_extra_escaped_percent_decodes_to_percent_once",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-A%25%252F", "v"),
            ],
            want: &[("a%%2f", &["v"])],
        },
        Case {
            name: "rule_12_extra_plus_stays_plus",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-A+b", "v")],
            want: &[("a+b", &["v"])],
        },
        Case {
            name: "rule_12_extra_malformed_escape_keeps_whole_key_lowercased_undecoded",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Org%2FTeam%zz", "v"),
            ],
            want: &[("org%2fteam%zz", &["v"])],
        },
        Case {
            name: "rule_12_extra_malformed_first_escape_keeps_later_valid_escape_undecoded",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-%ZZ%2F", "v")],
            want: &[("%zz%2f", &["v"])],
        },
        Case {
            name: "rule_12_extra_trailing_percent_keeps_whole_key",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Org%2FTeam%", "v"),
            ],
            want: &[("org%2fteam%", &["v"])],
        },
        Case {
            name: "rule_12_extra_trailing_percent_with_one_hex_digit_keeps_whole_key",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Org%2FTeam%A", "v"),
            ],
            want: &[("org%2fteam%a", &["v"])],
        },
        Case {
            name: "rule_12_extra_lowercase_before_decode_decoded_bytes_keep_case",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-B%41%4a", "v")],
            want: &[("bAJ", &["v"])],
        },
        Case {
            name: "rule_12_extra_non_ascii_utf8_key_from_percent_escapes",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-%E4%BB%8A%E6%97%A5%E3%81%AF", "v"),
            ],
            want: &[("今日は", &["v"])],
        },
        Case {
            name: "rule_13_extra_key_empty_when_header_name_equals_prefix",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-", "v")],
            want: &[("", &["v"])],
        },
        Case {
            name: "rule_12_extra_values_all_in_order_including_empty_strings",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Scopes", "a"),
                ("X-Remote-Extra-Scopes", ""),
                ("X-Remote-Extra-Scopes", "b"),
            ],
            want: &[("scopes", &["a", "", "b"])],
        },
        Case {
            name: "rule_12_extra_values_ows_trimmed_not_comma_split",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Scopes", " a,b\t"),
            ],
            want: &[("scopes", &["a,b"])],
        },
        Case {
            name: "rule_12_extra_case_variant_lines_are_one_header_in_arrival_order",
            options: defaults,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Extra-Scopes", "a"),
                ("x-remote-extra-scopes", "b"),
            ],
            want: &[("scopes", &["a", "b"])],
        },
        Case {
            name: "rule_12_extra_prefix_must_start_the_name",
            options: defaults,
            headers: &[("X-Remote-User", "alice"), ("Y-X-Remote-Extra-Scopes", "a")],
            want: &[],
        },
        Case {
            name: "rule_13_extra_values_from_several_prefixes_concatenated_in_prefix_order",
            options: |o| o.extra_headers_prefix = strings(&["X-Remote-Extra-", "X-Proxy-Extra-"]),
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Proxy-Extra-Scopes", "p"),
                ("X-Remote-Extra-Scopes", "r"),
            ],
            want: &[("scopes", &["r", "p"])],
        },
        Case {
            name: "rule_14_one_header_feeds_several_prefixes",
            options: |o| o.extra_headers_prefix = strings(&["X-Remote-Extra-", "X-Remote-"]),
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Extra-Scopes", "r")],
            want: &[
                ("extra-scopes", &["r"]),
                ("scopes", &["r"]),
                ("user", &["alice"]),
            ],
        },
        Case {
            name: "rule_14_username_and_group_headers_also_match_an_extra_prefix",
            options: |o| o.extra_headers_prefix = strings(&["X-Remote-"]),
            headers: &[("X-Remote-User", "alice"), ("X-Remote-Group", "g")],
            want: &[("group", &["g"]), ("user", &["alice"])],
        },
    ]
}

#[test]
fn extra_table() {
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for case in extra_cases() {
        let config = rh_config(options_with(case.options));
        let got = authenticate(&config, &chain, case.headers);
        let want = extra_map(case.want);
        match requestheader_user(&got) {
            Some(u) if u.name == "alice" && u.extra == want => {}
            _ => failures.push(format!(
                "{}: want extra {want:?}, got {:?}",
                case.name, got.decision
            )),
        }
    }
    assert_no_failures("§1.5 extra", failures);
}

/// `RequestHeaders::from_header_map` must give the same decisions as the pairs API for every
/// row of the extraction tables (header names arrive lowercased from a `HeaderMap`).
#[test]
fn header_map_gives_the_same_decisions_as_pairs() {
    let chain = presented(&pki().front_proxy);
    let mut rows: Vec<(&str, fn(&mut RequestHeaderOptions), Headers)> = Vec::new();
    rows.extend(
        username_cases()
            .into_iter()
            .map(|c| (c.name, c.options, c.headers)),
    );
    rows.extend(
        uid_cases()
            .into_iter()
            .map(|c| (c.name, c.options, c.headers)),
    );
    rows.extend(
        group_cases()
            .into_iter()
            .map(|c| (c.name, c.options, c.headers)),
    );
    rows.extend(
        extra_cases()
            .into_iter()
            .map(|c| (c.name, c.options, c.headers)),
    );
    rows.push(("no_certificate", defaults, &[("X-Remote-User", "mallory")]));
    let mut failures = Vec::new();
    for (name, options, headers) in rows {
        let config = rh_config(options_with(options));
        let none: &[CertificateDer<'static>] = &[];
        for chain in [&chain[..], none] {
            let pairs = authenticate(&config, chain, headers);
            let map = authenticate_header_map(&config, chain, headers);
            let lower = |v: &[String]| v.iter().map(|s| s.to_ascii_lowercase()).collect::<Vec<_>>();
            if pairs.decision != map.decision
                || lower(&pairs.clear_headers.to_vec()) != lower(&map.clear_headers.to_vec())
            {
                failures.push(format!("{name}: pairs {pairs:?} != header map {map:?}"));
            }
        }
    }
    assert_no_failures("from_header_map", failures);
}

// ---------------------------------------------------------------------------------------------
// §1.7: the x509 gate in front of the header authenticator
// ---------------------------------------------------------------------------------------------

enum Gate {
    Trusted,
    Rejected(&'static str),
}

/// §1.7 rule 22. `leaf` is issued by the front-proxy CA (or by an intermediate when
/// `intermediate_cn` is set); every request carries `X-Remote-User: alice`.
#[test]
fn rule_22_allowed_names_table() {
    struct Row {
        name: &'static str,
        leaf: CertSpec,
        intermediate_cn: Option<&'static str>,
        allowed: &'static [&'static str],
        want: Gate,
    }
    let rows = vec![
        Row {
            name: "rule_22_empty_allowed_list_accepts_any_cn",
            leaf: client_leaf_spec("anything-at-all"),
            intermediate_cn: None,
            allowed: &[],
            want: Gate::Trusted,
        },
        Row {
            name: "rule_22_cn_in_the_list_accepted",
            leaf: client_leaf_spec("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["aggregator", "front-proxy-client"],
            want: Gate::Trusted,
        },
        Row {
            name: "rule_22_cn_not_in_the_list_rejected",
            leaf: client_leaf_spec("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["aggregator"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_cn_compared_case_sensitively",
            leaf: client_leaf_spec("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["Front-Proxy-Client"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_cn_compared_exactly_not_as_prefix",
            leaf: client_leaf_spec("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["front-proxy", "front-proxy-client-2", "front-proxy-client "],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_only_the_last_cn_attribute_counts_last_allowed",
            leaf: client_leaf_spec("client_cn2").cn("client_cn"),
            intermediate_cn: None,
            allowed: &["client_cn"],
            want: Gate::Trusted,
        },
        Row {
            name: "rule_22_only_the_last_cn_attribute_counts_first_not_enough",
            leaf: client_leaf_spec("client_cn2").cn("client_cn"),
            intermediate_cn: None,
            allowed: &["client_cn2"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_subject_alt_names_ignored",
            leaf: client_leaf_spec("not-allowed").dns("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["front-proxy-client"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_intermediate_cn_ignored",
            leaf: client_leaf_spec("not-allowed"),
            intermediate_cn: Some("front-proxy-client"),
            allowed: &["front-proxy-client"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_leaf_cn_checked_through_an_intermediate",
            leaf: client_leaf_spec("front-proxy-client"),
            intermediate_cn: Some("intermediate-ca"),
            allowed: &["front-proxy-client"],
            want: Gate::Trusted,
        },
        Row {
            name: "rule_22_leaf_without_cn_rejected_when_the_list_is_not_empty",
            leaf: client_leaf_spec("x").cns(&[]).org("front-proxy-client"),
            intermediate_cn: None,
            allowed: &["front-proxy-client"],
            want: Gate::Rejected("common_name_not_allowed"),
        },
        Row {
            name: "rule_22_leaf_without_cn_accepted_when_the_list_is_empty",
            leaf: client_leaf_spec("x").cns(&[]).org("front-proxy-client"),
            intermediate_cn: None,
            allowed: &[],
            want: Gate::Trusted,
        },
    ];
    let root = &pki().front_proxy.root;
    let mut failures = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let leaf_key = KeyKind::EcdsaP256.pooled(31 + i);
        let chain = match row.intermediate_cn {
            Some(cn) => {
                let inter = issue(intermediate_spec(cn), KeyKind::EcdsaP256.pooled(30), root);
                vec![issue(row.leaf, leaf_key, &inter).der(), inter.der()]
            }
            None => vec![issue(row.leaf, leaf_key, root).der()],
        };
        let config = rh_config(RequestHeaderOptions {
            allowed_names: strings(row.allowed),
            ..Default::default()
        });
        let got = authenticate(&config, &chain, &[("X-Remote-User", "alice")]);
        let ok = match row.want {
            Gate::Trusted => requestheader_user(&got).is_some_and(|u| u.name == "alice"),
            Gate::Rejected(reason) => {
                rejected_reason(&got) == Some(reason)
                    && matches!(&got.decision, Decision::Rejected(e) if e.message.contains("is not in the allowed list"))
                    && got.clear_headers.is_empty()
            }
        };
        if !ok {
            failures.push(format!("{}: got {:?}", row.name, got.decision));
        }
    }
    assert_no_failures("§1.7 rule 22", failures);
}

/// §1.7 rule 18, §1.9 rule 32: no client certificate → no authenticator has an opinion →
/// anonymous; the spoofed identity headers are still listed for removal.
#[test]
fn rule_18_spoofed_headers_without_certificate_anonymous_and_cleared() {
    let config = rh_config(options_with(uid_configured));
    let got = authenticate(
        &config,
        &[],
        &[
            ("X-Remote-User", "system:admin"),
            ("X-Remote-Group", "system:masters"),
            ("Content-Type", "application/json"),
            ("X-Remote-Uid", "0"),
            ("x-remote-extra-scopes", "all"),
            ("Authorization", "Bearer stolen"),
        ],
    );
    assert!(is_anonymous(&got), "want anonymous, got {:?}", got.decision);
    assert_eq!(
        got.clear_headers,
        strings(&[
            "X-Remote-User",
            "X-Remote-Group",
            "X-Remote-Uid",
            "x-remote-extra-scopes",
            "Authorization"
        ])
    );
}

/// §1.7 rule 21: a proxy certificate that does not verify against the request-header CA is an
/// ERROR; with no other authenticator the request is rejected and its headers are never read.
#[test]
fn rule_21_proxy_certificate_from_the_wrong_ca_rejected() {
    let config = rh_config(RequestHeaderOptions::default());
    let headers = [
        ("X-Remote-User", "system:admin"),
        ("X-Remote-Group", "system:masters"),
    ];

    let unrelated = authenticate(&config, &presented(&pki().other), &headers);
    assert_eq!(
        rejected_reason(&unrelated),
        Some("unknown_authority"),
        "{unrelated:?}"
    );
    assert!(unrelated.clear_headers.is_empty());

    // Same subject names as the real CA and leaf, different keys.
    let look_alike = authenticate(&config, &presented(&pki().rogue), &headers);
    assert!(
        matches!(look_alike.decision, Decision::Rejected(_)),
        "a look-alike CA must not be trusted: {look_alike:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// §1.8: the union with the client-CA authenticator, and anonymous
// ---------------------------------------------------------------------------------------------

/// Which authenticator decides, for one (configuration, presented chain, headers) triple.
#[test]
fn union_table() {
    enum Want {
        RequestHeader(&'static str),
        X509(&'static str),
        Anonymous,
        Rejected(&'static str),
    }
    struct Row {
        name: &'static str,
        client_ca: Option<&'static Issued>,
        allowed: &'static [&'static str],
        chain: Option<&'static Chain>,
        headers: Headers,
        want: Want,
    }
    let p = pki();
    let rows = [
        Row {
            name: "rule_28_valid_proxy_cert_no_username_no_client_ca_anonymous",
            client_ca: None,
            allowed: &["front-proxy-client"],
            chain: Some(&p.front_proxy),
            headers: &[("X-Remote-Group", "system:masters")],
            want: Want::Anonymous,
        },
        Row {
            name: "rule_28_valid_proxy_cert_no_username_client_ca_rejects_it_401",
            client_ca: Some(&p.client.root),
            allowed: &["front-proxy-client"],
            chain: Some(&p.front_proxy),
            headers: &[("X-Remote-Group", "system:masters")],
            want: Want::Rejected("unknown_authority"),
        },
        Row {
            name: "rule_28_valid_proxy_cert_no_username_same_ca_as_client_ca_is_x509_user",
            client_ca: Some(&p.front_proxy.root),
            allowed: &["front-proxy-client"],
            chain: Some(&p.front_proxy),
            headers: &[],
            want: Want::X509("front-proxy-client"),
        },
        Row {
            name: "rule_24_request_header_tried_before_x509",
            client_ca: Some(&p.front_proxy.root),
            allowed: &["front-proxy-client"],
            chain: Some(&p.front_proxy),
            headers: &[("X-Remote-User", "alice")],
            want: Want::RequestHeader("alice"),
        },
        Row {
            name: "rule_28_request_header_error_then_x509_success_gives_x509_user",
            client_ca: Some(&p.client.root),
            allowed: &[],
            chain: Some(&p.client),
            headers: &[("X-Remote-User", "system:admin")],
            want: Want::X509("alice-cert"),
        },
        Row {
            name: "rule_28_cn_not_allowed_then_x509_success_gives_x509_user",
            client_ca: Some(&p.front_proxy.root),
            allowed: &["aggregator"],
            chain: Some(&p.front_proxy),
            headers: &[("X-Remote-User", "system:admin")],
            want: Want::X509("front-proxy-client"),
        },
        Row {
            name: "rule_25_both_authenticators_fail_401",
            client_ca: Some(&p.client.root),
            allowed: &[],
            chain: Some(&p.other),
            headers: &[("X-Remote-User", "system:admin")],
            want: Want::Rejected("unknown_authority"),
        },
        Row {
            name: "rule_27_no_certificate_with_both_authenticators_anonymous",
            client_ca: Some(&p.client.root),
            allowed: &["front-proxy-client"],
            chain: None,
            headers: &[("X-Remote-User", "system:admin")],
            want: Want::Anonymous,
        },
    ];
    let mut failures = Vec::new();
    for row in rows {
        let mut builder = AuthConfig::builder().request_header(
            front_proxy_ca(),
            RequestHeaderOptions {
                allowed_names: strings(row.allowed),
                ..Default::default()
            },
        );
        if let Some(ca) = row.client_ca {
            builder = builder.client_ca(client_ca(ca));
        }
        let config = builder.build().expect("valid configuration");
        let chain = row.chain.map(presented).unwrap_or_default();
        let got = authenticate(&config, &chain, row.headers);
        let ok = match (&row.want, &got.decision) {
            (
                Want::RequestHeader(n),
                Decision::Authenticated {
                    authenticator,
                    user,
                },
            ) => *authenticator == AuthenticatorKind::RequestHeader && user.name == *n,
            (
                Want::X509(n),
                Decision::Authenticated {
                    authenticator,
                    user,
                },
            ) => *authenticator == AuthenticatorKind::X509 && user.name == *n,
            (Want::Anonymous, _) => is_anonymous(&got),
            (Want::Rejected(r), Decision::Rejected(e)) => e.reason.code() == *r,
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: got {:?}", row.name, got.decision));
        }
    }
    assert_no_failures("§1.8 union", failures);
}

/// §1.8 rule 28: the x509 user of a request whose proxy verification failed is the certificate's
/// CN with its O as groups (plus the group adder), and the spoofed headers are cleared.
#[test]
fn rule_28_x509_user_after_request_header_error_is_the_certificate_and_headers_cleared() {
    let p = pki();
    let config = AuthConfig::builder()
        .request_header(front_proxy_ca(), RequestHeaderOptions::default())
        .client_ca(client_ca(&p.client.root))
        .build()
        .unwrap();
    let got = authenticate(
        &config,
        &presented(&p.client),
        &[
            ("X-Remote-User", "system:admin"),
            ("X-Remote-Group", "system:masters"),
        ],
    );
    let Decision::Authenticated {
        authenticator: AuthenticatorKind::X509,
        user,
    } = &got.decision
    else {
        panic!("want an x509 user, got {:?}", got.decision);
    };
    assert_eq!(user.name, "alice-cert");
    assert_eq!(user.groups, with_authenticated(&["team-a"]));
    assert!(user
        .extra
        .contains_key("authentication.kubernetes.io/credential-id"));
    assert_eq!(
        got.clear_headers,
        strings(&["X-Remote-User", "X-Remote-Group"])
    );
}

/// §1.8 rule 25: when both authenticators fail, the 401 carries both errors (the x509 one with
/// Go's `verifying certificate ...` prefix, §3.1 rule 4).
#[test]
fn rule_25_both_errors_are_collected() {
    let p = pki();
    let config = AuthConfig::builder()
        .request_header(
            front_proxy_ca(),
            RequestHeaderOptions {
                allowed_names: strings(&["aggregator"]),
                ..Default::default()
            },
        )
        .client_ca(client_ca(&p.client.root))
        .build()
        .unwrap();
    let got = authenticate(
        &config,
        &presented(&p.front_proxy),
        &[("X-Remote-User", "alice")],
    );
    let Decision::Rejected(e) = &got.decision else {
        panic!("want a rejection, got {:?}", got.decision);
    };
    assert!(e.message.contains("not in the allowed list"), "{e}");
    assert!(e.message.contains("verifying certificate SN="), "{e}");
    assert!(got.clear_headers.is_empty());
}

// ---------------------------------------------------------------------------------------------
// §1.9 rule 30: the authenticated-group adder
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_30_group_adder_table() {
    struct Row {
        name: &'static str,
        headers: Headers,
        want_groups: &'static [&'static str],
    }
    let rows = [
        Row {
            name: "rule_30_system_authenticated_appended_at_the_end",
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "b"),
                ("X-Remote-Group", "a"),
            ],
            want_groups: &["b", "a", "system:authenticated"],
        },
        Row {
            name: "rule_30_appended_to_an_empty_group_list",
            headers: &[("X-Remote-User", "alice")],
            want_groups: &["system:authenticated"],
        },
        Row {
            name: "rule_30_not_appended_when_system_authenticated_already_present",
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "system:authenticated"),
                ("X-Remote-Group", "a"),
            ],
            want_groups: &["system:authenticated", "a"],
        },
        Row {
            name: "rule_30_not_appended_when_system_unauthenticated_present",
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "system:unauthenticated"),
            ],
            want_groups: &["system:unauthenticated"],
        },
        Row {
            name: "rule_30_not_appended_for_system_anonymous",
            headers: &[
                ("X-Remote-User", "system:anonymous"),
                ("X-Remote-Group", "g"),
            ],
            want_groups: &["g"],
        },
        Row {
            name: "rule_30_group_names_compared_exactly",
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Group", "System:Authenticated"),
            ],
            want_groups: &["System:Authenticated", "system:authenticated"],
        },
    ];
    let config = rh_config(RequestHeaderOptions::default());
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for row in rows {
        let got = authenticate(&config, &chain, row.headers);
        match requestheader_user(&got) {
            Some(u) if u.groups == strings(row.want_groups) => {}
            _ => failures.push(format!("{}: got {:?}", row.name, got.decision)),
        }
    }
    assert_no_failures("§1.9 rule 30", failures);
}

/// §1.9 rule 30: name, UID and extra pass through the adder unchanged.
#[test]
fn rule_30_group_adder_keeps_name_uid_and_extra() {
    let config = rh_config(options_with(uid_configured));
    let got = authenticate(
        &config,
        &presented(&pki().front_proxy),
        &[
            ("X-Remote-User", "alice"),
            ("X-Remote-Uid", "u-1"),
            ("X-Remote-Group", "g"),
            ("X-Remote-Extra-Scopes", "read"),
        ],
    );
    let user = requestheader_user(&got).expect("authenticated");
    let want = UserInfo {
        name: "alice".into(),
        uid: "u-1".into(),
        groups: strings(&["g", "system:authenticated"]),
        extra: extra_map(&[("scopes", &["read"])]),
    };
    assert_eq!(*user, want);
}

/// §1.8 rule 27: anonymous is `system:anonymous` in `[system:unauthenticated]` only.
#[test]
fn rule_27_anonymous_user_shape() {
    let config = rh_config(RequestHeaderOptions::default());
    let got = authenticate(&config, &[], &[]);
    let Decision::Anonymous { user } = &got.decision else {
        panic!("want anonymous, got {:?}", got.decision);
    };
    assert_eq!(user.name, "system:anonymous");
    assert_eq!(user.uid, "");
    assert_eq!(user.groups, strings(&["system:unauthenticated"]));
    assert!(user.extra.is_empty());
    assert!(got.clear_headers.is_empty());
}

// ---------------------------------------------------------------------------------------------
// §1.6 rules 15–16, §1.9 rule 32: header clearing
// ---------------------------------------------------------------------------------------------

#[test]
fn clearing_table() {
    struct Row {
        name: &'static str,
        options: fn(&mut RequestHeaderOptions),
        headers: Headers,
        want_cleared: &'static [&'static str],
    }
    fn custom(o: &mut RequestHeaderOptions) {
        o.username_headers = strings(&["X-Proxy-User"]);
        o.uid_headers = strings(&["X-Remote-Uid", "X-Proxy-Uid"]);
        o.group_headers = strings(&["X-Proxy-Group"]);
        o.extra_headers_prefix = strings(&["X-Proxy-Extra-"]);
    }
    let rows = [
        Row {
            name: "rule_32_authorization_and_standard_set_cleared_with_default_config",
            options: defaults,
            headers: &[
                ("Authorization", "Bearer t"),
                ("X-Remote-User", "alice"),
                ("X-Remote-Uid", "1"),
                ("X-Remote-Group", "g"),
                ("X-Remote-Extra-A", "1"),
                ("x-remote-extra-b", "2"),
                ("X-Remote-Uid-1", "kept"),
                ("X-Forwarded-For", "10.0.0.1"),
                ("Content-Type", "text/plain"),
            ],
            want_cleared: &[
                "Authorization",
                "X-Remote-User",
                "X-Remote-Uid",
                "X-Remote-Group",
                "X-Remote-Extra-A",
                "x-remote-extra-b",
            ],
        },
        Row {
            name: "rule_15_configured_custom_names_and_prefixes_cleared_rule_32_standard_too",
            options: custom,
            headers: &[
                ("X-Proxy-User", "alice"),
                ("X-Proxy-Uid", "1"),
                ("X-Proxy-Group", "g"),
                ("X-Proxy-Extra-Scopes", "s"),
                ("X-Remote-User", "spoof"),
                ("X-Remote-Group", "spoof"),
                ("X-Remote-Extra-Scopes", "spoof"),
                ("X-Proxy-Uid-1", "kept"),
                ("X-Proxy-Users", "kept"),
                ("X-Proxy-Extra", "kept"),
            ],
            want_cleared: &[
                "X-Proxy-User",
                "X-Proxy-Uid",
                "X-Proxy-Group",
                "X-Proxy-Extra-Scopes",
                "X-Remote-User",
                "X-Remote-Group",
                "X-Remote-Extra-Scopes",
            ],
        },
        Row {
            name: "rule_16_x_remote_uid_1_not_cleared_when_only_x_remote_uid_configured",
            options: uid_configured,
            headers: &[
                ("X-Remote-User", "alice"),
                ("X-Remote-Uid-1", "kept"),
                ("X-Remote-Uid", "1"),
            ],
            want_cleared: &["X-Remote-User", "X-Remote-Uid"],
        },
        Row {
            name: "rule_32_each_name_listed_once_spelled_as_its_first_line",
            options: defaults,
            headers: &[
                ("x-remote-group", "a"),
                ("X-Remote-User", "alice"),
                ("X-REMOTE-GROUP", "b"),
                ("X-Remote-User", "again"),
            ],
            want_cleared: &["x-remote-group", "X-Remote-User"],
        },
    ];
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for row in rows {
        let config = rh_config(options_with(row.options));
        let got = authenticate(&config, &chain, row.headers);
        if requestheader_user(&got).is_none() || got.clear_headers != strings(row.want_cleared) {
            failures.push(format!(
                "{}: want {:?} cleared, got {:?} / {:?}",
                row.name, row.want_cleared, got.clear_headers, got.decision
            ));
        }
    }
    assert_no_failures("§1.6/§1.9 clearing", failures);
}

/// §1.9 rule 32: the clear spec always holds Authorization and the standard set, plus the
/// configured names and prefixes (lowercase).
#[test]
fn rule_32_clear_spec_lists_standard_and_configured_names() {
    let config = rh_config(options_with(|o| {
        o.username_headers = strings(&["X-Proxy-User"]);
        o.group_headers = strings(&["X-Proxy-Group"]);
        o.extra_headers_prefix = strings(&["X-Proxy-Extra-"]);
    }));
    let spec = config.clear_spec();
    let names: Vec<&str> = spec.names().collect();
    let prefixes: Vec<&str> = spec.prefixes().collect();
    for n in [
        "authorization",
        "x-remote-user",
        "x-remote-uid",
        "x-remote-group",
        "x-proxy-user",
        "x-proxy-group",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    for p in ["x-remote-extra-", "x-proxy-extra-"] {
        assert!(prefixes.contains(&p), "{p} missing from {prefixes:?}");
    }
    assert!(spec.matches(b"X-PROXY-EXTRA-anything"));
    assert!(spec.matches(b"x-remote-extra-"));
    assert!(!spec.matches(b"X-Remote-Uid-1"));
    assert!(!spec.matches(b"X-Remote-Extra"));
    assert!(!spec.matches(b"X-Proxy-Users"));
}

/// §1.6 rule 15, §1.9 rule 32: `ClearSpec::remove_from` removes every value of every matching
/// header from an `http::HeaderMap` and nothing else.
#[test]
fn rule_32_clear_spec_remove_from_header_map() {
    let config = rh_config(options_with(|o| {
        o.username_headers = strings(&["X-Proxy-User"]);
        o.extra_headers_prefix = strings(&["X-Proxy-Extra-"]);
    }));
    let mut map = header_map(
        [
            ("Authorization", "Bearer t"),
            ("X-Remote-User", "a"),
            ("X-Remote-User", "b"),
            ("X-Remote-Uid", "1"),
            ("X-Remote-Group", "g1"),
            ("X-Remote-Group", "g2"),
            ("X-Remote-Extra-Scopes", "s"),
            ("X-Proxy-User", "p"),
            ("X-Proxy-Extra-K", "v"),
            ("X-Remote-Uid-1", "kept"),
            ("X-Proxy-Users", "kept"),
            ("Accept", "kept"),
            ("Accept", "kept-too"),
        ]
        .iter()
        .map(|(n, v)| (n.as_bytes(), v.as_bytes())),
    );
    config.clear_spec().remove_from(&mut map);
    let mut left: Vec<(String, String)> = map
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap().to_string()))
        .collect();
    left.sort();
    assert_eq!(
        left,
        vec![
            ("accept".to_string(), "kept".to_string()),
            ("accept".to_string(), "kept-too".to_string()),
            ("x-proxy-users".to_string(), "kept".to_string()),
            ("x-remote-uid-1".to_string(), "kept".to_string()),
        ]
    );
}

/// A rejected request goes no further, so there is nothing to clear.
#[test]
fn rule_31_rejected_request_lists_no_headers_to_clear() {
    let config = rh_config(RequestHeaderOptions::default());
    let got = authenticate(
        &config,
        &presented(&pki().other),
        &[("X-Remote-User", "alice"), ("Authorization", "Bearer t")],
    );
    assert!(matches!(got.decision, Decision::Rejected(_)), "{got:?}");
    assert!(got.clear_headers.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Stricter rules: hostile header bytes and bounds
// ---------------------------------------------------------------------------------------------

fn b(s: &[u8]) -> Vec<u8> {
    s.to_vec()
}

/// frontproxy's documented stricter rules (src/headers.rs, src/identity.rs): Go's HTTP server
/// refuses invalid names and control characters before any authenticator runs, and a value used
/// for the identity must be UTF-8. `want`: `Ok(name)` = authenticated as `name`, `Err(code)`.
#[test]
fn stricter_header_rules_table() {
    struct Row {
        name: &'static str,
        with_certificate: bool,
        headers: Vec<(Vec<u8>, Vec<u8>)>,
        want: Result<&'static str, &'static str>,
    }
    let user = || (b(b"X-Remote-User"), b(b"alice"));
    let rows = vec![
        Row {
            name: "non_utf8_username_value_rejected_invalid_header",
            with_certificate: true,
            headers: vec![(b(b"X-Remote-User"), b(b"al\xffice"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "non_utf8_uid_value_rejected_invalid_header",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-Uid"), b(b"\xc3\x28"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "non_utf8_group_value_rejected_invalid_header",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-Group"), b(b"g\x80"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "non_utf8_extra_value_rejected_invalid_header",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-Extra-Scopes"), b(b"\xfe"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "extra_key_decoding_to_non_utf8_rejected_invalid_header",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-Extra-%FF"), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "non_utf8_value_in_an_unused_header_is_fine",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Other"), b(b"\xff\xfe"))],
            want: Ok("alice"),
        },
        Row {
            name: "non_utf8_second_username_value_is_unused_and_fine",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-User"), b(b"\xff"))],
            want: Ok("alice"),
        },
        Row {
            name: "tab_inside_a_value_is_fine",
            with_certificate: true,
            headers: vec![(b(b"X-Remote-User"), b(b"al\tice"))],
            want: Ok("al\tice"),
        },
        Row {
            name: "header_name_with_space_rejected",
            with_certificate: true,
            headers: vec![user(), (b(b"X Remote"), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "header_name_with_colon_rejected",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote-User:"), b(b"bob"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "empty_header_name_rejected",
            with_certificate: true,
            headers: vec![user(), (b(b""), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "non_ascii_header_name_rejected",
            with_certificate: true,
            headers: vec![user(), (b("X-Rémote".as_bytes()), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "nul_in_header_name_rejected",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Remote\0"), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "invalid_header_name_rejected_even_without_certificate",
            with_certificate: false,
            headers: vec![(b(b"Bad Name"), b(b"v"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "nul_in_value_rejected",
            with_certificate: true,
            headers: vec![(b(b"X-Remote-User"), b(b"alice\0"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "cr_in_value_rejected",
            with_certificate: true,
            headers: vec![(
                b(b"X-Remote-User"),
                b(b"alice\rX-Remote-Group: system:masters"),
            )],
            want: Err("invalid_header"),
        },
        Row {
            name: "lf_in_value_rejected",
            with_certificate: true,
            headers: vec![(
                b(b"X-Remote-User"),
                b(b"alice\nX-Remote-Group: system:masters"),
            )],
            want: Err("invalid_header"),
        },
        Row {
            name: "del_in_value_rejected",
            with_certificate: true,
            headers: vec![(b(b"X-Remote-User"), b(b"ali\x7fce"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "control_character_in_an_unrelated_header_value_rejected",
            with_certificate: true,
            headers: vec![user(), (b(b"X-Other"), b(b"\x01"))],
            want: Err("invalid_header"),
        },
        Row {
            name: "control_character_rejected_even_without_certificate",
            with_certificate: false,
            headers: vec![(b(b"X-Other"), b(b"\x1b[31m"))],
            want: Err("invalid_header"),
        },
    ];
    let config = rh_config(options_with(uid_configured));
    let chain = presented(&pki().front_proxy);
    let mut failures = Vec::new();
    for row in rows {
        let presented: &[CertificateDer<'_>] = if row.with_certificate { &chain } else { &[] };
        let got = authenticate_bytes(&config, presented, &row.headers);
        let ok = match row.want {
            Ok(name) => requestheader_user(&got).is_some_and(|u| u.name == name),
            Err(code) => rejected_reason(&got) == Some(code) && got.clear_headers.is_empty(),
        };
        if !ok {
            failures.push(format!(
                "{}: want {:?}, got {:?}",
                row.name, row.want, got.decision
            ));
        }
    }
    assert_no_failures("stricter header rules", failures);
}

/// A UID header that is not configured is not used, so its bytes do not matter (§1.3 rule 8).
#[test]
fn stricter_non_utf8_uid_value_unused_when_no_uid_header_configured() {
    let config = rh_config(RequestHeaderOptions::default());
    let got = authenticate_bytes(
        &config,
        &presented(&pki().front_proxy),
        &[
            (b(b"X-Remote-User"), b(b"alice")),
            (b(b"X-Remote-Uid"), b(b"\xff")),
        ],
    );
    assert_eq!(
        requestheader_user(&got).map(|u| u.uid.as_str()),
        Some(""),
        "{got:?}"
    );
}

/// A `HeaderMap` may carry obs-text bytes; a used value that is not UTF-8 is still rejected.
#[test]
fn stricter_non_utf8_value_from_header_map_rejected() {
    let config = rh_config(RequestHeaderOptions::default());
    let map = header_map([(&b"X-Remote-User"[..], &b"al\xffice"[..])]);
    let got = config.authenticate_request(
        &presented(&pki().front_proxy),
        &RequestHeaders::from_header_map(&map),
        UnixTime::now(),
    );
    assert_eq!(rejected_reason(&got), Some("invalid_header"), "{got:?}");
}

/// Bounds from `Limits`: more header lines or more bytes than configured → `headers_too_large`,
/// for pairs and for a `HeaderMap`; exactly at the bound is accepted.
#[test]
fn stricter_header_bounds() {
    let limited = |limits: Limits| {
        AuthConfig::builder()
            .request_header(front_proxy_ca(), RequestHeaderOptions::default())
            .limits(limits)
            .build()
            .unwrap()
    };
    let chain = presented(&pki().front_proxy);
    // 13 + 5 + 14 + 8 = 40 bytes in 2 lines.
    let at_bound: Headers = &[("X-Remote-User", "alice"), ("X-Remote-Group", "group-ab")];
    let over_bound: Headers = &[("X-Remote-User", "alice"), ("X-Remote-Group", "group-abc")];
    let three_lines: Headers = &[
        ("X-Remote-User", "alice"),
        ("X-Remote-Group", "a"),
        ("X-Remote-Group", "b"),
    ];

    let count = limited(Limits {
        max_header_count: 2,
        ..Limits::default()
    });
    assert!(requestheader_user(&authenticate(&count, &chain, at_bound)).is_some());
    assert_eq!(
        rejected_reason(&authenticate(&count, &chain, three_lines)),
        Some("headers_too_large")
    );
    assert_eq!(
        rejected_reason(&authenticate_header_map(&count, &chain, three_lines)),
        Some("headers_too_large")
    );
    assert_eq!(
        rejected_reason(&authenticate(&count, &[], three_lines)),
        Some("headers_too_large")
    );

    let bytes = limited(Limits {
        max_header_bytes: 40,
        ..Limits::default()
    });
    assert!(requestheader_user(&authenticate(&bytes, &chain, at_bound)).is_some());
    assert_eq!(
        rejected_reason(&authenticate(&bytes, &chain, over_bound)),
        Some("headers_too_large")
    );
    assert_eq!(
        rejected_reason(&authenticate_header_map(&bytes, &chain, over_bound)),
        Some("headers_too_large")
    );
}

// ---------------------------------------------------------------------------------------------
// decode_extra_key (§1.5 rule 12) directly
// ---------------------------------------------------------------------------------------------

#[test]
fn rule_12_decode_extra_key_table() {
    let rows: &[(&str, &[u8], &[u8])] = &[
        ("rule_12_lowercases_ascii", b"Foo-BAR", b"foo-bar"),
        ("rule_12_percent_2F_upper_hex", b"a%2Fb", b"a/b"),
        ("rule_12_percent_2f_lower_hex", b"a%2fb", b"a/b"),
        ("rule_12_decoded_once", b"%2520", b"%20"),
        ("rule_12_plus_stays", b"a+b", b"a+b"),
        ("rule_12_malformed_zz_keeps_key", b"A%2F%zz", b"a%2f%zz"),
        ("rule_12_trailing_percent_keeps_key", b"A%2F%", b"a%2f%"),
        (
            "rule_12_trailing_percent_one_hex_keeps_key",
            b"A%2F%a",
            b"a%2f%a",
        ),
        ("rule_12_lone_percent_keeps_key", b"%", b"%"),
        ("rule_12_decoded_bytes_keep_case", b"%41%4a", b"AJ"),
        ("rule_12_non_ascii_utf8", b"%E4%BB%8A", "今".as_bytes()),
        (
            "rule_12_invalid_utf8_bytes_are_decoded_bytes",
            b"%ff",
            b"\xff",
        ),
        ("rule_13_empty_key", b"", b""),
        (
            "rule_12_non_ascii_bytes_not_lowercased_further",
            "Ä".as_bytes(),
            "Ä".as_bytes(),
        ),
    ];
    let mut failures = Vec::new();
    for (name, input, want) in rows {
        let got = decode_extra_key(input);
        if got != *want {
            failures.push(format!("{name}: {input:?} -> {got:?}, want {want:?}"));
        }
    }
    assert_no_failures("decode_extra_key", failures);
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// Configurations and pre-verified peers shared by the property tests.
struct PropFixture {
    rh_only: AuthConfig,
    rh_and_client: AuthConfig,
    trusted: Peer,
    untrusted: Vec<(&'static str, Peer, Peer)>,
}

fn prop_fixture() -> &'static PropFixture {
    static F: OnceLock<PropFixture> = OnceLock::new();
    F.get_or_init(|| {
        let p = pki();
        let options = options_with(|o| {
            o.uid_headers = strings(&["X-Remote-Uid"]);
            o.extra_headers_prefix = strings(&["X-Remote-Extra-", "X-Remote-"]);
        });
        let rh_only = rh_config(options.clone());
        let rh_and_client = AuthConfig::builder()
            .request_header(front_proxy_ca(), options)
            .client_ca(client_ca(&p.client.root))
            .build()
            .unwrap();
        let now = UnixTime::now();
        let trusted = rh_only.verify_peer(&presented(&p.front_proxy), now);
        let untrusted = [
            ("other", &p.other),
            ("rogue", &p.rogue),
            ("client", &p.client),
        ]
        .into_iter()
        .map(|(name, chain)| {
            let chain = presented(chain);
            (
                name,
                rh_only.verify_peer(&chain, now),
                rh_and_client.verify_peer(&chain, now),
            )
        })
        .collect();
        PropFixture {
            rh_only,
            rh_and_client,
            trusted,
            untrusted,
        }
    })
}

fn header_name_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "X-Remote-User",
            "x-remote-user",
            "X-REMOTE-USER",
            "X-Remote-Uid",
            "X-Remote-Group",
            "x-remote-group",
            "X-Remote-Extra-",
            "Authorization",
            "Content-Type",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "[A-Za-z0-9%!#$&'*+.^_`|~-]{0,16}".prop_map(|s| format!("X-Remote-Extra-{s}").into_bytes()),
        prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(|tail| [&b"X-Remote-Extra-"[..], &tail].concat()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn header_value_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~\t]{0,16}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn headers_strategy() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    prop::collection::vec((header_name_strategy(), header_value_strategy()), 0..12)
}

/// Valid HTTP headers only (token names, values without controls), for the HeaderMap property.
fn valid_headers_strategy() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let name = prop_oneof![
        prop::sample::select(vec![
            "X-Remote-User",
            "X-Remote-Uid",
            "X-Remote-Group",
            "X-Remote-Extra-",
            "Accept"
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "[A-Za-z0-9%!#$&'*+.^_`|~-]{1,12}".prop_map(|s| format!("X-Remote-Extra-{s}").into_bytes()),
        "X-Remote-[A-Za-z%-]{0,6}".prop_map(String::into_bytes),
    ];
    let value = prop_oneof![
        "[ -~]{0,12}".prop_map(String::into_bytes),
        prop::collection::vec(prop_oneof![0x20u8..0x7f, 0x80u8..=0xff, Just(b'\t')], 0..12),
    ];
    prop::collection::vec((name, value), 0..10)
}

/// A decision in comparable form: rejections by reason only (messages quote header names as
/// spelled, and a `HeaderMap` lowercases them), extra values sorted.
fn comparable(d: &Decision) -> String {
    let mut d = d.clone();
    match &mut d {
        Decision::Authenticated { user, .. } => {
            for v in user.extra.values_mut() {
                v.sort();
            }
        }
        Decision::Rejected(e) => return format!("rejected: {}", e.reason.code()),
        _ => {}
    }
    format!("{d:?}")
}

/// The aggregator's key escaping (§4.2 rule 8): every byte that is not an RFC 7230 token byte,
/// and `%` itself, becomes `%XX` with uppercase hex.
fn aggregator_escape(key: &[u8]) -> Vec<u8> {
    let tchar = |c: u8| c.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&c);
    let mut out = Vec::new();
    for &c in key {
        if tchar(c) {
            out.push(c);
        } else {
            out.extend_from_slice(format!("%{c:02X}").as_bytes());
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// §1.7 rule 18: without a client certificate nothing is ever authenticated, whatever the
    /// headers say, and nothing panics.
    #[test]
    fn prop_no_certificate_never_authenticated(headers in headers_strategy()) {
        let f = prop_fixture();
        for config in [&f.rh_only, &f.rh_and_client] {
            let got = authenticate_bytes(config, &[], &headers);
            match &got.decision {
                Decision::Authenticated { .. } => prop_assert!(false, "authenticated without a certificate: {:?}", got),
                Decision::Anonymous { user } => {
                    prop_assert_eq!(user, &UserInfo::anonymous());
                    for name in &got.clear_headers {
                        prop_assert!(config.clear_spec().matches(name.as_bytes()));
                    }
                }
                Decision::Rejected(e) => prop_assert!(
                    matches!(e.reason.code(), "invalid_header" | "headers_too_large"),
                    "unexpected rejection {:?}", e
                ),
                other => prop_assert!(false, "unknown decision {:?}", other),
            }
        }
    }

    /// §1.7 rule 21: a chain that does not verify against the request-header CA never lets the
    /// header authenticator vouch for anyone (with or without a client CA).
    #[test]
    fn prop_untrusted_chain_never_authenticated_by_requestheader(headers in headers_strategy()) {
        let f = prop_fixture();
        let pairs: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
        let request = RequestHeaders::from_pairs(&pairs);
        for (name, peer_rh_only, peer_both) in &f.untrusted {
            let got = f.rh_only.authenticate(peer_rh_only, &request, UnixTime::now());
            prop_assert!(matches!(got.decision, Decision::Rejected(_)), "{}: {:?}", name, got);
            let got = f.rh_and_client.authenticate(peer_both, &request, UnixTime::now());
            prop_assert!(requestheader_user(&got).is_none(), "{}: {:?}", name, got);
            if let Decision::Authenticated { user, .. } = &got.decision {
                // Only the client CA's own certificate may authenticate, as itself.
                prop_assert_eq!(*name, "client");
                prop_assert_eq!(user.name.as_str(), "alice-cert");
            }
        }
    }

    /// With a trusted chain nothing panics, and an authenticated name is the trimmed first
    /// value of some username header line (§1.2 rule 4).
    #[test]
    fn prop_trusted_chain_user_comes_from_a_username_header(headers in headers_strategy()) {
        let f = prop_fixture();
        let pairs: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
        let got = f.rh_only.authenticate(&f.trusted, &RequestHeaders::from_pairs(&pairs), UnixTime::now());
        if let Some(user) = requestheader_user(&got) {
            let trim = |v: &[u8]| String::from_utf8_lossy(v).trim_matches([' ', '\t']).to_string();
            let first = headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(b"X-Remote-User"))
                .map(|(_, v)| trim(v));
            prop_assert_eq!(first.as_deref(), Some(user.name.as_str()));
        }
    }

    /// `from_header_map` and `from_pairs` agree on valid HTTP (extra values of distinct names
    /// that collapse to one key have an unspecified order upstream, §1.5 rule 13, so they are
    /// compared sorted).
    #[test]
    fn prop_header_map_agrees_with_pairs(headers in valid_headers_strategy()) {
        let f = prop_fixture();
        let pairs: Vec<(&[u8], &[u8])> = headers.iter().map(|(n, v)| (n.as_slice(), v.as_slice())).collect();
        let map = header_map(pairs.iter().copied());
        let from_pairs = f.rh_only.authenticate(&f.trusted, &RequestHeaders::from_pairs(&pairs), UnixTime::now());
        let from_map = f.rh_only.authenticate(&f.trusted, &RequestHeaders::from_header_map(&map), UnixTime::now());
        prop_assert_eq!(comparable(&from_pairs.decision), comparable(&from_map.decision));
    }

    /// decode_extra_key never panics, on any bytes.
    #[test]
    fn prop_decode_extra_key_never_panics(raw in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_extra_key(&raw);
    }

    /// §1.5 rule 12: without '%' the key is only ASCII-lowercased.
    #[test]
    fn prop_decode_extra_key_without_percent_is_ascii_lowercase(
        raw in prop::collection::vec(any::<u8>().prop_filter("no %", |b| *b != b'%'), 0..64)
    ) {
        prop_assert_eq!(decode_extra_key(&raw), raw.to_ascii_lowercase());
    }

    /// §1.5 rule 12 with a malformed escape: the whole key stays lowercased and undecoded.
    #[test]
    fn prop_decode_extra_key_malformed_escape_keeps_key(
        head in "[A-Za-z0-9%-]{0,8}",
        bad in prop_oneof![Just(String::from("%")), "%[0-9a-fA-F]", "%[g-zG-Z][0-9a-fA-F]", "%[0-9a-fA-F][g-zG-Z]"],
        tail in "[A-Za-z0-9-]{0,8}",
    ) {
        // `bad` at the end, or followed by a tail that cannot complete it into a valid escape.
        let key = if bad.len() == 3 { format!("{head}{bad}{tail}") } else { format!("{head}{bad}") };
        prop_assert_eq!(decode_extra_key(key.as_bytes()), key.to_ascii_lowercase().into_bytes());
    }

    /// §1.5 rule 12 against §4.2 rule 8: whatever key the aggregator escapes, the receiving side
    /// gets it back, ASCII-lowercased.
    #[test]
    fn prop_decode_extra_key_inverts_aggregator_escaping(key in prop::collection::vec(any::<u8>(), 0..32)) {
        prop_assert_eq!(decode_extra_key(&aggregator_escape(&key)), key.to_ascii_lowercase());
    }
}

/// §1.8 rules 24–28: each result says what each authenticator of the union said — the first
/// thing an operator needs when a request gets 401 (issue 8: a trusted proxy without a
/// username header is the request-header authenticator's NO OPINION, and the 401 is the x509
/// authenticator's).
#[test]
fn rule_24_each_result_names_each_authenticators_opinion() {
    use frontproxy::{Opinion, Opinions, Reason};
    let f = prop_fixture();
    let p = pki();
    let fp = presented(&p.front_proxy);
    let client = presented(&p.client);
    let h = |pairs: &[(&str, &str)]| -> Vec<(Vec<u8>, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, v)| (n.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect()
    };
    let alice = h(&[("X-Remote-User", "alice")]);
    let rows: Vec<(
        &str,
        &AuthConfig,
        &[CertificateDer<'static>],
        Vec<(Vec<u8>, Vec<u8>)>,
        Opinions,
    )> = vec![
        (
            "front proxy with a username: request-header decides, x509 not asked",
            &f.rh_and_client,
            &fp,
            alice.clone(),
            Opinions {
                request_header: Opinion::Authenticated,
                x509: Opinion::NotConsulted,
            },
        ),
        (
            "front proxy without a username: request-header NO OPINION, the 401 is x509's",
            &f.rh_and_client,
            &fp,
            h(&[("X-Remote-Group", "dev")]),
            Opinions {
                request_header: Opinion::NoOpinion,
                x509: Opinion::Rejected(Reason::UnknownAuthority),
            },
        ),
        (
            "no certificate: neither has an opinion (anonymous)",
            &f.rh_and_client,
            &[],
            alice.clone(),
            Opinions {
                request_header: Opinion::NoOpinion,
                x509: Opinion::NoOpinion,
            },
        ),
        (
            "a user certificate: request-header refuses it, x509 authenticates",
            &f.rh_and_client,
            &client,
            alice.clone(),
            Opinions {
                request_header: Opinion::Rejected(Reason::UnknownAuthority),
                x509: Opinion::Authenticated,
            },
        ),
        (
            "an invalid header line: refused before any authenticator ran",
            &f.rh_and_client,
            &fp,
            h(&[("X Remote User", "alice")]),
            Opinions {
                request_header: Opinion::NotConsulted,
                x509: Opinion::NotConsulted,
            },
        ),
        (
            "an undecodable identity value ends the request: x509 not asked",
            &f.rh_and_client,
            &fp,
            vec![(b"X-Remote-User".to_vec(), b"\xff".to_vec())],
            Opinions {
                request_header: Opinion::Rejected(Reason::InvalidHeader),
                x509: Opinion::NotConsulted,
            },
        ),
        (
            "no client CA configured",
            &f.rh_only,
            &fp,
            alice.clone(),
            Opinions {
                request_header: Opinion::Authenticated,
                x509: Opinion::NotConfigured,
            },
        ),
    ];
    let mut failures = Vec::new();
    for (rule, config, chain, headers, want) in rows {
        let got = authenticate_bytes(config, chain, &headers);
        if got.opinions != want {
            failures.push(format!(
                "[{rule}] {:?} != {want:?} ({:?})",
                got.opinions, got.decision
            ));
        }
    }
    assert_no_failures("opinions", failures);
}
