//! `csrkit renew [DIR…]`: renews every certificate directory that is due,
//! through the engine (`csrkit_apply::prepare_renewal`, then `run`), runs
//! the post hooks once, prints a line per certificate and exits as
//! DESIGN.md "Errors and exit codes" says.
//!
//! JSON (`csrkit.renew/1`): `dry_run`, `certificates[] { dir, domains,
//! outcome, reason, not_before, not_after, days_left, generation, order_id,
//! cert_id, new_not_after, deploy_hook, deployment, pruned, error,
//! exit_code }` with `outcome` one of `renewed`, `not_due`, `would_renew`,
//! `hooks_ran`, `failed`, and `reason` one of `lifetime_third`, `days`,
//! `forced`, `no_certificate`, `in_flight`, `not_due`; `post_hooks[] {
//! command, ok, error, stderr }`; `summary { renewed, not_due, would_renew,
//! failed }`; `exit_code`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use csrkit_apply::{
    Decision, DueRule, HookRun, Interrupt, Journal, PreparedRenewal, PropagationSettings, Reason,
    RenewAction, RenewOutcome, RenewRequest, RenewalChanges, Service,
};
use csrkit_csr::KeyType;
use serde_json::{Value, json};

use super::connection::{ConnectionArgs, runtime};
use crate::apply::parse_duration;
use crate::exit;
use crate::output::{Format, outln, print_json};
use crate::progress::Progress;
use crate::render;
use crate::service::{self, Connected, SANDBOX_LABEL, SandboxSetup, zone_of};
use crate::settings::Settings;

mod manifest;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit renew                                  # every certificate directory under .
  csrkit renew example.com --deploy-hook 'systemctl reload nginx'
  csrkit renew --dry-run                        # what is due; nothing is sent
  csrkit renew example.com --run-hooks          # test the deploy hook
  csrkit renew example.com --force --reuse-key  # now, with the same key
  cd /var/lib/csrkit && csrkit renew --no-random-sleep   # what the timer runs
  csrkit renew --manifest certs.toml            # a manifest's certificates that are due

Without DIR, every directory under the current one that holds a csrkit
order.json is renewed when it is due: when less than a third of its
certificate's lifetime (notAfter - notBefore) is left, or fewer than --days
days. A due certificate gets a new order for the same names with a new key of
the same type (--reuse-key keeps the key), the recorded validation provider,
product code and tags; the old certificate keeps serving until the new one is
verified, then `current` switches to it in one rename. An order an earlier
run left unfinished is resumed, never placed twice. Each directory is locked
for the run: a second renew (or apply) waits --lock-timeout, or exits 4.

Hooks run through sh -c, each at most --hook-timeout. --deploy-hook runs once
per renewed certificate, with CSRKIT_CERT_DIR, CSRKIT_DOMAINS,
CSRKIT_CERT_PATH, CSRKIT_KEY_PATH, CSRKIT_FULLCHAIN_PATH, CSRKIT_CHAIN_PATH,
CSRKIT_COMBINED_PATH, CSRKIT_ORDER_ID, CSRKIT_CERT_ID, CSRKIT_NOT_AFTER and
CSRKIT_GENERATION. --post-hook runs once at the end of a run in which some
certificate was due, with CSRKIT_RENEWED and CSRKIT_FAILED (the directories,
space-separated); each distinct post hook of those directories runs once.
Both are recorded in the directory (order.json), so a bare `csrkit renew`
from cron runs them; '' removes one. A hook that fails is reported and makes
the run fail; the renewal stands, and the next run tries the deploy hook
again. --deploy-to deploys each new certificate to Alibaba Cloud products
(as `csrkit deploy --to`), recorded the same way.

Off a terminal (stdin is not one), when a certificate is due, renew first
sleeps a random 1 s to 8 min, as certbot does, so that machines started by
the same schedule do not call the API at once; --no-random-sleep skips it
(the systemd timer spreads its runs itself). Nothing due: no sleep.

A directory validated by hand (apply without --dns) is not waited for: its
renewal prints the record to publish and exits 4; once it is published the
next run finishes the same order (--wait-timeout waits for it instead).

Each directory's order is renewed at the endpoint its order.json records
(--endpoint overrides it); the credentials are read only when a
certificate is due.

With --manifest FILE the manifest's certificates are renewed as `apply
--manifest` orders them: at most --concurrency at once, at most --rate
requests per second per API action, one bar and a line per certificate, a
summary table or csrkit.fleet/1 (--format json). An entry never issued is
reported not_issued and left to `csrkit apply --manifest`.

EXIT CODES:
  0  everything due was renewed (and its hooks succeeded), or nothing was due
  2  bad input or local trouble; also a deploy or post hook that failed (one
     past --hook-timeout: 4)
  3  the service refused (no quota, verify_fail) every certificate that was due
  4  network or timeout, or the directory in use by another command; state
     saved, safe to re-run
  5  some certificates failed and others were renewed (see each line)
  130  interrupted (143 by SIGTERM); state saved";

/// The longest random delay of an unattended run, as certbot's.
const RANDOM_SLEEP_MAX: Duration = Duration::from_secs(480);

/// `--deploy-hook`, `--post-hook`, `--deploy-to`: what runs after a
/// certificate is installed, recorded in its directory (shared by `apply`
/// and `renew`).
#[derive(clap::Args, Debug, Clone, Default)]
#[command(next_help_heading = "After installation")]
pub(crate) struct HookArgs {
    /// Run CMD (through sh -c) once after each certificate is installed,
    /// with CSRKIT_CERT_DIR, CSRKIT_CERT_PATH, CSRKIT_KEY_PATH,
    /// CSRKIT_FULLCHAIN_PATH, … (csrkit help renew). Recorded in the
    /// directory: every later renewal runs it; '' removes it.
    #[arg(long, value_name = "CMD")]
    pub(crate) deploy_hook: Option<String>,
    /// Run CMD once at the end of a `csrkit renew` run in which some
    /// certificate was due, with CSRKIT_RENEWED and CSRKIT_FAILED. Recorded
    /// in the directory; '' removes it.
    #[arg(long, value_name = "CMD")]
    pub(crate) post_hook: Option<String>,
    /// Deploy each new certificate to this Alibaba Cloud resource
    /// (PRODUCT:DOMAIN as for `csrkit deploy --to`, or a resource id);
    /// repeat for more. Recorded in the directory; '' removes them all.
    #[arg(long = "deploy-to", value_name = "TARGET")]
    pub(crate) deploy_to: Vec<String>,
}

impl HookArgs {
    /// The changes to the recorded settings these flags ask for.
    pub(crate) fn changes(&self, hook_timeout: Option<Duration>) -> RenewalChanges {
        let mut c = RenewalChanges::default();
        c.deploy_hook = self.deploy_hook.clone();
        c.post_hook = self.post_hook.clone();
        c.deploy_to = match self.deploy_to.as_slice() {
            [] => None,
            list if list.iter().any(|t| t.trim().is_empty()) => Some(Vec::new()),
            list => Some(list.to_vec()),
        };
        c.hook_timeout = hook_timeout;
        c
    }
}

/// Arguments of `csrkit renew`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
#[command(mut_arg("dry_run", |a| a.help(
    "Decide and report what is due, check the new key and CSR, and order nothing: \
     send nothing, write nothing, run no hook"
)))]
pub(crate) struct Args {
    /// Certificate directories [default: every one under the current
    /// directory]
    #[arg(value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Also renew when fewer than N days are left.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=3650),
          help_heading = "When")]
    days: Option<u32>,
    /// Renew whatever is left (an order already in flight is resumed, not
    /// placed again).
    #[arg(long, help_heading = "When")]
    force: bool,
    /// Order nothing: run the deploy hook on the current certificate (and
    /// the post hook), to test them.
    #[arg(long, conflicts_with_all = ["force", "days", "dry_run"], help_heading = "When")]
    run_hooks: bool,
    /// Do not sleep a random 1 s–8 min first when stdin is not a terminal.
    #[arg(long, help_heading = "When")]
    no_random_sleep: bool,

    /// Renew with the same key (a new CSR for it); recorded, so later
    /// renewals keep it too.
    #[arg(long, conflicts_with = "new_key", help_heading = "Key")]
    reuse_key: bool,
    /// Renew with a new key, and stop reusing the key (undoes --reuse-key).
    #[arg(long, help_heading = "Key")]
    new_key: bool,
    /// The new key's type [default: the current key's]. With the key
    /// reused, another type is an error (add --new-key).
    #[arg(long, value_name = "TYPE", value_parser = crate::apply::parse_key_type, help_heading = "Key")]
    key_type: Option<KeyType>,
    /// Keep this many generations before the current one; older ones are
    /// removed after a renewal.
    #[arg(long, value_name = "N", default_value_t = csrkit_apply::DEFAULT_KEEP,
          help_heading = "Key")]
    keep: usize,

    #[command(flatten)]
    hooks: HookArgs,
    /// How long each hook may run (e.g. 30s, 5m) [default: 5m]; recorded.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "After installation")]
    hook_timeout: Option<Duration>,

    /// Wait this long for the CA to issue each certificate [default: 2h].
    /// A directory validated by hand (no --dns provider recorded) is waited
    /// for only when this is given: otherwise its renewal prints what to
    /// publish and exits 4, and the next run finishes it.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration,
          help_heading = "Waiting")]
    wait_timeout: Option<Duration>,
    /// When another command works on a directory, wait this long for it
    /// instead of failing it with exit 4.
    #[arg(long, value_name = "DURATION", default_value = "0", value_parser = parse_duration,
          help_heading = "Waiting")]
    lock_timeout: Duration,

    /// Submit even though the new CSR has this lint finding; repeat for
    /// more.
    #[arg(long = "allow", value_name = "RULE", help_heading = "Order")]
    allow: Vec<String>,
    /// Lint policy file [default: ./csrkit.toml if present]
    #[arg(long, value_name = "FILE", help_heading = "Order")]
    policy: Option<PathBuf>,

    /// Renew the certificates of this manifest (the file `csrkit apply
    /// --manifest` takes) that are due, at most --concurrency at once and
    /// at most --rate requests per second per API action; each entry's
    /// deploy hook, deployment targets and the post hook are recorded and
    /// run. An entry never issued is reported `not_issued` and left to
    /// `csrkit apply --manifest`.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dirs", "run_hooks"],
          help_heading = "Manifest")]
    manifest: Option<PathBuf>,
    /// Certificates worked on at once (one waiting for the CA does not
    /// count).
    #[arg(long, value_name = "N", default_value_t = 16, requires = "manifest",
          value_parser = clap::value_parser!(u32).range(1..=4096), help_heading = "Manifest")]
    concurrency: u32,
    /// Requests per second per API action, shared by every certificate
    /// (the service allows about 10 per account, shared by all its keys).
    #[arg(long, value_name = "N", default_value_t = 10, requires = "manifest",
          value_parser = clap::value_parser!(u32).range(1..=1000), help_heading = "Manifest")]
    rate: u32,

    #[command(flatten)]
    connection: ConnectionArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// One directory's result.
struct Line {
    dir: PathBuf,
    domains: Vec<String>,
    decision: Option<Decision>,
    result: Result<RenewOutcome, anyhow::Error>,
}

impl Line {
    /// The exit code of what failed here, if anything did.
    fn failure(&self) -> Option<(u8, String)> {
        match &self.result {
            Err(e) => Some((exit::code_of(e), format!("{e:#}"))),
            Ok(o) => o.error().map(|e| {
                let e = anyhow::Error::from(e);
                (exit::code_of(&e), format!("{e:#}"))
            }),
        }
    }

    /// Renewed (or its hooks ran) without a failure.
    fn succeeded(&self) -> bool {
        matches!(&self.result, Ok(o)
            if matches!(o.action, RenewAction::Renewed { .. } | RenewAction::HooksRan)
                && o.error().is_none())
    }

    /// Whether it counts for the post hook: due (renewed or failed), or
    /// its hooks ran.
    fn attempted(&self) -> bool {
        match &self.result {
            Err(_) => true,
            Ok(o) => matches!(
                o.action,
                RenewAction::Renewed { .. } | RenewAction::HooksRan
            ),
        }
    }
}

/// Runs `csrkit renew`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.policy.as_deref())?;
    let changes = changes(&args)?;
    if let Some(path) = &args.manifest {
        return manifest::run(&args, path, &settings, changes);
    }
    let dirs = match args.dirs.is_empty() {
        false => args.dirs.clone(),
        true => {
            let found = csrkit_apply::find_certificate_dirs(Path::new("."));
            for s in &found.skipped {
                eprintln!("warning: {s}");
            }
            found
                .dirs
                .into_iter()
                .map(|d| d.strip_prefix(".").map(Path::to_path_buf).unwrap_or(d))
                .map(|d| {
                    if d.as_os_str().is_empty() {
                        PathBuf::from(".")
                    } else {
                        d
                    }
                })
                .collect()
        }
    };
    if dirs.is_empty() && args.format == Format::Human {
        eprintln!(
            "no certificate directories under {}: nothing to renew (a directory holding a \
             csrkit order.json is one; `csrkit apply` makes them)",
            std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| ".".to_owned())
        );
    }
    let rule = rule(&args);
    let rt = runtime()?;
    rt.block_on(async {
        if let Some(code) = random_sleep(&args, &dirs, &rule).await {
            return Ok(ExitCode::from(code));
        }
        let (trigger, interrupt) = Interrupt::new();
        tokio::spawn(async move {
            crate::signals::interrupted().await;
            trigger.fire();
        });
        let mut runner = Runner {
            args: &args,
            settings: &settings,
            changes,
            rule,
            interrupt,
            services: HashMap::new(),
            progress: Progress::new(args.format),
        };
        let mut lines = Vec::new();
        for dir in dirs {
            if runner.interrupt.fired() {
                break;
            }
            lines.push(runner.one(dir).await);
        }
        // Interrupted (Ctrl-C, systemd stopping the unit): no post hook.
        let interrupted = runner.interrupt.fired();
        let post = match interrupted {
            true => Vec::new(),
            false => runner.post_hooks(&lines).await,
        };
        runner.progress.finish();
        let code = exit_code(&lines, &post, interrupted);
        report(&args, &lines, &post, code)?;
        Ok(ExitCode::from(code))
    })
}

/// The changes to the recorded settings the flags ask for.
fn changes(args: &Args) -> anyhow::Result<RenewalChanges> {
    let mut c = args.hooks.changes(args.hook_timeout);
    c.reuse_key = match (args.reuse_key, args.new_key) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    };
    c.check()?;
    Ok(c)
}

/// When a certificate is due, by the flags.
fn rule(args: &Args) -> DueRule {
    let mut r = DueRule::default();
    r.days = args.days;
    r.force = args.force;
    r
}

/// Sleeps the random delay of an unattended run when one is due (off a
/// terminal, not a dry run, without --no-random-sleep): `Some(exit code)`
/// when a signal came during it.
async fn random_sleep(args: &Args, dirs: &[PathBuf], rule: &DueRule) -> Option<u8> {
    if args.no_random_sleep
        || args.connection.dry_run
        || args.run_hooks
        || std::io::stdin().is_terminal()
        || !any_due(dirs, rule)
    {
        return None;
    }
    let secs = rand::random_range(1..=RANDOM_SLEEP_MAX.as_secs());
    eprintln!(
        "sleeping {secs}s before renewing (a random delay of up to 8 minutes off a terminal; \
         --no-random-sleep skips it)"
    );
    tokio::select! {
        () = tokio::time::sleep(Duration::from_secs(secs)) => None,
        () = crate::signals::interrupted() => Some(crate::signals::exit_code()),
    }
}

/// Whether a look without the locks finds anything due (a journal that
/// cannot be read counts: the run will have something to say).
fn any_due(dirs: &[PathBuf], rule: &DueRule) -> bool {
    dirs.iter()
        .any(|d| csrkit_apply::check_due(d, rule, SystemTime::now()).map_or(true, |d| d.due))
}

struct Runner<'a> {
    args: &'a Args,
    settings: &'a Settings,
    changes: RenewalChanges,
    rule: DueRule,
    interrupt: Interrupt,
    /// One connection per endpoint, made the first time it is needed.
    services: HashMap<String, Connected>,
    progress: Progress,
}

impl Runner<'_> {
    /// Renews one directory (if due) and says how it went.
    async fn one(&mut self, dir: PathBuf) -> Line {
        let journal = Journal::load(&dir).ok().flatten();
        let domains = journal
            .as_ref()
            .map(|j| j.domains.clone())
            .unwrap_or_default();
        let mut line = Line {
            dir: dir.clone(),
            domains,
            decision: None,
            result: Err(anyhow::anyhow!("not run")),
        };
        let sandbox = journal
            .as_ref()
            .is_some_and(|j| j.endpoint == SANDBOX_LABEL);
        let label = match self.label(journal.as_ref()) {
            Ok(l) => l,
            Err(e) => {
                line.result = Err(e);
                return line;
            }
        };
        let req = self.request(&dir, sandbox);
        let prepared = match csrkit_apply::prepare_renewal(req, &label, &mut self.progress) {
            Ok(p) => p,
            Err(e) => {
                line.result = Err(e.into());
                return line;
            }
        };
        line.decision = Some(prepared.decision().clone());
        line.result = self.finish(prepared, &label, sandbox).await;
        line
    }

    /// Connects when the renewal needs the service, and runs it.
    async fn finish(
        &mut self,
        mut prepared: PreparedRenewal,
        label: &str,
        sandbox: bool,
    ) -> anyhow::Result<RenewOutcome> {
        if !prepared.needs_service() {
            return Ok(prepared.run(None, &mut self.progress).await?);
        }
        if sandbox {
            // The in-process sandbox keeps its state in the directory.
            let journal = Journal::load(prepared.dir())?.ok_or_else(|| {
                anyhow::anyhow!(
                    "{} no longer holds its order.json",
                    prepared.dir().display()
                )
            })?;
            let connected =
                service::connect_sandbox(&self.args.connection, prepared.dir(), &setup(&journal))
                    .await?;
            if own_sandbox_dns(&journal) {
                let mut p = PropagationSettings::default();
                p.resolver = connected.sandbox_dns.map(|a| a.to_string());
                prepared.set_propagation(p);
            }
            return Ok(prepared
                .run(Some(&connected.service), &mut self.progress)
                .await?);
        }
        if !self.services.contains_key(label) {
            let mut connection = self.args.connection.clone();
            connection.endpoint = Some(label.to_owned());
            let mut connected = service::connect_endpoint(&connection)?;
            if connected.service.client().endpoint().is_loopback() {
                // A sandbox answers in milliseconds.
                connected.service = connected.service.with_fast_polling();
            }
            self.services.insert(label.to_owned(), connected);
        }
        let service: &Service = &self.services[label].service;
        Ok(prepared.run(Some(service), &mut self.progress).await?)
    }

    /// What the journal records as the endpoint the renewal goes to: the
    /// in-process sandbox, `--endpoint` when given, else the journal's own.
    fn label(&self, journal: Option<&Journal>) -> anyhow::Result<String> {
        match journal {
            Some(j) if j.endpoint == SANDBOX_LABEL => Ok(SANDBOX_LABEL.to_owned()),
            _ if self.args.connection.endpoint.is_some() => {
                Ok(self.args.connection.options()?.endpoint.url())
            }
            Some(j) => Ok(j.endpoint.clone()),
            None => Ok(self.args.connection.options()?.endpoint.url()),
        }
    }

    /// The engine's request for `dir`.
    fn request(&self, dir: &Path, sandbox: bool) -> RenewRequest {
        let a = self.args;
        let mut r = RenewRequest::new(dir);
        r.rule = self.rule;
        r.key_type = a.key_type;
        r.keep = a.keep;
        r.changes = self.changes.clone();
        r.contact = crate::apply::contact_from([&None, &None, &None], self.settings, sandbox);
        r.key_passphrase = std::env::var("CSRKIT_KEY_PASSPHRASE")
            .ok()
            .filter(|p| !p.is_empty())
            .map(zeroize::Zeroizing::new);
        r.policy = self.settings.policy.clone();
        r.allow = a.allow.clone();
        r.wait = a.wait_timeout.unwrap_or(csrkit_apply::DEFAULT_RENEW_WAIT);
        r.wait_by_hand = a.wait_timeout.is_some();
        r.lock_timeout = a.lock_timeout;
        r.dry_run = a.connection.dry_run;
        r.run_hooks = a.run_hooks;
        r.interrupt = Some(self.interrupt.clone());
        r
    }

    /// Runs each distinct post hook of the directories that were due (or
    /// whose hooks ran) once, with the lists of renewed and failed ones.
    async fn post_hooks(&mut self, lines: &[Line]) -> Vec<HookRun> {
        if self.args.connection.dry_run {
            return Vec::new();
        }
        let attempted: Vec<(PathBuf, bool)> = lines
            .iter()
            .filter(|l| l.attempted())
            .map(|l| (l.dir.clone(), l.result.is_ok()))
            .collect();
        post_hooks(&attempted, &mut self.progress).await
    }
}

/// Runs each distinct post hook recorded in the `attempted` directories
/// (each with whether it was renewed, else it failed) once, with the lists
/// of renewed and failed ones. Nothing attempted: nothing runs.
pub(crate) async fn post_hooks(
    attempted: &[(PathBuf, bool)],
    reporter: &mut dyn csrkit_apply::Reporter,
) -> Vec<HookRun> {
    let pick = |ok: bool| -> Vec<PathBuf> {
        attempted
            .iter()
            .filter(|(_, renewed)| *renewed == ok)
            .map(|(d, _)| d.clone())
            .collect()
    };
    let (renewed, failed) = (pick(true), pick(false));
    let mut commands: Vec<(String, csrkit_apply::RenewalSettings)> = Vec::new();
    for (dir, _) in attempted {
        let recorded = Journal::load(dir).ok().flatten().map(|j| j.renewal);
        let Some(settings) = recorded else {
            continue;
        };
        if let Some(c) = &settings.post_hook
            && !commands.iter().any(|(have, _)| have == c)
        {
            commands.push((c.clone(), settings.clone()));
        }
    }
    let mut ran = Vec::new();
    for (command, settings) in commands {
        ran.push(csrkit_apply::post_hook(&command, &renewed, &failed, &settings, reporter).await);
    }
    ran
}

/// How the in-process sandbox is set up to renew a directory it issued.
fn setup(j: &Journal) -> SandboxSetup {
    let mut zones: Vec<String> = j.domains.iter().map(|d| zone_of(d)).collect();
    zones.sort();
    zones.dedup();
    SandboxSetup {
        zones,
        verify: j.dns.is_some(),
        resolver: None,
        http_via: None,
        product_codes: vec![j.product_code.clone()],
    }
}

/// Whether the directory publishes through the in-process sandbox's own
/// Alibaba Cloud DNS (whose DNS server's address changes from run to run).
fn own_sandbox_dns(j: &Journal) -> bool {
    matches!(
        j.dns.as_ref().map(|d| &d.publisher),
        Some(csrkit_dns::ProviderSpec::Alidns { endpoint }) if endpoint == SANDBOX_LABEL
    )
}

/// 0 when nothing failed; 5 when some failed and others succeeded; else
/// the first failure's own code; the signal's when interrupted.
fn exit_code(lines: &[Line], post: &[HookRun], interrupted: bool) -> u8 {
    if interrupted {
        return crate::signals::exit_code();
    }
    let mut failures: Vec<u8> = lines
        .iter()
        .filter_map(|l| l.failure())
        .map(|f| f.0)
        .collect();
    failures.extend(
        post.iter()
            .filter(|h| h.failure.is_some())
            .map(|_| exit::USAGE),
    );
    match failures.first() {
        None => exit::OK,
        Some(_) if lines.iter().any(Line::succeeded) => exit::SOME_FAILED,
        Some(code) => *code,
    }
}

fn reason_name(r: Reason) -> &'static str {
    match r {
        Reason::LifetimeThird => "lifetime_third",
        Reason::Days(_) => "days",
        Reason::Forced => "forced",
        Reason::NoCertificate => "no_certificate",
        Reason::InFlight => "in_flight",
        _ => "not_due",
    }
}

fn outcome_name(l: &Line) -> &'static str {
    match &l.result {
        Err(_) => "failed",
        Ok(o) => match o.action {
            RenewAction::Renewed { .. } => "renewed",
            RenewAction::WouldRenew => "would_renew",
            RenewAction::HooksRan => "hooks_ran",
            _ => "not_due",
        },
    }
}

pub(crate) fn hook_json(h: &HookRun) -> Value {
    json!({
        "command": h.command,
        "ok": h.failure.is_none(),
        "error": h.failure.as_ref().map(|f| f.message.clone()),
        "stderr": h.failure.as_ref().map(|f| f.stderr.clone()),
    })
}

fn line_json(l: &Line) -> Value {
    let mut v = json!({
        "dir": l.dir,
        "domains": l.domains,
        "outcome": outcome_name(l),
        "error": l.failure().map(|f| f.1),
        "exit_code": l.failure().map(|f| f.0),
    });
    renewal_json(&mut v, l.decision.as_ref(), l.result.as_ref().ok());
    v
}

/// A renewal's fields of a certificate's JSON (`csrkit.renew/1`'s, also in
/// `csrkit.fleet/1` for `renew --manifest`): `reason`, `not_before`,
/// `not_after`, `days_left` (of the certificate that was serving),
/// `generation`, `order_id`, `cert_id`, `new_not_after`, `deploy_hook`,
/// `deployment`, `pruned`.
pub(crate) fn renewal_json(v: &mut Value, decision: Option<&Decision>, o: Option<&RenewOutcome>) {
    let current = decision.and_then(|d| d.current.as_ref());
    let fields = json!({
        "reason": decision.map(|d| reason_name(d.reason)),
        "not_before": current.map(|c| c.not_before.clone()),
        "not_after": current.map(|c| c.not_after.clone()),
        "days_left": current.map(|c| c.days_left()),
        "generation": null,
        "order_id": null,
        "cert_id": null,
        "new_not_after": null,
        "deploy_hook": null,
        "deployment": null,
        "pruned": [],
    });
    if let (Some(map), Value::Object(fields)) = (v.as_object_mut(), fields) {
        map.extend(fields);
    }
    if let Some(o) = o {
        if let RenewAction::Renewed { generation: g } = &o.action {
            v["generation"] = json!(g.number);
            v["order_id"] = json!(g.order_id);
            v["cert_id"] = json!(g.cert_id);
            v["new_not_after"] = json!(g.not_after);
        }
        v["deploy_hook"] = o
            .follow_ups
            .deploy_hook
            .as_ref()
            .map_or(Value::Null, hook_json);
        v["deployment"] = o.follow_ups.deployment.as_ref().map_or(Value::Null, |d| {
            json!({
                "targets": d.targets,
                "ok": d.failure.is_none(),
                "error": d.failure.as_ref().map(|f| f.message.clone()),
                "resources": d.report.as_ref().map(|r| r.resources.clone()),
            })
        });
        v["pruned"] = json!(o.pruned);
    }
}

/// The line a person reads for one directory.
fn line_human(l: &Line) -> String {
    let dir = l.dir.display();
    let extra = match &l.result {
        Ok(o) => o.error().map(|e| format!("; but {e}")).unwrap_or_default(),
        Err(_) => String::new(),
    };
    match &l.result {
        Err(e) => format!("{dir}: failed: {e:#}"),
        Ok(o) => match &o.action {
            RenewAction::Renewed { generation: g } => {
                let why = l.decision.as_ref().map(render::reason).unwrap_or_default();
                format!(
                    "{dir}: renewed ({why}): generation {}, order {}, expires {}{extra}",
                    g.number, g.order_id, g.not_after
                )
            }
            RenewAction::WouldRenew => format!(
                "{dir}: due ({}): would renew",
                l.decision.as_ref().map(render::reason).unwrap_or_default()
            ),
            RenewAction::HooksRan => match &o.follow_ups.deploy_hook {
                Some(_) => format!("{dir}: deploy hook ran{extra}"),
                None => format!("{dir}: no deploy hook recorded (--deploy-hook CMD records one)"),
            },
            _ => format!(
                "{dir}: not due ({}){extra}",
                l.decision.as_ref().map(render::reason).unwrap_or_default()
            ),
        },
    }
}

fn report(args: &Args, lines: &[Line], post: &[HookRun], code: u8) -> anyhow::Result<()> {
    let count = |name: &str| lines.iter().filter(|l| outcome_name(l) == name).count();
    match args.format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.renew/1",
            "dry_run": args.connection.dry_run,
            "certificates": lines.iter().map(line_json).collect::<Vec<_>>(),
            "post_hooks": post.iter().map(hook_json).collect::<Vec<_>>(),
            "summary": {
                "renewed": count("renewed"),
                "not_due": count("not_due"),
                "would_renew": count("would_renew"),
                "failed": lines.iter().filter(|l| l.failure().is_some()).count(),
            },
            "exit_code": code,
        })),
        Format::Human => {
            for l in lines {
                outln!("{}", line_human(l));
            }
            for h in post {
                match &h.failure {
                    None => outln!("post hook `{}` ran", h.command),
                    Some(f) => outln!("{}", f.to_error()),
                }
            }
            if args.connection.dry_run {
                eprintln!("--dry-run: nothing was sent and nothing was written");
            }
            Ok(())
        }
    }
}
