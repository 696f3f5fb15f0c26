//! The CAS 2020-04-07 operations csrkit uses, with typed requests and answers.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use zeroize::Zeroizing;

use crate::error::Error;

/// The API version of the CAS operations here (the default of
/// [`Operation::VERSION`]).
pub const API_VERSION: &str = "2020-04-07";

/// How a call may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Idempotency {
    /// Read-only or idempotent: retried on throttling, 5xx, connect errors
    /// and timeouts.
    Safe,
    /// Spends quota: retried only when the service certainly did not act.
    SpendsQuota,
    /// A side effect that a second request would repeat (a deployment job, an
    /// upload without a `ClientToken`): retried only when the service
    /// certainly did not act, like [`Idempotency::SpendsQuota`]; otherwise
    /// [`Error::OutcomeUnknown`], and the caller looks it up before sending it
    /// again.
    SideEffect,
}

impl Idempotency {
    /// True for the calls that must not be repeated blindly.
    pub fn is_side_effect(self) -> bool {
        matches!(self, Idempotency::SpendsQuota | Idempotency::SideEffect)
    }
}

/// One API operation: its name, its query parameters and its answer type.
pub trait Operation {
    /// The answer.
    type Output: DeserializeOwned;
    /// The API name (`x-acs-action`).
    const ACTION: &'static str;
    /// The API version (`x-acs-version`): CAS 2020-04-07 unless the
    /// operation belongs to another product (Alidns is 2015-01-09).
    const VERSION: &'static str = API_VERSION;
    /// How the client may retry it.
    const IDEMPOTENCY: Idempotency;
    /// Parameters whose values are secret (a private key): `--dry-run`
    /// shows them redacted.
    const SECRET_PARAMS: &'static [&'static str] = &[];
    /// The query parameters, unencoded, in any order.
    ///
    /// # Errors
    /// [`Error::InvalidInput`] when a parameter cannot be sent as is.
    fn params(&self) -> Result<Vec<(String, String)>, Error>;
    /// How this request may be retried: [`Operation::IDEMPOTENCY`] unless the
    /// request itself makes it safe (an upload with a `ClientToken`).
    fn idempotency(&self) -> Idempotency {
        Self::IDEMPOTENCY
    }
}

pub(crate) fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

// ---------------------------------------------------------------- OrderId ---

/// A certificate order id: an exact unsigned 64-bit integer.
///
/// Order ids exceed 2^53, so they are never read through a float: the
/// service's JSON number or JSON string is parsed straight into a `u64`.
/// It serialises as a JSON string, as csrkit's own JSON documents want.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for OrderId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        s.trim().parse::<u64>().map(OrderId).map_err(|_| Error::InvalidInput {
            field: "order id".to_string(),
            reason: format!("{s:?} is not an order id; use the decimal number csrkit printed when the order was placed"),
        })
    }
}

impl Serialize for OrderId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

struct U64Visitor;

impl Visitor<'_> for U64Visitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a non-negative integer, as a JSON number or a decimal string")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom(format!("negative id {v}")))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        Err(E::custom(format!("{v} is not an exact integer id")))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.trim()
            .parse::<u64>()
            .map_err(|_| E::custom(format!("{v:?} is not a decimal id")))
    }
}

impl<'de> Deserialize<'de> for OrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(U64Visitor).map(OrderId)
    }
}

/// Reads an integer id given as a JSON number or a decimal string, exactly.
pub(crate) fn exact_u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(U64Visitor)
}

/// Reads an optional integer given as a JSON number or string.
pub(crate) fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer, a decimal string or null")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(V)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            U64Visitor.visit_i64(v).map(Some)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            U64Visitor.visit_f64(v).map(Some)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            if v.trim().is_empty() {
                Ok(None)
            } else {
                U64Visitor.visit_str(v).map(Some)
            }
        }
    }
    d.deserialize_option(V)
}

/// Reads an optional string that the service may send as a number.
pub(crate) fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

// ------------------------------------------------------- ValidateType/Tag ---

/// How the CA checks control of the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ValidateType {
    /// A DNS TXT or CNAME record.
    Dns,
    /// A file served over HTTP.
    File,
}

impl ValidateType {
    /// The wire value, `DNS` or `FILE`.
    pub fn as_str(self) -> &'static str {
        match self {
            ValidateType::Dns => "DNS",
            ValidateType::File => "FILE",
        }
    }
}

impl FromStr for ValidateType {
    type Err = Error;
    /// `dns` or `file`, in any case.
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_uppercase().as_str() {
            "DNS" => Ok(ValidateType::Dns),
            "FILE" => Ok(ValidateType::File),
            _ => Err(Error::InvalidInput {
                field: "validate type".to_string(),
                reason: format!("{s:?} is not a validation method; use dns or file"),
            }),
        }
    }
}

impl fmt::Display for ValidateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A resource tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// Tag key (at most 64 characters; not starting with `aliyun` or `acs:`).
    pub key: String,
    /// Tag value.
    pub value: String,
}

// ------------------------------------------- CreateCertificateWithCsrRequest ---

/// `CreateCertificateWithCsrRequest`: apply for a DV certificate with our own
/// CSR. **Spends one unit of quota when it succeeds.**
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateCertificateWithCsr {
    /// The PEM CSR (its CN is the domain the certificate is for).
    pub csr: String,
    /// Applicant name.
    pub username: String,
    /// Applicant phone.
    pub phone: String,
    /// Applicant email.
    pub email: String,
    /// DNS or FILE validation.
    pub validate_type: ValidateType,
    /// The certificate product, e.g. `digicert-free-1-free`; the service's
    /// default when `None`.
    pub product_code: Option<String>,
    /// Tags, sent as `Tags.1.Key`, `Tags.1.Value`, ...
    pub tags: Vec<Tag>,
}

pub(crate) fn required(field: &str, v: &str) -> Result<(), Error> {
    if v.trim().is_empty() {
        return Err(Error::InvalidInput {
            field: field.to_string(),
            reason: "is empty; the service requires it".to_string(),
        });
    }
    Ok(())
}

/// The answer to a `Create*Request`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateOrderResponse {
    /// The new order.
    #[serde(rename = "OrderId")]
    pub order_id: OrderId,
    /// The service's request id.
    #[serde(rename = "RequestId", default)]
    pub request_id: String,
}

impl Operation for CreateCertificateWithCsr {
    type Output = CreateOrderResponse;
    const ACTION: &'static str = "CreateCertificateWithCsrRequest";
    const IDEMPOTENCY: Idempotency = Idempotency::SpendsQuota;

    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("Csr", &self.csr)?;
        required("Username", &self.username)?;
        required("Phone", &self.phone)?;
        required("Email", &self.email)?;
        let mut out = vec![
            p("Csr", self.csr.clone()),
            p("Username", self.username.clone()),
            p("Phone", self.phone.clone()),
            p("Email", self.email.clone()),
            p("ValidateType", self.validate_type.as_str()),
        ];
        if let Some(code) = self.product_code.as_deref().filter(|c| !c.is_empty()) {
            out.push(p("ProductCode", code));
        }
        if self.tags.len() > 20 {
            return Err(Error::InvalidInput {
                field: "Tags".to_string(),
                reason: format!(
                    "{} tags given; the service accepts at most 20",
                    self.tags.len()
                ),
            });
        }
        for (i, tag) in self.tags.iter().enumerate() {
            required("Tags.Key", &tag.key)?;
            let n = i + 1;
            out.push(p(&format!("Tags.{n}.Key"), tag.key.clone()));
            out.push(p(&format!("Tags.{n}.Value"), tag.value.clone()));
        }
        Ok(out)
    }
}

// -------------------------------------------------- DescribeCertificateState ---

/// `DescribeCertificateState`: where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescribeCertificateState {
    /// The order.
    pub order_id: OrderId,
}

/// The state of an order (`DescribeCertificateState.Type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StateType {
    /// `domain_verify`: waiting for the DNS record or file to be published.
    DomainVerify,
    /// `process`: under review by the CA.
    Process,
    /// `verify_fail`: review failed; delete the order (refunds quota).
    VerifyFail,
    /// `certificate`: issued.
    Certificate,
    /// `payed`: pending application (e.g. after `CancelOrderRequest`).
    Payed,
    /// `unknow` (sic): unknown; transient, ask again.
    Unknow,
    /// A value this version does not know, verbatim.
    Other(String),
}

impl StateType {
    /// The wire value.
    pub fn as_str(&self) -> &str {
        match self {
            StateType::DomainVerify => "domain_verify",
            StateType::Process => "process",
            StateType::VerifyFail => "verify_fail",
            StateType::Certificate => "certificate",
            StateType::Payed => "payed",
            StateType::Unknow => "unknow",
            StateType::Other(s) => s,
        }
    }

    /// True for `certificate` and `verify_fail`, which never change again.
    pub fn is_terminal(&self) -> bool {
        matches!(self, StateType::Certificate | StateType::VerifyFail)
    }
}

impl From<&str> for StateType {
    fn from(s: &str) -> Self {
        match s {
            "domain_verify" => StateType::DomainVerify,
            "process" => StateType::Process,
            "verify_fail" => StateType::VerifyFail,
            "certificate" => StateType::Certificate,
            "payed" => StateType::Payed,
            "unknow" => StateType::Unknow,
            other => StateType::Other(other.to_string()),
        }
    }
}

impl fmt::Display for StateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StateType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(StateType::from(s.as_str()))
    }
}

impl Serialize for StateType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A private key the service returned. Zeroed on drop; `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ReturnedPrivateKey(Zeroizing<String>);

impl ReturnedPrivateKey {
    /// The PEM text.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// True when the service sent none (or an empty string).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ReturnedPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

impl<'de> Deserialize<'de> for ReturnedPrivateKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Option::<String>::deserialize(d)?;
        Ok(ReturnedPrivateKey(Zeroizing::new(s.unwrap_or_default())))
    }
}

/// The answer to `DescribeCertificateState`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct CertificateState {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The order's state.
    #[serde(rename = "Type")]
    pub state: StateType,
    /// `DNS` or `FILE` (in `domain_verify`).
    #[serde(default)]
    pub validate_type: Option<String>,
    /// `TXT` or `CNAME` (DNS validation).
    #[serde(default)]
    pub record_type: Option<String>,
    /// The host record, relative to the domain, e.g. `_dnsauth`.
    #[serde(default)]
    pub record_domain: Option<String>,
    /// The record's value.
    #[serde(default)]
    pub record_value: Option<String>,
    /// The domain whose web server must serve the file (FILE validation).
    #[serde(default)]
    pub domain: Option<String>,
    /// The file's path, e.g. `/.well-known/pki-validation/fileauth.txt`.
    #[serde(default)]
    pub uri: Option<String>,
    /// The file's content.
    #[serde(default)]
    pub content: Option<String>,
    /// The PEM certificate, once issued.
    #[serde(default)]
    pub certificate: Option<String>,
    /// A private key, if the service generated one (never for our own CSRs).
    #[serde(default)]
    pub private_key: ReturnedPrivateKey,
    /// The certificate id, once issued.
    #[serde(default, deserialize_with = "opt_string")]
    pub cert_id: Option<String>,
}

/// What must be published for the CA to validate the domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
#[non_exhaustive]
pub enum Verification {
    /// Publish a DNS record.
    #[serde(rename = "DNS")]
    Dns {
        /// `TXT` or `CNAME`.
        record_type: String,
        /// The host record relative to the domain (e.g. `_dnsauth`).
        record_domain: String,
        /// The value to publish.
        record_value: String,
    },
    /// Serve a file.
    #[serde(rename = "FILE")]
    File {
        /// The domain to serve it on, when the service says.
        domain: Option<String>,
        /// The path.
        uri: String,
        /// The content.
        content: String,
    },
}

impl CertificateState {
    /// What to publish, when the order waits for domain validation.
    pub fn verification(&self) -> Option<Verification> {
        if let (Some(t), Some(d), Some(v)) =
            (&self.record_type, &self.record_domain, &self.record_value)
        {
            return Some(Verification::Dns {
                record_type: t.clone(),
                record_domain: d.clone(),
                record_value: v.clone(),
            });
        }
        if let (Some(uri), Some(content)) = (&self.uri, &self.content) {
            return Some(Verification::File {
                domain: self.domain.clone(),
                uri: uri.clone(),
                content: content.clone(),
            });
        }
        None
    }
}

impl Operation for DescribeCertificateState {
    type Output = CertificateState;
    const ACTION: &'static str = "DescribeCertificateState";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(vec![p("OrderId", self.order_id.to_string())])
    }
}

// ------------------------------------------------------- DescribePackageState ---

/// `DescribePackageState`: the quota of a certificate resource plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribePackageState {
    /// The product, e.g. `digicert-free-1-free`; the service's default if `None`.
    pub product_code: Option<String>,
}

/// The answer to `DescribePackageState`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct PackageState {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The product code (echoed).
    #[serde(default)]
    pub product_code: Option<String>,
    /// Certificates bought in plans of this product.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
    /// Applications submitted (each successful Create counts once).
    #[serde(default, deserialize_with = "opt_u64")]
    pub used_count: Option<u64>,
    /// Certificates issued.
    #[serde(default, deserialize_with = "opt_u64")]
    pub issued_count: Option<u64>,
}

impl PackageState {
    /// `TotalCount - UsedCount`, or `None` if the service did not say.
    pub fn remaining(&self) -> Option<u64> {
        Some(self.total_count?.saturating_sub(self.used_count?))
    }
}

impl Operation for DescribePackageState {
    type Output = PackageState;
    const ACTION: &'static str = "DescribePackageState";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(self
            .product_code
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| p("ProductCode", c.clone()))
            .collect())
    }
}

// -------------------------------------------------- ListUserCertificateOrder ---

/// `ListUserCertificateOrder`: one page of orders or certificates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListUserCertificateOrder {
    /// `CPACK` (the default: orders from plan quota, what Create makes),
    /// `BUY`, `UPLOAD` or `CERT`.
    pub order_type: Option<String>,
    /// `PAYED`, `CHECKING`, `CHECKED_FAIL`, `ISSUED`, `WILLEXPIRED`,
    /// `EXPIRED`, `NOTACTIVATED`, `REVOKED`; all when `None`.
    pub status: Option<String>,
    /// Fuzzy match on domain or resource id.
    pub keyword: Option<String>,
    /// The page, from 1.
    pub current_page: Option<u64>,
    /// Page size (the service's default is 50).
    pub show_size: Option<u64>,
    /// Resource group.
    pub resource_group_id: Option<String>,
}

/// One entry of a `ListUserCertificateOrder` answer. Which fields are set
/// depends on the order type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct OrderSummary {
    /// The order id (CPACK/BUY).
    #[serde(default)]
    pub order_id: Option<OrderId>,
    /// The certificate id (CERT/UPLOAD).
    #[serde(default, deserialize_with = "opt_u64")]
    pub certificate_id: Option<u64>,
    /// Instance id.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// Domain (CPACK/BUY).
    #[serde(default)]
    pub domain: Option<String>,
    /// Common name (CERT/UPLOAD).
    #[serde(default)]
    pub common_name: Option<String>,
    /// Status, e.g. `CHECKING`.
    #[serde(default)]
    pub status: Option<String>,
    /// Product code.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Product name.
    #[serde(default)]
    pub product_name: Option<String>,
    /// `DV`, `OV`, `EV` or `FREE`.
    #[serde(default)]
    pub cert_type: Option<String>,
    /// Key algorithm.
    #[serde(default)]
    pub algorithm: Option<String>,
    /// Purchase time, ms since the epoch.
    #[serde(default, deserialize_with = "opt_u64")]
    pub buy_date: Option<u64>,
    /// Certificate start, ms since the epoch.
    #[serde(default, deserialize_with = "opt_u64")]
    pub cert_start_time: Option<u64>,
    /// Certificate end, ms since the epoch.
    #[serde(default, deserialize_with = "opt_u64")]
    pub cert_end_time: Option<u64>,
    /// The certificate's name (CERT/UPLOAD).
    #[serde(default)]
    pub name: Option<String>,
    /// Every domain, comma-separated (CERT/UPLOAD).
    #[serde(default)]
    pub sans: Option<String>,
    /// The serial number, hex (CERT/UPLOAD).
    #[serde(default)]
    pub serial_no: Option<String>,
    /// The fingerprint (CERT/UPLOAD).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The SHA-256 of the certificate (CERT/UPLOAD).
    #[serde(default)]
    pub sha2: Option<String>,
    /// True for an uploaded certificate (CERT/UPLOAD).
    #[serde(default)]
    pub upload: Option<bool>,
    /// Whether it has expired (CERT/UPLOAD).
    #[serde(default)]
    pub expired: Option<bool>,
}

/// One page of `ListUserCertificateOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct OrderPage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The entries.
    #[serde(default)]
    pub certificate_order_list: Vec<OrderSummary>,
    /// The page number.
    #[serde(default, deserialize_with = "opt_u64")]
    pub current_page: Option<u64>,
    /// The page size.
    #[serde(default, deserialize_with = "opt_u64")]
    pub show_size: Option<u64>,
    /// Entries over all pages.
    #[serde(default, deserialize_with = "opt_u64")]
    pub total_count: Option<u64>,
}

impl Operation for ListUserCertificateOrder {
    type Output = OrderPage;
    const ACTION: &'static str = "ListUserCertificateOrder";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        let strings = [
            ("OrderType", &self.order_type),
            ("Status", &self.status),
            ("Keyword", &self.keyword),
            ("ResourceGroupId", &self.resource_group_id),
        ];
        for (k, v) in strings {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                out.push(p(k, v));
            }
        }
        if let Some(n) = self.current_page {
            out.push(p("CurrentPage", n.to_string()));
        }
        if let Some(n) = self.show_size {
            out.push(p("ShowSize", n.to_string()));
        }
        Ok(out)
    }
}

// ------------------------------------------- Cancel / Delete (by OrderId) ---

/// `CancelOrderRequest`: withdraw an order in `domain_verify` or `process`
/// (it goes back to `payed`; delete it afterwards to refund the quota).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CancelOrderRequest {
    /// The order.
    pub order_id: OrderId,
}

/// `DeleteCertificateRequest`: delete a `verify_fail` or `payed` order,
/// which returns its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteCertificateRequest {
    /// The order.
    pub order_id: OrderId,
}

/// An answer that carries only the request id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Acknowledged {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
}

impl Operation for CancelOrderRequest {
    type Output = Acknowledged;
    const ACTION: &'static str = "CancelOrderRequest";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(vec![p("OrderId", self.order_id.to_string())])
    }
}

impl Operation for DeleteCertificateRequest {
    type Output = Acknowledged;
    const ACTION: &'static str = "DeleteCertificateRequest";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        Ok(vec![p("OrderId", self.order_id.to_string())])
    }
}

// ------------------------------------------------------- GetInstanceDetail ---

/// `GetInstanceDetail`: a certificate instance (the `InstanceId` of an
/// order-list entry), with the CSR it was ordered with and its tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetInstanceDetail {
    /// The instance, e.g. `cas-ivauto-xxxx`.
    pub instance_id: String,
}

/// A tag as `GetInstanceDetail` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct InstanceTag {
    /// The key.
    #[serde(default)]
    pub tag_key: String,
    /// The value.
    #[serde(default)]
    pub tag_value: String,
}

/// The answer to `GetInstanceDetail` (the fields csrkit reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct InstanceDetail {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The instance.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// The domain bound to the certificate.
    #[serde(default)]
    pub domain: Option<String>,
    /// The CSR the instance was ordered with, PEM.
    #[serde(default)]
    pub csr: Option<String>,
    /// `RSA_2048`, `ECC_256`, ...
    #[serde(default)]
    pub key_algorithm: Option<String>,
    /// The instance's status, e.g. `pending`, `normal`.
    #[serde(default)]
    pub status: Option<String>,
    /// The latest certificate's id.
    #[serde(default, deserialize_with = "opt_u64")]
    pub certificate_id: Option<u64>,
    /// Its tags (those sent with the Create among them).
    #[serde(default, deserialize_with = "null_as_empty")]
    pub tags: Vec<InstanceTag>,
}

/// Reads a list the service may send as `null`.
pub(crate) fn null_as_empty<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

impl Operation for GetInstanceDetail {
    type Output = InstanceDetail;
    const ACTION: &'static str = "GetInstanceDetail";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("InstanceId", &self.instance_id)?;
        Ok(vec![p("InstanceId", self.instance_id.clone())])
    }
}

// -------------------------------------------------------- ListTagResources ---

/// `ListTagResources`: the resources that carry tags, filtered by resource
/// id and by tag (at least one of the two).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ListTagResources {
    /// `cn-hangzhou` (China site) or `ap-southeast-1` (international);
    /// [`Endpoint::region_id`](crate::Endpoint::region_id) says which.
    pub region_id: String,
    /// The service's default, `instance`, when `None`.
    pub resource_type: Option<String>,
    /// Only these resources (`ResourceId.N`).
    pub resource_ids: Vec<String>,
    /// Only resources with all these tags (`Tag.N.Key`, `Tag.N.Value`).
    pub tags: Vec<Tag>,
    /// The page after this token.
    pub next_token: Option<String>,
    /// Entries per page (the service's default is 20).
    pub max_results: Option<u32>,
}

/// One (resource, tag) pair of a `ListTagResources` answer.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TagResource {
    /// The resource, e.g. an instance id.
    #[serde(default)]
    pub resource_id: String,
    /// `instance`.
    #[serde(default)]
    pub resource_type: Option<String>,
    /// The tag's key.
    #[serde(default)]
    pub tag_key: String,
    /// The tag's value.
    #[serde(default)]
    pub tag_value: String,
}

/// One page of `ListTagResources`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct TagResourcePage {
    /// The service's request id.
    #[serde(default)]
    pub request_id: String,
    /// The token of the next page; none (or empty) on the last.
    #[serde(default)]
    pub next_token: Option<String>,
    /// The entries: the wire's `TagResources.TagResource`.
    #[serde(default, deserialize_with = "tag_resource_list")]
    pub tag_resources: Vec<TagResource>,
}

fn tag_resource_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TagResource>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper {
        #[serde(rename = "TagResource", default, deserialize_with = "null_as_empty")]
        tag_resource: Vec<TagResource>,
    }
    Ok(Option::<Wrapper>::deserialize(d)?
        .map(|w| w.tag_resource)
        .unwrap_or_default())
}

impl Operation for ListTagResources {
    type Output = TagResourcePage;
    const ACTION: &'static str = "ListTagResources";
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> Result<Vec<(String, String)>, Error> {
        required("RegionId", &self.region_id)?;
        if self.resource_ids.is_empty() && self.tags.is_empty() {
            return Err(Error::InvalidInput {
                field: "ListTagResources".to_string(),
                reason: "give at least one ResourceId or Tag".to_string(),
            });
        }
        if self.tags.len() > 20 || self.resource_ids.len() > 50 {
            return Err(Error::InvalidInput {
                field: "ListTagResources".to_string(),
                reason: "at most 20 tags and 50 resource ids".to_string(),
            });
        }
        let mut out = vec![
            p("RegionId", self.region_id.clone()),
            p(
                "ResourceType",
                self.resource_type.as_deref().unwrap_or("instance"),
            ),
        ];
        for (i, id) in self.resource_ids.iter().enumerate() {
            out.push(p(&format!("ResourceId.{}", i + 1), id.clone()));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            required("Tag.Key", &tag.key)?;
            out.push(p(&format!("Tag.{}.Key", i + 1), tag.key.clone()));
            out.push(p(&format!("Tag.{}.Value", i + 1), tag.value.clone()));
        }
        if let Some(t) = self.next_token.as_deref().filter(|t| !t.is_empty()) {
            out.push(p("NextToken", t));
        }
        if let Some(n) = self.max_results {
            out.push(p("MaxResults", n.to_string()));
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failing test should panic
mod tests {
    use super::*;

    #[test]
    fn order_id_exact_from_number_and_string() {
        let big = "{\"OrderId\": 98987582437920968, \"RequestId\": \"r\"}";
        let r: CreateOrderResponse = serde_json::from_str(big).unwrap();
        assert_eq!(r.order_id, OrderId(98_987_582_437_920_968));
        let s = "{\"OrderId\": \"18446744073709551615\", \"Extra\": [1]}";
        let r: CreateOrderResponse = serde_json::from_str(s).unwrap();
        assert_eq!(r.order_id.0, u64::MAX);
        assert!(serde_json::from_str::<CreateOrderResponse>("{\"OrderId\": 1.5}").is_err());
        assert!(serde_json::from_str::<CreateOrderResponse>("{\"OrderId\": -1}").is_err());
        assert_eq!(
            serde_json::to_string(&OrderId(98_987_582_437_920_968)).unwrap(),
            "\"98987582437920968\""
        );
    }

    #[test]
    fn state_types() {
        for (wire, t) in [
            ("domain_verify", StateType::DomainVerify),
            ("process", StateType::Process),
            ("verify_fail", StateType::VerifyFail),
            ("certificate", StateType::Certificate),
            ("payed", StateType::Payed),
            ("unknow", StateType::Unknow),
            ("brand_new", StateType::Other("brand_new".into())),
        ] {
            let json = format!("{{\"Type\":\"{wire}\"}}");
            let s: CertificateState = serde_json::from_str(&json).unwrap();
            assert_eq!(s.state, t);
            assert_eq!(s.state.as_str(), wire);
        }
    }

    #[test]
    fn validate_type_parses() {
        assert_eq!("dns".parse::<ValidateType>().unwrap(), ValidateType::Dns);
        assert_eq!("FILE".parse::<ValidateType>().unwrap(), ValidateType::File);
        let e = "http".parse::<ValidateType>().unwrap_err().to_string();
        assert!(e.contains("use dns or file"), "{e}");
        assert!("x".parse::<OrderId>().is_err());
    }

    #[test]
    fn tags_flatten_one_based() {
        let op = CreateCertificateWithCsr {
            csr: "c".into(),
            username: "u".into(),
            phone: "p".into(),
            email: "e".into(),
            validate_type: ValidateType::File,
            product_code: None,
            tags: (1..=11)
                .map(|i| Tag {
                    key: format!("k{i}"),
                    value: format!("v{i}"),
                })
                .collect(),
        };
        let params = op.params().unwrap();
        assert!(params.contains(&p("Tags.1.Key", "k1")));
        assert!(params.contains(&p("Tags.11.Value", "v11")));
        assert!(params.contains(&p("ValidateType", "FILE")));
        assert!(!params.iter().any(|(k, _)| k == "ProductCode"));
    }

    #[test]
    fn instance_detail_and_tag_pages_decode() {
        let d: InstanceDetail = serde_json::from_str(
            r#"{"RequestId":"r","InstanceId":"cas-ivauto-1","Csr":"PEM","KeyAlgorithm":"ECC_256",
               "Tags":[{"TagKey":"csrkit-attempt","TagValue":"u"}],"DingGroupList":[]}"#,
        )
        .unwrap();
        assert_eq!(d.csr.as_deref(), Some("PEM"));
        assert_eq!(d.tags[0].tag_key, "csrkit-attempt");
        let d: InstanceDetail = serde_json::from_str(r#"{"Tags":null}"#).unwrap();
        assert!(d.tags.is_empty());
        let page: TagResourcePage = serde_json::from_str(
            r#"{"RequestId":"r","NextToken":"","TagResources":{"TagResource":[
               {"ResourceId":"cas-ivauto-1","ResourceType":"instance","TagKey":"k","TagValue":"v"}]}}"#,
        )
        .unwrap();
        assert_eq!(page.tag_resources[0].resource_id, "cas-ivauto-1");
        let q = ListTagResources {
            region_id: "cn-hangzhou".into(),
            tags: vec![Tag {
                key: "k".into(),
                value: "v".into(),
            }],
            ..ListTagResources::default()
        };
        let params = q.params().unwrap();
        assert!(params.contains(&p("ResourceType", "instance")));
        assert!(params.contains(&p("Tag.1.Key", "k")));
        assert!(ListTagResources::default().params().is_err());
    }

    #[test]
    fn private_key_redacted() {
        let s: CertificateState = serde_json::from_str(
            "{\"Type\":\"certificate\",\"PrivateKey\":\"KEY-do-not-print\",\"CertId\":123}",
        )
        .unwrap();
        assert!(!format!("{s:?}").contains("KEY-do-not-print"));
        assert_eq!(s.cert_id.as_deref(), Some("123"));
    }
}
