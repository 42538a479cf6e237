//! From decoded text to paragraphs, with title, byline and publication date pulled
//! out and boilerplate lines removed.

use crate::lang::LineLangs;
use crate::rules::{ends_terminated, RuleSet};
use newsflow_record::dates::month;
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The text path's result before the record is assembled.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Structured {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    /// Clean paragraphs in document order.
    pub paragraphs: Vec<String>,
    /// Removed lines: (line number, 1-based; rule id; kind).
    pub removed: Vec<Removed>,
    /// With `Layers::explain`: every paragraph and what became of it, in line order.
    pub explained: Vec<Explained>,
    /// The document's language (ISO 639-1) and whatlang's confidence, when it
    /// could be told reliably.
    pub language: Option<(&'static str, f64)>,
}

/// What became of one line, for `newsflow explain`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explained {
    /// 1-based line number in the decoded text.
    pub line: usize,
    pub text: String,
    /// `kept`, `removed` or `lifted`.
    pub decision: &'static str,
    /// `rules`, `classifier` or `head` (title, byline, date).
    pub layer: &'static str,
    /// The rule id, or the field a lifted line went to.
    pub rule: Option<String>,
    /// The classifier's view, where it judged the line.
    pub score: Option<f32>,
    pub reason: Option<&'static str>,
    pub features: Option<crate::classify::Features>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub line: usize,
    pub rule_id: String,
    pub kind: String,
    pub text: String,
}

/// A paragraph and the 1-based line it starts on.
#[derive(Debug, Clone)]
struct Para {
    line: usize,
    text: String,
}

/// Fewest words of a question taken for a headline.
const QUESTION_TITLE_MIN_WORDS: usize = 6;

/// Most words of a menu item under the site's tagline.
const MENU_ITEM_MAX_WORDS: usize = 3;

/// "LIVE Lokalsport-Ticker: Alle Spiele des Sonntags", "EN DIRECTO: Última hora
/// del mercado de fichajes": the site's link to its live page, standing in the
/// menu right above a headline; not the headline over a standfirst.
static LIVE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:(?:LIVE|EN DIRECTO|DIRECTO|EN DIRECT|IN DIRETTA|AO VIVO|LIVETICKER|BREAKING(?: NEWS)?)\b\s*[:|–—-]?|(?:Live|Live-Ticker|LIVE-TICKER|En directo|En direct|In diretta|Ao vivo|Liveticker|Breaking news)\s*[:|–—-])\s+\S")
        .unwrap()
});

/// A navigation bar flattened into one line: five or more capitalised words with
/// no stopword and no punctuation ("Bem-estar Alimentação Fitness Sono Mente
/// Família"). A headline has its language's little words.
fn menu_line(t: &str, stop: Option<&newsflow_record::words::StopWords>) -> bool {
    let Some(stop) = stop else {
        return false;
    };
    let words: Vec<&str> = t.split_whitespace().collect();
    words.len() >= MENU_LINE_MIN_WORDS
        && words.iter().all(|w| {
            w.starts_with(char::is_uppercase)
                && w.chars().all(|c| c.is_alphabetic() || c == '-')
                && !stop.contains(&w.to_lowercase())
        })
}

/// Fewest capitalised words that make a flattened menu rather than a headline.
const MENU_LINE_MIN_WORDS: usize = 5;

/// A headline this long right above a longer candidate is the title.
const TITLE_MIN_WORDS: usize = 5;

/// "Now playing 02:11", "Écouter - 03:12": player time stamps, not headlines.
static CLOCK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\b\d{1,2}:\d{2}\b").unwrap());

/// Two sentences on one line ("… 80 posti. Investimento da 14 milioni") make a
/// standfirst or a promotion, not a headline.
static SENTENCE_BREAK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\p{Ll}[.!?] \p{Lu}").unwrap());

/// How many leading paragraphs may hold the title, byline or a dateline. Pages
/// put 30 lines of consent buttons, menus and "Trending" links above the
/// headline; the head ends earlier anyway, at the first prose under a headline.
const HEAD: usize = 40;
const TITLE_MAX_WORDS: usize = 30;
const TITLE_MAX_CHARS: usize = 250;

/// Splits text into paragraphs. A paragraph is a line, unless a block of lines
/// separated by blank lines looks hard-wrapped (several lines of similar width),
/// in which case its lines are joined.
fn paragraphs(text: &str) -> Vec<Para> {
    let mut out = Vec::new();
    let mut block: Vec<(usize, String)> = Vec::new();
    let flush = |block: &mut Vec<(usize, String)>, out: &mut Vec<Para>| {
        if block.is_empty() {
            return;
        }
        if looks_wrapped(block) {
            let lines: Vec<&str> = block.iter().map(|(_, l)| l.as_str()).collect();
            let text = join_wrapped(&lines, text);
            out.push(Para {
                line: block[0].0,
                text,
            });
        } else {
            out.extend(block.iter().map(|(n, l)| Para {
                line: *n,
                text: l.clone(),
            }));
        }
        block.clear();
    };
    for (i, (raw, ends_paragraph)) in lines(text).into_iter().enumerate() {
        let line = clean_line(raw);
        if line.is_empty() {
            flush(&mut block, &mut out);
        } else {
            block.push((i + 1, line));
        }
        if ends_paragraph {
            flush(&mut block, &mut out);
        }
    }
    flush(&mut block, &mut out);
    out
}

/// Joins the lines of a hard-wrapped paragraph. A word split by a hyphen at a line
/// end is joined only where that is clearly a typesetting break: the next line
/// goes on in lowercase, the next word is not a conjunction ("Ein- und
/// Ausgang"), and the document does not spell the word with a hyphen elsewhere
/// ("well-known"). Before a capital ("Nord-Süd") the hyphen stays and the
/// halves are joined; a dash after a space (" -") is punctuation.
fn join_wrapped(lines: &[&str], doc: &str) -> String {
    const CONJUNCTIONS: &[&str] = &[
        "und", "oder", "bis", "sowie", "and", "or", "to", "et", "ou", "y", "o", "e", "ed", "en",
        "of",
    ];
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        if i == 0 {
            out.push_str(line);
            continue;
        }
        let prev = lines[i - 1];
        let split = prev
            .strip_suffix('-')
            .filter(|head| head.chars().last().is_some_and(char::is_alphabetic));
        let next_word: &str = line
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        match split {
            Some(head) if line.starts_with(char::is_lowercase) => {
                let head_word = head
                    .rsplit(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                let hyphenated = format!("{head_word}-{next_word}");
                if CONJUNCTIONS.contains(&next_word) {
                    out.push(' ');
                } else if !head_word.is_empty() && doc.contains(hyphenated.as_str()) {
                    // Spelled with a hyphen elsewhere: a compound, keep it.
                } else {
                    out.pop();
                }
                out.push_str(line);
            }
            Some(_) if line.starts_with(char::is_uppercase) => out.push_str(line),
            _ => {
                out.push(' ');
                out.push_str(line);
            }
        }
    }
    out
}

/// Splits text into lines at every line break a news file may carry: LF, CRLF, a
/// lone CR (classic Mac OS and some exporters), NEL, and the Unicode line and
/// paragraph separators U+2028 and U+2029 (common in text taken from web pages'
/// JSON). `str::lines` knows only LF and CRLF. Each line comes with whether a
/// paragraph separator ends it. Like `str::lines`, a final break adds no empty line.
fn lines(text: &str) -> Vec<(&str, bool)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let ends_paragraph = match c {
            '\n' | '\u{85}' | '\u{2028}' => false,
            '\r' => {
                chars.next_if(|&(_, next)| next == '\n');
                false
            }
            '\u{2029}' => true,
            _ => continue,
        };
        out.push((&text[start..i], ends_paragraph));
        start = chars.peek().map_or(text.len(), |&(j, _)| j);
    }
    if start < text.len() {
        out.push((&text[start..], false));
    }
    out
}

/// Trims the line. Inner whitespace is kept as the author typed it: consumers
/// compare quotes and sentences against the source text.
fn clean_line(raw: &str) -> String {
    raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}')
        .to_string()
}

fn looks_wrapped(block: &[(usize, String)]) -> bool {
    if block.len() < 3 {
        return false;
    }
    let body = &block[..block.len() - 1];
    let widths: Vec<usize> = body.iter().map(|(_, l)| l.chars().count()).collect();
    let max = *widths.iter().max().unwrap_or(&0);
    let min = *widths.iter().min().unwrap_or(&0);
    max <= 100
        && min >= 40
        && max - min <= 30
        && block
            .last()
            .map(|(_, l)| l.chars().count() <= max + 5)
            .unwrap_or(true)
}

static DATE_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^date[:\s]\s*(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?)\s+(\S.*)$").unwrap()
});

static DATELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:date|dated|published|published on|updated|last updated|posted|posted on|first published|datum|veröffentlicht|veröffentlicht am|aktualisiert|publié|publié le|mis à jour|mis à jour le|pubblicato|pubblicato il|aggiornato|publicado|publicado el|actualizado|gepubliceerd|bijgewerkt)\s*[:\-–—]?\s*(.+?)\.?$",
    )
    .unwrap()
});

static BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    // "By Jane Doe", "Von Max Muster und Erika Muster", "Par Jean Dupont, AFP",
    // "By Hannah Okafor, City Hall reporter", "Por Beatriz Cavalcanti, de
    // Campina Grande", "Tekst: Ilse Brinkhorst · Foto's: Wouter Smeenk" (a role,
    // a place or the photographer after the name, in up to five words);
    // "Door Sanne Verhoef | 5 maart 2024, 14:12" (the date in group 2); "Par
    // Claire Vannier*" (the star points to a note on the author after the text).
    Regex::new(
        r"^(?i:by|von|par|por|di|a cura di|door|de|written by|text:|texto:|texto y fotos:|texto e fotos:|text und fotos:|text and photos:|words:|tekst:|tekst en foto's:|texte :|texte:|testo:|testo e foto:)\s+(\p{Lu}[\p{L}'’.\-]*(?:\s+(?:\p{Lu}[\p{L}'’.\-]*|(?i:and|und|et|y|e|en|van|von|der|den|de|da|di|del|la|le|du|dos|das))){0,7})(?:\s*[,|·–—-]\s*(?:[\p{L}'’.:\-]+\s*){1,5})?(?:\s*[,|·•–—-]\s*(\d[\p{L}\d.,:/ ]{3,40}))?\*?$",
    )
    .unwrap()
});

static TIMELINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:updated|last updated|published|posted|aktualisiert|stand|mis à jour|publié|actualizado|publicado|aggiornato|pubblicato|ultimo aggiornamento|atualizado|bijgewerkt)\s*:?\s*(?:at |à |a las |alle |om |um |às )?\d{1,2}[:.h]\d{2}(?:\s*(?:am|pm|a\.m\.|p\.m\.|uhr|h))?(?:\s+[A-Z]{2,4})?\.?$",
    )
    .unwrap()
});

/// A date or date-time as pages and feeds write it, as ISO 8601: RFC 3339 kept
/// as written, RFC 2822 ("Thu, 20 Jan 2022 10:00:00 GMT") converted, anything
/// [`parse_date`] reads, else the leading ISO date. None if it is no date.
pub fn iso_date(s: &str) -> Option<String> {
    use time::format_description::well_known::{Rfc2822, Rfc3339};
    let s = s.trim();
    if time::OffsetDateTime::parse(s, &Rfc3339).is_ok() {
        return Some(s.to_string());
    }
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc2822) {
        return t.format(&Rfc3339).ok();
    }
    if let Some(d) = parse_date(s) {
        return Some(d);
    }
    let prefix: String = s.chars().take(10).collect();
    parse_date(&prefix).filter(|_| prefix.len() == 10 && prefix.as_bytes()[4] == b'-')
}

/// Reads a date in the common forms news pages print, returning ISO 8601.
pub fn parse_date(s: &str) -> Option<String> {
    static ISO: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$",
        )
        .unwrap()
    });
    static DMY_NUM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})$").unwrap());
    static MDY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:\p{L}+,?\s+)?(\p{L}+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
            .unwrap()
    });
    static DMY: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:\p{L}+,?\s+)?(\d{1,2})(?:st|nd|rd|th|\.|er|º)?\s+(?:de\s+)?(\p{L}+)\.?\s+(?:de\s+)?(\d{4})$").unwrap()
    });
    let s = s.trim().trim_end_matches('.');
    if let Some(c) = ISO.captures(s) {
        let (y, m, d) = (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        valid(y, m, d)?;
        return Some(match (c.get(4), c.get(5)) {
            (Some(h), Some(mi)) => {
                let sec = c.get(6).map_or("00", |m| m.as_str());
                let tz = c.get(7).map_or("", |m| m.as_str());
                format!(
                    "{y:04}-{m:02}-{d:02}T{}:{}:{sec}{tz}",
                    h.as_str(),
                    mi.as_str()
                )
            }
            _ => format!("{y:04}-{m:02}-{d:02}"),
        });
    }
    let (y, m, d) = if let Some(c) = DMY_NUM.captures(s) {
        (c[3].parse().ok()?, c[2].parse().ok()?, c[1].parse().ok()?)
    } else if let Some(c) = MDY.captures(s) {
        (c[3].parse().ok()?, month(&c[1])?, c[2].parse().ok()?)
    } else if let Some(c) = DMY.captures(s) {
        (c[3].parse().ok()?, month(&c[2])?, c[1].parse().ok()?)
    } else {
        return None;
    };
    valid(y, m, d)?;
    Some(format!("{y:04}-{m:02}-{d:02}"))
}

fn valid(y: i32, m: u8, d: u8) -> Option<()> {
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y, month, d).ok().map(|_| ())
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Words with a letter in them: a ticker line has few among its figures.
fn letter_words(s: &str) -> usize {
    s.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
}

/// Could this paragraph be a headline? Short, not a sentence, not starting lowercase.
fn title_shaped(p: &str) -> bool {
    let words = word_count(p);
    (2..=TITLE_MAX_WORDS).contains(&words)
        && p.chars().count() <= TITLE_MAX_CHARS
        && !p.trim_end().ends_with(['.', ':', ';', ','])
        && !p.starts_with(|c: char| c.is_lowercase())
}

/// A head line that carries a publication date ("Published: January 21, 2022",
/// "Madrid, 29.11.2021 12:14 h.", "12.jan.2022 às 9h05"): the date, if any.
fn dateline(text: &str) -> Option<String> {
    static FIND: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}[./]\d{1,2}[./]\d{4}|\d{1,2}\.\s?\p{L}{3,}\.?\s?\d{4}|\p{L}{3,}\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2}(?:st|nd|rd|th|er|º)? (?:de )?\p{L}{3,}\.? (?:de )?\d{4})",
        )
        .unwrap()
    });
    // "Published Nov. 14, 2024 at 9:12 p.m. · Updated Nov. 15, 2024 at 7:40
    // a.m.": the first of two stamps is the publication.
    if let Some((first, _)) = text.split_once(" · ").or_else(|| text.split_once(" | ")) {
        if let Some(d) = dateline(first) {
            return Some(d);
        }
    }
    if word_count(text) > 14 {
        return None;
    }
    if let Some(d) = DATELINE
        .captures(text)
        .and_then(|c| parse_date(&c[1]))
        .or_else(|| parse_date(text))
    {
        return Some(d);
    }
    let m = FIND.find(text)?;
    let found = m.as_str().replace('/', ".");
    // "12.jan.2022" reads as "12 jan 2022".
    let spaced = if found.chars().filter(|c| *c == '.').count() == 2
        && found.chars().any(char::is_alphabetic)
    {
        found.replace('.', " ")
    } else {
        found
    };
    parse_date(&spaced)
}

/// Most words of a line [`date_only`] considers.
const DATE_LINE_MAX_WORDS: usize = 16;

/// A line that is a date and little else: a time, a weekday, a place, "Stand:",
/// "Publié le" ("Barcelona - Martes, 15 de febrero de 2022, 07:00"). Not a sentence.
fn date_only(text: &str) -> bool {
    static DATE_PARTS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{1,2}\.\s?\d{1,2}\.\s?\d{2,4}|\d{1,2}/\d{1,2}/\d{2,4}|\d{1,2}[:h.]\d{2}(?:\s*(?:uhr|h|am|pm))?|\b\d{1,4}(?:st|nd|rd|th|er|º)?\b",
        )
        .unwrap()
    });
    // The longest date lines ("Barcelona - Martes, 15 de febrero de 2022, 07:00
    // CET") run to a dozen words; prose paragraphs are not worth the regex.
    if text.trim_end().ends_with(['!', '?'])
        || text.split_whitespace().nth(DATE_LINE_MAX_WORDS).is_some()
    {
        return false;
    }
    let rest = DATE_PARTS.replace_all(text, " ");
    let mut months = 0;
    let words: Vec<&str> = rest
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .filter(|w| {
            let m = month(w).is_some();
            months += usize::from(m);
            !m && !DATE_WORDS.contains(&w.to_lowercase().as_str())
        })
        .collect();
    // A date needs a figure or a month: "Destinos" under a site's name is a menu.
    let dated = months > 0 || rest.as_ref() != text;
    dated && words.len() <= 2
}

/// The name of a bare byline: "Harriet Lowe", or "Aoife Brennan, Housing
/// Correspondent" (a short role after a comma).
fn named(text: &str) -> Option<&str> {
    let text = text.trim();
    if name_like(text) {
        return Some(text);
    }
    // "Marta Llorens | Orihuela", "Lucía Garrido (Murcia)": the place written from.
    if let Some(name) = text.split_once(" | ").map(|(n, _)| n).or_else(|| {
        text.strip_suffix(')')
            .and_then(|t| t.split_once(" ("))
            .map(|(n, _)| n)
    }) {
        return name_like(name).then_some(name);
    }
    let (name, role) = text.split_once(", ")?;
    let role_words = role.split_whitespace().count();
    ((1..=4).contains(&role_words) && !ends_terminated(role) && name_like(name)).then_some(name)
}

/// "Harriet Lowe", "Jan de Vries", "Uxía Rivas-Paz": two to four name words,
/// the last one capitalised.
fn name_like(text: &str) -> bool {
    crate::classify::name_shaped(text, None)
        && text
            .split_whitespace()
            .last()
            .is_some_and(|w| w.starts_with(char::is_uppercase))
}

/// Words around dates in date lines: weekdays, "published on", "at", "Uhr".
const DATE_WORDS: &[&str] = &[
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "montag",
    "dienstag",
    "mittwoch",
    "donnerstag",
    "freitag",
    "samstag",
    "sonntag",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
    "lunedì",
    "martedì",
    "mercoledì",
    "giovedì",
    "venerdì",
    "sabato",
    "domenica",
    "segunda",
    "terça",
    "quarta",
    "quinta",
    "sexta",
    "feira",
    "maandag",
    "dinsdag",
    "woensdag",
    "donderdag",
    "vrijdag",
    "zaterdag",
    "zondag",
    "published",
    "updated",
    "posted",
    "on",
    "at",
    "stand",
    "uhr",
    "um",
    "am",
    "vom",
    "publié",
    "le",
    "à",
    "mis",
    "jour",
    "publicado",
    "el",
    "a",
    "las",
    "de",
    "actualizado",
    "pubblicato",
    "il",
    "alle",
    "aggiornato",
    "ore",
    "atualizado",
    "em",
    "às",
    "gepubliceerd",
    "bijgewerkt",
    "om",
    "op",
    "h",
    "pm",
    "utc",
    "gmt",
    "cet",
    "cest",
    "et",
    "est",
];

/// Menus and breadcrumbs look like short headlines; their separators give them
/// away, or, without separators, a run of seven or more capitalised words (or
/// numbers: "112") without punctuation and with at most one stopword ("Nieuws
/// Regio Sport Cultuur 112 Familieberichten Contact"; the German list counts
/// "Startseite"): a headline of that length, even in title case, has function words.
fn menu_like(text: &str, stop: Option<&newsflow_record::words::StopWords>) -> bool {
    // A French closing quote stands alone too: "« Nos bibliothèques … »".
    let quoted = text.contains('«');
    if text
        .split_whitespace()
        .any(|t| matches!(t, "|" | "›" | ">" | "•" | "·") || (t == "»" && !quoted))
    {
        return true;
    }
    let Some(stop) = stop else {
        return false;
    };
    // Counted without collecting: this runs for every paragraph of every document.
    let words = || text.split_whitespace();
    words().nth(6).is_some()
        && words().all(|w| {
            w.chars().all(|c| c.is_ascii_digit())
                || (w.chars().next().is_some_and(char::is_uppercase)
                    && w.chars().all(|c| c.is_alphabetic() || c == '-'))
        })
        && words().filter(|w| stop.contains(&w.to_lowercase())).count() <= 1
}

/// Splits the text into paragraphs, removes boilerplate and pulls out the head fields.
///
/// The head is what comes before the first paragraph of prose (at most `HEAD`
/// paragraphs): dates and bylines found there are lifted into fields, and the title
/// is the longest headline-shaped line there, so navigation and "skip to content"
/// lines above it do not take its place.
pub fn structure(
    text: &str,
    rules: &RuleSet,
    layers: Layers,
    learned: Option<&crate::learned::Learned>,
) -> Structured {
    let mut out = Structured::default();
    let paras = paragraphs(text);
    let sample = crate::lang::document_sample(paras.iter().map(|p| p.text.as_str()), text);
    let detected = crate::lang::detect_document(&sample);
    let (doc_lang, class_lang) = (detected.strict, detected.lenient);
    out.language = doc_lang.map(|l| (l, detected.confidence));
    let stop = class_lang.and_then(newsflow_record::words::stopwords);
    let mut line_langs = LineLangs::new();
    // The learned layer counts distinct stories, not documents: a story dropped
    // again (a site updating an article, a re-scrape) must not turn its own short
    // lines, its subheadings and list items, into "template text". A story is
    // known by its headline (the longest headline-shaped line of the head that no
    // rule removes), else by its longest such line of prose, else by the
    // document's id.
    // Rule matches found for the story's key, by line, so that the main pass
    // below does not match those lines a second time.
    let mut matched: HashMap<usize, Option<crate::rules::RuleMatch>> = HashMap::new();
    let story: Option<String> = learned.map(|l| {
        let mut rules_keep = |p: &Para| {
            matched
                .entry(p.line)
                .or_insert_with(|| rules.find_in(&p.text, true, doc_lang, &mut line_langs))
                .is_none()
        };
        // The head: up to the first line of prose.
        let head_len = paras
            .iter()
            .take(HEAD)
            .position(|p| word_count(&p.text) >= 8 && ends_terminated(&p.text))
            .unwrap_or(HEAD.min(paras.len()));
        let headline = paras[..head_len]
            .iter()
            .filter(|p| {
                title_shaped(&p.text) && !menu_like(&p.text, stop) && !ends_terminated(&p.text)
            })
            .filter(|p| word_count(&p.text) >= 3)
            .max_by_key(|p| word_count(&p.text))
            .filter(|p| rules_keep(p));
        let prose = || {
            let mut long: Vec<&Para> = paras
                .iter()
                .filter(|p| word_count(&p.text) > l.cfg.max_words)
                .collect();
            long.sort_by_key(|p| std::cmp::Reverse(p.text.len()));
            long.into_iter().take(4).find(|p| rules_keep(p))
        };
        headline
            .or_else(prose)
            .map(|p| format!("story:{:016x}", crate::learned::line_key(&p.text)))
            .unwrap_or_else(|| l.doc.to_string())
    });
    let by_story = learned
        .zip(story.as_deref())
        .map(|(l, story)| crate::learned::Learned {
            memory: l.memory,
            source: l.source,
            doc: story,
            cfg: l.cfg,
        });
    let learned = by_story.as_ref();
    // (line, text, title candidate, removal pending unless it becomes the title)
    let mut kept: Vec<(usize, String, bool, Option<Removed>)> = Vec::new();
    let mut lifted: Vec<(usize, String, &'static str)> = Vec::new();
    let mut memory_keys: Vec<u64> = Vec::new();
    let mut body_started = false;
    // Prose above any headline-shaped line is more often a banner (consent,
    // paywall, "please refresh") than the article: the body starts at prose after
    // a headline (a candidate of more than TITLE_MIN_WORDS words: "Live updates"
    // over "this page updates automatically" is a menu item over a notice), or at
    // the second prose paragraph.
    let mut prose_seen = 0;
    // A standfirst under the title is prose, and the byline and date often
    // follow it: they are looked for until the next prose paragraph.
    let mut prose_in_body = 0;
    // A bare name ("Harriet Lowe") is a byline when a date line is next to it.
    let dated: Vec<bool> = paras
        .iter()
        .take(HEAD + 1)
        .map(|p| date_only(&p.text))
        .collect();
    let mut lifted_date_at = None;
    let mut headline_seen = false;
    // The byline came from a bare name, not a "By …" line.
    let mut byline_bare = false;
    // The site's name: the first line of the head shaped like a name, above the
    // headline and not lifted ("Diario Costa Levante", the logo's text).
    let mut site: Option<String> = None;
    let mut site_looked = false;
    for (i, p) in paras.into_iter().enumerate() {
        let in_head = layers.head && !body_started && i < HEAD;
        let mut text = p.text;
        // The scraper's own "date 2022-01-20 " prefix is metadata wherever the
        // first lines put it, even after a paywall prompt that reads like prose.
        let prefix = if i < HEAD {
            DATE_PREFIX.captures(&text)
        } else {
            None
        };
        let prefixed = prefix.is_some();
        let mut stripped = false;
        if let Some((d, rest)) = prefix.and_then(|c| Some((parse_date(&c[1])?, c[2].to_string()))) {
            out.published.get_or_insert(d);
            text = rest;
            stripped = true;
        }
        // Just after the standfirst: byline and date lines are still looked for.
        let after_lead = layers.head && body_started && i < HEAD && prose_in_body < 2;
        let next_to_date =
            dated.get(i + 1).copied().unwrap_or(false) || (i > 0 && lifted_date_at == Some(i - 1));
        // A bare name under the headline is its byline, though no date is
        // next to it (a dateline the date parser cannot read stands between).
        let under_headline = || {
            headline_seen
                && crate::classify::bare_name(
                    &text,
                    doc_lang.and_then(newsflow_record::words::stopwords),
                )
        };
        // A "By …" line's name and the date after it, read once for the checks below.
        let mut by: Option<(String, Option<String>)> = (in_head || after_lead)
            .then(|| BYLINE.captures(&text))
            .flatten()
            .map(|c| {
                (
                    c[1].trim().to_string(),
                    c.get(2).map(|d| d.as_str().to_string()),
                )
            });
        if (in_head || after_lead)
            && out.byline.is_none()
            && (next_to_date || under_headline())
            && by.is_none()
        {
            if let Some(name) = named(&text) {
                out.byline = Some(name.to_string());
                byline_bare = true;
                lifted.push((p.line, text, "byline"));
                continue;
            }
        }
        // "Von Henrik Sauerland | 12.03.2024, 18:30 Uhr": byline and date in one
        // line, read as both before the date alone is taken from it.
        if out.byline.is_none() || byline_bare {
            if let Some((name, Some(date))) = by.take_if(|(_, date)| date.is_some()) {
                out.byline = Some(name);
                byline_bare = false;
                if out.published.is_none() {
                    out.published = dateline(&date);
                }
                lifted.push((p.line, text, "byline"));
                continue;
            }
        }
        if in_head || after_lead {
            // After the standfirst, only a line that is nothing but a date (with a
            // time, a weekday, a place) is lifted: prose there may mention dates.
            if !prefixed && out.published.is_none() && (in_head || date_only(&text)) {
                if let Some(d) = dateline(&text) {
                    out.published = Some(d);
                    lifted.push((p.line, text, "published"));
                    lifted_date_at = Some(i);
                    continue;
                }
            }
            // "Updated 3:04 PM GMT": a time stamp without a date is metadata too,
            // though there is no date to keep.
            if TIMELINE.is_match(&text) {
                lifted.push((p.line, text, "time"));
                continue;
            }
            // "Door Sanne de Graaf" outranks a bare name taken for the byline
            // earlier, or a "De …" line ("De Kustbode", the site's name above
            // the headline).
            if (out.byline.is_none() || byline_bare) && word_count(&text) <= 12 {
                if let Some((name, _)) = by.take() {
                    out.byline = Some(name);
                    // "De Kustbode" is as likely a Dutch name with its article.
                    byline_bare = text.get(..3).is_some_and(|p| p.eq_ignore_ascii_case("de "));
                    lifted.push((p.line, text, "byline"));
                    continue;
                }
            }
        }
        // A rule that only describes headline-shaped lines (captions, teasers) does
        // not decide a title candidate yet: in the head such a line is usually the
        // title. If another candidate becomes the title, the rule applies after all.
        let menu = menu_like(&text, stop);
        // A headline may ask ("Waarom durven gemeenten de auto niet … te weren?");
        // a short question is a prompt ("Already a subscriber?").
        // A question may end inside quotes ("… Allee: „Wer plant so etwas?“").
        let question = text
            .trim_end()
            .trim_end_matches(['"', '\'', '”', '“', '’', '»', '«'])
            .ends_with('?')
            && word_count(&text) >= QUESTION_TITLE_MIN_WORDS;
        let candidate =
            in_head && title_shaped(&text) && !menu && (question || !ends_terminated(&text));
        let mut provisional = None;
        let hit = match matched.remove(&p.line) {
            Some(m) if !stripped => m,
            _ => rules.find_in(&text, true, doc_lang, &mut line_langs),
        };
        if let Some(m) = hit {
            let removed = Removed {
                line: p.line,
                rule_id: m.rule.id.clone(),
                kind: m.rule.kind.clone(),
                text: text.clone(),
            };
            if candidate && m.rule.unterminated {
                provisional = Some(removed);
            } else {
                out.removed.push(removed);
                continue;
            }
        }
        // Third layer: short lines this source repeats in many documents. Decided
        // after the title, like captions: see below.
        if let Some(l) = learned {
            let key = crate::learned::learnable(&text, &l.cfg);
            memory_keys.extend(key);
            if provisional.is_none() {
                provisional = key.and_then(|k| l.known(k)).map(|rule_id| Removed {
                    line: p.line,
                    rule_id,
                    kind: "learned".into(),
                    text: text.clone(),
                });
            }
        }
        if in_head && !headline_seen && !site_looked && provisional.is_none() {
            site_looked = true;
            if crate::classify::name_shaped(&text, None) {
                site = Some(text.clone());
            }
        }
        // Prose starts the body; menus and short banners above the title do not.
        headline_seen |= candidate && word_count(&text) > TITLE_MIN_WORDS;
        // A consent or paywall banner the rules missed above the headline is the
        // site talking, not prose (asked only before the body: it costs).
        if !candidate
            && !menu
            && word_count(&text) >= 8
            && (body_started || crate::classify::site_signal(&text, class_lang) < 2)
        {
            prose_seen += 1;
            body_started |= headline_seen || prose_seen >= 2;
            if body_started {
                prose_in_body += 1;
            }
        }
        kept.push((p.line, text, candidate, provisional));
    }
    // The title is the longest candidate that no caption or teaser rule describes
    // and that is not a credit, a player's time stamp, two sentences or a site
    // promotion; or the headline right above it, when that one is the standfirst.
    // Else the first plausible candidate; text must follow it.
    let plausible = |t: &str| {
        // English headlines may be in Title Case ("Apple Unveils New MacBook Pro").
        let menu = class_lang != Some("en") && menu_line(t, stop);
        !menu
            && !crate::classify::is_credit(t)
            && !CLOCK.is_match(t)
            // A link to the site's live page ("LIVE TRAFFIC: A629 …", "EN DIRECT –
            // Tour de Romandie : suivez la 3e étape", "Breaking news: Live updates
            // …"); a live blog's own headline says "Live updates:" or "… live:".
            && !LIVE_LINK.is_match(t)
            && !t.contains(" / ")
            && crate::classify::site_signal(t, class_lang) < 2
    };
    // A live page's label after the headline ("… e lo stop agli smartphone. La
    // diretta") is no second sentence.
    let single = |t: &str| {
        SENTENCE_BREAK.find_iter(t).all(|m| {
            let after = &t[m.start()..];
            after.split_whitespace().count() <= 3 && !after.trim_end().ends_with(['.', '!', '?'])
        })
    };
    let usable_where = |pick: &dyn Fn(&str) -> bool| -> Vec<usize> {
        kept.iter()
            .enumerate()
            .filter(|(_, (_, t, c, p))| {
                *c && p.is_none() && word_count(t) >= 2 && plausible(t) && pick(t)
            })
            .map(|(i, _)| i)
            .collect()
    };
    let mut usable = usable_where(&single);
    // The site's tagline sits above its menu ("Serving Northfield, Millbrook and
    // the Tarn Valley since 1887", then "News", "Sport"…) and may be longer than
    // the headline, which has its standfirst, byline or date under it: two of
    // the next three lines are menu items, and the next is not lifted. Lines a
    // rule removes (buttons) are skipped.
    #[derive(PartialEq)]
    enum Under {
        Lifted,
        MenuItem,
        Other,
    }
    let mut under: Vec<(usize, Under)> =
        lifted.iter().map(|(l, _, _)| (*l, Under::Lifted)).collect();
    under.extend(
        kept.iter()
            .filter(|(_, _, _, p)| p.is_none())
            .map(|(l, t, _, _)| {
                let item = word_count(t) <= MENU_ITEM_MAX_WORDS;
                (*l, if item { Under::MenuItem } else { Under::Other })
            }),
    );
    under.sort_unstable_by_key(|(l, _)| *l);
    let heads_menu = |line: usize| -> bool {
        let at = under.partition_point(|(l, _)| *l <= line);
        let next = &under[at..under.len().min(at + 3)];
        next.first().is_some_and(|(_, u)| *u != Under::Lifted)
            && next.iter().filter(|(_, u)| *u == Under::MenuItem).count() >= 2
    };
    // A headline has its byline or date right under it ("Zwetschgendatschi vom
    // Blech mit Butterstreuseln" / "Von Lena Vogt" / "3. September 2024"); a
    // longer line further down the head is an ingredient or a list's item.
    let heads_lifted = |line: usize| -> bool {
        let at = under.partition_point(|(l, _)| *l <= line);
        under.get(at).is_some_and(|(_, u)| *u == Under::Lifted)
    };
    // A usable line long enough to be the headline over the line below it.
    let headline_at = |usable: &[usize], h: usize| {
        usable.contains(&h) && letter_words(&kept[h].1) >= TITLE_MIN_WORDS
    };
    let longest_of = |usable: &[usize]| {
        usable.iter().copied().max_by_key(|&i| {
            (
                !heads_menu(kept[i].0),
                headline_at(usable, i)
                    && heads_lifted(kept[i].0)
                    // (A standfirst under its headline heads them too.)
                    && !(i > 0 && headline_at(usable, i - 1)),
                word_count(&kept[i].1),
                std::cmp::Reverse(i),
            )
        })
    };
    // Two sentences on a line are a headline ("Our towns don't need more car
    // parks. They need more reasons to stay") only when no one-sentence line of the
    // head reads as one: menus, buttons and ticker lines ("FTSE MIB 28.914
    // +0,62%") are all that is left then.
    if usable
        .iter()
        .all(|&i| letter_words(&kept[i].1) < TITLE_MIN_WORDS)
    {
        let two = usable_where(&|t: &str| !single(t));
        if !two.is_empty() {
            usable = two;
        }
    }
    let longest = longest_of(&usable);
    // A headline right above the longest candidate is the title and the longest
    // its standfirst; a ticker line ("Gold 2.341 $ +0,32 %") is not a headline.
    let title_at = longest
        .map(|i| match i.checked_sub(1) {
            Some(h)
                if headline_at(&usable, h)
                    && !LIVE_LINK.is_match(&kept[h].1)
                    // A kicker the headline repeats ("Incendio en la sierra de
                    // Gredos" / "Incendio en la sierra de Gredos, en directo: …").
                    && !kept[i].1.starts_with(kept[h].1.as_str()) =>
            {
                h
            }
            _ => i,
        })
        .or_else(|| {
            kept.iter().position(|(_, t, c, p)| {
                *c && p.as_ref().is_none_or(|r| r.kind != "learned") && plausible(t) && single(t)
            })
        })
        .filter(|i| i + 1 < kept.len());
    let mut standfirst_line = None;
    if let Some(i) = title_at {
        let (line, title, _, _) = kept.remove(i);
        if layers.explain {
            lifted.push((line, title.clone(), "title"));
        }
        out.title = Some(title);
        // The first line of prose-length under the title; an "Updated …" stamp
        // or a credit may stand between them.
        standfirst_line = kept
            .iter()
            .skip(i)
            .take(2)
            // (A stamp, "Actualizado: 28 de abril 2022, 07:12 A. M.", whether the
            // rules remove it or not, may stand between: it tells the time.)
            .find(|(_, t, _, p)| word_count(t) >= 8 && !CLOCK.is_match(t) && p.is_none())
            .map(|(l, _, _, _)| *l);
    }
    // A document made only of lines its source has seen before is a copy, not
    // template text: the learned layer never empties a document.
    if kept.iter().all(|(_, _, _, p)| p.is_some()) {
        for entry in kept.iter_mut() {
            if entry.3.as_ref().is_some_and(|r| r.kind == "learned") {
                entry.3 = None;
            }
        }
    }
    let mut rest = Vec::with_capacity(kept.len());
    for (line, text, _, provisional) in kept {
        match provisional {
            Some(r) => out.removed.push(r),
            None => rest.push((line, text)),
        }
    }
    out.removed.sort_by_key(|r| r.line);
    let kept = rest;
    let para_lines: Vec<usize> = kept.iter().map(|(l, _)| *l).collect();
    out.paragraphs = kept.into_iter().map(|(_, t)| t).collect();
    if let Some(l) = learned {
        memory_keys.sort_unstable();
        memory_keys.dedup();
        l.memory.record(l.source, &memory_keys, l.doc);
    }
    let before: Vec<(usize, String)> = if layers.explain && !layers.classifier {
        para_lines
            .iter()
            .copied()
            .zip(out.paragraphs.iter().cloned())
            .collect()
    } else {
        Vec::new()
    };
    let verdicts = if layers.classifier {
        let standfirst = standfirst_line.and_then(|l| para_lines.iter().position(|&p| p == l));
        apply_classifier(
            &mut out,
            &para_lines,
            class_lang,
            standfirst,
            site.as_deref(),
        )
    } else {
        Vec::new()
    };
    if layers.explain {
        out.explained = explain(&out, lifted, verdicts, before);
    }
    out
}

/// Every line's fate, in line order, from what `structure` decided.
fn explain(
    out: &Structured,
    lifted: Vec<(usize, String, &'static str)>,
    verdicts: Vec<(usize, String, crate::classify::Verdict)>,
    rules_kept: Vec<(usize, String)>,
) -> Vec<Explained> {
    let mut v: Vec<Explained> = Vec::new();
    let judged: HashMap<usize, &crate::classify::Verdict> =
        verdicts.iter().map(|(l, _, v)| (*l, v)).collect();
    for r in &out.removed {
        let verdict = judged.get(&r.line);
        v.push(Explained {
            line: r.line,
            text: r.text.clone(),
            decision: "removed",
            layer: match r.kind.as_str() {
                "classifier" => "classifier",
                "learned" => "learned",
                _ => "rules",
            },
            rule: Some(r.rule_id.clone()),
            score: verdict.map(|v| v.score),
            reason: verdict.map(|v| v.reason),
            features: verdict.map(|v| v.features),
        });
    }
    for (line, text, field) in lifted {
        v.push(Explained {
            line,
            text,
            decision: "lifted",
            layer: "head",
            rule: Some(field.to_string()),
            score: None,
            reason: None,
            features: None,
        });
    }
    for (line, text, verdict) in verdicts.iter().filter(|(_, _, v)| v.keep) {
        v.push(Explained {
            line: *line,
            text: text.clone(),
            decision: "kept",
            layer: "classifier",
            rule: None,
            score: Some(verdict.score),
            reason: Some(verdict.reason),
            features: Some(verdict.features),
        });
    }
    for (line, text) in rules_kept {
        v.push(Explained {
            line,
            text,
            decision: "kept",
            layer: "rules",
            rule: None,
            score: None,
            reason: None,
            features: None,
        });
    }
    v.sort_by_key(|e| e.line);
    v
}

/// Which boilerplate layers run after the rule packs, and whether to record why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layers {
    pub classifier: bool,
    /// Fill `Structured::explained` (costs a copy of every line).
    pub explain: bool,
    /// Look for title, byline and date in the text's head. Off for text taken
    /// out of a page whose metadata already gave them.
    pub head: bool,
}

impl Default for Layers {
    fn default() -> Self {
        Layers {
            classifier: true,
            explain: false,
            head: true,
        }
    }
}

/// Second layer: the paragraph classifier removes what the rules kept but the
/// context shows is not article text.
/// Returns the verdict on each paragraph with its line and text.
fn apply_classifier(
    out: &mut Structured,
    lines: &[usize],
    lang: Option<&str>,
    standfirst: Option<usize>,
    site: Option<&str>,
) -> Vec<(usize, String, crate::classify::Verdict)> {
    let texts: Vec<&str> = out.paragraphs.iter().map(String::as_str).collect();
    // Labels of link lists the rules removed ("Lo más leído", "Mehr zum Thema",
    // "Read more:"), not inline teasers ("READ MORE: Quay Street parking …"),
    // which a subheading of the article may follow.
    let under_label = right_under(lines, &out.removed, |r| {
        r.kind == "related-links"
            && r.text.split_whitespace().count() <= 4
            && !r.text.trim_end().trim_end_matches(':').contains(':')
    });
    let adjacent: Vec<bool> = lines
        .iter()
        .enumerate()
        .map(|(i, &l)| i == 0 || lines[i - 1] + 1 == l)
        .collect();
    let head = crate::classify::Head {
        title: out.title.as_deref(),
        byline: out.byline.as_deref(),
        site,
        lang,
    };
    let mut verdicts =
        crate::classify::classify_with(&texts, head, standfirst, &under_label, &adjacent);
    // Right under a reader's comment header the rules removed ("Jan B. schreef:",
    // "Pepe_V · hace 2 horas") is that reader's comment: prose the classifier
    // cannot tell from the article's.
    let under_header = right_under(lines, &out.removed, |r| r.kind == "reader-comment");
    for (v, _) in verdicts.iter_mut().zip(under_header).filter(|(_, u)| *u) {
        v.keep = false;
        v.reason = "bad: a reader's comment, under its header";
    }
    let mut kept = Vec::with_capacity(out.paragraphs.len());
    let mut judged = Vec::with_capacity(out.paragraphs.len());
    for ((text, line), v) in std::mem::take(&mut out.paragraphs)
        .into_iter()
        .zip(lines)
        .zip(verdicts)
    {
        judged.push((*line, text.clone(), v.clone()));
        if v.keep {
            kept.push(text);
        } else {
            out.removed.push(Removed {
                line: *line,
                rule_id: format!("classifier:{}", v.reason.split(':').next().unwrap_or("bad")),
                kind: "classifier".into(),
                text,
            });
        }
    }
    out.removed.sort_by_key(|r| r.line);
    out.paragraphs = kept;
    judged
}

/// For each kept paragraph (given by its line), whether a removed line that
/// `pick` selects stands between it and the kept paragraph above it.
fn right_under(lines: &[usize], removed: &[Removed], pick: impl Fn(&Removed) -> bool) -> Vec<bool> {
    let marks: Vec<usize> = removed.iter().filter(|r| pick(r)).map(|r| r.line).collect();
    lines
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            let above = if i == 0 { 0 } else { lines[i - 1] };
            marks.iter().any(|&x| above < x && x < l)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_common_forms() {
        assert_eq!(parse_date("2022-01-20").as_deref(), Some("2022-01-20"));
        assert_eq!(
            parse_date("2022-01-20T10:30:00Z").as_deref(),
            Some("2022-01-20T10:30:00Z")
        );
        assert_eq!(
            parse_date("January 20, 2022").as_deref(),
            Some("2022-01-20")
        );
        assert_eq!(
            parse_date("Thursday, Jan. 20th 2022").as_deref(),
            Some("2022-01-20")
        );
        assert_eq!(parse_date("20 janvier 2022").as_deref(), Some("2022-01-20"));
        assert_eq!(parse_date("20. Januar 2022").as_deref(), Some("2022-01-20"));
        assert_eq!(
            parse_date("20 de enero de 2022").as_deref(),
            Some("2022-01-20")
        );
        assert_eq!(parse_date("20.01.2022").as_deref(), Some("2022-01-20"));
        assert_eq!(parse_date("2022-02-30"), None);
        assert_eq!(parse_date("Russia will invade"), None);
    }

    #[test]
    fn head_fields() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure(
            "Storm hits coast\nBy Jane Doe and John Smith\nPublished: March 3, 2024\n\nThe storm arrived on Monday. It was bad.\n",
            &rules,
            Layers::default(),
            None,
        );
        assert_eq!(s.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(s.byline.as_deref(), Some("Jane Doe and John Smith"));
        assert_eq!(s.published.as_deref(), Some("2024-03-03"));
        assert_eq!(
            s.paragraphs,
            vec!["The storm arrived on Monday. It was bad."]
        );
    }

    /// The head and the rules (an empty pack of `lang`), no classifier.
    fn head_only(text: &str, lang: &str) -> Structured {
        let pack = format!("[pack]\nlanguages=['{lang}']\n");
        let rules = RuleSet::from_packs(&[("p.toml".into(), pack)]).unwrap();
        let layers = Layers {
            classifier: false,
            explain: false,
            ..Layers::default()
        };
        structure(text, &rules, layers, None)
    }

    #[test]
    fn byline_with_its_date_after_a_bar() {
        let s = head_only(
            "Nieuwe fietsbrug over het kanaal gaat in mei open\n\
             Door Sanne Verhoef | 5 maart 2024, 14:12\n\
             De gemeente heeft de bouw van de brug bij de Molenweg eerder afgerond dan gepland.\n",
            "nl",
        );
        assert_eq!(s.byline.as_deref(), Some("Sanne Verhoef"));
        assert_eq!(s.published.as_deref(), Some("2024-03-05"));
        assert_eq!(s.paragraphs.len(), 1);
    }

    #[test]
    fn a_quoted_french_headline_under_the_site_name_and_a_consent_banner() {
        let s = head_only(
            "Tribune Libre\n\
             Avec votre accord, nos partenaires et nous utilisons des cookies pour stocker des informations. Vous pouvez retirer votre consentement en cliquant sur « Paramétrer les cookies ».\n\
             « Nos bibliothèques ne sont pas des salles d'attente »\n\
             Face aux fermetures, la bibliothécaire Claire Vannier appelle les communes à défendre la lecture publique.\n\
             Par Claire Vannier*\n\
             Il y a quelques semaines, un adolescent est entré dans ma bibliothèque un mardi à 17 h 45.\n",
            "fr",
        );
        // Guillemets are quotes, not menu separators; the banner is not the article's prose.
        assert_eq!(
            s.title.as_deref(),
            Some("« Nos bibliothèques ne sont pas des salles d'attente »")
        );
        // The star points to the note on the author after the text.
        assert_eq!(s.byline.as_deref(), Some("Claire Vannier"));
    }

    #[test]
    fn a_readers_comment_goes_with_its_header() {
        let body = "De gemeente wil het dorpshuis overnemen als de coöperatie er niet in slaagt genoeg leden te vinden.";
        let comment = "Mooi geschreven. Ik doe mee als er een coöperatie komt, ik tap graag een avondje in het dorpshuis.";
        let text = format!(
            "Dorpshuis zoekt vrijwilligers voor de bar\n{body}\n{body}\nJan B. schreef:\n{comment}\n"
        );
        let s = structure(&text, &RuleSet::builtin(), Layers::default(), None);
        assert_eq!(s.paragraphs, vec![body, body]);
        let why: Vec<&str> = s.removed.iter().map(|r| r.kind.as_str()).collect();
        assert_eq!(why, ["reader-comment", "classifier"]);
    }

    #[test]
    fn byline_and_date_after_the_standfirst_and_a_banner_above_the_title() {
        let s = head_only(
            "Please refresh the page or navigate to another page on the site to log in.\n\
             Energy bills to rise as price cap hits record high\n\
             Millions of households will see their gas and electricity costs jump from April.\n\
             By Harriet Lowe\n\
             Thursday 03 February 2022 15:02\n\
             The regulator blamed a record rise in wholesale gas prices over six months.\n\
             On 1 April 2022 the cap rises.\n",
            "en",
        );
        assert_eq!(
            s.title.as_deref(),
            Some("Energy bills to rise as price cap hits record high")
        );
        assert_eq!(s.byline.as_deref(), Some("Harriet Lowe"));
        assert_eq!(s.published.as_deref(), Some("2022-02-03"));
        // A date inside a sentence of the body is not metadata.
        assert_eq!(
            s.paragraphs.last().unwrap(),
            "On 1 April 2022 the cap rises."
        );
        assert_eq!(s.paragraphs.len(), 4);
    }

    #[test]
    fn bylines_with_a_role_a_place_or_a_photographer_are_lifted() {
        let rules = RuleSet::builtin();
        for (line, name) in [
            ("By Hannah Okafor, City Hall reporter", "Hannah Okafor"),
            ("Von Jonas Brehm, dpa", "Jonas Brehm"),
            (
                "Par Sébastien Garnier, au mont Aigoual",
                "Sébastien Garnier",
            ),
            (
                "Por Beatriz Cavalcanti, de Campina Grande",
                "Beatriz Cavalcanti",
            ),
            ("Texto y fotos: Irene Santamarina", "Irene Santamarina"),
            (
                "Tekst: Ilse Brinkhorst · Foto's: Wouter Smeenk",
                "Ilse Brinkhorst",
            ),
            ("Marta Llorens | Orihuela", "Marta Llorens"),
            ("Lucía Garrido (Murcia)", "Lucía Garrido"),
        ] {
            let doc = format!(
                "Council backs protected bike lanes on Almon Street despite objections\n\
                 {line}\n\
                 12.09.2024, 20:31\n\
                 The council voted on Tuesday to build protected bike lanes along the whole street, removing parking.\n\
                 Merchants said the loss of parking spaces would hurt their trade during the busy winter months.\n"
            );
            let s = structure(&doc, &rules, Layers::default(), None);
            assert_eq!(s.byline.as_deref(), Some(name), "{line}");
            assert!(
                !s.paragraphs.iter().any(|p| p == line),
                "{line}: {:?}",
                s.paragraphs
            );
        }
    }

    #[test]
    fn two_stamps_on_a_line_give_the_first_and_a_live_ticker_link_is_no_title() {
        assert_eq!(
            dateline("Published Nov. 14, 2024 at 9:12 p.m. · Updated Nov. 15, 2024 at 7:40 a.m.")
                .as_deref(),
            Some("2024-11-14")
        );
        assert!(LIVE_LINK.is_match("Live-Ticker: Alle Spiele des Wochenendes im Überblick"));
        assert!(!LIVE_LINK.is_match("Liveticker-Kultur im Wandel der Zeit"));
    }

    #[test]
    fn a_live_pages_label_after_the_headline_is_no_second_sentence() {
        let rules = RuleSet::builtin();
        let doc = "Scuola\n\
             Primo giorno di scuola in Campania: cantieri aperti, cattedre scoperte e lo stop agli smartphone. La diretta\n\
             Quasi 850mila studenti tornano in classe. A Napoli dieci istituti con lavori ancora in corso\n\
             a cura di Antonio Esposito e Serena Russo\n\
             Aggiornato alle 13:20 del 12 settembre 2024\n\
             I punti chiave\n\
             Rientro in classe per circa 850mila studenti delle scuole statali campane\n\
             I sindacati denunciano oltre 1.200 cattedre di sostegno ancora scoperte\n\
             Diverse segnalazioni arrivano dal Vomero e dall'Arenella, dove alcuni genitori lamentano ritardi dello scuolabus.\n";
        let s = structure(doc, &rules, Layers::default(), None);
        assert_eq!(
            s.title.as_deref(),
            Some("Primo giorno di scuola in Campania: cantieri aperti, cattedre scoperte e lo stop agli smartphone. La diretta")
        );
    }

    /// A one- or two-word menu item under the site's name is no date, so the
    /// site's name is no bare byline "next to a date" (it was, in blind16/es-05).
    #[test]
    fn a_menu_item_is_not_a_date_line() {
        assert!(!date_only("Destinos"));
        assert!(!date_only("Vega Baja"));
        assert!(date_only("12.09.2024"));
        assert!(date_only("Sábado 27 de abril de 2024 · 21:14"));
        let rules = RuleSet::builtin();
        let doc = "Viajeros de Papel\nDestinos\nEscapadas\nGastronomía\n\
             Cudillero y la costa occidental asturiana: tres días entre acantilados, faros y pueblos\n\
             Del anfiteatro de casas de colores de Cudillero a la playa del Silencio, una ruta por la costa menos masificada del Cantábrico\n\
             El pueblo se descuelga por la ladera hasta el puerto, y desde el mirador se ve toda la bahía al atardecer.\n\
             Viajeros de Papel es una revista de viajes independiente hecha por periodistas desde 2009.\n";
        let s = structure(doc, &rules, Layers::default(), None);
        assert_eq!(s.byline, None);
        // After the article, the site naming itself is the site talking.
        assert!(
            !s.paragraphs
                .iter()
                .any(|p| p.starts_with("Viajeros de Papel es")),
            "{:?}",
            s.paragraphs
        );
    }

    #[test]
    fn a_by_line_outranks_the_sites_name_taken_for_a_bare_byline() {
        let rules = RuleSet::builtin();
        // Lines of blind5/nl-01: "De Kustbode", the site's name, reads like a
        // "de <name>" byline above the headline.
        let doc = "Naar hoofdinhoud\n\
             De Kustbode\n\
             Nieuws  Regio  Sport  Cultuur  112  Weer  Puzzels\n\
             Regio › Zeewijk\n\
             Gemeenteraad Zeewijk stemt in met vijf windturbines langs de Noorddijk\n\
             Omwonenden krijgen een deel van de opbrengst, maar een bewonersgroep kondigt bezwaar aan.\n\
             Door Sanne de Graaf\n\
             21 maart 2024, 22:47\n\
             De gemeenteraad van Zeewijk heeft donderdagavond ingestemd met de bouw van vijf windturbines langs de Noorddijk.\n\
             De turbines komen op ruim vijfhonderd meter van de dichtstbijzijnde woningen te staan, meldt de gemeente.\n";
        let s = structure(doc, &rules, Layers::default(), None);
        assert_eq!(s.byline.as_deref(), Some("Sanne de Graaf"));
        assert!(
            !s.paragraphs.iter().any(|p| p.starts_with("Door ")),
            "{:?}",
            s.paragraphs
        );
    }

    #[test]
    fn a_standfirst_without_a_period_stays_and_a_bare_byline_with_a_role_is_lifted() {
        let rules = RuleSet::builtin();
        let doc = "Home / Cities / Delhi News\n\
             Delhi records hottest April day in 72 years as mercury touches 46 degrees\n\
             Heat wave to continue till Sunday as the weather office issues an orange alert for Delhi\n\
             Aditi Raghavan, Weather Correspondent\n\
             Apr 29, 2022 09:14 PM IST\n\
             The national capital sweltered on Friday as the observatory recorded a maximum temperature of 46 degrees, the highest for April since 1950.\n\
             The weather office said the heat wave would persist until Sunday, with some relief expected early next week.\n\
             Power demand in the city peaked at 6,197 MW in the afternoon, according to the load despatch centre.\n";
        let s = structure(doc, &rules, Layers::default(), None);
        assert_eq!(s.byline.as_deref(), Some("Aditi Raghavan"));
        assert_eq!(
            s.paragraphs.first().map(String::as_str),
            Some("Heat wave to continue till Sunday as the weather office issues an orange alert for Delhi"),
            "{:?}",
            s.paragraphs
        );
        assert!(!s.paragraphs.iter().any(|p| p.contains("Home /")));
        // The same line next to a picture credit is the lead picture's caption.
        let captioned = doc.replace("for Delhi\n", "for Delhi\nSANCHIT KHANNA/HT\n");
        let s = structure(&captioned, &rules, Layers::default(), None);
        assert!(
            s.paragraphs.iter().all(|p| !p.starts_with("Heat wave")),
            "{:?}",
            s.paragraphs
        );
    }

    #[test]
    fn hyphenation_at_line_ends_is_joined_only_where_clearly_a_break() {
        let doc = "The well-known case\n";
        assert_eq!(
            join_wrapped(&["Die Verkehrs-", "wende im Kiez"], doc),
            "Die Verkehrswende im Kiez"
        );
        assert_eq!(
            join_wrapped(&["Ein- und Aus-", "gang"], doc),
            "Ein- und Ausgang"
        );
        assert_eq!(
            join_wrapped(&["Ein-", "und Ausgang"], doc),
            "Ein- und Ausgang"
        );
        assert_eq!(
            join_wrapped(&["the Nord-", "Süd axis"], doc),
            "the Nord-Süd axis"
        );
        assert_eq!(
            join_wrapped(&["a well-", "known case"], doc),
            "a well-known case"
        );
        assert_eq!(
            join_wrapped(&["it rained -", "hard"], doc),
            "it rained - hard"
        );
        assert_eq!(join_wrapped(&["plain", "lines"], doc), "plain lines");
    }

    #[test]
    fn dates_from_pages_and_feeds_become_iso() {
        assert_eq!(
            iso_date("2022-01-20T10:00:00.123+01:00").as_deref(),
            Some("2022-01-20T10:00:00.123+01:00")
        );
        assert_eq!(
            iso_date("Thu, 20 Jan 2022 10:00:00 GMT").as_deref(),
            Some("2022-01-20T10:00:00Z")
        );
        assert_eq!(iso_date("January 20, 2022").as_deref(), Some("2022-01-20"));
        assert_eq!(
            iso_date("2022-01-20 10:00 CET").as_deref(),
            Some("2022-01-20")
        );
        assert_eq!(iso_date("yesterday"), None);
    }

    #[test]
    fn date_only_lines() {
        assert!(date_only(
            "Barcelona - Martes, 15 de febrero de 2022, 07:00"
        ));
        assert!(date_only("Stand: 19.02.2022 09:12 Uhr"));
        assert!(date_only("3. 2. 2022"));
        assert!(!date_only(
            "Le 13 janvier 2022, les enseignants ont défilé."
        ));
    }

    #[test]
    fn date_prefix_is_metadata_and_the_rest_is_body() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure(
            " date 2022-01-20 The talks began. They ended late.\nSecond paragraph here.",
            &rules,
            Layers::default(),
            None,
        );
        assert_eq!(s.published.as_deref(), Some("2022-01-20"));
        assert_eq!(s.title, None);
        assert_eq!(s.paragraphs[0], "The talks began. They ended late.");
    }

    #[test]
    fn hard_wrapped_blocks_are_joined() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let text = "The minister arrived in Geneva on Friday for talks\nwith his counterpart, which lasted well over an\nhour and ended without any agreement on the\nmain questions.\n\nA second paragraph follows here.";
        let s = structure(text, &rules, Layers::default(), None);
        assert_eq!(s.paragraphs.len(), 2, "{:?}", s.paragraphs);
        assert!(
            s.paragraphs[0].starts_with("The minister arrived")
                && s.paragraphs[0].ends_with("main questions.")
        );
    }

    #[test]
    fn line_breaks_of_every_kind() {
        assert_eq!(
            lines("a\nb\r\nc\rd\u{85}e\u{2028}f\u{2029}g\r\r\nh\n"),
            [
                ("a", false),
                ("b", false),
                ("c", false),
                ("d", false),
                ("e", false),
                ("f", true),
                ("g", false),
                ("", false),
                ("h", false),
            ]
        );
        assert_eq!(lines(""), []);
        assert_eq!(lines("\r"), [("", false)]);
        assert_eq!(lines("x\r"), [("x", false)]);
        assert_eq!(lines("x\r\n\n"), [("x", false), ("", false)]);
    }

    /// Found by fuzzing (`cargo fuzz run normalize` with the stricter output checks
    /// in fuzz/fuzz_targets/normalize.rs): a file with lone CR line breaks was one
    /// line, so the record had no title, byline or date, kept its boilerplate, and
    /// carried raw CRs inside a single "paragraph".
    #[test]
    fn cr_and_unicode_line_breaks_split_lines() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n[[rule]]\nid='share'\nkind='share-bar'\nphrases=['Share on Facebook']\n".into())]).unwrap();
        let lf = "Storm hits coast\nBy Jane Doe\nPublished: March 3, 2024\n\nThe storm arrived on Monday. It was bad.\n\nShare on Facebook\n";
        let expected = structure(lf, &rules, Layers::default(), None);
        assert_eq!(expected.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(expected.removed.len(), 1);
        for text in [
            lf.replace('\n', "\r"),
            lf.replace('\n', "\r\n"),
            lf.replace('\n', "\u{2028}"),
            lf.replace("\n\n", "\u{2029}").replace('\n', "\u{85}"),
        ] {
            let s = structure(&text, &rules, Layers::default(), None);
            assert_eq!(
                (&s.title, &s.byline, &s.published, &s.paragraphs),
                (
                    &expected.title,
                    &expected.byline,
                    &expected.published,
                    &expected.paragraphs
                ),
                "{text:?}"
            );
            assert_eq!(s.removed.len(), 1, "{text:?}");
        }
        // Paragraph separators end a paragraph: these lines are not one hard-wrapped block.
        let s = structure(
            "The minister arrived in Geneva on Friday for talks here.\u{2029}With his counterpart, which lasted well over an hour.\u{2029}And ended without any agreement on the main issue.\u{2029}End.",
            &rules,
            Layers::default(),
            None,
        );
        assert_eq!(s.paragraphs.len(), 4, "{:?}", s.paragraphs);
    }

    #[test]
    fn a_time_stamp_without_date_leaves_the_body() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure(
            "Storm hits coast\nUpdated 3:04 PM GMT\n\nThe storm arrived on Monday, cutting power to thousands of homes.\n",
            &rules,
            Layers::default(),
            None,
        );
        assert_eq!(s.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(s.published, None);
        assert_eq!(
            s.paragraphs,
            vec!["The storm arrived on Monday, cutting power to thousands of homes."]
        );
    }

    #[test]
    fn a_lone_sentence_is_not_a_title() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure(
            "Only one line without a period",
            &rules,
            Layers::default(),
            None,
        );
        assert_eq!(s.title, None);
        assert_eq!(s.paragraphs.len(), 1);
    }

    #[test]
    fn a_two_sentence_headline_under_buttons_and_tickers() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let body = "\nThe council voted on Tuesday night to turn the car park behind the market into a square with trees and benches.\n\
                    Traders said the change would bring people back to the high street after years of empty units.";
        let square = "Council turns market car park into a square";
        let cases = [
            // Only buttons and a ticker besides it: two sentences are the headline.
            (
                "Log in\nFTSE 100 8,312 +0.4%\nOur towns don't need more car parks. They need more reasons to stay",
                "Our towns don't need more car parks. They need more reasons to stay",
            ),
            // A ticker line right above the headline is not taken for it.
            ("Gold 2,341 $ +0.32 %\nCouncil turns market car park into a square", square),
            // The site's tagline above its menu is longer than the headline.
            (
                "The Northfield Gazette\nServing Northfield, Millbrook and the Tarn Valley since 1887\n\
                 Subscribe from £1 a week\nSign in\nNews\nSport\nWhat's On\n\
                 Council turns market car park into a square",
                square,
            ),
        ];
        for (head, title) in cases {
            let s = structure(&format!("{head}{body}"), &rules, Layers::default(), None);
            assert_eq!(s.title.as_deref(), Some(title), "{head}");
        }
    }

    #[test]
    fn a_live_link_a_kicker_and_a_notice_above_the_headline_are_not_the_title() {
        let body = "The council approved the night bus plan on Monday after a debate that lasted more than four hours.\n\
                    The first buses will run in June, the transport office said, and the route will be reviewed after a year.";
        let cases = [
            // The site's link to its live page, right above the headline.
            "LIVE: Council meeting, all the reactions in our ticker\nNight buses will run from June after a four-hour debate",
            // A kicker the headline repeats.
            "Night buses in the city\nNight buses in the city, live: council approves the plan after a four-hour debate",
            // A question in quotes ends in a quote mark, not a question mark.
            "Letters on the night buses: \u{201e}Who plans something like this?\u{201c}",
            // A menu item over a notice that is no prose of the story.
            "Live updates\nNight buses: this page updates automatically every 60 seconds.\nNight buses will run from June after a four-hour debate",
            // Links to live pages wherever they stand, even the longest line.
            "Night buses will run from June after a four-hour debate\nLIVE TRAFFIC: A629 Tarn Road eastbound - slow traffic near the Hepton roundabout",
            "Breaking news: Live updates on the council meeting and all the reactions\nNight buses will run from June after a four-hour debate",
        ];
        for head in cases {
            let s = head_only(&format!("{head}\n{body}"), "en");
            let expected = head
                .lines()
                .rfind(|l| !l.starts_with("LIVE TRAFFIC"))
                .unwrap();
            assert_eq!(s.title.as_deref(), Some(expected), "{head}");
        }
    }

    #[test]
    fn a_flattened_menu_is_not_the_title_but_an_english_title_case_headline_is() {
        let pt_body = "Dormir pouco durante semanas seguidas aumenta o risco de doenças cardiovasculares, dizem os investigadores.\n\
                       A recomendação geral para adultos é de sete a nove horas por noite, mas as necessidades variam de pessoa para pessoa.";
        let s = head_only(
            &format!("Bem-estar Alimentação Fitness Sono Mente Família\nSono: de quantas horas precisamos realmente?\n{pt_body}"),
            "pt",
        );
        assert_eq!(
            s.title.as_deref(),
            Some("Sono: de quantas horas precisamos realmente?")
        );
        let en_body = "The company showed the new laptop at its headquarters on Monday, with a faster chip and a longer battery life.\n\
                       It goes on sale next week in the United States and in Europe, at a higher price than the model it replaces.";
        let s = head_only(&format!("Apple Unveils New MacBook Pro\n{en_body}"), "en");
        assert_eq!(s.title.as_deref(), Some("Apple Unveils New MacBook Pro"));
    }

    #[test]
    fn a_standfirst_stays_across_a_lifted_byline_and_a_stamp() {
        let pack = |lang: &str| {
            RuleSet::from_packs(&[("p.toml".into(), format!("[pack]\nlanguages=['{lang}']\n"))])
                .unwrap()
        };
        // A byline and a date lifted between the standfirst and a picture's credit.
        let credit = "Stephen Marsland took money from members' subscriptions and bar takings over four years";
        let credit_page = format!(
            "Former cricket club treasurer jailed for stealing to fund gambling habit\n{credit}\n\
             By Daniel Firth\nTuesday, 7 May 2024, 1:15 pm\n\
             Stephen Marsland outside Leeds Crown Court. Picture: Courier\n\
             The former treasurer of a village cricket club was jailed on Tuesday for stealing more than 38,000 pounds.\n\
             The court heard that he had used the money to fund a gambling habit that began during the pandemic."
        );
        // An update stamp between the title and the standfirst.
        let stamped = "Las fuertes lluvias de los últimos cuatro días desbordaron el río Palo, en el norte del Cauca";
        let stamped_page = format!(
            "Inicio / Colombia / Otras ciudades\n\
             Alerta roja en el Cauca por creciente del río Palo: 300 familias evacuadas\n\
             27 de abril 2022, 10:35 P. M.\nActualizado: 28 de abril 2022, 07:12 A. M.\n{stamped}\n\
             La Unidad Nacional para la Gestión del Riesgo de Desastres declaró este miércoles la alerta roja en cuatro municipios del norte del Cauca tras la creciente súbita del río Palo.\n\
             Unas 300 familias de las veredas ribereñas de Caloto y Guachené fueron evacuadas a albergues temporales instalados en colegios."
        );
        for (text, standfirst, lang) in [(credit_page, credit, "en"), (stamped_page, stamped, "es")]
        {
            let s = structure(&text, &pack(lang), Layers::default(), None);
            assert!(
                s.paragraphs.iter().any(|p| p == standfirst),
                "standfirst lost: {:?}",
                s.paragraphs
            );
        }
    }

    #[test]
    fn a_reviews_info_box_between_its_paragraphs_stays() {
        // A film review's head, cast box and first paragraphs (blind12 fr-03).
        let rules =
            RuleSet::from_packs(&[("f.toml".into(), "[pack]\nlanguages=['fr']\n".into())]).unwrap();
        let text = "« La Maison des heures » : un huis clos familial d'une rare délicatesse\n\
             Pour son deuxième long-métrage, Agnès Morvan filme trois sœurs réunies pour vider la maison de leur mère. Un drame pudique porté par un trio d'actrices remarquable.\n\
             Par Hélène Dufresne\n\
             Publié le mercredi 6 mars 2024 à 09h30\n\
             Partager\n\
             Ajouter à ma liste\n\
             Note de la rédaction : 4/5\n\
             La maison des heures\n\
             De Agnès Morvan\n\
             Avec Claire Bastide, Inès Rahal, Margot Lenoir\n\
             Genre : drame\n\
             Durée : 1h52\n\
             Sortie : 6 mars 2024\n\
             Bande-annonce « La Maison des heures » (2:08)\n\
             Voir les séances près de chez moi\n\
             Il y a d'abord le bruit des cartons qu'on scotche, puis celui, plus ténu, d'une horloge qu'aucune des trois sœurs n'ose arrêter. Dès ses premières minutes, « La Maison des heures » installe un rythme lent, presque suspendu, qui ne se relâchera jamais.\n\
             Anne, Louise et Mathilde se retrouvent dans la grande maison bourguignonne où elles ont grandi, quelques semaines après la mort de leur mère. Elles ont un week-end pour trier les meubles, les lettres, les souvenirs, avant l'arrivée des acheteurs.\n\
             Agnès Morvan, dont on avait remarqué le premier film « Les Rives » en 2019, refuse les grandes scènes de confrontation. Les rancœurs affleurent dans un regard, un silence, une assiette posée un peu trop fort sur la table.\n\
             Publicité\n\
             Un trio d'actrices au sommet\n\
             Claire Bastide, en aînée qui s'est toujours chargée de tout, trouve ici l'un de ses plus beaux rôles. Face à elle, Inès Rahal apporte une fantaisie bienvenue, tandis que Margot Lenoir, révélation du film, compose une cadette insaisissable, à la fois fragile et cruelle.\n\
             La photographie de Julien Ferrat, tout en lumière naturelle, fait de la maison un personnage à part entière : chaque pièce semble porter la trace d'une époque différente.\n\
             On regrettera seulement une dernière demi-heure un peu appuyée, où le scénario ressent le besoin d'expliquer ce que les images avaient déjà si bien suggéré.";
        let s = structure(text, &rules, Layers::default(), None);
        for line in [
            "De Agnès Morvan",
            "Genre : drame",
            "Durée : 1h52",
            "Sortie : 6 mars 2024",
        ] {
            assert!(
                s.paragraphs.iter().any(|p| p == line),
                "{line} lost: {:?}",
                s.paragraphs
            );
        }
    }

    #[test]
    fn a_menu_without_separators_is_not_the_title() {
        let rules =
            RuleSet::from_packs(&[("n.toml".into(), "[pack]\nlanguages=['nl']\n".into())]).unwrap();
        let text = "Nieuws Regio Sport Cultuur Economie Familieberichten Contact Archief\n\
                    Fietsbrug over de Aalvaart komt er toch\n\
                    De gemeenteraad heeft dinsdagavond ingestemd met de bouw van de fietsbrug over de Aalvaart, \
                    nadat het college een extra bedrag van 1,9 miljoen euro had vrijgemaakt.\n\
                    Volgens de wethouder kan de bouw in het najaar beginnen en is de brug in 2026 klaar voor gebruik.";
        let s = structure(text, &rules, Layers::default(), None);
        assert_eq!(
            s.title.as_deref(),
            Some("Fietsbrug over de Aalvaart komt er toch")
        );
        // A headline in title case has function words: it stays a headline.
        let stop = newsflow_record::words::stopwords("en");
        assert!(!menu_like(
            "Council Votes To Turn Former Ferry Terminal Into Homes",
            stop
        ));
        assert!(menu_like(
            "News Region Sport Culture Business Obituaries Contact",
            stop
        ));
    }
}
