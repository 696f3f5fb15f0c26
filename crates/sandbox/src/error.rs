//! The crate's one error type.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Everything that can go wrong while configuring, starting or persisting the sandbox.
///
/// Errors that the *emulated service* returns to a client (such as `SignatureDoesNotMatch`) are
/// not Rust errors: they are JSON answers on the wire.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A `--fault` specification could not be parsed.
    #[error(
        "invalid fault {spec:?}: {reason}; expected ACTION=KIND[:COUNT] with KIND one of throttle, error500, error503, delay-MS, drop-before, drop-after and COUNT a number or `all`"
    )]
    InvalidFault {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--quota` specification could not be parsed.
    #[error(
        "invalid quota {spec:?}: {reason}; expected PRODUCT_CODE=N, e.g. digicert-free-1-free=20"
    )]
    InvalidQuota {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An `--approve` mode other than `auto`, `manual` or `verify`.
    #[error("invalid approval mode {given:?}: use `auto`, `manual` or `verify`")]
    InvalidApproval {
        /// The value as given.
        given: String,
    },
    /// A `--record-type` other than `txt` or `cname`.
    #[error("invalid record type {given:?}: use `txt` or `cname`")]
    InvalidRecordType {
        /// The value as given.
        given: String,
    },
    /// A `--zone` (or `--foreign-zone`) that cannot be a hosted zone.
    #[error("invalid zone {zone:?}: {reason}")]
    InvalidZone {
        /// The zone as given.
        zone: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--deny` that is not an action name.
    #[error(
        "invalid --deny {given:?}: give an API action name such as AddDomainRecord, or `*` for every action"
    )]
    InvalidDeny {
        /// The value as given.
        given: String,
    },
    /// A `--resource` that cannot be a cloud resource.
    #[error(
        "invalid resource {spec:?}: {reason}; expected PRODUCT:DOMAIN[:fail], e.g. cdn:www.example.com"
    )]
    InvalidResource {
        /// The specification as given.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `--cert-lifetime` or `--rate-limit` out of range.
    #[error("invalid {setting}: {reason}")]
    InvalidSetting {
        /// The setting (as its flag names it).
        setting: &'static str,
        /// What is wrong and what to give instead.
        reason: String,
    },
    /// A credential from the environment is unusable.
    #[error(
        "environment variable {var} is set but empty: unset it to use the default, or give it a value"
    )]
    EmptyCredential {
        /// The environment variable at fault.
        var: &'static str,
    },
    /// The listening socket could not be bound.
    #[error(
        "cannot listen on {addr}: {source}; pick another address or port (127.0.0.1:0 picks a free port)"
    )]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The state file could not be read, parsed or written.
    #[error("state file {}: {reason}; fix or remove the file (it is rewritten on every change)", path.display())]
    State {
        /// The state file at fault.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The sandbox certificate authority could not be created or loaded.
    #[error("sandbox CA: {reason}; remove the state file to start with a fresh CA")]
    Ca {
        /// What went wrong.
        reason: String,
    },
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
