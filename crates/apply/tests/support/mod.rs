//! What the engine's library tests share: an in-process sandbox hosting
//! example.com (answering DNS for it, issuing once it sees the record) and
//! the service it is.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::time::Duration;

use csrkit_apply::{Contact, Request, Service, Validation};
use csrkit_dns::ProviderSpec;
use csrkit_sandbox::{Approval, Sandbox, SandboxConfig, SandboxHandle};
use csrkit_submit::{Client, ClientOptions, Credentials, Endpoint};

/// A verifying sandbox hosting example.com, with `configure`'s changes,
/// and the service it is (polling fast).
pub async fn sandbox(configure: impl FnOnce(&mut SandboxConfig)) -> (SandboxHandle, Service) {
    let mut config = SandboxConfig::default();
    config.zones = vec!["example.com".parse().unwrap()];
    config.dns_listen = Some("127.0.0.1:0".parse().unwrap());
    config.approve = Approval::Verify;
    configure(&mut config);
    let sb = Sandbox::start(config).await.unwrap();
    let key = sb.credentials();
    let creds = Credentials::new(key.access_key_id(), key.access_key_secret(), None);
    let options = ClientOptions {
        endpoint: Endpoint::parse(&sb.endpoint()).unwrap(),
        ..ClientOptions::default()
    };
    let service = Service::new(Client::new(creds.clone(), options).unwrap())
        .with_fast_polling()
        .with_dns_credentials(creds);
    (sb, service)
}

/// A request for www.example.com in `dir`, published through `sb`'s
/// Alibaba Cloud DNS and checked on its DNS server, waiting up to 2
/// minutes.
pub fn request(sb: &SandboxHandle, dir: &std::path::Path) -> Request {
    let mut r = Request::new(dir);
    r.domains = vec!["www.example.com".into()];
    r.contact = Contact::new("Zhang San", "13800000000", "ops@example.com");
    r.validation = Validation::Provider(ProviderSpec::Alidns {
        endpoint: sb.endpoint(),
    });
    r.propagation.resolver = sb.dns_addr().map(|a| a.to_string());
    r.wait = Some(Duration::from_secs(120));
    r
}
