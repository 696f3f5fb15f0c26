//! Property tests of the host-name rules: valid names raise none of them;
//! each kind of damage raises its rule; nothing panics.

use csrkit_validate::{Policy, validate};
use proptest::prelude::*;

/// A CSR with the given dNSName beside example.com, built with rcgen
/// (P-256: fast to sign); `None` when rcgen refuses the name.
fn csr_with(name: &str) -> Option<Vec<u8>> {
    csr_with_names(&["example.com".to_owned(), name.to_owned()])
}

/// A CSR with exactly these dNSNames (CN example.com).
fn csr_with_names(names: &[String]) -> Option<Vec<u8>> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
    thread_local! {
        static KEY: KeyPair = KeyPair::generate().expect("P-256 key");
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "example.com");
    params.distinguished_name = dn;
    params.subject_alt_names = names
        .iter()
        .map(|n| Some(rcgen::SanType::DnsName(n.as_str().try_into().ok()?)))
        .collect::<Option<_>>()?;
    KEY.with(|k| params.serialize_request(k).ok().map(|r| r.der().to_vec()))
}

const NAME_RULES: [&str; 9] = [
    "V208", "V209", "V210", "V211", "V212", "V213", "V215", "V216", "V221",
];

fn label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
        .prop_filter("reserved", |l| l.len() < 4 || &l[2..4] != "--")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn valid_names_pass(labels in prop::collection::vec(label(), 1..4)) {
        let name = format!("{}.example.com", labels.join("."));
        let der = csr_with(&name).expect("rcgen accepts it");
        let report = validate(&der, &Policy::default());
        for code in NAME_RULES {
            prop_assert!(!report.has(code), "{} flagged {}: {:?}", code, name, report);
        }
    }

    #[test]
    fn underscores_are_flagged(a in label(), b in label()) {
        let name = format!("{a}_{b}.example.com");
        let der = csr_with(&name).expect("rcgen accepts it");
        prop_assert!(validate(&der, &Policy::default()).has("V211"));
    }

    #[test]
    fn long_labels_are_flagged(n in 64usize..90) {
        let name = format!("{}.example.com", "a".repeat(n));
        let der = csr_with(&name).expect("rcgen accepts it");
        prop_assert!(validate(&der, &Policy::default()).has("V209"));
    }

    #[test]
    fn hyphen_edges_are_flagged(l in label(), leading in any::<bool>()) {
        let bad = if leading { format!("-{l}") } else { format!("{l}-") };
        let name = format!("{bad}.example.com");
        let der = csr_with(&name).expect("rcgen accepts it");
        prop_assert!(validate(&der, &Policy::default()).has("V208"));
    }

    #[test]
    fn arbitrary_names_never_panic(name in "\\PC{0,80}") {
        if let Some(der) = csr_with(&name) {
            let _ = validate(&der, &Policy::default());
        }
    }
}

/// V220's messages, in order.
fn v220(der: &[u8]) -> Vec<String> {
    validate(der, &Policy::default())
        .all_findings()
        .filter(|f| f.code == "V220")
        .map(|f| f.message.clone())
        .collect()
}

/// V220 as it was first written (every name against every earlier one and
/// every wildcard): the definition its linear form must match.
fn v220_reference(names: &[String]) -> Vec<String> {
    let names: Vec<String> = names.iter().map(|n| n.to_ascii_lowercase()).collect();
    let mut out = Vec::new();
    for (i, name) in names.iter().enumerate() {
        if names[..i].contains(name) {
            out.push(format!(
                "\"{name}\" appears more than once in subjectAltName"
            ));
            continue;
        }
        let covered = names.iter().find(|n| {
            n.strip_prefix("*.").is_some_and(|base| {
                !name.starts_with("*.")
                    && name
                        .split_once('.')
                        .is_some_and(|(_, parent)| parent == base)
            })
        });
        if let Some(wild) = covered {
            out.push(format!("\"{name}\" is already covered by \"{wild}\""));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Duplicates (in any case) and wildcard overlaps among names from a
    /// small set, so both happen often: the same messages as the reference.
    #[test]
    fn san_duplicates_match_the_reference(
        picks in prop::collection::vec((0usize..8, any::<bool>()), 1..24),
    ) {
        const POOL: [&str; 8] = [
            "example.com", "*.example.com", "www.example.com", "a.b.example.com",
            "*.b.example.com", "b.example.com", "*.com", "x.example.org",
        ];
        let names: Vec<String> = picks
            .iter()
            .map(|&(i, upper)| if upper { POOL[i].to_ascii_uppercase() } else { POOL[i].to_owned() })
            .collect();
        prop_assert_eq!(v220(&csr_with_names(&names).expect("rcgen")), v220_reference(&names));
    }
}

/// Twenty thousand names, fifty distinct, under a wildcard: every later
/// copy is a duplicate and each first one is covered. (The check was
/// quadratic in the names: 1.74 s for a request of 30,000 names, 0.06 s
/// now, in the README's side-by-side run.)
#[test]
fn san_duplicates_among_many_names() {
    let mut names: Vec<String> = (0..20_000)
        .map(|i| format!("h{}.example.com", i % 50))
        .collect();
    names.push("*.example.com".into());
    let got = v220(&csr_with_names(&names).expect("rcgen"));
    assert_eq!(got.len(), 20_000);
    let covered = got
        .iter()
        .filter(|m| m.contains("is already covered by \"*.example.com\""))
        .count();
    let dup = got
        .iter()
        .filter(|m| m.ends_with("appears more than once in subjectAltName"))
        .count();
    assert_eq!((covered, dup), (50, 19_950));
}
