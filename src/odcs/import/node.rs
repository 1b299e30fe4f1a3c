//! Reading a document key by key, so that nothing is dropped unseen: every
//! key a reader does not take is reported, with its path, when its mapping
//! is finished.

use std::fmt;

use serde_json::{Map, Value};

/// Why a part of a document was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProblemKind {
    /// Valid ODCS that a contract cannot express.
    Unsupported,
    /// Not valid where it stands: a wrong type, a missing key, a value that
    /// does not fit its column.
    Invalid,
}

/// One thing in a document that stops the import, at its path
/// (`schema[0].properties[2].logicalTypeOptions.format`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where in the document.
    pub path: String,
    /// Unsupported or invalid.
    pub kind: ProblemKind,
    /// What it is, and why it cannot be imported.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ProblemKind::Unsupported => "unsupported",
            ProblemKind::Invalid => "invalid",
        };
        write!(f, "{}: {kind}: {}", self.path, self.message)
    }
}

/// Every problem found so far, in document order.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    /// Records a construct a contract cannot express.
    pub fn unsupported(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(path.into(), ProblemKind::Unsupported, message.into());
    }

    /// Records a value that is wrong where it stands.
    pub fn invalid(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.push(path.into(), ProblemKind::Invalid, message.into());
    }

    fn push(&mut self, path: String, kind: ProblemKind, message: String) {
        self.0.push(Problem {
            path,
            kind,
            message,
        });
    }
}

/// A mapping of the document being read: keys are taken out as they are
/// understood, and [`Node::finish`] reports those left.
pub struct Node {
    path: String,
    entries: Map<String, Value>,
}

impl Node {
    /// The mapping `value` at `path`; `None` (and a problem) when it is not
    /// a mapping.
    pub fn new(path: &str, value: &Value, problems: &mut Problems) -> Option<Node> {
        match value {
            Value::Object(entries) => Some(Node {
                path: path.to_string(),
                entries: entries.clone(),
            }),
            other => {
                problems.invalid(path, format!("expected a mapping, found {}", kind(other)));
                None
            }
        }
    }

    /// The path of `key` in this mapping.
    pub fn path_of(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Takes `key`'s value, if present and not null.
    pub fn take(&mut self, key: &str) -> Option<Value> {
        self.entries
            .shift_remove(key)
            .filter(|value| !value.is_null())
    }

    /// Takes `key`'s text.
    pub fn string(&mut self, key: &str, problems: &mut Problems) -> Option<String> {
        match self.take(key)? {
            Value::String(text) => Some(text),
            other => {
                problems.invalid(
                    self.path_of(key),
                    format!("expected text, found {}", kind(&other)),
                );
                None
            }
        }
    }

    /// Takes `key`'s boolean.
    pub fn boolean(&mut self, key: &str, problems: &mut Problems) -> Option<bool> {
        match self.take(key)? {
            Value::Bool(flag) => Some(flag),
            other => {
                problems.invalid(
                    self.path_of(key),
                    format!("expected true or false, found {}", kind(&other)),
                );
                None
            }
        }
    }

    /// Takes `key`'s whole number.
    pub fn integer(&mut self, key: &str, problems: &mut Problems) -> Option<i64> {
        match self.take(key)? {
            Value::Number(number) if number.is_i64() => number.as_i64(),
            other => {
                problems.invalid(
                    self.path_of(key),
                    format!("expected a whole number, found {}", kind(&other)),
                );
                None
            }
        }
    }

    /// Takes `key`'s sequence: each item with its path.
    pub fn items(&mut self, key: &str, problems: &mut Problems) -> Vec<(String, Value)> {
        let path = self.path_of(key);
        match self.take(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(index, item)| (format!("{path}[{index}]"), item))
                .collect(),
            Some(other) => {
                problems.invalid(path, format!("expected a sequence, found {}", kind(&other)));
                Vec::new()
            }
        }
    }

    /// Takes `key`'s mapping as a node of its own.
    pub fn child(&mut self, key: &str, problems: &mut Problems) -> Option<Node> {
        let value = self.take(key)?;
        Node::new(&self.path_of(key), &value, problems)
    }

    /// The path of this mapping.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// `key`'s value, without taking it.
    pub fn peek(&self, key: &str) -> Option<&Value> {
        self.entries.get(key).filter(|value| !value.is_null())
    }

    /// Whether `key` is (still) present.
    pub fn has(&self, key: &str) -> bool {
        self.entries.get(key).is_some_and(|value| !value.is_null())
    }

    /// Takes `customProperties`, handing each `{property, value}` to
    /// `read`, which answers `None` for a property it does not know
    /// (reported as unsupported) and an error for a value it cannot use
    /// (reported as invalid).
    pub fn custom_properties(
        &mut self,
        problems: &mut Problems,
        mut read: impl FnMut(&str, Value, &mut Problems) -> Option<Result<(), String>>,
    ) {
        let mut seen = Vec::new();
        for (path, item) in self.items("customProperties", problems) {
            let Some(mut item) = Node::new(&path, &item, problems) else {
                continue;
            };
            let name = item.string("property", problems).unwrap_or_default();
            let value = item.take("value").unwrap_or(Value::Null);
            if seen.contains(&name) {
                problems.invalid(item.path_of("property"), format!("`{name}` given twice"));
                item.finish(problems);
                continue;
            }
            seen.push(name.clone());
            match read(&name, value, problems) {
                None => problems.unsupported(
                    item.path_of("property"),
                    format!("the custom property `{name}`"),
                ),
                Some(Err(error)) => {
                    problems.invalid(item.path_of("value"), format!("`{name}`: {error}"))
                }
                Some(Ok(())) => {}
            }
            item.finish(problems);
        }
    }

    /// Reports every key not taken as unsupported.
    pub fn finish(self, problems: &mut Problems) {
        for key in self.entries.keys() {
            problems.unsupported(
                self.path_of(key),
                format!("`{key}` has no equivalent in a contract"),
            );
        }
    }
}

/// What kind of YAML value `value` is, for messages.
pub fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a sequence",
        Value::Object(_) => "a mapping",
    }
}
