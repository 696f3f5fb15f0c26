//! The credential chain, with the environment and home directory injected.

use std::collections::HashMap;
use std::path::Path;

use csrkit_submit::{CredentialSources, Error, Provider};

const CONFIG: &str = r#"{
  "current": "default",
  "profiles": [
    { "name": "default", "mode": "AK", "access_key_id": "AK-default", "access_key_secret": "SK-default",
      "sts_token": "", "region_id": "cn-hangzhou", "output_format": "json", "language": "en",
      "expired_seconds": 0, "some_future_key": {"nested": true} },
    { "name": "sts", "mode": "StsToken", "access_key_id": "STS.id", "access_key_secret": "SK-sts",
      "sts_token": "TOKEN-sts", "region_id": "ap-southeast-1" },
    { "name": "role", "mode": "RamRoleArn", "access_key_id": "AK-role", "access_key_secret": "SK-role",
      "ram_role_arn": "acs:ram::1:role/x", "ram_session_name": "s" },
    { "name": "empty", "mode": "AK", "access_key_id": "AK-empty", "access_key_secret": "" }
  ],
  "meta_path": ""
}"#;

const INI: &str = "[default]\ntype = access_key\naccess_key_id = AK-ini\naccess_key_secret = SK-ini\n\n\
                   [work]\ntype = access_key\naccess_key_id = AK-work\naccess_key_secret = SK-work\n";

fn home_with(config: Option<&str>, ini: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    if let Some(c) = config {
        std::fs::create_dir_all(dir.path().join(".aliyun")).unwrap();
        std::fs::write(dir.path().join(".aliyun/config.json"), c).unwrap();
    }
    if let Some(i) = ini {
        std::fs::create_dir_all(dir.path().join(".alibabacloud")).unwrap();
        std::fs::write(dir.path().join(".alibabacloud/credentials.ini"), i).unwrap();
    }
    dir
}

fn sources(home: &Path, env: &[(&str, &str)], profile: Option<&str>) -> CredentialSources {
    CredentialSources {
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        home: Some(home.to_path_buf()),
        profile: profile.map(str::to_string),
    }
}

#[test]
fn env_first() {
    let home = home_with(Some(CONFIG), Some(INI));
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SK-env"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "TOKEN-env"),
    ];
    let c = sources(home.path(), &env, None).resolve().unwrap();
    assert_eq!(c.access_key_id(), "AK-env");
    assert_eq!(c.access_key_secret().expose(), "SK-env");
    assert_eq!(c.security_token().unwrap().expose(), "TOKEN-env");
    assert_eq!(c.provider(), Provider::Env);
    assert_eq!(c.provider().name(), "default/env");
    // An empty token is no token.
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SK-env"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
    ];
    assert!(
        sources(home.path(), &env, None)
            .resolve()
            .unwrap()
            .security_token()
            .is_none()
    );
}

#[test]
fn env_needs_both_id_and_secret() {
    let home = home_with(Some(CONFIG), None);
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", ""),
    ];
    let c = sources(home.path(), &env, None).resolve().unwrap();
    assert_eq!(
        c.access_key_id(),
        "AK-default",
        "falls through to the CLI profile"
    );
    assert_eq!(c.provider(), Provider::CliProfile);
}

#[test]
fn cli_profile_current_env_and_explicit() {
    let home = home_with(Some(CONFIG), Some(INI));
    let c = sources(home.path(), &[], None).resolve().unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider().name()),
        ("AK-default", "default/cli_profile")
    );
    assert!(
        c.security_token().is_none(),
        "an empty sts_token in an AK profile is absent"
    );

    let c = sources(home.path(), &[], Some("sts")).resolve().unwrap();
    assert_eq!(c.access_key_id(), "STS.id");
    assert_eq!(c.access_key_secret().expose(), "SK-sts");
    assert_eq!(c.security_token().unwrap().expose(), "TOKEN-sts");

    let c = sources(home.path(), &[("ALIBABA_CLOUD_PROFILE", "sts")], None)
        .resolve()
        .unwrap();
    assert_eq!(c.access_key_id(), "STS.id");
    // The explicit profile beats ALIBABA_CLOUD_PROFILE.
    let c = sources(
        home.path(),
        &[("ALIBABA_CLOUD_PROFILE", "sts")],
        Some("default"),
    )
    .resolve()
    .unwrap();
    assert_eq!(c.access_key_id(), "AK-default");
}

#[test]
fn unsupported_mode_names_the_mode_and_profile() {
    let home = home_with(Some(CONFIG), Some(INI));
    let err = sources(home.path(), &[], Some("role"))
        .resolve()
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Credentials { .. }));
    assert!(
        text.contains("mode RamRoleArn") && text.contains("not supported yet"),
        "{text}"
    );
    assert!(
        text.contains("\"role\"") && text.contains("config.json"),
        "{text}"
    );
}

#[test]
fn empty_key_in_profile_is_an_error_not_a_fallthrough() {
    let home = home_with(Some(CONFIG), Some(INI));
    let text = sources(home.path(), &[], Some("empty"))
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("\"empty\"") && text.contains("empty access_key_id or access_key_secret"),
        "{text}"
    );
}

#[test]
fn ini_file_default_section_named_section_and_env_path() {
    let home = home_with(None, Some(INI));
    let c = sources(home.path(), &[], None).resolve().unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider().name()),
        ("AK-ini", "default/profile_file")
    );
    assert_eq!(c.access_key_secret().expose(), "SK-ini");
    let c = sources(home.path(), &[], Some("work")).resolve().unwrap();
    assert_eq!(c.access_key_id(), "AK-work");
    // A CLI config without the named profile falls through to the INI file.
    let home = home_with(Some(CONFIG), Some(INI));
    let c = sources(home.path(), &[], Some("work")).resolve().unwrap();
    assert_eq!(c.access_key_id(), "AK-work");

    let other = tempfile::tempdir().unwrap();
    let path = other.path().join("creds.ini");
    std::fs::write(
        &path,
        "[default]\ntype = access_key\naccess_key_id = AK-file\naccess_key_secret = SK-file\n",
    )
    .unwrap();
    let env = [("ALIBABA_CLOUD_CREDENTIALS_FILE", path.to_str().unwrap())];
    let empty_home = tempfile::tempdir().unwrap();
    let c = sources(empty_home.path(), &env, None).resolve().unwrap();
    assert_eq!(c.access_key_id(), "AK-file");
    // A named file that does not exist is an error, not silence.
    let missing = other.path().join("nope.ini");
    let env = [("ALIBABA_CLOUD_CREDENTIALS_FILE", missing.to_str().unwrap())];
    let text = sources(empty_home.path(), &env, None)
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("nope.ini") && text.contains("does not exist"),
        "{text}"
    );
}

#[test]
fn cli_profile_can_be_disabled() {
    let home = home_with(Some(CONFIG), Some(INI));
    let c = sources(
        home.path(),
        &[("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")],
        None,
    )
    .resolve()
    .unwrap();
    assert_eq!(c.access_key_id(), "AK-ini");
}

#[test]
fn nothing_found_lists_every_source_tried() {
    let home = home_with(None, None);
    let err = sources(home.path(), &[], None).resolve().unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("unable to get credentials from any of the providers in the chain"),
        "{text}"
    );
    assert!(
        text.contains(
            "env: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"
        ),
        "{text}"
    );
    assert!(
        text.contains(".aliyun/config.json does not exist"),
        "{text}"
    );
    assert!(
        text.contains(".alibabacloud/credentials.ini does not exist"),
        "{text}"
    );
    assert!(text.contains("aliyun configure"), "{text}");

    let no_home = CredentialSources {
        env: HashMap::new(),
        home: None,
        profile: None,
    };
    let text = no_home.resolve().unwrap_err().to_string();
    assert!(
        text.contains("cli_profile: no home directory")
            && text.contains("profile_file: no home directory")
    );
}

#[test]
fn malformed_config_names_the_file() {
    let home = home_with(Some("{ not json"), Some(INI));
    let text = sources(home.path(), &[], None)
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("config.json") && text.contains("not valid aliyun CLI configuration JSON"),
        "{text}"
    );
}

#[test]
fn env_file_variants() {
    let home = home_with(None, None);
    let secret_file = home.path().join("secret");
    std::fs::write(&secret_file, "SK-from-file\n").unwrap();
    let token_file = home.path().join("token");
    std::fs::write(&token_file, "TOKEN-from-file\r\n").unwrap();
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE",
            secret_file.to_str().unwrap(),
        ),
        (
            "ALIBABA_CLOUD_SECURITY_TOKEN_FILE",
            token_file.to_str().unwrap(),
        ),
    ];
    let c = sources(home.path(), &env, None).resolve().unwrap();
    assert_eq!(c.access_key_secret().expose(), "SK-from-file");
    assert_eq!(c.security_token().unwrap().expose(), "TOKEN-from-file");
    assert_eq!(c.provider(), Provider::Env);

    let missing = home.path().join("missing");
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        (
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE",
            missing.to_str().unwrap(),
        ),
    ];
    let text = sources(home.path(), &env, None)
        .resolve()
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE") && text.contains("missing"),
        "{text}"
    );
}

/// A value pasted with surrounding whitespace is used trimmed (it travels
/// trimmed in a header anyway); one wrapped over two lines is refused,
/// naming the variable and never quoting the value.
#[test]
fn values_are_trimmed_and_inner_breaks_refused() {
    let home = home_with(None, None);
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", " AK-env\n"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SK-env "),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "\tTOKEN-env "),
    ];
    let c = sources(home.path(), &env, None).resolve().unwrap();
    assert_eq!(c.access_key_id(), "AK-env");
    assert_eq!(c.access_key_secret().expose(), "SK-env");
    assert_eq!(c.security_token().unwrap().expose(), "TOKEN-env");

    let file = home.path().join("token.txt");
    std::fs::write(&file, "TOKEN-first-half\nTOKEN-second-half\n").unwrap();
    let env = [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "AK-env"),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "SK-env"),
        ("ALIBABA_CLOUD_SECURITY_TOKEN_FILE", file.to_str().unwrap()),
    ];
    let err = sources(home.path(), &env, None).resolve().unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, Error::Credentials { .. }), "{err:?}");
    assert!(
        shown.contains("ALIBABA_CLOUD_SECURITY_TOKEN(_FILE)"),
        "{shown}"
    );
    assert!(!shown.contains("TOKEN-first-half"), "{shown}");
}
