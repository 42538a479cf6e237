//! The enricher stage: word count, reading time, language (of the body, and of
//! the title when it differs), people, places and organizations ([`entities`]),
//! direct quotes with their speakers ([`quotes`]), dates ([`dates`]) and key
//! phrases ([`keywords`]) of each record.
//!
//! [`enrich`] is the pure core; [`run`] moves items from the deduplicator to the sink.

pub mod dates;
pub mod entities;
pub mod keywords;
pub mod quotes;

pub use entities::Gazetteer;
use newsflow_record::telemetry;
use newsflow_record::{Item, Record, Stage};
use std::sync::Arc;
use std::time::Instant;

/// Settings from `[enricher]`.
#[derive(Debug, Clone)]
pub struct EnrichConfig {
    /// Reading speed used for `reading_time_seconds`.
    pub words_per_minute: u32,
    /// Below this many words the language is not guessed (too little evidence).
    pub min_words_for_language: usize,
    /// Find direct quotes and their speakers.
    pub quotes: bool,
    /// Find the dates the text mentions (and `published` when the input gave none).
    pub dates: bool,
    /// How many key phrases to give (0: none).
    pub keywords: usize,
    /// Find people, places and organizations.
    pub entities: bool,
    /// Places, organizations and given names the entity tagger knows.
    pub gazetteer: Arc<Gazetteer>,
}

impl PartialEq for EnrichConfig {
    fn eq(&self, o: &Self) -> bool {
        self.words_per_minute == o.words_per_minute
            && self.min_words_for_language == o.min_words_for_language
            && self.quotes == o.quotes
            && self.dates == o.dates
            && self.keywords == o.keywords
            && self.entities == o.entities
            && Arc::ptr_eq(&self.gazetteer, &o.gazetteer)
    }
}

impl Default for EnrichConfig {
    fn default() -> Self {
        EnrichConfig {
            words_per_minute: 230,
            min_words_for_language: 3,
            quotes: true,
            dates: true,
            keywords: 10,
            entities: true,
            gazetteer: Gazetteer::embedded(),
        }
    }
}

/// Words as readers count them: whitespace-separated tokens holding a letter or digit.
pub fn word_count(text: &str) -> usize {
    text.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .count()
}

/// Seconds a reader needs at `wpm` words per minute, rounded up.
pub fn reading_time_seconds(words: usize, wpm: u32) -> u64 {
    let wpm = u64::from(wpm.max(1));
    (words as u64 * 60).div_ceil(wpm)
}

/// whatlang's time grows with the text and was the largest cost of a record;
/// its answer does not change past a couple of paragraphs.
const LANGUAGE_SAMPLE_BYTES: usize = 3000;

/// The first `LANGUAGE_SAMPLE_BYTES` of `text`, cut at a character boundary.
fn sample(text: &str) -> &str {
    if text.len() <= LANGUAGE_SAMPLE_BYTES {
        return text;
    }
    let mut end = LANGUAGE_SAMPLE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// ISO 639-1 code and confidence of the text's language, if it can be told.
/// whatlang is a trigram model covering 69 languages, small and fast; it reports
/// ISO 639-3, which isolang maps to 639-1.
pub fn language(text: &str) -> Option<(String, f64)> {
    let info = whatlang::detect(sample(text))?;
    let code = match info.lang() {
        // whatlang names Chinese by Mandarin's code, which has no 639-1 form.
        whatlang::Lang::Cmn => "zh",
        l => isolang::Language::from_639_3(l.code())?.to_639_1()?,
    };
    Some((code.to_string(), confidence(info.confidence())))
}

/// whatlang's confidence as the record reports it: three decimals.
fn confidence(c: f64) -> f64 {
    (c * 1000.0).round() / 1000.0
}

/// Fills the enricher's fields of `record`.
pub fn enrich(record: &mut Record, cfg: &EnrichConfig) {
    record.word_count = word_count(&record.body);
    record.reading_time_seconds = reading_time_seconds(record.word_count, cfg.words_per_minute);
    if record.word_count >= cfg.min_words_for_language {
        let t = Instant::now();
        // The normalizer's reading, when it had a confident one, is of the same
        // text before boilerplate removal: a whatlang call costs ~0.1 ms however
        // short the text, a twentieth of a record's whole processing.
        let found = match record.language_hint.take() {
            Some((lang, conf)) => Some((lang, confidence(conf))),
            None => language(&record.body),
        };
        if let Some((lang, conf)) = found {
            record.language = Some(lang);
            record.language_confidence = Some(conf);
        }
        record.title_language = record
            .title
            .as_deref()
            .filter(|t| word_count(t) >= MIN_TITLE_WORDS)
            .and_then(language)
            .filter(|(l, conf)| *conf >= 0.5 && record.language.as_deref() != Some(l.as_str()))
            .map(|(l, _)| l);
        metrics::histogram!(telemetry::ENRICHER_FEATURE_SECONDS, "feature" => "language")
            .record(t.elapsed().as_secs_f64());
    }
    if cfg.dates {
        let t = Instant::now();
        if record.published.is_none() {
            record.published = dates::published_from_text(&record.body);
        }
        record.dates = dates::mentions(&record.body, record.published.as_deref());
        metrics::histogram!(telemetry::ENRICHER_FEATURE_SECONDS, "feature" => "dates")
            .record(t.elapsed().as_secs_f64());
    }
    if cfg.keywords > 0 {
        let t = Instant::now();
        record.keywords =
            keywords::keywords(&record.body, record.language.as_deref(), cfg.keywords);
        metrics::histogram!(telemetry::ENRICHER_FEATURE_SECONDS, "feature" => "keywords")
            .record(t.elapsed().as_secs_f64());
    }
    let mut mentions = Vec::new();
    if cfg.entities {
        let t = Instant::now();
        (record.entities, mentions) =
            entities::analyze(&record.body, record.language.as_deref(), &cfg.gazetteer);
        metrics::histogram!(telemetry::ENRICHER_FEATURE_SECONDS, "feature" => "entities")
            .record(t.elapsed().as_secs_f64());
    }
    if cfg.quotes {
        let t = Instant::now();
        record.quotes = quotes::quotes_with(&record.body, &mentions);
        if cfg.entities {
            entities::canonical_speakers(&mut record.quotes, &mut record.entities);
        }
        metrics::histogram!(telemetry::ENRICHER_FEATURE_SECONDS, "feature" => "quotes")
            .record(t.elapsed().as_secs_f64());
    }
}

/// A title shorter than this is not given a language of its own: a few words
/// are too little evidence and names look foreign in any language.
const MIN_TITLE_WORDS: usize = 5;

/// Enriches items until the input channel closes, on `workers` tasks that share
/// the channels (items are independent: the deduplicator before has already
/// ordered them). Settings are read from `cfg` for every item, so a reload takes
/// effect at once.
pub async fn run(
    rx: async_channel::Receiver<Item>,
    tx: async_channel::Sender<Item>,
    cfg: tokio::sync::watch::Receiver<EnrichConfig>,
    workers: usize,
) {
    // Dedicated threads, not the blocking pool: see `newsflow_record::workers`.
    newsflow_record::workers::run_threads("enricher", workers, move |_| {
        while let Ok(mut item) = rx.recv_blocking() {
            telemetry::item_in(Stage::Enricher);
            let started = Instant::now();
            let cfg = cfg.borrow().clone();
            for record in &mut item.records {
                enrich(record, &cfg);
            }
            telemetry::item_out(Stage::Enricher, started.elapsed());
            if tx.send_blocking(item).is_err() {
                break;
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_reading_time() {
        assert_eq!(word_count("Hello, world — it's 2022 ."), 4);
        assert_eq!(reading_time_seconds(230, 230), 60);
        assert_eq!(reading_time_seconds(231, 230), 61);
        assert_eq!(reading_time_seconds(0, 230), 0);
    }

    #[test]
    fn languages_of_news_sentences() {
        let cases = [
            ("en", "The foreign ministers met in Geneva on Friday to discuss the crisis around Ukraine."),
            ("de", "Die Außenminister trafen sich am Freitag in Genf, um über die Krise in der Ukraine zu sprechen."),
            ("fr", "Les ministres des affaires étrangères se sont réunis vendredi à Genève pour discuter de la crise."),
            ("es", "Los ministros de exteriores se reunieron el viernes en Ginebra para hablar de la crisis en Ucrania."),
            ("it", "I ministri degli esteri si sono incontrati venerdì a Ginevra per discutere della crisi in Ucraina."),
        ];
        for (want, text) in cases {
            assert_eq!(
                language(text).map(|(l, _)| l).as_deref(),
                Some(want),
                "{text}"
            );
        }
    }
}
