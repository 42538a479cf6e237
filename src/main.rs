//! `newsflow`: the daemon's command line, start-up, signals and summary.

mod config;
mod daemon;
mod eval;
mod eval_dedup;
mod eval_enrich;
mod eval_extract;
mod metrics_export;
mod scaleout;

use clap::{Parser, Subcommand};
use config::{Config, LogFormat};
use daemon::Counters;
use newsflow_watcher::Mode;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "newsflow",
    version,
    about = "Ingests news items dropped into a folder and writes clean, deduplicated JSONL records."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: watch the inbox until SIGTERM or SIGINT.
    Run {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// `all`: the whole pipeline in this process. Scale-out on NATS JetStream
        /// (`[scaleout]`): `intake` watches the inbox and queues files;
        /// `worker` takes them from the queue, processes and writes the sinks.
        #[arg(long, value_enum, default_value = "all")]
        role: scaleout::Role,
    },
    /// Process every file in the inbox now, then exit (backfill).
    Once {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Show what the normalizer does with each line of a file, and why.
    Explain {
        file: PathBuf,
        /// Print JSON instead of coloured text.
        #[arg(long)]
        json: bool,
        /// Config file whose rule packs to use (default: as for `run`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Measure a stage against labeled data.
    Eval {
        #[command(subcommand)]
        what: EvalWhat,
    },
    /// The near-duplicate index of the state dir: records, clusters, largest
    /// clusters. Run it while the daemon is stopped (the index is locked).
    DedupStats {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// How many of the largest clusters to list.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Validate the config and print the effective settings.
    CheckConfig {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum EvalWhat {
    /// Kept-line precision/recall and word F1 of boilerplate removal on a folder of
    /// labeled documents (format: src/eval.rs; set: tests/fixtures/boilerplate/eval).
    Boilerplate {
        dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also list every wrongly kept or lost line.
        #[arg(long)]
        mistakes: bool,
        /// Config file whose rule packs to use (default: as for `run`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// The deduplicator on a folder of documents (files in name order, as a
    /// stream): LSH candidates against brute-force Jaccard, and with --truth
    /// duplicate flags against known clusters (scripts/gen-syndicated.py).
    Dedup {
        dir: PathBuf,
        /// truth.json with each file's cluster (default: DIR/truth.json if present).
        #[arg(long, value_name = "FILE")]
        truth: Option<PathBuf>,
        /// Skip the all-pairs comparison above this many documents.
        #[arg(long, default_value_t = 5000)]
        brute_force_limit: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Config file whose [dedup] settings and rule packs to use (default: as for `run`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// People, places, organizations and quote speakers against hand-labeled
    /// articles (<name>.json beside <name>.txt; tests/fixtures/enrich).
    Enrich {
        dir: PathBuf,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Also list every missed and false entity and quote.
        #[arg(long)]
        mistakes: bool,
        /// Config file whose rule packs and [enricher] settings to use (default: as for `run`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Language identification on a TSV of `<ISO 639-1>\t<paragraph>` lines
    /// (tests/fixtures/lang/news-paragraphs.tsv): accuracy overall and per language.
    Language {
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Main-content extraction from HTML pages, scored like score_extract.py
    /// (4-token shingles), with title/byline/date accuracy and speed.
    Extract {
        /// Folder of <page>/source.html, expected.html and expected-metadata.json
        /// (e.g. ../shared/corpus/readability-dev).
        #[arg(long, value_name = "DIR")]
        gold: PathBuf,
        /// Also write each prediction as <page>.txt into this folder.
        #[arg(long, value_name = "DIR")]
        pred_out: Option<PathBuf>,
        /// One line per page.
        #[arg(long)]
        per_page: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Config file whose rule packs to use (default: as for `run`).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
        /// Run the normalizer this many times over the pages and also report the
        /// speed of the passes after the first (a running daemon's steady state).
        #[arg(long, default_value_t = 1, value_name = "N")]
        passes: usize,
    },
}

// `println!` panics when the reader of a pipe goes away (`newsflow explain f | head`);
// a command-line tool should stop quietly instead, as ripgrep does.
macro_rules! outln {
    () => {
        emit(format_args!("\n"))
    };
    ($($t:tt)*) => {
        emit(format_args!("{}\n", format_args!($($t)*)))
    };
}
macro_rules! out {
    ($($t:tt)*) => {
        emit(format_args!($($t)*))
    };
}

/// Writes to standard output; a closed pipe ends the process with success, any
/// other write error with a message and failure.
fn emit(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("newsflow: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Explain { file, json, config } = &cli.command {
        return explain(file, *json, config.as_deref());
    }
    if let Command::Eval {
        what:
            EvalWhat::Boilerplate {
                dir,
                json,
                mistakes,
                config,
            },
    } = &cli.command
    {
        return eval_boilerplate(dir, *json, *mistakes, config.as_deref());
    }
    if let Command::Eval {
        what:
            EvalWhat::Extract {
                gold,
                pred_out,
                per_page,
                json,
                config,
                passes,
            },
    } = &cli.command
    {
        let rules = match rules_from(config.as_deref()) {
            Ok(r) => r,
            Err(code) => return code,
        };
        return report(
            eval_extract::run(gold, &rules, pred_out.as_deref(), *passes),
            *json,
            |r| r.to_text(*per_page),
        );
    }
    if let Command::Eval {
        what:
            EvalWhat::Dedup {
                dir,
                truth,
                brute_force_limit,
                json,
                config,
            },
    } = &cli.command
    {
        let (cfg, rules) = match config_and_rules(config.as_deref()) {
            Ok(c) => c,
            Err(code) => return code,
        };
        // The evaluation measures near duplicates whatever the config says.
        let near = newsflow_deduplicator::near::NearConfig {
            near: true,
            ..cfg.dedup.dedup_config()
        };
        let truth = truth
            .clone()
            .or_else(|| Some(dir.join("truth.json")).filter(|p| p.exists()));
        return report(
            eval_dedup::run(dir, truth.as_deref(), &rules, near, *brute_force_limit),
            *json,
            |r| r.to_text(),
        );
    }
    if let Command::Eval {
        what:
            EvalWhat::Enrich {
                dir,
                json,
                mistakes,
                config,
            },
    } = &cli.command
    {
        let (cfg, rules) = match config_and_rules(config.as_deref()) {
            Ok(c) => c,
            Err(code) => return code,
        };
        let enrich = match daemon::enrich_config(&cfg) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("newsflow: {e}");
                return ExitCode::from(2);
            }
        };
        return report(eval_enrich::run_enrich(dir, &rules, &enrich), *json, |r| {
            r.to_text(*mistakes)
        });
    }
    if let Command::Eval {
        what: EvalWhat::Language { file, json },
    } = &cli.command
    {
        return report(eval_enrich::run_language(file), *json, |r| r.to_text());
    }
    if let Command::DedupStats { config, top } = &cli.command {
        return match Config::load(config.as_deref()) {
            Ok(l) => dedup_stats(&l.config, *top),
            Err(e) => {
                eprintln!("newsflow: invalid configuration:\n{e}");
                ExitCode::from(2)
            }
        };
    }
    let (path, mode) = match &cli.command {
        Command::Run { config, .. } => (config.clone(), Some(false)),
        Command::Once { config } => (config.clone(), Some(true)),
        Command::CheckConfig { config } => (config.clone(), None),
        Command::Eval { .. } | Command::Explain { .. } | Command::DedupStats { .. } => {
            unreachable!("handled above")
        }
    };
    let loaded = match Config::load(path.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("newsflow: invalid configuration:\n{e}");
            return ExitCode::from(2);
        }
    };
    let Some(once) = mode else {
        return check_config(&loaded);
    };
    let log = init_logging(&loaded.config);
    // Blocking work (file I/O, index and sink writes) runs on a small, fixed pool;
    // the normalizer and enricher run on their own threads, one per worker, so
    // their regex caches stay one per worker (`newsflow_record::workers`).
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(cores + 6)
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("newsflow: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let role = match &cli.command {
        Command::Run { role, .. } => *role,
        _ => scaleout::Role::All,
    };
    match rt.block_on(start(loaded, once, role, log)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("newsflow: {e}");
            ExitCode::FAILURE
        }
    }
}

/// mimalloc: a record's processing is thousands of short-lived strings (words,
/// lines, features), and glibc malloc spent about 13% of `newsflow once`'s CPU on
/// them (perf, 10,000 text drops); mimalloc's per-thread free lists cost less.
/// Its arenas are committed on demand (.cargo/config.toml), so freed pages go
/// back to the kernel. (glibc's arena limit, set here before, had nothing left
/// to limit: no Rust allocation goes through glibc malloc.)
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The rule packs the config names, for the offline commands; exit code 2 if invalid.
fn rules_from(
    config: Option<&std::path::Path>,
) -> Result<newsflow_normalizer::rules::RuleSet, ExitCode> {
    config_and_rules(config).map(|(_, rules)| rules)
}

/// The config and its rule packs, for the tools; exit code 2 when invalid.
fn config_and_rules(
    config: Option<&std::path::Path>,
) -> Result<(Config, newsflow_normalizer::rules::RuleSet), ExitCode> {
    Config::load(config)
        .and_then(|l| {
            let rules = daemon::load_rules(&l.config)?;
            Ok((l.config, rules))
        })
        .map_err(|e| {
            eprintln!("newsflow: invalid configuration:\n{e}");
            ExitCode::from(2)
        })
}

/// Prints an eval report as JSON or as text; an error exits with failure.
fn report<R: serde::Serialize>(
    result: Result<R, String>,
    json: bool,
    text: impl FnOnce(&R) -> String,
) -> ExitCode {
    match result {
        Ok(r) if json => {
            outln!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
            ExitCode::SUCCESS
        }
        Ok(r) => {
            out!("{}", text(&r));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("newsflow: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `newsflow explain FILE`: every line with its decision, layer, rule or score.
fn explain(file: &std::path::Path, json: bool, config: Option<&std::path::Path>) -> ExitCode {
    let rules = match rules_from(config) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("newsflow: cannot read {}: {e}", file.display());
            return ExitCode::FAILURE;
        }
    };
    let name = file.file_name().unwrap_or_default().to_string_lossy();
    let layers = newsflow_normalizer::structure::Layers {
        explain: true,
        ..Default::default()
    };
    let refused = |e: newsflow_record::StageError| serde_json::json!({"stage": e.stage, "reason": e.reason, "message": e.message});
    let items = match newsflow_normalizer::normalize_items(
        &bytes,
        &name,
        &rules,
        layers,
        None,
        newsflow_normalizer::Limits::default(),
    ) {
        Ok(items) => items,
        Err(e) => {
            if json {
                outln!(
                    "{}",
                    serde_json::json!({"file": file, "refused": refused(e)})
                );
            } else {
                outln!(
                    "{}: would be quarantined ({}): {}",
                    file.display(),
                    e.reason,
                    e.message
                );
            }
            return ExitCode::SUCCESS;
        }
    };
    if items.len() == 1 {
        if let Some(Ok(n)) = items.into_iter().next() {
            explain_item(file, &bytes, n, json, None);
        }
        return ExitCode::SUCCESS;
    }
    let count = items.len();
    let mut values = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Ok(n) => values.extend(explain_item(file, &bytes, n, json, Some((i + 1, count)))),
            Err(e) if json => {
                values.push(serde_json::json!({"item": i + 1, "refused": refused(e)}));
            }
            Err(e) => outln!(
                "{} item {} of {count}: would not become a record ({}): {}\n",
                file.display(),
                i + 1,
                e.reason,
                e.message
            ),
        }
    }
    if json {
        let v = serde_json::json!({"file": file, "items": values});
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    }
    ExitCode::SUCCESS
}

/// One item's explanation: printed, or in JSON mode returned (a file of several
/// items prints them as one array) or printed when it is the file's only item.
fn explain_item(
    file: &std::path::Path,
    bytes: &[u8],
    n: newsflow_normalizer::Normalized,
    json: bool,
    item: Option<(usize, usize)>,
) -> Option<serde_json::Value> {
    // For a page, the extraction step: every block of its visible text, and
    // whether the extractor kept it. The text layers' decisions follow.
    let page_blocks: Option<(&'static str, Vec<(String, bool)>)> = (n.format == "html")
        .then(|| {
            newsflow_normalizer::decode::decode_with_hint(
                bytes,
                newsflow_normalizer::html::declared_charset(bytes),
            )
            .ok()
        })
        .flatten()
        .map(|d| {
            let page = newsflow_normalizer::html::extract(&d.text).unwrap_or_default();
            let extracted = newsflow_normalizer::html::squash(&page.text);
            let blocks = newsflow_normalizer::html::visible_text(&d.text, true)
                .split("\n\n")
                .map(newsflow_normalizer::html::squash)
                .filter(|b| !b.is_empty())
                .map(|b| {
                    let kept = extracted.contains(&b);
                    (b, kept)
                })
                .collect();
            (page.method, blocks)
        });
    if json {
        let v = serde_json::json!({
            "file": file,
            "format": n.format,
            "encoding": n.encoding,
            "title": n.title,
            "byline": n.byline,
            "authors": n.authors,
            "published": n.published,
            "modified": n.modified,
            "url": n.url,
            "site_name": n.site_name,
            "extraction": page_blocks.as_ref().map(|(method, blocks)| serde_json::json!({
                "method": method,
                "blocks": blocks.iter().map(|(text, kept)| serde_json::json!({"text": text, "kept": kept})).collect::<Vec<_>>(),
            })),
            "categories": n.categories,
            "item": item.map(|(i, _)| i),
            "lines": n.explained,
        });
        if item.is_some() {
            return Some(v);
        }
        outln!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return None;
    }
    let color = std::io::stdout().is_terminal();
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    match item {
        Some((i, of)) => outln!(
            "{} item {i} of {of} ({}, {})",
            file.display(),
            n.format,
            n.encoding
        ),
        None => outln!("{} ({}, {})", file.display(), n.format, n.encoding),
    }
    outln!("  title:     {}", n.title.as_deref().unwrap_or("-"));
    outln!("  byline:    {}", n.byline.as_deref().unwrap_or("-"));
    outln!("  published: {}", n.published.as_deref().unwrap_or("-"));
    for (k, v) in [
        ("modified", &n.modified),
        ("url", &n.url),
        ("site", &n.site_name),
        ("image", &n.image),
    ] {
        if let Some(v) = v {
            outln!("  {k:<10} {v}");
        }
    }
    if let Some((method, blocks)) = &page_blocks {
        outln!("  extraction: {method}");
        for (b, kept) in blocks {
            let short: String = b.chars().take(100).collect();
            outln!(
                "  {} {}{}",
                paint(
                    if *kept { "32" } else { "31" },
                    if *kept { "page KEEP" } else { "page DROP" }
                ),
                short,
                if b.chars().count() > 100 { "…" } else { "" }
            );
        }
        outln!("  text layers on the extracted text:");
    }
    for e in &n.explained {
        let (mark, code) = match e.decision {
            "kept" => ("KEEP", "32"),
            "lifted" => ("LIFT", "36"),
            _ => ("DROP", "31"),
        };
        let why = match (&e.rule, e.score) {
            (Some(rule), Some(score)) => format!(
                "{} {rule} score {score:.2}: {}",
                e.layer,
                e.reason.unwrap_or("")
            ),
            (Some(rule), None) => format!("{} {rule}", e.layer),
            (None, Some(score)) => {
                format!("{} score {score:.2}: {}", e.layer, e.reason.unwrap_or(""))
            }
            (None, None) => e.layer.to_string(),
        };
        let text: String = e.text.chars().take(100).collect();
        let more = if e.text.chars().count() > 100 {
            "…"
        } else {
            ""
        };
        outln!("{:>4} {} {}{}", e.line, paint(code, mark), text, more);
        outln!("          {}", paint("2", &why));
        if let Some(f) = &e.features {
            let stop = f
                .stopword_density
                .map(|d| format!("{d:.2}"))
                .unwrap_or_else(|| "n/a".into());
            let coherence = f
                .coherence
                .map(|c| format!("{c:.2}"))
                .unwrap_or_else(|| "n/a".into());
            outln!(
                "          {}",
                paint(
                    "2",
                    &format!(
                        "words {} stopwords {stop} terminated {} links {:.2} digits {:.2} separators {} title-sim {:.2}",
                        f.words, f.terminated, f.link_density, f.digit_ratio, f.separators, f.title_similarity
                    )
                )
            );
            outln!(
                "          {}",
                paint(
                    "2",
                    &format!(
                        "site-words {} coherence {coherence} reader {} author {}",
                        f.site_words, f.addresses_reader, f.names_author
                    )
                )
            );
        }
    }
    if item.is_some() {
        outln!();
    }
    None
}

fn eval_boilerplate(
    dir: &std::path::Path,
    json: bool,
    mistakes: bool,
    config: Option<&std::path::Path>,
) -> ExitCode {
    let rules = match rules_from(config) {
        Ok(r) => r,
        Err(code) => return code,
    };
    match eval::run(dir, &rules) {
        Ok(report) if json => {
            outln!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            ExitCode::SUCCESS
        }
        Ok(report) => {
            out!("{}", report.to_text());
            if mistakes {
                for m in &report.mistakes {
                    outln!("{m}");
                }
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("newsflow: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check_config(loaded: &config::Loaded) -> ExitCode {
    let source = match &loaded.file {
        Some(p) => format!("config file {}", p.display()),
        None => "built-in defaults (no config file)".to_string(),
    };
    outln!(
        "# newsflow {}: configuration is valid",
        env!("CARGO_PKG_VERSION")
    );
    outln!("# source: {source}");
    if !loaded.env_overrides.is_empty() {
        outln!(
            "# environment overrides: {}",
            loaded.env_overrides.join(", ")
        );
    }
    if let Err(e) = daemon::load_rules(&loaded.config) {
        eprintln!("newsflow: invalid configuration:\n{e}");
        return ExitCode::from(2);
    }
    out!("{}", loaded.config.to_toml());
    ExitCode::SUCCESS
}

type LogHandle =
    tracing_subscriber::reload::Handle<tracing_subscriber::EnvFilter, tracing_subscriber::Registry>;

/// Logs to stderr; returns the handle SIGHUP uses to change the level.
fn init_logging(cfg: &Config) -> LogHandle {
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::{fmt, reload, EnvFilter};
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log.level));
    let (filter, handle) = reload::Layer::new(filter);
    let layer = match cfg.log.format {
        LogFormat::Json => fmt::layer()
            .json()
            .flatten_event(true)
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Text => fmt::layer()
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .boxed(),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(layer)
        .init();
    handle
}

/// Tells systemd (Type=notify) how the daemon is doing; no-ops outside systemd.
mod systemd {
    use sd_notify::NotifyState;

    pub fn ready() {
        let _ = sd_notify::notify(false, &[NotifyState::Ready]);
    }
    pub fn stopping() {
        let _ = sd_notify::notify(false, &[NotifyState::Stopping]);
    }
    pub fn reloading(done: bool) {
        let state = if done {
            NotifyState::Ready
        } else {
            NotifyState::Reloading
        };
        let _ = sd_notify::notify(false, &[state]);
    }
    pub fn status(text: &str) {
        let _ = sd_notify::notify(false, &[NotifyState::Status(text)]);
    }
    pub fn watchdog() {
        let _ = sd_notify::notify(false, &[NotifyState::Watchdog]);
    }
    /// The watchdog interval systemd asks for (`WatchdogSec=`), if any.
    pub fn watchdog_interval() -> Option<std::time::Duration> {
        let mut usec = 0u64;
        sd_notify::watchdog_enabled(false, &mut usec)
            .then(|| std::time::Duration::from_micros(usec))
    }
}

async fn start(
    loaded: config::Loaded,
    once: bool,
    role: scaleout::Role,
    log: LogHandle,
) -> Result<(), String> {
    let config_path = loaded.file.clone();
    let mut cfg = loaded.config;
    if role == scaleout::Role::Worker {
        // The intake archived the original; a worker's copy is only a claim.
        cfg.intake.after = newsflow_watcher::intake::After::Delete;
    }
    // Handlers first: a SIGTERM during start-up is then a clean stop, not a kill.
    let mut signals = Signals::new();
    let handle = metrics_export::install()?;
    let res = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || daemon::Resources::open(&cfg))
            .await
            .map_err(|e| e.to_string())??
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %config_path.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "built-in defaults".into()),
        inbox = %cfg.intake.inbox.display(),
        output = %cfg.sink.jsonl.dir.display(),
        rules = res.rules.len(),
        mode = if once { "once" } else { "run" },
        "newsflow starting"
    );

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut background = Vec::new();
    if !once && cfg.metrics.enabled {
        let listener = metrics_export::bind(&cfg.metrics.listen).await?;
        tracing::info!(listen = %cfg.metrics.listen, "serving Prometheus metrics at /metrics");
        background.push(tokio::spawn(metrics_export::serve(
            listener,
            handle.clone(),
        )));
    }

    // Histogram samples queue up until drained; drain them even if nobody scrapes.
    background.push(tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            handle.run_upkeep();
        }
    }));
    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let progress = if once { Some(progress_bar(&res)) } else { None };
    let mode = if once {
        Mode::Once
    } else {
        Mode::Watch {
            rescan: Duration::from_secs(cfg.intake.rescan_secs),
        }
    };
    if let Some(bar) = progress.clone() {
        let counters = counters.clone();
        background.push(tokio::spawn(async move {
            loop {
                bar.set_position(counters.files.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }));
    }
    let (rules_tx, rules_rx) = watch::channel(res.rules.clone());
    let (enrich_tx, enrich_rx) = watch::channel(daemon::enrich_config(&cfg)?);
    let live = daemon::Live {
        rules: rules_rx,
        enrich: enrich_rx,
    };
    if !once {
        background.push(tokio::spawn(report_to_systemd(counters.clone())));
    }

    let pipeline = daemon::run(&cfg, res, live, mode, role, shutdown_rx, counters.clone());
    tokio::pin!(pipeline);
    if !once {
        systemd::ready();
        tracing::info!(inbox = %cfg.intake.inbox.display(), "ready: watching the inbox");
    }
    let mut current = cfg.clone();
    let result = loop {
        tokio::select! {
            r = &mut pipeline => break r,
            signal = signals.next() => match signal {
                Signal::Reload => {
                    systemd::reloading(false);
                    reload(&config_path, &mut current, &rules_tx, &enrich_tx, &log);
                    systemd::reloading(true);
                }
                Signal::Stop(name) => {
                    systemd::stopping();
                    tracing::info!(signal = name, "stopping: no new files are claimed; finishing the files in flight");
                    let _ = shutdown_tx.send(true);
                    let timeout = Duration::from_secs(current.daemon.shutdown_timeout);
                    break match tokio::time::timeout(timeout, &mut pipeline).await {
                        Ok(r) => r,
                        Err(_) => {
                            tracing::warn!(timeout_secs = timeout.as_secs(), "files still in flight at the shutdown timeout stay claimed and are resumed at the next start");
                            Ok(())
                        }
                    };
                }
            }
        }
    };
    for t in background {
        t.abort();
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    result?;
    let summary = format!(
        "{} files, {} records, {} duplicates, {} quarantined, {:.2} seconds",
        counters.files.load(Ordering::Relaxed),
        counters.records.load(Ordering::Relaxed),
        counters.duplicates.load(Ordering::Relaxed),
        counters.quarantined.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    tracing::info!("newsflow stopped: {summary}");
    if once {
        outln!("newsflow once: {summary}");
    }
    Ok(())
}

/// SIGHUP: re-reads the config file and the rule packs. What can change live is
/// applied; what needs a restart is named in the log; a bad config is rejected
/// whole and the running one stays.
fn reload(
    path: &Option<PathBuf>,
    current: &mut Config,
    rules_tx: &watch::Sender<Arc<newsflow_normalizer::rules::RuleSet>>,
    enrich_tx: &watch::Sender<newsflow_enricher::EnrichConfig>,
    log: &LogHandle,
) {
    tracing::info!("SIGHUP: reloading the configuration and rule packs");
    let loaded = match Config::load(path.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!(
                "the new configuration is invalid and was not applied; the running one stays:\n{e}"
            );
            return;
        }
    };
    let new = loaded.config;
    let rules = match daemon::load_rules(&new) {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(
                "the rule packs do not load and were not applied; the running ones stay:\n{e}"
            );
            return;
        }
    };
    if new.log.level != current.log.level {
        let changed = tracing_subscriber::EnvFilter::try_new(&new.log.level)
            .ok()
            .is_some_and(|f| log.reload(f).is_ok());
        if changed {
            tracing::info!(from = %current.log.level, to = %new.log.level, "[log] level changed");
        } else {
            tracing::warn!("[log] level could not be changed");
        }
    }
    let enrich = match daemon::enrich_config(&new) {
        Ok(e) => e,
        Err(e) => {
            tracing::error!("the new [enricher] settings do not load and were not applied; the running ones stay: {e}");
            return;
        }
    };
    if enrich != *enrich_tx.borrow() {
        tracing::info!(
            words_per_minute = new.enricher.words_per_minute,
            "[enricher] settings changed"
        );
        let _ = enrich_tx.send(enrich);
    }
    let before = rules_tx.borrow().len();
    tracing::info!(
        rules_before = before,
        rules_now = rules.len(),
        packs = rules.packs().len(),
        "rule packs reloaded"
    );
    let _ = rules_tx.send(Arc::new(rules));
    for section in config::restart_only_changes(current, &new) {
        tracing::warn!(
            section,
            "changed in the config file but takes effect only after a restart"
        );
    }
    let mut applied = new;
    // Keep restart-only values as they are running, so the next diff stays honest.
    applied.keep_restart_only_from(current);
    *current = applied;
}

enum Signal {
    Reload,
    Stop(&'static str),
}

/// SIGTERM/SIGINT stop, SIGHUP reloads.
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{signal, SignalKind};
        let get = |k: SignalKind, name: &str| {
            signal(k)
                .map_err(|e| tracing::error!(signal = name, error = %e, "cannot install a signal handler"))
                .ok()
        };
        Signals {
            term: get(SignalKind::terminate(), "SIGTERM"),
            int: get(SignalKind::interrupt(), "SIGINT"),
            hup: get(SignalKind::hangup(), "SIGHUP"),
        }
    }

    async fn next(&mut self) -> Signal {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => {
                    s.recv().await;
                }
                None => std::future::pending().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.term) => Signal::Stop("SIGTERM"),
            _ = recv(&mut self.int) => Signal::Stop("SIGINT"),
            _ = recv(&mut self.hup) => Signal::Reload,
        }
    }
}

/// STATUS= every few seconds, and WATCHDOG=1 at half the interval systemd asks for.
async fn report_to_systemd(counters: Arc<Counters>) {
    let watchdog = systemd::watchdog_interval();
    let tick = watchdog
        .map(|w| w / 2)
        .unwrap_or(Duration::from_secs(5))
        .min(Duration::from_secs(5));
    let mut last_status = Instant::now() - Duration::from_secs(60);
    loop {
        if watchdog.is_some() {
            systemd::watchdog();
        }
        if last_status.elapsed() >= Duration::from_secs(5) {
            systemd::status(&format!(
                "{} files: {} records ({} duplicates), {} quarantined",
                counters.files.load(Ordering::Relaxed),
                counters.records.load(Ordering::Relaxed),
                counters.duplicates.load(Ordering::Relaxed),
                counters.quarantined.load(Ordering::Relaxed)
            ));
            last_status = Instant::now();
        }
        tokio::time::sleep(tick).await;
    }
}

fn progress_bar(res: &daemon::Resources) -> indicatif::ProgressBar {
    let total = daemon::backlog(&res.intake);
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// `newsflow dedup-stats`: what the near-duplicate index holds.
fn dedup_stats(cfg: &Config, top: usize) -> ExitCode {
    if !cfg.state.dir.join("dedup.redb").exists() {
        eprintln!(
            "newsflow: no dedup index in {} ([state] dir); it is created by the first run",
            cfg.state.dir.display()
        );
        return ExitCode::FAILURE;
    }
    let index = match newsflow_deduplicator::DedupIndex::open(
        &cfg.state.dir,
        newsflow_deduplicator::near::NearConfig::exact_only(),
    ) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("newsflow: {e}");
            return ExitCode::FAILURE;
        }
    };
    let exact = index.len();
    match index.near_stats(top) {
        Ok(s) => {
            outln!("index: {exact} records (exact duplicates are not indexed)");
            outln!(
                "near index: {} records ({} near duplicates), {} clusters, {} of them with 2 records or more, {:.0} bytes stored per record",
                s.documents,
                s.near_duplicates,
                s.clusters,
                s.multi_clusters,
                s.bytes as f64 / s.documents.max(1) as f64
            );
            for (id, n) in &s.largest {
                outln!("  {n:>6} records  cluster {id}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("newsflow: cannot read the dedup index: {e}");
            ExitCode::FAILURE
        }
    }
}
