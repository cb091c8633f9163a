// SPDX-License-Identifier: GPL-2.0

//! Statistics of the rounds: median, quartiles and range, ratios paired by round.

use super::*;

/// Median and spread of a sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// First and third quartiles (linear interpolation between order statistics).
    pub q1: f64,
    pub q3: f64,
}

pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    sorted[lo] + (sorted[hi] - sorted[lo]) * frac
}

/// The spread of `xs`; [`None`] if it is empty or holds a NaN.
pub fn spread(xs: &[f64]) -> Option<Spread> {
    if xs.is_empty() || xs.iter().any(|x| x.is_nan()) {
        return None;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    Some(Spread {
        n: s.len(),
        median: quantile(&s, 0.5),
        min: s[0],
        max: s[s.len() - 1],
        q1: quantile(&s, 0.25),
        q3: quantile(&s, 0.75),
    })
}

/// Ratios of `xs` to `base`, paired by round.
pub fn paired_ratios(xs: &[f64], base: &[f64]) -> Vec<f64> {
    xs.iter()
        .zip(base)
        .filter(|(_, b)| **b > 0.0)
        .map(|(x, b)| x / b)
        .collect()
}

/// Cycles per block for a measured `rate` (cycles per second) and the wanted block length.
pub fn cycles_for(rate: f64, block: Duration) -> u64 {
    let n = rate * block.as_secs_f64();
    if n.is_finite() {
        (n.round() as u64).clamp(20, 1_000_000)
    } else {
        20
    }
}
