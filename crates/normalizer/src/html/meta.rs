//! A page's metadata, read as Readability reads it: JSON-LD `Article` objects
//! first, then `<meta>` tags (OpenGraph, Twitter cards, Dublin Core,
//! Parse.ly), then the `<title>` with the site's name cut off.

use super::dom::{attr, Dom, Tag};
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct Meta {
    pub title: String,
    pub byline: Option<String>,
    /// Every author of the JSON-LD article objects, in order.
    pub authors: Vec<String>,
    pub excerpt: Option<String>,
    pub site_name: Option<String>,
    pub published: Option<String>,
    pub modified: Option<String>,
    pub image: Option<String>,
    pub lang: Option<String>,
}

const TITLE_KEYS: &[&str] = &[
    "dc:title",
    "dcterm:title",
    "og:title",
    "weibo:article:title",
    "weibo:webpage:title",
    "title",
    "twitter:title",
    "parsely-title",
];
const BYLINE_KEYS: &[&str] = &["dc:creator", "dcterm:creator", "author", "parsely-author"];
const EXCERPT_KEYS: &[&str] = &[
    "dc:description",
    "dcterm:description",
    "og:description",
    "weibo:article:description",
    "weibo:webpage:description",
    "description",
    "twitter:description",
];
const PUBLISHED_KEYS: &[&str] = &[
    "article:published_time",
    "dcterms:available",
    "dcterms:created",
    "dcterms:issued",
    "parsely-pub-date",
    "weibo:article:create_at",
];
const MODIFIED_KEYS: &[&str] = &["article:modified_time", "dcterms:modified"];
const IMAGE_KEYS: &[&str] = &["og:image", "image", "twitter:image"];
const ARTICLE_TYPES: &[&str] = &[
    "Article",
    "AdvertiserContentArticle",
    "NewsArticle",
    "AnalysisNewsArticle",
    "AskPublicNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "Report",
    "SatiricalArticle",
    "ScholarlyArticle",
    "MedicalScholarlyArticle",
    "SocialMediaPosting",
    "BlogPosting",
    "LiveBlogPosting",
    "DiscussionForumPosting",
    "TechArticle",
    "APIReference",
];
const SEPARATORS: &[char] = &['|', '-', '–', '—', '\\', '/', '>', '»'];
const HIERARCHY: &[char] = &['\\', '/', '>', '»'];

fn decode(s: &str) -> String {
    super::squash(&html_escape::decode_html_entities(s))
}

/// `og:title`-like property names Readability reads (`article|dc|dcterm|og|twitter`
/// then `:author|creator|description|published_time|title|site_name|image`).
fn property_key(property: &str) -> Option<String> {
    const PREFIXES: &[&str] = &["article", "dc", "dcterm", "dcterms", "og", "twitter"];
    const KEYS: &[&str] = &[
        "author",
        "creator",
        "description",
        "published_time",
        "modified_time",
        "title",
        "site_name",
        "image",
    ];
    for part in property.split_whitespace() {
        let part = part.to_ascii_lowercase();
        if let Some((pre, key)) = part.rsplit_once(':') {
            let pre = pre.rsplit(':').next().unwrap_or(pre);
            if PREFIXES.contains(&pre) && KEYS.contains(&key) {
                return Some(format!("{pre}:{key}"));
            }
        }
    }
    None
}

/// `<meta name>` values Readability reads, normalised (`dc.title` → `dc:title`).
fn name_key(name: &str) -> Option<String> {
    const PREFIXES: &[&str] = &[
        "dc",
        "dcterm",
        "dcterms",
        "og",
        "twitter",
        "parsely",
        "weibo:article",
        "weibo:webpage",
    ];
    const KEYS: &[&str] = &[
        "author",
        "creator",
        "pub-date",
        "description",
        "title",
        "site_name",
        "available",
        "created",
        "issued",
        "modified",
        "image",
    ];
    let n: String = name
        .split_whitespace()
        .collect::<String>()
        .to_ascii_lowercase();
    // Keys may hold the separator themselves (`parsely-pub-date`).
    let ok = KEYS.contains(&n.as_str())
        || n.match_indices(['-', '.', ':'])
            .any(|(pos, _)| PREFIXES.contains(&&n[..pos]) && KEYS.contains(&&n[pos + 1..]));
    ok.then(|| n.replace('.', ":"))
}

/// Readability's `_getArticleTitle`: the `<title>` without the site's name.
pub fn article_title(dom: &Dom) -> String {
    let orig = dom.title.clone().unwrap_or_default();
    let orig = orig.trim();
    let headings = |want: &dyn Fn(Tag) -> bool| -> Vec<String> {
        dom.descendants(dom.body)
            .filter(|&d| want(dom.tag(d)))
            .map(|d| super::squash(&super::readable::inner_text(dom, d)))
            .collect()
    };
    let mut cur = orig.to_string();
    let mut hierarchy = false;
    if orig.contains(SEPARATORS) {
        hierarchy = orig.contains(HIERARCHY);
        if let Some(t) = cut_last(orig) {
            cur = t.to_string();
        }
        if cur.split_whitespace().count() < 3 {
            if let Some(t) = cut_first(orig) {
                cur = t.to_string();
            }
        }
    } else if orig.contains(": ") {
        let matched = headings(&|t| matches!(t, Tag::H1 | Tag::H2))
            .iter()
            .any(|h| h.trim() == orig);
        if !matched {
            if let Some(idx) = orig.rfind(':') {
                cur = orig[idx + 1..].trim().to_string();
                if cur.split_whitespace().count() < 3 {
                    if let Some(i) = orig.find(':') {
                        cur = orig[i + 1..].trim().to_string();
                    }
                } else if orig
                    .find(':')
                    .map_or(0, |i| orig[..=i].split_whitespace().count())
                    > 5
                {
                    cur = orig.to_string();
                }
            }
        }
    } else if !(15..=150).contains(&orig.chars().count()) {
        if let Some(h1) = headings(&|t| t == Tag::H1).into_iter().next() {
            cur = h1;
        }
    }
    let cur = super::squash(&cur);
    let words = cur.split_whitespace().count();
    let orig_words = orig
        .split(SEPARATORS)
        .flat_map(str::split_whitespace)
        .count();
    if words <= 4 && (!hierarchy || words + 1 != orig_words) {
        return orig.to_string();
    }
    cur
}

/// The title up to its last separator followed by a space.
fn cut_last(t: &str) -> Option<&str> {
    let (pos, c) = t
        .char_indices()
        .rev()
        .find(|(_, c)| SEPARATORS.contains(c))?;
    let rest = &t[pos + c.len_utf8()..];
    rest.starts_with(' ').then(|| t[..pos].trim())
}

/// The title after its first separator, when a space follows it.
fn cut_first(t: &str) -> Option<&str> {
    let (pos, c) = t.char_indices().find(|(_, c)| SEPARATORS.contains(c))?;
    let rest = &t[pos + c.len_utf8()..];
    rest.starts_with(' ').then(|| rest.trim())
}

fn is_schema_org(s: &str) -> bool {
    let s = s.trim_end_matches('/');
    s.ends_with("://schema.org")
}

fn string_at<'v>(v: &'v serde_json::Value, path: &[&str]) -> Option<&'v str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

fn is_article_type(v: &serde_json::Value) -> bool {
    match v.get("@type") {
        Some(serde_json::Value::String(s)) => ARTICLE_TYPES.iter().any(|t| s.contains(t)),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|t| t.as_str())
            .any(|s| ARTICLE_TYPES.iter().any(|t| s.contains(t))),
        _ => false,
    }
}

/// The page's JSON-LD scripts, parsed once for the article object and the
/// authors (CDATA wrappers taken off; unparsable ones skipped).
fn json_ld(dom: &Dom) -> Vec<serde_json::Value> {
    dom.json_ld
        .iter()
        .filter_map(|raw| {
            let raw = raw.trim();
            let raw = raw
                .strip_prefix("<![CDATA[")
                .and_then(|r| r.strip_suffix("]]>"))
                .unwrap_or(raw);
            serde_json::from_str(raw.trim()).ok()
        })
        .collect()
}

/// The first JSON-LD object of an article type (at the top, in a list, or in
/// an `@graph`) under a schema.org context.
fn json_ld_article(scripts: &[serde_json::Value]) -> Option<&serde_json::Value> {
    for v in scripts {
        let items: Vec<&serde_json::Value> = match v {
            serde_json::Value::Array(a) => a.iter().collect(),
            other => vec![other],
        };
        for item in items {
            let context_ok = item.get("@context").is_some_and(|c| {
                c.as_str().is_some_and(is_schema_org)
                    || c.get("@vocab")
                        .and_then(|v| v.as_str())
                        .is_some_and(is_schema_org)
            });
            if !context_ok {
                continue;
            }
            if is_article_type(item) {
                return Some(item);
            }
            if let Some(graph) = item.get("@graph").and_then(|g| g.as_array()) {
                if let Some(a) = graph.iter().find(|g| is_article_type(g)) {
                    return Some(a);
                }
            }
        }
    }
    None
}

pub fn read(dom: &Dom) -> Meta {
    let mut values: HashMap<String, String> = HashMap::new();
    for m in &dom.metas {
        let Some(content) = attr(m, "content").map(decode).filter(|c| !c.is_empty()) else {
            continue;
        };
        if let Some(p) = attr(m, "property") {
            if let Some(k) = property_key(p) {
                values.insert(k, content);
            }
            continue;
        }
        if let Some(k) = attr(m, "name").and_then(name_key) {
            values.insert(k, content);
        }
    }
    let any = |keys: &[&str]| keys.iter().find_map(|k| values.get(*k).cloned());
    let mut meta = Meta::default();
    let scripts = json_ld(dom);
    meta.authors = super::json_ld_authors(&scripts);
    let ld = json_ld_article(&scripts);
    if let Some(ld) = ld {
        let name = string_at(ld, &["name"]).map(decode);
        let headline = string_at(ld, &["headline"]).map(decode);
        meta.title = match (name, headline) {
            (Some(n), Some(h)) if n != h => {
                let title = article_title(dom);
                let n_ok = super::readable::similarity(&n, &title) > 0.75;
                let h_ok = super::readable::similarity(&h, &title) > 0.75;
                if h_ok && !n_ok {
                    h
                } else {
                    n
                }
            }
            (Some(n), _) => n,
            (None, Some(h)) => h,
            (None, None) => String::new(),
        };
        meta.byline = match ld.get("author") {
            Some(serde_json::Value::Object(a)) => {
                a.get("name").and_then(|n| n.as_str()).map(decode)
            }
            Some(serde_json::Value::Array(list)) => Some(
                list.iter()
                    .filter_map(|a| a.get("name").and_then(|n| n.as_str()))
                    .map(decode)
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        }
        .filter(|b| !b.is_empty());
        meta.excerpt = string_at(ld, &["description"]).map(decode);
        meta.site_name = string_at(ld, &["publisher", "name"]).map(decode);
        meta.published = string_at(ld, &["datePublished"]).map(decode);
        meta.modified = string_at(ld, &["dateModified"]).map(decode);
        meta.image = string_at(ld, &["image"]).map(decode);
        meta.lang = string_at(ld, &["inLanguage"]).map(decode);
    }
    if meta.title.is_empty() {
        meta.title = any(TITLE_KEYS).unwrap_or_else(|| article_title(dom));
    }
    if meta.byline.is_none() {
        meta.byline = any(BYLINE_KEYS).or_else(|| {
            values
                .get("article:author")
                .filter(|v| !v.starts_with("http://") && !v.starts_with("https://"))
                .cloned()
        });
    }
    meta.excerpt = meta.excerpt.or_else(|| any(EXCERPT_KEYS));
    meta.site_name = meta
        .site_name
        .or_else(|| values.get("og:site_name").cloned());
    meta.published = meta.published.or_else(|| any(PUBLISHED_KEYS));
    meta.modified = meta.modified.or_else(|| any(MODIFIED_KEYS));
    meta.image = meta.image.or_else(|| any(IMAGE_KEYS));
    // `<html lang>` first, as Readability reads it.
    meta.lang = dom.lang.map(|l| l.trim().to_string()).or(meta.lang);
    meta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_lose_the_site_name() {
        let t = |html: &str| article_title(&Dom::parse(html));
        assert_eq!(
            t("<title>Storm hits the coast overnight | The Ledger</title>"),
            "Storm hits the coast overnight"
        );
        // Too few words left: the whole title.
        assert_eq!(t("<title>Storm | The Ledger</title>"), "Storm | The Ledger");
    }

    #[test]
    fn json_ld_then_meta_tags() {
        let d = Dom::parse(
            r#"<head><meta property="og:title" content="OG title">
            <meta name="author" content="Meta Author">
            <meta property="article:published_time" content="2020-01-02T03:04:05Z">
            <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
            "headline":"LD headline","author":[{"name":"A One"},{"name":"B Two"}]}</script></head>"#,
        );
        let m = read(&d);
        assert_eq!(m.title, "LD headline");
        assert_eq!(m.byline.as_deref(), Some("A One, B Two"));
        assert_eq!(m.published.as_deref(), Some("2020-01-02T03:04:05Z"));
        let d = Dom::parse(r#"<meta name="parsely-pub-date" content="2024-04-20">"#);
        assert_eq!(read(&d).published.as_deref(), Some("2024-04-20"));
    }
}
