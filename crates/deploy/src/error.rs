//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

use crate::report::Report;

/// What a caller should make of an [`Error`]: the CLI maps these to its exit
/// codes (DESIGN.md, "Errors and exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// Bad input or local trouble (exit 2): an unreadable certificate, a key
    /// that is not the certificate's, a target the account does not have, a
    /// journal that cannot be written. Nothing was changed by this run, or
    /// what was is journaled.
    Input,
    /// The service refused, or a deployment ended in `error` (exit 3).
    Refused,
    /// No usable answer in time (exit 4): network failures, a job still
    /// running when the wait ended. The journal says what happened; run
    /// again to resume.
    Unavailable,
}

/// Everything that can go wrong while deploying.
///
/// Every message names the input at fault and what to do. No variant holds
/// a private key, an AccessKey secret or an STS token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The certificate or the key cannot be deployed as they are.
    #[error("{what}: {reason}")]
    Input {
        /// The input at fault (`the certificate`, `the private key`, ...).
        what: String,
        /// What is wrong, and what to do.
        reason: String,
    },

    /// A target names no cloud resource of the account.
    #[error(
        "{target}: no such cloud resource in the account ({known}); `ListCloudResources` lists what \
         certificates can be deployed to: check the product and the domain, or use --resource-id ID"
    )]
    TargetNotFound {
        /// The target as given (`CDN:www.example.com`, `#123`).
        target: String,
        /// What the account has of that product, for the message.
        known: String,
    },

    /// The account has no contact, and a deployment job needs one.
    #[error(
        "the account has no contact for deployment notices (ListContact is empty); add one in the SSL \
         Certificates console (Contacts) and run again"
    )]
    NoContact,

    /// The service refused a request, or gave no usable answer.
    #[error("{0}")]
    Service(#[from] csrkit_submit::Error),

    /// The deployment job ended in `error` for some resources.
    #[error(
        "deployment job {job_id} ended in error on {}; the others took the certificate. See the job in the \
         console (Deployment), then run again to retry the failed ones",
        failed.join(", ")
    )]
    JobFailed {
        /// The job.
        job_id: u64,
        /// The resources that failed, as `PRODUCT:DOMAIN (id N)`.
        failed: Vec<String>,
        /// What happened to every resource.
        report: Box<Report>,
    },

    /// The job did not finish while we waited.
    #[error(
        "deployment job {job_id} is still {status} after {}s; it is journaled: run the same command again to \
         follow it",
        waited.as_secs()
    )]
    StillRunning {
        /// The job.
        job_id: u64,
        /// Its last status.
        status: String,
        /// How long we waited.
        waited: Duration,
    },

    /// What an earlier run did cannot be settled yet (a request whose
    /// answer was lost, and a lookup that does not find it).
    #[error("{what}; nothing more was sent. Run the same command again in a minute")]
    Unsettled {
        /// What is unsettled.
        what: String,
    },

    /// The journal cannot be read or written.
    #[error("deployment journal {}: {reason}", path.display())]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// What is wrong, and what to do.
        reason: String,
    },
}

impl Error {
    /// What the caller should make of it.
    pub fn category(&self) -> Category {
        match self {
            Error::Input { .. } | Error::TargetNotFound { .. } | Error::Journal { .. } => {
                Category::Input
            }
            Error::NoContact | Error::JobFailed { .. } => Category::Refused,
            Error::StillRunning { .. } | Error::Unsettled { .. } => Category::Unavailable,
            Error::Service(e) => service_category(e),
        }
    }

    /// The report of a job that ended in `error` (what happened to each
    /// resource), if this is one.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Error::JobFailed { report, .. } => Some(report),
            _ => None,
        }
    }
}

/// What a certificate API error means for a caller: throttling that
/// outlived the client's retries, `ServiceUnavailable`, `InternalError` and
/// a lost or unreadable answer are [`Category::Unavailable`]; any other
/// answer is [`Category::Refused`]; a client that could not be set up, or
/// missing credentials, is [`Category::Input`]. (The engine, `csrkit-apply`,
/// classifies the API's errors with this too.)
pub fn service_category(e: &csrkit_submit::Error) -> Category {
    use csrkit_submit::Error as E;
    match e {
        E::Api { code, .. }
            if code.starts_with("Throttling")
                || code == "ServiceUnavailable"
                || code == "InternalError" =>
        {
            Category::Unavailable
        }
        E::Api { .. } => Category::Refused,
        E::Transport {
            kind: csrkit_submit::TransportKind::Setup,
            ..
        } => Category::Input,
        E::Transport { .. } | E::Decode { .. } | E::OutcomeUnknown { .. } => Category::Unavailable,
        _ => Category::Input,
    }
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
