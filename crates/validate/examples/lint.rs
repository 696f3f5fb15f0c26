//! Lints the CSR files given as arguments and prints the human report:
//! `cargo run -p csrkit-validate --example lint -- FILE...` (add `--json`,
//! `--sarif` or `--github` for the other formats).

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut format = "human";
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--json" => format = "json",
            "--sarif" => format = "sarif",
            "--github" => format = "github",
            "--inspect" => format = "inspect",
            _ => files.push(arg),
        }
    }
    let policy = csrkit_validate::Policy::default();
    let mut reports = Vec::new();
    for path in files {
        match std::fs::read(&path) {
            Ok(bytes) => {
                if format == "inspect" {
                    match csrkit_validate::inspect(&bytes) {
                        Ok(facts) => println!("{facts:#?}"),
                        Err(e) => eprintln!("{path}: {e}"),
                    }
                    continue;
                }
                reports.push((path, csrkit_validate::validate(&bytes, &policy)));
            }
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let out = match format {
        "json" => csrkit_validate::render::json(&reports),
        "sarif" => csrkit_validate::render::sarif(&reports),
        "github" => csrkit_validate::render::github(&reports),
        "inspect" => return ExitCode::SUCCESS,
        _ => csrkit_validate::render::human(&reports, false),
    };
    print!("{out}");
    let fail = reports.iter().any(|(_, r)| r.fails(policy.fail_on()));
    ExitCode::from(u8::from(fail))
}
