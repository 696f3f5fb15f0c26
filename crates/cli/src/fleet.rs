//! A fleet's events and result as people and scripts see them (`apply
//! --manifest`, `renew --manifest`): on a terminal one bar for the fleet and
//! a line per finished certificate on stderr; elsewhere the lines alone.
//! The result goes to stdout: a summary table, or one `csrkit.fleet/1`
//! document.
//!
//! JSON: `{"schema": "csrkit.fleet/1", "command": "apply"|"renew",
//! "manifest", "certificates": [{ name, dir, outcome, order_id, not_after,
//! error }], "summary": { total, issued, unchanged, renewed, not_due,
//! would_renew, not_issued, pending, failed, elapsed_ms, rate_per_second,
//! throttled, requests: { ACTION: { sent, throttled } } }}`. For `renew`
//! each certificate also carries `csrkit.renew/1`'s fields (`reason`,
//! `days_left`, `generation`, `cert_id`, `new_not_after`, `deploy_hook`,
//! `deployment`, `pruned`; its `not_after` stays the certificate's after
//! the run) and the document `post_hooks[] { command, ok, error, stderr }`.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use csrkit_apply::fleet::{
    self, Certificate, CertificateResult, FleetEvent, FleetOptions, FleetReport, FleetReporter,
    Job, Verdict,
};
use csrkit_apply::{Event, HookRun, Interrupt};
use csrkit_submit::{ActionStats, RateLimiter};
use serde_json::json;

use crate::cmd::connection::ConnectionArgs;
use crate::output::{Format, outln, print_json};

/// Renders a fleet's events on stderr.
pub(crate) struct FleetProgress {
    bar: Option<indicatif::ProgressBar>,
    names: Vec<String>,
    width: usize,
    failed: usize,
    in_flight: usize,
}

impl FleetProgress {
    /// A bar when stderr is a terminal and the output is for people.
    pub(crate) fn new(format: Format, names: Vec<String>) -> FleetProgress {
        let bar = (std::io::stderr().is_terminal() && format == Format::Human).then(|| {
            let pb = indicatif::ProgressBar::new(names.len() as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {pos}/{len} {msg}",
            ) {
                pb.set_style(style.progress_chars("=> "));
            }
            pb.set_message("checking locally");
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        });
        let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
        FleetProgress {
            bar,
            names,
            width: width.min(40),
            failed: 0,
            in_flight: 0,
        }
    }

    /// A line that stays.
    fn line(&self, text: &str) {
        match &self.bar {
            Some(pb) => pb.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    fn name(&self, index: usize) -> &str {
        self.names.get(index).map_or("?", String::as_str)
    }

    fn message(&self) {
        if let Some(pb) = &self.bar {
            let failed = match self.failed {
                0 => String::new(),
                n => format!(", {n} failed"),
            };
            pb.set_message(format!("{} in progress{failed}", self.in_flight));
        }
    }

    /// Clears the bar (before the result is printed).
    pub(crate) fn finish(&mut self) {
        if let Some(pb) = self.bar.take() {
            pb.finish_and_clear();
        }
    }

    fn certificate(&mut self, index: usize, event: Event) {
        let name = self.name(index).to_owned();
        match event {
            Event::Warning { message } => self.line(&format!("{name}: warning: {message}")),
            Event::Notice { message } => self.line(&format!("{name}: {message}")),
            Event::LintFindings { csr, report } => {
                let text = csrkit_validate::render::human(&[(csr.as_str(), report)], false);
                self.line(&format!("{name}: lint findings:\n{}", text.trim_end()));
            }
            _ => {}
        }
    }
}

impl Drop for FleetProgress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl FleetReporter for FleetProgress {
    fn report(&mut self, event: FleetEvent) {
        match event {
            FleetEvent::Certificate { index, event } => self.certificate(index, event),
            FleetEvent::Checked { total, ready } => {
                if ready < total {
                    self.line(&format!(
                        "{total} certificates checked locally; {ready} need the service"
                    ));
                }
                self.message();
            }
            FleetEvent::Started { .. } => {
                self.in_flight += 1;
                self.message();
            }
            FleetEvent::Finished { index: _, result } => {
                if result.verdict == Verdict::Failed {
                    self.failed += 1;
                }
                self.line(&finished_line(&result, self.width));
                if let Some(pb) = &self.bar {
                    pb.inc(1);
                }
                self.in_flight = self.in_flight.saturating_sub(1);
                self.message();
            }
            _ => {}
        }
    }
}

/// `shop  issued  order 1234  expires 2027-02-25T20:50:40Z`, or the error.
fn finished_line(r: &CertificateResult, width: usize) -> String {
    let mut line = format!("{:width$}  {}", r.name, r.verdict.as_str());
    if let Some(id) = &r.order_id {
        line.push_str(&format!("  order {id}"));
    }
    if let Some(t) = &r.not_after {
        line.push_str(&format!("  expires {t}"));
    }
    if let Some(e) = &r.error {
        line.push_str(&format!(": {}", message(e)));
    }
    line
}

/// An error with its causes (`could not write certs/a: Permission denied`),
/// each said once.
fn message(e: &csrkit_apply::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// Where a fleet's requests go.
pub(crate) struct Connection<'a> {
    /// The connection flags.
    pub(crate) args: &'a ConnectionArgs,
    /// The rate limiter every request of the fleet goes through.
    pub(crate) limiter: &'a RateLimiter,
    /// Poll a sandbox on a loopback address in milliseconds (as `csrkit
    /// renew` does).
    pub(crate) fast_on_loopback: bool,
}

/// Runs `job` over `certificates` (on the current tokio runtime): the
/// interrupt wired to Ctrl-C and SIGTERM, every local check, then, when a
/// certificate needs the service, one connection whose client takes the
/// rate limiter, and the network half. Returns the report and the
/// interrupt (fired or not).
pub(crate) async fn run<J: Job>(
    job: J,
    certificates: Vec<Certificate>,
    label: &str,
    options: &FleetOptions,
    connection: &Connection<'_>,
    progress: &mut FleetProgress,
) -> anyhow::Result<(FleetReport, Interrupt)> {
    let (trigger, interrupt) = Interrupt::new();
    tokio::spawn(async move {
        crate::signals::interrupted().await;
        trigger.fire();
    });
    let certificates = certificates
        .into_iter()
        .map(|mut c| {
            c.request.interrupt = Some(interrupt.clone());
            c
        })
        .collect();
    // Every local check before a credential is read.
    let checked = fleet::check(job, certificates, label, options, progress);
    if checked.ready() == 0 {
        return Ok((checked.finish(), interrupt));
    }
    let mut client = connection.args.options()?;
    client.rate_limiter = Some(connection.limiter.clone());
    let mut connected = crate::service::connect_endpoint_with(connection.args, client)?;
    if connection.fast_on_loopback && connected.service.client().endpoint().is_loopback() {
        connected.service = connected.service.with_fast_polling();
    }
    let report = checked.run(&connected.service, options, progress).await;
    Ok((report, interrupt))
}

/// What the client's rate limiter saw.
pub(crate) struct Requests {
    /// `apply` or `renew`.
    pub(crate) command: &'static str,
    /// The limit, per second per action.
    pub(crate) rate: u32,
    /// Per action.
    pub(crate) stats: BTreeMap<String, ActionStats>,
}

/// Prints the result on stdout: the summary table or the JSON document.
pub(crate) fn print_report(
    report: &FleetReport,
    manifest: &Path,
    requests: &Requests,
    post: &[HookRun],
    format: Format,
) -> anyhow::Result<()> {
    let throttled: u64 = requests.stats.values().map(|s| s.throttled).sum();
    let renew = requests.command == "renew";
    match format {
        Format::Json => print_json(&json!({
            "schema": "csrkit.fleet/1",
            "command": requests.command,
            "manifest": manifest,
            "certificates": report.certificates.iter().map(|c| {
                let mut v = json!({
                    "name": c.name,
                    "dir": c.dir,
                    "outcome": c.verdict.as_str(),
                    "error": c.error.as_deref().map(message),
                });
                if renew {
                    let o = c.renewal.as_deref();
                    crate::cmd::renew::renewal_json(&mut v, o.map(|o| &o.decision), o);
                }
                v["order_id"] = json!(c.order_id);
                v["not_after"] = json!(c.not_after);
                v
            }).collect::<Vec<_>>(),
            "post_hooks": post.iter().map(crate::cmd::renew::hook_json).collect::<Vec<_>>(),
            "summary": {
                "total": report.certificates.len(),
                "issued": report.count(Verdict::Issued),
                "unchanged": report.count(Verdict::Unchanged),
                "renewed": report.count(Verdict::Renewed),
                "not_due": report.count(Verdict::NotDue),
                "would_renew": report.count(Verdict::WouldRenew),
                "not_issued": report.count(Verdict::NotIssued),
                "pending": report.count(Verdict::Pending),
                "failed": report.count(Verdict::Failed),
                "elapsed_ms": u64::try_from(report.elapsed.as_millis()).unwrap_or(u64::MAX),
                "rate_per_second": requests.rate,
                "throttled": throttled,
                "requests": requests.stats.iter().map(|(action, s)| {
                    (action.clone(), json!({ "sent": s.sent, "throttled": s.throttled }))
                }).collect::<serde_json::Map<_, _>>(),
            },
        }))?,
        Format::Human => {
            let name_w = report
                .certificates
                .iter()
                .map(|c| c.name.chars().count())
                .chain([4])
                .max()
                .unwrap_or(4);
            outln!(
                "{:name_w$}  {:11}  {:20}  {:20}  ERROR",
                "NAME",
                "OUTCOME",
                "ORDER",
                "EXPIRES"
            );
            for c in &report.certificates {
                let error = c.error.as_deref().map(message).unwrap_or_default();
                outln!(
                    "{:name_w$}  {:11}  {:20}  {:20}  {}",
                    c.name,
                    c.verdict.as_str(),
                    c.order_id.as_deref().unwrap_or("-"),
                    c.not_after.as_deref().unwrap_or("-"),
                    error.replace('\n', " ")
                );
            }
            let counts: Vec<String> = [
                Verdict::Issued,
                Verdict::Unchanged,
                Verdict::Renewed,
                Verdict::NotDue,
                Verdict::WouldRenew,
                Verdict::NotIssued,
                Verdict::Pending,
                Verdict::Failed,
            ]
            .into_iter()
            .filter_map(|v| match report.count(v) {
                0 => None,
                n => Some(format!("{n} {}", v.as_str().replace('_', " "))),
            })
            .collect();
            let sent: u64 = requests.stats.values().map(|s| s.sent).sum();
            outln!(
                "\n{} certificates: {} in {:.1}s; {sent} requests at up to {}/s per action, \
                 {throttled} throttled",
                report.certificates.len(),
                counts.join(", "),
                report.elapsed.as_secs_f64(),
                requests.rate,
            );
            if report.count(Verdict::NotIssued) > 0 {
                outln!(
                    "not issued: no certificate was ever installed in their directories; \
                     `csrkit apply --manifest {}` orders them (or finishes their orders)",
                    manifest.display()
                );
            }
            for h in post {
                match &h.failure {
                    None => outln!("post hook `{}` ran", h.command),
                    Some(f) => outln!("{}", f.to_error()),
                }
            }
        }
    }
    Ok(())
}

/// The exit code of a fleet (DESIGN.md "Errors and exit codes"): 0 when
/// nothing failed; when every certificate failed for the same kind of
/// reason, that reason's code; a post hook that failed after a run where
/// no certificate did, 2 (as `csrkit renew`); otherwise 5.
pub(crate) fn exit_code(report: &FleetReport, post: &[HookRun]) -> ExitCode {
    let failed: Vec<u8> = report
        .certificates
        .iter()
        .filter_map(|c| c.error.as_deref())
        .map(crate::exit::engine_code)
        .collect();
    let post_failed = post.iter().any(|h| h.failure.is_some());
    let interrupted = report.certificates.iter().any(|c| {
        c.error
            .as_deref()
            .is_some_and(|e| e.category() == csrkit_apply::Category::Interrupted)
    });
    let code = match failed.first() {
        None if post_failed => crate::exit::USAGE,
        None => crate::exit::OK,
        Some(_) if interrupted => crate::signals::exit_code(),
        Some(first)
            if !post_failed
                && failed.len() == report.certificates.len()
                && failed.iter().all(|c| c == first) =>
        {
            *first
        }
        Some(_) => crate::exit::SOME_FAILED,
    };
    ExitCode::from(code)
}
