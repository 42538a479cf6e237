//! Crash safety: 1,000 files dropped while the daemon runs, the daemon killed with
//! SIGKILL at random moments at least 20 times and restarted. At the end every file
//! is in exactly one place (one record, or quarantine), nothing is left in the inbox
//! or the claim area, and record ids are unique.

mod common;
use common::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A small deterministic generator, so a failing run can be replayed from its seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const FILES: usize = 1000;
const KILLS: usize = 24;

fn content(i: usize) -> Vec<u8> {
    match i % 50 {
        // A few files that must end in quarantine.
        7 => Vec::new(),
        13 => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
        // A few exact copies of an earlier file.
        21 if i > 50 => content(i - 50),
        _ => format!(
            "Report {i}\n\nThe regional council met for session {i} and approved the plan after a short debate.\n\nOfficials said the work would start in spring.\n"
        )
        .into_bytes(),
    }
}

#[test]
fn sigkill_at_random_moments_loses_and_duplicates_nothing() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("crash test seed: {seed}");
    let ws = Workspace::with_extra(
        "enabled = false\n[pipeline]\nchannel_capacity = 8\n[daemon]\nshutdown_timeout = 60\n",
    );
    // `enabled = false` lands in [metrics] (the last section of the generated config).
    let done = Arc::new(AtomicBool::new(false));
    let dropper = {
        let inbox = ws.path("inbox");
        let done = done.clone();
        std::thread::spawn(move || {
            let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
            for i in 0..FILES {
                let name = format!("f{i:04}.txt");
                let tmp = inbox.join(format!("{name}.part"));
                std::fs::write(&tmp, content(i)).unwrap();
                std::fs::rename(&tmp, inbox.join(&name)).unwrap();
                if rng.below(4) == 0 {
                    std::thread::sleep(Duration::from_millis(rng.below(15)));
                }
            }
            done.store(true, Ordering::SeqCst);
        })
    };

    let mut rng = Rng(seed);
    let mut kills = 0;
    while kills < KILLS || !done.load(Ordering::SeqCst) {
        let d = ws.spawn_run_raw(&[]);
        // Anywhere from during start-up to well into processing.
        std::thread::sleep(Duration::from_millis(20 + rng.below(400)));
        d.kill();
        kills += 1;
    }
    dropper.join().unwrap();

    // A last, undisturbed run finishes everything.
    let d = ws.spawn_run_raw(&[]);
    wait_until(Duration::from_secs(30), "the last run to be ready", || {
        d.log().contains("ready: watching the inbox")
    });
    let count = |dir: &str| {
        ws.files_in(dir)
            .iter()
            .filter(|n| !n.starts_with('.') && (dir != "quarantine" || n.ends_with(".error.json")))
            .count()
    };
    let drained = || {
        count("inbox") == 0
            && count("state/claims") == 0
            && count("archive") + count("quarantine") == FILES
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !drained() {
        if std::time::Instant::now() > deadline {
            let log = d.log();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            panic!(
                "seed {seed}: not drained after 120 s: inbox {:?}, claims {:?}, archive {}, quarantine {}\nlog tail:\n{}",
                ws.files_in("inbox"),
                ws.files_in("state/claims"),
                count("archive"),
                count("quarantine"),
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, log) = d.stop();
    assert!(status.success(), "{log}");
    assert!(kills >= 20);

    let records = ws.records();
    let mut per_file: HashMap<String, usize> = HashMap::new();
    let mut ids = HashSet::new();
    for r in &records {
        *per_file
            .entry(r["source"]["file_name"].as_str().unwrap().to_string())
            .or_default() += 1;
        assert!(
            ids.insert(r["id"].as_str().unwrap().to_string()),
            "duplicate record id {}",
            r["id"]
        );
        let name = r["source"]["file_name"].as_str().unwrap();
        let i: usize = name[1..5].parse().unwrap();
        assert_eq!(
            r["source"]["bytes"].as_u64().unwrap() as usize,
            content(i).len(),
            "{name}: record of a partly read file"
        );
    }
    let quarantined: Vec<String> = ws
        .files_in("quarantine")
        .into_iter()
        .filter(|n| n.ends_with(".error.json"))
        .map(|n| n.trim_end_matches(".error.json").to_string())
        .collect();
    for q in &quarantined {
        *per_file.entry(q.clone()).or_default() += 1;
    }
    let wrong: Vec<_> = (0..FILES)
        .map(|i| format!("f{i:04}.txt"))
        .filter(|n| per_file.get(n).copied().unwrap_or(0) != 1)
        .map(|n| format!("{n}: {} outcomes", per_file.get(&n).copied().unwrap_or(0)))
        .collect();
    assert!(
        wrong.is_empty(),
        "seed {seed}: files not in exactly one place:\n{}",
        wrong.join("\n")
    );
    assert_eq!(records.len() + quarantined.len(), FILES);
    assert_eq!(quarantined.len(), 2 * FILES / 50, "empty and PNG files");
    // Copies are flagged against a record that exists.
    for r in records
        .iter()
        .filter(|r| r["dedup"]["status"] == "exact_duplicate")
    {
        let first = r["dedup"]["duplicate_of"].as_str().unwrap();
        assert!(
            ids.contains(first),
            "duplicate_of points at a missing record {first}"
        );
    }
}
