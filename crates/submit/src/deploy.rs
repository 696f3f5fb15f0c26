//! The CAS 2020-04-07 operations that deploy certificates to cloud products
//! (deployment jobs; reference `renewal-and-fleet.md` 2.5), with the field
//! names of the official SDK's models (`alibabacloud-cas20200407` 3.9.4).
//!
//! | operation | retried |
//! |---|---|
//! | [`ListCloudResources`], [`ListContact`], [`GetUserCertificateDetail`], [`DescribeDeploymentJob`], [`ListDeploymentJob`], [`ListWorkerResource`] | read-only: yes |
//! | [`UpdateDeploymentJobStatus`] | sets a state: yes |
//! | [`UploadUserCertificate`] | with a `ClientToken` yes (the service answers a repeated token with the first upload); without one, only when the service certainly did not act |
//! | [`CreateDeploymentJob`] | only when the service certainly did not act; otherwise [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown): look the job up (by its name, [`ListDeploymentJob`]) before creating another |

use std::fmt;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::ops::{
    Acknowledged, Idempotency, Operation, ReturnedPrivateKey, Tag, null_as_empty, opt_string,
    opt_u64, p, required,
};

/// A private key to upload, PEM. Zeroed on drop; `Debug` is redacted, and
/// `--dry-run` shows the parameter redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKeyPem(Zeroizing<String>);

impl PrivateKeyPem {
    /// Wraps a PEM private key.
    pub fn new(pem: impl Into<String>) -> Self {
        PrivateKeyPem(Zeroizing::new(pem.into()))
    }

    /// The PEM text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKeyPem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

fn opt(out: &mut Vec<(String, String)>, k: &str, v: Option<&str>) {
    if let Some(v) = v.filter(|v| !v.is_empty()) {
        out.push(p(k, v));
    }
}

fn paging(out: &mut Vec<(String, String)>, current_page: Option<u64>, show_size: Option<u64>) {
    if let Some(n) = current_page {
        out.push(p("CurrentPage", n.to_string()));
    }
    if let Some(n) = show_size {
        out.push(p("ShowSize", n.to_string()));
    }
}

fn joined(ids: &[u64]) -> String {
    ids.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
}

fn not_empty(field: &str, ids: &[u64]) -> Result<(), Error> {
    if ids.is_empty() {
        return Err(Error::InvalidInput {
            field: field.to_string(),
            reason: "is empty; give at least one id".to_string(),
        });
    }
    Ok(())
}

// ------------------------------------------------------ ListCloudResources ---

/// `ListCloudResources`: one page of the cloud resources certificates can be
/// deployed to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListCloudResources {
    /// `aliyun` (Alibaba Cloud), `Tencent`, `Huawei` or `Aws`.
    pub cloud_name: Option<String>,
    /// The product, in the service's spelling: `CDN`, `DCDN`, `SLB`, `ALB`,
    /// `NLB`, `OSS`, `WAF`, `GA`, `FC`, `APIGateway`, `SAE`, `MSE`, `LIVE`,
    /// `VOD`, `DDOS`, `CR`, `webHosting`.
    pub cloud_product: Option<String>,
    /// Fuzzy match on the domain or the instance id.
    pub keyword: Option<String>,
    /// Only resources serving one of these certificates (sent as a JSON
    /// array, as the SDK does).
    pub cert_ids: Vec<u64>,
    /// The page, from 1.
    pub current_page: Option<u64>,
    /// Page size (the service's default is 20).
    pub show_size: Option<u64>,
}

/// A cloud resource (`ListCloudResources.Data[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CloudResource {
    /// Its id: what [`CreateDeploymentJob::resource_ids`] names.
    #[serde(deserialize_with = "crate::ops::exact_u64")]
    pub id: u64,
    /// `aliyun`, ...
    #[serde(default)]
    pub cloud_name: Option<String>,
    /// The product, e.g. `CDN`.
    #[serde(default)]
    pub cloud_product: Option<String>,
    /// The domain it serves.
    #[serde(default)]
    pub domain: Option<String>,
    /// The instance (load balancers and GA).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The listener (load balancers and GA).
    #[serde(default)]
    pub listener_id: Option<String>,
    /// The listener's port (load balancers and GA).
    #[serde(default, deserialize_with = "opt_string")]
    pub listener_port: Option<String>,
    /// Its region.
    #[serde(default)]
    pub region_id: Option<String>,
    /// The certificate it serves.
    #[serde(default, deserialize_with = "opt_u64")]
    pub cert_id: Option<u64>,
    /// That certificate's name.
    #[serde(default)]
    pub cert_name: Option<String>,
    /// That certificate's end, Unix seconds.
    #[serde(default, deserialize_with = "opt_string")]
    pub cert_end_time: Option<String>,
    /// Its status.
    #[serde(default)]
    pub status: Option<String>,
}

impl CloudResource {
    /// `PRODUCT:DOMAIN` (or the instance and listener when it has no
    /// domain), for messages.
    pub fn label(&self) -> String {
        let product = self.cloud_product.as_deref().unwrap_or("?");
        match (&self.domain, &self.instance_id, &self.listener_id) {
            (Some(d), _, _) if !d.is_empty() => format!("{product}:{d}"),
            (_, Some(i), Some(l)) => format!("{product}:{i}/{l}"),
            (_, Some(i), None) => format!("{product}:{i}"),
            _ => format!("{product}:#{}", self.id),
        }
    }
}

/// One page of `ListCloudResources`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CloudResourcePage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// Entries over all pages.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total: Option<u64>,
    /// The entries.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: Vec<CloudResource>,
}

impl Operation for ListCloudResources {
    type Output = CloudResourcePage;
    const ACTION: &'static str = "ListCloudResources";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        opt(&mut out, "CloudName", self.cloud_name.as_deref());
        opt(&mut out, "CloudProduct", self.cloud_product.as_deref());
        opt(&mut out, "Keyword", self.keyword.as_deref());
        if !self.cert_ids.is_empty() {
            out.push(p("CertIds", format!("[{}]", joined(&self.cert_ids))));
        }
        paging(&mut out, self.current_page, self.show_size);
        Ok(out)
    }
}

// -------------------------------------------------------------- ListContact ---

/// `ListContact`: the account's notification contacts (a deployment job
/// names at least one).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListContact {
    /// Fuzzy match on name, email or phone.
    pub keyword: Option<String>,
    /// The page, from 1.
    pub current_page: Option<u64>,
    /// Page size.
    pub show_size: Option<u64>,
}

/// A contact (`ListContact.ContactList[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Contact {
    /// Its id: what [`CreateDeploymentJob::contact_ids`] names.
    #[serde(deserialize_with = "crate::ops::exact_u64")]
    pub contact_id: u64,
    /// The name.
    #[serde(default)]
    pub name: Option<String>,
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
}

/// One page of `ListContact`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct ContactPage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// Entries over all pages.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
    /// The entries.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub contact_list: Vec<Contact>,
}

impl Operation for ListContact {
    type Output = ContactPage;
    const ACTION: &'static str = "ListContact";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        opt(&mut out, "Keyword", self.keyword.as_deref());
        paging(&mut out, self.current_page, self.show_size);
        Ok(out)
    }
}

// --------------------------------------------------- UploadUserCertificate ---

/// `UploadUserCertificate`: put a certificate and its private key into the
/// account, so that deployment jobs can install them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadUserCertificate {
    /// Its name: at most 63 characters, unique in the account.
    pub name: String,
    /// The certificate chain, PEM (the leaf first).
    pub cert: String,
    /// The private key, PEM.
    pub key: PrivateKeyPem,
    /// Idempotence: the service answers a repeated token with the upload it
    /// made the first time. With one, the upload may be retried.
    pub client_token: Option<String>,
    /// Resource group.
    pub resource_group_id: Option<String>,
    /// Tags, sent as `Tags.1.Key`, `Tags.1.Value`, ...
    pub tags: Vec<Tag>,
}

/// The answer to `UploadUserCertificate`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UploadedCertificate {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The certificate's id.
    #[serde(deserialize_with = "crate::ops::exact_u64")]
    pub cert_id: u64,
    /// Its instance id.
    #[serde(default)]
    pub resource_id: Option<String>,
}

impl Operation for UploadUserCertificate {
    type Output = UploadedCertificate;
    const ACTION: &'static str = "UploadUserCertificate";
    const IDEMPOTENCY: Idempotency = Idempotency::SideEffect;
    const SECRET_PARAMS: &'static [&'static str] = &["Key"];
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("Name", &self.name)?;
        required("Cert", &self.cert)?;
        required("Key", self.key.expose())?;
        if self.name.chars().count() > 63 {
            return Err(Error::InvalidInput {
                field: "Name".to_string(),
                reason: format!(
                    "{:?} is longer than the 63 characters the service accepts",
                    self.name
                ),
            });
        }
        let mut out = vec![
            p("Name", self.name.clone()),
            p("Cert", self.cert.clone()),
            p("Key", self.key.expose()),
        ];
        opt(&mut out, "ClientToken", self.client_token.as_deref());
        opt(
            &mut out,
            "ResourceGroupId",
            self.resource_group_id.as_deref(),
        );
        for (i, tag) in self.tags.iter().enumerate() {
            required("Tags.Key", &tag.key)?;
            out.push(p(&format!("Tags.{}.Key", i + 1), tag.key.clone()));
            out.push(p(&format!("Tags.{}.Value", i + 1), tag.value.clone()));
        }
        Ok(out)
    }
    fn idempotency(&self) -> Idempotency {
        match self.client_token.as_deref() {
            Some(t) if !t.is_empty() => Idempotency::Safe,
            _ => Idempotency::SideEffect,
        }
    }
}

// ------------------------------------------------ GetUserCertificateDetail ---

/// `GetUserCertificateDetail`: a certificate of the account (issued or
/// uploaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GetUserCertificateDetail {
    /// The certificate.
    pub cert_id: u64,
    /// True leaves out the PEM certificate and key.
    pub cert_filter: bool,
}

/// The answer to `GetUserCertificateDetail` (the fields csrkit reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct UserCertificateDetail {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The certificate's id.
    #[serde(default, deserialize_with = "opt_u64")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// The primary domain.
    #[serde(default)]
    pub common: Option<String>,
    /// Every domain, comma-separated.
    #[serde(default)]
    pub sans: Option<String>,
    /// The serial number (hex).
    #[serde(default)]
    pub serial_no: Option<String>,
    /// The fingerprint.
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The SHA-256 of the certificate.
    #[serde(default)]
    pub sha2: Option<String>,
    /// The certificate chain, PEM (unless filtered).
    #[serde(default)]
    pub cert: Option<String>,
    /// The private key, PEM, when the account holds it (unless filtered).
    #[serde(default)]
    pub key: ReturnedPrivateKey,
    /// Whether it has expired.
    #[serde(default)]
    pub expired: Option<bool>,
    /// The order it was issued to, if issued by CAS.
    #[serde(default, deserialize_with = "opt_u64")]
    pub order_id: Option<u64>,
}

impl Operation for GetUserCertificateDetail {
    type Output = UserCertificateDetail;
    const ACTION: &'static str = "GetUserCertificateDetail";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = vec![p("CertId", self.cert_id.to_string())];
        if self.cert_filter {
            out.push(p("CertFilter", "true"));
        }
        Ok(out)
    }
}

// ----------------------------------------------------- CreateDeploymentJob ---

/// `CreateDeploymentJob`: a job that installs certificates on cloud
/// resources. **A side effect**: never repeated blindly (see the module).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateDeploymentJob {
    /// The job's name (csrkit makes it unique, to find the job again).
    pub name: String,
    /// `user` (cloud products) or `cloud` (multi-cloud).
    pub job_type: String,
    /// The certificates.
    pub cert_ids: Vec<u64>,
    /// The resources ([`CloudResource::id`]).
    pub resource_ids: Vec<u64>,
    /// The contacts to notify ([`Contact::contact_id`]).
    pub contact_ids: Vec<u64>,
    /// When to start, Unix seconds; at once (once started) when `None`.
    pub schedule_time: Option<i64>,
}

/// The answer to `CreateDeploymentJob`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CreatedJob {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The job's id.
    #[serde(deserialize_with = "crate::ops::exact_u64")]
    pub job_id: u64,
}

impl Operation for CreateDeploymentJob {
    type Output = CreatedJob;
    const ACTION: &'static str = "CreateDeploymentJob";
    const IDEMPOTENCY: Idempotency = Idempotency::SideEffect;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("Name", &self.name)?;
        required("JobType", &self.job_type)?;
        not_empty("CertIds", &self.cert_ids)?;
        not_empty("ResourceIds", &self.resource_ids)?;
        not_empty("ContactIds", &self.contact_ids)?;
        let mut out = vec![
            p("Name", self.name.clone()),
            p("JobType", self.job_type.clone()),
            p("CertIds", joined(&self.cert_ids)),
            p("ResourceIds", joined(&self.resource_ids)),
            p("ContactIds", joined(&self.contact_ids)),
        ];
        if let Some(t) = self.schedule_time {
            out.push(p("ScheduleTime", t.to_string()));
        }
        Ok(out)
    }
}

// ----------------------------------------------- UpdateDeploymentJobStatus ---

/// `UpdateDeploymentJobStatus`: start a job (`pending`: at its schedule
/// time, at once without one; `scheduling`: at once) or take it back
/// (`editing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateDeploymentJobStatus {
    /// The job.
    pub job_id: u64,
    /// `pending`, `scheduling` or `editing`.
    pub status: String,
}

impl Operation for UpdateDeploymentJobStatus {
    type Output = Acknowledged;
    const ACTION: &'static str = "UpdateDeploymentJobStatus";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("Status", &self.status)?;
        Ok(vec![
            p("JobId", self.job_id.to_string()),
            p("Status", self.status.clone()),
        ])
    }
}

// --------------------------------------------- Describe / List deployment jobs ---

/// `DescribeDeploymentJob`: where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescribeDeploymentJob {
    /// The job.
    pub job_id: u64,
}

/// A deployment job (`DescribeDeploymentJob`, `ListDeploymentJob.Data[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DeploymentJob {
    /// The service's request id (`DescribeDeploymentJob` only).
    #[serde(default)]
    pub request_id: String,
    /// Its id.
    #[serde(default, deserialize_with = "opt_u64")]
    pub id: Option<u64>,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `user` or `cloud`.
    #[serde(default)]
    pub job_type: Option<String>,
    /// `editing`, `pending`, `scheduling`, `processing`, `success` or `error`.
    #[serde(default)]
    pub status: String,
    /// The products it deploys to.
    #[serde(default)]
    pub product_name: Option<String>,
    /// The domains of its certificates.
    #[serde(default)]
    pub cert_domain: Option<String>,
    /// When it started, Unix seconds.
    #[serde(default, deserialize_with = "opt_string")]
    pub start_time: Option<String>,
    /// When it ended, Unix seconds.
    #[serde(default, deserialize_with = "opt_string")]
    pub end_time: Option<String>,
}

impl DeploymentJob {
    /// True for `success` and `error`, which never change again.
    pub fn is_finished(&self) -> bool {
        matches!(self.status.as_str(), "success" | "error")
    }
}

impl Operation for DescribeDeploymentJob {
    type Output = DeploymentJob;
    const ACTION: &'static str = "DescribeDeploymentJob";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(vec![p("JobId", self.job_id.to_string())])
    }
}

/// `ListDeploymentJob`: one page of jobs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListDeploymentJob {
    /// Only jobs deploying this certificate.
    pub cert_id: Option<u64>,
    /// Only jobs of this type (`user`, `cloud`).
    pub job_type: Option<String>,
    /// Only jobs in this state.
    pub status: Option<String>,
    /// The page, from 1.
    pub current_page: Option<u64>,
    /// Page size (the service's default is 50).
    pub show_size: Option<u64>,
}

/// One page of `ListDeploymentJob`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DeploymentJobPage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// Entries over all pages.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total: Option<u64>,
    /// The entries.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: Vec<DeploymentJob>,
}

impl Operation for ListDeploymentJob {
    type Output = DeploymentJobPage;
    const ACTION: &'static str = "ListDeploymentJob";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        if let Some(c) = self.cert_id {
            out.push(p("CertId", c.to_string()));
        }
        opt(&mut out, "JobType", self.job_type.as_deref());
        opt(&mut out, "Status", self.status.as_deref());
        paging(&mut out, self.current_page, self.show_size);
        Ok(out)
    }
}

// ------------------------------------------------------- ListWorkerResource ---

/// `ListWorkerResource`: a job's workers, one per resource, with each one's
/// outcome (`DescribeDeploymentJob` gives only the job's).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListWorkerResource {
    /// The job.
    pub job_id: u64,
    /// Only workers on this product.
    pub cloud_product: Option<String>,
    /// Only workers in this state.
    pub status: Option<String>,
    /// The page, from 1.
    pub current_page: Option<u64>,
    /// Page size (the service's default is 50).
    pub show_size: Option<u64>,
}

/// A job's worker: one resource (`ListWorkerResource.Data[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Worker {
    /// The worker's id.
    #[serde(default, deserialize_with = "opt_u64")]
    pub id: Option<u64>,
    /// The resource.
    #[serde(default, deserialize_with = "opt_u64")]
    pub resource_id: Option<u64>,
    /// Its product.
    #[serde(default)]
    pub cloud_product: Option<String>,
    /// Its domain.
    #[serde(default)]
    pub resource_domain: Option<String>,
    /// Its instance (load balancers, GA).
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The certificate it installs.
    #[serde(default, deserialize_with = "opt_u64")]
    pub cert_id: Option<u64>,
    /// `pending`, `scheduling`, `processing`, `success`, `error`, or one of
    /// the rollback states.
    #[serde(default)]
    pub status: String,
}

/// One page of `ListWorkerResource`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct WorkerPage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// Entries over all pages.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total: Option<u64>,
    /// The entries.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub data: Vec<Worker>,
}

impl Operation for ListWorkerResource {
    type Output = WorkerPage;
    const ACTION: &'static str = "ListWorkerResource";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = vec![p("JobId", self.job_id.to_string())];
        opt(&mut out, "CloudProduct", self.cloud_product.as_deref());
        opt(&mut out, "Status", self.status.as_deref());
        paging(&mut out, self.current_page, self.show_size);
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failing test should panic
mod tests {
    use super::*;

    #[test]
    fn params_as_the_sdk_sends_them() {
        let q = ListCloudResources {
            cloud_name: Some("aliyun".into()),
            cloud_product: Some("CDN".into()),
            cert_ids: vec![1, 22],
            show_size: Some(50),
            ..ListCloudResources::default()
        };
        let params = q.params().unwrap();
        assert!(params.contains(&p("CertIds", "[1,22]")), "{params:?}");
        assert!(params.contains(&p("CloudProduct", "CDN")));
        let job = CreateDeploymentJob {
            name: "n".into(),
            job_type: "user".into(),
            cert_ids: vec![7],
            resource_ids: vec![1, 2],
            contact_ids: vec![3],
            schedule_time: None,
        };
        let params = job.params().unwrap();
        assert!(params.contains(&p("ResourceIds", "1,2")), "{params:?}");
        assert!(!params.iter().any(|(k, _)| k == "ScheduleTime"));
        let empty = CreateDeploymentJob {
            resource_ids: Vec::new(),
            ..job
        };
        assert!(empty.params().is_err());
    }

    #[test]
    fn an_upload_is_retried_only_with_a_client_token_and_hides_its_key() {
        let mut up = UploadUserCertificate {
            name: "n".into(),
            cert: "C".into(),
            key: PrivateKeyPem::new("KEY-do-not-print"),
            client_token: None,
            resource_group_id: None,
            tags: Vec::new(),
        };
        assert_eq!(up.idempotency(), Idempotency::SideEffect);
        assert!(!format!("{up:?}").contains("KEY-do-not-print"));
        up.client_token = Some("t".into());
        assert_eq!(up.idempotency(), Idempotency::Safe);
        up.name = "x".repeat(64);
        assert!(up.params().is_err());
        assert_eq!(
            CreateDeploymentJob::IDEMPOTENCY,
            Idempotency::SideEffect,
            "a job is looked up, never blindly repeated"
        );
    }

    #[test]
    fn answers_decode() {
        let page: CloudResourcePage = serde_json::from_str(
            r#"{"RequestId":"r","Total":1,"Data":[{"Id":12,"CloudProduct":"SLB","InstanceId":"lb-1",
               "ListenerId":"l-1","ListenerPort":"443","CertId":99,"EnableHttps":1}]}"#,
        )
        .unwrap();
        assert_eq!(page.data[0].cert_id, Some(99));
        assert_eq!(page.data[0].label(), "SLB:lb-1/l-1");
        let d: UserCertificateDetail =
            serde_json::from_str(r#"{"Id":5,"Cert":"C","Key":"KEY-secret","SerialNo":"0A"}"#)
                .unwrap();
        assert!(!format!("{d:?}").contains("KEY-secret"));
        assert_eq!(d.key.expose(), "KEY-secret");
        let j: DeploymentJob = serde_json::from_str(r#"{"Id":3,"Status":"error"}"#).unwrap();
        assert!(j.is_finished());
        let w: WorkerPage = serde_json::from_str(r#"{"Data":null}"#).unwrap();
        assert!(w.data.is_empty());
        assert!(serde_json::from_str::<CreatedJob>(r#"{"JobId":1.5}"#).is_err());
    }
}
