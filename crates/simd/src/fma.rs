//! The fold in 52-bit limbs with AVX2 and FMA, for CPUs without AVX-512
//! IFMA: 52-bit limbs are exact in doubles, and two fused multiply-adds
//! split their 104-bit product exactly (Emmart, Zheng and Weems, "Faster
//! modular exponentiation using double precision floating point arithmetic
//! on the GPU", 2018):
//!
//! - h = w·r + 2^104, rounded: its mantissa is the high half, rounded to
//!   nearest (the sum lies in [2^104, 2^105), where a double's unit is
//!   2^52);
//! - lo = w·r − (h − 2^104), exact: the low half, within ±2^51 (with
//!   rounding to nearest, the floating-point environment Rust assumes:
//!   changing it is undefined behaviour);
//!
//! and a double's bits, read as an integer, are its mantissa plus a
//! constant for a fixed binade, so the halves are summed in 64-bit integer
//! lanes as the bits of h and of lo + 1.5·2^52, and the constants taken
//! off once per sum (the sums wrap, their results do not).
//!
//! The layout is the IFMA kernel's with four lanes: product scanning, four
//! limbs a step, each folded vector's four windows made once (three
//! shuffles) and kept in a ring, R's limbs broadcast from memory. Each
//! product's high half belongs one limb up, so a step's high halves are
//! shifted up a lane, the top one carried into the next step. The limbs
//! come out signed (a low half can be negative), so the carry across a
//! step is taken in scalar code with arithmetic shifts (AVX2 has no 64-bit
//! one).
//!
//! Each product costs two multiply-adds, two additions and two integer
//! additions for four lanes, against IFMA's two instructions for eight: on
//! this project's machine (Zen 4) the fold takes about 112 µs for a
//! 2048-bit modulus, against 137 µs for the 28-bit code built for AVX2 that
//! this replaced and 37 µs with IFMA. The mix alone runs at 1.9 cycles per
//! four products (64 µs for the fold); the rest is the per-step carry and
//! the loads of windows.

use std::arch::x86_64::{
    __m256d, __m256i, _mm256_add_epi64, _mm256_add_pd, _mm256_blend_epi32, _mm256_castpd_si256,
    _mm256_castsi256_pd, _mm256_extract_epi64, _mm256_fmadd_pd, _mm256_fmsub_pd, _mm256_or_si256,
    _mm256_permute2f128_pd, _mm256_permute4x64_epi64, _mm256_set1_epi64x, _mm256_set1_pd,
    _mm256_setr_epi64x, _mm256_setzero_pd, _mm256_setzero_si256, _mm256_shuffle_pd,
    _mm256_sub_epi64, _mm256_sub_pd,
};

pub(crate) const BITS: u32 = 52;
const MASK: u64 = (1 << BITS) - 1;
/// Limbs folded per step: one vector.
pub(crate) const ROWS: usize = 4;
/// 2^104.
const HIGH: f64 = 20_282_409_603_651_670_423_947_251_286_016.0;
/// 1.5·2^52.
const LOW: f64 = 6_755_399_441_055_744.0;
/// 2^52.
const UNIT: f64 = 4_503_599_627_370_496.0;

/// The exact double of each of four limbs below 2^52: the limb's bits
/// under 2^52's exponent make 2^52 + limb, less 2^52.
#[inline]
#[target_feature(enable = "avx2")]
fn to_doubles(v: __m256i) -> __m256d {
    let unit = _mm256_set1_pd(UNIT);
    _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(v, _mm256_castpd_si256(unit))),
        unit,
    )
}

/// The four windows of a folded vector q: window d is limbs `-d .. 4 - d`
/// of it (the top d limbs of the vector before it, `prev`, then q's).
#[inline]
#[target_feature(enable = "avx2")]
fn windows(q: __m256d, prev: __m256d) -> [__m256d; 4] {
    // [p2, p3, q0, q1]
    let mid = _mm256_permute2f128_pd::<0x21>(prev, q);
    [
        q,
        // [p3, q0, q1, q2]
        _mm256_shuffle_pd::<0b0101>(mid, q),
        mid,
        // [p1, p2, p3, q0]
        _mm256_shuffle_pd::<0b0101>(prev, mid),
    ]
}

/// Slots of [`Ring`]: more than the folded vectors a step reads (K / 4).
const SLOTS: usize = 32;

/// The windows of the last [`SLOTS`] folded vectors, folded vector j in
/// slot j mod [`SLOTS`].
type Ring = [[__m256d; 4]; SLOTS];

/// The low halves (into each limb) and high halves (into the limb above)
/// of the products of R with the folded vectors before step `a` (their
/// windows in `ring`), summed. K is a multiple of 8 (R padded with zero
/// limbs): eight products (two folded vectors) at a time, the newest last.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn products<const K: usize>(a: usize, ring: &Ring, r: &[f64; K]) -> (__m256i, __m256i) {
    let zero = _mm256_setzero_si256();
    let (high, low) = (_mm256_set1_pd(HIGH), _mm256_set1_pd(LOW));
    let (mut lows, mut highs) = (zero, zero);
    for (c, rc) in r.chunks_exact(8).enumerate().rev() {
        let (mut lo4, mut hi4) = (zero, zero);
        for (e, re) in rc.chunks_exact(4).enumerate() {
            let w = &ring[a.wrapping_sub(1 + 2 * c + e) % SLOTS];
            for d in 0..4 {
                let rv = _mm256_set1_pd(re[d]);
                let h = _mm256_fmadd_pd(w[d], rv, high);
                let lo = _mm256_fmsub_pd(w[d], rv, _mm256_sub_pd(h, high));
                hi4 = _mm256_add_epi64(hi4, _mm256_castpd_si256(h));
                lo4 = _mm256_add_epi64(lo4, _mm256_castpd_si256(_mm256_add_pd(lo, low)));
            }
        }
        // opaque, or the compiler reassociates the integer sums across
        // the whole step, computes every product first and spills them all
        // to the stack (twice as slow)
        let [lo4, hi4] = std::hint::black_box([lo4, hi4]);
        lows = _mm256_add_epi64(lows, lo4);
        highs = _mm256_add_epi64(highs, hi4);
    }
    let total = |s: __m256i, bias: f64| {
        // K biases of `bias`'s bits came with the halves
        let k = K as i64;
        _mm256_sub_epi64(s, _mm256_set1_epi64x(k.wrapping_mul(bias.to_bits() as i64)))
    };
    (total(lows, LOW), total(highs, HIGH))
}

#[inline]
#[target_feature(enable = "avx2")]
fn lanes(v: __m256i) -> [i64; 4] {
    [
        _mm256_extract_epi64::<0>(v),
        _mm256_extract_epi64::<1>(v),
        _mm256_extract_epi64::<2>(v),
        _mm256_extract_epi64::<3>(v),
    ]
}

/// `p` (52-bit limbs, followed by zeros) with its lowest `4·blocks` limbs
/// folded away using `r` = 2^-208 mod n (K limbs, zeros above n's, as
/// doubles; K a multiple of 8): congruent to p·2^(-208·blocks) mod n, as
/// exact 52-bit limbs. `p` is at least `4·(blocks + K / 4 + 2)` limbs
/// long.
#[target_feature(enable = "avx2,fma")]
pub(crate) fn fold<const K: usize>(p: &[u64], r: &[f64; K], blocks: usize) -> Vec<u64> {
    let tail = K / 4 + 2;
    debug_assert!(K / 4 < SLOTS && p.len() >= ROWS * (blocks + tail));
    let zero = _mm256_setzero_pd();
    let mut ring: Ring = [[zero; 4]; SLOTS];
    let mut newest = [zero; 4];
    // the high half of the top lane, for the next step's lowest limb, in
    // lane 0; and the carry into it
    let mut above = _mm256_setzero_si256();
    let mut carry = 0i64;
    let mut out = Vec::with_capacity(p.len() - ROWS * blocks + 1);
    for (a, pa) in p.chunks_exact(ROWS).enumerate().take(blocks + tail) {
        // opaque, so that r[y] is broadcast from memory in each step
        // rather than hoisted into 40 vectors that spill to the stack
        let r = std::hint::black_box(r);
        let (low, high) = products(a, &ring, r);
        // [h3, h0, h1, h2], then h3 of the step before in lane 0
        let up = _mm256_permute4x64_epi64::<0b10_01_00_11>(high);
        let limbs = _mm256_add_epi64(
            _mm256_add_epi64(
                _mm256_setr_epi64x(pa[0] as i64, pa[1] as i64, pa[2] as i64, pa[3] as i64),
                low,
            ),
            _mm256_blend_epi32::<0b0000_0011>(up, above),
        );
        above = up;
        // exact limbs; the limbs are signed, the carry an arithmetic shift
        let q = lanes(limbs).map(|v| {
            let v = v + carry;
            carry = v >> BITS;
            (v as u64) & MASK
        });
        let folded = if a < blocks {
            to_doubles(_mm256_setr_epi64x(
                q[0] as i64,
                q[1] as i64,
                q[2] as i64,
                q[3] as i64,
            ))
        } else {
            // past the folded part: the limbs as they are
            out.extend(q);
            zero
        };
        newest = windows(folded, newest[0]);
        ring[a % SLOTS] = newest;
    }
    // the number is not negative, so neither is the last carry; it goes
    // into the first of P's limbs past the tail (zeros, for any shift
    // `Dividend::fold` picks)
    debug_assert!(carry >= 0);
    let mut carry = carry as u64;
    for &limb in &p[(ROWS * (blocks + tail)).min(p.len())..] {
        out.push(limb + carry);
        carry = 0;
    }
    out.push(carry);
    out
}

/// [`fold`] for the modulus's size (`r` has as many limbs as n): K is
/// n's 52-bit limb count rounded up to a multiple of 8 that fits the
/// shared-prime sets' sizes (10, 15, 20, 40 and 79 limbs), R padded with
/// zero limbs.
#[target_feature(enable = "avx2,fma")]
pub(crate) fn fold_any(p: &[u64], r: &[u64], blocks: usize) -> Vec<u64> {
    fn doubles<const K: usize>(r: &[u64]) -> [f64; K] {
        let mut out = [0.0; K];
        for (o, &x) in out.iter_mut().zip(r) {
            // below 2^52: exact
            *o = x as f64;
        }
        out
    }
    match r.len() {
        0..=16 => fold::<16>(p, &doubles(r), blocks),
        17..=24 => fold::<24>(p, &doubles(r), blocks),
        25..=40 => fold::<40>(p, &doubles(r), blocks),
        _ => fold::<80>(p, &doubles(r), blocks),
    }
}
