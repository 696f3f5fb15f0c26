#!/usr/bin/env bash
# DigiCert's pkilint (PyPI) on what the sandbox issues: a leaf as DV-FINAL-CERTIFICATE and its
# intermediate as EXTERNAL-UNCONSTRAINED-TLS-CA with lint_cabf_serverauth_cert, and the CRLs it
# serves with lint_crl. No finding of severity ERROR or FATAL may remain. The certificates are
# ordered through the official Python SDK (alibabacloud-cas20200407) from a `csrkit sandbox`
# process: an ECDSA leaf on digicert-free-1-free and an RSA wildcard on geotrust-dv-w-starter;
# the first is then revoked (CancelCertificateForPackageRequest) and must appear on the CRL its
# CRL distribution point names. Needs python3 (with venv), openssl and cargo.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
venv="$root/target/interop-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import alibabacloud_cas20200407, pkilint' 2>/dev/null \
    || "$venv/bin/pip" install -q --disable-pip-version-check alibabacloud-cas20200407 pkilint

cargo build -q -p csrkit
bin="${CARGO_TARGET_DIR:-$root/target}/debug/csrkit"
work="$(mktemp -d)"
"$bin" sandbox --approve manual --quota digicert-free-1-free=5 --quota geotrust-dv-w-starter=5 \
    >"$work/url" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    [ -s "$work/url" ] && break
    kill -0 "$pid" 2>/dev/null || { echo "the sandbox did not start" >&2; exit 1; }
    sleep 0.1
done
url="$(head -n 1 "$work/url")"
echo "sandbox at $url"
"$venv/bin/python" "$root/scripts/ci/pkilint_issue.py" "$url" "$work"

failed=0
lint() { # what, command...
    local what="$1"; shift
    echo "== $what"
    if ! "$@" -s ERROR >"$work/findings" 2>&1 || grep -q '[^[:space:]]' "$work/findings"; then
        cat "$work/findings"
        echo "FAIL: $what has findings of severity ERROR or worse"
        failed=1
    else
        # show what remains below ERROR, for the record
        "$@" -s WARNING || true
        echo "ok   $what: no ERROR"
    fi
}
for leaf in ecdsa rsa-wildcard; do
    lint "leaf ($leaf) as DV-FINAL-CERTIFICATE" \
        "$venv/bin/lint_cabf_serverauth_cert" lint -t DV-FINAL-CERTIFICATE "$work/$leaf-leaf.pem"
done
lint "intermediate as EXTERNAL-UNCONSTRAINED-TLS-CA" \
    "$venv/bin/lint_cabf_serverauth_cert" lint -t EXTERNAL-UNCONSTRAINED-TLS-CA "$work/intermediate.pem"
lint "the intermediate's CRL (one revoked leaf)" \
    "$venv/bin/lint_crl" lint -t CRL -p BR --document-format DER "$work/intermediate.crl"
lint "the root's CRL" \
    "$venv/bin/lint_crl" lint -t ARL -p BR --document-format DER "$work/root.crl"
[ "$failed" = 0 ] || exit 1
echo "PASS: pkilint finds no ERROR in the sandbox's leaf, intermediate and CRLs"
