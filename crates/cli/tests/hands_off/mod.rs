//! Issue 11: hands-off validation end to end. The real binary publishes the
//! verification record (through the sandbox's Alibaba Cloud DNS, a real
//! BIND 9 `named` by RFC 2136, a hook script, or a webroot served by a
//! local HTTP server), checks that it propagated, waits for a `csrkit
//! sandbox --approve verify` process that issues only once it sees the
//! record, installs the certificate as a generation and removes exactly
//! what it published. The oracles: `dig` against `named`, the sandbox's
//! `/_sandbox/dns`, `/_sandbox/stats` and `/_sandbox/verifications`, the
//! journal, and `openssl` for the certificate.
//!
//! Orders that must be looked at while they wait are held by the sandbox's
//! `--issue-after` (verified, then `process` until approved by hand); the
//! tests wait for states and files, never for a time.

mod alidns;
mod bind;
pub(crate) mod install;

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::util::SandboxProcess;
use super::{apply, run_expect};

/// A verifying sandbox process hosting `zones` and answering DNS for them,
/// with `extra` arguments.
fn verifying_sandbox(zones: &[&str], extra: &[&str]) -> SandboxProcess {
    let mut args = vec!["--approve", "verify", "--dns-listen", "127.0.0.1:0"];
    for z in zones {
        args.extend(["--zone", z]);
    }
    args.extend(extra);
    SandboxProcess::start(&args)
}

/// `csrkit apply` publishing through the sandbox's own Alidns, checking
/// propagation on its DNS server.
fn apply_alidns(sb: &SandboxProcess, cwd: &Path) -> Command {
    let mut cmd = apply(sb, cwd);
    cmd.args(["--dns", "alidns", "--dns-endpoint", &sb.url])
        .args(["--dns-resolver", sb.dns()]);
    cmd
}

/// The records of the sandbox's zones at `fqdn`: (zone, type, value).
fn sandbox_records(sb: &SandboxProcess, fqdn: &str) -> Vec<(String, String, String)> {
    let listing = sb.get_json("/_sandbox/dns");
    let mut out = Vec::new();
    for zone in listing["zones"].as_array().unwrap() {
        for r in zone["records"].as_array().unwrap() {
            if r["fqdn"] == fqdn {
                out.push((
                    zone["puny_code"].as_str().unwrap().to_owned(),
                    r["type"].as_str().unwrap().to_owned(),
                    r["value"].as_str().unwrap().to_owned(),
                ));
            }
        }
    }
    out
}

/// A command running in the background, its stderr read line by line.
struct Background {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Background {
    fn spawn(cmd: &mut Command) -> Background {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Background {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (bounded) until `n` stderr lines contain `needle`.
    fn wait_for_lines(&mut self, needle: &str, n: usize) {
        let give_up = Instant::now() + Duration::from_secs(120);
        while self.seen.iter().filter(|l| l.contains(needle)).count() < n {
            let left = give_up.saturating_duration_since(Instant::now());
            match self
                .lines
                .recv_timeout(left.min(Duration::from_millis(200)))
            {
                Ok(line) => self.seen.push(line),
                Err(_) => {
                    if let Some(status) = self.child.try_wait().unwrap() {
                        self.drain();
                        panic!(
                            "the command ended ({status}) before printing {needle:?} {n} times:\n{}",
                            self.seen.join("\n")
                        );
                    }
                    assert!(
                        Instant::now() < give_up,
                        "no {needle:?} {n} times in 120 s:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    fn drain(&mut self) {
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.seen.push(line);
        }
    }

    /// Waits (bounded) for the end; returns the exit code, stdout, and
    /// every stderr line.
    fn finish(mut self) -> (Option<i32>, String, String) {
        let give_up = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            while let Ok(line) = self.lines.try_recv() {
                self.seen.push(line);
            }
            assert!(Instant::now() < give_up, "the command did not end in 120 s");
            std::thread::sleep(Duration::from_millis(20));
        };
        self.drain();
        let mut out = String::new();
        std::io::Read::read_to_string(&mut self.child.stdout.take().unwrap(), &mut out).unwrap();
        (status.code(), out, self.seen.join("\n"))
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// Waits (bounded) until the journal in `dir` satisfies `what`.
fn wait_for_journal(dir: &Path, what: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let give_up = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(text) = std::fs::read_to_string(dir.join("order.json"))
            && let Ok(j) = serde_json::from_str::<Value>(&text)
            && ok(&j)
        {
            return j;
        }
        assert!(
            Instant::now() < give_up,
            "the journal in {} never showed {what}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The last state the journal recorded.
fn last_state(j: &Value) -> &str {
    j["states"]
        .as_array()
        .and_then(|s| s.last())
        .and_then(|s| s["state"].as_str())
        .unwrap_or_default()
}

/// The journal's record value (what the CA asked to publish).
fn record_value(j: &Value) -> String {
    j["verification"]["record_value"]
        .as_str()
        .expect("the journal records what to publish")
        .to_owned()
}

/// The journal's `published` entries.
fn published(j: &Value) -> Vec<Value> {
    j["published"].as_array().cloned().unwrap_or_default()
}

/// Every published entry has been removed.
fn all_removed(j: &Value) -> bool {
    published(j).iter().all(|p| p["removed_at"].is_string())
}

/// `apply`, then `status DIR --format json` shows nothing still published.
fn status_shows_nothing_published(sb: &SandboxProcess, cwd: &Path, dir: &str) {
    let (stdout, _) = run_expect(
        sb.csrkit()
            .current_dir(cwd)
            .args(["status", dir, "--format", "json"]),
        0,
    );
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(doc["published"], serde_json::json!([]), "{doc}");
}

/// Writes an executable shell script.
fn script(path: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}
