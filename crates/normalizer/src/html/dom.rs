//! A light DOM for main-content extraction: an arena of nodes built from
//! [`super::scan`]'s tokens with the few tree-building rules real pages rely on
//! (a block closes an open `<p>`, `<li>` closes `<li>`, a cell closes a cell,
//! an end tag closes what it matches nearby, stray end tags are ignored).
//!
//! Hand-written rather than html5ever: the extractor needs the element tree,
//! classes, ids and text, not a spec-exact tree with namespaces and reference
//! counted nodes; building that was a third of a page's time. Nodes are linked
//! by index (parent, children, siblings), so no depth of nesting uses the stack,
//! and the whole tree is one `Vec` that is cheap to copy for a second attempt.

use super::Token;

/// No node (the end of a sibling chain, the root's parent).
pub const NONE: u32 = u32::MAX;

/// What a node is. Elements the extractor does not tell apart are `Phrasing`
/// (inline: `b`, `em`, `span`, …) or `Other` (unknown, custom elements).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Root,
    Text,
    Body,
    Div,
    Section,
    Article,
    Main,
    Header,
    Footer,
    Nav,
    Aside,
    P,
    A,
    Br,
    Hr,
    Img,
    Picture,
    Figure,
    Figcaption,
    H1,
    H2,
    H3,
    H4,
    H5,
    H6,
    Ul,
    Ol,
    Li,
    Dl,
    Dt,
    Dd,
    Table,
    Thead,
    Tbody,
    Tfoot,
    Tr,
    Td,
    Th,
    Caption,
    Colgroup,
    Col,
    Pre,
    Code,
    Blockquote,
    Form,
    Fieldset,
    Input,
    Select,
    Option,
    Button,
    Iframe,
    Object,
    Embed,
    Link,
    Address,
    Dialog,
    Math,
    DelIns,
    Details,
    Summary,
    Menu,
    Center,
    Hgroup,
    Phrasing,
    Other,
    // Read while building the tree, never in it.
    Html,
    Head,
    Meta,
    Script,
    Title,
    /// Elements whose content is never shown (`style`, `noscript`, `template`,
    /// `textarea`, `svg`).
    Hidden,
}

/// Element names the extractor tells apart (lowercase).
const NAMES: &[(&str, Tag)] = &[
    ("body", Tag::Body),
    ("div", Tag::Div),
    ("section", Tag::Section),
    ("article", Tag::Article),
    ("main", Tag::Main),
    ("header", Tag::Header),
    ("footer", Tag::Footer),
    ("nav", Tag::Nav),
    ("aside", Tag::Aside),
    ("p", Tag::P),
    ("a", Tag::A),
    ("br", Tag::Br),
    ("hr", Tag::Hr),
    ("img", Tag::Img),
    ("picture", Tag::Picture),
    ("figure", Tag::Figure),
    ("figcaption", Tag::Figcaption),
    ("h1", Tag::H1),
    ("h2", Tag::H2),
    ("h3", Tag::H3),
    ("h4", Tag::H4),
    ("h5", Tag::H5),
    ("h6", Tag::H6),
    ("ul", Tag::Ul),
    ("ol", Tag::Ol),
    ("li", Tag::Li),
    ("dl", Tag::Dl),
    ("dt", Tag::Dt),
    ("dd", Tag::Dd),
    ("table", Tag::Table),
    ("thead", Tag::Thead),
    ("tbody", Tag::Tbody),
    ("tfoot", Tag::Tfoot),
    ("tr", Tag::Tr),
    ("td", Tag::Td),
    ("th", Tag::Th),
    ("caption", Tag::Caption),
    ("colgroup", Tag::Colgroup),
    ("col", Tag::Col),
    ("pre", Tag::Pre),
    ("code", Tag::Code),
    ("blockquote", Tag::Blockquote),
    ("form", Tag::Form),
    ("fieldset", Tag::Fieldset),
    ("input", Tag::Input),
    ("select", Tag::Select),
    ("option", Tag::Option),
    ("optgroup", Tag::Option),
    ("button", Tag::Button),
    ("iframe", Tag::Iframe),
    ("object", Tag::Object),
    ("embed", Tag::Embed),
    ("link", Tag::Link),
    ("address", Tag::Address),
    ("dialog", Tag::Dialog),
    ("math", Tag::Math),
    ("del", Tag::DelIns),
    ("ins", Tag::DelIns),
    ("details", Tag::Details),
    ("summary", Tag::Summary),
    ("menu", Tag::Menu),
    ("center", Tag::Center),
    ("hgroup", Tag::Hgroup),
    ("abbr", Tag::Phrasing),
    ("audio", Tag::Phrasing),
    ("b", Tag::Phrasing),
    ("bdo", Tag::Phrasing),
    ("bdi", Tag::Phrasing),
    ("cite", Tag::Phrasing),
    ("data", Tag::Phrasing),
    ("datalist", Tag::Phrasing),
    ("dfn", Tag::Phrasing),
    ("em", Tag::Phrasing),
    ("i", Tag::Phrasing),
    ("kbd", Tag::Phrasing),
    ("label", Tag::Phrasing),
    ("mark", Tag::Phrasing),
    ("meter", Tag::Phrasing),
    ("output", Tag::Phrasing),
    ("progress", Tag::Phrasing),
    ("q", Tag::Phrasing),
    ("ruby", Tag::Phrasing),
    ("rt", Tag::Phrasing),
    ("rp", Tag::Phrasing),
    ("samp", Tag::Phrasing),
    ("small", Tag::Phrasing),
    ("span", Tag::Phrasing),
    ("strong", Tag::Phrasing),
    ("sub", Tag::Phrasing),
    ("sup", Tag::Phrasing),
    ("time", Tag::Phrasing),
    ("var", Tag::Phrasing),
    ("wbr", Tag::Phrasing),
    ("u", Tag::Phrasing),
    ("s", Tag::Phrasing),
    ("strike", Tag::Phrasing),
    ("font", Tag::Phrasing),
    ("big", Tag::Phrasing),
    ("tt", Tag::Phrasing),
    ("nobr", Tag::Phrasing),
    ("video", Tag::Phrasing),
    ("source", Tag::Phrasing),
    ("track", Tag::Phrasing),
    ("map", Tag::Phrasing),
    ("area", Tag::Phrasing),
    ("canvas", Tag::Phrasing),
    ("html", Tag::Html),
    ("head", Tag::Head),
    ("meta", Tag::Meta),
    ("script", Tag::Script),
    ("title", Tag::Title),
    ("style", Tag::Hidden),
    ("noscript", Tag::Hidden),
    ("template", Tag::Hidden),
    ("base", Tag::Meta),
    ("textarea", Tag::Hidden),
    ("svg", Tag::Hidden),
];

/// An element name, lowercased, as one number (names longer than 16 bytes are
/// none of [`NAMES`]).
fn name_key(name: &[u8]) -> Option<u128> {
    if name.len() > 16 {
        return None;
    }
    Some(
        name.iter()
            .fold(0u128, |k, b| (k << 8) | u128::from(b.to_ascii_lowercase())),
    )
}

impl Tag {
    /// Hand-rolled lookup: a `match` on byte strings compiled to a chain of
    /// `memcmp`s, run for every tag of every page.
    pub fn of(name: &str) -> Tag {
        static TABLE: std::sync::LazyLock<Vec<(u128, Tag)>> = std::sync::LazyLock::new(|| {
            let mut t: Vec<(u128, Tag)> = NAMES
                .iter()
                .filter_map(|(n, tag)| Some((name_key(n.as_bytes())?, *tag)))
                .collect();
            t.sort_by_key(|(k, _)| *k);
            t
        });
        let Some(k) = name_key(name.as_bytes()) else {
            return Tag::Other;
        };
        TABLE
            .binary_search_by_key(&k, |(k, _)| *k)
            .map_or(Tag::Other, |i| TABLE[i].1)
    }

    pub fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }

    /// Inline by itself (`a`, `del` and `ins` are inline when their content is).
    pub fn is_phrasing(self) -> bool {
        matches!(
            self,
            Tag::Text
                | Tag::Phrasing
                | Tag::Br
                | Tag::Img
                | Tag::Code
                | Tag::Input
                | Tag::Select
                | Tag::Button
                | Tag::Object
                | Tag::Embed
                | Tag::Math
        )
    }

    /// Starts a new block of text in the output.
    pub fn is_block(self) -> bool {
        !self.is_phrasing() && !matches!(self, Tag::A | Tag::DelIns | Tag::Other)
    }

    fn is_void(self, name: &str) -> bool {
        matches!(
            self,
            Tag::Br | Tag::Hr | Tag::Img | Tag::Input | Tag::Embed | Tag::Link | Tag::Col
        ) || (matches!(self, Tag::Phrasing | Tag::Other)
            && ["wbr", "source", "track", "area", "param", "keygen"]
                .iter()
                .any(|v| v.eq_ignore_ascii_case(name)))
    }

    /// An open `<p>` ends when one of these starts (the HTML spec's list).
    fn closes_p(self) -> bool {
        matches!(
            self,
            Tag::Address
                | Tag::Article
                | Tag::Aside
                | Tag::Blockquote
                | Tag::Details
                | Tag::Dialog
                | Tag::Div
                | Tag::Dl
                | Tag::Fieldset
                | Tag::Figcaption
                | Tag::Figure
                | Tag::Footer
                | Tag::Form
                | Tag::H1
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
                | Tag::Header
                | Tag::Hgroup
                | Tag::Hr
                | Tag::Main
                | Tag::Menu
                | Tag::Nav
                | Tag::Ol
                | Tag::P
                | Tag::Pre
                | Tag::Section
                | Tag::Table
                | Tag::Ul
                | Tag::Li
                | Tag::Dt
                | Tag::Dd
                | Tag::Center
                | Tag::Summary
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Node<'a> {
    pub tag: Tag,
    /// The element's name as written (empty for text).
    pub name: &'a str,
    /// The element's attribute text as written.
    pub attrs: &'a str,
    pub class: &'a str,
    pub id: &'a str,
    /// Which of [`has`]'s attributes the element carries.
    pub has: u8,
    /// For text nodes: a range of [`Dom::text`], entities decoded.
    pub text: (u32, u32),
    pub parent: u32,
    pub first: u32,
    pub last: u32,
    pub prev: u32,
    pub next: u32,
}

/// The page's tree, and what was read from its `<head>` on the way.
#[derive(Clone)]
pub struct Dom<'a> {
    pub nodes: Vec<Node<'a>>,
    /// All text nodes' text, one after another.
    pub text: String,
    pub body: u32,
    /// How deep elements nested (optional end tags aside).
    pub depth: usize,
    /// Elements in the page.
    pub elements: usize,
    /// `<meta>` tags' attribute texts, in order.
    pub metas: Vec<&'a str>,
    /// `<link>` tags' attribute texts, in order.
    pub links: Vec<&'a str>,
    /// The bodies of `<script type="application/ld+json">`.
    pub json_ld: Vec<&'a str>,
    /// The first `<title>`'s text, entities decoded.
    pub title: Option<String>,
    /// `<html lang>`.
    pub lang: Option<&'a str>,
}

/// Calls `f(name, value)` for each attribute in an element's attribute text,
/// values as written (entities are not decoded: class names, ids and URLs
/// rarely carry them); `f` returns false to stop. Hand-written: it runs for
/// every element, where a regex was the cost.
pub fn each_attr<'a>(attrs: &'a str, mut f: impl FnMut(&'a str, &'a str) -> bool) {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let key = &attrs[start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                i = vs;
                i += memchr::memchr(q, &b[vs..]).unwrap_or(b.len() - vs);
                value = &attrs[vs..i];
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = &attrs[vs..i];
            }
        }
        if !key.is_empty() && !f(key, value) {
            return;
        }
        if start == i {
            i += 1;
        }
    }
}

/// The value of attribute `name` (any case) in an element's attribute text.
pub fn attr<'a>(attrs: &'a str, name: &str) -> Option<&'a str> {
    let mut found = None;
    each_attr(attrs, |k, v| {
        if k.eq_ignore_ascii_case(name) {
            found = Some(v);
            false
        } else {
            true
        }
    });
    found
}

/// Attributes the extractor asks about, noted once per element so that most
/// elements are never scanned again ([`Node::has`]).
pub mod has {
    pub const HIDDEN: u8 = 1;
    pub const STYLE: u8 = 2;
    pub const ARIA: u8 = 4;
    pub const ROLE: u8 = 8;
    pub const REL: u8 = 16;
    pub const ITEMPROP: u8 = 32;
    pub const HREF: u8 = 64;
}

/// How far down the stack an end tag or an implied end is looked for: bounds
/// the work of stray end tags on pages thousands of elements deep.
const SCOPE: usize = 64;

impl<'a> Dom<'a> {
    pub fn parse(html: &'a str) -> Dom<'a> {
        let mut dom = Dom {
            nodes: Vec::with_capacity(html.len() / 40),
            text: String::with_capacity(html.len() / 3),
            body: NONE,
            depth: 0,
            elements: 0,
            metas: Vec::new(),
            links: Vec::new(),
            json_ld: Vec::new(),
            title: None,
            lang: None,
        };
        dom.push(Tag::Root, "", "", NONE);
        let mut stack: Vec<u32> = vec![0];
        // Inside an element whose content is never shown: its name and how
        // many of the same name are open inside it.
        let mut skip: Option<(&str, usize)> = None;
        let mut in_head = false;
        // Inside a <script>, and whether it is JSON-LD.
        let mut script: Option<bool> = None;
        let mut in_title = false;
        super::scan(html, |t| match t {
            Token::Open(name, attrs) => {
                if let Some((s, n)) = &mut skip {
                    if s.eq_ignore_ascii_case(name) {
                        *n += 1;
                    }
                    return;
                }
                let tag = Tag::of(name);
                match tag {
                    Tag::Meta => {
                        dom.metas.push(attrs);
                        return;
                    }
                    Tag::Link => {
                        dom.links.push(attrs);
                        return;
                    }
                    Tag::Html => {
                        if dom.lang.is_none() {
                            dom.lang = attr(attrs, "lang").filter(|l| !l.trim().is_empty());
                        }
                        return;
                    }
                    Tag::Head => {
                        in_head = true;
                        return;
                    }
                    Tag::Script => {
                        if !attrs.ends_with('/') {
                            script = Some(attr(attrs, "type").is_some_and(|t| {
                                t.trim().eq_ignore_ascii_case("application/ld+json")
                            }));
                        }
                        return;
                    }
                    Tag::Title => {
                        in_title = dom.title.is_none();
                        return;
                    }
                    Tag::Hidden => {
                        if !attrs.ends_with('/') {
                            skip = Some((name, 0));
                        }
                        return;
                    }
                    Tag::Body => {
                        in_head = false;
                        if dom.body == NONE {
                            dom.body = dom.push(Tag::Body, name, attrs, 0);
                            stack.truncate(1);
                            stack.push(dom.body);
                        }
                        return;
                    }
                    _ => {}
                }
                if in_head {
                    // Content in the head (a missing </head>): the body has begun.
                    if tag == Tag::Other {
                        return;
                    }
                    in_head = false;
                }
                if dom.body == NONE {
                    dom.body = dom.push(Tag::Body, "body", "", 0);
                    stack.push(dom.body);
                }
                dom.elements += 1;
                dom.close_implied(&mut stack, tag);
                let parent = *stack.last().unwrap_or(&dom.body);
                let id = dom.push(tag, name, attrs, parent);
                // `<x/>` is empty for unknown and inline elements (icons, custom
                // elements); on known block elements browsers ignore the slash.
                let empty = attrs.ends_with('/') && matches!(tag, Tag::Other | Tag::Phrasing);
                if !tag.is_void(name) && !empty {
                    stack.push(id);
                    dom.depth = dom.depth.max(stack.len() - 2);
                }
            }
            Token::Close(name) => {
                if let Some((s, n)) = &mut skip {
                    if s.eq_ignore_ascii_case(name) {
                        if *n == 0 {
                            skip = None;
                        } else {
                            *n -= 1;
                        }
                    }
                    return;
                }
                let tag = Tag::of(name);
                match tag {
                    Tag::Head => in_head = false,
                    Tag::Script => script = None,
                    Tag::Title => in_title = false,
                    _ => {}
                }
                if matches!(
                    tag,
                    Tag::Head | Tag::Script | Tag::Title | Tag::Body | Tag::Html | Tag::Meta
                ) {
                    return;
                }
                if tag == Tag::Br {
                    // `</br>` is read as `<br>`, as browsers do.
                    if let Some(&parent) = stack.last().filter(|_| dom.body != NONE) {
                        dom.push(Tag::Br, name, "", parent);
                    }
                    return;
                }
                let floor = stack.len().saturating_sub(SCOPE).max(1);
                for k in (floor..stack.len()).rev() {
                    let n = &dom.nodes[stack[k] as usize];
                    let same = if tag == Tag::Other || tag == Tag::Phrasing {
                        n.name.eq_ignore_ascii_case(name)
                    } else {
                        n.tag == tag
                    };
                    if same {
                        stack.truncate(k);
                        break;
                    }
                    // An end tag does not reach past a table boundary it is not in.
                    if matches!(n.tag, Tag::Table) && !matches!(tag, Tag::Table) {
                        break;
                    }
                }
            }
            Token::Text(s) => {
                if skip.is_some() {
                    return;
                }
                if let Some(ld) = script {
                    if ld {
                        dom.json_ld.push(s);
                    }
                    return;
                }
                if in_title {
                    let t = super::squash(&html_escape::decode_html_entities(s));
                    if !t.is_empty() {
                        dom.title = Some(t);
                    }
                    return;
                }
                if in_head || s.bytes().all(|c| c.is_ascii_whitespace()) && dom.body == NONE {
                    return;
                }
                if dom.body == NONE {
                    dom.body = dom.push(Tag::Body, "body", "", 0);
                    stack.push(dom.body);
                }
                let parent = *stack.last().unwrap_or(&dom.body);
                let start = dom.text.len() as u32;
                if s.contains('&') {
                    dom.text.push_str(&html_escape::decode_html_entities(s));
                } else {
                    dom.text.push_str(s);
                }
                let id = dom.push(Tag::Text, "", "", parent);
                dom.nodes[id as usize].text = (start, dom.text.len() as u32 - start);
            }
        });
        if dom.body == NONE {
            dom.body = dom.push(Tag::Body, "body", "", 0);
        }
        dom
    }

    /// Ends the elements that `tag` starting closes implicitly.
    fn close_implied(&self, stack: &mut Vec<u32>, tag: Tag) {
        let floor = stack.len().saturating_sub(SCOPE).max(2);
        let top = |stack: &Vec<u32>, k: usize| self.nodes[stack[k] as usize].tag;
        let mut pop_to = None;
        match tag {
            Tag::Li | Tag::Dt | Tag::Dd => {
                for k in (floor..stack.len()).rev() {
                    let t = top(stack, k);
                    let hit = match tag {
                        Tag::Li => t == Tag::Li,
                        _ => matches!(t, Tag::Dt | Tag::Dd),
                    };
                    if hit {
                        pop_to = Some(k);
                        break;
                    }
                    if !(t.is_phrasing() || matches!(t, Tag::P | Tag::A | Tag::DelIns)) {
                        break;
                    }
                }
            }
            Tag::Tr | Tag::Td | Tag::Th | Tag::Thead | Tag::Tbody | Tag::Tfoot => {
                for k in (floor..stack.len()).rev() {
                    let t = top(stack, k);
                    if t == Tag::Table {
                        break;
                    }
                    let hit = match tag {
                        Tag::Tr => matches!(t, Tag::Tr | Tag::Td | Tag::Th),
                        Tag::Td | Tag::Th => matches!(t, Tag::Td | Tag::Th),
                        _ => matches!(t, Tag::Thead | Tag::Tbody | Tag::Tfoot | Tag::Tr),
                    };
                    if hit {
                        pop_to = Some(k);
                    }
                    if matches!(t, Tag::Tr | Tag::Thead | Tag::Tbody | Tag::Tfoot) {
                        break;
                    }
                }
            }
            Tag::Option if stack.len() > floor && top(stack, stack.len() - 1) == Tag::Option => {
                pop_to = Some(stack.len() - 1);
            }
            Tag::A => {
                for k in (floor..stack.len()).rev() {
                    let t = top(stack, k);
                    if t == Tag::A {
                        pop_to = Some(k);
                        break;
                    }
                    if !t.is_phrasing() {
                        break;
                    }
                }
            }
            _ => {}
        }
        if let Some(k) = pop_to {
            stack.truncate(k);
        }
        if tag.closes_p() {
            for k in (floor.min(stack.len())..stack.len()).rev() {
                let t = top(stack, k);
                if t == Tag::P {
                    stack.truncate(k);
                    break;
                }
                if !(t.is_phrasing() || matches!(t, Tag::A | Tag::DelIns)) {
                    break;
                }
            }
        }
        if tag.is_heading() {
            if let Some(&last) = stack.last() {
                if self.nodes[last as usize].tag.is_heading() {
                    stack.pop();
                }
            }
        }
    }

    /// Adds a node as `parent`'s last child.
    pub fn push(&mut self, tag: Tag, name: &'a str, attrs: &'a str, parent: u32) -> u32 {
        let id = self.nodes.len() as u32;
        let (mut class, mut idv, mut flags) = ("", "", 0u8);
        if !attrs.is_empty() {
            each_attr(attrs, |k, v| {
                let k = k.as_bytes();
                let is = |n: &[u8]| k.eq_ignore_ascii_case(n);
                if is(b"class") {
                    class = v;
                } else if is(b"id") {
                    idv = v;
                } else if is(b"href") {
                    flags |= has::HREF;
                } else if is(b"style") {
                    flags |= has::STYLE;
                } else if is(b"hidden") {
                    flags |= has::HIDDEN;
                } else if k.len() > 5 && k[..5].eq_ignore_ascii_case(b"aria-") {
                    flags |= has::ARIA;
                } else if is(b"role") {
                    flags |= has::ROLE;
                } else if is(b"rel") {
                    flags |= has::REL;
                } else if is(b"itemprop") {
                    flags |= has::ITEMPROP;
                }
                true
            });
        }
        self.nodes.push(Node {
            tag,
            name,
            attrs,
            class,
            id: idv,
            has: flags,
            text: (0, 0),
            parent: NONE,
            first: NONE,
            last: NONE,
            prev: NONE,
            next: NONE,
        });
        if parent != NONE {
            self.append(parent, id);
        }
        id
    }

    pub fn node(&self, id: u32) -> &Node<'a> {
        &self.nodes[id as usize]
    }

    pub fn tag(&self, id: u32) -> Tag {
        self.nodes[id as usize].tag
    }

    pub fn text_of(&self, id: u32) -> &str {
        let (s, l) = self.nodes[id as usize].text;
        &self.text[s as usize..(s + l) as usize]
    }

    pub fn attr(&self, id: u32, name: &str) -> Option<&'a str> {
        attr(self.nodes[id as usize].attrs, name)
    }

    /// Does element `id` carry one of [`has`]'s attributes?
    pub fn has(&self, id: u32, which: u8) -> bool {
        self.nodes[id as usize].has & which != 0
    }

    /// Takes a node (and its subtree) out of the tree.
    pub fn detach(&mut self, id: u32) {
        let Node {
            parent, prev, next, ..
        } = self.nodes[id as usize];
        if parent == NONE {
            return;
        }
        if prev != NONE {
            self.nodes[prev as usize].next = next;
        } else {
            self.nodes[parent as usize].first = next;
        }
        if next != NONE {
            self.nodes[next as usize].prev = prev;
        } else {
            self.nodes[parent as usize].last = prev;
        }
        let n = &mut self.nodes[id as usize];
        n.parent = NONE;
        n.prev = NONE;
        n.next = NONE;
    }

    /// Moves `id` to the end of `parent`'s children.
    pub fn append(&mut self, parent: u32, id: u32) {
        self.detach(id);
        let last = self.nodes[parent as usize].last;
        {
            let n = &mut self.nodes[id as usize];
            n.parent = parent;
            n.prev = last;
            n.next = NONE;
        }
        if last != NONE {
            self.nodes[last as usize].next = id;
        } else {
            self.nodes[parent as usize].first = id;
        }
        self.nodes[parent as usize].last = id;
    }

    /// Puts `id` just before `before` (under the same parent).
    pub fn insert_before(&mut self, before: u32, id: u32) {
        self.detach(id);
        let Node { parent, prev, .. } = self.nodes[before as usize];
        {
            let n = &mut self.nodes[id as usize];
            n.parent = parent;
            n.prev = prev;
            n.next = before;
        }
        self.nodes[before as usize].prev = id;
        if prev != NONE {
            self.nodes[prev as usize].next = id;
        } else if parent != NONE {
            self.nodes[parent as usize].first = id;
        }
    }

    /// A new element, not yet in the tree.
    pub fn create(&mut self, tag: Tag) -> u32 {
        let name = match tag {
            Tag::P => "p",
            _ => "div",
        };
        self.push(tag, name, "", NONE)
    }

    pub fn children(&self, id: u32) -> Children<'_, 'a> {
        Children {
            dom: self,
            next: self.nodes[id as usize].first,
        }
    }

    /// The element children of `id`.
    pub fn elements(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.children(id).filter(|&c| self.tag(c) != Tag::Text)
    }

    /// The node after `id` in document order, not entering `id`'s children when
    /// `skip_children`, and never leaving `root`'s subtree.
    pub fn next_in(&self, root: u32, id: u32, skip_children: bool) -> u32 {
        let n = &self.nodes[id as usize];
        if !skip_children && n.first != NONE {
            return n.first;
        }
        let mut cur = id;
        while cur != root && cur != NONE {
            let c = &self.nodes[cur as usize];
            if c.next != NONE {
                return c.next;
            }
            cur = c.parent;
        }
        NONE
    }

    /// Every node under `root` (not `root` itself), in document order.
    pub fn descendants(&self, root: u32) -> Descendants<'_, 'a> {
        Descendants {
            dom: self,
            root,
            cur: root,
        }
    }

    /// Is `id` inside an element for which `f` holds (`id` itself excluded)?
    pub fn has_ancestor(&self, id: u32, f: impl Fn(&Node<'a>) -> bool) -> bool {
        let mut cur = self.nodes[id as usize].parent;
        while cur != NONE {
            let n = &self.nodes[cur as usize];
            if f(n) {
                return true;
            }
            cur = n.parent;
        }
        false
    }
}

pub struct Children<'d, 'a> {
    dom: &'d Dom<'a>,
    next: u32,
}

impl Iterator for Children<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.next == NONE {
            return None;
        }
        let id = self.next;
        self.next = self.dom.nodes[id as usize].next;
        Some(id)
    }
}

pub struct Descendants<'d, 'a> {
    dom: &'d Dom<'a>,
    root: u32,
    cur: u32,
}

impl Iterator for Descendants<'_, '_> {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let n = self.dom.next_in(self.root, self.cur, false);
        if n == NONE || n == self.root {
            self.cur = NONE;
            return None;
        }
        self.cur = n;
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(dom: &Dom, id: u32) -> String {
        let n = dom.node(id);
        if n.tag == Tag::Text {
            return dom.text_of(id).to_string();
        }
        let inner: String = dom.children(id).map(|c| shape(dom, c)).collect();
        format!("<{}>{inner}</{}>", n.name, n.name)
    }

    #[test]
    fn implied_ends_and_stray_end_tags() {
        let d = Dom::parse("<p>a<p>b<div>c</span></div><ul><li>x<li>y</ul>");
        assert_eq!(
            shape(&d, d.body),
            "<body><p>a</p><p>b</p><div>c</div><ul><li>x</li><li>y</li></ul></body>"
        );
        let d = Dom::parse("<table><tr><td>1<td>2<tr><td>3</table>");
        assert_eq!(
            shape(&d, d.body),
            "<body><table><tr><td>1</td><td>2</td></tr><tr><td>3</td></tr></table></body>"
        );
    }

    #[test]
    fn head_is_read_not_shown() {
        let d = Dom::parse(
            "<html lang=fr><head><title>T &amp; U</title><meta name=author content=X>\
             <script type=\"application/ld+json\">{}</script><style>p{}</style></head>\
             <body><p>Texte<noscript><p>no</p></noscript></p></body></html>",
        );
        assert_eq!(d.title.as_deref(), Some("T & U"));
        assert_eq!(d.lang, Some("fr"));
        assert_eq!(d.metas, vec![" name=author content=X"]);
        assert_eq!(d.json_ld, vec!["{}"]);
        assert_eq!(shape(&d, d.body), "<body><p>Texte</p></body>");
    }

    #[test]
    fn attributes_as_written() {
        let a = r#" class="lead big" id=main data-x='1 2' hidden"#;
        assert_eq!(attr(a, "class"), Some("lead big"));
        assert_eq!(attr(a, "ID"), Some("main"));
        assert_eq!(attr(a, "data-x"), Some("1 2"));
        assert_eq!(attr(a, "hidden"), Some(""));
        assert_eq!(attr(a, "style"), None);
    }

    #[test]
    fn deep_nesting_uses_no_stack() {
        let html = format!("{}x{}", "<div>".repeat(50_000), "</div>".repeat(50_000));
        let d = Dom::parse(&html);
        assert_eq!(d.depth, 50_000);
        assert_eq!(d.descendants(d.body).count(), 50_001);
    }
}
