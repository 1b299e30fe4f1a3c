//! Every setting, declared once: the general ones in [`SETTINGS`], a
//! source's own beside its extractor, all of a pipeline's in its
//! [`Catalogue`]; and the README's tables rendered from them.

/// One setting, declared once: everything else (the defaults layer, the
/// environment variables read, the command-line flags of `contracts run`,
/// `query` and `recover`, the snapshot's redaction and the README's table)
/// is derived from this declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingSpec {
    /// The key, in `conf/{env}.toml` and in reports.
    pub key: &'static str,
    /// The environment variable that sets it.
    pub env: &'static str,
    /// The built-in default, if any.
    pub default: Option<&'static str>,
    /// What the default is when it is not a fixed value (shown in the
    /// README), e.g. "the raw contract's name".
    pub default_doc: Option<&'static str>,
    /// Whether a command-line flag (`--key-with-dashes`) sets it.
    pub flag: bool,
    /// Whether its value is redacted in reports.
    pub secret: bool,
    /// What it means, for `--help` and the README.
    pub doc: &'static str,
}

impl SettingSpec {
    /// The command-line flag's name, e.g. `binance-url`.
    pub fn flag_name(&self) -> String {
        self.key.replace('_', "-")
    }

    /// This setting without a command-line flag: set in files and the
    /// environment only.
    pub const fn without_flag(self) -> Self {
        SettingSpec {
            flag: false,
            ..self
        }
    }
}

/// A setting with a flag and, if given, a built-in default: the common
/// case, which `SettingSpec { flag: false, ..setting(…) }` varies.
pub const fn setting(
    key: &'static str,
    env: &'static str,
    default: Option<&'static str>,
    doc: &'static str,
) -> SettingSpec {
    SettingSpec {
        key,
        env,
        default,
        default_doc: None,
        flag: true,
        secret: false,
        doc,
    }
}

/// Every setting of every pipeline. The GCP names are the ones existing
/// deployments of this pipeline already set. A source's own settings are
/// declared beside it (`files` in the files source).
pub const SETTINGS: &[SettingSpec] = &[
    setting(
        "source",
        "DATACONTRACT_SOURCE",
        Some("sample"),
        "where raw rows come from: one of the pipeline's sources (`files` is always one)",
    ),
    setting(
        "store",
        "DATACONTRACT_STORE",
        Some("local"),
        "the object store: `local` or `gcs`",
    ),
    setting(
        "data_dir",
        "DATACONTRACT_DATA_DIR",
        Some("data"),
        "the local store's folder",
    ),
    setting(
        "gcs_bucket",
        "GCS_BUCKET_NAME",
        None,
        "the bucket (`STORAGE_EMULATOR_HOST` selects an emulator)",
    ),
    SettingSpec {
        flag: false,
        ..setting(
            "gcs_project",
            "GCS_BUCKET_PROJECT_NAME",
            None,
            "the bucket's project, recorded in the report",
        )
    },
    SettingSpec {
        flag: false,
        ..setting(
            "gcs_endpoint",
            "DATACONTRACT_GCS_ENDPOINT",
            None,
            "another endpoint of the GCS JSON API (a Private Service Connect endpoint): the same credentials, another host; `https://`, or `http://` to this machine only",
        )
    },
    setting(
        "warehouse",
        "DATACONTRACT_WAREHOUSE",
        Some("duckdb"),
        "the warehouse: `duckdb` or `bigquery`",
    ),
    setting(
        "duckdb_path",
        "DATACONTRACT_DUCKDB_PATH",
        Some("data/warehouse.duckdb"),
        "the embedded database",
    ),
    setting(
        "duckdb_memory_limit",
        "DATACONTRACT_DUCKDB_MEMORY_LIMIT",
        None,
        "the most memory the embedded DuckDB keeps for its buffers (`SET memory_limit`; `2GB`, `512MiB`): past it, it spills to a folder beside the database; unset, DuckDB's default of 80 % of the machine's memory, which a container's limit may not allow",
    ),
    setting(
        "project_id",
        "PROJECT_ID",
        None,
        "the BigQuery project (`BIGQUERY_EMULATOR_HOST` selects an emulator)",
    ),
    setting(
        "max_bytes_billed",
        "DATACONTRACT_MAX_BYTES_BILLED",
        None,
        "the most bytes one BigQuery query may bill (`maximumBytesBilled`, set on every query): a whole number of bytes or with a unit (`200GB`, `1TiB`); a query that would bill more fails before it runs, with exit 2",
    ),
    SettingSpec {
        flag: false,
        ..setting(
            "bigquery_endpoint",
            "DATACONTRACT_BIGQUERY_ENDPOINT",
            None,
            "another endpoint of the BigQuery REST API (a Private Service Connect endpoint): the same credentials, another host; `https://`, or `http://` to this machine only",
        )
    },
    SettingSpec {
        flag: false,
        secret: true,
        ..setting(
            "credentials",
            "GOOGLE_APPLICATION_CREDENTIALS",
            None,
            "the service-account key file (Application Default Credentials when unset); only from the environment, where Google's clients read it; redacted in reports",
        )
    },
    setting(
        "staging_dataset",
        "DATACONTRACT_STAGING_DATASET",
        Some("staging"),
        "the dataset of the staging tables and store folders",
    ),
    setting(
        "raw_dataset",
        "BIGQUERY_RAW_DATASET",
        Some("production"),
        "the production dataset of the raw table",
    ),
    SettingSpec {
        flag: false,
        default_doc: Some("the raw contract's name"),
        ..setting(
            "raw_table",
            "BIGQUERY_RAW_TABLE_NAME",
            None,
            "the raw table's name",
        )
    },
    setting(
        "transformed_dataset",
        "BIGQUERY_TRANSFORMED_DATASET",
        Some("production"),
        "the production dataset of the processed table",
    ),
    SettingSpec {
        flag: false,
        default_doc: Some("the processed contract's name"),
        ..setting(
            "transformed_table",
            "BIGQUERY_TRANSFORMED_TABLE_NAME",
            None,
            "the processed table's name",
        )
    },
    setting(
        "load_mode",
        "DATACONTRACT_LOAD_MODE",
        Some("append"),
        "how loads treat existing rows: `append` or `truncate` (`write`)",
    ),
    setting(
        "validation",
        "DATACONTRACT_VALIDATION",
        Some("polars"),
        "where the gates check: in `polars`, or pushed down into the `warehouse`",
    ),
    setting(
        "transform",
        "DATACONTRACT_TRANSFORM",
        Some("polars"),
        "where the transform runs: in `polars`, or as SQL in the `warehouse` (needs `validation = warehouse`)",
    ),
    SettingSpec {
        flag: false,
        ..setting(
            "max_examples",
            "DATACONTRACT_MAX_EXAMPLES",
            Some("10"),
            "failing rows kept per check",
        )
    },
    SettingSpec {
        flag: false,
        ..setting(
            "promotion_lease_seconds",
            "DATACONTRACT_PROMOTION_LEASE_SECONDS",
            Some("120"),
            "how long a promotion holds production without renewing its lease: a crashed promotion is recovered from within this time",
        )
    },
];

/// The settings one pipeline reads: the general ones, then each of its
/// sources' own, each key declared once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    specs: Vec<SettingSpec>,
}

impl Default for Catalogue {
    /// The general settings and the alerts' ([`crate::alert::ALERT_SETTINGS`]).
    fn default() -> Self {
        Catalogue {
            specs: general().collect(),
        }
    }
}

/// The settings of every pipeline, whatever its sources.
fn general() -> impl Iterator<Item = SettingSpec> {
    SETTINGS.iter().chain(crate::alert::ALERT_SETTINGS).copied()
}

impl Catalogue {
    /// This catalogue and `specs`. Two sources may share a setting (the
    /// same declaration, e.g. a symbol both a sample and an API read).
    ///
    /// # Panics
    ///
    /// When a key or environment variable is already declared differently:
    /// that is a mistake in the pipeline's definition, found by the first
    /// test that builds its catalogue.
    pub fn with(mut self, specs: &[SettingSpec]) -> Self {
        for spec in specs {
            match self
                .specs
                .iter()
                .find(|known| known.key == spec.key || known.env == spec.env)
            {
                Some(known) if known == spec => {}
                Some(known) => panic!(
                    "the setting `{}` ({}) is declared twice, differently: {known:?} and {spec:?}",
                    spec.key, spec.env
                ),
                None => self.specs.push(*spec),
            }
        }
        self
    }

    /// The declaration of `key`, if this catalogue has one.
    pub fn get(&self, key: &str) -> Option<&SettingSpec> {
        self.specs.iter().find(|spec| spec.key == key)
    }

    /// Every declaration, the general ones first.
    pub fn specs(&self) -> &[SettingSpec] {
        &self.specs
    }

    /// The declarations beyond the general ones: the sources' own.
    pub fn source_specs(&self) -> &[SettingSpec] {
        &self.specs[general().count()..]
    }
}

/// `specs` as a README Markdown table: one row per setting.
pub fn settings_table(specs: &[SettingSpec]) -> String {
    let mut table = String::from(
        "| key | environment variable | flag | default | meaning |\n|---|---|---|---|---|\n",
    );
    for spec in specs {
        let flag = match spec.flag {
            true => format!("`--{}`", spec.flag_name()),
            false => "—".into(),
        };
        let default = match (spec.default, spec.default_doc) {
            (Some(value), _) => format!("`{value}`"),
            (None, Some(doc)) => doc.to_string(),
            (None, None) => "—".into(),
        };
        table.push_str(&format!(
            "| `{}` | `{}` | {flag} | {default} | {} |\n",
            spec.key, spec.env, spec.doc
        ));
    }
    table
}
