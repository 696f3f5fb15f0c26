//! Exit codes (DESIGN.md "Errors and exit codes") and how errors reach the
//! user.
//!
//! Commands return `anyhow::Result<ExitCode>`; an error that reaches `main`
//! is a usage, input or local I/O error and exits 2.

use std::process::ExitCode;

/// Success (validate: no finding at or above `--fail-on`).
pub(crate) const OK: u8 = 0;
/// Usage, input or local I/O error.
pub(crate) const USAGE: u8 = 2;

/// Prints the whole error chain to stderr (`{:#}`, as ripgrep does) and
/// turns it into the process exit code.
pub(crate) fn report(err: anyhow::Error) -> ExitCode {
    let code = USAGE;
    if is_broken_pipe(&err) {
        return ExitCode::from(OK);
    }
    eprintln!("error: {err:#}");
    ExitCode::from(code)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
