//! `csrkit generate`: a private key and a CSR for one or more domains.
//!
//! JSON output (`--format json`), schema `csrkit.generate/1`:
//!
//! ```json
//! { "schema": "csrkit.generate/1", "key_path": "example.com/privkey.pem",
//!   "csr_path": "example.com/request.csr", "key_type": "p256",
//!   "key_generated": true, "encrypted": false,
//!   "domains": ["example.com", "www.example.com"], "spki_sha256": "…" }
//! ```
//!
//! `spki_sha256` is the lower-case hex SHA-256 of the DER SubjectPublicKeyInfo.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use csrkit_csr::{
    CsrRequest, DirOptions, FileToWrite, KeyType, OutputDir, PrivateKey, Subject, WriteMode,
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::exit;
use crate::output::outln;
use crate::output::{Format, print_json};

pub(crate) use csrkit_apply::{CSR_FILE, KEY_FILE};
/// The environment variable that may hold a key passphrase.
const PASSPHRASE_ENV: &str = "CSRKIT_KEY_PASSPHRASE";

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit generate --domain example.com --domain www.example.com
  csrkit generate --domain '*.example.com' --key-type rsa2048 --out-dir certs/wild
  csrkit generate --domain example.com --key existing.key --format json
  csrkit generate --domain example.com --encrypt --passphrase-file pass.txt

Writes privkey.pem (mode 0600) and request.csr into --out-dir (default
./<first domain>/, with '_' for a wildcard label). Never replaces an existing
file without --force.";

/// Arguments of `csrkit generate`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// A domain for the certificate; repeat for more. The first is the CN.
    /// Unicode names are converted to A-labels.
    #[arg(
        long = "domain",
        short = 'd',
        value_name = "D",
        required = true,
        allow_hyphen_values = true
    )]
    domains: Vec<String>,

    /// Key type to generate.
    #[arg(long, value_name = "TYPE", default_value = "p256", value_parser = parse_key_type,
          help_heading = "Key")]
    key_type: KeyType,

    /// Use this existing private key instead of generating one (PKCS #8,
    /// PKCS #1, SEC1 or encrypted PKCS #8, PEM or DER).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["encrypt", "key_type"],
          help_heading = "Key")]
    key: Option<PathBuf>,

    /// Encrypt the new key at rest (PBES2: PBKDF2-SHA256 + AES-256-CBC).
    /// The passphrase comes from --passphrase-file, CSRKIT_KEY_PASSPHRASE or
    /// a prompt.
    #[arg(long, help_heading = "Key")]
    encrypt: bool,

    /// File whose first line is the key passphrase (for --encrypt, or to
    /// open an encrypted --key).
    #[arg(long, value_name = "F", help_heading = "Key")]
    passphrase_file: Option<PathBuf>,

    /// Directory for privkey.pem and request.csr [default: ./<first domain>/]
    #[arg(long, value_name = "DIR", help_heading = "Output")]
    out_dir: Option<PathBuf>,

    /// Replace existing files in the output directory (and write into a
    /// directory every user may write to).
    #[arg(long, help_heading = "Output")]
    force: bool,

    /// Make a CSR without a subject CN: the names are in subjectAltName only
    /// (BR 7.1.2.7.2). For a CA that reads the subjectAltName; Alibaba Cloud
    /// CAS takes the domain from the CN and needs one (lint rule V901).
    #[arg(long, help_heading = "Subject (optional)")]
    no_cn: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human, help_heading = "Output")]
    format: Format,

    /// Subject organizationName (O). DV certificates do not show it.
    #[arg(long, value_name = "O", help_heading = "Subject (optional)")]
    org: Option<String>,
    /// Subject organizationalUnitName (OU).
    #[arg(long, value_name = "OU", help_heading = "Subject (optional)")]
    org_unit: Option<String>,
    /// Subject countryName (C), two letters such as CN.
    #[arg(long, value_name = "C", help_heading = "Subject (optional)")]
    country: Option<String>,
    /// Subject stateOrProvinceName (ST).
    #[arg(long, value_name = "ST", help_heading = "Subject (optional)")]
    state: Option<String>,
    /// Subject localityName (L).
    #[arg(long, value_name = "L", help_heading = "Subject (optional)")]
    locality: Option<String>,
}

fn parse_key_type(s: &str) -> Result<KeyType, String> {
    s.parse()
}

/// What `generate` produced, for the caller (`apply` uses this too).
pub(crate) struct Generated {
    pub(crate) key_path: PathBuf,
    pub(crate) csr_path: PathBuf,
    pub(crate) key: PrivateKey,
    pub(crate) request: CsrRequest,
    pub(crate) key_generated: bool,
    pub(crate) encrypted: bool,
}

/// Runs `csrkit generate`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    clean_up_on_signals()?;
    let out = generate(&args)?;
    report(&out, args.format)?;
    Ok(ExitCode::from(exit::OK))
}

fn generate(args: &Args) -> anyhow::Result<Generated> {
    // Every name checked before anything else happens.
    let request = if args.no_cn {
        CsrRequest::without_cn(&args.domains)?
    } else {
        CsrRequest::new(&args.domains)?
    };
    let request = request.with_subject(Subject {
        organization: args.org.clone(),
        organizational_unit: args.org_unit.clone(),
        country: args.country.clone(),
        state: args.state.clone(),
        locality: args.locality.clone(),
    })?;
    let dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| default_dir(&request));
    let mode = if args.force {
        WriteMode::Overwrite
    } else {
        WriteMode::CreateNew
    };
    let source = match &args.key {
        Some(path) => KeySource::Existing {
            path: path.clone(),
            passphrase_file: args.passphrase_file.clone(),
        },
        None => KeySource::Generate {
            key_type: args.key_type,
            encrypt: args.encrypt,
            passphrase_file: args.passphrase_file.clone(),
        },
    };
    write_key_and_csr(request, &source, &dir, mode)
}

/// `./<first domain>/`, with `_` for a wildcard label.
pub(crate) fn default_dir(request: &CsrRequest) -> PathBuf {
    PathBuf::from(request.domains()[0].file_stem())
}

/// Where the key of a new CSR comes from.
#[derive(Debug, Clone)]
pub(crate) enum KeySource {
    /// Make a new key, written into the directory.
    Generate {
        /// Its type.
        key_type: KeyType,
        /// Encrypt it at rest.
        encrypt: bool,
        /// Where the passphrase is, if not in the environment or a prompt.
        passphrase_file: Option<PathBuf>,
    },
    /// Use a key the user has; it is never copied.
    Existing {
        /// The key file.
        path: PathBuf,
        /// Where its passphrase is, if it is encrypted.
        passphrase_file: Option<PathBuf>,
    },
}

/// Makes (or loads) the key, signs the CSR and writes both into `dir`
/// (`privkey.pem` only for a new key). Refuses to replace anything unless
/// `mode` says so, before any slow work.
pub(crate) fn write_key_and_csr(
    request: CsrRequest,
    source: &KeySource,
    dir: &Path,
    mode: WriteMode,
) -> anyhow::Result<Generated> {
    let csr_path = dir.join(CSR_FILE);
    let key_path = match source {
        KeySource::Existing { path, .. } => path.clone(),
        KeySource::Generate { .. } => dir.join(KEY_FILE),
    };
    let key_generated = matches!(source, KeySource::Generate { .. });

    // The directory (made 0700 if new, checked, swept of what a killed run
    // left) and a refusal to clobber, before spending time on a key. A
    // dangling symbolic link counts as existing.
    let options = DirOptions::create().allow_shared(mode == WriteMode::Overwrite);
    let mut out = OutputDir::open(dir, &options)?;
    // One writer per directory, taken once the directory passed its checks
    // (a refused one gets no lock file; a new one made for a write that
    // fails goes, lock file and all). A directory another command holds is
    // left alone, even if this one made it a moment ago.
    let _lock = match csrkit_apply::lock_for_generate(dir) {
        Ok(lock) => lock,
        Err(e) => {
            if matches!(&e, csrkit_apply::Error::Lock(l)
                if matches!(**l, csrkit_apply::LockError::Busy { .. }))
            {
                out.keep();
            }
            return Err(e.into());
        }
    };
    for note in out.notes() {
        eprintln!("note: {note}");
    }
    let mut names = vec![Path::new(CSR_FILE)];
    if key_generated {
        names.insert(0, Path::new(KEY_FILE));
    }
    if mode == WriteMode::CreateNew {
        out.refuse_existing(&names)?;
    }

    // The passphrase, if one is needed, before the slow part; then the key.
    let (key, passphrase) = match source {
        KeySource::Existing {
            path,
            passphrase_file,
        } => (load(path, passphrase_file.as_deref())?, None),
        KeySource::Generate {
            key_type,
            encrypt,
            passphrase_file,
        } => {
            let passphrase = if *encrypt {
                Some(passphrase(passphrase_file.as_deref(), true)?)
            } else {
                None
            };
            (make_key(*key_type)?, passphrase)
        }
    };
    let csr = request.sign(&key)?;

    // Key and CSR land together, or neither does.
    let key_pem = match (&passphrase, key_generated) {
        (Some(p), true) => Some(key.to_encrypted_pkcs8_pem(p.as_bytes())?),
        (None, true) => Some(key.to_pkcs8_pem()),
        (_, false) => None,
    };
    let mut files = Vec::new();
    if let Some(pem) = &key_pem {
        files.push(FileToWrite::secret(Path::new(KEY_FILE), pem.as_bytes()));
    }
    files.push(FileToWrite::public(
        Path::new(CSR_FILE),
        csr.pem().as_bytes(),
    ));
    out.write(&files, mode)?;
    Ok(Generated {
        key_path,
        csr_path,
        key,
        request,
        key_generated,
        encrypted: passphrase.is_some(),
    })
}

/// Loads an existing key, asking for a passphrase only if it is encrypted.
pub(crate) fn load(path: &Path, passphrase_file: Option<&Path>) -> anyhow::Result<PrivateKey> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .with_context(|| format!("cannot read the key file {}", path.display()))?,
    );
    let name = path.display().to_string();
    match csrkit_csr::load_key(&bytes, &name, None) {
        Err(csrkit_csr::Error::PassphraseRequired { .. }) => {
            let pass = passphrase(passphrase_file, false)?;
            Ok(csrkit_csr::load_key(&bytes, &name, Some(pass.as_bytes()))?)
        }
        other => Ok(other?),
    }
}

fn make_key(key_type: KeyType) -> anyhow::Result<PrivateKey> {
    let spinner = (key_type.is_slow() && std::io::stderr().is_terminal()).then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.set_message(format!("generating a {key_type} key…"));
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    });
    let key = csrkit_csr::generate_key(key_type);
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    Ok(key?)
}

/// The passphrase from the file, the environment or a prompt, in that order.
/// `confirm` asks twice at a prompt (for a new key).
fn passphrase(file: Option<&Path>, confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    let pass = if let Some(file) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(file)
                .with_context(|| format!("cannot read the passphrase file {}", file.display()))?,
        );
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() {
            anyhow::bail!(
                "the passphrase file {} is empty; put the passphrase on its first line",
                file.display()
            );
        }
        Zeroizing::new(line.to_owned())
    } else if let Ok(env) = std::env::var(PASSPHRASE_ENV) {
        if env.is_empty() {
            anyhow::bail!("{PASSPHRASE_ENV} is set but empty");
        }
        Zeroizing::new(env)
    } else if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password("Key passphrase: ")?);
        if first.is_empty() {
            anyhow::bail!("an empty passphrase does not protect a key; none was set");
        }
        if confirm {
            let second = Zeroizing::new(rpassword::prompt_password("Repeat passphrase: ")?);
            if *first != *second {
                anyhow::bail!("the passphrases do not match; nothing was written");
            }
        }
        first
    } else {
        anyhow::bail!(
            "a passphrase is needed: pass --passphrase-file FILE or set \
             {PASSPHRASE_ENV} (no terminal to prompt on)"
        );
    };
    Ok(pass)
}

/// SIGINT, SIGTERM and SIGHUP end `generate` cleanly: the files not yet in
/// place (and a directory made for them) are removed, a key and CSR being
/// renamed into place finish as a pair first, and the exit code is 128 +
/// the signal (130, 143, 129). A background thread waits for them.
fn clean_up_on_signals() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()?;
    let (mut int, mut term, mut hup) = {
        let _guard = rt.enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
            signal(SignalKind::hangup())?,
        )
    };
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let (number, name) = rt.block_on(async {
                tokio::select! {
                    _ = int.recv() => (2u8, "SIGINT"),
                    _ = term.recv() => (15, "SIGTERM"),
                    _ = hup.recv() => (1, "SIGHUP"),
                }
            });
            let removed = csrkit_csr::abandon_writes();
            if removed > 0 {
                eprintln!("interrupted by {name}: the unfinished files were removed");
            } else {
                eprintln!("interrupted by {name}");
            }
            std::process::exit(128 + i32::from(number));
        })?;
    Ok(())
}

fn report(out: &Generated, format: Format) -> anyhow::Result<()> {
    let domains: Vec<&str> = out.request.domains().iter().map(|d| d.as_str()).collect();
    match format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.generate/1",
            "key_path": out.key_path,
            "csr_path": out.csr_path,
            "key_type": out.key.algorithm().name(),
            "key_generated": out.key_generated,
            "encrypted": out.encrypted,
            "domains": domains,
            "spki_sha256": out.key.spki_sha256(),
        })),
        Format::Human => {
            let what = if out.key_generated {
                "a new"
            } else {
                "an existing"
            };
            outln!(
                "CSR for {} with {what} {} key",
                domains.join(", "),
                out.key.algorithm()
            );
            let mode = if out.key_generated {
                if out.encrypted {
                    " (0600, encrypted)"
                } else {
                    " (0600)"
                }
            } else {
                ""
            };
            outln!("  key  {}{mode}", out.key_path.display());
            outln!("  csr  {}", out.csr_path.display());
            outln!("  spki sha256 {}", out.key.spki_sha256());
            Ok(())
        }
    }
}
