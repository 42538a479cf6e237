//! The intake folders and the claim protocol, synchronous and testable.
//!
//! A dropped file is *claimed* by one atomic `rename(2)` from the inbox to
//! `<state>/claims/<uuid>~<path in inbox>` (its `/` and `%` written as `%2F` and
//! `%25`), or, when that name would not fit in 255 bytes, into its own claim
//! directory `<state>/claims/<uuid>/<path in inbox>`. Whoever wins the rename owns
//! the file; a file is never read in the inbox. The uuid is the record id, so a
//! claim replayed after a crash produces the same id. After the record is committed
//! the file moves to the archive (or is deleted); a file that cannot become a
//! record moves to quarantine with `<name>.error.json` beside it.
//!
//! The single-file form exists for speed: a directory per claim cost a `mkdir`
//! and a recursive removal per file, ~10 % of the machine's CPU in daemon mode at
//! 1,000 files/s on ext4 (`perf record -a` over `xtask latency`).

use newsflow_record::{rfc3339, Claim, ItemFailure, QuarantineNote, Reason, Stage, StageError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use time::OffsetDateTime;
use uuid::Uuid;

/// What happens to a file once its record is committed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum After {
    #[default]
    Archive,
    Delete,
}

/// Everything the intake needs to know, taken from `[intake]` and `[state]`.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub inbox: PathBuf,
    pub archive: PathBuf,
    pub quarantine: PathBuf,
    pub state_dir: PathBuf,
    pub after: After,
    /// Glob patterns matched against each file or directory *name*; matches are left alone.
    pub ignore: Vec<String>,
    pub recursive: bool,
    pub max_bytes: u64,
    /// A file whose size or mtime changed within this period is not claimed yet.
    pub settle: Duration,
    /// Most bytes of file content held in memory at once, over all files in flight.
    pub max_inflight_bytes: u64,
}

/// An error the intake cannot recover from by itself (the folders are unusable).
#[derive(Debug)]
pub struct IntakeError(pub String);

impl std::fmt::Display for IntakeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for IntakeError {}

/// The intake folders, ready to claim, archive and quarantine.
#[derive(Debug)]
pub struct Intake {
    cfg: IntakeConfig,
    claims: PathBuf,
    ignore: globset::GlobSet,
}

/// Result of trying to claim a path in the inbox.
#[derive(Debug)]
pub enum ClaimOutcome {
    /// The file is ours now.
    Claimed(Claim),
    /// Another process took it, or its producer removed it, between listing and claiming.
    Gone,
    /// The path is ignored, or is a directory, or is still being written.
    Skipped,
}

const NAME_MAX: usize = 255;
const NOTE_SUFFIX: &str = ".error.json";

impl Intake {
    /// Creates the folders if needed and checks that claiming by rename will work.
    pub fn open(mut cfg: IntakeConfig) -> Result<Intake, IntakeError> {
        for (what, dir) in [
            ("[intake] inbox", cfg.inbox.clone()),
            ("[intake] archive", cfg.archive.clone()),
            ("[intake] quarantine", cfg.quarantine.clone()),
            ("claims directory", cfg.state_dir.join("claims")),
        ] {
            fs::create_dir_all(&dir).map_err(|e| {
                IntakeError(format!(
                    "cannot create {what} {}: {e}; create it or fix its permissions",
                    dir.display()
                ))
            })?;
        }
        let mut builder = globset::GlobSetBuilder::new();
        for pat in &cfg.ignore {
            let glob = globset::Glob::new(pat).map_err(|e| {
                IntakeError(format!(
                    "[intake] ignore: pattern {pat:?} is not a valid glob: {e}"
                ))
            })?;
            builder.add(glob);
        }
        let ignore = builder
            .build()
            .map_err(|e| IntakeError(format!("[intake] ignore: {e}")))?;
        // Absolute, resolved paths from here on: file-system events name files by
        // the watched path, and a relative or symlinked inbox must still match.
        for dir in [
            &mut cfg.inbox,
            &mut cfg.archive,
            &mut cfg.quarantine,
            &mut cfg.state_dir,
        ] {
            *dir = fs::canonicalize(&*dir)
                .map_err(|e| IntakeError(format!("cannot resolve {}: {e}", dir.display())))?;
        }
        let claims = cfg.state_dir.join("claims");
        remove_stale_temp_files(&cfg.quarantine);
        let intake = Intake {
            cfg,
            claims,
            ignore,
        };
        intake.check_same_filesystem()?;
        Ok(intake)
    }

    pub fn config(&self) -> &IntakeConfig {
        &self.cfg
    }

    /// Claims are renames, which only work within one filesystem: find out now
    /// rather than on the first file.
    fn check_same_filesystem(&self) -> Result<(), IntakeError> {
        let probe = self
            .cfg
            .inbox
            .join(format!(".newsflow-probe-{}", Uuid::now_v7()));
        let target = self.claims.join(probe.file_name().unwrap());
        fs::write(&probe, b"").map_err(|e| {
            IntakeError(format!(
                "cannot write in the inbox {}: {e}; newsflow needs write access to move files out of it",
                self.cfg.inbox.display()
            ))
        })?;
        let res = fs::rename(&probe, &target);
        let _ = fs::remove_file(&probe);
        let _ = fs::remove_file(&target);
        res.map_err(|e| {
            IntakeError(format!(
                "cannot move files from the inbox {} to the state dir {}: {e}; both must be on the same \
                 filesystem, because files are claimed by an atomic rename",
                self.cfg.inbox.display(),
                self.cfg.state_dir.display()
            ))
        })
    }

    /// Is this file or directory name one the intake leaves alone?
    pub fn is_ignored(&self, name: &OsStr) -> bool {
        self.ignore.is_match(Path::new(name))
    }

    /// Lists the inbox: files (and symlinks) not ignored, oldest first.
    pub fn scan(&self) -> Scan {
        let mut names = Vec::new();
        let mut found = Vec::new();
        self.walk(&self.cfg.inbox, &mut names, &mut found);
        let name = |(start, end): (usize, usize)| Path::new(OsStr::from_bytes(&names[start..end]));
        found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| name(a.1).cmp(name(b.1))));
        Scan {
            root: self.cfg.inbox.clone(),
            spans: found.into_iter().map(|(_, span)| span).collect(),
            names,
        }
    }

    fn walk(&self, dir: &Path, names: &mut Vec<u8>, out: &mut Vec<(SystemTime, (usize, usize))>) {
        let entries = match fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot list an inbox directory; its files wait until it is readable");
                return;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if self.is_ignored(&name) {
                continue;
            }
            let path = entry.path();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                if self.cfg.recursive {
                    self.walk(&path, names, out);
                }
                continue;
            }
            let Ok(rel) = path.strip_prefix(&self.cfg.inbox) else {
                continue;
            };
            let start = names.len();
            names.extend_from_slice(rel.as_os_str().as_bytes());
            out.push((
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                (start, names.len()),
            ));
        }
    }

    /// Has the file been still for the settle period? Judged by mtime, for files
    /// found by scanning; the watcher also tracks events.
    pub fn settled_by_mtime(&self, path: &Path) -> bool {
        match fs::symlink_metadata(path).and_then(|m| m.modified()) {
            Ok(t) => t
                .elapsed()
                .map(|age| age >= self.cfg.settle)
                .unwrap_or(true),
            Err(_) => true,
        }
    }

    /// The path of `path` relative to the inbox, or None if it is not inside it.
    fn relative<'a>(&self, path: &'a Path) -> Option<&'a Path> {
        let rel = path.strip_prefix(&self.cfg.inbox).ok()?;
        let normal = rel.components().all(|c| matches!(c, Component::Normal(_)));
        (normal && rel.components().next().is_some()).then_some(rel)
    }

    /// Claims one inbox path by moving it into a fresh claim directory.
    pub fn claim(&self, path: &Path) -> io::Result<ClaimOutcome> {
        let Some(rel) = self.relative(path) else {
            tracing::debug!(path = %path.display(), "not inside the inbox; left alone");
            return Ok(ClaimOutcome::Skipped);
        };
        if rel.iter().any(|c| self.is_ignored(c)) {
            return Ok(ClaimOutcome::Skipped);
        }
        let meta = match fs::symlink_metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ClaimOutcome::Gone),
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            return Ok(ClaimOutcome::Skipped);
        }
        let link = meta
            .file_type()
            .is_symlink()
            .then(|| self.judge_symlink(path));
        let id = Uuid::now_v7();
        let (dir, dest) = self.claim_place(&id, rel)?;
        match fs::rename(path, &dest) {
            Ok(()) => {}
            Err(e) => {
                if let Some(dir) = &dir {
                    let _ = fs::remove_dir_all(dir);
                }
                return if e.kind() == io::ErrorKind::NotFound {
                    Ok(ClaimOutcome::Gone)
                } else {
                    Err(e)
                };
            }
        }
        let mut link_problem = None;
        match link {
            Some(Ok(target)) => materialize(&target, &dest, &id),
            Some(Err(why)) => link_problem = Some(why),
            None => {}
        }
        metrics::counter!(newsflow_record::telemetry::FILES_CLAIMED).increment(1);
        let mut claim = self.claim_from(id, dir, dest, rel);
        claim.link_problem = link_problem;
        Ok(ClaimOutcome::Claimed(claim))
    }

    /// A claim made elsewhere (a scale-out intake) taken over by this process:
    /// `bytes` become the claimed file under `<state>/claims/<id>/<rel_path>`,
    /// so archive, quarantine and recovery work as for a local file. The id
    /// is kept: record ids derive from it, and a redelivered item must give the
    /// same ones. `rel_path` comes from another machine: `..`, absolute and
    /// empty components are dropped.
    pub fn adopt(&self, id: &str, rel_path: &str, bytes: &[u8]) -> io::Result<Claim> {
        let uuid = Uuid::parse_str(id).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("claim id {id:?}: {e}"))
        })?;
        let rel: PathBuf = rel_path
            .split('/')
            .filter(|c| !c.is_empty() && *c != "." && *c != "..")
            .collect();
        let rel = if rel.as_os_str().is_empty() {
            PathBuf::from("unnamed")
        } else {
            rel
        };
        let (dir, dest) = self.claim_place(&uuid, &rel)?;
        fs::write(&dest, bytes)?;
        Ok(self.claim_from(uuid, dir, dest, &rel))
    }

    /// Where the claim of `rel` lives: the single file `<claims>/<id>~<rel>` when
    /// that name fits, else `<claims>/<id>/<rel>` with its directories made now
    /// (returned as the claim directory, to be removed with the claim).
    fn claim_place(&self, id: &Uuid, rel: &Path) -> io::Result<(Option<PathBuf>, PathBuf)> {
        if let Some(name) = flat_name(id, rel) {
            return Ok((None, self.claims.join(name)));
        }
        let dir = self.claims.join(id.to_string());
        let dest = dir.join(rel);
        fs::create_dir_all(dest.parent().unwrap_or(&dir))?;
        Ok((Some(dir), dest))
    }

    /// Removes a claim's local copy without archiving it (a scale-out worker's
    /// items in flight at its last stop: the work queue redelivers them).
    pub fn discard(&self, claim: &Claim) -> io::Result<()> {
        match &claim.dir {
            Some(dir) => fs::remove_dir_all(dir).or_else(ignore_not_found),
            None => remove_if_exists(&claim.path),
        }
    }

    /// Where a symlink in the inbox leads: its resolved target if that is a regular
    /// file inside the inbox, else why newsflow will not follow it.
    fn judge_symlink(&self, path: &Path) -> Result<PathBuf, String> {
        match fs::canonicalize(path) {
            Err(e) if e.raw_os_error() == Some(ELOOP) => Err("it is part of a symlink loop".into()),
            Err(_) => Err("its target does not exist".into()),
            Ok(t) if !t.starts_with(&self.cfg.inbox) => {
                Err(format!("its target {} is outside the inbox", t.display()))
            }
            Ok(t) if !t.is_file() => {
                Err(format!("its target {} is not a regular file", t.display()))
            }
            Ok(t) => Ok(t),
        }
    }

    fn claim_from(&self, id: Uuid, dir: Option<PathBuf>, path: PathBuf, rel: &Path) -> Claim {
        let received_at = id
            .get_timestamp()
            .map(|ts| {
                let (s, n) = ts.to_unix();
                OffsetDateTime::from_unix_timestamp(s as i64)
                    .map(|t| t + Duration::from_nanos(n as u64))
                    .unwrap_or_else(|_| OffsetDateTime::now_utc())
            })
            .unwrap_or_else(OffsetDateTime::now_utc);
        Claim {
            id: id.to_string(),
            dir,
            file_name: rel.file_name().map(OsStr::to_os_string).unwrap_or_default(),
            path,
            rel_path: rel_string(rel),
            received_at,
            started: Instant::now(),
            link_problem: None,
            budget: None,
        }
    }

    /// Claims left by an earlier run that were neither committed nor quarantined,
    /// oldest first. Empty claim directories (a crash after the file moved on) and
    /// half-made copies of claimed symlinks are removed.
    pub fn pending_claims(&self) -> Vec<Claim> {
        let mut out = Vec::new();
        let Ok(entries) = fs::read_dir(&self.claims) else {
            return out;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let path = entry.path();
            if let Some((id, rel)) = parse_flat(&name) {
                out.push(self.claim_from(id, None, path, &rel));
                continue;
            }
            if is_copy_temp(&name) {
                let _ = fs::remove_file(&path);
                continue;
            }
            let Some(id) = name.to_str().and_then(|s| Uuid::parse_str(s).ok()) else {
                continue;
            };
            let dir = path;
            match find_single_file(&dir) {
                Some(path) => {
                    let rel = path.strip_prefix(&dir).unwrap_or(&path).to_path_buf();
                    out.push(self.claim_from(id, Some(dir), path, &rel));
                }
                None => {
                    let _ = fs::remove_dir_all(&dir);
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Reads a claimed file, refusing what is too large or not a regular file.
    pub fn read(&self, claim: &Claim) -> Result<(Vec<u8>, String), StageError> {
        let err = |reason, message: String| StageError::new(Stage::Watcher, reason, message);
        let lmeta = fs::symlink_metadata(&claim.path).map_err(|e| {
            err(
                Reason::Unreadable,
                format!("cannot stat the claimed file: {e}"),
            )
        })?;
        if lmeta.file_type().is_symlink() {
            let why = claim.link_problem.clone().unwrap_or_else(|| {
                // Resumed after a restart: judged from the claim area, as well as can be.
                match self.judge_symlink(&claim.path) {
                    Err(why) => why,
                    Ok(_) => "it was claimed as a link and its target could not be copied".into(),
                }
            });
            return Err(err(
                Reason::BadSymlink,
                format!("the file is a symbolic link that newsflow will not follow: {why}; drop the file itself instead"),
            ));
        }
        if !lmeta.is_file() {
            return Err(err(
                Reason::NotRegularFile,
                "the path is not a regular file (a FIFO, socket or device); only regular files are ingested".into(),
            ));
        }
        if lmeta.len() > self.cfg.max_bytes {
            return Err(err(
                Reason::TooLarge,
                format!(
                    "the file has {} bytes, more than [intake] max_bytes = {}; raise the limit or split the file",
                    lmeta.len(),
                    self.cfg.max_bytes
                ),
            ));
        }
        let mut bytes = Vec::with_capacity(lmeta.len() as usize);
        fs::File::open(&claim.path)
            .and_then(|f| f.take(self.cfg.max_bytes + 1).read_to_end(&mut bytes))
            .map_err(|e| {
                err(
                    Reason::Unreadable,
                    format!("cannot read the file: {e}; check its permissions (newsflow runs as its own user)"),
                )
            })?;
        if bytes.len() as u64 > self.cfg.max_bytes {
            return Err(err(
                Reason::TooLarge,
                format!(
                    "the file grew past [intake] max_bytes = {} while being read",
                    self.cfg.max_bytes
                ),
            ));
        }
        let sha = newsflow_record::hex(&Sha256::digest(&bytes));
        Ok((bytes, sha))
    }

    /// Moves a committed claim to the archive, or deletes it, and removes its claim directory.
    pub fn finish(&self, claim: &Claim) -> io::Result<Option<PathBuf>> {
        let dest = match self.cfg.after {
            After::Delete => {
                remove_if_exists(&claim.path)?;
                None
            }
            After::Archive => {
                let dest = place(&self.cfg.archive, Path::new(&claim.rel_os()), &claim.id)?;
                fs::rename(&claim.path, &dest)?;
                Some(dest)
            }
        };
        if let Some(dir) = &claim.dir {
            fs::remove_dir_all(dir).or_else(ignore_not_found)?;
        }
        Ok(dest)
    }

    /// Moves a claim to quarantine, with a machine-readable note beside it.
    pub fn quarantine(&self, claim: &Claim, error: &StageError) -> io::Result<PathBuf> {
        self.quarantine_items(claim, error, &[], &[])
    }

    /// [`Intake::quarantine`] for a file of several items: the note also lists
    /// the items that failed and the records the others became.
    pub fn quarantine_items(
        &self,
        claim: &Claim,
        error: &StageError,
        failed_items: &[ItemFailure],
        committed_records: &[String],
    ) -> io::Result<PathBuf> {
        let note = QuarantineNote {
            file_name: claim.file_name.to_string_lossy().into_owned(),
            path: claim.rel_path.clone(),
            claim_id: claim.id.clone(),
            stage: error.stage,
            reason: error.reason,
            message: error.message.clone(),
            received_at: rfc3339(claim.received_at),
            quarantined_at: rfc3339(OffsetDateTime::now_utc()),
            failed_items: failed_items
                .iter()
                .take(newsflow_record::NOTE_MAX_ITEMS)
                .cloned()
                .collect(),
            failed_items_total: failed_items.len(),
            committed_records: committed_records.to_vec(),
        };
        // The note lands first: a crash between the two steps replays the claim and
        // rewrites the same note, while a file in quarantine is never without one.
        let json = serde_json::to_vec_pretty(&note).map_err(io::Error::other)?;
        let dest = place_quarantined(
            &self.cfg.quarantine,
            Path::new(&claim.rel_os()),
            &claim.id,
            &json,
        )?;
        if claim.path.exists() || fs::symlink_metadata(&claim.path).is_ok() {
            fs::rename(&claim.path, &dest)?;
        }
        if let Some(dir) = &claim.dir {
            fs::remove_dir_all(dir).or_else(ignore_not_found)?;
        }
        metrics::counter!(newsflow_record::telemetry::FILES_QUARANTINED, "reason" => error.reason.as_str()).increment(1);
        Ok(dest)
    }

    /// Makes the archive, quarantine and claim moves of a batch durable.
    pub fn sync_dirs(&self) {
        for d in [&self.cfg.archive, &self.cfg.quarantine, &self.claims] {
            if let Ok(f) = fs::File::open(d) {
                let _ = f.sync_all();
            }
        }
    }

    pub fn claims_dir(&self) -> &Path {
        &self.claims
    }
}

trait RelOs {
    fn rel_os(&self) -> OsString;
}

impl RelOs for Claim {
    /// The exact relative path bytes, recovered from the claimed path.
    fn rel_os(&self) -> OsString {
        let rel = match &self.dir {
            Some(dir) => self
                .path
                .strip_prefix(dir)
                .ok()
                .map(|p| p.as_os_str().to_os_string()),
            None => self
                .path
                .file_name()
                .and_then(parse_flat)
                .map(|(_, rel)| rel.into_os_string()),
        };
        rel.unwrap_or_else(|| self.file_name.clone())
    }
}

/// ELOOP on Linux: too many levels of symbolic links.
const ELOOP: i32 = 40;

/// Replaces a claimed symlink by a copy of its target, so the claim stays
/// self-contained across restarts. On failure the link stays and reading it is
/// refused as `bad_symlink`.
fn materialize(target: &Path, claimed: &Path, id: &Uuid) {
    let tmp = claimed.with_file_name(copy_temp_name(id));
    if fs::copy(target, &tmp).is_ok() && fs::rename(&tmp, claimed).is_ok() {
        return;
    }
    let _ = fs::remove_file(&tmp);
}

/// Separates the claim id from the encoded inbox path in a single-file claim.
const FLAT_SEP: u8 = b'~';

/// `<id>~<rel>` with `%` and `/` escaped, or None when it exceeds a file name's
/// 255 bytes. Hand-written: two escapes, and no crate's encoding keeps every
/// other byte (non-UTF-8 names included) as it is.
fn flat_name(id: &Uuid, rel: &Path) -> Option<OsString> {
    let mut n = id.to_string().into_bytes();
    n.push(FLAT_SEP);
    for (i, c) in rel.iter().enumerate() {
        if i > 0 {
            n.extend_from_slice(b"%2F");
        }
        for &b in c.as_bytes() {
            match b {
                b'%' => n.extend_from_slice(b"%25"),
                _ => n.push(b),
            }
        }
    }
    (n.len() <= NAME_MAX).then(|| OsString::from_vec(n))
}

/// The claim id and inbox path of a single-file claim's name.
fn parse_flat(name: &OsStr) -> Option<(Uuid, PathBuf)> {
    let b = name.as_bytes();
    let (head, tail) = (b.get(..36)?, b.get(37..)?);
    if b[36] != FLAT_SEP || tail.is_empty() {
        return None;
    }
    let id = Uuid::parse_str(std::str::from_utf8(head).ok()?).ok()?;
    let mut rel = Vec::with_capacity(tail.len());
    let mut i = 0;
    while i < tail.len() {
        match tail.get(i..i + 3) {
            Some(b"%2F") => {
                rel.push(b'/');
                i += 3;
            }
            Some(b"%25") => {
                rel.push(b'%');
                i += 3;
            }
            _ => {
                rel.push(tail[i]);
                i += 1;
            }
        }
    }
    Some((id, PathBuf::from(OsString::from_vec(rel))))
}

/// Where a claimed symlink's target is copied before it replaces the link.
fn copy_temp_name(id: &Uuid) -> String {
    format!(".{id}.symlink-copy")
}

fn is_copy_temp(name: &OsStr) -> bool {
    let b = name.as_bytes();
    b.starts_with(b".") && b.ends_with(b".symlink-copy")
}

fn ignore_not_found(e: io::Error) -> io::Result<()> {
    if e.kind() == io::ErrorKind::NotFound {
        Ok(())
    } else {
        Err(e)
    }
}

fn remove_if_exists(p: &Path) -> io::Result<()> {
    fs::remove_file(p).or_else(ignore_not_found)
}

/// The one file under a claim directory, however deep (claims keep the inbox's subfolders).
fn find_single_file(dir: &Path) -> Option<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).ok()?.flatten() {
            let p = entry.path();
            match fs::symlink_metadata(&p) {
                Ok(m) if m.is_dir() => stack.push(p),
                Ok(_) => {
                    // The old fixed name, and the per-claim one.
                    if p.file_name()
                        .is_some_and(|n| n == ".newsflow-symlink-copy" || is_copy_temp(n))
                    {
                        let _ = fs::remove_file(&p);
                        continue;
                    }
                    return Some(p);
                }
                Err(_) => {}
            }
        }
    }
    None
}

/// Chooses a free destination for `rel` under `root`: the same relative path if it
/// is free, else the name with the claim id added. Names that would exceed the
/// filesystem's 255-byte limit are shortened.
fn place(root: &Path, rel: &Path, claim_id: &str) -> io::Result<PathBuf> {
    let parent = root.join(rel.parent().unwrap_or(Path::new("")));
    fs::create_dir_all(&parent)?;
    let name = rel.file_name().unwrap_or(OsStr::new("unnamed")).as_bytes();
    let plain = parent.join(OsStr::from_bytes(name));
    if name.len() <= NAME_MAX && fs::symlink_metadata(&plain).is_err() {
        return Ok(plain);
    }
    Ok(suffixed(&parent, name, claim_id, 0))
}

/// `<name>.<claim id>` under `parent`, the name shortened to fit 255 bytes with
/// `reserve` bytes of suffix.
fn suffixed(parent: &Path, name: &[u8], claim_id: &str, reserve: usize) -> PathBuf {
    let room = NAME_MAX - reserve - claim_id.len() - 1;
    let mut cut = name.len().min(room);
    // Keep the cut on a UTF-8 boundary when the name is UTF-8.
    if let Ok(s) = std::str::from_utf8(name) {
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
    }
    let mut n = name[..cut].to_vec();
    n.push(b'.');
    n.extend_from_slice(claim_id.as_bytes());
    parent.join(OsString::from_vec(n))
}

/// How old a temp file in the quarantine folder must be to count as left behind.
const STALE_TEMP_AGE: Duration = Duration::from_secs(600);

fn note_path(dest: &Path) -> PathBuf {
    let mut name = dest.file_name().unwrap_or_default().to_os_string();
    name.push(NOTE_SUFFIX);
    dest.with_file_name(name)
}

/// Writes a quarantine note and returns where its file goes. The plain name is
/// taken by hard-linking the finished note into place, which fails if a note is
/// there: scale-out workers sharing one quarantine folder never take the same
/// name, and a claim quarantined again (a work item redelivered after a kill, a
/// replay after a crash) finds its own note and reuses that place instead of
/// leaving a second copy. Other claims' files go beside, under the claim id.
fn place_quarantined(root: &Path, rel: &Path, claim_id: &str, note: &[u8]) -> io::Result<PathBuf> {
    let parent = root.join(rel.parent().unwrap_or(Path::new("")));
    fs::create_dir_all(&parent)?;
    let name = rel.file_name().unwrap_or(OsStr::new("unnamed"));
    let tmp = write_temp(&parent, note)?;
    let placed = (|| {
        if name.len() + NOTE_SUFFIX.len() <= NAME_MAX {
            let plain = parent.join(name);
            let plain_note = note_path(&plain);
            match fs::hard_link(&tmp, &plain_note) {
                Ok(()) if fs::symlink_metadata(&plain).is_err() => return Ok(plain),
                // A file without a note is not ours to replace.
                Ok(()) => fs::remove_file(&plain_note)?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    if note_claim_id(&plain_note).as_deref() == Some(claim_id) {
                        fs::rename(&tmp, &plain_note)?;
                        return Ok(plain);
                    }
                }
                // No hard links here (some network or FUSE file systems): the
                // plain name when it is free, as one process alone can do safely.
                Err(_)
                    if fs::symlink_metadata(&plain_note).is_err()
                        && fs::symlink_metadata(&plain).is_err() =>
                {
                    fs::rename(&tmp, &plain_note)?;
                    return Ok(plain);
                }
                Err(_) => {}
            }
        }
        let dest = suffixed(&parent, name.as_bytes(), claim_id, NOTE_SUFFIX.len());
        fs::rename(&tmp, note_path(&dest))?;
        Ok(dest)
    })();
    if fs::symlink_metadata(&tmp).is_ok() {
        let _ = fs::remove_file(&tmp);
    }
    placed
}

/// The claim id a quarantine note names, if it can be read.
fn note_claim_id(note: &Path) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(&fs::read(note).ok()?).ok()?;
    v.get("claim_id")?.as_str().map(str::to_owned)
}

fn rel_string(rel: &Path) -> String {
    rel.iter()
        .map(|c| c.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Removes temp files [`write_temp`] left behind when the process died mid-write.
/// Only old ones: scale-out workers may share the quarantine folder, and another
/// worker's temp file of a moment ago is a note being written.
fn remove_stale_temp_files(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if path.is_dir() {
            remove_stale_temp_files(&path);
        } else if let Some(id) = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp")) {
            let Ok(id) = Uuid::parse_str(id) else {
                continue;
            };
            let written = id.get_timestamp().map(|t| {
                let (secs, nanos) = t.to_unix();
                SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
            });
            let stale = written.is_none_or(|w| {
                SystemTime::now()
                    .duration_since(w)
                    .is_ok_and(|age| age > STALE_TEMP_AGE)
            });
            if stale {
                let _ = fs::remove_file(&path);
            }
        }
    }
}

/// `bytes` in a new hidden `.<uuid v7>.tmp` file in `dir`, synced; the name
/// [`remove_stale_temp_files`] recognises (and dates) after a crash.
fn write_temp(dir: &Path, bytes: &[u8]) -> io::Result<PathBuf> {
    let tmp = dir.join(format!(".{}.tmp", Uuid::now_v7()));
    let mut f = fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(tmp)
}

/// The files one scan of the inbox found, oldest first. Held as paths relative
/// to the inbox in one buffer: a `once` run holds its scan to the end, and a
/// million absolute `PathBuf`s come to roughly 120 MB (an estimate: ~100 bytes of
/// path and allocation each), relative names in one buffer to a fraction.
pub struct Scan {
    root: PathBuf,
    names: Vec<u8>,
    spans: Vec<(usize, usize)>,
}

impl Scan {
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn path(&self, (start, end): (usize, usize)) -> PathBuf {
        self.root.join(OsStr::from_bytes(&self.names[start..end]))
    }
}

impl IntoIterator for Scan {
    type Item = PathBuf;
    type IntoIter = ScanIter;
    fn into_iter(self) -> ScanIter {
        ScanIter { scan: self, at: 0 }
    }
}

/// [`Scan`]'s paths by value, oldest first.
pub struct ScanIter {
    scan: Scan,
    at: usize,
}

impl Iterator for ScanIter {
    type Item = PathBuf;
    fn next(&mut self) -> Option<PathBuf> {
        let span = *self.scan.spans.get(self.at)?;
        self.at += 1;
        Some(self.scan.path(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intake(root: &Path) -> Intake {
        intake_quarantining_to(root, &root.join("quarantine"))
    }

    fn intake_quarantining_to(root: &Path, quarantine: &Path) -> Intake {
        Intake::open(IntakeConfig {
            inbox: root.join("inbox"),
            archive: root.join("archive"),
            quarantine: quarantine.to_path_buf(),
            state_dir: root.join("state"),
            after: After::Archive,
            ignore: vec![
                ".*".into(),
                "*.tmp".into(),
                "*.part".into(),
                "*.crdownload".into(),
            ],
            recursive: true,
            max_bytes: 100,
            settle: Duration::ZERO,
            max_inflight_bytes: 1000,
        })
        .unwrap()
    }

    fn claimed(o: ClaimOutcome) -> Claim {
        match o {
            ClaimOutcome::Claimed(c) => c,
            other => panic!("not claimed: {other:?}"),
        }
    }

    #[test]
    fn claim_read_archive_round_trip() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        fs::create_dir_all(t.path().join("inbox/sub")).unwrap();
        fs::write(t.path().join("inbox/sub/a.txt"), b"hello").unwrap();
        fs::write(t.path().join("inbox/b.part"), b"partial").unwrap();
        fs::write(t.path().join("inbox/.hidden"), b"x").unwrap();
        let found: Vec<PathBuf> = i.scan().into_iter().collect();
        assert_eq!(found, vec![t.path().join("inbox/sub/a.txt")]);
        let c = claimed(i.claim(&found[0]).unwrap());
        assert_eq!(c.rel_path, "sub/a.txt");
        assert!(!found[0].exists(), "claimed file left in the inbox");
        let (bytes, sha) = i.read(&c).unwrap();
        assert_eq!(bytes, b"hello");
        assert_eq!(
            sha,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        // A restart before the commit finds the claim again, with the same id.
        let pending = i.pending_claims();
        assert_eq!(pending.len(), 1);
        assert_eq!(
            (pending[0].id.as_str(), pending[0].rel_path.as_str()),
            (c.id.as_str(), "sub/a.txt")
        );
        let dest = i.finish(&c).unwrap().unwrap();
        assert_eq!(
            dest,
            t.path().canonicalize().unwrap().join("archive/sub/a.txt")
        );
        assert!(i.pending_claims().is_empty());
        // The same name again lands beside it, not over it.
        fs::write(t.path().join("inbox/sub/a.txt"), b"again").unwrap();
        let c2 = claimed(i.claim(&t.path().join("inbox/sub/a.txt")).unwrap());
        let dest2 = i.finish(&c2).unwrap().unwrap();
        assert_ne!(dest, dest2);
        assert_eq!(fs::read(dest).unwrap(), b"hello");
    }

    #[test]
    fn quarantine_writes_a_note_beside_the_file() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        fs::write(t.path().join("inbox/big.txt"), vec![b'a'; 101]).unwrap();
        let c = claimed(i.claim(&t.path().join("inbox/big.txt")).unwrap());
        let e = i.read(&c).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge);
        let dest = i.quarantine(&c, &e).unwrap();
        assert_eq!(
            dest,
            t.path().canonicalize().unwrap().join("quarantine/big.txt")
        );
        let note: serde_json::Value = serde_json::from_slice(
            &fs::read(t.path().join("quarantine/big.txt.error.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(note["reason"], "too_large");
        assert_eq!(note["stage"], "watcher");
        assert_eq!(note["claim_id"], c.id.as_str());
        assert!(i.pending_claims().is_empty());
    }

    /// A scale-out worker killed after quarantining a file but before acking its
    /// work item gets the item again (or another worker sharing the folder does):
    /// the second quarantine must land on the first, not beside it.
    #[test]
    fn quarantining_one_claim_twice_leaves_one_copy_and_one_note() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path();
        let worker =
            |name: &str| intake_quarantining_to(&root.join(name), &root.join("quarantine"));
        let (a, b) = (worker("a"), worker("b"));
        let id = Uuid::now_v7().to_string();
        let err = StageError::new(Stage::Normalizer, Reason::Empty, "empty");
        let first = a.adopt(&id, "sub/empty.txt", b"").unwrap();
        let dest = a.quarantine(&first, &err).unwrap();
        // Redelivered to the same worker, and to the other one.
        let again = a.adopt(&id, "sub/empty.txt", b"").unwrap();
        assert_eq!(a.quarantine(&again, &err).unwrap(), dest);
        let elsewhere = b.adopt(&id, "sub/empty.txt", b"").unwrap();
        assert_eq!(b.quarantine(&elsewhere, &err).unwrap(), dest);
        // Another file of the same name goes beside it, under its own claim id.
        let other_id = Uuid::now_v7().to_string();
        let other = b.adopt(&other_id, "sub/empty.txt", b"").unwrap();
        let beside = b.quarantine(&other, &err).unwrap();
        assert_ne!(beside, dest);
        assert!(beside.to_string_lossy().ends_with(&other_id));
        let mut names: Vec<String> = fs::read_dir(root.join("quarantine/sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "empty.txt".to_string(),
                format!("empty.txt.{other_id}"),
                format!("empty.txt.{other_id}.error.json"),
                "empty.txt.error.json".to_string(),
            ]
        );
        let note: serde_json::Value = serde_json::from_slice(
            &fs::read(root.join("quarantine/sub/empty.txt.error.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(note["claim_id"], id.as_str());
        assert!(a.pending_claims().is_empty() && b.pending_claims().is_empty());
    }

    /// A file a person put in quarantine by hand (no note beside it) is never
    /// replaced by a quarantined file of the same name.
    #[test]
    fn quarantine_does_not_replace_a_file_without_a_note() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        fs::write(t.path().join("quarantine/x.txt"), b"mine").unwrap();
        let c = i
            .adopt(&Uuid::now_v7().to_string(), "x.txt", b"theirs")
            .unwrap();
        let err = StageError::new(Stage::Normalizer, Reason::Empty, "empty");
        let dest = i.quarantine(&c, &err).unwrap();
        assert_ne!(dest.file_name().unwrap(), "x.txt");
        assert_eq!(
            fs::read(t.path().join("quarantine/x.txt")).unwrap(),
            b"mine"
        );
        assert!(!t.path().join("quarantine/x.txt.error.json").exists());
        assert_eq!(fs::read(&dest).unwrap(), b"theirs");
    }

    #[test]
    fn long_and_non_utf8_names_survive() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        let long = "n".repeat(251) + ".txt";
        let odd = OsString::from_vec(b"caf\xe9 \n x.txt".to_vec());
        for name in [OsString::from(long), odd] {
            let p = t.path().join("inbox").join(&name);
            fs::write(&p, b"x").unwrap();
            let c = claimed(i.claim(&p).unwrap());
            assert_eq!(c.file_name, name);
            let e = StageError::new(Stage::Normalizer, Reason::NoContent, "test");
            let q = i.quarantine(&c, &e).unwrap();
            assert!(q.exists());
            assert!(q.file_name().unwrap().len() <= NAME_MAX);
        }
    }

    #[test]
    fn claims_keep_exact_paths_in_both_forms_across_a_restart() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        let names: Vec<OsString> = vec![
            "100%2F pure.txt".into(),
            "a~b%25c%.txt".into(),
            "sub/deeper/x.html".into(),
            OsString::from_vec(b"sub/caf\xe9.txt".to_vec()),
            // Too long for `<id>~<path>` in one name: the directory form.
            format!("sub/{}.txt", "n".repeat(230)).into(),
        ];
        let mut ids = Vec::new();
        for (n, rel) in names.iter().enumerate() {
            let p = t.path().join("inbox").join(rel);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, n.to_string()).unwrap();
            let c = claimed(i.claim(&p).unwrap());
            assert_eq!(c.dir.is_some(), rel.len() > 200, "{rel:?}");
            ids.push(c.id);
        }
        let dirs = fs::read_dir(i.claims_dir())
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().is_dir())
            .count();
        assert_eq!(dirs, 1, "one directory, for the long name only");
        // A restart finds every claim with its id and path, and archives each
        // under the exact path it was dropped at.
        let mut pending = i.pending_claims();
        pending.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        assert_eq!(pending.len(), names.len());
        for (n, (c, rel)) in pending.iter().zip(&names).enumerate() {
            assert_eq!(c.rel_path, rel.to_string_lossy());
            assert_eq!(c.file_name, Path::new(rel).file_name().unwrap());
            assert_eq!(i.read(c).unwrap().0, n.to_string().as_bytes());
            let dest = i.finish(c).unwrap().unwrap();
            assert_eq!(
                dest,
                t.path().canonicalize().unwrap().join("archive").join(rel)
            );
        }
        assert!(
            fs::read_dir(i.claims_dir()).unwrap().next().is_none(),
            "claims left behind"
        );
    }

    #[test]
    fn symlinks_inside_are_followed_outside_refused() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        fs::write(t.path().join("inbox/real.txt"), b"inside").unwrap();
        fs::write(t.path().join("outside.txt"), b"secret").unwrap();
        std::os::unix::fs::symlink("real.txt", t.path().join("inbox/in.txt")).unwrap();
        std::os::unix::fs::symlink(t.path().join("outside.txt"), t.path().join("inbox/out.txt"))
            .unwrap();
        std::os::unix::fs::symlink("loop.txt", t.path().join("inbox/loop.txt")).unwrap();
        let c = claimed(i.claim(&t.path().join("inbox/in.txt")).unwrap());
        assert_eq!(i.read(&c).unwrap().0, b"inside");
        let c = claimed(i.claim(&t.path().join("inbox/out.txt")).unwrap());
        assert_eq!(i.read(&c).unwrap_err().reason, Reason::BadSymlink);
        let c = claimed(i.claim(&t.path().join("inbox/loop.txt")).unwrap());
        let e = i.read(&c).unwrap_err();
        assert_eq!(e.reason, Reason::BadSymlink);
        assert!(e.message.contains("loop"), "{}", e.message);
    }

    #[test]
    fn vanished_files_are_gone_not_errors() {
        let t = tempfile::tempdir().unwrap();
        let i = intake(t.path());
        assert!(matches!(
            i.claim(&t.path().join("inbox/none.txt")).unwrap(),
            ClaimOutcome::Gone
        ));
        assert!(
            fs::read_dir(i.claims_dir()).unwrap().next().is_none(),
            "claim dir left behind"
        );
    }
}
