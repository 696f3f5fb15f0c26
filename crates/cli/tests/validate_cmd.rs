//! `csrkit validate`, `inspect` and `explain` end to end: inputs (files,
//! directories, stdin, the 1 MiB cap), formats, exit codes, policy flags.
#![allow(clippy::unwrap_used)]

mod util;

use std::io::Write;
use std::process::{Output, Stdio};

use util::{csrkit, openssl};

fn fixture_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../validate/tests/fixtures")
}

fn run(dir: &std::path::Path, args: &[&str]) -> Output {
    csrkit().current_dir(dir).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A clean CSR and a bad one (underscore, RSA-1024, SHA-1, no SAN).
fn corpus() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = run(d, &["generate", "-d", "example.com", "--out-dir", "good"]);
    assert!(out.status.success());
    std::fs::create_dir(d.join("certs")).unwrap();
    std::fs::copy(d.join("good/request.csr"), d.join("certs/a-good.csr")).unwrap();
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:1024",
        "-nodes",
        "-sha1",
        "-subj",
        "/CN=bad_name.example.com",
        "-keyout",
        d.join("k.pem").to_str().unwrap(),
        "-out",
        d.join("certs/b-bad.csr").to_str().unwrap(),
    ]);
    std::fs::write(d.join("certs/notes.txt"), "not a CSR, not looked at").unwrap();
    tmp
}

#[test]
fn exit_codes_and_directory_walk() {
    let tmp = corpus();
    let d = tmp.path();
    // Clean file: exit 0.
    let ok = run(d, &["validate", "certs/a-good.csr"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    // Directory: both CSRs in sorted order, the .txt file skipped; exit 1.
    let out = run(d, &["validate", "certs", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "csrkit.validate/1");
    let paths: Vec<&str> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["certs/a-good.csr", "certs/b-bad.csr"]);
    let codes: Vec<&str> = doc["files"][1]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for want in ["V103", "V201", "V211", "V301"] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }
    assert!(doc["summary"]["errors"].as_u64().unwrap() >= 4);
    // An unreadable input: reported, the others still checked, exit 2.
    let out = run(d, &["validate", "certs/a-good.csr", "missing.csr"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.csr"));
}

#[test]
fn stdin_and_the_size_cap() {
    let tmp = corpus();
    let d = tmp.path();
    let mut child = csrkit()
        .current_dir(d)
        .args([
            "validate",
            "-",
            "--expect-domain",
            "www.example.com",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(d.join("certs/a-good.csr")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["files"][0]["path"], "<stdin>");
    assert!(text(&out).contains("V905"), "{}", text(&out));

    let big = d.join("big.pem");
    std::fs::write(&big, vec![b'A'; (1 << 20) + 1]).unwrap();
    let out = run(d, &["validate", "big.pem"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("larger than 1 MiB"), "{}", text(&out));
}

#[test]
fn policy_flags_and_file() {
    let tmp = corpus();
    let d = tmp.path();
    // --allow turns the failing rules off one by one.
    let mut args = vec!["validate", "certs/b-bad.csr"];
    for rule in ["V103", "san-missing", "V204", "V211", "V301"] {
        args.extend(["--allow", rule]);
    }
    let out = run(d, &args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // --fail-on info makes an informational finding fail; --deny an error.
    std::fs::write(
        d.join("csrkit.toml"),
        "[validate]\nallowed_domains = [\"example.org\"]\n",
    )
    .unwrap();
    let out = run(d, &["validate", "certs/a-good.csr"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the policy file applies: {}",
        text(&out)
    );
    assert!(text(&out).contains("V904"), "{}", text(&out));
    let out = run(
        d,
        &[
            "validate",
            "certs/a-good.csr",
            "--policy",
            "/nonexistent.toml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(
        d,
        &["validate", "certs/a-good.csr", "--allow", "no-such-rule"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("no-such-rule"), "{}", text(&out));
}

/// V318 with lists whose entries openssl computed: by --blocklist, by
/// csrkit.toml's `blocklists` (relative to the file), in both formats.
#[test]
fn blocklists_from_flag_and_policy_file() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = fixture_dir().join("keys/rsa2048.pem");
    let key = key.to_str().unwrap();
    let csr = d.join("rsa.csr");
    openssl(&[
        "req",
        "-new",
        "-key",
        key,
        "-subj",
        "/CN=example.com",
        "-addext",
        "subjectAltName=DNS:example.com",
        "-out",
        csr.to_str().unwrap(),
    ]);
    let out = run(d, &["validate", "rsa.csr"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // openssl-vulnkey: the last 20 hex digits of sha1("Modulus=...\n")
    let modulus = openssl(&["rsa", "-in", key, "-noout", "-modulus"]);
    std::fs::write(d.join("modulus.txt"), &modulus).unwrap();
    let sha1 = openssl(&[
        "dgst",
        "-sha1",
        "-r",
        d.join("modulus.txt").to_str().unwrap(),
    ]);
    let vulnkey = &sha1.split_whitespace().next().unwrap()[20..];
    std::fs::create_dir(d.join("lists")).unwrap();
    std::fs::write(
        d.join("lists/debian.txt"),
        format!("# made by the test\n00005890bc78bcbee3ca\n{vulnkey}\n"),
    )
    .unwrap();
    let out = run(
        d,
        &["validate", "rsa.csr", "--blocklist", "lists/debian.txt"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("error[V318]"), "{}", text(&out));
    assert!(
        text(&out).contains("lists/debian.txt (line 3"),
        "{}",
        text(&out)
    );
    // the same list named by a policy file elsewhere, relative to that file
    std::fs::write(
        d.join("lists/csrkit.toml"),
        "[validate]\nblocklists = [\"debian.txt\"]\n",
    )
    .unwrap();
    let out = run(d, &["validate", "rsa.csr", "--policy", "lists/csrkit.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("V318"), "{}", text(&out));
    // SPKI SHA-256, as inspect prints it, for an ECDSA key
    let out = run(d, &["generate", "-d", "example.com", "--out-dir", "ec"]);
    assert!(out.status.success(), "{}", text(&out));
    let facts = run(d, &["inspect", "ec/request.csr", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&facts.stdout).unwrap();
    let spki = json["spki_sha256"]
        .as_str()
        .unwrap_or_else(|| panic!("{json}"));
    std::fs::write(d.join("lists/spki.txt"), format!("{spki}\n")).unwrap();
    let out = run(
        d,
        &[
            "validate",
            "ec/request.csr",
            "--blocklist",
            "lists/spki.txt",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("SHA-256 of its SubjectPublicKeyInfo"),
        "{}",
        text(&out)
    );
    let out = run(d, &["validate", "rsa.csr", "--blocklist", "lists/spki.txt"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // a malformed list or a missing one: exit 2, naming file and line
    std::fs::write(
        d.join("lists/bad.txt"),
        "3c430072d96e4a1e1809\nnot-a-hash\n",
    )
    .unwrap();
    let out = run(d, &["validate", "rsa.csr", "--blocklist", "lists/bad.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("lists/bad.txt line 2"),
        "{}",
        text(&out)
    );
    let out = run(d, &["validate", "rsa.csr", "--blocklist", "lists/none.txt"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("lists/none.txt"), "{}", text(&out));
}

#[test]
fn every_format_over_the_fixtures() {
    let dir = fixture_dir();
    let dir = dir.to_str().unwrap();
    for format in ["human", "json", "sarif", "github"] {
        let out = csrkit()
            .args(["validate", dir, "--format", format])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", text(&out));
        let stdout = String::from_utf8(out.stdout).unwrap();
        match format {
            "json" | "sarif" => {
                let doc: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                assert!(doc.is_object());
            }
            "github" => assert!(stdout.lines().all(|l| l.starts_with("::")), "{stdout}"),
            _ => assert!(stdout.contains("error[V"), "{stdout}"),
        }
    }
}

#[test]
fn inspect_and_explain() {
    let tmp = corpus();
    let d = tmp.path();
    let out = run(d, &["inspect", "certs/a-good.csr", "--format", "json"]);
    assert!(out.status.success(), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "csrkit.inspect/1");
    assert_eq!(doc["common_name"], "example.com");
    assert_eq!(doc["key"]["curve"], "P-256");
    assert_eq!(doc["signature_valid"], true);
    let key_spki = run(
        d,
        &[
            "generate",
            "-d",
            "example.com",
            "--key",
            "good/privkey.pem",
            "--out-dir",
            "again",
            "--format",
            "json",
        ],
    );
    let made: serde_json::Value = serde_json::from_slice(&key_spki.stdout).unwrap();
    assert_eq!(doc["spki_sha256"], made["spki_sha256"]);

    let human = run(d, &["inspect", "certs/a-good.csr"]);
    assert!(text(&human).contains("dns:example.com"), "{}", text(&human));
    let not_csr = run(d, &["inspect", "k.pem"]);
    assert_eq!(not_csr.status.code(), Some(2), "{}", text(&not_csr));

    let by_code = run(d, &["explain", "V204"]);
    let by_name = run(d, &["explain", "cn-not-in-san"]);
    assert!(by_code.status.success());
    assert_eq!(by_code.stdout, by_name.stdout);
    assert!(text(&by_code).contains("BR 7.1.4.3"));
    let all = run(d, &["explain", "all"]);
    assert!(String::from_utf8_lossy(&all.stdout).lines().count() >= 50);
    assert_eq!(run(d, &["explain", "V999"]).status.code(), Some(2));
}
