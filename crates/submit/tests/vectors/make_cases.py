#!/usr/bin/env python3
"""Writes the context.json of every signing vector (run once; committed).

The expected outputs are then computed by independent.py, which uses only the
Python standard library, never csrkit's own signer.
"""
import json, os

CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBtest+/=\n-----END CERTIFICATE REQUEST-----"
E = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

def v3(name, source, query, *, ak="testid", sk="testsecret", token=None, host="cas.aliyuncs.com",
       action="CreateCertificateWithCsrRequest", version="2020-04-07", date="2024-01-01T00:00:00Z",
       nonce="0123456789abcdef0123456789abcdef", headers=(), published=None, method="POST"):
    ctx = {"scheme": "v3", "source": source, "access_key_id": ak, "access_key_secret": sk,
           "security_token": token, "date": date, "nonce": nonce,
           "request": {"method": method, "host": host, "action": action, "version": version,
                       "query": [list(p) for p in query], "headers": [list(h) for h in headers], "body": ""}}
    if published:
        ctx["published_signature"] = published
    write(name, ctx)

def v1(name, source, params, method, *, sk="testsecret", published=None):
    ctx = {"scheme": "v1", "source": source, "access_key_secret": sk, "method": method,
           "params": [list(p) for p in params]}
    if published:
        ctx["published_signature"] = published
    write(name, ctx)

def write(name, ctx):
    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, "context.json"), "w") as f:
        json.dump(ctx, f, indent=2, ensure_ascii=False)
        f.write("\n")

CAS_PARAMS = [("Csr", CSR), ("Email", "admin@example.com"), ("Phone", "13800000000"),
              ("ProductCode", "digicert-free-1-free"), ("Tags.1.Key", "env"), ("Tags.1.Value", "prod test"),
              ("Username", "Zhang San"), ("ValidateType", "DNS")]

v3("v3-official-runinstances",
   "Alibaba Cloud doc 'V3 request syntax and signature method', fixed parameter values (reference 2.1)",
   [("ImageId", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd"), ("RegionId", "cn-shanghai")],
   ak="YourAccessKeyId", sk="YourAccessKeySecret", host="ecs.cn-shanghai.aliyuncs.com",
   action="RunInstances", version="2014-05-26", date="2023-10-26T10:22:32Z",
   nonce="3156853299f313e23d1673dc12e1703d",
   published="06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")
v3("v3-cas-create-with-csr",
   "CAS vector of reference 2.1, computed there with the official SDK's Utils.get_authorization",
   CAS_PARAMS, published="4798ad18bc35854d8557aabb69f3d02085bdee35714d03ee2617e3bd3cae70ff")
v3("v3-rfc3986-reserved-set", "canonicalisation: every printable ASCII character outside the unreserved set",
   [("Keyword", " !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"), ("Unreserved", "AZaz09-_.~")], action="ListUserCertificateOrder")
v3("v3-space-star-tilde", "canonicalisation: space is %20, * is %2A, ~ stays",
   [("Keyword", "a b*c~d"), ("Status", "~*~ ~")], action="ListUserCertificateOrder")
v3("v3-utf8-multibyte", "canonicalisation: multi-byte UTF-8 is encoded byte by byte",
   [("Username", "张三 Zoë"), ("Keyword", "bücher.例え.jp 😀")])
v3("v3-csr-newlines", "canonicalisation: LF and CRLF line ends in a PEM CSR",
   [("Csr", CSR.replace("\n", "\r\n") + "\n"), ("Email", "a+b@example.com"), ("Phone", "+86 138"),
    ("Username", "x"), ("ValidateType", "FILE")])
v3("v3-tags-byte-order", "canonicalisation: byte order, so Tags.10.* sorts before Tags.2.*",
   [(f"Tags.{i}.{kv}", f"{kv.lower()}{i}") for i in (2, 10, 1, 11) for kv in ("Value", "Key")]
   + [("Csr", "c"), ("ValidateType", "DNS")])
v3("v3-empty-query-and-value", "canonicalisation: an empty value is 'Name='",
   [("ProductCode", "")], action="DescribePackageState")
v3("v3-no-params", "canonicalisation: no parameters gives an empty canonical query line",
   [], action="DescribePackageState")
v3("v3-client-headers-sts", "the headers csrkit sends: accept, user-agent and an STS token, all signed",
   [("OrderId", "98987582437920968")], action="DescribeCertificateState", host="127.0.0.1:18765",
   token="CAIS-example-sts-token+/=", headers=[("accept", "application/json"), ("user-agent", "csrkit/0.1.0")])

V1_A = [("AccessKeyId", "testid"), ("Action", "DescribeDedicatedHosts"), ("Format", "JSON"),
        ("RegionId", "cn-beijing"), ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "edb2b34af0af9a6d14deaf7c1a5315eb"), ("SignatureVersion", "1.0"),
        ("Timestamp", "2023-03-13T08:34:30Z"), ("Version", "2014-05-26")]
V1_B = [("AccessKeyId", "testid"), ("Action", "DescribeRegions"), ("Format", "XML"),
        ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("SignatureVersion", "1.0"), ("Timestamp", "2016-02-23T12:46:24Z"), ("Version", "2014-05-26")]
V1_CAS = CAS_PARAMS + [("AccessKeyId", "testid"), ("Action", "CreateCertificateWithCsrRequest"), ("Format", "JSON"),
                       ("SignatureMethod", "HMAC-SHA1"), ("SignatureNonce", "0123456789abcdef0123456789abcdef"),
                       ("SignatureVersion", "1.0"), ("Timestamp", "2024-01-01T00:00:00Z"), ("Version", "2020-04-07")]
v1("v1-official-a", "Alibaba Cloud doc 'Request syntax and signature method V2 for RPC APIs' (reference 2.2, vector A)",
   V1_A, "GET", published="9NaGiOspFP5UPcwX8Iwt2YJXXuk=")
v1("v1-official-b", "classic ECS signature doc (reference 2.2, vector B)", V1_B, "GET",
   published="OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
v1("v1-cas-get", "CAS V1 vector of reference 2.2 (GET)", V1_CAS, "GET", published="S18fsSYMxhF1yljBkuG1dsqQhus=")
v1("v1-cas-post", "CAS V1 vector of reference 2.2 (POST)", V1_CAS, "POST", published="t9cgelV3/a3pIZTrW+zcAD9OMV4=")
