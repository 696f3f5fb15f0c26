//! Error mapping, retries, and the rule that a Create is never repeated
//! once the service may have acted on it.

use std::collections::HashSet;
use std::time::Duration;

use csrkit_submit::{Error, OrderId, TransportKind};

use crate::requests::create_request;
use crate::server::{Reply, Server, client, creds};

/// (HTTP status, Code, retried for a read-only operation)
const CODES: &[(u16, &str, bool)] = &[
    (400, "MissingParameter", false),
    (400, "MissingOrderId", false),
    (400, "InvalidParameter", false),
    (404, "InvalidAccessKeyId.NotFound", false),
    (400, "InvalidAccessKeyId.Inactive", false),
    (400, "IncompleteSignature", false),
    (400, "SignatureDoesNotMatch", false),
    (400, "InvalidTimeStamp.Expired", false),
    (404, "InvalidApi.NotFound", false),
    (403, "Forbidden.RAM", false),
    (404, "NotFoundOrder", false),
    (403, "OrderStateError", false),
    (404, "NotRemainCount", false),
    (404, "NotFoundPackage", false),
    (500, "Error", false),
    (400, "SignatureNonceUsed", true),
    (400, "Throttling.User", true),
    (400, "Throttling.Api", true),
    (400, "Throttling", true),
    (503, "ServiceUnavailable", true),
    (500, "InternalError", true),
];

#[tokio::test]
async fn each_error_code_is_mapped_verbatim_and_retried_only_when_safe() {
    for &(status, code, retried) in CODES {
        let message = format!("message for {code}");
        let server = Server::start(vec![Reply::error(status, code, &message); 3]).await;
        let c = client(&server, creds(), 3);
        let err = c.describe_certificate_state(OrderId(7)).await.unwrap_err();
        let Error::Api {
            action,
            http_status,
            code: got,
            message: m,
            request_id,
            recommend,
            access_denied_detail,
        } = &err
        else {
            panic!("{code}: not an Api error: {err:?}");
        };
        assert_eq!(action, "DescribeCertificateState");
        assert_eq!(
            (*http_status, got.as_str(), m.as_str()),
            (status, code, message.as_str())
        );
        let rid = format!("REQ-{code}");
        assert_eq!(request_id.as_deref(), Some(rid.as_str()));
        assert!(recommend.as_deref().unwrap().contains(code));
        assert!(access_denied_detail.is_none());
        assert_eq!(err.code(), Some(code));
        let shown = err.to_string();
        for part in [
            code,
            message.as_str(),
            rid.as_str(),
            recommend.as_deref().unwrap(),
        ] {
            assert!(shown.contains(part), "{code}: {shown:?} lacks {part:?}");
        }
        let n = server.requests().len();
        assert_eq!(n, if retried { 3 } else { 1 }, "{code}: attempts");
    }
}

#[tokio::test]
async fn access_denied_detail_is_kept() {
    let body = r#"{"AccessDeniedDetail":{"AuthPrincipalType":"SubUser","EncodedDiagnosticMessage":"AQEAAAAAaikRpxxx"},
        "Code":"Forbidden","HostId":"cas.aliyuncs.com","Message":"User not authorized to operate on the specified resource.",
        "RequestId":"8AEFD104","Recommend":"https://api.aliyun.com/troubleshoot?q=Forbidden"}"#;
    let server = Server::start(vec![Reply::Json {
        status: 403,
        headers: vec![],
        body: body.into(),
    }])
    .await;
    let err = client(&server, creds(), 3)
        .describe_package_state(None)
        .await
        .unwrap_err();
    match &err {
        Error::Api {
            code,
            access_denied_detail: Some(d),
            ..
        } => {
            assert_eq!(code, "Forbidden");
            assert!(
                d.contains("EncodedDiagnosticMessage") && d.contains("SubUser"),
                "{d}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("AliyunYundunCertFullAccess"),
        "{err}"
    );
}

#[tokio::test]
async fn retries_use_a_fresh_nonce_and_date_each_time() {
    let server = Server::start(vec![
        Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Reply::error(
            400,
            "SignatureNonceUsed",
            "Specified signature nonce was used already.",
        ),
        Reply::error(503, "ServiceUnavailable", "temporary"),
        Reply::ok(r#"{"RequestId":"ok","Type":"process"}"#),
    ])
    .await;
    let state = client(&server, creds(), 4)
        .describe_certificate_state(OrderId(1))
        .await
        .unwrap();
    assert_eq!(state.request_id, "ok");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 4);
    let nonces: HashSet<&str> = reqs
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").unwrap())
        .collect();
    assert_eq!(nonces.len(), 4, "every attempt has its own nonce");
    let sigs: HashSet<&str> = reqs
        .iter()
        .map(|r| r.header("authorization").unwrap())
        .collect();
    assert_eq!(sigs.len(), 4, "every attempt is signed afresh");
    for r in &reqs {
        crate::requests::assert_signed_shape(r, server.port, "DescribeCertificateState", &creds());
    }
}

#[tokio::test]
async fn retry_after_is_honoured_or_the_client_gives_up() {
    let throttled = |secs: &str| Reply::Json {
        status: 400,
        headers: vec![("x-acs-retry-after".into(), secs.into())],
        body: r#"{"Code":"Throttling.User","Message":"slow down","RequestId":"t"}"#.into(),
    };
    // Longer than the policy's max_retry_after (2 s): no second attempt.
    let server = Server::start(vec![throttled("3600")]).await;
    let err = client(&server, creds(), 4)
        .describe_package_state(None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("Throttling.User"));
    assert_eq!(server.requests().len(), 1);
    // Within it: waited for, then retried.
    let server = Server::start(vec![throttled("1"), Reply::ok(r#"{"RequestId":"ok"}"#)]).await;
    client(&server, creds(), 4)
        .describe_package_state(None)
        .await
        .unwrap();
    assert_eq!(server.requests().len(), 2);
}

/// A client's rate limiter sees every attempt, retries included, of every
/// client made with the same options, and counts the `Throttling` answers
/// that still arrive (each waited out as `x-acs-retry-after` asks).
#[tokio::test]
async fn a_shared_rate_limiter_counts_every_attempt_and_every_throttled_answer() {
    let server = Server::start(vec![
        Reply::Json {
            status: 400,
            headers: vec![("x-acs-retry-after".into(), "1".into())],
            body: r#"{"Code":"Throttling.User","Message":"slow down","RequestId":"t"}"#.into(),
        },
        Reply::ok(r#"{"RequestId":"ok"}"#),
        Reply::ok(r#"{"RequestId":"ok","Type":"process"}"#),
    ])
    .await;
    let limiter = csrkit_submit::RateLimiter::new(std::num::NonZeroU32::new(10).unwrap());
    let with_limiter = || {
        let mut o = client(&server, creds(), 4).options().clone();
        o.rate_limiter = Some(limiter.clone());
        csrkit_submit::Client::new(creds(), o).unwrap()
    };
    with_limiter().describe_package_state(None).await.unwrap();
    with_limiter()
        .describe_certificate_state(OrderId(7))
        .await
        .unwrap();
    let stats = limiter.stats();
    assert_eq!(stats["DescribePackageState"].sent, 2, "{stats:?}");
    assert_eq!(stats["DescribePackageState"].throttled, 1);
    assert_eq!(stats["DescribeCertificateState"].sent, 1);
    assert_eq!(limiter.throttled_total(), 1);
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn read_only_calls_retry_dropped_connections_and_timeouts() {
    let server = Server::start(vec![
        Reply::DropAfterRead,
        Reply::Hang(Duration::from_secs(20)),
        Reply::ok(r#"{"RequestId":"ok","TotalCount":1,"UsedCount":1}"#),
    ])
    .await;
    let s = client(&server, creds(), 3)
        .describe_package_state(None)
        .await
        .unwrap();
    assert_eq!(s.remaining(), Some(0));
    assert_eq!(server.requests().len(), 3);

    let server = Server::start(vec![Reply::DropAfterRead; 3]).await;
    let err = client(&server, creds(), 3)
        .describe_certificate_state(OrderId(7))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Transport {
                request_may_have_been_sent: true,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(server.requests().len(), 3);
    let shown = err.to_string();
    assert!(
        shown.starts_with(&format!("DescribeCertificateState to {}: ", server.url())),
        "{shown}"
    );
    assert!(shown.contains("may have reached the service"), "{shown}");
    assert!(
        !shown.contains("OrderId=7"),
        "the query is not repeated: {shown}"
    );
}

#[tokio::test]
async fn throttled_create_is_retried() {
    let server = Server::start(vec![
        Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Reply::error(
            400,
            "Throttling",
            "Request was denied due to request throttling.",
        ),
        Reply::ok(r#"{"RequestId":"r","OrderId":42}"#),
    ])
    .await;
    let counted = client(&server, creds(), 4)
        .call_counted(&create_request())
        .await;
    assert_eq!(counted.result.unwrap().order_id, OrderId(42));
    assert_eq!(counted.attempts, 3, "the client says how many it sent");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    let nonces: HashSet<&str> = reqs
        .iter()
        .map(|r| r.header("x-acs-signature-nonce").unwrap())
        .collect();
    assert_eq!(nonces.len(), 3);
}

#[tokio::test]
async fn ambiguous_create_is_never_retried() {
    let ambiguous = [
        (
            "connection dropped after the request was read",
            Reply::DropAfterRead,
        ),
        (
            "no answer within the read timeout",
            Reply::Hang(Duration::from_secs(20)),
        ),
        (
            "InternalError",
            Reply::error(500, "InternalError", "unknown error"),
        ),
        (
            "ServiceUnavailable",
            Reply::error(503, "ServiceUnavailable", "temporary"),
        ),
        (
            "a 502 from a proxy",
            Reply::Json {
                status: 502,
                headers: vec![],
                body: "<html>bad gateway</html>".into(),
            },
        ),
        (
            "SignatureNonceUsed: this signed request already reached the service",
            Reply::error(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ),
        ),
        ("a 200 that is not JSON", Reply::ok("<html>hello</html>")),
        ("a 200 without OrderId", Reply::ok(r#"{"RequestId":"r"}"#)),
    ];
    for (what, reply) in ambiguous {
        // The script would let a retry succeed: it must not be used.
        let server =
            Server::start(vec![reply, Reply::ok(r#"{"RequestId":"r","OrderId":2}"#)]).await;
        let err = client(&server, creds(), 5)
            .create_certificate_with_csr(&create_request())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::OutcomeUnknown { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(
            server.requests().len(),
            1,
            "{what}: Create sent more than once"
        );
        let shown = err.to_string();
        assert!(
            shown.contains("outcome of CreateCertificateWithCsrRequest is unknown"),
            "{shown}"
        );
        assert!(shown.contains("do not submit again"), "{shown}");
    }
}

#[tokio::test]
async fn definite_create_refusals_are_not_retried() {
    let server = Server::start(vec![
        Reply::error(404, "NotRemainCount", "no quota left");
        2
    ])
    .await;
    let err = client(&server, creds(), 5)
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("NotRemainCount"));
    assert!(err.is_api());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn connect_failure_means_nothing_was_sent() {
    // A port with nothing listening: bind, note the port, close.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let options = csrkit_submit::ClientOptions {
        endpoint: csrkit_submit::Endpoint::parse(&format!("http://127.0.0.1:{port}")).unwrap(),
        retry: csrkit_submit::RetryPolicy {
            max_attempts: 3,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(1),
        },
        ..Default::default()
    };
    let c = csrkit_submit::Client::new(creds(), options).unwrap();
    let err = c
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap_err();
    match &err {
        Error::Transport {
            kind,
            request_may_have_been_sent,
            action,
            ..
        } => {
            assert_eq!(*kind, TransportKind::Connect);
            assert!(!request_may_have_been_sent);
            assert_eq!(action, "CreateCertificateWithCsrRequest");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("nothing was sent"), "{err}");
}

/// An endpoint that streams an answer without end (a wrong --endpoint, a
/// file server) is cut off at 16 MiB instead of filling memory: a read is
/// not retried and says to check the endpoint; a Create that got such an
/// answer is not sent again (the service may have acted on it).
#[tokio::test]
async fn an_endless_answer_is_cut_off_not_read_whole() {
    let server = Server::start(vec![Reply::Endless; 3]).await;
    let err = client(&server, creds(), 3)
        .describe_package_state(None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
    assert!(err.to_string().contains("check --endpoint"), "{err}");
    assert_eq!(server.requests().len(), 1);

    let server = Server::start(vec![Reply::Endless; 3]).await;
    let err = client(&server, creds(), 3)
        .create_certificate_with_csr(&create_request())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert!(err.to_string().contains("larger than 16 MiB"), "{err}");
    assert_eq!(server.requests().len(), 1, "a Create is sent once");
}
