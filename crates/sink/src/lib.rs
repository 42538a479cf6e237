//! The sink stage: records become JSON lines in `[sink.jsonl] dir`, written in
//! batches and fsynced before anyone is told they are committed.
//!
//! [`JsonlSink`] is the synchronous core: it appends whole batches, truncates back
//! on a failed write (a consumer never reads half a line), repairs a torn tail left
//! by a crash, and can tell which record ids are already on disk ([`committed_ids`]),
//! which is how a claim replayed after a crash avoids a second record. [`run`] is the
//! async runner that batches items and reports committed claims.

pub mod postgres;

use newsflow_record::telemetry;
use newsflow_record::{
    rfc3339, Committed, DedupStatus, Failed, Item, ItemFailure, Reason, Stage, StageError,
};
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use time::OffsetDateTime;

/// Settings from `[sink.jsonl]`.
#[derive(Debug, Clone)]
pub struct JsonlConfig {
    pub dir: PathBuf,
    /// Most records per write+fsync.
    pub batch_size: usize,
    /// Longest a record waits for its batch to fill.
    pub batch_timeout: Duration,
    /// A file that reaches this size is closed and a new one started.
    pub max_file_bytes: u64,
    /// Fault injection (`[faults]`): a pause before each batch write...
    pub fault_delay: Duration,
    /// ...and this many batch writes that fail as a full disk would.
    pub fault_fail_writes: u32,
}

/// Appends batches of records to the current output file.
pub struct JsonlSink {
    cfg: JsonlConfig,
    current: Option<(PathBuf, File, u64)>,
    /// Records of multi-item files already on disk when the daemon started (a
    /// crash came before their file was finished): their replay skips them.
    written: HashSet<String>,
}

impl JsonlSink {
    /// Creates the output dir and repairs any torn last line an earlier crash left.
    pub fn open(cfg: JsonlConfig) -> Result<JsonlSink, String> {
        fs::create_dir_all(&cfg.dir).map_err(|e| {
            format!(
                "cannot create the output dir {} ([sink.jsonl] dir): {e}; create it or fix its permissions",
                cfg.dir.display()
            )
        })?;
        for path in
            output_files(&cfg.dir).map_err(|e| format!("cannot list {}: {e}", cfg.dir.display()))?
        {
            match repair_tail(&path) {
                Ok(0) => {}
                Ok(cut) => {
                    tracing::warn!(file = %path.display(), bytes = cut, "removed an unfinished last line left by a crash; its records were not committed and will be written again")
                }
                Err(e) => {
                    return Err(format!(
                        "cannot check {} for a torn last line: {e}",
                        path.display()
                    ))
                }
            }
        }
        Ok(JsonlSink {
            cfg,
            current: None,
            written: HashSet::new(),
        })
    }

    /// Record ids found on disk at start whose files are replayed: they are not
    /// written a second time.
    pub fn skip_written(&mut self, ids: HashSet<String>) {
        self.written = ids;
    }

    pub fn dir(&self) -> &Path {
        &self.cfg.dir
    }

    /// Appends `lines` (each one JSON object with its trailing newline) and fsyncs.
    /// On failure the file is cut back to where it was, so no partial line remains.
    pub fn write_batch(&mut self, lines: &[u8]) -> io::Result<PathBuf> {
        if self.cfg.fault_fail_writes > 0 {
            self.cfg.fault_fail_writes -= 1;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "injected fault ([faults] sink_fail_writes)",
            ));
        }
        if self
            .current
            .as_ref()
            .is_some_and(|(_, _, len)| *len >= self.cfg.max_file_bytes)
        {
            self.current = None;
        }
        if self.current.is_none() {
            let path = new_file_name(&self.cfg.dir)?;
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)?;
            if let Ok(d) = File::open(&self.cfg.dir) {
                let _ = d.sync_all();
            }
            self.current = Some((path, file, 0));
        }
        let (path, file, len) = self.current.as_mut().expect("opened above");
        let res = file.write_all(lines).and_then(|_| file.sync_data());
        match res {
            Ok(()) => {
                *len += lines.len() as u64;
                Ok(path.clone())
            }
            Err(e) => {
                let undo = file.set_len(*len).and_then(|_| file.sync_data());
                if undo.is_err() {
                    // Cannot cut back: abandon this file; the torn tail is repaired at next open.
                    self.current = None;
                }
                Err(e)
            }
        }
    }
}

/// `records-YYYYMMDD-HHMMSS-<seq>.jsonl`, with `seq` making the name unique.
fn new_file_name(dir: &Path) -> io::Result<PathBuf> {
    let now = OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        now.year(),
        now.month() as u8,
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    for seq in 0..10_000 {
        let p = dir.join(format!("records-{stamp}-{seq:04}.jsonl"));
        if !p.exists() {
            return Ok(p);
        }
    }
    Err(io::Error::other("no free output file name"))
}

/// The sink's output files, in name (= creation) order.
pub fn output_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("records-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Cuts a file back to its last newline; returns how many bytes were removed.
fn repair_tail(path: &Path) -> io::Result<u64> {
    let mut f = OpenOptions::new().read(true).write(true).open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut pos = len;
    let mut buf = vec![0u8; 64 * 1024];
    while pos > 0 {
        let start = pos.saturating_sub(buf.len() as u64);
        let n = (pos - start) as usize;
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut buf[..n])?;
        if let Some(i) = buf[..n].iter().rposition(|&b| b == b'\n') {
            let keep = start + i as u64 + 1;
            if keep < len {
                f.set_len(keep)?;
                f.sync_all()?;
            }
            return Ok(len - keep);
        }
        pos = start;
    }
    f.set_len(0)?;
    f.sync_all()?;
    Ok(len)
}

/// Which records of the claims `wanted` are already in `dir`: ids equal to a
/// claim id, or of the form `<claim id>.<n>` (items of a multi-item file). Only
/// files modified at or after `since` are read: a record cannot be older than
/// its claim.
pub fn committed_ids(
    dir: &Path,
    wanted: &HashSet<String>,
    since: SystemTime,
) -> io::Result<HashSet<String>> {
    let mut found = HashSet::new();
    if wanted.is_empty() || !dir.exists() {
        return Ok(found);
    }
    for path in output_files(dir)? {
        let recent = fs::metadata(&path)
            .and_then(|m| m.modified())
            .map(|m| m + Duration::from_secs(2) >= since)
            .unwrap_or(true);
        if !recent {
            continue;
        }
        for line in BufReader::new(File::open(&path)?).split(b'\n') {
            let line = line?;
            // Records start with {"id":"…"; reading the id needs no full parse.
            if let Some(id) = line
                .strip_prefix(br#"{"id":""#)
                .and_then(|rest| rest.iter().position(|&b| b == b'"').map(|end| &rest[..end]))
                .and_then(|id| std::str::from_utf8(id).ok())
            {
                let claim = id.split_once('.').map_or(id, |(claim, _)| claim);
                if wanted.contains(claim) {
                    found.insert(id.to_string());
                }
            }
        }
    }
    Ok(found)
}

/// What the sink does with a duplicate (`[dedup] exact_action`, `near_action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Action {
    /// Written like any record, marked by its `dedup` fields.
    #[default]
    Keep,
    /// Not written; counted in `newsflow_dedup_dropped_total` and logged.
    Drop,
    /// Written to the route sink (`[dedup] route_dir`) instead of the main output.
    Route,
}

/// The action for each duplicate status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Routing {
    pub exact: Action,
    pub near: Action,
}

impl Routing {
    fn action(&self, status: DedupStatus) -> Action {
        match status {
            DedupStatus::Unique => Action::Keep,
            DedupStatus::ExactDuplicate => self.exact,
            DedupStatus::NearDuplicate => self.near,
        }
    }
}

/// Writes `buf` to `sink` durably, retrying with backoff until it succeeds.
async fn write_durably(mut sink: JsonlSink, buf: Vec<u8>, records: u64) -> (JsonlSink, Vec<u8>) {
    let mut buf = buf;
    let mut backoff = Duration::from_millis(100);
    // A batch of replays, drops and failed items only has nothing to write.
    while !buf.is_empty() {
        let res = tokio::task::spawn_blocking({
            let buf = std::mem::take(&mut buf);
            move || {
                let r = sink.write_batch(&buf);
                (sink, buf, r)
            }
        })
        .await
        .expect("the sink write does not panic; a panic here is a bug to report");
        sink = res.0;
        buf = res.1;
        match res.2 {
            Ok(path) => {
                tracing::debug!(file = %path.display(), records, "batch committed");
                break;
            }
            Err(e) => {
                metrics::counter!(telemetry::SINK_ERRORS, "sink" => "jsonl", "kind" => format!("{:?}", e.kind()))
                    .increment(1);
                tracing::error!(dir = %sink.dir().display(), records, error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "cannot write records to the output dir; intake is paused and the batch is retried. Free disk space or fix permissions");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
    (sink, buf)
}

/// Batches items, writes them, and sends each committed batch's claims on `committed`.
/// A failed write is retried with backoff until it succeeds: nothing is dropped, and
/// upstream stages stop (bounded channels) while the sink cannot write. Duplicates
/// are kept, dropped or routed to `route` as `routing` says.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    mut sink: JsonlSink,
    mut route: Option<JsonlSink>,
    mut pg: Option<postgres::PgSink>,
    routing: Routing,
    rx: async_channel::Receiver<Item>,
    committed: async_channel::Sender<Vec<Committed>>,
    failed: async_channel::Sender<Failed>,
) {
    let (batch_size, timeout) = (sink.cfg.batch_size.max(1), sink.cfg.batch_timeout);
    while let Ok(first) = rx.recv().await {
        let mut items = vec![first];
        let deadline = tokio::time::Instant::now() + timeout;
        while items.len() < batch_size {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Ok(item)) => items.push(item),
                _ => break,
            }
        }
        let started = Instant::now();
        let processed_at = rfc3339(OffsetDateTime::now_utc());
        let mut buf = Vec::with_capacity(items.len() * 4096);
        let mut routed = Vec::new();
        let mut claims = Vec::with_capacity(items.len());
        // Every record the main output keeps goes to PostgreSQL too, replays
        // included: the JSONL output may have them from before a crash while the
        // database does not, and the insert ignores ids it has.
        let mut pg_rows: Vec<postgres::Row> = Vec::new();
        let (mut lines, mut routed_lines) = (0u64, 0u64);
        for mut item in items {
            telemetry::item_in(Stage::Sink);
            let mut ids = Vec::with_capacity(item.records.len());
            let mut duplicates = 0;
            for (pos, mut record) in item.records.into_iter().enumerate() {
                let status = record.dedup.status;
                let action = match routing.action(status) {
                    Action::Route if route.is_none() => Action::Keep,
                    a => a,
                };
                // Recovery hands every id found in either output to the main sink.
                if sink.written.remove(&record.id) {
                    tracing::info!(file = %item.claim.rel_path, id = %record.id, "record already written before the last stop; not written again");
                    if pg.is_some() && action == Action::Keep {
                        record.pipeline.processed_at = processed_at.clone();
                        if let Ok(json) = serde_json::to_string(&record) {
                            pg_rows.push(postgres::Row::new(&record, &json));
                        }
                    }
                } else if action == Action::Drop {
                    metrics::counter!(telemetry::DEDUP_DROPPED, "status" => status.as_str())
                        .increment(1);
                    tracing::info!(file = %item.claim.rel_path, id = %record.id, status = status.as_str(),
                        duplicate_of = record.dedup.duplicate_of.as_deref().unwrap_or(""),
                        "duplicate not written ([dedup] action = \"drop\")");
                    duplicates += 1;
                    continue;
                } else {
                    record.pipeline.processed_at = processed_at.clone();
                    let out = if action == Action::Route {
                        &mut routed
                    } else {
                        &mut buf
                    };
                    let at = out.len();
                    if let Err(e) = serde_json::to_writer(&mut *out, &record) {
                        out.truncate(at);
                        let error = StageError::new(
                            Stage::Sink,
                            Reason::Unserializable,
                            format!("the record cannot be serialized: {e}"),
                        );
                        let n = record.source.item.unwrap_or(pos + 1);
                        item.failures.push(ItemFailure::new(n, record.id, error));
                        continue;
                    }
                    if pg.is_some() && action == Action::Keep {
                        let json = std::str::from_utf8(&out[at..]).unwrap_or_default();
                        pg_rows.push(postgres::Row::new(&record, json));
                    }
                    out.push(b'\n');
                    if action == Action::Route {
                        routed_lines += 1;
                    } else {
                        lines += 1;
                    }
                }
                if status != DedupStatus::Unique {
                    duplicates += 1;
                }
                ids.push(record.id);
            }
            if ids.is_empty() && item.failures.len() == 1 && item.claim.id == item.failures[0].id {
                // A file of one item whose record failed: the file's own failure.
                let f = item.failures.pop().expect("one failure");
                telemetry::item_failed(Stage::Sink, started.elapsed());
                let error = StageError::new(f.stage, f.reason, f.message);
                if failed
                    .send(Failed {
                        claim: item.claim,
                        error,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                continue;
            }
            claims.push(Committed {
                claim: item.claim,
                ids,
                duplicates,
                failures: item.failures,
            });
        }
        if claims.is_empty() {
            continue;
        }
        if !sink.cfg.fault_delay.is_zero() {
            tokio::time::sleep(sink.cfg.fault_delay).await;
        }
        (sink, _) = write_durably(sink, buf, lines).await;
        if let Some(r) = route.take() {
            let (r, _) = write_durably(r, routed, routed_lines).await;
            route = Some(r);
        }
        // A record is committed when every enabled sink has it.
        if let Some(p) = pg.take() {
            pg = Some(postgres::write_durably(p, pg_rows).await);
        }
        let per_item = started.elapsed() / claims.len() as u32;
        for _ in &claims {
            telemetry::item_out(Stage::Sink, per_item);
        }
        metrics::counter!(telemetry::RECORDS_WRITTEN).increment(lines + routed_lines);
        if lines + routed_lines > 0 {
            metrics::counter!(telemetry::SINK_BATCHES, "sink" => "jsonl").increment(1);
        }
        if committed.send(claims).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path) -> JsonlConfig {
        JsonlConfig {
            dir: dir.to_path_buf(),
            batch_size: 10,
            batch_timeout: Duration::from_millis(10),
            max_file_bytes: 1 << 20,
            fault_delay: Duration::ZERO,
            fault_fail_writes: 0,
        }
    }

    #[test]
    fn batches_append_and_ids_are_found_again() {
        let t = tempfile::tempdir().unwrap();
        let mut s = JsonlSink::open(cfg(t.path())).unwrap();
        s.write_batch(b"{\"id\":\"a\",\"x\":1}\n{\"id\":\"b\",\"x\":2}\n")
            .unwrap();
        let p = s.write_batch(b"{\"id\":\"c\",\"x\":3}\n").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap().lines().count(), 3);
        s.write_batch(b"{\"id\":\"m.1\",\"x\":4}\n{\"id\":\"m.3\",\"x\":5}\n{\"id\":\"mm.1\"}\n")
            .unwrap();
        let wanted: HashSet<String> = ["b", "c", "m", "zz"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let found = committed_ids(t.path(), &wanted, SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(
            found,
            ["b", "c", "m.1", "m.3"]
                .iter()
                .map(|s| s.to_string())
                .collect()
        );
    }

    #[test]
    fn a_torn_tail_is_cut_back_on_open() {
        let t = tempfile::tempdir().unwrap();
        let p = t.path().join("records-20260101-000000-0000.jsonl");
        fs::write(&p, b"{\"id\":\"a\"}\n{\"id\":\"b\",\"bo").unwrap();
        JsonlSink::open(cfg(t.path())).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"{\"id\":\"a\"}\n");
    }

    #[test]
    fn files_rotate_at_the_size_limit() {
        let t = tempfile::tempdir().unwrap();
        let mut c = cfg(t.path());
        c.max_file_bytes = 10;
        let mut s = JsonlSink::open(c).unwrap();
        let a = s.write_batch(b"{\"id\":\"a\",\"pad\":1}\n").unwrap();
        let b = s.write_batch(b"{\"id\":\"b\",\"pad\":1}\n").unwrap();
        assert_ne!(a, b);
        assert_eq!(output_files(t.path()).unwrap().len(), 2);
    }
}
