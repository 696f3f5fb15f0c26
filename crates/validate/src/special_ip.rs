//! The IANA IPv4 and IPv6 Special-Purpose Address Registries: BR 1.6.1
//! defines a Reserved IP Address as any address in the block of *any*
//! entry of either registry, globally reachable or not (AS112, AMT and
//! 6to4 included).
//!
//! Source: <https://www.iana.org/assignments/iana-ipv4-special-registry/>
//! (last updated 2020-09-04) and
//! <https://www.iana.org/assignments/iana-ipv6-special-registry/> (last
//! updated 2024-10-22), transcribed entry by entry. Two blocks outside the
//! registries are refused with them, as no public certificate can name
//! them: IPv4 multicast 224.0.0.0/4 (RFC 5771) and IPv6 multicast
//! ff00::/8 (RFC 4291); and any IPv6 address outside global unicast
//! 2000::/3 (the IPv6 Address Space registry reserves the rest to the IETF).
//!
//! | IPv4 block | name | RFC |
//! |---|---|---|
//! | 0.0.0.0/8 | "This network" | RFC 791 |
//! | 0.0.0.0/32 | "This host on this network" | RFC 1122 |
//! | 10.0.0.0/8 | Private-Use | RFC 1918 |
//! | 100.64.0.0/10 | Shared Address Space | RFC 6598 |
//! | 127.0.0.0/8 | Loopback | RFC 1122 |
//! | 169.254.0.0/16 | Link Local | RFC 3927 |
//! | 172.16.0.0/12 | Private-Use | RFC 1918 |
//! | 192.0.0.0/24 | IETF Protocol Assignments | RFC 6890 |
//! | 192.0.0.0/29 | IPv4 Service Continuity Prefix | RFC 7335 |
//! | 192.0.0.8/32 | IPv4 dummy address | RFC 7600 |
//! | 192.0.0.9/32 | Port Control Protocol Anycast | RFC 7723 |
//! | 192.0.0.10/32 | Traversal Using Relays around NAT Anycast | RFC 8155 |
//! | 192.0.0.170/32, 192.0.0.171/32 | NAT64/DNS64 Discovery | RFC 8880, RFC 7050 |
//! | 192.0.2.0/24 | Documentation (TEST-NET-1) | RFC 5737 |
//! | 192.31.196.0/24 | AS112-v4 | RFC 7535 |
//! | 192.52.193.0/24 | AMT | RFC 7450 |
//! | 192.88.99.0/24 | Deprecated (6to4 Relay Anycast) | RFC 7526 |
//! | 192.88.99.2/32 | 6a44-relay anycast address | RFC 6751 |
//! | 192.168.0.0/16 | Private-Use | RFC 1918 |
//! | 192.175.48.0/24 | Direct Delegation AS112 Service | RFC 7534 |
//! | 198.18.0.0/15 | Benchmarking | RFC 2544 |
//! | 198.51.100.0/24 | Documentation (TEST-NET-2) | RFC 5737 |
//! | 203.0.113.0/24 | Documentation (TEST-NET-3) | RFC 5737 |
//! | 240.0.0.0/4 | Reserved | RFC 1112 |
//! | 255.255.255.255/32 | Limited Broadcast | RFC 8190, RFC 919 |
//!
//! | IPv6 block | name | RFC |
//! |---|---|---|
//! | ::1/128 | Loopback Address | RFC 4291 |
//! | ::/128 | Unspecified Address | RFC 4291 |
//! | ::ffff:0:0/96 | IPv4-mapped Address | RFC 4291 |
//! | 64:ff9b::/96 | IPv4-IPv6 Translat. | RFC 6052 |
//! | 64:ff9b:1::/48 | IPv4-IPv6 Translat. | RFC 8215 |
//! | 100::/64 | Discard-Only Address Block | RFC 6666 |
//! | 2001::/23 | IETF Protocol Assignments | RFC 2928 |
//! | 2001::/32 | TEREDO | RFC 4380, RFC 8190 |
//! | 2001:1::1/128 | Port Control Protocol Anycast | RFC 7723 |
//! | 2001:1::2/128 | Traversal Using Relays around NAT Anycast | RFC 8155 |
//! | 2001:1::3/128 | DNS-SD Service Registration Protocol Anycast | RFC 9665 |
//! | 2001:2::/48 | Benchmarking | RFC 5180 |
//! | 2001:3::/32 | AMT | RFC 7450 |
//! | 2001:4:112::/48 | AS112-v6 | RFC 7535 |
//! | 2001:10::/28 | Deprecated (previously ORCHID) | RFC 4843 |
//! | 2001:20::/28 | ORCHIDv2 | RFC 7343 |
//! | 2001:30::/28 | Drone Remote ID Protocol Entity Tags (DETs) Prefix | RFC 9374 |
//! | 2001:db8::/32 | Documentation | RFC 3849 |
//! | 2002::/16 | 6to4 | RFC 3056 |
//! | 2620:4f:8000::/48 | Direct Delegation AS112 Service | RFC 7534 |
//! | 3fff::/20 | Documentation | RFC 9637 |
//! | 5f00::/16 | Segment Routing (SRv6) SIDs | RFC 9602 |
//! | fc00::/7 | Unique-Local | RFC 4193, RFC 8190 |
//! | fe80::/10 | Link-Local Unicast | RFC 4291 |

use std::net::{Ipv4Addr, Ipv6Addr};

/// (block, prefix length, name, RFC).
type V4 = ([u8; 4], u8, &'static str, &'static str);
type V6 = (u128, u8, &'static str, &'static str);

const IPV4: &[V4] = &[
    ([0, 0, 0, 0], 8, "\"This network\"", "RFC 791"),
    ([10, 0, 0, 0], 8, "Private-Use", "RFC 1918"),
    ([100, 64, 0, 0], 10, "Shared Address Space", "RFC 6598"),
    ([127, 0, 0, 0], 8, "Loopback", "RFC 1122"),
    ([169, 254, 0, 0], 16, "Link Local", "RFC 3927"),
    ([172, 16, 0, 0], 12, "Private-Use", "RFC 1918"),
    ([192, 0, 0, 0], 24, "IETF Protocol Assignments", "RFC 6890"),
    ([192, 0, 2, 0], 24, "Documentation (TEST-NET-1)", "RFC 5737"),
    ([192, 31, 196, 0], 24, "AS112-v4", "RFC 7535"),
    ([192, 52, 193, 0], 24, "AMT", "RFC 7450"),
    (
        [192, 88, 99, 0],
        24,
        "Deprecated (6to4 Relay Anycast)",
        "RFC 7526",
    ),
    ([192, 168, 0, 0], 16, "Private-Use", "RFC 1918"),
    (
        [192, 175, 48, 0],
        24,
        "Direct Delegation AS112 Service",
        "RFC 7534",
    ),
    ([198, 18, 0, 0], 15, "Benchmarking", "RFC 2544"),
    (
        [198, 51, 100, 0],
        24,
        "Documentation (TEST-NET-2)",
        "RFC 5737",
    ),
    (
        [203, 0, 113, 0],
        24,
        "Documentation (TEST-NET-3)",
        "RFC 5737",
    ),
    ([224, 0, 0, 0], 4, "Multicast (not unicast)", "RFC 5771"),
    ([240, 0, 0, 0], 4, "Reserved", "RFC 1112"),
    ([255, 255, 255, 255], 32, "Limited Broadcast", "RFC 8190"),
];

const IPV6: &[V6] = &[
    (0x1, 128, "Loopback Address", "RFC 4291"),
    (0x0, 128, "Unspecified Address", "RFC 4291"),
    (0xffff_0000_0000, 96, "IPv4-mapped Address", "RFC 4291"),
    (0x0064_ff9b << 96, 96, "IPv4-IPv6 Translat.", "RFC 6052"),
    (
        0x0064_ff9b_0001 << 80,
        48,
        "IPv4-IPv6 Translat.",
        "RFC 8215",
    ),
    (0x0100 << 112, 64, "Discard-Only Address Block", "RFC 6666"),
    (0x2001_0000 << 96, 32, "TEREDO", "RFC 4380"),
    (
        0x2001_0001 << 96 | 1,
        128,
        "Port Control Protocol Anycast",
        "RFC 7723",
    ),
    (0x2001_0001 << 96 | 2, 128, "TURN Anycast", "RFC 8155"),
    (0x2001_0001 << 96 | 3, 128, "DNS-SD SRP Anycast", "RFC 9665"),
    (0x2001_0002_0000 << 80, 48, "Benchmarking", "RFC 5180"),
    (0x2001_0003 << 96, 32, "AMT", "RFC 7450"),
    (0x2001_0004_0112 << 80, 48, "AS112-v6", "RFC 7535"),
    (
        0x2001_0010 << 96,
        28,
        "Deprecated (previously ORCHID)",
        "RFC 4843",
    ),
    (0x2001_0020 << 96, 28, "ORCHIDv2", "RFC 7343"),
    (
        0x2001_0030 << 96,
        28,
        "Drone Remote ID DETs Prefix",
        "RFC 9374",
    ),
    (
        0x2001_0000 << 96,
        23,
        "IETF Protocol Assignments",
        "RFC 2928",
    ),
    (0x2001_0db8 << 96, 32, "Documentation", "RFC 3849"),
    (0x2002 << 112, 16, "6to4", "RFC 3056"),
    (
        0x2620_004f_8000 << 80,
        48,
        "Direct Delegation AS112 Service",
        "RFC 7534",
    ),
    (0x3fff << 112, 20, "Documentation", "RFC 9637"),
    (0x5f00 << 112, 16, "Segment Routing (SRv6) SIDs", "RFC 9602"),
    (0xfc00 << 112, 7, "Unique-Local", "RFC 4193"),
    (0xfe80 << 112, 10, "Link-Local Unicast", "RFC 4291"),
    (0xff00 << 112, 8, "Multicast (not unicast)", "RFC 4291"),
];

/// The registry entry an IPv4 address falls in: (block, name, RFC).
pub(crate) fn v4(ip: Ipv4Addr) -> Option<(String, &'static str, &'static str)> {
    let a = u32::from(ip);
    IPV4.iter().find_map(|&(block, len, name, rfc)| {
        let b = u32::from_be_bytes(block);
        let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
        (a & mask == b).then(|| (format!("{}/{len}", Ipv4Addr::from(b)), name, rfc))
    })
}

/// The registry entry an IPv6 address falls in, or the reserved space
/// outside global unicast 2000::/3.
pub(crate) fn v6(ip: Ipv6Addr) -> Option<(String, &'static str, &'static str)> {
    let a = u128::from(ip);
    let hit = IPV6.iter().find_map(|&(b, len, name, rfc)| {
        let mask = if len == 0 {
            0
        } else {
            u128::MAX << (128 - len)
        };
        (a & mask == b).then(|| (format!("{}/{len}", Ipv6Addr::from(b)), name, rfc))
    });
    hit.or_else(|| {
        (a >> 125 != 1).then(|| {
            (
                "outside 2000::/3".to_owned(),
                "Reserved by IETF (not global unicast)",
                "RFC 4291",
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_finding_of_the_attack_is_reserved() {
        for ip in [
            "192.88.99.1",
            "192.31.196.1",
            "192.175.48.1",
            "192.52.193.1",
            "10.0.0.1",
        ] {
            assert!(v4(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in [
            "2002:a00:1::1",
            "::ffff:8.8.8.8",
            "2001::1",
            "2001:20::1",
            "3fff::1",
            "2620:4f:8000::1",
            "5f00::1",
            "2001:1::3",
        ] {
            assert!(v6(ip.parse().unwrap()).is_some(), "{ip}");
        }
        for ip in ["8.8.8.8", "1.1.1.1", "192.0.3.1", "198.20.0.1"] {
            assert!(v4(ip.parse().unwrap()).is_none(), "{ip}");
        }
        for ip in [
            "2606:4700::1111",
            "2001:4860::8888",
            "2001:200::1",
            "2620:4f:8001::1",
        ] {
            assert!(v6(ip.parse().unwrap()).is_none(), "{ip}");
        }
    }
}
