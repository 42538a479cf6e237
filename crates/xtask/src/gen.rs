//! The corpus generator: deterministic (seeded) news drops that look like what
//! scrapers leave, so that every stage does its real work.
//!
//! Text: ~5 KB articles (title, often a byline and a date line, 5–12 paragraphs)
//! written by a word-bigram chain trained on the repo's English fixture articles,
//! so that bodies read like news (stopword density, sentence shapes) yet differ
//! from each other; two or three boilerplate lines from the labeled fixtures at
//! random places. 10 % of the documents are exact copies of a recent one and 10 %
//! near copies (new title, one paragraph rewritten, one added).
//! HTML: the same articles inside page templates (head with OpenGraph and JSON-LD,
//! navigation, cookie banner, share bar, figure, related links, newsletter box,
//! comments, footer) padded with inline CSS and JS to 50–500 KB, as real pages are.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::Path;

/// xorshift64*: small, seeded, enough for a corpus.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    pub fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// What the generator learns from the fixtures.
pub struct Material {
    /// word → words seen after it.
    next: HashMap<String, Vec<String>>,
    starts: Vec<String>,
    boilerplate: Vec<String>,
    names: Vec<String>,
}

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"))
}

impl Material {
    pub fn load() -> io::Result<Material> {
        let mut text = String::new();
        let seeds: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(fixtures().join("seeds/expected.json"))?)
                .map_err(io::Error::other)?;
        let mut boilerplate = Vec::new();
        let mut names = Vec::new();
        for f in seeds["files"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            for l in f["body_lines"].as_array().into_iter().flatten() {
                text.push_str(l.as_str().unwrap_or(""));
                text.push('\n');
            }
            for b in f["boilerplate_lines"].as_array().into_iter().flatten() {
                boilerplate.push(b["text"].as_str().unwrap_or("").to_string());
            }
            if let Some(b) = f["byline"].as_str() {
                names.push(b.to_string());
            }
        }
        for dir in ["enrich", "enrich-heldout", "enrich-blind"] {
            let Ok(entries) = fs::read_dir(fixtures().join(dir)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with("en-") && name.ends_with(".txt") {
                    text.push_str(&fs::read_to_string(e.path())?);
                    text.push('\n');
                }
            }
        }
        let lines: toml::Value = toml::from_str(&fs::read_to_string(
            fixtures().join("boilerplate/lines.toml"),
        )?)
        .map_err(io::Error::other)?;
        for b in lines["boilerplate"].as_array().into_iter().flatten() {
            if b["lang"].as_str() == Some("en") {
                boilerplate.push(b["text"].as_str().unwrap_or("").to_string());
            }
        }
        boilerplate.retain(|b| !b.is_empty());
        let mut next: HashMap<String, Vec<String>> = HashMap::new();
        let mut starts = Vec::new();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() < 8 {
                continue;
            }
            for (i, w) in words.iter().enumerate() {
                if (i == 0 || words[i - 1].ends_with('.'))
                    && w.chars().next().is_some_and(char::is_uppercase)
                {
                    starts.push(w.to_string());
                }
                if let Some(n) = words.get(i + 1) {
                    next.entry(w.to_string()).or_default().push(n.to_string());
                }
            }
        }
        names.extend(
            [
                "Maria Keller",
                "James Okafor",
                "Lena Duval",
                "Tom Reyes",
                "Aiko Tanaka",
            ]
            .iter()
            .map(|s| s.to_string()),
        );
        Ok(Material {
            next,
            starts,
            boilerplate,
            names,
        })
    }

    fn sentence_walk(&self, rng: &mut Rng, min_words: usize) -> String {
        let mut out = String::new();
        let mut w = rng.pick(&self.starts).clone();
        let mut n = 0;
        loop {
            out.push_str(&w);
            n += 1;
            let ends = w.ends_with('.') || w.ends_with(".\"") || w.ends_with('?');
            if ends && n >= min_words {
                break;
            }
            if n > min_words * 3 {
                out.push('.');
                break;
            }
            w = match self.next.get(&w) {
                Some(v) if !v.is_empty() => rng.pick(v).clone(),
                _ => rng.pick(&self.starts).clone(),
            };
            out.push(' ');
        }
        out
    }

    fn paragraph(&self, rng: &mut Rng) -> String {
        let mut p = String::new();
        while p.len() < 300 + rng.below(400) {
            if !p.is_empty() {
                p.push(' ');
            }
            p.push_str(&self.sentence_walk(rng, 12));
        }
        p
    }
}

/// One generated article.
#[derive(Clone)]
pub struct Article {
    pub title: String,
    pub byline: Option<String>,
    pub date: Option<String>,
    pub paragraphs: Vec<String>,
    pub boilerplate: Vec<(usize, String)>,
}

impl Article {
    fn new(m: &Material, rng: &mut Rng, i: usize) -> Article {
        let mut paragraphs = Vec::new();
        let target = 4200 + rng.below(1600);
        while paragraphs.iter().map(String::len).sum::<usize>() < target {
            paragraphs.push(m.paragraph(rng));
        }
        let title_words = m.sentence_walk(rng, 6);
        let title: String = title_words
            .trim_end_matches(['.', '?', '"'])
            .split_whitespace()
            .take(12)
            .collect::<Vec<_>>()
            .join(" ");
        let boilerplate = (0..2 + rng.below(2))
            .map(|_| {
                (
                    rng.below(paragraphs.len() + 1),
                    rng.pick(&m.boilerplate).clone(),
                )
            })
            .collect();
        Article {
            title: format!("{title} ({i})"),
            byline: rng.chance(70).then(|| format!("By {}", rng.pick(&m.names))),
            date: rng.chance(60).then(|| {
                format!(
                    "date 2026-{:02}-{:02}",
                    1 + rng.below(11),
                    1 + rng.below(28)
                )
            }),
            paragraphs,
            boilerplate,
        }
    }

    fn near_copy(&self, m: &Material, rng: &mut Rng, i: usize) -> Article {
        let mut a = self.clone();
        a.title = format!("{} – updated ({i})", self.title);
        let k = rng.below(a.paragraphs.len());
        a.paragraphs[k] = m.paragraph(rng);
        a.paragraphs.push(m.paragraph(rng));
        a
    }

    pub fn text(&self) -> String {
        let mut lines = vec![self.title.clone()];
        lines.extend(self.byline.clone());
        lines.extend(self.date.clone());
        let mut body: Vec<String> = self.paragraphs.clone();
        for (at, b) in self.boilerplate.iter().rev() {
            body.insert((*at).min(body.len()), b.clone());
        }
        lines.extend(body);
        lines.join("\n\n") + "\n"
    }

    pub fn html(&self, rng: &mut Rng, i: usize) -> String {
        let esc = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        };
        let date = self
            .date
            .as_deref()
            .map(|d| d.trim_start_matches("date ").to_string())
            .unwrap_or_else(|| "2026-05-04".into());
        let author = self
            .byline
            .as_deref()
            .map(|b| b.trim_start_matches("By ").to_string())
            .unwrap_or_else(|| "Staff".into());
        let mut h = String::with_capacity(300_000);
        h.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        h.push_str(&format!(
            "<title>{} | The Daily Example</title>\n",
            esc(&self.title)
        ));
        h.push_str(&format!(
            "<meta property=\"og:title\" content=\"{}\"><meta property=\"og:site_name\" content=\"The Daily Example\">\n<meta name=\"author\" content=\"{}\"><link rel=\"canonical\" href=\"https://news.example/{i}\">\n",
            esc(&self.title),
            esc(&author)
        ));
        h.push_str(&format!(
            "<script type=\"application/ld+json\">{{\"@context\":\"https://schema.org\",\"@type\":\"NewsArticle\",\"headline\":{},\"author\":{{\"@type\":\"Person\",\"name\":{}}},\"datePublished\":\"{date}T08:00:00Z\"}}</script>\n",
            serde_json::Value::from(self.title.as_str()),
            serde_json::Value::from(author.as_str())
        ));
        // Real pages are mostly CSS and JS: 50–500 KB, log-uniform.
        let target = (50_000f64 * 10f64.powf((rng.next() % 1000) as f64 / 1000.0)) as usize;
        h.push_str("<style>\n");
        let mut k = 0;
        while h.len() < target / 3 {
            h.push_str(&format!(
                ".c{k}-{:x}{{margin:{}px {}px;color:#{:06x};font:{}px/1.4 sans-serif}}\n",
                rng.next() & 0xffff,
                rng.below(40),
                rng.below(40),
                rng.next() & 0xff_ffff,
                10 + rng.below(20)
            ));
            k += 1;
        }
        h.push_str("</style></head>\n<body>\n");
        h.push_str("<div id=\"cookie-banner\" class=\"consent\"><p>We use cookies to improve your experience. By continuing to browse you accept our use of cookies.</p><button>Accept all</button><button>Manage settings</button></div>\n");
        h.push_str("<header><nav><ul>");
        for s in [
            "Home", "World", "Politics", "Business", "Tech", "Science", "Sport", "Culture",
            "Opinion", "Video",
        ] {
            h.push_str(&format!(
                "<li><a href=\"/{}\">{s}</a></li>",
                s.to_lowercase()
            ));
        }
        h.push_str("</ul></nav></header>\n<main><article>\n");
        h.push_str(&format!("<h1>{}</h1>\n", esc(&self.title)));
        h.push_str(&format!(
            "<p class=\"byline\">By <a rel=\"author\" href=\"/authors/{i}\">{}</a> · <time datetime=\"{date}\">{date}</time></p>\n",
            esc(&author)
        ));
        h.push_str("<div class=\"share\"><a href=\"#\">Share on Facebook</a> <a href=\"#\">Share on X</a> <a href=\"#\">Email</a></div>\n");
        for (n, p) in self.paragraphs.iter().enumerate() {
            h.push_str(&format!("<p>{}</p>\n", esc(p)));
            if n == 1 {
                h.push_str("<figure><img src=\"/img/1.jpg\" alt=\"\"><figcaption>Photo: Agency</figcaption></figure>\n");
            }
        }
        h.push_str("</article>\n<aside class=\"related\"><h2>Related articles</h2><ul>");
        for r in 0..8 {
            h.push_str(&format!(
                "<li><a href=\"/story/{}\">{}</a></li>",
                rng.next() % 100_000,
                [
                    "Markets close higher",
                    "Storm warning issued",
                    "Council approves budget",
                    "New stadium plans",
                    "Rail strike talks"
                ][r % 5]
            ));
        }
        h.push_str("</ul></aside>\n<div class=\"newsletter\"><h3>Get the morning briefing</h3><p>Sign up for our newsletter and get the news in your inbox every day.</p><input type=\"email\"><button>Subscribe</button></div>\n");
        h.push_str("<section id=\"comments\"><h2>Comments</h2>");
        for c in 0..3 + rng.below(10) {
            h.push_str(&format!("<div class=\"comment\"><b>reader{c}</b><p>Great article, thanks for sharing.</p><a href=\"#\">Reply</a></div>"));
        }
        h.push_str("</section></main>\n<footer><p>© 2026 The Daily Example. All rights reserved.</p><a href=\"/privacy\">Privacy</a> <a href=\"/terms\">Terms</a></footer>\n<script>\n");
        while h.len() < target {
            h.push_str(&format!(
                "window.__m{k}=function(a,b){{return a*{}+b^{};}};var t{k}=\"{:016x}\";\n",
                rng.below(997),
                rng.below(65_536),
                rng.next()
            ));
            k += 1;
        }
        h.push_str("</script></body></html>\n");
        h
    }
}

/// Text or HTML drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Text,
    Html,
}

/// Writes `docs` drops into `out` (created), named in drop order. Returns bytes written.
pub fn generate(kind: Kind, docs: usize, seed: u64, out: &Path) -> io::Result<u64> {
    fs::create_dir_all(out)?;
    let m = Material::load()?;
    let mut rng = Rng::new(seed);
    let mut recent: Vec<Article> = Vec::new();
    let mut bytes = 0u64;
    for i in 0..docs {
        let roll = rng.below(100);
        let a = if roll < 10 && !recent.is_empty() {
            rng.pick(&recent).clone()
        } else if roll < 20 && !recent.is_empty() {
            let k = rng.below(recent.len());
            recent[k].near_copy(&m, &mut rng, i)
        } else {
            Article::new(&m, &mut rng, i)
        };
        let (name, content) = match kind {
            Kind::Text => (format!("{i:08}.txt"), a.text()),
            Kind::Html => (format!("{i:08}.html"), a.html(&mut rng, i)),
        };
        fs::write(out.join(name), &content)?;
        bytes += content.len() as u64;
        if recent.len() < 1000 {
            recent.push(a);
        } else {
            let k = rng.below(recent.len());
            recent[k] = a;
        }
    }
    Ok(bytes)
}
