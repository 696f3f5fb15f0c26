//! Following an order: describe it and record what is seen, and wait for
//! the CA with backoff until it issues, fails, or the time is up.
//!
//! Polling starts at about 10 s and grows by half each time to 60 s, each
//! interval jittered by ±20 % so that many certificates waited on together
//! do not poll in step (a sandbox, which answers in milliseconds, is polled
//! from 0.2 s to 2 s). The caller's interrupt stops the wait at once with
//! the journal saved, even while a poll is in flight (it only reads).

use std::path::Path;
use std::time::{Duration, Instant};

use csrkit_submit::{CertificateState, Client, OrderId, StateType};

use crate::error::{Error, Result};
use crate::event::{Event, Reporter, Step};
use crate::journal::{JOURNAL_FILE, Journal};
use crate::publish_text::Publish;
use crate::request::Interrupt;

/// Consecutive failed polls tolerated before giving up (each poll already
/// retries inside the client).
const MAX_POLL_FAILURES: u32 = 5;

/// The polling schedule.
#[derive(Debug, Clone, Copy)]
struct Backoff {
    next: Duration,
    cap: Duration,
}

impl Backoff {
    fn new(fast: bool) -> Backoff {
        if fast {
            Backoff {
                next: Duration::from_millis(200),
                cap: Duration::from_secs(2),
            }
        } else {
            Backoff {
                next: Duration::from_secs(10),
                cap: Duration::from_secs(60),
            }
        }
    }

    /// The next interval, jittered, and the schedule advanced.
    fn step(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 3 / 2).min(self.cap);
        base.mul_f64(rand::random_range(0.8..1.2))
    }
}

/// States after which waiting is pointless.
pub(crate) fn is_final(state: &StateType) -> bool {
    matches!(
        state,
        StateType::Certificate | StateType::VerifyFail | StateType::Payed
    )
}

/// What the CA asks to publish, with the full names.
pub(crate) fn publish_of(state: &CertificateState, j: &Journal) -> Option<Publish> {
    state
        .verification()
        .and_then(|v| Publish::new(&v, j.domains.first().map(String::as_str)))
}

/// Describes the order and records the state and what to publish (the
/// journal is saved when either changed).
pub(crate) async fn describe(
    client: &Client,
    order_id: OrderId,
    dir: &Path,
    j: &mut Journal,
    reporter: &mut dyn Reporter,
) -> Result<CertificateState> {
    let state = client
        .describe_certificate_state(order_id)
        .await
        .map_err(|e| gone(e, order_id, dir))?;
    let mut changed = j.see(state.state.as_str());
    let publish = publish_of(&state, j);
    if let Some(p) = &publish {
        let v = Some(p.to_json());
        if j.verification != v {
            j.verification = v;
            changed = true;
        }
    }
    if changed {
        j.save(dir)?;
    }
    reporter.report(Event::StateSeen {
        order_id,
        state: state.state.clone(),
        publish,
    });
    Ok(state)
}

/// Polls until a final state, `wait` has passed, or the interrupt fires.
/// Returns the last state seen.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn wait_for_ca(
    client: &Client,
    order_id: OrderId,
    dir: &Path,
    j: &mut Journal,
    mut state: CertificateState,
    wait: Duration,
    fast: bool,
    interrupt: Option<&mut Interrupt>,
    reporter: &mut dyn Reporter,
) -> Result<CertificateState> {
    if is_final(&state.state) {
        return Ok(state);
    }
    reporter.report(Event::StepStarted { step: Step::Wait });
    let mut stop = interrupt;
    let started = Instant::now();
    let deadline = started
        .checked_add(wait)
        .unwrap_or(started + Duration::from_secs(86_400 * 366));
    let mut backoff = Backoff::new(fast);
    let mut failures = 0;
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(state);
        }
        let pause = backoff.step().min(deadline - now);
        reporter.report(Event::Waiting {
            order_id,
            state: state.state.clone(),
            elapsed: started.elapsed(),
            next_check: pause,
        });
        // The poll is read-only: an interrupt abandons it at once.
        let poll = async {
            // A certificate of a fleet gives its place back while it sleeps.
            crate::fleet::idle(tokio::time::sleep(pause)).await;
            describe(client, order_id, dir, j, reporter).await
        };
        let polled = match stop.as_deref_mut() {
            Some(i) => tokio::select! {
                r = poll => r,
                () = i.wait() => return Err(interrupted(order_id, dir)),
            },
            None => poll.await,
        };
        match polled {
            Ok(s) => {
                failures = 0;
                state = s;
            }
            Err(e @ Error::Refused { .. }) => return Err(e),
            Err(e) => {
                failures += 1;
                if failures >= MAX_POLL_FAILURES {
                    return Err(Error::unavailable(format!(
                        "polling order {order_id} failed {failures} times in a row ({e}); state \
                         saved: run apply again to resume"
                    )));
                }
                continue;
            }
        }
        if is_final(&state.state) {
            reporter.report(Event::StepFinished { step: Step::Wait });
            return Ok(state);
        }
    }
}

/// The error of an interrupted wait.
pub(crate) fn interrupted(order_id: OrderId, dir: &Path) -> Error {
    Error::Interrupted {
        message: format!(
            "interrupted while waiting for order {order_id}; state saved in {}: run apply again \
             to resume",
            dir.join(JOURNAL_FILE).display()
        ),
    }
}

/// An order the service no longer has (deleted after a cancel): say how to
/// go on.
fn gone(e: csrkit_submit::Error, order_id: OrderId, dir: &Path) -> Error {
    if e.code() != Some("NotFoundOrder") {
        return e.into();
    }
    Error::refused(format!(
        "order {order_id} no longer exists at the service (deleted, e.g. by `csrkit cancel \
         --delete`). To order a certificate for this directory again: `csrkit apply --out-dir {} \
         --new-order`",
        dir.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_the_cap_with_jitter() {
        let mut b = Backoff::new(false);
        let steps: Vec<Duration> = (0..8).map(|_| b.step()).collect();
        assert!(steps[0] >= Duration::from_secs(8) && steps[0] <= Duration::from_secs(12));
        for s in &steps[5..] {
            assert!(
                *s >= Duration::from_secs(48) && *s <= Duration::from_secs(72),
                "{s:?}"
            );
        }
    }
}
