#!/usr/bin/env bash
# Seeds corpus/differential (and corpus/validate) with the DER of every
# committed fixture request, so the fuzzers start from real CSRs.
set -euo pipefail
cd "$(dirname "$0")"
for target in differential validate; do
  mkdir -p "corpus/$target"
  for f in ../tests/fixtures/v*/*.pem ../tests/fixtures/external/attack/*.csr; do
    if grep -q "BEGIN CERTIFICATE REQUEST" "$f"; then
      openssl req -in "$f" -outform DER -out "corpus/$target/$(basename "$(dirname "$f")")-$(basename "$f").der" 2>/dev/null || true
    fi
  done
done
echo "seeded: $(ls corpus/differential | wc -l) files"
