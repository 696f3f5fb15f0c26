#!/usr/bin/env python3
"""The `csrkit apply` hands-off flow done with the official Python SDKs, for the benchmark.

Usage: apply_with_sdk.py BASE_URL CSR_FILE OUT_DIR

BASE_URL is a `csrkit sandbox --approve verify --zone example.com` server (a verifying CA that
hosts the zone behind its Alibaba Cloud DNS emulation); CSR_FILE a CSR for example.com made by
`openssl req -new` (the benchmark makes it with openssl genpkey + req, outside this script).

With alibabacloud-cas20200407: DescribePackageState (stops when no quota is left),
CreateCertificateWithCsrRequest, DescribeCertificateState for the record to publish; with
alibabacloud-alidns20150109: AddDomainRecord of that TXT record in example.com; then
DescribeCertificateState until the type is `certificate` (the sandbox resolves the record before
it issues), DeleteDomainRecord, and the returned chain written to OUT_DIR/cert.pem.
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / _SECRET (defaults as the sandbox's).
Run with the interop venv (target/interop-venv, see scripts/interop/sandbox_sdk.sh).
"""
import os
import sys
import time

from alibabacloud_alidns20150109 import models as dns
from alibabacloud_alidns20150109.client import Client as DnsClient
from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

CODE = "digicert-free-1-free"
ZONE = "example.com"


def main():
    base, csr_file, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    config = Config(
        access_key_id=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id"),
        access_key_secret=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET",
                                         "sandbox-access-key-secret"),
        endpoint=base.split("://", 1)[1].rstrip("/"), protocol="http", region_id="cn-hangzhou")
    client = Client(config)
    records = DnsClient(config)
    rt = RuntimeOptions()

    pkg = client.describe_package_state_with_options(
        cas.DescribePackageStateRequest(product_code=CODE), rt).body
    if (pkg.total_count or 0) - (pkg.used_count or 0) <= 0:
        sys.exit(f"no quota left for {CODE}: {pkg.used_count} of {pkg.total_count} used")

    with open(csr_file) as f:
        csr = f.read()
    order_id = client.create_certificate_with_csr_request_with_options(
        cas.CreateCertificateWithCsrRequestRequest(
            csr=csr, product_code=CODE, username="Zhang San", phone="13800000000",
            email="ops@example.com", validate_type="DNS"), rt).body.order_id

    def state():
        return client.describe_certificate_state_with_options(
            cas.DescribeCertificateStateRequest(order_id=order_id), rt).body

    asked = state()
    record_id = records.add_domain_record_with_options(dns.AddDomainRecordRequest(
        domain_name=ZONE, rr=asked.record_domain, type=asked.record_type,
        value=asked.record_value), rt).body.record_id

    deadline = time.monotonic() + 60
    while True:
        s = state()
        if s.type == "certificate":
            break
        if s.type == "verify_fail" or time.monotonic() > deadline:
            sys.exit(f"order {order_id} ended in {s.type}")
        time.sleep(0.2)
    records.delete_domain_record_with_options(dns.DeleteDomainRecordRequest(record_id=record_id), rt)

    with open(os.path.join(out_dir, "cert.pem"), "w") as f:
        f.write(s.certificate)


if __name__ == "__main__":
    main()
