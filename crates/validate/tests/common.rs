//! Shared helpers: the fixture directory and the policy each rule's
//! fixtures are checked under.

use std::path::{Path, PathBuf};

use csrkit_validate::{Policy, Profile};

pub(crate) fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Every fixture: (rule code, file name, expected to fail, bytes).
pub(crate) fn fixtures() -> Vec<(String, String, bool, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dirs: Vec<_> = std::fs::read_dir(fixture_dir())
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('v'))
        })
        .collect();
    dirs.sort();
    for dir in dirs {
        let code = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_ascii_uppercase();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("rule dir")
            .map(|e| e.expect("entry").path())
            .collect();
        files.sort();
        for f in files {
            let name = f.file_name().expect("name").to_string_lossy().into_owned();
            let fail = name.starts_with("fail-");
            assert!(
                fail || name.starts_with("pass-"),
                "{} must start with pass- or fail-",
                f.display()
            );
            out.push((
                code.clone(),
                name,
                fail,
                std::fs::read(&f).expect("read fixture"),
            ));
        }
    }
    out
}

/// The policy a rule's fixtures are checked under.
pub(crate) fn policy_for(code: &str) -> Policy {
    let mut p = Policy::default();
    match code {
        "V207" => p.set_profile(Profile::BrDv),
        "V904" => {
            p.allow_domain("example.com").expect("domain");
            p.allow_domain("www.example.com").expect("domain");
        }
        "V905" => p.expect_domain("www.example.com").expect("domain"),
        "V907" | "V908" => p.set_product_code("digicert-free-1-free"),
        "V318" => {
            let path = fixture_dir().join("external/blocklist.txt");
            let text = std::fs::read_to_string(&path).expect("blocklist fixture");
            p.add_blocklist(
                csrkit_validate::Blocklist::parse("blocklist.txt", &text).expect("list"),
            );
        }
        _ => {}
    }
    p
}
