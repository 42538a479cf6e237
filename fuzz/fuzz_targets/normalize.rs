//! Fuzzes the normalizer's entry point: any bytes under any file name must give a
//! result or a `StageError`, never a panic, and a result must be well-formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_normalizer::{normalize, rules::RuleSet};
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(RuleSet::builtin);

fuzz_target!(|data: &[u8]| {
    // The first byte picks a file name, so extension-driven paths are covered too.
    let (name, bytes) = match data.split_first() {
        Some((b, rest)) => (["a.txt", "b.html", "c.json", "d", "e.xml"][*b as usize % 5], rest),
        None => ("a.txt", data),
    };
    if let Ok(n) = normalize(bytes, name, &RULES) {
        assert!(!n.body.trim().is_empty(), "a record with an empty body");
        assert!(!n.body.contains("\n\n\n"), "paragraphs separated by more than one blank line");
        if let Some(t) = &n.title {
            assert!(!t.is_empty() && !t.contains('\n'));
        }
    }
});
