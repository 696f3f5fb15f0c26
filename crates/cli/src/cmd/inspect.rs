//! `csrkit inspect`: what a CSR says, in plain words or JSON
//! (`csrkit.inspect/1`: `subject`, `common_name`, `sans[] { type, value,
//! unicode }`, `key { type, bits | curve }`, `signature_algorithm`,
//! `signature_valid`, `signature_problem`, `spki_sha256`).
//!
//! A file with several requests prints each; in JSON, one document whose
//! fields are the first request's, with `requests[]` holding them all.
//!
//! Input is read as `validate` reads it: at most 1 MiB, from a file, a
//! device or stdin (`/dev/zero` ends at once with exit 2). Text from the
//! request is escaped in the human form (`csrkit_names::display_safe`). A
//! private key in the same file (V106), or a block that is not a readable
//! request (V100, V105), is reported on stderr and, in JSON, in
//! `warnings[]`.

use std::path::PathBuf;
use std::process::ExitCode;

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
    let label = csrkit_names::display_safe(&args.file.display().to_string()).into_owned();
    let bytes = if args.file.as_os_str() == "-" {
        super::validate::read_stdin()
    } else {
        super::validate::read_file(&args.file)
    }
    .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
    let all = csrkit_validate::inspect(&bytes)
        .map_err(|e| anyhow::anyhow!("{label}: {}", csrkit_names::display_safe(&e.to_string())))?;
    // A private key beside the request, or a block that is not a readable
    // request: say so (validate reports them as V106, V100, V105) rather
    // than show the readable requests alone.
    let warnings: Vec<String> =
        csrkit_validate::validate(&bytes, &csrkit_validate::Policy::default())
            .findings
            .iter()
            .filter(|f| matches!(f.code, "V100" | "V105" | "V106"))
            .map(|f| format!("{}[{}]: {}", f.severity, f.code, f.message))
            .collect();
    for w in &warnings {
        eprintln!("{label}: {}", csrkit_names::display_safe(w));
    }
    match args.format {
        Format::Json => {
            let mut docs: Vec<serde_json::Value> = all
                .iter()
                .map(|i| serde_json::from_str(&i.to_json()))
                .collect::<Result<_, _>>()?;
            let mut doc = docs.first().cloned().unwrap_or_default();
            if !warnings.is_empty()
                && let Some(obj) = doc.as_object_mut()
            {
                obj.insert("warnings".into(), serde_json::Value::from(warnings.clone()));
            }
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
