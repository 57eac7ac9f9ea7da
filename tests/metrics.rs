//! Issue 8, point 7: metrics. An authenticator driven through authenticated, anonymous and
//! rejected requests (both paths: per connection and verdict cache) counts them by outcome,
//! authenticator and reason; reports the cache, reloads, the generation and certificate
//! expiries; and renders all of it in the Prometheus text format, parsed back here.
//!
//! Time is a `ManualClock`; certificates are generated at test time with validity windows set
//! relative to `t0`, so every expiry is a known number of seconds.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use common::pki::*;
use frontproxy::{
    AuthConfig, AuthError, Authenticator, AuthenticatorKind, AuthenticatorOptions, CaBundle,
    CacheOptions, CertificateDer, ConfigSource, Handshake, ManualClock, Metrics, Reason,
    RequestHeaderOptions, RequestHeaders, UnixTime,
};

const ALICE: [(&[u8], &[u8]); 2] = [(b"X-Remote-User", b"alice"), (b"X-Remote-Group", b"dev")];
const BAD_HEADER: [(&[u8], &[u8]); 1] = [(b"X-Remote-User", b"bad\x01value")];

fn alice() -> RequestHeaders<'static> {
    RequestHeaders::from_pairs(&ALICE)
}

fn none() -> RequestHeaders<'static> {
    RequestHeaders::from_pairs(&[])
}

fn at(t: OffsetDateTime) -> UnixTime {
    UnixTime::since_unix_epoch(StdDuration::from_secs(t.unix_timestamp() as u64))
}

fn ders(certs: &[&Issued]) -> Vec<CertificateDer<'static>> {
    certs.iter().map(|c| c.der()).collect()
}

/// The request-header CA (root → intermediate → front-proxy leaf) and a client CA with a user
/// leaf; the earliest notAfter of each is a known offset from `t0`.
struct Pki {
    t0: OffsetDateTime,
    rh_root: Issued,
    rh_intermediate: Issued,
    proxy: Issued,
    /// Under the request-header CA, with a CN that is not allowed.
    stranger: Issued,
    client_root: Issued,
    bob: Issued,
    /// A root nobody trusts, and a leaf under it.
    rogue: Issued,
}

const RH_ROOT_AFTER: i64 = 90_000;
const PROXY_AFTER: i64 = 3_000;
const CLIENT_ROOT_AFTER: i64 = 7_000;

fn pki() -> Pki {
    let t0 =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    let nb = t0 - Duration::hours(1);
    let after = |s: i64| t0 + Duration::seconds(s);
    let rh_root = self_signed(
        ca_spec("metrics-rh-root").validity(nb, after(RH_ROOT_AFTER)),
        KeyKind::EcdsaP256.pooled(0),
    );
    let rh_intermediate = issue(
        intermediate_spec("metrics-rh-intermediate").validity(nb, after(50_000)),
        KeyKind::EcdsaP256.pooled(1),
        &rh_root,
    );
    let proxy = issue(
        client_leaf_spec("front-proxy-client").validity(nb, after(PROXY_AFTER)),
        KeyKind::EcdsaP256.pooled(2),
        &rh_intermediate,
    );
    let stranger = issue(
        client_leaf_spec("someone-else").validity(nb, after(20_000)),
        KeyKind::EcdsaP256.pooled(3),
        &rh_intermediate,
    );
    let client_root = self_signed(
        ca_spec("metrics-client-root").validity(nb, after(CLIENT_ROOT_AFTER)),
        KeyKind::EcdsaP256.pooled(4),
    );
    let bob = issue(
        client_leaf_spec("bob")
            .org("dev")
            .validity(nb, after(6_000)),
        KeyKind::EcdsaP256.pooled(5),
        &client_root,
    );
    let rogue_root = self_signed(ca_spec("metrics-rogue"), KeyKind::EcdsaP256.pooled(6));
    let rogue = issue(
        client_leaf_spec("front-proxy-client"),
        KeyKind::EcdsaP256.pooled(7),
        &rogue_root,
    );
    Pki {
        t0,
        rh_root,
        rh_intermediate,
        proxy,
        stranger,
        client_root,
        bob,
        rogue,
    }
}

fn config(rh_bundle: &str, client_root: &Issued) -> AuthConfig {
    AuthConfig::builder()
        .request_header(
            CaBundle::from_pem(rh_bundle.as_bytes(), "--requestheader-client-ca-file").unwrap(),
            RequestHeaderOptions {
                allowed_names: vec!["front-proxy-client".into()],
                ..RequestHeaderOptions::default()
            },
        )
        .client_ca(CaBundle::from_pem(client_root.pem.as_bytes(), "--client-ca-file").unwrap())
        .build()
        .unwrap()
}

fn authenticator(config: AuthConfig, clock: &Arc<ManualClock>) -> Authenticator {
    Authenticator::with_options(
        config,
        AuthenticatorOptions {
            cache: Some(CacheOptions::default()),
            clock: clock.clone(),
            ..AuthenticatorOptions::default()
        },
    )
}

#[test]
fn decisions_are_counted_by_outcome_authenticator_and_reason_and_rendered_for_prometheus() {
    let pki = pki();
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let first = config(&pki.rh_root.pem, &pki.client_root);
    let first_generation = first.generation();
    let auth = authenticator(first, &clock);

    let m = auth.metrics();
    assert_eq!((m.authenticated, m.anonymous, m.rejected), (0, 0, 0));
    assert_eq!(m.generation, first_generation);
    assert_eq!(m.requestheader_ca_expiry_seconds, Some(RH_ROOT_AFTER));
    assert_eq!(m.client_ca_expiry_seconds, Some(CLIENT_ROOT_AFTER));
    assert_eq!(
        m.front_proxy_expiry_seconds, None,
        "no front-proxy chain seen yet"
    );

    let proxy_chain = ders(&[&pki.proxy, &pki.rh_intermediate]);
    // Verdict-cache path: the front proxy twice (a miss, then a hit), bob's certificate
    // (x509), no certificate (anonymous), an untrusted chain, a proxy CN that is not allowed,
    // an undecodable identity header, a chain refused by its shape.
    for _ in 0..2 {
        let r = auth.authenticate_chain(&proxy_chain, Handshake::Full, &alice());
        assert!(matches!(
            r.decision,
            frontproxy::DecisionRef::Authenticated {
                authenticator: AuthenticatorKind::RequestHeader,
                ..
            }
        ));
    }
    let bob = auth.authenticate_chain(&ders(&[&pki.bob]), Handshake::Full, &none());
    assert_eq!(bob.user().map(|u| u.name().to_owned()), Some("bob".into()));
    assert!(auth
        .authenticate_chain(&[], Handshake::Full, &alice())
        .user()
        .is_some());
    assert!(auth
        .authenticate_chain(&ders(&[&pki.rogue]), Handshake::Full, &alice())
        .is_rejected());
    assert!(auth
        .authenticate_chain(
            &ders(&[&pki.stranger, &pki.rh_intermediate]),
            Handshake::Full,
            &alice()
        )
        .is_rejected());
    assert!(auth
        .authenticate_chain(
            &proxy_chain,
            Handshake::Full,
            &RequestHeaders::from_pairs(&BAD_HEADER)
        )
        .is_rejected());
    let call = auth.snapshot();
    assert!(call
        .reject_refused_chain(
            AuthError::new(Reason::ChainTooLong, "9 certificates"),
            &alice()
        )
        .is_rejected());
    // Per-connection path: one verification, three requests; and headers refused unread.
    let mut peer = auth.verify_peer(&proxy_chain, Handshake::Full);
    for _ in 0..3 {
        assert!(!auth.authenticate(&mut peer, &alice()).is_rejected());
    }
    assert!(call
        .reject_refused_headers(AuthError::new(Reason::HeadersTooLarge, "too many"))
        .is_rejected());
    drop(call);

    clock.set(at(pki.t0 + Duration::seconds(10)));
    let m = auth.metrics();
    assert_eq!(m.authenticated, 6, "{m:?}");
    assert_eq!(m.authenticated_by(AuthenticatorKind::RequestHeader), 5);
    assert_eq!(m.authenticated_by(AuthenticatorKind::X509), 1);
    assert_eq!(m.anonymous, 1);
    assert_eq!(m.rejected, 5);
    assert_eq!(m.rejections(Reason::UnknownAuthority), 1);
    assert_eq!(m.rejections(Reason::CommonNameNotAllowed), 1);
    assert_eq!(m.rejections(Reason::InvalidHeader), 1);
    assert_eq!(m.rejections(Reason::ChainTooLong), 1);
    assert_eq!(m.rejections(Reason::HeadersTooLarge), 1);
    assert_eq!(m.by_reason.len(), Reason::ALL.len());
    assert_eq!(m.by_reason.iter().map(|(_, n)| n).sum::<u64>(), m.rejected);
    let cache = auth.cache_stats();
    assert_eq!(m.cache, cache);
    // Misses: proxy, bob, rogue, stranger, the per-connection proxy chain is a hit, the bad
    // header request is a hit (same chain).
    assert_eq!((cache.hits, cache.misses), (3, 4), "{cache:?}");
    assert_eq!((m.reloads, m.reload_failures), (0, 0));
    assert_eq!(m.requestheader_ca_expiry_seconds, Some(RH_ROOT_AFTER - 10));
    assert_eq!(m.client_ca_expiry_seconds, Some(CLIENT_ROOT_AFTER - 10));
    assert_eq!(
        m.front_proxy_expiry_seconds,
        Some(PROXY_AFTER - 10),
        "the proxy leaf is the earliest notAfter on its path"
    );

    let text = m.to_prometheus();
    let families = parse_prometheus(&text);
    let value = |name: &str, labels: &str| -> f64 {
        families
            .get(name)
            .and_then(|f| f.samples.get(labels))
            .copied()
            .unwrap_or_else(|| panic!("no sample {name}{{{labels}}} in\n{text}"))
    };
    assert_eq!(
        value(
            "frontproxy_authentication_attempts_total",
            "result=\"success\""
        ),
        6.0
    );
    assert_eq!(
        value(
            "frontproxy_authentication_attempts_total",
            "result=\"anonymous\""
        ),
        1.0
    );
    assert_eq!(
        value(
            "frontproxy_authentication_attempts_total",
            "result=\"failure\""
        ),
        5.0
    );
    assert_eq!(
        value(
            "frontproxy_authenticated_requests_total",
            "authenticator=\"requestheader\""
        ),
        5.0
    );
    assert_eq!(
        value(
            "frontproxy_authenticated_requests_total",
            "authenticator=\"x509\""
        ),
        1.0
    );
    for r in Reason::ALL {
        let expected = m.rejections(r) as f64;
        let labels = format!("reason=\"{}\"", r.code());
        assert_eq!(
            value("frontproxy_authentication_rejections_total", &labels),
            expected,
            "{r:?}"
        );
    }
    assert_eq!(
        value(
            "frontproxy_authentication_rejections_total",
            "reason=\"unknown_authority\""
        ),
        1.0
    );
    assert_eq!(
        value("frontproxy_verdict_cache_requests_total", "result=\"hit\""),
        3.0
    );
    assert_eq!(
        value("frontproxy_verdict_cache_requests_total", "result=\"miss\""),
        4.0
    );
    assert_eq!(value("frontproxy_verdict_cache_evictions_total", ""), 0.0);
    assert_eq!(
        value("frontproxy_verdict_cache_entries", ""),
        cache.entries as f64
    );
    assert_eq!(
        value("frontproxy_config_reloads_total", "result=\"success\""),
        0.0
    );
    assert_eq!(
        value("frontproxy_config_reloads_total", "result=\"failure\""),
        0.0
    );
    assert_eq!(
        value("frontproxy_config_generation", ""),
        first_generation as f64
    );
    for (kind, expected) in [
        ("requestheader_ca", RH_ROOT_AFTER - 10),
        ("client_ca", CLIENT_ROOT_AFTER - 10),
        ("front_proxy", PROXY_AFTER - 10),
    ] {
        assert_eq!(
            value(
                "frontproxy_certificate_expiry_seconds",
                &format!("kind=\"{kind}\"")
            ),
            expected as f64,
            "{kind}"
        );
    }
    for (name, family) in &families {
        match family.kind.as_str() {
            "counter" => assert!(name.ends_with("_total"), "counter {name}"),
            "gauge" => assert!(!name.ends_with("_total"), "gauge {name}"),
            other => panic!("{name}: unexpected type {other}"),
        }
    }
    let expected_families: BTreeSet<&str> = [
        "frontproxy_authentication_attempts_total",
        "frontproxy_authenticated_requests_total",
        "frontproxy_authentication_rejections_total",
        "frontproxy_verdict_cache_requests_total",
        "frontproxy_verdict_cache_insertions_total",
        "frontproxy_verdict_cache_evictions_total",
        "frontproxy_verdict_cache_entries",
        "frontproxy_verdict_cache_bytes",
        "frontproxy_config_reloads_total",
        "frontproxy_config_generation",
        "frontproxy_certificate_expiry_seconds",
    ]
    .into_iter()
    .collect();
    assert_eq!(
        families.keys().map(String::as_str).collect::<BTreeSet<_>>(),
        expected_families
    );
}

#[test]
fn reloads_reset_the_front_proxy_expiry_and_are_counted_with_failures() {
    let pki = pki();
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = authenticator(config(&pki.rh_root.pem, &pki.client_root), &clock);
    let proxy_chain = ders(&[&pki.proxy, &pki.rh_intermediate]);
    auth.authenticate_chain(&proxy_chain, Handshake::Full, &alice());
    assert_eq!(auth.metrics().front_proxy_expiry_seconds, Some(PROXY_AFTER));

    // The same CAs, and an expired certificate kept in the request-header bundle: a new
    // generation, whose front-proxy expiry starts over, and a negative CA expiry.
    let expired = self_signed(
        ca_spec("metrics-old-root").expired(),
        KeyKind::EcdsaP256.pooled(8),
    );
    let second = config(&pem_bundle(&[&pki.rh_root, &expired]), &pki.client_root);
    let second_generation = second.generation();
    auth.reload(second);
    let m = auth.metrics();
    assert_eq!((m.reloads, m.reload_failures), (1, 0));
    assert_eq!(m.generation, second_generation);
    assert_eq!(m.front_proxy_expiry_seconds, None, "reset by the reload");
    assert!(
        m.requestheader_ca_expiry_seconds.unwrap() < 0,
        "an expired bundle certificate: {m:?}"
    );
    assert_eq!(m.client_ca_expiry_seconds, Some(CLIENT_ROOT_AFTER));

    // The proxy chain, verified again under the new generation, is seen again.
    auth.authenticate_chain(&proxy_chain, Handshake::Full, &alice());
    assert_eq!(auth.metrics().front_proxy_expiry_seconds, Some(PROXY_AFTER));
    // Once the proxy's certificate has expired, the gauge goes negative (no request needed).
    clock.set(at(pki.t0 + Duration::seconds(PROXY_AFTER + 5)));
    assert_eq!(auth.metrics().front_proxy_expiry_seconds, Some(-5));

    // A document that does not load: counted, the configuration stays.
    let bad = auth.replace_source(ConfigSource::ConfigMapDocument(
        b"{not: [a configmap".to_vec(),
    ));
    assert!(bad.is_err());
    let m = auth.metrics();
    assert_eq!((m.reloads, m.reload_failures), (1, 1));
    assert_eq!(m.generation, second_generation);
    let families = parse_prometheus(&m.to_prometheus());
    let reloads = &families["frontproxy_config_reloads_total"].samples;
    assert_eq!(reloads["result=\"success\""], 1.0);
    assert_eq!(reloads["result=\"failure\""], 1.0);
}

#[test]
fn gauges_without_a_subject_are_left_out_and_the_cache_reads_zero_without_a_cache() {
    let pki = pki();
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let config = AuthConfig::builder()
        .client_ca(CaBundle::from_pem(pki.client_root.pem.as_bytes(), "--client-ca-file").unwrap())
        .build()
        .unwrap();
    let auth = Authenticator::with_options(
        config,
        AuthenticatorOptions {
            cache: None,
            clock: clock.clone(),
            ..AuthenticatorOptions::default()
        },
    );
    let mut peer = auth.verify_peer(&ders(&[&pki.bob]), Handshake::Full);
    assert!(!auth.authenticate(&mut peer, &none()).is_rejected());
    let m = auth.metrics();
    assert_eq!(m.authenticated_by(AuthenticatorKind::X509), 1);
    assert_eq!(m.cache, frontproxy::CacheStats::default());
    assert_eq!(m.requestheader_ca_expiry_seconds, None);
    assert_eq!(m.front_proxy_expiry_seconds, None);
    let families = parse_prometheus(&m.to_prometheus());
    let expiry = &families["frontproxy_certificate_expiry_seconds"].samples;
    assert_eq!(
        expiry.keys().map(String::as_str).collect::<Vec<_>>(),
        ["kind=\"client_ca\""]
    );
}

#[test]
fn counts_from_several_threads_add_up() {
    let pki = pki();
    let clock = Arc::new(ManualClock::new(at(pki.t0)));
    let auth = Arc::new(authenticator(
        config(&pki.rh_root.pem, &pki.client_root),
        &clock,
    ));
    let chain = Arc::new(ders(&[&pki.proxy, &pki.rh_intermediate]));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (auth, chain) = (auth.clone(), chain.clone());
            std::thread::spawn(move || {
                for _ in 0..500 {
                    auth.authenticate_chain(&chain, Handshake::Full, &alice());
                    auth.authenticate_chain(&[], Handshake::Full, &none());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let m: Metrics = auth.metrics();
    assert_eq!(m.authenticated_by(AuthenticatorKind::RequestHeader), 2_000);
    assert_eq!(m.anonymous, 2_000);
    assert_eq!(m.rejected, 0);
}

/// One metric family of the text format.
#[derive(Debug, Default)]
struct Family {
    help: bool,
    kind: String,
    /// Label text (between the braces, empty without labels) → value.
    samples: BTreeMap<String, f64>,
}

/// A small parser of the Prometheus text format (0.0.4) as far as the metrics use it: `# HELP
/// name text`, `# TYPE name counter|gauge`, then `name{label="value"} number` or `name number`.
/// Every sample must belong to a family announced by HELP and TYPE before it, and no sample
/// may appear twice.
fn parse_prometheus(text: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    assert!(text.ends_with('\n'), "the text ends with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.trim().is_empty(), "{name}: empty HELP");
            let f = families.entry(name.to_owned()).or_default();
            assert!(!f.help, "{name}: HELP twice");
            f.help = true;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            let f = families
                .get_mut(name)
                .unwrap_or_else(|| panic!("{name}: TYPE before HELP"));
            assert!(f.kind.is_empty(), "{name}: TYPE twice");
            f.kind = kind.to_owned();
        } else {
            assert!(!line.starts_with('#') && !line.is_empty(), "line {line:?}");
            let (series, value) = line.rsplit_once(' ').expect("name value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|_| panic!("value of {line:?}"));
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let labels = rest.strip_suffix('}').expect("closing brace");
                    for pair in labels.split(',') {
                        let (key, v) = pair.split_once('=').expect("label=value");
                        assert!(
                            key.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                            "label name {key:?}"
                        );
                        assert!(
                            v.len() >= 2 && v.starts_with('"') && v.ends_with('"'),
                            "label value {v:?}"
                        );
                    }
                    (name, labels)
                }
                None => (series, ""),
            };
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "metric name {name:?}"
            );
            let f = families
                .get_mut(name)
                .unwrap_or_else(|| panic!("{name}: a sample without HELP"));
            assert!(!f.kind.is_empty(), "{name}: a sample without TYPE");
            assert!(
                f.samples.insert(labels.to_owned(), value).is_none(),
                "{line}: twice"
            );
        }
    }
    for (name, f) in &families {
        assert!(f.help && !f.kind.is_empty(), "{name}: HELP and TYPE");
    }
    families
}
