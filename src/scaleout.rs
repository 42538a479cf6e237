//! Scale-out on NATS JetStream: `newsflow run --role intake` claims dropped
//! files and publishes them to a work-queue stream; `--role worker` consumes
//! them, runs the stages, writes the sinks, and only then acks.
//!
//! ```text
//! inbox ─▶ intake (watcher ─▶ publish ─▶ archive)
//!                       │ work queue (JetStream, Nats-Msg-Id = claim id)
//!                       ▼
//! worker ×N: consume ─▶ normalizer ─▶ deduplicator (shared KV) ─▶ enricher ─▶ sinks ─▶ ack
//! ```
//!
//! Delivery: the intake archives a file only after the server acked its item;
//! a crash before that replays the claim, and the stream drops the second copy
//! by its message id. A worker acks only after every sink has the records and
//! the claim is finished (or quarantined); a worker killed mid-item leaves the
//! item unacked, and the server redelivers it after `ack_wait_secs`. The replay
//! is harmless: record ids derive from the claim id, the shared dedup index
//! returns a stored decision, and the PostgreSQL and NATS sinks ignore ids they
//! have.
//!
//! An item is one message: a JSON envelope line, a newline, the file's bytes.
//! Files larger than `max_message_bytes` go to a JetStream object store under
//! the claim id and the envelope says so; the worker deletes the object after
//! its ack.

use crate::config::ScaleoutSection;
use async_nats::jetstream::{self, consumer, object_store, stream};
use futures_util::StreamExt;
use newsflow_record::{Committed, Failed, RawItem, Reason, Stage, StageError};
use newsflow_watcher::intake::Intake;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::sync::watch;

/// Which part of the pipeline this process runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Role {
    /// Everything in one process (the single-node daemon).
    #[default]
    All,
    /// Watch the inbox and publish items to the work queue.
    Intake,
    /// Consume items from the work queue, process them, write the sinks.
    Worker,
}

/// What precedes the file's bytes in a work item.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    claim: String,
    rel_path: String,
    sha256: String,
    size: u64,
    /// The bytes are in the object store under the claim id, not in the message.
    #[serde(default)]
    object: bool,
}

/// The work-queue stream, and the object store for large files.
#[derive(Clone)]
pub struct WorkQueue {
    pub js: jetstream::Context,
    cfg: ScaleoutSection,
    objects: object_store::ObjectStore,
}

impl WorkQueue {
    /// Connects and creates the stream and object store if missing.
    pub async fn connect(cfg: &ScaleoutSection) -> Result<WorkQueue, String> {
        let client = async_nats::ConnectOptions::new()
            .name("newsflow")
            .connection_timeout(Duration::from_secs(cfg.connect_timeout_secs))
            .retry_on_initial_connect()
            .connect(cfg.url.as_str())
            .await
            .map_err(|e| format!("[scaleout] url: cannot connect to {}: {e}", cfg.url))?;
        let js = jetstream::new(client);
        // The first request waits for the connection; bounded so that a wrong
        // url fails start-up with a message instead of hanging.
        let stream_cfg = stream::Config {
            name: cfg.work_stream.clone(),
            subjects: vec![cfg.work_subject.clone()],
            retention: stream::RetentionPolicy::WorkQueue,
            duplicate_window: Duration::from_secs(cfg.duplicate_window_secs),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        tokio::time::timeout(
            Duration::from_secs(cfg.connect_timeout_secs),
            js.get_or_create_stream(stream_cfg),
        )
        .await
        .map_err(|_| {
            format!(
                "[scaleout] url: no answer from a JetStream server at {} within {} s; start nats-server with -js (README: Services)",
                cfg.url, cfg.connect_timeout_secs
            )
        })?
        .map_err(|e| format!("[scaleout] work_stream: cannot create or open {}: {e}", cfg.work_stream))?;
        let bucket = format!("{}_files", cfg.work_stream);
        let objects = match js.get_object_store(&bucket).await {
            Ok(o) => o,
            Err(_) => js
                .create_object_store(object_store::Config {
                    bucket: bucket.clone(),
                    description: Some("newsflow: files too large for one work message".into()),
                    storage: stream::StorageType::File,
                    ..Default::default()
                })
                .await
                .map_err(|e| format!("cannot create the object store {bucket}: {e}"))?,
        };
        tracing::info!(url = %cfg.url, stream = %cfg.work_stream, "connected to the JetStream work queue");
        Ok(WorkQueue {
            js,
            cfg: cfg.clone(),
            objects,
        })
    }

    /// Publishes one item and waits for the server to store it.
    async fn publish(&self, item: &RawItem) -> Result<(), String> {
        let large = item.bytes.len() as u64 > self.cfg.max_message_bytes;
        if large {
            // Put is whole-or-nothing per name; a replay overwrites with the same bytes.
            let mut reader: &[u8] = &item.bytes;
            self.objects
                .put(item.claim.id.as_str(), &mut reader)
                .await
                .map_err(|e| format!("cannot store the file in the object store: {e}"))?;
        }
        let env = Envelope {
            claim: item.claim.id.clone(),
            rel_path: item.claim.rel_path.clone(),
            sha256: item.sha256.clone(),
            size: item.bytes.len() as u64,
            object: large,
        };
        let mut payload = serde_json::to_vec(&env).map_err(|e| e.to_string())?;
        payload.push(b'\n');
        if !large {
            payload.extend_from_slice(&item.bytes);
        }
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("Nats-Msg-Id", item.claim.id.as_str());
        let ack = self
            .js
            .publish_with_headers(self.cfg.work_subject.clone(), headers, payload.into())
            .await
            .map_err(|e| format!("cannot publish: {e}"))?;
        let ack = ack.await.map_err(|e| format!("no ack: {e}"))?;
        if ack.duplicate {
            tracing::info!(file = %item.claim.rel_path, id = %item.claim.id, "the work queue already had this item (a replay); not queued twice");
        }
        Ok(())
    }
}

/// The intake role's last stage: each raw item goes to the work queue, and is
/// then handed to the finisher as committed (it archives the file). A publish
/// that fails is retried with backoff; meanwhile the watcher stops claiming.
pub async fn publish(
    queue: WorkQueue,
    rx: async_channel::Receiver<RawItem>,
    done: async_channel::Sender<Vec<Committed>>,
) {
    while let Ok(item) = rx.recv().await {
        let mut backoff = Duration::from_millis(200);
        while let Err(e) = queue.publish(&item).await {
            metrics::counter!(newsflow_record::telemetry::SINK_ERRORS, "sink" => "workqueue", "kind" => "publish").increment(1);
            tracing::error!(file = %item.claim.rel_path, id = %item.claim.id, error = %e, retry_in_ms = backoff.as_millis() as u64,
                "cannot hand the file to the work queue; it stays claimed and is retried (check the NATS server and [scaleout] url)");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        metrics::counter!(newsflow_record::telemetry::SINK_RECORDS, "sink" => "workqueue")
            .increment(1);
        let committed = Committed {
            claim: item.claim,
            ids: Vec::new(),
            duplicates: 0,
            failures: Vec::new(),
        };
        if done.send(vec![committed]).await.is_err() {
            return;
        }
    }
}

/// Messages taken but not yet acked, by claim id, with whether their bytes
/// are in the object store. The finisher acks them.
#[derive(Clone, Default)]
pub struct Acks(Arc<Mutex<HashMap<String, (jetstream::Message, bool)>>>);

impl Acks {
    /// Acks the item of `claim` (after its records are committed, or it is
    /// quarantined), and removes its object if it had one.
    pub async fn ack(&self, queue: &WorkQueue, claim: &str) {
        let entry = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(claim);
        let Some((msg, object)) = entry else {
            return;
        };
        if let Err(e) = msg.double_ack().await {
            // Unacked, the item comes back after ack_wait: processed again, harmlessly.
            tracing::warn!(id = claim, error = %e, "could not ack a finished work item; the server will redeliver it and the replay will change nothing");
            return;
        }
        if object {
            if let Err(e) = queue.objects.delete(claim).await {
                tracing::warn!(id = claim, error = %e, "could not delete a finished file from the object store");
            }
        }
    }
}

/// The worker role's first stage: takes items from the work queue as claims of
/// this process and sends them down the pipeline. Items it cannot read (not
/// from a newsflow intake) go to quarantine like a bad file.
pub async fn consume(
    queue: WorkQueue,
    intake: Arc<Intake>,
    acks: Acks,
    tx: async_channel::Sender<RawItem>,
    failed: async_channel::Sender<Failed>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(), String> {
    let cfg = &queue.cfg;
    let stream = queue
        .js
        .get_stream(&cfg.work_stream)
        .await
        .map_err(|e| format!("cannot open the work stream {}: {e}", cfg.work_stream))?;
    let consumer: consumer::PullConsumer = stream
        .get_or_create_consumer(
            &cfg.consumer,
            consumer::pull::Config {
                durable_name: Some(cfg.consumer.clone()),
                ack_policy: consumer::AckPolicy::Explicit,
                ack_wait: Duration::from_secs(cfg.ack_wait_secs),
                max_ack_pending: cfg.max_ack_pending,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| format!("cannot create the consumer {}: {e}", cfg.consumer))?;
    let mut messages = consumer
        .stream()
        .max_messages_per_batch(cfg.fetch_batch)
        .messages()
        .await
        .map_err(|e| format!("cannot pull from the work queue: {e}"))?;
    tracing::info!(stream = %cfg.work_stream, consumer = %cfg.consumer, "worker: taking items from the work queue");
    loop {
        let next = tokio::select! {
            _ = shutdown.wait_for(|s| *s) => break,
            m = messages.next() => m,
        };
        let msg = match next {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "pulling from the work queue failed; retrying");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
            None => break,
        };
        if !take(&queue, &intake, &acks, msg, &tx, &failed).await {
            break;
        }
    }
    Ok(())
}

/// One message into the pipeline; false when the pipeline has closed.
async fn take(
    queue: &WorkQueue,
    intake: &Arc<Intake>,
    acks: &Acks,
    msg: jetstream::Message,
    tx: &async_channel::Sender<RawItem>,
    failed: &async_channel::Sender<Failed>,
) -> bool {
    let payload = msg.payload.clone();
    let split = payload.iter().position(|&b| b == b'\n');
    let env: Option<Envelope> = split.and_then(|at| serde_json::from_slice(&payload[..at]).ok());
    let Some(env) = env else {
        // Not ours: kept whole in quarantine under a fresh id, then acked.
        let id = uuid_v7();
        let claim = match intake.adopt(&id, "unreadable-work-item", &payload) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot write an unreadable work item to the claim area; it stays in the queue");
                return true;
            }
        };
        acks.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, (msg, false));
        let error = StageError::new(
            Stage::Watcher,
            Reason::Malformed,
            "a work-queue message without a newsflow envelope (was it published by `newsflow run --role intake`?)",
        );
        return failed.send(Failed { claim, error }).await.is_ok();
    };
    if acks
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains_key(&env.claim)
    {
        // Redelivered while still in flight here: the first delivery finishes it.
        let _ = msg.ack_with(jetstream::AckKind::Progress).await;
        return true;
    }
    let bytes = if env.object {
        match fetch_object(queue, &env.claim).await {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(id = %env.claim, file = %env.rel_path, error = %e, "cannot fetch a large file from the object store; the item is left for redelivery");
                return true;
            }
        }
    } else {
        payload[split.unwrap_or(0) + 1..].to_vec()
    };
    let (claim, bytes) = {
        let intake = intake.clone();
        let (id, rel) = (env.claim.clone(), env.rel_path.clone());
        // The bytes go to the blocking task and come back: no copy per item.
        let adopted = tokio::task::spawn_blocking(move || {
            let r = intake.adopt(&id, &rel, &bytes);
            (r, bytes)
        })
        .await;
        match adopted {
            Ok((Ok(c), bytes)) => (c, bytes),
            Ok((Err(e), _)) => {
                tracing::error!(id = %env.claim, error = %e, "cannot write a work item to the claim area (check [state] dir); it is left for redelivery");
                return true;
            }
            Err(_) => return true,
        }
    };
    acks.0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(env.claim.clone(), (msg, env.object));
    let item = RawItem {
        claim,
        bytes,
        sha256: env.sha256,
    };
    tx.send(item).await.is_ok()
}

async fn fetch_object(queue: &WorkQueue, name: &str) -> Result<Vec<u8>, String> {
    let mut obj = queue.objects.get(name).await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    obj.read_to_end(&mut out).await.map_err(|e| e.to_string())?;
    Ok(out)
}

fn uuid_v7() -> String {
    uuid::Uuid::now_v7().to_string()
}
