//! From decoded text to paragraphs, with title, byline and publication date pulled
//! out and boilerplate lines removed.

use crate::lang::LineLangs;
use crate::rules::RuleSet;
use regex::Regex;
use std::sync::LazyLock;

/// The text path's result before the record is assembled.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Structured {
    pub title: Option<String>,
    pub byline: Option<String>,
    pub published: Option<String>,
    /// Clean paragraphs in document order.
    pub paragraphs: Vec<String>,
    /// Removed lines: (line number, 1-based; rule id; kind).
    pub removed: Vec<Removed>,
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

/// How many leading paragraphs may hold the title, byline or a dateline.
const HEAD: usize = 6;
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
            let text = block
                .iter()
                .map(|(_, l)| l.as_str())
                .collect::<Vec<_>>()
                .join(" ");
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
    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        if line.is_empty() {
            flush(&mut block, &mut out);
        } else {
            block.push((i + 1, line));
        }
    }
    flush(&mut block, &mut out);
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
    // "By Jane Doe", "Von Max Muster und Erika Muster", "Par Jean Dupont, AFP".
    Regex::new(
        r"^(?i:by|von|par|por|di|door|de|written by|text:|texto:)\s+(\p{Lu}[\p{L}'’.\-]*(?:\s+(?:\p{Lu}[\p{L}'’.\-]*|(?i:and|und|et|y|e|en|van|von|der|den|de|da|di|del|la|le|du|dos|das))){0,7})(?:\s*[,|–—-]\s*(?:\p{Lu}[\p{L}'’.\-]*\s*){1,4})?$",
    )
    .unwrap()
});

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

/// Month names and common abbreviations in the languages the rule packs cover.
fn month(name: &str) -> Option<u8> {
    let n = name.to_lowercase();
    const MONTHS: [&[&str]; 12] = [
        &[
            "january", "jan", "januar", "jänner", "janvier", "janv", "enero", "ene", "gennaio",
            "gen", "janeiro", "januari",
        ],
        &[
            "february",
            "feb",
            "februar",
            "février",
            "févr",
            "fevrier",
            "febrero",
            "febbraio",
            "fevereiro",
            "fev",
            "februari",
        ],
        &[
            "march", "mar", "märz", "mars", "marzo", "março", "maart", "mrt",
        ],
        &["april", "apr", "avril", "abril", "aprile", "abr"],
        &["may", "mai", "mayo", "maggio", "mag", "maio", "mei"],
        &[
            "june", "jun", "juni", "juin", "junio", "giugno", "giu", "junho",
        ],
        &[
            "july", "jul", "juli", "juillet", "juil", "julio", "luglio", "lug", "julho",
        ],
        &["august", "aug", "août", "aout", "agosto", "ago", "augustus"],
        &[
            "september",
            "sep",
            "sept",
            "septembre",
            "septiembre",
            "settembre",
            "set",
            "setembro",
        ],
        &[
            "october", "oct", "oktober", "okt", "octobre", "octubre", "ottobre", "ott", "outubro",
            "out",
        ],
        &["november", "nov", "novembre", "noviembre", "novembro"],
        &[
            "december",
            "dec",
            "dezember",
            "dez",
            "décembre",
            "decembre",
            "diciembre",
            "dic",
            "dicembre",
            "dezembro",
        ],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&n.as_str()))
        .map(|i| i as u8 + 1)
}

fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

/// Could this paragraph be a headline? Short, not a sentence, not starting lowercase.
fn title_shaped(p: &str) -> bool {
    let words = word_count(p);
    (2..=TITLE_MAX_WORDS).contains(&words)
        && p.chars().count() <= TITLE_MAX_CHARS
        && !p.trim_end().ends_with(['.', ':', ';', ','])
        && !p.starts_with(|c: char| c.is_lowercase())
}

/// Splits the text into paragraphs, removes boilerplate and pulls out the head fields.
pub fn structure(text: &str, rules: &RuleSet) -> Structured {
    let mut out = Structured::default();
    let paras = paragraphs(text);
    let n = paras.len();
    let sample: String = text.chars().take(4000).collect();
    let doc_lang = crate::lang::detect(&sample);
    let mut line_langs = LineLangs::new();
    for (i, p) in paras.into_iter().enumerate() {
        let in_head = out.paragraphs.is_empty() && i < HEAD;
        let mut text = p.text;

        if in_head && out.published.is_none() {
            if let Some(c) = DATE_PREFIX.captures(&text) {
                if let Some(d) = parse_date(&c[1]) {
                    out.published = Some(d);
                    text = c[2].to_string();
                }
            } else if word_count(&text) <= 8 {
                let date = DATELINE
                    .captures(&text)
                    .and_then(|c| parse_date(&c[1]))
                    .or_else(|| parse_date(&text));
                if let Some(d) = date {
                    out.published = Some(d);
                    continue;
                }
            }
        }
        if in_head && out.byline.is_none() && word_count(&text) <= 12 {
            if let Some(c) = BYLINE.captures(&text) {
                out.byline = Some(c[1].trim().to_string());
                continue;
            }
        }
        // Rules that only describe headline-shaped lines (captions, teasers) do not
        // apply to the title slot: the first headline-shaped line of a document is
        // its title far more often than a caption.
        let title_slot = in_head && out.title.is_none() && i + 1 < n && title_shaped(&text);
        if let Some(m) = rules.find_in(&text, !title_slot, doc_lang, &mut line_langs) {
            out.removed.push(Removed {
                line: p.line,
                rule_id: m.rule.id.clone(),
                kind: m.rule.kind.clone(),
                text,
            });
            continue;
        }
        if title_slot {
            out.title = Some(text);
            continue;
        }
        out.paragraphs.push(text);
    }
    out
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
        );
        assert_eq!(s.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(s.byline.as_deref(), Some("Jane Doe and John Smith"));
        assert_eq!(s.published.as_deref(), Some("2024-03-03"));
        assert_eq!(
            s.paragraphs,
            vec!["The storm arrived on Monday. It was bad."]
        );
    }

    #[test]
    fn date_prefix_is_metadata_and_the_rest_is_body() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure(
            " date 2022-01-20 The talks began. They ended late.\nSecond paragraph here.",
            &rules,
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
        let s = structure(text, &rules);
        assert_eq!(s.paragraphs.len(), 2, "{:?}", s.paragraphs);
        assert!(
            s.paragraphs[0].starts_with("The minister arrived")
                && s.paragraphs[0].ends_with("main questions.")
        );
    }

    #[test]
    fn a_lone_sentence_is_not_a_title() {
        let rules =
            RuleSet::from_packs(&[("e.toml".into(), "[pack]\nlanguages=['en']\n".into())]).unwrap();
        let s = structure("Only one line without a period", &rules);
        assert_eq!(s.title, None);
        assert_eq!(s.paragraphs.len(), 1);
    }
}
