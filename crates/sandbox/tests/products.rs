//! What each product certifies (attack-sandbox F04 and F11, issue 13 item 7): a single-domain
//! product one name (and its `www.` counterpart), a wildcard product one wildcard (and its
//! base), DV codes only, no internal names; the issued leaf carries exactly that, and the list
//! says so.

mod common;

use common::{Client, TestResult, control, create_params, ecc_csr};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig, SandboxHandle};
use x509_parser::prelude::*;

async fn sandbox(quotas: &[&str]) -> Result<SandboxHandle, Box<dyn std::error::Error>> {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Manual;
    c.quotas = quotas.iter().map(|q| q.parse()).collect::<Result<_, _>>()?;
    Ok(Sandbox::start(c).await?)
}

const CREATE: &str = "CreateCertificateWithCsrRequest";

/// Orders, approves, and returns the leaf's (CN, SAN DNS names) and the order's list item.
async fn issue(
    s: &SandboxHandle,
    c: &Client,
    csr: &str,
    product: &str,
) -> Result<(String, Vec<String>, serde_json::Value), Box<dyn std::error::Error>> {
    let r = c.call(CREATE, &create_params(csr, product)).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    let id = r.json()["OrderId"].as_u64().ok_or("OrderId")?;
    control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/approve")).await?;
    let j = c
        .call("DescribeCertificateState", &[("OrderId", &id.to_string())])
        .await?
        .json();
    let chain = j["Certificate"]
        .as_str()
        .ok_or("no Certificate")?
        .to_owned();
    let pems: Vec<_> = Pem::iter_from_buffer(chain.as_bytes()).collect::<Result<_, _>>()?;
    let (_, leaf) = X509Certificate::from_der(&pems[0].contents)?;
    let cn = leaf
        .subject()
        .iter_common_name()
        .next()
        .and_then(|a| a.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    let sans = leaf
        .subject_alternative_name()?
        .map(|san| {
            san.value
                .general_names
                .iter()
                .filter_map(|g| match g {
                    GeneralName::DNSName(d) => Some((*d).to_owned()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let list = c.call("ListUserCertificateOrder", &[]).await?.json();
    let item = list["CertificateOrderList"]
        .as_array()
        .ok_or("list")?
        .iter()
        .find(|o| o["OrderId"].as_u64() == Some(id))
        .ok_or("not listed")?
        .clone();
    Ok((cn, sans, item))
}

fn refused(r: &common::Reply, status: u16, code: &str, what: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{what}: {}",
        r.text()
    );
}

/// F04 and issue 13 item 7: `digicert-free-1-free` refuses a wildcard and a second name, and
/// issues one name with its www. counterpart, listed as what was ordered.
#[tokio::test]
async fn single_domain_product_refuses_wildcards_and_other_names() -> TestResult {
    let s = sandbox(&["digicert-free-1-free=20"]).await?;
    let c = Client::for_sandbox(&s);
    let code = "digicert-free-1-free";
    let many: Vec<String> = (0..300).map(|i| format!("n{i}.example.com")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for (cn, sans, what) in [
        ("*.example.com", &["*.example.com"][..], "a wildcard CN"),
        (
            "example.com",
            &["example.com", "*.example.com"][..],
            "a wildcard SAN",
        ),
        (
            "example.com",
            &["example.com", "www.example.com", "evil.org", "other.net"][..],
            "unrelated names",
        ),
        (
            "example.com",
            &["other.org"][..],
            "a SAN that is not the CN",
        ),
        (
            "example.com",
            &["example.com", "api.example.com"][..],
            "a second name",
        ),
        ("example.com", &many[..], "300 names"),
    ] {
        let (csr, _) = ecc_csr(cn, sans);
        let r = c.call(CREATE, &create_params(&csr, code)).await?;
        refused(&r, 403, "CreateCertificateRequestFailed", what);
        assert!(r.text().contains(code), "{what}: {}", r.text());
    }
    assert_eq!(
        s.stats().quota[code].used,
        0,
        "refused creates spend nothing"
    );

    let (csr, _) = ecc_csr("example.com", &["example.com", "www.example.com"]);
    let (cn, sans, item) = issue(&s, &c, &csr, code).await?;
    assert_eq!(cn, "example.com");
    assert_eq!(sans, ["example.com", "www.example.com"]);
    assert_eq!(
        (
            &item["DomainType"],
            &item["DomainCount"],
            &item["WildDomainCount"]
        ),
        (&"ONE".into(), &1.into(), &0.into()),
        "{item}"
    );
    // a CN alone is certified alone (the leaf still names it in its SAN)
    let (csr, _) = ecc_csr("solo.example.com", &[]);
    let (_, sans, _) = issue(&s, &c, &csr, code).await?;
    assert_eq!(sans, ["solo.example.com"]);
    s.shutdown().await;
    Ok(())
}

/// Issue 13 item 7: `geotrust-dv-w-starter` issues a wildcard (with its base), and refuses a
/// plain name or another wildcard.
#[tokio::test]
async fn wildcard_product_issues_a_wildcard() -> TestResult {
    let code = "geotrust-dv-w-starter";
    let s = sandbox(&[&format!("{code}=5")]).await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("*.example.com", &["*.example.com", "example.com"]);
    let (cn, sans, item) = issue(&s, &c, &csr, code).await?;
    assert_eq!(cn, "*.example.com");
    assert_eq!(sans, ["*.example.com", "example.com"]);
    assert_eq!(
        (
            &item["DomainType"],
            &item["DomainCount"],
            &item["WildDomainCount"]
        ),
        (&"WILDCARD".into(), &0.into(), &1.into()),
        "{item}"
    );
    assert_eq!(item["ProductCode"], code);
    for (cn, sans, what) in [
        ("example.com", &[][..], "a plain CN"),
        ("*.example.com", &["*.example.org"][..], "another wildcard"),
        (
            "*.example.com",
            &["www.example.com"][..],
            "a name below the wildcard",
        ),
    ] {
        let (csr, _) = ecc_csr(cn, sans);
        let r = c.call(CREATE, &create_params(&csr, code)).await?;
        refused(&r, 403, "CreateCertificateRequestFailed", what);
    }
    assert_eq!(s.stats().quota[code].used, 1);
    s.shutdown().await;
    Ok(())
}

/// F11: CreateCertificateWithCsrRequest is DV-only, even with an OV plan; internal names are
/// refused whatever the product.
#[tokio::test]
async fn dv_codes_only_and_no_internal_names() -> TestResult {
    let s = sandbox(&["symantec-ov-1-personal=5", "digicert-free-1-free=20"]).await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("ov.example.com", &[]);
    let r = c
        .call(CREATE, &create_params(&csr, "symantec-ov-1-personal"))
        .await?;
    refused(&r, 400, "InvalidParameter", "an OV code");
    assert!(r.text().contains("DV"), "{}", r.text());
    for (cn, code) in [
        ("localhost", "InvalidCsr.CommonName"),
        ("example", "InvalidCsr.CommonName"),
        ("intranet.local", "InvalidCsr.CommonName"),
        ("printer.home.arpa", "InvalidCsr.CommonName"),
        ("co.uk", "InvalidCsr.CommonName"),
    ] {
        let (csr, _) = ecc_csr(cn, &[cn]);
        let r = c
            .call(CREATE, &create_params(&csr, "digicert-free-1-free"))
            .await?;
        refused(&r, 400, code, cn);
    }
    let (csr, _) = ecc_csr("example.com", &["example.com", "www.example.local"]);
    let r = c
        .call(CREATE, &create_params(&csr, "digicert-free-1-free"))
        .await?;
    refused(&r, 400, "InvalidCsr.SubjectAltName", "an internal SAN");
    let st = s.stats();
    assert_eq!(
        (
            st.quota["symantec-ov-1-personal"].used,
            st.quota["digicert-free-1-free"].used
        ),
        (0, 0)
    );
    s.shutdown().await;
    Ok(())
}
