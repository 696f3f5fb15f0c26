//! V219 `ip-address-prohibited`: an IP address MUST NOT be a Reserved IP Address (any entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries) and MUST NOT be written as a dNSName
//!
//! Citation: BR 7.1.2.7.12 (iPAddress); BR 1.6.1 (Reserved IP Address); BR 7.1.4.3.
//!
//! The registries are embedded as a table with their source and date
//! (`special_ip.rs`): every entry counts, globally reachable or not (6to4,
//! IPv4-mapped, 2001::/23, 3fff::/20, AS112, AMT, the 6to4 relay).
//! A CN holding an IP address is checked the same way; whether it must
//! match an iPAddress entry is V204's business (BR 7.1.2.7.2 allows an IPv4
//! or IPv6 CN equal to an iPAddress SAN), and whether the service takes IP
//! addresses at all is V906's (alibaba-dv).

use crate::csr::{Csr, SanKind};
use crate::model::Severity;
use crate::policy::Policy;
use crate::rule::{Hit, Rule, Source, always};
use crate::special_ip;
use csrkit_names::ProblemKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub(crate) static RULE: Rule = Rule {
    code: "V219",
    name: "ip-address-prohibited",
    default_severity: Severity::Error,
    description: "an IP address MUST NOT be a Reserved IP Address (any entry of the IANA IPv4 and IPv6 Special-Purpose Address Registries) and MUST NOT be written as a dNSName",
    citation: "BR 7.1.2.7.12 (iPAddress); BR 1.6.1 (Reserved IP Address); BR 7.1.4.3",
    source: Source::CabfBr,
    since: "0.1.0",
    rationale: "Every entry of both IANA Special-Purpose Address Registries counts, globally reachable or not; the table, with its source and date, is in crates/validate/src/special_ip.rs. An IP CN equal to an iPAddress SAN is allowed (BR 7.1.2.7.2); whether the service takes IPs at all is V906.",
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
                reserved(IpAddr::V4(Ipv4Addr::from(o)))
            }
            16 => {
                let mut o = [0u8; 16];
                o.copy_from_slice(san.bytes);
                reserved(IpAddr::V6(Ipv6Addr::from(o)))
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
    for name in csr.names() {
        if !name
            .problems
            .iter()
            .any(|p| p.kind == ProblemKind::IpAddress)
        {
            continue;
        }
        if name.field.starts_with("subject") {
            let text = name.name.trim_start_matches('[').trim_end_matches(']');
            if let Some(why) = text.parse::<IpAddr>().ok().and_then(reserved) {
                out.push(
                    Hit::new(format!(
                        "subject CN \"{}\" is not allowed: {why}",
                        name.name
                    ))
                    .at(name.offset, name.field.clone()),
                );
            }
        } else {
            out.push(
                Hit::new(format!(
                    "dNSName \"{}\" is an IP address; an IP address goes in an iPAddress entry, \
                     never in a dNSName",
                    name.name
                ))
                .at(name.offset, name.field.clone()),
            );
        }
    }
}

/// Why an address is reserved, naming its registry entry.
fn reserved(ip: IpAddr) -> Option<String> {
    let hit = match ip {
        IpAddr::V4(v4) => special_ip::v4(v4),
        IpAddr::V6(v6) => special_ip::v6(v6),
    };
    hit.map(|(block, name, rfc)| {
        format!("{ip} is a Reserved IP Address: {name} ({block}, {rfc}), an entry of the IANA Special-Purpose Address Registry")
    })
}
