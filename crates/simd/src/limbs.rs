//! Numbers as limbs of `bits` bits held in 64-bit words, least significant
//! first, and the one per-modulus constant the kernels need.

/// The limbs of a number given by its 64-bit words.
pub(crate) fn from_words(words: &[u64], bits: u32) -> Vec<u64> {
    let mask = (1u64 << bits) - 1;
    let mut out = Vec::with_capacity(words.len() * 64 / bits as usize + 2);
    let (mut acc, mut have) = (0u128, 0u32);
    for &w in words {
        acc |= u128::from(w) << have;
        have += 64;
        while have >= bits {
            out.push(acc as u64 & mask);
            acc >>= bits;
            have -= bits;
        }
    }
    out.push(acc as u64);
    while out.len() > 1 && out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// The 64-bit words (trimmed) of `Σ limbs[i]·2^(bits·i)`, where a limb may
/// hold more than `bits` bits.
pub(crate) fn to_words(limbs: &[u64], bits: u32) -> Vec<u64> {
    let mut out = Vec::with_capacity(limbs.len() * bits as usize / 64 + 3);
    let (mut acc, mut have) = (0u128, 0u32);
    for &l in limbs {
        // acc < 2^have + 2^64·(carry), have < 64: no overflow below 2^128
        acc += u128::from(l) << have;
        have += bits;
        while have >= 64 {
            out.push(acc as u64);
            acc >>= 64;
            have -= 64;
        }
    }
    while acc != 0 {
        out.push(acc as u64);
        acc >>= 64;
    }
    while out.last() == Some(&0) {
        out.pop();
    }
    out
}

/// `-x^-1 mod 2^64` for odd `x` (Newton's iteration: each step doubles the
/// correct low bits, from 3).
fn neg_inverse(x: u64) -> u64 {
    let mut inv = x;
    for _ in 0..5 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(x.wrapping_mul(inv)));
    }
    inv.wrapping_neg()
}

/// `2^(-bits·rows) mod n`, in `bits`-bit limbs (as many as `n` has), for
/// odd `n` in normalised `bits`-bit limbs: Montgomery's reduction of 1,
/// one limb at a time. The value (1 + q·n) / 2^(bits·rows) stays below n.
pub(crate) fn inverse_power(n: &[u64], bits: u32, rows: usize) -> Vec<u64> {
    let mask = (1u64 << bits) - 1;
    let ninv = neg_inverse(n[0]) & mask;
    let k = n.len();
    let mut t = vec![0u64; k + 1];
    t[0] = 1;
    for _ in 0..rows {
        let q = t[0].wrapping_mul(ninv) & mask;
        let mut c = 0u128;
        for i in 0..k {
            let v = u128::from(t[i]) + u128::from(q) * u128::from(n[i]) + c;
            if i > 0 {
                t[i - 1] = v as u64 & mask;
            }
            c = v >> bits;
        }
        let v = u128::from(t[k]) + c;
        t[k - 1] = v as u64 & mask;
        t[k] = (v >> bits) as u64;
    }
    t.truncate(k);
    t
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use num_bigint::BigUint;

    /// A number from its 64-bit words, least significant first.
    pub(crate) fn big(words: &[u64]) -> BigUint {
        BigUint::from_slice(
            &words
                .iter()
                .flat_map(|&w| [w as u32, (w >> 32) as u32])
                .collect::<Vec<_>>(),
        )
    }

    proptest::proptest! {
        #[test]
        fn limbs_round_trip(
            words in proptest::collection::vec(proptest::num::u64::ANY, 0..20),
            bits in proptest::sample::select(vec![28u32, 52]),
        ) {
            let limbs = from_words(&words, bits);
            proptest::prop_assert!(limbs.iter().all(|&l| l >> bits == 0));
            proptest::prop_assert_eq!(big(&to_words(&limbs, bits)), big(&words));
        }

        /// Unnormalised limbs (up to 64 bits each) are summed exactly.
        #[test]
        fn wide_limbs(
            limbs in proptest::collection::vec(proptest::num::u64::ANY, 0..20),
            bits in proptest::sample::select(vec![28u32, 52]),
        ) {
            let want = limbs
                .iter()
                .enumerate()
                .fold(BigUint::from(0u32), |s, (i, &l)| s + (BigUint::from(l) << (bits as usize * i)));
            proptest::prop_assert_eq!(big(&to_words(&limbs, bits)), want);
        }

        #[test]
        fn inverse_power_is_the_inverse(
            mut n in proptest::collection::vec(proptest::num::u64::ANY, 1..10),
            bits in proptest::sample::select(vec![28u32, 52]),
            rows in 0usize..20,
        ) {
            n[0] |= 1;
            let nb = big(&n);
            proptest::prop_assume!(nb > BigUint::from(1u32));
            let r = big(&to_words(&inverse_power(&from_words(&n, bits), bits, rows), bits));
            proptest::prop_assert!(r < nb);
            let shift = bits as usize * rows;
            proptest::prop_assert_eq!((r << shift) % &nb, BigUint::from(1u32) % &nb);
        }
    }

    #[test]
    fn neg_inverse_of_odd_words() {
        for x in [1u64, 3, 0xffff_ffff_ffff_ffff, 0x1234_5678_9abc_def1] {
            assert_eq!(x.wrapping_mul(neg_inverse(x)), u64::MAX);
        }
    }
}
