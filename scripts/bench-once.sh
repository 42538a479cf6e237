#!/usr/bin/env bash
# Throughput of `newsflow once` on N generated text drops (default 10000).
# Each drop is built from the seed articles' paragraphs (tests/fixtures/seeds),
# shuffled deterministically, with the seeds' boilerplate lines mixed in and
# ~10% byte-identical copies, so every stage does real work.
# Usage: scripts/bench-once.sh [N] [WORKDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-10000}"
WORK="${2:-$(mktemp -d)}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/newsflow/target}"
cargo build --release --locked -q
BIN="$CARGO_TARGET_DIR/release/newsflow"
rm -rf "$WORK/ws" && mkdir -p "$WORK/ws/var/inbox"
scripts/gen-seed-drops.py "$N" "$WORK/ws/var/inbox"
BYTES=$(du -sb "$WORK/ws/var/inbox" | cut -f1)
cd "$WORK/ws"
START=$(date +%s.%N)
"$BIN" once 2>/dev/null
END=$(date +%s.%N)
python3 -c "import sys; n,b=int(sys.argv[1]),int(sys.argv[2]); s=float(sys.argv[4])-float(sys.argv[3]); print(f'{n} docs, {b/1e6:.1f} MB in {s:.2f} s: {n/s:.0f} docs/s, {b/1e6/s:.1f} MB/s')" "$N" "$BYTES" "$START" "$END"
