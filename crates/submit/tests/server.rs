//! A recording HTTP/1.1 server on `127.0.0.1:0` that answers from a script.
//!
//! Raw tokio sockets rather than a framework, so a test can also make the
//! server read a request and then drop the connection, or never answer.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub(crate) method: String,
    /// Path with query, as on the request line.
    pub(crate) target: String,
    /// Header names lower-cased, values as sent, in order.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    /// The whole request head as text, for "the secret appears nowhere" checks.
    pub(crate) raw: String,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The query, percent-decoded, in wire order.
    pub(crate) fn query(&self) -> Vec<(String, String)> {
        let Some((_, q)) = self.target.split_once('?') else {
            return Vec::new();
        };
        q.split('&')
            .filter(|s| !s.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (decode(k), decode(v))
            })
            .collect()
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let h = std::str::from_utf8(&b[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(h, 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// What the server does with the next request.
#[derive(Debug, Clone)]
pub(crate) enum Reply {
    /// Answer with this status, extra headers and JSON body.
    Json {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Read the whole request, then close the connection without a word.
    DropAfterRead,
    /// Read the whole request, then wait this long before closing.
    Hang(Duration),
    /// Answer 200 with a body that never ends (spaces after a `{`), until
    /// the client hangs up.
    Endless,
}

impl Reply {
    pub(crate) fn ok(body: &str) -> Reply {
        Reply::Json {
            status: 200,
            headers: vec![],
            body: body.to_string(),
        }
    }
    pub(crate) fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::Json {
            status,
            headers: vec![],
            body: serde_json::json!({
                "RequestId": format!("REQ-{code}"),
                "HostId": "cas.aliyuncs.com",
                "Code": code,
                "Message": message,
                "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=cas"),
            })
            .to_string(),
        }
    }
}

pub(crate) struct Server {
    pub(crate) port: u16,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Starts a server that plays `script` in order, then answers every
    /// further request with `{"RequestId":"default"}`.
    pub(crate) async fn start(script: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, recorded, script).await;
                });
            }
        });
        Server { port, requests }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve(
    mut sock: TcpStream,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    recorded.lock().unwrap().push(Recorded {
        method,
        target,
        headers,
        body,
        raw: head,
    });
    let reply = script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or_else(|| Reply::ok("{\"RequestId\":\"default\"}"));
    match reply {
        Reply::DropAfterRead => Ok(()),
        Reply::Hang(d) => {
            tokio::time::sleep(d).await;
            Ok(())
        }
        Reply::Endless => {
            sock.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n{",
            )
            .await?;
            let spaces = vec![b' '; 64 << 10];
            loop {
                sock.write_all(&spaces).await?;
            }
        }
        Reply::Json {
            status,
            headers,
            body,
        } => {
            let mut out = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            out.push_str(&body);
            sock.write_all(out.as_bytes()).await?;
            sock.shutdown().await
        }
    }
}

/// The secret every test uses; it must never appear outside the HMAC input.
pub(crate) const SECRET: &str = "TEST-SECRET-do-not-print";
/// The STS token tests use; it may appear only in `x-acs-security-token`.
pub(crate) const TOKEN: &str = "TEST-TOKEN-do-not-print";

/// A client for `server` with fast retries (millisecond backoff).
pub(crate) fn client(
    server: &Server,
    creds: csrkit_submit::Credentials,
    attempts: u32,
) -> csrkit_submit::Client {
    let options = csrkit_submit::ClientOptions {
        endpoint: csrkit_submit::Endpoint::parse(&server.url()).unwrap(),
        connect_timeout: Duration::from_secs(2),
        // Generous, so a loaded CI machine never times out a normal answer;
        // the `Hang` replies wait far longer.
        read_timeout: Duration::from_secs(2),
        retry: csrkit_submit::RetryPolicy {
            max_attempts: attempts,
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
            max_retry_after: Duration::from_secs(2),
        },
        rate_limiter: None,
    };
    csrkit_submit::Client::new(creds, options).unwrap()
}

pub(crate) fn creds() -> csrkit_submit::Credentials {
    csrkit_submit::Credentials::new("testid", SECRET, None)
}
