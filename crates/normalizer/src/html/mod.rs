//! HTML pages: the charset the page declares, its main content and its metadata.
//!
//! Main-content extraction is Mozilla Readability's algorithm (Firefox's Reader
//! View) in [`readable`], over a light arena tree built from [`scan`]'s tokens
//! ([`dom`]); the metadata is read as Readability reads it ([`meta`]: JSON-LD
//! `Article`/`NewsArticle`, OpenGraph, Twitter cards, `<meta name=author|…>`,
//! `<title>`, `<html lang>`). Canonical URL and every author of a JSON-LD list
//! are read here.
//!
//! It replaced `dom_smoothie` (the same algorithm over html5ever's tree): F1
//! 0.998 → 0.997 on readability-dev, and 1.4 times resiliparse's pages/s in the
//! same run where dom_smoothie was well below it (README, "HTML pages and gzip").

mod dom;
mod meta;
mod readable;

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
const MAX_ELEMENTS: usize = 100_000;

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

/// Nesting past which Readability's scoring is not run: its ancestor and subtree
/// walks make its time grow with the size times the depth, and real article
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

/// One piece of markup: a tag (its name as written, opening or closing) or text.
/// An opening tag carries its attribute text as written (`class="a" id=b`).
pub(crate) enum Token<'a> {
    Open(&'a str, &'a str),
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
/// cost of reading a page. Each token is handed to `emit` as it is found.
pub(crate) fn scan<'a>(html: &'a str, mut emit: impl FnMut(Token<'a>)) {
    let b = html.as_bytes();
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
        let (end, tag): (usize, Option<(bool, &str, &str)>) = if rest.starts_with(b"!--") {
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
            let name = &html[name_start..name_start + name_len];
            let attrs = &html[name_start + name_len..j.min(b.len())];
            ((j + 1).min(b.len()), Some((closing, name, attrs)))
        };
        if i > text_start {
            emit(Token::Text(&html[text_start..i]));
        }
        i = end;
        text_start = end;
        let Some((closing, name, attrs)) = tag else {
            continue;
        };
        if closing {
            emit(Token::Close(name));
            continue;
        }
        let raw = one_of(name, &["script", "style", "textarea", "title"]);
        let self_closing = attrs.ends_with('/');
        emit(Token::Open(name, attrs));
        if raw && !self_closing {
            // The first "</name" (any case): memchr's "</" finder, then the name.
            let mut stop = b.len();
            for k in memchr::memmem::find_iter(&b[i..], b"</") {
                let at = i + k + 2;
                if b.len() >= at + name.len()
                    && b[at..at + name.len()].eq_ignore_ascii_case(name.as_bytes())
                {
                    stop = i + k;
                    break;
                }
            }
            emit(Token::Text(&html[i..stop]));
            i = stop;
            text_start = stop;
        }
    }
    if text_start < b.len() {
        emit(Token::Text(&html[text_start..]));
    }
}

/// The visible text of a page or fragment: script, style, template, noscript
/// and head dropped, entities decoded. With `blocks`, block elements separate
/// paragraphs (a blank line) and `<br>` a line; without, both become a space and
/// all whitespace collapses, which is the reference text of `score_extract.py`.
pub fn visible_text(html: &str, blocks: bool) -> String {
    let mut out = String::with_capacity(html.len() / 2);
    let mut skip = 0usize;
    scan(html, |t| match t {
        Token::Open(n, _) => {
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
    });
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

/// Extracts the main content and metadata of a page.
pub fn extract(html: &str) -> Result<Page, String> {
    let dom = dom::Dom::parse(html);
    let canonical_url = canonical(&dom);
    // Too deep, too big or too hostile to score: the visible text, whole, for the
    // text path's boilerplate layers to clean.
    let whole = |why: &'static str, title: Option<String>| Page {
        text: visible_text(html, true),
        title,
        url: canonical_url.clone(),
        method: why,
        ..Page::default()
    };
    if dom.depth > MAX_DEPTH {
        return Ok(whole(
            "visible text: nested deeper than 200 levels",
            dom.title,
        ));
    }
    if dom.elements > MAX_ELEMENTS {
        return Ok(whole("visible text: more than 100,000 elements", dom.title));
    }
    let meta = meta::read(&dom);
    let url = canonical_url.clone().or_else(|| og_url(&dom));
    let title_tag = dom.title.clone();
    // Hostile input must not take the worker down (nothing would be lost, but
    // the pipeline would stall): the page falls back to its visible text, and
    // the log says so.
    let extracted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        readable::extract(dom, &meta.title, meta.byline.is_some())
    }));
    let Ok(extracted) = extracted else {
        tracing::warn!("the HTML extractor panicked on a page; its visible text is used instead (please report the page)");
        return Ok(whole(
            "visible text: the extractor failed on this page",
            title_tag,
        ));
    };
    let mut authors = meta.authors;
    // Metadata is one line of text, whatever the page put in it.
    let nonempty = |s: Option<String>| s.map(|s| squash(&s)).filter(|s| !s.is_empty());
    if authors.is_empty() {
        if let Some(b) = nonempty(meta.byline.clone().or(extracted.byline)) {
            authors.push(strip_by(&b));
        }
    }
    Ok(Page {
        text: tidy(&extracted.text),
        title: nonempty(Some(meta.title)),
        authors,
        published: nonempty(meta.published),
        modified: nonempty(meta.modified),
        url,
        site_name: nonempty(meta.site_name),
        description: nonempty(meta.excerpt),
        image: nonempty(meta.image),
        lang: nonempty(meta.lang),
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

/// `<link rel="canonical" href="…">`.
fn canonical(dom: &dom::Dom) -> Option<String> {
    dom.links
        .iter()
        .find(|l| dom::attr(l, "rel").is_some_and(|r| r.trim().eq_ignore_ascii_case("canonical")))
        .and_then(|l| dom::attr(l, "href"))
        .map(|h| html_escape::decode_html_entities(h.trim()).into_owned())
        .filter(|h| !h.is_empty())
}

/// `<meta property="og:url" content="…">`.
fn og_url(dom: &dom::Dom) -> Option<String> {
    dom.metas
        .iter()
        .find(|m| {
            dom::attr(m, "property")
                .or_else(|| dom::attr(m, "name"))
                .is_some_and(|p| p.trim().eq_ignore_ascii_case("og:url"))
        })
        .and_then(|m| dom::attr(m, "content"))
        .map(|c| html_escape::decode_html_entities(c.trim()).into_owned())
        .filter(|c| !c.is_empty())
}

/// Every author named in the page's JSON-LD `Article`-like objects, in order.
fn json_ld_authors(values: &[serde_json::Value]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values.iter().take(8) {
        collect_authors(v, &mut out, 0);
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
        assert_eq!(
            dom::Dom::parse("<div><div><p>a<p>b<p>c</div></div>").depth,
            3
        );
        assert_eq!(dom::Dom::parse(&"<p>para ".repeat(5_000)).depth, 1);
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
