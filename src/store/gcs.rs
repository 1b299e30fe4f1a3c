//! Google Cloud Storage, through `gcloud-storage` (the JSON API for every
//! operation), or an emulator that serves the same API.
//!
//! Every call is retried on transient failures, a lost answer among them,
//! so every call must be safe to repeat. Most are (a put or a copy
//! replaces, a read reads). Two answer differently the second time when
//! the first took effect: a `put_new` or a compare-and-swap `put_if` gets
//! 412 (the object is there, or changed: ours, if its bytes are ours), and
//! a `delete` gets 404 (the object is gone: deleted by us). Both are
//! recognised as success.

use gcloud_storage::client::{Client, ClientConfig};
use gcloud_storage::http::Error as GcsError;
use gcloud_storage::http::buckets::insert::InsertBucketRequest;
use gcloud_storage::http::objects::copy::CopyObjectRequest;
use gcloud_storage::http::objects::delete::DeleteObjectRequest;
use gcloud_storage::http::objects::download::Range;
use gcloud_storage::http::objects::get::GetObjectRequest;
use gcloud_storage::http::objects::list::ListObjectsRequest;
use gcloud_storage::http::objects::upload::{Media, UploadObjectRequest, UploadType};

use super::{ObjectStore, RetryPolicy, StoreError, Version, check_key};

/// A bucket as an object store. Calls block: the store runs its own small
/// runtime, so the (synchronous) pipeline can use it like a folder.
pub struct GcsStore {
    client: Client,
    bucket: String,
    runtime: tokio::runtime::Runtime,
    retry: RetryPolicy,
}

impl GcsStore {
    /// The bucket `bucket` on Google Cloud, with application default
    /// credentials (`GOOGLE_APPLICATION_CREDENTIALS`, or the metadata
    /// server).
    pub fn connect(bucket: &str) -> Result<Self, StoreError> {
        let runtime = runtime()?;
        let config = runtime
            .block_on(ClientConfig::default().with_auth())
            .map_err(|error| remote("authenticate to", bucket, error.to_string()))?;
        Self::with_config(bucket, config, runtime)
    }

    /// [`GcsStore::connect`], at another endpoint of the JSON API (a
    /// Private Service Connect endpoint, or a test server): the same
    /// credentials, another host.
    pub fn connect_at(bucket: &str, endpoint: &str) -> Result<Self, StoreError> {
        let runtime = runtime()?;
        let config = runtime
            .block_on(ClientConfig::default().with_auth())
            .map_err(|error| remote("authenticate to", bucket, error.to_string()))?;
        let config = ClientConfig {
            storage_endpoint: endpoint.trim_end_matches('/').to_string(),
            ..config
        };
        Self::with_config(bucket, config, runtime)
    }

    /// The bucket `bucket` on an emulator at `endpoint` (for example
    /// `http://127.0.0.1:9023`), without credentials.
    pub fn emulator(bucket: &str, endpoint: &str) -> Result<Self, StoreError> {
        let config = ClientConfig {
            storage_endpoint: endpoint.trim_end_matches('/').to_string(),
            ..ClientConfig::default()
        }
        .anonymous();
        Self::with_config(bucket, config, runtime()?)
    }

    fn with_config(
        bucket: &str,
        config: ClientConfig,
        runtime: tokio::runtime::Runtime,
    ) -> Result<Self, StoreError> {
        check_bucket(bucket)?;
        Ok(GcsStore {
            client: Client::new(config),
            bucket: bucket.to_string(),
            runtime,
            retry: RetryPolicy::default(),
        })
    }

    /// The same store with another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Creates the bucket (emulators and first deployments); an existing
    /// bucket is fine.
    pub fn create_bucket(&self) -> Result<(), StoreError> {
        let request = InsertBucketRequest {
            name: self.bucket.clone(),
            ..Default::default()
        };
        match self.call("create bucket", &self.bucket, || {
            self.client.insert_bucket(&request)
        }) {
            Ok(_) | Err(StoreError::AlreadyExists(_)) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// A simple (single-request) upload, under a generation precondition
    /// when one is given; returns the new generation (or the error) and the
    /// attempts made.
    fn upload(
        &self,
        key: &str,
        bytes: &[u8],
        if_generation_match: Option<i64>,
    ) -> (Result<i64, StoreError>, u32) {
        if let Err(error) = check_key(key) {
            return (Err(error), 0);
        }
        let request = UploadObjectRequest {
            bucket: self.bucket.clone(),
            if_generation_match,
            ..Default::default()
        };
        let upload = UploadType::Simple(Media::new(key.to_string()));
        let (outcome, attempts) = self.call_counting("upload", key, || {
            self.client.upload_object(&request, bytes.to_vec(), &upload)
        });
        (outcome.map(|object| object.generation), attempts)
    }

    /// An upload under `ifGenerationMatch`; a retry refused because the
    /// object is no longer `expected` is our own earlier attempt when the
    /// object holds our bytes (its answer was lost). Returns the new
    /// generation.
    fn upload_if(&self, key: &str, bytes: &[u8], expected: i64) -> Result<i64, StoreError> {
        match self.upload(key, bytes, Some(expected)) {
            (Err(StoreError::AlreadyExists(_)), attempts) if attempts > 1 => {
                match self.get_versioned(key) {
                    Ok((now, version)) if now == bytes => {
                        tracing::info!(key, "an upload whose answer was lost had succeeded");
                        generation(&version)
                    }
                    Ok(_) | Err(StoreError::NotFound(_)) => Err(refused(key, expected)),
                    Err(error) => Err(error),
                }
            }
            (Err(StoreError::AlreadyExists(_)), _) => Err(refused(key, expected)),
            (outcome, _) => outcome,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retry
    /// policy runs out.
    fn call<T, F, Fut>(
        &self,
        operation: &'static str,
        key: &str,
        attempt: F,
    ) -> Result<T, StoreError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, GcsError>>,
    {
        self.call_counting(operation, key, attempt).0
    }

    /// [`GcsStore::call`], also saying how many attempts were made.
    fn call_counting<T, F, Fut>(
        &self,
        operation: &'static str,
        key: &str,
        attempt: F,
    ) -> (Result<T, StoreError>, u32)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, GcsError>>,
    {
        let (outcome, attempts) = self.retry.run_counting(
            &format!("GCS {operation} {key}"),
            || self.runtime.block_on(attempt()),
            transient,
        );
        (
            outcome.map_err(|error| classify(operation, key, error)),
            attempts,
        )
    }
}

impl ObjectStore for GcsStore {
    fn gcs_uri(&self, key: &str) -> Option<String> {
        check_key(key).ok()?;
        Some(format!("gs://{}/{key}", self.bucket))
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.upload(key, bytes, None).0.map(|_| ())
    }

    /// Checks that no object is there, then uploads with
    /// `ifGenerationMatch=0`, which Google Cloud enforces atomically (some
    /// emulators ignore it; the check before still holds for one writer).
    /// A retry refused because the object is there is our own earlier
    /// attempt when the object holds our bytes.
    fn put_new(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.put_if(key, bytes, None).map(|_| ())
    }

    fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        check_key(key)?;
        let request = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        };
        let whole = Range::default();
        self.call("download", key, || {
            self.client.download_object(&request, &whole)
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let mut keys = Vec::new();
        let mut page_token = None;
        loop {
            let request = ListObjectsRequest {
                bucket: self.bucket.clone(),
                prefix: (!prefix.is_empty()).then(|| prefix.to_string()),
                page_token: page_token.clone(),
                ..Default::default()
            };
            let page = self.call("list", prefix, || self.client.list_objects(&request))?;
            keys.extend(
                page.items
                    .unwrap_or_default()
                    .into_iter()
                    .map(|object| object.name),
            );
            match page.next_page_token {
                Some(token) if !token.is_empty() => page_token = Some(token),
                _ => break,
            }
        }
        keys.sort();
        Ok(keys)
    }

    fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        check_key(from)?;
        check_key(to)?;
        let request = CopyObjectRequest {
            source_bucket: self.bucket.clone(),
            source_object: from.to_string(),
            destination_bucket: self.bucket.clone(),
            destination_object: to.to_string(),
            ..Default::default()
        };
        self.call("copy", from, || self.client.copy_object(&request))?;
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        let request = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        };
        match self.call_counting("delete", key, || self.client.delete_object(&request)) {
            // Gone on a retry: the attempt whose answer was lost deleted it.
            (Err(StoreError::NotFound(_)), attempts) if attempts > 1 => Ok(()),
            (outcome, _) => outcome,
        }
    }

    /// The object's metadata first, then the bytes of that very
    /// generation: a consistent pair even while another writer replaces it.
    fn get_versioned(&self, key: &str) -> Result<(Vec<u8>, Version), StoreError> {
        check_key(key)?;
        let stat = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        };
        let whole = Range::default();
        // A writer may replace the object between the two calls: that
        // generation is then gone, and the newer one is read instead.
        loop {
            let object = self.call("stat", key, || self.client.get_object(&stat))?;
            let request = GetObjectRequest {
                generation: Some(object.generation),
                ..stat.clone()
            };
            match self.call("download", key, || {
                self.client.download_object(&request, &whole)
            }) {
                Ok(bytes) => return Ok((bytes, Version(object.generation.to_string()))),
                Err(StoreError::NotFound(_)) => continue,
                Err(error) => return Err(error),
            }
        }
    }

    fn put_if(
        &self,
        key: &str,
        bytes: &[u8],
        expected: Option<&Version>,
    ) -> Result<Version, StoreError> {
        let generation = match expected {
            Some(version) => generation(version)?,
            None => {
                if self.exists(key)? {
                    return Err(StoreError::AlreadyExists(key.to_string()));
                }
                0
            }
        };
        self.upload_if(key, bytes, generation)
            .map(|generation| Version(generation.to_string()))
    }

    fn delete_if(&self, key: &str, expected: &Version) -> Result<(), StoreError> {
        check_key(key)?;
        let request = DeleteObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            if_generation_match: Some(generation(expected)?),
            ..Default::default()
        };
        match self.call_counting("delete", key, || self.client.delete_object(&request)) {
            // Gone on a retry: the attempt whose answer was lost deleted it.
            (Err(StoreError::NotFound(_)), attempts) if attempts > 1 => Ok(()),
            (Err(StoreError::AlreadyExists(_)), _) => Err(StoreError::Changed(key.to_string())),
            (outcome, _) => outcome,
        }
    }

    fn exists(&self, key: &str) -> Result<bool, StoreError> {
        check_key(key)?;
        let request = GetObjectRequest {
            bucket: self.bucket.clone(),
            object: key.to_string(),
            ..Default::default()
        };
        match self.call("stat", key, || self.client.get_object(&request)) {
            Ok(_) => Ok(true),
            Err(StoreError::NotFound(_)) => Ok(false),
            Err(error) => Err(error),
        }
    }
}

/// A GCS version's generation.
fn generation(version: &Version) -> Result<i64, StoreError> {
    version.0.parse().map_err(|_| StoreError::InvalidKey {
        key: version.0.clone(),
        reason: "not a GCS generation",
    })
}

/// What a refused conditional upload means: the object exists (when none
/// was expected), or it changed.
fn refused(key: &str, expected: i64) -> StoreError {
    match expected {
        0 => StoreError::AlreadyExists(key.to_string()),
        _ => StoreError::Changed(key.to_string()),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, StoreError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| StoreError::Io {
            operation: "start the GCS client's runtime",
            key: String::new(),
            source,
        })
}

/// Bucket names: 3 to 63 lowercase letters, digits, `-`, `_` and `.`,
/// starting and ending with a letter or digit.
fn check_bucket(bucket: &str) -> Result<(), StoreError> {
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
        && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
        && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
    if valid {
        Ok(())
    } else {
        Err(StoreError::InvalidKey {
            key: bucket.to_string(),
            reason: "not a valid bucket name",
        })
    }
}

/// The HTTP status of a failed call, whether the service sent a JSON error
/// or (as emulators may) a bare status.
fn status(error: &GcsError) -> Option<u16> {
    match error {
        GcsError::Response(response) => Some(response.code),
        GcsError::HttpClient(error) | GcsError::RawResponse(error, _) => {
            error.status().map(|status| status.as_u16())
        }
        _ => None,
    }
}

/// 429, 5xx, timeouts, connection failures and answers lost on the way
/// (a request sent, the connection closed before the answer came, or the
/// answer's body cut short) are worth another try.
fn transient(error: &GcsError) -> bool {
    match (status(error), error) {
        (Some(code), _) => code == 429 || code >= 500,
        (None, GcsError::HttpClient(error)) => {
            error.is_timeout() || error.is_connect() || error.is_request() || error.is_body()
        }
        (None, GcsError::HttpMiddleware(_)) => true,
        _ => false,
    }
}

fn classify(operation: &'static str, key: &str, error: GcsError) -> StoreError {
    match status(&error) {
        Some(404) => StoreError::NotFound(key.to_string()),
        Some(409 | 412) => StoreError::AlreadyExists(key.to_string()),
        _ => remote(operation, key, error.to_string()),
    }
}

fn remote(operation: &'static str, key: &str, message: String) -> StoreError {
    StoreError::Remote {
        operation,
        key: key.to_string(),
        message,
    }
}
