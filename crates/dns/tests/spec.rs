//! `ProviderSpec`: what the journal records, and opening a publisher from it.

use csrkit_dns::{Category, Error, ProviderSpec};

#[test]
fn specs_round_trip_as_json_and_hold_no_secret() {
    let specs = [
        ProviderSpec::Alidns {
            endpoint: "https://alidns.aliyuncs.com".into(),
        },
        ProviderSpec::Rfc2136 {
            server: "ns1.example.com:53".into(),
            tsig_key_file: "/etc/csrkit/tsig.key".into(),
        },
        ProviderSpec::Hook {
            command: "/usr/local/bin/dns-hook".into(),
            timeout_secs: 300,
        },
        ProviderSpec::Webroot {
            dir: "/var/www/html".into(),
        },
    ];
    for s in &specs {
        let json = serde_json::to_string(s).unwrap();
        assert!(
            json.starts_with(&format!("{{\"provider\":\"{}\"", s.name())),
            "{json}"
        );
        assert_eq!(&serde_json::from_str::<ProviderSpec>(&json).unwrap(), s);
    }
}

#[test]
fn opening_reads_what_each_provider_needs() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("tsig.key");
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/vectors/tsig/sha512/key.conf"
        ),
        &key,
    )
    .unwrap();
    let p = ProviderSpec::Rfc2136 {
        server: "127.0.0.1:5353".into(),
        tsig_key_file: key,
    }
    .open(None)
    .unwrap();
    assert_eq!(p.provider(), "rfc2136");
    let p = ProviderSpec::Webroot {
        dir: dir.path().into(),
    }
    .open(None)
    .unwrap();
    assert_eq!(p.provider(), "webroot");
    let p = ProviderSpec::Hook {
        command: "true".into(),
        timeout_secs: 1,
    }
    .open(None)
    .unwrap();
    assert_eq!(p.provider(), "hook");

    let e = ProviderSpec::Alidns {
        endpoint: "https://alidns.aliyuncs.com".into(),
    }
    .open(None)
    .err()
    .unwrap();
    assert!(matches!(e, Error::Credentials(_)), "{e}");
    let creds = csrkit_submit::Credentials::new("id", "secret", None);
    let e = ProviderSpec::Alidns {
        endpoint: "http://alidns.example.com".into(),
    }
    .open(Some(creds))
    .err()
    .unwrap();
    assert!(e.to_string().starts_with("--dns-endpoint: "), "{e}");
    assert_eq!(e.category(), Category::Input);
    let e = ProviderSpec::Rfc2136 {
        server: "ns1 example".into(),
        tsig_key_file: "/nonexistent".into(),
    }
    .open(None)
    .err()
    .unwrap();
    assert!(e.to_string().contains("/nonexistent"), "{e}");
}
