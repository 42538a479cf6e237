//! Fuzzes the enricher's core on any text: language, entities, quotes, dates and
//! key phrases must come back without a panic, and what they report must point
//! into the body (quote and date offsets in range, every entity named and
//! mentioned at least once).
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_enricher::{enrich, EnrichConfig};
use newsflow_record::Record;
use std::sync::LazyLock;

static CFG: LazyLock<EnrichConfig> = LazyLock::new(EnrichConfig::default);
static TEMPLATE: LazyLock<Record> = LazyLock::new(|| Record {
    title: Some("A title of some words here".into()),
    published: Some("2022-01-21".into()),
    ..Record::default()
});

fuzz_target!(
    init: {
        let mut r = TEMPLATE.clone();
        r.body = "“We will not,” Sergei Lavrov said in Geneva on Thursday.".into();
        enrich(&mut r, &CFG);
    },
    |data: &[u8]| {
        let mut r = TEMPLATE.clone();
        r.body = String::from_utf8_lossy(data).into_owned();
        enrich(&mut r, &CFG);
        let chars = r.body.chars().count();
        for q in &r.quotes {
            assert!(q.start <= q.end && q.end <= chars, "quote offsets {q:?}");
        }
        for d in &r.dates {
            assert!(d.start <= d.end && d.end <= chars, "date offsets {d:?}");
        }
        let e = &r.entities;
        for x in e.people.iter().chain(&e.places).chain(&e.organizations) {
            assert!(!x.name.trim().is_empty() && x.mentions >= 1, "entity {x:?}");
        }
    }
);
