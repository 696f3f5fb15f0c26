//! Finding exactly the order an earlier Create of unknown outcome made
//! (DESIGN.md "Quota is money"; `reference/order-identity.md`).
//!
//! 1. Where the service has it, `ListTagResources` with this attempt's
//!    `csrkit-attempt` tag names the instance the Create made (an
//!    `InvalidApi.NotFound` answer, or any failure, just skips this
//!    filter).
//! 2. The candidates: orders of `ListUserCertificateOrder` for the CSR's
//!    domain, bought since the journal entry (less 15 minutes of clock
//!    skew), that this directory has not retired.
//! 3. Each candidate is ours when its instance carries our tag, or when the
//!    CSR `GetInstanceDetail` returns is ours (the SHA-256 of its DER is the
//!    journal's `csr_sha256`); provably not ours when its CSR differs; and
//!    undetermined when that could not be read.
//!
//! Another directory may have ordered the same domain a moment later: its
//! order is never taken for ours, and when one candidate cannot be checked,
//! nothing is assumed (exit 4, and `--adopt` settles it by hand).

use std::collections::HashSet;

use csrkit_submit::{
    Client, Error as ApiError, ListTagResources, ListUserCertificateOrder, OrderId, OrderSummary,
    Tag,
};
use sha2::{Digest, Sha256};

use crate::journal::Journal;
use crate::plan::ATTEMPT_TAG;

/// An order that may be the one the Create made.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub(crate) order_id: OrderId,
    pub(crate) instance_id: Option<String>,
}

/// What a candidate turned out to be.
#[derive(Debug, Clone)]
pub(crate) enum Verdict {
    /// Our tag or our CSR.
    Ours,
    /// Another CSR: not ours.
    NotOurs,
    /// Could not be checked, and why.
    Undetermined(String),
}

/// What reconcile found.
#[derive(Debug)]
pub(crate) enum Found {
    /// Our order; `also` lists other orders with our CSR (each paid for:
    /// the caller records them).
    Ours { order: OrderId, also: Vec<OrderId> },
    /// Every candidate is provably another's: the Create made nothing.
    NoneCreated,
    /// Some candidates could not be checked; none is provably ours.
    Undetermined(Vec<(Candidate, String)>),
}

/// Looks for the order the journal's unsettled Create made.
pub(crate) async fn find(client: &Client, j: &Journal) -> Result<Found, ApiError> {
    let attempt = j.submission.as_ref().and_then(|s| s.attempt_id.clone());
    let tagged = match &attempt {
        Some(a) => tagged_instances(client, a).await,
        None => HashSet::new(),
    };
    let candidates = candidates(client, j).await?;
    let mut ours = Vec::new();
    let mut open = Vec::new();
    for c in &candidates {
        match verdict(client, j, c, &tagged, attempt.as_deref()).await {
            Verdict::Ours => ours.push(c.order_id),
            Verdict::NotOurs => {}
            Verdict::Undetermined(why) => open.push((c.clone(), why)),
        }
    }
    if ours.is_empty() {
        ours = tagged_outside(client, j, &candidates, &tagged).await?;
    }
    Ok(match ours.split_last() {
        Some((order, also)) => Found::Ours {
            order: *order,
            also: also.to_vec(),
        },
        None if open.is_empty() => Found::NoneCreated,
        None => Found::Undetermined(open),
    })
}

/// The verdict on one order, for `--adopt`: it must be an order for the
/// domain, and ours.
pub(crate) async fn check_one(
    client: &Client,
    j: &Journal,
    id: OrderId,
) -> Result<Option<Verdict>, ApiError> {
    let cn = j.domains.first().map(String::as_str).unwrap_or_default();
    let mut found = list(client, cn.trim_start_matches("*.")).await?;
    if !found.iter().any(|o| o.order_id == Some(id)) {
        found = list(client, &id.to_string()).await?;
    }
    let Some(o) = found.into_iter().find(|o| o.order_id == Some(id)) else {
        return Ok(None);
    };
    let c = Candidate {
        order_id: id,
        instance_id: o.instance_id,
    };
    let attempt = j.submission.as_ref().and_then(|s| s.attempt_id.clone());
    Ok(Some(
        verdict(client, j, &c, &HashSet::new(), attempt.as_deref()).await,
    ))
}

/// The instances carrying this attempt's tag; empty where the service has
/// no `ListTagResources`.
async fn tagged_instances(client: &Client, attempt: &str) -> HashSet<String> {
    let query = ListTagResources {
        region_id: client.endpoint().region_id().to_owned(),
        tags: vec![Tag {
            key: ATTEMPT_TAG.to_owned(),
            value: attempt.to_owned(),
        }],
        ..ListTagResources::default()
    };
    // Only a first filter: where the service has no such operation (or it
    // fails), the CSR of each candidate still decides.
    client
        .list_all_tag_resources(&query)
        .await
        .map(|rows| rows.into_iter().map(|r| r.resource_id).collect())
        .unwrap_or_default()
}

async fn list(client: &Client, keyword: &str) -> Result<Vec<OrderSummary>, ApiError> {
    let query = ListUserCertificateOrder {
        order_type: Some("CPACK".into()),
        keyword: Some(keyword.to_owned()),
        ..ListUserCertificateOrder::default()
    };
    client.list_all_user_certificate_orders(&query).await
}

/// Orders for the CSR's domain bought since the journal entry (less a
/// margin for clock skew) that this directory has not retired.
async fn candidates(client: &Client, j: &Journal) -> Result<Vec<Candidate>, ApiError> {
    let since_ms = j
        .submission
        .as_ref()
        .and_then(|s| {
            time::OffsetDateTime::parse(
                &s.started_at,
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        })
        .map_or(0, |t| {
            (t - time::Duration::minutes(15)).unix_timestamp() * 1000
        });
    let cn = j.domains.first().map(String::as_str).unwrap_or_default();
    let orders = list(client, cn.trim_start_matches("*.")).await?;
    Ok(orders
        .into_iter()
        .filter(|o| {
            o.domain
                .as_deref()
                .is_none_or(|d| d.eq_ignore_ascii_case(cn))
        })
        .filter(|o| {
            o.buy_date
                .is_none_or(|t| i64::try_from(t).unwrap_or(i64::MAX) >= since_ms)
        })
        .filter_map(|o| {
            Some(Candidate {
                order_id: o.order_id?,
                instance_id: o.instance_id.filter(|i| !i.is_empty()),
            })
        })
        .filter(|c| !j.retired(&c.order_id.to_string()))
        .collect())
}

async fn verdict(
    client: &Client,
    j: &Journal,
    c: &Candidate,
    tagged: &HashSet<String>,
    attempt: Option<&str>,
) -> Verdict {
    let Some(instance) = &c.instance_id else {
        return Verdict::Undetermined("the order list gives no InstanceId for it".to_owned());
    };
    if tagged.contains(instance) {
        return Verdict::Ours;
    }
    let detail = match client.get_instance_detail(instance).await {
        Ok(d) => d,
        Err(e) => return Verdict::Undetermined(format!("GetInstanceDetail failed: {e}")),
    };
    if let Some(a) = attempt
        && detail
            .tags
            .iter()
            .any(|t| t.tag_key == ATTEMPT_TAG && t.tag_value == a)
    {
        return Verdict::Ours;
    }
    match detail.csr.as_deref().and_then(csr_sha256) {
        Some(sha) if sha == j.csr_sha256 => Verdict::Ours,
        Some(_) => Verdict::NotOurs,
        None => Verdict::Undetermined("the service did not return its CSR".to_owned()),
    }
}

/// Orders whose instance carries our tag but that the domain listing did
/// not show (found by their instance id).
async fn tagged_outside(
    client: &Client,
    j: &Journal,
    seen: &[Candidate],
    tagged: &HashSet<String>,
) -> Result<Vec<OrderId>, ApiError> {
    let mut ours = Vec::new();
    for instance in tagged {
        if seen
            .iter()
            .any(|c| c.instance_id.as_ref() == Some(instance))
        {
            continue;
        }
        for o in list(client, instance).await? {
            if o.instance_id.as_ref() == Some(instance)
                && let Some(id) = o.order_id
                && !j.retired(&id.to_string())
            {
                ours.push(id);
            }
        }
    }
    Ok(ours)
}

/// SHA-256 (hex) of the DER of a PEM CSR, whatever its line breaks: the
/// body's whitespace is dropped before it is decoded.
pub(crate) fn csr_sha256(pem_text: &str) -> Option<String> {
    let body: String = match (pem_text.find("-----BEGIN"), pem_text.find("-----END")) {
        (Some(b), Some(e)) if b < e => {
            let after_begin = &pem_text[b..e];
            let start = after_begin
                .find('\n')
                .or_else(|| after_begin[10..].find("-----").map(|i| i + 15))?;
            after_begin[start..].to_owned()
        }
        _ => pem_text.to_owned(),
    };
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.is_empty() {
        return None;
    }
    let mut wrapped = String::from("-----BEGIN CERTIFICATE REQUEST-----\n");
    for chunk in compact.as_bytes().chunks(64) {
        wrapped.push_str(std::str::from_utf8(chunk).ok()?);
        wrapped.push('\n');
    }
    wrapped.push_str("-----END CERTIFICATE REQUEST-----\n");
    let der = ::pem::parse(wrapped).ok()?.into_contents();
    Some(hex::encode(Sha256::digest(der)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn csr_hash_ignores_how_the_pem_is_wrapped() {
        let der = [0x30, 0x03, 0x02, 0x01, 0x05].repeat(20);
        let pem = ::pem::encode(&::pem::Pem::new("CERTIFICATE REQUEST", der.clone()));
        let want = hex::encode(Sha256::digest(&der));
        assert_eq!(csr_sha256(&pem).unwrap(), want);
        assert_eq!(csr_sha256(&pem.replace('\n', "\r\n")).unwrap(), want);
        let one_line = pem
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>();
        let flat = format!(
            "-----BEGIN CERTIFICATE REQUEST-----{one_line}-----END CERTIFICATE REQUEST-----"
        );
        assert_eq!(csr_sha256(&flat).unwrap(), want);
        assert_eq!(csr_sha256(&one_line).unwrap(), want);
        assert!(csr_sha256("").is_none());
    }
}
