//! The record newsflow writes, and the items that carry it between stages.
//!
//! Every stage crate depends on this one and on nothing else of newsflow's, so
//! the contract between stages lives here: [`Record`] (the output, documented
//! field by field in `docs/record.md`), [`Claim`] (which dropped file an item
//! came from), [`Item`] (what flows on the channels), [`Failed`] and
//! [`StageError`] (what goes to quarantine, with a [`Reason`] code), and
//! [`telemetry`] (the metric names every stage shares).

pub mod dates;
pub mod store;
pub mod telemetry;
pub mod words;
pub mod workers;

use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::fmt;
use std::path::PathBuf;
use std::time::Instant;
use time::OffsetDateTime;

/// Version stamped into every record's `pipeline.version`.
pub const PIPELINE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// One clean output record. Field order is the JSON field order; `id` comes first
/// so that recovery can find ids by reading only the start of each line.
/// `Default` is an empty record, for tools and benches that fill in a body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub source: Source,
    pub title: Option<String>,
    pub byline: Option<String>,
    /// ISO 8601 date (`2022-01-20`) or date-time, as found in the input.
    pub published: Option<String>,
    /// Last modification date-time, where the page gives one.
    #[serde(default)]
    pub modified: Option<String>,
    /// Every author the input names (HTML JSON-LD lists them all; text gives the
    /// byline's name).
    #[serde(default)]
    pub authors: Vec<String>,
    /// Canonical URL of the article, where the input gives one.
    #[serde(default)]
    pub url: Option<String>,
    /// Publication name (`og:site_name`).
    #[serde(default)]
    pub site_name: Option<String>,
    /// The page's own summary (meta description, `og:description`).
    #[serde(default)]
    pub description: Option<String>,
    /// Lead image URL (`og:image`, JSON-LD `image`).
    #[serde(default)]
    pub image: Option<String>,
    /// Categories or tags the input gives (feed `<category>`, JSON `categories`/`tags`).
    #[serde(default)]
    pub categories: Vec<String>,
    /// ISO 639-1 code, or null when the body is too short or ambiguous to tell.
    pub language: Option<String>,
    pub language_confidence: Option<f64>,
    /// The normalizer's reading of the document's language (code, confidence),
    /// for the enricher; not part of the output.
    #[serde(skip)]
    pub language_hint: Option<(String, f64)>,
    /// Language of the title when it differs from the body's (a German article
    /// under an English headline); null when they agree or the title is too short.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title_language: Option<String>,
    /// Clean text; paragraphs separated by one blank line.
    pub body: String,
    /// Direct quotes in the body, with their speakers where the text names them.
    #[serde(default)]
    pub quotes: Vec<Quote>,
    /// Dates the body mentions, resolved to ISO 8601 dates.
    #[serde(default)]
    pub dates: Vec<DateMention>,
    /// The article's key phrases, best first.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// People, places and organizations the body names.
    #[serde(default)]
    pub entities: Entities,
    pub word_count: usize,
    pub reading_time_seconds: u64,
    pub boilerplate: Boilerplate,
    pub dedup: Dedup,
    pub pipeline: Pipeline,
}

/// A direct quote in a record's body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    pub text: String,
    /// Who said it, as the article names them (a surname widened to the fullest
    /// form the article uses); null when the text does not say.
    pub speaker: Option<String>,
    /// Character (Unicode scalar) offsets of the quote's text in `body`, end exclusive.
    pub start: usize,
    pub end: usize,
}

/// People, places and organizations of a record, most mentioned first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Entities {
    pub people: Vec<Entity>,
    pub places: Vec<Entity>,
    pub organizations: Vec<Entity>,
}

/// One person, place or organization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Canonical name: a person's most frequent full name in the article; a known
    /// place's or organization's name in the gazetteer (English).
    pub name: String,
    /// How many times the body names it, in any form.
    pub mentions: usize,
    /// The forms the body uses ("Blinken", "Antony Blinken"; "Genf").
    pub forms: Vec<String>,
    /// Gazetteer kind: country, city, region, continent; intl, party, company…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// ISO 3166-1 alpha-2 of a known place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// A date the body mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DateMention {
    /// The words as written ("on Thursday", "20. Januar 2022").
    pub text: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Character offsets of `text` in `body`, end exclusive.
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Base name of the dropped file (lossy UTF-8 if the name was not UTF-8).
    pub file_name: String,
    /// Path relative to the inbox, `/`-separated (equals `file_name` at the top level).
    pub path: String,
    pub bytes: u64,
    /// Hex SHA-256 of the file's bytes as dropped.
    pub sha256: String,
    /// Position of this record's item in a file that holds several (JSON array,
    /// JSON lines, RSS/Atom feed), from 1; null for a file of one item.
    #[serde(default)]
    pub item: Option<usize>,
    /// RFC 3339 time the file was claimed.
    pub received_at: String,
    /// Input format the normalizer recognised: `text`, `html`, `json`, `jsonl`,
    /// `rss` or `atom`, with `gzip+` in front when the file was gzip-compressed
    /// (`gzip+html`).
    pub format: String,
    /// Character encoding the bytes were decoded from (`UTF-8`, `windows-1252`, ...).
    pub encoding: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Boilerplate {
    pub removed_lines: usize,
    /// Ids of the rules that fired, each once, in first-fired order.
    pub rules: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DedupStatus {
    #[default]
    Unique,
    ExactDuplicate,
    NearDuplicate,
}

impl DedupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DedupStatus::Unique => "unique",
            DedupStatus::ExactDuplicate => "exact_duplicate",
            DedupStatus::NearDuplicate => "near_duplicate",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dedup {
    pub status: DedupStatus,
    /// The earliest record of the cluster this one belongs to (stable: it never
    /// changes once given).
    pub duplicate_of: Option<String>,
    /// 1.0 for exact duplicates; for near duplicates the estimated Jaccard
    /// similarity of their shingles, or the containment of the shorter in the
    /// longer when that is what matched (an excerpt); null for unique records.
    pub similarity: Option<f64>,
    /// Id of the cluster: the id of its earliest record (a unique record starts
    /// its own cluster).
    #[serde(default)]
    pub cluster_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Pipeline {
    pub version: String,
    pub processed_at: String,
}

/// A file the watcher has claimed: moved out of the inbox into its own claim
/// directory under the state dir. The claim id is the record id, so replaying a
/// claim after a crash yields the same id, and two drops never share one.
#[derive(Debug)]
pub struct Claim {
    /// UUIDv7, time-ordered; its timestamp is `received_at`.
    pub id: String,
    /// `<state>/claims/<id>/`, holding only the claimed file, for a claim whose
    /// path would not fit in one file name; None for the usual single-file claim.
    pub dir: Option<PathBuf>,
    /// The claimed file: `<state>/claims/<id>~<path in inbox>`, or the file
    /// under its original name inside `dir`.
    pub path: PathBuf,
    /// Original name, exact bytes.
    pub file_name: OsString,
    /// Path relative to the inbox, lossy UTF-8, `/`-separated.
    pub rel_path: String,
    pub received_at: OffsetDateTime,
    /// When this process picked the claim up; end-to-end latency is measured from here.
    pub started: Instant,
    /// For a claimed symlink that cannot be followed: why, judged where it was dropped
    /// (once moved, a relative link no longer points where it did).
    pub link_problem: Option<String>,
    /// The share of `[pipeline] max_inflight_bytes` this file holds while in flight;
    /// released when the claim is dropped (archived or quarantined).
    pub budget: Option<tokio::sync::OwnedSemaphorePermit>,
}

/// What flows on the channels between stages: a claim and the records being built
/// from it (one for most files; one per item for JSON arrays, JSON lines and
/// feeds), with the items that could not become records.
#[derive(Debug)]
pub struct Item {
    pub claim: Claim,
    pub records: Vec<Record>,
    /// Items of a multi-item file refused by a stage; the file goes to quarantine
    /// with their positions once the other records are committed.
    pub failures: Vec<ItemFailure>,
}

/// One item of a multi-item file that cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFailure {
    /// Position of the item in the file, from 1.
    pub item: usize,
    /// The record id the item would have had.
    pub id: String,
    pub stage: Stage,
    pub reason: Reason,
    pub message: String,
}

impl ItemFailure {
    pub fn new(item: usize, id: impl Into<String>, error: StageError) -> Self {
        ItemFailure {
            item,
            id: id.into(),
            stage: error.stage,
            reason: error.reason,
            message: error.message,
        }
    }
}

/// The record id of the `item`-th item (from 1) of a file claimed as `claim_id`
/// that holds `items` items: the claim id itself for a file of one item, else
/// `<claim id>.<item>`. Recovery relies on the claim id being the part before
/// the first dot.
pub fn record_id(claim_id: &str, item: usize, items: usize) -> String {
    if items <= 1 {
        claim_id.to_string()
    } else {
        format!("{claim_id}.{item}")
    }
}

/// Raw bytes of a claimed file, as the watcher hands it to the normalizer.
#[derive(Debug)]
pub struct RawItem {
    pub claim: Claim,
    pub bytes: Vec<u8>,
    pub sha256: String,
}

/// A claim whose records the sink has made durable; the file may now leave the
/// claim area: to the archive, or to quarantine when some of its items failed.
#[derive(Debug)]
pub struct Committed {
    pub claim: Claim,
    /// Ids of the records the file gave (including ones a replay found already written).
    pub ids: Vec<String>,
    /// How many of them are duplicates of earlier records.
    pub duplicates: usize,
    pub failures: Vec<ItemFailure>,
}

/// A claimed file that cannot become a record. It goes to quarantine.
#[derive(Debug)]
pub struct Failed {
    pub claim: Claim,
    pub error: StageError,
}

/// Which stage refused an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Watcher,
    Normalizer,
    Deduplicator,
    Enricher,
    Sink,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Watcher => "watcher",
            Stage::Normalizer => "normalizer",
            Stage::Deduplicator => "deduplicator",
            Stage::Enricher => "enricher",
            Stage::Sink => "sink",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Machine-readable quarantine reasons. The list is documented in `docs/record.md`;
/// add to it, never rename.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The file has no bytes.
    Empty,
    /// The file is larger than `[intake] max_bytes`.
    TooLarge,
    /// The bytes are not text (NUL bytes, control characters, a known binary signature).
    Binary,
    /// The bytes decode, but as a format newsflow does not read.
    UnsupportedFormat,
    /// After boilerplate removal nothing is left.
    NoContent,
    /// The file could not be read (permissions, I/O error).
    Unreadable,
    /// A symlink that leaves the inbox, dangles, or loops.
    BadSymlink,
    /// Something that is neither a regular file nor a directory (FIFO, socket, device).
    NotRegularFile,
    /// The deduplicator's index could not be read or written.
    IndexError,
    /// The record could not be serialized (a bug: please report it with the file).
    Unserializable,
    /// Compressed data that cannot be decompressed (truncated or damaged gzip).
    Corrupt,
    /// Structured input (JSON) that does not parse, or is not an item.
    Malformed,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::TooLarge => "too_large",
            Reason::Corrupt => "corrupt",
            Reason::Malformed => "malformed",
            Reason::Binary => "binary",
            Reason::UnsupportedFormat => "unsupported_format",
            Reason::NoContent => "no_content",
            Reason::Unreadable => "unreadable",
            Reason::BadSymlink => "bad_symlink",
            Reason::NotRegularFile => "not_regular_file",
            Reason::IndexError => "index_error",
            Reason::Unserializable => "unserializable",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a stage refused an item: a code for machines, a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageError {
    pub stage: Stage,
    pub reason: Reason,
    pub message: String,
}

impl StageError {
    pub fn new(stage: Stage, reason: Reason, message: impl Into<String>) -> Self {
        StageError {
            stage,
            reason,
            message: message.into(),
        }
    }
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.stage, self.reason, self.message)
    }
}

impl std::error::Error for StageError {}

/// The `<name>.error.json` written beside a quarantined file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuarantineNote {
    pub file_name: String,
    pub path: String,
    pub claim_id: String,
    pub stage: Stage,
    pub reason: Reason,
    pub message: String,
    pub received_at: String,
    pub quarantined_at: String,
    /// For a file of several items: the items that failed, by position (the
    /// first 1,000; `failed_items_total` counts them all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_items: Vec<ItemFailure>,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failed_items_total: usize,
    /// For a file of several items: the records its other items became.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub committed_records: Vec<String>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Most failed items a quarantine note lists.
pub const NOTE_MAX_ITEMS: usize = 1000;

/// RFC 3339 with second precision and `Z`, the one time format records use.
/// Lower-case hexadecimal of `bytes` (digests in file names, notes and keys).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_serializes_id_first_for_cheap_recovery_scans() {
        let r = Record {
            id: "0192".into(),
            source: Source {
                file_name: "a.txt".into(),
                path: "a.txt".into(),
                bytes: 1,
                sha256: "00".into(),
                item: None,
                received_at: "2026-01-01T00:00:00Z".into(),
                format: "text".into(),
                encoding: "UTF-8".into(),
            },
            title: None,
            byline: None,
            published: None,
            modified: None,
            authors: Vec::new(),
            url: None,
            site_name: None,
            description: None,
            image: None,
            categories: Vec::new(),
            language: None,
            language_confidence: None,
            language_hint: None,
            title_language: None,
            body: "x".into(),
            quotes: Vec::new(),
            dates: Vec::new(),
            keywords: Vec::new(),
            entities: Default::default(),
            word_count: 1,
            reading_time_seconds: 1,
            boilerplate: Boilerplate::default(),
            dedup: Dedup::default(),
            pipeline: Pipeline {
                version: PIPELINE_VERSION.into(),
                processed_at: "2026-01-01T00:00:00Z".into(),
            },
        };
        let line = serde_json::to_string(&r).unwrap();
        assert!(line.starts_with(r#"{"id":"0192","#), "{line}");
        assert!(line.contains(r#""status":"unique""#));
        let back: Record = serde_json::from_str(&line).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn rfc3339_is_utc_seconds() {
        let t = OffsetDateTime::from_unix_timestamp_nanos(1_642_636_800_123_456_789).unwrap();
        assert_eq!(rfc3339(t), "2022-01-20T00:00:00Z");
    }
}
