//! `csrkit`: from a domain to an issued DV certificate from Alibaba Cloud SSL
//! Certificates Service. See `csrkit --help` and the README.

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

mod apply;
mod cmd;
mod exit;
mod fleet;
mod output;
mod progress;
mod render;
mod service;
mod settings;
mod signals;

const AFTER_HELP: &str = "\
EXAMPLES:
  csrkit apply --sandbox --domain example.com     # the whole flow, locally
  csrkit apply --domain example.com --wait        # order, validate, download
  csrkit renew                                    # renew what is due under .
  csrkit validate certs/ --format sarif > csrkit.sarif
  csrkit deploy example.com --to cdn:www.example.com
  csrkit help apply                               # or man csrkit-apply

EXIT CODES:
  0  success (validate: no finding at or above --fail-on)
  1  validate found problems; apply stopped on lint errors
  2  usage, input or local I/O error (bad flag, unreadable file, malformed domain)
  3  the service refused, or certainly would (no quota left, verify_fail)
  4  network or timeout after retries, the directory in use by another command,
     or an order that cannot be identified yet; state saved, safe to re-run
  5  renew: some certificates failed, the others were renewed
  130  interrupted by Ctrl-C (143 by SIGTERM, 129 by SIGHUP: 128 + the signal); state saved";

/// From a domain to an issued DV certificate from Alibaba Cloud SSL
/// Certificates Service: make the key and CSR, lint it, order it, fetch it.
#[derive(Parser, Debug)]
#[command(name = "csrkit", version, after_long_help = AFTER_HELP, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Make a private key and a CSR for one or more domains.
    Generate(cmd::generate::Args),
    /// From a domain to an issued certificate: generate, lint, order, wait,
    /// download. Resumable.
    Apply(Box<apply::Args>),
    /// Lint CSRs (files, directories, or - for stdin); gates CI.
    Validate(cmd::validate::Args),
    /// Show what a CSR says.
    Inspect(cmd::inspect::Args),
    /// Document a lint rule (a code such as V204 or a name).
    Explain(cmd::explain::Args),
    /// Renew every certificate that is due (less than a third of its
    /// lifetime left), run its hooks; for cron and systemd timers.
    Renew(Box<cmd::renew::Args>),
    /// Show the state of an order and what to publish for validation.
    Status(cmd::status::Args),
    /// Show what is left of a certificate resource plan.
    Quota(cmd::quota::Args),
    /// List the account's certificate orders.
    Orders(cmd::orders::Args),
    /// Cancel an order; with --delete, return its quota.
    Cancel(cmd::cancel::Args),
    /// Put a certificate on Alibaba Cloud products (CDN, SLB, OSS, …)
    /// through deployment jobs, once.
    Deploy(cmd::deploy::Args),
    /// Run a local emulator of the certificate API.
    Sandbox(cmd::sandbox::Args),
    /// Print a shell completion script (bash, zsh, fish, …).
    Completions(cmd::completions::Args),
    /// Print the manual page, or write one per command with --out-dir.
    Man(cmd::man::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints help/version to stdout with exit 0 and usage
            // errors to stderr with exit 2, as DESIGN.md asks.
            let _ = err.print();
            return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
        }
    };
    let result = match cli.cmd {
        Cmd::Generate(args) => cmd::generate::run(args),
        Cmd::Apply(args) => apply::run(*args),
        Cmd::Validate(args) => cmd::validate::run(args),
        Cmd::Inspect(args) => cmd::inspect::run(args),
        Cmd::Explain(args) => cmd::explain::run(args),
        Cmd::Renew(args) => cmd::renew::run(*args),
        Cmd::Status(args) => cmd::status::run(args),
        Cmd::Quota(args) => cmd::quota::run(args),
        Cmd::Orders(args) => cmd::orders::run(args),
        Cmd::Cancel(args) => cmd::cancel::run(args),
        Cmd::Deploy(args) => cmd::deploy::run(args),
        Cmd::Sandbox(args) => cmd::sandbox::run(args),
        Cmd::Completions(args) => cmd::completions::run(args, Cli::command()),
        Cmd::Man(args) => cmd::man::run(args, Cli::command()),
    };
    match result {
        Ok(code) => code,
        Err(err) => exit::report(err),
    }
}

/// Keeps the `Cli` definition honest (clap's own consistency checks).
#[cfg(test)]
#[test]
fn verify_cli() {
    Cli::command().debug_assert();
}

/// Every example command line keeps working: each `csrkit …` line of the
/// README's shell blocks, each `csrkit …` in its inline code, and each
/// example of every command's help (`csrkit help CMD`, the man pages) must
/// be accepted by the parser as written. Only the parse is checked;
/// nothing runs.
#[cfg(test)]
#[test]
fn documented_examples_parse() {
    let readme = include_str!("../../../README.md");
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut in_shell = false;
    for line in readme.lines() {
        if let Some(lang) = line.strip_prefix("```") {
            in_shell = !in_shell && matches!(lang, "sh" | "bash" | "console" | "shell");
            continue;
        }
        if in_shell {
            lines.push(("README".into(), line.into()));
        } else {
            // inline code: `csrkit …`
            for (i, span) in line.split('`').enumerate() {
                if i % 2 == 1 && span.starts_with("csrkit ") {
                    lines.push(("README (inline)".into(), span.into()));
                }
            }
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut helps = vec![cmd.clone()];
    helps.extend(cmd.get_subcommands().cloned());
    for c in &helps {
        for text in [
            c.get_after_long_help(),
            c.get_after_help(),
            c.get_long_about(),
        ]
        .into_iter()
        .flatten()
        {
            for line in text.to_string().lines() {
                lines.push((format!("help of {}", c.get_name()), line.into()));
            }
        }
    }
    let mut checked = 0;
    let mut bad = Vec::new();
    for (source, line) in &lines {
        let Some(words) = example_words(line) else {
            continue;
        };
        checked += 1;
        let Err(e) = Cli::try_parse_from(&words) else {
            continue;
        };
        use clap::error::ErrorKind;
        let fine = match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => true,
            // Inline code names commands and flags in prose (`csrkit
            // validate`, `csrkit apply --manifest`): only what is written
            // must exist.
            ErrorKind::MissingRequiredArgument
            | ErrorKind::MissingSubcommand
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => source.ends_with("(inline)"),
            ErrorKind::InvalidValue => {
                source.ends_with("(inline)")
                    && words.last().is_some_and(|w| w.starts_with("--"))
                    && e.to_string().contains("a value is required")
            }
            _ => false,
        };
        if !fine {
            bad.push(format!("{source}: {line}\n  {}", e.render()));
        }
    }
    assert!(
        checked >= 80,
        "only {checked} examples found (101 when written)"
    );
    assert!(
        bad.is_empty(),
        "{} of {checked} examples do not parse:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The words of a `csrkit …` (or `cargo run … -- …`) example line, from
/// `csrkit` up to a comment or a shell operator; `None` for any other line
/// and for templates (`<…>`, `[…]`, `…`, a placeholder such as `DIR` or
/// `ORDER_ID`, alternatives `a|b`).
#[cfg(test)]
fn example_words(line: &str) -> Option<Vec<String>> {
    let line = line.trim().trim_start_matches("$ ");
    let words = shlex::split(line)?;
    let start = if words.first()? == "cargo" {
        words.iter().position(|w| w == "--")?
    } else {
        let start = words.iter().position(|w| w == "csrkit")?;
        // environment assignments may come first; anything else is prose
        if !words[..start].iter().all(|w| w.contains('=')) {
            return None;
        }
        start
    };
    let placeholder = |w: &str| {
        w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            || w.contains(['…', '|'])
            || w.starts_with(['<', '['])
    };
    let mut out = vec!["csrkit".to_owned()];
    for w in &words[start + 1..] {
        if w.starts_with(['|', '>', '<', '&', ';', '#']) || w.starts_with("2>") {
            break;
        }
        if placeholder(w) {
            return None;
        }
        out.push(w.clone());
    }
    Some(out)
}
