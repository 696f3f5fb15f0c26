//! What a deployment reports while it works ([`Event`]) and when it ends
//! ([`Report`]).

use serde::Serialize;

use crate::target::Resource;

/// How the certificate came to be in the account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Held {
    /// The journal records it (and the service confirmed it).
    Journal,
    /// It was found in the account by its serial number and confirmed by its
    /// content (uploaded by an earlier run whose answer was lost, or by
    /// someone else).
    Found,
    /// This run uploaded it.
    Uploaded,
}

/// A step of a deployment, as it happens. The library prints nothing; the
/// caller renders these.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A target was looked up.
    Resolved {
        /// The target as given.
        target: String,
        /// The resources it names.
        resources: Vec<Resource>,
    },
    /// The certificate is about to be uploaded (the upload is journaled).
    Uploading {
        /// The name it gets.
        name: String,
    },
    /// The account holds the certificate.
    CertificateHeld {
        /// Its id.
        cert_id: u64,
        /// How.
        how: Held,
    },
    /// A resource already serves the certificate: nothing to do there.
    AlreadyServing {
        /// The resource.
        resource: Resource,
    },
    /// A deployment job was created (or found again after a lost answer).
    JobCreated {
        /// Its id.
        job_id: u64,
        /// Its name.
        name: String,
        /// True when an earlier run created it and this one found it.
        found: bool,
    },
    /// The job was started.
    JobStarted {
        /// Its id.
        job_id: u64,
    },
    /// The job's status changed.
    JobStatus {
        /// Its id.
        job_id: u64,
        /// `pending`, `scheduling`, `processing`, `success` or `error`.
        status: String,
    },
    /// A resource's outcome, once the job ended.
    ResourceDone {
        /// The resource.
        resource: Resource,
        /// `success` or `error` (the service's worker status).
        status: String,
    },
}

/// What happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// This run's job put the certificate on it.
    Deployed,
    /// It served the certificate already.
    AlreadyServing,
    /// This run's job failed on it.
    Failed,
}

/// A resource and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ResourceReport {
    /// The resource.
    #[serde(flatten)]
    pub resource: Resource,
    /// What happened.
    pub outcome: Outcome,
}

/// The end of a deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Report {
    /// SHA-256 of the certificate (DER), hex.
    pub fingerprint: String,
    /// Its id in the account.
    pub cert_id: u64,
    /// How it got there.
    pub held: Held,
    /// The job this run created or followed, if one was needed.
    pub job_id: Option<u64>,
    /// Its final status.
    pub job_status: Option<String>,
    /// Every resource, in the order the targets named them.
    pub resources: Vec<ResourceReport>,
}
