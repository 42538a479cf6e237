//! `newsflow run` as a daemon: files dropped while it watches, metrics that match,
//! a clean stop on SIGTERM.

mod common;
use common::*;
use std::time::Duration;

#[test]
fn files_dropped_while_running_become_records_and_metrics_match() {
    let ws = Workspace::new();
    // One file is already there at start: the daemon scans the inbox first.
    let seeds = seeds();
    ws.drop_file(&seeds[0].0, &seeds[0].1);
    let daemon = ws.spawn_run();
    wait_until(Duration::from_secs(30), "the first record", || {
        ws.records().len() == 1
    });
    for (name, bytes) in &seeds[1..] {
        ws.drop_file(name, bytes);
    }
    // Also a producer that writes in place, in pauses shorter than settle_ms, with
    // no temp name: the file must not be read half-way.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(ws.path("inbox/in-place.txt")).unwrap();
        for chunk in [
            "Storm hits coast\n\nThe storm reached ",
            "the coast on Monday night, ",
            "cutting power to thousands of homes.",
        ] {
            f.write_all(chunk.as_bytes()).unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    wait_until(Duration::from_secs(30), "six records", || {
        ws.records().len() == 6
    });
    let mut problems = Vec::new();
    for (name, _) in &seeds {
        problems.extend(check_seed_record(name, &ws.record_for(name)));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let in_place = ws.record_for("in-place.txt");
    assert!(
        in_place["body"]
            .as_str()
            .unwrap()
            .ends_with("thousands of homes."),
        "read half-way: {}",
        in_place["body"]
    );

    // A copy dropped later is an exact duplicate of the first.
    ws.drop_file("copy.txt", &seeds[2].1);
    wait_until(Duration::from_secs(30), "the duplicate's record", || {
        ws.records().len() == 7
    });
    let dup = ws.record_for("copy.txt");
    assert_eq!(dup["dedup"]["status"], "exact_duplicate");
    assert_eq!(
        dup["dedup"]["duplicate_of"],
        ws.record_for(&seeds[2].0)["id"]
    );

    // And one bad file.
    ws.drop_file("broken.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    wait_until(Duration::from_secs(30), "the quarantine note", || {
        ws.path("quarantine/broken.txt.error.json").exists()
    });

    // Metrics agree with what happened: 8 files, 7 records, 1 quarantined.
    let text = http_get(ws.metrics_port, "/metrics").expect("metrics endpoint");
    let m = |s: &str| metric(&text, s).unwrap_or_else(|| panic!("no sample {s} in:\n{text}"));
    wait_until(Duration::from_secs(10), "archive counter to settle", || {
        http_get(ws.metrics_port, "/metrics")
            .and_then(|t| metric(&t, "newsflow_files_archived_total"))
            == Some(7.0)
    });
    assert_eq!(m("newsflow_files_claimed_total"), 8.0);
    assert_eq!(m("newsflow_records_written_total"), 7.0);
    assert_eq!(
        m(r#"newsflow_files_quarantined_total{reason="binary"}"#),
        1.0
    );
    assert_eq!(m(r#"newsflow_stage_items_in_total{stage="watcher"}"#), 8.0);
    assert_eq!(
        m(r#"newsflow_stage_items_in_total{stage="normalizer"}"#),
        8.0
    );
    assert_eq!(
        m(r#"newsflow_stage_items_out_total{stage="normalizer"}"#),
        7.0
    );
    assert_eq!(
        m(r#"newsflow_stage_items_failed_total{stage="normalizer"}"#),
        1.0
    );
    assert_eq!(m(r#"newsflow_stage_items_out_total{stage="sink"}"#), 7.0);
    assert_eq!(
        m(r#"newsflow_dedup_decisions_total{status="exact_duplicate"}"#),
        1.0
    );
    assert_eq!(m(r#"newsflow_dedup_decisions_total{status="unique"}"#), 6.0);
    assert!(
        text.contains("newsflow_end_to_end_latency_seconds_count 7"),
        "{text}"
    );
    assert!(text.contains("newsflow_stage_processing_seconds_bucket{stage=\"normalizer\""));
    assert!(text.contains("newsflow_channel_depth{stage=\"sink\"}"));
    assert!(text.contains("newsflow_build_info{version="));
    // Seed 003's four video captions, counted under the rule that removed them.
    assert_eq!(
        m(
            r#"newsflow_boilerplate_lines_removed_total{kind="video-caption",rule="en.video-caption.reporter"}"#
        ),
        4.0
    );

    let (status, stderr) = daemon.stop();
    assert!(status.success(), "exit status {status:?}\n{stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(ws.files_in("inbox").is_empty());
    assert!(ws.files_in("state/claims").is_empty());
}

#[test]
fn built_in_defaults_work_from_an_empty_directory() {
    // No config file: everything under ./var, relative to the working directory.
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = Daemon::new(
        std::process::Command::new(BIN)
            .arg("run")
            .current_dir(dir.path())
            .env("NEWSFLOW_METRICS_LISTEN", format!("127.0.0.1:{port}"))
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    wait_until(Duration::from_secs(30), "metrics endpoint", || {
        http_get(port, "/health").is_some()
    });
    for sub in ["inbox", "archive", "quarantine", "state", "out"] {
        assert!(
            dir.path().join("var").join(sub).is_dir(),
            "var/{sub} not created"
        );
    }
    let tmp = dir.path().join("var/inbox/story.txt.part");
    std::fs::write(&tmp, "Bridge reopens\n\nThe bridge reopened on Friday after two years of repairs, the city said.\n").unwrap();
    std::fs::rename(&tmp, dir.path().join("var/inbox/story.txt")).unwrap();
    wait_until(Duration::from_secs(30), "the record", || {
        dir.path().join("var/archive/story.txt").exists()
    });
    let out: Vec<_> = std::fs::read_dir(dir.path().join("var/out"))
        .unwrap()
        .flatten()
        .collect();
    let text = std::fs::read_to_string(out[0].path()).unwrap();
    assert!(text.contains("\"title\":\"Bridge reopens\""), "{text}");
    let (status, _) = d.stop();
    assert!(status.success());
}
