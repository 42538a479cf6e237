//! `newsflow eval enrich DIR` and `newsflow eval language FILE`: the enricher
//! against hand-labeled data.
//!
//! Enrich: DIR holds `<name>.json` gold files (tests/fixtures/enrich/) naming the
//! people, places, organizations and quotes with speakers of `<name>.txt` (or of
//! the file the gold's `file` field names). Each text goes through the normalizer
//! and the enricher as in the daemon. A gold entity is a list of spellings
//! separated by `|`; a found entity matches it when its canonical name or any form
//! it was written in equals one of them (case folded). Matching is one to one per
//! type, so a person tagged as a place is a miss for people and a false place.
//! A gold quote matches a found quote whose text is the same or contains it (or is
//! contained in it, covering at least 80 % of it); speaker accuracy counts the gold
//! quotes with a speaker whose matched quote names that speaker (or one of the
//! spellings of that entity).
//!
//! Language: a TSV file of `<ISO 639-1>\t<paragraph>` lines
//! (tests/fixtures/lang/news-paragraphs.tsv); accuracy overall and per language.

use crate::eval::ratio;
use crate::eval_extract::f1;
use newsflow_enricher::EnrichConfig;
use newsflow_normalizer::{normalize, rules::RuleSet};
use newsflow_record::{Entity, Record};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

#[derive(Debug, Deserialize)]
struct Gold {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    people: Vec<String>,
    #[serde(default)]
    places: Vec<String>,
    #[serde(default)]
    organizations: Vec<String>,
    #[serde(default)]
    quotes: Vec<GoldQuote>,
}

#[derive(Debug, Deserialize)]
struct GoldQuote {
    text: String,
    speaker: Option<String>,
}

#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Prf {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Prf {
    pub fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    pub fn f1(&self) -> f64 {
        f1(self.precision(), self.recall())
    }
    fn add(&mut self, o: Prf) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

#[derive(Debug, Default, Serialize)]
pub struct EnrichReport {
    pub documents: usize,
    pub people: Prf,
    pub places: Prf,
    pub organizations: Prf,
    pub quotes: Prf,
    /// Gold quotes with a speaker, and how many of them got that speaker.
    pub attributed_quotes: usize,
    pub speakers_right: usize,
    /// Per language of the gold files: people, places, organizations.
    pub by_language: BTreeMap<String, [Prf; 3]>,
    pub mistakes: Vec<String>,
}

impl EnrichReport {
    pub fn speaker_accuracy(&self) -> f64 {
        ratio(self.speakers_right, self.attributed_quotes)
    }

    pub fn to_text(&self, mistakes: bool) -> String {
        let row = |name: &str, p: &Prf| {
            format!(
                "{name:<14} {:>9.3} {:>7.3} {:>7.3}   ({} right, {} false, {} missed)\n",
                p.precision(),
                p.recall(),
                p.f1(),
                p.tp,
                p.fp,
                p.fn_
            )
        };
        let mut s = format!(
            "{} documents\n{:<14} {:>9} {:>7} {:>7}\n",
            self.documents, "", "precision", "recall", "F1"
        );
        s += &row("people", &self.people);
        s += &row("places", &self.places);
        s += &row("organizations", &self.organizations);
        s += &row("quotes", &self.quotes);
        s += &format!(
            "quote speakers: {:.3} ({} of {} attributed gold quotes)\n",
            self.speaker_accuracy(),
            self.speakers_right,
            self.attributed_quotes
        );
        for (lang, [pe, pl, or]) in &self.by_language {
            s += &format!(
                "  {lang}: people F1 {:.3}, places F1 {:.3}, organizations F1 {:.3}\n",
                pe.f1(),
                pl.f1(),
                or.f1()
            );
        }
        if mistakes {
            for m in &self.mistakes {
                s += m;
                s.push('\n');
            }
        }
        s
    }
}

fn fold(s: &str) -> String {
    s.replace('’', "'")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn spellings(gold: &str) -> Vec<String> {
    gold.split('|')
        .map(fold)
        .filter(|s| !s.is_empty())
        .collect()
}

/// One-to-one matching of found entities to gold ones.
fn score(doc: &str, kind: &str, gold: &[String], found: &[Entity], out: &mut Vec<String>) -> Prf {
    let gold: Vec<Vec<String>> = gold.iter().map(|g| spellings(g)).collect();
    let mut used = vec![false; gold.len()];
    let mut p = Prf::default();
    for e in found {
        let names: Vec<String> = std::iter::once(&e.name)
            .chain(e.forms.iter())
            .map(|n| fold(n))
            .collect();
        let hit = gold
            .iter()
            .enumerate()
            .find(|(i, g)| !used[*i] && g.iter().any(|s| names.contains(s)));
        match hit {
            Some((i, _)) => {
                used[i] = true;
                p.tp += 1;
            }
            None => {
                p.fp += 1;
                out.push(format!("{doc}: false {kind}: {} {:?}", e.name, e.forms));
            }
        }
    }
    for (i, g) in gold.iter().enumerate() {
        if !used[i] {
            p.fn_ += 1;
            out.push(format!("{doc}: missed {kind}: {}", g.join(" | ")));
        }
    }
    p
}

fn same_quote(gold: &str, found: &str) -> bool {
    let (g, f) = (fold(gold), fold(found));
    g == f || f.contains(&g) || (g.contains(&f) && f.chars().count() * 5 >= g.chars().count() * 4)
}

/// A record to enrich: the normalizer's fields of `name`.
fn record_of(path: &Path, rules: &RuleSet) -> Result<Record, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = normalize(&bytes, &name, rules)
        .map_err(|e| format!("{}: the normalizer refused it: {e}", path.display()))?;
    Ok(Record {
        id: name.clone(),
        source: newsflow_record::Source {
            file_name: name.clone(),
            path: name,
            bytes: bytes.len() as u64,
            format: n.format,
            encoding: n.encoding.to_string(),
            ..Default::default()
        },
        title: n.title,
        byline: n.byline,
        published: n.published,
        body: n.body,
        ..Default::default()
    })
}

pub fn run_enrich(dir: &Path, rules: &RuleSet, cfg: &EnrichConfig) -> Result<EnrichReport, String> {
    let mut golds: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    golds.sort();
    if golds.is_empty() {
        return Err(format!("no <name>.json gold file in {}", dir.display()));
    }
    let mut rep = EnrichReport::default();
    for gp in golds {
        let doc = gp
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let gold: Gold = serde_json::from_slice(
            &std::fs::read(&gp).map_err(|e| format!("cannot read {}: {e}", gp.display()))?,
        )
        .map_err(|e| format!("{}: not a gold file: {e}", gp.display()))?;
        let text = match &gold.file {
            Some(f) => dir.join(f),
            None => gp.with_extension("txt"),
        };
        let mut r = record_of(&text, rules)?;
        newsflow_enricher::enrich(&mut r, cfg);
        rep.documents += 1;
        let m = &mut rep.mistakes;
        let pe = score(&doc, "person", &gold.people, &r.entities.people, m);
        let pl = score(&doc, "place", &gold.places, &r.entities.places, m);
        let or = score(
            &doc,
            "organization",
            &gold.organizations,
            &r.entities.organizations,
            m,
        );
        rep.people.add(pe);
        rep.places.add(pl);
        rep.organizations.add(or);
        let lang = gold.language.clone().unwrap_or_else(|| "?".into());
        let by = rep.by_language.entry(lang).or_default();
        by[0].add(pe);
        by[1].add(pl);
        by[2].add(or);

        // Quotes of four words or more, as the gold lists them.
        let found: Vec<_> = r
            .quotes
            .iter()
            .filter(|q| q.text.split_whitespace().count() >= 4)
            .collect();
        let mut used = vec![false; found.len()];
        let speaker_ok = |gold_speaker: &str, said: Option<&str>| {
            let Some(said) = said.map(fold) else {
                return false;
            };
            let alts = gold
                .people
                .iter()
                .chain(&gold.organizations)
                .map(|g| spellings(g))
                .find(|s| s.contains(&fold(gold_speaker)))
                .unwrap_or_else(|| vec![fold(gold_speaker)]);
            alts.contains(&said)
        };
        for g in &gold.quotes {
            let hit = (0..found.len()).find(|&i| !used[i] && same_quote(&g.text, &found[i].text));
            if let Some(i) = hit {
                used[i] = true;
                rep.quotes.tp += 1;
            } else {
                rep.quotes.fn_ += 1;
                m.push(format!("{doc}: missed quote: {:?}", g.text));
            }
            if let Some(sp) = &g.speaker {
                rep.attributed_quotes += 1;
                let said = hit.and_then(|i| found[i].speaker.as_deref());
                if speaker_ok(sp, said) {
                    rep.speakers_right += 1;
                } else {
                    m.push(format!(
                        "{doc}: speaker of {:?}: want {sp}, got {said:?}",
                        g.text.chars().take(50).collect::<String>()
                    ));
                }
            }
        }
        for (i, q) in found.iter().enumerate() {
            if !used[i] {
                rep.quotes.fp += 1;
                m.push(format!("{doc}: false quote: {:?}", q.text));
            }
        }
    }
    Ok(rep)
}

#[derive(Debug, Default, Serialize)]
pub struct LanguageReport {
    pub paragraphs: usize,
    pub correct: usize,
    pub undecided: usize,
    pub by_language: BTreeMap<String, (usize, usize)>,
    pub confusions: BTreeMap<String, usize>,
    pub paragraphs_per_second: f64,
}

impl LanguageReport {
    pub fn accuracy(&self) -> f64 {
        ratio(self.correct, self.paragraphs)
    }

    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{} paragraphs, accuracy {:.3} ({} right, {} undecided), {:.0} paragraphs/s\n",
            self.paragraphs,
            self.accuracy(),
            self.correct,
            self.undecided,
            self.paragraphs_per_second
        );
        for (l, (n, ok)) in &self.by_language {
            s += &format!("  {l}: {:.3} ({ok}/{n})\n", ratio(*ok, *n));
        }
        for (c, n) in &self.confusions {
            s += &format!("  confused {c}: {n}\n");
        }
        s
    }
}

pub fn run_language(file: &Path) -> Result<LanguageReport, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let (lang, para) = line.split_once('\t').ok_or_else(|| {
            format!(
                "{} line {}: expected <code>\\t<paragraph>",
                file.display(),
                n + 1
            )
        })?;
        rows.push((lang.trim().to_string(), para.to_string()));
    }
    let mut rep = LanguageReport {
        paragraphs: rows.len(),
        ..Default::default()
    };
    let t = Instant::now();
    let guesses: Vec<Option<String>> = rows
        .iter()
        .map(|(_, p)| newsflow_enricher::language(p).map(|(l, _)| l))
        .collect();
    rep.paragraphs_per_second = rows.len() as f64 / t.elapsed().as_secs_f64().max(1e-9);
    for ((want, _), got) in rows.iter().zip(guesses) {
        let e = rep.by_language.entry(want.clone()).or_default();
        e.0 += 1;
        match got {
            Some(g) if &g == want => {
                rep.correct += 1;
                e.1 += 1;
            }
            Some(g) => *rep.confusions.entry(format!("{want}→{g}")).or_default() += 1,
            None => rep.undecided += 1,
        }
    }
    Ok(rep)
}
