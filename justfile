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

# HTML extraction beside resiliparse: just bench-extract ../shared/corpus/readability-dev
bench-extract GOLD SCORER="":
    scripts/bench-extract.sh {{GOLD}} {{SCORER}}

lint:
    cargo clippy --workspace --all-targets --locked -- -D warnings

fmt:
    cargo fmt --all
