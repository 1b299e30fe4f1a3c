CREATE TABLE IF NOT EXISTS `processed_binance_btcusdt_spot`
(
  `bar_start` TIMESTAMP NOT NULL OPTIONS(description="Start of the hour (inclusive), UTC."),
  `symbol` STRING NOT NULL OPTIONS(description="The trading pair, e.g. `BTCUSDT`."),
  `open` FLOAT64 NOT NULL OPTIONS(description="First price of the hour."),
  `high` FLOAT64 NOT NULL OPTIONS(description="Highest price of the hour."),
  `low` FLOAT64 NOT NULL OPTIONS(description="Lowest price of the hour."),
  `close` FLOAT64 NOT NULL OPTIONS(description="Last price of the hour."),
  `volume` FLOAT64 NOT NULL OPTIONS(description="Base-asset volume of the hour."),
  `quote_volume` FLOAT64 NOT NULL OPTIONS(description="Quote-asset volume of the hour."),
  `vwap` FLOAT64 NOT NULL OPTIONS(description="Volume-weighted average price: quote volume over base volume (the\nmean of typical prices when the hour had no volume)."),
  `number_of_trades` INT64 NOT NULL OPTIONS(description="Number of trades in the hour."),
  `minutes_observed` INT64 NOT NULL OPTIONS(description="How many 1-minute bars the hour was built from."),
  `minutes_missing` INT64 NOT NULL OPTIONS(description="How many 1-minute bars of the hour were missing (a gap when above 0)."),
  `is_outlier` BOOL NOT NULL OPTIONS(description="Whether the hour's return is an outlier: more than 5 median absolute\ndeviations from the median of the last 24 hourly returns."),
  `session` STRING NOT NULL OPTIONS(description="The trading session the hour opens in, from the session calendar:\n`asia` (00–08 UTC), `europe` (08–16 UTC) or `americas` (16–24 UTC)."),
  `return_1h` FLOAT64 OPTIONS(description="Simple return against the previous hour's close; NULL for the first hour."),
  `log_return_1h` FLOAT64 OPTIONS(description="Log return against the previous hour's close; NULL for the first hour."),
  `volatility_24h` FLOAT64 OPTIONS(description="Standard deviation of the last 24 hourly log returns; NULL until 24 exist.")
)
PARTITION BY DATE(`bar_start`)
CLUSTER BY `symbol`
OPTIONS(description="One hourly OHLCV bar of a symbol, aggregated from cleaned 1-minute\nklines (duplicates removed, one row per minute), with VWAP, returns and\nrolling volatility. Bars are consistent: every rule here is an error.");
