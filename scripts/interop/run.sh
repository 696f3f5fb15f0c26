#!/usr/bin/env bash
# Interop check: every request csrkit's client sends is re-signed by the
# official Python SDK (alibabacloud-cas20200407 from PyPI) and must match.
#   1. a venv in target/interop-venv with the SDK (versions the reference
#      document was verified with);
#   2. the Rust test `interop` sends every operation to a loopback recording
#      server and writes the requests to target/interop/requests.jsonl;
#   3. verify_signatures.py recomputes each signature with
#      alibabacloud_tea_openapi.utils.Utils.get_authorization.
set -euo pipefail
cd "$(dirname "$0")/../.."

venv=target/interop-venv
out=target/interop/requests.jsonl
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "alibabacloud-cas20200407==3.9.4" "alibabacloud-tea-openapi==0.4.6"

mkdir -p "$(dirname "$out")"
rm -f "$out"
CSRKIT_RECORD_REQUESTS="$PWD/$out" \
    cargo test --quiet -p csrkit-submit --test tests interop::
"$venv/bin/python" scripts/interop/verify_signatures.py "$out"
