//! The near-duplicate index: MinHash signatures persisted in redb, LSH band
//! buckets in memory, a retention window and a hard cap.
//!
//! Layout (all in `<state>/dedup.redb`, written in the same transaction as the
//! exact index, so one batch is decided and made durable at once):
//! - `near_docs_v1`: slot (insertion order) → encoded [`NearDoc`];
//! - `near_ids_v1`: record id → slot, to find a replayed record;
//! - `near_meta_v1`: the shingle settings the signatures were made with.
//!
//! The band buckets (band key → earliest slot) are rebuilt from the signatures at
//! open: 8 + 8 bytes per band per document in memory, nothing else.

use crate::minhash::{self, Params, Permutations};
use newsflow_record::{Dedup, DedupStatus};
use redb::{ReadableTable, ReadableTableMetadata, TableDefinition, WriteTransaction};
use std::collections::HashMap;

pub(crate) const DOCS: TableDefinition<u64, &[u8]> = TableDefinition::new("near_docs_v1");
pub(crate) const IDS: TableDefinition<&str, u64> = TableDefinition::new("near_ids_v1");
pub(crate) const META: TableDefinition<&str, &str> = TableDefinition::new("near_meta_v1");

/// Settings from `[dedup]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NearConfig {
    pub shingle_words: usize,
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
            shingle_words: 3,
            permutations: 128,
            threshold: 0.5,
            containment: 0.8,
            min_containment_shingles: 40,
            lsh_threshold: 0.3,
            window_secs: 30 * 86_400,
            max_entries: 2_000_000,
        }
    }
}

/// One indexed record.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDoc {
    pub id: String,
    pub received: u64,
    pub shingles: u32,
    pub sig: Vec<u32>,
    pub cluster: String,
    pub status: DedupStatus,
    pub similarity: f32,
    pub duplicate_of: Option<String>,
}

// A fixed little-endian layout: redb stores bytes, and this record is small and
// read on every candidate; a serde format would add a dependency for ten fields.
impl NearDoc {
    pub fn encode(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(32 + 4 * self.sig.len() + 3 * self.id.len());
        b.push(1u8);
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

    pub fn decode(b: &[u8]) -> Option<NearDoc> {
        let mut at = 0usize;
        let mut take = |n: usize| {
            let s = b.get(at..at + n)?;
            at += n;
            Some(s)
        };
        if take(1)? != [1] {
            return None;
        }
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
            .map(|c| u32::from_le_bytes(c.try_into().unwrap_or([0; 4])))
            .collect();
        let mut text = || -> Option<String> {
            let len = u16::from_le_bytes(take(2)?.try_into().ok()?) as usize;
            String::from_utf8(take(len)?.to_vec()).ok()
        };
        let id = text()?;
        let cluster = text()?;
        let dup = text()?;
        Some(NearDoc {
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
            similarity: (self.status != DedupStatus::Unique).then_some(self.similarity as f64),
            cluster_id: Some(self.cluster.clone()),
        }
    }
}

/// The in-memory half of the index.
pub struct NearState {
    pub cfg: NearConfig,
    pub params: Params,
    perms: Permutations,
    /// Band key → earliest slot with that band.
    buckets: HashMap<u64, u64>,
    next_slot: u64,
    count: u64,
}

/// What the signature settings are stored as; signatures made with other
/// settings cannot be compared.
fn settings_key(cfg: &NearConfig) -> String {
    format!(
        "minhash-v1 words={} perms={}",
        cfg.shingle_words, cfg.permutations
    )
}

impl NearState {
    /// Loads the signatures from `tx` and rebuilds the buckets. Signatures made
    /// with other shingle settings are dropped (with a warning): they cannot be
    /// compared with new ones.
    pub fn open(cfg: NearConfig, tx: &WriteTransaction) -> Result<NearState, redb::Error> {
        let params = Params::new(cfg.shingle_words, cfg.permutations, cfg.lsh_threshold);
        let key = settings_key(&cfg);
        {
            let mut meta = tx.open_table(META)?;
            let stored = meta.get("settings")?.map(|v| v.value().to_string());
            if stored.as_deref().is_some_and(|s| s != key) {
                tracing::warn!(was = stored.as_deref().unwrap_or(""), now = %key,
                    "the near-duplicate settings changed; the near-duplicate index starts empty (exact duplicates are still found)");
                tx.delete_table(DOCS)?;
                tx.delete_table(IDS)?;
            }
            meta.insert("settings", key.as_str())?;
        }
        let docs = tx.open_table(DOCS)?;
        tx.open_table(IDS)?;
        let mut state = NearState {
            cfg,
            params,
            perms: Permutations::new(cfg.permutations),
            buckets: HashMap::with_capacity(docs.len()? as usize * params.bands),
            next_slot: 0,
            count: docs.len()?,
        };
        for entry in docs.iter()? {
            let (slot, bytes) = entry?;
            let slot = slot.value();
            state.next_slot = slot + 1;
            if let Some(doc) = NearDoc::decode(bytes.value()) {
                for k in minhash::band_keys(&doc.sig, &state.params) {
                    state.buckets.entry(k).or_insert(slot);
                }
            }
        }
        Ok(state)
    }

    /// Records in the index.
    pub fn documents(&self) -> u64 {
        self.count
    }

    /// The decision for a record not indexed yet, and its entry. `tx` holds the
    /// index; the record is added to it (and to the buckets).
    pub fn decide(
        &mut self,
        tx: &WriteTransaction,
        id: &str,
        body: &str,
        received: u64,
    ) -> Result<Dedup, redb::Error> {
        let mut ids = tx.open_table(IDS)?;
        if let Some(slot) = ids.get(id)?.map(|v| v.value()) {
            // A replayed record: the decision it had.
            let docs = tx.open_table(DOCS)?;
            let doc = docs.get(slot)?.and_then(|v| NearDoc::decode(v.value()));
            if let Some(doc) = doc {
                return Ok(doc.decision());
            }
        }
        let shingles = minhash::shingles(body, self.cfg.shingle_words);
        let sig = minhash::signature(&shingles, &self.perms);
        let size = {
            let mut s = shingles.clone();
            s.sort_unstable();
            s.dedup();
            s.len()
        };
        let keys = minhash::band_keys(&sig, &self.params);
        let mut candidates: Vec<u64> = keys
            .iter()
            .filter_map(|k| self.buckets.get(k).copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut docs = tx.open_table(DOCS)?;
        // The best match: highest similarity, then earliest.
        let mut best: Option<(f64, NearDoc)> = None;
        for slot in candidates {
            let doc = docs.get(slot)?.and_then(|v| NearDoc::decode(v.value()));
            let Some(doc) = doc else {
                continue;
            };
            if doc.id == id {
                continue;
            }
            let j = minhash::jaccard(&sig, &doc.sig);
            let score = if j >= self.cfg.threshold {
                j
            } else {
                let c = minhash::containment(j, size, doc.shingles as usize);
                if c >= self.cfg.containment
                    && size.min(doc.shingles as usize) >= self.cfg.min_containment_shingles
                {
                    c
                } else {
                    continue;
                }
            };
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, doc));
            }
        }
        let doc = match best {
            Some((score, first)) => NearDoc {
                id: id.to_string(),
                received,
                shingles: size as u32,
                sig,
                duplicate_of: Some(first.cluster.clone()),
                cluster: first.cluster,
                status: DedupStatus::NearDuplicate,
                similarity: score as f32,
            },
            None => NearDoc {
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
        let slot = self.next_slot;
        self.next_slot += 1;
        docs.insert(slot, doc.encode().as_slice())?;
        ids.insert(id, slot)?;
        self.count += 1;
        for k in keys {
            self.buckets.entry(k).or_insert(slot);
        }
        let mut d = doc.decision();
        if let Some(s) = d.similarity {
            d.similarity = Some((s * 1000.0).round() / 1000.0);
        }
        Ok(d)
    }

    /// The cluster of an indexed record, for exact duplicates of it.
    pub fn cluster_of(
        &self,
        tx: &WriteTransaction,
        id: &str,
    ) -> Result<Option<String>, redb::Error> {
        let ids = tx.open_table(IDS)?;
        let Some(slot) = ids.get(id)?.map(|v| v.value()) else {
            return Ok(None);
        };
        let docs = tx.open_table(DOCS)?;
        let cluster = docs
            .get(slot)?
            .and_then(|v| NearDoc::decode(v.value()))
            .map(|d| d.cluster);
        Ok(cluster)
    }

    /// Removes the oldest records while there are more than `max_entries` or they
    /// are older than the window (at `now`, seconds since the epoch). Returns how
    /// many left.
    pub fn evict(&mut self, tx: &WriteTransaction, now: u64) -> Result<u64, redb::Error> {
        let mut docs = tx.open_table(DOCS)?;
        let mut ids = tx.open_table(IDS)?;
        let mut len = docs.len()?;
        let cutoff = now.saturating_sub(self.cfg.window_secs);
        let mut evicted = 0;
        loop {
            let Some((slot, doc)) = docs
                .first()?
                .map(|(k, v)| (k.value(), NearDoc::decode(v.value())))
            else {
                break;
            };
            let too_many = len > self.cfg.max_entries;
            let too_old = doc.as_ref().is_none_or(|d| d.received < cutoff);
            if !too_many && !too_old {
                break;
            }
            docs.remove(slot)?;
            len -= 1;
            evicted += 1;
            if let Some(doc) = doc {
                ids.remove(doc.id.as_str())?;
                for k in minhash::band_keys(&doc.sig, &self.params) {
                    if self.buckets.get(&k) == Some(&slot) {
                        self.buckets.remove(&k);
                    }
                }
            }
        }
        self.count = len;
        Ok(evicted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_survives_encoding() {
        let d = NearDoc {
            id: "0190.2".into(),
            received: 1_700_000_000,
            shingles: 321,
            sig: vec![1, 2, u32::MAX],
            cluster: "0189".into(),
            status: DedupStatus::NearDuplicate,
            similarity: 0.75,
            duplicate_of: Some("0189".into()),
        };
        assert_eq!(NearDoc::decode(&d.encode()), Some(d));
        assert_eq!(NearDoc::decode(b"\x02junk"), None);
        assert_eq!(NearDoc::decode(b""), None);
    }
}
