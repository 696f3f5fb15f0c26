//! `state_file`: orders, quota and the CA survive a restart; a broken file is a clear error.

mod common;

use common::{Client, TestResult, control, create, ecc_csr};
use csrkit_sandbox::{Approval, Error, Sandbox, SandboxConfig};

fn config(path: &std::path::Path) -> SandboxConfig {
    let mut c = SandboxConfig::default();
    c.approve = Approval::Manual;
    c.state_file = Some(path.to_owned());
    c
}

#[tokio::test]
async fn orders_quota_and_ca_survive_a_restart() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sandbox-state.json");
    let s = Sandbox::start(config(&path)).await?;
    assert!(path.exists(), "a fresh state is written at start");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
    }
    let c = Client::for_sandbox(&s);
    let (csr, _) = ecc_csr("persist.example.com", &[]);
    let kept = create(&c, &csr, "DNS").await?;
    let issued = create(&c, &csr, "DNS").await?;
    assert_eq!(
        control(
            s.addr(),
            "POST",
            &format!("/_sandbox/orders/{issued}/approve")
        )
        .await?
        .status,
        200
    );
    let root = s.ca_pem();
    let before = c
        .call(
            "DescribeCertificateState",
            &[("OrderId", &issued.to_string())],
        )
        .await?
        .json();
    s.shutdown().await;

    let s = Sandbox::start(config(&path)).await?;
    let c = Client::for_sandbox(&s);
    assert_eq!(s.ca_pem(), root, "the same CA after a restart");
    let st = s.stats();
    assert_eq!((st.orders, st.orders_created), (2, 2));
    assert_eq!(st.quota["digicert-free-1-free"].used, 2);
    assert_eq!(st.quota["digicert-free-1-free"].issued, 1);
    let j = c
        .call(
            "DescribeCertificateState",
            &[("OrderId", &kept.to_string())],
        )
        .await?
        .json();
    assert_eq!(j["Type"], "domain_verify");
    let after = c
        .call(
            "DescribeCertificateState",
            &[("OrderId", &issued.to_string())],
        )
        .await?
        .json();
    assert_eq!(after["Certificate"], before["Certificate"]);
    // the reloaded CA still issues, and new ids do not collide with old ones
    assert_eq!(
        control(
            s.addr(),
            "POST",
            &format!("/_sandbox/orders/{kept}/approve")
        )
        .await?
        .status,
        200
    );
    let third = create(&c, &csr, "DNS").await?;
    assert!(third > issued);
    // a quota given at restart changes the total, not what was used
    s.shutdown().await;
    let mut cfg = config(&path);
    cfg.quotas = vec!["digicert-free-1-free=5".parse()?];
    let s = Sandbox::start(cfg).await?;
    let q = s.stats().quota["digicert-free-1-free"];
    assert_eq!((q.total, q.used), (5, 3));
    s.shutdown().await;
    // no temporary files left behind
    let names: Vec<_> = std::fs::read_dir(dir.path())?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    Ok(())
}

#[tokio::test]
async fn a_broken_state_file_is_a_clear_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{ not json")?;
    let err = Sandbox::start(config(&path))
        .await
        .err()
        .ok_or("started on a broken file")?;
    assert!(matches!(err, Error::State { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("state.json") && msg.contains("remove"),
        "{msg}"
    );
    Ok(())
}
