//! The duplicate index: one redb table of indexed records, and two maps in
//! memory rebuilt from it at open (exact body keys, LSH band buckets).
//!
//! Layout (`<state>/dedup.redb`):
//! - `docs_v2`: slot (insertion order) → encoded [`Doc`]: body key, id, time,
//!   signature, cluster and decision. Slots only grow, so inserts append to the
//!   B-tree and evictions cut its front: no random writes, whatever the size.
//! - `meta_v2`: the shingle settings the signatures were made with.
//!
//! Memory per indexed record: the exact map (16-byte key prefix → slot) and one
//! bucket per LSH band (32-bit band key → 32-bit slot, in [`Buckets`]' sorted
//! array; a rare key collision only adds a candidate, which verification
//! rejects): 37 bands of 8 bytes, plus the exact map's share, which
//! `[dedup] max_entries` bounds.
//! Exact duplicates are not indexed (they would add nothing).

use crate::buckets::Buckets;
use crate::minhash::{self, Params};
use newsflow_record::{Dedup, DedupStatus};
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};
use std::collections::HashMap;

pub(crate) const DOCS: TableDefinition<u64, &[u8]> = TableDefinition::new("docs_v2");
pub(crate) const META: TableDefinition<&str, &str> = TableDefinition::new("meta_v2");
/// The exact index of earlier versions (body key → first id), migrated at open.
pub(crate) const EXACT_V1: TableDefinition<&[u8], &str> = TableDefinition::new("exact_v1");

/// Settings from `[dedup]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearConfig {
    /// Near duplicates too (else exact only).
    pub near: bool,
    pub shingle_words: usize,
    /// Character n-grams of this length instead of word shingles (0: words), for
    /// text in scripts without spaces between words.
    pub shingle_chars: usize,
    pub permutations: usize,
    /// Estimated Jaccard at or above which a record is a near duplicate.
    pub threshold: f64,
    /// Estimated containment of the shorter record in the longer at or above which
    /// it is a near duplicate (an excerpt), for records of at least
    /// `min_containment_shingles` shingles.
    pub containment: f64,
    pub min_containment_shingles: usize,
    /// The Jaccard the LSH bands are tuned for: lower than `threshold`, so that
    /// excerpts (low Jaccard, high containment) still become candidates.
    pub lsh_threshold: f64,
    /// Records older than this (by `received_at`) leave the index.
    pub window_secs: u64,
    /// Most records in the index; the oldest leave first.
    pub max_entries: u64,
}

impl Default for NearConfig {
    fn default() -> Self {
        NearConfig {
            near: true,
            shingle_words: 3,
            shingle_chars: 0,
            permutations: 128,
            threshold: 0.5,
            containment: 0.8,
            min_containment_shingles: 40,
            lsh_threshold: 0.3,
            window_secs: 30 * 86_400,
            max_entries: 500_000,
        }
    }
}

impl NearConfig {
    /// Exact duplicates only, with the default window and cap.
    pub fn exact_only() -> NearConfig {
        NearConfig {
            near: false,
            ..NearConfig::default()
        }
    }
}

/// One indexed record.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub key: [u8; 32],
    pub id: String,
    pub received: u64,
    pub shingles: u32,
    /// Empty when near duplicates are off.
    pub sig: Vec<u32>,
    pub cluster: String,
    pub status: DedupStatus,
    pub similarity: f32,
    pub duplicate_of: Option<String>,
}

// A fixed little-endian layout: redb stores bytes, and this record is small and
// read on every candidate; a serde format would add a dependency for ten fields.
impl Doc {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(64 + 4 * self.sig.len() + 3 * self.id.len());
        b.push(2u8);
        b.extend_from_slice(&self.key);
        b.extend_from_slice(&self.received.to_le_bytes());
        b.extend_from_slice(&self.shingles.to_le_bytes());
        b.push(match self.status {
            DedupStatus::Unique => 0,
            DedupStatus::ExactDuplicate => 1,
            DedupStatus::NearDuplicate => 2,
        });
        b.extend_from_slice(&self.similarity.to_le_bytes());
        b.extend_from_slice(&(self.sig.len() as u16).to_le_bytes());
        for v in &self.sig {
            b.extend_from_slice(&v.to_le_bytes());
        }
        for s in [
            self.id.as_str(),
            self.cluster.as_str(),
            self.duplicate_of.as_deref().unwrap_or(""),
        ] {
            b.extend_from_slice(&(s.len() as u16).to_le_bytes());
            b.extend_from_slice(s.as_bytes());
        }
        b
    }

    pub fn decode(b: &[u8]) -> Option<Doc> {
        let mut at = 0usize;
        let mut take = |n: usize| {
            let s = b.get(at..at + n)?;
            at += n;
            Some(s)
        };
        if take(1)? != [2] {
            return None;
        }
        let key: [u8; 32] = take(32)?.try_into().ok()?;
        let received = u64::from_le_bytes(take(8)?.try_into().ok()?);
        let shingles = u32::from_le_bytes(take(4)?.try_into().ok()?);
        let status = match take(1)?[0] {
            0 => DedupStatus::Unique,
            1 => DedupStatus::ExactDuplicate,
            _ => DedupStatus::NearDuplicate,
        };
        let similarity = f32::from_le_bytes(take(4)?.try_into().ok()?);
        let n = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
        let sig = take(4 * n)?
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let mut text = || -> Option<String> {
            let len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
            String::from_utf8(take(len)?.to_vec()).ok()
        };
        let id = text()?;
        let cluster = text()?;
        let dup = text()?;
        Some(Doc {
            key,
            id,
            received,
            shingles,
            sig,
            cluster,
            status,
            similarity,
            duplicate_of: (!dup.is_empty()).then_some(dup),
        })
    }

    pub fn decision(&self) -> Dedup {
        Dedup {
            status: self.status,
            duplicate_of: self.duplicate_of.clone(),
            similarity: (self.status != DedupStatus::Unique)
                .then_some((self.similarity as f64 * 1000.0).round() / 1000.0),
            cluster_id: Some(self.cluster.clone()),
        }
    }
}

/// The in-memory half of the index.
pub struct State {
    pub cfg: NearConfig,
    pub params: Params,
    /// First 16 bytes of a body key → slot of the record indexed with it.
    exact: HashMap<[u8; 16], u32, KeyHash>,
    /// Band key → earliest slot with that band, both cut to 32 bits.
    buckets: Buckets,
    /// The oldest slot still indexed: eviction is oldest first, so a bucket
    /// entry below it is dead.
    first_slot: u64,
    next_slot: u64,
    count: u64,
}

/// The maps' keys are already uniform hashes (SHA-256 prefixes, rapidhash band
/// keys): hashing them again with SipHash, 74 times a record, was measurable.
#[derive(Clone, Copy, Default)]
pub struct KeyHash;

impl std::hash::BuildHasher for KeyHash {
    type Hasher = KeyHasher;
    fn build_hasher(&self) -> KeyHasher {
        KeyHasher(0)
    }
}

/// Folds the key's bytes into a word and spreads it with one multiplication.
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(29) ^ u64::from_le_bytes(w);
        }
    }
    fn write_u32(&mut self, v: u32) {
        self.0 = self.0.rotate_left(29) ^ v as u64;
    }
}

/// What the signature settings are stored as; signatures made with other
/// settings cannot be compared.
fn settings_key(cfg: &NearConfig) -> String {
    format!(
        "oph-v1 words={} chars={} perms={}",
        cfg.shingle_words, cfg.shingle_chars, cfg.permutations
    )
}

fn prefix(key: &[u8; 32]) -> [u8; 16] {
    let mut p = [0u8; 16];
    p.copy_from_slice(&key[..16]);
    p
}

impl State {
    /// Loads the records from `tx` and rebuilds the maps. Signatures made with
    /// other shingle settings are dropped (with a warning): they cannot be
    /// compared with new ones; the exact keys stay.
    pub fn open(cfg: NearConfig, tx: &WriteTransaction) -> Result<State, redb::Error> {
        let params = Params::new(cfg.permutations, cfg.lsh_threshold);
        let mut state = State {
            cfg,
            params,
            exact: HashMap::default(),
            buckets: Buckets::default(),
            first_slot: 0,
            next_slot: 0,
            count: 0,
        };
        let key = settings_key(&cfg);
        let stored = {
            let mut meta = tx.open_table(META)?;
            let stored = meta.get("settings")?.map(|v| v.value().to_string());
            if cfg.near {
                meta.insert("settings", key.as_str())?;
            }
            stored
        };
        let drop_signatures = cfg.near && stored.as_deref().is_some_and(|s| s != key);
        if drop_signatures {
            tracing::warn!(was = stored.as_deref().unwrap_or(""), now = %key,
                "the near-duplicate settings changed; earlier records are no longer compared for near duplicates (exact duplicates still are)");
        }
        let mut docs = tx.open_table(DOCS)?;
        state.migrate_v1(tx, &mut docs)?;
        let mut rewrite = Vec::new();
        state.count = docs.len()?;
        state.exact.reserve(state.count as usize);
        let mut pairs: Vec<u64> = Vec::new();
        if cfg.near {
            pairs.reserve_exact(state.count as usize * params.bands);
        }
        state.first_slot = docs.first()?.map_or(0, |(k, _)| k.value());
        for entry in docs.iter()? {
            let (slot, bytes) = entry?;
            let slot = slot.value();
            state.next_slot = slot + 1;
            let Some(mut doc) = Doc::decode(bytes.value()) else {
                continue;
            };
            state.exact.entry(prefix(&doc.key)).or_insert(slot as u32);
            if drop_signatures && !doc.sig.is_empty() {
                doc.sig.clear();
                rewrite.push((slot, doc));
            } else if cfg.near && doc.sig.len() == cfg.permutations {
                for k in minhash::band_keys(&doc.sig, &state.params) {
                    pairs.push((k as u32 as u64) << 32 | (slot as u32 as u64));
                }
            }
        }
        state.buckets = Buckets::build(pairs);
        for (slot, doc) in rewrite {
            docs.insert(slot, doc.encode().as_slice())?;
        }
        Ok(state)
    }

    /// Brings an exact index of an earlier version into the record table.
    fn migrate_v1(
        &mut self,
        tx: &WriteTransaction,
        docs: &mut redb::Table<u64, &[u8]>,
    ) -> Result<(), redb::Error> {
        let old = match tx.open_table(EXACT_V1) {
            Ok(t) => t,
            Err(_) => return Ok(()),
        };
        let now = now_secs();
        let mut slot = docs.last()?.map(|(k, _)| k.value() + 1).unwrap_or(0);
        let mut n = 0u64;
        for entry in old.iter()? {
            let (k, v) = entry?;
            let Ok(key) = <[u8; 32]>::try_from(k.value()) else {
                continue;
            };
            let id = v.value().to_string();
            let doc = Doc {
                key,
                cluster: id.clone(),
                id,
                received: now,
                shingles: 0,
                sig: Vec::new(),
                status: DedupStatus::Unique,
                similarity: 0.0,
                duplicate_of: None,
            };
            docs.insert(slot, doc.encode().as_slice())?;
            slot += 1;
            n += 1;
        }
        drop(old);
        tx.delete_table(EXACT_V1)?;
        if n > 0 {
            tracing::info!(
                records = n,
                "moved the exact-duplicate index of an earlier version into the new one"
            );
        }
        Ok(())
    }

    /// Records in the index.
    pub fn documents(&self) -> u64 {
        self.count
    }

    /// The slot a 32-bit map entry stands for.
    fn widen(&self, low: u32) -> u64 {
        widen(self.next_slot, low)
    }

    /// The decision for one record, which is added to the index (and to the
    /// maps) unless it is an exact duplicate. A record that finds itself (a claim
    /// replayed after a crash) gets the decision it had.
    pub fn decide(
        &mut self,
        tx: &WriteTransaction,
        key: [u8; 32],
        id: &str,
        body: &str,
        received: u64,
    ) -> Result<Dedup, redb::Error> {
        let mut docs = tx.open_table(DOCS)?;
        if let Some(&slot) = self.exact.get(&prefix(&key)) {
            let found = docs
                .get(self.widen(slot))?
                .and_then(|v| Doc::decode(v.value()));
            if let Some(first) = found.filter(|d| d.key == key) {
                if first.id == id {
                    return Ok(first.decision());
                }
                return Ok(Dedup {
                    status: DedupStatus::ExactDuplicate,
                    duplicate_of: Some(first.cluster.clone()),
                    similarity: Some(1.0),
                    cluster_id: Some(first.cluster),
                });
            }
        }
        let (sig, size, keys) = if self.cfg.near {
            // Repeated shingles change nothing in the signature and little in the
            // size the containment estimate uses; not sorting them out saves a
            // tenth of the stage.
            let shingles = shingles(&self.cfg, body);
            let sig = minhash::signature(&shingles, self.cfg.permutations);
            let keys = minhash::band_keys(&sig, &self.params);
            (sig, shingles.len(), keys)
        } else {
            (Vec::new(), 0, Vec::new())
        };
        // Every record that gets here is indexed, so its buckets are claimed in
        // the same probe that finds the candidates: one random access per band,
        // not two, which is most of the index's time at a million records.
        let slot = self.next_slot;
        let mut found: Vec<u32> = Vec::with_capacity(4);
        // `slot` itself is indexed from here on.
        let (first, next) = (self.first_slot, self.next_slot + 1);
        let live = move |s: u32| widen(next, s) >= first;
        for k in &keys {
            if let Some(s) = self.buckets.get_or_insert(*k as u32, slot as u32, live) {
                found.push(s);
            }
        }
        let mut candidates: Vec<u64> = found.into_iter().map(|s| self.widen(s)).collect();
        candidates.sort_unstable();
        candidates.dedup();
        // The best match: highest similarity, then earliest.
        let mut best: Option<(f64, Doc)> = None;
        for slot in candidates {
            let doc = docs.get(slot)?.and_then(|v| Doc::decode(v.value()));
            let Some(doc) = doc.filter(|d| d.id != id && d.sig.len() == sig.len()) else {
                continue;
            };
            let Some(score) = similarity(&self.cfg, &sig, size, &doc) else {
                continue;
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, doc));
            }
        }
        let doc = match best {
            Some((score, first)) => Doc {
                key,
                id: id.to_string(),
                received,
                shingles: size as u32,
                sig,
                duplicate_of: Some(first.cluster.clone()),
                cluster: first.cluster,
                status: DedupStatus::NearDuplicate,
                similarity: score as f32,
            },
            None => Doc {
                key,
                id: id.to_string(),
                received,
                shingles: size as u32,
                sig,
                cluster: id.to_string(),
                status: DedupStatus::Unique,
                similarity: 0.0,
                duplicate_of: None,
            },
        };
        self.next_slot += 1;
        docs.insert(slot, doc.encode().as_slice())?;
        self.count += 1;
        self.exact.insert(prefix(&key), slot as u32);
        Ok(doc.decision())
    }

    /// Removes the oldest records while there are more than `max_entries` or they
    /// are older than the window (at `now`, seconds since the epoch). Returns how
    /// many left.
    pub fn evict(&mut self, tx: &WriteTransaction, now: u64) -> Result<u64, redb::Error> {
        let mut docs = tx.open_table(DOCS)?;
        let cutoff = now.saturating_sub(self.cfg.window_secs);
        let mut evicted = 0;
        loop {
            let Some((slot, doc)) = docs
                .first()?
                .map(|(k, v)| (k.value(), Doc::decode(v.value())))
            else {
                break;
            };
            let too_many = self.count > self.cfg.max_entries;
            let too_old = doc.as_ref().is_none_or(|d| d.received < cutoff);
            if !too_many && !too_old {
                break;
            }
            docs.remove(slot)?;
            self.count = self.count.saturating_sub(1);
            self.first_slot = slot + 1;
            evicted += 1;
            // Its band buckets are dead now (below `first_slot`) and leave at
            // the buckets' next merge.
            if let Some(doc) = doc {
                let p = prefix(&doc.key);
                if self.exact.get(&p) == Some(&(slot as u32)) {
                    self.exact.remove(&p);
                }
            }
        }
        Ok(evicted)
    }
}

/// The slot a 32-bit entry stands for: the latest slot below `next` with
/// those low bits (slots are given in order, so that is the one still indexed).
fn widen(next: u64, low: u32) -> u64 {
    let s = (next & !0xffff_ffff) | low as u64;
    if s >= next {
        s.saturating_sub(1 << 32)
    } else {
        s
    }
}

/// How near a record (signature `sig` of `size` shingles) is to an indexed
/// one: its Jaccard estimate if at least `threshold`, else its containment if
/// that is at least `containment` and both are long enough; `None` if neither.
pub fn similarity(cfg: &NearConfig, sig: &[u32], size: usize, doc: &Doc) -> Option<f64> {
    if doc.sig.len() != sig.len() {
        return None;
    }
    let j = minhash::jaccard(sig, &doc.sig);
    if j >= cfg.threshold {
        return Some(j);
    }
    let c = minhash::containment(j, size, doc.shingles as usize);
    (c >= cfg.containment && size.min(doc.shingles as usize) >= cfg.min_containment_shingles)
        .then_some(c)
}

/// The shingle hashes of `body` as `cfg` cuts them (words, or characters).
pub fn shingles(cfg: &NearConfig, body: &str) -> Vec<u64> {
    if cfg.shingle_chars > 0 {
        minhash::char_shingles(body, cfg.shingle_chars)
    } else {
        minhash::shingles(body, cfg.shingle_words)
    }
}

pub(crate) fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_survives_encoding() {
        let d = Doc {
            key: [7; 32],
            id: "0190.2".into(),
            received: 1_700_000_000,
            shingles: 321,
            sig: vec![1, 2, u32::MAX],
            cluster: "0189".into(),
            status: DedupStatus::NearDuplicate,
            similarity: 0.75,
            duplicate_of: Some("0189".into()),
        };
        assert_eq!(Doc::decode(&d.encode()), Some(d));
        assert_eq!(Doc::decode(b"\x02junk"), None);
        assert_eq!(Doc::decode(b""), None);
    }
}
