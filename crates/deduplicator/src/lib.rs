//! The deduplicator stage: exact duplicates by a hash of the normalized body, and
//! near duplicates by MinHash LSH, with an index that persists across restarts.
//!
//! [`body_key`] and [`minhash`] are the pure core; [`DedupIndex`] keeps the
//! indexed records in redb (an embedded, crash-safe B-tree store) under the
//! state dir, with the exact keys and LSH buckets in memory ([`near`]); [`run`]
//! moves items in batches, one index transaction per batch.

pub mod buckets;
pub mod minhash;
pub mod near;
pub mod shared;

use near::{NearConfig, State};
use newsflow_record::telemetry;
use newsflow_record::{Dedup, DedupStatus, Failed, Item, Reason, Stage, StageError};
use redb::{Database, ReadableDatabase, ReadableTable};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Page cache of the index.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Largest number of items decided in one index transaction.
const BATCH: usize = 256;

/// The key of a body: SHA-256 over its words joined by single spaces, so that line
/// endings and spacing do not make two copies of one text differ.
pub fn body_key(body: &str) -> [u8; 32] {
    // Exactly SHA-256 of `split_whitespace().join(" ")`, so keys stay stable, but
    // fed in segments (runs of words joined by single spaces, usually whole
    // paragraphs) with no copy: folding byte by byte or word by word cost more
    // than the hashing.
    let bytes = body.as_bytes();
    let space_at = |i: usize| -> bool {
        match bytes.get(i) {
            None => true,
            Some(&b) if b < 0x80 => b == b' ' || (b'\t'..=b'\r').contains(&b),
            Some(_) => body[i..].chars().next().is_some_and(char::is_whitespace),
        }
    };
    let mut h = Sha256::new();
    let mut emitted = false;
    let mut seg: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (space, len) = if b < 0x80 {
            (b == b' ' || (b'\t'..=b'\r').contains(&b), 1)
        } else {
            let c = body[i..].chars().next().unwrap_or('x');
            (c.is_whitespace(), c.len_utf8())
        };
        if space {
            // One ASCII space between two words stays inside the segment.
            if !(b == b' ' && seg.is_some() && !space_at(i + 1)) {
                if let Some(start) = seg.take() {
                    if emitted {
                        h.update(b" ");
                    }
                    h.update(&bytes[start..i]);
                    emitted = true;
                }
            }
        } else if seg.is_none() {
            seg = Some(i);
        }
        i += len;
    }
    if let Some(start) = seg {
        if emitted {
            h.update(b" ");
        }
        h.update(&bytes[start..]);
    }
    h.finalize().into()
}

/// One record to decide.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub key: [u8; 32],
    pub id: &'a str,
    pub body: &'a str,
    /// `received_at`, seconds since the epoch (the retention window's clock).
    pub received: u64,
}

impl<'a> Entry<'a> {
    /// The entry of a record: its body's key computed here.
    pub fn new(id: &'a str, body: &'a str, received: u64) -> Entry<'a> {
        Entry {
            key: body_key(body),
            id,
            body,
            received,
        }
    }
}

/// The persistent duplicate index: exact, and near when configured.
pub struct DedupIndex {
    db: Database,
    state: Mutex<State>,
}

impl DedupIndex {
    /// Opens (or creates) `<state>/dedup.redb`. Only one process may hold it.
    /// Near duplicates are found when `cfg.near`, else exact ones only. The
    /// in-memory maps are rebuilt from the stored records.
    pub fn open(state_dir: &Path, cfg: NearConfig) -> Result<DedupIndex, String> {
        let path = state_dir.join("dedup.redb");
        // redb's default page cache is sized for databases, not for a daemon with a
        // memory bound; inserts append and the hot set is small.
        let db = newsflow_record::store::open_redb(&path, CACHE_BYTES).map_err(|e| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => format!(
                "the dedup index {} is in use by another newsflow process; run one daemon per state dir",
                path.display()
            ),
            e => format!("cannot open the dedup index {}: {e}", path.display()),
        })?;
        let fail = |e: redb::Error| format!("cannot read the dedup index {}: {e}", path.display());
        let tx = db.begin_write().map_err(|e| fail(e.into()))?;
        let state = State::open(cfg, &tx).map_err(fail)?;
        tx.commit().map_err(|e| fail(e.into()))?;
        Ok(DedupIndex {
            db,
            state: Mutex::new(state),
        })
    }

    /// Decides a batch in one durable transaction, in order: a later record with
    /// the body of an earlier one in the same batch is its duplicate.
    pub fn decide_batch(&self, batch: &[Entry]) -> Result<Vec<Dedup>, redb::Error> {
        let tx = self.db.begin_write()?;
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(batch.len());
        for e in batch {
            out.push(state.decide(&tx, e.key, e.id, e.body, e.received)?);
        }
        let evicted = state.evict(&tx, near::now_secs())?;
        if evicted > 0 {
            metrics::counter!(telemetry::DEDUP_EVICTED).increment(evicted);
        }
        metrics::gauge!(telemetry::DEDUP_INDEX_DOCUMENTS).set(state.documents() as f64);
        tx.commit()?;
        Ok(out)
    }

    /// Records in the index.
    pub fn len(&self) -> u64 {
        self.state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .documents()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Records in the index, and clusters by size (largest first, at most `top`),
    /// for `newsflow dedup-stats`.
    pub fn near_stats(&self, top: usize) -> Result<NearStats, redb::Error> {
        let tx = self.db.begin_read()?;
        let mut stats = NearStats::default();
        let Ok(docs) = tx.open_table(near::DOCS) else {
            return Ok(stats);
        };
        let mut clusters: std::collections::HashMap<String, u64> = Default::default();
        for entry in docs.iter()? {
            let (_, v) = entry?;
            if let Some(doc) = near::Doc::decode(v.value()) {
                stats.documents += 1;
                stats.bytes += v.value().len() as u64;
                *clusters.entry(doc.cluster.clone()).or_default() += 1;
                if doc.status == DedupStatus::NearDuplicate {
                    stats.near_duplicates += 1;
                }
            }
        }
        stats.clusters = clusters.len() as u64;
        let mut sizes: Vec<(String, u64)> = clusters.into_iter().filter(|(_, n)| *n > 1).collect();
        stats.multi_clusters = sizes.len() as u64;
        sizes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        sizes.truncate(top);
        stats.largest = sizes;
        Ok(stats)
    }
}

/// What `newsflow dedup-stats` shows.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct NearStats {
    pub documents: u64,
    pub near_duplicates: u64,
    /// Clusters, counting single records.
    pub clusters: u64,
    /// Clusters of two records or more.
    pub multi_clusters: u64,
    /// (cluster id, records), largest first.
    pub largest: Vec<(String, u64)>,
    /// Bytes of stored records (signatures, ids, decisions).
    pub bytes: u64,
}

/// Decides items in batches until the input channel closes.
pub async fn run(
    index: Arc<DedupIndex>,
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
            let entries: Vec<Entry> = items
                .iter()
                .flat_map(|i| {
                    let received = i.claim.received_at.unix_timestamp().max(0) as u64;
                    i.records
                        .iter()
                        .map(move |r| Entry::new(&r.id, &r.body, received))
                })
                .collect();
            let r = idx.decide_batch(&entries);
            drop(entries);
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
                            tracing::info!(file = %item.claim.rel_path, id = %record.id, duplicate_of = %first,
                                status = d.status.as_str(), similarity = d.similarity.unwrap_or(1.0), "duplicate of an earlier record");
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

/// [`run`] for the scale-out worker: decisions from the shared index, on
/// `tasks` concurrent tasks (a decision is a few dozen round trips to the
/// server, so one at a time would leave the worker waiting; the index is safe
/// under concurrent deciders by construction). A key-value error (the server
/// away) is retried with backoff, not quarantined: the item waits, and upstream
/// stops through the bounded channels.
pub async fn run_shared(
    index: shared::SharedIndex,
    rx: async_channel::Receiver<Item>,
    tx: async_channel::Sender<Item>,
    tasks: usize,
) {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks.max(1) {
        let (index, rx, tx) = (index.clone(), rx.clone(), tx.clone());
        set.spawn(async move {
            while let Ok(mut item) = rx.recv().await {
                decide_shared(&index, &mut item).await;
                if tx.send(item).await.is_err() {
                    return;
                }
            }
        });
    }
    while set.join_next().await.is_some() {}
}

async fn decide_shared(index: &shared::SharedIndex, item: &mut Item) {
    let started = Instant::now();
    telemetry::item_in(Stage::Deduplicator);
    let received = item.claim.received_at.unix_timestamp().max(0) as u64;
    for record in item.records.iter_mut() {
        let entry = Entry::new(&record.id, &record.body, received);
        let mut backoff = std::time::Duration::from_millis(100);
        let d = loop {
            match index.decide(&entry).await {
                Ok(d) => break d,
                Err(e) => {
                    tracing::error!(file = %item.claim.rel_path, id = %record.id, error = %e,
                        retry_in_ms = backoff.as_millis() as u64,
                        "the shared dedup index (NATS key-value) did not answer; the item waits and is retried. Check the NATS server");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(std::time::Duration::from_secs(5));
                }
            }
        };
        metrics::counter!(telemetry::DEDUP_DECISIONS, "status" => d.status.as_str()).increment(1);
        if let Some(first) = &d.duplicate_of {
            tracing::info!(file = %item.claim.rel_path, id = %record.id, duplicate_of = %first,
                status = d.status.as_str(), similarity = d.similarity.unwrap_or(1.0), "duplicate of an earlier record");
        }
        record.dedup = d;
    }
    telemetry::item_out(Stage::Deduplicator, started.elapsed());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(body: &'a str, id: &'a str) -> Entry<'a> {
        Entry::new(id, body, 1_900_000_000)
    }

    #[test]
    fn whitespace_does_not_split_a_body() {
        assert_eq!(body_key("a b\n\nc"), body_key("a  b\r\n\r\nc "));
        assert_ne!(body_key("a b c"), body_key("a b d"));
        // The same key as the folding the index was first built with.
        for body in [
            "  Grüße\u{a0}aus\u{2028}Köln\x0b\x0cja ",
            "x",
            "",
            "\u{3000}東京 都",
        ] {
            let joined = body.split_whitespace().collect::<Vec<_>>().join(" ");
            let want: [u8; 32] = Sha256::digest(joined.as_bytes()).into();
            assert_eq!(body_key(body), want, "{body:?}");
        }
    }

    #[test]
    fn index_persists_and_a_replay_is_not_its_own_duplicate() {
        let t = tempfile::tempdir().unwrap();
        {
            let idx = DedupIndex::open(t.path(), NearConfig::exact_only()).unwrap();
            let d = idx
                .decide_batch(&[
                    entry("one story", "a"),
                    entry("one story", "b"),
                    entry("another story", "c"),
                ])
                .unwrap();
            assert_eq!(d[0].status, DedupStatus::Unique);
            assert_eq!(
                (d[1].status, d[1].duplicate_of.as_deref()),
                (DedupStatus::ExactDuplicate, Some("a"))
            );
            assert_eq!(d[2].status, DedupStatus::Unique);
        }
        let idx = DedupIndex::open(t.path(), NearConfig::exact_only()).unwrap();
        assert_eq!(idx.len(), 2);
        let d = idx
            .decide_batch(&[entry("one story", "a"), entry("one story", "z")])
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
        let _a = DedupIndex::open(t.path(), NearConfig::exact_only()).unwrap();
        let e = DedupIndex::open(t.path(), NearConfig::exact_only())
            .err()
            .unwrap();
        assert!(e.contains("in use"), "{e}");
    }

    fn article(seed: usize, words: usize) -> Vec<String> {
        (0..words)
            .map(|i| format!("w{}", (i * 7919 + seed * 104_729) % 100_003))
            .collect()
    }

    #[test]
    fn near_duplicates_cluster_replays_keep_their_decision_and_state_persists() {
        let t = tempfile::tempdir().unwrap();
        let cfg = NearConfig::default();
        let base = article(1, 600);
        let mut edited = base.clone();
        for i in (0..edited.len()).step_by(40) {
            edited[i] = format!("edit{i}");
        }
        let (base, edited) = (base.join(" "), edited.join(" "));
        let other = article(2, 600).join(" ");
        // Two fifths of the article: Jaccard about 0.4, containment about 1.
        let excerpt = base.split(' ').take(240).collect::<Vec<_>>().join(" ");
        {
            let idx = DedupIndex::open(t.path(), cfg).unwrap();
            let d = idx
                .decide_batch(&[
                    entry(&base, "a"),
                    entry(&other, "b"),
                    entry(&edited, "c"),
                    entry(&excerpt, "d"),
                    entry(&edited, "e"),
                ])
                .unwrap();
            assert_eq!(d[0].status, DedupStatus::Unique);
            assert_eq!(d[0].cluster_id.as_deref(), Some("a"));
            assert_eq!(d[1].status, DedupStatus::Unique);
            assert_eq!(d[2].status, DedupStatus::NearDuplicate, "{:?}", d[2]);
            assert_eq!(d[2].duplicate_of.as_deref(), Some("a"));
            assert!(d[2].similarity.unwrap() > 0.6, "{:?}", d[2]);
            assert_eq!(
                d[3].status,
                DedupStatus::NearDuplicate,
                "excerpt: {:?}",
                d[3]
            );
            assert_eq!(d[3].cluster_id.as_deref(), Some("a"));
            // An exact copy of a near duplicate: exact, in the same cluster.
            assert_eq!(d[4].status, DedupStatus::ExactDuplicate);
            assert_eq!(d[4].duplicate_of.as_deref(), Some("a"));
        }
        let idx = DedupIndex::open(t.path(), cfg).unwrap();
        let d = idx
            .decide_batch(&[entry(&edited, "c"), entry(&base.replace("w", "v"), "f")])
            .unwrap();
        assert_eq!(
            d[0].status,
            DedupStatus::NearDuplicate,
            "replay keeps its decision"
        );
        assert_eq!(d[0].duplicate_of.as_deref(), Some("a"));
        assert_eq!(d[1].status, DedupStatus::Unique);
        let stats = idx.near_stats(5).unwrap();
        assert_eq!(stats.documents, 5);
        assert_eq!(stats.largest[0], ("a".to_string(), 3));
    }

    #[test]
    fn the_window_and_the_cap_evict_the_oldest() {
        let t = tempfile::tempdir().unwrap();
        let cfg = NearConfig {
            max_entries: 3,
            ..NearConfig::default()
        };
        let idx = DedupIndex::open(t.path(), cfg).unwrap();
        let bodies: Vec<String> = (0..5).map(|i| article(i, 200).join(" ")).collect();
        let ids: Vec<String> = (0..5).map(|i| format!("r{i}")).collect();
        let batch: Vec<Entry> = (0..5).map(|i| entry(&bodies[i], &ids[i])).collect();
        idx.decide_batch(&batch).unwrap();
        assert_eq!(idx.near_stats(1).unwrap().documents, 3);
        // One more: still at the cap.
        let old = Entry {
            received: 1_000,
            ..entry("an old story about the harbour and its quays", "old")
        };
        idx.decide_batch(&[old]).unwrap();
        let stats = idx.near_stats(1).unwrap();
        assert_eq!(stats.documents, 3, "{stats:?}");

        // Older than the window: gone once the batch that brought it ends, so a
        // later copy is not its duplicate; the recent record stays.
        let t = tempfile::tempdir().unwrap();
        let idx = DedupIndex::open(t.path(), NearConfig::default()).unwrap();
        let old = Entry {
            received: 1_000,
            ..entry(&bodies[0], "old")
        };
        idx.decide_batch(&[old, entry(&bodies[1], "new")]).unwrap();
        assert_eq!(idx.near_stats(1).unwrap().documents, 1);
        let d = idx.decide_batch(&[entry(&bodies[0], "again")]).unwrap();
        assert_eq!(d[0].status, DedupStatus::Unique, "{:?}", d[0]);
    }

    #[test]
    fn an_evicted_story_frees_its_buckets_for_the_next_copy() {
        let t = tempfile::tempdir().unwrap();
        let cfg = NearConfig {
            max_entries: 2,
            ..NearConfig::default()
        };
        let edit = |seed: usize, every: usize| {
            let mut a = article(seed, 600);
            for i in (0..a.len()).step_by(every) {
                a[i] = format!("edit{seed}x{i}");
            }
            a.join(" ")
        };
        let (first, copy, later_copy) = (article(1, 600).join(" "), edit(1, 40), edit(1, 30));
        let (other, another) = (article(2, 600).join(" "), article(3, 600).join(" "));
        {
            let idx = DedupIndex::open(t.path(), cfg).unwrap();
            let d = idx
                .decide_batch(&[entry(&first, "a"), entry(&copy, "b")])
                .unwrap();
            assert_eq!(d[1].status, DedupStatus::NearDuplicate);
            // Two other stories push both copies out of the index.
            idx.decide_batch(&[entry(&other, "c"), entry(&another, "d")])
                .unwrap();
            // The story's buckets are free: a new copy starts its own cluster and
            // the next copy joins it.
            let d = idx.decide_batch(&[entry(&copy, "e")]).unwrap();
            assert_eq!(d[0].status, DedupStatus::Unique, "{:?}", d[0]);
            let d = idx.decide_batch(&[entry(&later_copy, "f")]).unwrap();
            assert_eq!(d[0].duplicate_of.as_deref(), Some("e"), "{:?}", d[0]);
        }
        // Reopened, the buckets are rebuilt from what is still indexed.
        let idx = DedupIndex::open(t.path(), cfg).unwrap();
        let d = idx.decide_batch(&[entry(&edit(1, 50), "g")]).unwrap();
        assert_eq!(d[0].duplicate_of.as_deref(), Some("e"), "{:?}", d[0]);
    }

    #[test]
    fn an_exact_index_of_the_earlier_version_is_carried_over() {
        let t = tempfile::tempdir().unwrap();
        {
            let db = Database::create(t.path().join("dedup.redb")).unwrap();
            let tx = db.begin_write().unwrap();
            tx.open_table(near::EXACT_V1)
                .unwrap()
                .insert(body_key("an old story").as_slice(), "old-id")
                .unwrap();
            tx.commit().unwrap();
        }
        let idx = DedupIndex::open(t.path(), NearConfig::default()).unwrap();
        assert_eq!(idx.len(), 1);
        let d = idx.decide_batch(&[entry("an old story", "new")]).unwrap();
        assert_eq!(d[0].status, DedupStatus::ExactDuplicate);
        assert_eq!(d[0].duplicate_of.as_deref(), Some("old-id"));
    }
}
