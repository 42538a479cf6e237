//! CPU-bound stage work on a fixed set of named threads.
//!
//! Why not `tokio::task::spawn_blocking` per item: the blocking pool runs each job
//! on whichever of its threads is free, and the regex crate pools its lazy-DFA
//! caches by thread (eight pools, picked by thread id). Over a long run every pool
//! thread ends up with its own cache for every pattern set it touched — the rule
//! packs' set alone may grow to 16 MiB per cache — so memory followed the number
//! of pool threads (ten here), not the number of workers. One thread per worker
//! keeps it at one cache per worker, and the thread names show in `top -H`.

/// Runs `work(i)` for `i` in `0..n` (at least one), each on its own thread named
/// `{name}-{i}`, and resolves when all have returned. A worker loops over its
/// input channel with `recv_blocking` and returns when the channel closes.
///
/// # Panics
/// When the OS refuses a thread, and when a worker panicked (the panic is a bug;
/// this carries it to the stage's task as `spawn_blocking(..).await` did).
pub async fn run_threads<F>(name: &str, n: usize, work: F)
where
    F: Fn(usize) + Send + Sync + 'static,
{
    let work = std::sync::Arc::new(work);
    let mut done = Vec::new();
    for i in 0..n.max(1) {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let work = work.clone();
        std::thread::Builder::new()
            .name(format!("{name}-{i}"))
            .spawn(move || {
                work(i);
                let _ = tx.send(());
            })
            .unwrap_or_else(|e| panic!("cannot start the {name} worker thread {i}: {e}"));
        done.push(rx);
    }
    for (i, rx) in done.into_iter().enumerate() {
        if rx.await.is_err() {
            panic!("the {name} worker thread {i} panicked; this is a bug to report");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_item_is_handled_once_on_the_named_threads() {
        let (tx, rx) = async_channel::bounded::<u32>(4);
        let (out_tx, out_rx) = async_channel::unbounded::<(u32, String)>();
        let feeder = tokio::spawn(async move {
            for i in 0..100 {
                tx.send(i).await.unwrap();
            }
        });
        run_threads("stage", 3, move |_| {
            while let Ok(i) = rx.recv_blocking() {
                let name = std::thread::current().name().unwrap().to_string();
                out_tx.send_blocking((i, name)).unwrap();
            }
        })
        .await;
        feeder.await.unwrap();
        let mut seen: Vec<(u32, String)> = std::iter::from_fn(|| out_rx.try_recv().ok()).collect();
        seen.sort();
        assert_eq!(
            seen.iter().map(|s| s.0).collect::<Vec<_>>(),
            (0..100).collect::<Vec<_>>()
        );
        assert!(seen.iter().all(|(_, n)| n.starts_with("stage-")));
    }
}
