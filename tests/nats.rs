//! The NATS JetStream sink against a real server (127.0.0.1:4222 with JetStream,
//! as the README says how to start). Without a server these tests skip, unless
//! NEWSFLOW_REQUIRE_SERVICES=1 (CI) makes a missing server a failure.

mod common;
use common::nats::*;
use common::proxy::Proxy;
use common::*;
use std::collections::HashSet;
use std::time::Duration;

#[test]
fn records_are_published_once_with_their_id_as_message_id() {
    if !nats_available() {
        return;
    }
    let (stream, subject) = fresh_stream("pub");
    let ws = Workspace::with_extra(&section(&nats_hostport(), &stream, &subject));
    let seeds = seeds();
    for (name, bytes) in &seeds {
        ws.drop_file(name, bytes);
    }
    ws.drop_file("copy-of-first.txt", &seeds[0].1);
    ws.once();
    let records = ws.records();
    let msgs = messages(&stream);
    assert_eq!(msgs.len(), 6, "one message per file");
    assert_eq!(records.len(), 6);
    for (m, r) in msgs.iter().zip(&records) {
        assert_eq!(
            m.msg_id,
            r["id"].as_str().unwrap(),
            "Nats-Msg-Id is the record id"
        );
        assert_eq!(m.record["id"], r["id"]);
        assert_eq!(m.record["title"], r["title"]);
        assert_eq!(m.subject, subject);
    }
    assert_eq!(
        msgs.iter()
            .filter(|m| m.record["dedup"]["status"] == "exact_duplicate")
            .count(),
        1
    );
    // The stream was created as configured.
    let cfg = stream_config(&stream);
    assert_eq!(cfg.subjects, vec![subject.clone()]);
    assert_eq!(cfg.duplicate_window, Duration::from_secs(600));
    // A second run on an empty inbox publishes nothing.
    ws.once();
    assert_eq!(messages(&stream).len(), 6);
    delete_stream(&stream);
}

fn story(i: usize) -> Vec<u8> {
    format!(
        "Harbour report number {i}\n\nThe harbour master said on Monday that berth {i} would reopen after repairs, and that ferries would run to the usual timetable from next week.\n"
    )
    .into_bytes()
}

fn archived(ws: &Workspace) -> usize {
    std::fs::read_dir(ws.path("archive"))
        .map(|d| d.flatten().count())
        .unwrap_or(0)
}

#[test]
fn the_server_going_away_mid_run_loses_and_doubles_nothing() {
    if !nats_available() {
        return;
    }
    let (stream, subject) = fresh_stream("away");
    let port = free_port();
    let proxy = Proxy::start(port, nats_hostport(), true);
    let ws = Workspace::with_extra(&section(&format!("127.0.0.1:{port}"), &stream, &subject));
    let d = ws.spawn_run();
    for i in 0..10 {
        ws.drop_file(&format!("before-{i:02}.txt"), &story(i));
    }
    wait_until(
        Duration::from_secs(30),
        "the first files to be archived",
        || archived(&ws) == 10,
    );
    proxy.set(false);
    for i in 10..20 {
        ws.drop_file(&format!("during-{i:02}.txt"), &story(i));
    }
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        archived(&ws),
        10,
        "no file is archived while JetStream cannot ack its records"
    );
    proxy.set(true);
    wait_until(Duration::from_secs(60), "the rest to be archived", || {
        archived(&ws) == 20
    });
    // The outage and the recovery are in the metrics, by sink.
    let metrics = http_get(ws.metrics_port, "/metrics").unwrap();
    for want in [
        "newsflow_sink_connected{sink=\"nats\"} 1",
        "newsflow_sink_records_written_total{sink=\"nats\"} 20",
        "newsflow_sink_records_written_total{sink=\"jsonl\"} 20",
        "newsflow_sink_batch_seconds_count{sink=\"nats\"}",
        "newsflow_sink_batches_total{sink=\"nats\"}",
    ] {
        assert!(metrics.contains(want), "{want} missing from:\n{metrics}");
    }
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("newsflow_sink_errors_total{") && l.contains("sink=\"nats\"")),
        "NATS errors counted:\n{metrics}"
    );
    let (status, log) = d.stop();
    assert!(status.success(), "{log}");
    assert!(
        log.contains("NATS JetStream did not take the batch"),
        "the outage is logged: {log}"
    );
    let msgs = messages(&stream);
    let ids: HashSet<&str> = msgs.iter().map(|m| m.msg_id.as_str()).collect();
    assert_eq!(ids.len(), msgs.len(), "no record stored twice");
    assert_eq!(msgs.len(), 20);
    let out: HashSet<String> = ws.record_ids().into_iter().collect();
    assert_eq!(
        ids,
        out.iter().map(String::as_str).collect(),
        "the stream holds exactly the JSONL records"
    );
    delete_stream(&stream);
}

#[test]
fn a_record_larger_than_the_server_takes_is_quarantined_with_the_reason() {
    if !nats_available() {
        return;
    }
    let (stream, subject) = fresh_stream("big");
    let ws = Workspace::with_extra(&section(&nats_hostport(), &stream, &subject));
    let paragraph = "The committee heard evidence from residents about the flooding of the lower town, and members asked the water board to publish its maintenance records for the last ten years.\n\n";
    let big = format!(
        "Flood inquiry hears residents\n\n{}",
        paragraph.repeat(7000)
    );
    assert!(big.len() > 1024 * 1024);
    ws.drop_file("big.txt", big.as_bytes());
    ws.drop_file("small.txt", &story(1));
    ws.once();
    let note = ws.quarantine_note("big.txt");
    assert_eq!(note["reason"], "too_large", "{note}");
    assert!(
        note["message"].as_str().unwrap().contains("max_payload"),
        "{note}"
    );
    let records = ws.records();
    assert_eq!(records.len(), 1, "only the small file has a record");
    assert_eq!(records[0]["source"]["file_name"], "small.txt");
    assert_eq!(messages(&stream).len(), 1);
    delete_stream(&stream);
}
