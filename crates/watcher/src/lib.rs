//! The watcher stage: finds files in the inbox, claims them, reads them and hands
//! them to the normalizer.
//!
//! [`intake`] is the synchronous core: the folders and the claim protocol. [`run`]
//! is the async runner: it resumes claims an earlier run left, scans the inbox,
//! and in watch mode follows `notify` events, claiming each file once it has
//! settled (closed after writing, moved in, or quiet for `settle`).

pub mod intake;

use intake::{ClaimOutcome, Intake};
use newsflow_record::telemetry;
use newsflow_record::{Claim, Failed, RawItem, Stage};
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, watch, Semaphore};

/// How the watcher runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Take what is in the inbox at start, then stop (backfill).
    Once,
    /// Keep watching until shutdown, rescanning every `rescan` as a safety net
    /// for missed events.
    Watch { rescan: Duration },
}

/// Counts the runner reports when it stops.
#[derive(Debug, Default, Clone, Copy)]
pub struct WatchStats {
    pub claimed: u64,
    pub resumed: u64,
}

/// Claims and reads files until the inbox is done (`Once`) or `shutdown` turns true.
/// Dropping `tx` on return tells the rest of the pipeline to drain.
pub async fn run(
    intake: Arc<Intake>,
    mode: Mode,
    tx: async_channel::Sender<RawItem>,
    failed: async_channel::Sender<Failed>,
    mut shutdown: watch::Receiver<bool>,
) -> WatchStats {
    let mut stats = WatchStats::default();
    let budget = Arc::new(Semaphore::new(budget_total(&intake) as usize));
    let hand = Hand {
        intake: intake.clone(),
        tx,
        failed,
        budget,
    };

    // Claims an earlier run left unfinished go first, in claim order.
    for claim in intake.pending_claims() {
        if *shutdown.borrow() {
            return stats;
        }
        tracing::info!(file = %claim.rel_path, id = %claim.id, "resuming a file claimed before the last stop");
        stats.resumed += 1;
        if !hand.read_and_send(claim).await {
            return stats;
        }
    }

    match mode {
        Mode::Once => {
            for path in intake.scan() {
                if *shutdown.borrow() {
                    break;
                }
                wait_settled(&intake, &path).await;
                if !hand.claim_and_send(path, &mut stats).await {
                    break;
                }
            }
        }
        Mode::Watch { rescan } => watch_loop(&hand, rescan, &mut shutdown, &mut stats).await,
    }
    stats
}

/// A found file waits until it has been still for the settle period.
async fn wait_settled(intake: &Intake, path: &std::path::Path) {
    let settle = intake.config().settle;
    while !intake.settled_by_mtime(path) {
        tokio::time::sleep(settle.min(Duration::from_millis(200))).await;
    }
}

struct Hand {
    intake: Arc<Intake>,
    tx: async_channel::Sender<RawItem>,
    failed: async_channel::Sender<Failed>,
    /// Bytes of file content allowed in flight at once (`[pipeline] max_inflight_bytes`).
    budget: Arc<Semaphore>,
}

fn budget_total(intake: &Intake) -> u32 {
    intake
        .config()
        .max_inflight_bytes
        .clamp(1, u64::from(u32::MAX)) as u32
}

impl Hand {
    /// Returns false when the pipeline has closed and the watcher should stop.
    async fn claim_and_send(&self, path: PathBuf, stats: &mut WatchStats) -> bool {
        let intake = self.intake.clone();
        let p = path.clone();
        let outcome = tokio::task::spawn_blocking(move || intake.claim(&p)).await;
        match outcome {
            Ok(Ok(ClaimOutcome::Claimed(claim))) => {
                stats.claimed += 1;
                tracing::debug!(file = %claim.rel_path, id = %claim.id, "claimed");
                self.read_and_send(claim).await
            }
            Ok(Ok(ClaimOutcome::Gone)) => {
                tracing::debug!(path = %path.display(), "file left the inbox before it could be claimed (taken by another process or removed by its producer)");
                true
            }
            Ok(Ok(ClaimOutcome::Skipped)) => true,
            Ok(Err(e)) => {
                tracing::error!(path = %path.display(), error = %e, "cannot claim a file; it stays in the inbox and is retried at the next scan. Check that newsflow may rename files in the inbox and the state dir");
                true
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "claim task failed");
                true
            }
        }
    }

    async fn read_and_send(&self, mut claim: Claim) -> bool {
        // Memory stays bounded whatever the file sizes: a file is read only once its
        // bytes fit in the in-flight budget, and holds them until it is finished.
        let size = std::fs::symlink_metadata(&claim.path)
            .map(|m| m.len())
            .unwrap_or(0);
        let want = size
            .min(self.intake.config().max_bytes)
            .min(u64::from(u32::MAX)) as u32;
        let want = want.min(budget_total(&self.intake));
        match self.budget.clone().acquire_many_owned(want).await {
            Ok(permit) => claim.budget = Some(permit),
            Err(_) => return false,
        }
        telemetry::item_in(Stage::Watcher);
        let started = Instant::now();
        let intake = self.intake.clone();
        let read = tokio::task::spawn_blocking(move || {
            let r = intake.read(&claim);
            (claim, r)
        })
        .await;
        let Ok((claim, result)) = read else {
            return true;
        };
        match result {
            Ok((bytes, sha256)) => {
                telemetry::item_out(Stage::Watcher, started.elapsed());
                self.tx
                    .send(RawItem {
                        claim,
                        bytes,
                        sha256,
                    })
                    .await
                    .is_ok()
            }
            Err(error) => {
                telemetry::item_failed(Stage::Watcher, started.elapsed());
                self.failed.send(Failed { claim, error }).await.is_ok()
            }
        }
    }
}

/// State of a path the watcher has heard about but not claimed yet.
struct Pending {
    last_event: Instant,
    /// The producer closed the file after writing, or moved it in whole.
    complete: bool,
}

async fn watch_loop(
    hand: &Hand,
    rescan: Duration,
    shutdown: &mut watch::Receiver<bool>,
    stats: &mut WatchStats,
) {
    let intake = &hand.intake;
    let settle = intake.config().settle;
    // A bounded queue: when the pipeline is slow the notify thread blocks, the
    // kernel queue overflows, and the next rescan picks up what was missed. Memory
    // stays bounded whatever is dropped.
    let (ev_tx, mut ev_rx) = mpsc::channel::<notify::Result<notify::Event>>(4096);
    let mut watcher = match notify::recommended_watcher(move |ev| {
        let _ = ev_tx.blocking_send(ev);
    }) {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::error!(error = %e, "cannot start the file-system watcher; falling back to rescanning the inbox every second");
            None
        }
    };
    let mode = if intake.config().recursive {
        RecursiveMode::Recursive
    } else {
        RecursiveMode::NonRecursive
    };
    let mut rescan_every = rescan;
    if let Some(w) = watcher.as_mut() {
        if let Err(e) = w.watch(&intake.config().inbox, mode) {
            tracing::error!(inbox = %intake.config().inbox.display(), error = %e, "cannot watch the inbox; falling back to rescanning it every second");
            watcher = None;
        }
    }
    if watcher.is_none() {
        rescan_every = Duration::from_secs(1);
    }

    let mut pending: HashMap<PathBuf, Pending> = HashMap::new();
    let mut next_rescan = Instant::now();
    let tick = (settle / 4).clamp(Duration::from_millis(20), Duration::from_millis(250));
    loop {
        if *shutdown.borrow() {
            break;
        }
        if Instant::now() >= next_rescan {
            for path in intake.scan() {
                pending.entry(path).or_insert(Pending {
                    last_event: Instant::now() - settle,
                    complete: false,
                });
            }
            next_rescan = Instant::now() + rescan_every;
        }

        // Claim whatever is ready, oldest event first.
        let now = Instant::now();
        let mut ready: Vec<(PathBuf, Instant, bool)> = pending
            .iter()
            .filter(|(_, p)| p.complete || now.duration_since(p.last_event) >= settle)
            .map(|(path, p)| (path.clone(), p.last_event, p.complete))
            .collect();
        ready.sort_by_key(|(_, t, _)| *t);
        for (path, _, complete) in ready {
            if *shutdown.borrow() {
                break;
            }
            pending.remove(&path);
            // Without a close-write or moved-in event, the file must also look still
            // on disk: a writer that pauses between events must not be read half-way.
            if !complete && !intake.settled_by_mtime(&path) {
                pending.insert(
                    path,
                    Pending {
                        last_event: Instant::now(),
                        complete: false,
                    },
                );
                continue;
            }
            if !hand.claim_and_send(path, stats).await {
                return;
            }
        }

        tokio::select! {
            _ = shutdown.changed() => {}
            _ = tokio::time::sleep(tick) => {}
            ev = ev_rx.recv() => {
                let mut batch = Vec::new();
                if let Some(ev) = ev { batch.push(ev); }
                while let Ok(ev) = ev_rx.try_recv() { batch.push(ev); }
                for ev in batch {
                    match ev {
                        Ok(ev) => note_event(&mut pending, ev, &mut next_rescan),
                        Err(e) => {
                            tracing::warn!(error = %e, "file-system watcher error; rescanning the inbox");
                            next_rescan = Instant::now();
                        }
                    }
                }
            }
        }
    }
    drop(watcher);
}

fn note_event(
    pending: &mut HashMap<PathBuf, Pending>,
    ev: notify::Event,
    next_rescan: &mut Instant,
) {
    if ev.need_rescan() {
        tracing::warn!(
            "the file-system watcher lost events (queue overflow); rescanning the inbox"
        );
        *next_rescan = Instant::now();
        return;
    }
    let complete = matches!(
        ev.kind,
        EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(RenameMode::To))
            | EventKind::Modify(ModifyKind::Name(RenameMode::Both))
    );
    // A rename *out of* a path (our own claims, among others) says nothing new.
    let relevant = complete
        || matches!(
            ev.kind,
            EventKind::Create(CreateKind::File)
                | EventKind::Create(CreateKind::Any)
                | EventKind::Create(CreateKind::Other)
                | EventKind::Modify(ModifyKind::Data(_))
                | EventKind::Modify(ModifyKind::Any)
                | EventKind::Modify(ModifyKind::Other)
                | EventKind::Modify(ModifyKind::Name(RenameMode::Any))
        );
    if !relevant {
        // A new directory may already hold files moved in with it.
        if matches!(ev.kind, EventKind::Create(CreateKind::Folder)) {
            *next_rescan = Instant::now();
        }
        return;
    }
    let paths = if matches!(
        ev.kind,
        EventKind::Modify(ModifyKind::Name(RenameMode::Both))
    ) {
        ev.paths.last().cloned().into_iter().collect()
    } else {
        ev.paths
    };
    for path in paths {
        if path.is_dir() {
            *next_rescan = Instant::now();
            continue;
        }
        let entry = pending.entry(path).or_insert(Pending {
            last_event: Instant::now(),
            complete: false,
        });
        entry.last_event = Instant::now();
        entry.complete = complete;
    }
}
