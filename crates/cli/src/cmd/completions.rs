//! `csrkit completions SHELL`: a completion script for a shell, generated
//! at run time from the same clap definitions that parse the command line,
//! so it never lags behind a new flag.

use std::io::Write;
use std::process::ExitCode;

use crate::exit;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit completions bash > /usr/share/bash-completion/completions/csrkit
  csrkit completions zsh > /usr/share/zsh/vendor-completions/_csrkit
  csrkit completions fish > ~/.config/fish/completions/csrkit.fish
  source <(csrkit completions bash)          # this bash session only

The Debian package installs the bash, zsh and fish scripts in these places;
bash needs the bash-completion package to load them.";

/// The shells `csrkit completions` writes for.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shell {
    /// bash (loaded by the bash-completion package).
    Bash,
    /// zsh (a `_csrkit` function for compinit).
    Zsh,
    /// fish.
    Fish,
    /// Elvish.
    Elvish,
    /// PowerShell.
    Powershell,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> Self {
        match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Elvish => clap_complete::Shell::Elvish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }
}

/// Arguments of `csrkit completions`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// The shell to write a completion script for.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Runs `csrkit completions`: prints the script for `cli`, the whole
/// command line, on stdout.
pub(crate) fn run(args: Args, mut cli: clap::Command) -> anyhow::Result<ExitCode> {
    // The script is made in memory: clap_complete panics on a write error,
    // and stdout may be a closed pipe.
    let mut script = Vec::new();
    clap_complete::generate(
        clap_complete::Shell::from(args.shell),
        &mut cli,
        "csrkit",
        &mut script,
    );
    let mut out = std::io::stdout().lock();
    out.write_all(&script)?;
    out.flush()?;
    Ok(ExitCode::from(exit::OK))
}
