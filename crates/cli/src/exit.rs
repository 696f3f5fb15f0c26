//! Exit codes (DESIGN.md "Errors and exit codes") and how errors reach the
//! user.
//!
//! Commands return `anyhow::Result<ExitCode>`. The exit code of an error is
//! the first of these found in its chain: the engine's error (`csrkit_apply::Error`, by its
//! category), else a `csrkit_submit::Error` (mapped by [`submit_code`]), else
//! a DNS provider's error (by its category), else a deployment's error (by
//! its category), else 2: a usage, input or local I/O error.

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
/// `renew`, manifests: some certificates failed, the others succeeded.
pub(crate) const SOME_FAILED: u8 = 5;

/// The exit code of an API client error.
pub(crate) fn submit_code(e: &csrkit_submit::Error) -> u8 {
    category_code(csrkit_apply::api_category(e))
}

/// The exit code of an engine error.
pub(crate) fn engine_code(e: &csrkit_apply::Error) -> u8 {
    category_code(e.category())
}

/// The exit code of an engine error's category.
fn category_code(c: csrkit_apply::Category) -> u8 {
    use csrkit_apply::Category as C;
    match c {
        C::Findings => FINDINGS,
        C::Refused => REFUSED,
        C::Unavailable => NETWORK,
        C::Interrupted => crate::signals::exit_code(),
        _ => USAGE,
    }
}

/// The exit code of a DNS provider's error.
fn dns_code(e: &csrkit_dns::Error) -> u8 {
    match e.category() {
        csrkit_dns::Category::Refused => REFUSED,
        csrkit_dns::Category::Unavailable => NETWORK,
        _ => USAGE,
    }
}

/// The exit code of a deployment's error: the API client's mapping for the
/// service's own errors, else its category.
fn deploy_code(e: &csrkit_deploy::Error) -> u8 {
    match e {
        csrkit_deploy::Error::Service(s) => submit_code(s),
        other => match other.category() {
            csrkit_deploy::Category::Refused => REFUSED,
            csrkit_deploy::Category::Unavailable => NETWORK,
            _ => USAGE,
        },
    }
}

/// The exit code for an error, per the module docs.
pub(crate) fn code_of(err: &anyhow::Error) -> u8 {
    err.chain()
        .find_map(|e| {
            e.downcast_ref::<csrkit_apply::Error>()
                .map(|a| category_code(a.category()))
                .or_else(|| e.downcast_ref::<csrkit_submit::Error>().map(submit_code))
                .or_else(|| e.downcast_ref::<csrkit_dns::Error>().map(dns_code))
                .or_else(|| e.downcast_ref::<csrkit_deploy::Error>().map(deploy_code))
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
