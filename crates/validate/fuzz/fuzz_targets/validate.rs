//! Any bytes through `validate` (PEM splitting, DER parsing, every rule),
//! `inspect` and the renderers: nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The default policy plus a blocklist in both formats, so V318 runs too.
fn policy() -> &'static csrkit_validate::Policy {
    static POLICY: std::sync::OnceLock<csrkit_validate::Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        let mut p = csrkit_validate::Policy::default();
        let list = csrkit_validate::Blocklist::parse(
            "fuzz.txt",
            "b7ead9492dfd921fc4f9\n\
             6f79a1579d2be7a435a71e59757ff4546ebfcfc72b80b9ff0bd50926d76deb7d\n",
        )
        .expect("a valid list");
        p.add_blocklist(list);
        p
    })
}

fuzz_target!(|data: &[u8]| {
    let policy = policy();
    let report = csrkit_validate::validate(data, policy);
    let files = [("fuzz.csr", report)];
    let _ = csrkit_validate::render::human(&files, false);
    let _ = csrkit_validate::render::json(&files);
    let _ = csrkit_validate::inspect(data);
    // Blocklist parsing takes any text too.
    let _ = csrkit_validate::Blocklist::parse("fuzz.txt", &String::from_utf8_lossy(data));
    // The same bytes inside PEM armour reach the parser through the PEM path.
    let mut pem = b"-----BEGIN CERTIFICATE REQUEST-----\n".to_vec();
    pem.extend(base64_lines(data));
    pem.extend(b"-----END CERTIFICATE REQUEST-----\n");
    let _ = csrkit_validate::validate(&pem, policy);
});

/// Base64 in 64-column lines, without a dependency.
fn base64_lines(data: &[u8]) -> Vec<u8> {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::with_capacity(data.len() * 4 / 3 + 4);
    for (i, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if chunk.len() > 1 {
            A[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if chunk.len() > 2 {
            A[n as usize & 63]
        } else {
            b'='
        });
        if i % 16 == 15 {
            out.push(b'\n');
        }
    }
    out.push(b'\n');
    out
}
