//! The HTTP server: routing, the API operations, faults and the control endpoints.

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::{Frame, Incoming as Body, SizeHint};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::Serialize;
use time::OffsetDateTime;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::{self, Insert, NonceStore, Scheme};
use crate::ca;
use crate::canon::{RawPair, pairs_to_text, parse_pairs};
use crate::config::{Approval, DEFAULT_PRODUCT_CODE, Fault, FaultCount, FaultKind, SandboxConfig};
use crate::conn::{ConnState, Counted, Tracker};
use crate::csr;
use crate::error::{Error, Result};
use crate::instance;
use crate::product::{self, Product};
use crate::products;
use crate::state::{NewOrder, OrderState, State, ValidateType, write_atomic};
use crate::wire::{self, ApiError};

/// The API version served.
pub(crate) const VERSION: &str = "2020-04-07";
/// `HostId` in error bodies.
pub(crate) const HOST_ID: &str = "cas.aliyuncs.com";

/// The operations the sandbox implements (the last nine in `deploy.rs`).
pub(crate) const ACTIONS: [&str; 18] = [
    "CreateCertificateWithCsrRequest",
    "GetInstanceDetail",
    "ListTagResources",
    "DescribeCertificateState",
    "DescribePackageState",
    "ListUserCertificateOrder",
    "CancelOrderRequest",
    "DeleteCertificateRequest",
    "CancelCertificateForPackageRequest",
    "ListCloudResources",
    "ListContact",
    "UploadUserCertificate",
    "GetUserCertificateDetail",
    "CreateDeploymentJob",
    "UpdateDeploymentJobStatus",
    "DescribeDeploymentJob",
    "ListDeploymentJob",
    "ListWorkerResource",
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
    /// API requests in flight right now, each counted from its first byte
    /// to its answer: one still arriving (a slow client) counts, and one
    /// whose client hung up counts until the server drops it, so a test can
    /// wait for 0 instead of sleeping.
    pub api_in_flight: u64,
    /// Bytes the request log holds (the JSON `GET /_sandbox/requests`
    /// serves, without its brackets), at most
    /// [`SandboxConfig::request_log_max_bytes`].
    pub request_log_bytes: u64,
    /// Connections open right now (control-endpoint ones included).
    pub connections: u64,
    /// Orders currently kept.
    pub orders: u64,
    /// Quota per product code.
    pub quota: BTreeMap<String, QuotaStats>,
    /// Faults, keyed by their specification, with how often they fired.
    pub faults: BTreeMap<String, FaultStats>,
    /// `Throttling*` answers sent per action, whatever the cause (`--rate-limit`, a `throttle`
    /// fault, a full nonce store): a client that paces itself makes none.
    pub throttled: BTreeMap<String, u64>,
    /// Certificates uploaded (`UploadUserCertificate` that made one; a repeated `ClientToken`
    /// makes none).
    pub certificates_uploaded: u64,
    /// Deployment jobs created (`CreateDeploymentJob`).
    pub deployment_jobs_created: u64,
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
    throttled: BTreeMap<String, u64>,
}

/// The request log: each entry already serialised (the JSON object `GET /_sandbox/requests`
/// serves), so that its size is known and a fetch streams shared bytes instead of copying.
#[derive(Default)]
struct RequestLog {
    entries: VecDeque<Bytes>,
    bytes: usize,
}

pub(crate) struct Shared {
    pub(crate) config: SandboxConfig,
    pub(crate) state: Mutex<State>,
    written: tokio::sync::Mutex<u64>,
    nonces: Mutex<NonceStore>,
    counters: Mutex<Counters>,
    faults: Mutex<Vec<FaultSlot>>,
    log: Mutex<RequestLog>,
    /// The verifying CA's checks (`--approve verify`).
    pub(crate) verifications: Mutex<crate::verify::Verifications>,
    pub(crate) tracker: Arc<Tracker>,
    /// `--rate-limit`'s counts.
    limiter: Mutex<crate::ratelimit::RateLimiter>,
}

/// Locks, recovering from a poisoned lock (a panic elsewhere must not take the server down).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Shared {
    /// `base_url` is the base of the URLs its certificates name (AIA, CRL; `ca::ca_base_url`).
    pub(crate) fn new(config: SandboxConfig, base_url: &str) -> Result<Shared> {
        let state = State::open(&config, base_url)?;
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
            log: Mutex::new(RequestLog::default()),
            tracker: Arc::new(Tracker::default()),
            verifications: Mutex::new(crate::verify::Verifications::default()),
            limiter: Mutex::new(crate::ratelimit::RateLimiter::default()),
        })
    }

    pub(crate) fn stats(&self) -> Stats {
        let (requests, requests_total, throttled) = {
            let c = lock(&self.counters);
            (c.requests.clone(), c.total, c.throttled.clone())
        };
        let (orders_created, orders, quota, certificates_uploaded, deployment_jobs_created) = {
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
                s.data.deploy.uploaded,
                s.data.deploy.jobs_created,
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
            api_in_flight: self.tracker.in_flight(),
            request_log_bytes: lock(&self.log).bytes as u64,
            connections: self.tracker.open_connections() as u64,
            orders,
            quota,
            faults,
            throttled,
            certificates_uploaded,
            deployment_jobs_created,
        }
    }

    /// Counts a `Throttling*` answer to `action`.
    fn note_throttled(&self, action: &str) {
        *lock(&self.counters)
            .throttled
            .entry(action.to_owned())
            .or_insert(0) += 1;
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

    /// Saves the state (if it changed), then lets `resp` go out: an answer never announces a
    /// change that a restart would lose.
    pub(crate) async fn save_then(&self, resp: Resp) -> std::result::Result<Resp, ApiError> {
        self.persist().await.map_err(|e| {
            ApiError::internal(format!("the sandbox could not save its state: {e}"))
        })?;
        Ok(resp)
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
        let max_bytes = self.config.request_log_max_bytes;
        if cap == 0 || max_bytes == 0 {
            return;
        }
        let Some(json) = log_entry_json(entry, max_bytes) else {
            return;
        };
        let mut log = lock(&self.log);
        while !log.entries.is_empty()
            && (log.entries.len() >= cap || log.bytes + json.len() > max_bytes)
        {
            if let Some(old) = log.entries.pop_front() {
                log.bytes -= old.len();
            }
        }
        log.bytes += json.len();
        log.entries.push_back(json);
    }

    /// The request log as a JSON array, in chunks that share the log's bytes.
    fn log_body(&self) -> ResBody {
        let log = lock(&self.log);
        let mut chunks = VecDeque::with_capacity(log.entries.len() * 2 + 1);
        for (i, e) in log.entries.iter().enumerate() {
            chunks.push_back(Bytes::from_static(if i == 0 { b"[" } else { b"," }));
            chunks.push_back(e.clone());
        }
        if chunks.is_empty() {
            chunks.push_back(Bytes::from_static(b"["));
        }
        chunks.push_back(Bytes::from_static(b"]"));
        ResBody::chunks(chunks)
    }
}

/// One log entry as JSON, at most `max_bytes`: an entry too large keeps its method and path
/// (cut to 1 KiB) and says what it left out.
fn log_entry_json(mut entry: LoggedRequest, max_bytes: usize) -> Option<Bytes> {
    let json = serde_json::to_vec(&entry).ok()?;
    if json.len() <= max_bytes {
        return Some(Bytes::from(json));
    }
    entry.body = format!(
        "(the logged request was {} bytes as JSON; its headers and body are not kept, over the log's cap of {max_bytes} bytes)",
        json.len()
    );
    entry.headers.clear();
    if entry.path.len() > 1024 {
        let mut end = 1024;
        while !entry.path.is_char_boundary(end) {
            end -= 1;
        }
        entry.path.truncate(end);
    }
    let json = serde_json::to_vec(&entry).ok()?;
    (json.len() <= max_bytes).then(|| Bytes::from(json))
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

/// A response body: chunks of bytes with an exact length. One chunk for an ordinary answer;
/// many shared ones for the request log, which is streamed rather than copied.
pub(crate) struct ResBody {
    chunks: VecDeque<Bytes>,
    remaining: u64,
}

impl ResBody {
    fn chunks(chunks: VecDeque<Bytes>) -> ResBody {
        let remaining = chunks.iter().map(|c| c.len() as u64).sum();
        ResBody { chunks, remaining }
    }

    fn full(bytes: Bytes) -> ResBody {
        ResBody::chunks(VecDeque::from([bytes]))
    }

    /// The whole body in one buffer (for answers the sandbox rewrites, e.g. as XML).
    fn to_vec(&self) -> Vec<u8> {
        self.chunks.iter().flat_map(|c| c.iter().copied()).collect()
    }
}

impl hyper::body::Body for ResBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        let this = self.get_mut();
        Poll::Ready(this.chunks.pop_front().map(|c| {
            this.remaining -= c.len() as u64;
            Ok(Frame::data(c))
        }))
    }

    fn is_end_stream(&self) -> bool {
        self.chunks.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}

pub(crate) type Resp = Response<ResBody>;

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
    let mut r = Response::new(ResBody::full(Bytes::from(body)));
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

/// The `Recommend` link of an error body: the product capitalised, as in the Recommend URLs the
/// reference quotes (`product=Alidns`, `product=Slb`; attack-sandbox F16).
pub(crate) fn recommend(product: Product, code: &str, request_id: &str) -> String {
    format!(
        "https://api.aliyun.com/troubleshoot?q={code}&product={}&requestId={request_id}",
        product.recommend_name()
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

/// The `host` values that name the address a client connected to: `IP:PORT` (`[IP]:PORT` for
/// IPv6) and, on loopback, `localhost:PORT`; without the port when it is 80, the default.
fn host_names(local: SocketAddr, public: &[String]) -> Vec<String> {
    let mut names = vec![local.to_string()];
    names.extend(public.iter().map(|h| h.to_ascii_lowercase()));
    if local.ip().is_loopback() {
        names.push(format!("localhost:{}", local.port()));
    }
    if local.port() == 80 {
        let bare: Vec<String> = names
            .iter()
            .filter_map(|n| n.strip_suffix(":80").map(str::to_owned))
            .collect();
        names.extend(bare);
    }
    names
}

/// Runs the accept loop until `shutdown` changes or its sender is dropped.
pub(crate) async fn serve(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let max_buf = shared.config.max_request_bytes.max(8192) + 16 * 1024;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(max_buf)
        .timer(TokioTimer::new())
        .header_read_timeout(shared.config.header_timeout);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let stream = match accepted {
            Ok((stream, _peer)) => stream,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::ConnectionAborted
                        | std::io::ErrorKind::ConnectionReset
                        | std::io::ErrorKind::Interrupted
                ) =>
            {
                continue;
            }
            Err(_) => {
                // Out of file descriptors (or memory): make room by closing the oldest
                // connection that is only waiting, so that slow or idle clients cannot lock
                // everyone else out; back off when there is none.
                let pause = if shared.tracker.evict_oldest_waiting() {
                    1
                } else {
                    10
                };
                tokio::time::sleep(Duration::from_millis(pause)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Ok(local) = stream.local_addr() else {
            continue;
        };
        let hosts = Arc::new(host_names(local, &shared.config.public_hosts));
        let conn = shared.tracker.open();
        let io = TokioIo::new(Counted::new(stream, conn.clone()));
        let svc = {
            let (shared, conn) = (shared.clone(), conn.clone());
            hyper::service::service_fn(move |req| {
                handle(shared.clone(), conn.clone(), hosts.clone(), req)
            })
        };
        let serving = http.serve_connection(io, svc);
        let mut stop = shutdown.clone();
        let guard = conn.task_guard();
        let task = tokio::spawn(async move {
            let _guard = guard;
            tokio::pin!(serving);
            tokio::select! {
                _ = serving.as_mut() => {}
                _ = stop.changed() => {
                    serving.as_mut().graceful_shutdown();
                    let _ = serving.await;
                }
            }
        });
        shared.tracker.set_abort(&conn, task.abort_handle());
    }
}

/// How a V1 request asked to be answered (`Format`); V3 answers JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Rewrites a JSON answer as XML when the request asked for it (`Format=XML`, or no `Format`
/// on a V1 request): `<Error>` for an error, `<ActionResponse>` otherwise.
fn in_format(resp: Resp, format: Format, action: Option<&str>) -> Resp {
    let is_json = resp
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if format == Format::Json || !is_json {
        return resp;
    }
    let (mut parts, body) = resp.into_parts();
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&body.to_vec()) else {
        return Response::from_parts(parts, body);
    };
    let root = if parts.status.is_success() {
        format!("{}Response", action.unwrap_or("Unknown"))
    } else {
        "Error".to_owned()
    };
    parts.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/xml;charset=utf-8"),
    );
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(
        parts,
        ResBody::full(Bytes::from(wire::to_xml(&root, &value))),
    )
}

/// The value of a parameter among byte pairs, if present and UTF-8.
fn raw_param<'a>(p: &'a [RawPair], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(n, _)| n.as_slice() == name.as_bytes())
        .and_then(|(_, v)| std::str::from_utf8(v).ok())
}

async fn handle(
    shared: Arc<Shared>,
    conn: Arc<ConnState>,
    hosts: Arc<Vec<String>>,
    req: Request<Body>,
) -> std::result::Result<Resp, Dropped> {
    // Counted from its first byte (conn.rs) until this guard drops with the answer.
    let _request = conn.request();
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
    let read = Limited::new(body, limit - target.len()).collect();
    let body = match tokio::time::timeout(shared.config.body_timeout, read).await {
        Err(_) => {
            // A body that does not arrive in time: say so and close (hyper cannot keep a
            // connection whose body was not read).
            let mut r = api_error(
                &request_id,
                &ApiError::new(
                    408,
                    "RequestTimeout",
                    format!(
                        "The request body did not arrive within {} s. Send the whole body at once.",
                        shared.config.body_timeout.as_secs_f64()
                    ),
                ),
            );
            r.headers_mut()
                .insert("connection", HeaderValue::from_static("close"));
            return Ok(r);
        }
        Ok(Ok(c)) => c.to_bytes(),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            return Ok(too_large(&shared));
        }
        Ok(Err(_)) => return Err(Dropped),
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
        // Not an API request: not counted in flight (but not to be closed to make room).
        conn.end();
        conn.processing();
        // Reads of the control endpoints are counted but not logged: polling them would
        // push the API requests out of the log.
        if method == "GET" {
            lock(&shared.counters).total += 1;
        } else {
            shared.record(logged, None);
        }
        return Ok(control(&shared, &method, rest).await);
    }
    conn.processing();

    // The API. The Authorization header decides the scheme (auth::Scheme): V3 takes its
    // operation from the signed x-acs-* headers and its parameters from the query only (the
    // CAS parameters are "in":"query", reference 2.1); V1 takes everything from its signed
    // parameters, in the query or a form body (reference 2.2).
    let scheme = Scheme::of(&parts.headers);
    let query = parse_pairs(parts.uri.query().unwrap_or("").as_bytes());
    let mut raw_params = query.clone();
    let is_form = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if scheme == Scheme::V1 && is_form {
        raw_params.extend(parse_pairs(&body));
    }
    let hdr = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let unsigned = scheme == Scheme::V1
        && ["Signature", "SignatureMethod", "AccessKeyId"]
            .iter()
            .all(|n| !raw_params.iter().any(|(k, _)| k.as_slice() == n.as_bytes()));
    let (action, version) = match scheme {
        Scheme::V3 => (hdr("x-acs-action"), hdr("x-acs-version")),
        Scheme::V1 => (
            raw_param(&raw_params, "Action"),
            raw_param(&raw_params, "Version"),
        ),
    };
    // The version picks the product (CAS or Alidns, one URL); unknown versions are refused below.
    let product = version
        .and_then(Product::for_version)
        .unwrap_or(Product::Cas);
    let known = action.and_then(|a| product.action(a));
    shared.record(logged, known);
    // V1 answers in the Format it asks for. Without one, XML: the generic V1 document
    // (reference 2.2) says "default XML", the 2020 CAS common-parameter page (1.1) "JSON
    // default". The gateway, not CAS, renders the answer, so the gateway's document wins; and
    // a client that forgets Format=JSON then fails here as it may against the service.
    let format = match (scheme, raw_param(&raw_params, "Format")) {
        (Scheme::V3, _) => Format::Json,
        (Scheme::V1, None) => Format::Xml,
        (Scheme::V1, Some(f)) if f.eq_ignore_ascii_case("json") => Format::Json,
        (Scheme::V1, Some(f)) if f.eq_ignore_ascii_case("xml") => Format::Xml,
        (Scheme::V1, Some(f)) => {
            return Ok(in_format(
                api_error(
                    &request_id,
                    &ApiError::invalid("Format", format!("{f:?}; use JSON or XML")),
                ),
                Format::Xml,
                known,
            ));
        }
    };
    // From here on, errors carry the product's HostId and Recommend link.
    let answer = |e: &ApiError| in_format(api_error_for(product, &request_id, e), format, known);
    if unsigned {
        // Neither scheme: no way to tell which parameters or headers to trust.
        return Ok(api_error(
            &request_id,
            &ApiError::new(
                400,
                "IncompleteSignature",
                "The request signature does not conform to Aliyun standards: there is no Authorization header (V3) and no Signature parameter (V1).",
            ),
        ));
    }

    if path != "/" {
        return Ok(answer(&ApiError::new(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method: the path is {path:?}; RPC requests go to \"/\"."
            ),
        )));
    }
    if !matches!(method.as_str(), "GET" | "POST") {
        return Ok(answer(&ApiError::new(
            400,
            "UnsupportedHTTPMethod",
            format!("This http method not supported: {method}; use GET or POST."),
        )));
    }
    let Some(action_name) = action else {
        return Ok(answer(&ApiError::missing(match scheme {
            Scheme::V3 => "x-acs-action",
            Scheme::V1 => "Action",
        })));
    };
    let Some(action) = known else {
        return Ok(answer(&ApiError::new(
            404,
            "InvalidApi.NotFound",
            format!(
                "Specified api is not found, please check your url and method: {action_name:?} is not an operation of {} {} that the sandbox implements ({}).",
                product.name(),
                product.version(),
                product.actions().join(", ")
            ),
        )));
    };
    match version {
        None => {
            return Ok(answer(&ApiError::missing(match scheme {
                Scheme::V3 => "x-acs-version",
                Scheme::V1 => "Version",
            })));
        }
        Some(v) if Product::for_version(v).is_some() => {}
        Some(other) => {
            return Ok(answer(&ApiError::new(
                400,
                "InvalidVersion",
                format!(
                    "Specified parameter Version is not valid: {other:?}; the sandbox serves version {}.",
                    Product::all_versions()
                ),
            )));
        }
    }
    if scheme == Scheme::V3 {
        // Beside V3 headers, a query Action or Version that differs is a client mixing the
        // schemes (attack-sandbox F14); the signed headers decide, so say so.
        for (name, value) in [("Action", action), ("Version", product.version())] {
            if let Some(q) = raw_param(&query, name).filter(|q| *q != value) {
                return Ok(answer(&ApiError::new(
                    400,
                    "IncompleteSignature",
                    format!(
                        "The request signature does not conform to Aliyun standards: the query parameter {name}={q:?} contradicts the signed x-acs-{} header {value:?}; a V3 request names its operation in the headers.",
                        name.to_ascii_lowercase()
                    ),
                )));
            }
        }
    }

    // Authentication.
    let now = OffsetDateTime::now_utc();
    let secs = |d: Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let incoming = auth::Incoming {
        method: &method,
        path: &path,
        query: &query,
        params: &raw_params,
        headers: &parts.headers,
        body: &body,
        hosts: &hosts,
    };
    let windows = auth::Windows {
        v3_secs: secs(shared.config.max_clock_skew),
        v1_secs: secs(shared.config.max_clock_skew_v1),
    };
    let verified = match auth::verify(
        &incoming,
        &shared.config.credentials,
        shared.config.sts.as_ref(),
        now,
        windows,
    ) {
        Ok(v) => v,
        Err(e) => return Ok(answer(&e)),
    };
    let inserted = lock(&shared.nonces).insert(
        &verified.nonce_key,
        verified.nonce_expires,
        now.unix_timestamp(),
    );
    match inserted {
        Insert::Fresh => {}
        Insert::Replay => {
            return Ok(answer(&ApiError::new(
                400,
                "SignatureNonceUsed",
                "Specified signature nonce was used already. Send every request, retries included, with a fresh nonce.",
            )));
        }
        Insert::Full { retry_after_secs } => {
            shared.note_throttled(action);
            let mut resp = answer(&ApiError::new(
                400,
                "Throttling.User",
                format!(
                    "Request was denied due to user flow control: the sandbox remembers at most {} nonces of the clock window and all are in use. Retry in {retry_after_secs} s, when the oldest leaves the window.",
                    shared.config.max_nonces
                ),
            ));
            resp.headers_mut()
                .insert("x-acs-retry-after", HeaderValue::from(retry_after_secs));
            return Ok(resp);
        }
    }

    // Flow control (`--rate-limit`), per action and shared by every credential.
    if let Some(limit) = shared.config.rate_limit
        && !lock(&shared.limiter).admit(action, now.unix_timestamp(), limit)
    {
        shared.note_throttled(action);
        return Ok(answer(&ApiError::new(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )));
    }

    // The parameters as text, each given once (the signature covered their bytes).
    let params = match pairs_to_text(&raw_params) {
        Ok(p) => p,
        Err(name) => {
            return Ok(answer(&ApiError::invalid(
                &name,
                "its name or value is not UTF-8 text",
            )));
        }
    };
    if let Some((name, _)) = params
        .iter()
        .enumerate()
        .find(|(i, (n, _))| params[..*i].iter().any(|(m, _)| m == n))
        .map(|(_, p)| p)
    {
        // The reference does not say which of two values the service takes; a client that
        // sends a parameter twice has a bug either way.
        return Ok(answer(&ApiError::invalid(
            name,
            "the parameter is given more than once; send it once",
        )));
    }

    // RAM: an action the sandbox was told to deny (`--deny`).
    if product::is_denied(&shared.config.denied_actions, action) {
        return Ok(in_format(
            product::denied(product, action, &request_id),
            format,
            known,
        ));
    }

    // Faults.
    let mut drop_after = false;
    let mut answer_after = None;
    match shared.take_fault(action) {
        None => {}
        Some(kind @ (FaultKind::Throttle | FaultKind::ThrottleRetryAfter(_))) => {
            shared.note_throttled(action);
            let mut resp = answer(&ApiError::new(
                400,
                "Throttling.User",
                "Request was denied due to user flow control.",
            ));
            if let FaultKind::ThrottleRetryAfter(secs) = kind {
                resp.headers_mut()
                    .insert("x-acs-retry-after", HeaderValue::from(secs));
            }
            return Ok(resp);
        }
        Some(FaultKind::Error500) => {
            return Ok(answer(&ApiError::new(
                500,
                "InternalError",
                "The request processing has failed due to some unknown error, exception or failure.",
            )));
        }
        Some(FaultKind::Error503) => {
            return Ok(answer(&ApiError::new(
                503,
                "ServiceUnavailable",
                "The request has failed due to a temporary failure of the server.",
            )));
        }
        Some(FaultKind::DropBefore) => return Err(Dropped),
        Some(FaultKind::Delay(d)) => tokio::time::sleep(d).await,
        Some(FaultKind::DropAfter) => drop_after = true,
        Some(FaultKind::AnswerAfter(d)) => answer_after = Some(d),
    }

    let result = match product {
        Product::Cas => dispatch(&shared, action, &params, &request_id).await,
        Product::Alidns => crate::alidns::dispatch(&shared, action, &params, &request_id).await,
    };
    if drop_after {
        return Err(Dropped);
    }
    if let Some(d) = answer_after {
        tokio::time::sleep(d).await;
    }
    Ok(match result {
        Ok(r) => in_format(r, format, Some(action)),
        Err(e) => answer(&e),
    })
}

pub(crate) fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// An optional integer parameter from 1 to `max` (paging), `default` when absent or empty.
pub(crate) fn number_param(
    p: &[(String, String)],
    name: &str,
    default: u64,
    max: u64,
) -> std::result::Result<u64, ApiError> {
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
}

pub(crate) fn required<'a>(
    p: &'a [(String, String)],
    name: &str,
) -> std::result::Result<&'a str, ApiError> {
    param(p, name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| ApiError::missing(name))
}

/// A decimal number as written by a client that means it: digits only, no sign, no spaces, no
/// leading zero (attack-sandbox F14; the reference is silent, `Long` on the wire).
fn canonical_number(raw: &str) -> Option<u64> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    if !digits || (raw.len() > 1 && raw.starts_with('0')) {
        return None;
    }
    raw.parse().ok()
}

fn order_id(p: &[(String, String)]) -> std::result::Result<u64, ApiError> {
    let raw = required(p, "OrderId")?;
    canonical_number(raw).filter(|n| *n > 0).ok_or_else(|| {
        ApiError::invalid(
            "OrderId",
            format!("{raw:?} is not an order id (a positive integer, digits only)"),
        )
    })
}

/// The contact fields: an email `local@domain.tld`, a phone of digits (with `+`, `-`, spaces
/// or parentheses). The reference only says they are required strings; a value no person
/// could be reached at is refused (attack-sandbox F14).
fn contact(phone: &str, email: &str) -> std::result::Result<(), ApiError> {
    let email_ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !email.contains(char::is_whitespace)
    });
    if !email_ok {
        return Err(ApiError::invalid(
            "Email",
            format!("{email:?} is not an email address (name@example.com)"),
        ));
    }
    let phone_ok = phone.bytes().any(|b| b.is_ascii_digit())
        && phone
            .bytes()
            .all(|b| b.is_ascii_digit() || b"+-() ".contains(&b));
    if !phone_ok {
        return Err(ApiError::invalid(
            "Phone",
            format!("{phone:?} is not a phone number (digits, with + - ( ) or spaces)"),
        ));
    }
    Ok(())
}

pub(crate) fn tags(p: &[(String, String)]) -> std::result::Result<Vec<(String, String)>, ApiError> {
    let mut by_index: BTreeMap<u32, (Option<String>, Option<String>)> = BTreeMap::new();
    for (n, v) in p {
        let Some(rest) = n.strip_prefix("Tags.") else {
            continue;
        };
        let (idx, field) = rest
            .split_once('.')
            .ok_or_else(|| ApiError::invalid(n, "tags are sent as Tags.N.Key and Tags.N.Value"))?;
        let idx = canonical_number(idx)
            .filter(|i| (1..=20).contains(i))
            .and_then(|i| u32::try_from(i).ok())
            .ok_or_else(|| ApiError::invalid(n, "the tag index must be 1 to 20, digits only"))?;
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
            contact(phone, email)?;
            let product_code = param(p, "ProductCode")
                .filter(|c| !c.is_empty())
                .unwrap_or(DEFAULT_PRODUCT_CODE)
                .to_owned();
            if products::dv(&product_code).is_none() {
                return Err(products::not_dv(&product_code));
            }
            let tags = tags(p)?;
            let mut csr = csr::check(csr_pem)?;
            csr.dns_names = products::names_for(&product_code, &csr)?.names;
            let id = lock(&shared.state).create(
                NewOrder {
                    csr,
                    product_code,
                    validate_type,
                    username: username.to_owned(),
                    phone: phone.to_owned(),
                    email: email.to_owned(),
                    tags,
                    csr_pem: csr_pem.to_owned(),
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
            // Create refuses an unknown code; so does this (attack-sandbox F14). A documented
            // code without a plan answers zeros.
            if !products::is_documented(code) {
                return Err(ApiError::invalid(
                    "ProductCode",
                    format!("\"{code}\" is not a product code of the SSL Certificates Service"),
                ));
            }
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
        "GetInstanceDetail" => {
            let mut s = lock(&shared.state);
            if let Some(id) = param(p, "InstanceId")
                .and_then(|i| i.strip_prefix("cas-ivauto-"))
                .and_then(|i| i.parse::<u64>().ok())
            {
                s.advance(id, approve, issue_after_ms, now)?;
            }
            json_ok(request_id, &instance::detail(&s, p, request_id)?)
        }
        "ListTagResources" => json_ok(
            request_id,
            &instance::list_tags(&lock(&shared.state), p, request_id)?,
        ),
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
        "CancelCertificateForPackageRequest" => {
            let id = order_id(p)?;
            let mut s = lock(&shared.state);
            s.advance(id, approve, issue_after_ms, now)?;
            s.revoke(id, now)?;
            json_ok(request_id, &wire::RequestIdOnly { request_id })
        }
        a if crate::deploy::ACTIONS.contains(&a) => {
            return crate::deploy::dispatch(shared, a, p, request_id, now).await;
        }
        other => return Err(unknown_action(other)),
    };
    shared.save_then(resp).await
}

/// `InvalidApi.NotFound` for an action a product does not have.
pub(crate) fn unknown_action(name: &str) -> ApiError {
    ApiError::new(
        404,
        "InvalidApi.NotFound",
        format!("Specified api is not found: {name}"),
    )
}

fn list(
    shared: &Shared,
    p: &[(String, String)],
    request_id: &str,
    now: OffsetDateTime,
    approve: Approval,
    issue_after_ms: i64,
) -> std::result::Result<Resp, ApiError> {
    let number = |name: &str, default: u64, max: u64| number_param(p, name, default, max);
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
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let skip = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or(usize::MAX);
    let keyword_in = |texts: &[&str]| {
        keyword
            .as_deref()
            .is_none_or(|k| texts.iter().any(|t| t.to_ascii_lowercase().contains(k)))
    };
    let (total, items): (usize, Vec<serde_json::Value>) = match order_type {
        // The orders the Create*Request operations make (reference 1.3.6). Keyword matches a
        // domain or the resource ids (order id, instance id).
        "CPACK" => {
            let matching: Vec<&crate::state::Order> = s
                .data
                .orders
                .values()
                .rev()
                .filter(|o| status.is_none_or(|st| o.list_status(now_ms) == st))
                .filter(|o| {
                    let names: Vec<&str> = o.dns_names.iter().map(String::as_str).collect();
                    let (id, instance) = (o.id.to_string(), instance::instance_id(o.id));
                    keyword_in(&[&names[..], &[id.as_str(), instance.as_str()]].concat())
                })
                .collect();
            let items = matching
                .iter()
                .skip(skip)
                .take(take)
                .map(|o| {
                    let (domain_type, domain_count, wild_domain_count) =
                        products::list_shape(&o.product_code, &o.dns_names);
                    serde_json::to_value(wire::OrderItem {
                        order_id: o.id,
                        instance_id: instance::instance_id(o.id),
                        domain: &o.domain,
                        status: o.list_status(now_ms),
                        product_code: &o.product_code,
                        product_name: "sandbox DV certificate",
                        cert_type: "DV",
                        domain_type,
                        source_type: "cpack",
                        algorithm: &o.algorithm,
                        buy_date: o.created_ms,
                        domain_count,
                        wild_domain_count,
                        cert_start_time: o.not_before_ms,
                        cert_end_time: o.not_after_ms,
                    })
                    .unwrap_or_default()
                })
                .collect();
            (matching.len(), items)
        }
        // "CERT: certificate. Both issued certificates and uploaded certificates are
        // returned"; "UPLOAD: uploaded certificate. Only uploaded certificates are returned"
        // (the SDK's documentation; attack-sandbox F12). An empty Status means the valid ones.
        "CERT" | "UPLOAD" => {
            let issued = s
                .data
                .orders
                .values()
                .rev()
                .filter(|o| o.state == OrderState::Certificate)
                .filter(|_| order_type == "CERT")
                .filter_map(|o| Some((o.list_status(now_ms), cert_item(o, now_ms)?)));
            let matching: Vec<wire::CertItem> = s
                .data
                .deploy
                .upload_items(now_ms)
                .into_iter()
                .chain(issued)
                .filter(|(st, _)| match status {
                    None => matches!(*st, "ISSUED" | "WILLEXPIRED"),
                    Some(want) => *st == want,
                })
                .map(|(_, c)| c)
                .filter(|c| {
                    let id = c.certificate_id.to_string();
                    keyword_in(&[c.common_name.as_str(), c.sans.as_str(), id.as_str()])
                })
                .collect();
            let items = matching
                .iter()
                .skip(skip)
                .take(take)
                .map(|c| serde_json::to_value(c).unwrap_or_default())
                .collect();
            (matching.len(), items)
        }
        _ => (0, Vec::new()),
    };
    Ok(json_ok(
        request_id,
        &wire::ListResponse {
            request_id,
            total_count: total as u64,
            current_page: page,
            show_size: size,
            certificate_order_list: items,
        },
    ))
}

/// An issued certificate as `ListUserCertificateOrder` lists it with `OrderType=CERT`
/// (reference 1.3.6). The reference names the fields but not the formats of `Fingerprint`,
/// `Sha2` and `SerialNo`; the sandbox writes uppercase hex (SHA-1 and SHA-256 of the DER, and
/// the serial number).
fn cert_item(o: &crate::state::Order, now_ms: i64) -> Option<wire::CertItem> {
    let cert_id = o.cert_id?;
    let facts = crate::deploy::CertFacts::of_chain(o.certificate.as_deref()?).ok()?;
    let mut item = facts.item(cert_id, format!("cert-{cert_id}"), false, now_ms);
    // The order's own names and times (what it certifies), as before uploads existed.
    item.common_name.clone_from(&o.domain);
    item.sans = o.dns_names.join(",");
    Some(item)
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
        ("GET", "dns") => control_json(
            200,
            &serde_json::json!({ "zones": crate::alidns::listing(&lock(&shared.state)) }),
        ),
        ("GET", "verifications") => control_json(200, &lock(&shared.verifications).listing()),
        ("GET", "resources") => {
            let listing = {
                let mut s = lock(&shared.state);
                crate::deploy::settle_now(&mut s);
                s.data.deploy.listing()
            };
            if let Err(e) = shared.persist().await {
                return err(500, e.to_string());
            }
            control_json(200, &listing)
        }
        ("GET", "requests") => {
            let mut r = Response::new(shared.log_body());
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        // The CA's certificates and CRLs, which issued certificates name (ca.rs).
        ("GET", ca::ROOT_CER) => {
            let der = lock(&shared.state).ca.root_der();
            respond(200, "application/pkix-cert", None, der)
        }
        ("GET", ca::INTERMEDIATE_CER) => {
            let der = lock(&shared.state).ca.intermediate_der();
            respond(200, "application/pkix-cert", None, der)
        }
        ("GET", crl @ (ca::ROOT_CRL | ca::INTERMEDIATE_CRL)) => {
            let now = OffsetDateTime::now_utc();
            let made = {
                let s = lock(&shared.state);
                if crl == ca::ROOT_CRL {
                    s.ca.root_crl(now)
                } else {
                    s.intermediate_crl(now)
                }
            };
            match made {
                Ok(der) => respond(200, "application/pkix-crl", None, der),
                Err(e) => err(500, e.to_string()),
            }
        }
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
                "unknown control endpoint {method} /_sandbox/{rest}; there are GET ca.pem, ca/root.cer, ca/intermediate.cer, ca/root.crl, ca/intermediate.crl, stats, requests, dns, verifications, resources and POST orders/ID/approve, orders/ID/fail"
            ),
        ),
    }
}

/// Binds `addr`; returns the listener and the bound address.
pub(crate) async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr)> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| Error::Bind { addr, source })?;
    Ok((listener, local))
}

/// The address a client on this machine uses to reach a socket bound to `addr`: the loopback
/// address of the same family in place of the unspecified one (`0.0.0.0`, `::`).
pub(crate) fn reachable(mut addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into()),
        IpAddr::V6(ip) if ip.is_unspecified() => addr.set_ip(std::net::Ipv6Addr::LOCALHOST.into()),
        _ => {}
    }
    addr
}

/// The base URL a client on this machine uses for a sandbox bound to `addr`.
pub(crate) fn base_url(addr: SocketAddr) -> String {
    format!("http://{}", reachable(addr))
}

/// Serves on `listener` in the background; returns the shutdown sender and the task.
pub(crate) async fn spawn(
    listener: TcpListener,
    shared: Arc<Shared>,
) -> Result<(watch::Sender<bool>, tokio::task::JoinHandle<()>)> {
    // The first write of a fresh state file happens before serving.
    shared.persist().await?;
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(serve(listener, shared, rx));
    Ok((tx, task))
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
