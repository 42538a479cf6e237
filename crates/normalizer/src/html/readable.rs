//! The main content of a page: Mozilla Readability's algorithm (Firefox's
//! Reader View), as the `dom_smoothie` crate ports it, over the light tree of
//! [`super::dom`].
//!
//! Written here rather than used from a crate: the ports run on html5ever's
//! spec-exact tree, which cost about two thirds of a page's time and kept the
//! extractor at a third of resiliparse's speed. The steps, thresholds and word
//! lists are Readability's, so its output (the reference of readability-dev)
//! is what this aims at: mark and drop hidden nodes, dialogs, the title's
//! heading and the byline; drop unlikely candidates by class/id; score
//! paragraphs into their ancestors; take the best candidate and its related
//! siblings; clean what is left conditionally; retry with fewer rules when the
//! result is short.

use super::dom::{has, Dom, Tag, NONE};
use std::sync::LazyLock;

/// Readability's `charThreshold`: an attempt shorter than this is retried.
const CHAR_THRESHOLD: usize = 500;
const TOP_CANDIDATES: usize = 5;
const MIN_COMMON_ANCESTORS: usize = 3;
const MIN_SCORE_TO_ADJUST: f32 = 5.0;

const UNLIKELY: &[&str] = &[
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumbs",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
];
const MAYBE: &[&str] = &[
    "and", "article", "body", "column", "content", "layout", "main", "mathjax", "shadow",
];
const UNLIKELY_ROLES: &[&str] = &[
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
];
const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];
const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
    "blog", "story",
];
const BYLINE: &[&str] = &["byline", "author", "dateline", "writtenby", "p-author"];
const VIDEO_DOMAINS: &[&str] = &[
    "dailymotion.com",
    "youtube.com",
    "youtube-nocookie.com",
    "player.vimeo.com",
    "v.qq.com",
    "archive.org",
    "upload.wikimedia.org",
    "player.twitch.tv",
    "bilibili.com",
];
const AD_WORDS: &[&str] = &[
    "ad",
    "advertising",
    "advertisement",
    "pub",
    "publicité",
    "werb",
    "werbung",
    "广告",
    "реклама",
    "anuncio",
];
const LOADING_WORDS: &[&str] = &["loading", "正在加载", "загрузка", "chargement", "cargando"];
const COMMAS: &[char] = &[
    '\u{002C}', '\u{060C}', '\u{FE50}', '\u{FE10}', '\u{FE11}', '\u{2E41}', '\u{2E34}', '\u{2E32}',
    '\u{FF0C}',
];

#[derive(Clone, Copy)]
struct Flags {
    strip_unlikely: bool,
    weight_classes: bool,
    clean_conditionally: bool,
}

/// What the extractor found: the article's text and the byline it took out.
pub struct Extracted {
    pub text: String,
    pub byline: Option<String>,
}

/// Runs Readability on `dom`. `title` is the page's title as metadata gives it
/// (its heading is dropped from the body); `byline_known` stops the search for
/// a byline in the markup.
pub fn extract(mut dom: Dom<'_>, title: &str, byline_known: bool) -> Extracted {
    replace_brs(&mut dom);
    let byline = pre_filter(&mut dom, title, byline_known);
    let mut flags = Flags {
        strip_unlikely: true,
        weight_classes: true,
        clean_conditionally: true,
    };
    let mut best: Option<(String, usize)> = None;
    loop {
        let mut attempt = dom.clone();
        let article = grab(&mut attempt, flags);
        let text = text(&attempt, article);
        let len = char_len(&text);
        if len >= CHAR_THRESHOLD {
            return Extracted { text, byline };
        }
        if best.as_ref().is_none_or(|(_, l)| len > *l) {
            best = Some((text, len));
        }
        if flags.strip_unlikely {
            flags.strip_unlikely = false;
        } else if flags.weight_classes {
            flags.weight_classes = false;
        } else if flags.clean_conditionally {
            flags.clean_conditionally = false;
        } else {
            break;
        }
    }
    Extracted {
        text: best.map(|(t, _)| t).unwrap_or_default(),
        byline,
    }
}

fn char_len(s: &str) -> usize {
    s.bytes().filter(|b| (b & 0xC0) != 0x80).count()
}

/// Characters of text once whitespace runs are one space (Readability's
/// `innerText.length`, up to a space at the edges of a text node).
fn text_len(s: &str) -> u32 {
    let mut n = 0u32;
    let mut space = false;
    let mut any = false;
    for b in s.bytes() {
        if b.is_ascii_whitespace() {
            space = true;
        } else if (b & 0xC0) != 0x80 {
            if space && any {
                n += 1;
            }
            space = false;
            any = true;
            n += 1;
        }
    }
    n
}

/// The lowercase `class` and `id` of an element, the string Readability matches.
fn match_string(dom: &Dom, id: u32) -> String {
    let n = dom.node(id);
    let mut s = String::with_capacity(n.class.len() + n.id.len() + 1);
    s.push_str(n.class);
    s.push(' ');
    s.push_str(n.id);
    s.make_ascii_lowercase();
    s
}

/// One case-insensitive matcher for a word list (the regex crate turns a
/// literal alternation into a multi-substring search; a `contains` per word
/// was a twentieth of a page's time).
fn matcher(words: &[&str]) -> regex::Regex {
    let alts: Vec<String> = words.iter().map(|w| regex::escape(w)).collect();
    regex::Regex::new(&format!("(?i){}", alts.join("|"))).expect("word lists are valid patterns")
}

static UNLIKELY_RE: LazyLock<regex::Regex> = LazyLock::new(|| matcher(UNLIKELY));
static MAYBE_RE: LazyLock<regex::Regex> = LazyLock::new(|| matcher(MAYBE));
static NEGATIVE_RE: LazyLock<regex::Regex> = LazyLock::new(|| matcher(NEGATIVE));
static POSITIVE_RE: LazyLock<regex::Regex> = LazyLock::new(|| matcher(POSITIVE));

fn class_weight(dom: &Dom, id: u32, flags: Flags) -> f32 {
    if !flags.weight_classes {
        return 0.0;
    }
    let n = dom.node(id);
    let mut w = 0.0;
    for attr in [n.class, n.id] {
        if attr.is_empty() {
            continue;
        }
        if NEGATIVE_RE.is_match(attr)
            || attr
                .split_whitespace()
                .any(|w| w.eq_ignore_ascii_case("hid"))
        {
            w -= 25.0;
        }
        if POSITIVE_RE.is_match(attr) {
            w += 25.0;
        }
    }
    w
}

fn initial_score(dom: &Dom, id: u32, flags: Flags) -> f32 {
    let base = match dom.tag(id) {
        Tag::Div => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        t if t.is_heading() || t == Tag::Th => -5.0,
        _ => 0.0,
    };
    base + class_weight(dom, id, flags)
}

fn is_whitespace(dom: &Dom, id: u32) -> bool {
    match dom.tag(id) {
        Tag::Text => dom.text_of(id).trim().is_empty(),
        Tag::Br => true,
        _ => false,
    }
}

fn is_phrasing(dom: &Dom, id: u32) -> bool {
    let t = dom.tag(id);
    if t.is_phrasing() {
        return true;
    }
    if matches!(t, Tag::A | Tag::DelIns) {
        return dom.node(id).first != NONE
            && dom
                .descendants(id)
                .all(|d| matches!(dom.tag(d), Tag::A | Tag::DelIns) || dom.tag(d).is_phrasing());
    }
    false
}

fn has_text(dom: &Dom, id: u32) -> bool {
    dom.descendants(id)
        .any(|d| dom.tag(d) == Tag::Text && !dom.text_of(d).trim().is_empty())
}

/// Normalised text length of a subtree, computed on demand.
fn chars(dom: &Dom, id: u32) -> u32 {
    if dom.tag(id) == Tag::Text {
        return text_len(dom.text_of(id));
    }
    dom.descendants(id)
        .filter(|&d| dom.tag(d) == Tag::Text)
        .map(|d| text_len(dom.text_of(d)))
        .sum()
}

/// Text length and weighted link-text length of every node under a root,
/// computed in one pass (children before parents), kept exact through
/// removals by [`Counts::remove`].
struct Counts {
    root: u32,
    chars: Vec<u32>,
    links: Vec<f32>,
}

impl Counts {
    fn of(dom: &Dom, root: u32) -> Counts {
        let n = dom.nodes.len();
        let mut c = Counts {
            root,
            chars: vec![0; n],
            links: vec![0.0; n],
        };
        let mut order: Vec<u32> = Vec::with_capacity(n);
        order.push(root);
        order.extend(dom.descendants(root));
        for &id in order.iter().rev() {
            let i = id as usize;
            match dom.tag(id) {
                Tag::Text => c.chars[i] = text_len(dom.text_of(id)),
                Tag::A => c.links[i] = c.chars[i] as f32 * link_weight(dom, id),
                _ => {}
            }
            if id != root {
                let p = dom.node(id).parent as usize;
                c.chars[p] += c.chars[i];
                c.links[p] += c.links[i];
            }
        }
        c
    }

    fn density(&self, id: u32) -> f32 {
        let len = self.chars[id as usize];
        if len == 0 {
            0.0
        } else {
            self.links[id as usize] / len as f32
        }
    }

    /// Takes `id` out of the tree and out of its ancestors' counts.
    fn remove(&mut self, dom: &mut Dom, id: u32) {
        let (c, l) = (self.chars[id as usize], self.links[id as usize]);
        // Up to the counted root only: nodes above it were never counted.
        let mut a = dom.node(id).parent;
        while a != NONE {
            self.chars[a as usize] -= c;
            self.links[a as usize] -= l;
            if a == self.root {
                break;
            }
            a = dom.node(a).parent;
        }
        dom.detach(id);
    }
}

fn commas(dom: &Dom, id: u32) -> usize {
    dom.descendants(id)
        .filter(|&d| dom.tag(d) == Tag::Text)
        .map(|d| {
            dom.text_of(d)
                .chars()
                .filter(|c| COMMAS.contains(c))
                .count()
        })
        .sum()
}

fn link_weight(dom: &Dom, a: u32) -> f32 {
    if !dom.has(a, has::HREF) {
        return 1.0;
    }
    match dom.attr(a, "href") {
        Some(h) if h.len() > 1 && h.starts_with('#') => 0.3,
        _ => 1.0,
    }
}

fn link_density(dom: &Dom, id: u32, len: u32) -> f32 {
    if len == 0 {
        return 0.0;
    }
    let links: f32 = dom
        .descendants(id)
        .filter(|&d| dom.tag(d) == Tag::A)
        .map(|a| chars(dom, a) as f32 * link_weight(dom, a))
        .sum();
    links / len as f32
}

fn is_video_url(s: &str) -> bool {
    VIDEO_DOMAINS.iter().any(|d| {
        s.find(d).is_some_and(|pos| {
            (pos >= 2 && &s[pos - 2..pos] == "//") || (pos >= 6 && &s[pos - 6..pos] == "//www.")
        })
    })
}

/// Runs of `<br>`s mark paragraphs on older pages: the text after a run, up to
/// the next run or block, becomes a `<p>` (Readability's `_replaceBrs`).
fn replace_brs(dom: &mut Dom) {
    let brs: Vec<u32> = dom
        .descendants(dom.body)
        .filter(|&d| dom.tag(d) == Tag::Br)
        .collect();
    let next_significant = |dom: &Dom, mut n: u32| {
        while n != NONE && dom.tag(n) == Tag::Text && dom.text_of(n).trim().is_empty() {
            n = dom.node(n).next;
        }
        n
    };
    for br in brs {
        if dom.node(br).parent == NONE {
            continue;
        }
        let mut next = next_significant(dom, dom.node(br).next);
        let mut replaced = false;
        while next != NONE && dom.tag(next) == Tag::Br {
            replaced = true;
            let after = dom.node(next).next;
            dom.detach(next);
            next = next_significant(dom, after);
        }
        if !replaced {
            continue;
        }
        let p = dom.create(Tag::P);
        dom.insert_before(br, p);
        dom.detach(br);
        let mut sib = dom.node(p).next;
        while sib != NONE {
            if dom.tag(sib) == Tag::Br {
                let after = next_significant(dom, dom.node(sib).next);
                if after != NONE && dom.tag(after) == Tag::Br {
                    break;
                }
            }
            if !is_phrasing(dom, sib) {
                break;
            }
            let after = dom.node(sib).next;
            dom.append(p, sib);
            sib = after;
        }
        while dom.node(p).last != NONE && is_whitespace(dom, dom.node(p).last) {
            let l = dom.node(p).last;
            dom.detach(l);
        }
        let parent = dom.node(p).parent;
        if parent != NONE && dom.tag(parent) == Tag::P {
            dom.nodes[parent as usize].tag = Tag::Div;
        }
    }
}

fn is_hidden(dom: &Dom, id: u32) -> bool {
    let n = dom.node(id);
    if n.has & (has::HIDDEN | has::STYLE | has::ARIA) == 0 {
        return false;
    }
    if n.has & has::HIDDEN != 0 {
        return true;
    }
    if let Some(style) = dom.attr(id, "style").filter(|_| n.has & has::STYLE != 0) {
        let s = style.to_ascii_lowercase();
        let has = |k: &str, v: &str| {
            s.find(k).is_some_and(|pos| {
                let rest = &s[pos + k.len()..];
                rest.trim_start().strip_prefix(':').is_some_and(|r| {
                    let r = r.split(';').next().unwrap_or("").trim_start();
                    r.split_whitespace().next() == Some(v)
                })
            })
        };
        if has("display", "none") || has("visibility", "hidden") {
            return true;
        }
    }
    n.has & has::ARIA != 0
        && dom.attr(id, "aria-hidden") == Some("true")
        && !n.class.contains("fallback-image")
}

fn is_byline(dom: &Dom, id: u32) -> bool {
    let by_attr = (dom.has(id, has::REL) && dom.attr(id, "rel") == Some("author"))
        || (dom.has(id, has::ITEMPROP)
            && dom
                .attr(id, "itemprop")
                .is_some_and(|p| p.contains("author")));
    if !by_attr {
        let m = match_string(dom, id);
        if !BYLINE.iter().any(|p| m.contains(p)) {
            return false;
        }
    }
    let len = squash_len(dom, id);
    len > 0 && len < 100
}

fn squash_len(dom: &Dom, id: u32) -> usize {
    char_len(&super::squash(&inner_text(dom, id)))
}

pub(super) fn inner_text(dom: &Dom, id: u32) -> String {
    let mut s = String::new();
    if dom.tag(id) == Tag::Text {
        s.push_str(dom.text_of(id));
    }
    for d in dom.descendants(id) {
        if dom.tag(d) == Tag::Text {
            s.push_str(dom.text_of(d));
        }
    }
    s
}

/// Readability's `textSimilarity`: the share of `b`'s words (by length) also in `a`.
pub(super) fn similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    if a.contains(&b) {
        return 1.0;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect()
    };
    let wa: std::collections::HashSet<String> = words(&a).into_iter().collect();
    let wb = words(&b);
    let total: usize = wb.iter().map(|w| w.chars().count()).sum();
    if total == 0 {
        return 0.0;
    }
    let unique: usize = wb
        .iter()
        .filter(|w| !wa.contains(*w))
        .map(|w| w.chars().count())
        .sum();
    1.0 - unique as f64 / total as f64
}

/// Drops hidden nodes, dialogs, the heading that repeats the title and the
/// byline (returned), once for all attempts.
fn pre_filter(dom: &mut Dom, title: &str, byline_known: bool) -> Option<String> {
    let root = dom.body;
    let mut byline = None;
    let mut title_heading = !title.is_empty();
    let mut node = dom.next_in(root, root, false);
    while node != NONE {
        let tag = dom.tag(node);
        if tag == Tag::Text {
            node = dom.next_in(root, node, true);
            continue;
        }
        let remove = is_hidden(dom, node)
            || tag == Tag::Dialog
            || (dom.has(node, has::ARIA)
                && dom.attr(node, "aria-modal") == Some("true")
                && dom.attr(node, "role") == Some("dialog"));
        if remove {
            let next = dom.next_in(root, node, true);
            dom.detach(node);
            node = next;
            continue;
        }
        if title_heading
            && matches!(tag, Tag::H1 | Tag::H2)
            && similarity(title, &inner_text(dom, node)) > 0.75
        {
            title_heading = false;
            let next = dom.next_in(root, node, true);
            dom.detach(node);
            node = next;
            continue;
        }
        if !byline_known && byline.is_none() && is_byline(dom, node) {
            let name = dom
                .descendants(node)
                .find(|&d| dom.has(d, has::ITEMPROP) && dom.attr(d, "itemprop") == Some("name"))
                .unwrap_or(node);
            byline = Some(super::squash(&inner_text(dom, name)));
            let next = dom.next_in(root, node, true);
            dom.detach(node);
            node = next;
            continue;
        }
        node = dom.next_in(root, node, false);
    }
    byline
}

fn is_unlikely(dom: &Dom, id: u32) -> bool {
    if dom.tag(id) == Tag::A {
        return false;
    }
    let n = dom.node(id);
    if n.class.is_empty() && n.id.is_empty() {
        return false;
    }
    let m = match_string(dom, id);
    UNLIKELY_RE.is_match(&m)
        && !MAYBE_RE.is_match(&m)
        && !dom.has_ancestor(id, |a| matches!(a.tag, Tag::Table | Tag::Code))
}

fn without_content(dom: &Dom, id: u32) -> bool {
    if has_text(dom, id) {
        return false;
    }
    let elements = dom.elements(id).count();
    elements == 0
        || elements
            == dom
                .descendants(id)
                .filter(|&d| matches!(dom.tag(d), Tag::Br | Tag::Hr))
                .count()
}

/// Wraps runs of inline content directly in a `<div>` into `<p>`s.
fn div_into_p(dom: &mut Dom, div: u32) {
    let mut child = dom.node(div).first;
    let mut p = NONE;
    while child != NONE {
        let next = dom.node(child).next;
        if is_phrasing(dom, child) {
            if p != NONE {
                dom.append(p, child);
            } else if !is_whitespace(dom, child) {
                p = dom.create(Tag::P);
                dom.insert_before(child, p);
                dom.append(p, child);
            }
        } else if p != NONE {
            trim_trailing_whitespace(dom, p);
            p = NONE;
        }
        child = next;
    }
    if p != NONE {
        trim_trailing_whitespace(dom, p);
    }
}

fn trim_trailing_whitespace(dom: &mut Dom, p: u32) {
    while dom.node(p).last != NONE && is_whitespace(dom, dom.node(p).last) {
        let l = dom.node(p).last;
        dom.detach(l);
    }
}

fn single_p_child(dom: &Dom, id: u32) -> Option<u32> {
    let mut only = None;
    for c in dom.children(id) {
        match dom.tag(c) {
            Tag::Text if dom.text_of(c).trim().is_empty() => {}
            Tag::Text => return None,
            Tag::P if only.is_none() => only = Some(c),
            _ => return None,
        }
    }
    only
}

/// Readability's `DIV_TO_P_ELEMS`: what keeps a `<div>` from being a paragraph.
fn is_block_element(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Blockquote
            | Tag::Dl
            | Tag::Div
            | Tag::Img
            | Tag::Ol
            | Tag::P
            | Tag::Pre
            | Tag::Table
            | Tag::Ul
    )
}

fn has_block_child(dom: &Dom, id: u32) -> bool {
    dom.descendants(id).any(|d| is_block_element(dom.tag(d)))
}

/// Readability's `_grabArticle` for one set of flags: returns the article's
/// container (a new `<div>`).
fn grab(dom: &mut Dom, flags: Flags) -> u32 {
    let root = dom.body;
    let mut to_score: Vec<u32> = Vec::new();
    let mut node = dom.next_in(root, root, false);
    while node != NONE {
        let tag = dom.tag(node);
        if tag == Tag::Text {
            node = dom.next_in(root, node, true);
            continue;
        }
        if flags.strip_unlikely
            && (is_unlikely(dom, node)
                || (dom.has(node, has::ROLE)
                    && dom
                        .attr(node, "role")
                        .is_some_and(|r| UNLIKELY_ROLES.contains(&r))))
        {
            let next = dom.next_in(root, node, true);
            dom.detach(node);
            node = next;
            continue;
        }
        if (matches!(tag, Tag::Div | Tag::Section | Tag::Header) || tag.is_heading())
            && without_content(dom, node)
        {
            let next = dom.next_in(root, node, true);
            dom.detach(node);
            node = next;
            continue;
        }
        if matches!(
            tag,
            Tag::Section
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
                | Tag::P
                | Tag::Td
                | Tag::Pre
        ) {
            to_score.push(node);
        }
        if tag == Tag::Div {
            div_into_p(dom, node);
            let single = single_p_child(dom, node)
                .filter(|_| link_density(dom, node, chars(dom, node)) < 0.25);
            if let Some(p) = single {
                dom.insert_before(node, p);
                dom.detach(node);
                to_score.push(p);
                node = p;
            } else if !has_block_child(dom, node) {
                dom.nodes[node as usize].tag = Tag::P;
                to_score.push(node);
            }
        }
        node = dom.next_in(root, node, false);
    }

    let counts = Counts::of(dom, root);
    let n = dom.nodes.len();
    let mut score = vec![0f32; n];
    let mut scored = vec![false; n];
    let mut candidates: Vec<u32> = Vec::new();
    for &el in &to_score {
        let parent = dom.node(el).parent;
        if parent == NONE {
            continue;
        }
        let len = counts.chars[el as usize];
        if len < 25 {
            continue;
        }
        let content = (2 + commas(dom, el) + (len as usize / 100).min(3)) as f32;
        let mut anc = parent;
        let mut level = 0usize;
        while anc != NONE && level < 5 {
            if dom.node(anc).parent == NONE {
                break;
            }
            if !scored[anc as usize] {
                scored[anc as usize] = true;
                score[anc as usize] = initial_score(dom, anc, flags);
                candidates.push(anc);
            }
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => (l * 3) as f32,
            };
            score[anc as usize] += content / divider;
            if anc == root {
                break;
            }
            anc = dom.node(anc).parent;
            level += 1;
        }
    }
    for &c in &candidates {
        if score[c as usize] > MIN_SCORE_TO_ADJUST {
            score[c as usize] *= 1.0 - counts.density(c);
        }
    }
    candidates.retain(|&c| score[c as usize] > 0.0);
    candidates.sort_by(|a, b| score[*b as usize].total_cmp(&score[*a as usize]));
    candidates.truncate(TOP_CANDIDATES);

    let article = dom.create(Tag::Div);
    let mut top = candidates.first().copied().unwrap_or(NONE);
    if top == NONE || top == root {
        // No candidate: the whole body is the article.
        let children: Vec<u32> = dom.children(root).collect();
        for c in children {
            dom.append(article, c);
        }
        dom.append(root, article);
        prep_article(dom, article, flags);
        return article;
    }
    top = common_candidate(dom, top, &candidates, &mut score, &mut scored, flags);
    // The only child of its parent: the parent holds the siblings to join.
    loop {
        let parent = dom.node(top).parent;
        if parent == NONE || parent == root || dom.elements(parent).count() != 1 {
            break;
        }
        top = parent;
    }
    if !scored[top as usize] {
        scored[top as usize] = true;
        score[top as usize] = initial_score(dom, top, flags);
    }
    let top_score = score[top as usize];
    let threshold = (top_score * 0.2).max(10.0);
    let parent = dom.node(top).parent;
    let top_class = dom.node(top).class;
    let siblings: Vec<u32> = dom.elements(parent).collect();
    for s in siblings {
        let append = if s == top {
            true
        } else {
            let bonus = if !top_class.is_empty() && dom.node(s).class == top_class {
                top_score * 0.2
            } else {
                0.0
            };
            if scored[s as usize] && score[s as usize] > 0.0 {
                score[s as usize] + bonus >= threshold
            } else if dom.tag(s) == Tag::P {
                let content = super::squash(&inner_text(dom, s));
                let len = char_len(&content) as u32;
                let ld = link_density(dom, s, len);
                (len > 80 && ld < 0.25)
                    || (len < 80
                        && len > 0
                        && ld == 0.0
                        && (content.ends_with('.') || content.contains(". ")))
            } else {
                false
            }
        };
        if append {
            if !matches!(
                dom.tag(s),
                Tag::Article | Tag::Section | Tag::P | Tag::Ol | Tag::Ul
            ) {
                dom.nodes[s as usize].tag = Tag::Div;
            }
            dom.append(article, s);
        }
    }
    dom.append(parent, article);
    prep_article(dom, article, flags);
    article
}

/// Readability's search for a container of several close top candidates, and
/// its walk up while the parents' scores rise.
fn common_candidate(
    dom: &Dom,
    mut top: u32,
    candidates: &[u32],
    score: &mut [f32],
    scored: &mut [bool],
    flags: Flags,
) -> u32 {
    let top_score = score[top as usize];
    let alternatives: Vec<Vec<u32>> = candidates[1..]
        .iter()
        .filter(|&&c| score[c as usize] / top_score >= 0.75)
        .map(|&c| {
            let mut anc = Vec::new();
            let mut a = dom.node(c).parent;
            while a != NONE {
                anc.push(a);
                a = dom.node(a).parent;
            }
            anc
        })
        .collect();
    if alternatives.len() >= MIN_COMMON_ANCESTORS {
        let mut p = dom.node(top).parent;
        while p != NONE && dom.tag(p) != Tag::Body {
            let lists = alternatives.iter().filter(|a| a.contains(&p)).count();
            if lists >= MIN_COMMON_ANCESTORS {
                top = p;
                break;
            }
            p = dom.node(p).parent;
        }
    }
    if !scored[top as usize] {
        scored[top as usize] = true;
        score[top as usize] = initial_score(dom, top, flags);
    }
    let mut last = score[top as usize];
    let threshold = last / 3.0;
    let mut p = dom.node(top).parent;
    while p != NONE && dom.tag(p) != Tag::Body {
        if !scored[p as usize] {
            p = dom.node(p).parent;
            continue;
        }
        let s = score[p as usize];
        if s < threshold {
            break;
        }
        if s > last {
            top = p;
            break;
        }
        last = s;
        p = dom.node(p).parent;
    }
    top
}

/// Elements of `tags` under `root`, in document order.
fn all_of(dom: &Dom, root: u32, f: impl Fn(Tag) -> bool) -> Vec<u32> {
    dom.descendants(root).filter(|&d| f(dom.tag(d))).collect()
}

fn is_data_table(dom: &Dom, table: u32) -> bool {
    if dom.attr(table, "role") == Some("presentation") || dom.attr(table, "datatable") == Some("0")
    {
        return false;
    }
    if dom.attr(table, "summary").is_some() {
        return true;
    }
    let mut rows = 0usize;
    let mut cols = 0usize;
    for d in dom.descendants(table) {
        match dom.tag(d) {
            Tag::Caption | Tag::Colgroup | Tag::Col | Tag::Tfoot | Tag::Thead | Tag::Th => {
                return true
            }
            Tag::Table => return false,
            Tag::Tr => {
                rows += 1;
                let c: usize = dom
                    .children(d)
                    .filter(|&c| dom.tag(c) == Tag::Td)
                    .map(|c| {
                        dom.attr(c, "colspan")
                            .and_then(|v| v.trim().parse().ok())
                            .unwrap_or(1)
                    })
                    .sum();
                cols = cols.max(c);
            }
            _ => {}
        }
    }
    if rows == 1 || cols == 1 {
        return false;
    }
    rows >= 10 || cols > 4 || rows * cols > 10
}

/// Readability's `_prepArticle`: what is cleaned off the chosen content.
fn prep_article(dom: &mut Dom, article: u32, flags: Flags) {
    // Share bars.
    for el in all_of(dom, article, |t| t != Tag::Text) {
        let n = dom.node(el);
        if n.class.is_empty() && n.id.is_empty() {
            continue;
        }
        let share = |s: &str| {
            s.to_ascii_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .any(|w| w == "share" || w == "sharedaddy")
        };
        if (share(n.class) || share(n.id)) && (chars(dom, el) as usize) < CHAR_THRESHOLD {
            dom.detach(el);
        }
    }
    let data_tables: Vec<u32> = all_of(dom, article, |t| t == Tag::Table)
        .into_iter()
        .filter(|&t| is_data_table(dom, t))
        .collect();
    clean_conditionally(dom, article, flags, &data_tables, |t| {
        matches!(t, Tag::Form | Tag::Fieldset)
    });
    for el in all_of(dom, article, |t| {
        matches!(
            t,
            Tag::Object
                | Tag::Embed
                | Tag::Footer
                | Tag::Link
                | Tag::Aside
                | Tag::Iframe
                | Tag::Input
                | Tag::Select
                | Tag::Button
        )
    }) {
        if matches!(dom.tag(el), Tag::Object | Tag::Embed | Tag::Iframe)
            && is_video_url(dom.node(el).attrs)
        {
            continue;
        }
        dom.detach(el);
    }
    for h in all_of(dom, article, |t| matches!(t, Tag::H1 | Tag::H2)) {
        if class_weight(dom, h, flags) < 0.0 {
            dom.detach(h);
        }
    }
    clean_conditionally(dom, article, flags, &data_tables, |t| {
        matches!(t, Tag::Table | Tag::Ul | Tag::Div)
    });
    for p in all_of(dom, article, |t| t == Tag::P) {
        let media = dom.descendants(p).any(|d| {
            matches!(
                dom.tag(d),
                Tag::Img | Tag::Object | Tag::Embed | Tag::Iframe
            )
        });
        if !media && chars(dom, p) == 0 {
            dom.detach(p);
        }
    }
}

fn in_subtree(dom: &Dom, id: u32, root: u32) -> bool {
    let mut cur = id;
    while cur != NONE {
        if cur == root {
            return true;
        }
        cur = dom.node(cur).parent;
    }
    false
}

/// Readability's `_cleanConditionally`: drops elements of the given tags that
/// look like link lists, image galleries, forms or ads. Last to first, as
/// Readability does, so an element is judged after what it holds.
fn clean_conditionally(
    dom: &mut Dom,
    article: u32,
    flags: Flags,
    data_tables: &[u32],
    which: impl Fn(Tag) -> bool,
) {
    if !flags.clean_conditionally {
        return;
    }
    let targets = all_of(dom, article, which);
    let mut counts = Counts::of(dom, article);
    for &el in targets.iter().rev() {
        if !in_subtree(dom, el, article) {
            continue;
        }
        if data_tables.contains(&el)
            || dom.has_ancestor(el, |n| n.tag == Tag::Code)
            || data_tables
                .iter()
                .any(|&t| t != el && in_subtree(dom, el, t))
        {
            continue;
        }
        if should_remove(dom, &counts, el, flags) {
            counts.remove(dom, el);
        }
    }
}

fn should_remove(dom: &Dom, counts: &Counts, el: u32, flags: Flags) -> bool {
    let weight = class_weight(dom, el, flags);
    if weight < 0.0 {
        return true;
    }
    let commas = dom
        .descendants(el)
        .filter(|&d| dom.tag(d) == Tag::Text)
        .map(|d| dom.text_of(d).matches(',').count())
        .sum::<usize>();
    if commas >= 10 {
        return false;
    }
    let chars = |id: u32| counts.chars[id as usize];
    let (mut p, mut img, mut li, mut input, mut embeds) = (0f32, 0f32, 0f32, 0f32, 0usize);
    let (mut list_len, mut heading_len, mut textish_len) = (0u32, 0u32, 0u32);
    let mut node = dom.next_in(el, el, false);
    while node != NONE {
        let tag = dom.tag(node);
        match tag {
            Tag::P => p += 1.0,
            Tag::Img => img += 1.0,
            Tag::Li => li += 1.0,
            Tag::Input => input += 1.0,
            Tag::Object | Tag::Embed | Tag::Iframe => {
                if is_video_url(dom.node(node).attrs) {
                    return false;
                }
                embeds += 1;
            }
            _ => {}
        }
        if matches!(tag, Tag::Ul | Tag::Ol) {
            list_len += chars(node);
        }
        if tag.is_heading() {
            heading_len += chars(node);
        }
        // Readability's "textish" elements: its block elements, list items,
        // cells and spans.
        if is_block_element(tag)
            || matches!(tag, Tag::Li | Tag::Td)
            || (tag == Tag::Phrasing && dom.node(node).name.eq_ignore_ascii_case("span"))
        {
            textish_len += chars(node);
        }
        node = dom.next_in(el, node, false);
    }
    let len = chars(el);
    if len <= 16 {
        let low = inner_text(dom, el).trim().to_lowercase();
        let trimmed = low.trim_end_matches(['…', '.']);
        if AD_WORDS.contains(&low.as_str()) || LOADING_WORDS.contains(&trimmed) {
            return true;
        }
    }
    let tag = dom.tag(el);
    let is_list =
        matches!(tag, Tag::Ul | Tag::Ol) || (len > 0 && list_len as f32 / len as f32 > 0.9);
    let link_density = counts.density(el);
    let figure_child = dom.has_ancestor(el, |n| n.tag == Tag::Figure);
    let remove = (!figure_child && img > 1.0 && p / img < 0.5)
        || (!is_list && li - 100.0 > p)
        || (input > (p / 3.0).floor())
        || (!is_list
            && !figure_child
            && len < 25
            && (img == 0.0 || img > 2.0)
            && link_density > 0.0
            && (len == 0 || (heading_len as f32 / len as f32) < 0.9))
        || (!is_list && weight < 25.0 && link_density > 0.2)
        || (weight >= 25.0 && link_density > 0.5)
        || ((embeds == 1 && len < 75) || embeds > 1)
        || (img == 0.0 && textish_len == 0);
    if is_list && remove {
        for c in dom.elements(el) {
            if dom.elements(c).count() > 1 {
                return remove;
            }
        }
        return img != li;
    }
    remove
}

/// The article's text: a blank line between blocks, list items and table rows
/// on their own lines, `<br>` a line break.
pub fn text(dom: &Dom, root: u32) -> String {
    // The separator owed before the next word: 0 none, 1 space, 2 line, 3 blank line.
    fn edge(tag: Tag) -> u8 {
        match tag {
            Tag::Br | Tag::Li | Tag::Tr | Tag::Dt | Tag::Dd | Tag::Option => 2,
            Tag::Td | Tag::Th => 1,
            t if t.is_block() => 3,
            _ => 0,
        }
    }
    let mut out = String::new();
    let mut sep = 0u8;
    let mut node = dom.node(root).first;
    while node != NONE {
        let n = dom.node(node);
        if n.tag == Tag::Text {
            let t = dom.text_of(node);
            if t.starts_with(|c: char| c.is_whitespace()) {
                sep = sep.max(1);
            }
            for w in t.split_whitespace() {
                if !out.is_empty() {
                    out.push_str(match sep {
                        3 => "\n\n",
                        2 => "\n",
                        1 => " ",
                        _ => "",
                    });
                }
                out.push_str(w);
                sep = 1;
            }
            if !t.ends_with(|c: char| c.is_whitespace()) && !t.trim().is_empty() {
                sep = 0;
            }
        } else {
            sep = sep.max(edge(n.tag));
            if n.first != NONE {
                node = n.first;
                continue;
            }
        }
        // On to the next sibling, closing the elements left on the way up.
        let mut cur = node;
        node = NONE;
        while cur != root {
            let c = dom.node(cur);
            if c.tag != Tag::Text {
                sep = sep.max(edge(c.tag));
            }
            if c.next != NONE {
                node = c.next;
                break;
            }
            cur = c.parent;
            if cur == NONE {
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_blocks_lines_and_words_apart() {
        let d = Dom::parse(
            "<div><h2>Head</h2><p>One <b>bold</b> word.</p><ul><li>a</li><li>b</li></ul>\
             <p>x<br>y</p><table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table></div>",
        );
        assert_eq!(
            text(&d, d.body),
            "Head\n\nOne bold word.\n\na\nb\n\nx\ny\n\n1 2\n3"
        );
    }

    #[test]
    fn picks_the_article_over_navigation_and_comments() {
        let para = "<p>The council voted on Tuesday to rebuild the harbour wall, which was damaged in the winter storms, at a cost of four million euros.</p>";
        let html = format!(
            "<html><head><title>Harbour wall to be rebuilt</title></head><body>\
             <div class=menu><a href=/>Home</a> <a href=/news>News</a></div>\
             <div class=article-body><h1>Harbour wall to be rebuilt</h1>{}</div>\
             <div id=comments><p>Great news, finally, at last, about time, well done, council.</p></div>\
             </body></html>",
            para.repeat(6)
        );
        let d = Dom::parse(&html);
        let e = extract(d, "Harbour wall to be rebuilt", false);
        assert_eq!(e.text.matches("harbour wall").count(), 6, "{}", e.text);
        assert!(!e.text.contains("Home"), "{}", e.text);
        assert!(!e.text.contains("Great news"), "{}", e.text);
    }
}
