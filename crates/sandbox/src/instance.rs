//! Certificate instances: `GetInstanceDetail` and `ListTagResources` (reference
//! `order-identity.md` 1, 2 and 4). Every order is an instance, named
//! `cas-ivauto-<order id>` (the form of the docs' example), that carries the CSR it was
//! ordered with and the tags its Create sent. The shapes follow the official SDK's models
//! (`alibabacloud-cas20200407` 3.9.4): `GetInstanceDetailResponseBody`, whose `Tags` is a list
//! of `{TagKey, TagValue}`, and `ListTagResourcesResponseBody`, whose `TagResources` is an
//! object holding the list `TagResource` of `{ResourceId, ResourceType, TagKey, TagValue}`.

use std::collections::BTreeMap;

use serde::Serialize;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::PublicKey;
use x509_parser::x509::SubjectPublicKeyInfo;

use crate::state::{Order, OrderState, State, ValidateType};
use crate::wire::ApiError;

const PREFIX: &str = "cas-ivauto-";
/// The only resource type CAS tags (`ResourceType`'s default).
const RESOURCE_TYPE: &str = "instance";
/// `MaxResults`: the service's default and the most it accepts.
const DEFAULT_RESULTS: usize = 20;
const MAX_RESULTS: usize = 100;

/// The instance id of an order (also in `ListUserCertificateOrder`'s `InstanceId`).
pub(crate) fn instance_id(order_id: u64) -> String {
    format!("{PREFIX}{order_id}")
}

fn param<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn order_of<'a>(s: &'a State, instance: &str) -> Result<&'a Order, ApiError> {
    instance
        .strip_prefix(PREFIX)
        .and_then(|id| id.parse::<u64>().ok())
        .and_then(|id| s.data.orders.get(&id))
        .ok_or_else(|| {
            ApiError::invalid(
                "InstanceId",
                format!("{instance:?} is not an instance of this account (ListUserCertificateOrder shows each order's InstanceId)"),
            )
        })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagOut<'a> {
    tag_key: &'a str,
    tag_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct DetailResponse<'a> {
    request_id: &'a str,
    instance_id: String,
    instance_type: &'static str,
    status: &'static str,
    domain: &'a str,
    csr: &'a str,
    generate_csr_method: &'static str,
    key_algorithm: String,
    certificate_type: &'static str,
    brand: &'static str,
    validation_method: &'static str,
    order_start_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_not_before: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certificate_not_after: Option<i64>,
    full_domain_count: u64,
    wildcard_domain_count: u64,
    tags: Vec<TagOut<'a>>,
}

/// `RSA_2048`, `ECC_256`, … from the order's SubjectPublicKeyInfo.
fn key_algorithm(order: &Order) -> String {
    let der = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &order.spki)
        .unwrap_or_default();
    let parsed = SubjectPublicKeyInfo::from_der(&der).ok();
    match parsed.as_ref().map(|(_, spki)| (spki.parsed(), spki)) {
        Some((Ok(PublicKey::RSA(rsa)), _)) => format!("RSA_{}", rsa.key_size()),
        Some((Ok(PublicKey::EC(_)), spki)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|o| o.to_id_string());
            match curve.as_deref() {
                Some("1.3.132.0.34") => "ECC_384".to_owned(),
                _ => "ECC_256".to_owned(),
            }
        }
        _ => order.algorithm.clone(),
    }
}

/// `GetInstanceDetail(InstanceId)`.
pub(crate) fn detail<'a>(
    s: &'a State,
    p: &[(String, String)],
    request_id: &'a str,
) -> Result<DetailResponse<'a>, ApiError> {
    let instance = param(p, "InstanceId").ok_or_else(|| ApiError::missing("InstanceId"))?;
    let o = order_of(s, instance)?;
    Ok(DetailResponse {
        request_id,
        instance_id: instance_id(o.id),
        instance_type: "BUY",
        status: match o.state {
            OrderState::DomainVerify | OrderState::Process | OrderState::VerifyFail => "pending",
            OrderState::Certificate => "normal",
            OrderState::Payed => "inactive",
        },
        domain: &o.domain,
        csr: &o.csr_pem,
        generate_csr_method: "upload",
        key_algorithm: key_algorithm(o),
        certificate_type: "DV",
        brand: "Sandbox",
        validation_method: match o.validate_type {
            ValidateType::Dns => "DNS",
            ValidateType::File => "HTTP",
        },
        order_start_time: o.created_ms / 1000,
        certificate_id: o.cert_id,
        certificate_not_before: o.not_before_ms.map(|t| t / 1000),
        certificate_not_after: o.not_after_ms.map(|t| t / 1000),
        full_domain_count: o.dns_names.iter().filter(|n| !n.starts_with("*.")).count() as u64,
        wildcard_domain_count: o.dns_names.iter().filter(|n| n.starts_with("*.")).count() as u64,
        tags: o
            .tags
            .iter()
            .map(|(k, v)| TagOut {
                tag_key: k,
                tag_value: v,
            })
            .collect(),
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourceOut<'a> {
    resource_id: String,
    resource_type: &'static str,
    tag_key: &'a str,
    tag_value: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TagResourcesOut<'a> {
    tag_resource: Vec<TagResourceOut<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TagListResponse<'a> {
    request_id: &'a str,
    next_token: String,
    max_results: usize,
    tag_resources: TagResourcesOut<'a>,
}

/// The numbered parameters `Name.1`, `Name.2`, … (1 to `max`), in order.
fn numbered<'a>(
    p: &'a [(String, String)],
    name: &str,
    max: u32,
) -> Result<BTreeMap<u32, BTreeMap<&'a str, &'a str>>, ApiError> {
    let mut out: BTreeMap<u32, BTreeMap<&str, &str>> = BTreeMap::new();
    for (n, v) in p {
        let Some(rest) = n.strip_prefix(name).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let (idx, field) = rest.split_once('.').unwrap_or((rest, ""));
        let i = idx
            .parse::<u32>()
            .ok()
            .filter(|i| (1..=max).contains(i))
            .ok_or_else(|| ApiError::invalid(n, format!("the index must be 1 to {max}")))?;
        out.entry(i).or_default().insert(field, v);
    }
    Ok(out)
}

/// `ListTagResources(RegionId, ResourceType, ResourceId.N, Tag.N.Key/Value, NextToken,
/// MaxResults)`: one row per tag of every instance that is among `ResourceId.N` (when given)
/// and carries every `Tag.N` (when given).
pub(crate) fn list_tags<'a>(
    s: &'a State,
    p: &[(String, String)],
    request_id: &'a str,
) -> Result<TagListResponse<'a>, ApiError> {
    param(p, "RegionId").ok_or_else(|| ApiError::missing("RegionId"))?;
    if let Some(t) = param(p, "ResourceType")
        && !t.eq_ignore_ascii_case(RESOURCE_TYPE)
    {
        return Err(ApiError::invalid(
            "ResourceType",
            format!("{t:?}; CAS tags resources of type instance"),
        ));
    }
    let ids: Vec<&str> = numbered(p, "ResourceId", 50)?
        .values()
        .filter_map(|f| f.get("").copied())
        .collect();
    let mut wanted: Vec<(&str, Option<&str>)> = Vec::new();
    for (i, f) in numbered(p, "Tag", 20)? {
        let key = f
            .get("Key")
            .copied()
            .filter(|k| !k.is_empty())
            .ok_or_else(|| ApiError::missing(&format!("Tag.{i}.Key")))?;
        wanted.push((key, f.get("Value").copied()));
    }
    if ids.is_empty() && wanted.is_empty() {
        return Err(ApiError::invalid(
            "ResourceId",
            "give at least one ResourceId.N or Tag.N.Key",
        ));
    }
    let max = match param(p, "MaxResults") {
        None => DEFAULT_RESULTS,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_RESULTS).contains(n))
            .ok_or_else(|| {
                ApiError::invalid("MaxResults", format!("{v:?}; use 1 to {MAX_RESULTS}"))
            })?,
    };
    let start = match param(p, "NextToken") {
        None => 0,
        Some(t) => t
            .strip_prefix("sandbox-tags-")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| {
                ApiError::invalid("NextToken", format!("{t:?} is not a token this API gave"))
            })?,
    };
    let rows: Vec<TagResourceOut<'_>> = s
        .data
        .orders
        .values()
        .filter(|o| ids.is_empty() || ids.contains(&instance_id(o.id).as_str()))
        .filter(|o| {
            wanted.iter().all(|(k, v)| {
                o.tags
                    .iter()
                    .any(|(tk, tv)| tk == k && v.is_none_or(|v| v == tv))
            })
        })
        .flat_map(|o| {
            o.tags.iter().map(|(k, v)| TagResourceOut {
                resource_id: instance_id(o.id),
                resource_type: RESOURCE_TYPE,
                tag_key: k,
                tag_value: v,
            })
        })
        .collect();
    let total = rows.len();
    let page: Vec<_> = rows.into_iter().skip(start).take(max).collect();
    let next = start + page.len();
    Ok(TagListResponse {
        request_id,
        next_token: if next < total {
            format!("sandbox-tags-{next}")
        } else {
            String::new()
        },
        max_results: max,
        tag_resources: TagResourcesOut { tag_resource: page },
    })
}
