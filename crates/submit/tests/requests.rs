//! The exact request each operation sends, and how answers are decoded.

use csrkit_submit::{
    CreateCertificateWithCsr, Credentials, DescribePackageState, ListUserCertificateOrder, OrderId,
    SignableRequest, SigningParams, StateType, Tag, ValidateType, Verification, sign_v3,
};

use crate::server::{Recorded, Reply, SECRET, Server, TOKEN, client, creds};

const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const CSR: &str =
    "-----BEGIN CERTIFICATE REQUEST-----\nMIIBtest+/=\n-----END CERTIFICATE REQUEST-----";

pub(crate) fn create_request() -> CreateCertificateWithCsr {
    CreateCertificateWithCsr {
        csr: CSR.to_string(),
        username: "Zhang San".to_string(),
        phone: "13800000000".to_string(),
        email: "admin@example.com".to_string(),
        validate_type: ValidateType::Dns,
        product_code: Some("digicert-free-1-free".to_string()),
        tags: vec![Tag {
            key: "env".to_string(),
            value: "prod test".to_string(),
        }],
    }
}

/// Checks method, path, the signed headers, and recomputes the signature
/// from what the server received.
pub(crate) fn assert_signed_shape(r: &Recorded, port: u16, action: &str, creds: &Credentials) {
    assert_eq!(r.method, "POST");
    assert!(
        r.target == "/" || r.target.starts_with("/?"),
        "{}",
        r.target
    );
    assert_eq!(r.header("host"), Some(format!("127.0.0.1:{port}").as_str()));
    assert_eq!(r.header("x-acs-action"), Some(action));
    assert_eq!(r.header("x-acs-version"), Some("2020-04-07"));
    assert_eq!(r.header("x-acs-content-sha256"), Some(EMPTY_SHA256));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("csrkit/", env!("CARGO_PKG_VERSION")))
    );
    let date = r.header("x-acs-date").unwrap();
    assert_eq!(date.len(), 20, "{date}");
    assert!(date.ends_with('Z') && date.as_bytes()[10] == b'T', "{date}");
    let nonce = r.header("x-acs-signature-nonce").unwrap();
    assert!(
        nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_hexdigit()),
        "{nonce}"
    );
    assert!(r.body.is_empty());
    let signed = if creds.security_token().is_some() {
        "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version"
    } else {
        "accept;host;user-agent;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"
    };
    let auth = r.header("authorization").unwrap();
    let prefix = format!(
        "ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature=",
        creds.access_key_id()
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    // Recompute from the received request alone.
    let mut req =
        SignableRequest::rpc_post(r.header("host").unwrap(), action, "2020-04-07", r.query());
    req.headers = vec![
        ("accept".into(), r.header("accept").unwrap().into()),
        ("user-agent".into(), r.header("user-agent").unwrap().into()),
    ];
    let params = SigningParams {
        date: date.into(),
        nonce: nonce.into(),
    };
    assert_eq!(sign_v3(&req, creds, &params).authorization(), auth);
}

#[tokio::test]
async fn create_certificate_with_csr_request_shape() {
    let server = Server::start(vec![Reply::ok(
        r#"{"RequestId":"CBF1E9B7-D6A0-4E9E-AD3E-2B47E6C2837D","OrderId":98987582437920968,"Unknown":{"x":1}}"#,
    )])
    .await;
    let c = client(&server, creds(), 3);
    let out = c
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap();
    assert_eq!(out.order_id, OrderId(98_987_582_437_920_968));
    assert_eq!(out.request_id, "CBF1E9B7-D6A0-4E9E-AD3E-2B47E6C2837D");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].target,
        "/?Csr=-----BEGIN%20CERTIFICATE%20REQUEST-----%0AMIIBtest%2B%2F%3D%0A-----END%20CERTIFICATE%20REQUEST-----\
         &Email=admin%40example.com&Phone=13800000000&ProductCode=digicert-free-1-free&Tags.1.Key=env\
         &Tags.1.Value=prod%20test&Username=Zhang%20San&ValidateType=DNS"
    );
    assert_signed_shape(
        &reqs[0],
        server.port,
        "CreateCertificateWithCsrRequest",
        &creds(),
    );
    assert_eq!(reqs[0].header("content-length"), Some("0"));
    assert_eq!(
        reqs[0]
            .headers
            .iter()
            .filter(|(k, _)| k == "content-length")
            .count(),
        1
    );
}

#[tokio::test]
async fn describe_certificate_state_shape_and_decoding() {
    let server = Server::start(vec![
        Reply::ok(
            r#"{"RequestId":"r1","Type":"domain_verify","ValidateType":"DNS","RecordType":"TXT",
                "RecordDomain":"_dnsauth","RecordValue":"2020042000000022","NewField":true}"#,
        ),
        Reply::ok(
            r#"{"RequestId":"082FAB35","Type":"domain_verify","ValidateType":"FILE","Domain":"www.hangzhou.com",
                "Uri":"/.well-known/pki-validation/fileauth.txt","Content":"abc"}"#,
        ),
        Reply::ok(r#"{"RequestId":"r3","Type":"certificate","Certificate":"-----BEGIN CERTIFICATE-----","CertId":"12345678","PrivateKey":""}"#),
        Reply::ok(r#"{"RequestId":"r4","Type":"unknow"}"#),
    ])
    .await;
    let c = client(&server, creds(), 3);
    let id = OrderId(98_987_582_437_920_968);
    let s = c.describe_certificate_state(id).await.unwrap();
    assert_eq!(s.state, StateType::DomainVerify);
    assert_eq!(
        s.verification(),
        Some(Verification::Dns {
            record_type: "TXT".into(),
            record_domain: "_dnsauth".into(),
            record_value: "2020042000000022".into()
        })
    );
    let s = c.describe_certificate_state(id).await.unwrap();
    assert!(
        matches!(s.verification(), Some(Verification::File { ref uri, .. }) if uri.ends_with("fileauth.txt"))
    );
    let s = c.describe_certificate_state(id).await.unwrap();
    assert_eq!(s.state, StateType::Certificate);
    assert!(s.state.is_terminal());
    assert_eq!(s.cert_id.as_deref(), Some("12345678"));
    assert!(s.private_key.is_empty());
    let s = c.describe_certificate_state(id).await.unwrap();
    assert_eq!(s.state, StateType::Unknow);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    for r in &reqs {
        assert_eq!(r.target, "/?OrderId=98987582437920968");
        assert_signed_shape(r, server.port, "DescribeCertificateState", &creds());
    }
}

#[tokio::test]
async fn describe_package_state_shape() {
    let server = Server::start(vec![
        Reply::ok(r#"{"TotalCount":20,"RequestId":"10CF","ProductCode":"symantec-free-1-free","UsedCount":2,"IssuedCount":1}"#),
        Reply::ok(r#"{"TotalCount":"5","UsedCount":7,"RequestId":"x"}"#),
    ])
    .await;
    let c = client(&server, creds(), 3);
    let s = c
        .describe_package_state(Some("symantec-free-1-free"))
        .await
        .unwrap();
    assert_eq!(
        (s.total_count, s.used_count, s.issued_count),
        (Some(20), Some(2), Some(1))
    );
    assert_eq!(s.remaining(), Some(18));
    let s = c.call(&DescribePackageState::default()).await.unwrap();
    assert_eq!(s.remaining(), Some(0));
    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/?ProductCode=symantec-free-1-free");
    assert_eq!(reqs[1].target, "/");
    for r in &reqs {
        assert_signed_shape(r, server.port, "DescribePackageState", &creds());
    }
}

#[tokio::test]
async fn list_user_certificate_order_all_pages() {
    let item = |id: u64, d: &str| {
        format!(
            r#"{{"OrderId":{id},"Domain":"{d}","Status":"CHECKING","ProductCode":"digicert-free-1-free","BuyDate":1700000000000}}"#
        )
    };
    let server = Server::start(vec![
        Reply::ok(&format!(
            r#"{{"RequestId":"p1","TotalCount":3,"CurrentPage":1,"ShowSize":2,"CertificateOrderList":[{},{}]}}"#,
            item(1, "a.example.com"),
            item(98987582437920968, "b.example.com")
        )),
        Reply::ok(&format!(
            r#"{{"RequestId":"p2","TotalCount":3,"CurrentPage":2,"ShowSize":2,"CertificateOrderList":[{}]}}"#,
            item(3, "c.example.com")
        )),
    ])
    .await;
    let c = client(&server, creds(), 3);
    let q = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        status: Some("CHECKING".into()),
        keyword: Some("example.com".into()),
        show_size: Some(2),
        ..Default::default()
    };
    let all = c.list_all_user_certificate_orders(&q).await.unwrap();
    let ids: Vec<u64> = all.iter().map(|o| o.order_id.unwrap().0).collect();
    assert_eq!(ids, vec![1, 98_987_582_437_920_968, 3]);
    assert_eq!(all[2].domain.as_deref(), Some("c.example.com"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(
        reqs[0].target,
        "/?CurrentPage=1&Keyword=example.com&OrderType=CPACK&ShowSize=2&Status=CHECKING"
    );
    assert_eq!(
        reqs[1].target,
        "/?CurrentPage=2&Keyword=example.com&OrderType=CPACK&ShowSize=2&Status=CHECKING"
    );
    for r in &reqs {
        assert_signed_shape(r, server.port, "ListUserCertificateOrder", &creds());
    }
}

#[tokio::test]
async fn cancel_and_delete_shape() {
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"c"}"#),
        Reply::ok(r#"{"RequestId":"d"}"#),
    ])
    .await;
    let c = client(&server, creds(), 3);
    let id: OrderId = "18446744073709551615".parse().unwrap();
    assert_eq!(c.cancel_order(id).await.unwrap().request_id, "c");
    assert_eq!(c.delete_certificate(id).await.unwrap().request_id, "d");
    let reqs = server.requests();
    assert_eq!(reqs[0].target, "/?OrderId=18446744073709551615");
    assert_signed_shape(&reqs[0], server.port, "CancelOrderRequest", &creds());
    assert_eq!(reqs[1].target, "/?OrderId=18446744073709551615");
    assert_signed_shape(&reqs[1], server.port, "DeleteCertificateRequest", &creds());
}

#[tokio::test]
async fn order_id_above_2_pow_53_round_trips() {
    // 2^53 + 1 cannot be represented by an f64; both JSON forms must survive.
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"a","OrderId":9007199254740993}"#),
        Reply::ok(r#"{"RequestId":"b","OrderId":"98987582437920969"}"#),
        Reply::ok(r#"{"RequestId":"c","Type":"process"}"#),
    ])
    .await;
    let c = client(&server, creds(), 1);
    let a = c
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap()
        .order_id;
    assert_eq!(a.0, 9_007_199_254_740_993);
    let b = c
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap()
        .order_id;
    assert_eq!(b.to_string(), "98987582437920969");
    assert_eq!(serde_json::to_string(&b).unwrap(), "\"98987582437920969\"");
    let _ = c.describe_certificate_state(a).await.unwrap();
    assert_eq!(server.requests()[2].target, "/?OrderId=9007199254740993");
}

#[tokio::test]
async fn sts_token_travels_as_signed_header() {
    let server = Server::start(vec![Reply::ok(
        r#"{"RequestId":"x","TotalCount":1,"UsedCount":0}"#,
    )])
    .await;
    let sts = Credentials::new("STS.testid", SECRET, Some(TOKEN));
    let c = client(&server, sts.clone(), 1);
    c.describe_package_state(None).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("x-acs-security-token"), Some(TOKEN));
    assert_signed_shape(r, server.port, "DescribePackageState", &sts);
}

#[tokio::test]
async fn dry_run_sends_nothing_and_redacts() {
    let server = Server::start(vec![]).await;
    let c = client(&server, Credentials::new("testid", SECRET, Some(TOKEN)), 1);
    let shown = c.prepare(&create_request()).unwrap();
    assert!(
        shown
            .url
            .starts_with(&format!("{}/?Csr=-----BEGIN%20CERTIFICATE", server.url()))
    );
    let text = shown.to_string();
    assert!(text.starts_with("POST http://127.0.0.1:"), "{text}");
    assert!(
        text.contains("x-acs-action: CreateCertificateWithCsrRequest\n"),
        "{text}"
    );
    assert!(
        text.contains("x-acs-security-token: ** redacted **\n"),
        "{text}"
    );
    assert!(text.contains(",Signature=** redacted **\n"), "{text}");
    assert!(!text.contains(SECRET) && !text.contains(TOKEN));
    let json = serde_json::to_string(&shown).unwrap();
    assert!(!json.contains(SECRET) && !json.contains(TOKEN));
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let server = Server::start(vec![]).await;
    let c = client(&server, creds(), 1);
    let mut req = create_request();
    req.email = " ".into();
    let err = c.create_certificate_with_csr(&req).await.unwrap_err();
    assert!(err.to_string().starts_with("Email: is empty"), "{err}");
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn list_all_without_total_stops_at_a_short_page() {
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"p1","CertificateOrderList":[{"OrderId":1},{"OrderId":"2"}]}"#),
        Reply::ok(r#"{"RequestId":"p2","CertificateOrderList":[{"OrderId":3}]}"#),
        Reply::ok(r#"{"RequestId":"never","CertificateOrderList":[{"OrderId":4}]}"#),
    ])
    .await;
    let q = ListUserCertificateOrder {
        show_size: Some(2),
        ..Default::default()
    };
    let all = client(&server, creds(), 1)
        .list_all_user_certificate_orders(&q)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(server.requests().len(), 2);
}

/// An operation of another product (Alidns 2015-01-09) through the same client.
struct OtherProductOp;

impl csrkit_submit::Operation for OtherProductOp {
    type Output = serde_json::Value;
    const ACTION: &'static str = "DescribeDomains";
    const VERSION: &'static str = "2015-01-09";
    const IDEMPOTENCY: csrkit_submit::Idempotency = csrkit_submit::Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![("PageNumber".into(), "1".into())])
    }
}

#[tokio::test]
async fn an_operation_names_its_own_api_version_and_is_signed_with_it() {
    let server = Server::start(vec![Reply::ok(r#"{"RequestId":"r","TotalCount":0}"#)]).await;
    let c = client(&server, creds(), 1);
    c.call(&OtherProductOp).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!(r.header("x-acs-version"), Some("2015-01-09"));
    let mut req = SignableRequest::rpc_post(
        r.header("host").unwrap(),
        "DescribeDomains",
        "2015-01-09",
        r.query(),
    );
    req.headers = vec![
        ("accept".into(), r.header("accept").unwrap().into()),
        ("user-agent".into(), r.header("user-agent").unwrap().into()),
    ];
    let params = SigningParams {
        date: r.header("x-acs-date").unwrap().into(),
        nonce: r.header("x-acs-signature-nonce").unwrap().into(),
    };
    assert_eq!(
        sign_v3(&req, &creds(), &params).authorization(),
        r.header("authorization").unwrap()
    );
    // CAS operations keep the CAS version.
    let shown = c.prepare(&DescribePackageState::default()).unwrap();
    assert!(
        shown
            .headers
            .contains(&("x-acs-version".to_string(), "2020-04-07".to_string()))
    );
}
