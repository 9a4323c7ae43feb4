-- Connections: one row per agent connection (egress.conntrack), allowed or dropped; times are epoch milliseconds.
CREATE TABLE connections (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  src_ip TEXT NOT NULL,
  proto TEXT NOT NULL,
  src_port INTEGER NOT NULL,
  dst TEXT NOT NULL,
  dst_port INTEGER NOT NULL,
  decision TEXT NOT NULL CHECK (decision IN ('allowed', 'dropped')),
  bytes_out INTEGER NOT NULL,
  bytes_in INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  qname TEXT
);
CREATE INDEX connections_ts ON connections (ts);
CREATE INDEX connections_agent ON connections (agent_id, ts);
CREATE INDEX connections_dst ON connections (dst, ts);
