//! `csrkit inspect`: what a CSR says, in plain words or JSON
//! (`csrkit.inspect/1`: `subject`, `common_name`, `sans[] { type, value,
//! unicode }`, `key { type, bits | curve }`, `signature_algorithm`,
//! `signature_valid`, `spki_sha256`).
//!
//! A file with several requests prints each; in JSON, one document whose
//! fields are the first request's, with `requests[]` holding them all.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::exit;
use crate::output::{Format, print_json};
use crate::output::{out, outln};

/// Arguments of `csrkit inspect`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// The CSR (PEM or DER), or - for stdin.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

/// Runs `csrkit inspect`.
pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let bytes = if args.file.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut b)
            .context("cannot read stdin")?;
        b
    } else {
        std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let all = csrkit_validate::inspect(&bytes).with_context(|| args.file.display().to_string())?;
    match args.format {
        Format::Json => {
            let mut docs: Vec<serde_json::Value> = all
                .iter()
                .map(|i| serde_json::from_str(&i.to_json()))
                .collect::<Result<_, _>>()?;
            let mut doc = docs.first().cloned().unwrap_or_default();
            if docs.len() > 1
                && let Some(obj) = doc.as_object_mut()
            {
                for d in &mut docs {
                    if let Some(o) = d.as_object_mut() {
                        o.remove("schema");
                    }
                }
                obj.insert("requests".into(), serde_json::Value::from(docs));
            }
            print_json(&doc)?;
        }
        Format::Human => {
            for (i, inspection) in all.iter().enumerate() {
                if all.len() > 1 {
                    outln!("request {}:", i + 1);
                }
                out!("{}", inspection.to_human());
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}
