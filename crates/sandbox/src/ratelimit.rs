//! The service's flow control (`--rate-limit N`): at most N requests per action per second,
//! shared by every credential of the account, as the quota table says ("10/1 s" per API;
//! dimension `regionId, API, ParentUid`: every RAM user and AccessKey of one account share it;
//! reference `renewal-and-fleet.md` 3). A request over the limit is answered
//! `Throttling.User`, HTTP 400, "Request was denied due to user flow control.", and does not
//! count against the limit.
//!
//! The reference does not say how the gateway measures a second (a sliding window, a token
//! bucket); the sandbox counts per calendar second (Unix time), which never lets more than N
//! through within one second and always lets N through, so a client that paces itself at N per
//! second is never refused.

use std::collections::HashMap;

/// Requests admitted per action in the current second.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    windows: HashMap<&'static str, (i64, u32)>,
}

impl RateLimiter {
    /// Whether a request for `action` at Unix second `second` is within `limit`; counts it if
    /// it is.
    pub(crate) fn admit(&mut self, action: &'static str, second: i64, limit: u32) -> bool {
        let (window, count) = self.windows.entry(action).or_insert((second, 0));
        if *window != second {
            *window = second;
            *count = 0;
        }
        if *count >= limit {
            return false;
        }
        *count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::RateLimiter;

    #[test]
    fn n_per_action_per_second() {
        let mut r = RateLimiter::default();
        let admitted = |r: &mut RateLimiter, action, second| {
            (0..10).filter(|_| r.admit(action, second, 3)).count()
        };
        assert_eq!(admitted(&mut r, "A", 100), 3);
        assert_eq!(
            admitted(&mut r, "B", 100),
            3,
            "each action has its own count"
        );
        assert_eq!(admitted(&mut r, "A", 101), 3, "a new second starts afresh");
        assert!(!r.admit("A", 101, 3));
    }
}
