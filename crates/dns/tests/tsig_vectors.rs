//! Each `vectors/tsig/<case>/` holds `key.conf` (real `tsig-keygen` or
//! `ddns-confgen` output, or a broken copy of it) and `expected`: either
//! `name=` and `algorithm=`, or `line=` and `error=` (a part of the message).

use std::path::Path;

use csrkit_dns::{Error, TsigKey};

#[test]
fn every_vector() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/tsig");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let case = entry.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        n += 1;
        let key_path = case.join("key.conf");
        let text = std::fs::read_to_string(&key_path).unwrap();
        let expected = std::fs::read_to_string(case.join("expected")).unwrap();
        let field = |k: &str| {
            expected
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{k}=")))
                .map(str::to_string)
        };
        let secrets: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("secret"))
            .map(|s| s.trim().trim_matches(|c| c == '"' || c == ';'))
            .filter(|s| s.len() > 4)
            .collect();
        match TsigKey::from_file(&key_path) {
            Ok(key) => {
                assert_eq!(Some(key.name().to_string()), field("name"), "{case:?}");
                assert_eq!(
                    Some(key.algorithm().to_string()),
                    field("algorithm"),
                    "{case:?}"
                );
                let shown = format!("{key:?}");
                assert!(shown.contains("** redacted **"), "{shown}");
                for s in &secrets {
                    assert!(!shown.contains(s), "{case:?}: Debug shows the secret");
                }
            }
            Err(e) => {
                let msg = e.to_string();
                let want = field("error").unwrap_or_else(|| panic!("{case:?} failed: {msg}"));
                assert!(msg.contains(&want), "{case:?}: {msg}");
                if let Some(line) = field("line") {
                    assert!(
                        matches!(&e, Error::TsigKey { line: l, .. } if l.to_string() == line),
                        "{case:?}: wrong line in {msg}"
                    );
                }
                assert!(msg.contains(&key_path.display().to_string()), "{msg}");
                for s in &secrets {
                    let core = s.trim_start_matches('%');
                    assert!(
                        !msg.contains(core),
                        "{case:?}: the error quotes the secret: {msg}"
                    );
                }
                assert_eq!(e.category(), csrkit_dns::Category::Input);
            }
        }
    }
    assert!(n >= 14, "only {n} vectors");
}

#[test]
fn a_missing_file_is_named() {
    let e = TsigKey::from_file(Path::new("/nonexistent/tsig.key")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/tsig.key"), "{e}");
}
