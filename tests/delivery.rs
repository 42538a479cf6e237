//! Delivery guarantees through the real binary: sink failures, SIGHUP reload,
//! systemd notification, files still being written, many files at once.

mod common;
use common::*;
use std::time::Duration;

fn story(i: usize) -> String {
    format!(
        "Headline number {i}\n\nThe council met on Tuesday to discuss item {i} of the agenda, and members agreed to revisit it next month.\n"
    )
}

#[test]
fn failed_sink_writes_are_retried_and_nothing_is_lost_or_doubled() {
    let ws = Workspace::with_extra("[faults]\nsink_fail_writes = 3\n");
    let daemon = ws.spawn_run();
    for i in 0..20 {
        ws.drop_file(&format!("s{i}.txt"), story(i).as_bytes());
    }
    wait_until(Duration::from_secs(60), "20 records", || {
        ws.records().len() == 20
    });
    let text = http_get(ws.metrics_port, "/metrics").unwrap();
    assert!(
        metric(
            &text,
            r#"newsflow_sink_errors_total{sink="jsonl",kind="StorageFull"}"#
        )
        .unwrap_or(0.0)
            >= 3.0,
        "{text}"
    );
    std::thread::sleep(Duration::from_millis(300));
    let (status, stderr) = daemon.stop();
    assert!(status.success());
    assert!(
        stderr.contains("cannot write records to the output dir"),
        "{stderr}"
    );
    let recs = ws.records();
    let mut names: Vec<_> = recs
        .iter()
        .map(|r| r["source"]["file_name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 20, "each file exactly once");
    assert!(ws.files_in("state/claims").is_empty());
}

#[test]
fn sighup_reloads_rule_packs_and_keeps_running_on_a_bad_config() {
    let ws = Workspace::new();
    let rules = ws.path("rules");
    std::fs::create_dir_all(&rules).unwrap();
    std::fs::write(rules.join("site.toml"), "[pack]\nlanguages = [\"*\"]\n").unwrap();
    let cfg = std::fs::read_to_string(ws.config()).unwrap();
    let cfg = format!("{cfg}\n[normalizer]\nrules_dir = \"{}\"\n", rules.display());
    std::fs::write(ws.config(), &cfg).unwrap();

    let daemon = ws.spawn_run();
    // The sponsor line sits between two paragraphs of prose: only a rule removes it.
    let doc = "Council votes on budget\n\nThe council approved the budget on Tuesday after a long debate.\n\nSponsored by the Acme Widget Company.\n\nThe mayor said the vote would let work on the bridge start this spring.\n";
    ws.drop_file("before.txt", doc.as_bytes());
    wait_until(Duration::from_secs(30), "first record", || {
        ws.records().len() == 1
    });
    assert!(ws.record_for("before.txt")["body"]
        .as_str()
        .unwrap()
        .contains("Acme Widget"));

    std::fs::write(
        rules.join("site.toml"),
        "[pack]\nlanguages = [\"*\"]\n[[rule]]\nid = \"site.sponsor\"\nkind = \"advertisement\"\nmatch = \"prefix\"\nphrases = [\"Sponsored by\"]\nmax_words = 10\n",
    )
    .unwrap();
    daemon.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(500));
    ws.drop_file("after.txt", doc.replace("Tuesday", "Wednesday").as_bytes());
    wait_until(Duration::from_secs(30), "second record", || {
        ws.records().len() == 2
    });
    let after = ws.record_for("after.txt");
    assert!(
        !after["body"].as_str().unwrap().contains("Acme Widget"),
        "{after}"
    );
    assert_eq!(after["boilerplate"]["rules"][0], "site.sponsor");

    // A broken config is rejected; the daemon keeps its rules and keeps working.
    std::fs::write(ws.config(), format!("{cfg}\n[intake]\nbogus = 1\n")).unwrap();
    daemon.signal(libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(500));
    ws.drop_file("later.txt", doc.replace("Tuesday", "Thursday").as_bytes());
    wait_until(Duration::from_secs(30), "third record", || {
        ws.records().len() == 3
    });
    assert!(!ws.record_for("later.txt")["body"]
        .as_str()
        .unwrap()
        .contains("Acme Widget"));

    let (status, stderr) = daemon.stop();
    assert!(status.success());
    assert!(stderr.contains("rule packs reloaded"), "{stderr}");
    assert!(stderr.contains("invalid and was not applied"), "{stderr}");
}

/// Reads notifications from `sock` into `seen` until `want` appears.
fn read_until(sock: &std::os::unix::net::UnixDatagram, want: &str, seen: &mut String) {
    let mut buf = [0u8; 4096];
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    while !seen.contains(want) {
        assert!(
            std::time::Instant::now() < deadline,
            "no {want} from the daemon; got:\n{seen}"
        );
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            seen.push('\n');
        }
    }
}

#[test]
fn systemd_is_told_ready_status_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let ws = Workspace::new();
    let sock_path = ws.path("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    // systemd sets WATCHDOG_PID to the service's pid: a shell that execs keeps its pid.
    let child = std::process::Command::new("sh")
        .arg("-c")
        .arg("export WATCHDOG_PID=$$; exec \"$0\" \"$@\"")
        .arg(BIN)
        .args(["run", "--config"])
        .arg(ws.config())
        .current_dir(ws.path(""))
        .env("NOTIFY_SOCKET", &sock_path)
        .env("WATCHDOG_USEC", "400000")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let daemon = Daemon::new(child);
    let mut seen = String::new();
    read_until(&sock, "READY=1", &mut seen);
    read_until(&sock, "STATUS=", &mut seen);
    read_until(&sock, "WATCHDOG=1", &mut seen);
    // Pings keep coming, at half the 400 ms interval systemd asked for.
    let mut later = String::new();
    let mut buf = [0u8; 4096];
    let until = std::time::Instant::now() + Duration::from_millis(1200);
    while std::time::Instant::now() < until {
        if let Ok(n) = sock.recv(&mut buf) {
            later.push_str(&String::from_utf8_lossy(&buf[..n]));
            later.push('\n');
        }
    }
    assert!(
        later.matches("WATCHDOG=1").count() >= 3,
        "too few watchdog pings in 1.2 s: {later}"
    );
    daemon.signal(libc::SIGTERM);
    read_until(&sock, "STOPPING=1", &mut seen);
    let (status, _) = daemon.stop();
    assert!(status.success());
}

#[test]
fn a_file_that_keeps_growing_is_read_only_when_complete() {
    let ws = Workspace::new();
    let daemon = ws.spawn_run();
    {
        use std::io::Write;
        let mut f = std::fs::File::create(ws.path("inbox/growing.txt")).unwrap();
        writeln!(f, "Slow writer\n").unwrap();
        // Five seconds of appends, each pause well under settle_ms (200 ms).
        for i in 0..50 {
            writeln!(
                f,
                "Paragraph {i} of a story that arrives slowly over the network, line by line.\n"
            )
            .unwrap();
            f.flush().unwrap();
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    wait_until(Duration::from_secs(30), "the record", || {
        ws.records().len() == 1
    });
    let rec = ws.record_for("growing.txt");
    assert!(
        rec["body"]
            .as_str()
            .unwrap()
            .contains("Paragraph 49 of a story"),
        "read before complete"
    );
    assert_eq!(
        rec["body"].as_str().unwrap().matches("Paragraph").count(),
        50
    );
    let (status, _) = daemon.stop();
    assert!(status.success());
}

#[test]
fn ten_thousand_tiny_files_at_once_all_arrive_exactly_once() {
    let ws = Workspace::new();
    // Written before the daemon starts and while it runs: half and half.
    for i in 0..5000 {
        std::fs::write(ws.path(&format!("inbox/t{i:05}.txt")), story(i)).unwrap();
    }
    let daemon = ws.spawn_run();
    for i in 5000..10_000 {
        ws.drop_file(&format!("t{i:05}.txt"), story(i).as_bytes());
    }
    wait_until(Duration::from_secs(300), "10,000 records", || {
        std::fs::read_dir(ws.path("archive"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 10_000
    });
    let (status, _) = daemon.stop();
    assert!(status.success());
    let recs = ws.records();
    assert_eq!(recs.len(), 10_000);
    let ids: std::collections::HashSet<_> = recs
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 10_000, "record ids must be unique");
    assert!(ws.files_in("inbox").is_empty());
}

#[test]
fn a_slow_sink_pauses_intake_instead_of_buffering() {
    let ws =
        Workspace::with_extra("[pipeline]\nchannel_capacity = 8\n[faults]\nsink_delay_ms = 300\n");
    let cfg = std::fs::read_to_string(ws.config()).unwrap().replace(
        "batch_timeout_ms = 50",
        "batch_timeout_ms = 50\nbatch_size = 16",
    );
    std::fs::write(ws.config(), cfg).unwrap();
    for i in 0..600 {
        std::fs::write(ws.path(&format!("inbox/p{i:04}.txt")), story(i)).unwrap();
    }
    let daemon = ws.spawn_run();
    // Items in flight are bounded by the channels and batches (about 130 here), far
    // below the 600 waiting: the rest must stay in the inbox, unclaimed.
    let mut most_claimed = 0;
    let deadline = std::time::Instant::now() + Duration::from_secs(8);
    while std::time::Instant::now() < deadline {
        most_claimed = most_claimed.max(ws.files_in("state/claims").len());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(most_claimed > 0, "nothing was claimed");
    assert!(
        most_claimed <= 160,
        "{most_claimed} files claimed at once behind a slow sink"
    );
    assert!(!ws.files_in("inbox").is_empty(), "intake did not pause");
    let (status, _) = daemon.stop();
    assert!(status.success());
}

#[test]
fn a_shutdown_timeout_leaves_claims_that_the_next_start_finishes() {
    let ws =
        Workspace::with_extra("[faults]\nsink_delay_ms = 4000\n[daemon]\nshutdown_timeout = 1\n");
    for i in 0..30 {
        std::fs::write(ws.path(&format!("inbox/q{i:02}.txt")), story(i)).unwrap();
    }
    let daemon = ws.spawn_run();
    wait_until(Duration::from_secs(10), "claims", || {
        !ws.files_in("state/claims").is_empty()
    });
    let t = std::time::Instant::now();
    let (status, log) = daemon.stop();
    assert!(status.success(), "{log}");
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "took {:?} to stop",
        t.elapsed()
    );
    assert!(log.contains("resumed at the next start"), "{log}");
    assert!(!ws.files_in("state/claims").is_empty());

    // The next run, with a healthy sink, finishes them: each exactly once.
    let cfg = std::fs::read_to_string(ws.config())
        .unwrap()
        .replace("sink_delay_ms = 4000", "sink_delay_ms = 0");
    std::fs::write(ws.config(), cfg).unwrap();
    let daemon = ws.spawn_run();
    wait_until(Duration::from_secs(30), "all 30 records", || {
        ws.records().len() >= 30
    });
    std::thread::sleep(Duration::from_millis(300));
    let (status, log) = daemon.stop();
    assert!(status.success());
    assert!(
        log.contains("resuming a file claimed before the last stop"),
        "{log}"
    );
    assert_eq!(ws.records().len(), 30);
    assert!(ws.files_in("state/claims").is_empty() && ws.files_in("inbox").is_empty());
}

/// A crash after some records of a multi-item file reached the output, before
/// the file was finished: the restart writes the missing records only.
#[test]
fn a_multi_item_file_stopped_part_way_is_finished_without_duplicates() {
    let ws = Workspace::new();
    // The state a crash leaves: the file in its claim, item 1 already written.
    let claim = "01890a5d-ac96-774b-bcce-b302099a8057";
    let dir = ws.path(&format!("state/claims/{claim}"));
    std::fs::create_dir_all(&dir).unwrap();
    let items: Vec<String> = (1..=3)
        .map(|n| {
            serde_json::json!({
                "title": format!("Tide report {n}"),
                "text": format!("The tide gauge at the northern pier recorded a high of {n} metres above the mean on Sunday, the port office said.\n\nShipping was not affected, it added.")
            })
            .to_string()
        })
        .collect();
    std::fs::write(dir.join("tides.jsonl"), items.join("\n")).unwrap();
    std::fs::create_dir_all(ws.path("out")).unwrap();
    std::fs::write(
        ws.path("out/records-20230101-000000-0000.jsonl"),
        format!(
            "{}\n",
            serde_json::json!({"id": format!("{claim}.1"), "source": {"file_name": "tides.jsonl", "item": 1}, "title": "Tide report 1"})
        ),
    )
    .unwrap();
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let ids = ws.record_ids();
    assert_eq!(
        ids,
        vec![
            format!("{claim}.1"),
            format!("{claim}.2"),
            format!("{claim}.3")
        ],
        "{stdout}"
    );
    assert_eq!(ws.files_in("archive"), vec!["tides.jsonl".to_string()]);
    assert!(ws.files_in("state/claims").is_empty());
}
