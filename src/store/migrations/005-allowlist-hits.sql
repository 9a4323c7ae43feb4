-- Allowlist lifecycle: hits per entry, keyed by (group, domain pattern) so an entry keeps its history when
-- lines move in its file. Times are epoch milliseconds. Upserted once per event batch, not per query.
CREATE TABLE allowlist_hits (
  grp TEXT NOT NULL,
  domain TEXT NOT NULL,
  hits INTEGER NOT NULL,
  first_hit INTEGER NOT NULL,
  last_hit INTEGER NOT NULL,
  PRIMARY KEY (grp, domain)
) WITHOUT ROWID;

-- Since when hits are tracked: an entry can be called stale only after that much history exists.
CREATE TABLE allowlist_tracking (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  since INTEGER NOT NULL
);
INSERT INTO allowlist_tracking (id, since) VALUES (1, CAST(unixepoch('subsec') * 1000 AS INTEGER));
