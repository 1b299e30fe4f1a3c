//! The pipeline's configuration, in layers: built-in defaults, then
//! `conf/{environment}.toml`, then environment variables, then command-line
//! flags. Every value remembers where it came from, so an invalid one is
//! reported with its key and its origin.
//!
//! The settings themselves are declared once, in [`SETTINGS`] and beside
//! each source, and gathered in a pipeline's [`Catalogue`]. (This module is
//! long because it turns each general setting into its typed value, with an
//! error naming the key and its origin.)

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::input::byte_count;
use crate::sql::{check_dataset, check_project};
use crate::warehouse::LoadMode;

mod settings;

pub use settings::{Catalogue, SETTINGS, SettingSpec, setting, settings_table};

/// The environment chosen when neither `--env` nor `DATACONTRACT_ENV` names one.
pub const DEFAULT_ENVIRONMENT: &str = "local";

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "layer", content = "name", rename_all = "snake_case")]
pub enum Origin {
    /// The built-in default.
    Default,
    /// A configuration file.
    File(String),
    /// An environment variable.
    Env(String),
    /// A command-line flag.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "the built-in default"),
            Origin::File(path) => write!(f, "{path}"),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::Flag(name) => write!(f, "flag --{name}"),
        }
    }
}

/// An invalid configuration value: which key, from where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: `{key}` (from {origin}): {message}")]
pub struct ConfigError {
    /// The setting's key, e.g. `load_mode`.
    pub key: String,
    /// Where its value came from.
    pub origin: Origin,
    /// What is wrong with it.
    pub message: String,
}

/// The store's top-level folders that are not datasets: run reports, the
/// promotion journal, the landing index, the sources' high-water marks.
const RESERVED_FOLDERS: [&str; 4] = ["runs", "promotion", "fingerprints", "cursors"];

/// One value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// The value as written (lists joined by commas).
    pub value: String,
    /// Where it came from.
    pub origin: Origin,
}

/// The settings of every layer, merged: the last layer to set a key wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layers {
    environment: String,
    catalogue: Catalogue,
    settings: BTreeMap<&'static str, Setting>,
}

impl Layers {
    /// The defaults, then `{conf_dir}/{environment}.toml` (required when
    /// `environment` was chosen explicitly, optional for the default),
    /// then the environment variables `vars` holds, of the settings
    /// `catalogue` declares.
    pub fn load(
        catalogue: &Catalogue,
        conf_dir: &Path,
        environment: Option<&str>,
        vars: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let chosen = environment
            .map(|name| (name.to_string(), Origin::Flag("env".into())))
            .or_else(|| {
                vars("DATACONTRACT_ENV").map(|name| (name, Origin::Env("DATACONTRACT_ENV".into())))
            });
        let explicit = chosen.is_some();
        let (environment, origin) =
            chosen.unwrap_or_else(|| (DEFAULT_ENVIRONMENT.into(), Origin::Default));
        if environment.is_empty()
            || !environment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(ConfigError {
                key: "env".into(),
                origin,
                message: format!(
                    "`{environment}` is not an environment name (letters, digits, `_` and `-`)"
                ),
            });
        }
        let mut layers = Layers {
            environment: environment.clone(),
            catalogue: catalogue.clone(),
            settings: BTreeMap::new(),
        };
        for spec in catalogue.specs() {
            if let Some(default) = spec.default {
                layers.set(spec.key, default.into(), Origin::Default);
            }
        }
        let file = conf_dir.join(format!("{environment}.toml"));
        match std::fs::read_to_string(&file) {
            Ok(text) => layers.read_toml(&file, &text)?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound && !explicit => {}
            Err(error) => {
                return Err(ConfigError {
                    key: "env".into(),
                    origin,
                    message: format!(
                        "cannot read the configuration file {} of environment `{environment}`: {error}",
                        file.display()
                    ),
                });
            }
        }
        for spec in catalogue.specs() {
            if let Some(value) = vars(spec.env).filter(|value| !value.is_empty()) {
                layers.set(spec.key, value, Origin::Env(spec.env.into()));
            }
        }
        Ok(layers)
    }

    /// Sets `key` from a command-line flag (the top layer).
    pub fn set_flag(&mut self, key: &str, value: impl Into<String>) -> Result<(), ConfigError> {
        let origin = Origin::Flag(key.replace('_', "-"));
        let known = self.catalogue.get(key).ok_or_else(|| ConfigError {
            key: key.into(),
            origin: origin.clone(),
            message: "no such setting".into(),
        })?;
        self.set(known.key, value.into(), origin);
        Ok(())
    }

    /// The environment whose file was read.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// The setting of `key`, if any layer set it.
    pub fn get(&self, key: &str) -> Option<&Setting> {
        self.settings.get(key)
    }

    fn set(&mut self, key: &'static str, value: String, origin: Origin) {
        self.settings.insert(key, Setting { value, origin });
    }

    fn read_toml(&mut self, file: &Path, text: &str) -> Result<(), ConfigError> {
        let origin = Origin::File(file.display().to_string());
        let table: toml::Table = text.parse().map_err(|error: toml::de::Error| ConfigError {
            key: "env".into(),
            origin: origin.clone(),
            message: format!("not valid TOML: {}", error.message()),
        })?;
        for (name, value) in table {
            let invalid = |message: String| ConfigError {
                key: name.clone(),
                origin: origin.clone(),
                message,
            };
            let known = self.catalogue.get(&name).copied().ok_or_else(|| {
                invalid(format!(
                    "no such setting; the settings are {}",
                    self.catalogue
                        .specs()
                        .iter()
                        .map(|spec| spec.key)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?;
            let text = match value {
                toml::Value::String(text) => text,
                toml::Value::Integer(number) => number.to_string(),
                toml::Value::Boolean(flag) => flag.to_string(),
                toml::Value::Datetime(at) => at.to_string(),
                toml::Value::Array(items) => items
                    .into_iter()
                    .map(|item| match item {
                        toml::Value::String(text) => Ok(text),
                        other => Err(invalid(format!(
                            "list items must be strings, not `{other}`"
                        ))),
                    })
                    .collect::<Result<Vec<_>, _>>()?
                    .join(","),
                other => return Err(invalid(format!("`{other}` is not a plain value"))),
            };
            self.set(known.key, text, origin.clone());
        }
        Ok(())
    }

    /// Every setting, as a snapshot for the run report: secrets (the
    /// credentials) are replaced by `<redacted>`.
    pub fn snapshot(&self) -> BTreeMap<String, Setting> {
        self.settings
            .iter()
            .map(|(name, setting)| {
                let mut setting = setting.clone();
                if self.catalogue.get(name).is_some_and(|key| key.secret) {
                    setting.value = "<redacted>".into();
                }
                (name.to_string(), setting)
            })
            .collect()
    }

    /// The typed configuration, or the first invalid setting.
    pub fn resolve(&self) -> Result<Config, ConfigError> {
        if let Some(setting) = self.get("credentials")
            && !matches!(setting.origin, Origin::Env(_))
        {
            return Err(self.invalid(
                "credentials",
                "set GOOGLE_APPLICATION_CREDENTIALS in the environment: the Google clients read the key file from there",
            ));
        }
        let source = self.required("source")?.value.clone();
        let store = self.store()?;
        let warehouse = self.warehouse()?;
        let load_mode = match self.required("load_mode")?.value.as_str() {
            "append" => LoadMode::Append,
            "truncate" | "write" => LoadMode::Truncate,
            other => {
                return Err(self.invalid(
                    "load_mode",
                    format!("`{other}` is not `append` or `truncate` (also called `write`)"),
                ));
            }
        };
        let validation = match self.required("validation")?.value.as_str() {
            "polars" => ValidationEngine::Polars,
            "warehouse" => ValidationEngine::Warehouse,
            other => {
                return Err(self.invalid(
                    "validation",
                    format!("`{other}` is not `polars` or `warehouse`"),
                ));
            }
        };
        let transform = match self.required("transform")?.value.as_str() {
            "polars" => TransformEngine::Polars,
            "warehouse" => TransformEngine::Warehouse,
            other => {
                return Err(self.invalid(
                    "transform",
                    format!("`{other}` is not `polars` or `warehouse`"),
                ));
            }
        };
        if transform == TransformEngine::Warehouse && validation == ValidationEngine::Polars {
            return Err(self.invalid(
                "transform",
                "a transform in the `warehouse` leaves the processed rows there, so the gates must check there too: \
                 set `validation = \"warehouse\"`",
            ));
        }
        let max_examples = self
            .required("max_examples")?
            .value
            .parse::<usize>()
            .map_err(|_| self.invalid("max_examples", "not a whole number"))?;
        let promotion_lease = self.promotion_lease()?;
        let staging_dataset = self.dataset("staging_dataset")?;
        let raw_dataset = self.dataset("raw_dataset")?;
        let transformed_dataset = self.dataset("transformed_dataset")?;
        for (key, production) in [
            ("raw_dataset", &raw_dataset),
            ("transformed_dataset", &transformed_dataset),
        ] {
            if staging_dataset.eq_ignore_ascii_case(production) {
                return Err(self.invalid(
                    key,
                    format!(
                        "`{production}` is the staging dataset (`staging_dataset` = `{staging_dataset}`): \
                         staging and production must never be the same tables or store folders \
                         (names are compared ignoring case, as DuckDB and some file systems do)"
                    ),
                ));
            }
        }
        Ok(Config {
            environment: self.environment.clone(),
            source,
            store,
            warehouse,
            staging_dataset,
            raw_dataset,
            raw_table: self.table_name("raw_table")?,
            transformed_dataset,
            transformed_table: self.table_name("transformed_table")?,
            load_mode,
            validation,
            transform,
            max_examples,
            promotion_lease,
            alerts: crate::alert::AlertSettings::from_layers(self)?,
        })
    }

    /// The object store the layers name.
    pub fn store(&self) -> Result<StoreConfig, ConfigError> {
        Ok(match self.required("store")?.value.as_str() {
            "local" => StoreConfig::Local {
                root: PathBuf::from(&self.required("data_dir")?.value),
            },
            "gcs" => StoreConfig::Gcs {
                bucket: self.required("gcs_bucket")?.value.clone(),
                project: self.get("gcs_project").map(|s| s.value.clone()),
                endpoint: self.endpoint("gcs_endpoint")?,
            },
            other => {
                return Err(self.invalid("store", format!("`{other}` is not `local` or `gcs`")));
            }
        })
    }

    /// The warehouse the layers name.
    pub fn warehouse(&self) -> Result<WarehouseConfig, ConfigError> {
        Ok(match self.required("warehouse")?.value.as_str() {
            "duckdb" => WarehouseConfig::DuckDb {
                path: PathBuf::from(&self.required("duckdb_path")?.value),
                memory_limit: self.byte_count("duckdb_memory_limit")?,
            },
            "bigquery" => {
                let project = self.required("project_id")?.value.clone();
                check_project(&project).map_err(|error| self.invalid("project_id", error.0))?;
                WarehouseConfig::BigQuery {
                    project,
                    endpoint: self.endpoint("bigquery_endpoint")?,
                    max_bytes_billed: self.byte_count("max_bytes_billed")?,
                }
            }
            other => {
                return Err(self.invalid(
                    "warehouse",
                    format!("`{other}` is not `duckdb` or `bigquery`"),
                ));
            }
        })
    }

    /// How long a promotion's lease lasts unless renewed.
    pub fn promotion_lease(&self) -> Result<chrono::Duration, ConfigError> {
        self.required("promotion_lease_seconds")?
            .value
            .parse::<i64>()
            .ok()
            .filter(|seconds| (1..=86_400).contains(seconds))
            .map(chrono::Duration::seconds)
            .ok_or_else(|| {
                self.invalid(
                    "promotion_lease_seconds",
                    "not a whole number of seconds from 1 to 86400",
                )
            })
    }

    /// A number of bytes, if set: a whole number, or one with a decimal
    /// (`KB`, `MB`, `GB`, `TB`) or binary (`KiB` … `TiB`) unit.
    fn byte_count(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        let Some(setting) = self.get(key) else {
            return Ok(None);
        };
        byte_count(&setting.value).map(Some).ok_or_else(|| {
            self.invalid(
                key,
                "not a number of bytes greater than 0 (`1000000000`, `200GB`, `1TiB`)",
            )
        })
    }

    /// An API endpoint other than Google's, if set: an `https://` URL, or
    /// `http://` on this machine only (credentials travel with every
    /// request, and must not cross a network unencrypted).
    fn endpoint(&self, key: &str) -> Result<Option<String>, ConfigError> {
        let Some(setting) = self.get(key) else {
            return Ok(None);
        };
        let url = setting.value.trim_end_matches('/');
        if !is_private_url(url) {
            return Err(self.invalid(
                key,
                "not an https:// URL (http:// only to this machine: the credentials go with every request)",
            ));
        }
        Ok(Some(url.to_string()))
    }

    /// The setting of `key`, or an error saying where it can be set.
    pub fn required(&self, key: &str) -> Result<&Setting, ConfigError> {
        self.get(key).ok_or_else(|| {
            let env = self.catalogue.get(key).map(|k| k.env).unwrap_or_default();
            ConfigError {
                key: key.into(),
                origin: Origin::Default,
                message: format!(
                    "it is not set; set it in conf/{}.toml, with {env}, or with --{}",
                    self.environment,
                    key.replace('_', "-")
                ),
            }
        })
    }

    /// Where the secret `{name}_file` and `{name}_env` point to.
    pub fn secret(&self, name: &str) -> crate::secrets::SecretSource {
        let value = |suffix: &str| {
            self.get(&format!("{name}_{suffix}"))
                .map(|setting| setting.value.clone())
        };
        crate::secrets::SecretSource {
            name: name.into(),
            file: value("file").map(PathBuf::from),
            env: value("env"),
        }
    }

    /// The error of an invalid `key`: `message`, with where its value came
    /// from.
    pub fn invalid(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let message = message.into();
        ConfigError {
            key: key.into(),
            origin: self
                .get(key)
                .map(|setting| setting.origin.clone())
                .unwrap_or(Origin::Default),
            message,
        }
    }

    /// The comma-separated items of `key` (a TOML list is joined by
    /// commas), trimmed, the empty ones left out.
    pub fn list(&self, key: &str) -> Result<Vec<String>, ConfigError> {
        Ok(self
            .required(key)?
            .value
            .split(',')
            .map(|item| item.trim().to_string())
            .filter(|item| !item.is_empty())
            .collect())
    }

    /// The time `key` holds: a date (midnight UTC) or an RFC 3339 time.
    pub fn time(&self, key: &str) -> Result<DateTime<Utc>, ConfigError> {
        let text = &self.required(key)?.value;
        parse_time(text).ok_or_else(|| {
            self.invalid(
                key,
                format!(
                    "`{text}` is not a date (2024-01-31) or an RFC 3339 time (2024-01-31T12:00:00Z)"
                ),
            )
        })
    }

    /// A dataset name: valid in SQL, and not one of the store's own
    /// top-level folders (the dataset is also a store folder).
    fn dataset(&self, key: &str) -> Result<String, ConfigError> {
        let name = self.required(key)?.value.clone();
        check_dataset(&name).map_err(|error| self.invalid(key, error.0))?;
        if let Some(folder) = RESERVED_FOLDERS
            .iter()
            .find(|folder| folder.eq_ignore_ascii_case(&name))
        {
            return Err(self.invalid(
                key,
                format!(
                    "`{name}` is the store's own `{folder}/` folder; choose another dataset name"
                ),
            ));
        }
        Ok(name)
    }

    fn table_name(&self, key: &str) -> Result<Option<String>, ConfigError> {
        let Some(setting) = self.get(key) else {
            return Ok(None);
        };
        crate::sql::TableRef::new("dataset", &setting.value)
            .map_err(|error| self.invalid(key, error.0))?;
        Ok(Some(setting.value.clone()))
    }
}

/// Whether `url` keeps what it carries private on the way: `https://`, or
/// `http://` to this machine only.
pub fn is_private_url(url: &str) -> bool {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|host| {
            url.strip_prefix(host)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    url.starts_with("https://") || loopback
}

/// A start or end time: a date (midnight UTC) or an RFC 3339 time.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|date| date.and_hms_opt(0, 0, 0))
                .map(|at| at.and_utc())
        })
}

/// The typed configuration of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The environment whose file was read, e.g. `local`.
    pub environment: String,
    /// The name of the source the raw rows come from (its own settings are
    /// read by the source itself, from the layers).
    pub source: String,
    /// The object store (staging and production share it, by dataset).
    pub store: StoreConfig,
    /// The warehouse (staging and production share it, by dataset).
    pub warehouse: WarehouseConfig,
    /// The dataset of both staging tables and their store folders.
    pub staging_dataset: String,
    /// The production dataset of the raw table.
    pub raw_dataset: String,
    /// The raw table's name, when not the raw contract's.
    pub raw_table: Option<String>,
    /// The production dataset of the transformed table.
    pub transformed_dataset: String,
    /// The transformed table's name, when not the processed contract's.
    pub transformed_table: Option<String>,
    /// How loads treat the rows already in a table.
    pub load_mode: LoadMode,
    /// Where the gates run their checks.
    pub validation: ValidationEngine,
    /// Where the transform runs.
    pub transform: TransformEngine,
    /// Failing example rows kept per check.
    pub max_examples: usize,
    /// How long a promotion holds production without renewing its lease:
    /// a crashed promotion is recovered from within this time.
    pub promotion_lease: chrono::Duration,
    /// Who is told how the run went, and of what.
    pub alerts: crate::alert::AlertSettings,
}

/// The object store a run writes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    /// A local folder.
    Local {
        /// The folder.
        root: PathBuf,
    },
    /// A GCS bucket (`STORAGE_EMULATOR_HOST` selects an emulator).
    Gcs {
        /// The bucket.
        bucket: String,
        /// The project that owns the bucket, when not the warehouse's.
        project: Option<String>,
        /// The JSON API's endpoint, when not Google's (a Private Service
        /// Connect endpoint); requests still carry the credentials.
        endpoint: Option<String>,
    },
}

/// The warehouse a run loads into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WarehouseConfig {
    /// An embedded DuckDB file.
    DuckDb {
        /// The database file.
        path: PathBuf,
        /// The most bytes DuckDB keeps in memory; `None`, its default.
        memory_limit: Option<u64>,
    },
    /// BigQuery (`BIGQUERY_EMULATOR_HOST` selects an emulator).
    BigQuery {
        /// The project the datasets live in.
        project: String,
        /// The REST API's endpoint, when not Google's (a Private Service
        /// Connect endpoint); requests still carry the credentials.
        endpoint: Option<String>,
        /// The most bytes one query may bill.
        max_bytes_billed: Option<u64>,
    },
}

/// Where a gate runs its checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValidationEngine {
    /// In memory, over the run's frame.
    Polars,
    /// Inside the warehouse, as SQL over the staging table.
    Warehouse,
}

/// Where the transform runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformEngine {
    /// In this process: the pipeline's Polars transform over the run's
    /// frame.
    Polars,
    /// Inside the warehouse: the pipeline's SQL transform over the staging
    /// raw table; the processed partition is exported from there to the
    /// store.
    Warehouse,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_readme_lists_every_setting_as_declared() {
        let readme = include_str!("../../../README.md");
        let table = settings_table(SETTINGS);
        assert!(
            readme.contains(&table),
            "README.md's settings table differs from SETTINGS; it should read:\n{table}"
        );
    }

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    /// The error of resolving `local.toml` = `text`, with no environment.
    fn file_error(text: &str) -> (tempfile::TempDir, ConfigError) {
        let dir = conf_dir(&[("local.toml", text)]);
        let error = Layers::load(&Catalogue::default(), dir.path(), None, &vars(&[]))
            .unwrap()
            .resolve()
            .unwrap_err();
        (dir, error)
    }

    fn conf_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        dir
    }

    #[test]
    fn defaults_are_the_embedded_setup() {
        let dir = conf_dir(&[]);
        let config = Layers::load(&Catalogue::default(), dir.path(), None, &vars(&[]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(config.environment, "local");
        assert_eq!(config.source, "sample");
        assert_eq!(
            config.store,
            StoreConfig::Local {
                root: "data".into()
            }
        );
        assert_eq!(
            config.warehouse,
            WarehouseConfig::DuckDb {
                path: "data/warehouse.duckdb".into(),
                memory_limit: None,
            }
        );
        assert_eq!(config.load_mode, LoadMode::Append);
    }

    #[test]
    fn duckdbs_memory_limit_is_a_byte_count() {
        let dir = conf_dir(&[("local.toml", "duckdb_memory_limit = \"512MiB\"\n")]);
        let config = Layers::load(&Catalogue::default(), dir.path(), None, &vars(&[]))
            .unwrap()
            .resolve()
            .unwrap();
        assert_eq!(
            config.warehouse,
            WarehouseConfig::DuckDb {
                path: "data/warehouse.duckdb".into(),
                memory_limit: Some(512 << 20),
            }
        );
        let (_dir, error) = file_error("duckdb_memory_limit = \"half\"\n");
        assert_eq!(error.key, "duckdb_memory_limit");
    }

    #[test]
    fn later_layers_win_and_remember_their_origin() {
        let dir = conf_dir(&[(
            "prod.toml",
            "warehouse = \"bigquery\"\nproject_id = \"file-project\"\nload_mode = \"truncate\"\n",
        )]);
        let mut layers = Layers::load(
            &Catalogue::default(),
            dir.path(),
            Some("prod"),
            &vars(&[
                ("PROJECT_ID", "env-project"),
                ("BIGQUERY_RAW_DATASET", "raw_prod"),
            ]),
        )
        .unwrap();
        layers.set_flag("load_mode", "append").unwrap();
        let config = layers.resolve().unwrap();
        assert_eq!(
            config.warehouse,
            WarehouseConfig::BigQuery {
                project: "env-project".into(),
                endpoint: None,
                max_bytes_billed: None,
            }
        );
        assert_eq!(config.raw_dataset, "raw_prod");
        assert_eq!(config.load_mode, LoadMode::Append);
        assert_eq!(
            layers.get("load_mode").unwrap().origin,
            Origin::Flag("load-mode".into())
        );
        assert_eq!(
            layers.get("project_id").unwrap().origin,
            Origin::Env("PROJECT_ID".into())
        );
    }

    #[test]
    fn invalid_values_name_the_key_and_the_origin() {
        let (dir, error) = file_error("load_mode = \"apend\"\n");
        assert_eq!(error.key, "load_mode");
        let file = dir.path().join("local.toml").display().to_string();
        assert_eq!(error.origin, Origin::File(file.clone()));
        assert_eq!(
            error.to_string(),
            format!(
                "invalid configuration: `load_mode` (from {file}): `apend` is not `append` or `truncate` (also called `write`)"
            )
        );

        let clean = conf_dir(&[]);
        let error = Layers::load(
            &Catalogue::default(),
            clean.path(),
            None,
            &vars(&[("BIGQUERY_RAW_DATASET", "raw; DROP TABLE x")]),
        )
        .unwrap()
        .resolve()
        .unwrap_err();
        assert_eq!(error.key, "raw_dataset");
        assert_eq!(error.origin, Origin::Env("BIGQUERY_RAW_DATASET".into()));

        let error = Layers::load(
            &Catalogue::default(),
            dir.path(),
            Some("missing"),
            &vars(&[]),
        )
        .unwrap_err();
        assert_eq!(error.key, "env");
        assert!(error.message.contains("missing.toml"), "{error}");

        let bad = conf_dir(&[("local.toml", "colour = \"blue\"\n")]);
        let error = Layers::load(&Catalogue::default(), bad.path(), None, &vars(&[])).unwrap_err();
        assert_eq!(error.key, "colour");
        assert!(error.message.starts_with("no such setting"), "{error}");
    }

    #[test]
    fn credentials_come_from_the_environment_only() {
        let (_dir, error) = file_error("credentials = \"/k.json\"\n");
        assert_eq!(error.key, "credentials");
        assert!(
            error.message.contains("GOOGLE_APPLICATION_CREDENTIALS"),
            "{error}"
        );
    }

    #[test]
    fn secrets_are_redacted_in_the_snapshot() {
        let dir = conf_dir(&[]);
        let layers = Layers::load(
            &Catalogue::default(),
            dir.path(),
            None,
            &vars(&[("GOOGLE_APPLICATION_CREDENTIALS", "/secrets/key.json")]),
        )
        .unwrap();
        let snapshot = layers.snapshot();
        assert_eq!(snapshot["credentials"].value, "<redacted>");
        assert_eq!(snapshot["store"].value, "local");
    }
}
