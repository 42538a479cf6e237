//! RSS and Atom feeds: each entry becomes a [`ScrapedItem`], the same shape a
//! scraper's JSON item takes, so both go through one path to a record.
//!
//! Parsing is feed-rs's (RSS 0.9x/1.0/2.0, Atom, namespaces such as
//! `content:encoded`, `dc:creator` and Media RSS, the dates feeds really write);
//! this module only chooses which of its fields fill which of ours.

use crate::json::ScrapedItem;
use feed_rs::model::{Entry, Feed, FeedType};

/// Is this file a feed, by name or by its first element?
pub fn sniff(bytes: &[u8], extension: &str) -> bool {
    if matches!(extension, "rss" | "atom" | "rdf") {
        return true;
    }
    let head = &bytes[..bytes.len().min(2048)];
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    // Most drops are text or JSON: no copy of their head for them.
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'<') {
        return false;
    }
    let mut rest = String::from_utf8_lossy(head).to_ascii_lowercase();
    // Skip the XML declaration, processing instructions, comments and a doctype.
    loop {
        let t = rest.trim_start();
        let skip = if t.starts_with("<?") {
            t.find("?>").map(|i| i + 2)
        } else if t.starts_with("<!--") {
            t.find("-->").map(|i| i + 3)
        } else if t.starts_with("<!doctype") {
            t.find('>').map(|i| i + 1)
        } else {
            return t.starts_with("<rss") || t.starts_with("<feed") || t.starts_with("<rdf:rdf");
        };
        match skip {
            Some(i) => rest = t[i..].to_string(),
            None => return false,
        }
    }
}

/// A parsed feed: its format name for `source.format`, and its entries.
pub struct Parsed {
    pub format: &'static str,
    pub items: Vec<ScrapedItem>,
}

/// Parses a feed's bytes (feed-rs reads the declared encoding itself).
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    // Third-party code on hostile input: a panic in it must not take the worker
    // down; the feed is then refused as malformed, and the log says so.
    let parsed = std::panic::catch_unwind(|| feed_rs::parser::Builder::new().build().parse(bytes));
    let feed = match parsed {
        Ok(r) => r.map_err(|e| e.to_string())?,
        Err(_) => {
            tracing::warn!("the feed parser panicked on a file; it is quarantined as malformed (please report the file)");
            return Err("the feed parser failed on this file".into());
        }
    };
    let format = match feed.feed_type {
        FeedType::Atom => "atom",
        FeedType::JSON => "jsonfeed",
        FeedType::RSS0 | FeedType::RSS1 | FeedType::RSS2 => "rss",
    };
    let items = feed.entries.iter().map(|e| item(&feed, e)).collect();
    Ok(Parsed { format, items })
}

fn line(s: &str) -> Option<String> {
    let s = crate::html::squash(s);
    (!s.is_empty()).then_some(s)
}

/// An RSS `<author>` is an e-mail address, often with the name in brackets:
/// `jdoe@example.com (Jane Doe)`. The name is what a reader wants.
fn person(name: &str) -> Option<String> {
    // feed-rs splits the address off and may leave the brackets on the name.
    let name = name.trim();
    let name = name
        .strip_prefix('(')
        .and_then(|n| n.strip_suffix(')'))
        .unwrap_or(name);
    if name.contains('@') {
        if let (Some(open), Some(close)) = (name.find('('), name.rfind(')')) {
            if open < close {
                return line(&name[open + 1..close]);
            }
        }
        return None;
    }
    line(name)
}

fn item(feed: &Feed, e: &Entry) -> ScrapedItem {
    let is_html = |t: &dyn std::fmt::Display, body: &str| {
        t.to_string().contains("html") || crate::json::looks_like_html(body)
    };
    let summary = e
        .summary
        .as_ref()
        .filter(|s| !s.content.trim().is_empty())
        .map(|s| (s.content.clone(), is_html(&s.content_type, &s.content)));
    let content = e
        .content
        .as_ref()
        .and_then(|c| {
            let body = c.body.as_ref().filter(|b| !b.trim().is_empty())?;
            Some((body.clone(), is_html(&c.content_type, body)))
        })
        .or_else(|| summary.clone());
    let description = match (&e.content, &summary) {
        (Some(c), Some((s, html))) if c.body.as_ref().is_some_and(|b| !b.trim().is_empty()) => {
            if *html {
                line(&crate::html::visible_text(s, false))
            } else {
                line(s)
            }
        }
        _ => None,
    };
    let url = e
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or(e.links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty());
    let authors = e
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref().and_then(person))
        .collect();
    let image = e.media.iter().find_map(|m| {
        m.thumbnails
            .first()
            .map(|t| t.image.uri.clone())
            .or_else(|| {
                m.content
                    .iter()
                    .find(|c| {
                        c.content_type
                            .as_ref()
                            .is_some_and(|t| t.to_string().starts_with("image/"))
                    })
                    .and_then(|c| c.url.as_ref().map(|u| u.to_string()))
            })
    });
    let mut categories: Vec<String> = Vec::new();
    for c in &e.categories {
        if let Some(name) = line(c.label.as_deref().unwrap_or(&c.term)) {
            if !categories.contains(&name) {
                categories.push(name);
            }
        }
    }
    ScrapedItem {
        url,
        title: e.title.as_ref().and_then(|t| {
            if t.content_type.to_string().contains("html") {
                line(&crate::html::visible_text(&t.content, false))
            } else {
                line(&t.content)
            }
        }),
        content,
        published: e.published.or(e.updated).map(|d| d.to_rfc3339()),
        modified: e
            .updated
            .filter(|_| e.published.is_some())
            .map(|d| d.to_rfc3339()),
        authors,
        site_name: feed.title.as_ref().and_then(|t| line(&t.content)),
        description,
        image,
        categories,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feeds_are_sniffed_past_declarations_and_comments() {
        assert!(sniff(
            b"<?xml version=\"1.0\"?>\n<!-- x -->\n<rss version=\"2.0\">",
            "txt"
        ));
        assert!(sniff(
            b"\xef\xbb\xbf<feed xmlns=\"http://www.w3.org/2005/Atom\">",
            "xml"
        ));
        assert!(!sniff(
            b"<?xml version=\"1.0\"?><html><body></body></html>",
            "xml"
        ));
        assert!(!sniff(b"The RSS feed <rss> tag", "txt"));
        assert!(sniff(b"", "rss"));
    }

    #[test]
    fn rss_items_map_content_authors_dates_and_categories() {
        let rss = br#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>The Ledger</title><link>https://ledger.example/</link>
<item>
  <title>Bridge reopens</title>
  <link>https://ledger.example/bridge</link>
  <description>Short teaser.</description>
  <content:encoded><![CDATA[<p>The old bridge reopened on Monday.</p>]]></content:encoded>
  <dc:creator>Jane Doe</dc:creator>
  <pubDate>Thu, 20 Jan 2022 10:00:00 GMT</pubDate>
  <category>Local</category><category>Transport</category>
</item>
<item>
  <title>Second</title>
  <description>Only a description.</description>
  <author>desk@ledger.example (News Desk)</author>
</item>
</channel></rss>"#;
        let p = parse(rss).unwrap();
        assert_eq!(p.format, "rss");
        assert_eq!(p.items.len(), 2);
        let a = &p.items[0];
        assert_eq!(a.title.as_deref(), Some("Bridge reopens"));
        assert_eq!(a.url.as_deref(), Some("https://ledger.example/bridge"));
        let (body, html) = a.content.clone().unwrap();
        assert!(html && body.contains("reopened on Monday"), "{body}");
        assert_eq!(a.description.as_deref(), Some("Short teaser."));
        assert_eq!(a.authors, vec!["Jane Doe"]);
        assert_eq!(a.published.as_deref(), Some("2022-01-20T10:00:00+00:00"));
        assert_eq!(a.categories, vec!["Local", "Transport"]);
        assert_eq!(a.site_name.as_deref(), Some("The Ledger"));
        let b = &p.items[1];
        assert_eq!(b.content.clone().unwrap().0, "Only a description.");
        assert_eq!(b.authors, vec!["News Desk"]);
    }

    #[test]
    fn a_broken_feed_is_an_error_not_a_panic() {
        assert!(parse(b"<rss><channel><item><title>x</tit").is_err());
    }
}
