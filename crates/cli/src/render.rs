//! Rendering what the engine knows for people and for scripts: the state
//! of an order, what to publish, the files of a directory and the records
//! still published. Shared by `apply`, `status` and `cancel`.

use std::path::{Path, PathBuf};

use csrkit_apply::{Journal, Publish, PublishedRecord};
use serde_json::{Value, json};

/// A human sentence for each state.
pub(crate) fn describe(state: &csrkit_submit::StateType) -> &'static str {
    use csrkit_submit::StateType as S;
    match state {
        S::DomainVerify => "waiting for domain validation",
        S::Process => "under review by the CA",
        S::Certificate => "issued",
        S::VerifyFail => "validation failed",
        S::Payed => "cancelled (pending application); delete it to return the quota",
        S::Unknow => "unknown to the service for now; ask again shortly",
        _ => "a state this version of csrkit does not know",
    }
}

/// Instructions for people: the record (and its zone-file line) or the
/// file to publish.
pub(crate) fn publish_human(p: &Publish) -> String {
    match p {
        Publish::Dns {
            record_name,
            record_type,
            record_value,
        } => format!(
            "Publish this DNS record:\n  name   {record_name}\n  type   {record_type}\n  \
             value  {record_value}\n  zone file line:\n    {}\n",
            p.zone_line().unwrap_or_default()
        ),
        Publish::File { url, content } => {
            format!("Serve this file over HTTP:\n  url      {url}\n  content  {content}\n")
        }
        _ => String::new(),
    }
}

/// The `files` object of the apply and status documents: the journal's
/// files, as paths under `dir`.
pub(crate) fn files_json(dir: &Path, j: &Journal) -> Value {
    let at = |p: &Option<PathBuf>| p.as_ref().map(|p| dir.join(p));
    json!({
        "key": at(&j.files.key),
        "csr": dir.join(&j.files.csr),
        "cert": at(&j.files.cert),
        "chain": at(&j.files.chain),
        "fullchain": at(&j.files.fullchain),
    })
}

/// The records still published (or that may be), as the journal has them.
pub(crate) fn live_records(j: &Journal) -> Vec<&PublishedRecord> {
    j.live_records().collect()
}

/// One line for a published record: `_dnsauth.example.com TXT "v" (alidns,
/// zone example.com, record 123)`.
pub(crate) fn record_line(r: &PublishedRecord) -> String {
    let mut about = vec![r.record.provider.clone()];
    if let Some(z) = &r.record.zone {
        about.push(format!("zone {z}"));
    }
    if let Some(id) = &r.record.record_id {
        about.push(format!("record {id}"));
    }
    if r.published_at.is_none() {
        about.push("may not have been published".into());
    } else if r.record.preexisting {
        about.push("was there already".into());
    }
    format!(
        "{} {} {:?} ({})",
        r.record.name,
        r.record.kind.as_str(),
        r.record.value,
        about.join(", ")
    )
}

/// The JSON of the records still published.
pub(crate) fn records_json(j: &Journal) -> Value {
    serde_json::to_value(live_records(j)).unwrap_or(Value::Null)
}

/// Why `renew` renews a certificate, or how long it has left.
pub(crate) fn reason(d: &csrkit_apply::Decision) -> String {
    use csrkit_apply::Reason;
    let left = d
        .current
        .as_ref()
        .map(|v| match v.days_left() {
            n if n < 0 => "expired".to_owned(),
            1 => "1 day left".to_owned(),
            n => format!("{n} days left"),
        })
        .unwrap_or_default();
    match d.reason {
        Reason::LifetimeThird => format!("less than a third of its lifetime left, {left}"),
        Reason::Days(n) => format!("fewer than {n} days left, {left}"),
        Reason::Forced => format!("--force, {left}"),
        Reason::NoCertificate => "no certificate yet".to_owned(),
        Reason::InFlight => "an earlier run's order is unfinished".to_owned(),
        _ => left,
    }
}
