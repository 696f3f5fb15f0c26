/*!
Private keys and certificate signing requests for DV certificates.

`csrkit-csr` makes what a CA needs from a subscriber and keeps what it must
not lose: a key made locally (RSA 2048/3072/4096, ECDSA P-256 or P-384,
through aws-lc-rs), a PKCS #10 request whose subject CN is the first domain
and whose subjectAltName lists every domain, and a key file written so it is
never half-written, never readable by others and never silently replaced.

Every name is checked (and converted to A-labels) before any key is made;
a key can also be loaded (PKCS #8, PKCS #1, SEC1, encrypted PKCS #8) to make
a request for a key you already have.

```
use csrkit_csr::{generate_key, CsrRequest, KeyType};

let request = CsrRequest::new(["Example.com", "www.example.com", "example.com"])?;
let key = generate_key(KeyType::P256)?;
let csr = request.sign(&key)?;
assert!(csr.pem().starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
assert_eq!(request.common_name(), "example.com");
assert_eq!(request.domains().len(), 2); // duplicates dropped, order kept
# Ok::<(), Box<dyn std::error::Error>>(())
```
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod error;
mod files;
mod key;
mod request;

pub use csrkit_names::{DnsName, NameError};
pub use error::Error;
pub use files::{
    DirOptions, FileToWrite, LOCK_FILE, OutputDir, TEMP_PREFIX, TEMP_SUFFIX, WriteMode,
    abandon_writes, is_temp_file_name, write_files, write_key_file, write_public_file,
};
pub use key::{KeyAlgorithm, KeyType, PrivateKey, generate_key, load_key};
pub use request::{Csr, CsrRequest, Subject};

/// The PBKDF2 iteration count of `--encrypt` (OWASP's 2023 figure for
/// PBKDF2-HMAC-SHA256).
pub const PBKDF2_ITERATIONS: u32 = 600_000;
