//! Integration tests of csrkit-submit, one binary (faster to build):
#![allow(clippy::unwrap_used)] // a failing test should panic

/// Signing vectors as data directories (`tests/vectors/<case>/`).
mod vectors;
