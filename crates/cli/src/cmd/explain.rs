//! `csrkit explain`: a lint rule's documentation, by code or name.

use std::process::ExitCode;

use crate::exit;
use crate::output::outln;

/// Arguments of `csrkit explain`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// A rule code such as V204, or a name such as cn-not-in-san (any
    /// case); `all` lists every rule; `principles` says what makes an
    /// error.
    #[arg(value_name = "RULE")]
    rule: String,
}

/// Runs `csrkit explain`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.rule.eq_ignore_ascii_case("principles") {
        outln!("{}", csrkit_validate::PRINCIPLES);
        return Ok(ExitCode::from(exit::OK));
    }
    if args.rule.eq_ignore_ascii_case("all") {
        outln!("{}", csrkit_validate::PRINCIPLES);
        outln!();
        for r in csrkit_validate::rules() {
            outln!("{:<5} {:<8} {}", r.code(), r.default_severity(), r.name());
        }
        return Ok(ExitCode::from(exit::OK));
    }
    match csrkit_validate::explain(&args.rule) {
        Some(rule) => {
            outln!("{rule}");
            Ok(ExitCode::from(exit::OK))
        }
        None => anyhow::bail!(
            "no rule is called {:?}; `csrkit explain all` lists them",
            args.rule
        ),
    }
}
