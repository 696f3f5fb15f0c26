//! Deployment to cloud products, the service's deployment jobs ("部署任务"; reference
//! `renewal-and-fleet.md` 2.3-2.5): cloud resources (`--resource PRODUCT:DOMAIN[:fail]`) behind
//! `ListCloudResources`, one default contact behind `ListContact`, certificates uploaded with
//! their keys (`UploadUserCertificate`, `GetUserCertificateDetail`, and `ListUserCertificateOrder`
//! with `OrderType=UPLOAD`/`CERT`), and jobs that put a certificate on resources
//! (`CreateDeploymentJob`, `UpdateDeploymentJobStatus`, `DescribeDeploymentJob`,
//! `ListDeploymentJob`, and `ListWorkerResource` for each resource's outcome).
//!
//! Field names and shapes are the official SDK's models (`alibabacloud-cas20200407` 3.9.4:
//! `ListCloudResourcesResponseBodyData`, `ListContactResponseBodyContactList`,
//! `UploadUserCertificateResponseBody`, `GetUserCertificateDetailResponseBody`,
//! `DescribeDeploymentJobResponseBody`, `ListDeploymentJobResponseBodyData`,
//! `ListWorkerResourceResponseBodyData`). The models give times as Unix seconds in strings
//! (`GmtCreate`, `CertEndTime`, ...) except `GetUserCertificateDetail`'s `NotBefore`/`NotAfter`,
//! integers of unstated unit: the sandbox writes milliseconds there, as `ListUserCertificateOrder`
//! does for `CertStartTime`.
//!
//! The life of a job (the SDK documents the states; the reference does not say which one a new
//! job starts in, so the sandbox chooses `editing`, the state `UpdateDeploymentJobStatus` can
//! return a job to): `CreateDeploymentJob` → `editing`; `UpdateDeploymentJobStatus` `pending`
//! starts it at its `ScheduleTime` (at once without one: "the system immediately starts the task
//! after the task is in the pending state"), `scheduling` starts it at once, `editing` takes a job
//! that has not started back. A started job is `pending` until its start, `scheduling` for the
//! first half of [`SandboxConfig::deploy_after`](crate::SandboxConfig::deploy_after), `processing`
//! for the second, then `success` when every resource took the certificate, else `error`. Each
//! resource is a worker: `error` when the resource was configured to fail (`:fail`), or when it
//! serves a domain and no certificate of the job covers that domain; otherwise `success`, and the
//! resource serves the certificate from then on (`GET /_sandbox/resources`).
//!
//! The reference documents no error codes for these operations. The sandbox answers
//! `MissingParameter` / `InvalidParameter` (400) naming the parameter, as for the other
//! operations, and `IdempotentParameterMismatch` (400, the code other Alibaba Cloud products give)
//! for a `ClientToken` reused with other parameters.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::error::Error;
use crate::server::{Resp, Shared, json_ok, lock, number_param, param, required};
use crate::state::{Order, OrderState, State, unix_ms};
use crate::wire::{ApiError, CertItem};

/// The operations of this module.
pub(crate) const ACTIONS: [&str; 9] = [
    "ListCloudResources",
    "ListContact",
    "UploadUserCertificate",
    "GetUserCertificateDetail",
    "CreateDeploymentJob",
    "UpdateDeploymentJobStatus",
    "DescribeDeploymentJob",
    "ListDeploymentJob",
    "ListWorkerResource",
];

/// `CloudProduct` values of `CloudName=aliyun` (the SDK's `ListCloudResourcesRequest`).
const ALIYUN_PRODUCTS: [&str; 17] = [
    "SLB",
    "LIVE",
    "webHosting",
    "VOD",
    "CR",
    "DCDN",
    "DDOS",
    "CDN",
    "ALB",
    "APIGateway",
    "FC",
    "GA",
    "MSE",
    "NLB",
    "OSS",
    "SAE",
    "WAF",
];
/// The `CloudProduct` values of the other clouds (`CloudName` Tencent, Huawei, Aws).
const OTHER_PRODUCTS: [&str; 8] = [
    "TencentCDN",
    "TencentCLB",
    "TencentWAF",
    "HuaweiCDN",
    "AwsCloudFront",
    "AwsCLB",
    "AwsALB",
    "AwsNLB",
];
/// Products whose resources are listeners of an instance: the SDK returns `InstanceId`,
/// `ListenerId`, `ListenerPort` and `DefaultResource` only for these.
const LISTENER_PRODUCTS: [&str; 4] = ["SLB", "NLB", "ALB", "GA"];

/// The account's one contact (`ListContact`).
pub(crate) const CONTACT_ID: u64 = 1_000_001;
const CONTACT_NAME: &str = "Sandbox Contact";
const CONTACT_EMAIL: &str = "ops@example.com";
const CONTACT_MOBILE: &str = "13800000000";
/// The account's user id, where the models carry one.
const USER_ID: u64 = 1_000_000_000_000_000;
const REGION: &str = "cn-hangzhou";

/// A cloud resource to deploy to, as `--resource PRODUCT:DOMAIN[:fail]` gives it.
///
/// `PRODUCT` is a `CloudProduct` of `ListCloudResources` (`cdn`, `slb`, `alb`, ... in any case;
/// kept in the service's spelling, `CDN`, `APIGateway`, `webHosting`); `DOMAIN` the name it
/// serves; `:fail` makes every deployment to it end in `error`.
///
/// ```
/// use csrkit_sandbox::ResourceSpec;
/// let r: ResourceSpec = "cdn:www.example.com".parse()?;
/// assert_eq!((r.product.as_str(), r.domain.as_str(), r.fail), ("CDN", "www.example.com", false));
/// let r: ResourceSpec = "apigateway:api.example.com:fail".parse()?;
/// assert_eq!((r.product.as_str(), r.fail), ("APIGateway", true));
/// assert_eq!(r.to_string(), "APIGateway:api.example.com:fail");
/// # Ok::<(), csrkit_sandbox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResourceSpec {
    /// The `CloudProduct`, in the service's spelling.
    pub product: String,
    /// The domain the resource serves.
    pub domain: String,
    /// Whether deployments to it fail.
    pub fail: bool,
}

impl FromStr for ResourceSpec {
    type Err = Error;
    fn from_str(spec: &str) -> Result<Self, Error> {
        let bad = |reason: String| Error::InvalidResource {
            spec: spec.to_owned(),
            reason,
        };
        let (product, rest) = spec
            .split_once(':')
            .ok_or_else(|| bad("no `:` between the product and the domain".to_owned()))?;
        let product = ALIYUN_PRODUCTS
            .iter()
            .find(|p| p.eq_ignore_ascii_case(product.trim()))
            .ok_or_else(|| {
                bad(format!(
                    "{product:?} is not a product of ListCloudResources; use one of {}",
                    ALIYUN_PRODUCTS.join(", ")
                ))
            })?;
        let (domain, fail) = match rest.rsplit_once(':') {
            Some((d, "fail")) => (d, true),
            Some((_, other)) => {
                return Err(bad(format!(
                    "{other:?} after the domain; only `:fail` may follow it"
                )));
            }
            None => (rest, false),
        };
        let domain = domain.trim().trim_end_matches('.').to_ascii_lowercase();
        if domain.is_empty()
            || domain.len() > 253
            || !domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.*_".contains(&b))
        {
            return Err(bad(format!(
                "{domain:?} is not a domain name (letters, digits, `-`, `.`, a leading `*.`)"
            )));
        }
        Ok(ResourceSpec {
            product: (*product).to_owned(),
            domain,
            fail,
        })
    }
}

impl fmt::Display for ResourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.product, self.domain)?;
        if self.fail {
            f.write_str(":fail")?;
        }
        Ok(())
    }
}

/// A cloud resource and the certificate it serves, as `GET /_sandbox/resources` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DeployedResource {
    /// Its `Id` (what `CreateDeploymentJob`'s `ResourceIds` name).
    pub id: u64,
    /// Its `CloudProduct`.
    pub product: String,
    /// The domain it serves.
    pub domain: String,
    /// The certificate it serves (`CertId`), if any.
    pub cert_id: Option<u64>,
}

/// What the sandbox keeps of deployments (in the state file).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DeployData {
    #[serde(default)]
    next_id: u64,
    #[serde(default)]
    resources: BTreeMap<u64, Resource>,
    #[serde(default)]
    uploads: BTreeMap<u64, Upload>,
    /// `ClientToken` → the upload it made.
    #[serde(default)]
    client_tokens: BTreeMap<String, u64>,
    #[serde(default)]
    jobs: BTreeMap<u64, Job>,
    /// Certificates uploaded (a repeated `ClientToken` uploads nothing).
    #[serde(default)]
    pub(crate) uploaded: u64,
    /// Deployment jobs created.
    #[serde(default)]
    pub(crate) jobs_created: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resource {
    id: u64,
    product: String,
    domain: String,
    fail: bool,
    cert_id: Option<u64>,
    created_ms: i64,
    modified_ms: i64,
}

impl Resource {
    fn is_listener(&self) -> bool {
        LISTENER_PRODUCTS.contains(&self.product.as_str())
    }

    fn instance_id(&self) -> String {
        format!("{}-sandbox{}", self.product.to_ascii_lowercase(), self.id)
    }
}

/// What the sandbox reads from a certificate (the leaf of a PEM chain).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CertFacts {
    pub(crate) common_name: String,
    pub(crate) sans: Vec<String>,
    pub(crate) issuer: String,
    /// Uppercase hex of the serial number's bytes.
    pub(crate) serial_no: String,
    /// Uppercase hex SHA-1 of the leaf's DER (`Fingerprint`; the reference does not give the
    /// format).
    pub(crate) fingerprint: String,
    /// Uppercase hex SHA-256 of the leaf's DER (`Sha2`).
    pub(crate) sha2: String,
    pub(crate) not_before_ms: i64,
    pub(crate) not_after_ms: i64,
    /// `RSA` or `ECC`.
    pub(crate) algorithm: String,
    /// The leaf's public key (the BIT STRING's bytes of its SubjectPublicKeyInfo).
    #[serde(default, skip_serializing)]
    public_key: Vec<u8>,
    /// Every certificate of the chain: (CN, issuer CN, notBefore ms, notAfter ms).
    pub(crate) chain: Vec<(String, String, i64, i64)>,
}

impl CertFacts {
    /// The facts of the first certificate of `pem` (a chain), or why it is not one.
    pub(crate) fn of_chain(pem: &str) -> Result<CertFacts, String> {
        use sha1::Digest as _;
        use x509_parser::prelude::{FromDer as _, X509Certificate};
        let blocks: Vec<x509_parser::pem::Pem> =
            x509_parser::pem::Pem::iter_from_buffer(pem.as_bytes())
                .collect::<Result<_, _>>()
                .map_err(|e| format!("it is not PEM ({e})"))?;
        let certs: Vec<&x509_parser::pem::Pem> =
            blocks.iter().filter(|b| b.label == "CERTIFICATE").collect();
        let Some(leaf_pem) = certs.first() else {
            return Err("it holds no CERTIFICATE block".to_owned());
        };
        let cn_of = |name: &x509_parser::x509::X509Name<'_>| {
            name.iter_common_name()
                .next()
                .and_then(|a| a.as_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let ms = |t: x509_parser::time::ASN1Time| t.timestamp().saturating_mul(1000);
        let mut chain = Vec::new();
        for c in &certs {
            let (_, cert) = X509Certificate::from_der(&c.contents)
                .map_err(|e| format!("a CERTIFICATE block is not a certificate ({e})"))?;
            chain.push((
                cn_of(cert.subject()),
                cn_of(cert.issuer()),
                ms(cert.validity().not_before),
                ms(cert.validity().not_after),
            ));
        }
        let (_, leaf) = X509Certificate::from_der(&leaf_pem.contents)
            .map_err(|e| format!("the first certificate cannot be read ({e})"))?;
        let sans = leaf
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|ext| {
                ext.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        x509_parser::extensions::GeneralName::DNSName(d) => {
                            Some(d.to_ascii_lowercase())
                        }
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        let algorithm = match leaf.public_key().parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(_)) => "RSA",
            _ => "ECC",
        };
        Ok(CertFacts {
            common_name: cn_of(leaf.subject()),
            sans,
            issuer: cn_of(leaf.issuer()),
            serial_no: hex::encode_upper(leaf.raw_serial()),
            fingerprint: hex::encode_upper(sha1::Sha1::digest(&leaf_pem.contents)),
            sha2: hex::encode_upper(sha2::Sha256::digest(&leaf_pem.contents)),
            not_before_ms: chain[0].2,
            not_after_ms: chain[0].3,
            algorithm: algorithm.to_owned(),
            public_key: leaf.public_key().subject_public_key.data.to_vec(),
            chain,
        })
    }

    /// Whether the certificate's names cover `domain` (exactly, or by a wildcard one label
    /// deep).
    fn covers(&self, domain: &str) -> bool {
        let names = std::iter::once(self.common_name.to_ascii_lowercase()).chain(self.sans.clone());
        names.into_iter().any(|n| {
            n == domain
                || n.strip_prefix("*.").is_some_and(|base| {
                    domain
                        .split_once('.')
                        .is_some_and(|(label, rest)| !label.is_empty() && rest == base)
                })
        })
    }

    /// `YYYY-MM-DD` of a time in ms.
    fn date(ms: i64) -> String {
        OffsetDateTime::from_unix_timestamp(ms / 1000)
            .map(|t| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
            .unwrap_or_default()
    }

    /// The `ListUserCertificateOrder` entry (`OrderType=CERT`/`UPLOAD`) of this certificate.
    pub(crate) fn item(
        &self,
        certificate_id: u64,
        name: String,
        upload: bool,
        now_ms: i64,
    ) -> CertItem {
        CertItem {
            certificate_id,
            name,
            common_name: self.common_name.clone(),
            sans: self.sans.join(","),
            issuer: self.issuer.clone(),
            start_date: CertFacts::date(self.not_before_ms),
            end_date: CertFacts::date(self.not_after_ms),
            expired: self.not_after_ms <= now_ms,
            fingerprint: self.fingerprint.clone(),
            serial_no: self.serial_no.clone(),
            sha2: self.sha2.clone(),
            upload,
        }
    }
}

/// `ListUserCertificateOrder.Status` of a certificate valid until `not_after_ms`: `EXPIRED`,
/// `WILLEXPIRED` within 30 days of its end, else `ISSUED`.
pub(crate) fn cert_status(not_after_ms: i64, now_ms: i64) -> &'static str {
    if not_after_ms <= now_ms {
        "EXPIRED"
    } else if not_after_ms - now_ms <= 30 * 86_400_000 {
        "WILLEXPIRED"
    } else {
        "ISSUED"
    }
}

#[derive(Clone, Serialize, Deserialize)]
struct Upload {
    cert_id: u64,
    name: String,
    cert_pem: String,
    /// The uploaded private key: sandbox material, kept in the state file (0600) and returned by
    /// `GetUserCertificateDetail` as the service does; never in `Debug`.
    key_pem: String,
    client_token: Option<String>,
    resource_group_id: Option<String>,
    tags: Vec<(String, String)>,
    created_ms: i64,
    facts: CertFacts,
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("cert_id", &self.cert_id)
            .field("name", &self.name)
            .field("key_pem", &"** redacted **")
            .finish_non_exhaustive()
    }
}

/// A job's workers' outcome, once it has run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Outcome {
    Success,
    Error,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Worker {
    id: u64,
    resource_id: u64,
    /// The certificate of the job it puts on the resource.
    cert_id: u64,
    /// The certificate the resource served before.
    resource_cert_id: Option<u64>,
    outcome: Option<Outcome>,
    /// Why it failed (not on the wire: the models have no field for it).
    error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Job {
    id: u64,
    name: String,
    job_type: String,
    cert_ids: Vec<u64>,
    resource_ids: Vec<u64>,
    contact_ids: Vec<u64>,
    /// `ScheduleTime`, Unix seconds.
    schedule_time: Option<i64>,
    created_ms: i64,
    modified_ms: i64,
    /// When it starts running, once started.
    start_ms: Option<i64>,
    /// Its duration, fixed when it was started.
    run_ms: i64,
    workers: Vec<Worker>,
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Editing,
    Pending,
    Scheduling,
    Processing,
    Done(Outcome),
}

impl Phase {
    fn wire(self) -> &'static str {
        match self {
            Phase::Editing => "editing",
            Phase::Pending => "pending",
            Phase::Scheduling => "scheduling",
            Phase::Processing => "processing",
            Phase::Done(Outcome::Success) => "success",
            Phase::Done(Outcome::Error) => "error",
        }
    }
}

impl Job {
    fn phase(&self, now_ms: i64) -> Phase {
        let Some(start) = self.start_ms else {
            return Phase::Editing;
        };
        if now_ms < start {
            Phase::Pending
        } else if now_ms < start + self.run_ms / 2 {
            Phase::Scheduling
        } else if now_ms < start + self.run_ms {
            Phase::Processing
        } else if self
            .workers
            .iter()
            .all(|w| w.outcome == Some(Outcome::Success))
        {
            Phase::Done(Outcome::Success)
        } else {
            Phase::Done(Outcome::Error)
        }
    }

    fn end_ms(&self) -> Option<i64> {
        self.start_ms.map(|s| s + self.run_ms)
    }
}

impl DeployData {
    fn fresh_id(&mut self) -> u64 {
        if self.next_id == 0 {
            self.next_id = 3_000_000;
        }
        self.next_id += 1;
        self.next_id
    }

    /// Adds the configured resources that the state does not have yet (a state file keeps its
    /// own, and the certificate each serves), and sets `fail` as configured.
    pub(crate) fn host(&mut self, specs: &[ResourceSpec], now: OffsetDateTime) {
        for spec in specs {
            let existing = self
                .resources
                .values_mut()
                .find(|r| r.product == spec.product && r.domain == spec.domain);
            match existing {
                Some(r) => r.fail = spec.fail,
                None => {
                    let id = self.fresh_id();
                    self.resources.insert(
                        id,
                        Resource {
                            id,
                            product: spec.product.clone(),
                            domain: spec.domain.clone(),
                            fail: spec.fail,
                            cert_id: None,
                            created_ms: unix_ms(now),
                            modified_ms: unix_ms(now),
                        },
                    );
                }
            }
        }
    }

    /// What `GET /_sandbox/resources` lists.
    pub(crate) fn listing(&self) -> Vec<DeployedResource> {
        self.resources
            .values()
            .map(|r| DeployedResource {
                id: r.id,
                product: r.product.clone(),
                domain: r.domain.clone(),
                cert_id: r.cert_id,
            })
            .collect()
    }

    /// The `ListUserCertificateOrder` entries of the uploaded certificates, newest first, with
    /// their `Status`.
    pub(crate) fn upload_items(&self, now_ms: i64) -> Vec<(&'static str, CertItem)> {
        self.uploads
            .values()
            .rev()
            .map(|u| {
                (
                    cert_status(u.facts.not_after_ms, now_ms),
                    u.facts.item(u.cert_id, u.name.clone(), true, now_ms),
                )
            })
            .collect()
    }
}

/// Finishes the jobs whose time has come: decides each worker and puts the certificates on the
/// resources that took them. Returns whether anything changed.
fn settle(s: &mut State, now_ms: i64) -> bool {
    let due: Vec<u64> = s
        .data
        .deploy
        .jobs
        .values()
        .filter(|j| j.end_ms().is_some_and(|end| end <= now_ms))
        .filter(|j| j.workers.iter().any(|w| w.outcome.is_none()))
        .map(|j| j.id)
        .collect();
    for id in &due {
        let Some(job) = s.data.deploy.jobs.get(id).cloned() else {
            continue;
        };
        let end = job.end_ms().unwrap_or(now_ms);
        let mut workers = job.workers.clone();
        for w in &mut workers {
            let resource = s.data.deploy.resources.get(&w.resource_id).cloned();
            let facts = held(s, w.cert_id).map(|h| h.facts);
            let failure = match (&resource, &facts) {
                (None, _) => Some("the resource no longer exists".to_owned()),
                (_, None) => Some(format!("certificate {} no longer exists", w.cert_id)),
                (Some(r), _) if r.fail => Some(format!(
                    "the sandbox fails every deployment to {}:{} (--resource …:fail)",
                    r.product, r.domain
                )),
                (Some(r), Some(f)) if !r.is_listener() && !f.covers(&r.domain) => Some(format!(
                    "certificate {} does not cover {}",
                    w.cert_id, r.domain
                )),
                _ => None,
            };
            w.outcome = Some(if failure.is_some() {
                Outcome::Error
            } else {
                Outcome::Success
            });
            w.error = failure;
            if w.outcome == Some(Outcome::Success)
                && let Some(r) = s.data.deploy.resources.get_mut(&w.resource_id)
            {
                r.cert_id = Some(w.cert_id);
                r.modified_ms = end;
            }
        }
        if let Some(j) = s.data.deploy.jobs.get_mut(id) {
            j.workers = workers;
            j.modified_ms = end;
        }
    }
    if !due.is_empty() {
        s.touch();
    }
    !due.is_empty()
}

/// Settles the jobs that are due (for `GET /_sandbox/resources` and the handle).
pub(crate) fn settle_now(s: &mut State) {
    settle(s, unix_ms(OffsetDateTime::now_utc()));
}

/// A certificate of the account: uploaded (with its key) or issued to an order (without: the
/// order's CSR was the customer's).
struct Held {
    cert_id: u64,
    name: String,
    cert_pem: String,
    key_pem: Option<String>,
    order_id: Option<u64>,
    instance_id: String,
    upload: bool,
    facts: CertFacts,
    tags: Vec<(String, String)>,
    resource_group_id: Option<String>,
}

fn issued_order(s: &State, cert_id: u64) -> Option<&Order> {
    s.data
        .orders
        .values()
        .find(|o| o.cert_id == Some(cert_id) && o.state == OrderState::Certificate)
}

fn held(s: &State, cert_id: u64) -> Option<Held> {
    if let Some(u) = s.data.deploy.uploads.get(&cert_id) {
        return Some(Held {
            cert_id,
            name: u.name.clone(),
            cert_pem: u.cert_pem.clone(),
            key_pem: Some(u.key_pem.clone()),
            order_id: None,
            instance_id: format!("cas-upload-{cert_id}"),
            upload: true,
            facts: u.facts.clone(),
            tags: u.tags.clone(),
            resource_group_id: u.resource_group_id.clone(),
        });
    }
    let o = issued_order(s, cert_id)?;
    let pem = o.certificate.clone()?;
    let facts = CertFacts::of_chain(&pem).ok()?;
    Some(Held {
        cert_id,
        name: format!("cert-{cert_id}"),
        cert_pem: pem,
        key_pem: None,
        order_id: Some(o.id),
        instance_id: crate::instance::instance_id(o.id),
        upload: false,
        facts,
        tags: o.tags.clone(),
        resource_group_id: None,
    })
}

/// An id parameter: digits only, positive.
fn id_param(p: &[(String, String)], name: &str) -> Result<u64, ApiError> {
    let raw = required(p, name)?;
    parse_id(raw).ok_or_else(|| {
        ApiError::invalid(
            name,
            format!("{raw:?} is not an id (a positive integer, digits only)"),
        )
    })
}

fn parse_id(raw: &str) -> Option<u64> {
    let raw = raw.trim();
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if !digits || (raw.len() > 1 && raw.starts_with('0')) {
        return None;
    }
    raw.parse().ok().filter(|n| *n > 0)
}

/// A comma-separated list of ids (`CreateDeploymentJob`'s `CertIds`, `ResourceIds`,
/// `ContactIds`), or a JSON array of them (how the SDK sends `ListCloudResources.CertIds`).
fn id_list(p: &[(String, String)], name: &str, needed: bool) -> Result<Vec<u64>, ApiError> {
    let raw = match param(p, name).filter(|v| !v.trim().is_empty()) {
        Some(v) => v,
        None if needed => return Err(ApiError::missing(name)),
        None => return Ok(Vec::new()),
    };
    let inner = raw
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(raw);
    let mut ids = Vec::new();
    for part in inner.split(',') {
        let id = parse_id(part).ok_or_else(|| {
            ApiError::invalid(
                name,
                format!("{part:?} is not an id; give ids separated by commas, e.g. 123,456"),
            )
        })?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

fn secs(ms: i64) -> String {
    (ms / 1000).to_string()
}

/// Runs a deployment operation.
pub(crate) async fn dispatch(
    shared: &Shared,
    action: &str,
    p: &[(String, String)],
    request_id: &str,
    now: OffsetDateTime,
) -> Result<Resp, ApiError> {
    let now_ms = unix_ms(now);
    let resp = {
        let mut s = lock(&shared.state);
        settle(&mut s, now_ms);
        let run_ms = i64::try_from(shared.config.deploy_after.as_millis()).unwrap_or(i64::MAX);
        let body = match action {
            "ListCloudResources" => list_resources(&s, p, request_id)?,
            "ListContact" => list_contact(p, request_id)?,
            "UploadUserCertificate" => upload(&mut s, p, request_id, now_ms)?,
            "GetUserCertificateDetail" => detail(&s, p, request_id, now_ms)?,
            "CreateDeploymentJob" => create_job(&mut s, p, request_id, now_ms)?,
            "UpdateDeploymentJobStatus" => update_job(&mut s, p, request_id, now_ms, run_ms)?,
            "DescribeDeploymentJob" => describe_job(&s, p, request_id, now_ms)?,
            "ListDeploymentJob" => list_jobs(&s, p, request_id, now_ms)?,
            "ListWorkerResource" => list_workers(&s, p, request_id, now_ms)?,
            other => return Err(crate::server::unknown_action(other)),
        };
        json_ok(request_id, &body)
    };
    shared.save_then(resp).await
}

fn page(p: &[(String, String)], default_size: u64) -> Result<(u64, u64, usize, usize), ApiError> {
    let current = number_param(p, "CurrentPage", 1, u64::from(u32::MAX))?;
    let size = number_param(p, "ShowSize", default_size, 1000)?;
    let skip = usize::try_from((current - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    Ok((current, size, skip, take))
}

/// A page of a `ListCloudResources`-style answer: `Total`, `CurrentPage`, `ShowSize`, `Data`.
fn paged(request_id: &str, total: usize, (current, size): (u64, u64), data: Vec<Value>) -> Value {
    json!({
        "RequestId": request_id,
        "Total": total,
        "CurrentPage": current,
        "ShowSize": size,
        "Data": data,
    })
}

fn list_resources(s: &State, p: &[(String, String)], request_id: &str) -> Result<Value, ApiError> {
    let (current, size, skip, take) = page(p, 20)?;
    let cloud = param(p, "CloudName").filter(|v| !v.is_empty());
    if let Some(c) = cloud
        && !["aliyun", "Tencent", "Huawei", "Aws"].contains(&c)
    {
        return Err(ApiError::invalid(
            "CloudName",
            format!("{c:?}; use aliyun, Tencent, Huawei or Aws"),
        ));
    }
    let product = param(p, "CloudProduct").filter(|v| !v.is_empty());
    if let Some(pr) = product
        && !ALIYUN_PRODUCTS.contains(&pr)
        && !OTHER_PRODUCTS.contains(&pr)
    {
        return Err(ApiError::invalid(
            "CloudProduct",
            format!(
                "{pr:?} is not a cloud product; for aliyun use one of {}",
                ALIYUN_PRODUCTS.join(", ")
            ),
        ));
    }
    let keyword = param(p, "Keyword")
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_lowercase);
    let cert_ids = id_list(p, "CertIds", false)?;
    // The sandbox's account has resources on Alibaba Cloud only.
    let matching: Vec<&Resource> = s
        .data
        .deploy
        .resources
        .values()
        .filter(|_| cloud.is_none_or(|c| c == "aliyun"))
        .filter(|r| product.is_none_or(|pr| pr == r.product))
        .filter(|r| {
            keyword.as_deref().is_none_or(|k| {
                r.domain.contains(k) || (r.is_listener() && r.instance_id().contains(k))
            })
        })
        .filter(|r| cert_ids.is_empty() || r.cert_id.is_some_and(|c| cert_ids.contains(&c)))
        .collect();
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|r| resource_json(s, r))
        .collect();
    Ok(paged(request_id, matching.len(), (current, size), data))
}

fn resource_json(s: &State, r: &Resource) -> Value {
    let mut v = json!({
        "Id": r.id,
        "CloudName": "aliyun",
        "CloudProduct": r.product,
        "Domain": r.domain,
        "RegionId": REGION,
        "EnableHttps": i32::from(r.cert_id.is_some()),
        "UseSsl": i32::from(r.cert_id.is_some()),
        "Status": "online",
        "UserId": USER_ID,
        "GmtCreate": secs(r.created_ms),
        "GmtModified": secs(r.modified_ms),
    });
    if r.is_listener() {
        v["InstanceId"] = json!(r.instance_id());
        v["ListenerId"] = json!(format!("lsn-sandbox{}", r.id));
        v["ListenerPort"] = json!("443");
        v["DefaultResource"] = json!(1);
    }
    if let Some(h) = r.cert_id.and_then(|c| held(s, c)) {
        v["CertId"] = json!(h.cert_id);
        v["CertName"] = json!(h.name);
        v["CertStartTime"] = json!(secs(h.facts.not_before_ms));
        v["CertEndTime"] = json!(secs(h.facts.not_after_ms));
    }
    v
}

fn list_contact(p: &[(String, String)], request_id: &str) -> Result<Value, ApiError> {
    let (current, size, skip, take) = page(p, 20)?;
    let keyword = param(p, "Keyword").filter(|v| !v.is_empty());
    let contact = json!({
        "ContactId": CONTACT_ID,
        "Name": CONTACT_NAME,
        "Email": CONTACT_EMAIL,
        "Mobile": CONTACT_MOBILE,
        "EmailStatus": 1,
        "MobileStatus": 1,
        "Webhooks": "",
        "WebhookList": [],
    });
    let all: Vec<Value> = [contact]
        .into_iter()
        .filter(|_| {
            keyword.is_none_or(|k| {
                [CONTACT_NAME, CONTACT_EMAIL, CONTACT_MOBILE]
                    .iter()
                    .any(|f| f.to_ascii_lowercase().contains(&k.to_ascii_lowercase()))
            })
        })
        .collect();
    let mut v = json!({
        "RequestId": request_id,
        "TotalCount": all.len(),
        "CurrentPage": current,
        "ShowSize": size,
        "ContactList": all.into_iter().skip(skip).take(take).collect::<Vec<_>>(),
    });
    if let Some(k) = keyword {
        v["Keyword"] = json!(k);
    }
    Ok(v)
}

/// The raw public key of a PEM private key (PKCS#8, PKCS#1 or SEC1), as the certificate's
/// SubjectPublicKeyInfo carries it.
fn public_key_of(key_pem: &str) -> Result<Vec<u8>, String> {
    let key = rcgen::KeyPair::from_pem(key_pem)
        .map_err(|_| "it is not a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC)".to_owned())?;
    Ok(key.public_key_raw().to_vec())
}

fn upload(
    s: &mut State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = required(p, "Name")?;
    if name.chars().count() > 63 {
        return Err(ApiError::invalid("Name", "it has more than 63 characters"));
    }
    let token = param(p, "ClientToken").filter(|t| !t.is_empty());
    let cert = param(p, "Cert").filter(|v| !v.trim().is_empty());
    let key = param(p, "Key").filter(|v| !v.trim().is_empty());
    let tags = crate::server::tags(p)?;
    let group = param(p, "ResourceGroupId").filter(|v| !v.is_empty());
    // Idempotence: a token seen before answers what it did then, and does nothing again.
    if let Some(t) = token
        && let Some(id) = s.data.deploy.client_tokens.get(t).copied()
    {
        let same = s.data.deploy.uploads.get(&id).is_some_and(|u| {
            u.name == name && Some(u.cert_pem.as_str()) == cert && Some(u.key_pem.as_str()) == key
        });
        if !same {
            return Err(ApiError::new(
                400,
                "IdempotentParameterMismatch",
                format!(
                    "The ClientToken {t:?} was used by an earlier request with other parameters (it uploaded certificate {id}). Use a new ClientToken for a new upload."
                ),
            ));
        }
        return Ok(upload_answer(request_id, id));
    }
    let (Some(cert), Some(key)) = (cert, key) else {
        let missing = if cert.is_none() { "Cert" } else { "Key" };
        if ["SignCert", "EncryptCert"]
            .iter()
            .any(|n| param(p, n).is_some_and(|v| !v.is_empty()))
        {
            return Err(ApiError::invalid(
                "SignCert",
                "the sandbox does not emulate SM2 certificates; upload Cert and Key",
            ));
        }
        return Err(ApiError::missing(missing));
    };
    if let Some(u) = s.data.deploy.uploads.values().find(|u| u.name == name) {
        return Err(ApiError::invalid(
            "Name",
            format!(
                "certificate {} is already named {name:?}; names are unique in an account",
                u.cert_id
            ),
        ));
    }
    let facts = CertFacts::of_chain(cert).map_err(|why| {
        ApiError::invalid("Cert", format!("{why}; give the PEM certificate chain"))
    })?;
    let public = public_key_of(key).map_err(|why| ApiError::invalid("Key", why))?;
    if public != facts.public_key {
        return Err(ApiError::invalid(
            "Key",
            "it is not the private key of the certificate in Cert (its public key differs)",
        ));
    }
    // The reference does not say whether the service refuses an expired certificate or one it
    // already holds; the sandbox accepts both.
    let cert_id = s.data.next_cert_id;
    s.data.next_cert_id += 1;
    s.data.deploy.uploads.insert(
        cert_id,
        Upload {
            cert_id,
            name: name.to_owned(),
            cert_pem: cert.to_owned(),
            key_pem: key.to_owned(),
            client_token: token.map(str::to_owned),
            resource_group_id: group.map(str::to_owned),
            tags,
            created_ms: now_ms,
            facts,
        },
    );
    if let Some(t) = token {
        s.data.deploy.client_tokens.insert(t.to_owned(), cert_id);
    }
    s.data.deploy.uploaded += 1;
    s.touch();
    Ok(upload_answer(request_id, cert_id))
}

fn upload_answer(request_id: &str, cert_id: u64) -> Value {
    json!({
        "RequestId": request_id,
        "CertId": cert_id,
        "ResourceId": format!("cas-upload-{cert_id}"),
    })
}

fn unknown_cert(id: u64) -> ApiError {
    ApiError::invalid(
        "CertId",
        format!(
            "{id} is not a certificate of this account (ListUserCertificateOrder with OrderType=CERT lists them)"
        ),
    )
}

fn detail(
    s: &State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let id = id_param(p, "CertId")?;
    // The Python SDK writes a bool as Python prints it (`True`), so case does not matter.
    let filter = match param(p, "CertFilter").filter(|v| !v.is_empty()) {
        None => false,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "CertFilter",
                format!("{other:?}; use true or false"),
            ));
        }
    };
    let h = held(s, id).ok_or_else(|| unknown_cert(id))?;
    let f = &h.facts;
    let chain: Vec<Value> = f
        .chain
        .iter()
        .map(|(cn, issuer, nb, na)| {
            json!({
                "CommonName": cn,
                "IssuerCommonName": issuer,
                "NotBefore": nb,
                "NotAfter": na,
                "RemainDay": ((na - now_ms) / 86_400_000).max(0),
            })
        })
        .collect();
    let mut v = json!({
        "RequestId": request_id,
        "Id": h.cert_id,
        "Name": h.name,
        "Common": f.common_name,
        "Sans": f.sans.join(","),
        "Issuer": f.issuer,
        "SerialNo": f.serial_no,
        "Fingerprint": f.fingerprint,
        "Sha2": f.sha2,
        "Algorithm": f.algorithm,
        "NotBefore": f.not_before_ms,
        "NotAfter": f.not_after_ms,
        "StartDate": CertFacts::date(f.not_before_ms),
        "EndDate": CertFacts::date(f.not_after_ms),
        "Expired": f.not_after_ms <= now_ms,
        "BuyInAliyun": !h.upload,
        "CertIdentifier": format!("{}-{REGION}", h.cert_id),
        "InstanceId": h.instance_id,
        "CertChain": chain,
        "Tags": h.tags.iter().map(|(k, v)| json!({"TagKey": k, "TagValue": v})).collect::<Vec<_>>(),
    });
    if let Some(o) = h.order_id {
        v["OrderId"] = json!(o);
    }
    if let Some(g) = &h.resource_group_id {
        v["ResourceGroupId"] = json!(g);
    }
    if !filter {
        v["Cert"] = json!(h.cert_pem);
        if let Some(k) = &h.key_pem {
            v["Key"] = json!(k);
        }
    }
    Ok(v)
}

fn create_job(
    s: &mut State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let name = required(p, "Name")?;
    let job_type = required(p, "JobType")?;
    match job_type {
        "user" => {}
        "cloud" => {
            return Err(ApiError::invalid(
                "JobType",
                "the sandbox emulates deployment to Alibaba Cloud products (user) only, not multi-cloud (cloud)",
            ));
        }
        other => {
            return Err(ApiError::invalid(
                "JobType",
                format!("{other:?}; use user (cloud products) or cloud (multi-cloud)"),
            ));
        }
    }
    let cert_ids = id_list(p, "CertIds", true)?;
    let resource_ids = id_list(p, "ResourceIds", true)?;
    let contact_ids = id_list(p, "ContactIds", true)?;
    let schedule_time = match param(p, "ScheduleTime").filter(|v| !v.is_empty()) {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|t| *t > 0).ok_or_else(|| {
            ApiError::invalid(
                "ScheduleTime",
                format!("{v:?} is not a Unix time in seconds"),
            )
        })?),
    };
    let mut certs = Vec::new();
    for id in &cert_ids {
        let h = held(s, *id).ok_or_else(|| unknown_cert(*id))?;
        if h.key_pem.is_none() {
            // An order placed with the customer's own CSR: the service has no key to install.
            return Err(ApiError::invalid(
                "CertIds",
                format!(
                    "certificate {id} has no private key in this account (it was issued for your own CSR); upload it with its key (UploadUserCertificate) and deploy that"
                ),
            ));
        }
        certs.push(h);
    }
    let mut workers = Vec::new();
    for rid in &resource_ids {
        let r = s.data.deploy.resources.get(rid).cloned().ok_or_else(|| {
            ApiError::invalid(
                "ResourceIds",
                format!(
                    "{rid} is not a cloud resource of this account (ListCloudResources lists them)"
                ),
            )
        })?;
        // Each resource takes the job's certificate that covers its domain (the first one for
        // a listener, which serves no one name).
        let cert = certs
            .iter()
            .find(|h| r.is_listener() || h.facts.covers(&r.domain))
            .or(certs.first())
            .map_or(0, |h| h.cert_id);
        workers.push(Worker {
            id: 0,
            resource_id: r.id,
            cert_id: cert,
            resource_cert_id: r.cert_id,
            outcome: None,
            error: None,
        });
    }
    if let Some(c) = contact_ids.iter().find(|c| **c != CONTACT_ID) {
        return Err(ApiError::invalid(
            "ContactIds",
            format!("{c} is not a contact of this account (ListContact lists them)"),
        ));
    }
    for w in &mut workers {
        w.id = s.data.deploy.fresh_id();
    }
    let id = s.data.deploy.fresh_id();
    s.data.deploy.jobs.insert(
        id,
        Job {
            id,
            name: name.to_owned(),
            job_type: job_type.to_owned(),
            cert_ids,
            resource_ids,
            contact_ids,
            schedule_time,
            created_ms: now_ms,
            modified_ms: now_ms,
            start_ms: None,
            run_ms: 0,
            workers,
        },
    );
    s.data.deploy.jobs_created += 1;
    s.touch();
    Ok(json!({ "RequestId": request_id, "JobId": id }))
}

fn job_of<'a>(s: &'a State, p: &[(String, String)]) -> Result<&'a Job, ApiError> {
    let id = id_param(p, "JobId")?;
    s.data.deploy.jobs.get(&id).ok_or_else(|| {
        ApiError::invalid(
            "JobId",
            format!("{id} is not a deployment job of this account (ListDeploymentJob lists them)"),
        )
    })
}

fn update_job(
    s: &mut State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
    run_ms: i64,
) -> Result<Value, ApiError> {
    let job = job_of(s, p)?;
    let id = job.id;
    let phase = job.phase(now_ms);
    let status = required(p, "Status")?;
    let start = match (status, phase) {
        ("pending", Phase::Editing | Phase::Pending) => Some(
            job.schedule_time
                .map_or(now_ms, |t| t.saturating_mul(1000).max(now_ms)),
        ),
        ("scheduling", Phase::Editing | Phase::Pending) => Some(now_ms),
        ("editing", Phase::Editing | Phase::Pending) => None,
        ("pending" | "scheduling" | "editing", _) => {
            return Err(ApiError::invalid(
                "Status",
                format!(
                    "the job {id} is {} and can no longer be changed; only a job that is editing or pending can",
                    phase.wire()
                ),
            ));
        }
        (other, _) => {
            return Err(ApiError::invalid(
                "Status",
                format!("{other:?}; use pending, scheduling or editing"),
            ));
        }
    };
    if let Some(j) = s.data.deploy.jobs.get_mut(&id) {
        j.start_ms = start;
        j.run_ms = run_ms;
        j.modified_ms = now_ms;
    }
    s.touch();
    Ok(json!({ "RequestId": request_id }))
}

fn job_fields(s: &State, j: &Job, now_ms: i64) -> Value {
    let certs: Vec<Held> = j.cert_ids.iter().filter_map(|c| held(s, *c)).collect();
    let domains: Vec<String> = certs
        .iter()
        .map(|h| {
            if h.facts.sans.is_empty() {
                h.facts.common_name.clone()
            } else {
                h.facts.sans.join(",")
            }
        })
        .collect();
    let mut products: Vec<&str> = j
        .resource_ids
        .iter()
        .filter_map(|r| s.data.deploy.resources.get(r))
        .map(|r| r.product.as_str())
        .collect();
    products.dedup();
    let mut v = json!({
        "Id": j.id,
        "Name": j.name,
        "JobType": j.job_type,
        "Status": j.job_status(now_ms),
        "CertDomain": domains.join(","),
        "CertType": if certs.iter().all(|h| h.upload) { "upload" } else { "buy" },
        "ProductName": products.join(","),
        "Del": 0,
        "Rollback": 0,
        "UserId": USER_ID,
        "GmtCreate": secs(j.created_ms),
        "GmtModified": secs(j.modified_ms),
        "InstanceId": format!("cas-job-{}", j.id),
    });
    if let Some(t) = j.schedule_time {
        v["ScheduleTime"] = json!(t.to_string());
    }
    if let Some(start) = j.start_ms.filter(|s| *s <= now_ms) {
        v["StartTime"] = json!(secs(start));
    }
    if let (Some(end), Phase::Done(_)) = (j.end_ms(), j.phase(now_ms)) {
        v["EndTime"] = json!(secs(end));
    }
    v
}

impl Job {
    fn job_status(&self, now_ms: i64) -> &'static str {
        self.phase(now_ms).wire()
    }
}

fn describe_job(
    s: &State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let j = job_of(s, p)?;
    let mut v = job_fields(s, j, now_ms);
    v["RequestId"] = json!(request_id);
    v["CasContacts"] = json!([{
        "Id": CONTACT_ID.to_string(),
        "Name": CONTACT_NAME,
        "Email": CONTACT_EMAIL,
        "Mobile": CONTACT_MOBILE,
    }]);
    Ok(v)
}

fn list_jobs(
    s: &State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let (current, size, skip, take) = page(p, 50)?;
    let cert = match param(p, "CertId").filter(|v| !v.is_empty()) {
        None => None,
        Some(_) => Some(id_param(p, "CertId")?),
    };
    let job_type = param(p, "JobType").filter(|v| !v.is_empty());
    let status = param(p, "Status").filter(|v| !v.is_empty());
    let matching: Vec<&Job> = s
        .data
        .deploy
        .jobs
        .values()
        .rev()
        .filter(|j| cert.is_none_or(|c| j.cert_ids.contains(&c)))
        .filter(|j| job_type.is_none_or(|t| t == j.job_type))
        .filter(|j| status.is_none_or(|st| st == j.job_status(now_ms)))
        .collect();
    let data: Vec<Value> = matching
        .iter()
        .skip(skip)
        .take(take)
        .map(|j| job_fields(s, j, now_ms))
        .collect();
    Ok(paged(request_id, matching.len(), (current, size), data))
}

fn list_workers(
    s: &State,
    p: &[(String, String)],
    request_id: &str,
    now_ms: i64,
) -> Result<Value, ApiError> {
    let j = job_of(s, p)?;
    let (current, size, skip, take) = page(p, 50)?;
    let product = param(p, "CloudProduct").filter(|v| !v.is_empty());
    let status = param(p, "Status").filter(|v| !v.is_empty());
    let phase = j.phase(now_ms);
    let rows: Vec<Value> = j
        .workers
        .iter()
        .filter_map(|w| {
            let r = s.data.deploy.resources.get(&w.resource_id)?;
            let st = match (phase, w.outcome) {
                (Phase::Done(_), Some(Outcome::Success)) => "success",
                (Phase::Done(_), _) => "error",
                (other, _) => other.wire(),
            };
            if product.is_some_and(|pr| pr != r.product) || status.is_some_and(|x| x != st) {
                return None;
            }
            let h = held(s, w.cert_id);
            let mut v = json!({
                "Id": w.id,
                "JobId": j.id,
                "ResourceId": r.id,
                "CloudProduct": r.product,
                "RegionId": REGION,
                "ResourceDomain": r.domain,
                "CertId": w.cert_id,
                "Status": st,
                "UserId": USER_ID,
                "GmtCreate": secs(j.created_ms),
                "GmtModified": secs(j.modified_ms),
            });
            if let Some(h) = h {
                v["CertName"] = json!(h.name);
                v["CertDomain"] = json!(h.facts.common_name);
                v["CertInstanceId"] = json!(h.instance_id);
            }
            if let Some(old) = w.resource_cert_id {
                v["ResourceCertId"] = json!(old);
            }
            if r.is_listener() {
                v["InstanceId"] = json!(r.instance_id());
                v["ListenerId"] = json!(format!("lsn-sandbox{}", r.id));
                v["Port"] = json!(443);
                v["DefaultResource"] = json!(true);
            }
            Some(v)
        })
        .collect();
    Ok(paged(
        request_id,
        rows.len(),
        (current, size),
        rows.into_iter().skip(skip).take(take).collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_specs_parse_in_the_services_spelling() {
        let r: ResourceSpec = "CDN:WWW.Example.com.".parse().expect("parses");
        assert_eq!(
            (r.product.as_str(), r.domain.as_str()),
            ("CDN", "www.example.com")
        );
        let r: ResourceSpec = "webhosting:a.example.com:fail".parse().expect("parses");
        assert_eq!((r.product.as_str(), r.fail), ("webHosting", true));
        for bad in [
            "",
            "cdn",
            "ecs:a.example.com",
            "cdn:",
            "cdn:a b.example.com",
            "cdn:a.example.com:later",
        ] {
            let e = bad.parse::<ResourceSpec>().expect_err(bad).to_string();
            assert!(e.contains("PRODUCT:DOMAIN"), "{e}");
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        let f = CertFacts {
            common_name: "*.example.com".into(),
            sans: vec!["*.example.com".into(), "example.com".into()],
            issuer: String::new(),
            serial_no: String::new(),
            fingerprint: String::new(),
            sha2: String::new(),
            not_before_ms: 0,
            not_after_ms: 0,
            algorithm: "ECC".into(),
            public_key: Vec::new(),
            chain: Vec::new(),
        };
        assert!(f.covers("www.example.com"));
        assert!(f.covers("example.com"));
        assert!(!f.covers("a.b.example.com"));
        assert!(!f.covers("example.org"));
    }

    #[test]
    fn id_lists_take_commas_or_json() {
        let p = |v: &str| vec![("CertIds".to_owned(), v.to_owned())];
        assert_eq!(id_list(&p("1,2,2"), "CertIds", true), Ok(vec![1, 2]));
        assert_eq!(id_list(&p("[3,4]"), "CertIds", true), Ok(vec![3, 4]));
        assert!(id_list(&p("1,x"), "CertIds", true).is_err());
        assert!(id_list(&p("01"), "CertIds", true).is_err());
        assert!(id_list(&[], "CertIds", true).is_err());
        assert_eq!(id_list(&[], "CertIds", false), Ok(vec![]));
    }
}
