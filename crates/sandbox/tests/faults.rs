//! Injected faults, limits and the control endpoints.

mod common;

use common::{CONTACT, Client, TestResult, control, create, ecc_csr, send_raw};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig};

fn with_faults(faults: &[&str]) -> Result<SandboxConfig, csrkit_sandbox::Error> {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Manual;
    c.faults = faults.iter().map(|f| f.parse()).collect::<Result<_, _>>()?;
    Ok(c)
}

fn create_bytes(c: &Client, csr: &str) -> Vec<u8> {
    let mut p = vec![("Csr", csr), ("ValidateType", "DNS")];
    p.extend_from_slice(&CONTACT);
    c.v3_bytes("CreateCertificateWithCsrRequest", &p, &common::nonce())
}

#[tokio::test]
async fn throttle_and_server_errors_answer_without_doing_the_work() -> TestResult {
    let s = Sandbox::start(with_faults(&[
        "CreateCertificateWithCsrRequest=throttle:2",
        "DescribePackageState=error500",
        "ListUserCertificateOrder=error503:all",
    ])?)
    .await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("example.com", &[]);
    for _ in 0..2 {
        let r = c.send(create_bytes(&c, &csr)).await?;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "Throttling.User"),
            "{}",
            r.text()
        );
        assert!(
            r.text()
                .contains("Request was denied due to user flow control.")
        );
    }
    assert_eq!(
        s.stats().quota["digicert-free-1-free"].used,
        0,
        "throttled creates spend nothing"
    );
    create(&c, &csr, "DNS").await?; // the third goes through
    let r = c.call("DescribePackageState", &[]).await?;
    assert_eq!((r.status, r.code().as_str()), (500, "InternalError"));
    assert_eq!(c.call("DescribePackageState", &[]).await?.status, 200);
    for _ in 0..3 {
        let r = c.call("ListUserCertificateOrder", &[]).await?;
        assert_eq!((r.status, r.code().as_str()), (503, "ServiceUnavailable"));
    }
    let st = s.stats();
    let f = st.faults["CreateCertificateWithCsrRequest=throttle:2"];
    assert_eq!((f.fired, f.remaining), (2, Some(0)));
    assert_eq!(st.faults["DescribePackageState=error500:1"].fired, 1);
    assert_eq!(st.faults["ListUserCertificateOrder=error503:all"].fired, 3);
    assert_eq!(
        st.faults["ListUserCertificateOrder=error503:all"].remaining,
        None
    );
    assert_eq!(st.requests["CreateCertificateWithCsrRequest"], 3);
    assert_eq!(st.requests["ListUserCertificateOrder"], 3);
    // the stats endpoint shows the same
    let j = control(s.addr(), "GET", "/_sandbox/stats").await?.json();
    assert_eq!(j["requests"]["DescribePackageState"], 2);
    assert_eq!(j["orders_created"], 1);
    assert_eq!(j["quota"]["digicert-free-1-free"]["total"], 20);
    assert_eq!(j["quota"]["digicert-free-1-free"]["used"], 1);
    assert_eq!(j["faults"]["DescribePackageState=error500:1"]["fired"], 1);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn drop_before_closes_without_doing_the_work() -> TestResult {
    let s = Sandbox::start(with_faults(&[
        "CreateCertificateWithCsrRequest=drop-before",
    ])?)
    .await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("example.com", &[]);
    let answer = send_raw(s.addr(), &create_bytes(&c, &csr)).await?;
    assert!(
        answer.is_none(),
        "the connection closes without an answer: {answer:?}"
    );
    let st = s.stats();
    assert_eq!(
        (st.orders_created, st.quota["digicert-free-1-free"].used),
        (0, 0)
    );
    assert_eq!(
        st.faults["CreateCertificateWithCsrRequest=drop-before:1"].fired,
        1
    );
    create(&c, &csr, "DNS").await?;
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn drop_after_creates_the_order_but_never_answers() -> TestResult {
    let s = Sandbox::start(with_faults(&[
        "CreateCertificateWithCsrRequest=drop-after:1",
    ])?)
    .await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("lost.example.com", &[]);
    let answer = send_raw(s.addr(), &create_bytes(&c, &csr)).await?;
    assert!(answer.is_none(), "the client gets no answer: {answer:?}");
    // ... yet the order exists and the quota is spent: what a client must reconcile
    let st = s.stats();
    assert_eq!(st.orders_created, 1);
    assert_eq!(st.quota["digicert-free-1-free"].used, 1);
    let j = c
        .call(
            "ListUserCertificateOrder",
            &[("Keyword", "lost.example.com")],
        )
        .await?
        .json();
    assert_eq!(j["TotalCount"], 1, "{j}");
    assert_eq!(j["CertificateOrderList"][0]["Status"], "CHECKING");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn delay_then_answers_normally() -> TestResult {
    let s = Sandbox::start(with_faults(&["*=delay-20:all"])?).await?;
    let c = Client::for_sandbox(&s);
    let r = c.call("DescribePackageState", &[]).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = c.call("ListUserCertificateOrder", &[]).await?;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.stats().faults["*=delay-20:all"].fired, 2);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn request_size_and_order_count_limits() -> TestResult {
    let mut cfg = with_faults(&[])?;
    cfg.max_orders = 1;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    // a target beyond hyper's URI limit (65534) gets its plain 414
    let big = "x".repeat(70 * 1024);
    let r = c.call("DescribePackageState", &[("Pad", &big)]).await?;
    assert_eq!(r.status, 414, "{}", r.text());
    // target and body together past 64 KiB: the service-shaped 413
    let pad = "y".repeat(40 * 1024);
    let body = "z=".to_owned() + &"a".repeat(30 * 1024);
    let req = format!(
        "POST /?Pad={pad} HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = send_raw(s.addr(), req.as_bytes())
        .await?
        .ok_or("no answer")?;
    assert_eq!(
        (r.status, r.code().as_str()),
        (413, "RequestTooLarge"),
        "{}",
        r.text()
    );
    assert!(r.text().contains("65536"));
    let body = "a".repeat(65 * 1024);
    let req = format!(
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let r = send_raw(s.addr(), req.as_bytes())
        .await?
        .ok_or("no answer")?;
    assert_eq!((r.status, r.code().as_str()), (413, "RequestTooLarge"));

    let (csr, _) = ecc_csr("example.com", &[]);
    create(&c, &csr, "DNS").await?;
    let r = c.send(create_bytes(&c, &csr)).await?;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "Sandbox.OrderLimitExceeded"),
        "{}",
        r.text()
    );
    assert_eq!(s.stats().quota["digicert-free-1-free"].used, 1);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn request_log_and_control_errors() -> TestResult {
    let s = Sandbox::start(with_faults(&[])?).await?;
    let c = Client::for_sandbox(&s);
    c.call(
        "DescribePackageState",
        &[("ProductCode", "digicert-free-1-free")],
    )
    .await?;
    let log = control(s.addr(), "GET", "/_sandbox/requests").await?.json();
    let first = &log[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["path"], "/?ProductCode=digicert-free-1-free");
    assert_eq!(first["headers"]["x-acs-action"], "DescribePackageState");
    assert!(
        first["headers"]["authorization"]
            .as_str()
            .is_some_and(|a| a.starts_with("ACS3-HMAC-SHA256 "))
    );
    assert_eq!(first["body"], "");

    let r = control(s.addr(), "POST", "/_sandbox/orders/42/approve").await?;
    assert_eq!(r.status, 404, "{}", r.text());
    assert!(r.text().contains("NotFoundOrder"));
    let r = control(s.addr(), "POST", "/_sandbox/orders/abc/approve").await?;
    assert_eq!(r.status, 400);
    let r = control(s.addr(), "GET", "/_sandbox/nothing").await?;
    assert_eq!(r.status, 404);
    let id = create(&c, &ecc_csr("example.com", &[]).0, "DNS").await?;
    assert_eq!(
        control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/fail"))
            .await?
            .status,
        200
    );
    let r = control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/approve")).await?;
    assert_eq!(
        r.status,
        409,
        "a failed order cannot be approved: {}",
        r.text()
    );
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn the_request_log_is_bounded() -> TestResult {
    let mut cfg = with_faults(&[])?;
    cfg.request_log_capacity = 3;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    for n in 0..5 {
        c.call("DescribePackageState", &[("N", &n.to_string())])
            .await?;
    }
    let log = control(s.addr(), "GET", "/_sandbox/requests").await?.json();
    let paths: Vec<&str> = log
        .as_array()
        .ok_or("array")?
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(paths, ["/?N=2", "/?N=3", "/?N=4"]);
    assert_eq!(s.stats().requests_total, 6);
    s.shutdown().await;
    Ok(())
}
