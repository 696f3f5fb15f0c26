//! No secret in any output: every API command, its `--dry-run`, `apply
//! --dry-run` and the error paths run with a known access key secret and STS
//! token, and neither may appear on stdout or stderr. On the wire the secret
//! appears nowhere and the token only in `x-acs-security-token`, checked on
//! the raw bytes a recording loopback server received.
#![allow(clippy::unwrap_used)]

mod api;
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use api::{Run, STS_KEY_ID, STS_SECRET, STS_TOKEN, StsSandbox, create_orders, run};

/// A secret that the service will refuse (SignatureDoesNotMatch): it must
/// not be echoed either.
const WRONG_SECRET: &str = "wrong-secret-Vb93kQz7Lp2x";

fn assert_clean(what: &str, run: &Run) {
    for secret in [STS_SECRET, STS_TOKEN, WRONG_SECRET] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "{what}: a secret is printed:\n{}",
            run.both()
        );
    }
}

/// `csrkit ARGS…` at `url` with the STS triple in the environment.
fn with_sts(url: &str, home: &Path, args: &[&str]) -> Command {
    let mut cmd = util::csrkit();
    api::isolate(&mut cmd, home)
        .env("CSRKIT_ENDPOINT", url)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_SECRET)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN)
        .env_remove("CSRKIT_CONTACT_NAME")
        .args(args);
    cmd
}

const CONTACT: [&str; 6] = [
    "--contact-name",
    "Test Applicant",
    "--contact-phone",
    "13800000000",
    "--contact-email",
    "ops@example.com",
];

#[test]
fn no_secret_in_any_output_nor_in_any_recorded_request() {
    let h = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let sb = StsSandbox::start();
    let ids = create_orders(&sb.url, "secret.example.com", 3);
    let (a, b, c) = (ids[0].as_str(), ids[1].as_str(), ids[2].as_str());
    let dry_dir = out.path().join("dry");
    let apply_dir = out.path().join("applied");
    let dry_dir = dry_dir.to_str().unwrap();
    let apply_dir = apply_dir.to_str().unwrap();
    let mut apply_dry = vec![
        "apply",
        "--domain",
        "dry.example.com",
        "--out-dir",
        dry_dir,
        "--dry-run",
    ];
    apply_dry.extend(CONTACT);
    let mut apply = vec![
        "apply",
        "--domain",
        "applied.example.com",
        "--out-dir",
        apply_dir,
        "--format",
        "json",
    ];
    apply.extend(CONTACT);

    let ok: Vec<Vec<&str>> = vec![
        vec!["quota"],
        vec!["quota", "--format", "json"],
        vec!["quota", "--dry-run"],
        vec!["orders"],
        vec!["orders", "--format", "json"],
        vec!["orders", "--keyword", "secret", "--dry-run"],
        vec!["status", "--order-id", a],
        vec!["status", "--order-id", a, "--format", "json"],
        vec!["status", "--order-id", a, "--dry-run"],
        vec!["cancel", "--order-id", a, "--delete", "--dry-run"],
        vec!["cancel", "--order-id", a],
        vec!["cancel", "--order-id", b, "--delete"],
        apply_dry,
        apply,
    ];
    for args in &ok {
        let r = run(&mut with_sts(&sb.url, h.path(), args)).expect_code(0);
        assert_clean(&format!("{args:?}"), &r);
    }
    // Dry runs show where the token goes, redacted.
    let dry = run(&mut with_sts(
        &sb.url,
        h.path(),
        &["status", "--order-id", c, "--dry-run"],
    ));
    assert!(
        dry.stdout.contains("x-acs-security-token: ** redacted **"),
        "{}",
        dry.both()
    );

    // Error paths: refused by the service, and a wrong secret.
    let refused = run(&mut with_sts(
        &sb.url,
        h.path(),
        &["status", "--order-id", "7"],
    ));
    assert_eq!(refused.code, 3, "{}", refused.both());
    assert_clean("NotFoundOrder", &refused);
    let wrong = run(with_sts(&sb.url, h.path(), &["orders"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", WRONG_SECRET));
    assert!(
        wrong.stderr.contains("SignatureDoesNotMatch"),
        "{}",
        wrong.both()
    );
    assert_eq!(wrong.code, 3);
    assert_clean("SignatureDoesNotMatch", &wrong);
    let bad_token = run(with_sts(&sb.url, h.path(), &["cancel", "--order-id", c])
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", format!("{STS_TOKEN}-stale")));
    assert_eq!(bad_token.code, 3, "{}", bad_token.both());
    assert_clean("InvalidSecurityToken", &bad_token);

    // Network error.
    let url = api::REFUSED_URL;
    let net = run(&mut with_sts(url, h.path(), &["quota"]));
    assert_eq!(net.code, 4, "{}", net.both());
    assert_clean("network", &net);

    // The secret never reached the sandbox in any form (the token is
    // redacted in its log, so this checks the secret only; the raw wire is
    // checked below).
    let log = sb.get_json("/_sandbox/requests").to_string();
    assert!(
        log.contains("x-acs-security-token"),
        "the STS header was sent"
    );
    for secret in [STS_SECRET, WRONG_SECRET] {
        assert!(!log.contains(secret), "a secret was sent: {log}");
    }
}

/// Issue 10's paths: credentials pasted with surrounding spaces (trimmed:
/// they work), a refused signature whose echo quotes the (trimmed) token, a
/// Create of unknown outcome settled by reconcile, `--adopt` refused, and
/// every `--dry-run` as one JSON document.
#[test]
fn no_secret_in_the_quota_safety_paths() {
    let h = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let sb = StsSandbox::start_with_faults(&["CreateCertificateWithCsrRequest=drop-after:1"]);
    let padded_secret = format!("{STS_SECRET} ");
    let padded_token = format!(" {STS_TOKEN}\n");
    let padded = |args: &[&str]| {
        let mut cmd = with_sts(&sb.url, h.path(), args);
        cmd.env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", &padded_secret)
            .env("ALIBABA_CLOUD_SECURITY_TOKEN", &padded_token);
        cmd
    };
    let r = run(&mut padded(&["quota", "--format", "json"])).expect_code(0);
    assert_clean("padded credentials", &r);

    let wrong = run(padded(&["orders"]).env(
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        format!("{WRONG_SECRET} "),
    ));
    assert_eq!(wrong.code, 3, "{}", wrong.both());
    assert!(
        wrong.stderr.contains("SignatureDoesNotMatch"),
        "{}",
        wrong.both()
    );
    assert_clean("SignatureDoesNotMatch with a padded token", &wrong);

    let dir = out.path().join("rec");
    let dir_s = dir.to_str().unwrap();
    let mut apply = vec!["apply", "--domain", "rec.example.com", "--out-dir", dir_s];
    apply.extend(CONTACT);
    let r = run(&mut padded(&apply)).expect_code(0);
    assert!(r.stderr.contains("found order"), "{}", r.both());
    assert_clean("reconcile", &r);
    let r = run(&mut padded(&["apply", "--out-dir", dir_s, "--adopt", "7"])).expect_code(2);
    assert_clean("--adopt refused", &r);
    let mut dry = vec![
        "apply",
        "--out-dir",
        dir_s,
        "--new-order",
        "--dry-run",
        "--format",
        "json",
    ];
    dry.extend(CONTACT);
    let mut fresh_dry = vec!["apply", "-d", "dry.example.com", "--out-dir"];
    let fresh_dir = out.path().join("dry");
    fresh_dry.push(fresh_dir.to_str().unwrap());
    fresh_dry.extend(["--dry-run", "--format", "json"]);
    fresh_dry.extend(CONTACT);
    for args in [&dry, &fresh_dry] {
        let r = run(&mut padded(args)).expect_code(0);
        assert_clean("apply --dry-run", &r);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(doc["schema"], "csrkit.dry-run/1");
        assert!(r.stdout.contains("** redacted **"), "{}", r.both());
    }
    assert!(!fresh_dir.exists());
    assert_eq!(sb.stats().orders_created, 1);
}

#[test]
fn no_secret_in_credential_errors() {
    let h = tempfile::tempdir().unwrap();
    let url = api::REFUSED_URL;
    let bare = |args: &[&str]| {
        let mut cmd = util::csrkit();
        api::isolate(&mut cmd, h.path())
            .env("CSRKIT_ENDPOINT", url)
            .args(args);
        cmd
    };
    let write = |rel: &str, text: &str| {
        let p = h.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };

    // A config.json that is not JSON, around the secret and the token.
    write(
        ".aliyun/config.json",
        &format!(
            "{{\"current\": \"p\", \"profiles\": [{{\"name\": \"p\", \"mode\": \"StsToken\", \
             \"access_key_secret\": \"{STS_SECRET}\", \"sts_token\": \"{STS_TOKEN}\" oops"
        ),
    );
    let r = run(&mut bare(&["quota"])).expect_code(2);
    assert!(r.stderr.contains("config.json"), "{}", r.both());
    assert_clean("broken config.json", &r);

    // A mode csrkit does not support, holding the secret.
    write(
        ".aliyun/config.json",
        &format!(
            "{{\"current\": \"p\", \"profiles\": [{{\"name\": \"p\", \"mode\": \"EcsRamRole\", \
             \"access_key_id\": \"{STS_KEY_ID}\", \"access_key_secret\": \"{STS_SECRET}\", \
             \"sts_token\": \"{STS_TOKEN}\"}}]}}"
        ),
    );
    let r = run(&mut bare(&["orders"])).expect_code(2);
    assert!(r.stderr.contains("EcsRamRole"), "{}", r.both());
    assert_clean("unsupported mode", &r);

    // StsToken without its token.
    write(
        ".aliyun/config.json",
        &format!(
            "{{\"current\": \"p\", \"profiles\": [{{\"name\": \"p\", \"mode\": \"StsToken\", \
             \"access_key_id\": \"{STS_KEY_ID}\", \"access_key_secret\": \"{STS_SECRET}\"}}]}}"
        ),
    );
    let r = run(&mut bare(&["status", "--order-id", "1"])).expect_code(2);
    assert!(r.stderr.contains("sts_token"), "{}", r.both());
    assert_clean("missing token", &r);

    // An ini section of an unsupported type, holding the secret.
    std::fs::remove_file(h.path().join(".aliyun/config.json")).unwrap();
    write(
        ".alibabacloud/credentials.ini",
        &format!(
            "[default]\ntype = sts\naccess_key_id = {STS_KEY_ID}\n\
             access_key_secret = {STS_SECRET}\nsecurity_token = {STS_TOKEN}\n"
        ),
    );
    let r = run(&mut bare(&["cancel", "--order-id", "1"])).expect_code(2);
    assert!(r.stderr.contains("type = sts"), "{}", r.both());
    assert_clean("unsupported ini type", &r);
}

/// A loopback HTTP server that keeps the raw bytes of every request and
/// answers each action with a minimal success (or NotFoundOrder for
/// DescribeCertificateState).
struct Recorder {
    url: String,
    raw: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn start() -> Recorder {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let raw = Arc::new(Mutex::new(Vec::new()));
        let log = raw.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        break;
                    }
                    head.push_str(&line);
                    if line == "\r\n" {
                        break;
                    }
                }
                let len = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0; len];
                let _ = reader.read_exact(&mut body);
                head.push_str(&String::from_utf8_lossy(&body));
                let action = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("x-acs-action:")
                            .map(|a| a.trim().to_owned())
                    })
                    .unwrap_or_default();
                log.lock().unwrap().push(head);
                let (status, body) = match action.as_str() {
                    "describepackagestate" => (
                        "200 OK",
                        r#"{"RequestId":"R1","ProductCode":"digicert-free-1-free","TotalCount":5,"UsedCount":1,"IssuedCount":0}"#,
                    ),
                    "listusercertificateorder" => (
                        "200 OK",
                        r#"{"RequestId":"R2","CertificateOrderList":[],"TotalCount":0,"CurrentPage":1,"ShowSize":50}"#,
                    ),
                    _ => (
                        "404 Not Found",
                        r#"{"RequestId":"R3","HostId":"cas.aliyuncs.com","Code":"NotFoundOrder","Message":"The order does not exist.","Recommend":"https://api.aliyun.com/troubleshoot?q=NotFoundOrder"}"#,
                    ),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Recorder { url, raw }
    }
}

#[test]
fn on_the_wire_the_token_is_only_in_its_header_and_the_secret_nowhere() {
    let h = tempfile::tempdir().unwrap();
    let rec = Recorder::start();
    for (args, code) in [
        (&["quota"][..], 0),
        (&["orders", "--keyword", "x"], 0),
        (&["status", "--order-id", "98987582437920968"], 3),
        (
            &["cancel", "--order-id", "98987582437920968", "--delete"],
            3,
        ),
    ] {
        let r = run(&mut with_sts(&rec.url, h.path(), args));
        assert_eq!(r.code, code, "{args:?}: {}", r.both());
        assert_clean(&format!("{args:?}"), &r);
    }
    let raw = rec.raw.lock().unwrap().clone();
    assert_eq!(raw.len(), 4, "one request per command: {raw:#?}");
    for request in &raw {
        assert!(
            !request.contains(STS_SECRET),
            "the secret was sent:\n{request}"
        );
        assert_eq!(
            request.matches(STS_TOKEN).count(),
            1,
            "the token once, in its header:\n{request}"
        );
        let line = request.lines().find(|l| l.contains(STS_TOKEN)).unwrap();
        assert_eq!(
            line.to_ascii_lowercase(),
            format!("x-acs-security-token: {}", STS_TOKEN.to_ascii_lowercase()),
            "{request}"
        );
        // It is signed: the signature covers the header.
        assert!(
            request.contains("SignedHeaders=") && request.contains(";x-acs-security-token;"),
            "{request}"
        );
    }
}
