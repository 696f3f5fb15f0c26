//! Integration tests of csrkit-validate. Modules:
//!
//! - `differential`: csrkit against `openssl req -verify` on seeded
//!   mutants and forgeries of the fixtures.
//! - `fixtures`: every rule against its pass and fail fixtures.
//! - `registry`: the catalogue as a whole (unique codes, names, citations,
//!   fixtures for every rule) and its snapshot.
//! - `render`: snapshots of every output format.
//! - `names`: property tests of the host-name rules.
//! - `robustness`: bad input never panics.

mod common;
mod differential;
mod fixtures;
mod names;
mod registry;
mod render;
mod robustness;
