//! The deployment operations' retry rules: a job is never repeated blindly,
//! an upload is repeated only with its ClientToken, and a dry run never shows
//! the private key.

use std::time::Duration;

use csrkit_submit::{
    CreateDeploymentJob, Error, Idempotency, Operation, PrivateKeyPem, UploadUserCertificate,
};

use crate::server::{Reply, SECRET, Server, client, creds};

fn job() -> CreateDeploymentJob {
    CreateDeploymentJob {
        name: "csrkit-job".into(),
        job_type: "user".into(),
        cert_ids: vec![7],
        resource_ids: vec![1, 2],
        contact_ids: vec![3],
        schedule_time: None,
    }
}

fn upload(token: Option<&str>) -> UploadUserCertificate {
    UploadUserCertificate {
        name: "csrkit-up".into(),
        cert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into(),
        key: PrivateKeyPem::new(
            "-----BEGIN PRIVATE KEY-----\nKEY-do-not-show\n-----END PRIVATE KEY-----\n",
        ),
        client_token: token.map(str::to_owned),
        resource_group_id: None,
        tags: Vec::new(),
    }
}

fn ambiguous() -> Vec<(&'static str, Reply)> {
    vec![
        ("dropped after the request was read", Reply::DropAfterRead),
        ("no answer in time", Reply::Hang(Duration::from_secs(20))),
        (
            "InternalError",
            Reply::error(500, "InternalError", "unknown error"),
        ),
        (
            "SignatureNonceUsed",
            Reply::error(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already.",
            ),
        ),
    ]
}

#[tokio::test]
async fn a_deployment_job_is_never_created_twice_by_a_retry() {
    for (what, reply) in ambiguous() {
        let server = Server::start(vec![reply, Reply::ok(r#"{"RequestId":"r","JobId":2}"#)]).await;
        let err = client(&server, creds(), 5).call(&job()).await.unwrap_err();
        assert!(
            matches!(err, Error::OutcomeUnknown { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(server.requests().len(), 1, "{what}: sent twice");
        let shown = err.to_string();
        assert!(
            shown.contains("outcome of CreateDeploymentJob is unknown")
                && shown.contains("look it up before sending it again")
                && !shown.contains("quota"),
            "{shown}"
        );
    }
    // Throttling is a definite refusal: retried with a fresh nonce.
    let server = Server::start(vec![
        Reply::error(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        ),
        Reply::ok(r#"{"RequestId":"r","JobId":2}"#),
    ])
    .await;
    let created = client(&server, creds(), 3).call(&job()).await.unwrap();
    assert_eq!(created.job_id, 2);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn an_upload_is_retried_only_with_its_client_token() {
    for (what, reply) in ambiguous() {
        let server =
            Server::start(vec![reply, Reply::ok(r#"{"RequestId":"r","CertId":77}"#)]).await;
        let c = client(&server, creds(), 3);
        let up = c.call(&upload(Some("token-1"))).await.unwrap();
        assert_eq!(up.cert_id, 77, "{what}");
        let reqs = server.requests();
        assert_eq!(reqs.len(), 2, "{what}");
        for r in &reqs {
            assert!(
                r.query()
                    .contains(&("ClientToken".to_owned(), "token-1".to_owned())),
                "{what}: every attempt carries the same token"
            );
        }
    }
    let server = Server::start(vec![
        Reply::error(500, "InternalError", "unknown error"),
        Reply::ok(r#"{"RequestId":"r","CertId":77}"#),
    ])
    .await;
    let err = client(&server, creds(), 3)
        .call(&upload(None))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn a_dry_run_never_shows_the_private_key() {
    let server = Server::start(vec![]).await;
    let c = client(&server, creds(), 1);
    let shown = c.prepare(&upload(Some("t"))).unwrap();
    let text = shown.to_string();
    assert!(
        !text.contains("KEY-do-not-show") && !text.contains(SECRET),
        "{text}"
    );
    assert!(text.contains("Key=**%20redacted%20**"), "{text}");
    assert!(text.contains("Name=csrkit-up"), "{text}");
    assert!(format!("{:?}", upload(None)).contains("** redacted **"));
    assert_eq!(upload(Some("t")).idempotency(), Idempotency::Safe);
    assert_eq!(upload(None).idempotency(), Idempotency::SideEffect);
}
