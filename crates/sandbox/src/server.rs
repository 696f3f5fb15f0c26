//! The HTTP server: routing, the API operations, faults and the control endpoints.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{self, NonceStore};
use crate::canon::parse_pairs;
use crate::config::{Approval, DEFAULT_PRODUCT_CODE, Fault, FaultCount, FaultKind, SandboxConfig};
use crate::csr;
use crate::error::{Error, Result};
use crate::product::{self, Product};
use crate::state::{NewOrder, OrderState, State, ValidateType, write_atomic};
use crate::wire::{self, ApiError};

/// The API version served.
pub(crate) const VERSION: &str = "2020-04-07";
/// `HostId` in error bodies.
pub(crate) const HOST_ID: &str = "cas.aliyuncs.com";

/// The operations the sandbox implements.
pub(crate) const ACTIONS: [&str; 6] = [
    "CreateCertificateWithCsrRequest",
    "DescribeCertificateState",
    "DescribePackageState",
    "ListUserCertificateOrder",
    "CancelOrderRequest",
    "DeleteCertificateRequest",
];

/// Counters shown by `/_sandbox/stats`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// API requests received per action (whatever their outcome).
    pub requests: BTreeMap<String, u64>,
    /// Every request received, control endpoints included.
    pub requests_total: u64,
    /// Orders created since the state began (deleted ones included).
    pub orders_created: u64,
    /// API requests being worked on right now. One whose client hung up
    /// counts until the server drops it (or finishes it), so a test can
    /// wait for 0 instead of sleeping.
    pub api_in_flight: u64,
    /// Orders currently kept.
    pub orders: u64,
    /// Quota per product code.
    pub quota: BTreeMap<String, QuotaStats>,
    /// Faults, keyed by their specification, with how often they fired.
    pub faults: BTreeMap<String, FaultStats>,
}

/// The quota of one product code.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct QuotaStats {
    /// Certificates in the plan.
    pub total: u64,
    /// Units spent (successful creates not yet given back by a delete).
    pub used: u64,
    /// Certificates issued.
    pub issued: u64,
}

/// How a fault has fired.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
#[non_exhaustive]
pub struct FaultStats {
    /// How many times it fired.
    pub fired: u64,
    /// How many times it will still fire; `None` for `all`.
    pub remaining: Option<u64>,
}

/// One request as received, for `/_sandbox/requests`.
#[derive(Debug, Clone, Serialize)]
struct LoggedRequest {
    method: String,
    path: String,
    headers: BTreeMap<String, String>,
    body: String,
}

struct FaultSlot {
    fault: Fault,
    key: String,
    fired: u64,
}

impl FaultSlot {
    fn remaining(&self) -> Option<u64> {
        match self.fault.count {
            FaultCount::All => None,
            FaultCount::Times(n) => Some(n.saturating_sub(self.fired)),
        }
    }
}

#[derive(Default)]
struct Counters {
    requests: BTreeMap<String, u64>,
    total: u64,
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) state: Mutex<State>,
    written: tokio::sync::Mutex<u64>,
    nonces: Mutex<NonceStore>,
    counters: Mutex<Counters>,
    faults: Mutex<Vec<FaultSlot>>,
    log: Mutex<VecDeque<LoggedRequest>>,
    in_flight: std::sync::atomic::AtomicU64,
    /// The verifying CA's checks (`--approve verify`).
    pub(crate) verifications: Mutex<crate::verify::Verifications>,
}

/// Counts an API request in [`Stats::api_in_flight`] while it lives: its
/// drop (at the answer, or when hyper drops the request of a closed
/// connection) takes it off.
struct InFlight<'a>(&'a std::sync::atomic::AtomicU64);

impl<'a> InFlight<'a> {
    fn new(counter: &'a std::sync::atomic::AtomicU64) -> InFlight<'a> {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Locks, recovering from a poisoned lock (a panic elsewhere must not take the server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    pub(crate) fn new(config: SandboxConfig) -> Result<Shared> {
        let state = State::open(&config)?;
        let faults = config
            .faults
            .iter()
            .map(|f| FaultSlot {
                fault: f.clone(),
                key: f.to_string(),
                fired: 0,
            })
            .collect();
        let nonces = NonceStore::new(config.max_nonces);
        Ok(Shared {
            config,
            state: Mutex::new(state),
            written: tokio::sync::Mutex::new(0),
            nonces: Mutex::new(nonces),
            counters: Mutex::new(Counters::default()),
            faults: Mutex::new(faults),
            log: Mutex::new(VecDeque::new()),
            in_flight: std::sync::atomic::AtomicU64::new(0),
            verifications: Mutex::new(crate::verify::Verifications::default()),
        })
    }

    pub(crate) fn stats(&self) -> Stats {
        let (requests, requests_total) = {
            let c = lock(&self.counters);
            (c.requests.clone(), c.total)
        };
        let (orders_created, orders, quota) = {
            let s = lock(&self.state);
            (
                s.data.orders_created,
                s.data.orders.len() as u64,
                s.data
                    .quotas
                    .iter()
                    .map(|(k, q)| {
                        (
                            k.clone(),
                            QuotaStats {
                                total: q.total,
                                used: q.used,
                                issued: q.issued,
                            },
                        )
                    })
                    .collect(),
            )
        };
        let faults = lock(&self.faults)
            .iter()
            .map(|f| {
                (
                    f.key.clone(),
                    FaultStats {
                        fired: f.fired,
                        remaining: f.remaining(),
                    },
                )
            })
            .collect();
        Stats {
            requests,
            requests_total,
            orders_created,
            api_in_flight: self.in_flight.load(std::sync::atomic::Ordering::SeqCst),
            orders,
            quota,
            faults,
        }
    }

    pub(crate) fn ca_pem(&self) -> String {
        lock(&self.state).ca.material.root_pem.clone()
    }

    /// Writes the state file if the state changed since the last write.
    pub(crate) async fn persist(&self) -> Result<()> {
        let Some(path) = self.config.state_file.clone() else {
            return Ok(());
        };
        let mut written = self.written.lock().await;
        let (generation, bytes) = {
            let s = lock(&self.state);
            if s.generation <= *written {
                return Ok(());
            }
            let bytes = s.snapshot().map_err(|e| Error::State {
                path: path.clone(),
                reason: format!("cannot serialise the state: {e}"),
            })?;
            (s.generation, bytes)
        };
        let p = path.clone();
        tokio::task::spawn_blocking(move || write_atomic(&p, &bytes))
            .await
            .map_err(|e| Error::State {
                path,
                reason: format!("the writer stopped: {e}"),
            })??;
        *written = generation;
        Ok(())
    }

    fn take_fault(&self, action: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.faults);
        let slot = faults.iter_mut().find(|f| {
            (f.fault.action == action || f.fault.action == "*") && f.remaining() != Some(0)
        })?;
        slot.fired += 1;
        Some(slot.fault.kind)
    }

    fn record(&self, entry: LoggedRequest, action: Option<&str>) {
        {
            let mut c = lock(&self.counters);
            c.total += 1;
            if let Some(a) = action {
                *c.requests.entry(a.to_owned()).or_insert(0) += 1;
            }
        }
        let cap = self.config.request_log_capacity;
        if cap > 0 {
            let mut log = lock(&self.log);
            while log.len() >= cap {
                log.pop_front();
            }
            log.push_back(entry);
        }
    }
}

/// Replaces the value of every `SecurityToken` parameter in a query or form body (STS tokens
/// never reach the request log).
fn redact_query(raw: &str) -> String {
    if !raw.contains("SecurityToken=") {
        return raw.to_owned();
    }
    let (prefix, query) = match raw.split_once('?') {
        Some((p, q)) => (Some(p), q),
        None => (None, raw),
    };
    let redacted = query
        .split('&')
        .map(|seg| {
            if seg.starts_with("SecurityToken=") {
                "SecurityToken=**redacted**"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    match prefix {
        Some(p) => format!("{p}?{redacted}"),
        None => redacted,
    }
}

/// The connection is closed without an answer (the `drop-*` faults).
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

pub(crate) type Resp = Response<Full<Bytes>>;

fn new_request_id() -> String {
    uuid::Uuid::new_v4()
        .hyphenated()
        .to_string()
        .to_ascii_uppercase()
}

fn respond(
    status: u16,
    content_type: &'static str,
    request_id: Option<&str>,
    body: Vec<u8>,
) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(id).ok()) {
        r.headers_mut().insert("x-acs-request-id", id);
    }
    r
}

pub(crate) fn json_ok(request_id: &str, body: &impl Serialize) -> Resp {
    match serde_json::to_vec(body) {
        Ok(b) => respond(200, "application/json;charset=utf-8", Some(request_id), b),
        Err(e) => api_error(request_id, &ApiError::internal(e)),
    }
}

fn api_error(request_id: &str, e: &ApiError) -> Resp {
    api_error_for(Product::Cas, request_id, e)
}

/// An error answer from `product` (its `HostId` and `Recommend` link).
pub(crate) fn api_error_for(product: Product, request_id: &str, e: &ApiError) -> Resp {
    let body = wire::ErrorBody {
        request_id,
        host_id: product.host_id(),
        code: &e.code,
        message: &e.message,
        recommend: recommend(product, &e.code, request_id),
    };
    error_response(e.status, request_id, &body)
}

/// The `Recommend` link of an error body.
pub(crate) fn recommend(product: Product, code: &str, request_id: &str) -> String {
    format!(
        "https://api.aliyun.com/troubleshoot?q={code}&product={}&requestId={request_id}",
        product.name()
    )
}

/// An error answer with this JSON body.
pub(crate) fn error_response(status: u16, request_id: &str, body: &impl Serialize) -> Resp {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    respond(
        status,
        "application/json;charset=utf-8",
        Some(request_id),
        bytes,
    )
}

fn control_json(status: u16, body: &impl Serialize) -> Resp {
    let bytes = serde_json::to_vec_pretty(body).unwrap_or_default();
    respond(status, "application/json", None, bytes)
}

/// Runs the accept loop until `shutdown` changes or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let max_buf = shared.config.max_request_bytes.max(8192) + 16 * 1024;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let Ok((stream, _peer)) = accepted else {
            // e.g. too many open files: back off a little instead of spinning
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let conn = hyper::server::conn::http1::Builder::new()
                .max_buf_size(max_buf)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stop.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Body>) -> std::result::Result<Resp, Dropped> {
    let (parts, body) = req.into_parts();
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let limit = shared.config.max_request_bytes;
    let request_id = new_request_id();
    let too_large = |shared: &Shared| {
        shared.record(
            LoggedRequest {
                method: parts.method.to_string(),
                path: target.chars().take(256).collect(),
                headers: BTreeMap::new(),
                body: "(too large; not kept)".to_owned(),
            },
            None,
        );
        let mut r = api_error(
            &request_id,
            &ApiError::new(
                413,
                "RequestTooLarge",
                format!(
                    "The request (target and body) exceeds the sandbox's limit of {limit} bytes. Send a smaller request."
                ),
            ),
        );
        r.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        r
    };
    if target.len() > limit {
        return Ok(too_large(&shared));
    }
    let declared = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n.saturating_add(target.len()) > limit) {
        return Ok(too_large(&shared));
    }
    let body = match Limited::new(body, limit - target.len()).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Ok(too_large(&shared));
        }
        Err(_) => return Err(Dropped),
    };
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();

    let mut headers_map = BTreeMap::new();
    for (k, v) in &parts.headers {
        let v = if k.as_str() == "x-acs-security-token" {
            "** redacted **".to_owned()
        } else {
            String::from_utf8_lossy(v.as_bytes()).into_owned()
        };
        headers_map
            .entry(k.as_str().to_owned())
            .and_modify(|e: &mut String| {
                e.push_str(", ");
                e.push_str(&v);
            })
            .or_insert(v);
    }
    let logged = LoggedRequest {
        method: method.clone(),
        path: redact_query(&target),
        headers: headers_map,
        body: redact_query(&String::from_utf8_lossy(&body)),
    };

    if let Some(rest) = path.strip_prefix("/_sandbox/") {
        // Reads of the control endpoints are counted but not logged: polling them would
        // push the API requests out of the log.
        if method == "GET" {
            lock(&shared.counters).total += 1;
        } else {
            shared.record(logged, None);
        }
        return Ok(control(&shared, &method, rest).await);
    }
    let _in_flight = InFlight::new(&shared.in_flight);

    // The API.
    let query = parse_pairs(parts.uri.query().unwrap_or(""));
    let mut params = query.clone();
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        params.extend(parse_pairs(&String::from_utf8_lossy(&body)));
    }
    // V3 names its action in a header; V1 in the `Action` parameter.
    let is_v3 =
        parts.headers.contains_key("authorization") || parts.headers.contains_key("x-acs-action");
    let get = |name: &str| {
        params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let hdr = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let (action, version) = if is_v3 {
        (hdr("x-acs-action"), hdr("x-acs-version"))
    } else {
        (get("Action"), get("Version"))
    };
    // The version picks the product (CAS or Alidns, one URL); unknown versions are refused below.
    let product = version
        .and_then(Product::for_version)
        .unwrap_or(Product::Cas);
    let known = action.and_then(|a| product.action(a));
    // From here on, errors carry the product's HostId and Recommend link.
    let api_error = |id: &str, e: &ApiError| api_error_for(product, id, e);
    shared.record(logged, known);

    if path != "/" {
        return Ok(api_error(
            &request_id,
            &ApiError::new(
                404,
                "InvalidApi.NotFound",
                format!(
                    "Specified api is not found, please check your url and method: the path is {path:?}; RPC requests go to \"/\"."
                ),
            ),
        ));
    }
    if !matches!(method.as_str(), "GET" | "POST") {
        return Ok(api_error(
            &request_id,
            &ApiError::new(
                400,
                "UnsupportedHTTPMethod",
                format!("This http method not supported: {method}; use GET or POST."),
            ),
        ));
    }
    let Some(action_name) = action else {
        return Ok(api_error(
            &request_id,
            &ApiError::missing(if is_v3 { "x-acs-action" } else { "Action" }),
        ));
    };
    let Some(action) = known else {
        return Ok(api_error(
            &request_id,
            &ApiError::new(
                404,
                "InvalidApi.NotFound",
                format!(
                    "Specified api is not found, please check your url and method: {action_name:?} is not an operation of {} {} that the sandbox implements ({}).",
                    product.name(),
                    product.version(),
                    product.actions().join(", ")
                ),
            ),
        ));
    };
    match version {
        None => {
            return Ok(api_error(
                &request_id,
                &ApiError::missing(if is_v3 { "x-acs-version" } else { "Version" }),
            ));
        }
        Some(v) if Product::for_version(v).is_some() => {}
        Some(other) => {
            return Ok(api_error(
                &request_id,
                &ApiError::new(
                    400,
                    "InvalidVersion",
                    format!(
                        "Specified parameter Version is not valid: {other:?}; the sandbox serves version {}.",
                        Product::all_versions()
                    ),
                ),
            ));
        }
    }
    if !is_v3 && let Some(f) = get("Format").filter(|f| !f.eq_ignore_ascii_case("JSON")) {
        return Ok(api_error(
            &request_id,
            &ApiError::invalid(
                "Format",
                format!("{f:?}; the sandbox answers JSON only: send Format=JSON"),
            ),
        ));
    }

    // Authentication.
    let now = OffsetDateTime::now_utc();
    let skew = i64::try_from(shared.config.max_clock_skew.as_secs()).unwrap_or(i64::MAX);
    let incoming = auth::Incoming {
        method: &method,
        path: &path,
        query: &query,
        params: &params,
        headers: &parts.headers,
        body: &body,
    };
    let verified = match auth::verify(
        &incoming,
        &shared.config.credentials,
        shared.config.sts.as_ref(),
        now,
        skew,
    ) {
        Ok(v) => v,
        Err(e) => return Ok(api_error(&request_id, &e)),
    };
    let fresh = lock(&shared.nonces).insert(
        verified.nonce_key,
        verified.nonce_expires,
        now.unix_timestamp(),
    );
    if !fresh {
        return Ok(api_error(
            &request_id,
            &ApiError::new(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already. Send every request, retries included, with a fresh nonce.",
            ),
        ));
    }

    // RAM: an action the sandbox was told to deny (`--deny`).
    if product::is_denied(&shared.config.denied_actions, action) {
        return Ok(product::denied(product, action, &request_id));
    }

    // Faults.
    let mut drop_after = false;
    match shared.take_fault(action) {
        None => {}
        Some(kind @ (FaultKind::Throttle | FaultKind::ThrottleRetryAfter(_))) => {
            let mut resp = api_error(
                &request_id,
                &ApiError::new(
                    400,
                    "Throttling.User",
                    "Request was denied due to user flow control.",
                ),
            );
            if let FaultKind::ThrottleRetryAfter(secs) = kind {
                resp.headers_mut()
                    .insert("x-acs-retry-after", HeaderValue::from(secs));
            }
            return Ok(resp);
        }
        Some(FaultKind::Error500) => {
            return Ok(api_error(
                &request_id,
                &ApiError::new(
                    500,
                    "InternalError",
                    "The request processing has failed due to some unknown error, exception or failure.",
                ),
            ));
        }
        Some(FaultKind::Error503) => {
            return Ok(api_error(
                &request_id,
                &ApiError::new(
                    503,
                    "ServiceUnavailable",
                    "The request has failed due to a temporary failure of the server.",
                ),
            ));
        }
        Some(FaultKind::DropBefore) => return Err(Dropped),
        Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultKind::DropAfter) => drop_after = true,
    }

    let result = match product {
        Product::Cas => dispatch(&shared, action, &params, &request_id).await,
        Product::Alidns => crate::alidns::dispatch(&shared, action, &params, &request_id).await,
    };
    if drop_after {
        return Err(Dropped);
    }
    Ok(match result {
        Ok(r) => r,
        Err(e) => api_error(&request_id, &e),
    })
}

pub(crate) fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

pub(crate) fn required<'a>(
    p: &'a [(String, String)],
    name: &str,
) -> std::result::Result<&'a str, ApiError> {
    param(p, name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::missing(name))
}

fn order_id(p: &[(String, String)]) -> std::result::Result<u64, ApiError> {
    let raw = required(p, "OrderId")?;
    raw.trim().parse::<u64>().map_err(|_| {
        ApiError::invalid(
            "OrderId",
            format!("{raw:?} is not an order id (a positive integer)"),
        )
    })
}

fn tags(p: &[(String, String)]) -> std::result::Result<Vec<(String, String)>, ApiError> {
    let mut by_index: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
    for (n, v) in p {
        let Some(rest) = n.strip_prefix("Tags.") else {
            continue;
        };
        let (idx, field) = rest
            .split_once('.')
            .ok_or_else(|| ApiError::invalid(n, "tags are sent as Tags.N.Key and Tags.N.Value"))?;
        let idx: u32 = idx
            .parse()
            .ok()
            .filter(|i| (1..=20).contains(i))
            .ok_or_else(|| ApiError::invalid(n, "the tag index must be 1 to 20"))?;
        let e = by_index.entry(idx).or_default();
        match field {
            "Key" => e.0 = Some(v.clone()),
            "Value" => e.1 = Some(v.clone()),
            _ => {
                return Err(ApiError::invalid(
                    n,
                    "tags are sent as Tags.N.Key and Tags.N.Value",
                ));
            }
        }
    }
    by_index
        .into_iter()
        .map(|(i, (k, v))| {
            let name = format!("Tags.{i}.Key");
            let k = k
                .filter(|k| !k.is_empty())
                .ok_or_else(|| ApiError::missing(&name))?;
            if k.chars().count() > 64 {
                return Err(ApiError::invalid(
                    &name,
                    "a tag key has at most 64 characters",
                ));
            }
            if k.starts_with("aliyun") || k.starts_with("acs:") {
                return Err(ApiError::invalid(
                    &name,
                    "a tag key must not start with \"aliyun\" or \"acs:\"",
                ));
            }
            Ok((k, v.unwrap_or_default()))
        })
        .collect()
}

async fn dispatch(
    shared: &Shared,
    action: &str,
    p: &[(String, String)],
    request_id: &str,
) -> std::result::Result<Resp, ApiError> {
    let now = OffsetDateTime::now_utc();
    let issue_after_ms = i64::try_from(shared.config.issue_after.as_millis()).unwrap_or(i64::MAX);
    let approve = shared.config.approve;
    let resp = match action {
        "CreateCertificateWithCsrRequest" => {
            let csr_pem = required(p, "Csr")?;
            let username = required(p, "Username")?;
            let phone = required(p, "Phone")?;
            let email = required(p, "Email")?;
            let validate_type = match required(p, "ValidateType")? {
                "DNS" => ValidateType::Dns,
                "FILE" => ValidateType::File,
                other => {
                    return Err(ApiError::invalid(
                        "ValidateType",
                        format!("{other:?}; use DNS or FILE"),
                    ));
                }
            };
            if !email.contains('@') {
                return Err(ApiError::invalid(
                    "Email",
                    format!("{email:?} is not an email address"),
                ));
            }
            let product_code = param(p, "ProductCode")
                .filter(|c| !c.is_empty())
                .unwrap_or(DEFAULT_PRODUCT_CODE)
                .to_owned();
            let tags = tags(p)?;
            let csr = csr::check(csr_pem)?;
            let id = lock(&shared.state).create(
                NewOrder {
                    csr,
                    product_code,
                    validate_type,
                    username: username.to_owned(),
                    phone: phone.to_owned(),
                    email: email.to_owned(),
                    tags,
                },
                now,
                shared.config.max_orders,
            )?;
            json_ok(
                request_id,
                &wire::CreateResponse {
                    request_id,
                    order_id: id,
                },
            )
        }
        "DescribeCertificateState" => {
            let id = order_id(p)?;
            crate::verify::on_describe(shared, id).await;
            let mut s = lock(&shared.state);
            s.advance(id, approve, issue_after_ms, now)?;
            let o = s.order(id)?;
            let asked = crate::verify::asked_value(shared.config.record_type, &o.record_value);
            let mut r = wire::DescribeStateResponse {
                request_id,
                kind: o.state.wire(),
                ..Default::default()
            };
            match o.state {
                OrderState::DomainVerify => match o.validate_type {
                    ValidateType::Dns => {
                        r.validate_type = Some("DNS");
                        r.record_type = Some(shared.config.record_type.as_str());
                        r.record_domain = Some(crate::verify::RECORD_DOMAIN);
                        r.record_value = Some(&asked);
                    }
                    ValidateType::File => {
                        r.validate_type = Some("FILE");
                        r.domain = Some(o.domain.strip_prefix("*.").unwrap_or(&o.domain));
                        r.uri = Some(crate::verify::FILE_URI);
                        r.content = Some(&o.file_content);
                    }
                },
                OrderState::Certificate => {
                    r.certificate = o.certificate.as_deref();
                    r.cert_id = o.cert_id.map(|c| c.to_string());
                }
                _ => {}
            }
            json_ok(request_id, &r)
        }
        "DescribePackageState" => {
            let code = param(p, "ProductCode")
                .filter(|c| !c.is_empty())
                .unwrap_or(DEFAULT_PRODUCT_CODE);
            let q = lock(&shared.state).data.quotas.get(code).copied();
            let (total, used, issued) = q.map_or((0, 0, 0), |q| (q.total, q.used, q.issued));
            json_ok(
                request_id,
                &wire::PackageStateResponse {
                    request_id,
                    product_code: code,
                    total_count: total,
                    used_count: used,
                    issued_count: issued,
                },
            )
        }
        "ListUserCertificateOrder" => list(shared, p, request_id, now, approve, issue_after_ms)?,
        "CancelOrderRequest" => {
            let id = order_id(p)?;
            let mut s = lock(&shared.state);
            s.advance(id, approve, issue_after_ms, now)?;
            s.cancel(id)?;
            json_ok(request_id, &wire::RequestIdOnly { request_id })
        }
        "DeleteCertificateRequest" => {
            let id = order_id(p)?;
            let mut s = lock(&shared.state);
            s.advance(id, approve, issue_after_ms, now)?;
            s.delete(id)?;
            json_ok(request_id, &wire::RequestIdOnly { request_id })
        }
        other => {
            return Err(ApiError::new(
                404,
                "InvalidApi.NotFound",
                format!("Specified api is not found: {other}"),
            ));
        }
    };
    shared
        .persist()
        .await
        .map_err(|e| ApiError::internal(format!("the sandbox could not save its state: {e}")))?;
    Ok(resp)
}

fn list(
    shared: &Shared,
    p: &[(String, String)],
    request_id: &str,
    now: OffsetDateTime,
    approve: Approval,
    issue_after_ms: i64,
) -> std::result::Result<Resp, ApiError> {
    let number = |name: &str, default: u64, max: u64| -> std::result::Result<u64, ApiError> {
        match param(p, name).filter(|v| !v.is_empty()) {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid(name, format!("{v:?}; use an integer from 1 to {max}"))
                }),
        }
    };
    let page = number("CurrentPage", 1, u64::from(u32::MAX))?;
    let size = number("ShowSize", 50, 1000)?;
    let order_type = param(p, "OrderType")
        .filter(|v| !v.is_empty())
        .unwrap_or("CPACK");
    if !matches!(order_type, "CPACK" | "BUY" | "UPLOAD" | "CERT") {
        return Err(ApiError::invalid(
            "OrderType",
            format!("{order_type:?}; use CPACK, BUY, UPLOAD or CERT"),
        ));
    }
    const STATUSES: [&str; 8] = [
        "PAYED",
        "CHECKING",
        "CHECKED_FAIL",
        "ISSUED",
        "WILLEXPIRED",
        "EXPIRED",
        "NOTACTIVATED",
        "REVOKED",
    ];
    let status = param(p, "Status").filter(|v| !v.is_empty());
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::invalid(
            "Status",
            format!("{s:?}; use one of {}", STATUSES.join(", ")),
        ));
    }
    let keyword = param(p, "Keyword")
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_lowercase);
    let mut s = lock(&shared.state);
    let ids: Vec<u64> = s.data.orders.keys().copied().collect();
    for id in ids {
        s.advance(id, approve, issue_after_ms, now)?;
    }
    let matching: Vec<&crate::state::Order> = if order_type == "CPACK" {
        s.data
            .orders
            .values()
            .rev()
            .filter(|o| status.is_none_or(|st| o.state.list_status() == st))
            .filter(|o| {
                keyword.as_deref().is_none_or(|k| {
                    o.dns_names.iter().any(|n| n.contains(k)) || o.id.to_string().contains(k)
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let total = matching.len() as u64;
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let items = matching
        .into_iter()
        .skip(skip)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .map(|o| wire::OrderItem {
            order_id: o.id,
            instance_id: format!("cas-ivauto-{}", o.id),
            domain: &o.domain,
            status: o.state.list_status(),
            product_code: &o.product_code,
            product_name: "sandbox DV certificate",
            cert_type: "DV",
            domain_type: if o.domain.starts_with("*.") {
                "WILDCARD"
            } else {
                "ONE"
            },
            source_type: "cpack",
            algorithm: &o.algorithm,
            buy_date: o.created_ms,
            domain_count: o.dns_names.iter().filter(|n| !n.starts_with("*.")).count() as u64,
            wild_domain_count: o.dns_names.iter().filter(|n| n.starts_with("*.")).count() as u64,
            cert_start_time: o.not_before_ms,
            cert_end_time: o.not_after_ms,
        })
        .collect();
    Ok(json_ok(
        request_id,
        &wire::ListResponse {
            request_id,
            total_count: total,
            current_page: page,
            show_size: size,
            certificate_order_list: items,
        },
    ))
}

#[derive(Serialize)]
struct ControlError {
    error: String,
}

async fn control(shared: &Shared, method: &str, rest: &str) -> Resp {
    let err = |status: u16, msg: String| control_json(status, &ControlError { error: msg });
    match (method, rest) {
        ("GET", "ca.pem") => respond(
            200,
            "application/x-pem-file",
            None,
            shared.ca_pem().into_bytes(),
        ),
        ("GET", "stats") => control_json(200, &shared.stats()),
        ("GET", "requests") => {
            let log: Vec<LoggedRequest> = lock(&shared.log).iter().cloned().collect();
            control_json(200, &log)
        }
        ("GET", "dns") => control_json(
            200,
            &serde_json::json!({ "zones": crate::alidns::listing(&lock(&shared.state)) }),
        ),
        ("GET", "verifications") => control_json(200, &lock(&shared.verifications).listing()),
        ("POST", r) if r.starts_with("orders/") => {
            let mut parts = r["orders/".len()..].split('/');
            let (Some(id), Some(verb), None) = (parts.next(), parts.next(), parts.next()) else {
                return err(
                    404,
                    format!(
                        "unknown control endpoint /_sandbox/{r}; use /_sandbox/orders/ID/approve or /fail"
                    ),
                );
            };
            let Ok(id) = id.parse::<u64>() else {
                return err(400, format!("{id:?} is not an order id"));
            };
            let result = {
                let mut s = lock(&shared.state);
                match verb {
                    "approve" => s.issue(id, OffsetDateTime::now_utc()),
                    "fail" => s.fail(id),
                    _ => {
                        return err(
                            404,
                            format!("unknown order action {verb:?}; use approve or fail"),
                        );
                    }
                }
                .map(|()| s.order(id).map(|o| o.state.wire()).unwrap_or("unknow"))
            };
            match result {
                Ok(state) => {
                    if let Err(e) = shared.persist().await {
                        return err(500, e.to_string());
                    }
                    control_json(
                        200,
                        &serde_json::json!({ "OrderId": id.to_string(), "Type": state }),
                    )
                }
                Err(e) => err(
                    if e.status == 404 { 404 } else { 409 },
                    format!("{}: {}", e.code, e.message),
                ),
            }
        }
        _ => err(
            404,
            format!(
                "unknown control endpoint {method} /_sandbox/{rest}; there are GET ca.pem, stats, requests, dns, verifications and POST orders/ID/approve, orders/ID/fail"
            ),
        ),
    }
}

/// Binds and spawns the server; returns the bound address, the shutdown sender and the task.
pub(crate) async fn spawn(
    shared: Arc<Shared>,
) -> Result<(SocketAddr, watch::Sender<bool>, tokio::task::JoinHandle<()>)> {
    let addr = shared.config.listen;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr, source })?;
    // The first write of a fresh state file happens before serving.
    shared.persist().await?;
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(serve(listener, shared, rx));
    Ok((local, tx, task))
}

#[cfg(test)]
mod tests {
    use super::redact_query;

    #[test]
    fn tokens_are_redacted_from_logged_queries() {
        assert_eq!(
            redact_query("/?A=1&SecurityToken=abc%2B&B=2"),
            "/?A=1&SecurityToken=**redacted**&B=2"
        );
        assert_eq!(
            redact_query("SecurityToken=x&C=3"),
            "SecurityToken=**redacted**&C=3"
        );
        assert_eq!(redact_query("/?A=1"), "/?A=1");
        assert_eq!(redact_query("/?XSecurityToken=1"), "/?XSecurityToken=1");
    }
}
