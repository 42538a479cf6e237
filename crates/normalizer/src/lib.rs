//! The normalizer stage: bytes of a dropped file in, clean text out.
//!
//! The core is [`normalize`], pure and synchronous: it decodes the bytes
//! ([`decode`]), recognises the input format, removes boilerplate lines with the
//! rule packs ([`rules`]) and pulls out title, byline and publication date
//! ([`structure`]). [`run`] is the thin async runner that moves items between the
//! watcher's channel and the deduplicator's.

pub mod classify;
pub mod decode;
pub mod lang;
pub mod learned;
pub mod rules;
pub mod structure;

use newsflow_record::telemetry;
use newsflow_record::{
    rfc3339, Boilerplate, Dedup, Failed, Item, Pipeline, RawItem, Reason, Record, Source, Stage,
    StageError, PIPELINE_VERSION,
};
use rules::RuleSet;
use std::sync::Arc;
use std::time::Instant;
use structure::Removed;
use tokio::sync::watch;

/// What the normalizer makes of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// Input format: `text`.
    pub format: &'static str,
    pub encoding: &'static str,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    /// Paragraphs joined by one blank line.
    pub body: String,
    /// Every removed line, with the rule that removed it.
    pub removed: Vec<Removed>,
    /// With `Layers::explain`: every line and what became of it.
    pub explained: Vec<structure::Explained>,
}

impl Normalized {
    /// Ids of the rules that fired, each once, in first-fired order.
    pub fn rules_fired(&self) -> Vec<String> {
        distinct_rule_ids(&self.removed)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// Ids of the rules that removed `removed`, each once, in first-fired order. A
/// file of thousands of boilerplate lines names each rule once, not once a line.
fn distinct_rule_ids(removed: &[Removed]) -> Vec<&str> {
    let mut ids: Vec<&str> = Vec::new();
    for r in removed {
        if !ids.contains(&r.rule_id.as_str()) {
            ids.push(&r.rule_id);
        }
    }
    ids
}

fn unsupported(what: &str) -> StageError {
    StageError::new(
        Stage::Normalizer,
        Reason::UnsupportedFormat,
        format!(
            "{what} input is not supported yet: only plain-text news items (.txt) are ingested; \
             convert it to text or wait for HTML/JSON/feed support"
        ),
    )
}

/// Recognises formats the text path must not treat as prose. By extension first,
/// then by content, because scrapers often drop HTML under a `.txt` name.
fn check_format(file_name: &str, text: &str) -> Result<(), StageError> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "html" | "htm" | "xhtml" => return Err(unsupported("HTML")),
        "json" | "jsonl" | "ndjson" => return Err(unsupported("JSON")),
        "xml" | "rss" | "atom" => return Err(unsupported("XML feed")),
        _ => {}
    }
    let head: String = text
        .trim_start()
        .chars()
        .take(512)
        .collect::<String>()
        .to_ascii_lowercase();
    if head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with('<') && head.contains("<body"))
    {
        return Err(unsupported("HTML"));
    }
    if head.starts_with("<?xml") || head.starts_with("<rss") || head.starts_with("<feed") {
        return Err(unsupported("XML feed"));
    }
    let t = text.trim();
    if (t.starts_with('{') && t.ends_with('}'))
        || (t.starts_with('[') && t.ends_with(']') && t.contains('{'))
    {
        return Err(unsupported("JSON"));
    }
    Ok(())
}

/// The normalizer's pure core: the bytes and name of a dropped file in, clean text
/// and head fields out, or the reason it cannot be a record.
pub fn normalize(bytes: &[u8], file_name: &str, rules: &RuleSet) -> Result<Normalized, StageError> {
    normalize_with(bytes, file_name, rules, structure::Layers::default(), None)
}

/// [`normalize`] with a choice of boilerplate layers (the evaluation compares them).
pub fn normalize_with(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Normalized, StageError> {
    let decoded = decode::decode(bytes)?;
    check_format(file_name, &decoded.text)?;
    let s = structure::structure(&decoded.text, rules, layers, learned);
    if s.paragraphs.is_empty() {
        let message = if s.removed.is_empty() && s.title.is_none() {
            "the file holds no text once whitespace is removed".to_string()
        } else {
            format!(
                "nothing is left after removing {} boilerplate line(s){}; if this is real content, \
                 check the rules with the ids listed here",
                s.removed.len(),
                if s.title.is_some() { " and the title" } else { "" }
            ) + &format!(" ({})", distinct_rule_ids(&s.removed).join(", "))
        };
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            message,
        ));
    }
    Ok(Normalized {
        format: "text",
        encoding: decoded.encoding,
        title: s.title,
        byline: s.byline,
        published: s.published,
        body: s.paragraphs.join("\n\n"),
        removed: s.removed,
        explained: s.explained,
    })
}

/// Builds the record the later stages fill in.
pub fn to_record(raw: &RawItem, n: Normalized) -> Record {
    let rules = n.rules_fired();
    Record {
        id: raw.claim.id.clone(),
        source: Source {
            file_name: raw.claim.file_name.to_string_lossy().into_owned(),
            path: raw.claim.rel_path.clone(),
            bytes: raw.bytes.len() as u64,
            sha256: raw.sha256.clone(),
            received_at: rfc3339(raw.claim.received_at),
            format: n.format.to_string(),
            encoding: n.encoding.to_string(),
        },
        title: n.title,
        byline: n.byline,
        published: n.published,
        language: None,
        language_confidence: None,
        body: n.body,
        word_count: 0,
        reading_time_seconds: 0,
        boilerplate: Boilerplate {
            removed_lines: n.removed.len(),
            rules,
        },
        dedup: Dedup::default(),
        pipeline: Pipeline {
            version: PIPELINE_VERSION.to_string(),
            processed_at: String::new(),
        },
    }
}

/// How documents are grouped into sources for the learned layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceOf {
    /// The first folder of the file's path in the inbox (`agency-a/x.txt`).
    Subfolder,
    /// The file name up to the first occurrence of the separator (`agencya_123.txt`).
    Prefix(String),
}

impl SourceOf {
    /// The source of a file at `rel_path` (inbox-relative, `/`-separated). Files
    /// without one share the source `(inbox)`.
    pub fn of(&self, rel_path: &str) -> String {
        let name = rel_path.rsplit('/').next().unwrap_or(rel_path);
        let found = match self {
            SourceOf::Subfolder => rel_path.split_once('/').map(|(dir, _)| dir),
            SourceOf::Prefix(sep) if !sep.is_empty() => {
                name.split_once(sep.as_str()).map(|(p, _)| p)
            }
            SourceOf::Prefix(_) => None,
        };
        found
            .filter(|s| !s.is_empty())
            .unwrap_or("(inbox)")
            .to_string()
    }
}

/// The learned layer as the runner uses it.
#[derive(Clone)]
pub struct LearnSetup {
    pub memory: Arc<dyn learned::LineMemory>,
    pub cfg: learned::LearnConfig,
    pub source: SourceOf,
}

/// Runs `workers` normalizers side by side until the input channel closes. Rule
/// packs are read from `rules` for every item, so a reload takes effect at once.
pub async fn run(
    rx: async_channel::Receiver<RawItem>,
    tx: async_channel::Sender<Item>,
    failed: async_channel::Sender<Failed>,
    rules: watch::Receiver<Arc<RuleSet>>,
    workers: usize,
    learn: Option<LearnSetup>,
) {
    let mut tasks = Vec::new();
    for _ in 0..workers.max(1) {
        let (rx, tx, failed, rules) = (rx.clone(), tx.clone(), failed.clone(), rules.clone());
        let learn = learn.clone();
        tasks.push(tokio::spawn(async move {
            while let Ok(raw) = rx.recv().await {
                telemetry::item_in(Stage::Normalizer);
                let started = Instant::now();
                let set = rules.borrow().clone();
                // CPU-bound work goes to the blocking pool so the runtime keeps moving files.
                let learn = learn.clone();
                let (raw, result) = tokio::task::spawn_blocking(move || {
                    let name = raw.claim.file_name.to_string_lossy().into_owned();
                    let source = learn.as_ref().map(|l| l.source.of(&raw.claim.rel_path));
                    let learned = learn.as_ref().zip(source.as_deref()).map(|(l, source)| learned::Learned {
                        memory: l.memory.as_ref(),
                        source,
                        doc: &raw.claim.id,
                        cfg: l.cfg,
                    });
                    let result = normalize_with(&raw.bytes, &name, &set, structure::Layers::default(), learned.as_ref());
                    (raw, result)
                })
                .await
                .expect("normalize does not panic; a panic here is a bug to report");
                match result {
                    Ok(n) => {
                        for r in &n.removed {
                            // Learned ids are unbounded in number: they share one series.
                            let rule = if r.kind == "learned" { "learned".to_string() } else { r.rule_id.clone() };
                            metrics::counter!(telemetry::BOILERPLATE_LINES, "kind" => r.kind.clone(), "rule" => rule).increment(1);
                        }
                        tracing::debug!(file = %raw.claim.rel_path, id = %raw.claim.id, removed = n.removed.len(), "normalized");
                        let record = to_record(&raw, n);
                        telemetry::item_out(Stage::Normalizer, started.elapsed());
                        if tx.send(Item { claim: raw.claim, record }).await.is_err() {
                            break;
                        }
                    }
                    Err(error) => {
                        telemetry::item_failed(Stage::Normalizer, started.elapsed());
                        if failed.send(Failed { claim: raw.claim, error }).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_and_json_are_refused_clearly_not_mangled() {
        let rules = RuleSet::builtin();
        let e = normalize(
            b"<!DOCTYPE html><html><body>x</body></html>",
            "a.txt",
            &rules,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::UnsupportedFormat);
        assert!(e.message.contains("HTML"), "{}", e.message);
        let e = normalize(br#"{"title": "x", "text": "y"}"#, "a.json", &rules).unwrap_err();
        assert!(e.message.contains("JSON"), "{}", e.message);
    }

    /// Found by `cargo fuzz run normalize`: a 64 KB file of short lines that a rule
    /// matches ran whatlang (about 0.1 ms a call) once per line: 32,000 lines of "x"
    /// (a platform name in the share-bar rules) took 3.3 s in a release build, and
    /// the error message listed the rule id 32,000 times.
    #[test]
    fn thousands_of_short_boilerplate_lines_are_quick() {
        let rules = RuleSet::builtin();
        let distinct: Vec<u8> = (0..6000u32)
            .flat_map(|i| format!("Video {:x}\n", i * 7919).into_bytes())
            .collect();
        for bytes in [
            b"x\n".repeat(32_000),
            b"Ad\n".repeat(21_000),
            b"Advertisement\n".repeat(4_500),
            distinct,
        ] {
            let started = Instant::now();
            let e = normalize(&bytes, "a.txt", &rules).unwrap_err();
            let took = started.elapsed();
            assert_eq!(e.reason, Reason::NoContent, "{}", e.message);
            assert!(e.message.len() < 500, "{}", e.message);
            assert!(
                took < std::time::Duration::from_millis(800),
                "{} bytes took {took:?}",
                bytes.len()
            );
        }
    }

    /// Found by `cargo fuzz run normalize` and minimized with `cargo fuzz tmin`: in
    /// UTF-16LE "ũ\r†" the lone CR was no line break, so it stayed inside the one
    /// paragraph of the body.
    #[test]
    fn a_lone_cr_is_a_line_break() {
        let n = normalize(b"\xff\xfei\x01\r\0  ", "a.txt", &RuleSet::builtin()).unwrap();
        assert_eq!(n.encoding, "UTF-16LE");
        assert_eq!(n.body, "ũ\n\n†");
    }

    #[test]
    fn a_hard_wrapped_paragraph_is_joined_with_its_hyphenation() {
        let text = "Bezirk plant autofreie Straßen\n\n\
            Das Bezirksamt will vier Straßen zwischen Frankfurter Allee und dem\n\
            Bahngelände für den Durchgangsverkehr sperren, um die Verkehrs-\n\
            wende im Kleinen zu erproben. Anwohner sind geteilter Meinung,\n\
            die Versammlung dauerte bis spät in den Abend hinein.\n";
        let n = normalize(text.as_bytes(), "a.txt", &RuleSet::builtin()).unwrap();
        assert!(
            n.body.contains("um die Verkehrswende im Kleinen"),
            "{}",
            n.body
        );
        assert!(!n.body.contains('\n'), "one paragraph: {}", n.body);
    }

    #[test]
    fn only_boilerplate_is_no_content() {
        let rules = RuleSet::builtin();
        let e = normalize(
            b"Please enter your comment!\nPlease enter your name here\n",
            "a.txt",
            &rules,
        )
        .unwrap_err();
        assert_eq!(e.reason, Reason::NoContent);
        assert!(e.message.contains("boilerplate"), "{}", e.message);
        let e = normalize(b" \n\t\n", "a.txt", &rules).unwrap_err();
        assert_eq!(e.reason, Reason::NoContent);
    }
}
