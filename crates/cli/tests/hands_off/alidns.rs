//! `--dns alidns` against the sandbox's Alibaba Cloud DNS emulation: the
//! zone, reuse, other values, permissions, and no record left behind
//! after issuance, `verify_fail`, `cancel DIR` or a `kill -9`.

use super::super::util::proxy::{Mode, Proxy, Release};
use super::super::util::{SANDBOX_KEY_ID, SANDBOX_SECRET, SandboxProcess};
use super::super::{CREATE, api, check_issued, count, journal, order_id_of, stats, write_root};
use super::{
    Background, all_removed, apply_alidns, last_state, published, record_value, run_expect,
    sandbox_records, status_shows_nothing_published, verifying_sandbox, wait_for_journal,
};

/// Publishes `value` at `_dnsauth.<domain>` through the sandbox's Alidns,
/// as another tool (or the console's automation) would.
fn publish_elsewhere(sb: &SandboxProcess, domain: &str, value: &str) -> String {
    let creds = csrkit_submit::Credentials::new(SANDBOX_KEY_ID, SANDBOX_SECRET, None);
    let publisher = csrkit_dns::AlidnsPublisher::new(creds, &sb.url).unwrap();
    let challenge = csrkit_dns::Challenge::dns(domain, "_dnsauth", "TXT", value).unwrap();
    let p = api::rt()
        .block_on(csrkit_dns::Publisher::present(&publisher, &challenge))
        .unwrap();
    p.record_id.unwrap()
}

/// Must show: with both example.com and b.example.com hosted, the record for
/// a.b.example.com goes into b.example.com; another value at the same name
/// is left alone; the sandbox verifies by resolving, issues, and the record
/// is gone afterwards.
#[test]
fn alidns_uses_the_longest_hosted_zone_and_removes_only_its_own_record() {
    let sb = verifying_sandbox(
        &["example.com", "b.example.com"],
        &["--issue-after", "3600"],
    );
    let tmp = tempfile::tempdir().unwrap();
    let name = "_dnsauth.a.b.example.com";
    publish_elsewhere(&sb, "a.b.example.com", "someone-elses-value");
    let run =
        Background::spawn(apply_alidns(&sb, tmp.path()).args(["-d", "a.b.example.com", "--wait"]));
    let dir = tmp.path().join("a.b.example.com");
    // Verified by the sandbox (it resolved the record), held before issuance.
    let j = wait_for_journal(&dir, "the order verified", |j| last_state(j) == "process");
    let value = record_value(&j);
    let mut here = sandbox_records(&sb, name);
    here.sort();
    let mut want = vec![
        ("b.example.com".to_owned(), "TXT".to_owned(), value.clone()),
        (
            "b.example.com".to_owned(),
            "TXT".to_owned(),
            "someone-elses-value".to_owned(),
        ),
    ];
    want.sort();
    assert_eq!(here, want, "while the order waits");
    assert_eq!(published(&j)[0]["zone"], "b.example.com", "{j}");
    let id = order_id_of(&dir);
    let verifications = sb.get_json("/_sandbox/verifications");
    assert_eq!(verifications[&id]["verified"], true, "{verifications}");

    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["a.b.example.com"]);
    assert_eq!(
        sandbox_records(&sb, name),
        [(
            "b.example.com".to_owned(),
            "TXT".to_owned(),
            "someone-elses-value".to_owned()
        )],
        "after issuance only the other value is left"
    );
    assert!(all_removed(&journal(&dir)));
    // The zones were read once by apply (asked before the order, used to
    // publish and to remove), once by publish_elsewhere.
    assert_eq!(count(&stats(&sb), "DescribeDomains"), 2);
    status_shows_nothing_published(&sb, tmp.path(), "a.b.example.com");
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// Must show: a record that already carries our value (the console's
/// automation, or another tool) is reused, not added again, and removed
/// with the order. (Approval by hand here: a verifying sandbox would see
/// the record and issue before csrkit had anything to publish.)
#[test]
fn alidns_reuses_a_record_that_already_has_our_value() {
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--zone",
        "example.com",
        "--dns-listen",
        "127.0.0.1:0",
    ]);
    let tmp = tempfile::tempdir().unwrap();
    // The order first, by hand: its value is known only then.
    run_expect(
        super::super::apply(&sb, tmp.path()).args(["-d", "reuse.example.com", "--dns", "manual"]),
        0,
    );
    let dir = tmp.path().join("reuse.example.com");
    let value = record_value(&journal(&dir));
    let record_id = publish_elsewhere(&sb, "reuse.example.com", &value);
    assert_eq!(count(&stats(&sb), "AddDomainRecord"), 1);

    run_expect(
        apply_alidns(&sb, tmp.path()).args(["--out-dir", "reuse.example.com"]),
        0,
    );
    let j = journal(&dir);
    let p = &published(&j)[0];
    assert_eq!(p["preexisting"], true, "{j}");
    assert_eq!(p["record_id"], record_id.as_str(), "{j}");
    assert_eq!(
        count(&stats(&sb), "AddDomainRecord"),
        1,
        "the record was added again"
    );
    sb.post(&format!("/_sandbox/orders/{}/approve", order_id_of(&dir)));
    run_expect(
        apply_alidns(&sb, tmp.path()).args(["--out-dir", "reuse.example.com", "--wait"]),
        0,
    );
    assert!(sandbox_records(&sb, "_dnsauth.reuse.example.com").is_empty());
    assert!(all_removed(&journal(&dir)));
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// Must show: a RAM user without AddDomainRecord: exit 3 naming the action
/// to grant.
#[test]
fn alidns_forbidden_ram_exits_3_naming_the_action() {
    let sb = verifying_sandbox(&["example.com"], &["--deny", "AddDomainRecord"]);
    let tmp = tempfile::tempdir().unwrap();
    let (_, err) = run_expect(
        apply_alidns(&sb, tmp.path()).args(["-d", "ram.example.com", "--wait"]),
        3,
    );
    assert!(
        err.contains("Forbidden.RAM") && err.contains("alidns:AddDomainRecord"),
        "{err}"
    );
    assert!(sandbox_records(&sb, "_dnsauth.ram.example.com").is_empty());
}

/// A zone the account does not host, or a RAM user who may not list the
/// zones: asked before ordering, so the run exits 3 with no order placed
/// (before, the unit was spent and the order left waiting for a record
/// nobody could publish).
#[test]
fn alidns_that_cannot_publish_is_found_out_before_the_order() {
    let sb = verifying_sandbox(&["example.com"], &["--foreign-zone", "example.org"]);
    let tmp = tempfile::tempdir().unwrap();
    let (_, err) = run_expect(
        apply_alidns(&sb, tmp.path()).args(["-d", "shop.example.org", "--wait"]),
        3,
    );
    assert!(
        err.contains("no hosted zone contains _dnsauth.shop.example.org")
            && err.contains("the account hosts example.com")
            && err.contains("No order was placed"),
        "{err}"
    );
    assert_eq!(count(&stats(&sb), CREATE), 0, "nothing was ordered");

    let denied = verifying_sandbox(&["example.com"], &["--deny", "DescribeDomains"]);
    let (_, err) = run_expect(
        apply_alidns(&denied, tmp.path()).args(["-d", "denied.example.com", "--wait"]),
        3,
    );
    assert!(
        err.contains("Forbidden.RAM") && err.contains("alidns:DescribeDomains"),
        "{err}"
    );
    assert_eq!(count(&stats(&denied), CREATE), 0, "nothing was ordered");
}

/// Must show: no record is left after `verify_fail`: the sandbox verified,
/// then the CA failed the order; apply exits 3 and removes the record.
#[test]
fn alidns_removes_the_record_after_verify_fail() {
    let sb = verifying_sandbox(&["example.com"], &["--issue-after", "3600"]);
    let tmp = tempfile::tempdir().unwrap();
    let run =
        Background::spawn(apply_alidns(&sb, tmp.path()).args(["-d", "fail.example.com", "--wait"]));
    let dir = tmp.path().join("fail.example.com");
    wait_for_journal(&dir, "the order verified", |j| last_state(j) == "process");
    assert_eq!(sandbox_records(&sb, "_dnsauth.fail.example.com").len(), 1);
    let id = order_id_of(&dir);
    sb.post(&format!("/_sandbox/orders/{id}/fail"));
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(stderr.contains("validation failed"), "{stderr}");
    assert!(sandbox_records(&sb, "_dnsauth.fail.example.com").is_empty());
    assert!(all_removed(&journal(&dir)));
}

/// Must show: `csrkit cancel DIR` withdraws the recorded order and removes
/// the record it published; `status DIR` shows it while it is out there.
#[test]
fn cancel_dir_withdraws_the_order_and_removes_the_record() {
    let sb = verifying_sandbox(&["example.com"], &["--issue-after", "3600"]);
    let tmp = tempfile::tempdir().unwrap();
    // Without --wait: published, propagated, looked at once, and left.
    let (stdout, _) = run_expect(
        apply_alidns(&sb, tmp.path()).args(["-d", "cancel.example.com"]),
        0,
    );
    assert!(stdout.contains("published"), "{stdout}");
    let name = "_dnsauth.cancel.example.com";
    assert_eq!(sandbox_records(&sb, name).len(), 1);
    let (stdout, _) = run_expect(
        sb.csrkit()
            .current_dir(tmp.path())
            .args(["status", "cancel.example.com"]),
        0,
    );
    assert!(
        stdout.contains("still published") && stdout.contains(name),
        "{stdout}"
    );
    let (stdout, _) = run_expect(
        sb.csrkit().current_dir(tmp.path()).args([
            "cancel",
            "cancel.example.com",
            "--delete",
            "--format",
            "json",
        ]),
        0,
    );
    let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["cancelled"], true, "{doc}");
    assert_eq!(doc["deleted"], true, "{doc}");
    assert_eq!(doc["published"], serde_json::json!([]), "{doc}");
    assert!(sandbox_records(&sb, name).is_empty());
    let st = stats(&sb);
    assert_eq!(st["quota"]["digicert-free-1-free"]["used"], 0, "{st}");
    assert!(all_removed(&journal(
        &tmp.path().join("cancel.example.com")
    )));
}

/// Must show: `kill -9` after the record was published (the journal shows
/// it), then a re-run: one order, and no record left. Twice: killed while
/// the AddDomainRecord answer is held (journaled before the act, the
/// provider's answer never recorded), and killed after the journal recorded
/// the answer.
#[test]
fn kill_9_after_publishing_then_rerun_places_one_order_and_leaves_no_record() {
    // The sandbox accepts requests signed for the middlebox's address.
    let proxy = Proxy::bind();
    let sb = verifying_sandbox(
        &["example.com"],
        &["--issue-after", "3600", "--public-host", proxy.host()],
    );
    proxy.forward_to(&sb.url);
    let tmp = tempfile::tempdir().unwrap();
    for (domain, held) in [("held.example.com", true), ("journaled.example.com", false)] {
        let dir = tmp.path().join(domain);
        let name = format!("_dnsauth.{domain}");
        let mut cmd = super::super::apply(&sb, tmp.path());
        cmd.args(["-d", domain, "--wait", "--dns", "alidns"]).args([
            "--dns-endpoint",
            &proxy.url,
            "--dns-resolver",
            sb.dns(),
        ]);
        proxy.rearm();
        if held {
            proxy.set("AddDomainRecord", Mode::HoldAnswer);
        }
        let run = Background::spawn(&mut cmd);
        let j = if held {
            proxy.wait_held(1);
            journal(&dir)
        } else {
            wait_for_journal(&dir, "the record published", |j| {
                published(j)
                    .first()
                    .is_some_and(|p| p["published_at"].is_string())
            })
        };
        // The journal shows the record before the kill.
        let p = &published(&j)[0];
        assert_eq!(p["name"], name.as_str(), "{j}");
        assert_eq!(p["published_at"].is_null(), held, "{j}");
        run.kill();
        proxy.release(Release::Drop);
        proxy.set("AddDomainRecord", Mode::Pass);
        assert_eq!(sandbox_records(&sb, &name).len(), 1, "{domain}: published");

        let mut again = super::super::apply(&sb, tmp.path());
        again
            .args(["--out-dir", domain, "--wait", "--dns-endpoint", &proxy.url])
            .args(["--dns-resolver", sb.dns()]);
        let rerun = Background::spawn(&mut again);
        wait_for_journal(&dir, "the order verified", |j| last_state(j) == "process");
        sb.post(&format!("/_sandbox/orders/{}/approve", order_id_of(&dir)));
        let (code, _, stderr) = rerun.finish();
        assert_eq!(code, Some(0), "{domain}: {stderr}");
        assert!(sandbox_records(&sb, &name).is_empty(), "{domain}: left");
        let j = journal(&dir);
        assert_eq!(published(&j).len(), 1, "{domain}: {j}");
        assert!(all_removed(&j), "{domain}: {j}");
        let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
        check_issued(&dir, &root, &[domain]);
    }
    let st = stats(&sb);
    assert_eq!(st["orders_created"], 2, "one order per directory: {st}");
    assert_eq!(count(&st, CREATE), 2, "{st}");
    assert_eq!(
        count(&st, "AddDomainRecord"),
        2,
        "a record added twice: {st}"
    );
}

/// An unkind user's provider settings: each stops with exit 2 before any
/// order is placed (a provider that cannot publish the order's kind of
/// validation, missing rfc2136 settings, an unreadable TSIG key, a webroot
/// that is not a directory, a resolver that is not HOST:PORT, two
/// providers at once).
#[test]
fn provider_settings_are_checked_before_any_order() {
    let sb = verifying_sandbox(&["example.com"], &[]);
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "-d",
                "a.example.com",
                "--validate-type",
                "file",
                "--dns",
                "alidns",
            ],
            "--webroot",
        ),
        (&["-d", "b.example.com", "--dns", "rfc2136"], "--dns-server"),
        (
            &[
                "-d",
                "c.example.com",
                "--dns",
                "rfc2136",
                "--dns-server",
                "127.0.0.1:53",
                "--tsig-key-file",
                missing,
            ],
            missing,
        ),
        (
            &[
                "-d",
                "d.example.com",
                "--validate-type",
                "file",
                "--webroot",
                missing,
            ],
            missing,
        ),
        (
            &[
                "-d",
                "e.example.com",
                "--dns",
                "alidns",
                "--dns-resolver",
                "not a host",
            ],
            "--dns-resolver",
        ),
        (
            &[
                "-d",
                "f.example.com",
                "--dns",
                "alidns",
                "--dns-hook",
                "/bin/true",
            ],
            "--dns-hook",
        ),
    ];
    for (args, needle) in cases {
        let (_, err) = run_expect(
            super::super::apply(&sb, tmp.path())
                .args(args)
                .args(["--dns-endpoint", &sb.url]),
            2,
        );
        assert!(err.contains(needle), "{args:?}: {err}");
    }
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 0, "{st}");
    assert_eq!(count(&st, "DescribePackageState"), 0, "{st}");
}
