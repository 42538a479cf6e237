//! NATS JetStream for the sink tests: whether the server is there, and what a
//! stream holds.

/// Where the tests find NATS; NEWSFLOW_TEST_NATS_HOSTPORT overrides.
pub fn nats_hostport() -> String {
    std::env::var("NEWSFLOW_TEST_NATS_HOSTPORT").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

pub fn nats_available() -> bool {
    super::service_available("NATS", &nats_hostport())
}

/// A stream name and subject no other test run uses.
pub fn fresh_stream(tag: &str) -> (String, String) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 1_000_000_000;
    let pid = std::process::id();
    (
        format!("NFTEST_{}_{pid}_{nanos}", tag.to_uppercase()),
        format!("nftest.{tag}.{pid}.{nanos}"),
    )
}

/// The `[sink.nats]` section for a stream of the test's own.
pub fn section(url_hostport: &str, stream: &str, subject: &str) -> String {
    format!("[sink.nats]\nurl = \"nats://{url_hostport}\"\nstream = \"{stream}\"\nsubject = \"{subject}\"\n")
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// One stored message: its `Nats-Msg-Id` header and its payload as JSON.
pub struct Stored {
    pub msg_id: String,
    pub subject: String,
    pub record: serde_json::Value,
}

/// Every message in `stream`, in sequence order.
pub fn messages(stream: &str) -> Vec<Stored> {
    block_on(async {
        let client = async_nats::connect(nats_hostport())
            .await
            .expect("test connection to NATS");
        let js = async_nats::jetstream::new(client);
        let mut s = js.get_stream(stream).await.expect("the stream exists");
        let last = s.info().await.unwrap().state.last_sequence;
        let mut out = Vec::new();
        for seq in 1..=last {
            let Ok(m) = s.get_raw_message(seq).await else {
                continue; // deleted or expired
            };
            out.push(Stored {
                msg_id: m
                    .headers
                    .get("Nats-Msg-Id")
                    .map(|v| v.as_str().to_string())
                    .unwrap_or_default(),
                subject: m.subject.to_string(),
                record: serde_json::from_slice(&m.payload).expect("a JSON record"),
            });
        }
        out
    })
}

/// The stream's retention policy and duplicate window, as the server reports them.
pub fn stream_config(stream: &str) -> async_nats::jetstream::stream::Config {
    block_on(async {
        let client = async_nats::connect(nats_hostport()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let mut s = js.get_stream(stream).await.expect("the stream exists");
        s.info().await.unwrap().config.clone()
    })
}

pub fn delete_stream(stream: &str) {
    block_on(async {
        let client = async_nats::connect(nats_hostport()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(stream).await;
    })
}

/// Messages of `consumer` on `stream` not yet delivered, and delivered but unacked.
pub fn consumer_backlog(stream: &str, consumer: &str) -> (u64, usize) {
    block_on(async {
        let client = async_nats::connect(nats_hostport()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let s = js.get_stream(stream).await.expect("the stream exists");
        let info = s
            .consumer_info(consumer)
            .await
            .expect("the consumer exists");
        (info.num_pending, info.num_ack_pending)
    })
}

/// Removes what a scale-out test made: the work stream, its object store, the
/// dedup bucket.
pub fn delete_scaleout(work_stream: &str, dedup_bucket: &str) {
    block_on(async {
        let client = async_nats::connect(nats_hostport()).await.unwrap();
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(work_stream).await;
        let _ = js.delete_object_store(format!("{work_stream}_files")).await;
        let _ = js.delete_key_value(dedup_bucket).await;
    })
}
