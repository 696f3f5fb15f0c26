//! Shared helpers for the end-to-end tests: the binary under test and the
//! `openssl` oracle.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

pub mod proxy;

/// The `csrkit` binary built for this test run.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_csrkit"))
}

/// A command running the binary under test, with a clean environment for
/// the variables csrkit reads.
pub fn csrkit() -> Command {
    let mut cmd = Command::new(bin());
    for var in [
        "CSRKIT_KEY_PASSPHRASE",
        "CSRKIT_ENDPOINT",
        "CSRKIT_DNS_ENDPOINT",
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Running a command that must succeed.
pub trait Succeeds {
    /// Runs it to the end; panics with its stderr unless it exits 0.
    fn succeeds(&mut self) -> std::process::Output;
}

impl Succeeds for Command {
    fn succeeds(&mut self) -> std::process::Output {
        let out = self.output().expect("the command runs");
        assert!(
            out.status.success(),
            "{self:?} exited {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

/// Runs `openssl` and returns stdout and stderr together; panics when it
/// exits non-zero. (OpenSSL 3.0 `req -verify` exits 0 on a bad signature:
/// callers read what it says.)
pub fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl {args:?} failed: {text}");
    text
}

/// A committed fixture under `tests/fixtures/`.
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    path.to_str().expect("utf-8 path").to_owned()
}

/// A `csrkit sandbox` server process on a free loopback port, stopped when
/// dropped.
pub struct SandboxProcess {
    child: std::process::Child,
    /// Its base URL, from the first line it printed.
    pub url: String,
    /// Where it answers DNS for its zones (`IP:PORT`, from the second line
    /// it printed), when started with `--dns-listen`.
    pub dns: Option<String>,
}

/// The sandbox's default credentials (`csrkit sandbox` without
/// `CSRKIT_SANDBOX_ACCESS_KEY_*`).
pub const SANDBOX_KEY_ID: &str = "sandbox-access-key-id";
/// See [`SANDBOX_KEY_ID`].
pub const SANDBOX_SECRET: &str = "sandbox-access-key-secret";

impl SandboxProcess {
    /// Starts `csrkit sandbox ARGS…` and waits for its base URL.
    pub fn start(args: &[&str]) -> SandboxProcess {
        SandboxProcess::start_with_env(args, &[])
    }

    /// Starts `csrkit sandbox ARGS…` with extra environment variables
    /// (e.g. `CSRKIT_SANDBOX_ACCESS_KEY_SECRET`) and waits for its base URL.
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> SandboxProcess {
        use std::io::BufRead;
        let mut child = Command::new(bin())
            .arg("sandbox")
            .args(args)
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("csrkit sandbox starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut reader = std::io::BufReader::new(stdout);
        let mut line = String::new();
        reader
            .read_line(&mut line)
            .expect("the sandbox prints its URL");
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "first line was {url:?}"
        );
        let dns = args.contains(&"--dns-listen").then(|| {
            let mut line = String::new();
            reader
                .read_line(&mut line)
                .expect("the sandbox prints its DNS address");
            line.trim()
                .strip_prefix("dns ")
                .unwrap_or_else(|| panic!("second line was {line:?}"))
                .to_owned()
        });
        SandboxProcess { child, url, dns }
    }

    /// A `csrkit` command pointed at this sandbox with its credentials.
    pub fn csrkit(&self) -> Command {
        let mut cmd = csrkit();
        cmd.env("CSRKIT_ENDPOINT", &self.url)
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", SANDBOX_KEY_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SANDBOX_SECRET);
        cmd
    }

    /// GET a control endpoint (`/_sandbox/stats`, …) as JSON.
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let body = http(&self.url, "GET", path);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// POST to a control endpoint (`/_sandbox/orders/{id}/approve`, …).
    pub fn post(&self, path: &str) -> String {
        http(&self.url, "POST", path)
    }

    /// GET a control endpoint as text (`/_sandbox/ca.pem`).
    pub fn get_text(&self, path: &str) -> String {
        http(&self.url, "GET", path)
    }

    /// What `/_sandbox/resources` says each resource's domain serves (its
    /// certificate id).
    pub fn served(&self) -> std::collections::BTreeMap<String, Option<u64>> {
        self.get_json("/_sandbox/resources")
            .as_array()
            .expect("a list of resources")
            .iter()
            .map(|r| {
                (
                    r["domain"].as_str().unwrap_or_default().to_owned(),
                    r["cert_id"].as_u64(),
                )
            })
            .collect()
    }

    /// Where it answers DNS (started with `--dns-listen`).
    pub fn dns(&self) -> &str {
        self.dns.as_deref().expect("started with --dns-listen")
    }

    /// The `host:port` it listens on, for `--listen` when restarting it.
    pub fn addr(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Stops it (SIGKILL) and waits for it to exit, so that its port and
    /// state file are free for a restart.
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// GET `path` from the server at `base` (`http://127.0.0.1:PORT`) over
/// loopback; returns the body. For sandboxes not run by [`SandboxProcess`].
pub fn http_get(base: &str, path: &str) -> String {
    http(base, "GET", path)
}

/// POST to `path` on the server at `base`; returns the body.
pub fn http_post(base: &str, path: &str) -> String {
    http(base, "POST", path)
}

/// A minimal HTTP/1.1 request over loopback; returns the body.
fn http(base: &str, method: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let addr = base.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the sandbox");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return dechunk(body);
    }
    body.to_owned()
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        body = &rest[n + 2..];
    }
    out
}
