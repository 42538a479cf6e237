//! `newsflow eval boilerplate DIR`: line-level precision and recall of the kept
//! lines, and word-level F1 of the body, on a labeled set of documents.
//!
//! Label format (one document per `*.txt`, see `tests/fixtures/boilerplate/eval/`):
//! `@language xx` and `@source name` headers, then every line prefixed with `+|`
//! (keep), `-|` (remove), `T|` title, `B|` byline, `D|` dateline, `?|` either; an
//! empty line is an empty line. The raw document is the lines without prefixes.

use newsflow_normalizer::learned::{LearnConfig, Learned, MemoryLines};
use newsflow_normalizer::{normalize_with, rules::RuleSet, structure::Layers};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// One labeled document.
#[derive(Debug, Clone)]
pub struct Labeled {
    pub name: String,
    pub language: String,
    pub source: String,
    pub raw: String,
    pub keep: Vec<String>,
    pub remove: Vec<String>,
    pub either: Vec<String>,
    pub title: Option<String>,
}

/// Parses one labeled file; errors name the file and line.
pub fn parse(name: &str, text: &str) -> Result<Labeled, String> {
    let mut doc = Labeled {
        name: name.to_string(),
        language: String::new(),
        source: String::new(),
        raw: String::new(),
        keep: Vec::new(),
        remove: Vec::new(),
        either: Vec::new(),
        title: None,
    };
    for (i, line) in text.lines().enumerate() {
        if let Some(v) = line.strip_prefix("@language ") {
            doc.language = v.trim().to_string();
            continue;
        }
        if let Some(v) = line.strip_prefix("@source ") {
            doc.source = v.trim().to_string();
            continue;
        }
        if line.is_empty() {
            doc.raw.push('\n');
            continue;
        }
        let (label, content) = line
            .split_at_checked(2)
            .ok_or_else(|| format!("{name}:{}: a line without a label", i + 1))?;
        doc.raw.push_str(content);
        doc.raw.push('\n');
        let content = content.trim().to_string();
        match label {
            "+|" => doc.keep.push(strip_date_prefix(&content)),
            "-|" => doc.remove.push(content),
            "?|" => doc.either.push(content),
            "T|" => doc.title = Some(content),
            "B|" | "D|" => {}
            other => return Err(format!("{name}:{}: unknown label {other:?}", i + 1)),
        }
    }
    Ok(doc)
}

/// A `date 2022-01-20 ` prefix is metadata: the body line is the rest.
fn strip_date_prefix(line: &str) -> String {
    let body = line.strip_prefix("date ").and_then(|rest| {
        let (date, body) = rest.split_once(' ')?;
        let iso = date.len() == 10
            && date.chars().enumerate().all(|(i, c)| match i {
                4 | 7 => c == '-',
                _ => c.is_ascii_digit(),
            });
        iso.then_some(body.trim_start())
    });
    body.unwrap_or(line).to_string()
}

/// Counts over a set of documents.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Score {
    pub documents: usize,
    /// Kept lines that should be kept.
    pub kept_right: usize,
    /// Kept lines that should have gone.
    pub kept_wrong: usize,
    /// Lines to keep that were removed (or lifted).
    pub lost: usize,
    pub word_tp: usize,
    pub word_fp: usize,
    pub word_fn: usize,
    pub titles_right: usize,
    pub titles_labeled: usize,
}

impl Score {
    pub fn precision(&self) -> f64 {
        ratio(self.kept_right, self.kept_right + self.kept_wrong)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.kept_right, self.kept_right + self.lost)
    }
    pub fn word_f1(&self) -> f64 {
        let p = ratio(self.word_tp, self.word_tp + self.word_fp);
        let r = ratio(self.word_tp, self.word_tp + self.word_fn);
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, o: &Score) {
        self.documents += o.documents;
        self.kept_right += o.kept_right;
        self.kept_wrong += o.kept_wrong;
        self.lost += o.lost;
        self.word_tp += o.word_tp;
        self.word_fp += o.word_fp;
        self.word_fn += o.word_fn;
        self.titles_right += o.titles_right;
        self.titles_labeled += o.titles_labeled;
    }
}

pub(crate) fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

/// Scores the normalizer on one document, and lists its mistakes.
pub fn score(
    doc: &Labeled,
    rules: &RuleSet,
    layers: Layers,
    learned: Option<&Learned>,
) -> (Score, Vec<String>) {
    let mut s = Score {
        documents: 1,
        ..Score::default()
    };
    let mut mistakes = Vec::new();
    let (kept, title): (Vec<String>, Option<String>) =
        match normalize_with(doc.raw.as_bytes(), &doc.name, rules, layers, learned) {
            Ok(n) => (
                n.body.split("\n\n").map(|p| p.trim().to_string()).collect(),
                n.title,
            ),
            Err(e) => {
                mistakes.push(format!("{}: refused: {e}", doc.name));
                (Vec::new(), None)
            }
        };
    let mut want: HashMap<&str, usize> = HashMap::new();
    for k in &doc.keep {
        *want.entry(k.as_str()).or_default() += 1;
    }
    for line in &kept {
        if doc.either.iter().any(|e| e == line) {
            continue;
        }
        match want.get_mut(line.as_str()) {
            Some(n) if *n > 0 => {
                *n -= 1;
                s.kept_right += 1;
            }
            _ => {
                s.kept_wrong += 1;
                mistakes.push(format!("{}: kept boilerplate: {line:?}", doc.name));
            }
        }
    }
    for (line, n) in want {
        s.lost += n;
        if n > 0 {
            mistakes.push(format!("{}: lost body line: {line:?}", doc.name));
        }
    }
    let words = |lines: &[String]| -> HashMap<String, usize> {
        let mut m = HashMap::new();
        for l in lines {
            for w in l.split_whitespace() {
                *m.entry(w.to_string()).or_default() += 1;
            }
        }
        m
    };
    let (got, exp) = (words(&kept), words(&doc.keep));
    for (w, &g) in &got {
        let e = exp.get(w).copied().unwrap_or(0);
        s.word_tp += g.min(e);
        s.word_fp += g.saturating_sub(e);
    }
    for (w, &e) in &exp {
        s.word_fn += e.saturating_sub(got.get(w).copied().unwrap_or(0));
    }
    if let Some(t) = &doc.title {
        s.titles_labeled += 1;
        if title.as_deref() == Some(t.as_str()) {
            s.titles_right += 1;
        } else {
            mistakes.push(format!("{}: title is {title:?}, expected {t:?}", doc.name));
        }
    }
    (s, mistakes)
}

/// One configuration of layers, scored.
#[derive(Debug, Serialize)]
pub struct LayerRun {
    pub layers: &'static str,
    pub total: Score,
    pub by_language: Vec<(String, Score)>,
}

/// The report `newsflow eval boilerplate` prints: each layer added in turn, and the
/// mistakes of the full configuration.
#[derive(Debug, Serialize)]
pub struct Report {
    pub runs: Vec<LayerRun>,
    pub mistakes: Vec<String>,
}

pub fn run(dir: &Path, rules: &RuleSet) -> Result<Report, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(format!("no labeled *.txt documents in {}", dir.display()));
    }
    let mut docs = Vec::new();
    for f in files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text =
            std::fs::read_to_string(&f).map_err(|e| format!("cannot read {}: {e}", f.display()))?;
        docs.push(parse(&name, &text)?);
    }
    let mut runs = Vec::new();
    let mut mistakes = Vec::new();
    for (label, layers, learn) in [
        (
            "rules",
            Layers {
                classifier: false,
                explain: false,
                ..Layers::default()
            },
            false,
        ),
        ("rules + classifier", Layers::default(), false),
        ("rules + classifier + learned", Layers::default(), true),
    ] {
        let mut total = Score::default();
        let mut by_lang: HashMap<String, Score> = HashMap::new();
        mistakes.clear();
        // Documents are fed in name order, as a stream: the learned layer only knows
        // what came before.
        let cfg = LearnConfig::default();
        let memory = MemoryLines::new(1_000_000, &cfg);
        for doc in &docs {
            let learned = Learned {
                memory: &memory,
                source: &doc.source,
                doc: &doc.name,
                cfg,
            };
            let (s, m) = score(doc, rules, layers, learn.then_some(&learned));
            total.add(&s);
            by_lang.entry(doc.language.clone()).or_default().add(&s);
            mistakes.extend(m);
        }
        let mut by_language: Vec<(String, Score)> = by_lang.into_iter().collect();
        by_language.sort_by(|a, b| a.0.cmp(&b.0));
        runs.push(LayerRun {
            layers: label,
            total,
            by_language,
        });
    }
    Ok(Report { runs, mistakes })
}

impl Report {
    pub fn to_text(&self) -> String {
        let line = |name: &str, s: &Score| {
            format!(
                "  {name:<8} {:>4} docs  kept-line precision {:.3}  recall {:.3}  word F1 {:.3}  titles {}/{}\n",
                s.documents,
                s.precision(),
                s.recall(),
                s.word_f1(),
                s.titles_right,
                s.titles_labeled
            )
        };
        let mut out = String::new();
        for run in &self.runs {
            out.push_str(&format!("layers: {}\n", run.layers));
            out.push_str(&line("all", &run.total));
            for (lang, s) in &run.by_language {
                out.push_str(&line(lang, s));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_into_a_raw_document_and_expectations() {
        let doc = parse("x.txt", "@language en\n@source s\nT|Title here\n-|Advertisement\n\n+|date 2022-01-20 Body line one.\n?|Photo: AP\n").unwrap();
        assert_eq!(
            doc.raw,
            "Title here\nAdvertisement\n\ndate 2022-01-20 Body line one.\nPhoto: AP\n"
        );
        assert_eq!(doc.keep, vec!["Body line one."]);
        assert_eq!(doc.remove, vec!["Advertisement"]);
        assert_eq!(doc.title.as_deref(), Some("Title here"));
        assert!(parse("y.txt", "X|bad").is_err());
    }

    #[test]
    fn the_shipped_set_scores_and_counts_every_document() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/boilerplate/eval"
        );
        let r = run(Path::new(dir), &RuleSet::builtin()).unwrap();
        let full = r.runs.last().unwrap();
        assert!(full.total.documents >= 60);
        assert!(full.by_language.len() >= 5);
        // Floors that catch a broken layer, not the targets the README reports.
        assert!(full.total.recall() > 0.95, "{}", r.to_text());
        assert!(
            full.total.precision() > r.runs[0].total.precision(),
            "the classifier must add precision:\n{}",
            r.to_text()
        );
    }

    /// The sets written blind to the code: a change that generalizes worse than
    /// the README's figures fails here (floors a little under them).
    #[test]
    fn the_blind_sets_keep_their_figures() {
        for (set, precision, recall) in [
            ("heldout", 0.93, 0.99),
            ("blind", 0.92, 0.94),
            ("blind2", 0.87, 0.90),
            ("blind3", 0.90, 0.92),
            ("blind4", 0.97, 0.95),
            ("blind5", 0.89, 0.94),
            ("blind6", 0.89, 0.94),
            ("blind7", 0.84, 0.88),
            ("blind8", 0.92, 0.95),
            ("blind9", 0.93, 0.96),
            ("blind10", 0.87, 0.94),
            ("blind11", 0.83, 0.94),
            ("blind12", 0.90, 0.95),
            ("blind13", 0.93, 0.93),
            ("blind14", 0.88, 0.92),
            ("blind15", 0.91, 0.88),
            ("blind16", 0.92, 0.94),
            ("blind17", 0.80, 0.90),
            ("blind18", 0.82, 0.83),
        ] {
            let dir = format!(
                "{}/tests/fixtures/boilerplate/{set}",
                env!("CARGO_MANIFEST_DIR")
            );
            let r = run(Path::new(&dir), &RuleSet::builtin()).unwrap();
            let full = &r.runs.last().unwrap().total;
            assert!(full.documents >= 35, "{set}");
            assert!(
                full.precision() >= precision && full.recall() >= recall,
                "{set}:\n{}",
                r.to_text()
            );
        }
    }
}
