//! V219 `ip-address-prohibited`: IP addresses MUST NOT be reserved (private, loopback, link-local, documentation...) and MUST NOT be written as dNSName or a CN
//!
//! Citation: BR 7.1.2.7.12 (iPAddress); BR 1.6.1 (Reserved IP Address); BR 3.2.2.5.

#[allow(unused_imports)]
use crate::csr::{Csr, Hash, Key, SanKind, SigAlg, curve_name, ip_text};
#[allow(unused_imports)]
use crate::keys::{self, PointCheck, SigCheck};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use csrkit_names::ProblemKind;
use std::net::{Ipv4Addr, Ipv6Addr};

pub(crate) static RULE: Rule = Rule {
    code: "V219",
    name: "ip-address-prohibited",
    default_severity: Severity::Error,
    description: "IP addresses MUST NOT be reserved (private, loopback, link-local, documentation...) and MUST NOT be written as dNSName or a CN",
    citation: "BR 7.1.2.7.12 (iPAddress); BR 1.6.1 (Reserved IP Address); BR 3.2.2.5",
    source: Source::CabfBr,
    since: "0.1.0",
    profile: None,
    applies: always,
    check,
};

fn check(csr: &Csr<'_>, _: &Policy, out: &mut Vec<Hit>) {
    for san in csr.sans.iter().filter(|s| s.kind == SanKind::Ip) {
        let why = match san.bytes.len() {
            4 => {
                let mut o = [0u8; 4];
                o.copy_from_slice(san.bytes);
                reserved_v4(Ipv4Addr::from(o))
            }
            16 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(san.bytes);
                reserved_v6(Ipv6Addr::from(o))
            }
            n => Some(format!("it is {n} bytes long; an address is 4 or 16")),
        };
        if let Some(why) = why {
            out.push(
                Hit::new(format!(
                    "the iPAddress {} is not allowed: {why}",
                    san.display()
                ))
                .at(san.offset, san.field()),
            );
        }
    }
    super::super::name_problems(csr, out, |k| matches!(k, ProblemKind::IpAddress));
}

fn reserved_v4(ip: Ipv4Addr) -> Option<String> {
    let o = ip.octets();
    let why = if ip.is_private() {
        "a private address (RFC 1918)"
    } else if ip.is_loopback() {
        "a loopback address"
    } else if ip.is_link_local() {
        "a link-local address"
    } else if ip.is_unspecified() || o[0] == 0 {
        "in 0.0.0.0/8"
    } else if ip.is_broadcast() || o[0] >= 240 {
        "in the reserved 240.0.0.0/4"
    } else if ip.is_multicast() {
        "a multicast address"
    } else if ip.is_documentation() {
        "a documentation address (RFC 5737)"
    } else if o[0] == 100 && (64..128).contains(&o[1]) {
        "in shared address space 100.64.0.0/10"
    } else if o[0] == 198 && (o[1] == 18 || o[1] == 19) {
        "in the benchmarking range 198.18.0.0/15"
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        "in the IETF protocol range 192.0.0.0/24"
    } else {
        return None;
    };
    Some(format!("{ip} is {why}"))
}

fn reserved_v6(ip: Ipv6Addr) -> Option<String> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return reserved_v4(v4);
    }
    let s = ip.segments();
    let why = if ip.is_loopback() || ip.is_unspecified() {
        "loopback or unspecified"
    } else if s[0] & 0xfe00 == 0xfc00 {
        "a unique local address (fc00::/7)"
    } else if s[0] & 0xffc0 == 0xfe80 {
        "link-local (fe80::/10)"
    } else if s[0] & 0xff00 == 0xff00 {
        "multicast"
    } else if s[0] == 0x2001 && s[1] == 0x0db8 {
        "a documentation address (2001:db8::/32)"
    } else if s[0] & 0xe000 != 0x2000 {
        "outside global unicast 2000::/3"
    } else {
        return None;
    };
    Some(format!("{ip} is {why}"))
}
