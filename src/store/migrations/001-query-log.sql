-- Query log: one row per query answered (AG-404 4.4). ts is epoch milliseconds.
CREATE TABLE queries (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  transport TEXT NOT NULL,
  client_ip TEXT NOT NULL,
  client_port INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  tier INTEGER NOT NULL,
  qname TEXT NOT NULL,
  qtype TEXT NOT NULL,
  decision TEXT NOT NULL,
  reason TEXT NOT NULL,
  rule_id TEXT NOT NULL,
  rcode TEXT NOT NULL,
  upstream TEXT,
  cached INTEGER NOT NULL,
  answered_by TEXT NOT NULL,
  latency_us INTEGER NOT NULL,
  req_bytes INTEGER NOT NULL,
  resp_bytes INTEGER NOT NULL,
  answers INTEGER NOT NULL
);
CREATE INDEX queries_ts ON queries (ts);
CREATE INDEX queries_agent_ts ON queries (agent_id, ts);

-- Events the writer could not keep (queue overflow): counted, never silent.
CREATE TABLE query_log_drops (
  ts INTEGER NOT NULL,
  dropped INTEGER NOT NULL
);
