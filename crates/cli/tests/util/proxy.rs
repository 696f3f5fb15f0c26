//! A loopback middlebox between `csrkit` and a sandbox, for the faults a
//! sandbox cannot make by itself: hold a request before it reaches the
//! service (so a test can kill the client at that moment), hold the answer
//! after the service acted, or deliver one request twice (a replaying
//! middlebox: the service sees the same signed request again and answers
//! `SignatureNonceUsed`). One request per connection; answers carry
//! `connection: close` so the client never reuses one.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// What the proxy does with a request of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Forward it and its answer.
    Pass,
    /// Hold it before forwarding until [`Proxy::release`].
    Hold,
    /// Forward it, then hold the answer until [`Proxy::release`].
    HoldAnswer,
    /// Forward it twice (the same bytes), answer with the second answer;
    /// once, then [`Mode::Pass`].
    Duplicate,
}

/// What a released request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    /// Go on (forward the request, or send the answer).
    Proceed,
    /// Close the connection: nothing more reaches the service or the client.
    Drop,
}

#[derive(Default)]
struct State {
    modes: HashMap<String, Mode>,
    held: usize,
    release: Option<Release>,
    /// (action, status) of every answer the service gave.
    log: Vec<(String, u16)>,
}

/// A running proxy.
pub struct Proxy {
    /// Its base URL.
    pub url: String,
    shared: Arc<(Mutex<State>, Condvar)>,
    upstream: Arc<OnceLock<String>>,
}

impl Proxy {
    /// Binds a proxy on a loopback port; it forwards once [`Proxy::forward_to`]
    /// names the service. The sandbox behind it must accept the proxy's
    /// address as its host (`csrkit sandbox --public-host`), as a service
    /// behind a port forward accepts its public name: the client signs the
    /// `host` it connects to.
    pub fn bind() -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let shared: Arc<(Mutex<State>, Condvar)> = Arc::default();
        let upstream: Arc<OnceLock<String>> = Arc::default();
        let (s, up) = (shared.clone(), upstream.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, up) = (s.clone(), up.clone());
                std::thread::spawn(move || {
                    if let Some(up) = up.get() {
                        serve(stream, up, &s);
                    }
                });
            }
        });
        Proxy {
            url,
            shared,
            upstream,
        }
    }

    /// `host:port` of the proxy, for the sandbox's `--public-host`.
    pub fn host(&self) -> &str {
        self.url.trim_start_matches("http://")
    }

    /// Forwards to `upstream` (`http://127.0.0.1:PORT`) from now on.
    pub fn forward_to(&self, upstream: &str) {
        let _ = self
            .upstream
            .set(upstream.trim_start_matches("http://").to_owned());
    }

    /// Sets what happens to requests of `action` from now on.
    pub fn set(&self, action: &str, mode: Mode) {
        let (m, _) = &*self.shared;
        m.lock().unwrap().modes.insert(action.to_owned(), mode);
    }

    /// Waits (bounded) until `n` requests are held.
    pub fn wait_held(&self, n: usize) {
        let (m, c) = &*self.shared;
        let give_up = Instant::now() + Duration::from_secs(60);
        let mut st = m.lock().unwrap();
        while st.held < n {
            assert!(Instant::now() < give_up, "no request held after 60 s");
            st = c.wait_timeout(st, Duration::from_millis(50)).unwrap().0;
        }
    }

    /// Lets every held request (and any later one) go on, or drops them.
    pub fn release(&self, how: Release) {
        let (m, c) = &*self.shared;
        m.lock().unwrap().release = Some(how);
        c.notify_all();
    }

    /// Back to holding what [`Mode::Hold`] says (after a release).
    pub fn rearm(&self) {
        let (m, _) = &*self.shared;
        let mut st = m.lock().unwrap();
        st.release = None;
        st.held = 0;
    }

    /// The answers the service gave, as (action, HTTP status).
    pub fn log(&self) -> Vec<(String, u16)> {
        self.shared.0.lock().unwrap().log.clone()
    }
}

fn serve(mut client: TcpStream, up: &str, shared: &(Mutex<State>, Condvar)) {
    let Some((request, action)) = read_request(&client) else {
        return;
    };
    let mode = {
        let mut st = shared.0.lock().unwrap();
        let mode = st.modes.get(&action).copied().unwrap_or(Mode::Pass);
        if mode == Mode::Duplicate {
            st.modes.insert(action.clone(), Mode::Pass);
        }
        mode
    };
    if mode == Mode::Hold && hold(shared) == Release::Drop {
        return;
    }
    let times = if mode == Mode::Duplicate { 2 } else { 1 };
    let mut answer = None;
    for _ in 0..times {
        let Some(a) = forward(up, &request) else {
            return;
        };
        shared.0.lock().unwrap().log.push((action.clone(), a.0));
        answer = Some(a);
    }
    if mode == Mode::HoldAnswer && hold(shared) == Release::Drop {
        return;
    }
    if let Some((_, bytes)) = answer {
        let _ = client.write_all(&bytes);
    }
}

fn hold(shared: &(Mutex<State>, Condvar)) -> Release {
    let (m, c) = shared;
    let mut st = m.lock().unwrap();
    st.held += 1;
    c.notify_all();
    loop {
        if let Some(r) = st.release {
            return r;
        }
        st = c.wait(st).unwrap();
    }
}

/// Reads one request: its raw bytes and its `x-acs-action`.
fn read_request(client: &TcpStream) -> Option<(Vec<u8>, String)> {
    let mut reader = BufReader::new(client.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let action = header("x-acs-action").unwrap_or_default();
    let mut raw = head.into_bytes();
    raw.extend(body);
    Some((raw, action))
}

/// Sends `request` upstream; returns the status and the answer, rewritten
/// to close the connection.
fn forward(up: &str, request: &[u8]) -> Option<(u16, Vec<u8>)> {
    let mut s = TcpStream::connect(up).ok()?;
    s.write_all(request).ok()?;
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line).ok()?;
    let status: u16 = status_line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            len = v.trim().parse().ok()?;
        }
        if !lower.starts_with("connection:") {
            headers.push(line);
        }
    }
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    let mut out = status_line.into_bytes();
    for h in headers {
        out.extend(h.into_bytes());
    }
    out.extend(b"connection: close\r\n\r\n");
    out.extend(body);
    Some((status, out))
}
