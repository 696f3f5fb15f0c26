# List the recipes.
default:
    @just --list

# Build everything in release mode.
build:
    cargo build --release --workspace

# Run the whole test suite (the README's test command; installs bind9, zsh, fish, man-db when missing).
test:
    bash scripts/test

# Lint exactly as CI does.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Benchmarks that compare csrkit with the reference tools in the same run.
bench:
    cargo bench -p csrkit --bench generate
    cargo bench -p csrkit --bench validate
    cargo bench -p csrkit --bench apply
    cargo run --release -p csrkit-sandbox --example load

# The whole flow against an in-process sandbox: a certificate in ./example.com/.
demo:
    cargo run --release -p csrkit -- apply --sandbox --domain example.com

# Build the Debian package (target/debian/csrkit_*.deb) and check it installed in a scratch root.
deb:
    bash scripts/ci/deb.sh

# Run the sandbox as a server on 127.0.0.1:8765.
sandbox:
    cargo run --release -p csrkit -- sandbox --listen 127.0.0.1:8765

# Regenerate the lint fixtures (crates/validate/tests/fixtures).
fixtures:
    cargo run -p csrkit-validate --example fixtures

# Review changed insta snapshots.
snap:
    cargo insta review

# Fuzz parse + every lint rule for 10 minutes (libFuzzer; nightly features on stable).
fuzz:
    cd crates/validate/fuzz && ./seed.sh && RUSTC_BOOTSTRAP=1 cargo fuzz run validate corpus/validate -- -max_total_time=600

# Fuzz csrkit's verdict against OpenSSL's for 10 minutes (needs libssl-dev, installed here if missing).
fuzz-differential:
    dpkg -s libssl-dev pkg-config >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq libssl-dev pkg-config)
    cd crates/validate/fuzz && ./seed.sh && RUSTC_BOOTSTRAP=1 cargo fuzz run differential corpus/differential -- -max_total_time=600 -rss_limit_mb=4096

# Run exactly what CI runs.
ci:
    bash .ci/run

# Re-sign every request csrkit sends with the official Python SDK (needs PyPI).
interop:
    bash scripts/interop/run.sh
    bash scripts/interop/sandbox_sdk.sh
