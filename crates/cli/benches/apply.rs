//! Benchmark: `csrkit apply --sandbox --domain example.com` (whole process,
//! P-256 key, fresh directory each round, certificate on disk at the end):
//! the hands-off loop, with the record published through the sandbox's
//! Alibaba Cloud DNS, checked on its DNS server, verified by the sandbox
//! before it issues, and removed. Beside it the same flow done by hand:
//! `openssl genpkey`, `openssl req -new` and the official Python SDKs
//! (`scripts/bench/apply_with_sdk.py`: DescribePackageState,
//! CreateCertificateWithCsrRequest, DescribeCertificateState,
//! AddDomainRecord, DescribeCertificateState until `certificate`,
//! DeleteDomainRecord, cert.pem written) against a `csrkit sandbox --approve
//! verify --zone example.com` process. Measured in the same run,
//! interleaved.
//!
//! A third column runs `csrkit apply --endpoint --dns alidns` against that
//! same sandbox process, so that both sides talk to the same server over
//! loopback (`--sandbox` starts its own sandbox, CA and DNS server
//! included, in each process).
//!
//! The SDK runs in the interop venv, `target/interop-venv` at the workspace
//! root (made by `scripts/interop/run.sh`), or `$CSRKIT_BENCH_VENV`. Without
//! it the SDK column is skipped with a note; the bench never fails for it.
//!
//! Run: `cargo bench -p csrkit --bench apply` (add `-- --quick` for fewer
//! rounds). Prints a Markdown table for the README.

mod common;
use common::{median, ms, run};

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CSRKIT: &str = env!("CARGO_BIN_EXE_csrkit");

/// A fresh, empty directory for one round.
fn fresh(base: &Path, name: &str, round: usize) -> PathBuf {
    let dir = base.join(format!("{name}-{round}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

fn csrkit_sandbox_once(dir: &Path) -> Duration {
    let d = run(Command::new(CSRKIT)
        .args(["apply", "--sandbox", "--domain", "example.com"])
        .args(["--key-type", "p256", "--out-dir"])
        .arg(dir.join("example.com")));
    assert!(dir.join("example.com/fullchain.pem").exists());
    d
}

fn csrkit_endpoint_once(dir: &Path, server: &Server) -> Duration {
    let d = run(Command::new(CSRKIT)
        .args([
            "apply",
            "--domain",
            "example.com",
            "--key-type",
            "p256",
            "--wait",
        ])
        .args(["--dns", "alidns", "--dns-endpoint", &server.url])
        .args(["--dns-resolver", &server.dns])
        .args(["--endpoint", &server.url, "--out-dir"])
        .arg(dir.join("example.com"))
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", "sandbox-access-key-id")
        .env(
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "sandbox-access-key-secret",
        )
        .env("CSRKIT_CONTACT_NAME", "Zhang San")
        .env("CSRKIT_CONTACT_PHONE", "13800000000")
        .env("CSRKIT_CONTACT_EMAIL", "ops@example.com")
        .env_remove("ALIBABA_CLOUD_SECURITY_TOKEN")
        .env_remove("ALIBABA_CLOUD_PROFILE"));
    assert!(dir.join("example.com/fullchain.pem").exists());
    d
}

fn by_hand_once(dir: &Path, python: &Path, script: &Path, url: &str) -> Duration {
    let key = dir.join("privkey.pem");
    let csr = dir.join("request.csr");
    let d = run(Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .arg("-out")
        .arg(&key))
        + run(Command::new("openssl")
            .args(["req", "-new", "-sha256", "-key"])
            .arg(&key)
            .args(["-subj", "/CN=example.com"])
            .args(["-addext", "subjectAltName=DNS:example.com"])
            .arg("-out")
            .arg(&csr))
        + run(Command::new(python).arg(script).arg(url).arg(&csr).arg(dir));
    assert!(dir.join("cert.pem").exists());
    d
}

/// A `csrkit sandbox` process that verifies before it issues, hosting
/// example.com and answering DNS for it, with room for every round.
struct Server {
    child: Child,
    url: String,
    dns: String,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(CSRKIT)
            .args(["sandbox", "--approve", "verify", "--issue-after", "0"])
            .args(["--zone", "example.com", "--dns-listen", "127.0.0.1:0"])
            .args(["--quota", "digicert-free-1-free=10000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("csrkit sandbox starts");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
        let mut url = String::new();
        out.read_line(&mut url).expect("the sandbox prints its URL");
        let mut dns = String::new();
        out.read_line(&mut dns)
            .expect("the sandbox prints its DNS address");
        Server {
            child,
            url: url.trim().to_owned(),
            dns: dns.trim().trim_start_matches("dns ").to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The venv's python with the SDK importable, or why not.
fn sdk_python(workspace: &Path) -> Result<PathBuf, String> {
    let venv = std::env::var_os("CSRKIT_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target/interop-venv"));
    let python = venv.join("bin/python");
    if !python.exists() {
        return Err(format!(
            "no venv at {} (make it with scripts/interop/run.sh, or set CSRKIT_BENCH_VENV)",
            venv.display()
        ));
    }
    let ok = Command::new(&python)
        .args([
            "-c",
            "import alibabacloud_cas20200407, alibabacloud_alidns20150109",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return Err(format!(
            "{} cannot import the SDKs (pip install alibabacloud-cas20200407 \
             alibabacloud-alidns20150109, or run scripts/interop/sandbox_sdk.sh)",
            python.display()
        ));
    }
    Ok(python)
}

fn main() {
    // cargo bench passes `--bench`; accept and ignore it.
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 20 };
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = workspace.join("scripts/bench/apply_with_sdk.py");
    let sdk = sdk_python(&workspace);
    let tmp = tempfile::tempdir().expect("tempdir");
    let server = Server::start();
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );

    // One warm-up of each, not counted.
    csrkit_sandbox_once(&fresh(tmp.path(), "warm-sandbox", 0));
    csrkit_endpoint_once(&fresh(tmp.path(), "warm-endpoint", 0), &server);
    if let Ok(python) = &sdk {
        by_hand_once(
            &fresh(tmp.path(), "warm-sdk", 0),
            python,
            &script,
            &server.url,
        );
    }

    let (mut ours, mut ours_ep, mut theirs) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        if let Ok(python) = &sdk {
            theirs.push(by_hand_once(
                &fresh(tmp.path(), "sdk", round),
                python,
                &script,
                &server.url,
            ));
        }
        ours.push(csrkit_sandbox_once(&fresh(tmp.path(), "sandbox", round)));
        ours_ep.push(csrkit_endpoint_once(
            &fresh(tmp.path(), "endpoint", round),
            &server,
        ));
    }
    let a = median(&mut ours);
    let e = median(&mut ours_ep);

    let openssl = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "openssl not found".into());
    println!(
        "domain to issued certificate (P-256, example.com; publish, verify, clean up), median \
         wall time of the whole process(es), ms, {rounds} rounds interleaved\n"
    );
    if theirs.is_empty() {
        println!("| csrkit apply --sandbox | csrkit apply --endpoint (same sandbox) |");
        println!("|---:|---:|");
        println!("| {} | {} |", ms(a), ms(e));
        if let Err(why) = &sdk {
            println!("\nnote: the SDK column is skipped: {why}");
        }
    } else {
        let b = median(&mut theirs);
        let ratio = |x: Duration| b.as_secs_f64() / x.as_secs_f64();
        println!(
            "| openssl genpkey + req + Python SDKs | csrkit apply --sandbox | speed-up | \
                 csrkit apply --endpoint --dns alidns (same sandbox) | speed-up |"
        );
        println!("|---:|---:|---:|---:|---:|");
        println!(
            "| {} | {} | {:.1}x | {} | {:.1}x |",
            ms(b),
            ms(a),
            ratio(a),
            ms(e),
            ratio(e)
        );
        println!(
            "\n({openssl}; alibabacloud-cas20200407 and alibabacloud-alidns20150109 from the \
             interop venv)"
        );
    }
}
