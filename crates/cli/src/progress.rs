//! The engine's events as people see them, on stderr: on a terminal a
//! spinner carries what is in progress and lines say what happened;
//! elsewhere (a log, a pipe, a test) every event that says something is a
//! line. Nothing goes to stdout: that is for the result.

use std::io::IsTerminal;
use std::time::Duration;

use csrkit_apply::{Event, Reporter, Step};
use csrkit_dns::propagation::Event as Propagation;

use crate::output::Format;
use crate::render;

/// Renders events on stderr.
pub(crate) struct Progress {
    spinner: Option<indicatif::ProgressBar>,
    /// The last state seen, to say when it changes.
    state: Option<csrkit_submit::StateType>,
}

impl Progress {
    /// A spinner when stderr is a terminal and the output is for people.
    pub(crate) fn new(format: Format) -> Progress {
        let spinner = (std::io::stderr().is_terminal() && format == Format::Human).then(|| {
            let pb = indicatif::ProgressBar::new_spinner();
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        Progress {
            spinner,
            state: None,
        }
    }

    /// A line that stays.
    fn line(&self, text: &str) {
        match &self.spinner {
            Some(pb) => pb.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }

    /// Text that stays, as it is (it ends with a newline).
    fn block(&self, text: &str) {
        match &self.spinner {
            Some(pb) => pb.suspend(|| eprint!("{text}")),
            None => eprint!("{text}"),
        }
    }

    /// What is going on now: the spinner's message, or a line.
    fn status(&self, text: String) {
        match &self.spinner {
            Some(pb) => pb.set_message(text),
            None => eprintln!("{text}"),
        }
    }

    /// Clears the spinner (before the result is printed).
    pub(crate) fn finish(&mut self) {
        if let Some(pb) = self.spinner.take() {
            pb.finish_and_clear();
        }
    }

    /// A line when the order's state changes (after the first look).
    fn state_seen(&mut self, order_id: csrkit_submit::OrderId, state: csrkit_submit::StateType) {
        use csrkit_submit::StateType as S;
        let before = self.state.replace(state.clone());
        let Some(before) = before.filter(|b| *b != state) else {
            return;
        };
        if before == S::DomainVerify && matches!(state, S::Process | S::Certificate) {
            self.line(&format!("order {order_id}: the CA validated the domain"));
        }
        self.line(&format!(
            "order {order_id}: {state} ({})",
            render::describe(&state)
        ));
    }

    fn propagation(&self, e: Propagation) {
        match e {
            Propagation::CnameFollowed { from, to } => {
                self.line(&format!("{from} is an alias of {to}: checking {to}"));
            }
            Propagation::Servers { zone, servers } => {
                let whom = match zone {
                    Some(z) => format!("the nameservers of {z} answer"),
                    None => "the resolver answers".to_owned(),
                };
                self.line(&format!(
                    "checking that {whom} with the value: {}",
                    servers.join(", ")
                ));
            }
            Propagation::ServersUnknown { detail } => {
                self.status(format!("the nameservers are not known yet: {detail}"));
            }
            Propagation::Checked {
                server,
                attempt,
                seen,
                answer,
            } => {
                let verdict = if seen { "has it" } else { "not yet" };
                self.status(format!("  {server} {verdict} (check {attempt}): {answer}"));
            }
            Propagation::Waiting { attempt, delay } => self.status(format!(
                "not everywhere yet after check {attempt}; checking again in {}s",
                delay.as_secs_f64().ceil()
            )),
            Propagation::Propagated { name, elapsed } => self.line(&format!(
                "propagated: {name} is seen everywhere ({})",
                elapsed_text(elapsed)
            )),
            _ => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Reporter for Progress {
    fn report(&mut self, event: Event) {
        match event {
            Event::LintFindings { csr, report } => self.block(&csrkit_validate::render::human(
                &[(csr.as_str(), report)],
                false,
            )),
            Event::Notice { message } => self.line(&message),
            Event::Warning { message } => self.line(&format!("warning: {message}")),
            Event::OrderPlaced { order_id } => self.line(&format!("order {order_id} placed")),
            Event::PublishByHand { publish } => self.block(&render::publish_human(&publish)),
            Event::RecordPublished { record } => {
                self.line(&format!("published {}", render::record_line(&record)));
            }
            Event::Propagation(e) => self.propagation(e),
            Event::Waiting {
                order_id,
                state,
                elapsed,
                next_check,
            } => self.status(format!(
                "order {order_id}: {state} ({}), {} elapsed, next check in {}s",
                render::describe(&state),
                elapsed_text(elapsed),
                next_check.as_secs()
            )),
            Event::StateSeen {
                order_id, state, ..
            } => self.state_seen(order_id, state),
            Event::Installed { generation, .. } => {
                self.line(&format!("installed as generation {generation}"));
            }
            Event::CleanedUp { record } => {
                self.line(&format!("removed {}", render::record_line(&record)));
            }
            Event::StepStarted { step } => {
                if let Some(what) = doing(step) {
                    self.status(what.to_owned());
                }
            }
            Event::RenewalDecided { dir, decision } if decision.due => {
                self.line(&format!(
                    "{}: due ({}): renewing",
                    dir.display(),
                    render::reason(&decision)
                ));
            }
            Event::HookRan { hook } => self.hook(&hook),
            Event::Deployment(e) => {
                if let Some(text) = crate::cmd::deploy::progress_line(&e) {
                    self.line(&text);
                }
            }
            Event::Deployed { run } => match &run.failure {
                None => self.line(&format!(
                    "deployed {} to {}",
                    run.dir.display(),
                    run.targets.join(", ")
                )),
                Some(f) => self.line(&format!("error: {}", f.message)),
            },
            Event::Pruned { dir, generations } => {
                let list: Vec<String> = generations.iter().map(u32::to_string).collect();
                self.line(&format!(
                    "{}: removed generation(s) {} (--keep)",
                    dir.display(),
                    list.join(", ")
                ));
            }
            _ => {}
        }
    }
}

impl Progress {
    /// A hook's outcome: what it printed, indented; when it failed, why
    /// and the end of its stderr.
    fn hook(&self, hook: &csrkit_apply::HookRun) {
        let on = hook
            .dir
            .as_ref()
            .map(|d| format!(" for {}", d.display()))
            .unwrap_or_default();
        match &hook.failure {
            None => self.line(&format!(
                "{} hook `{}`{on} ran",
                hook.kind.as_str(),
                hook.command
            )),
            Some(f) => self.line(&format!("error: {}", f.message)),
        }
        let mut shown = String::new();
        for l in hook.stdout.lines().take(20) {
            shown.push_str(&format!("  | {l}\n"));
        }
        if let Some(f) = &hook.failure {
            for l in f.stderr.lines() {
                shown.push_str(&format!("  ! {l}\n"));
            }
        }
        if !shown.is_empty() {
            self.block(&shown);
        }
    }
}

/// What the spinner says while a step runs (the steps that take time).
fn doing(step: Step) -> Option<&'static str> {
    Some(match step {
        Step::Create => "placing the order…",
        Step::Reconcile => "looking for the order an earlier run placed…",
        Step::Publish => "publishing the validation record…",
        Step::Propagation => "checking that the record propagated…",
        Step::Cleanup => "removing the validation record…",
        Step::DeployHook => "running the deploy hook…",
        Step::Deployment => "deploying to the recorded targets…",
        _ => return None,
    })
}

/// `42s`, `3m07s`, `1h05m`.
pub(crate) fn elapsed_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}
