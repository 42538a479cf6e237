//! `newsflow eval dedup DIR`: the deduplicator on a folder of documents, as the
//! daemon runs it (normalized bodies, one index, files in name order), measured
//! two ways:
//! - against brute force: every pair's exact Jaccard on the same shingles, to
//!   score the LSH candidate stage (recall and precision at the threshold);
//! - against known clusters (`--truth`, as `scripts/gen-syndicated.py` writes):
//!   recall of duplicate flags, and precision (a flagged document's
//!   `duplicate_of` is in its true cluster).

use newsflow_deduplicator::minhash::{self, Params};
use newsflow_deduplicator::near::NearConfig;
use newsflow_deduplicator::{DedupIndex, Entry};
use newsflow_normalizer::{normalize, rules::RuleSet};
use newsflow_record::DedupStatus;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub files: usize,
    pub refused: usize,
    pub threshold: f64,
    pub containment: f64,
    pub shingle_words: usize,
    pub permutations: usize,
    pub bands: usize,
    pub rows: usize,
    pub flagged_exact: usize,
    pub flagged_near: usize,
    pub dedup_seconds: f64,
    pub docs_per_second: f64,
    pub mean_body_bytes: f64,
    pub truth: Option<TruthScores>,
    pub brute_force: Option<BruteForce>,
}

#[derive(Debug, Default, Serialize)]
pub struct TruthScores {
    /// Documents that are not the first of their cluster.
    pub should_flag: usize,
    pub flagged_correctly: usize,
    pub flagged_wrongly: usize,
    pub recall: f64,
    pub precision: f64,
    /// Recall among variants made with each operation of the generator.
    pub recall_by_op: Vec<(String, usize, f64)>,
}

#[derive(Debug, Default, Serialize)]
pub struct BruteForce {
    pub documents: usize,
    pub pairs: u64,
    /// Pairs whose exact Jaccard is at or above the threshold.
    pub similar_pairs: u64,
    /// Pairs sharing at least one LSH band.
    pub candidate_pairs: u64,
    pub candidate_recall: f64,
    pub candidate_precision: f64,
    /// Pairs under the Jaccard threshold whose exact containment is at or above
    /// `containment` (excerpts), and the share of them that are candidates.
    pub containment_pairs: u64,
    pub containment_recall: f64,
    pub seconds: f64,
}

#[derive(serde::Deserialize)]
struct Truth {
    docs: HashMap<String, TruthDoc>,
}

#[derive(serde::Deserialize)]
struct TruthDoc {
    cluster: String,
    #[serde(default)]
    ops: Vec<String>,
}

pub fn run(
    dir: &Path,
    truth: Option<&Path>,
    rules: &RuleSet,
    cfg: NearConfig,
    brute_limit: usize,
) -> Result<Report, String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n != "truth.json" && !n.starts_with('.'))
        .collect();
    names.sort();
    let mut report = Report {
        files: names.len(),
        threshold: cfg.threshold,
        containment: cfg.containment,
        shingle_words: cfg.shingle_words,
        permutations: cfg.permutations,
        ..Report::default()
    };
    let params = Params::new(cfg.permutations, cfg.lsh_threshold);
    report.bands = params.bands;
    report.rows = params.rows;
    // Bodies as the daemon would index them.
    let mut docs: Vec<(String, String)> = Vec::with_capacity(names.len());
    for name in names {
        let bytes = std::fs::read(dir.join(&name))
            .map_err(|e| format!("cannot read {}: {e}", dir.join(&name).display()))?;
        match normalize(&bytes, &name, rules) {
            Ok(n) => docs.push((name, n.body)),
            Err(_) => report.refused += 1,
        }
    }
    if docs.is_empty() {
        return Err(format!(
            "no document in {} could be normalized",
            dir.display()
        ));
    }
    report.mean_body_bytes =
        docs.iter().map(|(_, b)| b.len()).sum::<usize>() as f64 / docs.len() as f64;

    let state = tempfile::tempdir().map_err(|e| e.to_string())?;
    let index = DedupIndex::open(state.path(), cfg)?;
    let started = Instant::now();
    let mut decisions = Vec::with_capacity(docs.len());
    for chunk in docs.chunks(256) {
        let entries: Vec<Entry> = chunk
            .iter()
            .map(|(name, body)| Entry::new(name, body, u64::MAX / 2))
            .collect();
        decisions.extend(index.decide_batch(&entries).map_err(|e| e.to_string())?);
    }
    report.dedup_seconds = started.elapsed().as_secs_f64();
    report.docs_per_second = docs.len() as f64 / report.dedup_seconds.max(1e-9);
    report.flagged_exact = decisions
        .iter()
        .filter(|d| d.status == DedupStatus::ExactDuplicate)
        .count();
    report.flagged_near = decisions
        .iter()
        .filter(|d| d.status == DedupStatus::NearDuplicate)
        .count();

    if let Some(path) = truth {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let truth: Truth = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a truth file: {e}", path.display()))?;
        let cluster = |name: &str| truth.docs.get(name).map(|d| d.cluster.as_str());
        let mut seen: HashSet<&str> = HashSet::new();
        let mut t = TruthScores::default();
        let mut by_op: HashMap<String, (usize, usize)> = HashMap::new();
        for ((name, _), d) in docs.iter().zip(&decisions) {
            let Some(c) = cluster(name) else { continue };
            let should = !seen.insert(c);
            let flagged = d.status != DedupStatus::Unique;
            let right = flagged && d.duplicate_of.as_deref().and_then(cluster) == Some(c);
            if should {
                t.should_flag += 1;
                for op in &truth.docs[name].ops {
                    let e = by_op.entry(op.clone()).or_default();
                    e.0 += 1;
                    if right {
                        e.1 += 1;
                    }
                }
            }
            if flagged {
                if right {
                    t.flagged_correctly += 1;
                } else {
                    t.flagged_wrongly += 1;
                }
            }
        }
        t.recall = t.flagged_correctly as f64 / t.should_flag.max(1) as f64;
        t.precision =
            t.flagged_correctly as f64 / (t.flagged_correctly + t.flagged_wrongly).max(1) as f64;
        let mut ops: Vec<(String, usize, f64)> = by_op
            .into_iter()
            .map(|(op, (n, ok))| (op, n, ok as f64 / n.max(1) as f64))
            .collect();
        ops.sort_by(|a, b| a.0.cmp(&b.0));
        t.recall_by_op = ops;
        report.truth = Some(t);
    }

    if docs.len() <= brute_limit {
        report.brute_force = Some(brute_force(&docs, &cfg, &params));
    }
    Ok(report)
}

/// Every pair's exact Jaccard and containment, and which pairs LSH makes candidates.
fn brute_force(docs: &[(String, String)], cfg: &NearConfig, params: &Params) -> BruteForce {
    let started = Instant::now();
    let sets: Vec<Vec<u64>> = docs
        .iter()
        .map(|(_, b)| {
            let mut s = newsflow_deduplicator::near::shingles(cfg, b);
            s.sort_unstable();
            s.dedup();
            s
        })
        .collect();
    let mut buckets: HashMap<u64, Vec<u32>> = HashMap::new();
    for (i, s) in sets.iter().enumerate() {
        let sig = minhash::signature(s, cfg.permutations);
        for k in minhash::band_keys(&sig, params) {
            buckets.entry(k).or_default().push(i as u32);
        }
    }
    let mut candidates: HashSet<(u32, u32)> = HashSet::new();
    for members in buckets.values().filter(|m| m.len() > 1) {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                candidates.insert((a.min(b), a.max(b)));
            }
        }
    }
    let mut bf = BruteForce {
        documents: docs.len(),
        candidate_pairs: candidates.len() as u64,
        ..BruteForce::default()
    };
    let (mut hit, mut contained_hit) = (0u64, 0u64);
    for i in 0..sets.len() {
        for j in i + 1..sets.len() {
            bf.pairs += 1;
            let inter = intersection(&sets[i], &sets[j]);
            let union = sets[i].len() + sets[j].len() - inter;
            let jac = if union == 0 {
                0.0
            } else {
                inter as f64 / union as f64
            };
            let small = sets[i].len().min(sets[j].len());
            let is_candidate = candidates.contains(&(i as u32, j as u32));
            if jac >= cfg.threshold {
                bf.similar_pairs += 1;
                hit += is_candidate as u64;
            } else if small >= cfg.min_containment_shingles
                && inter as f64 / small as f64 >= cfg.containment
            {
                bf.containment_pairs += 1;
                contained_hit += is_candidate as u64;
            }
        }
    }
    bf.candidate_recall = hit as f64 / bf.similar_pairs.max(1) as f64;
    bf.candidate_precision = hit as f64 / bf.candidate_pairs.max(1) as f64;
    bf.containment_recall = contained_hit as f64 / bf.containment_pairs.max(1) as f64;
    bf.seconds = started.elapsed().as_secs_f64();
    bf
}

/// Size of the intersection of two sorted, deduplicated lists.
fn intersection(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

impl Report {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "files {}  refused by the normalizer {}  mean body {:.0} bytes\n\
             settings: {}-word shingles, {} permutations, LSH {} bands x {} rows, \
             threshold {} (Jaccard), containment {}\n\
             flagged: {} exact, {} near\n\
             dedup stage: {:.0} docs/s ({:.2} s, index in a temp dir, one thread)\n",
            self.files,
            self.refused,
            self.mean_body_bytes,
            self.shingle_words,
            self.permutations,
            self.bands,
            self.rows,
            self.threshold,
            self.containment,
            self.flagged_exact,
            self.flagged_near,
            self.docs_per_second,
            self.dedup_seconds,
        );
        if let Some(t) = &self.truth {
            s += &format!(
                "against the true clusters: recall {:.4} ({} of {} to flag), precision {:.4} ({} wrongly flagged)\n",
                t.recall, t.flagged_correctly, t.should_flag, t.precision, t.flagged_wrongly
            );
            for (op, n, r) in &t.recall_by_op {
                s += &format!("  recall of variants with {op:<10} {r:.4} ({n})\n");
            }
        }
        if let Some(b) = &self.brute_force {
            s += &format!(
                "against brute force ({} docs, {} pairs, {:.1} s): {} pairs at Jaccard >= {}; \
                 LSH candidates {} pairs, recall {:.4}, precision {:.4}; \
                 {} excerpt pairs (containment >= {}), candidate recall {:.4}\n",
                b.documents,
                b.pairs,
                b.seconds,
                b.similar_pairs,
                self.threshold,
                b.candidate_pairs,
                b.candidate_recall,
                b.candidate_precision,
                b.containment_pairs,
                self.containment,
                b.containment_recall
            );
        } else {
            s += "brute force skipped: more documents than --brute-force-limit\n";
        }
        s
    }
}
