//! Zipf's law over ranks 1..=n (chance of rank k proportional to k^-s), drawn by rejection
//! inversion (W. Hörmann and G. Derflinger, "Rejection-inversion to generate variates from
//! monotone discrete distributions", 1996): a few floating point operations a draw and nothing
//! per rank, whatever n is.

use rand::Rng;

pub struct Zipf {
    count: u64,
    exponent: f64,
    /// H(1.5) - 1, where H is the integral of the hat function h(x) = x^-s.
    h_integral_first: f64,
    /// H(n + 0.5).
    h_integral_last: f64,
    /// Draws with k - x at most this are accepted without evaluating H.
    squeeze: f64,
}

impl Zipf {
    /// Ranks 1..=count (count at least 1), exponent s >= 0 (0: uniform).
    pub fn new(count: u64, exponent: f64) -> Zipf {
        let count = count.max(1);
        let mut zipf = Zipf {
            count,
            exponent: exponent.max(0.0),
            h_integral_first: 0.0,
            h_integral_last: 0.0,
            squeeze: 0.0,
        };
        zipf.h_integral_first = zipf.h_integral(1.5) - 1.0;
        zipf.h_integral_last = zipf.h_integral(count as f64 + 0.5);
        zipf.squeeze = 2.0 - zipf.h_integral_inverse(zipf.h_integral(2.5) - zipf.h(2.0));
        zipf
    }

    /// A rank from 1 to count.
    pub fn sample(&self, rng: &mut impl Rng) -> u64 {
        if self.exponent == 0.0 {
            return rng.random_range(1..=self.count);
        }
        loop {
            let u = self.h_integral_last
                + rng.random::<f64>() * (self.h_integral_first - self.h_integral_last);
            let x = self.h_integral_inverse(u);
            let rank = ((x + 0.5) as u64).clamp(1, self.count);
            let k = rank as f64;
            if k - x <= self.squeeze || u >= self.h_integral(k + 0.5) - self.h(k) {
                return rank;
            }
        }
    }

    fn h(&self, x: f64) -> f64 {
        (-self.exponent * x.ln()).exp()
    }

    fn h_integral(&self, x: f64) -> f64 {
        let log_x = x.ln();
        expm1_over_x((1.0 - self.exponent) * log_x) * log_x
    }

    fn h_integral_inverse(&self, x: f64) -> f64 {
        let t = (x * (1.0 - self.exponent)).max(-1.0);
        (log1p_over_x(t) * x).exp()
    }
}

/// ln(1 + x) / x, continuous at 0.
fn log1p_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.ln_1p() / x
    } else {
        1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x))
    }
}

/// (e^x - 1) / x, continuous at 0.
fn expm1_over_x(x: f64) -> f64 {
    if x.abs() > 1e-8 {
        x.exp_m1() / x
    } else {
        1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x))
    }
}

#[cfg(test)]
mod tests;
