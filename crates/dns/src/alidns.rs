//! `alidns`: Alibaba Cloud DNS (Alidns API 2015-01-09), through
//! `csrkit-submit`'s signed client and the same credentials.
//!
//! - **Zone**: the longest zone hosted in the account (every page of
//!   `DescribeDomains`, compared as A-labels: `PunyCode`, else `DomainName`)
//!   that is a suffix of the record name on a label boundary. Never guessed
//!   from DNS: a subdomain hosted as its own zone wins over its parent.
//! - **Idempotent**: `DescribeSubDomainRecords` first; a record with our
//!   type and value is reused, a CNAME in the way (or anything in the way of
//!   a CNAME) is [`Error::Conflict`]; `AddDomainRecord` answering
//!   `DomainRecordDuplicate` means it is there already (listed again for its
//!   `RecordId`).
//! - **TTL**: the zone's `MinTtl` (`DescribeDomainInfo`; 600 on free zones).
//! - **Cleanup**: `DeleteDomainRecord` of our `RecordId` only; when the
//!   service refuses, the name is listed again and a record already gone is
//!   success. Other values at the name are never touched.
//!
//! RAM actions used: `alidns:DescribeDomains`, `alidns:DescribeDomainInfo`,
//! `alidns:DescribeSubDomainRecords`, `alidns:AddDomainRecord`,
//! `alidns:DeleteDomainRecord`.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint, Idempotency, Operation};
use serde::Deserialize;
use serde::de::{self, Deserializer};

use crate::challenge::{Challenge, DnsChallenge, Published, RecordType};
use crate::error::{Error, Result};
use crate::{BoxFuture, Publisher};

const PROVIDER: &str = "alidns";
/// The Alidns API version.
const VERSION: &str = "2015-01-09";
/// The default `--dns-endpoint`.
pub const ALIDNS_DEFAULT_ENDPOINT: &str = "https://alidns.aliyuncs.com";
/// The environment variable that stands for `--dns-endpoint`.
pub const ENV_DNS_ENDPOINT: &str = "CSRKIT_DNS_ENDPOINT";
const PAGE_SIZE: u64 = 100;
const MAX_PAGES: u64 = 1000;

fn p(k: &str, v: impl Into<String>) -> (String, String) {
    (k.to_string(), v.into())
}

/// A string the service may send as a JSON number.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(de::Error::custom(format!(
            "expected a string or number, got {other}"
        ))),
    }
}

fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<u64>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::Number(n)) => n.as_u64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

// ------------------------------------------------------------- operations ---

struct DescribeDomains {
    page: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DomainsPage {
    #[serde(default, deserialize_with = "opt_u64")]
    total_count: Option<u64>,
    #[serde(default)]
    domains: Option<DomainList>,
}

#[derive(Deserialize)]
struct DomainList {
    #[serde(rename = "Domain", default)]
    domain: Vec<HostedDomain>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostedDomain {
    domain_name: String,
    #[serde(default)]
    puny_code: Option<String>,
}

impl Operation for DescribeDomains {
    type Output = DomainsPage;
    const ACTION: &'static str = "DescribeDomains";
    const VERSION: &'static str = VERSION;
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> std::result::Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![
            p("PageNumber", self.page.to_string()),
            p("PageSize", PAGE_SIZE.to_string()),
        ])
    }
}

struct DescribeDomainInfo {
    domain_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DomainInfo {
    #[serde(default, deserialize_with = "opt_u64")]
    min_ttl: Option<u64>,
}

impl Operation for DescribeDomainInfo {
    type Output = DomainInfo;
    const ACTION: &'static str = "DescribeDomainInfo";
    const VERSION: &'static str = VERSION;
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> std::result::Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![p("DomainName", self.domain_name.clone())])
    }
}

struct DescribeSubDomainRecords {
    sub_domain: String,
    domain_name: String,
    page: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordsPage {
    #[serde(default, deserialize_with = "opt_u64")]
    total_count: Option<u64>,
    #[serde(default)]
    domain_records: Option<RecordList>,
}

#[derive(Deserialize)]
struct RecordList {
    #[serde(rename = "Record", default)]
    record: Vec<HostedRecord>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostedRecord {
    #[serde(deserialize_with = "string_or_number")]
    record_id: String,
    #[serde(rename = "RR")]
    rr: String,
    #[serde(rename = "Type")]
    record_type: String,
    value: String,
}

impl Operation for DescribeSubDomainRecords {
    type Output = RecordsPage;
    const ACTION: &'static str = "DescribeSubDomainRecords";
    const VERSION: &'static str = VERSION;
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> std::result::Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![
            p("SubDomain", self.sub_domain.clone()),
            p("DomainName", self.domain_name.clone()),
            p("PageNumber", self.page.to_string()),
            p("PageSize", PAGE_SIZE.to_string()),
        ])
    }
}

struct AddDomainRecord {
    domain_name: String,
    rr: String,
    record_type: RecordType,
    value: String,
    ttl: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RecordIdAnswer {
    #[serde(deserialize_with = "string_or_number")]
    record_id: String,
}

impl Operation for AddDomainRecord {
    type Output = RecordIdAnswer;
    const ACTION: &'static str = "AddDomainRecord";
    const VERSION: &'static str = VERSION;
    // A repeated add answers DomainRecordDuplicate, which is handled.
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> std::result::Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![
            p("DomainName", self.domain_name.clone()),
            p("RR", self.rr.clone()),
            p("Type", self.record_type.as_str()),
            p("Value", self.value.clone()),
            p("TTL", self.ttl.to_string()),
        ])
    }
}

struct DeleteDomainRecord {
    record_id: String,
}

impl Operation for DeleteDomainRecord {
    type Output = serde_json::Value;
    const ACTION: &'static str = "DeleteDomainRecord";
    const VERSION: &'static str = VERSION;
    const IDEMPOTENCY: Idempotency = Idempotency::Safe;
    fn params(&self) -> std::result::Result<Vec<(String, String)>, csrkit_submit::Error> {
        Ok(vec![p("RecordId", self.record_id.clone())])
    }
}

// -------------------------------------------------------------- publisher ---

/// `--dns-endpoint URL`, checked.
pub(crate) fn parse_endpoint(endpoint: &str) -> Result<Endpoint> {
    Endpoint::parse(endpoint).map_err(|e| Error::Config {
        setting: "--dns-endpoint",
        reason: e.to_string(),
    })
}

/// Publishes through Alibaba Cloud DNS.
#[derive(Clone)]
pub struct AlidnsPublisher {
    client: Client,
    /// The account's zones and when they were read (see [`ZONES_FRESH`]).
    zones: Arc<tokio::sync::Mutex<Option<ZoneList>>>,
}

/// A list of the account's zones, and when it was read.
type ZoneList = (Instant, Arc<Vec<Zone>>);

/// How long a list of the account's zones is used before it is read again.
/// A name in no zone of a list is looked up again at once, so a zone added
/// meanwhile is found; the list only saves asking for every certificate of
/// a fleet (`DescribeDomains` shares the per-action rate limit).
const ZONES_FRESH: Duration = Duration::from_secs(60);

impl fmt::Debug for AlidnsPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlidnsPublisher")
            .field("endpoint", &self.client.endpoint().url())
            .finish()
    }
}

/// A hosted zone: the name the API knows and its A-label form.
#[derive(Debug, Clone)]
struct Zone {
    api_name: String,
    ascii: String,
}

impl AlidnsPublisher {
    /// A publisher calling `endpoint` (`--dns-endpoint`, default
    /// [`ALIDNS_DEFAULT_ENDPOINT`]) with `credentials`; timeouts and retries
    /// as `csrkit-submit`'s defaults.
    ///
    /// # Errors
    /// [`Error::Config`] for an endpoint that is not `https://host[:port]`
    /// (or `http://` on loopback).
    pub fn new(credentials: Credentials, endpoint: &str) -> Result<Self> {
        AlidnsPublisher::with_base(credentials, endpoint, ClientOptions::default())
    }

    /// [`AlidnsPublisher::new`] with the rest of the client's options
    /// (timeouts, retries, a shared rate limiter) taken from `base`.
    ///
    /// # Errors
    /// As [`AlidnsPublisher::new`].
    pub fn with_base(
        credentials: Credentials,
        endpoint: &str,
        base: ClientOptions,
    ) -> Result<Self> {
        let endpoint = parse_endpoint(endpoint)?;
        AlidnsPublisher::with_options(credentials, ClientOptions { endpoint, ..base })
    }

    /// A publisher with explicit client options (endpoint, timeouts, retries).
    ///
    /// # Errors
    /// [`Error::Config`] when the HTTP client cannot be built.
    pub fn with_options(credentials: Credentials, options: ClientOptions) -> Result<Self> {
        let client = Client::new(credentials, options).map_err(|e| Error::Config {
            setting: "--dns-endpoint",
            reason: e.to_string(),
        })?;
        Ok(AlidnsPublisher {
            client,
            zones: Arc::default(),
        })
    }

    async fn call<O: Operation>(&self, op: &O) -> Result<O::Output> {
        self.client
            .call(op)
            .await
            .map_err(|e| map_error(e, O::ACTION))
    }

    /// Every zone hosted in the account.
    async fn zones(&self) -> Result<Vec<Zone>> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let got = self.call(&DescribeDomains { page }).await?;
            let list = got.domains.map(|d| d.domain).unwrap_or_default();
            let n = list.len() as u64;
            for d in list {
                let ascii = d
                    .puny_code
                    .as_deref()
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
                    .or_else(|| {
                        csrkit_names::DnsName::parse(d.domain_name.trim().trim_end_matches('.'))
                            .ok()
                            .map(|n| n.as_str().to_string())
                    });
                if let Some(ascii) = ascii {
                    all.push(Zone {
                        api_name: d.domain_name,
                        ascii,
                    });
                }
            }
            let done = match got.total_count {
                Some(total) => all.len() as u64 >= total,
                None => n < PAGE_SIZE,
            };
            if n == 0 || done {
                break;
            }
        }
        Ok(all)
    }

    async fn zone_for(&self, name: &str) -> Result<Zone> {
        self.zones_holding(&[name]).await.map(|mut z| z.remove(0))
    }

    /// The zone of each name, from a list of the zones read within
    /// [`ZONES_FRESH`], or read again when the list is older or misses one.
    async fn zones_holding(&self, names: &[&str]) -> Result<Vec<Zone>> {
        // Held across the read: concurrent callers (a fleet's workers) wait
        // for one read instead of each sending its own.
        let mut held = self.zones.lock().await;
        if let Some((at, zones)) = held.as_ref()
            && at.elapsed() < ZONES_FRESH
            && let Ok(found) = names.iter().map(|n| best_zone(zones, n)).collect()
        {
            return Ok(found);
        }
        let zones = Arc::new(self.zones().await?);
        *held = Some((Instant::now(), Arc::clone(&zones)));
        drop(held);
        names.iter().map(|n| best_zone(&zones, n)).collect()
    }

    async fn records_at(&self, name: &str, zone: &Zone) -> Result<Vec<HostedRecord>> {
        let rr = relative(name, &zone.ascii);
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let got = self
                .call(&DescribeSubDomainRecords {
                    sub_domain: name.to_string(),
                    domain_name: zone.api_name.clone(),
                    page,
                })
                .await
                .map_err(|e| zone_error(e, zone))?;
            let list = got.domain_records.map(|d| d.record).unwrap_or_default();
            let n = list.len() as u64;
            let before = all.len() as u64;
            all.extend(list);
            let done = match got.total_count {
                Some(total) => before + n >= total,
                None => n < PAGE_SIZE,
            };
            if n == 0 || done {
                break;
            }
        }
        // SubDomain matching is the service's; keep exactly this name.
        all.retain(|r| r.rr.eq_ignore_ascii_case(&rr));
        Ok(all)
    }

    async fn present_dns(&self, c: &DnsChallenge) -> Result<Published> {
        let zone = self.zone_for(c.name()).await?;
        let mut published = Published::for_dns(PROVIDER, c);
        published.zone = Some(zone.api_name.clone());
        let ours = |r: &HostedRecord| same_record(r, c.record_type(), c.value());

        let existing = self.records_at(c.name(), &zone).await?;
        if let Some(r) = existing.iter().find(|r| ours(r)) {
            published.record_id = Some(r.record_id.clone());
            published.preexisting = true;
            return Ok(published);
        }
        let in_the_way = existing.iter().find(|r| match c.record_type() {
            RecordType::Txt => r.record_type.eq_ignore_ascii_case("CNAME"),
            RecordType::Cname => true,
        });
        if let Some(r) = in_the_way {
            return Err(conflict(c, &format!("{} {:?}", r.record_type, r.value)));
        }

        let info = self
            .call(&DescribeDomainInfo {
                domain_name: zone.api_name.clone(),
            })
            .await
            .map_err(|e| zone_error(e, &zone))?;
        let ttl = info.min_ttl.filter(|t| *t > 0).unwrap_or(600);
        published.ttl = u32::try_from(ttl).ok();
        let added = self
            .call(&AddDomainRecord {
                domain_name: zone.api_name.clone(),
                rr: relative(c.name(), &zone.ascii),
                record_type: c.record_type(),
                value: c.value().to_string(),
                ttl,
            })
            .await;
        match added {
            Ok(a) => {
                published.record_id = Some(a.record_id);
                Ok(published)
            }
            Err(Error::Refused { code, .. }) if code == "DomainRecordDuplicate" => {
                let again = self.records_at(c.name(), &zone).await?;
                let r = again
                    .iter()
                    .find(|r| ours(r))
                    .ok_or_else(|| Error::Refused {
                        provider: PROVIDER,
                        action: "AddDomainRecord".into(),
                        code: "DomainRecordDuplicate".into(),
                        message: "the service says the record exists, but does not list it".into(),
                        request_id: None,
                        hint: "Look at the record in the Alibaba Cloud DNS console and run again"
                            .into(),
                    })?;
                published.record_id = Some(r.record_id.clone());
                published.preexisting = true;
                Ok(published)
            }
            Err(Error::Refused { code, .. }) if code == "DomainRecordConflict" => {
                let again = self.records_at(c.name(), &zone).await.unwrap_or_default();
                let shown = again
                    .iter()
                    .find(|r| !ours(r))
                    .map(|r| format!("{} {:?}", r.record_type, r.value))
                    .unwrap_or_else(|| {
                        "a record the service says conflicts (DomainRecordConflict)".into()
                    });
                Err(conflict(c, &shown))
            }
            Err(e) => Err(zone_error(e, &zone)),
        }
    }

    async fn cleanup_dns(&self, p: &Published) -> Result<()> {
        let rtype = p.dns_type(PROVIDER)?;
        if let Some(id) = &p.record_id {
            let deleted = self
                .call(&DeleteDomainRecord {
                    record_id: id.clone(),
                })
                .await;
            return match deleted {
                Ok(_) => Ok(()),
                Err(
                    e @ (Error::Refused { .. }
                    | Error::ZoneNotFound { .. }
                    | Error::ForeignZone { .. }),
                ) => {
                    // Already gone is success: look.
                    let zone = match self.zone_for(&p.name).await {
                        Ok(z) => z,
                        Err(Error::ZoneNotFound { .. }) => return Ok(()),
                        Err(_) => return Err(e),
                    };
                    match self.records_at(&p.name, &zone).await {
                        Ok(left) if !left.iter().any(|r| &r.record_id == id) => Ok(()),
                        _ => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
        }
        // No id journaled (a run stopped between adding and journaling):
        // delete what carries exactly our type and value.
        let zone = match self.zone_for(&p.name).await {
            Ok(z) => z,
            Err(Error::ZoneNotFound { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        for r in self.records_at(&p.name, &zone).await? {
            if same_record(&r, rtype, &p.value) {
                self.call(&DeleteDomainRecord {
                    record_id: r.record_id.clone(),
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// The RR of `name` in `zone` (`@` for the apex).
fn relative(name: &str, zone: &str) -> String {
    if name == zone {
        "@".to_string()
    } else {
        name.strip_suffix(&format!(".{zone}"))
            .unwrap_or(name)
            .to_string()
    }
}

fn same_record(r: &HostedRecord, t: RecordType, value: &str) -> bool {
    if !r.record_type.eq_ignore_ascii_case(t.as_str()) {
        return false;
    }
    match t {
        RecordType::Txt => r.value == value || r.value.trim_matches('"') == value,
        RecordType::Cname => r
            .value
            .trim()
            .trim_end_matches('.')
            .eq_ignore_ascii_case(value),
    }
}

fn conflict(c: &DnsChallenge, existing: &str) -> Error {
    Error::Conflict {
        provider: PROVIDER,
        name: c.name().to_string(),
        wanted: format!("{} {:?}", c.record_type(), c.value()),
        existing: existing.to_string(),
    }
}

/// `InvalidDomainName.NoExist` and `IncorrectDomainUser` name the zone.
fn zone_error(e: Error, zone: &Zone) -> Error {
    match e {
        Error::Refused {
            code, request_id, ..
        } if code == "IncorrectDomainUser" => Error::ForeignZone {
            zone: zone.api_name.clone(),
            request_id,
        },
        Error::Refused { code, .. } if code.starts_with("InvalidDomainName.NoExist") => {
            Error::ZoneNotFound {
                provider: PROVIDER,
                name: zone.ascii.clone(),
                hint: format!(
                    "Alibaba Cloud DNS says zone {} does not exist in this account (InvalidDomainName.NoExist). \
                 Add it in the Alibaba Cloud DNS console, or use the account that hosts it (--profile)",
                    zone.api_name
                ),
            }
        }
        other => other,
    }
}

fn map_error(e: csrkit_submit::Error, action: &str) -> Error {
    use csrkit_submit::Error as S;
    match e {
        S::Api {
            code,
            message,
            request_id,
            ..
        } => {
            if code == "Forbidden.RAM" || code == "NoPermission" || code.starts_with("Forbidden") {
                return Error::Permission {
                    action: action.to_string(),
                    message,
                    request_id,
                };
            }
            if code.starts_with("Throttling")
                || code == "ServiceUnavailable"
                || code == "InternalError"
            {
                return Error::Unavailable {
                    provider: PROVIDER,
                    target: action.to_string(),
                    detail: format!("{code}: {message} (after retries)"),
                };
            }
            let hint = match code.as_str() {
                c if c.starts_with("InvalidAccessKeyId") => {
                    "Check the AccessKey ID and that the key is enabled"
                }
                "SignatureDoesNotMatch" | "IncompleteSignature" => "Check the AccessKey secret",
                c if c.starts_with("InvalidTimeStamp") => "Check this machine's clock",
                "QuotaExceeded.Record" => {
                    "The zone has too many records at this name: remove stale ones"
                }
                "DomainRecordLocked" => {
                    "The record is locked in the Alibaba Cloud DNS console: unlock it"
                }
                _ => "",
            };
            Error::Refused {
                provider: PROVIDER,
                action: action.to_string(),
                code,
                message,
                request_id,
                hint: hint.to_string(),
            }
        }
        S::Transport { .. } | S::OutcomeUnknown { .. } => Error::Unavailable {
            provider: PROVIDER,
            target: action.to_string(),
            detail: e.to_string(),
        },
        // As the CLI reads submit's errors: an unreadable answer (a proxy's
        // page, a cut body) is a network failure.
        S::Decode { .. } => Error::Unavailable {
            provider: PROVIDER,
            target: action.to_string(),
            detail: format!("{e} (is --dns-endpoint the Alibaba Cloud DNS API?)"),
        },
        S::Credentials { .. } => Error::Credentials(e.to_string()),
        S::Endpoint { .. } => Error::Config {
            setting: "--dns-endpoint",
            reason: e.to_string(),
        },
        other => Error::Config {
            setting: "--dns alidns",
            reason: other.to_string(),
        },
    }
}

/// The deepest of `zones` that holds `name`.
fn best_zone(zones: &[Zone], name: &str) -> Result<Zone> {
    let best = zones
        .iter()
        .filter(|z| name == z.ascii || name.ends_with(&format!(".{}", z.ascii)))
        .max_by_key(|z| z.ascii.len())
        .cloned();
    best.ok_or_else(|| {
        let mut hosted: Vec<&str> = zones.iter().map(|z| z.ascii.as_str()).collect();
        hosted.sort_unstable();
        let shown = match hosted.len() {
            0 => "the account hosts no zone".to_string(),
            n if n <= 10 => format!("the account hosts {}", hosted.join(", ")),
            n => format!("the account hosts {n} zones, e.g. {}", hosted[..10].join(", ")),
        };
        Error::ZoneNotFound {
            provider: PROVIDER,
            name: name.to_string(),
            hint: format!(
                "{shown}. Add the domain's zone in the Alibaba Cloud DNS console, or use the account that \
                 hosts it (--profile)"
            ),
        }
    })
}

impl Publisher for AlidnsPublisher {
    fn provider(&self) -> &'static str {
        PROVIDER
    }

    fn plan(&self, challenge: &Challenge) -> Result<Published> {
        Ok(Published::for_dns(PROVIDER, challenge.dns_only(PROVIDER)?))
    }

    fn present<'a>(&'a self, challenge: &'a Challenge) -> BoxFuture<'a, Result<Published>> {
        Box::pin(async move { self.present_dns(challenge.dns_only(PROVIDER)?).await })
    }

    fn cleanup<'a>(&'a self, published: &'a Published) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.cleanup_dns(published))
    }

    fn preflight<'a>(&'a self, domains: &'a [String]) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            let records: Vec<String> = domains.iter().map(|d| crate::expected_record(d)).collect();
            let names: Vec<&str> = records.iter().map(String::as_str).collect();
            self.zones_holding(&names).await.map(|_| ())
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn relative_names() {
        assert_eq!(
            relative("_dnsauth.a.b.example.com", "b.example.com"),
            "_dnsauth.a"
        );
        assert_eq!(relative("example.com", "example.com"), "@");
    }

    #[test]
    fn record_ids_as_numbers_or_strings() {
        let a: RecordIdAnswer = serde_json::from_str(r#"{"RecordId": 9999985}"#).unwrap();
        assert_eq!(a.record_id, "9999985");
        let a: RecordIdAnswer =
            serde_json::from_str(r#"{"RecordId": "18446744073709551615"}"#).unwrap();
        assert_eq!(a.record_id, "18446744073709551615");
    }
}
