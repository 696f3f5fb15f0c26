#!/usr/bin/env python3
"""The official Python SDK (alibabacloud-cas20200407) against a running csrkit sandbox.

Usage: sdk_against_sandbox.py BASE_URL   (the sandbox must run with --approve manual)
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / _SECRET (defaults as the sandbox's).

Runs the whole flow twice, with the default V3 signature and with signature_algorithm='v2'
(V1 HMAC-SHA1): package state, create with a real CSR made by openssl, describe, list, cancel +
delete with the quota given back, the order's instance (GetInstanceDetail: its CSR and tags;
ListTagResources by tag and by resource id), issuance after approval; then the errors: a wrong secret,
an unknown key and a replayed request. Exits non-zero on the first failed check.
"""
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

BASE = sys.argv[1].rstrip("/")
ENDPOINT = BASE.split("://", 1)[1]
AK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id")
SK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", "sandbox-access-key-secret")
CODE = "digicert-free-1-free"
RT = RuntimeOptions()
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok   {what}")


def client(algorithm, ak=AK, sk=SK):
    kw = dict(access_key_id=ak, access_key_secret=sk, endpoint=ENDPOINT, protocol="http",
              region_id="cn-hangzhou")
    if algorithm == "v2":
        kw["signature_algorithm"] = "v2"
    return Client(Config(**kw))


def control(method, path):
    req = urllib.request.Request(BASE + path, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def make_csr(cn):
    d = tempfile.mkdtemp()
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/key.pem",
                    "-subj", f"/CN={cn}", "-addext", f"subjectAltName=DNS:{cn},DNS:www.{cn}",
                    "-out", f"{d}/req.csr"], check=True, capture_output=True)
    return open(f"{d}/req.csr").read(), d


def package(c):
    b = c.describe_package_state_with_options(cas.DescribePackageStateRequest(product_code=CODE), RT).body
    return b.total_count, b.used_count, b.issued_count


def create(c, csr, validate="DNS"):
    req = cas.CreateCertificateWithCsrRequestRequest(
        csr=csr, product_code=CODE, username="Zhang San", phone="13800000000",
        email="admin@example.com", validate_type=validate,
        tags=[cas.CreateCertificateWithCsrRequestRequestTags(key="env", value="prod test")])
    return c.create_certificate_with_csr_request_with_options(req, RT).body.order_id


def state(c, order_id):
    return c.describe_certificate_state_with_options(
        cas.DescribeCertificateStateRequest(order_id=order_id), RT).body


def expect_error(fn, code, what):
    try:
        fn()
    except Exception as e:  # the SDK raises ClientException / ServerException
        got = getattr(e, "code", None)
        check(got == code, f"{what}: {code} (got {got!r}: {getattr(e, 'message', e)})")
        return e
    check(False, f"{what}: expected {code}, the call succeeded")


def flow(algorithm):
    print(f"== signature {algorithm}")
    c = client(algorithm)
    total, used, issued = package(c)
    check(total == 20, f"[{algorithm}] DescribePackageState TotalCount=20 (used {used}, issued {issued})")

    domain = f"{algorithm}.sdk-interop.example.com"
    csr, tmp = make_csr(domain)
    oid = create(c, csr)
    check(isinstance(oid, int) and oid > 2**53, f"[{algorithm}] Create returned OrderId {oid} > 2^53")
    check(package(c)[1] == used + 1, f"[{algorithm}] quota spent by Create")

    s = state(c, oid)
    check(s.type == "domain_verify" and s.record_type == "TXT" and s.record_domain == "_dnsauth"
          and s.record_value, f"[{algorithm}] DescribeCertificateState domain_verify TXT _dnsauth {s.record_value}")

    lst = c.list_user_certificate_order_with_options(
        cas.ListUserCertificateOrderRequest(keyword=domain, status="CHECKING", order_type="CPACK"), RT).body
    check(lst.total_count == 1 and lst.certificate_order_list[0].order_id == oid,
          f"[{algorithm}] ListUserCertificateOrder finds it as CHECKING")

    c.cancel_order_request_with_options(cas.CancelOrderRequestRequest(order_id=oid), RT)
    check(state(c, oid).type == "payed", f"[{algorithm}] CancelOrderRequest -> payed")
    c.delete_certificate_request_with_options(cas.DeleteCertificateRequestRequest(order_id=oid), RT)
    check(package(c)[1] == used, f"[{algorithm}] DeleteCertificateRequest gave the quota back")

    # The order's instance: its CSR and its tags (what csrkit's reconcile reads).
    oid = create(c, csr)
    lst = c.list_user_certificate_order_with_options(
        cas.ListUserCertificateOrderRequest(keyword=domain, status="CHECKING", order_type="CPACK"), RT).body
    instance = [o.instance_id for o in lst.certificate_order_list if o.order_id == oid][0]
    d = c.get_instance_detail_with_options(cas.GetInstanceDetailRequest(instance_id=instance), RT).body
    check(d.instance_id == instance and d.csr == csr and d.key_algorithm == "RSA_2048"
          and [(t.tag_key, t.tag_value) for t in d.tags] == [("env", "prod test")],
          f"[{algorithm}] GetInstanceDetail: the submitted Csr, KeyAlgorithm RSA_2048, Tags")
    t = c.list_tag_resources_with_options(cas.ListTagResourcesRequest(
        region_id="cn-hangzhou", resource_type="instance",
        tag=[cas.ListTagResourcesRequestTag(key="env", value="prod test")]), RT).body
    rows = [(r.resource_id, r.resource_type, r.tag_key, r.tag_value) for r in t.tag_resources.tag_resource]
    check((instance, "instance", "env", "prod test") in rows,
          f"[{algorithm}] ListTagResources by tag finds the instance ({len(rows)} rows)")
    t = c.list_tag_resources_with_options(cas.ListTagResourcesRequest(
        region_id="cn-hangzhou", resource_id=[instance], max_results=1), RT).body
    check(len(t.tag_resources.tag_resource) == 1 and t.tag_resources.tag_resource[0].resource_id == instance,
          f"[{algorithm}] ListTagResources by ResourceId.1, MaxResults=1")
    expect_error(lambda: c.get_instance_detail_with_options(
        cas.GetInstanceDetailRequest(instance_id="cas-ivauto-1"), RT), "InvalidParameter",
        f"[{algorithm}] GetInstanceDetail of an unknown instance")
    c.cancel_order_request_with_options(cas.CancelOrderRequestRequest(order_id=oid), RT)
    c.delete_certificate_request_with_options(cas.DeleteCertificateRequestRequest(order_id=oid), RT)

    oid = create(c, csr, "FILE")
    s = state(c, oid)
    check(s.type == "domain_verify" and s.validate_type == "FILE"
          and s.uri == "/.well-known/pki-validation/fileauth.txt" and s.content,
          f"[{algorithm}] FILE verification values")
    control("POST", f"/_sandbox/orders/{oid}/approve")
    s = state(c, oid)
    check(s.type == "certificate" and s.certificate.count("BEGIN CERTIFICATE") == 2 and s.cert_id,
          f"[{algorithm}] issued after approval: leaf + intermediate, CertId {s.cert_id}")
    with open(f"{tmp}/chain.pem", "w") as f:
        f.write(s.certificate)
    with open(f"{tmp}/root.pem", "w") as f:
        f.write(control("GET", "/_sandbox/ca.pem"))
    parts = s.certificate.split("-----END CERTIFICATE-----")
    with open(f"{tmp}/leaf.pem", "w") as f:
        f.write(parts[0] + "-----END CERTIFICATE-----\n")
    with open(f"{tmp}/int.pem", "w") as f:
        f.write(parts[1].lstrip() + "-----END CERTIFICATE-----\n")
    v = subprocess.run(["openssl", "verify", "-CAfile", f"{tmp}/root.pem", "-untrusted", f"{tmp}/int.pem",
                        f"{tmp}/leaf.pem"], capture_output=True, text=True)
    check(v.returncode == 0, f"[{algorithm}] openssl verify of the chain: {v.stdout.strip()}")
    k = subprocess.run(["openssl", "pkey", "-in", f"{tmp}/key.pem", "-pubout"], capture_output=True, text=True).stdout
    p = subprocess.run(["openssl", "x509", "-in", f"{tmp}/leaf.pem", "-noout", "-pubkey"], capture_output=True,
                       text=True).stdout
    check(k and k == p, f"[{algorithm}] the leaf carries the CSR's public key")
    t = subprocess.run(["openssl", "x509", "-in", f"{tmp}/leaf.pem", "-noout", "-ext", "subjectAltName"],
                       capture_output=True, text=True).stdout
    check(f"DNS:{domain}" in t and f"DNS:www.{domain}" in t, f"[{algorithm}] and the CSR's names")
    check(package(c)[2] == issued + 1, f"[{algorithm}] IssuedCount went up")

    # errors
    expect_error(lambda: package(client(algorithm, sk="wrong-secret")), "SignatureDoesNotMatch",
                 f"[{algorithm}] wrong secret")
    expect_error(lambda: package(client(algorithm, ak="no-such-key")), "InvalidAccessKeyId.NotFound",
                 f"[{algorithm}] unknown access key")

    # replay: resend the last request exactly as captured
    package(c)
    log = json.loads(control("GET", "/_sandbox/requests"))
    last = log[-1]
    check(last["path"].startswith("/?") and ("DescribePackageState" in last["path"]
          or last["headers"].get("x-acs-action") == "DescribePackageState"),
          f"[{algorithm}] captured the SDK's request: {last['method']} {last['path'][:60]}...")
    headers = {k: v for k, v in last["headers"].items() if k not in ("content-length", "transfer-encoding")}
    # exactly as captured: urllib adds a content-type of its own to a POST with data, even
    # empty data, which the sandbox (rightly) refuses as an unsigned header
    data = last["body"].encode() if last["body"] else None
    req = urllib.request.Request(BASE + last["path"], data=data, headers=headers, method=last["method"])
    try:
        urllib.request.urlopen(req, timeout=10)
        check(False, f"[{algorithm}] the replay was accepted")
    except urllib.error.HTTPError as e:
        body = json.loads(e.read())
        check(e.code == 400 and body["Code"] == "SignatureNonceUsed",
              f"[{algorithm}] replayed request -> {e.code} {body['Code']}")


for algo in ("v3", "v2"):
    flow(algo)
stats = json.loads(control("GET", "/_sandbox/stats"))
print("stats:", json.dumps(stats["requests"], sort_keys=True))
print(f"PASS: {checks} checks")
