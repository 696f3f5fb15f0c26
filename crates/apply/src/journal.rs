//! The order journal, `order.json` in the certificate's directory.
//!
//! It is what makes the engine resumable and what keeps it from buying the
//! same certificate twice: it is written (temp file + fsync + rename)
//! *before* each act that leaves a trace elsewhere (the Create request, a
//! published record) and again the moment its outcome is known.
//!
//! ```json
//! {
//!   "schema": "csrkit.order/1",
//!   "domains": ["example.com", "www.example.com"],
//!   "csr_sha256": "…", "key_spki_sha256": "…",
//!   "product_code": "digicert-free-1-free", "validate_type": "DNS",
//!   "endpoint": "https://cas.aliyuncs.com",
//!   "order_id": "98987582437920968",
//!   "tags": [ { "key": "env", "value": "prod" } ],
//!   "submission": { "started_at": "2026-11-27T20:50:34Z", "attempts": 1, "outcome": "created",
//!                   "attempt_id": "0b6f2c1e-…" },
//!   "previous_orders": [ { "order_id": "98987582437920001", "last_state": "verify_fail",
//!                          "retired_at": "2026-11-26T10:00:00Z" } ],
//!   "states": [ { "state": "domain_verify", "at": "2026-11-27T20:50:35Z" } ],
//!   "verification": { "type": "DNS", "record_name": "_dnsauth.example.com", … },
//!   "files": { "key": "privkey.pem", "csr": "request.csr", "cert": "cert.pem", … },
//!   "not_after": "2027-02-25T20:50:40Z",
//!   "dns": { "publisher": { "provider": "alidns", "endpoint": "https://alidns.aliyuncs.com" },
//!            "resolver": null, "propagation_timeout_secs": 600, "http_via": null },
//!   "published": [ { "provider": "alidns", "zone": "example.com", "name": "_dnsauth.example.com",
//!                    "type": "TXT", "value": "2026…", "record_id": "1234", "preexisting": false,
//!                    "domain": "example.com", "order_id": "98987582437920968",
//!                    "published_at": "2026-11-27T20:50:36Z", "removed_at": "2026-11-27T20:51:02Z" } ],
//!   "generations": [ { "number": 1, "order_id": "98987582437920968", "cert_id": "12345",
//!                      "key_spki_sha256": "…", "not_before": "…", "not_after": "…",
//!                      "installed_at": "…" } ],
//!   "current": 1,
//!   "contact": { "name": "Zhang San", "phone": "13800000000", "email": "ops@example.com" },
//!   "renewal": { "deploy_hook": "systemctl reload nginx", "post_hook": null,
//!                "deploy_to": ["CDN:www.example.com"], "hook_timeout_secs": 300,
//!                "reuse_key": false },
//!   "follow_ups": { "generation": 1, "deploy_hook": true, "deployment": false }
//! }
//! ```
//!
//! File paths are relative to the directory that holds the journal. `files`
//! names the order's key and CSR where they are now (at the top level for a
//! directory's first order, in `generations/N/` for a later one, or a key
//! outside the directory given with `--key`), and, once its certificate is
//! installed, the directory's stable names (`privkey.pem`, `cert.pem`, …:
//! links through `current`). The files are the journal's: the CSR must hash
//! to `csr_sha256` and the key to `key_spki_sha256` before anything is sent
//! for them or a certificate is saved.
//!
//! `published` lists every record (or file) published for the directory's
//! orders, each journaled before it was published (`published_at` still
//! `null`) so that a run stopped at any moment is cleaned up by the next.
//! `generations` lists every certificate installed, with its order and
//! certificate ids; `current` is the one `current` points at.
//!
//! `contact` is the applicant the last Create was sent with, so that a
//! renewal from cron needs no contact flags. `renewal` holds what `apply`
//! and `renew` were told to do after a certificate is installed (a deploy
//! hook, deployment targets) and how `renew` orders the next one, so that a
//! bare `csrkit renew` does the same. `follow_ups` is written together with
//! the installation of a generation whose deploy hook or deployment has not
//! run yet, and cleared once they succeeded: a run stopped (or failed) in
//! between has them run by the next `apply` or `renew` on the directory.
//! A generation whose directory was pruned (`renew --keep`) keeps its entry,
//! with `pruned_at`.
//!
//! `previous_orders` was a list of order id strings in journals written
//! before `last_state` and `retired_at` existed; both forms are read.
//! Journals written before generations existed (the files at the top
//! level, no `current`) are read as they are and migrated by the next
//! `apply` (see the `install` module).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::error::{Error, Result};

/// The journal's file name.
pub const JOURNAL_FILE: &str = "order.json";
/// The schema this version reads and writes.
pub const SCHEMA: &str = "csrkit.order/1";

/// What happened to the Create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateOutcome {
    /// About to be sent, or sent with no answer yet: on resume, the service
    /// may have created an order, so reconcile before any new Create.
    Pending,
    /// The answer was lost (timeout, reset, 5xx); reconcile before any new
    /// Create.
    Unknown,
    /// The service answered with an `OrderId`.
    Created,
    /// The service refused, or the request never left: nothing was created.
    NotCreated,
}

/// The Create request as far as the journal knows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    /// When the first attempt was about to be sent (UTC, RFC 3339).
    pub started_at: String,
    /// How many Create requests went out for this certificate.
    pub attempts: u32,
    /// What became of the last one.
    pub outcome: CreateOutcome,
    /// The `csrkit-attempt` tag value sent with the last Create (a UUID),
    /// journaled before it was sent: reconcile looks it up.
    #[serde(default)]
    pub attempt_id: Option<String>,
}

impl Submission {
    /// True when a Create may have created an order nobody recorded.
    pub fn unsettled(&self) -> bool {
        matches!(
            self.outcome,
            CreateOutcome::Pending | CreateOutcome::Unknown
        )
    }
}

/// An order this directory had before `--new-order`; never adopted by
/// reconcile, never forgotten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreviousOrder {
    /// The order id (a string: it exceeds 2^53).
    pub order_id: String,
    /// Its state when it was retired, if known.
    pub last_state: Option<String>,
    /// When it was retired (UTC, RFC 3339), if known.
    pub retired_at: Option<String>,
}

impl<'de> Deserialize<'de> for PreviousOrder {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            /// The old form: the order id alone.
            Id(String),
            Full {
                order_id: String,
                #[serde(default)]
                last_state: Option<String>,
                #[serde(default)]
                retired_at: Option<String>,
            },
        }
        Ok(match Form::deserialize(d)? {
            Form::Id(order_id) => PreviousOrder {
                order_id,
                last_state: None,
                retired_at: None,
            },
            Form::Full {
                order_id,
                last_state,
                retired_at,
            } => PreviousOrder {
                order_id,
                last_state,
                retired_at,
            },
        })
    }
}

/// A state the order was seen in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateSeen {
    /// The service's `Type`.
    pub state: String,
    /// When it was first seen (UTC, RFC 3339).
    pub at: String,
}

/// The files of the certificate's directory, relative to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Files {
    /// The private key (absent when `--csr` was given without `--key`).
    pub key: Option<PathBuf>,
    /// The CSR that was submitted.
    pub csr: PathBuf,
    /// The leaf certificate, once issued.
    pub cert: Option<PathBuf>,
    /// The intermediate certificates, once issued.
    pub chain: Option<PathBuf>,
    /// Leaf then intermediates, once issued.
    pub fullchain: Option<PathBuf>,
}

/// A certificate installed in `generations/N/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Generation {
    /// Its number, from 1.
    pub number: u32,
    /// The order it was issued for (a string: it exceeds 2^53).
    pub order_id: String,
    /// The service's certificate id, when it gave one.
    #[serde(default)]
    pub cert_id: Option<String>,
    /// SHA-256 of the key's SubjectPublicKeyInfo, hex.
    pub key_spki_sha256: String,
    /// The leaf's notBefore (RFC 3339).
    pub not_before: String,
    /// The leaf's notAfter (RFC 3339).
    pub not_after: String,
    /// When `current` was switched to it (RFC 3339).
    pub installed_at: String,
    /// When its directory was removed (`renew --keep`), if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruned_at: Option<String>,
}

/// What runs after a certificate is installed and how `renew` orders the
/// next one: recorded from `apply` and `renew` flags (or a manifest), so
/// that a bare `csrkit renew` does the same.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RenewalSettings {
    /// Run once after each certificate is installed (`--deploy-hook`).
    #[serde(default)]
    pub deploy_hook: Option<String>,
    /// Run once at the end of a `renew` run in which a certificate was due
    /// (`--post-hook`).
    #[serde(default)]
    pub post_hook: Option<String>,
    /// Deploy each new certificate here through CAS deployment jobs
    /// (`PRODUCT:DOMAIN`, or a resource id).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deploy_to: Vec<String>,
    /// How long each hook may run, in seconds (default 300).
    #[serde(default)]
    pub hook_timeout_secs: Option<u64>,
    /// Renew with the same key (`--reuse-key`; `--new-key` turns it off).
    #[serde(default)]
    pub reuse_key: bool,
}

impl RenewalSettings {
    /// True when nothing is recorded.
    pub fn is_empty(&self) -> bool {
        *self == RenewalSettings::default()
    }
}

/// The deploy hook and deployment of an installed generation that have not
/// succeeded yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FollowUpsDue {
    /// The generation.
    pub generation: u32,
    /// Its deploy hook is still to run.
    pub deploy_hook: bool,
    /// Its deployment is still to run.
    pub deployment: bool,
}

/// Who publishes the validation record, and how its propagation is
/// checked: recorded so that a re-run (or a renewal) publishes, checks and
/// cleans up the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Publishing {
    /// The provider and its settings (no secret).
    pub publisher: csrkit_dns::ProviderSpec,
    /// Ask this server (`HOST[:PORT]`) instead of the zone's authoritative
    /// servers.
    #[serde(default)]
    pub resolver: Option<String>,
    /// Give up the propagation check after this many seconds.
    pub propagation_timeout_secs: u64,
    /// FILE: fetch through this address (`HOST:PORT`).
    #[serde(default)]
    pub http_via: Option<String>,
}

impl Publishing {
    /// `publisher` with the default propagation settings (10 minutes, the
    /// zone's authoritative servers).
    pub fn new(publisher: csrkit_dns::ProviderSpec) -> Publishing {
        Publishing {
            publisher,
            resolver: None,
            propagation_timeout_secs: 600,
            http_via: None,
        }
    }
}

/// A record (or file) published for one of the directory's orders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublishedRecord {
    /// What the provider needs to remove exactly it.
    #[serde(flatten)]
    pub record: csrkit_dns::Published,
    /// When the provider confirmed it (`None`: journaled before it was
    /// published; it may or may not be there).
    #[serde(default)]
    pub published_at: Option<String>,
    /// When it was removed (`None`: still there, or may be).
    #[serde(default)]
    pub removed_at: Option<String>,
}

impl PublishedRecord {
    /// True until it was removed.
    pub fn live(&self) -> bool {
        self.removed_at.is_none()
    }
}

/// The journal document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Journal {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// The certificate's names, CN first.
    pub domains: Vec<String>,
    /// SHA-256 of the CSR's DER, hex.
    pub csr_sha256: String,
    /// SHA-256 of the key's SubjectPublicKeyInfo, hex.
    pub key_spki_sha256: String,
    /// The resource plan the order spends.
    pub product_code: String,
    /// `DNS` or `FILE`.
    pub validate_type: String,
    /// The API endpoint the order lives at.
    pub endpoint: String,
    /// The order, once known: a string (it exceeds 2^53).
    pub order_id: Option<String>,
    /// The user's tags, sent with every Create of this directory.
    #[serde(default)]
    pub tags: Vec<csrkit_submit::Tag>,
    /// The Create request.
    pub submission: Option<Submission>,
    /// Orders this directory had before (`--new-order`); never adopted when
    /// reconciling.
    #[serde(default)]
    pub previous_orders: Vec<PreviousOrder>,
    /// Every state seen, with its time.
    #[serde(default)]
    pub states: Vec<StateSeen>,
    /// What to publish for validation, as last shown.
    pub verification: Option<serde_json::Value>,
    /// The files.
    pub files: Files,
    /// The certificate's notAfter (RFC 3339), once issued.
    pub not_after: Option<String>,
    /// Who publishes the validation (`None`: the user, by hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<Publishing>,
    /// Every record published for this directory's orders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub published: Vec<PublishedRecord>,
    /// Every certificate installed, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub generations: Vec<Generation>,
    /// The generation `current` points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current: Option<u32>,
    /// The applicant the last Create was sent with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<crate::request::Contact>,
    /// What runs after installation, and how renewals are ordered.
    #[serde(default, skip_serializing_if = "RenewalSettings::is_empty")]
    pub renewal: RenewalSettings,
    /// Follow-ups of the current generation still to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_ups: Option<FollowUpsDue>,
}

/// Now, UTC, RFC 3339 with seconds.
pub fn now() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl Journal {
    /// Reads `dir/order.json`, or `None` when there is none.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read, [`Error::Input`] when it is not
    /// a journal this version reads.
    pub fn load(dir: &Path) -> Result<Option<Journal>> {
        let path = dir.join(JOURNAL_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("read", &path)(e)),
        };
        let journal: Journal = serde_json::from_slice(&bytes).map_err(|e| {
            Error::input(format!(
                "{} is not a csrkit order journal ({e}); move it away or use another --out-dir",
                path.display()
            ))
        })?;
        if journal.schema != SCHEMA {
            return Err(Error::input(format!(
                "{} has schema {:?}; this csrkit reads {SCHEMA:?}",
                path.display(),
                journal.schema
            )));
        }
        Ok(Some(journal))
    }

    /// Writes `dir/order.json` atomically and durably.
    ///
    /// # Errors
    /// [`Error::Csr`] (the file writer's error) when it cannot be written.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::input(format!("the order journal cannot be encoded: {e}")))?;
        bytes.push(b'\n');
        let path = dir.join(JOURNAL_FILE);
        csrkit_csr::write_public_file(&path, &bytes, csrkit_csr::WriteMode::Overwrite)?;
        Ok(())
    }

    /// The recorded order id, parsed.
    ///
    /// # Errors
    /// [`Error::Input`] when it is not a number (a damaged journal).
    pub fn order(&self) -> Result<Option<csrkit_submit::OrderId>> {
        self.order_id
            .as_deref()
            .map(|id| {
                id.parse().map_err(|_| {
                    Error::input(format!(
                        "the journal's order id {id:?} is not a number; the journal is damaged"
                    ))
                })
            })
            .transpose()
    }

    /// The records still published (or that may be), for any order.
    pub fn live_records(&self) -> impl Iterator<Item = &PublishedRecord> {
        self.published.iter().filter(|p| p.live())
    }

    /// True when a Create may have made an order the journal does not name.
    pub fn unsettled(&self) -> bool {
        self.order_id.is_none() && self.submission.as_ref().is_some_and(Submission::unsettled)
    }

    /// True when nothing was ever sent for this directory: no order, no
    /// Create attempted, no order retired.
    pub fn nothing_sent(&self) -> bool {
        self.order_id.is_none() && self.submission.is_none() && self.previous_orders.is_empty()
    }

    /// Whether `id` is one of the orders this directory retired.
    pub fn retired(&self, id: &str) -> bool {
        self.previous_orders.iter().any(|p| p.order_id == id)
    }

    /// Records a state if it differs from the last one seen. Returns whether
    /// it was new.
    pub fn see(&mut self, state: &str) -> bool {
        if self.states.last().is_some_and(|s| s.state == state) {
            return false;
        }
        self.states.push(StateSeen {
            state: state.to_owned(),
            at: now(),
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Journal {
        Journal {
            schema: SCHEMA.into(),
            domains: vec!["example.com".into()],
            csr_sha256: "ab".into(),
            key_spki_sha256: "cd".into(),
            product_code: "digicert-free-1-free".into(),
            validate_type: "DNS".into(),
            endpoint: "http://127.0.0.1:1".into(),
            order_id: Some("98987582437920968".into()),
            tags: vec![],
            submission: Some(Submission {
                started_at: now(),
                attempts: 1,
                outcome: CreateOutcome::Created,
                attempt_id: Some("0b6f2c1e-5d8a-4f3b-9c7e-1a2b3c4d5e6f".into()),
            }),
            previous_orders: vec![],
            states: vec![],
            verification: None,
            files: Files {
                key: Some("privkey.pem".into()),
                csr: "request.csr".into(),
                ..Files::default()
            },
            not_after: None,
            dns: None,
            published: vec![],
            generations: vec![],
            current: None,
            contact: None,
            renewal: RenewalSettings::default(),
            follow_ups: None,
        }
    }

    #[test]
    fn round_trip_and_state_dedup() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Journal::load(dir.path()).unwrap().is_none());
        let mut j = sample();
        assert!(j.see("domain_verify"));
        assert!(!j.see("domain_verify"));
        assert!(j.see("process"));
        j.save(dir.path()).unwrap();
        let back = Journal::load(dir.path()).unwrap().unwrap();
        assert_eq!(back, j);
        let text = std::fs::read_to_string(dir.path().join(JOURNAL_FILE)).unwrap();
        assert!(
            text.contains("\"order_id\": \"98987582437920968\""),
            "{text}"
        );
    }

    #[test]
    fn previous_orders_of_the_old_string_form_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut v = serde_json::to_value(sample()).unwrap();
        v["previous_orders"] = serde_json::json!(["1", {"order_id": "2", "last_state": "payed"}]);
        v.as_object_mut().unwrap().remove("tags");
        v["submission"]
            .as_object_mut()
            .unwrap()
            .remove("attempt_id");
        std::fs::write(dir.path().join(JOURNAL_FILE), v.to_string()).unwrap();
        let j = Journal::load(dir.path()).unwrap().unwrap();
        assert_eq!(j.previous_orders[0].order_id, "1");
        assert_eq!(j.previous_orders[0].last_state, None);
        assert_eq!(j.previous_orders[1].last_state.as_deref(), Some("payed"));
        assert!(j.retired("2") && !j.retired("3"));
        assert_eq!(j.submission.unwrap().attempt_id, None);
    }

    #[test]
    fn refuses_foreign_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(JOURNAL_FILE), "{\"hello\": 1}").unwrap();
        let err = Journal::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a csrkit order journal"), "{err}");
    }
}
