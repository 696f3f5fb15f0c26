#!/usr/bin/env bash
# The official Python SDKs against the csrkit sandbox: makes a venv in target/interop-venv, installs
# alibabacloud-cas20200407 and alibabacloud-alidns20150109 from PyPI, starts `csrkit sandbox`
# (manual approval), runs sdk_against_sandbox.py, then two more sandboxes (a verifying CA hosting
# zones over DNS, and one denying AddDomainRecord) for alidns_against_sandbox.py, then two for
# deploy_against_sandbox.py (cloud resources to deploy to; a rate limit and 60-second
# certificates), and stops them.
# Needs python3 (with venv), openssl and cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/interop-venv"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
"$venv/bin/python" -c 'import alibabacloud_cas20200407, alibabacloud_alidns20150109' 2>/dev/null \
    || "$venv/bin/pip" install -q alibabacloud-cas20200407 alibabacloud-alidns20150109

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

# Alidns: a verifying sandbox with zones served over DNS, and one that denies AddDomainRecord.
# Each prints its URL, then (with --dns-listen) `dns IP:PORT`.
start_more() { # OUT LINES ARGS...
    local out="$1" lines="$2"
    shift 2
    "$target_dir/debug/csrkit" sandbox "$@" >"$out" &
    more_pids+=("$!")
    for _ in $(seq 1 100); do
        [ "$(wc -l <"$out")" -ge "$lines" ] && return 0
        kill -0 "${more_pids[-1]}" 2>/dev/null || { echo "a sandbox did not start: $*" >&2; exit 1; }
        sleep 0.1
    done
    echo "a sandbox did not print its addresses: $*" >&2
    exit 1
}
more_pids=()
verifying="$(mktemp)"
denying="$(mktemp)"
deploying="$(mktemp)"
limited="$(mktemp)"
trap 'kill "$pid" "${more_pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -f "$out" "$verifying" "$denying" "$deploying" "$limited"' EXIT
start_more "$verifying" 2 --approve verify --dns-listen 127.0.0.1:0 \
    --zone sdk-interop.example.com --zone b.sdk-interop.example.com --zone 例子.example.com \
    --foreign-zone other-account.example
start_more "$denying" 1 --zone sdk-interop.example.com --deny AddDomainRecord
dns_line="$(sed -n 2p "$verifying")"
echo "verifying sandbox at $(head -n 1 "$verifying"), $dns_line; denying one at $(head -n 1 "$denying")"
"$venv/bin/python" "$root/scripts/interop/alidns_against_sandbox.py" \
    "$(head -n 1 "$verifying")" "${dns_line#dns }" "$(head -n 1 "$denying")"

# Deployment: resources to deploy to (one that fails), and a rate-limited sandbox issuing
# 60-second certificates.
start_more "$deploying" 1 --deploy-after 1s --resource cdn:www.deploy-interop.example.com \
    --resource slb:deploy-interop.example.com --resource oss:bad.deploy-interop.example.com:fail
start_more "$limited" 1 --rate-limit 2 --cert-lifetime 60s
echo "deploying sandbox at $(head -n 1 "$deploying"), rate-limited one at $(head -n 1 "$limited")"
"$venv/bin/python" "$root/scripts/interop/deploy_against_sandbox.py" \
    "$(head -n 1 "$deploying")" "$(head -n 1 "$limited")"
