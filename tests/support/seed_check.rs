//! The seed labels check, shared by the normalizer's core test and the end-to-end
//! tests (included with `#[path]`): a record (as JSON) against `expected.json`.

use serde_json::Value;

/// Problems found comparing `rec` (fields `title`, `byline`, `published`, `body`)
/// with the labels of seed `name`: boilerplate kept, body lines missing or out of
/// order, head fields wrong.
pub fn check(labels: &Value, name: &str, rec: &Value) -> Vec<String> {
    let want = &labels["files"][name];
    let mut problems = Vec::new();
    let body = rec["body"].as_str().unwrap_or_default();
    let paras: Vec<&str> = body.split("\n\n").collect();
    for b in want["boilerplate_lines"].as_array().unwrap() {
        let text = b["text"].as_str().unwrap();
        if body.contains(text) || rec["title"] == text {
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
        if rec[field] != want[field] {
            problems.push(format!(
                "{name}: {field} is {}, expected {}",
                rec[field], want[field]
            ));
        }
    }
    problems
}
