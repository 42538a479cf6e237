//! Throughput of each sink in records/s, on ~3 KB records.
//!
//! `cargo bench -p newsflow-sink --bench sinks -- [RECORDS]` (default 20,000).
//! JSONL: batches of 256, each appended and fdatasynced (the daemon's default),
//! uncompressed and with gzip and zstd finishing. PostgreSQL
//! (`NEWSFLOW_BENCH_PG_URL`, default postgres://postgres@127.0.0.1/test) and NATS
//! JetStream (`NEWSFLOW_BENCH_NATS_URL`, default nats://127.0.0.1:4222) when
//! reachable: the sinks' own batch paths into a fresh table / stream, removed after.
//! Each figure is the sink alone, one task; the pipeline writes them one after the
//! other per batch, so the end-to-end sink cost is the sum of the times.

use newsflow_record::{Record, Source};
use newsflow_sink::nats::{NatsConfig, NatsSink, Retention};
use newsflow_sink::postgres::{PgConfig, PgSink, Row};
use newsflow_sink::{Compression, JsonlConfig, JsonlSink};
use std::time::{Duration, Instant};

fn records(n: usize) -> Vec<(Record, String)> {
    let para = "The harbour authority said on Tuesday that the northern berth would reopen after repairs, and that ferries to the islands would return to the usual timetable from next week, weather permitting. ";
    (0..n)
        .map(|i| {
            let r = Record {
                id: format!("0190bench-{i:08}"),
                title: Some(format!("Harbour report {i}")),
                language: Some("en".into()),
                body: format!("Report {i}. {}", para.repeat(14)),
                source: Source {
                    path: format!("bench/{i}.txt"),
                    format: "text".into(),
                    received_at: "2026-11-26T10:00:00Z".into(),
                    ..Source::default()
                },
                ..Record::default()
            };
            let json = serde_json::to_string(&r).expect("a record serializes");
            (r, json)
        })
        .collect()
}

fn report(name: &str, n: usize, bytes: usize, t: Duration) {
    let s = t.as_secs_f64();
    println!(
        "{name:<28} {n:>7} records in {s:>6.2} s: {:>8.0} records/s, {:>6.1} MB/s",
        n as f64 / s,
        bytes as f64 / 1e6 / s
    );
}

fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let recs = records(n);
    let bytes: usize = recs.iter().map(|(_, j)| j.len() + 1).sum();
    println!("{n} records of {} bytes on average", bytes / n.max(1));

    for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut sink = JsonlSink::open(JsonlConfig {
            dir: dir.path().to_path_buf(),
            batch_size: 256,
            batch_timeout: Duration::from_millis(200),
            max_file_bytes: 64 * 1024 * 1024,
            max_file_age: Duration::ZERO,
            compression,
            fault_delay: Duration::ZERO,
            fault_fail_writes: 0,
        })
        .expect("the sink opens");
        let t = Instant::now();
        for chunk in recs.chunks(256) {
            let mut buf = Vec::with_capacity(chunk.len() * 4096);
            for (_, j) in chunk {
                buf.extend_from_slice(j.as_bytes());
                buf.push(b'\n');
            }
            sink.write_batch(&buf).expect("the batch is written");
        }
        sink.finish_current("bench").expect("the file is finished");
        report(
            &format!("jsonl ({})", compression.as_str()),
            n,
            bytes,
            t.elapsed(),
        );
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let pg_url = std::env::var("NEWSFLOW_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/test".into());
    let table = format!("nf_bench_{}", std::process::id());
    rt.block_on(async {
        let probe = tokio_postgres::connect(&pg_url, tokio_postgres::NoTls).await;
        let Ok((client, conn)) = probe else {
            println!("postgres: not reachable at {pg_url}; skipped");
            return;
        };
        tokio::spawn(conn);
        let rows: Vec<Row> = recs.iter().map(|(r, j)| Row::new(r, j)).collect();
        let mut pg = PgSink::new(PgConfig {
            url: pg_url.clone(),
            table: table.clone(),
            batch_size: 500,
            connect_timeout: Duration::from_secs(5),
        });
        let t = Instant::now();
        for chunk in rows.chunks(500) {
            pg.write(chunk).await.expect("PostgreSQL takes the batch");
        }
        report("postgres (batches of 500)", n, bytes, t.elapsed());
        let _ = client
            .batch_execute(&format!(
                "DROP TABLE IF EXISTS {table}; DELETE FROM newsflow_migrations WHERE table_name = '{table}'"
            ))
            .await;
    });

    let nats_url =
        std::env::var("NEWSFLOW_BENCH_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let stream = format!("NFBENCH_{}", std::process::id());
    rt.block_on(async {
        let Ok(client) = async_nats::connect(nats_url.as_str()).await else {
            println!("nats: not reachable at {nats_url}; skipped");
            return;
        };
        let msgs: Vec<(String, Vec<u8>)> = recs
            .iter()
            .map(|(r, j)| (r.id.clone(), j.clone().into_bytes()))
            .collect();
        let mut sink = NatsSink::new(NatsConfig {
            url: nats_url.clone(),
            stream: stream.clone(),
            subject: format!("nfbench.{}", std::process::id()),
            retention: Retention::Limits,
            max_age: Duration::ZERO,
            max_bytes: 0,
            duplicate_window: Duration::from_secs(120),
            batch_size: 1000,
            connect_timeout: Duration::from_secs(5),
        });
        let t = Instant::now();
        for chunk in msgs.chunks(1000) {
            sink.write(chunk).await.expect("JetStream takes the batch");
        }
        report("nats jetstream (bursts of 1000)", n, bytes, t.elapsed());
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(&stream).await;
    });
}
