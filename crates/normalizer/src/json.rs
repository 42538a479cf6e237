//! Scraper JSON: one item per file (`.json` holding one object, or a `.jsonl` /
//! `.ndjson` file of one line), its common field names mapped onto the record.
//!
//! Files of several items (a JSON array, a JSON-lines file of many lines) need
//! one record per item and the file archived only when all are committed; that
//! delivery protocol is not built yet, so such files are refused clearly
//! (`unsupported_format`) rather than half-ingested.

use serde_json::{Map, Value};

/// One scraper item, mapped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrapedItem {
    pub url: Option<String>,
    pub title: Option<String>,
    /// The item's content, and whether it is HTML (a whole page or a fragment).
    pub content: Option<(String, bool)>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub authors: Vec<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
}

/// Why a JSON file is not one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// It does not parse; the message says where.
    Malformed(String),
    /// It holds this many items.
    Several(usize),
    /// It parses but is not an object (a string, a number…).
    NotAnObject,
}

/// Parses the text of a `.json` file (one object, or an array of one) or of a
/// JSON-lines file (`lines`: one object per non-empty line).
pub fn parse(text: &str, lines: bool) -> Result<ScrapedItem, JsonError> {
    let value = if lines {
        let items: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        match items.as_slice() {
            [(n, line)] => serde_json::from_str::<Value>(line)
                .map_err(|e| JsonError::Malformed(format!("line {}: {e}", n + 1)))?,
            [] => return Err(JsonError::Malformed("no JSON line in the file".into())),
            many => return Err(JsonError::Several(many.len())),
        }
    } else {
        serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}'))
            .map_err(|e| JsonError::Malformed(e.to_string()))?
    };
    let object = match value {
        Value::Object(o) => o,
        Value::Array(mut a) if a.len() == 1 => match a.pop() {
            Some(Value::Object(o)) => o,
            _ => return Err(JsonError::NotAnObject),
        },
        Value::Array(a) => return Err(JsonError::Several(a.len())),
        _ => return Err(JsonError::NotAnObject),
    };
    Ok(map(&object))
}

/// A string field, the first of `keys` present and not blank.
fn text_of(o: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match o.get(*k) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Some(Value::Object(inner)) => inner
            .get("name")
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        // Numbers and booleans are not text fields.
        _ => None,
    })
}

/// Names from a string ("Jane Doe, John Smith" stays one name: scrapers write
/// names with commas too), a list of strings, or objects with a `name` (as
/// scraper JSON and JSON-LD both write authors), each on one line.
pub(crate) fn names(v: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Object(o) => o
            .get("name")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string()),
        _ => None,
    };
    match v {
        Value::Array(a) => a
            .iter()
            .filter_map(one)
            .map(|s| crate::html::squash(&s))
            .filter(|s| !s.is_empty())
            .collect(),
        other => one(other)
            .map(|s| crate::html::squash(&s))
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect(),
    }
}

fn looks_like_html(s: &str) -> bool {
    let head: String = s
        .chars()
        .take(2048)
        .collect::<String>()
        .to_ascii_lowercase();
    [
        "<p", "<div", "<br", "<html", "<article", "<h1", "<h2", "<li", "<span", "<a ",
    ]
    .iter()
    .any(|t| head.contains(t))
}

fn map(o: &Map<String, Value>) -> ScrapedItem {
    let content = if let Some(h) = text_of(o, &["html", "raw_html", "content_html"]) {
        Some((h, true))
    } else {
        text_of(
            o,
            &[
                "content",
                "text",
                "body",
                "articleBody",
                "article",
                "maintext",
                "full_text",
            ],
        )
        .map(|t| {
            let html = looks_like_html(&t);
            (t, html)
        })
    };
    let authors = ["authors", "author", "byline", "creator"]
        .iter()
        .find_map(|k| o.get(*k).map(names).filter(|n| !n.is_empty()))
        .unwrap_or_default();
    let line = |v: Option<String>| v.map(|s| crate::html::squash(&s)).filter(|s| !s.is_empty());
    ScrapedItem {
        url: line(text_of(o, &["url", "link", "canonical_url", "canonical"])),
        title: line(text_of(o, &["title", "headline", "name"])),
        content,
        published: text_of(
            o,
            &[
                "published",
                "datePublished",
                "date",
                "published_at",
                "pubDate",
                "date_publish",
            ],
        ),
        modified: text_of(o, &["modified", "dateModified", "updated", "updated_at"]),
        authors,
        site_name: text_of(
            o,
            &["site_name", "source", "site", "publisher", "source_domain"],
        ),
        description: text_of(o, &["description", "summary", "excerpt"]),
        image: text_of(o, &["image", "image_url", "top_image"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_field_names_are_mapped() {
        let item = parse(
            r#"{"url": "https://x.example/a", "headline": "Bridge reopens",
                "text": "The bridge reopened on Monday.", "datePublished": "2022-01-20",
                "author": [{"name": "Jane Doe"}, "John Smith"], "publisher": {"name": "The Ledger"}}"#,
            false,
        )
        .unwrap();
        assert_eq!(item.url.as_deref(), Some("https://x.example/a"));
        assert_eq!(item.title.as_deref(), Some("Bridge reopens"));
        assert_eq!(
            item.content,
            Some(("The bridge reopened on Monday.".into(), false))
        );
        assert_eq!(item.published.as_deref(), Some("2022-01-20"));
        assert_eq!(item.authors, vec!["Jane Doe", "John Smith"]);
        assert_eq!(item.site_name.as_deref(), Some("The Ledger"));
        let html = parse(
            r#"[{"title": "x", "content": "<p>Para one.</p><p>Two.</p>"}]"#,
            false,
        )
        .unwrap();
        assert!(html.content.unwrap().1);
    }

    #[test]
    fn several_items_and_broken_json_are_told_apart() {
        assert_eq!(
            parse(r#"[{"title": "a"}, {"title": "b"}]"#, false),
            Err(JsonError::Several(2))
        );
        assert_eq!(
            parse("{\"title\": \"a\"}\n\n{\"title\": \"b\"}\n", true),
            Err(JsonError::Several(2))
        );
        assert!(parse("{\"title\": \"a\"}\n", true).is_ok());
        match parse(r#"{"title": "a", "#, false) {
            Err(JsonError::Malformed(m)) => assert!(m.contains("line 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            parse("\"just a string\"", false),
            Err(JsonError::NotAnObject)
        );
    }
}
