#!/usr/bin/env bash
# Checks the pre-commit hook this repository publishes (.pre-commit-hooks.yaml)
# with pre-commit itself (from PyPI, in target/interop-venv): a CSR that fails
# the lint stops the commit, a clean one passes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/interop-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check pre-commit
cargo build --quiet -p csrkit
bin="${CARGO_TARGET_DIR:-$root/target}/debug"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
git init -q .
"$bin/csrkit" generate --domain example.com --out-dir good >/dev/null
cp good/request.csr good.csr
openssl req -new -newkey rsa:2048 -nodes -keyout /dev/null -subj "/CN=bad_name.example.com" \
    -out bad.csr 2>/dev/null
git add good.csr bad.csr
export PATH="$bin:$PATH" PRE_COMMIT_HOME="$work/.cache"
if "$venv/bin/pre-commit" try-repo "$root" csrkit-validate-system --files bad.csr >out.txt 2>&1; then
    cat out.txt; echo "FAIL: the hook passed a CSR with an underscore in its name"; exit 1
fi
grep -q "V211" out.txt || { cat out.txt; echo "FAIL: the hook did not report V211"; exit 1; }
"$venv/bin/pre-commit" try-repo "$root" csrkit-validate-system --files good.csr >out.txt 2>&1 \
    || { cat out.txt; echo "FAIL: the hook refused a clean CSR"; exit 1; }
# What a killed `csrkit generate` leaves (a hidden temp file holding the key)
# matches the hook's pattern and stops the commit (V106).
cp good/privkey.pem good/.csrkit-AbCdEf123456.tmp
git add -f good/.csrkit-AbCdEf123456.tmp
if "$venv/bin/pre-commit" try-repo "$root" csrkit-validate-system \
    --files good/.csrkit-AbCdEf123456.tmp >out.txt 2>&1; then
    cat out.txt; echo "FAIL: the hook let a leftover key file through"; exit 1
fi
grep -q "V106" out.txt || { cat out.txt; echo "FAIL: the hook did not report V106"; exit 1; }
echo "pre-commit hook: 3 passed, 0 failed"
