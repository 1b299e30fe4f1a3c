//! Bounds with a margin, rounded outward to numbers people write.

/// Where the bounds of a numeric column lie: beyond the `low` and `high`
/// quantiles by `margin` times the distance between them, never inside
/// the observed `min` and `max` (a suggestion passes on its own input), and
/// never below 0 for a column that holds no negative value.
pub fn range(min: f64, max: f64, low: f64, high: f64, margin: f64) -> (f64, f64) {
    let span = high - low;
    let span = if span > 0.0 { span } else { low.abs().max(1.0) };
    let mut lower = low - margin * span;
    if min >= 0.0 && lower < 0.0 {
        lower = 0.0;
    }
    let lower = round_down(lower.min(min), span);
    let upper = round_up((high + margin * span).max(max), span);
    (lower, upper)
}

/// The step bounds round to: a tenth of the span's order of magnitude.
fn step(span: f64) -> i32 {
    span.abs().max(f64::MIN_POSITIVE).log10().floor() as i32 - 1
}

/// `value` rounded down to the step of `span`.
pub fn round_down(value: f64, span: f64) -> f64 {
    rounded(value, step(span), Direction::Down)
}

/// `value` rounded up to the step of `span`.
pub fn round_up(value: f64, span: f64) -> f64 {
    rounded(value, step(span), Direction::Up)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Down,
    Up,
}

/// `value` rounded to a multiple of 10^`exponent`, written so that the
/// decimal reads back exactly (`0.4`, not `0.41` from `40.00000000000001`
/// hundredths), and never past `value` inward.
fn rounded(value: f64, exponent: i32, direction: Direction) -> f64 {
    let scale = 10f64.powi(-exponent);
    // Units of the step, without the last bits of binary noise.
    let units = (value * scale * 1e6).round() / 1e6;
    let units = match direction {
        Direction::Down => units.floor(),
        Direction::Up => units.ceil(),
    };
    let result = if exponent >= 0 {
        units * 10f64.powi(exponent)
    } else {
        units / scale
    };
    match direction {
        Direction::Down => result.min(value),
        Direction::Up => result.max(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_lie_beyond_the_quantiles_and_the_extremes() {
        let (lower, upper) = range(-1116.0, 1688.0, -20.0, 180.0, 0.5);
        assert!(lower <= -1116.0 && upper >= 1688.0);
        assert_eq!((lower, upper), (-1120.0, 1690.0));
    }

    #[test]
    fn a_column_without_negatives_starts_at_zero() {
        assert_eq!(range(3.0, 99.0, 11.0, 95.0, 0.5), (0.0, 137.0));
    }

    #[test]
    fn small_numbers_round_to_readable_decimals() {
        let (lower, upper) = range(0.1, 0.3, 0.1, 0.3, 0.5);
        assert_eq!((lower, upper), (0.0, 0.4));
        assert_eq!(round_up(0.012_34, 0.01), 0.013);
    }

    #[test]
    fn a_constant_column_gets_room_around_its_value() {
        let (lower, upper) = range(5.0, 5.0, 5.0, 5.0, 0.5);
        assert!(lower < 5.0 && upper > 5.0, "{lower} {upper}");
    }
}
