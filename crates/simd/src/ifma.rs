//! The fold in 52-bit limbs with AVX-512 IFMA (`vpmadd52luq`/`vpmadd52huq`:
//! the low or high 52 bits of eight 52×52-bit products added to eight
//! 64-bit lanes in one instruction).
//!
//! Product scanning, one vector of eight limbs at a time: vector A of the
//! running number is P's vector A plus, for every limb r[y] of R (= 2^-416
//! mod n), the low halves of r[y] times eight consecutive folded limbs and
//! the high halves of r[y-1] times the same eight. Every lane of every
//! multiply is a needed product: 8×40 limbs, 80 multiplies a step for a
//! 2048-bit modulus, the minimum. The eight consecutive folded limbs
//! ("windows") are two folded vectors aligned by `valignq`, made once per
//! folded vector and kept in a ring for the steps that read them; r[y] is
//! broadcast from memory. Eight accumulators keep the multiplies
//! independent, and only the products with the previous step's vector wait
//! for it, so consecutive steps overlap. Carrying a vector into exact
//! 52-bit limbs takes two shifts and adds across lanes, plus a loop for the
//! rare ripple through a limb of all ones.
//!
//! On this project's machine (AMD EPYC, Zen 4) a step costs about 89
//! cycles, against 80 for its multiplies alone (one 512-bit IFMA a cycle).

use std::arch::x86_64::{
    __m512i, _mm256_extract_epi64, _mm512_add_epi64, _mm512_alignr_epi64, _mm512_and_si512,
    _mm512_cmpgt_epu64_mask, _mm512_extracti64x4_epi64, _mm512_madd52hi_epu64,
    _mm512_madd52lo_epu64, _mm512_set1_epi64, _mm512_setr_epi64, _mm512_setzero_si512,
    _mm512_srli_epi64,
};

pub(crate) const BITS: u32 = 52;
const MASK: u64 = (1 << BITS) - 1;
/// Limbs folded per step: one vector.
pub(crate) const ROWS: usize = 8;

/// P in 52-bit limbs, eight to a vector, with zero vectors after it.
pub(crate) type Vectors = [[u64; 8]];

#[inline]
#[target_feature(enable = "avx512f")]
fn load(v: &[u64; 8]) -> __m512i {
    _mm512_setr_epi64(
        v[0] as i64,
        v[1] as i64,
        v[2] as i64,
        v[3] as i64,
        v[4] as i64,
        v[5] as i64,
        v[6] as i64,
        v[7] as i64,
    )
}

#[inline]
#[target_feature(enable = "avx512f")]
fn lanes(v: __m512i) -> [u64; 8] {
    let lo = _mm512_extracti64x4_epi64::<0>(v);
    let hi = _mm512_extracti64x4_epi64::<1>(v);
    [
        _mm256_extract_epi64::<0>(lo) as u64,
        _mm256_extract_epi64::<1>(lo) as u64,
        _mm256_extract_epi64::<2>(lo) as u64,
        _mm256_extract_epi64::<3>(lo) as u64,
        _mm256_extract_epi64::<0>(hi) as u64,
        _mm256_extract_epi64::<1>(hi) as u64,
        _mm256_extract_epi64::<2>(hi) as u64,
        _mm256_extract_epi64::<3>(hi) as u64,
    ]
}

/// The eight windows of a folded vector q: window d is limbs `-d .. 8 - d`
/// of it (the top d limbs of the vector before it, `prev`, then q's).
#[inline]
#[target_feature(enable = "avx512f")]
fn windows(q: __m512i, prev: __m512i) -> [__m512i; 8] {
    [
        q,
        _mm512_alignr_epi64::<7>(q, prev),
        _mm512_alignr_epi64::<6>(q, prev),
        _mm512_alignr_epi64::<5>(q, prev),
        _mm512_alignr_epi64::<4>(q, prev),
        _mm512_alignr_epi64::<3>(q, prev),
        _mm512_alignr_epi64::<2>(q, prev),
        _mm512_alignr_epi64::<1>(q, prev),
    ]
}

/// The products of R with the windows `w` of the folded vector `C + 1`
/// steps back, which land in the vector being summed: window d meets r[y]
/// (low halves) and r[y - 1] (high halves) for y = 8·C + d, into
/// accumulator d.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn column<const K: usize, const C: usize>(acc: &mut [__m512i; 8], w: &[__m512i; 8], r: &[u64; K]) {
    if C > K / 8 {
        return;
    }
    for d in 0..8 {
        let y = 8 * C + d;
        if y < K {
            acc[d] = _mm512_madd52lo_epu64(acc[d], w[d], _mm512_set1_epi64(r[y] as i64));
        }
        if y > 0 && y <= K {
            acc[d] = _mm512_madd52hi_epu64(acc[d], w[d], _mm512_set1_epi64(r[y - 1] as i64));
        }
    }
}

/// Slots of [`Ring`]: more than the folded vectors a step reads (K / 8 + 1).
const SLOTS: usize = 16;

/// The windows of the last [`SLOTS`] folded vectors, folded vector j in
/// slot j mod [`SLOTS`]: made once, read by the next K / 8 steps.
type Ring = [[__m512i; 8]; SLOTS];

/// Vector `a` of the running number, not carried: P's vector `a` plus
/// every product of R with the folded vectors before it (the newest one's
/// windows in `newest`, older ones in `ring`). Eight accumulators, so that
/// the multiply-adds do not wait on each other; the products with the
/// newest vector come last.
#[inline]
#[target_feature(enable = "avx512f,avx512ifma")]
fn sum<const K: usize>(
    p: &[u64; 8],
    a: usize,
    newest: &[__m512i; 8],
    ring: &Ring,
    r: &[u64; K],
) -> __m512i {
    let zero = _mm512_setzero_si512();
    let mut acc = [load(p), zero, zero, zero, zero, zero, zero, zero];
    let slot = |c: usize| &ring[a.wrapping_sub(1 + c) % SLOTS];
    column::<K, 10>(&mut acc, slot(10), r);
    column::<K, 9>(&mut acc, slot(9), r);
    column::<K, 8>(&mut acc, slot(8), r);
    column::<K, 7>(&mut acc, slot(7), r);
    column::<K, 6>(&mut acc, slot(6), r);
    column::<K, 5>(&mut acc, slot(5), r);
    column::<K, 4>(&mut acc, slot(4), r);
    column::<K, 3>(&mut acc, slot(3), r);
    column::<K, 2>(&mut acc, slot(2), r);
    column::<K, 1>(&mut acc, slot(1), r);
    column::<K, 0>(&mut acc, newest, r);
    let [a0, a1, a2, a3, a4, a5, a6, a7] = acc;
    _mm512_add_epi64(
        _mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)),
        _mm512_add_epi64(_mm512_add_epi64(a4, a5), _mm512_add_epi64(a6, a7)),
    )
}

/// Eight exact 52-bit limbs of `acc` plus the carry in lane 7 of `carry`,
/// and the carry out, in lane 7.
#[inline]
#[target_feature(enable = "avx512f")]
fn carry_through(acc: __m512i, carry: __m512i) -> (__m512i, __m512i) {
    let mask = _mm512_set1_epi64(MASK as i64);
    let zero = _mm512_setzero_si512();
    let hi = _mm512_srli_epi64::<52>(acc);
    // lane 0 takes the carry in, lane j the high part of lane j - 1
    let mut s = _mm512_add_epi64(
        _mm512_and_si512(acc, mask),
        _mm512_alignr_epi64::<7>(hi, carry),
    );
    let mut out = hi;
    // each lane is now below 2^52 + 2^12: one more carry of 0 or 1, which
    // can ripple on through lanes of all ones
    while _mm512_cmpgt_epu64_mask(s, mask) != 0 {
        let c = _mm512_srli_epi64::<52>(s);
        s = _mm512_add_epi64(_mm512_and_si512(s, mask), _mm512_alignr_epi64::<7>(c, zero));
        out = _mm512_add_epi64(out, c);
    }
    (s, out)
}

/// `p` with its lowest `8·blocks` limbs folded away using `r` = 2^-416
/// mod n (K limbs, zeros above n's): congruent to p·2^(-416·blocks) mod n,
/// as 52-bit limbs not carried (each below 2^61). `p` is followed by at
/// least `H` zero vectors past `blocks`; `H` is `K / 8 + 2`.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) fn fold<const K: usize, const H: usize>(
    p: &Vectors,
    r: &[u64; K],
    blocks: usize,
) -> Vec<u64> {
    debug_assert!(H == K / 8 + 2 && H < SLOTS && p.len() >= blocks + H);
    let zero = _mm512_setzero_si512();
    let mut ring: Ring = [[zero; 8]; SLOTS];
    let mut newest = [zero; 8];
    let mut carry = zero;
    for (a, pa) in p[..blocks].iter().enumerate() {
        // opaque, so that r[y] is broadcast from memory by each multiply
        // rather than hoisted into 40 vectors that spill to the stack
        let r = std::hint::black_box(r);
        let s = sum(pa, a, &newest, &ring, r);
        let q;
        (q, carry) = carry_through(s, carry);
        newest = windows(q, newest[0]);
        ring[a % SLOTS] = newest;
    }
    // past the folded part: the limbs as they are, the last carry in the
    // first of them
    let mut out = Vec::with_capacity((p.len() - blocks) * 8);
    let mut first = _mm512_alignr_epi64::<7>(zero, carry);
    for (a, pa) in p.iter().enumerate().take(blocks + H).skip(blocks) {
        let s = sum(pa, a, &newest, &ring, r);
        out.extend(lanes(_mm512_add_epi64(s, first)));
        first = zero;
        newest = windows(zero, newest[0]);
        ring[a % SLOTS] = newest;
    }
    for pa in &p[(blocks + H).min(p.len())..] {
        out.extend(pa);
    }
    out
}

/// [`fold`] for the modulus's size (`r` has as many limbs as n): K is
/// n's 52-bit limb count rounded up to one of the shared-prime sets' sizes
/// (512, 768, 1024, 2048 and 4096 bits), R padded with zero limbs.
#[target_feature(enable = "avx512f,avx512ifma")]
pub(crate) fn fold_any(p: &Vectors, r: &[u64], blocks: usize) -> Vec<u64> {
    fn padded<const K: usize>(r: &[u64]) -> [u64; K] {
        let mut out = [0; K];
        out[..r.len()].copy_from_slice(r);
        out
    }
    match r.len() {
        0..=10 => fold::<10, 3>(p, &padded(r), blocks),
        11..=15 => fold::<15, 3>(p, &padded(r), blocks),
        16..=20 => fold::<20, 4>(p, &padded(r), blocks),
        21..=40 => fold::<40, 7>(p, &padded(r), blocks),
        _ => fold::<79, 11>(p, &padded(r), blocks),
    }
}
