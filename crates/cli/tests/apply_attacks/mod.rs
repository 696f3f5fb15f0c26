//! Issue 10: `apply` under an unkind user. Each test is one of the
//! reproductions in `shared/reference/attack-apply/` (or a Must-show item of
//! the issue) run against a real sandbox process, with the sandbox's
//! `orders_created` and quota counters as the oracle for money spent.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::util::proxy::{Mode, Proxy, Release};
use super::util::{SandboxProcess, csrkit, openssl};
use super::{
    CREATE, PRODUCT, api, apply, count, journal, json, order_id_of, quota_used, run_expect, stats,
};

/// A sandbox process (`args`) behind a loopback [`Proxy`] that accepts the
/// proxy's address as its host.
fn behind_proxy(args: &[&str]) -> (SandboxProcess, Proxy) {
    let proxy = Proxy::bind();
    let mut all = args.to_vec();
    all.extend(["--public-host", proxy.host()]);
    let sb = SandboxProcess::start(&all);
    proxy.forward_to(&sb.url);
    (sb, proxy)
}

/// `csrkit apply ARGS…` through `endpoint`, in `cwd`, with the contact.
fn apply_at(sb: &SandboxProcess, endpoint: &str, cwd: &Path) -> Command {
    let mut cmd = apply(sb, cwd);
    cmd.env("CSRKIT_ENDPOINT", endpoint);
    cmd
}

fn spawn(cmd: &mut Command) -> Child {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (bounded) for a child to end; returns its exit code and stderr.
fn finish(mut child: Child) -> (Option<i32>, String) {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            return (status.code(), err);
        }
        assert!(Instant::now() < give_up, "the command did not end in 120 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A sandbox with manual approval that keeps its state in `dir/sb.json`,
/// with these faults (`ACTION=KIND[:COUNT]`).
fn sandbox_with_state(dir: &Path, faults: &[&str]) -> SandboxProcess {
    let state = dir.join("sb.json");
    let mut args = vec!["--approve", "manual", "--state", state.to_str().unwrap()];
    for f in faults {
        args.extend(["--fault", f]);
    }
    SandboxProcess::start(&args)
}

/// The same sandbox (address and state: journals record the endpoint)
/// started again without faults.
fn restart_without_faults(sb: SandboxProcess, dir: &Path) -> SandboxProcess {
    let addr = sb.addr().to_owned();
    sb.stop();
    let state = dir.join("sb.json");
    SandboxProcess::start(&[
        "--approve",
        "manual",
        "--state",
        state.to_str().unwrap(),
        "--listen",
        &addr,
    ])
}

/// `csrkit generate -d DOMAIN --out-dir DIR` in `cwd`.
fn generate_into(cwd: &Path, domain: &str, dir: &str) {
    run_expect(
        csrkit()
            .current_dir(cwd)
            .args(["generate", "-d", domain, "--out-dir", dir]),
        0,
    );
}

/// An order for `domain` placed, approved and its certificate saved (a
/// sandbox with manual approval); the directory and the order id.
fn issued(sb: &SandboxProcess, cwd: &Path, domain: &str) -> (std::path::PathBuf, String) {
    run_expect(apply(sb, cwd).args(["-d", domain]), 0);
    let dir = cwd.join(domain);
    let id = order_id_of(&dir);
    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    run_expect(apply(sb, cwd).args(["--out-dir", domain]), 0);
    assert!(dir.join("cert.pem").exists());
    (dir, id)
}

/// The public key of a certificate or key file, as openssl prints it.
fn pubkey_of_cert(path: &Path) -> String {
    openssl(&["x509", "-in", path.to_str().unwrap(), "-noout", "-pubkey"])
}
fn pubkey_of_key(path: &Path) -> String {
    openssl(&["pkey", "-in", path.to_str().unwrap(), "-pubout"])
}

/// The invariant of a certificate directory: a cert.pem sits only next to
/// the privkey.pem it was issued for.
fn assert_cert_matches_key(dir: &Path) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("privkey.pem"));
    if cert.exists() && key.exists() {
        assert_eq!(
            pubkey_of_cert(&cert),
            pubkey_of_key(&key),
            "cert.pem does not match privkey.pem in {}",
            dir.display()
        );
    }
}

/// Must show: four `apply` at once on one generated directory: one Create,
/// one unit, and the other three exit 4 at once naming the holder.
#[test]
fn four_concurrent_applies_place_one_order_and_the_others_name_the_holder() {
    let (sb, proxy) = behind_proxy(&["--approve", "manual"]);
    // The holder is held at its quota check, so it cannot finish before
    // the others have tried the lock.
    proxy.set("DescribePackageState", Mode::Hold);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["generate", "-d", "race.example.com"]),
        0,
    );
    let children: Vec<Child> = (0..4)
        .map(|_| {
            spawn(apply_at(&sb, &proxy.url, tmp.path()).args(["--out-dir", "race.example.com"]))
        })
        .collect();
    proxy.wait_held(1);
    // Three end on their own; the holder waits on the proxy.
    let mut waiting: Vec<Child> = children;
    let mut refused = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(60);
    while refused.len() < 3 {
        assert!(Instant::now() < give_up, "the refused commands did not end");
        let mut i = 0;
        while i < waiting.len() {
            if waiting[i].try_wait().unwrap().is_some() {
                refused.push(finish(waiting.remove(i)));
            } else {
                i += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(waiting.len(), 1, "one command holds the directory");
    let holder = waiting.pop().unwrap();
    let holder_pid = holder.id();
    for (code, stderr) in &refused {
        assert_eq!(*code, Some(4), "{stderr}");
        assert!(
            stderr.contains(&format!(
                "is in use by pid {holder_pid} (csrkit apply --out-dir race.example.com)"
            )) && stderr.contains("--lock-timeout"),
            "{stderr}"
        );
    }
    proxy.release(Release::Proceed);
    let (code, stderr) = finish(holder);
    assert_eq!(code, Some(0), "{stderr}");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1, "{st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
}

/// A lock whose holder was killed blocks nobody; `--lock-timeout` waits for
/// a live holder instead of exiting 4.
#[test]
fn a_killed_holder_blocks_nobody_and_lock_timeout_waits() {
    let (sb, proxy) = behind_proxy(&["--approve", "manual"]);
    proxy.set("DescribePackageState", Mode::Hold);
    let tmp = tempfile::tempdir().unwrap();
    let mut first = spawn(apply_at(&sb, &proxy.url, tmp.path()).args(["-d", "lock.example.com"]));
    proxy.wait_held(1);
    first.kill().unwrap();
    first.wait().unwrap();
    proxy.release(Release::Drop);
    assert!(tmp.path().join("lock.example.com/.lock").exists());
    proxy.rearm();

    // The lock file of the dead holder is still there: no matter.
    let second = spawn(apply_at(&sb, &proxy.url, tmp.path()).args(["-d", "lock.example.com"]));
    proxy.wait_held(1);
    // generate has no waiting flag: it is refused at once, told to run again.
    let (_, err) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["generate", "-d", "lock.example.com", "--force"]),
        4,
    );
    assert!(
        err.contains("is in use by pid")
            && err.contains("run this again")
            && !err.contains("--lock-timeout"),
        "{err}"
    );
    // A third waits for it, then resumes its order.
    let third = spawn(apply_at(&sb, &proxy.url, tmp.path()).args([
        "-d",
        "lock.example.com",
        "--lock-timeout",
        "5m",
    ]));
    proxy.release(Release::Proceed);
    let (code, err) = finish(second);
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = finish(third);
    assert_eq!(code, Some(0), "{err}");
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1, "{st}");
    assert_eq!(st["orders_created"], 1, "{st}");
}

/// Must show: directory A's Create has an unknown outcome and the order
/// list is down; directory B then orders the same domain; A's re-run finds
/// B's order, sees that its CSR is not A's, and places A's own.
#[test]
fn a_directory_never_adopts_another_directorys_order_for_the_same_domain() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = sandbox_with_state(
        tmp.path(),
        &[
            "CreateCertificateWithCsrRequest=drop-before",
            "ListUserCertificateOrder=error503:all",
        ],
    );
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["-d", "same.example.com", "--out-dir", "a"]),
        4,
    );
    assert!(err.contains("safe to re-run"), "{err}");
    assert_eq!(
        journal(&tmp.path().join("a"))["submission"]["outcome"],
        "unknown"
    );
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "same.example.com", "--out-dir", "b"]),
        0,
    );
    let b = order_id_of(&tmp.path().join("b"));
    let sb = restart_without_faults(sb, tmp.path());
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "same.example.com", "--out-dir", "a"]),
        0,
    );
    let a = order_id_of(&tmp.path().join("a"));
    assert_ne!(a, b, "directory a adopted directory b's order");
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 2, "{st}");
    // a's order carries a's CSR (the sandbox's record, through the client).
    let client = api::client(&sb.url);
    let detail = api::rt()
        .block_on(client.get_instance_detail(&format!("cas-ivauto-{a}")))
        .unwrap();
    let csr = std::fs::read_to_string(tmp.path().join("a/request.csr")).unwrap();
    let unix = |s: &str| s.replace('\r', "").trim().to_owned();
    assert_eq!(detail.csr.as_deref().map(unix), Some(unix(&csr)));
}

/// attack-apply 01: `--new-order` after a Create of unknown outcome
/// reconciles first; the order that Create made is kept in
/// `previous_orders` and warned about, never forgotten.
#[test]
fn attack_01_new_order_after_an_unknown_outcome_keeps_the_first_order() {
    let tmp = tempfile::tempdir().unwrap();
    let sb = sandbox_with_state(
        tmp.path(),
        &[
            "CreateCertificateWithCsrRequest=drop-after:1",
            "ListUserCertificateOrder=error503:all",
        ],
    );
    run_expect(apply(&sb, tmp.path()).args(["-d", "example.com"]), 4);
    let sb = restart_without_faults(sb, tmp.path());
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--new-order"]),
        0,
    );
    let (stdout, _) = run_expect(sb.csrkit().args(["orders", "--format", "json"]), 0);
    let orders = json(&stdout)["orders"].as_array().unwrap().clone();
    assert_eq!(orders.len(), 2, "{orders:?}");
    let j = journal(&tmp.path().join("example.com"));
    let current = j["order_id"].as_str().unwrap();
    let first = orders
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .find(|id| *id != current)
        .unwrap();
    assert_eq!(j["previous_orders"][0]["order_id"], first, "{j}");
    assert!(
        err.contains(&format!(
            "warning: order {first} (domain_verify) still holds a unit"
        )),
        "{err}"
    );
}

/// attack-apply 02: `--new-order` forgets nothing before the new Create is
/// sent: not with `--dry-run`, not when the quota check stops it. A plain
/// resume then follows the first order, and no second one is placed.
#[test]
fn attack_02_a_new_order_that_never_went_out_forgets_nothing() {
    let sb = SandboxProcess::start(&["--approve", "manual", "--quota", "digicert-free-1-free=1"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "example.com"]), 0);
    let dir = tmp.path().join("example.com");
    let first = order_id_of(&dir);
    let before = std::fs::read(dir.join("order.json")).unwrap();
    let sent = stats(&sb)["requests"].clone();
    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--new-order", "--dry-run"]),
        0,
    );
    assert!(
        stdout.contains("CreateCertificateWithCsrRequest"),
        "{stdout}"
    );
    assert_eq!(stats(&sb)["requests"], sent, "--dry-run sent a request");
    assert_eq!(std::fs::read(dir.join("order.json")).unwrap(), before);
    // No quota for the new order: exit 3, the journal untouched.
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--new-order"]),
        3,
    );
    assert!(err.contains("no quota left"), "{err}");
    assert_eq!(std::fs::read(dir.join("order.json")).unwrap(), before);
    let (stdout, _) = run_expect(apply(&sb, tmp.path()).args(["--out-dir", "example.com"]), 0);
    assert!(
        stdout.contains(&format!("order {first}: domain_verify")),
        "{stdout}"
    );
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(count(&st, CREATE), 1, "{st}");
}

/// attack-apply 03 and item 9: a CSR replaced before the Create is refused
/// (exit 2, naming request.csr) and spends nothing; a missing contact stops
/// before anything is written; `generate --force` refuses a recorded
/// directory.
#[test]
fn attack_03_a_csr_swapped_before_the_create_spends_nothing() {
    let sb0 = SandboxProcess::start(&["--quota", "digicert-free-1-free=0"]);
    let tmp = tempfile::tempdir().unwrap();
    let mut no_contact = apply(&sb0, tmp.path());
    no_contact
        .args(["-d", "example.com"])
        .env_remove("CSRKIT_CONTACT_NAME");
    let (_, err) = run_expect(&mut no_contact, 2);
    assert!(err.contains("--contact-name"), "{err}");
    assert!(
        !tmp.path().join("example.com").exists(),
        "files written before the contact check"
    );
    assert!(
        stats(&sb0)["requests"].as_object().unwrap().is_empty(),
        "a request was sent"
    );

    // Stopped by the quota: journal and files written, nothing ordered.
    run_expect(apply(&sb0, tmp.path()).args(["-d", "example.com"]), 3);
    let dir = tmp.path().join("example.com");
    let (_, err) = run_expect(
        csrkit().current_dir(tmp.path()).args([
            "generate",
            "-d",
            "example.com",
            "--key-type",
            "rsa2048",
            "--force",
        ]),
        2,
    );
    assert!(err.contains("order.json"), "{err}");
    // Swapped by hand.
    generate_into(tmp.path(), "example.com", "other");
    std::fs::copy(
        tmp.path().join("other/request.csr"),
        dir.join("request.csr"),
    )
    .unwrap();
    let addr = sb0.addr().to_owned();
    sb0.stop();
    let sb = SandboxProcess::start(&["--listen", &addr]);
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--wait"]),
        2,
    );
    assert!(
        err.contains("request.csr") && err.contains("not the CSR the journal records"),
        "{err}"
    );
    assert_eq!(
        count(&stats(&sb), CREATE),
        0,
        "a Create went out for the wrong CSR"
    );
}

/// attack-apply 04: a key replaced after issuance is refused (exit 2,
/// naming privkey.pem) before any certificate is saved; `generate --force`
/// on the directory is refused, pointing at `apply --new-order`.
#[test]
fn attack_04_a_replaced_key_never_gets_a_certificate_that_does_not_match() {
    let sb = SandboxProcess::start(&["--approve", "auto", "--issue-after", "0"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "example.com", "--wait"]),
        0,
    );
    let dir = tmp.path().join("example.com");
    let (_, err) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["generate", "-d", "example.com", "--force"]),
        2,
    );
    assert!(err.contains("--new-order"), "{err}");
    assert_cert_matches_key(&dir);
    let cert = std::fs::read(dir.join("cert.pem")).unwrap();
    generate_into(tmp.path(), "example.com", "other");
    std::fs::copy(
        tmp.path().join("other/privkey.pem"),
        dir.join("privkey.pem"),
    )
    .unwrap();
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--wait"]),
        2,
    );
    assert!(
        err.contains("privkey.pem") && err.contains("not the key the journal records"),
        "{err}"
    );
    assert_eq!(std::fs::read(dir.join("cert.pem")).unwrap(), cert);
}

/// attack-apply 05: `--csr`/`--key` on a recorded directory are refused
/// without `--new-order`; with it the new order carries them, and the
/// certificate installed matches the new key (the old key moved aside).
#[test]
fn attack_05_csr_and_key_flags_are_used_with_new_order_or_refused() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let (dir, first) = issued(&sb, tmp.path(), "example.com");
    generate_into(tmp.path(), "example.com", "rotated");
    let rotated = |f: &str| {
        tmp.path()
            .join("rotated")
            .join(f)
            .to_str()
            .unwrap()
            .to_owned()
    };
    let (_, err) = run_expect(
        apply(&sb, tmp.path())
            .args(["--out-dir", "example.com", "--csr", &rotated("request.csr")])
            .args(["--key", &rotated("privkey.pem")]),
        2,
    );
    assert!(err.contains("--new-order"), "{err}");
    generate_into(tmp.path(), "other.example.org", "other");
    let other_csr = tmp.path().join("other/request.csr");
    run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "example.com",
            "--csr",
            other_csr.to_str().unwrap(),
        ]),
        2,
    );
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--key-type", "rsa2048"]),
        2,
    );
    assert!(
        err.contains("--key-type rsa2048") && err.contains("p256"),
        "{err}"
    );
    assert_eq!(count(&stats(&sb), CREATE), 1);

    run_expect(
        apply(&sb, tmp.path())
            .args([
                "--out-dir",
                "example.com",
                "--new-order",
                "--csr",
                &rotated("request.csr"),
            ])
            .args(["--key", &rotated("privkey.pem")]),
        0,
    );
    let second = order_id_of(&dir);
    assert_ne!(second, first);
    // Until the new certificate comes, the old pair stays, and matches.
    assert_cert_matches_key(&dir);
    sb.post(&format!("/_sandbox/orders/{second}/approve"));
    run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--wait"]),
        0,
    );
    assert_eq!(
        pubkey_of_cert(&dir.join("cert.pem")),
        pubkey_of_key(Path::new(&rotated("privkey.pem")))
    );
    assert!(
        !dir.join("privkey.pem").exists(),
        "the old key still sits next to the new certificate"
    );
    assert_cert_matches_key(&dir);
    assert_eq!(count(&stats(&sb), CREATE), 2);
}

/// `--new-order --key-type`: the new key and CSR wait in `generations/2/`
/// while generation 1 keeps serving; a second new key while the first waits
/// goes into `generations/3/` and never replaces generation 2's files; when
/// the certificate comes, `current` switches to its generation, and at no
/// point does cert.pem sit next to a key it does not match.
#[test]
fn new_order_with_a_new_key_never_leaves_a_mismatched_pair() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    let (dir, first) = issued(&sb, tmp.path(), "renew.example.com");
    let old_key = pubkey_of_key(&dir.join("privkey.pem"));
    assert_current(&dir, 1);

    run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "renew.example.com",
            "--new-order",
            "--key-type",
            "rsa2048",
        ]),
        0,
    );
    assert_cert_matches_key(&dir);
    assert_current(&dir, 1);
    let gen2 = dir.join("generations/2");
    assert!(gen2.join("privkey.pem").exists() && gen2.join("request.csr").exists());
    assert!(!gen2.join("cert.pem").exists());
    let j = journal(&dir);
    assert_eq!(j["files"]["key"], "generations/2/privkey.pem", "{j}");
    let second = order_id_of(&dir);
    let gen2_key = std::fs::read(gen2.join("privkey.pem")).unwrap();

    // A second new key while the first waits for its certificate: the next
    // generation; the waiting one's files are never replaced.
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "renew.example.com",
            "--new-order",
            "--key-type",
            "p384",
        ]),
        0,
    );
    assert!(
        err.contains(&format!(
            "order {second} (domain_verify) still holds a unit"
        )),
        "{err}"
    );
    assert_eq!(std::fs::read(gen2.join("privkey.pem")).unwrap(), gen2_key);
    let third = order_id_of(&dir);
    assert_ne!(third, second);
    assert_eq!(journal(&dir)["files"]["key"], "generations/3/privkey.pem");
    assert_current(&dir, 1);
    assert_cert_matches_key(&dir);

    sb.post(&format!("/_sandbox/orders/{third}/approve"));
    run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "renew.example.com", "--wait"]),
        0,
    );
    assert_cert_matches_key(&dir);
    assert_current(&dir, 3);
    let text = openssl(&[
        "x509",
        "-in",
        dir.join("cert.pem").to_str().unwrap(),
        "-noout",
        "-text",
    ]);
    assert!(text.contains("P-384"), "{text}");
    // Generation 1 is whole and keeps its key.
    let gen1 = dir.join("generations/1");
    assert_eq!(pubkey_of_key(&gen1.join("privkey.pem")), old_key);
    assert_cert_matches_key(&gen1);
    let j = journal(&dir);
    assert_eq!(j["files"]["key"], "privkey.pem", "{j}");
    let generations: Vec<(u64, &str)> = j["generations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["number"].as_u64().unwrap(),
                g["order_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(generations, [(1, first.as_str()), (3, third.as_str())]);
    assert_eq!(j["current"], 3);
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 3, "{st}");
    assert_eq!(st["orders_created"], 3, "{st}");
}

/// `DIR/current` points at `generations/N`.
fn assert_current(dir: &Path, n: u32) {
    assert_eq!(
        std::fs::read_link(dir.join("current")).unwrap(),
        Path::new("generations").join(n.to_string()),
        "current in {}",
        dir.display()
    );
}

/// attack-apply 06 and 10(f): `--new-order` keeps the recorded product code
/// and validation type; a resume after `cancel --delete` says to use
/// `--new-order`.
#[test]
fn attack_06_new_order_keeps_the_recorded_plan() {
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--quota",
        "geotrust-dv-1-starter=5",
        "--quota",
        "digicert-free-1-free=20",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "example.com", "--validate-type", "file"])
            .args([
                "--product-code",
                "geotrust-dv-1-starter",
                "--tag",
                "team=web",
            ]),
        0,
    );
    let dir = tmp.path().join("example.com");
    let id = order_id_of(&dir);
    sb.post(&format!("/_sandbox/orders/{id}/fail"));
    run_expect(apply(&sb, tmp.path()).args(["--out-dir", "example.com"]), 3);
    run_expect(
        sb.csrkit().args(["cancel", "--order-id", &id, "--delete"]),
        0,
    );
    let (_, err) = run_expect(apply(&sb, tmp.path()).args(["--out-dir", "example.com"]), 3);
    assert!(
        err.contains(&format!("order {id} no longer exists"))
            && err.contains("--out-dir example.com --new-order"),
        "{err}"
    );
    run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--new-order"]),
        0,
    );
    let j = journal(&dir);
    assert_eq!(j["product_code"], "geotrust-dv-1-starter", "{j}");
    assert_eq!(j["validate_type"], "FILE", "{j}");
    assert_eq!(j["tags"][0]["key"], "team", "{j}");
    let st = stats(&sb);
    assert_eq!(st["quota"]["geotrust-dv-1-starter"]["used"], 1, "{st}");
    assert_eq!(st["quota"][PRODUCT]["used"], 0, "{st}");
    let log = sb.get_json("/_sandbox/requests").to_string();
    assert!(
        log.contains("Tags.1.Key=team"),
        "the recorded tag was not sent again"
    );
}

/// attack-apply 08: `--dry-run` sends nothing and writes nothing, offline
/// too, and under `--format json` prints one document.
#[test]
fn attack_08_dry_run_sends_nothing_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let mut offline = csrkit();
    offline
        .current_dir(tmp.path())
        .env("CSRKIT_ENDPOINT", api::REFUSED_URL)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", super::util::SANDBOX_KEY_ID)
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            super::util::SANDBOX_SECRET,
        )
        .args([
            "apply",
            "-d",
            "offline.example.com",
            "--dry-run",
            "--format",
            "json",
        ]);
    super::with_contact(&mut offline);
    let (stdout, _) = run_expect(&mut offline, 0);
    let doc = json(&stdout);
    assert_eq!(doc["schema"], "csrkit.dry-run/1");
    let actions: Vec<&str> = doc["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["DescribePackageState", CREATE]);
    assert!(stdout.contains("Signature=** redacted **"), "{stdout}");
    assert!(
        !tmp.path().join("offline.example.com").exists(),
        "--dry-run wrote files"
    );
    // The in-process sandbox is not started either (it would write its
    // state into the directory).
    let (stdout, _) = run_expect(
        csrkit().current_dir(tmp.path()).args([
            "apply",
            "--sandbox",
            "-d",
            "sbx.example.com",
            "--dry-run",
        ]),
        0,
    );
    assert!(
        stdout.contains("x-acs-action: CreateCertificateWithCsrRequest"),
        "{stdout}"
    );
    assert!(
        !tmp.path().join("sbx.example.com").exists(),
        "--dry-run wrote files"
    );

    let sb = SandboxProcess::start(&["--approve", "manual"]);
    run_expect(apply(&sb, tmp.path()).args(["-d", "example.com"]), 0);
    let dir = tmp.path().join("example.com");
    sb.post(&format!("/_sandbox/orders/{}/approve", order_id_of(&dir)));
    let listing = |d: &Path| {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    let files_before = listing(&dir);
    let journal_before = std::fs::read(dir.join("order.json")).unwrap();
    let sent = stats(&sb)["requests"].clone();
    run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--dry-run", "--wait"]),
        0,
    );
    let (stdout, _) = run_expect(
        sb.csrkit().current_dir(tmp.path()).args([
            "status",
            "example.com",
            "--dry-run",
            "--format",
            "json",
        ]),
        0,
    );
    assert_eq!(
        json(&stdout)["requests"][0]["action"],
        "DescribeCertificateState"
    );
    let (stdout, _) = run_expect(
        sb.csrkit().args(["quota", "--dry-run", "--format", "json"]),
        0,
    );
    assert_eq!(json(&stdout)["schema"], "csrkit.dry-run/1");
    let (stdout, _) = run_expect(
        sb.csrkit().args([
            "cancel",
            "--order-id",
            "1",
            "--delete",
            "--dry-run",
            "--format",
            "json",
        ]),
        0,
    );
    assert_eq!(json(&stdout)["requests"].as_array().unwrap().len(), 2);
    assert_eq!(stats(&sb)["requests"], sent, "a dry run sent a request");
    assert_eq!(listing(&dir), files_before);
    assert_eq!(
        std::fs::read(dir.join("order.json")).unwrap(),
        journal_before
    );
}

/// attack-apply 09: a middlebox delivers the first Create twice; the
/// service makes the order and answers the copy `SignatureNonceUsed`. That
/// is an unknown outcome, not a refusal: the order is found by its attempt
/// tag and no second one is placed.
#[test]
fn attack_09_a_replayed_create_settles_into_one_order() {
    let (sb, proxy) = behind_proxy(&["--approve", "manual"]);
    proxy.set(CREATE, Mode::Duplicate);
    let tmp = tempfile::tempdir().unwrap();
    let (_, err) = run_expect(
        apply_at(&sb, &proxy.url, tmp.path()).args(["-d", "example.com"]),
        0,
    );
    assert!(
        err.contains("SignatureNonceUsed") && err.contains("found order"),
        "{err}"
    );
    let replies: Vec<(String, u16)> = proxy
        .log()
        .into_iter()
        .filter(|(a, _)| a == CREATE)
        .collect();
    assert_eq!(
        replies,
        [(CREATE.to_owned(), 200), (CREATE.to_owned(), 400)]
    );
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 1, "{st}");
    assert_eq!(quota_used(&st), 1, "{st}");
    let j = journal(&tmp.path().join("example.com"));
    assert_eq!(j["submission"]["attempts"], 1, "{j}");
    let (stdout, _) = run_expect(sb.csrkit().args(["orders", "--format", "json"]), 0);
    assert_eq!(json(&stdout)["orders"][0]["order_id"], j["order_id"]);
}

/// attack-apply 10: the smaller items.
#[test]
fn attack_10_smaller_items() {
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(apply(&sb, tmp.path()).args(["-d", "example.com"]), 0);
    // (a) a huge --wait-timeout is a usage error, not a panic.
    for huge in [
        "9223372036854775807",
        "300000000000000000h",
        "5124095576030432h",
        "367d",
    ] {
        let (_, err) = run_expect(
            apply(&sb, tmp.path()).args([
                "--out-dir",
                "example.com",
                "--wait",
                "--wait-timeout",
                huge,
            ]),
            2,
        );
        assert!(err.contains("too long"), "{huge}: {err}");
    }
    // (b) a token wrapped over two lines: exit 2 naming the variable.
    let tok = tmp.path().join("tok.txt");
    std::fs::write(
        &tok,
        "CAIS+gF1q6Ft5B2yfSjIr5bHKsj8h\nMdXZhAO0dv/4wnWxY7f4TlrhJQ==\n",
    )
    .unwrap();
    let (_, err) = run_expect(
        sb.csrkit()
            .env("ALIBABA_CLOUD_SECURITY_TOKEN_FILE", &tok)
            .arg("quota"),
        2,
    );
    assert!(err.contains("ALIBABA_CLOUD_SECURITY_TOKEN(_FILE)"), "{err}");
    assert!(!err.contains("MdXZhAO0dv"), "{err}");
    // (c) a key without a CSR: the advice is --key, which apply has.
    let k = tmp.path().join("k.example.com");
    std::fs::create_dir(&k).unwrap();
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        k.join("privkey.pem").to_str().unwrap(),
    ]);
    let (_, err) = run_expect(apply(&sb, tmp.path()).args(["-d", "k.example.com"]), 2);
    assert!(
        err.contains("--key k.example.com/privkey.pem") && !err.contains("--force"),
        "{err}"
    );
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "k.example.com", "--key", "k.example.com/privkey.pem"]),
        0,
    );
    // (d) --sandbox on a real directory: refused before anything is written.
    let dir = tmp.path().join("example.com");
    let before: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    let (_, err) = run_expect(
        csrkit()
            .current_dir(tmp.path())
            .args(["apply", "--sandbox", "--out-dir", "example.com"]),
        2,
    );
    assert!(
        err.contains("--sandbox") || err.contains("not at sandbox"),
        "{err}"
    );
    let after: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(before.len(), after.len(), "files were written: {after:?}");
    // (e) --new-order on a verify_fail order warns that it holds a unit.
    let id = order_id_of(&dir);
    sb.post(&format!("/_sandbox/orders/{id}/fail"));
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "example.com", "--new-order"]),
        0,
    );
    assert!(
        err.contains(&format!(
            "warning: order {id} (verify_fail) still holds a unit"
        )) && err.contains(&format!("csrkit cancel --order-id {id} --delete")),
        "{err}"
    );
}

/// kill -9 at each step of apply, then a re-run: exactly one order each
/// time. The steps: before the journal's pending entry (held at the quota
/// check), after it (the Create held before it reaches the service), and
/// after the Create (the service made the order; its answer is held).
/// During the Create itself: `kill_9_during_create_then_rerun_ends_with_one_order`.
#[test]
fn kill_9_at_each_step_then_rerun_ends_with_one_order() {
    let (sb, proxy) = behind_proxy(&["--approve", "manual"]);
    let tmp = tempfile::tempdir().unwrap();
    for (step, action, mode, outcome) in [
        ("after-create", CREATE, Mode::HoldAnswer, Some("pending")),
        ("after-pending", CREATE, Mode::Hold, Some("pending")),
        ("before-pending", "DescribePackageState", Mode::Hold, None),
    ] {
        let domain = format!("{step}.example.com");
        proxy.rearm();
        proxy.set(action, mode);
        let mut child = spawn(apply_at(&sb, &proxy.url, tmp.path()).args(["-d", &domain]));
        proxy.wait_held(1);
        child.kill().unwrap();
        child.wait().unwrap();
        proxy.release(Release::Drop);
        proxy.set(action, Mode::Pass);
        let dir = tmp.path().join(&domain);
        let j = journal(&dir);
        assert_eq!(j["submission"]["outcome"].as_str(), outcome, "{step}: {j}");
        assert!(j["order_id"].is_null(), "{step}: {j}");
        // Meanwhile another directory orders the same domain: the re-run
        // must still settle on the killed run's own order.
        let other = format!("other-{step}");
        run_expect(
            apply(&sb, tmp.path()).args(["-d", &domain, "--out-dir", &other]),
            0,
        );
        let others = order_id_of(&tmp.path().join(&other));
        run_expect(
            apply_at(&sb, &proxy.url, tmp.path()).args(["-d", &domain]),
            0,
        );
        let (stdout, _) = run_expect(
            sb.csrkit()
                .args(["orders", "--keyword", &domain, "--format", "json"]),
            0,
        );
        let orders = json(&stdout)["orders"].as_array().unwrap().clone();
        assert_eq!(
            orders.len(),
            2,
            "{step}: one order per directory: {orders:?}"
        );
        let ours = order_id_of(&dir);
        assert_ne!(ours, others, "{step}: adopted the other directory's order");
        let detail = api::rt()
            .block_on(api::client(&sb.url).get_instance_detail(&format!("cas-ivauto-{ours}")))
            .unwrap();
        let unix = |s: &str| s.replace('\r', "").trim().to_owned();
        let csr = std::fs::read_to_string(dir.join("request.csr")).unwrap();
        assert_eq!(detail.csr.as_deref().map(unix), Some(unix(&csr)), "{step}");
    }
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 6, "{st}");
    assert_eq!(quota_used(&st), 6, "{st}");
}

/// Ctrl-C or SIGTERM while a poll is in flight (the service holds it):
/// apply stops at once with exit 130 and the journal saved.
#[test]
fn a_signal_during_a_poll_in_flight_is_honoured_at_once() {
    for signal in ["-INT", "-TERM"] {
        let sb = SandboxProcess::start(&[
            "--approve",
            "manual",
            "--fault",
            "DescribeCertificateState=delay-600000:all",
        ]);
        let tmp = tempfile::tempdir().unwrap();
        let child = spawn(apply(&sb, tmp.path()).args(["-d", "sig.example.com", "--wait"]));
        let give_up = Instant::now() + Duration::from_secs(60);
        while count(&stats(&sb), "DescribeCertificateState") == 0 {
            assert!(Instant::now() < give_up, "no poll reached the sandbox");
            std::thread::sleep(Duration::from_millis(20));
        }
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        // The held poll lasts ten minutes: only an abandoned one ends first.
        let (code, err) = finish(child);
        assert_eq!(code, Some(130), "{signal}: {err}");
        assert!(err.contains("run apply again to resume"), "{err}");
        assert!(!order_id_of(&tmp.path().join("sig.example.com")).is_empty());
    }
}

/// When an order for the domain cannot be checked against the CSR (its
/// instance detail is unavailable), apply stops with exit 4 and lists it
/// with the `--adopt` that settles it; `--adopt` takes only an order whose
/// CSR is this directory's.
#[test]
fn an_order_that_cannot_be_checked_stops_with_exit_4_and_adopt_settles_it() {
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--fault",
        "CreateCertificateWithCsrRequest=drop-after:1",
        "--fault",
        "ListTagResources=error503:all",
        "--fault",
        "GetInstanceDetail=error503:4",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let (_, err) = run_expect(apply(&sb, tmp.path()).args(["-d", "adopt.example.com"]), 4);
    let (stdout, _) = run_expect(sb.csrkit().args(["orders", "--format", "json"]), 0);
    let made = json(&stdout)["orders"][0]["order_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let adopt_cmd = format!("csrkit apply --out-dir adopt.example.com --adopt {made}");
    assert!(err.contains(&adopt_cmd), "{err}");
    let dir = tmp.path().join("adopt.example.com");
    assert!(journal(&dir)["order_id"].is_null());

    // Another directory's order for the same domain is refused.
    run_expect(
        apply(&sb, tmp.path()).args(["-d", "adopt.example.com", "--out-dir", "b"]),
        0,
    );
    let other = order_id_of(&tmp.path().join("b"));
    let (_, err) = run_expect(
        apply(&sb, tmp.path()).args(["--out-dir", "adopt.example.com", "--adopt", &other]),
        3,
    );
    assert!(err.contains("another CSR"), "{err}");
    assert!(journal(&dir)["order_id"].is_null());

    let (stdout, _) = run_expect(
        apply(&sb, tmp.path()).args([
            "--out-dir",
            "adopt.example.com",
            "--adopt",
            &made,
            "--format",
            "json",
        ]),
        0,
    );
    assert_eq!(json(&stdout)["order_id"], made.as_str());
    assert_eq!(order_id_of(&dir), made);
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 2, "{st}");
    assert_eq!(count(&st, CREATE), 2, "{st}");
}

/// `--csr` naming the CSR `generate` left in the directory: its key there
/// is recorded as the key, and stays next to the certificate.
#[test]
fn a_csr_given_from_its_own_directory_keeps_its_key() {
    let sb = SandboxProcess::start(&["--approve", "auto", "--issue-after", "0"]);
    let tmp = tempfile::tempdir().unwrap();
    generate_into(tmp.path(), "own.example.com", "own.example.com");
    run_expect(
        apply(&sb, tmp.path()).args(["--csr", "own.example.com/request.csr", "--wait"]),
        0,
    );
    let dir = tmp.path().join("own.example.com");
    assert_eq!(journal(&dir)["files"]["key"], "privkey.pem");
    assert!(dir.join("privkey.pem").exists() && !dir.join("retired").exists());
    assert_cert_matches_key(&dir);
}
