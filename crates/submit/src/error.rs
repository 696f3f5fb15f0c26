//! The one error type of this crate.

use std::fmt;

/// What went wrong at the transport level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportKind {
    /// The TCP or TLS connection could not be set up (refused, DNS failure,
    /// certificate rejected, connect timeout). Nothing was sent.
    Connect,
    /// No (complete) answer within the read timeout.
    Timeout,
    /// The connection broke while the request or the response was in flight.
    Connection,
    /// The HTTP client could not be built or the request could not be formed.
    Setup,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "connection failed",
            TransportKind::Timeout => "timed out",
            TransportKind::Connection => "connection broken",
            TransportKind::Setup => "HTTP client setup failed",
        })
    }
}

/// Everything that can go wrong while talking to the certificate API.
///
/// No variant ever holds an AccessKey secret or an STS token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The service answered with an error. `code` is the service's `Code`,
    /// verbatim (e.g. `SignatureDoesNotMatch`, `Throttling.User`).
    #[error(
        "{action}: the service answered {code}: {message} (HTTP {http_status}, request id {}){}{}",
        request_id.as_deref().unwrap_or("none"),
        recommend.as_deref().map(|r| format!("; see {r}")).unwrap_or_default(),
        api_hint(code)
    )]
    Api {
        /// The API name that was called.
        action: String,
        /// The HTTP status of the answer.
        http_status: u16,
        /// The service's error code, verbatim.
        code: String,
        /// The service's message, verbatim.
        message: String,
        /// The `RequestId` to quote to Alibaba Cloud support.
        request_id: Option<String>,
        /// The `Recommend` troubleshooting link.
        recommend: Option<String>,
        /// The `AccessDeniedDetail` object of a RAM denial, as compact JSON.
        access_denied_detail: Option<String>,
    },

    /// The request did not get a usable HTTP answer.
    #[error(
        "{action} to {endpoint}: {kind}: {detail}{}",
        if *request_may_have_been_sent {
            "; the request may have reached the service"
        } else {
            "; nothing was sent. Check the endpoint, the network and any proxy"
        }
    )]
    Transport {
        /// The API name that was called.
        action: String,
        /// The endpoint URL.
        endpoint: String,
        /// What failed.
        kind: TransportKind,
        /// False only when the failure certainly happened before the request
        /// was written (e.g. the connection was refused).
        request_may_have_been_sent: bool,
        /// The HTTP library's description.
        detail: String,
    },

    /// No usable credentials.
    #[error("credentials ({source_name}): {detail}")]
    Credentials {
        /// The provider or file at fault (`default` when none was found).
        source_name: String,
        /// What is wrong and what to do; lists every source tried when none
        /// had credentials.
        detail: String,
    },

    /// The answer could not be read as the expected JSON.
    #[error(
        "{action}: the answer (HTTP {http_status}) could not be read: {detail}; body starts with {body_excerpt:?}. \
         Check that the endpoint is the certificate API"
    )]
    Decode {
        /// The API name that was called.
        action: String,
        /// The HTTP status of the answer.
        http_status: u16,
        /// Why decoding failed.
        detail: String,
        /// The first bytes of the body, for diagnosis.
        body_excerpt: String,
    },

    /// A call that must not be repeated blindly (a
    /// `CreateCertificateWithCsrRequest`, a `CreateDeploymentJob`: see
    /// [`Idempotency`](crate::Idempotency)) failed in a way that does not tell
    /// whether the service acted (timeout or broken connection after sending,
    /// a 5xx, an unreadable answer). It was not retried.
    #[error(
        "the outcome of {action} is unknown: {cause}. {}",
        outcome_advice(action)
    )]
    OutcomeUnknown {
        /// The API name that was called.
        action: String,
        /// The failure that left the outcome unknown.
        #[source]
        cause: Box<Error>,
    },

    /// The endpoint is not acceptable.
    #[error("endpoint {endpoint:?}: {reason}")]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// Why it was refused and what to use instead.
        reason: String,
    },

    /// A request parameter is not acceptable; nothing was sent.
    #[error("{field}: {reason}")]
    InvalidInput {
        /// The parameter at fault.
        field: String,
        /// What is wrong with it and what to do.
        reason: String,
    },
}

/// What to do after an [`Error::OutcomeUnknown`] of `action`.
fn outcome_advice(action: &str) -> &'static str {
    match action {
        "CreateCertificateWithCsrRequest" => {
            "The service may have created the order and spent one unit of quota: do not submit again until \
             `csrkit orders --keyword <domain>` shows that no order was created"
        }
        _ => {
            "The service may have carried it out: look it up before sending it again (running the same csrkit \
             command again does)"
        }
    }
}

fn api_hint(code: &str) -> &'static str {
    match code {
        "SignatureDoesNotMatch" | "IncompleteSignature" => {
            ". Check the AccessKey secret (and that no proxy rewrites the request)"
        }
        c if c.starts_with("InvalidAccessKeyId") => {
            ". Check the AccessKey ID and that the key is enabled"
        }
        c if c.starts_with("InvalidTimeStamp") => {
            ". Check this machine's clock (it must be within 15 minutes of UTC)"
        }
        c if c.starts_with("Throttling") => ". The service is rate limiting: try again later",
        c if c.starts_with("Forbidden") || c == "NoPermission" => {
            ". Grant the RAM user yundun-cert permissions (e.g. AliyunYundunCertFullAccess)"
        }
        "SignatureNonceUsed" => ". If this persists, check the RAM user's permissions",
        "ServiceUnavailable" | "InternalError" => {
            ". The service had a temporary problem: try again later"
        }
        c if c.starts_with("Missing") || c.starts_with("Invalid") => {
            ". A request parameter is missing or not valid: the message names it"
        }
        "NotRemainCount" => {
            ". No certificates left in the plan: buy more, or delete failed orders to refund them"
        }
        "NotFoundPackage" => ". No certificate resource plan: buy one for this product code",
        "NotFoundOrder" => ". Check the order id (csrkit orders lists them)",
        _ => "",
    }
}

impl Error {
    /// The service's error code, if the service answered with one (also
    /// through [`Error::OutcomeUnknown`]).
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } => Some(code),
            Error::OutcomeUnknown { cause, .. } => cause.code(),
            _ => None,
        }
    }

    /// The service's request id, if any.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Api { request_id, .. } => request_id.as_deref(),
            Error::OutcomeUnknown { cause, .. } => cause.request_id(),
            _ => None,
        }
    }

    /// True when the service refused the request (an [`Error::Api`]), so it
    /// certainly did not act on it.
    pub fn is_api(&self) -> bool {
        matches!(self, Error::Api { .. })
    }
}
