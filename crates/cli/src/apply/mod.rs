//! `csrkit apply`: from a domain to an issued certificate, resumable, and
//! never spending quota twice.
//!
//! The steps (DESIGN.md "The data flow of apply"): key + CSR (made, or taken
//! from `--csr`/`--key`, or found in the directory from an earlier
//! `generate`) → lint with the policy (errors stop everything; nothing is
//! sent) → quota check → journal "submitting" → Create → journal the
//! `OrderId` → describe → print what to publish → with `--wait`, poll until
//! issued → save `cert.pem`, `chain.pem`, `fullchain.pem` after checking the
//! leaf's key and names and the chain's signatures.
//!
//! A Create whose outcome is unknown (timeout, reset, 5xx) is reconciled
//! through `ListUserCertificateOrder` before anything else may happen; only
//! when the service shows no order for this CSR's domain created since the
//! journal entry may a second Create go out.
//!
//! JSON (`csrkit.apply/1`): `dir`, `order_id` (string), `state`,
//! `verification` (see `verification.rs`), `files { key, csr, cert, chain,
//! fullchain }`, `not_after`.

mod chain;
mod journal;
mod lint;
mod wait;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use csrkit_csr::{CsrRequest, FileToWrite, KeyType, WriteMode};
use csrkit_submit::{
    CertificateState, Client, ClientOptions, CreateCertificateWithCsr, Credentials, Endpoint,
    Error as ApiError, ListUserCertificateOrder, OrderId, StateType, Tag, ValidateType,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use journal::{Files, Outcome, Submission};
pub(crate) use journal::{JOURNAL_FILE, Journal};

use crate::cmd::connection::{ConnectionArgs, runtime};
use crate::cmd::generate::{self, CSR_FILE, KEY_FILE, KeySource};
use crate::cmd::quota::DEFAULT_PRODUCT_CODE;
use crate::cmd::status::describe;
use crate::cmd::verification::Publish;
use crate::exit;
use crate::output::{Format, out, outln, print_json};
use crate::settings::Settings;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit apply --sandbox --domain example.com
  csrkit apply --domain example.com --domain www.example.com \\
      --contact-name 'Zhang San' --contact-phone 13800000000 --contact-email ops@example.com --wait
  csrkit apply --csr request.csr --key privkey.pem --validate-type file
  csrkit apply --out-dir example.com          # resume: no new order is placed

One directory per certificate (--out-dir, default ./<first domain>/) holds
privkey.pem, request.csr, order.json (the journal), cert.pem, chain.pem and
fullchain.pem. Re-running apply on it resumes the recorded order; it never
buys a second certificate for an order that is still alive.";

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
    /// directory).
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    csr: Option<PathBuf>,
    /// The private key: with --csr, the key to check the certificate
    /// against; otherwise the key to make the CSR with (never copied).
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    key: Option<PathBuf>,
    /// Key type for a new key.
    #[arg(long, value_name = "TYPE", default_value = "p256", value_parser = parse_key_type,
          help_heading = "Certificate")]
    key_type: KeyType,
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
    /// on the web server) [default: dns]. A recorded order keeps its own.
    #[arg(long, value_name = "TYPE", value_parser = parse_validate_type, help_heading = "Order")]
    validate_type: Option<ValidateType>,
    /// Resource plan to spend (wildcards need a wildcard plan such as
    /// geotrust-dv-w-starter) [default: digicert-free-1-free]. A recorded
    /// order keeps its own.
    #[arg(long, value_name = "C", help_heading = "Order")]
    product_code: Option<String>,
    /// Tag the order, K=V; repeat for more (up to 20).
    #[arg(long = "tag", value_name = "K=V", value_parser = parse_tag, help_heading = "Order")]
    tags: Vec<Tag>,
    /// Place a new order even though the directory records one (warns when
    /// the recorded order is still alive).
    #[arg(long, help_heading = "Order")]
    new_order: bool,
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
    /// Give up waiting after this long (e.g. 90s, 30m, 2h).
    #[arg(long, value_name = "DURATION", default_value = "2h", value_parser = parse_duration,
          help_heading = "Waiting")]
    wait_timeout: Duration,

    /// Run the whole flow against an in-process sandbox that approves on its
    /// own: no account, no network. Its state lives in the directory, so a
    /// re-run resumes.
    #[arg(long, conflicts_with_all = ["endpoint", "site", "profile"], help_heading = "Connection")]
    sandbox: bool,
    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

fn parse_key_type(s: &str) -> Result<KeyType, String> {
    s.parse()
}

impl Args {
    /// `--validate-type`, or its default.
    fn validate_type(&self) -> ValidateType {
        self.validate_type.unwrap_or(ValidateType::Dns)
    }

    /// `--product-code`, or its default.
    fn product_code(&self) -> String {
        self.product_code
            .clone()
            .unwrap_or_else(|| DEFAULT_PRODUCT_CODE.to_owned())
    }

    /// Warns about order flags that a recorded order overrides: the
    /// directory's journal, not the flags, says how its order is made.
    fn warn_ignored(&self, j: &Journal) {
        if let Some(v) = self.validate_type
            && !v.as_str().eq_ignore_ascii_case(&j.validate_type)
        {
            eprintln!(
                "warning: this directory's order uses {} validation; --validate-type {} is \
                 ignored (add --new-order to place a new order with it)",
                j.validate_type,
                v.as_str().to_ascii_lowercase()
            );
        }
        if let Some(c) = &self.product_code
            && *c != j.product_code
        {
            eprintln!(
                "warning: this directory's order spends {}; --product-code {c} is ignored \
                 (add --new-order to place a new order with it)",
                j.product_code
            );
        }
    }
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

/// Parses `90`, `90s`, `30m`, `2h`, `1d`.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 90s, 30m or 2h"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("{s:?}: use s, m, h or d, as in 90s, 30m or 2h")),
    };
    Ok(Duration::from_secs(secs))
}

/// Contacts the service requires on every order.
struct Contact {
    name: String,
    phone: String,
    email: String,
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
    let rt = runtime()?;
    rt.block_on(apply(args, settings))
}

async fn apply(args: Args, settings: Settings) -> anyhow::Result<ExitCode> {
    // 1. The directory and the CSR it will hold: names are checked before
    //    anything else happens.
    let request = if args.domains.is_empty() {
        None
    } else {
        Some(CsrRequest::new(&args.domains)?)
    };
    let dir = match (&args.out_dir, &request, &args.csr) {
        (Some(d), _, _) => d.clone(),
        (None, Some(r), _) => generate::default_dir(r),
        (None, None, Some(csr)) => lint::csr_default_dir(csr)?,
        (None, None, None) => anyhow::bail!(
            "say what to certify: --domain D (repeat for more), --csr FILE, or --out-dir DIR \
             to resume an order"
        ),
    };
    let service = connect(args.sandbox, &args.connection, &dir).await?;
    let mut journal = Journal::load(&dir)?;

    if let Some(j) = &journal {
        if j.endpoint != service.label {
            anyhow::bail!(
                "{} records an order at {}, not at {}; use the same connection flags to \
                 resume it, or another --out-dir",
                dir.join(journal::JOURNAL_FILE).display(),
                j.endpoint,
                service.label
            );
        }
        if let Some(r) = &request {
            let asked: Vec<&str> = r.domains().iter().map(|d| d.as_str()).collect();
            if asked != j.domains {
                anyhow::bail!(
                    "{} is the directory of a certificate for {}; for {} use another --out-dir",
                    dir.display(),
                    j.domains.join(", "),
                    asked.join(", ")
                );
            }
        }
    }

    if !args.new_order
        && let Some(j) = &journal
    {
        args.warn_ignored(j);
    }
    if args.new_order
        && let Some(j) = journal.as_mut()
    {
        retire(&service, j, &args).await?;
        j.save(&dir)?;
    }

    let mut j = match journal {
        Some(j) => j,
        None => {
            let j = prepare(&args, request, &dir, &service, &settings).await?;
            j.save(&dir)?;
            j
        }
    };

    // The order: recorded, reconciled, or placed now.
    let order_id = match j.order_id.as_deref() {
        Some(id) => id.parse::<OrderId>().map_err(|_| {
            anyhow::anyhow!("the journal's order id {id:?} is not a number; the journal is damaged")
        })?,
        None => match place_order(&args, &settings, &service, &dir, &mut j).await? {
            Some(id) => id,
            // --dry-run: the Create request was shown, not sent.
            None => return Ok(ExitCode::from(exit::OK)),
        },
    };

    // Where it stands, what to publish, and with --wait until it ends.
    let state = wait::follow(&service.client, order_id, &dir, &mut j, &args, service.fast).await?;
    finish(&args, &dir, &mut j, order_id, &state)
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

/// Makes or finds the key and CSR, lints the CSR, and writes the first
/// journal entry (no order yet).
async fn prepare(
    args: &Args,
    request: Option<CsrRequest>,
    dir: &Path,
    service: &Service,
    settings: &Settings,
) -> anyhow::Result<Journal> {
    let csr_path = dir.join(CSR_FILE);
    // A CSR given with --csr is linted where it is, before it is copied in:
    // a refused CSR must not stay behind in the directory, where it would
    // block the corrected one (and --allow).
    let mut given_domains = None;
    let (csr_der, key_path, key_spki) = if let Some(given) = &args.csr {
        // A CSR made elsewhere: copy it in; the key stays where it is.
        let bytes = std::fs::read(given)
            .with_context(|| format!("cannot read the CSR {}", given.display()))?;
        let der = lint::csr_der(&bytes, given)?;
        let spki = lint::csr_spki_sha256(&der)?;
        if let Some(key) = &args.key {
            let k = generate::load(key, None)?;
            if k.spki_sha256() != spki {
                anyhow::bail!(
                    "{} is not the key of {} (their public keys differ)",
                    key.display(),
                    given.display()
                );
            }
        }
        given_domains = Some(lint::gate(&der, settings, &args.allow, given)?);
        generate::create_dir(dir)?;
        if !same_file(given, &csr_path) {
            copy_csr_in(&der, given, &csr_path)?;
        }
        (der, args.key.clone(), spki)
    } else if csr_path.exists() {
        // Made by an earlier `csrkit generate` (or an interrupted apply).
        let bytes = std::fs::read(&csr_path)
            .with_context(|| format!("cannot read {}", csr_path.display()))?;
        let der = lint::csr_der(&bytes, &csr_path)?;
        let spki = lint::csr_spki_sha256(&der)?;
        let key_path = args.key.clone().unwrap_or_else(|| dir.join(KEY_FILE));
        if key_path.exists() {
            let k = generate::load(&key_path, None)?;
            if k.spki_sha256() != spki {
                anyhow::bail!(
                    "{} and {} do not belong together (their public keys differ); \
                     move them away or use another --out-dir",
                    key_path.display(),
                    csr_path.display()
                );
            }
        }
        if let Some(r) = &request {
            lint::check_names_match(&der, r, &csr_path)?;
        }
        (der, key_path.exists().then_some(key_path), spki)
    } else {
        let Some(request) = request else {
            anyhow::bail!(
                "{} holds no CSR and no order; pass --domain or --csr",
                dir.display()
            );
        };
        let source = match &args.key {
            Some(path) => KeySource::Existing {
                path: path.clone(),
                passphrase_file: None,
            },
            None => KeySource::Generate {
                key_type: args.key_type,
                encrypt: false,
                passphrase_file: None,
            },
        };
        let made = generate::write_key_and_csr(request, &source, dir, WriteMode::CreateNew)?;
        let spki = made.key.spki_sha256();
        (made.csr_der, Some(made.key_path), spki)
    };

    // Lint: stop before any request on an error-level finding.
    let domains = match given_domains {
        Some(d) => d,
        None => lint::gate(&csr_der, settings, &args.allow, &csr_path)?,
    };

    Ok(Journal {
        schema: journal::SCHEMA.into(),
        domains,
        csr_sha256: hex::encode(Sha256::digest(&csr_der)),
        key_spki_sha256: key_spki,
        product_code: args.product_code(),
        validate_type: args.validate_type().as_str().into(),
        endpoint: service.label.clone(),
        order_id: None,
        submission: None,
        previous_orders: Vec::new(),
        states: Vec::new(),
        verification: None,
        files: Files {
            key: key_path.map(|k| relative(dir, &k)),
            csr: PathBuf::from(CSR_FILE),
            ..Files::default()
        },
        not_after: None,
    })
}

/// Copies a CSR given with `--csr` into the directory as `request.csr`. A
/// copy already there from an interrupted run is fine; another CSR is not
/// replaced.
fn copy_csr_in(der: &[u8], given: &Path, csr_path: &Path) -> anyhow::Result<()> {
    if let Ok(existing) = std::fs::read(csr_path) {
        if lint::csr_der(&existing, csr_path).is_ok_and(|d| d == der) {
            return Ok(());
        }
        anyhow::bail!(
            "{} already holds another CSR than {}; move it away, or use another --out-dir",
            csr_path.display(),
            given.display()
        );
    }
    let pem = ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der.to_vec()));
    csrkit_csr::write_public_file(csr_path, pem.as_bytes(), WriteMode::CreateNew).with_context(
        || {
            format!(
                "cannot copy {} into {}",
                given.display(),
                csr_path.display()
            )
        },
    )?;
    Ok(())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// A path as the journal stores it: relative to the directory when inside
/// it, absolute otherwise.
fn relative(dir: &Path, path: &Path) -> PathBuf {
    match path.strip_prefix(dir) {
        Ok(rel) => rel.to_owned(),
        Err(_) => std::path::absolute(path).unwrap_or_else(|_| path.to_owned()),
    }
}

/// `--new-order`: forget the recorded order (warning when it is alive).
async fn retire(service: &Service, j: &mut Journal, args: &Args) -> anyhow::Result<()> {
    if let Some(id) = j.order_id.take() {
        if let Ok(order_id) = id.parse::<OrderId>()
            && let Ok(s) = service.client.describe_certificate_state(order_id).await
            && matches!(s.state, StateType::DomainVerify | StateType::Process)
        {
            eprintln!(
                "warning: order {id} is still alive ({}); it keeps its unit of quota until \
                 `csrkit cancel --order-id {id} --delete`",
                s.state
            );
        }
        j.previous_orders.push(id);
    }
    j.submission = None;
    j.states.clear();
    j.verification = None;
    j.product_code = args.product_code();
    j.validate_type = args.validate_type().as_str().into();
    j.files.cert = None;
    j.files.chain = None;
    j.files.fullchain = None;
    j.not_after = None;
    Ok(())
}

/// Reconciles an earlier Create of unknown outcome, or checks the quota and
/// sends the Create, journalling before and after.
async fn place_order(
    args: &Args,
    settings: &Settings,
    service: &Service,
    dir: &Path,
    j: &mut Journal,
) -> anyhow::Result<Option<OrderId>> {
    let client = &service.client;
    // An earlier attempt may have created an order: find it first.
    if let Some(s) = &j.submission
        && matches!(s.outcome, Outcome::Pending | Outcome::Unknown)
    {
        eprintln!("a previous Create may have created an order; looking for it…");
        if let Some(id) = reconcile(client, j).await? {
            eprintln!("found order {id}, created by the earlier attempt: resuming it");
            adopt(j, id, dir)?;
            return Ok(Some(id));
        }
        eprintln!("the service has no order for this CSR: placing it now");
    }

    // The quota, so nothing is spent (or refused) blindly.
    let package = client.describe_package_state(Some(&j.product_code)).await?;
    if package.remaining() == Some(0) {
        return Err(exit::fail(
            exit::REFUSED,
            format!(
                "no quota left for {}: {} of {} used; nothing was sent. Buy a resource plan, \
                 or return quota with `csrkit cancel --order-id ID --delete`",
                j.product_code,
                package.used_count.unwrap_or_default(),
                package.total_count.unwrap_or_default()
            ),
        ));
    }

    let contact = contact(args, settings, service.fast)?;
    let csr_pem = std::fs::read_to_string(dir.join(&j.files.csr))
        .with_context(|| format!("cannot read {}", dir.join(&j.files.csr).display()))?;
    let op = CreateCertificateWithCsr {
        csr: csr_pem,
        username: contact.name,
        phone: contact.phone,
        email: contact.email,
        // The journal's, like the product code: an order resumed after a
        // stop before Create is placed as it was first asked.
        validate_type: j.validate_type.parse().with_context(|| {
            format!(
                "the journal's validate_type {:?} is damaged",
                j.validate_type
            )
        })?,
        product_code: Some(j.product_code.clone()),
        tags: args.tags.clone(),
    };
    if args.connection.dry_run {
        out!("{}", client.prepare(&op)?);
        eprintln!("--dry-run: the order was not placed");
        return Ok(None);
    }

    // Journal before the request: a crash from here on is reconciled.
    let attempts = j.submission.as_ref().map_or(0, |s| s.attempts);
    j.submission = Some(Submission {
        started_at: j
            .submission
            .as_ref()
            .filter(|s| matches!(s.outcome, Outcome::Pending | Outcome::Unknown))
            .map_or_else(journal::now, |s| s.started_at.clone()),
        attempts: attempts + 1,
        outcome: Outcome::Pending,
    });
    j.save(dir)?;

    match client.create_certificate_with_csr(&op).await {
        Ok(created) => {
            adopt(j, created.order_id, dir)?;
            Ok(Some(created.order_id))
        }
        Err(e) if outcome_unknown(&e) => {
            set_outcome(j, Outcome::Unknown);
            j.save(dir)?;
            eprintln!("warning: {e}");
            eprintln!("looking for the order the service may have created…");
            match reconcile(client, j).await {
                Ok(Some(id)) => {
                    eprintln!("found order {id}: the Create did succeed");
                    adopt(j, id, dir)?;
                    Ok(Some(id))
                }
                Ok(None) => Err(exit::fail(
                    exit::NETWORK,
                    format!(
                        "the order could not be placed ({e}); the service shows no order for \
                         this CSR, so nothing was spent. State saved in {}: safe to re-run",
                        dir.join(journal::JOURNAL_FILE).display()
                    ),
                )),
                Err(list_err) => Err(exit::fail(
                    exit::NETWORK,
                    format!(
                        "the outcome of the order is unknown ({e}) and the order list could not \
                         be read ({list_err:#}). State saved in {}: safe to re-run; csrkit will \
                         look for the order before placing another",
                        dir.join(journal::JOURNAL_FILE).display()
                    ),
                )),
            }
        }
        Err(e) => {
            // Refused, or never sent: nothing was created.
            set_outcome(j, Outcome::NotCreated);
            j.save(dir)?;
            Err(e.into())
        }
    }
}

fn outcome_unknown(e: &ApiError) -> bool {
    match e {
        ApiError::OutcomeUnknown { .. } | ApiError::Decode { .. } => true,
        ApiError::Transport {
            request_may_have_been_sent,
            ..
        } => *request_may_have_been_sent,
        _ => false,
    }
}

fn set_outcome(j: &mut Journal, outcome: Outcome) {
    if let Some(s) = j.submission.as_mut() {
        s.outcome = outcome;
    }
}

fn adopt(j: &mut Journal, id: OrderId, dir: &Path) -> anyhow::Result<()> {
    j.order_id = Some(id.to_string());
    set_outcome(j, Outcome::Created);
    j.save(dir)
}

/// The order an earlier Create of unknown outcome made, if any: an order
/// for the CSR's domain, created since the journal entry (less a margin for
/// clock skew), that this directory has not already had.
async fn reconcile(client: &Client, j: &Journal) -> anyhow::Result<Option<OrderId>> {
    let Some(s) = &j.submission else {
        return Ok(None);
    };
    let started = time::OffsetDateTime::parse(
        &s.started_at,
        &time::format_description::well_known::Rfc3339,
    )
    .context("the journal's submission time is damaged")?;
    let since_ms = (started - time::Duration::minutes(15)).unix_timestamp() * 1000;
    let cn = j.domains.first().map(String::as_str).unwrap_or_default();
    let query = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        keyword: Some(cn.trim_start_matches("*.").to_owned()),
        ..ListUserCertificateOrder::default()
    };
    let orders = client.list_all_user_certificate_orders(&query).await?;
    let mut found: Vec<(u64, OrderId)> = orders
        .into_iter()
        .filter(|o| {
            o.domain
                .as_deref()
                .is_some_and(|d| d.eq_ignore_ascii_case(cn))
        })
        .filter(|o| {
            o.buy_date
                .is_none_or(|t| i64::try_from(t).unwrap_or(i64::MAX) >= since_ms)
        })
        .filter_map(|o| Some((o.buy_date.unwrap_or(0), o.order_id?)))
        .filter(|(_, id)| !j.previous_orders.contains(&id.to_string()))
        .collect();
    found.sort();
    if found.len() > 1 {
        eprintln!(
            "warning: {} orders for {cn} were created since {}; taking the newest",
            found.len(),
            s.started_at
        );
    }
    Ok(found.last().map(|(_, id)| *id))
}

fn contact(args: &Args, settings: &Settings, sandbox: bool) -> anyhow::Result<Contact> {
    let pick = |flag: &Option<String>, env: &str, file: &Option<String>, example: &str| {
        flag.clone()
            .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
            .or_else(|| file.clone())
            .or_else(|| sandbox.then(|| example.to_owned()))
    };
    let name = pick(
        &args.contact_name,
        "CSRKIT_CONTACT_NAME",
        &settings.contact.name,
        "Sandbox User",
    );
    let phone = pick(
        &args.contact_phone,
        "CSRKIT_CONTACT_PHONE",
        &settings.contact.phone,
        "13800000000",
    );
    let email = pick(
        &args.contact_email,
        "CSRKIT_CONTACT_EMAIL",
        &settings.contact.email,
        "sandbox@example.com",
    );
    match (name, phone, email) {
        (Some(name), Some(phone), Some(email)) => Ok(Contact { name, phone, email }),
        (name, phone, email) => {
            let missing: Vec<&str> = [
                ("--contact-name", name.is_none()),
                ("--contact-phone", phone.is_none()),
                ("--contact-email", email.is_none()),
            ]
            .into_iter()
            .filter_map(|(f, m)| m.then_some(f))
            .collect();
            anyhow::bail!(
                "the service needs the applicant's contact: missing {} (or CSRKIT_CONTACT_NAME/\
                 _PHONE/_EMAIL, or [contact] in csrkit.toml); nothing was sent",
                missing.join(", ")
            )
        }
    }
}

/// Saves the certificate, or reports why there is none, and prints the
/// outcome.
fn finish(
    args: &Args,
    dir: &Path,
    j: &mut Journal,
    order_id: OrderId,
    state: &CertificateState,
) -> anyhow::Result<ExitCode> {
    let publish = state
        .verification()
        .and_then(|v| Publish::new(&v, j.domains.first().map(String::as_str)));
    let mut code = exit::OK;
    let note;
    match &state.state {
        StateType::Certificate => {
            let pem = state.certificate.as_deref().unwrap_or_default();
            let issued = chain::check(pem, &j.key_spki_sha256, &j.domains)?;
            let full = format!("{}{}", issued.cert_pem, issued.chain_pem);
            let (cert, chain_path, fullchain) = (
                dir.join("cert.pem"),
                dir.join("chain.pem"),
                dir.join("fullchain.pem"),
            );
            csrkit_csr::write_files(
                &[
                    FileToWrite::public(&cert, issued.cert_pem.as_bytes()),
                    FileToWrite::public(&chain_path, issued.chain_pem.as_bytes()),
                    FileToWrite::public(&fullchain, full.as_bytes()),
                ],
                WriteMode::Overwrite,
            )?;
            j.files.cert = Some("cert.pem".into());
            j.files.chain = Some("chain.pem".into());
            j.files.fullchain = Some("fullchain.pem".into());
            j.not_after = Some(issued.not_after.clone());
            j.save(dir)?;
            note = Some(format!(
                "certificate saved: {} (expires {}, in {} days)",
                dir.join("fullchain.pem").display(),
                issued.not_after,
                issued.days_left
            ));
        }
        StateType::VerifyFail => {
            code = exit::REFUSED;
            note = Some(format!(
                "validation failed for order {order_id}: the CA could not see the DNS record or \
                 file in time. Return the unit of quota with `csrkit cancel --order-id {order_id} \
                 --delete`, then run apply again with --new-order"
            ));
        }
        StateType::Payed => {
            code = exit::REFUSED;
            note = Some(format!(
                "order {order_id} was cancelled; delete it with `csrkit cancel --order-id \
                 {order_id} --delete` and run apply again with --new-order"
            ));
        }
        _ if args.wait => {
            code = exit::NETWORK;
            note = Some(format!(
                "still {} after waiting {}s; state saved in {}: run apply again to keep waiting",
                state.state,
                args.wait_timeout.as_secs(),
                dir.join(journal::JOURNAL_FILE).display()
            ));
        }
        _ => {
            note = Some(format!(
                "when it is published, run `csrkit apply --out-dir {} --wait` (or `csrkit status \
                 {}`)",
                dir.display(),
                dir.display()
            ));
        }
    }
    let files = |p: &Option<PathBuf>| p.as_ref().map(|p| dir.join(p));
    match args.format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.apply/1",
            "dir": dir,
            "order_id": order_id.to_string(),
            "state": state.state.as_str(),
            "verification": publish.as_ref().map(Publish::to_json),
            "files": {
                "key": files(&j.files.key),
                "csr": dir.join(&j.files.csr),
                "cert": files(&j.files.cert),
                "chain": files(&j.files.chain),
                "fullchain": files(&j.files.fullchain),
            },
            "not_after": j.not_after,
            "message": note,
        }))?,
        Format::Human => {
            outln!(
                "order {order_id}: {} ({})",
                state.state,
                describe(&state.state)
            );
            if let Some(p) = publish.filter(|_| !matches!(state.state, StateType::Certificate)) {
                out!("{}", p.human());
            }
            if let Some(n) = note.as_ref().filter(|_| code == exit::OK) {
                outln!("{n}");
            }
        }
    }
    if code == exit::OK {
        Ok(ExitCode::from(code))
    } else {
        Err(exit::fail(code, note.unwrap_or_default()))
    }
}
