//! `newsflow eval extract`: main-content extraction scored as the public
//! article-extraction benchmark scores it (`score_extract.py`): `\w+` tokens,
//! 4-token shingles as multisets, per-page true/false positives and negatives
//! normalised to sum to 1, precision averaged over pages with a non-empty
//! prediction, recall over pages with a non-empty reference, F1 the harmonic mean
//! of the two averages.

use newsflow_normalizer::html::{self, squash};
use newsflow_normalizer::{normalize_full, rules::RuleSet, structure::Layers, Limits};
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Instant;

/// One page's counts, normalised to sum to 1.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    pub tp: f64,
    pub fp: f64,
    pub fn_: f64,
}

fn tokens(text: &str) -> Vec<&str> {
    static WORD: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\w+").unwrap());
    WORD.find_iter(text).map(|m| m.as_str()).collect()
}

/// 4-token shingles as a multiset; 1 to 3 tokens make one short shingle.
fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let t = tokens(text);
    let mut out = HashMap::new();
    if t.is_empty() {
        return out;
    }
    let n = 4;
    for i in 0..t.len().saturating_sub(n - 1).max(1) {
        let end = (i + n).min(t.len());
        *out.entry(t[i..end].to_vec()).or_insert(0) += 1;
    }
    out
}

pub fn counts(gold: &str, pred: &str) -> Counts {
    let (g, p) = (shingles(gold), shingles(pred));
    let (mut tp, mut fp, mut fn_) = (0.0, 0.0, 0.0);
    for key in g.keys().chain(p.keys().filter(|k| !g.contains_key(*k))) {
        let t = g.get(key).copied().unwrap_or(0) as f64;
        let q = p.get(key).copied().unwrap_or(0) as f64;
        tp += t.min(q);
        fp += (q - t).max(0.0);
        fn_ += (t - q).max(0.0);
    }
    let s = tp + fp + fn_;
    if s > 0.0 {
        (tp, fp, fn_) = (tp / s, fp / s, fn_ / s);
    }
    Counts { tp, fp, fn_ }
}

fn precision(c: Counts) -> f64 {
    if c.fp == 0.0 && c.fn_ == 0.0 {
        1.0
    } else if c.tp == 0.0 && c.fp == 0.0 {
        0.0
    } else {
        c.tp / (c.tp + c.fp)
    }
}

fn recall(c: Counts) -> f64 {
    if c.fp == 0.0 && c.fn_ == 0.0 {
        1.0
    } else if c.tp == 0.0 && c.fn_ == 0.0 {
        0.0
    } else {
        c.tp / (c.tp + c.fn_)
    }
}

pub(crate) fn f1(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// Precision, recall and F1 over pages, the benchmark's way.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Summary {
    pub pages: usize,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub empty_predictions: usize,
}

pub fn summarize(all: &[Counts], empty: usize) -> Summary {
    let ps: Vec<f64> = all
        .iter()
        .filter(|c| c.tp + c.fp > 0.0)
        .map(|c| precision(*c))
        .collect();
    let rs: Vec<f64> = all
        .iter()
        .filter(|c| c.tp + c.fn_ > 0.0)
        .map(|c| recall(*c))
        .collect();
    let mean = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let (p, r) = (mean(&ps), mean(&rs));
    Summary {
        pages: all.len(),
        precision: p,
        recall: r,
        f1: f1(p, r),
        empty_predictions: empty,
    }
}

/// One page of a readability-style gold folder.
#[derive(Debug, Serialize)]
pub struct PageResult {
    pub name: String,
    pub precision: f64,
    pub recall: f64,
    pub title_ok: Option<bool>,
    pub byline_ok: Option<bool>,
    pub date_ok: Option<bool>,
    pub error: Option<String>,
}

/// What `newsflow eval extract` reports.
#[derive(Debug, Serialize)]
pub struct Report {
    pub summary: Summary,
    /// Pages whose metadata has the field, and how many of those we matched.
    pub titles: (usize, usize),
    pub bylines: (usize, usize),
    pub dates: (usize, usize),
    /// Time spent in the normalizer (extraction and the text layers) on the
    /// first pass over the pages, one thread.
    pub seconds: f64,
    /// With more than one pass, the mean time of the later passes.
    pub steady_seconds: Option<f64>,
    pub passes: usize,
    pub bytes: usize,
    pub pages: Vec<PageResult>,
}

/// Scores every `<page>/source.html` of `gold` against its `expected.html`;
/// with `pred_out`, writes each prediction as `<page>.txt` there for
/// `score_extract.py --pred` to check. The normalizer runs `passes` times over
/// the pages (in memory) for the speed figures; the first pass is scored.
pub fn run(
    gold: &Path,
    rules: &RuleSet,
    pred_out: Option<&Path>,
    passes: usize,
) -> Result<Report, String> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(gold)
        .map_err(|e| format!("cannot read {}: {e}", gold.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.html").is_file() && p.join("source.html").is_file())
        .collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(format!(
            "no <page>/source.html with expected.html in {}",
            gold.display()
        ));
    }
    if let Some(out) = pred_out {
        std::fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    }
    let mut all = Vec::new();
    let mut pages = Vec::new();
    let (mut titles, mut bylines, mut dates) = ((0, 0), (0, 0), (0, 0));
    let mut empty = 0;
    let mut loaded = Vec::with_capacity(dirs.len());
    for dir in dirs {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let source = std::fs::read(dir.join("source.html"))
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        loaded.push((dir, name, source));
    }
    let bytes = loaded.iter().map(|(_, _, s)| s.len()).sum();
    // Pass 1 is what a fresh process does; later passes are a daemon's steady
    // state, once the rule packs' lazy DFA has been built for text like this.
    let mut pass_seconds = Vec::with_capacity(passes);
    let mut results = Vec::with_capacity(loaded.len());
    for pass in 0..passes.max(1) {
        let mut seconds = 0.0;
        for (_, _, source) in &loaded {
            let started = Instant::now();
            let result = normalize_full(
                source,
                "source.html",
                rules,
                Layers::default(),
                None,
                Limits::default(),
            );
            seconds += started.elapsed().as_secs_f64();
            if pass == 0 {
                results.push(result);
            }
        }
        pass_seconds.push(seconds);
    }
    for ((dir, name, _), result) in loaded.into_iter().zip(results) {
        let expected = std::fs::read(dir.join("expected.html"))
            .map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let gold_text = html::visible_text(&String::from_utf8_lossy(&expected), false);
        let (pred, n, error) = match result {
            Ok(n) => (n.body.clone(), Some(n), None),
            Err(e) => (String::new(), None, Some(e.message)),
        };
        if tokens(&pred).is_empty() {
            empty += 1;
        }
        if let Some(out) = pred_out {
            std::fs::write(out.join(format!("{name}.txt")), &pred)
                .map_err(|e| format!("cannot write into {}: {e}", out.display()))?;
        }
        let c = counts(&gold_text, &pred);
        all.push(c);
        let meta: serde_json::Value = std::fs::read(dir.join("expected-metadata.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let field = |k: &str| {
            meta.get(k)
                .and_then(|v| v.as_str())
                .map(squash)
                .filter(|s| !s.is_empty())
        };
        let check = |want: Option<String>, got: Option<String>, tally: &mut (usize, usize)| {
            want.map(|w| {
                tally.0 += 1;
                let ok = got.is_some_and(|g| squash(&g) == w);
                tally.1 += usize::from(ok);
                ok
            })
        };
        let title_ok = check(
            field("title"),
            n.as_ref().and_then(|n| n.title.clone()),
            &mut titles,
        );
        let byline_ok = check(
            field("byline"),
            n.as_ref().and_then(|n| n.byline.clone()),
            &mut bylines,
        );
        // Dates: the same calendar day (pages write times in many zones and forms).
        let day = |s: String| s.chars().take(10).collect::<String>();
        let date_ok = check(
            field("publishedTime").map(day),
            n.as_ref().and_then(|n| n.published.clone()).map(day),
            &mut dates,
        );
        pages.push(PageResult {
            name,
            precision: precision(c),
            recall: recall(c),
            title_ok,
            byline_ok,
            date_ok,
            error,
        });
    }
    Ok(Report {
        summary: summarize(&all, empty),
        titles,
        bylines,
        dates,
        seconds: pass_seconds[0],
        steady_seconds: (pass_seconds.len() > 1)
            .then(|| pass_seconds[1..].iter().sum::<f64>() / (pass_seconds.len() - 1) as f64),
        passes: pass_seconds.len(),
        bytes,
        pages,
    })
}

impl Report {
    pub fn to_text(&self, per_page: bool) -> String {
        let s = &self.summary;
        let pct = |(n, ok): (usize, usize)| {
            if n == 0 {
                "n/a".to_string()
            } else {
                format!("{ok}/{n} ({:.0} %)", 100.0 * ok as f64 / n as f64)
            }
        };
        let mut out = format!(
            "pages {}  F1 {:.3}  precision {:.3}  recall {:.3}  empty predictions {}\n\
             metadata: title {}  byline {}  published date {}\n\
             speed: {:.0} pages/s, {:.1} MB/s (normalizer, one thread, {:.2} s)\n",
            s.pages,
            s.f1,
            s.precision,
            s.recall,
            s.empty_predictions,
            pct(self.titles),
            pct(self.bylines),
            pct(self.dates),
            s.pages as f64 / self.seconds.max(1e-9),
            self.bytes as f64 / self.seconds.max(1e-9) / 1e6,
            self.seconds
        );
        if let Some(steady) = self.steady_seconds {
            out.push_str(&format!(
                "speed after the first pass: {:.0} pages/s, {:.1} MB/s (mean of passes 2-{})\n",
                s.pages as f64 / steady.max(1e-9),
                self.bytes as f64 / steady.max(1e-9) / 1e6,
                self.passes
            ));
        }
        if per_page {
            for p in &self.pages {
                out.push_str(&format!(
                    "{}\tP={:.3}\tR={:.3}{}{}\n",
                    p.name,
                    p.precision,
                    p.recall,
                    match p.title_ok {
                        Some(false) => "\ttitle differs",
                        _ => "",
                    },
                    p.error
                        .as_deref()
                        .map(|e| format!("\terror: {e}"))
                        .unwrap_or_default()
                ));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gold_folder_is_scored_and_predictions_written() {
        let dir = tempfile::tempdir().unwrap();
        let page = dir.path().join("gold/storm");
        std::fs::create_dir_all(&page).unwrap();
        let body = "<p>The storm reached the coast on Monday night, bringing winds of up to \
            120 km/h and heavy rain to the harbour towns along the bay.</p>\
            <p>All ferries to the islands were cancelled on Tuesday morning, the operator said, \
            and would resume once the wind dropped below gale force.</p>";
        std::fs::write(
            page.join("source.html"),
            format!(
                "<html><head><title>Storm hits coast</title></head><body>\
                 <nav><a href='/'>Home</a> <a href='/w'>World</a></nav>\
                 <article><h1>Storm hits coast</h1>{body}</article>\
                 <footer>Contact us | Privacy</footer></body></html>"
            ),
        )
        .unwrap();
        std::fs::write(page.join("expected.html"), format!("<div>{body}</div>")).unwrap();
        std::fs::write(
            page.join("expected-metadata.json"),
            r#"{"title": "Storm hits coast"}"#,
        )
        .unwrap();
        let out = dir.path().join("pred");
        let r = run(&dir.path().join("gold"), &RuleSet::builtin(), Some(&out), 2).unwrap();
        assert_eq!(r.summary.pages, 1);
        assert_eq!((r.passes, r.steady_seconds.is_some()), (2, true));
        assert!(r.summary.f1 > 0.99, "{}", r.to_text(true));
        assert_eq!(r.titles, (1, 1));
        let pred = std::fs::read_to_string(out.join("storm.txt")).unwrap();
        assert!(pred.starts_with("The storm reached the coast"), "{pred}");
        assert!(!pred.contains("Privacy"), "{pred}");
    }

    #[test]
    fn the_metric_follows_the_benchmark() {
        let c = counts("a b c d e", "a b c d e");
        assert_eq!((precision(c), recall(c)), (1.0, 1.0));
        // Half the prediction is extra: 2 shingles right, 2 wrong.
        let c = counts("a b c d e", "a b c d e f g");
        assert!((precision(c) - 0.5).abs() < 1e-9, "{c:?}");
        assert!((recall(c) - 1.0).abs() < 1e-9);
        // An empty prediction costs recall, and is left out of precision.
        let s = summarize(&[counts("a b c d", ""), counts("a b c d", "a b c d")], 1);
        assert!((s.precision - 1.0).abs() < 1e-9 && (s.recall - 0.5).abs() < 1e-9);
        // Short texts make one short shingle.
        assert_eq!(shingles("one two").len(), 1);
    }
}
