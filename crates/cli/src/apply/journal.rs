//! The order journal, `order.json` in the certificate's directory.
//!
//! It is what makes `apply` resumable and what keeps it from buying the same
//! certificate twice: it is written (temp file + fsync + rename) *before*
//! the Create request goes out, and again the moment an `OrderId` is known.
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
//!   "files": { "key": "privkey.pem", "csr": "request.csr", "cert": null, … },
//!   "not_after": null
//! }
//! ```
//!
//! File paths are relative to the directory that holds the journal. The
//! files are the journal's: `request.csr` must hash to `csr_sha256` and the
//! key to `key_spki_sha256` before anything is sent for them or a
//! certificate is saved (`files.rs`). A `--new-order` with a new key or CSR
//! keeps them under `next/` until their certificate is installed.
//!
//! `previous_orders` was a list of order id strings in journals written
//! before `last_state` and `retired_at` existed; both forms are read.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The journal's file name.
pub(crate) const JOURNAL_FILE: &str = "order.json";
/// The schema this version reads and writes.
pub(crate) const SCHEMA: &str = "csrkit.order/1";

/// What happened to the Create request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
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
pub(crate) struct Submission {
    /// When the first attempt was about to be sent (UTC, RFC 3339).
    pub(crate) started_at: String,
    /// How many Create requests went out for this certificate.
    pub(crate) attempts: u32,
    /// What became of the last one.
    pub(crate) outcome: Outcome,
    /// The `csrkit-attempt` tag value sent with the last Create (a UUID),
    /// journaled before it was sent: reconcile looks it up.
    #[serde(default)]
    pub(crate) attempt_id: Option<String>,
}

impl Submission {
    /// True when a Create may have created an order nobody recorded.
    pub(crate) fn unsettled(&self) -> bool {
        matches!(self.outcome, Outcome::Pending | Outcome::Unknown)
    }
}

/// An order this directory had before `--new-order`; never adopted by
/// reconcile, never forgotten.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PreviousOrder {
    /// The order id (a string: it exceeds 2^53).
    pub(crate) order_id: String,
    /// Its state when it was retired, if known.
    pub(crate) last_state: Option<String>,
    /// When it was retired (UTC, RFC 3339), if known.
    pub(crate) retired_at: Option<String>,
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
pub(crate) struct StateSeen {
    /// The service's `Type`.
    pub(crate) state: String,
    /// When it was first seen (UTC, RFC 3339).
    pub(crate) at: String,
}

/// The files of the certificate's directory, relative to it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Files {
    /// The private key (absent when `--csr` was given without `--key`).
    pub(crate) key: Option<PathBuf>,
    /// The CSR that was submitted.
    pub(crate) csr: PathBuf,
    /// The leaf certificate, once issued.
    pub(crate) cert: Option<PathBuf>,
    /// The intermediate certificates, once issued.
    pub(crate) chain: Option<PathBuf>,
    /// Leaf then intermediates, once issued.
    pub(crate) fullchain: Option<PathBuf>,
}

/// The journal document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Journal {
    /// Always [`SCHEMA`].
    pub(crate) schema: String,
    /// The certificate's names, CN first.
    pub(crate) domains: Vec<String>,
    /// SHA-256 of the CSR's DER, hex.
    pub(crate) csr_sha256: String,
    /// SHA-256 of the key's SubjectPublicKeyInfo, hex.
    pub(crate) key_spki_sha256: String,
    /// The resource plan the order spends.
    pub(crate) product_code: String,
    /// `DNS` or `FILE`.
    pub(crate) validate_type: String,
    /// The API endpoint the order lives at.
    pub(crate) endpoint: String,
    /// The order, once known: a string (it exceeds 2^53).
    pub(crate) order_id: Option<String>,
    /// The user's tags, sent with every Create of this directory.
    #[serde(default)]
    pub(crate) tags: Vec<csrkit_submit::Tag>,
    /// The Create request.
    pub(crate) submission: Option<Submission>,
    /// Orders this directory had before (`--new-order`); never adopted when
    /// reconciling.
    #[serde(default)]
    pub(crate) previous_orders: Vec<PreviousOrder>,
    /// Every state seen, with its time.
    #[serde(default)]
    pub(crate) states: Vec<StateSeen>,
    /// What to publish for validation, as last shown.
    pub(crate) verification: Option<serde_json::Value>,
    /// The files.
    pub(crate) files: Files,
    /// The certificate's notAfter (RFC 3339), once issued.
    pub(crate) not_after: Option<String>,
}

/// Now, UTC, RFC 3339 with seconds.
pub(crate) fn now() -> String {
    OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl Journal {
    /// Reads `dir/order.json`, or `None` when there is none.
    pub(crate) fn load(dir: &Path) -> anyhow::Result<Option<Journal>> {
        let path = dir.join(JOURNAL_FILE);
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(e).with_context(|| format!("cannot read {}", path.display()));
            }
        };
        let journal: Journal = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a csrkit order journal; move it away or use another --out-dir",
                path.display()
            )
        })?;
        if journal.schema != SCHEMA {
            anyhow::bail!(
                "{} has schema {:?}; this csrkit reads {SCHEMA:?}",
                path.display(),
                journal.schema
            );
        }
        Ok(Some(journal))
    }

    /// Writes `dir/order.json` atomically and durably.
    pub(crate) fn save(&self, dir: &Path) -> anyhow::Result<()> {
        let mut bytes = serde_json::to_vec_pretty(self)?;
        bytes.push(b'\n');
        let path = dir.join(JOURNAL_FILE);
        csrkit_csr::write_public_file(&path, &bytes, csrkit_csr::WriteMode::Overwrite)
            .with_context(|| "the order journal could not be saved")?;
        Ok(())
    }

    /// The recorded order id, parsed.
    pub(crate) fn order(&self) -> anyhow::Result<Option<csrkit_submit::OrderId>> {
        self.order_id
            .as_deref()
            .map(|id| {
                id.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "the journal's order id {id:?} is not a number; the journal is damaged"
                    )
                })
            })
            .transpose()
    }

    /// True when a Create may have made an order the journal does not name.
    pub(crate) fn unsettled(&self) -> bool {
        self.order_id.is_none() && self.submission.as_ref().is_some_and(Submission::unsettled)
    }

    /// True when nothing was ever sent for this directory: no order, no
    /// Create attempted, no order retired.
    pub(crate) fn nothing_sent(&self) -> bool {
        self.order_id.is_none() && self.submission.is_none() && self.previous_orders.is_empty()
    }

    /// Whether `id` is one of the orders this directory retired.
    pub(crate) fn retired(&self, id: &str) -> bool {
        self.previous_orders.iter().any(|p| p.order_id == id)
    }

    /// Records a state if it differs from the last one seen. Returns whether
    /// it was new.
    pub(crate) fn see(&mut self, state: &str) -> bool {
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
                outcome: Outcome::Created,
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
