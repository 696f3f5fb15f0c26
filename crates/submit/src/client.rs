//! The HTTP client: endpoints, timeouts, retries, dry runs.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::credentials::{CredentialSources, Credentials, Provider, SecurityToken};
use crate::deploy::{CloudResource, ListCloudResources, ListWorkerResource, Worker};
use crate::error::{Error, TransportKind};
use crate::ops::{
    Acknowledged, CancelOrderRequest, CertificateState, CreateCertificateWithCsr,
    CreateOrderResponse, DeleteCertificateRequest, DescribeCertificateState, DescribePackageState,
    GetInstanceDetail, Idempotency, InstanceDetail, ListTagResources, ListUserCertificateOrder,
    Operation, OrderId, OrderPage, OrderSummary, PackageState, TagResource,
};
use crate::ratelimit::RateLimiter;
use crate::sign::{SignableRequest, SigningParams, canonical_query_string, sign_v3};

/// The user agent sent (and signed) with every request.
pub const USER_AGENT: &str = concat!("csrkit/", env!("CARGO_PKG_VERSION"));

/// The two public sites of the certificate service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Site {
    /// China site (aliyun.com): `https://cas.aliyuncs.com`.
    Cn,
    /// International site (alibabacloud.com): `https://cas.ap-southeast-1.aliyuncs.com`.
    Intl,
}

impl Site {
    /// The site's endpoint URL.
    pub fn url(self) -> &'static str {
        match self {
            Site::Cn => "https://cas.aliyuncs.com",
            Site::Intl => "https://cas.ap-southeast-1.aliyuncs.com",
        }
    }
}

impl std::str::FromStr for Site {
    type Err = Error;
    /// `cn` or `intl`, in any case.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cn" => Ok(Site::Cn),
            "intl" => Ok(Site::Intl),
            _ => Err(Error::InvalidInput {
                field: "site".to_string(),
                reason: format!(
                    "{s:?} is not a site; use cn (aliyun.com) or intl (alibabacloud.com)"
                ),
            }),
        }
    }
}

/// Where requests go: `https://host[:port]`, or `http://` on a loopback
/// address only (127.0.0.0/8, `::1`, `localhost`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    host: String,
    loopback: bool,
}

impl Endpoint {
    /// The endpoint of a public site.
    pub fn site(site: Site) -> Self {
        // The site URLs are constants known to parse.
        match Endpoint::parse(site.url()) {
            Ok(e) => e,
            Err(_) => Endpoint {
                scheme: "https".to_string(),
                host: site.url().trim_start_matches("https://").to_string(),
                loopback: false,
            },
        }
    }

    /// Parses a custom endpoint URL such as `https://cas.aliyuncs.com` or
    /// `http://127.0.0.1:8080`.
    ///
    /// # Errors
    /// [`Error::Endpoint`] for anything but `https://host[:port][/]`, or
    /// `http://` to a host that is not loopback.
    pub fn parse(s: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::Endpoint {
            endpoint: s.to_string(),
            reason: reason.to_string(),
        };
        let url = url::Url::parse(s.trim()).map_err(|e| {
            bad(&format!(
                "not a URL ({e}); write it as https://host[:port], e.g. https://cas.aliyuncs.com"
            ))
        })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("must not contain a user name or password"));
        }
        if url.path() != "/" && !url.path().is_empty() {
            return Err(bad("must not have a path: the API lives at /"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        let host = match url.host() {
            Some(url::Host::Domain(d)) => d.to_ascii_lowercase(),
            Some(url::Host::Ipv4(ip)) => ip.to_string(),
            Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
            None => return Err(bad("has no host")),
        };
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return Err(bad(
                    "plain http:// is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost); use https://",
                ));
            }
            other => {
                return Err(bad(&format!(
                    "scheme {other}:// is not supported; use https://"
                )));
            }
        }
        let host_header = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        };
        Ok(Endpoint {
            scheme: url.scheme().to_string(),
            host: host_header,
            loopback,
        })
    }

    /// The `host` header value (with `:port` when not the default).
    pub fn host(&self) -> &str {
        &self.host
    }

    /// `scheme://host[:port]`.
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }

    /// The region the endpoint serves, as `ListTagResources` wants it:
    /// `cas.<region>.aliyuncs.com` names it; `cas.aliyuncs.com` and any
    /// other host (the sandbox) are `cn-hangzhou`.
    pub fn region_id(&self) -> &str {
        let host = self.host.split(':').next().unwrap_or_default();
        host.strip_prefix("cas.")
            .and_then(|h| h.strip_suffix(".aliyuncs.com"))
            .filter(|r| !r.is_empty() && !r.contains('.'))
            .unwrap_or("cn-hangzhou")
    }

    /// True for a loopback endpoint (no proxy is used for it).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }
}

impl Default for Endpoint {
    fn default() -> Self {
        Endpoint::site(Site::Cn)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// Bounded exponential backoff with full jitter.
///
/// Before retry `n` (1-based) the client sleeps a uniformly random time in
/// `[0, min(cap, base * 2^(n-1))]`, or at least the service's
/// `x-acs-retry-after` seconds. If the service asks for longer than
/// `max_retry_after`, the client gives up instead of waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 = never retry).
    pub max_attempts: u32,
    /// The first backoff ceiling.
    pub base: Duration,
    /// The largest backoff ceiling.
    pub cap: Duration,
    /// The longest `x-acs-retry-after` the client will wait for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The jittered delay before retry number `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(31);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        if nanos == 0 {
            return Duration::ZERO;
        }
        let r = random_u64() % nanos.saturating_add(1);
        Duration::from_nanos(r)
    }
}

fn random_u64() -> u64 {
    // uuid v4 draws from the operating system's random source.
    let (hi, _, _, _) = uuid::Uuid::new_v4().as_fields();
    let lo = uuid::Uuid::new_v4().as_u64_pair().1;
    (u64::from(hi) << 32) ^ lo
}

/// How a [`Client`] connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Where to send requests (default: the China site).
    pub endpoint: Endpoint,
    /// TCP + TLS connect timeout (default 5 s).
    pub connect_timeout: Duration,
    /// Read timeout for the answer (default 10 s).
    pub read_timeout: Duration,
    /// Retries (see [`RetryPolicy`]).
    pub retry: RetryPolicy,
    /// A limit on requests per API action, shared with every client whose
    /// options hold a clone of it (default: none). Every attempt, retries
    /// included, waits for its turn; a `Throttling*` answer pauses the
    /// action for all of them (see [`RateLimiter`]).
    pub rate_limiter: Option<RateLimiter>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            endpoint: Endpoint::default(),
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(10),
            retry: RetryPolicy::default(),
            rate_limiter: None,
        }
    }
}

impl ClientOptions {
    /// Options from the CLI's CONNECTION flags: `endpoint` (`--endpoint` or
    /// `CSRKIT_ENDPOINT`) wins over `site` (`--site`); `timeout`
    /// (`--timeout`) sets the read timeout and caps the connect timeout.
    ///
    /// # Errors
    /// [`Error::Endpoint`] for an unacceptable endpoint;
    /// [`Error::InvalidInput`] for a zero timeout.
    pub fn from_flags(
        endpoint: Option<&str>,
        site: Site,
        timeout: Option<Duration>,
    ) -> Result<Self, Error> {
        let mut o = ClientOptions {
            endpoint: match endpoint {
                Some(e) => Endpoint::parse(e)?,
                None => Endpoint::site(site),
            },
            ..ClientOptions::default()
        };
        if let Some(t) = timeout {
            if t.is_zero() {
                return Err(Error::InvalidInput {
                    field: "timeout".to_string(),
                    reason: "must be more than 0 seconds".to_string(),
                });
            }
            o.read_timeout = t;
            o.connect_timeout = o.connect_timeout.min(t);
        }
        Ok(o)
    }
}

/// A signed request as it would be sent, with the signature and any STS
/// token redacted: what `--dry-run` shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreparedRequest {
    /// The API name.
    pub action: String,
    /// The HTTP method.
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    /// The headers, lower-case names, redacted where secret.
    pub headers: Vec<(String, String)>,
}

impl fmt::Display for PreparedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.method, self.url)?;
        for (k, v) in &self.headers {
            writeln!(f, "{k}: {v}")?;
        }
        Ok(())
    }
}

/// `url` with the values of the query parameters named in `secret`
/// replaced (the query is encoded as signed: names are plain ASCII).
fn redact_params(url: &str, secret: &[&str]) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let query = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if secret.contains(&k) => format!("{k}=**%20redacted%20**"),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{base}?{query}")
}

fn redact_authorization(v: &str) -> String {
    match v.rfind("Signature=") {
        Some(i) => format!("{}Signature=** redacted **", &v[..i]),
        None => "** redacted **".to_string(),
    }
}

/// The error body of the service.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiErrorBody {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    recommend: Option<String>,
    #[serde(default, alias = "accessDeniedDetail")]
    access_denied_detail: Option<serde_json::Value>,
}

/// A client for the certificate API.
///
/// Every call is `POST /` with the parameters in the query (encoded exactly
/// as signed), an empty body and a V3 signature; a fresh date and nonce are
/// used for every attempt. Read-only and idempotent operations are retried
/// on throttling, `ServiceUnavailable`, `InternalError`,
/// `SignatureNonceUsed`, connect errors and timeouts. A call that spends
/// quota ([`CreateCertificateWithCsr`]) is retried only when the service
/// certainly did not act: a `Throttling*` answer, or a connection that
/// failed before a byte of the request was written (refused, DNS, TLS).
/// Anything else (a 5xx, `SignatureNonceUsed`, a timeout, a reset, an
/// unreadable answer) fails with [`Error::OutcomeUnknown`].
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    creds: Credentials,
    options: ClientOptions,
}

/// What [`Client::call_counted`] returns: the outcome and how many requests
/// were sent for it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Counted<T> {
    /// The outcome, as [`Client::call`] returns it.
    pub result: Result<T, Error>,
    /// Requests sent, the first included.
    pub attempts: u32,
}

enum Attempt<T> {
    Done(Result<T, Error>),
    Retry {
        err: Error,
        retry_after: Option<Duration>,
    },
}

/// Whether an answer with this `Code` may be retried. For a call that
/// spends quota only throttling is a definite "no": `SignatureNonceUsed`
/// says that this very signed request already reached the service (a
/// middlebox may have delivered it twice), so the first delivery may have
/// created the order.
fn is_retryable_code(code: &str, idem: Idempotency) -> bool {
    let throttled = code.starts_with("Throttling");
    match idem {
        i if i.is_side_effect() => throttled,
        _ => {
            throttled
                || code == "SignatureNonceUsed"
                || code == "ServiceUnavailable"
                || code == "InternalError"
        }
    }
}

/// For a call that spends quota: an answer that does not prove the service
/// did nothing. Only a refusal that the service gives before acting (a 4xx
/// with a code other than `SignatureNonceUsed`) proves it.
fn leaves_outcome_unknown(status: u16, code: &str) -> bool {
    status >= 500 || code == "SignatureNonceUsed"
}

/// Tells the limiter about a `Throttling*` answer (retried or not).
fn note_throttling<O: Operation>(limiter: &RateLimiter, outcome: &Attempt<O::Output>) {
    let (err, retry_after) = match outcome {
        Attempt::Retry { err, retry_after } => (err, *retry_after),
        Attempt::Done(Err(err)) => (err, None),
        Attempt::Done(Ok(_)) => return,
    };
    if let Error::Api { code, .. } = err
        && code.starts_with("Throttling")
    {
        limiter.throttled(O::ACTION, retry_after);
    }
}

/// The most an answer's body may hold. The API's answers are kilobytes (a
/// certificate chain, a page of orders); an endpoint that sends more is not
/// the certificate API, and reading it whole would only fill memory (the
/// read timeout is per read, so a steady stream never times out).
const MAX_BODY: usize = 16 << 20;

/// The body, or `None` when it passes [`MAX_BODY`].
async fn read_capped(mut resp: reqwest::Response) -> reqwest::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        if body.len() + chunk.len() > MAX_BODY {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

fn excerpt(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(body);
    s.chars().take(200).collect()
}

impl Client {
    /// A client with these credentials and options.
    ///
    /// # Errors
    /// [`Error::Transport`] of kind [`TransportKind::Setup`] if the HTTP
    /// client cannot be built (e.g. no TLS roots).
    pub fn new(creds: Credentials, options: ClientOptions) -> Result<Self, Error> {
        let mut b = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .http1_only();
        if options.endpoint.is_loopback() {
            b = b.no_proxy();
        } else {
            b = b.https_only(true);
        }
        let http = b.build().map_err(|e| Error::Transport {
            action: "(client setup)".to_string(),
            endpoint: options.endpoint.url(),
            kind: TransportKind::Setup,
            request_may_have_been_sent: false,
            detail: e.to_string(),
        })?;
        Ok(Client {
            http,
            creds,
            options,
        })
    }

    /// A client whose credentials come from the default chain
    /// ([`CredentialSources::resolve`]), with `profile` as the explicit
    /// profile (`--profile`).
    ///
    /// # Errors
    /// [`Error::Credentials`] when no credentials are found; see [`Client::new`].
    pub fn from_env(options: ClientOptions, profile: Option<&str>) -> Result<Self, Error> {
        let creds = CredentialSources::from_process(profile.map(str::to_string)).resolve()?;
        Client::new(creds, options)
    }

    /// Where the credentials came from (e.g. `default/env`), for verbose logs.
    pub fn credentials_provider(&self) -> Provider {
        self.creds.provider()
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.options.endpoint
    }

    /// The options it was made with (another client made with them shares
    /// its rate limiter).
    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    fn signable<O: Operation>(&self, op: &O) -> Result<(SignableRequest, String), Error> {
        let params = op.params()?;
        let query = canonical_query_string(&params);
        let mut req =
            SignableRequest::rpc_post(self.options.endpoint.host(), O::ACTION, O::VERSION, params);
        req.headers = vec![
            ("accept".to_string(), "application/json".to_string()),
            ("user-agent".to_string(), USER_AGENT.to_string()),
        ];
        let url = if query.is_empty() {
            format!("{}/", self.options.endpoint.url())
        } else {
            format!("{}/?{query}", self.options.endpoint.url())
        };
        Ok((req, url))
    }

    /// Signs `op` as it would be sent now, without sending it, and returns it
    /// with the signature and any STS token redacted (`--dry-run`).
    ///
    /// # Errors
    /// [`Error::InvalidInput`] if a parameter is not acceptable.
    pub fn prepare<O: Operation>(&self, op: &O) -> Result<PreparedRequest, Error> {
        let (req, url) = self.signable(op)?;
        let signed = sign_v3(&req, &self.creds, &SigningParams::now());
        let headers = signed
            .headers()
            .iter()
            .map(|(k, v)| {
                let v = match k.as_str() {
                    "authorization" => redact_authorization(v),
                    "x-acs-security-token" => "** redacted **".to_string(),
                    _ => v.clone(),
                };
                (k.clone(), v)
            })
            .collect();
        Ok(PreparedRequest {
            action: O::ACTION.to_string(),
            method: req.method,
            url: redact_params(&url, O::SECRET_PARAMS),
            headers,
        })
    }

    /// Sends `op`, retrying as [`Client`] describes, and decodes the answer.
    ///
    /// # Errors
    /// [`Error::Api`] when the service refuses; [`Error::Transport`] or
    /// [`Error::Decode`] when no usable answer came; [`Error::OutcomeUnknown`]
    /// when a quota-spending call may or may not have been carried out.
    pub async fn call<O: Operation>(&self, op: &O) -> Result<O::Output, Error> {
        self.call_counted(op).await.result
    }

    /// [`Client::call`], also saying how many requests went out (retries
    /// included; 0 when the request could not even be formed). A journal of
    /// quota-spending calls records it.
    pub async fn call_counted<O: Operation>(&self, op: &O) -> Counted<O::Output> {
        let (req, url) = match self.signable(op) {
            Ok(r) => r,
            Err(e) => {
                return Counted {
                    result: Err(e),
                    attempts: 0,
                };
            }
        };
        let policy = self.options.retry;
        let max = policy.max_attempts.max(1);
        let mut attempt = 1u32;
        let done = |result: Result<O::Output, Error>, attempts: u32| Counted {
            result: result.map_err(|e| self.scrub(e)),
            attempts,
        };
        let limiter = self.options.rate_limiter.as_ref();
        loop {
            // The request keeps its place in the limiter's window until its
            // answer is in (see `RateLimiter`).
            let ticket = match limiter {
                Some(l) => Some(l.acquire(O::ACTION).await),
                None => None,
            };
            // Signed once it may go: the date and nonce are fresh.
            let signed = sign_v3(&req, &self.creds, &SigningParams::now());
            let outcome = self
                .attempt::<O>(&url, signed.headers(), op.idempotency())
                .await;
            drop(ticket);
            if let Some(l) = limiter {
                note_throttling::<O>(l, &outcome);
            }
            match outcome {
                Attempt::Done(r) => return done(r, attempt),
                Attempt::Retry { err, retry_after } => {
                    if attempt >= max {
                        return done(Err(err), attempt);
                    }
                    let mut delay = policy.backoff(attempt);
                    if let Some(ra) = retry_after {
                        if ra > policy.max_retry_after {
                            return done(Err(err), attempt);
                        }
                        delay = delay.max(ra);
                    }
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Removes this client's secret and STS token from the text of `err`.
    ///
    /// The service's answers can quote the request: a V3
    /// `SignatureDoesNotMatch` may echo the canonical request, which holds
    /// the `x-acs-security-token` header's value. Whatever the server sends
    /// back, no secret of ours may reach an error message.
    fn scrub(&self, err: Error) -> Error {
        // Both as held and trimmed: a header value travels trimmed, so an
        // echo of the request quotes the trimmed form.
        let secrets: Vec<&str> = [
            Some(self.creds.access_key_secret().expose()),
            self.creds.security_token().map(SecurityToken::expose),
        ]
        .into_iter()
        .flatten()
        .flat_map(|s| [s, s.trim()])
        .filter(|s| !s.is_empty())
        .collect();
        let clean = |text: String| {
            secrets.iter().fold(text, |t, s| {
                if t.contains(s) {
                    t.replace(s, "** redacted **")
                } else {
                    t
                }
            })
        };
        match err {
            Error::Api {
                action,
                http_status,
                code,
                message,
                request_id,
                recommend,
                access_denied_detail,
            } => Error::Api {
                action,
                http_status,
                code: clean(code),
                message: clean(message),
                request_id: request_id.map(clean),
                recommend: recommend.map(clean),
                access_denied_detail: access_denied_detail.map(clean),
            },
            Error::Decode {
                action,
                http_status,
                detail,
                body_excerpt,
            } => Error::Decode {
                action,
                http_status,
                detail: clean(detail),
                body_excerpt: clean(body_excerpt),
            },
            Error::Transport {
                action,
                endpoint,
                kind,
                request_may_have_been_sent,
                detail,
            } => Error::Transport {
                action,
                endpoint,
                kind,
                request_may_have_been_sent,
                detail: clean(detail),
            },
            Error::OutcomeUnknown { action, cause } => Error::OutcomeUnknown {
                action,
                cause: Box::new(self.scrub(*cause)),
            },
            other => other,
        }
    }

    async fn attempt<O: Operation>(
        &self,
        url: &str,
        headers: &[(String, String)],
        idem: Idempotency,
    ) -> Attempt<O::Output> {
        let action = O::ACTION;
        // The URL is left out of the description: it repeats the whole query
        // (the CSR and the contact details) and says nothing new.
        let transport = |e: reqwest::Error| {
            let (kind, sent) = if e.is_connect() {
                (TransportKind::Connect, false)
            } else if e.is_timeout() {
                (TransportKind::Timeout, true)
            } else if e.is_builder() {
                (TransportKind::Setup, false)
            } else {
                (TransportKind::Connection, true)
            };
            Error::Transport {
                action: action.to_string(),
                endpoint: self.options.endpoint.url(),
                kind,
                request_may_have_been_sent: sent,
                detail: error_chain(&e.without_url()),
            }
        };
        let unknown = |cause: Error| Error::OutcomeUnknown {
            action: action.to_string(),
            cause: Box::new(cause),
        };
        // An answer that cannot be used, after the service may have acted:
        // not retried, and for a side effect its outcome is unknown.
        let unusable = |err: Error| {
            Attempt::Done(Err(if idem.is_side_effect() {
                unknown(err)
            } else {
                err
            }))
        };

        // An explicit `content-length: 0`, as the official SDK sends: some
        // gateways answer a bodiless POST without it with 411.
        let mut rb = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_LENGTH, "0")
            .body(Vec::<u8>::new());
        for (k, v) in headers {
            rb = rb.header(k.as_str(), v.as_str());
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                let err = transport(e);
                let sent = matches!(
                    err,
                    Error::Transport {
                        request_may_have_been_sent: true,
                        ..
                    }
                );
                let setup = matches!(
                    err,
                    Error::Transport {
                        kind: TransportKind::Setup,
                        ..
                    }
                );
                return match (idem.is_side_effect(), sent, setup) {
                    (_, _, true) => Attempt::Done(Err(err)),
                    (true, true, _) => Attempt::Done(Err(unknown(err))),
                    _ => Attempt::Retry {
                        err,
                        retry_after: None,
                    },
                };
            }
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("x-acs-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs);
        let body = match read_capped(resp).await {
            Ok(Some(b)) => b,
            Ok(None) => {
                let err = Error::Decode {
                    action: action.to_string(),
                    http_status: status,
                    detail: format!(
                        "the answer is larger than {} MiB, which no answer of the API is: \
                         check --endpoint (CSRKIT_ENDPOINT)",
                        MAX_BODY >> 20
                    ),
                    body_excerpt: String::new(),
                };
                return unusable(err);
            }
            Err(e) => {
                let mut err = transport(e);
                if let Error::Transport {
                    request_may_have_been_sent,
                    ..
                } = &mut err
                {
                    *request_may_have_been_sent = true;
                }
                return match idem.is_side_effect() {
                    true => Attempt::Done(Err(unknown(err))),
                    false => Attempt::Retry {
                        err,
                        retry_after: None,
                    },
                };
            }
        };

        if (200..300).contains(&status) {
            return match serde_json::from_slice::<O::Output>(&body) {
                Ok(out) => Attempt::Done(Ok(out)),
                Err(e) => {
                    let err = Error::Decode {
                        action: action.to_string(),
                        http_status: status,
                        detail: e.to_string(),
                        body_excerpt: excerpt(&body),
                    };
                    unusable(err)
                }
            };
        }

        let parsed = serde_json::from_slice::<ApiErrorBody>(&body)
            .ok()
            .and_then(|b| b.code.clone().filter(|c| !c.is_empty()).map(|c| (c, b)));
        let Some((code, b)) = parsed else {
            let err = Error::Decode {
                action: action.to_string(),
                http_status: status,
                detail: "an error status without the service's JSON error body".to_string(),
                body_excerpt: excerpt(&body),
            };
            return match idem {
                i if i.is_side_effect() => Attempt::Done(Err(unknown(err))),
                _ if status >= 500 => Attempt::Retry { err, retry_after },
                _ => Attempt::Done(Err(err)),
            };
        };
        let err = Error::Api {
            action: action.to_string(),
            http_status: status,
            code: code.clone(),
            message: b.message.unwrap_or_default(),
            request_id: b.request_id,
            recommend: b.recommend,
            access_denied_detail: b.access_denied_detail.map(|v| v.to_string()),
        };
        if is_retryable_code(&code, idem) || (idem == Idempotency::Safe && retry_after.is_some()) {
            return Attempt::Retry { err, retry_after };
        }
        match idem {
            i if i.is_side_effect() && leaves_outcome_unknown(status, &code) => {
                Attempt::Done(Err(unknown(err)))
            }
            _ => Attempt::Done(Err(err)),
        }
    }

    /// `DescribePackageState`: quota of a product (`None`: the service's default).
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn describe_package_state(
        &self,
        product_code: Option<&str>,
    ) -> Result<PackageState, Error> {
        self.call(&DescribePackageState {
            product_code: product_code.map(str::to_string),
        })
        .await
    }

    /// `CreateCertificateWithCsrRequest`: place an order. Spends quota.
    ///
    /// # Errors
    /// See [`Client::call`]; in particular [`Error::OutcomeUnknown`].
    pub async fn create_certificate_with_csr(
        &self,
        req: &CreateCertificateWithCsr,
    ) -> Result<CreateOrderResponse, Error> {
        self.call(req).await
    }

    /// `DescribeCertificateState`.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn describe_certificate_state(
        &self,
        order_id: OrderId,
    ) -> Result<CertificateState, Error> {
        self.call(&DescribeCertificateState { order_id }).await
    }

    /// One page of `ListUserCertificateOrder`.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn list_user_certificate_order(
        &self,
        query: &ListUserCertificateOrder,
    ) -> Result<OrderPage, Error> {
        self.call(query).await
    }

    /// Every page of `ListUserCertificateOrder` (pages of `query.show_size`,
    /// default 50, from page 1), stopping at `TotalCount` (or, without one,
    /// at a short page), at an empty page, or after 1000 pages.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn list_all_user_certificate_orders(
        &self,
        query: &ListUserCertificateOrder,
    ) -> Result<Vec<OrderSummary>, Error> {
        let size = query.show_size.unwrap_or(50).max(1);
        self.all_pages(
            size,
            |page| {
                let mut q = query.clone();
                q.current_page = Some(page);
                q.show_size = Some(size);
                q
            },
            |got| (got.certificate_order_list, got.total_count),
        )
        .await
    }

    /// Every page of `ListCloudResources` (pages of `query.show_size`,
    /// default 50), as [`Client::list_all_user_certificate_orders`] pages.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn list_all_cloud_resources(
        &self,
        query: &ListCloudResources,
    ) -> Result<Vec<CloudResource>, Error> {
        let size = query.show_size.unwrap_or(50).max(1);
        self.all_pages(
            size,
            |page| {
                let mut q = query.clone();
                q.current_page = Some(page);
                q.show_size = Some(size);
                q
            },
            |got| (got.data, got.total),
        )
        .await
    }

    /// Every worker of a deployment job (`ListWorkerResource`, all pages).
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn list_all_workers(&self, job_id: u64) -> Result<Vec<Worker>, Error> {
        self.all_pages(
            50,
            |page| ListWorkerResource {
                job_id,
                current_page: Some(page),
                show_size: Some(50),
                ..ListWorkerResource::default()
            },
            |got| (got.data, got.total),
        )
        .await
    }

    /// Pages of `size` from page 1, stopping at the total the service gives
    /// (or, without one, at a short page), at an empty page, or after 1000
    /// pages.
    async fn all_pages<O: Operation, T>(
        &self,
        size: u64,
        query: impl Fn(u64) -> O,
        items: impl Fn(O::Output) -> (Vec<T>, Option<u64>),
    ) -> Result<Vec<T>, Error> {
        let mut all = Vec::new();
        for page in 1..=1000u64 {
            let (got, total) = items(self.call(&query(page)).await?);
            let n = got.len() as u64;
            all.extend(got);
            let done = match total {
                Some(total) => all.len() as u64 >= total,
                // Without a total, a short page is the last one.
                None => n < size,
            };
            if n == 0 || done {
                break;
            }
        }
        Ok(all)
    }

    /// `GetInstanceDetail`: the CSR and tags of a certificate instance.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn get_instance_detail(&self, instance_id: &str) -> Result<InstanceDetail, Error> {
        self.call(&GetInstanceDetail {
            instance_id: instance_id.to_string(),
        })
        .await
    }

    /// Every page of `ListTagResources` (following `NextToken`, at most 1000
    /// pages).
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn list_all_tag_resources(
        &self,
        query: &ListTagResources,
    ) -> Result<Vec<TagResource>, Error> {
        let mut q = query.clone();
        let mut all = Vec::new();
        for _ in 0..1000 {
            let page = self.call(&q).await?;
            all.extend(page.tag_resources);
            match page.next_token.filter(|t| !t.is_empty()) {
                Some(t) if Some(&t) != q.next_token.as_ref() => q.next_token = Some(t),
                _ => break,
            }
        }
        Ok(all)
    }

    /// `CancelOrderRequest`.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn cancel_order(&self, order_id: OrderId) -> Result<Acknowledged, Error> {
        self.call(&CancelOrderRequest { order_id }).await
    }

    /// `DeleteCertificateRequest`.
    ///
    /// # Errors
    /// See [`Client::call`].
    pub async fn delete_certificate(&self, order_id: OrderId) -> Result<Acknowledged, Error> {
        self.call(&DeleteCertificateRequest { order_id }).await
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failing test should panic
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(Endpoint::site(Site::Cn).host(), "cas.aliyuncs.com");
        assert_eq!(
            Endpoint::site(Site::Intl).url(),
            "https://cas.ap-southeast-1.aliyuncs.com"
        );
        let e = Endpoint::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(e.host(), "127.0.0.1:8080");
        assert!(e.is_loopback());
        assert!(Endpoint::parse("http://127.9.9.9/").is_ok());
        assert!(Endpoint::parse("http://[::1]:9").is_ok());
        assert!(Endpoint::parse("http://localhost:9").is_ok());
        assert_eq!(
            Endpoint::parse("https://Example.com:443/").unwrap().host(),
            "example.com"
        );
        let err = Endpoint::parse("http://cas.aliyuncs.com")
            .unwrap_err()
            .to_string();
        assert!(err.contains("loopback"), "{err}");
        assert!(Endpoint::parse("http://10.0.0.1").is_err());
        assert_eq!(Endpoint::site(Site::Cn).region_id(), "cn-hangzhou");
        assert_eq!(Endpoint::site(Site::Intl).region_id(), "ap-southeast-1");
        assert_eq!(e.region_id(), "cn-hangzhou");
        assert!(Endpoint::parse("https://x/path").is_err());
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("cas.aliyuncs.com").is_err());
        assert_eq!("INTL".parse::<Site>().unwrap(), Site::Intl);
        assert!(
            "eu".parse::<Site>()
                .unwrap_err()
                .to_string()
                .contains("use cn")
        );
    }

    #[test]
    fn options_from_flags() {
        let o = ClientOptions::from_flags(None, Site::Intl, None).unwrap();
        assert_eq!(o.endpoint.host(), "cas.ap-southeast-1.aliyuncs.com");
        assert_eq!(o.read_timeout, Duration::from_secs(10));
        let o = ClientOptions::from_flags(
            Some("http://127.0.0.1:9"),
            Site::Cn,
            Some(Duration::from_secs(2)),
        )
        .unwrap();
        assert_eq!(o.endpoint.host(), "127.0.0.1:9");
        assert_eq!(
            (o.connect_timeout, o.read_timeout),
            (Duration::from_secs(2), Duration::from_secs(2))
        );
        assert!(ClientOptions::from_flags(None, Site::Cn, Some(Duration::ZERO)).is_err());
        assert!(ClientOptions::from_flags(Some("http://example.com"), Site::Cn, None).is_err());
    }

    #[test]
    fn https_client_builds_and_prepares_offline() {
        let c = Client::new(Credentials::new("id", "s", None), ClientOptions::default()).unwrap();
        let p = c.prepare(&DescribePackageState::default()).unwrap();
        assert_eq!(p.url, "https://cas.aliyuncs.com/");
        assert!(
            p.headers
                .contains(&("host".to_string(), "cas.aliyuncs.com".to_string()))
        );
    }

    #[test]
    fn backoff_bounded() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(250),
            max_retry_after: Duration::from_secs(1),
        };
        for retry in 1..40 {
            assert!(p.backoff(retry) <= Duration::from_millis(250));
        }
        assert!(p.backoff(1) <= Duration::from_millis(100));
    }

    #[test]
    fn authorization_redaction() {
        assert_eq!(
            redact_authorization("ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=abc"),
            "ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=** redacted **"
        );
    }

    #[test]
    fn errors_never_quote_the_secret_or_the_token() {
        let c = Client::new(
            Credentials::new("id", "SECRET-abc", Some("TOKEN-xyz")),
            ClientOptions::default(),
        )
        .unwrap();
        let echo = "canonical request: x-acs-security-token:TOKEN-xyz; key SECRET-abc";
        let api = Error::Api {
            action: "A".into(),
            http_status: 400,
            code: "SignatureDoesNotMatch".into(),
            message: echo.into(),
            request_id: Some("r".into()),
            recommend: Some(echo.into()),
            access_denied_detail: Some(echo.into()),
        };
        let decode = Error::Decode {
            action: "A".into(),
            http_status: 200,
            detail: echo.into(),
            body_excerpt: echo.into(),
        };
        let unknown = Error::OutcomeUnknown {
            action: "A".into(),
            cause: Box::new(Error::Decode {
                action: "A".into(),
                http_status: 502,
                detail: echo.into(),
                body_excerpt: echo.into(),
            }),
        };
        for err in [api, decode, unknown] {
            let e = c.scrub(err);
            let shown = format!("{e} {e:?}");
            assert!(!shown.contains("SECRET-abc"), "{shown}");
            assert!(!shown.contains("TOKEN-xyz"), "{shown}");
            assert!(
                shown.contains("x-acs-security-token:** redacted **"),
                "{shown}"
            );
        }
    }
}
