//! newsflow's benchmark harness (issue 9): `cargo run --release -p xtask -- <command>`.
//!
//! - `gen`: a deterministic corpus (text or HTML drops).
//! - `floor`: the I/O floor on a folder of drops.
//! - `bench`: corpus → floor and `newsflow once` on copies of the same files,
//!   newsflow's throughput as a ratio to the floor, its peak RSS.
//! - `latency`: `newsflow run` fed at a steady rate; claim-to-commit p50/p99 from
//!   its metrics histogram and RSS over time.

mod floor;
mod gen;

use clap::{Parser, Subcommand};
use gen::Kind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "xtask", about = "newsflow's benchmark harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Write a generated corpus of drops into OUT.
    Gen {
        #[arg(long, value_enum, default_value = "text")]
        kind: Kind,
        #[arg(long, default_value_t = 10_000)]
        docs: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        out: PathBuf,
    },
    /// Run the floor over the drops in INBOX (they are moved to ARCHIVE).
    Floor { inbox: PathBuf, archive: PathBuf },
    /// Floor and `newsflow once` on the same generated drops; prints both and the ratio.
    Bench {
        #[arg(long, value_enum, default_value = "text")]
        kind: Kind,
        #[arg(long, default_value_t = 10_000)]
        docs: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Where corpora are kept between runs and runs happen (default: target/xtask-bench).
        #[arg(long)]
        work: Option<PathBuf>,
        /// The newsflow binary (default: the release build in CARGO_TARGET_DIR).
        #[arg(long)]
        bin: Option<PathBuf>,
    },
    /// `newsflow run` fed RATE files/s for SECS seconds: latency percentiles and RSS.
    Latency {
        #[arg(long, default_value_t = 1000)]
        rate: u64,
        #[arg(long, default_value_t = 60)]
        secs: u64,
        #[arg(long)]
        work: Option<PathBuf>,
        #[arg(long)]
        bin: Option<PathBuf>,
    },
}

fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_string())
        .into()
}

fn default_bin() -> PathBuf {
    target_dir().join("release/newsflow")
}

fn default_work() -> PathBuf {
    target_dir().join("xtask-bench")
}

fn require_bin(bin: &Path) -> Result<(), String> {
    if bin.exists() {
        return Ok(());
    }
    Err(format!(
        "no newsflow binary at {}: run `cargo build --release` first or pass --bin",
        bin.display()
    ))
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let r = match cli.command {
        Cmd::Gen {
            kind,
            docs,
            seed,
            out,
        } => gen::generate(kind, docs, seed, &out)
            .map(|b| {
                println!(
                    "{docs} drops, {:.1} MB in {}",
                    b as f64 / 1e6,
                    out.display()
                )
            })
            .map_err(|e| e.to_string()),
        Cmd::Floor { inbox, archive } => {
            let t = Instant::now();
            floor::run(&inbox, &archive, &archive)
                .map(|(n, b)| report("floor", n, b, t.elapsed(), None))
                .map_err(|e| e.to_string())
        }
        Cmd::Bench {
            kind,
            docs,
            seed,
            work,
            bin,
        } => bench(
            kind,
            docs,
            seed,
            &work.unwrap_or_else(default_work),
            &bin.unwrap_or_else(default_bin),
        ),
        Cmd::Latency {
            rate,
            secs,
            work,
            bin,
        } => latency(
            rate,
            secs,
            &work.unwrap_or_else(default_work),
            &bin.unwrap_or_else(default_bin),
        ),
    };
    match r {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn report(what: &str, n: u64, bytes: u64, t: Duration, rss: Option<u64>) {
    let s = t.as_secs_f64();
    println!(
        "{what:<10} {n:>8} files {:>8.1} MB in {s:>8.2} s: {:>8.0} files/s {:>7.1} MB/s{}",
        bytes as f64 / 1e6,
        n as f64 / s,
        bytes as f64 / 1e6 / s,
        rss.map(|k| format!("  peak RSS {:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_default()
    );
}

/// Copies every file of `from` into `to`.
fn stage_copy(from: &Path, to: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for e in std::fs::read_dir(from)
        .map_err(|e| e.to_string())?
        .flatten()
    {
        // A copy, not a link: the run moves and deletes its files, and the
        // cached corpus must stay.
        std::fs::copy(e.path(), to.join(e.file_name())).map_err(|e| e.to_string())?;
    }
    // The copies' write-back would otherwise compete with the timed run.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    Ok(())
}

fn corpus(kind: Kind, docs: usize, seed: u64, work: &Path) -> Result<(PathBuf, u64), String> {
    let dir = work.join(format!("corpus-{kind:?}-{docs}-{seed}").to_lowercase());
    let done = dir.join(".complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        let t = Instant::now();
        let files = dir.join("files");
        let b = gen::generate(kind, docs, seed, &files).map_err(|e| e.to_string())?;
        std::fs::write(&done, b.to_string()).map_err(|e| e.to_string())?;
        eprintln!(
            "generated {docs} {kind:?} drops ({:.1} MB) in {:.1} s",
            b as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
    }
    let bytes = std::fs::read_to_string(&done)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    Ok((dir.join("files"), bytes))
}

/// A config with every folder under `root`; `intake_extra` goes into
/// `[intake]`, `extra` after the last section.
fn config(root: &Path, intake_extra: &str, extra: &str) -> Result<PathBuf, String> {
    let r = root.display();
    let text = format!(
        "[intake]\n{intake_extra}inbox = \"{r}/inbox\"\narchive = \"{r}/archive\"\nquarantine = \"{r}/quarantine\"\n\
         [state]\ndir = \"{r}/state\"\n[sink.jsonl]\ndir = \"{r}/out\"\n{extra}"
    );
    let p = root.join("newsflow.toml");
    std::fs::write(&p, text).map_err(|e| e.to_string())?;
    Ok(p)
}

/// Peak RSS of the children waited for so far, in KiB.
fn children_peak_rss_kib() -> u64 {
    // SAFETY: getrusage only writes the struct we pass.
    unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru);
        ru.ru_maxrss as u64
    }
}

fn bench(kind: Kind, docs: usize, seed: u64, work: &Path, bin: &Path) -> Result<(), String> {
    require_bin(bin)?;
    let (files, bytes) = corpus(kind, docs, seed, work)?;
    println!(
        "{docs} {kind:?} drops, {:.1} MB; machine: {} cores",
        bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    // The floor.
    let root = work.join("run-floor");
    let _ = std::fs::remove_dir_all(&root);
    stage_copy(&files, &root.join("inbox"))?;
    let t = Instant::now();
    let (n, b) = floor::run(
        &root.join("inbox"),
        &root.join("archive"),
        &root.join("out"),
    )
    .map_err(|e| e.to_string())?;
    let floor_t = t.elapsed();
    report("floor", n, b, floor_t, None);
    let _ = std::fs::remove_dir_all(&root);
    // newsflow once, default config, every stage on.
    let root = work.join("run-newsflow");
    let _ = std::fs::remove_dir_all(&root);
    stage_copy(&files, &root.join("inbox"))?;
    let cfg = config(&root, "", "")?;
    // Let the copies settle (`[intake] settle_ms`), outside the timing.
    std::thread::sleep(Duration::from_millis(600));
    let t = Instant::now();
    let out = Command::new(bin)
        .arg("once")
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let nf_t = t.elapsed();
    if !out.status.success() {
        return Err(format!(
            "newsflow once failed: {}",
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    report(
        "newsflow",
        docs as u64,
        bytes,
        nf_t,
        Some(children_peak_rss_kib()),
    );
    println!(
        "ratio to the floor: {:.3}   ({})",
        floor_t.as_secs_f64() / nf_t.as_secs_f64(),
        String::from_utf8_lossy(&out.stdout).trim()
    );
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}

fn http_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut body = String::new();
    s.read_to_string(&mut body).ok()?;
    body.split_once("\r\n\r\n").map(|(_, b)| b.to_string())
}

/// p-th percentile from a Prometheus histogram's cumulative buckets, by linear
/// interpolation inside the bucket it falls in.
fn percentile(metrics: &str, name: &str, p: f64) -> Option<f64> {
    let mut buckets: Vec<(f64, f64)> = metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}_bucket{{")))
        .filter_map(|l| {
            let le = l.split("le=\"").nth(1)?.split('"').next()?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            let count: f64 = l.rsplit(' ').next()?.parse().ok()?;
            Some((le, count))
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    if total == 0.0 {
        return None;
    }
    let want = total * p;
    let mut prev = (0.0, 0.0);
    for (le, c) in buckets {
        if c >= want {
            if le.is_infinite() {
                return Some(prev.0);
            }
            let frac = if c > prev.1 {
                (want - prev.1) / (c - prev.1)
            } else {
                1.0
            };
            return Some(prev.0 + (le - prev.0) * frac);
        }
        prev = (le, c);
    }
    None
}

fn rss_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn latency(rate: u64, secs: u64, work: &Path, bin: &Path) -> Result<(), String> {
    require_bin(bin)?;
    // Enough distinct drops for the whole run (up to 200,000, then they repeat
    // and the repeats are exact duplicates).
    let docs = (rate * secs).clamp(1_000, 200_000) as usize;
    let (files, _) = corpus(Kind::Text, docs, 42, work)?;
    let sources: Vec<Vec<u8>> = {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&files)
            .map_err(|e| e.to_string())?
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v.iter().filter_map(|p| std::fs::read(p).ok()).collect()
    };
    let root = work.join("run-latency");
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("inbox")).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // Archived files are deleted: a 10-minute run at 1,000 files/s would fill
    // the archive with 600,000 files, which measures the disk, not newsflow.
    let cfg = config(
        &root,
        "after = \"delete\"\n",
        &format!("[metrics]\nlisten = \"127.0.0.1:{port}\"\n"),
    )?;
    let mut child = Command::new(bin)
        .arg("run")
        .arg("--config")
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    while http_get(port, "/health").is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            return Err("newsflow did not come up".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let inbox = root.join("inbox");
    // Every drop of the run is written before the clock starts and only renamed
    // into the inbox during it: creating a file is the producer's work, and on
    // ext4 without a journal each creation scans past the inodes deleted in the
    // last half minute (`recently_deleted`), which newsflow's `after = "delete"`
    // keeps full. Written during the run, the writer took a third of this
    // 2-core machine at 1,000 files/s (`perf record -a`).
    let staged = root.join("staged");
    std::fs::create_dir_all(&staged).map_err(|e| e.to_string())?;
    let total = rate * secs;
    for n in 0..total {
        let src = &sources[(n as usize) % sources.len()];
        std::fs::write(staged.join(format!("{n:09}.txt")), src).map_err(|e| e.to_string())?;
    }
    // The staged files reach the disk before the clock starts, not during it.
    // SAFETY: sync(2) takes no arguments and cannot fail.
    unsafe { libc::sync() };
    let t0 = Instant::now();
    let mut sent = 0u64;
    let mut rss = Vec::new();
    let mut next_sample = Duration::ZERO;
    while t0.elapsed() < Duration::from_secs(secs) {
        let due = ((t0.elapsed().as_secs_f64() * rate as f64) as u64).min(total);
        while sent < due {
            let name = format!("{sent:09}.txt");
            std::fs::rename(staged.join(&name), inbox.join(&name)).map_err(|e| e.to_string())?;
            sent += 1;
        }
        if t0.elapsed() >= next_sample {
            if let Some(k) = rss_kib(child.id()) {
                rss.push((t0.elapsed().as_secs(), k));
            }
            next_sample += Duration::from_secs(10);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    // Drain, then read the histogram.
    let drain = Instant::now();
    let archived = |m: &str| -> u64 {
        m.lines()
            .find(|l| l.starts_with("newsflow_end_to_end_latency_seconds_count"))
            .and_then(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0) as u64
    };
    let mut metrics = String::new();
    while drain.elapsed() < Duration::from_secs(120) {
        metrics = http_get(port, "/metrics").unwrap_or_default();
        if archived(&metrics) >= sent {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let drained_in = drain.elapsed();
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let _ = child.wait();
    let name = "newsflow_end_to_end_latency_seconds";
    let p50 = percentile(&metrics, name, 0.50).unwrap_or(f64::NAN);
    let p99 = percentile(&metrics, name, 0.99).unwrap_or(f64::NAN);
    println!(
        "{sent} files at {rate}/s for {secs} s; {} committed; drained {:.1} s after the last drop",
        archived(&metrics),
        drained_in.as_secs_f64()
    );
    println!(
        "claim-to-commit latency: p50 {:.0} ms, p99 {:.0} ms",
        p50 * 1000.0,
        p99 * 1000.0
    );
    let line: Vec<String> = rss
        .iter()
        .map(|(s, k)| format!("{s}s:{:.0}", *k as f64 / 1024.0))
        .collect();
    println!("RSS (MiB) over time: {}", line.join(" "));
    let _ = std::fs::remove_dir_all(&root);
    Ok(())
}
