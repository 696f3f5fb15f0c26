//! `csrkit sandbox` as a server, driven through the other commands: its
//! first line, `--listen`, `--quota`, each `--fault` kind, `--state` across
//! a restart, `--approve manual|auto` with the control endpoints, and bad
//! flags.
#![allow(clippy::unwrap_used)]

mod api;
mod util;

use std::process::Stdio;
use std::time::{Duration, Instant};

use api::{Run, create_orders, quota, run_at};
use util::SandboxProcess;

fn home() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Runs `csrkit sandbox ARGS…` expecting it to exit on its own; kills it
/// and fails if it is still serving after a minute (a hang guard, not a
/// timing assertion).
fn sandbox_exits(args: &[&str]) -> Run {
    let mut child = util::csrkit()
        .arg("sandbox")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("csrkit sandbox {args:?} kept running");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn requests(sb: &SandboxProcess, action: &str) -> u64 {
    sb.get_json("/_sandbox/stats")["requests"][action]
        .as_u64()
        .unwrap_or(0)
}

fn fired(sb: &SandboxProcess, spec: &str) -> u64 {
    let stats = sb.get_json("/_sandbox/stats");
    stats["faults"][spec]["fired"]
        .as_u64()
        .unwrap_or_else(|| panic!("no fault {spec} in {stats}"))
}

#[test]
fn first_line_is_the_base_url_and_listen_is_honoured() {
    // A port known to be free a moment ago.
    let port = api::free_port();
    let addr = format!("127.0.0.1:{port}");
    let sb = SandboxProcess::start(&["--listen", &addr]);
    assert_eq!(sb.url, format!("http://{addr}"));
    let ca = util::http_get(&sb.url, "/_sandbox/ca.pem");
    assert!(
        ca.starts_with("-----BEGIN CERTIFICATE-----"),
        "ca.pem: {ca}"
    );

    // Its credentials come from CSRKIT_SANDBOX_ACCESS_KEY_*.
    let mut child = util::csrkit();
    let child = child
        .args(["sandbox", "--listen", "127.0.0.1:0"])
        .env("CSRKIT_SANDBOX_ACCESS_KEY_ID", "custom-id")
        .env("CSRKIT_SANDBOX_ACCESS_KEY_SECRET", "custom-secret")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut custom = Custom(child);
    let url = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(custom.0.stdout.as_mut().unwrap())
            .read_line(&mut line)
            .unwrap();
        line.trim().to_owned()
    };
    let h = home();
    let with = |id: &str, secret: &str| {
        let mut cmd = util::csrkit();
        api::isolate(&mut cmd, h.path())
            .env("CSRKIT_ENDPOINT", &url)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", id)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
            .arg("quota");
        api::run(&mut cmd)
    };
    with("custom-id", "custom-secret").expect_code(0);
    let default = with(util::SANDBOX_KEY_ID, util::SANDBOX_SECRET).expect_code(3);
    assert!(default.stderr.contains("InvalidAccessKeyId.NotFound"));

    // It names its key id on stderr, never its secret.
    let _ = custom.0.kill();
    let mut said = String::new();
    {
        use std::io::Read;
        custom
            .0
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut said)
            .unwrap();
    }
    assert!(said.contains("custom-id"), "{said}");
    assert!(!said.contains("custom-secret"), "{said}");
}

/// A child process killed when dropped.
struct Custom(std::process::Child);

impl Drop for Custom {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn quota_flags_set_each_plan() {
    let h = home();
    let sb = SandboxProcess::start(&[
        "--quota",
        "digicert-free-1-free=1",
        "--quota",
        "geotrust-dv-1-starter=4",
    ]);
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(stats["quota"]["digicert-free-1-free"]["total"], 1);
    assert_eq!(stats["quota"]["geotrust-dv-1-starter"]["total"], 4);
    create_orders(&sb.url, "one.example.com", 1);
    assert_eq!(quota(&sb, h.path())["remaining"], 0);
    let q = run_at(
        &sb,
        h.path(),
        &[
            "quota",
            "--product-code",
            "geotrust-dv-1-starter",
            "--format",
            "json",
        ],
    )
    .json();
    assert_eq!(q["remaining"], 4);
}

#[test]
fn transient_faults_are_retried_by_read_only_commands() {
    let h = home();
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--fault",
        "DescribePackageState=throttle:2",
        "--fault",
        "ListUserCertificateOrder=error503:1",
        "--fault",
        "DescribeCertificateState=error500:1",
    ]);
    let id = create_orders(&sb.url, "fault.example.com", 1).remove(0);

    let q = quota(&sb, h.path());
    assert_eq!(q["used"], 1);
    assert_eq!(requests(&sb, "DescribePackageState"), 3, "2 throttled + 1");
    assert_eq!(fired(&sb, "DescribePackageState=throttle:2"), 2);

    let o = run_at(&sb, h.path(), &["orders", "--format", "json"]).json();
    assert_eq!(o["orders"][0]["order_id"], id.as_str());
    assert_eq!(requests(&sb, "ListUserCertificateOrder"), 2, "503 + 1");
    assert_eq!(fired(&sb, "ListUserCertificateOrder=error503:1"), 1);

    let before = requests(&sb, "DescribeCertificateState");
    let s = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "domain_verify");
    assert_eq!(fired(&sb, "DescribeCertificateState=error500:1"), 1);
    assert_eq!(
        requests(&sb, "DescribeCertificateState") - before,
        2,
        "500 + 1"
    );
}

#[test]
fn a_dropped_connection_before_processing_is_retried() {
    let h = home();
    let sb = SandboxProcess::start(&["--fault", "DescribePackageState=drop-before:1"]);
    quota(&sb, h.path());
    assert_eq!(fired(&sb, "DescribePackageState=drop-before:1"), 1);
    assert_eq!(requests(&sb, "DescribePackageState"), 2);
}

#[test]
fn persistent_faults_give_up_with_the_right_exit_code() {
    let h = home();
    let attempts = u64::from(csrkit_submit::RetryPolicy::default().max_attempts);
    let sb = SandboxProcess::start(&[
        "--fault",
        "DescribePackageState=throttle:all",
        "--fault",
        "ListUserCertificateOrder=drop-before:all",
    ]);
    // Throttled every time: a transient refusal that outlived the retries,
    // so safe to re-run later (4), after every attempt.
    let t = run_at(&sb, h.path(), &["quota"]).expect_code(4);
    assert!(t.stderr.contains("Throttling.User"), "{}", t.both());
    assert_eq!(requests(&sb, "DescribePackageState"), attempts);
    // The connection drops every time: a network failure (4).
    let d = run_at(&sb, h.path(), &["orders"]).expect_code(4);
    assert!(
        d.stderr.contains("ListUserCertificateOrder"),
        "{}",
        d.both()
    );
    assert_eq!(requests(&sb, "ListUserCertificateOrder"), attempts);
}

#[test]
fn cancel_and_delete_survive_a_lost_answer() {
    // drop-after: the sandbox cancels (then deletes) the order and closes
    // the connection without answering. The client retries; the retry finds
    // the order already cancelled (OrderStateError) or already gone
    // (NotFoundOrder). `cancel` must still report success.
    let h = home();
    let sb = SandboxProcess::start(&[
        "--approve",
        "manual",
        "--quota",
        "digicert-free-1-free=2",
        "--fault",
        "CancelOrderRequest=drop-after:1",
        "--fault",
        "DeleteCertificateRequest=drop-after:1",
    ]);
    let id = create_orders(&sb.url, "lost.example.com", 1).remove(0);
    assert_eq!(quota(&sb, h.path())["remaining"], 1);
    let out = run_at(&sb, h.path(), &["cancel", "--order-id", &id, "--delete"]).expect_code(0);
    assert!(out.stderr.contains("deleted"), "{}", out.both());
    assert_eq!(fired(&sb, "CancelOrderRequest=drop-after:1"), 1);
    assert_eq!(fired(&sb, "DeleteCertificateRequest=drop-after:1"), 1);
    assert_eq!(quota(&sb, h.path())["remaining"], 2, "quota returned once");
    run_at(&sb, h.path(), &["status", "--order-id", &id]).expect_code(3);

    // A cancel refused for a real reason is still an error: an issued
    // order cannot be cancelled.
    let issued = create_orders(&sb.url, "lost.example.com", 1).remove(0);
    sb.post(&format!("/_sandbox/orders/{issued}/approve"));
    let refused = run_at(&sb, h.path(), &["cancel", "--order-id", &issued]).expect_code(3);
    assert!(
        refused.stderr.contains("OrderStateError"),
        "{}",
        refused.both()
    );
}

#[test]
fn state_file_survives_a_restart() {
    let h = home();
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("sandbox-state.json");
    let state = state.to_str().unwrap();
    let (id, ca) = {
        let sb = SandboxProcess::start(&[
            "--state",
            state,
            "--approve",
            "manual",
            "--quota",
            "digicert-free-1-free=5",
        ]);
        let ids = create_orders(&sb.url, "kept.example.com", 2);
        // One of them is deleted again before the restart (quota back).
        run_at(
            &sb,
            h.path(),
            &["cancel", "--order-id", &ids[1], "--delete"],
        )
        .expect_code(0);
        assert_eq!(quota(&sb, h.path())["used"], 1);
        (ids[0].clone(), util::http_get(&sb.url, "/_sandbox/ca.pem"))
        // dropped: the process is killed (SIGKILL), no chance to save.
    };
    let sb = SandboxProcess::start(&["--state", state, "--approve", "manual"]);
    let q = quota(&sb, h.path());
    assert_eq!(
        (q["total"].as_u64(), q["used"].as_u64()),
        (Some(5), Some(1))
    );
    let s = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "domain_verify");
    assert_eq!(
        s["verification"]["record_name"],
        "_dnsauth.kept.example.com"
    );
    let o = run_at(&sb, h.path(), &["orders", "--format", "json"]).json();
    let listed: Vec<&str> = o["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [id.as_str()]);
    assert_eq!(
        util::http_get(&sb.url, "/_sandbox/ca.pem"),
        ca,
        "same CA after a restart"
    );
    // The order still works after the restart.
    sb.post(&format!("/_sandbox/orders/{id}/approve"));
    let s = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "certificate");
    drop(sb);

    // A second restart with --quota changes the plan's total and keeps
    // what was spent and issued.
    let sb = SandboxProcess::start(&["--state", state, "--quota", "digicert-free-1-free=9"]);
    let q = quota(&sb, h.path());
    assert_eq!(
        (
            q["total"].as_u64(),
            q["used"].as_u64(),
            q["issued"].as_u64()
        ),
        (Some(9), Some(1), Some(1)),
        "{q}"
    );
    let s = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "certificate");
}

#[test]
fn manual_approval_waits_for_the_control_endpoints() {
    let h = home();
    let sb = SandboxProcess::start(&["--approve", "manual"]);
    let ids = create_orders(&sb.url, "manual.example.com", 2);
    for _ in 0..3 {
        let s = run_at(
            &sb,
            h.path(),
            &["status", "--order-id", &ids[0], "--format", "json"],
        )
        .json();
        assert_eq!(s["state"], "domain_verify", "nothing happens on its own");
    }
    sb.post(&format!("/_sandbox/orders/{}/approve", ids[0]));
    let s = run_at(
        &sb,
        h.path(),
        &["status", "--order-id", &ids[0], "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "certificate");
    assert!(!s["cert_id"].is_null(), "{s}");

    sb.post(&format!("/_sandbox/orders/{}/fail", ids[1]));
    let f = run_at(&sb, h.path(), &["status", "--order-id", &ids[1]]).expect_code(0);
    assert!(
        f.stdout.starts_with(&format!(
            "order {}: verify_fail (validation failed)",
            ids[1]
        )),
        "{}",
        f.both()
    );
    let issued = run_at(
        &sb,
        h.path(),
        &["orders", "--status", "ISSUED", "--format", "json"],
    )
    .json();
    assert_eq!(issued["orders"][0]["order_id"], ids[0].as_str());
    assert_eq!(issued["orders"].as_array().unwrap().len(), 1);
}

#[test]
fn automatic_approval_follows_issue_after() {
    let h = home();
    // --issue-after 0 (the default): issued on the first describe.
    let now = SandboxProcess::start(&[]);
    let id = create_orders(&now.url, "auto.example.com", 1).remove(0);
    let s = run_at(
        &now,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "certificate");

    // An hour: still waiting for validation now.
    let later = SandboxProcess::start(&["--approve", "auto", "--issue-after", "3600"]);
    let id = create_orders(&later.url, "auto.example.com", 1).remove(0);
    let s = run_at(
        &later,
        h.path(),
        &["status", "--order-id", &id, "--format", "json"],
    )
    .json();
    assert_eq!(s["state"], "domain_verify");
}

#[test]
fn bad_flags_exit_2_naming_the_input() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let busy_udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let busy_udp_addr = busy_udp.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, "{ not a sandbox state").unwrap();
    let corrupt = corrupt.to_str().unwrap().to_owned();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--approve", "sometimes"], "sometimes"),
        (
            vec!["--quota", "digicert-free-1-free"],
            "digicert-free-1-free",
        ),
        (vec!["--quota", "digicert-free-1-free=many"], "many"),
        (vec!["--fault", "DescribePackageState=explode"], "explode"),
        (
            vec!["--fault", "DescribePackageState=throttle:twice"],
            "twice",
        ),
        (vec!["--listen", "localhost-ish"], "localhost-ish"),
        (vec!["--issue-after", "-1"], "-1"),
        (vec!["--bogus"], "--bogus"),
        (vec!["--listen", &busy_addr], &busy_addr),
        (vec!["--state", &corrupt], &corrupt),
        (vec!["--approve", "verified"], "verified"),
        (vec!["--zone", "com"], "com"),
        (vec!["--zone", "exa mple.com"], "exa mple.com"),
        (
            vec!["--zone", "example.com", "--foreign-zone", "example.com"],
            "example.com",
        ),
        (vec!["--record-type", "mx"], "mx"),
        (vec!["--deny", "Add Record"], "Add Record"),
        (vec!["--resolver", "dns.example:53"], "dns.example:53"),
        (vec!["--dns-listen", &busy_udp_addr], &busy_udp_addr),
    ];
    for (args, needle) in cases {
        let out = sandbox_exits(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.both());
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.both());
        assert!(
            out.stdout.is_empty(),
            "{args:?}: no URL printed: {}",
            out.both()
        );
    }
    drop(busy);
    drop(busy_udp);
}

/// A DNS query by hand (RFC 1035 4.1), independent of any DNS library:
/// the answer's (AA, RCODE, ANCOUNT).
fn dns_query(server: &str, name: &str, qtype: u16) -> (bool, u8, u16) {
    let mut q = vec![0x12, 0x34, 0x00, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        q.push(u8::try_from(label.len()).unwrap());
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    // a hang guard, not a timing assertion
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    sock.send_to(&q, server).unwrap();
    let mut buf = [0u8; 1500];
    let (n, _) = sock.recv_from(&mut buf).unwrap();
    assert!(
        n >= 12 && buf[..2] == [0x12, 0x34] && buf[2] & 0x80 != 0,
        "a response to our query"
    );
    (
        buf[2] & 0x04 != 0,
        buf[3] & 0x0f,
        u16::from_be_bytes([buf[6], buf[7]]),
    )
}

/// `--dns-listen` prints `dns IP:PORT` after the URL, and there the
/// `--zone` zones answer (SOA at the apex, AA), NXDOMAIN below, REFUSED
/// outside.
#[test]
fn the_dns_line_follows_the_url_and_the_zones_answer_there() {
    use std::io::BufRead;
    let mut child = util::csrkit()
        .args([
            "sandbox",
            "--zone",
            "example.com",
            "--dns-listen",
            "127.0.0.1:0",
        ])
        .args(["--approve", "verify", "--record-type", "cname"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let (mut url, mut dns) = (String::new(), String::new());
    out.read_line(&mut url).unwrap();
    out.read_line(&mut dns).unwrap();
    let mut custom = Custom(child);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let server = dns
        .trim()
        .strip_prefix("dns 127.0.0.1:")
        .map(|port| format!("127.0.0.1:{port}"))
        .unwrap_or_else(|| panic!("second line: {dns:?}"));
    assert_eq!(dns_query(&server, "example.com", 6), (true, 0, 1));
    assert_eq!(dns_query(&server, "_dnsauth.example.com", 16), (true, 3, 0));
    assert_eq!(dns_query(&server, "example.org", 1), (false, 5, 0));
    let _ = custom.0.kill();
}

/// Listening on every interface, the first line is still a URL a local
/// client accepts (it used to print `http://0.0.0.0:PORT`, which the client
/// refuses as not loopback; `SandboxProcess::start` checks the line).
#[test]
fn listening_on_every_interface_prints_a_loopback_url() {
    let h = home();
    let sb = SandboxProcess::start(&["--listen", "0.0.0.0:0"]);
    run_at(&sb, h.path(), &["quota"]).expect_code(0);
}

/// `throttle-after-S` answers Throttling.User with `x-acs-retry-after: S`:
/// the client waits and retries once; asked to wait longer than it will
/// (60 s), it gives up at once with exit 4 (safe to re-run).
#[test]
fn retry_after_is_sent_and_honoured() {
    let h = home();
    let sb = SandboxProcess::start(&["--fault", "DescribePackageState=throttle-after-1:1"]);
    run_at(&sb, h.path(), &["quota"]).expect_code(0);
    assert_eq!(requests(&sb, "DescribePackageState"), 2);
    assert_eq!(fired(&sb, "DescribePackageState=throttle-after-1:1"), 1);

    let sb = SandboxProcess::start(&["--fault", "DescribePackageState=throttle-after-3600:1"]);
    let run = run_at(&sb, h.path(), &["quota"]).expect_code(4);
    assert!(run.stderr.contains("Throttling.User"), "{}", run.both());
    assert_eq!(requests(&sb, "DescribePackageState"), 1);
}
