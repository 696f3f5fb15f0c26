//! The one error type of this crate.

use std::path::PathBuf;
use std::time::Duration;

/// What a caller should make of an [`Error`]: the CLI maps these to its exit
/// codes (DESIGN.md, "Errors and exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// Bad input or local trouble: a malformed challenge, a bad key file, an
    /// unreadable directory (exit 2). Fix the input and run again.
    Input,
    /// The DNS provider (or the hook) refused, or certainly would: missing
    /// permission, zone not hosted, a conflicting record (exit 3).
    Refused,
    /// No usable answer in time: network failures, timeouts, a record not
    /// yet visible everywhere (exit 4). State is unchanged or recorded; run
    /// again.
    Unavailable,
}

/// Everything that can go wrong while publishing, checking or removing a
/// verification record.
///
/// Every message names the input at fault and what to do. No variant ever
/// holds an AccessKey secret, an STS token or a TSIG secret.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The challenge (what the CA asked for) cannot be published as it is.
    #[error("{field}: {reason}")]
    InvalidChallenge {
        /// The field at fault (`RecordDomain`, `RecordType`, `Uri`, ...).
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },

    /// A setting of a provider is not usable (a flag's value).
    #[error("{setting}: {reason}")]
    Config {
        /// The setting, as the CLI flag names it (`--dns-server`, ...).
        setting: &'static str,
        /// What is wrong and what to write instead.
        reason: String,
    },

    /// The TSIG key file is not in the format `tsig-keygen` prints.
    #[error("TSIG key file {}: line {line}: {reason}", path.display())]
    TsigKey {
        /// The file.
        path: PathBuf,
        /// The line at fault (1-based; 0 when the file as a whole is at fault).
        line: usize,
        /// What is wrong, and what to do. Never quotes the secret.
        reason: String,
    },

    /// This provider cannot publish this kind of challenge.
    #[error("the {provider} provider cannot publish {what}: {hint}")]
    Unsupported {
        /// The provider.
        provider: &'static str,
        /// What it was asked to publish (`FILE validation`, ...).
        what: &'static str,
        /// Which provider to use instead.
        hint: &'static str,
    },

    /// Alibaba Cloud DNS refused for lack of a RAM permission (`Forbidden.RAM`).
    #[error(
        "Alibaba Cloud DNS refused {action} (Forbidden.RAM: {message}; request id {}). Grant the RAM user \
         the action alidns:{action}: attach a policy allowing alidns:DescribeDomains, alidns:DescribeDomainInfo, \
         alidns:DescribeSubDomainRecords, alidns:AddDomainRecord and alidns:DeleteDomainRecord \
         (README, \"Hands-off validation\"), or the managed policy AliyunDNSFullAccess",
        request_id.as_deref().unwrap_or("none")
    )]
    Permission {
        /// The API action refused, e.g. `AddDomainRecord`.
        action: String,
        /// The service's message, verbatim.
        message: String,
        /// The `RequestId` to quote to support.
        request_id: Option<String>,
    },

    /// No zone that the provider hosts contains the record name.
    #[error("{provider}: no hosted zone contains {name}: {hint}")]
    ZoneNotFound {
        /// The provider.
        provider: &'static str,
        /// The record name.
        name: String,
        /// What was looked at and what to do.
        hint: String,
    },

    /// The zone belongs to another account (`IncorrectDomainUser`).
    #[error(
        "Alibaba Cloud DNS: zone {zone} belongs to another account (IncorrectDomainUser; request id {}). \
         Use that account's AccessKey (--profile), or host the zone in this account",
        request_id.as_deref().unwrap_or("none")
    )]
    ForeignZone {
        /// The zone.
        zone: String,
        /// The `RequestId`.
        request_id: Option<String>,
    },

    /// Another record at the name prevents publishing ours (a CNAME where a
    /// TXT is wanted, another CNAME, or data where a CNAME is wanted).
    #[error(
        "{provider}: cannot publish {wanted} at {name}: {existing} is there, and a CNAME cannot share its name \
         with other records. Remove that record (csrkit never changes records it did not publish) and run again"
    )]
    Conflict {
        /// The provider.
        provider: &'static str,
        /// The record name.
        name: String,
        /// The record wanted, e.g. `TXT "abc"`.
        wanted: String,
        /// The record in the way, e.g. `CNAME other.example.net`.
        existing: String,
    },

    /// The provider refused for another reason.
    #[error("{provider}: {action} was refused: {code}: {message}{}{}",
        request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default(),
        if hint.is_empty() { String::new() } else { format!(". {hint}") })]
    Refused {
        /// The provider.
        provider: &'static str,
        /// What was attempted (an API action, `UPDATE`, ...).
        action: String,
        /// The provider's error code (Alidns `Code`, a DNS RCODE), verbatim.
        code: String,
        /// The provider's message, verbatim.
        message: String,
        /// The `RequestId`, for Alidns.
        request_id: Option<String>,
        /// What to do.
        hint: String,
    },

    /// No usable answer: network trouble, a timeout, a server failure.
    #[error("{provider}: {target}: {detail}. Nothing was lost: run again")]
    Unavailable {
        /// The provider (or `propagation`).
        provider: &'static str,
        /// The server or action.
        target: String,
        /// What failed.
        detail: String,
    },

    /// No credentials for Alibaba Cloud DNS.
    #[error("credentials: {0}")]
    Credentials(String),

    /// The hook exited with a failure.
    #[error("the DNS hook's {phase} failed ({status}): {command}{}",
        if stderr.is_empty() { String::new() } else { format!("; its stderr ends with:\n{stderr}") })]
    HookFailed {
        /// `present` or `cleanup`.
        phase: &'static str,
        /// The command.
        command: String,
        /// How it ended, e.g. `exit status 3`.
        status: String,
        /// The end of its stderr (at most 4 KiB).
        stderr: String,
    },

    /// The hook ran past its timeout; its whole process group was killed.
    #[error("the DNS hook's {phase} did not finish within {timeout:?} and was killed (raise --hook-timeout if it \
             needs longer): {command}{}",
        if stderr.is_empty() { String::new() } else { format!("; its stderr ends with:\n{stderr}") })]
    HookTimedOut {
        /// `present` or `cleanup`.
        phase: &'static str,
        /// The command.
        command: String,
        /// The limit.
        timeout: Duration,
        /// The end of its stderr (at most 4 KiB).
        stderr: String,
    },

    /// A local file operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`write`, `create directory`, `run`, ...).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The record (or file) was not seen everywhere before the propagation
    /// timeout. It stays published; running again resumes the wait.
    #[error("{name}: not seen by {} within {waited:?}: {}. It stays published; run again to keep waiting \
             (--propagation-timeout sets the limit)",
        if pending.len() == 1 { "1 server".to_string() } else { format!("{} servers", pending.len()) },
        pending.join("; "))]
    PropagationTimeout {
        /// The record name or URL checked.
        name: String,
        /// How long it waited.
        waited: Duration,
        /// Each server (or URL) that had not answered with the value, and its
        /// last answer.
        pending: Vec<String>,
    },
}

impl Error {
    /// What kind of failure this is (for exit codes).
    pub fn category(&self) -> Category {
        match self {
            Error::InvalidChallenge { .. }
            | Error::Config { .. }
            | Error::TsigKey { .. }
            | Error::Unsupported { .. }
            | Error::Credentials(_)
            | Error::Io { .. } => Category::Input,
            Error::Permission { .. }
            | Error::ZoneNotFound { .. }
            | Error::ForeignZone { .. }
            | Error::Conflict { .. }
            | Error::Refused { .. }
            | Error::HookFailed { .. } => Category::Refused,
            Error::Unavailable { .. }
            | Error::HookTimedOut { .. }
            | Error::PropagationTimeout { .. } => Category::Unavailable,
        }
    }

    /// True for [`Error::PropagationTimeout`].
    pub fn is_propagation_timeout(&self) -> bool {
        matches!(self, Error::PropagationTimeout { .. })
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
