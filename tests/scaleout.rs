//! Scale-out on NATS JetStream, with real processes: one `--role intake` and
//! three `--role worker` over one work queue, a shared dedup index and one
//! PostgreSQL table; a worker is SIGKILLed twice mid-run. Needs PostgreSQL and
//! NATS (skips without them unless NEWSFLOW_REQUIRE_SERVICES=1).

mod common;
use common::*;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

const SINGLES: usize = 1600;
const PAIRS: usize = 200;

const NOUNS: &[&str] = &[
    "harbour",
    "council",
    "budget",
    "railway",
    "school",
    "hospital",
    "bridge",
    "market",
    "festival",
    "union",
    "court",
    "museum",
    "library",
    "airport",
    "factory",
    "farm",
    "river",
    "forest",
    "station",
    "stadium",
    "theatre",
    "ministry",
    "police",
    "election",
    "village",
    "mayor",
    "teacher",
    "doctor",
    "farmer",
    "driver",
    "engineer",
    "witness",
    "pilot",
    "judge",
    "nurse",
    "miner",
    "fisherman",
    "baker",
    "student",
    "tenant",
    "landlord",
    "ferry",
    "tunnel",
    "canal",
    "pipeline",
    "reservoir",
    "orchard",
    "vineyard",
    "quarry",
    "warehouse",
    "clinic",
    "prison",
    "garden",
    "harvest",
    "storm",
    "flood",
    "drought",
    "wildfire",
    "strike",
    "protest",
    "merger",
    "lawsuit",
    "treaty",
    "ceasefire",
    "vaccine",
    "satellite",
    "telescope",
    "glacier",
    "volcano",
    "earthquake",
    "lighthouse",
    "cathedral",
    "parliament",
    "senate",
    "tribunal",
    "regulator",
    "auditor",
    "inspector",
    "contractor",
    "supplier",
];
const ADJS: &[&str] = &[
    "new",
    "old",
    "local",
    "regional",
    "national",
    "small",
    "large",
    "northern",
    "southern",
    "eastern",
    "western",
    "coastal",
    "rural",
    "urban",
    "private",
    "public",
    "temporary",
    "permanent",
    "annual",
    "monthly",
    "delayed",
    "disputed",
    "approved",
    "rejected",
    "costly",
    "modest",
    "historic",
    "damaged",
    "restored",
    "crowded",
    "empty",
    "quiet",
    "busy",
    "remote",
    "central",
    "independent",
    "joint",
    "rival",
    "former",
    "acting",
];
const VERBS: &[&str] = &[
    "approved",
    "rejected",
    "delayed",
    "opened",
    "closed",
    "reviewed",
    "funded",
    "inspected",
    "repaired",
    "replaced",
    "questioned",
    "criticised",
    "praised",
    "extended",
    "suspended",
    "announced",
    "cancelled",
    "defended",
    "audited",
    "visited",
    "expanded",
    "reduced",
    "measured",
    "reported",
    "confirmed",
    "denied",
    "proposed",
    "challenged",
    "welcomed",
    "postponed",
];
const PLACES: &[&str] = &[
    "Aberdeen",
    "Bergen",
    "Cork",
    "Dundee",
    "Exeter",
    "Faro",
    "Galway",
    "Hull",
    "Inverness",
    "Jena",
    "Kiel",
    "Leeds",
    "Malmo",
    "Nantes",
    "Oulu",
    "Porto",
    "Quimper",
    "Rouen",
    "Split",
    "Turku",
    "Utrecht",
    "Varna",
    "Wells",
    "York",
    "Zadar",
    "Bari",
    "Cadiz",
    "Dijon",
    "Essen",
    "Ghent",
];

fn sentence(rng: &mut Rng) -> String {
    let n = rng.next() % 3;
    match n {
        0 => format!(
            "The {} {} in {} {} the {} {} on {}, and the {} said {} {}s would follow.",
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(PLACES),
            rng.pick(VERBS),
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(&["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]),
            rng.pick(NOUNS),
            rng.next() % 90 + 2,
            rng.pick(NOUNS)
        ),
        1 => format!(
            "A {} {} {} the {} after the {} {} of {}, officials from {} told reporters.",
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(VERBS),
            rng.pick(NOUNS),
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(PLACES),
            rng.pick(PLACES)
        ),
        _ => format!(
            "Residents of {} {} a {} {} for the {} {}, which the {} {} last year.",
            rng.pick(PLACES),
            rng.pick(VERBS),
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(ADJS),
            rng.pick(NOUNS),
            rng.pick(NOUNS),
            rng.pick(VERBS)
        ),
    }
}

/// A story of five paragraphs; words drawn so that two stories share few
/// three-word shingles.
fn story(seed: u64) -> Vec<String> {
    let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    (0..5)
        .map(|_| {
            (0..4)
                .map(|_| sentence(&mut rng))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn render(title: &str, paragraphs: &[String]) -> Vec<u8> {
    format!("{title}\n\n{}\n", paragraphs.join("\n\n")).into_bytes()
}

/// The near copy: the same story with a few words changed in two paragraphs.
fn near_copy(paragraphs: &[String]) -> Vec<String> {
    let mut p = paragraphs.to_vec();
    p[1] = p[1].replacen("the", "that", 2);
    p[3] = format!("{} Updated with comment from the agency.", p[3]);
    p
}

fn spawn(ws: &Workspace, role: &str) -> Daemon {
    let mut c = ws.command("run");
    c.arg("--role").arg(role);
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    Daemon::new(c.spawn().unwrap())
}

#[test]
fn one_intake_and_three_workers_with_kills_store_each_file_once() {
    if !common::pg::pg_available() || !common::nats::nats_available() {
        return;
    }
    let table = common::pg::fresh_table("scale");
    let (tag, _) = common::nats::fresh_stream("scale");
    let bucket = format!("{}_dedup", tag.to_lowercase());
    let scaleout = format!(
        "[scaleout]\nurl = \"nats://{}\"\nwork_stream = \"{tag}\"\nwork_subject = \"{}.work\"\nconsumer = \"workers\"\ndedup_bucket = \"{bucket}\"\nack_wait_secs = 5\nmax_message_bytes = 4096\n",
        common::nats::nats_hostport(),
        tag.to_lowercase()
    );
    let pg = format!(
        "[sink.postgres]\nurl = \"{}\"\ntable = \"{table}\"\n",
        common::pg::url(&common::pg::pg_hostport())
    );
    // `enabled = false` lands in [metrics], the generated config's last section.
    let extra = format!("enabled = false\n{scaleout}{pg}");
    let intake = Workspace::with_extra(&extra);
    let workers: Vec<Workspace> = (0..3).map(|_| Workspace::with_extra(&extra)).collect();
    // The workers share one quarantine folder, as the README advises: a work item
    // redelivered to another worker after a kill then lands on the first copy.
    let quarantine = tempfile::tempdir().unwrap();
    for w in &workers {
        let own = format!("quarantine = \"{}\"", w.path("quarantine").display());
        let shared = format!("quarantine = \"{}\"", quarantine.path().display());
        let config = std::fs::read_to_string(w.config()).unwrap();
        assert!(config.contains(&own));
        std::fs::write(w.config(), config.replace(&own, &shared)).unwrap();
    }

    // 1,600 single stories (every 40th four times as long, so larger than
    // max_message_bytes: it travels through the object store) and 200 pairs of
    // near copies, in shuffled order; and two files a worker must quarantine.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for i in 0..SINGLES {
        let mut body = story(i as u64);
        if i % 40 == 0 {
            for k in 1..4 {
                body.extend(story((i * 10 + k) as u64 + 5_000_000));
            }
        }
        files.push((
            format!("single-{i:04}.txt"),
            render(&format!("Single story {i}"), &body),
        ));
    }
    assert!(files[0].1.len() > 4096);
    files.push(("empty.txt".into(), Vec::new()));
    files.push((
        "image.txt".into(),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0".to_vec(),
    ));
    for i in 0..PAIRS {
        let body = story(1_000_000 + i as u64);
        files.push((
            format!("pair-{i:03}-a.txt"),
            render(&format!("Pair story {i}"), &body),
        ));
        files.push((
            format!("pair-{i:03}-b.txt"),
            render(&format!("Pair story {i}, updated"), &near_copy(&body)),
        ));
    }
    let mut rng = Rng(0x5eed);
    for i in (1..files.len()).rev() {
        files.swap(i, (rng.next() % (i as u64 + 1)) as usize);
    }
    let total = files.len() - 2;

    let mut daemons: Vec<Option<Daemon>> =
        workers.iter().map(|w| Some(spawn(w, "worker"))).collect();
    let intake_d = spawn(&intake, "intake");
    let dropper = {
        let inbox = intake.path("inbox");
        std::thread::spawn(move || {
            for (name, bytes) in files {
                let tmp = inbox.join(format!("{name}.part"));
                std::fs::write(&tmp, bytes).unwrap();
                std::fs::rename(&tmp, inbox.join(&name)).unwrap();
            }
        })
    };
    let rows = || {
        common::pg::query(&format!(
            "SELECT count(*) FROM pg_tables WHERE tablename = '{table}'"
        ))[0][0]
            .as_deref()
            == Some("1")
            && common::pg::count(&table, "") > 0
    };
    // Two kills of worker 0 while items flow, each followed by a restart.
    for kill in 0..2 {
        let want = if kill == 0 { 200 } else { 900 };
        wait_until(Duration::from_secs(180), "rows to arrive", || {
            rows() && common::pg::count(&table, "") >= want
        });
        daemons[0].take().unwrap().kill();
        std::thread::sleep(Duration::from_millis(300));
        daemons[0] = Some(spawn(&workers[0], "worker"));
    }
    dropper.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while common::pg::count(&table, "") < total as i64 {
        assert!(
            Instant::now() < deadline,
            "only {} of {total} rows after 300 s; worker log:\n{}",
            common::pg::count(&table, ""),
            daemons[1].as_ref().unwrap().log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // Every item acked: nothing pending, nothing delivered and unacked.
    wait_until(Duration::from_secs(30), "the work queue to drain", || {
        common::nats::consumer_backlog(&tag, "workers") == (0, 0)
    });
    let (status, log) = intake_d.stop();
    assert!(status.success(), "intake: {log}");
    assert_eq!(
        intake.files_in("archive").len(),
        total + 2,
        "the intake archived every file"
    );
    let mut redelivered = 0;
    for d in daemons.into_iter().flatten() {
        let (status, log) = d.stop();
        assert!(status.success(), "worker: {log}");
        redelivered += log
            .matches("dropped local copies of items in flight")
            .count();
    }
    eprintln!("restarts that found items in flight: {redelivered}");
    // The two bad files are in the shared quarantine, once each, with their notes.
    let mut names: Vec<String> = std::fs::read_dir(quarantine.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "empty.txt",
            "empty.txt.error.json",
            "image.txt",
            "image.txt.error.json"
        ],
        "one copy and one note per quarantined file, however often it was redelivered"
    );
    let note = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(quarantine.path().join(name)).unwrap()).unwrap()
    };
    assert_eq!(note("empty.txt.error.json")["reason"], "empty");
    assert_eq!(note("image.txt.error.json")["reason"], "binary");
    for w in &workers {
        assert!(w.files_in("quarantine").is_empty());
    }

    // Exactly one row per file.
    assert_eq!(common::pg::count(&table, ""), total as i64);
    let per_file = common::pg::query(&format!(
        "SELECT record->'source'->>'file_name', count(*), min(id), min(dedup_status), min(coalesce(duplicate_of, '')) FROM {table} GROUP BY 1"
    ));
    assert_eq!(per_file.len(), total, "one row per file name");
    let by_name: HashMap<String, (String, String, String)> = per_file
        .into_iter()
        .map(|r| {
            assert_eq!(
                r[1].as_deref(),
                Some("1"),
                "{:?} stored more than once",
                r[0]
            );
            (
                r[0].clone().unwrap(),
                (
                    r[2].clone().unwrap(),
                    r[3].clone().unwrap(),
                    r[4].clone().unwrap(),
                ),
            )
        })
        .collect();
    // Each pair: one unique and one duplicate of it.
    let mut wrong = Vec::new();
    for i in 0..PAIRS {
        let a = &by_name[&format!("pair-{i:03}-a.txt")];
        let b = &by_name[&format!("pair-{i:03}-b.txt")];
        let ok = match (a.1.as_str(), b.1.as_str()) {
            ("unique", "near_duplicate") => b.2 == a.0,
            ("near_duplicate", "unique") => a.2 == b.0,
            _ => false,
        };
        if !ok {
            wrong.push(format!("pair {i}: {a:?} / {b:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "pairs not marked exactly once:\n{}",
        wrong.join("\n")
    );
    let false_dups = (0..SINGLES)
        .filter(|i| by_name[&format!("single-{i:04}.txt")].1 != "unique")
        .count();
    assert_eq!(false_dups, 0, "single stories marked as duplicates");
    common::pg::drop_table(&table);
    common::nats::delete_scaleout(&tag, &bucket);
}
