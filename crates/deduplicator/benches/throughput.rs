//! Throughput and memory of the deduplicator with a large index.
//!
//! `cargo bench -p newsflow-deduplicator --bench throughput -- [PREFILL] [DOCS] [BATCH]`
//! (defaults 1,000,000, 20,000 and 256, the daemon's batch). Fills a fresh index (in a temp dir) with
//! PREFILL distinct ~5 KB documents, then decides DOCS more (a fifth of them
//! edited copies of indexed ones), in batches of 256 as the daemon does, one
//! thread. Reports: the core alone (shingles + signature), the stage
//! (index transaction included), RSS per indexed document, and disk per document.

use newsflow_deduplicator::near::NearConfig;
use newsflow_deduplicator::{minhash, DedupIndex, Entry};
use newsflow_record::DedupStatus;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Words with a Zipf-like spread over a 60,000-word vocabulary, ~5 KB a document.
fn document(rng: &mut Rng, vocab: &[String]) -> String {
    let mut s = String::with_capacity(5200);
    while s.len() < 5000 {
        let r = (rng.next() % 1_000_000) as f64 / 1_000_000.0;
        let i = ((vocab.len() as f64).powf(r) as usize).min(vocab.len() - 1);
        s.push_str(&vocab[i]);
        s.push(if rng.next().is_multiple_of(15) {
            '\n'
        } else {
            ' '
        });
    }
    s
}

/// `VmRSS` (now) or `VmHWM` (the peak so far) of this process, in KiB.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn rss_kib() -> u64 {
    status_kib("VmRSS:")
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let prefill = args.first().copied().unwrap_or(1_000_000);
    let docs = args.get(1).copied().unwrap_or(20_000);
    let batch = args.get(2).copied().unwrap_or(256);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let syll = [
        "ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "dan", "or", "el",
    ];
    let vocab: Vec<String> = (0..60_000)
        .map(|i| {
            let mut w = String::new();
            let mut x = i + 7;
            while x > 0 {
                w.push_str(syll[x % syll.len()]);
                x /= syll.len();
            }
            w
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let cfg = NearConfig {
        max_entries: (prefill + docs) as u64 + 1,
        ..NearConfig::default()
    };
    let index = DedupIndex::open(dir.path(), cfg).unwrap();
    let rss0 = rss_kib();
    let started = Instant::now();
    let mut kept: Vec<String> = Vec::new();
    let mut done = 0;
    while done < prefill {
        let n = 1024.min(prefill - done);
        let bodies: Vec<String> = (0..n).map(|_| document(&mut rng, &vocab)).collect();
        let ids: Vec<String> = (done..done + n).map(|i| format!("p{i}")).collect();
        let entries: Vec<Entry> = bodies
            .iter()
            .zip(&ids)
            .map(|(b, id)| Entry::new(id, b, u64::MAX / 2))
            .collect();
        index.decide_batch(&entries).unwrap();
        if kept.len() < 5000 {
            kept.extend(bodies.into_iter().take(8));
        }
        done += n;
        if done % 100_000 < 1024 {
            eprintln!(
                "prefilled {done} ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let rss1 = rss_kib();
    let peak1 = status_kib("VmHWM:");
    let disk = std::fs::metadata(dir.path().join("dedup.redb"))
        .map(|m| m.len())
        .unwrap_or(0);

    // The measured documents: 4 in 5 new, 1 in 5 an edited copy of an indexed one.
    let bodies: Vec<String> = (0..docs)
        .map(|i| {
            if i % 5 == 0 && !kept.is_empty() {
                let src = &kept[i / 5 % kept.len()];
                src.split(' ')
                    .enumerate()
                    .map(|(j, w)| if (j + i) % 30 == 7 { "edited" } else { w })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                document(&mut rng, &vocab)
            }
        })
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    let t = Instant::now();
    let mut sink = 0u64;
    for b in &bodies {
        let sig = minhash::signature(
            &newsflow_deduplicator::near::shingles(&cfg, b),
            cfg.permutations,
        );
        sink = sink.wrapping_add(sig[0] as u64);
    }
    let core = t.elapsed().as_secs_f64();
    let ids: Vec<String> = (0..docs).map(|i| format!("m{i}")).collect();
    let t = Instant::now();
    let (mut near, mut exact) = (0, 0);
    for (chunk, idc) in bodies.chunks(batch).zip(ids.chunks(batch)) {
        let entries: Vec<Entry> = chunk
            .iter()
            .zip(idc)
            .map(|(b, id)| Entry::new(id, b, u64::MAX / 2))
            .collect();
        for d in index.decide_batch(&entries).unwrap() {
            match d.status {
                DedupStatus::NearDuplicate => near += 1,
                DedupStatus::ExactDuplicate => exact += 1,
                DedupStatus::Unique => {}
            }
        }
    }
    let stage = t.elapsed().as_secs_f64();
    // A restart: the in-memory maps are rebuilt from the stored records.
    drop(index);
    let t = Instant::now();
    let reopened = DedupIndex::open(dir.path(), cfg).unwrap();
    let reopen = t.elapsed().as_secs_f64();
    let indexed = reopened.len();
    drop(reopened);
    println!("restart: {indexed} records read and the maps rebuilt in {reopen:.1} s");
    println!(
        "index: {prefill} documents prefilled in {:.0} s; RSS {:.0} bytes per indexed document (peak while filling {:.0}); disk {:.0} bytes per document",
        started.elapsed().as_secs_f64() - core - stage - reopen,
        (rss1.saturating_sub(rss0) * 1024) as f64 / prefill.max(1) as f64,
        (peak1.saturating_sub(rss0) * 1024) as f64 / prefill.max(1) as f64,
        disk as f64 / prefill.max(1) as f64
    );
    println!(
        "core (shingles + signature): {:.0} docs/s, {:.1} MB/s ({docs} docs of {:.0} bytes)",
        docs as f64 / core,
        bytes as f64 / core / 1e6,
        bytes as f64 / docs as f64
    );
    println!(
        "stage (decide_batch of {batch}, durable): {:.0} docs/s; of {} edited copies, {near} flagged near and {exact} exact duplicates (checksum {sink})",
        docs as f64 / stage,
        docs.div_ceil(5)
    );
}
