//! Scraper JSON: a `.json` file holding one object or an array of them, or a
//! `.jsonl` / `.ndjson` file of one object per line, each object's common field
//! names mapped onto the record. Each object is one item; a broken item is
//! reported by its position and does not stop the others.

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
    pub categories: Vec<String>,
}

/// One item of a JSON file: mapped, or why it is not an item (the message names
/// its line in a JSON-lines file).
pub type ItemResult = Result<ScrapedItem, String>;

/// Parses the text of a `.json` file (an object, or an array of objects) or of a
/// JSON-lines file (`lines`: one object per non-empty line). The outer error is
/// for a file that is no JSON at all; each item carries its own.
pub fn parse_all(text: &str, lines: bool) -> Result<Vec<ItemResult>, String> {
    let text = text.trim_start_matches('\u{feff}');
    if lines {
        return parse_lines(text);
    }
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        // Scrapers often name a JSON-lines file `.json`: several objects, one a line.
        Err(e) if e.to_string().contains("trailing characters") => return parse_lines(text),
        Err(e) => return Err(e.to_string()),
    };
    match value {
        Value::Object(o) => Ok(vec![Ok(map(&o))]),
        Value::Array(a) if a.is_empty() => Err("the JSON array holds no items".into()),
        Value::Array(a) => Ok(a
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(o) => Ok(map(o)),
                _ => Err(format!(
                    "item {} of the array is not an object with fields such as title and text",
                    i + 1
                )),
            })
            .collect()),
        _ => Err("the JSON is not an object with fields such as title and text".into()),
    }
}

fn parse_lines(text: &str) -> Result<Vec<ItemResult>, String> {
    let items: Vec<ItemResult> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(n, l)| match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(o)) => Ok(map(&o)),
            Ok(_) => Err(format!(
                "line {} is not a JSON object with fields such as title and text",
                n + 1
            )),
            Err(e) => Err(format!("line {} does not parse: {e}", n + 1)),
        })
        .collect();
    if items.is_empty() {
        return Err("no JSON line in the file".into());
    }
    Ok(items)
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

pub(crate) fn looks_like_html(s: &str) -> bool {
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
        categories: ["categories", "category", "tags", "keywords", "section"]
            .iter()
            .find_map(|k| o.get(*k).map(labels).filter(|c| !c.is_empty()))
            .unwrap_or_default(),
    }
}

/// Category labels from a list, or from one string of comma-separated labels.
fn labels(v: &Value) -> Vec<String> {
    let parts: Vec<String> = match v {
        Value::String(s) => s.split(',').map(str::to_string).collect(),
        other => names(other),
    };
    let mut out: Vec<String> = Vec::new();
    for p in parts {
        let p = crate::html::squash(&p);
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_field_names_are_mapped() {
        let item = one(
            r#"{"url": "https://x.example/a", "headline": "Bridge reopens",
                "text": "The bridge reopened on Monday.", "datePublished": "2022-01-20",
                "author": [{"name": "Jane Doe"}, "John Smith"], "publisher": {"name": "The Ledger"}}"#,
            false,
        );
        assert_eq!(item.url.as_deref(), Some("https://x.example/a"));
        assert_eq!(item.title.as_deref(), Some("Bridge reopens"));
        assert_eq!(
            item.content,
            Some(("The bridge reopened on Monday.".into(), false))
        );
        assert_eq!(item.published.as_deref(), Some("2022-01-20"));
        assert_eq!(item.authors, vec!["Jane Doe", "John Smith"]);
        assert_eq!(item.site_name.as_deref(), Some("The Ledger"));
        let html = one(
            r#"[{"title": "x", "content": "<p>Para one.</p><p>Two.</p>", "tags": "a, b,a"}]"#,
            false,
        );
        assert!(html.content.unwrap().1);
        assert_eq!(html.categories, vec!["a", "b"]);
    }

    fn one(text: &str, lines: bool) -> ScrapedItem {
        let mut items = parse_all(text, lines).unwrap();
        assert_eq!(items.len(), 1);
        items.pop().unwrap().unwrap()
    }

    #[test]
    fn several_items_each_with_its_own_error() {
        let items = parse_all(r#"[{"title": "a"}, 3, {"title": "b"}]"#, false).unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[1].as_ref().unwrap_err().contains("item 2"));
        let items = parse_all(
            "{\"title\": \"a\"}\n\n{\"title\": \n{\"title\": \"c\"}\n",
            true,
        )
        .unwrap();
        assert_eq!(items.len(), 3);
        assert!(items[0].is_ok() && items[2].is_ok());
        assert!(
            items[1].as_ref().unwrap_err().contains("line 3"),
            "{:?}",
            items[1]
        );
        // JSON lines under a .json name.
        let items = parse_all("{\"title\": \"a\"}\n{\"title\": \"b\"}\n", false).unwrap();
        assert_eq!(items.len(), 2);
        match parse_all(r#"{"title": "a", "#, false) {
            Err(m) => assert!(m.contains("line 1"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(parse_all("\"just a string\"", false).is_err());
        assert!(parse_all("[]", false).is_err());
        assert!(parse_all("\n\n", true).is_err());
    }
}
