//! The shared dedup index against a real NATS JetStream server
//! (127.0.0.1:4222, or NEWSFLOW_TEST_NATS_HOSTPORT): deciders racing on copies of
//! one story produce one `unique`, never two. Skips without a server unless
//! NEWSFLOW_REQUIRE_SERVICES=1.

use newsflow_deduplicator::near::NearConfig;
use newsflow_deduplicator::shared::SharedIndex;
use newsflow_deduplicator::Entry;
use newsflow_record::DedupStatus;

fn hostport() -> String {
    std::env::var("NEWSFLOW_TEST_NATS_HOSTPORT").unwrap_or_else(|_| "127.0.0.1:4222".into())
}

fn available() -> bool {
    let up = std::net::TcpStream::connect(hostport()).is_ok();
    if !up && std::env::var("NEWSFLOW_REQUIRE_SERVICES").as_deref() == Ok("1") {
        panic!(
            "NATS is not reachable at {} and NEWSFLOW_REQUIRE_SERVICES=1",
            hostport()
        );
    }
    if !up {
        eprintln!("skipping: NATS is not reachable at {}", hostport());
    }
    up
}

fn story(i: usize) -> String {
    let words = [
        "harbour", "council", "budget", "railway", "school", "bridge", "market", "museum",
        "library", "airport", "factory", "river", "station", "theatre", "ministry", "village",
    ];
    let mut x = (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut out = String::new();
    for n in 0..160 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.push_str(words[(x % words.len() as u64) as usize]);
        out.push_str(if n % 12 == 11 { ". " } else { " " });
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_copies_give_one_unique_and_replays_the_same_answer() {
    if !available() {
        return;
    }
    let client = async_nats::connect(hostport()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let bucket = format!("nftest_shared_{}", std::process::id());
    let index = SharedIndex::open(&js, &bucket, NearConfig::default())
        .await
        .unwrap();
    // 40 stories, each decided at the same moment as an exact copy and a near copy
    // (a few words changed) under other ids: three deciders race per story.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let body = story(i);
        let near = body
            .replacen("harbour", "port", 2)
            .replacen("river", "canal", 1);
        for (k, b) in [body.clone(), body, near].into_iter().enumerate() {
            let index = index.clone();
            tasks.push(tokio::spawn(async move {
                let id = format!("story-{i}-{k}");
                let d = index
                    .decide(&Entry::new(&id, &b, 1_900_000_000))
                    .await
                    .unwrap();
                (i, id, d)
            }));
        }
    }
    let mut by_story: Vec<Vec<(String, newsflow_record::Dedup)>> = vec![Vec::new(); 40];
    for t in tasks {
        let (i, id, d) = t.await.unwrap();
        by_story[i].push((id, d));
    }
    for (i, decisions) in by_story.iter().enumerate() {
        let uniques: Vec<&String> = decisions
            .iter()
            .filter(|(_, d)| d.status == DedupStatus::Unique)
            .map(|(id, _)| id)
            .collect();
        assert_eq!(uniques.len(), 1, "story {i}: {decisions:?}");
        for (id, d) in decisions {
            if d.status != DedupStatus::Unique {
                assert!(d.duplicate_of.is_some(), "story {i} {id}: {d:?}");
            }
        }
    }
    let near = by_story
        .iter()
        .flatten()
        .filter(|(_, d)| d.status == DedupStatus::NearDuplicate)
        .count();
    let exact = by_story
        .iter()
        .flatten()
        .filter(|(_, d)| d.status == DedupStatus::ExactDuplicate)
        .count();
    eprintln!("40 stories: {exact} exact and {near} near duplicates");
    assert_eq!(exact + near, 80);
    assert!(
        near >= 40,
        "each near copy, or the copy that lost to it, is near"
    );
    // Different stories are not duplicates of each other: a copy's original is
    // of its own story.
    for (i, decisions) in by_story.iter().enumerate() {
        for (id, d) in decisions {
            if let Some(of) = &d.duplicate_of {
                assert!(
                    of.starts_with(&format!("story-{i}-")),
                    "{id} duplicate of {of}"
                );
            }
        }
    }
    // A replay (a redelivered item) gets the decision it had.
    for (id, d) in &by_story[7] {
        let body = if id.ends_with("-2") {
            story(7)
                .replacen("harbour", "port", 2)
                .replacen("river", "canal", 1)
        } else {
            story(7)
        };
        let again = index
            .decide(&Entry::new(id, &body, 1_900_000_000))
            .await
            .unwrap();
        assert_eq!(&again, d, "{id}");
    }
    let _ = js.delete_key_value(&bucket).await;
}
