//! The five seed articles (`tests/fixtures/seeds/`) against their hand labels:
//! boilerplate gone, every body line present in order, head fields right.

use newsflow_normalizer::{normalize, rules::RuleSet};
use serde_json::{json, Value};

#[path = "../../../tests/support/seed_check.rs"]
mod seed_check;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seeds");

#[test]
fn seeds_match_their_labels() {
    let labels: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{SEEDS}/expected.json")).unwrap())
            .unwrap();
    let rules = RuleSet::builtin();
    let mut problems = Vec::new();
    for name in labels["files"].as_object().unwrap().keys() {
        let bytes = std::fs::read(format!("{SEEDS}/{name}")).unwrap();
        let got = normalize(&bytes, name, &rules).unwrap_or_else(|e| panic!("{name}: {e}"));
        let rec = json!({"title": got.title, "byline": got.byline, "published": got.published, "body": got.body});
        problems.extend(seed_check::check(&labels, name, &rec));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
