//! The decision cache, for hosts that cannot keep state per TLS connection.
//!
//! Key: a SHA-256 digest of the entire presented chain — every certificate, in order, each
//! length-prefixed — never the leaf alone. An entry also records the configuration generation
//! it was verified under and the window in which it holds:
//! - positive entries: from the latest `notBefore` to the earliest `notAfter` on the verified
//!   paths (the anchor included), and at most `positive_ttl` after insertion;
//! - negative entries: at most `negative_ttl`; a time-dependent reason (expired, not yet valid)
//!   holds only for the second it was established.
//!
//! Bounded in entries and bytes; sharded behind parking_lot `RwLock`s so hits on different
//! shards never contend. Eviction samples a few entries and removes the least recently used of
//! them (expired ones first).
//!
//! In front of the shards each thread keeps a tiny direct-mapped cache of the entries it used
//! last (8 slots, holding `Arc`s of shared entries). A hit there writes no memory another core
//! reads, so threads hitting the same chain — the normal case: one front proxy — do not bounce
//! the shard lock's cache line between cores. Front slots obey the same key, generation and
//! window checks, and a `clear` (on reload) invalidates them through an epoch counter. They
//! can keep an evicted entry alive until the slot is reused: at most 8 entries per thread.
//!
//! Resumed TLS sessions: nginx presents only the leaf on a resumed session. A verdict with a
//! positive part reached with intermediates is also filed under a leaf-only key; a request
//! that presents exactly that leaf under the same generation, inside the window, reuses it.
//! A purely negative verdict is never reused that way (the missing intermediates might be
//! why). Failures inside a filed verdict stay failures: the leaf alone has fewer paths than
//! the full chain had.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::RwLock;
use rustls_pki_types::CertificateDer;
use sha2::{Digest, Sha256};

use crate::authenticator::{ClientCertVerdict, PeerVerification, ProxyVerdict};

/// Cache bounds and lifetimes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheOptions {
    /// Most entries in the whole cache.
    pub max_entries: usize,
    /// Most bytes (approximate, counted per entry) in the whole cache.
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
    pub hits: u64,
    pub misses: u64,
    pub insertions: u64,
    pub evictions: u64,
    /// Requests rejected (401) on the cache path, whether the verdict was cached or fresh.
    pub rejections: u64,
    pub entries: u64,
    pub bytes: u64,
}

/// A collision-resistant digest of a presented chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainDigest(pub [u8; 32]);

impl ChainDigest {
    /// Every certificate in order, each length-prefixed, under a domain tag.
    pub fn of_chain(chain: &[CertificateDer<'_>]) -> ChainDigest {
        let mut h = Sha256::new();
        h.update(b"frontproxy/chain/v1\0");
        h.update((chain.len() as u64).to_be_bytes());
        for c in chain {
            h.update((c.len() as u64).to_be_bytes());
            h.update(c.as_ref());
        }
        ChainDigest(h.finalize().into())
    }

    /// The leaf-only key used for resumed sessions (a different domain tag, so it can never
    /// equal a full-chain key).
    pub fn of_leaf(leaf: &CertificateDer<'_>) -> ChainDigest {
        let mut h = Sha256::new();
        h.update(b"frontproxy/leaf-positive/v1\0");
        h.update((leaf.len() as u64).to_be_bytes());
        h.update(leaf.as_ref());
        ChainDigest(h.finalize().into())
    }

    fn prefix(&self) -> u64 {
        u64::from_le_bytes(self.0[..8].try_into().expect("8 bytes"))
    }
}

struct Entry {
    digest: ChainDigest,
    generation: u64,
    valid_from: i64,
    expires_at: i64,
    last_used: AtomicU32,
    cost: usize,
    verdict: Arc<PeerVerification>,
}

/// One slot of a thread's front cache.
struct FrontEntry {
    cache_id: u64,
    epoch: u64,
    digest: ChainDigest,
    generation: u64,
    valid_from: i64,
    expires_at: i64,
    verdict: Arc<PeerVerification>,
}

const FRONT_SLOTS: usize = 8;

thread_local! {
    static FRONT: RefCell<[Option<FrontEntry>; FRONT_SLOTS]> = const { RefCell::new([const { None }; FRONT_SLOTS]) };
}

static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

#[derive(Default)]
struct Shard {
    index: HashMap<u64, u32>,
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

const STRIPES: usize = 16;

fn stripe_index() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static INDEX: usize = NEXT.fetch_add(1, Ordering::Relaxed) % STRIPES;
    }
    INDEX.with(|i| *i)
}

/// The sharded, bounded decision cache.
pub struct DecisionCache {
    id: u64,
    /// Bumped by `clear`; front slots of an older epoch are ignored.
    epoch: AtomicU64,
    options: CacheOptions,
    shards: Box<[RwLock<Shard>]>,
    per_shard_entries: usize,
    per_shard_bytes: usize,
    stripes: [Stripe; STRIPES],
    insertions: AtomicU64,
    evictions: AtomicU64,
}

/// What a lookup found.
pub enum Lookup<T> {
    Hit(T),
    Miss,
}

impl DecisionCache {
    pub fn new(options: CacheOptions) -> DecisionCache {
        let shards = options.shards.clamp(1, 4096).next_power_of_two();
        let max_entries = options.max_entries.max(shards);
        DecisionCache {
            id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed),
            epoch: AtomicU64::new(0),
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

    fn shard(&self, digest: &ChainDigest) -> &RwLock<Shard> {
        &self.shards[(digest.0[31] as usize) & (self.shards.len() - 1)]
    }

    /// Runs `use_verdict` on the entry for `digest` if it holds for `generation` at `now`,
    /// without copying the entry: first in this thread's front cache, then in the shard (whose
    /// entry is then copied, as an `Arc`, into the front cache).
    pub fn with_entry<T>(
        &self,
        digest: &ChainDigest,
        generation: u64,
        now: i64,
        positive_only: bool,
        use_verdict: impl FnOnce(&PeerVerification) -> T,
    ) -> Lookup<T> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let slot = (digest.0[30] as usize) % FRONT_SLOTS;
        let holds = |d: &ChainDigest, g: u64, from: i64, until: i64, v: &PeerVerification| {
            d == digest
                && g == generation
                && from <= now
                && now <= until
                && (!positive_only || is_positive(v))
        };
        // The front cache. No Arc clone here: a shared reference count would bounce between
        // cores just like a lock word. `use_verdict` must not touch this cache (it does not:
        // it only runs the header step).
        let mut use_verdict = Some(use_verdict);
        let front = FRONT.with(|f| {
            let slots = f.borrow();
            let e = slots[slot].as_ref()?;
            (e.cache_id == self.id
                && e.epoch == epoch
                && holds(
                    &e.digest,
                    e.generation,
                    e.valid_from,
                    e.expires_at,
                    &e.verdict,
                ))
            .then(|| (use_verdict.take().expect("called once"))(&e.verdict))
        });
        if let Some(result) = front {
            return Lookup::Hit(result);
        }
        let use_verdict = use_verdict.expect("not called yet");
        let shard = self.shard(digest).read();
        let found = shard
            .index
            .get(&digest.prefix())
            .map(|&i| &shard.entries[i as usize])
            .filter(|e| {
                holds(
                    &e.digest,
                    e.generation,
                    e.valid_from,
                    e.expires_at,
                    &e.verdict,
                )
            });
        let Some(e) = found else { return Lookup::Miss };
        let tick = now as u32;
        if e.last_used.load(Ordering::Relaxed) != tick {
            e.last_used.store(tick, Ordering::Relaxed);
        }
        let entry = FrontEntry {
            cache_id: self.id,
            epoch,
            digest: e.digest,
            generation: e.generation,
            valid_from: e.valid_from,
            expires_at: e.expires_at,
            verdict: e.verdict.clone(),
        };
        drop(shard);
        let verdict = entry.verdict.clone();
        FRONT.with(|f| f.borrow_mut()[slot] = Some(entry));
        Lookup::Hit(use_verdict(&verdict))
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

    /// Files a verdict reached at `now` under `digest` (and under the leaf-only key when it is
    /// positive and came with intermediates).
    pub fn insert(
        &self,
        chain: &[CertificateDer<'_>],
        digest: ChainDigest,
        verdict: &PeerVerification,
        now: i64,
    ) {
        let positive = is_positive(verdict);
        let negative = has_failure(verdict);
        if !positive && !negative {
            return; // no certificate, nothing to remember
        }
        // A verdict with a positive part (e.g. a trusted proxy chain that the client CA rejects,
        // the usual production shape) lives as long as a positive one: its failures depend only
        // on configuration (covered by the generation) or time (covered by the window).
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
        let mut cached = verdict.clone();
        cached.chain = None;
        self.insert_entry(digest, &cached, expires_at, now);
        if positive && chain.len() > 1 {
            self.insert_entry(ChainDigest::of_leaf(&chain[0]), &cached, expires_at, now);
        }
    }

    fn insert_entry(
        &self,
        digest: ChainDigest,
        verdict: &PeerVerification,
        expires_at: i64,
        now: i64,
    ) {
        let cost = entry_cost(verdict);
        let entry = Entry {
            digest,
            generation: verdict.generation,
            valid_from: verdict.valid_from,
            expires_at,
            last_used: AtomicU32::new(now as u32),
            cost,
            verdict: Arc::new(verdict.clone()),
        };
        let mut shard = self.shard(&digest).write();
        let prefix = digest.prefix();
        if let Some(&i) = shard.index.get(&prefix) {
            // Same key (or a 64-bit prefix collision): replace in place.
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
        shard.index.insert(prefix, slot);
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
        shard.index.remove(&removed.digest.prefix());
        shard.bytes -= removed.cost;
        if i < shard.entries.len() {
            let moved = shard.entries[i].digest.prefix();
            shard.index.insert(moved, i as u32);
        }
        self.evictions.fetch_add(1, Ordering::Relaxed);
    }

    /// Drops every entry (after a reload, old-generation entries can never hit again).
    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        for shard in self.shards.iter() {
            let mut s = shard.write();
            s.index = HashMap::new();
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

pub(crate) fn is_positive(v: &PeerVerification) -> bool {
    matches!(v.proxy, ProxyVerdict::Trusted(_))
        || matches!(v.client_cert, ClientCertVerdict::Verified(..))
}

fn has_failure(v: &PeerVerification) -> bool {
    matches!(v.proxy, ProxyVerdict::Failed(_))
        || matches!(v.client_cert, ClientCertVerdict::Failed(_))
}

/// Approximate bytes an entry holds: the entry itself, its index slot, and heap strings.
fn entry_cost(v: &PeerVerification) -> usize {
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
    // The entry, its index slot, and the verdict's own allocation (with the Arc counters).
    std::mem::size_of::<Entry>()
        + std::mem::size_of::<(u64, u32)>()
        + 1
        + std::mem::size_of::<PeerVerification>()
        + 16
        + heap
}
