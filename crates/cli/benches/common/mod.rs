//! What every benchmark binary needs: timing a process, and medians.
#![allow(dead_code)]

use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `cmd` to completion and returns its wall time; panics (with its
/// output) if it fails, so a broken command never yields a figure.
pub(crate) fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().expect("command runs");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// The median of the samples.
pub(crate) fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Milliseconds with two decimals.
pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}
