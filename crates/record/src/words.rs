//! Stopword lists shared by the stages that weigh words (the normalizer's
//! paragraph classifier, the enricher's key phrases), so both read the same list
//! for a language and load it once per process.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

/// A language's stopwords, lowercase. rapidhash's set: these are looked up once
/// per word of every document, where SipHash was measurable.
pub type StopWords = rapidhash::RapidHashSet<String>;

/// Languages with a list here (Stopwords ISO, through the `stop-words` crate).
pub const STOPWORD_LANGS: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "ro", "hu", "tr",
    "ru", "ca",
];

/// The stopword set for an ISO 639-1 code, loaded once and kept for the process;
/// `None` for a language without a list.
pub fn stopwords(lang: &str) -> Option<&'static StopWords> {
    static CACHE: LazyLock<Mutex<HashMap<String, &'static StopWords>>> =
        LazyLock::new(Default::default);
    if !STOPWORD_LANGS.contains(&lang) {
        return None;
    }
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(set) = cache.get(lang) {
        return Some(set);
    }
    let set: StopWords = stop_words::get(lang)
        .iter()
        .map(|w| w.to_lowercase())
        .collect();
    let set: &'static StopWords = Box::leak(Box::new(set));
    cache.insert(lang.to_string(), set);
    Some(set)
}
