use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;

/// Draws follow k^-s: a chi-squared test, seeded, so it cannot flake.
#[test]
fn draws_follow_the_law() {
    for (count, exponent) in [
        (1, 1.1),
        (2, 1.0),
        (50, 0.0),
        (50, 0.5),
        (200, 1.0),
        (200, 1.1),
        (60, 2.5),
    ] {
        let zipf = Zipf::new(count, exponent);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let draws = 200_000;
        let mut counts = vec![0u32; count as usize];
        for _ in 0..draws {
            let rank = zipf.sample(&mut rng);
            assert!((1..=count).contains(&rank));
            counts[rank as usize - 1] += 1;
        }
        let weights: Vec<f64> = (1..=count).map(|k| (k as f64).powf(-exponent)).collect();
        let total: f64 = weights.iter().sum();
        let chi_squared: f64 = counts
            .iter()
            .zip(&weights)
            .map(|(&seen, weight)| {
                let expected = weight / total * draws as f64;
                (seen as f64 - expected).powi(2) / expected
            })
            .sum();
        let freedom = (count.max(2) - 1) as f64;
        let bound = freedom + 6.0 * (2.0 * freedom).sqrt();
        assert!(
            chi_squared < bound,
            "n {count}, s {exponent}: chi² {chi_squared} ≥ {bound}"
        );
    }
}

#[test]
fn a_huge_catalog_draws_in_range() {
    let zipf = Zipf::new(9_999_999, 1.1);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let top = (0..10_000).filter(|_| zipf.sample(&mut rng) == 1).count();
    // The first rank's share for s = 1.1 over ten million ranks is about 1 / 10.5.
    assert!((700..1300).contains(&top), "{top}");
}
