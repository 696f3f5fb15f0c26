//! `csrkit validate`: lint CSRs, for people and for CI.
//!
//! Inputs are files, directories (walked for `*.csr`, `*.pem`, `*.der`,
//! symbolic links to directories not followed) and `-` for stdin; each is
//! read up to 1 MiB. Files are checked in parallel and reported in a stable
//! order: the order given, directories sorted by path.
//!
//! Exit status: 0 when no finding is at or above `--fail-on`, 1 when one
//! is, 2 when an input could not be read (the others are still checked and
//! reported; with `--format json|sarif` the path gets an input-error entry
//! in the one document on stdout). Empty or closed stdin is an input error.
//!
//! A directory walk reports every private key it meets (V106), on purpose:
//! `csrkit validate DIR` is the CI guard against committed keys. After
//! `csrkit generate -d example.com`, validate the request
//! (`csrkit validate example.com/request.csr`), not the directory that also
//! holds `privkey.pem` (issue 13, message 11).

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use csrkit_validate::render::{self, Part};
use csrkit_validate::{Profile, Severity, validate};
use rayon::prelude::*;

use crate::exit;
use crate::settings::Settings;

/// Files checked in parallel before their results are written.
const CHUNK: usize = 1024;

/// The most a file may hold: a CSR is a few KiB.
const MAX_INPUT: u64 = 1 << 20;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit validate example.com/request.csr
  csrkit validate certs/ --format sarif > csrkit.sarif
  csrkit validate - --expect-domain www.example.com < request.csr
  csrkit validate certs/ --fail-on warning --allow V207 --deny rsa-exponent-not-recommended
  csrkit validate certs/ --blocklist debian-rsa-2048.txt
  csrkit validate example.com/request.csr --product-code digicert-free-1-free

A directory is walked for *.csr, *.pem and *.der, and a private key found
there is reported (V106): after `csrkit generate -d example.com`, validate
example.com/request.csr rather than the directory holding privkey.pem.

The policy comes from --policy FILE or ./csrkit.toml (see the README);
`csrkit explain RULE` documents a rule.";

/// How `validate` reports.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum ValidateFormat {
    /// cargo-style diagnostics.
    #[default]
    Human,
    /// One JSON document (`csrkit.validate/1`).
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

/// Arguments of `csrkit validate`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// Files, directories (walked for *.csr, *.pem, *.der) or - for stdin.
    #[arg(value_name = "PATH", required = true)]
    paths: Vec<PathBuf>,
    /// Rule profile: alibaba-dv (what the service accepts) or br-dv (the
    /// Baseline Requirements alone) [default: alibaba-dv, or the policy's].
    #[arg(long, value_name = "PROFILE", value_parser = parse_profile, help_heading = "Policy")]
    profile: Option<Profile>,
    /// Policy file [default: ./csrkit.toml if present]
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    policy: Option<PathBuf>,
    /// A domain every CSR must name; repeat for more.
    #[arg(long, value_name = "D", help_heading = "Policy")]
    expect_domain: Vec<String>,
    /// Lowest severity that fails the run [default: error, or the policy's].
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity, help_heading = "Policy")]
    fail_on: Option<Severity>,
    /// Turn a rule off (code or name); repeat for more.
    #[arg(long, value_name = "RULE", help_heading = "Policy")]
    allow: Vec<String>,
    /// Make a rule an error (code or name); repeat for more.
    #[arg(long, value_name = "RULE", help_heading = "Policy")]
    deny: Vec<String>,
    /// A list of compromised keys (Debian weak keys and others) for rule
    /// V318: openssl-vulnkey fingerprints or SPKI SHA-256s, one per line;
    /// repeat for more.
    #[arg(long, value_name = "FILE", help_heading = "Policy")]
    blocklist: Vec<PathBuf>,
    /// The Alibaba Cloud CAS product the CSR will be ordered as (for example
    /// digicert-free-1-free): V907 makes an error of what it refuses.
    #[arg(long, value_name = "CODE", help_heading = "Policy")]
    product_code: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ValidateFormat::Human)]
    format: ValidateFormat,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s).map_err(|e| e.to_string())
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| format!("{s:?} is not a level; use error, warning or info"))
}

/// A file's label, then its rendered part of the document and whether its
/// report fails the run, or why it could not be read.
type Checked = (String, Result<(Part, bool), String>);

/// One input. Files are read inside the parallel loop, one at a time per
/// thread, so memory holds reports, not the corpus.
enum Input {
    /// Standard input, already read.
    Stdin(Result<Vec<u8>, String>),
    /// A file to read.
    File(PathBuf),
    /// A path that cannot be read at all (missing, a walk that failed).
    Unreadable(PathBuf, String),
}

impl Input {
    fn label(&self) -> String {
        match self {
            Input::Stdin(_) => "<stdin>".into(),
            Input::File(p) | Input::Unreadable(p, _) => p.display().to_string(),
        }
    }

    fn read(self) -> Result<Vec<u8>, String> {
        match self {
            Input::Stdin(bytes) => bytes,
            Input::File(path) => read_file(&path),
            Input::Unreadable(_, why) => Err(why),
        }
    }
}

/// Runs `csrkit validate`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut policy = Settings::load(args.policy.as_deref())?.policy;
    if let Some(p) = args.profile {
        policy.set_profile(p);
    }
    if let Some(level) = args.fail_on {
        policy.set_fail_on(level);
    }
    for d in &args.expect_domain {
        policy.expect_domain(d)?;
    }
    for r in &args.allow {
        policy.allow(r)?;
    }
    for r in &args.deny {
        policy.deny(r)?;
    }
    for file in &args.blocklist {
        policy.add_blocklist(crate::settings::load_blocklist(file)?);
    }
    if let Some(code) = &args.product_code {
        policy.set_product_code(code);
    }

    let inputs = collect(&args.paths)?;
    let format = match args.format {
        ValidateFormat::Human => render::Format::Human {
            color: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        },
        ValidateFormat::Json => render::Format::Json,
        ValidateFormat::Sarif => render::Format::Sarif,
        ValidateFormat::Github => render::Format::Github,
    };
    let stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let mut renderer = render::Renderer::new(stdout, format)?;
    let (mut unreadable, mut failed) = (0, false);
    // A chunk at a time: its files are read and checked in parallel, then
    // written in order, so memory holds one chunk of reports whatever the
    // number of files.
    let mut inputs = inputs.into_iter();
    loop {
        let chunk: Vec<Input> = inputs.by_ref().take(CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        // Each worker renders its file's part of the document too, so the
        // writing thread only copies bytes between chunks.
        let format = renderer.format();
        let checked: Vec<Checked> = chunk
            .into_par_iter()
            .map(|input| {
                let label = input.label();
                let result = input.read().map(|b| {
                    let report = validate(&b, &policy);
                    let fails = report.fails(policy.fail_on());
                    (Part::file(format, &label, &report), fails)
                });
                (label, result)
            })
            .collect();
        for (label, result) in checked {
            match result {
                Ok((part, fails)) => {
                    failed |= fails;
                    renderer.add(part)?;
                }
                Err(e) => {
                    unreadable += 1;
                    eprintln!("error: {}: {e}", csrkit_names::display_safe(&label));
                    renderer.input_error(&label, &e)?;
                }
            }
        }
    }
    renderer.finish()?;
    {
        use std::io::Write;
        // The JSON and SARIF documents end without a newline.
        if matches!(args.format, ValidateFormat::Json | ValidateFormat::Sarif) {
            let mut out = std::io::stdout().lock();
            out.write_all(b"\n")?;
        }
    }
    let code = if unreadable > 0 {
        exit::USAGE
    } else if failed {
        exit::FINDINGS
    } else {
        exit::OK
    };
    Ok(ExitCode::from(code))
}

/// The inputs named on the command line, directories expanded, in a stable
/// order. A path that cannot be read stays in the list as unreadable, so
/// the report still names it.
fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
    let mut out = Vec::new();
    let mut stdin_used = false;
    for path in paths {
        if path.as_os_str() == "-" {
            if stdin_used {
                anyhow::bail!("- (stdin) is given twice");
            }
            stdin_used = true;
            out.push(Input::Stdin(read_stdin()));
            continue;
        }
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                out.push(Input::Unreadable(
                    path.clone(),
                    format!("cannot read it: {e}"),
                ));
                continue;
            }
        };
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files);
            if files.is_empty() {
                eprintln!(
                    "warning: {} holds no *.csr, *.pem or *.der file",
                    path.display()
                );
            }
            out.extend(files);
        } else {
            out.push(Input::File(path.clone()));
        }
    }
    Ok(out)
}

/// The wanted files under `dir`, in the order of their paths: entries are
/// sorted by name in each directory and a subdirectory's files come at its
/// name's place, which is the order `Path`'s comparison gives, without
/// comparing whole paths.
///
/// A directory that cannot be listed (no permission, a path too long),
/// `dir` or one below it, takes its place in the list as unreadable, so it
/// is named and the exit code says so, and the rest of the tree is still
/// checked.
fn walk(dir: &Path, out: &mut Vec<Input>) {
    let entries = match list(dir) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Input::Unreadable(
                dir.to_owned(),
                format!(
                    "cannot list the directory: {e}; nothing under it was checked (fix its \
                     permissions, or name the files in it)"
                ),
            ));
            return;
        }
    };
    for (name, kind) in entries {
        let path = dir.join(&name);
        if kind.is_dir() {
            walk(&path, out);
        } else if kind.is_file() || (kind.is_symlink() && path.is_file()) {
            // A `.csrkit-*.tmp` is what a killed `generate` leaves: it may
            // hold a private key about to be committed (V106).
            let wanted =
                path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                    matches!(e.to_ascii_lowercase().as_str(), "csr" | "pem" | "der")
                }) || csrkit_csr::is_temp_file_name(&name);
            if wanted {
                out.push(Input::File(path));
            }
        }
    }
}

/// A directory's entries and their types, sorted by name.
fn list(dir: &Path) -> std::io::Result<Vec<(std::ffi::OsString, std::fs::FileType)>> {
    let mut entries = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        entries.push((entry.file_name(), entry.file_type()?));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// Reads a file (or device, or FIFO) up to the cap: `/dev/zero` and
/// `/dev/urandom` end at once.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::File::open(path)
        .map_err(|e| format!("cannot read it: {e}"))
        .and_then(read_capped)
}

/// Reads stdin up to the cap. Empty or closed stdin is an input error (the
/// Rust runtime turns a closed descriptor 0 into /dev/null, which reads as
/// empty).
pub(crate) fn read_stdin() -> Result<Vec<u8>, String> {
    let bytes = read_capped(std::io::stdin().lock())?;
    if bytes.is_empty() {
        return Err(
            "stdin is empty or closed; pipe a CSR into it (csrkit validate - < request.csr)".into(),
        );
    }
    Ok(bytes)
}

/// Reads at most 1 MiB (and one byte more, to tell a bigger input).
///
/// The buffer starts at 8 KiB, more than a CSR holds, so a CSR file takes
/// two `read` calls (its bytes, then the end): an empty `Vec` makes
/// `read_to_end` probe with 32 bytes and grow, six calls a file.
pub(crate) fn read_capped(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(8 << 10);
    reader
        .take(MAX_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::IsADirectory => {
                "it is a directory: name a CSR file in it (csrkit validate checks a whole directory)"
                    .to_owned()
            }
            _ => format!("cannot read it: {e}"),
        })?;
    if bytes.len() as u64 > MAX_INPUT {
        return Err("larger than 1 MiB, which no CSR is; is this the right file?".into());
    }
    Ok(bytes)
}
