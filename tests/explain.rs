//! `newsflow explain` and `newsflow eval boilerplate` through the real binary.

mod common;
use common::*;

/// `newsflow explain --json FILE`, which must succeed.
fn explain_json(file: &str) -> serde_json::Value {
    let out = std::process::Command::new(BIN)
        .args(["explain", "--json", file])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_shows_every_line_with_its_decision() {
    let seed = format!("{FIXTURES}/seeds/003_45653b3f1caca5f4.txt");
    let v = explain_json(&seed);
    let lines = v["lines"].as_array().unwrap();
    let line = |n: u64| {
        lines
            .iter()
            .find(|l| l["line"] == n)
            .unwrap_or_else(|| panic!("no line {n}: {v}"))
    };
    assert_eq!(line(1)["decision"], "lifted");
    assert_eq!(line(1)["rule"], "title");
    // A video caption, removed by a rule, with the rule's id.
    assert_eq!(line(2)["decision"], "removed");
    assert_eq!(line(2)["rule"], "en.video-caption.reporter");
    // A body line kept by the classifier, with its score and features.
    assert_eq!(line(3)["decision"], "kept");
    assert!(line(3)["score"].as_f64().unwrap() > 0.5);
    assert!(line(3)["features"]["words"].as_u64().unwrap() > 10);
    assert_eq!(lines.len(), 31, "every non-empty line is explained");

    let text = std::process::Command::new(BIN)
        .args(["explain", &seed])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("DROP") && text.contains("KEEP") && text.contains("LIFT"),
        "{text}"
    );
    assert!(
        !text.contains('\x1b'),
        "no colour codes when stdout is not a terminal"
    );
}

#[test]
fn eval_reports_each_layer() {
    let out = std::process::Command::new(BIN)
        .args([
            "eval",
            "boilerplate",
            &format!("{FIXTURES}/boilerplate/eval"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("layers: rules\n") && text.contains("layers: rules + classifier"),
        "{text}"
    );
    assert!(text.contains("kept-line precision"), "{text}");
}

#[test]
fn explain_shows_which_blocks_of_a_page_the_extractor_kept() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><title>Bridge reopens | Ledger</title></head><body>\
         <nav><a href='/'>Home</a> | <a href='/news'>News</a></nav>\
         <article><h1>Bridge reopens</h1>\
         <p>The old bridge over the river reopened on Monday after two years of repairs, the council said in a statement.</p>\
         <p>Traffic will be limited to one lane until the spring, when the last works on the footpath are due to end.</p>\
         </article><footer>Contact us | Privacy policy</footer></body></html>",
    )
    .unwrap();
    let v = explain_json(page.to_str().unwrap());
    assert_eq!(v["format"], "html");
    assert_eq!(v["extraction"]["method"], "readability");
    let blocks = v["extraction"]["blocks"].as_array().unwrap();
    let kept = |needle: &str| {
        blocks
            .iter()
            .find(|b| b["text"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("no block {needle:?}: {v}"))["kept"]
            .clone()
    };
    assert_eq!(kept("The old bridge"), true);
    assert_eq!(kept("Privacy policy"), false);
    assert_eq!(kept("Home"), false);
}

#[test]
fn explain_into_a_closed_pipe_stops_quietly() {
    // `newsflow explain big.txt | head -1`: the reader goes away after one line.
    // The output (~1 MB) is larger than any pipe buffer, so writes must fail.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.txt");
    let body: String = (0..2000)
        .map(|i| format!("Paragraph {i} of a long article, with words enough to keep it.\n"))
        .collect();
    std::fs::write(&file, body).unwrap();
    let mut child = std::process::Command::new(BIN)
        .args(["explain", "--json"])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
