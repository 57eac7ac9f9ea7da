//! The verdict cache: [`PeerVerification`]s of presented chains, for hosts that cannot keep
//! state per TLS connection (and for new connections that present a chain seen before).
//!
//! An entry is found by a keyed hash of the entire presented chain and **proven equal by
//! comparing the presented bytes** with the bytes it stores — every certificate, in order —
//! never by the leaf alone and never by a hash alone. The hash (foldhash, seeded per cache
//! from the process's random state) only picks the slot, so an attacker cannot aim chains at
//! the slot of a legitimate one. An entry also records the configuration generation it was
//! verified under and the window in which it holds:
//! - verdicts with a positive part: from the latest `notBefore` to the earliest `notAfter` on
//!   the verified paths (the anchor included), and at most `positive_ttl` after insertion;
//! - purely negative ones: at most `negative_ttl`; a time-dependent reason (expired, not yet
//!   valid) holds only for the second it was established.
//!
//! Resumed TLS sessions: a verdict with a positive part reached with intermediates is also
//! filed under a leaf-only key, which only [`VerdictCache::lookup_resumed_leaf`] reads — and
//! the peer step calls it only when the host says the session was resumed. A purely negative
//! verdict is never filed that way (the missing intermediates might be why).
//!
//! Bounded in entries and bytes (the stored chain bytes included); sharded behind
//! parking_lot `RwLock`s. Eviction samples a few entries and removes the least recently used
//! of them (expired ones first).
//!
//! In front of the shards each thread keeps a tiny cache (8 slots, filled round-robin) holding
//! its **own copy** of the verdicts it used last: a hit there writes no memory another core
//! reads (no lock word, no shared reference count), so threads hitting the same chain — the
//! normal case: one front proxy — scale; and it needs no hash, only the comparison of the
//! presented bytes. Front slots obey the same key, generation and window checks, and a `clear`
//! (on reload) invalidates them through an epoch counter.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rustls_pki_types::CertificateDer;

use crate::verdict::{ClientCertVerdict, PeerVerification, ProxyVerdict};

/// Cache bounds and lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheOptions {
    /// Most entries in the whole cache.
    pub max_entries: usize,
    /// Most bytes (approximate, counted per entry, stored chains included) in the whole cache.
    pub max_bytes: usize,
    /// Longest life of a positive entry.
    pub positive_ttl: Duration,
    /// Longest life of a negative entry.
    pub negative_ttl: Duration,
    /// Number of shards (rounded up to a power of two).
    pub shards: usize,
}

impl Default for CacheOptions {
    fn default() -> Self {
        CacheOptions {
            max_entries: 65_536,
            max_bytes: 64 << 20,
            positive_ttl: Duration::from_secs(300),
            negative_ttl: Duration::from_secs(10),
            shards: 64,
        }
    }
}

/// Counters since the cache was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups that found verdicts.
    pub hits: u64,
    /// Lookups that did not (the chain was verified).
    pub misses: u64,
    /// Verdicts filed.
    pub insertions: u64,
    /// Entries removed to stay within the bounds.
    pub evictions: u64,
    /// Requests rejected (401) on the cache path, whether the verdict was cached or fresh.
    pub rejections: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes (approximate) held now.
    pub bytes: u64,
}

/// What a key stands for: a whole presented chain, or a leaf filed for resumed sessions.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum KeyKind {
    Chain = 1,
    ResumedLeaf = 2,
}

/// The stored bytes of a key: the kind, then each certificate as a 4-byte length and its bytes.
fn encode_key(kind: KeyKind, certs: &[CertificateDer<'_>]) -> Arc<[u8]> {
    let len = 1 + certs.iter().map(|c| 4 + c.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.push(kind as u8);
    for c in certs {
        out.extend_from_slice(&(c.len() as u32).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.into()
}

/// Whether stored key bytes are exactly `certs` under `kind`.
fn key_matches(stored: &[u8], kind: KeyKind, certs: &[CertificateDer<'_>]) -> bool {
    let Some((&k, mut rest)) = stored.split_first() else {
        return false;
    };
    if k != kind as u8 {
        return false;
    }
    for c in certs {
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return false;
        };
        let n = u32::from_le_bytes(*len) as usize;
        if n != c.len() || tail.len() < n || tail[..n] != **c {
            return false;
        }
        rest = &tail[n..];
    }
    rest.is_empty()
}

/// A hash that passes through a value that is already a hash.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Index = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

struct Entry {
    hash: u64,
    key: Arc<[u8]>,
    generation: u64,
    valid_from: i64,
    expires_at: i64,
    last_used: AtomicU32,
    cost: usize,
    verdict: Arc<PeerVerification>,
}

/// One slot of a thread's front cache: a private copy, so hits share nothing between cores.
struct FrontEntry {
    cache_id: u64,
    epoch: u64,
    key: Arc<[u8]>,
    generation: u64,
    valid_from: i64,
    expires_at: i64,
    verdict: Arc<PeerVerification>,
}

const FRONT_SLOTS: usize = 8;

/// The length of a chain's stored key (see [`encode_key`]).
fn key_len(certs: &[CertificateDer<'_>]) -> usize {
    1 + certs.iter().map(|c| 4 + c.len()).sum::<usize>()
}

thread_local! {
    static FRONT: RefCell<Front> = const { RefCell::new(Front { slots: [const { None }; FRONT_SLOTS], next: 0 }) };
}

/// A thread's front cache: a few slots, searched in full (no hash: the presented bytes are
/// compared, after the cheap fields), filled round-robin.
struct Front {
    slots: [Option<FrontEntry>; FRONT_SLOTS],
    next: usize,
}

static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
struct Shard {
    index: Index,
    entries: Vec<Entry>,
    bytes: usize,
    rng: u64,
}

/// Per-thread striped counters, so hits on two cores do not share a cache line.
#[repr(align(128))]
#[derive(Default)]
struct Stripe {
    hits: AtomicU64,
    misses: AtomicU64,
    rejections: AtomicU64,
}

/// Stripes of per-thread counters (also [`crate::metrics`]'s).
pub(crate) const STRIPES: usize = 16;

/// This thread's stripe of counters.
#[inline]
pub(crate) fn stripe_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    INDEX.with(|i| *i)
}

/// The sharded, bounded verdict cache.
pub struct VerdictCache {
    id: u64,
    /// Bumped by `clear`; front slots of an older epoch are ignored.
    epoch: AtomicU64,
    hasher: foldhash::fast::RandomState,
    options: CacheOptions,
    shards: Box<[RwLock<Shard>]>,
    per_shard_entries: usize,
    per_shard_bytes: usize,
    stripes: [Stripe; STRIPES],
    insertions: AtomicU64,
    evictions: AtomicU64,
}

impl VerdictCache {
    pub fn new(options: CacheOptions) -> VerdictCache {
        let shards = options.shards.clamp(1, 4096).next_power_of_two();
        let max_entries = options.max_entries.max(shards);
        VerdictCache {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            epoch: AtomicU64::new(0),
            hasher: foldhash::fast::RandomState::default(),
            options,
            shards: (0..shards)
                .map(|i| {
                    RwLock::new(Shard {
                        rng: 0x9E37_79B9_7F4A_7C15 ^ (i as u64 + 1),
                        ..Shard::default()
                    })
                })
                .collect(),
            per_shard_entries: max_entries / shards,
            per_shard_bytes: (options.max_bytes / shards).max(1),
            stripes: Default::default(),
            insertions: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub fn options(&self) -> &CacheOptions {
        &self.options
    }

    fn hash(&self, kind: KeyKind, certs: &[CertificateDer<'_>]) -> u64 {
        let mut h = self.hasher.build_hasher();
        h.write_u8(kind as u8);
        for c in certs {
            h.write_usize(c.len());
            h.write(c);
        }
        h.finish()
    }

    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        &self.shards[(hash >> 56) as usize & (self.shards.len() - 1)]
    }

    /// The verdicts filed for exactly this presented chain, if they hold for `generation` at
    /// `now`.
    pub(crate) fn lookup(
        &self,
        chain: &[CertificateDer<'_>],
        generation: u64,
        now: i64,
    ) -> Option<Arc<PeerVerification>> {
        self.find(KeyKind::Chain, chain, generation, now)
    }

    /// For a resumed session that presented only `leaf`: a verdict with a positive part that
    /// was reached for this leaf *with* its intermediates, if it holds for `generation` at `now`.
    pub(crate) fn lookup_resumed_leaf(
        &self,
        leaf: &CertificateDer<'_>,
        generation: u64,
        now: i64,
    ) -> Option<Arc<PeerVerification>> {
        self.find(
            KeyKind::ResumedLeaf,
            std::slice::from_ref(leaf),
            generation,
            now,
        )
    }

    fn find(
        &self,
        kind: KeyKind,
        certs: &[CertificateDer<'_>],
        generation: u64,
        now: i64,
    ) -> Option<Arc<PeerVerification>> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let len = key_len(certs);
        let holds = |key: &[u8], g: u64, from: i64, until: i64| {
            g == generation
                && from <= now
                && now <= until
                && key.len() == len
                && key_matches(key, kind, certs)
        };
        // The front cache first: no hashing, and nothing another core writes.
        let front = FRONT.with(|f| {
            f.borrow().slots.iter().flatten().find_map(|e| {
                (e.cache_id == self.id
                    && e.epoch == epoch
                    && holds(&e.key, e.generation, e.valid_from, e.expires_at))
                .then(|| e.verdict.clone())
            })
        });
        if front.is_some() {
            return front;
        }
        let hash = self.hash(kind, certs);
        let shard = self.shard(hash).read();
        let e = shard
            .index
            .get(&hash)
            .map(|&i| &shard.entries[i as usize])
            .filter(|e| {
                e.hash == hash && holds(&e.key, e.generation, e.valid_from, e.expires_at)
            })?;
        let tick = now as u32;
        if e.last_used.load(Ordering::Relaxed) != tick {
            e.last_used.store(tick, Ordering::Relaxed);
        }
        let private = Arc::new((*e.verdict).clone());
        let entry = FrontEntry {
            cache_id: self.id,
            epoch,
            key: e.key.clone(),
            generation: e.generation,
            valid_from: e.valid_from,
            expires_at: e.expires_at,
            verdict: private.clone(),
        };
        drop(shard);
        FRONT.with(|f| {
            let mut front = f.borrow_mut();
            let slot = front.next;
            front.slots[slot] = Some(entry);
            front.next = (slot + 1) % FRONT_SLOTS;
        });
        Some(private)
    }

    pub(crate) fn count_hit(&self) {
        self.stripes[stripe_index()]
            .hits
            .fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_miss(&self) {
        self.stripes[stripe_index()]
            .misses
            .fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn count_rejection(&self) {
        self.stripes[stripe_index()]
            .rejections
            .fetch_add(1, Ordering::Relaxed);
    }

    /// Files verdicts reached at `now` for `chain` (and under the leaf-only key when they
    /// have a positive part and came with intermediates).
    pub(crate) fn insert(
        &self,
        chain: &[CertificateDer<'_>],
        verdict: &PeerVerification,
        now: i64,
    ) {
        let positive = verdict.is_positive();
        if !positive && !verdict.has_failure() {
            return; // no certificate, nothing to remember
        }
        // A verdict with a positive part (e.g. a trusted proxy chain that the client CA
        // rejects, the usual production shape) lives as long as a positive one: its failures
        // depend only on configuration (covered by the generation) or time (the window).
        let ttl = if positive {
            self.options.positive_ttl
        } else {
            self.options.negative_ttl
        };
        let ttl = i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX);
        let expires_at = verdict.valid_until.min(now.saturating_add(ttl));
        if expires_at < now {
            return;
        }
        let shared = Arc::new(verdict.clone());
        self.insert_entry(KeyKind::Chain, chain, &shared, expires_at, now);
        if positive && chain.len() > 1 {
            self.insert_entry(KeyKind::ResumedLeaf, &chain[..1], &shared, expires_at, now);
        }
    }

    fn insert_entry(
        &self,
        kind: KeyKind,
        certs: &[CertificateDer<'_>],
        verdict: &Arc<PeerVerification>,
        expires_at: i64,
        now: i64,
    ) {
        let hash = self.hash(kind, certs);
        let key = encode_key(kind, certs);
        let cost = entry_cost(&key, verdict);
        let entry = Entry {
            hash,
            key,
            generation: verdict.generation,
            valid_from: verdict.valid_from,
            expires_at,
            last_used: AtomicU32::new(now as u32),
            cost,
            verdict: verdict.clone(),
        };
        let mut shard = self.shard(hash).write();
        if let Some(&i) = shard.index.get(&hash) {
            // Same key (or a 64-bit hash collision): replace in place.
            let old_cost = shard.entries[i as usize].cost;
            shard.bytes = shard.bytes - old_cost + cost;
            shard.entries[i as usize] = entry;
            self.insertions.fetch_add(1, Ordering::Relaxed);
            return;
        }
        while !shard.entries.is_empty()
            && (shard.entries.len() >= self.per_shard_entries
                || shard.bytes + cost > self.per_shard_bytes)
        {
            self.evict_one(&mut shard, now);
        }
        if shard.entries.len() >= self.per_shard_entries || cost > self.per_shard_bytes {
            return;
        }
        let slot = shard.entries.len() as u32;
        shard.entries.push(entry);
        shard.index.insert(hash, slot);
        shard.bytes += cost;
        self.insertions.fetch_add(1, Ordering::Relaxed);
    }

    /// Sampled LRU: look at up to 5 random entries, drop an expired one or the least
    /// recently used.
    fn evict_one(&self, shard: &mut Shard, now: i64) {
        let n = shard.entries.len();
        let mut victim = None::<(usize, (bool, u32))>;
        for _ in 0..5.min(n) {
            shard.rng ^= shard.rng << 13;
            shard.rng ^= shard.rng >> 7;
            shard.rng ^= shard.rng << 17;
            let i = (shard.rng % n as u64) as usize;
            let e = &shard.entries[i];
            let rank = (e.expires_at >= now, e.last_used.load(Ordering::Relaxed));
            if victim.is_none_or(|(_, r)| rank < r) {
                victim = Some((i, rank));
            }
        }
        let Some((i, _)) = victim else { return };
        let removed = shard.entries.swap_remove(i);
        shard.index.remove(&removed.hash);
        shard.bytes -= removed.cost;
        if i < shard.entries.len() {
            let moved = shard.entries[i].hash;
            shard.index.insert(moved, i as u32);
        }
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops every entry (after a reload, old-generation entries can never hit again).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for shard in self.shards.iter() {
            let mut s = shard.write();
            s.index = Index::default();
            s.entries = Vec::new();
            s.bytes = 0;
        }
    }

    pub fn stats(&self) -> CacheStats {
        let mut stats = CacheStats {
            insertions: self.insertions.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            ..CacheStats::default()
        };
        for s in &self.stripes {
            stats.hits += s.hits.load(Ordering::Relaxed);
            stats.misses += s.misses.load(Ordering::Relaxed);
            stats.rejections += s.rejections.load(Ordering::Relaxed);
        }
        for shard in self.shards.iter() {
            let s = shard.read();
            stats.entries += s.entries.len() as u64;
            stats.bytes += s.bytes as u64;
        }
        stats
    }
}

/// Approximate bytes an entry holds: the entry itself, its index slot, the stored key and the
/// verdict (shared by a chain entry and its leaf-only entry, counted for each) with its strings.
fn entry_cost(key: &[u8], v: &PeerVerification) -> usize {
    let mut heap = 0;
    if let ProxyVerdict::Failed(e) = &v.proxy {
        heap += e.message.capacity();
    }
    match &v.client_cert {
        ClientCertVerdict::Failed(e) => heap += e.message.capacity(),
        ClientCertVerdict::Verified(_, Some(u)) => {
            heap += std::mem::size_of_val(&**u) + u.name.capacity() + u.uid.capacity();
            heap += u.groups.iter().map(|g| g.capacity() + 24).sum::<usize>();
            heap += u
                .extra
                .iter()
                .map(|(k, v)| {
                    k.capacity() + 64 + v.iter().map(|s| s.capacity() + 24).sum::<usize>()
                })
                .sum::<usize>();
        }
        _ => {}
    }
    std::mem::size_of::<Entry>()
        + std::mem::size_of::<(u64, u32)>()
        + 1
        + 16
        + key.len()
        + std::mem::size_of::<PeerVerification>()
        + 16
        + heap
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{AuthError, Reason};

    fn negative_verdict() -> PeerVerification {
        PeerVerification {
            generation: 1,
            proxy: ProxyVerdict::Failed(AuthError::new(Reason::UnknownAuthority, "no path")),
            client_cert: ClientCertVerdict::NotApplicable,
            verified_at: 0,
            valid_from: i64::MIN,
            valid_until: i64::MAX,
        }
    }

    /// Distinct presented "chains" (the cache never parses them).
    fn chain(i: u64) -> Vec<CertificateDer<'static>> {
        vec![CertificateDer::from(i.to_le_bytes().repeat(16))]
    }

    #[test]
    fn the_cache_is_bounded_in_entries_and_bytes_and_evicts() {
        let verdict = negative_verdict();
        let cache = VerdictCache::new(CacheOptions {
            max_entries: 64,
            shards: 4,
            ..CacheOptions::default()
        });
        for i in 0u64..5_000 {
            cache.insert(&chain(i), &verdict, 0);
        }
        let stats = cache.stats();
        assert!(stats.entries <= 64, "{stats:?}");
        assert!(stats.evictions >= 5_000 - 64, "{stats:?}");
        // What was kept is found by its exact bytes, and only by them.
        let kept = (0u64..5_000)
            .filter(|&i| cache.lookup(&chain(i), 1, 0).is_some())
            .count();
        assert_eq!(kept as u64, stats.entries);
        assert!(
            cache.lookup(&chain(1), 2, 0).is_none(),
            "another generation"
        );

        let by_bytes = VerdictCache::new(CacheOptions {
            max_bytes: 16 * 1024,
            shards: 1,
            ..CacheOptions::default()
        });
        for i in 0u64..5_000 {
            by_bytes.insert(&chain(i), &verdict, 0);
        }
        let stats = by_bytes.stats();
        assert!(stats.bytes <= 16 * 1024, "{stats:?}");
        assert!(stats.entries > 0 && stats.evictions > 0, "{stats:?}");
    }

    #[test]
    fn negative_entries_live_at_most_the_negative_ttl_and_clear_empties_every_thread() {
        let cache = VerdictCache::new(CacheOptions::default());
        cache.insert(&chain(7), &negative_verdict(), 100);
        assert!(cache.lookup(&chain(7), 1, 110).is_some());
        assert!(
            cache.lookup(&chain(7), 1, 111).is_none(),
            "10 s negative TTL"
        );
        cache.insert(&chain(7), &negative_verdict(), 200);
        assert!(cache.lookup(&chain(7), 1, 200).is_some()); // now in this thread's front slot
        cache.clear();
        assert!(cache.lookup(&chain(7), 1, 200).is_none());
        // A negative verdict is never filed for resumed sessions.
        assert!(cache.lookup_resumed_leaf(&chain(7)[0], 1, 200).is_none());
    }

    #[test]
    fn keys_match_only_the_exact_presented_bytes() {
        let a = CertificateDer::from(vec![1u8, 2, 3]);
        let b = CertificateDer::from(vec![4u8]);
        let key = encode_key(KeyKind::Chain, &[a.clone(), b.clone()]);
        assert!(key_matches(&key, KeyKind::Chain, &[a.clone(), b.clone()]));
        assert!(!key_matches(
            &key,
            KeyKind::ResumedLeaf,
            &[a.clone(), b.clone()]
        ));
        assert!(!key_matches(&key, KeyKind::Chain, std::slice::from_ref(&a)));
        assert!(!key_matches(&key, KeyKind::Chain, &[b.clone(), a.clone()]));
        // The same bytes split differently are another chain.
        let joined = CertificateDer::from(vec![1u8, 2, 3, 4]);
        assert!(!key_matches(&key, KeyKind::Chain, &[joined]));
        let leaf = encode_key(KeyKind::ResumedLeaf, std::slice::from_ref(&a));
        assert!(!key_matches(&leaf, KeyKind::Chain, &[a]));
    }
}
