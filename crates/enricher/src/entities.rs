//! People, places and organizations named in the text.
//!
//! Hand-written: the maintained Rust NER options need a downloaded model (rust-bert)
//! or an ONNX runtime, and the project must run offline in one small binary. The
//! method is the classic gazetteer-and-cues tagger news monitoring was built on:
//!
//! 1. The body is cut into tokens; runs of capitalised tokens (with the small
//!    connectors names carry: "of", "de", "von", "für"…) are the candidates.
//! 2. Inside a run, the longest name the gazetteer knows wins (places and
//!    organizations, in their English, German, French, Spanish, Italian,
//!    Portuguese and Dutch forms; `config/gazetteer/`).
//! 3. What is left is a person when it starts with a known given name, follows a
//!    title ("President", "Außenministerin", "M.", "la ministra"), is followed by a
//!    speech verb ("Smith said"), or repeats the surname of a person already found;
//!    an organization when it carries an organization head word ("Ministry",
//!    "Verband", "Banque", "Partido"…) or is an unknown acronym.
//! 4. Mentions of one person are merged by surname ("Blinken", "Mr Blinken",
//!    "Antony Blinken"), and full names that differ by a transliteration
//!    ("Sergei"/"Sergey Lavrov") are one person; the canonical name is the most
//!    frequent full form.
//!
//! Words that the same article also writes in lower case ("Foreign", "Secretary")
//! or that are stopwords of its language are not names; this is what keeps
//! German, where every noun is capitalised, from flooding the output.

use newsflow_record::{Entities, Entity};
use std::sync::{Arc, LazyLock};

/// Entities are looked for in the first this-many bytes of a body: past that, a
/// 16 MB record would cost the enricher hundreds of milliseconds and the names
/// of a news article are all in its first pages.
const MAX_TEXT_BYTES: usize = 200_000;

/// Longest run of capitalised words tagged as one (the longest names, such as
/// "Organization for Security and Co-operation in Europe", are 7 or 8 words).
const MAX_RUN_TOKENS: usize = 16;

/// Longest gazetteer name, in tokens, that a lookup tries.
const MAX_NAME_TOKENS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Place,
    Organization,
}

#[derive(Debug, Clone)]
struct Known {
    name: String,
    class: Class,
    kind: String,
    country: Option<String>,
    population: u64,
}

/// Places, organizations and given names: the data under `config/gazetteer/`.
#[derive(Debug, Default)]
pub struct Gazetteer {
    known: Vec<Known>,
    /// Folded name (tokens joined by one space, lower case) → entries.
    by_name: rapidhash::RapidHashMap<String, Vec<u32>>,
    /// Names written in capitals ("US", "EU"): matched only when the text writes
    /// them in capitals too, so "Us" or "Eu" at a sentence start are not the US.
    upper_only: rapidhash::RapidHashSet<String>,
    /// Names also written in mixed case ("Nato"), which lifts `upper_only`.
    mixed_case: rapidhash::RapidHashSet<String>,
    /// One-word names written in lower case ("dpa"): looked up although the
    /// text does not capitalise them.
    lower_names: rapidhash::RapidHashSet<String>,
    /// By first byte, the lengths (a bit each, 63 for longer) of `lower_names`:
    /// most lower-case words of a text are ruled out without hashing them.
    lower_name_lengths: Vec<u64>,
    /// The first words ("bank of") of the keys of several words: a name is
    /// grown a word at a time only while it can still become one.
    prefixes: rapidhash::RapidHashSet<String>,
    given: rapidhash::RapidHashSet<String>,
}

/// The data rows of a TSV file (after its header; blank and `#` lines skipped)
/// with their line numbers, each with exactly the header's columns.
fn tsv_rows<'a>(
    text: &'a str,
    file: &str,
    columns: &str,
) -> Result<Vec<(usize, Vec<&'a str>)>, GazetteerError> {
    let want = columns.split(", ").count();
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != want {
            return Err(GazetteerError(format!(
                "{file} line {}: expected {want} tab-separated columns ({columns}), found {}",
                n + 1,
                f.len()
            )));
        }
        rows.push((n + 1, f));
    }
    Ok(rows)
}

/// Why a gazetteer file could not be read.
#[derive(Debug)]
pub struct GazetteerError(pub String);

impl std::fmt::Display for GazetteerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GazetteerError {}

impl Gazetteer {
    /// The gazetteer compiled into the binary (`config/gazetteer/`).
    pub fn embedded() -> Arc<Gazetteer> {
        static EMBEDDED: LazyLock<Arc<Gazetteer>> = LazyLock::new(|| {
            Arc::new(
                Gazetteer::parse(
                    include_str!("../../../config/gazetteer/places.tsv"),
                    include_str!("../../../config/gazetteer/organizations.tsv"),
                    include_str!("../../../config/gazetteer/given-names.txt"),
                )
                .expect("the embedded gazetteer is checked by the enricher's tests"),
            )
        });
        EMBEDDED.clone()
    }

    /// Reads `places.tsv`, `organizations.tsv` and `given-names.txt` from `dir`.
    pub fn load(dir: &std::path::Path) -> Result<Gazetteer, GazetteerError> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name)).map_err(|e| {
                GazetteerError(format!("cannot read {}: {e}", dir.join(name).display()))
            })
        };
        Gazetteer::parse(
            &read("places.tsv")?,
            &read("organizations.tsv")?,
            &read("given-names.txt")?,
        )
    }

    /// Parses the three files' contents; an error names the file and line.
    pub fn parse(places: &str, orgs: &str, given: &str) -> Result<Gazetteer, GazetteerError> {
        let mut g = Gazetteer::default();
        for (line, f) in tsv_rows(
            places,
            "places.tsv",
            "name, kind, country, population, aliases",
        )? {
            let population = f[3].trim().parse().map_err(|_| {
                GazetteerError(format!(
                    "places.tsv line {line}: population {:?} is not a whole number",
                    f[3]
                ))
            })?;
            g.add(
                Known {
                    name: f[0].trim().to_string(),
                    class: Class::Place,
                    kind: f[1].trim().to_string(),
                    country: Some(f[2].trim().to_string()).filter(|c| !c.is_empty()),
                    population,
                },
                f[4],
            );
        }
        for (_, f) in tsv_rows(orgs, "organizations.tsv", "name, kind, aliases")? {
            g.add(
                Known {
                    name: f[0].trim().to_string(),
                    class: Class::Organization,
                    kind: f[1].trim().to_string(),
                    country: None,
                    population: 0,
                },
                f[2],
            );
        }
        for line in given.lines() {
            let name = line.trim();
            if !name.is_empty() && !name.starts_with('#') {
                g.given.insert(fold(name).to_string());
            }
        }
        // Among same-named entries the bigger place comes first (Paris, France
        // before Paris, Texas); the sort is stable and places are read first, so
        // a name shared with an organization (population 0) stays a place.
        let known = &g.known;
        for ids in g.by_name.values_mut() {
            ids.sort_by_key(|&i| std::cmp::Reverse(known[i as usize].population));
            ids.dedup();
        }
        Ok(g)
    }

    fn add(&mut self, known: Known, aliases: &str) {
        let id = self.known.len() as u32;
        let names = std::iter::once(known.name.as_str())
            .chain(aliases.split('|').map(str::trim).filter(|a| !a.is_empty()));
        for name in names {
            let key = key_of(name);
            if key.is_empty() {
                continue;
            }
            let letters: Vec<char> = name.chars().filter(|c| c.is_alphabetic()).collect();
            if letters.len() <= 5 && letters.iter().all(|c| c.is_uppercase()) {
                if !self.mixed_case.contains(&key) {
                    self.upper_only.insert(key.clone());
                }
            } else {
                // "Nato" beside "NATO": the name is written both ways.
                self.upper_only.remove(&key);
                self.mixed_case.insert(key.clone());
            }
            if !name.contains(' ') && name.chars().next().is_some_and(char::is_lowercase) {
                self.lower_names.insert(name.to_string());
                self.lower_name_lengths.resize(256, 0);
                self.lower_name_lengths[usize::from(name.as_bytes()[0])] |= 1 << name.len().min(63);
            }
            let mut at = 0;
            while let Some(space) = key[at..].find(' ') {
                at += space;
                self.prefixes.insert(key[..at].to_string());
                at += 1;
            }
            self.by_name.entry(key).or_default().push(id);
        }
        self.known.push(known);
    }

    /// Whether `word` is a given name; a hyphenated one ("Kai-Uwe",
    /// "Jean-Noël") is when its first part is.
    pub fn is_given_name(&self, word: &str) -> bool {
        self.is_given_folded(&fold_cow(word))
    }

    /// `is_given_name` of a word already folded by `fold_cow`.
    fn is_given_folded(&self, folded: &str) -> bool {
        self.given.contains(folded)
            || folded
                .split_once('-')
                .is_some_and(|(first, rest)| !rest.is_empty() && self.given.contains(first))
    }

    /// How many places and organizations it knows.
    pub fn len(&self) -> usize {
        self.known.len()
    }

    pub fn is_empty(&self) -> bool {
        self.known.is_empty()
    }

    /// The entry of `key`, the lookup key of `toks`; a capitals-only name
    /// matches only tokens written in capitals.
    fn get(&self, key: &str, toks: &[Token], text: &str) -> Option<u32> {
        let ids = self.by_name.get(key)?;
        if self.upper_only.contains(key)
            && !toks
                .iter()
                .all(|t| t.word(text).chars().all(|c| !c.is_lowercase()))
        {
            return None;
        }
        ids.first().copied()
    }

    /// Whether the gazetteer writes `word` in lower case as a name ("dpa").
    fn is_lower_name(&self, word: &str) -> bool {
        let Some(&first) = word.as_bytes().first() else {
            return false;
        };
        self.lower_name_lengths
            .get(usize::from(first))
            .is_some_and(|lengths| lengths >> word.len().min(63) & 1 == 1)
            && self.lower_names.contains(word)
    }
}

/// The lookup key of a name's words: folded, and in names of several words each
/// word without the German and Romance inflection endings, so "Europäischen
/// Union" finds "Europäische Union" and "Deutschen Bank" finds "Deutsche Bank".
fn key_from<'a>(words: impl Iterator<Item = &'a str>) -> String {
    let words: Vec<&str> = words.collect();
    let mut key = String::new();
    for w in &words {
        if !key.is_empty() {
            key.push(' ');
        }
        let f = fold_cow(w);
        key.push_str(if words.len() > 1 { stem(&f) } else { &f });
    }
    key
}

/// A word without its German or Romance inflection ending, in names of several
/// words ("europäischen" → "europäisch").
fn stem(w: &str) -> &str {
    if w.chars().count() > 4 {
        for e in ["en", "er", "es", "em", "e"] {
            if let Some(stem) = w.strip_suffix(e) {
                return stem;
            }
        }
    }
    w
}

/// `fold` that leaves a word without a capital or ’ as it is (it does not
/// lower-case the rare title-case letters, "ǅ", as `fold` does).
fn fold_cow(s: &str) -> Folded<'_> {
    let changes = if s.is_ascii() {
        s.bytes().any(|b| b.is_ascii_uppercase())
    } else {
        s.chars().any(|c| c.is_uppercase() || c == '’')
    };
    if changes {
        fold(s)
    } else {
        Folded::Same(s)
    }
}

/// A word folded by `fold` or `fold_cow`: borrowed when folding changed
/// nothing, on the stack when short. A String for every fold of every
/// capitalised word was the tagger's largest cost.
enum Folded<'a> {
    Same(&'a str),
    Short { buf: [u8; SHORT], len: usize },
    Long(String),
}

/// Longest folded word kept on the stack, in bytes.
const SHORT: usize = 40;

impl std::ops::Deref for Folded<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            Folded::Same(s) => s,
            Folded::Short { buf, len } => {
                std::str::from_utf8(&buf[..*len]).expect("whole characters were written")
            }
            Folded::Long(s) => s,
        }
    }
}

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl AsRef<str> for Folded<'_> {
    fn as_ref(&self) -> &str {
        self
    }
}

/// A word list as a set: these are consulted several times for every
/// capitalised word of every record.
type WordSet = LazyLock<rapidhash::RapidHashSet<&'static str>>;
static TITLE_SET: WordSet = LazyLock::new(|| TITLES.iter().copied().collect());
static TITLE_PART_SET: WordSet = LazyLock::new(|| TITLE_PARTS.iter().copied().collect());
static ORG_HEAD_SET: WordSet = LazyLock::new(|| ORG_HEADS.iter().copied().collect());
static NEVER_SET: WordSet = LazyLock::new(|| NEVER.iter().copied().collect());
static GEO_HEAD_SET: WordSet = LazyLock::new(|| GEO_HEADS.iter().copied().collect());

/// `folded` (a word in lower case) is never a name by itself.
fn never_name(folded: &str) -> bool {
    NEVER_SET.contains(folded) || newsflow_record::dates::weekday(folded).is_some()
}
static CONNECTOR_SET: WordSet = LazyLock::new(|| CONNECTORS.iter().copied().collect());

/// `s` in lower case, with ’ written as '.
fn fold(s: &str) -> Folded<'_> {
    if s.is_ascii() {
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Folded::Same(s);
        }
        if s.len() <= SHORT {
            let mut buf = [0u8; SHORT];
            buf[..s.len()].copy_from_slice(s.as_bytes());
            buf[..s.len()].make_ascii_lowercase();
            return Folded::Short { buf, len: s.len() };
        }
        return Folded::Long(s.to_ascii_lowercase());
    }
    let folded = s
        .chars()
        .map(|c| if c == '’' { '\'' } else { c })
        .flat_map(char::to_lowercase);
    let mut buf = [0u8; SHORT];
    let mut len = 0;
    for c in folded.clone() {
        if len + c.len_utf8() > SHORT {
            return Folded::Long(folded.collect());
        }
        len += c.encode_utf8(&mut buf[len..]).len();
    }
    Folded::Short { buf, len }
}

/// `fold` of a token's `word`, from its `fold_cow` form `folded` where the two
/// agree (an ASCII word: they differ only on a few non-ASCII letters).
fn fold_token<'a>(word: &'a str, folded: &'a str) -> Folded<'a> {
    if word.is_ascii() {
        Folded::Same(folded)
    } else {
        fold(word)
    }
}

/// Every token's word folded by `fold_cow`, worked out once: the tagger asks
/// of a word again and again whether it is a title, a given name, a head
/// word, and folding it each time was much of its cost. Changed words are
/// kept in `arena`.
fn fold_tokens<'a>(text: &'a str, toks: &[Token], arena: &'a mut String) -> Vec<&'a str> {
    let ranges: Vec<Option<(usize, usize)>> = toks
        .iter()
        .map(|t| {
            if !t.maybe_folds {
                return None;
            }
            let w = t.word(text);
            let start = arena.len();
            if w.is_ascii() {
                // It holds a capital (ASCII has no ’): `fold` lower-cases it.
                arena.push_str(w);
                arena[start..].make_ascii_lowercase();
                return Some((start, arena.len()));
            }
            match fold_cow(w) {
                Folded::Same(_) => None,
                f => {
                    arena.push_str(&f);
                    Some((start, arena.len()))
                }
            }
        })
        .collect();
    let arena: &'a str = arena;
    toks.iter()
        .zip(ranges)
        .map(|(t, r)| r.map_or(t.word(text), |(a, b)| &arena[a..b]))
        .collect()
}

fn key_of(name: &str) -> String {
    let toks = tokens(name);
    key_from(toks.iter().map(|t| t.word(name)))
}

/// A word of the text: byte range, without a trailing possessive.
#[derive(Debug, Clone, Copy)]
struct Token {
    start: usize,
    end: usize,
    /// The word had "'s" / "’s" after it (or a German genitive "s" was cut).
    possessive: bool,
    /// Only white space (no line break pair, no punctuation) separates it from
    /// the next token.
    joined_next: bool,
    sentence_start: bool,
    /// The word may hold a capital or a ’ (`fold_cow` may change it); false
    /// for most words, which are then not looked at again.
    maybe_folds: bool,
}

impl Token {
    fn word<'a>(&self, text: &'a str) -> &'a str {
        &text[self.start..self.end]
    }
}

/// The character at byte `at` of `text`, if any (an ASCII byte is read as it
/// is, without decoding).
fn char_at(text: &str, at: usize) -> Option<char> {
    match *text.as_bytes().get(at)? {
        b if b.is_ascii() => Some(char::from(b)),
        _ => text[at..].chars().next(),
    }
}

fn tokens(text: &str) -> Vec<Token> {
    let b = text.as_bytes();
    let mut out: Vec<Token> = Vec::with_capacity(text.len() / 6);
    let mut i = 0;
    // Start of text is a sentence start.
    let mut sentence_start = true;
    while i < text.len() {
        if b[i] == b' ' {
            // (The commonest byte, which changes nothing.)
            i += 1;
            continue;
        }
        let c = char_at(text, i).unwrap_or(' ');
        if !c.is_alphanumeric() {
            let paragraph_break = c == '\n' && b.get(i + 1) == Some(&b'\n');
            if matches!(c, '.' | '!' | '?' | ':' | ';' | '•') || paragraph_break {
                sentence_start = true;
            }
            if !c.is_whitespace() || paragraph_break {
                if let Some(last) = out.last_mut() {
                    last.joined_next = false;
                }
            }
            i += c.len_utf8();
            continue;
        }
        let start = i;
        let mut end = i;
        let mut j = i;
        let mut maybe_folds = false;
        // Initials with dots ("U.S.", "U.N.") are one token.
        while let Some(ch) = char_at(text, j) {
            if ch.is_alphanumeric() {
                maybe_folds |= ch.is_uppercase();
                j += ch.len_utf8();
                // (The ASCII letters and digits that follow, byte by byte.)
                while b.get(j).is_some_and(u8::is_ascii_alphanumeric) {
                    maybe_folds |= b[j].is_ascii_uppercase();
                    j += 1;
                }
                end = j;
                continue;
            }
            let next = char_at(text, j + ch.len_utf8());
            let inner = matches!(ch, '-' | '\'' | '’') && next.is_some_and(char::is_alphabetic);
            let initial_dot = ch == '.'
                && text[start..j].chars().count() % 2 == 1
                && text[start..j].chars().enumerate().all(|(k, c)| {
                    if k % 2 == 0 {
                        c.is_uppercase()
                    } else {
                        c == '.'
                    }
                })
                && text[start..j]
                    .chars()
                    .last()
                    .is_some_and(char::is_uppercase);
            if inner || initial_dot {
                maybe_folds |= ch == '’';
                j += ch.len_utf8();
                if initial_dot {
                    end = j;
                }
                continue;
            }
            break;
        }
        // "U.S": the loop stops before the last dot of an initialism.
        let mut word_end = end;
        if b.get(end) == Some(&b'.') && text[start..end].contains('.') {
            word_end = end + 1;
            end = word_end;
        }
        // French elision: "l’Ukraine", "d’Orsay", "qu’Emmanuel" name Ukraine,
        // Orsay, Emmanuel.
        let mut start = start;
        // (Only a word starting with one of their letters can have one.)
        if matches!(b[start], b'l' | b'd' | b'q' | b'L' | b'D' | b'Q') {
            for prefix in [
                "l'", "l’", "d'", "d’", "L'", "L’", "D'", "D’", "qu'", "qu’", "Qu'", "Qu’",
            ] {
                if let Some(rest) = text[start..word_end].strip_prefix(prefix) {
                    if rest.chars().next().is_some_and(char::is_uppercase) {
                        start += prefix.len();
                    }
                    break;
                }
            }
        }
        let w = &text[start..word_end];
        let mut possessive = false;
        for suffix in ["'s", "’s"] {
            if w.len() > suffix.len() + 1 && w.ends_with(suffix) {
                word_end -= suffix.len();
                possessive = true;
                break;
            }
        }
        out.push(Token {
            start,
            end: word_end,
            possessive,
            joined_next: true,
            sentence_start,
            maybe_folds,
        });
        sentence_start = false;
        i = end.max(start + c.len_utf8());
    }
    if let Some(last) = out.last_mut() {
        last.joined_next = false;
    }
    out
}

fn capitalised(word: &str) -> bool {
    // "d'Orsay", "l'Élysée": the elided article does not count.
    let mut chars = word.chars();
    let first = chars.next();
    let rest = chars.as_str();
    let w = match rest.strip_prefix(['\'', '’']) {
        Some(after) if first.is_some_and(char::is_lowercase) => after,
        _ => word,
    };
    w.chars().next().is_some_and(char::is_uppercase)
}

fn is_acronym(word: &str) -> bool {
    let letters = word.chars().filter(|c| c.is_alphabetic()).count();
    (2..=6).contains(&letters)
        && word
            .chars()
            .all(|c| c.is_uppercase() || c == '.' || c == '-')
}

/// Small words that names carry inside ("Bank of England", "Ministère de
/// l'Intérieur", "Bundesministerium für Gesundheit", "Leonardo da Vinci").
const CONNECTORS: &[&str] = &[
    "of", "for", "and", "the", "on", "in", "de", "du", "des", "la", "le", "del", "della", "di",
    "da", "do", "dos", "das", "von", "van", "der", "den", "für", "und", "y", "e", "et", "bin",
    "al", "el", "ben", "zu", "ter",
];

/// Words that join an organization's head to its complement ("Ministry of
/// Defence", "Banque de France", "Bundesagentur für Arbeit").
const ORG_COMPLEMENT: &[&str] = &[
    "of", "for", "on", "de", "du", "des", "del", "für", "der", "di", "della", "do", "da",
];

/// Particles inside people's names ("Ursula von der Leyen", "Yannick Le Goff").
const NAME_PARTICLES: &[&str] = &[
    "de", "du", "des", "la", "le", "del", "della", "di", "da", "do", "dos", "das", "von", "van",
    "der", "den", "bin", "al", "el", "ben", "zu", "ter", "y",
];

/// Titles and roles that announce a person's name, lower-cased. A title before an
/// unknown capitalised word makes it a name; the title itself is never part of it.
const TITLES: &[&str] = &[
    // English
    "mr",
    "mrs",
    "ms",
    "miss",
    "dr",
    "prof",
    "professor",
    "sir",
    "dame",
    "lord",
    "lady",
    "president",
    "vice-president",
    "secretary",
    "minister",
    "chancellor",
    "premier",
    "senator",
    "sen",
    "rep",
    "representative",
    "congressman",
    "congresswoman",
    "governor",
    "gov",
    "mayor",
    "judge",
    "justice",
    "ambassador",
    "general",
    "gen",
    "colonel",
    "col",
    "admiral",
    "captain",
    "capt",
    "commissioner",
    "chairman",
    "chairwoman",
    "chair",
    "spokesman",
    "spokeswoman",
    "spokesperson",
    "king",
    "queen",
    "prince",
    "princess",
    "pope",
    "archbishop",
    "bishop",
    "father",
    "rabbi",
    "imam",
    "sheikh",
    "coach",
    "manager",
    "striker",
    "midfielder",
    "defender",
    "goalkeeper",
    "leader",
    "chief",
    "director",
    "ceo",
    "founder",
    "economist",
    "analyst",
    "prosecutor",
    "attorney",
    "lawyer",
    "officer",
    "inspector",
    "sergeant",
    "sgt",
    "lt",
    "lieutenant",
    "deputy",
    "counterpart",
    "envoy",
    "diplomat",
    "candidate",
    "mp",
    "mep",
    "mrs.",
    "st",
    "attorney-general",
    "secretary-general",
    // German
    "herr",
    "frau",
    "präsident",
    "präsidentin",
    "bundespräsident",
    "bundespräsidentin",
    "kanzler",
    "kanzlerin",
    "bundeskanzler",
    "bundeskanzlerin",
    "minister",
    "ministerin",
    "bundesminister",
    "bundesministerin",
    "außenminister",
    "außenministerin",
    "innenminister",
    "innenministerin",
    "finanzminister",
    "finanzministerin",
    "verteidigungsminister",
    "verteidigungsministerin",
    "wirtschaftsminister",
    "wirtschaftsministerin",
    "gesundheitsminister",
    "gesundheitsministerin",
    "ministerpräsident",
    "ministerpräsidentin",
    "bürgermeister",
    "bürgermeisterin",
    "oberbürgermeister",
    "oberbürgermeisterin",
    "abgeordnete",
    "abgeordneter",
    "sprecher",
    "sprecherin",
    "vorsitzende",
    "vorsitzender",
    "chef",
    "chefin",
    "trainer",
    "trainerin",
    "richter",
    "richterin",
    "staatsanwalt",
    "staatsanwältin",
    "staatssekretär",
    "staatssekretärin",
    "generalsekretär",
    "generalsekretärin",
    "regierungssprecher",
    "regierungssprecherin",
    "fraktionschef",
    "fraktionschefin",
    "parteichef",
    "parteichefin",
    "vorstandschef",
    "vorstandschefin",
    "konzernchef",
    "konzernchefin",
    "geschäftsführer",
    "geschäftsführerin",
    "landrat",
    "landrätin",
    "senator",
    "senatorin",
    "kollege",
    "kollegin",
    "amtskollege",
    "amtskollegin",
    "ökonom",
    "ökonomin",
    "experte",
    "expertin",
    "botschafter",
    "botschafterin",
    // French
    "m",
    "mme",
    "mlle",
    "président",
    "présidente",
    "ministre",
    "premier",
    "première",
    "maire",
    "député",
    "députée",
    "sénateur",
    "sénatrice",
    "porte-parole",
    "juge",
    "procureur",
    "procureure",
    "secrétaire",
    "directeur",
    "directrice",
    "patron",
    "patronne",
    "général",
    "ambassadeur",
    "ambassadrice",
    "entraîneur",
    "homologue",
    "maître",
    "me",
    // Spanish, Italian, Portuguese
    "señor",
    "señora",
    "sr",
    "sra",
    "don",
    "doña",
    "presidente",
    "presidenta",
    "ministra",
    "ministro",
    "alcalde",
    "alcaldesa",
    "diputado",
    "diputada",
    "senador",
    "senadora",
    "portavoz",
    "juez",
    "jueza",
    "fiscal",
    "secretario",
    "secretaria",
    "director",
    "directora",
    "consejero",
    "consejera",
    "líder",
    "entrenador",
    "sindaco",
    "signor",
    "signora",
    "onorevole",
    "prefeito",
    "governador",
    "deputado",
];

/// Head words of organizations: a run holding one is an organization.
const ORG_HEADS: &[&str] = &[
    "ministry",
    "department",
    "party",
    "council",
    "commission",
    "committee",
    "bank",
    "university",
    "college",
    "institute",
    "agency",
    "authority",
    "office",
    "service",
    "group",
    "company",
    "corporation",
    "corp",
    "inc",
    "ltd",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "se",
    "sa",
    "spa",
    "nv",
    "bv",
    "foundation",
    "association",
    "federation",
    "union",
    "organization",
    "organisation",
    "court",
    "tribunal",
    "parliament",
    "assembly",
    "congress",
    "senate",
    "club",
    "society",
    "airlines",
    "airways",
    "motors",
    "holdings",
    "partners",
    "fund",
    "trust",
    "network",
    "news",
    "times",
    "post",
    "journal",
    "herald",
    "tribune",
    "gazette",
    "press",
    "television",
    "radio",
    "police",
    "army",
    "navy",
    "guard",
    "forces",
    "front",
    "movement",
    "alliance",
    "coalition",
    "league",
    "church",
    "hospital",
    "school",
    "academy",
    "laboratory",
    "labs",
    "board",
    "bureau",
    "administration",
    "secretariat",
    "centre",
    "center",
    "fc",
    "cf",
    "energy",
    "renewables",
    "capital",
    "technologies",
    "technology",
    "systems",
    "industries",
    "pharmaceuticals",
    "logistics",
    "solutions",
    "media",
    "foods",
    "chemicals",
    "steel",
    "mining",
    "telecom",
    "insurance",
    "investments",
    "ventures",
    "markets",
    "enterprises",
    "brands",
    "resources",
    "power",
    "electric",
    "software",
    "automotive",
    "intelligence",
    // German (also as compound endings, see `org_head`)
    "ministerium",
    "partei",
    "verband",
    "bank",
    "universität",
    "hochschule",
    "gericht",
    "amt",
    "institut",
    "stiftung",
    "verein",
    "bund",
    "agentur",
    "behörde",
    "kammer",
    "konzern",
    "gewerkschaft",
    "gesellschaft",
    "werke",
    "zeitung",
    "polizei",
    "rat",
    "kommission",
    "ausschuss",
    "klinikum",
    "kirche",
    // French, Spanish, Italian, Portuguese
    "ministère",
    "parti",
    "conseil",
    "banque",
    "université",
    "assemblée",
    "cour",
    "commission",
    "comité",
    "agence",
    "fédération",
    "société",
    "groupe",
    "syndicat",
    "institut",
    "fondation",
    "ministerio",
    "partido",
    "consejo",
    "banco",
    "universidad",
    "congreso",
    "senado",
    "tribunal",
    "comisión",
    "agencia",
    "federación",
    "sociedad",
    "grupo",
    "sindicato",
    "fundación",
    "policía",
    "ministero",
    "partito",
    "consiglio",
    "banca",
    "università",
    "ministério",
    "universidade",
];

/// German compound endings that make an organization ("Bundesverfassungsgericht",
/// "Auswärtiges Amt", "Bundesinnenministerium").
const ORG_SUFFIXES: &[&str] = &[
    "ministerium",
    "gericht",
    "verband",
    "partei",
    "behörde",
    "agentur",
    "stiftung",
    "gewerkschaft",
    "konzern",
    "kommission",
    "institut",
    "universität",
    "bank",
    "amt",
    "technik",
    "verwaltung",
    "feuerwehr",
];

/// Speech verbs that mark the capitalised word before them as a person. Narrower
/// than `quotes::SPEECH_WORDS` on purpose: that list also holds attribution words
/// ("so", "selon", "according") and verbs organizations use, which after a
/// capitalised word do not make it a person (tried: more false people).
const SPEECH: &[&str] = &[
    "said",
    "says",
    "told",
    "added",
    "asked",
    "replied",
    "wrote",
    "noted",
    "warned",
    "explained",
    "stressed",
    "argued",
    "insisted",
    "declared",
    "sagte",
    "sagt",
    "erklärte",
    "betonte",
    "fügte",
    "meinte",
    "warnte",
    "dijo",
    "afirmó",
    "añadió",
    "explicó",
    "declaró",
    "aseguró",
];

/// Capitalised words that are never names by themselves (weekdays too, through
/// `newsflow_record::dates::weekday`).
const NEVER: &[&str] = &[
    "i", "ceo", "cfo", "gdp", "bip", "pib", "ai", "ki", "ia", "covid", "covid-19", "tv", "pm",
    "am", "gmt", "utc", "cet", "est", "ok", "usd", "eur", "vs", "ii", "iii", "iv", "pdf", "faq",
    "mp", "mep", "mps", "meps", "no", "nr",
];

/// Whether a word (folded by `fold_cow`, as all the word tests below take it)
/// is a title.
fn is_title(folded: &str) -> bool {
    TITLE_SET.contains(folded.trim_end_matches('.'))
}

/// Words inside titles that announce nobody by themselves ("Deputy Foreign
/// Minister", "former Soviet republics").
const TITLE_PARTS: &[&str] = &[
    "foreign",
    "deputy",
    "prime",
    "vice",
    "former",
    "interior",
    "defence",
    "defense",
    "finance",
    "economy",
    "health",
    "home",
    "federal",
    "acting",
    "executive",
    "senior",
    "kc",
    "qc",
];

fn is_title_part(folded: &str) -> bool {
    let f = folded.trim_end_matches('.');
    TITLE_SET.contains(f) || TITLE_PART_SET.contains(f)
}

fn org_head(folded: &str) -> bool {
    ORG_HEAD_SET.contains(folded)
        || (folded.chars().count() > 8 && ORG_SUFFIXES.iter().any(|s| folded.ends_with(s)))
}

/// What a span of tokens was found to be.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    /// A gazetteer entry; `true` when written as a German genitive ("Bayerns").
    Known(u32, bool),
    Person,
    Org,
    /// A place the gazetteer does not know, found by a preposition or a
    /// geographic head word ("in Eschwege", "River Wye").
    Place,
    /// Capitalised, not known, not common: a person when other evidence says so.
    Unknown,
}

/// Prepositions after which an unknown name is a place ("in Eschwege", "près de
/// Lyon", "cerca de Valencia").
const LOCATIVE: &[&str] = &[
    "in", "near", "outside", "from", "across", "around", "nach", "aus", "bei", "nahe", "à", "près",
    "depuis", "vers", "en", "cerca", "desde", "hacia", "nei", "presso",
];

/// Articles that may open a run without being part of the name.
const ARTICLES: &[&str] = &[
    "the", "der", "die", "das", "le", "la", "les", "el", "los", "las", "il", "lo", "gli",
];

/// German nouns are capitalised, and "nach Angaben", "in Straßen", "aus Kreisen"
/// look like "nach Berlin": plural endings no town name has.
fn german_plural(word: &str) -> bool {
    const ENDINGS: &[&str] = &[
        "ungen",
        "ionen",
        "heiten",
        "keiten",
        "schaften",
        "angaben",
        "formen",
        "straßen",
        "zahlen",
        "kosten",
        "mitteln",
        "gründen",
        "jahren",
        "wochen",
        "monaten",
        "tagen",
        "fällen",
        "ländern",
        "städten",
        "regionen",
        "bereichen",
        "schulen",
        "kreisen",
        "reihen",
        "teilen",
        "zeiten",
    ];
    let f = fold(word);
    ENDINGS.iter().any(|e| f.ends_with(e))
}

/// Words that make a run a geographic feature.
const GEO_HEADS: &[&str] = &[
    "river",
    "sea",
    "lake",
    "mount",
    "mountains",
    "glacier",
    "valley",
    "island",
    "islands",
    "bay",
    "gulf",
    "strait",
    "ocean",
    "peninsula",
    "desert",
    "forest",
    "canal",
    "coast",
    "fluss",
    "gletscher",
    "see",
    "meer",
    "gebirge",
    "insel",
    "tal",
    "mer",
    "lac",
    "mont",
    "golfe",
    "vallée",
    "île",
    "fleuve",
    "río",
    "rio",
    "mar",
    "lago",
    "monte",
    "sierra",
    "isla",
    "golfo",
    "costa",
];

struct Span {
    from: usize,
    to: usize,
    tag: Tag,
    /// A title or role stands right before it.
    after_title: bool,
}

/// The entities of `body`, in language `lang` (ISO 639-1) when known.
pub fn entities(body: &str, lang: Option<&str>, gaz: &Gazetteer) -> Entities {
    analyze(body, lang, gaz).0
}

/// What a mention names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionOf {
    Person,
    Place,
    Organization,
}

/// One place in the body where an entity is named.
#[derive(Debug, Clone, PartialEq)]
pub struct Mention {
    /// Byte range in the body.
    pub start: usize,
    pub end: usize,
    pub of: MentionOf,
    /// The entity's canonical name.
    pub name: String,
    /// For a person, the title or role written right before the name, lower
    /// case ("secretary of state", "finanzminister"): later "the secretary of
    /// state said" points back to them.
    pub role: Option<String>,
}

/// The entities of `body` and every mention of them, in text order: the quote
/// attribution reads who is named next to a quote.
pub fn analyze(body: &str, lang: Option<&str>, gaz: &Gazetteer) -> (Entities, Vec<Mention>) {
    let mut cut = body.len().min(MAX_TEXT_BYTES);
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    let text = &body[..cut];
    let toks = tokens(text);
    let mut arena = String::new();
    let folded = fold_tokens(text, &toks, &mut arena);
    let folded = folded.as_slice();
    let stop = lang.and_then(newsflow_record::words::stopwords);
    // Words the article writes in lower case somewhere are common words.
    // (Sized for every token: growing it was a tenth of the tagger's time.)
    let mut lower: rapidhash::RapidHashSet<&str> =
        rapidhash::RapidHashSet::with_capacity_and_hasher(toks.len(), Default::default());
    lower.extend(
        toks.iter()
            .map(|t| t.word(text))
            .filter(|w| w.chars().next().is_some_and(char::is_lowercase)),
    );
    // Whether token `k`'s word is a common word.
    let common = |k: usize| {
        let (w, f) = (toks[k].word(text), folded[k]);
        never_name(f)
            || stop.is_some_and(|s| s.contains(f))
            || lower.contains(f)
            || newsflow_record::dates::month(f).is_some()
            || w.chars().nth(1).is_none()
    };

    // Candidate runs.
    let mut spans: Vec<Span> = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        let w = toks[i].word(text);
        if let Some(end) = lower_case_institution(text, &toks, folded, i) {
            spans.push(Span {
                from: i,
                to: end,
                tag: Tag::Org,
                after_title: false,
            });
            i = end;
            continue;
        }
        if !capitalised(w) && !gaz.is_lower_name(w) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        let mut last_cap = i;
        // A run is cut at MAX_RUN_TOKENS: tagging a run costs the square of its
        // length, and a page of capitalised words is no name.
        while j < toks.len()
            && j - i < MAX_RUN_TOKENS
            && toks[j - 1].joined_next
            && !toks[j - 1].possessive
        {
            let wj = toks[j].word(text);
            if capitalised(wj) {
                last_cap = j;
            } else if !CONNECTOR_SET.contains(wj) {
                break;
            }
            j += 1;
        }
        let run_end = last_cap + 1;
        i = tag_run(text, &toks, folded, i, run_end, gaz, &common, &mut spans).max(run_end);
    }

    // Evidence outside the run: a title before, a speech verb after.
    // `fold` of token `k`'s word.
    let fold_at = |k: usize| fold_token(toks[k].word(text), folded[k]);
    for s in &mut spans {
        if s.tag != Tag::Unknown {
            continue;
        }
        let prev = s.from.checked_sub(1).map(|p| toks[p]);
        if prev.is_some_and(|p| p.joined_next && is_title(folded[s.from - 1])) {
            s.after_title = true;
        }
        let next = toks.get(s.to);
        // "Officials said" opens a sentence as often as "Smith said" does: a
        // sentence's first word needs more than the verb.
        let speech_after = toks[s.to - 1].joined_next
            && !(s.to - s.from == 1 && toks[s.from].sentence_start)
            && next.is_some()
            && SPEECH.contains(&&*fold_at(s.to));
        let locative = prev
            .is_some_and(|p| p.joined_next && LOCATIVE.contains(&&*fold_at(s.from - 1)))
            && !toks[s.to - 1].possessive
            && !(s.to - s.from == 1 && german_plural(toks[s.from].word(text)));
        let geo = (s.from..s.to).any(|k| GEO_HEAD_SET.contains(&*fold_at(k)));
        // "Celeste Saulo, secretary-general of …", "Jan Körting, 41, …".
        // ", the Commission's executive vice-president", ", 54,", and
        // "chief executive, Maeve Costigan,": a role beside the name.
        let apposition = s.to - s.from >= 2
            && (toks.get(s.to).is_some_and(|n| {
                let gap = &text[toks[s.to - 1].end..n.start];
                let w = n.word(text);
                gap.trim() == ","
                    && (w.chars().all(|c| c.is_ascii_digit()) && w.len() <= 3
                        || (s.to..toks.len())
                            .take(4)
                            .take_while(|&k| !toks[k].word(text).is_empty())
                            .any(|k| is_title_part(folded[k])))
            }) || prev.is_some_and(|p| {
                text[p.end..toks[s.from].start].trim() == "," && is_title_part(folded[s.from - 1])
            }));
        let single_acronym = s.to - s.from == 1 && is_acronym(toks[s.from].word(text));
        if (s.after_title || speech_after || apposition) && !single_acronym {
            s.tag = Tag::Person;
        } else if s.to - s.from == 1 && is_acronym(toks[s.from].word(text)) {
            s.tag = Tag::Org;
        } else if geo || locative {
            s.tag = Tag::Place;
        }
    }

    // "Henna Virkkunen … Virkkunen said": a name of two or three unknown words
    // whose last word the article repeats alone is a person (news names people
    // in full once, then by surname).
    let singles: rapidhash::RapidHashSet<&str> = spans
        .iter()
        .filter(|s| s.to - s.from == 1 && matches!(s.tag, Tag::Unknown | Tag::Person))
        .map(|s| toks[s.from].word(text))
        .collect();
    for s in &mut spans {
        // Not when the first word also stands alone (a noun: "Energieversorger
        // Havelstrom … der Energieversorger"), nor after "of"/"de" (part of an
        // organization's name: "Ministerio de Asuntos Exteriores").
        let after_connector = s.from > 0
            && toks[s.from - 1].joined_next
            && CONNECTOR_SET.contains(toks[s.from - 1].word(text));
        if s.tag == Tag::Unknown
            && (2..=3).contains(&(s.to - s.from))
            && singles.contains(toks[s.to - 1].word(text))
            && !singles.contains(toks[s.from].word(text))
            && !after_connector
        {
            s.tag = Tag::Person;
        }
    }

    // (Slices of the text: a String per span and use was a tenth of the time.)
    let surface = |s: &Span| -> &str { &text[toks[s.from].start..toks[s.to - 1].end] };
    let surname_key = |name| fold(last_word(name));

    // People: full names first, then surnames that repeat one of them.
    let mut people: Vec<Person> = Vec::new();
    for s in spans.iter().filter(|s| s.tag == Tag::Person) {
        let name = surface(s);
        let n_words = s.to - s.from;
        if n_words >= 2 {
            add_person(&mut people, name, n_words);
        }
    }
    for s in spans
        .iter()
        .filter(|s| matches!(s.tag, Tag::Person | Tag::Unknown) && s.to - s.from == 1)
    {
        let name = surface(s);
        let key = surname_key(name);
        if let Some(p) = people
            .iter_mut()
            .filter(|p| p.surname == *key)
            .max_by_key(|p| p.mentions)
        {
            p.mentions += 1;
            if !p.forms.iter().any(|f| f == name) {
                p.forms.push(name.to_string());
            }
        } else if s.tag == Tag::Person {
            add_person(&mut people, name, 1);
        }
    }
    // Two-word unknown runs that repeat a known surname are that person
    // ("Secretary Blinken" where "Secretary" was not a title of the list).
    for s in spans
        .iter()
        .filter(|s| s.tag == Tag::Unknown && s.to - s.from >= 2)
    {
        let key = surname_key(surface(s));
        if let Some(p) = people.iter_mut().find(|p| p.surname == *key) {
            p.mentions += 1;
        }
    }

    let mut places: Vec<Entity> = Vec::new();
    let mut orgs: Vec<Entity> = Vec::new();
    for s in &spans {
        let form = surface(s);
        match s.tag {
            Tag::Known(id, genitive) => {
                let k = &gaz.known[id as usize];
                let list = match k.class {
                    Class::Place => &mut places,
                    Class::Organization => &mut orgs,
                };
                let kind = Some(k.kind.clone()).filter(|k| !k.is_empty());
                // A genitive ("Bayerns") is recorded in its base form.
                let form = if genitive {
                    &form[..form.len() - 1]
                } else {
                    form
                };
                bump(list, &k.name, form, kind, k.country.clone());
            }
            Tag::Org => bump(&mut orgs, form, form, None, None),
            Tag::Place => bump(&mut places, form, form, None, None),
            _ => {}
        }
    }
    // "Organization for Security and Co-operation in Europe (OSCE)": the acronym
    // in brackets is the same organization.
    merge_bracketed_acronyms(text, &toks, &spans, &mut orgs);

    let canonical: Vec<String> = people.iter().map(Person::canonical).collect();
    let mut mentions: Vec<Mention> = Vec::new();
    for s in &spans {
        let form = surface(s);
        let (start, end) = (toks[s.from].start, toks[s.to - 1].end);
        let found = match s.tag {
            Tag::Known(id, _) => {
                let k = &gaz.known[id as usize];
                let of = match k.class {
                    Class::Place => MentionOf::Place,
                    Class::Organization => MentionOf::Organization,
                };
                Some((of, k.name.clone()))
            }
            Tag::Org => orgs
                .iter()
                .find(|o| o.forms.iter().any(|f| f == form))
                .map(|o| (MentionOf::Organization, o.name.clone())),
            Tag::Place => Some((MentionOf::Place, form.to_string())),
            Tag::Person | Tag::Unknown => people
                .iter()
                .position(|p| p.forms.iter().any(|f| f == form))
                .or_else(|| {
                    (s.to - s.from >= 2)
                        .then(|| {
                            let key = surname_key(form);
                            people.iter().position(|p| p.surname == *key)
                        })
                        .flatten()
                })
                .map(|p| (MentionOf::Person, canonical[p].clone())),
        };
        if let Some((of, name)) = found {
            let role = (of == MentionOf::Person)
                .then(|| role_before(text, &toks, folded, s.from))
                .flatten();
            mentions.push(Mention {
                start,
                end,
                of,
                name,
                role,
            });
        }
    }
    let mut people: Vec<Entity> = people
        .into_iter()
        .zip(canonical)
        .map(|(p, name)| Entity {
            name,
            mentions: p.mentions,
            forms: p.forms,
            kind: None,
            country: None,
        })
        .collect();
    for list in [&mut people, &mut places, &mut orgs] {
        list.sort_by(|a, b| {
            b.mentions
                .cmp(&a.mentions)
                .then_with(|| a.name.cmp(&b.name))
        });
    }
    (
        Entities {
            people,
            places,
            organizations: orgs,
        },
        mentions,
    )
}

/// Names each quote's speaker by the canonical name of the person or
/// organization it is ("Blinken" → "Antony Blinken", "the Kremlin" → "Kremlin"); a
/// speaker the tagger missed becomes a person: the text made them speak.
pub fn canonical_speakers(quotes: &mut [newsflow_record::Quote], ents: &mut Entities) {
    for q in quotes.iter_mut() {
        let Some(sp) = q.speaker.as_deref() else {
            continue;
        };
        let sp = sp.trim_start_matches("the ").trim();
        let f = fold(sp);
        let last = fold(sp.split_whitespace().last().unwrap_or(sp));
        let same = |e: &Entity| fold(&e.name) == f || e.forms.iter().any(|x| fold(x) == f);
        let found = ents
            .people
            .iter()
            .find(|e| same(e))
            .or_else(|| ents.organizations.iter().find(|e| same(e)))
            .or_else(|| {
                ents.people
                    .iter()
                    .filter(|e| fold(e.name.split_whitespace().last().unwrap_or("")) == last)
                    .max_by_key(|e| e.mentions)
            })
            .map(|e| e.name.clone());
        match found {
            Some(name) => q.speaker = Some(name),
            None if !ents.places.iter().any(same) => {
                let name = sp.to_string();
                ents.people.push(Entity {
                    name: name.clone(),
                    mentions: 1,
                    forms: vec![name.clone()],
                    kind: None,
                    country: None,
                });
                q.speaker = Some(name);
            }
            None => {}
        }
    }
}

/// The title words right before token `at` ("Secretary of State", "foreign
/// minister", "Bundesfinanzminister"), lower case, ending in a title.
fn role_before(text: &str, toks: &[Token], folded: &[&str], at: usize) -> Option<String> {
    let mut from = at;
    while from > 0 && at - from < 4 && toks[from - 1].joined_next {
        let w = toks[from - 1].word(text);
        let f = fold_token(w, folded[from - 1]);
        if is_title_part(folded[from - 1])
            || CONNECTOR_SET.contains(&*f)
            || (capitalised(w) && !ARTICLES.contains(&&*f))
        {
            from -= 1;
        } else {
            break;
        }
    }
    // Starts at a title: "of State" alone is no role.
    while from < at && !is_title_part(folded[from]) {
        from += 1;
    }
    let mut to = at;
    while to > from && !is_title(folded[to - 1]) {
        to -= 1;
    }
    (from < to).then(|| {
        let mut role = String::new();
        for k in from..to {
            if !role.is_empty() {
                role.push(' ');
            }
            role.push_str(&fold_token(toks[k].word(text), folded[k]));
        }
        role
    })
}

fn bump(
    list: &mut Vec<Entity>,
    name: &str,
    form: &str,
    kind: Option<String>,
    country: Option<String>,
) {
    if let Some(e) = list.iter_mut().find(|e| e.name == name) {
        e.mentions += 1;
        if !e.forms.iter().any(|f| f == form) {
            e.forms.push(form.to_string());
        }
    } else {
        list.push(Entity {
            name: name.to_string(),
            mentions: 1,
            forms: vec![form.to_string()],
            kind,
            country,
        });
    }
}

fn merge_bracketed_acronyms(text: &str, toks: &[Token], spans: &[Span], orgs: &mut Vec<Entity>) {
    let surface = |s: &Span| &text[toks[s.from].start..toks[s.to - 1].end];
    for w in spans.windows(2) {
        let (long, short) = (&w[0], &w[1]);
        if short.to - short.from != 1 || long.to - long.from < 2 {
            continue;
        }
        let gap = &text[toks[long.to - 1].end..toks[short.from].start];
        if gap.trim() != "(" {
            continue;
        }
        let (lf, sf) = (surface(long), surface(short));
        let (Some(li), Some(si)) = (
            orgs.iter().position(|e| e.forms.iter().any(|f| f == lf)),
            orgs.iter().position(|e| e.forms.iter().any(|f| f == sf)),
        ) else {
            continue;
        };
        if li == si {
            continue;
        }
        let short_e = orgs[si].clone();
        let long_e = &mut orgs[li];
        long_e.mentions += short_e.mentions;
        for f in short_e.forms {
            if !long_e.forms.contains(&f) {
                long_e.forms.push(f);
            }
        }
        orgs.remove(si);
    }
}

struct Person {
    surname: String,
    mentions: usize,
    /// Full forms with their counts, in order of first mention.
    full: Vec<(String, usize)>,
    forms: Vec<String>,
}

impl Person {
    fn canonical(&self) -> String {
        self.full
            .iter()
            .enumerate()
            .max_by_key(|(i, (_, n))| (*n, std::cmp::Reverse(*i)))
            .map(|(_, (f, _))| f.clone())
            .or_else(|| self.forms.first().cloned())
            .unwrap_or_default()
    }
}

/// Whether two given names are spellings of one ("Sergei"/"Sergey",
/// "Volodymyr"/"Volodimir"): same first letter, close in spelling.
fn same_given(a: &str, b: &str) -> bool {
    let (a, b) = (fold(a), fold(b));
    if a == b {
        return true;
    }
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if ca.len() < 4 || cb.len() < 4 || ca[0] != cb[0] {
        return false;
    }
    // Edit distance ≤ 2, computed on two rows (names are short).
    let mut prev: Vec<usize> = (0..=cb.len()).collect();
    for (i, x) in ca.iter().enumerate() {
        let mut cur = vec![i + 1; cb.len() + 1];
        for (j, y) in cb.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(x != y))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[cb.len()] <= 2
}

/// The last word of a name (the name itself if it has none).
fn last_word(name: &str) -> &str {
    name.split_whitespace().last().unwrap_or(name)
}

fn add_person(people: &mut Vec<Person>, name: &str, n_words: usize) {
    let surname = fold(last_word(name)).to_string();
    let given = name.split_whitespace().next().unwrap_or("");
    let found = people.iter_mut().find(|p| {
        p.surname == surname
            && (n_words < 2
                || p.full.is_empty()
                || p.full
                    .iter()
                    .any(|(f, _)| same_given(f.split_whitespace().next().unwrap_or(""), given)))
    });
    let p = match found {
        Some(p) => p,
        None => {
            people.push(Person {
                surname,
                mentions: 0,
                full: Vec::new(),
                forms: Vec::new(),
            });
            people.last_mut().expect("just pushed")
        }
    };
    p.mentions += 1;
    if n_words >= 2 {
        match p.full.iter_mut().find(|(f, _)| f == name) {
            Some((_, n)) => *n += 1,
            None => p.full.push((name.to_string(), 1)),
        }
    }
    if !p.forms.iter().any(|f| f == name) {
        p.forms.push(name.to_string());
    }
}

/// The longest name the gazetteer knows starting at token `i` of a run ending
/// at `to`: its length in tokens and its entry. A known name may run on past
/// the run in lower case ("Assemblée nationale"), never across a capitalised
/// word the run left out.
fn longest_known(
    text: &str,
    toks: &[Token],
    folded: &[&str],
    i: usize,
    to: usize,
    gaz: &Gazetteer,
) -> Option<(usize, u32)> {
    let word = |k: usize| toks[k].word(text);
    if CONNECTOR_SET.contains(word(i)) {
        return None;
    }
    // (The key of one word is the word folded, without a stem.)
    let first = folded[i];
    let mut best = gaz.get(first, &toks[i..i + 1], text).map(|id| (1, id));
    // Keys of two words and more, grown a word at a time while some name of the
    // gazetteer starts with them (most words start none).
    if !gaz.prefixes.contains(stem(first)) {
        return best;
    }
    let mut key = String::from(stem(first));
    let mut len = 1;
    while len < MAX_NAME_TOKENS
        && i + len < toks.len()
        && toks[i + len - 1].joined_next
        && !toks[i + len - 1].possessive
    {
        if len > 1 && !gaz.prefixes.contains(key.as_str()) {
            break;
        }
        let next = word(i + len);
        if i + len >= to && capitalised(next) {
            break;
        }
        key.push(' ');
        key.push_str(stem(folded[i + len]));
        len += 1;
        if CONNECTOR_SET.contains(next) {
            continue;
        }
        if let Some(id) = gaz.get(&key, &toks[i..i + len], text) {
            best = Some((len, id));
        }
    }
    best
}

/// Extends an organization's name ending at `end` over its complements ("of
/// Defence", "de la Culture", "de Talavera de la Reina"), within `to`.
fn org_complement(text: &str, toks: &[Token], folded: &[&str], mut end: usize, to: usize) -> usize {
    let word = |k: usize| toks[k].word(text);
    while end < to && ORG_COMPLEMENT.contains(&word(end)) {
        let mut k = end + 1;
        while k < to && ARTICLES.contains(&folded[k]) {
            k += 1;
        }
        if k >= to || !capitalised(word(k)) {
            break;
        }
        end = k;
        while end < to && capitalised(word(end)) {
            end += 1;
        }
    }
    end
}

/// French writes the head of an institution's name in lower case ("le ministère
/// de la Culture", "la cour d'appel de Paris", "le tribunal correctionnel de
/// Toulon"): such a head, at most two lower-case words and a complement make an
/// organization. Returns its end.
fn lower_case_institution(text: &str, toks: &[Token], folded: &[&str], i: usize) -> Option<usize> {
    const HEADS: &[&str] = &[
        "ministère",
        "tribunal",
        "cour",
        "conseil",
        "ministerio",
        "juzgado",
    ];
    let word = |k: usize| toks[k].word(text);
    // (Their first letters rule out most words before the list is read.)
    if !matches!(word(i).as_bytes()[0], b'm' | b't' | b'c' | b'j') || !HEADS.contains(&word(i)) {
        return None;
    }
    // The complement is in the same stretch of joined words.
    let mut to = i + 1;
    while to < toks.len() && to - i < 10 && toks[to - 1].joined_next {
        to += 1;
    }
    let mut k = i + 1;
    while k < to && k - i <= 2 && !ORG_COMPLEMENT.contains(&word(k)) && !capitalised(word(k)) {
        k += 1;
    }
    let end = org_complement(text, toks, folded, k, to);
    (end > k).then_some(end)
}

/// Splits the run `toks[from..to]` into tagged spans; returns where tagging
/// ended, past `to` when a known name runs on in lower case ("Assemblée
/// nationale", "Parti socialiste").
#[allow(clippy::too_many_arguments)]
fn tag_run(
    text: &str,
    toks: &[Token],
    folded: &[&str],
    from: usize,
    to: usize,
    gaz: &Gazetteer,
    common: &dyn Fn(usize) -> bool,
    spans: &mut Vec<Span>,
) -> usize {
    let mut consumed = to;
    let word = |k: usize| toks[k].word(text);
    let f = |k: usize| folded[k];
    let known_at: Vec<Option<(usize, u32)>> = (from..to)
        .map(|k| longest_known(text, toks, folded, k, to, gaz))
        .collect();
    let mut i = from;
    let mut after_title = from
        .checked_sub(1)
        .is_some_and(|p| toks[p].joined_next && is_title(f(p)));
    while i < to {
        let w = word(i);
        if CONNECTOR_SET.contains(w) {
            // "Chancellor of the Exchequer": what follows "of" is no name.
            after_title = false;
            i += 1;
            continue;
        }
        // The longest known name starting here.
        let mut known = known_at[i - from];
        // A German genitive ("Berlins", "Russlands") of a one-word place.
        let mut genitive = false;
        if known.is_none() && !w.ends_with("ss") && w.ends_with('s') && w.chars().count() > 4 {
            let base = &w[..w.len() - 1];
            let key = fold(base);
            if let Some(ids) = gaz.by_name.get(&*key) {
                if let Some(&id) = ids.first() {
                    if gaz.known[id as usize].class == Class::Place {
                        known = Some((1, id));
                        genitive = true;
                    }
                }
            }
        }
        // A person: a given name and what follows it that is not known or common.
        let person_len = if gaz.is_given_folded(f(i)) && !toks[i].possessive && !is_acronym(w) {
            let mut k = i + 1;
            while k < to
                && k - i < 4
                && !toks[k - 1].possessive
                && (NAME_PARTICLES.contains(&word(k)) && k + 1 < to
                    || (capitalised(word(k))
                        && !is_title(f(k))
                        && !org_head(f(k))
                        && !is_acronym(word(k))))
            {
                k += 1;
            }
            while k > i + 1 && NAME_PARTICLES.contains(&word(k - 1)) {
                k -= 1;
            }
            // "Christian Democratic Union", "Ludwig Maximilian University": a
            // given name opening an organization's name.
            let geo = (i..k).any(|x| GEO_HEAD_SET.contains(f(x)));
            if k < to && org_head(f(k)) && !toks[k - 1].possessive || geo {
                0
            } else {
                k - i
            }
        } else {
            0
        };
        if person_len >= 2 && known.is_none_or(|(len, _)| person_len > len) {
            spans.push(Span {
                from: i,
                to: i + person_len,
                tag: Tag::Person,
                after_title,
            });
            i += person_len;
            after_title = false;
            continue;
        }
        if let Some((len, id)) = known {
            // An organization's name is its longest form: "Deutsche Bank AG",
            // "Bank of England" are already whole.
            spans.push(Span {
                from: i,
                to: i + len,
                tag: Tag::Known(id, genitive),
                after_title: false,
            });
            i += len;
            consumed = consumed.max(i);
            after_title = false;
            continue;
        }
        if is_title(f(i)) {
            after_title = true;
            i += 1;
            continue;
        }
        if TITLE_PART_SET.contains(f(i)) {
            i += 1;
            continue;
        }
        // An organization: up to and including a head word within the run, or a
        // head word followed by its complement ("Ministry of Defence").
        // Not across a name the gazetteer knows ("Sanktionen der Europäischen
        // Union" is the EU).
        let limit = (i + 1..to)
            .find(|&k| known_at[k - from].is_some() || gaz.is_given_folded(f(k)))
            .unwrap_or(to);
        if let Some(h) = (i..limit).find(|&k| org_head(f(k))) {
            let starts_ok = !common(i) || org_head(f(i)) || h > i;
            let mut end = h + 1;
            // "Verwaltungsgericht Kassel", "Sociedad Deportiva Huesca", "Banco
            // Santander": a head word first, then the name.
            if h == i {
                while end < to
                    && end - h < 4
                    && capitalised(word(end))
                    && !is_title_part(f(end))
                    && !gaz.is_given_folded(f(end))
                {
                    end += 1;
                }
            }
            // "Ministry of Defence", "Ministère de la Culture", "Hospital Clínic
            // de Barcelona": connectors then capitalised words, as often as they
            // come.
            end = org_complement(text, toks, folded, end, to);
            let mut start = i;
            while start < h && (common(start) && !org_head(f(start)) || is_title(f(start))) {
                start += 1;
            }
            // One word alone is an organization only as a public body's compound
            // ("Bundesverfassungsgericht"), not a generic noun ("Nachrichtenagentur").
            let one_word_ok = ["bundes", "landes", "staats"]
                .iter()
                .any(|p| fold_token(word(start), f(start)).starts_with(p));
            if starts_ok && (end - start >= 2 || one_word_ok) {
                spans.push(Span {
                    from: start,
                    to: end,
                    tag: Tag::Org,
                    after_title: false,
                });
                i = end;
                after_title = false;
                continue;
            }
        }
        // A geographic feature: "River Wye", "Lake Geneva", "the Black Sea".
        if let Some(h) =
            (i..to.min(i + 4)).find(|&k| GEO_HEAD_SET.contains(&*fold_token(word(k), f(k))))
        {
            let mut a = i;
            while a < h && ARTICLES.contains(&&*fold_token(word(a), f(a))) {
                a += 1;
            }
            let b = if h == a { (h + 2).min(to) } else { h + 1 };
            if b - a >= 2 && !CONNECTOR_SET.contains(word(b - 1)) {
                spans.push(Span {
                    from: a,
                    to: b,
                    tag: Tag::Place,
                    after_title: false,
                });
                i = b;
                after_title = false;
                continue;
            }
        }
        if common(i) && !(is_acronym(w) && w.chars().count() >= 2 && !never_name(f(i))) {
            i += 1;
            continue;
        }
        if never_name(f(i)) {
            i += 1;
            continue;
        }
        // Unknown capitalised words: consecutive ones form one name.
        let mut k = i + 1;
        while k < to
            && k - i < 3
            && !toks[k - 1].possessive
            && capitalised(word(k))
            && !common(k)
            && !is_title(f(k))
            && !gaz.is_given_folded(f(k))
        {
            k += 1;
        }
        // A party's acronym after a title is an affiliation ("le député PS").
        let tag = if after_title && !(k - i == 1 && is_acronym(w)) {
            Tag::Person
        } else {
            Tag::Unknown
        };
        spans.push(Span {
            from: i,
            to: k,
            tag,
            after_title,
        });
        after_title = false;
        i = k;
    }
    consumed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[Entity]) -> Vec<&str> {
        list.iter().map(|e| e.name.as_str()).collect()
    }

    #[test]
    fn the_embedded_gazetteer_loads() {
        let g = Gazetteer::embedded();
        assert!(g.len() > 1000, "{} entries", g.len());
        assert!(g.is_given_name("Sergei"));
    }

    #[test]
    fn people_places_and_organizations_of_an_english_story() {
        let body = "Secretary of State Antony Blinken met his Russian counterpart Sergei Lavrov in Geneva.\n\n\
            “Whose troops are surrounding whom?” Blinken asked in Berlin. Mr Blinken later flew to Washington.\n\n\
            Sergey Lavrov said NATO and the Organization for Security and Co-operation in Europe (OSCE) must listen. \
            Lavrov's ministry, the Russian Foreign Ministry, agreed.";
        let e = entities(body, Some("en"), &Gazetteer::embedded());
        let people = names(&e.people);
        assert!(people.contains(&"Antony Blinken"), "{people:?}");
        assert!(people.iter().any(|p| p.ends_with("Lavrov")), "{people:?}");
        assert_eq!(people.len(), 2, "one Blinken, one Lavrov: {:?}", e.people);
        let blinken = e
            .people
            .iter()
            .find(|p| p.name == "Antony Blinken")
            .unwrap();
        assert_eq!(blinken.mentions, 3);
        let places = names(&e.places);
        for p in ["Geneva", "Berlin", "Washington"] {
            assert!(places.contains(&p), "{p} in {places:?}");
        }
        let orgs: Vec<String> = e
            .organizations
            .iter()
            .flat_map(|o| o.forms.clone())
            .collect();
        assert!(orgs.iter().any(|o| o == "NATO"), "{orgs:?}");
        assert!(orgs.iter().any(|o| o == "OSCE"), "{orgs:?}");
    }

    #[test]
    fn capitals_only_names_and_mixed_case_names() {
        let g = Gazetteer::parse(
            "name\tkind\tcountry\tpopulation\taliases\nUnited States\tcountry\tUS\t330000000\tUS|U.S.\n",
            "name\tkind\taliases\nNATO\tintl\tNato\n",
            "Anna\n",
        )
        .unwrap();
        let e = entities(
            "Us and them. Nato met. The US agreed and NATO too.",
            Some("en"),
            &g,
        );
        assert_eq!(e.places.len(), 1);
        assert_eq!(
            e.places[0].mentions, 1,
            "\"Us\" is not the US: {:?}",
            e.places
        );
        assert_eq!(e.organizations[0].mentions, 2, "{:?}", e.organizations);
        let bad =
            Gazetteer::parse("name\tkind\nParis\tcity\n", "name\tkind\taliases\n", "").unwrap_err();
        assert!(bad.0.contains("places.tsv line"), "{bad}");
    }

    #[test]
    fn a_page_of_capitalised_words_takes_linear_time() {
        // Found by fuzzing: runs were tagged in quadratic time (80 KB took 10 s).
        let body = "Word ".repeat(40_000);
        let t = std::time::Instant::now();
        let _ = entities(&body, Some("en"), &Gazetteer::embedded());
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn tokens_keep_initialisms_and_cut_possessives() {
        let text = "The U.S. and Biden’s team.";
        let t: Vec<&str> = tokens(text).iter().map(|t| t.word(text)).collect();
        assert_eq!(t, ["The", "U.S.", "and", "Biden", "team"]);
    }

    #[test]
    fn transliterations_are_one_person_and_different_people_stay_apart() {
        assert!(same_given("Sergei", "Sergey"));
        assert!(same_given("Volodymyr", "Volodimir"));
        assert!(!same_given("Joe", "Jill"));
        assert!(!same_given("Hunter", "Joe"));
    }
}
