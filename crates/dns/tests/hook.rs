//! `hook` with real shell scripts.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use csrkit_dns::{Category, Challenge, Error, HookPublisher, Publisher, RecordType};

use crate::contract::{DnsCounterpart, dns_contract};

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    p
}

/// A "DNS provider" kept in a text file, one `NAME TYPE VALUE` line a record,
/// and the hook script that edits it.
struct ZoneFile(PathBuf);

impl DnsCounterpart for ZoneFile {
    fn values(&self, name: &str, t: RecordType) -> Vec<String> {
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let (n, rest) = l.split_once(' ')?;
                let (ty, v) = rest.split_once(' ')?;
                (n == name && ty == t.as_str()).then(|| v.to_string())
            })
            .collect()
    }
    fn put(&self, name: &str, t: RecordType, value: &str) {
        let mut text = std::fs::read_to_string(&self.0).unwrap_or_default();
        text.push_str(&format!("{name} {t} {value}\n"));
        std::fs::write(&self.0, text).unwrap();
    }
    fn provider_looks(&self) -> bool {
        false
    }
}

const ZONE_HOOK: &str = r#"zone="$1"; shift
[ "$2" = "--" ] || { echo "expected -- as the second argument" >&2; exit 64; }
line=$(printf '%s %s %s' "$3" "$4" "$5")
touch "$zone"
case "$1" in
  present) grep -Fxq -- "$line" "$zone" || printf '%s\n' "$line" >> "$zone" ;;
  cleanup) grep -Fxv -- "$line" "$zone" > "$zone.new"; mv "$zone.new" "$zone" ;;
  *) echo "unknown phase $1" >&2; exit 64 ;;
esac"#;

#[tokio::test]
async fn contract_against_a_shell_script() {
    let dir = tempfile::tempdir().unwrap();
    let hook = script(dir.path(), "zone-hook.sh", ZONE_HOOK);
    let zone = dir.path().join("zone.txt");
    let publisher = HookPublisher::new(&format!("{} {}", hook.display(), zone.display())).unwrap();
    dns_contract(&publisher, &ZoneFile(zone), "example.test").await;
}

#[tokio::test]
async fn argv_environment_and_the_stdout_hand_off() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let hook = script(
        dir.path(),
        "record.sh",
        &format!(
            r#"phase="$2"
for a in "$@"; do printf '%s\n' "$a"; done > "{d}/$phase.argv"
env | grep '^CSRKIT_' | sort > "{d}/$phase.env"
[ "$phase" = present ] && echo "record-id-42"
exit 0"#
        ),
    );
    let publisher = HookPublisher::new(&format!("{} my-own-arg", hook.display())).unwrap();
    let value = format!("$(touch {d}/pwned); `touch {d}/pwned2` 'q' \"dq\" \\b");
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", &value)
        .unwrap()
        .with_order_id("98987582437920968");
    let p = publisher.present(&c).await.unwrap();
    assert_eq!(p.present_output.as_deref(), Some("record-id-42\n"));
    publisher
        .cleanup(&serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap())
        .await
        .unwrap();

    for phase in ["present", "cleanup"] {
        let argv = std::fs::read_to_string(dir.path().join(format!("{phase}.argv"))).unwrap();
        assert_eq!(
            argv,
            format!("my-own-arg\n{phase}\n--\n_dnsauth.example.test\nTXT\n{value}\n"),
            "{phase}"
        );
        let env = std::fs::read_to_string(dir.path().join(format!("{phase}.env"))).unwrap();
        let mut want = vec![
            "CSRKIT_DNS_DOMAIN=example.test".to_string(),
            "CSRKIT_DNS_NAME=_dnsauth.example.test".to_string(),
            "CSRKIT_DNS_ORDER_ID=98987582437920968".to_string(),
            format!("CSRKIT_DNS_PHASE={phase}"),
            "CSRKIT_DNS_TTL=60".to_string(),
            "CSRKIT_DNS_TYPE=TXT".to_string(),
            format!("CSRKIT_DNS_VALUE={value}"),
            "CSRKIT_ORDER_ID=98987582437920968".to_string(),
        ];
        if phase == "cleanup" {
            want.push("CSRKIT_DNS_PRESENT_OUTPUT=record-id-42".to_string());
        }
        want.sort();
        // `env` prints the hand-off's final newline as an empty line.
        let got: Vec<&str> = env.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(got, want, "{phase}");
    }
    assert!(
        !dir.path().join("pwned").exists(),
        "the value was run by a shell"
    );
    assert!(
        !dir.path().join("pwned2").exists(),
        "the value was run by a shell"
    );
}

#[tokio::test]
async fn a_failing_hook_fails_the_step_with_the_end_of_its_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let hook = script(
        dir.path(),
        "fail.sh",
        "i=0; while [ $i -lt 2000 ]; do echo \"noise line $i of a chatty hook\" >&2; i=$((i+1)); done\n\
         echo 'DNS API says: permission denied for _dnsauth' >&2; exit 3",
    );
    let publisher = HookPublisher::new(&hook.display().to_string()).unwrap();
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher.present(&c).await.unwrap_err();
    assert!(
        matches!(&e, Error::HookFailed { phase: "present", status, stderr, .. }
        if status == "exit status 3" && stderr.ends_with("permission denied for _dnsauth") && stderr.len() <= 4096),
        "{e}"
    );
    assert_eq!(e.category(), Category::Refused);
    assert!(e.to_string().contains("exit status 3"), "{e}");
}

#[tokio::test]
async fn a_hook_past_its_timeout_is_killed_with_its_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let hook = script(
        dir.path(),
        "hang.sh",
        &format!("sleep 1000 & echo $! > {d}/child.pid\necho 'waiting for the DNS API' >&2\nwait"),
    );
    let publisher = HookPublisher::new(&hook.display().to_string())
        .unwrap()
        .with_timeout(Duration::from_millis(1500));
    let c = Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap();
    let e = publisher.present(&c).await.unwrap_err();
    assert!(
        matches!(&e, Error::HookTimedOut { phase: "present", stderr, .. } if stderr.contains("waiting for the DNS API")),
        "{e}"
    );
    assert_eq!(e.category(), Category::Unavailable);
    assert!(e.to_string().contains("--hook-timeout"), "{e}");
    // The hook's own child was killed too: wait for it to be gone (or a
    // zombie waiting for init), bounded only to turn a hang into a failure.
    let pid = std::fs::read_to_string(dir.path().join("child.pid")).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        match std::fs::read_to_string(&stat) {
            Err(_) => break,
            Ok(s) if s.rsplit(')').next().unwrap().trim_start().starts_with('Z') => break,
            Ok(s) => assert!(std::time::Instant::now() < deadline, "still running: {s}"),
        }
        tokio::task::yield_now().await;
    }
}

#[tokio::test]
async fn a_hook_publishes_dns_only() {
    let p = HookPublisher::new("true").unwrap();
    let c = Challenge::file(
        "example.test",
        "/.well-known/pki-validation/fileauth.txt",
        "x",
    )
    .unwrap();
    let e = p.present(&c).await.unwrap_err();
    assert!(matches!(e, Error::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("--webroot"), "{e}");
    assert!(HookPublisher::new("  ").is_err());
}

#[tokio::test]
async fn a_flood_on_stdout_is_kept_to_64_kib_and_does_not_block_the_hook() {
    let dir = tempfile::tempdir().unwrap();
    let hook = script(
        dir.path(),
        "flood.sh",
        "head -c 10000000 /dev/zero | tr '\\0' x\nexit 0",
    );
    let p = HookPublisher::new(&hook.display().to_string())
        .unwrap()
        .present(&Challenge::dns("example.test", "_dnsauth", "TXT", "v").unwrap())
        .await
        .unwrap();
    assert_eq!(p.present_output.unwrap().len(), 64 * 1024);
}
