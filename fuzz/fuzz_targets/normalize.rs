//! Fuzzes the normalizer's entry point: any bytes under any file name must give a
//! result or a `StageError`, never a panic, and a result must be well-formed.
//! Run it as fuzz/README.md says: an input that takes too long (`-timeout`) is a bug too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsflow_normalizer::{normalize, normalize_items, rules::RuleSet, structure::parse_date, Limits};
use std::sync::LazyLock;

static RULES: LazyLock<RuleSet> = LazyLock::new(RuleSet::builtin);

fuzz_target!(
    // Compile the rule set and the normalizer's lazily built regexes before the
    // first input: that one-time cost (seconds under ASan) is not the input's.
    init: {
        let head = b"Storm hits coast\nBy Jane Doe\nPublished: 2024-03-03\n\nIt rained.\n";
        let _ = normalize(head, "a.txt", &RULES);
        let _ = parse_date("Monday, 3 March 2024");
    },
    |data: &[u8]| {
        // The first byte picks a file name, so extension-driven paths are covered too.
        let (name, bytes) = match data.split_first() {
            Some((b, rest)) => (["a.txt", "b.html", "c.json", "d", "e.xml", "f.jsonl", "g.rss"][*b as usize % 7], rest),
            None => ("a.txt", data),
        };
        let Ok(items) = normalize_items(bytes, name, &RULES, Default::default(), None, Limits::default()) else {
            return;
        };
        assert!(!items.is_empty(), "a file of no items is an error, not an empty list");
        for n in items.into_iter().flatten() {
            assert!(!n.body.trim().is_empty(), "a record with an empty body");
            assert!(!n.body.contains("\n\n\n"), "paragraphs separated by more than one blank line");
            // The body is paragraphs joined by one blank line: each one non-empty,
            // trimmed, and holding no line break of any kind.
            for p in n.body.split("\n\n") {
                assert!(one_trimmed_line(p), "malformed paragraph {p:?}");
            }
            for field in [&n.title, &n.byline].into_iter().flatten() {
                assert!(one_trimmed_line(field), "malformed head field {field:?}");
            }
            if let Some(d) = &n.published {
                assert!(d.len() >= 10 && d.as_bytes()[4] == b'-' && d.as_bytes()[7] == b'-', "{d:?}");
            }
        }
    }
);

/// Non-empty, no surrounding whitespace, no line break (LF, CR, NEL, U+2028/2029).
fn one_trimmed_line(s: &str) -> bool {
    !s.is_empty() && s.trim() == s && !s.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
}
