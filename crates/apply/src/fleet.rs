//! Many certificates at once, at the API's rate limit: the runner behind
//! `csrkit apply --manifest` and `csrkit renew --manifest`.
//!
//! A fleet runs in two halves, as one certificate does:
//!
//! 1. [`check`]: every certificate's local half ([`Job::check`]: the names,
//!    the key and CSR, the lint, the provider's settings, the directory and
//!    its lock) before a single request is sent for any of them. A
//!    certificate that fails here is reported and left out; one that needs
//!    nothing from the service (already issued, not due) is settled here.
//! 2. [`Checked::run`]: the network half ([`Job::run`]) of the others, at
//!    most `concurrency` certificates worked on at once. Every request of
//!    every certificate goes through the service's client, and so through
//!    its [`csrkit_submit::RateLimiter`] when it has one: the account stays
//!    under the service's limit however many certificates are in flight.
//!    A certificate waiting for the CA (between two polls) gives its place
//!    back, so a thousand orders may be in flight with sixteen certificates
//!    worked on at once; the polls themselves are jittered (the engine's
//!    backoff) and paced by the rate limiter.
//!
//! One certificate's failure never stops the others: each ends in a
//! [`CertificateResult`], and the fleet in a [`FleetReport`]. Progress is
//! reported as [`FleetEvent`]s (the engine's [`Event`]s of each
//! certificate, tagged with its index); the runner prints nothing.
//!
//! Each certificate keeps its own directory, journal and lock, so a fleet
//! killed at any moment (even `kill -9`) and run again resumes every
//! certificate where its journal says: an order placed is followed, a
//! Create of unknown outcome is looked up, and no certificate is ordered
//! twice.
//!
//! The job is pluggable ([`Job`]): [`ApplyJob`] orders (or resumes) each
//! certificate; [`RenewJob`] decides whether each is due and renews it.

use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};

use crate::engine::{Ending, apply, prepare};
use crate::error::{Error, Result};
use crate::event::{Event, Reporter};
use crate::journal::Journal;
use crate::layout;
use crate::renew::RenewOutcome;
use crate::request::{Interrupt, Request};
use crate::service::Service;

mod renew;
pub use renew::RenewJob;

/// Certificates worked on at once when the caller does not say.
pub const DEFAULT_CONCURRENCY: usize = 16;

/// One certificate of a fleet: its name (a manifest entry's) and the
/// engine's request for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Certificate {
    /// The name shown for it.
    pub name: String,
    /// What to do, and where ([`Request::dir`]).
    pub request: Request,
}

impl Certificate {
    /// A certificate called `name`.
    pub fn new(name: impl Into<String>, request: Request) -> Certificate {
        Certificate {
            name: name.into(),
            request,
        }
    }
}

/// How a certificate of a fleet ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verdict {
    /// Issued and installed by this run.
    Issued,
    /// Issued and installed earlier; nothing was sent.
    Unchanged,
    /// Renewed by this run.
    Renewed,
    /// Not due for renewal; nothing was sent.
    NotDue,
    /// Due for renewal, and a dry run: nothing was sent.
    WouldRenew,
    /// Renewal: no certificate was ever installed in its directory (or
    /// there is no directory); left to `apply`, nothing was sent.
    NotIssued,
    /// Ordered; waiting for a record published by hand.
    Pending,
    /// Failed (see the error).
    Failed,
}

impl Verdict {
    /// `issued`, `unchanged`, `renewed`, `not_due`, `would_renew`,
    /// `not_issued`, `pending`, `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Issued => "issued",
            Verdict::Unchanged => "unchanged",
            Verdict::Renewed => "renewed",
            Verdict::NotDue => "not_due",
            Verdict::WouldRenew => "would_renew",
            Verdict::NotIssued => "not_issued",
            Verdict::Pending => "pending",
            Verdict::Failed => "failed",
        }
    }
}

/// What a [`Job`] reports for a certificate that did not fail.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Done {
    /// How it ended (anything but [`Verdict::Failed`]).
    pub verdict: Verdict,
    /// Its order (a string: it exceeds 2^53).
    pub order_id: Option<String>,
    /// Its certificate's notAfter (RFC 3339), once issued.
    pub not_after: Option<String>,
    /// What a renewal decided and did ([`RenewJob`]).
    pub renewal: Option<Box<RenewOutcome>>,
}

impl Done {
    /// `verdict`, for this order and certificate.
    pub fn new(verdict: Verdict, order_id: Option<String>, not_after: Option<String>) -> Done {
        Done {
            verdict,
            order_id,
            not_after,
            renewal: None,
        }
    }

    /// `verdict` for the order and certificate the journal records.
    pub fn from_journal(verdict: Verdict, j: &Journal) -> Done {
        Done::new(verdict, j.order_id.clone(), j.not_after.clone())
    }
}

/// How one certificate of a fleet ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CertificateResult {
    /// Its name.
    pub name: String,
    /// Its directory.
    pub dir: PathBuf,
    /// How it ended.
    pub verdict: Verdict,
    /// Its order, when one is recorded (also for a failure after the
    /// order was placed).
    pub order_id: Option<String>,
    /// Its certificate's notAfter (RFC 3339), once issued.
    pub not_after: Option<String>,
    /// Why it failed.
    pub error: Option<Arc<Error>>,
    /// What a renewal decided and did ([`RenewJob`]; not for a failure).
    pub renewal: Option<Arc<RenewOutcome>>,
}

impl CertificateResult {
    fn new(cert_name: String, dir: PathBuf, outcome: Result<Done>) -> CertificateResult {
        match outcome {
            Ok(d) => CertificateResult {
                name: cert_name,
                dir,
                verdict: d.verdict,
                order_id: d.order_id,
                not_after: d.not_after,
                error: None,
                renewal: d.renewal.map(|b| Arc::new(*b)),
            },
            Err(e) => {
                // The order, if one was placed before the failure.
                let order_id = Journal::load(&dir).ok().flatten().and_then(|j| j.order_id);
                CertificateResult {
                    name: cert_name,
                    dir,
                    verdict: Verdict::Failed,
                    order_id,
                    not_after: None,
                    error: Some(Arc::new(e)),
                    renewal: None,
                }
            }
        }
    }
}

/// What the runner reports while it works.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum FleetEvent {
    /// An event of the engine for certificate `index` (its position in the
    /// list given to [`check`]).
    Certificate {
        /// Which certificate.
        index: usize,
        /// What happened.
        event: Event,
    },
    /// Every local check is done: `ready` certificates go on to the
    /// service, of `total`.
    Checked {
        /// Certificates in the fleet.
        total: usize,
        /// Those that need the service.
        ready: usize,
    },
    /// Certificate `index` began its network half.
    Started {
        /// Which certificate.
        index: usize,
    },
    /// Certificate `index` is done (also for one settled or refused by its
    /// local checks).
    Finished {
        /// Which certificate.
        index: usize,
        /// How it ended.
        result: CertificateResult,
    },
}

/// Receives a fleet's events (from one task at a time). Any
/// `FnMut(FleetEvent) + Send` closure is one.
pub trait FleetReporter: Send {
    /// One event.
    fn report(&mut self, event: FleetEvent);
}

impl<F: FnMut(FleetEvent) + Send> FleetReporter for F {
    fn report(&mut self, event: FleetEvent) {
        self(event)
    }
}

/// What a fleet does for each certificate: [`ApplyJob`], or a renewal.
pub trait Job: Send + Sync + 'static {
    /// The local half: every check that needs no request (and may write
    /// the directory as [`crate::prepare`] does). `Ok(Some(done))` settles
    /// the certificate without the network half (already issued, not due).
    ///
    /// # Errors
    /// Whatever stops this certificate before the network.
    fn check(
        &self,
        cert: &Certificate,
        label: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Option<Done>>;

    /// The network half.
    ///
    /// # Errors
    /// Whatever stops this certificate.
    fn run(
        &self,
        cert: Certificate,
        service: &Service,
        reporter: &mut dyn Reporter,
    ) -> impl Future<Output = Result<Done>> + Send;
}

/// Orders (or resumes) each certificate and waits for it, as `csrkit
/// apply` does for one; a directory whose order is issued and installed
/// (and whose records are cleaned up) is left alone without a request.
#[derive(Debug, Clone, Copy, Default)]
#[non_exhaustive]
pub struct ApplyJob;

impl Job for ApplyJob {
    fn check(
        &self,
        cert: &Certificate,
        label: &str,
        reporter: &mut dyn Reporter,
    ) -> Result<Option<Done>> {
        let prepared = prepare(cert.request.clone(), label, reporter)?;
        let dir = prepared.dir();
        if cert.request.new_order {
            return Ok(None);
        }
        Ok(Journal::load(dir)?
            .filter(|j| layout::installed(dir, j) && j.live_records().next().is_none())
            .map(|j| Done::from_journal(Verdict::Unchanged, &j)))
    }

    async fn run(
        &self,
        cert: Certificate,
        service: &Service,
        reporter: &mut dyn Reporter,
    ) -> Result<Done> {
        let outcome = apply(cert.request, service, reporter).await?;
        if let Some(e) = outcome.error() {
            return Err(e);
        }
        let verdict = match outcome.ending {
            Ending::Issued => Verdict::Issued,
            _ => Verdict::Pending,
        };
        Ok(Done::from_journal(verdict, &outcome.journal))
    }
}

/// How a fleet runs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FleetOptions {
    /// Certificates worked on at once (`--concurrency`, default
    /// [`DEFAULT_CONCURRENCY`]); one waiting for the CA does not count.
    pub concurrency: NonZeroUsize,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            concurrency: NonZeroUsize::new(DEFAULT_CONCURRENCY).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// How a fleet ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FleetReport {
    /// Every certificate, in the order given.
    pub certificates: Vec<CertificateResult>,
    /// From the start of [`check`] to the end of [`Checked::run`].
    pub elapsed: Duration,
}

impl FleetReport {
    /// How many ended with `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.certificates
            .iter()
            .filter(|c| c.verdict == verdict)
            .count()
    }
}

/// A fleet whose local half is done ([`check`]).
#[derive(Debug)]
pub struct Checked<J> {
    job: Arc<J>,
    ready: Vec<(usize, Certificate)>,
    results: Vec<Option<CertificateResult>>,
    started: Instant,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The local half of every certificate (a few at once), before any request
/// is sent: see the module docs. `label` is what the journals record for
/// the service ([`Service::label`]).
pub fn check<J: Job>(
    job: J,
    certificates: Vec<Certificate>,
    label: &str,
    options: &FleetOptions,
    reporter: &mut dyn FleetReporter,
) -> Checked<J> {
    let started = Instant::now();
    let total = certificates.len();
    let next = AtomicUsize::new(0);
    let outcomes: Vec<Mutex<Option<Result<Option<Done>>>>> =
        (0..total).map(|_| Mutex::new(None)).collect();
    let shared = Mutex::new(&mut *reporter);
    // Each check is mostly the disk (the key, the CSR, the journal, each
    // fsync'd): a few threads overlap them.
    let threads = options.concurrency.get().clamp(1, 8).min(total.max(1));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(cert) = certificates.get(index) else {
                        break;
                    };
                    let mut forward = |event: Event| {
                        lock(&shared).report(FleetEvent::Certificate { index, event });
                    };
                    let outcome = job.check(cert, label, &mut forward);
                    *lock(&outcomes[index]) = Some(outcome);
                }
            });
        }
    });
    let reporter = shared
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut ready = Vec::new();
    let mut results = Vec::with_capacity(total);
    for (index, (cert, outcome)) in certificates.into_iter().zip(outcomes).enumerate() {
        let outcome = outcome
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .unwrap_or_else(|| Err(Error::input("internal: the certificate was not checked")));
        let dir = cert.request.dir.clone();
        let settled = match outcome {
            Ok(None) => {
                ready.push((index, cert));
                results.push(None);
                continue;
            }
            Ok(Some(done)) => Ok(done),
            Err(e) => Err(e),
        };
        let r = CertificateResult::new(cert.name, dir, settled);
        reporter.report(FleetEvent::Finished {
            index,
            result: r.clone(),
        });
        results.push(Some(r));
    }
    reporter.report(FleetEvent::Checked {
        total,
        ready: ready.len(),
    });
    Checked {
        job: Arc::new(job),
        ready,
        results,
        started,
    }
}

tokio::task_local! {
    /// The place in the fleet's concurrency of the certificate this task
    /// works on.
    static SLOT: Slot;
}

/// A certificate's place among the `concurrency` worked on at once.
struct Slot {
    places: Arc<Semaphore>,
    held: Mutex<Option<OwnedSemaphorePermit>>,
}

/// Runs `f` (a pause between two polls of the CA) with this task's place in
/// the fleet given back, and takes a place again afterwards. Outside a
/// fleet it just runs `f`.
pub(crate) async fn idle<F: Future>(f: F) -> F::Output {
    let places = SLOT
        .try_with(|s| {
            drop(lock(&s.held).take());
            Arc::clone(&s.places)
        })
        .ok();
    let out = f.await;
    if let Some(places) = places
        && let Ok(permit) = places.acquire_owned().await
    {
        let _ = SLOT.try_with(|s| *lock(&s.held) = Some(permit));
    }
    out
}

/// Forwards one certificate's engine events to the runner.
struct Forward {
    index: usize,
    tx: mpsc::UnboundedSender<FleetEvent>,
}

impl Reporter for Forward {
    fn report(&mut self, event: Event) {
        let _ = self.tx.send(FleetEvent::Certificate {
            index: self.index,
            event,
        });
    }
}

impl<J: Job> Checked<J> {
    /// How many certificates need the service (none: no need to connect).
    pub fn ready(&self) -> usize {
        self.ready.len()
    }

    /// The report when no certificate needs the service ([`Checked::ready`]
    /// is 0): nothing is sent, no connection is needed. Any certificate
    /// that was ready is reported failed, not run.
    pub fn finish(self) -> FleetReport {
        let Checked {
            ready,
            mut results,
            started,
            ..
        } = self;
        for (index, cert) in ready {
            let error = Error::input("not run: the fleet ended before its network half");
            results[index] = Some(CertificateResult::new(
                cert.name,
                cert.request.dir,
                Err(error),
            ));
        }
        FleetReport {
            certificates: results.into_iter().flatten().collect(),
            elapsed: started.elapsed(),
        }
    }

    /// The network half of every certificate that passed its local checks,
    /// `options.concurrency` at a time, each on its own task of the
    /// current tokio runtime. Returns when every certificate is done.
    pub async fn run(
        self,
        service: &Service,
        options: &FleetOptions,
        reporter: &mut dyn FleetReporter,
    ) -> FleetReport {
        let Checked {
            job,
            ready,
            mut results,
            started,
        } = self;
        let places = Arc::new(Semaphore::new(options.concurrency.get()));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut tasks = tokio::task::JoinSet::new();
        let mut who = HashMap::new();
        for (index, cert) in ready {
            let (job, service, tx) = (Arc::clone(&job), service.clone(), tx.clone());
            let places = Arc::clone(&places);
            let (name, dir) = (cert.name.clone(), cert.request.dir.clone());
            let handle = tasks.spawn(async move {
                let permit = Arc::clone(&places).acquire_owned().await.ok();
                let slot = Slot {
                    places,
                    held: Mutex::new(permit),
                };
                let (name, dir) = (cert.name.clone(), cert.request.dir.clone());
                let interrupted = cert
                    .request
                    .interrupt
                    .as_ref()
                    .is_some_and(Interrupt::fired);
                let outcome = if interrupted {
                    Err(Error::Interrupted {
                        message: format!(
                            "interrupted before {} was started; run the manifest again to go on",
                            dir.display()
                        ),
                    })
                } else {
                    let _ = tx.send(FleetEvent::Started { index });
                    let mut forward = Forward {
                        index,
                        tx: tx.clone(),
                    };
                    SLOT.scope(slot, job.run(cert, &service, &mut forward))
                        .await
                };
                let result = CertificateResult::new(name, dir, outcome);
                let _ = tx.send(FleetEvent::Finished { index, result });
            });
            who.insert(handle.id(), (index, name, dir));
        }
        drop(tx);
        let mut finished = |index: usize, result: CertificateResult, r: &mut dyn FleetReporter| {
            results[index] = Some(result.clone());
            r.report(FleetEvent::Finished { index, result });
        };
        loop {
            tokio::select! {
                biased;
                Some(event) = rx.recv() => match event {
                    FleetEvent::Finished { index, result } => finished(index, result, reporter),
                    other => reporter.report(other),
                },
                joined = tasks.join_next_with_id() => match joined {
                    None => break,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        // A task that panicked or was cancelled: its
                        // certificate failed; the others go on.
                        if let Some((index, name, dir)) = who.remove(&e.id()) {
                            let error = Error::input(format!(
                                "internal error while working on {}: {e}",
                                dir.display()
                            ));
                            finished(index, CertificateResult::new(name, dir, Err(error)), reporter);
                        }
                    }
                },
            }
        }
        while let Ok(event) = rx.try_recv() {
            match event {
                FleetEvent::Finished { index, result } => finished(index, result, reporter),
                other => reporter.report(other),
            }
        }
        FleetReport {
            certificates: results.into_iter().flatten().collect(),
            elapsed: started.elapsed(),
        }
    }
}
