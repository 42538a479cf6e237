//! Key phrases by YAKE (Campos et al., 2020): unsupervised, one document at a
//! time, stopword-aware per language.
//!
//! Hand-written: the YAKE crates on crates.io are unmaintained or pull their own
//! stopword files; this follows the paper's single-word features (casing,
//! position, frequency, context relatedness, sentence spread) and its n-gram
//! score, over the stopword list of the record's language
//! (`newsflow_record::words`, shared with the normalizer's classifier).

// rapidhash's maps: SipHash on the many short words was a fifth of the time.
use newsflow_record::words::{self, StopWords};
use rapidhash::{RapidHashMap as FastMap, RapidHashSet as FastSet};
use std::borrow::Cow;

/// The stopwords of `lang`, or English's for a language without a list (a
/// stopword list of the wrong language only weakens the phrase boundaries).
fn stopwords(lang: &str) -> &'static StopWords {
    words::stopwords(lang)
        .or_else(|| words::stopwords("en"))
        .expect("the English list is built in")
}

struct Token<'a> {
    /// Borrowed from the text when the word has no capital (most words): a
    /// String per token was the feature's largest allocation cost.
    lower: Cow<'a, str>,
    upper_start: bool,
    acronym: bool,
    sentence: usize,
    stop: bool,
}

fn tokenize<'a>(text: &'a str, stop: &StopWords) -> Vec<Vec<Token<'a>>> {
    // Sentences, then words; a chunk boundary (punctuation) ends a phrase.
    let mut chunks: Vec<Vec<Token<'a>>> = Vec::new();
    let mut sentence = 0;
    for sent in text.split_inclusive(['.', '!', '?', '\n']) {
        for chunk in sent.split([
            ',', ';', ':', '(', ')', '"', '“', '”', '«', '»', '„', '—', '–',
        ]) {
            let mut tokens = Vec::new();
            for (i, w) in chunk
                .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'))
                .filter(|w| w.chars().any(char::is_alphabetic))
                .enumerate()
            {
                let w = w.trim_matches(['-', '\'', '’']);
                if w.is_empty() {
                    continue;
                }
                let lower = if w.chars().any(char::is_uppercase) {
                    Cow::Owned(w.to_lowercase())
                } else {
                    Cow::Borrowed(w)
                };
                let mut letters = w.chars().filter(|c| c.is_alphabetic());
                let acronym = w.chars().filter(|c| c.is_alphabetic()).count() > 1
                    && letters.all(char::is_uppercase);
                tokens.push(Token {
                    stop: stop.contains(lower.as_ref()) || lower.chars().count() < 2,
                    upper_start: i > 0 && w.chars().next().is_some_and(char::is_uppercase),
                    acronym,
                    lower,
                    sentence,
                });
            }
            if !tokens.is_empty() {
                chunks.push(tokens);
            }
        }
        sentence += 1;
    }
    chunks
}

/// Text past this is not read for key phrases: an article's subject is set long
/// before, and the candidate table grows with the text (a 16 MB body would cost
/// hundreds of megabytes).
const MAX_TEXT_BYTES: usize = 100_000;

/// The `n` best key phrases of `text` (1 to 3 words), best first.
pub fn keywords(text: &str, lang: Option<&str>, n: usize) -> Vec<String> {
    let mut cut = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    let stop = stopwords(lang.unwrap_or("en"));
    let chunks = tokenize(text, stop);
    let sentences = chunks
        .iter()
        .flatten()
        .map(|t| t.sentence)
        .max()
        .unwrap_or(0)
        + 1;
    // Single-word features.
    #[derive(Default)]
    struct Stats {
        tf: f64,
        upper: f64,
        acronym: f64,
        sentences: Vec<usize>,
        left: usize,
        right: usize,
    }
    let mut stats: FastMap<&str, Stats> = FastMap::default();
    // Distinct (word, neighbour) pairs in two sets for the whole text: two sets
    // per distinct word were most of the allocations.
    let mut lefts: FastSet<(&str, &str)> = FastSet::default();
    let mut rights: FastSet<(&str, &str)> = FastSet::default();
    for chunk in &chunks {
        for (i, t) in chunk.iter().enumerate() {
            let w: &str = &t.lower;
            let s = stats.entry(w).or_default();
            s.tf += 1.0;
            s.upper += t.upper_start as u8 as f64;
            s.acronym += t.acronym as u8 as f64;
            if s.sentences.last() != Some(&t.sentence) {
                s.sentences.push(t.sentence);
            }
            if i > 0 && lefts.insert((w, &chunk[i - 1].lower)) {
                s.left += 1;
            }
            if let Some(r) = chunk.get(i + 1) {
                if rights.insert((w, &r.lower)) {
                    s.right += 1;
                }
            }
        }
    }
    if stats.is_empty() {
        return Vec::new();
    }
    // From integer sums, which do not depend on the map's (randomly seeded)
    // iteration order: summing floats in that order made near-tied phrases
    // swap places from one run to the next.
    let (distinct, sum, sum_sq, max_tf) =
        stats.values().fold((0u64, 0u64, 0u64, 1u64), |acc, s| {
            let tf = s.tf as u64;
            (acc.0 + 1, acc.1 + tf, acc.2 + tf * tf, acc.3.max(tf))
        });
    let mean = sum as f64 / distinct as f64;
    let sd = (sum_sq as f64 / distinct as f64 - mean * mean)
        .max(0.0)
        .sqrt();
    let max_tf = max_tf as f64;
    let score: FastMap<&str, f64> = stats
        .iter()
        .map(|(w, s)| {
            let case = s.upper.max(s.acronym) / (1.0 + s.tf.ln());
            // Sentence numbers arrive in order, repeats skipped on the way in.
            let sents = &s.sentences;
            let median = sents[sents.len() / 2] as f64;
            let pos = (3.0 + median).ln().ln();
            let freq = s.tf / (mean + sd);
            let rel = 1.0 + (s.left as f64 / s.tf + s.right as f64 / s.tf) * (s.tf / max_tf);
            let spread = sents.len() as f64 / sentences as f64;
            (*w, rel * pos / (case + freq / rel + spread / rel))
        })
        .collect();
    // Candidate phrases: 1–3 words, not starting or ending with a stopword,
    // keyed by their words (no string built per occurrence: that was most of the
    // feature's time).
    let mut cands: FastMap<[&str; 3], (f64, usize)> = FastMap::default();
    for chunk in &chunks {
        for start in 0..chunk.len() {
            for len in 1..=3 {
                let Some(words) = chunk.get(start..start + len) else {
                    break;
                };
                if words[0].stop || words[len - 1].stop {
                    continue;
                }
                let mut key = [""; 3];
                for (k, t) in key.iter_mut().zip(words) {
                    *k = &t.lower;
                }
                cands.entry(key).or_insert((0.0, len)).0 += 1.0;
            }
        }
    }
    // Ranked by score, ties by phrase. Words hold no spaces, so comparing the
    // word arrays orders as comparing the joined phrases would; the phrase
    // strings are built only for the few read below.
    let mut ranked: Vec<(f64, [&str; 3], usize)> = cands
        .into_iter()
        .map(|(key, (tf, len))| {
            let (mut prod, mut sum) = (1.0, 0.0);
            for w in key[..len].iter().filter(|w| !stop.contains(**w)) {
                let s = score.get(w).copied().unwrap_or(1.0);
                prod *= s;
                sum += s;
            }
            (prod / (tf * (1.0 + sum)), key, len)
        })
        .collect();
    ranked.sort_unstable_by(|a, b| {
        a.0.total_cmp(&b.0)
            .then_with(|| a.1[..a.2].cmp(&b.1[..b.2]))
    });
    // Drop a phrase contained in a better one, and near repeats.
    let mut out: Vec<String> = Vec::new();
    for (_, key, len) in ranked {
        let p = key[..len].join(" ");
        if out.iter().any(|o| o.contains(&p) || p.contains(o.as_str())) {
            continue;
        }
        out.push(p);
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_articles_subject_comes_first_and_stopwords_never_bound_a_phrase() {
        let text = "The harbour authority reopened the northern quay on Tuesday. \
            The northern quay had been closed for three months of repairs. \
            Fishing boats will return to the northern quay on Wednesday, the harbour authority said. \
            Repairs to the southern quay start in spring.";
        let k = keywords(text, Some("en"), 5);
        assert!(k.iter().take(3).any(|p| p == "northern quay"), "{k:?}");
        assert!(k.iter().any(|p| p.contains("harbour authority")), "{k:?}");
        for p in &k {
            let first = p.split(' ').next().unwrap();
            let last = p.split(' ').next_back().unwrap();
            assert!(!["the", "on", "of", "to"].contains(&first), "{p}");
            assert!(!["the", "on", "of", "to"].contains(&last), "{p}");
        }
        assert!(keywords("", Some("en"), 5).is_empty());
        // A huge body is read only in part, and quickly.
        let big = "Ferry timetables change on the islands. ".repeat(200_000);
        let t = std::time::Instant::now();
        assert!(keywords(&big, Some("en"), 5)
            .iter()
            .any(|k| k.contains("ferry")));
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
        assert!(keywords("the of and", Some("en"), 5).is_empty());
    }
}
