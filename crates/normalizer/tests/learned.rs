//! The learned layer over a stream of documents from one source.

use newsflow_normalizer::learned::{LearnConfig, Learned, MemoryLines};
use newsflow_normalizer::structure::Layers;
use newsflow_normalizer::{normalize_with, rules::RuleSet};

const TEMPLATE: [&str; 6] = [
    "Daily Ledger Extra",
    "Get the Morning Brief from The Daily Ledger, free every weekday",
    "Send us your news tips at the city desk",
    "Follow the Ledger on every platform we publish on",
    "Ledger Media Group, Eastgate",
    "More from the metro desk",
];

const WORDS: [&str; 16] = [
    "bridge", "budget", "school", "harbour", "tram", "library", "clinic", "market", "park",
    "tunnel", "museum", "stadium", "airport", "station", "river", "theatre",
];

/// A name made of letters from a number: digits fold to one form, letters do not.
fn name(i: usize) -> String {
    let mut n = i + 27;
    let mut s = String::new();
    while n > 0 {
        s.push((b'a' + (n % 26) as u8) as char);
        n /= 26;
    }
    format!("V{s}")
}

/// A distinct article: its sentences differ in words, not only in numbers (digits
/// fold to one form, so numbers alone would make lines repeat).
fn article(i: usize) -> String {
    let w = |k: usize| WORDS[(i * 7 + k * 3 + i / 16) % WORDS.len()];
    let mut lines = vec![format!("Council backs the {} plan of {}", w(0), name(i))];
    for k in 0..6 {
        lines.push(format!(
            "Officials said the {} near the {} would close while crews repair the {} and the {}, councillor {} said.",
            w(k),
            w(k + 1),
            w(k + 5),
            w(k + 9),
            name(i)
        ));
    }
    // Template lines at the top, between paragraphs and at the end.
    let mut out = vec![TEMPLATE[0].to_string()];
    out.push(lines[0].clone());
    out.extend(lines[1..4].iter().cloned());
    out.push(TEMPLATE[1].to_string());
    out.extend(lines[4..].iter().cloned());
    out.extend(TEMPLATE[2..].iter().map(|s| s.to_string()));
    out.join("\n\n")
}

#[test]
fn two_hundred_documents_sharing_six_template_lines() {
    let rules = RuleSet::builtin();
    let cfg = LearnConfig::default();
    let memory = MemoryLines::new(100_000, &cfg);
    // The classifier is off: this measures the learned layer alone.
    let layers = Layers {
        classifier: false,
        explain: false,
        ..Layers::default()
    };
    for i in 0..200 {
        let doc = format!("doc-{i}");
        let learned = Learned {
            memory: &memory,
            source: "daily-ledger",
            doc: &doc,
            cfg,
        };
        let n = normalize_with(
            article(i).as_bytes(),
            "a.txt",
            &rules,
            layers,
            Some(&learned),
        )
        .unwrap();
        let paras: Vec<&str> = n.body.split("\n\n").collect();
        let body = article(i);
        let expected: Vec<&str> = body
            .split("\n\n")
            .filter(|l| l.starts_with("Officials said"))
            .collect();
        assert_eq!(expected.len(), 6);
        for line in expected {
            assert!(
                paras.contains(&line),
                "doc {i}: body line removed: {line:?}\nremoved: {:?}",
                n.removed
            );
        }
        let kept_template = TEMPLATE.iter().filter(|t| paras.contains(t)).count();
        if i >= cfg.min_documents {
            assert_eq!(kept_template, 0, "doc {i}: template lines kept: {paras:?}");
            assert!(
                n.removed
                    .iter()
                    .filter(|r| r.rule_id.starts_with("learned:"))
                    .count()
                    >= 5
            );
        }
        assert!(
            n.title
                .as_deref()
                .unwrap_or("")
                .starts_with("Council backs the"),
            "doc {i}: {:?}",
            n.title
        );
    }
}

#[test]
fn the_seeds_from_one_source_lose_no_body_line() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/seeds");
    let labels: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/expected.json")).unwrap())
            .unwrap();
    let rules = RuleSet::builtin();
    let cfg = LearnConfig::default();
    let memory = MemoryLines::new(100_000, &cfg);
    // Twice through, as if a second outlet republished them: still no body line goes.
    for round in 0..2 {
        for (name, want) in labels["files"].as_object().unwrap() {
            let doc = format!("{round}-{name}");
            let learned = Learned {
                memory: &memory,
                source: "one-source",
                doc: &doc,
                cfg,
            };
            let bytes = std::fs::read(format!("{dir}/{name}")).unwrap();
            let n =
                normalize_with(&bytes, name, &rules, Layers::default(), Some(&learned)).unwrap();
            for line in want["body_lines"].as_array().unwrap() {
                let line = line.as_str().unwrap();
                assert!(
                    n.body.split("\n\n").any(|p| p == line),
                    "{name} round {round}: lost {line:?}"
                );
            }
        }
    }
}

/// A site updating one article drops it again and again: its subheadings and
/// list items recur in every copy, but they are the story's, not the site's.
#[test]
fn copies_of_one_story_do_not_teach_its_own_short_lines() {
    let rules = RuleSet::builtin();
    let cfg = LearnConfig::default();
    let memory = MemoryLines::new(10_000, &cfg);
    let story = |update: usize| {
        format!(
            "Harbour towns brace for the storm\n\n\
             Winds of up to 120 km/h are expected to reach the coast on Monday night, the weather service said in its update number {update}.\n\n\
             Schools closed\n\n\
             Schools in the three coastal districts will stay shut on Tuesday, the education office announced after a meeting.\n\n\
             Ferries cancelled until Tuesday\n\n\
             All ferries to the islands have been cancelled until Tuesday afternoon, and the harbour road will close at six."
        )
    };
    let layers = Layers {
        classifier: false,
        ..Layers::default()
    };
    for update in 0..6 {
        let doc = format!("doc-{update}");
        let learned = Learned {
            memory: &memory,
            source: "ledger",
            doc: &doc,
            cfg,
        };
        let n = normalize_with(
            story(update).as_bytes(),
            "a.txt",
            &rules,
            layers,
            Some(&learned),
        )
        .unwrap();
        for line in ["Schools closed", "Ferries cancelled until Tuesday"] {
            assert!(
                n.body.contains(line),
                "copy {update} lost {line:?}:\n{}",
                n.body
            );
        }
    }
}
