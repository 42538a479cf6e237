//! Throughput of the normalizer's core, one thread.
//!
//! `cargo bench -p newsflow-normalizer --bench throughput -- [DIR] [DOCS]`
//!
//! Without DIR the documents are the repo's labelled boilerplate sets
//! (tests/fixtures/boilerplate, labels stripped: real-looking pages in seven
//! languages, chrome included), cycled to DOCS (default 5,000). With DIR, every
//! file in it (e.g. `xtask gen --kind text|html`) up to DOCS. Prints docs/s for
//! the whole text path and for its parts: the path with the classifier off,
//! the document language and the rule packs over every line (on a page's
//! extracted text), and for HTML pages the extraction alone.

use newsflow_normalizer::rules::RuleSet;
use newsflow_normalizer::structure::Layers;
use std::path::Path;
use std::time::Instant;

fn fixtures() -> Vec<(String, Vec<u8>)> {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/boilerplate"
    );
    let mut docs = Vec::new();
    let mut sets: Vec<_> = std::fs::read_dir(root)
        .expect("fixture sets")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    sets.sort();
    for set in sets {
        let mut files: Vec<_> = std::fs::read_dir(&set)
            .expect("fixture set")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "txt"))
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            // Labelled lines are `L|text`; the headers start with '@'.
            let body: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with('@'))
                .map(|l| l.split_once('|').map_or(l, |(_, t)| t))
                .collect();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            docs.push((name, body.join("\n\n").into_bytes()));
        }
    }
    docs
}

fn folder(dir: &Path, limit: usize) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.truncate(limit);
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).expect("readable drop"))
        })
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let dir = args.iter().find(|a| Path::new(a).is_dir());
    let limit: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(5_000);
    let docs: Vec<(String, Vec<u8>)> = match dir {
        Some(d) => folder(Path::new(d), limit),
        None => fixtures().into_iter().cycle().take(limit).collect(),
    };
    let n = docs.len();
    assert!(n > 0, "no documents");
    let bytes: usize = docs.iter().map(|(_, b)| b.len()).sum();
    let rules = RuleSet::builtin();
    let timed = |f: &mut dyn FnMut(&str, &[u8])| {
        let t = Instant::now();
        for (name, b) in &docs {
            f(name, b);
        }
        t.elapsed().as_secs_f64()
    };
    // Warm the lazy DFA caches and the stopword tables first.
    for (name, b) in docs.iter().take(200) {
        let _ = newsflow_normalizer::normalize(b, name, &rules);
    }
    let mut failed = 0;
    let all = timed(
        &mut |name, b| match newsflow_normalizer::normalize(b, name, &rules) {
            Ok(_) => {}
            Err(_) => failed += 1,
        },
    );
    println!(
        "normalizer, every layer but the learned one: {:.0} docs/s, {:.1} MB/s \
         ({n} docs of {:.0} bytes on average; {failed} refused)",
        n as f64 / all,
        bytes as f64 / all / 1e6,
        bytes as f64 / n as f64
    );
    let rules_only = Layers {
        classifier: false,
        ..Layers::default()
    };
    let no_class = timed(&mut |name, b| {
        let _ = newsflow_normalizer::normalize_with(b, name, &rules, rules_only, None);
    });
    let raw: Vec<String> = docs
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    // The normalizer tells pages by their content, not their names; the text
    // path's parts then run on a page's extracted text.
    let mut pages = 0;
    let t = Instant::now();
    let texts: Vec<String> = raw
        .into_iter()
        .map(|t| {
            if newsflow_normalizer::html::sniff(&t) {
                pages += 1;
                newsflow_normalizer::html::extract(&t).map_or(t, |p| p.text)
            } else {
                t
            }
        })
        .collect();
    let extract = (pages > 0).then(|| t.elapsed().as_secs_f64() / pages as f64 * 1e6);
    let t = Instant::now();
    let langs: Vec<Option<&str>> = texts
        .iter()
        .map(|text| {
            let sample = newsflow_normalizer::lang::document_sample(text.split('\n'), text);
            newsflow_normalizer::lang::detect_document(&sample).strict
        })
        .collect();
    let lang = t.elapsed().as_secs_f64();
    // Every line against the packs, gated by its document's language as in
    // `structure`.
    let t = Instant::now();
    let mut lines = 0usize;
    for (text, doc_lang) in texts.iter().zip(&langs) {
        for line in text.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
            lines += 1;
            std::hint::black_box(rules.find(line, true, *doc_lang));
        }
    }
    let matching = t.elapsed().as_secs_f64();
    let per = |s: f64| s / n as f64 * 1e6;
    println!(
        "per document: all layers {:.0} µs, classifier off {:.0} µs; document language {:.0} µs, \
         rule packs over every line {:.0} µs ({:.1} µs a line){}",
        per(all),
        per(no_class),
        per(lang),
        per(matching),
        matching / lines.max(1) as f64 * 1e6,
        extract.map_or(String::new(), |us| format!(
            "; HTML extraction alone {us:.0} µs a page ({pages} pages)"
        )),
    );
}
