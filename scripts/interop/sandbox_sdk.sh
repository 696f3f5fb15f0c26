#!/usr/bin/env bash
# The official Python SDK against the csrkit sandbox: makes a venv in target/interop-venv, installs
# alibabacloud-cas20200407 from PyPI, starts `csrkit sandbox` (manual approval),
# runs sdk_against_sandbox.py and stops the server. Needs python3 (with venv), openssl and cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/interop-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import alibabacloud_cas20200407' 2>/dev/null \
    || "$venv/bin/pip" install -q alibabacloud-cas20200407

cargo build -q -p csrkit
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="$(mktemp)"
"$target_dir/debug/csrkit" sandbox --approve manual >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 1 100); do
    [ -s "$out" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the sandbox did not start" >&2; exit 1; }
    sleep 0.1
done
url="$(head -n 1 "$out")"
case "$url" in
    http://127.0.0.1:*) ;;
    *) echo "unexpected first line from the sandbox: $url" >&2; exit 1 ;;
esac
echo "sandbox at $url"
"$venv/bin/python" "$root/scripts/interop/sdk_against_sandbox.py" "$url"
