//! `csrkit renew --manifest FILE`: the manifest's certificates that are due
//! renewed through the fleet runner (`csrkit_apply::fleet::RenewJob`), with
//! the bounded concurrency, the shared per-action rate limiter, the
//! progress, the summary table and the `csrkit.fleet/1` document of `apply
//! --manifest` ([`crate::fleet`]); then the post hooks once.
//!
//! Every certificate's local half (the lock, the decision, the new key and
//! CSR linted, the entry's hooks and deployment targets recorded) runs
//! before a credential is read; a run where nothing is due connects to
//! nothing.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use csrkit_apply::fleet::{Certificate, FleetOptions, FleetReport, RenewJob, Verdict};
use csrkit_apply::{
    Category, HookRun, Journal, Manifest, RenewalChanges, Request, ValidationSettings,
};
use csrkit_submit::RateLimiter;

use super::{Args, random_sleep, rule};
use crate::apply::{alidns_default, contact_from};
use crate::cmd::connection::runtime_for_fleet;
use crate::fleet::{Connection, FleetProgress, Requests, exit_code, print_report};
use crate::settings::Settings;

/// Runs `csrkit renew --manifest PATH`.
pub(super) fn run(
    args: &Args,
    path: &Path,
    settings: &Settings,
    changes: RenewalChanges,
) -> anyhow::Result<ExitCode> {
    let manifest = Manifest::load(path)?;
    for w in &manifest.warnings {
        eprintln!("warning: {w}");
    }
    let certificates = certificates(args, settings, changes, &manifest)?;
    // What the journals record for the service (read without credentials).
    let label = args.connection.options()?.endpoint.url();
    let mut options = FleetOptions::default();
    options.concurrency = NonZeroUsize::new(usize::try_from(args.concurrency).unwrap_or(1))
        .unwrap_or(NonZeroUsize::MIN);
    let mut job = RenewJob::default();
    job.rule = rule(args);
    job.keep = args.keep;
    job.wait = args
        .wait_timeout
        .unwrap_or(csrkit_apply::DEFAULT_RENEW_WAIT);
    job.wait_by_hand = args.wait_timeout.is_some();
    job.dry_run = args.connection.dry_run;
    // One instant decides for the whole fleet.
    job.clock = Some(SystemTime::now());
    let names = certificates.iter().map(|c| c.name.clone()).collect();
    let limiter = RateLimiter::new(NonZeroU32::new(args.rate).unwrap_or(NonZeroU32::MIN));
    let rt = runtime_for_fleet(options.concurrency.get())?;
    let ran = rt.block_on(async {
        let dirs: Vec<PathBuf> = certificates
            .iter()
            .map(|c| c.request.dir.clone())
            .filter(|d| Journal::load(d).is_ok_and(|j| j.is_some()))
            .collect();
        if let Some(code) = random_sleep(args, &dirs, &job.rule).await {
            return Ok::<_, anyhow::Error>(Ran::Stopped(code));
        }
        let mut progress = FleetProgress::new(args.format, names);
        let (report, interrupt) = crate::fleet::run(
            job,
            certificates,
            &label,
            &options,
            &Connection {
                args: &args.connection,
                limiter: &limiter,
                fast_on_loopback: true,
            },
            &mut progress,
        )
        .await?;
        progress.finish();
        // Interrupted (Ctrl-C, systemd stopping the unit): no post hook.
        let post = match args.connection.dry_run || interrupt.fired() || interrupted(&report) {
            true => Vec::new(),
            false => post_hooks(&report, args).await,
        };
        Ok(Ran::Done(report, post))
    })?;
    let (report, post) = match ran {
        Ran::Stopped(code) => return Ok(ExitCode::from(code)),
        Ran::Done(report, post) => (report, post),
    };
    let requests = Requests {
        command: "renew",
        rate: args.rate,
        stats: limiter.stats(),
    };
    print_report(&report, path, &requests, &post, args.format)?;
    if args.connection.dry_run && args.format == crate::output::Format::Human {
        eprintln!("--dry-run: nothing was sent and nothing was written");
    }
    Ok(exit_code(&report, &post))
}

/// How the run ended.
enum Ran {
    /// A signal during the random delay: its exit code.
    Stopped(u8),
    /// The fleet's report and the post hooks that ran.
    Done(FleetReport, Vec<HookRun>),
}

fn interrupted(report: &FleetReport) -> bool {
    report.certificates.iter().any(|c| {
        c.error
            .as_deref()
            .is_some_and(|e| e.category() == Category::Interrupted)
    })
}

/// The post hooks recorded in the directories that were due (renewed or
/// failed), each distinct one once.
async fn post_hooks(report: &FleetReport, args: &Args) -> Vec<HookRun> {
    let attempted: Vec<(PathBuf, bool)> = report
        .certificates
        .iter()
        .filter(|c| matches!(c.verdict, Verdict::Renewed | Verdict::Failed))
        .map(|c| (c.dir.clone(), c.verdict == Verdict::Renewed))
        .collect();
    if attempted.is_empty() {
        return Vec::new();
    }
    let mut progress = crate::progress::Progress::new(args.format);
    let ran = super::post_hooks(&attempted, &mut progress).await;
    progress.finish();
    ran
}

/// Each entry's request: the command line's flags as the base, the entry's
/// settings over them.
fn certificates(
    args: &Args,
    settings: &Settings,
    changes: RenewalChanges,
    manifest: &Manifest,
) -> anyhow::Result<Vec<Certificate>> {
    let mut base = Request::new(".");
    base.key_type = args.key_type;
    base.contact = contact_from([&None, &None, &None], settings, false);
    base.key_passphrase = std::env::var("CSRKIT_KEY_PASSPHRASE")
        .ok()
        .filter(|p| !p.is_empty())
        .map(zeroize::Zeroizing::new);
    base.policy = settings.policy.clone();
    base.allow = args.allow.clone();
    base.lock_timeout = args.lock_timeout;
    base.renewal = changes;
    let flags = ValidationSettings::default();
    manifest
        .certificates
        .iter()
        .map(|entry| {
            let r = entry.request(&base, &flags, alidns_default(false))?;
            Ok(Certificate::new(entry.name.clone(), r))
        })
        .collect()
}
