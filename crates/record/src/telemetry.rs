//! Metric names shared by every stage, in the spirit of Vector's `internal_events`:
//! each stage reports through these helpers so that names and labels stay uniform.
//! The daemon installs the Prometheus recorder; without one these calls are no-ops,
//! which keeps the stage cores usable from tests and tools.

use crate::Stage;
use std::time::Duration;

pub const ITEMS_IN: &str = "newsflow_stage_items_in_total";
pub const ITEMS_OUT: &str = "newsflow_stage_items_out_total";
pub const ITEMS_FAILED: &str = "newsflow_stage_items_failed_total";
pub const STAGE_SECONDS: &str = "newsflow_stage_processing_seconds";
pub const CHANNEL_DEPTH: &str = "newsflow_channel_depth";
pub const FILES_CLAIMED: &str = "newsflow_files_claimed_total";
pub const FILES_ARCHIVED: &str = "newsflow_files_archived_total";
pub const FILES_QUARANTINED: &str = "newsflow_files_quarantined_total";
pub const RECORDS_WRITTEN: &str = "newsflow_records_written_total";
pub const SINK_BATCHES: &str = "newsflow_sink_batches_total";
pub const SINK_ERRORS: &str = "newsflow_sink_errors_total";
/// Records each sink made durable (label `sink`), replays it already had excluded.
pub const SINK_RECORDS: &str = "newsflow_sink_records_written_total";
pub const SINK_BATCH_SECONDS: &str = "newsflow_sink_batch_seconds";
/// 1 while a sink can write (a networked one holds a working connection), 0 while it retries.
pub const SINK_CONNECTED: &str = "newsflow_sink_connected";
pub const DEDUP_DECISIONS: &str = "newsflow_dedup_decisions_total";
pub const DEDUP_INDEX_DOCUMENTS: &str = "newsflow_dedup_index_documents";
pub const DEDUP_EVICTED: &str = "newsflow_dedup_evicted_total";
pub const DEDUP_DROPPED: &str = "newsflow_dedup_dropped_total";
pub const ENRICHER_FEATURE_SECONDS: &str = "newsflow_enricher_feature_seconds";
pub const BOILERPLATE_LINES: &str = "newsflow_boilerplate_lines_removed_total";
pub const END_TO_END_SECONDS: &str = "newsflow_end_to_end_latency_seconds";
pub const BUILD_INFO: &str = "newsflow_build_info";

/// One item entered `stage`.
pub fn item_in(stage: Stage) {
    metrics::counter!(ITEMS_IN, "stage" => stage.as_str()).increment(1);
}

/// One item left `stage` for the next one, after `took`.
pub fn item_out(stage: Stage, took: Duration) {
    metrics::counter!(ITEMS_OUT, "stage" => stage.as_str()).increment(1);
    metrics::histogram!(STAGE_SECONDS, "stage" => stage.as_str()).record(took.as_secs_f64());
}

/// One item was refused by `stage` and goes to quarantine.
pub fn item_failed(stage: Stage, took: Duration) {
    metrics::counter!(ITEMS_FAILED, "stage" => stage.as_str()).increment(1);
    metrics::histogram!(STAGE_SECONDS, "stage" => stage.as_str()).record(took.as_secs_f64());
}

/// Describes every metric once, so `/metrics` carries HELP lines.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(ITEMS_IN, "Items that entered a stage.");
    describe_counter!(ITEMS_OUT, "Items a stage passed on.");
    describe_counter!(
        ITEMS_FAILED,
        "Items a stage refused (they go to quarantine)."
    );
    describe_histogram!(
        STAGE_SECONDS,
        Unit::Seconds,
        "Time a stage spent on one item."
    );
    describe_gauge!(CHANNEL_DEPTH, "Items waiting in the channel into a stage.");
    describe_counter!(FILES_CLAIMED, "Files claimed from the inbox.");
    describe_counter!(
        FILES_ARCHIVED,
        "Files whose record is committed and that were archived or deleted."
    );
    describe_counter!(FILES_QUARANTINED, "Files moved to quarantine, by reason.");
    describe_counter!(RECORDS_WRITTEN, "Records written and fsynced by the sink.");
    describe_counter!(SINK_BATCHES, "Batches the sink committed.");
    describe_counter!(
        SINK_ERRORS,
        "Sink write failures (each retried), by sink and kind."
    );
    describe_counter!(
        SINK_RECORDS,
        "Records a sink made durable that it did not have before."
    );
    describe_histogram!(
        SINK_BATCH_SECONDS,
        Unit::Seconds,
        "Time to write one batch to a sink."
    );
    describe_gauge!(
        SINK_CONNECTED,
        "1 while a sink can write (networked: holds a working connection), 0 while it retries."
    );
    describe_counter!(DEDUP_DECISIONS, "Deduplicator decisions, by status.");
    describe_histogram!(
        ENRICHER_FEATURE_SECONDS,
        Unit::Seconds,
        "Time of each enrichment feature per record (language, dates, keywords, quotes)."
    );
    describe_gauge!(
        DEDUP_INDEX_DOCUMENTS,
        "Records in the near-duplicate index."
    );
    describe_counter!(
        DEDUP_EVICTED,
        "Records that left the near-duplicate index (window or cap)."
    );
    describe_counter!(
        DEDUP_DROPPED,
        "Duplicates not written ([dedup] exact_action/near_action = \"drop\"), by status."
    );
    describe_counter!(
        BOILERPLATE_LINES,
        "Boilerplate lines removed, by kind and rule."
    );
    describe_histogram!(
        END_TO_END_SECONDS,
        Unit::Seconds,
        "Time from claiming a file to its record being committed."
    );
    describe_gauge!(BUILD_INFO, "Build information; the value is always 1.");
}
