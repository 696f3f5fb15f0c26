//! `csrkit apply --manifest FILE`: the manifest's certificates through the
//! fleet runner (`csrkit_apply::fleet`), rendered by [`crate::fleet`].
//!
//! Every certificate's local checks run before a credential is read or a
//! connection opened; then the certificates that need the service share
//! one client, and with it one rate limiter per API action.

use std::num::{NonZeroU32, NonZeroUsize};
use std::path::Path;
use std::process::ExitCode;

use csrkit_apply::fleet::{ApplyJob, Certificate, FleetOptions};
use csrkit_apply::{Journal, Manifest, Request, Validation};
use csrkit_submit::RateLimiter;

use super::validation::alidns_default;
use super::{Args, label, request};
use crate::cmd::connection::{print_dry_run, runtime_for_fleet};
use crate::fleet::{Connection, FleetProgress, Requests, exit_code, print_report};
use crate::service;
use crate::settings::Settings;

/// Runs `csrkit apply --manifest PATH`.
pub(super) fn run(args: &Args, path: &Path) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.policy.as_deref())?;
    let manifest = Manifest::load(path)?;
    for w in &manifest.warnings {
        eprintln!("warning: {w}");
    }
    let certificates = certificates(args, &settings, &manifest)?;
    let label = label(args)?;
    let mut options = FleetOptions::default();
    options.concurrency = NonZeroUsize::new(usize::try_from(args.concurrency).unwrap_or(1))
        .unwrap_or(NonZeroUsize::MIN);
    if args.connection.dry_run {
        return dry_run(args, &label, &certificates);
    }
    let names = certificates.iter().map(|c| c.name.clone()).collect();
    let mut progress = FleetProgress::new(args.format, names);
    let limiter = RateLimiter::new(NonZeroU32::new(args.rate).unwrap_or(NonZeroU32::MIN));
    let rt = runtime_for_fleet(options.concurrency.get())?;
    let (report, _) = rt.block_on(crate::fleet::run(
        ApplyJob::default(),
        certificates,
        &label,
        &options,
        &Connection {
            args: &args.connection,
            limiter: &limiter,
            fast_on_loopback: false,
        },
        &mut progress,
    ))?;
    progress.finish();
    let requests = Requests {
        command: "apply",
        rate: args.rate,
        stats: limiter.stats(),
    };
    print_report(&report, path, &requests, &[], args.format)?;
    Ok(exit_code(&report, &[]))
}

/// The engine's request of every entry: the command line's flags as the
/// base, the entry's settings over them.
fn certificates(
    args: &Args,
    settings: &Settings,
    manifest: &Manifest,
) -> anyhow::Result<Vec<Certificate>> {
    let base = request(args, settings, Default::default())?;
    let flags = args.validation.settings();
    let mut out = Vec::with_capacity(manifest.certificates.len());
    for entry in &manifest.certificates {
        let mut r = entry.request(&base, &flags, alidns_default(false))?;
        r.wait = waits(args, &r).then_some(args.wait_timeout);
        out.push(Certificate::new(entry.name.clone(), r));
    }
    Ok(out)
}

/// A certificate whose record a provider publishes is waited for; one
/// published by hand only with --wait (its order is placed and the record
/// to publish reported).
fn waits(args: &Args, r: &Request) -> bool {
    if args.wait {
        return true;
    }
    match &r.validation {
        Validation::Provider(_) => true,
        Validation::Manual => false,
        // The journal's choice (read without the lock: only to pick).
        _ => Journal::load(&r.dir)
            .ok()
            .flatten()
            .is_some_and(|j| j.dns.is_some()),
    }
}

/// `--dry-run`: every certificate's requests, nothing sent or written.
fn dry_run(args: &Args, label: &str, certificates: &[Certificate]) -> anyhow::Result<ExitCode> {
    let client = service::dry_run_client(false, &args.connection)?;
    let mut all = Vec::new();
    for c in certificates {
        let mut progress = crate::progress::Progress::new(args.format);
        all.extend(csrkit_apply::dry_run(
            &c.request,
            &client,
            label,
            &mut progress,
        )?);
    }
    print_dry_run(&all, args.format)?;
    Ok(ExitCode::SUCCESS)
}
