//! `csrkit deploy` end to end, and the sandbox features renewal and fleets
//! rely on: the real binary against a real `csrkit sandbox` process, with
//! the sandbox's counters (`/_sandbox/stats`, `/_sandbox/resources`) as the
//! oracle for what was sent and what each resource serves, and `openssl` for
//! what the certificates say. No test measures time: waits are bounds.
#![allow(clippy::unwrap_used)]

mod util;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use util::proxy::{Mode, Proxy, Release};
use util::{SandboxProcess, Succeeds, openssl};

const RESOURCES: [&str; 6] = [
    "--resource",
    "cdn:www.deploy.example.com",
    "--resource",
    "slb:deploy.example.com",
    "--resource",
    "oss:bad.deploy.example.com:fail",
];
const TO: [&str; 4] = [
    "--to",
    "cdn:www.deploy.example.com",
    "--to",
    "slb:deploy.example.com",
];
/// The operations that only read.
const READS: [&str; 7] = [
    "ListCloudResources",
    "ListContact",
    "GetUserCertificateDetail",
    "ListUserCertificateOrder",
    "DescribeDeploymentJob",
    "ListDeploymentJob",
    "ListWorkerResource",
];

/// A sandbox with the deployment resources (jobs take 1 s), at the
/// service's rate limit: a deployment must never be throttled.
fn sandbox(extra: &[&str]) -> SandboxProcess {
    let mut args = RESOURCES.to_vec();
    args.extend(["--rate-limit", "10"]);
    args.extend(extra);
    SandboxProcess::start(&args)
}

/// A certificate directory made by `csrkit apply` against `sb`.
fn issued(sb: &SandboxProcess, tmp: &Path, name: &str) -> PathBuf {
    let dir = tmp.join(name);
    sb.csrkit()
        .current_dir(tmp)
        .args([
            "apply",
            "-d",
            "deploy.example.com",
            "-d",
            "www.deploy.example.com",
        ])
        .args([
            "--contact-name",
            "Zhang San",
            "--contact-phone",
            "13800000000",
        ])
        .args(["--contact-email", "ops@example.com", "--wait"])
        // a name and its www. counterpart: the sandbox certifies the pair,
        // the lint warns (V908)
        .arg("--out-dir")
        .arg(&dir)
        .succeeds();
    assert!(dir.join("fullchain.pem").exists());
    dir
}

fn deploy(sb: &SandboxProcess, endpoint: &str, dir: &Path) -> Command {
    let mut cmd = sb.csrkit();
    cmd.env("CSRKIT_ENDPOINT", endpoint).arg("deploy").arg(dir);
    cmd
}

fn stats(sb: &SandboxProcess) -> Value {
    sb.get_json("/_sandbox/stats")
}

/// Requests per action the sandbox received, reads left out.
fn writes(sb: &SandboxProcess) -> BTreeMap<String, u64> {
    stats(sb)["requests"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(a, _)| !READS.contains(&a.as_str()))
        .map(|(a, n)| (a.clone(), n.as_u64().unwrap()))
        .collect()
}

fn requests(sb: &SandboxProcess, action: &str) -> u64 {
    stats(sb)["requests"][action].as_u64().unwrap_or(0)
}

fn output(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn journal(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("deploy.json")).unwrap()).unwrap()
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// A sandbox behind a loopback proxy that holds requests on demand.
fn behind_proxy() -> (SandboxProcess, Proxy) {
    let proxy = Proxy::bind();
    let sb = sandbox(&["--public-host", proxy.host()]);
    proxy.forward_to(&sb.url);
    (sb, proxy)
}

#[test]
fn a_certificate_reaches_two_resources_and_a_rerun_sends_only_reads() {
    let sb = sandbox(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    let (code, out, err) = output(
        deploy(&sb, &sb.url, &dir)
            .args(TO)
            .args(["--format", "json"]),
    );
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["schema"], "csrkit.deploy/1");
    assert_eq!(doc["held"], "uploaded");
    assert_eq!(doc["job_status"], "success");
    let cert_id = doc["cert_id"].as_u64().unwrap();
    let outcomes: Vec<&str> = doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["deployed", "deployed"]);
    let now = sb.served();
    assert_eq!(now["www.deploy.example.com"], Some(cert_id), "{now:?}");
    assert_eq!(now["deploy.example.com"], Some(cert_id), "{now:?}");
    assert_eq!(now["bad.deploy.example.com"], None);
    // What was uploaded is the directory's certificate (openssl reads both).
    let detail_serial = openssl(&[
        "x509",
        "-in",
        dir.join("cert.pem").to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    let j = journal(&dir);
    let (_, entry) = j["certificates"]
        .as_object()
        .unwrap()
        .iter()
        .next()
        .unwrap();
    assert!(
        detail_serial
            .trim()
            .ends_with(entry["serial"].as_str().unwrap()),
        "{detail_serial} vs {entry}"
    );
    let s = stats(&sb);
    assert_eq!(
        (
            s["certificates_uploaded"].as_u64(),
            s["deployment_jobs_created"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(
        s["throttled"],
        serde_json::json!({}),
        "paced under the service's limit"
    );
    let before = writes(&sb);

    let (code, out, err) = output(deploy(&sb, &sb.url, &dir).args(TO));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.matches("already serving").count(), 2, "{out}");
    assert_eq!(writes(&sb), before, "a re-run sends nothing but reads");
    assert_eq!(sb.served(), now);
}

#[test]
fn a_renewed_certificate_is_deployed_again() {
    let sb = sandbox(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let first = issued(&sb, tmp.path(), "one");
    deploy(&sb, &sb.url, &first).args(TO).succeeds();
    let second = issued(&sb, tmp.path(), "two");
    std::fs::copy(first.join("deploy.json"), second.join("deploy.json")).unwrap();
    deploy(&sb, &sb.url, &second).args(TO).succeeds();
    let s = stats(&sb);
    assert_eq!(
        (
            s["certificates_uploaded"].as_u64(),
            s["deployment_jobs_created"].as_u64()
        ),
        (Some(2), Some(2))
    );
    let ids: Vec<Option<u64>> = sb.served().into_values().collect();
    assert!(
        ids.iter().filter(|i| i.is_some()).all(|i| *i == ids[1]),
        "{ids:?}"
    );
}

#[test]
fn kill_9_after_the_upload_was_sent_then_a_rerun_uploads_once() {
    for mode in [Mode::HoldAnswer, Mode::Hold] {
        let (sb, proxy) = behind_proxy();
        let tmp = tempfile::tempdir().unwrap();
        let dir = issued(&sb, tmp.path(), "site");
        proxy.set("UploadUserCertificate", mode);
        let mut child = spawn(deploy(&sb, &proxy.url, &dir).args(TO));
        proxy.wait_held(1);
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        // The upload is journaled with its token before it was sent.
        let j = journal(&dir);
        let (_, entry) = j["certificates"]
            .as_object()
            .unwrap()
            .iter()
            .next()
            .unwrap();
        assert!(entry["upload"]["client_token"].is_string(), "{j}");
        assert!(entry["upload"]["cert_id"].is_null(), "{j}");
        // HoldAnswer: the service has it; Hold: it never got there.
        proxy.set("UploadUserCertificate", Mode::Pass);
        proxy.release(Release::Drop);
        let uploaded = stats(&sb)["certificates_uploaded"].as_u64().unwrap();
        assert_eq!(uploaded, u64::from(mode == Mode::HoldAnswer), "{mode:?}");

        let (code, _, err) = output(deploy(&sb, &proxy.url, &dir).args(TO));
        assert_eq!(code, Some(0), "{mode:?}: {err}");
        let s = stats(&sb);
        assert_eq!(
            s["certificates_uploaded"].as_u64(),
            Some(1),
            "{mode:?}: one upload"
        );
        assert_eq!(
            requests(&sb, "UploadUserCertificate"),
            1,
            "{mode:?}: sent once"
        );
        let cert_id = journal(&dir)["certificates"]
            .as_object()
            .unwrap()
            .values()
            .next()
            .unwrap()["cert_id"]
            .as_u64();
        assert_eq!(sb.served()["www.deploy.example.com"], cert_id);
    }
}

#[test]
fn kill_9_after_the_job_was_created_then_a_rerun_creates_none() {
    let (sb, proxy) = behind_proxy();
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    proxy.set("CreateDeploymentJob", Mode::HoldAnswer);
    let mut child = spawn(deploy(&sb, &proxy.url, &dir).args(TO));
    proxy.wait_held(1);
    child.kill().unwrap();
    child.wait().unwrap();
    let j = journal(&dir);
    assert!(
        j["jobs"][0]["name"].is_string() && j["jobs"][0]["job_id"].is_null(),
        "{j}"
    );
    assert_eq!(stats(&sb)["deployment_jobs_created"].as_u64(), Some(1));
    proxy.set("CreateDeploymentJob", Mode::Pass);
    proxy.release(Release::Drop);

    let (code, _, err) = output(deploy(&sb, &proxy.url, &dir).args(TO));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("found deployment job"), "{err}");
    assert_eq!(
        stats(&sb)["deployment_jobs_created"].as_u64(),
        Some(1),
        "no second job"
    );
    assert_eq!(requests(&sb, "CreateDeploymentJob"), 1);
    let now = sb.served();
    assert!(now["www.deploy.example.com"].is_some() && now["deploy.example.com"].is_some());
}

#[test]
fn a_job_that_ends_in_error_exits_3_naming_the_resource() {
    let sb = sandbox(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    let (code, out, err) = output(deploy(&sb, &sb.url, &dir).args([
        "--to",
        "cdn:www.deploy.example.com",
        "--to",
        "oss:bad.deploy.example.com",
    ]));
    assert_eq!(code, Some(3), "{err}");
    let error = err.lines().find(|l| l.starts_with("error:")).unwrap();
    assert!(error.contains("OSS:bad.deploy.example.com"), "{err}");
    assert!(
        !error.contains("CDN:"),
        "only the failed one is named: {error}"
    );
    assert!(
        out.contains("OSS:bad.deploy.example.com") && out.contains("FAILED"),
        "{out}"
    );
    assert!(
        out.contains("CDN:www.deploy.example.com") && out.contains("deployed"),
        "{out}"
    );
    // Unknown targets and missing files are input errors: exit 2, nothing changed.
    let before = writes(&sb);
    let (code, _, err) =
        output(deploy(&sb, &sb.url, &dir).args(["--to", "waf:nowhere.example.com"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("WAF:nowhere.example.com"), "{err}");
    let (code, _, err) = output(deploy(&sb, &sb.url, tmp.path()).args(TO));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("fullchain.pem"), "{err}");
    let (code, _, err) = output(deploy(&sb, &sb.url, &dir).args(["--to", "ecs:x.example.com"]));
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(writes(&sb), before);
}

#[test]
fn a_dry_run_sends_and_writes_nothing_and_hides_the_key() {
    let sb = sandbox(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    let before = stats(&sb)["requests"].clone();
    let lock = dir.join(".lock");
    let _ = std::fs::remove_file(&lock);
    let (code, out, err) =
        output(
            deploy(&sb, &sb.url, &dir)
                .args(TO)
                .args(["--dry-run", "--format", "json"]),
        );
    assert_eq!(code, Some(0), "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    let actions: Vec<&str> = doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"UploadUserCertificate"), "{actions:?}");
    let key = std::fs::read_to_string(dir.join("privkey.pem")).unwrap();
    let body = key.lines().nth(1).unwrap();
    assert!(
        !out.contains(body) && out.contains("redacted"),
        "the key must not be shown"
    );
    assert_eq!(stats(&sb)["requests"], before, "nothing sent");
    assert!(
        !dir.join("deploy.json").exists() && !lock.exists(),
        "nothing written"
    );
}

#[test]
fn the_rate_limit_answers_throttling_above_n_per_second_and_not_below() {
    use csrkit_submit::{
        Client, ClientOptions, Credentials, DescribePackageState, Endpoint, ListContact,
        RetryPolicy,
    };
    const N: u64 = 4;
    let sb = SandboxProcess::start(&["--rate-limit", &N.to_string()]);
    let client = Client::new(
        Credentials::new(util::SANDBOX_KEY_ID, util::SANDBOX_SECRET, None),
        ClientOptions {
            endpoint: Endpoint::parse(&sb.url).unwrap(),
            retry: RetryPolicy {
                max_attempts: 1,
                ..RetryPolicy::default()
            },
            ..ClientOptions::default()
        },
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // Not above: N of one action always pass, whatever the seconds.
        for _ in 0..N {
            client.call(&ListContact::default()).await.unwrap();
        }
        assert_eq!(stats(&sb)["throttled"], serde_json::json!({}));
        // Above: no second lets more than N through; the rest are refused
        // as the service refuses, and counted.
        let start = time::OffsetDateTime::now_utc().unix_timestamp();
        let (mut passed, mut refused) = (0u64, 0u64);
        for _ in 0..50 {
            match client.call(&DescribePackageState::default()).await {
                Ok(_) => passed += 1,
                Err(csrkit_submit::Error::Api {
                    http_status: 400,
                    code,
                    message,
                    ..
                }) => {
                    assert_eq!(code, "Throttling.User");
                    assert_eq!(message, "Request was denied due to user flow control.");
                    refused += 1;
                }
                Err(e) => panic!("{e}"),
            }
        }
        let seconds = time::OffsetDateTime::now_utc().unix_timestamp() - start + 1;
        let bound = N * u64::try_from(seconds).unwrap();
        assert!(passed <= bound, "{passed} passed in {seconds} s at {N}/s");
        assert!(refused >= 50 - bound, "{refused} refused");
        assert_eq!(
            stats(&sb)["throttled"]["DescribePackageState"].as_u64(),
            Some(refused)
        );
    });
}

#[test]
fn cert_lifetime_60s_issues_certificates_valid_for_60_seconds() {
    let sb = SandboxProcess::start(&["--cert-lifetime", "60s"]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "short");
    let dates = openssl(&[
        "x509",
        "-in",
        dir.join("cert.pem").to_str().unwrap(),
        "-noout",
        "-startdate",
        "-enddate",
        "-dateopt",
        "iso_8601",
    ]);
    let at = |field: &str| {
        let line = dates.lines().find_map(|l| l.strip_prefix(field)).unwrap();
        let format =
            time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
        time::PrimitiveDateTime::parse(line.trim(), format)
            .unwrap()
            .assume_utc()
            .unix_timestamp()
    };
    assert_eq!(at("notAfter=") - at("notBefore="), 60, "{dates}");
    let (code, _, err) = output(util::csrkit().args(["sandbox", "--cert-lifetime", "0"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--cert-lifetime"), "{err}");
}

#[test]
fn lost_answers_are_retried_with_the_token_or_looked_up() {
    let sb = sandbox(&[
        "--fault",
        "UploadUserCertificate=drop-after:1",
        "--fault",
        "CreateDeploymentJob=drop-after:1",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    // The upload's answer is lost: retried with its ClientToken, which the
    // service answers with the first upload. The job's is lost: not retried.
    let (code, _, err) = output(deploy(&sb, &sb.url, &dir).args(TO));
    assert_eq!(code, Some(4), "{err}");
    assert!(
        err.contains("outcome of CreateDeploymentJob is unknown"),
        "{err}"
    );
    let s = stats(&sb);
    assert_eq!(requests(&sb, "UploadUserCertificate"), 2);
    assert_eq!(s["certificates_uploaded"].as_u64(), Some(1));
    assert_eq!(s["deployment_jobs_created"].as_u64(), Some(1));
    let (code, _, err) = output(deploy(&sb, &sb.url, &dir).args(TO));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        stats(&sb)["deployment_jobs_created"].as_u64(),
        Some(1),
        "{err}"
    );
    assert_eq!(requests(&sb, "CreateDeploymentJob"), 1);
}

#[test]
fn a_job_still_running_exits_4_and_a_rerun_follows_it() {
    let sb = sandbox(&["--deploy-after", "1h"]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    for _ in 0..2 {
        let (code, _, err) = output(
            deploy(&sb, &sb.url, &dir)
                .args(TO)
                .args(["--wait-timeout", "1s"]),
        );
        assert_eq!(code, Some(4), "{err}");
        assert!(
            err.contains("still scheduling") && err.contains("run the same command again"),
            "{err}"
        );
    }
    let j = journal(&dir);
    assert!(
        j["jobs"][0]["job_id"].is_u64() && j["jobs"][0]["started"] == true,
        "{j}"
    );
    assert_eq!(
        stats(&sb)["deployment_jobs_created"].as_u64(),
        Some(1),
        "followed, not created again"
    );
    assert_eq!(
        requests(&sb, "UpdateDeploymentJobStatus"),
        1,
        "started once"
    );
}

#[test]
fn bad_directories_are_refused_before_anything_is_sent() {
    let sb = sandbox(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    let other = issued(&sb, tmp.path(), "other");
    let before = stats(&sb)["requests"].clone();
    // Another certificate's key.
    let mixed = tmp.path().join("mixed");
    std::fs::create_dir(&mixed).unwrap();
    std::fs::copy(dir.join("fullchain.pem"), mixed.join("fullchain.pem")).unwrap();
    std::fs::copy(other.join("privkey.pem"), mixed.join("privkey.pem")).unwrap();
    let (code, _, err) = output(deploy(&sb, &sb.url, &mixed).args(TO));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("not the key of the certificate"), "{err}");
    // A journal that is not one.
    std::fs::write(dir.join("deploy.json"), b"\x00\xffgarbage").unwrap();
    let (code, _, err) = output(deploy(&sb, &sb.url, &dir).args(TO));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("deploy.json") && err.contains("Move it aside"),
        "{err}"
    );
    // Garbage in place of the certificate.
    std::fs::write(
        mixed.join("fullchain.pem"),
        b"-----BEGIN CERTIFICATE-----\n\xff\n",
    )
    .unwrap();
    let (code, _, err) = output(deploy(&sb, &sb.url, &mixed).args(TO));
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("fullchain.pem") || err.contains("certificate"),
        "{err}"
    );
    // No target at all is a usage error.
    let (code, _, _) = output(&mut deploy(&sb, &sb.url, &dir));
    assert_eq!(code, Some(2));
    assert_eq!(stats(&sb)["requests"], before, "nothing sent");
}

#[test]
fn two_deploys_at_once_one_waits_out() {
    let (sb, proxy) = behind_proxy();
    let tmp = tempfile::tempdir().unwrap();
    let dir = issued(&sb, tmp.path(), "site");
    proxy.set("ListCloudResources", Mode::Hold);
    let mut first = spawn(deploy(&sb, &proxy.url, &dir).args(TO));
    proxy.wait_held(1);
    let (code, _, err) = output(deploy(&sb, &sb.url, &dir).args(TO));
    assert_eq!(code, Some(4), "{err}");
    assert!(err.contains("in use by"), "{err}");
    proxy.set("ListCloudResources", Mode::Pass);
    proxy.release(Release::Proceed);
    assert!(first.wait().unwrap().success());
    assert_eq!(stats(&sb)["deployment_jobs_created"].as_u64(), Some(1));
}
