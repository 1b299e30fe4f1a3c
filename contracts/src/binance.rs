//! Klines from Binance's REST API (`GET /api/v3/klines`), or from the
//! bundled sample, which holds pages in the same format.
//!
//! Each kline arrives as a JSON array of 12 positional values, decimals as
//! strings. serde reads it into [`RawKline`]; validator then checks the
//! record. A record that fails either is rejected with its page, row and
//! reason, and counted in the run report; it never enters the frame.
//!
//! The two sources declare their settings here, beside the code that reads
//! them: [`SAMPLE_SETTINGS`] and [`BINANCE_SETTINGS`].

use chrono::{DateTime, Utc};
use datacontract::Contract;
use datacontract::pipeline::config::{Config, ConfigError, Layers, SettingSpec, setting};
use datacontract::pipeline::http::{HttpClient, HttpPolicy};
use datacontract::pipeline::{
    Extract, ExtractError, Extractor, Rejected, Source, records_to_frame,
};
use datacontract::store::ObjectStore;
use indicatif::ProgressBar;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use validator::Validate;

use crate::RawKline;

/// The most klines Binance returns per request.
pub const PAGE_LIMIT: usize = 1000;
/// The kline interval the pipeline reads.
pub const INTERVAL: &str = "1m";

/// The settings of which klines are read, whichever the source.
const SYMBOL: SettingSpec = setting(
    "symbol",
    "DATACONTRACT_SYMBOL",
    Some("BTCUSDT"),
    "the symbol Binance is asked for",
);
const INTERVAL_SETTING: SettingSpec = setting(
    "interval",
    "DATACONTRACT_INTERVAL",
    Some(INTERVAL),
    "the kline interval Binance is asked for",
);

/// The settings of `source = "sample"`.
pub const SAMPLE_SETTINGS: &[SettingSpec] = &[SYMBOL, INTERVAL_SETTING];

/// The settings of `source = "binance"`.
pub const BINANCE_SETTINGS: &[SettingSpec] = &[
    SYMBOL,
    INTERVAL_SETTING,
    setting(
        "start",
        "DATACONTRACT_START",
        None,
        "the first open time to extract from Binance (a date or RFC 3339)",
    ),
    setting(
        "end",
        "DATACONTRACT_END",
        None,
        "the end of the Binance range (a date or RFC 3339; exclusive)",
    ),
    setting(
        "binance_url",
        "DATACONTRACT_BINANCE_URL",
        Some("https://api.binance.com"),
        "Binance's base URL",
    ),
];

/// Which klines are read: a symbol, at the one interval the transform
/// aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Klines {
    symbol: String,
    interval: String,
}

impl Klines {
    /// The symbol and interval `layers` hold: a Binance symbol (5 to 20 of
    /// A-Z and 0-9), and `1m`, the bars the transform aggregates into hours.
    fn configure(layers: &Layers) -> Result<Self, ConfigError> {
        let symbol = layers.required("symbol")?.value.clone();
        if !(5..=20).contains(&symbol.len())
            || !symbol
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        {
            return Err(layers.invalid(
                "symbol",
                format!("`{symbol}` is not a Binance symbol (5 to 20 of A-Z and 0-9)"),
            ));
        }
        let interval = layers.required("interval")?.value.clone();
        if interval != INTERVAL {
            return Err(layers.invalid(
                "interval",
                format!(
                    "`{interval}`: this pipeline aggregates {INTERVAL} klines into hourly bars; set interval = \"{INTERVAL}\""
                ),
            ));
        }
        Ok(Klines { symbol, interval })
    }
}

/// One kline as Binance sends it, in its 12 positions: open time, open,
/// high, low, close, volume, close time, quote volume, trades, taker buy
/// base volume, taker buy quote volume, and an ignored field.
#[derive(Debug, Deserialize)]
struct KlineArray(
    i64,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    Decimal,
    i64,
    Decimal,
    i64,
    Decimal,
    Decimal,
    IgnoredAny,
);

impl RawKline {
    /// Reads one kline array, for `symbol` at `interval`, and validates it.
    pub fn from_binance(value: &Value, symbol: &str, interval: &str) -> Result<Self, String> {
        let KlineArray(
            open_time,
            open,
            high,
            low,
            close,
            volume,
            close_time,
            quote_asset_volume,
            number_of_trades,
            taker_buy_base_asset_volume,
            taker_buy_quote_asset_volume,
            _,
        ) = KlineArray::deserialize(value)
            .map_err(|error| format!("not a kline array: {error}"))?;
        let time = |millis: i64| {
            DateTime::<Utc>::from_timestamp_millis(millis)
                .ok_or_else(|| format!("{millis} is not a time in milliseconds"))
        };
        let kline = RawKline {
            open_time: time(open_time)?,
            open,
            high,
            low,
            close,
            volume,
            close_time: time(close_time)?,
            quote_asset_volume,
            number_of_trades,
            taker_buy_base_asset_volume,
            taker_buy_quote_asset_volume,
            symbol: symbol.to_string(),
            interval: interval.to_string(),
        };
        kline
            .validate()
            .map_err(|errors| format!("invalid kline: {errors}"))?;
        Ok(kline)
    }
}

/// Pages of kline arrays into a frame, rejecting records one by one.
struct Pages<'a> {
    klines: &'a Klines,
    rows: Vec<RawKline>,
    rejected: Vec<Rejected>,
    pages: usize,
}

impl<'a> Pages<'a> {
    /// A reader of `klines`.
    fn new(klines: &'a Klines) -> Self {
        Pages {
            klines,
            rows: Vec::new(),
            rejected: Vec::new(),
            pages: 0,
        }
    }

    /// Reads one page (a JSON array of kline arrays); returns its rows.
    fn read(&mut self, origin: &str, body: &[u8]) -> Result<Vec<Value>, ExtractError> {
        self.pages += 1;
        let rows: Vec<Value> = serde_json::from_slice(body).map_err(|error| {
            let start: String = String::from_utf8_lossy(body).chars().take(200).collect();
            ExtractError::service(format!(
                "{origin}: the body is not a JSON array of klines ({error}); it starts with {start:?}"
            ))
        })?;
        for (index, row) in rows.iter().enumerate() {
            match RawKline::from_binance(row, &self.klines.symbol, &self.klines.interval) {
                Ok(kline) => self.rows.push(kline),
                Err(reason) => self.rejected.push(Rejected {
                    location: format!("{origin}, row {}", index + 1),
                    reason,
                    record: row.to_string(),
                }),
            }
        }
        Ok(rows)
    }

    fn finish(
        self,
        contract: &Contract,
        description: String,
        details: Value,
    ) -> Result<Extract, ExtractError> {
        let frame = records_to_frame(&self.rows, contract).map_err(ExtractError::input)?;
        Ok(Extract {
            frame,
            rejected: self.rejected,
            description,
            details,
            checkpoint: None,
        })
    }
}

/// `source = "sample"`: the bundled pages of synthetic klines in Binance's
/// format (see [`crate::sample`]).
pub struct SampleSource;

impl Source for SampleSource {
    fn name(&self) -> &'static str {
        "sample"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SAMPLE_SETTINGS
    }

    fn configure(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError> {
        Ok(Box::new(SampleExtractor {
            klines: Klines::configure(layers)?,
        }))
    }
}

/// The bundled sample, read as the configured symbol's klines.
struct SampleExtractor {
    klines: Klines,
}

impl Extractor for SampleExtractor {
    fn extract(
        &self,
        _config: &Config,
        _store: &dyn ObjectStore,
        contract: &Contract,
        progress: &ProgressBar,
    ) -> Result<Extract, ExtractError> {
        let pages: Vec<Value> = serde_json::from_str(crate::sample::SAMPLE).map_err(|error| {
            ExtractError::input(format!("the bundled sample is not JSON: {error}"))
        })?;
        let mut reader = Pages::new(&self.klines);
        progress.set_length(pages.len() as u64);
        for (index, page) in pages.iter().enumerate() {
            let body = serde_json::to_vec(page).expect("a JSON value serializes");
            reader.read(&format!("sample page {}", index + 1), &body)?;
            progress.inc(1);
        }
        let description = format!("the bundled synthetic sample ({} pages)", pages.len());
        let details =
            serde_json::json!({ "source": crate::sample::SAMPLE_PATH, "pages": pages.len() });
        reader.finish(contract, description, details)
    }
}

/// `source = "binance"`: Binance's klines endpoint, paged through the
/// configured time range.
pub struct BinanceSource {
    /// Retry and pacing rules.
    pub policy: HttpPolicy,
}

impl Source for BinanceSource {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        BINANCE_SETTINGS
    }

    fn configure(&self, layers: &Layers) -> Result<Box<dyn Extractor>, ConfigError> {
        let klines = Klines::configure(layers)?;
        let (start, end) = (layers.time("start")?, layers.time("end")?);
        if start >= end {
            return Err(layers.invalid("end", format!("{end} is not after the start {start}")));
        }
        Ok(Box::new(BinanceExtractor {
            policy: self.policy.clone(),
            base_url: layers.required("binance_url")?.value.clone(),
            start,
            end,
            klines,
        }))
    }
}

/// Binance's klines endpoint, configured.
struct BinanceExtractor {
    policy: HttpPolicy,
    /// The API's base URL, e.g. `https://api.binance.com`.
    base_url: String,
    /// The first open time asked for (inclusive).
    start: DateTime<Utc>,
    /// The end of the range (exclusive).
    end: DateTime<Utc>,
    klines: Klines,
}

impl Extractor for BinanceExtractor {
    fn extract(
        &self,
        _config: &Config,
        _store: &dyn ObjectStore,
        contract: &Contract,
        progress: &ProgressBar,
    ) -> Result<Extract, ExtractError> {
        let (start, end, klines) = (&self.start, &self.end, &self.klines);
        let client = HttpClient::new(self.policy.clone()).map_err(ExtractError::service)?;
        let url = format!("{}/api/v3/klines", self.base_url.trim_end_matches('/'));
        let (first, last) = (start.timestamp_millis(), end.timestamp_millis() - 1);
        progress.set_length((last - first).max(0) as u64);
        let mut reader = Pages::new(klines);
        let mut from = first;
        while from <= last {
            let query = [
                ("symbol", klines.symbol.clone()),
                ("interval", klines.interval.clone()),
                ("startTime", from.to_string()),
                ("endTime", last.to_string()),
                ("limit", PAGE_LIMIT.to_string()),
            ];
            let body = client.get(&url, &query).map_err(ExtractError::service)?;
            let origin = format!("page {} (startTime={from})", reader.pages + 1);
            let rows = reader.read(&origin, &body)?;
            // The next page starts after the newest open time seen; an
            // empty page, or one that does not move forward, ends the range.
            let newest = rows
                .iter()
                .filter_map(|row| row.get(0).and_then(Value::as_i64))
                .max();
            match newest {
                Some(newest) if newest >= from => {
                    progress.set_position((newest - first).max(0) as u64);
                    from = newest + 1;
                }
                _ => break,
            }
            if rows.len() < PAGE_LIMIT {
                break;
            }
        }
        let stats = client.stats();
        let description = format!(
            "Binance {} {} from {start} to {end}, {} page(s)",
            klines.symbol, klines.interval, reader.pages
        );
        let details = serde_json::json!({ "url": url, "pages": reader.pages, "http": stats });
        reader.finish(contract, description, details)
    }
}
