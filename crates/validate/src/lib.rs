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
//! SARIF and GitHub formats; [`inspect()`] gives the facts of one request and
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
//!
//! # Rules
//!
//! Each rule has a stable code (`V` plus a family block: 1xx encoding and
//! signature, 2xx subject and subjectAltName, 3xx key, 4xx attributes and
//! extensions, 9xx provider and policy), a kebab-case name, a default
//! [`Severity`] and a citation; [`rules()`] lists them and [`explain`] finds
//! one by code or name. Following zlint, `Error` is used only for a MUST or
//! MUST NOT with a citation; heuristics and SHOULDs are warnings.
//!
//! The self-signature is verified with the declared algorithm and
//! parameters: ECDSA and the common RSA cases through aws-lc-rs, every
//! other RSA case (sizes outside 2048–8192, RSASSA-PSS with its declared
//! hash, MGF1 hash and salt length) on big integers, within OpenSSL's
//! limits. A key another rule refuses (an invalid point, a forbidden curve
//! or algorithm) is reported by that rule; a signature that does not
//! verify is V101, one that cannot be checked V108, one the key cannot
//! have made V109. `tests/differential.rs` holds csrkit to `openssl req
//! -verify` on thousands of mutants and forgeries.
//!
//! Keys are also checked for the fingerprints of flawed generators that
//! the badkeys project collects (V312–V317: primes known to be shared by
//! public keys, whose data is embedded; Wiener-small private exponents;
//! sparse-prime, repeated-byte and biased moduli; the xz backdoor's key),
//! and against lists of compromised keys the caller supplies
//! ([`Blocklist`], V318).
//!
//! # The principle
//!
#![doc = include_str!("principles.md")]
//!
//! # Wiring a command line
//!
//! Build the [`Policy`] from `--profile`, the policy file
//! ([`Policy::from_toml`]) and the flags ([`Policy::allow`],
//! [`Policy::deny`], [`Policy::expect_domain`], [`Policy::set_fail_on`]);
//! run [`validate`] on each file (in parallel if you like: it is pure);
//! render the `(path, report)` list with [`render::human`],
//! [`render::json`], [`render::sarif`] or [`render::github`]; exit 1 when
//! any [`Report::fails`] at [`Policy::fail_on`]. A file that is not a CSR
//! is a finding (`V100`), not an I/O error.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod blocklist;
mod csr;
mod der;
mod engine;
mod error;
mod input;
mod inspect;
mod keys;
mod model;
mod policy;
mod product;
pub mod render;
mod rule;
mod rules;
mod seen;
mod special_ip;
mod weak;

pub use blocklist::Blocklist;
pub use engine::validate;
pub use error::Error;
pub use inspect::{Inspection, KeyFacts, SanFacts, inspect};
pub use model::{Counts, Finding, Location, Report, RequestReport, Severity};
pub use policy::{KeyType, Policy, Profile};
pub use product::{PRODUCTS, Product, product};
pub use rule::{Rule, Source};
pub use rules::{explain, rules};
#[doc(hidden)]
pub use weak::{bench_known_shared_prime, bench_paths};

/// What makes a finding an error: the page `csrkit explain principles`
/// prints (and the top of `csrkit explain all`).
pub const PRINCIPLES: &str = include_str!("principles.md");
