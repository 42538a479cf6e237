//! Helpers for end-to-end tests: a temp workspace with a config file, the real
//! binary, and readers for its outputs.
#![allow(dead_code)]

use serde_json::Value;

pub mod nats;
pub mod pg;
pub mod proxy;
#[path = "../support/seed_check.rs"]
mod seed_check;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_newsflow");
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// A temp directory laid out like a deployment, with its own config file.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    pub metrics_port: u16,
}

impl Workspace {
    pub fn new() -> Workspace {
        Self::with_extra("")
    }

    /// `extra` is appended to the generated config (more sections or fields).
    pub fn with_extra(extra: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let metrics_port = free_port();
        let root = dir.path();
        let config = format!(
            r#"
[intake]
inbox = "{root}/inbox"
archive = "{root}/archive"
quarantine = "{root}/quarantine"
settle_ms = 200

[state]
dir = "{root}/state"

[sink.jsonl]
dir = "{root}/out"
batch_timeout_ms = 50

[metrics]
listen = "127.0.0.1:{metrics_port}"
{extra}
"#,
            root = root.display()
        );
        std::fs::create_dir_all(root.join("inbox")).unwrap();
        std::fs::write(root.join("newsflow.toml"), config).unwrap();
        Workspace { dir, metrics_port }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn config(&self) -> PathBuf {
        self.path("newsflow.toml")
    }

    pub fn command(&self, sub: &str) -> Command {
        let mut c = Command::new(BIN);
        c.arg(sub)
            .arg("--config")
            .arg(self.config())
            .current_dir(self.dir.path());
        c.env("RUST_LOG", "info");
        c
    }

    /// Runs `newsflow once` to completion.
    pub fn once(&self) -> Output {
        let out = self.command("once").output().unwrap();
        assert!(
            out.status.success(),
            "newsflow once failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts `newsflow run` without waiting for it to be ready.
    pub fn spawn_run_raw(&self, env: &[(&str, &str)]) -> Daemon {
        let mut c = self.command("run");
        c.stdout(Stdio::null()).stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        Daemon::new(c.spawn().unwrap())
    }

    /// Starts `newsflow run` in the background.
    pub fn spawn_run(&self) -> Daemon {
        let d = self.spawn_run_raw(&[]);
        wait_until(
            Duration::from_secs(30),
            "metrics endpoint to come up",
            || http_get(self.metrics_port, "/health").is_some(),
        );
        d
    }

    /// Drops a file the way scrapers should: written under a temp name, then renamed.
    pub fn drop_file(&self, name: &str, bytes: &[u8]) {
        let tmp = self.path(&format!("inbox/{name}.part"));
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.path(&format!("inbox/{name}"))).unwrap();
    }

    /// Every record in the output dir, in file and line order: the `.partial` file
    /// being written and the finished ones, compressed ones decoded.
    pub fn records(&self) -> Vec<Value> {
        records_in(&self.path("out"))
    }

    /// The ids of [`Workspace::records`], in the same order.
    pub fn record_ids(&self) -> Vec<String> {
        self.records()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn record_for(&self, file_name: &str) -> Value {
        let recs: Vec<Value> = self
            .records()
            .into_iter()
            .filter(|r| r["source"]["file_name"] == file_name)
            .collect();
        assert_eq!(
            recs.len(),
            1,
            "expected one record for {file_name}, got {}",
            recs.len()
        );
        recs.into_iter().next().unwrap()
    }

    /// Quarantine notes by file name.
    pub fn quarantine_note(&self, file_name: &str) -> Value {
        let p = self.path(&format!("quarantine/{file_name}.error.json"));
        let text =
            std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("no note {}: {e}", p.display()));
        assert!(
            std::fs::symlink_metadata(self.path(&format!("quarantine/{file_name}"))).is_ok(),
            "quarantined file missing beside its note"
        );
        serde_json::from_str(&text).unwrap()
    }

    pub fn files_in(&self, rel: &str) -> Vec<String> {
        let mut v: Vec<String> = walk(&self.path(rel))
            .into_iter()
            .map(|p| {
                p.strip_prefix(self.path(rel))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        v.sort();
        v
    }
}

/// The records of the output files in `dir` ([`Workspace::records`]).
pub fn records_in(dir: &Path) -> Vec<Value> {
    // A file the daemon finishes while it is read (renamed or compressed) is read
    // again under its new name.
    for _ in 0..20 {
        match try_records_in(dir) {
            Ok(recs) => return recs,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("cannot read the output in {}: {e}", dir.display()),
        }
    }
    panic!("output files in {} kept changing while read", dir.display())
}

fn try_records_in(dir: &Path) -> std::io::Result<Vec<Value>> {
    use std::io::Read;
    let mut out = Vec::new();
    let Ok(files) = newsflow_sink::output_files(dir) else {
        return Ok(out);
    };
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        // A .partial whose compressed file is already in place, about to be removed.
        if let Some(base) = name.strip_suffix(".partial") {
            if files.iter().any(|g| {
                g.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with(base) && *g != *f)
            }) {
                continue;
            }
        }
        let mut text = String::new();
        newsflow_sink::open_output(f)?.read_to_string(&mut text)?;
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "{} ends in a partial line",
            f.display()
        );
        for line in text.lines() {
            out.push(
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("bad JSON line {line:?}: {e}")),
            );
        }
    }
    Ok(out)
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A running `newsflow run`; killed if the test fails before stopping it. Its
/// stderr is drained continuously (a full pipe would block the daemon's logging).
pub struct Daemon {
    pub child: Option<Child>,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Daemon {
    pub fn new(mut child: Child) -> Daemon {
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let reader = child.stderr.take().map(|mut err| {
            let log = log.clone();
            std::thread::spawn(move || {
                use std::io::Read;
                let mut buf = [0u8; 8192];
                while let Ok(n) = err.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    log.lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
        });
        Daemon {
            child: Some(child),
            log,
            reader,
        }
    }

    /// What the daemon logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    pub fn signal(&self, sig: i32) {
        let pid = self.child.as_ref().unwrap().id() as i32;
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(pid, sig);
        }
    }

    /// SIGKILL, and wait for the process to be gone.
    pub fn kill(mut self) {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Sends SIGTERM and waits; returns the exit status and stderr.
    pub fn stop(mut self) -> (std::process::ExitStatus, String) {
        self.signal(libc::SIGTERM);
        let mut child = self.child.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(_status) = child.try_wait().unwrap() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "daemon did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let status = child.wait().unwrap();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        (status, self.log())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A small deterministic generator (xorshift), so a failing run can be
/// replayed from its seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len() as u64) as usize]
    }
}

/// Whether a service the tests need answers at `hostport`. Without it the
/// test skips with a message, unless NEWSFLOW_REQUIRE_SERVICES=1 (CI), which
/// makes a missing server a failure.
pub fn service_available(name: &str, hostport: &str) -> bool {
    let addr = hostport.parse().expect("host:port");
    if std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok() {
        return true;
    }
    if std::env::var("NEWSFLOW_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!(
            "{name} is not reachable at {hostport} and NEWSFLOW_REQUIRE_SERVICES=1: start it as the README's \"Services for the tests\" says"
        );
    }
    eprintln!("skipping: {name} is not reachable at {hostport}");
    false
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 GET; returns the body on 200.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let (head, body) = resp.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.1 200").then(|| body.to_string())
}

/// Value of a Prometheus sample, e.g. `newsflow_stage_items_in_total{stage="sink"}`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        l.strip_prefix(series)
            .and_then(|rest| rest.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
    })
}

pub fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !cond() {
        assert!(
            Instant::now() < deadline,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The seed files and their labels.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let expected = seed_labels();
    expected["files"]
        .as_object()
        .unwrap()
        .keys()
        .map(|name| {
            (
                name.clone(),
                std::fs::read(format!("{FIXTURES}/seeds/{name}")).unwrap(),
            )
        })
        .collect()
}

pub fn seed_labels() -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{FIXTURES}/seeds/expected.json")).unwrap(),
    )
    .unwrap()
}

/// Checks a record against its seed's labels; returns the problems found.
pub fn check_seed_record(name: &str, rec: &Value) -> Vec<String> {
    seed_check::check(&seed_labels(), name, rec)
}
