# Tasks for newsflow. Install just with `cargo install just`, or run the commands by hand.
export CARGO_TARGET_DIR := env_var_or_default("CARGO_TARGET_DIR", env_var("HOME") + "/.cache/newsflow/target")

# Run the daemon on the built-in defaults (./var/...).
run *ARGS:
    cargo run --release -- run {{ARGS}}

# Process the inbox once and exit.
once *ARGS:
    cargo run --release -- once {{ARGS}}

# The whole test suite, as CI runs it.
test:
    .ci/run

# Throughput of `newsflow once` on generated drops (release build).
bench DOCS="10000":
    scripts/bench-once.sh {{DOCS}}

# The harness: floor and newsflow on generated drops (issue 9): just bench-harness text 10000
bench-harness KIND="text" DOCS="10000":
    cargo build --release
    cargo run --release -p xtask -- bench --kind {{KIND}} --docs {{DOCS}}

# Scale-out throughput with 1, 2, 3 workers (PostgreSQL and NATS needed)
bench-scaleout DOCS="5000":
    scripts/bench-scaleout.sh {{DOCS}} 1 2 3

# HTML extraction beside resiliparse: just bench-extract ../shared/corpus/readability-dev
bench-extract GOLD SCORER="":
    scripts/bench-extract.sh {{GOLD}} {{SCORER}}

# Deduplicator speed and memory with a large index: just bench-dedup 1000000 20000
bench-dedup PREFILL="1000000" DOCS="20000":
    cargo bench -p newsflow-deduplicator --bench throughput -- {{PREFILL}} {{DOCS}}

# Normalizer text path and its parts, one thread: just bench-normalizer (fixtures) or just bench-normalizer "DIR 3000"
bench-normalizer ARGS="":
    cargo bench -p newsflow-normalizer --bench throughput -- {{ARGS}}

# Near-duplicate quality on generated syndication: just eval-dedup ../shared/corpus/readability-dev 20000
eval-dedup SOURCES DOCS="20000":
    scripts/gen-syndicated.py --sources tests/fixtures/seeds {{SOURCES}} --out var/gen-dedup --docs {{DOCS}} --seed 7
    cargo run --release -- eval dedup var/gen-dedup

lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
    cargo fmt --all
