#!/usr/bin/env bash
# Peak memory of `newsflow run` when N files (default 100000) land in the inbox at
# once, optionally with the sink slowed by [faults] sink_delay_ms (second argument).
# Prints peak RSS (VmHWM), time to drain, and throughput.
# Usage: scripts/rss.sh [N] [SINK_DELAY_MS] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"
DELAY="${2:-0}"
WORK="${3:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/newsflow/target}"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/newsflow"
rm -rf "$WORK/rss" && mkdir -p "$WORK/rss/inbox" "$WORK/rss/staging"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$WORK/rss/newsflow.toml" <<TOML
[intake]
inbox = "$WORK/rss/inbox"
archive = "$WORK/rss/archive"
quarantine = "$WORK/rss/quarantine"
[state]
dir = "$WORK/rss/state"
[sink.jsonl]
dir = "$WORK/rss/out"
[metrics]
listen = "127.0.0.1:$PORT"
[log]
level = "warn"
[faults]
sink_delay_ms = $DELAY
TOML
python3 - "$N" "$WORK/rss/staging" <<'PY'
import random, sys, pathlib, json
n, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
labels = json.loads(pathlib.Path("tests/fixtures/seeds/expected.json").read_text())["files"]
paras = [p for f in labels.values() for p in f["body_lines"]]
rng = random.Random(7)
for i in range(n):
    body = "\n\n".join([f"Story {i}"] + rng.sample(paras, rng.randint(3, 8)))
    (out / f"{i:07d}.txt").write_text(body + "\n")
PY
"$BIN" run --config "$WORK/rss/newsflow.toml" 2>"$WORK/rss/daemon.log" &
PID=$!
sleep 1
START=$(date +%s.%N)
# All at once: renames within one filesystem.
find "$WORK/rss/staging" -type f -exec mv -t "$WORK/rss/inbox" {} +
while [ "$(find "$WORK/rss/archive" -type f 2>/dev/null | wc -l)" -lt "$N" ]; do
  if ! kill -0 "$PID" 2>/dev/null; then echo "daemon died; see $WORK/rss/daemon.log"; exit 1; fi
  sleep 1
done
END=$(date +%s.%N)
PEAK=$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")
kill -TERM "$PID"; wait "$PID"
python3 -c "import sys; n,peak,s=int(sys.argv[1]),int(sys.argv[2]),float(sys.argv[4])-float(sys.argv[3]); print(f'{n} files at once, sink delay {sys.argv[5]} ms: drained in {s:.1f} s ({n/s:.0f} files/s), peak RSS {peak/1024:.1f} MiB')" "$N" "$PEAK" "$START" "$END" "$DELAY"
