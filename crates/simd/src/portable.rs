//! The fold in 28-bit limbs, written so that the compiler vectorises it
//! for the baseline instruction set (SSE2 on x86-64): the path for CPUs
//! without AVX2 and FMA, and for other architectures.
//!
//! A product of two 28-bit limbs fits in 56 bits, so 32×32→64-bit vector
//! multiplies (`pmuludq`) do the work and a 64-bit lane sums up to 2^8 of
//! them without a carry: position p of the number receives one product per
//! limb of R (at most 147, for a 4096-bit modulus), below 2^64 with the
//! limb of P and the carry.

pub(crate) const BITS: u32 = 28;
const MASK: u64 = (1 << BITS) - 1;
/// Limbs folded per step.
pub(crate) const ROWS: usize = 8;

/// `p` (28-bit limbs) with its lowest `rows` limbs folded away using `r` =
/// 2^-224 mod n: at each step the lowest eight limbs, carried into exact
/// 28-bit limbs m[0..8], are replaced by m·r added eight limbs up. The
/// result (limbs not carried) is congruent to p·2^(-28·rows) mod n.
/// `rows` is a multiple of [`ROWS`]; `r` has at most `KV - 7` limbs.
#[inline(always)]
pub(crate) fn fold<const KV: usize>(p: &[u64], r: &[u64], rows: usize) -> Vec<u64> {
    const LO32: u64 = 0xffff_ffff;
    debug_assert!(rows.is_multiple_of(ROWS) && r.len() + ROWS - 1 <= KV);
    // shifted[g][j] = r[j - g]: limb g's multiple of r where it lands in
    // the window, which starts eight limbs up
    let mut shifted = [[0u64; KV]; ROWS];
    for (g, row) in shifted.iter_mut().enumerate() {
        row[g..g + r.len()].copy_from_slice(r);
    }
    let mut t = p.to_vec();
    t.resize(t.len().max(rows + ROWS + KV), 0);
    for i in (0..rows).step_by(ROWS) {
        let mut carry = 0u128;
        let m: [u64; ROWS] = std::array::from_fn(|g| {
            let v = u128::from(t[i + g]) + carry;
            carry = v >> BITS;
            v as u64 & MASK
        });
        let Ok(window) = <&mut [u64; KV]>::try_from(&mut t[i + ROWS..i + ROWS + KV]) else {
            unreachable!("the window is KV long")
        };
        for j in 0..KV {
            let mut acc = window[j];
            for g in 0..ROWS {
                acc += (m[g] & LO32) * (shifted[g][j] & LO32);
            }
            window[j] = acc;
        }
        // below 2^37 (eight limbs below 2^64, carried); window[0] is below
        // 2^63.3, so the sum does not wrap
        window[0] += carry as u64;
    }
    t.split_off(rows)
}

/// [`fold`] for the modulus's size: the window is R's limbs rounded up to
/// one of a few fixed lengths, so that the compiler sees whole vectors.
pub(crate) fn fold_any(p: &[u64], r: &[u64], rows: usize) -> Vec<u64> {
    match r.len() {
        0..=25 => fold::<32>(p, r, rows),
        26..=41 => fold::<48>(p, r, rows),
        42..=77 => fold::<84>(p, r, rows),
        _ => fold::<156>(p, r, rows),
    }
}
