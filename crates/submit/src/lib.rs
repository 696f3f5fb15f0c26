/*!
A careful client for the Alibaba Cloud SSL Certificates Service (CAS, API
2020-04-07): the part of csrkit that talks to the network.

- [`sign_v3`] signs a request with `ACS3-HMAC-SHA256` as a pure function (the
  clock and the nonce come in through [`SigningParams`]); [`sign_v1`] computes
  the legacy HMAC-SHA1 RPC signature. Both are checked against Alibaba's
  published vectors in `tests/vectors/`.
- [`CredentialSources::resolve`] finds credentials where the official tools
  keep them (environment, the aliyun CLI's `config.json`, `credentials.ini`).
  Secrets live in zeroizing types whose `Debug` prints `** redacted **`.
- [`Client`] sends the typed operations ([`CreateCertificateWithCsr`],
  [`DescribeCertificateState`], [`DescribePackageState`],
  [`ListUserCertificateOrder`], [`GetInstanceDetail`], [`ListTagResources`],
  [`CancelOrderRequest`], [`DeleteCertificateRequest`]; for deployment to
  cloud products [`ListCloudResources`], [`ListContact`],
  [`UploadUserCertificate`], [`GetUserCertificateDetail`],
  [`CreateDeploymentJob`], [`UpdateDeploymentJobStatus`],
  [`DescribeDeploymentJob`], [`ListDeploymentJob`], [`ListWorkerResource`])
  as `POST /` with the parameters in the query, retries what is safe to
  retry, and never repeats a call that may already have spent quota or made
  a deployment job ([`Error::OutcomeUnknown`]).

The crate takes a PEM CSR as a string and knows nothing of X.509.

```
use csrkit_submit::{Client, ClientOptions, Credentials, DescribePackageState, Endpoint};

let creds = Credentials::new("AKIDEXAMPLE", "secret-example", None);
let options = ClientOptions {
    endpoint: Endpoint::parse("http://127.0.0.1:8080")?,
    ..ClientOptions::default()
};
let client = Client::new(creds, options)?;
// What `--dry-run` shows: signed, but the signature is redacted.
let shown = client.prepare(&DescribePackageState {
    product_code: Some("digicert-free-1-free".into()),
})?;
assert_eq!(shown.url, "http://127.0.0.1:8080/?ProductCode=digicert-free-1-free");
assert!(shown.to_string().contains("Signature=** redacted **"));
assert!(!shown.to_string().contains("secret-example"));
# Ok::<(), Box<dyn std::error::Error>>(())
```

Sending needs a tokio runtime: `client.describe_package_state(None).await?`.
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
// `Error::Api` carries the service's whole answer (code, message, request id,
// Recommend link, RAM detail) by value so callers can match on it; every call
// that returns it has just waited on the network, so its size costs nothing.
#![allow(clippy::result_large_err)]

mod client;
mod credentials;
mod deploy;
mod error;
mod ops;
mod ratelimit;
mod sign;

pub use client::{
    Client, ClientOptions, Counted, Endpoint, PreparedRequest, RetryPolicy, Site, USER_AGENT,
};
pub use credentials::{
    AccessKeySecret, CredentialSources, Credentials, ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET,
    ENV_CLI_PROFILE_DISABLED, ENV_CREDENTIALS_FILE, ENV_PROFILE, ENV_SECURITY_TOKEN, Provider,
    SecurityToken,
};
pub use deploy::{
    CloudResource, CloudResourcePage, Contact, ContactPage, CreateDeploymentJob, CreatedJob,
    DeploymentJob, DeploymentJobPage, DescribeDeploymentJob, GetUserCertificateDetail,
    ListCloudResources, ListContact, ListDeploymentJob, ListWorkerResource, PrivateKeyPem,
    UpdateDeploymentJobStatus, UploadUserCertificate, UploadedCertificate, UserCertificateDetail,
    Worker, WorkerPage,
};
pub use error::{Error, TransportKind};
pub use ops::{
    API_VERSION, Acknowledged, CancelOrderRequest, CertificateState, CreateCertificateWithCsr,
    CreateOrderResponse, DeleteCertificateRequest, DescribeCertificateState, DescribePackageState,
    GetInstanceDetail, Idempotency, InstanceDetail, InstanceTag, ListTagResources,
    ListUserCertificateOrder, Operation, OrderId, OrderPage, OrderSummary, PackageState,
    ReturnedPrivateKey, StateType, Tag, TagResource, TagResourcePage, ValidateType, Verification,
};
pub use ratelimit::{ActionStats, RateLimiter, SAFETY_MARGIN, Ticket};
pub use sign::{
    ACS3_HMAC_SHA256, SignableRequest, SigningInstructions, SigningParams, canonical_query_string,
    percent_encode, sign_v1, sign_v3, v1_string_to_sign,
};
