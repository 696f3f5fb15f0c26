//! Integration tests of csrkit-submit, one binary (faster to build):
#![allow(clippy::unwrap_used)] // a failing test should panic

/// Signing vectors as data directories (`tests/vectors/<case>/`).
mod vectors;

/// The recording loopback server and shared helpers.
mod server;

/// The exact request shape of each operation and the decoding of answers.
mod requests;

/// Error mapping, retries, and never repeating an ambiguous Create.
mod errors;

/// No secret or token in any request byte or output.
mod secrets;

/// The credential chain: env, CLI profile, INI file, and what fails.
mod credentials;

/// Every operation recorded for the official SDK's signature check.
mod interop;

/// The deployment operations: a job never repeated blindly, an upload only with its token.
mod deploy_ops;
