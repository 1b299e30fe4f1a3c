//! A `local` server: files, and how to read them. ODCS gives such a
//! server a `path` and a `format`; the reading options (NULL tokens,
//! delimiter, quote, header, encoding, time formats) travel as its custom
//! properties, so a document says how its files are written.

use serde_json::{Map, Value, json};

use super::import::node::{Node, Problems};
use super::vocabulary::custom;
use crate::input::ReadingText;

/// Files a document's table is kept in, and how they are read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileServer {
    /// The server's name in the document (`files` when exported).
    pub name: String,
    /// The files: a path or a glob, relative to the working directory.
    pub path: String,
    /// `csv`, `parquet` or `json`.
    pub format: String,
    /// How the files are read, as the options are written.
    pub reading: ReadingText,
}

/// Each reading option with its custom property's name.
fn options(reading: &mut ReadingText) -> [(&'static str, &mut Option<String>); 7] {
    [
        ("nullValues", &mut reading.null_values),
        ("delimiter", &mut reading.delimiter),
        ("quote", &mut reading.quote),
        ("header", &mut reading.header),
        ("encoding", &mut reading.encoding),
        ("timestampFormat", &mut reading.timestamp_format),
        ("dateFormat", &mut reading.date_format),
    ]
}

impl FileServer {
    /// The files at `path` read with `reading`; the format from the path's
    /// extension (`csv` when it has none ODCS names).
    pub fn new(path: &str, reading: ReadingText) -> FileServer {
        let extension = path
            .rsplit('.')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let format = match extension.as_str() {
            "parquet" | "pq" => "parquet",
            "ndjson" | "jsonl" | "json" => "json",
            _ => "csv",
        };
        FileServer {
            name: "files".into(),
            path: path.to_string(),
            format: format.into(),
            reading,
        }
    }

    /// The server as the document writes it.
    pub fn to_json(&self) -> Value {
        let mut server = Map::new();
        server.insert("server".into(), json!(self.name));
        server.insert("type".into(), json!("local"));
        server.insert("path".into(), json!(self.path));
        server.insert("format".into(), json!(self.format));
        let mut reading = self.reading.clone();
        let properties: Vec<Value> = options(&mut reading)
            .into_iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| custom::property(name, json!(v))))
            .collect();
        if !properties.is_empty() {
            server.insert("customProperties".into(), Value::Array(properties));
        }
        Value::Object(server)
    }

    /// The `local` server `node` (its `type` taken already), its reading
    /// options checked as `contracts validate` checks them.
    pub(super) fn read(node: &mut Node, problems: &mut Problems) -> Option<FileServer> {
        let name = node.string("server", problems).unwrap_or_default();
        let path = node.string("path", problems);
        let format = node.string("format", problems);
        let mut reading = ReadingText::default();
        node.custom_properties(problems, |property, value, _| {
            let slot = options(&mut reading)
                .into_iter()
                .find(|(name, _)| *name == property)
                .map(|(_, slot)| slot)?;
            Some(match value {
                Value::String(text) => {
                    *slot = Some(text);
                    Ok(())
                }
                Value::Bool(flag) => {
                    *slot = Some(flag.to_string());
                    Ok(())
                }
                other => Err(format!("expected text, found {other}")),
            })
        });
        if let Err(error) = reading.parse() {
            problems.invalid(
                node.path_of("customProperties"),
                format!("the reading option {}: {}", error.option, error.message),
            );
        }
        let (Some(path), Some(format)) = (path, format) else {
            problems.invalid(node.path(), "a local server needs a `path` and a `format`");
            return None;
        };
        if !matches!(format.as_str(), "csv" | "parquet" | "json") {
            problems.unsupported(
                node.path_of("format"),
                format!("files of format `{format}` (csv, parquet, json)"),
            );
        }
        Some(FileServer {
            name,
            path,
            format,
            reading,
        })
    }
}
