//! Request signing: V3 `ACS3-HMAC-SHA256` and the legacy V1 RPC HMAC-SHA1.
//!
//! Everything here is a pure function: the clock and the nonce come in through
//! [`SigningParams`], so the same inputs always give the same signature and the
//! published vectors can be checked offline (`tests/vectors/`).

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::credentials::{AccessKeySecret, Credentials};

/// The V3 signature algorithm name, as it appears in the string to sign and
/// in the `Authorization` header.
pub const ACS3_HMAC_SHA256: &str = "ACS3-HMAC-SHA256";

/// Percent-encodes `s` the way Alibaba Cloud signs it (RFC 3986).
///
/// Only the unreserved set `A-Z a-z 0-9 - _ . ~` stays as it is; every other
/// UTF-8 byte becomes `%XX` with upper-case hex. So a space is `%20` (never
/// `+`), `*` is `%2A`, `/` is `%2F` and `~` is kept.
///
/// ```
/// use csrkit_submit::percent_encode;
/// assert_eq!(percent_encode("a b*c~/é"), "a%20b%2Ac~%2F%C3%A9");
/// ```
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Builds the canonical query string: each name and value percent-encoded
/// with [`percent_encode`], pairs sorted by the encoded name in byte order
/// (then by encoded value), `name=value` joined by `&`.
///
/// Byte order is what the service uses, so `Tags.10.Key` sorts before
/// `Tags.2.Key`. An empty list gives the empty string.
///
/// ```
/// use csrkit_submit::canonical_query_string;
/// let q = vec![
///     ("Tags.2.Key".to_string(), "b".to_string()),
///     ("Tags.10.Key".to_string(), "a b".to_string()),
/// ];
/// assert_eq!(canonical_query_string(&q), "Tags.10.Key=a%20b&Tags.2.Key=b");
/// ```
pub fn canonical_query_string(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    let mut out = String::new();
    for (i, (k, v)) in encoded.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Everything about one request that the V3 signature covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignableRequest {
    /// HTTP method, e.g. `POST` (upper-cased when signed).
    pub method: String,
    /// The `host` header: host name plus `:port` when the port is not the
    /// scheme's default.
    pub host: String,
    /// The API name (`x-acs-action`), e.g. `DescribePackageState`.
    pub action: String,
    /// The API version (`x-acs-version`), e.g. `2020-04-07`.
    pub version: String,
    /// Query parameters, unencoded; the order does not matter.
    pub query: Vec<(String, String)>,
    /// The request body (empty for every CAS operation).
    pub body: Vec<u8>,
    /// Further headers to send and sign, e.g. `accept`, `user-agent`.
    /// Names are lower-cased when signed. `x-acs-security-token` is added by
    /// [`sign_v3`] itself when the credentials carry an STS token.
    pub headers: Vec<(String, String)>,
}

impl SignableRequest {
    /// A `POST /` request for `action` of `version` with an empty body, the
    /// shape the official SDK uses for every CAS operation.
    pub fn rpc_post(host: &str, action: &str, version: &str, query: Vec<(String, String)>) -> Self {
        SignableRequest {
            method: "POST".to_string(),
            host: host.to_string(),
            action: action.to_string(),
            version: version.to_string(),
            query,
            body: Vec::new(),
            headers: Vec::new(),
        }
    }
}

/// The per-request inputs that make a signature unique: the time and the
/// nonce. Both must be fresh for every attempt, retries included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningParams {
    /// UTC time as `yyyy-MM-ddTHH:mm:ssZ` (`x-acs-date`).
    pub date: String,
    /// A value never used before (`x-acs-signature-nonce`).
    pub nonce: String,
}

impl SigningParams {
    /// The current UTC time and a fresh random 128-bit hex nonce.
    pub fn now() -> Self {
        SigningParams {
            date: format_date(time::OffsetDateTime::now_utc()),
            nonce: fresh_nonce(),
        }
    }
}

/// Formats a time as `x-acs-date` wants it: `yyyy-MM-ddTHH:mm:ssZ` in UTC.
pub(crate) fn format_date(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// 32 lower-case hex digits from the operating system's random source.
pub(crate) fn fresh_nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// What to add to a request to make it signed, plus the intermediate strings
/// for tests and debugging.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningInstructions {
    headers: Vec<(String, String)>,
    canonical_request: String,
    string_to_sign: String,
    signature: String,
    signed_headers: String,
}

impl SigningInstructions {
    /// Every header to send, lower-case names, sorted by name, ending with
    /// `authorization`. Includes `host`: an HTTP library that sets `host`
    /// itself must produce the same value.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The value of the `Authorization` header.
    pub fn authorization(&self) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    /// The canonical request that was hashed.
    pub fn canonical_request(&self) -> &str {
        &self.canonical_request
    }

    /// The string that was signed with HMAC-SHA256.
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// The lower-case hex signature.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The `;`-joined names of the signed headers.
    pub fn signed_headers(&self) -> &str {
        &self.signed_headers
    }
}

impl fmt::Debug for SigningInstructions {
    // The signature is not a secret, but the headers may hold an STS token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                if k == "x-acs-security-token" {
                    (k.as_str(), "** redacted **")
                } else {
                    (k.as_str(), v.as_str())
                }
            })
            .collect();
        f.debug_struct("SigningInstructions")
            .field("headers", &headers)
            .field("signed_headers", &self.signed_headers)
            .finish_non_exhaustive()
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Signs `req` with the V3 algorithm `ACS3-HMAC-SHA256`.
///
/// The signed headers are `host`, `x-acs-action`, `x-acs-version`,
/// `x-acs-date`, `x-acs-signature-nonce`, `x-acs-content-sha256`, the
/// request's own [`SignableRequest::headers`] and, with STS credentials,
/// `x-acs-security-token`. Header values are trimmed.
///
/// ```
/// use csrkit_submit::{sign_v3, Credentials, SignableRequest, SigningParams};
/// let req = SignableRequest::rpc_post(
///     "ecs.cn-shanghai.aliyuncs.com", "RunInstances", "2014-05-26",
///     vec![
///         ("ImageId".into(), "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd".into()),
///         ("RegionId".into(), "cn-shanghai".into()),
///     ],
/// );
/// let creds = Credentials::new("YourAccessKeyId", "YourAccessKeySecret", None);
/// let params = SigningParams {
///     date: "2023-10-26T10:22:32Z".into(),
///     nonce: "3156853299f313e23d1673dc12e1703d".into(),
/// };
/// let signed = sign_v3(&req, &creds, &params);
/// assert_eq!(
///     signed.signature(),
///     "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
/// );
/// ```
pub fn sign_v3(
    req: &SignableRequest,
    creds: &Credentials,
    params: &SigningParams,
) -> SigningInstructions {
    let payload_hash = sha256_hex(&req.body);
    let mut headers: Vec<(String, String)> = vec![
        ("host".to_string(), req.host.trim().to_string()),
        ("x-acs-action".to_string(), req.action.trim().to_string()),
        ("x-acs-version".to_string(), req.version.trim().to_string()),
        ("x-acs-date".to_string(), params.date.trim().to_string()),
        (
            "x-acs-signature-nonce".to_string(),
            params.nonce.trim().to_string(),
        ),
        ("x-acs-content-sha256".to_string(), payload_hash.clone()),
    ];
    for (k, v) in &req.headers {
        let name = k.trim().to_ascii_lowercase();
        if name == "authorization" {
            continue;
        }
        headers.retain(|(n, _)| *n != name);
        headers.push((name, v.trim().to_string()));
    }
    if let Some(token) = creds.security_token() {
        headers.retain(|(n, _)| n != "x-acs-security-token");
        headers.push((
            "x-acs-security-token".to_string(),
            token.expose().trim().to_string(),
        ));
    }
    headers.sort();

    let mut canonical_headers = String::new();
    for (k, v) in &headers {
        canonical_headers.push_str(k);
        canonical_headers.push(':');
        canonical_headers.push_str(v);
        canonical_headers.push('\n');
    }
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_request = format!(
        "{}\n/\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_query_string(&req.query),
        canonical_headers,
        signed_headers,
        payload_hash
    );
    let string_to_sign = format!(
        "{ACS3_HMAC_SHA256}\n{}",
        sha256_hex(canonical_request.as_bytes())
    );
    let signature = hmac_sha256_hex(creds.access_key_secret(), string_to_sign.as_bytes());
    let authorization = format!(
        "{ACS3_HMAC_SHA256} Credential={},SignedHeaders={},Signature={}",
        creds.access_key_id(),
        signed_headers,
        signature
    );
    headers.push(("authorization".to_string(), authorization));
    SigningInstructions {
        headers,
        canonical_request,
        string_to_sign,
        signature,
        signed_headers,
    }
}

fn hmac_sha256_hex(secret: &AccessKeySecret, data: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(data);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// The V1 string to sign: `METHOD&%2F&` followed by the percent-encoded
/// canonical query string of `params` (every parameter except `Signature`).
///
/// ```
/// use csrkit_submit::v1_string_to_sign;
/// let p = vec![("Timestamp".to_string(), "2016-02-23T12:46:24Z".to_string())];
/// assert_eq!(v1_string_to_sign(&p, "GET"), "GET&%2F&Timestamp%3D2016-02-23T12%253A46%253A24Z");
/// ```
pub fn v1_string_to_sign(params: &[(String, String)], method: &str) -> String {
    let filtered: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .cloned()
        .collect();
    format!(
        "{}&%2F&{}",
        method.to_ascii_uppercase(),
        percent_encode(&canonical_query_string(&filtered))
    )
}

/// Signs an RPC request with the legacy V1 algorithm (`SignatureMethod=HMAC-SHA1`,
/// `SignatureVersion=1.0`) and returns the Base64 signature, unencoded.
///
/// `params` are every query (or form) parameter of the request, common ones
/// included (`AccessKeyId`, `Timestamp`, `SignatureNonce`, ...); a `Signature`
/// entry is ignored. The key is the secret followed by `&`.
///
/// ```
/// use csrkit_submit::{sign_v1, AccessKeySecret};
/// let p: Vec<(String, String)> = [
///     ("AccessKeyId", "testid"), ("Action", "DescribeRegions"), ("Format", "XML"),
///     ("SignatureMethod", "HMAC-SHA1"),
///     ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
///     ("SignatureVersion", "1.0"), ("Timestamp", "2016-02-23T12:46:24Z"),
///     ("Version", "2014-05-26"),
/// ].iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
/// let sig = sign_v1(&p, "GET", &AccessKeySecret::new("testsecret"));
/// assert_eq!(sig, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
/// ```
pub fn sign_v1(params: &[(String, String)], method: &str, secret: &AccessKeySecret) -> String {
    let string_to_sign = v1_string_to_sign(params, method);
    let mut key = zeroize::Zeroizing::new(secret.expose().as_bytes().to_vec());
    key.push(b'&');
    match Hmac::<Sha1>::new_from_slice(&key) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failing test should panic
mod tests {
    use super::*;

    #[test]
    fn percent_encode_unreserved_and_reserved() {
        assert_eq!(percent_encode("AZaz09-_.~"), "AZaz09-_.~");
        assert_eq!(percent_encode(" "), "%20");
        assert_eq!(percent_encode("*"), "%2A");
        assert_eq!(percent_encode("+/=@:\n"), "%2B%2F%3D%40%3A%0A");
        assert_eq!(percent_encode("中"), "%E4%B8%AD");
        assert_eq!(percent_encode("%"), "%25");
    }

    #[test]
    fn date_format() {
        let t = time::macros::datetime!(2024-01-02 03:04:05 UTC);
        assert_eq!(format_date(t), "2024-01-02T03:04:05Z");
    }

    #[test]
    fn nonce_is_fresh_hex() {
        let a = fresh_nonce();
        let b = fresh_nonce();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn sts_token_is_signed_and_redacted_in_debug() {
        let creds = Credentials::new("id", "TEST-SECRET-do-not-print", Some("TOKEN-do-not-print"));
        let req = SignableRequest::rpc_post("h", "A", "v", vec![]);
        let p = SigningParams {
            date: "2024-01-01T00:00:00Z".into(),
            nonce: "n".into(),
        };
        let s = sign_v3(&req, &creds, &p);
        assert!(s.signed_headers().contains("x-acs-security-token"));
        let dbg = format!("{s:?}");
        assert!(!dbg.contains("TOKEN-do-not-print"));
        assert!(!dbg.contains("TEST-SECRET"));
    }

    fn decode(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
                out.push(u8::from_str_radix(h, 16).unwrap());
                i += 3;
            } else {
                out.push(b[i]);
                i += 1;
            }
        }
        out
    }

    proptest::proptest! {
        #[test]
        fn percent_encode_round_trips_and_stays_in_the_safe_set(s in "\\PC*") {
            let e = percent_encode(&s);
            let b = e.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' {
                    let hex_ok = b.len() >= i + 3
                        && b[i + 1..i + 3].iter().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h));
                    proptest::prop_assert!(hex_ok, "bad escape in {}", e);
                    i += 3;
                } else {
                    proptest::prop_assert!(b[i].is_ascii_alphanumeric() || b"-_.~".contains(&b[i]), "{}", e);
                    i += 1;
                }
            }
            proptest::prop_assert_eq!(decode(&e), s.as_bytes().to_vec());
        }

        #[test]
        fn canonical_query_keeps_every_pair_sorted(pairs in proptest::collection::vec(("\\PC{0,8}", "\\PC{0,8}"), 0..12)) {
            let q = canonical_query_string(&pairs);
            let parts: Vec<&str> = if q.is_empty() { vec![] } else { q.split('&').collect() };
            proptest::prop_assert_eq!(parts.len(), pairs.len());
            // Sorted by encoded name, in byte order.
            let names: Vec<&str> = parts.iter().map(|p| p.split('=').next().unwrap_or("")).collect();
            let mut sorted = names.clone();
            sorted.sort();
            proptest::prop_assert_eq!(names, sorted);
        }

        #[test]
        fn signing_never_panics(
            host in "\\PC{0,20}", action in "\\PC{0,20}", v in "\\PC{0,40}", secret in "\\PC{0,20}",
            hname in "\\PC{0,10}", hvalue in "\\PC{0,10}",
        ) {
            let mut req = SignableRequest::rpc_post(&host, &action, "2020-04-07", vec![("K".into(), v.clone())]);
            req.headers = vec![(hname, hvalue)];
            let creds = Credentials::new("id", &secret, Some(&v));
            let p = SigningParams { date: v.clone(), nonce: v };
            let s = sign_v3(&req, &creds, &p);
            proptest::prop_assert_eq!(s.signature().len(), 64);
            let _ = sign_v1(&req.query, &action, creds.access_key_secret());
        }
    }
}
