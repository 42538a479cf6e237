#!/usr/bin/env bash
# Throughput of scale-out: one `--role intake` and W `--role worker` processes
# (release build) over N generated text drops, into PostgreSQL, against the
# single daemon (`--role all`) on the same files and sink. Needs PostgreSQL on
# 127.0.0.1:5432 (database test) and NATS with JetStream on 127.0.0.1:4222.
# The drops are the bench-once corpus (seed paragraphs shuffled, boilerplate
# mixed in, ~10% exact copies). Time: from the start of the intake (files
# already in the inbox) until PostgreSQL has a row for every file.
# Usage: scripts/bench-scaleout.sh [N] [WORKER COUNTS...]   (default 5000 1 2 3)
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-5000}"; shift || true
COUNTS=("$@")
[ "${#COUNTS[@]}" -eq 0 ] && COUNTS=(1 2 3)
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/newsflow/target}"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/newsflow"
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
PSQL=(psql -h 127.0.0.1 -U postgres -d test -qtAX)

gen() {
scripts/gen-seed-drops.py "$N" "$1"
}

config() { # dir tag
mkdir -p "$1"
cat > "$1/newsflow.toml" <<TOML
[intake]
inbox = "$1/inbox"
archive = "$1/archive"
quarantine = "$1/quarantine"
[state]
dir = "$1/state"
[sink.jsonl]
dir = "$1/out"
[sink.postgres]
url = "postgres://postgres@127.0.0.1/test"
table = "nf_bench_$2"
[metrics]
enabled = false
[scaleout]
work_stream = "NFBENCH_$2"
work_subject = "nfbench.$2"
dedup_bucket = "nfbench_$2"
consumer = "w"
TOML
mkdir -p "$1/inbox"
}

wait_rows() { # table
  local n=0
  while [ "$n" -lt "$N" ]; do
    sleep 0.2
    if [ "$("${PSQL[@]}" -c "SELECT to_regclass('$1') IS NOT NULL")" = t ]; then
      n=$("${PSQL[@]}" -c "SELECT count(*) FROM $1")
    fi
  done
}

run() { # label workers
  local tag="b$$_$2" t0 t1
  local d="$WORK/$tag"; mkdir -p "$d"
  config "$d/intake" "$tag"; gen "$d/intake/inbox"
  local pids=()
  if [ "$2" = 0 ]; then
    t0=$(date +%s.%N)
    "$BIN" run --config "$d/intake/newsflow.toml" 2>/dev/null & pids+=($!)
  else
    for w in $(seq 1 "$2"); do config "$d/w$w" "$tag"; "$BIN" run --role worker --config "$d/w$w/newsflow.toml" 2>/dev/null & pids+=($!); done
    sleep 1
    t0=$(date +%s.%N)
    "$BIN" run --role intake --config "$d/intake/newsflow.toml" 2>/dev/null & pids+=($!)
  fi
  wait_rows "nf_bench_$tag"
  t1=$(date +%s.%N)
  kill "${pids[@]}"; wait "${pids[@]}" 2>/dev/null || true
  python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'{sys.argv[4]:<28} {n} files in {s:6.2f} s: {n/s:6.0f} files/s')" "$N" "$t0" "$t1" "$1"
  "${PSQL[@]}" -c "DROP TABLE nf_bench_$tag; DELETE FROM newsflow_migrations WHERE table_name = 'nf_bench_$tag'" >/dev/null
  # The run's streams go too (plain NATS protocol: no client needed here).
  python3 - "$tag" <<'PY' || true
import socket, sys
tag = sys.argv[1]
s = socket.create_connection(("127.0.0.1", 4222))
s.recv(4096)
s.sendall(b"CONNECT {}\r\n")
for stream in (f"NFBENCH_{tag}", f"OBJ_NFBENCH_{tag}_files", f"KV_nfbench_{tag}"):
    s.sendall(f"PUB $JS.API.STREAM.DELETE.{stream} 0\r\n\r\n".encode())
s.sendall(b"PING\r\n")
s.recv(4096)
PY
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
run "single daemon (--role all)" 0
for w in "${COUNTS[@]}"; do run "intake + $w worker(s)" "$w"; done
