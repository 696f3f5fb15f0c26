#!/usr/bin/env python3
"""Orders certificates from a running csrkit sandbox with the official Python SDK, for pkilint.

Usage: pkilint_issue.py BASE_URL WORKDIR   (the sandbox runs with --approve manual and quota
for digicert-free-1-free and geotrust-dv-w-starter)

Writes to WORKDIR: ecdsa-leaf.pem (digicert-free-1-free, P-256, example name and its www.),
rsa-wildcard-leaf.pem (geotrust-dv-w-starter, RSA-2048, *.name and its base), intermediate.pem,
intermediate.crl and root.crl (DER). It fetches the caIssuers and CRL URLs each certificate
names from the sandbox (they name pki.sandbox.example.com:PORT, a reserved documentation host,
and the sandbox serves their paths), checks that caIssuers returns the issuer, revokes the ECDSA
leaf (CancelCertificateForPackageRequest) and checks that its serial is on the CRL.
"""
import os
import subprocess
import sys
import urllib.parse
import urllib.request

from alibabacloud_cas20200407 import models as cas
from alibabacloud_cas20200407.client import Client
from alibabacloud_tea_openapi.utils_models import Config
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID
from darabonba.runtime import RuntimeOptions

BASE = sys.argv[1].rstrip("/")
WORK = sys.argv[2]
RT = RuntimeOptions()
client = Client(Config(
    access_key_id=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_ID", "sandbox-access-key-id"),
    access_key_secret=os.environ.get("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", "sandbox-access-key-secret"),
    endpoint=BASE.split("://", 1)[1], protocol="http", region_id="cn-hangzhou"))


def check(cond, what):
    if not cond:
        sys.exit(f"FAIL: {what}")
    print(f"ok   {what}")


def fetch(url):
    """GET a URL a certificate names, from the sandbox (same path, the sandbox's address)."""
    path = urllib.parse.urlsplit(url).path
    with urllib.request.urlopen(BASE + path, timeout=10) as r:
        return r.read()


def order(cn, sans, key, product):
    b = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
    b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    csr = b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()
    oid = client.create_certificate_with_csr_request_with_options(
        cas.CreateCertificateWithCsrRequestRequest(
            csr=csr, product_code=product, username="Zhang San", phone="13800000000",
            email="admin@example.com", validate_type="DNS"), RT).body.order_id
    req = urllib.request.Request(f"{BASE}/_sandbox/orders/{oid}/approve", method="POST", data=b"")
    urllib.request.urlopen(req, timeout=10).read()
    s = client.describe_certificate_state_with_options(
        cas.DescribeCertificateStateRequest(order_id=oid), RT).body
    check(s.type == "certificate", f"{product}: {cn} issued (order {oid})")
    return oid, x509.load_pem_x509_certificates(s.certificate.encode())


def write(name, cert):
    with open(os.path.join(WORK, name), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def url_of(cert, ext_class):
    ext = cert.extensions.get_extension_for_class(ext_class).value
    if ext_class is x509.CRLDistributionPoints:
        return ext[0].full_name[0].value
    return [d.access_location.value for d in ext
            if d.access_method == AuthorityInformationAccessOID.CA_ISSUERS][0]


ecdsa_oid, (leaf, inter) = order("pkilint.example.com", ["pkilint.example.com", "www.pkilint.example.com"],
                                 ec.generate_private_key(ec.SECP256R1()), "digicert-free-1-free")
_, (wild, _) = order("*.pkilint.example.com", ["*.pkilint.example.com", "pkilint.example.com"],
                     rsa.generate_private_key(public_exponent=65537, key_size=2048), "geotrust-dv-w-starter")
write("ecdsa-leaf.pem", leaf)
write("rsa-wildcard-leaf.pem", wild)
write("intermediate.pem", inter)

check(fetch(url_of(leaf, x509.AuthorityInformationAccess)) == inter.public_bytes(serialization.Encoding.DER),
      "the leaf's caIssuers URL serves its intermediate")
root = x509.load_der_x509_certificate(fetch(url_of(inter, x509.AuthorityInformationAccess)))
check(root.subject == inter.issuer, "the intermediate's caIssuers URL serves the root")

client.cancel_certificate_for_package_request_with_options(
    cas.CancelCertificateForPackageRequestRequest(order_id=ecdsa_oid), RT)
crl_der = fetch(url_of(leaf, x509.CRLDistributionPoints))
crl = x509.load_der_x509_crl(crl_der)
check(crl.is_signature_valid(inter.public_key()), "the intermediate signed its CRL")
check(crl.get_revoked_certificate_by_serial_number(leaf.serial_number) is not None,
      "the revoked leaf is on the CRL its CRL distribution point names")
check(crl.get_revoked_certificate_by_serial_number(wild.serial_number) is None, "the other leaf is not")
with open(os.path.join(WORK, "intermediate.crl"), "wb") as f:
    f.write(crl_der)
root_crl = fetch(url_of(inter, x509.CRLDistributionPoints))
check(x509.load_der_x509_crl(root_crl).is_signature_valid(root.public_key()), "the root signed its CRL")
with open(os.path.join(WORK, "root.crl"), "wb") as f:
    f.write(root_crl)
