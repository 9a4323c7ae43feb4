-- Quarantines: an agent, or one base domain for an agent, denied for a while after an alert (dnsdist dynamic blocks).
CREATE TABLE quarantines (
  id INTEGER PRIMARY KEY,
  agent_id TEXT NOT NULL,
  grp TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('agent', 'domain')),
  base_domain TEXT,
  created_at INTEGER NOT NULL,
  until INTEGER NOT NULL,
  reason TEXT NOT NULL,
  alert_id INTEGER,
  released_at INTEGER
);
CREATE INDEX quarantines_active ON quarantines (until, released_at);
