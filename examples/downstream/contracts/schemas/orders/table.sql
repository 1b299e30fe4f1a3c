CREATE TABLE IF NOT EXISTS `orders`
(
  `order_id` INT64 NOT NULL OPTIONS(description="The shop's order id."),
  `quantity` INT64 NOT NULL,
  `ordered_at` TIMESTAMP NOT NULL OPTIONS(description="When the customer pressed \"buy\".")
)
PARTITION BY DATE(`ordered_at`)
OPTIONS(description="One order line of the shop.");
