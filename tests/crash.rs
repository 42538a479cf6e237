//! Crash safety: 1,000 files dropped while the daemon runs, the daemon killed with
//! SIGKILL at random moments at least 20 times and restarted. At the end every file
//! is in exactly one place (its records, or quarantine), every item of a JSON-lines
//! file has exactly one record (or is listed as failed in its file's quarantine
//! note), nothing is left in the inbox or the claim area, and record ids are unique.

mod common;
use common::*;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const FILES: usize = 1000;
const KILLS: usize = 24;

/// Items of the JSON-lines files (every 50th file, from 33): three, the second
/// of them broken in every other such file.
const ITEMS: usize = 3;

fn is_jsonl(i: usize) -> bool {
    i % 50 == 33
}

fn broken_item(i: usize) -> Option<usize> {
    (i % 100 == 83).then_some(2)
}

fn name(i: usize) -> String {
    if is_jsonl(i) {
        format!("f{i:04}.jsonl")
    } else {
        format!("f{i:04}.txt")
    }
}

fn content(i: usize) -> Vec<u8> {
    if is_jsonl(i) {
        return (1..=ITEMS)
            .map(|n| {
                if broken_item(i) == Some(n) {
                    "{\"title\": \"cut off".to_string()
                } else {
                    serde_json::json!({
                        "title": format!("Bulletin {i} part {n}"),
                        "text": format!("The harbour authority published bulletin {i}, part {n}, on the state of the quays after the storm.\n\nRepairs to the northern quay are expected to take {n} weeks, officials said.")
                    })
                    .to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
            .into_bytes();
    }
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
    // With PostgreSQL there (always in CI), every kill also lands between the
    // JSONL write and the database write of some batch.
    let table = common::pg::pg_available().then(|| common::pg::fresh_table("crash"));
    let pg = table.as_ref().map_or(String::new(), |t| {
        format!(
            "[sink.postgres]\nurl = \"{}\"\ntable = \"{t}\"\n",
            common::pg::url(&common::pg::pg_hostport())
        )
    });
    // With NATS there (always in CI), kills land between sink writes too.
    let stream = common::nats::nats_available().then(|| common::nats::fresh_stream("crash"));
    let nats = stream.as_ref().map_or(String::new(), |(name, subject)| {
        common::nats::section(&common::nats::nats_hostport(), name, subject)
    });
    let ws = Workspace::with_extra(&format!(
        "enabled = false\n[pipeline]\nchannel_capacity = 8\n[daemon]\nshutdown_timeout = 60\n{pg}{nats}"
    ));
    // `enabled = false` lands in [metrics] (the last section of the generated config).
    let done = Arc::new(AtomicBool::new(false));
    let dropper = {
        let inbox = ws.path("inbox");
        let done = done.clone();
        std::thread::spawn(move || {
            let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
            for i in 0..FILES {
                let name = name(i);
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
    // On failure, the daemon's own log says why it did not start (a store it
    // could not open after a kill was the cause once).
    let started = std::time::Instant::now();
    while !d.log().contains("ready: watching the inbox") {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the last run was not ready after 30 s; its log:\n{}",
            d.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
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
    // Outcomes per (file, item): item 0 for a file of one item.
    let mut per_file: HashMap<(String, u64), usize> = HashMap::new();
    let mut ids = HashSet::new();
    for r in &records {
        let item = r["source"]["item"].as_u64().unwrap_or(0);
        *per_file
            .entry((r["source"]["file_name"].as_str().unwrap().to_string(), item))
            .or_default() += 1;
        assert!(
            ids.insert(r["id"].as_str().unwrap().to_string()),
            "duplicate record id {}",
            r["id"]
        );
        let name = r["source"]["file_name"].as_str().unwrap();
        let i: usize = name[1..5].parse().unwrap();
        if is_jsonl(i) {
            let n = r["source"]["item"].as_u64().unwrap();
            assert_eq!(r["title"], format!("Bulletin {i} part {n}"));
            assert!(r["id"].as_str().unwrap().ends_with(&format!(".{n}")));
        }
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
        let note = ws.quarantine_note(q);
        let failed = note["failed_items"].as_array().cloned().unwrap_or_default();
        if failed.is_empty() {
            *per_file.entry((q.clone(), 0)).or_default() += 1;
        }
        for f in failed {
            *per_file
                .entry((q.clone(), f["item"].as_u64().unwrap()))
                .or_default() += 1;
        }
    }
    let mut expected = 0;
    let wrong: Vec<_> = (0..FILES)
        .flat_map(|i| {
            let items: Vec<u64> = if is_jsonl(i) {
                (1..=ITEMS as u64).collect()
            } else {
                vec![0]
            };
            items.into_iter().map(move |n| (name(i), n))
        })
        .inspect(|_| expected += 1)
        .filter(|k| per_file.get(k).copied().unwrap_or(0) != 1)
        .map(|k| format!("{k:?}: {} outcomes", per_file.get(&k).copied().unwrap_or(0)))
        .collect();
    assert!(
        wrong.is_empty(),
        "seed {seed}: files or items not in exactly one place:\n{}",
        wrong.join("\n")
    );
    let broken = (0..FILES).filter(|&i| broken_item(i).is_some()).count();
    assert_eq!(records.len() + quarantined.len(), expected);
    assert_eq!(
        quarantined.len(),
        2 * FILES / 50 + broken,
        "empty and PNG files, and JSON-lines files with a broken item"
    );
    let out_ids: HashSet<String> = records
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    // PostgreSQL has exactly the records of the JSONL output, once each.
    if let Some(t) = &table {
        assert_eq!(
            common::pg::count(t, ""),
            records.len() as i64,
            "seed {seed}: rows in PostgreSQL"
        );
        let rows = common::pg::query(&format!("SELECT id FROM {t}"));
        let pg_ids: HashSet<String> = rows.into_iter().filter_map(|r| r[0].clone()).collect();
        assert!(
            pg_ids == out_ids,
            "seed {seed}: PostgreSQL ids differ from the JSONL ids"
        );
        common::pg::drop_table(t);
    }
    // So does the NATS stream: each record once, under its own id.
    if let Some((name, _)) = &stream {
        let msgs = common::nats::messages(name);
        let ids: HashSet<String> = msgs.iter().map(|m| m.msg_id.clone()).collect();
        assert_eq!(
            ids.len(),
            msgs.len(),
            "seed {seed}: a record stored twice in NATS"
        );
        assert!(
            ids == out_ids,
            "seed {seed}: NATS ids differ from the JSONL ids"
        );
        common::nats::delete_stream(name);
    }
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
