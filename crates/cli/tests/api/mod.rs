//! Helpers for the end-to-end tests of the API commands (`quota`, `orders`,
//! `status`, `cancel`) and of `csrkit sandbox`: running the binary with an
//! isolated environment, reading what it printed, and placing orders in a
//! sandbox quickly (through the `csrkit-submit` client, not the binary).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{SANDBOX_KEY_ID, SANDBOX_SECRET, SandboxProcess};

/// What a finished `csrkit` process left behind.
#[derive(Debug)]
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Its stdout.
    pub stdout: String,
    /// Its stderr.
    pub stderr: String,
}

impl Run {
    /// Both streams, for messages.
    pub fn both(&self) -> String {
        format!(
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Panics unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "{}", self.both());
        self
    }

    /// Panics unless it succeeded; returns stdout as JSON.
    pub fn json(self) -> serde_json::Value {
        let run = self.expect_code(0);
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {}", run.both()))
    }
}

/// Variables besides the ones `util::csrkit` clears that could leak the
/// machine's configuration into a test.
const MORE_VARS: [&str; 7] = [
    "ALIBABA_CLOUD_CREDENTIALS_FILE",
    "ALIBABA_CLOUD_CLI_PROFILE_DISABLED",
    "ALIBABA_CLOUD_ACCESS_KEY_ID_FILE",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE",
    "ALIBABA_CLOUD_SECURITY_TOKEN_FILE",
    "CSRKIT_SANDBOX_ACCESS_KEY_ID",
    "CSRKIT_SANDBOX_ACCESS_KEY_SECRET",
];

/// Makes `cmd` independent of the machine: no credential variables beyond
/// the ones the test sets, and `HOME` at `home` (so no real
/// `~/.aliyun/config.json` or `~/.alibabacloud/credentials.ini` is read).
pub fn isolate<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    for var in MORE_VARS {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home).env_remove("USERPROFILE")
}

/// Runs `cmd` to the end.
pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("csrkit runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A `csrkit ARGS…` command pointed at `sb` with its credentials, `HOME`
/// at an empty directory.
pub fn at(sb: &SandboxProcess, home: &Path, args: &[&str]) -> Command {
    let mut cmd = sb.csrkit();
    isolate(&mut cmd, home);
    cmd.args(args);
    cmd
}

/// Runs `csrkit ARGS…` against `sb`.
pub fn run_at(sb: &SandboxProcess, home: &Path, args: &[&str]) -> Run {
    run(&mut at(sb, home, args))
}

/// A current-thread runtime for the client calls of a test.
pub fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A client for the sandbox at `url` with its default credentials.
pub fn client(url: &str) -> csrkit_submit::Client {
    let creds = csrkit_submit::Credentials::new(SANDBOX_KEY_ID, SANDBOX_SECRET, None);
    let options = csrkit_submit::ClientOptions {
        endpoint: csrkit_submit::Endpoint::parse(url).unwrap(),
        ..csrkit_submit::ClientOptions::default()
    };
    csrkit_submit::Client::new(creds, options).unwrap()
}

/// A P-256 CSR (PEM) for `domains`; the first is the CN.
pub fn csr_pem(domains: &[&str]) -> String {
    let request = csrkit_csr::CsrRequest::new(domains.iter().copied()).unwrap();
    let key = csrkit_csr::generate_key(csrkit_csr::KeyType::P256).unwrap();
    request.sign(&key).unwrap().pem().to_owned()
}

/// Places `n` orders for `domain` in the sandbox at `url` (DNS validation,
/// the default product) and returns their ids, as strings.
pub fn create_orders(url: &str, domain: &str, n: usize) -> Vec<String> {
    create_orders_with(url, domain, None, csrkit_submit::ValidateType::Dns, n)
}

/// [`create_orders`] with a product code and a validation method.
pub fn create_orders_with(
    url: &str,
    domain: &str,
    product_code: Option<&str>,
    validate_type: csrkit_submit::ValidateType,
    n: usize,
) -> Vec<String> {
    let client = client(url);
    let csr = csr_pem(&[domain]);
    let req = csrkit_submit::CreateCertificateWithCsr {
        csr,
        username: "Test Applicant".into(),
        phone: "13800000000".into(),
        email: "ops@example.com".into(),
        validate_type,
        product_code: product_code.map(str::to_owned),
        tags: Vec::new(),
    };
    rt().block_on(async {
        let mut ids = Vec::with_capacity(n);
        for _ in 0..n {
            let made = client.create_certificate_with_csr(&req).await.unwrap();
            ids.push(made.order_id.to_string());
        }
        ids
    })
}

/// The quota document of `csrkit quota --format json` against `sb`.
pub fn quota(sb: &SandboxProcess, home: &Path) -> serde_json::Value {
    run_at(sb, home, &["quota", "--format", "json"]).json()
}

/// An endpoint with nothing listening: port 1 of the loopback address
/// (tcpmux, unused on any machine that runs these tests). Unlike a port
/// bound and released, it cannot be handed to a sandbox another test is
/// starting at the same moment.
pub const REFUSED_URL: &str = "http://127.0.0.1:1";

/// A loopback port free a moment ago (bound, then released), for a server
/// about to be started on it.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// A sandbox served in this test process that also accepts an STS triple
/// (`csrkit sandbox` has no flag for one).
pub struct StsSandbox {
    /// Its base URL.
    pub url: String,
    handle: Option<csrkit_sandbox::SandboxHandle>,
    rt: tokio::runtime::Runtime,
}

/// The STS triple [`StsSandbox`] accepts.
pub const STS_KEY_ID: &str = "STS.test-key-id";
/// See [`STS_KEY_ID`].
pub const STS_SECRET: &str = "sts-secret-Xq7vB2mN9pL4";
/// See [`STS_KEY_ID`].
pub const STS_TOKEN: &str = "sts-token-CAIS8wN1q2w3e4r5t6y7u8i9o0pZ";

impl StsSandbox {
    /// Starts it on a free loopback port, with manual approval.
    pub fn start() -> StsSandbox {
        StsSandbox::start_with_faults(&[])
    }

    /// [`StsSandbox::start`] with faults (`ACTION=KIND[:COUNT]`).
    pub fn start_with_faults(faults: &[&str]) -> StsSandbox {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let mut config = csrkit_sandbox::SandboxConfig::default();
        config.sts = Some(csrkit_sandbox::Credentials::sts(
            STS_KEY_ID, STS_SECRET, STS_TOKEN,
        ));
        config.approve = csrkit_sandbox::Approval::Manual;
        config.faults = faults.iter().map(|f| f.parse().unwrap()).collect();
        let handle = rt.block_on(csrkit_sandbox::Sandbox::start(config)).unwrap();
        StsSandbox {
            url: handle.endpoint(),
            handle: Some(handle),
            rt,
        }
    }

    /// The sandbox's counters.
    pub fn stats(&self) -> csrkit_sandbox::Stats {
        self.handle.as_ref().unwrap().stats()
    }

    /// GET a control endpoint as JSON (over loopback, as a client would).
    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let body = crate::util::http_get(&self.url, path);
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// A `csrkit ARGS…` command pointed at it, with no credentials set.
    pub fn csrkit(&self, home: &Path, args: &[&str]) -> Command {
        let mut cmd = crate::util::csrkit();
        isolate(&mut cmd, home)
            .env("CSRKIT_ENDPOINT", &self.url)
            .args(args);
        cmd
    }
}

impl Drop for StsSandbox {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}
