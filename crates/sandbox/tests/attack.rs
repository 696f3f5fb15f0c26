//! The attack on the sandbox (`shared/reference/attack-sandbox/FINDINGS.md`), each finding as a
//! test over raw bytes: the sandbox refuses what the service refuses. F04/F11 are in
//! `products.rs`, F05/F06 in `slow_clients.rs`; F15 is also a unit test of the nonce store.

mod common;

use common::{Client, Reply, TestResult, V1, V3, control, create_params, ecc_csr, iso_at};
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig, SandboxHandle};
use sha2::{Digest, Sha256};

const D: &str = "DescribePackageState";

async fn manual() -> Result<SandboxHandle, csrkit_sandbox::Error> {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Manual;
    Sandbox::start(c).await
}

fn assert_refused(r: &Reply, status: u16, code: &str, what: &str) {
    assert_eq!(
        (r.status, r.code().as_str()),
        (status, code),
        "{what}: {}",
        r.text()
    );
}

fn used(s: &SandboxHandle) -> u64 {
    s.stats().quota["digicert-free-1-free"].used
}

/// F01: a V1 request's operation and version come from its signed parameters only. The
/// unsigned `x-acs-action` header of the attack made a request signed for a read buy a
/// certificate.
#[tokio::test]
async fn f01_v1_runs_only_what_it_signed() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("f01.example.com", &[]);
    let p = create_params(&csr, "digicert-free-1-free");
    let header = |k: &str, v: &str| (k.to_owned(), v.to_owned());

    // signed for DescribePackageState, header says Create
    let r = c
        .send(c.v1_with(
            D,
            &p,
            &V1 {
                headers: vec![
                    header("x-acs-action", "CreateCertificateWithCsrRequest"),
                    header("x-acs-version", "2020-04-07"),
                ],
                ..V1::default()
            },
        ))
        .await?;
    assert_refused(&r, 400, "IncompleteSignature", "unsigned x-acs-action");
    assert!(r.text().contains("x-acs-action"), "{}", r.text());
    assert_eq!(used(&s), 0, "no quota spent");

    // no Action parameter at all, only the unsigned header
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                omit: vec!["Action"],
                headers: vec![
                    header("x-acs-action", D),
                    header("x-acs-version", "2020-04-07"),
                ],
                ..V1::default()
            },
        ))
        .await?;
    assert_refused(&r, 400, "MissingParameter", "no Action parameter");

    // signed Version=2099-01-01, unsigned header 2020-04-07
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                version: Some("2099-01-01".into()),
                headers: vec![
                    header("x-acs-action", D),
                    header("x-acs-version", "2020-04-07"),
                ],
                ..V1::default()
            },
        ))
        .await?;
    assert_refused(&r, 400, "InvalidVersion", "signed Version 2099");

    // what the official SDK sends with signature_algorithm='v2': the headers repeat the
    // signed values (and x-acs-credentials-provider rides along unsigned)
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                headers: vec![
                    header("x-acs-action", D),
                    header("x-acs-version", "2020-04-07"),
                    header("x-acs-credentials-provider", "static_ak"),
                ],
                ..V1::default()
            },
        ))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());

    // a V3 Authorization header beside V1 signature parameters is refused (mixed schemes)
    let r = c
        .send(c.v3_with(
            D,
            &[("Signature", "x"), ("SignatureMethod", "HMAC-SHA1")],
            &V3::default(),
        ))
        .await?;
    assert_refused(&r, 400, "IncompleteSignature", "V3 with V1 parameters");
    s.shutdown().await;
    Ok(())
}

/// F02: `x-acs-content-sha256` must be the lowercase hex SHA-256 of the body.
#[tokio::test]
async fn f02_content_sha256_is_the_body_hash() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let empty = hex::encode(Sha256::digest(b""));
    let octet = vec![(
        "content-type".to_owned(),
        "application/octet-stream".to_owned(),
    )];
    for (label, o) in [
        (
            "sha256('x') for an empty body",
            V3 {
                content_sha: Some(hex::encode(Sha256::digest(b"x"))),
                ..V3::default()
            },
        ),
        (
            "UNSIGNED-PAYLOAD",
            V3 {
                content_sha: Some("UNSIGNED-PAYLOAD".into()),
                ..V3::default()
            },
        ),
        (
            "not-hex",
            V3 {
                content_sha: Some("not-hex".into()),
                ..V3::default()
            },
        ),
        (
            "uppercase hex",
            V3 {
                content_sha: Some(empty.to_ascii_uppercase()),
                ..V3::default()
            },
        ),
        (
            "body 'junk', header = sha256('')",
            V3 {
                body: b"junk".to_vec(),
                content_sha: Some(empty.clone()),
                headers: octet.clone(),
                ..V3::default()
            },
        ),
    ] {
        let r = c.send(c.v3_with(D, &[], &o)).await?;
        assert_refused(&r, 400, "SignatureDoesNotMatch", label);
        assert!(
            r.text().contains("x-acs-content-sha256"),
            "{label}: {}",
            r.text()
        );
    }
    // the body's own hash passes, with a body
    let r = c
        .send(c.v3_with(
            D,
            &[],
            &V3 {
                body: b"junk".to_vec(),
                headers: octet,
                ..V3::default()
            },
        ))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    s.shutdown().await;
    Ok(())
}

/// F03: the `host` header must name the endpoint the request went to.
#[tokio::test]
async fn f03_host_names_the_endpoint() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let port = s.addr().port();
    for h in [
        "evil.example.org".to_owned(),
        String::new(),
        format!("http://127.0.0.1:{port}"),
        "cas.aliyuncs.com".to_owned(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
        "127.0.0.1".to_owned(),
    ] {
        let r = c
            .send(c.v3_with(
                D,
                &[],
                &V3 {
                    host: Some(h.clone()),
                    ..V3::default()
                },
            ))
            .await?;
        let code = "Sandbox.InvalidHost";
        assert_refused(&r, 400, code, &format!("V3 host {h:?}"));
        let r = c
            .send(c.v1_with(
                D,
                &[],
                &V1 {
                    host: Some(h.clone()),
                    ..V1::default()
                },
            ))
            .await?;
        assert_refused(&r, 400, code, &format!("V1 host {h:?}"));
    }
    let r = c
        .send(c.v3_with(
            D,
            &[],
            &V3 {
                host: Some(format!("http://127.0.0.1:{port}")),
                ..V3::default()
            },
        ))
        .await?;
    assert!(r.text().contains("without a scheme"), "{}", r.text());
    // what the SDK sends with endpoint '127.0.0.1:PORT', and localhost on loopback
    for h in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let r = c
            .send(c.v3_with(
                D,
                &[],
                &V3 {
                    host: Some(h.clone()),
                    ..V3::default()
                },
            ))
            .await?;
        assert_eq!(r.status, 200, "{h}: {}", r.text());
    }
    s.shutdown().await;
    Ok(())
}

/// F07: an empty (or blank) nonce is a missing one, in V3 as in V1.
#[tokio::test]
async fn f07_blank_nonces_are_missing() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    for n in ["", "   "] {
        let r = c
            .send(c.v3_with(
                D,
                &[],
                &V3 {
                    nonce: Some(n.into()),
                    ..V3::default()
                },
            ))
            .await?;
        assert_refused(&r, 400, "MissingParameter", &format!("V3 nonce {n:?}"));
        assert!(r.text().contains("x-acs-signature-nonce"));
        let r = c
            .send(c.v1_with(
                D,
                &[],
                &V1 {
                    nonce: Some(n.into()),
                    ..V1::default()
                },
            ))
            .await?;
        assert_refused(&r, 400, "MissingParameter", &format!("V1 nonce {n:?}"));
    }
    s.shutdown().await;
    Ok(())
}

/// F08: `yyyy-MM-ddTHH:mm:ssZ` only: week dates and fractional minutes or hours are refused.
#[tokio::test]
async fn f08_timestamps_in_the_one_form() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let now = time::OffsetDateTime::now_utc();
    let (y, w, d) = now.to_iso_week_date();
    let forms = [
        format!(
            "{y:04}-W{w:02}-{}T{:02}:{:02}:{:02}Z",
            d.number_from_monday(),
            now.hour(),
            now.minute(),
            now.second()
        ),
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:05.2}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            f64::from(now.minute()) + f64::from(now.second()) / 60.0
        ),
        format!(
            "{:04}-{:02}-{:02}T{:08.5}Z",
            now.year(),
            u8::from(now.month()),
            now.day(),
            f64::from(now.hour()) + f64::from(now.minute()) / 60.0
        ),
    ];
    for f in forms {
        let r = c
            .send(c.v3_with(
                D,
                &[],
                &V3 {
                    date: Some(f.clone()),
                    ..V3::default()
                },
            ))
            .await?;
        assert_refused(&r, 400, "InvalidTimeStamp.Format", &format!("V3 {f}"));
        let r = c
            .send(c.v1_with(
                D,
                &[],
                &V1 {
                    date: Some(f.clone()),
                    ..V1::default()
                },
            ))
            .await?;
        assert_refused(&r, 400, "InvalidTimeStamp.Format", &format!("V1 {f}"));
    }
    s.shutdown().await;
    Ok(())
}

/// F09: only the V3 form the algorithm writes.
#[tokio::test]
async fn f09_only_the_v3_form_the_algorithm_writes() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let v = |l: &[&str]| l.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    let h = |k: &str, val: &str| vec![(k.to_owned(), val.to_owned())];
    let auth_spaced = {
        // the right signature, written with ", " separators
        let good = String::from_utf8(c.v3_with(
            D,
            &[],
            &V3 {
                nonce: Some("spaced".into()),
                date: Some(common::now_iso()),
                ..V3::default()
            },
        ))?;
        good.lines()
            .find_map(|l| l.strip_prefix("authorization: "))
            .ok_or("no authorization")?
            .replace(",SignedHeaders", ", SignedHeaders")
            .replace(",Signature", ", Signature")
    };
    for (label, o, code) in [
        (
            "Signature in uppercase hex",
            V3 {
                signature_uppercase: true,
                ..V3::default()
            },
            "SignatureDoesNotMatch",
        ),
        (
            "SignedHeaders unsorted",
            V3 {
                signed: Some(v(&[
                    "x-acs-version",
                    "host",
                    "x-acs-date",
                    "x-acs-action",
                    "x-acs-signature-nonce",
                    "x-acs-content-sha256",
                ])),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
        (
            "x-acs-credentials-provider sent, not signed",
            V3 {
                unsigned: h("x-acs-credentials-provider", "static_ak"),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
        (
            "x-acs-foo sent, not signed",
            V3 {
                unsigned: h("x-acs-foo", "bar"),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
        (
            "content-type sent, not signed",
            V3 {
                unsigned: h("content-type", "application/json"),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
        (
            "SignedHeaders names an absent header",
            V3 {
                signed: Some(v(&[
                    "host",
                    "x-acs-absent",
                    "x-acs-action",
                    "x-acs-content-sha256",
                    "x-acs-date",
                    "x-acs-signature-nonce",
                    "x-acs-version",
                ])),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
        (
            "separators written \", \"",
            V3 {
                nonce: Some("spaced".into()),
                authorization: Some(auth_spaced),
                ..V3::default()
            },
            "IncompleteSignature",
        ),
    ] {
        let r = c.send(c.v3_with(D, &[], &o)).await?;
        assert_refused(&r, 400, code, label);
    }
    // signed, the same extra headers pass (the SDK signs them all)
    let r = c
        .send(c.v3_with(
            D,
            &[],
            &V3 {
                headers: vec![
                    ("x-acs-credentials-provider".into(), "static_ak".into()),
                    ("accept".into(), "application/json".into()),
                    ("user-agent".into(), "AlibabaCloud Python".into()),
                ],
                ..V3::default()
            },
        ))
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    s.shutdown().await;
    Ok(())
}

/// F10: V1 answers XML without `Format` (the gateway's documented default) and with
/// `Format=XML`; its Timestamp is valid for 31 minutes (V3's date for 15).
#[tokio::test]
async fn f10_v1_format_and_window() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let xml = |r: &Reply| {
        r.headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("text/xml"))
    };
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                format: Some(None),
                ..V1::default()
            },
        ))
        .await?;
    assert!(r.status == 200 && xml(&r), "{:?} {}", r.headers, r.text());
    assert!(
        r.text()
            .contains("<DescribePackageStateResponse><RequestId>")
            && r.text().contains("<TotalCount>20</TotalCount>"),
        "{}",
        r.text()
    );
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                format: Some(Some("XML".into())),
                ..V1::default()
            },
        ))
        .await?;
    assert!(r.status == 200 && xml(&r), "{}", r.text());
    // errors too, with the <Error> root (reference 1.6)
    let r = c
        .send(c.v1_with(
            "DescribeCertificateState",
            &[("OrderId", "123")],
            &V1 {
                format: Some(Some("XML".into())),
                ..V1::default()
            },
        ))
        .await?;
    assert!(r.status == 404 && xml(&r), "{}", r.text());
    assert!(r.text().contains("<Error>") && r.text().contains("<Code>NotFoundOrder</Code>"));
    // JSON when asked, as the SDK does (lowercase `json`)
    let r = c
        .send(c.v1_with(
            D,
            &[],
            &V1 {
                format: Some(Some("json".into())),
                ..V1::default()
            },
        ))
        .await?;
    assert!(
        r.status == 200 && r.json()["TotalCount"] == 20,
        "{}",
        r.text()
    );

    let old = |secs: i64| V1 {
        date: Some(iso_at(secs)),
        ..V1::default()
    };
    assert_eq!(c.send(c.v1_with(D, &[], &old(-20 * 60))).await?.status, 200);
    let r = c.send(c.v1_with(D, &[], &old(-32 * 60))).await?;
    assert_refused(&r, 400, "InvalidTimeStamp.Expired", "V1 32 minutes old");
    let r = c
        .send(c.v3_with(
            D,
            &[],
            &V3 {
                date: Some(iso_at(-20 * 60)),
                ..V3::default()
            },
        ))
        .await?;
    assert_refused(&r, 400, "InvalidTimeStamp.Expired", "V3 20 minutes old");
    s.shutdown().await;
    Ok(())
}

/// F12: `OrderType=CERT` lists issued certificates; `Keyword` matches the InstanceId too.
#[tokio::test]
async fn f12_cert_listing_and_instance_keyword() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr(
        "f12.example.com",
        &["f12.example.com", "www.f12.example.com"],
    );
    let id = common::create(&c, &csr, "DNS").await?;
    let (other, _) = ecc_csr("pending.example.com", &[]);
    common::create(&c, &other, "DNS").await?;
    let list = |p: Vec<(&'static str, String)>| {
        let c = c.clone();
        async move {
            let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.call("ListUserCertificateOrder", &p).await
        }
    };
    let j = list(vec![("OrderType", "CERT".into())]).await?.json();
    assert_eq!(j["TotalCount"], 0, "nothing issued yet: {j}");
    control(s.addr(), "POST", &format!("/_sandbox/orders/{id}/approve")).await?;
    let j = list(vec![("OrderType", "CERT".into())]).await?.json();
    assert_eq!(j["TotalCount"], 1, "{j}");
    let item = &j["CertificateOrderList"][0];
    assert_eq!(item["CommonName"], "f12.example.com");
    assert_eq!(item["Sans"], "f12.example.com,www.f12.example.com");
    assert_eq!(item["Expired"], false);
    assert_eq!(item["Upload"], false);
    assert!(item["CertificateId"].as_u64().is_some());
    for f in [
        "Fingerprint",
        "Sha2",
        "SerialNo",
        "Issuer",
        "StartDate",
        "EndDate",
    ] {
        assert!(
            item[f].as_str().is_some_and(|v| !v.is_empty()),
            "{f}: {item}"
        );
    }
    let j = list(vec![
        ("OrderType", "CERT".into()),
        ("Status", "ISSUED".into()),
    ])
    .await?
    .json();
    assert_eq!(j["TotalCount"], 1, "{j}");
    let j = list(vec![("OrderType", "UPLOAD".into())]).await?.json();
    assert_eq!(j["TotalCount"], 0, "nothing was uploaded: {j}");

    let all = list(vec![]).await?.json();
    let instance = all["CertificateOrderList"]
        .as_array()
        .ok_or("list")?
        .iter()
        .find(|o| o["OrderId"].as_u64() == Some(id))
        .and_then(|o| o["InstanceId"].as_str())
        .ok_or("instance id")?
        .to_owned();
    let j = list(vec![("Keyword", instance.clone())]).await?.json();
    assert_eq!(j["TotalCount"], 1, "Keyword={instance}: {j}");
    assert_eq!(j["CertificateOrderList"][0]["OrderId"].as_u64(), Some(id));
    s.shutdown().await;
    Ok(())
}

/// F13: the canonical query is built from the bytes sent: `%FF%FE` is signed as `%FF%FE`
/// (and the operation then refuses a value that is not text), never as U+FFFD.
#[tokio::test]
async fn f13_query_bytes_are_signed_as_sent() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let signed_over = |cq: &str| V3 {
        wire_query: Some("ProductCode=%FF%FE".into()),
        canonical_query: Some(cq.into()),
        ..V3::default()
    };
    let r = c
        .send(c.v3_with(D, &[], &signed_over("ProductCode=%FF%FE")))
        .await?;
    assert_refused(&r, 400, "InvalidParameter", "signed over the bytes sent");
    assert!(r.text().contains("ProductCode") && r.text().contains("UTF-8"));
    let r = c
        .send(c.v3_with(D, &[], &signed_over("ProductCode=%EF%BF%BD%EF%BF%BD")))
        .await?;
    assert_refused(&r, 400, "SignatureDoesNotMatch", "signed over U+FFFD");
    s.shutdown().await;
    Ok(())
}

/// F14: values a careful service refuses (the reference is silent on each; see the comments
/// in `server.rs`).
#[tokio::test]
async fn f14_lenient_values_are_refused() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.approve = Approval::Manual;
    cfg.quotas = vec!["digicert-free-1-free=50".parse()?];
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("f14.example.com", &[]);
    let (other, _) = ecc_csr("other.example.org", &[]);
    let id = common::create(&c, &csr, "DNS").await?.to_string();
    const C: &str = "CreateCertificateWithCsrRequest";
    let base = create_params(&csr, "digicert-free-1-free");
    let with = |k: &'static str, v: &'static str| {
        let mut p: Vec<(&str, &str)> = base.iter().filter(|(n, _)| *n != k).copied().collect();
        p.push((k, v));
        p
    };
    let junk_before = format!("junk\n{csr}");
    let junk_after = format!("{csr}junk\n");
    let two = format!("{csr}{other}");
    let plus = format!("+{id}");
    let spaced = format!(" {id} ");
    let zero = format!("0{id}");
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "Tags.01.Key",
            C,
            with("Tags.01.Key", "a"),
            "InvalidParameter",
        ),
        (
            "Tags.+1.Key",
            C,
            with("Tags.+1.Key", "a"),
            "InvalidParameter",
        ),
        (
            "OrderId +N",
            "DescribeCertificateState",
            vec![("OrderId", &plus)],
            "InvalidParameter",
        ),
        (
            "OrderId ' N '",
            "DescribeCertificateState",
            vec![("OrderId", &spaced)],
            "InvalidParameter",
        ),
        (
            "OrderId 0N",
            "DescribeCertificateState",
            vec![("OrderId", &zero)],
            "InvalidParameter",
        ),
        ("Email @", C, with("Email", "@"), "InvalidParameter"),
        ("Email a@", C, with("Email", "a@"), "InvalidParameter"),
        ("Phone abc", C, with("Phone", "abc"), "InvalidParameter"),
        (
            "junk before the PEM",
            C,
            create_params(&junk_before, "digicert-free-1-free"),
            "InvalidCsr.Malformed",
        ),
        (
            "junk after the PEM",
            C,
            create_params(&junk_after, "digicert-free-1-free"),
            "InvalidCsr.Malformed",
        ),
        (
            "a second CSR",
            C,
            create_params(&two, "digicert-free-1-free"),
            "InvalidCsr.Malformed",
        ),
        (
            "ValidateType twice",
            C,
            [base.clone(), vec![("ValidateType", "bogus")]].concat(),
            "InvalidParameter",
        ),
        (
            "DescribePackageState nope",
            D,
            vec![("ProductCode", "nope")],
            "InvalidParameter",
        ),
        (
            "Create nope",
            C,
            with("ProductCode", "nope"),
            "InvalidParameter",
        ),
    ];
    for (label, action, p, code) in cases {
        let r = c.call(action, &p).await?;
        assert_refused(&r, 400, code, label);
    }
    assert_eq!(used(&s), 1, "only the first create spent quota");
    // the same values written as a client means them pass
    let r = c
        .call("DescribeCertificateState", &[("OrderId", &id)])
        .await?;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = c
        .call(D, &[("ProductCode", "symantec-ov-1-personal")])
        .await?;
    assert_eq!(
        (r.status, r.json()["TotalCount"].as_u64()),
        (200, Some(0)),
        "a documented code without a plan: {}",
        r.text()
    );

    // V3 business parameters travel in the query: in a form body they are not read
    let body = "ProductCode=geotrust-dv-1-starter".to_owned();
    let r = c
        .send(c.v3_with(
            D,
            &[],
            &V3 {
                body: body.into_bytes(),
                headers: vec![(
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                )],
                ..V3::default()
            },
        ))
        .await?;
    assert_eq!(
        r.json()["ProductCode"],
        "digicert-free-1-free",
        "the default code, not the body's: {}",
        r.text()
    );
    // a query Action/Version beside the V3 headers must not contradict them
    let r = c
        .send(c.v3_with(
            D,
            &[("Action", "Nope"), ("Version", "1999-01-01")],
            &V3::default(),
        ))
        .await?;
    assert_refused(
        &r,
        400,
        "IncompleteSignature",
        "query Action=Nope beside V3",
    );
    s.shutdown().await;
    Ok(())
}

/// F15 over the wire: one request from a client whose clock runs 14 minutes fast, then a full
/// nonce store; a correctly clocked client with a fresh nonce is throttled (with when to
/// retry), never told its nonce was used.
#[tokio::test]
async fn f15_a_full_nonce_store_throttles_and_never_fakes_a_replay() -> TestResult {
    let mut cfg = SandboxConfig::default();
    cfg.max_nonces = 8;
    let s = Sandbox::start(cfg).await?;
    let c = Client::for_sandbox(&s);
    let skewed = V3 {
        date: Some(iso_at(14 * 60)),
        ..V3::default()
    };
    assert_eq!(c.send(c.v3_with(D, &[], &skewed)).await?.status, 200);
    for _ in 0..7 {
        assert_eq!(c.call(D, &[]).await?.status, 200);
    }
    for _ in 0..3 {
        let r = c.call(D, &[]).await?;
        assert_refused(&r, 400, "Throttling.User", "a full store");
        let after: u64 = r
            .headers
            .iter()
            .find(|(k, _)| k == "x-acs-retry-after")
            .and_then(|(_, v)| v.parse().ok())
            .ok_or("no x-acs-retry-after")?;
        // the earliest entry leaves the 15-minute window after its second
        assert!((1..=901).contains(&after), "{after}");
    }
    s.shutdown().await;
    Ok(())
}

/// F16: the error body's Recommend names the product capitalised, as real ones do.
#[tokio::test]
async fn f16_error_shape() -> TestResult {
    let s = manual().await?;
    let c = Client::for_sandbox(&s);
    let r = c
        .call("DescribeCertificateState", &[("OrderId", "1")])
        .await?;
    let rec = r.json()["Recommend"].as_str().unwrap_or("").to_owned();
    assert!(
        rec.starts_with(
            "https://api.aliyun.com/troubleshoot?q=NotFoundOrder&product=Cas&requestId="
        ),
        "{rec}"
    );
    s.shutdown().await;
    Ok(())
}
