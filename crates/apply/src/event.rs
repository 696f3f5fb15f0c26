//! What the engine reports while it works ([`Event`]), and to whom
//! ([`Reporter`]). The engine never prints: the CLI turns events into lines,
//! a spinner or nothing; a Rust program does what it likes with them; tests
//! assert on the sequence.

use std::path::PathBuf;
use std::time::Duration;

use csrkit_submit::{OrderId, StateType};

use crate::hooks::{DeploymentRun, HookRun};
use crate::journal::PublishedRecord;
use crate::publish_text::Publish;
use crate::renew::Decision;

/// A step of the lifecycle (DESIGN.md "The apply engine").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Step {
    /// The key and CSR, linted.
    Lint,
    /// The quota checked before a Create.
    Quota,
    /// The order placed (`CreateCertificateWithCsrRequest`).
    Create,
    /// An earlier Create of unknown outcome looked up.
    Reconcile,
    /// The validation record (or file) published.
    Publish,
    /// The record seen by every authoritative server.
    Propagation,
    /// The CA followed until it issues, fails or the time is up.
    Wait,
    /// The issued certificate checked against the key and the names.
    Verify,
    /// The new generation written and switched to.
    Install,
    /// What was published removed again.
    Cleanup,
    /// The order withdrawn (`csrkit cancel`).
    Cancel,
    /// The deploy hook run.
    DeployHook,
    /// The certificate deployed to the recorded targets.
    Deployment,
}

impl Step {
    /// A short name: `lint`, `quota`, `create`, `reconcile`, `publish`,
    /// `propagation`, `wait`, `verify`, `install`, `cleanup`, `cancel`,
    /// `deploy-hook`, `deployment`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Lint => "lint",
            Step::Quota => "quota",
            Step::Create => "create",
            Step::Reconcile => "reconcile",
            Step::Publish => "publish",
            Step::Propagation => "propagation",
            Step::Wait => "wait",
            Step::Verify => "verify",
            Step::Install => "install",
            Step::Cleanup => "cleanup",
            Step::Cancel => "cancel",
            Step::DeployHook => "deploy-hook",
            Step::Deployment => "deployment",
        }
    }
}

/// Something the engine did or saw.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// A step began.
    StepStarted {
        /// Which.
        step: Step,
    },
    /// A step ended well.
    StepFinished {
        /// Which.
        step: Step,
    },
    /// The lint found something (at any severity). An [`crate::Error::Lint`]
    /// follows when it stops the order.
    LintFindings {
        /// The CSR, as the findings name it.
        csr: String,
        /// The report.
        report: csrkit_validate::Report,
    },
    /// Something worth telling (an order found by reconcile, a migration).
    Notice {
        /// The sentence.
        message: String,
    },
    /// Something that needs the user's attention but does not stop the run
    /// (a unit of quota still held by a replaced order, a record that could
    /// not be removed yet).
    Warning {
        /// The sentence.
        message: String,
    },
    /// An order was placed.
    OrderPlaced {
        /// Its id.
        order_id: OrderId,
    },
    /// The order was described.
    StateSeen {
        /// The order.
        order_id: OrderId,
        /// Its state.
        state: StateType,
        /// What the CA wants published, while it validates.
        publish: Option<Publish>,
    },
    /// Nobody publishes for csrkit (`--dns manual`): this is what to publish
    /// by hand before the CA can validate.
    PublishByHand {
        /// The record or file.
        publish: Publish,
    },
    /// A record (or file) is published; the journal says so.
    RecordPublished {
        /// The journal's entry.
        record: PublishedRecord,
    },
    /// Progress of the propagation check.
    Propagation(csrkit_dns::propagation::Event),
    /// Waiting for the CA: the next look in `next_check`.
    Waiting {
        /// The order.
        order_id: OrderId,
        /// Its state.
        state: StateType,
        /// Since the wait began.
        elapsed: Duration,
        /// Until the next look.
        next_check: Duration,
    },
    /// A new generation was installed and `current` switched to it.
    Installed {
        /// The generation's number.
        generation: u32,
        /// The full chain, through the directory's stable name.
        fullchain: PathBuf,
        /// The leaf's notAfter (RFC 3339).
        not_after: String,
        /// Days from now to notAfter.
        days_left: i64,
    },
    /// A published record (or file) was removed.
    CleanedUp {
        /// The journal's entry, with `removed_at` set.
        record: PublishedRecord,
    },
    /// A deploy or post hook ran (successfully or not).
    HookRan {
        /// What ran and how it ended.
        hook: HookRun,
    },
    /// Progress of a deployment to the recorded targets.
    Deployment(csrkit_deploy::Event),
    /// A deployment to the recorded targets ended (successfully or not).
    Deployed {
        /// What ran and how it ended.
        run: DeploymentRun,
    },
    /// `renew` decided whether a certificate is due.
    RenewalDecided {
        /// The directory.
        dir: PathBuf,
        /// The decision.
        decision: Decision,
    },
    /// Old generations were removed (`renew --keep`).
    Pruned {
        /// The directory.
        dir: PathBuf,
        /// The generations removed.
        generations: Vec<u32>,
    },
}

/// Receives the engine's events. Any `FnMut(Event) + Send` closure is one.
pub trait Reporter: Send {
    /// One event.
    fn report(&mut self, event: Event);
}

impl<F: FnMut(Event) + Send> Reporter for F {
    fn report(&mut self, event: Event) {
        self(event)
    }
}
