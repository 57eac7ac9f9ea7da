//! Criterion benchmarks for issue 3. Every group measures frontproxy next to its baseline in
//! the same run, so results are read as ratios (the machines are shared and noisy).
//!
//! cargo bench --bench frontproxy

#[path = "../tests/common/pki.rs"]
#[allow(dead_code)]
mod pki;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use frontproxy::{
    AuthConfig, Authenticator, CaBundle, CertificateDer, Decision, Handshake, RequestHeaderOptions,
    RequestHeaders, UnixTime,
};
use pki::{Chain, KeyKind};

/// Six typical headers: user, uid, two groups, two extra.
const HEADERS: [(&[u8], &[u8]); 6] = [
    (
        b"X-Remote-User",
        b"system:serviceaccount:kube-system:generic-garbage-collector",
    ),
    (b"X-Remote-Uid", b"6f2a1d2e-33c4-4b59-9f8e-0c1d2e3f4a5b"),
    (b"X-Remote-Group", b"system:serviceaccounts"),
    (b"X-Remote-Group", b"system:serviceaccounts:kube-system"),
    (
        b"X-Remote-Extra-Authentication.kubernetes.io%2fpod-name",
        b"gc-7d9f8",
    ),
    (b"X-Remote-Extra-Scopes", b"view"),
];

struct Fixture {
    config: AuthConfig,
    chain: Vec<CertificateDer<'static>>,
    root: CertificateDer<'static>,
}

fn fixture(kind: KeyKind, intermediates: usize) -> Fixture {
    let chain = Chain::new(kind, &vec![kind; intermediates], kind);
    let options = RequestHeaderOptions {
        uid_headers: vec!["X-Remote-Uid".into()],
        allowed_names: vec![chain
            .leaf
            .spec
            .common_names
            .last()
            .cloned()
            .unwrap_or_default()],
        ..RequestHeaderOptions::default()
    };
    let ca = CaBundle::from_pem(chain.root.pem.as_bytes(), "bench").unwrap();
    let config = AuthConfig::builder()
        .request_header(ca, options)
        .build()
        .unwrap();
    Fixture {
        config,
        chain: chain
            .presented_der()
            .into_iter()
            .map(CertificateDer::from)
            .collect(),
        root: chain.root.der(),
    }
}

fn assert_authenticated(config: &AuthConfig, chain: &[CertificateDer<'_>]) {
    let r = config.authenticate_request(
        chain,
        &RequestHeaders::from_pairs(&HEADERS),
        UnixTime::now(),
    );
    assert!(
        matches!(r.decision, Decision::Authenticated { .. }),
        "{:?}",
        r.decision
    );
}

/// Cold authenticate (what Kubernetes does on every request) vs raw webpki verification.
fn cold(c: &mut Criterion) {
    let mut group = c.benchmark_group("cold");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1))
        .sample_size(40);
    for (name, kind) in [
        ("rsa2048", KeyKind::Rsa2048),
        ("p256", KeyKind::EcdsaP256),
        ("p384", KeyKind::EcdsaP384),
        ("ed25519", KeyKind::Ed25519),
    ] {
        for intermediates in [0usize, 1] {
            let f = fixture(kind, intermediates);
            assert_authenticated(&f.config, &f.chain);
            let id = format!("{name}/{}certs", intermediates + 2);
            let anchors = vec![webpki::anchor_from_trusted_cert(&f.root)
                .unwrap()
                .to_owned()];
            let algs = frontproxy::crypto_provider()
                .signature_verification_algorithms
                .all;
            group.bench_function(BenchmarkId::new("webpki_raw", &id), |b| {
                b.iter(|| {
                    let ee = webpki::EndEntityCert::try_from(&f.chain[0]).unwrap();
                    ee.verify_for_usage(
                        algs,
                        &anchors,
                        &f.chain[1..],
                        UnixTime::now(),
                        webpki::KeyUsage::client_auth(),
                        None,
                        None,
                    )
                    .is_ok()
                })
            });
            let headers = RequestHeaders::from_pairs(&HEADERS);
            group.bench_function(BenchmarkId::new("frontproxy_authenticate", &id), |b| {
                b.iter(|| {
                    f.config
                        .authenticate_request(&f.chain, &headers, UnixTime::now())
                })
            });
        }
    }
    group.finish();
}

/// The hot paths against the cold path of the same 2-certificate P-256 chain.
fn hot(c: &mut Criterion) {
    let f = fixture(KeyKind::EcdsaP256, 0);
    let auth = Authenticator::new(f.config.clone());
    let headers = RequestHeaders::from_pairs(&HEADERS);
    let first = auth
        .authenticate_chain(&f.chain, Handshake::Full, &headers)
        .into_owned();
    assert!(matches!(first.decision, Decision::Authenticated { .. }));
    assert!(
        auth.authenticate_chain(&f.chain, Handshake::Full, &headers)
            .from_cache
    );
    let mut peer = auth.verify_peer(&f.chain, Handshake::Full);

    let mut group = c.benchmark_group("hot_p256_2certs_6headers");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    group.bench_function("baseline_cold_authenticate", |b| {
        b.iter(|| {
            f.config
                .authenticate_request(&f.chain, &headers, UnixTime::now())
        })
    });
    group.bench_function("verdict_cache_hit", |b| {
        b.iter(|| auth.authenticate_chain(&f.chain, Handshake::Full, &headers))
    });
    group.bench_function("per_connection_handle", |b| {
        b.iter(|| auth.authenticate(&mut peer, &headers))
    });
    group.bench_function("per_connection_handle_owned_result", |b| {
        b.iter(|| auth.authenticate(&mut peer, &headers).into_owned())
    });
    group.finish();
}

/// Cache hits on 1 vs 2 threads: each thread runs `iters` requests; the ratio of throughputs is
/// the scaling. Both threads use the same chain (the realistic case: one front proxy).
fn threads(c: &mut Criterion) {
    let f = fixture(KeyKind::EcdsaP256, 0);
    let auth = Arc::new(Authenticator::new(f.config.clone()));
    let chain = Arc::new(f.chain.clone());
    let headers_pairs: &'static [(&'static [u8], &'static [u8])] = &HEADERS;
    auth.authenticate_chain(
        &chain,
        Handshake::Full,
        &RequestHeaders::from_pairs(headers_pairs),
    );

    let mut group = c.benchmark_group("cache_hit_threads");
    group
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for n in [1usize, 2] {
        group.throughput(criterion::Throughput::Elements(n as u64));
        group.bench_function(BenchmarkId::from_parameter(format!("{n}_threads")), |b| {
            b.iter_custom(|iters| {
                let barrier = Arc::new(Barrier::new(n + 1));
                let handles: Vec<_> = (0..n)
                    .map(|_| {
                        let (auth, chain, barrier) = (auth.clone(), chain.clone(), barrier.clone());
                        std::thread::spawn(move || {
                            let headers = RequestHeaders::from_pairs(headers_pairs);
                            barrier.wait();
                            for _ in 0..iters {
                                std::hint::black_box(auth.authenticate_chain(
                                    &chain,
                                    Handshake::Full,
                                    &headers,
                                ));
                            }
                        })
                    })
                    .collect();
                barrier.wait();
                let start = Instant::now();
                for h in handles {
                    h.join().unwrap();
                }
                start.elapsed()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, cold, hot, threads);
criterion_main!(benches);
