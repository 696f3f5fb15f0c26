//! V312's cost per RSA-2048 key beside badkeys' own check (gmpy2, i.e. GMP)
//! in the same run, on the same fresh moduli:
//! `cargo bench -p csrkit-validate --bench shared_prime [-- --keys N]`.
//!
//! Makes `target/v312/moduli.txt` (N fresh RSA-2048 moduli, default 200, with
//! `cryptography`) and a venv `target/v312/venv` with badkeys 0.0.21 and
//! gmpy2 from PyPI when they are missing, then times both (CPU time of the
//! timing thread, so other processes on the machine do not count) and
//! prints one table row.

use std::path::PathBuf;
use std::process::Command;

/// CPU time of this thread in nanoseconds (`CLOCK_THREAD_CPUTIME_ID`, as
/// Python's `time.thread_time`; `/proc/thread-self/schedstat` moves only at
/// the scheduler's 4 ms tick while the thread runs).
fn cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let keys: usize = args
        .iter()
        .position(|a| a == "--keys")
        .and_then(|i| args.get(i + 1))
        .map_or(200, |s| s.parse().expect("--keys takes a number"));
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let work = root.join("target/v312");
    std::fs::create_dir_all(&work).expect("target/v312");
    let script = root.join("scripts/bench/v312_badkeys.py");
    let moduli_file = work.join(format!("moduli-{keys}.txt"));
    if !moduli_file.exists() {
        run(Command::new("python3")
            .arg(&script)
            .arg("make")
            .arg(&moduli_file)
            .arg(keys.to_string()));
    }
    let venv = work.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
        run(Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "badkeys==0.0.21",
            "gmpy2",
        ]));
    }
    let moduli: Vec<Vec<u8>> = std::fs::read_to_string(&moduli_file)
        .expect("moduli")
        .lines()
        .map(|l| {
            let l = if l.len() % 2 == 1 {
                format!("0{l}")
            } else {
                l.to_owned()
            };
            hex::decode(l).expect("hex")
        })
        .collect();
    // The same gcd badkeys takes, on every modulus, seven rounds per kernel
    // the CPU has, the kernels interleaved; the product is decoded once, as
    // in a long-running linter.
    let paths = csrkit_validate::bench_paths();
    for path in &paths {
        assert_eq!(
            csrkit_validate::bench_known_shared_prime(&moduli[0], path),
            None
        );
    }
    let mut rounds: Vec<Vec<f64>> = vec![Vec::new(); paths.len()];
    for _ in 0..7 {
        for (path, rounds) in paths.iter().zip(&mut rounds) {
            let start = cpu_ns();
            for n in &moduli {
                assert_eq!(csrkit_validate::bench_known_shared_prime(n, path), None);
            }
            rounds.push((cpu_ns() - start) as f64 / 1e3 / moduli.len() as f64);
        }
    }
    let badkeys = run(Command::new(&python)
        .arg(&script)
        .arg("time")
        .arg(&moduli_file));
    println!(
        "| check | per RSA-2048 key (median of 7 rounds, CPU time) | best round | worst round | keys |"
    );
    println!("|---|---:|---:|---:|---:|");
    for (i, (path, rounds)) in paths.iter().zip(&mut rounds).enumerate() {
        rounds.sort_by(f64::total_cmp);
        println!(
            "| csrkit V312, {path} kernel{} | {:.0} µs | {:.0} µs | {:.0} µs | {} |",
            if i == 0 { " (the one used)" } else { "" },
            rounds[3],
            rounds[0],
            rounds[6],
            moduli.len()
        );
    }
    println!("{}", badkeys.trim());
}
