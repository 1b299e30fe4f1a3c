//! Anchored patterns made of single-character classes with repetitions,
//! such as `^[A-Z]{3}$`, `^N[0-9A-Z]{4,5}$` or `^\d{4}-\d{2}$`, decided
//! over the bytes of an ASCII value without a regex engine.
//!
//! Such a pattern is a sequence of items, each a class of characters (a
//! literal, `.`, `\d`, `\w`, `\s`, their negations, or a bracketed class)
//! with a repetition. Over ASCII text each class is a set of bytes, so the
//! pattern compiles to at most 63 positions, one per byte the value may
//! hold (`[A-Z]{2,3}` is three positions, the last optional; `*` and `+`
//! make a position repeat). A value is read once, byte by byte, carrying
//! the set of positions reached as the bits of one word (the "shift-and"
//! technique).
//!
//! The answer is the regex crate's, always:
//! - with both anchors the question is only whether the whole value is in
//!   the pattern's language, which the positions decide;
//! - on ASCII text every character is one byte, and `\d`, `\w`, `\s`, `.`
//!   and negated classes hold exactly the ASCII bytes their Unicode
//!   definitions hold;
//! - a value with any byte outside ASCII is handed to the regex engine.
//!
//! Anything else (no anchors, alternation, groups, flags, other escapes,
//! class set operations) is not compiled: the caller leaves the whole
//! check to the regex engine.

use regex::Regex;

/// The most positions a pattern may compile to: one bit each, plus the
/// accepting one, in a `u64`.
const MAX_POSITIONS: usize = 63;

/// Characters with a meaning outside a class; escaped, they are literals.
const META: &[u8] = b"\\.+*?()|[]{}^$";

/// A set of ASCII bytes, one bit each.
type Bytes = u128;

/// A compiled anchored pattern.
#[derive(Debug, Clone)]
pub(super) struct AsciiPattern {
    /// Per byte value, the positions whose class holds it.
    accepts: [u64; 128],
    /// The positions a value may skip (optional or repeating ones).
    skippable: u64,
    /// The positions that stay reached after reading a byte (`*`, `+`).
    repeating: u64,
    /// The bit of the position after the last: reached means matched.
    accepting: u64,
    /// The same pattern for the regex engine, for values beyond ASCII.
    regex: Regex,
}

impl AsciiPattern {
    /// The pattern, when it is an anchored sequence of single-character
    /// classes this matcher decides exactly; `None` for any other pattern.
    pub(super) fn compile(pattern: &str) -> Option<Self> {
        let body = pattern.strip_prefix('^')?.strip_suffix('$')?;
        let mut positions: Vec<(Bytes, Kind)> = Vec::new();
        let mut rest = body.as_bytes();
        while !rest.is_empty() {
            let (class, after) = item(rest)?;
            let (min, max, after) = repetition(after)?;
            if positions.len() + max.unwrap_or(min).max(1) > MAX_POSITIONS {
                return None;
            }
            let mut push = |kind| positions.push((class, kind));
            match max {
                Some(max) => {
                    (0..min).for_each(|_| push(Kind::Required));
                    (min..max).for_each(|_| push(Kind::Optional));
                }
                None => {
                    (1..min).for_each(|_| push(Kind::Required));
                    push(if min == 0 {
                        Kind::Any
                    } else {
                        Kind::AtLeastOne
                    });
                }
            }
            rest = after;
        }
        let regex = Regex::new(pattern).ok()?;
        Some(Self::from_positions(&positions, regex))
    }

    fn from_positions(positions: &[(Bytes, Kind)], regex: Regex) -> Self {
        let mut pattern = AsciiPattern {
            accepts: [0; 128],
            skippable: 0,
            repeating: 0,
            accepting: 1 << positions.len(),
            regex,
        };
        for (index, (class, kind)) in positions.iter().enumerate() {
            let bit = 1u64 << index;
            for (byte, accepts) in pattern.accepts.iter_mut().enumerate() {
                if class & (1 << byte) != 0 {
                    *accepts |= bit;
                }
            }
            if matches!(kind, Kind::Optional | Kind::Any) {
                pattern.skippable |= bit;
            }
            if matches!(kind, Kind::AtLeastOne | Kind::Any) {
                pattern.repeating |= bit;
            }
        }
        pattern
    }

    /// Whether the whole of `value` is in the pattern's language.
    pub(super) fn is_match(&self, value: &str) -> bool {
        let mut reached = self.skip(1);
        for &byte in value.as_bytes() {
            let Some(accepts) = self.accepts.get(usize::from(byte)) else {
                return self.regex.is_match(value);
            };
            let read = reached & accepts;
            reached = self.skip((read << 1) | (read & self.repeating));
            if reached == 0 {
                // No match; unless a later byte is beyond ASCII, where the
                // regex engine has the last word.
                return !value.is_ascii() && self.regex.is_match(value);
            }
        }
        reached & self.accepting != 0
    }

    /// `reached` with every position reachable from it by skipping.
    fn skip(&self, mut reached: u64) -> u64 {
        loop {
            let next = reached | ((reached & self.skippable) << 1);
            if next == reached {
                return reached;
            }
            reached = next;
        }
    }
}

/// How a position repeats.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Exactly once.
    Required,
    /// Once or not at all.
    Optional,
    /// Once or more (`+`).
    AtLeastOne,
    /// Any number of times (`*`).
    Any,
}

/// The set of the bytes `from..=to`.
const fn span(from: u8, to: u8) -> Bytes {
    let mut bytes = 0;
    let mut byte = from;
    while byte <= to {
        bytes |= 1 << byte;
        byte += 1;
    }
    bytes
}

/// Every ASCII byte.
const ASCII: Bytes = span(0, 127);
/// `\d` over ASCII.
const DIGIT: Bytes = span(b'0', b'9');
/// `\w` over ASCII.
const WORD: Bytes = DIGIT | span(b'A', b'Z') | span(b'a', b'z') | 1 << b'_';
/// `\s` over ASCII: tab, line feed, vertical tab, form feed, carriage
/// return and space.
const SPACE: Bytes = span(b'\t', b'\r') | 1 << b' ';

/// The class an item at the start of `pattern` matches, and what follows.
fn item(pattern: &[u8]) -> Option<(Bytes, &[u8])> {
    match pattern {
        [b'[', rest @ ..] => bracketed(rest),
        [b'.', rest @ ..] => Some((ASCII & !(1 << b'\n'), rest)),
        [b'\\', escaped, rest @ ..] => Some((escape(*escaped)?, rest)),
        [byte, rest @ ..] if is_literal(*byte) && !META.contains(byte) => Some((1 << byte, rest)),
        _ => None,
    }
}

/// A printable ASCII character.
fn is_literal(byte: u8) -> bool {
    byte.is_ascii_graphic() || byte == b' '
}

/// The class of `\` followed by `escaped`: a Perl class, or a punctuation
/// character taken literally.
fn escape(escaped: u8) -> Option<Bytes> {
    match escaped {
        b'd' => Some(DIGIT),
        b'D' => Some(ASCII & !DIGIT),
        b'w' => Some(WORD),
        b'W' => Some(ASCII & !WORD),
        b's' => Some(SPACE),
        b'S' => Some(ASCII & !SPACE),
        // `\<` and `\>` are word boundaries.
        b'<' | b'>' => None,
        byte if byte.is_ascii_punctuation() => Some(1 << byte),
        _ => None,
    }
}

/// The class of a bracketed class whose `[` was read, and what follows
/// its `]`: printable characters, escapes and ranges between two
/// characters, possibly negated; no nested classes or set operations.
fn bracketed(pattern: &[u8]) -> Option<(Bytes, &[u8])> {
    let (negated, mut pattern) = match pattern {
        [b'^', rest @ ..] => (true, rest),
        rest => (false, rest),
    };
    let member = |byte: u8| is_literal(byte) && !b"[]\\^-&~".contains(&byte);
    let mut class: Bytes = 0;
    let mut empty = true;
    loop {
        match pattern {
            [b']', rest @ ..] if !empty => {
                return Some((if negated { ASCII & !class } else { class }, rest));
            }
            [low, b'-', high, rest @ ..] if member(*low) && member(*high) => {
                if low > high {
                    return None;
                }
                class |= span(*low, *high);
                pattern = rest;
            }
            [b'\\', escaped, rest @ ..] => {
                class |= escape(*escaped)?;
                pattern = rest;
            }
            [byte, rest @ ..] if member(*byte) => {
                class |= 1 << byte;
                pattern = rest;
            }
            _ => return None,
        }
        empty = false;
    }
}

/// The repetition at the start of `pattern`: (at least, at most or
/// unbounded, what follows). No repetition is exactly once; lazy and
/// possessive forms are not taken.
fn repetition(pattern: &[u8]) -> Option<(usize, Option<usize>, &[u8])> {
    let (min, max, rest) = match pattern {
        [b'?', rest @ ..] => (0, Some(1), rest),
        [b'*', rest @ ..] => (0, None, rest),
        [b'+', rest @ ..] => (1, None, rest),
        [b'{', rest @ ..] => {
            let close = rest.iter().position(|byte| *byte == b'}')?;
            let (min, max) = bounds(std::str::from_utf8(&rest[..close]).ok()?)?;
            (min, max, &rest[close + 1..])
        }
        _ => return Some((1, Some(1), pattern)),
    };
    // A quantifier followed by `?` is lazy, by `+` possessive; by another
    // quantifier, an error the regex engine reports.
    if matches!(rest.first(), Some(b'?' | b'+' | b'*' | b'{')) {
        return None;
    }
    Some((min, max, rest))
}

/// The bounds written inside `{…}`: `n`, `m,` or `m,n`.
fn bounds(inside: &str) -> Option<(usize, Option<usize>)> {
    let number = |text: &str| -> Option<usize> {
        if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    let (min, max) = match inside.split_once(',') {
        None => (number(inside)?, Some(number(inside)?)),
        Some((min, "")) => (number(min)?, None),
        Some((min, max)) => (number(min)?, Some(number(max)?)),
    };
    if max.is_some_and(|max| max < min) || min > MAX_POSITIONS {
        return None;
    }
    Some((min, max))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn compiles_anchored_single_character_classes_only() {
        for pattern in [
            "^[A-Z]{3}$",
            "^N[0-9A-Z]{4,5}$",
            "^[a-z_]+$",
            "^x*y?$",
            "^[0-9]{2,}$",
            r"^\d{4}-\d{2}-\d{2}$",
            r"^[^@\s]+@[^@\s]+\.[a-z]{2,6}$",
            "^.{1,5}$",
            r"^\$\d+\.\d\d$",
        ] {
            assert!(AsciiPattern::compile(pattern).is_some(), "{pattern}");
        }
        for pattern in [
            "[A-Z]{3}",
            "^[A-Z]{3}",
            r"^\bA$",
            "^(ab)+$",
            "^a|b$",
            "^(?i)a$",
            "^[A-Z]{3}?$",
            "^a++$",
            "^[A-Z]{3,2}$",
            "^[]$",
            "^[a-z&&[^aeiou]]$",
            "^[[:alpha:]]$",
            "^a{64}$",
            "^a{1,4000000000}$",
            "^é$",
            r"^\p{L}$",
            r"^\<a$",
            r"^a\$",
        ] {
            assert!(AsciiPattern::compile(pattern).is_none(), "{pattern}");
        }
    }

    #[test]
    fn decides_like_the_regex_crate_on_examples() {
        let pattern = AsciiPattern::compile("^N[0-9A-Z]{4,5}$").unwrap();
        assert!(pattern.is_match("N1234"));
        assert!(pattern.is_match("N12AB5"));
        assert!(!pattern.is_match("N123"));
        assert!(!pattern.is_match("N123456"));
        assert!(!pattern.is_match("n1234"));
        assert!(!pattern.is_match("N12É4"));
        assert!(!pattern.is_match(""));
        let empty = AsciiPattern::compile("^a*$").unwrap();
        assert!(empty.is_match(""));
        assert!(empty.is_match("aaaa"));
        // Beyond ASCII, `\d` holds other digits: the regex engine decides.
        let digits = AsciiPattern::compile(r"^\d{2}$").unwrap();
        assert!(digits.is_match("٣4"));
        assert!(!digits.is_match("x٣4"));
    }

    /// Patterns from a small grammar of the supported forms.
    fn pattern() -> impl Strategy<Value = String> {
        let class = prop::sample::select(vec![
            "[A-C]", "[a-c0-2]", "[B_]", "a", "B", "-", " ", r"\.", ".", r"\d", r"\D", r"\w",
            r"\W", r"\s", r"\S", "[^a-c]", r"[\d_]", r"[^\s]",
        ]);
        let repeat = prop_oneof![
            Just(String::new()),
            Just("?".to_string()),
            Just("*".to_string()),
            Just("+".to_string()),
            (0usize..3).prop_map(|n| format!("{{{n}}}")),
            (0usize..3, 0usize..3).prop_map(|(a, b)| format!("{{{a},{}}}", a + b)),
            (0usize..3).prop_map(|n| format!("{{{n},}}")),
        ];
        prop::collection::vec((class, repeat), 1..5).prop_map(|items| {
            let body: String = items.into_iter().map(|(c, r)| c.to_string() + &r).collect();
            format!("^{body}$")
        })
    }

    proptest! {
        #[test]
        fn agrees_with_the_regex_crate(
            pattern in pattern(),
            values in prop::collection::vec("[aAbBcC012_ .\\-\t\n\u{b}é٣\u{85}\u{2003}]{0,7}", 1..40),
        ) {
            let compiled = AsciiPattern::compile(&pattern).expect("a supported form");
            let regex = Regex::new(&pattern).unwrap();
            for value in values {
                prop_assert_eq!(
                    compiled.is_match(&value),
                    regex.is_match(&value),
                    "{} on {:?}", pattern, value
                );
            }
        }
    }
}
