//! Block YAML for ODCS documents, read the same by YAML 1.1 readers
//! (PyYAML, and so datacontract-cli) and YAML 1.2 readers.
//!
//! A plain string is only written plain when no reader could take it for
//! anything else: a YAML 1.1 reader loads `2017-07-01T00:00:00Z`, `yes`,
//! `0x1F` or `1_000` as a time, a boolean or a number, and the standard
//! wants a string there. Every other string is double-quoted (JSON's
//! escapes are YAML's), or, spanning lines, a literal block.

use serde_json::Value;

/// `value` as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => mapping(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => sequence(&mut out, items, 0),
        scalar => {
            out.push_str(&inline(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn mapping(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (index, (key, value)) in map.iter().enumerate() {
        // The first key of a sequence item follows its `- `.
        if index > 0 || !out.ends_with("- ") {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&string(key, indent));
        out.push(':');
        nested(out, value, indent, indent + 2);
    }
}

fn sequence(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => mapping(out, map, indent + 2),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                sequence(out, inner, indent + 2);
            }
            scalar => {
                out.push_str(&inline(scalar, indent + 2));
                out.push('\n');
            }
        }
    }
}

/// After `key:`: a scalar on the same line, a mapping below at
/// `deeper`, a sequence below at the key's own `indent`.
fn nested(out: &mut String, value: &Value, indent: usize, deeper: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            mapping(out, map, deeper);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            sequence(out, items, indent);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar, deeper));
            out.push('\n');
        }
    }
}

/// A scalar (or an empty collection) on one line, or a literal block
/// indented to `indent`.
fn inline(value: &Value, indent: usize) -> String {
    match value {
        Value::String(text) => string(text, indent),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        Value::Number(number) => self::number(&number.to_string()),
        other => other.to_string(),
    }
}

/// A number as both YAML versions read it: JSON's `1e16` and `1e-7` are
/// text to a YAML 1.1 reader, whose floats need a point and a signed
/// exponent (`1.0e+16`, `1.0e-7`).
fn number(json: &str) -> String {
    let Some((mantissa, exponent)) = json.split_once(['e', 'E']) else {
        return json.to_string();
    };
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    let exponent = if exponent.starts_with(['+', '-']) {
        exponent.to_string()
    } else {
        format!("+{exponent}")
    };
    format!("{mantissa}e{exponent}")
}

/// `text` plain when it cannot be read as anything but this string, as a
/// literal block when it spans lines, else double-quoted.
fn string(text: &str, indent: usize) -> String {
    if is_plain(text) {
        return text.to_string();
    }
    let block_safe = text.contains('\n')
        && !text.ends_with('\n')
        && !text.starts_with([' ', '\n'])
        && text.lines().all(|line| !line.ends_with([' ', '\t']))
        && !text.chars().any(|c| c.is_control() && c != '\n');
    if block_safe {
        let pad = " ".repeat(indent);
        let lines: Vec<String> = text
            .split('\n')
            .map(|line| match line.is_empty() {
                true => String::new(),
                false => format!("{pad}{line}"),
            })
            .collect();
        return format!("|-\n{}", lines.join("\n"));
    }
    serde_json::to_string(text).expect("a string is JSON")
}

/// Whether `text` reads back as this very string in YAML 1.1 and 1.2: it
/// starts with a letter, holds only letters, digits and `_ . / -` and
/// inner spaces, and is none of the words either version takes for a
/// boolean or NULL.
fn is_plain(text: &str) -> bool {
    const WORDS: [&str; 12] = [
        "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && !text.ends_with(' ')
        && !text.contains("  ")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-' | ' '))
        && !WORDS.contains(&text.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_with_exponents_read_as_floats_in_yaml_1_1() {
        assert_eq!(number("1e16"), "1.0e+16");
        assert_eq!(number("1.5e-7"), "1.5e-7");
        assert_eq!(number("-2e300"), "-2.0e+300");
        assert_eq!(number("0.25"), "0.25");
        assert_eq!(number("42"), "42");
    }
    use serde_json::json;

    #[test]
    fn what_a_reader_could_mistake_is_quoted() {
        for (text, written) in [
            ("open_time", "open_time"),
            ("NUMERIC(38, 9)", "\"NUMERIC(38, 9)\""),
            ("2017-07-01T00:00:00Z", "\"2017-07-01T00:00:00Z\""),
            ("yes", "\"yes\""),
            ("No", "\"No\""),
            ("1_000", "\"1_000\""),
            ("", "\"\""),
            ("a: b", "\"a: b\""),
            ("^[A-Z]{3}$", "\"^[A-Z]{3}$\""),
        ] {
            assert_eq!(string(text, 0), written, "{text}");
        }
    }

    #[test]
    fn nested_documents_are_block_yaml() {
        let document = json!({
            "name": "t",
            "list": [{"a": 1, "b": [true, null]}, "x"],
            "empty": [],
            "text": "two\nlines",
        });
        assert_eq!(
            to_yaml(&document),
            "name: t\nlist:\n- a: 1\n  b:\n  - true\n  - null\n- x\nempty: []\ntext: |-\n  two\n  lines\n"
        );
    }
}
