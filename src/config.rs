//! Configuration: TOML, documented field by field in `config/newsflow.toml`.
//!
//! Sources, later ones winning: built-in defaults, the config file, then
//! environment variables `NEWSFLOW_<SECTION>_<KEY>` (`NEWSFLOW_INTAKE_INBOX`,
//! `NEWSFLOW_SINK_JSONL_DIR`). Every error names the field and the reason.

use newsflow_watcher::intake::After;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file used when `--config` is not given, if it exists.
pub const DEFAULT_PATH: &str = "config/newsflow.toml";
const ENV_PREFIX: &str = "NEWSFLOW_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub intake: IntakeSection,
    pub state: StateSection,
    pub pipeline: PipelineSection,
    pub normalizer: NormalizerSection,
    pub dedup: DedupSection,
    pub enricher: EnricherSection,
    pub sink: SinkSection,
    pub scaleout: ScaleoutSection,
    pub metrics: MetricsSection,
    pub log: LogSection,
    pub daemon: DaemonSection,
    pub faults: FaultsSection,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IntakeSection {
    pub inbox: PathBuf,
    pub archive: PathBuf,
    pub quarantine: PathBuf,
    pub after: After,
    pub settle_ms: u64,
    pub max_bytes: u64,
    pub max_decompressed_bytes: u64,
    pub ignore: Vec<String>,
    pub recursive: bool,
    pub rescan_secs: u64,
}

impl Default for IntakeSection {
    fn default() -> Self {
        IntakeSection {
            inbox: "var/inbox".into(),
            archive: "var/archive".into(),
            quarantine: "var/quarantine".into(),
            after: After::Archive,
            settle_ms: 500,
            max_bytes: 16 * 1024 * 1024,
            max_decompressed_bytes: 64 * 1024 * 1024,
            ignore: [".*", "*.tmp", "*.part", "*.crdownload", "*.swp", "*~"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            recursive: true,
            rescan_secs: 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StateSection {
    pub dir: PathBuf,
}

impl Default for StateSection {
    fn default() -> Self {
        StateSection {
            dir: "var/state".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PipelineSection {
    pub channel_capacity: usize,
    pub normalizer_workers: usize,
    pub enricher_workers: usize,
    pub max_inflight_bytes: u64,
}

impl Default for PipelineSection {
    fn default() -> Self {
        PipelineSection {
            channel_capacity: 64,
            normalizer_workers: 0,
            enricher_workers: 0,
            max_inflight_bytes: 64 * 1024 * 1024,
        }
    }
}

/// Fault injection for testing delivery guarantees. Leave at the defaults in production.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct FaultsSection {
    pub sink_delay_ms: u64,
    pub sink_fail_writes: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NormalizerSection {
    /// Empty: the packs built into the binary.
    pub rules_dir: PathBuf,
    /// The learned layer: short lines a source repeats in many documents.
    pub learn: bool,
    pub learn_min_documents: usize,
    pub learn_max_words: usize,
    pub learn_capacity: u64,
    /// "subfolder" or "prefix" (file name up to `source_separator`).
    pub source: SourceMode,
    pub source_separator: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceMode {
    Subfolder,
    Prefix,
}

impl Default for NormalizerSection {
    fn default() -> Self {
        NormalizerSection {
            rules_dir: PathBuf::new(),
            learn: true,
            learn_min_documents: 3,
            learn_max_words: 20,
            learn_capacity: 1_000_000,
            source: SourceMode::Subfolder,
            source_separator: "_".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupSection {
    pub exact_action: DupAction,
    pub near_action: DupAction,
    pub route_dir: PathBuf,
    pub near: bool,
    pub threshold: f64,
    pub containment: f64,
    pub shingle_words: usize,
    pub shingle_chars: usize,
    pub permutations: usize,
    pub lsh_threshold: f64,
    pub window_days: u64,
    pub max_entries: u64,
}

impl Default for DedupSection {
    fn default() -> Self {
        let d = newsflow_deduplicator::near::NearConfig::default();
        DedupSection {
            exact_action: DupAction::Keep,
            near_action: DupAction::Keep,
            route_dir: PathBuf::new(),
            near: true,
            threshold: d.threshold,
            containment: d.containment,
            shingle_words: d.shingle_words,
            shingle_chars: d.shingle_chars,
            permutations: d.permutations,
            lsh_threshold: d.lsh_threshold,
            window_days: d.window_secs / 86_400,
            max_entries: d.max_entries,
        }
    }
}

/// What happens to a duplicate record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DupAction {
    Keep,
    Drop,
    Route,
}

impl From<DupAction> for newsflow_sink::Action {
    fn from(a: DupAction) -> Self {
        match a {
            DupAction::Keep => newsflow_sink::Action::Keep,
            DupAction::Drop => newsflow_sink::Action::Drop,
            DupAction::Route => newsflow_sink::Action::Route,
        }
    }
}

impl DedupSection {
    /// True when some duplicates go to `route_dir`.
    pub fn routes(&self) -> bool {
        self.exact_action == DupAction::Route || self.near_action == DupAction::Route
    }

    /// The deduplicator's settings.
    pub fn dedup_config(&self) -> newsflow_deduplicator::near::NearConfig {
        newsflow_deduplicator::near::NearConfig {
            near: self.near,
            shingle_words: self.shingle_words,
            shingle_chars: self.shingle_chars,
            permutations: self.permutations,
            threshold: self.threshold,
            containment: self.containment,
            lsh_threshold: self.lsh_threshold,
            window_secs: self.window_days.saturating_mul(86_400),
            max_entries: self.max_entries,
            ..newsflow_deduplicator::near::NearConfig::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnricherSection {
    pub words_per_minute: u32,
    pub quotes: bool,
    pub dates: bool,
    pub keywords: usize,
    pub entities: bool,
    /// Folder with places.tsv, organizations.tsv and given-names.txt; unset: the
    /// gazetteer compiled into the binary.
    pub gazetteer_dir: Option<PathBuf>,
}

impl Default for EnricherSection {
    fn default() -> Self {
        EnricherSection {
            words_per_minute: 230,
            quotes: true,
            dates: true,
            keywords: 10,
            entities: true,
            gazetteer_dir: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct SinkSection {
    pub jsonl: JsonlSection,
    pub postgres: PostgresSection,
    pub nats: NatsSection,
}

/// `[scaleout]`: the JetStream work queue and shared dedup index used by
/// `newsflow run --role intake|worker`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScaleoutSection {
    pub url: String,
    pub work_stream: String,
    pub work_subject: String,
    pub consumer: String,
    pub dedup_bucket: String,
    pub ack_wait_secs: u64,
    pub max_ack_pending: i64,
    pub fetch_batch: usize,
    pub max_message_bytes: u64,
    pub duplicate_window_secs: u64,
    pub connect_timeout_secs: u64,
}

impl Default for ScaleoutSection {
    fn default() -> Self {
        ScaleoutSection {
            url: "nats://127.0.0.1:4222".into(),
            work_stream: "NEWSFLOW_WORK".into(),
            work_subject: "newsflow.work".into(),
            consumer: "newsflow-workers".into(),
            dedup_bucket: "newsflow_dedup".into(),
            ack_wait_secs: 30,
            max_ack_pending: 1000,
            fetch_batch: 32,
            max_message_bytes: 512 * 1024,
            duplicate_window_secs: 600,
            connect_timeout_secs: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NatsSection {
    /// Server URL(s); empty: no NATS sink.
    pub url: String,
    pub stream: String,
    pub subject: String,
    pub retention: NatsRetention,
    pub max_age_secs: u64,
    pub max_bytes: u64,
    pub duplicate_window_secs: u64,
    pub batch_size: usize,
    pub connect_timeout_secs: u64,
}

impl Default for NatsSection {
    fn default() -> Self {
        NatsSection {
            url: String::new(),
            stream: "NEWS_RECORDS".into(),
            subject: "news.records".into(),
            retention: NatsRetention::Limits,
            max_age_secs: 0,
            max_bytes: 0,
            duplicate_window_secs: 600,
            batch_size: 1000,
            connect_timeout_secs: 10,
        }
    }
}

impl NatsSection {
    pub fn sink_config(&self) -> newsflow_sink::nats::NatsConfig {
        newsflow_sink::nats::NatsConfig {
            url: self.url.clone(),
            stream: self.stream.clone(),
            subject: self.subject.clone(),
            retention: match self.retention {
                NatsRetention::Limits => newsflow_sink::nats::Retention::Limits,
                NatsRetention::Interest => newsflow_sink::nats::Retention::Interest,
                NatsRetention::Workqueue => newsflow_sink::nats::Retention::WorkQueue,
            },
            max_age: Duration::from_secs(self.max_age_secs),
            max_bytes: self.max_bytes,
            duplicate_window: Duration::from_secs(self.duplicate_window_secs),
            batch_size: self.batch_size,
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
        }
    }
}

/// `[sink.nats] retention`, for a stream the sink creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NatsRetention {
    Limits,
    Interest,
    Workqueue,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PostgresSection {
    /// Connection string or URL; empty: no PostgreSQL sink.
    pub url: String,
    pub table: String,
    pub batch_size: usize,
    pub connect_timeout_secs: u64,
}

impl Default for PostgresSection {
    fn default() -> Self {
        PostgresSection {
            url: String::new(),
            table: "news_records".into(),
            batch_size: 500,
            connect_timeout_secs: 10,
        }
    }
}

impl PostgresSection {
    pub fn sink_config(&self) -> newsflow_sink::postgres::PgConfig {
        newsflow_sink::postgres::PgConfig {
            url: self.url.clone(),
            table: self.table.clone(),
            batch_size: self.batch_size,
            connect_timeout: Duration::from_secs(self.connect_timeout_secs),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsonlSection {
    pub dir: PathBuf,
    pub batch_size: usize,
    pub batch_timeout_ms: u64,
    pub max_file_bytes: u64,
    /// A file open this long is finished; 0: no age limit.
    pub max_file_age_secs: u64,
    /// "none", "gzip" or "zstd": how finished files are stored.
    pub compression: JsonlCompression,
}

impl Default for JsonlSection {
    fn default() -> Self {
        JsonlSection {
            dir: "var/out".into(),
            batch_size: 256,
            batch_timeout_ms: 25,
            max_file_bytes: 256 * 1024 * 1024,
            max_file_age_secs: 3600,
            compression: JsonlCompression::None,
        }
    }
}

impl JsonlSection {
    /// The sink's settings for an output in `dir` (the main one, or the route dir).
    pub fn sink_config(&self, dir: &Path) -> newsflow_sink::JsonlConfig {
        newsflow_sink::JsonlConfig {
            dir: dir.to_path_buf(),
            batch_size: self.batch_size,
            batch_timeout: Duration::from_millis(self.batch_timeout_ms),
            max_file_bytes: self.max_file_bytes,
            max_file_age: Duration::from_secs(self.max_file_age_secs),
            compression: self.compression.into(),
            fault_delay: Duration::ZERO,
            fault_fail_writes: 0,
        }
    }
}

/// `[sink.jsonl] compression`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonlCompression {
    None,
    Gzip,
    Zstd,
}

impl From<JsonlCompression> for newsflow_sink::Compression {
    fn from(c: JsonlCompression) -> Self {
        match c {
            JsonlCompression::None => newsflow_sink::Compression::None,
            JsonlCompression::Gzip => newsflow_sink::Compression::Gzip,
            JsonlCompression::Zstd => newsflow_sink::Compression::Zstd,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsSection {
    pub enabled: bool,
    pub listen: String,
}

impl Default for MetricsSection {
    fn default() -> Self {
        MetricsSection {
            enabled: true,
            listen: "127.0.0.1:9464".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSection {
    pub format: LogFormat,
    pub level: String,
}

impl Default for LogSection {
    fn default() -> Self {
        LogSection {
            format: LogFormat::Text,
            level: "info".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DaemonSection {
    /// Seconds to drain in-flight items after SIGTERM/SIGINT.
    pub shutdown_timeout: u64,
}

impl Default for DaemonSection {
    fn default() -> Self {
        DaemonSection {
            shutdown_timeout: 30,
        }
    }
}

/// Where the effective config came from, for `check-config` and the start-up log.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
    pub env_overrides: Vec<String>,
}

/// `NEWSFLOW_` variables the test suite reads, not config overrides: CI exports
/// them for the whole run, the daemon included.
const NOT_CONFIG_ENV: &[&str] = &[
    "NEWSFLOW_REQUIRE_SERVICES",
    "NEWSFLOW_TEST_PG_HOSTPORT",
    "NEWSFLOW_TEST_NATS_HOSTPORT",
];

impl Config {
    /// Loads `path`, or `config/newsflow.toml` if present, or the defaults; then
    /// applies environment overrides and validates.
    pub fn load(path: Option<&Path>) -> Result<Loaded, String> {
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with(ENV_PREFIX) && !NOT_CONFIG_ENV.contains(&k.as_str()))
            .collect();
        Self::load_with_env(path, &env)
    }

    pub fn load_with_env(path: Option<&Path>, env: &[(String, String)]) -> Result<Loaded, String> {
        let file = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Path::new(DEFAULT_PATH)
                .exists()
                .then(|| PathBuf::from(DEFAULT_PATH)),
        };
        let base: Config = match &file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read the config file {}: {e}", p.display()))?;
                Self::parse(&text).map_err(|e| format!("config file {}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        let (config, env_overrides) = base.with_env(env)?;
        config.validate()?;
        Ok(Loaded {
            config,
            file,
            env_overrides,
        })
    }

    /// Parses TOML text; unknown fields and wrong types are errors naming the field.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_string())
    }

    /// Applies `NEWSFLOW_<SECTION>_<KEY>` overrides to any field.
    fn with_env(self, env: &[(String, String)]) -> Result<(Config, Vec<String>), String> {
        if env.is_empty() {
            return Ok((self, Vec::new()));
        }
        let mut value = toml::Value::try_from(&self).map_err(|e| e.to_string())?;
        let mut leaves = Vec::new();
        collect_leaves(&value, &mut Vec::new(), &mut leaves);
        let mut applied = Vec::new();
        for (var, raw) in env {
            let Some(path) = leaves.iter().find(|p| env_name(p) == *var) else {
                let known: Vec<String> = leaves.iter().map(|p| env_name(p)).collect();
                return Err(format!(
                    "environment variable {var} does not name a config field; known overrides: {}",
                    known.join(", ")
                ));
            };
            let slot = leaf_mut(&mut value, path).expect("path collected from this value");
            let parsed = match slot {
                toml::Value::String(_) => toml::Value::String(raw.clone()),
                _ => toml::from_str::<toml::Table>(&format!("v = {raw}"))
                    .ok()
                    .and_then(|mut t| t.remove("v"))
                    .filter(|v| v.same_type(slot))
                    .ok_or_else(|| {
                        format!(
                            "{var}: {raw:?} is not a valid {} for [{}] {}",
                            slot.type_str(),
                            path[..path.len() - 1].join("."),
                            path[path.len() - 1]
                        )
                    })?,
            };
            *slot = parsed;
            applied.push(var.clone());
        }
        let config: Config = value
            .try_into()
            .map_err(|e: toml::de::Error| format!("after environment overrides: {e}"))?;
        Ok((config, applied))
    }

    /// Checks what types alone cannot; each message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let mut errs = Vec::new();
        let empty = |p: &Path| p.as_os_str().is_empty();
        for (name, p) in [
            ("[intake] inbox", &self.intake.inbox),
            ("[intake] archive", &self.intake.archive),
            ("[intake] quarantine", &self.intake.quarantine),
            ("[state] dir", &self.state.dir),
            ("[sink.jsonl] dir", &self.sink.jsonl.dir),
        ] {
            if empty(p) {
                errs.push(format!("{name}: must not be empty"));
            }
        }
        let dirs = [
            ("[intake] inbox", &self.intake.inbox),
            ("[intake] archive", &self.intake.archive),
            ("[intake] quarantine", &self.intake.quarantine),
            ("[sink.jsonl] dir", &self.sink.jsonl.dir),
        ];
        for (i, (a, pa)) in dirs.iter().enumerate() {
            for (b, pb) in &dirs[i + 1..] {
                if !empty(pa) && pa == pb {
                    errs.push(format!(
                        "{a} and {b}: must be different directories (both are {})",
                        pa.display()
                    ));
                }
            }
        }
        if self.intake.max_bytes == 0 {
            errs.push("[intake] max_bytes: must be at least 1".into());
        }
        if self.intake.max_decompressed_bytes == 0 {
            errs.push("[intake] max_decompressed_bytes: must be at least 1".into());
        }
        if self.intake.settle_ms > 600_000 {
            errs.push(format!(
                "[intake] settle_ms: {} is more than 10 minutes; files would wait too long",
                self.intake.settle_ms
            ));
        }
        if self.intake.rescan_secs == 0 {
            errs.push("[intake] rescan_secs: must be at least 1".into());
        }
        if self.pipeline.max_inflight_bytes < 4096 {
            errs.push("[pipeline] max_inflight_bytes: must be at least 4096".into());
        }
        if self.pipeline.channel_capacity == 0 {
            errs.push("[pipeline] channel_capacity: must be at least 1".into());
        }
        let pg = &self.sink.postgres;
        if !pg.url.is_empty() {
            if let Err(e) = newsflow_sink::postgres::check_url(&pg.url) {
                errs.push(format!(
                    "[sink.postgres] url: not a PostgreSQL connection string ({e})"
                ));
            }
            if !newsflow_sink::postgres::valid_table_name(&pg.table) {
                errs.push(format!(
                    "[sink.postgres] table: {:?} must be lower-case letters, digits and _ (not starting with a digit), at most 55 characters",
                    pg.table
                ));
            }
            if pg.batch_size == 0 {
                errs.push("[sink.postgres] batch_size: must be at least 1".into());
            }
            if pg.connect_timeout_secs == 0 {
                errs.push("[sink.postgres] connect_timeout_secs: must be at least 1".into());
            }
        }
        let so = &self.scaleout;
        if !newsflow_sink::nats::valid_stream_name(&so.work_stream) {
            errs.push(format!(
                "[scaleout] work_stream: {:?} must be a name without spaces, '.', '*', '>', '/'",
                so.work_stream
            ));
        }
        if !newsflow_sink::nats::valid_subject(&so.work_subject) {
            errs.push(format!("[scaleout] work_subject: {:?} must be dot-separated tokens without wildcards or spaces", so.work_subject));
        }
        if !newsflow_sink::nats::valid_stream_name(&so.consumer) {
            errs.push(format!(
                "[scaleout] consumer: {:?} must be a name without spaces, '.', '*', '>', '/'",
                so.consumer
            ));
        }
        if so.dedup_bucket.is_empty()
            || !so
                .dedup_bucket
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errs.push(format!(
                "[scaleout] dedup_bucket: {:?} must be letters, digits, '_' and '-'",
                so.dedup_bucket
            ));
        }
        if so.ack_wait_secs == 0 || so.connect_timeout_secs == 0 || so.duplicate_window_secs == 0 {
            errs.push("[scaleout] ack_wait_secs, connect_timeout_secs, duplicate_window_secs: must be at least 1".into());
        }
        if so.fetch_batch == 0 || so.max_ack_pending < 1 {
            errs.push("[scaleout] fetch_batch, max_ack_pending: must be at least 1".into());
        }
        if so.max_message_bytes < 4096 {
            errs.push("[scaleout] max_message_bytes: must be at least 4096".into());
        }
        let nats = &self.sink.nats;
        if !nats.url.is_empty() {
            if !newsflow_sink::nats::valid_stream_name(&nats.stream) {
                errs.push(format!(
                    "[sink.nats] stream: {:?} must be a non-empty name without spaces, '.', '*', '>', '/'",
                    nats.stream
                ));
            }
            if !newsflow_sink::nats::valid_subject(&nats.subject) {
                errs.push(format!(
                    "[sink.nats] subject: {:?} must be dot-separated tokens without wildcards or spaces",
                    nats.subject
                ));
            }
            if nats.batch_size == 0 {
                errs.push("[sink.nats] batch_size: must be at least 1".into());
            }
            if nats.connect_timeout_secs == 0 {
                errs.push("[sink.nats] connect_timeout_secs: must be at least 1".into());
            }
            if nats.duplicate_window_secs == 0 {
                errs.push("[sink.nats] duplicate_window_secs: must be at least 1 (replays are dropped by message id within it)".into());
            }
        }
        if self.sink.jsonl.batch_size == 0 {
            errs.push("[sink.jsonl] batch_size: must be at least 1".into());
        }
        if self.sink.jsonl.max_file_bytes < 4096 {
            errs.push("[sink.jsonl] max_file_bytes: must be at least 4096".into());
        }
        if self.normalizer.learn_min_documents < 2 {
            errs.push("[normalizer] learn_min_documents: must be at least 2 (a line in one document is not a template)".into());
        }
        if self.normalizer.learn_max_words == 0 {
            errs.push("[normalizer] learn_max_words: must be at least 1".into());
        }
        if self.normalizer.source == SourceMode::Prefix
            && self.normalizer.source_separator.is_empty()
        {
            errs.push(
                "[normalizer] source_separator: must not be empty when source = \"prefix\"".into(),
            );
        }
        let d = &self.dedup;
        for (name, v) in [
            ("threshold", d.threshold),
            ("containment", d.containment),
            ("lsh_threshold", d.lsh_threshold),
        ] {
            if !(v > 0.0 && v <= 1.0) {
                errs.push(format!(
                    "[dedup] {name}: must be above 0 and at most 1, not {v}"
                ));
            }
        }
        if d.lsh_threshold > d.threshold {
            errs.push(
                "[dedup] lsh_threshold: must not be above threshold (candidates would be missed)"
                    .into(),
            );
        }
        if !(1..=16).contains(&d.shingle_words) {
            errs.push("[dedup] shingle_words: must be from 1 to 16".into());
        }
        if d.shingle_chars > 32 {
            errs.push("[dedup] shingle_chars: must be from 0 (word shingles) to 32".into());
        }
        if !(16..=1024).contains(&d.permutations) {
            errs.push("[dedup] permutations: must be from 16 to 1024".into());
        }
        if d.routes() && d.route_dir.as_os_str().is_empty() {
            errs.push(
                "[dedup] route_dir: must be set when exact_action or near_action is \"route\""
                    .into(),
            );
        }
        if d.routes() && d.route_dir == self.sink.jsonl.dir {
            errs.push("[dedup] route_dir: must differ from [sink.jsonl] dir".into());
        }
        if d.window_days == 0 {
            errs.push("[dedup] window_days: must be at least 1".into());
        }
        if d.max_entries < 1000 {
            errs.push("[dedup] max_entries: must be at least 1000".into());
        }
        if self.enricher.words_per_minute == 0 {
            errs.push("[enricher] words_per_minute: must be at least 1".into());
        }
        if let Some(dir) = &self.enricher.gazetteer_dir {
            if let Err(e) = newsflow_enricher::Gazetteer::load(dir) {
                errs.push(format!("[enricher] gazetteer_dir: {e}"));
            }
        }
        if self.metrics.enabled && self.metrics.listen.parse::<SocketAddr>().is_err() {
            errs.push(format!(
                "[metrics] listen: {:?} is not an address like 127.0.0.1:9464",
                self.metrics.listen
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log.level) {
            errs.push(format!(
                "[log] level: {:?} is not a valid level or filter: {e}",
                self.log.level
            ));
        }
        for pat in &self.intake.ignore {
            if let Err(e) = globset::Glob::new(pat) {
                errs.push(format!("[intake] ignore: {pat:?} is not a valid glob: {e}"));
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs.join("\n"))
        }
    }

    /// The effective config as TOML, for `check-config`.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

/// Sections changed between `old` and `new` that SIGHUP cannot apply while running.
/// Live: `[normalizer]` (rule packs), `[enricher]`, `[log] level`, `[daemon]`.
/// `[dedup]` needs a restart: the index is built with its settings.
pub fn restart_only_changes(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut v = Vec::new();
    if old.intake != new.intake {
        v.push("[intake]");
    }
    if old.state != new.state {
        v.push("[state]");
    }
    if old.pipeline != new.pipeline {
        v.push("[pipeline]");
    }
    if old.sink != new.sink {
        v.push("[sink]");
    }
    if old.scaleout != new.scaleout {
        v.push("[scaleout]");
    }
    if old.dedup != new.dedup {
        v.push("[dedup]");
    }
    if old.metrics != new.metrics {
        v.push("[metrics]");
    }
    if old.log.format != new.log.format {
        v.push("[log] format");
    }
    if old.faults != new.faults {
        v.push("[faults]");
    }
    v
}

impl Config {
    /// Takes the restart-only settings from the running config.
    pub fn keep_restart_only_from(&mut self, running: &Config) {
        self.intake = running.intake.clone();
        self.state = running.state.clone();
        self.pipeline = running.pipeline.clone();
        self.sink = running.sink.clone();
        self.dedup = running.dedup.clone();
        self.metrics = running.metrics.clone();
        self.log.format = running.log.format;
        self.faults = running.faults.clone();
    }
}

fn env_name(path: &[String]) -> String {
    let mut s = ENV_PREFIX.to_string();
    s.push_str(&path.join("_").to_uppercase());
    s
}

fn collect_leaves(v: &toml::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, v) in t {
                path.push(k.clone());
                collect_leaves(v, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn leaf_mut<'a>(v: &'a mut toml::Value, path: &[String]) -> Option<&'a mut toml::Value> {
    path.iter().try_fold(v, |v, k| v.get_mut(k))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_file_is_the_defaults() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/newsflow.toml"))
                .unwrap();
        assert_eq!(Config::parse(&text).unwrap(), Config::default());
    }

    #[test]
    fn unknown_fields_and_bad_values_name_the_field() {
        let e = Config::parse("[intake]\ninbx = 'x'\n").unwrap_err();
        assert!(e.contains("inbx"), "{e}");
        let e = Config::parse("[sink.jsonl]\nbatch_size = 'many'\n").unwrap_err();
        assert!(e.contains("batch_size"), "{e}");
        let mut c = Config::default();
        c.metrics.listen = "nowhere".into();
        c.sink.jsonl.batch_size = 0;
        c.enricher.gazetteer_dir = Some("/nonexistent/gazetteer".into());
        let e = c.validate().unwrap_err();
        assert!(
            e.contains("[metrics] listen") && e.contains("[sink.jsonl] batch_size"),
            "{e}"
        );
        assert!(
            e.contains("[enricher] gazetteer_dir")
                && e.contains("/nonexistent/gazetteer/places.tsv"),
            "{e}"
        );
    }

    #[test]
    fn a_bad_jsonl_compression_names_the_field() {
        let c =
            Config::parse("[sink.jsonl]\ncompression = \"zstd\"\nmax_file_age_secs = 0\n").unwrap();
        assert_eq!(c.sink.jsonl.compression, JsonlCompression::Zstd);
        assert_eq!(c.sink.jsonl.max_file_age_secs, 0);
        let e = Config::parse("[sink.jsonl]\ncompression = \"xz\"\n").unwrap_err();
        assert!(e.contains("compression") && e.contains("gzip"), "{e}");
        let e = Config::default()
            .with_env(&[("NEWSFLOW_SINK_JSONL_COMPRESSION".into(), "xz".into())])
            .unwrap_err();
        assert!(e.contains("compression") && e.contains("gzip"), "{e}");
    }

    #[test]
    fn environment_overrides_any_field() {
        let env = vec![
            ("NEWSFLOW_INTAKE_INBOX".to_string(), "/tmp/in".to_string()),
            (
                "NEWSFLOW_SINK_JSONL_BATCH_SIZE".to_string(),
                "7".to_string(),
            ),
            ("NEWSFLOW_INTAKE_RECURSIVE".to_string(), "false".to_string()),
        ];
        let (c, applied) = Config::default().with_env(&env).unwrap();
        assert_eq!(c.intake.inbox, PathBuf::from("/tmp/in"));
        assert_eq!(c.sink.jsonl.batch_size, 7);
        assert!(!c.intake.recursive);
        assert_eq!(applied.len(), 3);
        let e = Config::default()
            .with_env(&[("NEWSFLOW_SINK_JSONL_BATCH_SIZE".into(), "lots".into())])
            .unwrap_err();
        assert!(e.contains("batch_size"), "{e}");
        let e = Config::default()
            .with_env(&[("NEWSFLOW_INTAKE_INBX".into(), "x".into())])
            .unwrap_err();
        assert!(e.contains("NEWSFLOW_INTAKE_INBX"), "{e}");
    }
}
