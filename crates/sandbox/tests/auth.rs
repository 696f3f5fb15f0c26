//! Authentication over the wire: V3 and V1 (GET query and POST form), `+` as a space, wrong
//! secrets, unknown keys, replays, clock skew, unsigned headers and STS tokens.

mod common;

use common::{Client, TestResult, send_raw};
use csrkit_sandbox::{Credentials, Sandbox, SandboxConfig};

fn assert_error(r: &common::Reply, status: u16, code: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{}",
        r.text()
    );
    let j = r.json();
    for field in ["RequestId", "HostId", "Code", "Message", "Recommend"] {
        assert!(
            j[field].as_str().is_some_and(|v| !v.is_empty()),
            "{field} in {j}"
        );
    }
}

#[tokio::test]
async fn v3_signatures_from_both_wire_encodings() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let mut c = Client::for_sandbox(&s);
    let params = [
        ("ProductCode", "digicert-free-1-free"),
        ("Tags.1.Value", "a b*c~d/e+f"),
    ];
    for plus in [false, true] {
        c.plus_on_wire = plus;
        let r = c.call("DescribePackageState", &params).await?;
        assert_eq!(r.status, 200, "plus_on_wire={plus}: {}", r.text());
        assert_eq!(r.json()["TotalCount"], 20);
    }
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn v1_get_and_post_form() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let c = Client::for_sandbox(&s);
    for method in ["GET", "POST"] {
        let bytes = c.v1_bytes(
            method,
            "DescribePackageState",
            &[("ProductCode", "digicert-free-1-free")],
        );
        let r = c.send(bytes).await?;
        assert_eq!(r.status, 200, "{method}: {}", r.text());
        assert_eq!(r.json()["UsedCount"], 0);
    }
    // a V1 create with a CSR (newlines, `+`, `/`, `=`) in a form body
    let (csr, _) = common::ecc_csr("v1.example.com", &[]);
    let mut p = vec![("Csr", csr.as_str()), ("ValidateType", "DNS")];
    p.extend_from_slice(&common::CONTACT);
    let r = c
        .send(c.v1_bytes("POST", "CreateCertificateWithCsrRequest", &p))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.json()["OrderId"].as_u64().is_some());
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn wrong_secret_unknown_key_and_replay() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let good = Client::for_sandbox(&s);

    let mut bad = good.clone();
    bad.secret = "not-the-secret".into();
    let r = bad.call("DescribePackageState", &[]).await?;
    assert_error(&r, 400, "SignatureDoesNotMatch");
    let msg = r.json()["Message"].as_str().unwrap_or("").to_owned();
    // the shape observed from the service (attack-sandbox F16): one line, no canonical request
    assert!(
        msg.starts_with(
            "Specified signature does not match our calculation. server StringToSign is [ACS3-HMAC-SHA256 "
        ) && msg.ends_with(']')
            && !msg.contains('\n'),
        "{msg}"
    );
    let r = bad
        .send(bad.v1_bytes("GET", "DescribePackageState", &[]))
        .await?;
    assert_error(&r, 400, "SignatureDoesNotMatch");
    let msg = r.json()["Message"].as_str().unwrap_or("").to_owned();
    assert!(
        msg.contains("server string to sign is:GET&%2F&AccessKeyId%3D"),
        "{msg}"
    );

    let mut unknown = good.clone();
    unknown.id = "who-is-this".into();
    let r = unknown.call("DescribePackageState", &[]).await?;
    assert_error(&r, 404, "InvalidAccessKeyId.NotFound");
    assert!(r.text().contains("who-is-this"));
    let r = unknown
        .send(unknown.v1_bytes("POST", "DescribePackageState", &[]))
        .await?;
    assert_error(&r, 404, "InvalidAccessKeyId.NotFound");

    // the same bytes twice: the second is a replay
    let bytes = good.v3_bytes("DescribePackageState", &[], &common::nonce());
    assert_eq!(good.send(bytes.clone()).await?.status, 200);
    assert_error(&good.send(bytes).await?, 400, "SignatureNonceUsed");
    let bytes = good.v1_bytes("GET", "DescribePackageState", &[]);
    assert_eq!(good.send(bytes.clone()).await?.status, 200);
    assert_error(&good.send(bytes).await?, 400, "SignatureNonceUsed");

    // a rejected request does not burn its nonce
    let n = common::nonce();
    assert_error(
        &bad.send(bad.v3_bytes("DescribePackageState", &[], &n))
            .await?,
        400,
        "SignatureDoesNotMatch",
    );
    assert_eq!(
        good.send(good.v3_bytes("DescribePackageState", &[], &n))
            .await?
            .status,
        200
    );
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn clock_skew_and_malformed_authorization() -> TestResult {
    let s = Sandbox::start(SandboxConfig::default()).await?;
    let mut c = Client::for_sandbox(&s);
    c.date = Some("2020-01-01T00:00:00Z".into());
    assert_error(
        &c.call("DescribePackageState", &[]).await?,
        400,
        "InvalidTimeStamp.Expired",
    );
    assert_error(
        &c.send(c.v1_bytes("GET", "DescribePackageState", &[]))
            .await?,
        400,
        "InvalidTimeStamp.Expired",
    );
    c.date = Some("1 Jan 2020".into());
    assert_error(
        &c.call("DescribePackageState", &[]).await?,
        400,
        "InvalidTimeStamp.Format",
    );
    c.date = None;

    let addr = s.addr();
    let sent = |auth: &str| {
        format!(
            "POST / HTTP/1.1\r\nhost: {addr}\r\nx-acs-action: DescribePackageState\r\nx-acs-version: 2020-04-07\r\nx-acs-date: {}\r\nx-acs-signature-nonce: {}\r\nx-acs-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n{auth}connection: close\r\n\r\n",
            common::now_iso(),
            common::nonce()
        )
    };
    let reply = |b: String| async move { send_raw(addr, b.as_bytes()).await };
    let r = reply(sent("")).await?.ok_or("no answer")?;
    assert_error(&r, 400, "IncompleteSignature");
    let r = reply(sent(
        "authorization: ACS3-HMAC-SHA256 Credential=sandbox-access-key-id\r\n",
    ))
    .await?
    .ok_or("no answer")?;
    assert_error(&r, 400, "IncompleteSignature");
    assert!(r.text().contains("SignedHeaders"));
    // x-acs-date present but left out of SignedHeaders
    let r = reply(sent("authorization: ACS3-HMAC-SHA256 Credential=sandbox-access-key-id,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-signature-nonce;x-acs-version,Signature=00\r\n")).await?.ok_or("no answer")?;
    assert_error(&r, 400, "IncompleteSignature");
    assert!(r.text().contains("x-acs-date"));
    let r = reply(sent(
        "authorization: ACS3-HMAC-SM3 Credential=a,SignedHeaders=host,Signature=00\r\n",
    ))
    .await?
    .ok_or("no answer")?;
    assert_error(&r, 400, "InvalidSignatureMethod");
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn sts_tokens() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.sts = Some(Credentials::sts("STS.sandbox", "sts-secret", "the-token"));
    let s = Sandbox::start(cfg).await?;
    let mut c = Client::new(s.addr(), "STS.sandbox", "sts-secret");
    assert_error(
        &c.call("DescribePackageState", &[]).await?,
        400,
        "MissingSecurityToken",
    );
    assert_error(
        &c.send(c.v1_bytes("GET", "DescribePackageState", &[]))
            .await?,
        400,
        "MissingSecurityToken",
    );
    c.token = Some("another-token".into());
    assert_error(
        &c.call("DescribePackageState", &[]).await?,
        400,
        "InvalidSecurityToken.MismatchWithAccessKey",
    );
    c.token = Some("the-token".into());
    assert_eq!(c.call("DescribePackageState", &[]).await?.status, 200);
    assert_eq!(
        c.send(c.v1_bytes("POST", "DescribePackageState", &[]))
            .await?
            .status,
        200
    );
    assert_eq!(
        c.send(c.v1_bytes("GET", "DescribePackageState", &[]))
            .await?
            .status,
        200
    );
    // the token never shows in the request log (V3 header, V1 query and form body)
    let log = common::control(s.addr(), "GET", "/_sandbox/requests")
        .await?
        .text();
    assert!(
        log.contains("** redacted **") && log.contains("SecurityToken=**redacted**"),
        "{log}"
    );
    assert!(!log.contains("the-token"), "{log}");
    // the account key still works alongside
    let plain = Client::for_sandbox(&s);
    assert_eq!(plain.call("DescribePackageState", &[]).await?.status, 200);
    s.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn credentials_can_be_changed() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.credentials = Credentials::new("my-id", "my-secret");
    let s = Sandbox::start(cfg).await?;
    assert_eq!(s.credentials().access_key_id(), "my-id");
    let c = Client::new(s.addr(), "my-id", "my-secret");
    assert_eq!(c.call("DescribePackageState", &[]).await?.status, 200);
    let d = Client::new(
        s.addr(),
        csrkit_sandbox::DEFAULT_ACCESS_KEY_ID,
        csrkit_sandbox::DEFAULT_ACCESS_KEY_SECRET,
    );
    assert_error(
        &d.call("DescribePackageState", &[]).await?,
        404,
        "InvalidAccessKeyId.NotFound",
    );
    s.shutdown().await;
    Ok(())
}
