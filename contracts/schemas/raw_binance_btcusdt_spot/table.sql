CREATE TABLE IF NOT EXISTS `raw_binance_btcusdt_spot`
(
  `open_time` TIMESTAMP NOT NULL OPTIONS(description="Start of the bar (inclusive), UTC."),
  `open` NUMERIC NOT NULL OPTIONS(description="First trade price of the bar."),
  `high` NUMERIC NOT NULL OPTIONS(description="Highest trade price of the bar."),
  `low` NUMERIC NOT NULL OPTIONS(description="Lowest trade price of the bar."),
  `close` NUMERIC NOT NULL OPTIONS(description="Last trade price of the bar."),
  `volume` NUMERIC NOT NULL OPTIONS(description="Traded quantity of the base asset (BTC)."),
  `close_time` TIMESTAMP NOT NULL OPTIONS(description="End of the bar (inclusive, the last millisecond), UTC."),
  `quote_asset_volume` NUMERIC NOT NULL OPTIONS(description="Traded quantity of the quote asset (USDT)."),
  `number_of_trades` INT64 NOT NULL OPTIONS(description="Number of trades in the bar."),
  `taker_buy_base_asset_volume` NUMERIC NOT NULL OPTIONS(description="Base-asset volume bought by takers."),
  `taker_buy_quote_asset_volume` NUMERIC NOT NULL OPTIONS(description="Quote-asset volume bought by takers."),
  `symbol` STRING NOT NULL OPTIONS(description="The trading pair, e.g. `BTCUSDT`."),
  `interval` STRING NOT NULL OPTIONS(description="The bar width Binance was asked for, e.g. `1m`.")
)
PARTITION BY DATE(`open_time`)
CLUSTER BY `symbol`, `interval`
OPTIONS(description="One Binance spot kline (candlestick), as `GET /api/v3/klines` returns it,\nwith the symbol and interval it was requested for. Prices and volumes\nkeep the API's exact decimals.\n\nThe raw layer records what the exchange sent: structural problems\n(missing or negative values, an unknown interval) are errors, while\ninconsistent bars and duplicated keys are warnings that the transform\nresolves.");
