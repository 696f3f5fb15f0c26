/*!
Deploying a certificate to Alibaba Cloud products (CDN, SLB, ALB, OSS, WAF,
...) through the SSL Certificates Service's deployment jobs, once.

[`deploy`] takes the certificate chain and key (PEM), the [`Target`]s and a
journal file, and:

1. finds the resources (`ListCloudResources`, every page) — an unknown
   target stops it before anything is changed;
2. gets the certificate into the account once: the journal's certificate id
   (confirmed with `GetUserCertificateDetail`), else the account's own copy
   (`ListUserCertificateOrder` `OrderType=CERT`, matched by serial number or
   SHA-256 as CERTIMATE does, confirmed by its content and its key), else
   one `UploadUserCertificate`, journaled with its `ClientToken` before it
   is sent;
3. leaves alone the resources that already serve it; for the others creates
   one job (`CreateDeploymentJob` `JobType=user`, with the first contact of
   `ListContact`), journaled under a unique name before it is sent and
   looked up by that name (`ListDeploymentJob`) when its answer was lost;
4. starts it (`UpdateDeploymentJobStatus`), follows it
   (`DescribeDeploymentJob`, jittered polling) to `success` or `error`, and
   reads each resource's outcome (`ListWorkerResource`).

A run that dies at any point (even `kill -9` with a request in flight) is
resumed by running it again: what was sent is found, never sent twice. A
re-run for the same certificate and targets sends only reads; a new
certificate (after a renewal) is uploaded and deployed again. The journal's
format is in the `journal` module's documentation ([`JOURNAL_FILE`]).

The library prints nothing: it reports [`Event`]s to the caller's handler
and ends with a [`Report`]. The caller holds the certificate directory's
lock while it runs.

```
use csrkit_deploy::{Deployment, Options, Target};

let targets: Vec<Target> = vec!["cdn:www.example.com".parse()?, Target::ResourceId(42)];
let journal = std::env::temp_dir().join("deploy.json");
let what = Deployment {
    chain_pem: "-----BEGIN CERTIFICATE-----\n...",
    key_pem: "-----BEGIN PRIVATE KEY-----\n...",
    targets: &targets,
    journal: &journal,
};
assert_eq!(targets[0].to_string(), "CDN:www.example.com");
// With a csrkit_submit::Client and a tokio runtime:
// let report = csrkit_deploy::deploy(&client, &what, &Options::default(), &mut |e| println!("{e:?}")).await?;
# let _ = what;
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
// Errors carry the service's whole answer by value; every call that returns
// one has just waited on the network, so size costs nothing.
#![allow(clippy::result_large_err)]

mod cert;
mod error;
mod job;
mod journal;
mod report;
mod target;
mod upload;

use std::path::Path;
use std::time::Duration;

use csrkit_submit::{
    Client, ListCloudResources, ListContact, ListUserCertificateOrder, PreparedRequest,
    PrivateKeyPem, UploadUserCertificate,
};

pub use error::{Category, Error, Result, service_category};
pub use journal::JOURNAL_FILE;
pub use report::{Event, Held, Outcome, Report, ResourceReport};
pub use target::{PRODUCTS, Resource, Target};

use cert::LocalCert;
use journal::Journal;

/// What to deploy, where, and where to journal it.
#[derive(Debug, Clone, Copy)]
pub struct Deployment<'a> {
    /// The certificate chain, PEM, the leaf first (`fullchain.pem`): what the
    /// products serve.
    pub chain_pem: &'a str,
    /// Its private key, PEM (not encrypted: the products need it).
    pub key_pem: &'a str,
    /// Where to deploy it.
    pub targets: &'a [Target],
    /// The journal file (conventionally `DIR/`[`JOURNAL_FILE`]).
    pub journal: &'a Path,
}

/// How a deployment waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The first pause between two looks at the job (then 1.5 times longer
    /// each time, each ± 20 %).
    pub poll_first: Duration,
    /// The longest pause.
    pub poll_max: Duration,
    /// How long to follow the job before giving up (it is journaled: a
    /// re-run follows it again).
    pub wait_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            poll_first: Duration::from_secs(2),
            poll_max: Duration::from_secs(15),
            wait_timeout: Duration::from_secs(30 * 60),
        }
    }
}

impl Options {
    /// The defaults, with this wait timeout.
    pub fn with_wait_timeout(mut self, wait_timeout: Duration) -> Self {
        self.wait_timeout = wait_timeout;
        self
    }

    /// Polls every `first` at first, at most every `max`.
    pub fn with_polling(mut self, first: Duration, max: Duration) -> Self {
        self.poll_first = first;
        self.poll_max = max.max(first);
        self
    }
}

fn now_secs() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Deploys `what` (see the crate documentation).
///
/// # Errors
/// [`Error::category`] says what kind: bad input or an unknown target
/// before anything was changed; a refusal, or a job that ended in `error`
/// ([`Error::JobFailed`], with the [`Report`]); or a network failure or a
/// job still running, journaled for the next run.
pub async fn deploy(
    client: &Client,
    what: &Deployment<'_>,
    options: &Options,
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<Report> {
    let cert = LocalCert::parse(what.chain_pem, what.key_pem, now_secs())?;
    let mut journal = Journal::load(what.journal, true)?;
    let resources = resolve(client, what.targets, on_event).await?;
    let (cert_id, held) = upload::hold(client, &cert, what.key_pem, &mut journal, on_event).await?;
    let mut todo: Vec<Resource> = Vec::new();
    for r in &resources {
        if r.cert_id == Some(cert_id) {
            on_event(&Event::AlreadyServing {
                resource: r.clone(),
            });
        } else {
            todo.push(r.clone());
        }
    }
    todo.sort_by_key(|r| r.id);
    let ended = if todo.is_empty() {
        None
    } else {
        Some(
            job::run(
                client,
                &cert.fingerprint,
                cert_id,
                &todo,
                &mut journal,
                options,
                on_event,
            )
            .await?,
        )
    };
    let report = Report {
        fingerprint: cert.fingerprint.clone(),
        cert_id,
        held,
        job_id: ended.as_ref().map(|e| e.job_id),
        job_status: ended.as_ref().map(|e| e.status.clone()),
        resources: resources
            .iter()
            .map(|r| {
                let outcome = match ended.as_ref().and_then(|e| {
                    e.outcomes
                        .iter()
                        .find(|(o, _)| o.id == r.id)
                        .map(|(_, st)| st.as_str())
                }) {
                    None => Outcome::AlreadyServing,
                    Some("success") => Outcome::Deployed,
                    Some(_) => Outcome::Failed,
                };
                ResourceReport {
                    resource: r.clone(),
                    outcome,
                }
            })
            .collect(),
    };
    let failed: Vec<String> = report
        .resources
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| r.resource.to_string())
        .collect();
    match ended {
        Some(e) if e.status != "success" || !failed.is_empty() => Err(Error::JobFailed {
            job_id: e.job_id,
            failed,
            report: Box::new(report),
        }),
        _ => Ok(report),
    }
}

/// Every resource the targets name, each once, in the order named.
async fn resolve(
    client: &Client,
    targets: &[Target],
    on_event: &mut (dyn FnMut(&Event) + Send),
) -> Result<Vec<Resource>> {
    if targets.is_empty() {
        return Err(Error::Input {
            what: "the targets".to_owned(),
            reason: "none given; name at least one (PRODUCT:DOMAIN or a resource id)".to_owned(),
        });
    }
    let mut all: Vec<Resource> = Vec::new();
    for (target, found) in target::resolve(client, targets).await? {
        on_event(&Event::Resolved {
            target: target.to_string(),
            resources: found.clone(),
        });
        for r in found {
            if !all.iter().any(|a| a.id == r.id) {
                all.push(r);
            }
        }
    }
    Ok(all)
}

/// What a deployment would send first, signed (signature, token and private
/// key redacted), without sending anything or writing the journal: the
/// resource lookups, the certificate lookup, the contact lookup and the
/// upload the journal does not rule out. The job requests that follow need
/// the ids these return.
///
/// # Errors
/// As [`deploy`] for bad input; [`Error::Service`] when a request cannot be
/// formed.
pub fn dry_run(client: &Client, what: &Deployment<'_>) -> Result<Vec<PreparedRequest>> {
    let cert = LocalCert::parse(what.chain_pem, what.key_pem, now_secs())?;
    let journal = Journal::load(what.journal, false)?;
    let mut out = Vec::new();
    for t in what.targets {
        let query = match t {
            Target::Domain { product, domain } => ListCloudResources {
                cloud_name: Some("aliyun".to_owned()),
                cloud_product: Some(product.clone()),
                keyword: Some(domain.split('/').next().unwrap_or(domain).to_owned()),
                show_size: Some(50),
                current_page: Some(1),
                ..ListCloudResources::default()
            },
            Target::ResourceId(_) => ListCloudResources {
                show_size: Some(50),
                current_page: Some(1),
                ..ListCloudResources::default()
            },
        };
        out.push(client.prepare(&query)?);
    }
    if journal
        .cert(&cert.fingerprint)
        .and_then(|c| c.cert_id)
        .is_none()
    {
        out.push(client.prepare(&ListUserCertificateOrder {
            order_type: Some("CERT".to_owned()),
            keyword: Some(cert.common_name.trim_start_matches("*.").to_owned()),
            show_size: Some(50),
            current_page: Some(1),
            ..ListUserCertificateOrder::default()
        })?);
        out.push(client.prepare(&UploadUserCertificate {
            name: cert.upload_name(),
            cert: cert.chain_pem.clone(),
            key: PrivateKeyPem::new(what.key_pem),
            client_token: Some("(a new UUID)".to_owned()),
            resource_group_id: None,
            tags: Vec::new(),
        })?);
    }
    out.push(client.prepare(&ListContact {
        show_size: Some(1),
        ..ListContact::default()
    })?);
    Ok(out)
}
