-- PostgreSQL schema equal to SQLite's at version 009 (same tables and meaning; times are epoch ms as there).
-- Later migrations keep SQLite's numbers: a change to the schema is one NNN file per engine.
CREATE TABLE alerts (
  id BIGSERIAL PRIMARY KEY,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  severity_rank INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  base_domain TEXT NOT NULL,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  count BIGINT NOT NULL,
  score DOUBLE PRECISION NOT NULL,
  exposure TEXT NOT NULL CHECK (exposure IN ('forwarded', 'blocked')),
  bytes_leaked BIGINT NOT NULL,
  bytes_attempted BIGINT NOT NULL,
  samples TEXT NOT NULL,
  features TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acked', 'muted')),
  status_reason TEXT,
  muted_until BIGINT,
  acked_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
CREATE INDEX alerts_key ON alerts (agent_id, base_domain, rule, last_seen);

CREATE TABLE alert_mutes (
  id BIGSERIAL PRIMARY KEY,
  domain TEXT,
  agent_id TEXT,
  reason TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  until BIGINT,
  CHECK (domain IS NOT NULL OR agent_id IS NOT NULL)
);

CREATE TABLE allowlist_hits (
  grp TEXT NOT NULL,
  domain TEXT NOT NULL,
  hits BIGINT NOT NULL,
  first_hit BIGINT NOT NULL,
  last_hit BIGINT NOT NULL,
  PRIMARY KEY (grp, domain)
);
CREATE TABLE allowlist_tracking (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  since BIGINT NOT NULL
);
INSERT INTO allowlist_tracking (id, since) VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);

CREATE TABLE quarantines (
  id BIGSERIAL PRIMARY KEY,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('agent', 'domain')),
  base_domain TEXT,
  created_at BIGINT NOT NULL,
  until BIGINT NOT NULL,
  reason TEXT NOT NULL,
  alert_id BIGINT,
  released_at BIGINT
);
CREATE INDEX quarantines_active ON quarantines (until, released_at);

-- One row per query, partitioned by day of ts (UTC): retention drops whole partitions. The writer creates the
-- partitions it needs (query_log_YYYYMMDD). seq keeps the logged order of equal times.
CREATE SEQUENCE query_log_seq;
CREATE TABLE query_log (
  seq BIGINT NOT NULL DEFAULT nextval('query_log_seq'),
  ts BIGINT NOT NULL,
  transport TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  client_port INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  tier SMALLINT NOT NULL,
  qname TEXT NOT NULL,
  qtype TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  rcode TEXT NOT NULL,
  upstream TEXT,
  cached SMALLINT NOT NULL,
  answered_by TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  req_bytes INTEGER NOT NULL,
  resp_bytes INTEGER NOT NULL,
  answers INTEGER NOT NULL
) PARTITION BY RANGE (ts);
CREATE INDEX query_log_ts ON query_log (ts);
CREATE INDEX query_log_agent ON query_log (agent_id, ts);

CREATE TABLE query_log_drops (
  ts BIGINT NOT NULL,
  dropped INTEGER NOT NULL
);

CREATE VIEW queries AS SELECT * FROM query_log;
