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
static TEMPLATE: LazyLock<Record> = LazyLock::new(|| {
    serde_json::from_str(
        r#"{"id":"x","source":{"file_name":"x","path":"x","bytes":0,"sha256":"","received_at":"",
        "format":"text","encoding":"UTF-8"},"title":"A title of some words here","byline":null,
        "published":"2022-01-21","language":null,"language_confidence":null,"body":"",
        "word_count":0,"reading_time_seconds":0,"boilerplate":{"removed_lines":0,"rules":[]},
        "dedup":{"status":"unique","duplicate_of":null,"similarity":null},
        "pipeline":{"version":"","processed_at":""}}"#,
    )
    .expect("record template")
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
