//! BigQuery's naming rules for columns, tables, datasets and projects, and the
//! stable id of a row rule.
//!
//! The derive macro applies these very rules to reject a bad name at compile
//! time; the library applies them at run time to names that come from
//! configuration.

/// The longest column name BigQuery accepts.
pub const MAX_COLUMN_NAME_LEN: usize = 300;

/// The longest table or dataset name this project accepts.
pub const MAX_TABLE_NAME_LEN: usize = 1024;

/// Column-name prefixes BigQuery reserves for itself (compared case-insensitively).
pub const RESERVED_COLUMN_PREFIXES: [&str; 6] = [
    "_TABLE_",
    "_FILE_",
    "_PARTITION",
    "_ROW_TIMESTAMP",
    "__ROOT__",
    "_COLIDENTIFIER",
];

/// Why `name` is not a valid BigQuery column name, or `None` when it is.
///
/// A column name matches `[A-Za-z_][A-Za-z0-9_]*`, has at most 300
/// characters, and does not start with a reserved prefix.
pub fn column_name_problem(name: &str) -> Option<String> {
    if let Some(problem) = identifier_problem(name, MAX_COLUMN_NAME_LEN) {
        return Some(format!("column name `{name}` {problem}"));
    }
    let upper = name.to_ascii_uppercase();
    RESERVED_COLUMN_PREFIXES
        .iter()
        .find(|prefix| upper.starts_with(*prefix))
        .map(|prefix| {
            format!("column name `{name}` starts with `{prefix}`, a prefix BigQuery reserves")
        })
}

/// Why `name` is not a valid table name, or `None` when it is.
///
/// BigQuery allows some Unicode in table names; this project keeps to the
/// portable subset `[A-Za-z_][A-Za-z0-9_]*` so the same name works in every
/// warehouse and as a folder name in every object store.
pub fn table_name_problem(name: &str) -> Option<String> {
    identifier_problem(name, MAX_TABLE_NAME_LEN)
        .map(|problem| format!("table name `{name}` {problem}"))
}

/// Why `name` is not a valid BigQuery dataset name, or `None` when it is.
pub fn dataset_name_problem(name: &str) -> Option<String> {
    if name.is_empty() || name.len() > MAX_TABLE_NAME_LEN {
        return Some(format!(
            "dataset name `{name}` must have 1 to {MAX_TABLE_NAME_LEN} characters"
        ));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some(format!(
            "dataset name `{name}` may contain only letters, digits and underscores"
        ));
    }
    None
}

/// Why `id` is not a valid Google Cloud project id, or `None` when it is.
///
/// A project id has 6 to 30 lowercase letters, digits or hyphens, starts with
/// a letter and does not end with a hyphen. A domain-scoped id
/// (`example.com:my-project`) is accepted too.
pub fn project_id_problem(id: &str) -> Option<String> {
    let local = match id.rsplit_once(':') {
        Some((domain, local)) => {
            let domain_ok = !domain.is_empty()
                && domain
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
            if !domain_ok {
                return Some(format!("project id `{id}` has an invalid domain prefix"));
            }
            local
        }
        None => id,
    };
    let valid = (6..=30).contains(&local.len())
        && local.starts_with(|c: char| c.is_ascii_lowercase())
        && !local.ends_with('-')
        && local
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if valid {
        None
    } else {
        Some(format!(
            "project id `{id}` must have 6 to 30 lowercase letters, digits or hyphens, \
             start with a letter and not end with a hyphen"
        ))
    }
}

/// Why `version` is not a semantic version (`1.2.0`, `2.0.0-rc.1`), if it
/// is not.
pub fn version_problem(version: &str) -> Option<String> {
    let core = version.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<_> = core.split('.').collect();
    let valid = parts.len() == 3
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    (!valid).then(|| format!("version `{version}` is not a semantic version such as \"1.2.0\""))
}

/// The stable name of a row rule written as SQL, used in its check id
/// `rule.<name>`: comparison operators become words (`>=` is `ge`), every
/// other run of punctuation becomes one underscore, letters are lowercased.
///
/// `"high >= low"` gives `high_ge_low`; `"close_time > open_time"` gives
/// `close_time_gt_open_time`.
pub fn rule_name(sql: &str) -> String {
    const OPERATORS: [(&str, &str); 8] = [
        (">=", "ge"),
        ("<=", "le"),
        ("<>", "ne"),
        ("!=", "ne"),
        ("=", "eq"),
        (">", "gt"),
        ("<", "lt"),
        ("+", "plus"),
    ];
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut rest = sql;
    while let Some(c) = rest.chars().next() {
        if c.is_alphanumeric() || c == '_' {
            word.extend(c.to_lowercase());
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        match OPERATORS.iter().find(|(op, _)| rest.starts_with(op)) {
            Some((op, name)) => {
                words.push((*name).to_string());
                rest = &rest[op.len()..];
            }
            None => rest = &rest[c.len_utf8()..],
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.join("_")
}

fn identifier_problem(name: &str, max_len: usize) -> Option<String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Some("is empty".to_string());
    };
    if name.len() > max_len {
        return Some(format!("is longer than {max_len} characters"));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Some("must start with a letter or an underscore".to_string());
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some("may contain only letters, digits and underscores".to_string());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_follow_bigquery_rules() {
        assert_eq!(column_name_problem("open_time"), None);
        assert_eq!(column_name_problem("_private1"), None);
        assert!(
            column_name_problem("1st")
                .unwrap()
                .contains("start with a letter")
        );
        assert!(column_name_problem("a-b").unwrap().contains("only letters"));
        assert!(column_name_problem("").unwrap().contains("empty"));
        assert!(
            column_name_problem(&"a".repeat(301))
                .unwrap()
                .contains("300")
        );
        assert_eq!(column_name_problem(&"a".repeat(300)), None);
        assert!(
            column_name_problem("_partitiontime")
                .unwrap()
                .contains("_PARTITION")
        );
        assert!(
            column_name_problem("__root__x")
                .unwrap()
                .contains("__ROOT__")
        );
    }

    #[test]
    fn project_ids_follow_google_rules() {
        assert_eq!(project_id_problem("test-proj"), None);
        assert_eq!(project_id_problem("example.com:my-project"), None);
        assert!(project_id_problem("Bad_Project").is_some());
        assert!(project_id_problem("short").is_some());
        assert!(project_id_problem("ends-with-").is_some());
        assert!(project_id_problem("a`; DROP TABLE x; --").is_some());
    }

    #[test]
    fn dataset_and_table_names_are_portable() {
        assert_eq!(dataset_name_problem("staging_raw"), None);
        assert!(dataset_name_problem("raw.data").is_some());
        assert_eq!(table_name_problem("raw_binance_btcusdt_spot"), None);
        assert!(table_name_problem("raw`x").is_some());
    }

    #[test]
    fn rule_names_spell_operators() {
        assert_eq!(rule_name("high >= low"), "high_ge_low");
        assert_eq!(
            rule_name("close_time > open_time"),
            "close_time_gt_open_time"
        );
        assert_eq!(
            rule_name("high >= GREATEST(open, close)"),
            "high_ge_greatest_open_close"
        );
        assert_eq!(rule_name("origin != destination"), "origin_ne_destination");
        assert_eq!(rule_name("a<>b"), "a_ne_b");
    }
}
