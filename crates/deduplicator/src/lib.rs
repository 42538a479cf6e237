//! The deduplicator stage: exact duplicates by a hash of the normalized body, with
//! an index that persists across restarts.
//!
//! [`body_key`] and [`decide`] are the pure core; [`ExactIndex`] keeps the index in
//! redb (an embedded, crash-safe B-tree store) under the state dir; [`run`] moves
//! items in batches, one index transaction per batch.

use newsflow_record::telemetry;
use newsflow_record::{Dedup, DedupStatus, Failed, Item, Reason, Stage, StageError};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

/// body key (SHA-256 of the folded body) -> id of the first record with that body.
const EXACT: TableDefinition<&[u8], &str> = TableDefinition::new("exact_v1");

/// Page cache of the index.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Largest number of items decided in one index transaction.
const BATCH: usize = 256;

/// The key of a body: SHA-256 over its words joined by single spaces, so that line
/// endings and spacing do not make two copies of one text differ.
pub fn body_key(body: &str) -> [u8; 32] {
    let mut h = Sha256::new();
    for (i, w) in body.split_whitespace().enumerate() {
        if i > 0 {
            h.update(b" ");
        }
        h.update(w.as_bytes());
    }
    h.finalize().into()
}

/// The decision for record `id` given the first record already indexed under its
/// key. A record that finds itself (a claim replayed after a crash) is unique.
pub fn decide(first: Option<&str>, id: &str) -> Dedup {
    match first {
        Some(first) if first != id => Dedup {
            status: DedupStatus::ExactDuplicate,
            duplicate_of: Some(first.to_string()),
            similarity: Some(1.0),
        },
        _ => Dedup::default(),
    }
}

/// The persistent exact-duplicate index.
pub struct ExactIndex {
    db: Database,
}

impl ExactIndex {
    /// Opens (or creates) `<state>/dedup.redb`. Only one process may hold it.
    pub fn open(state_dir: &Path) -> Result<ExactIndex, String> {
        let path = state_dir.join("dedup.redb");
        // redb's default page cache is sized for databases, not for a daemon with a
        // memory bound; the index's hot set is small.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(&path)
            .map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => format!(
                "the dedup index {} is in use by another newsflow process; run one daemon per state dir",
                path.display()
            ),
            e => format!("cannot open the dedup index {}: {e}", path.display()),
        })?;
        let tx = db.begin_write().map_err(|e| e.to_string())?;
        tx.open_table(EXACT).map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        Ok(ExactIndex { db })
    }

    /// Decides a batch of (key, id) in one durable transaction, in order: a later
    /// item with the key of an earlier one in the same batch is its duplicate.
    pub fn decide_batch(&self, batch: &[([u8; 32], String)]) -> Result<Vec<Dedup>, redb::Error> {
        let tx = self.db.begin_write()?;
        let mut out = Vec::with_capacity(batch.len());
        {
            let mut table = tx.open_table(EXACT)?;
            for (key, id) in batch {
                let first = table.get(key.as_slice())?.map(|v| v.value().to_string());
                if first.is_none() {
                    table.insert(key.as_slice(), id.as_str())?;
                }
                out.push(decide(first.as_deref(), id));
            }
        }
        tx.commit()?;
        Ok(out)
    }

    /// Number of distinct bodies indexed.
    pub fn len(&self) -> Result<u64, redb::Error> {
        use redb::ReadableTableMetadata;
        let tx = self.db.begin_read()?;
        Ok(tx.open_table(EXACT)?.len()?)
    }

    pub fn is_empty(&self) -> Result<bool, redb::Error> {
        Ok(self.len()? == 0)
    }
}

/// Decides items in batches until the input channel closes.
pub async fn run(
    index: Arc<ExactIndex>,
    rx: async_channel::Receiver<Item>,
    tx: async_channel::Sender<Item>,
    failed: async_channel::Sender<Failed>,
) {
    while let Ok(first) = rx.recv().await {
        let mut items = vec![first];
        while items.len() < BATCH {
            match rx.try_recv() {
                Ok(i) => items.push(i),
                Err(_) => break,
            }
        }
        let started = Instant::now();
        for _ in &items {
            telemetry::item_in(Stage::Deduplicator);
        }
        let idx = index.clone();
        let (items, result) = tokio::task::spawn_blocking(move || {
            // Records in file order, files in arrival order: an item earlier in a
            // file is the original of a later copy in the same file.
            let keys: Vec<([u8; 32], String)> = items
                .iter()
                .flat_map(|i| &i.records)
                .map(|r| (body_key(&r.body), r.id.clone()))
                .collect();
            let r = idx.decide_batch(&keys);
            (items, r)
        })
        .await
        .expect("the dedup index does not panic; a panic here is a bug to report");
        match result {
            Ok(decisions) => {
                let per_item = started.elapsed() / items.len() as u32;
                let mut decisions = decisions.into_iter();
                for mut item in items {
                    for (record, d) in item.records.iter_mut().zip(decisions.by_ref()) {
                        metrics::counter!(telemetry::DEDUP_DECISIONS, "status" => d.status.as_str())
                            .increment(1);
                        if let Some(first) = &d.duplicate_of {
                            tracing::info!(file = %item.claim.rel_path, id = %record.id, duplicate_of = %first, "exact duplicate of an earlier record");
                        }
                        record.dedup = d;
                    }
                    telemetry::item_out(Stage::Deduplicator, per_item);
                    if tx.send(item).await.is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "the dedup index failed; the batch goes to quarantine and can be re-dropped once the state dir is healthy");
                for item in items {
                    telemetry::item_failed(Stage::Deduplicator, started.elapsed());
                    let error = StageError::new(
                        Stage::Deduplicator,
                        Reason::IndexError,
                        format!("the dedup index could not be updated: {e}; check the state dir's disk and permissions, then move the file back to the inbox"),
                    );
                    if failed
                        .send(Failed {
                            claim: item.claim,
                            error,
                        })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_does_not_split_a_body() {
        assert_eq!(body_key("a b\n\nc"), body_key("a  b\r\n\r\nc "));
        assert_ne!(body_key("a b c"), body_key("a b d"));
    }

    #[test]
    fn index_persists_and_a_replay_is_not_its_own_duplicate() {
        let t = tempfile::tempdir().unwrap();
        let k1 = body_key("one story");
        let k2 = body_key("another story");
        {
            let idx = ExactIndex::open(t.path()).unwrap();
            let d = idx
                .decide_batch(&[(k1, "a".into()), (k1, "b".into()), (k2, "c".into())])
                .unwrap();
            assert_eq!(d[0].status, DedupStatus::Unique);
            assert_eq!(
                (d[1].status, d[1].duplicate_of.as_deref()),
                (DedupStatus::ExactDuplicate, Some("a"))
            );
            assert_eq!(d[2].status, DedupStatus::Unique);
        }
        let idx = ExactIndex::open(t.path()).unwrap();
        assert_eq!(idx.len().unwrap(), 2);
        let d = idx
            .decide_batch(&[(k1, "a".into()), (k1, "z".into())])
            .unwrap();
        assert_eq!(
            d[0].status,
            DedupStatus::Unique,
            "replayed record flagged as its own duplicate"
        );
        assert_eq!(d[1].duplicate_of.as_deref(), Some("a"));
    }

    #[test]
    fn a_second_process_is_refused_clearly() {
        let t = tempfile::tempdir().unwrap();
        let _a = ExactIndex::open(t.path()).unwrap();
        let e = ExactIndex::open(t.path()).err().unwrap();
        assert!(e.contains("in use"), "{e}");
    }
}
