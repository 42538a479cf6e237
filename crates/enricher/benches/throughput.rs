//! Throughput of the enricher's core on ~5 KB news documents.
//!
//! `cargo bench -p newsflow-enricher --bench throughput -- [DOCS]` (default
//! 20,000). Documents are the seed articles' paragraphs (tests/fixtures/seeds)
//! shuffled into ~5 KB bodies; every feature on (language, dates, keywords,
//! entities, quotes), one thread. Prints docs/s overall and the time of each feature.

use newsflow_enricher::{dates, entities, keywords, language, quotes, EnrichConfig, Gazetteer};
use newsflow_record::Record;
use std::time::Instant;

fn main() {
    let docs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seeds");
    let mut paras: Vec<String> = Vec::new();
    for e in std::fs::read_dir(dir).expect("seeds folder").flatten() {
        if e.path().extension().is_some_and(|x| x == "txt") {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            paras.extend(
                text.split("\n\n")
                    .map(str::trim)
                    .filter(|p| p.split_whitespace().count() > 12)
                    .map(str::to_string),
            );
        }
    }
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let bodies: Vec<String> = (0..docs)
        .map(|_| {
            let mut b = String::new();
            while b.len() < 5000 {
                if !b.is_empty() {
                    b.push_str("\n\n");
                }
                b.push_str(&paras[(next() % paras.len() as u64) as usize]);
            }
            b
        })
        .collect();
    let bytes: usize = bodies.iter().map(String::len).sum();
    let cfg = EnrichConfig::default();
    let template = Record {
        published: Some("2022-01-21".into()),
        ..Record::default()
    };
    let t = Instant::now();
    let mut quotes_n = 0;
    for b in &bodies {
        let mut r = template.clone();
        r.body = b.clone();
        newsflow_enricher::enrich(&mut r, &cfg);
        quotes_n += r.quotes.len();
    }
    let all = t.elapsed().as_secs_f64();
    let time = |f: &dyn Fn(&str)| {
        let t = Instant::now();
        for b in &bodies {
            f(b);
        }
        t.elapsed().as_secs_f64() / docs as f64 * 1e6
    };
    println!(
        "enricher, every feature: {:.0} docs/s, {:.1} MB/s ({docs} docs of {:.0} bytes; {quotes_n} quotes)",
        docs as f64 / all,
        bytes as f64 / all / 1e6,
        bytes as f64 / docs as f64
    );
    let gaz = Gazetteer::embedded();
    println!(
        "per document: language {:.0} µs, dates {:.0} µs, keywords {:.0} µs, entities {:.0} µs, quotes with speakers {:.0} µs",
        time(&|b| drop(language(b))),
        time(&|b| drop(dates::mentions(b, Some("2022-01-21")))),
        time(&|b| drop(keywords::keywords(b, Some("en"), 10))),
        time(&|b| drop(entities::analyze(b, Some("en"), &gaz))),
        time(&|b| {
            let (_, m) = entities::analyze(b, Some("en"), &gaz);
            drop(quotes::quotes_with(b, &m))
        }),
    );
}
