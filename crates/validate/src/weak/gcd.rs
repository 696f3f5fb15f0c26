//! gcd(a, b) by Lehmer's algorithm (Knuth, TAOCP 4.5.2, Algorithm L), for
//! V312: the gcd of an RSA modulus with the shared primes' product reduced
//! modulo it, two 2048-bit numbers.
//!
//! The quotients of Euclid's algorithm are found on the leading 62 bits in
//! single precision, and a run of them (some 30 bits' worth) is applied to
//! the full numbers as one 2×2 matrix, so a 2048-bit gcd takes some seventy
//! passes over the words instead of the binary algorithm's thousands.

#[cfg(test)]
use num_bigint::BigUint;

use super::from_words;

/// gcd(a, b). Falls back to a division step when the leading bits cannot
/// decide a quotient, and finishes in 128-bit integers.
#[cfg(test)]
pub(super) fn gcd(a: &BigUint, b: &BigUint) -> BigUint {
    from_words(&gcd_words(a.to_u64_digits(), b.to_u64_digits()))
}

/// [`gcd`] on numbers given by their 64-bit words, least significant
/// first, no leading zero word (either may be the larger).
pub(super) fn gcd_words(mut x: Vec<u64>, mut y: Vec<u64>) -> Vec<u64> {
    if x.len() < y.len() || (x.len() == y.len() && x.iter().rev().lt(y.iter().rev())) {
        std::mem::swap(&mut x, &mut y);
    }
    loop {
        if y.is_empty() {
            return x;
        }
        if x.len() <= 2 {
            let g = gcd_u128(to_u128(&x), to_u128(&y));
            let mut g = vec![g as u64, (g >> 64) as u64];
            trim(&mut g);
            return g;
        }
        let shift = bit_len(&x) - 62;
        let m = lehmer(top_bits(&x, shift), top_bits(&y, shift));
        if m[1] == 0 {
            // no quotient decided (y is far smaller than x): one division
            let r = from_words(&x) % from_words(&y);
            x = std::mem::take(&mut y);
            y = r.to_u64_digits();
            continue;
        }
        combine(&mut x, &mut y, m);
    }
}

/// Knuth's steps L2–L3 on the leading bits x̂ and ŷ (same shift, x̂ of 62
/// bits): the cofactors [A, B, C, D] of the longest run of quotients that
/// x̂ and ŷ decide, with x' = A·x + B·y and y' = C·x + D·y the numbers after
/// that run; A and B (C and D) have opposite signs.
///
/// Each quotient must be the same for both ends of the interval the true
/// ratio lies in, ⌊(x̂ + A)/(ŷ + C)⌋ and ⌊(x̂ + B)/(ŷ + D)⌋. Those four
/// stay within 0..=2^62 (Knuth) and after a step become the two divisors
/// and the two remainders, so the loop runs on them: one division and one
/// multiply-subtract per step on the critical path. (Finding the small
/// quotients, two thirds of Euclid's, by comparisons instead was slower:
/// the branch mispredicts cost more than this CPU's divider.)
fn lehmer(xh: i64, yh: i64) -> [i64; 4] {
    let (mut a, mut b, mut c, mut d) = (1i64, 0i64, 0i64, 1i64);
    // (x̂ + A, ŷ + C) and (x̂ + B, ŷ + D)
    let (mut n1, mut d1, mut n2, mut d2) = (xh as u64 + 1, yh as u64, xh as u64, yh as u64 + 1);
    while d1 != 0 && d2 != 0 {
        let q = n1 / d1;
        let r1 = n1 - q * d1;
        // the other end must give the same quotient: 0 <= n2 - q·d2 < d2
        let t = u128::from(q) * u128::from(d2);
        if t > u128::from(n2) || n2 - t as u64 >= d2 {
            break;
        }
        let r2 = n2 - t as u64;
        (n1, d1, n2, d2) = (d1, r1, d2, r2);
        let q = q as i64;
        (a, c) = (c, a.wrapping_sub(q.wrapping_mul(c)));
        (b, d) = (d, b.wrapping_sub(q.wrapping_mul(d)));
    }
    [a, b, c, d]
}

/// (x, y) ← (A·x + B·y, C·x + D·y) in place, both trimmed, for the matrix
/// of a run of Euclid's steps: both results are its remainders (so not
/// negative, and below x), the entries are below 2^62 in magnitude, and
/// their signs are a checkerboard (A, D ≥ 0 ≥ B, C or the reverse). Each
/// new word is then one product less another, in unsigned multiplies (a
/// third of the cost of signed 128-bit ones), and each sum stays below
/// 2^127 in magnitude.
fn combine(x: &mut Vec<u64>, y: &mut Vec<u64>, [a, b, c, d]: [i64; 4]) {
    y.resize(x.len(), 0);
    // x' = k1·x − k2·y and y' = k3·y − k4·x, or with x and y exchanged
    // (B is not zero: the run has a step)
    let straight = b < 0;
    let (k1, k2, k3, k4) = if straight {
        (
            a.unsigned_abs(),
            b.unsigned_abs(),
            d.unsigned_abs(),
            c.unsigned_abs(),
        )
    } else {
        (
            b.unsigned_abs(),
            a.unsigned_abs(),
            c.unsigned_abs(),
            d.unsigned_abs(),
        )
    };
    let (k1, k2, k3, k4) = (
        u128::from(k1),
        u128::from(k2),
        u128::from(k3),
        u128::from(k4),
    );
    let (mut s, mut t) = (0i128, 0i128);
    for (xw, yw) in x.iter_mut().zip(y.iter_mut()) {
        let (p, q) = if straight { (*xw, *yw) } else { (*yw, *xw) };
        let (p, q) = (u128::from(p), u128::from(q));
        s += (k1 * p) as i128 - (k2 * q) as i128;
        t += (k3 * q) as i128 - (k4 * p) as i128;
        *xw = s as u64;
        *yw = t as u64;
        s >>= 64;
        t >>= 64;
    }
    debug_assert!(s == 0 && t == 0, "Euclid's remainders are not negative");
    trim(x);
    trim(y);
}

pub(super) fn trim(x: &mut Vec<u64>) {
    while x.last() == Some(&0) {
        x.pop();
    }
}

/// The bit length of a number given by its words (least significant
/// first, no leading zero word).
pub(super) fn bit_len(x: &[u64]) -> u64 {
    x.last()
        .map_or(0, |&w| 64 * x.len() as u64 - u64::from(w.leading_zeros()))
}

/// Bits `shift..shift + 62` of `x` (fewer at the top), as an i64.
fn top_bits(x: &[u64], shift: u64) -> i64 {
    let (word, bit) = ((shift / 64) as usize, (shift % 64) as u32);
    let lo = x.get(word).copied().unwrap_or(0);
    let hi = x.get(word + 1).copied().unwrap_or(0);
    let v = (u128::from(hi) << 64 | u128::from(lo)) >> bit;
    (v as u64 & ((1 << 62) - 1)) as i64
}

fn to_u128(x: &[u64]) -> u128 {
    x.iter().rev().fold(0, |v, &w| v << 64 | u128::from(w))
}

/// Stein's binary gcd.
fn gcd_u128(mut a: u128, mut b: u128) -> u128 {
    if a == 0 || b == 0 {
        return a | b;
    }
    let k = (a | b).trailing_zeros();
    a >>= a.trailing_zeros();
    loop {
        b >>= b.trailing_zeros();
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        b -= a;
        if b == 0 {
            return a << k;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_integer::Integer as _;

    proptest::proptest! {
        /// Lehmer's gcd agrees with num-integer's, common factors included.
        #[test]
        fn lehmer_gcd(
            a in proptest::collection::vec(proptest::num::u64::ANY, 0..40),
            b in proptest::collection::vec(proptest::num::u64::ANY, 0..40),
            common in proptest::collection::vec(proptest::num::u64::ANY, 0..20),
        ) {
            let c = from_words(&common) | BigUint::from(1u32);
            let (a, b) = (from_words(&a) * &c, from_words(&b) * &c);
            proptest::prop_assert_eq!(gcd(&a, &b), a.gcd(&b));
        }

        /// Numbers close in size and far apart, and small ones.
        #[test]
        fn lehmer_gcd_shapes(
            a in proptest::collection::vec(proptest::num::u64::ANY, 1..34),
            b in proptest::collection::vec(proptest::num::u64::ANY, 1..3),
            shift in 0usize..2048,
        ) {
            let (a, b) = (from_words(&a), from_words(&b));
            let far = &b << shift;
            proptest::prop_assert_eq!(gcd(&a, &far), a.gcd(&far));
            proptest::prop_assert_eq!(gcd(&b, &(&b + 1u32)), BigUint::from(1u32));
            let two = BigUint::from(2u32);
            proptest::prop_assert_eq!(gcd(&(&a * &two), &(&far * &two)), (&a * &two).gcd(&(&far * &two)));
        }
    }

    #[test]
    fn small_cases() {
        let z = BigUint::from(0u32);
        let big = BigUint::from(6u32) << 500u32;
        assert_eq!(gcd(&z, &z), z);
        assert_eq!(gcd(&big, &z), big);
        assert_eq!(gcd(&z, &big), big);
        assert_eq!(
            gcd(&big, &(BigUint::from(9u32) << 300u32)),
            BigUint::from(3u32) << 300u32
        );
        assert_eq!(gcd_u128(u128::MAX, 1 << 127), 1);
        assert_eq!(gcd_u128(12 << 100, 18 << 90), 6 << 90);
    }
}
