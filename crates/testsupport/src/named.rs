//! A real BIND 9 `named` for tests.

use std::io::{BufRead, BufReader, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Finds a tool on `PATH` (and in `/usr/sbin`, `/sbin`), or panics saying
/// how to install it.
pub fn require_tool(tool: &str) -> PathBuf {
    let path = std::env::var("PATH").unwrap_or_default();
    for dir in path.split(':').chain(["/usr/sbin", "/sbin", "/usr/bin"]) {
        let p = Path::new(dir).join(tool);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{tool}` is not installed; this test runs a real BIND 9 server. Install it with \
         `apt-get install -y bind9 bind9-dnsutils` (.ci/run does this when it is missing)"
    );
}

/// A zone served by [`Named`].
#[derive(Debug, Clone)]
pub struct Zone {
    name: String,
    lines: Vec<String>,
    updatable: bool,
    dead_secondary: bool,
}

impl Zone {
    /// A primary zone `name` (no final dot), with an SOA, and `ns1` at the
    /// first listen address unless [`Zone::ns`] names its nameservers.
    pub fn primary(name: &str) -> Zone {
        Zone {
            name: name.to_string(),
            lines: Vec::new(),
            updatable: false,
            dead_secondary: false,
        }
    }

    /// A secondary zone whose primary never answers: `named` answers
    /// SERVFAIL for every name in it.
    pub fn servfail(name: &str) -> Zone {
        Zone {
            dead_secondary: true,
            ..Zone::primary(name)
        }
    }

    /// A nameserver of the zone: `label` (relative) with its address.
    pub fn ns(mut self, label: &str, ip: IpAddr) -> Zone {
        let t = if ip.is_ipv4() { "A" } else { "AAAA" };
        self.lines.push(format!("@ IN NS {label}.{}.", self.name));
        self.lines.push(format!("{label} IN {t} {ip}"));
        self
    }

    /// A zone-file line, relative to the zone (`_dnsauth 60 IN TXT "old"`).
    pub fn record(mut self, line: &str) -> Zone {
        self.lines.push(line.to_string());
        self
    }

    /// Dynamic updates signed with the server's key are allowed
    /// (`update-policy { grant KEY zonesub ANY; }`).
    pub fn updatable(mut self) -> Zone {
        self.updatable = true;
        self
    }
}

/// A view: zones answered on some listen addresses.
#[derive(Debug, Clone)]
pub struct View {
    name: String,
    destinations: Vec<IpAddr>,
    zones: Vec<Zone>,
}

impl View {
    /// A view named `name` answering queries sent to `destinations` (all
    /// addresses when empty).
    pub fn new(name: &str, destinations: &[IpAddr]) -> View {
        View {
            name: name.to_string(),
            destinations: destinations.to_vec(),
            zones: Vec::new(),
        }
    }

    /// Adds a zone.
    pub fn zone(mut self, z: Zone) -> View {
        self.zones.push(z);
        self
    }
}

/// How to start [`Named`].
#[derive(Debug, Clone)]
pub struct NamedConfig {
    listen: Vec<IpAddr>,
    port: Option<u16>,
    algorithm: String,
    key_name: String,
    views: Vec<View>,
    key_file: Option<PathBuf>,
}

impl Default for NamedConfig {
    fn default() -> Self {
        NamedConfig {
            listen: vec![IpAddr::V4(Ipv4Addr::LOCALHOST)],
            port: None,
            algorithm: "hmac-sha256".into(),
            key_name: "csrkit-test-key".into(),
            views: Vec::new(),
            key_file: None,
        }
    }
}

impl NamedConfig {
    /// Listen on these addresses (default `127.0.0.1`).
    pub fn listen(mut self, addrs: &[IpAddr]) -> Self {
        self.listen = addrs.to_vec();
        self
    }

    /// Use this port (default: a free one).
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// The TSIG algorithm of the generated key (default `hmac-sha256`).
    pub fn algorithm(mut self, alg: &str) -> Self {
        self.algorithm = alg.to_string();
        self
    }

    /// Use this key file (as `tsig-keygen` prints it) instead of a new key.
    pub fn key_file(mut self, path: &Path) -> Self {
        self.key_file = Some(path.to_path_buf());
        self
    }

    /// Serve `zone` to everyone.
    pub fn zone(self, zone: Zone) -> Self {
        let v = View::new("all", &[]).zone(zone);
        self.view(v)
    }

    /// Adds a view (or, through [`NamedConfig::zone`], zones for all).
    pub fn view(mut self, view: View) -> Self {
        if view.destinations.is_empty()
            && let Some(all) = self.views.iter_mut().find(|v| v.destinations.is_empty())
        {
            all.zones.extend(view.zones);
            return self;
        }
        self.views.push(view);
        self
    }

    /// Starts the server and waits until it says it is running.
    pub fn start(self) -> Named {
        Named::start(self)
    }
}

/// A running `named`; killed when dropped.
pub struct Named {
    child: Option<Child>,
    dir: tempfile::TempDir,
    port: u16,
    listen: Vec<IpAddr>,
    key_file: PathBuf,
    key_name: String,
    log: Arc<Mutex<String>>,
}

impl std::fmt::Debug for Named {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Named")
            .field("port", &self.port)
            .field("listen", &self.listen)
            .finish()
    }
}

/// A port free for UDP and TCP on every one of `addrs` (right now).
pub fn free_port(addrs: &[IpAddr]) -> u16 {
    'outer: for _ in 0..50 {
        let first = TcpListener::bind(SocketAddr::new(addrs[0], 0)).unwrap();
        let port = first.local_addr().unwrap().port();
        let mut held = vec![];
        for a in addrs {
            let sa = SocketAddr::new(*a, port);
            match (
                UdpSocket::bind(sa),
                a == &addrs[0] || TcpListener::bind(sa).is_ok(),
            ) {
                (Ok(u), true) => held.push(u),
                _ => continue 'outer,
            }
        }
        return port;
    }
    panic!("no free port on {addrs:?}");
}

impl Named {
    /// A configuration to start from.
    pub fn config() -> NamedConfig {
        NamedConfig::default()
    }

    fn start(cfg: NamedConfig) -> Named {
        let named = require_tool("named");
        let dir = tempfile::Builder::new()
            .prefix("csrkit-named-")
            .tempdir()
            .unwrap();
        let key_file = dir.path().join("tsig.key");
        let key_name = match &cfg.key_file {
            Some(src) => {
                std::fs::copy(src, &key_file).unwrap();
                let text = std::fs::read_to_string(&key_file).unwrap();
                text.split('"').nth(1).unwrap().to_string()
            }
            None => {
                let out = Command::new(require_tool("tsig-keygen"))
                    .args(["-a", &cfg.algorithm, &cfg.key_name])
                    .output()
                    .unwrap();
                assert!(out.status.success(), "tsig-keygen: {out:?}");
                std::fs::write(&key_file, &out.stdout).unwrap();
                cfg.key_name.clone()
            }
        };
        for attempt in 0..5 {
            let port = cfg.port.unwrap_or_else(|| free_port(&cfg.listen));
            let conf = write_config(dir.path(), &cfg, port, &key_file, &key_name);
            let mut child = Command::new(&named)
                .args(["-g", "-c"])
                .arg(&conf)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let log = Arc::new(Mutex::new(String::new()));
            let (tx, rx) = mpsc::channel();
            let stderr = child.stderr.take().unwrap();
            let log2 = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    let running = line.ends_with(" running");
                    log2.lock().unwrap().push_str(&format!("{line}\n"));
                    if running {
                        let _ = tx.send(());
                    }
                }
                // Dropping tx tells the waiter that named has gone.
            });
            // Waits for named's own "running" line (or its exit); the bound
            // only turns a hung start into a failure.
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok(()) => {
                    return Named {
                        child: Some(child),
                        dir,
                        port,
                        listen: cfg.listen.clone(),
                        key_file,
                        key_name,
                        log,
                    };
                }
                Err(_) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let text = log.lock().unwrap().clone();
                    if text.contains("address in use") && cfg.port.is_none() && attempt < 4 {
                        continue;
                    }
                    panic!("named did not start:\n{text}");
                }
            }
        }
        unreachable!()
    }

    /// The port it listens on (every listen address).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The first listen address with the port.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.listen[0], self.port)
    }

    /// `HOST:PORT` of the first listen address, as `--dns-server` takes it.
    pub fn server(&self) -> String {
        self.addr().to_string()
    }

    /// The TSIG key file (as `tsig-keygen` printed it).
    pub fn key_file(&self) -> &Path {
        &self.key_file
    }

    /// The TSIG key's name.
    pub fn key_name(&self) -> &str {
        &self.key_name
    }

    /// The server's working directory.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What named has logged so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `dig +norec +short` at `at` (a listen address): one line per record as
    /// dig prints it (TXT as `"a" "b"`).
    pub fn dig(&self, at: IpAddr, name: &str, rtype: &str) -> Vec<String> {
        let out = Command::new(require_tool("dig"))
            .arg(format!("@{at}"))
            .args([
                "-p",
                &self.port.to_string(),
                "+norec",
                "+short",
                "+tries=3",
                "+time=2",
            ])
            .args([rtype, name])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success() && !text.contains(";;"),
            "dig @{at} {name} {rtype} failed: {out:?}"
        );
        text.lines()
            .map(str::to_string)
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// The TXT values at `name`, each record's strings joined (dig's
    /// escapes undone), sorted.
    pub fn txt(&self, at: IpAddr, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .dig(at, name, "TXT")
            .iter()
            .map(|l| unquote_txt(l))
            .collect();
        v.sort();
        v
    }

    /// The CNAME target at `name` (no final dot), if any.
    pub fn cname(&self, at: IpAddr, name: &str) -> Option<String> {
        self.dig(at, name, "CNAME")
            .first()
            .map(|t| t.trim_end_matches('.').to_string())
    }

    /// Runs `nsupdate -k KEY` against `at` with these commands (`send` is
    /// added); panics when it fails.
    pub fn nsupdate(&self, at: IpAddr, commands: &str) {
        let mut child = Command::new(require_tool("nsupdate"))
            .arg("-k")
            .arg(&self.key_file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let script = format!("server {at} {}\n{commands}\nsend\n", self.port);
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "nsupdate failed: {out:?}\n{script}");
    }

    /// Stops the server (also done on drop).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Joins the character-strings of one TXT record as `dig` prints it
/// (`"a b" "c\"d"`), undoing `\"`, `\\` and `\DDD`.
pub fn unquote_txt(line: &str) -> String {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut inside = false;
    while i < b.len() {
        match b[i] {
            b'"' => inside = !inside,
            b'\\'
                if inside && i + 3 < b.len() && b[i + 1..i + 4].iter().all(u8::is_ascii_digit) =>
            {
                let n = std::str::from_utf8(&b[i + 1..i + 4])
                    .unwrap()
                    .parse::<u16>()
                    .unwrap();
                out.push(u8::try_from(n).unwrap());
                i += 3;
            }
            b'\\' if inside && i + 1 < b.len() => {
                out.push(b[i + 1]);
                i += 1;
            }
            c if inside => out.push(c),
            _ => {}
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_config(dir: &Path, cfg: &NamedConfig, port: u16, key_file: &Path, key: &str) -> PathBuf {
    let d = dir.display();
    let v4: Vec<String> = cfg
        .listen
        .iter()
        .filter(|a| a.is_ipv4())
        .map(|a| format!("{a};"))
        .collect();
    let v6: Vec<String> = cfg
        .listen
        .iter()
        .filter(|a| a.is_ipv6())
        .map(|a| format!("{a};"))
        .collect();
    let list = |v: &[String]| {
        if v.is_empty() {
            "none;".to_string()
        } else {
            v.join(" ")
        }
    };
    let mut conf = format!(
        "include \"{}\";\n\
         options {{\n  directory \"{d}\";\n  listen-on port {port} {{ {} }};\n  listen-on-v6 port {port} {{ {} }};\n  \
         recursion no;\n  pid-file none;\n  session-keyfile none;\n  dnssec-validation no;\n  \
         managed-keys-directory \"{d}\";\n  notify no;\n  minimal-responses no;\n  \
         check-names primary ignore;\n}};\ncontrols {{ }};\n",
        key_file.display(),
        list(&v4),
        list(&v6),
    );
    for (vi, view) in cfg.views.iter().enumerate() {
        let matching = if view.destinations.is_empty() {
            "match-clients { any; };".to_string()
        } else {
            let l: Vec<String> = view.destinations.iter().map(|a| format!("{a};")).collect();
            format!("match-destinations {{ {} }};", l.join(" "))
        };
        conf.push_str(&format!("view \"{}\" {{\n  {matching}\n", view.name));
        for (zi, z) in view.zones.iter().enumerate() {
            let file = dir.join(format!("v{vi}-z{zi}-{}.db", z.name));
            if z.dead_secondary {
                conf.push_str(&format!(
                    "  zone \"{}\" {{ type secondary; primaries port 9 {{ 127.0.0.1; }}; file \"{}\"; }};\n",
                    z.name,
                    file.display()
                ));
                continue;
            }
            let mut text = format!(
                "$ORIGIN {n}.\n$TTL 60\n@ IN SOA ns1.{n}. hostmaster.{n}. 1 3600 600 86400 60\n",
                n = z.name
            );
            if !z.lines.iter().any(|l| l.contains(" NS ")) {
                let ip = cfg.listen[0];
                let t = if ip.is_ipv4() { "A" } else { "AAAA" };
                text.push_str(&format!("@ IN NS ns1.{}.\nns1 IN {t} {ip}\n", z.name));
            }
            for l in &z.lines {
                text.push_str(l);
                text.push('\n');
            }
            std::fs::write(&file, text).unwrap();
            let policy = if z.updatable {
                format!(" update-policy {{ grant {key} zonesub ANY; }};")
            } else {
                String::new()
            };
            conf.push_str(&format!(
                "  zone \"{}\" {{ type primary; file \"{}\";{policy} }};\n",
                z.name,
                file.display()
            ));
        }
        conf.push_str("};\n");
    }
    let path = dir.join("named.conf");
    std::fs::write(&path, conf).unwrap();
    path
}
