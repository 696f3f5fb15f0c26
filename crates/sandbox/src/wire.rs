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
    /// [`OrderItem`]s, or [`CertItem`]s for `OrderType=CERT`.
    pub(crate) certificate_order_list: Vec<serde_json::Value>,
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

/// A list item for `OrderType=CERT` (reference 1.3.6).
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CertItem {
    pub(crate) certificate_id: u64,
    pub(crate) name: String,
    pub(crate) common_name: String,
    pub(crate) sans: String,
    pub(crate) issuer: String,
    pub(crate) start_date: String,
    pub(crate) end_date: String,
    pub(crate) expired: bool,
    pub(crate) fingerprint: String,
    pub(crate) serial_no: String,
    pub(crate) sha2: String,
    pub(crate) upload: bool,
}

/// Renders a JSON answer as the XML the gateway sends for `Format=XML` (V1): a root element
/// (`<Error>` for errors, `<ActionResponse>` otherwise, reference 1.6), one child element per
/// field, and an array as its element repeated once per item. The reference shows no XML
/// answer of these operations; this is the gateway's usual shape.
pub(crate) fn to_xml(root: &str, value: &serde_json::Value) -> Vec<u8> {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    xml_element(&mut out, root, value);
    out.into_bytes()
}

fn xml_element(out: &mut String, name: &str, value: &serde_json::Value) {
    use serde_json::Value;
    if let Value::Array(items) = value {
        for item in items {
            xml_element(out, name, item);
        }
        return;
    }
    out.push('<');
    out.push_str(name);
    out.push('>');
    match value {
        Value::Null | Value::Array(_) => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => xml_escape(out, s),
        Value::Object(fields) => {
            for (k, v) in fields {
                xml_element(out, k, v);
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn xml_escape(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 cannot carry most C0 controls, even escaped
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_shape() {
        let v = serde_json::json!({
            "RequestId": "R",
            "TotalCount": 2,
            "List": [{"Domain": "a<b>&c"}, {"Domain": "d"}],
            "Ok": true,
            "Ctl": "x\u{1}y"
        });
        let x = String::from_utf8(to_xml("ListResponse", &v)).expect("utf-8");
        assert_eq!(
            x,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListResponse><RequestId>R</RequestId><TotalCount>2</TotalCount><List><Domain>a&lt;b&gt;&amp;c</Domain></List><List><Domain>d</Domain></List><Ok>true</Ok><Ctl>x\\u0001y</Ctl></ListResponse>"
        );
    }
}
