#!/usr/bin/env bash
# HTML extraction speed and quality, newsflow beside resiliparse, in one run.
# newsflow: `newsflow eval extract` (release build), which times the whole
# normalizer per page (charset, extraction, metadata, text boilerplate layers) on
# one thread. resiliparse: extract_plain_text(main_content=True) on the same pages,
# one process, timed the same way (read excluded). Both predictions are scored by
# the same Python scorer when it is given.
# Usage: scripts/bench-extract.sh GOLD_DIR [SCORER]
#   e.g. scripts/bench-extract.sh ../shared/corpus/readability-dev ../shared/tools/score_extract.py
# Needs: pip install resiliparse
set -euo pipefail
cd "$(dirname "$0")/.."
GOLD="${1:?usage: scripts/bench-extract.sh GOLD_DIR [SCORER]}"
SCORER="${2:-}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/newsflow/target}"
cargo build --release --locked -q
OUT="$(mktemp -d)"
echo "== newsflow"
"$CARGO_TARGET_DIR/release/newsflow" eval extract --gold "$GOLD" --pred-out "$OUT/newsflow"
echo "== resiliparse extract_plain_text(main_content=True)"
python3 - "$GOLD" "$OUT/resiliparse" <<'PY'
import sys, time, pathlib
from resiliparse.extract.html2text import extract_plain_text
from resiliparse.parse.encoding import bytes_to_str, detect_encoding
gold, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
pages = sorted(p for p in gold.iterdir() if (p / "source.html").is_file())
raw = [(p.name, (p / "source.html").read_bytes()) for p in pages]
total, size = 0.0, 0
for name, b in raw:
    t = time.perf_counter()
    text = extract_plain_text(bytes_to_str(b, detect_encoding(b)), main_content=True)
    total += time.perf_counter() - t
    size += len(b)
    (out / f"{name}.txt").write_text(text)
print(f"speed: {len(raw) / total:.0f} pages/s, {size / total / 1e6:.1f} MB/s (one thread, {total:.2f} s)")
PY
if [ -n "$SCORER" ]; then
  for t in newsflow resiliparse; do
    echo "== score ($t)"
    python3 "$SCORER" --gold-kind readability --gold "$GOLD" --pred "$OUT/$t" --n-bootstrap 0
  done
fi
