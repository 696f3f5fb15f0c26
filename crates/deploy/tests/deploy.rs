//! `csrkit_deploy::deploy` against an in-process sandbox, asserting on the
//! events it reports and on what the sandbox saw.
#![allow(clippy::unwrap_used)] // a failing test should panic

use std::collections::BTreeMap;
use std::time::Duration;

use csrkit_deploy::{Deployment, Error, Event, Held, JOURNAL_FILE, Options, Outcome, Target};
use csrkit_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint};

fn pair(names: &[&str]) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, names[0]);
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

async fn sandbox(resources: &[&str]) -> SandboxHandle {
    let mut cfg = SandboxConfig::default();
    cfg.resources = resources.iter().map(|r| r.parse().unwrap()).collect();
    cfg.deploy_after = Duration::from_millis(200);
    Sandbox::start(cfg).await.unwrap()
}

fn client(s: &SandboxHandle) -> Client {
    let creds = Credentials::new(
        s.credentials().access_key_id(),
        s.credentials().access_key_secret(),
        None,
    );
    Client::new(
        creds,
        ClientOptions {
            endpoint: Endpoint::parse(&s.endpoint()).unwrap(),
            ..ClientOptions::default()
        },
    )
    .unwrap()
}

fn fast() -> Options {
    Options::default().with_polling(Duration::from_millis(20), Duration::from_millis(50))
}

/// Runs a deployment; returns its result and the events it reported.
async fn run(
    c: &Client,
    chain: &str,
    key: &str,
    targets: &[Target],
    dir: &std::path::Path,
) -> (csrkit_deploy::Result<csrkit_deploy::Report>, Vec<Event>) {
    let journal = dir.join(JOURNAL_FILE);
    let what = Deployment {
        chain_pem: chain,
        key_pem: key,
        targets,
        journal: &journal,
    };
    let mut events = Vec::new();
    let r = csrkit_deploy::deploy(c, &what, &fast(), &mut |e| events.push(e.clone())).await;
    (r, events)
}

/// The requests per action the sandbox received, minus the read-only ones.
fn writes(s: &SandboxHandle) -> BTreeMap<String, u64> {
    let reads = [
        "ListCloudResources",
        "ListContact",
        "GetUserCertificateDetail",
        "ListUserCertificateOrder",
        "DescribeDeploymentJob",
        "ListDeploymentJob",
        "ListWorkerResource",
    ];
    s.stats()
        .requests
        .into_iter()
        .filter(|(a, _)| !reads.contains(&a.as_str()))
        .collect()
}

#[tokio::test]
async fn deploys_once_and_again_only_for_a_new_certificate() {
    let s = sandbox(&["cdn:www.lib.example.com", "slb:lib.example.com"]).await;
    let c = client(&s);
    let dir = tempfile::tempdir().unwrap();
    let targets: Vec<Target> = vec![
        "cdn:www.lib.example.com".parse().unwrap(),
        "SLB:lib.example.com".parse().unwrap(),
    ];
    let (chain, key) = pair(&["lib.example.com", "www.lib.example.com"]);

    let (report, events) = run(&c, &chain, &key, &targets, dir.path()).await;
    let report = report.unwrap();
    assert_eq!(report.held, Held::Uploaded);
    assert_eq!(report.job_status.as_deref(), Some("success"));
    assert!(
        report
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::Deployed),
        "{report:?}"
    );
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| match e {
            Event::Resolved { .. } => "resolved",
            Event::Uploading { .. } => "uploading",
            Event::CertificateHeld { .. } => "held",
            Event::AlreadyServing { .. } => "serving",
            Event::JobCreated { found: false, .. } => "created",
            Event::JobCreated { found: true, .. } => "found",
            Event::JobStarted { .. } => "started",
            Event::JobStatus { .. } => "status",
            Event::ResourceDone { .. } => "done",
            _ => "other",
        })
        .filter(|k| *k != "status")
        .collect();
    assert_eq!(
        kinds,
        [
            "resolved",
            "resolved",
            "uploading",
            "held",
            "created",
            "started",
            "done",
            "done"
        ]
    );
    assert!(events.contains(&Event::JobStatus {
        job_id: report.job_id.unwrap(),
        status: "success".into()
    }));
    for r in s.resources() {
        assert_eq!(r.cert_id, Some(report.cert_id), "{r:?}");
    }
    let stats = s.stats();
    assert_eq!(
        (stats.certificates_uploaded, stats.deployment_jobs_created),
        (1, 1)
    );
    let before = writes(&s);

    // Again: reads only; every resource already serves it.
    let (again, events) = run(&c, &chain, &key, &targets, dir.path()).await;
    let again = again.unwrap();
    assert_eq!((again.held, again.job_id), (Held::Journal, None));
    assert!(
        again
            .resources
            .iter()
            .all(|r| r.outcome == Outcome::AlreadyServing)
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::AlreadyServing { .. }))
            .count(),
        2
    );
    assert_eq!(writes(&s), before, "nothing but reads");

    // Without the journal: the certificate is found in the account, not uploaded again.
    std::fs::remove_file(dir.path().join(JOURNAL_FILE)).unwrap();
    let (found, _) = run(&c, &chain, &key, &targets, dir.path()).await;
    assert_eq!(found.unwrap().held, Held::Found);
    assert_eq!(writes(&s), before);

    // A renewed certificate: uploaded and deployed again.
    let (chain2, key2) = pair(&["lib.example.com", "www.lib.example.com"]);
    let (renewed, _) = run(&c, &chain2, &key2, &targets, dir.path()).await;
    let renewed = renewed.unwrap();
    assert_ne!(renewed.cert_id, report.cert_id);
    let stats = s.stats();
    assert_eq!(
        (stats.certificates_uploaded, stats.deployment_jobs_created),
        (2, 2)
    );
    for r in s.resources() {
        assert_eq!(r.cert_id, Some(renewed.cert_id));
    }
}

#[tokio::test]
async fn a_failed_resource_is_named_and_an_unknown_target_changes_nothing() {
    let s = sandbox(&["cdn:ok.fail.example.com", "oss:bad.fail.example.com:fail"]).await;
    let c = client(&s);
    let dir = tempfile::tempdir().unwrap();
    let (chain, key) = pair(&["*.fail.example.com"]);

    let unknown: Vec<Target> = vec!["cdn:nope.fail.example.com".parse().unwrap()];
    let (r, _) = run(&c, &chain, &key, &unknown, dir.path()).await;
    let e = r.unwrap_err();
    assert!(matches!(e, Error::TargetNotFound { .. }), "{e}");
    assert!(e.to_string().contains("CDN:nope.fail.example.com"), "{e}");
    assert_eq!(e.category(), csrkit_deploy::Category::Input);
    assert!(
        writes(&s).is_empty(),
        "nothing sent but lookups: {:?}",
        writes(&s)
    );
    assert!(!dir.path().join(JOURNAL_FILE).exists());

    let targets: Vec<Target> = vec![
        "cdn:ok.fail.example.com".parse().unwrap(),
        "oss:bad.fail.example.com".parse().unwrap(),
    ];
    let (r, _) = run(&c, &chain, &key, &targets, dir.path()).await;
    let e = r.unwrap_err();
    assert_eq!(e.category(), csrkit_deploy::Category::Refused);
    let shown = e.to_string();
    assert!(
        shown.contains("OSS:bad.fail.example.com") && !shown.contains("CDN:ok"),
        "{shown}"
    );
    let report = e.report().unwrap();
    let outcomes: Vec<Outcome> = report.resources.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::Deployed, Outcome::Failed]);

    // Again: only the failed one gets a new job.
    let (r, _) = run(&c, &chain, &key, &targets, dir.path()).await;
    let report = r.unwrap_err().report().cloned().unwrap();
    let outcomes: Vec<Outcome> = report.resources.iter().map(|r| r.outcome).collect();
    assert_eq!(outcomes, [Outcome::AlreadyServing, Outcome::Failed]);
    assert_eq!(s.stats().deployment_jobs_created, 2);
    assert_eq!(s.stats().certificates_uploaded, 1);
}

/// The engine runs deployments in spawned tasks: the future must be `Send`.
#[test]
fn the_deployment_future_is_send() {
    fn send<T: Send>(_: &T) {}
    let c = Client::new(
        Credentials::new("id", "secret", None),
        ClientOptions::default(),
    )
    .unwrap();
    let journal = std::path::PathBuf::from("deploy.json");
    let what = Deployment {
        chain_pem: "",
        key_pem: "",
        targets: &[],
        journal: &journal,
    };
    let options = Options::default();
    let mut on_event = |_: &Event| {};
    let future = csrkit_deploy::deploy(&c, &what, &options, &mut on_event);
    send(&future);
}
