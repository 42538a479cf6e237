#!/usr/bin/env python3
"""N text drops recombined from the seed articles' paragraphs, for
scripts/bench-once.sh and scripts/bench-scaleout.sh: each drop shuffles 4-9
seed paragraphs (deterministically) with two of the seeds' boilerplate lines,
and ~10% are byte-identical copies of the previous drop.
Usage: scripts/gen-seed-drops.py N INBOX  (run from the repo root)"""
import json
import pathlib
import random
import sys

n, inbox = int(sys.argv[1]), pathlib.Path(sys.argv[2])
inbox.mkdir(parents=True, exist_ok=True)
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
