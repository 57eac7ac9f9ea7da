//! The `--client-ca-file` authenticator (spec §3.1–§3.2, `CommonNameUserConversion`) through
//! a configuration built with `.client_ca(ca)`: CN → name, O → groups, the credential-id extra,
//! the UID attribute 1.3.6.1.4.1.57683.2, Go's error prefix for failed verifications, and the
//! interplay with the request-header authenticator (§1.8).

mod common;

use std::collections::BTreeMap;

use common::pki::*;
use frontproxy::{
    AuthConfig, AuthenticatorKind, CaBundle, CertificateDer, Decision, RequestHeaderOptions,
    RequestHeaders, UnixTime, UserInfo,
};
use sha2::{Digest, Sha256};

const CREDENTIAL_ID: &str = "authentication.kubernetes.io/credential-id";

fn bundle(cert: &Issued, source: &str) -> CaBundle {
    CaBundle::from_pem(cert.pem.as_bytes(), source).expect("bundle loads")
}

fn client_ca_config(ca: &Issued) -> AuthConfig {
    AuthConfig::builder()
        .client_ca(bundle(ca, "--client-ca-file"))
        .build()
        .expect("client-CA config builds")
}

fn chain(certs: &[&Issued]) -> Vec<CertificateDer<'static>> {
    certs.iter().map(|c| c.der()).collect()
}

/// "X509SHA256=" + lowercase hex SHA-256 of the leaf DER, computed here independently.
fn credential_id(der: &[u8]) -> String {
    let digest = Sha256::digest(der);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("X509SHA256={hex}")
}

fn no_headers() -> RequestHeaders<'static> {
    RequestHeaders::from_pairs(&[])
}

/// What a case expects from the x509 authenticator.
#[derive(Debug)]
enum Expect {
    /// Authenticated by x509 with this name, UID and groups (after the group adder); extra is
    /// always exactly the credential id of the leaf.
    User {
        name: &'static str,
        uid: &'static str,
        groups: &'static [&'static str],
    },
    /// Rejected with this reason code and a message that equals `message`.
    Reject {
        code: &'static str,
        message: &'static str,
    },
    /// Rejected with this reason code (message not pinned; see the case comment).
    RejectCode(&'static str),
    /// No opinion → `system:anonymous`.
    Anonymous,
}

/// §3.1–§3.2 conversion cases: a leaf spec issued by the client CA, presented alone.
#[test]
fn spec_3_2_common_name_user_conversion() {
    let ca = self_signed(ca_spec("client-ca"), KeyKind::EcdsaP256.pooled(0));
    let config = client_ca_config(&ca);
    let now = UnixTime::now();
    let base = || client_leaf_spec("alice");
    let bare = || {
        CertSpec::default()
            .key_usages(&[KeyUsagePurpose::DigitalSignature])
            .ekus(&[ExtendedKeyUsagePurpose::ClientAuth])
    };
    use Expect::*;
    let cases: Vec<(&str, CertSpec, Expect)> = vec![
        (
            "§3.2 r7: CN → name, no O → groups [] then the adder appends system:authenticated",
            base(),
            User { name: "alice", uid: "", groups: &["system:authenticated"] },
        ),
        (
            "§3.2 r7 / §1.7 r22: several CN attributes → the LAST one is the name",
            CertSpec::default().cns(&["client_cn2", "client_cn"]).ekus(&[ExtendedKeyUsagePurpose::ClientAuth]),
            User { name: "client_cn", uid: "", groups: &["system:authenticated"] },
        ),
        (
            "§3.2 r7: CN as PrintableString → name",
            bare().subject_attr(OID_CN, AttrValue::Printable("printable-user".into())),
            User { name: "printable-user", uid: "", groups: &["system:authenticated"] },
        ),
        (
            "§3.2 r7: O values → groups in RDN order, then system:authenticated",
            base().orgs(&["zeta", "alpha", "mid"]),
            User { name: "alice", uid: "", groups: &["zeta", "alpha", "mid", "system:authenticated"] },
        ),
        (
            "§3.2 r7: a repeated O value is kept twice (no de-duplication)",
            base().orgs(&["dup", "dup"]),
            User { name: "alice", uid: "", groups: &["dup", "dup", "system:authenticated"] },
        ),
        (
            "§3.2 r7: OU is not used for groups",
            base().org("team").subject_attr(OID_OU, "unit"),
            User { name: "alice", uid: "", groups: &["team", "system:authenticated"] },
        ),
        (
            "§1.9 r30: O already contains system:authenticated → not appended again",
            base().orgs(&["system:authenticated", "x"]),
            User { name: "alice", uid: "", groups: &["system:authenticated", "x"] },
        ),
        (
            "§1.9 r30: O contains system:unauthenticated → passed through unchanged",
            base().orgs(&["system:unauthenticated"]),
            User { name: "alice", uid: "", groups: &["system:unauthenticated"] },
        ),
        (
            "§1.9 r30: CN system:anonymous → passed through unchanged (no system:authenticated)",
            client_leaf_spec("system:anonymous").orgs(&["g"]),
            User { name: "system:anonymous", uid: "", groups: &["g"] },
        ),
        (
            "§3.2 r6: no CN attribute → NO-OPINION → anonymous",
            bare().org("orphans"),
            Anonymous,
        ),
        (
            "§3.2 r6: empty CN → NO-OPINION → anonymous",
            client_leaf_spec("").org("orphans"),
            Anonymous,
        ),
        (
            "§3.2 r6 / §1.7 r22: last CN empty (first non-empty) → NO-OPINION → anonymous",
            bare().cns(&["first", ""]),
            Anonymous,
        ),
        (
            "§3.2 r7: no UID attribute → UID \"\"",
            base().org("g"),
            User { name: "alice", uid: "", groups: &["g", "system:authenticated"] },
        ),
        (
            "§3.2 r7: one UID (UTF8String) → that UID",
            base().uid("4f2c-uid"),
            User { name: "alice", uid: "4f2c-uid", groups: &["system:authenticated"] },
        ),
        (
            "§3.2 r7: one UID (PrintableString) → that UID",
            base().uid(AttrValue::Printable("printable-uid".into())),
            User { name: "alice", uid: "printable-uid", groups: &["system:authenticated"] },
        ),
        (
            "§3.2 r7: one UID, empty string → ERROR",
            base().uid(""),
            Reject { code: "invalid_certificate_uid", message: "UID cannot be an empty string" },
        ),
        (
            "§3.2 r7: one UID, INTEGER (not a string) → ERROR",
            base().uid(AttrValue::Integer(7)),
            Reject { code: "invalid_certificate_uid", message: "unable to parse UID into a string" },
        ),
        (
            "§3.2 r7: one UID, NULL (not a string) → ERROR",
            base().uid(AttrValue::Raw(der::null())),
            Reject { code: "invalid_certificate_uid", message: "unable to parse UID into a string" },
        ),
        (
            "§3.2 r7: two UIDs → ERROR `expected 1 UID, but found multiple: [a b]` (Go's %v of []string)",
            base().uid("uid-1").uid("uid-2"),
            Reject { code: "invalid_certificate_uid", message: "expected 1 UID, but found multiple: [uid-1 uid-2]" },
        ),
        (
            "§3.2 r7: two UIDs, one of them empty → the multiple error wins (checked before emptiness)",
            base().uid("").uid("uid-2"),
            Reject { code: "invalid_certificate_uid", message: "expected 1 UID, but found multiple: [ uid-2]" },
        ),
        // Go returns "unable to parse UID into a string" as soon as it meets the INTEGER;
        // frontproxy reports the multiple-UID error. Same decision and code; only the
        // message differs, so only the code is pinned.
        (
            "§3.2 r7: a string UID and an INTEGER UID → ERROR invalid_certificate_uid",
            base().uid("uid-1").uid(AttrValue::Integer(7)),
            RejectCode("invalid_certificate_uid"),
        ),
        (
            "§3.3 r10 via §3.1 r4: leaf with EKU serverAuth only → verification ERROR",
            base().ekus(&[ExtendedKeyUsagePurpose::ServerAuth]),
            RejectCode("usage_not_allowed"),
        ),
        (
            "§3.3 r9 via §3.1 r4: expired leaf → verification ERROR",
            base().expired(),
            RejectCode("certificate_expired"),
        ),
    ];

    let mut failures = Vec::new();
    for (rule, spec, expect) in cases {
        let leaf = ca.issue(spec, KeyKind::EcdsaP256.pooled(1));
        let got = config.authenticate_request(&chain(&[&leaf]), &no_headers(), now);
        let ok = match (&expect, &got.decision) {
            (
                User { name, uid, groups },
                Decision::Authenticated {
                    authenticator: AuthenticatorKind::X509,
                    user,
                },
            ) => {
                let mut extra = BTreeMap::new();
                extra.insert(
                    CREDENTIAL_ID.to_string(),
                    vec![credential_id(&leaf.cert_der)],
                );
                user == &UserInfo {
                    name: name.to_string(),
                    uid: uid.to_string(),
                    groups: groups.iter().map(|g| g.to_string()).collect(),
                    extra,
                }
            }
            (Reject { code, message }, Decision::Rejected(e)) => {
                e.reason.code() == *code && e.message == *message
            }
            (RejectCode(code), Decision::Rejected(e)) => {
                e.reason.code() == *code
                    && (*code == "invalid_certificate_uid"
                        || e.message.starts_with("verifying certificate SN="))
            }
            (Anonymous, Decision::Anonymous { user }) => {
                user.name == "system:anonymous"
                    && user.groups == ["system:unauthenticated"]
                    && user.extra.is_empty()
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "[{rule}] expected {expect:?}, got {:?}",
                got.decision
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// §3.2 r7: "Groups = all O values … nil when there are none". The converter's own user (before
/// the group adder) has an empty group list, which serialises as `[]`; the group adder (§1.9
/// r30) then makes it `[system:authenticated]`.
#[test]
fn spec_3_2_r7_no_organization_gives_empty_groups_before_the_adder() {
    let ca = self_signed(ca_spec("client-ca"), KeyKind::EcdsaP256.pooled(0));
    let leaf = ca.issue(client_leaf_spec("carol"), KeyKind::EcdsaP256.pooled(1));
    let peer = client_ca_config(&ca).verify_peer(&chain(&[&leaf]), UnixTime::now());
    let frontproxy::ClientCertVerdict::Verified(_, Some(user)) = peer.verdicts().client_cert()
    else {
        panic!("a CN gives an opinion: {:?}", peer.verdicts().client_cert());
    };
    assert_eq!(user.name, "carol");
    assert!(user.groups.is_empty(), "groups: {:?}", user.groups);
    let json = serde_json::to_value(&user).unwrap();
    assert_eq!(json["groups"], serde_json::json!([]));
    assert_eq!(json["uid"], serde_json::json!(""));
    assert_eq!(
        json["extra"][CREDENTIAL_ID],
        serde_json::json!([credential_id(&leaf.cert_der)])
    );
    let got = client_ca_config(&ca).authenticate_request(
        &chain(&[&leaf]),
        &no_headers(),
        UnixTime::now(),
    );
    match got.decision {
        Decision::Authenticated { user, .. } => assert_eq!(user.groups, ["system:authenticated"]),
        other => panic!("expected x509 user, got {other:?}"),
    }
}

/// §3.2 r7: the credential id is the SHA-256 of the LEAF (not of an intermediate, not of the
/// chain), so it changes with the leaf and not with the rest of the chain.
#[test]
fn spec_3_2_r7_credential_id_is_the_leaf_digest() {
    let root = self_signed(ca_spec("client-ca"), KeyKind::EcdsaP256.pooled(0));
    let int = root.issue(
        intermediate_spec("client-int"),
        KeyKind::EcdsaP256.pooled(1),
    );
    let leaf_a = int.issue(client_leaf_spec("dave"), KeyKind::EcdsaP256.pooled(2));
    let leaf_b = int.issue(client_leaf_spec("dave"), KeyKind::EcdsaP256.pooled(2));
    assert_ne!(
        leaf_a.cert_der, leaf_b.cert_der,
        "distinct serials give distinct DER"
    );
    let config = client_ca_config(&root);
    let mut seen = Vec::new();
    for (presented, leaf) in [
        (vec![&leaf_a, &int], &leaf_a),
        (vec![&leaf_a, &int, &root], &leaf_a),
        (vec![&leaf_b, &int], &leaf_b),
    ] {
        let got = config.authenticate_request(&chain(&presented), &no_headers(), UnixTime::now());
        let Decision::Authenticated { user, .. } = got.decision else {
            panic!("expected x509 user, got {:?}", got.decision);
        };
        let ids = &user.extra[CREDENTIAL_ID];
        assert_eq!(ids, &vec![credential_id(&leaf.cert_der)]);
        assert_eq!(
            user.extra.len(),
            1,
            "only the credential id: {:?}",
            user.extra
        );
        seen.push(ids[0].clone());
    }
    assert_eq!(
        seen[0], seen[1],
        "the intermediates/root do not change the id"
    );
    assert_ne!(seen[0], seen[2], "another leaf has another id");
    assert!(seen[0].len() == "X509SHA256=".len() + 64);
}

/// §3.1 r4: a failed verification is an ERROR whose message starts with
/// `verifying certificate SN=<decimal serial>, SKID=<UPPER:HEX>, AKID=<UPPER:HEX> failed`.
#[test]
fn spec_3_1_r4_verification_error_prefix() {
    let issuer_kid: &[u8] = &[0x01, 0x02, 0xAB];
    let ca = self_signed(
        ca_spec("client-ca").key_identifier(issuer_kid),
        KeyKind::EcdsaP256.pooled(0),
    );
    let other_ca = self_signed(ca_spec("other-ca"), KeyKind::EcdsaP256.pooled(5));
    let serial16: [u8; 16] = [
        0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
        0xff,
    ];
    let serial16_decimal = u128::from_be_bytes(serial16).to_string();

    struct Row {
        rule: &'static str,
        leaf: Issued,
        /// The bundle the leaf is presented to.
        bundle_ca: Issued,
        prefix: String,
        code: &'static str,
    }
    let rows = vec![
        Row {
            rule: "§3.1 r4: small serial, SKID and AKID as upper-case colon hex, leaf presented to another CA",
            leaf: ca.issue(
                client_leaf_spec("erin")
                    .ca(IsCa::ExplicitNoCa) // rcgen writes a SKI only for CA / explicit non-CA
                    .serial(&[0x01, 0x02, 0x03])
                    .key_identifier(&[0xDE, 0xAD, 0xbe, 0xef]),
                KeyKind::EcdsaP256.pooled(1),
            ),
            bundle_ca: other_ca.clone(),
            prefix: "verifying certificate SN=66051, SKID=DE:AD:BE:EF, AKID=01:02:AB failed: ".into(),
            code: "unknown_authority",
        },
        Row {
            rule: "§3.1 r4: 16-byte serial in decimal, expired leaf",
            leaf: ca.issue(
                client_leaf_spec("erin")
                    .ca(IsCa::ExplicitNoCa)
                    .serial(&serial16)
                    .key_identifier(&[0x0A])
                    .expired(),
                KeyKind::EcdsaP256.pooled(1),
            ),
            bundle_ca: ca.clone(),
            prefix: format!("verifying certificate SN={serial16_decimal}, SKID=0A, AKID=01:02:AB failed: "),
            code: "certificate_expired",
        },
        Row {
            rule: "§3.1 r4: no SKID and no AKID → empty strings",
            leaf: ca.issue(
                client_leaf_spec("erin").serial(&[0x2a]).without_aki(),
                KeyKind::EcdsaP256.pooled(1),
            ),
            bundle_ca: other_ca.clone(),
            prefix: "verifying certificate SN=42, SKID=, AKID= failed: ".into(),
            code: "unknown_authority",
        },
    ];
    let mut failures = Vec::new();
    for row in rows {
        let config = client_ca_config(&row.bundle_ca);
        let got = config.authenticate_request(&chain(&[&row.leaf]), &no_headers(), UnixTime::now());
        match &got.decision {
            Decision::Rejected(e)
                if e.reason.code() == row.code && e.message.starts_with(&row.prefix) =>
            {
                // Something must follow the prefix: the verification error itself.
                if e.message.len() <= row.prefix.len() {
                    failures.push(format!(
                        "[{}] no error after the prefix: {:?}",
                        row.rule, e.message
                    ));
                }
            }
            other => failures.push(format!(
                "[{}] expected {} with prefix {:?}, got {other:?}",
                row.rule, row.code, row.prefix
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// §1.8 rules 24–28 with certificates of the request-header CA presented to the x509
/// authenticator.
#[test]
fn spec_1_8_request_header_and_client_ca_together() {
    let proxy_ca = self_signed(ca_spec("front-proxy-ca"), KeyKind::EcdsaP256.pooled(0));
    let client_ca = self_signed(ca_spec("client-ca"), KeyKind::Ed25519.pooled(0));
    let proxy_leaf = proxy_ca.issue(
        client_leaf_spec("front-proxy-client").org("proxies"),
        KeyKind::EcdsaP256.pooled(1),
    );
    let user_of_proxy_ca =
        proxy_ca.issue(client_leaf_spec("mallory"), KeyKind::EcdsaP256.pooled(2));
    let now = UnixTime::now();
    let alice: &[(&[u8], &[u8])] = &[(b"X-Remote-User", b"alice"), (b"X-Remote-Group", b"devs")];

    let client_only = client_ca_config(&client_ca);
    let separate = AuthConfig::builder()
        .request_header(
            bundle(&proxy_ca, "--requestheader-client-ca-file"),
            RequestHeaderOptions::default(),
        )
        .client_ca(bundle(&client_ca, "--client-ca-file"))
        .build()
        .unwrap();
    let same_ca = AuthConfig::builder()
        .request_header(
            bundle(&proxy_ca, "--requestheader-client-ca-file"),
            RequestHeaderOptions::default(),
        )
        .client_ca(bundle(&proxy_ca, "--client-ca-file"))
        .build()
        .unwrap();

    let mut failures = Vec::new();
    let mut expect = |rule: &str, got: Decision, ok: bool| {
        if !ok {
            failures.push(format!("[{rule}] got {got:?}"));
        }
    };

    // A user certificate of the request-header CA presented to a client-CA-only config.
    let got = client_only
        .authenticate_request(&chain(&[&user_of_proxy_ca]), &no_headers(), now)
        .decision;
    let ok = matches!(&got, Decision::Rejected(e) if e.reason.code() == "unknown_authority"
        && e.message.starts_with("verifying certificate SN="));
    expect(
        "§3.1 r4: cert of the request-header CA, client-CA-only config → 401 unknown_authority",
        got,
        ok,
    );

    // The same certificate with both authenticators (different CAs) and no username header:
    // request-header says NO-OPINION, x509 fails → 401 (§1.8 r28).
    let got = separate
        .authenticate_request(&chain(&[&user_of_proxy_ca]), &no_headers(), now)
        .decision;
    let ok = matches!(&got, Decision::Rejected(e) if e.reason.code() == "unknown_authority"
        && e.message.starts_with("verifying certificate SN="));
    expect(
        "§1.8 r28: request-header cert, no username header, different client CA → 401",
        got,
        ok,
    );

    // Same CA for both: the proxy certificate with a username header → request-header user.
    let got = same_ca
        .authenticate_request(
            &chain(&[&proxy_leaf]),
            &RequestHeaders::from_pairs(alice),
            now,
        )
        .decision;
    let ok = matches!(&got, Decision::Authenticated { authenticator: AuthenticatorKind::RequestHeader, user }
        if user.name == "alice" && user.groups == ["devs", "system:authenticated"]);
    expect(
        "§1.8 r24/r25: same CA, proxy cert with username header → request-header user",
        got,
        ok,
    );

    // Same CA, no username header → the x509 authenticator authenticates the proxy itself.
    let auth = same_ca.authenticate_request(&chain(&[&proxy_leaf]), &no_headers(), now);
    let ok = matches!(&auth.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user }
        if user.name == "front-proxy-client"
            && user.groups == ["proxies", "system:authenticated"]
            && user.extra[CREDENTIAL_ID] == [credential_id(&proxy_leaf.cert_der)]);
    expect(
        "§1.8 r28: same CA, proxy cert without username header → x509 user with the proxy's CN",
        auth.decision,
        ok,
    );

    // Same CA, only a group header (no username): still NO-OPINION from request-header; the
    // x509 user wins and the stray X-Remote-Group header is cleared (§1.9 r32).
    let group_only: &[(&[u8], &[u8])] = &[(b"X-Remote-Group", b"system:masters")];
    let auth = same_ca.authenticate_request(
        &chain(&[&proxy_leaf]),
        &RequestHeaders::from_pairs(group_only),
        now,
    );
    let ok = matches!(&auth.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user }
        if user.name == "front-proxy-client" && !user.groups.iter().any(|g| g == "system:masters"))
        && auth.clear_headers == ["X-Remote-Group"];
    expect(
        "§1.9 r32: x509 user, stray X-Remote-Group is not trusted and is cleared",
        auth.decision,
        ok,
    );

    // Separate CAs, a client certificate of the client CA with identity headers: request-header
    // fails (ERROR collected), x509 succeeds → the x509 user, headers cleared (§1.8 r28).
    let bob = client_ca.issue(
        client_leaf_spec("bob").org("team"),
        KeyKind::Ed25519.pooled(1),
    );
    let auth =
        separate.authenticate_request(&chain(&[&bob]), &RequestHeaders::from_pairs(alice), now);
    let ok = matches!(&auth.decision, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user }
        if user.name == "bob" && user.groups == ["team", "system:authenticated"])
        && auth.clear_headers == ["X-Remote-User", "X-Remote-Group"];
    expect(
        "§1.8 r28: client cert fails request-header, passes client CA → x509 user, headers cleared",
        auth.decision,
        ok,
    );

    // §3.1 r1: no certificate → NO-OPINION → anonymous.
    let got = client_only
        .authenticate_request(&[], &no_headers(), now)
        .decision;
    let ok = matches!(&got, Decision::Anonymous { user } if user.name == "system:anonymous");
    expect("§3.1 r1: no client certificate → anonymous", got, ok);

    // §3.2 r6 with request-header: an x509 NO-OPINION (empty CN) next to a request-header
    // ERROR is a 401, not anonymous.
    let no_cn = client_ca.issue(
        CertSpec::default()
            .ekus(&[ExtendedKeyUsagePurpose::ClientAuth])
            .org("x"),
        KeyKind::Ed25519.pooled(2),
    );
    let got = separate
        .authenticate_request(&chain(&[&no_cn]), &no_headers(), now)
        .decision;
    let ok = matches!(&got, Decision::Rejected(e) if e.reason.code() == "unknown_authority");
    expect(
        "§1.8 r25 + §3.2 r6: empty CN (no opinion) + request-header error → 401",
        got,
        ok,
    );

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A CN attribute whose value is not a string type Go can parse (here an INTEGER). Go's
/// certificate parser fails on it (the TLS handshake fails); frontproxy rejects the request.
#[test]
fn spec_3_2_r7_unparsable_common_name_is_rejected() {
    let ca = self_signed(ca_spec("client-ca"), KeyKind::EcdsaP256.pooled(0));
    let leaf = ca.issue(
        CertSpec::default()
            .ekus(&[ExtendedKeyUsagePurpose::ClientAuth])
            .subject_attr(OID_CN, AttrValue::Integer(5)),
        KeyKind::EcdsaP256.pooled(1),
    );
    let got = client_ca_config(&ca).authenticate_request(
        &chain(&[&leaf]),
        &no_headers(),
        UnixTime::now(),
    );
    assert!(
        matches!(&got.decision, Decision::Rejected(e) if e.reason.code() == "common_name_unreadable"),
        "{:?}",
        got.decision
    );
}
