//! `csrkit apply` end to end: the real binary against the real sandbox
//! (`csrkit sandbox` as a separate process, or `apply --sandbox` in
//! process), with `openssl` as the oracle for what lands on disk and the
//! sandbox's own counters (`/_sandbox/stats`, `/_sandbox/requests`) as the
//! oracle for what was sent.
//!
//! No test measures time: `--wait` against the sandbox polls every 0.2-2 s,
//! and the few loops below that wait for a file to appear are bounds, not
//! assertions.
#![allow(clippy::unwrap_used)]

mod api;
mod apply_attacks;
mod hands_off;
mod renew;
mod util;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use util::{SandboxProcess, csrkit, openssl};

const CREATE: &str = "CreateCertificateWithCsrRequest";
const PRODUCT: &str = "digicert-free-1-free";

/// Runs a command, checks its exit code, returns (stdout, stderr).
fn run_expect(cmd: &mut Command, code: i32) -> (String, String) {
    let run = api::run(cmd).expect_code(code);
    (run.stdout, run.stderr)
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// `csrkit apply` against a sandbox process, run in `cwd` (so the default
/// directory `./<domain>/` lands there), with the applicant's contact.
fn apply(sb: &SandboxProcess, cwd: &Path) -> Command {
    let mut cmd = sb.csrkit();
    cmd.current_dir(cwd).arg("apply");
    with_contact(&mut cmd);
    cmd
}

fn with_contact(cmd: &mut Command) {
    cmd.env("CSRKIT_CONTACT_NAME", "Zhang San")
        .env("CSRKIT_CONTACT_PHONE", "13800000000")
        .env("CSRKIT_CONTACT_EMAIL", "ops@example.com");
}

fn stats(sb: &SandboxProcess) -> Value {
    sb.get_json("/_sandbox/stats")
}

/// How many requests of `action` the sandbox received (0 when none).
fn count(stats: &Value, action: &str) -> u64 {
    stats["requests"][action].as_u64().unwrap_or(0)
}

fn quota_used(stats: &Value) -> u64 {
    stats["quota"][PRODUCT]["used"].as_u64().unwrap()
}

/// The journal of a certificate directory.
fn journal(dir: &Path) -> Value {
    json(&std::fs::read_to_string(dir.join("order.json")).unwrap())
}

fn order_id_of(dir: &Path) -> String {
    journal(dir)["order_id"]
        .as_str()
        .expect("the journal records an order id (a string)")
        .to_owned()
}

/// Writes the sandbox root to `dir/root.pem` and returns its path.
fn write_root(dir: &Path, pem: &str) -> PathBuf {
    assert!(pem.contains("BEGIN CERTIFICATE"), "not a root: {pem}");
    let path = dir.join("root.pem");
    std::fs::write(&path, pem).unwrap();
    path
}

/// The root of an in-process sandbox (`apply --sandbox`), from its state
/// file in the certificate's directory.
fn in_process_root(dir: &Path) -> String {
    let state = json(&std::fs::read_to_string(dir.join(".sandbox-state.json")).unwrap());
    state["ca"]["root_pem"].as_str().unwrap().to_owned()
}

/// Checks an issued directory with openssl: the chain verifies up to the
/// sandbox root, the leaf carries privkey.pem's public key and the names,
/// privkey.pem is 0600, fullchain = cert + chain.
fn check_issued(dir: &Path, root: &Path, domains: &[&str]) {
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let (cert, chain, fullchain, key) = (
        dir.join("cert.pem"),
        dir.join("chain.pem"),
        dir.join("fullchain.pem"),
        dir.join("privkey.pem"),
    );
    let verify = openssl(&[
        "verify",
        "-CAfile",
        &s(root),
        "-untrusted",
        &s(&chain),
        &s(&cert),
    ]);
    assert!(
        verify.contains(&format!("{}: OK", s(&cert))),
        "openssl verify said: {verify}"
    );
    let leaf_pub = openssl(&["x509", "-in", &s(&cert), "-noout", "-pubkey"]);
    let key_pub = openssl(&["pkey", "-in", &s(&key), "-pubout"]);
    assert_eq!(leaf_pub, key_pub, "the leaf's key is not privkey.pem's");
    let text = openssl(&["x509", "-in", &s(&cert), "-noout", "-text"]);
    for d in domains {
        assert!(text.contains(&format!("DNS:{d}")), "{d} not in:\n{text}");
    }
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "privkey.pem mode is {mode:o}");
    let (c, ch, f) = (
        std::fs::read_to_string(&cert).unwrap(),
        std::fs::read_to_string(&chain).unwrap(),
        std::fs::read_to_string(&fullchain).unwrap(),
    );
    assert!(ch.contains("BEGIN CERTIFICATE"), "chain.pem is empty");
    assert_eq!(f, format!("{c}{ch}"), "fullchain.pem is not cert + chain");
    assert_eq!(
        c.matches("BEGIN CERTIFICATE").count(),
        1,
        "cert.pem holds more than the leaf"
    );
}

/// Checks the `files` object of an apply/status document for an issued
/// directory.
fn check_files_json(doc: &Value, dir: &Path) {
    for (field, file) in [
        ("key", "privkey.pem"),
        ("csr", "request.csr"),
        ("cert", "cert.pem"),
        ("chain", "chain.pem"),
        ("fullchain", "fullchain.pem"),
    ] {
        let got = doc["files"][field]
            .as_str()
            .unwrap_or_else(|| panic!("files.{field} missing in {doc}"));
        assert_eq!(Path::new(got), dir.join(file), "files.{field}");
    }
}

/// `csrkit apply --sandbox`: no account, no server; a certificate on disk
/// that openssl verifies; a re-run places no second order; `status` reads
/// the directory.
#[test]
fn in_process_sandbox_issues_and_resumes_without_a_second_order() {
    let tmp = tempfile::tempdir().unwrap();
    let (stdout, _) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["apply", "--sandbox", "--domain", "example.com"])
            .args(["--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    let dir = tmp.path().join("example.com");
    assert_eq!(doc["schema"], "csrkit.apply/1");
    assert_eq!(doc["state"], "certificate");
    let id = doc["order_id"].as_str().expect("order_id is a string");
    assert!(id.parse::<u64>().is_ok(), "order_id {id:?}");
    assert_eq!(id, order_id_of(&dir));
    assert!(doc["not_after"].is_string(), "{doc}");
    check_files_json(&doc, Path::new("example.com"));
    let root = write_root(tmp.path(), &in_process_root(&dir));
    check_issued(&dir, &root, &["example.com"]);
    // The root apply leaves next to the certificate is that same root.
    check_issued(&dir, &dir.join("sandbox-root.pem"), &["example.com"]);

    let state = |dir: &Path| {
        json(&std::fs::read_to_string(dir.join(".sandbox-state.json")).unwrap())["data"].clone()
    };
    let before = state(&dir);
    assert_eq!(before["orders_created"], 1);
    assert_eq!(before["quotas"][PRODUCT]["used"], 1);
    let cert_before = std::fs::read(dir.join("cert.pem")).unwrap();

    // Again, human output: the same order, nothing new.
    let (stdout, _) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["apply", "--sandbox", "--domain", "example.com"]),
        0,
    );
    assert!(
        stdout.contains(&format!("order {id}: certificate")),
        "{stdout}"
    );
    assert!(stdout.contains("certificate saved"), "{stdout}");
    let after = state(&dir);
    assert_eq!(after["orders_created"], 1, "a second order was created");
    assert_eq!(after["quotas"][PRODUCT]["used"], 1, "quota spent twice");
    assert_eq!(order_id_of(&dir), id);
    assert_eq!(std::fs::read(dir.join("cert.pem")).unwrap(), cert_before);

    // status DIR reads the journal and asks the in-process sandbox.
    let (stdout, _) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["status", "example.com"]),
        0,
    );
    assert!(
        stdout.contains(&format!("order {id}: certificate")),
        "{stdout}"
    );
    assert!(stdout.contains("fullchain.pem"), "{stdout}");
    let (stdout, _) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["status", "example.com", "--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    assert_eq!(doc["schema"], "csrkit.status/1");
    assert_eq!(doc["order_id"], id);
    assert_eq!(doc["state"], "certificate");
    check_files_json(&doc, Path::new("example.com"));
}

/// DNS validation against a `csrkit sandbox` process with manual approval:
/// the record to publish (full name, zone-file line), `status`, then issued
/// on the re-run after approval, and a third run that creates nothing.
#[test]
fn endpoint_dns_validation_to_issued_certificate() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let domains = ["www.example.org", "example.org"];
    // The sandbox certifies a name and its www. counterpart, as DigiCert
    // does; the lint warns (V908: the reference is silent on it) and lets it
    // through.
    let (stdout, stderr) = run_expect(
        apply(&sb, tmp.path())
            .args(["-d", domains[0], "-d", domains[1]])
            .args(["--format", "json"]),
        0,
    );
    assert!(stderr.contains("warning[V908]"), "{stderr}");
    let doc = json(&stdout);
    let dir = tmp.path().join("www.example.org");
    assert_eq!(doc["schema"], "csrkit.apply/1");
    assert_eq!(doc["state"], "domain_verify");
    let id = doc["order_id"].as_str().unwrap().to_owned();
    assert_eq!(order_id_of(&dir), id);
    let v = &doc["verification"];
    assert_eq!(v["type"], "DNS", "{doc}");
    assert_eq!(v["record_name"], "_dnsauth.www.example.org");
    assert_eq!(v["record_type"], "TXT");
    let value = v["record_value"].as_str().unwrap().to_owned();
    assert!(!value.is_empty());
    let zone_line = format!("_dnsauth.www.example.org. 600 IN TXT \"{value}\"");
    assert_eq!(v["zone_line"], zone_line.as_str());
    assert!(doc["files"]["cert"].is_null(), "{doc}");
    assert_eq!(
        journal(&dir)["verification"]["record_value"],
        value.as_str()
    );

    // Human: the same record, spelled out; resuming places nothing.
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["-d", domains[0], "-d", domains[1]]),
        0,
    );
    assert!(
        stdout.contains(&format!("order {id}: domain_verify")),
        "{stdout}"
    );
    assert!(stdout.contains("_dnsauth.www.example.org"), "{stdout}");
    assert!(
        stdout.contains(&zone_line),
        "no zone-file line in:\n{stdout}"
    );
    assert!(stdout.contains(&value), "{stdout}");

    // status DIR, human and JSON.
    let (stdout, _) = run_expect(
        sb.csrkit()
            .current_dir(tmp.path())
            .args(["status", "www.example.org"]),
        0,
    );
    assert!(
        stdout.contains(&format!("order {id}: domain_verify")),
        "{stdout}"
    );
    assert!(stdout.contains(&zone_line), "{stdout}");
    let (stdout, _) = run_expect(
        sb.csrkit()
            .current_dir(tmp.path())
            .args(["status", "www.example.org", "--format", "json"]),
        0,
    );
    let st = json(&stdout);
    assert_eq!(st["schema"], "csrkit.status/1");
    assert_eq!(st["order_id"], id.as_str());
    assert_eq!(st["state"], "domain_verify");
    assert_eq!(
        st["verification"]["record_name"],
        "_dnsauth.www.example.org"
    );
    assert_eq!(st["verification"]["record_value"], value.as_str());

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "www.example.org", "--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    assert_eq!(doc["order_id"], id.as_str());
    assert_eq!(doc["state"], "certificate");
    check_files_json(&doc, Path::new("www.example.org"));
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &domains);
    let j = journal(&dir);
    let states: Vec<&str> = j["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["domain_verify", "certificate"]);

    // Once more: nothing new is created or spent.
    run_expect(
        apply(&sb, tmp.path()).args(["-d", domains[0], "-d", domains[1]]),
        0,
    );
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1, "{st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
    assert_eq!(count(&st, "DescribePackageState"), 1, "{st}");
}

/// FILE validation: the URL and the content, in JSON and for people; then
/// `--wait` follows the order to the certificate once it is approved.
#[test]
fn endpoint_file_validation_and_wait() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "files.example.net", "--validate-type", "file"])
            .args(["--key-type", "p384", "--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    let v = &doc["verification"];
    assert_eq!(v["type"], "FILE", "{doc}");
    assert_eq!(
        v["url"],
        "http://files.example.net/.well-known/pki-validation/fileauth.txt"
    );
    let content = v["content"].as_str().unwrap().to_owned();
    assert!(!content.is_empty());
    let id = doc["order_id"].as_str().unwrap().to_owned();
    let dir = tmp.path().join("files.example.net");
    assert_eq!(journal(&dir)["validate_type"], "FILE");

    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "files.example.net"]),
        0,
    );
    assert!(
        stdout.contains("http://files.example.net/.well-known/pki-validation/fileauth.txt"),
        "{stdout}"
    );
    assert!(stdout.contains(&content), "{stdout}");

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "files.example.net",
            "--wait",
            "--wait-timeout",
            "60s",
        ]),
        0,
    );
    assert!(stdout.contains("certificate saved"), "{stdout}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["files.example.net"]);
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// `--wait` against a sandbox that approves on its own after a second:
/// polled to the certificate in one run.
#[test]
fn wait_polls_until_issued() {
    let sb = SandboxProcess::start(&["--approve", "auto", "--issue-after", "1"]);
    let tmp = tempfile::tempdir().unwrap();
    let (stdout, stderr) = run_expect(
        apply(&sb, tmp.path()).args(["-d", "wait.example.com", "--wait", "--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    assert_eq!(doc["state"], "certificate", "{doc}\n{stderr}");
    // The record was shown while waiting (on stderr: stdout is the JSON).
    assert!(stderr.contains("_dnsauth.wait.example.com"), "{stderr}");
    let dir = tmp.path().join("wait.example.com");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["wait.example.com"]);
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1);
    assert!(count(&st, "DescribeCertificateState") >= 2, "{st}");
}

/// The answer to Create is lost after the order was made: in the end one
/// order, one unit of quota, the certificate issued.
#[test]
fn dropped_create_answer_settles_into_exactly_one_order() {
    let sb = SandboxProcess::start(&["--fault", "CreateCertificateWithCsrRequest=drop-after:1"]);
    let tmp = tempfile::tempdir().unwrap();
    let first = api::run(apply(&sb, tmp.path()).args(["-d", "drop.example.com"]));
    match first.code {
        0 => {}
        // Not settled by reconciliation: a re-run must settle it.
        4 => {
            assert!(first.stderr.contains("safe to re-run"), "{}", first.both());
            run_expect(apply(&sb, tmp.path()).args(["-d", "drop.example.com"]), 0);
        }
        _ => panic!("{}", first.both()),
    }
    let st = stats(&sb);
    assert_eq!(
        st["faults"]["CreateCertificateWithCsrRequest=drop-after:1"]["fired"], 1,
        "the fault did not fire: {st}"
    );
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(count(&st, CREATE), 1, "a second Create went out: {st}");
    assert_eq!(quota_used(&st), 1, "{st}");

    let dir = tmp.path().join("drop.example.com");
    let id = order_id_of(&dir);
    let (stdout, _) = run_expect(
        sb.csrkit().args([
            "orders",
            "--keyword",
            "drop.example.com",
            "--format",
            "json",
        ]),
        0,
    );
    let orders = json(&stdout)["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["order_id"], id.as_str());
    assert_eq!(orders[0]["status"], "ISSUED");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["drop.example.com"]);
}

/// The answer to Create is lost and the order list cannot be read: exit 4,
/// "safe to re-run"; after a restart of the sandbox (same state, no
/// faults), the re-run finds the order and places no second one.
#[test]
fn dropped_create_with_unreadable_order_list_exits_4_then_rerun_adopts() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("sandbox-state.json");
    let state_s = state.to_str().unwrap();
    let sb = SandboxProcess::start(&[
        "--state",
        state_s,
        "--fault",
        "CreateCertificateWithCsrRequest=drop-after:1",
        "--fault",
        "ListUserCertificateOrder=error503:all",
    ]);
    let (_, stderr) = run_expect(apply(&sb, tmp.path()).args(["-d", "lost.example.com"]), 4);
    assert!(stderr.contains("safe to re-run"), "{stderr}");
    let dir = tmp.path().join("lost.example.com");
    let j = journal(&dir);
    assert!(j["order_id"].is_null(), "{j}");
    assert_eq!(j["submission"]["outcome"], "unknown", "{j}");
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 1, "{st}");
    assert!(count(&st, "ListUserCertificateOrder") >= 1, "{st}");

    // Same address (the journal records the endpoint), same state, no faults.
    let addr = sb.addr().to_owned();
    sb.stop();
    let sb = SandboxProcess::start(&["--state", state_s, "--listen", &addr]);
    let (_, stderr) = run_expect(apply(&sb, tmp.path()).args(["-d", "lost.example.com"]), 0);
    assert!(stderr.contains("found order"), "{stderr}");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 0, "a second Create went out: {st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
    let (stdout, _) = run_expect(sb.csrkit().args(["orders", "--format", "json"]), 0);
    let orders = json(&stdout)["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["order_id"], order_id_of(&dir).as_str());
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["lost.example.com"]);
}

/// Waits (bounded) until the journal in `dir` records an order id.
fn wait_for_order_id(dir: &Path, child: &mut std::process::Child) -> String {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("order.json"))
            && let Ok(j) = serde_json::from_str::<Value>(&text)
            && let Some(id) = j["order_id"].as_str()
        {
            return id.to_owned();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("apply exited ({status}) before recording an order");
        }
        assert!(Instant::now() < give_up, "no order id recorded in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `kill -9` while `--wait` polls; the order is approved meanwhile; the
/// re-run finishes the same order and sends no second Create.
#[test]
fn kill_9_during_wait_then_rerun_finishes_the_same_order() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let mut child = apply(&sb, tmp.path())
        .args(["-d", "killed.example.com", "--wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let dir = tmp.path().join("killed.example.com");
    let id = wait_for_order_id(&dir, &mut child);
    child.kill().unwrap(); // SIGKILL
    let status = child.wait().unwrap();
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9),
        "apply ended on its own ({status}) instead of being killed while waiting"
    );

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["-d", "killed.example.com", "--wait", "--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    assert_eq!(doc["order_id"], id.as_str());
    assert_eq!(doc["state"], "certificate");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1, "{st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["killed.example.com"]);
}

/// Ctrl-C while waiting: exit 130, the journal intact, and a re-run
/// resumes it.
#[test]
fn ctrl_c_during_wait_leaves_a_resumable_journal() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let mut child = apply(&sb, tmp.path())
        .args(["-d", "int.example.com", "--wait"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dir = tmp.path().join("int.example.com");
    let id = wait_for_order_id(&dir, &mut child);
    // The handler is installed by the first pause: wait for the second
    // progress line, printed after it.
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    while seen.matches("next check in").count() < 2 {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
        assert!(n > 0, "apply closed stderr before polling:\n{seen}");
        seen.push_str(&line);
    }
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(rest.contains("run apply again to resume"), "{rest}");
    assert_eq!(order_id_of(&dir), id);

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "int.example.com"]),
        0,
    );
    assert!(
        stdout.contains(&format!("order {id}: certificate")),
        "{stdout}"
    );
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// A throttled Create is a definite "no": retried, into exactly one order.
#[test]
fn throttled_create_is_retried_into_exactly_one_order() {
    let sb = SandboxProcess::start(&["--fault", "CreateCertificateWithCsrRequest=throttle:1"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "busy.example.com"]), 0);
    let st = stats(&sb);
    assert_eq!(
        st["faults"]["CreateCertificateWithCsrRequest=throttle:1"]["fired"], 1,
        "{st}"
    );
    assert_eq!(count(&st, CREATE), 2, "throttled once, then accepted: {st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
    let dir = tmp.path().join("busy.example.com");
    assert_eq!(journal(&dir)["submission"]["outcome"], "created");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["busy.example.com"]);
}

/// `verify_fail`: exit 3, the reason, and the cancel command that returns
/// the quota (which does return it).
#[test]
fn verify_fail_exits_3_with_the_cancel_command() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "fail.example.com"]), 0);
    let dir = tmp.path().join("fail.example.com");
    let id = order_id_of(&dir);
    sb.post(&format!("/_sandbox/orders/{id}/fail"));
    let (_, stderr) = run_expect(apply(&sb, tmp.path()).args(["-d", "fail.example.com"]), 3);
    let cancel = format!("csrkit cancel --order-id {id} --delete");
    assert!(stderr.contains(&cancel), "{stderr}");
    assert!(stderr.contains("validation failed"), "{stderr}");
    assert_eq!(
        journal(&dir)["states"].as_array().unwrap().last().unwrap()["state"],
        "verify_fail"
    );
    assert!(!dir.join("cert.pem").exists());

    // The command it prints works and gives the unit back.
    assert_eq!(quota_used(&stats(&sb)), 1);
    run_expect(
        sb.csrkit().args(["cancel", "--order-id", &id, "--delete"]),
        0,
    );
    assert_eq!(quota_used(&stats(&sb)), 0);
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// No quota left: exit 3 with total and used, and no Create sent.
#[test]
fn no_quota_left_exits_3_and_sends_no_create() {
    let sb = SandboxProcess::start(&["--quota", "digicert-free-1-free=1"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "first.example.com"]), 0);
    assert_eq!(count(&stats(&sb), CREATE), 1);

    let (stdout, stderr) = run_expect(apply(&sb, tmp.path()).args(["-d", "second.example.com"]), 3);
    assert!(stderr.contains("no quota left"), "{stderr}");
    assert!(
        stderr.contains("1 of 1 used"),
        "total and used not shown: {stderr}"
    );
    assert!(stdout.is_empty(), "{stdout}");
    let st = stats(&sb);
    assert_eq!(
        count(&st, CREATE),
        1,
        "a Create was sent with no quota: {st}"
    );
    assert_eq!(st["orders_created"], 1);
    assert!(
        !tmp.path().join("second.example.com/order.json").exists()
            || journal(&tmp.path().join("second.example.com"))["submission"].is_null()
    );

    let sb0 = SandboxProcess::start(&["--quota", "digicert-free-1-free=0"]);
    let (_, stderr) = run_expect(apply(&sb0, tmp.path()).args(["-d", "third.example.com"]), 3);
    assert!(stderr.contains("0 of 0 used"), "{stderr}");
    assert_eq!(count(&stats(&sb0), CREATE), 0);
}

/// A CSR that fails the lint: exit 1, and the sandbox received nothing at
/// all. The refused CSR does not stay behind to block the corrected one.
#[test]
fn csr_failing_lint_sends_nothing() {
    let sb = SandboxProcess::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let p = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        &p("rsa1024.key"),
    ]);
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        &p("ec.key"),
    ]);
    let req = |key: &str, subj: &str, san: &str, digest: &str, out: &str| {
        openssl(&[
            "req",
            "-new",
            digest,
            "-key",
            &p(key),
            "-subj",
            subj,
            "-addext",
            &format!("subjectAltName=DNS:{san}"),
            "-out",
            &p(out),
        ]);
    };
    req(
        "rsa1024.key",
        "/CN=weak.example.com",
        "weak.example.com",
        "-sha256",
        "weak.csr",
    );
    req(
        "ec.key",
        "/CN=sha1.example.com",
        "sha1.example.com",
        "-sha1",
        "sha1.csr",
    );
    req("ec.key", "/C=CN", "nocn.example.com", "-sha256", "nocn.csr");

    for (csr, rule, out_dir) in [
        ("weak.csr", "V301", None),
        ("sha1.csr", "V103", None),
        ("nocn.csr", "V901", Some("nocn")),
    ] {
        let mut cmd = apply(&sb, tmp.path());
        cmd.args(["--csr", &p(csr)]);
        if let Some(d) = out_dir {
            cmd.args(["--out-dir", d]);
        }
        let (_, stderr) = run_expect(&mut cmd, 1);
        assert!(stderr.contains(rule), "{csr}: {stderr}");
        assert!(stderr.contains("nothing was sent"), "{stderr}");
    }
    let st = stats(&sb);
    assert!(
        st["requests"].as_object().unwrap().is_empty(),
        "the sandbox received requests: {st}"
    );
    let log = sb.get_json("/_sandbox/requests");
    assert_eq!(log.as_array().map(Vec::len), Some(0), "{log}");

    // Fixed: a good CSR for the same name goes through in the same place.
    req(
        "ec.key",
        "/CN=weak.example.com",
        "weak.example.com",
        "-sha256",
        "fixed.csr",
    );
    run_expect(
        apply(&sb, tmp.path()).args(["--csr", &p("fixed.csr"), "--key", &p("ec.key")]),
        0,
    );
    let dir = tmp.path().join("weak.example.com");
    assert_eq!(
        std::fs::read_to_string(dir.join("request.csr"))
            .unwrap()
            .replace('\r', ""),
        std::fs::read_to_string(tmp.path().join("fixed.csr")).unwrap(),
        "the directory's CSR is not the one submitted"
    );
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// `--new-order` on a directory whose order is alive: a warning, a new
/// order, and the old one remembered (never adopted by reconciliation).
#[test]
fn new_order_on_a_live_order_warns_and_places_another() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "again.example.com"]), 0);
    let dir = tmp.path().join("again.example.com");
    let first = order_id_of(&dir);

    let (stdout, stderr) = run_expect(
        apply(&sb, tmp.path()).args(["-d", "again.example.com", "--new-order", "--format", "json"]),
        0,
    );
    assert!(
        stderr.contains(&format!(
            "warning: order {first} (domain_verify) still holds a unit of quota"
        )),
        "{stderr}"
    );
    let second = json(&stdout)["order_id"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(order_id_of(&dir), second);
    let previous = &journal(&dir)["previous_orders"][0];
    assert_eq!(previous["order_id"], first.as_str());
    assert_eq!(previous["last_state"], "domain_verify");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 2, "{st}");
    assert_eq!(st["orders_created"], 2, "{st}");

    // Without --new-order, the directory stays with the new order.
    sb.post(&format!("/_sandbox/orders/{second}/approve"));
    let (stdout, _) = run_expect(apply(&sb, tmp.path()).args(["-d", "again.example.com"]), 0);
    assert!(
        stdout.contains(&format!("order {second}: certificate")),
        "{stdout}"
    );
    assert_eq!(count(&stats(&sb), CREATE), 2);
}

/// Nothing secret leaves: over every request the sandbox recorded there is
/// no private key and no access key secret, and no run prints the secret.
#[test]
fn no_secret_leaves_the_machine_or_reaches_the_output() {
    const SECRET: &str = "e2e-Very-Secret-Value-4f1c2a9b7d";
    let sb = SandboxProcess::start_with_env(
        &[
            "--approve",
            "manual",
            "--fault",
            "CreateCertificateWithCsrRequest=throttle:1",
        ],
        &[("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", SECRET)],
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut outputs = Vec::new();
    let mut go = |cmd: &mut Command, code: i32| {
        cmd.env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET);
        let (stdout, stderr) = run_expect(cmd, code);
        outputs.push(format!("{stdout}\n{stderr}"));
    };
    go(
        apply(&sb, tmp.path()).args(["-d", "secret.example.com", "--format", "json"]),
        0,
    );
    let dir = tmp.path().join("secret.example.com");
    let id = order_id_of(&dir);
    go(apply(&sb, tmp.path()).args(["-d", "secret.example.com"]), 0);
    go(
        sb.csrkit()
            .current_dir(tmp.path())
            .args(["status", "secret.example.com"]),
        0,
    );
    go(
        sb.csrkit()
            .args(["status", "--order-id", &id, "--format", "json"]),
        0,
    );
    go(sb.csrkit().args(["quota"]), 0);
    go(sb.csrkit().args(["orders"]), 0);
    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    go(
        apply(&sb, tmp.path()).args(["-d", "secret.example.com", "--wait", "--format", "json"]),
        0,
    );
    go(
        apply(&sb, tmp.path()).args(["-d", "file.example.com", "--validate-type", "file"]),
        0,
    );
    go(
        apply(&sb, tmp.path()).args(["-d", "dry.example.com", "--dry-run"]),
        0,
    );
    // A wrong secret is refused, and neither secret is echoed.
    let mut wrong = apply(&sb, tmp.path());
    wrong
        .args(["-d", "wrong.example.com"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "another-secret-1234");
    let (stdout, stderr) = run_expect(&mut wrong, 3);
    assert!(stderr.contains("SignatureDoesNotMatch"), "{stderr}");
    assert!(!stdout.contains("another-secret-1234") && !stderr.contains("another-secret-1234"));
    outputs.push(format!("{stdout}\n{stderr}"));

    for text in &outputs {
        assert!(!text.contains(SECRET), "the secret was printed:\n{text}");
    }
    assert!(
        std::fs::read_to_string(dir.join("privkey.pem"))
            .unwrap()
            .contains("PRIVATE KEY")
    );

    let log = sb.get_json("/_sandbox/requests");
    let entries = log.as_array().expect("the request log is a list");
    let creates = entries
        .iter()
        .filter(|r| r["headers"]["x-acs-action"] == CREATE)
        .count();
    assert!(creates >= 3, "the log lacks the Create requests: {log}");
    let all = log.to_string();
    assert!(
        all.contains("CERTIFICATE REQUEST")
            || all.contains("CERTIFICATE%20REQUEST")
            || all.contains("CERTIFICATE+REQUEST"),
        "the CSRs are not in the log"
    );
    for needle in ["PRIVATE KEY", "PRIVATE%20KEY", "PRIVATE+KEY", SECRET] {
        assert!(!all.contains(needle), "{needle:?} was sent to the service");
    }
}

/// `kill -9` while the Create request is in flight (journal "pending", the
/// sandbox holding the request): the re-run reconciles before anything
/// else, and in the end there is exactly one order, and it is the
/// directory's.
#[test]
fn kill_9_during_create_then_rerun_ends_with_one_order() {
    let sb = SandboxProcess::start(&["--fault", "CreateCertificateWithCsrRequest=delay-1000"]);
    let tmp = tempfile::tempdir().unwrap();
    let mut child = apply(&sb, tmp.path())
        .args(["-d", "inflight.example.com"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Until the sandbox has the Create (and holds it for a second).
    let give_up = Instant::now() + Duration::from_secs(60);
    while count(&stats(&sb), CREATE) == 0 {
        assert!(child.try_wait().unwrap().is_none(), "apply ended first");
        assert!(Instant::now() < give_up, "no Create reached the sandbox");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let dir = tmp.path().join("inflight.example.com");
    let j = journal(&dir);
    assert_eq!(j["submission"]["outcome"], "pending", "{j}");
    assert!(j["order_id"].is_null(), "{j}");
    // hyper drops a request whose connection closed, so the held Create
    // makes no order. Wait until the sandbox is done with it (dropped or
    // finished: api_in_flight back to 0), so the re-run below is the only
    // possible source of an order.
    while stats(&sb)["api_in_flight"] != 0 {
        assert!(Instant::now() < give_up, "the killed Create is still held");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        stats(&sb)["orders_created"],
        0,
        "the killed Create made an order"
    );
    let (_, stderr) = run_expect(
        apply(&sb, tmp.path()).args(["-d", "inflight.example.com"]),
        0,
    );
    assert!(
        stderr.contains("looking for it"),
        "did not reconcile first: {stderr}"
    );
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
    let (stdout, _) = run_expect(sb.csrkit().args(["orders", "--format", "json"]), 0);
    let orders = json(&stdout)["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0]["order_id"], order_id_of(&dir).as_str());
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["inflight.example.com"]);
}

/// `apply --sandbox` with FILE validation and an RSA key, in a directory
/// named with --out-dir: issued, and checked like any other.
#[test]
fn in_process_sandbox_file_validation_rsa() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("certs/site");
    let (stdout, _) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args([
                "apply",
                "--sandbox",
                "-d",
                "site.example.com",
                "-d",
                "www.site.example.com",
            ])
            .args(["--validate-type", "file", "--key-type", "rsa2048"])
            .arg("--out-dir")
            .arg(&dir)
            .args(["--format", "json"]),
        0,
    );
    let doc = json(&stdout);
    assert_eq!(doc["state"], "certificate", "{doc}");
    assert_eq!(journal(&dir)["validate_type"], "FILE");
    check_files_json(&doc, &dir);
    let root = write_root(tmp.path(), &in_process_root(&dir));
    // a single-domain product certifies a name and its www. counterpart
    check_issued(&dir, &root, &["site.example.com", "www.site.example.com"]);
}

/// Order flags on a directory that records an order: the journal decides,
/// and a different flag is reported as ignored, both for a placed order and
/// for one stopped before Create (no quota) and placed on the re-run.
#[test]
fn recorded_order_keeps_its_validation_type() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "keep.example.com"]), 0);
    let (stdout, stderr) = run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "keep.example.com", "--validate-type", "file"])
            .args(["--format", "json"]),
        0,
    );
    assert!(
        stderr.contains("uses DNS validation; --validate-type file is ignored"),
        "{stderr}"
    );
    assert_eq!(json(&stdout)["verification"]["type"], "DNS");
    assert_eq!(count(&stats(&sb), CREATE), 1);

    // Stopped before Create, then placed as first asked.
    let sb0 = SandboxProcess::start(&["--quota", "digicert-free-1-free=0"]);
    run_expect(
        apply(&sb0, tmp.path()).args(["-d", "later.example.com", "--validate-type", "file"]),
        3,
    );
    let addr = sb0.addr().to_owned();
    sb0.stop();
    let sb1 = SandboxProcess::start(&["--approve", "manual", "--listen", &addr]);
    let (stdout, stderr) = run_expect(
        apply(&sb1, tmp.path()).args(["-d", "later.example.com", "--format", "json"]),
        0,
    );
    assert!(!stderr.contains("ignored"), "{stderr}");
    assert_eq!(json(&stdout)["verification"]["type"], "FILE", "{stdout}");
    let log = sb1.get_json("/_sandbox/requests").to_string();
    assert!(log.contains("ValidateType=FILE"), "{log}");
}
