//! Dates mentioned in the text, as ISO 8601 dates.
//!
//! Hand-written over a few patterns (no maintained Rust crate reads dates out of
//! running text in several languages): `2022-01-20`, `20.01.2022`, "January 20,
//! 2022", "20 January 2022", "20. Januar 2022", "le 20 janvier", "January 20" and
//! weekdays after "on"/"last"/"am"/"le"/"el" ("on Thursday"). A date without a
//! year takes the year of `published`; a weekday is the latest such day on or
//! before `published` (news writes "on Thursday" for the days just past). Without
//! `published`, only dates that carry their year are resolved.

use newsflow_record::dates::{month, weekday};
use newsflow_record::DateMention;
use regex::Regex;
use std::sync::LazyLock;
use time::{Date, Duration, Month};

// No `\b` in these patterns: a Unicode word boundary sends the regex engine to
// its slow path on every non-ASCII byte (curly quotes are everywhere in news),
// which made this feature cost 0.6 ms a document. Boundaries are checked on the
// match instead (`at_word_edges`).
static PATTERNS: LazyLock<Vec<(Kind, Regex)>> = LazyLock::new(|| {
    let p = |s: &str| Regex::new(s).expect("date pattern");
    vec![
        (Kind::Iso, p(r"(\d{4})-(\d{2})-(\d{2})")),
        (Kind::DmyNum, p(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})")),
        (
            Kind::Mdy,
            p(r"(\p{L}{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:,\s*(\d{4})|\s+(\d{4}))?"),
        ),
        (
            Kind::Dmy,
            p(
                r"(\d{1,2})(?:st|nd|rd|th|\.|er|º)?\s+(?:de\s+)?(\p{L}{3,9})\.?(?:\s+(?:de\s+)?(\d{4}))?",
            ),
        ),
        (
            Kind::Weekday,
            p(r"(?:[Oo]n|[Ll]ast|[Tt]his|[Aa]m|[Ll]e|[Ee]l|[Ii]l|[Oo]p)\s+(\p{L}{5,10})"),
        ),
    ]
});

/// Whether `m` starts and ends at word edges of `text`.
fn at_word_edges(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].chars().next_back();
    let after = text[end..].chars().next();
    !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
}

#[derive(Clone, Copy)]
enum Kind {
    Iso,
    DmyNum,
    Mdy,
    Dmy,
    Weekday,
}

fn date(y: i32, m: u8, d: u8) -> Option<Date> {
    Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()
}

/// The date part of `published` (`2022-01-20`, `2022-01-20T10:00:00Z`).
fn published_date(published: Option<&str>) -> Option<Date> {
    let p = published?.get(..10)?;
    let y = p.get(..4)?.parse().ok()?;
    let m = p.get(5..7)?.parse().ok()?;
    let d = p.get(8..10)?.parse().ok()?;
    date(y, m, d)
}

/// Every date `body` mentions that can be resolved, in text order, with
/// character offsets.
pub fn mentions(body: &str, published: Option<&str>) -> Vec<DateMention> {
    let anchor = published_date(published);
    let mut spans: Vec<(usize, usize, Date)> = Vec::new();
    for (kind, re) in PATTERNS.iter() {
        for c in re.captures_iter(body) {
            let whole = c.get(0).expect("match");
            if !at_word_edges(body, whole.start(), whole.end()) {
                continue;
            }
            if spans
                .iter()
                .any(|(s, e, _)| whole.start() < *e && *s < whole.end())
            {
                continue;
            }
            let num = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<i64>().ok());
            let year = |i: usize| {
                num(i)
                    .map(|y| y as i32)
                    .or_else(|| anchor.map(|a| a.year()))
            };
            let resolved = match kind {
                Kind::Iso => date(
                    num(1).unwrap_or(0) as i32,
                    num(2).unwrap_or(0) as u8,
                    num(3).unwrap_or(0) as u8,
                ),
                Kind::DmyNum => date(
                    num(3).unwrap_or(0) as i32,
                    num(2).unwrap_or(0) as u8,
                    num(1).unwrap_or(0) as u8,
                ),
                Kind::Mdy => {
                    month(&c[1]).and_then(|m| date(year(3).or(year(4))?, m, num(2)? as u8))
                }
                Kind::Dmy => month(&c[2]).and_then(|m| date(year(3)?, m, num(1)? as u8)),
                Kind::Weekday => weekday(&c[1]).and_then(|w| {
                    let a = anchor?;
                    let back =
                        (a.weekday().number_days_from_monday() as i64 - w as i64).rem_euclid(7);
                    a.checked_sub(Duration::days(back))
                }),
            };
            if let Some(d) = resolved {
                spans.push((whole.start(), whole.end(), d));
            }
        }
    }
    spans.sort_by_key(|(s, _, _)| *s);
    // Character offsets, counted on from the previous mention (spans do not
    // overlap): counting from the start of the body for each was quadratic.
    let (mut byte, mut chars) = (0, 0);
    let mut chars_to = |at: usize| {
        chars += body[byte..at].chars().count();
        byte = at;
        chars
    };
    spans
        .into_iter()
        .map(|(s, e, d)| DateMention {
            text: body[s..e].to_string(),
            date: format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day()),
            start: chars_to(s),
            end: chars_to(e),
        })
        .collect()
}

/// A publication date read from the text when the input gave none: the first
/// date with its year in the first two paragraphs (where the dateline is).
pub fn published_from_text(body: &str) -> Option<String> {
    let head: String = body.split("\n\n").take(2).collect::<Vec<_>>().join("\n\n");
    mentions(&head, None).into_iter().next().map(|m| m.date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(body: &str, published: Option<&str>) -> Vec<(String, String)> {
        mentions(body, published)
            .into_iter()
            .map(|m| (m.text, m.date))
            .collect()
    }

    #[test]
    fn absolute_dates_in_several_forms_and_languages() {
        let got = dates(
            "The talks on January 21, 2022 in Geneva followed the 20.01.2022 call; \
             the summit of 10 February 2022 and the vote on 2022-03-01. \
             Am 20. Januar 2022 sagte er. Le 3 mars 2022, il a dit.",
            None,
        );
        let want = [
            ("January 21, 2022", "2022-01-21"),
            ("20.01.2022", "2022-01-20"),
            ("10 February 2022", "2022-02-10"),
            ("2022-03-01", "2022-03-01"),
            ("20. Januar 2022", "2022-01-20"),
            ("3 mars 2022", "2022-03-03"),
        ];
        assert_eq!(
            got,
            want.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn weekdays_and_yearless_dates_need_the_publication_date() {
        // Published on Friday 2022-01-21: "on Thursday" is the day before.
        let body = "Blinken spoke on Thursday in Berlin and will fly to Geneva on January 21.";
        assert_eq!(
            dates(body, Some("2022-01-21T09:00:00Z")),
            vec![
                ("on Thursday".to_string(), "2022-01-20".to_string()),
                ("January 21".to_string(), "2022-01-21".to_string())
            ]
        );
        assert!(dates(body, None).is_empty());
        // Numbers that are no dates.
        assert!(dates("He won 3 matches in 12 days, 5 May-be.", None).is_empty());
        let m = &mentions("Zoë met on 2022-01-20.", None)[0];
        assert_eq!((m.start, m.end), (11, 21), "character offsets");
    }

    #[test]
    fn publication_date_from_a_dateline() {
        assert_eq!(
            published_from_text("GENEVA, Jan. 21, 2022 — The talks began.\n\nMore text."),
            Some("2022-01-21".into())
        );
        assert_eq!(published_from_text("No dates here at all."), None);
    }
}
