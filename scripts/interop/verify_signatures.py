#!/usr/bin/env python3
"""Recomputes the ACS3-HMAC-SHA256 signature of every request csrkit sent
(one JSON object a line: method, path with query, headers, body) with the
official SDK's own `alibabacloud_tea_openapi.utils.Utils.get_authorization`,
and exits non-zero on any mismatch.

    verify_signatures.py REQUESTS.jsonl [SECRET]

The SDK signs every header it is given, so it gets exactly the headers named
in the request's SignedHeaders, and the query percent-decoded (it encodes the
values itself).
"""
import hashlib
import json
import sys
import urllib.parse
from types import SimpleNamespace

from alibabacloud_tea_openapi.utils import Utils

DEFAULT_SECRET = "TEST-SECRET-do-not-print"  # the constant of crates/submit/tests/server.rs


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    secret = sys.argv[2] if len(sys.argv) > 2 else DEFAULT_SECRET
    total = matched = 0
    actions = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            total += 1
            r = json.loads(line)
            headers = {k.lower(): v for k, v in r["headers"].items()}
            auth = headers.get("authorization", "")
            algo, _, rest = auth.partition(" ")
            parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
            signed = parts.get("SignedHeaders", "").split(";")
            url = urllib.parse.urlsplit(r["path"])
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            req = SimpleNamespace(
                method=r["method"],
                pathname=url.path or "/",
                query=query,
                headers={h: headers[h] for h in signed if h in headers},
            )
            payload = hashlib.sha256(r["body"].encode("utf-8")).hexdigest()
            expected = Utils.get_authorization(req, algo, payload, parts.get("Credential", ""), secret)
            action = headers.get("x-acs-action", "?")
            ok = algo == "ACS3-HMAC-SHA256" and expected == auth and set(signed) <= set(headers)
            actions.setdefault(action, [0, 0])[0 if ok else 1] += 1
            if ok:
                matched += 1
            else:
                print(f"line {n}: MISMATCH {action}\n  sent: {auth}\n  sdk:  {expected}")
    for action, (good, bad) in sorted(actions.items()):
        print(f"  {action}: {good} matched, {bad} mismatched")
    print(f"{total} requests re-signed by alibabacloud_tea_openapi.utils.Utils.get_authorization")
    print(f"interop: {matched} passed, {total - matched} failed")
    return 0 if total > 0 and matched == total else 1


if __name__ == "__main__":
    sys.exit(main())
