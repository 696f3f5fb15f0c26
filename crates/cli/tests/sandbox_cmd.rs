//! `csrkit sandbox` as a server: its first line, its credentials and a
//! command pointed at it.
#![allow(clippy::unwrap_used)]

mod util;

use util::SandboxProcess;

#[test]
fn serves_the_api_and_control_endpoints() {
    let sb = SandboxProcess::start(&["--quota", "digicert-free-1-free=3"]);
    let out = sb
        .csrkit()
        .args(["quota", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["total"], 3);
    assert_eq!(doc["remaining"], 3);
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(stats["requests"]["DescribePackageState"], 1, "{stats}");
    assert!(
        sb.get_json("/_sandbox/requests").is_array()
            || sb.get_json("/_sandbox/requests").is_object()
    );
}

/// Listening on every interface, the first line is still a URL a local
/// client accepts (it used to print `http://0.0.0.0:PORT`, which the client
/// refuses as not loopback).
#[test]
fn listening_on_every_interface_prints_a_loopback_url() {
    let sb = SandboxProcess::start(&["--listen", "0.0.0.0:0"]);
    let out = sb.csrkit().args(["quota"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `throttle-after-S` answers Throttling.User with `x-acs-retry-after: S`:
/// the client waits and retries once; asked to wait longer than it will
/// (60 s), it gives up at once with exit 4 (safe to re-run).
#[test]
fn retry_after_is_sent_and_honoured() {
    let sb = SandboxProcess::start(&["--fault", "DescribePackageState=throttle-after-1:1"]);
    let out = sb.csrkit().args(["quota"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(stats["requests"]["DescribePackageState"], 2, "{stats}");

    let sb = SandboxProcess::start(&["--fault", "DescribePackageState=throttle-after-3600:1"]);
    let out = sb.csrkit().args(["quota"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Throttling.User"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(stats["requests"]["DescribePackageState"], 1, "{stats}");
}
