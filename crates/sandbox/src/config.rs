//! Configuration: credentials, quotas, faults, approval and limits.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::alidns::ZoneName;
use crate::error::{Error, Result};

/// The access key id the sandbox accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY_ID: &str = "sandbox-access-key-id";
/// The access key secret the sandbox accepts unless told otherwise.
pub const DEFAULT_ACCESS_KEY_SECRET: &str = "sandbox-access-key-secret";
/// The product code whose quota exists by default.
pub const DEFAULT_PRODUCT_CODE: &str = "digicert-free-1-free";
/// The default quota of [`DEFAULT_PRODUCT_CODE`].
pub const DEFAULT_QUOTA: u64 = 20;
/// How long issued certificates are valid unless told otherwise: three months, as the free DV
/// certificates since 2023-11-14 (reference `renewal-and-fleet.md` 2.1).
pub const DEFAULT_CERT_LIFETIME: Duration = Duration::from_secs(90 * 86_400);
/// How long a started deployment job takes unless told otherwise (see
/// [`SandboxConfig::deploy_after`]).
pub const DEFAULT_DEPLOY_AFTER: Duration = Duration::from_secs(1);
/// Environment variable overriding the access key id.
pub const ENV_ACCESS_KEY_ID: &str = "CSRKIT_SANDBOX_ACCESS_KEY_ID";
/// Environment variable overriding the access key secret.
pub const ENV_ACCESS_KEY_SECRET: &str = "CSRKIT_SANDBOX_ACCESS_KEY_SECRET";

/// An access key pair (and, for STS credentials, a security token).
///
/// The secret and the token are zeroized on drop and never printed: `Debug` shows
/// `** redacted **` in their place.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Zeroizing<String>,
    security_token: Option<Zeroizing<String>>,
}

impl Credentials {
    /// A plain access key pair.
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            access_key_secret: Zeroizing::new(access_key_secret.into()),
            security_token: None,
        }
    }

    /// An STS credential triple: requests signed with it must also carry the token
    /// (`x-acs-security-token` for V3, `SecurityToken` for V1).
    pub fn sts(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
        security_token: impl Into<String>,
    ) -> Self {
        Credentials {
            security_token: Some(Zeroizing::new(security_token.into())),
            ..Credentials::new(access_key_id, access_key_secret)
        }
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The access key secret. Keep it out of logs and errors.
    pub fn access_key_secret(&self) -> &str {
        &self.access_key_secret
    }

    /// The STS security token, for STS credentials.
    pub fn security_token(&self) -> Option<&str> {
        self.security_token.as_deref().map(String::as_str)
    }
}

impl Default for Credentials {
    fn default() -> Self {
        Credentials::new(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("Credentials");
        s.field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"** redacted **");
        if self.security_token.is_some() {
            s.field("security_token", &"** redacted **");
        }
        s.finish()
    }
}

/// How orders leave `domain_verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Approval {
    /// Orders are approved `issue_after` after creation (checked on each describe or list).
    #[default]
    Auto,
    /// Orders wait for `POST /_sandbox/orders/{id}/approve` or `/fail`.
    Manual,
    /// Orders advance only once the sandbox sees what it asked for: the DNS record (in its own
    /// zones, or through [`SandboxConfig::resolver`]) or the file over HTTP (through
    /// [`SandboxConfig::http_via`]). It looks when the order is described
    /// (`DescribeCertificateState`); once verified, the order is issued `issue_after` later.
    Verify,
}

impl FromStr for Approval {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "auto" => Ok(Approval::Auto),
            "manual" => Ok(Approval::Manual),
            "verify" => Ok(Approval::Verify),
            _ => Err(Error::InvalidApproval {
                given: s.to_owned(),
            }),
        }
    }
}

/// The record type the sandbox asks for in DNS validation (`RecordType` of
/// `DescribeCertificateState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RecordType {
    /// `_dnsauth.<domain> TXT <RecordValue>`.
    #[default]
    Txt,
    /// `_dnsauth.<domain> CNAME <RecordValue>`, a name under `dcv.sandbox.invalid` (as DigiCert's
    /// CNAME method points at `dcv.digicert.com`).
    Cname,
}

impl RecordType {
    /// `TXT` or `CNAME`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::Txt => "TXT",
            RecordType::Cname => "CNAME",
        }
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RecordType {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "txt" => Ok(RecordType::Txt),
            "cname" => Ok(RecordType::Cname),
            _ => Err(Error::InvalidRecordType {
                given: s.to_owned(),
            }),
        }
    }
}

/// The quota (number of certificates in a resource plan) of one product code: `CODE=N`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaSpec {
    /// The product code, e.g. `digicert-free-1-free`.
    pub product_code: String,
    /// The total number of certificates in the plan.
    pub total: u64,
}

impl FromStr for QuotaSpec {
    type Err = Error;
    fn from_str(spec: &str) -> Result<Self> {
        let bad = |reason: &str| Error::InvalidQuota {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (code, n) = spec.split_once('=').ok_or_else(|| bad("no `=`"))?;
        let code = code.trim();
        if code.is_empty()
            || !code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(bad(
                "the product code must be non-empty letters, digits, `-` or `_`",
            ));
        }
        let total = n
            .trim()
            .parse::<u64>()
            .map_err(|_| bad("the count is not a non-negative integer"))?;
        Ok(QuotaSpec {
            product_code: code.to_owned(),
            total,
        })
    }
}

impl fmt::Display for QuotaSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.product_code, self.total)
    }
}

/// What a fault does to a request it applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer `Throttling.User` (HTTP 400) without doing the work.
    Throttle,
    /// The same, with the header `x-acs-retry-after` asking the client to
    /// wait this many seconds (spec `throttle-after-S`).
    ThrottleRetryAfter(u64),
    /// Answer `InternalError` (HTTP 500) without doing the work.
    Error500,
    /// Answer `ServiceUnavailable` (HTTP 503) without doing the work.
    Error503,
    /// Wait this long, then process the request normally.
    Delay(Duration),
    /// Close the connection before processing the request.
    DropBefore,
    /// Process the request (create the order, spend the quota...), then close the connection
    /// without answering.
    DropAfter,
    /// Process the request, then wait this long before answering (spec `answer-after-MS`): a
    /// slow answer to work that is already done, so a client can be stopped in between.
    AnswerAfter(Duration),
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultKind::Throttle => f.write_str("throttle"),
            FaultKind::ThrottleRetryAfter(s) => write!(f, "throttle-after-{s}"),
            FaultKind::Error500 => f.write_str("error500"),
            FaultKind::Error503 => f.write_str("error503"),
            FaultKind::Delay(d) => write!(f, "delay-{}", d.as_millis()),
            FaultKind::DropBefore => f.write_str("drop-before"),
            FaultKind::DropAfter => f.write_str("drop-after"),
            FaultKind::AnswerAfter(d) => write!(f, "answer-after-{}", d.as_millis()),
        }
    }
}

/// How many times a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultCount {
    /// This many times, then never again.
    Times(u64),
    /// Every time.
    All,
}

impl fmt::Display for FaultCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FaultCount::Times(n) => write!(f, "{n}"),
            FaultCount::All => f.write_str("all"),
        }
    }
}

/// A fault injected into the requests for one action: `ACTION=KIND[:COUNT]`.
///
/// `ACTION` is an API name such as `CreateCertificateWithCsrRequest`, or `*` for every action.
///
/// ```
/// use csrkit_sandbox::{Fault, FaultCount, FaultKind};
/// let f: Fault = "CreateCertificateWithCsrRequest=drop-after:1".parse()?;
/// assert_eq!(f.kind, FaultKind::DropAfter);
/// assert_eq!(f.count, FaultCount::Times(1));
/// let d: Fault = "*=delay-250:all".parse()?;
/// assert_eq!(d.kind, FaultKind::Delay(std::time::Duration::from_millis(250)));
/// # Ok::<(), csrkit_sandbox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The action it applies to (`*` for all).
    pub action: String,
    /// What it does.
    pub kind: FaultKind,
    /// How many times.
    pub count: FaultCount,
}

impl FromStr for Fault {
    type Err = Error;
    fn from_str(spec: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidFault {
            spec: spec.to_owned(),
            reason,
        };
        let (action, rest) = spec
            .split_once('=')
            .ok_or_else(|| bad("no `=`".to_owned()))?;
        let action = action.trim();
        if action.is_empty()
            || !(action == "*" || action.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(bad(
                "the action must be an API name such as DescribeCertificateState, or `*`"
                    .to_owned(),
            ));
        }
        let (kind, count) = match rest.split_once(':') {
            Some((k, c)) => (k.trim(), Some(c.trim())),
            None => (rest.trim(), None),
        };
        let kind = match kind {
            "throttle" => FaultKind::Throttle,
            "error500" => FaultKind::Error500,
            "error503" => FaultKind::Error503,
            "drop-before" => FaultKind::DropBefore,
            "drop-after" => FaultKind::DropAfter,
            other => match (
                other.strip_prefix("delay-"),
                other.strip_prefix("throttle-after-"),
                other.strip_prefix("answer-after-"),
            ) {
                (Some(ms), _, _) => {
                    FaultKind::Delay(Duration::from_millis(ms.parse::<u64>().map_err(|_| {
                        bad(format!("delay `{ms}` is not a number of milliseconds"))
                    })?))
                }
                (_, _, Some(ms)) => FaultKind::AnswerAfter(Duration::from_millis(
                    ms.parse::<u64>().map_err(|_| {
                        bad(format!(
                            "answer-after `{ms}` is not a number of milliseconds"
                        ))
                    })?,
                )),
                (_, Some(secs), _) => match secs.parse::<u64>() {
                    Ok(n) if n > 0 => FaultKind::ThrottleRetryAfter(n),
                    _ => {
                        return Err(bad(format!(
                            "throttle-after `{secs}` is not a positive number of seconds"
                        )));
                    }
                },
                _ => return Err(bad(format!("unknown fault kind `{other}`"))),
            },
        };
        let count = match count {
            None => FaultCount::Times(1),
            Some("all") => FaultCount::All,
            Some(n) => FaultCount::Times(
                n.parse::<u64>()
                    .map_err(|_| bad(format!("count `{n}` is neither a number nor `all`")))?,
            ),
        };
        Ok(Fault {
            action: action.to_owned(),
            kind,
            count,
        })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}:{}", self.action, self.kind, self.count)
    }
}

/// Everything [`Sandbox::start`](crate::Sandbox::start) needs.
///
/// Build it from [`SandboxConfig::default`] (or [`SandboxConfig::from_env`]) and change the
/// fields you need.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SandboxConfig {
    /// Where to listen; `127.0.0.1:0` (a free loopback port) by default.
    pub listen: SocketAddr,
    /// The account's access key.
    pub credentials: Credentials,
    /// An optional STS credential triple accepted as well.
    pub sts: Option<Credentials>,
    /// Quota per product code; `digicert-free-1-free=20` by default.
    pub quotas: Vec<QuotaSpec>,
    /// Injected faults.
    pub faults: Vec<Fault>,
    /// Automatic or manual approval.
    pub approve: Approval,
    /// With automatic approval, how long after creation an order is issued (0: on the next
    /// describe). Orders show `process` during the second half of this time.
    pub issue_after: Duration,
    /// Where to keep orders, quota and the CA across restarts; in memory when `None`.
    pub state_file: Option<PathBuf>,
    /// Largest accepted request (target with query plus body), in bytes; 64 KiB by default.
    pub max_request_bytes: usize,
    /// Most orders kept at once; 10,000 by default.
    pub max_orders: usize,
    /// How many requests `GET /_sandbox/requests` remembers (the most recent ones).
    pub request_log_capacity: usize,
    /// Most bytes the request log keeps, counted as the JSON `GET /_sandbox/requests` serves
    /// (8 MiB by default): the oldest entries leave first, and an entry larger than this alone
    /// is kept without its body. A fetch streams the kept entries, so it holds no copy of them.
    pub request_log_max_bytes: usize,
    /// Accepted clock difference for the V3 `x-acs-date`; 15 minutes by default (reference
    /// 2.1).
    pub max_clock_skew: Duration,
    /// Accepted clock difference for the V1 `Timestamp`; 31 minutes by default (reference 2.2:
    /// the V1 document says a request is "valid for 31 minutes").
    pub max_clock_skew_v1: Duration,
    /// Most nonces remembered for replay detection; 1,048,576 by default (about 40 MB when
    /// full). A nonce is remembered until its request leaves the clock window. When the store
    /// is full of such nonces, new requests are refused with `Throttling.User` and an
    /// `x-acs-retry-after` header (the seconds until the oldest one leaves), never with a false
    /// `SignatureNonceUsed`.
    pub max_nonces: usize,
    /// Zones hosted behind the Alidns emulation (`--zone`). A state file keeps its zones and
    /// their records; these are added to them.
    pub zones: Vec<ZoneName>,
    /// Zones hosted in Alidns by another account (`--foreign-zone`): naming one answers
    /// `IncorrectDomainUser`.
    pub foreign_zones: Vec<ZoneName>,
    /// Where to serve the hosted zones over DNS, UDP and TCP on the same port
    /// (`--dns-listen`; port 0 picks a free one); no DNS server when `None`.
    pub dns_listen: Option<SocketAddr>,
    /// With [`Approval::Verify`], the DNS server to ask for the record (`--resolver`), with
    /// recursion desired; the sandbox's own zones when `None`.
    pub resolver: Option<SocketAddr>,
    /// With [`Approval::Verify`], where to connect for every FILE check (`--http-via`), with the
    /// domain as `Host`; the domain's own address on port 80 when `None`.
    pub http_via: Option<SocketAddr>,
    /// The record type asked for in DNS validation (`--record-type`).
    pub record_type: RecordType,
    /// Actions answered with `Forbidden.RAM`, as for a RAM user without the permission
    /// (`--deny`); `*` denies every action.
    pub denied_actions: Vec<String>,
    /// How long one verification (a DNS query, an HTTP fetch with its redirect) may take.
    pub verify_timeout: Duration,
    /// Most DNS records kept at once, all zones together; 10,000 by default.
    pub max_dns_records: usize,
    /// More `host` values the API accepts besides its own address (`--public-host`), for a
    /// sandbox behind a port forward or a reverse proxy: the client signs the host it connects
    /// to, so the service's gateway sees its public name.
    pub public_hosts: Vec<String>,
    /// How long a connection may take to send a request's head, counted from when the server
    /// waits for it: a new connection's first request, and the next one on a kept-alive
    /// connection (so this is also the idle keep-alive time); 30 s by default (hyper's own
    /// default). The connection is then closed.
    pub header_timeout: Duration,
    /// How long a request's body may take to arrive once its head was read; 30 s by default.
    /// The answer is then `408 RequestTimeout` and the connection is closed.
    pub body_timeout: Duration,
    /// How long issued certificates are valid (`--cert-lifetime`; 90 days by default):
    /// notAfter − notBefore, exactly. Short lifetimes let renewal be tested in seconds.
    pub cert_lifetime: Duration,
    /// Requests per second the service answers per action before `Throttling.User`
    /// (`--rate-limit`), counted per calendar second and shared by every credential, as the
    /// service's quota is per API and per account (reference `renewal-and-fleet.md` 3); no
    /// limit when `None`.
    pub rate_limit: Option<u32>,
    /// Cloud resources to deploy certificates to (`--resource PRODUCT:DOMAIN[:fail]`), listed
    /// by `ListCloudResources`. A state file keeps its resources (and the certificate each
    /// serves); these are added.
    pub resources: Vec<crate::deploy::ResourceSpec>,
    /// How long a started deployment job takes (`--deploy-after`, 1 s by default): it is
    /// `scheduling` for the first half and `processing` for the second, then `success` or
    /// `error`. Zero: finished when next looked at.
    pub deploy_after: Duration,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            credentials: Credentials::default(),
            sts: None,
            quotas: vec![QuotaSpec {
                product_code: DEFAULT_PRODUCT_CODE.to_owned(),
                total: DEFAULT_QUOTA,
            }],
            faults: Vec::new(),
            approve: Approval::Auto,
            issue_after: Duration::ZERO,
            state_file: None,
            max_request_bytes: 64 * 1024,
            max_orders: 10_000,
            request_log_capacity: 1_000,
            request_log_max_bytes: 8 * 1024 * 1024,
            max_clock_skew: Duration::from_secs(15 * 60),
            max_clock_skew_v1: Duration::from_secs(31 * 60),
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            max_nonces: 1 << 20,
            zones: Vec::new(),
            foreign_zones: Vec::new(),
            dns_listen: None,
            resolver: None,
            http_via: None,
            record_type: RecordType::Txt,
            denied_actions: Vec::new(),
            verify_timeout: Duration::from_secs(3),
            max_dns_records: 10_000,
            public_hosts: Vec::new(),
            cert_lifetime: DEFAULT_CERT_LIFETIME,
            rate_limit: None,
            resources: Vec::new(),
            deploy_after: DEFAULT_DEPLOY_AFTER,
        }
    }
}

impl SandboxConfig {
    /// The default configuration with credentials from `CSRKIT_SANDBOX_ACCESS_KEY_ID` and
    /// `CSRKIT_SANDBOX_ACCESS_KEY_SECRET` where set.
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// Like [`SandboxConfig::from_env`], reading variables through `get` (for tests).
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let read = |var: &'static str, default: &str| match get(var) {
            None => Ok(default.to_owned()),
            Some(v) if v.is_empty() => Err(Error::EmptyCredential { var }),
            Some(v) => Ok(v),
        };
        let id = read(ENV_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_ID)?;
        let secret = Zeroizing::new(read(ENV_ACCESS_KEY_SECRET, DEFAULT_ACCESS_KEY_SECRET)?);
        Ok(SandboxConfig {
            credentials: Credentials::new(id, secret.as_str()),
            ..SandboxConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_is_redacted() {
        let c = Credentials::sts("id", "s3cr3t", "t0k3n");
        let d = format!("{c:?}");
        assert_eq!(
            d,
            r#"Credentials { access_key_id: "id", access_key_secret: "** redacted **", security_token: "** redacted **" }"#
        );
        let d = format!("{:?}", SandboxConfig::default());
        assert!(!d.contains(DEFAULT_ACCESS_KEY_SECRET), "{d}");
    }

    #[test]
    fn faults_parse() -> Result<()> {
        let f: Fault = "CreateCertificateWithCsrRequest=drop-after:1".parse()?;
        assert_eq!(f.action, "CreateCertificateWithCsrRequest");
        assert_eq!(f.kind, FaultKind::DropAfter);
        assert_eq!(f.count, FaultCount::Times(1));
        let f: Fault = "DescribeCertificateState=throttle:all".parse()?;
        assert_eq!((f.kind, f.count), (FaultKind::Throttle, FaultCount::All));
        let f: Fault = "X=error503".parse()?;
        assert_eq!(
            (f.kind, f.count),
            (FaultKind::Error503, FaultCount::Times(1))
        );
        assert_eq!(f.to_string(), "X=error503:1");
        let f: Fault = "X=answer-after-1500:2".parse()?;
        assert_eq!(
            (f.kind, f.count),
            (
                FaultKind::AnswerAfter(Duration::from_millis(1500)),
                FaultCount::Times(2)
            )
        );
        assert_eq!(f.to_string(), "X=answer-after-1500:2");
        let f: Fault = "X=throttle-after-2:all".parse()?;
        assert_eq!(f.kind, FaultKind::ThrottleRetryAfter(2));
        assert_eq!(f.to_string(), "X=throttle-after-2:all");
        for bad in [
            "X=throttle-after-0",
            "X=throttle-after-",
            "X=throttle-after-x",
            "",
            "X",
            "=throttle",
            "X=boom",
            "X=delay-x",
            "X=throttle:-1",
            "X=throttle:some",
            "a b=throttle",
        ] {
            let e = bad.parse::<Fault>().expect_err(bad);
            assert!(e.to_string().contains("ACTION=KIND"), "{e}");
        }
        Ok(())
    }

    #[test]
    fn quotas_parse() -> Result<()> {
        let q: QuotaSpec = "geotrust-dv-1-starter=3".parse()?;
        assert_eq!(q.product_code, "geotrust-dv-1-starter");
        assert_eq!(q.total, 3);
        for bad in ["", "x", "=3", "x=-1", "x=y", "a b=1"] {
            assert!(bad.parse::<QuotaSpec>().is_err(), "{bad}");
        }
        Ok(())
    }

    #[test]
    fn env_overrides_credentials() -> Result<()> {
        let c = SandboxConfig::from_env_with(|_| None)?;
        assert_eq!(c.credentials, Credentials::default());
        let c = SandboxConfig::from_env_with(|k| Some(format!("v-{k}")))?;
        assert_eq!(
            c.credentials.access_key_id(),
            "v-CSRKIT_SANDBOX_ACCESS_KEY_ID"
        );
        assert_eq!(
            c.credentials.access_key_secret(),
            "v-CSRKIT_SANDBOX_ACCESS_KEY_SECRET"
        );
        assert!(SandboxConfig::from_env_with(|_| Some(String::new())).is_err());
        Ok(())
    }
}
