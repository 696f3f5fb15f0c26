//! Where the binary finds credentials (DESIGN.md "Credentials"): the
//! environment, the aliyun CLI's `~/.aliyun/config.json` (profile from
//! `--profile`, `ALIBABA_CLOUD_PROFILE`, else `current`; modes AK and
//! StsToken), `~/.alibabacloud/credentials.ini`, and the error listing every
//! source when none has any. `HOME` is a temporary directory for each child.
#![allow(clippy::unwrap_used)]

mod api;
mod util;

use std::path::Path;
use std::process::Command;

use api::{Run, STS_KEY_ID, STS_SECRET, STS_TOKEN, StsSandbox, isolate, run};
use serde_json::json;
use util::{SANDBOX_KEY_ID, SANDBOX_SECRET, SandboxProcess};

/// `csrkit ARGS…` pointed at `url`, with `HOME` at `home` and no
/// credentials in the environment.
fn bare(url: &str, home: &Path, args: &[&str]) -> Command {
    let mut cmd = util::csrkit();
    isolate(&mut cmd, home)
        .env("CSRKIT_ENDPOINT", url)
        .args(args);
    cmd
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// An aliyun CLI configuration: `current` is "wrong" (the sandbox's key id
/// with a wrong secret), "sb" holds the sandbox's key, "ram" a mode csrkit
/// does not support, "sts" the STS triple of [`StsSandbox`].
fn write_cli_config(home: &Path) {
    let config = json!({
        "current": "wrong",
        "profiles": [
            { "name": "wrong", "mode": "AK", "access_key_id": SANDBOX_KEY_ID,
              "access_key_secret": "not-the-sandbox-secret", "region_id": "cn-hangzhou" },
            { "name": "sb", "mode": "AK", "access_key_id": SANDBOX_KEY_ID,
              "access_key_secret": SANDBOX_SECRET, "region_id": "cn-hangzhou",
              "output_format": "json", "language": "en" },
            { "name": "ram", "mode": "RamRoleArn", "access_key_id": "x",
              "access_key_secret": "y", "ram_role_arn": "acs:ram::1:role/r" },
            { "name": "sts", "mode": "StsToken", "access_key_id": STS_KEY_ID,
              "access_key_secret": STS_SECRET, "sts_token": STS_TOKEN },
        ],
        "meta_path": ""
    });
    write(
        &home.join(".aliyun/config.json"),
        &serde_json::to_string_pretty(&config).unwrap(),
    );
}

fn quota_ok(run: Run) {
    let doc = run.json();
    assert_eq!(doc["schema"], "csrkit.quota/1");
}

fn refused_with(run: Run, code: &str) -> Run {
    let run = run.expect_code(3);
    assert!(run.stderr.contains(code), "{}", run.both());
    run
}

#[test]
fn from_the_environment() {
    let h = tempfile::tempdir().unwrap();
    let sb = SandboxProcess::start(&[]);
    let mut cmd = bare(&sb.url, h.path(), &["quota", "--format", "json"]);
    cmd.env("ALIBABA_CLOUD_ACCESS_KEY_ID", SANDBOX_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SANDBOX_SECRET);
    quota_ok(run(&mut cmd));

    // A secret in the file that ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE names
    // (with a trailing newline, as editors leave it).
    let secret_file = h.path().join("secret.txt");
    std::fs::write(&secret_file, format!("{SANDBOX_SECRET}\n")).unwrap();
    quota_ok(run(bare(&sb.url, h.path(), &["quota", "--format", "json"])
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", SANDBOX_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET_FILE", &secret_file)));

    // The environment comes first: a config.json whose current profile
    // holds a wrong secret is not read while the variables are set...
    write_cli_config(h.path());
    quota_ok(run(&mut cmd));
    // ...and is read once they are gone (its wrong secret is refused).
    refused_with(
        run(&mut bare(&sb.url, h.path(), &["quota"])),
        "SignatureDoesNotMatch",
    );
}

#[test]
fn from_an_aliyun_cli_profile() {
    let h = tempfile::tempdir().unwrap();
    write_cli_config(h.path());
    let sb = SandboxProcess::start(&[]);

    // `current` ("wrong") when nothing chooses.
    refused_with(
        run(&mut bare(&sb.url, h.path(), &["quota"])),
        "SignatureDoesNotMatch",
    );
    // --profile
    quota_ok(run(&mut bare(
        &sb.url,
        h.path(),
        &["quota", "--profile", "sb", "--format", "json"],
    )));
    // ALIBABA_CLOUD_PROFILE
    quota_ok(run(
        bare(&sb.url, h.path(), &["quota", "--format", "json"]).env("ALIBABA_CLOUD_PROFILE", "sb")
    ));
    // --profile wins over ALIBABA_CLOUD_PROFILE.
    refused_with(
        run(bare(&sb.url, h.path(), &["quota", "--profile", "wrong"])
            .env("ALIBABA_CLOUD_PROFILE", "sb")),
        "SignatureDoesNotMatch",
    );

    // A mode csrkit does not handle: exit 2, naming the mode and the profile.
    let ram = run(&mut bare(&sb.url, h.path(), &["quota", "--profile", "ram"])).expect_code(2);
    assert!(
        ram.stderr.contains("RamRoleArn")
            && ram.stderr.contains("not supported")
            && ram.stderr.contains("\"ram\""),
        "{}",
        ram.both()
    );

    // A profile that does not exist anywhere.
    let missing = run(&mut bare(
        &sb.url,
        h.path(),
        &["quota", "--profile", "nosuch"],
    ))
    .expect_code(2);
    assert!(
        missing
            .stderr
            .contains("config.json has no profile named \"nosuch\"")
            && missing.stderr.contains("credentials.ini does not exist"),
        "{}",
        missing.both()
    );
    let stats = sb.get_json("/_sandbox/stats");
    assert_eq!(
        stats["requests"]["DescribePackageState"], 4,
        "the two local credential errors sent nothing: {stats}"
    );
}

#[test]
fn from_credentials_ini() {
    let h = tempfile::tempdir().unwrap();
    write(
        &h.path().join(".alibabacloud/credentials.ini"),
        &format!(
            "[default]\ntype = access_key\naccess_key_id = {SANDBOX_KEY_ID}\n\
             access_key_secret = {SANDBOX_SECRET}\n\n\
             [other]\ntype = access_key ; a comment\naccess_key_id = {SANDBOX_KEY_ID}\n\
             access_key_secret = wrong-secret\n\n\
             [role]\ntype = ecs_ram_role\nrole_name = r\n"
        ),
    );
    let sb = SandboxProcess::start(&[]);
    quota_ok(run(&mut bare(
        &sb.url,
        h.path(),
        &["quota", "--format", "json"],
    )));
    refused_with(
        run(&mut bare(
            &sb.url,
            h.path(),
            &["orders", "--profile", "other"],
        )),
        "SignatureDoesNotMatch",
    );
    refused_with(
        run(bare(&sb.url, h.path(), &["orders"]).env("ALIBABA_CLOUD_PROFILE", "other")),
        "SignatureDoesNotMatch",
    );
    let role = run(&mut bare(
        &sb.url,
        h.path(),
        &["quota", "--profile", "role"],
    ))
    .expect_code(2);
    assert!(
        role.stderr.contains("ecs_ram_role") && role.stderr.contains("[role]"),
        "{}",
        role.both()
    );
}

#[test]
fn sts_tokens_from_env_and_from_a_cli_profile() {
    let h = tempfile::tempdir().unwrap();
    let sb = StsSandbox::start();

    let mut env = sb.csrkit(h.path(), &["quota", "--format", "json"]);
    env.env("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_SECRET)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", STS_TOKEN);
    quota_ok(run(&mut env));

    // Without its token the STS key is refused by the service.
    let mut no_token = sb.csrkit(h.path(), &["quota"]);
    no_token
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_SECRET);
    refused_with(run(&mut no_token), "MissingSecurityToken");
    // With a wrong one too.
    let mut wrong = sb.csrkit(h.path(), &["quota"]);
    wrong
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", STS_KEY_ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", STS_SECRET)
        .env("ALIBABA_CLOUD_SECURITY_TOKEN", "some-other-token");
    refused_with(run(&mut wrong), "InvalidSecurityToken");

    // Mode StsToken in config.json.
    write_cli_config(h.path());
    quota_ok(run(&mut sb.csrkit(
        h.path(),
        &["quota", "--profile", "sts", "--format", "json"],
    )));

    // The token travelled in its header: the sandbox logged the header (with
    // the value redacted) on the requests it accepted.
    let logged = sb.get_json("/_sandbox/requests");
    let with_token = logged
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["headers"]["x-acs-security-token"].is_string())
        .count();
    assert_eq!(with_token, 3, "env, wrong token, profile: {logged}");
    assert_eq!(sb.stats().requests["DescribePackageState"], 4);
}

#[test]
fn none_found_lists_every_source_tried() {
    let h = tempfile::tempdir().unwrap();
    let sb = SandboxProcess::start(&[]);
    for args in [
        &["quota"][..],
        &["orders"],
        &["status", "--order-id", "1"],
        &["cancel", "--order-id", "1"],
    ] {
        let out = run(&mut bare(&sb.url, h.path(), args)).expect_code(2);
        let e = &out.stderr;
        let home = h.path().display();
        for source in [
            "env: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not set"
                .to_owned(),
            format!("cli_profile: {home}/.aliyun/config.json does not exist"),
            format!("profile_file: {home}/.alibabacloud/credentials.ini does not exist"),
        ] {
            assert!(e.contains(&source), "{args:?}: {source} in {}", out.both());
        }
        assert!(e.contains("aliyun configure"), "says what to do: {e}");
        assert!(out.stdout.is_empty());
    }
    let stats = sb.get_json("/_sandbox/stats");
    assert!(stats["requests"].as_object().unwrap().is_empty(), "{stats}");
}
