//! Alibaba Cloud DNS (Alidns, API 2015-01-09) on the same URL as the certificate API: hosted
//! zones, their records and the seven operations a client needs to publish a verification record.
//!
//! Field names and shapes follow the official Python SDK's models
//! (`alibabacloud-alidns20150109` 4.6.1, `models/_<api>_request.py` and `_response_body.py`); the
//! error codes and messages follow the service's tables and answers observed in the wild
//! (reference/dns-automation.md §1). Where the service's rule is unknown, the choice is the one
//! that surfaces a client's mistake, and it is documented here.
//!
//! - A zone is named by its A-label (`PunyCode`) and its display name (`DomainName`, Unicode for
//!   an IDN zone); either is accepted wherever a `DomainName` is asked for.
//! - `DomainName` must name a hosted zone exactly (a name inside a zone is
//!   `InvalidDomainName.NoExist`, as acme.sh's zone probing sees it); a name that is not a domain
//!   name at all is `InvalidDomainName.Format`; a zone hosted by another account
//!   ([`SandboxConfig::foreign_zones`]) is `IncorrectDomainUser`.
//! - Records: A, AAAA, CNAME, TXT and MX on the lines of a free zone. Same RR + Type + Line + Value
//!   is `DomainRecordDuplicate` (an update to the values a record already has, too); a CNAME
//!   beside any other record at one RR and line is `DomainRecordConflict` (the sandbox applies the
//!   rule at `@` as well); a TTL outside 600–86400 is `QuotaExceeded.TTL`; more than 90 records of
//!   one Type + RR + Line is `QuotaExceeded.Record`; an unknown `RecordId` is
//!   `DomainRecordNotBelongToUser`.
//! - `DescribeDomainInfo` carries `MinTtl`, `AvailableTtls` and `RecordLines` only with
//!   `NeedDetailAttributes=true`, as the SDK's model documents.
//! - `DescribeSubDomainRecords` without `DomainName` looks in the zone of the registrable domain
//!   of `SubDomain` (the model's example: `a.www.example.com` is RR `a.www` of `example.com`).

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::config::SandboxConfig;
use crate::error::{Error, Result};
use crate::server::{Resp, Shared, json_ok, lock, param, required};
use crate::state::{State, unix_ms};
use crate::wire::ApiError;

/// The Alidns API version served.
pub(crate) const VERSION: &str = "2015-01-09";
/// `HostId` in Alidns error bodies.
pub(crate) const HOST_ID: &str = "alidns.aliyuncs.com";

/// The Alidns operations the sandbox implements.
pub(crate) const ACTIONS: [&str; 7] = [
    "DescribeDomains",
    "DescribeDomainInfo",
    "DescribeDomainRecords",
    "DescribeSubDomainRecords",
    "AddDomainRecord",
    "UpdateDomainRecord",
    "DeleteDomainRecord",
];

/// The name servers a sandbox zone reports (`DnsServers`, and the zone's NS and SOA records).
/// They are under `.invalid` (RFC 2606), so nothing that follows them leaves the machine.
pub(crate) const DNS_SERVERS: [&str; 2] = ["ns1.sandbox.invalid", "ns2.sandbox.invalid"];
/// The smallest TTL of a free zone, and the default TTL of a record.
pub(crate) const MIN_TTL: u32 = 600;
/// The largest TTL.
const MAX_TTL: u32 = 86_400;
/// The TTLs a free zone offers (`AvailableTtls`).
const AVAILABLE_TTLS: [&str; 5] = ["600", "1800", "3600", "43200", "86400"];
/// The record types the sandbox hosts and serves.
pub(crate) const TYPES: [&str; 5] = ["A", "AAAA", "CNAME", "TXT", "MX"];
/// The resolution lines of a free zone: (LineCode, LineName). Only `default` is served by the
/// sandbox's DNS server (it answers as the default line).
const LINES: [(&str, &str); 6] = [
    ("default", "默认"),
    ("telecom", "电信"),
    ("unicom", "联通"),
    ("mobile", "移动"),
    ("oversea", "境外"),
    ("edu", "教育网"),
];
/// Most records of one Type + RR + Line (`QuotaExceeded.Record`).
const MAX_SAME: usize = 90;
/// The longest record value accepted, in bytes.
const MAX_VALUE_BYTES: usize = 1024;

/// A DNS zone name as `--zone` takes it: normalised to lower-case A-labels (UTS #46), with at
/// least two labels and not a public suffix.
///
/// ```
/// use csrkit_sandbox::ZoneName;
/// let z: ZoneName = "例子.CN".parse()?;
/// assert_eq!(z.as_str(), "xn--fsqu00a.cn");
/// assert_eq!(z.to_unicode(), "例子.cn");
/// assert!("com".parse::<ZoneName>().is_err());
/// # Ok::<(), csrkit_sandbox::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneName {
    ascii: String,
}

impl ZoneName {
    /// The A-label form, e.g. `xn--fsqu00a.cn` (Alidns' `PunyCode`).
    pub fn as_str(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form, e.g. `例子.cn` (Alidns' `DomainName`).
    pub fn to_unicode(&self) -> String {
        csrkit_names::to_unicode(&self.ascii)
    }
}

impl FromStr for ZoneName {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidZone {
            zone: s.to_owned(),
            reason,
        };
        let name = csrkit_names::DnsName::parse(s.trim().trim_end_matches('.'))
            .map_err(|e| bad(e.to_string()))?;
        if name.is_wildcard() {
            return Err(bad("a zone has no wildcard label".to_owned()));
        }
        let ascii = name.as_str().to_owned();
        if !ascii.contains('.') {
            return Err(bad(
                "a zone has at least two labels, e.g. example.com".to_owned()
            ));
        }
        if psl::domain_str(&ascii).is_none() {
            return Err(bad(
                "it is a public suffix; host a domain under it, e.g. example.".to_owned() + &ascii,
            ));
        }
        Ok(ZoneName { ascii })
    }
}

impl fmt::Display for ZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.ascii)
    }
}

/// The zones and records, kept in the state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct DnsData {
    /// Keyed by A-label.
    pub(crate) zones: BTreeMap<String, Zone>,
    pub(crate) next_record_id: u64,
}

/// One hosted zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Zone {
    /// `DomainName`: Unicode for an IDN zone.
    pub(crate) name: String,
    /// `PunyCode`: the A-label form, the key.
    pub(crate) puny: String,
    pub(crate) domain_id: String,
    pub(crate) created_ms: i64,
    /// The SOA serial: one more on every change.
    pub(crate) serial: u32,
    pub(crate) records: Vec<Rec>,
}

/// One record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Rec {
    pub(crate) id: u64,
    /// Lower-case A-labels relative to the zone; `@` for the apex.
    pub(crate) rr: String,
    /// Upper case: one of [`TYPES`].
    pub(crate) rtype: String,
    /// Normalised: canonical addresses, lower-case names without the trailing dot, TXT as given.
    pub(crate) value: String,
    pub(crate) ttl: u32,
    pub(crate) line: String,
    pub(crate) priority: Option<u32>,
    pub(crate) created_ms: i64,
    pub(crate) updated_ms: i64,
}

impl Rec {
    /// The owner name in A-labels, without the trailing dot.
    pub(crate) fn fqdn(&self, zone: &str) -> String {
        if self.rr == "@" {
            zone.to_owned()
        } else {
            format!("{}.{zone}", self.rr)
        }
    }
}

impl DnsData {
    /// Adds the configured zones that the state does not have yet (a saved zone keeps its
    /// records).
    pub(crate) fn host(&mut self, zones: &[ZoneName], now: OffsetDateTime) {
        if self.next_record_id == 0 {
            // between 2^54 and 2^55, beyond 2^53 as the service's record ids are
            let seed = uuid::Uuid::new_v4().as_u64_pair().0;
            self.next_record_id = (1u64 << 54) + (seed >> 12);
        }
        for z in zones {
            self.zones
                .entry(z.as_str().to_owned())
                .or_insert_with(|| Zone {
                    name: z.to_unicode(),
                    puny: z.as_str().to_owned(),
                    domain_id: uuid::Uuid::new_v4().hyphenated().to_string(),
                    created_ms: unix_ms(now),
                    serial: 1,
                    records: Vec::new(),
                });
        }
    }

    fn record_count(&self) -> usize {
        self.zones.values().map(|z| z.records.len()).sum()
    }

    fn find_record(&self, id: u64) -> Option<(&Zone, &Rec)> {
        self.zones
            .values()
            .find_map(|z| z.records.iter().find(|r| r.id == id).map(|r| (z, r)))
    }
}

/// One hosted zone and its records, as `GET /_sandbox/dns` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DnsZone {
    /// The zone's `DomainName` (Unicode for an IDN zone).
    pub name: String,
    /// The zone's `PunyCode` (A-labels).
    pub puny_code: String,
    /// Its records, oldest first.
    pub records: Vec<DnsRecord>,
}

/// One record of a hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DnsRecord {
    /// The Alidns `RecordId`.
    pub record_id: String,
    /// The host record relative to the zone (`@` for the apex).
    pub rr: String,
    /// The owner name in A-labels, without the trailing dot.
    pub fqdn: String,
    /// `A`, `AAAA`, `CNAME`, `TXT` or `MX`.
    #[serde(rename = "type")]
    pub record_type: String,
    /// The value as stored.
    pub value: String,
    /// The TTL in seconds.
    pub ttl: u32,
    /// The resolution line (`default` is the one the DNS server answers for).
    pub line: String,
    /// The MX priority.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<u32>,
}

/// Every record of every hosted zone.
pub(crate) fn listing(state: &State) -> Vec<DnsZone> {
    state
        .data
        .dns
        .zones
        .values()
        .map(|z| DnsZone {
            name: z.name.clone(),
            puny_code: z.puny.clone(),
            records: z
                .records
                .iter()
                .map(|r| DnsRecord {
                    record_id: r.id.to_string(),
                    rr: r.rr.clone(),
                    fqdn: r.fqdn(&z.puny),
                    record_type: r.rtype.clone(),
                    value: r.value.clone(),
                    ttl: r.ttl,
                    line: r.line.clone(),
                    priority: r.priority,
                })
                .collect(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The wire shapes (PascalCase, with the SDK's exceptions `RR` and `TTL`).

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DnsServersOut {
    dns_server: Vec<&'static str>,
}

fn dns_servers() -> DnsServersOut {
    DnsServersOut {
        dns_server: DNS_SERVERS.to_vec(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DomainOut<'a> {
    domain_id: &'a str,
    domain_name: &'a str,
    puny_code: &'a str,
    ali_domain: bool,
    record_count: u64,
    dns_servers: DnsServersOut,
    version_code: &'static str,
    version_name: &'static str,
    create_time: String,
    create_timestamp: i64,
    starmark: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DomainsOut<'a> {
    domain: Vec<DomainOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeDomainsOut<'a> {
    request_id: &'a str,
    total_count: u64,
    page_number: u64,
    page_size: u64,
    domains: DomainsOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AvailableTtlsOut {
    available_ttl: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordLineOut {
    line_code: &'static str,
    line_name: &'static str,
    line_display_name: &'static str,
    father_code: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordLinesOut {
    record_line: Vec<RecordLineOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DomainInfoOut<'a> {
    request_id: &'a str,
    domain_id: &'a str,
    domain_name: &'a str,
    puny_code: &'a str,
    ali_domain: bool,
    dns_servers: DnsServersOut,
    version_code: &'static str,
    version_name: &'static str,
    create_time: String,
    sub_domain: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    min_ttl: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_ttls: Option<AvailableTtlsOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    line_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record_lines: Option<RecordLinesOut>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordOut<'a> {
    domain_name: &'a str,
    record_id: String,
    #[serde(rename = "RR")]
    rr: &'a str,
    #[serde(rename = "Type")]
    kind: &'a str,
    value: &'a str,
    #[serde(rename = "TTL")]
    ttl: u32,
    line: &'a str,
    status: &'static str,
    locked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    priority: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    create_timestamp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    update_timestamp: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordsOut<'a> {
    record: Vec<RecordOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeRecordsOut<'a> {
    request_id: &'a str,
    total_count: u64,
    page_number: u64,
    page_size: u64,
    domain_records: RecordsOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecordIdOut<'a> {
    request_id: &'a str,
    record_id: String,
}

fn record_out<'a>(zone: &'a Zone, r: &'a Rec, timestamps: bool) -> RecordOut<'a> {
    RecordOut {
        domain_name: &zone.name,
        record_id: r.id.to_string(),
        rr: &r.rr,
        kind: &r.rtype,
        value: &r.value,
        ttl: r.ttl,
        line: &r.line,
        status: "ENABLE",
        locked: false,
        priority: r.priority,
        create_timestamp: timestamps.then_some(r.created_ms),
        update_timestamp: timestamps.then_some(r.updated_ms),
    }
}

fn create_time(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp(ms / 1000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

// ---------------------------------------------------------------------------------------------
// Errors.

fn no_such_domain() -> ApiError {
    ApiError::new(
        400,
        "InvalidDomainName.NoExist",
        "The specified domain name does not exist. Refresh the page and try again.",
    )
}

fn bad_domain_format() -> ApiError {
    ApiError::new(400, "InvalidDomainName.Format", "Invalid domain name.")
}

fn not_this_users_domain() -> ApiError {
    ApiError::new(
        400,
        "IncorrectDomainUser",
        "The domain name does not belong to this user.",
    )
}

fn not_this_users_record() -> ApiError {
    ApiError::new(
        400,
        "DomainRecordNotBelongToUser",
        "The DNS record does not exist in your account.",
    )
}

fn duplicate() -> ApiError {
    ApiError::new(
        400,
        "DomainRecordDuplicate",
        "The DNS record already exists.",
    )
}

fn conflict(rr: &str, with: &str) -> ApiError {
    ApiError::new(
        400,
        "DomainRecordConflict",
        format!(
            "The domain record is conflict with other records: a CNAME record cannot share the host record \"{rr}\" with {with}."
        ),
    )
}

fn bad_value(name: &str, why: impl fmt::Display) -> ApiError {
    ApiError::new(
        400,
        "InvalidParameter",
        format!("The parameter value {name} is invalid: {why}"),
    )
}

// ---------------------------------------------------------------------------------------------
// Names.

/// `raw` as lower-case A-labels without a trailing dot (labels may hold `_` and `*`), or `None`.
fn to_ascii_name(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let raw = raw.strip_suffix('.').unwrap_or(raw);
    if raw.is_empty() || raw.contains(char::is_whitespace) {
        return None;
    }
    let ascii = if raw.is_ascii() {
        raw.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(raw).ok()?
    };
    let ok = ascii.len() <= 253
        && ascii.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'*')
        });
    ok.then_some(ascii)
}

/// The hosted zone a `DomainName` names, by its key.
fn zone_key(state: &State, config: &SandboxConfig, raw: &str) -> Result<String, ApiError> {
    let Some(ascii) = to_ascii_name(raw).filter(|a| a.contains('.') && !a.contains(['*', '_']))
    else {
        return Err(bad_domain_format());
    };
    if state.data.dns.zones.contains_key(&ascii) {
        return Ok(ascii);
    }
    if config.foreign_zones.iter().any(|z| z.as_str() == ascii) {
        return Err(not_this_users_domain());
    }
    Err(no_such_domain())
}

/// A host record (`RR`) normalised: `@`, or lower-case A-labels with `*` only as a whole leftmost
/// label.
fn normal_rr(raw: &str, zone: &str) -> Result<String, ApiError> {
    let raw = raw.trim();
    if raw == "@" {
        return Ok("@".to_owned());
    }
    let rr = to_ascii_name(raw).ok_or_else(|| {
        bad_value(
            "RR",
            format!("{raw:?} is not a host record: use \"@\" for the zone itself, or labels of letters, digits, '-' and '_'"),
        )
    })?;
    let wildcard_ok = rr
        .split('.')
        .enumerate()
        .all(|(i, l)| !l.contains('*') || (i == 0 && l == "*"));
    if !wildcard_ok {
        return Err(bad_value(
            "RR",
            format!("{raw:?}: '*' stands only as the whole leftmost label"),
        ));
    }
    if rr.len() + 1 + zone.len() > 253 {
        return Err(bad_value(
            "RR",
            format!("{raw:?}: the full name is longer than 253 characters"),
        ));
    }
    Ok(rr)
}

fn normal_type(raw: &str) -> Result<String, ApiError> {
    let t = raw.trim().to_ascii_uppercase();
    if TYPES.contains(&t.as_str()) {
        Ok(t)
    } else {
        Err(bad_value(
            "Type",
            format!(
                "{raw:?}; the sandbox hosts records of type {}",
                TYPES.join(", ")
            ),
        ))
    }
}

fn normal_value(rtype: &str, raw: &str) -> Result<String, ApiError> {
    if raw.len() > MAX_VALUE_BYTES {
        return Err(bad_value(
            "Value",
            format!("it is longer than {MAX_VALUE_BYTES} bytes"),
        ));
    }
    match rtype {
        "A" => raw
            .trim()
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| bad_value("Value", format!("{raw:?} is not an IPv4 address"))),
        "AAAA" => raw
            .trim()
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| bad_value("Value", format!("{raw:?} is not an IPv6 address"))),
        "CNAME" | "MX" => to_ascii_name(raw)
            .filter(|n| !n.contains('*'))
            .ok_or_else(|| bad_value("Value", format!("{raw:?} is not a host name"))),
        _ => {
            if raw.chars().any(|c| c.is_control()) {
                Err(bad_value("Value", "a TXT value has no control characters"))
            } else {
                Ok(raw.to_owned())
            }
        }
    }
}

fn normal_line(p: &[(String, String)]) -> Result<String, ApiError> {
    let line = param(p, "Line")
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .unwrap_or("default");
    if LINES.iter().any(|(code, _)| *code == line) {
        Ok(line.to_owned())
    } else {
        Err(bad_value(
            "Line",
            format!(
                "{line:?}; a free zone has the lines {}",
                LINES.map(|(c, _)| c).join(", ")
            ),
        ))
    }
}

fn ttl(p: &[(String, String)]) -> Result<u32, ApiError> {
    let Some(raw) = param(p, "TTL").map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(MIN_TTL);
    };
    let n = raw.parse::<u64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        ApiError::new(
            400,
            "InvalidParameter",
            format!(
                "Specified parameter TTL is not valid: {raw:?} is not a positive number of seconds."
            ),
        )
    })?;
    if !(u64::from(MIN_TTL)..=u64::from(MAX_TTL)).contains(&n) {
        return Err(ApiError::new(
            400,
            "QuotaExceeded.TTL",
            format!(
                "The specified TTL is invalid. A valid TTL must be in the range of {MIN_TTL} to {MAX_TTL}."
            ),
        ));
    }
    u32::try_from(n).map_err(ApiError::internal)
}

fn priority(rtype: &str, p: &[(String, String)]) -> Result<Option<u32>, ApiError> {
    if rtype != "MX" {
        return Ok(None);
    }
    let raw = required(p, "Priority")?;
    raw.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=50).contains(n))
        .map(Some)
        .ok_or_else(|| ApiError::invalid("Priority", format!("{raw:?}; an MX priority is 1 to 50")))
}

/// A page request: `PageNumber` (from 1) and `PageSize` (1 to `max`, default 20).
fn page(p: &[(String, String)], max: u64) -> Result<(u64, u64), ApiError> {
    let number = |name: &str, default: u64, max: u64| match param(p, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                ApiError::invalid(name, format!("{v:?}; use an integer from 1 to {max}"))
            }),
    };
    Ok((
        number("PageNumber", 1, u64::from(u32::MAX))?,
        number("PageSize", 20, max)?,
    ))
}

fn page_of<T>(items: Vec<T>, number: u64, size: u64) -> Vec<T> {
    let skip = usize::try_from((number - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    items
        .into_iter()
        .skip(skip)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .collect()
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

// ---------------------------------------------------------------------------------------------
// The operations.

/// What a record would be after an Add or Update, checked against the zone's other records.
struct Proposed {
    rr: String,
    rtype: String,
    value: String,
    ttl: u32,
    line: String,
    priority: Option<u32>,
}

impl Proposed {
    fn from_params(p: &[(String, String)], zone: &str) -> Result<Proposed, ApiError> {
        let rr = normal_rr(required(p, "RR")?, zone)?;
        let rtype = normal_type(required(p, "Type")?)?;
        let value = normal_value(&rtype, required(p, "Value")?)?;
        let ttl = ttl(p)?;
        let line = normal_line(p)?;
        let priority = priority(&rtype, p)?;
        Ok(Proposed {
            rr,
            rtype,
            value,
            ttl,
            line,
            priority,
        })
    }

    fn same_content(&self, r: &Rec) -> bool {
        r.rr == self.rr && r.rtype == self.rtype && r.line == self.line && r.value == self.value
    }

    /// Duplicates, conflicts and the per-RR quota, ignoring the record `except` (the one being
    /// updated).
    fn check(&self, zone: &Zone, except: Option<u64>) -> Result<(), ApiError> {
        let others = || {
            zone.records
                .iter()
                .filter(move |r| Some(r.id) != except && r.rr == self.rr && r.line == self.line)
        };
        if others().any(|r| self.same_content(r)) {
            return Err(duplicate());
        }
        if self.rtype == "CNAME" {
            if let Some(other) = others().next() {
                return Err(conflict(
                    &self.rr,
                    &format!("the {} record already there", other.rtype),
                ));
            }
        } else if others().any(|r| r.rtype == "CNAME") {
            return Err(conflict(&self.rr, "another record"));
        }
        if others().filter(|r| r.rtype == self.rtype).count() >= MAX_SAME {
            return Err(ApiError::new(
                400,
                "QuotaExceeded.Record",
                format!(
                    "You Can't add this domain record because the {{\"{} {} {}\"}} record has been out of MAX count ({MAX_SAME}).",
                    self.rtype, self.rr, self.line
                ),
            ));
        }
        Ok(())
    }
}

/// Serves one Alidns action (already authenticated, faults applied).
pub(crate) async fn dispatch(
    shared: &Shared,
    action: &str,
    p: &[(String, String)],
    request_id: &str,
) -> Result<Resp, ApiError> {
    let config = &shared.config;
    let now = OffsetDateTime::now_utc();
    let resp = match action {
        "DescribeDomains" => {
            let (number, size) = page(p, 100)?;
            let keyword = param(p, "KeyWord").map(str::trim).filter(|k| !k.is_empty());
            let exact = match param(p, "SearchMode")
                .map(str::trim)
                .filter(|m| !m.is_empty())
            {
                None => false,
                Some(m) if m.eq_ignore_ascii_case("LIKE") => false,
                Some(m) if m.eq_ignore_ascii_case("EXACT") => true,
                Some(m) => {
                    return Err(ApiError::invalid(
                        "SearchMode",
                        format!("{m:?}; use LIKE or EXACT"),
                    ));
                }
            };
            let s = lock(&shared.state);
            let matching: Vec<&Zone> = s
                .data
                .dns
                .zones
                .values()
                .filter(|z| {
                    keyword.is_none_or(|k| {
                        if exact {
                            z.name.eq_ignore_ascii_case(k) || z.puny.eq_ignore_ascii_case(k)
                        } else {
                            contains_ci(&z.name, k) || contains_ci(&z.puny, k)
                        }
                    })
                })
                .collect();
            let total = matching.len() as u64;
            let domain = page_of(matching, number, size)
                .into_iter()
                .map(|z| DomainOut {
                    domain_id: &z.domain_id,
                    domain_name: &z.name,
                    puny_code: &z.puny,
                    ali_domain: false,
                    record_count: z.records.len() as u64,
                    dns_servers: dns_servers(),
                    version_code: "mianfei",
                    version_name: "Free Edition",
                    create_time: create_time(z.created_ms),
                    create_timestamp: z.created_ms,
                    starmark: false,
                })
                .collect();
            json_ok(
                request_id,
                &DescribeDomainsOut {
                    request_id,
                    total_count: total,
                    page_number: number,
                    page_size: size,
                    domains: DomainsOut { domain },
                },
            )
        }
        "DescribeDomainInfo" => {
            let s = lock(&shared.state);
            let key = zone_key(&s, config, required(p, "DomainName")?)?;
            let z = &s.data.dns.zones[&key];
            let detail = is_true(param(p, "NeedDetailAttributes"));
            json_ok(
                request_id,
                &DomainInfoOut {
                    request_id,
                    domain_id: &z.domain_id,
                    domain_name: &z.name,
                    puny_code: &z.puny,
                    ali_domain: false,
                    dns_servers: dns_servers(),
                    version_code: "mianfei",
                    version_name: "Free Edition",
                    create_time: create_time(z.created_ms),
                    sub_domain: psl::domain_str(&z.puny) != Some(z.puny.as_str()),
                    min_ttl: detail.then_some(MIN_TTL),
                    available_ttls: detail.then(|| AvailableTtlsOut {
                        available_ttl: AVAILABLE_TTLS.to_vec(),
                    }),
                    line_type: detail.then_some("cn_region_default"),
                    record_lines: detail.then(|| RecordLinesOut {
                        record_line: LINES
                            .iter()
                            .map(|(code, name)| RecordLineOut {
                                line_code: code,
                                line_name: name,
                                line_display_name: name,
                                father_code: "",
                            })
                            .collect(),
                    }),
                },
            )
        }
        "DescribeDomainRecords" => describe_records(shared, p, request_id)?,
        "DescribeSubDomainRecords" => describe_sub_records(shared, p, request_id)?,
        "AddDomainRecord" => {
            let mut s = lock(&shared.state);
            let key = zone_key(&s, config, required(p, "DomainName")?)?;
            let new = Proposed::from_params(p, &key)?;
            new.check(&s.data.dns.zones[&key], None)?;
            if s.data.dns.record_count() >= config.max_dns_records {
                return Err(ApiError::new(
                    403,
                    "Sandbox.RecordLimitExceeded",
                    format!(
                        "The sandbox keeps at most {} DNS records. Delete records (DeleteDomainRecord) or restart the sandbox without its state file.",
                        config.max_dns_records
                    ),
                ));
            }
            let id = s.data.dns.next_record_id;
            s.data.dns.next_record_id += 1;
            let ms = unix_ms(now);
            if let Some(z) = s.data.dns.zones.get_mut(&key) {
                z.records.push(Rec {
                    id,
                    rr: new.rr,
                    rtype: new.rtype,
                    value: new.value,
                    ttl: new.ttl,
                    line: new.line,
                    priority: new.priority,
                    created_ms: ms,
                    updated_ms: ms,
                });
                z.serial = z.serial.wrapping_add(1);
            }
            s.touch();
            json_ok(
                request_id,
                &RecordIdOut {
                    request_id,
                    record_id: id.to_string(),
                },
            )
        }
        "UpdateDomainRecord" => {
            let mut s = lock(&shared.state);
            let id = record_id(p)?;
            let (key, old) = match s.data.dns.find_record(id) {
                Some((z, r)) => (z.puny.clone(), r.clone()),
                None => return Err(not_this_users_record()),
            };
            let new = Proposed::from_params(p, &key)?;
            if new.same_content(&old) && new.ttl == old.ttl && new.priority == old.priority {
                return Err(duplicate());
            }
            new.check(&s.data.dns.zones[&key], Some(id))?;
            let ms = unix_ms(now);
            if let Some(z) = s.data.dns.zones.get_mut(&key) {
                if let Some(r) = z.records.iter_mut().find(|r| r.id == id) {
                    r.rr = new.rr;
                    r.rtype = new.rtype;
                    r.value = new.value;
                    r.ttl = new.ttl;
                    r.line = new.line;
                    r.priority = new.priority;
                    r.updated_ms = ms;
                }
                z.serial = z.serial.wrapping_add(1);
            }
            s.touch();
            json_ok(
                request_id,
                &RecordIdOut {
                    request_id,
                    record_id: id.to_string(),
                },
            )
        }
        "DeleteDomainRecord" => {
            let mut s = lock(&shared.state);
            let id = record_id(p)?;
            let key = match s.data.dns.find_record(id) {
                Some((z, _)) => z.puny.clone(),
                None => return Err(not_this_users_record()),
            };
            if let Some(z) = s.data.dns.zones.get_mut(&key) {
                z.records.retain(|r| r.id != id);
                z.serial = z.serial.wrapping_add(1);
            }
            s.touch();
            json_ok(
                request_id,
                &RecordIdOut {
                    request_id,
                    record_id: id.to_string(),
                },
            )
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

fn record_id(p: &[(String, String)]) -> Result<u64, ApiError> {
    // An id that is not a number cannot be one of the account's records.
    required(p, "RecordId")?
        .trim()
        .parse::<u64>()
        .map_err(|_| not_this_users_record())
}

fn describe_records(
    shared: &Shared,
    p: &[(String, String)],
    request_id: &str,
) -> Result<Resp, ApiError> {
    #[derive(PartialEq)]
    enum Mode {
        Like,
        Exact,
        Advanced,
        Combination,
    }
    let (number, size) = page(p, 500)?;
    let nonempty = |name: &str| param(p, name).map(str::trim).filter(|v| !v.is_empty());
    let keyword = nonempty("KeyWord");
    let mode = match nonempty("SearchMode")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None if keyword.is_some() => Mode::Like,
        None | Some("ADVANCED") => Mode::Advanced,
        Some("LIKE") => Mode::Like,
        Some("EXACT") => Mode::Exact,
        Some("COMBINATION") => Mode::Combination,
        Some(m) => {
            return Err(ApiError::invalid(
                "SearchMode",
                format!("{m:?}; use LIKE, EXACT, ADVANCED or COMBINATION"),
            ));
        }
    };
    let descending = match nonempty("Direction")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("DESC") => true,
        Some("ASC") => false,
        Some(d) => {
            return Err(ApiError::invalid(
                "Direction",
                format!("{d:?}; use DESC or ASC"),
            ));
        }
    };
    let (rr_kw, type_kw, value_kw, kind, line, status) = (
        nonempty("RRKeyWord"),
        nonempty("TypeKeyWord"),
        nonempty("ValueKeyWord"),
        nonempty("Type"),
        nonempty("Line"),
        nonempty("Status"),
    );
    let fuzzy = |field: &str, kw: &str| {
        if mode == Mode::Combination {
            field.eq_ignore_ascii_case(kw)
        } else {
            contains_ci(field, kw)
        }
    };
    let s = lock(&shared.state);
    let key = zone_key(&s, &shared.config, required(p, "DomainName")?)?;
    let zone = &s.data.dns.zones[&key];
    let mut matching: Vec<&Rec> = zone
        .records
        .iter()
        .filter(|r| match mode {
            Mode::Like => keyword.is_none_or(|k| contains_ci(&r.rr, k) || contains_ci(&r.value, k)),
            Mode::Exact => keyword
                .is_none_or(|k| r.rr.eq_ignore_ascii_case(k) || r.value.eq_ignore_ascii_case(k)),
            Mode::Advanced | Mode::Combination => {
                rr_kw.is_none_or(|k| fuzzy(&r.rr, k))
                    && value_kw.is_none_or(|k| fuzzy(&r.value, k))
                    && type_kw.is_none_or(|k| r.rtype.eq_ignore_ascii_case(k))
                    && kind.is_none_or(|k| r.rtype.eq_ignore_ascii_case(k))
                    && line.is_none_or(|l| r.line == l)
                    && status.is_none_or(|st| st.eq_ignore_ascii_case("ENABLE"))
            }
        })
        .collect();
    matching.sort_by_key(|r| r.id);
    if descending {
        matching.reverse();
    }
    let total = matching.len() as u64;
    let record = page_of(matching, number, size)
        .into_iter()
        .map(|r| record_out(zone, r, true))
        .collect();
    Ok(json_ok(
        request_id,
        &DescribeRecordsOut {
            request_id,
            total_count: total,
            page_number: number,
            page_size: size,
            domain_records: RecordsOut { record },
        },
    ))
}

fn describe_sub_records(
    shared: &Shared,
    p: &[(String, String)],
    request_id: &str,
) -> Result<Resp, ApiError> {
    let (number, size) = page(p, 100)?;
    let raw_sub = required(p, "SubDomain")?;
    let sub = to_ascii_name(raw_sub).ok_or_else(bad_domain_format)?;
    let kind = param(p, "Type").map(str::trim).filter(|v| !v.is_empty());
    let line = param(p, "Line").map(str::trim).filter(|v| !v.is_empty());
    let s = lock(&shared.state);
    let key = match param(p, "DomainName")
        .map(str::trim)
        .filter(|v| !v.is_empty())
    {
        Some(d) => zone_key(&s, &shared.config, d)?,
        None => {
            let registrable =
                psl::domain_str(sub.trim_start_matches("*.")).ok_or_else(bad_domain_format)?;
            zone_key(&s, &shared.config, registrable)?
        }
    };
    let zone = &s.data.dns.zones[&key];
    let rr = if sub == key {
        Some("@".to_owned())
    } else {
        sub.strip_suffix(&format!(".{key}")).map(str::to_owned)
    };
    let matching: Vec<&Rec> = match rr {
        None => Vec::new(),
        Some(rr) => zone
            .records
            .iter()
            .filter(|r| r.rr == rr)
            .filter(|r| kind.is_none_or(|k| r.rtype.eq_ignore_ascii_case(k)))
            .filter(|r| line.is_none_or(|l| r.line == l))
            .collect(),
    };
    let total = matching.len() as u64;
    let record = page_of(matching, number, size)
        .into_iter()
        .map(|r| record_out(zone, r, false))
        .collect();
    Ok(json_ok(
        request_id,
        &DescribeRecordsOut {
            request_id,
            total_count: total,
            page_number: number,
            page_size: size,
            domain_records: RecordsOut { record },
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_names() {
        let z: ZoneName = "Example.COM.".parse().expect("zone");
        assert_eq!(z.as_str(), "example.com");
        let z: ZoneName = "bücher.example".parse().expect("zone");
        assert_eq!(z.as_str(), "xn--bcher-kva.example");
        assert_eq!(z.to_unicode(), "bücher.example");
        for bad in ["", "com", "co.uk", "*.example.com", "exa mple.com", "a..b"] {
            assert!(bad.parse::<ZoneName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn names_normalise() {
        assert_eq!(
            to_ascii_name("_DnsAuth.WWW.example.com."),
            Some("_dnsauth.www.example.com".to_owned())
        );
        assert_eq!(to_ascii_name("例子.cn"), Some("xn--fsqu00a.cn".to_owned()));
        assert_eq!(
            to_ascii_name("*.example.com"),
            Some("*.example.com".to_owned())
        );
        for bad in ["", ".", "a..b", "a b", "a/b", &"x".repeat(64)] {
            assert_eq!(to_ascii_name(bad), None, "{bad}");
        }
        assert_eq!(normal_rr("@", "example.com"), Ok("@".to_owned()));
        assert_eq!(
            normal_rr("_dnsauth.WWW", "example.com"),
            Ok("_dnsauth.www".to_owned())
        );
        assert!(normal_rr("a.*", "example.com").is_err());
        assert!(normal_rr("", "example.com").is_err());
    }

    #[test]
    fn values_normalise() {
        assert_eq!(normal_value("A", " 192.0.2.1"), Ok("192.0.2.1".to_owned()));
        assert_eq!(
            normal_value("AAAA", "2001:DB8::0:1"),
            Ok("2001:db8::1".to_owned())
        );
        assert_eq!(
            normal_value("CNAME", "Target.Example.NET."),
            Ok("target.example.net".to_owned())
        );
        assert_eq!(normal_value("TXT", "a \"b\""), Ok("a \"b\"".to_owned()));
        assert!(normal_value("A", "1.2.3").is_err());
        assert!(normal_value("TXT", "a\nb").is_err());
        assert!(normal_value("CNAME", "*.x.com").is_err());
    }
}
