/*!
Test harnesses shared by csrkit's crates (never published):

- [`Named`]: a real BIND 9 `named` started on a free loopback port, with
  zones (optionally in views chosen by destination address), a TSIG key made
  by `tsig-keygen`, dynamic updates allowed by
  `update-policy { grant KEY zonesub ANY; }`, and `dig` / `nsupdate` helpers
  as independent oracles.
- [`HttpServer`]: a small HTTP/1.1 server serving a directory on
  `127.0.0.1:0`, recording the `Host` and path of every request.

A tool that is missing fails the test with a message saying how to install
it (`.ci/run` installs `bind9` and `bind9-dnsutils`).
*/
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]
#![allow(clippy::unwrap_used)] // a harness that cannot start should panic loudly

mod http;
mod named;

pub use http::{HttpServer, Request};
pub use named::{Named, NamedConfig, View, Zone, free_port, require_tool, unquote_txt};
