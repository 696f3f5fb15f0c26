//! A known secret and token go through every operation, success and failure:
//! neither may appear in any request byte (except the token's own header),
//! nor in any Debug or Display output.

use std::time::Duration;

use csrkit_submit::{CredentialSources, Credentials, OrderId};

use crate::requests::create_request;
use crate::server::{Reply, SECRET, Server, TOKEN, client};

fn assert_clean(what: &str, text: &str) {
    assert!(!text.contains(SECRET), "{what} shows the secret: {text}");
    assert!(!text.contains(TOKEN), "{what} shows the token: {text}");
}

#[tokio::test]
async fn no_secret_in_requests_or_output() {
    let server = Server::start(vec![
        Reply::ok(r#"{"RequestId":"a","TotalCount":3,"UsedCount":1}"#),
        Reply::ok(r#"{"RequestId":"b","OrderId":98987582437920968}"#),
        Reply::ok(r#"{"RequestId":"c","Type":"certificate","Certificate":"PEM","PrivateKey":"TEST-KEY-do-not-print"}"#),
        Reply::ok(r#"{"RequestId":"d","TotalCount":0,"CertificateOrderList":[]}"#),
        Reply::ok(r#"{"RequestId":"e"}"#),
        Reply::ok(r#"{"RequestId":"f"}"#),
        Reply::error(400, "SignatureDoesNotMatch", "server string to sign is:POST&%2F&..."),
        Reply::DropAfterRead,
        Reply::Hang(Duration::from_secs(20)),
    ])
    .await;
    let creds = Credentials::new("STS.testid", SECRET, Some(TOKEN));
    let c = client(&server, creds.clone(), 1);
    let mut shown: Vec<String> = vec![format!("{c:?}"), format!("{creds:?}")];
    let id = OrderId(98_987_582_437_920_968);
    shown.push(format!(
        "{:?}",
        c.describe_package_state(None).await.unwrap()
    ));
    shown.push(format!(
        "{:?}",
        c.create_certificate_with_csr(&create_request())
            .await
            .unwrap()
    ));
    let state = c.describe_certificate_state(id).await.unwrap();
    assert_eq!(state.private_key.expose(), "TEST-KEY-do-not-print");
    let dbg = format!("{state:?}");
    assert!(!dbg.contains("TEST-KEY-do-not-print"), "{dbg}");
    shown.push(dbg);
    shown.push(format!(
        "{:?}",
        c.list_all_user_certificate_orders(&Default::default())
            .await
            .unwrap()
    ));
    shown.push(format!("{:?}", c.cancel_order(id).await.unwrap()));
    shown.push(format!("{:?}", c.delete_certificate(id).await.unwrap()));
    for _ in 0..3 {
        let err = c
            .create_certificate_with_csr(&create_request())
            .await
            .unwrap_err();
        shown.push(format!("{err:?}"));
        shown.push(err.to_string());
        let mut src = std::error::Error::source(&err);
        while let Some(s) = src {
            shown.push(s.to_string());
            src = s.source();
        }
    }
    let prepared = c.prepare(&create_request()).unwrap();
    shown.push(prepared.to_string());
    shown.push(format!("{prepared:?}"));
    shown.push(serde_json::to_string(&prepared).unwrap());
    for (i, s) in shown.iter().enumerate() {
        assert_clean(&format!("output {i}"), s);
    }

    let reqs = server.requests();
    assert_eq!(reqs.len(), 9);
    for r in &reqs {
        assert!(
            !r.raw.contains(SECRET),
            "a request carries the secret:\n{}",
            r.raw
        );
        let token_lines: Vec<&str> = r.raw.lines().filter(|l| l.contains(TOKEN)).collect();
        assert_eq!(token_lines.len(), 1, "{}", r.raw);
        assert!(
            token_lines[0]
                .to_ascii_lowercase()
                .starts_with("x-acs-security-token:"),
            "{}",
            r.raw
        );
    }
}

#[test]
fn credential_errors_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let aliyun = dir.path().join(".aliyun");
    std::fs::create_dir_all(&aliyun).unwrap();
    std::fs::write(
        aliyun.join("config.json"),
        format!(
            r#"{{"current":"role","profiles":[{{"name":"role","mode":"RamRoleArn","access_key_id":"id",
               "access_key_secret":"{SECRET}","ram_role_arn":"acs:ram::1:role/x"}},
               {{"name":"sts","mode":"StsToken","access_key_id":"id","access_key_secret":"{SECRET}","sts_token":""}}]}}"#
        ),
    )
    .unwrap();
    for profile in [None, Some("sts")] {
        let sources = CredentialSources {
            env: Default::default(),
            home: Some(dir.path().to_path_buf()),
            profile: profile.map(str::to_string),
        };
        let err = sources.resolve().unwrap_err();
        assert_clean("credential error", &err.to_string());
        assert_clean("credential error", &format!("{err:?}"));
    }
    std::fs::write(
        aliyun.join("config.json"),
        format!("{{\"current\": \"{SECRET}"),
    )
    .unwrap();
    let sources = CredentialSources {
        env: Default::default(),
        home: Some(dir.path().to_path_buf()),
        profile: None,
    };
    let err = sources.resolve().unwrap_err();
    assert_clean("malformed config error", &err.to_string());
}

/// Credentials held with surrounding whitespace (built in code): the
/// service's echo quotes the trimmed token (headers travel trimmed), and
/// that form is scrubbed too.
#[tokio::test]
async fn an_echo_of_the_trimmed_token_is_scrubbed() {
    let echo = format!("canonical request: x-acs-security-token:{TOKEN}\nsigned with {SECRET}");
    let server = Server::start(vec![Reply::error(400, "SignatureDoesNotMatch", &echo)]).await;
    let padded_secret = format!("{SECRET} ");
    let padded_token = format!(" {TOKEN} ");
    let creds = Credentials::new("STS.testid", &padded_secret, Some(&padded_token));
    let err = client(&server, creds, 1)
        .describe_package_state(None)
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert_clean("SignatureDoesNotMatch echo", &shown);
    assert!(
        shown.contains("SignatureDoesNotMatch") && shown.contains("** redacted **"),
        "{shown}"
    );
}
