//! Fingerprints of flawed RSA key generators (BR 6.1.1.3(2)–(5)): the
//! checks of the badkeys project (Hanno Böck, MIT), reimplemented on the
//! modulus bytes. Each returns what it found, or `None`.
//!
//! | check | badkeys | rule |
//! |---|---|---|
//! | [`known_shared_prime`] | `sharedprimes` | V312 |
//! | [`small_private_exponent`] | `smalld` | V313 |
//! | [`zero_chunks`] | `rsapoly` | V314 |
//! | [`repeated_bytes`] | `pattern` | V315 |
//! | [`xz_backdoor`] | `xzbackdoor` | V316 |
//! | [`bit_bias`] | `rsabias` | V317 |
//!
//! For a modulus from a sound generator each of these fires with a
//! probability below 2^-60 (see each function), so all but the bias check
//! are errors. Moduli above [`MAX_ANALYSED_BITS`] are not analysed (V311
//! reports them).

use std::sync::OnceLock;

use csrkit_simd::{Dividend, Path};
use num_bigint::{BigInt, BigUint, Sign};
use num_integer::Integer as _;

use crate::keys::MAX_ANALYSED_BITS;

mod gcd;
use gcd::gcd_words;

/// The product of the primes public keys of one modulus size were found to
/// share, from badkeys' data (see `data/badkeys/README.md`).
struct SharedPrimes {
    bits: u64,
    raw: &'static [u8],
    /// The product, prepared for reduction at first use.
    product: OnceLock<Dividend>,
}

static SHARED: [SharedPrimes; 5] = [
    SharedPrimes::new(512, include_bytes!("../data/badkeys/primes512.dat")),
    SharedPrimes::new(768, include_bytes!("../data/badkeys/primes768.dat")),
    SharedPrimes::new(1024, include_bytes!("../data/badkeys/primes1024.dat")),
    SharedPrimes::new(2048, include_bytes!("../data/badkeys/primes2048.dat")),
    SharedPrimes::new(4096, include_bytes!("../data/badkeys/primes4096.dat")),
];

impl SharedPrimes {
    const fn new(bits: u64, raw: &'static [u8]) -> SharedPrimes {
        SharedPrimes {
            bits,
            raw,
            product: OnceLock::new(),
        }
    }

    /// gmpy2's binary form of a positive mpz: 0x01 0x01, then the
    /// magnitude little-endian.
    fn dividend(&self) -> &Dividend {
        self.product.get_or_init(|| {
            Dividend::new(match self.raw {
                [1, 1, magnitude @ ..] => magnitude
                    .chunks(8)
                    .map(|c| c.iter().rev().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
                    .collect(),
                _ => vec![1],
            })
        })
    }

    fn product(&self) -> BigUint {
        from_words(self.dividend().words())
    }
}

/// A number from its 64-bit words, least significant first.
fn from_words(words: &[u64]) -> BigUint {
    BigUint::from_slice(
        &words
            .iter()
            .flat_map(|&w| [w as u32, (w >> 32) as u32])
            .collect::<Vec<_>>(),
    )
}

/// What [`known_shared_prime`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SharedPrime {
    /// The bit length of the common factor.
    pub(crate) factor_bits: u64,
    /// Whether the factor splits the modulus into two primes' worth (the
    /// common factor is a proper divisor), so the key is fully factored.
    pub(crate) factored: bool,
}

/// Whether the modulus has a prime factor that other public keys of the
/// same size were found to share: gcd(n, product of known shared primes).
/// A random prime of n/2 bits is one of the few thousand known ones with
/// probability far below 2^-400.
///
/// The cost is one reduction of the product (632 kbit for 2048-bit keys)
/// modulo n, done without division by [`csrkit_simd`] on the fastest
/// kernel the CPU has (AVX-512 IFMA, AVX2 or portable code): for odd n it
/// gives P·2^-s mod n, whose gcd with n is gcd(n, P).
pub(crate) fn known_shared_prime(n: &[u8]) -> Option<SharedPrime> {
    known_shared_prime_on(n, Path::best())
}

/// [`known_shared_prime`] with the reduction on the given kernel.
fn known_shared_prime_on(n: &[u8], path: Path) -> Option<SharedPrime> {
    let n = words_from_be(n);
    let set = SHARED.iter().find(|s| s.bits == gcd::bit_len(&n))?;
    let g = match set.dividend().fold(&n, path) {
        // The folded number may be a few words longer than n: the gcd
        // reduces it in its first step.
        Some(folded) => gcd_words(n.clone(), folded.words),
        // an even modulus (V-rules report it): num-bigint's division
        None => {
            let r = set.product() % from_words(&n);
            gcd_words(n.clone(), r.to_u64_digits())
        }
    };
    if g.len() <= 1 && g.first().copied().unwrap_or(0) <= 1 {
        return None;
    }
    // g == n happens when both primes are in the set.
    Some(SharedPrime {
        factor_bits: gcd::bit_len(&g),
        factored: g != n,
    })
}

/// A big-endian number's 64-bit words, least significant first, no leading
/// zero word.
fn words_from_be(bytes: &[u8]) -> Vec<u64> {
    let mut words: Vec<u64> = bytes
        .rchunks(8)
        .map(|c| c.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
        .collect();
    gcd::trim(&mut words);
    words
}

/// V312's check alone, for its benchmark beside badkeys
/// (`benches/shared_prime.rs`): the bit length of the common factor, if any,
/// with the reduction on the named kernel (one of [`bench_paths`]).
#[doc(hidden)]
pub fn bench_known_shared_prime(n: &[u8], path: &str) -> Option<u64> {
    let path = Path::available()
        .into_iter()
        .find(|p| p.name() == path)
        .unwrap_or_else(|| panic!("this CPU has no {path} kernel"));
    known_shared_prime_on(n, path).map(|s| s.factor_bits)
}

/// The kernels this CPU runs V312's reduction on, fastest first (`ifma`,
/// `avx2`, `portable`).
#[doc(hidden)]
pub fn bench_paths() -> Vec<&'static str> {
    Path::available().into_iter().map(Path::name).collect()
}

/// Whether `x` is a perfect square (a negative number is not).
fn is_square(x: &BigInt) -> bool {
    x.sign() != Sign::Minus && crate::keys::is_square(x.magnitude())
}

/// Wiener's attack (1990) in the form of owiener/badkeys: when the private
/// exponent d is below about n^(1/4), one of the convergents of the
/// continued fraction of e/n is k/d, which gives φ(n) and so the factors.
/// Returns the bit length of d when it is found. Only large public
/// exponents can have such a d (ed ≡ 1 mod φ(n) makes d > φ(n)/e), so keys
/// with e of 32 bits or fewer are not tried.
///
/// Wiener's bound is d < n^(1/4)/3; past it a convergent is k/d only by
/// chance. So convergents are tried while their denominator is below
/// n^(1/4)·2^64, a margin of 64 bits, not to the end of the expansion:
/// about a quarter of the steps (denominators grow some 1.7 bits a step,
/// by Lévy's constant), their convergents a quarter of n's size, and a
/// candidate's square root only when it passes the residue filter
/// ([`crate::keys::is_square`]). A 16,384-bit key with a 16,000-bit
/// exponent took 0.96 s through the whole expansion.
pub(crate) fn small_private_exponent(n: &[u8], e: &[u8]) -> Option<u64> {
    let n = BigInt::from_bytes_be(Sign::Plus, n);
    let e = BigInt::from_bytes_be(Sign::Plus, e);
    if e.bits() <= 32 || n.bits() < 16 || n.bits().max(e.bits()) > MAX_ANALYSED_BITS {
        return None;
    }
    let max_den_bits = n.bits() / 4 + 64;
    wiener(n, e, max_den_bits)
}

/// [`small_private_exponent`]'s search, over the convergents whose
/// denominator has at most `max_den_bits` bits (`u64::MAX`: all of them).
fn wiener(n: BigInt, e: BigInt, max_den_bits: u64) -> Option<u64> {
    let zero = BigInt::from(0);
    let one = BigInt::from(1);
    // continued fraction terms of e/n and their convergents num/den
    let (mut x, mut y) = (e.clone(), n.clone());
    let (mut n0, mut d0) = (zero.clone(), one.clone());
    let (mut n1, mut d1) = (one.clone(), zero.clone());
    let (mut prev_n, mut prev_d) = (one.clone(), zero.clone());
    let mut i = 0usize;
    while y != zero {
        let a = &x / &y;
        let rem = &x - &a * &y;
        x = std::mem::replace(&mut y, rem);
        let num = &a * &n1 + &n0;
        let den = &a * &d1 + &d0;
        if den.bits() > max_den_bits {
            return None;
        }
        n0 = std::mem::replace(&mut n1, num.clone());
        d0 = std::mem::replace(&mut d1, den.clone());
        // owiener: at even positions try the mediant with the previous
        // convergent too, which catches d with a small common factor.
        let (k, dg) = if i.is_multiple_of(2) {
            (&num + &prev_n, &den + &prev_d)
        } else {
            (num.clone(), den.clone())
        };
        prev_n = num;
        prev_d = den;
        i += 1;
        if k == zero {
            continue;
        }
        let edg = &e * &dg;
        let phi = &edg / &k;
        let s = &n - &phi + &one;
        if s.is_even() {
            let h = &s / 2;
            if is_square(&(&h * &h - &n)) {
                let g = &edg - &phi * &k;
                let d = if g > zero { &dg / &g } else { dg };
                return Some(d.bits());
            }
        }
    }
    None
}

/// The percentage (rounded down) of one bits among the significant bits.
fn bit_percent(x: &BigUint) -> u64 {
    let bits = x.bits();
    if bits == 0 {
        return 0;
    }
    x.count_ones() * 100 / bits
}

/// The lower half of the modulus, by bit length.
fn lower_half(n: &BigUint) -> BigUint {
    let half = n.bits() / 2;
    n % (BigUint::from(1u32) << half)
}

/// badkeys' test for one family of zero patterns: chunks of `width` bits
/// above the lowest whose `mask` bits are all zero, with at most one whole
/// chunk zero (more means a false positive on a sparse number).
fn masked_chunks_zero(n: &BigUint, width: u32, mask: u128) -> bool {
    let chunk_mask = (BigUint::from(1u32) << width) - 1u32;
    let mask = BigUint::from(mask);
    let zero = BigUint::from(0u32);
    let mut rest = n >> width;
    let mut set = BigUint::from(0u32);
    let mut zero_chunks = 0;
    while rest != zero {
        set |= &rest & &mask;
        rest >>= width;
        if &rest & &chunk_mask == zero {
            zero_chunks += 1;
        }
    }
    zero_chunks < 2 && set == zero
}

/// What [`zero_chunks`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ZeroChunks {
    /// Per cent of one bits in the modulus.
    pub(crate) percent: u64,
    /// badkeys' name for a known generator, when the pattern matches one.
    pub(crate) generator: Option<&'static str>,
}

/// Moduli with long runs of zero bits in every chunk, whose primes are
/// sparse polynomials in a power of two and factor in seconds (badkeys
/// `rsapoly`). Needs fewer than 40% one bits overall and in the lower half
/// (about 9 standard deviations from a random 2048-bit number's 50%) and
/// no small factor (V305's job).
pub(crate) fn zero_chunks(n: &[u8], has_small_factor: bool) -> Option<ZeroChunks> {
    let n = BigUint::from_bytes_be(n);
    if n.bits() < 500 || n.bits() > MAX_ANALYSED_BITS || has_small_factor {
        return None;
    }
    let percent = bit_percent(&n);
    if percent >= 40 || bit_percent(&lower_half(&n)) >= 40 {
        return None;
    }
    let generator = if masked_chunks_zero(&n, 128, 0xffff_ffff_ffff_0000) {
        Some("nautilus")
    } else if masked_chunks_zero(&n, 32, 0x3ff0_0000) {
        Some("completeftp")
    } else {
        None
    };
    Some(ZeroChunks { percent, generator })
}

/// The offset and value of the first run of 16 equal bytes in the modulus
/// (badkeys `pattern`): a generator that filled the candidate with a
/// constant. A random 256-byte modulus has one with probability about
/// 2^-112.
pub(crate) fn repeated_bytes(n: &[u8]) -> Option<(usize, u8)> {
    n.windows(16)
        .position(|w| w.iter().all(|&b| b == w[0]))
        .map(|i| (i, n[i]))
}

/// The structure of the xz-utils backdoor's (CVE-2024-3094) command key:
/// with the modulus as its DER INTEGER bytes, a·b + c ≤ 3 (mod 2^64) for
/// the little-endian words a = bytes 0..4, b = 4..8, c = 8..16 (badkeys
/// `xzbackdoor`). Chance for a random modulus: 2^-62. A modulus of
/// mostly zero bytes meets the equation trivially (a·b + c = 0); that is
/// [`repeated_bytes`]'s finding, not this one (the backdoor's payload
/// after the header is ciphertext).
pub(crate) fn xz_backdoor(n: &[u8]) -> bool {
    if n.is_empty() || repeated_bytes(n).is_some() {
        return false;
    }
    let mut der = Vec::with_capacity(n.len() + 1);
    if n[0] & 0x80 != 0 {
        der.push(0);
    }
    der.extend_from_slice(n);
    let word = |from: usize, to: usize| {
        der.get(from..to.min(der.len()))
            .unwrap_or_default()
            .iter()
            .rev()
            .fold(0u64, |v, &b| (v << 8) | u64::from(b))
    };
    let (a, b, c) = (word(0, 4), word(4, 8), word(8, 16));
    a.wrapping_mul(b).wrapping_add(c) <= 3
}

/// What [`bit_bias`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct BitBias {
    /// Per cent of one bits in the modulus.
    pub(crate) percent: u64,
    /// The lower half looks random: the upper half was chosen (a "vanity"
    /// key), which is not by itself a weakness.
    pub(crate) vanity: bool,
}

/// An unusual share of one bits (badkeys `rsabias`): outside 50 ± 10% for
/// moduli above 2000 bits (± 12% above 1000, ± 17% below). Left to
/// [`zero_chunks`] when both halves are below 40%, and to V305 when there
/// is a small factor.
pub(crate) fn bit_bias(n: &[u8], has_small_factor: bool) -> Option<BitBias> {
    let n = BigUint::from_bytes_be(n);
    let bits = n.bits();
    if bits == 0 || bits > MAX_ANALYSED_BITS || has_small_factor {
        return None;
    }
    let threshold = match bits {
        2001.. => 10,
        1001..=2000 => 12,
        _ => 17,
    };
    let in_range = |pct: u64| 50 - threshold < pct && pct <= 50 + threshold;
    let percent = bit_percent(&n);
    if in_range(percent) {
        return None;
    }
    let lower = bit_percent(&lower_half(&n));
    if percent < 40 && lower < 40 {
        return None;
    }
    Some(BitBias {
        percent,
        vanity: in_range(lower),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Rng as _;
    use proptest::test_runner::{RngAlgorithm, TestRng};

    #[test]
    fn shared_prime_data_is_whole() {
        for s in &SHARED {
            assert_eq!(&s.raw[..2], &[1, 1], "primes{}.dat header", s.bits);
            let p = s.product();
            assert_eq!(p.to_bytes_le(), s.raw[2..].to_vec(), "primes{}.dat", s.bits);
            assert!(p.bit(0), "primes{}.dat product is odd", s.bits);
            // a product of primes of half the modulus size
            let per = s.bits / 2;
            assert!(p.bits() >= per, "primes{}.dat too small", s.bits);
            let count = p.bits().div_ceil(per);
            assert!(count >= 2, "primes{}.dat holds {count} primes", s.bits);
        }
    }

    /// The modulus and exponent of a PKCS #1 RSAPublicKey PEM or an SPKI PEM
    /// (the two INTEGERs closest to the end).
    pub(crate) fn pem_key(text: &str) -> (Vec<u8>, Vec<u8>) {
        use base64::Engine as _;
        let body: String = text
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("base64");
        // walk INTEGERs: 02 len value
        let mut ints = Vec::new();
        let mut i = 0;
        while i + 2 < der.len() {
            let (tag, first) = (der[i], der[i + 1]);
            let (len, hdr) = match first {
                0x81 => (usize::from(der[i + 2]), 3),
                0x82 => (usize::from(der[i + 2]) << 8 | usize::from(der[i + 3]), 4),
                l if l < 0x80 => (usize::from(l), 2),
                _ => panic!("length form"),
            };
            match tag {
                0x02 => {
                    let v = &der[i + hdr..i + hdr + len];
                    let v = v.iter().skip_while(|&&b| b == 0).copied().collect();
                    ints.push(v);
                    i += hdr + len;
                }
                0x03 => i += hdr + 1, // BIT STRING: step into it
                0x30 => i += hdr,
                _ => i += hdr + len,
            }
        }
        let e = ints.pop().expect("e");
        let n = ints.pop().expect("n");
        (n, e)
    }

    fn badkeys(name: &str) -> (Vec<u8>, Vec<u8>) {
        let path = format!(
            "{}/tests/fixtures/external/badkeys/{name}.pem",
            env!("CARGO_MANIFEST_DIR")
        );
        pem_key(&std::fs::read_to_string(path).expect("fixture"))
    }

    /// badkeys' own test keys, each with its verdict, as the oracle: every
    /// check fires on its key and on none of the others.
    #[test]
    fn badkeys_test_keys() {
        let names = [
            "rsa-sharedprimes",
            "rsa-small-d",
            "rsapoly128",
            "rsapoly32",
            "rsa-pattern",
            "rsa-vanity",
            "rsa-debianweak",
        ];
        for name in names {
            let (n, e) = badkeys(name);
            let small = crate::keys::small_factor(&n, &crate::keys::residues(&n)).is_some();
            let found = [
                ("rsa-sharedprimes", known_shared_prime(&n).is_some()),
                ("rsa-small-d", small_private_exponent(&n, &e).is_some()),
                ("rsapoly", zero_chunks(&n, small).is_some()),
                ("rsa-pattern", repeated_bytes(&n).is_some()),
                ("rsa-vanity", bit_bias(&n, small).is_some_and(|b| b.vanity)),
            ];
            for (check, hit) in found {
                // the mostly-zero pattern key is sparse in every chunk too
                let want = name.starts_with(check) || (name, check) == ("rsa-pattern", "rsapoly");
                assert_eq!(hit, want, "{check} on {name}");
            }
            assert!(!xz_backdoor(&n), "xz on {name}");
        }
        let (n, _) = badkeys("rsapoly128");
        assert_eq!(
            zero_chunks(&n, false).and_then(|z| z.generator),
            Some("nautilus")
        );
        let (n, _) = badkeys("rsapoly32");
        assert_eq!(
            zero_chunks(&n, false).and_then(|z| z.generator),
            Some("completeftp")
        );
        let (n, _) = badkeys("rsa-sharedprimes");
        let found = known_shared_prime(&n).expect("shared");
        assert!(found.factored);
        assert_eq!(found.factor_bits, 1024);
    }

    /// A new modulus built on the known prime is caught too (what the V312
    /// fixture does).
    #[test]
    fn shared_prime_in_a_new_modulus() {
        let (n, _) = badkeys("rsa-sharedprimes");
        let n = BigUint::from_bytes_be(&n);
        let set = &SHARED[3];
        let p = n.gcd(&(set.product() % &n));
        assert_eq!(p.bits(), 1024);
        let q = (BigUint::from(3u32) << 1022u32) | BigUint::from(0x1234_5677u32);
        let m = &p * &q;
        assert_eq!(m.bits(), 2048);
        assert!(known_shared_prime(&m.to_bytes_be()).is_some());
        let m2 = &q * (&q + 2u32);
        assert_eq!(known_shared_prime(&m2.to_bytes_be()), None);
        // An even modulus is not folded (the fold needs an odd one): it
        // takes num-bigint's division, on every path, and is caught too.
        let even = &p * (&q - 1u32);
        assert_eq!(even.bits(), 2048);
        assert_eq!(
            set.dividend().fold(&even.to_u64_digits(), Path::best()),
            None
        );
        for path in Path::available() {
            assert_eq!(
                known_shared_prime_on(&even.to_bytes_be(), path),
                Some(SharedPrime {
                    factor_bits: 1024,
                    factored: true
                }),
                "{}",
                path.name()
            );
        }
    }

    proptest::proptest! {
        /// Every check takes any modulus and exponent bytes without
        /// panicking (the parser hands them over as they are in the CSR).
        #[test]
        fn any_bytes_any_check(
            n in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            e in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            small in proptest::bool::ANY,
        ) {
            let _ = known_shared_prime(&n);
            let _ = small_private_exponent(&n, &e);
            let _ = zero_chunks(&n, small);
            let _ = repeated_bytes(&n);
            let _ = xz_backdoor(&n);
            let _ = bit_bias(&n, small);
        }

        /// The division-free fold keeps the gcd on every kernel this CPU
        /// has, for arbitrary odd moduli: against num-bigint's `%`.
        #[test]
        fn fold_keeps_the_gcd(
            p in proptest::collection::vec(proptest::num::u64::ANY, 1..400),
            mut n in proptest::collection::vec(proptest::num::u64::ANY, 2..12),
            common in proptest::collection::vec(proptest::num::u64::ANY, 0..3),
        ) {
            n[0] |= 1;
            // give p and n a common factor half the time
            let c = from_words(&common) | BigUint::from(1u32);
            let nb = from_words(&n) * &c;
            let pb = from_words(&p) * &c;
            let dividend = Dividend::new(pb.to_u64_digits());
            for path in Path::available() {
                let folded = dividend.fold(&nb.to_u64_digits(), path).expect("an odd modulus");
                let f = from_words(&folded.words);
                proptest::prop_assert_eq!((&f << folded.shift) % &nb, &pb % &nb, "{}", path.name());
                proptest::prop_assert_eq!(nb.gcd(&(f % &nb)), nb.gcd(&(&pb % &nb)), "{}", path.name());
            }
        }
    }

    /// Every kernel this CPU has, on the real products, against num-bigint:
    /// badkeys' key, moduli built on its prime, and fresh odd moduli of
    /// each set's size. The reductions agree exactly (P·2^-s mod n for the
    /// same s) and so do the verdicts.
    #[test]
    fn every_path_on_the_shared_primes() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = |bytes: usize| -> Vec<u8> {
            let mut v: Vec<u8> = (0..bytes)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            v[0] |= 0x80;
            v[bytes - 1] |= 1;
            v
        };
        let (shared, _) = badkeys("rsa-sharedprimes");
        let p = BigUint::from_bytes_be(&shared)
            .gcd(&(SHARED[3].product() % BigUint::from_bytes_be(&shared)));
        let q = (BigUint::from(3u32) << 1022u32) | BigUint::from(0x1234_5677u32);
        let mut moduli = vec![shared.clone(), (&p * &q).to_bytes_be()];
        for set in &SHARED {
            for _ in 0..3 {
                moduli.push(random(set.bits as usize / 8));
            }
        }
        let paths = Path::available();
        for n in &moduli {
            let nb = BigUint::from_bytes_be(n);
            let set = SHARED
                .iter()
                .find(|s| s.bits == nb.bits())
                .expect("a set's size");
            let want = set.product() % &nb;
            let mut reduced = Vec::new();
            for &path in &paths {
                let folded = set.dividend().fold(&nb.to_u64_digits(), path).expect("odd");
                let f = from_words(&folded.words);
                assert_eq!(
                    (&f << folded.shift) % &nb,
                    want,
                    "{} bits on {}",
                    set.bits,
                    path.name()
                );
                reduced.push(f % &nb);
            }
            assert!(
                reduced.windows(2).all(|w| w[0] == w[1]),
                "{} bits",
                set.bits
            );
            let verdicts: Vec<_> = paths
                .iter()
                .map(|&path| known_shared_prime_on(n, path))
                .collect();
            assert!(
                verdicts.windows(2).all(|w| w[0] == w[1]),
                "{} bits",
                set.bits
            );
            let expected = (n != &moduli[0] && n != &moduli[1]).then_some(()).map_or(
                Some(SharedPrime {
                    factor_bits: 1024,
                    factored: true,
                }),
                |()| None,
            );
            assert_eq!(verdicts[0], expected, "{} bits", set.bits);
        }
    }

    #[test]
    fn xz_header() {
        // a·b + c = 0 with a = 0 (leading zero byte and three zero bytes)
        let mut n = vec![0x01u8; 256];
        n[0] = 0x00;
        assert!(!xz_backdoor(&[]));
        // der = 00 80 01 02 | 00 00 00 00 | 00.. : b = 0 and c = 0
        let mut m = vec![0x80u8, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        m.extend((0..241u32).map(|i| (i * 7 + 3) as u8));
        assert!(xz_backdoor(&m));
        // c = 4: just over
        m[14] = 4;
        assert!(!xz_backdoor(&m));
        // all zeros after the first byte is V315's, not this
        let zeros = [&[0x80u8][..], &[0u8; 255][..]].concat();
        assert!(!xz_backdoor(&zeros));
        n[0] = 0xc1;
        assert!(!xz_backdoor(&n));
    }

    #[test]
    fn repeated_run_of_sixteen() {
        let mut n: Vec<u8> = (0..=255u8).collect();
        assert_eq!(repeated_bytes(&n), None);
        for b in &mut n[100..116] {
            *b = 0;
        }
        assert_eq!(repeated_bytes(&n), Some((100, 0)));
        for b in &mut n[100..115] {
            *b = 7;
        }
        assert_eq!(repeated_bytes(&n), None);
    }

    /// A random odd number of exactly `bits` bits.
    fn random_odd(bits: u64, rng: &mut TestRng) -> BigUint {
        let words: Vec<u64> = (0..bits.div_ceil(64)).map(|_| rng.next_u64()).collect();
        let x = from_words(&words) >> (words.len() as u64 * 64 - bits);
        x | (BigUint::from(1u32) << (bits - 1)) | BigUint::from(1u32)
    }

    /// A probable prime of `bits` bits with its top two bits set, so that
    /// two of them make a modulus of twice the bits (Miller–Rabin, 20
    /// fixed bases).
    fn prime(bits: u64, rng: &mut TestRng) -> BigUint {
        loop {
            let p = random_odd(bits, rng) | (BigUint::from(1u32) << (bits - 2));
            let (one, pm1) = (BigUint::from(1u32), &p - 1u32);
            let s = pm1.trailing_zeros().unwrap_or(0);
            let t = &pm1 >> s;
            let probable = [
                2u32, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71,
            ]
            .iter()
            .all(|&a| {
                let mut x = BigUint::from(a).modpow(&t, &p);
                if x == one || x == pm1 {
                    return true;
                }
                for _ in 1..s {
                    x = &x * &x % &p;
                    if x == pm1 {
                        return true;
                    }
                }
                false
            });
            if probable {
                return p;
            }
        }
    }

    /// Keys with a small private exponent, from a few bits to past Wiener's
    /// bound (n^(1/4)/3: 126 bits for these 512-bit moduli) and past the
    /// search's own (n^(1/4)·2^64: 192 bits): up to 192 bits the bounded
    /// search finds exactly what the whole expansion finds, and it finds
    /// every d below Wiener's bound; random exponents give nothing.
    /// (badkeys' own small-d key is `badkeys_test_keys`'.)
    #[test]
    fn wiener_bounded_matches_the_whole_expansion() {
        let mut rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
        for round in 0..12u64 {
            let (p, q) = (prime(256, &mut rng), prime(256, &mut rng));
            let n = &p * &q;
            let phi = (&p - 1u32) * (&q - 1u32);
            for d_bits in [8u64, 40, 100, 124, 140, 170, 190, 192, 200, 240] {
                let d = loop {
                    let d = random_odd(d_bits, &mut rng);
                    if d.gcd(&phi) == BigUint::from(1u32) {
                        break d;
                    }
                };
                let e = d.modinv(&phi).expect("coprime");
                let (nb, eb) = (n.to_bytes_be(), e.to_bytes_be());
                let got = small_private_exponent(&nb, &eb);
                let full = wiener(BigInt::from(n.clone()), BigInt::from(e.clone()), u64::MAX);
                if d_bits <= 192 {
                    assert_eq!(got, full, "round {round}, d of {d_bits} bits");
                } else {
                    assert!(
                        got.is_none() || got == full,
                        "round {round}, d of {d_bits} bits"
                    );
                }
                if d_bits <= 124 {
                    assert_eq!(
                        got,
                        Some(d_bits),
                        "round {round}: Wiener's bound covers {d_bits} bits"
                    );
                }
            }
            let random_e = random_odd(400, &mut rng);
            assert_eq!(
                small_private_exponent(&n.to_bytes_be(), &random_e.to_bytes_be()),
                None
            );
        }
    }

    #[test]
    fn wiener_needs_a_large_exponent() {
        let n = [0xffu8; 256];
        assert_eq!(small_private_exponent(&n, &[1, 0, 1]), None);
    }
}
