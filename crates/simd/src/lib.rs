/*!
A large fixed number P reduced modulo many odd moduli n, as fast as the CPU
allows: the work of V312 (`csrkit-validate`), which takes gcd(n, P) for
every RSA modulus n with P the 632-kbit product of the primes public keys
are known to share.

[`Dividend::fold`] returns a number congruent to P·2^-s modulo n, about
n's size, for a shift s that depends only on P's and n's sizes; for odd n,
its gcd with n is gcd(n, P). It never divides: it folds P's lowest limbs
into R = 2^-k mod n (a per-modulus constant), k bits at a time (eight or
four limbs), from the low end up, since P·2^-k ≡ (P >> k) + (P mod
2^k)·R: the only serial work is carrying those limbs, and the rest is a
run of independent multiply-adds. That run is made by one of three
kernels, a [`Path`]:

- [`Path::Ifma`]: AVX-512 IFMA, 52-bit limbs, eight products a multiply;
- [`Path::Avx2`]: AVX2 and FMA, 52-bit limbs held in doubles, each
  product split exactly into halves by two fused multiply-adds;
- [`Path::Portable`]: 28-bit limbs in 32×32→64-bit multiplies, plain
  code the compiler vectorises for the baseline instruction set.

[`Path::best`] picks the fastest the CPU has, at run time. Every path
returns the same value modulo n (the shift is common to all of them).

```
use csrkit_simd::{Dividend, Path};

// any P (here 63 words of one bits) and odd n
let p = Dividend::new(vec![u64::MAX; 63]);
let n = [0x1234_5678_9abc_def1, 0x0fed_cba9_8765_4321];
for path in Path::available() {
    // ≡ P·2^-shift (mod n), and at most n's size plus 417 bits
    let folded = p.fold(&n, path).ok_or("n is odd and small enough")?;
    assert!(folded.shift > 0 && folded.words.len() <= n.len() + 7);
}
# Ok::<(), Box<dyn std::error::Error>>(())
```

# Safety

This crate's only `unsafe` is in [`Dividend::fold`]: calling a kernel
compiled for AVX-512 IFMA or for AVX2 and FMA (`#[target_feature]`) right
after `is_x86_feature_detected!` has confirmed that the CPU has those
features, the same guarantee the `pulp` and `multiversion` crates give.
The kernels themselves are safe code (the intrinsics they use take no
pointers).
*/
#![deny(missing_docs)]

use std::sync::OnceLock;

mod limbs;
mod portable;

#[cfg(target_arch = "x86_64")]
mod fma;
#[cfg(target_arch = "x86_64")]
mod ifma;

/// A kernel the reduction can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Path {
    /// AVX-512F with IFMA (52-bit multiply-adds), x86-64.
    Ifma,
    /// AVX2 with FMA (52-bit products split exactly by fused multiply-adds
    /// on doubles), x86-64.
    Avx2,
    /// Any CPU: the baseline instruction set of the target.
    Portable,
}

impl Path {
    /// Every path this CPU can run, fastest first.
    pub fn available() -> Vec<Path> {
        [Path::Ifma, Path::Avx2, Path::Portable]
            .into_iter()
            .filter(|p| p.is_available())
            .collect()
    }

    /// The fastest path this CPU can run.
    pub fn best() -> Path {
        static BEST: OnceLock<Path> = OnceLock::new();
        *BEST.get_or_init(|| Path::available()[0])
    }

    /// Whether this CPU can run the path.
    pub fn is_available(self) -> bool {
        match self {
            #[cfg(target_arch = "x86_64")]
            Path::Ifma => {
                is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512ifma")
            }
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            Path::Portable => true,
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// A short name: `ifma`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Path::Ifma => "ifma",
            Path::Avx2 => "avx2",
            Path::Portable => "portable",
        }
    }
}

/// What [`Dividend::fold`] returns: `words` (64-bit, least significant
/// first) is congruent to P·2^-`shift` modulo n, and a few limbs longer
/// than n at most.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Folded {
    /// The number, least significant word first, no leading zero word.
    pub words: Vec<u64>,
    /// The power of two P was divided by (modulo n).
    pub shift: u64,
}

/// Bits folded per step: a multiple of eight 28-bit limbs and of eight
/// 52-bit limbs, so that every path divides by the same power of two.
const UNIT: u64 = 2912;

/// The largest modulus [`Dividend::fold`] takes, in 64-bit words.
pub const MAX_MODULUS_WORDS: usize = 64;

/// The fixed number P, with the limb forms the kernels read made at first
/// use.
#[derive(Debug)]
pub struct Dividend {
    words: Vec<u64>,
    bits: u64,
    limbs28: OnceLock<Vec<u64>>,
    vectors52: OnceLock<Vec<[u64; 8]>>,
}

impl Dividend {
    /// P from its 64-bit words, least significant first.
    pub fn new(mut words: Vec<u64>) -> Dividend {
        while words.last() == Some(&0) {
            words.pop();
        }
        Dividend {
            bits: bit_len(&words),
            words,
            limbs28: OnceLock::new(),
            vectors52: OnceLock::new(),
        }
    }

    /// P's words, least significant first, no leading zero word.
    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// The shift [`Dividend::fold`] uses for a modulus of `n_bits` bits:
    /// P's excess over n rounded up to a whole number of steps of every
    /// path.
    pub fn shift(&self, n_bits: u64) -> u64 {
        self.bits.saturating_sub(n_bits).div_ceil(UNIT) * UNIT
    }

    fn limbs28(&self) -> &[u64] {
        self.limbs28
            .get_or_init(|| limbs::from_words(&self.words, portable::BITS))
    }

    /// P's 52-bit limbs, eight to a vector, then zero vectors enough for
    /// the shift to pass P's end by a step and for the widest window.
    #[cfg(target_arch = "x86_64")]
    fn vectors52(&self) -> &[[u64; 8]] {
        self.vectors52.get_or_init(|| {
            let limbs = limbs::from_words(&self.words, ifma::BITS);
            let mut v: Vec<[u64; 8]> = limbs
                .chunks(8)
                .map(|c| std::array::from_fn(|i| c.get(i).copied().unwrap_or(0)))
                .collect();
            let extra = (UNIT as usize).div_ceil(8 * ifma::BITS as usize) + 16;
            v.resize(v.len() + extra, [0; 8]);
            v
        })
    }

    /// A number congruent to P·2^-s modulo `n` (64-bit words, least
    /// significant first), computed on `path`, with s =
    /// [`Dividend::shift`]`(bits of n)`. `None` when `n` is even, has fewer
    /// than two words or more than [`MAX_MODULUS_WORDS`], or when the CPU
    /// cannot run `path`.
    #[allow(unsafe_code)]
    pub fn fold(&self, n: &[u64], path: Path) -> Option<Folded> {
        let mut n = n;
        while let [rest @ .., 0] = n {
            n = rest;
        }
        if n.len() < 2 || n.len() > MAX_MODULUS_WORDS || n[0] & 1 == 0 || !path.is_available() {
            return None;
        }
        let shift = self.shift(bit_len(n));
        if shift == 0 {
            return Some(Folded {
                words: self.words.clone(),
                shift,
            });
        }
        let words = match path {
            #[cfg(target_arch = "x86_64")]
            Path::Ifma => {
                let r =
                    limbs::inverse_power(&limbs::from_words(n, ifma::BITS), ifma::BITS, ifma::ROWS);
                let blocks = (shift / (u64::from(ifma::BITS) * ifma::ROWS as u64)) as usize;
                let p = self.vectors52();
                if !(is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512ifma"))
                {
                    return None;
                }
                // SAFETY: ifma::fold_any is compiled for AVX-512F and
                // AVX-512 IFMA, which is_x86_feature_detected! has just
                // confirmed this CPU has.
                let limbs = unsafe { ifma::fold_any(p, &r, blocks) };
                limbs::to_words(&limbs, ifma::BITS)
            }
            #[cfg(target_arch = "x86_64")]
            Path::Avx2 => {
                let r =
                    limbs::inverse_power(&limbs::from_words(n, fma::BITS), fma::BITS, fma::ROWS);
                let blocks = (shift / (u64::from(fma::BITS) * fma::ROWS as u64)) as usize;
                let p = self.vectors52().as_flattened();
                if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
                    return None;
                }
                // SAFETY: fma::fold_any is compiled for AVX2 and FMA, which
                // is_x86_feature_detected! has just confirmed this CPU has.
                let limbs = unsafe { fma::fold_any(p, &r, blocks) };
                limbs::to_words(&limbs, fma::BITS)
            }
            _ => {
                let bits = portable::BITS;
                let r = limbs::inverse_power(&limbs::from_words(n, bits), bits, portable::ROWS);
                let rows = (shift / u64::from(bits)) as usize;
                let limbs = portable::fold_any(self.limbs28(), &r, rows);
                limbs::to_words(&limbs, bits)
            }
        };
        Some(Folded { words, shift })
    }
}

/// The bit length of a number given by its words (least significant
/// first, no leading zero word).
fn bit_len(x: &[u64]) -> u64 {
    x.last()
        .map_or(0, |&w| 64 * x.len() as u64 - u64::from(w.leading_zeros()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limbs::tests::big;
    use num_bigint::BigUint;

    /// Every path on this CPU against num-bigint: the folded number times
    /// 2^shift is P modulo n, and all paths agree exactly once reduced.
    fn check(p: &[u64], n: &[u64]) -> Result<(), proptest::test_runner::TestCaseError> {
        let dividend = Dividend::new(p.to_vec());
        let (pb, nb) = (big(p), big(n));
        let mut seen: Option<BigUint> = None;
        for path in Path::available() {
            let folded = dividend.fold(n, path).expect("odd n of 2 to 64 words");
            proptest::prop_assert_eq!(folded.shift, dividend.shift(nb.bits()));
            proptest::prop_assert!(
                folded.words.len() <= n.len() + 7,
                "{} words from {}",
                folded.words.len(),
                path.name()
            );
            let f = big(&folded.words);
            proptest::prop_assert_eq!(
                (&f << folded.shift) % &nb,
                &pb % &nb,
                "path {}",
                path.name()
            );
            let r = f % &nb;
            if let Some(first) = &seen {
                proptest::prop_assert_eq!(first, &r, "path {}", path.name());
            }
            seen = Some(r);
        }
        Ok(())
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(200))]

        /// Arbitrary P and odd n, P up to nine steps past n.
        #[test]
        fn every_path_against_num_bigint(
            p in proptest::collection::vec(proptest::num::u64::ANY, 0..450),
            mut n in proptest::collection::vec(proptest::num::u64::ANY, 2..=64),
        ) {
            n[0] |= 1;
            check(&p, &n)?;
        }

        /// Moduli of the shared-prime sets' sizes with their top bit set,
        /// and P several steps long.
        #[test]
        fn set_sizes(
            p in proptest::collection::vec(proptest::num::u64::ANY, 300..700),
            words in proptest::sample::select(vec![8usize, 12, 16, 32, 64]),
            seed in proptest::collection::vec(proptest::num::u64::ANY, 64),
        ) {
            let mut n = seed[..words].to_vec();
            n[0] |= 1;
            n[words - 1] |= 1 << 63;
            check(&p, &n)?;
        }

        /// The gcd survives the fold: n and P with a common factor.
        #[test]
        fn common_factor(
            p in proptest::collection::vec(proptest::num::u64::ANY, 100..300),
            n in proptest::collection::vec(proptest::num::u64::ANY, 1..16),
            common in proptest::collection::vec(proptest::num::u64::ANY, 1..16),
        ) {
            let c = big(&common) | BigUint::from(1u32);
            let nb = (big(&n) | BigUint::from(1u32)) * &c;
            let pb = big(&p) * &c;
            let dividend = Dividend::new(pb.to_u64_digits());
            proptest::prop_assume!(nb.to_u64_digits().len() <= MAX_MODULUS_WORDS);
            for path in Path::available() {
                let f = dividend.fold(&nb.to_u64_digits(), path);
                let f = big(&f.expect("odd n").words);
                use num_integer::Integer as _;
                proptest::prop_assert_eq!(nb.gcd(&f), nb.gcd(&pb));
            }
        }
    }

    /// n = 2^416 - 1 makes R = 2^-416 mod n equal to 1, so each step adds
    /// the folded vector to the next one unchanged. A vector of all ones
    /// plus one in its lowest limb carries through every lane and out of
    /// the top one (the IFMA kernel's ripple loop); the next vector, one
    /// below all ones, takes that carry back to all ones.
    #[test]
    fn carries_ripple_through_lanes_of_all_ones() {
        let n = big(&[u64::MAX; 7]) >> 32u32; // 2^416 - 1
        let ones = (1u64 << 52) - 1;
        let mut limbs = vec![ones; 8];
        for _ in 0..300 {
            limbs.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
            limbs.extend_from_slice(&[ones - 1, ones, ones, ones, ones, ones, ones, ones]);
        }
        let p = limbs::to_words(&limbs, 52);
        check(&p, &n.to_u64_digits()).expect("every path");
        check(&p, &[u64::MAX, 1]).expect("every path");
    }

    #[test]
    fn moduli_it_does_not_take() {
        let p = Dividend::new(vec![7; 100]);
        for path in Path::available() {
            assert_eq!(p.fold(&[3], path), None, "one word");
            assert_eq!(p.fold(&[3, 0, 0], path), None, "one word, padded");
            assert_eq!(p.fold(&[4, 1], path), None, "even");
            assert_eq!(p.fold(&[3; 65], path), None, "over 4096 bits");
            assert!(p.fold(&[3; 64], path).is_some(), "4096 bits");
        }
    }

    #[test]
    fn small_p_is_returned_as_it_is() {
        let p = Dividend::new(vec![5, 6, 0]);
        let f = p.fold(&[3, 9], Path::Portable).expect("odd");
        assert_eq!(
            f,
            Folded {
                words: vec![5, 6],
                shift: 0
            }
        );
    }

    #[test]
    fn the_best_path_is_available() {
        assert!(Path::best().is_available());
        assert_eq!(Path::available().last(), Some(&Path::Portable));
        #[cfg(target_arch = "x86_64")]
        if is_x86_feature_detected!("avx512ifma") && is_x86_feature_detected!("avx512f") {
            assert_eq!(Path::best(), Path::Ifma);
        }
    }
}
