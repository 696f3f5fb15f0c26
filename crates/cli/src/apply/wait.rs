//! Following an order: describe it, record what is seen, and with `--wait`
//! poll with backoff until it is issued, fails, or the time is up.
//!
//! Polling starts at about 10 s and grows by half each time to 60 s, each
//! interval jittered by ±20 % so that many certificates waited on together
//! do not poll in step (the sandbox, which answers in milliseconds, is
//! polled from 0.2 s to 2 s). Ctrl-C or SIGTERM stops the wait at once with
//! the journal saved (exit 130), even while a poll is in flight.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use csrkit_submit::{CertificateState, Client, OrderId, StateType};

use super::Args;
use super::journal::{JOURNAL_FILE, Journal};
use crate::cmd::status::describe;
use crate::cmd::verification::Publish;
use crate::exit;
use crate::output::Format;

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

/// Describes the order, records it, and with `--wait` polls until a final
/// state or the timeout. Returns the last state seen. Ctrl-C or SIGTERM
/// stops it at once, abandoning a poll in flight (it only reads).
pub(super) async fn follow(
    client: &Client,
    order_id: OrderId,
    dir: &Path,
    j: &mut Journal,
    args: &Args,
    fast: bool,
) -> anyhow::Result<CertificateState> {
    let stop = interrupted();
    tokio::pin!(stop);
    let mut state = tokio::select! {
        s = describe_and_record(client, order_id, dir, j) => s.map_err(|e| gone(e, order_id, dir))?,
        () = &mut stop => return Err(interrupted_error(order_id, dir)),
    };
    if !args.wait || is_final(&state.state) {
        return Ok(state);
    }

    // Show what to publish now: the wait may be long.
    if let Some(p) = state
        .verification()
        .and_then(|v| Publish::new(&v, j.domains.first().map(String::as_str)))
    {
        eprint!("{}", p.human());
    }
    let started = Instant::now();
    // parse_duration refused a timeout that does not fit.
    let deadline = started
        .checked_add(args.wait_timeout)
        .unwrap_or(started + Duration::from_secs(86_400 * 366));
    let mut backoff = Backoff::new(fast);
    let spinner = (std::io::stderr().is_terminal() && args.format == Format::Human).then(|| {
        let pb = indicatif::ProgressBar::new_spinner();
        pb.enable_steady_tick(Duration::from_millis(120));
        pb
    });
    let mut failures = 0;
    let outcome = loop {
        let now = Instant::now();
        if now >= deadline {
            break Ok(());
        }
        let pause = backoff.step().min(deadline - now);
        let message = format!(
            "order {order_id}: {} ({}), {} elapsed, next check in {}s",
            state.state,
            describe(&state.state),
            elapsed(started.elapsed()),
            pause.as_secs()
        );
        match &spinner {
            Some(pb) => pb.set_message(message),
            None => eprintln!("{message}"),
        }
        // The poll is read-only: a signal abandons it at once.
        let polled = tokio::select! {
            r = async {
                tokio::time::sleep(pause).await;
                describe_and_record(client, order_id, dir, j).await
            } => r,
            () = &mut stop => break Err(interrupted_error(order_id, dir)),
        };
        match polled {
            Ok(s) => {
                failures = 0;
                state = s;
            }
            Err(e) => {
                failures += 1;
                if failures >= MAX_POLL_FAILURES {
                    break Err(e.context(format!(
                        "polling order {order_id} failed {failures} times in a row; state saved: \
                         run apply again to resume"
                    )));
                }
                continue;
            }
        }
        if is_final(&state.state) {
            break Ok(());
        }
    };
    if let Some(pb) = spinner {
        pb.finish_and_clear();
    }
    outcome.map(|()| state)
}

/// Resolves on Ctrl-C or SIGTERM. Once polled, the handlers replace the
/// default ones (which would end the process mid-write).
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        match term {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn interrupted_error(order_id: OrderId, dir: &Path) -> anyhow::Error {
    exit::fail(
        exit::INTERRUPTED,
        format!(
            "interrupted while waiting for order {order_id}; state saved in {}: run apply again \
             to resume",
            dir.join(JOURNAL_FILE).display()
        ),
    )
}

/// An order the service no longer has (deleted after a cancel): say how to
/// go on.
fn gone(e: anyhow::Error, order_id: OrderId, dir: &Path) -> anyhow::Error {
    let not_found = e
        .downcast_ref::<csrkit_submit::Error>()
        .and_then(csrkit_submit::Error::code)
        == Some("NotFoundOrder");
    if !not_found {
        return e;
    }
    exit::fail(
        exit::REFUSED,
        format!(
            "order {order_id} no longer exists at the service (deleted, e.g. by `csrkit cancel \
             --delete`). To order a certificate for this directory again: `csrkit apply \
             --out-dir {} --new-order`",
            dir.display()
        ),
    )
}

/// States after which waiting is pointless.
fn is_final(state: &StateType) -> bool {
    matches!(
        state,
        StateType::Certificate | StateType::VerifyFail | StateType::Payed
    )
}

async fn describe_and_record(
    client: &Client,
    order_id: OrderId,
    dir: &Path,
    j: &mut Journal,
) -> anyhow::Result<CertificateState> {
    let state = client.describe_certificate_state(order_id).await?;
    let mut changed = j.see(state.state.as_str());
    if let Some(p) = state
        .verification()
        .and_then(|v| Publish::new(&v, j.domains.first().map(String::as_str)))
    {
        let v = Some(p.to_json());
        if j.verification != v {
            j.verification = v;
            changed = true;
        }
    }
    if changed {
        j.save(dir)?;
    }
    Ok(state)
}

fn elapsed(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
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
