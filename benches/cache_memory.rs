//! Memory of the decision cache: bytes per entry, and the bound at 1 M distinct chains.
//!
//! cargo bench --bench cache_memory
//!
//! Not a timing benchmark: it inserts verdicts under 1 M distinct chain digests and reads the
//! process's resident set size (/proc/self/statm) before and after, (1) into a cache large
//! enough to hold them all, giving bytes per entry, and (2) into a cache bounded at 65 536
//! entries, showing that memory stays bounded however many chains arrive.

#[path = "../tests/common/pki.rs"]
#[allow(dead_code)]
mod pki;

use frontproxy::cache::DecisionCache;
use frontproxy::{
    AuthConfig, CaBundle, CacheOptions, CertificateDer, ChainDigest, RequestHeaderOptions, UnixTime,
};
use pki::{Chain, KeyKind};

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

fn digest(i: u64) -> ChainDigest {
    // Distinct, well-spread digests (what SHA-256 of distinct chains looks like to the cache).
    let mut d = [0u8; 32];
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    for chunk in d.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        chunk.copy_from_slice(&x.to_le_bytes());
    }
    ChainDigest(d)
}

fn fill(
    cache: &DecisionCache,
    n: u64,
    chain: &[CertificateDer<'_>],
    verdict: &frontproxy::PeerVerification,
    now: i64,
) {
    for i in 0..n {
        cache.insert(chain, digest(i), verdict, now);
    }
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
    let presented: Vec<CertificateDer<'static>> = chain
        .presented_der()
        .into_iter()
        .map(CertificateDer::from)
        .collect();
    let now = UnixTime::now();
    let verdict = config.verify_peer(&presented, now);
    let leaf_only = &presented[..1]; // no leaf-only duplicate entries: one entry per chain
    let n: u64 = 1_000_000;

    let before = rss_bytes();
    let unbounded = DecisionCache::new(CacheOptions {
        max_entries: 2_000_000,
        max_bytes: usize::MAX / 2,
        ..CacheOptions::default()
    });
    fill(&unbounded, n, leaf_only, &verdict, now.as_secs() as i64);
    let after = rss_bytes();
    let stats = unbounded.stats();
    let per_entry = (after - before) as f64 / stats.entries as f64;
    let payload = std::mem::size_of::<frontproxy::PeerVerification>() as f64;
    println!(
        "1M distinct chains, cache large enough: entries={} accounted={} B, RSS growth={} B",
        stats.entries,
        stats.bytes,
        after - before
    );
    println!(
        "per entry: {per_entry:.0} bytes of RSS = {payload:.0} bytes of verdict payload (PeerVerification) + {:.0} bytes of cache overhead (key, generation, window, LRU tick, Arc, index slot, allocator)",
        per_entry - payload
    );
    drop(unbounded);

    let bounded = DecisionCache::new(CacheOptions::default());
    let before = rss_bytes();
    fill(&bounded, n, leaf_only, &verdict, now.as_secs() as i64);
    let after = rss_bytes();
    let stats = bounded.stats();
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
}
