//! `csrkit man`: manual pages made at run time from the clap definitions,
//! so the page says what `--help` says.
//!
//! clap_mangen renders the title, NAME, SYNOPSIS, DESCRIPTION, OPTIONS,
//! SUBCOMMANDS and VERSION sections. A command's `after_long_help` is laid
//! out here instead of in clap_mangen's single EXTRA section: a line such
//! as `EXAMPLES:` becomes a section of its own (EXAMPLES, EXIT CODES),
//! indented lines (commands, tables) keep their layout, other lines are
//! filled as paragraphs, and text before the first heading continues the
//! DESCRIPTION.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, roman};

use crate::exit;
use crate::output::outln;

const EXAMPLES: &str = "\
EXAMPLES:
  csrkit man | man -l -
  csrkit man --out-dir /usr/share/man/man1

Without --out-dir the page csrkit(1) goes to stdout. With it, one page per
command (csrkit.1, csrkit-apply.1, csrkit-renew.1, …) is written into DIR and
each file's path printed.";

/// Arguments of `csrkit man`.
#[derive(clap::Args, Debug)]
#[command(after_long_help = EXAMPLES)]
pub(crate) struct Args {
    /// Write csrkit.1 and one page per subcommand (csrkit-apply.1, …) into
    /// DIR, created if missing, instead of printing csrkit(1).
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

/// Runs `csrkit man` for `cli`, the whole command line.
pub(crate) fn run(args: Args, cli: clap::Command) -> anyhow::Result<ExitCode> {
    // The help subcommand has no page of its own (`csrkit help X` is
    // `csrkit X --help`).
    let mut cli = cli.disable_help_subcommand(true);
    cli.build();
    match args.out_dir {
        None => {
            let page = render(&cli)?;
            let mut out = std::io::stdout().lock();
            out.write_all(&page)?;
            out.flush()?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create --out-dir {}", dir.display()))?;
            for path in write_pages(&cli, &dir)? {
                outln!("{}", path.display());
            }
        }
    }
    Ok(ExitCode::from(exit::OK))
}

/// The pages of `cmd` and of all its visible subcommands, as
/// `(file name, page)`: `csrkit.1`, `csrkit-apply.1`, …. `cmd` must be
/// built (`Command::build`), which names the subcommands `csrkit-apply`.
pub(crate) fn pages(cmd: &clap::Command) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut out = vec![(file_name(cmd), render(cmd)?)];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        out.extend(pages(sub)?);
    }
    Ok(out)
}

/// Writes every page of `cmd` into `dir`; returns the paths written.
fn write_pages(cmd: &clap::Command, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    pages(cmd)?
        .into_iter()
        .map(|(name, page)| {
            let path = dir.join(name);
            std::fs::write(&path, page)
                .with_context(|| format!("cannot write {}", path.display()))?;
            Ok(path)
        })
        .collect()
}

/// `csrkit-apply.1`: the page's file name.
fn file_name(cmd: &clap::Command) -> String {
    Man::new(cmd.clone()).get_filename()
}

/// One manual page in roff.
fn render(cmd: &clap::Command) -> anyhow::Result<Vec<u8>> {
    let version = cmd.get_version().unwrap_or_default();
    let man = Man::new(cmd.clone()).source(format!("csrkit {version}"));
    let (lead, sections) = split_after_help(cmd);

    let mut page = Vec::new();
    man.render_title(&mut page)?;
    page.extend(part(|w| man.render_name_section(w))?);
    page.extend(part(|w| man.render_synopsis_section(w))?);
    page.extend(part(|w| man.render_description_section(w))?);
    if !lead.is_empty() {
        let mut roff = Roff::new();
        roff.control("PP", []);
        help_text(&mut roff, &lead);
        page.extend(part(|w| roff.to_writer(w))?);
    }
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        page.extend(part(|w| man.render_options_section(w))?);
    }
    if cmd.get_subcommands().any(|s| !s.is_hide_set()) {
        page.extend(part(|w| man.render_subcommands_section(w))?);
    }
    let mut roff = Roff::new();
    for (heading, body) in &sections {
        roff.control("SH", [heading.as_str()]);
        help_text(&mut roff, body);
    }
    see_also(&mut roff, cmd);
    page.extend(part(|w| roff.to_writer(w))?);
    if cmd.get_version().is_some() {
        page.extend(part(|w| man.render_version_section(w))?);
    }
    Ok(ascii(&String::from_utf8_lossy(&page)).into_bytes())
}

/// One part of a page, rendered by `render` without the string
/// definitions every roff document starts with: the page has them once,
/// from its title.
fn part(render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    render(&mut buf)?;
    let preamble = Roff::new().render();
    if buf.starts_with(preamble.as_bytes()) {
        buf.drain(..preamble.len());
    }
    Ok(buf)
}

/// A command's `after_long_help` split into the text before its first
/// heading and `(heading, body)` sections. A heading is a line of capitals
/// ending in a colon, such as `EXIT CODES:`.
fn split_after_help(cmd: &clap::Command) -> (String, Vec<(String, String)>) {
    let text = cmd
        .get_after_long_help()
        .or_else(|| cmd.get_after_help())
        .map(|s| s.to_string())
        .unwrap_or_default();
    let mut lead = String::new();
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = heading(line) {
            sections.push((heading.to_owned(), String::new()));
            continue;
        }
        let body = match sections.last_mut() {
            Some((_, body)) => body,
            None => &mut lead,
        };
        body.push_str(line);
        body.push('\n');
    }
    (lead.trim().to_owned(), sections)
}

/// `EXIT CODES` for the line `EXIT CODES:`.
fn heading(line: &str) -> Option<&str> {
    let name = line.strip_suffix(':')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    (first.is_ascii_uppercase()
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == ' '))
    .then_some(name)
}

/// Appends help text: indented lines verbatim (`.nf`, so commands and
/// tables keep their columns), other lines filled, a blank line a new
/// paragraph.
fn help_text(roff: &mut Roff, text: &str) {
    let mut verbatim = false;
    let mut paragraph = false;
    for line in text.trim_matches('\n').lines() {
        if line.trim().is_empty() {
            paragraph = true;
            continue;
        }
        let indented = line.starts_with(' ');
        if verbatim && (!indented || paragraph) {
            roff.control("fi", []);
            verbatim = false;
        }
        if paragraph {
            roff.control("PP", []);
            paragraph = false;
        }
        if indented && !verbatim {
            roff.control("nf", []);
            verbatim = true;
        }
        roff.text([roman(line)]);
    }
    if verbatim {
        roff.control("fi", []);
    }
}

/// SEE ALSO: a subcommand's page points at csrkit(1); the main page at
/// what the package installs beside the binary.
fn see_also(roff: &mut Roff, cmd: &clap::Command) {
    roff.control("SH", ["SEE ALSO"]);
    let is_subcommand = cmd.get_bin_name().is_some_and(|n| n.contains(' '));
    if is_subcommand {
        roff.text([bold("csrkit"), roman("(1)")]);
    } else {
        roff.text([roman(
            "The systemd units csrkit-renew.timer and csrkit-renew.service, \
             the cron file /etc/cron.d/csrkit, and /usr/share/doc/csrkit/README.md.",
        )]);
    }
}

/// The page in ASCII, which man renders in every locale (a raw UTF-8 byte
/// is an "invalid input character" to troff when man reads the page as
/// Latin-1, and a `\[u2026]` glyph is missing on the ASCII terminal
/// device): the punctuation help texts use as groff glyphs that have an
/// ASCII form (`…` as `...`, `—` as `\(em`), anything else as `\[uXXXX]`.
fn ascii(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    for c in page.chars() {
        match c {
            _ if c.is_ascii() => out.push(c),
            '\u{2026}' => out.push_str("..."),
            '\u{2014}' => out.push_str("\\(em"),
            '\u{2013}' => out.push_str("\\(en"),
            '\u{2018}' => out.push_str("\\(oq"),
            '\u{2019}' => out.push_str("\\(cq"),
            '\u{201C}' => out.push_str("\\(lq"),
            '\u{201D}' => out.push_str("\\(rq"),
            '\u{2192}' => out.push_str("\\(->"),
            '\u{00A0}' => out.push_str("\\ "),
            _ => out.push_str(&format!("\\[u{:04X}]", u32::from(c))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_are_lines_of_capitals_with_a_colon() {
        assert_eq!(heading("EXAMPLES:"), Some("EXAMPLES"));
        assert_eq!(heading("EXIT CODES:"), Some("EXIT CODES"));
        assert_eq!(heading("  csrkit apply:"), None);
        assert_eq!(heading("Credentials: X"), None);
        assert_eq!(heading("Serves the API at / and control endpoints:"), None);
        assert_eq!(heading(":"), None);
    }

    #[test]
    fn pages_are_ascii_with_groff_escapes() {
        assert_eq!(
            ascii("fish, \u{2026} a \u{2014} b \u{4e2d}"),
            "fish, ... a \\(em b \\[u4E2D]"
        );
    }

    #[test]
    fn indented_lines_keep_their_layout_and_prose_is_filled() {
        let mut roff = Roff::new();
        help_text(
            &mut roff,
            "Prose line.\n  cmd --flag\n    more\nprose again\n\n  x",
        );
        let roff = roff.to_roff();
        assert_eq!(
            roff,
            "Prose line.\n.nf\n  cmd \\-\\-flag\n    more\n.fi\nprose again\n.PP\n.nf\n  x\n.fi\n"
        );
    }
}
