//! The csrkit-submit client against the sandbox: two implementations written apart must agree.
#![allow(clippy::result_large_err)] // csrkit_submit::Error carries the whole API answer
mod common;

use common::{TestResult, control, ecc_csr};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};
use csrkit_submit::{
    Client, ClientOptions, CreateCertificateWithCsr, Credentials, Endpoint, Error,
    ListUserCertificateOrder, Tag, ValidateType,
};

fn client(s: &csrkit_sandbox::SandboxHandle, secret: &str) -> Result<Client, Error> {
    let creds = Credentials::new(s.credentials().access_key_id(), secret, None);
    let mut o = ClientOptions {
        endpoint: Endpoint::parse(&s.endpoint())?,
        ..ClientOptions::default()
    };
    o.retry.max_attempts = 3;
    o.retry.base = std::time::Duration::from_millis(1);
    Client::new(creds, o)
}

#[tokio::test]
async fn submit_client_full_flow() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.approve = Approval::Manual;
    cfg.faults = vec!["DescribePackageState=throttle:1".parse()?];
    let s = Sandbox::start(cfg).await?;
    let c = client(&s, s.credentials().access_key_secret())?;
    let q = c
        .describe_package_state(Some("digicert-free-1-free"))
        .await?;
    assert_eq!(
        (q.total_count, q.used_count),
        (Some(20), Some(0)),
        "throttled once, then retried: {q:?}"
    );
    let (csr, _) = ecc_csr(
        "submit.example.com",
        &["submit.example.com", "www.submit.example.com"],
    );
    let created = c
        .create_certificate_with_csr(&CreateCertificateWithCsr {
            csr,
            username: "Zhang San".into(),
            phone: "13800000000".into(),
            email: "a@example.com".into(),
            validate_type: ValidateType::Dns,
            product_code: Some("digicert-free-1-free".into()),
            tags: vec![Tag {
                key: "env".into(),
                value: "prod test/*~".into(),
            }],
        })
        .await?;
    assert!(created.order_id.0 > 1 << 53);
    let id = created.order_id;
    let st = c.describe_certificate_state(id).await?;
    assert_eq!(st.state, csrkit_submit::StateType::DomainVerify);
    assert!(
        matches!(st.verification(), Some(csrkit_submit::Verification::Dns { ref record_domain, .. }) if record_domain == "_dnsauth")
    );
    let page = c
        .list_user_certificate_order(&ListUserCertificateOrder {
            keyword: Some("submit.example.com".into()),
            ..Default::default()
        })
        .await?;
    assert_eq!(page.total_count, Some(1));
    assert_eq!(page.certificate_order_list[0].order_id, Some(id));
    assert_eq!(
        page.certificate_order_list[0].status.as_deref(),
        Some("CHECKING")
    );
    control(
        s.addr(),
        "POST",
        &format!("/_sandbox/orders/{}/approve", id.0),
    )
    .await?;
    let st = c.describe_certificate_state(id).await?;
    assert_eq!(st.state, csrkit_submit::StateType::Certificate);
    assert!(
        st.cert_id.is_some()
            && st
                .certificate
                .as_deref()
                .is_some_and(|c| c.matches("BEGIN CERTIFICATE").count() == 2)
    );
    assert!(st.private_key.is_empty());
    let id2 = c
        .create_certificate_with_csr(&CreateCertificateWithCsr {
            csr: ecc_csr("b.example.com", &[]).0,
            username: "Z".into(),
            phone: "1".into(),
            email: "a@example.com".into(),
            validate_type: ValidateType::File,
            product_code: None,
            tags: vec![],
        })
        .await?
        .order_id;
    assert!(
        matches!(c.describe_certificate_state(id2).await?.verification(), Some(csrkit_submit::Verification::File { ref uri, .. }) if uri == "/.well-known/pki-validation/fileauth.txt")
    );
    c.cancel_order(id2).await?;
    c.delete_certificate(id2).await?;
    let q = c.describe_package_state(None).await?;
    assert_eq!(
        (q.used_count, q.issued_count),
        (Some(1), Some(1)),
        "the deleted order gave its unit back"
    );
    let bad = client(&s, "wrong")?;
    let e = bad
        .describe_package_state(None)
        .await
        .err()
        .ok_or("accepted a wrong secret")?;
    assert!(
        matches!(&e, Error::Api { .. }) && e.to_string().contains("SignatureDoesNotMatch"),
        "{e}"
    );
    assert_eq!(s.stats().faults["DescribePackageState=throttle:1"].fired, 1);
    s.shutdown().await;
    Ok(())
}
