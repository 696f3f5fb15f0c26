//! Exit codes (DESIGN.md "Errors and exit codes") and how errors reach the
//! user.
//!
//! Commands return `anyhow::Result<ExitCode>`. The exit code of an error is
//! the first of these found in its chain: a [`Failure`] (a command's own
//! verdict), else a `csrkit_submit::Error` (mapped by [`submit_code`]), else
//! a directory lock held by another command (4), else 2: a usage, input or
//! local I/O error.

use std::fmt;
use std::process::ExitCode;

/// Success (validate: no finding at or above `--fail-on`).
pub(crate) const OK: u8 = 0;
/// Findings at or above `--fail-on`; apply stopped on lint errors.
pub(crate) const FINDINGS: u8 = 1;
/// Usage, input or local I/O error.
pub(crate) const USAGE: u8 = 2;
/// The service refused, or certainly would.
pub(crate) const REFUSED: u8 = 3;
/// Network or timeout after retries; state saved, safe to re-run.
pub(crate) const NETWORK: u8 = 4;
/// Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it);
/// state saved.
pub(crate) const INTERRUPTED: u8 = 130;

/// An error that carries the exit code it stands for.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

/// An error exiting with `code`.
pub(crate) fn fail(code: u8, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        code,
        message: message.into(),
    })
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code of an API client error.
pub(crate) fn submit_code(e: &csrkit_submit::Error) -> u8 {
    use csrkit_submit::Error as E;
    match e {
        // A transient refusal that outlived the client's retries: the
        // service did nothing, and a later run may succeed.
        E::Api { code, .. }
            if code.starts_with("Throttling")
                || code == "ServiceUnavailable"
                || code == "InternalError" =>
        {
            NETWORK
        }
        E::Api { .. } => REFUSED,
        // The HTTP client could not be built or the request formed (e.g.
        // a credential no header can carry): a local problem.
        E::Transport {
            kind: csrkit_submit::TransportKind::Setup,
            ..
        } => USAGE,
        E::Transport { .. } | E::Decode { .. } | E::OutcomeUnknown { .. } => NETWORK,
        _ => USAGE,
    }
}

/// The exit code of a directory lock error: another command holds it
/// (nothing was done; run again when it is finished), or a local I/O error.
fn lock_code(e: &crate::apply::lock::LockError) -> u8 {
    match e {
        crate::apply::lock::LockError::Busy { .. } => NETWORK,
        _ => USAGE,
    }
}

/// The exit code for an error, per the module docs.
pub(crate) fn code_of(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| {
            e.downcast_ref::<Failure>()
                .map(|f| f.code)
                .or_else(|| e.downcast_ref::<csrkit_submit::Error>().map(submit_code))
                .or_else(|| {
                    e.downcast_ref::<crate::apply::lock::LockError>()
                        .map(lock_code)
                })
        })
        .unwrap_or(USAGE)
}

/// Prints the whole error chain to stderr (`{:#}`, as ripgrep does) and
/// turns it into the process exit code. A closed stdout (`| head`) is not an
/// error.
pub(crate) fn report(err: anyhow::Error) -> ExitCode {
    if is_broken_pipe(&err) {
        return ExitCode::from(OK);
    }
    eprintln!("error: {err:#}");
    ExitCode::from(code_of(&err))
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
