//! Issue 3: the verdict cache, per-connection handles and hot reload.
//!
//! Time is injected with `ManualClock`; certificates are generated at test time with explicit
//! validity windows so that "the earliest notAfter on the path" is a known instant.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::pki::*;
use frontproxy::{
    AuthConfig, Authentication, Authenticator, AuthenticatorOptions, CaBundle, CacheOptions,
    CertificateDer, ConfigSource, Decision, Handshake, KubeAuthFlags, Limits, ManualClock, Reason,
    RequestHeaderOptions, RequestHeaders, UnixTime,
};

const ALICE: [(&[u8], &[u8]); 2] = [(b"X-Remote-User", b"alice"), (b"X-Remote-Group", b"dev")];

fn headers() -> RequestHeaders<'static> {
    RequestHeaders::from_pairs(&ALICE)
}

fn at(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(StdDuration::from_secs(t.unix_timestamp() as u64))
}

fn ders(certs: &[&Issued]) -> Vec<CertificateDer<'static>> {
    certs.iter().map(|c| c.der()).collect()
}

fn config_for(root: &Issued) -> AuthConfig {
    let ca = CaBundle::from_pem(root.pem.as_bytes(), "--requestheader-client-ca-file").unwrap();
    AuthConfig::builder()
        .request_header(ca, RequestHeaderOptions::default())
        .build()
        .unwrap()
}

fn authenticator(
    config: AuthConfig,
    clock: &Arc<ManualClock>,
    cache: CacheOptions,
) -> Authenticator {
    Authenticator::with_options(
        config,
        AuthenticatorOptions {
            cache: Some(cache),
            clock: clock.clone(),
            reload_interval: StdDuration::from_secs(10),
            ..AuthenticatorOptions::default()
        },
    )
}

fn is_alice(r: &Authentication) -> bool {
    matches!(&r.decision, Decision::Authenticated { user, .. } if user.name == "alice")
}

fn reason(r: &Authentication) -> Option<Reason> {
    match &r.decision {
        Decision::Rejected(e) => Some(e.reason),
        _ => None,
    }
}

/// A root, an intermediate and a leaf whose windows are set relative to `t0`:
/// the intermediate has the earliest notAfter (t0 + 1000 s).
struct TimedPki {
    t0: OffsetDateTime,
    root: Issued,
    intermediate: Issued,
    leaf: Issued,
}

fn timed_pki(root_after: i64, inter_after: i64, leaf_after: i64) -> TimedPki {
    let t0 =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    let nb = t0 - Duration::hours(1);
    let root = self_signed(
        ca_spec("cache-root").validity(nb, t0 + Duration::seconds(root_after)),
        KeyKind::EcdsaP256.pooled(0),
    );
    let intermediate = issue(
        intermediate_spec("cache-intermediate").validity(nb, t0 + Duration::seconds(inter_after)),
        KeyKind::EcdsaP256.pooled(1),
        &root,
    );
    let leaf = issue(
        client_leaf_spec("front-proxy-client").validity(nb, t0 + Duration::seconds(leaf_after)),
        KeyKind::EcdsaP256.pooled(2),
        &intermediate,
    );
    TimedPki {
        t0,
        root,
        intermediate,
        leaf,
    }
}

#[test]
fn cache_hit_requires_every_certificate_of_the_chain_to_match() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let good = ders(&[&pki.leaf, &pki.intermediate]);
    assert!(is_alice(
        &auth
            .authenticate_chain(&good, Handshake::Full, &headers())
            .into_owned()
    ));
    let second = auth
        .authenticate_chain(&good, Handshake::Full, &headers())
        .into_owned();
    assert!(second.from_cache && is_alice(&second));

    // Same leaf, a different (untrusted) intermediate with the same name and key: the digest
    // differs, so the chain is verified on its own — and fails.
    let other_root = self_signed(ca_spec("cache-root"), KeyKind::EcdsaP256.pooled(5));
    let forged_intermediate = issue(
        intermediate_spec("cache-intermediate"),
        KeyKind::EcdsaP256.pooled(1),
        &other_root,
    );
    let forged = vec![pki.leaf.der(), forged_intermediate.der()];
    let r = auth
        .authenticate_chain(&forged, Handshake::Full, &headers())
        .into_owned();
    assert!(
        !r.from_cache,
        "a chain differing in its intermediate must not hit"
    );
    // The forged intermediate names the trusted root as issuer but was signed by another key.
    assert_eq!(reason(&r), Some(Reason::BadSignature));

    // A different leaf under the same intermediate: its own verdict.
    let other_leaf = issue(
        client_leaf_spec("front-proxy-client"),
        KeyKind::EcdsaP256.pooled(3),
        &pki.intermediate,
    );
    let r = auth
        .authenticate_chain(
            &ders(&[&other_leaf, &pki.intermediate]),
            Handshake::Full,
            &headers(),
        )
        .into_owned();
    assert!(!r.from_cache && is_alice(&r));

    // An extra certificate appended changes the digest too.
    let r = auth
        .authenticate_chain(
            &ders(&[&pki.leaf, &pki.intermediate, &pki.root]),
            Handshake::Full,
            &headers(),
        )
        .into_owned();
    assert!(!r.from_cache && is_alice(&r));
    let stats = auth.cache_stats();
    assert_eq!(stats.hits, 1);
    assert_eq!(stats.misses, 4);
    assert_eq!(stats.rejections, 1);
}

#[test]
fn cache_entries_do_not_survive_a_configuration_change() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let chain = ders(&[&pki.leaf, &pki.intermediate]);
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));
    assert!(
        auth.authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
            .from_cache
    );

    let other = self_signed(ca_spec("another-ca"), KeyKind::EcdsaP256.pooled(6));
    let new_config = config_for(&other);
    let new_generation = new_config.generation();
    auth.reload(new_config);
    let r = auth
        .authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    assert!(!r.from_cache);
    assert_eq!(r.generation, new_generation);
    assert_eq!(reason(&r), Some(Reason::UnknownAuthority));
}

#[test]
fn cached_positive_verdict_ends_at_the_earliest_not_after_on_the_path() {
    // Table: which certificate expires first; the cache must stop at that instant.
    for (name, root_after, inter_after, leaf_after) in [
        ("intermediate first", 5_000, 1_000, 9_000),
        ("root first", 1_000, 5_000, 9_000),
        ("leaf first", 9_000, 5_000, 1_000),
    ] {
        let pki = timed_pki(root_after, inter_after, leaf_after);
        let clock = Arc::new(ManualClock::new(at(pki.t0)));
        let auth = authenticator(
            config_for(&pki.root),
            &clock,
            CacheOptions {
                positive_ttl: StdDuration::from_secs(86_400),
                ..CacheOptions::default()
            },
        );
        let chain = ders(&[&pki.leaf, &pki.intermediate]);
        assert!(
            is_alice(
                &auth
                    .authenticate_chain(&chain, Handshake::Full, &headers())
                    .into_owned()
            ),
            "{name}"
        );

        clock.set(at(pki.t0 + Duration::seconds(1_000)));
        let r = auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned();
        assert!(
            r.from_cache && is_alice(&r),
            "{name}: still valid at notAfter itself"
        );

        clock.set(at(pki.t0 + Duration::seconds(1_001)));
        let r = auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned();
        assert!(
            !r.from_cache,
            "{name}: the entry must not outlive the earliest notAfter"
        );
        assert_eq!(reason(&r), Some(Reason::CertificateExpired), "{name}");
    }
}

#[test]
fn positive_ttl_bounds_an_entry_even_when_certificates_live_longer() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(
        config_for(&pki.root),
        &clock,
        CacheOptions {
            positive_ttl: StdDuration::from_secs(60),
            ..CacheOptions::default()
        },
    );
    let chain = ders(&[&pki.leaf, &pki.intermediate]);
    auth.authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    clock.advance(60);
    assert!(
        auth.authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
            .from_cache
    );
    clock.advance(1);
    let r = auth
        .authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    assert!(!r.from_cache && is_alice(&r));
}

#[test]
fn negative_verdicts_are_short_lived_and_never_outlive_a_time_dependent_reason() {
    // Not yet valid: rejected now, accepted as soon as notBefore passes (no cached rejection).
    let t0 =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    let root = self_signed(ca_spec("nyv-root"), KeyKind::EcdsaP256.pooled(0));
    let leaf = issue(
        client_leaf_spec("front-proxy-client")
            .validity(t0 + Duration::seconds(30), t0 + Duration::days(1)),
        KeyKind::EcdsaP256.pooled(2),
        &root,
    );
    let clock = Arc::new(ManualClock::new(at(t0)));
    let auth = authenticator(config_for(&root), &clock, CacheOptions::default());
    let chain = vec![leaf.der()];
    assert_eq!(
        reason(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        Some(Reason::CertificateNotYetValid)
    );
    clock.set(at(t0 + Duration::seconds(30)));
    let r = auth
        .authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    assert!(
        !r.from_cache && is_alice(&r),
        "a not-yet-valid rejection must not be served after notBefore"
    );

    // A reason that does not depend on time is cached, for negative_ttl only.
    let stranger = self_signed(ca_spec("stranger"), KeyKind::EcdsaP256.pooled(7));
    let stranger_leaf = issue(
        client_leaf_spec("front-proxy-client"),
        KeyKind::EcdsaP256.pooled(8),
        &stranger,
    );
    let auth = authenticator(
        config_for(&root),
        &clock,
        CacheOptions {
            negative_ttl: StdDuration::from_secs(5),
            ..CacheOptions::default()
        },
    );
    let chain = vec![stranger_leaf.der()];
    assert_eq!(
        reason(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        Some(Reason::UnknownAuthority)
    );
    clock.advance(5);
    let r = auth
        .authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    assert!(r.from_cache);
    assert_eq!(reason(&r), Some(Reason::UnknownAuthority));
    clock.advance(1);
    assert!(
        !auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
            .from_cache
    );
}

#[test]
fn resumed_session_presenting_only_the_leaf_reuses_a_positive_verdict_only() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let leaf_only = vec![pki.leaf.der()];
    let chain_of = |handshake| {
        auth.authenticate_chain(&leaf_only, handshake, &headers())
            .into_owned()
    };

    // Never seen with its intermediate: the leaf alone cannot be verified, resumed or not.
    assert_eq!(
        reason(&chain_of(Handshake::Full)),
        Some(Reason::UnknownAuthority)
    );
    assert_eq!(
        reason(&chain_of(Handshake::Resumed)),
        Some(Reason::UnknownAuthority)
    );
    // Verified once with the full chain ...
    assert!(is_alice(
        &auth
            .authenticate_chain(
                &ders(&[&pki.leaf, &pki.intermediate]),
                Handshake::Full,
                &headers()
            )
            .into_owned()
    ));
    // ... then a resumed session (leaf only) is accepted from the cache, although a negative
    // verdict for the leaf alone was cached before.
    let r = chain_of(Handshake::Resumed);
    assert!(r.from_cache && is_alice(&r), "{r:?}");

    // The leaf-only entry obeys the same window: past the earliest notAfter it is gone.
    clock.advance(100_001);
    assert_ne!(reason(&chain_of(Handshake::Resumed)), None);

    // A negative verdict for a full chain is never reused for its leaf alone.
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let other = self_signed(ca_spec("other"), KeyKind::EcdsaP256.pooled(9));
    let untrusted_chain = vec![
        pki.leaf.der(),
        issue(
            intermediate_spec("cache-intermediate"),
            KeyKind::EcdsaP256.pooled(1),
            &other,
        )
        .der(),
    ];
    let untrusted = auth.authenticate_chain(&untrusted_chain, Handshake::Full, &headers());
    assert!(untrusted.is_rejected());
    let r = auth
        .authenticate_chain(&[pki.leaf.der()], Handshake::Resumed, &headers())
        .into_owned();
    assert!(!r.from_cache);
    assert_eq!(reason(&r), Some(Reason::UnknownAuthority));
}

/// Kubernetes takes intermediates only from the presented chain: a FULL handshake that presents
/// the leaf alone is rejected when the intermediate is needed, whatever was seen before. Only a
/// host that says the session was resumed gets the earlier verdict (parity gap 3 of issue 7).
#[test]
fn a_fresh_handshake_presenting_only_the_leaf_never_borrows_an_earlier_verdict() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let full = ders(&[&pki.leaf, &pki.intermediate]);
    let leaf_only = vec![pki.leaf.der()];
    // The verdict-cache path.
    assert!(is_alice(
        &auth
            .authenticate_chain(&full, Handshake::Full, &headers())
            .into_owned()
    ));
    for _ in 0..2 {
        let r = auth
            .authenticate_chain(&leaf_only, Handshake::Full, &headers())
            .into_owned();
        assert_eq!(reason(&r), Some(Reason::UnknownAuthority), "{r:?}");
    }
    // The per-connection path: the same rule.
    let mut fresh = auth.verify_peer(&leaf_only, Handshake::Full);
    let r = auth.authenticate(&mut fresh, &headers()).into_owned();
    assert_eq!(reason(&r), Some(Reason::UnknownAuthority), "{r:?}");
    let mut resumed = auth.verify_peer(&leaf_only, Handshake::Resumed);
    let r = auth.authenticate(&mut resumed, &headers()).into_owned();
    assert!(is_alice(&r), "{r:?}");
    // A resumed handle renews through the same rule after a reload: the new generation has
    // no verdict for the leaf with its intermediate, so it fails closed (the host closes the
    // connection; the client's next full handshake presents the whole chain).
    auth.reload(config_for(&pki.root));
    let r = auth.authenticate(&mut resumed, &headers()).into_owned();
    assert_eq!(reason(&r), Some(Reason::UnknownAuthority), "{r:?}");
}

#[test]
fn per_connection_handle_renews_on_reload_and_expires_with_its_path() {
    let pki = timed_pki(100_000, 1_000, 100_000);
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config_for(&pki.root), &clock, CacheOptions::default());
    let mut peer = auth.verify_peer(&ders(&[&pki.leaf, &pki.intermediate]), Handshake::Full);
    assert!(is_alice(
        &auth.authenticate(&mut peer, &headers()).into_owned()
    ));
    let verified_at = peer.verified_at();
    clock.advance(10);
    assert!(is_alice(
        &auth.authenticate(&mut peer, &headers()).into_owned()
    ));
    assert_eq!(
        peer.verified_at(),
        verified_at,
        "inside its window the handle is reused"
    );

    // Past the intermediate's notAfter the handle is verified again and fails.
    clock.set(at(pki.t0 + Duration::seconds(1_001)));
    assert_eq!(
        reason(&auth.authenticate(&mut peer, &headers()).into_owned()),
        Some(Reason::CertificateExpired)
    );

    // A reload to a CA that does not trust the chain: the old handle must not keep trusting it.
    clock.set(at(pki.t0));
    let mut peer = auth.verify_peer(&ders(&[&pki.leaf, &pki.intermediate]), Handshake::Full);
    assert!(is_alice(
        &auth.authenticate(&mut peer, &headers()).into_owned()
    ));
    auth.reload(config_for(&self_signed(
        ca_spec("new-ca"),
        KeyKind::EcdsaP256.pooled(6),
    )));
    assert_eq!(
        reason(&auth.authenticate(&mut peer, &headers()).into_owned()),
        Some(Reason::UnknownAuthority)
    );
    // And back: the handle follows the configuration again.
    auth.reload(config_for(&pki.root));
    assert!(is_alice(
        &auth.authenticate(&mut peer, &headers()).into_owned()
    ));
}

#[test]
fn reload_under_load_every_decision_matches_the_configuration_that_made_it() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let other = self_signed(ca_spec("other-ca"), KeyKind::EcdsaP256.pooled(6));
    let trusting = config_for(&pki.root);
    let distrusting = config_for(&other);
    let (g_trust, g_distrust) = (trusting.generation(), distrusting.generation());
    let auth = Arc::new(Authenticator::new(trusting.clone()));
    let chain = Arc::new(ders(&[&pki.leaf, &pki.intermediate]));
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicU64::new(0));

    let workers: Vec<_> = (0..3)
        .map(|w| {
            let (auth, chain, stop, checked) =
                (auth.clone(), chain.clone(), stop.clone(), checked.clone());
            std::thread::spawn(move || {
                let mut peer = auth.verify_peer(&chain, Handshake::Full);
                let h = headers();
                while !stop.load(Ordering::Relaxed) {
                    let r = if w == 0 {
                        auth.authenticate(&mut peer, &h).into_owned()
                    } else {
                        auth.authenticate_chain(&chain, Handshake::Full, &h)
                            .into_owned()
                    };
                    if r.generation == g_trust {
                        assert!(
                            is_alice(&r),
                            "decided by the trusting configuration: {:?}",
                            r.decision
                        );
                    } else if r.generation == g_distrust {
                        assert_eq!(reason(&r), Some(Reason::UnknownAuthority));
                    } else {
                        panic!("decided by an unknown generation {}", r.generation);
                    }
                    checked.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for i in 0..200 {
        // Reload clones keep their generation, so each decision names its configuration.
        auth.reload(if i % 2 == 0 {
            distrusting.clone()
        } else {
            trusting.clone()
        });
        std::thread::sleep(StdDuration::from_millis(2));
    }
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.join().expect("a worker panicked");
    }
    assert!(checked.load(Ordering::Relaxed) > 200);
}

fn configmap_json(requestheader_pem: &str) -> String {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "extension-apiserver-authentication", "namespace": "kube-system"},
        "data": {
            "requestheader-client-ca-file": requestheader_pem,
            "requestheader-username-headers": "[\"X-Remote-User\"]",
            "requestheader-group-headers": "[\"X-Remote-Group\"]",
            "requestheader-extra-headers-prefix": "[\"X-Remote-Extra-\"]",
            "requestheader-allowed-names": "[\"front-proxy-client\"]"
        }
    })
    .to_string()
}

/// Writes `contents` the way the kubelet updates a mounted ConfigMap: a new timestamped
/// directory, then an atomic rename of the `..data` symlink.
fn kubelet_write(dir: &Path, version: u32, contents: &str) {
    let data = dir.join(format!("..{version}"));
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("cm.json"), contents).unwrap();
    let tmp = dir.join("..data_tmp");
    std::os::unix::fs::symlink(format!("..{version}"), &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("..data")).unwrap();
    if !dir.join("cm.json").exists() {
        std::os::unix::fs::symlink("..data/cm.json", dir.join("cm.json")).unwrap();
    }
}

#[test]
fn file_source_reloads_on_content_change_through_a_symlink_swap_and_keeps_the_last_good_config() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let other = self_signed(ca_spec("other-ca"), KeyKind::EcdsaP256.pooled(6));
    let dir = tempfile::tempdir().unwrap();
    kubelet_write(dir.path(), 1, &configmap_json(&pki.root.pem));
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = Authenticator::from_source(
        ConfigSource::ConfigMapFile(dir.path().join("cm.json")),
        AuthenticatorOptions {
            cache: Some(CacheOptions::default()),
            clock: clock.clone(),
            reload_interval: StdDuration::from_secs(10),
            ..AuthenticatorOptions::default()
        },
    )
    .unwrap();
    let chain = ders(&[&pki.leaf, &pki.intermediate]);
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));
    let g1 = auth.config().generation();

    // Same content rewritten (a new mtime): no reload.
    kubelet_write(dir.path(), 2, &configmap_json(&pki.root.pem));
    assert_eq!(auth.check_source(), Ok(false));
    assert_eq!(auth.config().generation(), g1);

    // New content via symlink swap: picked up by the request path only after the interval.
    kubelet_write(dir.path(), 3, &configmap_json(&other.pem));
    clock.advance(5);
    assert!(
        is_alice(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        "checked at most every 10 s"
    );
    clock.advance(6);
    let r = auth
        .authenticate_chain(&chain, Handshake::Full, &headers())
        .into_owned();
    assert_eq!(
        reason(&r),
        Some(Reason::UnknownAuthority),
        "the swapped ConfigMap is in force"
    );
    assert_ne!(auth.config().generation(), g1);
    assert_eq!(auth.reload_status().reloads, 1);

    // Broken PEM: the last good configuration stays, and the error says why.
    let g2 = auth.config().generation();
    kubelet_write(
        dir.path(),
        4,
        &configmap_json("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"),
    );
    let err = auth.check_source().unwrap_err();
    assert!(
        err.to_string().contains("requestheader-client-ca-file"),
        "{err}"
    );
    assert_eq!(auth.config().generation(), g2);
    assert_eq!(auth.reload_status().last_error, Some(err));
    assert_eq!(
        reason(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        Some(Reason::UnknownAuthority)
    );

    // Invalid JSON: same.
    kubelet_write(dir.path(), 5, "{\"kind\": \"ConfigMap\", \"data\": ");
    let err = auth.check_source().unwrap_err();
    assert!(err.to_string().contains("invalid JSON"), "{err}");
    assert_eq!(auth.config().generation(), g2);
    assert_eq!(auth.reload_status().failures, 2);

    // A good change again clears the error.
    kubelet_write(dir.path(), 6, &configmap_json(&pki.root.pem));
    assert_eq!(auth.check_source(), Ok(true));
    assert_eq!(auth.reload_status().last_error, None);
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));
}

#[test]
fn file_source_with_flags_watches_the_ca_files() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let other = self_signed(ca_spec("other-ca"), KeyKind::EcdsaP256.pooled(6));
    let dir = PkiDir::new();
    let ca_path = dir.write("front-proxy-ca.crt", &pki.root.pem);
    let flags = KubeAuthFlags::parse(&[format!(
        "--requestheader-client-ca-file={}",
        ca_path.display()
    )])
    .unwrap();
    let auth =
        Authenticator::from_source(ConfigSource::Flags(flags), AuthenticatorOptions::default())
            .unwrap();
    let chain = ders(&[&pki.leaf, &pki.intermediate]);
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));
    std::fs::write(&ca_path, "").unwrap();
    assert!(auth
        .check_source()
        .unwrap_err()
        .to_string()
        .contains("--requestheader-client-ca-file"));
    assert!(
        is_alice(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        "empty file: last good config stays"
    );
    std::fs::write(&ca_path, &other.pem).unwrap();
    assert_eq!(auth.check_source(), Ok(true));
    assert_eq!(
        reason(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        Some(Reason::UnknownAuthority)
    );
}

#[test]
fn cli_check_explain_says_whether_the_decision_came_from_the_cache() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let dir = PkiDir::new();
    let ca = dir.write_cert("ca.crt", &pki.root);
    let chain = dir.write_bundle("chain.pem", &[&pki.leaf, &pki.intermediate]);
    let run = |repeat: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_frontproxy"))
            .args(["check", "--requestheader-client-ca-file"])
            .arg(&ca)
            .arg("--chain")
            .arg(&chain)
            .args([
                "--header",
                "X-Remote-User: alice",
                "--explain",
                "--repeat",
                repeat,
            ])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0));
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(run("1").contains("verdict cache: miss"), "{}", run("1"));
    let twice = run("2");
    assert!(twice.contains("verdict cache: HIT"), "{twice}");
    assert!(twice.contains("1 hit(s), 1 miss(es)"), "{twice}");
}

#[test]
fn replace_source_switches_the_watched_files_and_stop_watching_ends_watching() {
    let pki = timed_pki(100_000, 100_000, 100_000);
    let other = self_signed(ca_spec("other-ca"), KeyKind::EcdsaP256.pooled(6));
    let dir = PkiDir::new();
    let first = dir.write("first.crt", &pki.root.pem);
    let second = dir.write("second.crt", &other.pem);
    let flags = |p: &Path| {
        KubeAuthFlags::parse(&[format!("--requestheader-client-ca-file={}", p.display())]).unwrap()
    };
    let auth = Authenticator::from_source(
        ConfigSource::Flags(flags(&first)),
        AuthenticatorOptions::default(),
    )
    .unwrap();
    let chain = ders(&[&pki.leaf, &pki.intermediate]);
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));

    auth.replace_source(ConfigSource::Flags(flags(&second)))
        .unwrap();
    assert_eq!(
        reason(
            &auth
                .authenticate_chain(&chain, Handshake::Full, &headers())
                .into_owned()
        ),
        Some(Reason::UnknownAuthority)
    );
    // The old file is not watched any more: changing it does nothing...
    std::fs::write(&first, &other.pem).unwrap();
    assert_eq!(auth.check_source(), Ok(false));
    // ...the new one is.
    std::fs::write(&second, &pki.root.pem).unwrap();
    assert_eq!(auth.check_source(), Ok(true));
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));

    // A failing replacement changes nothing.
    let missing = dir.path().join("missing.crt");
    let err = auth
        .replace_source(ConfigSource::Flags(flags(&missing)))
        .unwrap_err();
    assert_eq!(err.source, "--requestheader-client-ca-file", "{err}");
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));

    auth.stop_watching();
    std::fs::write(&second, &other.pem).unwrap();
    assert_eq!(auth.check_source(), Ok(false));
    assert!(is_alice(
        &auth
            .authenticate_chain(&chain, Handshake::Full, &headers())
            .into_owned()
    ));
}

#[test]
fn configuration_files_are_read_with_a_bound() {
    let err = Authenticator::from_source(
        ConfigSource::ConfigMapFile("/dev/zero".into()),
        AuthenticatorOptions::default(),
    )
    .err()
    .expect("an endless file must be refused");
    assert!(err.message.contains("larger than"), "{err}");
    let dir = PkiDir::new();
    let big = dir.write(
        "big.crt",
        vec![b'A'; Limits::DEFAULT.max_document_bytes + 1],
    );
    let err = KubeAuthFlags::parse(&[format!("--client-ca-file={}", big.display())])
        .unwrap()
        .to_config()
        .unwrap_err();
    assert_eq!(err.source, "--client-ca-file");
    assert!(err.message.contains("larger than"), "{err}");
}
