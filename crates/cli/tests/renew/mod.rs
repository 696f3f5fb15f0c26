//! Issue 12: `csrkit renew` end to end. The real binary against a `csrkit
//! sandbox` process issuing one-minute certificates (`--cert-lifetime
//! 60s`): due once less than a third of the lifetime (or `--days`) is left
//! and not before, a new key (the same with `--reuse-key`), the deploy
//! hook once per renewal with its environment (a shell script records
//! it), readers that never see a key and certificate that do not belong
//! together during 50 renewals, a second concurrent `renew` that orders
//! nothing, and a failed renewal that leaves the old certificate serving
//! and runs the post hook. The oracles: the sandbox's `/_sandbox/stats`
//! (`orders_created`), the files on disk, `openssl`, the scripts' records.
//!
//! No test waits for a time: the "not due" of a fresh one-minute
//! certificate is shown by a sandbox restarted with a long lifetime (the
//! certificate that was due is renewed into one that is not), and the
//! library's tests move the clock (`crates/apply/tests/renew.rs`).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::hands_off::install::{key_spki, while_reading};
use super::util::SandboxProcess;
use super::{CREATE, apply, check_issued, count, journal, json, run_expect, stats, write_root};

/// `csrkit renew` against `sb`, in `cwd`, without the random delay (the
/// tests run it off a terminal). No contact is given: the journal's is
/// used.
fn renew(sb: &SandboxProcess, cwd: &Path) -> Command {
    let mut cmd = sb.csrkit();
    cmd.current_dir(cwd)
        .args(["renew", "--no-random-sleep"])
        .stdin(Stdio::null());
    cmd
}

/// A shell script at `dir/NAME.sh` that appends its `CSRKIT_*` environment
/// to `dir/NAME.log` as one JSON object per line; returns (script, log).
fn recording_script(dir: &Path, name: &str, exit: i32) -> (String, PathBuf) {
    let log = dir.join(format!("{name}.log"));
    let script = dir.join(format!("{name}.sh"));
    let vars = [
        "CSRKIT_CERT_DIR",
        "CSRKIT_DOMAINS",
        "CSRKIT_CERT_PATH",
        "CSRKIT_KEY_PATH",
        "CSRKIT_FULLCHAIN_PATH",
        "CSRKIT_ORDER_ID",
        "CSRKIT_CERT_ID",
        "CSRKIT_NOT_AFTER",
        "CSRKIT_RENEWED",
        "CSRKIT_FAILED",
    ];
    let fields: Vec<String> = vars
        .iter()
        .map(|v| format!("\\\"{v}\\\":\\\"${{{v}-unset}}\\\""))
        .collect();
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"{{{}}}\" >> '{}'\necho \"{name} says hello\"\necho \
             \"{name} complains\" >&2\nexit {exit}\n",
            fields.join(","),
            log.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), log)
}

/// The runs a recording script logged.
fn runs(log: &Path) -> Vec<Value> {
    match std::fs::read_to_string(log) {
        Ok(text) => text.lines().map(json).collect(),
        Err(_) => Vec::new(),
    }
}

fn key_of(dir: &Path) -> String {
    key_spki(&std::fs::read(dir.join("privkey.pem")).unwrap()).unwrap()
}

fn abs(p: &Path) -> String {
    std::path::absolute(p).unwrap().display().to_string()
}

/// Must show: a one-minute certificate is renewed once due and not before;
/// the new key differs (the same with --reuse-key); the deploy hook ran
/// once per renewal with the documented variables; the hook and the key
/// choice are recorded, so a bare `renew` does the same.
#[test]
fn a_one_minute_certificate_is_renewed_once_due_with_a_new_key_and_the_hook_once() {
    let tmp = tempfile::tempdir().unwrap();
    let state = tmp.path().join("sandbox.json");
    let s = state.to_str().unwrap();
    let sb = SandboxProcess::start(&["--cert-lifetime", "60s", "--state", s]);
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "minute.example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("minute.example.com");
    let first_key = key_of(&dir);
    let g1 = &journal(&dir)["generations"][0];
    assert_eq!(g1["number"], 1);

    // Due at once by --days 1 (a minute is less than a day): renewed, with
    // a new key, the hook (recorded now) once.
    let (hook, log) = recording_script(tmp.path(), "deploy", 0);
    let (out, err) = run_expect(
        renew(&sb, tmp.path()).args([
            "minute.example.com",
            "--days",
            "1",
            "--deploy-hook",
            &hook,
            "--format",
            "json",
        ]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["schema"], "csrkit.renew/1");
    let c = &doc["certificates"][0];
    assert_eq!(c["outcome"], "renewed", "{doc}\n{err}");
    assert_eq!(c["reason"], "days");
    assert_eq!(c["generation"], 2);
    assert_eq!(doc["exit_code"], 0);
    assert_ne!(key_of(&dir), first_key, "a renewal makes a new key");
    let j = journal(&dir);
    let g2 = &j["generations"][1];
    assert_eq!(g2["order_id"], c["order_id"]);
    assert!(g2["cert_id"].is_string(), "{j}");
    let hooks = runs(&log);
    assert_eq!(hooks.len(), 1, "the deploy hook ran once: {hooks:?}");
    let h = &hooks[0];
    assert_eq!(h["CSRKIT_CERT_DIR"], abs(&dir).as_str());
    assert_eq!(h["CSRKIT_DOMAINS"], "minute.example.com");
    assert_eq!(h["CSRKIT_CERT_PATH"], abs(&dir.join("cert.pem")).as_str());
    assert_eq!(h["CSRKIT_KEY_PATH"], abs(&dir.join("privkey.pem")).as_str());
    assert_eq!(
        h["CSRKIT_FULLCHAIN_PATH"],
        abs(&dir.join("fullchain.pem")).as_str()
    );
    assert_eq!(h["CSRKIT_ORDER_ID"], g2["order_id"]);
    assert_eq!(h["CSRKIT_CERT_ID"], g2["cert_id"]);
    assert_eq!(h["CSRKIT_NOT_AFTER"], g2["not_after"]);
    assert_eq!(
        h["CSRKIT_RENEWED"], "unset",
        "a deploy hook gets no post-hook variable"
    );
    assert!(
        err.contains("deploy says hello"),
        "the hook's output is shown: {err}"
    );
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["minute.example.com"]);

    // The same sandbox, restarted issuing 90-day certificates. The
    // one-minute certificate is due by --days 1; its renewal (90 days) is
    // not, so the same command then orders nothing: not before it is due.
    let addr = sb.addr().to_owned();
    sb.stop();
    let sb = SandboxProcess::start(&["--listen", &addr, "--state", s, "--cert-lifetime", "90d"]);
    let kept = key_of(&dir);
    let (out, _) = run_expect(
        renew(&sb, tmp.path()).args(["--days", "1", "--reuse-key"]),
        0,
    );
    assert!(out.contains("minute.example.com: renewed"), "{out}");
    assert_eq!(key_of(&dir), kept, "--reuse-key keeps the key");
    assert_eq!(runs(&log).len(), 2, "the recorded hook ran once more");
    let (out, _) = run_expect(renew(&sb, tmp.path()).args(["--days", "1"]), 0);
    assert!(
        out.contains("minute.example.com: not due (89 days left)"),
        "{out}"
    );
    assert_eq!(runs(&log).len(), 2, "nothing due: no hook");
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 3, "{st}");

    // --reuse-key was recorded: a forced bare renewal keeps the key too.
    run_expect(renew(&sb, tmp.path()).arg("--force"), 0);
    assert_eq!(key_of(&dir), kept);
    assert_eq!(journal(&dir)["renewal"]["reuse_key"], true);
    // And --new-key ends it.
    run_expect(renew(&sb, tmp.path()).args(["--force", "--new-key"]), 0);
    assert_ne!(key_of(&dir), kept);
    assert_eq!(runs(&log).len(), 4);
    check_issued(&dir, &root, &["minute.example.com"]);
}

/// Must show: readers that resolve `current` once per read (and read
/// `combined.pem`) never see a key and certificate that do not belong
/// together, nor a missing or partial file, while `renew` replaces the
/// certificate 50 times with a new key each time.
#[test]
fn readers_never_see_a_mismatched_pair_during_50_renewals() {
    const ROUNDS: usize = 50;
    let sb = SandboxProcess::start(&[
        "--cert-lifetime",
        "60s",
        "--quota",
        "digicert-free-1-free=60",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "fifty.example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("fifty.example.com");
    let mut keys = std::collections::BTreeSet::new();
    while_reading(&dir, ROUNDS, || {
        // --days 1: each one-minute certificate is due at once. --keep 60:
        // no generation a reader may have just resolved is removed (the
        // pruning has its own test).
        run_expect(
            renew(&sb, tmp.path()).args(["fifty.example.com", "--days", "1", "--keep", "60"]),
            0,
        );
        keys.insert(key_of(&dir));
    });
    assert_eq!(keys.len(), ROUNDS, "each renewal has its own key");
    let j = journal(&dir);
    assert_eq!(j["generations"].as_array().unwrap().len(), ROUNDS + 1);
    assert_eq!(j["current"], ROUNDS + 1);
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), (ROUNDS + 1) as u64, "{st}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["fifty.example.com"]);
}

/// Waits (bounded) until the journal in `dir` records an order other than
/// `old`, while `child` runs.
fn wait_for_new_order(dir: &Path, old: &str, child: &mut std::process::Child) -> String {
    let give_up = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("order.json"))
            && let Ok(j) = serde_json::from_str::<Value>(&text)
            && let Some(id) = j["order_id"].as_str()
            && id != old
        {
            return id.to_owned();
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("renew exited ({status}) before recording a new order");
        }
        assert!(Instant::now() < give_up, "no new order recorded in 60 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A first certificate from a sandbox issuing one-minute certificates,
/// then the sandbox restarted on the same state with `args` (90-day
/// certificates, manual approval): the certificate is due by `--days 1`,
/// and its renewal will not be.
fn due_certificate_then(tmp: &Path, domain: &str, args: &[&str]) -> SandboxProcess {
    let state = tmp.join("sandbox.json");
    let s = state.to_str().unwrap().to_owned();
    let sb = SandboxProcess::start(&["--cert-lifetime", "60s", "--state", &s]);
    run_expect(apply(&sb, tmp).args(["-d", domain, "--wait"]), 0);
    let addr = sb.addr().to_owned();
    sb.stop();
    let mut all = vec!["--listen", &addr, "--state", &s];
    all.extend(args);
    SandboxProcess::start(&all)
}

/// Must show: while one `renew` holds a directory (its order waiting for
/// the CA), a second exits 4 at once and one with --lock-timeout waits,
/// then finds the certificate renewed and orders nothing.
#[test]
fn a_second_concurrent_renew_orders_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = due_certificate_then(tmp.path(), "twice.example.com", &["--approve", "manual"]);
    let dir = tmp.path().join("twice.example.com");
    let first_order = journal(&dir)["order_id"].as_str().unwrap().to_owned();
    let mut first = renew(&sb, tmp.path())
        .args(["twice.example.com", "--days", "1", "--wait-timeout", "5m"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = wait_for_new_order(&dir, &first_order, &mut first);
    assert_eq!(stats(&sb)["orders_created"], 2);

    // At once: exit 4, naming the holder; nothing ordered.
    let (out, err) = run_expect(
        renew(&sb, tmp.path()).args(["twice.example.com", "--days", "1"]),
        4,
    );
    assert!(
        err.contains("in use by pid") || out.contains("in use by pid"),
        "{out}{err}"
    );
    // Waiting: it waits for the first, then finds nothing due.
    let second = renew(&sb, tmp.path())
        .args(["twice.example.com", "--days", "1", "--lock-timeout", "5m"])
        .args(["--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first holds the lock until its order is approved, so the second
    // cannot decide before the first has installed its certificate.
    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let first = first.wait_with_output().unwrap();
    assert_eq!(first.status.code(), Some(0));
    let second = second.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{out}");
    let doc = json(&out);
    assert_eq!(doc["certificates"][0]["outcome"], "not_due", "{doc}");
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 2, "{st}");
    assert_eq!(count(&st, CREATE), 1, "one Create since the restart: {st}");
}

/// Must show: a renewal whose validation fails leaves the old certificate
/// serving, exits 3, and runs the post hook with the directory in
/// CSRKIT_FAILED.
#[test]
fn a_failed_renewal_keeps_the_old_certificate_and_runs_the_post_hook() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = due_certificate_then(tmp.path(), "fails.example.com", &["--approve", "manual"]);
    let dir = tmp.path().join("fails.example.com");
    let old_order = journal(&dir)["order_id"].as_str().unwrap().to_owned();
    let before: Vec<Vec<u8>> = ["cert.pem", "privkey.pem", "combined.pem"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    let (post, post_log) = recording_script(tmp.path(), "post", 0);
    let (deploy, deploy_log) = recording_script(tmp.path(), "deploy", 0);
    let mut child = renew(&sb, tmp.path())
        .args([
            "--days",
            "1",
            "--post-hook",
            &post,
            "--deploy-hook",
            &deploy,
            "--wait-timeout",
            "5m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = wait_for_new_order(&dir, &old_order, &mut child);
    sb.post(&format!("/_sandbox/orders/{id}/fail"));
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(3), "{stdout}{stderr}");
    assert!(
        stdout.contains("fails.example.com: failed: validation failed"),
        "{stdout}"
    );
    let after: Vec<Vec<u8>> = ["cert.pem", "privkey.pem", "combined.pem"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).unwrap())
        .collect();
    assert_eq!(before, after, "the old certificate and key still serve");
    assert_eq!(
        std::fs::read_link(dir.join("current")).unwrap(),
        Path::new("generations/1")
    );
    let posts = runs(&post_log);
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0]["CSRKIT_FAILED"], abs(&dir).as_str());
    assert_eq!(posts[0]["CSRKIT_RENEWED"], "");
    assert!(
        runs(&deploy_log).is_empty(),
        "no certificate, no deploy hook"
    );

    // The next run places a new order (the failed one is retired) and
    // succeeds; the post hook now lists it as renewed.
    let mut next = renew(&sb, tmp.path())
        .args(["--days", "1", "--wait-timeout", "5m"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let again = wait_for_new_order(&dir, &id, &mut next);
    sb.post(&format!("/_sandbox/orders/{again}/approve"));
    assert_eq!(next.wait().unwrap().code(), Some(0));
    let posts = runs(&post_log);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[1]["CSRKIT_RENEWED"], abs(&dir).as_str());
    assert_eq!(posts[1]["CSRKIT_FAILED"], "");
    assert_eq!(runs(&deploy_log).len(), 1);
    let j = journal(&dir);
    assert!(
        j["previous_orders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["order_id"] == id.as_str() && p["last_state"] == "verify_fail"),
        "{j}"
    );
}

/// Exit 5 when some certificates failed and others were renewed: one
/// directory's product has no quota left (nothing is sent for it but the
/// quota check), the other is renewed; one post hook run lists both.
#[test]
fn some_renewed_some_failed_exits_5_with_a_line_each() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = SandboxProcess::start(&[
        "--quota",
        "digicert-free-1-free=10",
        "--quota",
        "symantec-free-1-free=1",
    ]);
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "ok.example.com", "--wait"]),
        0,
    );
    run_expect(
        apply(&sb, tmp.path()).args([
            "-d",
            "broke.example.com",
            "--wait",
            "--product-code",
            "symantec-free-1-free",
        ]),
        0,
    );
    let (post, log) = recording_script(tmp.path(), "post", 0);
    let broke = tmp.path().join("broke.example.com");
    let cert = std::fs::read(broke.join("cert.pem")).unwrap();
    let (out, _) = run_expect(
        renew(&sb, tmp.path()).args(["--force", "--post-hook", &post, "--format", "json"]),
        5,
    );
    let doc = json(&out);
    let by_dir = |name: &str| {
        doc["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["dir"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("{name} missing: {doc}"))
            .clone()
    };
    assert_eq!(by_dir("ok.example.com")["outcome"], "renewed");
    let b = by_dir("broke.example.com");
    assert_eq!(b["outcome"], "failed");
    assert_eq!(b["exit_code"], 3);
    assert!(
        b["error"].as_str().unwrap().contains("no quota left"),
        "{b}"
    );
    assert_eq!(doc["summary"]["renewed"], 1);
    assert_eq!(doc["summary"]["failed"], 1);
    assert_eq!(doc["exit_code"], 5);
    assert_eq!(std::fs::read(broke.join("cert.pem")).unwrap(), cert);
    let posts = runs(&log);
    assert_eq!(
        posts.len(),
        1,
        "one post hook run for the whole run: {posts:?}"
    );
    assert_eq!(
        posts[0]["CSRKIT_RENEWED"],
        abs(&tmp.path().join("ok.example.com")).as_str()
    );
    assert_eq!(posts[0]["CSRKIT_FAILED"], abs(&broke).as_str());
    assert_eq!(doc["post_hooks"][0]["ok"], true);
}

/// A deploy hook that fails is reported with its stderr and exits 2; the
/// renewal stands; the next (not due) run tries the hook again until it
/// succeeds, and then never again. --run-hooks runs it on demand.
#[test]
fn a_failing_deploy_hook_fails_the_run_keeps_the_renewal_and_runs_again() {
    let sb = SandboxProcess::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "hook.example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("hook.example.com");
    let (bad, bad_log) = recording_script(tmp.path(), "bad", 7);
    let (out, err) = run_expect(
        renew(&sb, tmp.path()).args(["--force", "--deploy-hook", &bad]),
        2,
    );
    assert!(out.contains("hook.example.com: renewed"), "{out}");
    assert!(out.contains("exit status 7"), "{out}");
    assert!(err.contains("bad complains"), "its stderr is shown: {err}");
    assert_eq!(journal(&dir)["current"], 2, "the renewal stands");
    assert_eq!(runs(&bad_log).len(), 1);
    // Not due, but the hook of generation 2 has not succeeded: run again.
    let (out, _) = run_expect(&mut renew(&sb, tmp.path()), 2);
    assert!(out.contains("not due"), "{out}");
    assert_eq!(runs(&bad_log).len(), 2);
    // Fixed: it runs once more and is done.
    let (good, good_log) = recording_script(tmp.path(), "good", 0);
    run_expect(renew(&sb, tmp.path()).args(["--deploy-hook", &good]), 0);
    assert_eq!(runs(&good_log).len(), 1);
    assert_eq!(
        runs(&good_log)[0]["CSRKIT_CERT_ID"],
        journal(&dir)["generations"][1]["cert_id"]
    );
    run_expect(&mut renew(&sb, tmp.path()), 0);
    assert_eq!(runs(&good_log).len(), 1, "done once: not again");
    // --run-hooks: on demand, no order.
    let (out, _) = run_expect(renew(&sb, tmp.path()).arg("--run-hooks"), 0);
    assert!(out.contains("deploy hook ran"), "{out}");
    assert_eq!(runs(&good_log).len(), 2);
    assert_eq!(stats(&sb)["orders_created"], 2);
}

/// Nothing due, or nothing there: exit 0 without credentials, without
/// an endpoint and without a random delay; --dry-run sends and writes
/// nothing; a foreign order.json is not a certificate directory.
#[test]
fn nothing_due_needs_no_credentials_and_a_dry_run_changes_nothing() {
    let empty = tempfile::tempdir().unwrap();
    let run = super::api::run(
        super::api::isolate(&mut super::util::csrkit(), empty.path())
            .current_dir(empty.path())
            .args(["renew", "--format", "json"]),
    )
    .expect_code(0);
    let doc = json(&run.stdout);
    assert_eq!(doc["certificates"], serde_json::json!([]));

    let sb = SandboxProcess::start(&[]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "calm.example.com", "--wait"]),
        0,
    );
    std::fs::create_dir(tmp.path().join("shop")).unwrap();
    std::fs::write(tmp.path().join("shop/order.json"), "{\"items\": [1]}").unwrap();
    // No endpoint, no credentials, stdin not a terminal and no
    // --no-random-sleep: nothing is due, so none is needed.
    let run = super::api::run(
        super::api::isolate(&mut super::util::csrkit(), empty.path())
            .current_dir(tmp.path())
            .arg("renew"),
    )
    .expect_code(0);
    assert!(
        run.stdout
            .contains("calm.example.com: not due (89 days left)"),
        "{}",
        run.both()
    );
    assert!(!run.stdout.contains("shop"), "{}", run.both());
    assert!(
        !run.stderr.contains("sleeping"),
        "no random delay when nothing is due: {}",
        run.both()
    );

    let dir = tmp.path().join("calm.example.com");
    let journal_before = std::fs::read(dir.join("order.json")).unwrap();
    let before = stats(&sb);
    let (out, _) = run_expect(
        renew(&sb, tmp.path()).args(["--force", "--dry-run", "--format", "json"]),
        0,
    );
    let doc = json(&out);
    assert_eq!(doc["certificates"][0]["outcome"], "would_renew", "{doc}");
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        std::fs::read(dir.join("order.json")).unwrap(),
        journal_before
    );
    let st = stats(&sb);
    assert_eq!(
        st["requests"], before["requests"],
        "a dry run sends nothing"
    );
    assert_eq!(st["orders_created"], 1);
}

/// A renewal stopped anywhere is resumed, never placed again: validated by
/// hand, a renewal prints the record and exits 4 (no unattended wait), and
/// the next runs follow the same order; `kill -9` while one waits for the
/// CA, then a bare `renew`, installs that same order.
#[test]
fn an_unfinished_renewal_is_resumed_never_placed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = due_certificate_then(tmp.path(), "again.example.com", &["--approve", "manual"]);
    let dir = tmp.path().join("again.example.com");
    let first = journal(&dir)["order_id"].as_str().unwrap().to_owned();
    let (out, err) = run_expect(renew(&sb, tmp.path()).args(["--days", "1"]), 4);
    assert!(
        err.contains("_dnsauth.again.example.com"),
        "the record is shown: {err}"
    );
    assert!(out.contains("validated by hand"), "{out}");
    let order = journal(&dir)["order_id"].as_str().unwrap().to_owned();
    assert_ne!(order, first);
    // Again, without --days: the unfinished order makes it due, and it is
    // the same order.
    let (out, _) = run_expect(&mut renew(&sb, tmp.path()), 4);
    assert!(out.contains("failed"), "{out}");
    assert_eq!(journal(&dir)["order_id"], order.as_str());
    assert_eq!(stats(&sb)["orders_created"], 2);

    // Waiting for the CA, killed.
    let looked = count(&stats(&sb), "DescribeCertificateState");
    let mut child = renew(&sb, tmp.path())
        .args(["--wait-timeout", "5m"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let give_up = Instant::now() + Duration::from_secs(60);
    while count(&stats(&sb), "DescribeCertificateState") <= looked {
        assert!(Instant::now() < give_up, "renew never looked at the order");
        assert!(child.try_wait().unwrap().is_none(), "renew ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    sb.post(&format!("/_sandbox/orders/{order}/approve"));
    let (out, _) = run_expect(&mut renew(&sb, tmp.path()), 0);
    assert!(
        out.contains("again.example.com: renewed (an earlier run's order is unfinished)"),
        "{out}"
    );
    let j = journal(&dir);
    assert_eq!(j["generations"][1]["order_id"], order.as_str());
    assert_eq!(j["current"], 2);
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 2, "{st}");
    assert_eq!(count(&st, CREATE), 1, "{st}");
}

/// Deployment targets recorded by `apply --deploy-to` are deployed after
/// the first certificate and after every renewal (the resource serves the
/// new certificate); a deployment that ends in error is reported like a
/// failed hook (exit 3, the renewal stands) and tried again by the next
/// run.
#[test]
fn recorded_deployment_targets_get_every_renewed_certificate() {
    let sb = SandboxProcess::start(&[
        "--resource",
        "cdn:cdn.example.com",
        "--resource",
        "waf:waf.example.com:fail",
        "--deploy-after",
        "0",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let (out, _) = run_expect(
        apply(&sb, tmp.path()).args([
            "-d",
            "cdn.example.com",
            "--wait",
            "--deploy-to",
            "cdn:cdn.example.com",
            "--format",
            "json",
        ]),
        0,
    );
    assert_eq!(json(&out)["deployment"]["ok"], true, "{out}");
    let first = sb.served()["cdn.example.com"].expect("the CDN serves the first certificate");
    let (out, _) = run_expect(
        renew(&sb, tmp.path()).args(["--force", "--format", "json"]),
        0,
    );
    let c = &json(&out)["certificates"][0];
    assert_eq!(c["outcome"], "renewed");
    assert_eq!(c["deployment"]["ok"], true, "{c}");
    let second = sb.served()["cdn.example.com"].unwrap();
    assert_ne!(second, first, "the CDN serves the renewed certificate");
    assert_eq!(
        json(&std::fs::read_to_string(tmp.path().join("cdn.example.com/deploy.json")).unwrap())
            ["jobs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // A target whose job ends in error: exit 3, renewed all the same.
    let (out, _) = run_expect(
        renew(&sb, tmp.path()).args(["--force", "--deploy-to", "waf:waf.example.com"]),
        3,
    );
    assert!(out.contains("cdn.example.com: renewed"), "{out}");
    assert!(
        out.contains("WAF:waf.example.com"),
        "the resource is named: {out}"
    );
    assert_eq!(journal(&tmp.path().join("cdn.example.com"))["current"], 3);
    let jobs = |sb: &SandboxProcess| count(&stats(sb), "CreateDeploymentJob");
    let before = jobs(&sb);
    // Not due, but the deployment of generation 3 has not succeeded: the
    // next run tries it again (and fails again: the resource always does).
    run_expect(&mut renew(&sb, tmp.path()), 3);
    assert_eq!(jobs(&sb), before + 1);
    // The target removed: nothing is left to do.
    run_expect(renew(&sb, tmp.path()).args(["--deploy-to", ""]), 0);
    run_expect(&mut renew(&sb, tmp.path()), 0);
    assert_eq!(jobs(&sb), before + 1);
}
