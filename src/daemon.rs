//! Wiring: opens each stage's resources, connects the stages with bounded
//! channels, and finishes every claim in exactly one place (archive or quarantine).
//!
//! ```text
//! watcher ─raw─▶ normalizer ─▶ deduplicator ─▶ enricher ─▶ sink ─committed─▶ finisher ─▶ archive
//!    └────────────────┴──────────────┴─────────failed──────────┴────────────▶ finisher ─▶ quarantine
//! ```

use crate::config::{Config, SourceMode};
use crate::scaleout::{self, Role, WorkQueue};
use newsflow_deduplicator::DedupIndex;
use newsflow_enricher::EnrichConfig;
use newsflow_normalizer::learned::{persist::RedbLines, LearnConfig};
use newsflow_normalizer::rules::RuleSet;
use newsflow_normalizer::{LearnSetup, SourceOf};
use newsflow_record::{telemetry, Committed, Failed};
use newsflow_sink::{JsonlConfig, JsonlSink};
use newsflow_watcher::intake::{Intake, IntakeConfig};
use newsflow_watcher::Mode;
use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;

/// Reads the length of one channel (channels differ in item type).
type DepthProbe = Box<dyn Fn() -> usize + Send + Sync>;

/// What a run did, for the one-line summary of `newsflow once`.
#[derive(Debug, Default)]
pub struct Counters {
    pub files: AtomicU64,
    pub records: AtomicU64,
    pub duplicates: AtomicU64,
    pub quarantined: AtomicU64,
}

/// Opens everything a run needs; errors here stop start-up with a message that
/// names the setting to fix.
pub struct Resources {
    pub intake: Arc<Intake>,
    pub rules: Arc<RuleSet>,
    pub index: Arc<DedupIndex>,
    pub sink: JsonlSink,
    /// Where routed duplicates go (`[dedup] route_dir`), when any are routed.
    pub route: Option<JsonlSink>,
    /// `[sink.postgres]` and `[sink.nats]`, when their url is set. They connect
    /// on first use, so a server that is down at start delays records, not the start.
    pub remote: newsflow_sink::Remote,
    pub learned: Option<LearnSetup>,
}

pub fn load_rules(cfg: &Config) -> Result<RuleSet, String> {
    if cfg.normalizer.rules_dir.as_os_str().is_empty() {
        Ok(RuleSet::builtin())
    } else {
        RuleSet::load_dir(&cfg.normalizer.rules_dir)
            .map_err(|e| format!("[normalizer] rules_dir: {e}"))
    }
}

impl Resources {
    pub fn open(cfg: &Config) -> Result<Resources, String> {
        let intake = Intake::open(IntakeConfig {
            inbox: cfg.intake.inbox.clone(),
            archive: cfg.intake.archive.clone(),
            quarantine: cfg.intake.quarantine.clone(),
            state_dir: cfg.state.dir.clone(),
            after: cfg.intake.after,
            ignore: cfg.intake.ignore.clone(),
            recursive: cfg.intake.recursive,
            max_bytes: cfg.intake.max_bytes,
            settle: Duration::from_millis(cfg.intake.settle_ms),
            max_inflight_bytes: cfg.pipeline.max_inflight_bytes,
        })
        .map_err(|e| e.to_string())?;
        let rules = load_rules(cfg)?;
        let index = DedupIndex::open(&cfg.state.dir, cfg.dedup.dedup_config())?;
        // The route dir's files rotate, compress and recover like the main output's.
        let sink = JsonlSink::open(JsonlConfig {
            fault_delay: Duration::from_millis(cfg.faults.sink_delay_ms),
            fault_fail_writes: cfg.faults.sink_fail_writes,
            ..cfg.sink.jsonl.sink_config(&cfg.sink.jsonl.dir)
        })?;
        let route = if cfg.dedup.routes() {
            Some(
                JsonlSink::open(cfg.sink.jsonl.sink_config(&cfg.dedup.route_dir))
                    .map_err(|e| format!("[dedup] route_dir: {e}"))?,
            )
        } else {
            None
        };
        let nats = (!cfg.sink.nats.url.is_empty())
            .then(|| newsflow_sink::nats::NatsSink::new(cfg.sink.nats.sink_config()));
        let postgres = (!cfg.sink.postgres.url.is_empty())
            .then(|| newsflow_sink::postgres::PgSink::new(cfg.sink.postgres.sink_config()));
        let learned = if cfg.normalizer.learn {
            let lcfg = LearnConfig {
                min_documents: cfg.normalizer.learn_min_documents,
                max_words: cfg.normalizer.learn_max_words,
            };
            let memory = RedbLines::open(&cfg.state.dir, &lcfg, cfg.normalizer.learn_capacity)?;
            Some(LearnSetup {
                memory: Arc::new(memory),
                cfg: lcfg,
                source: match cfg.normalizer.source {
                    SourceMode::Subfolder => SourceOf::Subfolder,
                    SourceMode::Prefix => SourceOf::Prefix(cfg.normalizer.source_separator.clone()),
                },
            })
        } else {
            None
        };
        Ok(Resources {
            intake: Arc::new(intake),
            rules: Arc::new(rules),
            index: Arc::new(index),
            sink,
            route,
            remote: newsflow_sink::Remote { postgres, nats },
            learned,
        })
    }
}

/// Claims from an earlier run whose record already reached the sink (a crash
/// between commit and archive) are finished now, not processed again. Records of
/// multi-item files found on disk are returned: those files are replayed, and the
/// sink skips what it already wrote. With `replay_all` (another sink after the
/// JSONL output, which may lack what the output has) no claim is finished here:
/// every one is replayed, the JSONL sink skips the records it has, and the other
/// sink gets them all.
fn finish_already_committed(
    intake: &Intake,
    sink_dirs: &[std::path::PathBuf],
    replay_all: bool,
) -> Result<HashSet<String>, String> {
    let pending = intake.pending_claims();
    if pending.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: HashSet<String> = pending.iter().map(|c| c.id.clone()).collect();
    let since = pending
        .iter()
        .map(|c| {
            SystemTime::UNIX_EPOCH
                + Duration::from_secs(c.received_at.unix_timestamp().max(0) as u64)
        })
        .min()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let mut done = HashSet::new();
    for dir in sink_dirs {
        done.extend(newsflow_sink::committed_ids(dir, &ids, since).map_err(|e| {
            format!(
                "cannot read the output dir {} to recover: {e}",
                dir.display()
            )
        })?);
    }
    if replay_all {
        if !done.is_empty() {
            tracing::info!(
                records = done.len(),
                "files stopped after their JSONL write are processed again so that PostgreSQL and NATS have them too; the JSONL output does not get them twice"
            );
        }
        return Ok(done);
    }
    let mut n = 0;
    for claim in pending.iter().filter(|c| done.contains(&c.id)) {
        match intake.finish(claim) {
            Ok(_) => n += 1,
            Err(e) => {
                tracing::error!(file = %claim.rel_path, id = %claim.id, error = %e, "cannot archive a recovered file; it stays in the claim area")
            }
        }
    }
    if n > 0 {
        intake.sync_dirs();
        tracing::info!(
            files = n,
            "archived files whose records were committed just before the last stop"
        );
    }
    done.retain(|id| id.contains('.'));
    if !done.is_empty() {
        tracing::info!(
            records = done.len(),
            "files of several items were stopped part-way; they are processed again and their records already written are not written twice"
        );
    }
    Ok(done)
}

/// Decisions in flight at once against the shared dedup index of a worker.
const SHARED_DEDUP_TASKS: usize = 16;

/// A `*_workers` setting: 0 means one per CPU core.
fn workers_or_cores(n: usize) -> usize {
    if n == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        n
    }
}

/// Files a `once` run will take: claims left over plus what the inbox holds.
pub fn backlog(intake: &Intake) -> u64 {
    (intake.pending_claims().len() + intake.scan().len()) as u64
}

/// Settings that change while the daemon runs (SIGHUP); stages read them per item.
pub struct Live {
    pub rules: watch::Receiver<Arc<RuleSet>>,
    pub enrich: watch::Receiver<EnrichConfig>,
}

/// The enricher's settings from the config; an error names the gazetteer file
/// that does not load.
pub fn enrich_config(cfg: &Config) -> Result<EnrichConfig, String> {
    let gazetteer = match &cfg.enricher.gazetteer_dir {
        Some(dir) => Arc::new(
            newsflow_enricher::Gazetteer::load(dir)
                .map_err(|e| format!("[enricher] gazetteer_dir: {e}"))?,
        ),
        None => newsflow_enricher::Gazetteer::embedded(),
    };
    Ok(EnrichConfig {
        words_per_minute: cfg.enricher.words_per_minute,
        quotes: cfg.enricher.quotes,
        dates: cfg.enricher.dates,
        keywords: cfg.enricher.keywords,
        entities: cfg.enricher.entities,
        gazetteer,
        ..EnrichConfig::default()
    })
}

/// Runs the pipeline until the watcher stops (inbox done in `Once` mode, or
/// `shutdown`) and every claimed file has been archived or quarantined.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    cfg: &Config,
    res: Resources,
    live: Live,
    mode: Mode,
    role: Role,
    shutdown: watch::Receiver<bool>,
    counters: Arc<Counters>,
) -> Result<(), String> {
    let Resources {
        intake,
        rules: _,
        index,
        mut sink,
        route,
        remote,
        learned,
    } = res;
    let queue = match role {
        Role::All => None,
        _ => Some(WorkQueue::connect(&cfg.scaleout).await?),
    };
    if role == Role::Intake {
        let cap = cfg.pipeline.channel_capacity;
        return run_intake(
            intake,
            queue.expect("connected"),
            mode,
            shutdown,
            &counters,
            cap,
        )
        .await;
    }
    if role == Role::Worker {
        // Items taken but not finished before the last stop are still unacked in
        // the work queue and come back from there; the local copies go.
        let stale = intake.pending_claims();
        for c in &stale {
            let _ = intake.discard(c);
        }
        if !stale.is_empty() {
            tracing::info!(
                items = stale.len(),
                "worker: dropped local copies of items in flight at the last stop; the work queue redelivers them"
            );
        }
    } else {
        let intake = intake.clone();
        let mut dirs = vec![sink.dir().to_path_buf()];
        dirs.extend(route.as_ref().map(|r| r.dir().to_path_buf()));
        let replay_all = remote.postgres.is_some() || remote.nats.is_some();
        let written = tokio::task::spawn_blocking(move || {
            finish_already_committed(&intake, &dirs, replay_all)
        })
        .await
        .map_err(|e| e.to_string())??;
        sink.skip_written(written);
    }

    let cap = cfg.pipeline.channel_capacity;
    let (raw_tx, raw_rx) = async_channel::bounded(cap);
    let (norm_tx, norm_rx) = async_channel::bounded(cap);
    let (dedup_tx, dedup_rx) = async_channel::bounded(cap);
    let (enr_tx, enr_rx) = async_channel::bounded(cap);
    // Committed batches hold up to `batch_size` claims each: a short queue keeps the
    // sink from running far ahead of the archive moves.
    let (done_tx, done_rx) = async_channel::bounded::<Vec<Committed>>(2);
    let (fail_tx, fail_rx) = async_channel::bounded::<Failed>(cap);

    let depth = {
        let chans: Vec<(&'static str, DepthProbe)> = vec![
            (
                "normalizer",
                Box::new({
                    let c = raw_rx.clone();
                    move || c.len()
                }),
            ),
            (
                "deduplicator",
                Box::new({
                    let c = norm_rx.clone();
                    move || c.len()
                }),
            ),
            (
                "enricher",
                Box::new({
                    let c = dedup_rx.clone();
                    move || c.len()
                }),
            ),
            (
                "sink",
                Box::new({
                    let c = enr_rx.clone();
                    move || c.len()
                }),
            ),
        ];
        tokio::spawn(async move {
            loop {
                for (stage, len) in &chans {
                    metrics::gauge!(telemetry::CHANNEL_DEPTH, "stage" => *stage).set(len() as f64);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        })
    };

    let workers = workers_or_cores(cfg.pipeline.normalizer_workers);
    let acks = scaleout::Acks::default();
    let watcher = match &queue {
        None => tokio::spawn(newsflow_watcher::run(
            intake.clone(),
            mode,
            raw_tx,
            fail_tx.clone(),
            shutdown,
        )),
        Some(q) => {
            let (q, intake, acks, fail_tx) =
                (q.clone(), intake.clone(), acks.clone(), fail_tx.clone());
            tokio::spawn(async move {
                if let Err(e) = scaleout::consume(q, intake, acks, raw_tx, fail_tx, shutdown).await
                {
                    tracing::error!(error = %e, "worker: the work queue cannot be consumed; stopping");
                }
                newsflow_watcher::WatchStats::default()
            })
        }
    };
    let normalizer = tokio::spawn(newsflow_normalizer::run(
        raw_rx,
        norm_tx,
        fail_tx.clone(),
        live.rules,
        workers,
        learned,
        newsflow_normalizer::Limits {
            max_decompressed_bytes: cfg.intake.max_decompressed_bytes,
        },
    ));
    let dedup = match &queue {
        None => tokio::spawn(newsflow_deduplicator::run(
            index,
            norm_rx,
            dedup_tx,
            fail_tx.clone(),
        )),
        Some(q) => {
            let shared = newsflow_deduplicator::shared::SharedIndex::open(
                &q.js,
                &cfg.scaleout.dedup_bucket,
                cfg.dedup.dedup_config(),
            )
            .await
            .map_err(|e| format!("[scaleout] dedup_bucket: {e}"))?;
            tokio::spawn(newsflow_deduplicator::run_shared(
                shared,
                norm_rx,
                dedup_tx,
                SHARED_DEDUP_TASKS,
            ))
        }
    };
    let enricher = tokio::spawn(newsflow_enricher::run(
        dedup_rx,
        enr_tx,
        live.enrich,
        workers_or_cores(cfg.pipeline.enricher_workers),
    ));
    let routing = newsflow_sink::Routing {
        exact: cfg.dedup.exact_action.into(),
        near: cfg.dedup.near_action.into(),
    };
    let sink = tokio::spawn(newsflow_sink::run(
        sink, route, remote, routing, enr_rx, done_tx, fail_tx,
    ));

    let acker = queue.map(|q| (q, acks));
    let finish = match &acker {
        Some(a) => Finish::Ack(a),
        None => Finish::Local,
    };
    finisher(&intake, done_rx, fail_rx, &counters, finish).await;

    let stats = watcher.await.unwrap_or_default();
    for t in [normalizer, dedup, enricher, sink] {
        let _ = t.await;
    }
    depth.abort();
    tracing::debug!(
        claimed = stats.claimed,
        resumed = stats.resumed,
        "watcher stopped"
    );
    Ok(())
}

/// Ends every claim: committed ones to the archive, failed ones to quarantine.
/// What the finisher does beyond archiving or quarantining a claim.
#[derive(Clone, Copy)]
enum Finish<'a> {
    /// The single daemon: nothing more.
    Local,
    /// `--role intake`: the file's records are to come from the workers.
    Queued,
    /// `--role worker`: ack the claim's work item.
    Ack(&'a (WorkQueue, scaleout::Acks)),
}

async fn finisher(
    intake: &Arc<Intake>,
    done_rx: async_channel::Receiver<Vec<Committed>>,
    fail_rx: async_channel::Receiver<Failed>,
    counters: &Counters,
    finish: Finish<'_>,
) {
    let (mut done_open, mut fail_open) = (true, true);
    while done_open || fail_open {
        let finished = tokio::select! {
            batch = done_rx.recv(), if done_open => match batch {
                Ok(mut batch) => {
                    // Batches committed while the last one was being archived are
                    // archived together: one set of directory fsyncs for all.
                    while let Ok(more) = done_rx.try_recv() {
                        batch.extend(more);
                    }
                    archive(intake, batch, counters, matches!(finish, Finish::Queued)).await
                }
                Err(_) => { done_open = false; Vec::new() }
            },
            failed = fail_rx.recv(), if fail_open => match failed {
                Ok(failed) => quarantine(intake, failed, counters).await.into_iter().collect(),
                Err(_) => { fail_open = false; Vec::new() }
            },
        };
        if let Finish::Ack((queue, acks)) = finish {
            for id in finished {
                acks.ack(queue, &id).await;
            }
        }
    }
}

/// `--role intake`: claims files and hands them to the work queue; a file is
/// archived once the server has stored it.
async fn run_intake(
    intake: Arc<Intake>,
    queue: WorkQueue,
    mode: Mode,
    shutdown: watch::Receiver<bool>,
    counters: &Counters,
    cap: usize,
) -> Result<(), String> {
    let (raw_tx, raw_rx) = async_channel::bounded(cap);
    let (done_tx, done_rx) = async_channel::bounded::<Vec<Committed>>(cap);
    let (fail_tx, fail_rx) = async_channel::bounded::<Failed>(cap);
    let watcher = tokio::spawn(newsflow_watcher::run(
        intake.clone(),
        mode,
        raw_tx,
        fail_tx,
        shutdown,
    ));
    let publisher = tokio::spawn(scaleout::publish(queue, raw_rx, done_tx));
    finisher(&intake, done_rx, fail_rx, counters, Finish::Queued).await;
    let _ = watcher.await;
    let _ = publisher.await;
    Ok(())
}

/// Returns the claim ids that left the claim area.
/// `queued`: the intake role, whose files are archived once the work queue has them.
async fn archive(
    intake: &Arc<Intake>,
    batch: Vec<Committed>,
    counters: &Counters,
    queued: bool,
) -> Vec<String> {
    let intake = intake.clone();
    let results = tokio::task::spawn_blocking(move || {
        let r: Vec<_> = batch
            .into_iter()
            .map(|c| {
                let r = if c.failures.is_empty() {
                    intake.finish(&c.claim).map(Outcome::Archived)
                } else {
                    intake
                        .quarantine_items(&c.claim, &items_error(&c), &c.failures, &c.ids)
                        .map(Outcome::Quarantined)
                };
                (c, r)
            })
            .collect();
        intake.sync_dirs();
        r
    })
    .await
    .unwrap_or_else(|e| {
        tracing::error!(error = %e, "archiving a committed batch failed; its files stay claimed and are archived at the next start");
        Vec::new()
    });
    let mut finished = Vec::with_capacity(results.len());
    for (c, r) in results {
        if r.is_ok() {
            finished.push(c.claim.id.clone());
        }
        counters.files.fetch_add(1, Ordering::Relaxed);
        counters
            .records
            .fetch_add(c.ids.len() as u64, Ordering::Relaxed);
        counters
            .duplicates
            .fetch_add(c.duplicates as u64, Ordering::Relaxed);
        metrics::histogram!(telemetry::END_TO_END_SECONDS)
            .record(c.claim.started.elapsed().as_secs_f64());
        match r {
            Ok(Outcome::Archived(dest)) if queued => {
                metrics::counter!(telemetry::FILES_ARCHIVED).increment(1);
                tracing::info!(file = %c.claim.rel_path, id = %c.claim.id,
                    archived_to = dest.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "(deleted)".into()),
                    "file queued for the workers");
            }
            Ok(Outcome::Archived(dest)) => {
                metrics::counter!(telemetry::FILES_ARCHIVED).increment(1);
                tracing::info!(file = %c.claim.rel_path, id = %c.claim.id, records = c.ids.len(), duplicates = c.duplicates,
                    archived_to = dest.as_ref().map(|d| d.display().to_string()).unwrap_or_else(|| "(deleted)".into()),
                    latency_ms = c.claim.started.elapsed().as_millis() as u64, "record committed");
            }
            Ok(Outcome::Quarantined(dest)) => {
                counters.quarantined.fetch_add(1, Ordering::Relaxed);
                let items: Vec<usize> = c.failures.iter().map(|f| f.item).collect();
                tracing::warn!(file = %c.claim.rel_path, id = %c.claim.id, records = c.ids.len(), failed_items = ?items,
                    quarantined_to = %dest.display(),
                    "some items of the file could not become records; the others are committed and the file is quarantined, its note lists the failed items and why");
            }
            Err(e) => tracing::error!(file = %c.claim.rel_path, id = %c.claim.id, error = %e,
                "records committed but the file cannot be moved out of the claim area; it will be finished at the next start. Check the archive and quarantine dirs' permissions and free space"),
        }
    }
    finished
}

/// Where a committed claim went.
enum Outcome {
    Archived(Option<std::path::PathBuf>),
    Quarantined(std::path::PathBuf),
}

/// The quarantine reason of a file some of whose items failed: the first
/// failure's, with a message that counts them.
fn items_error(c: &Committed) -> newsflow_record::StageError {
    let first = &c.failures[0];
    let list: Vec<String> = c
        .failures
        .iter()
        .take(5)
        .map(|f| format!("item {}: {} ({})", f.item, f.reason, f.message))
        .collect();
    newsflow_record::StageError::new(
        first.stage,
        first.reason,
        format!(
            "{} item(s) of the file could not become records, {} did and are committed ({}{}); \
             fix the failed items and drop only them again, or the records of the others will \
             come back as duplicates",
            c.failures.len(),
            c.ids.len(),
            list.join("; "),
            if c.failures.len() > 5 { "; …" } else { "" }
        ),
    )
}

/// Returns the claim id if the file reached quarantine.
async fn quarantine(intake: &Arc<Intake>, failed: Failed, counters: &Counters) -> Option<String> {
    let intake = intake.clone();
    let (failed, r) = tokio::task::spawn_blocking(move || {
        let r = intake.quarantine(&failed.claim, &failed.error);
        (failed, r)
    })
    .await
    .expect("quarantine does not panic");
    counters.files.fetch_add(1, Ordering::Relaxed);
    counters.quarantined.fetch_add(1, Ordering::Relaxed);
    let Failed { claim, error } = failed;
    match r {
        Ok(dest) => {
            tracing::warn!(file = %claim.rel_path, id = %claim.id, stage = %error.stage, reason = %error.reason,
            quarantined_to = %dest.display(), "file quarantined: {}", error.message);
            Some(claim.id)
        }
        Err(e) => {
            tracing::error!(file = %claim.rel_path, id = %claim.id, reason = %error.reason, error = %e,
            "cannot move a refused file to quarantine; it stays in the claim area and is retried at the next start. Check the quarantine dir");
            None
        }
    }
}
