//! Memory of the decision cache: bytes per entry, and the bound at 1 M distinct chains.
//!
//! cargo bench --bench cache_memory
//!
//! Not a timing benchmark: it files verdicts for 1 M distinct presented chains and reads the
//! process's resident set size (/proc/self/statm) before and after, (1) into a cache large
//! enough to hold them all, giving bytes per entry, and (2) into a cache bounded at 65 536
//! entries, showing that memory stays bounded however many chains arrive.

#[path = "../tests/common/pki.rs"]
#[allow(dead_code)]
mod pki;

use std::sync::Arc;

use frontproxy::{
    AuthConfig, Authenticator, AuthenticatorOptions, CaBundle, CacheOptions, CertificateDer,
    Handshake, ManualClock, RequestHeaderOptions, RequestHeaders, UnixTime,
};
use pki::{Chain, KeyKind};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// Bytes of each distinct presented "certificate": not DER, so each verification fails at
/// once and files a negative verdict (verifying a million real chains would take minutes).
const GARBAGE_BYTES: usize = 16;

fn garbage(i: u64) -> [CertificateDer<'static>; 1] {
    let mut der = i.to_le_bytes().to_vec();
    der.resize(GARBAGE_BYTES, 0xa5);
    [CertificateDer::from(der)]
}

fn fill(auth: &Authenticator, n: u64) {
    let none = RequestHeaders::from_pairs(&[]);
    for i in 0..n {
        let r = auth.authenticate_chain(&garbage(i), Handshake::Full, &none);
        assert!(r.is_rejected());
    }
}

fn authenticator(config: &AuthConfig, cache: CacheOptions) -> Authenticator {
    Authenticator::with_options(
        config.clone(),
        AuthenticatorOptions {
            cache: Some(cache),
            clock: Arc::new(ManualClock::new(UnixTime::now())),
            ..AuthenticatorOptions::default()
        },
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benchmarks; nothing to list here
    }
    let chain = Chain::new(
        KeyKind::EcdsaP256,
        &[KeyKind::EcdsaP256],
        KeyKind::EcdsaP256,
    );
    let ca = CaBundle::from_pem(chain.root.pem.as_bytes(), "bench").unwrap();
    let config = AuthConfig::builder()
        .request_header(ca, RequestHeaderOptions::default())
        .build()
        .unwrap();
    let n: u64 = 1_000_000;

    // The bounded cache first, on a fresh heap: its growth is what a long-running host sees.
    let bounded = authenticator(&config, CacheOptions::default());
    let before = rss_bytes();
    fill(&bounded, n);
    let after = rss_bytes();
    let stats = bounded.cache_stats();
    println!(
        "1M distinct chains, default bound ({} entries, {} MiB): entries={} evictions={} accounted={} B, RSS growth={} B",
        CacheOptions::default().max_entries,
        CacheOptions::default().max_bytes >> 20,
        stats.entries,
        stats.evictions,
        stats.bytes,
        after.saturating_sub(before)
    );
    assert!(stats.entries <= CacheOptions::default().max_entries as u64);
    drop(bounded);

    let unbounded = authenticator(
        &config,
        CacheOptions {
            max_entries: 2_000_000,
            max_bytes: usize::MAX / 2,
            ..CacheOptions::default()
        },
    );
    // The verdict every garbage chain gets, to size its payload.
    let sample = config.verify_peer(&garbage(u64::MAX), UnixTime::now());
    let message = match sample.verdicts().proxy() {
        frontproxy::ProxyVerdict::Failed(e) => e.message.len(),
        other => panic!("garbage must fail: {other:?}"),
    };
    let before = rss_bytes();
    fill(&unbounded, n);
    let after = rss_bytes();
    let stats = unbounded.cache_stats();
    assert_eq!(stats.entries, n);
    let per_entry = (after - before) as f64 / stats.entries as f64;
    // The verdict (its struct and its message, each a heap block with a 16-byte header and
    // the shared Arc's two counters) and the stored key (kind byte, 4-byte length, the bytes).
    let payload =
        (std::mem::size_of::<frontproxy::PeerVerification>() + 16 + 16 + message + 16) as f64;
    let key = (1 + 4 + GARBAGE_BYTES + 16 + 16) as f64;
    println!(
        "1M distinct chains, cache large enough: entries={} accounted={} B, RSS growth={} B",
        stats.entries,
        stats.bytes,
        after - before
    );
    println!(
        "per entry: {per_entry:.0} bytes of RSS = {payload:.0} bytes of verdict payload \
         (PeerVerification and its {message}-byte message) + {key:.0} bytes of stored key \
         ({GARBAGE_BYTES}-byte chain here; a real chain adds its DER length) + {:.0} bytes of \
         cache overhead (hash, generation, window, LRU tick, cost, Arcs, index slot)",
        per_entry - payload - key
    );
}
