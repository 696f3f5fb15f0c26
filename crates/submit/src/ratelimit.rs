//! The client side of the service's flow control: at most N requests per
//! API action per second, shared by every request of every task that holds
//! a clone of the same [`RateLimiter`] (retries included).
//!
//! The service limits each API to about 10 requests per second per account,
//! shared by every AccessKey and RAM user of the account (reference
//! `renewal-and-fleet.md` 3), and answers the excess with
//! `Throttling.User`. A fleet of certificates worked on at once would hit
//! that limit within a second; this keeps it under instead of bouncing off
//! it.
//!
//! Each action has a window of one second: a request may go when fewer
//! than N requests of that action are on their way or were answered less
//! than a window ago. Counting from the *answer* makes the limit hold where
//! the service counts, whatever the delays on the way: the service stamps a
//! request after it was sent and before it answered, so the (N+1)-th
//! request, sent a window after the first was answered, arrives a window
//! after the first was stamped. (Counting from the moment each request was
//! sent is not enough: a request delayed on its way lands in the service's
//! second together with the next N.) What it costs is the round trip: N
//! requests per window plus one answer's latency. Waiting callers are
//! served first come, first served (a fair async mutex per action), so a
//! long queue of polls never starves a newcomer for ever. A `Throttling`
//! answer that still arrives (another program on the same account, a
//! stricter limit than assumed) pauses the action for every caller, for
//! `x-acs-retry-after` or else one window, and is counted.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// How much longer than one second the window is: room for the rounding
/// of the service's clock.
pub const SAFETY_MARGIN: Duration = Duration::from_millis(10);

/// What a [`RateLimiter`] saw for one action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionStats {
    /// Requests let through (every attempt, retries included).
    pub sent: u64,
    /// `Throttling*` answers received.
    pub throttled: u64,
    /// Time callers spent waiting for their turn, all together.
    pub waited: Duration,
}

/// A per-action request limit shared by clones (see the module docs).
///
/// Attach it to a [`crate::Client`] with [`crate::ClientOptions::rate_limiter`];
/// every client made with options holding a clone of it shares the limit.
///
/// ```
/// use csrkit_submit::{ClientOptions, RateLimiter};
/// use std::num::NonZeroU32;
///
/// let limiter = RateLimiter::new(NonZeroU32::new(10).unwrap());
/// let options = ClientOptions {
///     rate_limiter: Some(limiter.clone()),
///     ..ClientOptions::default()
/// };
/// assert_eq!(options.rate_limiter.unwrap().per_second(), 10);
/// assert!(limiter.stats().is_empty());
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    per_window: usize,
    per_second: u32,
    window: Duration,
    actions: Mutex<HashMap<&'static str, Arc<Action>>>,
}

/// One action's window and counters.
#[derive(Default)]
struct Action {
    /// Held by the caller whose turn it is: the others queue in order.
    turn: tokio::sync::Mutex<()>,
    window: Mutex<Window>,
    /// An answer came (a request left the in-flight count).
    answered: tokio::sync::Notify,
    stats: Mutex<ActionStats>,
}

#[derive(Default)]
struct Window {
    /// Requests sent and not answered yet.
    in_flight: usize,
    /// When the answers of the current window came, oldest first.
    answered: VecDeque<Instant>,
    /// No request before this (after a `Throttling` answer).
    paused_until: Option<Instant>,
}

/// What the caller whose turn it is does next.
enum Next {
    Go,
    Sleep(Instant),
    AwaitAnswer,
}

/// A request's place in its action's window, from the moment it may go
/// until it is answered (or given up): drop it when the answer is in.
#[must_use = "the request counts as answered when this is dropped"]
pub struct Ticket {
    action: Arc<Action>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        {
            let mut w = lock(&self.action.window);
            w.in_flight = w.in_flight.saturating_sub(1);
            w.answered.push_back(Instant::now());
        }
        self.action.answered.notify_one();
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RateLimiter {
    /// At most `per_second` requests per action on their way or answered
    /// in the last second plus [`SAFETY_MARGIN`].
    pub fn new(per_second: NonZeroU32) -> RateLimiter {
        RateLimiter::with_window(per_second, Duration::from_secs(1) + SAFETY_MARGIN)
    }

    /// At most `n` requests per action on their way or answered in the
    /// last `window` (tests, and limits that are not per second).
    pub fn with_window(n: NonZeroU32, window: Duration) -> RateLimiter {
        RateLimiter {
            inner: Arc::new(Inner {
                per_window: usize::try_from(n.get()).unwrap_or(usize::MAX),
                per_second: n.get(),
                window,
                actions: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The limit, in requests per action per window.
    pub fn per_second(&self) -> u32 {
        self.inner.per_second
    }

    /// The window.
    pub fn window(&self) -> Duration {
        self.inner.window
    }

    fn action(&self, name: &'static str) -> Arc<Action> {
        Arc::clone(lock(&self.inner.actions).entry(name).or_default())
    }

    /// Waits until a request for `action` may go, and counts it; the
    /// request keeps its place until the [`Ticket`] is dropped (when its
    /// answer is in). Dropping the future gives up the turn without
    /// counting.
    pub async fn acquire(&self, action: &'static str) -> Ticket {
        let a = self.action(action);
        let asked = Instant::now();
        let turn = a.turn.lock().await;
        loop {
            // Registered before the window is read, so an answer that
            // comes in between is not missed.
            let answered = a.answered.notified();
            let next = {
                let now = Instant::now();
                let mut w = lock(&a.window);
                while w
                    .answered
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.inner.window)
                {
                    w.answered.pop_front();
                }
                match (w.paused_until, w.answered.front()) {
                    (Some(until), _) if until > now => Next::Sleep(until),
                    _ if w.in_flight + w.answered.len() < self.inner.per_window => {
                        w.in_flight += 1;
                        Next::Go
                    }
                    (_, Some(oldest)) => Next::Sleep(*oldest + self.inner.window),
                    (_, None) => Next::AwaitAnswer,
                }
            };
            match next {
                Next::Go => break,
                Next::Sleep(until) => tokio::time::sleep_until(until).await,
                Next::AwaitAnswer => answered.await,
            }
        }
        drop(turn);
        {
            let mut s = lock(&a.stats);
            s.sent += 1;
            s.waited += asked.elapsed();
        }
        Ticket { action: a }
    }

    /// Records a `Throttling` answer for `action` and pauses the action for
    /// every caller: for `retry_after` (the service's `x-acs-retry-after`),
    /// else for one window.
    pub fn throttled(&self, action: &'static str, retry_after: Option<Duration>) {
        let a = self.action(action);
        let until = Instant::now() + retry_after.unwrap_or(self.inner.window);
        {
            let mut w = lock(&a.window);
            if w.paused_until.is_none_or(|p| p < until) {
                w.paused_until = Some(until);
            }
        }
        lock(&a.stats).throttled += 1;
    }

    /// What was seen so far, per action.
    pub fn stats(&self) -> BTreeMap<String, ActionStats> {
        lock(&self.inner.actions)
            .iter()
            .map(|(name, a)| ((*name).to_owned(), *lock(&a.stats)))
            .collect()
    }

    /// `Throttling*` answers received, all actions together.
    pub fn throttled_total(&self) -> u64 {
        self.stats().values().map(|s| s.throttled).sum()
    }
}

impl fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_window", &self.inner.per_window)
            .field("window", &self.inner.window)
            .finish_non_exhaustive()
    }
}

/// Two limiters are equal when they are clones of one another (they share
/// the limit).
impl PartialEq for RateLimiter {
    fn eq(&self, other: &RateLimiter) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for RateLimiter {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn limiter(n: u32, window_ms: u64) -> RateLimiter {
        RateLimiter::with_window(
            NonZeroU32::new(n).unwrap(),
            Duration::from_millis(window_ms),
        )
    }

    /// The most requests whose service-side stamps (anywhere between
    /// sent and answered) can fall into one window.
    fn most_in_one_window(times: &[(Duration, Duration)], window: Duration) -> usize {
        times
            .iter()
            .map(|(_, x)| {
                times
                    .iter()
                    .filter(|(sent, answered)| answered >= x && *sent < *x + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    /// At most n per window per action where the service counts, across
    /// tasks, with answers that take different times; measured on tokio's
    /// paused clock, so the bound is exact and the test instant.
    #[tokio::test(start_paused = true)]
    async fn never_more_than_n_per_window_where_the_service_counts() {
        let l = limiter(3, 1000);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for i in 0..40u64 {
            let l = l.clone();
            let action = if i % 4 == 0 { "B" } else { "A" };
            tasks.push(tokio::spawn(async move {
                let ticket = l.acquire(action).await;
                let sent = Instant::now() - start;
                // The answer takes 0 to 90 ms.
                tokio::time::sleep(Duration::from_millis(i % 10 * 10)).await;
                drop(ticket);
                (action, sent, Instant::now() - start)
            }));
        }
        let mut times: BTreeMap<&str, Vec<(Duration, Duration)>> = BTreeMap::new();
        for t in tasks {
            let (a, sent, answered) = t.await.unwrap();
            times.entry(a).or_default().push((sent, answered));
        }
        for (action, at) in &times {
            let most = most_in_one_window(at, Duration::from_millis(1000));
            assert_eq!(most, 3, "{action}: {at:?}");
        }
        // Not much slower than the limit either: 30 A's in 10 windows, each
        // a second plus an answer's time.
        let last = times["A"].iter().map(|(sent, _)| *sent).max().unwrap();
        assert!(
            last >= Duration::from_secs(9) && last < Duration::from_millis(9 * 1090 + 1),
            "{last:?}"
        );
        let stats = l.stats();
        assert_eq!(stats["A"].sent, 30);
        assert_eq!(stats["B"].sent, 10);
    }

    /// Counting from the moment a request was sent would let three slow
    /// answers share the service's second with the next three: here they
    /// take 600 ms, and the fourth goes a window after they came.
    #[tokio::test(start_paused = true)]
    async fn slow_answers_hold_their_places_until_they_are_in() {
        let l = limiter(3, 1000);
        let start = Instant::now();
        let slow = (
            l.acquire("A").await,
            l.acquire("A").await,
            l.acquire("A").await,
        );
        let fourth = {
            let l = l.clone();
            tokio::spawn(async move {
                let _t = l.acquire("A").await;
                Instant::now() - start
            })
        };
        tokio::time::sleep(Duration::from_millis(600)).await;
        drop(slow);
        assert_eq!(fourth.await.unwrap(), Duration::from_millis(1600));
    }

    #[tokio::test(start_paused = true)]
    async fn a_throttled_answer_pauses_the_action_for_everyone_and_is_counted() {
        let l = limiter(100, 1000);
        let start = Instant::now();
        drop(l.acquire("A").await);
        l.throttled("A", Some(Duration::from_secs(3)));
        drop(l.acquire("A").await);
        assert_eq!(Instant::now() - start, Duration::from_secs(3));
        l.throttled("A", None);
        drop(l.acquire("A").await);
        assert_eq!(Instant::now() - start, Duration::from_secs(4));
        // Another action is not paused.
        l.throttled("A", Some(Duration::from_secs(60)));
        drop(l.acquire("B").await);
        assert_eq!(Instant::now() - start, Duration::from_secs(4));
        assert_eq!(l.stats()["A"].throttled, 3);
        assert_eq!(l.throttled_total(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_are_served_in_the_order_they_came() {
        let l = limiter(1, 100);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (l, order) = (l.clone(), Arc::clone(&order));
            tasks.push(tokio::spawn(async move {
                let _t = l.acquire("A").await;
                lock(&order).push(i);
            }));
            // Each task reaches the queue before the next is spawned.
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(*lock(&order), (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn clones_are_equal_and_others_are_not() {
        let a = limiter(1, 1);
        assert_eq!(a, a.clone());
        assert_ne!(a, limiter(1, 1));
    }
}
