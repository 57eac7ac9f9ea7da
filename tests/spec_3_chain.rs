//! Chain verification (spec §3.3, Go `crypto/x509` Verify semantics) with the intermediates
//! taken from the presented chain (§1.7 rule 20), the union consequences of §1.8 rule 28, the
//! verdict window of `PeerVerification`, and the places where frontproxy is deliberately
//! stricter than Go (§10 rule 1).
//!
//! Every table case runs twice through the public API:
//! - the request-header path: `AuthConfig::authenticate_request` with
//!   `.request_header(bundle, defaults)` and `X-Remote-User: alice`; an accepted chain gives
//!   user `alice` from the request-header authenticator;
//! - the x509 path: the same bundle as `--client-ca-file` (`.client_ca(bundle)`), no headers;
//!   an accepted chain gives the leaf CN from the x509 authenticator, a rejected one a message
//!   with Go's `verifying certificate SN=…` prefix (§3.1 rule 4).
//! Both must give the same decision and the same stable `Reason` code.

mod common;

use std::time::Duration as StdDuration;

use common::pki::*;
use frontproxy::{
    AuthConfig, AuthenticatorKind, CaBundle, CertificateDer, Decision, Limits,
    RequestHeaderOptions, RequestHeaders, UnixTime,
};
use x509_parser::prelude::{FromDer, X509Certificate};

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// What a case expects from both paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Authenticated (request-header: `alice`; x509: the leaf CN).
    Accept,
    /// Rejected (401) with this stable reason code.
    Reject(&'static str),
    /// Rejected (401) with one of these codes: the decision is pinned, the code is pinned
    /// exactly by a separate test.
    RejectAnyOf(&'static [&'static str]),
    /// No opinion from either authenticator: `system:anonymous`.
    Anonymous,
}
use Expect::{Accept, Anonymous, Reject, RejectAnyOf};

/// A CA bundle, a presented chain (leaf first), a verification instant and limits.
#[derive(Clone)]
struct Scenario {
    bundle: Vec<Vec<u8>>,
    presented: Vec<Vec<u8>>,
    at: UnixTime,
    limits: Limits,
}

impl Scenario {
    fn new(bundle: &[&Issued], presented: &[&Issued]) -> Scenario {
        Scenario {
            bundle: bundle.iter().map(|c| c.cert_der.clone()).collect(),
            presented: presented.iter().map(|c| c.cert_der.clone()).collect(),
            at: UnixTime::now(),
            limits: Limits::default(),
        }
    }
    /// The chain's root as the bundle, leaf + intermediates presented.
    fn chain(c: &Chain) -> Scenario {
        Scenario::new(&[&c.root], &c.presented())
    }
    fn raw(bundle: Vec<Vec<u8>>, presented: Vec<Vec<u8>>) -> Scenario {
        Scenario {
            bundle,
            presented,
            at: UnixTime::now(),
            limits: Limits::default(),
        }
    }
    fn at(mut self, at: UnixTime) -> Scenario {
        self.at = at;
        self
    }
    fn limits(mut self, limits: Limits) -> Scenario {
        self.limits = limits;
        self
    }
}

struct Case {
    /// The rule pinned, with its § and number.
    rule: String,
    scenario: Scenario,
    expect: Expect,
}

fn case(rule: impl Into<String>, scenario: Scenario, expect: Expect) -> Case {
    Case {
        rule: rule.into(),
        scenario,
        expect,
    }
}

fn bundle_of(ders: &[Vec<u8>], source: &str) -> CaBundle {
    let pem: String = ders.iter().map(|d| der_to_pem(d)).collect();
    CaBundle::from_pem(pem.as_bytes(), source)
        .unwrap_or_else(|e| panic!("test bundle does not load: {e}"))
}

fn chain_of(presented: &[Vec<u8>]) -> Vec<CertificateDer<'static>> {
    presented
        .iter()
        .map(|d| CertificateDer::from(d.clone()))
        .collect()
}

fn unix(secs: i64) -> UnixTime {
    UnixTime::since_unix_epoch(StdDuration::from_secs(secs as u64))
}

fn at_time(t: OffsetDateTime) -> UnixTime {
    unix(t.unix_timestamp())
}

/// The leaf's last CN, read independently of the library (x509-parser directly).
fn leaf_cn(der: &[u8]) -> Option<String> {
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    let cn = cert
        .subject()
        .iter_common_name()
        .last()
        .and_then(|a| a.as_str().ok().map(str::to_owned));
    cn
}

const ALICE: &[(&[u8], &[u8])] = &[(b"X-Remote-User", b"alice")];

fn request_header_config(s: &Scenario) -> AuthConfig {
    AuthConfig::builder()
        .request_header(
            bundle_of(&s.bundle, "--requestheader-client-ca-file"),
            RequestHeaderOptions::default(),
        )
        .limits(s.limits)
        .build()
        .expect("request-header config builds")
}

fn client_ca_config(s: &Scenario) -> AuthConfig {
    AuthConfig::builder()
        .client_ca(bundle_of(&s.bundle, "--client-ca-file"))
        .limits(s.limits)
        .build()
        .expect("client-CA config builds")
}

/// Runs one case through both paths; returns the mismatches.
fn check(c: &Case) -> Vec<String> {
    let mut failures = Vec::new();
    let chain = chain_of(&c.scenario.presented);

    let rh = request_header_config(&c.scenario);
    let got = rh.authenticate_request(&chain, &RequestHeaders::from_pairs(ALICE), c.scenario.at);
    let ok = match (c.expect, &got.decision) {
        (
            Accept,
            Decision::Authenticated {
                authenticator: AuthenticatorKind::RequestHeader,
                user,
            },
        ) => user.name == "alice",
        (Reject(code), Decision::Rejected(e)) => e.reason.code() == code,
        (RejectAnyOf(codes), Decision::Rejected(e)) => codes.contains(&e.reason.code()),
        (Anonymous, Decision::Anonymous { user }) => {
            user.name == "system:anonymous" && user.groups == ["system:unauthenticated"]
        }
        _ => false,
    };
    if !ok {
        failures.push(format!(
            "[{}] request-header path: expected {:?}, got {:?}",
            c.rule, c.expect, got.decision
        ));
    }

    let x509 = client_ca_config(&c.scenario);
    let got = x509.authenticate_request(&chain, &RequestHeaders::from_pairs(&[]), c.scenario.at);
    let ok = match (c.expect, &got.decision) {
        (
            Accept,
            Decision::Authenticated {
                authenticator: AuthenticatorKind::X509,
                user,
            },
        ) => Some(&user.name) == leaf_cn(&c.scenario.presented[0]).as_ref(),
        (Reject(code), Decision::Rejected(e)) => {
            e.reason.code() == code && e.message.starts_with("verifying certificate SN=")
        }
        (RejectAnyOf(codes), Decision::Rejected(e)) => {
            codes.contains(&e.reason.code()) && e.message.starts_with("verifying certificate SN=")
        }
        (Anonymous, Decision::Anonymous { user }) => {
            user.name == "system:anonymous" && user.groups == ["system:unauthenticated"]
        }
        _ => false,
    };
    if !ok {
        failures.push(format!(
            "[{}] x509 path: expected {:?}, got {:?}",
            c.rule, c.expect, got.decision
        ));
    }
    failures
}

fn run_table(cases: Vec<Case>) {
    assert!(!cases.is_empty(), "empty table");
    let failures: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Certificate construction helpers
// ---------------------------------------------------------------------------------------------

const EC: KeyKind = KeyKind::EcdsaP256;

/// root → one intermediate → leaf with the given specs, pooled P-256 keys (depth = slot).
fn chain3(root: CertSpec, inter: CertSpec, leaf: CertSpec) -> Chain {
    Chain::from_specs(
        (root, EC.pooled(0)),
        vec![(inter, EC.pooled(1))],
        (leaf, EC.pooled(2)),
    )
}

/// root → leaf with the given specs.
fn chain2(root: CertSpec, leaf: CertSpec) -> Chain {
    Chain::from_specs((root, EC.pooled(0)), vec![], (leaf, EC.pooled(1)))
}

fn root() -> CertSpec {
    ca_spec("test-root-ca")
}
fn inter() -> CertSpec {
    intermediate_spec("test-intermediate-ca-1")
}
fn leaf() -> CertSpec {
    client_leaf_spec("front-proxy-client")
}

/// The fields of a TBSCertificate, each a complete TLV.
fn tbs_fields(cert: &[u8]) -> Vec<Vec<u8>> {
    let (_, body, _) = der::parse_tlv(cert);
    let (tbs, _) = der::split_tlv(body);
    let (_, mut cur, _) = der::parse_tlv(tbs);
    let mut fields = Vec::new();
    while !cur.is_empty() {
        let (f, rest) = der::split_tlv(cur);
        fields.push(f.to_vec());
        cur = rest;
    }
    fields
}

/// Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING signature }.
fn assemble(fields: &[Vec<u8>], sig_alg: &[u8], signature: &[u8]) -> Vec<u8> {
    let tbs = der::sequence(fields);
    let mut bits = vec![0u8];
    bits.extend_from_slice(signature);
    der::sequence(&[tbs, sig_alg.to_vec(), der::tlv(der::TAG_BIT_STRING, &bits)])
}

/// Signs with a P-256 key through rustls' ring provider (ecdsa-with-SHA256).
fn sign_p256(key: &KeyPair, msg: &[u8]) -> Vec<u8> {
    use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    let pkcs8 = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&pkcs8).expect("P-256 key");
    let signer = signing
        .choose_scheme(&[rustls::SignatureScheme::ECDSA_NISTP256_SHA256])
        .expect("P-256 signer");
    signer.sign(msg).expect("signature")
}

fn assert_v1(der: &[u8]) {
    let (_, cert) = X509Certificate::from_der(der).expect("v1 certificate parses");
    assert_eq!(cert.version(), x509_parser::x509::X509Version::V1);
    assert!(cert.extensions().is_empty());
}

/// Re-encodes a P-256-signed certificate as X.509 v1 (no version field, no extensions) and
/// signs it again with `signer` (its issuer's key, or its own for a self-signed one).
fn to_v1(cert: &[u8], signer: &KeyPair) -> Vec<u8> {
    let fields: Vec<Vec<u8>> = tbs_fields(cert)
        .into_iter()
        .filter(|f| f[0] != 0xA0 && f[0] != 0xA3)
        .collect();
    let sig_alg = fields[1].clone();
    let tbs = der::sequence(&fields);
    assemble(&fields, &sig_alg, &sign_p256(signer, &tbs))
}

fn rsa_sig_alg(digest: &str) -> Vec<u8> {
    let oid: &[u64] = match digest {
        "sha1" => &[1, 2, 840, 113549, 1, 1, 5],
        "sha256" => &[1, 2, 840, 113549, 1, 1, 11],
        other => panic!("no OID for {other}"),
    };
    der::sequence(&[der::oid(oid), der::null()])
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be on PATH for these tests");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Re-signs `cert` with the RSA key in `key_pem_path` using PKCS#1 v1.5 and `digest` (openssl
/// CLI, because ring cannot sign SHA-1 nor load RSA keys below 2048 bits). `spki`, when given,
/// replaces the certificate's public key.
fn resign_rsa(
    cert: &[u8],
    key_pem: &std::path::Path,
    digest: &str,
    spki: Option<&[u8]>,
) -> Vec<u8> {
    let mut fields = tbs_fields(cert);
    let sig_alg = rsa_sig_alg(digest);
    fields[2] = sig_alg.clone();
    if let Some(spki) = spki {
        fields[6] = spki.to_vec();
    }
    let tbs = der::sequence(&fields);
    let tmp = PkiDir::new();
    let tbs_path = tmp.write("tbs.der", &tbs);
    let sig = openssl(&[
        "dgst",
        &format!("-{digest}"),
        "-sign",
        key_pem.to_str().unwrap(),
        tbs_path.to_str().unwrap(),
    ]);
    assemble(&fields, &sig_alg, &sig)
}

// ---------------------------------------------------------------------------------------------
// §3.3 rules 8 and 14: key types and chain shapes
// ---------------------------------------------------------------------------------------------

/// §3.3 rule 8 (roots = the bundle) and rule 14 (signatures on the path are checked): every
/// supported key type at every position, in 2- and 3-certificate chains, all combinations.
#[test]
fn spec_3_3_r8_r14_key_types_at_every_position() {
    let mut cases = Vec::new();
    for r in KeyKind::ALL {
        for l in KeyKind::ALL {
            let c = Chain::new(r, &[], l);
            cases.push(case(
                format!("§3.3 r8/r14: leaf+root, root {r:?}, leaf {l:?}"),
                Scenario::chain(&c),
                Accept,
            ));
        }
    }
    for r in KeyKind::ALL {
        for i in KeyKind::ALL {
            for l in KeyKind::ALL {
                let c = Chain::new(r, &[i], l);
                cases.push(case(
                    format!("§3.3 r8/r14: leaf+intermediate+root, root {r:?}, intermediate {i:?}, leaf {l:?}"),
                    Scenario::chain(&c),
                    Accept,
                ));
            }
        }
    }
    // The same chains fail against a bundle that holds a different CA (rule 8).
    let other = self_signed(ca_spec("unrelated-root-ca"), KeyKind::Ed25519.pooled(90));
    for k in KeyKind::ALL {
        let c = Chain::new(k, &[k], k);
        cases.push(case(
            format!("§3.3 r8: {k:?} chain against an unrelated bundle → unknown_authority"),
            Scenario::new(&[&other], &c.presented()),
            Reject("unknown_authority"),
        ));
    }
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §1.7 rule 20: intermediates come from the presented chain
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_1_7_r20_intermediates_from_the_presented_chain() {
    let c1 = Chain::uniform(EC, 1);
    let c3 = Chain::uniform(EC, 3);
    let (i1, i2, i3) = (
        &c3.intermediates[0],
        &c3.intermediates[1],
        &c3.intermediates[2],
    );
    let unrelated = Chain::new(KeyKind::Ed25519, &[KeyKind::Ed25519], KeyKind::Ed25519);
    // Same subject as c1's intermediate, different key: a look-alike that must be skipped.
    let lookalike = c1
        .root
        .issue(intermediate_spec("test-intermediate-ca-1"), EC.pooled(70));
    // Same subject and key as c1's intermediate, expired.
    let expired_copy = c1.root.issue(
        intermediate_spec("test-intermediate-ca-1").expired(),
        EC.pooled(1),
    );

    // Cross-signing: intermediate X issued both by an expired root and by a valid root.
    let old_root = self_signed(ca_spec("old-root").expired(), EC.pooled(71));
    let new_root = self_signed(ca_spec("new-root"), EC.pooled(72));
    let x_old = old_root.issue(intermediate_spec("cross-intermediate"), EC.pooled(73));
    let x_new = new_root.issue(intermediate_spec("cross-intermediate"), EC.pooled(73));
    let x_leaf = x_new.issue(leaf(), EC.pooled(74));

    let cases = vec![
        case(
            "§1.7 r20: leaf+intermediate+root, intermediate presented → ok",
            Scenario::chain(&c1),
            Accept,
        ),
        case(
            "§1.7 r20: missing intermediate (leaf only) → unknown_authority",
            Scenario::new(&[&c1.root], &[&c1.leaf]),
            Reject("unknown_authority"),
        ),
        case(
            "§1.7 r20: one of three intermediates missing → unknown_authority",
            Scenario::new(&[&c3.root], &[&c3.leaf, i3, i1]),
            Reject("unknown_authority"),
        ),
        case(
            "§1.7 r20: unrelated certificates after the path are ignored",
            Scenario::new(
                &[&c1.root],
                &[&c1.leaf, &c1.intermediates[0], &unrelated.leaf, &unrelated.root],
            ),
            Accept,
        ),
        case(
            "§1.7 r20: unrelated certificates before the intermediate are ignored",
            Scenario::new(
                &[&c1.root],
                &[&c1.leaf, &unrelated.intermediates[0], &unrelated.root, &c1.intermediates[0]],
            ),
            Accept,
        ),
        case(
            "§1.7 r20: a look-alike intermediate (same name, other key) before the real one",
            Scenario::new(&[&c1.root], &[&c1.leaf, &lookalike, &c1.intermediates[0]]),
            Accept,
        ),
        case(
            "§1.7 r20: the leaf presented again among the intermediates",
            Scenario::new(&[&c1.root], &[&c1.leaf, &c1.leaf, &c1.intermediates[0]]),
            Accept,
        ),
        case(
            "§1.7 r20: three intermediates, leaf-side first (the usual order)",
            Scenario::new(&[&c3.root], &[&c3.leaf, i3, i2, i1]),
            Accept,
        ),
        case(
            "§1.7 r20: three intermediates, root-side first (reverse order)",
            Scenario::new(&[&c3.root], &[&c3.leaf, i1, i2, i3]),
            Accept,
        ),
        case(
            "§1.7 r20: three intermediates, shuffled",
            Scenario::new(&[&c3.root], &[&c3.leaf, i2, i3, i1]),
            Accept,
        ),
        case(
            "§1.7 r20: a presented copy of the root is harmless (3-cert chain)",
            Scenario::new(&[&c1.root], &[&c1.leaf, &c1.intermediates[0], &c1.root]),
            Accept,
        ),
        case(
            "§1.7 r20: a presented copy of the root is harmless (leaf+root)",
            {
                let c = Chain::uniform(EC, 0);
                Scenario::new(&[&c.root], &[&c.leaf, &c.root])
            },
            Accept,
        ),
        case(
            "§3.3 r8: the intermediate in the bundle, leaf alone presented",
            Scenario::new(&[&c1.root, &c1.intermediates[0]], &[&c1.leaf]),
            Accept,
        ),
        case(
            "§3.3 r8: the bundle holds only the intermediate: it is the anchor",
            Scenario::new(&[&c1.intermediates[0]], &[&c1.leaf]),
            Accept,
        ),
        case(
            "§1.7 r20 + §3.3 r9: an expired copy of the intermediate before a valid copy",
            Scenario::new(&[&c1.root], &[&c1.leaf, &expired_copy, &c1.intermediates[0]]),
            Accept,
        ),
        case(
            "§1.7 r20 + §3.3 r9: an expired copy of the intermediate after a valid copy",
            Scenario::new(&[&c1.root], &[&c1.leaf, &c1.intermediates[0], &expired_copy]),
            Accept,
        ),
        case(
            "§1.7 r20 + §3.3 r9: only the expired copy of the intermediate → certificate_expired",
            Scenario::new(&[&c1.root], &[&c1.leaf, &expired_copy]),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r9/r12: cross-signed intermediate, path via the expired root first, valid root second",
            Scenario::new(&[&old_root, &new_root], &[&x_leaf, &x_old, &x_new]),
            Accept,
        ),
        case(
            "§3.3 r9/r12: cross-signed intermediate, valid path first",
            Scenario::new(&[&old_root, &new_root], &[&x_leaf, &x_new, &x_old]),
            Accept,
        ),
        case(
            "§3.3 r9: cross-signed intermediate, only the path via the expired root presented",
            Scenario::new(&[&old_root, &new_root], &[&x_leaf, &x_old]),
            Reject("certificate_expired"),
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 9: validity of every certificate, the root included
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r9_validity_at_every_position() {
    let cases = vec![
        case(
            "§3.3 r9: expired leaf → certificate_expired",
            Scenario::chain(&chain3(root(), inter(), leaf().expired())),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r9: expired intermediate → certificate_expired",
            Scenario::chain(&chain3(root(), inter().expired(), leaf())),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r9: expired root (frontproxy's own check) → certificate_expired",
            Scenario::chain(&chain3(root().expired(), inter(), leaf())),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r9: expired root, leaf+root → certificate_expired",
            Scenario::chain(&chain2(root().expired(), leaf())),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r9: not-yet-valid leaf → certificate_not_yet_valid",
            Scenario::chain(&chain3(root(), inter(), leaf().not_yet_valid())),
            Reject("certificate_not_yet_valid"),
        ),
        case(
            "§3.3 r9: not-yet-valid intermediate → certificate_not_yet_valid",
            Scenario::chain(&chain3(root(), inter().not_yet_valid(), leaf())),
            Reject("certificate_not_yet_valid"),
        ),
        case(
            "§3.3 r9: not-yet-valid root (frontproxy's own check) → certificate_not_yet_valid",
            Scenario::chain(&chain3(root().not_yet_valid(), inter(), leaf())),
            Reject("certificate_not_yet_valid"),
        ),
        case(
            "§3.3 r9: not-yet-valid root, leaf+root → certificate_not_yet_valid",
            Scenario::chain(&chain2(root().not_yet_valid(), leaf())),
            Reject("certificate_not_yet_valid"),
        ),
    ];
    run_table(cases);
}

/// §3.3 rule 9 boundaries: `NotBefore <= now <= NotAfter` inclusive, no skew allowance. The
/// certificate at the tested position has the narrowest window; instants come from its own
/// validity fields.
#[test]
fn spec_3_3_r9_validity_boundaries_at_every_position() {
    // A fixed base instant (2030-03-17T17:46:40Z) keeps the table independent of the clock.
    let base = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
    let wide = (base, base + Duration::days(365));
    let narrow = (base + Duration::days(10), base + Duration::days(20));
    let mut cases = Vec::new();
    for pos in ["leaf", "intermediate", "root"] {
        let w = |p: &str| if p == pos { narrow } else { wide };
        let c = chain3(
            root().validity(w("root").0, w("root").1),
            inter().validity(w("intermediate").0, w("intermediate").1),
            leaf().validity(w("leaf").0, w("leaf").1),
        );
        let issued = match pos {
            "leaf" => &c.leaf,
            "intermediate" => &c.intermediates[0],
            _ => &c.root,
        };
        // The instants are read back from the certificate itself.
        let (_, parsed) = X509Certificate::from_der(&issued.cert_der).unwrap();
        let nb = parsed.validity().not_before.timestamp();
        let na = parsed.validity().not_after.timestamp();
        assert_eq!(
            (nb, na),
            (narrow.0.unix_timestamp(), narrow.1.unix_timestamp())
        );
        for (label, t, expect) in [
            (
                "one second before notBefore",
                nb - 1,
                Reject("certificate_not_yet_valid"),
            ),
            ("exactly at notBefore", nb, Accept),
            ("exactly at notAfter", na, Accept),
            (
                "one second after notAfter",
                na + 1,
                Reject("certificate_expired"),
            ),
        ] {
            cases.push(case(
                format!("§3.3 r9: {pos} {label}"),
                Scenario::chain(&c).at(unix(t)),
                expect,
            ));
        }
    }
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 10: EKU across the whole chain, the root included
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r10_eku_at_every_position() {
    use ExtendedKeyUsagePurpose as Eku;
    let server = [Eku::ServerAuth];
    let client = [Eku::ClientAuth];
    let cases = vec![
        case(
            "§3.3 r10: leaf serverAuth only → usage_not_allowed",
            Scenario::chain(&chain3(root(), inter(), leaf().ekus(&server))),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: intermediate serverAuth only → usage_not_allowed",
            Scenario::chain(&chain3(root(), inter().ekus(&server), leaf())),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: root serverAuth only (frontproxy's own check) → usage_not_allowed",
            Scenario::chain(&chain3(root().ekus(&server), inter(), leaf())),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: root serverAuth only, leaf+root → usage_not_allowed",
            Scenario::chain(&chain2(root().ekus(&server), leaf())),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: intermediate codeSigning only → usage_not_allowed",
            Scenario::chain(&chain3(root(), inter().ekus(&[Eku::CodeSigning]), leaf())),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: leaf with only an unknown EKU OID → usage_not_allowed",
            Scenario::chain(&chain3(
                root(),
                inter(),
                leaf().ekus(&[Eku::Other(vec![1, 3, 6, 1, 4, 1, 32473, 9])]),
            )),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r10: no EKU anywhere → unrestricted → ok",
            Scenario::chain(&chain3(root(), inter(), leaf().ekus(&[]))),
            Accept,
        ),
        case(
            "§3.3 r10: clientAuth everywhere → ok",
            Scenario::chain(&chain3(root().ekus(&client), inter().ekus(&client), leaf())),
            Accept,
        ),
        case(
            "§3.3 r10: leaf serverAuth+clientAuth → ok",
            Scenario::chain(&chain3(
                root(),
                inter(),
                leaf().ekus(&[Eku::ServerAuth, Eku::ClientAuth]),
            )),
            Accept,
        ),
        case(
            "§3.3 r10: leaf anyExtendedKeyUsage only → ok (Go semantics)",
            Scenario::chain(&chain3(root(), inter(), leaf().ekus(&[Eku::Any]))),
            Accept,
        ),
        case(
            "§3.3 r10: intermediate anyExtendedKeyUsage only → ok (Go semantics)",
            Scenario::chain(&chain3(root(), inter().ekus(&[Eku::Any]), leaf())),
            Accept,
        ),
        case(
            "§3.3 r10: root anyExtendedKeyUsage only → ok (Go semantics)",
            Scenario::chain(&chain3(root().ekus(&[Eku::Any]), inter(), leaf())),
            Accept,
        ),
        case(
            "§3.3 r10: root serverAuth + anyExtendedKeyUsage → ok",
            Scenario::chain(&chain3(
                root().ekus(&[Eku::ServerAuth, Eku::Any]),
                inter(),
                leaf(),
            )),
            Accept,
        ),
        case(
            "§3.3 r10: leaf with a critical EKU clientAuth (EKU is a handled extension) → ok",
            Scenario::chain(&chain3(
                root(),
                inter(),
                leaf()
                    .ekus(&[])
                    .extension(extended_key_usage_extension(&[OID_EKU_CLIENT_AUTH], true)),
            )),
            Accept,
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 11: issuers must be CAs (root included), leaf KeyUsage is ignored
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r11_issuer_rules() {
    use KeyUsagePurpose as Ku;
    let no_cert_sign = [Ku::DigitalSignature, Ku::CrlSign];
    let v1_root_key = EC.pooled(60);
    let v1_root_template = self_signed(ca_spec("v1-root"), v1_root_key.clone());
    let v1_root = to_v1(&v1_root_template.cert_der, &v1_root_key);
    let v1_leaf = v1_root_template.issue(leaf(), EC.pooled(61));
    assert_v1(&v1_root);

    let cases = vec![
        case(
            "§3.3 r11: root CA=false, leaf+root → issuer_not_ca",
            Scenario::chain(&chain2(root().ca(IsCa::ExplicitNoCa), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: root CA=false above an intermediate → issuer_not_ca",
            Scenario::chain(&chain3(root().ca(IsCa::ExplicitNoCa), inter(), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: v3 root without basicConstraints → issuer_not_ca",
            Scenario::chain(&chain2(root().ca(IsCa::NoCa), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: root KeyUsage without keyCertSign → issuer_not_ca",
            Scenario::chain(&chain2(root().key_usages(&no_cert_sign), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: root KeyUsage keyCertSign only → ok",
            Scenario::chain(&chain2(root().key_usages(&[Ku::KeyCertSign]), leaf())),
            Accept,
        ),
        case(
            "§3.3 r11: root without KeyUsage → ok",
            Scenario::chain(&chain2(root().key_usages(&[]), leaf())),
            Accept,
        ),
        case(
            "§3.3 r11: root with a non-critical basicConstraints CA=true → ok",
            Scenario::chain(&chain2(
                root()
                    .ca(IsCa::NoCa)
                    .extension(basic_constraints_extension(true, None, false)),
                leaf(),
            )),
            Accept,
        ),
        case(
            "§3.3 r11: intermediate CA=false → issuer_not_ca",
            Scenario::chain(&chain3(root(), inter().ca(IsCa::ExplicitNoCa), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: v3 intermediate without basicConstraints → issuer_not_ca",
            Scenario::chain(&chain3(root(), inter().ca(IsCa::NoCa), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: intermediate KeyUsage without keyCertSign → issuer_not_ca",
            Scenario::chain(&chain3(root(), inter().key_usages(&no_cert_sign), leaf())),
            Reject("issuer_not_ca"),
        ),
        case(
            "§3.3 r11: intermediate KeyUsage keyCertSign only → ok",
            Scenario::chain(&chain3(
                root(),
                inter().key_usages(&[Ku::KeyCertSign]),
                leaf(),
            )),
            Accept,
        ),
        case(
            "§3.3 r11: leaf KeyUsage keyEncipherment only is ignored → ok",
            Scenario::chain(&chain3(
                root(),
                inter(),
                leaf().key_usages(&[Ku::KeyEncipherment]),
            )),
            Accept,
        ),
        case(
            "§3.3 r11: leaf KeyUsage keyCertSign (not a CA) is ignored → ok",
            Scenario::chain(&chain3(
                root(),
                inter(),
                leaf().key_usages(&[Ku::KeyCertSign]),
            )),
            Accept,
        ),
        case(
            "§3.3 r11: leaf without KeyUsage → ok",
            Scenario::chain(&chain3(root(), inter(), leaf().key_usages(&[]))),
            Accept,
        ),
        case(
            "§3.3 r11: leaf with explicit CA=false → ok",
            Scenario::chain(&chain3(root(), inter(), leaf().ca(IsCa::ExplicitNoCa))),
            Accept,
        ),
        case(
            "§3.3 r11: v1 root (no extensions) is accepted as issuer",
            Scenario::raw(vec![v1_root], vec![v1_leaf.cert_der.clone()]),
            Accept,
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 12: pathLen, the root included
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r12_path_len() {
    let two_inters = |r: CertSpec, upper: CertSpec, lower: CertSpec| {
        Chain::from_specs(
            (r, EC.pooled(0)),
            vec![(upper, EC.pooled(1)), (lower, EC.pooled(2))],
            (leaf(), EC.pooled(3)),
        )
    };
    let cases = vec![
        case(
            "§3.3 r12: root pathLen 0 with one intermediate (frontproxy's own check) → path_length_exceeded",
            Scenario::chain(&chain3(root().path_len(0), inter(), leaf())),
            Reject("path_length_exceeded"),
        ),
        case(
            "§3.3 r12: root pathLen 0 without intermediates → ok",
            Scenario::chain(&chain2(root().path_len(0), leaf())),
            Accept,
        ),
        case(
            "§3.3 r12: root pathLen 1 with one intermediate → ok",
            Scenario::chain(&chain3(root().path_len(1), inter(), leaf())),
            Accept,
        ),
        case(
            "§3.3 r12: root pathLen 1 with two intermediates → path_length_exceeded",
            Scenario::chain(&two_inters(root().path_len(1), inter(), intermediate_spec("lower"))),
            Reject("path_length_exceeded"),
        ),
        case(
            "§3.3 r12: root pathLen 2 with two intermediates → ok",
            Scenario::chain(&two_inters(root().path_len(2), inter(), intermediate_spec("lower"))),
            Accept,
        ),
        case(
            "§3.3 r12: intermediate pathLen 0 directly above the leaf → ok",
            Scenario::chain(&chain3(root(), inter().path_len(0), leaf())),
            Accept,
        ),
        case(
            "§3.3 r12: intermediate pathLen 0 with a second intermediate below → path_length_exceeded",
            Scenario::chain(&two_inters(root(), inter().path_len(0), intermediate_spec("lower"))),
            Reject("path_length_exceeded"),
        ),
        case(
            "§3.3 r12: intermediate pathLen 1 with a second intermediate below → ok",
            Scenario::chain(&two_inters(root(), inter().path_len(1), intermediate_spec("lower"))),
            Accept,
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 12, last paragraph: several bundle certificates for the same anchor
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r12_duplicate_roots_any_matching_copy_counts() {
    use ExtendedKeyUsagePurpose as Eku;
    let key = EC.pooled(50);
    let valid = self_signed(ca_spec("dup-root"), key.clone());
    let expired = self_signed(ca_spec("dup-root").expired(), key.clone());
    let expired2 = self_signed(
        ca_spec("dup-root").validity(
            OffsetDateTime::now_utc() - Duration::days(90),
            OffsetDateTime::now_utc() - Duration::days(60),
        ),
        key.clone(),
    );
    let server_only = self_signed(ca_spec("dup-root").ekus(&[Eku::ServerAuth]), key.clone());
    let not_ca = self_signed(ca_spec("dup-root").ca(IsCa::ExplicitNoCa), key.clone());
    let path_len0 = self_signed(ca_spec("dup-root").path_len(0), key.clone());
    let critical = self_signed(
        ca_spec("dup-root").unknown_critical_extension(),
        key.clone(),
    );
    let leaf2 = valid.issue(leaf(), EC.pooled(51));
    let int = valid.issue(inter(), EC.pooled(52));
    let leaf3 = int.issue(leaf(), EC.pooled(53));
    // A rotated CA: same name, new key; the old one expired.
    let rotated = self_signed(ca_spec("dup-root"), EC.pooled(54));
    let leaf_rotated = rotated.issue(leaf(), EC.pooled(55));
    let old_key_leaf = expired.issue(leaf(), EC.pooled(56));

    let cases = vec![
        case(
            "§3.3 r12: expired copy then valid copy of the CA → ok",
            Scenario::new(&[&expired, &valid], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r12: valid copy then expired copy of the CA → ok",
            Scenario::new(&[&valid, &expired], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r12: expired + valid copies, with an intermediate → ok",
            Scenario::new(&[&expired, &valid], &[&leaf3, &int]),
            Accept,
        ),
        case(
            "§3.3 r12: both copies expired → certificate_expired",
            Scenario::new(&[&expired, &expired2], &[&leaf2]),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r12: serverAuth-only copy then unrestricted copy → ok",
            Scenario::new(&[&server_only, &valid], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r12: unrestricted copy then serverAuth-only copy → ok",
            Scenario::new(&[&valid, &server_only], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r12: serverAuth-only copy and expired copy → rejected",
            Scenario::new(&[&server_only, &expired], &[&leaf2]),
            // The first refusal is reported (the serverAuth copy comes first).
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r11/r12: CA=false copy then CA copy → ok",
            Scenario::new(&[&not_ca, &valid], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r12: pathLen 0 copy then unconstrained copy, one intermediate → ok",
            Scenario::new(&[&path_len0, &valid], &[&leaf3, &int]),
            Accept,
        ),
        case(
            "§3.3 r12: unconstrained copy then pathLen 0 copy, one intermediate → ok",
            Scenario::new(&[&valid, &path_len0], &[&leaf3, &int]),
            Accept,
        ),
        case(
            "§3.3 r12/r14: copy with an unknown critical extension then clean copy → ok",
            Scenario::new(&[&critical, &valid], &[&leaf2]),
            Accept,
        ),
        case(
            "§3.3 r14: only the copy with an unknown critical extension → unhandled_critical_extension",
            Scenario::new(&[&critical], &[&leaf2]),
            Reject("unhandled_critical_extension"),
        ),
        case(
            "§3.3 r12: only the pathLen 0 copy, one intermediate → path_length_exceeded",
            Scenario::new(&[&path_len0], &[&leaf3, &int]),
            Reject("path_length_exceeded"),
        ),
        case(
            "§3.3 r12: rotated CA (same name, new key) next to the expired old one; new leaf → ok",
            Scenario::new(&[&expired, &rotated], &[&leaf_rotated]),
            Accept,
        ),
        case(
            "§3.3 r12: rotated CA next to the expired old one; leaf of the old key → certificate_expired",
            Scenario::new(&[&expired, &rotated], &[&old_key_leaf]),
            Reject("certificate_expired"),
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 13: a leaf byte-identical to a bundle certificate is the whole chain
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_3_3_r13_leaf_in_bundle() {
    let self_ca = self_signed(ca_spec("self-signed-ca"), EC.pooled(40));
    let self_ca_expired = self_signed(ca_spec("self-signed-ca").expired(), EC.pooled(40));
    let self_ca_future = self_signed(ca_spec("self-signed-ca").not_yet_valid(), EC.pooled(40));
    let self_client = self_signed(client_leaf_spec("self-signed-client"), EC.pooled(41));
    let self_server = self_signed(
        ca_spec("self-signed-server-ca").ekus(&[ExtendedKeyUsagePurpose::ServerAuth]),
        EC.pooled(42),
    );
    let self_critical = self_signed(
        ca_spec("self-signed-critical").unknown_critical_extension(),
        EC.pooled(43),
    );
    let self_ca_no_cert_sign = self_signed(
        ca_spec("self-signed-ku").key_usages(&[KeyUsagePurpose::DigitalSignature]),
        EC.pooled(44),
    );
    let other = Chain::uniform(EC, 1);
    let v1_template = self_signed(client_leaf_spec("v1-self-signed"), EC.pooled(45));
    let v1_self = to_v1(&v1_template.cert_der, &EC.pooled(45));
    assert_v1(&v1_self);

    let cases = vec![
        case(
            "§3.3 r13: self-signed CA:true leaf that is the bundle → ok",
            Scenario::new(&[&self_ca], &[&self_ca]),
            Accept,
        ),
        case(
            "§3.3 r13: self-signed CA:true leaf among other bundle certificates → ok",
            Scenario::new(&[&other.root, &self_ca], &[&self_ca]),
            Accept,
        ),
        case(
            "§3.3 r13: self-signed non-CA client certificate in the bundle → ok",
            Scenario::new(&[&self_client], &[&self_client]),
            Accept,
        ),
        case(
            "§3.3 r13: an issued leaf that is itself in the bundle (its CA absent) → ok",
            Scenario::new(&[&other.leaf], &[&other.leaf]),
            Accept,
        ),
        case(
            "§3.3 r13: leaf in the bundle with KeyUsage lacking keyCertSign (it signs nothing) → ok",
            Scenario::new(&[&self_ca_no_cert_sign], &[&self_ca_no_cert_sign]),
            Accept,
        ),
        case(
            "§3.3 r13: self-signed v1 certificate in the bundle as leaf → ok",
            Scenario::raw(vec![v1_self.clone()], vec![v1_self.clone()]),
            Accept,
        ),
        case(
            "§3.3 r13 + r9: expired leaf that is the bundle → certificate_expired",
            Scenario::new(&[&self_ca_expired], &[&self_ca_expired]),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r13 + r9: expired leaf next to a valid copy (same key) → certificate_expired",
            Scenario::new(&[&self_ca_expired, &self_ca], &[&self_ca_expired]),
            Reject("certificate_expired"),
        ),
        case(
            "§3.3 r13 + r9: not-yet-valid leaf that is the bundle → certificate_not_yet_valid",
            Scenario::new(&[&self_ca_future], &[&self_ca_future]),
            Reject("certificate_not_yet_valid"),
        ),
        case(
            "§3.3 r13 + r10: leaf in the bundle with EKU serverAuth only → usage_not_allowed",
            Scenario::new(&[&self_server], &[&self_server]),
            Reject("usage_not_allowed"),
        ),
        case(
            "§3.3 r13 + r14: leaf in the bundle with an unknown critical extension → unhandled_critical_extension",
            Scenario::new(&[&self_critical], &[&self_critical]),
            Reject("unhandled_critical_extension"),
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §3.3 rule 14: signatures, critical extensions, algorithms, name constraints
// ---------------------------------------------------------------------------------------------

/// nameConstraints with one permitted dNSName subtree.
fn permit_dns(name: &str) -> CustomExtension {
    let general_subtree = der::sequence(&[der::tlv(0x82, name.as_bytes())]);
    let permitted = der::tlv(0xA0, &general_subtree);
    let mut ext = CustomExtension::from_oid_content(&[2, 5, 29, 30], der::sequence(&[permitted]));
    ext.set_criticality(true);
    ext
}

#[test]
fn spec_3_3_r14_signatures_and_critical_extensions() {
    let c = Chain::uniform(EC, 1);
    let mut corrupt_leaf = c.presented_der();
    corrupt_leaf[0] = corrupt_signature(&corrupt_leaf[0]);
    let mut corrupt_int = c.presented_der();
    corrupt_int[1] = corrupt_signature(&corrupt_int[1]);
    let corrupt_root = corrupt_signature(&c.root.cert_der);
    // Same name as the chain's root, different key.
    let lookalike_root = self_signed(ca_spec("test-root-ca"), EC.pooled(30));
    let lookalike_leaf = lookalike_root.issue(leaf(), EC.pooled(31));
    // Same name as the chain's root, a key of another type (Ed25519 vs the leaf's ECDSA
    // signature).
    let lookalike_ed_root = self_signed(ca_spec("test-root-ca"), KeyKind::Ed25519.pooled(36));

    // SHA-1 (openssl CLI; ring can neither sign SHA-1 nor would rcgen emit it).
    let rsa = Chain::new(KeyKind::Rsa2048, &[], KeyKind::EcdsaP256);
    let keys = PkiDir::new();
    let root_key = keys.write_key("root.key", &rsa.root);
    let sha1_leaf = resign_rsa(&rsa.leaf.cert_der, &root_key, "sha1", None);
    let sha1_root = resign_rsa(&rsa.root.cert_der, &root_key, "sha1", None);
    let sha256_resigned_leaf = resign_rsa(&rsa.leaf.cert_der, &root_key, "sha256", None);

    let nc_root = self_signed(
        ca_spec("constrained-root").extension(permit_dns("example.com")),
        EC.pooled(32),
    );
    let nc_inside = nc_root.issue(leaf().dns("a.example.com"), EC.pooled(33));
    let nc_outside = nc_root.issue(leaf().dns("evil.example.org"), EC.pooled(34));
    let nc_no_san = nc_root.issue(leaf(), EC.pooled(35));

    let cases = vec![
        case(
            "§3.3 r14: unknown critical extension on the leaf → unhandled_critical_extension",
            Scenario::chain(&chain3(root(), inter(), leaf().unknown_critical_extension())),
            Reject("unhandled_critical_extension"),
        ),
        case(
            "§3.3 r14: unknown critical extension on the intermediate → unhandled_critical_extension",
            Scenario::chain(&chain3(root(), inter().unknown_critical_extension(), leaf())),
            Reject("unhandled_critical_extension"),
        ),
        case(
            "§3.3 r14: unknown critical extension on the root (frontproxy's own check) → unhandled_critical_extension",
            Scenario::chain(&chain3(root().unknown_critical_extension(), inter(), leaf())),
            Reject("unhandled_critical_extension"),
        ),
        case(
            "§3.3 r14: unknown critical extension on the root, leaf+root → unhandled_critical_extension",
            Scenario::chain(&chain2(root().unknown_critical_extension(), leaf())),
            Reject("unhandled_critical_extension"),
        ),
        case(
            "§3.3 r14: unknown NON-critical extensions everywhere → ok",
            {
                let mut ext = CustomExtension::from_oid_content(OID_UNKNOWN_EXT, der::null());
                ext.set_criticality(false);
                Scenario::chain(&chain3(
                    root().extension(ext.clone()),
                    inter().extension(ext.clone()),
                    leaf().extension(ext),
                ))
            },
            Accept,
        ),
        // Reason::BadSignature is documented as "a signature on the path does not verify".
        // Go would word these as "certificate signed by unknown authority (possibly because of
        // a verification error)"; the decision (401) is the same, the code is more precise.
        case(
            "§3.3 r14: corrupted leaf signature → bad_signature",
            Scenario::raw(vec![c.root.cert_der.clone()], corrupt_leaf),
            Reject("bad_signature"),
        ),
        case(
            "§3.3 r14: corrupted intermediate signature → bad_signature",
            Scenario::raw(vec![c.root.cert_der.clone()], corrupt_int),
            Reject("bad_signature"),
        ),
        case(
            "§3.3 r14: leaf of a look-alike CA (same name, other key) → bad_signature",
            Scenario::new(&[&c.root], &[&lookalike_leaf]),
            Reject("bad_signature"),
        ),
        // Go: "certificate signed by unknown authority". webpki ranks the algorithm mismatch
        // above "unknown issuer", so the code names the algorithm; the decision is the same.
        case(
            "§3.3 r14: bundle CA with the leaf's issuer name but a key of another type → unsupported_algorithm",
            Scenario::new(&[&lookalike_ed_root], &[&lookalike_leaf]),
            Reject("unsupported_algorithm"),
        ),
        case(
            "§3.3 r14: the root's own self-signature is not checked (corrupted root in the bundle) → ok",
            Scenario::raw(vec![corrupt_root], c.presented_der()),
            Accept,
        ),
        case(
            "§3.3 r14: control: leaf re-signed by openssl with SHA-256 → ok",
            Scenario::raw(vec![rsa.root.cert_der.clone()], vec![sha256_resigned_leaf]),
            Accept,
        ),
        case(
            "§3.3 r14: SHA-1-signed leaf (Go rejects it too) → unsupported_algorithm",
            Scenario::raw(vec![rsa.root.cert_der.clone()], vec![sha1_leaf]),
            Reject("unsupported_algorithm"),
        ),
        case(
            "§3.3 r14: SHA-1 self-signed root (its own signature is not checked) → ok",
            Scenario::raw(vec![sha1_root], vec![rsa.leaf.cert_der.clone()]),
            Accept,
        ),
        case(
            "§3.3 r14: name constraints: SAN inside the permitted subtree → ok",
            Scenario::new(&[&nc_root], &[&nc_inside]),
            Accept,
        ),
        case(
            "§3.3 r14: name constraints: SAN outside the permitted subtree → name_constraint_violation",
            Scenario::new(&[&nc_root], &[&nc_outside]),
            Reject("name_constraint_violation"),
        ),
        case(
            "§3.3 r14: name constraints: leaf without SAN (CN is not a host name) → ok",
            Scenario::new(&[&nc_root], &[&nc_no_san]),
            Accept,
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// Bounds on hostile input (project rule: everything from the network is bounded)
// ---------------------------------------------------------------------------------------------

#[test]
fn bounds_on_presented_chains() {
    let c = Chain::uniform(EC, 1);
    let unrelated = Chain::uniform(KeyKind::Ed25519, 1);
    let filler =
        |n: usize| -> Vec<Vec<u8>> { (0..n).map(|_| unrelated.leaf.cert_der.clone()).collect() };
    let with_filler = |n: usize| -> Vec<Vec<u8>> {
        let mut v = c.presented_der();
        v.extend(filler(n));
        v
    };
    let max = Limits::default().max_chain_certificates;
    let small = Limits {
        max_chain_certificates: 2,
        ..Limits::default()
    };
    let tiny_certs = Limits {
        max_certificate_bytes: 100,
        ..Limits::default()
    };
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x07];
    let mut truncated = c.leaf.cert_der.clone();
    truncated.truncate(truncated.len() - 10);
    let deep = Chain::uniform(EC, 63);
    assert_eq!(deep.presented_der().len(), 64);

    let cases = vec![
        case(
            format!("bounds: exactly max_chain_certificates ({max}) presented → ok"),
            Scenario::raw(vec![c.root.cert_der.clone()], with_filler(max - 2)),
            Accept,
        ),
        case(
            format!("bounds: max_chain_certificates + 1 ({}) presented → chain_too_long", max + 1),
            Scenario::raw(vec![c.root.cert_der.clone()], with_filler(max - 1)),
            Reject("chain_too_long"),
        ),
        case(
            "bounds: limit 2, leaf+intermediate → ok",
            Scenario::chain(&c).limits(small),
            Accept,
        ),
        case(
            "bounds: limit 2, leaf+intermediate+root copy → chain_too_long (presented certificates count, not the path)",
            Scenario::new(&[&c.root], &[&c.leaf, &c.intermediates[0], &c.root]).limits(small),
            Reject("chain_too_long"),
        ),
        case(
            "bounds: a 64-certificate chain with the default limit → chain_too_long",
            Scenario::chain(&deep),
            Reject("chain_too_long"),
        ),
        case(
            "bounds: a certificate larger than max_certificate_bytes → malformed_certificate",
            Scenario::chain(&c).limits(tiny_certs),
            Reject("malformed_certificate"),
        ),
        case(
            "bounds: garbage DER as the leaf → malformed_certificate",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![garbage.clone()]),
            Reject("malformed_certificate"),
        ),
        case(
            "bounds: empty bytes as the leaf → malformed_certificate",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![vec![]]),
            Reject("malformed_certificate"),
        ),
        case(
            "bounds: truncated leaf DER → malformed_certificate",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![truncated, c.intermediates[0].cert_der.clone()]),
            Reject("malformed_certificate"),
        ),
        case(
            "bounds: leaf with trailing bytes after the DER → malformed_certificate",
            {
                let mut t = c.leaf.cert_der.clone();
                t.extend_from_slice(&[0, 0]);
                Scenario::raw(vec![c.root.cert_der.clone()], vec![t, c.intermediates[0].cert_der.clone()])
            },
            Reject("malformed_certificate"),
        ),
        case(
            "§1.7 r18: empty chain (no client certificate) → no opinion → anonymous",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![]),
            Anonymous,
        ),
    ];
    run_table(cases);
}

/// Project rule "never accept what Kubernetes rejects": Go's TLS server parses every presented
/// certificate (crypto/tls `processCertsFromClient`) and fails the handshake if one does not
/// parse, so a chain carrying an unparsable extra certificate never reaches Kubernetes'
/// authenticators.
#[test]
fn bounds_unparsable_extra_certificate_in_presented_chain() {
    let c = Chain::uniform(EC, 1);
    let garbage = vec![0x30, 0x03, 0x02, 0x01, 0x07];
    let cases = vec![
        case(
            "§1.7 r20: an unparsable certificate among the intermediates (Go's TLS layer refuses the handshake) → malformed_certificate",
            Scenario::raw(
                vec![c.root.cert_der.clone()],
                vec![c.leaf.cert_der.clone(), garbage, c.intermediates[0].cert_der.clone()],
            ),
            Reject("malformed_certificate"),
        ),
    ];
    run_table(cases);
}

// ---------------------------------------------------------------------------------------------
// §1.8 rule 28: the union with per-certificate verdicts
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_1_8_r28_union_consequences() {
    // Three unrelated CAs with distinct names (Chain::new would name every root alike).
    let proxy = chain3(ca_spec("front-proxy-ca"), inter(), leaf()); // leaf CN front-proxy-client
    let clients = Chain::from_specs(
        (ca_spec("client-ca"), KeyKind::Ed25519.pooled(0)),
        vec![],
        (
            client_leaf_spec("bob").orgs(&["team-a", "team-b"]),
            KeyKind::Ed25519.pooled(1),
        ),
    );
    let stranger = Chain::from_specs(
        (ca_spec("stranger-ca"), KeyKind::EcdsaP384.pooled(0)),
        vec![],
        (leaf(), KeyKind::EcdsaP384.pooled(1)),
    );
    let rh_ca = || {
        bundle_of(
            &[proxy.root.cert_der.clone()],
            "--requestheader-client-ca-file",
        )
    };
    let client_ca = || bundle_of(&[clients.root.cert_der.clone()], "--client-ca-file");
    let both = AuthConfig::builder()
        .request_header(rh_ca(), RequestHeaderOptions::default())
        .client_ca(client_ca())
        .build()
        .unwrap();
    let rh_only = AuthConfig::builder()
        .request_header(rh_ca(), RequestHeaderOptions::default())
        .build()
        .unwrap();
    let allowed_other = AuthConfig::builder()
        .request_header(
            rh_ca(),
            RequestHeaderOptions {
                allowed_names: vec!["someone-else".into()],
                ..RequestHeaderOptions::default()
            },
        )
        .build()
        .unwrap();
    let now = UnixTime::now();
    let der = |c: &Chain| chain_of(&c.presented_der());
    let no_headers = RequestHeaders::from_pairs(&[]);
    let alice = RequestHeaders::from_pairs(ALICE);

    struct Row<'a> {
        rule: &'static str,
        config: &'a AuthConfig,
        chain: Vec<CertificateDer<'static>>,
        headers: &'a RequestHeaders<'a>,
        check: Box<dyn Fn(&Decision) -> bool>,
    }
    let rows = vec![
        Row {
            rule: "§1.8 r28: cert fails request-header AND client CA → 401 (not anonymous)",
            config: &both,
            chain: der(&stranger),
            headers: &alice,
            check: Box::new(|d| {
                matches!(d, Decision::Rejected(e) if e.reason.code() == "unknown_authority"
                    && e.message.contains("verifying certificate SN="))
            }),
        },
        Row {
            rule: "§1.8 r28: cert fails request-header, no client CA → 401",
            config: &rh_only,
            chain: der(&stranger),
            headers: &alice,
            check: Box::new(
                |d| matches!(d, Decision::Rejected(e) if e.reason.code() == "unknown_authority"),
            ),
        },
        Row {
            rule:
                "§1.8 r28: cert fails request-header, passes client CA → x509 user (CN, O groups)",
            config: &both,
            chain: der(&clients),
            headers: &alice,
            check: Box::new(|d| {
                matches!(d, Decision::Authenticated { authenticator: AuthenticatorKind::X509, user }
                    if user.name == "bob"
                        && user.groups == ["team-a", "team-b", "system:authenticated"])
            }),
        },
        Row {
            rule: "§1.8 r28: valid proxy cert, no username header, no client CA → anonymous",
            config: &rh_only,
            chain: der(&proxy),
            headers: &no_headers,
            check: Box::new(|d| {
                matches!(d, Decision::Anonymous { user }
                    if user.name == "system:anonymous" && user.groups == ["system:unauthenticated"])
            }),
        },
        Row {
            rule: "§1.8 r28: valid proxy cert, no username header, a different client CA → 401",
            config: &both,
            chain: der(&proxy),
            headers: &no_headers,
            check: Box::new(|d| {
                matches!(d, Decision::Rejected(e) if e.reason.code() == "unknown_authority"
                    && e.message.starts_with("verifying certificate SN="))
            }),
        },
        Row {
            rule: "§1.8 r25: valid proxy cert with username header wins over a failing client CA",
            config: &both,
            chain: der(&proxy),
            headers: &alice,
            check: Box::new(|d| {
                matches!(d, Decision::Authenticated { authenticator: AuthenticatorKind::RequestHeader, user }
                    if user.name == "alice")
            }),
        },
        Row {
            rule:
                "§1.7 r22: valid proxy cert whose CN is not allowed → 401 common_name_not_allowed",
            config: &allowed_other,
            chain: der(&proxy),
            headers: &alice,
            check: Box::new(|d| {
                matches!(d, Decision::Rejected(e) if e.reason.code() == "common_name_not_allowed"
                    && e.message.contains("x509: subject with cn=front-proxy-client is not in the allowed list"))
            }),
        },
        Row {
            rule: "§1.7 r18 / §3.1 r1: no certificate, both authenticators → anonymous",
            config: &both,
            chain: vec![],
            headers: &alice,
            check: Box::new(
                |d| matches!(d, Decision::Anonymous { user } if user.name == "system:anonymous"),
            ),
        },
    ];
    let mut failures = Vec::new();
    for row in &rows {
        let got = row
            .config
            .authenticate_request(&row.chain, row.headers, now);
        if !(row.check)(&got.decision) {
            failures.push(format!("[{}] got {:?}", row.rule, got.decision));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// PeerVerification window
// ---------------------------------------------------------------------------------------------

/// `valid_until()` is the earliest notAfter on the verified path, the root included; after it
/// `authenticate` verifies again and rejects.
#[test]
fn peer_verification_window_is_the_earliest_not_after_on_the_path() {
    let base = OffsetDateTime::from_unix_timestamp(1_900_000_000).unwrap();
    let days = |n: i64| base + Duration::days(n);
    let alice = RequestHeaders::from_pairs(ALICE);
    let mut failures = Vec::new();
    for (label, root_end, inter_end, leaf_end) in [
        ("root expires first", 10, 20, 30),
        ("intermediate expires first", 30, 10, 20),
        ("leaf expires first", 20, 30, 10),
    ] {
        let c = chain3(
            root().validity(base, days(root_end)),
            inter().validity(base, days(inter_end)),
            leaf().validity(base, days(leaf_end)),
        );
        let earliest = days(10).unix_timestamp();
        for (path, config) in [
            (
                "request-header",
                request_header_config(&Scenario::chain(&c)),
            ),
            ("x509", client_ca_config(&Scenario::chain(&c))),
        ] {
            let verified_at = unix(base.unix_timestamp() + 3600);
            let peer = config.verify_peer(&chain_of(&c.presented_der()), verified_at);
            let tag = format!("[{label}, {path}]");
            if peer.valid_until() != earliest {
                failures.push(format!(
                    "{tag} valid_until {} != {earliest}",
                    peer.valid_until()
                ));
            }
            if !peer.holds_for(&config, unix(earliest))
                || peer.holds_for(&config, unix(earliest + 1))
            {
                failures.push(format!(
                    "{tag} holds_for does not end exactly at {earliest}"
                ));
            }
            let at_end = config.authenticate(&peer, &alice, unix(earliest));
            if !matches!(at_end.decision, Decision::Authenticated { .. }) {
                failures.push(format!("{tag} at notAfter: {:?}", at_end.decision));
            }
            let after = config.authenticate(&peer, &alice, unix(earliest + 1));
            if !matches!(&after.decision, Decision::Rejected(e) if e.reason.code() == "certificate_expired")
            {
                failures.push(format!(
                    "{tag} one second after notAfter: {:?}",
                    after.decision
                ));
            }
        }
    }
    // A time-dependent negative verdict is not kept past its instant: a leaf not yet valid at
    // verification time is accepted once it becomes valid, on the same PeerVerification.
    let c = chain3(
        root().validity(base, days(30)),
        inter().validity(base, days(30)),
        leaf().validity(days(5), days(30)),
    );
    let config = request_header_config(&Scenario::chain(&c));
    let early = config.verify_peer(&chain_of(&c.presented_der()), at_time(days(4)));
    let first = config.authenticate(&early, &alice, at_time(days(4)));
    if !matches!(&first.decision, Decision::Rejected(e) if e.reason.code() == "certificate_not_yet_valid")
    {
        failures.push(format!(
            "[not yet valid at verification] {:?}",
            first.decision
        ));
    }
    let later = config.authenticate(&early, &alice, at_time(days(5)));
    if !matches!(later.decision, Decision::Authenticated { .. }) {
        failures.push(format!("[valid later, same peer] {:?}", later.decision));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A root whose key is RSA-1024 and a leaf it signed, plus the same construction with an
/// RSA-2048 key as a control. A template root (RSA-2048, from the pool) gets its public key
/// swapped and is re-signed with openssl; no key identifiers, which would name the template key.
struct RsaPair {
    root_1024: Vec<u8>,
    leaf_1024: Vec<u8>,
    root_2048: Vec<u8>,
    leaf_2048: Vec<u8>,
}

fn rsa_root_and_leaf() -> RsaPair {
    let keys = PkiDir::new();
    let rsa1024_key = keys.path().join("rsa1024.key");
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        rsa1024_key.to_str().unwrap(),
    ]);
    let rsa1024_spki = openssl(&[
        "pkey",
        "-in",
        rsa1024_key.to_str().unwrap(),
        "-pubout",
        "-outform",
        "DER",
    ]);
    let template = self_signed(
        ca_spec("rsa1024-root").without_aki(),
        KeyKind::Rsa2048.pooled(0),
    );
    let leaf_template = template.issue(leaf().without_aki(), EC.pooled(22));
    let rsa2048_key = keys.write_key("rsa2048.key", &template);
    let rsa2048_spki = tbs_fields(&template.cert_der)[6].clone();
    RsaPair {
        root_1024: resign_rsa(
            &template.cert_der,
            &rsa1024_key,
            "sha256",
            Some(&rsa1024_spki),
        ),
        leaf_1024: resign_rsa(&leaf_template.cert_der, &rsa1024_key, "sha256", None),
        root_2048: resign_rsa(
            &template.cert_der,
            &rsa2048_key,
            "sha256",
            Some(&rsa2048_spki),
        ),
        leaf_2048: resign_rsa(&leaf_template.cert_der, &rsa2048_key, "sha256", None),
    }
}

// ---------------------------------------------------------------------------------------------
// §10 rule 1: deliberate divergences (stricter than Go)
// ---------------------------------------------------------------------------------------------

#[test]
fn spec_10_r1_deliberate_divergences_stricter_than_go() {
    let c = Chain::uniform(EC, 1);

    // deliberate divergence (stricter than Go): a CA certificate (basicConstraints CA=true)
    // used as the client certificate is rejected by webpki (CaUsedAsEndEntity) unless it is
    // itself in the bundle (§3.3 r13). Go does not look at the leaf's basicConstraints.
    let ca_leaf = c
        .leaf_issuer()
        .issue(ca_spec("front-proxy-client"), EC.pooled(20));
    // The same, for a self-signed CA leaf whose re-issued copy (same name and key, other
    // bytes) is in the bundle: Go builds [leaf, bundle copy]; webpki refuses the CA leaf.
    let self_ca = self_signed(ca_spec("self-signed-ca"), EC.pooled(21));
    let self_ca_copy = self_signed(ca_spec("self-signed-ca"), EC.pooled(21));
    assert_ne!(self_ca.cert_der, self_ca_copy.cert_der);

    // deliberate divergence (stricter than Go): issuer RSA keys of 1024 bits (Go accepts
    // >= 1024 since 1.24; webpki's RSA algorithms need 2048-8192).
    let rsa = rsa_root_and_leaf();

    // deliberate divergence (stricter than Go): an EKU extension with no purposes. Go treats
    // it like an absent EKU (unrestricted); webpki rejects it (EmptyEkuExtension).
    let empty_eku = extended_key_usage_extension(&[], false);

    // deliberate divergence (stricter than Go): X.509 v1 leaf certificates (webpki accepts v3
    // only, except for trust anchors). A v1 intermediate is rejected by Go too (no
    // basicConstraints), so it is not a divergence.
    let v1_leaf = to_v1(&c.leaf.cert_der, &c.intermediates[0].key);
    let v1_int = to_v1(&c.intermediates[0].cert_der, &c.root.key);
    assert_v1(&v1_leaf);
    assert_v1(&v1_int);

    // deliberate divergence (stricter than Go): more than 6 intermediates (webpki's maximum
    // path depth); Go has no depth limit.
    let six = Chain::uniform(EC, 6);
    let seven = Chain::uniform(EC, 7);
    let deep = Chain::uniform(EC, 63);
    let limit = |n: usize| Limits {
        max_chain_certificates: n,
        ..Limits::default()
    };

    let cases = vec![
        case(
            "§10 r1 divergence: CA:true leaf issued by the bundle CA, not itself in the bundle → certificate_invalid",
            Scenario::new(&[&c.root], &[&ca_leaf, &c.intermediates[0]]),
            Reject("certificate_invalid"),
        ),
        case(
            "§10 r1 divergence: self-signed CA leaf whose re-issued copy (same name and key) is the bundle → certificate_invalid",
            Scenario::new(&[&self_ca_copy], &[&self_ca]),
            Reject("certificate_invalid"),
        ),
        case(
            "§10 r1 control: the same self-signed CA leaf, byte-identical in the bundle (§3.3 r13) → ok",
            Scenario::new(&[&self_ca], &[&self_ca]),
            Accept,
        ),
        case(
            "§10 r1 control: RSA-2048 root built the same way → ok",
            Scenario::raw(vec![rsa.root_2048.clone()], vec![rsa.leaf_2048.clone()]),
            Accept,
        ),
        case(
            "§10 r1 divergence: RSA-1024 root signing the leaf → rejected (code: see the BUG test below)",
            Scenario::raw(vec![rsa.root_1024.clone()], vec![rsa.leaf_1024.clone()]),
            RejectAnyOf(&["unsupported_algorithm", "bad_signature"]),
        ),
        case(
            "§10 r1 divergence: leaf with an empty EKU extension → usage_not_allowed",
            Scenario::chain(&chain3(root(), inter(), leaf().ekus(&[]).extension(empty_eku.clone()))),
            Reject("usage_not_allowed"),
        ),
        case(
            "§10 r1 divergence: intermediate with an empty EKU extension → usage_not_allowed",
            Scenario::chain(&chain3(root(), inter().extension(empty_eku.clone()), leaf())),
            Reject("usage_not_allowed"),
        ),
        case(
            "§10 r1 divergence: v1 leaf → malformed_certificate",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![v1_leaf, c.intermediates[0].cert_der.clone()]),
            Reject("malformed_certificate"),
        ),
        case(
            "§3.3 r11 (Go rejects too: a v1 intermediate has no basicConstraints) → rejected",
            Scenario::raw(vec![c.root.cert_der.clone()], vec![c.leaf.cert_der.clone(), v1_int]),
            Reject("malformed_certificate"),
        ),
        case(
            "§10 r1 control: 6 intermediates → ok",
            Scenario::chain(&six),
            Accept,
        ),
        case(
            "§10 r1 divergence: 7 intermediates (webpki's maximum depth is 6) → verification_budget_exceeded",
            Scenario::chain(&seven),
            Reject("verification_budget_exceeded"),
        ),
        case(
            "§10 r1 divergence: a 64-certificate chain within a limit of 64 → verification_budget_exceeded",
            Scenario::chain(&deep).limits(limit(64)),
            Reject("verification_budget_exceeded"),
        ),
        case(
            "§10 r1 divergence (bound): 9 presented certificates, default limit 8 → chain_too_long",
            {
                let mut v = c.presented_der();
                v.extend((0..7).map(|_| c.root.cert_der.clone()));
                Scenario::raw(vec![c.root.cert_der.clone()], v)
            },
            Reject("chain_too_long"),
        ),
    ];
    run_table(cases);
}

/// An empty EKU extension on the root: Go treats it as unrestricted. Pinned separately because
/// frontproxy's root check (not webpki) decides it.
#[test]
fn spec_3_3_r10_root_with_empty_eku_extension() {
    let c = chain3(
        root().extension(extended_key_usage_extension(&[], false)),
        inter(),
        leaf(),
    );
    run_table(vec![case(
        "§3.3 r10: root with an empty EKU extension (Go: unrestricted) → ok",
        Scenario::chain(&c),
        Accept,
    )]);
}

/// §3.3 r14 with the reason code pinned exactly: the leaf's unknown critical extension is an
/// `unhandled_critical_extension` (reason.rs: "a certificate on the path carries a critical
/// extension we do not handle"), as it already is for the intermediate and the root.
#[test]
fn spec_3_3_r14_leaf_unknown_critical_extension_reason_code() {
    run_table(vec![case(
        "§3.3 r14: unknown critical extension on the leaf → unhandled_critical_extension",
        Scenario::chain(&chain3(
            root(),
            inter(),
            leaf().unknown_critical_extension(),
        )),
        Reject("unhandled_critical_extension"),
    )]);
}

/// §10 r1 with the reason code pinned exactly: reason.rs documents `unsupported_algorithm` as
/// "a signature algorithm or key on the path is not supported (e.g. SHA-1, RSA < 2048)".
#[test]
fn spec_10_r1_rsa1024_issuer_reason_code() {
    let rsa = rsa_root_and_leaf();
    run_table(vec![case(
        "§10 r1 divergence: RSA-1024 root signing the leaf → unsupported_algorithm",
        Scenario::raw(vec![rsa.root_1024], vec![rsa.leaf_1024]),
        Reject("unsupported_algorithm"),
    )]);
}
