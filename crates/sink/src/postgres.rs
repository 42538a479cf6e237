//! The PostgreSQL sink: every record the JSONL sink keeps, as a row of a table
//! the sink creates and migrates itself, written idempotently.
//!
//! A batch is one statement: `INSERT … SELECT … FROM unnest($1::text[], …) ON
//! CONFLICT (id) DO NOTHING`, so a replayed batch (after a crash, or a retry whose
//! first attempt did commit) adds nothing, and the id is the same as in the JSONL
//! output. Rows carry the main fields as columns, the whole record as `jsonb`, and
//! a `tsvector` of title and body in the text search configuration of the
//! record's language (`simple` where PostgreSQL has none), indexed with GIN.
//!
//! While the database cannot be reached, [`write_durably`] retries with backoff
//! and the sink stops taking items: the bounded channels stop intake upstream and
//! the claimed files wait in the state dir; nothing is acknowledged before the
//! database has it.

use newsflow_record::{telemetry, Record};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, NoTls};

/// Settings from `[sink.postgres]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PgConfig {
    /// libpq-style connection string or URL.
    pub url: String,
    /// Table name (created on first run).
    pub table: String,
    /// Most rows in one statement; a larger sink batch is written in several.
    pub batch_size: usize,
    pub connect_timeout: Duration,
}

/// Whether `table` is a plain identifier we may splice into SQL.
pub fn valid_table_name(table: &str) -> bool {
    let mut chars = table.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && table.len() <= 55
}

/// Why `url` is not a connection string, if it is not.
pub fn check_url(url: &str) -> Result<(), String> {
    url.parse::<tokio_postgres::Config>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Schema versions, applied in order, each once per table (recorded in
/// `newsflow_migrations`). Never edit a shipped one: add the next.
const MIGRATIONS: &[&str] = &["
    CREATE TABLE {t} (
        id            text PRIMARY KEY,
        received_at   timestamptz NOT NULL,
        published     text,
        title         text,
        byline        text,
        url           text,
        site_name     text,
        language      text,
        source_path   text NOT NULL,
        source_format text NOT NULL,
        dedup_status  text NOT NULL,
        duplicate_of  text,
        cluster_id    text,
        body          text NOT NULL,
        record        jsonb NOT NULL,
        tsv           tsvector NOT NULL,
        inserted_at   timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX {t}_tsv_idx ON {t} USING gin (tsv);
    CREATE INDEX {t}_received_at_idx ON {t} (received_at);
    CREATE INDEX {t}_cluster_id_idx ON {t} (cluster_id);
"];

/// PostgreSQL's text search configuration for an ISO 639-1 language.
pub fn ts_config(lang: Option<&str>) -> &'static str {
    match lang {
        Some("en") => "english",
        Some("de") => "german",
        Some("fr") => "french",
        Some("es") => "spanish",
        Some("it") => "italian",
        Some("pt") => "portuguese",
        Some("nl") => "dutch",
        Some("ru") => "russian",
        Some("sv") => "swedish",
        Some("da") => "danish",
        Some("fi") => "finnish",
        Some("no" | "nb") => "norwegian",
        Some("hu") => "hungarian",
        Some("ro") => "romanian",
        Some("tr") => "turkish",
        Some("ar") => "arabic",
        Some("el") => "greek",
        Some("id") => "indonesian",
        Some("lt") => "lithuanian",
        _ => "simple",
    }
}

/// What went wrong talking to the database, as the retry loop and the metrics see it.
#[derive(Debug)]
pub struct PgError {
    /// `connect`, `migrate` or `write`.
    pub kind: &'static str,
    pub message: String,
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

fn pg_err(kind: &'static str, e: tokio_postgres::Error) -> PgError {
    // The server's own message says what is wrong (missing role, disk full…).
    let message = match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    };
    PgError { kind, message }
}

/// One record as the row's columns, text only (PostgreSQL casts in the query).
/// PostgreSQL text cannot hold NUL, so it is dropped from every value.
pub struct Row {
    pub id: String,
    cols: [Option<String>; 15],
}

impl Row {
    /// `json` is the record as the JSONL sink wrote it.
    pub fn new(r: &Record, json: &str) -> Row {
        let clean = |s: &str| s.replace('\0', "");
        let opt = |s: &Option<String>| s.as_deref().map(clean);
        Row {
            id: clean(&r.id),
            cols: [
                Some(clean(&r.source.received_at)),
                opt(&r.published),
                opt(&r.title),
                opt(&r.byline),
                opt(&r.url),
                opt(&r.site_name),
                opt(&r.language),
                Some(clean(&r.source.path)),
                Some(clean(&r.source.format)),
                Some(r.dedup.status.as_str().to_string()),
                opt(&r.dedup.duplicate_of),
                opt(&r.dedup.cluster_id),
                Some(clean(&r.body)),
                // jsonb refuses the escaped NUL too.
                Some(json.replace("\\u0000", "")),
                Some(ts_config(r.language.as_deref()).to_string()),
            ],
        }
    }
}

/// A connection (made on first use and after any failure) to the configured table.
pub struct PgSink {
    pub cfg: PgConfig,
    client: Option<Client>,
}

impl PgSink {
    pub fn new(cfg: PgConfig) -> PgSink {
        PgSink { cfg, client: None }
    }

    /// Connects and brings the table's schema up to date.
    async fn connect(&mut self) -> Result<&Client, PgError> {
        if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(self.client.as_ref().expect("checked"));
        }
        self.client = None;
        let mut config: tokio_postgres::Config = self.cfg.url.parse().map_err(|e| PgError {
            kind: "connect",
            message: format!("[sink.postgres] url is not a connection string: {e}"),
        })?;
        config.connect_timeout(self.cfg.connect_timeout);
        config.application_name("newsflow");
        let (mut client, connection) = tokio::time::timeout(
            self.cfg.connect_timeout + Duration::from_secs(1),
            config.connect(NoTls),
        )
        .await
        .map_err(|_| PgError {
            kind: "connect",
            message: "timed out".into(),
        })?
        .map_err(|e| pg_err("connect", e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        migrate(&mut client, &self.cfg.table).await?;
        metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "postgres").set(1.0);
        tracing::info!(table = %self.cfg.table, "connected to PostgreSQL");
        self.client = Some(client);
        Ok(self.client.as_ref().expect("just set"))
    }

    /// Writes `rows` in one statement; rows whose id is already there are left
    /// as they are. Returns how many were new.
    pub async fn write(&mut self, rows: &[Row]) -> Result<u64, PgError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let table = self.cfg.table.clone();
        let client = self.connect().await?;
        let sql = format!(
            "INSERT INTO {table} (id, received_at, published, title, byline, url, site_name,
                 language, source_path, source_format, dedup_status, duplicate_of, cluster_id,
                 body, record, tsv)
             SELECT id, received_at::timestamptz, published, title, byline, url, site_name,
                 language, source_path, source_format, dedup_status, duplicate_of, cluster_id,
                 body, record::jsonb,
                 setweight(to_tsvector(cfg::regconfig, coalesce(title, '')), 'A')
                 || setweight(to_tsvector(cfg::regconfig, left(body, 200000)), 'B')
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                 $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],
                 $13::text[], $14::text[], $15::text[], $16::text[])
                 AS s(id, received_at, published, title, byline, url, site_name, language,
                      source_path, source_format, dedup_status, duplicate_of, cluster_id,
                      body, record, cfg)
             ON CONFLICT (id) DO NOTHING"
        );
        // Column arrays borrow the rows: a batch's bodies are not copied again.
        let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
        let cols: Vec<Vec<Option<&str>>> = (0..15)
            .map(|c| rows.iter().map(|r| r.cols[c].as_deref()).collect())
            .collect();
        let mut params: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = vec![&ids];
        for c in &cols {
            params.push(c);
        }
        match client.execute(sql.as_str(), &params).await {
            Ok(n) => Ok(n),
            Err(e) => {
                if self.client.as_ref().is_some_and(Client::is_closed) {
                    self.client = None;
                    metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "postgres").set(0.0);
                }
                Err(pg_err("write", e))
            }
        }
    }
}

/// Applies the migrations the table has not had, under an advisory lock so that
/// daemons starting together do not race.
async fn migrate(client: &mut Client, table: &str) -> Result<(), PgError> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| pg_err("migrate", e))?;
    tx.execute(
        "SELECT pg_advisory_xact_lock(hashtext('newsflow.migrate.' || $1::text))",
        &[&table],
    )
    .await
    .map_err(|e| pg_err("migrate", e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS newsflow_migrations (
            table_name text NOT NULL,
            version    integer NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (table_name, version))",
    )
    .await
    .map_err(|e| pg_err("migrate", e))?;
    let done: i32 = tx
        .query_one(
            "SELECT coalesce(max(version), 0) FROM newsflow_migrations WHERE table_name = $1",
            &[&table],
        )
        .await
        .map_err(|e| pg_err("migrate", e))?
        .get(0);
    for (n, sql) in MIGRATIONS.iter().enumerate() {
        let version = n as i32 + 1;
        if version <= done {
            continue;
        }
        tx.batch_execute(&sql.replace("{t}", table))
            .await
            .map_err(|e| pg_err("migrate", e))?;
        tx.execute(
            "INSERT INTO newsflow_migrations (table_name, version) VALUES ($1, $2)",
            &[&table, &version],
        )
        .await
        .map_err(|e| pg_err("migrate", e))?;
        tracing::info!(table, version, "PostgreSQL schema migrated");
    }
    tx.commit().await.map_err(|e| pg_err("migrate", e))
}

/// Longest pause between two attempts: a connection attempt is cheap, and a
/// short pause lets intake resume within seconds of the database's return.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Writes `rows`, retrying with backoff (up to [`MAX_BACKOFF`] between attempts) until the
/// database has them. The caller acknowledges nothing before this returns.
pub async fn write_durably(mut pg: PgSink, rows: Vec<Row>) -> PgSink {
    let size = pg.cfg.batch_size.max(1);
    for chunk in rows.chunks(size) {
        pg = write_chunk(pg, chunk).await;
    }
    pg
}

async fn write_chunk(mut pg: PgSink, rows: &[Row]) -> PgSink {
    let mut backoff = Duration::from_millis(200);
    loop {
        let started = Instant::now();
        match pg.write(rows).await {
            Ok(new) => {
                metrics::histogram!(telemetry::SINK_BATCH_SECONDS, "sink" => "postgres")
                    .record(started.elapsed().as_secs_f64());
                metrics::counter!(telemetry::SINK_BATCHES, "sink" => "postgres").increment(1);
                metrics::counter!(telemetry::SINK_RECORDS, "sink" => "postgres").increment(new);
                if new < rows.len() as u64 {
                    tracing::info!(
                        rows = rows.len(),
                        new,
                        "some records were already in PostgreSQL (a replay); not written again"
                    );
                }
                return pg;
            }
            Err(e) => {
                metrics::counter!(telemetry::SINK_ERRORS, "sink" => "postgres", "kind" => e.kind)
                    .increment(1);
                metrics::gauge!(telemetry::SINK_CONNECTED, "sink" => "postgres").set(0.0);
                tracing::error!(
                    table = %pg.cfg.table,
                    rows = rows.len(),
                    error = %e,
                    retry_in_ms = backoff.as_millis() as u64,
                    "PostgreSQL did not take the batch; intake waits and the batch is retried \
                     (check that the server is up and [sink.postgres] url is right)"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_identifiers() {
        assert!(valid_table_name("news_records"));
        assert!(valid_table_name("_x1"));
        for bad in ["", "News", "a-b", "a;drop table x", "1abc", &"x".repeat(60)] {
            assert!(!valid_table_name(bad), "{bad}");
        }
    }

    #[test]
    fn languages_map_to_text_search_configurations() {
        assert_eq!(ts_config(Some("de")), "german");
        assert_eq!(ts_config(Some("zh")), "simple");
        assert_eq!(ts_config(None), "simple");
    }
}
