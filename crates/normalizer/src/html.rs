//! HTML pages: the charset the page declares, its main content and its metadata.
//!
//! Main-content extraction is `dom_smoothie`, a Rust port of Mozilla's
//! Readability.js (the algorithm of Firefox's Reader View): on the
//! readability-dev pages it scored F1 1.000 against Readability.js's own output,
//! above every other option measured (README, "HTML pages and gzip"). It also reads
//! the metadata Readability reads: JSON-LD `Article`/`NewsArticle`, OpenGraph,
//! Twitter cards, `<meta name=author|date|…>`, `<title>`, `<html lang>`. What it
//! does not give (canonical URL, every author of a JSON-LD list) is read here.
//!
//! Speed: about 60 % of a page's time is dom_smoothie's, half of it html5ever
//! building a spec-exact tree, half Readability's scoring and cleaning (and
//! serialising the article as HTML, which is not used). Matching resiliparse's
//! speed needs a lighter tree (an arena built from [`tokens`], which already
//! copes with any depth) and a Readability-style scorer over it, checked against
//! dom_smoothie on readability-dev before it replaces it.

use dom_smoothie::{Config, Readability, TextMode};
use encoding_rs::Encoding;
use regex::Regex;
use std::sync::LazyLock;

/// What a page yields before the text path runs on its text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The main content as text: blocks separated by a blank line, list items on
    /// their own lines.
    pub text: String,
    pub title: Option<String>,
    pub authors: Vec<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub url: Option<String>,
    pub site_name: Option<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    /// `<html lang>` or the metadata's language, as declared (`en-GB`).
    pub lang: Option<String>,
    /// How the text was taken: `readability`, or why the whole visible text was.
    pub method: &'static str,
}

/// Elements past which a page is not scored: bounds the time of a huge page.
const MAX_ELEMENTS: usize = 60_000;

/// Bytes looked at for a `<meta charset>`, as browsers do (the HTML spec's prescan
/// looks at the first 1024; some pages put it a little later).
const PRESCAN_BYTES: usize = 4096;

/// The encoding a page declares in `<meta charset=…>` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">`.
pub fn declared_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    static META: LazyLock<regex::bytes::Regex> = LazyLock::new(|| {
        regex::bytes::Regex::new(r#"(?i)<meta[^>]{0,200}?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)"#)
            .unwrap()
    });
    let head = &bytes[..bytes.len().min(PRESCAN_BYTES)];
    let label = META.captures(head)?.get(1)?.as_bytes();
    let enc = Encoding::for_label(label)?;
    // A page that says UTF-16 in ASCII bytes is not UTF-16 (the spec's rule).
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        return Some(encoding_rs::UTF_8);
    }
    Some(enc)
}

/// Does this text look like an HTML page (whatever the file is called)?
pub fn sniff(text: &str) -> bool {
    let head: String = text
        .trim_start()
        .chars()
        .take(1024)
        .collect::<String>()
        .to_ascii_lowercase();
    head.starts_with("<!doctype html")
        || head.starts_with("<html")
        || (head.starts_with('<')
            && (head.contains("<body") || head.contains("<head") || head.contains("<article")))
}

/// Nesting past which Readability's scoring is not run: its time grows with about
/// the cube of the depth (0.7 s at 500 levels, 28 s at 2,000), and real article
/// pages stay far below. Deeper pages get [`visible_text`] instead.
const MAX_DEPTH: usize = 200;

/// Tags whose text is never shown.
const SKIP_TAGS: &[&str] = &["script", "style", "template", "noscript", "head"];

/// Tags that break the text into blocks (the scorer's list, `score_extract.py`).
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "img",
    "li",
    "main",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "ul",
    "video",
    "audio",
    "iframe",
    "math",
    "svg",
    "center",
    "menu",
    "legend",
    "picture",
    "source",
    "object",
    "embed",
];

/// Elements that never have content or an end tag.
const VOID_TAGS: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];

/// One piece of markup: a tag (its name as written, opening or closing) or text.
enum Token<'a> {
    Open(&'a str),
    Close(&'a str),
    Text(&'a str),
}

/// Is tag `name` (any case) one of `tags` (lowercase)?
fn one_of(name: &str, tags: &[&str]) -> bool {
    tags.iter().any(|t| t.eq_ignore_ascii_case(name))
}

/// Splits markup into tags and text without building a tree, so that no depth
/// of nesting can exhaust the stack. Comments, doctypes and processing
/// instructions are dropped; `<script>`/`<style>` bodies are one raw text
/// token up to their end tag, as browsers read them. Hand-written rather than a
/// regex: it runs over whole pages, and a capturing regex here was the largest
/// cost of reading a page.
fn tokens(html: &str) -> Vec<Token<'_>> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    let find = |from: usize, pat: &str| html[from..].find(pat).map(|k| from + k);
    while i < b.len() {
        if b[i] != b'<' {
            i += html[i..].find('<').map_or(b.len() - i, |k| k);
            continue;
        }
        let rest = &b[i + 1..];
        // Where this piece of markup ends (exclusive), and the tag it is, if any.
        let (end, tag): (usize, Option<(bool, &str, bool)>) = if rest.starts_with(b"!--") {
            (find(i + 4, "-->").map_or(b.len(), |k| k + 3), None)
        } else if rest.starts_with(b"![CDATA[") {
            (find(i + 9, "]]>").map_or(b.len(), |k| k + 3), None)
        } else if rest.first().is_some_and(|c| *c == b'!' || *c == b'?') {
            (find(i + 1, ">").map_or(b.len(), |k| k + 1), None)
        } else {
            let closing = rest.first() == Some(&b'/');
            let name_start = i + 1 + usize::from(closing);
            let name_len = b[name_start..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b':' || **c == b'-')
                .count();
            if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
                // A lone "<" in text.
                i += 1;
                continue;
            }
            // The tag ends at the first ">" outside a quoted attribute value (a
            // quote opens a value only right after "=", as browsers read it).
            let mut j = name_start + name_len;
            let mut quote = 0u8;
            let mut after_eq = false;
            while j < b.len() {
                let c = b[j];
                if quote != 0 {
                    if c == quote {
                        quote = 0;
                    }
                } else if c == b'>' {
                    break;
                } else if c == b'=' {
                    after_eq = true;
                } else if after_eq && (c == b'"' || c == b'\'') {
                    quote = c;
                    after_eq = false;
                } else if !c.is_ascii_whitespace() {
                    after_eq = false;
                }
                j += 1;
            }
            let self_closing = j > 0 && b.get(j - 1) == Some(&b'/');
            let name = &html[name_start..name_start + name_len];
            ((j + 1).min(b.len()), Some((closing, name, self_closing)))
        };
        if i > text_start {
            out.push(Token::Text(&html[text_start..i]));
        }
        i = end;
        text_start = end;
        let Some((closing, name, self_closing)) = tag else {
            continue;
        };
        if closing {
            out.push(Token::Close(name));
            continue;
        }
        let raw = one_of(name, &["script", "style", "textarea", "title"]);
        out.push(Token::Open(name));
        if raw && !self_closing {
            let end_tag = format!("</{name}");
            let stop = b[i..]
                .windows(end_tag.len())
                .position(|w| w.eq_ignore_ascii_case(end_tag.as_bytes()))
                .map_or(b.len(), |k| i + k);
            out.push(Token::Text(&html[i..stop]));
            i = stop;
            text_start = stop;
        }
    }
    if text_start < b.len() {
        out.push(Token::Text(&html[text_start..]));
    }
    out
}

/// Elements whose end tag may be left out (`<p>` after `<p>`, `<li>` after
/// `<li>`): not counted in the depth, or a page of unclosed paragraphs would
/// look thousands of levels deep.
const OPTIONAL_END_TAGS: &[&str] = &[
    "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "thead", "tbody", "tfoot",
    "colgroup", "rb", "rt", "rp",
];

/// How deep the page's elements nest.
pub fn max_depth(html: &str) -> usize {
    let counted = |n: &str| !one_of(n, VOID_TAGS) && !one_of(n, OPTIONAL_END_TAGS);
    let (mut depth, mut max) = (0usize, 0usize);
    for t in tokens(html) {
        match t {
            Token::Open(n) if counted(n) => {
                depth += 1;
                max = max.max(depth);
            }
            Token::Close(n) if counted(n) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// The visible text of a page or fragment: script, style, template, noscript
/// and head dropped, entities decoded. With `blocks`, block elements separate
/// paragraphs (a blank line) and `<br>` a line; without, both become a space and
/// all whitespace collapses, which is the reference text of `score_extract.py`.
pub fn visible_text(html: &str, blocks: bool) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip = 0usize;
    for t in tokens(html) {
        match t {
            Token::Open(n) => {
                if one_of(n, SKIP_TAGS) {
                    skip += 1;
                }
                if one_of(n, BLOCK_TAGS) {
                    out.push_str(if !blocks {
                        " "
                    } else if n.eq_ignore_ascii_case("br") {
                        "\n"
                    } else {
                        "\n\n"
                    });
                }
            }
            Token::Close(n) => {
                if one_of(n, SKIP_TAGS) {
                    skip = skip.saturating_sub(1);
                }
                if one_of(n, BLOCK_TAGS) {
                    out.push_str(if blocks { "\n\n" } else { " " });
                }
            }
            Token::Text(s) if skip == 0 => {
                out.push_str(&html_escape::decode_html_entities(s));
            }
            Token::Text(_) => {}
        }
    }
    if blocks {
        let lines: Vec<String> = out
            .split('\n')
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        tidy(&lines.join("\n"))
    } else {
        out.split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

/// The text of `<title>`, if any.
fn title_tag(html: &str) -> Option<String> {
    let mut in_title = false;
    for t in tokens(head_of(html)) {
        match t {
            Token::Open(n) if n.eq_ignore_ascii_case("title") => in_title = true,
            Token::Text(s) if in_title => {
                let t = squash(&html_escape::decode_html_entities(s));
                return (!t.is_empty()).then_some(t);
            }
            _ => {}
        }
    }
    None
}

/// Extracts the main content and metadata of a page.
pub fn extract(html: &str) -> Result<Page, String> {
    // Too deep or too big to score in reasonable time: the visible text, whole,
    // for the text path's boilerplate layers to clean.
    let whole = |why: &'static str| Page {
        text: visible_text(html, true),
        title: title_tag(html),
        url: canonical(html),
        method: why,
        ..Page::default()
    };
    if max_depth(html) > MAX_DEPTH {
        return Ok(whole("visible text: nested deeper than 200 levels"));
    }
    let cfg = Config {
        text_mode: TextMode::Formatted,
        max_elements_to_parse: MAX_ELEMENTS,
        ..Default::default()
    };
    // Third-party code on hostile input: a panic in it must not take the worker
    // down (nothing is lost, but the pipeline would stall). The page falls back to
    // its visible text, and the log says so.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Readability::new(html, None, Some(cfg)).and_then(|mut r| r.parse())
    }));
    let article = match parsed {
        Ok(Ok(a)) => a,
        Ok(Err(dom_smoothie::ReadabilityError::TooManyElements(..))) => {
            return Ok(whole("visible text: more than 60,000 elements"))
        }
        Ok(Err(e)) => return Err(e.to_string()),
        Err(_) => {
            tracing::warn!("the HTML extractor panicked on a page; its visible text is used instead (please report the page)");
            return Ok(whole("visible text: the extractor failed on this page"));
        }
    };
    // Metadata is one line of text, whatever the page put in it.
    let nonempty = |s: Option<String>| s.map(|s| squash(&s)).filter(|s| !s.is_empty());
    let mut authors = json_ld_authors(html);
    if authors.is_empty() {
        if let Some(b) = nonempty(article.byline.clone()) {
            authors.push(strip_by(&b));
        }
    }
    Ok(Page {
        text: tidy(&article.text_content),
        title: nonempty(Some(article.title.clone())),
        authors,
        published: nonempty(article.published_time.clone()),
        modified: nonempty(article.modified_time.clone()),
        url: canonical(html).or_else(|| og(html, "og:url")),
        site_name: nonempty(article.site_name.clone()),
        description: nonempty(article.excerpt.clone()),
        image: nonempty(article.image.clone()),
        lang: nonempty(article.lang.clone()),
        method: "readability",
    })
}

/// Whitespace runs (line breaks included) to one space, trimmed.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "By Jane Doe" → "Jane Doe".
fn strip_by(byline: &str) -> String {
    static BY: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)^(?:by|von|par|por|di|door|de)\s+").unwrap());
    squash(&BY.replace(byline.trim(), ""))
}

/// Trims each line and collapses runs of blank lines to one.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.lines().map(str::trim) {
        if line.is_empty() {
            blank = !out.is_empty();
            continue;
        }
        if blank {
            out.push_str("\n\n");
        } else if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
        blank = false;
    }
    out
}

/// The value of attribute `name` in one tag's text.
fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    static ATTR: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\b([a-z:\-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#).unwrap()
    });
    ATTR.captures_iter(tag)
        .find(|c| c[1].eq_ignore_ascii_case(name))
        .and_then(|c| c.get(2).or_else(|| c.get(3)).or_else(|| c.get(4)))
        .map(|m| m.as_str())
}

/// `<link rel="canonical" href="…">`.
fn canonical(html: &str) -> Option<String> {
    static LINK: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<link\b[^>]*>").unwrap());
    LINK.find_iter(head_of(html))
        .map(|m| m.as_str())
        .find(|t| attr_value(t, "rel").is_some_and(|r| r.eq_ignore_ascii_case("canonical")))
        .and_then(|t| attr_value(t, "href"))
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
}

/// `<meta property="og:…" content="…">`.
fn og(html: &str, property: &str) -> Option<String> {
    static META: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)<meta\b[^>]*>").unwrap());
    META.find_iter(head_of(html))
        .map(|m| m.as_str())
        .find(|t| {
            attr_value(t, "property")
                .or_else(|| attr_value(t, "name"))
                .is_some_and(|p| p.eq_ignore_ascii_case(property))
        })
        .and_then(|t| attr_value(t, "content"))
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
}

/// The page up to `</head>` (or its first 256 KB): where link and meta tags are.
fn head_of(html: &str) -> &str {
    let end = html
        .find("</head>")
        .or_else(|| html.find("</HEAD>"))
        .unwrap_or(html.len().min(256 * 1024));
    let mut end = end.min(html.len());
    while !html.is_char_boundary(end) {
        end -= 1;
    }
    &html[..end]
}

/// Every author named in the page's JSON-LD `Article`-like objects, in order.
fn json_ld_authors(html: &str) -> Vec<String> {
    static LD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r#"(?is)<script[^>]*type\s*=\s*["']application/ld\+json["'][^>]*>(.*?)</script>"#,
        )
        .unwrap()
    });
    let mut out: Vec<String> = Vec::new();
    for c in LD.captures_iter(html).take(8) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(c[1].trim()) else {
            continue;
        };
        collect_authors(&v, &mut out, 0);
        if !out.is_empty() {
            break;
        }
    }
    out
}

fn collect_authors(v: &serde_json::Value, out: &mut Vec<String>, depth: usize) {
    use serde_json::Value;
    if depth > 6 {
        return;
    }
    match v {
        Value::Array(items) => items
            .iter()
            .for_each(|i| collect_authors(i, out, depth + 1)),
        Value::Object(map) => {
            let is_article = map.get("@type").is_some_and(|t| {
                let names: Vec<&str> = match t {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                names
                    .iter()
                    .any(|n| n.ends_with("Article") || *n == "Report")
            });
            if is_article {
                for n in map
                    .get("author")
                    .map(crate::json::names)
                    .unwrap_or_default()
                {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
            if let Some(g) = map.get("@graph") {
                collect_authors(g, out, depth + 1);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!doctype html><html lang="en-GB"><head>
<meta charset="utf-8"><title>Storm hits coast | The Ledger</title>
<link rel="canonical" href="https://ledger.example/storm">
<meta property="og:site_name" content="The Ledger">
<meta property="og:image" content="https://ledger.example/storm.jpg">
<meta name="description" content="The storm reached the coast on Monday.">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Storm hits coast","datePublished":"2022-01-20T10:00:00Z","dateModified":"2022-01-20T12:00:00Z",
"author":[{"@type":"Person","name":"Jane Doe"},{"@type":"Person","name":"John Smith"}]}</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<div class="cookie-banner">We use cookies. Accept all</div>
<article><h1>Storm hits coast</h1>
<p>The storm reached the coast on Monday night, bringing winds of up to 120 km/h and heavy rain to the harbour towns.</p>
<h2>Ferries cancelled</h2>
<p>All ferries to the islands were cancelled on Tuesday morning, the operator said, and would resume once the wind dropped.</p>
<ul><li>Harbour road closed</li><li>Schools shut until Wednesday</li></ul>
<blockquote>"We have never seen waves like this," said a fisherman who has worked the harbour for forty years.</blockquote>
<p>Forecasters expect the wind to ease by Wednesday afternoon, though more rain is likely over the weekend.</p>
</article>
<aside class="related"><h3>Related</h3><a href="/a">Other story</a></aside>
<footer>© 2022 The Ledger</footer>
</body></html>"#;

    #[test]
    fn main_content_and_metadata() {
        let p = extract(PAGE).unwrap();
        assert!(p.text.contains("The storm reached the coast"), "{}", p.text);
        assert!(p.text.contains("Ferries cancelled"));
        assert!(
            p.text
                .contains("Harbour road closed\nSchools shut until Wednesday"),
            "{}",
            p.text
        );
        assert!(p.text.contains("We have never seen waves like this"));
        assert!(!p.text.contains("cookies"), "{}", p.text);
        assert!(!p.text.contains("Other story"), "{}", p.text);
        assert!(!p.text.contains("© 2022"), "{}", p.text);
        assert_eq!(p.title.as_deref(), Some("Storm hits coast"));
        assert_eq!(p.authors, vec!["Jane Doe", "John Smith"]);
        assert_eq!(p.published.as_deref(), Some("2022-01-20T10:00:00Z"));
        assert_eq!(p.modified.as_deref(), Some("2022-01-20T12:00:00Z"));
        assert_eq!(p.url.as_deref(), Some("https://ledger.example/storm"));
        assert_eq!(p.site_name.as_deref(), Some("The Ledger"));
        assert_eq!(p.image.as_deref(), Some("https://ledger.example/storm.jpg"));
        assert_eq!(p.lang.as_deref(), Some("en-GB"));
    }

    #[test]
    fn charset_declarations() {
        assert_eq!(
            declared_charset(b"<html><head><meta charset=\"windows-1252\">"),
            Some(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(
            declared_charset(
                b"<meta http-equiv=\"Content-Type\" content=\"text/html; charset=ISO-8859-1\">"
            ),
            Some(encoding_rs::WINDOWS_1252)
        );
        assert_eq!(
            declared_charset(b"<meta charset=utf-16>"),
            Some(encoding_rs::UTF_8)
        );
        assert_eq!(declared_charset(b"<p>no declaration</p>"), None);
    }

    #[test]
    fn depth_and_tags_are_read_as_browsers_read_them() {
        assert_eq!(max_depth("<div><div><p>a<p>b<p>c</div></div>"), 2);
        assert_eq!(max_depth(&"<p>para ".repeat(5_000)), 0);
        // A quote opens a value only after "=": `<div "="">` is one tag.
        assert_eq!(
            visible_text("<div \"=\"\"><div>Lorem ipsum</div></div>", false),
            "Lorem ipsum"
        );
        assert_eq!(
            visible_text(
                "<p title='a > b'>x</p><script>if (a<b) {}</script><p>y &amp; z</p>",
                false
            ),
            "x y & z"
        );
    }

    #[test]
    fn a_huge_page_falls_back_to_its_visible_text() {
        let para = "<p>The council met on Monday to discuss the harbour budget again.</p>\n";
        let page = format!(
            "<html><head><title>Big</title></head><body><nav>Home</nav><article>{}</article></body></html>",
            para.repeat(70_000)
        );
        let p = extract(&page).unwrap();
        assert_eq!(p.title.as_deref(), Some("Big"));
        assert_eq!(p.text.matches("harbour budget").count(), 70_000);
    }

    #[test]
    fn deeply_nested_and_broken_markup_do_not_crash() {
        let deep = format!(
            "<html><body>{}<p>{}</p>{}</body></html>",
            "<div>".repeat(10_000),
            "A paragraph deep inside the page that is long enough to be content. ".repeat(5),
            "</div>".repeat(10_000)
        );
        let p = extract(&deep).unwrap();
        assert!(p.text.contains("A paragraph deep inside the page"));
        let broken = "<html><body><p>Unclosed <b>bold <i>italic</p><div><p>Text that goes on and on about the council meeting and its decisions on the budget.";
        let _ = extract(broken);
    }
}
