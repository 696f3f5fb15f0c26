//! A linter for certificate signing requests (PKCS #10), for CI and for
//! programs: every CSR is checked against a catalogue of rules with stable
//! codes, drawn from RFC 2986, RFC 5280, the CA/Browser Forum Baseline
//! Requirements, the Mozilla policy and what Alibaba Cloud SSL Certificates
//! Service accepts.
//!
//! [`validate`] takes the bytes of a file (PEM or DER) and a [`Policy`] and
//! returns a [`Report`]. It does no I/O and never panics: anything that is
//! not a CSR, including a private key or a certificate given by mistake, is
//! a finding. The [`render`] functions turn reports into the human, JSON,
//! SARIF and GitHub formats; [`inspect`] gives the facts of one request and
//! [`explain`] a rule's documentation.
//!
//! ```
//! use csrkit_validate::{validate, Policy, Severity};
//!
//! let report = validate(b"not a CSR", &Policy::default());
//! assert_eq!(report.worst_severity(), Some(Severity::Error));
//! assert_eq!(report.findings[0].code, "V100");
//!
//! let rule = csrkit_validate::explain("cn-not-in-san").ok_or("no such rule")?;
//! assert_eq!(rule.code(), "V204");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod csr;
mod engine;
mod error;
mod input;
mod inspect;
mod keys;
mod model;
mod policy;
pub mod render;
mod rule;
mod rules;

pub use engine::validate;
pub use error::Error;
pub use inspect::{Inspection, KeyFacts, SanFacts, inspect};
pub use model::{Counts, Finding, Location, Report, RequestReport, Severity};
pub use policy::{KeyType, Policy, Profile};
pub use rule::{Rule, Source};
pub use rules::{explain, rules};
