//! `csrkit completions` and `csrkit man` against real shells and a real
//! roff formatter: the bash script is loaded by bash and asked for
//! completions the way bash asks, and every page is rendered by groff and
//! man with all warnings on.
#![allow(clippy::unwrap_used)]

mod util;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

use util::{Succeeds, csrkit};

/// The subcommands `csrkit --help` lists (without `help`): what the
/// completions and the pages are checked against.
fn subcommands() -> Vec<String> {
    let out = csrkit().arg("--help").succeeds();
    let help = String::from_utf8(out.stdout).unwrap();
    let list = help
        .split("Commands:\n")
        .nth(1)
        .expect("--help lists the commands")
        .split("\n\n")
        .next()
        .unwrap();
    let names: Vec<String> = list
        .lines()
        // A command's line starts with two spaces and its name; a wrapped
        // description is indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| *n != "help")
        .map(str::to_owned)
        .collect();
    assert!(names.len() >= 10, "too few commands in --help: {names:?}");
    names
}

/// The long flags `csrkit SUB --help` documents.
fn long_flags(sub: &str) -> BTreeSet<String> {
    let out = csrkit().args([sub, "--help"]).succeeds();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            let l = l.strip_prefix("-").map_or(l, |rest| {
                // `-h, --help`: skip the short flag.
                rest.split_once(", ").map_or(l, |(_, long)| long)
            });
            l.strip_prefix("--")
                .and_then(|f| f.split([' ', '=', '<', ',']).next())
                .filter(|f| !f.is_empty())
                .map(|f| format!("--{f}"))
        })
        .collect()
}

/// Finds a tool, or panics naming the Debian package that has it (CI
/// installs them; see `.ci/run`).
fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(found, "{tool} is not installed: apt-get install {package}");
}

fn write_script(dir: &Path, shell: &str) -> std::path::PathBuf {
    let out = csrkit().args(["completions", shell]).succeeds();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join(format!("csrkit.{shell}"));
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

/// Asks bash for the completions of `line` (the cursor at its end) the way
/// readline does: the function `complete -p csrkit` names is called with
/// the command, the current word and the previous word, and `COMP_WORDS`,
/// `COMP_CWORD`, `COMP_LINE` and `COMP_POINT` set.
fn bash_complete(script: &Path, line: &str) -> Vec<String> {
    // The words as bash splits them; a trailing space starts an empty word.
    let mut words: Vec<&str> = line.split_whitespace().collect();
    if line.ends_with(' ') {
        words.push("");
    }
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{script}' || exit 90
spec=$(complete -p csrkit) || exit 91
func=$(printf '%s\n' "$spec" | sed -n 's/.*-F \([^ ]*\) .*/\1/p')
[ -n "$func" ] || exit 92
COMP_WORDS=({words})
COMP_CWORD={cword}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
COMPREPLY=()
"$func" csrkit "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script = script.display(),
        words = quoted.join(" "),
    );
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "bash exited {:?} completing {line:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_loads_the_script_and_completes_subcommands_flags_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "bash");

    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c"])
        .arg(format!(
            "source '{}' && complete -p csrkit",
            script.display()
        ))
        .output()
        .unwrap();
    let spec = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && spec.contains("-F _csrkit") && spec.trim_end().ends_with(" csrkit"),
        "complete -p csrkit: {spec} {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Every subcommand, and nothing that is not one or a flag.
    let offered: BTreeSet<String> = bash_complete(&script, "csrkit ").into_iter().collect();
    for sub in subcommands() {
        assert!(
            offered.contains(&sub),
            "`csrkit <TAB>` lacks {sub}: {offered:?}"
        );
    }
    assert_eq!(bash_complete(&script, "csrkit ap"), ["apply"]);
    assert_eq!(bash_complete(&script, "csrkit comp"), ["completions"]);

    // A subcommand's own flags, and the values a flag takes.
    assert_eq!(
        bash_complete(&script, "csrkit apply --contact-em"),
        ["--contact-email"]
    );
    assert_eq!(bash_complete(&script, "csrkit man --out"), ["--out-dir"]);
    let formats: BTreeSet<String> = bash_complete(&script, "csrkit validate --format ")
        .into_iter()
        .collect();
    assert_eq!(
        formats,
        ["github", "human", "json", "sarif"]
            .map(String::from)
            .into()
    );
    // A positional: its values, beside the flags.
    let shells: BTreeSet<String> = bash_complete(&script, "csrkit completions ")
        .into_iter()
        .filter(|w| !w.starts_with('-'))
        .collect();
    assert_eq!(
        shells,
        ["bash", "elvish", "fish", "powershell", "zsh"]
            .map(String::from)
            .into()
    );
}

#[test]
fn fish_completes_subcommands_and_flags() {
    require("fish", "fish");
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "fish");
    let complete = |line: &str| -> Vec<String> {
        let out = Command::new("fish")
            .args(["--no-config", "-c"])
            .arg(format!(
                "source '{}'; complete -C '{line}'",
                script.display()
            ))
            .output()
            .expect("fish runs");
        assert!(
            out.status.success() && out.stderr.is_empty(),
            "fish completing {line:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // `apply<TAB>description`
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| l.split('\t').next())
            .map(str::to_owned)
            .collect()
    };
    let offered: BTreeSet<String> = complete("csrkit ").into_iter().collect();
    for sub in subcommands() {
        assert!(offered.contains(&sub), "fish lacks {sub}: {offered:?}");
    }
    assert_eq!(complete("csrkit ap"), ["apply"]);
    assert_eq!(complete("csrkit apply --contact-em"), ["--contact-email"]);
}

#[test]
fn zsh_loads_the_script_as_the_csrkit_completer() {
    require("zsh", "zsh");
    let dir = tempfile::tempdir().unwrap();
    let script = write_script(dir.path(), "zsh");
    // The package installs it as `_csrkit` on the fpath; compinit reads the
    // `#compdef csrkit` line and binds it.
    let fpath = dir.path().join("site-functions");
    std::fs::create_dir(&fpath).unwrap();
    std::fs::copy(&script, fpath.join("_csrkit")).unwrap();
    let out = Command::new("zsh")
        .args(["-f", "-c"])
        .arg(format!(
            "fpath=('{}' $fpath); autoload -Uz compinit && compinit -u -D && \
             print -r -- ${{_comps[csrkit]}} && autoload +X _csrkit && whence -w _csrkit",
            fpath.display()
        ))
        .output()
        .expect("zsh runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && out.stderr.is_empty(),
        "zsh: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "_csrkit\n_csrkit: function\n");
    // Every subcommand is in the script's command table.
    let text = std::fs::read_to_string(&script).unwrap();
    for sub in subcommands() {
        assert!(text.contains(&format!("'{sub}:")), "zsh script lacks {sub}");
    }
}

#[test]
fn output_into_a_closed_pipe_exits_zero_without_a_panic() {
    for args in [&["completions", "bash"][..], &["man"]] {
        // The reading end is closed before csrkit starts: its first write
        // meets EPIPE (`csrkit completions bash | head -0`).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = csrkit()
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

/// Writes every page into a fresh directory; returns it and the paths
/// `csrkit man --out-dir` printed.
fn pages() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let out = csrkit()
        .args(["man", "--out-dir"])
        .arg(dir.path().join("man1"))
        .succeeds();
    let printed = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (dir, printed)
}

#[test]
fn every_subcommand_has_a_page_and_no_other_page_is_written() {
    let (dir, printed) = pages();
    let man1 = dir.path().join("man1");
    let on_disk: BTreeSet<String> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut expected: BTreeSet<String> = subcommands()
        .iter()
        .map(|s| format!("csrkit-{s}.1"))
        .collect();
    expected.insert("csrkit.1".into());
    assert_eq!(on_disk, expected);
    let printed: BTreeSet<String> = printed.into_iter().collect();
    let paths: BTreeSet<String> = expected
        .iter()
        .map(|f| man1.join(f).display().to_string())
        .collect();
    assert_eq!(printed, paths, "--out-dir prints each path it wrote");
}

#[test]
fn groff_and_man_render_every_page_without_a_warning() {
    require("groff", "groff-base");
    require("man", "man-db");
    let (dir, _) = pages();
    for entry in std::fs::read_dir(dir.path().join("man1")).unwrap() {
        let page = entry.unwrap().path();
        for device in ["-Tutf8", "-Tascii"] {
            let out = Command::new("groff")
                .args(["-man", device, "-ww", "-z"])
                .arg(&page)
                .output()
                .expect("groff runs");
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "groff {device} {}: {}",
                page.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // man-db as a user runs it, in a UTF-8 locale and in the C one.
        for locale in ["C.UTF-8", "C"] {
            let out = Command::new("man")
                .args(["--warnings=w", "-l"])
                .arg(&page)
                .env("LC_ALL", locale)
                .env("MANWIDTH", "80")
                .output()
                .expect("man runs");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && out.stderr.is_empty() && text.contains("NAME"),
                "man -l {} ({locale}): {}",
                page.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

/// A page rendered to text by man, as a reader sees it.
fn read_page(page: &Path) -> String {
    let out = Command::new("man")
        .arg("-l")
        .arg(page)
        .env("LC_ALL", "C.UTF-8")
        .env("MANWIDTH", "200")
        .output()
        .expect("man runs");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn pages_say_what_help_says_with_their_examples_and_exit_codes() {
    require("man", "man-db");
    let (dir, _) = pages();
    let man1 = dir.path().join("man1");

    let main = read_page(&man1.join("csrkit.1"));
    for section in [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "SUBCOMMANDS",
        "EXAMPLES",
        "EXIT CODES",
    ] {
        assert!(
            main.lines().any(|l| l == section),
            "csrkit(1) has no {section} section:\n{main}"
        );
    }
    assert!(
        main.contains("130  interrupted by Ctrl-C (143 by SIGTERM"),
        "{main}"
    );
    for sub in subcommands() {
        assert!(
            main.contains(&format!("csrkit-{sub}(1)")),
            "csrkit(1) lacks {sub}"
        );
    }

    for sub in subcommands() {
        let text = read_page(&man1.join(format!("csrkit-{sub}.1")));
        for flag in long_flags(&sub) {
            assert!(
                text.contains(&flag),
                "csrkit-{sub}(1) lacks {flag}:\n{text}"
            );
        }
    }
    let apply = read_page(&man1.join("csrkit-apply.1"));
    assert!(apply.lines().any(|l| l == "EXAMPLES"), "{apply}");
    // Examples keep their layout: one command per line, as in --help.
    assert!(
        apply
            .lines()
            .any(|l| l.trim() == "csrkit apply --sandbox --domain example.com"),
        "{apply}"
    );
}

#[test]
fn man_without_out_dir_prints_the_main_page() {
    let (dir, _) = pages();
    let out = csrkit().arg("man").succeeds();
    let written = std::fs::read(dir.path().join("man1/csrkit.1")).unwrap();
    assert_eq!(out.stdout, written);
    assert!(
        out.stdout.starts_with(b".ie \\n(.g .ds Aq"),
        "roff, not help text"
    );
}

#[test]
fn man_out_dir_that_is_a_file_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = csrkit()
        .args(["man", "--out-dir"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&file.display().to_string()), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), b"x");
}
