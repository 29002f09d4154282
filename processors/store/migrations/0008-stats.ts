/**
 * Statistics (SPEC §7–§8). Periods are local to the configured zone: an hour row is keyed by the
 * UTC instant its local hour starts (so the two 01:00 hours of a day when clocks go back stay
 * apart) and carries its local day; day, week and month rows are keyed by their local first day.
 * `dims` is `{}` for the `all` total, else one dimension and its value (`{"channel": "wechat"}`).
 * A null `value` is a ratio whose denominator is zero.
 *
 * `stats_firsts` (the first matching event of each identity, per once-per-user metric) and
 * `stats_first_seen` (each identity's first event ever, for new vs returning users) are
 * permanent: they keep those metrics right after raw events expire. `stats_dirty` holds the
 * local days a late event touched after they were computed.
 */
export const statsMigration = {
  version: 8,
  name: 'stats',
  sql: `
CREATE TABLE stats_hourly (
  metric      text        NOT NULL,
  hour_start  timestamptz NOT NULL,
  day         date        NOT NULL,
  dims        jsonb       NOT NULL,
  value       numeric,
  computed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (metric, hour_start, dims)
);
CREATE INDEX stats_hourly_day ON stats_hourly (day, metric);

CREATE TABLE stats_daily (
  metric       text        NOT NULL,
  period       text        NOT NULL CHECK (period IN ('day', 'week', 'month')),
  period_start date        NOT NULL,
  dims         jsonb       NOT NULL,
  value        numeric,
  computed_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (metric, period, period_start, dims)
);
CREATE INDEX stats_daily_period ON stats_daily (period, period_start);

CREATE TABLE stats_firsts (
  metric   text        NOT NULL,
  identity text        NOT NULL,
  first_at timestamptz NOT NULL,
  dims     jsonb       NOT NULL,
  PRIMARY KEY (metric, identity)
);
CREATE INDEX stats_firsts_at ON stats_firsts (metric, first_at);

CREATE TABLE stats_first_seen (
  identity text        PRIMARY KEY,
  first_at timestamptz NOT NULL
);

CREATE TABLE stats_dirty (
  day       date        PRIMARY KEY,
  marked_at timestamptz NOT NULL DEFAULT now()
);
`
}
