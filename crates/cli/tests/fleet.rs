//! `csrkit apply --manifest` end to end: the real binary against real
//! `csrkit sandbox` processes limited to 10 requests per second per action,
//! as the service is. The sandbox's counters (`/_sandbox/stats`:
//! `orders_created`, `throttled`) are the oracle for what was sent and
//! refused, `openssl` for what landed on disk.
//!
//! No test measures time: the waits below are bounds, and a kill is
//! triggered by the sandbox's order count, not by a clock.
#![allow(clippy::unwrap_used)]

mod api;
mod util;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use util::{SandboxProcess, openssl};

/// Ten requests per second per action, as the service allows an account.
const RATE_LIMITED: [&str; 4] = ["--rate-limit", "10", "--quota", "digicert-free-1-free=1000"];

/// A sandbox limited as the service is, whose first `creates` Creates are
/// done at once and answered ten minutes later: a kill finds them sent,
/// done, and not journaled.
fn with_unanswered_creates(creates: u32, more: &[&str]) -> SandboxProcess {
    let fault = format!("CreateCertificateWithCsrRequest=answer-after-600000:{creates}");
    let mut args = RATE_LIMITED.to_vec();
    args.extend(["--fault", &fault]);
    args.extend(more);
    SandboxProcess::start(&args)
}

/// A manifest of `n` certificates `{prefix}{i}.example.com`, in `dir`.
fn manifest(dir: &Path, prefix: &str, n: usize, defaults: &str) -> PathBuf {
    let mut text = format!("[defaults]\n{defaults}\n");
    for i in 0..n {
        text.push_str(&format!(
            "\n[[certificate]]\nname = \"{prefix}{i}\"\ndomains = [\"{prefix}{i}.example.com\"]\n\
             dir = \"certs/{prefix}{i}\"\n"
        ));
    }
    let path = dir.join(format!("{prefix}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

/// `csrkit apply --manifest PATH --format json` against `sb`, with the
/// applicant's contact and an empty `HOME`.
fn apply_manifest(sb: &SandboxProcess, home: &Path, path: &Path) -> Command {
    let mut cmd = api::at(sb, home, &["apply", "--format", "json", "--manifest"]);
    cmd.arg(path)
        .env("CSRKIT_CONTACT_NAME", "Zhang San")
        .env("CSRKIT_CONTACT_PHONE", "13800000000")
        .env("CSRKIT_CONTACT_EMAIL", "ops@example.com");
    cmd
}

fn json(run: &api::Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", run.both()))
}

fn stats(sb: &SandboxProcess) -> Value {
    sb.get_json("/_sandbox/stats")
}

fn orders_created(sb: &SandboxProcess) -> u64 {
    stats(sb)["orders_created"].as_u64().unwrap()
}

/// Every certificate of a `csrkit.fleet/1` document, by outcome.
fn outcomes(doc: &Value) -> std::collections::BTreeMap<String, usize> {
    let mut by = std::collections::BTreeMap::new();
    for c in doc["certificates"].as_array().unwrap() {
        *by.entry(c["outcome"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    by
}

/// Checks every directory with openssl: one `verify` of all the leaves up
/// to the sandbox root, and each leaf carrying its own privkey.pem's key.
fn check_issued(dirs: &[PathBuf], root_pem: &str, scratch: &Path) {
    let root = scratch.join("root.pem");
    std::fs::write(&root, root_pem).unwrap();
    let s = |p: &Path| p.to_str().unwrap().to_owned();
    let mut args = vec![
        "verify".to_owned(),
        "-CAfile".to_owned(),
        s(&root),
        "-untrusted".to_owned(),
        s(&dirs[0].join("chain.pem")),
    ];
    args.extend(dirs.iter().map(|d| s(&d.join("cert.pem"))));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let verified = openssl(&args);
    for d in dirs {
        let line = format!("{}: OK", s(&d.join("cert.pem")));
        assert!(verified.contains(&line), "{line} missing from: {verified}");
        let leaf = openssl(&["x509", "-in", &s(&d.join("cert.pem")), "-noout", "-pubkey"]);
        let key = openssl(&["pkey", "-in", &s(&d.join("privkey.pem")), "-pubout"]);
        assert_eq!(
            leaf,
            key,
            "{}: the leaf is not for privkey.pem",
            d.display()
        );
    }
}

/// Starts `cmd` and kills it (`kill -9`) once the sandbox has made
/// `orders` orders (waiting at most five minutes for them).
fn kill_9_at(sb: &SandboxProcess, cmd: &mut Command, orders: u64) {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until(
        Duration::from_secs(300),
        &format!("{orders} orders"),
        || orders_created(sb) >= orders,
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Waits (at most `bound`) until `done` says so.
fn wait_until(bound: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < bound, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// 200 certificates against a sandbox that throttles above 10 requests per
/// second per action: no request is refused, every certificate is issued
/// and fits its key; a second run sends nothing.
#[test]
fn two_hundred_certificates_at_the_rate_limit_are_issued_without_one_throttled_request() {
    let sb = SandboxProcess::start(&RATE_LIMITED);
    let tmp = tempfile::tempdir().unwrap();
    let path = manifest(tmp.path(), "t", 200, "");
    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    let doc = json(&run);
    assert_eq!(doc["schema"], "csrkit.fleet/1");
    assert_eq!(outcomes(&doc), [("issued".to_owned(), 200)].into());
    assert_eq!(doc["summary"]["throttled"], 0, "{}", run.both());
    let st = stats(&sb);
    assert_eq!(st["throttled"], serde_json::json!({}), "{st}");
    assert_eq!(st["orders_created"], 200);
    assert_eq!(
        doc["summary"]["requests"]["CreateCertificateWithCsrRequest"]["sent"],
        200
    );
    for c in doc["certificates"].as_array().unwrap() {
        assert!(
            c["order_id"].is_string() && c["not_after"].is_string(),
            "{c}"
        );
        assert!(c["error"].is_null(), "{c}");
    }
    let dirs: Vec<PathBuf> = (0..200)
        .map(|i| tmp.path().join(format!("certs/t{i}")))
        .collect();
    check_issued(&dirs, &sb.get_text("/_sandbox/ca.pem"), tmp.path());

    // The same manifest again: everything is issued, no request is sent.
    let again = json(&api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0));
    assert_eq!(outcomes(&again), [("unchanged".to_owned(), 200)].into());
    assert_eq!(stats(&sb)["requests"], st["requests"]);
}

/// `kill -9` in the middle of a run of 200, while four Creates the service
/// already carried out wait for their answers, then the same command: the
/// four orders are found (not placed again), every certificate is issued,
/// and the sandbox made exactly 200 orders.
#[test]
fn a_fleet_killed_in_the_middle_and_run_again_orders_each_certificate_once() {
    // The first four Creates are done at once and answered ten minutes
    // later: the kill finds them sent, done, and not journaled.
    let sb = with_unanswered_creates(4, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let path = manifest(tmp.path(), "k", 200, "");
    kill_9_at(
        &sb,
        apply_manifest(&sb, tmp.path(), &path).args(["--timeout", "900"]),
        100,
    );
    let at_kill = orders_created(&sb);
    assert!(
        at_kill < 200,
        "the run ended before the kill ({at_kill} orders)"
    );

    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    let doc = json(&run);
    let by = outcomes(&doc);
    assert_eq!(by.get("failed"), None, "{}", run.both());
    assert_eq!(
        by.get("issued").unwrap_or(&0) + by.get("unchanged").unwrap_or(&0),
        200,
        "{by:?}"
    );
    assert_eq!(
        orders_created(&sb),
        200,
        "exactly one order per certificate"
    );
    let found = run.stderr.matches("created by the earlier attempt").count();
    assert!(
        found >= 4,
        "the four unanswered orders were looked up: {}",
        run.stderr
    );
    for i in 0..200 {
        let j: Value = serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join(format!("certs/k{i}/order.json"))).unwrap(),
        )
        .unwrap();
        assert!(j["current"].is_u64(), "k{i} is not installed: {j}");
    }
}

/// One certificate the lint refuses and one whose zone another account
/// holds (the Alibaba Cloud DNS provider cannot publish there), among three good
/// ones: neither failing one is ordered, the good ones are issued through the
/// sandbox's DNS, the run exits 5, and the summary and the JSON say which
/// failed and why.
#[test]
fn failing_certificates_do_not_stop_the_others_and_are_named_with_their_reason() {
    let sb = SandboxProcess::start(&[
        "--rate-limit",
        "10",
        "--approve",
        "verify",
        "--zone",
        "example.com",
        "--foreign-zone",
        "example.org",
        "--dns-listen",
        "127.0.0.1:0",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let defaults = format!(
        "dns = \"alidns\"\ndns_endpoint = \"{}\"\ndns_resolver = \"{}\"",
        sb.url,
        sb.dns()
    );
    let path = tmp.path().join("mixed.toml");
    let mut text = format!("[defaults]\n{defaults}\n");
    for (name, domain) in [
        ("good0", "good0.example.com"),
        ("internal", "intranet.corp"),
        ("good1", "good1.example.com"),
        ("elsewhere", "shop.example.org"),
        ("good2", "good2.example.com"),
    ] {
        text.push_str(&format!(
            "\n[[certificate]]\nname = \"{name}\"\ndomains = [\"{domain}\"]\n"
        ));
    }
    std::fs::write(&path, text).unwrap();

    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(5);
    let doc = json(&run);
    let by: std::collections::BTreeMap<&str, &Value> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect();
    for good in ["good0", "good1", "good2"] {
        assert_eq!(by[good]["outcome"], "issued", "{}", run.both());
    }
    let lint = by["internal"]["error"].as_str().unwrap();
    assert_eq!(by["internal"]["outcome"], "failed");
    assert!(lint.contains("fails the lint"), "{lint}");
    assert!(
        by["internal"]["order_id"].is_null(),
        "nothing was ordered for it"
    );
    assert!(
        run.stderr.contains("V216"),
        "the findings are shown: {}",
        run.stderr
    );
    let refused = by["elsewhere"]["error"].as_str().unwrap();
    assert_eq!(by["elsewhere"]["outcome"], "failed");
    assert!(
        refused.contains("alidns: no hosted zone contains _dnsauth.shop.example.org")
            && refused.contains("No order was placed"),
        "{refused}"
    );
    assert!(
        by["elsewhere"]["order_id"].is_null(),
        "the provider was asked before ordering: no unit spent on a record it cannot publish"
    );
    assert_eq!(doc["summary"]["failed"], 2);
    assert_eq!(doc["summary"]["issued"], 3);
    assert_eq!(stats(&sb)["throttled"], serde_json::json!({}));
    // The account's zones are read once for the fleet (one read at a time,
    // the others wait for it) and again for the name none of them holds (a
    // zone added meanwhile would be found), not three times per certificate.
    let zone_reads = stats(&sb)["requests"]["DescribeDomains"]
        .as_u64()
        .unwrap_or(0);
    assert!(
        (1..=2).contains(&zone_reads),
        "{zone_reads} DescribeDomains"
    );
    // Three orders, three certificates: none for the lint's refusal nor for
    // the zone the provider does not host.
    assert_eq!(orders_created(&sb), 3);
    let dirs: Vec<PathBuf> = ["good0", "good1", "good2"]
        .iter()
        .map(|n| tmp.path().join(format!("{n}.example.com")))
        .collect();
    check_issued(&dirs, &sb.get_text("/_sandbox/ca.pem"), tmp.path());

    // The human summary says the same.
    let mut human = api::at(&sb, tmp.path(), &["apply", "--manifest"]);
    human
        .arg(&path)
        .env("CSRKIT_CONTACT_NAME", "Zhang San")
        .env("CSRKIT_CONTACT_PHONE", "13800000000")
        .env("CSRKIT_CONTACT_EMAIL", "ops@example.com");
    let again = api::run(&mut human).expect_code(5);
    let line = again
        .stdout
        .lines()
        .find(|l| l.starts_with("internal "))
        .unwrap_or_else(|| panic!("{}", again.both()));
    assert!(
        line.contains("failed") && line.contains("fails the lint"),
        "{line}"
    );
    assert!(
        again
            .stdout
            .contains("5 certificates: 3 unchanged, 2 failed"),
        "{}",
        again.both()
    );
}

/// A manifest that is not one (an unknown key, a duplicate directory, a
/// malformed name) is refused whole, naming the line, before any request
/// and before credentials are read; a certificate whose local checks fail
/// is refused before any request is sent for any certificate.
#[test]
fn bad_manifests_are_refused_whole_naming_the_line_and_nothing_is_sent() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "[[certificate]]\ndomains = [\"a.example.com\"]\nkey_tpye = \"p256\"\n",
            "line 3",
        ),
        (
            "[[certificate]]\ndomains = [\"a.example.com\"]\n\n[[certificate]]\nname = \"b\"\n\
             domains = [\"b.example.com\"]\ndir = \"a.example.com\"\n",
            "bad.toml:4: \"b\" uses the directory",
        ),
        (
            "[[certificate]]\nname = \"x\"\ndomains = [\"exa mple.com\"]\n",
            "bad.toml:3: domains:",
        ),
        (
            "[defaults]\ndns = \"rfc2136\"\n[[certificate]]\ndomains = [\"a.example.com\"]\n",
            "needs dns_server and tsig_key_file",
        ),
    ];
    let path = tmp.path().join("bad.toml");
    for (text, expect) in cases {
        std::fs::write(&path, text).unwrap();
        // No credentials and no endpoint: nothing could be sent anyway, and
        // the error must not be about them.
        let mut cmd = util::csrkit();
        api::isolate(&mut cmd, tmp.path());
        cmd.current_dir(tmp.path())
            .args(["apply", "--manifest"])
            .arg(&path);
        let run = api::run(&mut cmd).expect_code(2);
        assert!(run.stderr.contains(expect), "{expect}: {}", run.both());
        assert!(!run.stderr.contains("credentials"), "{}", run.both());
        assert!(!tmp.path().join("a.example.com").exists());
    }

    // Every certificate refused by its local checks: no credentials are
    // read, nothing is sent, and the shared reason's exit code (1: lint).
    std::fs::write(
        &path,
        "[[certificate]]\ndomains = [\"a.corp\"]\n[[certificate]]\ndomains = [\"b.corp\"]\n",
    )
    .unwrap();
    let mut cmd = util::csrkit();
    api::isolate(&mut cmd, tmp.path());
    cmd.current_dir(tmp.path())
        .args(["apply", "--format", "json", "--manifest"])
        .arg(&path);
    let run = api::run(&mut cmd).expect_code(1);
    let doc = json(&run);
    assert_eq!(doc["summary"]["failed"], 2);
    assert!(!run.stderr.contains("credentials"), "{}", run.both());

    // A flag that names one certificate does not go with a manifest.
    let mut cmd = util::csrkit();
    cmd.args(["apply", "--manifest"])
        .arg(&path)
        .args(["--domain", "x.example.com"]);
    let run = api::run(&mut cmd).expect_code(2);
    assert!(run.stderr.contains("--domain"), "{}", run.both());
}

/// `csrkit renew --manifest PATH --format json` against `sb`, off a
/// terminal and without the random delay.
fn renew_manifest(sb: &SandboxProcess, home: &Path, path: &Path) -> Command {
    let mut cmd = api::at(
        sb,
        home,
        &[
            "renew",
            "--no-random-sleep",
            "--format",
            "json",
            "--manifest",
        ],
    );
    cmd.arg(path).stdin(Stdio::null());
    cmd
}

/// A shell script that appends one line per run to `dir/NAME.log`: the
/// directory it deployed (`CSRKIT_CERT_DIR`) or, for a post hook, the
/// renewed and failed lists.
fn recording_hook(dir: &Path, name: &str) -> (String, PathBuf) {
    use std::os::unix::fs::PermissionsExt;
    let log = dir.join(format!("{name}.log"));
    let script = dir.join(format!("{name}.sh"));
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s\\n' \"${{CSRKIT_CERT_DIR-}}\" \"${{CSRKIT_RENEWED-}}\" \
             \"${{CSRKIT_FAILED-}}\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), log)
}

fn log_lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn order_journal(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("order.json")).unwrap()).unwrap()
}

/// Issue 12 items 1 and 4: 40 one-minute certificates applied from a
/// manifest, then, with the sandbox restarted on the same state issuing
/// 90-day certificates, `renew --manifest --days 1`: each is renewed once
/// (80 orders), none throttled at 10 requests/s per action, each with a new
/// verified certificate; the manifest's deploy hook ran once per renewal,
/// its post hook once with the 40 directories, and its deployment targets
/// serve the new certificates. The same command again finds nothing due
/// and orders nothing; an entry added to the manifest and never applied is
/// `not_issued`, not ordered.
#[test]
fn renew_manifest_renews_each_due_certificate_once_at_the_rate_limit() {
    const N: usize = 40;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("sandbox.json");
    let s = state.to_str().unwrap().to_owned();
    let resources = [
        "--resource",
        "cdn:r0.example.com",
        "--resource",
        "cdn:r1.example.com",
    ];
    let mut args = RATE_LIMITED.to_vec();
    args.extend(["--cert-lifetime", "60s", "--state", &s]);
    args.extend(resources);
    let sb = SandboxProcess::start(&args);
    let (deploy_hook, deploy_log) = recording_hook(tmp.path(), "deploy");
    let (post_hook, post_log) = recording_hook(tmp.path(), "post");
    let mut text =
        format!("[defaults]\ndeploy_hook = \"{deploy_hook}\"\npost_hook = \"{post_hook}\"\n");
    for i in 0..N {
        let deploy = match i {
            0 | 1 => format!("deploy = [\"cdn:r{i}.example.com\"]\n"),
            _ => String::new(),
        };
        text.push_str(&format!(
            "\n[[certificate]]\nname = \"r{i}\"\ndomains = [\"r{i}.example.com\"]\n\
             dir = \"certs/r{i}\"\n{deploy}"
        ));
    }
    let path = tmp.path().join("r.toml");
    std::fs::write(&path, &text).unwrap();
    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    assert_eq!(outcomes(&json(&run)), [("issued".to_owned(), N)].into());
    assert_eq!(log_lines(&deploy_log).len(), N, "apply ran the deploy hook");
    let dirs: Vec<PathBuf> = (0..N)
        .map(|i| tmp.path().join(format!("certs/r{i}")))
        .collect();
    assert_eq!(
        order_journal(&dirs[0])["renewal"]["deploy_to"],
        serde_json::json!(["CDN:r0.example.com"]),
        "the entry's deploy targets are recorded where renew reads them"
    );

    // The same sandbox, restarted issuing 90-day certificates: the
    // one-minute ones are due by --days 1, their renewals are not.
    let addr = sb.addr().to_owned();
    sb.stop();
    let mut args = RATE_LIMITED.to_vec();
    args.extend(["--listen", &addr, "--state", &s, "--cert-lifetime", "90d"]);
    args.extend(resources);
    let sb = SandboxProcess::start(&args);
    let first = sb.served();
    for r in ["r0.example.com", "r1.example.com"] {
        assert!(first[r].is_some(), "apply deployed to {r}: {first:?}");
    }
    // An entry added since, never applied.
    text.push_str("\n[[certificate]]\nname = \"late\"\ndomains = [\"late.example.com\"]\n");
    std::fs::write(&path, &text).unwrap();

    let run = api::run(renew_manifest(&sb, tmp.path(), &path).args(["--days", "1"])).expect_code(0);
    let doc = json(&run);
    assert_eq!(doc["schema"], "csrkit.fleet/1");
    assert_eq!(doc["command"], "renew");
    assert_eq!(
        outcomes(&doc),
        [("not_issued".to_owned(), 1), ("renewed".to_owned(), N)].into(),
        "{}",
        run.both()
    );
    assert_eq!(doc["summary"]["throttled"], 0, "{}", run.both());
    let st = stats(&sb);
    assert_eq!(st["throttled"], serde_json::json!({}), "{st}");
    assert_eq!(st["orders_created"], 2 * N, "each renewed once: {st}");
    assert!(!tmp.path().join("late.example.com").exists());
    for c in doc["certificates"].as_array().unwrap() {
        if c["name"] == "late" {
            assert!(c["order_id"].is_null() && c["error"].is_null(), "{c}");
            continue;
        }
        assert_eq!(c["reason"], "days", "{c}");
        assert_eq!(c["generation"], 2, "{c}");
        assert!(c["new_not_after"].is_string(), "{c}");
    }
    for (i, d) in dirs.iter().enumerate() {
        let j = order_journal(d);
        assert_eq!(j["current"], 2, "r{i}: {j}");
        assert_ne!(
            j["generations"][1]["order_id"],
            j["generations"][0]["order_id"]
        );
    }
    check_issued(&dirs, &sb.get_text("/_sandbox/ca.pem"), tmp.path());
    // The hooks: one deploy hook per renewal, one post hook for the run,
    // naming every renewed directory and no failed one.
    assert_eq!(log_lines(&deploy_log).len(), 2 * N);
    let post = log_lines(&post_log);
    assert_eq!(post.len(), 1, "one post hook per run: {post:?}");
    let fields: Vec<&str> = post[0].split('|').collect();
    assert_eq!(fields[1].split(' ').count(), N, "{post:?}");
    assert!(
        fields[1].contains("certs/r7") && fields[2].is_empty(),
        "{post:?}"
    );
    // The deployment targets serve the new certificates.
    let served = sb.served();
    for i in [0, 1] {
        let r = format!("r{i}.example.com");
        assert!(
            served[&r].is_some() && served[&r] != first[&r],
            "{r}: {served:?}"
        );
        let c = &doc["certificates"][i];
        assert_eq!(c["deployment"]["ok"], true, "{c}");
    }

    // Again: nothing is due, nothing is ordered, no hook runs.
    let doc = json(
        &api::run(renew_manifest(&sb, tmp.path(), &path).args(["--days", "1"])).expect_code(0),
    );
    assert_eq!(
        outcomes(&doc),
        [("not_due".to_owned(), N), ("not_issued".to_owned(), 1)].into()
    );
    assert_eq!(stats(&sb)["orders_created"], 2 * N);
    assert_eq!(log_lines(&deploy_log).len(), 2 * N);
    assert_eq!(log_lines(&post_log).len(), 1);
}

/// `kill -9` in the middle of `renew --manifest` while four renewal
/// Creates the service carried out wait for their answers, then the same
/// command: the four are found, not placed again, and the sandbox made
/// exactly one renewal order per certificate.
#[test]
fn renew_manifest_killed_in_the_middle_and_run_again_renews_each_once() {
    const N: usize = 40;
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("sandbox.json");
    let s = state.to_str().unwrap().to_owned();
    let mut args = RATE_LIMITED.to_vec();
    args.extend(["--cert-lifetime", "60s", "--state", &s]);
    let sb = SandboxProcess::start(&args);
    let path = manifest(tmp.path(), "q", N, "");
    api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    assert_eq!(orders_created(&sb), N as u64);

    let addr = sb.addr().to_owned();
    sb.stop();
    let sb = with_unanswered_creates(
        4,
        &["--listen", &addr, "--state", &s, "--cert-lifetime", "90d"],
    );
    kill_9_at(
        &sb,
        renew_manifest(&sb, tmp.path(), &path).args(["--days", "1", "--timeout", "900"]),
        (N + N / 2) as u64,
    );
    let at_kill = orders_created(&sb);
    assert!(at_kill < 2 * N as u64, "the run ended before the kill");

    let run = api::run(renew_manifest(&sb, tmp.path(), &path).args(["--days", "1"])).expect_code(0);
    let doc = json(&run);
    let by = outcomes(&doc);
    assert_eq!(by.get("failed"), None, "{}", run.both());
    assert_eq!(
        by.get("renewed").unwrap_or(&0) + by.get("not_due").unwrap_or(&0),
        N,
        "{by:?}"
    );
    assert_eq!(
        orders_created(&sb),
        2 * N as u64,
        "exactly one renewal order per certificate"
    );
    let found = run.stderr.matches("created by the earlier attempt").count();
    assert!(
        found >= 4,
        "the four unanswered orders were looked up: {}",
        run.stderr
    );
    for i in 0..N {
        let j = order_journal(&tmp.path().join(format!("certs/q{i}")));
        assert_eq!(j["current"], 2, "q{i}: {j}");
    }
}

/// The directories whose Create was sent and is not answered (journaled
/// before it was sent, no order id yet).
fn unanswered(dirs: &[PathBuf]) -> Vec<PathBuf> {
    dirs.iter()
        .filter(|d| {
            let j = order_journal(d);
            j["order_id"].is_null() && !j["submission"].is_null()
        })
        .cloned()
        .collect()
}

/// Attack: one name in two directories (an RSA and an ECDSA certificate),
/// both Creates done and unanswered when the fleet is killed: the re-run
/// gives each directory its own order (by its CSR), never the other's, and
/// orders nothing more. The manifest says the name is in both.
#[test]
fn one_name_in_two_directories_killed_and_run_again_each_keeps_its_own_order() {
    let sb = with_unanswered_creates(2, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("twins.toml");
    std::fs::write(
        &path,
        "[[certificate]]\nname = \"ec\"\ndomains = [\"twin.example.com\"]\ndir = \"ec\"\n\
         [[certificate]]\nname = \"rsa\"\ndomains = [\"twin.example.com\"]\ndir = \"rsa\"\n\
         key_type = \"rsa2048\"\n",
    )
    .unwrap();
    kill_9_at(
        &sb,
        apply_manifest(&sb, tmp.path(), &path).args(["--timeout", "900"]),
        2,
    );
    let dirs = [tmp.path().join("ec"), tmp.path().join("rsa")];
    assert_eq!(unanswered(&dirs).len(), 2, "both Creates are unanswered");

    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    assert!(
        run.stderr
            .contains("\"rsa\" names twin.example.com as \"ec\" (line 1) does"),
        "{}",
        run.both()
    );
    let doc = json(&run);
    assert_eq!(outcomes(&doc), [("issued".to_owned(), 2)].into());
    assert_eq!(orders_created(&sb), 2, "no third order");
    let ids: Vec<&Value> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["order_id"])
        .collect();
    assert_ne!(ids[0], ids[1], "each directory has its own order");
    // Each leaf is for its own directory's key.
    check_issued(&dirs, &sb.get_text("/_sandbox/ca.pem"), tmp.path());
}

/// Attack: the manifest edited between a killed run and the re-run (the
/// entries reordered and renamed, and the names of a directory whose
/// Create is done but unanswered changed): the renamed ones finish with one
/// order each, the changed one fails naming its directory and the names it
/// holds, with no second Create; put back, it finishes its own order.
#[test]
fn a_manifest_edited_after_a_kill_orders_nothing_twice() {
    const N: usize = 20;
    let sb = with_unanswered_creates(4, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let path = manifest(tmp.path(), "e", N, "");
    // Four at once: the four unanswered Creates hold every place, so no
    // other Create is on its way at the kill (with more places one could
    // be, sent and not yet received, and a fifth journal would be pending).
    kill_9_at(
        &sb,
        apply_manifest(&sb, tmp.path(), &path).args(["--timeout", "900", "--concurrency", "4"]),
        4,
    );
    let dirs: Vec<PathBuf> = (0..N)
        .map(|i| tmp.path().join(format!("certs/e{i}")))
        .collect();
    let stuck = unanswered(&dirs);
    assert_eq!(stuck.len(), 4, "four Creates done and unanswered");
    let changed = stuck[0].file_name().unwrap().to_str().unwrap().to_owned();

    // Reversed, renamed, and one directory's names changed.
    let entry = |i: usize, domain: &str| {
        format!(
            "[[certificate]]\nname = \"renamed{i}\"\ndomains = [\"{domain}\"]\ndir = \"certs/e{i}\"\n"
        )
    };
    let edited: String = (0..N)
        .rev()
        .map(|i| match format!("e{i}") == changed {
            true => entry(i, "changed.example.com"),
            false => entry(i, &format!("e{i}.example.com")),
        })
        .collect();
    std::fs::write(&path, edited).unwrap();
    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(5);
    let doc = json(&run);
    let failed: Vec<&Value> = doc["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .collect();
    let [f] = failed[..] else {
        panic!("{}", run.both())
    };
    let error = f["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("{changed}.example.com")) && error.contains("changed.example.com"),
        "{error}"
    );
    let done =
        doc["summary"]["issued"].as_u64().unwrap() + doc["summary"]["unchanged"].as_u64().unwrap();
    assert_eq!(done, (N - 1) as u64, "{}", run.both());
    assert_eq!(
        orders_created(&sb),
        N as u64,
        "no Create for the changed one"
    );

    // Put back: it finishes the order its journal records.
    std::fs::write(
        &path,
        (0..N)
            .map(|i| entry(i, &format!("e{i}.example.com")))
            .collect::<String>(),
    )
    .unwrap();
    let doc = json(&api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0));
    assert_eq!(doc["summary"]["issued"], 1, "{doc}");
    assert_eq!(
        doc["summary"]["unchanged"].as_u64().unwrap(),
        (N - 1) as u64
    );
    assert_eq!(orders_created(&sb), N as u64);
}

/// Attack: Ctrl-C in the middle of a fleet: exit 130, the report of what
/// was done on stdout, and nothing lost: the same command finishes every
/// certificate with exactly one order each.
#[test]
fn ctrl_c_during_a_fleet_exits_130_and_the_same_command_finishes_it() {
    const N: usize = 30;
    let sb = SandboxProcess::start(&RATE_LIMITED);
    let tmp = tempfile::tempdir().unwrap();
    let path = manifest(tmp.path(), "c", N, "");
    let child = apply_manifest(&sb, tmp.path(), &path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(Duration::from_secs(120), "10 orders", || {
        orders_created(&sb) >= 10
    });
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        orders_created(&sb) < N as u64,
        "the run stopped before the end"
    );
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert!(doc["summary"]["failed"].as_u64().unwrap() > 0, "{doc}");

    let run = api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    let by = outcomes(&json(&run));
    assert_eq!(
        by.get("issued").unwrap_or(&0) + by.get("unchanged").unwrap_or(&0),
        N,
        "{by:?}"
    );
    assert_eq!(orders_created(&sb), N as u64, "one order per certificate");
}

/// Attack: a journal damaged in one directory: `apply --manifest` and
/// `renew --manifest` fail that certificate, naming its journal, and go on
/// with the others (exit 5); nothing is ordered for it.
#[test]
fn a_damaged_journal_fails_its_certificate_and_the_others_go_on() {
    let sb = SandboxProcess::start(&RATE_LIMITED);
    let tmp = tempfile::tempdir().unwrap();
    let path = manifest(tmp.path(), "d", 3, "");
    api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(0);
    let damaged = tmp.path().join("certs/d1/order.json");
    std::fs::write(&damaged, "{\"schema\": \"csrkit.order/1\", \"domains\": [").unwrap();

    let doc = json(&api::run(&mut apply_manifest(&sb, tmp.path(), &path)).expect_code(5));
    let c = &doc["certificates"][1];
    assert_eq!(c["outcome"], "failed");
    assert!(c["error"].as_str().unwrap().contains("order.json"), "{c}");
    assert_eq!(doc["summary"]["unchanged"], 2);

    let run = api::run(renew_manifest(&sb, tmp.path(), &path).arg("--force")).expect_code(5);
    let doc = json(&run);
    assert_eq!(
        outcomes(&doc),
        [("failed".to_owned(), 1), ("renewed".to_owned(), 2)].into(),
        "{}",
        run.both()
    );
    let c = &doc["certificates"][1];
    assert!(c["error"].as_str().unwrap().contains("order.json"), "{c}");
    assert_eq!(orders_created(&sb), 5, "3 orders, then 2 renewals");
}
