//! Prometheus export: the `metrics` recorder and a `/metrics` endpoint.
//!
//! The endpoint is a few lines on tokio's `TcpListener` rather than the exporter's
//! hyper-based listener: it answers one fixed GET from Prometheus, and leaving
//! hyper out keeps the cold build on CI's two cores markedly shorter.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use newsflow_record::telemetry;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Buckets for every `_seconds` histogram: from 100 µs (one normalizer pass) to
/// 60 s (a file waiting behind a stalled sink).
const BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0, 60.0,
];

/// Installs the global recorder. Call once, before any stage runs.
pub fn install() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets(BUCKETS)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("cannot install the metrics recorder: {e}"))?;
    telemetry::describe();
    metrics::gauge!(telemetry::BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(handle)
}

/// Binds the metrics address; failing here stops start-up with a clear message.
pub async fn bind(listen: &str) -> Result<TcpListener, String> {
    let addr: SocketAddr = listen
        .parse()
        .map_err(|e| format!("[metrics] listen: {listen:?} is not an address: {e}"))?;
    TcpListener::bind(addr).await.map_err(|e| {
        format!(
            "cannot listen for metrics on {addr} ([metrics] listen): {e}; another process may hold the port \
             (another newsflow?). Pick another port or set [metrics] enabled = false"
        )
    })
}

/// Serves `GET /metrics` (and `GET /health`) until the task is dropped.
pub async fn serve(listener: TcpListener, handle: PrometheusHandle) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let handle = handle.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            let mut n = 0;
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), async {
                while n < buf.len() {
                    match stream.read(&mut buf[n..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => {
                            n += k;
                            if buf[..n].windows(4).any(|w| w == b"\r\n\r\n") {
                                break;
                            }
                        }
                    }
                }
            })
            .await;
            if read.is_err() {
                return;
            }
            let request = String::from_utf8_lossy(&buf[..n]);
            let mut parts = request.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let path = path.split('?').next().unwrap_or("");
            let (status, ctype, body) = match (method, path) {
                ("GET", "/metrics") => ("200 OK", "text/plain; version=0.0.4", handle.render()),
                ("GET", "/health") | ("GET", "/") => ("200 OK", "text/plain", "ok\n".to_string()),
                ("GET", _) => (
                    "404 Not Found",
                    "text/plain",
                    "not found; try /metrics\n".to_string(),
                ),
                _ => (
                    "405 Method Not Allowed",
                    "text/plain",
                    "only GET\n".to_string(),
                ),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
            let _ = stream.shutdown().await;
        });
    }
}
