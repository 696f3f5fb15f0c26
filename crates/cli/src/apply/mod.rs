//! `csrkit apply`: from a domain to an issued certificate, resumable, and
//! never spending quota twice.
//!
//! The steps (DESIGN.md "The data flow of apply"), one function each:
//! 1. [`plan::make`]: every local check before a credential is read or a
//!    connection opened: names, key and CSR (made in memory), lint, the
//!    journal and its files, the flags against it, tags, contact.
//! 2. The directory is locked ([`lock`]) and the key, CSR and first journal
//!    entry of a new directory are written.
//! 3. [`order::settle`]: the recorded order, the one an earlier Create made
//!    ([`reconcile`]: exactly ours, by attempt tag or by CSR), one adopted
//!    by hand (`--adopt`), or a new one: quota checked, committed to the
//!    journal with its attempt id, then the Create.
//! 4. [`wait::follow`]: describe, print what to publish, with `--wait` poll.
//! 5. [`finish::finish`]: save the certificate after checking the leaf's key
//!    and names, the chain, and the key file ([`files::install`]).
//!
//! `--dry-run` runs step 1 and prints the requests that would be sent
//! ([`dry_run`]); nothing is sent or written.
//!
//! JSON (`csrkit.apply/1`): `dir`, `order_id` (string), `state`,
//! `verification` (see `verification.rs`), `files { key, csr, cert, chain,
//! fullchain }`, `not_after`, `message`.

mod chain;
mod dry_run;
mod files;
mod finish;
mod journal;
mod lint;
pub(crate) mod lock;
mod order;
mod plan;
mod reconcile;
mod wait;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use csrkit_csr::{KeyType, WriteMode};
use csrkit_submit::{
    Client, ClientOptions, Credentials, Endpoint, Error as ApiError, OrderId, Tag, ValidateType,
};

pub(crate) use dry_run::client as dry_run_client;
pub(crate) use journal::{JOURNAL_FILE, Journal};
use lock::DirLock;
pub(crate) use lock::LockError;
use plan::{Plan, Target};

use crate::cmd::connection::{ConnectionArgs, runtime};
use crate::cmd::generate;
use crate::cmd::status::parse_order_id;
use crate::output::Format;
use crate::settings::Settings;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit apply --sandbox --domain example.com
  csrkit apply --domain example.com --domain www.example.com \\
      --contact-name 'Zhang San' --contact-phone 13800000000 --contact-email ops@example.com --wait
  csrkit apply --csr request.csr --key privkey.pem --validate-type file
  csrkit apply --out-dir example.com          # resume: no new order is placed
  csrkit apply --out-dir example.com --new-order --key-type p256   # renew with a new key
  csrkit apply --out-dir example.com --dry-run --format json        # what would be sent

One directory per certificate (--out-dir, default ./<first domain>/) holds
privkey.pem, request.csr, order.json (the journal), cert.pem, chain.pem and
fullchain.pem. Re-running apply on it resumes the recorded order; it never
buys a second certificate for an order that is still alive. One command at a
time works on a directory (DIR/.lock). A Create whose answer was lost is
looked up before any other (by its csrkit-attempt tag and by the CSR itself);
when an order for the domain cannot be checked, apply stops (exit 4) and
lists the `--adopt ORDER_ID` that settles it by hand.

The files are the journal's: request.csr and the key must be the ones the
order was placed with, or apply stops (exit 2) before sending or saving
anything. --new-order keeps the recorded product code, validation type and
tags unless flags override them; with --key, --key-type or --csr the new key
and CSR wait in DIR/next/ while the old certificate and key stay in place,
and move up (the old set into DIR/retired/) when the new certificate is
saved.";

/// Arguments of `csrkit apply`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// A domain for the certificate; repeat for more. The first is the CN.
    #[arg(
        long = "domain",
        short = 'd',
        value_name = "D",
        allow_hyphen_values = true,
        conflicts_with = "csr",
        help_heading = "Certificate"
    )]
    domains: Vec<String>,
    /// Submit this CSR instead of making one (it is copied into the
    /// directory). On a directory that records an order, only with
    /// --new-order.
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    csr: Option<PathBuf>,
    /// The private key: with --csr, the key to check the certificate
    /// against; otherwise the key to make the CSR with (never copied). On a
    /// directory that records an order, only with --new-order.
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    key: Option<PathBuf>,
    /// Key type for a new key [default: p256]. On a directory that records
    /// an order, only with --new-order (a new key and CSR).
    #[arg(long, value_name = "TYPE", value_parser = parse_key_type,
          help_heading = "Certificate")]
    key_type: Option<KeyType>,
    /// Directory for the key, the CSR, the journal and the certificate
    /// [default: ./<first domain>/]
    #[arg(long, value_name = "DIR", help_heading = "Certificate")]
    out_dir: Option<PathBuf>,

    /// Applicant name [env: CSRKIT_CONTACT_NAME; csrkit.toml [contact] name]
    #[arg(long, value_name = "N", help_heading = "Order")]
    contact_name: Option<String>,
    /// Applicant phone [env: CSRKIT_CONTACT_PHONE; csrkit.toml [contact] phone]
    #[arg(long, value_name = "P", help_heading = "Order")]
    contact_phone: Option<String>,
    /// Applicant email [env: CSRKIT_CONTACT_EMAIL; csrkit.toml [contact] email]
    #[arg(long, value_name = "E", help_heading = "Order")]
    contact_email: Option<String>,
    /// How the CA validates the domain: dns (a TXT record) or file (a file
    /// on the web server) [default: dns]. A recorded order keeps its own (with --new-order,
    /// the flag replaces it).
    #[arg(long, value_name = "TYPE", value_parser = parse_validate_type, help_heading = "Order")]
    validate_type: Option<ValidateType>,
    /// Resource plan to spend (wildcards need a wildcard plan such as
    /// geotrust-dv-w-starter) [default: digicert-free-1-free]. A recorded
    /// order keeps its own (with --new-order, the flag replaces it).
    #[arg(long, value_name = "C", help_heading = "Order")]
    product_code: Option<String>,
    /// Tag the order, K=V; repeat for more (up to 19: csrkit adds its own
    /// csrkit-attempt tag to find the order after a lost answer).
    #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag, help_heading = "Order")]
    tags: Vec<Tag>,
    /// Place a new order even though the directory records one. The
    /// recorded order (or the one a Create of unknown outcome made) is kept
    /// in the journal's previous_orders, with a warning while it holds a
    /// unit of quota. Keeps the recorded product code, validation type and
    /// tags unless flags override them.
    #[arg(long, help_heading = "Order")]
    new_order: bool,
    /// Settle a Create of unknown outcome by hand: adopt this order, which
    /// must carry this directory's CSR (or its attempt tag).
    #[arg(long, value_name = "ORDER_ID", value_parser = parse_order_id,
          conflicts_with = "new_order", help_heading = "Order")]
    adopt: Option<OrderId>,
    /// Submit even though the CSR has this lint finding (code or name);
    /// repeat for more.
    #[arg(long = "allow", value_name = "RULE", help_heading = "Order")]
    allow: Vec<String>,
    /// Lint policy file [default: ./csrkit.toml if present]
    #[arg(long, value_name = "FILE", help_heading = "Order")]
    policy: Option<PathBuf>,

    /// Wait until the certificate is issued (or validation fails), polling
    /// with backoff, then save it.
    #[arg(long, help_heading = "Waiting")]
    wait: bool,
    /// Give up waiting after this long (e.g. 90s, 30m, 2h; at most 366d).
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration,
          help_heading = "Waiting")]
    wait_timeout: Duration,

    /// Run the whole flow against an in-process sandbox that approves on its
    /// own: no account, no network. Its state lives in the directory, so a
    /// re-run resumes.
    #[arg(long, conflicts_with_all = ["endpoint", "site", "profile"], help_heading = "Connection")]
    sandbox: bool,
    /// When another command works on the directory, wait this long for it
    /// (e.g. 30s, 5m) instead of exiting 4 at once.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration,
          help_heading = "Waiting")]
    lock_timeout: Duration,

    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn parse_key_type(s: &str) -> Result<KeyType, String> {
    s.parse()
}

fn parse_validate_type(s: &str) -> Result<ValidateType, String> {
    s.parse().map_err(|e: ApiError| e.to_string())
}

fn parse_tag(s: &str) -> Result<Tag, String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok(Tag {
            key: k.trim().to_owned(),
            value: v.to_owned(),
        }),
        _ => Err(format!("{s:?} is not a tag; write KEY=VALUE")),
    }
}

/// The longest duration accepted: a year and a day.
const MAX_DURATION: Duration = Duration::from_secs(366 * 86_400);

/// Parses `90`, `90s`, `30m`, `2h`, `1d`, up to 366 days; every step of the
/// arithmetic is checked.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 90s, 30m or 2h"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{s:?}: use s, m, h or d, as in 90s, 30m or 2h")),
    };
    let d = n
        .checked_mul(scale)
        .map(Duration::from_secs)
        .filter(|d| *d <= MAX_DURATION && Instant::now().checked_add(*d).is_some())
        .ok_or_else(|| format!("{s:?} is too long; give at most 366d"))?;
    Ok(d)
}

/// Where the API is: a real endpoint, or the in-process sandbox.
pub(crate) struct Service {
    pub(crate) client: Client,
    /// What the journal records: the endpoint URL, or `sandbox`.
    pub(crate) label: String,
    /// Poll faster against the sandbox: it answers in milliseconds.
    fast: bool,
    _sandbox: Option<csrkit_sandbox::SandboxHandle>,
}

/// What a journal records as the endpoint of an in-process sandbox.
pub(crate) const SANDBOX_LABEL: &str = "sandbox";

/// The state file of the in-process sandbox, inside the certificate's
/// directory so that a re-run of `apply --sandbox` finds its order again.
const SANDBOX_STATE: &str = ".sandbox-state.json";
/// The sandbox CA's root certificate, written next to the certificate.
const SANDBOX_ROOT: &str = "sandbox-root.pem";

/// Runs `csrkit apply`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.policy.as_deref())?;
    let target = Target::from_args(&args)?;
    plan::check_tags(&args.tags)?;
    if args.connection.dry_run {
        return dry_run::apply(&args, &settings, &target);
    }
    let rt = runtime()?;
    rt.block_on(apply(args, settings, target))
}

async fn apply(args: Args, settings: Settings, target: Target) -> anyhow::Result<ExitCode> {
    // An existing directory is locked before its journal is read; a new
    // one is created only once every local check has passed.
    let held = match target.dir.is_dir() {
        true => Some(lock_dir(&target.dir, args.lock_timeout)?),
        false => None,
    };
    let journal = Journal::load(&target.dir)?;
    let label = plan::service_label(&args)?;
    let mut plan = plan::make(&args, &settings, &target, journal, &label)?;
    let _lock = match held {
        Some(l) => l,
        None => lock_new_dir(&target.dir, args.lock_timeout)?,
    };
    show(&plan.notes);
    write_fresh(&plan)?;

    let service = connect(args.sandbox, &args.connection, &plan.dir).await?;
    let mut notes = Vec::new();
    let settled = order::settle(&service, &mut plan, &mut notes).await;
    show(&notes);
    let order_id = settled?;
    let Plan {
        dir, mut journal, ..
    } = plan;
    let state = wait::follow(
        &service.client,
        order_id,
        &dir,
        &mut journal,
        &args,
        service.fast,
    )
    .await?;
    finish::finish(&args, &dir, &mut journal, order_id, &state)
}

/// Prints warnings and notes on stderr.
fn show(notes: &[String]) {
    for n in notes {
        eprintln!("{n}");
    }
}

/// A new directory: its key, CSR and first journal entry (no order yet).
fn write_fresh(plan: &Plan) -> anyhow::Result<()> {
    if let Some(m) = &plan.fresh {
        files::write_material(&plan.dir, m)?;
        plan.journal.save(&plan.dir)?;
    }
    Ok(())
}

/// Creates and locks a directory that did not exist when the plan was
/// made; another command may have started there meanwhile.
fn lock_new_dir(dir: &Path, wait: Duration) -> anyhow::Result<DirLock> {
    generate::create_dir(dir)?;
    let lock = lock_dir(dir, wait)?;
    if Journal::load(dir)?.is_some() {
        anyhow::bail!(
            "another csrkit command started an order in {} meanwhile; run again to resume it",
            dir.display()
        );
    }
    Ok(lock)
}

/// Locks a certificate directory for `apply` (see [`lock`]).
fn lock_dir(dir: &Path, wait: Duration) -> anyhow::Result<DirLock> {
    let hint = "wait for it, or pass --lock-timeout DUR";
    Ok(DirLock::acquire(dir, wait, &lock::this_command(), hint)?)
}

/// Locks a certificate directory for a command without a waiting flag
/// (`generate`, `status`).
pub(crate) fn lock_now(dir: &Path) -> anyhow::Result<DirLock> {
    let hint = "wait for it to finish, then run this again";
    Ok(DirLock::acquire(
        dir,
        Duration::ZERO,
        &lock::this_command(),
        hint,
    )?)
}

/// For `generate`: the directory (which `generate` made or checked) locked,
/// and refused when it holds an order journal (new files there would not be
/// the journal's).
pub(crate) fn lock_for_generate(dir: &Path) -> anyhow::Result<Option<DirLock>> {
    if !dir.is_dir() {
        return Ok(None);
    }
    let lock = lock_now(dir)?;
    if let Some(j) = Journal::load(dir)? {
        let todo = if j.nothing_sent() {
            format!(
                "no order was placed from it yet: remove {} first to start over",
                dir.join(JOURNAL_FILE).display()
            )
        } else {
            format!(
                "new files would leave its certificate without its key. To renew with a new key \
                 use `csrkit apply --out-dir {} --new-order --key-type TYPE`, or generate into \
                 another --out-dir",
                dir.display()
            )
        };
        anyhow::bail!(
            "{} holds the order journal {JOURNAL_FILE}; {todo}",
            dir.display()
        );
    }
    Ok(Some(lock))
}

/// The service for a certificate directory: the endpoint of the
/// connection flags, or an in-process sandbox keeping its state in `dir`.
pub(crate) async fn connect(
    sandbox: bool,
    connection: &ConnectionArgs,
    dir: &Path,
) -> anyhow::Result<Service> {
    if !sandbox {
        let client = connection.client()?;
        let label = client.endpoint().url();
        return Ok(Service {
            client,
            label,
            fast: false,
            _sandbox: None,
        });
    }
    generate::create_dir(dir)?;
    let mut config = csrkit_sandbox::SandboxConfig::from_env()?;
    config.approve = csrkit_sandbox::Approval::Auto;
    config.issue_after = Duration::ZERO;
    config.state_file = Some(dir.join(SANDBOX_STATE));
    let handle = csrkit_sandbox::Sandbox::start(config).await?;
    // The root that signs the sandbox's certificates, so that `openssl
    // verify -CAfile` can check them after this process is gone.
    csrkit_csr::write_public_file(
        &dir.join(SANDBOX_ROOT),
        handle.ca_pem().as_bytes(),
        WriteMode::Overwrite,
    )?;
    let creds = Credentials::new(
        handle.credentials().access_key_id(),
        handle.credentials().access_key_secret(),
        None,
    );
    let options = ClientOptions {
        endpoint: Endpoint::parse(&handle.endpoint())?,
        ..connection.options()?
    };
    Ok(Service {
        client: Client::new(creds, options)?,
        label: SANDBOX_LABEL.into(),
        fast: true,
        _sandbox: Some(handle),
    })
}
