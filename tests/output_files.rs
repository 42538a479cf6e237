//! Output files through the real binary: the `.partial` file being written, its
//! finishing by age (with no new input), at a clean stop and at the next start
//! after a crash, and compressed finished files.

mod common;
use common::*;
use std::time::{Duration, SystemTime};

fn story(i: usize) -> String {
    format!(
        "Harbour report {i}\n\nThe harbour master said on Monday that berth {i} would reopen after the dredging work, ahead of the autumn season.\n"
    )
}

/// Names in `out/` ending with `ext`.
fn out_files(ws: &Workspace, ext: &str) -> Vec<String> {
    ws.files_in("out")
        .into_iter()
        .filter(|f| f.ends_with(ext))
        .collect()
}

fn spawn_run_with(ws: &Workspace, env: &[(&str, &str)]) -> Daemon {
    let d = ws.spawn_run_raw(env);
    wait_until(
        Duration::from_secs(30),
        "metrics endpoint to come up",
        || http_get(ws.metrics_port, "/health").is_some(),
    );
    d
}

#[test]
fn a_file_older_than_max_file_age_is_finished_without_new_input() {
    let ws = Workspace::new();
    let daemon = spawn_run_with(&ws, &[("NEWSFLOW_SINK_JSONL_MAX_FILE_AGE_SECS", "1")]);
    ws.drop_file("a.txt", story(1).as_bytes());
    wait_until(Duration::from_secs(30), "the record", || {
        ws.records().len() == 1
    });
    let written = SystemTime::now();
    // Nothing else arrives: the age timer alone finishes the file.
    wait_until(
        Duration::from_secs(10),
        "the file to be finished by age",
        || out_files(&ws, ".jsonl").len() == 1,
    );
    assert!(
        written.elapsed().unwrap() >= Duration::from_millis(500),
        "finished before its age"
    );
    assert!(
        out_files(&ws, ".partial").is_empty(),
        "{:?}",
        ws.files_in("out")
    );
    assert_eq!(ws.records().len(), 1);
    // A later record starts a new file, finished by age in turn.
    ws.drop_file("b.txt", story(2).as_bytes());
    wait_until(Duration::from_secs(30), "the second record", || {
        ws.records().len() == 2
    });
    wait_until(Duration::from_secs(10), "the second file finished", || {
        out_files(&ws, ".jsonl").len() == 2 && out_files(&ws, ".partial").is_empty()
    });
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("output file finished") && log.contains("reason=\"age\""),
        "{log}"
    );
    assert_eq!(ws.records().len(), 2);
}

#[test]
fn a_clean_stop_finishes_the_file_being_written() {
    let ws = Workspace::new();
    let daemon = spawn_run_with(&ws, &[]);
    ws.drop_file("a.txt", story(1).as_bytes());
    wait_until(Duration::from_secs(30), "the record", || {
        ws.records().len() == 1
    });
    // The default age limit is an hour: the file is still being written.
    assert_eq!(
        out_files(&ws, ".jsonl.partial").len(),
        1,
        "{:?}",
        ws.files_in("out")
    );
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(log.contains("reason=\"shutdown\""), "{log}");
    assert!(
        out_files(&ws, ".partial").is_empty(),
        "{:?}",
        ws.files_in("out")
    );
    assert_eq!(out_files(&ws, ".jsonl").len(), 1);
    assert_eq!(ws.records().len(), 1);
}

#[test]
fn once_with_compression_leaves_only_finished_compressed_files() {
    for (compression, ext) in [
        ("none", ".jsonl"),
        ("gzip", ".jsonl.gz"),
        ("zstd", ".jsonl.zst"),
    ] {
        let ws = Workspace::new();
        for i in 0..5 {
            ws.drop_file(&format!("s{i}.txt"), story(i).as_bytes());
        }
        let out = ws
            .command("once")
            .env("NEWSFLOW_SINK_JSONL_COMPRESSION", compression)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let files = ws.files_in("out");
        assert!(
            !files.is_empty()
                && files
                    .iter()
                    .all(|f| f.ends_with(ext) && f.starts_with("records-")),
            "{compression}: {files:?}"
        );
        let mut titles: Vec<String> = ws
            .records()
            .iter()
            .map(|r| r["title"].as_str().unwrap().to_string())
            .collect();
        titles.sort();
        let want: Vec<String> = (0..5).map(|i| format!("Harbour report {i}")).collect();
        assert_eq!(titles, want, "{compression}");
    }
    // A bad value stops start-up naming the field.
    let ws = Workspace::new();
    let out = ws
        .command("once")
        .env("NEWSFLOW_SINK_JSONL_COMPRESSION", "xz")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sink.jsonl.compression"), "{err}");
}

/// A crash left the file being written with a torn last line, and the claim of a
/// file of three items whose first item is in it: the next start repairs and
/// finishes (here: compresses) the `.partial`, finds item 1 in it, and writes
/// items 2 and 3 once.
#[test]
fn a_crash_left_partial_is_repaired_finished_and_not_written_twice() {
    let ws = Workspace::new();
    let claim = "01890a5d-ac96-774b-bcce-b302099a8058";
    let dir = ws.path(&format!("state/claims/{claim}"));
    std::fs::create_dir_all(&dir).unwrap();
    let items: Vec<String> = (1..=3)
        .map(|n| {
            serde_json::json!({"title": format!("Harbour report {n}"), "text": story(n)})
                .to_string()
        })
        .collect();
    std::fs::write(dir.join("reports.jsonl"), items.join("\n")).unwrap();
    std::fs::create_dir_all(ws.path("out")).unwrap();
    let first = serde_json::json!({"id": format!("{claim}.1"), "source": {"file_name": "reports.jsonl", "item": 1}, "title": "Harbour report 1"});
    std::fs::write(
        ws.path("out/records-20230101-000000-0000.jsonl.partial"),
        format!("{first}\n{{\"id\":\"{claim}.2\",\"source\":{{\"fi"),
    )
    .unwrap();
    // And the temp file of a compression the crash interrupted.
    std::fs::write(
        ws.path("out/.records-20230101-000000-0000.jsonl.zst.tmp"),
        b"junk",
    )
    .unwrap();
    let out = ws
        .command("once")
        .env("NEWSFLOW_SINK_JSONL_COMPRESSION", "zstd")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("reason=\"recovered\""), "{stderr}");
    let files = ws.files_in("out");
    assert_eq!(
        files[0], "records-20230101-000000-0000.jsonl.zst",
        "{files:?}"
    );
    assert!(files.iter().all(|f| f.ends_with(".jsonl.zst")), "{files:?}");
    let ids = ws.record_ids();
    assert_eq!(
        ids,
        vec![
            format!("{claim}.1"),
            format!("{claim}.2"),
            format!("{claim}.3")
        ],
        "{stderr}"
    );
    assert_eq!(ws.files_in("archive"), vec!["reports.jsonl".to_string()]);
}

#[test]
fn the_route_dir_gets_finished_compressed_files_too() {
    let ws = Workspace::new();
    let routed = ws.path("routed");
    let mut cfg = std::fs::read_to_string(ws.config()).unwrap();
    cfg += &format!(
        "\n[dedup]\nexact_action = \"route\"\nroute_dir = \"{}\"\n",
        routed.display()
    );
    std::fs::write(ws.config(), cfg).unwrap();
    ws.drop_file("a.txt", story(1).as_bytes());
    ws.drop_file("copy.txt", story(1).as_bytes());
    let out = ws
        .command("once")
        .env("NEWSFLOW_SINK_JSONL_COMPRESSION", "gzip")
        .env("NEWSFLOW_PIPELINE_NORMALIZER_WORKERS", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for dir in ["out", "routed"] {
        let files = ws.files_in(dir);
        assert!(
            files.len() == 1 && files[0].ends_with(".jsonl.gz"),
            "{dir}: {files:?}"
        );
    }
    let (main, dup) = (ws.records(), records_in(&routed));
    assert_eq!((main.len(), dup.len()), (1, 1));
    assert_eq!(dup[0]["dedup"]["status"], "exact_duplicate");
}
