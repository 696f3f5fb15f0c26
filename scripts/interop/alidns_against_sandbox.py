#!/usr/bin/env python3
"""The official Python SDK for Alibaba Cloud DNS (alibabacloud-alidns20150109) against a csrkit sandbox.

Usage: alidns_against_sandbox.py BASE_URL DNS_ADDR DENY_URL
  BASE_URL  a sandbox run with --zone sdk-interop.example.com --zone b.sdk-interop.example.com --zone 例子.example.com
            --foreign-zone other-account.example --dns-listen 127.0.0.1:0 --approve verify
  DNS_ADDR  its `dns IP:PORT` line
  DENY_URL  a sandbox run with --zone sdk-interop.example.com --deny AddDomainRecord
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / _SECRET (defaults as the sandbox's).

With the default V3 signature and with signature_algorithm='v2' (V1): DescribeDomains paging and
search (an IDN zone by its PunyCode), DescribeDomainInfo (MinTtl with NeedDetailAttributes), add,
list (DescribeDomainRecords with keywords, DescribeSubDomainRecords), update, delete, record paging,
and the errors: duplicate, conflict, unknown zone, another account's zone, TTL below the minimum,
an unknown record id. Every change is checked over real DNS with a query written here (no DNS
library). Then the hands-off loop with both SDKs: a CAS order, its TXT published through Alidns,
the verifying sandbox issues. Last, Forbidden.RAM with its AccessDeniedDetail. Exits non-zero on
the first failed check.
"""
import os
import socket
import struct
import subprocess
import sys
import tempfile

from alibabacloud_alidns20150109 import models as dns
from alibabacloud_alidns20150109.client import Client as DnsClient
from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client as CasClient
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

BASE, DNS_ADDR, DENY = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3].rstrip("/")
AK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id")
SK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", "sandbox-access-key-secret")
ZONE = "sdk-interop.example.com"
RT = RuntimeOptions()
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok   {what}")


def config(base, algorithm):
    kw = dict(access_key_id=AK, access_key_secret=SK, endpoint=base.split("://", 1)[1], protocol="http")
    if algorithm == "v2":
        kw["signature_algorithm"] = "v2"
    return Config(**kw)


def expect_error(fn, code, what):
    try:
        fn()
    except Exception as e:  # the SDK raises ClientException / ServerException
        got = getattr(e, "code", None)
        check(got == code, f"{what}: {code} (got {got!r}: {getattr(e, 'message', e)})")
        return e
    check(False, f"{what}: expected {code}, the call succeeded")


def dns_query(name, qtype):
    """One UDP query, by hand (RFC 1035 4.1): (rcode, aa, [TXT values or other rdata bytes])."""
    host, port = DNS_ADDR.rsplit(":", 1)
    qid = os.getpid() & 0xFFFF
    q = struct.pack(">HHHHHH", qid, 0, 1, 0, 0, 0)
    for label in name.encode("ascii").split(b"."):
        q += bytes([len(label)]) + label
    q += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(10)
        s.sendto(q, (host, int(port)))
        r, _ = s.recvfrom(4096)
    rid, flags, qd, an, _, _ = struct.unpack(">HHHHHH", r[:12])
    assert rid == qid and flags & 0x8000, "a response to our query"
    pos = 12

    def skip_name(p):
        while True:
            n = r[p]
            if n == 0:
                return p + 1
            if n & 0xC0 == 0xC0:
                return p + 2
            p += n + 1

    for _ in range(qd):
        pos = skip_name(pos) + 4
    values = []
    for _ in range(an):
        pos = skip_name(pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", r[pos:pos + 10])
        rdata = r[pos + 10:pos + 10 + rdlen]
        pos += 10 + rdlen
        if rtype == 16:  # TXT: character-strings, joined
            text, i = b"", 0
            while i < len(rdata):
                text += rdata[i + 1:i + 1 + rdata[i]]
                i += 1 + rdata[i]
            values.append(text.decode())
        else:
            values.append(rdata)
    return flags & 0x000F, bool(flags & 0x0400), sorted(values, key=str)


def records(body):
    return body.domain_records.record if body.domain_records and body.domain_records.record else []


def flow(algorithm):
    print(f"== signature {algorithm}")
    c = DnsClient(config(BASE, algorithm))

    # zones: paging one a page, search, the IDN zone by PunyCode
    names = []
    for page in (1, 2, 3, 4):
        b = c.describe_domains_with_options(dns.DescribeDomainsRequest(page_number=page, page_size=1), RT).body
        check(b.total_count == 3, f"[{algorithm}] DescribeDomains page {page}: TotalCount 3")
        names += [d.puny_code for d in (b.domains.domain or [])]
    check(sorted(names) == sorted([ZONE, f"b.{ZONE}", "xn--fsqu00a.example.com"]),
          f"[{algorithm}] paging through DescribeDomains lists each zone once: {names}")
    b = c.describe_domains_with_options(dns.DescribeDomainsRequest(key_word="例子"), RT).body
    d = b.domains.domain[0]
    check(b.total_count == 1 and d.domain_name == "例子.example.com" and d.puny_code == "xn--fsqu00a.example.com"
          and d.dns_servers.dns_server, f"[{algorithm}] the IDN zone: {d.domain_name} / {d.puny_code}")

    info = c.describe_domain_info_with_options(
        dns.DescribeDomainInfoRequest(domain_name=ZONE, need_detail_attributes=True), RT).body
    check(info.min_ttl == 600 and info.dns_servers.dns_server, f"[{algorithm}] DescribeDomainInfo MinTtl 600")
    info = c.describe_domain_info_with_options(dns.DescribeDomainInfoRequest(domain_name=f"b.{ZONE}"), RT).body
    check(info.sub_domain is True and info.min_ttl is None,
          f"[{algorithm}] a hosted subdomain; no MinTtl without NeedDetailAttributes")

    # add, then see it through the API and over DNS
    rr = f"_dnsauth.{algorithm}"
    fqdn = f"{rr}.{ZONE}"
    add = dns.AddDomainRecordRequest(domain_name=ZONE, rr=rr, type="TXT", value=f"token-{algorithm}", ttl=600)
    rid = c.add_domain_record_with_options(add, RT).body.record_id
    check(isinstance(rid, str) and int(rid) > 2**53, f"[{algorithm}] AddDomainRecord RecordId {rid}")
    b = c.describe_domain_records_with_options(
        dns.DescribeDomainRecordsRequest(domain_name=ZONE, rrkey_word=rr, type_key_word="TXT"), RT).body
    r = records(b)
    check(b.total_count == 1 and r[0].record_id == rid and r[0].rr == rr and r[0].type == "TXT"
          and r[0].value == f"token-{algorithm}" and r[0].ttl == 600 and r[0].line == "default",
          f"[{algorithm}] DescribeDomainRecords finds it by RRKeyWord + TypeKeyWord")
    b = c.describe_sub_domain_records_with_options(
        dns.DescribeSubDomainRecordsRequest(sub_domain=fqdn, domain_name=ZONE, type="TXT"), RT).body
    check([x.record_id for x in records(b)] == [rid], f"[{algorithm}] DescribeSubDomainRecords {fqdn}")
    check(dns_query(fqdn, 16) == (0, True, [f"token-{algorithm}"]), f"[{algorithm}] DNS: {fqdn} TXT, AA")

    # errors
    expect_error(lambda: c.add_domain_record_with_options(add, RT), "DomainRecordDuplicate",
                 f"[{algorithm}] the same record again")
    expect_error(lambda: c.add_domain_record_with_options(
        dns.AddDomainRecordRequest(domain_name=ZONE, rr=rr, type="CNAME", value="x.dcv.example.net"), RT),
        "DomainRecordConflict", f"[{algorithm}] a CNAME beside it")
    expect_error(lambda: c.add_domain_record_with_options(
        dns.AddDomainRecordRequest(domain_name="unknown-zone.example", rr=rr, type="TXT", value="v"), RT),
        "InvalidDomainName.NoExist", f"[{algorithm}] an unknown zone")
    expect_error(lambda: c.describe_domain_records_with_options(
        dns.DescribeDomainRecordsRequest(domain_name="other-account.example"), RT),
        "IncorrectDomainUser", f"[{algorithm}] another account's zone")
    expect_error(lambda: c.add_domain_record_with_options(
        dns.AddDomainRecordRequest(domain_name=ZONE, rr="t", type="TXT", value="v", ttl=60), RT),
        "QuotaExceeded.TTL", f"[{algorithm}] TTL 60 on a free zone")

    # update, delete
    c.update_domain_record_with_options(
        dns.UpdateDomainRecordRequest(record_id=rid, rr=rr, type="TXT", value=f"new-{algorithm}"), RT)
    check(dns_query(fqdn, 16)[2] == [f"new-{algorithm}"], f"[{algorithm}] UpdateDomainRecord, seen over DNS")
    b = c.delete_domain_record_with_options(dns.DeleteDomainRecordRequest(record_id=rid), RT).body
    check(b.record_id == rid, f"[{algorithm}] DeleteDomainRecord")
    check(dns_query(fqdn, 16) == (3, True, []), f"[{algorithm}] DNS: NXDOMAIN once deleted")
    expect_error(lambda: c.delete_domain_record_with_options(dns.DeleteDomainRecordRequest(record_id=rid), RT),
                 "DomainRecordNotBelongToUser", f"[{algorithm}] deleting it again")

    # record paging
    ids = [c.add_domain_record_with_options(dns.AddDomainRecordRequest(
        domain_name=ZONE, rr=f"page{i:02}.{algorithm}", type="A", value=f"192.0.2.{i}"), RT).body.record_id
        for i in range(25)]
    seen = []
    for page in (1, 2, 3):
        b = c.describe_domain_records_with_options(dns.DescribeDomainRecordsRequest(
            domain_name=ZONE, rrkey_word=f".{algorithm}", page_number=page, page_size=10), RT).body
        check(b.total_count == 25 and b.page_number == page and b.page_size == 10,
              f"[{algorithm}] DescribeDomainRecords page {page} of 25 records, 10 a page")
        seen += [x.record_id for x in records(b)]
    check(sorted(seen) == sorted(ids), f"[{algorithm}] the three pages hold each record once")
    for i in ids:
        c.delete_domain_record_with_options(dns.DeleteDomainRecordRequest(record_id=i), RT)


def hands_off():
    print("== hands-off: a CAS order verified through a TXT published with the Alidns SDK")
    c = CasClient(config(BASE, "v3"))
    d = DnsClient(config(BASE, "v3"))
    tmp = tempfile.mkdtemp()
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{tmp}/key.pem", "-subj", f"/CN=www.{ZONE}", "-out", f"{tmp}/req.csr"],
                   check=True, capture_output=True)
    oid = c.create_certificate_with_csr_request_with_options(cas.CreateCertificateWithCsrRequestRequest(
        csr=open(f"{tmp}/req.csr").read(), username="Zhang San", phone="13800000000",
        email="admin@example.com", validate_type="DNS"), RT).body.order_id
    state = lambda: c.describe_certificate_state_with_options(  # noqa: E731
        cas.DescribeCertificateStateRequest(order_id=oid), RT).body
    s = state()
    check(s.type == "domain_verify" and s.record_type == "TXT" and s.record_domain == "_dnsauth",
          f"order {oid}: publish {s.record_domain}.www.{ZONE} TXT {s.record_value}")
    check(state().type == "domain_verify", "nothing published: the verifying sandbox waits")
    rid = d.add_domain_record_with_options(dns.AddDomainRecordRequest(
        domain_name=ZONE, rr=f"{s.record_domain}.www", type=s.record_type, value=s.record_value), RT).body.record_id
    s = state()
    check(s.type == "certificate" and "BEGIN CERTIFICATE" in s.certificate, "published: issued")
    d.delete_domain_record_with_options(dns.DeleteDomainRecordRequest(record_id=rid), RT)
    check(dns_query(f"_dnsauth.www.{ZONE}", 16)[0] == 3, "cleaned up: NXDOMAIN")


def denied():
    print("== RAM: an action the account may not call")
    d = DnsClient(config(DENY, "v3"))
    e = expect_error(lambda: d.add_domain_record_with_options(dns.AddDomainRecordRequest(
        domain_name=ZONE, rr="_dnsauth", type="TXT", value="v"), RT), "Forbidden.RAM", "AddDomainRecord denied")
    detail = getattr(e, "access_denied_detail", None) or {}
    check(detail.get("AuthPrincipalType") == "SubUser", f"the SDK reads its AccessDeniedDetail: {detail}")
    b = d.describe_domain_records_with_options(dns.DescribeDomainRecordsRequest(domain_name=ZONE), RT).body
    check(b.total_count == 0, "nothing was added; other actions still work")


for algo in ("v3", "v2"):
    flow(algo)
hands_off()
denied()
print(f"PASS: {checks} checks")
