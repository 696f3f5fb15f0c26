//! The catalogue as a whole: unique codes, kebab-case names, a citation on
//! every Error rule, fixtures for every rule, and a snapshot of it all.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use csrkit_validate::{Severity, explain, rules};

#[test]
fn codes_unique() {
    let all = rules();
    let codes: BTreeSet<_> = all.iter().map(|r| r.code()).collect();
    let names: BTreeSet<_> = all.iter().map(|r| r.name()).collect();
    assert_eq!(codes.len(), all.len(), "duplicate codes");
    assert_eq!(names.len(), all.len(), "duplicate names");
    let mut snapshot = String::new();
    for r in all {
        let code = r.code();
        assert!(
            code.len() == 4
                && code.starts_with('V')
                && code[1..].bytes().all(|b| b.is_ascii_digit()),
            "{code}: codes are V plus three digits"
        );
        assert!(
            matches!(&code[1..2], "1" | "2" | "3" | "4" | "9"),
            "{code}: unknown family"
        );
        let name = r.name();
        assert!(
            !name.is_empty()
                && !name.starts_with('-')
                && !name.ends_with('-')
                && !name.contains("--")
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{name}: names are kebab-case"
        );
        if r.default_severity() == Severity::Error {
            assert!(
                !r.citation().is_empty(),
                "{code}: an Error rule needs a citation"
            );
        }
        assert!(!r.description().is_empty(), "{code}: no description");
        assert!(std::ptr::eq(explain(code).expect("by code"), *r));
        assert!(std::ptr::eq(explain(name).expect("by name"), *r));
        assert!(std::ptr::eq(
            explain(&code.to_lowercase()).expect("lower-case code"),
            *r
        ));
        let profile = r.profile().map_or("all", |p| p.as_str());
        let _ = writeln!(
            snapshot,
            "{code} {name} [{}] ({}, {profile}) {}",
            r.default_severity(),
            r.source().as_str(),
            r.citation()
        );
    }
    // Codes are listed in order.
    let listed: Vec<_> = all.iter().map(|r| r.code()).collect();
    let mut sorted = listed.clone();
    sorted.sort_unstable();
    assert_eq!(listed, sorted);
    insta::assert_snapshot!("catalogue", snapshot);
}

#[test]
fn every_rule_has_pass_and_fail_fixtures() {
    let fixtures = crate::common::fixtures();
    let mut missing = Vec::new();
    for r in rules() {
        for kind in [false, true] {
            if !fixtures
                .iter()
                .any(|(code, _, fail, _)| code == r.code() && *fail == kind)
            {
                missing.push(format!(
                    "{} has no {} fixture",
                    r.code(),
                    if kind { "fail" } else { "pass" }
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    // And no fixture directory names a rule that does not exist.
    for (code, name, _, _) in &fixtures {
        assert!(
            explain(code).is_some(),
            "fixture {code}/{name} names no rule"
        );
    }
}

#[test]
fn explain_prints_the_documentation() {
    let doc = explain("V204").expect("V204").to_string();
    assert!(doc.starts_with("V204 cn-not-in-san\n"), "{doc}");
    assert!(doc.contains("citation: BR 7.1.4.3"), "{doc}");
    assert!(explain("V999").is_none());
    assert!(explain("").is_none());
}
