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
python3 - "$N" "$WORK/ws/var/inbox" <<'PY'
import random, sys, pathlib, json
n, inbox = int(sys.argv[1]), pathlib.Path(sys.argv[2])
seeds = pathlib.Path("tests/fixtures/seeds")
labels = json.loads((seeds / "expected.json").read_text())["files"]
paras = [p for f in labels.values() for p in f["body_lines"]]
boiler = [b["text"] for f in labels.values() for b in f["boilerplate_lines"]]
rng = random.Random(42)
prev = None
for i in range(n):
    if prev is not None and rng.random() < 0.10:
        text = prev
    else:
        k = rng.randint(4, 9)
        body = rng.sample(paras, k)
        head = [f"Story {i}: " + " ".join(rng.sample(paras[0].split(), 8))]
        lines = head + body
        for b in rng.sample(boiler, 2):
            lines.insert(rng.randint(1, len(lines)), b)
        text = "\n\n".join(lines) + "\n"
    (inbox / f"{i:07d}.txt").write_text(text)
    prev = text
PY
BYTES=$(du -sb "$WORK/ws/var/inbox" | cut -f1)
cd "$WORK/ws"
START=$(date +%s.%N)
"$BIN" once 2>/dev/null
END=$(date +%s.%N)
python3 -c "import sys; n,b=int(sys.argv[1]),int(sys.argv[2]); s=float(sys.argv[4])-float(sys.argv[3]); print(f'{n} docs, {b/1e6:.1f} MB in {s:.2f} s: {n/s:.0f} docs/s, {b/1e6/s:.1f} MB/s')" "$N" "$BYTES" "$START" "$END"
