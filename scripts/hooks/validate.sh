#!/usr/bin/env bash
# pre-commit hook `csrkit-validate`: builds csrkit from this checkout (once;
# cargo caches it) and lints the files pre-commit passes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml" -p csrkit
exec "${CARGO_TARGET_DIR:-$root/target}/release/csrkit" validate "$@"
