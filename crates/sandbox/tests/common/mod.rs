//! Test helpers: a raw HTTP/1.1 client over loopback (so dropped connections are visible) and a
//! small request signer written independently of the sandbox's verifier, straight from the
//! reference (alibaba-cas-api.md 2.1-2.2).
#![allow(dead_code, unreachable_pub)]

use std::net::SocketAddr;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn code(&self) -> String {
        self.json()["Code"].as_str().unwrap_or("").to_owned()
    }
}

/// Sends raw bytes; `None` when the server closed the connection without an answer.
pub async fn send_raw(addr: SocketAddr, request: &[u8]) -> std::io::Result<Option<Reply>> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(request).await?;
    let mut buf = Vec::new();
    match s.read_to_end(&mut buf).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => return Err(e),
    }
    if buf.is_empty() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, _) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "no end of headers"))?;
    let head_len = head.len() + 4;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let mut body = buf[head_len..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Ok(Some(Reply {
        status,
        headers,
        body,
    }))
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(pos) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let n = usize::from_str_radix(String::from_utf8_lossy(&b[..pos]).trim(), 16).unwrap_or(0);
        if n == 0 || b.len() < pos + 2 + n {
            return out;
        }
        out.extend_from_slice(&b[pos + 2..pos + 2 + n]);
        b = &b[pos + 2 + n + 2..];
    }
}

/// A plain HTTP request to a control endpoint.
pub async fn control(addr: SocketAddr, method: &str, path: &str) -> std::io::Result<Reply> {
    let req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
    );
    send_raw(addr, req.as_bytes())
        .await?
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no answer"))
}

/// RFC 3986 encoding.
pub fn enc(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

/// Form encoding as Python's urlencode does it (spaces as `+`).
pub fn enc_plus(s: &str) -> String {
    enc(s).replace("%20", "+")
}

pub fn now_iso() -> String {
    iso_at(0)
}

pub fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// A signing client for the sandbox.
#[derive(Clone)]
pub struct Client {
    pub addr: SocketAddr,
    pub id: String,
    pub secret: String,
    pub token: Option<String>,
    /// Put `+` for spaces on the wire (as the Python SDK does) instead of `%20`.
    pub plus_on_wire: bool,
    pub date: Option<String>,
    /// The API version sent (`x-acs-version` / `Version`): CAS unless told otherwise.
    pub version: String,
}

/// The CAS API version.
pub const CAS: &str = "2020-04-07";
/// The Alidns API version.
pub const ALIDNS: &str = "2015-01-09";

impl Client {
    pub fn new(addr: SocketAddr, id: &str, secret: &str) -> Client {
        Client {
            addr,
            id: id.to_owned(),
            secret: secret.to_owned(),
            token: None,
            plus_on_wire: false,
            date: None,
            version: CAS.to_owned(),
        }
    }

    /// The same client speaking to another product (API version).
    pub fn with_version(&self, version: &str) -> Client {
        Client {
            version: version.to_owned(),
            ..self.clone()
        }
    }

    pub fn for_sandbox(s: &csrkit_sandbox::SandboxHandle) -> Client {
        Client::new(
            s.addr(),
            s.credentials().access_key_id(),
            s.credentials().access_key_secret(),
        )
    }

    /// The bytes of a V3-signed request (`POST /?query`, empty body).
    pub fn v3_bytes(&self, action: &str, params: &[(&str, &str)], nonce: &str) -> Vec<u8> {
        let mut sorted: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        sorted.sort();
        let canonical_query = sorted
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let wire_query = if self.plus_on_wire {
            sorted
                .iter()
                .map(|(k, v)| format!("{}={}", enc_plus(k), enc_plus(v)))
                .collect::<Vec<_>>()
                .join("&")
        } else {
            canonical_query.clone()
        };
        let empty = hex::encode(Sha256::digest(b""));
        let host = self.addr.to_string();
        let date = self.date.clone().unwrap_or_else(now_iso);
        let mut headers: Vec<(String, String)> = vec![
            ("host".into(), host),
            ("x-acs-action".into(), action.into()),
            ("x-acs-content-sha256".into(), empty.clone()),
            ("x-acs-date".into(), date),
            ("x-acs-signature-nonce".into(), nonce.into()),
            ("x-acs-version".into(), self.version.clone()),
        ];
        if let Some(t) = &self.token {
            headers.push(("x-acs-security-token".into(), t.clone()));
        }
        headers.sort();
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let creq = format!("POST\n/\n{canonical_query}\n{canonical_headers}\n{signed}\n{empty}");
        let sts = format!(
            "ACS3-HMAC-SHA256\n{}",
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        mac.update(sts.as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        let mut out = format!("POST /?{wire_query} HTTP/1.1\r\n");
        for (k, v) in &headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!(
            "authorization: ACS3-HMAC-SHA256 Credential={},SignedHeaders={signed},Signature={sig}\r\n",
            self.id
        ));
        out.push_str("accept: application/json\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        out.into_bytes()
    }

    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> std::io::Result<Reply> {
        self.send(self.v3_bytes(action, params, &nonce())).await
    }

    pub async fn send(&self, bytes: Vec<u8>) -> std::io::Result<Reply> {
        send_raw(self.addr, &bytes).await?.ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the sandbox closed the connection without answering",
            )
        })
    }

    /// V1 parameters sorted, encoded and signed (reference 2.2): `query&Signature=…`.
    fn v1_signed_query(&self, method: &str, mut all: Vec<(String, String)>) -> String {
        all.sort();
        let cq = all
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let sts = format!("{method}&%2F&{}", enc(&cq));
        let mut key = self.secret.as_bytes().to_vec();
        key.push(b'&');
        let mut mac = <Hmac<sha1::Sha1> as KeyInit>::new_from_slice(&key).expect("hmac key");
        mac.update(sts.as_bytes());
        let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        format!("{cq}&Signature={}", enc(&sig))
    }

    /// The bytes of a V1-signed request: GET with everything in the query, or POST with a form
    /// body.
    pub fn v1_bytes(&self, method: &str, action: &str, params: &[(&str, &str)]) -> Vec<u8> {
        let mut all: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let date = self.date.clone().unwrap_or_else(now_iso);
        for (k, v) in [
            ("AccessKeyId", self.id.as_str()),
            ("Action", action),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", &nonce()),
            ("SignatureVersion", "1.0"),
            ("Timestamp", &date),
            ("Version", self.version.as_str()),
        ] {
            all.push((k.to_owned(), v.to_owned()));
        }
        if let Some(t) = &self.token {
            all.push(("SecurityToken".into(), t.clone()));
        }
        let full = self.v1_signed_query(method, all);
        let host = self.addr;
        if method == "GET" {
            format!("GET /?{full} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n")
                .into_bytes()
        } else {
            let body = full.replace("%20", "+");
            format!(
                "POST / HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        }
    }
}

/// A P-256 CSR for `cn` with these SANs, and its key.
pub fn ecc_csr(cn: &str, sans: &[&str]) -> (String, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().expect("key");
    (csr_for(&key, cn, sans), key)
}

pub fn csr_for(key: &rcgen::KeyPair, cn: &str, sans: &[&str]) -> String {
    let mut p =
        rcgen::CertificateParams::new(sans.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
            .expect("params");
    p.distinguished_name = rcgen::DistinguishedName::new();
    p.distinguished_name.push(rcgen::DnType::CommonName, cn);
    p.serialize_request(key).expect("csr").pem().expect("pem")
}

pub const CONTACT: [(&str, &str); 3] = [
    ("Username", "Zhang San"),
    ("Phone", "13800000000"),
    ("Email", "admin@example.com"),
];

/// Creates an order and returns its id.
pub async fn create(
    c: &Client,
    csr: &str,
    validate: &str,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut p = vec![("Csr", csr), ("ValidateType", validate)];
    p.extend_from_slice(&CONTACT);
    let r = c.call("CreateCertificateWithCsrRequest", &p).await?;
    if r.status != 200 {
        return Err(format!("create failed: {} {}", r.status, r.text()).into());
    }
    r.json()["OrderId"]
        .as_u64()
        .ok_or_else(|| format!("no OrderId number in {}", r.text()).into())
}

pub fn openssl_available() -> bool {
    std::process::Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Adds a record through the sandbox's Alidns (whatever version `c` speaks); its `RecordId`.
pub async fn add_record(
    c: &Client,
    zone: &str,
    rr: &str,
    kind: &str,
    value: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let r = c
        .with_version(ALIDNS)
        .call(
            "AddDomainRecord",
            &[
                ("DomainName", zone),
                ("RR", rr),
                ("Type", kind),
                ("Value", value),
            ],
        )
        .await?;
    if r.status != 200 {
        return Err(format!("AddDomainRecord {zone} {rr} {kind} {value}: {}", r.text()).into());
    }
    r.json()["RecordId"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("RecordId is not a string: {}", r.text()).into())
}

/// How to build (and then spoil) a V3 request: the reference's algorithm (2.1) with every knob
/// the attack scripts turn (attack-sandbox `sbx.py` `v3_request`).
#[derive(Clone, Default)]
pub struct V3 {
    /// `host` (default: the sandbox's address).
    pub host: Option<String>,
    pub date: Option<String>,
    pub nonce: Option<String>,
    pub version: Option<String>,
    /// More headers, sent and signed.
    pub headers: Vec<(String, String)>,
    /// Required headers left out (neither sent nor signed).
    pub drop: Vec<&'static str>,
    /// `x-acs-content-sha256` as sent (default: the body's hash).
    pub content_sha: Option<String>,
    /// The hash signed as HashedRequestPayload (default: the header's value).
    pub payload_hash: Option<String>,
    /// The SignedHeaders list, in this order (default: every header sent, sorted).
    pub signed: Option<Vec<String>>,
    pub body: Vec<u8>,
    /// Headers added after signing.
    pub unsigned: Vec<(String, String)>,
    pub signature_uppercase: bool,
    /// The whole Authorization header, for malformed ones.
    pub authorization: Option<String>,
    /// The query as sent (default: the canonical query).
    pub wire_query: Option<String>,
    /// The canonical query signed (default: built from the params).
    pub canonical_query: Option<String>,
}

impl Client {
    /// A V3 request built and spoiled as `o` says.
    pub fn v3_with(&self, action: &str, params: &[(&str, &str)], o: &V3) -> Vec<u8> {
        let mut sorted: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        sorted.sort();
        let cq = o.canonical_query.clone().unwrap_or_else(|| {
            sorted
                .iter()
                .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
                .collect::<Vec<_>>()
                .join("&")
        });
        let body_hash = hex::encode(Sha256::digest(&o.body));
        let sha = o.content_sha.clone().unwrap_or(body_hash);
        let mut headers: Vec<(String, String)> = vec![
            (
                "host".into(),
                o.host.clone().unwrap_or_else(|| self.addr.to_string()),
            ),
            ("x-acs-action".into(), action.into()),
            (
                "x-acs-version".into(),
                o.version.clone().unwrap_or_else(|| "2020-04-07".into()),
            ),
            ("x-acs-date".into(), o.date.clone().unwrap_or_else(now_iso)),
            (
                "x-acs-signature-nonce".into(),
                o.nonce.clone().unwrap_or_else(nonce),
            ),
            ("x-acs-content-sha256".into(), sha.clone()),
        ];
        headers.retain(|(k, _)| !o.drop.contains(&k.as_str()));
        headers.extend(o.headers.iter().cloned());
        headers.sort();
        let signed: Vec<String> = o
            .signed
            .clone()
            .unwrap_or_else(|| headers.iter().map(|(k, _)| k.clone()).collect());
        let value = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        let ch: String = signed
            .iter()
            .map(|h| format!("{h}:{}\n", value(h)))
            .collect();
        let payload = o.payload_hash.clone().unwrap_or(sha);
        let creq = format!("POST\n/\n{cq}\n{ch}\n{}\n{payload}", signed.join(";"));
        let sts = format!(
            "ACS3-HMAC-SHA256\n{}",
            hex::encode(Sha256::digest(creq.as_bytes()))
        );
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(self.secret.as_bytes()).expect("hmac key");
        mac.update(sts.as_bytes());
        let mut sig = hex::encode(mac.finalize().into_bytes());
        if o.signature_uppercase {
            sig = sig.to_ascii_uppercase();
        }
        let auth = o.authorization.clone().unwrap_or_else(|| {
            format!(
                "ACS3-HMAC-SHA256 Credential={},SignedHeaders={},Signature={sig}",
                self.id,
                signed.join(";")
            )
        });
        let wire = o.wire_query.clone().unwrap_or(cq);
        let target = if wire.is_empty() {
            "/".to_owned()
        } else {
            format!("/?{wire}")
        };
        let mut out = format!("POST {target} HTTP/1.1\r\n").into_bytes();
        for (k, v) in headers.iter().chain(&o.unsigned) {
            out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "authorization: {auth}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
                o.body.len()
            )
            .as_bytes(),
        );
        out.extend_from_slice(&o.body);
        out
    }

    /// A V1 GET built as `o` says (attack-sandbox `sbx.py` `v1_request`).
    pub fn v1_with(&self, action: &str, params: &[(&str, &str)], o: &V1) -> Vec<u8> {
        let date = o.date.clone().unwrap_or_else(now_iso);
        let n = o.nonce.clone().unwrap_or_else(nonce);
        let mut all: Vec<(String, String)> = vec![
            ("AccessKeyId".into(), self.id.clone()),
            ("Action".into(), action.into()),
            ("SignatureMethod".into(), "HMAC-SHA1".into()),
            ("SignatureNonce".into(), n),
            ("SignatureVersion".into(), "1.0".into()),
            ("Timestamp".into(), date),
            (
                "Version".into(),
                o.version.clone().unwrap_or_else(|| "2020-04-07".into()),
            ),
        ];
        match &o.format {
            None => all.push(("Format".into(), "JSON".into())),
            Some(Some(f)) => all.push(("Format".into(), f.clone())),
            Some(None) => {}
        }
        all.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        all.retain(|(k, _)| !o.omit.contains(&k.as_str()));
        let full = self.v1_signed_query("GET", all);
        let host = o.host.clone().unwrap_or_else(|| self.addr.to_string());
        let mut out = format!("GET /?{full} HTTP/1.1\r\nhost: {host}\r\n");
        for (k, v) in &o.headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("connection: close\r\n\r\n");
        out.into_bytes()
    }
}

/// How to build a V1 request.
#[derive(Clone, Default)]
pub struct V1 {
    pub date: Option<String>,
    pub nonce: Option<String>,
    pub version: Option<String>,
    /// `None`: `Format=JSON`; `Some(None)`: no Format; `Some(Some(f))`: `Format=f`.
    pub format: Option<Option<String>>,
    pub host: Option<String>,
    /// Unsigned headers (V1 signs none).
    pub headers: Vec<(String, String)>,
    /// Parameters left out (e.g. `Action`).
    pub omit: Vec<&'static str>,
}

/// The current UTC time moved by `secs`, as `yyyy-MM-ddTHH:mm:ssZ`.
pub fn iso_at(secs: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Polls the sandbox's stats until `cond` holds (or 60 s pass: a hang becomes a failure).
pub async fn wait_for_stats(
    s: &csrkit_sandbox::SandboxHandle,
    what: &str,
    cond: impl Fn(&csrkit_sandbox::Stats) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let st = s.stats();
        if cond(&st) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never saw {what}: {st:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

/// The parameters of a Create for `csr` on `product` (DNS validation, the test contact).
pub fn create_params<'a>(csr: &'a str, product: &'a str) -> Vec<(&'a str, &'a str)> {
    let mut p = vec![
        ("Csr", csr),
        ("ValidateType", "DNS"),
        ("ProductCode", product),
    ];
    p.extend_from_slice(&CONTACT);
    p
}
