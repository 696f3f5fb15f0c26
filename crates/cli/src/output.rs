//! Output formats shared by every command: human text on a terminal, or one
//! JSON document on stdout with a `schema` field (DESIGN.md "Output").

/// How a command reports its result.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Format {
    /// Text for people; progress on stderr when it is a terminal.
    #[default]
    Human,
    /// One JSON document on stdout, with a `schema` version field.
    Json,
}

/// Writes one JSON document, pretty-printed, followed by a newline.
pub(crate) fn print_json(value: &serde_json::Value) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

/// `println!` that returns an error instead of panicking when stdout is
/// closed (`csrkit … | head`); `exit::report` treats a broken pipe as
/// success.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `print!` that returns an error instead of panicking; see [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)?
    }};
}

pub(crate) use {out, outln};
