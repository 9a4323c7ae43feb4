-- Alerts: one row per (agent, base domain, rule) and suppression window; times are epoch milliseconds.
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
  -- 0 low .. 3 critical: lets "--severity medium" filter and escalation compare in SQL
  severity_rank INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  base_domain TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  count INTEGER NOT NULL,
  score REAL NOT NULL,
  exposure TEXT NOT NULL CHECK (exposure IN ('forwarded', 'blocked')),
  bytes_leaked INTEGER NOT NULL,
  bytes_attempted INTEGER NOT NULL,
  samples TEXT NOT NULL,   -- JSON array of query names
  features TEXT NOT NULL,  -- JSON object of the feature values that fired
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acked', 'muted')),
  status_reason TEXT,
  muted_until INTEGER,
  acked_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX alerts_last_seen ON alerts (last_seen);
CREATE INDEX alerts_key ON alerts (agent_id, base_domain, rule, last_seen);

-- Mutes from `dnsward alerts mute`: new alerts matching one are stored as muted, with its reason.
CREATE TABLE alert_mutes (
  id INTEGER PRIMARY KEY,
  domain TEXT,
  agent_id TEXT,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  until INTEGER,
  CHECK (domain IS NOT NULL OR agent_id IS NOT NULL)
);
