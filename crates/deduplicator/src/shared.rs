//! The duplicate index shared by the workers of a scale-out deployment: a
//! NATS JetStream key-value bucket instead of the embedded redb store.
//!
//! Keys (values are record ids unless said otherwise):
//! - `x.<sha256 of the body, hex>`: the first record with that body.
//! - `s.<id>`: the record's signature and size (an encoded [`Doc`]), written
//!   before it claims any band, so that a rival can verify against it.
//! - `b.<band key, hex>`: the first record that claimed that LSH band.
//! - `d.<id>`: the decision, written last; a replay (redelivery after a worker
//!   died) finds it and gets the same answer.
//!
//! Every claim is an atomic create-if-absent. Two workers racing on copies of
//! one story cannot both come out `unique`: each claims its bands in ascending
//! key order and stops at the first band owned by a record it verifies as
//! similar. The smallest band the two copies share is claimed by exactly one of
//! them; the other loses there (the winner's signature is already stored) and
//! becomes the duplicate; the winner cannot lose to it at a later band because
//! the loser stopped before claiming any. Exact copies race on the `x.` key the
//! same way. Entries expire with the bucket's `max_age` (`[dedup] window_days`).

use crate::near::{self, Doc, NearConfig};
use crate::{minhash, Entry};
use async_nats::jetstream::{self, kv, stream};
use newsflow_record::{Dedup, DedupStatus};
use std::time::Duration;

/// The shared index: a key-value bucket and the near-duplicate settings.
#[derive(Clone)]
pub struct SharedIndex {
    kv: kv::Store,
    cfg: NearConfig,
    params: minhash::Params,
}

/// A key-value error, as text for logs.
fn kv_err(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

impl SharedIndex {
    /// Opens the bucket, creating it if missing. All workers must run with the
    /// same signature settings: the first to start records them, and a worker
    /// with other settings refuses to start.
    pub async fn open(
        js: &jetstream::Context,
        bucket: &str,
        cfg: NearConfig,
    ) -> Result<SharedIndex, String> {
        if js.get_key_value(bucket).await.is_err() {
            // async-nats's create_key_value first reads the account info, which
            // it cannot parse from nats-server 2.9 (Debian 12's). A bucket is a
            // stream with the key-value conventions, so it is created as one,
            // with the settings create_key_value would use.
            js.get_or_create_stream(stream::Config {
                name: format!("KV_{bucket}"),
                description: Some("newsflow shared duplicate index".into()),
                subjects: vec![format!("$KV.{bucket}.>")],
                max_messages_per_subject: 1,
                max_age: Duration::from_secs(cfg.window_secs),
                storage: stream::StorageType::File,
                allow_rollup: true,
                deny_delete: true,
                allow_direct: true,
                discard: stream::DiscardPolicy::New,
                num_replicas: 1,
                ..Default::default()
            })
            .await
            .map_err(|e| kv_err(&format!("cannot create the key-value bucket {bucket}"), e))?;
        }
        let kv = js
            .get_key_value(bucket)
            .await
            .map_err(|e| kv_err(&format!("cannot open the key-value bucket {bucket}"), e))?;
        let settings = format!(
            "near={} words={} chars={} perms={} lsh={}",
            cfg.near, cfg.shingle_words, cfg.shingle_chars, cfg.permutations, cfg.lsh_threshold
        );
        match kv.create("meta.settings", settings.clone().into()).await {
            Ok(_) => {}
            Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                let stored = kv
                    .get("meta.settings")
                    .await
                    .map_err(|e| kv_err("cannot read the bucket's settings", e))?
                    .map(|v| String::from_utf8_lossy(&v).into_owned())
                    .unwrap_or_default();
                if stored != settings && !stored.is_empty() {
                    return Err(format!(
                        "the shared duplicate index {bucket} was built with other [dedup] settings ({stored}; this worker has {settings}); \
                         run every worker with the same [dedup] settings, or use a new [scaleout] dedup_bucket"
                    ));
                }
            }
            Err(e) => return Err(kv_err("cannot write the bucket's settings", e)),
        }
        Ok(SharedIndex {
            kv,
            params: minhash::Params::new(cfg.permutations, cfg.lsh_threshold),
            cfg,
        })
    }

    async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, String> {
        self.kv
            .get(key)
            .await
            .map(|v| v.map(|b| b.to_vec()))
            .map_err(|e| kv_err(&format!("cannot read {key}"), e))
    }

    /// Creates `key` = `value` if absent; returns the value that holds after.
    async fn claim(&self, key: &str, value: &str) -> Result<String, String> {
        for _ in 0..5 {
            match self.kv.create(key, value.to_string().into()).await {
                Ok(_) => return Ok(value.to_string()),
                Err(e) if e.kind() == kv::CreateErrorKind::AlreadyExists => {
                    if let Some(v) = self.get(key).await? {
                        return Ok(String::from_utf8_lossy(&v).into_owned());
                    }
                    // Expired between the two calls: try to create it again.
                }
                Err(e) => return Err(kv_err(&format!("cannot claim {key}"), e)),
            }
        }
        Err(format!("{key} keeps appearing and disappearing"))
    }

    async fn put(&self, key: &str, value: Vec<u8>) -> Result<(), String> {
        self.kv
            .put(key, value.into())
            .await
            .map(|_| ())
            .map_err(|e| kv_err(&format!("cannot write {key}"), e))
    }

    /// The cluster a duplicate of `owner` joins: the owner's own cluster once
    /// its decision is stored (it may still be deciding; we wait a little).
    async fn cluster_of(&self, owner: &str) -> Result<String, String> {
        for attempt in 0..10 {
            if let Some(doc) = self
                .get(&format!("d.{owner}"))
                .await?
                .and_then(|v| Doc::decode(&v))
            {
                return Ok(doc.cluster);
            }
            tokio::time::sleep(Duration::from_millis(20 * (attempt + 1))).await;
        }
        Ok(owner.to_string())
    }

    /// Decides one record and stores the decision.
    pub async fn decide(&self, e: &Entry<'_>) -> Result<Dedup, String> {
        let done_key = format!("d.{}", e.id);
        if let Some(doc) = self.get(&done_key).await?.and_then(|v| Doc::decode(&v)) {
            return Ok(doc.decision());
        }
        let mut doc = Doc {
            key: e.key,
            id: e.id.to_string(),
            received: e.received,
            shingles: 0,
            sig: Vec::new(),
            cluster: e.id.to_string(),
            status: DedupStatus::Unique,
            similarity: 0.0,
            duplicate_of: None,
        };
        let first = self
            .claim(&format!("x.{}", newsflow_record::hex(&e.key)), e.id)
            .await?;
        if first != e.id {
            let cluster = self.cluster_of(&first).await?;
            doc.status = DedupStatus::ExactDuplicate;
            doc.similarity = 1.0;
            doc.duplicate_of = Some(cluster.clone());
            doc.cluster = cluster;
        } else if self.cfg.near {
            let shingles = near::shingles(&self.cfg, e.body);
            doc.sig = minhash::signature(&shingles, self.cfg.permutations);
            doc.shingles = shingles.len() as u32;
            self.put(&format!("s.{}", e.id), doc.encode()).await?;
            let mut keys = minhash::band_keys(&doc.sig, &self.params);
            keys.sort_unstable();
            keys.dedup();
            for k in keys {
                let owner = self.claim(&format!("b.{k:016x}"), e.id).await?;
                if owner == e.id {
                    continue;
                }
                let Some(other) = self
                    .get(&format!("s.{owner}"))
                    .await?
                    .and_then(|v| Doc::decode(&v))
                else {
                    continue;
                };
                if let Some(score) =
                    near::similarity(&self.cfg, &doc.sig, doc.shingles as usize, &other)
                {
                    let cluster = self.cluster_of(&owner).await?;
                    doc.status = DedupStatus::NearDuplicate;
                    doc.similarity = score as f32;
                    doc.duplicate_of = Some(cluster.clone());
                    doc.cluster = cluster;
                    break;
                }
            }
        }
        let decision = doc.decision();
        // The decision needs no signature: `s.` holds it for rivals.
        doc.sig.clear();
        self.put(&done_key, doc.encode()).await?;
        Ok(decision)
    }
}
