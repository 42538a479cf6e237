//! The five seed articles (`tests/fixtures/seeds/`) against their hand labels:
//! boilerplate gone, every body line present in order, head fields right.

use newsflow_normalizer::{normalize, rules::RuleSet};
use serde_json::Value;

const SEEDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seeds");

#[test]
fn seeds_match_their_labels() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{SEEDS}/expected.json")).unwrap())
            .unwrap();
    let rules = RuleSet::builtin();
    let mut problems = Vec::new();
    for (name, want) in expected["files"].as_object().unwrap() {
        let bytes = std::fs::read(format!("{SEEDS}/{name}")).unwrap();
        let got = normalize(&bytes, name, &rules).unwrap_or_else(|e| panic!("{name}: {e}"));
        let paras: Vec<&str> = got.body.split("\n\n").collect();
        for b in want["boilerplate_lines"].as_array().unwrap() {
            let text = b["text"].as_str().unwrap();
            if got.body.contains(text) || got.title.as_deref() == Some(text) {
                problems.push(format!("{name}: boilerplate kept: {text:?}"));
            }
        }
        let mut at = 0;
        for line in want["body_lines"].as_array().unwrap() {
            let line = line.as_str().unwrap();
            match paras[at..].iter().position(|p| *p == line) {
                Some(k) => at += k + 1,
                None => problems.push(format!(
                    "{name}: body line missing or out of order: {line:?}"
                )),
            }
        }
        for field in ["title", "byline", "published"] {
            let got_v = match field {
                "title" => got.title.clone(),
                "byline" => got.byline.clone(),
                _ => got.published.clone(),
            };
            let want_v = want[field].as_str().map(str::to_string);
            if got_v != want_v {
                problems.push(format!("{name}: {field} is {got_v:?}, expected {want_v:?}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
