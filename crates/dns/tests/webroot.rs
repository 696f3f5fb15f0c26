//! `webroot` in a temporary directory.

use std::os::unix::fs::PermissionsExt;

use csrkit_dns::{Category, Challenge, Error, Kind, Publisher, WebrootPublisher};

const URI: &str = "/.well-known/pki-validation/fileauth.txt";

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

#[tokio::test]
async fn writes_the_file_and_removes_only_what_it_created() {
    let root = tempfile::tempdir().unwrap();
    // .well-known exists already (someone's security.txt): not ours.
    std::fs::create_dir(root.path().join(".well-known")).unwrap();
    std::fs::write(root.path().join(".well-known/security.txt"), "x").unwrap();
    let w = WebrootPublisher::new(root.path()).unwrap();
    let c = Challenge::file("example.test", URI, "2026120100000abc").unwrap();

    let p = w.present(&c).await.unwrap();
    let file = root.path().join(".well-known/pki-validation/fileauth.txt");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "2026120100000abc");
    assert_eq!(mode(&file), 0o644);
    assert_eq!(mode(&root.path().join(".well-known/pki-validation")), 0o755);
    assert_eq!((p.kind, p.preexisting), (Kind::File, false));
    assert_eq!(
        p.created_dirs,
        [root.path().join(".well-known/pki-validation")]
    );
    // No temporary file left beside it.
    let names: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["fileauth.txt"]);

    // Again: reused.
    assert!(w.present(&c).await.unwrap().preexisting);

    let planned = w.plan(&c).unwrap();
    assert_eq!(planned.name, file.display().to_string());
    let journaled: csrkit_dns::Published =
        serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    w.cleanup(&journaled).await.unwrap();
    assert!(!root.path().join(".well-known/pki-validation").exists());
    assert_eq!(
        std::fs::read_to_string(root.path().join(".well-known/security.txt")).unwrap(),
        "x"
    );
    w.cleanup(&journaled).await.unwrap();
}

#[tokio::test]
async fn leaves_a_directory_with_other_files_and_a_file_someone_replaced() {
    let root = tempfile::tempdir().unwrap();
    let w = WebrootPublisher::new(root.path()).unwrap();
    let c = Challenge::file("example.test", URI, "ours").unwrap();
    let p = w.present(&c).await.unwrap();
    assert_eq!(p.created_dirs.len(), 2);
    let dir = root.path().join(".well-known/pki-validation");
    std::fs::write(dir.join("other.txt"), "theirs").unwrap();
    std::fs::write(dir.join("fileauth.txt"), "a newer order's").unwrap();
    w.cleanup(&p).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.join("fileauth.txt")).unwrap(),
        "a newer order's"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("other.txt")).unwrap(),
        "theirs"
    );
}

#[tokio::test]
async fn bad_webroots_and_dns_challenges_are_refused() {
    let e = WebrootPublisher::new("/nonexistent/www").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Config {
                setting: "--webroot",
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.category(), Category::Input);
    let f = tempfile::NamedTempFile::new().unwrap();
    assert!(
        WebrootPublisher::new(f.path())
            .unwrap_err()
            .to_string()
            .contains("not a directory")
    );

    let root = tempfile::tempdir().unwrap();
    let w = WebrootPublisher::new(root.path()).unwrap();
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    assert!(matches!(
        w.present(&c).await.unwrap_err(),
        Error::Unsupported { .. }
    ));

    // A path in the way is an I/O error naming it, and nothing is left behind.
    std::fs::write(root.path().join(".well-known"), "a file, not a directory").unwrap();
    let c = Challenge::file("example.test", URI, "v").unwrap();
    let e = w.present(&c).await.unwrap_err();
    assert!(e.to_string().contains(".well-known"), "{e}");
}

#[tokio::test]
async fn a_tampered_journal_cannot_remove_files_outside_the_webroot() {
    let root = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("important.txt");
    std::fs::write(&victim, "ours").unwrap();
    let w = WebrootPublisher::new(root.path()).unwrap();
    let c = Challenge::file("example.test", URI, "ours").unwrap();
    let mut p = w.present(&c).await.unwrap();
    let rel = pathdiff(&victim, root.path());
    p.name = root.path().join(rel).display().to_string();
    p.created_dirs = vec![
        root.path()
            .join("..")
            .join(outside.path().file_name().unwrap()),
    ];
    assert!(w.cleanup(&p).await.is_err());
    assert!(victim.exists());
    assert!(outside.path().exists());
}

/// `target` relative to `base` through `..` (both absolute).
fn pathdiff(target: &std::path::Path, base: &std::path::Path) -> std::path::PathBuf {
    let mut rel = std::path::PathBuf::new();
    for _ in base.components().skip(1) {
        rel.push("..");
    }
    rel.join(target.strip_prefix("/").unwrap())
}
