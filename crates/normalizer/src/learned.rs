//! The third boilerplate layer: site template text learned from the stream.
//!
//! A line that recurs verbatim (case and punctuation aside) in at least `min_documents` distinct
//! documents of one source is template text ("Get the Morning Brief…", a footer,
//! a promo), and is removed from later documents of that source with rule id
//! `learned:<hash>`. Only short lines are learned (at most `max_words` folded
//! words): a long quote repeated across articles about one story is reporting, not
//! template, while site template lines are short. Counting is per distinct record
//! id, so a file replayed after a crash does not count twice.
//!
//! [`LineMemory`] is the counting store: [`MemoryLines`] keeps it in memory (tests,
//! `newsflow eval`), the daemon's store persists it (see `persist`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// Settings of the learned layer (`[normalizer.learned]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LearnConfig {
    /// Documents a line must appear in before it counts as template text.
    pub min_documents: usize,
    /// Longest line, in folded words, that is ever learned.
    pub max_words: usize,
}

impl Default for LearnConfig {
    fn default() -> Self {
        LearnConfig {
            min_documents: 3,
            max_words: 20,
        }
    }
}

/// A line's key: a 64-bit hash of its words, lowercased, punctuation dropped.
/// Digits are kept, unlike in rule matching: a daily "Shares closed at 41.20."
/// differs from yesterday's only in its numbers and is news, not template.
/// Collisions only merge the counts of two short lines of one source, which at 64
/// bits does not happen in practice.
pub fn line_key(line: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for word in line
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        for c in word.chars().flat_map(char::to_lowercase) {
            c.hash(&mut h);
        }
        ' '.hash(&mut h);
    }
    h.finish()
}

/// Is this line short enough to be learned? Returns its key if so.
pub fn learnable(line: &str, cfg: &LearnConfig) -> Option<u64> {
    let words = line.split_whitespace().count();
    (words > 0 && words <= cfg.max_words).then(|| line_key(line))
}

/// Counts, per source and line key, the distinct documents a line appeared in.
pub trait LineMemory: Send + Sync {
    /// In how many distinct documents other than `doc` has this line appeared?
    fn documents(&self, source: &str, key: u64, doc: &str) -> usize;
    /// Records that `doc` contains these lines.
    fn record(&self, source: &str, keys: &[u64], doc: &str);
}

/// What one line is known by: a few distinct document ids, then just a count.
#[derive(Debug, Clone, Default)]
struct Seen {
    docs: Vec<String>,
}

/// An in-memory [`LineMemory`], bounded to `capacity` lines per source: when full,
/// lines seen in a single document are forgotten first.
#[derive(Debug)]
pub struct MemoryLines {
    inner: std::sync::Mutex<HashMap<String, HashMap<u64, Seen>>>,
    capacity: usize,
    keep_ids: usize,
}

impl MemoryLines {
    pub fn new(capacity: usize, cfg: &LearnConfig) -> MemoryLines {
        MemoryLines {
            inner: std::sync::Mutex::new(HashMap::new()),
            capacity: capacity.max(16),
            keep_ids: cfg.min_documents + 1,
        }
    }
}

impl LineMemory for MemoryLines {
    fn documents(&self, source: &str, key: u64, doc: &str) -> usize {
        let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner
            .get(source)
            .and_then(|m| m.get(&key))
            .map(|s| s.docs.iter().filter(|d| *d != doc).count())
            .unwrap_or(0)
    }

    fn record(&self, source: &str, keys: &[u64], doc: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let lines = inner.entry(source.to_string()).or_default();
        for key in keys {
            let seen = lines.entry(*key).or_default();
            if seen.docs.len() < self.keep_ids && !seen.docs.iter().any(|d| d == doc) {
                seen.docs.push(doc.to_string());
            }
        }
        if lines.len() > self.capacity {
            lines.retain(|_, s| s.docs.len() > 1);
        }
    }
}

/// The learned layer's view of one document: its source and id, and the store.
pub struct Learned<'a> {
    pub memory: &'a dyn LineMemory,
    pub source: &'a str,
    pub doc: &'a str,
    pub cfg: LearnConfig,
}

impl Learned<'_> {
    /// The rule id if `line` is known template text of this source.
    pub fn template(&self, line: &str) -> Option<String> {
        self.known(learnable(line, &self.cfg)?)
    }

    /// [`Learned::template`] for a line whose key the caller already has.
    pub fn known(&self, key: u64) -> Option<String> {
        (self.memory.documents(self.source, key, self.doc) >= self.cfg.min_documents)
            .then(|| format!("learned:{key:016x}"))
    }

    /// Counts this document's learnable lines.
    pub fn remember<'l>(&self, lines: impl Iterator<Item = &'l str>) {
        let mut keys: Vec<u64> = lines.filter_map(|l| learnable(l, &self.cfg)).collect();
        keys.sort_unstable();
        keys.dedup();
        self.memory.record(self.source, &keys, self.doc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_becomes_template_after_n_documents_and_replays_do_not_count() {
        let cfg = LearnConfig::default();
        let mem = MemoryLines::new(1000, &cfg);
        let line = "Get the Morning Brief — free in your inbox.";
        for (i, doc) in ["a", "b", "a", "c", "d"].iter().enumerate() {
            let l = Learned {
                memory: &mem,
                source: "site",
                doc,
                cfg,
            };
            let known = l.template(line).is_some();
            // a, b, a (a replay), c, d: seen in three documents, it is template
            // text from the fourth distinct document on.
            assert_eq!(known, i == 4, "document {i}");
            l.remember([line].into_iter());
        }
        let other = Learned {
            memory: &mem,
            source: "other-site",
            doc: "z",
            cfg,
        };
        assert!(
            other.template(line).is_none(),
            "sources do not share templates"
        );
    }

    #[test]
    fn lines_differing_in_numbers_are_different_lines() {
        assert_ne!(
            line_key("Shares closed at 41.20."),
            line_key("Shares closed at 39.80.")
        );
        assert_eq!(
            line_key("Get the Brief — FREE!"),
            line_key("get the brief, free")
        );
    }

    #[test]
    fn long_lines_are_never_learned() {
        let cfg = LearnConfig::default();
        let quote = "“It’s one thing if it’s a minor incursion and we end up having to fight about what to do and not do,” Biden said.";
        assert!(learnable(quote, &cfg).is_none());
    }
}

/// The persistent [`LineMemory`] of the daemon: a redb table in the state dir, so
/// what a source's template looks like survives restarts.
pub mod persist {
    use super::{LearnConfig, LineMemory};
    use redb::{
        Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata,
        TableDefinition,
    };
    use std::collections::HashMap;
    use std::path::Path;
    use std::sync::Mutex;

    /// (source, 0, line key big-endian) -> up to `min_documents + 1` record ids, `\n`-joined.
    const LINES: TableDefinition<&[u8], &str> = TableDefinition::new("learned_lines_v1");
    /// Documents whose lines are gathered in memory before one write transaction
    /// takes them all: a commit per document was ~3 % of a text run's CPU.
    const WRITE_EVERY: u64 = 16;
    /// Every this many documents a commit is made durable; the ones between may be
    /// lost in a crash, which only delays learning a little.
    const DURABLE_EVERY: u64 = 64;
    /// How often the table's size is checked against the capacity.
    const PRUNE_EVERY: u64 = 1024;

    pub struct RedbLines {
        db: Database,
        keep_ids: usize,
        capacity: u64,
        pending: Mutex<Pending>,
    }

    /// Lines recorded since the last write, read together with the table's.
    #[derive(Default)]
    struct Pending {
        documents: u64,
        written: u64,
        /// Source -> line key -> document ids.
        lines: HashMap<String, HashMap<u64, Vec<String>>>,
    }

    fn key(source: &str, line: u64) -> Vec<u8> {
        let mut k = Vec::with_capacity(source.len() + 9);
        k.extend_from_slice(source.as_bytes());
        k.push(0);
        k.extend_from_slice(&line.to_be_bytes());
        k
    }

    impl RedbLines {
        /// Opens `<state>/learned.redb`; `capacity` bounds the number of lines kept.
        pub fn open(
            state_dir: &Path,
            cfg: &LearnConfig,
            capacity: u64,
        ) -> Result<RedbLines, String> {
            let path = state_dir.join("learned.redb");
            let db = newsflow_record::store::open_redb(&path, 8 * 1024 * 1024).map_err(|e| {
                format!(
                    "cannot open the learned-boilerplate store {}: {e}",
                    path.display()
                )
            })?;
            let tx = db.begin_write().map_err(|e| e.to_string())?;
            tx.open_table(LINES).map_err(|e| e.to_string())?;
            tx.commit().map_err(|e| e.to_string())?;
            Ok(RedbLines {
                db,
                keep_ids: cfg.min_documents + 1,
                capacity: capacity.max(1024),
                pending: Mutex::new(Pending::default()),
            })
        }

        fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
            self.pending.lock().unwrap_or_else(|e| e.into_inner())
        }

        fn try_documents(&self, source: &str, line: u64, doc: &str) -> Result<usize, redb::Error> {
            let tx = self.db.begin_read()?;
            let table = tx.open_table(LINES)?;
            let stored = table.get(key(source, line).as_slice())?;
            let mut ids: Vec<&str> = stored
                .as_ref()
                .map(|v| v.value().split('\n').filter(|d| !d.is_empty()).collect())
                .unwrap_or_default();
            let pending = self.pending();
            if let Some(more) = pending.lines.get(source).and_then(|m| m.get(&line)) {
                // As the next write will merge them.
                for d in more {
                    if ids.len() < self.keep_ids && !ids.contains(&d.as_str()) {
                        ids.push(d);
                    }
                }
            }
            Ok(ids.iter().filter(|d| **d != doc).count())
        }

        /// Writes the lines gathered since the last write in one transaction.
        fn write(&self, pending: &mut Pending) -> Result<(), redb::Error> {
            if pending.lines.is_empty() {
                return Ok(());
            }
            pending.written += 1;
            let mut tx = self.db.begin_write()?;
            if !(pending.written * WRITE_EVERY).is_multiple_of(DURABLE_EVERY) {
                tx.set_durability(Durability::None)?;
            }
            {
                let mut table = tx.open_table(LINES)?;
                let lines = pending
                    .lines
                    .drain()
                    .flat_map(|(source, m)| m.into_iter().map(move |(l, d)| (key(&source, l), d)));
                for (k, docs) in lines {
                    let current = table
                        .get(k.as_slice())?
                        .map(|v| v.value().to_string())
                        .unwrap_or_default();
                    let mut ids: Vec<&str> =
                        current.split('\n').filter(|d| !d.is_empty()).collect();
                    let before = ids.len();
                    for d in &docs {
                        if ids.len() < self.keep_ids && !ids.contains(&d.as_str()) {
                            ids.push(d);
                        }
                    }
                    if ids.len() > before {
                        table.insert(k.as_slice(), ids.join("\n").as_str())?;
                    }
                }
                if (pending.written * WRITE_EVERY).is_multiple_of(PRUNE_EVERY)
                    && table.len()? > self.capacity
                {
                    // Forget lines seen in one document only: they are the bulk, and
                    // the least likely to be template text.
                    table.retain(|_, v| v.contains('\n'))?;
                }
            }
            tx.commit()?;
            Ok(())
        }
    }

    impl LineMemory for RedbLines {
        fn documents(&self, source: &str, key: u64, doc: &str) -> usize {
            self.try_documents(source, key, doc).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "cannot read the learned-boilerplate store; the learned layer skips this line");
                0
            })
        }

        fn record(&self, source: &str, keys: &[u64], doc: &str) {
            let mut pending = self.pending();
            if !pending.lines.contains_key(source) {
                pending.lines.insert(source.to_string(), HashMap::new());
            }
            let by_line = pending.lines.get_mut(source).expect("inserted above");
            for line in keys {
                let docs = by_line.entry(*line).or_default();
                if docs.len() < self.keep_ids && !docs.iter().any(|d| d == doc) {
                    docs.push(doc.to_string());
                }
            }
            pending.documents += 1;
            if pending.documents.is_multiple_of(WRITE_EVERY) {
                if let Err(e) = self.write(&mut pending) {
                    tracing::warn!(error = %e, "cannot update the learned-boilerplate store; the last documents' lines are not counted");
                }
            }
        }
    }

    impl Drop for RedbLines {
        /// A clean stop keeps what the last documents taught.
        fn drop(&mut self) {
            let mut pending = std::mem::take(&mut *self.pending());
            if let Err(e) = self.write(&mut pending) {
                tracing::warn!(error = %e, "cannot save the learned-boilerplate store at shutdown; the last documents' lines are not counted");
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn counts_survive_a_reopen() {
            let t = tempfile::tempdir().unwrap();
            let cfg = LearnConfig::default();
            {
                let s = RedbLines::open(t.path(), &cfg, 10_000).unwrap();
                for doc in ["a", "b", "c", "a"] {
                    s.record("src", &[7], doc);
                }
                assert_eq!(s.documents("src", 7, "z"), 3);
                assert_eq!(s.documents("src", 7, "a"), 2);
            }
            let s = RedbLines::open(t.path(), &cfg, 10_000).unwrap();
            // Non-durable commits are still in the file after a clean close.
            assert_eq!(s.documents("src", 7, "z"), 3);
            assert_eq!(s.documents("other", 7, "z"), 0);
        }

        #[test]
        fn counts_read_the_same_before_and_after_a_batch_is_written() {
            let t = tempfile::tempdir().unwrap();
            let cfg = LearnConfig::default();
            let s = RedbLines::open(t.path(), &cfg, 10_000).unwrap();
            // 40 documents: two written batches and some still gathered in memory;
            // a line is counted once per document, up to min_documents + 1.
            for n in 0..40u64 {
                let doc = format!("d{n}");
                s.record("src", &[n, 1_000], &doc);
                s.record("src", &[1_000], &doc);
                assert_eq!(s.documents("src", n, "z"), 1, "doc {n}");
                assert_eq!(s.documents("src", n, &doc), 0, "doc {n}");
                let seen = (n as usize + 1).min(cfg.min_documents + 1);
                assert_eq!(s.documents("src", 1_000, "z"), seen, "doc {n}");
            }
        }
    }
}
