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
    for want in ["V103", "V227", "V211", "V301"] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }
    assert!(doc["summary"]["errors"].as_u64().unwrap() >= 3);
    // An unreadable input: reported, the others still checked, exit 2.
    let out = run(d, &["validate", "certs/a-good.csr", "missing.csr"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("missing.csr"));
}

/// A walk reports files in the order of their paths (`Path`'s comparison,
/// component by component, which is not the order of the strings:
/// `a/z.csr` comes before `a-b/y.csr` and `a.csr`), across more files than
/// are checked in one parallel chunk, each once.
#[test]
fn walk_order_is_path_order_across_chunks() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    let mut want = Vec::new();
    for dir in ["", "a", "a-b", "a/deeper", "B"] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
    }
    for (i, name) in [
        "a.csr",
        "B.csr",
        "c.pem",
        "a/z.csr",
        "a-b/y.der",
        "a/deeper/x.csr",
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(root.join(name), format!("junk {i}")).unwrap();
        want.push(root.join(name));
    }
    for i in 0..1100 {
        let name = format!("B/{i}.csr");
        std::fs::write(root.join(&name), b"junk").unwrap();
        want.push(root.join(name));
    }
    std::fs::write(root.join("a/ignored.txt"), b"not looked at").unwrap();
    want.sort();
    let out = run(tmp.path(), &["validate", "w", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: Vec<std::path::PathBuf> = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| tmp.path().join(f["path"].as_str().unwrap()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(doc["summary"]["files"], 1106);
    assert_eq!(doc["summary"]["errors"], 1106);
}

/// A subdirectory the walk cannot list (here its path is longer than
/// PATH_MAX, which fails for root too; no permission fails the same way)
/// is named as unreadable in its place, and the files around it are still
/// checked: one bad subdirectory used to hide the whole tree's results.
#[test]
fn walk_names_an_unlistable_subdirectory_and_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("w");
    std::fs::create_dir_all(root.join("deep")).unwrap();
    let good = fixture_dir().join("v101/pass-rsa.pem");
    std::fs::copy(&good, root.join("a.pem")).unwrap();
    std::fs::copy(&good, root.join("z.pem")).unwrap();
    // Twenty levels of 250-byte names, made by relative steps (bash: dash's
    // `cd` refuses a logical path past PATH_MAX).
    let made = std::process::Command::new("bash")
        .current_dir(root.join("deep"))
        .arg("-c")
        .arg("n=$(printf 'd%.0s' $(seq 250)); for i in $(seq 20); do mkdir $n && cd $n || exit 1; done")
        .status()
        .unwrap();
    assert!(made.success());
    let out = run(tmp.path(), &["validate", "w", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let files = doc["files"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{doc}");
    assert_eq!(files[0]["path"], "w/a.pem");
    assert_eq!(files[0]["findings"], serde_json::json!([]));
    let unread = files[1]["path"].as_str().unwrap();
    assert!(
        unread.starts_with("w/deep/d") && unread.len() > 4096,
        "{unread:.80}"
    );
    let why = files[1]["error"].as_str().unwrap();
    assert!(
        why.starts_with("cannot list the directory: ")
            && why.ends_with(
                "nothing under it was checked (fix its permissions, or name the files in it)"
            ),
        "{why}"
    );
    assert_eq!(files[2]["path"], "w/z.pem");
    assert_eq!(doc["summary"]["input_errors"], 1);
    // The human summary does not count it as checked.
    let out = run(tmp.path(), &["validate", "w"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "2 files checked (2 requests): 0 errors, 0 warnings, 0 infos; 1 input not read"
        ),
        "{stdout}"
    );
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

fn attack(name: &str) -> String {
    fixture_dir()
        .join("external/attack")
        .join(name)
        .to_str()
        .unwrap()
        .to_owned()
}

/// Issue 13 item 7: the product apply is about to buy is part of the lint.
#[test]
fn product_code_wildcard_and_names() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let out = run(d, &["generate", "-d", "*.example.com", "--out-dir", "w"]);
    assert!(out.status.success(), "{}", text(&out));
    let single = run(
        d,
        &[
            "validate",
            "w/request.csr",
            "--product-code",
            "digicert-free-1-free",
        ],
    );
    assert_eq!(single.status.code(), Some(1), "{}", text(&single));
    assert!(text(&single).contains("error[V907]"), "{}", text(&single));
    assert!(text(&single).contains("single-domain"), "{}", text(&single));
    let wild = run(
        d,
        &[
            "validate",
            "w/request.csr",
            "--product-code",
            "geotrust-dv-w-starter",
        ],
    );
    assert_eq!(wild.status.code(), Some(0), "{}", text(&wild));
    assert!(!text(&wild).contains("V907"), "{}", text(&wild));
    // an unknown code and an OV code are errors too; the policy file works
    let unknown = run(
        d,
        &[
            "validate",
            "w/request.csr",
            "--product-code",
            "globalsign-dv-1-starter",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown));
    assert!(text(&unknown).contains("not one the service documents"));
    std::fs::write(
        d.join("csrkit.toml"),
        "[validate]\nproduct_code = \"geotrust-ov-w-personal\"\n",
    )
    .unwrap();
    let ov = run(d, &["validate", "w/request.csr"]);
    assert_eq!(ov.status.code(), Some(1), "{}", text(&ov));
    assert!(text(&ov).contains("DV certificates only"), "{}", text(&ov));
}

/// Issue 13 M4: inspect reads at most 1 MiB from files, devices and stdin.
#[test]
fn inspect_is_capped_like_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for dev in ["/dev/zero", "/dev/urandom"] {
        let out = run(d, &["inspect", dev]);
        assert_eq!(out.status.code(), Some(2), "{dev}: {}", text(&out));
        assert!(text(&out).contains("larger than 1 MiB"), "{}", text(&out));
    }
    let out = csrkit()
        .args(["inspect", "-"])
        .stdin(std::fs::File::open("/dev/zero").unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let big = d.join("big.pem");
    std::fs::write(&big, vec![b'A'; (1 << 20) + 1]).unwrap();
    assert_eq!(run(d, &["inspect", "big.pem"]).status.code(), Some(2));
    // A directory: inspect reads one file, and says what checks a tree.
    let out = run(d, &["inspect", "."]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("it is a directory: name a CSR file in it (csrkit validate"),
        "{}",
        text(&out)
    );
}

/// Issue 13 M5: control and bidi characters never reach a terminal or a
/// workflow command; JSON keeps the exact text.
#[test]
fn control_characters_are_escaped_everywhere() {
    let raw = |b: &[u8]| b.iter().any(|&c| c == 0x1b || c == 0x07);
    for name in ["inject-esc.csr", "inject-tld.csr", "inject-nl.csr"] {
        let f = attack(name);
        let inspect = csrkit().args(["inspect", &f]).output().unwrap();
        assert!(!raw(&inspect.stdout), "inspect {name}: {}", text(&inspect));
        assert!(
            !String::from_utf8_lossy(&inspect.stdout).contains("\n::error"),
            "{name}"
        );
        for format in ["human", "github"] {
            let out = csrkit()
                .args(["validate", &f, "--format", format])
                .output()
                .unwrap();
            assert!(!raw(&out.stdout), "{format} {name}: {}", text(&out));
            if format == "github" {
                let s = String::from_utf8_lossy(&out.stdout);
                assert!(s.lines().all(|l| l.starts_with("::")), "{s}");
                assert!(!s.lines().any(|l| l.starts_with("::error file=x")), "{s}");
            } else {
                assert!(!String::from_utf8_lossy(&out.stdout).contains("\n::error"));
            }
        }
        let json = csrkit()
            .args(["inspect", &f, "--format", "json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let cn = doc["common_name"].as_str().unwrap();
        assert!(
            cn.contains('\u{1b}') || cn.contains('\n'),
            "JSON keeps it exact: {cn:?}"
        );
    }
}

/// Issue 13 messages 8 and 9: one document whatever the inputs; closed or
/// empty stdin is an input error.
#[test]
fn documents_are_whole_and_stdin_errors_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let good = fixture_dir().join("v101/pass-rsa.pem");
    let good = good.to_str().unwrap();
    let big = d.join("big.pem");
    std::fs::write(&big, vec![b'A'; (1 << 20) + 1]).unwrap();
    for format in ["json", "sarif"] {
        let out = run(
            d,
            &[
                "validate",
                good,
                "/nonexistent.csr",
                "big.pem",
                "--format",
                format,
            ],
        );
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{format}: {e}: {}", text(&out)));
        let s = doc.to_string();
        assert!(
            s.contains("/nonexistent.csr") && s.contains("big.pem"),
            "{s}"
        );
        if format == "json" {
            assert_eq!(doc["summary"]["input_errors"], 2, "{s}");
            assert_eq!(doc["files"].as_array().unwrap().len(), 3, "{s}");
        } else {
            let notes = &doc["runs"][0]["invocations"][0]["toolExecutionNotifications"];
            assert_eq!(notes.as_array().map(Vec::len), Some(2), "{s}");
        }
    }
    let closed = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{}' validate - <&-", util::bin().display()))
        .output()
        .unwrap();
    assert_eq!(closed.status.code(), Some(2), "{}", text(&closed));
    let empty = csrkit()
        .args(["validate", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(2), "{}", text(&empty));
}

/// Issue 13 message 10 and item 1: names are case-insensitive; the
/// principle has its page.
#[test]
fn explain_names_any_case_and_principles() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let upper = run(d, &["explain", "CN-NOT-IN-SAN"]);
    assert!(upper.status.success(), "{}", text(&upper));
    assert!(text(&upper).starts_with("V204"));
    let p = run(d, &["explain", "principles"]);
    assert!(p.status.success());
    assert!(text(&p).contains("Anything a CA would refuse is an error"));
    let all = run(d, &["explain", "all"]);
    assert!(text(&all).starts_with("Anything a CA would refuse"));
    let why = run(d, &["explain", "V227"]);
    assert!(text(&why).contains("why:"), "{}", text(&why));
}

/// Issue 13 L6: keys in other armour, bare or in PKCS #12 are keys; inspect
/// says when a request shares its file with one.
#[test]
fn keys_in_any_wrapping_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let key = fixture_dir().join("keys/rsa2048.pem");
    let key = key.to_str().unwrap();
    let cert = d.join("c.crt");
    openssl(&[
        "req",
        "-x509",
        "-key",
        key,
        "-subj",
        "/CN=example.com",
        "-days",
        "1",
        "-out",
        cert.to_str().unwrap(),
    ]);
    let p12 = d.join("key.p12");
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        key,
        "-in",
        cert.to_str().unwrap(),
        "-passout",
        "pass:x",
        "-out",
        p12.to_str().unwrap(),
    ]);
    let out = run(d, &["validate", "key.p12"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("error[V106]"), "{}", text(&out));
    assert!(text(&out).contains("PKCS #12"), "{}", text(&out));
    let combo = d.join("combo.pem");
    let csr = std::fs::read_to_string(fixture_dir().join("v101/pass-rsa.pem")).unwrap();
    std::fs::write(
        &combo,
        format!("{csr}{}", std::fs::read_to_string(key).unwrap()),
    )
    .unwrap();
    let out = run(d, &["inspect", "combo.pem"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("V106"),
        "{}",
        text(&out)
    );
    let json = run(d, &["inspect", "combo.pem", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(
        doc["warnings"][0].as_str().unwrap().contains("private key"),
        "{doc}"
    );
}

/// Issue 13 H1: a forged request exits 1 under every format; inspect says
/// the signature is not valid.
#[test]
fn forgeries_fail_the_gate() {
    for (name, code) in [
        ("forged-rsa.csr", "V109"),
        ("p256-sha512-flipped.csr", "V101"),
        ("rsa9216-flipped.csr", "V101"),
        ("p256-offcurve.csr", "V309"),
        ("pss-salt20.csr", "V101"),
    ] {
        let out = csrkit().args(["validate", &attack(name)]).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", text(&out));
        assert!(
            text(&out).contains(&format!("error[{code}]")),
            "{name}: {}",
            text(&out)
        );
        let facts = csrkit()
            .args(["inspect", &attack(name), "--format", "json"])
            .output()
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&facts.stdout).unwrap();
        assert_ne!(doc["signature_valid"], true, "{name}: {doc}");
        assert!(doc["signature_problem"].is_string(), "{name}: {doc}");
    }
}
