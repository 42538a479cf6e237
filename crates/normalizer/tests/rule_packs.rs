//! The shipped rule packs against hand-written boilerplate lines in five languages
//! and ordinary news sentences that share their vocabulary.

use newsflow_normalizer::rules::RuleSet;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    boilerplate: Vec<Line>,
    keep: Vec<Line>,
}

#[derive(Deserialize)]
struct Line {
    text: String,
    lang: String,
    #[serde(default)]
    kind: Option<String>,
}

fn fixture() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/boilerplate/lines.toml"
    );
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn every_listed_boilerplate_line_is_removed_with_its_kind() {
    let rules = RuleSet::builtin();
    let mut misses = Vec::new();
    for l in &fixture().boilerplate {
        match rules.find(&l.text, true, None) {
            Some(m) if Some(&m.rule.kind) == l.kind.as_ref() => {}
            Some(m) => misses.push(format!(
                "[{}] {:?}: kind {} (rule {}), expected {:?}",
                l.lang, l.text, m.rule.kind, m.rule.id, l.kind
            )),
            None => misses.push(format!("[{}] {:?}: no rule matched", l.lang, l.text)),
        }
    }
    assert!(
        misses.is_empty(),
        "{} missed:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn ordinary_news_sentences_are_kept() {
    let rules = RuleSet::builtin();
    let hits: Vec<String> = fixture()
        .keep
        .iter()
        .filter_map(|l| {
            rules
                .find(&l.text, true, None)
                .map(|m| format!("[{}] {:?} removed by {}", l.lang, l.text, m.rule.id))
        })
        .collect();
    assert!(
        hits.is_empty(),
        "{} news sentences removed:\n{}",
        hits.len(),
        hits.join("\n")
    );
}

#[test]
fn the_fixture_covers_enough_languages_and_kinds() {
    let f = fixture();
    assert!(
        f.boilerplate.len() >= 45,
        "only {} boilerplate lines",
        f.boilerplate.len()
    );
    for lang in ["en", "de", "fr", "es", "it"] {
        let n = f.boilerplate.iter().filter(|l| l.lang == lang).count();
        assert!(n >= 5, "only {n} boilerplate lines in {lang}");
        let k = f.keep.iter().filter(|l| l.lang == lang).count();
        assert!(k >= 3, "only {k} keep sentences in {lang}");
    }
    let kinds: std::collections::BTreeSet<_> = f
        .boilerplate
        .iter()
        .filter_map(|l| l.kind.clone())
        .collect();
    for kind in [
        "browser-warning",
        "comment-form",
        "republication-disclaimer",
        "video-caption",
        "cookie-consent",
        "newsletter",
        "share-bar",
        "advertisement",
        "related-links",
        "copyright",
        "app-prompt",
        "paywall",
    ] {
        assert!(kinds.contains(kind), "no fixture line of kind {kind}");
    }
}
