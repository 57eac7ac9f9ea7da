//! Self-tests for the test PKI builder in `tests/common/pki.rs`: every knob
//! is checked by parsing the generated DER back with `x509_parser`, chains
//! are verified with `webpki` (and, where possible, with `openssl verify`).

mod common;

use common::pki::*;
use rustls_pki_types::UnixTime;
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::X509Certificate;

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = x509_parser::parse_x509_certificate(der).expect("x509_parser rejects cert");
    assert!(rest.is_empty(), "trailing data after certificate");
    cert
}

/// Subject as `(oid, tag, raw value bytes)` per RDN (inner Vec = attributes of one RDN).
fn subject_attrs(cert: &X509Certificate<'_>) -> Vec<Vec<(String, Tag, Vec<u8>)>> {
    cert.subject()
        .iter()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| {
                    (
                        atv.attr_type().to_id_string(),
                        atv.attr_value().header.tag(),
                        atv.attr_value().data.to_vec(),
                    )
                })
                .collect()
        })
        .collect()
}

fn ext<'a>(
    cert: &'a X509Certificate<'a>,
    oid: &[u64],
) -> Option<&'a x509_parser::extensions::X509Extension<'a>> {
    let want = oid_string(oid);
    let mut found = cert
        .extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == want);
    let first = found.next();
    assert!(found.next().is_none(), "extension {want} present twice");
    first
}

fn webpki_verify(
    root: &Issued,
    presented: &[Vec<u8>],
    usage: webpki::KeyUsage,
    now: UnixTime,
) -> Result<(), webpki::Error> {
    let algs = rustls::crypto::ring::default_provider()
        .signature_verification_algorithms
        .all;
    let root_der = root.der();
    let anchor = webpki::anchor_from_trusted_cert(&root_der)?;
    let leaf_der = rustls_pki_types::CertificateDer::from(presented[0].clone());
    let ee = webpki::EndEntityCert::try_from(&leaf_der)?;
    let inters: Vec<_> = presented[1..]
        .iter()
        .map(|d| rustls_pki_types::CertificateDer::from(d.clone()))
        .collect();
    ee.verify_for_usage(algs, &[anchor], &inters, now, usage, None, None)
        .map(|_| ())
}

fn verify_chain(chain: &Chain) -> Result<(), webpki::Error> {
    webpki_verify(
        &chain.root,
        &chain.presented_der(),
        webpki::KeyUsage::client_auth(),
        UnixTime::now(),
    )
}

#[test]
fn subject_carries_repeated_cns_orgs_and_uid_in_order() {
    let ca = self_signed(ca_spec("root"), KeyKind::EcdsaP256.shared());
    let spec = client_leaf_spec("client_cn2")
        .cn("client_cn")
        .orgs(&["system:masters", "group2"])
        .uid("uid-1234");
    let leaf = issue(spec, KeyKind::EcdsaP256.fresh(), &ca);
    let cert = parse(&leaf.cert_der);

    let s = subject_attrs(&cert);
    let expect: Vec<Vec<(String, Tag, Vec<u8>)>> = vec![
        vec![(
            "2.5.4.10".into(),
            Tag::Utf8String,
            b"system:masters".to_vec(),
        )],
        vec![("2.5.4.10".into(), Tag::Utf8String, b"group2".to_vec())],
        vec![("2.5.4.3".into(), Tag::Utf8String, b"client_cn2".to_vec())],
        vec![("2.5.4.3".into(), Tag::Utf8String, b"client_cn".to_vec())],
        vec![(
            "1.3.6.1.4.1.57683.2".into(),
            Tag::Utf8String,
            b"uid-1234".to_vec(),
        )],
    ];
    assert_eq!(s, expect);

    // x509_parser's CN iterator sees both, in DER order.
    let cns: Vec<&str> = cert
        .subject()
        .iter_common_name()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(cns, ["client_cn2", "client_cn"]);

    // Issuer name is byte-identical to the CA's subject; subject bytes as advertised.
    assert_eq!(cert.issuer().as_raw(), ca.subject_der.as_slice());
    assert_eq!(cert.subject().as_raw(), leaf.subject_der.as_slice());
    assert_eq!(
        parse(&ca.cert_der).subject().as_raw(),
        ca.subject_der.as_slice()
    );

    // And openssl agrees on the textual form.
    let f = write_temp(&leaf.pem);
    let out = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in"])
        .arg(f.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // RFC 2253 prints the last RDN first.
    assert!(
        text.contains("CN=client_cn,CN=client_cn2,O=group2,O=system:masters"),
        "openssl subject: {text}"
    );
}

#[test]
fn uid_attribute_variants() {
    let ca = self_signed(ca_spec("root"), KeyKind::EcdsaP256.shared());
    let uid_oid = oid_string(OID_K8S_UID);
    let uids_of = |spec: CertSpec| -> Vec<(Tag, Vec<u8>)> {
        let leaf = issue(spec, KeyKind::Ed25519.shared(), &ca);
        let cert = parse(&leaf.cert_der);
        subject_attrs(&cert)
            .into_iter()
            .flatten()
            .filter(|(oid, _, _)| *oid == uid_oid)
            .map(|(_, t, v)| (t, v))
            .collect()
    };

    // zero
    assert!(uids_of(client_leaf_spec("u")).is_empty());
    // several, in order, mixed string types
    assert_eq!(
        uids_of(
            client_leaf_spec("u")
                .uid("a")
                .uid(AttrValue::Printable("b".into()))
                .uid("c")
        ),
        vec![
            (Tag::Utf8String, b"a".to_vec()),
            (Tag::PrintableString, b"b".to_vec()),
            (Tag::Utf8String, b"c".to_vec()),
        ]
    );
    // non-string values: INTEGER 300 and a raw BOOLEAN
    assert_eq!(
        uids_of(
            client_leaf_spec("u")
                .uid(AttrValue::Integer(300))
                .uid(AttrValue::Raw(der::boolean(true)))
        ),
        vec![(Tag::Integer, vec![0x01, 0x2c]), (Tag::Boolean, vec![0xff])]
    );

    // Multi-valued RDN via the full override: { CN=x + UID=y } as one SET.
    let leaf = issue(
        CertSpec::default().subject_rdns(vec![
            vec![Attr::org("o")],
            vec![Attr::uid("y"), Attr::cn("x")],
        ]),
        KeyKind::Ed25519.shared(),
        &ca,
    );
    let cert = parse(&leaf.cert_der);
    let s = subject_attrs(&cert);
    assert_eq!(s.len(), 2);
    assert_eq!(s[1].len(), 2, "second RDN must be multi-valued: {s:?}");
    let mut oids: Vec<&str> = s[1].iter().map(|(o, _, _)| o.as_str()).collect();
    oids.sort();
    assert_eq!(oids, ["1.3.6.1.4.1.57683.2", "2.5.4.3"]);
    // Still a valid chain as far as webpki is concerned (names are opaque to it).
    webpki_verify(
        &ca,
        std::slice::from_ref(&leaf.cert_der),
        webpki::KeyUsage::client_auth(),
        UnixTime::now(),
    )
    .expect("multi-valued RDN leaf should verify");
}

#[test]
fn extensions_are_as_requested() {
    use x509_parser::extensions::BasicConstraints as Bc;
    let key = KeyKind::EcdsaP384.shared();
    let root = self_signed(ca_spec("root").path_len(2), key.clone());
    let c = parse(&root.cert_der);
    let bc = c.basic_constraints().unwrap().expect("basicConstraints");
    assert!(bc.critical);
    assert_eq!(
        *bc.value,
        Bc {
            ca: true,
            path_len_constraint: Some(2)
        }
    );
    let ku = c.key_usage().unwrap().expect("keyUsage");
    assert!(ku.critical);
    assert!(ku.value.key_cert_sign() && ku.value.crl_sign() && ku.value.digital_signature());
    assert!(!ku.value.key_encipherment());
    assert!(c.extended_key_usage().unwrap().is_none());
    // SKI present on CAs and the self-signed AKI equals it.
    let ski = match ext(&c, &[2, 5, 29, 14]).expect("SKI").parsed_extension() {
        ParsedExtension::SubjectKeyIdentifier(k) => k.0.to_vec(),
        other => panic!("{other:?}"),
    };
    let aki_of = |cert: &X509Certificate<'_>| match ext(cert, &[2, 5, 29, 35])
        .expect("AKI")
        .parsed_extension()
    {
        ParsedExtension::AuthorityKeyIdentifier(a) => a.key_identifier.as_ref().unwrap().0.to_vec(),
        other => panic!("{other:?}"),
    };
    assert_eq!(aki_of(&c), ski);

    let unconstrained = self_signed(ca_spec("root2"), key.clone());
    let bc = parse(&unconstrained.cert_der)
        .basic_constraints()
        .unwrap()
        .unwrap()
        .value
        .clone();
    assert_eq!(
        bc,
        Bc {
            ca: true,
            path_len_constraint: None
        }
    );

    // ExplicitNoCa: extension present with cA=FALSE; NoCa: absent.
    let explicit = issue(
        client_leaf_spec("e").ca(IsCa::ExplicitNoCa),
        key.clone(),
        &root,
    );
    let ec = parse(&explicit.cert_der);
    let bc = ec.basic_constraints().unwrap().expect("basicConstraints");
    assert!(bc.critical && !bc.value.ca && bc.value.path_len_constraint.is_none());
    assert_eq!(aki_of(&ec), ski, "child AKI must equal issuer SKI");

    // Leaf: everything else.
    let serial = [0x7f, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08];
    let nb = OffsetDateTime::now_utc() - Duration::days(3);
    let na = OffsetDateTime::now_utc() + Duration::days(7);
    let spec = client_leaf_spec("leaf")
        .ekus(&[
            ExtendedKeyUsagePurpose::ClientAuth,
            ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 4, 1, 32473, 9]),
        ])
        .any_eku()
        .key_usages(&[
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::DecipherOnly,
        ])
        .serial(&serial)
        .validity(nb, na)
        .dns("proxy.example.com")
        .dns("10.0.0.1")
        .unknown_critical_extension();
    let leaf = issue(spec, KeyKind::EcdsaP256.fresh(), &root);
    let l = parse(&leaf.cert_der);
    assert!(
        l.basic_constraints().unwrap().is_none(),
        "NoCa must have no basicConstraints"
    );
    assert!(
        ext(&l, &[2, 5, 29, 14]).is_none(),
        "rcgen writes no SKI for NoCa"
    );
    assert_eq!(aki_of(&l), ski);
    let eku = l.extended_key_usage().unwrap().expect("EKU");
    assert!(!eku.critical);
    assert!(eku.value.client_auth && eku.value.any && !eku.value.server_auth);
    assert_eq!(eku.value.other.len(), 1);
    assert_eq!(eku.value.other[0].to_id_string(), "1.3.6.1.4.1.32473.9");
    let ku = l.key_usage().unwrap().expect("KU");
    assert!(ku.critical);
    assert!(ku.value.digital_signature() && ku.value.decipher_only() && !ku.value.key_cert_sign());
    // DER-minimal named bit string: decipherOnly is bit 8 -> 2 bytes, 7 unused bits.
    assert_eq!(
        ext(&l, OID_KEY_USAGE).unwrap().value,
        &[0x03, 0x03, 0x07, 0x80, 0x80]
    );
    assert_eq!(l.raw_serial(), &serial);
    assert_eq!(l.validity().not_before.timestamp(), nb.unix_timestamp());
    assert_eq!(l.validity().not_after.timestamp(), na.unix_timestamp());
    let unk = ext(&l, OID_UNKNOWN_EXT).expect("unknown extension");
    assert!(unk.critical);
    let san = l.subject_alternative_name().unwrap().expect("SAN");
    assert!(matches!(
        san.value.general_names[0],
        GeneralName::DNSName("proxy.example.com")
    ));
    assert!(matches!(
        san.value.general_names[1],
        GeneralName::IPAddress([10, 0, 0, 1])
    ));

    // Empty KU / EKU / SAN lists mean no extension at all.
    let bare = issue(CertSpec::with_cn("bare"), key.clone(), &root);
    let b = parse(&bare.cert_der);
    assert!(b.key_usage().unwrap().is_none());
    assert!(b.extended_key_usage().unwrap().is_none());
    assert!(b.subject_alternative_name().unwrap().is_none());
    // rcgen 0.13.2 would drop a KU that is the only extension; we don't.
    let ku_only = self_signed(
        CertSpec::with_cn("ku-only")
            .without_aki()
            .key_usages(&[KeyUsagePurpose::KeyAgreement]),
        key.clone(),
    );
    let k = parse(&ku_only.cert_der);
    assert_eq!(k.extensions().len(), 1);
    assert!(k.key_usage().unwrap().unwrap().value.key_agreement());

    // Hand-made basicConstraints / EKU shapes rcgen cannot express.
    let odd = issue(
        CertSpec::with_cn("odd")
            .extension(basic_constraints_extension(true, Some(0), false))
            .extension(extended_key_usage_extension(&[OID_ANY_EKU], true)),
        key.clone(),
        &root,
    );
    let o = parse(&odd.cert_der);
    let bc = o.basic_constraints().unwrap().unwrap();
    assert!(!bc.critical && bc.value.ca && bc.value.path_len_constraint == Some(0));
    let eku = o.extended_key_usage().unwrap().unwrap();
    assert!(eku.critical && eku.value.any && !eku.value.client_auth);

    // Serial numbers default to unique values even with a shared key.
    let a = parse(&issue(CertSpec::with_cn("s"), key.clone(), &root).cert_der)
        .raw_serial()
        .to_vec();
    let b = parse(&issue(CertSpec::with_cn("s"), key.clone(), &root).cert_der)
        .raw_serial()
        .to_vec();
    assert_ne!(a, b);
    assert_eq!(a.len(), 16);
}

#[test]
fn three_cert_chain_verifies_for_every_key_kind() {
    for kind in KeyKind::ALL {
        let chain = Chain::uniform(kind, 1);
        let presented = chain.presented_der();
        assert_eq!(presented.len(), 2);
        assert_eq!(presented[0], chain.leaf.cert_der);
        assert_eq!(presented[1], chain.intermediates[0].cert_der);
        verify_chain(&chain).unwrap_or_else(|e| panic!("{kind:?}: {e:?}"));
        // keys within a chain are distinct
        let spki = |i: &Issued| i.key.public_key_der();
        assert_ne!(spki(&chain.root), spki(&chain.intermediates[0]), "{kind:?}");
        assert_ne!(spki(&chain.intermediates[0]), spki(&chain.leaf), "{kind:?}");
        // RSA key sizes are as requested
        if let Some(bits) = kind.rsa_bits() {
            let c = parse(&chain.leaf.cert_der);
            let x509_parser::public_key::PublicKey::RSA(rsa) = c.public_key().parsed().unwrap()
            else {
                panic!("{kind:?}: not an RSA key")
            };
            assert_eq!(rsa.key_size(), bits as usize, "{kind:?}");
        }
    }
}

#[test]
fn mixed_key_kinds_and_deep_chains_verify() {
    let chain = Chain::new(
        KeyKind::Rsa2048,
        &[KeyKind::EcdsaP384, KeyKind::Ed25519],
        KeyKind::EcdsaP256,
    );
    let presented = chain.presented_der();
    assert_eq!(presented.len(), 3);
    // leaf, then the intermediate that signed it, then the one below the root
    assert_eq!(presented[1], chain.intermediates[1].cert_der);
    assert_eq!(presented[2], chain.intermediates[0].cert_der);
    verify_chain(&chain).expect("mixed chain");

    // Same chain checked by OpenSSL as an independent DER/signature check.
    let dir = PkiDir::new();
    let ca = dir.write_cert("ca.pem", &chain.root);
    let untrusted = dir.write_bundle("inter.pem", &chain.intermediates.iter().collect::<Vec<_>>());
    let leaf = dir.write_cert("leaf.pem", &chain.leaf);
    let out = std::process::Command::new("openssl")
        .args(["verify", "-x509_strict", "-purpose", "sslclient", "-CAfile"])
        .arg(&ca)
        .arg("-untrusted")
        .arg(&untrusted)
        .arg(&leaf)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn webpki_rejections_match_the_knobs() {
    let chain = Chain::uniform(KeyKind::EcdsaP256, 1);
    let issuer = chain.leaf_issuer();
    let inter = chain.intermediates[0].cert_der.clone();
    let check = |leaf: &Issued| {
        webpki_verify(
            &chain.root,
            &[leaf.cert_der.clone(), inter.clone()],
            webpki::KeyUsage::client_auth(),
            UnixTime::now(),
        )
    };

    let leaf = issue(
        client_leaf_spec("x").unknown_critical_extension(),
        KeyKind::EcdsaP256.fresh(),
        issuer,
    );
    assert_eq!(
        check(&leaf),
        Err(webpki::Error::UnsupportedCriticalExtension)
    );

    let leaf = issue(
        client_leaf_spec("x").expired(),
        KeyKind::EcdsaP256.shared(),
        issuer,
    );
    assert!(
        matches!(check(&leaf), Err(webpki::Error::CertExpired { .. })),
        "{:?}",
        check(&leaf)
    );

    let leaf = issue(
        client_leaf_spec("x").not_yet_valid(),
        KeyKind::EcdsaP256.shared(),
        issuer,
    );
    assert!(
        matches!(check(&leaf), Err(webpki::Error::CertNotValidYet { .. })),
        "{:?}",
        check(&leaf)
    );

    let leaf = issue(
        client_leaf_spec("x").ekus(&[ExtendedKeyUsagePurpose::ServerAuth]),
        KeyKind::EcdsaP256.shared(),
        issuer,
    );
    assert!(
        matches!(
            check(&leaf),
            Err(webpki::Error::RequiredEkuNotFoundContext(_))
        ),
        "{:?}",
        check(&leaf)
    );

    // Intermediate missing from the presented chain.
    assert_eq!(
        webpki_verify(
            &chain.root,
            std::slice::from_ref(&chain.leaf.cert_der),
            webpki::KeyUsage::client_auth(),
            UnixTime::now()
        ),
        Err(webpki::Error::UnknownIssuer)
    );

    // pathLen 0 on the first intermediate forbids a second intermediate below it.
    let constrained = Chain::from_specs(
        (ca_spec("root-pl"), KeyKind::EcdsaP256.pooled(0)),
        vec![
            (
                intermediate_spec("inter-pl0").path_len(0),
                KeyKind::EcdsaP256.pooled(1),
            ),
            (intermediate_spec("inter-2"), KeyKind::EcdsaP256.pooled(2)),
        ],
        (client_leaf_spec("leaf"), KeyKind::EcdsaP256.pooled(3)),
    );
    assert_eq!(
        verify_chain(&constrained),
        Err(webpki::Error::PathLenConstraintViolated)
    );
    // Note: webpki does NOT enforce pathLen on the trust anchor itself (a
    // TrustAnchor keeps only subject, SPKI and name constraints), so a root
    // with pathLen 0 above an intermediate still verifies with webpki.
    let root_pl0 = Chain::from_specs(
        (
            ca_spec("root-pl0").path_len(0),
            KeyKind::EcdsaP256.pooled(0),
        ),
        vec![(intermediate_spec("inter"), KeyKind::EcdsaP256.pooled(1))],
        (client_leaf_spec("leaf"), KeyKind::EcdsaP256.pooled(2)),
    );
    assert_eq!(verify_chain(&root_pl0), Ok(()));

    // Same name, different key: a look-alike root does not anchor the chain.
    let lookalike = self_signed(ca_spec("test-root-ca"), KeyKind::EcdsaP256.fresh());
    assert_eq!(lookalike.subject_der, chain.root.subject_der);
    let err = webpki_verify(
        &lookalike,
        &chain.presented_der(),
        webpki::KeyUsage::client_auth(),
        UnixTime::now(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            webpki::Error::UnknownIssuer | webpki::Error::InvalidSignatureForPublicKey
        ),
        "{err:?}"
    );

    // Corrupted signature.
    let bad = corrupt_signature(&chain.leaf.cert_der);
    let err = webpki_verify(
        &chain.root,
        &[bad, inter.clone()],
        webpki::KeyUsage::client_auth(),
        UnixTime::now(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            webpki::Error::InvalidSignatureForPublicKey | webpki::Error::UnknownIssuer
        ),
        "{err:?}"
    );
}

#[test]
fn keys_are_memoized_or_fresh_as_asked() {
    for kind in [KeyKind::Rsa2048, KeyKind::EcdsaP256, KeyKind::Ed25519] {
        let a = kind.shared();
        let b = kind.shared();
        assert!(std::sync::Arc::ptr_eq(&a, &b), "{kind:?}");
        assert_eq!(a.algorithm(), kind.signature_algorithm());
        let p1 = kind.pooled(7);
        assert!(std::sync::Arc::ptr_eq(&p1, &kind.pooled(7)));
        assert_ne!(p1.public_key_der(), a.public_key_der());
        let f = kind.fresh();
        assert_ne!(f.public_key_der(), a.public_key_der(), "{kind:?}");
        assert_ne!(
            f.public_key_der(),
            kind.fresh().public_key_der(),
            "{kind:?}"
        );
    }
}

#[test]
fn pem_bundle_and_temp_files_round_trip() {
    let chain = Chain::uniform(KeyKind::Ed25519, 2);
    let bundle = chain.presented_pem();
    assert!(!bundle.contains('\r'));
    let blocks = pem::parse_many(&bundle).unwrap();
    assert_eq!(blocks.len(), 3);
    for (b, d) in blocks.iter().zip(chain.presented_der()) {
        assert_eq!(b.tag(), "CERTIFICATE");
        assert_eq!(b.contents(), d.as_slice());
    }
    assert_eq!(
        pem_bundle(&[&chain.root, &chain.leaf]),
        format!("{}{}", chain.root.pem, chain.leaf.pem)
    );

    let f = write_temp(&bundle);
    assert_eq!(std::fs::read_to_string(f.path()).unwrap(), bundle);
    let path = f.path().to_path_buf();
    drop(f);
    assert!(!path.exists(), "temp file must be removed on drop");

    let dir = PkiDir::new();
    let key_path = dir.write_key("leaf.key", &chain.leaf);
    let key_pem = std::fs::read_to_string(&key_path).unwrap();
    assert!(key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    // The written key matches the certificate's public key.
    let reloaded = KeyPair::from_pem(&key_pem).unwrap();
    assert_eq!(
        reloaded.public_key_der(),
        parse(&chain.leaf.cert_der).public_key().raw.to_vec()
    );
    assert!(key_path.starts_with(dir.path()));
}

#[test]
fn der_helpers_encode_correctly() {
    assert_eq!(
        der::oid(OID_K8S_UID),
        [0x06, 0x09, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x83, 0xc2, 0x53, 0x02]
    );
    assert_eq!(der::integer(0), [0x02, 0x01, 0x00]);
    assert_eq!(der::integer(127), [0x02, 0x01, 0x7f]);
    assert_eq!(der::integer(128), [0x02, 0x02, 0x00, 0x80]);
    assert_eq!(der::integer(-1), [0x02, 0x01, 0xff]);
    assert_eq!(der::integer(-129), [0x02, 0x02, 0xff, 0x7f]);
    let long = der::tlv(0x04, &[0u8; 300]);
    assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2c]);
    let (t, c, rest) = der::parse_tlv(&long);
    assert_eq!((t, c.len(), rest.len()), (0x04, 300, 0));
}
