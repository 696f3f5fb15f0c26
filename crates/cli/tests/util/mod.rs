//! Shared helpers for the end-to-end tests: the binary under test and the
//! `openssl` oracle.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;

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
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
        "ALIBABA_CLOUD_SECURITY_TOKEN",
        "ALIBABA_CLOUD_PROFILE",
    ] {
        cmd.env_remove(var);
    }
    cmd
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
