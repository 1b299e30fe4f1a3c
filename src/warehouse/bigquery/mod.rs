//! BigQuery through `gcp-bigquery-client`, or the bqemulator that serves
//! the same v2 REST API.
//!
//! Credentials: the service-account key file named by
//! `GOOGLE_APPLICATION_CREDENTIALS`, else application default credentials.
//! With `BIGQUERY_EMULATOR_HOST` set ([`BigQueryWarehouse::from_env`]) the
//! client talks to that host without credentials.
//!
//! Transient failures are retried under a [`RetryPolicy`]: every API call
//! on HTTP 429 and 5xx, rate-limit 403s, timeouts and dropped connections;
//! a whole job or query again, under a new id, when BigQuery ends it with
//! a temporary error (`backendError`, `internalError`, `rateLimitExceeded`).
//! A retried call cannot run a statement twice: each job carries an id of
//! ours (a repeated insert answers 409, and the job is then awaited) and
//! each query a `requestId`, which BigQuery deduplicates.
//!
//! The module's parts: the client and its authentication (here), API calls
//! and jobs: insert, poll, page, retry (`jobs`), the [`Warehouse`]
//! operations ([`crate::warehouse::Warehouse`], in `operations`), and the classification of failures
//! (`errors`).

mod errors;
mod jobs;
mod operations;

use std::sync::Arc;
use std::time::Duration;

use gcp_bigquery_client::Client;
use gcp_bigquery_client::auth::Authenticator;
use gcp_bigquery_client::client_builder::ClientBuilder;
use gcp_bigquery_client::error::BQError;

use crate::retry::RetryPolicy;
use crate::sql::{TableRef, check_project};
use crate::warehouse::{Blame, Usage, WarehouseError};
use errors::engine_error;

const ENGINE: &str = "BigQuery";

/// The environment variable naming a BigQuery emulator (`host:port` or a
/// URL). It is this project's convention; the client does not read it.
pub const EMULATOR_HOST_VARIABLE: &str = "BIGQUERY_EMULATOR_HOST";

/// How long a job may run before the warehouse stops waiting for it.
const JOB_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// A BigQuery project as a warehouse. Calls block: the warehouse runs its
/// own small runtime.
pub struct BigQueryWarehouse {
    client: Client,
    project: String,
    runtime: tokio::runtime::Runtime,
    page_size: Option<i32>,
    retry: RetryPolicy,
    /// The most bytes one query may bill; BigQuery fails a query that
    /// would bill more, before it runs.
    max_bytes_billed: Option<u64>,
    /// Whether every query is dry-run before it runs.
    dry_run_first: bool,
    /// What the queries run so far cost.
    usage: std::sync::Mutex<Usage>,
}

/// Credentials for an emulator, which checks none.
#[derive(Clone)]
struct NoCredentials;

#[async_trait::async_trait]
impl Authenticator for NoCredentials {
    async fn access_token(&self) -> Result<String, BQError> {
        Ok("emulator".into())
    }
}

impl BigQueryWarehouse {
    /// The project on Google Cloud, with the service account named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`, or application default credentials.
    pub fn connect(project: &str) -> Result<Self, WarehouseError> {
        Self::authenticated(project, ClientBuilder::new())
    }

    /// [`BigQueryWarehouse::connect`], at another endpoint of the REST API
    /// (`https://host`, a Private Service Connect endpoint, or a test
    /// server): the same credentials, another host.
    pub fn connect_at(project: &str, endpoint: &str) -> Result<Self, WarehouseError> {
        let base = format!("{}/bigquery/v2", endpoint.trim_end_matches('/'));
        let mut builder = ClientBuilder::new();
        builder.with_v2_base_url(base);
        Self::authenticated(project, builder)
    }

    fn authenticated(project: &str, builder: ClientBuilder) -> Result<Self, WarehouseError> {
        check_project(project)?;
        let runtime = runtime()?;
        let client = match std::env::var_os("GOOGLE_APPLICATION_CREDENTIALS") {
            Some(path) => runtime
                .block_on(builder.build_from_service_account_key_file(&path.to_string_lossy())),
            None => runtime.block_on(builder.build_from_application_default_credentials()),
        }
        .map_err(|error| engine_error("authenticate", None, &error))?;
        Ok(Self::with_client(client, project, runtime))
    }

    /// The project on an emulator at `endpoint` (`http://127.0.0.1:9050`).
    pub fn emulator(project: &str, endpoint: &str) -> Result<Self, WarehouseError> {
        check_project(project)?;
        let runtime = runtime()?;
        let base = format!("{}/bigquery/v2", endpoint.trim_end_matches('/'));
        let client = runtime
            .block_on(
                ClientBuilder::new()
                    .with_v2_base_url(base)
                    .build_from_authenticator(Arc::new(NoCredentials)),
            )
            .map_err(|error| engine_error("connect to the emulator", None, &error))?;
        Ok(Self::with_client(client, project, runtime))
    }

    /// The emulator named by `BIGQUERY_EMULATOR_HOST` when it is set, else
    /// Google Cloud ([`BigQueryWarehouse::connect`]).
    pub fn from_env(project: &str) -> Result<Self, WarehouseError> {
        match std::env::var(EMULATOR_HOST_VARIABLE) {
            Ok(host) if !host.is_empty() => {
                let endpoint = if host.contains("://") {
                    host
                } else {
                    format!("http://{host}")
                };
                Self::emulator(project, &endpoint)
            }
            _ => Self::connect(project),
        }
    }

    fn with_client(client: Client, project: &str, runtime: tokio::runtime::Runtime) -> Self {
        BigQueryWarehouse {
            client,
            project: project.to_string(),
            runtime,
            page_size: None,
            retry: RetryPolicy::default(),
            max_bytes_billed: None,
            dry_run_first: false,
            usage: std::sync::Mutex::new(Usage::default()),
        }
    }

    /// The same warehouse dry-running every query before it runs it: a
    /// query BigQuery refuses fails before anything runs, and
    /// [`crate::warehouse::Warehouse::usage`] counts the bytes each dry run
    /// estimated. A pipeline run opens its warehouse this way.
    pub fn with_dry_runs(mut self) -> Self {
        self.dry_run_first = true;
        self
    }

    /// The same warehouse, with every query limited to billing at most
    /// `bytes` (BigQuery's `maximumBytesBilled`): a query that would bill
    /// more fails before it runs, and bills nothing.
    pub fn with_max_bytes_billed(mut self, bytes: u64) -> Self {
        self.max_bytes_billed = Some(bytes);
        self
    }

    /// The same warehouse retrying transient failures under `retry`.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The same warehouse reading query results `rows` rows per page
    /// (default: as many as BigQuery sends, up to 10 MB a page).
    pub fn with_page_size(mut self, rows: i32) -> Self {
        self.page_size = Some(rows);
        self
    }

    /// The project tables are in when a [`TableRef`] names none.
    pub fn project(&self) -> &str {
        &self.project
    }

    fn project_of<'a>(&'a self, table: &'a TableRef) -> &'a str {
        table.project.as_deref().unwrap_or(&self.project)
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, WarehouseError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| WarehouseError::Engine {
            engine: ENGINE,
            operation: "start the client's runtime".into(),
            job_id: None,
            message: error.to_string(),
            blame: Blame::Service,
        })
}
