//! The sink stage: records become JSON lines in `[sink.jsonl] dir`, written in
//! batches and fsynced before anyone is told they are committed.
//!
//! [`JsonlSink`] is the synchronous core: it appends whole batches, truncates back
//! on a failed write (a consumer never reads half a line), repairs a torn tail left
//! by a crash, and can tell which record ids are already on disk ([`committed_ids`]),
//! which is how a claim replayed after a crash avoids a second record. [`run`] is the
//! async runner that batches items and reports committed claims.

pub mod nats;
pub mod postgres;

use newsflow_record::telemetry;
use newsflow_record::{
    rfc3339, Committed, DedupStatus, Failed, Item, ItemFailure, Reason, Stage, StageError,
};
use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
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
    /// A file that reaches this size is finished and a new one started.
    pub max_file_bytes: u64,
    /// A file open this long is finished, records arriving or not; zero: no limit.
    pub max_file_age: Duration,
    /// How a finished file is stored.
    pub compression: Compression,
    /// Fault injection (`[faults]`): a pause before each batch write...
    pub fault_delay: Duration,
    /// ...and this many batch writes that fail as a full disk would.
    pub fault_fail_writes: u32,
}

/// How finished output files are stored (`[sink.jsonl] compression`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    /// `records-….jsonl`: the `.partial` file renamed.
    #[default]
    None,
    /// `records-….jsonl.gz` (flate2, default level).
    Gzip,
    /// `records-….jsonl.zst`. Written by `ruzstd`, pure Rust, at its one
    /// implemented level ("fastest", about `zstd -1`): it builds in seconds, where
    /// the `zstd` crate compiles the C libzstd (zstd-sys), ten times the build time.
    Zstd,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// The end of a finished file's name.
    pub const fn extension(self) -> &'static str {
        match self {
            Compression::None => ".jsonl",
            Compression::Gzip => ".jsonl.gz",
            Compression::Zstd => ".jsonl.zst",
        }
    }
}

/// The end of the name of the file being written.
const PARTIAL: &str = ".jsonl.partial";
/// The ends of finished files' names, one per [`Compression`].
const FINISHED: [&str; 3] = [
    Compression::None.extension(),
    Compression::Gzip.extension(),
    Compression::Zstd.extension(),
];

/// Why an output file was finished (the `reason` of its log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Finish {
    /// It reached `max_file_bytes`.
    Size,
    /// It was open for `max_file_age`.
    Age,
    /// The sink's input closed: a clean stop.
    Shutdown,
    /// A `.partial` an earlier run left (a crash), finished at open.
    Recovered,
    /// An earlier attempt to finish it failed.
    Retry,
    /// A caller of [`JsonlSink::finish_current`], with its reason.
    Requested(&'static str),
}

impl Finish {
    fn as_str(self) -> &'static str {
        match self {
            Finish::Size => "size",
            Finish::Age => "age",
            Finish::Shutdown => "shutdown",
            Finish::Recovered => "recovered",
            Finish::Retry => "retry",
            Finish::Requested(why) => why,
        }
    }
}

/// The `.partial` file being appended to.
struct Current {
    path: PathBuf,
    file: File,
    len: u64,
    opened: Instant,
}

/// Appends batches of records to the current output file.
pub struct JsonlSink {
    cfg: JsonlConfig,
    current: Option<Current>,
    /// Whole `.partial` files whose finishing failed; tried again with the next one.
    unfinished: Vec<PathBuf>,
    /// The `.partial` file being compressed in the background, and its thread
    /// (true: finished).
    compressing: Option<(PathBuf, std::thread::JoinHandle<bool>)>,
    /// Records of multi-item files already on disk when the daemon started (a
    /// crash came before their file was finished): their replay skips them.
    written: HashSet<String>,
}

impl JsonlSink {
    /// Creates the output dir and finishes what an earlier run left: a torn last
    /// line is cut, a `.partial` file is finished (renamed, or compressed), and the
    /// temp file of a compression a crash interrupted is removed (its `.partial`
    /// is still there and is compressed again).
    pub fn open(cfg: JsonlConfig) -> Result<JsonlSink, String> {
        fs::create_dir_all(&cfg.dir).map_err(|e| {
            format!(
                "cannot create the output dir {} ([sink.jsonl] dir): {e}; create it or fix its permissions",
                cfg.dir.display()
            )
        })?;
        let dir = cfg.dir.clone();
        let list_err = |e: io::Error| format!("cannot list {}: {e}", dir.display());
        for path in temp_files(&dir).map_err(list_err)? {
            fs::remove_file(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            tracing::warn!(file = %path.display(), "removed the temp file of a compression a crash interrupted; its .partial file is compressed again");
        }
        let mut sink = JsonlSink {
            cfg,
            current: None,
            unfinished: Vec::new(),
            compressing: None,
            written: HashSet::new(),
        };
        for path in output_files(&dir).map_err(list_err)? {
            if !is_plain(&path) {
                continue;
            }
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
            if is_partial(&path) {
                let _ = sink.finish_path(path, Finish::Recovered, None);
            }
        }
        Ok(sink)
    }

    /// Record ids found on disk at start whose files are replayed: they are not
    /// written a second time.
    pub fn skip_written(&mut self, ids: HashSet<String>) {
        self.written = ids;
    }

    pub fn dir(&self) -> &Path {
        &self.cfg.dir
    }

    /// Appends `lines` (each one JSON object with its trailing newline) and fsyncs;
    /// returns the file that holds them. On failure the file is cut back to where it
    /// was, so no partial line remains. A file past its age is finished first, one
    /// that reaches `max_file_bytes` right after the write.
    pub fn write_batch(&mut self, lines: &[u8]) -> io::Result<PathBuf> {
        if self.cfg.fault_fail_writes > 0 {
            self.cfg.fault_fail_writes -= 1;
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "injected fault ([faults] sink_fail_writes)",
            ));
        }
        self.finish_if_old();
        if self.current.is_none() {
            let path = new_file_name(&self.cfg.dir)?;
            let file = OpenOptions::new()
                .create_new(true)
                .append(true)
                .open(&path)?;
            sync_dir(&self.cfg.dir);
            self.current = Some(Current {
                path,
                file,
                len: 0,
                opened: Instant::now(),
            });
        }
        let cur = self.current.as_mut().expect("opened above");
        let res = cur.file.write_all(lines).and_then(|_| cur.file.sync_data());
        match res {
            Ok(()) => {
                cur.len += lines.len() as u64;
                let path = cur.path.clone();
                if cur.len >= self.cfg.max_file_bytes {
                    // The batch is committed whatever finishing does: a failed
                    // finish is logged and retried, never reported as a failed write.
                    if let Ok(Some(done)) = self.finish(Finish::Size) {
                        return Ok(done);
                    }
                }
                Ok(path)
            }
            Err(e) => {
                let undo = cur.file.set_len(cur.len).and_then(|_| cur.file.sync_data());
                if undo.is_err() {
                    // Cannot cut back: abandon this file; its torn tail is repaired,
                    // and the file finished, at the next open.
                    tracing::error!(file = %cur.path.display(), "cannot cut a failed write back; the file is left as it is and repaired at the next start");
                    self.current = None;
                }
                Err(e)
            }
        }
    }

    /// When the current file reaches `max_file_age`, if it has an age limit.
    fn age_deadline(&self) -> Option<Instant> {
        let cur = self.current.as_ref()?;
        (!self.cfg.max_file_age.is_zero()).then(|| cur.opened + self.cfg.max_file_age)
    }

    /// Finishes the current file if it is past `max_file_age`.
    fn finish_if_old(&mut self) {
        if self.age_deadline().is_some_and(|at| at <= Instant::now()) {
            let _ = self.finish(Finish::Age);
        }
    }

    /// Finishes the current file now, as a clean stop does, after waiting for a
    /// compression running in the background; `reason` goes into the log line.
    /// Returns the finished file (`None`: there was no current file, or it was empty).
    /// On failure the records stay in the `.partial` file; finishing it is tried again
    /// with the next file and at the next open.
    pub fn finish_current(&mut self, reason: &'static str) -> io::Result<Option<PathBuf>> {
        self.finish(Finish::Requested(reason))
    }

    /// Finishes the current file, if any, and any that failed to finish before;
    /// returns the finished file's path when it is finished on return. Failures are
    /// logged and retried later: the records stay in the `.partial` file, where
    /// recovery reads them too. A file rotated out by size or age is compressed on a
    /// thread of its own, beside the writes to the next file (compression runs at
    /// tens of MB/s at best); at most one per sink at a time, so a sink that fills
    /// files faster than they compress waits here.
    fn finish(&mut self, why: Finish) -> io::Result<Option<PathBuf>> {
        self.wait_compressing();
        for path in std::mem::take(&mut self.unfinished) {
            let _ = self.finish_path(path, Finish::Retry, None);
        }
        let Some(cur) = self.current.take() else {
            return Ok(None);
        };
        let age = cur.opened.elapsed();
        drop(cur.file);
        let compression = self.cfg.compression;
        if compression != Compression::None && matches!(why, Finish::Size | Finish::Age) {
            let partial = cur.path.clone();
            let spawned = std::thread::Builder::new()
                .name("jsonl-compress".into())
                .spawn(move || finish_logged(&partial, why, Some(age), compression).is_ok());
            match spawned {
                Ok(handle) => {
                    self.compressing = Some((cur.path, handle));
                    return Ok(None);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot start a thread to compress an output file; compressing it before the next write")
                }
            }
        }
        self.finish_path(cur.path, why, Some(age))
    }

    /// Waits for the file being compressed in the background, if any.
    fn wait_compressing(&mut self) {
        if let Some((partial, handle)) = self.compressing.take() {
            match handle.join() {
                Ok(true) => {}
                Ok(false) => self.unfinished.push(partial),
                Err(_) => {
                    tracing::error!(file = %partial.display(), "compressing an output file panicked (a bug to report); its records are safe in it, and it is finished at the next start");
                }
            }
        }
    }

    /// Finishes `partial`; `age` is how long this run had it open, when it did.
    fn finish_path(
        &mut self,
        partial: PathBuf,
        why: Finish,
        age: Option<Duration>,
    ) -> io::Result<Option<PathBuf>> {
        let res = finish_logged(&partial, why, age, self.cfg.compression);
        if res.is_err() {
            self.unfinished.push(partial);
        }
        res
    }
}

/// [`finish_file`], with a log line saying which file was finished and why; a
/// failure is counted and logged here.
fn finish_logged(
    partial: &Path,
    why: Finish,
    age: Option<Duration>,
    compression: Compression,
) -> io::Result<Option<PathBuf>> {
    match finish_file(partial, compression) {
        Ok(Some((done, bytes))) => {
            tracing::info!(file = %done.display(), reason = why.as_str(), bytes,
                age_secs = age.map(|a| a.as_secs()), compression = compression.as_str(),
                "output file finished");
            Ok(Some(done))
        }
        Ok(None) => {
            tracing::debug!(file = %partial.display(), reason = why.as_str(), "empty output file removed");
            Ok(None)
        }
        Err(e) => {
            metrics::counter!(telemetry::SINK_ERRORS, "sink" => "jsonl", "kind" => format!("{:?}", e.kind()))
                .increment(1);
            tracing::error!(file = %partial.display(), reason = why.as_str(), error = %e,
                compression = compression.as_str(),
                "cannot finish an output file; its records are safe in it, and finishing is tried again with the next file and at the next start. Free disk space or fix permissions");
            Err(e)
        }
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
}

fn is_partial(path: &Path) -> bool {
    file_name(path).ends_with(PARTIAL)
}

/// A `.partial` or uncompressed finished file: appended to, so it may have a torn tail.
fn is_plain(path: &Path) -> bool {
    let name = file_name(path);
    name.ends_with(PARTIAL) || name.ends_with(Compression::None.extension())
}

/// Turns `records-….jsonl.partial` into its finished file, with `compression`.
/// The compressed file is written under a temp name (`.records-….jsonl.gz.tmp`,
/// hidden), fsynced, and renamed; only then is the `.partial` removed. Returns the
/// finished file and its size, or `None` when the `.partial` was empty (removed).
/// If a finished file of the same name exists, an earlier finish got that far (it
/// is only ever renamed into place whole): the `.partial` is just removed.
fn finish_file(partial: &Path, compression: Compression) -> io::Result<Option<(PathBuf, u64)>> {
    let dir = partial.parent().unwrap_or(Path::new("."));
    let base = file_name(partial)
        .strip_suffix(PARTIAL)
        .ok_or_else(|| io::Error::other("not a .partial output file"))?;
    if let Some(done) = FINISHED
        .iter()
        .map(|ext| dir.join(format!("{base}{ext}")))
        .find(|p| p.exists())
    {
        fs::remove_file(partial)?;
        sync_dir(dir);
        let bytes = fs::metadata(&done)?.len();
        return Ok(Some((done, bytes)));
    }
    if fs::metadata(partial)?.len() == 0 {
        fs::remove_file(partial)?;
        sync_dir(dir);
        return Ok(None);
    }
    let done = dir.join(format!("{base}{}", compression.extension()));
    if compression == Compression::None {
        fs::rename(partial, &done)?;
    } else {
        let tmp = dir.join(format!(".{}.tmp", file_name(&done)));
        let written =
            compress_file(partial, &tmp, compression).and_then(|_| fs::rename(&tmp, &done));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        // The finished file is in place for good before its source goes.
        sync_dir(dir);
        fs::remove_file(partial)?;
    }
    sync_dir(dir);
    let bytes = fs::metadata(&done)?.len();
    Ok(Some((done, bytes)))
}

/// Writes `src` compressed to `dst` and fsyncs it.
fn compress_file(src: &Path, dst: &Path, compression: Compression) -> io::Result<()> {
    let mut input = BufReader::with_capacity(256 * 1024, File::open(src)?);
    let out = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(dst)?;
    let out = BufWriter::with_capacity(256 * 1024, out);
    let out = match compression {
        Compression::None => return Err(io::Error::other("no compression chosen")),
        Compression::Gzip => {
            let mut enc = flate2::write::GzEncoder::new(out, flate2::Compression::default());
            io::copy(&mut input, &mut enc)?;
            enc.finish()?
        }
        Compression::Zstd => {
            // ruzstd panics on an I/O error of its reader or writer: they go
            // through `Checked`, which keeps the first error and reports it here.
            let (mut r, mut w) = (Checked::new(input), Checked::new(out));
            ruzstd::encoding::compress(&mut r, &mut w, ruzstd::encoding::CompressionLevel::Fastest);
            r.result()?;
            w.result()?;
            w.inner
        }
    };
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()
}

/// A reader or writer that never fails: the first error is kept (reads then
/// end, writes are dropped) for [`Checked::result`].
struct Checked<T> {
    inner: T,
    err: Option<io::Error>,
}

impl<T> Checked<T> {
    fn new(inner: T) -> Self {
        Checked { inner, err: None }
    }

    fn result(&mut self) -> io::Result<()> {
        self.err.take().map_or(Ok(()), Err)
    }
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.err.is_none() {
            match self.inner.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => self.err = Some(e),
                Ok(n) => return Ok(n),
            }
        }
        Ok(0)
    }
}

impl<W: Write> Write for Checked<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.err.is_none() {
            if let Err(e) = self.inner.write_all(buf) {
                self.err = Some(e);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.err.is_none() {
            if let Err(e) = self.inner.flush() {
                self.err = Some(e);
            }
        }
        Ok(())
    }
}

/// `records-YYYYMMDD-HHMMSS-<seq>.jsonl.partial`, with `seq` making the name
/// unique: free only if no variant of it (`.partial`, finished, temp) exists.
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
        let base = format!("records-{stamp}-{seq:04}");
        let taken = std::iter::once(PARTIAL).chain(FINISHED).any(|ext| {
            dir.join(format!("{base}{ext}")).exists()
                || dir.join(format!(".{base}{ext}.tmp")).exists()
        });
        if !taken {
            return Ok(dir.join(format!("{base}{PARTIAL}")));
        }
    }
    Err(io::Error::other("no free output file name"))
}

/// The sink's output files, in name (= creation) order: the `.partial` being
/// written and the finished ones (`.jsonl`, `.jsonl.gz`, `.jsonl.zst`).
pub fn output_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = file_name(p);
            name.starts_with("records-")
                && std::iter::once(PARTIAL)
                    .chain(FINISHED)
                    .any(|ext| name.ends_with(ext))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Temp files of an interrupted compression (`.records-….tmp`).
fn temp_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    Ok(fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let name = file_name(p);
            name.starts_with(".records-") && name.ends_with(".tmp")
        })
        .collect())
}

/// Reads an output file whatever its kind: `.gz` and `.zst` through their decoder.
pub fn open_output(path: &Path) -> io::Result<Box<dyn Read + Send>> {
    let file = BufReader::new(File::open(path)?);
    let name = file_name(path);
    Ok(if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else if name.ends_with(".zst") {
        Box::new(ruzstd::decoding::StreamingDecoder::new(file).map_err(io::Error::other)?)
    } else {
        Box::new(file)
    })
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
/// its claim. Every kind of output file is read: `.partial`, `.jsonl`, and the
/// compressed `.jsonl.gz` and `.jsonl.zst` through their decoder.
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
        let in_file = |e: io::Error| io::Error::new(e.kind(), format!("{}: {e}", path.display()));
        for line in BufReader::new(open_output(&path).map_err(in_file)?).split(b'\n') {
            let line = line.map_err(in_file)?;
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
    let started = Instant::now();
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
                metrics::histogram!(telemetry::SINK_BATCH_SECONDS, "sink" => "jsonl")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!(telemetry::SINK_RECORDS, "sink" => "jsonl").increment(records);
                metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "jsonl").set(1.0);
                break;
            }
            Err(e) => {
                metrics::counter!(telemetry::SINK_ERRORS, "sink" => "jsonl", "kind" => format!("{:?}", e.kind()))
                    .increment(1);
                // "Connected" for a file sink: the output dir takes writes.
                metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "jsonl").set(0.0);
                tracing::error!(dir = %sink.dir().display(), records, error = %e, retry_in_ms = backoff.as_millis() as u64,
                    "cannot write records to the output dir; intake is paused and the batch is retried. Free disk space or fix permissions");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
    (sink, buf)
}

/// The sinks beside the JSONL output, each optional. They receive the records
/// the main output keeps (not routed or dropped duplicates).
#[derive(Default)]
pub struct Remote {
    pub postgres: Option<postgres::PgSink>,
    pub nats: Option<nats::NatsSink>,
}

impl Remote {
    fn any(&self) -> bool {
        self.postgres.is_some() || self.nats.is_some()
    }
}

/// Batches items, writes them, and sends each committed batch's claims on `committed`.
/// A failed write is retried with backoff until it succeeds: nothing is dropped, and
/// upstream stages stop (bounded channels) while the sink cannot write. Duplicates
/// are kept, dropped or routed to `route` as `routing` says. An output file open for
/// `max_file_age` is finished on time, records arriving or not; when `rx` closes
/// (a clean stop), the current files are finished before this returns.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    mut sink: JsonlSink,
    mut route: Option<JsonlSink>,
    mut remote: Remote,
    routing: Routing,
    rx: async_channel::Receiver<Item>,
    committed: async_channel::Sender<Vec<Committed>>,
    failed: async_channel::Sender<Failed>,
) {
    let (batch_size, timeout) = (sink.cfg.batch_size.max(1), sink.cfg.batch_timeout);
    'batches: loop {
        let next = match age_deadline(&sink, route.as_ref()) {
            Some(at) => match tokio::time::timeout_at(at.into(), rx.recv()).await {
                Ok(next) => next,
                Err(_) => {
                    (sink, route) = finish_files(sink, route, None).await;
                    continue;
                }
            },
            None => rx.recv().await,
        };
        let Ok(first) = next else { break };
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
        // Every record the main output keeps goes to the remote sinks too,
        // replays included: the JSONL output may have them from before a crash
        // while a database or stream does not, and both ignore ids they have.
        let mut pg_rows: Vec<postgres::Row> = Vec::new();
        let mut nats_msgs: Vec<(String, Vec<u8>)> = Vec::new();
        let nats_max = remote.nats.as_ref().map_or(usize::MAX, |n| n.max_payload());
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
                    if remote.any() && action == Action::Keep {
                        record.pipeline.processed_at = processed_at.clone();
                        if let Ok(json) = serde_json::to_string(&record) {
                            if remote.postgres.is_some() {
                                pg_rows.push(postgres::Row::new(&record, &json));
                            }
                            if remote.nats.is_some() {
                                nats_msgs.push((record.id.clone(), json.into_bytes()));
                            }
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
                    // Either failure leaves nothing written: the record fails
                    // alone, with a reason, and its file goes to quarantine.
                    let refused = match serde_json::to_writer(&mut *out, &record) {
                        Err(e) => Some((
                            Reason::Unserializable,
                            format!("the record cannot be serialized: {e}"),
                        )),
                        // Checked before anything is written: a record no sink
                        // can take whole is not retried forever.
                        Ok(()) if action == Action::Keep && out.len() - at > nats_max => Some((
                            Reason::TooLarge,
                            format!("the record is {} bytes, more than the NATS server takes in one message ({nats_max} bytes); raise max_payload in the nats-server configuration or lower [intake] max_bytes", out.len() - at),
                        )),
                        Ok(()) => None,
                    };
                    if let Some((reason, message)) = refused {
                        out.truncate(at);
                        let error = StageError::new(Stage::Sink, reason, message);
                        let n = record.source.item.unwrap_or(pos + 1);
                        item.failures.push(ItemFailure::new(n, record.id, error));
                        continue;
                    }
                    if remote.any() && action == Action::Keep {
                        let json = &out[at..];
                        if remote.postgres.is_some() {
                            let text = std::str::from_utf8(json).unwrap_or_default();
                            pg_rows.push(postgres::Row::new(&record, text));
                        }
                        if remote.nats.is_some() {
                            nats_msgs.push((record.id.clone(), json.to_vec()));
                        }
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
                    break 'batches;
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
        if let Some(p) = remote.postgres.take() {
            remote.postgres = Some(postgres::write_durably(p, pg_rows).await);
        }
        if let Some(n) = remote.nats.take() {
            remote.nats = Some(nats::write_durably(n, nats_msgs).await);
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
            break;
        }
    }
    // A clean stop (SIGTERM, the end of `once`): no `.partial` is left behind.
    finish_files(sink, route, Some(Finish::Shutdown)).await;
}

/// The earliest age deadline of the main and route outputs' current files.
fn age_deadline(sink: &JsonlSink, route: Option<&JsonlSink>) -> Option<Instant> {
    let r = route.and_then(JsonlSink::age_deadline);
    match (sink.age_deadline(), r) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Finishes, off the async threads, the current files of `sink` and `route`:
/// those past their age, or all of them with `why`.
async fn finish_files(
    mut sink: JsonlSink,
    mut route: Option<JsonlSink>,
    why: Option<Finish>,
) -> (JsonlSink, Option<JsonlSink>) {
    tokio::task::spawn_blocking(move || {
        for s in std::iter::once(&mut sink).chain(route.as_mut()) {
            match why {
                Some(why) => {
                    let _ = s.finish(why);
                }
                None => s.finish_if_old(),
            }
        }
        (sink, route)
    })
    .await
    .expect("finishing an output file does not panic; a panic here is a bug to report")
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
            max_file_age: Duration::from_secs(3600),
            compression: Compression::None,
            fault_delay: Duration::ZERO,
            fault_fail_writes: 0,
        }
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    fn decoded(path: &Path) -> Vec<u8> {
        let mut out = Vec::new();
        open_output(path).unwrap().read_to_end(&mut out).unwrap();
        out
    }

    fn ids(list: &[&str]) -> HashSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_file_being_written_is_partial_and_a_full_one_is_renamed() {
        let t = tempfile::tempdir().unwrap();
        let mut c = cfg(t.path());
        c.max_file_bytes = 40;
        let mut s = JsonlSink::open(c).unwrap();
        let p = s.write_batch(b"{\"id\":\"a\"}\n").unwrap();
        assert!(file_name(&p).ends_with(".jsonl.partial"), "{p:?}");
        assert_eq!(names(t.path()), vec![file_name(&p).to_string()]);
        // Reaching max_file_bytes finishes the file at once: renamed, same name without .partial.
        let done = s
            .write_batch(b"{\"id\":\"b\",\"pad\":\"0123456789012345\"}\n")
            .unwrap();
        assert_eq!(
            file_name(&done),
            file_name(&p).strip_suffix(".partial").unwrap()
        );
        assert_eq!(names(t.path()), vec![file_name(&done).to_string()]);
        assert_eq!(
            fs::read(&done).unwrap(),
            b"{\"id\":\"a\"}\n{\"id\":\"b\",\"pad\":\"0123456789012345\"}\n"
        );
    }

    #[test]
    fn a_file_past_its_age_is_finished_and_the_next_batch_starts_a_new_one() {
        let t = tempfile::tempdir().unwrap();
        let mut c = cfg(t.path());
        c.max_file_age = Duration::from_millis(50);
        let mut s = JsonlSink::open(c).unwrap();
        let a = s.write_batch(b"{\"id\":\"a\"}\n").unwrap();
        assert!(s.age_deadline().is_some());
        s.finish_if_old();
        assert!(a.exists(), "finished before its age");
        std::thread::sleep(Duration::from_millis(60));
        let b = s.write_batch(b"{\"id\":\"b\"}\n").unwrap();
        assert_ne!(a, b);
        assert!(!a.exists());
        let files = output_files(t.path()).unwrap();
        assert_eq!(files.len(), 2, "{files:?}");
        assert!(files.iter().any(|f| file_name(f).ends_with(".jsonl")));
        // No age limit: no deadline.
        let mut c = cfg(t.path());
        c.max_file_age = Duration::ZERO;
        let mut s = JsonlSink::open(c).unwrap();
        s.write_batch(b"{\"id\":\"c\"}\n").unwrap();
        assert_eq!(s.age_deadline(), None);
    }

    #[test]
    fn sequence_numbers_skip_every_variant_of_a_name() {
        let t = tempfile::tempdir().unwrap();
        // `records-YYYYMMDD-HHMMSS-`: only names of the same second compete.
        let stamp = |p: &Path| file_name(p)[..24].to_string();
        for ext in [".jsonl.zst", ".jsonl.gz", ".jsonl"] {
            // Redone when the clock's second turns between the two names, which
            // would make the check pass without testing anything.
            loop {
                let p = new_file_name(t.path()).unwrap();
                let base = file_name(&p).strip_suffix(PARTIAL).unwrap().to_string();
                fs::write(t.path().join(format!("{base}{ext}")), b"").unwrap();
                let q = new_file_name(t.path()).unwrap();
                fs::remove_file(t.path().join(format!("{base}{ext}"))).unwrap();
                if stamp(&q) != stamp(&p) {
                    continue;
                }
                assert!(!file_name(&q).starts_with(&base), "{q:?} reuses {base}");
                break;
            }
        }
    }

    #[test]
    fn a_crash_left_partial_is_repaired_finished_and_its_ids_found() {
        for compression in [Compression::None, Compression::Gzip, Compression::Zstd] {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().join("records-20260101-000000-0003.jsonl.partial");
            fs::write(&p, b"{\"id\":\"a\"}\n{\"id\":\"m.1\"}\n{\"id\":\"b\",\"bo").unwrap();
            // An empty one (a crash right after it was created) is just removed.
            fs::write(
                t.path().join("records-20260101-000000-0004.jsonl.partial"),
                b"",
            )
            .unwrap();
            let mut c = cfg(t.path());
            c.compression = compression;
            let mut s = JsonlSink::open(c).unwrap();
            let done = t.path().join(format!(
                "records-20260101-000000-0003{}",
                compression.extension()
            ));
            assert_eq!(names(t.path()), vec![file_name(&done).to_string()]);
            assert_eq!(decoded(&done), b"{\"id\":\"a\"}\n{\"id\":\"m.1\"}\n");
            let found =
                committed_ids(t.path(), &ids(&["a", "b", "m"]), SystemTime::UNIX_EPOCH).unwrap();
            assert_eq!(found, ids(&["a", "m.1"]), "{compression:?}");
            // The new run starts a fresh file.
            let p2 = s.write_batch(b"{\"id\":\"c\"}\n").unwrap();
            assert_ne!(file_name(&p2), file_name(&p));
        }
    }

    #[test]
    fn compressed_outputs_decompress_to_exactly_the_lines_written() {
        let mut lines = Vec::new();
        for i in 0..3000 {
            lines.extend_from_slice(
                format!(
                    "{{\"id\":\"r{i}\",\"body\":\"line {i} of a long enough body, {}\"}}\n",
                    i * 7919
                )
                .as_bytes(),
            );
        }
        for compression in [Compression::Gzip, Compression::Zstd] {
            let t = tempfile::tempdir().unwrap();
            let mut c = cfg(t.path());
            c.compression = compression;
            let mut s = JsonlSink::open(c).unwrap();
            let mid = lines[..lines.len() / 2]
                .iter()
                .rposition(|&b| b == b'\n')
                .unwrap()
                + 1;
            s.write_batch(&lines[..mid]).unwrap();
            s.write_batch(&lines[mid..]).unwrap();
            let done = s.finish(Finish::Shutdown).unwrap().unwrap();
            assert!(
                file_name(&done).ends_with(compression.extension()),
                "{done:?}"
            );
            assert_eq!(names(t.path()), vec![file_name(&done).to_string()]);
            let size = fs::metadata(&done).unwrap().len();
            assert!(
                size * 4 < lines.len() as u64,
                "{compression:?}: {size} bytes"
            );
            assert_eq!(decoded(&done), lines, "{compression:?}");
            let found = committed_ids(
                t.path(),
                &ids(&["r0", "r1499", "r2999", "r3000"]),
                SystemTime::UNIX_EPOCH,
            )
            .unwrap();
            assert_eq!(found, ids(&["r0", "r1499", "r2999"]), "{compression:?}");
        }
    }

    #[test]
    fn an_interrupted_compression_is_done_again_at_open() {
        let t = tempfile::tempdir().unwrap();
        let content = b"{\"id\":\"a\"}\n{\"id\":\"b\"}\n";
        // The crash came while the temp file was written...
        fs::write(
            t.path().join("records-20260101-000000-0000.jsonl.partial"),
            content,
        )
        .unwrap();
        fs::write(
            t.path().join(".records-20260101-000000-0000.jsonl.zst.tmp"),
            b"\x28\xb5\x2f\xfd garbage",
        )
        .unwrap();
        // ...or after the rename, before the .partial was removed.
        fs::write(
            t.path().join("records-20260101-000000-0001.jsonl.partial"),
            content,
        )
        .unwrap();
        let gz = t.path().join("records-20260101-000000-0001.jsonl.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(content).unwrap();
        fs::write(&gz, enc.finish().unwrap()).unwrap();
        let mut c = cfg(t.path());
        c.compression = Compression::Zstd;
        JsonlSink::open(c).unwrap();
        assert_eq!(
            names(t.path()),
            vec![
                "records-20260101-000000-0000.jsonl.zst".to_string(),
                "records-20260101-000000-0001.jsonl.gz".to_string()
            ]
        );
        for f in output_files(t.path()).unwrap() {
            assert_eq!(decoded(&f), content, "{f:?}");
        }
    }

    #[test]
    fn files_rotated_by_size_are_compressed_in_the_background_and_all_finished_at_shutdown() {
        let t = tempfile::tempdir().unwrap();
        let mut c = cfg(t.path());
        c.compression = Compression::Zstd;
        c.max_file_bytes = 4096;
        let mut s = JsonlSink::open(c).unwrap();
        let mut all = Vec::new();
        for b in 0..40 {
            let mut batch = Vec::new();
            for i in 0..10 {
                batch.extend_from_slice(
                    format!(
                        "{{\"id\":\"r{b}-{i}\",\"pad\":\"{}\"}}\n",
                        "x".repeat(b * 3)
                    )
                    .as_bytes(),
                );
            }
            s.write_batch(&batch).unwrap();
            all.extend_from_slice(&batch);
        }
        s.finish_current("test").unwrap();
        let files = output_files(t.path()).unwrap();
        assert!(files.len() > 3, "{files:?}");
        assert!(
            files.iter().all(|f| file_name(f).ends_with(".jsonl.zst")),
            "{:?}",
            names(t.path())
        );
        let mut read = Vec::new();
        for f in &files {
            read.extend(decoded(f));
        }
        assert_eq!(read, all);
    }

    fn channels() -> (
        async_channel::Sender<Item>,
        async_channel::Receiver<Item>,
        async_channel::Sender<Vec<Committed>>,
        async_channel::Sender<Failed>,
    ) {
        let (tx, rx) = async_channel::bounded(1);
        let (done_tx, done_rx) = async_channel::bounded(1);
        let (fail_tx, fail_rx) = async_channel::bounded(1);
        std::mem::forget((done_rx, fail_rx));
        (tx, rx, done_tx, fail_tx)
    }

    #[tokio::test]
    async fn run_finishes_a_file_at_its_age_without_input_and_the_rest_at_shutdown() {
        let t = tempfile::tempdir().unwrap();
        let (main, routed) = (t.path().join("out"), t.path().join("route"));
        let mut c = cfg(&main);
        c.max_file_age = Duration::from_millis(200);
        let mut sink = JsonlSink::open(c).unwrap();
        let mut c = cfg(&routed);
        c.max_file_age = Duration::ZERO;
        c.compression = Compression::Gzip;
        let mut route = JsonlSink::open(c).unwrap();
        sink.write_batch(b"{\"id\":\"a\"}\n").unwrap();
        route.write_batch(b"{\"id\":\"r\"}\n").unwrap();
        let (tx, rx, done_tx, fail_tx) = channels();
        let task = tokio::spawn(run(
            sink,
            Some(route),
            Remote::default(),
            Routing::default(),
            rx,
            done_tx,
            fail_tx,
        ));
        tokio::time::sleep(Duration::from_millis(600)).await;
        let out = names(&main);
        assert!(
            out.len() == 1 && out[0].ends_with(".jsonl"),
            "not finished by age: {out:?}"
        );
        assert!(names(&routed)[0].ends_with(".jsonl.partial"));
        // The input closes: the route file, with no age limit, is finished too.
        drop(tx);
        task.await.unwrap();
        let r = names(&routed);
        assert!(r.len() == 1 && r[0].ends_with(".jsonl.gz"), "{r:?}");
        assert_eq!(decoded(&routed.join(&r[0])), b"{\"id\":\"r\"}\n");
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
