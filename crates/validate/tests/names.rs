//! Property tests of the host-name rules: valid names raise none of them;
//! each kind of damage raises its rule; nothing panics.

use csrkit_validate::{Policy, validate};
use proptest::prelude::*;

/// A CSR with the given dNSName, built with rcgen (P-256: fast to sign).
fn csr_with(name: &str) -> Option<Vec<u8>> {
    use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair};
    thread_local! {
        static KEY: KeyPair = KeyPair::generate().expect("P-256 key");
    }
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, "example.com");
    params.distinguished_name = dn;
    params.subject_alt_names = vec![
        rcgen::SanType::DnsName("example.com".try_into().ok()?),
        rcgen::SanType::DnsName(name.try_into().ok()?),
    ];
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
