#!/usr/bin/env python3
"""The official Python SDK (alibabacloud-cas20200407) against the sandbox's deployment operations.

Usage: deploy_against_sandbox.py DEPLOY_URL LIMITED_URL
  DEPLOY_URL   a sandbox started with --deploy-after 1s --resource cdn:www.deploy-interop.example.com
               --resource slb:deploy-interop.example.com --resource oss:bad.deploy-interop.example.com:fail
  LIMITED_URL  a sandbox started with --rate-limit 2 --cert-lifetime 60s
Credentials: CSRKIT_SANDBOX_ACCESS_KEY_ID / _SECRET (defaults as the sandbox's).

With the default V3 signature and with signature_algorithm='v2' (V1): ListContact, ListCloudResources
(CertIds as the SDK sends them), UploadUserCertificate (a certificate and key made by openssl; the same
ClientToken twice uploads once), GetUserCertificateDetail, ListUserCertificateOrder OrderType=UPLOAD and
CERT, CreateDeploymentJob, UpdateDeploymentJobStatus, DescribeDeploymentJob until it ends,
ListWorkerResource, ListDeploymentJob; a resource that fails. Then the rate limit (Throttling.User as the
SDK reads it, counted in /_sandbox/stats) and a 60-second certificate (openssl reads its dates).
Exits non-zero on the first failed check.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from darabonba.runtime import RuntimeOptions

DEPLOY = sys.argv[1].rstrip("/")
LIMITED = sys.argv[2].rstrip("/")
AK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id")
SK = os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", "sandbox-access-key-secret")
RT = RuntimeOptions()
DOMAIN = "deploy-interop.example.com"
checks = 0


def check(cond, what):
    global checks
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)
    checks += 1
    print(f"ok   {what}")


def client(base, algorithm):
    kw = dict(access_key_id=AK, access_key_secret=SK, endpoint=base.split("://", 1)[1], protocol="http",
              region_id="cn-hangzhou")
    if algorithm == "v2":
        kw["signature_algorithm"] = "v2"
    return Client(Config(**kw))


def control(base, path):
    with urllib.request.urlopen(base + path, timeout=10) as r:
        return json.loads(r.read().decode())


def self_signed(names):
    d = tempfile.mkdtemp()
    san = ",".join(f"DNS:{n}" for n in names)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{d}/key.pem", "-subj", f"/CN={names[0]}", "-addext", f"subjectAltName={san}",
                    "-days", "30", "-out", f"{d}/cert.pem"], check=True, capture_output=True)
    serial = subprocess.run(["openssl", "x509", "-in", f"{d}/cert.pem", "-noout", "-serial"], check=True,
                            capture_output=True, text=True).stdout.strip().split("=", 1)[1]
    return open(f"{d}/cert.pem").read(), open(f"{d}/key.pem").read(), serial


def expect_error(fn, code, what):
    try:
        fn()
    except Exception as e:  # the SDK raises ClientException / ThrottlingException
        got = getattr(e, "code", None)
        check(got == code, f"{what}: {code} (got {got!r}: {getattr(e, 'message', e)})")
        return e
    check(False, f"{what}: expected {code}, the call succeeded")


def resources(c, **kw):
    return c.list_cloud_resources_with_options(cas.ListCloudResourcesRequest(**kw), RT).body


def run_job(c, job_id):
    c.update_deployment_job_status_with_options(
        cas.UpdateDeploymentJobStatusRequest(job_id=job_id, status="pending"), RT)
    seen = []
    for _ in range(500):
        d = c.describe_deployment_job_with_options(cas.DescribeDeploymentJobRequest(job_id=job_id), RT).body
        if not seen or seen[-1] != d.status:
            seen.append(d.status)
        if d.status in ("success", "error"):
            return seen, d
        time.sleep(0.02)
    check(False, f"job {job_id} never ended: {seen}")


def flow(algorithm):
    print(f"== signature {algorithm}")
    c = client(DEPLOY, algorithm)
    contacts = c.list_contact_with_options(cas.ListContactRequest(show_size=1), RT).body
    check(contacts.total_count == 1 and contacts.contact_list[0].contact_id > 0
          and contacts.contact_list[0].email, f"[{algorithm}] ListContact: the default contact")
    contact = contacts.contact_list[0].contact_id

    cdn = resources(c, cloud_name="aliyun", cloud_product="CDN", keyword=f"www.{DOMAIN}")
    check(cdn.total == 1 and cdn.data[0].domain == f"www.{DOMAIN}" and cdn.data[0].cloud_product == "CDN"
          and isinstance(cdn.data[0].id, int), f"[{algorithm}] ListCloudResources CDN by keyword")
    slb = resources(c, cloud_product="SLB")
    check(slb.total == 1 and slb.data[0].instance_id and slb.data[0].listener_port,
          f"[{algorithm}] ListCloudResources SLB: instance and listener")
    page = resources(c, show_size=1, current_page=2)
    check(page.total == 3 and len(page.data) == 1 and page.current_page == 2, f"[{algorithm}] paging")

    names = [f"{algorithm}.{DOMAIN}", f"www.{DOMAIN}", DOMAIN]
    cert, key, serial = self_signed(names)
    token = str(uuid.uuid4())
    before = control(DEPLOY, "/_sandbox/stats")["certificates_uploaded"]
    up = cas.UploadUserCertificateRequest(name=f"interop-{algorithm}-{token[:8]}", cert=cert, key=key,
                                          client_token=token,
                                          tags=[cas.UploadUserCertificateRequestTags(key="env", value="interop")])
    first = c.upload_user_certificate_with_options(up, RT).body
    again = c.upload_user_certificate_with_options(up, RT).body
    check(first.cert_id and again.cert_id == first.cert_id and first.resource_id,
          f"[{algorithm}] UploadUserCertificate: CertId {first.cert_id}, the same for the same ClientToken")
    check(control(DEPLOY, "/_sandbox/stats")["certificates_uploaded"] == before + 1,
          f"[{algorithm}] one certificate uploaded for two requests")
    cert_id = first.cert_id

    d = c.get_user_certificate_detail_with_options(cas.GetUserCertificateDetailRequest(cert_id=cert_id), RT).body
    check(d.cert == cert and d.key == key and d.id == cert_id and d.serial_no.upper() == serial.upper()
          and d.common == names[0] and d.sans.split(",") == names and d.cert_identifier == f"{cert_id}-cn-hangzhou"
          and d.not_after > d.not_before and [(t.tag_key, t.tag_value) for t in d.tags] == [("env", "interop")],
          f"[{algorithm}] GetUserCertificateDetail: the certificate, its key, serial {serial}")
    filtered = c.get_user_certificate_detail_with_options(
        cas.GetUserCertificateDetailRequest(cert_id=cert_id, cert_filter=True), RT).body
    check(filtered.cert is None and filtered.key is None and filtered.serial_no == d.serial_no,
          f"[{algorithm}] CertFilter=true leaves out Cert and Key")
    for order_type in ("UPLOAD", "CERT"):
        lst = c.list_user_certificate_order_with_options(
            cas.ListUserCertificateOrderRequest(order_type=order_type, keyword=names[0]), RT).body
        item = [o for o in lst.certificate_order_list if o.certificate_id == cert_id]
        check(len(item) == 1 and item[0].upload and item[0].serial_no == d.serial_no
              and item[0].fingerprint == d.fingerprint, f"[{algorithm}] ListUserCertificateOrder {order_type} lists it")

    targets = [cdn.data[0].id, slb.data[0].id]
    job_name = f"interop-{algorithm}-{token[:8]}"
    job = c.create_deployment_job_with_options(cas.CreateDeploymentJobRequest(
        name=job_name, job_type="user", cert_ids=str(cert_id), resource_ids=",".join(map(str, targets)),
        contact_ids=str(contact)), RT).body
    check(job.job_id > 0, f"[{algorithm}] CreateDeploymentJob: JobId {job.job_id}")
    d = c.describe_deployment_job_with_options(cas.DescribeDeploymentJobRequest(job_id=job.job_id), RT).body
    check(d.status == "editing" and d.name == job_name and d.job_type == "user" and d.cas_contacts
          and d.cas_contacts[0].id == str(contact), f"[{algorithm}] DescribeDeploymentJob: editing until started")
    seen, d = run_job(c, job.job_id)
    check(seen[-1] == "success" and d.end_time and d.start_time,
          f"[{algorithm}] UpdateDeploymentJobStatus pending, then {' -> '.join(seen)}")
    workers = c.list_worker_resource_with_options(cas.ListWorkerResourceRequest(job_id=job.job_id), RT).body
    check(workers.total == 2 and sorted(w.resource_id for w in workers.data) == sorted(targets)
          and all(w.status == "success" and w.cert_id == cert_id for w in workers.data),
          f"[{algorithm}] ListWorkerResource: every resource success")
    bound = resources(c, cert_ids=[cert_id])
    check(bound.total == 2 and all(r.cert_id == cert_id and r.cert_name == up.name for r in bound.data),
          f"[{algorithm}] ListCloudResources CertIds=[{cert_id}]: both resources serve it")
    served = {r["id"]: r["cert_id"] for r in control(DEPLOY, "/_sandbox/resources")}
    check(all(served[t] == cert_id for t in targets), f"[{algorithm}] /_sandbox/resources agrees")
    jobs = c.list_deployment_job_with_options(cas.ListDeploymentJobRequest(cert_id=cert_id, job_type="user"), RT).body
    check(any(j.name == job_name and j.id == job.job_id and j.status == "success" for j in jobs.data),
          f"[{algorithm}] ListDeploymentJob CertId finds it by name")
    expect_error(lambda: c.update_deployment_job_status_with_options(
        cas.UpdateDeploymentJobStatusRequest(job_id=job.job_id, status="pending"), RT), "InvalidParameter",
        f"[{algorithm}] a finished job cannot be started again")

    bad = resources(c, cloud_product="OSS").data[0]
    job = c.create_deployment_job_with_options(cas.CreateDeploymentJobRequest(
        name=job_name + "-bad", job_type="user", cert_ids=str(cert_id), resource_ids=str(bad.id),
        contact_ids=str(contact)), RT).body
    seen, _ = run_job(c, job.job_id)
    workers = c.list_worker_resource_with_options(cas.ListWorkerResourceRequest(job_id=job.job_id), RT).body
    check(seen[-1] == "error" and workers.data[0].status == "error" and workers.data[0].resource_id == bad.id,
          f"[{algorithm}] a failing resource: the job and its worker end in error")
    expect_error(lambda: c.create_deployment_job_with_options(cas.CreateDeploymentJobRequest(
        name="x", job_type="user", cert_ids=str(cert_id), resource_ids="1", contact_ids=str(contact)), RT),
        "InvalidParameter", f"[{algorithm}] CreateDeploymentJob with an unknown resource")


def limited():
    print("== rate limit and certificate lifetime")
    c = client(LIMITED, "v3")
    passed, refusals = 0, []
    start = int(time.time())
    for _ in range(20):
        try:
            c.describe_package_state_with_options(cas.DescribePackageStateRequest(), RT)
            passed += 1
        except Exception as e:
            refusals.append((getattr(e, "code", None), getattr(e, "message", str(e))))
    seconds = int(time.time()) - start + 1
    refused = len(refusals)
    check(all(code == "Throttling.User" and "Request was denied due to user flow control." in msg
              for code, msg in refusals), f"every refusal is Throttling.User as the SDK reads it: {refusals[:1]}")
    check(passed <= 2 * seconds and refused >= 20 - 2 * seconds,
          f"--rate-limit 2: {passed} passed, {refused} refused over {seconds} s")
    stats = control(LIMITED, "/_sandbox/stats")
    check(stats["throttled"].get("DescribePackageState") == refused, f"/_sandbox/stats counts {refused} throttled")

    d = tempfile.mkdtemp()
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", f"{d}/key.pem", "-subj", "/CN=short.deploy-interop.example.com",
                    "-out", f"{d}/req.csr"], check=True, capture_output=True)
    order = c.create_certificate_with_csr_request_with_options(cas.CreateCertificateWithCsrRequestRequest(
        csr=open(f"{d}/req.csr").read(), username="Zhang San", phone="13800000000", email="admin@example.com",
        validate_type="DNS"), RT).body.order_id
    s = c.describe_certificate_state_with_options(cas.DescribeCertificateStateRequest(order_id=order), RT).body
    with open(f"{d}/chain.pem", "w") as f:
        f.write(s.certificate)
    dates = subprocess.run(["openssl", "x509", "-in", f"{d}/chain.pem", "-noout", "-startdate", "-enddate"],
                           check=True, capture_output=True, text=True).stdout
    parsed = dict(line.split("=", 1) for line in dates.strip().splitlines())
    nb, na = (datetime.datetime.strptime(" ".join(parsed[k].split()), "%b %d %H:%M:%S %Y %Z")
              for k in ("notBefore", "notAfter"))
    check((na - nb).total_seconds() == 60, f"--cert-lifetime 60s: notAfter - notBefore = {(na - nb).total_seconds()} s")


for algo in ("v3", "v2"):
    flow(algo)
limited()
print(f"PASS: {checks} checks")
