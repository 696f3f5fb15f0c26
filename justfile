# List the recipes.
default:
    @just --list

# Build everything in release mode.
build:
    cargo build --release --workspace

# Run the whole test suite (the README's test command).
test:
    cargo test --workspace

# Lint exactly as CI does.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Benchmarks that compare csrkit with the reference tools in the same run.
bench:
    cargo bench -p csrkit --bench generate

# Make a key and CSR for example.com into ./example.com/.
demo:
    cargo run --release -p csrkit -- generate --domain example.com

# Run exactly what CI runs.
ci:
    bash .ci/run

# Re-sign every request csrkit sends with the official Python SDK (needs PyPI).
interop:
    bash scripts/interop/run.sh
