//! Authentication as the service does it: V3 (`ACS3-HMAC-SHA256`, `Authorization` header) or V1
//! (HMAC-SHA1, `Signature` parameter), the clock window, replayed nonces and STS tokens.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher as _;

use hyper::HeaderMap;
use time::OffsetDateTime;
use time::format_description::well_known::Iso8601;

use crate::canon;
use crate::config::Credentials;
use crate::wire::ApiError;

/// Remembers the nonces seen until the clock window makes them unusable anyway, up to a fixed
/// number of them.
///
/// Only a keyed 64-bit hash of each nonce is kept (16 bytes an entry instead of the string); a
/// false "replay" needs a 64-bit collision among the nonces remembered. Entries leave in arrival
/// order: when they expire, or when the store is full. An entry forgotten early raises a floor:
/// a request whose window ends no later than the forgotten one's can no longer be told from a
/// replay, so it is refused. Under a steady load the store holds the last `capacity` nonces
/// (seconds at thousands of requests a second, the whole window at a few), and memory stays flat.
#[derive(Debug)]
pub(crate) struct NonceStore {
    seen: HashMap<u64, i64>,
    order: VecDeque<(u64, i64)>,
    hasher: std::collections::hash_map::RandomState,
    capacity: usize,
    /// Requests whose window ends at or before this (unix seconds) are refused.
    floor: i64,
}

impl NonceStore {
    /// A store remembering at most `capacity` nonces (at least one).
    pub(crate) fn new(capacity: usize) -> NonceStore {
        NonceStore {
            seen: HashMap::new(),
            order: VecDeque::new(),
            hasher: std::collections::hash_map::RandomState::new(),
            capacity: capacity.max(1),
            floor: i64::MIN,
        }
    }

    /// Records `key`, usable until `expires` (unix seconds); false if it was seen already (or
    /// may have been, below the floor).
    pub(crate) fn insert(&mut self, key: String, expires: i64, now: i64) -> bool {
        while let Some(&(k, exp)) = self.order.front() {
            if exp >= now {
                break;
            }
            self.forget(k, exp);
        }
        if expires <= self.floor {
            return false;
        }
        let key = self.hasher.hash_one(key.as_str());
        match self.seen.get(&key) {
            Some(exp) if *exp >= now => return false,
            _ => {}
        }
        self.seen.insert(key, expires);
        self.order.push_back((key, expires));
        while self.order.len() > self.capacity {
            if let Some((k, exp)) = self.order.pop_front() {
                self.floor = self.floor.max(exp);
                self.forget_map(k, exp);
            }
        }
        true
    }

    fn forget(&mut self, key: u64, expires: i64) {
        self.order.pop_front();
        self.forget_map(key, expires);
    }

    /// Removes `key` unless it was recorded again since (with another expiry).
    fn forget_map(&mut self, key: u64, expires: i64) {
        if self.seen.get(&key) == Some(&expires) {
            self.seen.remove(&key);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }
}

/// A request as the verifier sees it.
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// The raw query's pairs (V3 signs only these).
    pub(crate) query: &'a [(String, String)],
    /// Query and form-body pairs (V1 signs all of them).
    pub(crate) params: &'a [(String, String)],
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Who signed, and the nonce to record once everything else passed.
pub(crate) struct Verified {
    pub(crate) nonce_key: String,
    pub(crate) nonce_expires: i64,
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
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

fn check_time(
    value: &str,
    name: &str,
    now: OffsetDateTime,
    skew_secs: i64,
) -> Result<i64, ApiError> {
    let ok_shape =
        value.len() == 20 && value.ends_with('Z') && value.as_bytes().get(10) == Some(&b'T');
    let t = if ok_shape {
        OffsetDateTime::parse(value, &Iso8601::DEFAULT).ok()
    } else {
        None
    };
    let Some(t) = t else {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Format",
            format!(
                "Specified time stamp or date value is not well formatted: {name} is {value:?}; use UTC yyyy-MM-ddTHH:mm:ssZ."
            ),
        ));
    };
    let ts = t.unix_timestamp();
    if (ts - now.unix_timestamp()).abs() > skew_secs {
        return Err(ApiError::new(
            400,
            "InvalidTimeStamp.Expired",
            format!(
                "Specified time stamp or date value is expired: {name} {value} is more than {} minutes from the server time {}. Fix the clock.",
                skew_secs / 60,
                now.replace_nanosecond(0)
                    .unwrap_or(now)
                    .format(&Iso8601::DEFAULT)
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

/// Checks a request's signature. The nonce is only *returned*: the caller records it (after all
/// checks passed), so that a rejected request does not burn its nonce.
pub(crate) fn verify(
    req: &Incoming<'_>,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    skew_secs: i64,
) -> Result<Verified, ApiError> {
    if let Some(auth) = header(req.headers, "authorization") {
        verify_v3(req, auth, account, sts, now, skew_secs)
    } else if param(req.params, "Signature").is_some()
        || param(req.params, "AccessKeyId").is_some()
        || param(req.params, "SignatureMethod").is_some()
    {
        verify_v1(req, account, sts, now, skew_secs)
    } else {
        Err(incomplete(
            "there is no Authorization header (V3) and no Signature parameter (V1)",
        ))
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

fn verify_v3(
    req: &Incoming<'_>,
    auth: &str,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    skew_secs: i64,
) -> Result<Verified, ApiError> {
    let parsed = canon::parse_authorization(auth)
        .map_err(|part| incomplete(&format!("the Authorization header has no {part}")))?;
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
    let mut required: Vec<&str> = V3_REQUIRED.to_vec();
    if header(req.headers, "x-acs-security-token").is_some() {
        required.push("x-acs-security-token");
    }
    for name in required {
        if header(req.headers, name).is_none() {
            return Err(ApiError::missing(name));
        }
        if !parsed.signed_headers.iter().any(|h| h == name) {
            return Err(incomplete(&format!(
                "the header {name} is not in SignedHeaders ({})",
                parsed.signed_headers.join(";")
            )));
        }
    }
    let creds = lookup(&parsed.access_key_id, account, sts)?;
    let date = header(req.headers, "x-acs-date").unwrap_or_default();
    let ts = check_time(date, "x-acs-date", now, skew_secs)?;
    let cq = canon::canonical_query(req.query, None);
    let creq = canon::v3_canonical_request(
        req.method,
        req.path,
        &cq,
        &parsed.signed_headers,
        |h| header(req.headers, h),
        &canon::sha256_hex(req.body),
    );
    let sts_str = canon::v3_string_to_sign(&parsed.algorithm, &creq);
    let expected = canon::v3_signature(creds.access_key_secret(), &sts_str);
    if !canon::ct_eq(&expected, &parsed.signature.to_ascii_lowercase()) {
        return Err(ApiError::new(
            400,
            "SignatureDoesNotMatch",
            format!(
                "Specified signature is not matched with our calculation. server string to sign is:{sts_str} (server canonical request is:{creq})"
            ),
        ));
    }
    check_token(
        creds,
        header(req.headers, "x-acs-security-token"),
        "x-acs-security-token",
    )?;
    let nonce = header(req.headers, "x-acs-signature-nonce").unwrap_or_default();
    Ok(Verified {
        nonce_key: format!("{}\n{nonce}", creds.access_key_id()),
        nonce_expires: ts + skew_secs,
    })
}

fn verify_v1(
    req: &Incoming<'_>,
    account: &Credentials,
    sts: Option<&Credentials>,
    now: OffsetDateTime,
    skew_secs: i64,
) -> Result<Verified, ApiError> {
    let p = req.params;
    let signature = param(p, "Signature")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| incomplete("the Signature parameter is missing"))?;
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
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("SignatureNonce"))?;
    let creds = lookup(id, account, sts)?;
    let ts = check_time(timestamp, "Timestamp", now, skew_secs)?;
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
        nonce_expires: ts + skew_secs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_expire_and_replays_are_caught() {
        let mut s = NonceStore::new(100);
        assert!(s.insert("a".into(), 100, 10));
        assert!(!s.insert("a".into(), 100, 20));
        assert!(s.insert("b".into(), 150, 20));
        // after both expired, the store is empty again
        assert!(s.insert("c".into(), 500, 200));
        assert_eq!(s.len(), 1);
        assert!(s.insert("a".into(), 500, 201));
    }

    #[test]
    fn a_full_store_stays_bounded_and_refuses_what_it_forgot() {
        let mut s = NonceStore::new(3);
        for (i, n) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
            // requests of seconds 10, 11, 12, 13, 14, each usable for 900 s
            assert!(s.insert(n.into(), 910 + i as i64, 15));
        }
        assert_eq!(s.len(), 3);
        // "a" and "b" were forgotten: a request from their seconds may be a replay.
        assert!(!s.insert("a".into(), 910, 16));
        assert!(!s.insert("z".into(), 911, 16));
        // remembered ones are still caught; newer requests pass
        assert!(!s.insert("e".into(), 914, 16));
        assert!(s.insert("f".into(), 916, 16));
        assert_eq!(s.len(), 3);
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
        for bad in [
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00+08:00",
            "yesterday",
            "",
        ] {
            let e = check_time(bad, "x", now, 900).expect_err(bad);
            assert_eq!(e.code, "InvalidTimeStamp.Format");
        }
    }
}
