//! `csrkit apply`: flags → the engine (`csrkit-apply`) → rendering.
//!
//! The engine does every step (lint, quota, order, reconcile, publish,
//! propagation, wait, verify, install, clean up) and reports events; this
//! module turns the flags into a [`csrkit_apply::Request`], connects to the
//! service (or starts the in-process sandbox), renders the events on stderr
//! ([`crate::progress`]) and the result on stdout.
//!
//! JSON (`csrkit.apply/1`): `dir`, `order_id` (string), `state`,
//! `verification` (see [`csrkit_apply::Publish`]), `files { key, csr, cert,
//! chain, fullchain }`, `generation`, `not_after`, `published` (the records
//! still published), `message`.

mod manifest;
mod validation;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use csrkit_apply::{Contact, Ending, Interrupt, Journal, Outcome, Request};
use csrkit_csr::KeyType;
use csrkit_submit::{Error as ApiError, OrderId, Tag, ValidateType};
use serde_json::json;

use crate::cmd::connection::{ConnectionArgs, parse_order_id, print_dry_run, runtime};
use crate::output::{Format, out, outln, print_json};
use crate::progress::Progress;
use crate::render;
use crate::service::{self, SANDBOX_LABEL};
use crate::settings::Settings;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit apply --sandbox --domain example.com
  csrkit apply --domain example.com --dns alidns --wait
  csrkit apply --domain example.com --dns rfc2136 --dns-server ns1.example.com \\
      --tsig-key-file /etc/csrkit/tsig.key --wait
  csrkit apply --domain example.com --dns-hook /usr/local/bin/dns-hook --wait
  csrkit apply --domain example.com --validate-type file --webroot /var/www/html --wait
  csrkit apply --domain example.com --domain www.example.com \\
      --contact-name 'Zhang San' --contact-phone 13800000000 --contact-email ops@example.com --wait
  csrkit apply --out-dir example.com          # resume: no new order is placed
  csrkit apply --out-dir example.com --new-order --key-type p256   # a new key and certificate
  csrkit apply --out-dir example.com --dry-run --format json        # what would be sent

One directory per certificate (--out-dir, default ./<first domain>/) holds
order.json (the journal) and the certificates it was issued, each a complete
generation in generations/N/ (key, CSR, cert, chain, fullchain, combined.pem);
privkey.pem, request.csr, cert.pem, chain.pem, fullchain.pem and combined.pem
are links through `current`, which is switched to a new generation with one
rename once its certificate is verified. Re-running apply on the directory
resumes the recorded order; it never buys a second certificate for an order
that is still alive. One command at a time works on a directory (DIR/.lock).
A Create whose answer was lost is looked up before any other (by its
csrkit-attempt tag and by the CSR itself); when an order for the domain
cannot be checked, apply stops (exit 4) and lists the `--adopt ORDER_ID`
that settles it by hand.

With --dns PROVIDER (or --dns-hook, --webroot) csrkit publishes the
validation record itself, journaled before it is published, checks that
every authoritative server has it, waits for the CA, and removes it after
issuance or verify_fail (and `csrkit cancel DIR` removes it with the order).
The provider is recorded: a re-run publishes and cleans up the same way.

--deploy-hook CMD runs once after the certificate is installed (csrkit help
renew lists its environment); --deploy-to TARGET deploys it to Alibaba Cloud
products; --post-hook CMD is for `csrkit renew` runs. All three are recorded
in the directory, so `csrkit renew` (from the systemd timer or cron) does the
same after every renewal. A hook or deployment that fails exits non-zero;
the certificate stays installed and the next apply or renew runs it again.

The files are the journal's: request.csr and the key must be the ones the
order was placed with, or apply stops (exit 2) before sending or saving
anything. --new-order keeps the recorded product code, validation type,
provider and tags unless flags override them; with --key, --key-type or
--csr the new key and CSR go into the next generation while the current one
keeps serving.";

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
    pub(crate) domains: Vec<String>,
    /// Submit this CSR instead of making one (it is copied into the
    /// directory). On a directory that records an order, only with
    /// --new-order.
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    pub(crate) csr: Option<PathBuf>,
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
    pub(crate) validate_type: Option<ValidateType>,
    /// Resource plan to spend (wildcards need a wildcard plan such as
    /// geotrust-dv-w-starter) [default: digicert-free-1-free]. A recorded
    /// order keeps its own (with --new-order, the flag replaces it).
    #[arg(long, value_name = "C", help_heading = "Order")]
    pub(crate) product_code: Option<String>,
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
    pub(crate) new_order: bool,
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

    /// Run the whole flow against an in-process sandbox: no account, no
    /// network. It hosts the domain's zone and verifies the record csrkit
    /// publishes through its Alibaba Cloud DNS before it issues (FILE
    /// validation without --webroot: it approves on its own). Implies
    /// --wait. Its state lives in the directory, so a re-run resumes.
    #[arg(long, conflicts_with_all = ["endpoint", "site", "profile"], help_heading = "Connection")]
    pub(crate) sandbox: bool,
    /// When another command works on the directory, wait this long for it
    /// (e.g. 30s, 5m) instead of exiting 4 at once.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration,
          help_heading = "Waiting")]
    lock_timeout: Duration,

    /// Order (or resume) every certificate of this manifest (TOML: README,
    /// "Many certificates: manifests"), each in its own directory, at
    /// most --concurrency at once and at most --rate requests per second
    /// per API action. Flags that name one certificate do not go with it;
    /// the others are defaults under the manifest's.
    #[arg(long, value_name = "FILE", help_heading = "Manifest",
          conflicts_with_all = ["domains", "csr", "key", "out_dir", "adopt", "new_order", "sandbox"])]
    pub(crate) manifest: Option<PathBuf>,
    /// Certificates worked on at once (one waiting for the CA does not
    /// count).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "manifest",
          value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = "Manifest")]
    pub(crate) concurrency: u32,
    /// Requests per second per API action, shared by every certificate
    /// (the service allows about 10 per account, shared by all its keys).
    #[arg(long, value_name = "N", default_value_t = 10, requires = "manifest",
          value_parser = clap::value_parser!(u32).range(1..=1000), help_heading = "Manifest")]
    pub(crate) rate: u32,

    #[command(flatten)]
    pub(crate) validation: validation::ValidationArgs,

    #[command(flatten)]
    hooks: crate::cmd::renew::HookArgs,

    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

pub(crate) fn parse_key_type(s: &str) -> Result<KeyType, String> {
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

pub(crate) use csrkit_apply::parse_duration;
pub(crate) use validation::alidns_default;

/// Runs `csrkit apply`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.manifest {
        return manifest::run(&args, path);
    }
    let settings = Settings::load(args.policy.as_deref())?;
    let dir = match &args.out_dir {
        Some(d) => d.clone(),
        None => csrkit_apply::default_dir(&args.domains, args.csr.as_deref())?,
    };
    // Only to pick defaults (the engine reads it again, locked).
    let peeked = Journal::load(&dir).ok().flatten();
    let (validation, sandbox) = validation::choose(&args, peeked.as_ref())?;
    let mut request = request(&args, &settings, dir)?;
    request.validation = validation;
    let mut progress = Progress::new(args.format);
    let label = label(&args)?;
    if args.connection.dry_run {
        let client = service::dry_run_client(args.sandbox, &args.connection)?;
        let requests = csrkit_apply::dry_run(&request, &client, &label, &mut progress)?;
        progress.finish();
        print_dry_run(&requests, args.format)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rt = runtime()?;
    rt.block_on(async {
        let (trigger, interrupt) = Interrupt::new();
        request.interrupt = Some(interrupt);
        tokio::spawn(async move {
            crate::signals::interrupted().await;
            trigger.fire();
        });
        // Every local check (and the lock) before a credential is read, a
        // connection opened or the in-process sandbox (which writes its
        // state into the directory) started.
        let mut prepared = csrkit_apply::prepare(request, &label, &mut progress)?;
        let connected = match &sandbox {
            Some(setup) => {
                service::connect_sandbox(&args.connection, prepared.dir(), setup).await?
            }
            None => service::connect_endpoint(&args.connection)?,
        };
        prepared.set_propagation(validation::propagation(&args, connected.sandbox_dns));
        let outcome = prepared.run(&connected.service, &mut progress).await;
        progress.finish();
        report(&args, outcome?)
    })
}

/// What the journal records as the endpoint, from the flags alone (no
/// credentials are read).
fn label(args: &Args) -> anyhow::Result<String> {
    if args.sandbox {
        return Ok(SANDBOX_LABEL.to_owned());
    }
    Ok(args.connection.options()?.endpoint.url())
}

/// The engine's request: the flags, the policy and the contact (flags,
/// environment, csrkit.toml, or the sandbox's example).
fn request(args: &Args, settings: &Settings, dir: PathBuf) -> anyhow::Result<Request> {
    let mut r = Request::new(dir);
    r.domains = args.domains.clone();
    r.csr = args.csr.clone();
    r.key = args.key.clone();
    r.key_type = args.key_type;
    r.key_passphrase = std::env::var("CSRKIT_KEY_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(zeroize::Zeroizing::new);
    r.contact = contact(args, settings);
    r.validate_type = args.validate_type;
    r.product_code = args.product_code.clone();
    r.tags = args.tags.clone();
    r.new_order = args.new_order;
    r.adopt = args.adopt;
    r.policy = settings.policy.clone();
    r.allow = args.allow.clone();
    // The sandbox issues in milliseconds: its run always waits.
    r.wait = (args.wait || args.sandbox).then_some(args.wait_timeout);
    r.lock_timeout = args.lock_timeout;
    r.renewal = args.hooks.changes(args.validation.hook_timeout);
    csrkit_apply::check_tags(&r.tags)?;
    r.renewal.check()?;
    Ok(r)
}

/// The applicant's contact, from the flags, the environment or
/// `csrkit.toml` (the sandbox fills in an example).
fn contact(args: &Args, settings: &Settings) -> Contact {
    contact_from(
        [&args.contact_name, &args.contact_phone, &args.contact_email],
        settings,
        args.sandbox,
    )
}

/// The applicant's contact: each part from its flag, else the environment
/// (`CSRKIT_CONTACT_NAME`, `_PHONE`, `_EMAIL`), else `csrkit.toml`, else
/// for the sandbox an example. A part still missing is taken from the
/// journal by the engine.
pub(crate) fn contact_from(
    flags: [&Option<String>; 3],
    settings: &Settings,
    sandbox: bool,
) -> Contact {
    let pick = |flag: &Option<String>, env: &str, file: &Option<String>, example: &str| {
        flag.clone()
            .or_else(|| std::env::var(env).ok().filter(|v| !v.trim().is_empty()))
            .or_else(|| file.clone())
            .or_else(|| sandbox.then(|| example.to_owned()))
    };
    let [name, phone, email] = flags;
    let mut c = Contact::default();
    c.name = pick(
        name,
        "CSRKIT_CONTACT_NAME",
        &settings.contact.name,
        "Sandbox User",
    );
    c.phone = pick(
        phone,
        "CSRKIT_CONTACT_PHONE",
        &settings.contact.phone,
        "13800000000",
    );
    c.email = pick(
        email,
        "CSRKIT_CONTACT_EMAIL",
        &settings.contact.email,
        "sandbox@example.com",
    );
    c
}

/// The sentence that ends a run.
fn message(o: &Outcome) -> String {
    let dir = o.dir.display();
    match &o.ending {
        Ending::Issued => {
            let j = &o.journal;
            let days = j
                .not_after
                .as_deref()
                .and_then(|t| {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map(|t| (t - time::OffsetDateTime::now_utc()).whole_days())
                .unwrap_or_default();
            format!(
                "certificate saved: {} (expires {}, in {days} days)",
                o.dir.join(csrkit_apply::FULLCHAIN_FILE).display(),
                j.not_after.as_deref().unwrap_or("?")
            )
        }
        Ending::Pending if o.journal.dns.is_some() => format!(
            "the validation record is published; run `csrkit apply --out-dir {dir} --wait` to wait \
             for the CA (or `csrkit status {dir}`)"
        ),
        Ending::Pending => format!(
            "when it is published, run `csrkit apply --out-dir {dir} --wait` (or `csrkit status \
             {dir}`)"
        ),
        _ => o.error().map(|e| e.to_string()).unwrap_or_default(),
    }
}

/// Prints the result on stdout; an unsuccessful ending becomes the error.
fn report(args: &Args, o: Outcome) -> anyhow::Result<ExitCode> {
    let note = message(&o);
    let j = &o.journal;
    match args.format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.apply/1",
            "dir": o.dir,
            "order_id": o.order_id.to_string(),
            "state": o.state.as_str(),
            "verification": o.publish.as_ref().map(csrkit_apply::Publish::to_json),
            "files": render::files_json(&o.dir, j),
            "generation": o.installed.as_ref().map(|g| g.number),
            "not_after": j.not_after,
            "published": render::records_json(j),
            "deploy_hook": o.follow_ups.deploy_hook.as_ref().map(|h| json!({
                "command": h.command,
                "ok": h.failure.is_none(),
                "error": h.failure.as_ref().map(|f| f.message.clone()),
            })),
            "deployment": o.follow_ups.deployment.as_ref().map(|d| json!({
                "targets": d.targets,
                "ok": d.failure.is_none(),
                "error": d.failure.as_ref().map(|f| f.message.clone()),
            })),
            "message": note,
        }))?,
        Format::Human => {
            outln!(
                "order {}: {} ({})",
                o.order_id,
                o.state,
                render::describe(&o.state)
            );
            if o.installed.is_none()
                && let Some(p) = &o.publish
            {
                out!("{}", render::publish_human(p));
            }
            if o.error().is_none() {
                outln!("{note}");
            }
        }
    }
    match o.error().or_else(|| o.follow_ups.error()) {
        Some(e) => Err(e.into()),
        None => Ok(ExitCode::SUCCESS),
    }
}
