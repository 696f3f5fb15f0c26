//! Authentication as the service does it: V3 (`ACS3-HMAC-SHA256`, `Authorization` header) or V1
//! (HMAC-SHA1, `Signature` parameter), the clock window, replayed nonces and STS tokens.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasher as _;

use hyper::HeaderMap;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::canon::{self, RawPair};
use crate::config::Credentials;
use crate::wire::ApiError;

/// Remembers every accepted nonce until its own request could no longer be replayed (its date
/// plus the clock window), up to a fixed number of them.
///
/// Only a keyed 64-bit hash of each nonce is kept (about 40 bytes an entry with the expiry
/// index); a false "replay" needs a 64-bit collision among the nonces remembered. Entries
/// leave only when they expire, so a nonce that was not seen is never called a replay (the
/// earlier design forgot the oldest entries when full and then refused every request dated no
/// later than them: one client with a fast clock made every correctly clocked client fail with
/// `SignatureNonceUsed`, attack-sandbox F15). When the store is full of unexpired nonces, new
/// requests are refused as *throttled* ([`Insert::Full`], with the seconds until the earliest
/// entry expires) instead: the honest answer to more requests in one window than the sandbox
/// keeps.
#[derive(Debug)]
pub(crate) struct NonceStore {
    seen: HashMap<u64, i64>,
    /// The same entries, earliest expiry first.
    expiries: BinaryHeap<Reverse<(i64, u64)>>,
    hasher: std::collections::hash_map::RandomState,
    capacity: usize,
}

/// What [`NonceStore::insert`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Insert {
    /// Not seen before: recorded.
    Fresh,
    /// Seen before, and its request is still inside the clock window.
    Replay,
    /// The store is full of unexpired nonces; the first one leaves in this many seconds.
    Full { retry_after_secs: u64 },
}

impl NonceStore {
    /// A store remembering at most `capacity` nonces (at least one).
    pub(crate) fn new(capacity: usize) -> NonceStore {
        NonceStore {
            seen: HashMap::new(),
            expiries: BinaryHeap::new(),
            hasher: std::collections::hash_map::RandomState::new(),
            capacity: capacity.max(1),
        }
    }

    /// Records `key`, usable until `expires` (unix seconds), at time `now`.
    pub(crate) fn insert(&mut self, key: &str, expires: i64, now: i64) -> Insert {
        while let Some(&Reverse((exp, k))) = self.expiries.peek() {
            if exp >= now {
                break;
            }
            self.expiries.pop();
            if self.seen.get(&k) == Some(&exp) {
                self.seen.remove(&k);
            }
        }
        let key = self.hasher.hash_one(key);
        if self.seen.get(&key).is_some_and(|exp| *exp >= now) {
            return Insert::Replay;
        }
        if self.seen.len() >= self.capacity {
            let earliest = self.expiries.peek().map_or(now, |r| r.0.0);
            return Insert::Full {
                retry_after_secs: u64::try_from(earliest - now + 1).unwrap_or(1).max(1),
            };
        }
        self.seen.insert(key, expires);
        self.expiries.push(Reverse((expires, key)));
        Insert::Fresh
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// Which signature scheme a request uses. The `Authorization` header decides: with it the
/// request is V3 and its operation is the signed `x-acs-action` header; without it, V1, and its
/// operation is the signed `Action` parameter. A header a scheme does not sign never chooses
/// what runs (attack-sandbox F01).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// `ACS3-HMAC-SHA256` in the `Authorization` header.
    V3,
    /// HMAC-SHA1 in the `Signature` parameter.
    V1,
}

impl Scheme {
    pub(crate) fn of(headers: &HeaderMap) -> Scheme {
        if headers.contains_key(hyper::header::AUTHORIZATION) {
            Scheme::V3
        } else {
            Scheme::V1
        }
    }
}

/// The V1 signature parameters: a V3 request carrying any of them mixes the two schemes.
const V1_PARAMS: [&str; 6] = [
    "Signature",
    "SignatureMethod",
    "SignatureVersion",
    "SignatureNonce",
    "AccessKeyId",
    "Timestamp",
];

/// A request as the verifier sees it.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// The raw query's pairs (V3 signs only these).
    pub(crate) query: &'a [RawPair],
    /// Query and form-body pairs (V1 signs all of them).
    pub(crate) params: &'a [RawPair],
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
    /// The `host` values that name this endpoint (`IP:PORT` of the address the client
    /// connected to, and `localhost:PORT` on loopback).
    pub(crate) hosts: &'a [String],
}

/// Who signed, and the nonce to record once everything else passed.
pub(crate) struct Verified {
    pub(crate) nonce_key: String,
    pub(crate) nonce_expires: i64,
}

/// The clock windows: V3 `x-acs-date` within `v3_secs` of the server's time (reference 2.1:
/// 15 minutes), V1 `Timestamp` within `v1_secs` (reference 2.2: "valid for 31 minutes").
#[derive(Debug, Clone, Copy)]
pub(crate) struct Windows {
    pub(crate) v3_secs: i64,
    pub(crate) v1_secs: i64,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// A parameter's value, if present and UTF-8.
fn param<'a>(p: &'a [RawPair], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(n, _)| n.as_slice() == name.as_bytes())
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

fn has_param(p: &[RawPair], name: &str) -> bool {
    p.iter().any(|(n, _)| n.as_slice() == name.as_bytes())
}

fn incomplete(why: &str) -> ApiError {
    ApiError::new(
        400,
        "IncompleteSignature",
        format!("The request signature does not conform to Aliyun standards: {why}."),
    )
}

/// The secret for a key id, with the STS token it requires if any.
fn lookup<'c>(
    id: &str,
    account: &'c Credentials,
    sts: Option<&'c Credentials>,
) -> Result<&'c Credentials, ApiError> {
    if id == account.access_key_id() {
        return Ok(account);
    }
    if let Some(s) = sts.filter(|s| s.access_key_id() == id) {
        return Ok(s);
    }
    Err(ApiError::new(
        404,
        "InvalidAccessKeyId.NotFound",
        format!(
            "Specified access key is not found: \"{id}\". Use the sandbox's access key id (CSRKIT_SANDBOX_ACCESS_KEY_ID, default sandbox-access-key-id)."
        ),
    ))
}

/// `yyyy-MM-ddTHH:mm:ssZ` and nothing else (reference 2.1): digits where digits belong, these
/// separators, UTC. Week dates, fractions and offsets are refused (attack-sandbox F08).
fn exact_timestamp(value: &str) -> Option<OffsetDateTime> {
    let b = value.as_bytes();
    let shape = b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape {
        return None;
    }
    OffsetDateTime::parse(value, &Rfc3339).ok()
}

fn check_time(
    value: &str,
    name: &str,
    now: OffsetDateTime,
    window_secs: i64,
) -> Result<i64, ApiError> {
    let Some(t) = exact_timestamp(value) else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            format!(
                "Specified time stamp or date value is not well formatted: {name} is {value:?}; use UTC yyyy-MM-ddTHH:mm:ssZ."
            ),
        ));
    };
    let ts = t.unix_timestamp();
    if (ts - now.unix_timestamp()).abs() > window_secs {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired: {name} {value} is more than {} minutes from the server time {}. Fix the clock.",
                window_secs / 60,
                now.replace_nanosecond(0)
                    .unwrap_or(now)
                    .format(&Rfc3339)
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(ts)
}

fn check_token(creds: &Credentials, sent: Option<&str>, name: &str) -> Result<(), ApiError> {
    let Some(expected) = creds.security_token() else {
        return Ok(());
    };
    match sent {
        None | Some("") => Err(ApiError::new(
            400,
            "MissingSecurityToken",
            format!(
                "SecurityToken is mandatory for this action: the access key {} is an STS key; send its token in {name}.",
                creds.access_key_id()
            ),
        )),
        Some(t) if canon::ct_eq(t, expected) => Ok(()),
        Some(_) => Err(ApiError::new(
            400,
            "InvalidSecurityToken.MismatchWithAccessKey",
            format!(
                "The security token in {name} does not belong to the access key {}.",
                creds.access_key_id()
            ),
        )),
    }
}

/// The `host` header must name this endpoint, as the gateway routes by it (reference 2.1:
/// "endpoint host, including :port if non-default"). The reference does not say what the
/// service answers for another host (the request would not reach CAS); the sandbox answers
/// `Sandbox.InvalidHost` (400), its own code.
fn check_host(req: &Incoming<'_>) -> Result<(), ApiError> {
    let mut all = req.headers.get_all(hyper::header::HOST).iter();
    let Some(host) = all.next() else {
        return Err(ApiError::missing("host"));
    };
    if all.next().is_some() {
        return Err(ApiError::new(
            400,
            "Sandbox.InvalidHost",
            "The request has more than one host header; send one.",
        ));
    }
    let host = host.to_str().unwrap_or("");
    if req.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Ok(());
    }
    let hint = if host.contains("://") {
        " It holds a URL: give the SDK its endpoint as host:port without a scheme (Config(endpoint='127.0.0.1:PORT', protocol='http'))."
    } else {
        ""
    };
    Err(ApiError::new(
        400,
        "Sandbox.InvalidHost",
        format!(
            "The host header {host:?} does not name this endpoint ({}); send the host[:port] the request goes to.{hint}",
            req.hosts.join(" or ")
        ),
    ))
}

/// Checks a request's signature by its [`Scheme`]. The nonce is only *returned*: the caller
/// records it (after all checks passed), so that a rejected request does not burn its nonce.
pub(crate) fn verify(
    req: &Incoming<'_>,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    windows: Windows,
) -> Result<Verified, ApiError> {
    match Scheme::of(req.headers) {
        Scheme::V3 => verify_v3(req, account, sts, now, windows.v3_secs),
        Scheme::V1 => verify_v1(req, account, sts, now, windows.v1_secs),
    }
}

/// Headers a V3 request must carry and sign.
const V3_REQUIRED: [&str; 6] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
];

/// Headers that must be signed whenever present (reference 2.1 and the V3 document: every
/// `x-acs-*` header, `host` and `content-type`).
fn must_be_signed(name: &str) -> bool {
    name.starts_with("x-acs-") || name == "host" || name == "content-type"
}

fn verify_v3(
    req: &Incoming<'_>,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    window_secs: i64,
) -> Result<Verified, ApiError> {
    let auth = header(req.headers, "authorization")
        .ok_or_else(|| incomplete("the Authorization header is not text"))?;
    let parsed = canon::parse_authorization(auth).map_err(|why| incomplete(&why))?;
    if parsed.algorithm != "ACS3-HMAC-SHA256" {
        return Err(ApiError::new(
            400,
            "InvalidSignatureMethod",
            format!(
                "Specified signature method is not valid: {:?}; the sandbox verifies ACS3-HMAC-SHA256 (V3) and HMAC-SHA1 (V1).",
                parsed.algorithm
            ),
        ));
    }
    canon::check_signed_headers(&parsed.signed_headers).map_err(|why| incomplete(&why))?;
    if let Some(p) = V1_PARAMS.iter().find(|p| has_param(req.query, p)) {
        return Err(incomplete(&format!(
            "the request has a V3 Authorization header and the V1 parameter {p}; sign with one scheme"
        )));
    }
    let signed = |name: &str| parsed.signed_headers.iter().any(|h| h == name);
    let mut required: Vec<&str> = V3_REQUIRED.to_vec();
    if header(req.headers, "x-acs-security-token").is_some() {
        required.push("x-acs-security-token");
    }
    for name in required {
        if header(req.headers, name).is_none() {
            return Err(ApiError::missing(name));
        }
        if !signed(name) {
            return Err(incomplete(&format!(
                "the header {name} is not in SignedHeaders ({})",
                parsed.signed_headers.join(";")
            )));
        }
    }
    if let Some(name) = req
        .headers
        .keys()
        .map(hyper::header::HeaderName::as_str)
        .find(|n| must_be_signed(n) && !signed(n))
    {
        return Err(incomplete(&format!(
            "the header {name} is sent but not in SignedHeaders ({}); every x-acs-* header, host and content-type that is sent must be signed",
            parsed.signed_headers.join(";")
        )));
    }
    for name in &parsed.signed_headers {
        match req.headers.get_all(name.as_str()).iter().count() {
            1 => {}
            0 => {
                return Err(incomplete(&format!(
                    "SignedHeaders names {name}, which the request does not carry"
                )));
            }
            _ => {
                return Err(incomplete(&format!(
                    "the signed header {name} is sent more than once"
                )));
            }
        }
        if header(req.headers, name).is_none() {
            return Err(incomplete(&format!(
                "the signed header {name} is not text (visible ASCII)"
            )));
        }
    }
    check_host(req)?;
    let nonce = header(req.headers, "x-acs-signature-nonce").unwrap_or_default();
    if nonce.trim().is_empty() {
        return Err(ApiError::missing("x-acs-signature-nonce"));
    }
    let sent_hash = header(req.headers, "x-acs-content-sha256").unwrap_or_default();
    let body_hash = canon::sha256_hex(req.body);
    if sent_hash != body_hash {
        // The reference (2.1) defines the header as the lowercase hex SHA-256 of the body, and
        // signs the body's hash; it does not say what the gateway answers for a header that
        // is not that hash. The sandbox calls it a signature mismatch, naming both hashes.
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature does not match our calculation: x-acs-content-sha256 is {sent_hash:?}, but the lowercase hex SHA-256 of the {}-byte body is {body_hash}. Send the hash of the body you send.",
                req.body.len()
            ),
        ));
    }
    let creds = lookup(&parsed.access_key_id, account, sts)?;
    let date = header(req.headers, "x-acs-date").unwrap_or_default();
    let ts = check_time(date, "x-acs-date", now, window_secs)?;
    let cq = canon::canonical_query(req.query, None);
    let creq = canon::v3_canonical_request(
        req.method,
        req.path,
        &cq,
        &parsed.signed_headers,
        |h| header(req.headers, h),
        &body_hash,
    );
    let sts_str = canon::v3_string_to_sign(&parsed.algorithm, &creq);
    let expected = canon::v3_signature(creds.access_key_secret(), &sts_str);
    if !canon::ct_eq(&expected, &parsed.signature) {
        let hint = if parsed.signature.eq_ignore_ascii_case(&expected) {
            " The Signature is in uppercase hex; the algorithm writes lowercase."
        } else {
            ""
        };
        // The shape a V3 mismatch has been observed with (attack-sandbox F16): the string to
        // sign in brackets, on one line.
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature does not match our calculation. server StringToSign is [{}]{hint}",
                sts_str.replace('\n', " ")
            ),
        ));
    }
    check_token(
        creds,
        header(req.headers, "x-acs-security-token"),
        "x-acs-security-token",
    )?;
    Ok(Verified {
        nonce_key: format!("{}\n{nonce}", creds.access_key_id()),
        nonce_expires: ts + window_secs,
    })
}

fn verify_v1(
    req: &Incoming<'_>,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    window_secs: i64,
) -> Result<Verified, ApiError> {
    let p = req.params;
    let signature = param(p, "Signature")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            incomplete("there is no Authorization header (V3) and no Signature parameter (V1)")
        })?;
    // The SDK sends x-acs-action and x-acs-version beside a V1 signature too, but V1 signs
    // only the parameters: such a header may repeat the signed value, never replace it.
    for (h, name) in [("x-acs-action", "Action"), ("x-acs-version", "Version")] {
        if let (Some(hv), Some(pv)) = (header(req.headers, h), param(p, name))
            && hv != pv
        {
            return Err(incomplete(&format!(
                "the unsigned header {h} is {hv:?} but the signed {name} parameter is {pv:?}; a V1 signature covers only the parameters"
            )));
        }
    }
    let id = param(p, "AccessKeyId")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("AccessKeyId"))?;
    match param(p, "SignatureMethod") {
        None => return Err(ApiError::missing("SignatureMethod")),
        Some("HMAC-SHA1") => {}
        Some(other) => {
            return Err(ApiError::new(
                400,
                "InvalidSignatureMethod",
                format!(
                    "Specified signature method is not valid: {other:?}; V1 requests use HMAC-SHA1."
                ),
            ));
        }
    }
    match param(p, "SignatureVersion") {
        None => return Err(ApiError::missing("SignatureVersion")),
        Some("1.0") => {}
        Some(other) => {
            return Err(ApiError::new(
                400,
                "InvalidSignatureVersion",
                format!(
                    "Specified signature version is not valid: {other:?}; V1 requests use 1.0."
                ),
            ));
        }
    }
    let Some(timestamp) = param(p, "Timestamp") else {
        return Err(ApiError::new(
            400,
            "IllegalTimestamp",
            "The input parameter \"Timestamp\" that is mandatory for processing this request is not supplied.",
        ));
    };
    let nonce = param(p, "SignatureNonce")
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| ApiError::missing("SignatureNonce"))?;
    check_host(req)?;
    let creds = lookup(id, account, sts)?;
    let ts = check_time(timestamp, "Timestamp", now, window_secs)?;
    let sts_str = canon::v1_string_to_sign(req.method, p);
    let expected = canon::v1_signature(creds.access_key_secret(), &sts_str);
    if !canon::ct_eq(&expected, signature) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{sts_str}"
            ),
        ));
    }
    check_token(creds, param(p, "SecurityToken"), "SecurityToken")?;
    Ok(Verified {
        nonce_key: format!("{}\n{nonce}", creds.access_key_id()),
        nonce_expires: ts + window_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_expire_and_replays_are_caught() {
        let mut s = NonceStore::new(100);
        assert_eq!(s.insert("a", 100, 10), Insert::Fresh);
        assert_eq!(s.insert("a", 100, 20), Insert::Replay);
        assert_eq!(s.insert("b", 150, 20), Insert::Fresh);
        // after both expired, the store is empty again
        assert_eq!(s.insert("c", 500, 200), Insert::Fresh);
        assert_eq!(s.len(), 1);
        assert_eq!(s.insert("a", 500, 201), Insert::Fresh);
    }

    /// attack-sandbox F15: one request from a client whose clock runs 14 minutes fast, then a
    /// full store. The old store forgot the oldest entries and refused every request dated no
    /// later than them as a replay; a correctly clocked client with a fresh nonce got
    /// `SignatureNonceUsed`. Now a full store says so (throttled, with when to retry), and an
    /// unseen nonce is never a replay.
    #[test]
    fn a_full_store_never_calls_a_fresh_nonce_a_replay() {
        let window = 900;
        let now = 1_000;
        let mut s = NonceStore::new(3);
        // skewed: dated now + 14 min, usable until then + 15 min
        assert_eq!(s.insert("skewed", now + 840 + window, now), Insert::Fresh);
        assert_eq!(s.insert("a", now + window, now), Insert::Fresh);
        assert_eq!(s.insert("b", now + 1 + window, now + 1), Insert::Fresh);
        assert_eq!(s.len(), 3);
        // full: a fresh nonce is throttled until the earliest entry ("a") expires...
        assert_eq!(
            s.insert("z", now + 2 + window, now + 2),
            Insert::Full {
                retry_after_secs: 900 - 2 + 1
            }
        );
        // ...while the remembered ones are still replays
        assert_eq!(s.insert("a", now + 2 + window, now + 2), Insert::Replay);
        assert_eq!(
            s.insert("skewed", now + 2 + window, now + 2),
            Insert::Replay
        );
        // once "a" expired, "z" gets in, and the skewed one is still remembered
        let later = now + window + 1;
        assert_eq!(s.insert("z", later + window, later), Insert::Fresh);
        assert_eq!(s.insert("skewed", later + window, later), Insert::Replay);
        assert_eq!(s.len(), 3);
    }

    /// Whatever the sequence of clocks and nonces, a nonce never inserted is never a replay,
    /// and the store never holds more than its capacity.
    #[test]
    fn unseen_nonces_are_never_replays() {
        let mut s = NonceStore::new(8);
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut seen = std::collections::HashSet::new();
        let mut now = 0_i64;
        for i in 0..20_000 {
            now += i64::try_from(next() % 3).unwrap_or(0);
            let skew = i64::try_from(next() % 1800).unwrap_or(0) - 900;
            let reuse = next() % 4 == 0 && !seen.is_empty();
            let key = if reuse {
                format!("fresh{}", next() % (i as u64 + 1))
            } else {
                format!("fresh{i}")
            };
            let r = s.insert(&key, now + skew + 900, now);
            if !seen.contains(&key) {
                assert_ne!(r, Insert::Replay, "{key} at {now}");
            }
            if r == Insert::Fresh {
                seen.insert(key);
            }
            assert!(s.len() <= 8);
        }
    }

    #[test]
    fn timestamps() {
        let now = OffsetDateTime::from_unix_timestamp(1_704_067_200).expect("time"); // 2024-01-01T00:00:00Z
        assert_eq!(
            check_time("2024-01-01T00:00:00Z", "x", now, 900),
            Ok(1_704_067_200)
        );
        assert_eq!(
            check_time("2024-01-01T00:15:00Z", "x", now, 900),
            Ok(1_704_068_100)
        );
        let e = check_time("2024-01-01T00:15:01Z", "x", now, 900).expect_err("expired");
        assert_eq!(e.code, "InvalidTimeStamp.Expired");
        let e = check_time("2023-12-31T23:44:59Z", "x", now, 900).expect_err("expired");
        assert_eq!(e.code, "InvalidTimeStamp.Expired");
        // V1's window is 31 minutes
        assert!(check_time("2023-12-31T23:40:00Z", "x", now, 31 * 60).is_ok());
        for bad in [
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00+08:00",
            "yesterday",
            "",
            // attack-sandbox F08: other ISO 8601 forms
            "2024-W01-1T00:00:00Z",
            "2024-01-01T00:00.00Z",
            "2024-01-01T00.00000Z",
            "2024-01-01T00:00:00z",
            "２024-01-01T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
        ] {
            let e = check_time(bad, "x", now, 900).expect_err(bad);
            assert_eq!(e.code, "InvalidTimeStamp.Format", "{bad}");
        }
    }
}
