//! The sandbox CA issues what a public CA issues (issue 11 item 5): the DV profile on the leaf
//! and the intermediate, caIssuers and CRL URLs the sandbox serves, and a CRL that lists a
//! certificate once `CancelCertificateForPackageRequest` revoked it. pkilint's verdict is in
//! `scripts/ci/pkilint.sh`; these tests check the same facts with x509-parser and openssl.

mod common;

use common::{Client, TestResult, control, create, ecc_csr};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig, SandboxHandle};
use sha1::Digest as _;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::*;

fn manual() -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Manual;
    c
}

/// Creates, approves and returns the order id and its chain's DER certificates.
async fn issued(
    s: &SandboxHandle,
    c: &Client,
    cn: &str,
) -> Result<(String, Vec<Vec<u8>>), Box<dyn std::error::Error>> {
    let (csr, _) = ecc_csr(cn, &[cn]);
    let id = create(c, &csr, "DNS").await?.to_string();
    control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/approve")).await?;
    let j = c
        .call("DescribeCertificateState", &[("OrderId", &id)])
        .await?
        .json();
    let chain = j["Certificate"].as_str().ok_or("no Certificate")?;
    let ders = Pem::iter_from_buffer(chain.as_bytes())
        .map(|p| p.map(|p| p.contents))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((id, ders))
}

struct Profile {
    ca_issuers: Vec<String>,
    crl_urls: Vec<String>,
    policies: Vec<String>,
    server_auth: bool,
    ski: Option<Vec<u8>>,
    aki: Option<Vec<u8>>,
}

fn profile(cert: &X509Certificate<'_>) -> Profile {
    let mut p = Profile {
        ca_issuers: Vec::new(),
        crl_urls: Vec::new(),
        policies: Vec::new(),
        server_auth: false,
        ski: None,
        aki: None,
    };
    for ext in cert.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(aia) => {
                for d in &aia.accessdescs {
                    if d.access_method.to_id_string() == "1.3.6.1.5.5.7.48.2"
                        && let GeneralName::URI(u) = d.access_location
                    {
                        p.ca_issuers.push(u.to_owned());
                    }
                }
            }
            ParsedExtension::CRLDistributionPoints(dps) => {
                for dp in dps.iter() {
                    if let Some(DistributionPointName::FullName(names)) = &dp.distribution_point {
                        for n in names {
                            if let GeneralName::URI(u) = n {
                                p.crl_urls.push((*u).to_owned());
                            }
                        }
                    }
                }
            }
            ParsedExtension::CertificatePolicies(pols) => {
                p.policies = pols.iter().map(|x| x.policy_id.to_id_string()).collect();
            }
            ParsedExtension::ExtendedKeyUsage(eku) => p.server_auth = eku.server_auth,
            ParsedExtension::SubjectKeyIdentifier(k) => p.ski = Some(k.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                p.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
            }
            _ => {}
        }
    }
    p
}

/// The path of a URL a certificate names, on the sandbox (`pki.sandbox.example.com:PORT`).
fn path_on(s: &SandboxHandle, url: &str) -> String {
    let prefix = format!("http://pki.sandbox.example.com:{}", s.addr().port());
    assert!(url.starts_with(&prefix), "{url} is not under {prefix}");
    url[prefix.len()..].to_owned()
}

#[tokio::test]
async fn leaf_and_intermediate_follow_the_dv_profile() -> TestResult {
    let s = Sandbox::start(manual()).await?;
    let c = Client::for_sandbox(&s);
    let (_, ders) = issued(&s, &c, "profile.example.com").await?;
    assert_eq!(ders.len(), 2, "leaf + intermediate");
    let (_, leaf) = X509Certificate::from_der(&ders[0])?;
    let (_, int) = X509Certificate::from_der(&ders[1])?;

    let l = profile(&leaf);
    assert_eq!(l.policies, ["2.23.140.1.2.1"], "the CA/B DV policy");
    assert!(l.server_auth, "EKU serverAuth");
    assert_eq!(l.ca_issuers.len(), 1);
    assert_eq!(l.crl_urls.len(), 1);
    // SKI by RFC 5280 method 1, and the AKI is the intermediate's SKI
    let bits = &leaf.public_key().subject_public_key.data;
    assert_eq!(l.ski.as_deref(), Some(&sha1::Sha1::digest(bits)[..]));
    let i = profile(&int);
    assert_eq!(l.aki, i.ski, "AKI = the issuer's SKI");
    assert!(l.aki.is_some());
    assert_eq!(
        leaf.basic_constraints()?.map(|b| b.value.ca),
        Some(false),
        "a leaf is no CA"
    );

    // the intermediate: country, policy, EKU, CRL DP, caIssuers, a CA with pathLen 0
    let country = int
        .subject()
        .iter_country()
        .next()
        .and_then(|a| a.as_str().ok());
    assert_eq!(country, Some("US"));
    assert_eq!(i.policies, ["2.23.140.1.2.1"]);
    assert!(i.server_auth);
    assert_eq!((i.ca_issuers.len(), i.crl_urls.len()), (1, 1));
    let bc = int.basic_constraints()?.ok_or("no basicConstraints")?.value;
    assert!(bc.ca && bc.path_len_constraint == Some(0));

    // the URLs are served by the sandbox: caIssuers gives the issuer, DER
    let got = control(s.addr(), "GET", &path_on(&s, &l.ca_issuers[0])).await?;
    assert_eq!(got.status, 200);
    assert!(
        got.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/pkix-cert")
    );
    assert_eq!(
        got.body, ders[1],
        "the leaf's caIssuers is its intermediate"
    );
    let root_der = control(s.addr(), "GET", &path_on(&s, &i.ca_issuers[0]))
        .await?
        .body;
    let (_, root) = X509Certificate::from_der(&root_der)?;
    assert_eq!(root.subject(), int.issuer());
    assert_eq!(
        root_der,
        Pem::iter_from_buffer(s.ca_pem().as_bytes())
            .next()
            .ok_or("ca.pem")??
            .contents,
        "the same root as /_sandbox/ca.pem"
    );
    s.shutdown().await;
    Ok(())
}

fn openssl(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("openssl runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or(""))
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Revocation: `CancelCertificateForPackageRequest` puts the leaf on the CRL its CRL
/// distribution point names; openssl, checking the whole chain against both CRLs, then refuses
/// the revoked leaf and accepts the other.
#[tokio::test]
async fn a_revoked_certificate_is_on_the_crl() -> TestResult {
    if !common::openssl_available() {
        eprintln!("openssl not found: skipped");
        return Ok(());
    }
    let s = Sandbox::start(manual()).await?;
    let c = Client::for_sandbox(&s);
    let (revoked_id, revoked) = issued(&s, &c, "revoked.example.com").await?;
    let (_, kept) = issued(&s, &c, "kept.example.com").await?;
    let (_, leaf) = X509Certificate::from_der(&revoked[0])?;
    let crl_path = path_on(&s, &profile(&leaf).crl_urls[0]);
    let (_, int) = X509Certificate::from_der(&revoked[1])?;
    let root_crl_path = path_on(&s, &profile(&int).crl_urls[0]);

    let crl_before = control(s.addr(), "GET", &crl_path).await?;
    assert!(
        crl_before
            .headers
            .iter()
            .any(|(k, v)| k == "content-type" && v == "application/pkix-crl")
    );
    let (_, parsed) =
        x509_parser::revocation_list::CertificateRevocationList::from_der(&crl_before.body)?;
    assert_eq!(parsed.iter_revoked_certificates().count(), 0);

    let used_before = s.stats().quota["digicert-free-1-free"].used;
    let r = c
        .call(
            "CancelCertificateForPackageRequest",
            &[("OrderId", &revoked_id)],
        )
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        s.stats().quota["digicert-free-1-free"].used,
        used_before - 1,
        "revoked within 30 days: the unit comes back (reference 1.3.8)"
    );
    let r = c
        .call(
            "CancelCertificateForPackageRequest",
            &[("OrderId", &revoked_id)],
        )
        .await?;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "OrderStateError"),
        "twice"
    );
    let j = c
        .call("ListUserCertificateOrder", &[("Status", "REVOKED")])
        .await?
        .json();
    assert_eq!(j["TotalCount"], 1, "{j}");

    let crl = control(s.addr(), "GET", &crl_path).await?.body;
    let (_, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(&crl)?;
    let serials: Vec<Vec<u8>> = parsed
        .iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect();
    assert_eq!(serials, [leaf.raw_serial().to_vec()]);

    let dir = tempfile::tempdir()?;
    let root_crl = control(s.addr(), "GET", &root_crl_path).await?.body;
    std::fs::write(dir.path().join("root.pem"), s.ca_pem())?;
    std::fs::write(dir.path().join("int.pem"), pem("CERTIFICATE", &revoked[1]))?;
    std::fs::write(
        dir.path().join("crls.pem"),
        format!("{}{}", pem("X509 CRL", &crl), pem("X509 CRL", &root_crl)),
    )?;
    std::fs::write(
        dir.path().join("revoked.pem"),
        pem("CERTIFICATE", &revoked[0]),
    )?;
    std::fs::write(dir.path().join("kept.pem"), pem("CERTIFICATE", &kept[0]))?;
    let verify = |leaf: &str| {
        openssl(
            dir.path(),
            &[
                "verify",
                "-crl_check_all",
                "-CRLfile",
                "crls.pem",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "int.pem",
                leaf,
            ],
        )
    };
    let (ok, out) = verify("kept.pem");
    assert!(ok && out.contains("kept.pem: OK"), "{out}");
    let (ok, out) = verify("revoked.pem");
    assert!(!ok && out.contains("certificate revoked"), "{out}");
    s.shutdown().await;
    Ok(())
}

/// A state reloaded on another port re-issues the intermediate for its new URLs (same key):
/// certificates issued before still verify with the new intermediate.
#[tokio::test]
async fn the_intermediate_follows_the_address() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut cfg = manual();
    cfg.state_file = Some(dir.path().join("state.json"));
    let s = Sandbox::start(cfg.clone()).await?;
    let c = Client::for_sandbox(&s);
    let (_, before) = issued(&s, &c, "moved.example.com").await?;
    s.shutdown().await;

    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let (_, after) = issued(&s, &c, "later.example.com").await?;
    let (_, int) = X509Certificate::from_der(&after[1])?;
    let p = profile(&int);
    path_on(&s, &p.crl_urls[0]);
    path_on(&s, &p.ca_issuers[0]);
    let (_, old_leaf) = X509Certificate::from_der(&before[0])?;
    assert!(
        old_leaf.verify_signature(Some(int.public_key())).is_ok(),
        "the old leaf verifies with the re-issued intermediate"
    );
    s.shutdown().await;
    Ok(())
}
