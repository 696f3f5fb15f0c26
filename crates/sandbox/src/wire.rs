//! The service's JSON shapes, with the wire's PascalCase names (reference 1.3 and 1.6).
//! These are the sandbox's own structs, not the client crate's.

use std::borrow::Cow;

use serde::Serialize;

/// An answer in the service's error shape; the HTTP status travels with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: Cow<'static, str>,
    pub(crate) message: String,
}

impl ApiError {
    pub(crate) fn new(
        status: u16,
        code: impl Into<Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    /// `MissingParameter` (400) naming the parameter.
    pub(crate) fn missing(name: &str) -> Self {
        ApiError::new(
            400,
            "MissingParameter",
            format!(
                "The input parameter \"{name}\" that is mandatory for processing this request is not supplied."
            ),
        )
    }

    /// `InvalidParameter` (400) naming the parameter and what is expected.
    pub(crate) fn invalid(name: &str, why: impl std::fmt::Display) -> Self {
        ApiError::new(
            400,
            "InvalidParameter",
            format!("The specified value of parameter \"{name}\" is not valid: {why}"),
        )
    }

    pub(crate) fn internal(why: impl std::fmt::Display) -> Self {
        ApiError::new(
            500,
            "InternalError",
            format!(
                "The request processing has failed due to some unknown error, exception or failure: {why}"
            ),
        )
    }
}

/// The error body: `{RequestId, HostId, Code, Message, Recommend}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorBody<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) host_id: &'a str,
    pub(crate) code: &'a str,
    pub(crate) message: &'a str,
    pub(crate) recommend: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct RequestIdOnly<'a> {
    pub(crate) request_id: &'a str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateResponse<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) order_id: u64,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DescribeStateResponse<'a> {
    pub(crate) request_id: &'a str,
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) validate_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) record_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) record_domain: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) record_value: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) uri: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) content: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) certificate: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct PackageStateResponse<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) product_code: &'a str,
    pub(crate) total_count: u64,
    pub(crate) used_count: u64,
    pub(crate) issued_count: u64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListResponse<'a> {
    pub(crate) request_id: &'a str,
    pub(crate) total_count: u64,
    pub(crate) current_page: u64,
    pub(crate) show_size: u64,
    pub(crate) certificate_order_list: Vec<OrderItem<'a>>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct OrderItem<'a> {
    pub(crate) order_id: u64,
    pub(crate) instance_id: String,
    pub(crate) domain: &'a str,
    pub(crate) status: &'static str,
    pub(crate) product_code: &'a str,
    pub(crate) product_name: &'static str,
    pub(crate) cert_type: &'static str,
    pub(crate) domain_type: &'static str,
    pub(crate) source_type: &'static str,
    pub(crate) algorithm: &'a str,
    pub(crate) buy_date: i64,
    pub(crate) domain_count: u64,
    pub(crate) wild_domain_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert_start_time: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cert_end_time: Option<i64>,
}
