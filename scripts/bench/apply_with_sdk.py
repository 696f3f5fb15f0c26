#!/usr/bin/env python3
"""The `csrkit apply` flow done with the official Python SDK, for the benchmark.

Usage: apply_with_sdk.py BASE_URL CSR_FILE OUT_DIR

BASE_URL is a `csrkit sandbox --approve auto` server; CSR_FILE a CSR made by
`openssl req -new` (the benchmark makes it with openssl genpkey + req, outside
this script). Calls DescribePackageState (stops when no quota is left),
CreateCertificateWithCsrRequest, then DescribeCertificateState until the type
is `certificate`, and writes the returned chain to OUT_DIR/cert.pem.
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / _SECRET (defaults as the sandbox's).
Run with the interop venv (target/interop-venv, see scripts/interop/run.sh).
"""
import os
import sys
import time

from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

CODE = "digicert-free-1-free"


def main():
    base, csr_file, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    client = Client(Config(
        access_key_id=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id"),
        access_key_secret=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET",
                                         "sandbox-access-key-secret"),
        endpoint=base.split("://", 1)[1].rstrip("/"), protocol="http", region_id="cn-hangzhou"))
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

    deadline = time.monotonic() + 60
    while True:
        state = client.describe_certificate_state_with_options(
            cas.DescribeCertificateStateRequest(order_id=order_id), rt).body
        if state.type == "certificate":
            break
        if state.type == "verify_fail" or time.monotonic() > deadline:
            sys.exit(f"order {order_id} ended in {state.type}")
        time.sleep(0.2)

    with open(os.path.join(out_dir, "cert.pem"), "w") as f:
        f.write(state.certificate)


if __name__ == "__main__":
    main()
