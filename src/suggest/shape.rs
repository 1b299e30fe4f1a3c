//! The fixed format of codes and ids: a regular expression every value
//! matches, inferred from the values.

/// A pattern every value matches, and their lengths in characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The anchored pattern.
    pub pattern: String,
    /// The shortest value's length.
    pub min_length: u64,
    /// The longest value's length.
    pub max_length: u64,
}

/// The longest value that counts as a code rather than text.
const MAX_CODE_LENGTH: usize = 64;

/// A class of characters: its pattern, and whether a character is in it.
type Charset = (&'static str, fn(char) -> bool);

/// Classes a character of a code falls in, the narrowest first.
const CHARSETS: [Charset; 9] = [
    ("[0-9]", |c| c.is_ascii_digit()),
    ("[A-Z]", |c| c.is_ascii_uppercase()),
    ("[a-z]", |c| c.is_ascii_lowercase()),
    ("[A-Z0-9]", |c| c.is_ascii_uppercase() || c.is_ascii_digit()),
    ("[a-z0-9]", |c| c.is_ascii_lowercase() || c.is_ascii_digit()),
    ("[A-Za-z]", |c| c.is_ascii_alphabetic()),
    ("[A-Za-z0-9]", |c| c.is_ascii_alphanumeric()),
    ("[A-Za-z0-9_-]", |c| {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    }),
    ("[A-Za-z0-9_.-]", |c| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
    }),
];

/// The shape of `values` when they look like codes: no spaces, at most 64
/// characters, and either one length or no lower-case letter (words of
/// text vary in both). `None` otherwise.
pub fn infer(values: &[String]) -> Option<Shape> {
    let lengths: Vec<usize> = values.iter().map(|v| v.chars().count()).collect();
    let (&min_length, &max_length) = (lengths.iter().min()?, lengths.iter().max()?);
    let code_like = min_length > 0
        && max_length <= MAX_CODE_LENGTH
        && values
            .iter()
            .all(|v| v.chars().all(|c| c.is_ascii_graphic()))
        && (min_length == max_length
            || values
                .iter()
                .all(|v| !v.chars().any(|c| c.is_ascii_lowercase())));
    if !code_like {
        return None;
    }
    let pattern = by_runs(values).or_else(|| by_charset(values, min_length, max_length))?;
    Some(Shape {
        pattern,
        min_length: min_length as u64,
        max_length: max_length as u64,
    })
}

/// A character's class in a run: upper, lower, digit, or itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Upper,
    Lower,
    Digit,
    Literal(char),
}

impl Class {
    fn of(c: char) -> Class {
        if c.is_ascii_uppercase() {
            Class::Upper
        } else if c.is_ascii_lowercase() {
            Class::Lower
        } else if c.is_ascii_digit() {
            Class::Digit
        } else {
            Class::Literal(c)
        }
    }

    fn pattern(self) -> String {
        match self {
            Class::Upper => "[A-Z]".into(),
            Class::Lower => "[a-z]".into(),
            Class::Digit => "[0-9]".into(),
            Class::Literal(c) => regex::escape(&c.to_string()),
        }
    }
}

/// Each value as runs of one class, with their lengths.
fn runs(value: &str) -> Vec<(Class, usize)> {
    let mut runs: Vec<(Class, usize)> = Vec::new();
    for class in value.chars().map(Class::of) {
        match runs.last_mut() {
            Some((last, count)) if *last == class => *count += 1,
            _ => runs.push((class, 1)),
        }
    }
    runs
}

/// `^[A-Z]{3}-[0-9]{2,4}$`: when every value has the same runs of classes.
fn by_runs(values: &[String]) -> Option<String> {
    let first = runs(values.first()?);
    let mut bounds: Vec<(usize, usize)> = first.iter().map(|(_, n)| (*n, *n)).collect();
    for value in &values[1..] {
        let other = runs(value);
        if other.len() != first.len() || other.iter().zip(&first).any(|(a, b)| a.0 != b.0) {
            return None;
        }
        for ((_, n), (low, high)) in other.iter().zip(bounds.iter_mut()) {
            *low = (*low).min(*n);
            *high = (*high).max(*n);
        }
    }
    let mut pattern = String::from("^");
    for ((class, _), (low, high)) in first.iter().zip(&bounds) {
        pattern.push_str(&class.pattern());
        pattern.push_str(&repetition(*low, *high));
    }
    pattern.push('$');
    Some(pattern)
}

/// `^[A-Z0-9]{5,20}$`: the narrowest class holding every character.
fn by_charset(values: &[String], min: usize, max: usize) -> Option<String> {
    let (class, _) = CHARSETS
        .iter()
        .find(|(_, holds)| values.iter().all(|v| v.chars().all(holds)))?;
    Some(format!("^{class}{}$", repetition(min, max)))
}

fn repetition(low: usize, high: usize) -> String {
    match (low, high) {
        (1, 1) => String::new(),
        (low, high) if low == high => format!("{{{low}}}"),
        (low, high) => format!("{{{low},{high}}}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(values: &[&str]) -> Option<String> {
        let values: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        infer(&values).map(|shape| shape.pattern)
    }

    #[test]
    fn codes_get_the_pattern_of_their_runs() {
        assert_eq!(shape(&["JFK", "LGA", "EWR"]).as_deref(), Some("^[A-Z]{3}$"));
        assert_eq!(
            shape(&["N12345", "N1234"]).as_deref(),
            Some("^[A-Z][0-9]{4,5}$")
        );
        assert_eq!(
            shape(&["2024-01", "1999-12"]).as_deref(),
            Some(r"^[0-9]{4}\-[0-9]{2}$")
        );
    }

    #[test]
    fn mixed_runs_fall_back_to_the_narrowest_class() {
        assert_eq!(
            shape(&["BTCUSDT", "1INCHUSDT"]).as_deref(),
            Some("^[A-Z0-9]{7,9}$")
        );
    }

    #[test]
    fn text_has_no_shape() {
        assert_eq!(shape(&["hello world", "a b"]), None);
        assert_eq!(shape(&["Alice", "Bob"]), None);
        assert_eq!(shape(&[""]), None);
        assert_eq!(shape(&[&"X".repeat(65)]), None);
    }

    #[test]
    fn every_value_matches_its_shape() {
        let values: Vec<String> = ["AB-1", "CD-22", "EF-333"].map(String::from).to_vec();
        let pattern = regex::Regex::new(&infer(&values).unwrap().pattern).unwrap();
        assert!(values.iter().all(|v| pattern.is_match(v)));
    }
}
