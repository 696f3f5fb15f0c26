//! Against a real BIND 9 `named` started by the test (zones with
//! TSIG-authorized updates): `--dns rfc2136`, the hook contract, `--webroot`
//! with a local HTTP server, and the propagation check at the CLI (an old
//! value, SERVFAIL, a record that never arrives).

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use csrkit_testsupport::{HttpServer, Named, Zone, free_port, require_tool};

use super::super::util::SandboxProcess;
use super::super::{CREATE, apply, check_issued, count, journal, order_id_of, stats, write_root};
use super::{
    Background, all_removed, last_state, published, record_value, run_expect, script,
    wait_for_journal,
};

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// A sandbox that verifies by asking `named`, with `extra` arguments.
fn sandbox_resolving_at(named: &Named, extra: &[&str]) -> SandboxProcess {
    let resolver = named.server();
    let mut args = vec!["--approve", "verify", "--resolver", resolver.as_str()];
    args.extend(extra);
    SandboxProcess::start(&args)
}

/// Must show: `apply --dns rfc2136 --wait` against a sandbox that resolves
/// through `named` ends with a certificate; `dig` shows the record while
/// the order waits and none afterwards; the TXT value that was there
/// before is still there.
#[test]
fn rfc2136_against_bind_ends_with_a_certificate_and_leaves_the_zone_as_it_was() {
    let named = Named::config()
        .zone(
            Zone::primary("example.com")
                .updatable()
                .record("_dnsauth.bind 60 IN TXT \"was-here-before\""),
        )
        .start();
    let sb = sandbox_resolving_at(&named, &["--issue-after", "3600"]);
    let tmp = tempfile::tempdir().unwrap();
    let name = "_dnsauth.bind.example.com";
    let mut cmd = apply(&sb, tmp.path());
    cmd.args(["-d", "bind.example.com", "--wait", "--dns", "rfc2136"])
        .args(["--dns-server", &named.server(), "--tsig-key-file"])
        .arg(named.key_file())
        .args(["--dns-resolver", &named.server()]);
    let run = Background::spawn(&mut cmd);
    let dir = tmp.path().join("bind.example.com");
    let j = wait_for_journal(&dir, "the order verified", |j| last_state(j) == "process");
    let value = record_value(&j);
    let mut want = vec![value.clone(), "was-here-before".to_owned()];
    want.sort();
    assert_eq!(named.txt(LOCAL, name), want, "dig while the order waits");
    assert_eq!(published(&j)[0]["provider"], "rfc2136", "{j}");
    assert_eq!(published(&j)[0]["zone"], "example.com", "{j}");

    sb.post(&format!("/_sandbox/orders/{}/approve", order_id_of(&dir)));
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("propagated"), "{stderr}");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["bind.example.com"]);
    assert_eq!(
        named.txt(LOCAL, name),
        ["was-here-before"],
        "dig after issuance"
    );
    let j = journal(&dir);
    assert!(all_removed(&j), "{j}");
    assert_eq!(j["dns"]["publisher"]["provider"], "rfc2136", "{j}");
}

/// A name in no zone the update server is primary for: found out before
/// the order (`named` answers for example.com only), exit 3, nothing
/// ordered.
#[test]
fn rfc2136_to_a_server_without_the_zone_orders_nothing() {
    let named = Named::config()
        .zone(Zone::primary("example.com").updatable())
        .start();
    let sb = sandbox_resolving_at(&named, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = apply(&sb, tmp.path());
    cmd.args(["-d", "shop.example.org", "--wait", "--dns", "rfc2136"])
        .args(["--dns-server", &named.server(), "--tsig-key-file"])
        .arg(named.key_file());
    let (_, err) = run_expect(&mut cmd, 3);
    assert!(
        err.contains("no hosted zone contains _dnsauth.shop.example.org")
            && err.contains("No order was placed"),
        "{err}"
    );
    assert_eq!(count(&stats(&sb), CREATE), 0, "nothing was ordered");
}

/// The record's own zone delegated to the update server (as acme-dns users
/// do with `_acme-challenge`): the server is primary for
/// `_dnsauth.deleg.example.com` alone, not for the name's zone. The
/// pre-order check looks for the record's zone, so the order is placed,
/// published there and issued.
#[test]
fn rfc2136_to_a_zone_delegated_for_the_record_alone_is_issued() {
    let named = Named::config()
        .zone(Zone::primary("_dnsauth.deleg.example.com").updatable())
        .start();
    let sb = sandbox_resolving_at(&named, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = apply(&sb, tmp.path());
    cmd.args(["-d", "deleg.example.com", "--wait", "--dns", "rfc2136"])
        .args(["--dns-server", &named.server(), "--tsig-key-file"])
        .arg(named.key_file())
        .args(["--dns-resolver", &named.server()]);
    run_expect(&mut cmd, 0);
    assert_eq!(count(&stats(&sb), CREATE), 1);
    let dir = tmp.path().join("deleg.example.com");
    assert_eq!(
        published(&journal(&dir))[0]["zone"],
        "_dnsauth.deleg.example.com"
    );
    assert!(
        named.txt(LOCAL, "_dnsauth.deleg.example.com").is_empty(),
        "removed after issuance"
    );
}

/// A hook script that logs its arguments and `CSRKIT_*` environment into
/// `log`, publishes with `nsupdate` into `named`, and prints a marker on
/// present's stdout.
fn nsupdate_hook(dir: &Path, named: &Named, log: &Path) -> std::path::PathBuf {
    let path = dir.join("dns-hook");
    script(
        &path,
        &format!(
            r#"log={log}
printf 'argv:' >>"$log"; for a in "$@"; do printf ' [%s]' "$a" >>"$log"; done; echo >>"$log"
env | grep '^CSRKIT_' | sort >>"$log"
echo "extra: $EXTRA" >>"$log"
case "$2" in
  present) op=add ;;
  cleanup) op=delete ;;
esac
printf 'server 127.0.0.1 {port}\nupdate %s %s. 60 %s "%s"\nsend\n' "$op" "$4" "$5" "$6" \
  | {nsupdate} -k {key} || exit 9
[ "$2" = present ] && echo "present-output-7731"
exit 0
"#,
            log = log.display(),
            port = named.port(),
            nsupdate = require_tool("nsupdate").display(),
            key = named.key_file().display(),
        ),
    );
    path
}

/// Must show: the hook contract end to end: `CMD present -- FQDN TYPE
/// VALUE` and `CMD cleanup -- …` (the command may carry its own arguments),
/// the `CSRKIT_DNS_*` environment and the order id, present's stdout handed
/// to cleanup; a failing hook exits 3 showing its stderr; a hook past
/// `--hook-timeout` exits 4.
#[test]
fn hook_contract_end_to_end() {
    let named = Named::config()
        .zone(Zone::primary("example.com").updatable())
        .start();
    let sb = sandbox_resolving_at(&named, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("hook.log");
    let hook = nsupdate_hook(tmp.path(), &named, &log);
    let command = format!("EXTRA=yes {} first-own-arg", hook.display());
    run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "hook.example.com", "--wait", "--dns-hook", &command])
            .args(["--dns-resolver", &named.server()]),
        0,
    );
    let dir = tmp.path().join("hook.example.com");
    let id = order_id_of(&dir);
    let value = record_value(&journal(&dir));
    let text = std::fs::read_to_string(&log).unwrap();
    let name = "_dnsauth.hook.example.com";
    for want in [
        format!("argv: [first-own-arg] [present] [--] [{name}] [TXT] [{value}]"),
        format!("argv: [first-own-arg] [cleanup] [--] [{name}] [TXT] [{value}]"),
        format!("CSRKIT_DNS_NAME={name}"),
        "CSRKIT_DNS_TYPE=TXT".to_owned(),
        format!("CSRKIT_DNS_VALUE={value}"),
        "CSRKIT_DNS_DOMAIN=hook.example.com".to_owned(),
        format!("CSRKIT_ORDER_ID={id}"),
        "CSRKIT_DNS_PRESENT_OUTPUT=present-output-7731".to_owned(),
        "extra: yes".to_owned(),
    ] {
        assert!(
            text.contains(&want),
            "{want:?} not in the hook's log:\n{text}"
        );
    }
    let present = text.find("[present]").unwrap();
    let cleanup = text.find("[cleanup]").unwrap();
    assert!(present < cleanup, "{text}");
    assert!(named.txt(LOCAL, name).is_empty(), "the record is left");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["hook.example.com"]);

    // A failing hook: exit 3, its stderr shown.
    let failing = tmp.path().join("failing-hook");
    script(
        &failing,
        "echo 'boom-from-the-hook: no such zone' >&2\nexit 7\n",
    );
    let (_, err) = run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "fail.example.com", "--wait"])
            .args(["--dns-hook", failing.to_str().unwrap()]),
        3,
    );
    assert!(
        err.contains("boom-from-the-hook: no such zone") && err.contains("present"),
        "{err}"
    );
    // A hook that outlives --hook-timeout: exit 4, naming the flag.
    let slow = tmp.path().join("slow-hook");
    script(&slow, "sleep 600\n");
    let (_, err) = run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "slow.example.com", "--wait", "--hook-timeout", "1s"])
            .args(["--dns-hook", slow.to_str().unwrap()]),
        4,
    );
    assert!(err.contains("--hook-timeout"), "{err}");
}

/// Must show: `--webroot` with the sandbox fetching the file through
/// `--http-via` from a local HTTP server serving that webroot; the file and
/// the directories csrkit made are removed afterwards.
#[test]
fn webroot_with_the_sandbox_fetching_the_file_over_http() {
    let webroot = tempfile::tempdir().unwrap();
    let server = HttpServer::serve_dir(webroot.path());
    let via = server.addr().to_string();
    let sb = SandboxProcess::start(&["--approve", "verify", "--http-via", &via]);
    let tmp = tempfile::tempdir().unwrap();
    run_expect(
        apply(&sb, tmp.path())
            .args(["-d", "www.example.org", "--validate-type", "file", "--wait"])
            .arg("--webroot")
            .arg(webroot.path())
            .args(["--http-via", &via]),
        0,
    );
    let dir = tmp.path().join("www.example.org");
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["www.example.org"]);
    let fetched: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/.well-known/pki-validation/fileauth.txt")
        .collect();
    // csrkit's own check and the sandbox's, both for the domain.
    assert!(fetched.len() >= 2, "{fetched:?}");
    assert!(
        fetched.iter().all(|r| r.host == "www.example.org"),
        "{fetched:?}"
    );
    assert!(fetched.iter().any(|r| r.status == 200), "{fetched:?}");
    assert!(
        !webroot.path().join(".well-known").exists(),
        "the file (or the directories csrkit made) is left"
    );
    let j = journal(&dir);
    assert_eq!(published(&j)[0]["type"], "FILE", "{j}");
    assert!(all_removed(&j), "{j}");
}

/// A hook that publishes nothing: the test publishes (or not) by hand.
fn idle_hook(dir: &Path) -> String {
    let path = dir.join("idle-hook");
    script(&path, "exit 0\n");
    path.to_str().unwrap().to_owned()
}

/// Must show: the propagation check at the CLI. A nameserver still serving
/// an old value: apply waits (and says what it sees) until the value comes.
#[test]
fn propagation_waits_while_the_nameserver_serves_an_old_value() {
    let named = Named::config()
        .zone(
            Zone::primary("example.com")
                .updatable()
                .record("_dnsauth.old 60 IN TXT \"an-old-value\""),
        )
        .start();
    let sb = sandbox_resolving_at(&named, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let mut run = Background::spawn(
        apply(&sb, tmp.path())
            .args(["-d", "old.example.com", "--wait", "--dns-hook"])
            .arg(idle_hook(tmp.path()))
            .args(["--dns-resolver", &named.server()]),
    );
    // Two checks that saw the old value: it waits, and looks again.
    run.wait_for_lines("an-old-value", 2);
    let dir = tmp.path().join("old.example.com");
    let value = record_value(&journal(&dir));
    named.nsupdate(
        LOCAL,
        &format!("update add _dnsauth.old.example.com. 60 TXT \"{value}\""),
    );
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("propagated"), "{stderr}");
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// Must show: a resolver answering SERVFAIL is asked again until it
/// answers with the value (here: the server on that port is replaced by one
/// that has the record, while apply keeps asking).
#[test]
fn propagation_retries_servfail_until_the_value_is_served() {
    let port = free_port(&[LOCAL]);
    let mut failing = Named::config()
        .port(port)
        .zone(Zone::servfail("example.net"))
        .start();
    let resolver = format!("127.0.0.1:{port}");
    let sb = SandboxProcess::start(&["--approve", "verify", "--resolver", &resolver]);
    let tmp = tempfile::tempdir().unwrap();
    let mut run = Background::spawn(
        apply(&sb, tmp.path())
            .args(["-d", "sf.example.net", "--wait", "--dns-hook"])
            .arg(idle_hook(tmp.path()))
            .args(["--dns-resolver", &resolver]),
    );
    run.wait_for_lines("SERVFAIL", 2);
    let value = record_value(&journal(&tmp.path().join("sf.example.net")));
    failing.stop();
    let _serving = Named::config()
        .port(port)
        .zone(Zone::primary("example.net").record(&format!("_dnsauth.sf 60 IN TXT \"{value}\"")))
        .start();
    let (code, _, stderr) = run.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(count(&stats(&sb), CREATE), 1);
}

/// Must show: a record that never arrives: exit 4 after
/// `--propagation-timeout`, the state saved (the order and the published
/// record journaled); once the record is there, the same command resumes
/// the same order to the certificate.
#[test]
fn propagation_timeout_exits_4_with_state_saved_and_a_rerun_resumes() {
    let named = Named::config()
        .zone(Zone::primary("example.com").updatable())
        .start();
    let sb = sandbox_resolving_at(&named, &[]);
    let tmp = tempfile::tempdir().unwrap();
    let hook = idle_hook(tmp.path());
    let args = [
        "-d",
        "never.example.com",
        "--wait",
        "--dns-hook",
        hook.as_str(),
        "--dns-resolver",
        &named.server(),
        "--propagation-timeout",
        "2s",
    ];
    let (_, err) = run_expect(apply(&sb, tmp.path()).args(args), 4);
    assert!(err.contains("run again"), "{err}");
    let dir = tmp.path().join("never.example.com");
    let j = journal(&dir);
    let id = order_id_of(&dir);
    let p = &published(&j)[0];
    assert!(
        p["published_at"].is_string() && p["removed_at"].is_null(),
        "{j}"
    );
    named.nsupdate(
        LOCAL,
        &format!(
            "update add _dnsauth.never.example.com. 60 TXT \"{}\"",
            record_value(&j)
        ),
    );
    run_expect(apply(&sb, tmp.path()).args(args), 0);
    assert_eq!(order_id_of(&dir), id);
    let st = stats(&sb);
    assert_eq!(count(&st, CREATE), 1, "{st}");
    assert_eq!(st["orders_created"], 1, "{st}");
    assert!(all_removed(&journal(&dir)));
    let root = write_root(tmp.path(), &sb.get_text("/_sandbox/ca.pem"));
    check_issued(&dir, &root, &["never.example.com"]);
}
