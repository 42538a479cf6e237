//! The normalizer stage: bytes of a dropped file in, clean text out.
//!
//! The core is [`normalize`], pure and synchronous: it decodes the bytes
//! ([`decode`]), recognises the input format, removes boilerplate lines with the
//! rule packs ([`rules`]) and pulls out title, byline and publication date
//! ([`structure`]). [`run`] is the thin async runner that moves items between the
//! watcher's channel and the deduplicator's.

pub mod classify;
pub mod decode;
pub mod feed;
pub mod html;
pub mod json;
pub mod lang;
pub mod learned;
pub mod rules;
pub mod structure;

use newsflow_record::telemetry;
use newsflow_record::{
    record_id, rfc3339, Boilerplate, Dedup, Failed, Item, ItemFailure, Pipeline, RawItem, Reason,
    Record, Source, Stage, StageError, PIPELINE_VERSION,
};
use rules::RuleSet;
use std::sync::Arc;
use std::time::Instant;
use structure::Removed;
use tokio::sync::watch;

/// What the normalizer makes of one file.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Normalized {
    /// Input format: `text`, `html`, `json`, `rss`, `atom`, with `gzip+` in front
    /// for a gzipped file.
    pub format: String,
    pub encoding: &'static str,
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub authors: Vec<String>,
    pub url: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub categories: Vec<String>,
    /// Paragraphs joined by one blank line.
    pub body: String,
    /// Every removed line, with the rule that removed it.
    pub removed: Vec<Removed>,
    /// With `Layers::explain`: every line and what became of it.
    pub explained: Vec<structure::Explained>,
    /// The language the text layers detected (ISO 639-1, confidence), handed to
    /// the enricher so that it does not run whatlang over the same text again.
    pub language: Option<(&'static str, f64)>,
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

fn extension(file_name: &str) -> String {
    file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

/// JSON whatever the file is called: an object, or an array holding one.
fn looks_like_json(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{')
        || (t.starts_with('[')
            && (t[1..].trim_start().starts_with('{') || (t.ends_with(']') && t.contains('{'))))
}

/// The normalizer's pure core: the bytes and name of a dropped file in, clean text
/// and head fields out, or the reason it cannot be a record.
pub fn normalize(bytes: &[u8], file_name: &str, rules: &RuleSet) -> Result<Normalized, StageError> {
    normalize_with(bytes, file_name, rules, structure::Layers::default(), None)
}

/// Limits on what one file may expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed size of a gzip file (`[intake] max_decompressed_bytes`).
    pub max_decompressed_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decompressed_bytes: 64 * 1024 * 1024,
        }
    }
}

/// [`normalize`] with a choice of boilerplate layers (the evaluation compares them).
pub fn normalize_with(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Normalized, StageError> {
    normalize_full(bytes, file_name, rules, layers, learned, Limits::default())
}

/// Decompresses a gzip file, refusing to produce more than `cap` bytes: a
/// decompression bomb is stopped at the cap, never expanded.
fn gunzip(bytes: &[u8], cap: u64) -> Result<Vec<u8>, StageError> {
    use std::io::Read;
    let mut out = Vec::new();
    let mut reader = flate2::read::MultiGzDecoder::new(bytes).take(cap + 1);
    reader.read_to_end(&mut out).map_err(|e| {
        StageError::new(
            Stage::Normalizer,
            Reason::Corrupt,
            format!("the gzip data is damaged ({e}); drop the file again or decompress it to see"),
        )
    })?;
    if out.len() as u64 > cap {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::TooLarge,
            format!(
                "the gzip file expands to more than {cap} bytes ([intake] max_decompressed_bytes) \
                 from {} compressed bytes; refused as a possible decompression bomb, raise the \
                 limit if it is genuine",
                bytes.len()
            ),
        ));
    }
    Ok(out)
}

/// [`normalize_with`] with explicit [`Limits`], for a file of one item (a file of
/// several is refused here: [`normalize_items`] gives them one by one).
pub fn normalize_full(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
    limits: Limits,
) -> Result<Normalized, StageError> {
    let mut items = normalize_items(bytes, file_name, rules, layers, learned, limits)?;
    if items.len() == 1 {
        return items.pop().expect("one item");
    }
    Err(StageError::new(
        Stage::Normalizer,
        Reason::UnsupportedFormat,
        format!(
            "the file holds {} items; each becomes its own record in the daemon, and \
             `newsflow explain` shows them one by one",
            items.len()
        ),
    ))
}

/// One file's items, each normalized or refused on its own: one item for a text
/// file, an HTML page or a JSON object; one per element of a JSON array, per line
/// of a JSON-lines file, per entry of an RSS/Atom feed. The outer error is for the
/// file as a whole (not decodable, no JSON, no feed, no item at all); a file of
/// one item that fails fails as a whole.
pub fn normalize_items(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
    limits: Limits,
) -> Result<Vec<Result<Normalized, StageError>>, StageError> {
    let (bytes, file_name, gzipped) = if bytes.starts_with(b"\x1f\x8b") {
        // gzip inside gzip is refused by `decode`, which every path goes through.
        let inner = gunzip(bytes, limits.max_decompressed_bytes)?;
        let lower = file_name.to_ascii_lowercase();
        let inner_name = if lower.ends_with(".gz") {
            &file_name[..file_name.len() - 3]
        } else if lower.ends_with(".gzip") {
            &file_name[..file_name.len() - 5]
        } else {
            file_name
        };
        (std::borrow::Cow::Owned(inner), inner_name, true)
    } else {
        (std::borrow::Cow::Borrowed(bytes), file_name, false)
    };
    let mut items = normalize_plain(&bytes, file_name, rules, layers, learned)?;
    if gzipped {
        for n in items.iter_mut().flatten() {
            n.format = format!("gzip+{}", n.format);
        }
    }
    if items.len() == 1 {
        let one = items.pop().expect("one item")?;
        return Ok(vec![Ok(one)]);
    }
    Ok(items)
}

/// Is this file an HTML page, by name or by its first bytes?
fn is_html(bytes: &[u8], file_name: &str) -> bool {
    if matches!(extension(file_name).as_str(), "html" | "htm" | "xhtml") {
        return true;
    }
    let head = &bytes[..bytes.len().min(1024)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    html::sniff(&String::from_utf8_lossy(head))
}

fn normalize_plain(
    bytes: &[u8],
    file_name: &str,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Vec<Result<Normalized, StageError>>, StageError> {
    let ext = extension(file_name);
    if feed::sniff(bytes, &ext) {
        return normalize_feed(bytes, rules, layers, learned);
    }
    if is_html(bytes, file_name) {
        return Ok(vec![normalize_html(bytes, rules, layers, learned)]);
    }
    let decoded = decode::decode(bytes)?;
    if matches!(ext.as_str(), "json" | "jsonl" | "ndjson") || looks_like_json(&decoded.text) {
        let lines = matches!(ext.as_str(), "jsonl" | "ndjson");
        return normalize_json(&decoded, lines, rules, layers, learned);
    }
    if ext == "xml" || decoded.text.trim_start().starts_with("<?xml") {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::UnsupportedFormat,
            "the XML file is neither an RSS/Atom feed nor an HTML page; newsflow reads text, \
             HTML, scraper JSON and feeds (optionally gzipped)",
        ));
    }
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
    Ok(vec![Ok(Normalized {
        format: "text".into(),
        encoding: decoded.encoding,
        authors: s.byline.iter().cloned().collect(),
        title: s.title,
        byline: s.byline,
        published: s.published,
        body: s.paragraphs.join("\n\n"),
        removed: s.removed,
        explained: s.explained,
        language: s.language,
        ..Normalized::default()
    })])
}

/// The learned layer for item `n` (from 1) of a file of several: each item is
/// its own document, so items of one file can teach the layer a site's lines.
fn item_doc(learned: Option<&learned::Learned>, n: usize, items: usize) -> Option<String> {
    learned.map(|l| newsflow_record::record_id(l.doc, n, items))
}

fn with_doc<'a>(
    learned: Option<&learned::Learned<'a>>,
    doc: &'a Option<String>,
) -> Option<learned::Learned<'a>> {
    learned
        .zip(doc.as_deref())
        .map(|(l, doc)| learned::Learned {
            memory: l.memory,
            source: l.source,
            doc,
            cfg: l.cfg,
        })
}

/// Every item of a scraped collection through [`normalize_scraped`], each with
/// its own learned-layer document and its position in errors.
fn normalize_collection(
    items: Vec<Result<json::ScrapedItem, String>>,
    what: &ItemKind,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Vec<Result<Normalized, StageError>> {
    let count = items.len();
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let item = item.map_err(|m| {
                StageError::new(
                    Stage::Normalizer,
                    Reason::Malformed,
                    format!("{m}; fix the scraper's output"),
                )
            })?;
            let doc = item_doc(learned, i + 1, count);
            let learned = with_doc(learned, &doc);
            normalize_scraped(item, what, rules, layers, learned.as_ref()).map_err(|mut e| {
                if count > 1 {
                    e.message = format!("item {}: {}", i + 1, e.message);
                }
                e
            })
        })
        .collect()
}

/// Where a scraped item came from, for its format name and its layers.
struct ItemKind {
    format: &'static str,
    encoding: &'static str,
    /// Feed text is the publisher's own, not a scraped page's: the classifier,
    /// made for page chrome, would judge a one-sentence summary as a teaser.
    classifier: bool,
}

/// An RSS or Atom feed: one item per entry.
fn normalize_feed(
    bytes: &[u8],
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Vec<Result<Normalized, StageError>>, StageError> {
    let parsed = feed::parse(bytes).map_err(|e| {
        StageError::new(
            Stage::Normalizer,
            Reason::Malformed,
            format!("the feed does not parse ({e}); check that the scraper saved it whole"),
        )
    })?;
    if parsed.items.is_empty() {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            "the feed holds no items",
        ));
    }
    let kind = ItemKind {
        format: parsed.format,
        // feed-rs decodes the declared encoding; the text it hands over is UTF-8.
        encoding: "UTF-8",
        classifier: false,
    };
    let items = parsed.items.into_iter().map(Ok).collect();
    Ok(normalize_collection(items, &kind, rules, layers, learned))
}

/// The headline usually opens the content too: once, in the title, is enough.
fn drop_title_line(s: &mut structure::Structured, title: Option<&str>) {
    if let (Some(t), Some(first)) = (title, s.paragraphs.first()) {
        if first.trim() == t.trim() {
            s.paragraphs.remove(0);
        }
    }
}

/// Scraper JSON: every item through [`normalize_scraped`].
fn normalize_json(
    decoded: &decode::Decoded,
    lines: bool,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Vec<Result<Normalized, StageError>>, StageError> {
    let items = json::parse_all(&decoded.text, lines).map_err(|m| {
        StageError::new(
            Stage::Normalizer,
            Reason::Malformed,
            format!("the JSON does not parse as scraper items ({m}); fix the scraper's output"),
        )
    })?;
    let kind = ItemKind {
        format: "json",
        encoding: decoded.encoding,
        classifier: true,
    };
    Ok(normalize_collection(items, &kind, rules, layers, learned))
}

/// One scraped item (a JSON object or a feed entry): its fields mapped, its
/// content through the HTML path (a whole page) or straight to the text layers
/// (text, or an HTML fragment's visible text).
fn normalize_scraped(
    item: json::ScrapedItem,
    kind: &ItemKind,
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Normalized, StageError> {
    let Some((content, is_html)) = item.content.clone() else {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            "the item has no text (no html, content, text, body or articleBody field; no \
             content or description in a feed entry)",
        ));
    };
    let whole_page = is_html && html::sniff(&content);
    let mut page = html::Page::default();
    let text = if whole_page {
        page = html::extract(&content).map_err(|e| {
            StageError::new(
                Stage::Normalizer,
                Reason::NoContent,
                format!("no article text could be extracted from the item's HTML: {e}"),
            )
        })?;
        page.text.clone()
    } else if is_html {
        html::visible_text(&content, true)
    } else {
        content
    };
    let title = item.title.clone().or(page.title.clone());
    let layers = structure::Layers {
        head: title.is_none(),
        classifier: layers.classifier && kind.classifier && !whole_page,
        ..layers
    };
    let mut s = structure::structure(&text, rules, layers, learned);
    drop_title_line(&mut s, title.as_deref());
    if s.paragraphs.is_empty() {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            format!(
                "the item's text is empty once boilerplate is removed ({} line(s) removed)",
                s.removed.len()
            ),
        ));
    }
    let authors = if item.authors.is_empty() {
        if page.authors.is_empty() {
            s.byline.iter().cloned().collect()
        } else {
            page.authors
        }
    } else {
        item.authors
    };
    Ok(Normalized {
        format: kind.format.into(),
        encoding: kind.encoding,
        title: title.or(s.title),
        byline: (!authors.is_empty()).then(|| authors.join(", ")),
        authors,
        published: item
            .published
            .or(page.published)
            .as_deref()
            .and_then(structure::iso_date)
            .or(s.published),
        modified: item
            .modified
            .or(page.modified)
            .as_deref()
            .and_then(structure::iso_date),
        url: item.url.or(page.url),
        site_name: item.site_name.or(page.site_name),
        description: item.description.or(page.description),
        image: item.image.or(page.image),
        categories: item.categories,
        body: s.paragraphs.join("\n\n"),
        removed: s.removed,
        explained: s.explained,
        language: s.language,
    })
}

/// An HTML page: its declared charset, main content and metadata, then the text
/// path's boilerplate layers over the extracted text (the page's metadata gives
/// title, authors and dates, so the text's head is not searched for them).
fn normalize_html(
    bytes: &[u8],
    rules: &RuleSet,
    layers: structure::Layers,
    learned: Option<&learned::Learned>,
) -> Result<Normalized, StageError> {
    let decoded = decode::decode_with_hint(bytes, html::declared_charset(bytes))?;
    let page = html::extract(&decoded.text).map_err(|e| {
        StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            format!("no article text could be extracted from the HTML page: {e}"),
        )
    })?;
    // Readability has already judged the page's blocks with the DOM in view; the
    // text classifier, judging lines without it, took a tenth of the article
    // text back out (recall 0.875 against 1.000 on readability-dev). The rule
    // packs and the learned site lines still run.
    let layers = structure::Layers {
        head: false,
        classifier: false,
        ..layers
    };
    let mut s = structure::structure(&page.text, rules, layers, learned);
    drop_title_line(&mut s, page.title.as_deref());
    if s.paragraphs.is_empty() {
        return Err(StageError::new(
            Stage::Normalizer,
            Reason::NoContent,
            format!(
                "the HTML page has no article text once navigation and boilerplate are removed \
                 ({} boilerplate line(s) removed); `newsflow explain` shows what was found",
                s.removed.len()
            ),
        ));
    }
    Ok(Normalized {
        format: "html".into(),
        encoding: decoded.encoding,
        title: page.title.or(s.title),
        byline: (!page.authors.is_empty()).then(|| page.authors.join(", ")),
        authors: page.authors,
        published: page
            .published
            .as_deref()
            .and_then(structure::iso_date)
            .or(s.published),
        modified: page.modified.as_deref().and_then(structure::iso_date),
        url: page.url,
        site_name: page.site_name,
        description: page.description,
        image: page.image,
        categories: Vec::new(),
        body: s.paragraphs.join("\n\n"),
        removed: s.removed,
        explained: s.explained,
        language: s.language,
    })
}

/// Builds the record the later stages fill in: item `item` (from 1) of a file of
/// `items`, with the id [`record_id`] gives it.
pub fn to_record(raw: &RawItem, n: Normalized, item: usize, items: usize) -> Record {
    let rules = n.rules_fired();
    Record {
        id: record_id(&raw.claim.id, item, items),
        source: Source {
            file_name: raw.claim.file_name.to_string_lossy().into_owned(),
            path: raw.claim.rel_path.clone(),
            bytes: raw.bytes.len() as u64,
            sha256: raw.sha256.clone(),
            item: (items > 1).then_some(item),
            received_at: rfc3339(raw.claim.received_at),
            format: n.format,
            encoding: n.encoding.to_string(),
        },
        title: n.title,
        byline: n.byline,
        published: n.published,
        modified: n.modified,
        authors: n.authors,
        url: n.url,
        site_name: n.site_name,
        description: n.description,
        image: n.image,
        categories: n.categories,
        language: None,
        language_confidence: None,
        language_hint: n.language.map(|(l, c)| (l.to_string(), c)),
        title_language: None,
        body: n.body,
        quotes: Vec::new(),
        dates: Vec::new(),
        keywords: Vec::new(),
        entities: Default::default(),
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
    limits: Limits,
) {
    // Dedicated threads, not the blocking pool: see `newsflow_record::workers`.
    newsflow_record::workers::run_threads("normalizer", workers, move |_| {
        while let Ok(raw) = rx.recv_blocking() {
            telemetry::item_in(Stage::Normalizer);
            let started = Instant::now();
            let set = rules.borrow().clone();
            let name = raw.claim.file_name.to_string_lossy().into_owned();
            let source = learn.as_ref().map(|l| l.source.of(&raw.claim.rel_path));
            let learned = learn.as_ref().zip(source.as_deref()).map(|(l, source)| learned::Learned {
                memory: l.memory.as_ref(),
                source,
                doc: &raw.claim.id,
                cfg: l.cfg,
            });
            let result = normalize_items(&raw.bytes, &name, &set, structure::Layers::default(), learned.as_ref(), limits);
            match result {
                Ok(parts) => {
                    let count = parts.len();
                    let mut records = Vec::with_capacity(count);
                    let mut failures = Vec::new();
                    for (i, part) in parts.into_iter().enumerate() {
                        match part {
                            Ok(n) => {
                                for r in &n.removed {
                                    // Learned ids are unbounded in number: they share one series.
                                    let rule = if r.kind == "learned" { "learned".to_string() } else { r.rule_id.clone() };
                                    metrics::counter!(telemetry::BOILERPLATE_LINES, "kind" => r.kind.clone(), "rule" => rule).increment(1);
                                }
                                records.push(to_record(&raw, n, i + 1, count));
                            }
                            Err(e) => {
                                // A file of a million broken lines must not log a million lines.
                                if failures.len() < 10 {
                                    tracing::warn!(file = %raw.claim.rel_path, id = %raw.claim.id, item = i + 1, reason = %e.reason,
                                        "an item of the file cannot become a record; the others go on and the file will be quarantined with its position: {}", e.message);
                                }
                                failures.push(ItemFailure::new(i + 1, record_id(&raw.claim.id, i + 1, count), e));
                            }
                        }
                    }
                    tracing::debug!(file = %raw.claim.rel_path, id = %raw.claim.id, records = records.len(), failed_items = failures.len(), "normalized");
                    telemetry::item_out(Stage::Normalizer, started.elapsed());
                    if tx.send_blocking(Item { claim: raw.claim, records, failures }).is_err() {
                        break;
                    }
                }
                Err(error) => {
                    telemetry::item_failed(Stage::Normalizer, started.elapsed());
                    if failed.send_blocking(Failed { claim: raw.claim, error }).is_err() {
                        break;
                    }
                }
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_json_feeds_and_gzip_are_read() {
        let rules = RuleSet::builtin();
        let items = normalize_items(
            br#"[{"text": "The council met on Monday to approve the new budget for schools."}, {"text": ""}]"#,
            "a.json",
            &rules,
            Default::default(),
            None,
            Limits::default(),
        )
        .unwrap();
        assert_eq!(items.len(), 2);
        assert!(items[0].is_ok());
        let e = items[1].as_ref().unwrap_err();
        assert_eq!(e.reason, Reason::NoContent);
        assert!(e.message.starts_with("item 2:"), "{}", e.message);
        let e = normalize(br#"{"title": "x", "#, "a.json", &rules).unwrap_err();
        assert_eq!(e.reason, Reason::Malformed);
        let n = normalize(
            br#"{"title": "Bridge reopens", "text": "The old bridge reopened on Monday after two years of repairs."}"#,
            "a.txt",
            &rules,
        )
        .unwrap();
        assert_eq!(
            (n.format.as_str(), n.title.as_deref()),
            ("json", Some("Bridge reopens"))
        );
        let e = normalize(b"<?xml version=\"1.0\"?><rss></rss>", "a.txt", &rules).unwrap_err();
        assert!(e.message.contains("feed"), "{}", e.message);
        let e = normalize(b"<?xml version=\"1.0\"?><config/>", "a.xml", &rules).unwrap_err();
        assert_eq!(e.reason, Reason::UnsupportedFormat);
        let page = "<!DOCTYPE html><html><head><title>Bridge reopens</title></head><body>\
            <nav>Home | News</nav><article><p>The old bridge over the river reopened on Monday \
            after two years of repairs, the council said in a statement.</p></article></body></html>";
        let n = normalize(page.as_bytes(), "a.txt", &rules).unwrap();
        assert_eq!(n.format, "html");
        assert_eq!(n.title.as_deref(), Some("Bridge reopens"));
        assert!(n.body.starts_with("The old bridge"), "{}", n.body);
        let gz = {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            e.write_all(page.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        let n = normalize(&gz, "a.html.gz", &rules).unwrap();
        assert_eq!(n.format, "gzip+html");
        let limits = Limits {
            max_decompressed_bytes: 100,
        };
        let e =
            normalize_full(&gz, "a.html.gz", &rules, Default::default(), None, limits).unwrap_err();
        assert_eq!(e.reason, Reason::TooLarge);
        let e = normalize(&gz[..gz.len() / 2], "a.html.gz", &rules).unwrap_err();
        assert_eq!(e.reason, Reason::Corrupt);
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
