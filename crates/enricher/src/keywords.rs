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

/// A word of the text, by its id in the document's vocabulary: hashing and
/// comparing small integers instead of strings was most of the feature's time.
#[derive(Clone, Copy)]
struct Token {
    word: u32,
    upper_start: bool,
    acronym: bool,
    sentence: u32,
    /// First token of its chunk (phrases and neighbours stay within a chunk).
    chunk_start: bool,
}

/// A distinct lower-case word of the document.
struct Word<'a> {
    /// Borrowed from the text when the word has no capital (most words).
    lower: Cow<'a, str>,
    /// Never starts or ends a phrase: a stopword or a single letter.
    boundary_stop: bool,
    /// On the stopword list (left out of a phrase's score).
    listed_stop: bool,
}

/// The document's words: each surface form and each lower-case form is looked
/// up once, not lower-cased and hashed again at every occurrence.
struct Vocab<'a> {
    /// Surface form with a capital → (word id, acronym).
    surface: FastMap<&'a str, (u32, bool)>,
    by_lower: FastMap<Cow<'a, str>, u32>,
    words: Vec<Word<'a>>,
    /// Scratch buffer for lower-casing ASCII words without an allocation.
    buf: String,
}

impl<'a> Vocab<'a> {
    /// A vocabulary sized for about `capacity` distinct words.
    fn new(capacity: usize) -> Self {
        Vocab {
            surface: FastMap::with_capacity_and_hasher(capacity, Default::default()),
            by_lower: FastMap::with_capacity_and_hasher(capacity, Default::default()),
            words: Vec::new(),
            buf: String::new(),
        }
    }

    /// The id and acronym flag of the surface form `w`.
    fn intern(&mut self, w: &'a str, stop: &StopWords) -> (u32, bool) {
        let ascii = w.is_ascii();
        let upper = if ascii {
            w.bytes().any(|b| b.is_ascii_uppercase())
        } else {
            w.chars().any(char::is_uppercase)
        };
        if !upper {
            // Its own lower case, and no acronym (no capital letter).
            return (self.id_of(Cow::Borrowed(w), stop), false);
        }
        if let Some(&hit) = self.surface.get(w) {
            return hit;
        }
        let (letters, all_upper) = if ascii {
            let b = w.as_bytes();
            (
                b.iter().filter(|c| c.is_ascii_alphabetic()).count(),
                b.iter()
                    .filter(|c| c.is_ascii_alphabetic())
                    .all(u8::is_ascii_uppercase),
            )
        } else {
            (
                w.chars().filter(|c| c.is_alphabetic()).count(),
                w.chars()
                    .filter(|c| c.is_alphabetic())
                    .all(char::is_uppercase),
            )
        };
        let acronym = letters > 1 && all_upper;
        let id = if ascii {
            // Looked up through the buffer: "The" is usually known as "the".
            self.buf.clear();
            self.buf.push_str(w);
            self.buf.make_ascii_lowercase();
            match self.by_lower.get(self.buf.as_str()) {
                Some(&id) => id,
                None => self.id_of(Cow::Owned(self.buf.clone()), stop),
            }
        } else {
            // `str::to_lowercase`, for its final-sigma rule.
            self.id_of(Cow::Owned(w.to_lowercase()), stop)
        };
        self.surface.insert(w, (id, acronym));
        (id, acronym)
    }

    fn id_of(&mut self, lower: Cow<'a, str>, stop: &StopWords) -> u32 {
        if let Some(&id) = self.by_lower.get(lower.as_ref()) {
            return id;
        }
        let id = self.words.len() as u32;
        let listed_stop = stop.contains(lower.as_ref());
        self.words.push(Word {
            boundary_stop: listed_stop || lower.chars().count() < 2,
            listed_stop,
            lower: lower.clone(),
        });
        self.by_lower.insert(lower, id);
        id
    }
}

/// Whether `c` is part of a word.
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '\'' || c == '’'
}

/// Sentences end at these (the mark belongs to the sentence it ends).
fn sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '\n')
}

/// Punctuation that ends a phrase: a chunk boundary.
fn chunk_end(c: char) -> bool {
    matches!(
        c,
        ',' | ';' | ':' | '(' | ')' | '"' | '“' | '”' | '«' | '»' | '„' | '—' | '–'
    )
}

/// The tokens of `text`, in one pass: sentences, then chunks (punctuation ends
/// a phrase), then words.
fn tokenize<'a>(text: &'a str, stop: &StopWords, vocab: &mut Vocab<'a>) -> Vec<Token> {
    struct Scan {
        tokens: Vec<Token>,
        sentence: u32,
        /// Words of the chunk so far that hold a letter: the first one's
        /// capital says nothing (it opens a sentence or a clause).
        in_chunk: usize,
        chunk_open: bool,
    }
    impl Scan {
        fn word<'a>(&mut self, w: &'a str, stop: &StopWords, vocab: &mut Vocab<'a>) {
            if !w.chars().any(char::is_alphabetic) {
                return;
            }
            let i = self.in_chunk;
            self.in_chunk += 1;
            let w = w.trim_matches(['-', '\'', '’']);
            if w.is_empty() {
                return;
            }
            let (word, acronym) = vocab.intern(w, stop);
            self.tokens.push(Token {
                word,
                upper_start: i > 0 && w.chars().next().is_some_and(char::is_uppercase),
                acronym,
                sentence: self.sentence,
                chunk_start: std::mem::take(&mut self.chunk_open),
            });
        }
    }
    let mut scan = Scan {
        tokens: Vec::with_capacity(text.len() / 6),
        sentence: 0,
        in_chunk: 0,
        chunk_open: true,
    };
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < text.len() {
        // A word: a run of word characters (ASCII ones read byte by byte).
        let start = at;
        while let Some(&byte) = bytes.get(at) {
            let len = match byte {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'\'' => 1,
                0x80.. => match text[at..].chars().next() {
                    Some(c) if word_char(c) => c.len_utf8(),
                    _ => break,
                },
                _ => break,
            };
            at += len;
        }
        if at > start {
            scan.word(&text[start..at], stop, vocab);
        }
        let Some(c) = text[at..].chars().next() else {
            break;
        };
        at += c.len_utf8();
        let ends_sentence = sentence_end(c);
        if ends_sentence || chunk_end(c) {
            scan.in_chunk = 0;
            scan.chunk_open = true;
        }
        if ends_sentence {
            scan.sentence += 1;
        }
    }
    scan.tokens
}

/// Text past this is not read for key phrases: an article's subject is set long
/// before, and the candidate table grows with the text (a 16 MB body would cost
/// hundreds of megabytes).
const MAX_TEXT_BYTES: usize = 100_000;

/// A phrase's word ids in one integer (hashing an array of them was most of
/// the candidate count's cost): 21 bits a word, each id plus one so that 0
/// marks an unused place. A text cut at `MAX_TEXT_BYTES` has far fewer than
/// 2^21 distinct words.
type Key = u64;
const SLOT_BITS: u32 = 21;

/// The word ids of a phrase's key, in order.
fn key_words(key: Key) -> impl Iterator<Item = u32> {
    (0..3)
        .map(move |i| (key >> (SLOT_BITS * i)) & ((1 << SLOT_BITS) - 1))
        .take_while(|&slot| slot != 0)
        .map(|slot| slot as u32 - 1)
}

/// The `n` best key phrases of `text` (1 to 3 words), best first.
pub fn keywords(text: &str, lang: Option<&str>, n: usize) -> Vec<String> {
    let mut cut = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &text[..cut];
    let stop = stopwords(lang.unwrap_or("en"));
    // (Sized up front, as the tables below: growing them was a tenth of the
    // time. A distinct word comes about every 12 bytes of news.)
    let mut vocab = Vocab::new(text.len() / 12);
    let tokens = tokenize(text, stop, &mut vocab);
    let words = vocab.words;
    if tokens.is_empty() {
        return Vec::new();
    }
    debug_assert!(words.len() < 1 << SLOT_BITS);
    let sentences = tokens.iter().map(|t| t.sentence).max().unwrap_or(0) as usize + 1;
    // Single-word features, indexed by word id.
    #[derive(Default, Clone)]
    struct Stats {
        tf: u32,
        upper: u32,
        acronym: u32,
        /// Distinct sentences holding the word, and the last one seen.
        sentences: u32,
        last_sentence: Option<u32>,
        left: u32,
        right: u32,
    }
    let mut stats = vec![Stats::default(); words.len()];
    // Distinct pairs of neighbours (a word, the next in its chunk), as two ids
    // in one integer: a new pair is a new right neighbour of the first and a
    // new left neighbour of the second. (Sized for the text up front: growing
    // the tables was a tenth of the time.)
    let mut pairs = FastSet::with_capacity_and_hasher(tokens.len(), Default::default());
    // (word, sentence) the first time the word is seen in that sentence, in text
    // order: grouped by word below for the median sentence, without a Vec per word.
    let mut word_sentences: Vec<(u32, u32)> = Vec::new();
    for (i, t) in tokens.iter().enumerate() {
        let s = &mut stats[t.word as usize];
        s.tf += 1;
        s.upper += u32::from(t.upper_start);
        s.acronym += u32::from(t.acronym);
        if s.last_sentence != Some(t.sentence) {
            s.last_sentence = Some(t.sentence);
            s.sentences += 1;
            word_sentences.push((t.word, t.sentence));
        }
        if let Some(r) = tokens.get(i + 1).filter(|r| !r.chunk_start) {
            if pairs.insert(u64::from(t.word) << 32 | u64::from(r.word)) {
                s.right += 1;
                stats[r.word as usize].left += 1;
            }
        }
    }
    // Each word's sentences, in order: a counting sort of the pairs by word.
    let mut offsets: Vec<usize> = Vec::with_capacity(words.len() + 1);
    offsets.push(0);
    for s in &stats {
        offsets.push(offsets.last().copied().unwrap_or(0) + s.sentences as usize);
    }
    let mut sentence_of = vec![0u32; word_sentences.len()];
    let mut fill = offsets.clone();
    for &(w, sent) in &word_sentences {
        sentence_of[fill[w as usize]] = sent;
        fill[w as usize] += 1;
    }
    let (distinct, sum, sum_sq, max_tf) = stats.iter().fold((0u64, 0u64, 0u64, 1u64), |acc, s| {
        let tf = u64::from(s.tf);
        (acc.0 + 1, acc.1 + tf, acc.2 + tf * tf, acc.3.max(tf))
    });
    let mean = sum as f64 / distinct as f64;
    let sd = (sum_sq as f64 / distinct as f64 - mean * mean)
        .max(0.0)
        .sqrt();
    let max_tf = max_tf as f64;
    let score: Vec<f64> = stats
        .iter()
        .enumerate()
        .map(|(w, s)| {
            let tf = f64::from(s.tf);
            let case = f64::from(s.upper.max(s.acronym)) / (1.0 + tf.ln());
            let sents = &sentence_of[offsets[w]..offsets[w + 1]];
            let median = f64::from(sents[sents.len() / 2]);
            let pos = (3.0 + median).ln().ln();
            let freq = tf / (mean + sd);
            let rel = 1.0 + (f64::from(s.left) / tf + f64::from(s.right) / tf) * (tf / max_tf);
            let spread = sents.len() as f64 / sentences as f64;
            rel * pos / (case + freq / rel + spread / rel)
        })
        .collect();
    // Candidate phrases: 1–3 words of one chunk, not starting or ending with a
    // stopword, counted by their word ids.
    let mut cands: FastMap<Key, u32> =
        FastMap::with_capacity_and_hasher(2 * tokens.len(), Default::default());
    for start in 0..tokens.len() {
        if words[tokens[start].word as usize].boundary_stop {
            continue;
        }
        let mut key: Key = 0;
        for len in 1..=3 {
            let Some(t) = tokens.get(start + len - 1) else {
                break;
            };
            if len > 1 && t.chunk_start {
                break;
            }
            key |= (u64::from(t.word) + 1) << (SLOT_BITS * (len as u32 - 1));
            if !words[t.word as usize].boundary_stop {
                *cands.entry(key).or_insert(0) += 1;
            }
        }
    }
    let phrase = |key: Key| key_words(key).map(|w| &*words[w as usize].lower);
    let mut ranked: Vec<(f64, Key)> = cands
        .into_iter()
        .map(|(key, tf)| {
            let (mut prod, mut sum) = (1.0, 0.0);
            for w in key_words(key) {
                if words[w as usize].listed_stop {
                    continue;
                }
                let s = score[w as usize];
                prod *= s;
                sum += s;
            }
            (prod / (f64::from(tf) * (1.0 + sum)), key)
        })
        .collect();
    // Ranked by score, ties by phrase (words hold no spaces, so comparing word by
    // word orders as comparing the joined phrases would). Only the head of the
    // ranking is read: it is sorted in slices, the rest left unsorted.
    let order = |a: &(f64, Key), b: &(f64, Key)| {
        a.0.total_cmp(&b.0)
            .then_with(|| phrase(a.1).cmp(phrase(b.1)))
    };
    // Drop a phrase contained in a better one, and near repeats. (An `n` of 0
    // has always meant no limit.)
    let n = if n == 0 { usize::MAX } else { n };
    let mut out: Vec<String> = Vec::new();
    let mut sorted = 0;
    let mut next = 0;
    while out.len() < n && next < ranked.len() {
        if next == sorted {
            // The next best slice, in order (4n at first, then the rest).
            let take = if sorted == 0 {
                n.saturating_mul(4).max(16)
            } else {
                ranked.len()
            };
            let end = (sorted + take).min(ranked.len());
            if end < ranked.len() {
                ranked[sorted..].select_nth_unstable_by(end - sorted - 1, order);
            }
            ranked[sorted..end].sort_unstable_by(order);
            sorted = end;
        }
        let p = phrase(ranked[next].1).collect::<Vec<_>>().join(" ");
        next += 1;
        if out.iter().any(|o| o.contains(&p) || p.contains(o.as_str())) {
            continue;
        }
        out.push(p);
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
