//! The NATS JetStream sink: every record the JSONL sink keeps, published to a
//! stream with `Nats-Msg-Id` = record id.
//!
//! JetStream drops a message whose id it has seen within the stream's
//! `duplicate_window`, so a batch published again (after a crash, or a retry
//! whose first attempt did reach the server) adds nothing; the ack says
//! `duplicate`, which we count. A batch is published as a burst and every ack is
//! awaited before the batch counts as written: the caller acknowledges no file
//! before the server has stored each of its records.
//!
//! The window bounds the guarantee: a replay later than `duplicate_window` after
//! the first publish would be stored twice. Recovery replays only what was
//! claimed before a crash, so the default window (2 minutes, raised here to 10)
//! must cover the time the daemon is down; consumers that need more can also
//! dedupe on the `Nats-Msg-Id` header, which is the record id.

use async_nats::jetstream::{self, stream};
use newsflow_record::telemetry;
use std::time::{Duration, Instant};

/// Settings from `[sink.nats]`.
#[derive(Debug, Clone, PartialEq)]
pub struct NatsConfig {
    /// Server URL(s), comma-separated (`nats://127.0.0.1:4222`).
    pub url: String,
    /// Stream name; created when missing.
    pub stream: String,
    /// Subject records are published on (must be one of the stream's subjects).
    pub subject: String,
    /// `limits`, `interest` or `workqueue`, for a stream the sink creates.
    pub retention: Retention,
    /// Oldest message kept (0 = no limit), for a stream the sink creates.
    pub max_age: Duration,
    /// Most bytes kept (0 = no limit), for a stream the sink creates.
    pub max_bytes: u64,
    /// How long the server remembers message ids to drop replays.
    pub duplicate_window: Duration,
    /// Most messages awaiting their ack at once; a larger batch goes in bursts.
    pub batch_size: usize,
    pub connect_timeout: Duration,
}

/// The stream's retention policy, as `[sink.nats] retention` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    Limits,
    Interest,
    WorkQueue,
}

/// Whether `name` is a JetStream stream name (no whitespace, `.`, `*`, `>`, path separators).
pub fn valid_stream_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && !name
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '.' | '*' | '>' | '/' | '\\'))
}

/// Whether `subject` is a concrete subject to publish on (tokens separated by
/// `.`, none empty, no wildcards).
pub fn valid_subject(subject: &str) -> bool {
    !subject.is_empty()
        && subject
            .split('.')
            .all(|t| !t.is_empty() && !t.contains(['*', '>']) && !t.contains(char::is_whitespace))
}

/// What went wrong talking to the server, as the retry loop and the metrics see it.
#[derive(Debug)]
pub struct NatsError {
    /// `connect`, `stream` or `publish`.
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for NatsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

fn err(kind: &'static str, e: impl std::fmt::Display) -> NatsError {
    NatsError {
        kind,
        message: e.to_string(),
    }
}

/// NATS's own default `max_payload`, assumed until the server says otherwise.
pub const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// A connection (made on first use) and the stream it publishes to.
pub struct NatsSink {
    pub cfg: NatsConfig,
    js: Option<jetstream::Context>,
    /// The server's `max_payload`; records larger than this cannot be published
    /// and are failed before anything is written (see [`NatsSink::max_payload`]).
    max_payload: usize,
}

impl NatsSink {
    pub fn new(cfg: NatsConfig) -> NatsSink {
        NatsSink {
            cfg,
            js: None,
            max_payload: DEFAULT_MAX_PAYLOAD,
        }
    }

    /// Largest record (JSON bytes, headers aside) the server takes.
    pub fn max_payload(&self) -> usize {
        self.max_payload
    }

    async fn connect(&mut self) -> Result<&jetstream::Context, NatsError> {
        if let Some(js) = &self.js {
            if js.client().connection_state() == async_nats::connection::State::Connected {
                return Ok(self.js.as_ref().expect("checked"));
            }
            // The client reconnects by itself; publishing meanwhile only times out.
            return Err(err("connect", "not connected to the server (reconnecting)"));
        }
        let client = async_nats::ConnectOptions::new()
            .name("newsflow")
            .connection_timeout(self.cfg.connect_timeout)
            .connect(self.cfg.url.as_str())
            .await
            .map_err(|e| err("connect", e))?;
        let info = client.server_info();
        // Headers (the message id) count against max_payload too.
        let room = (info.max_payload).saturating_sub(256).max(1024);
        self.max_payload = room;
        if !info.jetstream {
            return Err(err(
                "stream",
                format!(
                    "the server at {} does not have JetStream enabled (start nats-server with -js)",
                    self.cfg.url
                ),
            ));
        }
        let js = jetstream::new(client);
        let wanted = stream::Config {
            name: self.cfg.stream.clone(),
            subjects: vec![self.cfg.subject.clone()],
            retention: match self.cfg.retention {
                Retention::Limits => stream::RetentionPolicy::Limits,
                Retention::Interest => stream::RetentionPolicy::Interest,
                Retention::WorkQueue => stream::RetentionPolicy::WorkQueue,
            },
            max_age: self.cfg.max_age,
            max_bytes: if self.cfg.max_bytes == 0 {
                -1
            } else {
                self.cfg.max_bytes as i64
            },
            duplicate_window: self.cfg.duplicate_window,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let stream = js
            .get_or_create_stream(wanted)
            .await
            .map_err(|e| err("stream", e))?;
        let info = stream.cached_info();
        if !info
            .config
            .subjects
            .iter()
            .any(|s| subject_matches(s, &self.cfg.subject))
        {
            return Err(err(
                "stream",
                format!(
                    "stream {} exists but does not take subject {} (its subjects: {}); \
                     set [sink.nats] subject to one of them or use another stream",
                    self.cfg.stream,
                    self.cfg.subject,
                    info.config.subjects.join(", ")
                ),
            ));
        }
        if info.config.duplicate_window < self.cfg.duplicate_window {
            tracing::warn!(stream = %self.cfg.stream, server_window_secs = info.config.duplicate_window.as_secs(),
                "the existing stream remembers message ids for less than [sink.nats] duplicate_window; \
                 replays after a longer outage may be stored twice");
        }
        metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "nats").set(1.0);
        tracing::info!(url = %self.cfg.url, stream = %self.cfg.stream, subject = %self.cfg.subject, "connected to NATS JetStream");
        self.js = Some(js);
        Ok(self.js.as_ref().expect("just set"))
    }

    /// Publishes `msgs` (record id, JSON) and awaits every ack. Returns how many
    /// the server stored as new (the rest it recognised as replays).
    pub async fn write(&mut self, msgs: &[(String, Vec<u8>)]) -> Result<u64, NatsError> {
        if msgs.is_empty() {
            return Ok(0);
        }
        let subject = self.cfg.subject.clone();
        let js = self.connect().await?.clone();
        let mut acks = Vec::with_capacity(msgs.len());
        for (id, json) in msgs {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", id.as_str());
            let ack = js
                .publish_with_headers(subject.clone(), headers, json.clone().into())
                .await
                .map_err(|e| err("publish", e))?;
            acks.push(ack);
        }
        let mut new = 0;
        for ack in acks {
            let ack = ack.await.map_err(|e| err("publish", e))?;
            if !ack.duplicate {
                new += 1;
            }
        }
        Ok(new)
    }
}

/// Whether the stream subject `pattern` (with `*` and `>` wildcards) covers `subject`.
fn subject_matches(pattern: &str, subject: &str) -> bool {
    let mut p = pattern.split('.');
    let mut s = subject.split('.');
    loop {
        match (p.next(), s.next()) {
            (Some(">"), Some(_)) => return true,
            (Some("*"), Some(_)) => {}
            (Some(a), Some(b)) if a == b => {}
            (None, None) => return true,
            _ => return false,
        }
    }
}

/// Longest pause between two attempts (see the PostgreSQL sink's).
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Publishes `msgs`, retrying with backoff (up to [`MAX_BACKOFF`] between attempts) until
/// the server has acked each. The caller acknowledges nothing before this returns.
pub async fn write_durably(mut sink: NatsSink, msgs: Vec<(String, Vec<u8>)>) -> NatsSink {
    let size = sink.cfg.batch_size.max(1);
    for chunk in msgs.chunks(size) {
        let mut backoff = Duration::from_millis(200);
        loop {
            let started = Instant::now();
            match sink.write(chunk).await {
                Ok(new) => {
                    metrics::histogram!(telemetry::SINK_BATCH_SECONDS, "sink" => "nats")
                        .record(started.elapsed().as_secs_f64());
                    metrics::counter!(telemetry::SINK_BATCHES, "sink" => "nats").increment(1);
                    metrics::counter!(telemetry::SINK_RECORDS, "sink" => "nats").increment(new);
                    // The client reconnects by itself: a batch through is the sign.
                    metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "nats").set(1.0);
                    if new < chunk.len() as u64 {
                        tracing::info!(
                            records = chunk.len(),
                            new,
                            "JetStream already had some records (a replay); not stored again"
                        );
                    }
                    break;
                }
                Err(e) => {
                    metrics::counter!(telemetry::SINK_ERRORS, "sink" => "nats", "kind" => e.kind)
                        .increment(1);
                    metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "nats").set(0.0);
                    tracing::error!(
                        url = %sink.cfg.url,
                        stream = %sink.cfg.stream,
                        records = chunk.len(),
                        error = %e,
                        retry_in_ms = backoff.as_millis() as u64,
                        "NATS JetStream did not take the batch; intake waits and the batch is retried \
                         (check that nats-server runs with -js and [sink.nats] url is right)"
                    );
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
    sink
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_and_stream_names_are_checked() {
        assert!(valid_subject("news.records"));
        for bad in ["", "news.", "a..b", "news.*", "news.>", "a b"] {
            assert!(!valid_subject(bad), "{bad}");
        }
        assert!(valid_stream_name("NEWS"));
        for bad in ["", "a.b", "a b", "x*", "a/b"] {
            assert!(!valid_stream_name(bad), "{bad}");
        }
    }

    #[test]
    fn stream_wildcards_cover_subjects() {
        assert!(subject_matches("news.records", "news.records"));
        assert!(subject_matches("news.*", "news.records"));
        assert!(subject_matches("news.>", "news.records.en"));
        assert!(!subject_matches("news.*", "news.records.en"));
        assert!(!subject_matches("other", "news.records"));
    }
}
