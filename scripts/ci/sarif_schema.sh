#!/usr/bin/env bash
# Checks `csrkit validate --format sarif` against the official SARIF 2.1.0
# JSON schema (sarif-2.1.0-rtm.5.json, as shipped in Microsoft's
# @microsoft/jest-sarif package on npm) with Python's jsonschema, over every
# lint fixture (a report with findings of every rule) and a clean CSR.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
venv="$root/target/interop-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check jsonschema
schema_dir="$root/target/sarif-schema"
schema="$schema_dir/sarif-2.1.0-rtm.5.json"
if [ ! -s "$schema" ]; then
    mkdir -p "$schema_dir"
    (cd "$schema_dir" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null \
        && tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json \
        && mv package/lib/schemas/sarif-2.1.0-rtm.5.json "$schema")
fi
cargo build --quiet -p csrkit
bin="${CARGO_TARGET_DIR:-$root/target}/debug/csrkit"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" generate --domain example.com --out-dir "$work/clean" >/dev/null
set +e
"$bin" validate "$root/crates/validate/tests/fixtures" --format sarif >"$work/fixtures.sarif"
[ $? -le 1 ] || { echo "csrkit validate failed on the fixtures"; exit 1; }
"$bin" validate "$work/clean/request.csr" --format sarif >"$work/clean.sarif" || exit 1
# an unreadable path: still one log, with a tool execution notification
"$bin" validate "$work/clean/request.csr" "$work/missing.csr" --format sarif >"$work/missing.sarif"
[ $? -eq 2 ] || { echo "a missing path must exit 2"; exit 1; }
set -e
"$venv/bin/python" - "$schema" "$work/fixtures.sarif" "$work/clean.sarif" "$work/missing.sarif" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
validator = jsonschema.validators.validator_for(schema)(schema)
passed = failed = 0
for path in sys.argv[2:]:
    log = json.load(open(path))
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    results = len(log["runs"][0]["results"])
    rules = {r["ruleId"] for r in log["runs"][0]["results"]}
    if errors:
        failed += 1
        for e in errors[:10]:
            print(f"{path}: {list(e.path)}: {e.message}")
    else:
        passed += 1
        print(f"{path.rsplit('/', 1)[-1]}: valid SARIF 2.1.0 ({results} results, {len(rules)} rules)")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
