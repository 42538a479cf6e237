//! End to end: HTML pages, gzipped or not, become the same clean records as text.

mod common;
use common::Workspace;

const PAGE: &str = r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbour towns brace for the storm | The Ledger</title>
<link rel="canonical" href="https://ledger.example/2022/01/storm">
<meta property="og:site_name" content="The Ledger">
<meta property="og:title" content="Harbour towns brace for the storm">
<meta property="og:image" content="https://ledger.example/img/storm.jpg">
<meta name="description" content="Winds of up to 120 km/h are expected on Monday night.">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle",
"headline":"Harbour towns brace for the storm","datePublished":"2022-01-20T10:00:00Z",
"dateModified":"2022-01-20T12:30:00Z",
"author":[{"@type":"Person","name":"Jane Doe"},{"@type":"Person","name":"Omar Haddad"}]}</script>
<script>window.tracking = {"id": 1};</script>
<style>.x { color: red }</style>
</head><body>
<header><nav><a href="/">Home</a> | <a href="/news">News</a> | <a href="/sport">Sport</a></nav></header>
<div id="cookie-consent">We use cookies to improve your experience. <button>Accept all</button></div>
<main><article>
<h1>Harbour towns brace for the storm</h1>
<p>Winds of up to 120 km/h are expected to reach the coast on Monday night, the weather service said, with heavy rain across the harbour towns.</p>
<p>All ferries to the islands have been cancelled until Tuesday afternoon, and the harbour road will close at six in the evening.</p>
<h2>Schools closed</h2>
<p>Schools in the three coastal districts will stay shut on Tuesday, the education office announced after a meeting with the emergency services.</p>
<ul><li>Ferries cancelled until Tuesday</li><li>Harbour road closed from 6 pm</li></ul>
<p>"We have moved the boats inland and tied down everything we can," said a fisherman who has worked the harbour for forty years.</p>
</article></main>
<aside class="related"><h3>Most read</h3><ul><li><a href="/a">Council votes on budget</a></li><li><a href="/b">New bridge opens</a></li></ul></aside>
<footer><p>© 2022 The Ledger. All rights reserved.</p></footer>
</body></html>"#;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

#[test]
fn html_pages_plain_gzipped_or_misnamed_become_clean_records() {
    let ws = Workspace::new();
    let inbox = ws.path("inbox");
    std::fs::write(inbox.join("storm.html"), PAGE).unwrap();
    std::fs::write(
        inbox.join("storm-copy.html.gz"),
        gzip(PAGE.replace("forty", "thirty").as_bytes()),
    )
    .unwrap();
    // A scraper that names every drop .txt: the content says HTML.
    std::fs::write(inbox.join("misnamed.txt"), PAGE.replace("forty", "fifty")).unwrap();
    // A page in Windows-1252 that says so in its meta tag.
    let latin = PAGE
        .replace("charset=\"utf-8\"", "charset=\"windows-1252\"")
        .replace("forty years", "forty years in M\u{fc}nster");
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&latin);
    std::fs::write(inbox.join("latin.htm"), &bytes).unwrap();
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("4 records"), "{stdout}");

    let rec = ws.record_for("storm.html");
    assert_eq!(rec["source"]["format"], "html");
    assert_eq!(rec["title"], "Harbour towns brace for the storm");
    assert_eq!(
        rec["authors"],
        serde_json::json!(["Jane Doe", "Omar Haddad"])
    );
    assert_eq!(rec["byline"], "Jane Doe, Omar Haddad");
    assert_eq!(rec["published"], "2022-01-20T10:00:00Z");
    assert_eq!(rec["modified"], "2022-01-20T12:30:00Z");
    assert_eq!(rec["url"], "https://ledger.example/2022/01/storm");
    assert_eq!(rec["site_name"], "The Ledger");
    assert_eq!(rec["image"], "https://ledger.example/img/storm.jpg");
    assert_eq!(rec["language"], "en");
    let body = rec["body"].as_str().unwrap();
    assert!(body.starts_with("Winds of up to 120 km/h"), "{body}");
    assert!(
        body.contains("\n\nSchools closed\n\n"),
        "headings on their own: {body}"
    );
    assert!(body.contains("Ferries cancelled until Tuesday"), "{body}");
    assert!(body.contains("forty years"), "{body}");
    for junk in [
        "Home",
        "cookies",
        "Accept all",
        "Most read",
        "Council votes",
        "All rights reserved",
        "tracking",
        "color",
    ] {
        assert!(!body.contains(junk), "{junk:?} left in: {body}");
    }

    let gz = ws.record_for("storm-copy.html.gz");
    assert_eq!(gz["source"]["format"], "gzip+html");
    assert!(gz["body"].as_str().unwrap().contains("thirty years"));
    assert_eq!(gz["title"], "Harbour towns brace for the storm");

    let txt = ws.record_for("misnamed.txt");
    assert_eq!(txt["source"]["format"], "html");
    assert!(txt["body"].as_str().unwrap().contains("fifty years"));

    let latin = ws.record_for("latin.htm");
    assert_eq!(latin["source"]["encoding"], "windows-1252");
    assert!(
        latin["body"].as_str().unwrap().contains("Münster"),
        "{latin}"
    );
}

#[test]
fn a_gzip_bomb_is_quarantined_not_expanded() {
    let ws = Workspace::with_extra("");
    let cfg = std::fs::read_to_string(ws.config()).unwrap().replace(
        "settle_ms = 200",
        "settle_ms = 200\nmax_decompressed_bytes = 1048576",
    );
    std::fs::write(ws.config(), cfg).unwrap();
    // 100 MB of zeros in about 100 KB.
    std::fs::write(
        ws.path("inbox/bomb.html.gz"),
        gzip(&vec![0u8; 100 * 1024 * 1024]),
    )
    .unwrap();
    std::fs::write(ws.path("inbox/page.html.gz"), gzip(PAGE.as_bytes())).unwrap();
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("1 records") && stdout.contains("1 quarantined"),
        "{stdout}"
    );
    let note = ws.quarantine_note("bomb.html.gz");
    assert_eq!(note["reason"], "too_large", "{note}");
    assert!(
        note["message"]
            .as_str()
            .unwrap()
            .contains("max_decompressed_bytes"),
        "{note}"
    );
}

#[test]
fn scraper_json_items_become_records() {
    let ws = Workspace::new();
    let inbox = ws.path("inbox");
    std::fs::write(
        inbox.join("item.json"),
        serde_json::json!({
            "url": "https://ledger.example/bridge",
            "title": "Bridge reopens after two years",
            "text": "The old bridge over the river reopened on Monday after two years of repairs, the council said.\n\nTraffic will be limited to one lane until the spring.\n\nShare on Facebook",
            "published": "2022-01-20",
            "authors": ["Jane Doe"],
            "source": "The Ledger"
        })
        .to_string(),
    )
    .unwrap();
    // One line of JSON lines, with a whole page as its HTML.
    std::fs::write(
        inbox.join("page.jsonl"),
        format!(
            "{}\n",
            serde_json::json!({"url": "https://ledger.example/storm", "html": PAGE})
        ),
    )
    .unwrap();
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("2 records"), "{stdout}");
    let rec = ws.record_for("item.json");
    assert_eq!(rec["source"]["format"], "json");
    assert_eq!(rec["title"], "Bridge reopens after two years");
    assert_eq!(rec["url"], "https://ledger.example/bridge");
    assert_eq!(rec["published"], "2022-01-20");
    assert_eq!(rec["authors"], serde_json::json!(["Jane Doe"]));
    assert_eq!(rec["site_name"], "The Ledger");
    let body = rec["body"].as_str().unwrap();
    assert!(body.starts_with("The old bridge"), "{body}");
    assert!(
        !body.contains("Share on Facebook"),
        "share bar left in: {body}"
    );

    let page = ws.record_for("page.jsonl");
    assert_eq!(page["source"]["format"], "json");
    assert_eq!(page["title"], "Harbour towns brace for the storm");
    assert_eq!(page["url"], "https://ledger.example/storm");
    assert_eq!(
        page["authors"],
        serde_json::json!(["Jane Doe", "Omar Haddad"])
    );
    assert!(page["body"]
        .as_str()
        .unwrap()
        .starts_with("Winds of up to 120 km/h"));
}

/// An item of a scraper's JSON lines, with text enough to be an article.
fn story(n: usize) -> serde_json::Value {
    serde_json::json!({
        "url": format!("https://ledger.example/quay-{n}"),
        "title": format!("Quay {n} reopens after repairs"),
        "text": format!("The harbour authority reopened quay {n} on Tuesday after three months of repairs to its timber piles.\n\nFishing boats will be allowed back from Wednesday morning, the harbour master said."),
        "tags": ["Harbour", "Local"]
    })
}

#[test]
fn a_jsonl_file_with_a_broken_item_commits_the_others_and_is_quarantined_with_its_position() {
    let ws = Workspace::new();
    let lines = [
        story(1).to_string(),
        r#"{"title": "Cut off by the scraper", "text": "The council"#.to_string(),
        story(3).to_string(),
    ];
    ws.drop_file("batch.jsonl", lines.join("\n").as_bytes());
    // Every item good: one record each, and the file is archived.
    let array = serde_json::json!([story(4), story(5)]).to_string();
    ws.drop_file("pair.json", array.as_bytes());
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("4 records"), "{stdout}");

    let records = ws.records();
    let batch: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["source"]["file_name"] == "batch.jsonl")
        .collect();
    assert_eq!(batch.len(), 2, "{batch:?}");
    let note = ws.quarantine_note("batch.jsonl");
    let claim = note["claim_id"].as_str().unwrap();
    for (r, n) in batch.iter().zip([1, 3]) {
        assert_eq!(r["id"], format!("{claim}.{n}"));
        assert_eq!(r["source"]["item"], n);
        assert_eq!(r["title"], format!("Quay {n} reopens after repairs"));
        assert_eq!(r["url"], format!("https://ledger.example/quay-{n}"));
        assert_eq!(r["categories"], serde_json::json!(["Harbour", "Local"]));
    }
    assert_eq!(note["reason"], "malformed");
    assert_eq!(note["failed_items"].as_array().unwrap().len(), 1);
    assert_eq!(note["failed_items_total"], 1);
    assert_eq!(note["failed_items"][0]["item"], 2);
    assert_eq!(note["failed_items"][0]["id"], format!("{claim}.2"));
    let message = note["failed_items"][0]["message"].as_str().unwrap();
    assert!(message.contains("line 2"), "{message}");
    assert_eq!(
        note["committed_records"],
        serde_json::json!([format!("{claim}.1"), format!("{claim}.3")])
    );
    assert!(ws.files_in("archive").iter().all(|f| f != "batch.jsonl"));

    let pair: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["source"]["file_name"] == "pair.json")
        .collect();
    assert_eq!(pair.len(), 2);
    assert_eq!(pair[0]["source"]["item"], 1);
    assert_eq!(pair[1]["source"]["item"], 2);
    assert_eq!(ws.files_in("archive"), vec!["pair.json".to_string()]);
}

const RSS: &str = r#"<?xml version="1.0" encoding="ISO-8859-1"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>The Ledger</title><link>https://ledger.example/</link><description>News</description>
ITEMS
</channel></rss>"#;

fn rss_item(n: usize) -> String {
    format!(
        r#"<item>
  <title>Ferry line {n} resumes service</title>
  <link>https://ledger.example/ferry-{n}</link>
  <guid>https://ledger.example/ferry-{n}</guid>
  <description>Ferry line {n} is back.</description>
  <content:encoded><![CDATA[<p>Ferry line {n} resumed its service to the islands on Friday after the storm, the operator said.</p>
<p>Passengers should expect delays of up to an hour while the crews catch up, a spokeswoman for the operator in M&uuml;nster added.</p>]]></content:encoded>
  <dc:creator>Jane Doe</dc:creator>
  <pubDate>Fri, 21 Jan 2022 0{n}:30:00 +0100</pubDate>
  <category>Transport</category>
</item>"#
    )
}

#[test]
fn rss_and_atom_feeds_give_one_record_per_item() {
    let ws = Workspace::new();
    let items: Vec<String> = (1..=5).map(rss_item).collect();
    let rss = RSS.replace("ITEMS", &items.join("\n"));
    // Declared ISO-8859-1: the feed's bytes are Latin-1.
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&rss);
    ws.drop_file("ledger.rss", &bytes);
    let atom = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Coast Watch</title>
  <id>urn:coast-watch</id>
  <updated>2022-01-21T10:00:00Z</updated>
  <entry>
    <title>Dunes lose ten metres to the storm</title>
    <link rel="alternate" href="https://coast.example/dunes"/>
    <id>urn:coast-watch:dunes</id>
    <published>2022-01-21T09:00:00Z</published>
    <updated>2022-01-21T11:00:00Z</updated>
    <author><name>Omar Haddad</name></author>
    <content type="html">&lt;p&gt;The dunes south of the harbour lost about ten metres to the storm on Thursday night, the coast guard said after a survey flight.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Beach cleanup on Saturday</title>
    <link href="https://coast.example/cleanup"/>
    <id>urn:coast-watch:cleanup</id>
    <updated>2022-01-21T12:00:00Z</updated>
    <summary>Volunteers will meet at the lifeguard station at nine in the morning to clear the debris the storm left on the beach.</summary>
  </entry>
</feed>"#;
    // Named .xml: the content says Atom.
    ws.drop_file("coast.xml", atom.as_bytes());
    let out = ws.once();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("7 records"), "{stdout}");
    assert!(stdout.contains("0 quarantined"), "{stdout}");

    let records = ws.records();
    let rss: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["source"]["file_name"] == "ledger.rss")
        .collect();
    assert_eq!(rss.len(), 5);
    for (i, r) in rss.iter().enumerate() {
        let n = i + 1;
        assert_eq!(r["source"]["format"], "rss");
        assert_eq!(r["source"]["item"], n);
        assert_eq!(r["title"], format!("Ferry line {n} resumes service"));
        assert_eq!(r["url"], format!("https://ledger.example/ferry-{n}"));
        assert_eq!(r["authors"], serde_json::json!(["Jane Doe"]));
        assert_eq!(r["site_name"], "The Ledger");
        assert_eq!(r["categories"], serde_json::json!(["Transport"]));
        // 0n:30 at +01:00, in UTC.
        assert_eq!(r["published"], format!("2022-01-21T0{}:30:00+00:00", n - 1));
        assert_eq!(r["description"], format!("Ferry line {n} is back."));
        let body = r["body"].as_str().unwrap();
        assert!(
            body.starts_with(&format!("Ferry line {n} resumed"))
                && body.contains("operator in Münster added."),
            "{body}"
        );
    }
    let atom: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["source"]["file_name"] == "coast.xml")
        .collect();
    assert_eq!(atom.len(), 2);
    assert_eq!(atom[0]["source"]["format"], "atom");
    assert_eq!(atom[0]["title"], "Dunes lose ten metres to the storm");
    assert_eq!(atom[0]["url"], "https://coast.example/dunes");
    assert_eq!(atom[0]["authors"], serde_json::json!(["Omar Haddad"]));
    assert_eq!(atom[0]["published"], "2022-01-21T09:00:00+00:00");
    assert_eq!(atom[0]["modified"], "2022-01-21T11:00:00+00:00");
    assert!(atom[0]["body"]
        .as_str()
        .unwrap()
        .starts_with("The dunes south of the harbour"));
    assert!(atom[1]["body"]
        .as_str()
        .unwrap()
        .starts_with("Volunteers will meet"));
    let mut archived = ws.files_in("archive");
    archived.sort();
    assert_eq!(archived, vec!["coast.xml", "ledger.rss"]);
}
