-- ShopStream's windows in Flink SQL: the figures of `run-multiple-producers --truth FILE`, per
-- tumbling window of event time, over the three topics, written as JSON lines to an output topic.
-- run.sh (ShopWindows.java) replaces each ${NAME} before running the statements one by one; a
-- statement ends with ';' at the end of a line. See README.md for where Flink's definitions and
-- the truth's differ, and how each figure maps.

-- Windows are aligned to the Unix epoch, and start/end are written in UTC.
SET 'table.local-time-zone' = 'UTC';

-- The three topics. Only the fields the figures need are declared: the JSON format ignores the
-- others (the product, the order, the session...). `timestamp` stays text: the event time is a
-- computed column, so that an event's own field is parsed exactly as docs/formats.md gives it
-- (RFC 3339 in UTC with milliseconds, "2026-01-01T00:00:34.340Z").
CREATE TABLE product_events (
  event_type STRING,
  `timestamp` STRING,
  user_id STRING,
  event_time AS TO_TIMESTAMP_LTZ(`timestamp`, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'),
  -- Events up to this much older than the newest of their partition still count; older ones
  -- whose window has fired are dropped (ShopStream's reader counts them as too late).
  WATERMARK FOR event_time AS event_time - INTERVAL '${LATENESS}' DAY TO SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${PRODUCT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = 'earliest-offset',
  -- Read what is in the topic when the job starts, then end: a bounded run.
  'scan.bounded.mode' = 'latest-offset',
  -- The watermark moves with every event, as ShopStream's reader's does. Emitted periodically
  -- (every 200 ms, Flink's default), it would stand still while a backlog is read in less time
  -- than that, and no event would ever be late.
  'scan.watermark.emit.strategy' = 'on-event',
  'format' = 'json'
);

CREATE TABLE purchases (
  event_type STRING,
  `timestamp` STRING,
  user_id STRING,
  -- Exact cents: a purchase's total has at most two decimals and is at most 10,000,000,000.00.
  total DECIMAL(13, 2),
  event_time AS TO_TIMESTAMP_LTZ(`timestamp`, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'),
  WATERMARK FOR event_time AS event_time - INTERVAL '${LATENESS}' DAY TO SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${PURCHASES_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'scan.watermark.emit.strategy' = 'on-event',
  'format' = 'json'
);

CREATE TABLE user_events (
  event_type STRING,
  `timestamp` STRING,
  user_id STRING,
  event_time AS TO_TIMESTAMP_LTZ(`timestamp`, 'yyyy-MM-dd''T''HH:mm:ss.SSSXXX'),
  WATERMARK FOR event_time AS event_time - INTERVAL '${LATENESS}' DAY TO SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${USER_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${GROUP_ID}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'scan.watermark.emit.strategy' = 'on-event',
  'format' = 'json'
);

-- The windows, one JSON object per window with the truth's field names (docs/formats.md).
CREATE TABLE shop_windows (
  `start` STRING,
  `end` STRING,
  events BIGINT,
  events_by_type MAP<STRING, BIGINT>,
  orders BIGINT,
  revenue DECIMAL(38, 2),
  view_to_purchase DOUBLE,
  cart_to_purchase DOUBLE,
  active_users BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUTPUT_TOPIC}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'format' = 'json',
  -- 1234.50, not 1.2345E+3.
  'json.encode.decimal-as-plain-number' = 'true'
);

-- Every event of the shop, whichever topic it came by. The watermark of the union is the oldest
-- of the three tables' (each the oldest of its partitions').
CREATE TEMPORARY VIEW shop_events AS
  SELECT event_type, user_id, CAST(NULL AS DECIMAL(13, 2)) AS total, event_time FROM product_events
  UNION ALL
  SELECT event_type, user_id, total, event_time FROM purchases
  UNION ALL
  SELECT event_type, user_id, CAST(NULL AS DECIMAL(13, 2)) AS total, event_time FROM user_events;

-- The counts per window: [start, end) with TUMBLE, the same windows as ShopStream's `--window`.
CREATE TEMPORARY VIEW window_counts AS
  SELECT
    window_start,
    window_end,
    COUNT(*) AS events,
    SUM(CASE WHEN event_type = 'view' THEN 1 ELSE 0 END) AS view_count,
    SUM(CASE WHEN event_type = 'add_to_cart' THEN 1 ELSE 0 END) AS add_to_cart_count,
    SUM(CASE WHEN event_type = 'remove_from_cart' THEN 1 ELSE 0 END) AS remove_from_cart_count,
    SUM(CASE WHEN event_type = 'purchase' THEN 1 ELSE 0 END) AS purchase_count,
    SUM(CASE WHEN event_type = 'login' THEN 1 ELSE 0 END) AS login_count,
    SUM(CASE WHEN event_type = 'logout' THEN 1 ELSE 0 END) AS logout_count,
    SUM(CASE WHEN event_type = 'search' THEN 1 ELSE 0 END) AS search_count,
    SUM(CASE WHEN event_type = 'profile_update' THEN 1 ELSE 0 END) AS profile_update_count,
    COALESCE(SUM(CASE WHEN event_type = 'purchase' THEN total END), 0) AS revenue,
    COUNT(DISTINCT user_id) AS active_users
  FROM TABLE(TUMBLE(TABLE shop_events, DESCRIPTOR(event_time), INTERVAL '${WINDOW}' DAY TO SECOND))
  GROUP BY window_start, window_end;

-- The rates are left unrounded: check-truth rounds them to 4 decimals exactly as the truth does
-- (purchases / views, 0 without a view). Rounding here too (Flink's ROUND) would round a second
-- time, in another way, and could disagree with the truth in the last place.
INSERT INTO shop_windows
SELECT
  DATE_FORMAT(window_start, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  DATE_FORMAT(window_end, 'yyyy-MM-dd''T''HH:mm:ss.SSS''Z'''),
  events,
  MAP[
    'view', CAST(view_count AS BIGINT),
    'add_to_cart', CAST(add_to_cart_count AS BIGINT),
    'remove_from_cart', CAST(remove_from_cart_count AS BIGINT),
    'purchase', CAST(purchase_count AS BIGINT),
    'login', CAST(login_count AS BIGINT),
    'logout', CAST(logout_count AS BIGINT),
    'search', CAST(search_count AS BIGINT),
    'profile_update', CAST(profile_update_count AS BIGINT)
  ],
  CAST(purchase_count AS BIGINT),
  CAST(revenue AS DECIMAL(38, 2)),
  CASE WHEN view_count = 0 THEN 0.0E0 ELSE CAST(purchase_count AS DOUBLE) / view_count END,
  CASE WHEN add_to_cart_count = 0 THEN 0.0E0 ELSE CAST(purchase_count AS DOUBLE) / add_to_cart_count END,
  active_users
FROM window_counts;
