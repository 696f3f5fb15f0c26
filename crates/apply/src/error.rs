//! The one error type of this crate, and what a caller makes of it.

use std::path::PathBuf;

use crate::lock::LockError;

/// What a caller should make of an [`Error`]: the CLI maps these to its exit
/// codes (DESIGN.md "Errors and exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Category {
    /// The CSR fails the lint; nothing was sent (exit 1).
    Findings,
    /// Bad input or local trouble: a flag against the journal, a file that
    /// changed, an unreadable key (exit 2). Fix it and run again.
    Input,
    /// The service (or the DNS provider) refused, or certainly would: no
    /// quota, `verify_fail`, a missing permission (exit 3).
    Refused,
    /// No usable answer in time, or the directory in use by another command;
    /// state saved, safe to run again (exit 4).
    Unavailable,
    /// Stopped by the caller's interrupt; state saved (exit 130).
    Interrupted,
}

/// Everything that can stop the engine.
///
/// Every message names the input at fault and what to do. No variant ever
/// holds an AccessKey secret, an STS token, a TSIG secret or a private key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The CSR fails the lint at the policy's `fail_on`: nothing was sent.
    /// The findings were reported as [`crate::Event::LintFindings`].
    #[error(
        "{csr} fails the lint (see above): nothing was sent. Fix the CSR, or pass --allow RULE \
         to submit it anyway"
    )]
    Lint {
        /// The CSR, as the findings name it.
        csr: String,
        /// The lint's report.
        report: Box<csrkit_validate::Report>,
    },

    /// Bad input, or local state that does not allow the step.
    #[error("{message}")]
    Input {
        /// What is wrong and what to do.
        message: String,
    },

    /// A local file operation failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, `create`, `link`, …).
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The certificate's directory is locked by another command.
    #[error(transparent)]
    Lock(Box<LockError>),

    /// The service refused, or certainly would (no quota, `verify_fail`, an
    /// order that is not this directory's).
    #[error("{message}")]
    Refused {
        /// What happened and what to do.
        message: String,
    },

    /// Nothing usable in time (the network, the service's order list, the
    /// CA still validating after `--wait-timeout`); state saved.
    #[error("{message}")]
    Unavailable {
        /// What happened and how to go on.
        message: String,
    },

    /// The caller's interrupt stopped a wait; state saved.
    #[error("{message}")]
    Interrupted {
        /// Where it stopped and how to go on.
        message: String,
    },

    /// The certificate API.
    #[error(transparent)]
    Api(Box<csrkit_submit::Error>),

    /// Publishing, checking or removing the validation record.
    #[error(transparent)]
    Dns(Box<csrkit_dns::Error>),

    /// A key or CSR could not be made, read or written.
    #[error(transparent)]
    Csr(#[from] csrkit_csr::Error),

    /// A deployment through CAS deployment jobs.
    #[error(transparent)]
    Deploy(Box<csrkit_deploy::Error>),

    /// A deploy hook, post hook or deployment failed after the certificate
    /// was installed: the certificate stays installed, and the next run on
    /// the directory runs what failed again.
    #[error("{message}")]
    FollowUp {
        /// What failed, with the end of its stderr.
        message: String,
        /// What kind of failure it is.
        category: Category,
    },

    /// The lint policy or a CSR could not be read.
    #[error(transparent)]
    Validate(#[from] csrkit_validate::Error),
}

impl From<LockError> for Error {
    fn from(e: LockError) -> Error {
        Error::Lock(Box::new(e))
    }
}

impl From<csrkit_submit::Error> for Error {
    fn from(e: csrkit_submit::Error) -> Error {
        Error::Api(Box::new(e))
    }
}

impl From<csrkit_deploy::Error> for Error {
    fn from(e: csrkit_deploy::Error) -> Error {
        Error::Deploy(Box::new(e))
    }
}

impl From<csrkit_dns::Error> for Error {
    fn from(e: csrkit_dns::Error) -> Error {
        Error::Dns(Box::new(e))
    }
}

impl Error {
    /// What kind of failure this is (for exit codes).
    pub fn category(&self) -> Category {
        match self {
            Error::Lint { .. } => Category::Findings,
            Error::Input { .. } | Error::Io { .. } | Error::Csr(_) | Error::Validate(_) => {
                Category::Input
            }
            Error::Lock(e) => match **e {
                LockError::Busy { .. } => Category::Unavailable,
                _ => Category::Input,
            },
            Error::Refused { .. } => Category::Refused,
            Error::Unavailable { .. } => Category::Unavailable,
            Error::Interrupted { .. } => Category::Interrupted,
            Error::Api(e) => api_category(e),
            Error::Dns(e) => match e.category() {
                csrkit_dns::Category::Input => Category::Input,
                csrkit_dns::Category::Refused => Category::Refused,
                _ => Category::Unavailable,
            },
            Error::Deploy(e) => from_deploy(e.category()),
            Error::FollowUp { category, .. } => *category,
        }
    }

    pub(crate) fn input(message: impl Into<String>) -> Error {
        Error::Input {
            message: message.into(),
        }
    }

    pub(crate) fn refused(message: impl Into<String>) -> Error {
        Error::Refused {
            message: message.into(),
        }
    }

    pub(crate) fn unavailable(message: impl Into<String>) -> Error {
        Error::Unavailable {
            message: message.into(),
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

/// The category of a certificate API error: a transient refusal that
/// outlived the client's retries (throttling, `ServiceUnavailable`,
/// `InternalError`) and a lost or unreadable answer are
/// [`Category::Unavailable`]; any other answer is [`Category::Refused`]; a
/// client that could not be set up, or missing credentials, is
/// [`Category::Input`].
pub fn api_category(e: &csrkit_submit::Error) -> Category {
    from_deploy(csrkit_deploy::service_category(e))
}

fn from_deploy(c: csrkit_deploy::Category) -> Category {
    match c {
        csrkit_deploy::Category::Refused => Category::Refused,
        csrkit_deploy::Category::Unavailable => Category::Unavailable,
        _ => Category::Input,
    }
}

/// Shorthand for this crate's results.
pub type Result<T, E = Error> = std::result::Result<T, E>;
