//! Integration tests of csrkit-dns, one binary (faster to build):
#![allow(clippy::unwrap_used)] // a failing test should panic

/// TSIG key files: real `tsig-keygen` output and broken ones (`vectors/tsig/`).
mod tsig_vectors;

/// The contract every provider keeps, as one suite run against each
/// provider's real counterpart.
mod contract;

/// `rfc2136` against a real BIND 9 `named`: zones, keys, refusals.
mod rfc2136;

/// The propagation check against real `named` servers (views, SERVFAIL, a
/// stopped server) and a real HTTP server.
mod propagation;

/// `hook` with real shell scripts: argv, environment, stdout hand-off,
/// failure, timeout.
mod hook;

/// `webroot` in a temporary directory.
mod webroot;

/// `alidns` against the sandbox's Alidns emulation.
mod alidns;

/// `ProviderSpec`: the journal's record of the provider, and opening it.
mod spec;
