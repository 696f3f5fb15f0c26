#!/usr/bin/env python3
"""Computes the expected files of every vector from its context.json with the
Python standard library only (hashlib, hmac, urllib), independently of
csrkit's signer, and checks published signatures where a case has one.

    python3 independent.py          # rewrite the expected files
    python3 independent.py --check  # fail if any file differs
"""
import base64, hashlib, hmac, json, os, sys, urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
enc = lambda s: urllib.parse.quote(s, safe="-_.~")

def cq(pairs):
    return "&".join(f"{k}={v}" for k, v in sorted((enc(k), enc(v)) for k, v in pairs))

def v3(ctx):
    r = ctx["request"]
    body = r["body"].encode()
    ph = hashlib.sha256(body).hexdigest()
    hs = {"host": r["host"], "x-acs-action": r["action"], "x-acs-version": r["version"],
          "x-acs-date": ctx["date"], "x-acs-signature-nonce": ctx["nonce"], "x-acs-content-sha256": ph}
    for k, v in r["headers"]:
        hs[k.lower()] = v
    if ctx.get("security_token"):
        hs["x-acs-security-token"] = ctx["security_token"]
    names = sorted(hs)
    canon_headers = "".join(f"{n}:{hs[n].strip()}\n" for n in names)
    signed = ";".join(names)
    query = cq(r["query"])
    creq = "\n".join([r["method"], "/", query, canon_headers, signed, ph])
    sts = "ACS3-HMAC-SHA256\n" + hashlib.sha256(creq.encode()).hexdigest()
    sig = hmac.new(ctx["access_key_secret"].encode(), sts.encode(), hashlib.sha256).hexdigest()
    auth = f"ACS3-HMAC-SHA256 Credential={ctx['access_key_id']},SignedHeaders={signed},Signature={sig}"
    target = "/" + (f"?{query}" if query else "")
    wire = [f"{r['method']} {target}"] + [f"{n}: {hs[n].strip()}" for n in names] + [f"authorization: {auth}"]
    return sig, {"canonical-request.txt": creq, "string-to-sign.txt": sts, "authorization.txt": auth,
                 "request.txt": "\n".join(wire)}

def v1(ctx):
    params = [(k, v) for k, v in ctx["params"] if k != "Signature"]
    query = cq(params)
    sts = f"{ctx['method']}&%2F&{enc(query)}"
    sig = base64.b64encode(hmac.new((ctx["access_key_secret"] + "&").encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return sig, {"canonical-request.txt": query, "string-to-sign.txt": sts, "authorization.txt": sig,
                 "request.txt": f"{ctx['method']} /?{query}&Signature={enc(sig)}"}

def main():
    check = "--check" in sys.argv
    bad = 0
    cases = sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "context.json")))
    for case in cases:
        ctx = json.load(open(os.path.join(HERE, case, "context.json"), encoding="utf-8"))
        sig, files = (v3 if ctx["scheme"] == "v3" else v1)(ctx)
        if ctx.get("published_signature") and ctx["published_signature"] != sig:
            print(f"{case}: computed {sig}, published {ctx['published_signature']}"); bad += 1
        for name, text in files.items():
            path = os.path.join(HERE, case, name)
            if check:
                if open(path, encoding="utf-8").read() != text:
                    print(f"{case}/{name} differs"); bad += 1
            else:
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
    print(f"{len(cases)} cases, {bad} problems")
    sys.exit(1 if bad else 0)

main()
