//! `newsflow`: the daemon's command line, start-up, signals and summary.

mod config;
mod daemon;
mod metrics_export;

use clap::{Parser, Subcommand};
use config::{Config, LogFormat};
use daemon::Counters;
use newsflow_watcher::Mode;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

#[derive(Parser)]
#[command(
    name = "newsflow",
    version,
    about = "Ingests news items dropped into a folder and writes clean, deduplicated JSONL records."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: watch the inbox until SIGTERM or SIGINT.
    Run {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Process every file in the inbox now, then exit (backfill).
    Once {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
    /// Validate the config and print the effective settings.
    CheckConfig {
        /// Config file (default: config/newsflow.toml if present, else built-in defaults).
        #[arg(long, value_name = "PATH")]
        config: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (path, mode) = match &cli.command {
        Command::Run { config } => (config.clone(), Some(false)),
        Command::Once { config } => (config.clone(), Some(true)),
        Command::CheckConfig { config } => (config.clone(), None),
    };
    let loaded = match Config::load(path.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("newsflow: invalid configuration:\n{e}");
            return ExitCode::from(2);
        }
    };
    let Some(once) = mode else {
        return check_config(&loaded);
    };
    init_logging(&loaded.config);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("newsflow: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(start(loaded, once)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("newsflow: {e}");
            ExitCode::FAILURE
        }
    }
}

fn check_config(loaded: &config::Loaded) -> ExitCode {
    let source = match &loaded.file {
        Some(p) => format!("config file {}", p.display()),
        None => "built-in defaults (no config file)".to_string(),
    };
    println!(
        "# newsflow {}: configuration is valid",
        env!("CARGO_PKG_VERSION")
    );
    println!("# source: {source}");
    if !loaded.env_overrides.is_empty() {
        println!(
            "# environment overrides: {}",
            loaded.env_overrides.join(", ")
        );
    }
    if let Err(e) = daemon::load_rules(&loaded.config) {
        eprintln!("newsflow: invalid configuration:\n{e}");
        return ExitCode::from(2);
    }
    print!("{}", loaded.config.to_toml());
    ExitCode::SUCCESS
}

fn init_logging(cfg: &Config) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cfg.log.format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
    }
}

async fn start(loaded: config::Loaded, once: bool) -> Result<(), String> {
    let cfg = loaded.config;
    let handle = metrics_export::install()?;
    let res = {
        let cfg = cfg.clone();
        tokio::task::spawn_blocking(move || daemon::Resources::open(&cfg))
            .await
            .map_err(|e| e.to_string())??
    };
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        config = %loaded.file.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "built-in defaults".into()),
        inbox = %cfg.intake.inbox.display(),
        output = %cfg.sink.jsonl.dir.display(),
        rules = res.rules.len(),
        mode = if once { "once" } else { "run" },
        "newsflow starting"
    );

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let mut metrics_task = None;
    if !once && cfg.metrics.enabled {
        let listener = metrics_export::bind(&cfg.metrics.listen).await?;
        tracing::info!(listen = %cfg.metrics.listen, "serving Prometheus metrics at /metrics");
        metrics_task = Some(tokio::spawn(metrics_export::serve(listener, handle)));
    }

    let counters = Arc::new(Counters::default());
    let started = Instant::now();
    let progress = if once { Some(progress_bar(&res)) } else { None };
    let mode = if once {
        Mode::Once
    } else {
        Mode::Watch {
            rescan: Duration::from_secs(cfg.intake.rescan_secs),
        }
    };
    let ticker = progress.clone().map(|bar| {
        let counters = counters.clone();
        tokio::spawn(async move {
            loop {
                bar.set_position(counters.files.load(Ordering::Relaxed));
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    });

    let pipeline = daemon::run(&cfg, res, mode, shutdown_rx, counters.clone());
    tokio::pin!(pipeline);
    let timeout = Duration::from_secs(cfg.daemon.shutdown_timeout);
    let result = tokio::select! {
        r = &mut pipeline => r,
        signal = wait_for_signal() => {
            tracing::info!(signal, "stopping: no new files are claimed; finishing the files in flight");
            let _ = shutdown_tx.send(true);
            match tokio::time::timeout(timeout, &mut pipeline).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(timeout_secs = timeout.as_secs(), "files still in flight at the shutdown timeout stay claimed and are resumed at the next start");
                    Ok(())
                }
            }
        }
    };
    if let Some(t) = ticker {
        t.abort();
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Some(t) = metrics_task {
        t.abort();
    }
    result?;
    let summary = format!(
        "{} files, {} records, {} duplicates, {} quarantined, {:.2} seconds",
        counters.files.load(Ordering::Relaxed),
        counters.records.load(Ordering::Relaxed),
        counters.duplicates.load(Ordering::Relaxed),
        counters.quarantined.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    tracing::info!("newsflow stopped: {summary}");
    if once {
        println!("newsflow once: {summary}");
    }
    Ok(())
}

fn progress_bar(res: &daemon::Resources) -> indicatif::ProgressBar {
    let total = daemon::backlog(&res.intake);
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}

/// Resolves with the signal's name on SIGTERM or SIGINT.
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers; stop newsflow with SIGKILL (nothing is lost, claims resume)");
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
