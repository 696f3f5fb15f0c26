//! A small HTTP/1.1 server that serves a directory.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The `Host` header.
    pub host: String,
    /// The path.
    pub path: String,
    /// The status answered.
    pub status: u16,
}

/// Serves files below a directory on `127.0.0.1:0` (`GET` only; 404 for
/// anything missing or outside it; 302 for paths given to
/// [`HttpServer::redirect`]); stopped when dropped.
pub struct HttpServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    requests: Arc<Mutex<Vec<Request>>>,
    redirects: Arc<Mutex<Vec<(String, String)>>>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    /// Starts serving `root`.
    pub fn serve_dir(root: &Path) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let redirects = Arc::new(Mutex::new(Vec::new()));
        let (root, stop2, reqs, redir) = (
            root.to_path_buf(),
            stop.clone(),
            requests.clone(),
            redirects.clone(),
        );
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(c) = conn {
                    let _ = serve(c, &root, &reqs, &redir);
                }
            }
        });
        HttpServer {
            addr,
            stop,
            requests,
            redirects,
            thread: Some(thread),
        }
    }

    /// Answers `GET path` with `302 Found` to `location`.
    pub fn redirect(&self, path: &str, location: &str) {
        self.redirects
            .lock()
            .unwrap()
            .push((path.to_string(), location.to_string()));
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    conn: TcpStream,
    root: &Path,
    reqs: &Mutex<Vec<Request>>,
    redirects: &Mutex<Vec<(String, String)>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut host = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':')
            && k.eq_ignore_ascii_case("host")
        {
            host = v.trim().to_string();
        }
    }
    let location = redirects
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, l)| l.clone());
    if let Some(location) = location {
        reqs.lock().unwrap().push(Request {
            host,
            path,
            status: 302,
        });
        let mut w = conn;
        write!(
            w,
            "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )?;
        return w.flush();
    }
    let file: Option<PathBuf> = if path.split('/').any(|s| s == "..") {
        None
    } else {
        Some(root.join(path.trim_start_matches('/')))
    };
    let body = file.and_then(|f| std::fs::read(f).ok());
    let status = if body.is_some() { 200 } else { 404 };
    reqs.lock().unwrap().push(Request { host, path, status });
    let body = body.unwrap_or_else(|| b"not found".to_vec());
    let mut w = conn;
    write!(
        w,
        "HTTP/1.1 {status} {}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Not Found" },
        body.len()
    )?;
    w.write_all(&body)?;
    w.flush()
}
