//! Renewal as a library, against an in-process sandbox issuing one-minute
//! certificates: the decision with the clock moved (not due, then due at a
//! third of the lifetime), a new key (or the same with `reuse_key`), the
//! deploy hook once per installation with its environment, the old
//! generation serving until the new one is verified, and pruning.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use csrkit_apply::{Event, Reason, RenewAction, RenewRequest, Service};
use csrkit_sandbox::SandboxHandle;

mod support;

async fn sandbox(lifetime: Duration) -> (SandboxHandle, Service) {
    support::sandbox(|c| c.cert_lifetime = lifetime).await
}

/// The first certificate, through `apply`, with `deploy_hook` recorded.
async fn first(sb: &SandboxHandle, service: &Service, dir: &Path, deploy_hook: &str) {
    let mut r = support::request(sb, dir);
    r.renewal.deploy_hook = Some(deploy_hook.to_owned());
    csrkit_apply::apply(r, service, &mut |_| {}).await.unwrap();
}

/// A deploy hook that appends its environment to `log` (one line per run).
fn recording_hook(dir: &Path) -> (String, PathBuf) {
    let log = dir.join("hook.log");
    let script = dir.join("hook.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s|%s|%s|%s|%s\\n' \"$CSRKIT_CERT_DIR\" \"$CSRKIT_ORDER_ID\" \
             \"$CSRKIT_KEY_PATH\" \"$CSRKIT_NOT_AFTER\" \"$CSRKIT_GENERATION\" >> {}\n",
            log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    (script.display().to_string(), log)
}

fn key_of(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("privkey.pem")).unwrap()
}

fn at(t: &str) -> SystemTime {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .into()
}

fn renewal(dir: &Path, sb: &SandboxHandle) -> RenewRequest {
    let mut r = RenewRequest::new(dir);
    r.propagation.resolver = sb.dns_addr().map(|a| a.to_string());
    r.wait = Duration::from_secs(60);
    r
}

#[tokio::test]
async fn a_one_minute_certificate_is_renewed_once_due_and_not_before() {
    let (sb, service) = sandbox(Duration::from_secs(60)).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("www.example.com");
    let (hook, log) = recording_hook(tmp.path());
    first(&sb, &service, &dir, &hook).await;
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);
    let j = csrkit_apply::Journal::load(&dir).unwrap().unwrap();
    let g = &j.generations[0];
    let (not_before, not_after) = (at(&g.not_before), at(&g.not_after));
    assert_eq!(
        not_after.duration_since(not_before).unwrap(),
        Duration::from_secs(60)
    );
    let old_key = key_of(&dir);

    // At notAfter − 21 s, more than a third (20 s) is left: not due, and
    // nothing is sent.
    let before = sb.stats().requests_total;
    let mut r = renewal(&dir, &sb);
    r.clock = Some(not_after - Duration::from_secs(21));
    let out = csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    assert_eq!(out.action, RenewAction::NotDue);
    assert_eq!(out.decision.reason, Reason::NotDue);
    assert_eq!(out.decision.current.as_ref().unwrap().remaining_secs, 21);
    assert_eq!(
        sb.stats().requests_total,
        before,
        "a decision sends nothing"
    );

    // At notAfter − 19 s it is due: a new order, a new key, the hook once.
    let mut r = renewal(&dir, &sb);
    r.clock = Some(not_after - Duration::from_secs(19));
    let mut events = Vec::new();
    let out = csrkit_apply::renew(r, &service, &mut |e| events.push(e))
        .await
        .unwrap();
    assert_eq!(out.decision.reason, Reason::LifetimeThird);
    let RenewAction::Renewed { generation } = &out.action else {
        panic!("{:?}", out.action)
    };
    assert_eq!(generation.number, 2);
    assert!(out.error().is_none(), "{:?}", out.error());
    assert_ne!(key_of(&dir), old_key, "a renewal makes a new key");
    assert_eq!(sb.stats().orders_created, 2);
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let fields: Vec<&str> = lines[1].split('|').collect();
    let real_dir = std::path::absolute(&dir).unwrap();
    assert_eq!(fields[0], real_dir.display().to_string());
    assert_eq!(fields[1], generation.order_id);
    assert_eq!(
        fields[2],
        real_dir.join("privkey.pem").display().to_string()
    );
    assert_eq!(fields[3], generation.not_after);
    assert_eq!(fields[4], "2");
    // The engine's steps, then the hook, in that order.
    let order: Vec<&str> = events
        .iter()
        .filter_map(|e| match e {
            Event::RenewalDecided { .. } => Some("decided"),
            Event::OrderPlaced { .. } => Some("placed"),
            Event::Installed { .. } => Some("installed"),
            Event::CleanedUp { .. } => Some("cleaned"),
            Event::HookRan { .. } => Some("hook"),
            _ => None,
        })
        .collect();
    assert_eq!(order, ["decided", "placed", "installed", "cleaned", "hook"]);

    // The new certificate, a second into its life, is not due.
    let mut r = renewal(&dir, &sb);
    r.clock = Some(at(&generation.not_before) + Duration::from_secs(1));
    let out = csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    assert_eq!(out.action, RenewAction::NotDue);
    assert_eq!(sb.stats().orders_created, 2);

    // With the key kept: the same key, a new certificate, and the setting
    // recorded for the next (bare) renewal.
    let kept = key_of(&dir);
    let mut r = renewal(&dir, &sb);
    r.rule.force = true;
    r.changes.reuse_key = Some(true);
    csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    assert_eq!(key_of(&dir), kept);
    let mut r = renewal(&dir, &sb);
    r.rule.force = true;
    let out = csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    assert!(matches!(out.action, RenewAction::Renewed { .. }));
    assert_eq!(key_of(&dir), kept, "reuse_key is recorded");
    assert_eq!(sb.stats().orders_created, 4);
    // A different key type with the key kept is refused before anything is
    // sent.
    let mut r = renewal(&dir, &sb);
    r.rule.force = true;
    r.key_type = Some(csrkit_csr::KeyType::P384);
    let err = csrkit_apply::renew(r, &service, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--new-key"), "{err}");
    assert_eq!(sb.stats().orders_created, 4);
    sb.shutdown().await;
}

#[tokio::test]
async fn keep_prunes_old_generations_but_never_the_current_one() {
    let (sb, service) = sandbox(Duration::from_secs(3600)).await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("www.example.com");
    first(&sb, &service, &dir, "true").await;
    for _ in 0..4 {
        let mut r = renewal(&dir, &sb);
        r.rule.force = true;
        r.keep = 1;
        csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    }
    let mut left: Vec<String> = std::fs::read_dir(dir.join("generations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(left, ["4", "5"]);
    let j = csrkit_apply::Journal::load(&dir).unwrap().unwrap();
    assert_eq!(j.generations.len(), 5, "every generation stays recorded");
    assert_eq!(
        j.generations
            .iter()
            .filter(|g| g.pruned_at.is_some())
            .count(),
        3
    );
    assert!(j.generations.iter().all(|g| g.cert_id.is_some()));
    // keep 0: only the current one.
    let mut r = renewal(&dir, &sb);
    r.rule.force = true;
    r.keep = 0;
    csrkit_apply::renew(r, &service, &mut |_| {}).await.unwrap();
    let left: Vec<_> = std::fs::read_dir(dir.join("generations"))
        .unwrap()
        .collect();
    assert_eq!(left.len(), 1);
    assert!(dir.join("fullchain.pem").exists());
    sb.shutdown().await;
}
