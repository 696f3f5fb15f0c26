//! Sends every operation through the real client to the recording server.
//! With `CSRKIT_RECORD_REQUESTS=<path.jsonl>` set, every received request
//! (method, path with query, headers, body) is written there as one JSON line
//! for `scripts/interop/verify_signatures.py`, which recomputes each
//! signature with the official Python SDK. Without it, the same requests are
//! sent and checked here only.

use std::io::Write as _;

use csrkit_submit::{
    CreateCertificateWithCsr, Credentials, ListUserCertificateOrder, OrderId, Tag, ValidateType,
};

use crate::requests::{assert_signed_shape, create_request};
use crate::server::{Reply, SECRET, Server, TOKEN, client};

/// The environment variable naming the JSON-lines output file.
const RECORD_VAR: &str = "CSRKIT_RECORD_REQUESTS";

#[tokio::test]
async fn record_every_operation_for_the_sdk_check() {
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"1","TotalCount":3,"UsedCount":1}"#),
        Reply::ok(r#"{"RequestId":"2","TotalCount":3,"UsedCount":1}"#),
        Reply::ok(r#"{"RequestId":"3","OrderId":98987582437920968}"#),
        Reply::ok(r#"{"RequestId":"4","OrderId":1}"#),
        Reply::ok(r#"{"RequestId":"5","Type":"process"}"#),
        Reply::ok(r#"{"RequestId":"6","TotalCount":0,"CertificateOrderList":[]}"#),
        Reply::ok(r#"{"RequestId":"7","TotalCount":0,"CertificateOrderList":[]}"#),
        Reply::ok(r#"{"RequestId":"8"}"#),
        Reply::ok(r#"{"RequestId":"9"}"#),
        // A throttled call and its retry: both attempts are checked.
        Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Reply::ok(r#"{"RequestId":"10","Type":"domain_verify"}"#),
        // With an STS token.
        Reply::ok(r#"{"RequestId":"11","TotalCount":3,"UsedCount":1}"#),
        Reply::ok(r#"{"RequestId":"12","OrderId":2}"#),
        // The instance of an order, and the tag lookup.
        Reply::ok(r#"{"RequestId":"13","Csr":"PEM","Tags":[]}"#),
        Reply::ok(r#"{"RequestId":"14","TagResources":{"TagResource":[]}}"#),
    ])
    .await;
    let plain = Credentials::new("testid", SECRET, None);
    let sts = Credentials::new("STS.testid", SECRET, Some(TOKEN));
    let c = client(&server, plain.clone(), 3);
    let id = OrderId(98_987_582_437_920_968);

    c.describe_package_state(Some("digicert-free-1-free"))
        .await
        .unwrap();
    c.describe_package_state(None).await.unwrap();
    c.create_certificate_with_csr(&create_request())
        .await
        .unwrap();
    let awkward = CreateCertificateWithCsr {
        csr: "-----BEGIN CERTIFICATE REQUEST-----\r\nMIIB+/=*~ \r\n-----END CERTIFICATE REQUEST-----\r\n".into(),
        username: "张三 Zoë O'Brien".into(),
        phone: "+86 (138) 0000-0000".into(),
        email: "a+b@例え.jp".into(),
        validate_type: ValidateType::File,
        product_code: None,
        tags: (1..=11)
            .map(|i| Tag { key: format!("k{i}"), value: format!("v {i} & = ? # * ~ 😀") })
            .collect(),
    };
    c.create_certificate_with_csr(&awkward).await.unwrap();
    c.describe_certificate_state(id).await.unwrap();
    c.list_user_certificate_order(&ListUserCertificateOrder::default())
        .await
        .unwrap();
    let q = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        status: Some("CHECKING".into()),
        keyword: Some("bücher example.com".into()),
        current_page: Some(1),
        show_size: Some(50),
        resource_group_id: Some("rg-1".into()),
    };
    c.list_user_certificate_order(&q).await.unwrap();
    c.cancel_order(id).await.unwrap();
    c.delete_certificate(id).await.unwrap();
    c.describe_certificate_state(OrderId(u64::MAX))
        .await
        .unwrap();
    let s = client(&server, sts.clone(), 1);
    s.describe_package_state(None).await.unwrap();
    s.create_certificate_with_csr(&create_request())
        .await
        .unwrap();

    c.get_instance_detail("cas-ivauto-98987582437920968")
        .await
        .unwrap();
    let tags = csrkit_submit::ListTagResources {
        region_id: "cn-hangzhou".into(),
        resource_ids: vec!["cas-ivauto-1".into()],
        tags: vec![Tag {
            key: "csrkit-attempt".into(),
            value: "0b6f2c1e-5d8a-4f3b-9c7e-1a2b3c4d5e6f".into(),
        }],
        max_results: Some(50),
        ..Default::default()
    };
    c.list_all_tag_resources(&tags).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 15);
    let actions: Vec<&str> = reqs
        .iter()
        .map(|r| r.header("x-acs-action").unwrap())
        .collect();
    for (i, r) in reqs.iter().enumerate() {
        let creds = if (11..13).contains(&i) { &sts } else { &plain };
        assert_signed_shape(r, server.port, actions[i], creds);
    }

    record(&reqs);
}

/// Appends `reqs` to the file `CSRKIT_RECORD_REQUESTS` names, if it is set.
fn record(reqs: &[crate::server::Recorded]) {
    let Ok(path) = std::env::var(RECORD_VAR) else {
        return;
    };
    let mut out = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap();
    for r in reqs {
        let headers: serde_json::Map<String, serde_json::Value> = r
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let line = serde_json::json!({
            "method": r.method,
            "path": r.target,
            "headers": headers,
            "body": String::from_utf8_lossy(&r.body),
        });
        writeln!(out, "{line}").unwrap();
    }
}

#[tokio::test]
async fn record_the_deployment_operations_for_the_sdk_check() {
    use csrkit_submit::{
        CreateDeploymentJob, DescribeDeploymentJob, GetUserCertificateDetail, ListCloudResources,
        ListContact, ListDeploymentJob, ListWorkerResource, PrivateKeyPem,
        UpdateDeploymentJobStatus, UploadUserCertificate,
    };
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"1","Total":0,"Data":[]}"#),
        Reply::ok(r#"{"RequestId":"2","TotalCount":0,"ContactList":[]}"#),
        Reply::ok(r#"{"RequestId":"3","CertId":12345678,"ResourceId":"cas-upload-1"}"#),
        Reply::ok(r#"{"RequestId":"4","Id":12345678}"#),
        Reply::ok(r#"{"RequestId":"5","JobId":3000001}"#),
        Reply::ok(r#"{"RequestId":"6"}"#),
        Reply::ok(r#"{"RequestId":"7","Id":3000001,"Status":"processing"}"#),
        Reply::ok(r#"{"RequestId":"8","Total":0,"Data":[]}"#),
        Reply::ok(r#"{"RequestId":"9","Total":0,"Data":[]}"#),
    ])
    .await;
    let plain = Credentials::new("testid", SECRET, None);
    let c = client(&server, plain.clone(), 1);
    c.call(&ListCloudResources {
        cloud_name: Some("aliyun".into()),
        cloud_product: Some("CDN".into()),
        keyword: Some("www.example.com".into()),
        cert_ids: vec![12_345_678, 9],
        current_page: Some(1),
        show_size: Some(50),
    })
    .await
    .unwrap();
    c.call(&ListContact {
        show_size: Some(1),
        ..ListContact::default()
    })
    .await
    .unwrap();
    c.call(&UploadUserCertificate {
        name: "csrkit-example.com-0a1b2c3d".into(),
        cert: "-----BEGIN CERTIFICATE-----\nMIIB+/=\n-----END CERTIFICATE-----\n".into(),
        key: PrivateKeyPem::new("-----BEGIN PRIVATE KEY-----\nMIG+/=\n-----END PRIVATE KEY-----\n"),
        client_token: Some("0b6f2c1e-5d8a-4f3b-9c7e-1a2b3c4d5e6f".into()),
        resource_group_id: None,
        tags: vec![Tag {
            key: "csrkit".into(),
            value: "deploy & = ?".into(),
        }],
    })
    .await
    .unwrap();
    c.call(&GetUserCertificateDetail {
        cert_id: 12_345_678,
        cert_filter: true,
    })
    .await
    .unwrap();
    c.call(&CreateDeploymentJob {
        name: "csrkit-example.com-0a1b2c3d-1".into(),
        job_type: "user".into(),
        cert_ids: vec![12_345_678],
        resource_ids: vec![1, 2],
        contact_ids: vec![1_000_001],
        schedule_time: None,
    })
    .await
    .unwrap();
    c.call(&UpdateDeploymentJobStatus {
        job_id: 3_000_001,
        status: "pending".into(),
    })
    .await
    .unwrap();
    c.call(&DescribeDeploymentJob { job_id: 3_000_001 })
        .await
        .unwrap();
    c.call(&ListDeploymentJob {
        cert_id: Some(12_345_678),
        job_type: Some("user".into()),
        ..ListDeploymentJob::default()
    })
    .await
    .unwrap();
    c.call(&ListWorkerResource {
        job_id: 3_000_001,
        ..ListWorkerResource::default()
    })
    .await
    .unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 9);
    for r in &reqs {
        assert_signed_shape(r, server.port, r.header("x-acs-action").unwrap(), &plain);
    }
    let q = reqs[0].query();
    assert!(
        q.contains(&("CertIds".to_owned(), "[12345678,9]".to_owned())),
        "{q:?}"
    );
    record(&reqs);
}
